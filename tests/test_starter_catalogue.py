"""The starter catalogue holds every exercise of DOMAIN.md section 7 with its tags."""

import pytest
from django.core.management import call_command

from catalogue.models import Exercise, ExerciseStep, MovementPattern, Status
from routines import safety

pytestmark = pytest.mark.django_db

# (slug, weight-bearing, impact, counts toward, pattern codes), copied from DOMAIN.md section 7
DOMAIN_TABLE = [
    ("brisk-walking", True, "low", "WB AER", ()),
    ("swimming", False, "none", "AER", ()),
    ("elliptical", True, "low", "WB AER", ()),
    ("stair-stepper", True, "low", "WB AER", ()),
    ("low-impact-aerobics", True, "low", "WB AER", ()),
    ("biceps-curl-light", False, "none", "STR", ()),
    ("straight-leg-raise-both-legs", False, "none", "STR", ("LONG_LEVER_SUPINE",)),
    (
        "standing-forward-bend",
        False,
        "none",
        "FLEX",
        ("SPINAL_FLEXION", "SPINAL_ROUNDING"),
    ),
    ("head-to-knee-pose", False, "none", "FLEX", ("SPINAL_FLEXION", "SPINAL_ROUNDING")),
    (
        "seated-forward-bend",
        False,
        "none",
        "FLEX",
        ("SPINAL_FLEXION", "SPINAL_ROUNDING"),
    ),
    ("sit-up", False, "none", "STR", ("SPINAL_FLEXION", "SPINAL_ROUNDING")),
    ("seated-spinal-twist", False, "none", "FLEX", ("SPINAL_TWIST",)),
    ("standing-trunk-twist-weighted", False, "none", "STR", ("SPINAL_TWIST",)),
    ("headstand", False, "none", "—", ("NECK_LOADING", "FALL_RISK")),
    ("shoulder-stand", False, "none", "—", ("NECK_LOADING", "SPINAL_FLEXION")),
    (
        "plough-pose",
        False,
        "none",
        "—",
        ("NECK_LOADING", "SPINAL_FLEXION", "SPINAL_ROUNDING"),
    ),
    ("deadlift", True, "none", "STR WB", ("HEAVY_LOAD",)),
    ("jumping", True, "high", "WB AER", ("HIGH_IMPACT",)),
    (
        "vigorous-dancing",
        True,
        "moderate",
        "WB AER BAL",
        ("HIGH_IMPACT", "RAPID_JERKY"),
    ),
    ("social-dancing", True, "low", "WB AER BAL", ()),
    ("tennis", True, "high", "WB AER", ("HIGH_IMPACT", "SPINAL_TWIST", "RAPID_JERKY")),
    ("high-impact-aerobics", True, "high", "WB AER", ("HIGH_IMPACT", "RAPID_JERKY")),
    ("wall-push-up", False, "none", "STR", ()),
    ("sit-to-stand", True, "none", "STR WB", ()),
    ("squat-to-chair", True, "none", "STR WB", ()),
    ("goblet-squat", True, "none", "STR WB", ()),
    ("heel-raises", True, "none", "STR WB", ()),
    ("toe-raises", True, "none", "STR WB", ()),
    ("heel-drops", True, "moderate", "WB", ()),
    ("step-ups", True, "low", "STR WB", ()),
    ("lunge", True, "none", "STR WB", ()),
    ("prone-back-extension", False, "none", "POST", ()),
    ("bird-dog", False, "none", "STR", ()),
    ("bridge", False, "none", "STR", ()),
    ("wall-slides", False, "none", "POST", ()),
    ("band-row", False, "none", "STR POST", ()),
    ("chin-tucks", False, "none", "POST", ()),
    ("hip-hinge-dowel", True, "none", "POST", ()),
    ("single-leg-stance-supported", True, "none", "BAL WB", ()),
    ("single-leg-stance-free", True, "none", "BAL WB", ("FALL_RISK",)),
    ("tandem-walk-supported", True, "low", "BAL WB", ()),
    ("tandem-walk-open", True, "low", "BAL WB", ("FALL_RISK",)),
    ("tai-chi", True, "low", "BAL WB", ()),
    ("stair-climbing", True, "low", "WB AER STR", ()),
    ("stationary-cycling", False, "none", "AER", ()),
    ("water-aerobics", False, "none", "AER", ()),
    ("crunch", False, "none", "STR", ("SPINAL_FLEXION",)),
    ("toe-touch", False, "none", "FLEX", ("SPINAL_FLEXION", "SPINAL_ROUNDING")),
    ("golf-swing", True, "low", "WB", ("SPINAL_TWIST",)),
    ("skipping-rope", True, "high", "WB AER", ("HIGH_IMPACT",)),
    ("jogging", True, "moderate", "WB AER", ("HIGH_IMPACT",)),
    ("overhead-press", False, "none", "STR", ()),
    ("farmers-carry", True, "low", "STR WB", ()),
    ("plank", False, "none", "STR", ()),
    ("side-plank", False, "none", "STR", ()),
    ("dead-bug", False, "none", "STR", ()),
    ("bent-knee-leg-lift", False, "none", "STR", ()),
    ("single-straight-leg-raise", False, "none", "STR", ()),
    ("clamshell", False, "none", "STR", ()),
    ("standing-hip-abduction", True, "none", "STR WB", ()),
    ("pilates-roll-up", False, "none", "STR", ("SPINAL_FLEXION", "SPINAL_ROUNDING")),
    ("rowing-machine", False, "none", "AER STR", ("SPINAL_FLEXION",)),
    ("russian-twist", False, "none", "STR", ("SPINAL_FLEXION", "SPINAL_TWIST")),
    ("cat-stretch", False, "none", "FLEX", ("SPINAL_ROUNDING",)),
    ("kettlebell-swing", True, "low", "STR WB", ("RAPID_JERKY",)),
    ("hamstring-stretch-strap", False, "none", "FLEX", ()),
    ("doorway-chest-stretch", False, "none", "FLEX POST", ()),
]


