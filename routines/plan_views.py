"""Doing the plan: today's sessions, the history, steps up, the calendar and the tick sheet."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from routines import charts, plan, progression, targets
from routines.models import Feeling, PlanSettings, RoutineItem, SessionLog, Weekday
from routines.plan_forms import (
    AnswersForm,
    FollowForm,
    LogForm,
    PlanSettingsForm,
    ProgressionForm,
)

STOP_AND_ASK = "Stop doing this exercise and ask your therapist before you do it again."


def _day_or_404(settings, value):
    """A day of this week up to today, in the patient's time zone; anything else is a 404."""
    today = settings.today()
    try:
        day = date.fromisoformat(value) if value else today
    except ValueError:
        raise Http404("Not a date.") from None
    if day not in plan.week_so_far(today):
        raise Http404("Only the days of this week up to today can be marked.")
    return day, today


def _day_url(day, today, anchor=""):
    url = (
        reverse("plan:today")
        if day == today
        else reverse("plan:day", args=[day.isoformat()])
    )
    return url + (f"#{anchor}" if anchor else "")


@require_GET
def today(request, day=None):
    settings = PlanSettings.for_user(request.user)
    day, today_ = _day_or_404(settings, day)
    return _render_today(request, settings, day, today_)


def _render_today(request, settings, day, today_, *, errors=None):
    page = plan.today_page(request.user, settings, day, today_)
    for entry in page.items:
        entry.errors = (errors or {}).get(entry.item.pk, [])
    follow_form = None
    if settings.routine_id is None:
        follow_form = FollowForm(user=request.user)
    return render(
        request,
        "plan/today.html",
        {
            "page": page,
            "settings": settings,
            "day_label": Weekday(day.weekday()).label,
            "days": [
                {
                    "date": d,
                    "label": Weekday(d.weekday()).label,
                    "url": _day_url(d, today_),
                    "current": d == day,
                }
                for d in plan.week_so_far(today_)
            ],
            "follow_form": follow_form,
            "has_routines": follow_form is not None
            and follow_form.fields["routine"].queryset.exists(),
            "feelings": Feeling.choices,
            "stop_and_ask": STOP_AND_ASK,
        },
        status=400 if errors else 200,
    )


def _log_form(request, form_class, day):
    """The bound form, the day and today; a 404 for an item not planned on that day."""
    settings = PlanSettings.for_user(request.user)
    day, today_ = _day_or_404(settings, day)
    if settings.routine_id is None:
        raise Http404("No routine is followed.")
    form = form_class(
        request.POST, routine_id=settings.routine_id, weekday=day.weekday()
    )
    if not form.is_valid() and "item" in form.errors:
        # Another patient's item, or one not planned on that day of the followed routine.
        raise Http404("That exercise is not on your plan for this day.")
    return form, settings, day, today_


@require_POST
def log_done(request, day):
    form, settings, day, today_ = _log_form(request, LogForm, day)
    item = form.cleaned_data["item"]
    if _on_hold(request, item):
        return _render_today(request, settings, day, today_, errors={item.pk: []})
    _, created = SessionLog.mark_done(item=item, day=day)
    if created:
        messages.success(request, f"Well done! {item.exercise.name} is marked done.")
    else:
        messages.info(request, f"{item.exercise.name} was already marked done.")
    return redirect(_day_url(day, today_, f"item-{item.pk}"))


def _on_hold(request, item):
    """Whether the week tells the patient not to do `item` now: Today shows why instead
    of a Done button, so a Done or answers sent for it come from a stale page or were
    made by hand, and are refused (the page then shows the reason, with status 400)."""
    return item.pk in plan.items_on_hold(request.user, [item])


@require_POST
def log_undo(request, day):
    form, _, day, today_ = _log_form(request, LogForm, day)
    item = form.cleaned_data["item"]
    if SessionLog.undo(item=item, day=day):
        messages.success(request, f"{item.exercise.name} is no longer marked done.")
    return redirect(_day_url(day, today_, f"item-{item.pk}"))


@require_POST
def log_answers(request, day):
    form, settings, day, today_ = _log_form(request, AnswersForm, day)
    if "item" in form.cleaned_data and _on_hold(request, form.cleaned_data["item"]):
        item = form.cleaned_data["item"]
        return _render_today(request, settings, day, today_, errors={item.pk: []})
    if not form.is_valid():
        item = form.cleaned_data["item"]
        return _render_today(
            request, settings, day, today_, errors={item.pk: form.non_field_errors()}
        )
    item = form.cleaned_data["item"]
    log = SessionLog.record_answers(
        item=item,
        day=day,
        feeling=form.cleaned_data["feeling"],
        hurt=form.cleaned_data["hurt"],
    )
    if log.hurt:
        messages.warning(
            request, f"It hurt: {STOP_AND_ASK} We noted it for your therapist."
        )
    else:
        messages.success(request, "Thank you, your answers are saved.")
    return redirect(_day_url(day, today_, f"item-{item.pk}"))


def _owned_item(request, item_pk):
    return get_object_or_404(
        RoutineItem.objects.owned_by(request.user).select_related(
            "routine", "exercise", "exercise__harder_version"
        ),
        pk=item_pk,
    )


