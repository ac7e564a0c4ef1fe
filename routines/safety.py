"""The safety rules of SAFETY.md, as pure Python over plain data.

Nothing here imports Django (a test proves it): the week page, the item forms and the
`check_routine` command all build these dataclasses and call `check()`, so they can never
disagree. Severities and codes are the strings SAFETY.md fixes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

INFO, CAUTION, DANGER = "info", "caution", "danger"
SEVERITIES = (INFO, CAUTION, DANGER)  # lowest first

LOW_BONE_MASS, OSTEOPOROSIS, HIGH_RISK = "low_bone_mass", "osteoporosis", "high_risk"
RISK_LEVELS = (LOW_BONE_MASS, OSTEOPOROSIS, HIGH_RISK)

DIAGNOSES = ("osteopenia", "osteoporosis", "unsure")
FRACTURE_SITES = ("spine", "hip", "wrist", "other")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

SPINAL_FLEXION = "SPINAL_FLEXION"
SPINAL_ROUNDING = "SPINAL_ROUNDING"
SPINAL_TWIST = "SPINAL_TWIST"
RAPID_JERKY = "RAPID_JERKY"
NECK_LOADING = "NECK_LOADING"
HEAVY_LOAD = "HEAVY_LOAD"
HIGH_IMPACT = "HIGH_IMPACT"
LONG_LEVER_SUPINE = "LONG_LEVER_SUPINE"
FALL_RISK = "FALL_RISK"
PATTERN_CODES = (
    SPINAL_FLEXION,
    SPINAL_ROUNDING,
    SPINAL_TWIST,
    RAPID_JERKY,
    NECK_LOADING,
    HEAVY_LOAD,
    HIGH_IMPACT,
    LONG_LEVER_SUPINE,
    FALL_RISK,
)

EMPTY_ROUTINE = "EMPTY_ROUTINE"
MISSING_WEIGHT_BEARING = "MISSING_WEIGHT_BEARING"
MISSING_STRENGTHENING = "MISSING_STRENGTHENING"
STRENGTH_TOO_INFREQUENT = "STRENGTH_TOO_INFREQUENT"
STRENGTH_NO_REST = "STRENGTH_NO_REST"
NO_BALANCE_TRAINING = "NO_BALANCE_TRAINING"
NEUROPATHY_LONG_STANDING = "NEUROPATHY_LONG_STANDING"
WEEK_CODES = (
    EMPTY_ROUTINE,
    MISSING_WEIGHT_BEARING,
    MISSING_STRENGTHENING,
    STRENGTH_TOO_INFREQUENT,
    STRENGTH_NO_REST,
    NO_BALANCE_TRAINING,
    NEUROPATHY_LONG_STANDING,
)

# Loads at or above these (kg) count as heavy lifting unless the exercise sets its own.
DEFAULT_LOAD_THRESHOLDS_KG: Mapping[str, Decimal] = {
    LOW_BONE_MASS: Decimal("20"),
    OSTEOPOROSIS: Decimal("10"),
    HIGH_RISK: Decimal("5"),
}
NEUROPATHY_MAX_STANDING_MINUTES = 30

# Bounds of SAFETY.md "Input bounds"; forms and the JSON seam both use them.
SETS_RANGE = (1, 10)
REPS_RANGE = (1, 100)
MINUTES_RANGE = (1, 240)
LOAD_KG_RANGE = (Decimal("0"), Decimal("200"))


def worst(*severities: str) -> str:
    return max(severities, key=SEVERITIES.index)


@dataclass(frozen=True)
class Profile:
    diagnosis: str  # "osteopenia" | "osteoporosis" | "unsure"
    fractures: frozenset[str] = frozenset()
    falls_last_year: bool = False
    neuropathy: bool = False

    @property
    def risk_level(self) -> str:
        if self.fractures & {"spine", "hip"}:
            return HIGH_RISK
        if self.diagnosis == "osteopenia" and not self.fractures:
            return LOW_BONE_MASS
        return OSTEOPOROSIS

    @property
    def unsteady(self) -> bool:
        """A fall in the last year or neuropathy: balance without support needs care."""
        return self.falls_last_year or self.neuropathy


CAUTIOUS_PROFILE = Profile(diagnosis="unsure")


@dataclass(frozen=True)
class PatternRule:
    code: str
    message: str
    severities: Mapping[str, str]  # risk level -> severity


@dataclass(frozen=True)
class Exercise:
    slug: str
    name: str = ""
    patterns: frozenset[str] = frozenset()
    weight_bearing: bool = False
    strengthening: bool = False
    trains_balance: bool = False
    load_threshold_kg: Decimal | None = None
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    day: str
    exercise: Exercise
    sets: int | None = None
    reps: int | None = None
    minutes: int | None = None
    load_kg: Decimal | None = None
    key: object = None  # the caller's handle (a database id); not used by the rules


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    day: str | None = None
    exercise: str | None = None
    alternatives: tuple[str, ...] = ()
    item_key: object = field(default=None, compare=False)

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "day": self.day,
            "exercise": self.exercise,
            "message": self.message,
            "alternatives": list(self.alternatives),
        }


def _rule(code: str, message: str, low: str, osteo: str, high: str) -> PatternRule:
    return PatternRule(
        code, message, {LOW_BONE_MASS: low, OSTEOPOROSIS: osteo, HIGH_RISK: high}
    )


# SAFETY.md's defaults; therapists edit their copy in the admin (catalogue.MovementPattern).
DEFAULT_RULES: Mapping[str, PatternRule] = {
    rule.code: rule
    for rule in (
        _rule(
            SPINAL_FLEXION,
            "Bending forward from the waist presses on the front of the spine bones and "
            "can break them when bones are thin. Choose an exercise that keeps your back straight.",
            CAUTION,
            DANGER,
            DANGER,
        ),
        _rule(
            SPINAL_ROUNDING,
            "Rounding or hunching your back squeezes the front of the spine bones. "
            "Keep your back long and straight.",
            CAUTION,
            DANGER,
            DANGER,
        ),
        _rule(
            SPINAL_TWIST,
            "Twisting your spine hard, quickly or while holding a weight can hurt thin spine "
            "bones. If your therapist agrees, turn only slowly and a little.",
            CAUTION,
            CAUTION,
            DANGER,
        ),
        _rule(
            RAPID_JERKY,
            "Sudden, jerky movements can strain thin bones and make you lose your balance. "
            "Move slowly and stay in control.",
            CAUTION,
            CAUTION,
            DANGER,
        ),
        _rule(
            NECK_LOADING,
            "No guideline recommends this. It puts your body weight on your head and neck "
            "and risks a fall.",
            DANGER,
            DANGER,
            DANGER,
        ),
        _rule(
            HEAVY_LOAD,
            "Heavy lifting strains the spine. Lift heavy weights only after a therapist has "
            "taught you, and start lighter.",
            INFO,
            CAUTION,
            DANGER,
        ),
        _rule(
            HIGH_IMPACT,
            "Jumping, running and hard landings jolt the bones. Built up slowly this can "
            "strengthen bones, but after a fracture it can cause a break. Brisk walking is "
            "a safer choice.",
            INFO,
            CAUTION,
            DANGER,
        ),
        _rule(
            LONG_LEVER_SUPINE,
            "Lifting both straight legs while lying on your back pulls hard on the lower "
            "spine. Lift one leg at a time with the other knee bent.",
            CAUTION,
            DANGER,
            DANGER,
        ),
        _rule(
            FALL_RISK,
            "This balance exercise has nothing to hold on to. Stand beside a kitchen counter "
            "or a sturdy chair so you can steady yourself.",
            INFO,
            INFO,
            INFO,
        ),
    )
}

WEEK_MESSAGES: Mapping[str, str] = {
    EMPTY_ROUTINE: "This week is empty. Add an exercise to a day to start your plan.",
    MISSING_WEIGHT_BEARING: (
        "Nothing this week is done on your feet. Add a walk or heel raises on two days: "
        "bones grow stronger when they carry your weight. Swimming and cycling do not count."
    ),
    MISSING_STRENGTHENING: (
        "Nothing this week strengthens your muscles. Add sit-to-stands or wall push-ups "
        "on two days."
    ),
    STRENGTH_TOO_INFREQUENT: (
        "You strengthen your muscles on only one day. Add a second strength day, "
        "with a rest day between them."
    ),
    STRENGTH_NO_REST: (
        "Your strength exercises are on days next to each other. Leave a rest day "
        "between strength days, for example Monday and Thursday."
    ),
    NO_BALANCE_TRAINING: (
        "There is no balance exercise this week. Add a few minutes of standing on one "
        "leg while holding a counter, or tai chi, to help prevent falls."
    ),
    NEUROPATHY_LONG_STANDING: (
        "With numb or tingling feet, more than 30 minutes on your feet at a time can hurt "
        "them without you noticing. Split it into shorter bouts of 10 to 15 minutes and "
        "check your feet afterwards."
    ),
}


def pattern_severity(profile: Profile, code: str, rule: PatternRule) -> str:
    """The severity of one movement pattern for this profile, with SAFETY.md's escalations."""
    severity = rule.severities[profile.risk_level]
    if code == FALL_RISK and profile.unsteady:
        severity = worst(severity, CAUTION)
    if code == HIGH_IMPACT:
        if "hip" in profile.fractures:
            severity = DANGER
        if profile.neuropathy:
            severity = worst(severity, CAUTION)
    return severity


