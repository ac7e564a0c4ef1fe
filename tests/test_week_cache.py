"""The week fragment is cached; every input that changes what it shows must show at once."""

from decimal import Decimal

import pytest
from django.conf import settings
from pytest_django.asserts import assertContains, assertNotContains

from catalogue.models import MovementPattern, Status
from routines import checking
from routines.models import HealthProfile
from tests.factories import make_exercise, make_item, make_routine

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(patient, patterns):
    bridge = make_exercise(
        name="Bridge", slug="bridge", weight_bearing=False, strengthening=True
    )
    twist = make_exercise(
        name="Golf swing",
        slug="golf-swing",
        patterns=["SPINAL_TWIST"],
        alternatives=[bridge],
    )
    walk = make_exercise(name="Brisk walking", slug="brisk-walking")
    routine = make_routine(owner=patient)
    make_item(routine, walk, day=0, reps=None, minutes=30)
    item = make_item(routine, twist, day=0, reps=None, minutes=60)
    return {
        "routine": routine,
        "item": item,
        "bridge": bridge,
        "twist": twist,
        "url": routine.get_absolute_url(),
    }


def test_second_visit_is_served_from_the_cache_with_fewer_queries(
    patient_client, week, django_assert_num_queries
):
    patient_client.get(week["url"])
    # session (none when sessions are read from the shared cache: REDIS_URL), user,
    # routine with profile, the patient's links with therapists, catalogue version
    queries = 4 if settings.SESSION_ENGINE.endswith("cached_db") else 5
    with django_assert_num_queries(queries):
        assertContains(patient_client.get(week["url"]), "Golf swing")


def test_profile_change_shows_at_once(patient_client, patient, week):
    assertContains(patient_client.get(week["url"]), "Take care:")
    HealthProfile.objects.filter(user=patient).update(fracture_hip=True)
    response = patient_client.get(week["url"])
    assertContains(response, "Danger:")
    assertContains(response, "Not yet confirmed")


def test_item_changes_show_at_once(patient_client, week):
    patient_client.get(week["url"])
    patient_client.post(f"{week['url']}items/{week['item'].pk}/move/up/")
    page = patient_client.get(week["url"]).content.decode()
    assert page.index("Golf swing") < page.index("Brisk walking")
    patient_client.post(f"{week['url']}items/{week['item'].pk}/delete/")
    response = patient_client.get(week["url"])
    assertContains(
        response, "Golf swing removed from Monday."
    )  # only the message is left
    assertNotContains(response, f'id="item-{week["item"].pk}"')


def test_therapist_edits_show_at_once(patient_client, week, therapist_client):
    assertContains(patient_client.get(week["url"]), "Swap for Bridge")
    pattern = MovementPattern.objects.get(code="SPINAL_TWIST")
    therapist_client.post(
        f"/admin/catalogue/movementpattern/{pattern.pk}/change/",
        {
            "message": "A new plain message.",
            "low_bone_mass": "danger",
            "osteoporosis": "danger",
            "high_risk": "danger",
        },
    )
    response = patient_client.get(week["url"])
    assertContains(response, "A new plain message.")
    assertContains(response, "Danger:")
    therapist_client.post(
        "/admin/catalogue/exercise/",
        {"action": "retire", "_selected_action": [week["bridge"].pk]},
    )
    assertNotContains(patient_client.get(week["url"]), "Swap for Bridge")
    therapist_client.post(
        "/admin/catalogue/exercise/",
        {"action": "retire", "_selected_action": [week["twist"].pk]},
    )
    assertContains(
        patient_client.get(week["url"]), "Retired: therapists no longer recommend"
    )


def test_another_patient_never_sees_a_cached_week(patient_client, other_client, week):
    patient_client.get(week["url"])
    assert other_client.get(week["url"]).status_code == 404


def test_retired_status_of_the_exercise_itself(patient_client, week):
    patient_client.get(week["url"])
    week["twist"].status = Status.RETIRED
    week["twist"].save()
    assertContains(patient_client.get(week["url"]), "Retired")


