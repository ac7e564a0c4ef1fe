import io
from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from PIL import Image
from pytest_django.asserts import assertContains, assertNotContains

from catalogue.models import Exercise, ExerciseStep, Status
from catalogue.roles import THERAPIST_PERMISSIONS, THERAPISTS
from tests.factories import (
    admin_exercise_form_data,
    make_exercise,
    make_item,
    make_routine,
)

pytestmark = pytest.mark.django_db


# --- models ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "gone"),
        ("category", "yoga"),
        ("position", "roof"),
        ("equipment", "tramp"),
        ("impact", "huge"),
    ],
)
def test_choices_are_enforced_by_the_database(field, value):
    exercise = make_exercise()
    with pytest.raises(IntegrityError), transaction.atomic():
        Exercise.objects.filter(pk=exercise.pk).update(**{field: value})


def test_slug_is_unique():
    make_exercise(slug="bridge")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_exercise(slug="bridge")


def test_exercise_in_a_routine_cannot_be_deleted(patient):
    exercise = make_exercise()
    make_item(make_routine(owner=patient), exercise)
    with pytest.raises(ProtectedError):
        exercise.delete()


def test_steps_come_in_order():
    exercise = make_exercise(steps=())
    ExerciseStep.objects.create(exercise=exercise, order=2, text="Second")
    ExerciseStep.objects.create(exercise=exercise, order=1, text="First")
    assert [s.text for s in exercise.steps.all()] == ["First", "Second"]


def _png(width=10, height=10):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")


def test_picture_must_be_a_real_image(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    exercise = make_exercise()
    exercise.picture = SimpleUploadedFile(
        "fake.png", b"<script>alert(1)</script>", content_type="image/png"
    )
    with pytest.raises(ValidationError):
        exercise.full_clean()


def test_picture_pixel_limit(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PICTURE_MAX_PIXELS = 50 * 50
    exercise = make_exercise()
    exercise.picture = _png(60, 60)
    with pytest.raises(ValidationError, match="too many pixels"):
        exercise.full_clean()
    exercise.picture = _png(40, 40)
    exercise.full_clean()


# --- public pages -----------------------------------------------------------------------


def test_signed_out_visitor_can_browse_the_catalogue(client, patterns):
    bridge = make_exercise(name="Bridge", slug="bridge")
    sit_up = make_exercise(
        name="Sit-up",
        slug="sit-up",
        patterns=["SPINAL_FLEXION"],
        alternatives=[bridge],
        steps=("Lie on your back.", "Curl up."),
    )
    assertContains(client.get("/catalogue/"), "Sit-up")
    response = client.get(sit_up.get_absolute_url())
    assertContains(response, "Curl up.")
    assertContains(response, "Bending forward from the waist")  # the caution in words
    assertContains(response, 'href="/catalogue/bridge/"')  # the safer alternative
    assertNotContains(response, "SPINAL_FLEXION")


def test_draft_exercises_are_hidden_and_retired_are_marked(client):
    draft = make_exercise(name="Secret draft", status=Status.DRAFT)
    retired = make_exercise(name="Old one", status=Status.RETIRED)
    assertNotContains(client.get("/catalogue/"), "Secret draft")
    assertNotContains(client.get("/catalogue/"), "Old one")
    assert client.get(draft.get_absolute_url()).status_code == 404
    assertContains(client.get(retired.get_absolute_url()), "Retired")


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("category=balance", "Stand on one leg", "Wall push"),
        ("position=chair", "Chair curl", "Stand on one leg"),
        ("equipment=band", "Band row", "Wall push"),
        ("weight_bearing=no", "Chair curl", "Stand on one leg"),
        ("weight_bearing=yes", "Stand on one leg", "Chair curl"),
        ("q=push", "Wall push", "Band row"),
        (
            "category=nonsense",
            "Wall push",
            "zzz-nothing",
        ),  # bad filter values are ignored
    ],
)
def test_catalogue_filters(client, query, shown, hidden):
    make_exercise(name="Stand on one leg", category="balance", trains_balance=True)
    make_exercise(name="Wall push", category="strength", equipment="support")
    make_exercise(
        name="Chair curl", category="strength", position="chair", weight_bearing=False
    )
    make_exercise(
        name="Band row",
        category="strength",
        position="chair",
        equipment="band",
        weight_bearing=False,
    )
    response = client.get(f"/catalogue/?{query}")
    assert response.status_code == 200
    assertContains(response, shown)
    assertNotContains(response, hidden)


def test_suitable_for_my_profile_hides_what_warns_this_patient(
    patient_client, patterns
):
    make_exercise(name="Sit-up", patterns=["SPINAL_FLEXION"])
    make_exercise(name="Jogging", patterns=["HIGH_IMPACT"])
    make_exercise(name="Heel raises")
    response = patient_client.get("/catalogue/?suitable=on")
    assertContains(response, "Heel raises")
    assertNotContains(response, "Sit-up")
    assertNotContains(response, "Jogging")  # caution for osteoporosis


