"""Plain factory functions: defaults, keyword overrides, nothing hidden."""

from contextlib import contextmanager
from itertools import count

from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.models import (
    Category,
    Exercise,
    ExerciseStep,
    MovementPattern,
    Position,
    Status,
)
from routines import checking, safety
from routines.models import HealthProfile, Routine, RoutineItem

_serial = count(1)


def make_patterns():
    """The movement patterns with the default rules of routines.safety."""
    for code, rule in safety.DEFAULT_RULES.items():
        MovementPattern.objects.get_or_create(
            code=code,
            defaults={"message": rule.message, **rule.severities},
        )
    return {p.code: p for p in MovementPattern.objects.all()}


def make_exercise(
    *, patterns=(), alternatives=(), steps=("Stand tall.", "Breathe."), **overrides
):
    n = next(_serial)
    exercise = Exercise.objects.create(
        **(
            {
                "name": f"Exercise {n}",
                "slug": f"exercise-{n}",
                "status": Status.PUBLISHED,
                "category": Category.STRENGTH,
                "position": Position.STANDING,
                "weight_bearing": True,
                "strengthening": False,
                "trains_balance": False,
                "default_sets": 2,
                "default_reps": 10,
            }
            | overrides
        )
    )
    if patterns:
        exercise.patterns.set(MovementPattern.objects.filter(code__in=patterns))
    exercise.alternatives.set(alternatives)
    ExerciseStep.objects.bulk_create(
        ExerciseStep(exercise=exercise, order=i, text=t) for i, t in enumerate(steps, 1)
    )
    return exercise


def make_user(username=None, password="a-long-enough-pass-123", **fields):
    username = username or f"user{next(_serial)}"
    return User.objects.create_user(username=username, password=password, **fields)


def make_profile(user, **fields):
    return HealthProfile.objects.create(
        user=user, **({"diagnosis": "osteoporosis"} | fields)
    )


def make_routine(*, owner, name="My week", items=0, exercise=None):
    routine = Routine.objects.create(owner=owner, name=name)
    if items:
        exercise = exercise or make_exercise()
        RoutineItem.objects.bulk_create(
            RoutineItem(
                routine=routine,
                exercise=exercise,
                day=i % 7,
                position=i // 7,
                reps=10,
                sets=2,
            )
            for i in range(items)
        )
    return routine


def make_item(routine, exercise, *, day=0, **fields):
    position = RoutineItem.next_position(routine, day)
    return RoutineItem.objects.create(
        routine=routine,
        exercise=exercise,
        day=day,
        position=position,
        **({"reps": 10} | fields),
    )


def admin_exercise_form_data(exercise, steps=()):
    """The admin change form of `exercise` as a browser would post it; steps are (step, order)."""
    data = {
        "name": exercise.name,
        "slug": exercise.slug,
        "status": exercise.status,
        "summary": "",
        "category": exercise.category,
        "position": exercise.position,
        "equipment": exercise.equipment,
        "impact": exercise.impact,
        "weight_bearing": "on",
        "default_sets": "2",
        "default_reps": "10",
        "default_minutes": "",
        "dosing": exercise.dosing,
        "dose_notes": "",
        "cautions": "",
        "load_threshold_kg": "",
        "picture_description": "",
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": str(len(steps)),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for i, (step, order) in enumerate(steps):
        data |= {
            f"steps-{i}-id": str(step.pk),
            f"steps-{i}-exercise": str(exercise.pk),
            f"steps-{i}-order": str(order),
            f"steps-{i}-text": step.text,
        }
    return data


def make_therapist(username=None, **fields):
    from django.contrib.auth.models import Group

    from catalogue.roles import THERAPISTS

    user = make_user(username, is_staff=True, **fields)
    user.groups.add(Group.objects.get(name=THERAPISTS))
    return user


def make_link(patient, therapist, **fields):
    from routines.models import CareLink

    link, _ = CareLink.start(patient=patient, therapist=therapist)
    if fields:
        CareLink.objects.filter(pk=link.pk).update(**fields)
        link.refresh_from_db()
    return link


def sign_in(client, user):
    """Sign `user` in on a test client; staff also pass the second step, as after typing
    a code (the two-step tests in test_security_signin.py type real codes instead)."""
    client.force_login(user)
    if user.is_staff:
        from django_otp import DEVICE_ID_SESSION_KEY

        from routines import two_factor

        device, _codes = two_factor.enrol(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[two_factor.HAS_DEVICE] = True
        session.save()
    return client


def sign_in_through_pages(app, user, password="a-long-enough-pass-123"):
    """Sign `user` in on a WebTest app the way a person does: the log-in form, then (staff)
    the second step, typing one of their recovery codes."""
    codes = []
    if user.is_staff:
        from routines import two_factor

        _device, codes = two_factor.enrol(user)
    app.reset()  # a new browser: nobody signed in
    page = app.get("/accounts/login/")
    form = next(f for f in page.forms.values() if "password" in f.fields)
    form["username"] = user.get_username()
    form["password"] = password
    page = form.submit().maybe_follow()
    if codes:
        page = app.get("/admin/").maybe_follow()
        form = next(f for f in page.forms.values() if "code" in f.fields)
        form["code"] = codes[0]
        page = form.submit().maybe_follow()
    return page


def signed_in(app, user):
    """Sign `user` in on the WebTest browser; staff with their second step (see sign_in)."""
    from django.conf import settings
    from django.test import Client

    client = sign_in(Client(), user)
    app.reset()
    app.set_cookie(
        settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value
    )
    return app


@contextmanager
def first_visit_queries():
    """Capture the queries of what runs inside, as a first visit after a catalogue change
    makes them: this process's catalogue tables (routines.checking.CatalogueTables) are
    dropped first, so two counts compare the same work however warm the process is."""
    checking.forget_catalogue_tables()
    with CaptureQueriesContext(connection) as queries:
        yield queries
