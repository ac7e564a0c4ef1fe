"""Prepared queries (bonefit.prepared): the same rows and instances as Django's own
querysets, one query each, and Django's way whenever a query cannot be prepared."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from bonefit.prepared import PreparedQuery
from routines.models import CareLink, Routine, RoutineItem
from tests.factories import (
    make_exercise,
    make_item,
    make_link,
    make_routine,
    make_therapist,
    make_user,
)

pytestmark = pytest.mark.django_db


def _fields(instance, names):
    return {name: getattr(instance, name) for name in names}


def test_an_item_comes_back_as_django_makes_it(patient, patterns):
    """Decimals and time zones are converted as the ORM converts them."""
    routine = make_routine(owner=patient)
    item = make_item(
        routine,
        make_exercise(patterns=["loaded_flexion"]),
        day=2,
        sets=3,
        reps=8,
        load_kg=Decimal("2.5"),
        notes="Slowly",
        acknowledged_codes="loaded_flexion",
        danger_acknowledged_at=timezone.now(),
    )
    prepared = PreparedQuery(
        lambda pk: RoutineItem.objects.filter(routine_id=pk).for_week_page()
    )

    [mine] = prepared(routine.pk)
    [djangos] = RoutineItem.objects.filter(routine_id=routine.pk).for_week_page()

    names = [f.attname for f in RoutineItem._meta.concrete_fields]
    loaded = [n for n in names if n not in mine.get_deferred_fields()]
    assert mine.pk == item.pk
    assert _fields(mine, loaded) == _fields(djangos, loaded)
    assert mine.get_deferred_fields() == djangos.get_deferred_fields()
    assert type(mine.load_kg) is Decimal
    assert mine.load_kg == Decimal("2.5")
    assert isinstance(mine.danger_acknowledged_at, datetime)
    assert timezone.is_aware(mine.danger_acknowledged_at)
    assert not mine._state.adding


def test_select_related_is_filled_in_one_query(patient, django_assert_num_queries):
    routine = make_routine(owner=patient)
    prepared = PreparedQuery(
        lambda pk, owner: Routine.objects.filter(pk=pk, owner_id=owner).select_related(
            "owner__health_profile"
        )
    )
    prepared(routine.pk, patient.pk)  # compiled here, once per process

    with django_assert_num_queries(1):
        [found] = prepared(routine.pk, patient.pk)
        assert found.owner.username == "alice"
        assert found.owner.health_profile.diagnosis == patient.health_profile.diagnosis
    assert found.created_at == Routine.objects.get(pk=routine.pk).created_at


def test_each_call_takes_its_own_values(patient, other_patient):
    mine = make_routine(owner=patient, name="Mine")
    make_routine(owner=other_patient, name="Bob's")
    prepared = PreparedQuery(
        lambda pk, owner: Routine.objects.filter(pk=pk, owner_id=owner)
    )

    assert [r.name for r in prepared(mine.pk, patient.pk)] == ["Mine"]
    assert prepared(mine.pk, other_patient.pk) == []


def test_a_query_without_its_markers_is_left_to_django(patient):
    """A queryset that does not carry its argument as one parameter (here: not at all,
    and twice) is never prepared, so it can never give another query's rows."""
    make_routine(owner=patient, name="A")
    make_routine(owner=patient, name="B")
    ignores = PreparedQuery(lambda pk: Routine.objects.order_by("name"))
    twice = PreparedQuery(
        lambda pk: Routine.objects.filter(pk__gte=pk, owner_id=pk).order_by("name")
    )

    assert [r.name for r in ignores(1)] == ["A", "B"]
    assert twice(patient.pk) == list(
        Routine.objects.filter(pk__gte=patient.pk, owner_id=patient.pk)
    )
    assert list(ignores._plans.values()) == [None]
    assert list(twice._plans.values()) == [None]


def test_other_values_go_to_django(patient):
    """A number written as a word, or a value neither number nor word, is Django's."""
    routine = make_routine(owner=patient, name="Mine")
    prepared = PreparedQuery(lambda pk: Routine.objects.filter(pk=pk))

    assert [r.name for r in prepared(str(routine.pk))] == ["Mine"]
    assert [r.name for r in prepared(float(routine.pk))] == ["Mine"]
    assert [r.name for r in prepared(routine.pk)] == ["Mine"]
    assert [plan is None for plan in prepared._plans.values()] == [True, False]


def test_care_links_come_newest_first_with_their_therapists(
    patient, django_assert_num_queries
):
    older = make_link(patient, make_therapist("older"))
    newer = make_link(patient, make_therapist("newer"))
    CareLink.objects.filter(pk=older.pk).update(
        started_at=newer.started_at - timezone.timedelta(days=3)
    )
    alone = make_user("alone")
    CareLink.active_of_patient(alone)  # compiled here

    with django_assert_num_queries(1):
        assert CareLink.active_of_patient(alone) == []
    with django_assert_num_queries(2):  # the links, then their therapists
        links = CareLink.active_of_patient(patient)
        assert [link.therapist.username for link in links] == ["newer", "older"]


