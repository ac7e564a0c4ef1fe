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
from routines import checking, two_factor
from routines.models import (
    Access,
    AccessLog,
    CareLink,
    Diagnosis,
    Feeling,
    HealthProfile,
    PlanSettings,
    Review,
    Routine,
    RoutineItem,
    SessionLog,
    ShareCode,
    Weekday,
)

DEMO_USERNAME = "demo"
DEMO_WEEKS = 8
DEMO_PASSWORD = "bonefit-demo"  # noqa: S105 - printed in the README on purpose
RESTRICTIONS = (
    "Lifting more than 5 kg, and bending forward from the waist (touching your toes, "
    "sit-ups)."
)
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
            {
                "diagnosis": Diagnosis.OSTEOPOROSIS,
                "fragility_fractures": 1,
                "fracture_wrist": True,
            },
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
            therapist = self._demo_therapist()
            if self._care_team(dorothy, therapist):
                self.stdout.write(
                    f"'{DEMO_THERAPIST}' is linked to '{DEMO_USERNAME}': one approval, "
                    "one advice against, one exercise waiting, restrictions, an added "
                    "exercise and a template."
                )

    def _care_team(self, patient, therapist):
        """The demo therapist, linked to the demo patient, approved one danger item,
        advised against another, wrote restrictions, added an exercise and keeps a
        template; a third danger item waits for approval. Once (idempotent); every write
        goes through the model methods."""
        if CareLink.objects.filter(patient=patient, therapist=therapist).exists():
            return False
        with transaction.atomic():
            ShareCode.renew_for(therapist)
            link, _ = CareLink.start(patient=patient, therapist=therapist)
            link.write_restrictions(RESTRICTIONS)
            routine = Routine.objects.owned_by(patient).order_by("pk").first()
            exercises = Exercise.objects.in_bulk(
                [
                    "seated-forward-bend",
                    "standing-forward-bend",
                    "sit-up",
                    "bird-dog",
                    "bridge",
                    "sit-to-stand",
                    "brisk-walking",
                    "single-leg-stance-supported",
                ],
                field_name="slug",
            )
            # Added by the patient: one waits, one is approved, one is advised against.
            waiting, _ = routine.add_item(
                exercise=exercises["seated-forward-bend"],
                day=Weekday.WEDNESDAY,
                sets=1,
                reps=5,
                by=patient,
            )
            approved, _ = routine.add_item(
                exercise=exercises["standing-forward-bend"],
                day=Weekday.FRIDAY,
                sets=1,
                reps=5,
                by=patient,
            )
            advised, _ = routine.add_item(
                exercise=exercises["sit-up"],
                day=Weekday.SUNDAY,
                sets=1,
                reps=10,
                by=patient,
            )
            profile = HealthProfile.objects.get(user=patient)
            for item, decision, note in [
                (
                    approved,
                    Review.APPROVED,
                    "Only the way I showed you: bend at the hips with a straight back, "
                    "down to your knees at most.",
                ),
                (
                    advised,
                    Review.ADVISED_AGAINST,
                    "Please leave sit-ups out: do the bird dog on Friday instead.",
                ),
            ]:
                findings = checking.candidate_findings(profile, item, item.exercise)
                item.review(
                    decision,
                    {f.code for f in findings if f.severity == "danger"},
                    note=note,
                    by=therapist,
                    version=item.version,
                )
            # Added by the therapist: the patient sees "added by Sam Carter, your therapist".
            routine.add_item(
                exercise=exercises["bird-dog"],
                day=Weekday.FRIDAY,
                sets=2,
                reps=8,
                notes="Slowly, keep your back flat.",
                by=therapist,
            )
            for what in [
                "your profile and routines",
                "wrote what you should avoid",
                f"approved Standing forward bend (yoga) on Friday in “{routine.name}”",
                f"advised against Sit-up on Sunday in “{routine.name}”",
                f"added Bird dog on Friday to “{routine.name}”",
            ]:
                AccessLog.record(
                    therapist=therapist,
                    patient=patient,
                    action=Access.VIEWED if what.startswith("your") else Access.CHANGED,
                    what=what,
                )
            template, _ = Routine.create_for(
                therapist, name="Strong bones: first weeks", is_template=True
            )
            for day, slug, sets, reps, minutes in [
                (Weekday.MONDAY, "brisk-walking", None, None, 20),
                (Weekday.MONDAY, "sit-to-stand", 2, 8, None),
                (Weekday.WEDNESDAY, "single-leg-stance-supported", None, None, 5),
                (Weekday.THURSDAY, "bridge", 2, 8, None),
                (Weekday.THURSDAY, "sit-to-stand", 2, 8, None),
                (Weekday.SATURDAY, "brisk-walking", None, None, 20),
            ]:
                template.add_item(
                    exercise=exercises[slug],
                    day=day,
                    sets=sets,
                    reps=reps,
                    minutes=minutes,
                    by=therapist,
                )
        return True

    def _demo_therapist(self):
        User = get_user_model()
        with transaction.atomic():
            user, created = User.objects.get_or_create(
                username=DEMO_THERAPIST,
                defaults={
                    "first_name": "Terry",
                    "last_name": "Jones",
                    "is_staff": True,
                },
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
        return user

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
