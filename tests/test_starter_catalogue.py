"""The starter catalogue: every exercise with its tags, the content rules of version 2, and
load_catalogue, which updates starter exercises without touching therapists' edits."""

import copy
import json
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.management import call_command

from catalogue.models import (
    Category,
    Exercise,
    ExerciseStep,
    MovementPattern,
    Position,
    Status,
)
from catalogue.starter import STARTER_FILE
from routines import checking, safety
from routines.models import HealthProfile

pytestmark = pytest.mark.django_db

# (slug, weight-bearing, impact, counts toward, pattern codes), from the team's exercise research
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
    ("heel-drops", True, "moderate", "WB", ("MODERATE_IMPACT",)),
    ("step-ups", True, "low", "STR WB", ()),
    ("lunge", True, "none", "STR WB", ()),
    ("prone-back-extension", False, "none", "POST", ()),
    ("bird-dog", False, "none", "STR", ()),
    ("bridge", False, "none", "STR", ()),
    ("wall-slides", False, "none", "POST", ()),
    ("band-row", False, "none", "STR POST", ()),
    ("chin-tucks", False, "none", "POST", ()),
    ("hip-hinge-dowel", False, "none", "POST", ()),  # a technique drill
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
    ("floor-transfer", False, "none", "—", ()),
    ("moving-safely", False, "none", "—", ()),
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
    assert counts[2] == len(safety.PATTERN_CODES)
    assert Exercise.objects.get(slug="sit-up").summary == "Edited by a therapist."
    assert MovementPattern.objects.get(code="SPINAL_TWIST").message == "Edited message."


def test_pattern_defaults_are_exactly_the_default_rules(starter):
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
    response = client.post(
        "/accounts/login/",
        {"username": "demo-harold", "password": "bonefit-demo"},
        follow=True,
    )
    assert b"My week" in response.content
    assert HealthProfile.objects.get(user__username="demo-harold").risk_level == (
        "high_risk"
    )


# --- content rules of version 2 --------------------------------------------------------


def _steps(exercise):
    return [step.text for step in exercise.steps.all()]


def test_every_floor_exercise_starts_and_ends_with_the_safe_way_down_and_up(starter):
    floor = [e for e in starter.values() if e.position == Position.FLOOR]
    assert len(floor) >= 10
    for exercise in floor:
        steps = " ".join(_steps(exercise)[:2])
        assert "Getting down to the floor and up again" in steps, exercise.slug
        assert "Never sit straight up" in _steps(exercise)[-1], exercise.slug
        assert exercise.starts_on_floor
    transfer = starter["floor-transfer"]
    assert not transfer.starts_on_floor
    text = " ".join(_steps(transfer))
    assert "like a log" in text
    assert "Never sit straight up from lying on your back" in text


def test_cue_fixes(starter):
    for slug in ("dead-bug", "bent-knee-leg-lift"):
        text = " ".join(_steps(starter[slug])) + starter[slug].cautions
        assert "small gap under your lower back" in text, slug
        assert "pressed to the mat" not in text, slug
        assert "back flat" not in text, slug
    assert "Don't let the top hip roll back" in " ".join(_steps(starter["clamshell"]))
    twist = starter["seated-spinal-twist"]
    assert twist.position == Position.CHAIR
    assert "chair" in _steps(twist)[0]
    assert {a.slug for a in twist.alternatives.all()} == {
        "chin-tucks",
        "wall-slides",
        "doorway-chest-stretch",
    }


def test_moving_safely_is_a_daily_life_entry_covering_everyday_moves(starter):
    entry = starter["moving-safely"]
    assert (entry.category, entry.status) == (Category.DAILY_LIFE, Status.PUBLISHED)
    text = " ".join(_steps(entry)).lower()
    for topic in ("hip hinge", "dishwasher", "gardening", "car boot", "cough", "sneez"):
        assert topic in text, topic


PROFILES = [
    safety.Profile(diagnosis, fractures, falls_last_year=fell, neuropathy=numb)
    for diagnosis, fractures in (
        ("osteopenia", ()),  # low_bone_mass
        ("osteoporosis", ()),  # osteoporosis
        ("osteopenia", ("wrist",)),  # osteoporosis
        ("osteopenia", ("spine",)),  # high_risk
        ("osteoporosis", ("hip",)),  # high_risk, hip escalation
        ("unsure", ("wrist", "wrist")),  # high_risk by two fractures
    )
    for fell in (False, True)
    for numb in (False, True)
]


def test_property_every_alternative_offered_is_safe_for_that_profile(starter):
    """For every starter exercise, level, and fall and neuropathy combination, at the usual
    dose and with weights: each alternative offered raises nothing above "info" once
    swapped in (a swap takes off a weight that is heavy for the new exercise)."""
    rules = checking.pattern_rules()
    data = checking.safety_data(e.pk for e in starter.values())
    facts = {slug: data.facts(e) for slug, e in starter.items()}
    assert {p.risk_level for p in PROFILES} == set(safety.RISK_LEVELS)
    offered = checked = 0
    for slug, exercise in starter.items():
        for profile in PROFILES:
            for load in (None, Decimal("4"), Decimal("12"), Decimal("25")):
                item = safety.Item(
                    "wed",
                    facts[slug],
                    sets=exercise.default_sets,
                    reps=exercise.default_reps or 10,
                    minutes=exercise.default_minutes,
                    load_kg=load,
                )
                for finding in safety.item_findings(profile, item, rules):
                    checked += 1
                    if finding.severity != safety.INFO and not finding.alternatives:
                        assert finding.message.endswith(safety.ASK_THERAPIST)
                    for alternative in finding.alternatives:
                        offered += 1
                        swapped = replace(
                            item,
                            exercise=facts[alternative],
                            load_kg=safety.load_after_swap(
                                profile, load, facts[alternative]
                            ),
                        )
                        severities = {
                            f.severity
                            for f in safety.item_findings(profile, swapped, rules)
                        }
                        assert severities <= {safety.INFO}, (slug, alternative, profile)
    # The property was really exercised:
    assert checked > 1000
    assert offered > 500


