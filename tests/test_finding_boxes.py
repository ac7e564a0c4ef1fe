"""One warning box per exercise: an exercise with two risky movements reads as one box,
with one heading, each piece of advice once, and one tick box."""

import pytest
from bs4 import Tag

from routines import presenting, safety
from routines.models import RoutineItem
from tests.factories import first_visit_queries, make_exercise, make_item, make_routine

pytestmark = pytest.mark.django_db

FLEXION = safety.DEFAULT_RULES["SPINAL_FLEXION"].message
ROUNDING = safety.DEFAULT_RULES["SPINAL_ROUNDING"].message
HEADING = "Danger: Bending forward from the waist and rounding or hunching the back."


@pytest.fixture
def toe_touch(patterns):
    # Two movements, both Danger with osteoporosis, and no safer alternative.
    return make_exercise(
        name="Toe touch",
        slug="toe-touch",
        weight_bearing=False,
        patterns=["SPINAL_FLEXION", "SPINAL_ROUNDING"],
    )


def boxes(page_or_tag):
    tag = page_or_tag if isinstance(page_or_tag, Tag) else page_or_tag.html
    return tag.select(".finding-danger, .finding-caution, .finding-info")


def box_text(box):
    return " ".join(box.get_text(" ", strip=True).split())


def assert_one_box_with_both_reasons(box):
    text = box_text(box)
    assert text.startswith("✖ " + HEADING)
    assert FLEXION in text
    assert ROUNDING in text
    assert text.count(safety.ASK_THERAPIST) == 1
    assert [li.get_text(strip=True) for li in box.select("li")] == [
        FLEXION,
        ROUNDING,
        safety.ASK_THERAPIST,
    ]


def test_the_week_shows_one_box_for_an_exercise_with_two_dangers(
    app, patient, toe_touch
):
    routine = make_routine(owner=patient)
    item = make_item(routine, toe_touch, day=2, sets=1, reps=5)
    page = app.get(routine.get_absolute_url(), user=patient)
    [box] = boxes(page.html.find(id=f"item-{item.pk}"))
    assert_one_box_with_both_reasons(box)


def test_adding_it_shows_one_box_with_one_tick_box(app, patient, toe_touch):
    routine = make_routine(owner=patient)
    page = app.get(f"/routines/{routine.pk}/items/add/toe-touch/?day=wed", user=patient)
    [box] = boxes(page)
    assert_one_box_with_both_reasons(box)
    assert len(box.select('input[name="acknowledge_danger"]')) == 1
    assert len(page.html.select('input[name="acknowledge_danger"]')) == 1

    refused = page.forms["item-form"].submit(status=400)
    [box] = boxes(refused)
    assert "tick the box" in box_text(box)  # the error sits in the same box
    # and at the top, where the page opens again, with a link down to the box
    [link] = refused.html.select(".error-summary a")
    assert "tick the box" in link.get_text()
    assert refused.html.select_one(link["href"])["name"] == "acknowledge_danger"
    assert not RoutineItem.objects.exists()

    form = refused.forms["item-form"]
    form["acknowledge_danger"] = True
    week = form.submit().follow()
    item = RoutineItem.objects.get()
    assert item.exercise == toe_touch
    [box] = boxes(week.html.find(id=f"item-{item.pk}"))
    assert_one_box_with_both_reasons(box)


def test_confirming_it_later_shows_one_box_with_one_tick_box(app, patient, toe_touch):
    routine = make_routine(owner=patient)
    item = make_item(routine, toe_touch, day=2, sets=1, reps=5)
    week = app.get(routine.get_absolute_url(), user=patient)
    page = week.click(description="Confirm…", href=f"/items/{item.pk}/")
    [box] = boxes(page)
    assert_one_box_with_both_reasons(box)
    assert len(page.html.select('input[name="acknowledge_danger"]')) == 1
    assert box.select_one('input[name="acknowledge_danger"]') is not None
    form = page.forms["confirm-danger"]
    form["acknowledge_danger"] = True
    form.submit().follow()
    item.refresh_from_db()
    assert item.danger_acknowledged_at is not None


def test_the_printed_sheet_shows_one_box_for_the_exercise(app, patient, toe_touch):
    routine = make_routine(owner=patient)
    make_item(routine, toe_touch, day=2, sets=1, reps=5)
    page = app.get(f"/routines/{routine.pk}/print/", user=patient)
    sheet = page.html.find(id="sheet-toe-touch").find_parent("article")
    [box] = boxes(sheet)
    assert_one_box_with_both_reasons(box)


def test_a_single_finding_still_reads_as_one_line(app, patient, patterns):
    sit_up = make_exercise(
        name="Sit-up", slug="sit-up", weight_bearing=False, patterns=["SPINAL_FLEXION"]
    )
    routine = make_routine(owner=patient)
    item = make_item(routine, sit_up, day=2, sets=1, reps=5)
    page = app.get(routine.get_absolute_url(), user=patient)
    [box] = boxes(page.html.find(id=f"item-{item.pk}"))
    assert box_text(box) == f"✖ Danger: {FLEXION} {safety.ASK_THERAPIST}"
    assert not box.select("li")


def test_the_week_page_runs_the_same_queries_with_one_or_two_dangers_per_item(
    patient, patient_client, toe_touch, patterns
):
    sit_up = make_exercise(
        name="Sit-up", slug="sit-up", weight_bearing=False, patterns=["SPINAL_FLEXION"]
    )
    one = make_routine(owner=patient, name="One")
    two = make_routine(owner=patient, name="Two")
    for day in range(7):
        make_item(one, sit_up, day=day, sets=1, reps=5)
        make_item(two, toe_touch, day=day, sets=1, reps=5)

    def count(routine):
        with first_visit_queries() as queries:
            assert patient_client.get(routine.get_absolute_url()).status_code == 200
        return len(queries)

    assert count(two) == count(one)


def shown(code, severity, message):
    finding = safety.Finding(code=code, severity=severity, message=message)
    return presenting.ShownFinding(finding, [])


def test_a_box_mixing_danger_and_take_care_names_each_point_and_says_advice_once():
    box = presenting.finding_box(
        [
            shown(
                "SPINAL_TWIST", safety.CAUTION, "Turn slowly. " + safety.ASK_THERAPIST
            ),
            shown(
                "SPINAL_FLEXION",
                safety.DANGER,
                "Keep straight. " + safety.ASK_THERAPIST,
            ),
            shown("RAPID_JERKY", safety.CAUTION, "Turn slowly."),
        ]
    )
    assert (box.severity, box.word) == (safety.DANGER, "Danger")
    assert box.title == (
        "Bending forward from the waist, twisting the spine and sudden or jerky movement"
    )
    assert [(p.word, p.text) for p in box.points] == [
        ("Danger", "Keep straight."),
        ("Take care", "Turn slowly."),
        ("", safety.ASK_THERAPIST),
    ]
    assert presenting.finding_box([]) is None
