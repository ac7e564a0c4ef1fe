"""The step-up ladder and the weekly tally, as pure functions (no database)."""

from datetime import date
from decimal import Decimal

import pytest

from routines import progression, safety, targets
from routines.progression import Rating

OSTEOPOROSIS = safety.Profile(diagnosis="osteoporosis")
SQUAT = safety.Exercise(slug="squat", strengthening=True, weight_bearing=True)


def item(**dose):
    return safety.Item("mon", SQUAT, **({"sets": 2, "reps": 10} | dose))


def easy(it, n=3, **answers):
    return [
        Rating(
            **({"feeling": "easy", "hurt": False} | answers),
            sets=it.sets,
            reps=it.reps,
            minutes=it.minutes,
            load_kg=it.load_kg,
        )
    ] * n


@pytest.mark.parametrize(
    ("dose", "step"),
    [
        ({"sets": 2, "reps": 10}, (2, 12, None)),
        ({"sets": 1, "reps": 11}, (1, 12, None)),
        ({"sets": 2, "reps": 12}, (3, 8, None)),
        ({"sets": 3, "reps": 12}, (3, 8, Decimal("1"))),
        ({"sets": 3, "reps": 12, "load_kg": Decimal("8")}, (3, 8, Decimal("9"))),
    ],
)
def test_the_ladder_is_repetitions_then_a_set_then_a_little_weight(dose, step):
    it = item(**dose)
    [offered] = progression.suggestions(OSTEOPOROSIS, it, easy(it), weight_allowed=True)
    assert (offered.sets, offered.reps, offered.load_kg) == step


@pytest.mark.parametrize(
    ("profile", "load", "offered"),
    [
        (safety.Profile("osteoporosis"), "8", True),  # 9 kg < 10 kg
        (safety.Profile("osteoporosis"), "9", False),  # 10 kg would reach the threshold
        (safety.Profile("osteopenia"), "18", True),  # 19 kg < 20 kg
        (safety.Profile("osteopenia"), "19", False),
        (safety.Profile("osteopenia", frozenset({"spine"})), "4", False),  # 5 kg
    ],
)
def test_weight_never_reaches_the_load_threshold(profile, load, offered):
    it = item(sets=3, reps=12, load_kg=Decimal(load))
    steps = progression.suggestions(profile, it, easy(it), weight_allowed=True)
    assert bool(steps) is offered


def test_no_weight_step_where_weight_makes_no_sense():
    it = item(sets=3, reps=12)
    assert (
        progression.suggestions(OSTEOPOROSIS, it, easy(it), weight_allowed=False) == []
    )


@pytest.mark.parametrize(
    "ratings",
    [
        lambda it: easy(it, 2),
        lambda it: easy(it, 2) + easy(it, 1, feeling="hard"),
        lambda it: easy(it, 2, hurt=True) + easy(it, 1),
        lambda it: easy(it, 1) + easy(it, 1, declined=True) + easy(it, 1),
        lambda it: easy(item(reps=8), 3),  # easy at an older dose
    ],
)
def test_fewer_than_three_easy_painless_sessions_at_this_dose_offer_nothing(ratings):
    it = item()
    assert (
        progression.suggestions(OSTEOPOROSIS, it, ratings(it), weight_allowed=True)
        == []
    )


def test_only_strength_items_go_up():
    walk = safety.Item("mon", safety.Exercise("walk", weight_bearing=True), minutes=30)
    assert progression.ready(walk, easy(walk)) is False


def test_a_harder_version_is_offered_only_when_it_raises_nothing_above_good_to_know():
    it = item()
    goblet = safety.Exercise(slug="goblet", strengthening=True)
    twist = safety.Exercise(slug="twist", patterns=frozenset({safety.SPINAL_TWIST}))
    offered = progression.suggestions(
        OSTEOPOROSIS,
        it,
        easy(it),
        weight_allowed=True,
        harder=goblet,
        harder_dose=(2, 10, None),
    )
    assert [s.kind for s in offered] == ["dose", "harder"]
    refused = progression.suggestions(
        OSTEOPOROSIS,
        it,
        easy(it),
        weight_allowed=True,
        harder=twist,
        harder_dose=(2, 10, None),
    )
    assert [s.kind for s in refused] == ["dose"]


def test_the_weekly_tally_counts_days_not_sessions():
    monday = date(2026, 11, 23)
    done = [
        targets.Session(monday, 30, weight_bearing=True),
        targets.Session(monday, None, strengthening=True),
        targets.Session(monday, None, strengthening=True),
        targets.Session(
            date(2026, 11, 26), None, trains_balance=True, weight_bearing=True
        ),
    ]
    week = targets.tally(monday, [None] * 8, done)
    assert (week.adherence, week.weight_bearing_minutes) == (50, 30)
    assert (week.strength_days, week.balance_days) == (1, 1)
    assert week.met() == {
        "weight_bearing_minutes": False,
        "strength_days": False,
        "balance_days": False,
    }
    assert targets.tally(monday, [], []).adherence is None


def test_targets_and_progression_import_nothing_from_django():
    import ast
    from pathlib import Path

    for module in ("targets", "progression", "charts"):
        tree = ast.parse(Path(f"routines/{module}.py").read_text())
        names = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        } | {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert not any(name.startswith("django") for name in names), module
