"""The one bridge from the database to the pure safety rules in routines.safety.

Safety data (each exercise's movement patterns and safer alternatives) is read with two
flat queries over the many-to-many tables rather than prefetch_related, and kept by each
process until the catalogue changes (CatalogueTables): the week page is the hottest page
of the app, and the catalogue changes far less often than the routines do.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter

from django.urls import reverse
from django.utils.functional import cached_property

from bonefit.prepared import instance_maker
from catalogue.models import (
    Exercise,
    ExerciseStep,
    MovementPattern,
    Status,
    dose_in_words,
)
from routines import safety
from routines.models import (
    WEEK_PAGE_EXERCISE_FIELDS,
    HealthProfile,
    Review,
    Routine,
    RoutineItem,
)


@dataclass(frozen=True)
class Alternative:
    """What the pages need of a safer alternative: enough to name it, link it and swap it in,
    and what the rules need to tell whether it is safe for a patient (its load threshold; its
    patterns are in SafetyData.patterns)."""

    pk: int
    slug: str
    name: str
    status: str
    load_threshold_kg: Decimal | None = None

    @property
    def is_retired(self) -> bool:
        return self.status == Status.RETIRED

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    def get_absolute_url(self) -> str:
        return reverse("catalogue:detail", args=[self.slug])


# What the rules read of an exercise's own fields; its patterns and alternatives come from
# the catalogue's tables (SafetyData).
OWN_FACT_FIELDS = (
    "slug",
    "name",
    "weight_bearing",
    "strengthening",
    "trains_balance",
    "load_threshold_kg",
)
_own_facts = attrgetter(*OWN_FACT_FIELDS)


@dataclass
class SafetyData:
    """Patterns and alternatives of a set of exercises, by exercise id.

    `patterns` also holds the patterns of every alternative, so the rules can tell which
    alternatives are safe for a patient without another query.
    """

    patterns: dict[int, frozenset[str]]
    alternatives: dict[int, list[Alternative]]
    # Facts already made, by the exercise's own fields: CatalogueTables shares its own, so
    # each exercise's facts are made once per catalogue version, not once per page.
    made: dict[tuple, safety.Exercise] = field(default_factory=dict, repr=False)
    # The exercises whose patterns and alternatives were read for this SafetyData. Facts
    # of any other exercise lack them, so they are made but not kept in `made`: kept, they
    # would reach every page that asks for them properly.
    read: frozenset[int] = frozenset()

    def facts(self, exercise: Exercise) -> safety.Exercise:
        own = _own_facts(exercise)
        pk = exercise.id  # not .pk: see WeekCheck
        if pk not in self.read:
            return self._make_facts(pk, own)
        key = (pk, own)
        made = self.made.get(key)
        if made is None:
            made = self.made[key] = self._make_facts(pk, own)
        return made

    def _make_facts(self, pk: int, own: tuple) -> safety.Exercise:
        return safety.Exercise(
            **dict(zip(OWN_FACT_FIELDS, own, strict=True)),
            patterns=self.patterns.get(pk, frozenset()),
            alternatives=tuple(
                safety.Exercise(
                    slug=a.slug,
                    name=a.name,
                    patterns=self.patterns.get(a.pk, frozenset()),
                    load_threshold_kg=a.load_threshold_kg,
                )
                for a in self.alternatives.get(pk, [])
                if a.is_published  # retired and draft exercises are never offered
            ),
        )

    def alternatives_by_slug(self) -> dict[str, Alternative]:
        return {a.slug: a for alts in self.alternatives.values() for a in alts}


class CatalogueTables:
    """The catalogue's tables as of one catalogue version: each exercise's movement
    patterns and safer alternatives, the therapists' pattern rules, and what a week and
    its printed sheet show of each exercise (its fields and steps).

    Every week, printed sheet and item form needs them, and they change only when a
    therapist edits the catalogue, so each process keeps them (catalogue_tables()) for as
    long as Exercise.objects.catalogue_version() stays the same (and at most
    TABLES_MAX_AGE_SECONDS), and reads only the exercises it has not seen yet. Bounded by
    the size of the catalogue.
    """

    def __init__(self, version: str):
        self.version = version
        self.read_at = time.monotonic()
        self._patterns: dict[int, frozenset[str]] = {}
        self._alternatives: dict[int, tuple[Alternative, ...]] = {}
        self._rules: dict[str, safety.PatternRule] | None = None
        self._exercise_rows: dict[int, tuple] = {}
        self._steps: dict[int, tuple[str, ...]] = {}
        self._visible_by_slug: dict[str, int | None] = {}
        self._facts: dict[tuple, safety.Exercise] = {}

    def exercises(self, exercise_ids: Iterable[int]) -> dict[int, Exercise]:
        """{pk: Exercise} with the fields a week and its printed sheet show
        (WEEK_PAGE_EXERCISE_FIELDS): one query for those not read yet, none otherwise.
        New instances on every call, so a page may change its own."""
        ids = set(exercise_ids)
        self._read_exercises(ids - self._exercise_rows.keys())
        rows = self._exercise_rows
        return {pk: _make_exercise(rows[pk]) for pk in ids if pk in rows}

    def visible_exercise(self, slug: str) -> Exercise | None:
        """The published or retired exercise with this slug (as exercises() gives it)."""
        if slug not in self._visible_by_slug:
            row = (
                Exercise.objects.visible()
                .filter(slug=slug)
                .values_list(*_EXERCISE_COLUMNS)
                .first()
            )
            if row is not None:
                self._exercise_rows[row[0]] = row
            self._visible_by_slug[slug] = row[0] if row else None
        pk = self._visible_by_slug[slug]
        return None if pk is None else self.exercises([pk])[pk]

    def steps(self, exercise_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
        """{pk: the texts of its steps, in order}: one query for those not read yet."""
        ids = set(exercise_ids)
        missing = ids - self._steps.keys()
        if missing:
            found = defaultdict(list)
            for exercise_id, order, pk, text in (
                ExerciseStep.objects.filter(exercise_id__in=missing)
                .order_by()
                .values_list("exercise_id", "order", "pk", "text")
            ):
                found[exercise_id].append((order, pk, text))
            for pk in missing:
                self._steps[pk] = tuple(text for _, _, text in sorted(found[pk]))
        return {pk: self._steps[pk] for pk in ids}

    def _read_exercises(self, ids):
        if ids:
            for row in Exercise.objects.filter(pk__in=ids).values_list(
                *_EXERCISE_COLUMNS
            ):
                self._exercise_rows[row[0]] = row

    def safety_data(self, exercise_ids: Iterable[int]) -> SafetyData:
        """At most two queries (none for exercises already read), whatever their number."""
        ids = set(exercise_ids)
        self._read_alternatives(ids - self._alternatives.keys())
        alternatives = {pk: self._alternatives[pk] for pk in ids}
        wanted = ids | {a.pk for alts in alternatives.values() for a in alts}
        self._read_patterns(wanted - self._patterns.keys())
        return SafetyData(
            patterns={pk: self._patterns[pk] for pk in wanted if self._patterns[pk]},
            alternatives={pk: list(alts) for pk, alts in alternatives.items() if alts},
            made=self._facts,
            read=frozenset(ids),
        )

    def rules(self) -> dict[str, safety.PatternRule]:
        """The severity table and messages that therapists edit in the admin (one query
        the first time)."""
        if self._rules is None:
            self._rules = _read_pattern_rules()
        return dict(self._rules)

    def _read_alternatives(self, ids):
        if not ids:
            return
        found = defaultdict(list)
        rows = (
            Exercise.alternatives.through.objects.filter(from_exercise_id__in=ids)
            .order_by("to_exercise__name", "to_exercise_id")
            .values_list(
                "from_exercise_id",
                "to_exercise_id",
                "to_exercise__slug",
                "to_exercise__name",
                "to_exercise__status",
                "to_exercise__load_threshold_kg",
            )
        )
        for exercise_id, pk, slug, name, status, threshold in rows:
            found[exercise_id].append(Alternative(pk, slug, name, status, threshold))
        for pk in ids:
            self._alternatives[pk] = tuple(found.get(pk, ()))

    def _read_patterns(self, ids):
        if not ids:
            return
        found = defaultdict(set)
        through = Exercise.patterns.through.objects.filter(exercise_id__in=ids)
        for exercise_id, code in through.values_list(
            "exercise_id", "movementpattern__code"
        ):
            found[exercise_id].add(code)
        for pk in ids:
            self._patterns[pk] = frozenset(found.get(pk, ()))


# The columns CatalogueTables.exercises() reads, in the model's order (Model.from_db needs it).
_EXERCISE_COLUMNS = tuple(
    field.attname
    for field in Exercise._meta.concrete_fields
    if field.primary_key or field.name in WEEK_PAGE_EXERCISE_FIELDS
)
_make_exercise = instance_maker(Exercise, _EXERCISE_COLUMNS)

_tables = CatalogueTables("")


# However quiet the catalogue, each process reads its tables afresh this often, and the
# week fragments and routine summaries made from them are cached no longer: a change that
# moves no version (a QuerySet.update() that stamps nothing, SQL run on the database by
# hand) is seen within this time.
TABLES_MAX_AGE_SECONDS = 10 * 60


def catalogue_tables(version: str | None = None) -> CatalogueTables:
    """This process's CatalogueTables for the catalogue as it is now (one cheap query for
    its version, unless the caller has just read it)."""
    global _tables
    if version is None:
        version = Exercise.objects.catalogue_version()
    tables = _tables
    if (
        tables.version != version
        or time.monotonic() - tables.read_at > TABLES_MAX_AGE_SECONDS
    ):
        tables = _tables = CatalogueTables(version)
    return tables


def forget_catalogue_tables() -> None:
    """Drop this process's tables (tests that roll the database back use this)."""
    global _tables
    _tables = CatalogueTables("")


