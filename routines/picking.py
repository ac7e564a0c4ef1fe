"""Adding and changing an exercise in a week, shared by the patient's and the clinic's pages.

Step one is the picker: the published catalogue, searched and filtered, 24 to a page, each
exercise flagged when it carries a movement pattern that warns for the routine's owner, and
"suitable for ..." leaving those out in SQL. Step two is the item form: the dose, the day and
the warnings for one exercise. The views differ only in who may open them, where their links
lead and a few words; those come in as arguments, and the templates
`routines/_picker.html` and `routines/_item_form.html` draw the rest for both.
"""

from django.core.paginator import Paginator

from catalogue.forms import ExerciseFilterForm
from catalogue.models import Exercise
from routines import checking, presenting
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

    A fixed number of queries whatever the size of the catalogue: the pattern rules, the
    count and the page. "Suitable" starts ticked for someone with a profile; the hidden
    `filtered` field tells a first visit from a search in which it was unticked.
    """
    data = request.GET.copy()
    if "filtered" not in data and profile.pk:
        data["suitable"] = "on"
    picker = ExerciseFilterForm(data)
    codes = checking.warning_pattern_codes(profile.as_facts())
    exercises = picker.filter(Exercise.objects.published()).with_warning_flag(codes)
    if picker.wants_suitable:
        exercises = exercises.filter(has_warning=False)
    exercises = exercises.only(*CARD_FIELDS).order_by("name", "pk")
    day = requested_day(request)
    return {
        "picker": picker,
        "page": Paginator(exercises, PAGE_SIZE).get_page(request.GET.get("page")),
        "day": day,
        "day_label": Weekday.from_code(day).label,
        "more_filters": any(data.get(f.name) for f in picker.detail_filters()),
    }


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
