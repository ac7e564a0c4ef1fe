"""The starter catalogue and the movement-pattern defaults (docs/catalogue.md).

`load_exercises` brings the starter exercises up to date without touching therapists' work.
It compares each exercise in the database with the text BoneFit shipped: an exercise that
still reads exactly as one of the shipped versions (data/starter_history.json holds their
fingerprints) was never edited, and is brought up to the current version; any other
exercise with a starter slug was edited by a therapist and is left alone.
"""

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from catalogue.models import Exercise, ExerciseStep, MovementPattern, Status

STARTER_FILE = Path(__file__).parent / "data" / "starter_catalogue.json"
HISTORY_FILE = Path(__file__).parent / "data" / "starter_history.json"

# Keys of a starter record that are not plain Exercise fields.
RELATED_KEYS = ("patterns", "alternatives", "steps", "easier", "harder")


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


def _plain(value):
    if isinstance(value, Decimal | float):
        return f"{Decimal(str(value)).normalize():f}"
    return value


def record_content(record, fields):
    """The parts of a shipped record that a therapist could edit, in a comparable form."""
    content = {name: _plain(record.get(name)) for name in fields}
    content["patterns"] = sorted(record.get("patterns", []))
    content["alternatives"] = sorted(record.get("alternatives", []))
    content["steps"] = list(record.get("steps", []))
    return content


def exercise_content(exercise, fields):
    """record_content() of an exercise in the database.

    Needs patterns, alternatives and steps prefetched.
    """
    content = {name: _plain(getattr(exercise, name)) for name in fields}
    content["patterns"] = sorted(p.code for p in exercise.patterns.all())
    content["alternatives"] = sorted(a.slug for a in exercise.alternatives.all())
    content["steps"] = [
        step.text for step in sorted(exercise.steps.all(), key=lambda s: s.order)
    ]
    return content


def fingerprint(content):
    text = json.dumps(content, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def plain_fields(record):
    return sorted(key for key in record if key not in {"slug", *RELATED_KEYS})


def read_records(path=STARTER_FILE):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_history(path=HISTORY_FILE):
    """The shipped versions: [{"version", "fields", "fingerprints": {slug: hash}}]."""
    path = Path(path)
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))["versions"]


def history_entry(records, version):
    """The history entry of the catalogue in `records`, to append to starter_history.json
    before the shipped text changes again (see docs/catalogue.md)."""
    fields = sorted({name for record in records for name in plain_fields(record)})
    return {
        "version": version,
        "fields": fields,
        "fingerprints": {
            record["slug"]: fingerprint(record_content(record, fields))
            for record in records
        },
    }


@dataclass
class LoadReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept_edited: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)


def load_exercises(path=STARTER_FILE, history_path=HISTORY_FILE):
    """Add missing starter exercises and update unedited ones; never touch edited ones.

    Added exercises are published; updated ones keep their status (a retired starter
    exercise stays retired). Running it twice changes nothing. Returns a LoadReport.
    """
    records = read_records(path)
    history = read_history(history_path)
    report = LoadReport()
    patterns = {p.code: p for p in MovementPattern.objects.all()}
    with transaction.atomic():
        existing = {
            e.slug: e
            for e in Exercise.objects.select_for_update()
            .filter(slug__in=[r["slug"] for r in records])
            .prefetch_related("patterns", "alternatives", "steps")
        }
        to_link = []
        for record in records:
            exercise = existing.get(record["slug"])
            if exercise is None:
                exercise = Exercise.objects.create(
                    status=Status.PUBLISHED, **_plain_values(record)
                )
                _write_related(exercise, record, patterns, new=True)
                report.added.append(record["slug"])
                to_link.append((exercise, record))
                continue
            current = plain_fields(record)
            if fingerprint(exercise_content(exercise, current)) == fingerprint(
                record_content(record, current)
            ):
                report.up_to_date.append(record["slug"])
            elif _is_shipped(exercise, history):
                for name, value in _plain_values(record).items():
                    setattr(exercise, name, value)
                exercise.save()
                _write_related(exercise, record, patterns, new=False)
                report.updated.append(record["slug"])
                to_link.append((exercise, record))
            else:
                report.kept_edited.append(record["slug"])
        by_slug = Exercise.objects.in_bulk(
            [
                slug
                for _, record in to_link
                for slug in [
                    *record["alternatives"],
                    record.get("easier"),
                    record.get("harder"),
                ]
                if slug
            ],
            field_name="slug",
        )
        for exercise, record in to_link:
            exercise.alternatives.set(
                [by_slug[slug] for slug in record["alternatives"]]
            )
            _link_versions(exercise, record, by_slug)
    return report


def _link_versions(exercise, record, by_slug):
    """Fill in the easier and harder versions the starter names, where none is set yet (a
    therapist's link is kept; a version that is not in the catalogue is left empty)."""
    changed = []
    for key, name in (("easier", "easier_version"), ("harder", "harder_version")):
        target = by_slug.get(record.get(key) or "")
        if target is not None and getattr(exercise, f"{name}_id") is None:
            setattr(exercise, name, target)
            changed.append(name)
    if changed:
        exercise.save(update_fields=changed)


def _plain_values(record):
    return {key: value for key, value in record.items() if key not in RELATED_KEYS}


def _is_shipped(exercise, history):
    for version in history:
        shipped = version["fingerprints"].get(exercise.slug)
        if shipped and shipped == fingerprint(
            exercise_content(exercise, version["fields"])
        ):
            return True
    return False


def _write_related(exercise, record, patterns, *, new):
    exercise.patterns.set([patterns[code] for code in record["patterns"]])
    if not new:
        exercise.steps.all().delete()
    ExerciseStep.objects.bulk_create(
        ExerciseStep(exercise=exercise, order=n, text=text)
        for n, text in enumerate(record["steps"], start=1)
    )
