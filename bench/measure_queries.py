"""SQL queries per page at several sizes; run by bench/run.py with the bench server's environment.

Prints one JSON object: {page: {size: queries}}.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_ALLOWED_HOSTS"] += ",testserver"

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from catalogue.models import Exercise, MovementPattern, Status  # noqa: E402
from routines import checking  # noqa: E402
from routines.models import HealthProfile, Routine, RoutineItem  # noqa: E402

ITEM_SIZES = (1, 14, 60)
CATALOGUE_SIZES = (50, 500)


def count(client, url):
    """The page's queries with nothing kept yet: the process's catalogue tables dropped
    first, so each page counts the reads a first visit after a catalogue change pays."""
    checking.forget_catalogue_tables()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def main():
    user = User.objects.create_user("query-bench", password="bench-password-123")
    HealthProfile.objects.create(
        user=user, diagnosis="osteoporosis", fracture_spine=True
    )
    client = Client()
    client.force_login(user)
    client.get("/routines/")  # the session's first-visit writes are not the page's
    exercises = list(Exercise.objects.published())
    results = {
        "week page": {},
        "print view": {},
        "catalogue list": {},
        "add-exercise page": {},
    }
    for size in ITEM_SIZES:
        routine = Routine.objects.create(owner=user, name=f"{size} items")
        RoutineItem.objects.bulk_create(
            RoutineItem(
                routine=routine,
                exercise=exercises[i % len(exercises)],
                day=i % 7,
                position=i // 7,
                sets=2,
                reps=10,
            )
            for i in range(size)
        )
        results["week page"][f"{size} items"] = count(
            client, f"/routines/{routine.pk}/"
        )
        results["print view"][f"{size} items"] = count(
            client, f"/routines/{routine.pk}/print/"
        )
    routine = Routine.objects.filter(owner=user).first()
    patterns = list(MovementPattern.objects.all())
    for size in CATALOGUE_SIZES:
        published = Exercise.objects.published()
        if published.count() > size:
            Exercise.objects.filter(
                pk__in=list(published.values_list("pk", flat=True)[size:])
            ).update(status=Status.DRAFT)
        missing = size - Exercise.objects.published().count()
        start = Exercise.objects.count()
        created = Exercise.objects.bulk_create(
            Exercise(
                name=f"Bench exercise {start + n}",
                slug=f"bench-{start + n}",
                status=Status.PUBLISHED,
                category="strength",
                position="standing",
                summary="A benchmark exercise.",
            )
            for n in range(missing)
        )
        for n, exercise in enumerate(created):
            exercise.patterns.set(patterns[n % 3 : n % 3 + 2])
            exercise.alternatives.set(exercises[n % 10 : n % 10 + 2])
        assert Exercise.objects.published().count() == size
        results["catalogue list"][f"{size} exercises"] = count(Client(), "/catalogue/")
        results["add-exercise page"][f"{size} exercises"] = count(
            client, f"/routines/{routine.pk}/items/add/"
        )
    print(json.dumps(results))


main()
