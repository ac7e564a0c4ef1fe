"""Routine and item forms, submitted as the page rendered them (django-webtest).

Each test does what a patient does: open the page, change what a person would change, press
the button, then look at the database and at the page that follows.
"""

from decimal import Decimal

import pytest

from catalogue.models import Status
from routines.models import Routine, RoutineItem
from tests.factories import make_exercise, make_item, make_routine

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(patterns):
    bridge = make_exercise(
        name="Bridge", slug="bridge", weight_bearing=False, strengthening=True
    )
    goblet = make_exercise(
        name="Goblet squat", slug="goblet-squat", strengthening=True, default_reps=10
    )
    return {
        "bridge": bridge,
        "goblet": goblet,
        "sit-up": make_exercise(
            name="Sit-up",
            slug="sit-up",
            weight_bearing=False,
            patterns=["SPINAL_FLEXION"],
            alternatives=[bridge],
        ),
        "crunch": make_exercise(
            name="Crunch", slug="crunch", patterns=["SPINAL_FLEXION"]
        ),
        "deadlift": make_exercise(
            name="Deadlift",
            slug="deadlift",
            strengthening=True,
            patterns=["HEAVY_LOAD"],
            alternatives=[goblet],
        ),
        "walk": make_exercise(
            name="Brisk walking",
            slug="brisk-walking",
            default_sets=None,
            default_reps=None,
            default_minutes=30,
        ),
        "old": make_exercise(name="Old march", slug="old-march", status=Status.RETIRED),
    }


def form_posting_to(page, action):
    """The form on `page` whose action ends with `action` (the week has many forms)."""
    matches = [f for f in page.forms.values() if (f.action or "").endswith(action)]
    assert matches, f"no form posting to {action}"
    return matches[0]


def item_state(item):
    item.refresh_from_db()
    return (
        item.exercise_id,
        item.day,
        item.position,
        item.sets,
        item.reps,
        item.minutes,
        item.load_kg,
        item.notes,
        item.acknowledged_codes,
        item.danger_acknowledged_at,
    )


# --- routines ----------------------------------------------------------------------------


def test_create_a_routine_and_a_double_click_makes_one(app, patient):
    page = app.get("/routines/new/", user=patient)
    form = page.forms[1]
    form["name"] = "Winter plan"
    week = form.submit().follow()
    assert "<h1>Winter plan</h1>" in week.text
    assert "Routine “Winter plan” created" in week.text
    again = form.submit().follow()  # the same form sent a second time
    assert "<h1>Winter plan</h1>" in again.text
    assert Routine.objects.filter(owner=patient).count() == 1


def test_rename_untouched_changes_nothing_and_a_new_name_is_saved(app, patient):
    routine = make_routine(owner=patient, name="My week")
    page = app.get(f"/routines/{routine.pk}/rename/", user=patient)
    assert page.forms[1].submit().status_code == 302
    routine.refresh_from_db()
    assert routine.name == "My week"
    page = app.get(f"/routines/{routine.pk}/rename/", user=patient)
    page.forms[1]["name"] = "Spring plan"
    week = page.forms[1].submit().follow()
    assert "Routine renamed to “Spring plan”" in week.text
    routine.refresh_from_db()
    assert routine.name == "Spring plan"


def test_duplicate_and_delete_from_the_week_page(app, patient, catalogue):
    routine = make_routine(owner=patient, name="My week")
    make_item(routine, catalogue["bridge"], day=1)
    week = app.get(routine.get_absolute_url(), user=patient)
    copy_page = form_posting_to(week, "/duplicate/").submit().follow()
    assert "<h1>Copy of My week</h1>" in copy_page.text
    copy = Routine.objects.get(name="Copy of My week")
    assert copy.items.get().exercise == catalogue["bridge"]
    confirm = copy_page.click(href=f"/routines/{copy.pk}/delete/")
    routines = confirm.forms[1].submit().follow()
    assert "Routine “Copy of My week” deleted" in routines.text
    assert not Routine.objects.filter(pk=copy.pk).exists()
    assert RoutineItem.objects.filter(routine=routine).count() == 1


# --- adding ------------------------------------------------------------------------------


