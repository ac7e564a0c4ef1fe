from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from catalogue.models import Status
from routines.models import HealthProfile, Routine, RoutineItem, Weekday
from tests.factories import (
    first_visit_queries,
    make_exercise,
    make_item,
    make_profile,
    make_routine,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(patterns):
    bridge = make_exercise(
        name="Bridge", slug="bridge", weight_bearing=False, strengthening=True
    )
    dead_bug = make_exercise(
        name="Dead bug", slug="dead-bug", weight_bearing=False, strengthening=True
    )
    return {
        "bridge": bridge,
        "dead-bug": dead_bug,
        "sit-up": make_exercise(
            name="Sit-up",
            slug="sit-up",
            weight_bearing=False,
            strengthening=True,
            patterns=["SPINAL_FLEXION"],
            alternatives=[bridge, dead_bug],
        ),
        "walk": make_exercise(
            name="Brisk walking",
            slug="brisk-walking",
            default_sets=None,
            default_reps=None,
            default_minutes=30,
        ),
        "squat": make_exercise(
            name="Sit-to-stand", slug="sit-to-stand", strengthening=True
        ),
        "balance": make_exercise(
            name="Single-leg stance", slug="single-leg-stance", trains_balance=True
        ),
        "golf": make_exercise(
            name="Golf swing",
            slug="golf-swing",
            patterns=["SPINAL_TWIST"],
            alternatives=[bridge],
        ),
    }


def add(client, routine, chosen, **data):
    payload = {
        "exercise": chosen.slug,
        "day": "mon",
        "sets": "",
        "reps": "10",
        "minutes": "",
        "load_kg": "",
        "notes": "",
    } | data
    return client.post(f"/routines/{routine.pk}/items/add/{chosen.slug}/", payload)


# --- profile and sign-up -----------------------------------------------------------------


def test_sign_up_creates_a_profile_and_asks_for_it(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "dorothy",
            "first_name": "Dorothy",
            "email": "",
            "password1": "a-long-enough-pass-123",
            "password2": "a-long-enough-pass-123",
        },
        follow=True,
    )
    assertContains(response, "My health profile")
    assert HealthProfile.objects.get(user__username="dorothy").diagnosis == "unsure"


def test_sign_up_errors_are_in_plain_words(client):
    response = client.post(
        "/accounts/signup/", {"username": "x", "password1": "abc", "password2": "abd"}
    )
    assertContains(response, "didn’t match")
    assert not HealthProfile.objects.exists()


def test_risk_level_is_derived_not_typed(patient_client, patient):
    patient_client.post(
        "/routines/profile/",
        {
            "diagnosis": "osteopenia",
            "fragility_fractures": "1",
            "fracture_hip": "on",
            "restrictions": "",
            "version": HealthProfile.objects.get(user=patient).version,
        },
    )
    profile = HealthProfile.objects.get(user=patient)
    assert profile.risk_level == "high_risk"
    response = patient_client.post(
        "/routines/profile/",
        {
            "diagnosis": "osteopenia",
            "fragility_fractures": "0",
            "risk_level": "low_bone_mass",
            "version": HealthProfile.objects.get(user=patient).version,
        },
    )
    assert HealthProfile.objects.get(user=patient).risk_level == "low_bone_mass"
    assert response.status_code == 302


def test_changing_the_profile_rechecks_every_routine(
    patient_client, patient, catalogue
):
    HealthProfile.objects.filter(user=patient).update(diagnosis="osteopenia")
    for name in ("A", "B"):
        routine = make_routine(owner=patient, name=name)
        make_item(
            routine, catalogue["sit-up"]
        )  # caution for osteopenia: no acknowledgement yet
    response = patient_client.post(
        "/routines/profile/",
        {"diagnosis": "osteoporosis", "fragility_fractures": "0", "version": "1"},
        follow=True,
    )
    assertContains(
        response, "We checked your 2 routines again: 2 exercises are now marked Danger"
    )
    assertContains(response, "2 marked Danger need your attention", count=0)
    assertContains(response, "marked Danger need", count=2)