@require_POST
def progression_accept(request, item_pk):
    item = _owned_item(request, item_pk)
    form = ProgressionForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Bad request.", status=400)
    offer = plan.offer_for(request.user, item, form.cleaned_data["kind"])
    if offer is None:
        messages.info(request, "That step up is no longer on offer. Nothing changed.")
        return redirect("plan:today")
    old = f"{item.exercise.name}, {item.dose_text()}"
    exercise = (
        item.exercise.harder_version
        if offer.kind == progression.HARDER
        else item.exercise
    )
    applied = item.apply_progression(
        exercise=exercise,
        sets=offer.step.sets,
        reps=offer.step.reps,
        minutes=offer.step.minutes,
        load_kg=offer.step.load_kg,
        version=form.cleaned_data["version"],
        by=request.user,
    )
    if not applied:
        messages.warning(
            request,
            "This exercise was changed in another window or tab, so nothing changed. "
            "Please look at it again.",
        )
    else:
        messages.success(
            request,
            f"Changed {old} to {item.exercise.name}, {item.dose_text()}, "
            f"on {item.get_day_display()}.",
        )
    return redirect("plan:today")


@require_POST
def progression_decline(request, item_pk):
    item = _owned_item(request, item_pk)
    SessionLog.decline_progression(item=item)
    messages.info(
        request,
        f"{item.exercise.name} stays as it is. We will ask again after three more "
        "easy sessions.",
    )
    return redirect("plan:today")


@require_GET
def history(request):
    settings = PlanSettings.for_user(request.user)
    today_ = settings.today()
    weeks = plan.history(request.user, settings, today_)
    labels = [dateformat.format(w.start, "j M") for w in weeks]
    goal = targets.TARGETS
    chart_list = [
        charts.bar_chart(
            key="adherence",
            title="Sessions done (% of planned)",
            unit="%",
            target=100,
            scale_max=100,
            values=[w.adherence for w in weeks],
            labels=labels,
            description=(
                f"Sessions done as a share of those planned, for the last {len(weeks)} "
                "weeks. Weeks with nothing planned have no bar. The same numbers are "
                "in the table below."
            ),
        ),
        charts.bar_chart(
            key="minutes",
            title="Minutes on your feet",
            unit="minutes",
            target=goal.weight_bearing_minutes,
            values=[w.weight_bearing_minutes for w in weeks],
            labels=labels,
        ),
        charts.bar_chart(
            key="strength",
            title="Strength days",
            unit="days",
            target=goal.strength_days,
            values=[w.strength_days for w in weeks],
            labels=labels,
            scale_max=7,
        ),
        charts.bar_chart(
            key="balance",
            title="Balance days",
            unit="days",
            target=goal.balance_days,
            values=[w.balance_days for w in weeks],
            labels=labels,
            scale_max=7,
        ),
    ]
    return render(
        request,
        "plan/history.html",
        {
            "settings": settings,
            "weeks": list(reversed(weeks)),  # the table: newest first
            "charts": chart_list,
            "targets": goal,
        },
    )


@require_http_methods(["GET", "POST"])
def plan_settings(request):
    settings = PlanSettings.for_user(request.user)
    form = PlanSettingsForm(request.POST or None, instance=settings, user=request.user)
    if form.is_valid():
        settings.save_choices(
            routine=form.cleaned_data["routine"],
            time_zone=form.cleaned_data["time_zone"],
            session_time=form.cleaned_data["session_time"],
            reminder=form.cleaned_data["reminder"],
        )
        messages.success(request, "Your plan settings are saved.")
        return redirect("plan:settings")
    return render(
        request,
        "plan/settings.html",
        {
            "form": form,
            "settings": settings,
            "calendar_url": (
                request.build_absolute_uri(settings.get_calendar_url())
                if settings.calendar_on
                else ""
            ),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def follow(request):
    form = FollowForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["routine"]))
        return redirect("plan:today")
    routine = form.cleaned_data["routine"]
    PlanSettings(user=request.user).follow(routine)
    messages.success(
        request, f"You now follow “{routine.name}”. Here is what it plans for today."
    )
    return redirect("plan:today")


@require_POST
def calendar_renew(request):
    was_on = PlanSettings.for_user(request.user).calendar_on
    PlanSettings(user=request.user).renew_calendar()
    messages.success(
        request,
        "Your calendar link is ready. Copy it into your calendar app."
        if not was_on
        else "Your calendar has a new link. The old link no longer works: "
        "put the new one into your calendar app.",
    )
    return redirect(reverse("plan:settings") + "#calendar")


@require_POST
def calendar_off(request):
    PlanSettings(user=request.user).turn_off_calendar()
    messages.success(request, "Your calendar link is turned off. It no longer works.")
    return redirect(reverse("plan:settings") + "#calendar")


@login_not_required
@require_GET
def calendar_feed(request, token):
    """The private feed: calendar apps cannot sign in, so the secret address is the key."""
    if not token:
        raise Http404
    settings = get_object_or_404(
        PlanSettings.objects.select_related("routine", "user"), calendar_token=token
    )
    items = []
    if settings.routine_id is not None:
        items = list(
            RoutineItem.objects.filter(routine_id=settings.routine_id)
            .select_related("exercise")
            .order_by("day", "position", "pk")
        )
        # What the week says not to do now is not put in the patient's calendar either.
        held = plan.items_on_hold(settings.user, items)
        items = [item for item in items if item.pk not in held]
    body = plan.calendar_feed(settings, items, settings.today())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="bonefit.ics"'
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def tick_sheet(request):
    settings = PlanSettings.for_user(request.user)
    if settings.routine_id is None:
        messages.info(request, "Choose the routine you follow first.")
        return redirect("plan:settings")
    items = list(
        RoutineItem.objects.filter(routine_id=settings.routine_id)
        .select_related("exercise")
        .order_by("day", "position", "pk")
    )
    hold = plan.items_on_hold(request.user, items)
    for item in items:
        item.hold = hold.get(item.pk)
    monday = targets.monday_of(settings.today())
    weeks = [monday + timedelta(weeks=n) for n in range(4)]
    return render(
        request,
        "plan/tick_sheet.html",
        {
            "settings": settings,
            "routine": settings.routine,
            "items": items,
            "weeks": weeks,
            "weekdays": Weekday.choices,
        },
    )
