"""Every /clinic/ URL and method × seven actors: only the linked therapist gets in.

The linked therapist, an unlinked therapist, a former therapist (the link ended), the
patient, another patient, anonymous and a superuser. Refused requests change nothing and
write nothing to the access log.
"""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from routines.models import (
    AccessLog,
    CareLink,
    EndedBy,
    Routine,
    RoutineItem,
    ShareCode,
)
from tests.factories import (
    make_exercise,
    make_item,
    make_link,
    make_profile,
    make_routine,
    make_therapist,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db

ACTORS = [
    "linked",
    "unlinked",
    "former",
    "patient",
    "other",
    "anonymous",
    "superuser",
]


@pytest.fixture
def world(patterns):
    patient = make_user("alice", first_name="Alice")
    make_profile(patient)
    other = make_user("bob")
    make_profile(other)
    linked = make_therapist("sam")
    unlinked = make_therapist("kim")
    former = make_therapist("lee")
    make_link(patient, linked)
    make_link(patient, former).end(by=EndedBy.PATIENT)
    superuser = User.objects.create_superuser("root", password="a-long-enough-pass-123")
    bridge = make_exercise(slug="bridge")
    sit_up = make_exercise(slug="sit-up", patterns=["SPINAL_FLEXION"])
    routine = make_routine(owner=patient, name="Alice's week")
    item = make_item(routine, sit_up, day=0)
    make_item(routine, bridge, day=0)
    template, _ = Routine.create_for(linked, name="Template", is_template=True)
    make_item(template, bridge, day=0)
    ShareCode.renew_for(linked)
    users = {
        "linked": linked,
        "unlinked": unlinked,
        "former": former,
        "patient": patient,
        "other": other,
        "superuser": superuser,
    }
    return {
        "users": users,
        "p": patient.pk,
        "r": routine.pk,
        "i": item.pk,
        "t": template.pk,
    }


def snapshot():
    return (
        sorted(Routine.objects.values_list("pk", "owner_id", "name", "created_by")),
        sorted(
            RoutineItem.objects.values_list(
                "pk",
                "routine_id",
                "exercise_id",
                "day",
                "position",
                "reps",
                "version",
                "review_decision",
                "review_note",
                "added_by",
                "changed_by",
            )
        ),
        sorted(
            CareLink.objects.values_list(
                "pk", "patient", "therapist", "ended_at", "restrictions"
            )
        ),
        sorted(ShareCode.objects.values_list("therapist", "code")),
        AccessLog.objects.count(),
    )


ITEM = {
    "exercise": "bridge",
    "day": "tue",
    "reps": "12",
    "sets": "2",
    "minutes": "",
    "load_kg": "",
    "notes": "",
    "version": "1",
}

# (method, url, data, the linked therapist's status)
PATIENT_URLS = [
    ("get", "/clinic/patients/{p}/", None, 200),
    ("post", "/clinic/patients/{p}/", {}, 405),
    ("get", "/clinic/patients/{p}/end/", None, 200),
    ("post", "/clinic/patients/{p}/end/", {}, 302),
    ("put", "/clinic/patients/{p}/end/", None, 405),
    ("get", "/clinic/patients/{p}/restrictions/", None, 200),
    ("post", "/clinic/patients/{p}/restrictions/", {"restrictions": "No jumps."}, 302),
    ("get", "/clinic/patients/{p}/routines/new/", None, 200),
    ("post", "/clinic/patients/{p}/routines/new/", {"name": "New"}, 302),
    ("get", "/clinic/routines/{r}/print/", None, 200),
    ("post", "/clinic/routines/{r}/print/", {}, 405),
    ("get", "/clinic/routines/{r}/items/add/", None, 200),
    ("get", "/clinic/routines/{r}/items/add/bridge/?day=mon", None, 200),
    ("post", "/clinic/routines/{r}/items/add/bridge/", ITEM, 302),
    ("get", "/clinic/routines/{r}/items/{i}/", None, 200),
    ("post", "/clinic/routines/{r}/items/{i}/", ITEM, 302),
    ("get", "/clinic/routines/{r}/items/{i}/review/", None, 200),
    (
        "post",
        "/clinic/routines/{r}/items/{i}/review/",
        {"version": "1", "decision": "approved", "note": "ok"},
        302,
    ),
    ("post", "/clinic/routines/{r}/items/{i}/move/down/", {}, 302),
    ("get", "/clinic/routines/{r}/items/{i}/move/down/", None, 405),
    ("get", "/clinic/routines/{r}/items/{i}/delete/", None, 200),
    ("post", "/clinic/routines/{r}/items/{i}/delete/", {}, 302),
    ("delete", "/clinic/routines/{r}/items/{i}/delete/", None, 405),
    ("get", "/clinic/templates/{t}/", None, 200),
    ("get", "/clinic/templates/{t}/send/", None, 200),
    ("post", "/clinic/templates/{t}/send/", {"patient": "{p}", "name": "Sent"}, 302),
    ("get", "/clinic/templates/{t}/delete/", None, 200),
    ("post", "/clinic/templates/{t}/delete/", {}, 302),
    ("get", "/clinic/routines/{t}/items/add/", None, 200),
]

# URLs of the clinic itself, for every therapist
CLINIC_URLS = [
    ("get", "/clinic/", None, 200),
    ("post", "/clinic/code/", {}, 302),
    ("get", "/clinic/code/", None, 405),
    ("get", "/clinic/templates/", None, 200),
    ("post", "/clinic/templates/", {"name": "Mine"}, 302),
]


def client_for(world, actor):
    client = Client()
    if actor != "anonymous":
        sign_in(client, world["users"][actor])
    return client


def send(client, method, url, data):
    if data is None or method in ("put", "delete"):
        return getattr(client, method)(url)
    return getattr(client, method)(url, data)


def fill(world, url, data):
    url = url.format(**world)
    if data:
        data = {
            k: v.format(**world) if isinstance(v, str) else v for k, v in data.items()
        }
    return url, data


def refused(response, actor, *, linked_only):
    if actor == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    elif actor in ("patient", "other", "superuser"):
        assert response.status_code == 403  # not a therapist
    else:
        assert linked_only
        assert response.status_code == 404  # a therapist, but not this patient's


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("method", "url", "data", "status"), PATIENT_URLS)
def test_patient_urls_let_in_only_the_linked_therapist(
    world, actor, method, url, data, status
):
    url, data = fill(world, url, data)
    before = snapshot()
    response = send(client_for(world, actor), method, url, data)
    if actor == "linked":
        assert response.status_code == status
        return
    refused(response, actor, linked_only=True)
    assert snapshot() == before


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("method", "url", "data", "status"), CLINIC_URLS)
def test_clinic_urls_are_for_therapists(world, actor, method, url, data, status):
    before = snapshot()
    response = send(client_for(world, actor), method, url, data)
    if actor in ("linked", "unlinked", "former"):
        assert response.status_code == status
        return
    refused(response, actor, linked_only=False)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "url", "data", "status"), PATIENT_URLS)