def week_items(items: list[RoutineItem], tables: CatalogueTables) -> list[RoutineItem]:
    """`items` (of RoutineItem.objects.for_week_page(), in week order: week_list() or
    Routine.items_for_week_page()), each with its exercise from `tables`."""
    exercises = tables.exercises({item.exercise_id for item in items})
    # The exercise is the one exercise_id names: cached as `item.exercise = …` would,
    # without the descriptor's checks, which cost more than the rest of this page's items.
    cache_exercise = RoutineItem._meta.get_field("exercise").set_cached_value
    for item in items:
        cache_exercise(item, exercises[item.exercise_id])
    return items


def safety_data(exercise_ids: Iterable[int]) -> SafetyData:
    """The patterns and alternatives of these exercises: see CatalogueTables."""
    return catalogue_tables().safety_data(exercise_ids)


def pattern_rules() -> dict[str, safety.PatternRule]:
    """The therapists' rules for each movement pattern: see CatalogueTables."""
    return catalogue_tables().rules()


def _read_pattern_rules() -> dict[str, safety.PatternRule]:
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
    """The findings of one routine, arranged for the week page and the printed sheet.

    Items and exercises are looked up by `.id` here and in routines.presenting, not by
    `.pk`: Django's pk is a property, and a week of 14 items read it about 200 times, a
    tenth of the time its check and arranging took."""

    items: list[RoutineItem]
    findings: list[safety.Finding]
    data: SafetyData
    with_therapist: bool = False
    owner_id: int | None = None
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

    def items_flagged(self, severity: str) -> int:
        """How many items have `severity` as their highest finding (exercises, not warnings)."""
        return sum(
            1
            for item in self.items
            if safety.highest(self.by_item.get(item.id, [])) == severity
        )

    @cached_property
    def to_confirm_by_item(self) -> dict[int, frozenset[str]]:
        """{item id: its danger codes still to confirm} (see dangers_to_confirm below),
        worked out once per item for the summary, the days and the totals."""
        return {
            item.id: dangers_to_confirm(
                item,
                self.by_item.get(item.id, []),
                with_therapist=self.with_therapist,
            )
            for item in self.items
        }

    def items_to_confirm(self) -> list[RoutineItem]:
        """The items with a danger still to confirm (or, with a linked therapist, still
        waiting for the therapist's decision)."""
        to_confirm = self.to_confirm_by_item
        return [item for item in self.items if to_confirm[item.id]]

    def items_advised_against(self) -> list[RoutineItem]:
        """The danger items a therapist advised against (and the patient kept)."""
        return self._items_decided(Review.ADVISED_AGAINST)

    def items_approved(self) -> list[RoutineItem]:
        """The danger items a therapist approved (and nothing new to confirm since)."""
        return self._items_decided(Review.APPROVED)

    def _items_decided(self, decision) -> list[RoutineItem]:
        to_confirm = self.to_confirm_by_item
        return [
            item
            for item in self.items
            if item.review_decision == decision
            and any(f.severity == safety.DANGER for f in self.by_item.get(item.id, []))
            and not to_confirm[item.id]
        ]

    def items_on_hold(self) -> set[int]:
        """The ids of the items the week tells the patient not to do now: a danger still to
        confirm or waiting for the therapist, or one the therapist advised against. The
        week's totals, Today and the tick sheet leave them out."""
        return {item.id for item in self.items_to_confirm()} | {
            item.id for item in self.items_advised_against()
        }


