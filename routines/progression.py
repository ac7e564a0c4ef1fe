"""When to offer the next step of a strength exercise, and which, as pure Python.

Nothing here imports Django. A step is offered only when the last three logged sessions of
an item, at its present dose, were all rated "easy" without pain and the patient did not
turn the offer down. A "hard" or "hurt" answer among them means no step up. The next step
is more repetitions up to 12, then another set, then a little weight, and never a weight
at or above the patient's load threshold (safety.load_threshold); or the harder version
that therapists linked in the catalogue. Every step must raise no finding above "good to
know" for this patient (the same rules as the week page), so a step never adds a warning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from routines import safety

EASY, ABOUT_RIGHT, HARD = "easy", "about_right", "hard"
FEELINGS = (EASY, ABOUT_RIGHT, HARD)

SESSIONS_NEEDED = 3
REPS_STEP = 2
MAX_REPS = 12  # the top of the guidelines' 8-12 repetitions
MAX_SETS = 3  # the guidelines' 1-3 sets
RESTART_REPS = 8  # after a new set or more weight, start again at the bottom of 8-12
WEIGHT_STEP_KG = Decimal("1")

DOSE, HARDER = "dose", "harder"


@dataclass(frozen=True)
class Rating:
    """One logged session of an item: the answers and the dose it was done at."""

    feeling: str = ""  # one of FEELINGS, or "" when not answered
    hurt: bool | None = None
    declined: bool = False  # the patient said "not now" to a step offered after it
    sets: int | None = None
    reps: int | None = None
    minutes: int | None = None
    load_kg: Decimal | None = None


@dataclass(frozen=True)
class Step:
    kind: str  # DOSE or HARDER
    exercise: safety.Exercise
    sets: int | None = None
    reps: int | None = None
    minutes: int | None = None
    load_kg: Decimal | None = None


def _same_dose(rating: Rating, item: safety.Item) -> bool:
    return (rating.sets, rating.reps, rating.minutes, rating.load_kg) == (
        item.sets,
        item.reps,
        item.minutes,
        item.load_kg,
    )


def ready(item: safety.Item, ratings: Sequence[Rating]) -> bool:
    """`ratings` newest first. True when the item has earned an offer of a step up."""
    if not item.exercise.strengthening:
        return False
    last = list(ratings[:SESSIONS_NEEDED])
    return len(last) == SESSIONS_NEEDED and all(
        r.feeling == EASY and not r.hurt and not r.declined and _same_dose(r, item)
        for r in last
    )


def _harmless(
    profile: safety.Profile, item: safety.Item, rules: Mapping[str, safety.PatternRule]
) -> bool:
    return all(
        f.severity == safety.INFO for f in safety.item_findings(profile, item, rules)
    )


def dose_step(
    profile: safety.Profile,
    item: safety.Item,
    *,
    weight_allowed: bool,
    rules: Mapping[str, safety.PatternRule] = safety.DEFAULT_RULES,
) -> Step | None:
    """More repetitions, then a set, then a little weight; None when there is no safe step."""
    if item.reps is None:  # timed items (a plank hold) go up through the harder version
        return None
    sets = item.sets or 1
    if item.reps < MAX_REPS:
        candidate = replace(item, reps=min(item.reps + REPS_STEP, MAX_REPS))
    elif sets < MAX_SETS:
        candidate = replace(item, sets=sets + 1, reps=RESTART_REPS)
    elif weight_allowed:
        load = (item.load_kg or Decimal("0")) + WEIGHT_STEP_KG
        if load >= safety.load_threshold(profile, item.exercise):
            return None
        candidate = replace(item, load_kg=load, reps=RESTART_REPS)
    else:
        return None
    if not _harmless(profile, candidate, rules):
        return None
    return Step(
        DOSE,
        item.exercise,
        sets=candidate.sets,
        reps=candidate.reps,
        minutes=candidate.minutes,
        load_kg=candidate.load_kg,
    )


def harder_step(
    profile: safety.Profile,
    item: safety.Item,
    harder: safety.Exercise | None,
    *,
    sets: int | None,
    reps: int | None,
    minutes: int | None,
    rules: Mapping[str, safety.PatternRule] = safety.DEFAULT_RULES,
) -> Step | None:
    """The harder version at its usual dose (given), if it is harmless for this patient."""
    if harder is None or (reps is None and minutes is None):
        return None
    candidate = safety.Item(
        item.day, harder, sets=sets, reps=reps, minutes=minutes, key=item.key
    )
    if not _harmless(profile, candidate, rules):
        return None
    return Step(HARDER, harder, sets=sets, reps=reps, minutes=minutes)


def suggestions(
    profile: safety.Profile,
    item: safety.Item,
    ratings: Sequence[Rating],
    *,
    weight_allowed: bool,
    harder: safety.Exercise | None = None,
    harder_dose: tuple[int | None, int | None, int | None] = (None, None, None),
    rules: Mapping[str, safety.PatternRule] = safety.DEFAULT_RULES,
) -> list[Step]:
    """The steps to offer for one item (none, one or both kinds), dose step first."""
    if not ready(item, ratings):
        return []
    sets, reps, minutes = harder_dose
    steps = [
        dose_step(profile, item, weight_allowed=weight_allowed, rules=rules),
        harder_step(
            profile, item, harder, sets=sets, reps=reps, minutes=minutes, rules=rules
        ),
    ]
    return [step for step in steps if step is not None]
