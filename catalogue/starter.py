"""The starter catalogue (DOMAIN.md section 7) and SAFETY.md's movement-pattern defaults."""

import json
from pathlib import Path

from django.db import transaction

from catalogue.models import Exercise, ExerciseStep, MovementPattern, Status

STARTER_FILE = Path(__file__).parent / "data" / "starter_catalogue.json"


def load_patterns(defaults):
    """Create each missing movement pattern from `defaults` (code -> rule); keep edited ones."""
    created = 0
    for code, rule in defaults.items():
        _, was_created = MovementPattern.objects.get_or_create(
            code=code,
            defaults={
                "message": rule.message,
                "low_bone_mass": rule.severities["low_bone_mass"],
                "osteoporosis": rule.severities["osteoporosis"],
                "high_risk": rule.severities["high_risk"],
            },
        )
        created += was_created
    return created


def load_exercises(path=STARTER_FILE):
    """Create each missing starter exercise, published, with its steps and alternatives.

    Exercises that already exist are left as therapists made them, so this is idempotent.
    Returns the number created.
    """
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    patterns = {p.code: p for p in MovementPattern.objects.all()}
    new = {}
    with transaction.atomic():
        existing = set(Exercise.objects.values_list("slug", flat=True))
        for record in records:
            if record["slug"] in existing:
                continue
            fields = {
                key: value
                for key, value in record.items()
                if key not in {"patterns", "alternatives", "steps", "easier", "harder"}
            }
            exercise = Exercise.objects.create(status=Status.PUBLISHED, **fields)
            exercise.patterns.set([patterns[code] for code in record["patterns"]])
            ExerciseStep.objects.bulk_create(
                ExerciseStep(exercise=exercise, order=n, text=text)
                for n, text in enumerate(record["steps"], start=1)
            )
            new[record["slug"]] = (exercise, record)
        by_slug = {e.slug: e for e in Exercise.objects.all()}
        for exercise, record in new.values():
            exercise.alternatives.set(
                [by_slug[slug] for slug in record["alternatives"]]
            )
            # A progression link to an exercise that is not there is left empty.
            exercise.easier_version = by_slug.get(record.get("easier") or "")
            exercise.harder_version = by_slug.get(record.get("harder") or "")
            if exercise.easier_version or exercise.harder_version:
                exercise.save(update_fields=["easier_version", "harder_version"])
    return len(new)
