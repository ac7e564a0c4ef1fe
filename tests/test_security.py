"""Production settings, abuse, and a patient's own data (issue: reliability and security)."""

import json
import logging
import os
import subprocess
import sys

import pytest
from django.db import DatabaseError, transaction
from django.test import Client
from pytest_django.asserts import assertContains

from routines.models import HealthProfile, Routine, RoutineItem
from tests.factories import make_exercise, make_item, make_routine, make_user

pytestmark = pytest.mark.django_db

PRODUCTION_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "DJANGO_SETTINGS_MODULE": "bonefit.settings",
    "DJANGO_SECRET_KEY": "k3y-" + "x9Q!z" * 12,
    "DJANGO_ALLOWED_HOSTS": "bonefit.example.org",
    "DJANGO_EMAIL_HOST": "smtp.example.org",
}


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], capture_output=True, text=True, env=env
    )


def test_deploy_check_is_clean_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


def test_debug_is_off_unless_asked_for(settings):
    script = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS)"
    env = PRODUCTION_ENV | {"PYTHONPATH": os.getcwd()}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env
    ).stdout
    assert out.split() == ["False", "True", "31536000"]


def test_404_page_is_plain_words_without_traceback(client):
    response = client.get("/routines/99999/nothing/")
    assert response.status_code == 404
    assertContains(response, "We cannot find that page", status_code=404)
    assert b"Traceback" not in response.content


def test_500_page_is_plain_words_and_logged(client, monkeypatch, caplog):
    def broken(request):
        raise RuntimeError("boom")

    broken.login_required = False  # as on the real home page
    from bonefit import urls

    monkeypatch.setattr(urls.urlpatterns[0], "callback", broken)
    logger = logging.getLogger("django.request")
    logger.addHandler(caplog.handler)
    try:
        client.raise_request_exception = False
        response = client.get("/")
    finally:
        logger.removeHandler(caplog.handler)
    assert response.status_code == 500
    assert b"Sorry, something went wrong on our side" in response.content
    assert b"boom" not in response.content
    assert b"Traceback" not in response.content
    assert any("Internal Server Error" in r.getMessage() for r in caplog.records)


def test_errors_go_to_stderr():
    from django.conf import settings

    assert settings.LOGGING["handlers"]["stderr"]["class"] == "logging.StreamHandler"
    assert "stderr" in settings.LOGGING["loggers"]["django"]["handlers"]


def test_security_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_template_has_inline_script():
    from pathlib import Path

    for template in Path("templates").rglob("*.html"):
        text = template.read_text()
        for line in text.splitlines():
            if "<script" in line:
                assert " src=" in line, f"inline script in {template}"
        assert " onclick=" not in text
        assert " onload=" not in text


def test_csrf_is_enforced_on_every_form(patient):
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient)
    routine = make_routine(owner=patient)
    for url, data in [
        ("/routines/new/", {"name": "x"}),
        (f"/routines/{routine.pk}/rename/", {"name": "Changed"}),
        (f"/routines/{routine.pk}/delete/", {}),
        ("/routines/profile/", {"diagnosis": "osteopenia"}),
        ("/accounts/me/delete/", {"password": "a-long-enough-pass-123"}),
    ]:
        refused = client.post(url, data)
        assertContains(refused, "Please try again", status_code=403)
    routine.refresh_from_db()
    assert routine.name == "My week"
    assert Routine.objects.count() == 1
    assert HealthProfile.objects.get(user=patient).diagnosis == "osteoporosis"
    # with the token, the same form works
    page = client.get(f"/routines/{routine.pk}/rename/")
    token = page.cookies["csrftoken"].value
    client.post(
        f"/routines/{routine.pk}/rename/",
        {"name": "Changed", "version": routine.version, "csrfmiddlewaretoken": token},
    )
    routine.refresh_from_db()
    assert routine.name == "Changed"


