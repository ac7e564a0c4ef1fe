"""The routine list and the week stay the same number of queries, and small, at size (issue 15)."""

import gzip
import re

import pytest
from django.core.cache import cache

from tests.factories import first_visit_queries, make_exercise, make_item, make_routine


def queries_for(client, url):
    with first_visit_queries() as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


@pytest.fixture
def danger_exercise(patterns):
    return make_exercise(name="Sit-up", slug="sit-up", patterns=["SPINAL_FLEXION"])


def test_routine_list_queries_do_not_grow_with_routines(patient_client, patient):
    exercise = make_exercise()
    for n in range(3):
        make_routine(owner=patient, name=f"Week {n}", items=6, exercise=exercise)
    patient_client.get("/routines/")  # the session's first-visit writes
    cache.clear()
    few_cold, _ = queries_for(patient_client, "/routines/")
    few_warm, _ = queries_for(patient_client, "/routines/")
    cache.clear()
    for n in range(3, 50):
        make_routine(owner=patient, name=f"Week {n}", items=6, exercise=exercise)
    many_cold, page = queries_for(patient_client, "/routines/")
    many_warm, _ = queries_for(patient_client, "/routines/")
    assert many_cold == few_cold
    assert many_warm == few_warm < many_cold  # the checks come from the cache
    # ten to a page: the first page checks ten weeks, however many there are
    assert page.content.decode().count("6 exercises in the week.") == 10
    assert "50 routines, page 1 of 5." in page.content.decode()
    cache.clear()  # as before the first page (with Redis, the session is cached too)
    last_cold, last = queries_for(patient_client, "/routines/?page=5")
    assert last_cold == many_cold
    assert last.content.decode().count("6 exercises in the week.") == 10


def test_a_long_routine_list_is_paged_in_name_order_keeping_what_is_added(app, patient):
    """Twelve routines: ten, then two on the next page, in name order; choosing where to
    add an exercise keeps the exercise from page to page."""
    for n in range(12):
        make_routine(owner=patient, name=f"Week {n:02d}")
    page = app.get("/routines/?add=sit-to-stand", user=patient)
    names = [h.get_text(strip=True) for h in page.html.select("li.item h2")]
    assert names == [f"Week {n:02d}" for n in range(10)]
    assert "12 routines, page 1 of 2." in page.text
    page = page.click(description="Next page")
    names = [h.get_text(strip=True) for h in page.html.select("li.item h2")]
    assert names == ["Week 10", "Week 11"]
    assert "Choose the routine to add the exercise to." in page.text
    assert page.html.select_one("a[href*='exercise=sit-to-stand']")
    page = page.click(description="Previous page")
    assert "page 1 of 2" in page.text
    # a page number out of range shows the last page, never an error
    assert "Week 11" in app.get("/routines/?page=99").text
    assert "Week 00" in app.get("/routines/?page=zero").text


def test_routine_list_shows_a_change_at_once(patient_client, patient, danger_exercise):
    routine = make_routine(owner=patient, name="Mine")
    item = make_item(routine, danger_exercise, day=2)
    routine.refresh_from_db()
    # Counted as a change, as every write method of the models does.
    type(routine).objects.mark_changed(routine.pk)
    page = patient_client.get("/routines/").content.decode()
    assert "1 marked Danger needs your attention." in page
    item.acknowledge({"SPINAL_FLEXION"}, version=item.version)
    page = patient_client.get("/routines/").content.decode()
    assert "needs your attention" not in page
    assert "1 marked Danger (confirmed)." in page


def row_of(page, name):
    """The text of the routine list's row for the routine called `name`."""
    html = page.content.decode()
    row = re.search(
        rf'<li class="item">\s*<h2[^>]*><a [^>]*>{name}</a>(.*?)</li>', html, re.S
    )
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1)))


def test_routine_list_checks_only_the_changed_routine_and_only_its_own_items(
    patient_client, patient, other_patient, danger_exercise
):
    """The summaries still cached are kept; the one changed is checked again from its own
    items alone (not another routine's, not another patient's)."""
    make_routine(owner=patient, name="Walks", items=2)
    changed = make_routine(owner=patient, name="Strength", items=1)
    make_routine(owner=other_patient, name="Walks", items=5, exercise=danger_exercise)
    patient_client.get("/routines/")  # both summaries are now cached
    make_item(changed, danger_exercise, day=3)
    type(changed).objects.mark_changed(changed.pk)
    page = patient_client.get("/routines/")
    assert row_of(page, "Walks").strip() == "2 exercises in the week. Open Print"
    assert row_of(page, "Strength").startswith(
        " 2 exercises in the week. ✖ 1 marked Danger needs your attention."
    )


def test_a_week_of_200_exercises_is_small_and_as_many_queries_as_10(
    patient_client, patient, danger_exercise
):
    small = make_routine(owner=patient, name="Ten", items=10, exercise=danger_exercise)
    big = make_routine(owner=patient, name="Two hundred", items=200)
    patient_client.get("/routines/")  # the session's first-visit writes
    small_queries, _ = queries_for(patient_client, small.get_absolute_url())
    big_queries, page = queries_for(patient_client, big.get_absolute_url())
    assert big_queries == small_queries
    assert page.content.decode().count('class="item') >= 200
    assert len(gzip.compress(page.content, 6)) <= 150 * 1024


@pytest.mark.django_db
def test_adding_to_a_long_week_reads_one_index_entry_not_every_item(patient):
    """Where an added exercise goes (the last position of its day) is read from the
    item_routine_day_position index: the database neither reads nor sorts the routine's
    other items, however many there are (it had sorted them all, on every add)."""
    from django.db import connection

    from routines import models

    models._LAST_POSITION._plans.clear()  # only this test's plan
    exercise = make_exercise()
    routine = make_routine(owner=patient, items=2000, exercise=exercise)
    make_routine(owner=patient, items=2000, exercise=exercise)
    assert models.RoutineItem.next_position(routine, 0) > 0
    [plan] = models._LAST_POSITION._plans.values()
    params = list(plan.params)
    for position, value in zip(plan.positions, [routine.pk, 0], strict=True):
        params[position] = value
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {plan.sql}", params)
            steps = " ".join(row[-1] for row in cursor.fetchall())
            assert "item_routine_day_position" in steps
            assert "TEMP B-TREE" not in steps
        else:
            cursor.execute("ANALYZE routines_routineitem")
            cursor.execute(f"EXPLAIN {plan.sql}", params)
            steps = " ".join(row[0] for row in cursor.fetchall())
            assert "item_routine_day_position" in steps
            assert "Sort" not in steps


def test_items_of_some_routines_are_theirs_alone_however_many(
    patient, other_patient, danger_exercise
):
    """RoutineItem.of_own_routines reads ten routines a query: twelve routines' items
    come back whole, and never another routine's or another patient's."""
    from routines.models import RoutineItem

    mine = [make_routine(owner=patient, name=f"Week {n}", items=2) for n in range(13)]
    make_routine(owner=other_patient, name="Theirs", items=3)
    wanted = mine[:12]
    items = RoutineItem.of_own_routines(patient.pk, [r.pk for r in wanted])
    assert sorted(i.pk for i in items) == sorted(
        RoutineItem.objects.filter(routine__in=wanted).values_list("pk", flat=True)
    )
    # another patient's routine asked for by id: nothing of it
    theirs = other_patient.routines.get()
    assert RoutineItem.of_own_routines(patient.pk, [theirs.pk]) == []
