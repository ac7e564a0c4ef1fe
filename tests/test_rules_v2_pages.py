"""Rules version 2 as patients and therapists meet it: the profile's fracture count, the admin
severity "none", the danger-exercise page, floor exercises, Moving safely, the printed sheet."""

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from catalogue.models import MovementPattern, Position
from catalogue.roles import THERAPISTS
from routines.models import HealthProfile
from tests.factories import (
    first_visit_queries,
    make_exercise,
    make_item,
    make_routine,
    make_user,
    sign_in_through_pages,
)

pytestmark = pytest.mark.django_db


def form_with(page, field):
    return next(form for form in page.forms.values() if field in form.fields)


# --- the profile: how many fragility fractures ------------------------------------------


def test_profile_asks_how_many_bones_were_broken_and_two_mean_higher_risk(app, patient):
    page = app.get("/routines/profile/", user=patient)
    assert (
        "How many bones have you broken since age 50 in a fall from standing height "
        "or less?" in page.text
    )
    form = form_with(page, "fragility_fractures")
    form["diagnosis"] = "osteopenia"
    form["fragility_fractures"] = "2"
    form["fracture_wrist"] = True
    page = form.submit().follow()
    profile = HealthProfile.objects.get(user=patient)
    assert (profile.fragility_fractures, profile.fracture_wrist) == (2, True)
    assert profile.as_facts().fractures == ("wrist", "wrist")
    assert profile.risk_level == "high_risk"
    # The answers come back as given, and the page says what they mean.
    page = app.get("/routines/profile/")
    form = form_with(page, "fragility_fractures")
    assert form["fragility_fractures"].value == "2"
    assert form["fracture_wrist"].checked
    assert "Higher risk" in page.text
    assert "You told us about 2 broken bones since age 50" in page.text


@pytest.mark.parametrize(
    ("count", "places", "level", "fractures"),
    [
        ("0", [], "low_bone_mass", ()),
        ("1", ["fracture_other"], "osteoporosis", ("other",)),
        ("2", ["fracture_wrist", "fracture_other"], "high_risk", ("wrist", "other")),
        ("3", [], "high_risk", ("other", "other", "other")),
        ("1", ["fracture_hip"], "high_risk", ("hip",)),
    ],
)
def test_the_count_and_the_places_give_one_fracture_each(
    app, patient, count, places, level, fractures
):
    form = form_with(app.get("/routines/profile/", user=patient), "fragility_fractures")
    form["diagnosis"] = "osteopenia"
    form["fragility_fractures"] = count
    for place in places:
        form[place] = True
    form.submit().follow()
    profile = HealthProfile.objects.get(user=patient)
    assert profile.risk_level == level
    assert profile.as_facts().fractures == fractures


def test_fewer_bones_than_places_ticked_is_a_plain_error_and_saves_nothing(
    app, patient
):
    form = form_with(app.get("/routines/profile/", user=patient), "fragility_fractures")
    form["fragility_fractures"] = "1"
    form["fracture_wrist"] = True
    form["fracture_hip"] = True
    page = form.submit(status=400)
    assert "You ticked 2 places, so you have broken at least 2 bones" in page.text
    assert not HealthProfile.objects.get(user=patient).fracture_hip


def test_the_data_export_lists_one_entry_per_fracture(patient_client, patient):
    HealthProfile.objects.filter(user=patient).update(
        fragility_fractures=2, fracture_wrist=True
    )
    data = patient_client.get("/accounts/me/export/").json()
    assert data["profile"]["fractures"] == ["wrist", "wrist"]
    assert data["profile"]["risk_level"] == "high_risk"


# --- the admin severity "none" ----------------------------------------------------------


def test_therapist_sets_a_severity_to_none_in_the_severity_table(
    app, patterns, patient
):
    therapist = make_user("terry", is_staff=True)
    therapist.groups.add(Group.objects.get(name=THERAPISTS))
    golf = make_exercise(
        name="Golf swing", slug="golf-swing", patterns=["SPINAL_TWIST"]
    )
    routine = make_routine(owner=patient)
    make_item(routine, golf, minutes=30, reps=None)
    week = app.get(routine.get_absolute_url(), user=patient)
    assert "Twisting your spine" in week.text

    sign_in_through_pages(app, therapist)
    page = app.get("/admin/catalogue/movementpattern/")
    form = page.forms["changelist-form"]
    row = next(
        name
        for name, fields in form.fields.items()
        if name.endswith("-osteoporosis")
        and form[name.replace("osteoporosis", "id")].value
        == str(patterns["SPINAL_TWIST"].pk)
    )
    assert "none" in [value for value, *_ in form[row].options]
    form[row] = "none"
    form.submit("_save").follow()
    assert MovementPattern.objects.get(code="SPINAL_TWIST").osteoporosis == "none"

    week = app.get(routine.get_absolute_url(), user=patient)
    assert "Twisting your spine" not in week.text
    exercise_page = app.get(golf.get_absolute_url())
    assert "for you: <strong>No warning</strong>" in exercise_page.text


