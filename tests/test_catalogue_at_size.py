"""The catalogue with thousands of exercises: paged, light, and a fixed number of queries.

Timings live in bench/ (`make bench`); here we count pages, bytes and queries, never seconds.
"""

import gzip
import re

import pytest
from django.db import connection

import catalogue.admin
from bench.data import make_catalogue
from catalogue.models import Exercise, PublishedCards, Status
from routines import checking, safety
from routines.models import HealthProfile
from tests.factories import first_visit_queries, make_exercise, make_patterns, make_user

pytestmark = pytest.mark.django_db

PAGE_SIZE = 24


def heading(page):
    return page.html.select_one("#results").get_text()


def card_names(page):
    return [a.text for a in page.html.select(".exercise-card h3 a")]


def test_the_list_is_paged_and_keeps_the_search_across_pages(app):
    for n in range(60):
        make_exercise(name=f"Heel raise {n:02}", steps=())
    make_exercise(name="Wall sit", steps=())

    first = app.get("/catalogue/")
    assert len(card_names(first)) == PAGE_SIZE
    assert heading(first) == "61 exercises, showing 1 to 24"
    assert "Page 1 of 3" in first.text
    assert "Previous page" not in first.text

    form = first.forms["catalogue-filters"]
    form["q"] = "heel"
    searched = form.submit()
    assert heading(searched) == "60 exercises, showing 1 to 24"
    second = searched.click("Next page")
    assert heading(second) == "60 exercises, showing 25 to 48"
    assert "q=heel" in second.request.url
    third = second.click("Next page")
    names = card_names(third)
    assert names == [f"Heel raise {n}" for n in range(48, 60)]
    assert "Next page" not in third.text
    assert "Wall sit" not in third.text
    assert card_names(third.click("Previous page")) == card_names(second)


@pytest.mark.parametrize("prepared_pages", [20, 1])
def test_paging_through_the_whole_list_shows_each_exercise_once(
    app, monkeypatch, prepared_pages
):
    """The list without a filter comes from prepared queries (catalogue.models.
    PublishedCards) for its first pages and from Django's after: either way, in name
    order, every published exercise once, with its caution tag."""
    monkeypatch.setattr(PublishedCards, "PREPARED_PAGES", prepared_pages)
    make_patterns()
    for n in range(55):
        make_exercise(
            name=f"Exercise {n:02}",
            steps=(),
            patterns=["SPINAL_TWIST"] if n == 30 else [],
        )
    make_exercise(name="Exercise 99 (draft)", status=Status.DRAFT, steps=())

    page = app.get("/catalogue/")
    seen = card_names(page)
    while "Next page" in page.text:
        page = page.click("Next page")
        seen += card_names(page)
    assert seen == [f"Exercise {n:02}" for n in range(55)]
    assert heading(page) == "55 exercises, showing 49 to 55"
    card = page.html.find("a", string="Exercise 30") or app.get(
        "/catalogue/?page=2"
    ).html.find("a", string="Exercise 30")
    assert "Has cautions" in card.find_parent("div").get_text()
    # Paging is not filtering: the search box stays empty, with nothing to clear.
    assert page.forms["catalogue-filters"]["q"].value == ""
    assert "Clear the filters" not in page.text


@pytest.mark.parametrize(
    ("page", "shown"),
    [("abc", "Page 1 of 2"), ("999", "Page 2 of 2"), ("-1", "Page 2 of 2")],
)
def test_a_bad_page_number_shows_a_page_not_an_error(client, page, shown):
    for n in range(30):
        make_exercise(name=f"Step-up {n}", steps=())
    response = client.get("/catalogue/", {"page": page})
    assert response.status_code == 200
    assert shown in response.content.decode()


def test_a_growing_catalogue_and_tracking_codes_keep_one_plan_per_page(client):
    """Each exercise published changes the last page's length, and links from mail or
    social sites carry codes the list does not know: neither makes the list compile
    (and keep) another query, nor counts as a filter."""
    from catalogue import models

    models._PUBLISHED_CARDS._plans.clear()
    for n in range(4):
        make_exercise(name=f"Exercise {n}", steps=())
        page = client.get("/catalogue/", {"utm_source": "newsletter", "fbclid": "x1"})
        assert f"{n + 1} exercise" in page.content.decode()
    assert "Clear the filters" not in page.content.decode()
    assert len(models._PUBLISHED_CARDS._plans) == 1


