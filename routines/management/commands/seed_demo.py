from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from catalogue.models import Exercise
from routines.models import Diagnosis, HealthProfile, Routine, RoutineItem, Weekday

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "bonefit-demo"  # noqa: S105 - printed in the README on purpose
# A second patient at higher risk: two broken wrists, a confirmed danger item, floor work.
HIGH_RISK_USERNAME = "demo-harold"

# (day, slug, sets, reps, minutes)
DEMO_WEEK = [
    (Weekday.MONDAY, "brisk-walking", None, None, 25),
    (Weekday.MONDAY, "sit-to-stand", 2, 10, None),
    (Weekday.MONDAY, "wall-push-up", 2, 10, None),
    (Weekday.TUESDAY, "single-leg-stance-supported", None, None, 5),
    (Weekday.TUESDAY, "chin-tucks", 1, 10, None),
    (Weekday.WEDNESDAY, "brisk-walking", None, None, 30),
    (Weekday.THURSDAY, "squat-to-chair", 2, 10, None),
    (Weekday.THURSDAY, "band-row", 2, 10, None),
    (Weekday.THURSDAY, "heel-raises", 2, 12, None),
    (Weekday.FRIDAY, "tai-chi", None, None, 30),
    (Weekday.SATURDAY, "brisk-walking", None, None, 30),
    (Weekday.SATURDAY, "golf-swing", None, None, 60),
]
HIGH_RISK_WEEK = [
    (Weekday.MONDAY, "brisk-walking", None, None, 20),
    (Weekday.MONDAY, "sit-to-stand", 2, 10, None),
    (Weekday.TUESDAY, "heel-drops", 1, 20, None),
    (Weekday.TUESDAY, "bridge", 2, 10, None),
    (Weekday.WEDNESDAY, "tai-chi", None, None, 20),
    (Weekday.THURSDAY, "jumping", 1, 10, None),  # danger for him, confirmed below
    (Weekday.THURSDAY, "dead-bug", 2, 8, None),
    (Weekday.SATURDAY, "brisk-walking", None, None, 20),
]


class Command(BaseCommand):
    help = "Load the starter catalogue and two demo patients with sample weeks (idempotent)."

    def handle(self, *args, **options):
        call_command("load_catalogue", stdout=self.stdout)
        _patient(
            self,
            DEMO_USERNAME,
            "Dorothy",
            {"diagnosis": Diagnosis.OSTEOPOROSIS, "fracture_wrist": True},
            DEMO_WEEK,
        )
        _patient(
            self,
            HIGH_RISK_USERNAME,
            "Harold",
            {
                "diagnosis": Diagnosis.OSTEOPENIA,
                "fragility_fractures": 2,
                "fracture_wrist": True,
            },
            HIGH_RISK_WEEK,
            confirmed={"jumping": {"HIGH_IMPACT"}},
        )


def _patient(command, username, first_name, profile, week, confirmed=None):
    User = get_user_model()
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first_name}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            HealthProfile.objects.create(user=user, **profile)
            routine = Routine.objects.create(owner=user, name="My week")
            exercises = Exercise.objects.in_bulk(
                [slug for _, slug, *_ in week], field_name="slug"
            )
            positions = {}
            items = []
            for day, slug, sets, reps, minutes in week:
                position = positions.get(day, 0)
                positions[day] = position + 1
                item = RoutineItem(
                    routine=routine,
                    exercise=exercises[slug],
                    day=day,
                    position=position,
                    sets=sets,
                    reps=reps,
                    minutes=minutes,
                )
                codes = (confirmed or {}).get(slug)
                if codes:
                    item.danger_acknowledged_at = timezone.now()
                    item.acknowledged_codes = ",".join(sorted(codes))
                items.append(item)
            RoutineItem.objects.bulk_create(items)
    state = "created" if created else "already there"
    command.stdout.write(
        f"Demo patient '{username}' {state} (password: {DEMO_PASSWORD})."
    )
