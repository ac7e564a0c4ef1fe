"""What a fresh-eyes review of the patient's and therapist's pages found (2026-11-26)."""

import pytest

from routines.models import Review, Routine
from tests.factories import (
    make_exercise,
    make_item,
    make_link,
    make_routine,
    make_therapist,
    signed_in,
)


@pytest.fixture
def sit_up(patterns):
    bridge = make_exercise(name="Bridge", slug="bridge", steps=("Lie on your back.",))
    return make_exercise(
        name="Sit-up",
        slug="sit-up",
        patterns=["SPINAL_FLEXION"],
        alternatives=[bridge],
        steps=("Curl up towards your knees.",),
    )


@pytest.fixture
def shared(patient):
    therapist = make_therapist("physio", first_name="Pat", last_name="Lee")
    make_link(patient, therapist)
    return therapist


def _decide(item, decision, therapist, note=""):
    """The therapist's decision on the sit-up's danger (as the clinic's review form saves it)."""
    item.review(
        decision, {"SPINAL_FLEXION"}, note=note, by=therapist, version=item.version
    )


def _week_with(patient, exercise, day=2):
    routine = make_routine(owner=patient, name="Strong week")
    item = make_item(routine, exercise, day=day)
    Routine.objects.mark_changed(routine.pk)
    return routine, item


def test_printed_sheet_keeps_the_steps_of_an_exercise_advised_against(
    patient_client, patient, sit_up, shared
):
    routine, item = _week_with(patient, sit_up)
    _decide(item, Review.ADVISED_AGAINST, shared, note="Not with your spine.")
    sheet = patient_client.get(f"/routines/{routine.pk}/print/").content.decode()
    assert "Curl up towards your knees." not in sheet
    assert "your therapist advised against this exercise (Wednesday)" in sheet


def test_printed_sheet_says_a_waiting_exercise_waits_for_the_therapist(
    patient_client, patient, sit_up, shared
):
    routine, _item = _week_with(patient, sit_up)
    sheet = patient_client.get(f"/routines/{routine.pk}/print/").content.decode()
    assert "Curl up towards your knees." not in sheet
    assert "waits for your therapist's decision (Wednesday)" in sheet
    assert "confirm it in BoneFit" not in sheet  # she has no Confirm button


def test_printed_sheet_shows_the_steps_once_the_therapist_approves(
    patient_client, patient, sit_up, shared
):
    routine, item = _week_with(patient, sit_up)
    _decide(item, Review.APPROVED, shared)
    sheet = patient_client.get(f"/routines/{routine.pk}/print/").content.decode()
    assert "Curl up towards your knees." in sheet
    assert "Steps not printed" not in sheet


def test_printed_sheet_with_one_day_approved_and_another_advised_against(
    patient_client, patient, sit_up, shared
):
    """Approved on Monday and advised against on Wednesday: the steps are printed, for
    Monday only, and Wednesday is named as the day not to do it."""
    routine, monday = _week_with(patient, sit_up, day=0)
    wednesday = make_item(routine, sit_up, day=2)
    _decide(monday, Review.APPROVED, shared, note="Ten at most.")
    _decide(wednesday, Review.ADVISED_AGAINST, shared)
    sheet = patient_client.get(f"/routines/{routine.pk}/print/").content.decode()
    text = " ".join(sheet.split())
    assert "Curl up towards your knees." in sheet
    assert "Approved</strong> (Monday) by Pat Lee" in text
    assert (
        "Only on Monday.</strong> Not on Wednesday: your therapist advised against "
        "it there."
    ) in text
    assert "Steps not printed" not in sheet
    # advised against on every day: still withheld
    monday.refresh_from_db()
    _decide(monday, Review.ADVISED_AGAINST, shared)
    sheet = patient_client.get(f"/routines/{routine.pk}/print/").content.decode()
    assert "Curl up towards your knees." not in sheet
    assert "Steps not printed" in sheet


def test_routine_list_counts_each_danger_once(patient_client, patient, sit_up, shared):
    routine = make_routine(owner=patient, name="Strong week")
    approved = make_item(routine, sit_up, day=0)
    advised = make_item(routine, sit_up, day=2)
    make_item(routine, sit_up, day=4)  # waits for the therapist
    _decide(approved, Review.APPROVED, shared)
    _decide(advised, Review.ADVISED_AGAINST, shared)
    page = patient_client.get("/routines/").content.decode()
    assert "1 marked Danger waits for your therapist." in page
    assert "Your therapist advised against 1 exercise." in page
    assert "1 marked Danger, approved by your therapist." in page
    assert "(confirmed)" not in page  # approved is not the patient's own confirmation


def test_after_a_swap_the_page_opens_at_the_undo_button(app, patient, sit_up):
    routine, item = _week_with(patient, sit_up)
    week = app.get(routine.get_absolute_url(), user=patient)
    swap = next(
        form
        for form in week.forms.values()
        if form.action.endswith(f"/items/{item.pk}/swap/")
    )
    answer = swap.submit()
    assert answer.location.endswith(f"/routines/{routine.pk}/#undo-swap")
    page = answer.follow()
    assert page.html.select_one("#undo-swap button").get_text() == "Undo the swap"


def test_the_item_forms_speak_to_who_is_using_them(app, patient, sit_up, shared):
    from django.urls import reverse

    routine, item = _week_with(patient, sit_up)
    mine = app.get(
        reverse("routines:item_edit", args=[routine.pk, item.pk]), user=patient
    )
    assert "What to know before you change it" in mine.text
    assert mine.html.select_one("label[for=id_notes]").get_text(strip=True) == (
        "Your notes (optional)"
    )
    clinic = signed_in(app, shared).get(
        reverse("clinic:item_edit", args=[routine.pk, item.pk])
    )
    assert clinic.html.select_one("label[for=id_notes]").get_text(strip=True) == (
        "Notes for the patient (optional)"
    )
