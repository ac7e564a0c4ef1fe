from django.urls import path

from catalogue import views

app_name = "catalogue"
urlpatterns = [
    path("", views.exercise_list, name="list"),
    path("<slug:slug>/", views.exercise_detail, name="detail"),
]
