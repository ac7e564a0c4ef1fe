"""The five rules that changed in version 2, each at each risk level (pure engine, no database)."""

from decimal import Decimal

import pytest

from routines import safety
from routines.safety import CAUTION, DANGER, INFO, NONE

LEVELS = safety.RISK_LEVELS


def exercise(slug="x", patterns=(), **flags):
    return safety.Exercise(slug=slug, patterns=frozenset(patterns), **flags)


def findings(profile, ex, **dose):
    return safety.item_findings(
        profile, safety.Item("mon", ex, **({"reps": 10} | dose))
    )


def severities(profile, ex, **dose):
    return {f.code: f.severity for f in findings(profile, ex, **dose)}


# --- 1. two or more fragility fractures make a patient high_risk ---------------------


@pytest.mark.parametrize(
    ("diagnosis", "fractures", "level"),
    [
        # one fracture other than spine or hip: osteoporosis, whatever the diagnosis
        ("osteopenia", ["wrist"], safety.OSTEOPOROSIS),
        ("osteoporosis", ["other"], safety.OSTEOPOROSIS),
        # two or more, at any sites, even the same site twice: high_risk
        ("osteopenia", ["wrist", "other"], safety.HIGH_RISK),
        ("osteopenia", ["wrist", "wrist"], safety.HIGH_RISK),
        ("osteoporosis", ["other", "other"], safety.HIGH_RISK),
        ("unsure", ["wrist", "other", "other"], safety.HIGH_RISK),
        # no fracture: the diagnosis decides
        ("osteopenia", [], safety.LOW_BONE_MASS),
        ("unsure", [], safety.OSTEOPOROSIS),
    ],
)
def test_two_or_more_fractures_at_any_sites_mean_high_risk(diagnosis, fractures, level):
    assert safety.Profile(diagnosis, fractures).risk_level == level


@pytest.mark.parametrize(
    ("fractures", "severity"),
    [
        ([], INFO),  # low_bone_mass
        (["wrist"], CAUTION),  # osteoporosis
        (["wrist", "other"], DANGER),  # high_risk: was only caution in version 1
    ],
)
def test_jogging_with_osteopenia_at_each_level(fractures, severity):
    jogging = exercise("jogging", ["HIGH_IMPACT"], weight_bearing=True)
    profile = safety.Profile("osteopenia", fractures)
    assert severities(profile, jogging, minutes=20) == {"HIGH_IMPACT": severity}


def test_fractures_keep_one_entry_per_fracture_in_any_order():
    two = safety.Profile("osteopenia", ["wrist", "spine", "wrist"])
    assert two.fractures == ("spine", "wrist", "wrist")
    assert two == safety.Profile("osteopenia", ("wrist", "wrist", "spine"))


# --- 2. an exercise's own threshold can only make the warning stricter ---------------

DEFAULTS = safety.DEFAULT_LOAD_THRESHOLDS_KG
LEVEL_PROFILES = {
    safety.LOW_BONE_MASS: safety.Profile("osteopenia"),
    safety.OSTEOPOROSIS: safety.Profile("osteoporosis"),
    safety.HIGH_RISK: safety.Profile("osteopenia", ["spine"]),
}
HEAVY = dict(zip(LEVELS, (INFO, CAUTION, DANGER), strict=True))


@pytest.mark.parametrize("level", LEVELS)
def test_a_higher_own_threshold_never_loosens_the_level_threshold(level):
    squat = exercise("goblet-squat", load_threshold_kg=Decimal("25"))
    at_default = DEFAULTS[level]
    assert severities(LEVEL_PROFILES[level], squat, load_kg=at_default) == {
        "HEAVY_LOAD": HEAVY[level]
    }
    assert severities(LEVEL_PROFILES[level], squat, load_kg=at_default - 1) == {}