def test_every_item_write_shows_at_once(patient_client, patient, week):
    """Each write method of the models, then the week page: the change is there at once."""
    url, item, bridge, twist = week["url"], week["item"], week["bridge"], week["twist"]
    routine = week["routine"]

    def page():
        return patient_client.get(url).content.decode()

    def position_of(name):
        return page().index(f">{name}</a></h3>")

    assert "60 minutes" in page()  # now cached
    item = item.change(
        version=item.version, exercise=twist, day=0, minutes=45, notes="short course"
    )
    assert "45 minutes – short course" in page()
    assert position_of("Golf swing") > position_of("Brisk walking")
    assert item.move_within_day(-1)
    assert position_of("Golf swing") < position_of("Brisk walking")
    copy = item.transfer(day=3, copy=True)
    assert page().count(">Golf swing</a></h3>") == 2
    assert page().index(f'id="item-{copy.pk}"') > page().index('id="day-thu"')
    item = item.transfer(day=2, copy=False)
    assert page().index(f'id="item-{item.pk}"') > page().index('id="day-wed"')
    item, before = item.swap(bridge, version=item.version, minutes=45)
    assert ">Bridge</a></h3>" in page()
    item = item.undo_swap(before, version=item.version)
    assert ">Bridge</a></h3>" not in page()
    HealthProfile.objects.filter(user=patient).update(fracture_hip=True)
    assert "Not yet confirmed" in page()
    item.acknowledge({"SPINAL_TWIST"}, version=item.version)
    copy.acknowledge({"SPINAL_TWIST"}, version=copy.version)
    assert "Not yet confirmed" not in page()
    assert "You confirmed on" in page()
    copy.remove()
    assert f'id="item-{copy.pk}"' not in page()
    added, created = routine.add_item(exercise=bridge, day=6, reps=12, sets=2)
    assert created
    assert "2 sets of 12" in page()
    assert page().index(f'id="item-{added.pk}"') > page().index('id="day-sun"')


def test_tags_changed_outside_the_admin_show_at_once(patient_client, week, patterns):
    """A shell or a command that adds a movement pattern or an alternative, without saving
    the exercise, still changes the catalogue's version: neither the cached week nor the
    process's safety tables keep the old answer."""
    walk = week["routine"].items.get(exercise__slug="brisk-walking").exercise
    assertContains(patient_client.get(week["url"]), "Swap for Bridge")
    walk.patterns.add(MovementPattern.objects.get(code="SPINAL_FLEXION"))
    page = patient_client.get(week["url"]).content.decode()
    walking = page[page.index("Brisk walking") :]
    assert "Danger:" in walking
    MovementPattern.objects.get(code="SPINAL_FLEXION").exercises.remove(walk)
    walk.alternatives.add(week["bridge"])
    page = patient_client.get(week["url"]).content.decode()
    assert "Danger:" not in page[page.index("Brisk walking") :]
    walk.patterns.add(MovementPattern.objects.get(code="SPINAL_TWIST"))
    assertContains(patient_client.get(week["url"]), "Swap for Bridge", count=2)


