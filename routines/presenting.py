"""Arranging checked routines for the templates: days, items and findings in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import attrgetter

from django.utils.functional import cached_property

from catalogue.models import PatternCode
from routines import safety, targets
from routines.checking import WeekCheck
from routines.models import Review, RoutineItem, Weekday, display_name

# Django works an enum's values and labels out afresh each time they are asked for.
_PATTERN_TITLES = dict(PatternCode.choices)
_DAYS = tuple(Weekday.values)

# ShownItem.state: where an item's dangers stand.
WAITING = "waiting"
TO_CONFIRM = "to_confirm"
APPROVED = "approved"
ADVISED_AGAINST = "advised_against"
CONFIRMED = "confirmed"

SEVERITY_WORDS = {
    safety.DANGER: "Danger",
    safety.CAUTION: "Take care",
    safety.INFO: "Good to know",
}
SEVERITY_ICONS = {safety.DANGER: "✖", safety.CAUTION: "⚠", safety.INFO: "ℹ"}
WEEK_TITLES = {
    safety.EMPTY_ROUTINE: "Empty week",
    safety.MISSING_WEIGHT_BEARING: "No weight-bearing exercise",
    safety.MISSING_STRENGTHENING: "No strengthening exercise",
    safety.STRENGTH_TOO_INFREQUENT: "Strength on one day only",
    safety.STRENGTH_NO_REST: "No rest between strength days",
    safety.NO_BALANCE_TRAINING: "No balance exercise",
    safety.NEUROPATHY_LONG_STANDING: "Long time on your feet",
}


@dataclass
class ShownFinding:
    finding: safety.Finding
    alternatives: list

    @property
    def severity(self):
        return self.finding.severity

    @property
    def word(self):
        return SEVERITY_WORDS[self.finding.severity]

    @property
    def icon(self):
        return SEVERITY_ICONS[self.finding.severity]

    @property
    def message(self):
        return self.finding.message

    @property
    def title(self):
        code = self.finding.code
        return _PATTERN_TITLES.get(code) or WEEK_TITLES.get(code, code)


@dataclass
class ShownItem:
    item: RoutineItem
    findings: list[ShownFinding]
    needs_acknowledgement: bool
    first: bool
    last: bool
    own_alternatives: list = ()  # the exercise's alternatives, shown when it is retired
    with_therapist: bool = False  # the owner shares with a therapist now
    owner_id: int | None = None

    @cached_property
    def has_danger(self):
        return any(f.severity == safety.DANGER for f in self.findings)

    @cached_property
    def state(self) -> str:
        """Where this item's dangers stand, one of:

        - WAITING for the therapist's decision (a danger, and the patient shares with one);
        - TO_CONFIRM: the patient has yet to confirm they discussed it with a therapist;
        - APPROVED or ADVISED_AGAINST by the therapist;
        - CONFIRMED by the patient themselves;
        - "" when it has no danger.

        The week's summary and the printed sheet read it; templates read the properties
        below, since a misspelt property is an error there and a misspelt string is not.
        """
        if self.needs_acknowledgement:
            return WAITING if self.with_therapist else TO_CONFIRM
        if not self.has_danger:
            return ""
        return {
            Review.APPROVED: APPROVED,
            Review.ADVISED_AGAINST: ADVISED_AGAINST,
        }.get(self.item.review_decision, CONFIRMED)

    @property
    def waiting_for_therapist(self):
        return self.state == WAITING

    @property
    def approved(self):
        return self.state == APPROVED

    @property
    def advised_against(self):
        return self.state == ADVISED_AGAINST

    @property
    def reviewer_name(self):
        return display_name(self.item.reviewed_by)

    @property
    def added_by_therapist(self):
        """The name of the therapist who added the item, or "" if the patient did."""
        if self.item.added_by_id in (None, self.owner_id):
            return ""
        return display_name(self.item.added_by)

    @property
    def changed_by_therapist(self):
        """The name of the therapist who changed the item last, if not who added it."""
        if self.item.changed_by_id in (None, self.owner_id, self.item.added_by_id):
            return ""
        return display_name(self.item.changed_by)

    @cached_property
    def highest(self):
        return safety.highest(f.finding for f in self.findings)

    @cached_property
    def alternatives(self):
        alternatives = distinct_alternatives(self.findings)
        if self.item.exercise.is_retired:  # it always points to what replaces it
            known = {a.pk for a in alternatives}
            alternatives += [
                a
                for a in self.own_alternatives
                if a.pk not in known and not a.is_retired
            ]
        return alternatives

    @property
    def has_care_notes(self):
        """Whether the item_care macro (jinja2/includes/week_parts.html) shows anything:
        a therapist added or changed the item, or it has a danger. The week calls it only
        then; most items have neither, and a macro call costs as much as a short line."""
        return bool(self.state or self.added_by_therapist or self.changed_by_therapist)

    @property
    def acknowledged_danger(self):
        """A danger confirmed by the patient, or settled by the therapist."""
        return self.state in (APPROVED, ADVISED_AGAINST, CONFIRMED)


@dataclass
class ShownDay:
    day: Weekday
    items: list[ShownItem]

    @property
    def code(self):
        return self.day.code


def _shown(findings, alternatives):
    return [
        ShownFinding(f, [alternatives[s] for s in f.alternatives if s in alternatives])
        for f in findings
    ]


def week_days(check: WeekCheck) -> list[ShownDay]:
    alternatives = check.data.alternatives_by_slug()
    by_day: dict[int, list[RoutineItem]] = {day: [] for day in _DAYS}
    for item in sorted(check.items, key=attrgetter("day", "position", "id")):
        by_day[item.day].append(item)
    days = []
    for day, items in by_day.items():
        shown = []
        for index, item in enumerate(items):
            findings = check.by_item.get(item.id, [])
            shown.append(
                ShownItem(
                    item=item,
                    findings=_shown(findings, alternatives),
                    needs_acknowledgement=bool(check.to_confirm_by_item[item.id]),
                    first=index == 0,
                    last=index == len(items) - 1,
                    own_alternatives=check.data.alternatives.get(item.exercise_id, []),
                    with_therapist=check.with_therapist,
                    owner_id=check.owner_id,
                )
            )
        days.append(ShownDay(Weekday(day), shown))
    return days


@dataclass
class WeekSummary:
    """What needs doing first: the week's flagged exercises, each once, in the week's order."""

    attention: list[ShownItem]  # a danger not yet confirmed
    confirmed_danger: list[ShownItem]  # by the patient
    take_care: list[ShownItem]
    waiting: list[ShownItem] = field(default_factory=list)  # for the linked therapist
    advised_against: list[ShownItem] = field(default_factory=list)
    # a danger approved by the therapist
    approved: list[ShownItem] = field(default_factory=list)


def week_summary(days: list[ShownDay]) -> WeekSummary:
    summary = WeekSummary([], [], [])
    for day in days:
        for shown in day.items:
            state = shown.state
            if state == WAITING:
                summary.waiting.append(shown)
            elif state == TO_CONFIRM:
                summary.attention.append(shown)
            elif state == ADVISED_AGAINST:
                summary.advised_against.append(shown)
            elif state == APPROVED:
                summary.approved.append(shown)
            elif shown.highest == safety.DANGER:
                summary.confirmed_danger.append(shown)
            elif shown.highest == safety.CAUTION:
                summary.take_care.append(shown)
    return summary


@dataclass
class Total:
    """One weekly total beside its guideline target, for the week page's bars."""

    label: str
    value: int
    target: int
    unit: str

    @property
    def met(self) -> bool:
        return self.value >= self.target

    @property
    def percent(self) -> int:
        """How full the bar is (0 to 100)."""
        return min(100, round(100 * self.value / self.target)) if self.target else 100


