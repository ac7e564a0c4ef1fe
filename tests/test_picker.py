"""The add-exercise picker: suitable first for a patient with a profile, filters, pages."""

import pytest

from catalogue.models import Category, Equipment, Position
from routines.models import HealthProfile
from tests.factories import make_exercise, make_routine

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(patterns):
    return {
        "sit-up": make_exercise(
            name="Sit-up", slug="sit-up", patterns=["SPINAL_FLEXION"]
        ),
        "squat": make_exercise(name="Sit-to-stand", slug="sit-to-stand"),
        "walk": make_exercise(
            name="Brisk walking",
            slug="brisk-walking",
            category=Category.WEIGHT_BEARING,
            summary="Walk at a pace that makes you a little out of breath.",
        ),
        "row": make_exercise(
            name="Band row",
            slug="band-row",
            position=Position.CHAIR,
            equipment=Equipment.BAND,
        ),
    }


def names(page):
    return [h.get_text(strip=True) for h in page.html.select(".exercise-card h3")]


def test_suitable_is_on_for_a_patient_with_a_profile_and_can_be_turned_off(
    app, patient, catalogue
):
    routine = make_routine(owner=patient)
    page = app.get(f"/routines/{routine.pk}/items/add/?day=wed", user=patient)
    assert "Add an exercise to Wednesday" in page.text
    assert "Sit-up" not in names(page)
    assert {"Sit-to-stand", "Brisk walking", "Band row"} <= set(names(page))
    form = page.forms[1]
    assert form["suitable"].checked
    form["suitable"] = False
    everything = form.submit()
    assert "Sit-up" in names(everything)
    card = everything.html.find("h3", string="Sit-up").parent
    assert "Danger: a warning for you" in card.get_text()
    assert card.select_one(".badge-word.badge-danger")
    # the day is kept: choosing leads to the form for Wednesday
    chosen = everything.click(href="/items/add/sit-up/")
    assert chosen.forms["item-form"]["day"].value == "wed"


def test_each_card_says_whether_its_warning_is_danger_or_take_care(
    app, patient, catalogue
):
    """A twist only needs care for this patient; a sit-up, which also twists, is a danger:
    the card shows the highest, in words."""
    make_exercise(name="Seated twist", slug="seated-twist", patterns=["SPINAL_TWIST"])
    make_exercise(
        name="Twisting sit-up",
        slug="twisting-sit-up",
        patterns=["SPINAL_TWIST", "SPINAL_FLEXION"],
    )
    routine = make_routine(owner=patient)
    page = app.get(f"/routines/{routine.pk}/items/add/?day=mon", user=patient)
    form = page.forms[1]
    form["suitable"] = False
    page = form.submit()

    def badge(name):
        card = page.html.find("h3", string=name).parent
        found = card.select_one(".badge-word")
        return found and " ".join(found.get_text().split())

    assert badge("Seated twist") == "⚠ Take care: a warning for you"
    assert badge("Twisting sit-up") == "✖ Danger: a warning for you"
    assert badge("Sit-up") == "✖ Danger: a warning for you"
    assert badge("Band row") is None


def test_without_a_profile_everything_is_shown(app, patient, catalogue):
    HealthProfile.objects.filter(user=patient).delete()
    routine = make_routine(owner=patient)
    page = app.get(f"/routines/{routine.pk}/items/add/", user=patient)
    assert not page.forms[1]["suitable"].checked
    assert "Sit-up" in names(page)


def test_search_and_filters(app, patient, catalogue):
    routine = make_routine(owner=patient)
    page = app.get(f"/routines/{routine.pk}/items/add/?day=fri", user=patient)
    form = page.forms[1]
    form["q"] = "breath"
    assert names(form.submit()) == ["Brisk walking"]
    form["q"] = ""
    form["position"] = "chair"
    form["equipment"] = "band"
    assert names(form.submit()) == ["Band row"]
    form["position"] = form["equipment"] = ""
    form["category"] = "weight_bearing"
    assert names(form.submit()) == ["Brisk walking"]


def test_results_come_24_to_a_page_and_the_pages_keep_the_filters(
    app, patient, catalogue
):
    for n in range(30):
        make_exercise(name=f"Wall slide {n:02}", position=Position.STANDING)
    routine = make_routine(owner=patient)
    page = app.get(f"/routines/{routine.pk}/items/add/?day=sat", user=patient)
    form = page.forms[1]
    form["q"] = "wall slide"
    first = form.submit()
    assert len(names(first)) == 24
    assert "30 exercises, page 1 of 2" in first.text
    second = first.click(description="Next page")
    assert names(second) == [f"Wall slide {n:02}" for n in range(24, 30)]
    assert "page 2 of 2" in second.text
    assert second.forms[1]["q"].value == "wall slide"
    assert second.forms[1]["day"].value == "sat"
    # a page number out of range shows the last page, never an error
    last = app.get(f"/routines/{routine.pk}/items/add/?q=wall+slide&filtered=1&page=99")
    assert "page 2 of 2" in last.text