def test_a_warm_process_reads_the_catalogue_tables_once(patient_client, week):
    """The first week after a catalogue change reads the week's exercises, their patterns
    and alternatives and the therapists' rules; the next uncached week (another routine's,
    here the same one with its fragment dropped) reads only the catalogue's version."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tables = ("catalogue_exercise_patterns", "catalogue_exercise_alternatives")
    with CaptureQueriesContext(connection) as first:
        assertContains(patient_client.get(week["url"]), "Swap for Bridge")
    cache.clear()
    with CaptureQueriesContext(connection) as second:
        assertContains(patient_client.get(week["url"]), "Swap for Bridge")
    read = [q["sql"] for q in first.captured_queries]
    again = [q["sql"] for q in second.captured_queries]
    assert all(any(t in sql for sql in read) for t in tables)
    assert not any(t in sql for sql in again for t in tables)
    assert not any(
        sql.startswith('SELECT "catalogue_movementpattern"') for sql in again
    )
    assert not any('"catalogue_exercise"."name"' in sql for sql in again)
    # ... and nothing else differs but the session, which with REDIS_URL set is read from
    # the shared cache (emptied above) rather than the database.
    assert len([sql for sql in read if "django_session" not in sql]) - 4 == len(
        [sql for sql in again if "django_session" not in sql]
    )


def test_a_change_that_moves_no_version_is_seen_within_ten_minutes(
    patient_client, week, monkeypatch
):
    """A queryset update (or SQL on the database) sends no signal and stamps nothing, so
    the catalogue's version stays; the process's tables are read afresh, and the week's
    cached fragment expires, within ten minutes. The clock is moved, not waited for."""
    import time

    from django.core.cache import cache

    from routines import checking

    assertContains(patient_client.get(week["url"]), "Twisting your spine")
    MovementPattern.objects.filter(code="SPINAL_TWIST").update(message="Turn gently.")
    assertContains(patient_client.get(week["url"]), "Twisting your spine")
    later = time.monotonic() + checking.TABLES_MAX_AGE_SECONDS + 1
    monkeypatch.setattr(checking.time, "monotonic", lambda: later)
    cache.clear()  # what LocMem or Redis does to the fragment after its ten minutes
    assertContains(patient_client.get(week["url"]), "Turn gently.")


def test_changes_committed_out_of_order_still_move_the_version(
    patient_client, week, patterns
):
    """The version counts changes, so a change stamped earlier than the latest one (a
    host whose clock is behind, or a transaction that commits after a later one) still
    shows at once."""
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone

    walk = week["routine"].items.get(exercise__slug="brisk-walking").exercise
    week["bridge"].save()  # the latest updated_at
    page = patient_client.get(week["url"]).content.decode()
    assert "Danger:" not in page[page.index("Brisk walking") :]
    earlier = timezone.now() - timedelta(minutes=5)
    with mock.patch("django.utils.timezone.now", return_value=earlier):
        walk.patterns.add(MovementPattern.objects.get(code="SPINAL_FLEXION"))
        walk.save()
    page = patient_client.get(week["url"]).content.decode()
    assert "Danger:" in page[page.index("Brisk walking") :]


def test_each_exercises_facts_are_made_once_per_catalogue_version(week):
    """The safety facts of an exercise (routines.checking.SafetyData.facts) are kept with
    the catalogue's tables, by the exercise's fields: the same exercise gives the same
    facts, and an exercise whose fields differ gets facts of its own."""
    tables = checking.catalogue_tables()
    pk = week["twist"].pk
    twist = tables.exercises([pk])[pk]
    facts = tables.safety_data([pk]).facts(twist)
    assert facts.patterns == {"SPINAL_TWIST"}
    assert [a.slug for a in facts.alternatives] == ["bridge"]
    assert tables.safety_data([pk]).facts(tables.exercises([pk])[pk]) is facts

    twist.load_threshold_kg = Decimal("2.5")  # as an item form might hold it
    changed = tables.safety_data([pk]).facts(twist)
    assert changed.load_threshold_kg == Decimal("2.5")
    assert facts.load_threshold_kg is None
    assert changed.patterns == facts.patterns


def test_facts_asked_of_safety_data_made_for_other_exercises_are_not_kept(week):
    """SafetyData.facts of an exercise its SafetyData did not read (here: the twist, asked
    of the bridge's) has no patterns or alternatives to give; the catalogue's tables must
    not keep those empty facts for the pages that ask properly, or the twist's danger
    would vanish from every week in the process."""
    tables = checking.catalogue_tables()
    pk = week["twist"].pk
    twist = tables.exercises([pk])[pk]
    tables.safety_data([week["bridge"].pk]).facts(twist)

    facts = tables.safety_data([pk]).facts(twist)
    assert facts.patterns == {"SPINAL_TWIST"}
    assert [a.slug for a in facts.alternatives] == ["bridge"]