def week_totals(items) -> list[Total]:
    """Minutes on the feet, strength days and balance days the week plans, against the
    guidelines' weekly targets (routines.targets)."""
    monday = targets.monday_of(date(2026, 1, 5))
    sessions = [
        targets.Session(
            day=monday + timedelta(days=item.day),
            minutes=(item.minutes or 0) * (item.sets or 1) if item.minutes else None,
            weight_bearing=item.exercise.weight_bearing,
            strengthening=item.exercise.strengthening,
            trains_balance=item.exercise.trains_balance,
        )
        for item in items
    ]
    week = targets.tally(monday, sessions, sessions)
    goal = targets.TARGETS
    return [
        Total(
            "Minutes on your feet (weight-bearing)",
            week.weight_bearing_minutes,
            goal.weight_bearing_minutes,
            "minutes",
        ),
        Total(
            "Days with strength exercises",
            week.strength_days,
            goal.strength_days,
            "days",
        ),
        Total(
            "Days with balance exercises", week.balance_days, goal.balance_days, "days"
        ),
    ]


@dataclass
class ExerciseSheet:
    """One exercise of the printed sheet: its steps, and what the week's items of it raise."""

    exercise: object
    findings: list[ShownFinding]
    alternatives: list
    steps: tuple[str, ...] = ()  # the texts, in order


