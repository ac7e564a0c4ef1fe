"""Doses that fit the exercise: the item form asks only for what the exercise is measured in."""

import pytest
from pytest_django.asserts import assertContains

from catalogue.models import Dosing
from routines.models import RoutineItem
from tests.factories import make_exercise, make_item, make_routine

pytestmark = pytest.mark.django_db


@pytest.fixture
def exercises(patterns):
    return {
        "walk": make_exercise(
            name="Brisk walking",
            slug="brisk-walking",
            dosing=Dosing.TIME,
            default_sets=None,
            default_reps=None,
            default_minutes=30,
        ),
        "squat": make_exercise(
            name="Sit-to-stand", slug="sit-to-stand", dosing=Dosing.REPS
        ),
        "tai-chi": make_exercise(name="Tai chi", slug="tai-chi", dosing=Dosing.EITHER),
    }


def dose_fields(form):
    return [
        name for name in ("sets", "reps", "minutes", "load_kg") if name in form.fields
    ]


def test_a_timed_exercise_asks_for_minutes_only(app, patient, exercises):
    routine = make_routine(owner=patient)
    page = app.get(
        f"/routines/{routine.pk}/items/add/brisk-walking/?day=mon", user=patient
    )
    form = page.forms["item-form"]
    assert dose_fields(form) == ["minutes"]
    assert "Give the number of minutes." in page.text
    form["minutes"] = "25"
    form.submit().follow()
    item = RoutineItem.objects.get()
    assert (item.sets, item.reps, item.minutes) == (None, None, 25)


def test_repetitions_are_asked_for_a_strength_exercise(app, patient, exercises):
    routine = make_routine(owner=patient)
    page = app.get(f"/routines/{routine.pk}/items/add/sit-to-stand/", user=patient)
    form = page.forms["item-form"]
    assert dose_fields(form) == ["sets", "reps", "load_kg"]
    form["reps"] = ""
    refused = form.submit(status=400)
    assert "Give the number of times (repetitions)." in refused.text
    page = app.get(f"/routines/{routine.pk}/items/add/tai-chi/", user=patient)
    assert dose_fields(page.forms["item-form"]) == [
        "sets",
        "reps",
        "minutes",
        "load_kg",
    ]


def test_walking_in_sets_of_ten_is_refused(patient_client, patient, exercises):
    """What the page no longer offers, sent by hand: not saved, a plain error."""
    routine = make_routine(owner=patient)
    response = patient_client.post(
        f"/routines/{routine.pk}/items/add/brisk-walking/",
        {"exercise": "brisk-walking", "day": "mon", "sets": "2", "reps": "10"},
    )
    assertContains(response, "Give the number of minutes.", status_code=400)
    assert not RoutineItem.objects.exists()


def test_an_old_item_keeps_its_values_visible_and_saves_untouched(
    app, patient, exercises
):
    routine = make_routine(owner=patient)
    item = make_item(routine, exercises["walk"], sets=2, reps=10, minutes=20)
    page = app.get(item.get_edit_url(), user=patient)
    form = page.forms["item-form"]
    assert dose_fields(form) == ["sets", "reps", "minutes"]
    assert form.submit().status_code == 302
    form = app.get(item.get_edit_url()).forms["item-form"]
    form["sets"] = form["reps"] = ""
    form.submit().follow()
    item.refresh_from_db()
    assert (item.sets, item.reps, item.minutes) == (None, None, 20)
