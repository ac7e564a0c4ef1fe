import hashlib
from collections import defaultdict
from functools import wraps

from django.contrib import messages
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalogue.models import Exercise, ExerciseStep, Status
from routines import checking, presenting, printing, safety
from routines.forms import (
    ExercisePickerForm,
    RoutineForm,
    RoutineItemForm,
    TransferForm,
)
from routines.models import HealthProfile, Routine, RoutineItem, Weekday
from routines.safety import DAYS

UNDO_SWAP = "undo_swap"  # session key: the last swap, so the patient can take it back


def owned_routine(view):
    """Look the routine up among the patient's own before anything else, so another
    patient's routine is a 404 for every URL and method (never a 405 that confirms it exists)."""

    @wraps(view)
    def wrapper(request, pk, **kwargs):
        routine = get_object_or_404(
            Routine.objects.owned_by(request.user).select_related(
                "owner__health_profile"
            ),
            pk=pk,
        )
        return view(request, routine, **kwargs)

    return wrapper


def owned_item(view):
    """As owned_routine, for one item of one of the patient's routines."""

    @wraps(view)
    def wrapper(request, pk, item_pk, **kwargs):
        item = get_object_or_404(
            RoutineItem.objects.owned_by(request.user).select_related(
                "routine", "exercise"
            ),
            pk=item_pk,
            routine_id=pk,
        )
        return view(request, item, **kwargs)

    return wrapper


@require_GET
def routine_list(request):
    profile = HealthProfile.for_user(request.user)
    checks = checking.routine_checks(request.user, profile)
    rows = [
        {
            "routine": routine,
            "item_count": len(check.items),
            "counts": check.counts,
            "to_confirm": len(check.unacknowledged_dangers()),
        }
        for routine, check in checks.items()
    ]
    return render(
        request, "routines/routine_list.html", {"rows": rows, "profile": profile}
    )


@require_http_methods(["GET", "POST"])
def routine_create(request):
    form = RoutineForm(request.POST or None, submit_label="Create routine")
    if form.is_valid():
        token = form.cleaned_data["submission_token"]
        existing = (
            token
            and Routine.objects.owned_by(request.user)
            .filter(submission_token=token)
            .first()
        )
        if (
            existing
        ):  # the same form sent twice (a double click): show what the first made
            return redirect(existing)
        try:
            with transaction.atomic():
                routine = form.save(commit=False)
                routine.owner = request.user
                routine.submission_token = token
                routine.save()
        except IntegrityError:
            raise Http404("This form was already used.") from None
        messages.success(
            request, f"Routine “{routine.name}” created. Now add exercises to its days."
        )
        return redirect(routine)
    return render(
        request, "routines/routine_form.html", {"form": form, "title": "New routine"}
    )


def _week_context(request, routine, items=None):
    profile = HealthProfile.of_owner(routine)
    items = list(routine.items.for_week()) if items is None else items
    check = checking.check_items(profile, items)
    return {
        "routine": routine,
        "profile": profile,
        "days": presenting.week_days(check, routine),
        "week_findings": presenting.week_findings(check),
        "counts": check.counts,
        "item_count": len(items),
        "catalogue_url": reverse("catalogue:list"),
    }


def _week_fragment_key(request, routine, profile):
    """Everything the week fragment shows, condensed: any change gives a new key.

    The routine's items by its content_version (bumped by every write to them), the profile
    by its facts, the catalogue (exercises, their tags and alternatives, the therapists'
    messages and severities) by its version, and the CSRF secret because the fragment's
    forms carry a token.
    """
    get_token(request)
    inputs = (
        routine.pk,
        routine.content_version,
        profile.as_facts(),
        Exercise.objects.catalogue_version(),
        request.META["CSRF_COOKIE"],
    )
    return "week:" + hashlib.sha256(repr(inputs).encode()).hexdigest()