def load_threshold(profile: Profile, exercise: Exercise) -> Decimal:
    if exercise.load_threshold_kg is not None:
        return exercise.load_threshold_kg
    return DEFAULT_LOAD_THRESHOLDS_KG[profile.risk_level]


def item_findings(
    profile: Profile, item: Item, rules: Mapping[str, PatternRule] = DEFAULT_RULES
) -> list[Finding]:
    """The findings of one item: one per movement pattern it carries, in SAFETY.md's order."""
    exercise = item.exercise
    codes = set(exercise.patterns)
    extra_message = ""
    if item.load_kg is not None:
        threshold = load_threshold(profile, exercise)
        if item.load_kg >= threshold:
            codes.add(HEAVY_LOAD)
            extra_message = (
                f" You set {_kg(item.load_kg)} kg; for you, {_kg(threshold)} kg or more "
                "counts as heavy."
            )
    findings = []
    for code in sorted(codes, key=_pattern_order):
        rule = rules.get(code) or DEFAULT_RULES.get(code)
        if rule is None:  # a pattern the rules do not know yet: nothing to say about it
            continue
        message = rule.message + (extra_message if code == HEAVY_LOAD else "")
        findings.append(
            Finding(
                code=code,
                severity=pattern_severity(profile, code, rule),
                message=message,
                day=item.day,
                exercise=exercise.slug,
                alternatives=exercise.alternatives,
                item_key=item.key,
            )
        )
    return findings