# --- the week page ------------------------------------------------------------------------


def test_week_page_shows_days_items_and_warnings(patient_client, patient, catalogue):
    routine = make_routine(owner=patient)
    make_item(
        routine,
        catalogue["sit-up"],
        day=0,
        danger_acknowledged_at="2026-01-01T00:00Z",
        acknowledged_codes="SPINAL_FLEXION",
    )
    response = patient_client.get(routine.get_absolute_url())
    for day in Weekday.labels:
        assertContains(response, day)
    assertContains(response, "Danger:")
    assertContains(response, "Bending forward from the waist presses")
    assertContains(response, "Swap for Bridge")
    assertContains(response, "Swap for Dead bug")
    assertContains(response, "Nothing this week is done on your feet")
    assertNotContains(response, "SPINAL_FLEXION")


def test_adding_a_safe_exercise(patient_client, patient, catalogue):
    routine = make_routine(owner=patient)
    response = add(
        patient_client, routine, catalogue["squat"], day="wed", sets="2", reps="12"
    )
    assert response.status_code == 302
    item = routine.items.get()
    assert (item.day, item.sets, item.reps, item.danger_acknowledged_at) == (
        2,
        2,
        12,
        None,
    )


def test_adding_a_dangerous_exercise_needs_acknowledgement(
    patient_client, patient, catalogue
):
    routine = make_routine(owner=patient)
    response = add(patient_client, routine, catalogue["sit-up"])
    assert response.status_code == 400
    assertContains(response, "can be dangerous for your bones", status_code=400)
    assertContains(
        response, "I have discussed this exercise with my therapist", status_code=400
    )
    assert not routine.items.exists()
    response = add(
        patient_client, routine, catalogue["sit-up"], acknowledge_danger="on"
    )
    assert response.status_code == 302
    item = routine.items.get()
    assert item.danger_acknowledged_at is not None
    assert item.acknowledged == {"SPINAL_FLEXION"}
    page = patient_client.get(routine.get_absolute_url())
    assertContains(page, "Danger:")  # stays flagged
    assertContains(page, "You confirmed on")


def test_the_add_form_warns_before_saving(patient_client, patient, catalogue):
    routine = make_routine(owner=patient)
    response = patient_client.get(
        f"/routines/{routine.pk}/items/add/?exercise=sit-up&day=tue", follow=True
    )
    assertContains(response, "Danger:")
    assertContains(response, "I have discussed this exercise with my therapist")
    assertContains(response, 'value="tue" selected')


def test_caution_needs_no_acknowledgement(patient_client, patient, catalogue):
    routine = make_routine(owner=patient)
    assert (
        add(
            patient_client, routine, catalogue["golf"], reps="", minutes="60"
        ).status_code
        == 302
    )


