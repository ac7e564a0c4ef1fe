"""Doing the plan: /today/, /history/, /plan/ and the private calendar feed."""

from django.urls import path

from routines import plan_views

app_name = "plan"
urlpatterns = [
    path("today/", plan_views.today, name="today"),
    path("today/<str:day>/", plan_views.today, name="day"),
    path("today/<str:day>/done/", plan_views.log_done, name="done"),
    path("today/<str:day>/undo/", plan_views.log_undo, name="undo"),
    path("today/<str:day>/answers/", plan_views.log_answers, name="answers"),
    path(
        "progress/<int:item_pk>/accept/",
        plan_views.progression_accept,
        name="progression_accept",
    ),
    path(
        "progress/<int:item_pk>/decline/",
        plan_views.progression_decline,
        name="progression_decline",
    ),
    path("history/", plan_views.history, name="history"),
    path("plan/", plan_views.plan_settings, name="settings"),
    path("plan/follow/", plan_views.follow, name="follow"),
    path("plan/calendar/renew/", plan_views.calendar_renew, name="calendar_renew"),
    path("plan/calendar/off/", plan_views.calendar_off, name="calendar_off"),
    path("plan/tick-sheet/", plan_views.tick_sheet, name="tick_sheet"),
    path("calendar/<str:token>.ics", plan_views.calendar_feed, name="calendar_feed"),
]
