import hashlib
from contextlib import suppress
from functools import partial, wraps
from typing import NamedTuple
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bonefit.jinja2 import render_fragment, render_page
from bonefit.links import LinkFiller
from catalogue.models import Exercise, Status
from routines import checking, picking, presenting, printing
from routines.forms import (
    ConfirmDangerForm,
    RoutineForm,
    RoutineItemForm,
    SwapForm,
    TransferForm,
)
from routines.models import (
    CareLink,
    HealthProfile,
    Routine,
    RoutineItem,
    StaleEdit,
    TokenUsedElsewhere,
    Weekday,
    with_people,
)
from routines.picking import requested_day as _requested_day

UNDO_SWAP = "undo_swap"  # session key: the last swap, so the patient can take it back
# The routine list's page: most patients have a few routines; a long list (a therapist's
# templates sent over the years) is paged, so a page checks at most this many weeks.
ROUTINES_PER_PAGE = 10


def owned_routine(view):
    """Look the routine up among the patient's own before anything else, so another
    patient's routine is a 404 for every URL and method (never a 405 that confirms it exists)."""

    @wraps(view)
    def wrapper(request, pk, **kwargs):
        routine = Routine.owned_with_profile(pk, request.user)
        if routine is None:
            raise Http404("No such routine of yours.")
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


class RoutineRow(NamedTuple):
    """One routine of the routine list (an object, not a dict: Jinja2 reads attributes
    first, and a dict key only after a failed attribute lookup)."""

    routine: Routine
    summary: checking.RoutineSummary
    made_by_therapist: bool