def test_editing_into_danger_by_load_needs_acknowledgement(
    patient_client, patient, catalogue
):
    routine = make_routine(owner=patient)
    item = make_item(routine, catalogue["squat"])
    HealthProfile.objects.filter(user=patient).update(fracture_spine=True)
    data = {
        "exercise": "sit-to-stand",
        "day": "mon",
        "reps": "10",
        "sets": "2",
        "minutes": "",
        "load_kg": "6",
        "notes": "",
        "version": item.version,
    }
    response = patient_client.post(item.get_edit_url(), data)
    assertContains(response, "can be dangerous", status_code=400)
    item.refresh_from_db()
    assert item.load_kg is None
    response = patient_client.post(
        item.get_edit_url(), data | {"acknowledge_danger": "on"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.load_kg == Decimal("6")
    assert item.acknowledged == {"HEAVY_LOAD"}


def test_swap_for_a_safer_alternative(patient_client, patient, catalogue):
    routine = make_routine(owner=patient)
    item = make_item(
        routine, catalogue["sit-up"], day=3, acknowledged_codes="SPINAL_FLEXION"
    )
    response = patient_client.post(
        f"/routines/{routine.pk}/items/{item.pk}/swap/",
        {"exercise": "bridge", "version": item.version},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.exercise.slug, item.day, item.acknowledged_codes) == ("bridge", 3, "")
    # only the exercise's own alternatives can be swapped in
    response = patient_client.post(
        f"/routines/{routine.pk}/items/{item.pk}/swap/",
        {"exercise": "sit-up", "version": item.version},
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sets": "11"}, "Sets must be between 1 and 10."),
        ({"sets": "0"}, "Sets must be between 1 and 10."),
        ({"reps": "101"}, "Repetitions must be between 1 and 100."),
        ({"reps": "", "minutes": "241"}, "Minutes must be between 1 and 240."),
        (
            {"reps": "", "minutes": ""},
            "Give a number of repetitions or a number of minutes.",
        ),
        ({"load_kg": "200.1"}, "Weight must be between 0 and 200 kg."),
        ({"load_kg": "-1"}, "Weight must be between 0 and 200 kg."),
        ({"load_kg": "2.25"}, "at most one decimal place"),
        ({"load_kg": "1000"}, "Weight must be between 0 and 200 kg."),
        ({"reps": "99999999999999999999"}, "Repetitions must be between 1 and 100."),
        ({"reps": "ten"}, "Enter a whole number"),
        ({"day": "funday"}, "Choose a day from Monday to Sunday"),
        ({"exercise": "no-such-thing"}, "cannot be added"),
        ({"notes": "bad\x00byte"}, "Null characters are not allowed"),
        ({"notes": "bell\x07"}, "unusual hidden characters"),
        ({"notes": "x" * 301}, "at most 300 characters"),
    ],
)
def test_bad_input_is_a_form_error_and_saves_nothing(
    patient_client, patient, catalogue, data, message
):
    routine = make_routine(owner=patient)
    response = add(patient_client, routine, catalogue["squat"], **data)
    assertContains(response, message, status_code=400)
    assert not RoutineItem.objects.exists()


def test_retired_exercise_cannot_be_added_but_stays_where_it_was(
    patient_client, patient, catalogue
):
    routine = make_routine(owner=patient)
    make_item(routine, catalogue["golf"], minutes=30)
    catalogue["golf"].status = Status.RETIRED
    catalogue["golf"].save()
    response = add(patient_client, routine, catalogue["golf"])
    assertContains(response, "cannot be added", status_code=400)
    assert routine.items.count() == 1
    page = patient_client.get(routine.get_absolute_url())
    assertContains(page, "Golf swing")
    assertContains(page, "Retired")
    assertContains(page, "Swap for Bridge")


def test_draft_exercise_cannot_be_added(patient_client, patient):
    routine = make_routine(owner=patient)
    draft = make_exercise(status=Status.DRAFT)
    assertContains(
        add(patient_client, routine, draft), "cannot be added", status_code=400
    )


def test_double_submit_adds_once(patient_client, patient, catalogue):
    routine = make_routine(owner=patient)
    token = "3f2c9a3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f"
    add(patient_client, routine, catalogue["squat"], submission_token=token)
    add(patient_client, routine, catalogue["squat"], submission_token=token)
    assert routine.items.count() == 1


def test_double_submit_creates_one_routine(patient_client, patient):
    data = {
        "name": "Winter",
        "submission_token": "3f2c9a3e-1d2b-4c5d-8e9f-0a1b2c3d4e50",
    }
    first = patient_client.post("/routines/new/", data)
    second = patient_client.post("/routines/new/", data)
    assert Routine.objects.filter(owner=patient).count() == 1
    assert first["Location"] == second["Location"]


def test_stale_edit_is_refused_with_a_plain_message(patient_client, patient, catalogue):
    routine = make_routine(owner=patient)
    item = make_item(routine, catalogue["squat"])
    data = {
        "exercise": "sit-to-stand",
        "day": "mon",
        "reps": "12",
        "sets": "2",
        "minutes": "",
        "load_kg": "",
        "notes": "",
        "version": item.version,
    }
    assert (
        patient_client.post(item.get_edit_url(), data).status_code == 302
    )  # first tab
    response = patient_client.post(
        item.get_edit_url(), data | {"reps": "15"}
    )  # second tab, old version
    assertContains(response, "changed in another window or tab", status_code=409)
    assertContains(response, 'value="12"', status_code=409)  # what is saved now
    item.refresh_from_db()
    assert item.reps == 12


def test_reorder_move_and_copy(patient_client, patient, catalogue):
    routine = make_routine(owner=patient)
    first = make_item(routine, catalogue["walk"], minutes=30)
    second = make_item(routine, catalogue["squat"])
    patient_client.post(f"/routines/{routine.pk}/items/{second.pk}/move/up/")
    assert [i.exercise.slug for i in routine.items.filter(day=0)] == [
        "sit-to-stand",
        "brisk-walking",
    ]
    patient_client.post(
        f"/routines/{routine.pk}/items/{first.pk}/transfer/",
        {"day": "fri", "action": "move"},
    )
    first.refresh_from_db()
    assert first.day == 4
    patient_client.post(
        f"/routines/{routine.pk}/items/{second.pk}/transfer/",
        {"day": "wed", "action": "copy"},
    )
    assert sorted(routine.items.values_list("day", flat=True)) == [0, 2, 4]
    response = patient_client.post(
        f"/routines/{routine.pk}/items/{second.pk}/transfer/",
        {"day": "xyz", "action": "move"},
    )
    assertContains(response, "Choose a day from Monday to Sunday", status_code=400)
    assert sorted(routine.items.values_list("day", flat=True)) == [0, 2, 4]


def test_remove_needs_confirmation(patient_client, patient, catalogue):
    routine = make_routine(owner=patient)
    item = make_item(routine, catalogue["squat"])
    assertContains(
        patient_client.get(f"/routines/{routine.pk}/items/{item.pk}/delete/"),
        "Yes, remove it",
    )
    assert routine.items.exists()
    patient_client.post(f"/routines/{routine.pk}/items/{item.pk}/delete/")
    assert not routine.items.exists()


def test_duplicate_rename_and_delete_a_routine(patient_client, patient, catalogue):
    routine = make_routine(owner=patient, name="Summer")
    make_item(routine, catalogue["sit-up"], acknowledged_codes="SPINAL_FLEXION")
    make_item(routine, catalogue["walk"], day=2, minutes=20)
    patient_client.post(f"/routines/{routine.pk}/duplicate/")
    copy = Routine.objects.get(name="Copy of Summer")
    assert sorted(copy.items.values_list("exercise__slug", "day")) == [
        ("brisk-walking", 2),
        ("sit-up", 0),
    ]
    assert copy.items.get(day=0).acknowledged == {"SPINAL_FLEXION"}
    patient_client.post(
        f"/routines/{copy.pk}/rename/", {"name": "Autumn", "version": 1}
    )
    copy.refresh_from_db()
    assert copy.name == "Autumn"
    assertContains(
        patient_client.post(
            f"/routines/{copy.pk}/rename/", {"name": "   ", "version": 2}
        ),
        "Give your routine a name",
        status_code=400,
    )
    assertContains(patient_client.get(f"/routines/{copy.pk}/delete/"), "Yes, delete it")
    patient_client.post(f"/routines/{copy.pk}/delete/")
    assert list(Routine.objects.values_list("name", flat=True)) == ["Summer"]


def test_script_in_names_is_escaped(patient_client, patient, catalogue):
    routine = make_routine(owner=patient, name="<script>alert(1)</script>")
    make_item(routine, catalogue["squat"], notes="<img src=x onerror=alert(1)>")
    for url in (
        routine.get_absolute_url(),
        f"/routines/{routine.pk}/print/",
        "/routines/",
    ):
        response = patient_client.get(url)
        assertNotContains(response, "<script>alert(1)")
        assertNotContains(response, "<img src=x")
        assertContains(response, "&lt;script&gt;")


# --- query counts -------------------------------------------------------------------------


def _mixed_week(owner, size, catalogue):
    """`size` items, each of its own exercise; every other one retired, with alternatives."""
    routine = make_routine(owner=owner, name=f"Week of {size}")
    for n in range(size):
        exercise = make_exercise(
            patterns=["SPINAL_FLEXION"] if n % 3 == 0 else [],
            alternatives=[catalogue["bridge"], catalogue["dead-bug"]],
            status=Status.RETIRED if n % 2 else Status.PUBLISHED,
        )
        make_item(
            routine, exercise, day=n % 7, load_kg=Decimal("12") if n % 4 else None
        )
    return routine


# Each budget includes one query for the patient's active links with therapists (who
# approves their danger items, and the restrictions each therapist wrote), and is counted
# as a first visit after a catalogue change: the week's exercises, their alternatives and
# patterns, the rules (and the sheet's steps) are read once, then kept by the process.
@pytest.mark.parametrize(
    ("url", "budget"),
    [
        ("/routines/{pk}/", 10),
        ("/routines/{pk}/print/", 11),
        # nothing cached: the catalogue's version names the cached summaries.
        ("/routines/", 11),
        ("/routines/{pk}/items/{item}/", 13),
    ],
)
def test_page_query_count_does_not_grow_with_items(
    patient_client, patient, catalogue, url, budget
):
    patient_client.get(
        "/routines/"
    )  # the session's first request looks up 2-step devices
    counts = []
    for size in (1, 10, 40):
        routine = _mixed_week(patient, size, catalogue)
        page = url.format(pk=routine.pk, item=routine.items.last().pk)
        with first_visit_queries() as queries:
            assert patient_client.get(page).status_code == 200
        counts.append(len(queries))
        routine.delete()
    assert counts[0] == counts[1] == counts[2], counts
    assert counts[0] <= budget, counts


def test_picker_query_count_does_not_grow_with_the_catalogue(
    patient_client, patient, catalogue
):
    routine = make_routine(owner=patient)
    counts = []
    for extra in (0, 40):
        for _ in range(extra):
            make_exercise(patterns=["SPINAL_TWIST"], alternatives=[catalogue["bridge"]])
        with first_visit_queries() as queries:
            response = patient_client.get(f"/routines/{routine.pk}/items/add/?day=tue")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_profile_page_works_before_a_profile_exists(client, catalogue):
    user = make_user()
    client.force_login(user)
    routine = make_routine(owner=user, items=3, exercise=catalogue["sit-up"])
    response = client.get(routine.get_absolute_url())
    assertContains(response, "Osteoporosis")  # the cautious default
    assertContains(response, "fill in your profile")
    assert not HealthProfile.objects.filter(user=user).exists()  # GET never writes


def test_anonymous_is_sent_to_log_in(client, patient):
    routine = make_routine(owner=patient)
    assertRedirects(
        client.get(routine.get_absolute_url()),
        f"/accounts/login/?next=/routines/{routine.pk}/",
    )


def test_other_profile_is_never_touched(patient_client, other_patient):
    make_profile(make_user())
    patient_client.post(
        "/routines/profile/",
        {"diagnosis": "osteopenia", "fragility_fractures": "0", "version": "1"},
    )
    assert HealthProfile.objects.get(user=other_patient).diagnosis == "osteoporosis"


def test_add_form_offers_the_safer_alternatives(patient_client, patient, catalogue):
    routine = make_routine(owner=patient)
    response = patient_client.get(f"/routines/{routine.pk}/items/add/sit-up/?day=thu")
    assertContains(
        response,
        f'href="/routines/{routine.pk}/items/add/bridge/?day=thu">Choose Bridge instead</a>',
        html=False,
    )
    response = patient_client.get(f"/routines/{routine.pk}/items/add/bridge/?day=thu")
    assertNotContains(response, "Danger:")


def test_acknowledgement_covers_one_exercise_only(
    patient_client, patient, catalogue, patterns
):
    """Sit-up confirmed; changing the item to crunches (the same movement) must ask again."""
    crunch = make_exercise(name="Crunch", slug="crunch", patterns=["SPINAL_FLEXION"])
    routine = make_routine(owner=patient)
    item = make_item(
        routine,
        catalogue["sit-up"],
        acknowledged_codes="SPINAL_FLEXION",
        danger_acknowledged_at="2026-11-01T10:00Z",
    )
    data = {
        "exercise": crunch.slug,
        "day": "mon",
        "reps": "10",
        "sets": "",
        "minutes": "",
        "load_kg": "",
        "notes": "",
        "version": item.version,
    }
    assertContains(
        patient_client.post(item.get_edit_url(), data),
        "can be dangerous",
        status_code=400,
    )
    patient_client.post(item.get_edit_url(), data | {"acknowledge_danger": "on"})
    item.refresh_from_db()
    assert item.exercise == crunch
    assert item.acknowledged == {"SPINAL_FLEXION"}
    assert item.danger_acknowledged_at > timezone.now() - timedelta(
        minutes=1
    )  # asked anew


def test_printed_sheet_lists_each_exercise_once_with_all_its_warnings(
    patient_client, patient, catalogue
):
    routine = make_routine(owner=patient)
    make_item(routine, catalogue["squat"], day=0)
    make_item(
        routine, catalogue["squat"], day=3, load_kg=Decimal("12")
    )  # heavy for osteoporosis
    response = patient_client.get(f"/routines/{routine.pk}/print/")
    assertContains(response, 'id="sheet-sit-to-stand"', count=1)
    assertContains(response, "You set 12 kg")  # only the second item's load raised it
    assertContains(response, "Stand tall.")  # the steps
    assertContains(response, "Alice")  # the patient's name


def test_moving_sideways_is_404(patient_client, patient, catalogue):
    routine = make_routine(owner=patient)
    make_item(routine, catalogue["walk"], minutes=30)
    item = make_item(routine, catalogue["squat"])
    assert (
        patient_client.post(
            f"/routines/{routine.pk}/items/{item.pk}/move/sideways/"
        ).status_code
        == 404
    )
    item.refresh_from_db()
    assert item.position == 1


def test_a_swap_can_be_undone(patient_client, patient, catalogue):
    routine = make_routine(owner=patient)
    item = make_item(
        routine,
        catalogue["sit-up"],
        day=2,
        sets=3,
        reps=8,
        acknowledged_codes="SPINAL_FLEXION",
        danger_acknowledged_at="2026-11-01T10:00Z",
    )
    patient_client.post(
        f"/routines/{routine.pk}/items/{item.pk}/swap/",
        {"exercise": "bridge", "version": item.version},
    )
    page = patient_client.get(routine.get_absolute_url())
    assertContains(page, "Sit-up was swapped for Bridge on Wednesday.")
    assertContains(page, "Undo the swap")
    response = patient_client.post(
        f"/routines/{routine.pk}/items/{item.pk}/swap/undo/", follow=True
    )
    assertContains(response, "The swap is undone.")
    assertNotContains(response, "Undo the swap")
    item.refresh_from_db()
    assert (item.exercise.slug, item.sets, item.reps) == ("sit-up", 3, 8)
    assert item.acknowledged == {"SPINAL_FLEXION"}
    assert item.danger_acknowledged_at.isoformat().startswith("2026-11-01T10:00")
    assertContains(
        patient_client.get(routine.get_absolute_url()), "Sit-up</a></h3>"
    )  # the cached week too


def test_undo_after_another_change_does_nothing(patient_client, patient, catalogue):
    routine = make_routine(owner=patient)
    item = make_item(routine, catalogue["sit-up"], acknowledged_codes="SPINAL_FLEXION")
    patient_client.post(
        f"/routines/{routine.pk}/items/{item.pk}/swap/",
        {"exercise": "bridge", "version": item.version},
    )
    item.refresh_from_db()
    patient_client.post(
        item.get_edit_url(),
        {
            "exercise": "bridge",
            "day": "mon",
            "reps": "15",
            "sets": "",
            "minutes": "",
            "load_kg": "",
            "notes": "",
            "version": item.version,
        },
    )
    response = patient_client.post(
        f"/routines/{routine.pk}/items/{item.pk}/swap/undo/", follow=True
    )
    assertContains(response, "nothing to undo")
    item.refresh_from_db()
    assert (item.exercise.slug, item.reps) == ("bridge", 15)


def test_picker_search_survives_a_bad_day(patient_client, patient, catalogue):
    routine = make_routine(owner=patient)
    response = patient_client.get(
        f"/routines/{routine.pk}/items/add/?day=funday&q=walk"
    )
    assertContains(response, "Add an exercise to Monday")
    assertContains(response, "Brisk walking")
    assertNotContains(response, "Sit-to-stand")


def test_a_token_from_another_patient_is_a_plain_400(
    patient_client, patient, other_patient, catalogue
):
    """What a person would not send: a submission token that made someone else's data."""
    theirs = make_routine(owner=other_patient, name="Their week")
    theirs.submission_token = "7d8c1f5e-2b44-4a57-9f3e-2c1d55a0b6aa"
    theirs.save()
    their_item = make_item(theirs, catalogue["bridge"])
    their_item.submission_token = "0b5c2a3d-9f8e-4c6b-8a7d-1e2f3a4b5c6d"
    their_item.save()
    mine = make_routine(owner=patient)

    response = patient_client.post(
        "/routines/new/",
        {"name": "Mine", "submission_token": str(theirs.submission_token)},
    )
    assertContains(response, "This form was already used", status_code=400)
    assert not Routine.objects.filter(owner=patient, name="Mine").exists()

    response = add(
        patient_client,
        mine,
        catalogue["bridge"],
        submission_token=their_item.submission_token,
    )
    assertContains(response, "This form was already used", status_code=400)
    assert not mine.items.exists()
    assert theirs.items.count() == 1


def test_messages_waiting_in_the_session_are_kept_to_the_latest_ten(patient_client):
    """A script (or a browser re-sending) posts a form again and again without opening a
    page between: the session every request reads keeps only the latest ten messages,
    and the next page shows those."""
    for n in range(1, 16):
        response = patient_client.post("/routines/new/", {"name": f"Week {n}"})
        assert response.status_code == 302

    page = patient_client.get("/routines/").content.decode()
    shown = [n for n in range(1, 16) if f"Routine “Week {n}” created." in page]
    assert shown == list(range(6, 16))
    assert Routine.objects.filter(name__startswith="Week ").count() == 15


def test_printed_week_carries_the_notes_and_no_box_for_what_not_to_do(
    patient_client, patient, catalogue
):
    """The fridge sheet shows each item's notes (the therapist's advice among them), and
    gives no box to tick to a danger that is not yet confirmed."""
    routine = make_routine(owner=patient)
    make_item(routine, catalogue["squat"], day=0, notes="Slowly, hold the counter.")
    make_item(routine, catalogue["sit-up"], day=1)  # a danger, not confirmed

    page = patient_client.get(f"/routines/{routine.pk}/print/").content.decode()

    monday = page[page.index(">Monday<") : page.index(">Tuesday<")]
    tuesday = page[page.index(">Tuesday<") : page.index(">Wednesday<")]
    assert "☐ Sit-to-stand" in monday
    assert "Slowly, hold the counter." in monday
    assert "☐" not in tuesday
    assert "Sit-up" in tuesday
    assert "not yet confirmed" in tuesday
