"""The clinic: a therapist's pages for the patients who share their plan with them.

Every view here is for users in the Therapists group (anyone else gets a 403), and every
URL that names a patient, a routine or an item first finds it among the patients actively
linked to the therapist (or the therapist's own templates): anything else is a 404, so a
link that ends takes access away at once. Every page a therapist opens about a patient,
and every change, is written to the patient's AccessLog once; refused requests write
nothing. Writes go through the same model methods as the patient's own pages, with
`by=` the therapist.
"""

from collections import defaultdict
from contextlib import suppress
from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, IntegerField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bonefit.jinja2 import render_fragment
from catalogue.models import Exercise
from catalogue.roles import THERAPISTS
from routines import checking, picking, presenting, safety
from routines.forms import (
    RestrictionsForm,
    ReviewForm,
    RoutineForm,
    RoutineItemForm,
    SendTemplateForm,
)
from routines.models import (
    Access,
    AccessLog,
    CareLink,
    EndedBy,
    HealthProfile,
    Review,
    Routine,
    RoutineItem,
    SessionLog,
    ShareCode,
    StaleEdit,
    TokenUsedElsewhere,
    Weekday,
    display_name,
)
from routines.picking import requested_day
from routines.views import print_page, say_moved

PATIENTS_PER_PAGE = 25
PAIN_REPORT_DAYS = 28  # the patient list counts "it hurt" answers of the last 4 weeks


def is_therapist(user):
    return (
        user.is_authenticated
        and user.is_active
        and user.groups.filter(name=THERAPISTS).exists()
    )


def therapist_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_therapist(request.user):
            raise PermissionDenied("The clinic pages are for therapists.")
        return view(request, *args, **kwargs)

    return wrapper


def linked_patient(view):
    """The active link between the therapist and the patient in the URL, or a 404."""

    @therapist_only
    @wraps(view)
    def wrapper(request, patient_pk, **kwargs):
        link = get_object_or_404(
            CareLink.objects.of_therapist(request.user).select_related(
                "patient__health_profile"
            ),
            patient_id=patient_pk,
        )
        return view(request, link, **kwargs)

    return wrapper


def _editable_routines(therapist):
    """The therapist's own templates, and the plans of patients linked to them now."""
    linked = CareLink.objects.of_therapist(therapist).values("patient_id")
    return Routine.objects.filter(
        Q(is_template=True, owner=therapist) | Q(is_template=False, owner_id__in=linked)
    )


def clinic_routine(view):
    @therapist_only
    @wraps(view)
    def wrapper(request, pk, **kwargs):
        routine = get_object_or_404(
            _editable_routines(request.user).select_related("owner__health_profile"),
            pk=pk,
        )
        return view(request, routine, **kwargs)

    return wrapper


def clinic_item(view):
    @therapist_only
    @wraps(view)
    def wrapper(request, pk, item_pk, **kwargs):
        item = get_object_or_404(
            RoutineItem.objects.filter(
                routine__in=_editable_routines(request.user)
            ).select_related("routine__owner__health_profile", "exercise"),
            pk=item_pk,
            routine_id=pk,
        )
        return view(request, item, **kwargs)

    return wrapper


def _log(request, patient, action, what):
    """One entry in the patient's log (nothing for the therapist's own templates)."""
    if patient.pk != request.user.pk:
        AccessLog.record(
            therapist=request.user, patient=patient, action=action, what=what
        )


def _week_url(routine, item=None, *, day_of=None):
    """Where the therapist sees this routine's week: the patient's page, or the template;
    opened at `item`, at the day `day_of` (an item) was on, or at the routine."""
    if routine.is_template:
        url = reverse("clinic:template", args=[routine.pk])
    else:
        url = reverse("clinic:patient", args=[routine.owner_id])
    if item:
        return f"{url}#item-{item.pk}"
    if day_of:
        return f"{url}#day-{routine.pk}-{day_of.day_code}"
    return f"{url}#routine-{routine.pk}"


