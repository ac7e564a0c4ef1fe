"""python manage.py check_routine FILE|-: the JSON seam of docs/safety-rules.md."""

import difflib
import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.models import Exercise, Status
from routines import checking, safety

ITEM_KEYS = {"day", "exercise", "sets", "reps", "minutes", "load_kg"}
MAX_INPUT_BYTES = 1_000_000  # 1 MB
# A routine is four levels deep; anything much deeper is not a routine.
MAX_DEPTH = 10
PROFILE_KEYS = {"diagnosis", "fractures", "falls_last_year", "neuropathy"}


class BadInput(Exception):
    """Input that is not a valid routine; the message is shown to the user as it is."""


class Command(BaseCommand):
    help = "Read a routine as JSON (a path, or - for standard input) and print its safety findings as JSON."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="Path to a JSON file, or - to read standard input."
        )

    def handle(self, *args, file, **options):
        try:
            document = _read(file)
            profile = parse_profile(document.get("profile"))
            raw_items = document.get("items")
            if not isinstance(raw_items, list):
                raise BadInput('"items" must be a list')
            exercises = _load_exercises(raw_items)
            items = [parse_item(n, raw, exercises) for n, raw in enumerate(raw_items)]
        except BadInput as error:
            raise CommandError(f"check_routine: {error}", returncode=2) from None
        findings = safety.check(profile, items, checking.pattern_rules())
        self.stdout.write(
            json.dumps(safety.report(profile, findings), indent=2, ensure_ascii=False)
        )


def _read(file):
    try:
        if file == "-":
            stream = getattr(sys.stdin, "buffer", None)  # a StringIO has none
            data = (
                stream.read(MAX_INPUT_BYTES + 1)
                if stream is not None
                else sys.stdin.read(MAX_INPUT_BYTES + 1).encode()
            )
        else:
            with Path(file).open("rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        raise BadInput(f"no such file: {file}") from None
    except OSError as error:
        raise BadInput(f"cannot read {file}: {error.strerror or error}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise BadInput("the input is over 1 MB; a routine is far smaller")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"cannot read {file}: it is not UTF-8 text") from None
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise BadInput(
            f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise BadInput(_TOO_DEEP) from None
    if _depth(document) > MAX_DEPTH:
        raise BadInput(_TOO_DEEP)
    if not isinstance(document, dict):
        raise BadInput('the JSON must be an object with "profile" and "items"')
    return document


_TOO_DEEP = f"the JSON is nested too deeply (more than {MAX_DEPTH} levels)"


def _depth(document) -> int:
    """How deeply lists and objects nest, without recursion."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:
                stack.extend((child, depth + 1) for child in value)
    return deepest


def parse_profile(raw) -> safety.Profile:
    if not isinstance(raw, dict):
        raise BadInput('"profile" must be an object')
    unknown = set(raw) - PROFILE_KEYS
    if unknown:
        raise BadInput(f"unknown profile field(s): {', '.join(sorted(unknown))}")
    diagnosis = raw.get("diagnosis")
    if diagnosis not in safety.DIAGNOSES:
        raise BadInput(
            f"profile diagnosis must be one of {', '.join(safety.DIAGNOSES)}, "
            f"not {_short(diagnosis)}"
        )
    fractures = raw.get("fractures", [])
    if not isinstance(fractures, list):
        raise BadInput(
            "profile fractures must be a list with one entry per fracture, "
            f"each one of {', '.join(safety.FRACTURE_SITES)}"
        )
    for site in fractures:
        if site not in safety.FRACTURE_SITES:
            raise BadInput(
                f"unknown fracture site {_short(site)} in profile fractures "
                f"(known sites: {', '.join(safety.FRACTURE_SITES)})"
            )
    flags = {}
    for name in ("falls_last_year", "neuropathy"):
        value = raw.get(name, False)
        if not isinstance(value, bool):
            raise BadInput(f"profile {name} must be true or false")
        flags[name] = value
    return safety.Profile(diagnosis=diagnosis, fractures=tuple(fractures), **flags)


def _load_exercises(raw_items):
    slugs = {raw.get("exercise") for raw in raw_items if isinstance(raw, dict)}
    slugs = {slug for slug in slugs if isinstance(slug, str)}
    found = list(Exercise.objects.filter(slug__in=slugs))
    data = checking.safety_data(exercise.pk for exercise in found)
    return {exercise.slug: (exercise, data.facts(exercise)) for exercise in found}


def parse_item(number, raw, exercises) -> safety.Item:
    where = f"item {number + 1}"
    if not isinstance(raw, dict):
        raise BadInput(f"{where} must be an object")
    unknown = set(raw) - ITEM_KEYS
    if unknown:
        raise BadInput(f"{where}: unknown field(s): {', '.join(sorted(unknown))}")
    day = raw.get("day")
    if day not in safety.DAYS:
        raise BadInput(
            f"{where}: unknown day {day!r} (use one of {', '.join(safety.DAYS)})"
        )
    slug = raw.get("exercise")
    if not isinstance(slug, str) or not slug:
        raise BadInput(f'{where}: "exercise" must be a catalogue slug')
    exercise, facts = exercises.get(slug, (None, None))
    if exercise is None:
        raise BadInput(f"{where}: unknown exercise {slug!r}{_closest(slug)}")
    if exercise.status == Status.DRAFT:
        raise BadInput(f"{where}: exercise {slug!r} is a draft, not published")
    sets = _whole(raw.get("sets"), where, "sets", safety.SETS_RANGE)
    reps = _whole(raw.get("reps"), where, "reps", safety.REPS_RANGE)
    minutes = _whole(raw.get("minutes"), where, "minutes", safety.MINUTES_RANGE)
    if reps is None and minutes is None:
        raise BadInput(f"{where}: give reps or minutes")
    load_kg = _load(raw.get("load_kg"), where)
    return safety.Item(
        day=day,
        exercise=facts,
        sets=sets,
        reps=reps,
        minutes=minutes,
        load_kg=load_kg,
        key=number,
    )


def _closest(slug):
    known = Exercise.objects.exclude(status=Status.DRAFT).values_list("slug", flat=True)
    close = difflib.get_close_matches(slug, list(known), n=3, cutoff=0.5)
    return f"; did you mean {', '.join(close)}?" if close else ""


def _whole(value, where, name, bounds):
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | Decimal)
        or value != int(value)
    ):
        raise BadInput(f"{where}: {name} must be a whole number")
    low, high = bounds
    if not low <= value <= high:
        raise BadInput(f"{where}: {name} must be between {low} and {high}, not {value}")
    return int(value)


def _load(value, where):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise BadInput(f"{where}: load_kg must be a number")
    try:
        load = Decimal(value)
    except InvalidOperation:
        raise BadInput(f"{where}: load_kg must be a number") from None
    low, high = safety.LOAD_KG_RANGE
    if not load.is_finite() or not low <= load <= high:
        raise BadInput(
            f"{where}: load_kg must be between {low} and {high}, not {value}"
        )
    if load != load.quantize(Decimal("0.1")):
        raise BadInput(f"{where}: load_kg may have at most one decimal place")
    return load


def _short(value, limit=40):
    """A value as it was written, cut short so that the message stays one short line."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