@owned_routine
@require_GET
def routine_detail(request, routine):
    profile = HealthProfile.of_owner(routine)
    key = _week_fragment_key(request, routine, profile)
    week_html = cache.get(key)
    if week_html is None:
        items = list(routine.items.for_week_page())
        context = _week_context(request, routine, items)
        week_html = render_to_string("routines/_week.html", context, request=request)
        cache.set(key, week_html, 60 * 60)
    undo = request.session.get(UNDO_SWAP)
    if undo and undo["routine"] != routine.pk:
        undo = None
    return render(
        request,
        "routines/routine_detail.html",
        {
            "routine": routine,
            "profile": profile,
            "week_html": week_html,
            "undo_swap": undo,
        },
    )


@owned_routine
@require_GET
def routine_print(request, routine):
    context = _week_context(request, routine)
    sheets = presenting.exercise_sheets(context["days"])
    steps = defaultdict(list)
    for step in ExerciseStep.objects.filter(exercise__in=[s.exercise for s in sheets]):
        steps[step.exercise_id].append(step)
    for sheet in sheets:
        sheet.steps = steps[sheet.exercise.pk]
    context.update(printed_on=timezone.localdate())
    context.update(printing.sheet_context(context["days"], sheets))
    return render(request, "routines/routine_print.html", context)


@owned_routine
@require_http_methods(["GET", "POST"])
def routine_rename(request, routine):
    form = RoutineForm(request.POST or None, instance=routine, submit_label="Save name")
    if form.is_valid():
        with transaction.atomic():
            form.save()
        messages.success(request, f"Routine renamed to “{routine.name}”.")
        return redirect(routine)
    return render(
        request,
        "routines/routine_form.html",
        {"form": form, "title": "Rename routine", "routine": routine},
    )


@owned_routine
@require_http_methods(["GET", "POST"])
def routine_delete(request, routine):
    if request.method == "POST":
        name = routine.name
        with transaction.atomic():
            routine.delete()
        messages.success(request, f"Routine “{name}” deleted.")
        return redirect("routines:list")
    return render(
        request,
        "routines/routine_confirm_delete.html",
        {"routine": routine, "item_count": routine.items.count()},
    )


@owned_routine
@require_POST
def routine_duplicate(request, routine):
    copy = routine.duplicate(name=f"Copy of {routine.name}"[:100])
    messages.success(
        request, f"Made a copy called “{copy.name}”. You can rename it below."
    )
    return redirect(copy)


@owned_routine
@require_http_methods(["GET", "POST"])
def item_add(request, routine):
    profile = HealthProfile.for_user(request.user)
    slug = request.POST.get("exercise") or request.GET.get("exercise")
    if request.method == "GET" and not slug:
        return _exercise_picker(request, routine, profile)
    if request.method == "POST":
        form = RoutineItemForm(request.POST, profile=profile)
        if form.is_valid():
            token = form.cleaned_data["submission_token"]
            if token and routine.items.filter(submission_token=token).exists():
                messages.info(request, "That exercise was already added.")
                return redirect(routine)
            with transaction.atomic():
                item = form.save(commit=False)
                item.routine = routine
                item.submission_token = token
                item.position = RoutineItem.next_position(routine, item.day)
                item.record_acknowledgement({f.code for f in form.danger_findings})
                item.save()
                Routine.objects.mark_changed(routine.pk)
            _say_saved(request, item, form, "added to")
            return redirect(f"{routine.get_absolute_url()}#day-{item.day_code}")
    else:
        exercise = Exercise.objects.published().filter(slug=slug).first()
        if exercise is None:
            messages.error(
                request,
                "That exercise is not in the catalogue any more. Please choose another.",
            )
            return redirect("routines:item_add", pk=routine.pk)
        day = _requested_day(request)
        form = RoutineItemForm(
            profile=profile,
            initial={
                "exercise": exercise.slug,
                "day": day,
                "sets": exercise.default_sets,
                "reps": exercise.default_reps,
                "minutes": exercise.default_minutes,
            },
        )
        form.findings = checking.candidate_findings(
            profile, RoutineItem(day=0), exercise
        )
    return _item_form(request, routine, form, title="Add an exercise")


