"""The clinic, under /clinic/: every URL here is for therapists (see clinic_views)."""

from django.urls import path

from routines import clinic_views as views

app_name = "clinic"
urlpatterns = [
    path("", views.patient_list, name="patients"),
    path("code/", views.share_code_renew, name="code_renew"),
    path("patients/<int:patient_pk>/", views.patient_detail, name="patient"),
    path("patients/<int:patient_pk>/end/", views.patient_end, name="patient_end"),
    path(
        "patients/<int:patient_pk>/restrictions/",
        views.patient_restrictions,
        name="restrictions",
    ),
    path(
        "patients/<int:patient_pk>/routines/new/",
        views.patient_routine_create,
        name="routine_create",
    ),
    path("routines/<int:pk>/print/", views.routine_print, name="print"),
    path("routines/<int:pk>/items/add/", views.item_pick, name="item_pick"),
    path("routines/<int:pk>/items/add/<slug:slug>/", views.item_add, name="item_add"),
    path("routines/<int:pk>/items/<int:item_pk>/", views.item_edit, name="item_edit"),
    path(
        "routines/<int:pk>/items/<int:item_pk>/review/",
        views.item_review,
        name="item_review",
    ),
    path(
        "routines/<int:pk>/items/<int:item_pk>/move/<str:direction>/",
        views.item_move,
        name="item_move",
    ),
    path(
        "routines/<int:pk>/items/<int:item_pk>/delete/",
        views.item_delete,
        name="item_delete",
    ),
    path("templates/", views.template_list, name="templates"),
    path("templates/<int:pk>/", views.template_detail, name="template"),
    path("templates/<int:pk>/send/", views.template_send, name="template_send"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
]
