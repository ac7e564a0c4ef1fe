from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone

from catalogue.models import dose_in_words, length_limit
from routines import safety


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


class RoutineQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(owner=user)

    def mark_changed(self, routine_id):
        """Count a change to a routine's items: the cached week page is keyed on this number.

        Every write to items calls it inside its transaction.
        """
        self.filter(pk=routine_id).update(content_version=F("content_version") + 1)


class Routine(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routines"
    )
    name = models.CharField(max_length=100)
    # A double-clicked "Create" sends the same token twice; the second finds the first.
    submission_token = models.UUIDField(
        null=True, blank=True, unique=True, editable=False
    )
    content_version = models.PositiveIntegerField(default=0, editable=False)
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
        return reverse("routines:detail", args=[self.pk])

    def duplicate(self, *, name):
        """A copy of this routine and all its items, in one transaction and two queries of writes."""
        with transaction.atomic():
            copy = Routine.objects.create(owner=self.owner, name=name)
            RoutineItem.objects.bulk_create(
                [item.copied_to(routine=copy) for item in self.items.all()]
            )
        return copy


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
]
WEEK_PAGE_EXERCISE_FIELDS = [
    "name",
    "slug",
    "status",
    "weight_bearing",
    "strengthening",
    "trains_balance",
    "load_threshold_kg",
]


class RoutineItemQuerySet(models.QuerySet):
    def for_week(self):
        """Everything the week page and the safety check need, in a fixed number of queries."""
        return self.select_related("exercise")

    def for_week_page(self):
        """for_week(), without the columns the week page never shows (it is the busiest page)."""
        return self.for_week().only(
            *WEEK_PAGE_ITEM_FIELDS,
            *(f"exercise__{name}" for name in WEEK_PAGE_EXERCISE_FIELDS),
        )

    def owned_by(self, user):
        return self.filter(routine__owner=user)


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
        constraints = [
            models.CheckConstraint(
                condition=Q(reps__isnull=False) | Q(minutes__isnull=False),
                name="item_has_reps_or_minutes",
                violation_error_message="Give a number of repetitions or a number of minutes.",
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
        ]

    def __str__(self):
        return f"{self.exercise} on {self.get_day_display()}"

    def get_edit_url(self):
        return reverse("routines:item_edit", args=[self.routine_id, self.pk])

    @property
    def day_code(self):
        return safety.DAYS[self.day]

    @property
    def acknowledged(self):
        return frozenset(code for code in self.acknowledged_codes.split(",") if code)

    def dose_text(self):
        return dose_in_words(self.sets, self.reps, self.minutes, self.load_kg)

    def as_facts(self, exercise_facts: safety.Exercise) -> safety.Item:
        return safety.Item(
            day=self.day_code,
            exercise=exercise_facts,
            sets=self.sets,
            reps=self.reps,
            minutes=self.minutes,
            load_kg=self.load_kg,
            key=self.pk,
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
        }

    def restore(self, snapshot):
        """Put back what snapshot() saved, as a new version of the item."""
        self.exercise_id = snapshot["exercise"]
        self.sets, self.reps, self.minutes = (
            snapshot["sets"],
            snapshot["reps"],
            snapshot["minutes"],
        )
        self.load_kg = (
            None if snapshot["load_kg"] is None else Decimal(snapshot["load_kg"])
        )
        self.acknowledged_codes = snapshot["acknowledged_codes"]
        acknowledged_at = snapshot["danger_acknowledged_at"]
        self.danger_acknowledged_at = (
            datetime.fromisoformat(acknowledged_at) if acknowledged_at else None
        )
        self.save_new_version()

    def forget_acknowledgement(self):
        """The exercise changed: what the patient confirmed was about the old one."""
        self.danger_acknowledged_at = None
        self.acknowledged_codes = ""

    def record_acknowledgement(self, codes):
        """Remember that the patient confirmed these danger findings (and when)."""
        if codes:
            self.danger_acknowledged_at = timezone.now()
            self.acknowledged_codes = ",".join(sorted(set(codes) | self.acknowledged))

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
        )

    @staticmethod
    def next_position(routine, day):
        last = routine.items.filter(day=day).aggregate(last=Max("position"))["last"]
        return 0 if last is None else last + 1

    def save_new_version(self, **kwargs):
        self.version = F("version") + 1
        self.save(**kwargs)
        self.refresh_from_db(fields=["version"])

    def move_within_day(self, step):
        """Swap with the neighbour above (step=-1) or below (step=+1); returns False at an end."""
        with transaction.atomic():
            siblings = list(
                RoutineItem.objects.select_for_update()
                .filter(routine_id=self.routine_id, day=self.day)
                .order_by("position", "pk")
            )
            index = next(i for i, s in enumerate(siblings) if s.pk == self.pk)
            target = index + step
            if not 0 <= target < len(siblings):
                return False
            siblings[index], siblings[target] = siblings[target], siblings[index]
            _renumber(siblings)
            Routine.objects.mark_changed(self.routine_id)
        return True

    def transfer(self, *, day, copy):
        """Move (or copy) this item to the end of another day; returns the item now on that day."""
        with transaction.atomic():
            position = RoutineItem.next_position(self.routine, day)
            if copy:
                new_item = self.copied_to(
                    routine=self.routine, day=day, position=position
                )
                new_item.save()
                Routine.objects.mark_changed(self.routine_id)
                return new_item
            old_day = self.day
            self.day, self.position = day, position
            self.save_new_version(
                update_fields=["day", "position", "version", "updated_at"]
            )
            _renumber(
                RoutineItem.objects.filter(
                    routine_id=self.routine_id, day=old_day
                ).order_by("position", "pk")
            )
            Routine.objects.mark_changed(self.routine_id)
            return self

    def remove(self):
        """Delete this item and close the gap it leaves in its day."""
        with transaction.atomic():
            self.delete()
            _renumber(
                RoutineItem.objects.filter(
                    routine_id=self.routine_id, day=self.day
                ).order_by("position", "pk")
            )
            Routine.objects.mark_changed(self.routine_id)


def _renumber(items):
    changed = []
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            changed.append(item)
    RoutineItem.objects.bulk_update(changed, ["position"])
