"""The add-exercise picker, the patient's and the therapist's, with thousands of exercises.

Paged 24 at a time, light, a fixed number of queries, and "suitable for ..." filtered in SQL
to exactly what the safety rules allow. Timings live in bench/size.py; here we count pages,
bytes and queries, never seconds.
"""

import pytest
from django.test import Client

from bench.data import make_catalogue
from catalogue.models import Exercise
from routines import checking, safety
from routines.models import HealthProfile
from tests.factories import (
    make_link,
    make_patterns,
    make_routine,
    make_therapist,
    make_user,
    sign_in,
    signed_in,
)
from tests.test_catalogue_at_size import weigh  # (queries, gzipped bytes), uncached

pytestmark = pytest.mark.django_db

PAGE_SIZE = 24


@pytest.fixture
def dora(db):
    user = make_user("dora", first_name="Dora", last_name="Lee")
    HealthProfile.objects.create(user=user, diagnosis="osteoporosis")
    return user


@pytest.fixture
def sam(db):
    return make_therapist("sam", first_name="Sam", last_name="Carter")


@pytest.fixture
def week(dora, sam):
    make_link(dora, sam)
    return make_routine(owner=dora)


def patient_picker(routine):
    return f"/routines/{routine.pk}/items/add/"


def clinic_picker(routine):
    return f"/clinic/routines/{routine.pk}/items/add/"


def names(page):
    return [h.get_text(strip=True) for h in page.html.select(".exercise-card h3")]


def heading(page):
    return page.html.select_one("#choices").get_text(strip=True)


QUERIES = [
    "?day=wed",  # "suitable" ticked at first: the patient has a profile
    "?day=wed&filtered=1",  # everything, with the warning flags
    "?day=wed&filtered=1&page=3",
    "?day=wed&filtered=1&q=squat",
    "?day=wed&filtered=1&q=walk&suitable=on&page=2",
    "?day=fri&filtered=1&position=chair&equipment=support",
    "?day=wed&filtered=1&page=999",
]


def test_picker_queries_stay_the_same_and_pages_stay_light_from_10_to_5000_exercises(
    dora, sam, week
):
    make_patterns()
    patient, therapist = Client(), sign_in(Client(), sam)
    patient.force_login(dora)
    urls = [(patient, patient_picker(week) + q) for q in QUERIES]
    urls += [(therapist, clinic_picker(week) + q) for q in QUERIES]
    make_catalogue(10)
    for client, url in urls[:: len(QUERIES)]:
        client.get(url)  # the first request of a session does more (its log-in record)
    small = [weigh(client, url) for client, url in urls]
    # Every page shows at least one exercise at 10 too, so no query is skipped there.
    assert all(b"exercise-card" in client.get(url).content for client, url in urls)
    make_catalogue(4990, first=10)
    assert Exercise.objects.count() == 5000
    large = [weigh(client, url) for client, url in urls]
    for (_, url), (small_queries, _), (large_queries, large_bytes) in zip(
        urls, small, large, strict=True
    ):
        assert large_queries == small_queries, f"{url}: queries grow with the catalogue"
        assert large_bytes <= 60 * 1024, f"{url}: {large_bytes} bytes gzipped"
    page = patient.get(patient_picker(week) + "?day=wed&filtered=1").content.decode()
    assert page.count('class="exercise-card"') == PAGE_SIZE
    assert "4000 exercises, page 1 of 167" in page