def exercise_sheets(days: list[ShownDay]) -> list[ExerciseSheet]:
    """Each exercise once, in the order it first appears in the week.

    Its findings are those of all its items (one load may be heavy, another not), each code
    once at its highest severity.
    """
    sheets: dict[int, ExerciseSheet] = {}
    for day in days:
        for shown in day.items:
            sheet = sheets.get(shown.item.exercise_id)
            if sheet is None:
                sheets[shown.item.exercise_id] = ExerciseSheet(
                    shown.item.exercise, list(shown.findings), shown.alternatives
                )
                continue
            by_code = {f.finding.code: f for f in sheet.findings}
            for finding in shown.findings:
                known = by_code.get(finding.finding.code)
                if known is None or safety.SEVERITIES.index(
                    finding.severity
                ) > safety.SEVERITIES.index(known.severity):
                    by_code[finding.finding.code] = finding
            sheet.findings = sorted(
                by_code.values(),
                key=lambda f: (
                    safety.PATTERN_CODES.index(f.finding.code)
                    if f.finding.code in safety.PATTERN_CODES
                    else 99
                ),
            )
    return list(sheets.values())


def week_findings(check: WeekCheck) -> list[ShownFinding]:
    return _shown(check.week, {})


def item_findings(findings, exercises_by_slug) -> list[ShownFinding]:
    return _shown(findings, exercises_by_slug)


def distinct_alternatives(findings: list[ShownFinding]) -> list:
    """The safer alternatives of all these findings, each once, in order."""
    seen: dict = {}
    for finding in findings:
        for alternative in finding.alternatives:
            seen.setdefault(alternative.pk, alternative)
    return list(seen.values())


# One box per item: its findings merged, each piece of advice once.


@dataclass(frozen=True)
class AdvicePoint:
    text: str
    word: str = ""  # the severity word, given only when the box mixes severities


@dataclass(frozen=True)
class FindingBox:
    """An item's findings as one box: the worst severity, what it is about, the advice.

    Two movement patterns often end with the same advice ("Ask your therapist for a safer
    choice."): it is said once, last. Every finding's own message is kept.
    """

    severity: str
    titles: tuple[str, ...]
    points: tuple[AdvicePoint, ...]
    single: ShownFinding | None = None  # one finding only: shown as before, in one line

    @property
    def word(self):
        return SEVERITY_WORDS[self.severity]

    @property
    def icon(self):
        return SEVERITY_ICONS[self.severity]

    @property
    def title(self):
        rest = [t[:1].lower() + t[1:] for t in self.titles[1:]]
        if not rest:
            return self.titles[0]
        return f"{', '.join([self.titles[0], *rest[:-1]])} and {rest[-1]}"


def finding_box(findings: list[ShownFinding]) -> FindingBox | None:
    """One item's findings (pure: no query) as one box, or None when there are none."""
    if not findings:
        return None
    severity = safety.highest(f.finding for f in findings)
    if len(findings) == 1:
        return FindingBox(severity, (findings[0].title,), (), single=findings[0])
    ordered = sorted(findings, key=lambda f: -safety.SEVERITIES.index(f.severity))
    mixed = len({f.severity for f in findings}) > 1
    texts: dict[str, str] = {}
    ask = False
    for shown in ordered:
        text = shown.message.strip()
        if text.endswith(safety.ASK_THERAPIST):
            text, ask = text.removesuffix(safety.ASK_THERAPIST).strip(), True
        texts.setdefault(text, shown.word if mixed else "")
    points = [AdvicePoint(text, word) for text, word in texts.items() if text]
    if ask:
        points.append(AdvicePoint(safety.ASK_THERAPIST))
    titles = tuple(dict.fromkeys(f.title for f in ordered))
    return FindingBox(severity, titles, tuple(points))
