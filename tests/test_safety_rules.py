"""The safety rules (docs/safety-rules.md) as parametrised tests of the pure engine (no database)."""

import subprocess
import sys
from decimal import Decimal

import pytest

from routines import safety
from routines.safety import CAUTION, DANGER, INFO, NONE

OSTEOPENIA = safety.Profile("osteopenia")
OSTEOPOROSIS = safety.Profile("osteoporosis")
SPINE_FRACTURE = safety.Profile("osteopenia", fractures=frozenset({"spine"}))

LEVEL_PROFILES = {
    safety.LOW_BONE_MASS: OSTEOPENIA,
    safety.OSTEOPOROSIS: OSTEOPOROSIS,
    safety.HIGH_RISK: SPINE_FRACTURE,
}

# The movement patterns' default severities: code -> (low_bone_mass, osteoporosis, high_risk)
PATTERN_TABLE = {
    "SPINAL_FLEXION": (CAUTION, DANGER, DANGER),
    "SPINAL_ROUNDING": (CAUTION, DANGER, DANGER),
    "SPINAL_TWIST": (CAUTION, CAUTION, DANGER),
    "RAPID_JERKY": (CAUTION, CAUTION, DANGER),
    "NECK_LOADING": (DANGER, DANGER, DANGER),
    "HEAVY_LOAD": (INFO, CAUTION, DANGER),
    "HIGH_IMPACT": (INFO, CAUTION, DANGER),
    "LONG_LEVER_SUPINE": (CAUTION, DANGER, DANGER),
    "MODERATE_IMPACT": (NONE, NONE, CAUTION),
    "FALL_RISK": (INFO, INFO, INFO),
}


def exercise(slug="x", patterns=(), **flags):
    return safety.Exercise(slug=slug, patterns=frozenset(patterns), **flags)


WALK = exercise("brisk-walking", weight_bearing=True)
SQUAT = exercise("sit-to-stand", weight_bearing=True, strengthening=True)
BALANCE = exercise(
    "single-leg-stance-supported", weight_bearing=True, trains_balance=True
)


def only_finding(profile, ex, **dose):
    findings = safety.item_findings(
        profile, safety.Item("mon", ex, **({"reps": 10} | dose))
    )
    assert len(findings) == 1, findings
    return findings[0]


@pytest.mark.parametrize(
    ("diagnosis", "fractures", "level"),
    [
        ("osteopenia", set(), safety.LOW_BONE_MASS),
        ("osteoporosis", set(), safety.OSTEOPOROSIS),
        ("unsure", set(), safety.OSTEOPOROSIS),
        ("osteopenia", {"wrist"}, safety.OSTEOPOROSIS),
        ("osteopenia", {"other"}, safety.OSTEOPOROSIS),
        ("osteopenia", {"spine"}, safety.HIGH_RISK),
        ("osteopenia", {"hip"}, safety.HIGH_RISK),
        ("osteoporosis", {"wrist", "hip"}, safety.HIGH_RISK),
        ("unsure", {"spine"}, safety.HIGH_RISK),
    ],
)
def test_risk_level_is_derived_from_the_profile(diagnosis, fractures, level):
    assert safety.Profile(diagnosis, tuple(fractures)).risk_level == level


@pytest.mark.parametrize(
    ("code", "level", "severity"),
    [
        (code, level, severities[i])
        for code, severities in PATTERN_TABLE.items()
        for i, level in enumerate(safety.RISK_LEVELS)
    ],
)
def test_each_pattern_has_its_default_severity_for_each_level(code, level, severity):
    findings = safety.item_findings(
        LEVEL_PROFILES[level], safety.Item("mon", exercise("tagged", [code]), reps=10)
    )
    if severity == NONE:
        assert findings == []
        return
    [finding] = findings
    assert (finding.code, finding.severity) == (code, severity)
    assert finding.day == "mon"
    assert finding.exercise == "tagged"
    # No alternatives to offer: a warning says to ask the therapist, good-to-know does not.
    expected = safety.DEFAULT_RULES[code].message
    if severity != INFO:
        expected += " " + safety.ASK_THERAPIST
    assert finding.message == expected


@pytest.mark.parametrize(
    ("profile", "severity"),
    [
        (safety.Profile("osteopenia", falls_last_year=True), CAUTION),
        (safety.Profile("osteopenia", neuropathy=True), CAUTION),
        (
            safety.Profile("osteoporosis", frozenset({"spine"}), falls_last_year=True),
            CAUTION,
        ),
        (safety.Profile("osteopenia"), INFO),
    ],
)
def test_fall_risk_escalates_with_a_fall_or_neuropathy(profile, severity):
    assert only_finding(profile, exercise(patterns=["FALL_RISK"])).severity == severity