def test_a_signed_out_visitor_is_never_filtered_by_an_unseen_suitable_box(
    client, patterns
):
    """The box is only shown to someone signed in; "suitable" in a shared link does not
    quietly hide exercises from a visitor who cannot see or untick it."""
    make_exercise(name="Sit-up", patterns=["SPINAL_FLEXION"])
    make_exercise(name="Heel raises")
    response = client.get("/catalogue/?suitable=on")
    assertContains(response, "Sit-up")
    assertContains(response, "Heel raises")
    assertNotContains(response, "suitable for my profile")
    assertNotContains(response, "Clear the filters")


def test_catalogue_list_query_count_is_flat(
    client, django_assert_max_num_queries, patterns
):
    for _ in range(30):
        make_exercise(patterns=["SPINAL_TWIST"], alternatives=[])
    # session-less visitor: exercises, patterns prefetch, alternatives prefetch
    with django_assert_max_num_queries(3):
        client.get("/catalogue/")


# --- therapists' admin --------------------------------------------------------------------


def test_therapists_group_has_exactly_the_catalogue_permissions():
    group = Group.objects.get(name=THERAPISTS)
    assert sorted(group.permissions.values_list("codename", flat=True)) == sorted(
        THERAPIST_PERMISSIONS
    )
    # deleting is allowed by the group, and narrowed to unused drafts by the admin
    assert group.permissions.filter(codename="delete_exercise").exists()


def test_therapist_can_open_the_exercise_admin_but_not_users(therapist_client):
    exercise = make_exercise()
    assert therapist_client.get("/admin/catalogue/exercise/").status_code == 200
    assert (
        therapist_client.get(
            f"/admin/catalogue/exercise/{exercise.pk}/change/"
        ).status_code
        == 200
    )
    assert therapist_client.get("/admin/auth/user/").status_code == 403
    assert therapist_client.get("/admin/auth/group/").status_code == 403
    assert (
        therapist_client.get(
            f"/admin/catalogue/exercise/{exercise.pk}/delete/"
        ).status_code
        == 403
    )


