"""BoneFit's safety rules (version 2), as pure Python over plain data.

Nothing here imports Django (a test proves it): the week page, the item forms and the
`check_routine` command all build these dataclasses and call `check()`, so they can never
disagree. docs/safety-rules.md describes every rule and code in words; a test keeps the two
in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

RULES_VERSION = 2

INFO, CAUTION, DANGER = "info", "caution", "danger"
SEVERITIES = (INFO, CAUTION, DANGER)  # of findings, lowest first
# A pattern's severity at a risk level may also be "none": it raises no finding there.
NONE = "none"
RULE_SEVERITIES = (NONE, *SEVERITIES)

LOW_BONE_MASS, OSTEOPOROSIS, HIGH_RISK = "low_bone_mass", "osteoporosis", "high_risk"
RISK_LEVELS = (LOW_BONE_MASS, OSTEOPOROSIS, HIGH_RISK)

DIAGNOSES = ("osteopenia", "osteoporosis", "unsure")
FRACTURE_SITES = ("spine", "hip", "wrist", "other")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ORDER = {day: n for n, day in enumerate(DAYS)}
# Two or more fragility fractures, at any sites, count like a spine fracture.
MULTIPLE_FRACTURES = 2

SPINAL_FLEXION = "SPINAL_FLEXION"
SPINAL_ROUNDING = "SPINAL_ROUNDING"
SPINAL_TWIST = "SPINAL_TWIST"
RAPID_JERKY = "RAPID_JERKY"
NECK_LOADING = "NECK_LOADING"
HEAVY_LOAD = "HEAVY_LOAD"
HIGH_IMPACT = "HIGH_IMPACT"
LONG_LEVER_SUPINE = "LONG_LEVER_SUPINE"
MODERATE_IMPACT = "MODERATE_IMPACT"
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
    MODERATE_IMPACT,
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

# Loads at or above these (kg) count as heavy lifting; an exercise's own threshold can
# only lower them.
DEFAULT_LOAD_THRESHOLDS_KG: Mapping[str, Decimal] = {
    LOW_BONE_MASS: Decimal("20"),
    OSTEOPOROSIS: Decimal("10"),
    HIGH_RISK: Decimal("5"),
}
NEUROPATHY_MAX_STANDING_MINUTES = 30

# The input bounds (docs/safety-rules.md); forms and the JSON seam both use them.
SETS_RANGE = (1, 10)
REPS_RANGE = (1, 100)
MINUTES_RANGE = (1, 240)
LOAD_KG_RANGE = (Decimal("0"), Decimal("200"))


ASK_THERAPIST = "Ask your therapist for a safer choice."


def worst(*severities: str) -> str:
    """The highest of these severities ("none" is below "info")."""
    return max(severities, key=RULE_SEVERITIES.index)


def _site_order(site: str) -> tuple[int, str]:
    return (
        FRACTURE_SITES.index(site) if site in FRACTURE_SITES else len(FRACTURE_SITES),
        site,
    )


@dataclass(frozen=True)
class Profile:
    diagnosis: str  # "osteopenia" | "osteoporosis" | "unsure"
    # One entry per fragility fracture; a site may repeat (two wrist fractures are two).
    # Any iterable is accepted and kept as a sorted tuple, so equal profiles compare equal.
    fractures: tuple[str, ...] = ()
    falls_last_year: bool = False
    neuropathy: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "fractures", tuple(sorted(self.fractures, key=_site_order))
        )

    @cached_property  # asked for every pattern of every item of a week
    def risk_level(self) -> str:
        if {"spine", "hip"} & set(self.fractures):
            return HIGH_RISK
        if len(self.fractures) >= MULTIPLE_FRACTURES:
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
    severities: Mapping[str, str]  # risk level -> one of RULE_SEVERITIES


@dataclass(frozen=True)
class Exercise:
    slug: str
    name: str = ""
    patterns: frozenset[str] = frozenset()
    weight_bearing: bool = False
    strengthening: bool = False
    trains_balance: bool = False
    load_threshold_kg: Decimal | None = None
    # The published safer alternatives, in the therapists' order. Only their slug, name,
    # patterns and load threshold matter to the rules; their own alternatives are not read.
    alternatives: tuple[Exercise, ...] = ()


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


# The default rules; therapists edit their copy in the admin (catalogue.MovementPattern).
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
            MODERATE_IMPACT,
            "Brief impacts such as heel drops or stamping help build bone. After a spine "
            "fracture or several broken bones, keep them gentle, no harder than a brisk "
            "walk, and ask your therapist how many are right for you.",
            NONE,
            NONE,
            CAUTION,
        ),
        _rule(
            FALL_RISK,
            "You could lose your balance and fall. Keep a kitchen counter, a wall or a "
            "sturdy chair within reach so you can steady yourself.",
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
    """The severity of one movement pattern for this profile, with the escalations.

    May be NONE: the pattern raises no finding for this profile.
    """
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
    """The level's threshold, or the exercise's own when that is lower (never higher)."""
    default = DEFAULT_LOAD_THRESHOLDS_KG[profile.risk_level]
    if exercise.load_threshold_kg is None:
        return default
    return min(default, exercise.load_threshold_kg)


@dataclass(frozen=True)
class _Raised:
    code: str
    severity: str
    message: str


def _raised(
    profile: Profile, item: Item, rules: Mapping[str, PatternRule]
) -> list[_Raised]:
    """The movement patterns this item raises for this profile, in the codes' order.
    Only its exercise and its weight count (the memo in item_findings relies on it)."""
    return _raised_by(profile, item.exercise, item.load_kg, rules)


def _raised_by(
    profile: Profile,
    exercise: Exercise,
    load_kg: Decimal | None,
    rules: Mapping[str, PatternRule],
) -> list[_Raised]:
    if not exercise.patterns and load_kg is None:
        return []  # most items of a week: nothing can be raised
    codes = set(exercise.patterns)
    extra_message = ""
    if load_kg is not None:
        threshold = load_threshold(profile, exercise)
        if load_kg >= threshold:
            codes.add(HEAVY_LOAD)
            extra_message = (
                f" You set {_kg(load_kg)} kg; for you, {_kg(threshold)} kg or more "
                "counts as heavy."
            )
    raised = []
    for code in sorted(codes, key=_pattern_order):
        rule = rules.get(code) or DEFAULT_RULES.get(code)
        if rule is None:  # a pattern the rules do not know yet: nothing to say about it
            continue
        severity = pattern_severity(profile, code, rule)
        if severity == NONE:
            continue
        message = rule.message + (extra_message if code == HEAVY_LOAD else "")
        raised.append(_Raised(code, severity, message))
    return raised


def is_safe(
    profile: Profile, item: Item, rules: Mapping[str, PatternRule] = DEFAULT_RULES
) -> bool:
    """True when the item raises nothing above "info" for this profile."""
    return all(r.severity == INFO for r in _raised(profile, item, rules))


def load_after_swap(
    profile: Profile, load_kg: Decimal | None, alternative: Exercise
) -> Decimal | None:
    """A swap keeps the item's weight only when it is below the patient's threshold for the
    new exercise; a heavier weight is taken off."""
    if load_kg is not None and load_kg >= load_threshold(profile, alternative):
        return None
    return load_kg


def safe_alternatives(
    profile: Profile, item: Item, rules: Mapping[str, PatternRule] = DEFAULT_RULES
) -> tuple[str, ...]:
    """The exercise's alternatives that are safe for this profile at the item's day and
    dose, as a swap would make it (a weight too heavy for the alternative comes off)."""
    return tuple(
        alternative.slug
        for alternative in item.exercise.alternatives
        if all(
            raised.severity == INFO
            for raised in _raised_by(
                profile,
                alternative,
                load_after_swap(profile, item.load_kg, alternative),
                rules,
            )
        )
    )


def item_findings(
    profile: Profile,
    item: Item,
    rules: Mapping[str, PatternRule] = DEFAULT_RULES,
    *,
    _alternatives_memo: dict | None = None,
) -> list[Finding]:
    """The findings of one item: one per movement pattern it raises, in the codes' order.

    Each offers only the alternatives that are safe for this profile; a warning (above
    "info") with none to offer says to ask the therapist.
    """
    if _alternatives_memo is None:
        raised = _raised(profile, item, rules)
        if not raised:
            return []
        alternatives = safe_alternatives(profile, item, rules)
    else:
        # check(): items of one exercise and weight share both answers, since what an
        # item raises (_raised) depends on nothing else of it.
        memo_key = (id(item.exercise), item.load_kg)
        known = _alternatives_memo.get(memo_key)
        if known is None:
            raised = _raised(profile, item, rules)
            alternatives = safe_alternatives(profile, item, rules) if raised else ()
            known = _alternatives_memo[memo_key] = (raised, alternatives)
        raised, alternatives = known
        if not raised:
            return []
    findings = []
    for r in raised:
        message = r.message
        if r.severity != INFO and not alternatives:
            message = f"{message.rstrip()} {ASK_THERAPIST}"
        findings.append(
            Finding(
                code=r.code,
                severity=r.severity,
                message=message,
                day=item.day,
                exercise=item.exercise.slug,
                alternatives=alternatives,
                item_key=item.key,
            )
        )
    return findings


def exercise_severities(
    profile: Profile,
    exercise: Exercise,
    rules: Mapping[str, PatternRule] = DEFAULT_RULES,
) -> dict[str, str]:
    """What each movement the exercise carries means for this profile (NONE included)."""
    severities = {}
    for code in exercise.patterns:
        rule = rules.get(code) or DEFAULT_RULES.get(code)
        if rule is not None:
            severities[code] = pattern_severity(profile, code, rule)
    return severities


def week_findings(profile: Profile, items: Sequence[Item]) -> list[Finding]:
    """The composition checks of the whole week (the week findings)."""
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
        enumerate(items), key=lambda pair: (_DAY_ORDER[pair[1].day], pair[0])
    )
    memo: dict = {}
    findings = [
        f
        for _, item in ordered
        for f in item_findings(profile, item, rules, _alternatives_memo=memo)
    ]
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
    """The JSON document the check_routine command prints (docs/safety-rules.md)."""
    return {
        "rules_version": RULES_VERSION,
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