@pytest.mark.parametrize(
    ("profile", "severity"),
    [
        (safety.Profile("osteopenia", frozenset({"hip"})), DANGER),
        (
            safety.Profile("osteopenia", neuropathy=True),
            CAUTION,
        ),  # info raised to caution
        (safety.Profile("osteoporosis", neuropathy=True), CAUTION),
        (safety.Profile("osteopenia", frozenset({"spine"}), neuropathy=True), DANGER),
        (safety.Profile("osteopenia"), INFO),
    ],
)
def test_high_impact_escalates_with_hip_fracture_and_neuropathy(profile, severity):
    assert (
        only_finding(profile, exercise(patterns=["HIGH_IMPACT"])).severity == severity
    )


@pytest.mark.parametrize(
    ("level", "below", "at"),
    [
        (safety.LOW_BONE_MASS, Decimal("19.9"), Decimal("20")),
        (safety.OSTEOPOROSIS, Decimal("9.9"), Decimal("10")),
        (safety.HIGH_RISK, Decimal("4.9"), Decimal("5")),
    ],
)
def test_load_at_the_threshold_raises_heavy_load(level, below, at):
    profile = LEVEL_PROFILES[level]
    curl = exercise("biceps-curl-light", strengthening=True)
    assert (
        safety.item_findings(profile, safety.Item("mon", curl, reps=10, load_kg=below))
        == []
    )
    finding = only_finding(profile, curl, load_kg=at)
    assert finding.code == "HEAVY_LOAD"
    assert (
        finding.severity == PATTERN_TABLE["HEAVY_LOAD"][safety.RISK_LEVELS.index(level)]
    )
    assert f"{at.normalize():f} kg" in finding.message


def test_exercise_threshold_below_the_level_default_makes_the_warning_stricter():
    goblet = exercise("goblet-squat", load_threshold_kg=Decimal("8"))
    assert (
        safety.item_findings(
            OSTEOPOROSIS, safety.Item("mon", goblet, reps=10, load_kg=Decimal("7.9"))
        )
        == []
    )
    assert only_finding(OSTEOPOROSIS, goblet, load_kg=Decimal("8")).code == "HEAVY_LOAD"
    light = exercise("press", load_threshold_kg=Decimal("2"))
    assert only_finding(OSTEOPENIA, light, load_kg=Decimal("2")).severity == INFO


def test_tagged_heavy_exercise_with_heavy_load_gives_one_finding():
    deadlift = exercise("deadlift", ["HEAVY_LOAD"])
    assert (
        only_finding(SPINE_FRACTURE, deadlift, load_kg=Decimal("40")).severity == DANGER
    )


def test_several_patterns_give_findings_in_safety_md_order_with_alternatives():
    plough = exercise(
        "plough-pose",
        ["SPINAL_ROUNDING", "NECK_LOADING", "SPINAL_FLEXION"],
        alternatives=(exercise("bridge"),),
    )
    findings = safety.item_findings(OSTEOPENIA, safety.Item("tue", plough, reps=1))
    assert [f.code for f in findings] == [
        "SPINAL_FLEXION",
        "SPINAL_ROUNDING",
        "NECK_LOADING",
    ]
    assert [f.severity for f in findings] == [CAUTION, CAUTION, DANGER]
    assert all(f.alternatives == ("bridge",) for f in findings)


def test_therapist_edited_rules_are_used():
    rules = dict(safety.DEFAULT_RULES)
    rules["SPINAL_TWIST"] = safety.PatternRule(
        "SPINAL_TWIST",
        "Edited.",
        {
            safety.LOW_BONE_MASS: DANGER,
            safety.OSTEOPOROSIS: DANGER,
            safety.HIGH_RISK: DANGER,
        },
    )
    finding = safety.item_findings(
        OSTEOPENIA,
        safety.Item("mon", exercise(patterns=["SPINAL_TWIST"]), reps=1),
        rules,
    )[0]
    assert (finding.severity, finding.message) == (
        DANGER,
        "Edited. " + safety.ASK_THERAPIST,
    )


# --- week findings -------------------------------------------------------------------


def week_codes(profile, items):
    return {f.code: f.severity for f in safety.week_findings(profile, items)}


def test_empty_week_raises_only_empty_routine():
    assert week_codes(OSTEOPOROSIS, []) == {"EMPTY_ROUTINE": INFO}


GOOD_WEEK = [
    safety.Item("mon", SQUAT, reps=10),
    safety.Item("mon", WALK, minutes=30),
    safety.Item("wed", BALANCE, minutes=10),
    safety.Item("thu", SQUAT, reps=10),
]


@pytest.mark.parametrize(
    "profile",
    [
        OSTEOPENIA,
        OSTEOPOROSIS,
        SPINE_FRACTURE,
        safety.Profile("unsure", falls_last_year=True, neuropathy=True),
    ],
)
def test_a_clean_week_raises_nothing(profile):
    assert safety.check(profile, GOOD_WEEK) == []


def test_swimming_and_cycling_are_not_weight_bearing():
    swim = exercise("swimming")
    items = [
        safety.Item("mon", swim, minutes=30),
        safety.Item("mon", SQUAT.__class__("curl", strengthening=True), reps=10),
    ]
    assert week_codes(OSTEOPENIA, items)["MISSING_WEIGHT_BEARING"] == CAUTION


