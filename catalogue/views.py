from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.functional import SimpleLazyObject
from django.utils.module_loading import import_string
from django.utils.translation import get_language

from bonefit.jinja2 import LazyFragment
from catalogue.forms import ExerciseFilterForm
from catalogue.models import Exercise, PublishedCards, Severity

PER_PAGE = 24


@login_not_required
def exercise_list(request):
    # The list as first opened (or paged through, or linked with a tracking code) has
    # nothing to filter: then the form is not made at all (filters_html), and the cards
    # come from PublishedCards.
    filtering = any(name in ExerciseFilterForm.base_fields for name in request.GET)
    form = SimpleLazyObject(
        lambda: ExerciseFilterForm(request.GET, signed_in=request.user.is_authenticated)
    )
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
        if not filtering:
            return PublishedCards(PER_PAGE)
        exercises = form.filter(Exercise.objects.published())
        if wants_suitable:
            unsuitable = import_string(settings.CATALOGUE_UNSUITABLE_PATTERNS)(
                request.user
            )
            exercises = exercises.exclude(patterns__code__in=unsuitable)
        return exercises.as_cards()

    number = request.GET.get("page")
    context = {
        # Lazy: counted and fetched only when the cached fragment has to be rendered.
        "page": SimpleLazyObject(
            lambda: Paginator(listed(), PER_PAGE).get_page(number)
        ),
        "cache_key": cache_key,
        "cache_seconds": cache_seconds,
    }
    context["filters_html"] = SimpleLazyObject(
        lambda: filters_html(
            form if filtering else None, signed_in=request.user.is_authenticated
        )
    )
    context["cards_html"] = LazyFragment(
        "catalogue/_exercise_cards.html",
        lambda: {"exercises": context["page"].object_list},
        request,
    )
    return render(request, "catalogue/exercise_list.html", context)


# The search and filters as the list first shows them, by whether someone is signed in and
# the language: the same HTML for everyone, made from the code alone, so made once per
# process (not with DEBUG on, where templates are edited as the server runs). They were a
# third of the list's time whenever its cached copy was missing.
_EMPTY_FILTERS_HTML = {}


def filters_html(form, *, signed_in):
    """The search and filters box: `form` (bound) as the visitor filled it in, or None
    when the list was opened without a filter."""
    if form is None:
        key = (signed_in, get_language())
        if key not in _EMPTY_FILTERS_HTML or settings.DEBUG:
            _EMPTY_FILTERS_HTML[key] = _render_filters(
                ExerciseFilterForm(signed_in=signed_in), signed_in=signed_in
            )
        return _EMPTY_FILTERS_HTML[key]
    return _render_filters(
        form,
        signed_in=signed_in,
        filtered=form.active,
        more_filters=form.is_valid()
        and any(value for name, value in form.cleaned_data.items() if name != "q"),
    )


def _render_filters(form, *, signed_in, filtered=False, more_filters=False):
    return render_to_string(
        "catalogue/_filters.html",
        {
            "form": form,
            "filtered": filtered,
            "more_filters": more_filters,
            "signed_in": signed_in,
        },
    )


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