def test_add_from_the_day_link_through_the_picker(app, patient, catalogue):
    routine = make_routine(owner=patient)
    week = app.get(routine.get_absolute_url(), user=patient)
    picker = week.click(href=f"/routines/{routine.pk}/items/add/\\?day=tue")
    assert "Add an exercise to Tuesday" in picker.text
    form_page = picker.click(href="/items/add/bridge/")
    form = form_page.forms["item-form"]
    assert form["day"].value == "tue"
    form["reps"] = "12"
    form["sets"] = "3"
    week = form.submit().follow()
    assert "Bridge added to Tuesday." in week.text
    item = RoutineItem.objects.get(routine=routine)
    assert (item.exercise, item.day, item.sets, item.reps) == (
        catalogue["bridge"],
        1,
        3,
        12,
    )
    assert "3 sets of 12" in week.text
    # the same form sent twice (double click) adds once
    assert form.submit().status_code == 302
    assert RoutineItem.objects.filter(routine=routine).count() == 1


def test_a_danger_needs_the_box_ticked_before_it_is_added(app, patient, catalogue):
    routine = make_routine(owner=patient)
    page = app.get(f"/routines/{routine.pk}/items/add/sit-up/?day=wed", user=patient)
    assert "Danger:" in page.text
    form = page.forms["item-form"]
    refused = form.submit(status=400)
    assert "tick the box" in refused.text
    assert not RoutineItem.objects.exists()
    form = refused.forms["item-form"]
    form["acknowledge_danger"] = True
    week = form.submit().follow()
    assert "It stays marked Danger" in week.text
    assert "You confirmed on" in week.text
    assert RoutineItem.objects.get().acknowledged == {"SPINAL_FLEXION"}


