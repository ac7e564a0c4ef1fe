from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from bonefit.links import reverse_fast
from bonefit.prepared import PreparedQuery
from catalogue.pictures import PictureField, picture_path
from catalogue.validators import validate_picture


def length_limit(name, limit, *, model):
    """SQLite ignores varchar lengths and TEXT has none: the database enforces our limit."""
    return models.CheckConstraint(
        condition=LessThanOrEqual(Length(name), limit),
        name=f"{model}_{name}_length",
        violation_error_message=f"Please keep this under {limit} characters.",
    )


def dose_in_words(sets, reps, minutes, load_kg=None):
    """A dose as a person would say it: "2 sets of 10", "30 minutes", "with 2.5 kg"."""
    parts = []
    if reps and sets:
        parts.append(f"{sets} set{'s' if sets != 1 else ''} of {reps}")
    elif reps:
        parts.append(f"{reps} times")
    if minutes:
        length = f"{minutes} minute{'s' if minutes != 1 else ''}"
        parts.append(
            f"{sets} times {length}" if sets and sets > 1 and not reps else length
        )
    if load_kg is not None:
        parts.append(f"with {load_kg.normalize():f} kg")
    return ", ".join(parts)


# Two starter entries that other pages point to.
FLOOR_TRANSFER_SLUG = "floor-transfer"
MOVING_SAFELY_SLUG = "moving-safely"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class Category(models.TextChoices):
    WEIGHT_BEARING = "weight_bearing", "Weight-bearing activity"
    STRENGTH = "strength", "Muscle strengthening"
    BALANCE = "balance", "Balance"
    POSTURE = "posture", "Posture and back"
    FLEXIBILITY = "flexibility", "Stretching"
    AEROBIC = "aerobic", "Fitness without weight-bearing"
    DAILY_LIFE = "daily_life", "Daily life"


class Position(models.TextChoices):
    STANDING = "standing", "Standing"
    CHAIR = "chair", "Sitting"
    FLOOR = "floor", "On the floor or a mat"
    WATER = "water", "In water"


_CATEGORY_LABELS = dict(Category.choices)
_POSITION_LABELS = dict(Position.choices)


class Equipment(models.TextChoices):
    NONE = "none", "No equipment"
    SUPPORT = "support", "Counter, wall or sturdy chair"
    DUMBBELLS = "dumbbells", "Light dumbbells"
    BAND = "band", "Resistance band"
    STRAP = "strap", "Strap or towel"
    STEP = "step", "Step or stairs"
    BARBELL = "barbell", "Barbell"
    KETTLEBELL = "kettlebell", "Kettlebell"
    MACHINE = "machine", "Exercise machine"
    DOWEL = "dowel", "Broomstick or dowel"
    OTHER = "other", "Other"


WEIGHT_EQUIPMENT = frozenset(
    {Equipment.DUMBBELLS, Equipment.BARBELL, Equipment.KETTLEBELL}
)


class Dosing(models.TextChoices):
    """How an exercise is measured: the item form asks only for what applies."""

    REPS = "reps", "Repetitions (sets of a number of times)"
    TIME = "time", "Time (minutes)"
    EITHER = "either", "Either repetitions or time"

    @classmethod
    def from_defaults(cls, reps, minutes):
        if minutes and not reps:
            return cls.TIME
        if reps and not minutes:
            return cls.REPS
        return cls.EITHER


class Impact(models.TextChoices):
    NONE = "none", "None"
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


class Severity(models.TextChoices):
    # "none": the movement raises no warning at that risk level.
    NONE = "none", "No warning"
    INFO = "info", "Good to know"
    CAUTION = "caution", "Take care"
    DANGER = "danger", "Danger"


class PatternCode(models.TextChoices):
    SPINAL_FLEXION = "SPINAL_FLEXION", "Bending forward from the waist"
    SPINAL_ROUNDING = "SPINAL_ROUNDING", "Rounding or hunching the back"
    SPINAL_TWIST = "SPINAL_TWIST", "Twisting the spine"
    RAPID_JERKY = "RAPID_JERKY", "Sudden or jerky movement"
    NECK_LOADING = "NECK_LOADING", "Body weight on the head or neck"
    HEAVY_LOAD = "HEAVY_LOAD", "Heavy lifting"
    HIGH_IMPACT = "HIGH_IMPACT", "Jumping, running or hard landings"
    LONG_LEVER_SUPINE = "LONG_LEVER_SUPINE", "Lifting both straight legs lying down"
    MODERATE_IMPACT = "MODERATE_IMPACT", "Brief impacts, like heel drops or stamping"
    FALL_RISK = "FALL_RISK", "Balancing with nothing to hold"