def dangers_to_confirm(
    item: RoutineItem,
    findings: Iterable[safety.Finding],
    exercise: Exercise | None = None,
    *,
    with_therapist: bool,
    dose: dict | None = None,
) -> frozenset[str]:
    """The danger codes of `item` still to confirm, were it to have `exercise` (by default
    its own), `dose` (by default its own) and these findings; `with_therapist` says whether
    the patient shares with a therapist now. See safety.dangers_to_confirm."""
    exercise = exercise or item.exercise
    return safety.dangers_to_confirm(
        findings,
        item.acknowledged_for(exercise),
        reviewed=item.reviewed_for(exercise, dose),
        with_therapist=with_therapist,
    )


def check_items(
    profile: HealthProfile,
    items: Sequence[RoutineItem],
    *,
    with_therapist: bool,
    data: SafetyData | None = None,
    rules: dict[str, safety.PatternRule] | None = None,
    tables: CatalogueTables | None = None,
) -> WeekCheck:
    """Check items loaded with RoutineItem.objects.for_week() (their exercise selected).

    `with_therapist`: the owner shares with a therapist now (CareLink.objects.has_therapist).
    Queries: the catalogue's version, unless `tables` or both `data` and `rules` are
    given, and its tables' rows this process has not read yet (see CatalogueTables).
    """
    if tables is None and (data is None or rules is None):
        tables = catalogue_tables()
    if data is None:
        data = tables.safety_data(item.exercise_id for item in items)
    if rules is None:
        rules = tables.rules()
    facts_by_exercise: dict[int, safety.Exercise] = {}
    facts = []
    for item in items:
        exercise_facts = facts_by_exercise.get(item.exercise_id)
        if exercise_facts is None:
            exercise_facts = facts_by_exercise[item.exercise_id] = data.facts(
                item.exercise
            )
        facts.append(item.as_facts(exercise_facts))
    findings = safety.check(profile.as_facts(), facts, rules)
    return WeekCheck(
        items=list(items),
        findings=findings,
        data=data,
        with_therapist=with_therapist,
        owner_id=profile.user_id,
    )