@pytest.mark.parametrize("level", LEVELS)
def test_a_lower_own_threshold_makes_the_warning_stricter(level):
    press = exercise("overhead-press", load_threshold_kg=Decimal("3"))
    assert severities(LEVEL_PROFILES[level], press, load_kg=Decimal("3")) == {
        "HEAVY_LOAD": HEAVY[level]
    }
    [finding] = findings(LEVEL_PROFILES[level], press, load_kg=Decimal("3"))
    assert "for you, 3 kg or more counts as heavy" in finding.message


def test_spine_fracture_lifting_12_kg_with_an_own_threshold_of_15_is_danger():
    squat = exercise("goblet-squat", load_threshold_kg=Decimal("15"))
    spine = safety.Profile("osteoporosis", ["spine"])
    assert severities(spine, squat, load_kg=Decimal("12")) == {"HEAVY_LOAD": DANGER}


# --- 3. MODERATE_IMPACT, and the severity "none" ---------------------------------------

HEEL_DROPS = exercise("heel-drops", ["MODERATE_IMPACT"], weight_bearing=True)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (safety.LOW_BONE_MASS, {}),
        (safety.OSTEOPOROSIS, {}),
        (safety.HIGH_RISK, {"MODERATE_IMPACT": CAUTION}),
    ],
)
def test_heel_drops_warn_only_at_high_risk(level, expected):
    assert severities(LEVEL_PROFILES[level], HEEL_DROPS) == expected


def test_two_fractures_make_heel_drops_caution():
    profile = safety.Profile("osteopenia", ["wrist", "wrist"])
    assert severities(profile, HEEL_DROPS) == {"MODERATE_IMPACT": CAUTION}


def rules_with(code, severity):
    rule = safety.DEFAULT_RULES[code]
    return dict(safety.DEFAULT_RULES) | {
        code: safety.PatternRule(code, rule.message, dict.fromkeys(LEVELS, severity))
    }


@pytest.mark.parametrize("level", LEVELS)
def test_a_therapist_severity_of_none_raises_no_finding(level):
    rules = rules_with("SPINAL_TWIST", NONE)
    item = safety.Item("mon", exercise("golf-swing", ["SPINAL_TWIST"]), minutes=30)
    assert safety.item_findings(LEVEL_PROFILES[level], item, rules) == []
    assert safety.exercise_severities(LEVEL_PROFILES[level], item.exercise, rules) == {
        "SPINAL_TWIST": NONE
    }


@pytest.mark.parametrize("level", LEVELS)
def test_escalations_still_apply_over_none(level):
    rules = rules_with("FALL_RISK", NONE)
    balance = exercise("single-leg-stance-free", ["FALL_RISK"])
    steady = LEVEL_PROFILES[level]
    fell = safety.Profile(steady.diagnosis, steady.fractures, falls_last_year=True)
    assert (
        safety.item_findings(steady, safety.Item("mon", balance, reps=5), rules) == []
    )
    [finding] = safety.item_findings(fell, safety.Item("mon", balance, reps=5), rules)
    assert finding.severity == CAUTION


def test_none_is_below_info():
    assert safety.worst(NONE, INFO) == INFO
    assert safety.worst(NONE, NONE) == NONE


# --- 4. the alternatives offered are safe for this patient ----------------------------

BRISK_WALKING = exercise("brisk-walking", weight_bearing=True)
JUMPING = exercise("jumping", ["HIGH_IMPACT"], alternatives=(HEEL_DROPS, BRISK_WALKING))


@pytest.mark.parametrize(
    ("level", "offered"),
    [
        (safety.LOW_BONE_MASS, ("heel-drops", "brisk-walking")),
        (safety.OSTEOPOROSIS, ("heel-drops", "brisk-walking")),
        (
            safety.HIGH_RISK,
            ("brisk-walking",),
        ),  # heel drops are caution after a fracture
    ],
)
def test_jumping_offers_only_alternatives_safe_at_the_level(level, offered):
    [finding] = findings(LEVEL_PROFILES[level], JUMPING)
    assert finding.alternatives == offered
    assert not finding.message.endswith(safety.ASK_THERAPIST)