def test_an_empty_catalogue_lists_nothing_without_error(client):
    make_exercise(name="Not yet", status=Status.DRAFT, steps=())
    response = client.get("/catalogue/")
    assert response.status_code == 200
    assert "0 exercises<" in response.content.decode().replace("</h2>", "<")


def test_a_short_list_has_no_pager(client):
    make_exercise(name="Heel raise", steps=())
    page = client.get("/catalogue/").content.decode()
    assert "1 exercise<" in page.replace("</h2>", "<")
    assert "Page 1 of" not in page
    assert "Next page" not in page


def test_filters_fold_into_one_disclosure_that_opens_when_one_is_on(app, patient):
    make_exercise(name="Chair march", position="chair", steps=())
    page = app.get("/catalogue/", user=patient)
    disclosure = page.html.select("form[role=search] details")
    assert len(disclosure) == 1
    assert not disclosure[0].has_attr("open")
    # The search box stays in sight; every other filter is inside the disclosure.
    inside = {tag["name"] for tag in disclosure[0].select("select, input")}
    assert inside == {"category", "position", "equipment", "weight_bearing", "suitable"}
    assert page.html.select_one("form[role=search] > div input[name=q]")

    form = page.forms["catalogue-filters"]
    form["position"] = "chair"
    filtered = form.submit()
    assert filtered.html.select_one("form[role=search] details").has_attr("open")
    assert "(some are on)" in filtered.text
    assert card_names(filtered) == ["Chair march"]

    form = app.get("/catalogue/").forms["catalogue-filters"]
    form["q"] = "march"
    searched = form.submit()
    assert not searched.html.select_one("form[role=search] details").has_attr("open")


def suitable_names_shown(app, user):
    """Every name "suitable for me" lists, following the pages as a person would."""
    form = app.get("/catalogue/", user=user).forms["catalogue-filters"]
    form["suitable"] = True
    page, names = form.submit(), []
    while True:
        names += card_names(page)
        if "Next page" not in page.text:
            return names
        page = page.click("Next page")


@pytest.mark.parametrize(
    "profile",
    [
        {"diagnosis": "osteopenia"},
        {"diagnosis": "osteoporosis"},
        {"diagnosis": "osteoporosis", "fracture_spine": True, "falls_last_year": True},
        {"diagnosis": "osteoporosis", "fracture_hip": True, "neuropathy": True},
    ],
)
def test_suitable_for_me_lists_what_the_safety_rules_allow(app, profile):
    """Filtered in SQL, page by page: the same exercises the per-exercise check keeps."""
    make_patterns()
    make_catalogue(120)
    user = make_user("dora")
    HealthProfile.objects.create(user=user, **profile)
    published = list(Exercise.objects.published().order_by("name", "pk"))
    # the oracle: the safety engine itself, one exercise at a time
    facts = HealthProfile.objects.get(user=user).as_facts()
    rules = checking.pattern_rules()
    data = checking.safety_data(e.pk for e in published)
    expected = {
        e.pk
        for e in published
        if safety.is_safe(facts, safety.Item("mon", data.facts(e), reps=1), rules)
    }
    assert 0 < len(expected) < len(published)  # the filter really removes something
    names = suitable_names_shown(app, user)
    assert names == [e.name for e in published if e.pk in expected]


def weigh(client, url):
    """(queries, gzipped bytes) of one uncached view of `url`."""
    from django.core.cache import cache

    cache.clear()
    with first_visit_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), len(gzip.compress(response.content))


CATALOGUE_URLS = [
    "/catalogue/",
    "/catalogue/?page=3",
    "/catalogue/?q=squat",
    "/catalogue/?q=squat&page=2",
    "/catalogue/?position=chair&weight_bearing=no",
    "/catalogue/?suitable=on",
    "/catalogue/?suitable=on&q=walk&page=2",
]
ADMIN_URLS = [
    "/admin/catalogue/exercise/",
    "/admin/catalogue/exercise/?q=squat",
    "/admin/catalogue/exercise/?q=tall+chair",
    "/admin/catalogue/exercise/?q=squat&status__exact=published",
]


