import secrets
import zoneinfo
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from operator import attrgetter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, connections, models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from bonefit.links import reverse_fast
from bonefit.prepared import PreparedQuery
from catalogue.models import dose_in_words, length_limit
from catalogue.roles import THERAPISTS
from routines import progression, safety


class Diagnosis(models.TextChoices):
    OSTEOPENIA = "osteopenia", "Osteopenia (bones thinner than usual)"
    OSTEOPOROSIS = "osteoporosis", "Osteoporosis"
    UNSURE = "unsure", "I am not sure"


class RiskLevel(models.TextChoices):
    LOW_BONE_MASS = safety.LOW_BONE_MASS, "Low bone mass"
    OSTEOPOROSIS = safety.OSTEOPOROSIS, "Osteoporosis"
    HIGH_RISK = (
        safety.HIGH_RISK,
        "Higher risk (after a spine or hip fracture, or two or more broken bones)",
    )


class FractureCount(models.IntegerChoices):
    NONE = 0, "None"
    ONE = 1, "One"
    TWO = 2, "Two"
    THREE_OR_MORE = 3, "Three or more"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"

    @property
    def code(self):
        return safety.DAYS[self.value]

    @classmethod
    def from_code(cls, code):
        return cls(safety.DAYS.index(code))


class HealthProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="health_profile",
    )
    diagnosis = models.CharField(
        "What did your doctor tell you?",
        max_length=20,
        choices=Diagnosis,
        default=Diagnosis.UNSURE,
    )
    fragility_fractures = models.PositiveSmallIntegerField(
        "How many bones have you broken since age 50 in a fall from standing height or less?",
        choices=FractureCount,
        default=FractureCount.NONE,
        help_text="Count each break, even the same bone twice. A fall from standing "
        "height or less includes tripping, slipping or falling out of a chair.",
    )
    fracture_spine = models.BooleanField("A bone in my spine (back)", default=False)
    fracture_hip = models.BooleanField("My hip", default=False)
    fracture_wrist = models.BooleanField("My wrist", default=False)
    fracture_other = models.BooleanField(
        "Another bone, after a minor fall or bump", default=False
    )
    falls_last_year = models.BooleanField("I fell in the last 12 months", default=False)
    neuropathy = models.BooleanField(
        "I have numbness or tingling in my feet (peripheral neuropathy)", default=False
    )
    restrictions = models.TextField(
        "What your therapist asked you to avoid",
        max_length=2000,
        blank=True,
        help_text="Optional. Shown at the top of your routines and on the printed sheet.",
    )
    # Optimistic locking: answers saved from an older copy of the page are refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(diagnosis__in=Diagnosis.values),
                name="profile_diagnosis_valid",
            ),
            models.CheckConstraint(
                condition=Q(fragility_fractures__in=FractureCount.values),
                name="profile_fragility_fractures_valid",
            ),
            length_limit("restrictions", 2000, model="profile"),
        ]

    def __str__(self):
        return f"Health profile of {self.user}"

    @classmethod
    def for_user(cls, user):
        """The saved profile, or an unsaved cautious default; never writes (GETs stay read-only)."""
        return cls.objects.filter(user=user).first() or cls(user=user)

    @classmethod
    def of_owner(cls, routine):
        """The profile of a routine's owner, loaded with select_related("owner__health_profile")."""
        try:
            return routine.owner.health_profile
        except cls.DoesNotExist:
            return cls(user=routine.owner)

    @classmethod
    def for_user_loaded(cls, user):
        """The profile of a user loaded with select_related("...health_profile")."""
        try:
            return user.health_profile
        except cls.DoesNotExist:
            return cls(user=user)

    @property
    def fracture_sites(self):
        """The places ticked, in the order of the form."""
        sites = {
            "spine": self.fracture_spine,
            "hip": self.fracture_hip,
            "wrist": self.fracture_wrist,
            "other": self.fracture_other,
        }
        return [site for site, broken in sites.items() if broken]

    @property
    def fractures(self) -> tuple[str, ...]:
        """One entry per fragility fracture: the places ticked, then the rest of the count.

        Breaks beyond the places ticked are at the one place ticked when there is only one
        (a wrist broken twice), otherwise "other". "Three or more" counts as three.
        """
        sites = self.fracture_sites
        total = max(self.fragility_fractures, len(sites))
        extra = sites[0] if len(sites) == 1 else "other"
        return tuple(sites + [extra] * (total - len(sites)))

    def save_answers(self, form, *, version):
        """Save the profile form's answers, unless they changed since the page was opened
        (another tab, or a second device): StaleEdit then, and nothing is saved."""
        try:
            with transaction.atomic():
                if self.pk is not None:
                    current = (
                        HealthProfile.objects.select_for_update()
                        .filter(pk=self.pk)
                        .values_list("version", flat=True)
                        .first()
                    )
                    if current != version:
                        raise StaleEdit
                    self.version = F("version") + 1
                form.save()
        except IntegrityError:  # two first saves at once: the other one won
            raise StaleEdit from None
        self.refresh_from_db(fields=["version"])
        return self

    def as_facts(self) -> safety.Profile:
        return safety.Profile(
            diagnosis=self.diagnosis,
            fractures=self.fractures,
            falls_last_year=self.falls_last_year,
            neuropathy=self.neuropathy,
        )

    @property
    def risk_level(self):
        return RiskLevel(self.as_facts().risk_level)


class StaleEdit(Exception):
    """The item changed (in another window, or by someone else) since the page was opened."""


class TokenUsedElsewhere(Exception):
    """A submission token that belongs to another routine: not a double click, a bad request."""


class RoutineQuerySet(models.QuerySet):
    def owned_by(self, user):
        """The patient's own plans (a therapist's templates live under /clinic/ only)."""
        return self.filter(owner=user, is_template=False)

    def templates_of(self, therapist):
        return self.filter(owner=therapist, is_template=True)

    def mark_changed(self, routine_id):
        """Count a change to a routine's items: the cached week page is keyed on this number.

        Only the write methods of Routine and RoutineItem call it, inside their transaction.
        Every one of them runs this statement, and Django took longer to compile it from
        `update(content_version=F("content_version") + 1, updated_at=now())` than the
        database took to run it; so it is written out once, from the model's own names.
        """
        connection = connections[self.db]
        with connection.cursor() as cursor:
            cursor.execute(
                _mark_changed_sql(connection),
                [connection.ops.adapt_datetimefield_value(timezone.now()), routine_id],
            )