# The patient list


SORTS = {
    "name": lambda row: row["name"].lower(),
    "risk": lambda row: safety.RISK_LEVELS.index(row["risk"].value),
    "routines": lambda row: row["routines"],
    "waiting": lambda row: row["waiting"],
    "pain": lambda row: row["pain"],
    "activity": lambda row: row["activity"],
}


def _patient_rows(therapist):
    """One row per linked patient, in a fixed number of queries whatever their number:
    the links with profiles, routine counts and pain reports (1), all their items (1), the
    safety data (2) and the rules (1)."""
    since = timezone.localdate() - timedelta(days=PAIN_REPORT_DAYS)
    pain = (
        SessionLog.objects.pain_reports()
        .filter(user=OuterRef("patient_id"), date__gte=since)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last_session = (
        SessionLog.objects.filter(user=OuterRef("patient_id"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    links = list(
        CareLink.objects.of_therapist(therapist)
        .select_related("patient__health_profile")
        .annotate(
            routine_count=Count(
                "patient__routines",
                filter=Q(patient__routines__is_template=False),
                distinct=True,
            ),
            last_routine_change=Max(
                "patient__routines__updated_at",
                filter=Q(patient__routines__is_template=False),
            ),
            pain_reports=Coalesce(Subquery(pain, output_field=IntegerField()), 0),
            last_session=Subquery(last_session),
        )
    )
    patient_ids = [link.patient_id for link in links]
    items = list(
        RoutineItem.objects.filter(
            routine__owner_id__in=patient_ids, routine__is_template=False
        )
        .for_week()
        .select_related("routine")
    )
    tables = checking.catalogue_tables()
    data = tables.safety_data(item.exercise_id for item in items)
    rules = tables.rules()
    by_patient = defaultdict(list)
    for item in items:
        by_patient[item.routine.owner_id].append(item)
    rows = []
    for link in links:
        patient = link.patient
        profile = HealthProfile.for_user_loaded(patient)
        check = checking.check_items(
            profile, by_patient[patient.pk], with_therapist=True, data=data, rules=rules
        )
        moments = [
            moment
            for moment in (
                link.last_routine_change,
                link.last_session,
                profile.updated_at,
                patient.last_login,
            )
            if moment is not None
        ]
        rows.append(
            {
                "patient": patient,
                "name": display_name(patient),
                "risk": profile.risk_level,
                "has_profile": profile.pk is not None,
                "routines": link.routine_count,
                "waiting": len(check.items_to_confirm()),
                "pain": link.pain_reports,
                "activity": max(moments, default=link.started_at),
            }
        )
    return rows


@therapist_only
@require_GET
def patient_list(request):
    sort = request.GET.get("sort", "name")
    key = SORTS.get(sort.removeprefix("-"))
    if key is None:
        sort, key = "name", SORTS["name"]
    rows = sorted(_patient_rows(request.user), key=key, reverse=sort.startswith("-"))
    page = Paginator(rows, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    share_code = ShareCode.objects.filter(therapist=request.user).first()
    columns = [
        ("name", "Patient"),
        ("risk", "Risk level"),
        ("routines", "Routines"),
        ("waiting", "Waiting for approval"),
        ("pain", "Pain reports (4 weeks)"),
        ("activity", "Last activity"),
    ]
    return render(
        request,
        "clinic/patient_list.html",
        {
            "page": page,
            "sort": sort,
            "columns": [
                {
                    "key": name,
                    "label": label,
                    "current": sort.removeprefix("-") == name,
                    "descending": sort == f"-{name}",
                    # A click on the current column turns its order round.
                    "next": f"-{name}" if sort == name else name,
                }
                for name, label in columns
            ],
            "share_code": share_code,
        },
    )


@therapist_only
@require_POST
def share_code_renew(request):
    code = ShareCode.renew_for(request.user)
    messages.success(
        request,
        f"Your new share code is {code.formatted}. The old code no longer works; patients "
        "who already share with you stay linked.",
    )
    return redirect("clinic:patients")


# One patient


def _week_shown(request, routine, check):
    """One routine's week as the clinic pages show it: its counts, and its days as HTML."""
    week = {
        "routine": routine,
        "days": presenting.week_days(check),
        "week_findings": presenting.week_findings(check),
        "danger_items": check.items_flagged(safety.DANGER),
        "caution_items": check.items_flagged(safety.CAUTION),
        "item_count": len(check.items),
        # A template has no patient yet: nothing in it waits for an approval.
        "waiting": 0 if routine.is_template else len(check.items_to_confirm()),
    }
    week["html"] = render_fragment("clinic/_week.html", {"week": week}, request)
    return week


@linked_patient
@require_GET
def patient_detail(request, link):
    patient = link.patient
    profile = HealthProfile.for_user_loaded(patient)
    checks = checking.routine_checks(patient, profile, with_therapist=True)
    weeks = [_week_shown(request, routine, check) for routine, check in checks.items()]
    since = timezone.localdate() - timedelta(days=PAIN_REPORT_DAYS)
    pain_reports = list(
        SessionLog.objects.pain_reports()
        .filter(user=patient, date__gte=since)
        .select_related("exercise")
        .order_by("-date", "-pk")
    )
    _log(request, patient, Access.VIEWED, "your profile and routines")
    return render(
        request,
        "clinic/patient_detail.html",
        {
            "link": link,
            "patient": patient,
            "profile": profile,
            "weeks": weeks,
            "pain_reports": pain_reports,
            "pain_report_days": PAIN_REPORT_DAYS,
            "for_therapist": True,
        },
    )


@linked_patient
@require_http_methods(["GET", "POST"])
def patient_end(request, link):
    if request.method == "POST":
        with transaction.atomic():
            if link.end(by=EndedBy.THERAPIST):
                _log(request, link.patient, Access.CHANGED, "ended the link with you")
        messages.success(
            request,
            f"You no longer see {link.patient_name}'s plan. They can share it with you "
            "again with your share code.",
        )
        return redirect("clinic:patients")
    return render(request, "clinic/patient_end.html", {"link": link})


@linked_patient
@require_http_methods(["GET", "POST"])
def patient_restrictions(request, link):
    form = RestrictionsForm(request.POST or None, instance=link)
    if form.is_valid():
        with transaction.atomic():
            link.write_restrictions(form.cleaned_data["restrictions"])
            _log(
                request,
                link.patient,
                Access.CHANGED,
                "wrote what you should avoid"
                if link.restrictions
                else "removed what you should avoid",
            )
        messages.success(
            request, f"Saved. {link.patient_name} sees it on every routine."
        )
        return redirect("clinic:patient", link.patient_id)
    if request.method == "GET":
        _log(request, link.patient, Access.VIEWED, "what you should avoid")
    return render(
        request,
        "clinic/restrictions_form.html",
        {"form": form, "link": link},
        status=400 if form.errors else 200,
    )


@linked_patient
@require_http_methods(["GET", "POST"])
def patient_routine_create(request, link):
    form = RoutineForm(request.POST or None, submit_label="Create routine")
    if form.is_valid():
        try:
            with transaction.atomic():
                routine, created = Routine.create_for(
                    link.patient,
                    name=form.cleaned_data["name"],
                    submission_token=form.cleaned_data["submission_token"],
                    by=request.user,
                )
                if created:
                    _log(
                        request,
                        link.patient,
                        Access.CHANGED,
                        f"made the routine “{routine.name}” for you",
                    )
        except TokenUsedElsewhere:
            return HttpResponseBadRequest("This form was already used. Please reload.")
        messages.success(
            request, f"Routine “{routine.name}” made. Add exercises to it."
        )
        return redirect(_week_url(routine))
    return render(
        request,
        "clinic/routine_form.html",
        {"form": form, "title": f"New routine for {link.patient_name}", "link": link},
        status=400 if form.errors else 200,
    )


@clinic_routine
@require_GET
def routine_print(request, routine):
    _log(
        request, routine.owner, Access.VIEWED, f"the printed sheet of “{routine.name}”"
    )
    return print_page(request, routine, back_url=_week_url(routine))


# Items, for a patient's routine or a template


def _care(routine):
    """How the item form treats dangers: the therapist approves them for a patient; a
    template has no patient yet, so nothing is approved there."""
    if routine.is_template:
        return {"with_therapist": False, "confirm_as": None, "for_therapist": True}
    return {"with_therapist": True, "confirm_as": "therapist", "for_therapist": True}


@clinic_routine
@require_GET
def item_pick(request, routine):
    """Step one of adding, as on the patient's own page, for the patient's profile."""
    context = picking.picker_context(request, HealthProfile.of_owner(routine))
    _log(request, routine.owner, Access.VIEWED, f"the routine “{routine.name}”")
    for_whom = (
        "the more careful case" if routine.is_template else display_name(routine.owner)
    )
    return render(
        request,
        "routines/exercise_picker.html",
        {
            **context,
            "routine": routine,
            "back_url": _week_url(routine),
            "add_url_name": "clinic:item_add",
            "suitable_for": for_whom,
            "warning_for": for_whom,
        },
    )


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
            "back_url": _week_url(routine, item),
            "pick_url": reverse("clinic:item_pick", args=[routine.pk]),
            "add_url_name": "clinic:item_add",
            "clinic": True,
        },
        status=status,
    )


@clinic_routine
@require_http_methods(["GET", "POST"])
def item_add(request, routine, slug):
    profile = HealthProfile.of_owner(routine)
    if request.method == "POST":
        form = RoutineItemForm(request.POST, profile=profile, **_care(routine))
        if form.is_valid():
            try:
                with transaction.atomic():
                    item, created = routine.add_item(
                        submission_token=form.cleaned_data["submission_token"],
                        by=request.user,
                        **form.write_arguments(),
                    )
                    if created:
                        _log(
                            request,
                            routine.owner,
                            Access.CHANGED,
                            f"added {item.exercise.name} on {item.get_day_display()} "
                            f"to “{routine.name}”",
                        )
            except TokenUsedElsewhere:
                return HttpResponseBadRequest(
                    "This form was already used. Please reload."
                )
            messages.success(
                request, f"{item.exercise.name} added to {item.get_day_display()}."
            )
            return redirect(_week_url(routine, item))
        return _item_form(request, routine, form, title="Add an exercise")
    exercise = Exercise.objects.published().filter(slug=slug).first()
    if exercise is None:
        messages.error(request, "That exercise is not in the catalogue any more.")
        return redirect("clinic:item_pick", routine.pk)
    form = RoutineItemForm(
        profile=profile,
        **_care(routine),
        instance=RoutineItem(
            routine=routine,
            exercise=exercise,
            day=Weekday.from_code(requested_day(request)),
            sets=exercise.default_sets,
            reps=exercise.default_reps,
            minutes=exercise.default_minutes,
        ),
    )
    form.show_findings_for(exercise)
    _log(request, routine.owner, Access.VIEWED, f"the routine “{routine.name}”")
    return _item_form(request, routine, form, title="Add an exercise")


@clinic_item
@require_http_methods(["GET", "POST"])
def item_edit(request, item):
    routine = item.routine
    profile = HealthProfile.of_owner(routine)
    care = _care(routine)
    if request.method == "POST":
        form = RoutineItemForm(request.POST, instance=item, profile=profile, **care)
        if form.is_valid():
            try:
                with transaction.atomic():
                    saved = item.change(
                        version=form.cleaned_data["version"],
                        by=request.user,
                        **form.write_arguments(),
                    )
                    _log(
                        request,
                        routine.owner,
                        Access.CHANGED,
                        f"changed {saved.exercise.name} on {saved.get_day_display()} "
                        f"in “{routine.name}”",
                    )
            except StaleEdit:
                messages.info(
                    request,
                    "The patient changed this exercise since you opened it. Please look "
                    "at it again.",
                )
                return redirect(_week_url(routine, item))
            messages.success(
                request, f"{saved.exercise.name} saved for {saved.get_day_display()}."
            )
            return redirect(_week_url(routine, saved))
    else:
        initial = {}
        if request.GET.get("exercise"):
            initial["exercise"] = request.GET["exercise"]
        form = RoutineItemForm(instance=item, profile=profile, initial=initial, **care)
        form.show_findings_for(picking.form_exercise(form, item))
        _log(
            request,
            routine.owner,
            Access.VIEWED,
            f"{item.exercise.name} on {item.get_day_display()} in “{routine.name}”",
        )
    return _item_form(request, routine, form, title="Change an exercise", item=item)


@clinic_item
@require_http_methods(["GET", "POST"])
def item_review(request, item):
    """Approve a danger item, or advise against it, with a note for the patient."""
    routine = item.routine
    if routine.is_template:
        raise Http404("Templates are approved for each patient they are sent to.")
    profile = HealthProfile.of_owner(routine)
    findings = checking.candidate_findings(profile, item, item.exercise)
    dangers = frozenset(f.code for f in findings if f.severity == safety.DANGER)
    if not dangers:
        messages.info(
            request, f"{item.exercise.name} is not marked Danger: nothing to approve."
        )
        return redirect(_week_url(routine, item))
    form = ReviewForm(request.POST or None, item=item)
    if form.is_valid():
        decision = form.cleaned_data["decision"]
        try:
            with transaction.atomic():
                item.review(
                    decision,
                    dangers,
                    note=form.cleaned_data["note"],
                    by=request.user,
                    version=form.cleaned_data["version"],
                )
                verb = "approved" if decision == Review.APPROVED else "advised against"
                _log(
                    request,
                    routine.owner,
                    Access.CHANGED,
                    f"{verb} {item.exercise.name} on {item.get_day_display()} in "
                    f"“{routine.name}”",
                )
        except StaleEdit:
            messages.info(
                request,
                "The patient changed this exercise since you opened it. Please read it "
                "again before you decide.",
            )
            return redirect(reverse("clinic:item_review", args=[routine.pk, item.pk]))
        messages.success(
            request,
            f"{item.exercise.name} on {item.get_day_display()}: {verb}. "
            f"{display_name(routine.owner)} sees your decision and note.",
        )
        return redirect(_week_url(routine, item))
    if request.method == "GET":
        _log(
            request,
            routine.owner,
            Access.VIEWED,
            f"{item.exercise.name} on {item.get_day_display()} in “{routine.name}”",
        )
    alternatives = checking.safety_data([item.exercise_id]).alternatives_by_slug()
    return render(
        request,
        "clinic/item_review.html",
        {
            "item": item,
            "routine": routine,
            "patient": routine.owner,
            "form": form,
            "findings": presenting.item_findings(findings, alternatives),
            "back_url": _week_url(routine, item),
        },
        status=400 if form.errors else 200,
    )


@clinic_item
@require_POST
def item_move(request, item, direction):
    if direction not in ("up", "down"):
        raise Http404("Items move up or down.")
    try:
        with transaction.atomic():
            moved = item.move_within_day(
                -1 if direction == "up" else 1, by=request.user
            )
            if moved:
                _log(
                    request,
                    item.routine.owner,
                    Access.CHANGED,
                    f"moved {item.exercise.name} {direction} on "
                    f"{item.get_day_display()} in “{item.routine.name}”",
                )
    except StaleEdit:
        raise Http404("This exercise was removed.") from None
    say_moved(request, item, direction, moved)
    return redirect(_week_url(item.routine, item))


@clinic_item
@require_http_methods(["GET", "POST"])
def item_delete(request, item):
    routine = item.routine
    if request.method == "POST":
        with suppress(StaleEdit), transaction.atomic():  # gone already: same result
            item.remove()
            _log(
                request,
                routine.owner,
                Access.CHANGED,
                f"removed {item.exercise.name} from {item.get_day_display()} in "
                f"“{routine.name}”",
            )
        messages.success(
            request, f"{item.exercise.name} removed from {item.get_day_display()}."
        )
        return redirect(_week_url(routine, day_of=item))
    _log(
        request,
        routine.owner,
        Access.VIEWED,
        f"{item.exercise.name} on {item.get_day_display()} in “{routine.name}”",
    )
    return render(
        request,
        "clinic/item_delete.html",
        {"item": item, "routine": routine, "back_url": _week_url(routine, item)},
    )


# Templates


@therapist_only
@require_http_methods(["GET", "POST"])
def template_list(request):
    form = RoutineForm(request.POST or None, submit_label="Make a template")
    if form.is_valid():
        try:
            template, _ = Routine.create_for(
                request.user,
                name=form.cleaned_data["name"],
                submission_token=form.cleaned_data["submission_token"],
                is_template=True,
            )
        except TokenUsedElsewhere:
            return HttpResponseBadRequest("This form was already used. Please reload.")
        messages.success(
            request, f"Template “{template.name}” made. Add exercises to it."
        )
        return redirect("clinic:template", template.pk)
    templates = Routine.objects.templates_of(request.user).annotate(
        item_count=Count("items")
    )
    return render(
        request,
        "clinic/template_list.html",
        {"templates": templates, "form": form},
        status=400 if form.errors else 200,
    )


def _own_template(view):
    @therapist_only
    @wraps(view)
    def wrapper(request, pk, **kwargs):
        template = get_object_or_404(
            Routine.objects.templates_of(request.user).select_related(
                "owner__health_profile"
            ),
            pk=pk,
        )
        return view(request, template, **kwargs)

    return wrapper


@_own_template
@require_GET
def template_detail(request, template):
    items = list(template.items.for_week())
    # A template is checked for the more careful case; each patient's copy for them.
    check = checking.check_items(
        HealthProfile(user=request.user), items, with_therapist=False
    )
    links = CareLink.objects.of_therapist(request.user).select_related("patient")
    return render(
        request,
        "clinic/template_detail.html",
        {
            "routine": template,
            "week": _week_shown(request, template, check),
            "send_form": SendTemplateForm(links=links, initial={"name": template.name}),
            "for_therapist": True,
        },
    )


@_own_template
@require_http_methods(["GET", "POST"])
def template_send(request, template):
    links = list(CareLink.objects.of_therapist(request.user).select_related("patient"))
    form = SendTemplateForm(
        request.POST or None, links=links, initial={"name": template.name}
    )
    if form.is_valid():
        link = next(x for x in links if x.patient_id == form.cleaned_data["patient"])
        with transaction.atomic():
            copy = template.duplicate(
                name=form.cleaned_data["name"], owner=link.patient, by=request.user
            )
            _log(
                request,
                link.patient,
                Access.CHANGED,
                f"sent you the routine “{copy.name}”",
            )
        messages.success(
            request,
            f"{link.patient_name} now has the routine “{copy.name}”. Exercises marked "
            "Danger for them wait for your approval.",
        )
        return redirect(_week_url(copy))
    return render(
        request,
        "clinic/template_send.html",
        {"form": form, "routine": template},
        status=400 if form.errors else 200,
    )


@_own_template
@require_http_methods(["GET", "POST"])
def template_delete(request, template):
    if request.method == "POST":
        template.delete()
        messages.success(request, f"Template “{template.name}” deleted.")
        return redirect("clinic:templates")
    return render(request, "clinic/template_delete.html", {"routine": template})
