"""Adding and changing an exercise in a week, shared by the patient's and the clinic's pages.

Step one is the picker: the published catalogue, searched and filtered, 24 to a page, each
exercise flagged Danger or Take care by the movement patterns that warn the routine's owner, and
"suitable for ..." leaving those out in SQL. Step two is the item form: the dose, the day and
the warnings for one exercise. The views differ only in who may open them, where their links
lead and a few words; those come in as arguments, and the templates
`routines/_picker.html` and `routines/_item_form.html` draw the rest for both.
"""

from dataclasses import dataclass

from django.core.paginator import Paginator

from catalogue.forms import ExerciseFilterForm
from catalogue.models import Exercise
from routines import checking, presenting, safety
from routines.models import Weekday
from routines.safety import DAYS

PAGE_SIZE = 24
CARD_FIELDS = ("name", "slug", "summary")  # what a picker card shows


def requested_day(request):
    """The day code from ?day=, Monday when it is missing or not a day."""
    day = request.GET.get("day")
    return day if day in DAYS else "mon"


def picker_context(request, profile):
    """The picker's search form, one page of exercises and the day, for `profile`'s owner.

    Four queries whatever the size of the catalogue (five the first time this process
    sees the catalogue's version): the version (for the pattern rules), the count, the
    page and the warning flags of the page's exercises. "Suitable" starts ticked for someone with a
    profile; the hidden `filtered` field tells a first visit from a search that unticked it.
    """
    data = request.GET.copy()
    if "filtered" not in data and profile.pk:
        data["suitable"] = "on"
    picker = ExerciseFilterForm(data)
    severities = checking.warning_pattern_severities(profile.as_facts())
    codes = frozenset(severities)
    exercises = picker.filter(Exercise.objects.published())
    if picker.wants_suitable:
        # One uncorrelated subquery, read once, rather than a check per exercise.
        exercises = exercises.exclude(pk__in=_carrying(codes))
    exercises = exercises.only(*CARD_FIELDS).order_by("name", "pk")
    page = Paginator(exercises, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _flag_warnings(page.object_list, severities)
    day = requested_day(request)
    return {
        "picker": picker,
        "page": page,
        "day": day,
        "day_label": Weekday.from_code(day).label,
        "more_filters": any(data.get(f.name) for f in picker.detail_filters()),
    }


def _carrying(codes):
    """The ids of the exercises that carry one of these movement patterns (a subquery)."""
    return Exercise.patterns.through.objects.filter(
        movementpattern__code__in=codes
    ).values("exercise_id")


@dataclass(frozen=True)
class CardWarning:
    """The warning an exercise's card shows: its word and icon (never colour alone)."""

    severity: str
    word: str
    icon: str


def _flag_warnings(exercises, severities):
    """Set `warning` (a CardWarning, or None) on one page of exercises: the highest
    severity the patient's profile gives its movement patterns (`severities`, see
    checking.warning_pattern_severities). One query for the page alone."""
    exercises = list(exercises)
    highest = {}
    rows = Exercise.patterns.through.objects.filter(
        exercise_id__in=[e.pk for e in exercises],
        movementpattern__code__in=severities,
    ).values_list("exercise_id", "movementpattern__code")
    for exercise_id, code in rows:
        if highest.get(exercise_id) != safety.DANGER:
            highest[exercise_id] = severities[code]
    for exercise in exercises:
        severity = highest.get(exercise.pk)
        exercise.warning = severity and CardWarning(
            severity,
            presenting.SEVERITY_WORDS[severity],
            presenting.SEVERITY_ICONS[severity],
        )
    return exercises


def form_exercise(form, item):
    """The exercise the item form is about: the one it names (a swap), else the item's."""
    value = form["exercise"].value()
    if value:
        exercise = Exercise.objects.visible().filter(slug=value).first()
        if exercise is not None:
            return exercise
    return item.exercise if item else None


def item_form_context(form, *, item=None, status=None):
    """The exercise, its warnings with their safer alternatives, and the HTTP status."""
    exercise = form_exercise(form, item)
    alternatives = {}
    if exercise is not None:
        alternatives = checking.safety_data([exercise.pk]).alternatives_by_slug()
    findings = presenting.item_findings(form.findings, alternatives)
    day = form["day"].value()
    if status is None:
        status = 400 if form.is_bound and form.errors else 200
    return {
        "form": form,
        "item": item,
        "exercise": exercise,
        "day": day if day in DAYS else "mon",
        "findings": findings,
        "alternatives": presenting.distinct_alternatives(findings),
        "needs_acknowledgement": form.needs_tick or form["acknowledge_danger"].errors,
    }, status