def week_findings(profile: Profile, items: Sequence[Item]) -> list[Finding]:
    """The composition checks of the whole week (SAFETY.md, "Week findings")."""
    if not items:
        return [_week(EMPTY_ROUTINE, INFO)]
    findings = []
    if not any(item.exercise.weight_bearing for item in items):
        findings.append(_week(MISSING_WEIGHT_BEARING, CAUTION))
    strength_days = {DAYS.index(i.day) for i in items if i.exercise.strengthening}
    if not strength_days:
        findings.append(_week(MISSING_STRENGTHENING, CAUTION))
    elif len(strength_days) == 1:
        findings.append(_week(STRENGTH_TOO_INFREQUENT, INFO))
    if any(
        (day + 1) % 7 in strength_days for day in strength_days
    ):  # Sunday wraps to Monday
        findings.append(_week(STRENGTH_NO_REST, INFO))
    if not any(item.exercise.trains_balance for item in items):
        findings.append(
            _week(NO_BALANCE_TRAINING, CAUTION if profile.unsteady else INFO)
        )
    if profile.neuropathy and any(
        item.exercise.weight_bearing
        and item.minutes is not None
        and item.minutes > NEUROPATHY_MAX_STANDING_MINUTES
        for item in items
    ):
        findings.append(_week(NEUROPATHY_LONG_STANDING, CAUTION))
    return findings


def check(
    profile: Profile,
    items: Sequence[Item],
    rules: Mapping[str, PatternRule] = DEFAULT_RULES,
) -> list[Finding]:
    """All findings of a week: items by day then position in the day, then the week findings."""
    ordered = sorted(
        enumerate(items), key=lambda pair: (DAYS.index(pair[1].day), pair[0])
    )
    findings = [f for _, item in ordered for f in item_findings(profile, item, rules)]
    return findings + week_findings(profile, items)


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    tally = dict.fromkeys((DANGER, CAUTION, INFO), 0)
    for finding in findings:
        tally[finding.severity] += 1
    return tally


def highest(findings: Iterable[Finding]) -> str | None:
    severities = [f.severity for f in findings]
    return worst(*severities) if severities else None


def dangers_to_confirm(
    findings: Iterable[Finding],
    acknowledged: Iterable[str],
    *,
    reviewed: Iterable[str] = (),
    with_therapist: bool = False,
) -> frozenset[str]:
    """The danger findings still waiting for a recorded decision.

    `acknowledged` are the codes the patient confirmed themselves; `reviewed` those a
    therapist approved or advised against. With a linked therapist, approval replaces
    self-declaration: only the therapist's decision settles a danger. Without one, either
    settles it (a former therapist's decision still stands).

    The one rule behind the item form's tick box, the week's "Not yet confirmed" and
    "Waiting for your therapist", the routine lists' counts, the printed sheet and swap.
    """
    dangers = frozenset(f.code for f in findings if f.severity == DANGER)
    settled = frozenset(reviewed)
    if not with_therapist:
        settled |= frozenset(acknowledged)
    return dangers - settled


def report(profile: Profile, findings: Sequence[Finding]) -> dict:
    """The JSON document of SAFETY.md's seam."""
    return {
        "risk_level": profile.risk_level,
        "findings": [f.as_json() for f in findings],
        "counts": counts(findings),
    }


def _week(code: str, severity: str) -> Finding:
    return Finding(code=code, severity=severity, message=WEEK_MESSAGES[code])


def _pattern_order(code: str) -> tuple[int, str]:
    return (
        PATTERN_CODES.index(code) if code in PATTERN_CODES else len(PATTERN_CODES),
        code,
    )


def _kg(value: Decimal) -> str:
    return f"{value.normalize():f}"