def candidate_findings(
    profile: HealthProfile, item: RoutineItem, exercise: Exercise
) -> list[safety.Finding]:
    """The findings an item would have if saved as it is now (used by the item forms)."""
    tables = catalogue_tables()
    facts = item.as_facts(tables.safety_data([exercise.pk]).facts(exercise))
    return safety.item_findings(profile.as_facts(), facts, tables.rules())


def dose_after_swap(
    profile: HealthProfile, item: RoutineItem, alternative: Exercise
) -> tuple[dict, list[str]]:
    """The dose an item keeps when `alternative` replaces its exercise, and what changed.

    Sets, repetitions and minutes stay when the alternative is counted the same way; a
    weight at or over the patient's threshold for the alternative is taken off. The
    changes are sentences for the confirmation.
    """
    any_count = alternative.default_reps is None and alternative.default_minutes is None
    reps = item.reps if any_count or alternative.default_reps is not None else None
    minutes = (
        item.minutes if any_count or alternative.default_minutes is not None else None
    )
    if reps is None and minutes is None:  # counted another way: its usual dose
        sets, reps, minutes = (
            alternative.default_sets,
            alternative.default_reps,
            alternative.default_minutes,
        )
        if reps is None and minutes is None:
            reps = 10
    else:
        sets = item.sets
    dose = {"sets": sets, "reps": reps, "minutes": minutes, "load_kg": item.load_kg}
    changes = []
    if item.load_kg is not None:
        facts = safety_data([alternative.pk]).facts(alternative)
        dose["load_kg"] = safety.load_after_swap(
            profile.as_facts(), item.load_kg, facts
        )
        if dose["load_kg"] is None:
            changes.append(
                f"The weight of {item.load_kg.normalize():f} kg was taken off: for "
                f"{alternative.name} it counts as heavy for you."
            )
    before = dose_in_words(item.sets, item.reps, item.minutes)
    after = dose_in_words(dose["sets"], dose["reps"], dose["minutes"])
    if before != after:
        changes.append(f"The amount changed from {before} to {after}.")
    return dose, changes


