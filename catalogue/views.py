from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import get_object_or_404, render
from django.utils.module_loading import import_string

from catalogue.forms import ExerciseFilterForm
from catalogue.models import Exercise


def suitable_ids(user, exercises):
    return import_string(settings.CATALOGUE_SUITABILITY)(user, exercises)


@login_not_required
def exercise_list(request):
    form = ExerciseFilterForm(request.GET or None)
    exercises = list(
        form.filter(Exercise.objects.published())
        .with_caution_flag()
        .order_by("name", "pk")
    )
    if form.wants_suitable:
        keep = suitable_ids(request.user, exercises)
        exercises = [e for e in exercises if e.pk in keep]
    return render(
        request,
        "catalogue/exercise_list.html",
        {"form": form, "exercises": exercises, "filtered": form.active},
    )


@login_not_required
def exercise_detail(request, slug):
    exercise = get_object_or_404(
        Exercise.objects.visible().prefetch_related(
            "steps", "patterns", "alternatives"
        ),
        slug=slug,
    )
    alternatives = [a for a in exercise.alternatives.all() if not a.is_retired]
    return render(
        request,
        "catalogue/exercise_detail.html",
        {"exercise": exercise, "alternatives": alternatives},
    )
