"""Instances made without Model.__init__ (bonefit.prepared.instance_maker) are the ones
Django makes: the same attributes and state, so that everything done with them later
(reading a deferred field, save(), refresh_from_db(), pickling) works as on Django's. A
Django upgrade that makes __init__ or from_db() do more fails here first."""

import pickle

import pytest
from django.contrib.auth.models import User

from bonefit.prepared import PreparedQuery, instance_maker
from catalogue.models import Exercise, Status
from routines.models import RoutineItem
from tests.factories import make_exercise, make_item, make_routine

pytestmark = pytest.mark.django_db


# Not the instance's own data: the state (compared below) and the mark pickling leaves.
_NOT_DATA = {"_state", "_django_version"}


def _same_instance(mine, djangos):
    assert type(mine) is type(djangos)
    assert vars(mine).keys() - _NOT_DATA == vars(djangos).keys() - _NOT_DATA
    for name in vars(djangos).keys() - _NOT_DATA:
        assert getattr(mine, name) == getattr(djangos, name), name
    # fields_cache is made when first read (ModelState's descriptor): compare its value.
    for name in ("adding", "db", "fields_cache"):
        assert getattr(mine._state, name) == getattr(djangos._state, name), name
    assert vars(mine._state).keys() - {"fields_cache"} == (
        vars(djangos._state).keys() - {"fields_cache"}
    )
    assert mine.get_deferred_fields() == djangos.get_deferred_fields()


@pytest.mark.parametrize(
    "queryset",
    [
        lambda pk: RoutineItem.objects.filter(routine_id=pk).for_week_page(),
        lambda pk: RoutineItem.objects.filter(routine_id=pk),
        lambda pk: RoutineItem.objects.filter(routine_id=pk).defer("notes"),
    ],
    ids=["week-page-columns", "every-column", "one-deferred"],
)
def test_prepared_items_are_the_instances_django_makes(patient, queryset):
    routine = make_routine(owner=patient)
    make_item(routine, make_exercise(), reps=8)
    [mine] = PreparedQuery(queryset)(routine.pk)
    [djangos] = list(queryset(routine.pk))
    _same_instance(mine, djangos)
    _same_instance(pickle.loads(pickle.dumps(mine)), djangos)  # noqa: S301 - our own bytes

    # Later use: a deferred field is read, save() writes only what was read, and the
    # instance reloads.
    mine.reps = 9
    mine.save()
    djangos.refresh_from_db()
    assert djangos.reps == 9
    mine.refresh_from_db()
    assert mine.reps == 9
    assert mine.routine_id == routine.pk
    assert mine.routine.pk == routine.pk
    assert mine.notes == djangos.notes


def test_a_catalogue_exercise_made_from_a_row_is_djangos(patient):
    exercise = make_exercise(name="Heel raise", steps=())
    columns = ("id", "name", "slug", "status")
    row = (exercise.pk, "Heel raise", exercise.slug, Status.PUBLISHED.value)
    mine = instance_maker(Exercise, columns)(row)
    djangos = Exercise.objects.only("name", "slug", "status").get(pk=exercise.pk)
    _same_instance(mine, djangos)
    _same_instance(pickle.loads(pickle.dumps(mine)), djangos)  # noqa: S301 - our own bytes
    assert mine.summary == djangos.summary  # a deferred field, read from the database
    mine.name = "Heel raises"
    mine.save()
    exercise.refresh_from_db()
    assert exercise.name == "Heel raises"


def test_the_signed_in_person_is_the_user_django_makes(patient):
    prepared = PreparedQuery(lambda pk: User.objects.filter(pk=pk))
    [mine] = prepared(patient.pk)
    _same_instance(mine, User.objects.get(pk=patient.pk))
    assert mine.check_password("a-long-enough-pass-123")