def _requested_day(request):
    """The day code from ?day=, Monday when it is missing or not a day."""
    day = request.GET.get("day")
    return day if day in DAYS else "mon"


def _exercise_picker(request, routine, profile):
    picker = ExercisePickerForm(request.GET or None)
    day = _requested_day(request)
    query = picker.cleaned_data.get("q", "") if picker.is_valid() else ""
    exercises = list(Exercise.objects.published().search(query).order_by("name", "pk"))
    suitable = checking.suitable_exercise_ids(request.user, exercises)
    if picker.is_valid() and picker.cleaned_data.get("suitable"):
        exercises = [e for e in exercises if e.pk in suitable]
    return render(
        request,
        "routines/exercise_picker.html",
        {
            "routine": routine,
            "picker": picker,
            "exercises": exercises,
            "suitable": suitable,
            "day": day,
            "day_label": Weekday.from_code(day).label,
            "profile": profile,
        },
    )


def _item_form(request, routine, form, *, title, item=None):
    exercise = _form_exercise(form, item)
    alternatives = {}
    if exercise is not None:
        alternatives = checking.safety_data([exercise.pk]).alternatives_by_slug()
    shown_findings = presenting.item_findings(form.findings, alternatives)
    acknowledged = item.acknowledged if item else frozenset()
    needs_acknowledgement = any(
        f.severity == safety.DANGER and f.code not in acknowledged
        for f in form.findings
    )
    return render(
        request,
        "routines/item_form.html",
        {
            "routine": routine,
            "form": form,
            "title": title,
            "item": item,
            "exercise": exercise,
            "findings": shown_findings,
            "alternatives": presenting.distinct_alternatives(shown_findings),
            "needs_acknowledgement": needs_acknowledgement
            or form["acknowledge_danger"].errors,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _form_exercise(form, item):
    value = form["exercise"].value()
    if value:
        exercise = Exercise.objects.visible().filter(slug=value).first()
        if exercise is not None:
            return exercise
    return item.exercise if item else None


def _say_saved(request, item, form, verb):
    text = f"{item.exercise.name} {verb} {item.get_day_display()}."
    if form.danger_findings:
        messages.warning(
            request,
            text + " It stays marked Danger on your week and your printed sheet.",
        )
    else:
        messages.success(request, text)


@owned_item
@require_http_methods(["GET", "POST"])
def item_edit(request, item):
    routine = item.routine
    profile = HealthProfile.for_user(request.user)
    if request.method == "POST":
        form = RoutineItemForm(request.POST, instance=item, profile=profile)
        if form.is_valid():
            with transaction.atomic():
                current = RoutineItem.objects.select_for_update().get(pk=item.pk)
                if current.version != form.cleaned_data["version"]:
                    form.add_error(
                        None,
                        "This exercise was changed in another window or tab. Please check it and save again.",
                    )
                    return _item_form(
                        request, routine, form, title="Change an exercise", item=item
                    )
                saved = form.save(commit=False)
                if saved.exercise_id != current.exercise_id:
                    saved.forget_acknowledgement()
                if saved.day != current.day:
                    saved.position = RoutineItem.next_position(routine, saved.day)
                saved.record_acknowledgement({f.code for f in form.danger_findings})
                saved.save_new_version()
                Routine.objects.mark_changed(routine.pk)
            _say_saved(request, saved, form, "saved for")
            return redirect(f"{routine.get_absolute_url()}#day-{saved.day_code}")
    else:
        initial = {}
        swap = request.GET.get("exercise")
        if swap:
            initial["exercise"] = swap
        form = RoutineItemForm(instance=item, profile=profile, initial=initial)
        exercise = _form_exercise(form, item)
        form.findings = checking.candidate_findings(profile, item, exercise)
    return _item_form(request, routine, form, title="Change an exercise", item=item)


@owned_item
@require_http_methods(["GET", "POST"])
def item_delete(request, item):
    if request.method == "POST":
        item.remove()
        messages.success(
            request, f"{item.exercise.name} removed from {item.get_day_display()}."
        )
        return redirect(f"{item.routine.get_absolute_url()}#day-{item.day_code}")
    return render(
        request,
        "routines/item_confirm_delete.html",
        {"item": item, "routine": item.routine},
    )


@owned_item
@require_POST
def item_move(request, item, direction):
    if direction not in ("up", "down"):
        raise Http404("Items move up or down.")
    moved = item.move_within_day(-1 if direction == "up" else 1)
    if moved:
        messages.success(request, f"{item.exercise.name} moved {direction}.")
    return redirect(f"{item.routine.get_absolute_url()}#item-{item.pk}")


@owned_item
@require_http_methods(["GET", "POST"])
def item_transfer(request, item):
    """Move or copy an item to another day."""
    form = TransferForm(request.POST or None, initial={"day": item.day_code})
    if form.is_valid():
        copy = form.cleaned_data["action"] == "copy"
        result = item.transfer(day=form.cleaned_data["day"], copy=copy)
        verb = "copied" if copy else "moved"
        messages.success(
            request, f"{item.exercise.name} {verb} to {result.get_day_display()}."
        )
        return redirect(f"{item.routine.get_absolute_url()}#item-{result.pk}")
    return render(
        request,
        "routines/item_transfer.html",
        {"form": form, "item": item, "routine": item.routine},
        status=400 if form.errors else 200,
    )


@owned_item
@require_POST
def item_swap(request, item):
    """Replace the exercise of an item with one of its safer alternatives, keeping the day."""
    alternative = get_object_or_404(
        item.exercise.alternatives.filter(status=Status.PUBLISHED),
        slug=request.POST.get("exercise", ""),
    )
    profile = HealthProfile.for_user(request.user)
    candidate = RoutineItem(
        day=item.day,
        sets=alternative.default_sets,
        reps=alternative.default_reps,
        minutes=alternative.default_minutes,
    )
    if candidate.reps is None and candidate.minutes is None:
        candidate.reps = 10
    findings = checking.candidate_findings(profile, candidate, alternative)
    if any(f.severity == "danger" for f in findings):
        # Never silent: a swap into danger goes through the form and its acknowledgement.
        return redirect(f"{item.get_edit_url()}?exercise={alternative.slug}")
    old_name = item.exercise.name
    before = item.snapshot()
    with transaction.atomic():
        item.exercise = alternative
        item.sets, item.reps, item.minutes = (
            candidate.sets,
            candidate.reps,
            candidate.minutes,
        )
        item.load_kg = None
        item.forget_acknowledgement()
        item.save_new_version()
        Routine.objects.mark_changed(item.routine_id)
    request.session[UNDO_SWAP] = {
        "routine": item.routine_id,
        "item": item.pk,
        "version": item.version,
        "before": before,
        "text": f"{old_name} was swapped for {alternative.name} on {item.get_day_display()}.",
    }
    return redirect(f"{item.routine.get_absolute_url()}#item-{item.pk}")


@owned_item
@require_POST
def item_swap_undo(request, item):
    """Put back the exercise a swap replaced, unless the item was changed since."""
    undo = request.session.get(UNDO_SWAP)
    with transaction.atomic():
        current = RoutineItem.objects.select_for_update().get(pk=item.pk)
        if not undo or undo["item"] != item.pk or undo["version"] != current.version:
            messages.info(
                request, "There is nothing to undo: the exercise was changed since."
            )
            return redirect(item.routine)
        if (
            not Exercise.objects.visible()
            .filter(pk=undo["before"]["exercise"])
            .exists()
        ):
            messages.info(
                request,
                "That exercise is no longer in the catalogue, so it cannot come back.",
            )
            return redirect(item.routine)
        current.restore(undo["before"])
        Routine.objects.mark_changed(item.routine_id)
    del request.session[UNDO_SWAP]
    messages.success(request, "The swap is undone.")
    return redirect(f"{item.routine.get_absolute_url()}#item-{item.pk}")