def test_severity_none_on_the_change_form_too(app, patterns):
    therapist = make_user("terry", is_staff=True)
    therapist.groups.add(Group.objects.get(name=THERAPISTS))
    pattern = patterns["FALL_RISK"]
    sign_in_through_pages(app, therapist)
    page = app.get(f"/admin/catalogue/movementpattern/{pattern.pk}/change/")
    form = form_with(page, "low_bone_mass")
    form["low_bone_mass"] = "none"
    form.submit("_save").follow()
    assert MovementPattern.objects.get(code="FALL_RISK").low_bone_mass == "none"


# --- an exercise that is dangerous for this patient ------------------------------------


@pytest.fixture
def jumping(patterns):
    heel_drops = make_exercise(
        name="Heel drops", slug="heel-drops", patterns=["MODERATE_IMPACT"]
    )
    walking = make_exercise(name="Brisk walking", slug="brisk-walking")
    return make_exercise(
        name="Jumping",
        slug="jumping",
        patterns=["HIGH_IMPACT"],
        alternatives=[heel_drops, walking],
        steps=("Jump up.", "Land softly."),
        default_sets=1,
        default_reps=10,
    )


def test_danger_page_leads_with_why_not_and_safe_choices_and_hides_the_steps(
    patient_client, patient, jumping
):
    HealthProfile.objects.filter(user=patient).update(fracture_spine=True)
    response = patient_client.get(jumping.get_absolute_url())
    html = response.content.decode()
    assert "Not for you" in html
    assert html.index("Not for you") < html.index("Jump up.")
    assertContains(
        response,
        "<summary>How it is done — only if your therapist has approved it</summary>",
        html=False,
    )
    assertContains(
        response, '<a href="/catalogue/brisk-walking/">Brisk walking</a>', html=False
    )
    assertNotContains(
        response, "/catalogue/heel-drops/"
    )  # take care after a spine fracture
    assertNotContains(response, "How much")
    assertNotContains(response, "1 set of 10")


def test_the_same_page_teaches_a_patient_for_whom_it_is_not_dangerous(
    patient_client, patient, jumping
):
    HealthProfile.objects.filter(user=patient).update(diagnosis="osteopenia")
    response = patient_client.get(jumping.get_absolute_url())
    assertNotContains(response, "Not for you")
    assertNotContains(response, "<details", html=False)
    assertContains(response, "How much")
    assertContains(response, "1 set of 10")
    assertContains(response, "/catalogue/heel-drops/")


def test_no_safe_choice_sends_the_patient_to_the_therapist(patient_client, patterns):
    crunch = make_exercise(slug="crunch", patterns=["SPINAL_FLEXION"])
    sit_up = make_exercise(
        slug="sit-up", patterns=["SPINAL_FLEXION"], alternatives=[crunch]
    )
    response = patient_client.get(sit_up.get_absolute_url())
    assertContains(response, "Ask your therapist for a safer choice.")
    assertNotContains(response, "/catalogue/crunch/")


# --- floor exercises and Moving safely ---------------------------------------------------


def test_a_floor_exercise_points_first_to_getting_down_and_up(
    client, patient_client, patient, patterns
):
    make_exercise(name="Getting down to the floor and up again", slug="floor-transfer")
    bridge = make_exercise(name="Bridge", slug="bridge", position=Position.FLOOR)
    standing = make_exercise(name="Heel raises", slug="heel-raises")
    link = '<a href="/catalogue/floor-transfer/">Getting down to the floor and up again</a>'
    assertContains(client.get(bridge.get_absolute_url()), link, html=False)
    assertNotContains(client.get(standing.get_absolute_url()), link, html=False)
    routine = make_routine(owner=patient)
    form_page = patient_client.get(f"/routines/{routine.pk}/items/add/bridge/?day=tue")
    assertContains(form_page, link, html=False)


