"""Arranging checked routines for the templates: days, items and findings in plain words."""

from __future__ import annotations

from dataclasses import dataclass

from catalogue.models import Exercise, PatternCode
from routines import safety
from routines.checking import WeekCheck, unacknowledged_danger_codes
from routines.models import RoutineItem, Weekday

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
    alternatives: list[Exercise]

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
        if code in PatternCode.values:
            return PatternCode(code).label
        return WEEK_TITLES.get(code, code)


@dataclass
class ShownItem:
    item: RoutineItem
    findings: list[ShownFinding]
    needs_acknowledgement: bool
    first: bool
    last: bool

    @property
    def highest(self):
        return safety.highest(f.finding for f in self.findings)

    @property
    def alternatives(self):
        alternatives = distinct_alternatives(self.findings)
        if (
            self.item.exercise.is_retired
        ):  # a retired exercise always points to what replaces it
            known = {a.pk for a in alternatives}
            alternatives += [
                a
                for a in self.item.exercise.alternatives.all()
                if a.pk not in known and not a.is_retired
            ]
        return alternatives

    @property
    def acknowledged_danger(self):
        return (
            any(f.severity == safety.DANGER for f in self.findings)
            and not self.needs_acknowledgement
        )


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
    by_day: dict[int, list[RoutineItem]] = {day: [] for day in Weekday.values}
    for item in sorted(check.items, key=lambda i: (i.day, i.position, i.pk)):
        by_day[item.day].append(item)
    days = []
    for day, items in by_day.items():
        shown = []
        for index, item in enumerate(items):
            findings = check.by_item.get(item.pk, [])
            shown.append(
                ShownItem(
                    item=item,
                    findings=_shown(findings, check.alternatives),
                    needs_acknowledgement=bool(
                        unacknowledged_danger_codes(item, findings)
                    ),
                    first=index == 0,
                    last=index == len(items) - 1,
                )
            )
        days.append(ShownDay(Weekday(day), shown))
    return days


def week_findings(check: WeekCheck) -> list[ShownFinding]:
    return _shown(check.week, check.alternatives)


def item_findings(findings, exercises_by_slug) -> list[ShownFinding]:
    return _shown(findings, exercises_by_slug)


def distinct_alternatives(findings: list[ShownFinding]) -> list[Exercise]:
    """The safer alternatives of all these findings, each once, in order."""
    seen: dict[int, Exercise] = {}
    for finding in findings:
        for alternative in finding.alternatives:
            seen.setdefault(alternative.pk, alternative)
    return list(seen.values())
