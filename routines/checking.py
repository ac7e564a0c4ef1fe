"""The one bridge from the database to the pure safety rules in routines.safety.

Safety data (each exercise's movement patterns and safer alternatives) is read with two
flat queries over the many-to-many tables rather than prefetch_related: the week page is
the hottest page of the app, and this is several times cheaper than building model
instances for every pattern and alternative.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.urls import reverse

from catalogue.models import Exercise, MovementPattern, Status
from routines import safety
from routines.models import HealthProfile, Routine, RoutineItem


@dataclass(frozen=True)
class Alternative:
    """What the pages need of a safer alternative: enough to name it, link it and swap it in."""

    pk: int
    slug: str
    name: str
    status: str

    @property
    def is_retired(self) -> bool:
        return self.status == Status.RETIRED

    def get_absolute_url(self) -> str:
        return reverse("catalogue:detail", args=[self.slug])


@dataclass
class SafetyData:
    """Patterns and alternatives of a set of exercises, by exercise id."""

    patterns: dict[int, frozenset[str]]
    alternatives: dict[int, list[Alternative]]

    def facts(self, exercise: Exercise) -> safety.Exercise:
        return safety.Exercise(
            slug=exercise.slug,
            name=exercise.name,
            patterns=self.patterns.get(exercise.pk, frozenset()),
            weight_bearing=exercise.weight_bearing,
            strengthening=exercise.strengthening,
            trains_balance=exercise.trains_balance,
            load_threshold_kg=exercise.load_threshold_kg,
            alternatives=tuple(
                a.slug
                for a in self.alternatives.get(exercise.pk, [])
                if not a.is_retired
            ),
        )

    def alternatives_by_slug(self) -> dict[str, Alternative]:
        return {a.slug: a for alts in self.alternatives.values() for a in alts}


def safety_data(exercise_ids: Iterable[int]) -> SafetyData:
    """Two queries, whatever the number of exercises."""
    ids = set(exercise_ids)
    patterns: dict[int, set[str]] = defaultdict(set)
    alternatives: dict[int, list[Alternative]] = defaultdict(list)
    if ids:
        through = Exercise.patterns.through.objects.filter(exercise_id__in=ids)
        for exercise_id, code in through.values_list(
            "exercise_id", "movementpattern__code"
        ):
            patterns[exercise_id].add(code)
        rows = (
            Exercise.alternatives.through.objects.filter(from_exercise_id__in=ids)
            .order_by("to_exercise__name", "to_exercise_id")
            .values_list(
                "from_exercise_id",
                "to_exercise_id",
                "to_exercise__slug",
                "to_exercise__name",
                "to_exercise__status",
            )
        )
        for exercise_id, pk, slug, name, status in rows:
            alternatives[exercise_id].append(Alternative(pk, slug, name, status))
    return SafetyData(
        patterns={pk: frozenset(codes) for pk, codes in patterns.items()},
        alternatives=dict(alternatives),
    )


def pattern_rules() -> dict[str, safety.PatternRule]:
    """One query: the severity table and messages that therapists edit in the admin."""
    rules = dict(safety.DEFAULT_RULES)
    for code, message, low, osteo, high in MovementPattern.objects.values_list(
        "code", "message", "low_bone_mass", "osteoporosis", "high_risk"
    ):
        rules[code] = safety.PatternRule(
            code,
            message,
            {
                safety.LOW_BONE_MASS: low,
                safety.OSTEOPOROSIS: osteo,
                safety.HIGH_RISK: high,
            },
        )
    return rules


@dataclass
class WeekCheck:
    """The findings of one routine, arranged for the week page and the printed sheet."""

    items: list[RoutineItem]
    findings: list[safety.Finding]
    data: SafetyData
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


def check_items(
    profile: HealthProfile,
    items: Sequence[RoutineItem],
    *,
    data: SafetyData | None = None,
    rules: dict[str, safety.PatternRule] | None = None,
) -> WeekCheck:
    """Check items loaded with RoutineItem.objects.for_week() (their exercise selected).

    Queries: the safety data (2, unless given) and the rules (1, unless given).
    """
    if data is None:
        data = safety_data(item.exercise_id for item in items)
    facts_by_exercise: dict[int, safety.Exercise] = {}
    facts = []
    for item in items:
        exercise_facts = facts_by_exercise.get(item.exercise_id)
        if exercise_facts is None:
            exercise_facts = facts_by_exercise[item.exercise_id] = data.facts(
                item.exercise
            )
        facts.append(item.as_facts(exercise_facts))
    findings = safety.check(
        profile.as_facts(), facts, rules if rules is not None else pattern_rules()
    )
    return WeekCheck(items=list(items), findings=findings, data=data)


def candidate_findings(
    profile: HealthProfile, item: RoutineItem, exercise: Exercise
) -> list[safety.Finding]:
    """The findings an item would have if saved as it is now (used by the item forms)."""
    facts = item.as_facts(safety_data([exercise.pk]).facts(exercise))
    return safety.item_findings(profile.as_facts(), facts, pattern_rules())


def suitable_exercise_ids(user, exercises: Iterable[Exercise]) -> set[int]:
    """Exercises whose movements are at most "good to know" for this user's profile."""
    exercises = list(exercises)
    profile = (
        HealthProfile.for_user(user).as_facts()
        if user.is_authenticated
        else safety.CAUTIOUS_PROFILE
    )
    rules = pattern_rules()
    data = safety_data(e.pk for e in exercises)
    suitable = set()
    for exercise in exercises:
        item = safety.Item(day="mon", exercise=data.facts(exercise), reps=1)
        if all(
            f.severity == safety.INFO
            for f in safety.item_findings(profile, item, rules)
        ):
            suitable.add(exercise.pk)
    return suitable


def unsuitable_pattern_codes(user) -> set[str]:
    """The movement patterns that make an exercise unsuitable for this user: one query.

    The same test as suitable_exercise_ids, asked once per pattern instead of once per
    exercise, so the catalogue can filter thousands of exercises in SQL. Each pattern gives
    its own finding, so an exercise is suitable exactly when none of its patterns is here.
    """
    profile = (
        HealthProfile.for_user(user).as_facts()
        if user.is_authenticated
        else safety.CAUTIOUS_PROFILE
    )
    rules = pattern_rules()
    unsuitable = set()
    for code in rules:
        probe = safety.Exercise(slug="probe", patterns=frozenset({code}))
        item = safety.Item(day="mon", exercise=probe, reps=1)
        if any(
            f.severity != safety.INFO
            for f in safety.item_findings(profile, item, rules)
        ):
            unsuitable.add(code)
    return unsuitable


def routine_checks(user, profile):
    """Check every routine of `user` in a fixed number of queries: {routine: WeekCheck}."""
    routines = list(Routine.objects.owned_by(user))
    all_items = list(RoutineItem.objects.owned_by(user).for_week())
    data = safety_data(item.exercise_id for item in all_items)
    rules = pattern_rules()
    items = defaultdict(list)
    for item in all_items:
        items[item.routine_id].append(item)
    return {
        routine: check_items(profile, items[routine.pk], data=data, rules=rules)
        for routine in routines
    }


def severities_for_user(user, exercise: Exercise) -> dict[str, str]:
    """How much each movement of `exercise` matters for this user: {pattern code: severity}."""
    profile = HealthProfile.for_user(user).as_facts()
    rules = pattern_rules()
    facts = safety_data([exercise.pk]).facts(exercise)
    return {
        f.code: f.severity
        for f in safety.item_findings(profile, safety.Item("mon", facts, reps=1), rules)
    }