def test_emptying_both_amounts_is_refused_in_plain_words_without_a_query_per_limit(
    app, patient, catalogue
):
    """The item's limits are checked by its fields and (repetitions or minutes) by the
    model in Python: Django would ask the database once per constraint."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    routine = make_routine(owner=patient)
    page = app.get(f"/routines/{routine.pk}/items/add/bridge/?day=mon", user=patient)
    form = page.forms["item-form"]
    form["reps"] = ""
    form["minutes"] = ""
    refused = form.submit(status=400)
    assert "Give a number of repetitions or a number of minutes." in refused.text
    assert not RoutineItem.objects.exists()
    form = refused.forms["item-form"]
    form["minutes"] = "20"
    with CaptureQueriesContext(connection) as queries:
        form.submit(status=302)
    assert RoutineItem.objects.get().minutes == 20
    assert not [q for q in queries.captured_queries if '"_check"' in q["sql"]]


@pytest.mark.parametrize(
    "values",
    [
        {"sets": 11},
        {"reps": 0},
        {"minutes": 241},
        {"load_kg": Decimal("200.5")},
        {"reps": None, "minutes": None},
        {"day": 7},
        {"notes": "x" * 301},
    ],
)
def test_the_database_still_refuses_what_the_forms_refuse(patient, catalogue, values):
    from django.db import DataError, IntegrityError, transaction

    item = make_item(make_routine(owner=patient), catalogue["bridge"], minutes=10)
    # PostgreSQL refuses over-long notes by the column's length (DataError), SQLite by
    # our CHECK constraint (IntegrityError).
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        RoutineItem.objects.filter(pk=item.pk).update(**values)


# --- editing -----------------------------------------------------------------------------


def test_every_edit_form_submitted_untouched_saves_and_changes_nothing(
    app, patient, catalogue
):
    """The bug of the last round: 12 of 12 edit forms failed as rendered."""
    routine = make_routine(owner=patient)
    items = [
        make_item(routine, catalogue["bridge"], day=0, sets=2, reps=10),
        make_item(routine, catalogue["walk"], day=1, reps=None, minutes=30),
        make_item(routine, catalogue["goblet"], day=4, sets=3, reps=8, load_kg=4),
        make_item(
            routine,
            catalogue["sit-up"],
            day=6,
            acknowledged_codes="SPINAL_FLEXION",
            danger_acknowledged_at="2026-11-01T10:00Z",
            notes="slowly",
        ),
        make_item(routine, catalogue["old"], day=2),  # retired, stays where it was
    ]
    for item in items:
        before = item_state(item)
        page = app.get(item.get_edit_url(), user=patient)
        response = page.forms["item-form"].submit()
        assert response.status_code == 302, response.text
        assert "saved for" in response.follow().text
        assert item_state(item) == before


def test_edit_the_dose_and_the_day(app, patient, catalogue):
    routine = make_routine(owner=patient)
    item = make_item(routine, catalogue["bridge"], day=0, sets=2, reps=10)
    page = app.get(routine.get_absolute_url(), user=patient)
    form = page.click(href=f"/items/{item.pk}/$").forms["item-form"]
    form["day"] = "fri"
    form["reps"] = "15"
    form["notes"] = "Hold 2 seconds"
    week = form.submit().follow()
    assert "Bridge saved for Friday." in week.text
    assert "2 sets of 15 – Hold 2 seconds" in week.text
    item.refresh_from_db()
    assert (item.day, item.reps, item.notes) == (4, 15, "Hold 2 seconds")


def test_cancel_or_back_from_a_change_returns_to_the_item(app, patient, catalogue):
    routine = make_routine(owner=patient)
    item = make_item(routine, catalogue["bridge"], day=0, sets=2, reps=10)
    week = app.get(routine.get_absolute_url(), user=patient)
    change = week.click(href=f"/items/{item.pk}/$")
    for label in ("Cancel", "← Back to"):
        back = change.click(description=label, href=f"#item-{item.pk}$")
        assert back.request.path == routine.get_absolute_url()
        assert back.html.select_one(f"#item-{item.pk}")
    # Adding, there is no item yet: back to the week.
    add = app.get(f"/routines/{routine.pk}/items/add/bridge/?day=tue")
    assert add.html.select_one("a.btn-outline-secondary")["href"] == (
        routine.get_absolute_url()
    )


def test_changing_to_another_exercise_with_the_same_danger_asks_again(
    app, patient, catalogue
):
    routine = make_routine(owner=patient)
    item = make_item(
        routine,
        catalogue["sit-up"],
        acknowledged_codes="SPINAL_FLEXION",
        danger_acknowledged_at="2026-11-01T10:00Z",
    )
    page = app.get(f"{item.get_edit_url()}?exercise=crunch", user=patient)
    assert "I have discussed this exercise with my therapist" in page.text
    refused = page.forms["item-form"].submit(status=400)
    assert "tick the box" in refused.text
    assert "I have discussed this exercise with my therapist" in refused.text
    form = refused.forms["item-form"]
    form["acknowledge_danger"] = True
    form.submit().follow()
    item.refresh_from_db()
    assert item.exercise == catalogue["crunch"]
    assert item.acknowledged == {"SPINAL_FLEXION"}
    assert item.danger_acknowledged_at.date().isoformat() != "2026-11-01"


def test_an_edit_from_an_older_tab_is_refused_and_shows_what_is_saved(
    app, patient, catalogue
):
    routine = make_routine(owner=patient)
    item = make_item(routine, catalogue["bridge"], reps=10)
    first_tab = app.get(item.get_edit_url(), user=patient).forms["item-form"]
    second_tab = app.get(item.get_edit_url(), user=patient).forms["item-form"]
    first_tab["reps"] = "12"
    first_tab.submit()
    second_tab["reps"] = "15"
    response = second_tab.submit(status=409)
    assert "changed in another window or tab" in response.text
    assert response.forms["item-form"]["reps"].value == "12"
    item.refresh_from_db()
    assert item.reps == 12


# --- confirming a danger -----------------------------------------------------------------


def test_confirm_a_danger_from_the_week(app, patient, catalogue):
    routine = make_routine(owner=patient)
    item = make_item(routine, catalogue["sit-up"], day=3)  # e.g. a therapist raised it
    week = app.get(routine.get_absolute_url(), user=patient)
    assert "Not yet confirmed" in week.text
    page = week.click(href=f"/items/{item.pk}/confirm/")
    assert "Danger:" in page.text
    refused = page.forms["confirm-danger"].submit(status=400)
    assert "Tick the box" in refused.text
    form = refused.forms["confirm-danger"]
    form["acknowledge_danger"] = True
    week = form.submit().follow()
    assert "Sit-up on Thursday is confirmed" in week.text
    assert "Not yet confirmed" not in week.text
    assert "You confirmed on" in week.text
    item.refresh_from_db()
    assert item.acknowledged == {"SPINAL_FLEXION"}


def test_the_routine_list_counts_what_is_left_to_confirm(app, patient, catalogue):
    routine = make_routine(owner=patient)
    make_item(routine, catalogue["sit-up"], day=3)
    make_item(routine, catalogue["crunch"], day=4, acknowledged_codes="SPINAL_FLEXION")
    page = app.get("/routines/", user=patient)
    assert "1 marked Danger needs your attention" in page.text


# --- remove, move, move or copy ----------------------------------------------------------


def test_up_from_an_older_tab_on_the_first_exercise_says_why_nothing_moved(
    app, patient, catalogue
):
    """The older tab still offers "Up" for an exercise that another tab moved to the
    top: pressing it says the exercise is already first, rather than nothing at all."""
    routine = make_routine(owner=patient)
    make_item(routine, catalogue["bridge"], day=0)
    goblet = make_item(routine, catalogue["goblet"], day=0)
    first_tab = app.get(routine.get_absolute_url(), user=patient)
    second_tab = app.get(routine.get_absolute_url())
    form_posting_to(first_tab, f"/items/{goblet.pk}/move/up/").submit().follow()

    week = form_posting_to(second_tab, f"/items/{goblet.pk}/move/up/").submit().follow()
    assert "Goblet squat is already first on Monday, so it was not moved." in week.text
    assert week.text.index("Goblet squat</a>") < week.text.index("Bridge</a>")


def test_remove_move_and_transfer(app, patient, catalogue):
    routine = make_routine(owner=patient)
    bridge = make_item(routine, catalogue["bridge"], day=0)
    walk = make_item(routine, catalogue["walk"], day=0, reps=None, minutes=30)
    goblet = make_item(routine, catalogue["goblet"], day=0)
    week = app.get(routine.get_absolute_url(), user=patient)
    week = form_posting_to(week, f"/items/{goblet.pk}/move/up/").submit().follow()
    assert "Goblet squat moved up." in week.text
    assert week.text.index("Goblet squat</a>") < week.text.index("Brisk walking</a>")

    transfer = week.click(href=f"/items/{walk.pk}/transfer/")
    form = transfer.forms[1]
    form["day"] = "sat"
    week = form.submit("action", value="copy").follow()
    assert "Brisk walking copied to Saturday." in week.text
    assert routine.items.filter(exercise=catalogue["walk"]).count() == 2

    transfer = week.click(href=f"/items/{bridge.pk}/transfer/")
    form = transfer.forms[1]
    form["day"] = "wed"
    week = form.submit("action", value="move").follow()
    assert "Bridge moved to Wednesday." in week.text
    bridge.refresh_from_db()
    assert bridge.day == 2
    assert list(routine.items.filter(day=0).values_list("position", flat=True)) == [
        0,
        1,
    ]

    confirm = week.click(href=f"/items/{bridge.pk}/delete/")
    week = confirm.forms[1].submit().follow()
    assert "Bridge removed from Wednesday." in week.text
    assert not RoutineItem.objects.filter(pk=bridge.pk).exists()


# --- swap and undo -----------------------------------------------------------------------


def test_swap_keeps_the_dose_drops_a_heavy_weight_and_says_so(app, patient, catalogue):
    routine = make_routine(owner=patient)
    item = make_item(
        routine, catalogue["deadlift"], day=2, sets=3, reps=8, load_kg=Decimal("25")
    )
    week = app.get(routine.get_absolute_url(), user=patient)
    swapped = form_posting_to(week, f"/items/{item.pk}/swap/").submit().follow()
    assert "Deadlift was swapped for Goblet squat on Wednesday." in swapped.text
    assert "The weight of 25 kg was taken off" in swapped.text
    item.refresh_from_db()
    assert (item.exercise, item.sets, item.reps, item.load_kg) == (
        catalogue["goblet"],
        3,
        8,
        None,
    )
    assert "3 sets of 8" in swapped.text


def test_a_swap_from_an_older_tab_says_the_exercise_changed(app, patient, catalogue):
    """Two tabs on one week: the first swaps Deadlift for Goblet squat; the same button
    in the second tab (its exercise is no longer Deadlift) says so, rather than "Page
    not found", and changes nothing."""
    routine = make_routine(owner=patient)
    item = make_item(routine, catalogue["deadlift"], day=2, sets=3, reps=8)
    first_tab = app.get(routine.get_absolute_url(), user=patient)
    second_tab = app.get(routine.get_absolute_url())
    form_posting_to(first_tab, f"/items/{item.pk}/swap/").submit().follow()
    swapped = item_state(item)

    answer = form_posting_to(second_tab, f"/items/{item.pk}/swap/").submit()
    assert answer.status_code == 302
    week = answer.follow()
    assert "This exercise was changed in another window or tab" in week.text
    assert item_state(item) == swapped


