"""Anonymous, patient A (the owner), patient B, a therapist and a superuser × every URL and method.

Each gets exactly what it should, and where access is refused nothing in the database changes.
"""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from catalogue.models import Exercise
from catalogue.roles import THERAPISTS
from routines.models import HealthProfile, Routine, RoutineItem
from tests.factories import (
    make_exercise,
    make_item,
    make_profile,
    make_routine,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-pass-123"
ACTORS = ["anonymous", "owner", "other", "therapist", "superuser"]


@pytest.fixture
def world(patterns):
    owner = make_user("alice")
    make_profile(owner)
    other = make_user("bob")
    make_profile(other)
    therapist = make_user("terry", is_staff=True)
    therapist.groups.add(Group.objects.get(name=THERAPISTS))
    superuser = User.objects.create_superuser("root", password=PASSWORD)
    bridge = make_exercise(slug="bridge")
    sit_up = make_exercise(
        slug="sit-up", patterns=["SPINAL_TWIST"], alternatives=[bridge]
    )
    routine = make_routine(owner=owner, name="Alice's week")
    first = make_item(routine, sit_up, day=0)
    make_item(routine, bridge, day=0)
    users = {
        "owner": owner,
        "other": other,
        "therapist": therapist,
        "superuser": superuser,
    }
    return {"users": users, "routine": routine, "item": first}


def client_for(world, actor):
    client = Client()
    if actor != "anonymous":
        sign_in(client, world["users"][actor])
    return client


def snapshot():
    return (
        sorted(Routine.objects.values_list("pk", "owner_id", "name")),
        sorted(
            RoutineItem.objects.values_list(
                "pk",
                "routine_id",
                "exercise_id",
                "day",
                "position",
                "sets",
                "reps",
                "minutes",
                "load_kg",
                "notes",
                "version",
            )
        ),
        sorted(
            HealthProfile.objects.values_list(
                "user_id", "diagnosis", "fracture_spine", "restrictions"
            )
        ),
        sorted(User.objects.values_list("pk", "username", "is_active", "is_staff")),
        sorted(Exercise.objects.values_list("pk", "status", "name")),
    )


ITEM_DATA = {
    "exercise": "bridge",
    "day": "tue",
    "reps": "12",
    "sets": "2",
    "minutes": "",
    "load_kg": "",
    "notes": "",
    "version": "1",
}

# (method, url template, data, the owner's status)
ROUTINE_URLS = [
    ("get", "/routines/{r}/", None, 200),
    ("post", "/routines/{r}/", {}, 405),
    ("put", "/routines/{r}/", None, 405),
    ("delete", "/routines/{r}/", None, 405),
    ("get", "/routines/{r}/print/", None, 200),
    ("post", "/routines/{r}/print/", {}, 405),
    ("get", "/routines/{r}/rename/", None, 200),
    ("post", "/routines/{r}/rename/", {"name": "Renamed", "version": "1"}, 302),
    ("get", "/routines/{r}/delete/", None, 200),
    ("post", "/routines/{r}/delete/", {}, 302),
    ("delete", "/routines/{r}/delete/", None, 405),
    ("get", "/routines/{r}/duplicate/", None, 405),
    ("post", "/routines/{r}/duplicate/", {}, 302),
    ("get", "/routines/{r}/items/add/", None, 200),
    ("get", "/routines/{r}/items/add/?exercise=bridge&day=mon", None, 302),
    ("post", "/routines/{r}/items/add/", ITEM_DATA, 405),
    ("get", "/routines/{r}/items/add/bridge/?day=mon", None, 200),
    ("post", "/routines/{r}/items/add/bridge/", ITEM_DATA, 302),
    # nothing to confirm on this item: both lead back to the week
    ("get", "/routines/{r}/items/{i}/confirm/", None, 302),
    ("post", "/routines/{r}/items/{i}/confirm/", {"version": "1"}, 302),
    ("get", "/routines/{r}/items/{i}/", None, 200),
    ("post", "/routines/{r}/items/{i}/", ITEM_DATA | {"exercise": "sit-up"}, 302),
    ("get", "/routines/{r}/items/{i}/delete/", None, 200),
    ("post", "/routines/{r}/items/{i}/delete/", {}, 302),
    ("post", "/routines/{r}/items/{i}/move/down/", {}, 302),
    ("get", "/routines/{r}/items/{i}/move/down/", None, 405),
    (
        "post",
        "/routines/{r}/items/{i}/transfer/",
        {"day": "fri", "action": "copy"},
        302,
    ),
    ("get", "/routines/{r}/items/{i}/transfer/", None, 200),
    ("put", "/routines/{r}/items/{i}/transfer/", None, 405),
    (
        "post",
        "/routines/{r}/items/{i}/swap/",
        {"exercise": "bridge", "version": "1"},
        302,
    ),
    ("get", "/routines/{r}/items/{i}/swap/", None, 405),
    ("post", "/routines/{r}/items/{i}/swap/undo/", {}, 302),
    ("get", "/routines/{r}/items/{i}/swap/undo/", None, 405),
]


def request(client, method, url, data):
    if method in ("put", "delete"):
        return getattr(client, method)(url)
    return (
        getattr(client, method)(url, data)
        if data is not None
        else getattr(client, method)(url)
    )


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("method", "url", "data", "owner_status"), ROUTINE_URLS)
def test_routine_urls(world, actor, method, url, data, owner_status):
    url = url.format(r=world["routine"].pk, i=world["item"].pk)
    before = snapshot()
    response = request(client_for(world, actor), method, url, data)
    if actor == "owner":
        assert response.status_code == owner_status
        return
    if actor == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    else:
        assert (
            response.status_code == 404
        )  # whatever the method: the routine is not theirs
    assert snapshot() == before