class MovementPattern(models.Model):
    """A movement that can fracture fragile bones, with its message and severity per risk level."""

    code = models.CharField(max_length=32, unique=True, choices=PatternCode)
    message = models.TextField(
        max_length=1000, help_text="What the patient reads, in plain words."
    )
    low_bone_mass = models.CharField(
        "severity for low bone mass", max_length=10, choices=Severity
    )
    osteoporosis = models.CharField(
        "severity for osteoporosis", max_length=10, choices=Severity
    )
    high_risk = models.CharField(
        "severity for higher risk (a spine or hip fracture, or two or more broken bones)",
        max_length=10,
        choices=Severity,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__in=PatternCode.values), name="pattern_code_valid"
            ),
            length_limit("message", 1000, model="pattern"),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{level}__in": Severity.values}),
                    name=f"pattern_{level}_severity_valid",
                )
                for level in ("low_bone_mass", "osteoporosis", "high_risk")
            ),
        ]

    def __str__(self):
        return self.get_code_display()

    @property
    def name(self):
        return self.get_code_display()


class ExerciseQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def as_cards(self):
        """What the exercise list shows of each (CARD_FIELDS, has_cautions), by name."""
        return self.with_caution_flag().order_by("name", "pk").only(*CARD_FIELDS)

    def visible(self):
        """What patients may look at: published and retired (routines still show retired ones)."""
        return self.filter(status__in=[Status.PUBLISHED, Status.RETIRED])

    def catalogue_version(self):
        """Changes whenever the catalogue does: CatalogueRevision counts every exercise,
        movement pattern, step, tag or alternative saved or deleted through Django (in the
        writer's own transaction, so neither the order of commits nor the hosts' clocks
        matter), and the counts and latest `updated_at` catch the bulk writes that stamp
        `updated_at` without sending signals. One query.
        """
        exercises = Exercise._meta.db_table
        patterns = MovementPattern._meta.db_table
        revision = CatalogueRevision._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*), MAX(updated_at), "  # noqa: S608 - table names from our own models
                f"(SELECT COUNT(*) FROM {patterns}), (SELECT MAX(updated_at) FROM {patterns}), "
                f"(SELECT number FROM {revision} WHERE id = 1) "
                f"FROM {exercises}"
            )
            return "|".join(str(value) for value in cursor.fetchone())

    def with_caution_flag(self):
        """Annotate `has_cautions`: the exercise carries at least one movement pattern."""
        carries = Exercise.patterns.through.objects.filter(exercise_id=OuterRef("pk"))
        return self.annotate(has_cautions=Exists(carries))

    def with_warning_flag(self, pattern_codes):
        """Annotate `has_warning`: the exercise carries one of these movement patterns."""
        carries = Exercise.patterns.through.objects.filter(
            exercise_id=OuterRef("pk"), movementpattern__code__in=pattern_codes
        )
        return self.annotate(has_warning=Exists(carries))

    def search(self, text):
        text = text.strip()
        if not text:
            return self
        # Two columns of this table: no join, so no DISTINCT (which would sort whole rows
        # and keep the name index from serving a page).
        return self.filter(Q(name__icontains=text) | Q(summary__icontains=text))