def test_queries_stay_the_same_and_pages_stay_light_from_10_to_5000_exercises(
    client, patient_client, therapist_client
):
    make_patterns()
    make_catalogue(10)
    small = {url: weigh(patient_client, url) for url in CATALOGUE_URLS}
    small |= {url: weigh(therapist_client, url) for url in ADMIN_URLS}
    make_catalogue(4990, first=10)
    assert Exercise.objects.count() == 5000
    large = {url: weigh(patient_client, url) for url in CATALOGUE_URLS}
    large |= {url: weigh(therapist_client, url) for url in ADMIN_URLS}
    for url in small:
        assert large[url][0] == small[url][0], f"{url}: queries grow with the catalogue"
    for url in CATALOGUE_URLS:
        assert large[url][1] <= 60 * 1024, f"{url}: {large[url][1]} bytes gzipped"
    # A page holds at most 24 exercises whatever the size of the catalogue.
    page = client.get("/catalogue/").content.decode()
    assert page.count('class="exercise-card"') == PAGE_SIZE
    assert re.search(r"4000 exercises<span[^>]*>, showing 1 to 24<", page)


@pytest.mark.parametrize(
    "as_list",
    [500, 0],
    ids=[
        "rare words: a list of ids (PostgreSQL: = ANY)",
        "common words: EXISTS (PostgreSQL: a hashed subquery)",
    ],
)
def test_admin_search_finds_every_word_in_name_summary_steps_or_slug(
    therapist_client, monkeypatch, as_list
):
    monkeypatch.setattr(catalogue.admin, "STEP_MATCHES_AS_LIST", as_list)
    make_exercise(
        name="Wall push-up",
        slug="wall-push-up",
        summary="Strengthens the arms.",
        steps=("Stand an arm's length from a wall.", "Lean in slowly, then push back."),
    )
    make_exercise(name="Chair squat", summary="Sit down and stand up.", steps=())
    make_exercise(name="Retired squat", status=Status.RETIRED, steps=())

    def found(term):
        page = therapist_client.get("/admin/catalogue/exercise/", {"q": term})
        return sorted(
            re.findall(
                r'<th class="field-name"><a [^>]*>([^<]+)</a>', page.content.decode()
            )
        )

    assert found("squat") == ["Chair squat", "Retired squat"]
    assert found("arms") == ["Wall push-up"]  # summary
    assert found("lean slowly") == ["Wall push-up"]  # two words, both in the steps
    assert found("wall-push") == ["Wall push-up"]  # slug
    assert found("wall squat") == []  # every word must match
    assert found('"push back"') == ["Wall push-up"]  # a quoted phrase
    # An exercise that matches in several steps is listed once.
    assert found("a").count("Wall push-up") == 1


def test_admin_alternatives_search_never_offers_a_retired_exercise(therapist_client):
    live = make_exercise(name="Heel raise", steps=())
    make_exercise(name="Heel drop", status=Status.RETIRED, steps=())
    response = therapist_client.get(
        "/admin/autocomplete/",
        {
            "term": "heel",
            "app_label": "catalogue",
            "model_name": "exercise",
            "field_name": "alternatives",
        },
    )
    assert [r["text"] for r in response.json()["results"]] == [str(live)]


def test_the_alternatives_box_finds_nothing_for_a_nul_character_without_error(
    therapist_client,
):
    """PostgreSQL refuses a NUL character in any text; the alternatives box sends the
    term straight to the search (the list's own search form turns it away first)."""
    make_exercise(name="Heel raise", steps=())
    response = therapist_client.get(
        "/admin/autocomplete/",
        {
            "term": "heel\x00",
            "app_label": "catalogue",
            "model_name": "exercise",
            "field_name": "alternatives",
        },
    )
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist only on PostgreSQL (CI runs this there)")


def test_postgresql_searches_can_use_the_trigram_indexes(
    postgres_only, therapist_client
):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE '%%_trgm'"
        )
        names = {row[0] for row in cursor.fetchall()}
    assert names == {
        "catalogue_exercise_name_trgm",
        "catalogue_exercise_slug_trgm",
        "catalogue_exercise_summary_trgm",
        "catalogue_exercisestep_text_trgm",
    }
    from catalogue.forms import ExerciseFilterForm

    form = ExerciseFilterForm({"q": "squat"})
    # The search alone, in no order: with the published filter or the name order too,
    # the (status, name) and (name) indexes of migrations 0009 and 0011 are as good a way
    # in for a handful of rows.
    search = form.filter(Exercise.objects.all()).order_by()
    with connection.cursor() as cursor:
        # A handful of rows makes a scan cheapest; forbid it to show the index fits the query.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = search.explain()
    assert "catalogue_exercise_name_trgm" in plan
    assert "catalogue_exercise_summary_trgm" in plan