def test_an_item_of_another_routine_is_404_even_for_its_owner(world):
    """An item id combined with a routine id it does not belong to."""
    mine = make_routine(owner=world["users"]["owner"], name="Second")
    client = client_for(world, "owner")
    before = snapshot()
    assert (
        client.get(f"/routines/{mine.pk}/items/{world['item'].pk}/").status_code == 404
    )
    assert (
        client.post(f"/routines/{mine.pk}/items/{world['item'].pk}/delete/").status_code
        == 404
    )
    assert snapshot() == before


# The admin sends non-staff to its login page, and refuses staff without the permission.
SUPERUSER_ONLY = {
    "anonymous": 302,
    "owner": 302,
    "other": 302,
    "therapist": 403,
    "superuser": 200,
}
STAFF_ONLY = {
    "anonymous": 302,
    "owner": 302,
    "other": 302,
    "therapist": 200,
    "superuser": 200,
}

# (method, url, data, {actor: status}) for pages that are not a routine
OTHER_URLS = [
    ("get", "/", None, dict.fromkeys(ACTORS, 200)),
    ("get", "/catalogue/", None, dict.fromkeys(ACTORS, 200)),
    ("get", "/catalogue/sit-up/", None, dict.fromkeys(ACTORS, 200)),
    ("get", "/routines/", None, {"anonymous": 302} | dict.fromkeys(ACTORS[1:], 200)),
    (
        "get",
        "/routines/profile/",
        None,
        {"anonymous": 302} | dict.fromkeys(ACTORS[1:], 200),
    ),
    (
        "get",
        "/accounts/me/export/",
        None,
        {"anonymous": 302} | dict.fromkeys(ACTORS[1:], 200),
    ),
    (
        "post",
        "/accounts/me/delete/",
        {"password": "wrong"},
        {"anonymous": 302} | dict.fromkeys(ACTORS[1:], 400),
    ),
    (
        "get",
        "/admin/auth/user/",
        None,
        SUPERUSER_ONLY,
    ),
    (
        "get",
        "/admin/auth/group/",
        None,
        SUPERUSER_ONLY,
    ),
    (
        "get",
        "/admin/catalogue/exercise/",
        None,
        STAFF_ONLY,
    ),
    # a published exercise is retired, never deleted: staff get the page that says so
    (
        "get",
        "/admin/catalogue/exercise/{e}/delete/",
        None,
        SUPERUSER_ONLY | {"superuser": 403},
    ),
    (
        "post",
        "/admin/catalogue/exercise/{e}/delete/",
        {"post": "yes"},
        SUPERUSER_ONLY | {"superuser": 403},
    ),
    (
        "post",
        "/admin/catalogue/exercise/{e}/change/",
        {"name": ""},
        STAFF_ONLY,
    ),
    (
        "get",
        "/admin/routines/routine/",
        None,
        {
            "anonymous": 302,
            "owner": 302,
            "other": 302,
            "therapist": 404,
            "superuser": 404,
        },
    ),
]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("method", "url", "data", "expected"), OTHER_URLS)
def test_other_urls(world, actor, method, url, data, expected):
    url = url.format(e=Exercise.objects.get(slug="sit-up").pk)
    before = snapshot()
    response = request(client_for(world, actor), method, url, data)
    assert response.status_code == expected[actor]
    if response.status_code >= 300 or method == "post":
        # refused, or a form error (the exercise used by a routine is never deleted): no change
        assert snapshot() == before


def test_export_contains_only_the_patients_own_data(world):
    client = client_for(world, "other")
    data = client.get("/accounts/me/export/").json()
    assert data["account"]["username"] == "bob"
    assert data["routines"] == []