def test_missing_strengthening_is_caution():
    items = [
        safety.Item("mon", WALK, minutes=30),
        safety.Item("tue", BALANCE, minutes=5),
    ]
    assert week_codes(OSTEOPENIA, items) == {"MISSING_STRENGTHENING": CAUTION}


def test_strength_on_one_day_is_too_infrequent():
    items = [
        safety.Item("mon", SQUAT, reps=10),
        safety.Item("mon", SQUAT, reps=10),
        safety.Item("tue", BALANCE, minutes=5),
    ]
    assert week_codes(OSTEOPENIA, items) == {"STRENGTH_TOO_INFREQUENT": INFO}


@pytest.mark.parametrize(
    ("days", "raised"),
    [
        (("mon", "tue"), True),
        (("sun", "mon"), True),
        (("mon", "wed", "fri"), False),
        (("mon", "thu"), False),
        (("sat", "sun"), True),
        (("tue", "thu", "sat"), False),
    ],
)
def test_strength_on_consecutive_days_needs_rest(days, raised):
    items = [safety.Item(day, SQUAT, reps=10) for day in days] + [
        safety.Item("wed", BALANCE, minutes=5)
    ]
    assert ("STRENGTH_NO_REST" in week_codes(OSTEOPENIA, items)) is raised
    if raised:
        assert week_codes(OSTEOPENIA, items)["STRENGTH_NO_REST"] == INFO


@pytest.mark.parametrize(
    ("profile", "severity"),
    [
        (OSTEOPENIA, INFO),
        (safety.Profile("osteopenia", falls_last_year=True), CAUTION),
        (safety.Profile("osteoporosis", neuropathy=True), CAUTION),
    ],
)
def test_no_balance_training(profile, severity):
    items = [safety.Item("mon", SQUAT, reps=10), safety.Item("thu", SQUAT, reps=10)]
    assert week_codes(profile, items) == {"NO_BALANCE_TRAINING": severity}


@pytest.mark.parametrize(
    ("neuropathy", "minutes", "exercise_", "raised"),
    [
        (True, 31, WALK, True),
        (True, 30, WALK, False),
        (False, 60, WALK, False),
        (True, 60, exercise("stationary-cycling"), False),
    ],
)
def test_neuropathy_and_long_standing(neuropathy, minutes, exercise_, raised):
    items = [*GOOD_WEEK, safety.Item("sat", exercise_, minutes=minutes)]
    codes = week_codes(safety.Profile("osteopenia", neuropathy=neuropathy), items)
    assert ("NEUROPATHY_LONG_STANDING" in codes) is raised
    if raised:
        assert codes["NEUROPATHY_LONG_STANDING"] == CAUTION


def test_findings_are_ordered_by_day_then_position_then_week():
    sit_up = exercise("sit-up", ["SPINAL_FLEXION"])
    twist = exercise("golf-swing", ["SPINAL_TWIST"])
    items = [
        safety.Item("wed", twist, minutes=30, key="a"),
        safety.Item("mon", sit_up, reps=5, key="b"),
        safety.Item("wed", sit_up, reps=5, key="c"),
    ]
    findings = safety.check(OSTEOPOROSIS, items)
    assert [(f.day, f.exercise) for f in findings[:3]] == [
        ("mon", "sit-up"),
        ("wed", "golf-swing"),
        ("wed", "sit-up"),
    ]
    assert all(f.day is None and f.exercise is None for f in findings[3:])
    assert {f.code for f in findings[3:]} == {
        "MISSING_WEIGHT_BEARING",
        "MISSING_STRENGTHENING",
        "NO_BALANCE_TRAINING",
    }


def test_week_messages_say_what_to_change_in_plain_words():
    for code, message in safety.WEEK_MESSAGES.items():
        assert "_" not in message
        assert code not in message
    for rule in safety.DEFAULT_RULES.values():
        assert "_" not in rule.message


def test_report_has_the_json_seam_shape():
    findings = safety.check(
        OSTEOPOROSIS,
        [
            safety.Item(
                "mon",
                exercise(
                    "sit-up", ["SPINAL_FLEXION"], alternatives=(exercise("bridge"),)
                ),
                reps=5,
            )
        ],
    )
    document = safety.report(OSTEOPOROSIS, findings)
    assert document["rules_version"] == 2
    assert document["risk_level"] == "osteoporosis"
    assert document["findings"][0] == {
        "code": "SPINAL_FLEXION",
        "severity": "danger",
        "day": "mon",
        "exercise": "sit-up",
        "message": safety.DEFAULT_RULES["SPINAL_FLEXION"].message,
        "alternatives": ["bridge"],
    }
    assert document["counts"] == {"danger": 1, "caution": 2, "info": 1}


def test_safety_module_imports_nothing_from_django():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, routines.safety; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "[]"


def test_severity_strings_match_the_catalogue_choices():
    from catalogue.models import PatternCode, Severity

    assert set(Severity.values) == set(safety.RULE_SEVERITIES)
    assert set(PatternCode.values) == set(safety.PATTERN_CODES)