def _mark_changed_sql(connection):
    quote = connection.ops.quote_name
    meta = Routine._meta
    table = quote(meta.db_table)
    version, stamp, key = (
        quote(meta.get_field(name).column)
        for name in ("content_version", "updated_at", "id")
    )
    # Only the model's own names go into the text; the values are parameters.
    return (
        f"UPDATE {table} SET {version} = {version} + 1, {stamp} = %s WHERE {key} = %s"  # noqa: S608
    )


class Routine(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routines"
    )
    name = models.CharField(max_length=100)
    # A therapist's template: never a plan of its own, sent to patients as copies.
    is_template = models.BooleanField(default=False, editable=False)
    # Who made it, when not the owner (a therapist building a routine for the patient).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # A double-clicked "Create" sends the same token twice; the second finds the first.
    submission_token = models.UUIDField(
        null=True, blank=True, unique=True, editable=False
    )
    content_version = models.PositiveIntegerField(default=0, editable=False)
    # Optimistic locking of the routine's own fields (its name): see rename().
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RoutineQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name=""),
                name="routine_name_not_empty",
                violation_error_message="Give your routine a name.",
            ),
            length_limit("name", 100, model="routine"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse_fast("routines:detail", self.pk)

    @classmethod
    def owned_with_profile(cls, pk, user):
        """The user's own routine `pk` (not a template), with its owner and the owner's
        profile (HealthProfile.of_owner), or None. Every page of a routine starts here."""
        found = _OWNED_ROUTINE(pk, user.pk)
        return found[0] if found else None

    @classmethod
    def listed_for(cls, owner_id):
        """The patient's own routines (not templates), as their routine list shows them:
        only the fields the list needs, in its order."""
        return _LISTED_ROUTINES(owner_id)

    def items_for_week_page(self):
        """The items the week page and the printed sheet show, in week order, with their
        people but without their exercises: give them to checking.week_items()."""
        items = in_week_order(_WEEK_PAGE_ITEMS(self.pk), self.owner_id)
        cache_routine = RoutineItem._meta.get_field("routine").set_cached_value
        for item in items:
            cache_routine(item, self)  # as item.routine = self, without its checks
        return items

    @classmethod
    def create_for(
        cls, owner, *, name, submission_token=None, by=None, is_template=False
    ):
        """A new routine, or the one this token already made: (routine, created).

        A double-clicked "Create" sends the same token twice; the second answer is the first
        routine. A token that made another patient's routine is refused. `by` is who made
        it (a therapist, for the patient); `is_template` makes a therapist's template.
        """
        return _once_per_token(
            cls.objects.filter(submission_token=submission_token),
            lambda existing: existing.owner_id == owner.pk,
            lambda: cls.objects.create(
                owner=owner,
                name=name,
                submission_token=submission_token,
                created_by=by,
                is_template=is_template,
            ),
            submission_token,
        )

    def rename(self, name, *, version):
        """Give the routine a new name, unless it changed since the page was opened."""
        with transaction.atomic():
            updated = Routine.objects.filter(pk=self.pk, version=version).update(
                name=name, version=F("version") + 1, updated_at=timezone.now()
            )
            if not updated:
                raise StaleEdit
            Routine.objects.mark_changed(self.pk)  # the name is on the printed sheet
        self.refresh_from_db(fields=["name", "version", "updated_at"])
        return self

    def duplicate(self, *, name, owner=None, by=None):
        """A copy of this routine and all its items, in one transaction and two queries of writes.

        With `owner` (a template sent to a patient) the copy is the patient's plan: what was
        confirmed or approved for the template's owner does not carry over, and `by` (the
        therapist) is recorded as who added each item.
        """
        owner = owner or self.owner
        other_owner = owner.pk != self.owner_id
        with transaction.atomic():
            copy = Routine.objects.create(
                owner=owner, name=name, created_by=by if other_owner else None
            )
            items = []
            for item in self.items.all():
                new = item.copied_to(routine=copy)
                if other_owner:
                    new.forget_acknowledgement()
                    new.forget_review()
                    new.added_by, new.changed_by = by, None
                items.append(new)
            RoutineItem.objects.bulk_create(items)
        return copy

    def add_item(
        self, *, exercise, day, confirmed=(), submission_token=None, by=None, **dose
    ):
        """Add an exercise at the end of a day: (item, created).

        `dose` is sets, reps, minutes, load_kg and notes; `confirmed` the danger codes the
        patient confirmed (or, when `by` is a therapist, approved). `by` is who adds it.
        A repeated submission token gives back the item it made.
        """

        def create():
            # Counting the change first also locks the routine's row until commit, so two
            # adds to one day never take the same position.
            Routine.objects.mark_changed(self.pk)
            item = RoutineItem(
                routine=self,
                exercise=exercise,
                day=day,
                position=RoutineItem.next_position(self, day),
                submission_token=submission_token,
                added_by=by,
                **dose,
            )
            item.record_confirmation(confirmed, by=by, owner_id=self.owner_id)
            item.save()
            return item

        return _once_per_token(
            RoutineItem.objects.filter(submission_token=submission_token),
            lambda existing: existing.routine_id == self.pk,
            create,
            submission_token,
        )


def _once_per_token(existing_rows, belongs_here, create, token):
    """Run create() in a transaction unless `token` was already used: (object, created).

    The token column is unique, so of two concurrent requests with one token, one insert
    fails; its request then answers with what the other made.
    """
    if token is not None:
        existing = existing_rows.first()
        if existing is not None:
            if not belongs_here(existing):
                raise TokenUsedElsewhere
            return existing, False
    try:
        with transaction.atomic():
            return create(), True
    except IntegrityError:
        existing = existing_rows.first() if token is not None else None
        if existing is None:
            raise
        if not belongs_here(existing):
            raise TokenUsedElsewhere from None
        return existing, False


WEEK_PAGE_ITEM_FIELDS = [
    "routine",
    "exercise",
    "day",
    "position",
    "sets",
    "reps",
    "minutes",
    "load_kg",
    "notes",
    "danger_acknowledged_at",
    "acknowledged_codes",
    "version",
    "review_decision",
    "review_codes",
    "review_note",
    "reviewed_at",
    *(f"{person}_id" for person in ("added_by", "changed_by", "reviewed_by")),
]
# What a week and its printed sheet show of each exercise (routines.checking.CatalogueTables
# keeps these per process, so the week's items are read without a join).
WEEK_PAGE_EXERCISE_FIELDS = [
    "name",
    "slug",
    "status",
    "weight_bearing",
    "strengthening",
    "trains_balance",
    "load_threshold_kg",
    "cautions",
    "position",
]


class RoutineItemQuerySet(models.QuerySet):
    def for_week(self):
        """Everything the week page and the safety check need, in a fixed number of queries."""
        return self.select_related("exercise", "added_by", "changed_by", "reviewed_by")

    def for_week_page(self):
        """The columns a week and its printed sheet show of the items (the busiest pages),
        without their exercises or people: give them to checking.week_items()."""
        return self.only(*WEEK_PAGE_ITEM_FIELDS)

    def owned_by(self, user):
        return self.filter(routine__owner=user, routine__is_template=False)

    def week_list(self, owner_id):
        """These items as a list in week order (Meta.ordering), with who added, changed or
        reviewed them (with_people).

        Sorted in Python rather than by SQL: a week is at most a few hundred rows, and
        Django takes longer to compile an ORDER BY of three columns than Python takes to
        sort them."""
        return in_week_order(self.order_by(), owner_id)


def in_week_order(items, owner_id):
    """`items` sorted as the week shows them (Meta.ordering), with their people."""
    return with_people(sorted(items, key=attrgetter("day", "position", "pk")), owner_id)


# The queries every page of a routine runs, compiled once (bonefit.prepared says why).
_OWNED_ROUTINE = PreparedQuery(
    lambda pk, owner_id: (
        Routine.objects.owned_by(owner_id)
        .filter(pk=pk)
        .select_related("owner__health_profile")
    )
)
_WEEK_PAGE_ITEMS = PreparedQuery(
    lambda routine_id: (
        RoutineItem.objects.filter(routine_id=routine_id).for_week_page().order_by()
    )
)
# The patient's routine list: the routines, and the items of them all (checked together).
_LISTED_ROUTINES = PreparedQuery(
    lambda owner_id: (
        # Only what the rows and their cached summaries need: the skipped columns (a UUID
        # and two timestamps) cost a third of this query to convert.
        Routine.objects.owned_by(owner_id).only(
            "name", "owner", "is_template", "created_by", "content_version"
        )
    )
)
_OWN_ROUTINES_ITEMS = PreparedQuery(
    lambda owner_id: RoutineItem.objects.owned_by(owner_id).for_week_page().order_by()
)
# The items of some of them (a page of the routine list, whose summaries are not cached):
# ten ids a query, padded with 0, so that one compiled query serves any number of them.
_ROUTINE_IDS_PER_QUERY = 10
_SOME_ROUTINES_ITEMS = PreparedQuery(
    lambda owner_id, *routine_ids: (
        RoutineItem.objects.owned_by(owner_id)
        .filter(routine_id__in=routine_ids)
        .for_week_page()
        .order_by()
    )
)
# Where an exercise added to a day goes: after the last one (every add asks).
_LAST_POSITION = PreparedQuery(
    lambda routine_id, day: (
        RoutineItem.objects.filter(routine_id=routine_id, day=day)
        .order_by("-position")
        .values_list("position")[:1]
    )
)

ITEM_PEOPLE = ("added_by", "changed_by", "reviewed_by")


def with_people(items, owner_id, roles=ITEM_PEOPLE):
    """`items` (a list) with who added, changed or reviewed them (or other `roles`) loaded,
    where that is not their owner: one query, or none when the owner did everything (the
    usual case). The pages show only therapists' names (presenting.ShownItem)."""
    wanted = {getattr(item, f"{role}_id") for item in items for role in roles}
    wanted -= {None, owner_id}
    if wanted:
        people = (
            get_user_model()
            .objects.only("username", "first_name", "last_name")
            .in_bulk(wanted)
        )
        for item in items:
            for role in roles:
                person = people.get(getattr(item, f"{role}_id"))
                if person is not None:
                    setattr(item, role, person)
    return items


class Review(models.TextChoices):
    """A therapist's decision on a danger item."""

    APPROVED = "approved", "Approved"
    ADVISED_AGAINST = "advised_against", "Advised against"


def display_name(user):
    """How a person is named to others: their full name, else their username."""
    if user is None:
        return "a therapist who has left BoneFit"
    return user.get_full_name() or user.get_username()


REPS_OR_MINUTES = "Give a number of repetitions or a number of minutes."


_NO_CODES = frozenset()


def _codes(text):
    """The codes of a comma-separated list of them ("" for none, as most items have)."""
    return frozenset(code for code in text.split(",") if code) if text else _NO_CODES


class RoutineItem(models.Model):
    routine = models.ForeignKey(Routine, on_delete=models.CASCADE, related_name="items")
    # PROTECT: an exercise that a routine uses is retired, never deleted.
    exercise = models.ForeignKey(
        "catalogue.Exercise", on_delete=models.PROTECT, related_name="routine_items"
    )
    day = models.PositiveSmallIntegerField(choices=Weekday)
    position = models.PositiveSmallIntegerField(default=0)
    sets = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[
            MinValueValidator(safety.SETS_RANGE[0]),
            MaxValueValidator(safety.SETS_RANGE[1]),
        ],
    )
    reps = models.PositiveSmallIntegerField(
        "repetitions",
        null=True,
        blank=True,
        validators=[
            MinValueValidator(safety.REPS_RANGE[0]),
            MaxValueValidator(safety.REPS_RANGE[1]),
        ],
    )
    minutes = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[
            MinValueValidator(safety.MINUTES_RANGE[0]),
            MaxValueValidator(safety.MINUTES_RANGE[1]),
        ],
    )
    load_kg = models.DecimalField(
        "weight (kg)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(safety.LOAD_KG_RANGE[0]),
            MaxValueValidator(safety.LOAD_KG_RANGE[1]),
        ],
    )
    notes = models.CharField(max_length=300, blank=True)
    # The recorded acknowledgement of a danger finding: when, and which movements it covered.
    danger_acknowledged_at = models.DateTimeField(null=True, blank=True, editable=False)
    acknowledged_codes = models.CharField(max_length=300, blank=True, editable=False)
    # A linked therapist's decision on the item's dangers: which movements it covers, by
    # whom, when and with what note. Changing the exercise or raising the load clears it.
    review_decision = models.CharField(
        max_length=20, choices=Review, blank=True, editable=False
    )
    review_codes = models.CharField(max_length=300, blank=True, editable=False)
    review_note = models.CharField(max_length=500, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Who added the item and who changed it last (the patient, or a linked therapist).
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # Optimistic locking: an edit made from an older copy of the page is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    submission_token = models.UUIDField(
        null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RoutineItemQuerySet.as_manager()

    class Meta:
        ordering = ["day", "position", "pk"]
        # Where an added exercise goes (next_position: the last of its day) and the
        # week's order: without it, each add sorted every item of the routine.
        indexes = [
            models.Index(
                fields=["routine", "day", "position"], name="item_routine_day_position"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(reps__isnull=False) | Q(minutes__isnull=False),
                name="item_has_reps_or_minutes",
                violation_error_message=REPS_OR_MINUTES,
            ),
            models.CheckConstraint(
                condition=Q(day__range=(0, 6)), name="item_day_valid"
            ),
            models.CheckConstraint(
                condition=Q(sets__isnull=True) | Q(sets__range=safety.SETS_RANGE),
                name="item_sets_in_range",
                violation_error_message="Sets must be between 1 and 10.",
            ),
            models.CheckConstraint(
                condition=Q(reps__isnull=True) | Q(reps__range=safety.REPS_RANGE),
                name="item_reps_in_range",
                violation_error_message="Repetitions must be between 1 and 100.",
            ),
            models.CheckConstraint(
                condition=Q(minutes__isnull=True)
                | Q(minutes__range=safety.MINUTES_RANGE),
                name="item_minutes_in_range",
                violation_error_message="Minutes must be between 1 and 240.",
            ),
            models.CheckConstraint(
                condition=Q(load_kg__isnull=True)
                | Q(load_kg__range=safety.LOAD_KG_RANGE),
                name="item_load_in_range",
                violation_error_message="Weight must be between 0 and 200 kg.",
            ),
            length_limit("notes", 300, model="item"),
            length_limit("review_note", 500, model="item"),
            models.CheckConstraint(
                condition=Q(review_decision__in=["", *Review.values]),
                name="item_review_decision_valid",
            ),
        ]

    def __str__(self):
        return f"{self.exercise} on {self.get_day_display()}"

    def clean_fields(self, exclude=None):
        """As Django's, except that an exercise already read from the database (the item
        form has just found it by its slug) is not looked up a second time to check that
        it exists. PROTECT keeps it from being deleted while items use it."""
        if RoutineItem.exercise.is_cached(self) and self.exercise is not None:
            exclude = {*(exclude or ()), "exercise"}
        super().clean_fields(exclude=exclude)

    def validate_constraints(self, exclude=None):
        """Meta.constraints as a form needs them checked, without a query for each.

        Django checks a CheckConstraint by asking the database, one query per constraint:
        five to seven for every item form sent, a quarter of the time it takes to add an
        exercise. Each range, day and length constraint repeats a field's own validator,
        which already names the mistake in plain words, so only the one that spans two
        fields is checked here (and skipped, as Django skips it, when either field is not
        being validated). The database still checks every constraint on every write."""
        if exclude and exclude & {"reps", "minutes"}:
            return
        if self.reps is None and self.minutes is None:
            raise ValidationError(REPS_OR_MINUTES, code="item_has_reps_or_minutes")

    def get_edit_url(self):
        return reverse("routines:item_edit", args=[self.routine_id, self.pk])

    def get_review_url(self):
        return reverse("clinic:item_review", args=[self.routine_id, self.pk])

    def get_confirm_url(self):
        return reverse("routines:item_confirm", args=[self.routine_id, self.pk])

    def get_week_url(self, anchor="day"):
        """The week page, scrolled to this item's day, to the item itself, or ("undo") to
        the banner that offers to take a swap back."""
        target = {"item": f"item-{self.pk}", "undo": "undo-swap"}.get(
            anchor, f"day-{self.day_code}"
        )
        return reverse("routines:detail", args=[self.routine_id]) + "#" + target

    @property
    def day_code(self):
        return safety.DAYS[self.day]

    @property
    def acknowledged(self):
        return _codes(self.acknowledged_codes)

    @property
    def reviewed(self):
        return _codes(self.review_codes)

    def dose_text(self):
        return dose_in_words(self.sets, self.reps, self.minutes, self.load_kg)

    @classmethod
    def of_own_routines(cls, owner_id, routine_ids=None):
        """The items of the patient's own routines (or of those in `routine_ids`), for the
        week page's checks and in its order (in_week_order): prepared queries, one for all
        of them or one for every ten in `routine_ids`."""
        if routine_ids is None:
            items = _OWN_ROUTINES_ITEMS(owner_id)
        else:
            items = []
            ids = list(routine_ids)
            for start in range(0, len(ids), _ROUTINE_IDS_PER_QUERY):
                some = ids[start : start + _ROUTINE_IDS_PER_QUERY]
                padding = [0] * (_ROUTINE_IDS_PER_QUERY - len(some))  # no routine's id
                items += _SOME_ROUTINES_ITEMS(owner_id, *some, *padding)
        return in_week_order(items, owner_id)

    def as_facts(self, exercise_facts: safety.Exercise) -> safety.Item:
        return safety.Item(
            day=self.day_code,
            exercise=exercise_facts,
            sets=self.sets,
            reps=self.reps,
            minutes=self.minutes,
            load_kg=self.load_kg,
            key=self.id,
        )

    def snapshot(self):
        """What a swap changes, as plain data (kept in the session to undo the swap)."""
        return {
            "exercise": self.exercise_id,
            "sets": self.sets,
            "reps": self.reps,
            "minutes": self.minutes,
            "load_kg": None if self.load_kg is None else str(self.load_kg),
            "acknowledged_codes": self.acknowledged_codes,
            "danger_acknowledged_at": (
                self.danger_acknowledged_at.isoformat()
                if self.danger_acknowledged_at
                else None
            ),
            "review_decision": self.review_decision,
            "review_codes": self.review_codes,
            "review_note": self.review_note,
            "reviewed_by": self.reviewed_by_id,
            "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else None,
        }

    def forget_acknowledgement(self):
        """The exercise changed: what the patient confirmed was about the old one."""
        self.danger_acknowledged_at = None
        self.acknowledged_codes = ""

    def record_acknowledgement(self, codes):
        """Remember that the patient confirmed these danger findings (and when)."""
        if codes:
            self.danger_acknowledged_at = timezone.now()
            self.acknowledged_codes = ",".join(sorted(set(codes) | self.acknowledged))

    def forget_review(self):
        """The exercise changed or the load went up: the therapist is asked again."""
        self.review_decision = self.review_codes = self.review_note = ""
        self.reviewed_by = self.reviewed_at = None

    def record_review(self, decision, codes, *, by, note=""):
        """A therapist's decision on these danger findings, with a note for the patient."""
        self.review_decision = decision
        self.review_codes = ",".join(sorted(set(codes)))
        self.review_note = note
        self.reviewed_by = by
        self.reviewed_at = timezone.now()

    def record_confirmation(self, codes, *, by, owner_id):
        """Danger codes confirmed on the item form: the patient's own confirmation, or,
        when a therapist fills in the form, the therapist's approval."""
        if not codes:
            return
        if by is not None and by.pk != owner_id:
            self.record_review(Review.APPROVED, codes, by=by)
        else:
            self.record_acknowledgement(codes)

    def raises_load(self, dose):
        """Whether `dose` asks for more than the item does now: a heavier weight, or more
        sets, repetitions or minutes."""
        for name in ("sets", "reps", "minutes", "load_kg"):
            if name not in dose:
                continue
            new, old = dose[name], getattr(self, name)
            if new is not None and (old is None or new > old):
                return True
        return False

    def acknowledged_for(self, exercise):
        """The danger codes already confirmed, if the item keeps `exercise`: a confirmation
        covers one exercise, so changing to another asks again."""
        if self.id is None or exercise is None or exercise.id != self.exercise_id:
            return _NO_CODES
        return self.acknowledged

    def reviewed_for(self, exercise, dose=None):
        """The danger codes a therapist decided on, if the item keeps `exercise` and does
        not raise the load to `dose`: otherwise the therapist is asked again."""
        if self.id is None or exercise is None or exercise.id != self.exercise_id:
            return _NO_CODES
        if dose is not None and self.raises_load(dose):
            return _NO_CODES
        return self.reviewed

    def copied_to(self, *, routine, day=None, position=None):
        return RoutineItem(
            routine=routine,
            exercise_id=self.exercise_id,
            day=self.day if day is None else day,
            position=self.position if position is None else position,
            sets=self.sets,
            reps=self.reps,
            minutes=self.minutes,
            load_kg=self.load_kg,
            notes=self.notes,
            danger_acknowledged_at=self.danger_acknowledged_at,
            acknowledged_codes=self.acknowledged_codes,
            review_decision=self.review_decision,
            review_codes=self.review_codes,
            review_note=self.review_note,
            reviewed_by_id=self.reviewed_by_id,
            reviewed_at=self.reviewed_at,
            added_by_id=self.added_by_id,
        )

    @staticmethod
    def next_position(routine, day):
        last = _LAST_POSITION(getattr(routine, "pk", routine), day)
        return last[0][0] + 1 if last else 0

    # The writes. Each one opens its own transaction, locks the item's row, refuses an edit
    # made from an older copy of the page (StaleEdit), and marks the routine changed, so
    # the week page (and its cache) shows the change at once. Views only call these.

    def _locked(self, version=None):
        current = (
            RoutineItem.objects.select_for_update()
            .select_related("exercise", "routine")
            .filter(pk=self.pk)
            .first()
        )
        if current is None or (version is not None and current.version != version):
            raise StaleEdit
        return current

    def _save_new_version(self):
        self.version = F("version") + 1
        self.save()
        self.refresh_from_db(fields=["version", "updated_at"])
        Routine.objects.mark_changed(self.routine_id)

    def change(self, *, version, exercise, day, confirmed=(), by=None, **dose):
        """Save what the item form sends: exercise, day, dose and notes. Returns the saved item.

        Another exercise, or more load, restarts the wait for the therapist's approval.
        """
        with transaction.atomic():
            item = self._locked(version)
            old_day = item.day
            if exercise.pk != item.exercise_id:
                item.forget_acknowledgement()
                item.forget_review()
            elif item.raises_load(dose):
                item.forget_review()
            item.exercise = exercise
            if day != old_day:
                item.day, item.position = (
                    day,
                    RoutineItem.next_position(item.routine_id, day),
                )
            for name, value in dose.items():
                setattr(item, name, value)
            item.record_confirmation(confirmed, by=by, owner_id=item.routine.owner_id)
            item.changed_by = by
            item._save_new_version()
            if day != old_day:
                _renumber_day(item.routine_id, old_day)
        return item

    def acknowledge(self, codes, *, version):
        """Record that the patient confirmed these danger findings with their therapist."""
        with transaction.atomic():
            item = self._locked(version)
            item.record_acknowledgement(codes)
            item._save_new_version()
        return item

    def review(self, decision, codes, *, note, by, version):
        """A linked therapist approves the item's dangers, or advises against them."""
        with transaction.atomic():
            item = self._locked(version)
            item.record_review(decision, codes, by=by, note=note)
            item._save_new_version()
        return item

    def swap(self, alternative, *, version, by=None, **dose):
        """Put `alternative` in place of the exercise, with `dose`: (item, what it was before).

        What it was before is plain data, kept by the page so the patient can undo the swap.
        """
        with transaction.atomic():
            item = self._locked(version)
            before = item.snapshot()
            item.exercise = alternative
            for name, value in dose.items():
                setattr(item, name, value)
            item.forget_acknowledgement()
            item.forget_review()
            item.changed_by = by
            item._save_new_version()
        return item, before

    def undo_swap(self, snapshot, *, version):
        """Put back what snapshot() saved, unless the item changed since the swap."""
        with transaction.atomic():
            item = self._locked(version)
            item.exercise_id = snapshot["exercise"]
            item.sets, item.reps, item.minutes = (
                snapshot["sets"],
                snapshot["reps"],
                snapshot["minutes"],
            )
            load_kg = snapshot["load_kg"]
            item.load_kg = None if load_kg is None else Decimal(load_kg)
            item.acknowledged_codes = snapshot["acknowledged_codes"]
            acknowledged_at = snapshot["danger_acknowledged_at"]
            item.danger_acknowledged_at = (
                datetime.fromisoformat(acknowledged_at) if acknowledged_at else None
            )
            item.review_decision = snapshot.get("review_decision", "")
            item.review_codes = snapshot.get("review_codes", "")
            item.review_note = snapshot.get("review_note", "")
            item.reviewed_by_id = snapshot.get("reviewed_by")
            reviewed_at = snapshot.get("reviewed_at")
            item.reviewed_at = (
                datetime.fromisoformat(reviewed_at) if reviewed_at else None
            )
            item._save_new_version()
        return item

    def move_within_day(self, step, *, by=None):
        """Swap with the neighbour above (step=-1) or below (step=+1); returns False at an end."""
        with transaction.atomic():
            siblings = list(
                RoutineItem.objects.select_for_update()
                .filter(routine_id=self.routine_id, day=self.day)
                .order_by("position", "pk")
            )
            index = next((i for i, s in enumerate(siblings) if s.pk == self.pk), None)
            if index is None:
                raise StaleEdit
            target = index + step
            if not 0 <= target < len(siblings):
                return False
            siblings[index], siblings[target] = siblings[target], siblings[index]
            _renumber(siblings)
            if by is not None:
                RoutineItem.objects.filter(pk=self.pk).update(changed_by=by)
            Routine.objects.mark_changed(self.routine_id)
        return True

    def transfer(self, *, day, copy, by=None):
        """Move (or copy) this item to the end of another day; returns the item now on that day."""
        with transaction.atomic():
            item = self._locked()
            position = RoutineItem.next_position(item.routine_id, day)
            if copy:
                new_item = item.copied_to(
                    routine=item.routine, day=day, position=position
                )
                new_item.added_by = by or item.added_by
                new_item.save()
                Routine.objects.mark_changed(item.routine_id)
                return new_item
            old_day = item.day
            item.day, item.position = day, position
            item.changed_by = by
            item._save_new_version()
            _renumber_day(item.routine_id, old_day)
            return item

    def remove(self):
        """Delete this item and close the gap it leaves in its day."""
        with transaction.atomic():
            item = self._locked()
            item.delete()
            _renumber_day(self.routine_id, self.day)
            Routine.objects.mark_changed(self.routine_id)

    def apply_progression(
        self, *, exercise, sets, reps, minutes, load_kg, version, by=None
    ):
        """Take an offered step up (a new dose, or the harder version) as a new version.

        Returns False and changes nothing when the item was changed since the page that
        offered the step was drawn (`version` is the one that page showed).
        """
        try:
            changed = self.change(
                version=version,
                exercise=exercise,
                day=self.day,
                sets=sets,
                reps=reps,
                minutes=minutes,
                load_kg=load_kg,
                by=by,
            )
        except StaleEdit:
            return False
        self.exercise, self.sets, self.reps = exercise, sets, reps
        self.minutes, self.load_kg, self.version = minutes, load_kg, changed.version
        return True


def _renumber_day(routine_id, day):
    _renumber(
        RoutineItem.objects.filter(routine_id=routine_id, day=day).order_by(
            "position", "pk"
        )
    )


def _renumber(items):
    changed = []
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            changed.append(item)
    RoutineItem.objects.bulk_update(changed, ["position"])


# Doing the plan: the routine a patient follows, and what they did.


def time_zone_choices():
    return [
        (name, name.replace("_", " "))
        for name in sorted(zoneinfo.available_timezones())
    ]


def default_time_zone():
    return settings.TIME_ZONE


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError("Choose a time zone from the list.", code="time_zone")


class PlanSettings(models.Model):
    """Which routine a patient follows, their time zone, and their calendar feed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="plan_settings",
    )
    routine = models.ForeignKey(
        Routine,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="the routine I follow",
    )
    # The first day the patient followed a routine: earlier weeks planned nothing.
    following_since = models.DateField(null=True, blank=True, editable=False)
    time_zone = models.CharField(
        "my time zone",
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
    )
    session_time = models.TimeField(
        "when I usually exercise",
        default=time(9, 0),
        help_text="Your calendar shows each day's exercises at this time.",
    )
    reminder = models.BooleanField(
        "remind me at that time in my calendar app", default=False
    )
    # Blank: the calendar feed is turned off. Renewing makes the old address a 404.
    calendar_token = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "pk"]
        verbose_name_plural = "plan settings"
        constraints = [
            models.UniqueConstraint(
                fields=["calendar_token"],
                condition=~Q(calendar_token=""),
                name="plan_calendar_token_unique",
            ),
        ]

    def __str__(self):
        return f"Plan settings of {self.user}"

    @classmethod
    def for_user(cls, user):
        """The saved settings, or unsaved defaults; never writes (GETs stay read-only)."""
        return cls.objects.filter(user=user).select_related("routine").first() or cls(
            user=user
        )

    @classmethod
    def _locked(cls, user):
        """The user's row, created if needed and locked; call inside a transaction."""
        settings_row, _ = cls.objects.get_or_create(user=user)
        return cls.objects.select_for_update().get(pk=settings_row.pk)

    @property
    def zone(self):
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)

    def today(self) -> date:
        return timezone.now().astimezone(self.zone).date()

    @property
    def calendar_on(self):
        return bool(self.calendar_token)

    def get_calendar_url(self):
        return reverse("plan:calendar_feed", args=[self.calendar_token])

    def save_choices(self, *, routine, time_zone, session_time, reminder):
        """Save what the patient chose on the plan page; returns the saved row."""
        with transaction.atomic():
            row = PlanSettings._locked(self.user)
            if routine is not None and row.following_since is None:
                row.following_since = row.today()
            row.routine = routine
            row.time_zone = time_zone
            row.session_time = session_time
            row.reminder = reminder
            row.save()
        return row

    def follow(self, routine):
        """Make `routine` (one of the user's own) the one they follow."""
        with transaction.atomic():
            row = PlanSettings._locked(self.user)
            if row.following_since is None:
                row.following_since = row.today()
            row.routine = routine
            row.save(update_fields=["routine", "following_since", "updated_at"])
        return row

    def renew_calendar(self):
        """Turn the feed on with a new secret address; the old address stops working."""
        with transaction.atomic():
            row = PlanSettings._locked(self.user)
            row.calendar_token = secrets.token_urlsafe(32)
            row.save(update_fields=["calendar_token", "updated_at"])
        return row

    def turn_off_calendar(self):
        with transaction.atomic():
            row = PlanSettings._locked(self.user)
            row.calendar_token = ""
            row.save(update_fields=["calendar_token", "updated_at"])
        return row