@require_GET
def routine_list(request):
    profile = HealthProfile.for_user(request.user)
    links = CareLink.active_of_patient(request.user)
    page = Paginator(Routine.listed_for(request.user.pk), ROUTINES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    routines = with_people(page.object_list, request.user.pk, ("created_by",))
    summaries = _routine_summaries(request.user, routines, profile, bool(links))
    rows = [
        RoutineRow(
            routine,
            summaries[routine.pk],
            made_by_therapist=routine.created_by_id not in (None, request.user.pk),
        )
        for routine in routines
    ]
    rows_html = render_fragment(
        "routines/_routine_rows.html",
        {"rows": rows, "links": links, "adding": request.GET.get("add", "")},
        request,
    )
    return render(
        request,
        "routines/routine_list.html",
        {
            "rows": rows,
            "rows_html": rows_html,
            "page": page,
            "restrictions_html": (
                render_fragment("includes/restrictions.html", {"links": links}, request)
                if links
                else ""
            ),
            "profile": profile,
            "links": links,
        },
    )


def _routine_summaries(user, routines, profile, with_therapist):
    """{routine pk: RoutineSummary}, each cached like the week page it sums up: by the
    routine's content_version, the profile, the catalogue and whether a therapist shares.
    Only the routines missing from the cache are checked (together, in fixed queries)."""
    version = Exercise.objects.catalogue_version()
    # The part every routine's key shares, written once rather than once per routine.
    shared = repr((profile.as_facts(), with_therapist, version))
    keys = {
        # "summary2": RoutineSummary gained `approved`
        routine.pk: _cache_key(
            "summary2", (routine.pk, routine.content_version, shared)
        )
        for routine in routines
    }
    found = cache.get_many(keys.values())
    summaries = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [routine for routine in routines if routine.pk not in summaries]
    if missing:
        checks = checking.routine_checks(
            user,
            profile,
            with_therapist=with_therapist,
            routines=missing,
            tables=checking.catalogue_tables(version),
        )
        made = {
            routine.pk: checking.RoutineSummary.of(c) for routine, c in checks.items()
        }
        cache.set_many(
            {keys[pk]: summary for pk, summary in made.items()},
            checking.TABLES_MAX_AGE_SECONDS,  # no older than the tables they come from
        )
        summaries |= made
    return summaries


@require_http_methods(["GET", "POST"])
def routine_create(request):
    form = RoutineForm(request.POST or None, submit_label="Create routine")
    if form.is_valid():
        try:
            routine, created = Routine.create_for(
                request.user,
                name=form.cleaned_data["name"],
                submission_token=form.cleaned_data["submission_token"],
            )
        except TokenUsedElsewhere:
            return _bad_token()
        if created:
            messages.success(
                request,
                f"Routine “{routine.name}” created. Now add exercises to its days.",
            )
        return redirect(routine)
    return render(
        request, "routines/routine_form.html", {"form": form, "title": "New routine"}
    )


def _bad_token():
    return HttpResponseBadRequest(
        "This form was already used for something else. Please go back, reload the page "
        "and try again."
    )


def _week_context(routine, items, *, with_therapist, tables):
    """What the week fragment shows of `routine`, whose `items` were loaded with
    checking.week_items() from the catalogue's `tables`: the checked week
    (_checked_week) with its summary and totals."""
    context, check = _checked_week(
        routine, items, with_therapist=with_therapist, tables=tables
    )
    # The totals count what the patient may do now: not a danger still waiting for a
    # confirmation or for the therapist, nor one the therapist advised against.
    held = check.items_on_hold()
    return context | {
        "summary": presenting.week_summary(context["days"]),
        "totals": presenting.week_totals([i for i in items if i.pk not in held]),
        "totals_leave_out": len(held),
        "counts": check.counts,
        "item_count": len(items),
    }


def _checked_week(routine, items, *, with_therapist, tables):
    """(what both the week and its printed sheet show, the WeekCheck)."""
    profile = HealthProfile.of_owner(routine)
    check = checking.check_items(
        profile, items, with_therapist=with_therapist, tables=tables
    )
    context = {
        "routine": routine,
        "profile": profile,
        "days": presenting.week_days(check),
        "week_findings": presenting.week_findings(check),
    }
    return context, check


class ItemUrls(NamedTuple):
    """Where the week page's item links and buttons go: each a LinkFiller, so the
    template fills in an item's link with `urls.edit[pk]`."""

    exercise: LinkFiller
    edit: LinkFiller
    confirm: LinkFiller
    swap: LinkFiller
    move_up: LinkFiller
    move_down: LinkFiller
    transfer: LinkFiller
    delete: LinkFiller


def _item_urls(routine):
    """The week's item links (see bonefit.links.LinkFiller)."""
    filler = partial(LinkFiller, script_prefix=get_script_prefix())  # read once
    return ItemUrls(
        exercise=filler("catalogue:detail", str),
        **{
            name: filler(f"routines:item_{name}", routine.pk, int)
            for name in ("edit", "confirm", "swap", "transfer", "delete")
        },
        move_up=filler("routines:item_move", routine.pk, int, "up"),
        move_down=filler("routines:item_move", routine.pk, int, "down"),
    )


def _week_fragment_key(request, routine, profile, with_therapist, catalogue_version):
    """Everything the week fragment shows, condensed: any change gives a new key.

    The routine's items by its content_version (bumped by every write to them, approvals
    included), the profile by its facts, whether the patient shares with a therapist, the
    catalogue (exercises, their tags and alternatives, the therapists' messages and
    severities) by its version, and the CSRF secret because the fragment's forms carry a
    token.
    """
    if "CSRF_COOKIE" not in request.META:
        get_token(request)  # a first visit: make the secret the fragment's forms carry
    inputs = (
        routine.pk,
        routine.content_version,
        profile.as_facts(),
        with_therapist,
        catalogue_version,
        request.META["CSRF_COOKIE"],
    )
    return _cache_key("week", inputs)


def _cache_key(kind, inputs):
    """A cache key for a fragment or summary made from `inputs` (plain, repr-able values)."""
    return f"{kind}:" + hashlib.sha256(repr(inputs).encode()).hexdigest()


@owned_routine
@require_GET
def routine_detail(request, routine):
    profile = HealthProfile.of_owner(routine)
    links = CareLink.active_of_patient(routine.owner)
    version = Exercise.objects.catalogue_version()
    key = _week_fragment_key(request, routine, profile, bool(links), version)
    week_html = cache.get(key)
    if week_html is None:
        tables = checking.catalogue_tables(version)
        items = checking.week_items(routine.items_for_week_page(), tables)
        context = _week_context(
            routine, items, with_therapist=bool(links), tables=tables
        )
        context["urls"] = _item_urls(routine)
        week_html = render_fragment("routines/_week.html", context, request)
        # Pickled as SafeString, so still safe; no older than the tables it comes from.
        cache.set(key, week_html, checking.TABLES_MAX_AGE_SECONDS)
    return render_page(
        request,
        "routines/routine_detail.html",
        {
            "routine": routine,
            "profile": profile,
            "links": links,
            "week_html": week_html,
            "undo_swap": _undo_to_offer(request, routine),
        },
    )


def _undo_to_offer(request, routine):
    """The swap to offer to undo: once, on the page the swap leads to, and never again."""
    undo = request.session.get(UNDO_SWAP)
    if not undo:
        return None
    if undo["shown"] or undo["routine"] != routine.pk:
        del request.session[UNDO_SWAP]
        return None
    request.session[UNDO_SWAP] = {**undo, "shown": True}
    return undo


@owned_routine
@require_GET
def routine_print(request, routine):
    return print_page(request, routine, back_url=routine.get_absolute_url())


def print_page(request, routine, *, back_url):
    """The printed sheet of `routine`, for its owner or for their linked therapist."""
    return render_page(
        request,
        "routines/routine_print.html",
        print_context(routine, back_url=back_url),
    )


def print_context(routine, *, back_url):
    links = CareLink.active_of_patient(routine.owner)
    tables = checking.catalogue_tables()
    items = checking.week_items(routine.items_for_week_page(), tables)
    context, _ = _checked_week(
        routine, items, with_therapist=bool(links), tables=tables
    )
    sheets = presenting.exercise_sheets(context["days"])
    context.update(printing.sheet_context(context["days"], sheets, tables))
    floor_transfer = context["floor_transfer"]
    printed = [sheet.exercise.pk for sheet in sheets]
    if floor_transfer:
        printed.append(floor_transfer.pk)
    steps = tables.steps(printed)
    for sheet in sheets:
        sheet.steps = steps[sheet.exercise.pk]
    context["floor_transfer_steps"] = steps[floor_transfer.pk] if floor_transfer else ()
    context.update(
        printed_on=timezone.localdate(),
        links=links,
        owner=routine.owner,
        back_url=back_url,
    )
    return context


@owned_routine
@require_http_methods(["GET", "POST"])
def routine_rename(request, routine):
    form = RoutineForm(request.POST or None, instance=routine, submit_label="Save name")
    status = 400 if form.errors else 200
    if form.is_valid():
        try:
            routine.rename(
                form.cleaned_data["name"], version=form.cleaned_data["version"]
            )
        except StaleEdit:
            routine.refresh_from_db()
            form = RoutineForm(instance=routine, submit_label="Save name")
            messages.error(
                request,
                "This routine was renamed in another window or tab, to the name below. "
                "Change it again if you want.",
            )
            status = 409
        else:
            messages.success(request, f"Routine renamed to “{routine.name}”.")
            return redirect(routine)
    return render(
        request,
        "routines/routine_form.html",
        {"form": form, "title": "Rename routine", "routine": routine},
        status=status,
    )


@owned_routine
@require_http_methods(["GET", "POST"])
def routine_delete(request, routine):
    if request.method == "POST":
        name = routine.name
        routine.delete()  # Django deletes the routine and its items in one transaction
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
@require_GET
def exercise_picker(request, routine):
    """Step one of adding: choose an exercise for a day."""
    slug = request.GET.get("exercise")
    if slug:  # older links, and "add it to a routine" from the catalogue
        return redirect(_add_form_url(routine, slug, _requested_day(request)))
    context = picking.picker_context(request, HealthProfile.of_owner(routine))
    return render(
        request,
        "routines/exercise_picker.html",
        {
            **context,
            "routine": routine,
            "back_url": routine.get_absolute_url(),
            "add_url_name": "routines:item_add",
            "suitable_for": "me",
            "warning_for": "you",
        },
    )


def _add_form_url(routine, slug, day):
    try:
        url = reverse("routines:item_add", args=[routine.pk, slug])
    except NoReverseMatch:
        return reverse("routines:item_pick", args=[routine.pk])
    return f"{url}?{urlencode({'day': day})}"


@owned_routine
@require_http_methods(["GET", "POST"])
def item_add(request, routine, slug):
    """Step two of adding: the dose, the day, and the warnings, for one exercise."""
    profile = HealthProfile.of_owner(routine)
    care = _patient_confirms(routine)
    if request.method == "POST":
        form = RoutineItemForm(request.POST, profile=profile, **care)
        if form.is_valid():
            try:
                item, created = routine.add_item(
                    submission_token=form.cleaned_data["submission_token"],
                    by=request.user,
                    **form.write_arguments(),
                )
            except TokenUsedElsewhere:
                return _bad_token()
            if created:
                _say_saved(request, item, form, "added to")
            else:
                messages.info(request, "That exercise was already added.")
            return redirect(item.get_week_url())
        return _item_form(request, routine, form, title="Add an exercise")
    exercise = Exercise.objects.published().filter(slug=slug).first()
    if exercise is None:
        messages.error(
            request,
            "That exercise is not in the catalogue any more. Please choose another.",
        )
        return redirect("routines:item_pick", pk=routine.pk)
    form = RoutineItemForm(
        profile=profile,
        **care,
        instance=RoutineItem(
            routine=routine,
            exercise=exercise,
            day=Weekday.from_code(_requested_day(request)),
            sets=exercise.default_sets,
            reps=exercise.default_reps,
            minutes=exercise.default_minutes,
        ),
    )
    form.show_findings_for(exercise)
    return _item_form(request, routine, form, title="Add an exercise")


def _patient_confirms(routine):
    """How the patient's item form treats a danger: with a linked therapist it waits for
    the therapist; without one, the patient ticks the box."""
    with_therapist = CareLink.has_therapist(routine.owner_id)
    return {
        "with_therapist": with_therapist,
        "confirm_as": None if with_therapist else "patient",
    }


def _item_form(request, routine, form, *, title, item=None, status=None, problem=""):
    context, status = picking.item_form_context(form, item=item, status=status)
    return render(
        request,
        "routines/item_form.html",
        {
            **context,
            "routine": routine,
            "title": title,
            "problem": problem,
            # Back (or Cancel) to where they were: the item being changed.
            "back_url": item.get_week_url(anchor="item")
            if item
            else routine.get_absolute_url(),
            "pick_url": reverse("routines:item_pick", args=[routine.pk]),
            "add_url_name": "routines:item_add",
        },
        status=status,
    )


def _say_saved(request, item, form, verb):
    text = f"{item.exercise.name} {verb} {item.get_day_display()}."
    if form.will_wait:
        messages.warning(
            request,
            text + " It is marked Danger and waits for your therapist's decision.",
        )
    elif form.danger_findings:
        messages.warning(
            request,
            text + " It stays marked Danger on your week and your printed sheet.",
        )
    else:
        messages.success(request, text)


STALE = (
    "This exercise was changed in another window or tab since you opened this page. "
    "Please check it again below and save once more."
)


@owned_item
@require_http_methods(["GET", "POST"])
def item_edit(request, item):
    routine = item.routine
    profile = HealthProfile.of_owner(routine)
    care = _patient_confirms(routine)
    if request.method == "POST":
        form = RoutineItemForm(request.POST, instance=item, profile=profile, **care)
        if form.is_valid():
            try:
                saved = item.change(
                    version=form.cleaned_data["version"],
                    by=request.user,
                    **form.write_arguments(),
                )
            except StaleEdit:
                return _stale_edit(request, item, profile, care)
            _say_saved(request, saved, form, "saved for")
            return redirect(saved.get_week_url())
    else:
        initial = {}
        swap = request.GET.get("exercise")
        if swap:
            initial["exercise"] = swap
        form = RoutineItemForm(instance=item, profile=profile, initial=initial, **care)
        form.show_findings_for(picking.form_exercise(form, item))
    return _item_form(request, routine, form, title="Change an exercise", item=item)


def _stale_edit(request, item, profile, care):
    """Show the item as it is now, with a plain message, so nothing is overwritten blindly."""
    current = RoutineItem.objects.filter(pk=item.pk).select_related("exercise").first()
    if current is None:
        messages.info(request, "This exercise was removed in another window or tab.")
        return redirect(item.routine)
    form = RoutineItemForm(instance=current, profile=profile, **care)
    form.show_findings_for(current.exercise)
    return _item_form(
        request,
        item.routine,
        form,
        title="Change an exercise",
        item=current,
        status=409,
        problem=STALE,
    )


@owned_item
@require_http_methods(["GET", "POST"])
def item_confirm(request, item):
    """Confirm a danger item: the patient discussed it with their therapist."""
    profile = HealthProfile.of_owner(item.routine)
    findings = checking.candidate_findings(profile, item, item.exercise)
    with_therapist = CareLink.has_therapist(item.routine.owner_id)
    to_confirm = checking.dangers_to_confirm(
        item, findings, with_therapist=with_therapist
    )
    if not to_confirm:
        messages.info(request, f"{item.exercise.name} needs no confirmation.")
        return redirect(item.get_week_url())
    if with_therapist:
        # Approval replaces self-declaration: only the therapist can settle it now.
        messages.info(
            request,
            f"{item.exercise.name} is waiting for your therapist: they will approve it "
            "or advise against it.",
        )
        return redirect(item.get_week_url(anchor="item"))
    form = ConfirmDangerForm(request.POST or None, item=item)
    if form.is_valid():
        try:
            item.acknowledge(to_confirm, version=form.cleaned_data["version"])
        except StaleEdit:
            messages.info(
                request,
                "This exercise was changed in another window or tab. Please read the "
                "warning again.",
            )
            return redirect(item.get_confirm_url())
        messages.success(
            request,
            f"Thank you. {item.exercise.name} on {item.get_day_display()} is confirmed; "
            "it stays marked Danger on your week and your printed sheet.",
        )
        return redirect(item.get_week_url())
    alternatives = checking.safety_data([item.exercise_id]).alternatives_by_slug()
    return render(
        request,
        "routines/item_confirm.html",
        {
            "item": item,
            "routine": item.routine,
            "form": form,
            "findings": presenting.item_findings(findings, alternatives),
        },
        status=400 if form.errors else 200,
    )


@owned_item
@require_http_methods(["GET", "POST"])
def item_delete(request, item):
    if request.method == "POST":
        with suppress(StaleEdit):  # removed in another tab: the result is the same
            item.remove()
        messages.success(
            request, f"{item.exercise.name} removed from {item.get_day_display()}."
        )
        return redirect(item.get_week_url())
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
    try:
        moved = item.move_within_day(-1 if direction == "up" else 1, by=request.user)
    except StaleEdit:
        raise Http404("This exercise was removed.") from None
    say_moved(request, item, direction, moved)
    return redirect(item.get_week_url(anchor="item"))


def say_moved(request, item, direction, moved):
    """The message after "Up" or "Down", for the patient's week and the clinic's."""
    if moved:
        messages.success(request, f"{item.exercise.name} moved {direction}.")
    else:  # a button from an older copy of the week, or sent twice
        end = "first" if direction == "up" else "last"
        messages.info(
            request,
            f"{item.exercise.name} is already {end} on {item.get_day_display()}, "
            "so it was not moved.",
        )


@owned_item
@require_http_methods(["GET", "POST"])
def item_transfer(request, item):
    """Move or copy an item to another day."""
    form = TransferForm(request.POST or None, initial={"day": item.day_code})
    if form.is_valid():
        copy = form.cleaned_data["action"] == "copy"
        try:
            result = item.transfer(
                day=form.cleaned_data["day"], copy=copy, by=request.user
            )
        except StaleEdit:
            raise Http404("This exercise was removed.") from None
        verb = "copied" if copy else "moved"
        messages.success(
            request, f"{item.exercise.name} {verb} to {result.get_day_display()}."
        )
        return redirect(result.get_week_url(anchor="item"))
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
    form = SwapForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("This swap button is out of date. Please reload.")
    if form.cleaned_data["version"] != item.version:
        # A button from an older copy of the week: its exercise may be another one by
        # now, with other alternatives, so say so before looking the choice up.
        return _swap_refused_as_stale(request, item)
    alternative = get_object_or_404(
        item.exercise.alternatives.filter(status=Status.PUBLISHED),
        slug=request.POST.get("exercise", ""),
    )
    profile = HealthProfile.of_owner(item.routine)
    dose, changes = checking.dose_after_swap(profile, item, alternative)
    candidate = RoutineItem(day=item.day, **dose)
    findings = checking.candidate_findings(profile, candidate, alternative)
    with_therapist = CareLink.has_therapist(item.routine.owner_id)
    if checking.dangers_to_confirm(
        candidate, findings, alternative, with_therapist=with_therapist
    ):
        # Never silent: a swap into danger goes through the form and its confirmation.
        url = item.get_edit_url()
        return redirect(f"{url}?{urlencode({'exercise': alternative.slug})}")
    old_name = item.exercise.name
    try:
        swapped, before = item.swap(
            alternative, version=form.cleaned_data["version"], by=request.user, **dose
        )
    except StaleEdit:
        return _swap_refused_as_stale(request, item)
    text = f"{old_name} was swapped for {alternative.name} on {item.get_day_display()}."
    request.session[UNDO_SWAP] = {
        "routine": item.routine_id,
        "item": item.pk,
        "version": swapped.version,
        "before": before,
        "text": " ".join([text, *changes]),
        "shown": False,
    }
    return redirect(swapped.get_week_url(anchor="undo"))  # the Undo button in sight


def _swap_refused_as_stale(request, item):
    messages.info(
        request,
        "This exercise was changed in another window or tab, so it was not swapped. "
        "Please look at it again.",
    )
    return redirect(item.routine)


@owned_item
@require_POST
def item_swap_undo(request, item):
    """Put back the exercise a swap replaced, unless the item was changed since."""
    undo = request.session.pop(UNDO_SWAP, None)
    if not undo or undo["item"] != item.pk:
        messages.info(request, "There is nothing to undo.")
        return redirect(item.routine)
    if not Exercise.objects.visible().filter(pk=undo["before"]["exercise"]).exists():
        messages.info(
            request,
            "That exercise is no longer in the catalogue, so it cannot come back.",
        )
        return redirect(item.routine)
    try:
        item.undo_swap(undo["before"], version=undo["version"])
    except StaleEdit:
        messages.info(
            request, "There is nothing to undo: the exercise was changed since."
        )
        return redirect(item.routine)
    messages.success(request, "The swap is undone.")
    return redirect(item.get_week_url(anchor="item"))