def test_moving_safely_has_its_own_page_linked_from_home_and_the_week(
    client, patient_client, patient
):
    page = client.get("/moving-safely/")
    for topic in (
        "hip hinge",
        "dishwasher",
        "Gardening",
        "car boot",
        "Coughing and sneezing",
    ):
        assertContains(page, topic)
    assertContains(client.get("/"), 'href="/moving-safely/"', html=False)
    routine = make_routine(owner=patient)
    assertContains(
        patient_client.get(routine.get_absolute_url()),
        'href="/moving-safely/"',
        html=False,
    )
    entry = make_exercise(name="Moving safely every day", slug="moving-safely")
    assertContains(
        client.get(entry.get_absolute_url()), 'href="/moving-safely/"', html=False
    )


# --- the printed sheet ------------------------------------------------------------------


@pytest.fixture
def floor_week(patient, patterns):
    make_exercise(
        name="Getting down to the floor and up again",
        slug="floor-transfer",
        steps=("Kneel via a chair.", "Roll like a log."),
    )
    bridge = make_exercise(
        name="Bridge",
        slug="bridge",
        position=Position.FLOOR,
        steps=("Lift your hips.",),
    )
    dead_bug = make_exercise(
        name="Dead bug",
        slug="dead-bug",
        position=Position.FLOOR,
        steps=("Move slowly.",),
    )
    sit_up = make_exercise(
        name="Sit-up",
        slug="sit-up",
        position=Position.FLOOR,
        patterns=["SPINAL_FLEXION"],
        steps=("Curl up to sitting.",),
    )
    routine = make_routine(owner=patient)
    make_item(routine, bridge, day=0)
    make_item(routine, bridge, day=3)
    make_item(routine, dead_bug, day=1)
    item = make_item(routine, sit_up, day=2)
    return routine, item


def test_printed_sheet_prints_the_floor_transfer_once_and_no_unconfirmed_steps(
    patient_client, floor_week
):
    routine, sit_up = floor_week
    response = patient_client.get(f"/routines/{routine.pk}/print/")
    assertContains(response, "Roll like a log.", count=1)
    assertContains(response, "Lift your hips.", count=1)
    assertNotContains(response, "Curl up to sitting.")
    assertContains(response, "Steps not printed")
    sit_up.record_acknowledgement({"SPINAL_FLEXION"})
    sit_up.save()
    response = patient_client.get(f"/routines/{routine.pk}/print/")
    assertContains(response, "Curl up to sitting.", count=1)
    assertContains(
        response,
        f"by Alice on {timezone.localdate():%-d %B %Y}",
    )
    assertContains(response, "(Wednesday)")
    assertNotContains(response, "Steps not printed")


def test_printed_sheet_shows_steps_changed_after_it_was_printed(
    patient_client, floor_week
):
    """The process keeps each exercise's steps for the catalogue's version: a step added,
    changed or removed anywhere (not only through the admin) moves that version."""
    from catalogue.models import ExerciseStep

    routine, _ = floor_week
    url = f"/routines/{routine.pk}/print/"
    assertContains(patient_client.get(url), "Lift your hips.", count=1)
    step = ExerciseStep.objects.get(text="Lift your hips.")
    step.text = "Lift your hips slowly."
    step.save()
    ExerciseStep.objects.create(exercise=step.exercise, order=9, text="Breathe out.")
    response = patient_client.get(url)
    assertContains(response, "Lift your hips slowly.", count=1)
    assertContains(response, "Breathe out.", count=1)
    step.delete()
    assertNotContains(patient_client.get(url), "Lift your hips slowly.")


def test_printed_sheet_without_floor_work_has_no_floor_transfer(
    patient_client, patient, patterns
):
    make_exercise(
        name="Getting down", slug="floor-transfer", steps=("Roll like a log.",)
    )
    routine = make_routine(owner=patient, items=3)
    assertNotContains(
        patient_client.get(f"/routines/{routine.pk}/print/"), "Roll like a log."
    )


def test_printed_sheet_query_count_does_not_grow_with_items(
    patient_client, patient, floor_week
):
    routine, _ = floor_week
    with first_visit_queries() as small:
        patient_client.get(f"/routines/{routine.pk}/print/")
    bridge = routine.items.first().exercise
    for day in range(7):
        make_item(routine, bridge, day=day)
    with first_visit_queries() as big:
        patient_client.get(f"/routines/{routine.pk}/print/")
    assert len(big) == len(small)
