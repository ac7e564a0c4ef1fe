from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from catalogue.models import Exercise
from catalogue.roles import ensure_therapists_group
from routines import checking
from routines.models import (
    Access,
    AccessLog,
    CareLink,
    Diagnosis,
    HealthProfile,
    Review,
    Routine,
    RoutineItem,
    ShareCode,
    Weekday,
)

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "bonefit-demo"  # noqa: S105 - printed in the README on purpose
THERAPIST_USERNAME = "therapist"
THERAPIST_PASSWORD = "bonefit-therapist"  # noqa: S105 - printed in the README on purpose
RESTRICTIONS = (
    "Lifting more than 5 kg, and bending forward from the waist (touching your toes, "
    "sit-ups)."
)

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


class Command(BaseCommand):
    help = (
        "Load the starter catalogue and a demo patient with a sample week (idempotent)."
    )

    def handle(self, *args, **options):
        call_command("load_catalogue", stdout=self.stdout)
        User = get_user_model()
        with transaction.atomic():
            user, created = User.objects.get_or_create(
                username=DEMO_USERNAME, defaults={"first_name": "Dorothy"}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                HealthProfile.objects.create(
                    user=user, diagnosis=Diagnosis.OSTEOPOROSIS, fracture_wrist=True
                )
                routine = Routine.objects.create(owner=user, name="My week")
                exercises = Exercise.objects.in_bulk(
                    [slug for _, slug, *_ in DEMO_WEEK], field_name="slug"
                )
                positions = {}
                items = []
                for day, slug, sets, reps, minutes in DEMO_WEEK:
                    position = positions.get(day, 0)
                    positions[day] = position + 1
                    items.append(
                        RoutineItem(
                            routine=routine,
                            exercise=exercises[slug],
                            day=day,
                            position=position,
                            sets=sets,
                            reps=reps,
                            minutes=minutes,
                        )
                    )
                RoutineItem.objects.bulk_create(items)
        state = "created" if created else "already there"
        self.stdout.write(
            f"Demo patient '{DEMO_USERNAME}' {state} (password: {DEMO_PASSWORD})."
        )
        therapist_created = self.seed_therapist(user)
        state = "created" if therapist_created else "already there"
        self.stdout.write(
            f"Demo therapist '{THERAPIST_USERNAME}' {state} "
            f"(password: {THERAPIST_PASSWORD}), linked to '{DEMO_USERNAME}'."
        )

    def seed_therapist(self, patient):
        """A therapist linked to the demo patient, who approved one danger item, advised
        against another, wrote restrictions, added an exercise and keeps a template; a
        third danger item waits for approval. Every write goes through the model methods."""
        User = get_user_model()
        with transaction.atomic():
            therapist, created = User.objects.get_or_create(
                username=THERAPIST_USERNAME,
                defaults={"first_name": "Sam", "last_name": "Carter", "is_staff": True},
            )
            if not created:
                return False
            therapist.set_password(THERAPIST_PASSWORD)
            therapist.save()
            therapist.groups.add(ensure_therapists_group())
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
                f"approved Standing forward bend on Friday in “{routine.name}”",
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