def test_a_page_carries_one_csrf_token_and_the_next_page_another(app, patient):
    """The week page is rendered by both template engines (bonefit.csrf): every form on
    it carries the same masked token, the next response another (the BREACH defence;
    the week's own forms are then in the cached fragment), and a form sent with it
    works."""
    routine = make_routine(owner=patient)
    make_item(routine, make_exercise(name="Bridge"), day=2)
    make_item(routine, make_exercise(name="Wall push-up"), day=2)
    app.set_user(patient)

    def tokens(page):
        return {
            field["value"]
            for field in page.html.select('input[name="csrfmiddlewaretoken"]')
        }

    first = app.get(f"/routines/{routine.pk}/")
    forms_on_page = first.html.select("form[method=post]")
    assert len(forms_on_page) >= 4  # log out, make a copy, move up/down in the week
    assert len(tokens(first)) == 1
    second = app.get(f"/routines/{routine.pk}/")

    def logout_token(page):
        return page.forms["logout-form"]["csrfmiddlewaretoken"].value

    assert logout_token(second) != logout_token(first)

    move_down = next(
        form for form in first.forms.values() if form.action.endswith("/move/down/")
    )
    moved = move_down.submit().follow()
    assert moved.status_code == 200
    assert [item.exercise.name for item in routine.items.order_by("position")] == [
        "Wall push-up",
        "Bridge",
    ]


def login(client, username, password, ip="10.0.0.1"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


# --- a patient's own data ----------------------------------------------------------------


def test_patient_downloads_all_their_data(
    patient_client, patient, other_patient, patterns
):
    HealthProfile.objects.filter(user=patient).update(
        fracture_spine=True, restrictions="No twisting"
    )
    sit_up = make_exercise(slug="sit-up", patterns=["SPINAL_FLEXION"])
    routine = make_routine(owner=patient, name="Mine")
    make_item(
        routine,
        sit_up,
        day=2,
        acknowledged_codes="SPINAL_FLEXION",
        danger_acknowledged_at="2026-11-01T10:00Z",
        notes="slowly",
    )
    make_routine(owner=other_patient, name="Not mine")
    response = patient_client.get("/accounts/me/export/")
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["account"]["username"] == "alice"
    assert data["profile"]["fractures"] == ["spine"]
    assert data["profile"]["restrictions"] == "No twisting"
    assert [r["name"] for r in data["routines"]] == ["Mine"]
    item = data["routines"][0]["items"][0]
    assert (item["day"], item["exercise"], item["notes"]) == ("wed", "sit-up", "slowly")
    assert item["acknowledged"] == ["SPINAL_FLEXION"]
    assert item["danger_acknowledged_at"].startswith("2026-11-01T10:00")


def test_account_deletion_needs_the_password_and_removes_everything(
    patient_client, patient, other_patient
):
    routine = make_routine(owner=patient, items=3)
    make_routine(owner=other_patient, items=2)
    response = patient_client.post("/accounts/me/delete/", {"password": "wrong"})
    assertContains(response, "That password is not right", status_code=400)
    assert Routine.objects.filter(pk=routine.pk).exists()
    response = patient_client.post(
        "/accounts/me/delete/", {"password": "a-long-enough-pass-123"}, follow=True
    )
    assertContains(response, "Your account and everything in it have been deleted")
    assert not type(patient).objects.filter(pk=patient.pk).exists()
    assert not HealthProfile.objects.filter(user_id=patient.pk).exists()
    assert not Routine.objects.filter(owner_id=patient.pk).exists()
    assert RoutineItem.objects.count() == 2  # the other patient's items remain
    assert patient_client.get("/routines/").status_code == 302  # logged out


# --- input hardening ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "field", "limit"),
    [
        (Routine, "name", 100),
        (RoutineItem, "notes", 300),
        (HealthProfile, "restrictions", 2000),
    ],
)
def test_text_limits_hold_in_the_database(patient, model, field, limit, patterns):
    routine = make_routine(owner=patient)
    target = {
        Routine: routine,
        RoutineItem: make_item(routine, make_exercise()),
        HealthProfile: HealthProfile.objects.get(user=patient),
    }[model]
    model.objects.filter(pk=target.pk).update(
        **{field: "x" * limit}
    )  # at the limit: fine
    with pytest.raises(DatabaseError), transaction.atomic():
        model.objects.filter(pk=target.pk).update(**{field: "x" * (limit + 1)})