def test_an_inactive_users_session_no_longer_signs_them_in(patient):
    """The sign-in backend's prepared query still refuses a deactivated account."""
    client = Client()
    client.force_login(patient, backend="bonefit.backends.ModelBackend")
    assert client.get("/routines/").status_code == 200

    User.objects.filter(pk=patient.pk).update(is_active=False)

    response = client.get("/routines/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_expired_session_signs_nobody_in(patient_client):
    """The session engine reads the row with a prepared query and tests the expiry
    itself: a session past its expiry date is not used."""
    from django.contrib.sessions.models import Session

    assert patient_client.get("/routines/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    cache.clear()  # with a shared cache (cached_db), sessions are read from it first

    response = patient_client.get("/routines/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_session_key_is_matched_exactly(patient_client, patient):
    """A key with LIKE's wildcards in it finds no session (a prepared word is passed
    unchanged, never as a pattern)."""
    from django.conf import settings

    real = patient_client.cookies[settings.SESSION_COOKIE_NAME].value
    patient_client.cookies[settings.SESSION_COOKIE_NAME] = real[:-2] + "__"
    assert patient_client.get("/routines/").status_code == 302
    patient_client.cookies[settings.SESSION_COOKIE_NAME] = real
    assert patient_client.get("/routines/").status_code == 200


def test_a_number_too_large_for_the_column_finds_nothing(patient):
    make_routine(owner=patient)
    prepared = PreparedQuery(lambda pk: Routine.objects.filter(pk=pk))

    assert prepared(2**70) == []
    assert prepared(-(2**70)) == []


def test_a_value_worked_out_from_an_argument_is_not_frozen(patient):
    """pk - 1000 is a parameter of its own: compiled once, it would be reused for every
    call. Such a query is not prepared."""
    routine = make_routine(owner=patient)
    prepared = PreparedQuery(
        lambda pk: Routine.objects.filter(pk__lte=pk, pk__gte=pk - 1000)
    )

    assert [r.pk for r in prepared(routine.pk)] == [routine.pk]
    assert [r.pk for r in prepared(routine.pk + 5000)] == []
    assert list(prepared._plans.values()) == [None]


def test_the_pages_queries_are_prepared(patient, patterns):
    """Each query bonefit.prepared was written for is really prepared (not left to
    Django) once a patient has signed in and opened a week and the exercise list, and
    an item form was sent."""
    from bonefit import backends, sessions
    from catalogue import models as catalogue_models
    from routines import forms, models

    checked = (
        sessions._SESSION,
        backends._USER,
        models._OWNED_ROUTINE,
        models._WEEK_PAGE_ITEMS,
        models._ACTIVE_CARE_LINKS,
        forms._CHOOSABLE_EXERCISE,
        catalogue_models._PUBLISHED_COUNT,
        catalogue_models._PUBLISHED_CARDS,
    )
    for prepared in checked:  # only this test's plans: not those earlier tests left
        prepared._plans.clear()

    client = Client()
    client.force_login(patient, backend="bonefit.backends.ModelBackend")
    cache.clear()  # with sessions in Redis (cached_db), so the session is read from the db
    routine = make_routine(owner=patient)
    make_item(routine, make_exercise(slug="wall-push-up"))
    assert client.get(routine.get_absolute_url()).status_code == 200
    bound = forms.RoutineItemForm(
        {"exercise": "wall-push-up", "day": "mon"},
        profile=patient.health_profile,
        instance=RoutineItem(routine=routine),
    )
    assert bound.fields["exercise"].found.slug == "wall-push-up"
    assert client.get("/catalogue/").status_code == 200
    assert client.get("/catalogue/?page=1").status_code == 200

    for prepared in checked:
        assert prepared._plans, prepared
        assert None not in prepared._plans.values(), prepared


def test_values_list_rows_and_choices_as_arguments(patient):
    """values_list() gives its tuples; a choice (Weekday.WEDNESDAY) is its number."""
    from routines.models import Weekday

    routine = make_routine(owner=patient)
    exercise = make_exercise()
    for position in (0, 4, 2):
        item = make_item(routine, exercise, day=Weekday.WEDNESDAY)
        RoutineItem.objects.filter(pk=item.pk).update(position=position)
    last = PreparedQuery(
        lambda routine_id, day: (
            RoutineItem.objects.filter(routine_id=routine_id, day=day)
            .order_by("-position")
            .values_list("position")[:1]
        )
    )

    assert last(routine.pk, Weekday.WEDNESDAY) == [(4,)]
    assert last(routine.pk, Weekday.MONDAY) == []
    assert None not in last._plans.values()
    assert RoutineItem.next_position(routine, Weekday.WEDNESDAY) == 5
    assert RoutineItem.next_position(routine.pk, Weekday.MONDAY) == 0
    from routines import models

    assert None not in models._LAST_POSITION._plans.values()


def test_a_session_is_written_back_and_a_vanished_one_is_refused(patient):
    """The db engine writes a changed session with one UPDATE: the row holds the new
    data and expiry; a row deleted meanwhile (signed out in another tab) is an
    UpdateError, as with Django's own save, which the middleware answers with a 400."""
    from django.contrib.sessions.backends.base import UpdateError
    from django.contrib.sessions.models import Session

    from bonefit.sessions.db import SessionStore

    store = SessionStore()
    store["colour"] = "blue"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() + timezone.timedelta(minutes=5)
    )

    store = SessionStore(store.session_key)
    assert store["colour"] == "blue"
    store["colour"] = "green"
    store.save()
    row = Session.objects.get(session_key=store.session_key)
    assert SessionStore(store.session_key)["colour"] == "green"
    assert row.expire_date > timezone.now() + timezone.timedelta(days=1)

    store["colour"] = "red"
    row.delete()
    with pytest.raises(UpdateError):
        store.save()


def test_pages_annotations_and_counts_come_back_as_django_gives_them(patterns):
    """Values fixed in the SQL (a page's offset and size) each get their own plan; an
    annotation is set on each instance; a values_list() of a Count is its tuples."""

    from catalogue.models import Exercise, Status

    for n in range(7):
        make_exercise(
            name=f"Exercise {n}", patterns=["SPINAL_FLEXION"] if n % 2 else []
        )
    make_exercise(name="Draft one", status=Status.DRAFT)

    def djangos(offset, limit):
        return (
            Exercise.objects.filter(status=Status.PUBLISHED)
            .with_caution_flag()
            .order_by("name", "pk")
            .only("name")[offset : offset + limit]
        )

    cards = PreparedQuery(
        lambda status, *, offset, limit: (
            Exercise.objects.filter(status=status)
            .with_caution_flag()
            .order_by("name", "pk")
            .only("name")[offset : offset + limit]
        )
    )
    for offset, limit in [(0, 3), (3, 3), (6, 3), (0, 3)]:
        mine = cards(Status.PUBLISHED, offset=offset, limit=limit)
        expected = list(djangos(offset, limit))
        assert [(e.pk, e.name, e.has_cautions) for e in mine] == [
            (e.pk, e.name, e.has_cautions) for e in expected
        ]
        assert all(
            e.get_deferred_fields() == expected[0].get_deferred_fields() for e in mine
        )
    assert len(cards._plans) == 3  # one per page shape, none refused
    assert None not in cards._plans.values()
    assert any(e.has_cautions for e in cards(Status.PUBLISHED, offset=0, limit=9))

    from catalogue.models import _PUBLISHED_COUNT as counted  # the exercise list's

    counted._plans.clear()
    assert counted(Status.PUBLISHED) == [(7,)]
    assert counted(Status.DRAFT) == [(1,)]
    assert counted(Status.RETIRED) == []
    assert None not in counted._plans.values()


def test_a_values_list_in_another_order_than_its_select_is_left_to_django(patient):
    """values_list("total", "status") selects status first: its rows would come back in
    the wrong order, so Django runs it."""
    from django.db.models import Count

    from catalogue.models import Exercise

    make_exercise()
    swapped = PreparedQuery(
        lambda slug: (
            Exercise.objects.exclude(slug=slug)
            .order_by()
            .values("status")
            .annotate(total=Count("pk"))
            .values_list("total", "status")
        )
    )
    assert swapped("nothing") == list(
        Exercise.objects.exclude(slug="nothing")
        .order_by()
        .values("status")
        .annotate(total=Count("pk"))
        .values_list("total", "status")
    )
    assert list(swapped._plans.values()) == [None]


def test_a_models_init_signals_are_honoured(patient):
    """Instances are made without Model.__init__ only while nothing listens to it: a
    post_init receiver connected for the model sees every instance."""
    from django.db.models.signals import post_init

    routine = make_routine(owner=patient)
    make_item(routine, make_exercise())
    make_item(routine, make_exercise())
    prepared = PreparedQuery(
        lambda pk: RoutineItem.objects.filter(routine_id=pk).for_week_page()
    )
    quiet = prepared(routine.pk)
    assert len(quiet) == 2
    assert all(
        item._state.adding is False and item._state.db == "default" for item in quiet
    )

    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=RoutineItem)
    try:
        heard = prepared(routine.pk)
    finally:
        post_init.disconnect(receiver, sender=RoutineItem)
    assert len(heard) == 2
    assert seen == heard
    assert {i.pk for i in heard} == {i.pk for i in quiet}