def test_therapist_cannot_delete_by_post(therapist_client):
    exercise = make_exercise()
    response = therapist_client.post(
        f"/admin/catalogue/exercise/{exercise.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert Exercise.objects.filter(pk=exercise.pk).exists()


def test_publish_and_retire_actions_write_the_history(therapist_client, therapist):
    drafts = [make_exercise(status=Status.DRAFT) for _ in range(3)]
    response = therapist_client.post(
        "/admin/catalogue/exercise/",
        {"action": "publish", "_selected_action": [e.pk for e in drafts]},
        follow=True,
    )
    assertContains(response, "3 exercises set to published")
    assert set(Exercise.objects.values_list("status", flat=True)) == {Status.PUBLISHED}
    entries = LogEntry.objects.filter(
        user=therapist, change_message="Status set to Published."
    )
    assert entries.count() == 3
    therapist_client.post(
        "/admin/catalogue/exercise/",
        {"action": "retire", "_selected_action": [drafts[0].pk]},
    )
    assert Exercise.objects.get(pk=drafts[0].pk).status == Status.RETIRED
    history = therapist_client.get(f"/admin/catalogue/exercise/{drafts[0].pk}/history/")
    assertContains(history, "Status set to Retired.")
    assertContains(history, "terry")


def test_therapist_can_swap_two_steps_inline(therapist_client):
    exercise = make_exercise(steps=("First", "Second"))
    first, second = exercise.steps.all()
    data = admin_exercise_form_data(exercise, [(first, 2), (second, 1)])
    response = therapist_client.post(
        f"/admin/catalogue/exercise/{exercise.pk}/change/", data
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert [s.text for s in exercise.steps.all()] == ["Second", "First"]


def test_alternatives_autocomplete_offers_published_exercises(therapist_client):
    make_exercise(name="Bridge")
    make_exercise(name="Bridge retired", status=Status.RETIRED)
    response = therapist_client.get(
        "/admin/autocomplete/",
        {
            "term": "Bridge",
            "app_label": "catalogue",
            "model_name": "exercise",
            "field_name": "alternatives",
        },
    )
    names = [r["text"] for r in response.json()["results"]]
    assert names == ["Bridge"]


def test_delete_refusal_page_shows_no_patient_data(admin_client, patient):
    exercise = make_exercise(name="Sit-up")
    make_item(make_routine(owner=patient, name="Alice's secret plan"), exercise)
    response = admin_client.get(f"/admin/catalogue/exercise/{exercise.pk}/delete/")
    assertContains(response, "is retired, not deleted", status_code=403)
    assertNotContains(response, "Alice", status_code=403)
    assertNotContains(response, "secret plan", status_code=403)
    assertNotContains(response, "on Monday", status_code=403)
    admin_client.post(
        f"/admin/catalogue/exercise/{exercise.pk}/delete/", {"post": "yes"}
    )
    assert Exercise.objects.filter(pk=exercise.pk).exists()


def test_therapist_edits_the_severity_table(therapist_client, patterns):
    pattern = patterns["SPINAL_TWIST"]
    response = therapist_client.post(
        f"/admin/catalogue/movementpattern/{pattern.pk}/change/",
        {
            "message": "Edited in plain words.",
            "low_bone_mass": "danger",
            "osteoporosis": "danger",
            "high_risk": "danger",
        },
    )
    assert response.status_code == 302
    pattern.refresh_from_db()
    assert (pattern.message, pattern.low_bone_mass) == (
        "Edited in plain words.",
        "danger",
    )
    assert (
        therapist_client.post(
            f"/admin/catalogue/movementpattern/{pattern.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )


def test_createtherapist_command(capsys, monkeypatch):
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.management.base import CommandError

    monkeypatch.setattr("sys.stdin", io.StringIO("a-very-good-password-42\n"))
    call_command("createtherapist", "tina", "--password-stdin")
    tina = User.objects.get(username="tina")
    assert tina.is_staff
    assert not tina.is_superuser
    assert tina.groups.filter(name=THERAPISTS).exists()
    assert tina.check_password("a-very-good-password-42")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    with pytest.raises(CommandError) as error:
        call_command("createtherapist", "tom", "--password-stdin")
    assert error.value.returncode == 2
    assert not User.objects.filter(username="tom").exists()
    with pytest.raises(CommandError, match="already exists"):
        call_command("createtherapist", "tina", "--password-stdin")


def test_catalogue_list_shows_changes_at_once_despite_its_cache(
    client, therapist_client
):
    make_exercise(name="Old favourite")
    assertContains(client.get("/catalogue/"), "Old favourite")
    assertContains(
        client.get("/catalogue/"), "Old favourite"
    )  # now served from the cache
    draft = make_exercise(name="Brand new", status=Status.DRAFT)
    assertNotContains(client.get("/catalogue/"), "Brand new")
    therapist_client.post(
        "/admin/catalogue/exercise/",
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    assertContains(client.get("/catalogue/"), "Brand new")
    assertContains(client.get("/catalogue/?q=brand"), "1 exercise")


@pytest.mark.parametrize(
    ("dose", "words"),
    [
        ((2, 10, None, None), "2 sets of 10"),
        ((1, 10, None, None), "1 set of 10"),
        ((None, 12, None, None), "12 times"),
        ((None, None, 30, None), "30 minutes"),
        ((None, None, 1, None), "1 minute"),
        ((3, None, 1, None), "3 times 1 minute"),
        ((2, 10, None, "2.5"), "2 sets of 10, with 2.5 kg"),
        ((2, 8, None, "20.0"), "2 sets of 8, with 20 kg"),
    ],
)
def test_doses_read_as_plain_words(dose, words):
    from decimal import Decimal

    from catalogue.models import dose_in_words

    sets, reps, minutes, load = dose
    assert dose_in_words(sets, reps, minutes, Decimal(load) if load else None) == words


def test_exercise_page_says_what_its_cautions_mean_for_the_patient(
    client, patient_client, patient, patterns
):
    from routines.models import HealthProfile

    sit_up = make_exercise(name="Sit-up", slug="sit-up", patterns=["SPINAL_FLEXION"])
    assertContains(
        patient_client.get(sit_up.get_absolute_url()),
        "for you: <strong>Danger</strong>",
        html=False,
    )
    HealthProfile.objects.filter(user=patient).update(diagnosis="osteopenia")
    assertContains(
        patient_client.get(sit_up.get_absolute_url()),
        "for you: <strong>Take care</strong>",
        html=False,
    )
    anonymous = client.get(sit_up.get_absolute_url())
    assertNotContains(anonymous, "for you:")
    assertContains(anonymous, "to see what these cautions mean for you")


def test_an_unused_draft_can_be_deleted_anything_else_is_retired(
    therapist_client, patient
):
    from catalogue.models import Status
    from tests.factories import make_item, make_routine

    draft = make_exercise(status=Status.DRAFT)
    page = therapist_client.get(f"/admin/catalogue/exercise/{draft.pk}/delete/")
    assert page.status_code == 200
    therapist_client.post(
        f"/admin/catalogue/exercise/{draft.pk}/delete/", {"post": "yes"}
    )
    assert not Exercise.objects.filter(pk=draft.pk).exists()

    used_draft = make_exercise(status=Status.DRAFT)
    make_item(make_routine(owner=patient), used_draft)
    for exercise in (make_exercise(), used_draft):
        page = therapist_client.get(f"/admin/catalogue/exercise/{exercise.pk}/delete/")
        assert page.status_code == 403
        assert "is retired, not deleted" in page.content.decode()
        assert "must stay readable" in page.content.decode()
        therapist_client.post(
            f"/admin/catalogue/exercise/{exercise.pk}/delete/", {"post": "yes"}
        )
        assert Exercise.objects.filter(pk=exercise.pk).exists()


def test_two_steps_with_one_number_are_refused(app, therapist):
    from tests.factories import sign_in_through_pages

    exercise = make_exercise(steps=("Stand tall.", "Breathe."))
    sign_in_through_pages(app, therapist)
    page = app.get(f"/admin/catalogue/exercise/{exercise.pk}/change/")
    form = page.forms["exercise_form"]
    form["steps-1-order"] = form["steps-0-order"].value
    refused = form.submit()
    assert "Two steps have the number" in refused.text
    assert list(exercise.steps.values_list("order", flat=True)) == [1, 2]


def test_therapist_searches_ticks_rows_and_publishes_them_from_the_list(app, therapist):
    from tests.factories import sign_in_through_pages

    chair = make_exercise(name="Chair squat", status=Status.DRAFT, steps=())
    wall = make_exercise(name="Wall squat", status=Status.DRAFT, steps=())
    other = make_exercise(name="Heel raise", status=Status.DRAFT, steps=())
    Exercise.objects.filter(pk=chair.pk).update(
        updated_at=datetime(2026, 11, 3, 14, 5, tzinfo=UTC)
    )
    sign_in_through_pages(app, therapist)
    page = app.get("/admin/catalogue/exercise/")
    search = page.forms["changelist-search"]
    search["q"] = "squat"
    found = search.submit()
    rows = {
        row.select_one("th").get_text(strip=True): row
        for row in found.html.select("#result_list tbody tr")
    }
    assert set(rows) == {"Chair squat", "Wall squat"}
    # The change time in the therapist's time zone (London: GMT in November).
    assert rows["Chair squat"].select_one("td.field-updated").get_text() == (
        "3 Nov 2026, 14:05"
    )
    box = rows["Chair squat"].select_one("input.action-select")
    assert box["aria-label"] == "Select Chair squat"

    form = found.forms["changelist-form"]
    boxes = form.fields["_selected_action"]
    for box in boxes:
        box.checked = box._value == str(chair.pk)
    form["action"] = "publish"
    done = form.submit("index").maybe_follow()
    assert "1 exercise set to published" in done.text
    statuses = dict(Exercise.objects.values_list("name", "status"))
    assert statuses == {
        chair.name: Status.PUBLISHED,
        wall.name: Status.DRAFT,
        other.name: Status.DRAFT,
    }
    # Back on the same search.
    assert done.forms["changelist-search"]["q"].value == "squat"


def test_the_movement_list_names_each_movement_once(therapist_client, patterns):
    from bs4 import BeautifulSoup

    page = therapist_client.get("/admin/catalogue/movementpattern/").content.decode()
    pattern = patterns["SPINAL_FLEXION"]
    row = next(
        tr
        for tr in BeautifulSoup(page, "html.parser").select("#result_list tbody tr")
        if "SPINAL_FLEXION" in tr.get_text()
    )
    cells = [td.get_text(" ", strip=True) for td in row.select("th, td")]
    assert cells.count(pattern.name) == 1, cells  # the name once, then the code
    assert "SPINAL_FLEXION" in cells


def test_steps_move_up_and_down_from_the_change_page(therapist_client):
    from bs4 import BeautifulSoup

    exercise = make_exercise(steps=("First.", "Second.", "Third."))
    first = exercise.steps.get(text="First.")
    page = therapist_client.get(f"/admin/catalogue/exercise/{exercise.pk}/change/")
    buttons = {
        b.get_text(strip=True): b["formaction"]
        for b in BeautifulSoup(page.content.decode(), "html.parser").select(
            "button[formaction]"
        )
        if b["formaction"].endswith(f"/steps/{first.pk}/move/down/")
    }
    assert list(buttons) == ["↓ Move down"]
    # what the browser sends when the button is pressed: the form, to its formaction
    response = therapist_client.post(buttons["↓ Move down"], {"name": "ignored"})
    assert response.status_code == 302
    assert list(exercise.steps.order_by("order").values_list("text", flat=True)) == [
        "Second.",
        "First.",
        "Third.",
    ]
    assert therapist_client.get(buttons["↓ Move down"]).status_code == 405