class Exercise(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    summary = models.TextField(
        max_length=600,
        blank=True,
        help_text="One or two sentences: what it is and why.",
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    category = models.CharField("type", max_length=20, choices=Category)
    position = models.CharField(
        max_length=10,
        choices=Position,
        help_text="“On the floor or a mat” marks an exercise that starts from the floor: "
        "its page, the add-exercise form and the printed sheet first point to “Getting "
        "down to the floor and up again”.",
    )
    equipment = models.CharField(
        max_length=12, choices=Equipment, default=Equipment.NONE
    )
    impact = models.CharField(
        "impact level", max_length=10, choices=Impact, default=Impact.NONE
    )
    weight_bearing = models.BooleanField(
        default=False,
        help_text="On your feet, your bones carry your weight. Swimming and cycling are not.",
    )
    strengthening = models.BooleanField(
        default=False, help_text="Muscles work against a weight, a band or body weight."
    )
    trains_balance = models.BooleanField(
        default=False, help_text="Counts as balance training in the weekly check."
    )
    default_sets = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    default_reps = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    default_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(240)]
    )
    dosing = models.CharField(
        "measured in",
        max_length=6,
        choices=Dosing,
        default=Dosing.EITHER,
        help_text="What a patient gives for this exercise: repetitions, minutes, or either.",
    )
    dose_notes = models.CharField(
        "usual dose, in words",
        max_length=300,
        blank=True,
        help_text="For example: 2 days a week.",
    )
    cautions = models.TextField(
        max_length=1000,
        blank=True,
        help_text="Extra advice, in plain words, for doing it safely.",
    )
    load_threshold_kg = models.DecimalField(
        "heavy from (kg)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(200)],
        help_text="Leave empty to use the usual limits (20, 10 or 5 kg by risk level).",
    )
    patterns = models.ManyToManyField(
        MovementPattern,
        blank=True,
        related_name="exercises",
        verbose_name="movement patterns",
        help_text="The risky movements it carries; these drive the safety warnings.",
    )
    alternatives = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="alternative_to",
        verbose_name="safer alternatives",
    )
    # Therapists link a progression: the next step up, and the step back down.
    easier_version = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="harder_of",
        help_text="A gentler exercise to go back to when this one is too hard.",
    )
    harder_version = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="easier_of",
        help_text="The next step up, offered when a patient finds this one easy.",
    )
    picture = PictureField(
        upload_to=picture_path,
        blank=True,
        validators=[validate_picture],
        help_text="A JPEG, PNG or WebP image, at most 5 MB. It is stored under a new "
        "name, without its camera details (EXIF).",
    )
    picture_description = models.CharField(
        max_length=200,
        blank=True,
        help_text="Describes the picture for people who cannot see it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExerciseQuerySet.as_manager()

    class Meta:
        indexes = [
            # catalogue_version() reads MAX(updated_at) on every catalogue page
            models.Index(fields=["updated_at"], name="exercise_updated_at_idx"),
            # Lists of published exercises in name order (the picker, the catalogue) walk
            # this index a page at a time instead of sorting the whole catalogue.
            models.Index(
                fields=["status", "name", "id"], name="exercise_status_name_idx"
            ),
            # The admin's list, all statuses, in the same order: a search that matches
            # most of the catalogue reads a page from it and stops.
            models.Index(fields=["name", "id"], name="exercise_name_idx"),
        ]
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="exercise_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=Category.values),
                name="exercise_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(position__in=Position.values),
                name="exercise_position_valid",
            ),
            models.CheckConstraint(
                condition=Q(equipment__in=Equipment.values),
                name="exercise_equipment_valid",
            ),
            models.CheckConstraint(
                condition=Q(impact__in=Impact.values), name="exercise_impact_valid"
            ),
            models.CheckConstraint(
                condition=Q(dosing__in=Dosing.values), name="exercise_dosing_valid"
            ),
            models.CheckConstraint(
                condition=~Q(slug=""),
                name="exercise_slug_not_empty",
                violation_error_message="Give the exercise a web address (slug).",
            ),
            models.CheckConstraint(
                condition=~Q(easier_version=F("pk")) & ~Q(harder_version=F("pk")),
                name="exercise_versions_not_itself",
                violation_error_message="An exercise cannot be its own easier or harder version.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse_fast("catalogue:detail", self.slug)

    # get_category_display() and get_position_display() rebuild the field's choices on
    # every call; a page of cards asks two dozen times.
    @property
    def category_label(self):
        return _CATEGORY_LABELS.get(self.category, self.category)

    @property
    def position_label(self):
        return _POSITION_LABELS.get(self.position, self.position)

    def move_step(self, step, offset):
        """Swap `step` with the one before (-1) or after (+1) it; False at an end."""
        with transaction.atomic():
            steps = list(self.steps.select_for_update().order_by("order", "pk"))
            index = next((i for i, s in enumerate(steps) if s.pk == step.pk), None)
            if index is None or not 0 <= index + offset < len(steps):
                return False
            steps[index], steps[index + offset] = steps[index + offset], steps[index]
            for number, each in enumerate(steps, start=1):
                each.order = number
            ExerciseStep.objects.bulk_update(steps, ["order"])
            Exercise.objects.filter(pk=self.pk).update(updated_at=timezone.now())
            CatalogueRevision.count_a_change()  # bulk_update sends no signal
        return True

    @property
    def can_be_deleted(self):
        """Only a draft that no routine uses: everything else is retired instead."""
        return self.status == Status.DRAFT and not self.routine_items.exists()

    @property
    def is_published(self):
        return self.status == Status.PUBLISHED

    @property
    def is_retired(self):
        return self.status == Status.RETIRED

    @property
    def uses_weights(self):
        """Done holding a weight (dumbbells, a barbell, a kettlebell): however it is
        measured, its dose has a weight, which the load rules need."""
        return self.equipment in WEIGHT_EQUIPMENT

    def default_dose_text(self):
        return dose_in_words(self.default_sets, self.default_reps, self.default_minutes)

    @property
    def has_guide_page(self):
        """The catalogue entry of "Moving safely every day" leads to its own page."""
        return self.slug == MOVING_SAFELY_SLUG

    @property
    def starts_on_floor(self):
        """Patients must get down to the floor first (and up again afterwards)."""
        return self.position == Position.FLOOR and self.slug != FLOOR_TRANSFER_SLUG


class ExerciseStep(models.Model):
    exercise = models.ForeignKey(
        Exercise, on_delete=models.CASCADE, related_name="steps"
    )
    # No unique constraint on (exercise, order): swapping two steps in the admin would fail.
    order = models.PositiveSmallIntegerField(default=0)
    text = models.TextField(max_length=600)

    class Meta:
        ordering = ["exercise", "order", "pk"]
        constraints = [length_limit("text", 600, model="step")]

    def __str__(self):
        return f"Step {self.order} of {self.exercise}"


class CatalogueRevision(models.Model):
    """One row (id 1) counting the catalogue's changes: part of catalogue_version()."""

    number = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"Catalogue revision {self.number}"

    @classmethod
    def count_a_change(cls):
        """Inside the writer's transaction: the row stays locked until it commits, so two
        changes committed in either order both move the number."""
        if not cls.objects.filter(pk=1).update(number=F("number") + 1):
            cls.objects.get_or_create(pk=1)  # the row was lost (a flushed database)


for _model in (Exercise, MovementPattern, ExerciseStep):
    post_save.connect(
        lambda **kwargs: CatalogueRevision.count_a_change(),
        sender=_model,
        weak=False,
        dispatch_uid=f"catalogue-revision-saved-{_model.__name__}",
    )
    post_delete.connect(
        lambda **kwargs: CatalogueRevision.count_a_change(),
        sender=_model,
        weak=False,
        dispatch_uid=f"catalogue-revision-deleted-{_model.__name__}",
    )


@receiver(
    m2m_changed, sender=Exercise.patterns.through, dispatch_uid="patterns-version"
)
@receiver(
    m2m_changed, sender=Exercise.alternatives.through, dispatch_uid="alts-version"
)
def _tags_change_the_catalogue_version(sender, instance, action, **kwargs):
    """An exercise's movement patterns and alternatives are part of catalogue_version():
    a change to them, from the admin or anywhere else (a shell, a command), is counted, so
    every cache of the safety tables keyed by the version is left behind."""
    if action in ("post_add", "post_remove", "post_clear"):
        CatalogueRevision.count_a_change()


# What a card of the exercise list shows (ExerciseQuerySet.as_cards).
CARD_FIELDS = ["name", "slug", "summary", "category", "position", "weight_bearing"]

# The exercise list as first opened (no filter), counted and paged by prepared queries
# (bonefit.prepared): most visits see it, and Django took three times as long to write
# its two queries as SQLite took to run them.
_PUBLISHED_COUNT = PreparedQuery(
    lambda status: (
        Exercise.objects.filter(status=status)
        .order_by()
        .values("status")
        .annotate(total=Count("pk"))
        .values_list("total")
    )
)
_PUBLISHED_CARDS = PreparedQuery(
    lambda status, *, offset, limit: Exercise.objects.filter(status=status).as_cards()[
        offset : offset + limit
    ]
)


class PublishedCards:
    """Every published exercise as a card, for a Paginator of `page_size`: the same count
    and pages as Exercise.objects.published().as_cards(), from prepared queries.

    A page is always read whole and cut in Python, so the SQL is one per page number
    (and only for the first PREPARED_PAGES; later ones, rarer, are Django's), however
    the count changes."""

    ordered = True
    PREPARED_PAGES = 20

    def __init__(self, page_size):
        self.page_size = page_size

    def count(self):
        found = _PUBLISHED_COUNT(Status.PUBLISHED)
        return found[0][0] if found else 0

    def __len__(self):
        return self.count()

    def __getitem__(self, page):
        start, stop = page.start, page.stop
        if stop <= start:  # an empty catalogue's one page
            return []
        if (
            start >= self.PREPARED_PAGES * self.page_size
            or stop - start > self.page_size
        ):
            return list(Exercise.objects.published().as_cards()[page])
        cards = _PUBLISHED_CARDS(Status.PUBLISHED, offset=start, limit=self.page_size)
        return cards[: stop - start]
