"""The one bridge from the database to the pure safety rules in routines.safety."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from catalogue.models import Exercise, MovementPattern
from routines import safety
from routines.models import HealthProfile, RoutineItem


def pattern_rules() -> dict[str, safety.PatternRule]:
    """One query: the severity table and messages that therapists edit in the admin."""
    rules = dict(safety.DEFAULT_RULES)
    for pattern in MovementPattern.objects.all():
        rules[pattern.code] = safety.PatternRule(
            pattern.code,
            pattern.message,
            {
                safety.LOW_BONE_MASS: pattern.low_bone_mass,
                safety.OSTEOPOROSIS: pattern.osteoporosis,
                safety.HIGH_RISK: pattern.high_risk,
            },
        )
    return rules


def exercise_facts(exercise: Exercise) -> safety.Exercise:
    """Needs exercise.patterns and exercise.alternatives prefetched (no query then)."""
    return safety.Exercise(
        slug=exercise.slug,
        name=exercise.name,
        patterns=frozenset(p.code for p in exercise.patterns.all()),
        weight_bearing=exercise.weight_bearing,
        strengthening=exercise.strengthening,
        trains_balance=exercise.trains_balance,
        load_threshold_kg=exercise.load_threshold_kg,
        alternatives=tuple(
            a.slug
            for a in sorted(exercise.alternatives.all(), key=lambda a: a.name)
            if not a.is_retired
        ),
    )


@dataclass
class WeekCheck:
    """The findings of one routine, arranged for the week page and the printed sheet."""

    items: list[RoutineItem]
    findings: list[safety.Finding]
    alternatives: dict[
        str, Exercise
    ]  # slug -> exercise, for the swap buttons and links
    by_item: dict[int, list[safety.Finding]] = field(default_factory=dict)
    week: list[safety.Finding] = field(default_factory=list)

    def __post_init__(self):
        grouped = defaultdict(list)
        for finding in self.findings:
            if finding.item_key is None:
                self.week.append(finding)
            else:
                grouped[finding.item_key].append(finding)
        self.by_item = dict(grouped)

    @property
    def counts(self) -> dict[str, int]:
        return safety.counts(self.findings)

    def unacknowledged_dangers(self) -> list[RoutineItem]:
        return [
            item
            for item in self.items
            if unacknowledged_danger_codes(item, self.by_item.get(item.pk, []))
        ]


def unacknowledged_danger_codes(
    item: RoutineItem, findings: Iterable[safety.Finding]
) -> set[str]:
    return {f.code for f in findings if f.severity == safety.DANGER} - item.acknowledged


def check_items(profile: HealthProfile, items: Sequence[RoutineItem]) -> WeekCheck:
    """`items` come from RoutineItem.objects.for_week(); no query runs per item.

    Queries: the rules (1) and the alternatives' own details (1) when there are any.
    """
    facts = [item.as_facts(exercise_facts(item.exercise)) for item in items]
    findings = safety.check(profile.as_facts(), facts, pattern_rules())
    # Alternatives were prefetched with the items; map them by slug for the templates.
    alternatives = {
        alt.slug: alt for item in items for alt in item.exercise.alternatives.all()
    }
    return WeekCheck(items=list(items), findings=findings, alternatives=alternatives)


def check_routine(routine, profile: HealthProfile) -> WeekCheck:
    return check_items(profile, list(routine.items.for_week()))


def candidate_findings(
    profile: HealthProfile, item: RoutineItem, exercise: Exercise
) -> list[safety.Finding]:
    """The findings an item would have if saved as it is now (used by the item forms)."""
    exercise = Exercise.objects.with_safety_data().get(pk=exercise.pk)
    return safety.item_findings(
        profile.as_facts(), item.as_facts(exercise_facts(exercise)), pattern_rules()
    )


def suitable_exercise_ids(user, exercises: Iterable[Exercise]) -> set[int]:
    """Exercises whose movements are at most "good to know" for this user's profile.

    `exercises` must have their patterns and alternatives prefetched.
    """
    profile = (
        HealthProfile.for_user(user).as_facts()
        if user.is_authenticated
        else safety.CAUTIOUS_PROFILE
    )
    rules = pattern_rules()
    suitable = set()
    for exercise in exercises:
        item = safety.Item(day="mon", exercise=exercise_facts(exercise), reps=1)
        if all(
            f.severity == safety.INFO
            for f in safety.item_findings(profile, item, rules)
        ):
            suitable.add(exercise.pk)
    return suitable
