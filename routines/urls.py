from django.urls import path

from routines import account_views, views

app_name = "routines"
urlpatterns = [
    path("", views.routine_list, name="list"),
    path("new/", views.routine_create, name="create"),
    path("profile/", account_views.profile_edit, name="profile"),
    path("<int:pk>/", views.routine_detail, name="detail"),
    path("<int:pk>/print/", views.routine_print, name="print"),
    path("<int:pk>/rename/", views.routine_rename, name="rename"),
    path("<int:pk>/delete/", views.routine_delete, name="delete"),
    path("<int:pk>/duplicate/", views.routine_duplicate, name="duplicate"),
    path("<int:pk>/items/add/", views.exercise_picker, name="item_pick"),
    path("<int:pk>/items/add/<slug:slug>/", views.item_add, name="item_add"),
    path("<int:pk>/items/<int:item_pk>/", views.item_edit, name="item_edit"),
    path("<int:pk>/items/<int:item_pk>/delete/", views.item_delete, name="item_delete"),
    path(
        "<int:pk>/items/<int:item_pk>/confirm/", views.item_confirm, name="item_confirm"
    ),
    path(
        "<int:pk>/items/<int:item_pk>/move/<str:direction>/",
        views.item_move,
        name="item_move",
    ),
    path(
        "<int:pk>/items/<int:item_pk>/transfer/",
        views.item_transfer,
        name="item_transfer",
    ),
    path("<int:pk>/items/<int:item_pk>/swap/", views.item_swap, name="item_swap"),
    path(
        "<int:pk>/items/<int:item_pk>/swap/undo/",
        views.item_swap_undo,
        name="item_swap_undo",
    ),
]
