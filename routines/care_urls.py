from django.urls import path

from routines import care_views

app_name = "care"
urlpatterns = [
    path("", care_views.therapists, name="therapists"),
    path("agree/", care_views.consent, name="consent"),
    path("<int:pk>/stop/", care_views.stop_sharing, name="stop"),
]