def warning_pattern_codes(profile: safety.Profile) -> frozenset[str]:
    """The movement patterns that raise more than "good to know" for this profile.

    An exercise is suitable for a patient when it carries none of them: with no load, an
    item's findings come from its exercise's patterns alone. One query (the rules).
    """
    return frozenset(warning_pattern_severities(profile))


def warning_pattern_severities(profile: safety.Profile) -> dict[str, str]:
    """{movement pattern: safety.CAUTION or safety.DANGER} for this profile: each of
    warning_pattern_codes() with the severity it raises. One query (the rules)."""
    severities = {
        code: safety.pattern_severity(profile, code, rule)
        for code, rule in pattern_rules().items()
    }
    return {
        code: severity
        for code, severity in severities.items()
        if severity in (safety.CAUTION, safety.DANGER)
    }


def profile_facts_of(user) -> safety.Profile:
    if user.is_authenticated:
        return HealthProfile.for_user(user).as_facts()
    return safety.CAUTIOUS_PROFILE


def unsuitable_pattern_codes(user) -> frozenset[str]:
    """warning_pattern_codes() for a user (the catalogue's hook, see settings)."""
    return warning_pattern_codes(profile_facts_of(user))


@dataclass(frozen=True)
class RoutineSummary:
    """What the routine list says of one routine's week."""

    item_count: int
    danger: int  # items whose highest finding is a danger
    caution: int
    to_confirm: int  # dangers still to confirm (or waiting for the therapist)
    advised_against: int
    approved: int = 0  # dangers the therapist approved

    @property
    def confirmed_danger(self) -> int:
        """Danger items the patient confirmed they discussed with a therapist (not
        waiting, not decided by their therapist)."""
        return self.danger - self.to_confirm - self.advised_against - self.approved

    @classmethod
    def of(cls, check: WeekCheck) -> RoutineSummary:
        return cls(
            item_count=len(check.items),
            danger=check.items_flagged(safety.DANGER),
            caution=check.items_flagged(safety.CAUTION),
            to_confirm=len(check.items_to_confirm()),
            advised_against=len(check.items_advised_against()),
            approved=len(check.items_approved()),
        )


def routine_checks(user, profile, *, with_therapist, routines=None, tables=None):
    """Check every routine of `user` (or only `routines`, all of them theirs) in a fixed
    number of queries: {routine: WeekCheck}. `tables`: see check_items."""
    if routines is None:
        routines = list(Routine.objects.owned_by(user).select_related("created_by"))
    tables = tables or catalogue_tables()
    all_items = week_items(
        RoutineItem.of_own_routines(user.pk, [routine.pk for routine in routines]),
        tables,
    )
    data = tables.safety_data(item.exercise_id for item in all_items)
    rules = tables.rules()
    items = defaultdict(list)
    for item in all_items:
        items[item.routine_id].append(item)
    return {
        routine: check_items(
            profile,
            items[routine.pk],
            with_therapist=with_therapist,
            data=data,
            rules=rules,
        )
        for routine in routines
    }


@dataclass(frozen=True)
class PersonalAdvice:
    """What an exercise's page says to one signed-in patient."""

    severities: dict[str, str]  # pattern code -> severity for this patient ("none" too)
    highest: str | None  # the highest finding at the usual dose, None if nothing
    safe_alternatives: tuple[str, ...]  # slugs, safe for this patient at the usual dose

    @property
    def is_dangerous(self) -> bool:
        return self.highest == safety.DANGER


def advice_for_user(user, exercise: Exercise) -> PersonalAdvice:
    """The exercise at its usual dose checked against this user's profile. Two queries
    (the profile, the catalogue's version) once the catalogue's tables are read."""
    profile = HealthProfile.for_user(user).as_facts()
    tables = catalogue_tables()
    rules = tables.rules()
    facts = tables.safety_data([exercise.pk]).facts(exercise)
    item = safety.Item(
        day="mon",
        exercise=facts,
        sets=exercise.default_sets,
        reps=exercise.default_reps or (None if exercise.default_minutes else 1),
        minutes=exercise.default_minutes,
    )
    findings = safety.item_findings(profile, item, rules)
    return PersonalAdvice(
        severities=safety.exercise_severities(profile, facts, rules),
        highest=safety.highest(findings),
        safe_alternatives=safety.safe_alternatives(profile, item, rules),
    )