def test_jumping_after_a_spine_fracture_offers_brisk_walking_not_heel_drops(starter):
    rules = checking.pattern_rules()
    jumping = checking.safety_data([starter["jumping"].pk]).facts(starter["jumping"])
    spine = safety.Profile("osteoporosis", ("spine",))
    [finding] = safety.item_findings(spine, safety.Item("mon", jumping, reps=10), rules)
    assert finding.alternatives == ("brisk-walking",)


# --- load_catalogue never overwrites therapists' edits -----------------------------------


def _write(path, records):
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def test_unedited_starter_exercises_are_brought_up_to_date_and_edited_ones_kept(
    tmp_path, patterns
):
    from catalogue.starter import history_entry, load_exercises, read_records

    current = read_records()
    old = copy.deepcopy(current)
    by_slug = {r["slug"]: r for r in old}
    by_slug["dead-bug"]["steps"][-1] = "Keep your lower back gently pressed to the mat."
    by_slug["clamshell"]["cautions"] = ""
    by_slug["bridge"]["summary"] = "An older summary."
    by_slug["heel-drops"]["patterns"] = []
    old_file = _write(tmp_path / "old.json", old)
    history = tmp_path / "history.json"
    history.write_text(json.dumps({"versions": [history_entry(old, 1)]}))

    load_exercises(old_file, history)  # a database that holds the older text
    bridge = Exercise.objects.get(slug="bridge")
    bridge.summary = "Our clinic's own words."  # a therapist's edit
    bridge.save()
    Exercise.objects.filter(slug="clamshell").update(status=Status.RETIRED)
    stamps = dict(Exercise.objects.values_list("slug", "updated_at"))

    report = load_exercises(STARTER_FILE, history)
    assert sorted(report.updated) == ["clamshell", "dead-bug", "heel-drops"]
    assert report.kept_edited == ["bridge"]
    assert report.added == []
    dead_bug = Exercise.objects.get(slug="dead-bug")
    assert "small gap under your lower back" in " ".join(_steps(dead_bug))
    assert [p.code for p in Exercise.objects.get(slug="heel-drops").patterns.all()] == [
        "MODERATE_IMPACT"
    ]
    clamshell = Exercise.objects.get(slug="clamshell")
    assert clamshell.cautions.startswith("Keep the top hip from rolling backwards")
    assert clamshell.status == Status.RETIRED  # an update never changes the status
    assert Exercise.objects.get(slug="bridge").summary == "Our clinic's own words."
    unchanged = {
        slug
        for slug, stamp in Exercise.objects.values_list("slug", "updated_at")
        if stamps[slug] == stamp
    }
    assert unchanged == set(stamps) - {"clamshell", "dead-bug", "heel-drops"}

    # Running it again changes nothing at all.
    stamps = dict(Exercise.objects.values_list("slug", "updated_at"))
    steps = list(ExerciseStep.objects.order_by("pk").values_list("pk", "text"))
    again = load_exercises(STARTER_FILE, history)
    assert (again.added, again.updated, again.kept_edited) == ([], [], ["bridge"])
    assert dict(Exercise.objects.values_list("slug", "updated_at")) == stamps
    assert list(ExerciseStep.objects.order_by("pk").values_list("pk", "text")) == steps


def test_shipped_history_recognises_the_exercises_version_2_did_not_change():
    """The fingerprints of version 1 still match every exercise whose text version 2 kept,
    so the fingerprint is stable and existing databases are recognised as unedited."""
    from catalogue.starter import (
        fingerprint,
        read_history,
        read_records,
        record_content,
    )

    [version_1] = read_history()
    changed_in_v2 = set(V2_CHANGED)
    for record in read_records():
        slug = record["slug"]
        if slug in NEW_IN_V2:
            assert slug not in version_1["fingerprints"]
            continue
        matches = version_1["fingerprints"][slug] == fingerprint(
            record_content(record, version_1["fields"])
        )
        assert matches is (slug not in changed_in_v2), slug


def test_load_catalogue_command_reports_what_it_did(capsys, db):
    call_command("load_catalogue")
    first = capsys.readouterr().out
    assert (
        f"Added {len(safety.PATTERN_CODES)} movement patterns and {len(DOMAIN_TABLE)} exercises"
        in first
    )
    Exercise.objects.filter(slug="bridge").update(summary="Edited.")
    call_command("load_catalogue")
    second = capsys.readouterr().out
    assert "updated 0 starter exercises" in second
    assert "Kept 1 exercises as therapists edited them (not updated): bridge." in second


NEW_IN_V2 = {"floor-transfer", "moving-safely"}
# Every floor exercise gained the steps down and up; the others had a content fix.
V2_CHANGED = {
    "bent-knee-leg-lift", "bird-dog", "bridge", "cat-stretch", "clamshell", "crunch",
    "dead-bug", "hamstring-stretch-strap", "head-to-knee-pose", "headstand", "heel-drops",
    "hip-hinge-dowel", "pilates-roll-up", "plank", "plough-pose", "prone-back-extension",
    "russian-twist", "seated-forward-bend", "seated-spinal-twist", "shoulder-stand",
    "side-plank", "single-straight-leg-raise", "sit-up", "straight-leg-raise-both-legs",
}  # fmt: skip