def test_undo_is_offered_once_on_the_page_the_swap_leads_to(app, patient, catalogue):
    routine = make_routine(owner=patient)
    item = make_item(
        routine,
        catalogue["sit-up"],
        day=2,
        sets=3,
        reps=8,
        acknowledged_codes="SPINAL_FLEXION",
    )
    week = app.get(routine.get_absolute_url(), user=patient)
    swapped = form_posting_to(week, f"/items/{item.pk}/swap/").submit().follow()
    assert "Undo the swap" in swapped.text
    undone = form_posting_to(swapped, "/swap/undo/").submit().follow()
    assert "The swap is undone." in undone.text
    assert "Undo the swap" not in undone.text
    item.refresh_from_db()
    assert (item.exercise, item.sets, item.reps) == (catalogue["sit-up"], 3, 8)
    assert item.acknowledged == {"SPINAL_FLEXION"}

    # swap again, look at another page, come back: the offer is gone for good
    week = app.get(routine.get_absolute_url(), user=patient)
    swapped = form_posting_to(week, f"/items/{item.pk}/swap/").submit().follow()
    undo_form = form_posting_to(swapped, "/swap/undo/")
    app.get("/routines/", user=patient)
    assert "Undo the swap" not in app.get(routine.get_absolute_url()).text
    late = undo_form.submit().follow()
    assert "There is nothing to undo" in late.text
    item.refresh_from_db()
    assert item.exercise == catalogue["bridge"]