def test_every_patient_url_is_a_404_once_the_patient_stops_sharing(
    world, method, url, data, status
):
    url, data = fill(world, url, data)
    CareLink.objects.of_therapist(world["users"]["linked"]).get().end(
        by=EndedBy.PATIENT
    )
    before = snapshot()
    response = send(client_for(world, "linked"), method, url, data)
    if url.endswith("/send/") and method == "post":
        assert response.status_code == 400  # no longer among the therapist's patients
        assert "No patient shares their plan with you yet" in response.content.decode()
        assert snapshot() == before
        return
    if "/templates/" in url or url.startswith(f"/clinic/routines/{world['t']}/"):
        assert response.status_code == status  # the therapist's own template
        return
    assert response.status_code == 404
    assert snapshot() == before


def test_an_item_under_another_routine_is_a_404(world):
    client = client_for(world, "linked")
    before = snapshot()
    url = f"/clinic/routines/{world['t']}/items/{world['i']}/"
    assert client.get(url).status_code == 404
    assert client.post(url, ITEM).status_code == 404
    assert snapshot() == before


def test_a_template_is_not_approved_for_anyone(world):
    template = Routine.objects.get(pk=world["t"])
    item = template.items.get()
    client = client_for(world, "linked")
    assert (
        client.get(
            f"/clinic/routines/{template.pk}/items/{item.pk}/review/"
        ).status_code
        == 404
    )