@pytest.mark.parametrize("who", ["patient", "therapist"])
def test_paging_through_a_search_keeps_the_words_and_the_day(app, dora, sam, week, who):
    make_patterns()
    make_catalogue(1000)
    if who == "patient":
        page = app.get(patient_picker(week) + "?day=thu", user=dora)
        add_url = f"/routines/{week.pk}/items/add/"
    else:
        page = signed_in(app, sam).get(clinic_picker(week) + "?day=thu")
        add_url = f"/clinic/routines/{week.pk}/items/add/"
    form = page.forms[1]
    form["q"] = "squat"
    form["suitable"] = False
    first = form.submit()
    expected = list(
        Exercise.objects.published()
        .search("squat")
        .order_by("name", "pk")
        .values_list("name", flat=True)
    )
    assert len(expected) > 2 * PAGE_SIZE  # three pages at least
    assert names(first) == expected[:PAGE_SIZE]
    second = first.click(description="Next page")
    assert names(second) == expected[PAGE_SIZE : 2 * PAGE_SIZE]
    assert second.forms[1]["q"].value == "squat"
    assert second.forms[1]["day"].value == "thu"
    assert not second.forms[1]["suitable"].checked
    third = second.click(description="Next page")
    assert names(third) == expected[2 * PAGE_SIZE : 3 * PAGE_SIZE]
    assert names(third.click(description="Previous page")) == names(second)
    # Choosing from a later page still adds to Thursday.
    chosen = third.click(description="Choose", index=0)
    assert chosen.request.path.startswith(add_url)
    assert chosen.forms["item-form"]["day"].value == "thu"


@pytest.mark.parametrize("page_number", ["abc", "0", "-1", "999", "2.5"])
def test_a_bad_page_number_shows_a_page_not_an_error(app, dora, sam, week, page_number):
    make_catalogue(60)
    query = f"?day=mon&filtered=1&page={page_number}"
    for page in (
        app.get(patient_picker(week) + query, user=dora),
        signed_in(app, sam).get(clinic_picker(week) + query),
    ):
        assert page.status_code == 200
        assert len(names(page)) > 0


def suitable_names_shown(page):
    """Every name the picker lists with "suitable" ticked, following the pages."""
    form = page.forms[1]
    form["suitable"] = True
    page, shown = form.submit(), []
    while True:
        shown += names(page)
        if "Next page" not in page.text:
            return shown
        page = page.click(description="Next page")


@pytest.mark.parametrize(
    "profile",
    [
        {"diagnosis": "osteopenia"},
        {"diagnosis": "osteoporosis"},
        {"diagnosis": "osteoporosis", "fracture_spine": True, "falls_last_year": True},
    ],
)
def test_suitable_lists_what_the_safety_rules_allow_for_patient_and_therapist(
    app, dora, sam, week, profile
):
    """Filtered in SQL, page by page: the same exercises the per-exercise check keeps."""
    make_patterns()
    make_catalogue(120)
    HealthProfile.objects.filter(user=dora).update(**profile)
    published = list(Exercise.objects.published().order_by("name", "pk"))
    # the oracle: the safety engine itself, one exercise at a time
    facts = HealthProfile.objects.get(user=dora).as_facts()
    rules = checking.pattern_rules()
    data = checking.safety_data(e.pk for e in published)
    expected = [
        e.name
        for e in published
        if safety.is_safe(facts, safety.Item("mon", data.facts(e), reps=1), rules)
    ]
    assert 0 < len(expected) < len(published)  # the filter really removes something
    patient_page = app.get(patient_picker(week), user=dora)
    assert suitable_names_shown(patient_page) == expected
    clinic_page = signed_in(app, sam).get(clinic_picker(week))
    assert suitable_names_shown(clinic_page) == expected


def test_unticked_every_exercise_shows_and_exactly_the_unsuitable_ones_say_so(
    app, dora, week
):
    make_patterns()
    make_catalogue(120)
    facts = HealthProfile.objects.get(user=dora).as_facts()
    codes = checking.warning_pattern_codes(facts)
    warned = set(
        Exercise.objects.published()
        .filter(patterns__code__in=codes)
        .values_list("name", flat=True)
    )
    assert warned
    page = app.get(patient_picker(week) + "?day=sat&filtered=1", user=dora)
    seen_warned, seen = set(), 0
    while True:
        for card in page.html.select(".exercise-card"):
            seen += 1
            if "a warning for you" in card.get_text():
                seen_warned.add(card.h3.get_text(strip=True))
        if "Next page" not in page.text:
            break
        page = page.click(description="Next page")
    assert seen == Exercise.objects.published().count()
    assert seen_warned == warned