def test_a_rename_from_an_older_tab_is_refused(app, patient):
    routine = make_routine(owner=patient, name="My week")
    first_tab = app.get(f"/routines/{routine.pk}/rename/", user=patient).forms[1]
    second_tab = app.get(f"/routines/{routine.pk}/rename/", user=patient).forms[1]
    first_tab["name"] = "Summer"
    first_tab.submit()
    second_tab["name"] = "Autumn"
    response = second_tab.submit(status=409)
    assert "renamed in another window or tab" in response.text
    assert response.forms[1]["name"].value == "Summer"
    routine.refresh_from_db()
    assert routine.name == "Summer"


def test_profile_answers_from_an_older_tab_are_refused(app, patient):
    first_tab = app.get("/routines/profile/", user=patient).forms[1]
    second_tab = app.get("/routines/profile/", user=patient).forms[1]
    first_tab["fracture_spine"] = True
    first_tab["fragility_fractures"] = "1"
    first_tab.submit().follow()
    second_tab["neuropathy"] = True
    response = second_tab.submit(status=409)
    assert "changed in another window or tab" in response.text
    assert response.forms[1]["fracture_spine"].checked  # what is saved now
    profile = patient.health_profile
    profile.refresh_from_db()
    assert (profile.fracture_spine, profile.neuropathy) == (True, False)


def test_a_timed_exercise_is_added_with_what_its_form_shows(app, patient, patterns):
    """A plank is measured in minutes. Its catalogue entry also has a default number of
    sets, but the add form must not show a Sets box it would not save: what the patient
    sees on the form is what the week then shows."""
    from catalogue.models import Dosing

    make_exercise(
        name="Plank",
        slug="plank",
        dosing=Dosing.TIME,
        default_sets=3,
        default_reps=None,
        default_minutes=1,
    )
    routine = make_routine(owner=patient)
    page = app.get(f"/routines/{routine.pk}/items/add/plank/?day=sat", user=patient)
    form = page.forms["item-form"]
    assert "sets" not in form.fields
    assert form["minutes"].value == "1"
    form["minutes"] = "2"
    week = form.submit().follow()

    item = RoutineItem.objects.get(routine=routine)
    assert (item.sets, item.reps, item.minutes) == (None, None, 2)
    assert "Plank added to Saturday." in week.text
    assert "2 minutes" in week.text


def test_a_timed_exercise_with_weights_has_a_weight_box(app, patient, patterns):
    """A farmer's carry is measured in minutes but done holding weights: its form asks
    for the weight too, and the week shows it."""
    from catalogue.models import Dosing, Equipment

    make_exercise(
        name="Farmer's carry",
        slug="farmers-carry",
        dosing=Dosing.TIME,
        equipment=Equipment.DUMBBELLS,
        default_sets=3,
        default_reps=None,
        default_minutes=2,
    )
    routine = make_routine(owner=patient)
    page = app.get(
        f"/routines/{routine.pk}/items/add/farmers-carry/?day=mon", user=patient
    )
    form = page.forms["item-form"]
    assert "sets" not in form.fields
    assert page.html.select_one("label[for=id_load_kg]")
    form["load_kg"] = "4"
    week = form.submit().follow()
    item = RoutineItem.objects.get(routine=routine)
    assert (item.minutes, item.load_kg) == (2, Decimal("4"))
    assert "2 minutes, with 4 kg" in week.text
    # without weights, a timed exercise still has none
    make_exercise(name="Plank", slug="plank", dosing=Dosing.TIME, default_minutes=1)
    page = app.get(f"/routines/{routine.pk}/items/add/plank/?day=sat", user=patient)
    assert "load_kg" not in page.forms["item-form"].fields