class Feeling(models.TextChoices):
    EASY = progression.EASY, "Easy"
    ABOUT_RIGHT = progression.ABOUT_RIGHT, "About right"
    HARD = progression.HARD, "Hard"


class SessionLogQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(user=user)

    def pain_reports(self):
        """Sessions where the patient said it hurt: the care team's list."""
        return self.filter(hurt=True)

    def between(self, first, last):
        return self.filter(date__range=(first, last))


class SessionLog(models.Model):
    """One item done on one date, with how it felt.

    The dose and the kind of exercise are copied in, so the history keeps what was done
    even after the routine changes or the item is removed.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_logs"
    )
    item = models.ForeignKey(
        RoutineItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="logs",
    )
    # PROTECT: an exercise that was done is retired, never deleted.
    exercise = models.ForeignKey(
        "catalogue.Exercise", on_delete=models.PROTECT, related_name="session_logs"
    )
    date = models.DateField()
    sets = models.PositiveSmallIntegerField(null=True, blank=True)
    reps = models.PositiveSmallIntegerField(null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    load_kg = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    weight_bearing = models.BooleanField(default=False)
    strengthening = models.BooleanField(default=False)
    trains_balance = models.BooleanField(default=False)
    feeling = models.CharField(
        "how did it feel?", max_length=12, choices=Feeling, blank=True
    )
    hurt = models.BooleanField("did it hurt?", null=True, blank=True)
    # "Not now" to a step up offered after this session: no offer until 3 more easy ones.
    progression_declined = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SessionLogQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        constraints = [
            # A double click on "Done" logs once.
            models.UniqueConstraint(
                fields=["item", "date"], name="log_one_per_item_and_day"
            ),
            models.CheckConstraint(
                condition=Q(feeling__in=["", *Feeling.values]),
                name="log_feeling_valid",
            ),
        ]

    def __str__(self):
        return f"{self.exercise} on {self.date:%d %B %Y}"

    def as_rating(self) -> progression.Rating:
        return progression.Rating(
            feeling=self.feeling,
            hurt=self.hurt,
            declined=self.progression_declined,
            sets=self.sets,
            reps=self.reps,
            minutes=self.minutes,
            load_kg=self.load_kg,
        )

    @classmethod
    def mark_done(cls, *, item, day):
        """Log `item` (its exercise selected) as done on `day`; once, however often it is sent.

        Returns (log, created).
        """
        exercise = item.exercise
        # get_or_create: a second click that loses the race on the unique constraint
        # finds the first click's log instead of failing.
        with transaction.atomic():
            return cls.objects.get_or_create(
                item=item,
                date=day,
                defaults={
                    "user_id": item.routine.owner_id,
                    "exercise": exercise,
                    "sets": item.sets,
                    "reps": item.reps,
                    "minutes": item.minutes,
                    "load_kg": item.load_kg,
                    "weight_bearing": exercise.weight_bearing,
                    "strengthening": exercise.strengthening,
                    "trains_balance": exercise.trains_balance,
                },
            )

    @classmethod
    def undo(cls, *, item, day):
        """Take back "Done"; returns whether there was a log to remove."""
        with transaction.atomic():
            deleted, _ = cls.objects.filter(item=item, date=day).delete()
        return bool(deleted)

    @classmethod
    def record_answers(cls, *, item, day, feeling, hurt):
        """Save how it felt and whether it hurt (marking it done if it was not yet)."""
        with transaction.atomic():
            log, _ = cls.mark_done(item=item, day=day)
            log = cls.objects.select_for_update().get(pk=log.pk)
            log.feeling = feeling or ""
            log.hurt = hurt
            log.save(update_fields=["feeling", "hurt", "updated_at"])
        return log

    @classmethod
    def decline_progression(cls, *, item):
        """The patient said "not now": wait for three more easy sessions before asking again."""
        with transaction.atomic():
            latest = (
                cls.objects.select_for_update()
                .filter(item=item)
                .order_by("-date", "-pk")
                .first()
            )
            if latest is None:
                return False
            latest.progression_declined = True
            latest.save(update_fields=["progression_declined", "updated_at"])
        return True


# The care team: a patient shares their plan with a therapist, who approves, advises and
# prescribes; every look and change of the therapist is logged for the patient.

SHARE_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to confuse
SHARE_CODE_LENGTH = 8
SHARE_CODE_DAYS = 30


def normalise_share_code(text):
    """What a person typed, as stored: capitals, without spaces or dashes."""
    return "".join(ch for ch in (text or "").upper() if ch not in " -\t")


class ShareCodeQuerySet(models.QuerySet):
    def usable(self):
        """Unexpired codes of active therapists."""
        return self.filter(
            expires_at__gt=timezone.now(),
            therapist__is_active=True,
            therapist__groups__name=THERAPISTS,
        )


class ShareCode(models.Model):
    """A therapist's code that patients enter to share their plan. Renewing it retires the
    old one at once (patients already linked stay linked)."""

    therapist = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_code"
    )
    code = models.CharField(max_length=SHARE_CODE_LENGTH, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    objects = ShareCodeQuerySet.as_manager()

    class Meta:
        ordering = ["therapist", "pk"]

    def __str__(self):
        return f"Share code of {self.therapist}"

    @property
    def formatted(self):
        half = SHARE_CODE_LENGTH // 2
        return f"{self.code[:half]}-{self.code[half:]}"

    @property
    def expired(self):
        return self.expires_at <= timezone.now()

    @classmethod
    def renew_for(cls, therapist):
        """A fresh code for `therapist`, valid for SHARE_CODE_DAYS days."""
        for _ in range(10):  # a clash with another therapist's code is rare: try again
            code = "".join(
                secrets.choice(SHARE_CODE_ALPHABET) for _ in range(SHARE_CODE_LENGTH)
            )
            now = timezone.now()
            try:
                with transaction.atomic():
                    share_code, _ = cls.objects.update_or_create(
                        therapist=therapist,
                        defaults={
                            "code": code,
                            "created_at": now,
                            "expires_at": now + timedelta(days=SHARE_CODE_DAYS),
                        },
                    )
                return share_code
            except IntegrityError:
                continue
        raise RuntimeError("Could not find a free share code.")

    @classmethod
    def find(cls, text):
        """The usable code a patient typed, or None (wrong, expired or retired)."""
        code = normalise_share_code(text)
        if len(code) != SHARE_CODE_LENGTH:
            return None
        return (
            cls.objects.usable().select_related("therapist").filter(code=code).first()
        )


CONSENT_TEXT = (
    "Your therapist will see your health profile, your routines with their warnings, and "
    "your printed sheets. Your therapist may approve or advise against exercises marked "
    "Danger, write what you should avoid, add, change, move and remove exercises in your "
    "routines, and make new routines for you. Every time your therapist opens or changes "
    "your data, it is written in a log that you can read on your account page. You can "
    "stop sharing at any time."
)


class EndedBy(models.TextChoices):
    PATIENT = "patient", "The patient stopped sharing"
    THERAPIST = "therapist", "The therapist ended the link"


class CareLinkQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_at__isnull=True)

    def of_patient(self, patient):
        return self.active().filter(patient=patient)

    def of_therapist(self, therapist):
        return self.active().filter(therapist=therapist)


_ACTIVE_CARE_LINKS = PreparedQuery(
    lambda patient_id: CareLink.objects.of_patient(patient_id).order_by()
)


class CareLink(models.Model):
    """A patient shares their plan with a therapist, from `started_at` (when they agreed
    to `consent_text`) until `ended_at`. A new link is a new row."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_links"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patient_links"
    )
    consent_text = models.TextField(editable=False)
    started_at = models.DateTimeField(default=timezone.now, editable=False)
    restrictions = models.TextField(
        "What the patient should avoid",
        max_length=2000,
        blank=True,
        help_text="Shown to the patient on every routine and printed sheet, with your name.",
    )
    restrictions_updated_at = models.DateTimeField(
        null=True, blank=True, editable=False
    )
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_by = models.CharField(
        max_length=10, choices=EndedBy, blank=True, editable=False
    )

    objects = CareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "therapist"],
                condition=Q(ended_at__isnull=True),
                name="care_link_one_active_per_pair",
            ),
            models.CheckConstraint(
                condition=~Q(patient=F("therapist")),
                name="care_link_not_to_oneself",
            ),
            models.CheckConstraint(
                condition=Q(ended_by__in=["", *EndedBy.values]),
                name="care_link_ended_by_valid",
            ),
            length_limit("restrictions", 2000, model="care_link"),
        ]

    def __str__(self):
        return f"{self.patient} shares with {self.therapist}"

    @classmethod
    def has_therapist(cls, patient_id):
        """Whether the patient shares with a therapist now (one prepared query)."""
        return bool(_ACTIVE_CARE_LINKS(patient_id))

    @classmethod
    def active_of_patient(cls, patient):
        """The patient's active links, newest first, with their therapists: who they
        share with, and what each therapist asked them to avoid.

        Every page of the patient's routines asks this, and most patients share with
        nobody: so one prepared query (bonefit.prepared), and the therapists only when
        there are links. The few links are sorted here."""
        links = _ACTIVE_CARE_LINKS(patient.pk)
        if links:
            models.prefetch_related_objects(links, "therapist")
        return sorted(links, key=attrgetter("started_at", "pk"), reverse=True)

    @property
    def active(self):
        return self.ended_at is None

    @property
    def therapist_name(self):
        return display_name(self.therapist)

    @property
    def patient_name(self):
        return display_name(self.patient)

    @classmethod
    def start(cls, *, patient, therapist):
        """The patient agrees to share with `therapist`: (link, created). Sharing twice
        with one therapist keeps the link already there."""
        try:
            with transaction.atomic():
                return (
                    cls.objects.create(
                        patient=patient, therapist=therapist, consent_text=CONSENT_TEXT
                    ),
                    True,
                )
        except IntegrityError:
            existing = cls.objects.of_patient(patient).filter(therapist=therapist)
            return existing.get(), False

    def end(self, *, by):
        """End the link now; the therapist loses access at once. Returns False if it had
        already ended."""
        with transaction.atomic():
            ended = CareLink.objects.filter(pk=self.pk, ended_at__isnull=True).update(
                ended_at=timezone.now(), ended_by=by
            )
        self.refresh_from_db(fields=["ended_at", "ended_by"])
        return bool(ended)

    def write_restrictions(self, text):
        with transaction.atomic():
            CareLink.objects.filter(pk=self.pk).update(
                restrictions=text, restrictions_updated_at=timezone.now()
            )
        self.refresh_from_db(fields=["restrictions", "restrictions_updated_at"])


