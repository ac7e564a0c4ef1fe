from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.functional import SimpleLazyObject
from django.utils.module_loading import import_string

from bonefit.jinja2 import LazyFragment
from catalogue.forms import ExerciseFilterForm
from catalogue.models import Exercise, Severity

PER_PAGE = 24
CARD_FIELDS = ["name", "slug", "summary", "category", "position", "weight_bearing"]


@login_not_required
def exercise_list(request):
    # The list as first opened has no query string, so nothing to filter: then the form
    # is only made when the page (not its cached copy) is rendered.
    filtering = bool(request.GET)
    form = SimpleLazyObject(lambda: ExerciseFilterForm(request.GET or None))
    wants_suitable = filtering and form.wants_suitable
    if wants_suitable:
        # Depends on the patient's profile: filtered in SQL, one page at a time, never cached.
        cache_key, cache_seconds = None, 0
    else:
        # The same page for everyone: cached (the queries below never run on a hit)
        # until the catalogue changes. The query string names the page and the filters.
        cache_key = [Exercise.objects.catalogue_version(), request.GET.urlencode()]
        cache_seconds = 300

    def listed():
        exercises = Exercise.objects.published()
        if filtering:
            exercises = form.filter(exercises)
        if wants_suitable:
            unsuitable = import_string(settings.CATALOGUE_UNSUITABLE_PATTERNS)(
                request.user
            )
            exercises = exercises.exclude(patterns__code__in=unsuitable)
        return exercises.with_caution_flag().order_by("name", "pk").only(*CARD_FIELDS)

    number = request.GET.get("page")
    context = {
        "form": form,
        # Lazy: counted and fetched only when the cached fragment has to be rendered.
        "page": SimpleLazyObject(
            lambda: Paginator(listed(), PER_PAGE).get_page(number)
        ),
        "filtered": filtering and form.active,
        "more_filters": filtering
        and form.is_valid()
        and any(value for name, value in form.cleaned_data.items() if name != "q"),
        "cache_key": cache_key,
        "cache_seconds": cache_seconds,
    }
    context["cards_html"] = LazyFragment(
        "catalogue/_exercise_cards.html",
        lambda: {"exercises": context["page"].object_list},
        request,
    )
    return render(request, "catalogue/exercise_list.html", context)


@login_not_required
def exercise_detail(request, slug):
    exercise = get_object_or_404(
        Exercise.objects.visible().prefetch_related(
            "steps", "patterns", "alternatives"
        ),
        slug=slug,
    )
    alternatives = [a for a in exercise.alternatives.all() if a.is_published]
    advice = None
    if request.user.is_authenticated:
        advice = import_string(settings.CATALOGUE_PERSONAL_ADVICE)(
            request.user, exercise
        )
        # Only the alternatives that are safe for this patient.
        safe = set(advice.safe_alternatives)
        alternatives = [a for a in alternatives if a.slug in safe]
    severities = advice.severities if advice else {}
    cautions = [
        (
            pattern,
            Severity(severities[pattern.code]) if pattern.code in severities else None,
        )
        for pattern in exercise.patterns.all()
    ]
    dangerous = advice is not None and advice.is_dangerous
    return render(
        request,
        "catalogue/exercise_detail.html",
        {
            "exercise": exercise,
            "alternatives": alternatives,
            "cautions": cautions,
            "dangerous": dangerous,
            "reasons": [
                pattern for pattern, severity in cautions if severity == Severity.DANGER
            ],
        },
    )


@login_not_required
def moving_safely(request):
    """Everyday bending, lifting and reaching: a page of its own, linked from home and the week."""
    return render(request, "catalogue/moving_safely.html")