@pytest.mark.parametrize("level", LEVELS)
def test_when_no_alternative_qualifies_none_is_offered_and_the_therapist_is_named(
    level,
):
    twist = exercise("seated-twist", ["SPINAL_TWIST"])
    sit_up = exercise(
        "sit-up",
        ["SPINAL_FLEXION"],
        alternatives=(twist, exercise("crunch", ["SPINAL_FLEXION"])),
    )
    [finding] = findings(LEVEL_PROFILES[level], sit_up)
    assert finding.alternatives == ()
    assert finding.message.endswith("Ask your therapist for a safer choice.")


@pytest.mark.parametrize("level", LEVELS)
def test_alternatives_are_judged_at_the_dose_a_swap_makes(level):
    goblet = exercise("goblet-squat", strengthening=True)
    jump_squat = exercise("jump-squat", ["HIGH_IMPACT"])
    deadlift = exercise("deadlift", ["HEAVY_LOAD"], alternatives=(goblet, jump_squat))
    [light] = findings(LEVEL_PROFILES[level], deadlift, load_kg=Decimal("2"))
    assert light.alternatives[0] == "goblet-squat"
    # At 30 kg a swap takes the weight off the goblet squat (heavy for every level), so
    # it is offered as it would be done: without the weight.
    heavy = findings(LEVEL_PROFILES[level], deadlift, load_kg=Decimal("30"))
    assert heavy[0].alternatives[0] == "goblet-squat"
    assert safety.load_after_swap(LEVEL_PROFILES[level], Decimal("30"), goblet) is None
    # a weight under the threshold stays, and is part of the judgement
    assert safety.load_after_swap(LEVEL_PROFILES[level], Decimal("2"), goblet) == 2
    # the jump squat's own movement still rules it out where impact is a warning
    expected_jump = level == safety.LOW_BONE_MASS
    assert ("jump-squat" in light.alternatives) == expected_jump


@pytest.mark.parametrize(
    ("profile", "offered"),
    [
        (safety.Profile("osteoporosis"), ("single-leg-stance-free",)),
        (safety.Profile("osteoporosis", falls_last_year=True), ()),
        (safety.Profile("osteoporosis", neuropathy=True), ()),
    ],
)
def test_a_fall_or_neuropathy_rules_out_free_standing_balance(profile, offered):
    free = exercise("single-leg-stance-free", ["FALL_RISK"])
    tandem = exercise(
        "tandem-walk-open", ["FALL_RISK", "RAPID_JERKY"], alternatives=(free,)
    )
    assert findings(profile, tandem)[0].alternatives == offered


def test_a_good_to_know_finding_without_alternatives_does_not_send_to_the_therapist():
    free = exercise("single-leg-stance-free", ["FALL_RISK"])
    [finding] = findings(safety.Profile("osteoporosis"), free)
    assert finding.severity == INFO
    assert not finding.message.endswith(safety.ASK_THERAPIST)


# --- 5. FALL_RISK's default message fits every exercise that carries it ---------------


@pytest.mark.parametrize("level", LEVELS)
def test_headstand_fall_message_fits_an_exercise_that_is_not_balance_work(level):
    headstand = exercise(
        "headstand",
        ["NECK_LOADING", "FALL_RISK"],
        alternatives=(exercise("wall-slides"), exercise("chin-tucks")),
    )
    by_code = {f.code: f for f in findings(LEVEL_PROFILES[level], headstand)}
    message = by_code["FALL_RISK"].message
    assert "balance exercise" not in message
    assert message.startswith("You could lose your balance and fall.")
    assert by_code["NECK_LOADING"].alternatives == ("wall-slides", "chin-tucks")


# --- the seam -----------------------------------------------------------------------


def test_report_carries_rules_version_2():
    profile = safety.Profile("osteopenia", ["wrist", "wrist"])
    document = safety.report(profile, [])
    assert document["rules_version"] == 2 == safety.RULES_VERSION
    assert document["risk_level"] == "high_risk"