class Access(models.TextChoices):
    VIEWED = "viewed", "Opened"
    CHANGED = "changed", "Changed"


class AccessLogQuerySet(models.QuerySet):
    def of_patient(self, patient):
        return self.filter(patient=patient).select_related("therapist")


class AccessLog(models.Model):
    """One look at, or one change to, a patient's data by a therapist: who, what, when.

    The therapist's name is kept as text, so the record outlives their account.
    """

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_log"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    therapist_name = models.CharField(max_length=300)
    action = models.CharField(max_length=10, choices=Access)
    what = models.CharField(max_length=300)
    at = models.DateTimeField(default=timezone.now)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["patient", "-at"], name="access_log_patient")]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=Access.values), name="access_log_action_valid"
            ),
        ]

    def __str__(self):
        return f"{self.therapist_name}: {self.sentence}"

    @property
    def sentence(self):
        """What happened, as the patient reads it: "Opened your profile and routines"."""
        if self.action == Access.VIEWED:
            return f"Opened {self.what}"
        return self.what[:1].upper() + self.what[1:]

    @classmethod
    def record(cls, *, therapist, patient, action, what):
        return cls.objects.create(
            patient=patient,
            therapist=therapist,
            therapist_name=display_name(therapist),
            action=action,
            what=what[:300],
        )
