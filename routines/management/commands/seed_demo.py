import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from catalogue.models import Exercise
from catalogue.roles import ensure_therapists_group
from routines import two_factor
from routines.models import (
    Diagnosis,
    Feeling,
    HealthProfile,
    PlanSettings,
    Routine,
    RoutineItem,
    SessionLog,
    Weekday,
)

DEMO_USERNAME = "demo"
DEMO_WEEKS = 8
DEMO_PASSWORD = "bonefit-demo"  # noqa: S105 - printed in the README on purpose
# A second patient at higher risk: two broken wrists, a confirmed danger item, floor work.
HIGH_RISK_USERNAME = "demo-harold"

# A demo therapist for `make run` only (never without DEBUG): staff sign in with a second
# step, so the demo's authenticator key and recovery codes are fixed and in the README.
DEMO_THERAPIST = "therapist"
DEMO_THERAPIST_PASSWORD = "bonefit-therapist"  # noqa: S105 - printed in the README
DEMO_TOTP_KEY = "626f6e656669742d64656d6f2d746f74702d6b6579"  # hex of the key below
DEMO_TOTP_SECRET = "MJXW 4ZLG NF2C 2ZDF NVXS 25DP ORYC 223F PE"  # noqa: S105 - README
DEMO_RECOVERY_CODES = [f"demo-code-{n:02d}" for n in range(1, 11)]

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
        dorothy = _patient(
            self,
            DEMO_USERNAME,
            "Dorothy",
            {"diagnosis": Diagnosis.OSTEOPOROSIS, "fracture_wrist": True},
            DEMO_WEEK,
        )
        logged = self._seed_logs(dorothy)
        if logged:
            self.stdout.write(f"Logged {logged} demo sessions over {DEMO_WEEKS} weeks.")
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
        if settings.DEBUG:
            self._demo_therapist()

    def _demo_therapist(self):
        User = get_user_model()
        with transaction.atomic():
            user, created = User.objects.get_or_create(
                username=DEMO_THERAPIST,
                defaults={"first_name": "Terry", "is_staff": True},
            )
            if created:
                user.set_password(DEMO_THERAPIST_PASSWORD)
                user.save()
                user.groups.add(ensure_therapists_group())
                two_factor.enrol(user, key=DEMO_TOTP_KEY)
            # Fresh recovery codes on every run, so the README's always work.
            two_factor.new_recovery_codes(user, list(DEMO_RECOVERY_CODES))
        self.stdout.write(
            f"Demo therapist '{DEMO_THERAPIST}' (password: {DEMO_THERAPIST_PASSWORD}); "
            f"second step: authenticator key {DEMO_TOTP_SECRET}, or a recovery code "
            f"{DEMO_RECOVERY_CODES[0]} … {DEMO_RECOVERY_CODES[-1]}."
        )

    def _seed_logs(self, user):
        """Follow the demo week and log eight weeks of it, once (idempotent).

        About four sessions in five are done; sit-to-stand felt easy the last three
        times (so a step up is on offer) and the golf swing hurt once.
        """
        if PlanSettings.objects.filter(user=user).exists():
            return 0
        routine = Routine.objects.filter(owner=user).order_by("pk").first()
        if routine is None:
            return 0
        today = PlanSettings(user=user).today()
        start = today - timedelta(weeks=DEMO_WEEKS)
        PlanSettings.objects.create(
            user=user, routine=routine, following_since=start, reminder=True
        )
        items = list(routine.items.select_related("routine", "exercise"))
        chance = random.Random(8)  # noqa: S311 - demo data, the same on every machine
        logs = []
        for offset in range((today - start).days):
            day = start + timedelta(days=offset)
            for item in (i for i in items if i.day == day.weekday()):
                slug = item.exercise.slug
                age = (today - day).days
                step_up = slug == "sit-to-stand" and age <= 21
                hurt = slug == "golf-swing" and 14 < age <= 21
                if not (step_up or hurt) and chance.random() > 0.8:
                    continue
                log = SessionLog(
                    user=user,
                    item=item,
                    exercise=item.exercise,
                    date=day,
                    sets=item.sets,
                    reps=item.reps,
                    minutes=item.minutes,
                    load_kg=item.load_kg,
                    weight_bearing=item.exercise.weight_bearing,
                    strengthening=item.exercise.strengthening,
                    trains_balance=item.exercise.trains_balance,
                    feeling=chance.choice(
                        [Feeling.ABOUT_RIGHT, Feeling.ABOUT_RIGHT, Feeling.EASY, ""]
                    ),
                )
                if step_up:
                    log.feeling, log.hurt = Feeling.EASY, False
                if hurt:
                    log.feeling, log.hurt = Feeling.HARD, True
                logs.append(log)
        SessionLog.objects.bulk_create(logs)
        return len(logs)


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
    return user
