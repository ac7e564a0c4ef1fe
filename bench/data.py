"""A large, realistic catalogue for the size tests and `make bench`.

Names, summaries and steps read like the starter catalogue's, so searches hit a realistic share
of rows; every third exercise carries a movement pattern and every fifth has alternatives.
"""

from itertools import cycle, islice

from catalogue.models import (
    Category,
    Equipment,
    Exercise,
    ExerciseStep,
    MovementPattern,
    Position,
    Status,
)

WHERE = ["Seated", "Standing", "Wall", "Chair", "Supported", "Slow", "Band", "Step"]
WHAT = [
    "heel raise",
    "march",
    "row",
    "squat",
    "press",
    "stretch",
    "reach",
    "walk",
    "bridge",
    "side step",
    "toe tap",
    "calf raise",
    "curl",
    "twist",
    "lunge",
]
SUMMARY = (
    "A gentle {what} that builds strength in the legs and hips and helps with "
    "balance; keep your back tall and move slowly, holding on if you need to."
)
STEPS = [
    "Stand tall with your feet hip-width apart, holding the back of a sturdy chair.",
    "Breathe out as you move, keeping your back straight and your eyes ahead.",
    "Return slowly to the start and rest for a moment before the next one.",
]


def make_catalogue(count, *, first=0):
    """Add `count` exercises (about 4 in 5 published) with three steps each; bulk inserts."""
    codes = list(MovementPattern.objects.values_list("pk", flat=True))
    categories, positions = cycle(Category.values), cycle(Position.values)
    equipment = cycle(Equipment.values)
    statuses = cycle([Status.PUBLISHED] * 4 + [Status.DRAFT])
    exercises = []
    for n in range(first, first + count):
        what = WHAT[n % len(WHAT)]
        exercises.append(
            Exercise(
                name=f"{WHERE[n // len(WHAT) % len(WHERE)]} {what} {n}",
                slug=f"bulk-{n}",
                summary=SUMMARY.format(what=what),
                status=next(statuses),
                category=next(categories),
                position=next(positions),
                equipment=next(equipment),
                weight_bearing=n % 2 == 0,
                strengthening=n % 3 == 1,
                trains_balance=n % 5 == 0,
                default_sets=2,
                default_reps=10,
            )
        )
    exercises = Exercise.objects.bulk_create(exercises, batch_size=500)
    ExerciseStep.objects.bulk_create(
        (
            ExerciseStep(exercise=e, order=i, text=text)
            for e in exercises
            for i, text in enumerate(STEPS, 1)
        ),
        batch_size=1000,
    )
    if codes:
        Through = Exercise.patterns.through
        Through.objects.bulk_create(
            (
                Through(exercise_id=e.pk, movementpattern_id=code)
                for e, code in zip(exercises[::3], cycle(codes), strict=False)
            ),
            batch_size=1000,
        )
    Alternatives = Exercise.alternatives.through
    Alternatives.objects.bulk_create(
        (
            Alternatives(from_exercise_id=e.pk, to_exercise_id=alt.pk)
            for e in exercises[::5]
            for alt in islice(exercises[1::7], 2)
            if alt.pk != e.pk
        ),
        batch_size=1000,
    )
    return exercises