@pytest.fixture
def starter(db):
    call_command("load_catalogue", verbosity=0)
    return {
        e.slug: e
        for e in Exercise.objects.prefetch_related("patterns", "alternatives", "steps")
    }


@pytest.mark.parametrize(
    ("slug", "weight_bearing", "impact", "counts", "codes"), DOMAIN_TABLE
)
def test_every_domain_exercise_is_present_with_its_tags(
    starter, slug, weight_bearing, impact, counts, codes
):
    exercise = starter[slug]
    assert exercise.status == Status.PUBLISHED
    assert exercise.weight_bearing is weight_bearing
    assert exercise.impact == impact
    assert exercise.strengthening is ("STR" in counts.split())
    assert exercise.trains_balance is ("BAL" in counts.split())
    assert {p.code for p in exercise.patterns.all()} == set(codes)
    steps = list(exercise.steps.all())
    assert len(steps) >= 3, "real step-by-step instructions"
    assert all(len(step.text) > 10 for step in steps)
    assert exercise.summary


def test_flagged_exercises_offer_alternatives_that_are_not_flagged_the_same(starter):
    for exercise in starter.values():
        codes = {p.code for p in exercise.patterns.all()}
        if codes - {
            "HEAVY_LOAD",
            "HIGH_IMPACT",
            "FALL_RISK",
            "RAPID_JERKY",
            "SPINAL_TWIST",
        }:
            alternatives = list(exercise.alternatives.all())
            assert alternatives, exercise.slug
            for alternative in alternatives:
                assert not codes & {p.code for p in alternative.patterns.all()}, (
                    exercise.slug,
                    alternative.slug,
                )


def test_both_legs_raise_is_flagged_and_the_one_leg_raise_is_not(starter):
    both = starter["straight-leg-raise-both-legs"]
    one = starter["single-straight-leg-raise"]
    assert [p.code for p in both.patterns.all()] == ["LONG_LEVER_SUPINE"]
    assert one in both.alternatives.all()
    assert list(one.patterns.all()) == []


def test_swimming_and_cycling_are_not_weight_bearing(starter):
    for slug in ("swimming", "water-aerobics", "stationary-cycling", "rowing-machine"):
        assert starter[slug].weight_bearing is False


def test_loading_twice_creates_no_duplicates_and_keeps_therapist_edits(starter):
    sit_up = starter["sit-up"]
    sit_up.summary = "Edited by a therapist."
    sit_up.save()
    MovementPattern.objects.filter(code="SPINAL_TWIST").update(
        message="Edited message."
    )
    counts = (
        Exercise.objects.count(),
        ExerciseStep.objects.count(),
        MovementPattern.objects.count(),
    )
    call_command("load_catalogue", verbosity=0)
    assert (
        Exercise.objects.count(),
        ExerciseStep.objects.count(),
        MovementPattern.objects.count(),
    ) == counts
    assert counts[0] == len(DOMAIN_TABLE)
    assert counts[2] == 9
    assert Exercise.objects.get(slug="sit-up").summary == "Edited by a therapist."
    assert MovementPattern.objects.get(code="SPINAL_TWIST").message == "Edited message."


def test_pattern_defaults_are_exactly_safety_md(starter):
    for pattern in MovementPattern.objects.all():
        rule = safety.DEFAULT_RULES[pattern.code]
        assert (pattern.low_bone_mass, pattern.osteoporosis, pattern.high_risk) == (
            rule.severities["low_bone_mass"],
            rule.severities["osteoporosis"],
            rule.severities["high_risk"],
        )


def test_seed_demo_is_idempotent_and_the_demo_patient_can_log_in(client):
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    response = client.post(
        "/accounts/login/",
        {"username": "demo", "password": "bonefit-demo"},
        follow=True,
    )
    assert b"My week" in response.content