def test_over_long_and_odd_input_is_a_form_error(patient_client, patient):
    response = patient_client.post("/routines/new/", {"name": "x" * 5000})
    assertContains(response, "at most 100 characters")
    response = patient_client.post(
        "/routines/profile/", {"diagnosis": "osteopenia", "restrictions": "y" * 2001}
    )
    assertContains(response, "at most 2000 characters", status_code=400)
    response = patient_client.post("/routines/profile/", {"diagnosis": "<script>"})
    assertContains(response, "Select a valid choice", status_code=400)
    assert Routine.objects.count() == 0


def test_non_utf8_body_does_not_crash(patient_client):
    response = patient_client.post(
        "/routines/new/",
        data=b"name=%FF%FE%00abc",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code < 500


def test_huge_and_negative_ids_are_404(patient_client):
    assert patient_client.get("/routines/99999999999999999999999/").status_code == 404
    assert patient_client.get("/routines/-1/").status_code == 404


def test_static_files_collect_for_production(tmp_path):
    """The manifest storage fails on a missing file a stylesheet names (a source map, say)."""
    result = manage(
        "collectstatic",
        "--noinput",
        env=PRODUCTION_ENV | {"DJANGO_STATIC_ROOT": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("css/bonefit.*.css.gz"))


def test_password_reset_by_email(client, mailoutbox):
    make_user("dorothy", password="old-password-123", email="dorothy@example.org")
    response = client.post(
        "/accounts/password_reset/", {"email": "dorothy@example.org"}, follow=True
    )
    assertContains(response, "Check your email")
    [mail] = mailoutbox
    assert mail.subject == "Your BoneFit password"
    link = next(word for word in mail.body.split() if "/accounts/reset/" in word)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    assertContains(form_page, "Choose a new password")
    done = client.post(
        form_page.redirect_chain[-1][0],
        {
            "new_password1": "brand-new-password-456",
            "new_password2": "brand-new-password-456",
        },
        follow=True,
    )
    assertContains(done, "Your new password is saved")
    assert login(Client(), "dorothy", "brand-new-password-456").status_code == 302
    # an unknown address says the same, and sends nothing
    client.post("/accounts/password_reset/", {"email": "nobody@example.org"})
    assert len(mailoutbox) == 1


def test_password_change(patient_client):
    response = patient_client.post(
        "/accounts/password_change/",
        {
            "old_password": "a-long-enough-pass-123",
            "new_password1": "another-good-pass-789",
            "new_password2": "another-good-pass-789",
        },
        follow=True,
    )
    assertContains(response, "Your password is changed")


def test_admin_rejects_a_fake_picture(therapist_client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import admin_exercise_form_data, make_exercise

    settings.MEDIA_ROOT = tmp_path
    exercise = make_exercise()
    data = admin_exercise_form_data(exercise) | {
        "picture": SimpleUploadedFile(
            "evil.png", b"<script>alert(1)</script>", content_type="image/png"
        ),
    }
    response = therapist_client.post(
        f"/admin/catalogue/exercise/{exercise.pk}/change/", data
    )
    assert response.status_code == 200
    assertContains(response, "Upload a valid image")
    exercise.refresh_from_db()
    assert not exercise.picture
    assert not list(tmp_path.rglob("*"))


def test_403_page_is_plain_words(therapist_client):
    response = therapist_client.get("/admin/auth/user/")
    assertContains(response, "You cannot open this page", status_code=403)
    assert b"Traceback" not in response.content


def test_a_patient_opening_the_admin_is_told_no_instead_of_going_round_in_circles(
    patient_client,
):
    response = patient_client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) == 1
    assert "You cannot open this page" in response.content.decode()


def test_signed_in_staff_following_an_admin_sign_in_link_go_on_to_the_admin(
    admin_client,
):
    response = admin_client.get("/admin/login/?next=/admin/catalogue/exercise/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/catalogue/exercise/"
