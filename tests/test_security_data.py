"""Security round 2, data: caching, mail, pictures, request sizes, deletion, export.

Each test keeps one probe of docs/security.md.
"""

import io
import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest
from axes.models import AccessAttempt, AccessLog
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from pytest_django.asserts import assertContains

from catalogue.models import Exercise
from routines.models import HealthProfile
from tests.factories import (
    admin_exercise_form_data,
    make_exercise,
    make_item,
    make_routine,
    make_user,
)

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-pass-123"  # the patient fixture's


# --- 1. caching ---------------------------------------------------------------------------


def test_no_page_shown_to_a_signed_in_person_may_be_stored(patient_client, patient):
    routine = make_routine(owner=patient, items=1)
    for url in (
        "/routines/",
        routine.get_absolute_url(),
        f"/routines/{routine.pk}/print/",
        "/routines/profile/",
        "/accounts/me/",
        "/accounts/me/export/",
        "/catalogue/",
        "/",
    ):
        response = patient_client.get(url)
        assert response.status_code == 200, url
        cache_control = response["Cache-Control"]
        assert "no-store" in cache_control, url
        assert "private" in cache_control, url


def test_public_pages_for_visitors_are_not_marked_private(client):
    assert "no-store" not in client.get("/catalogue/").get("Cache-Control", "")


def test_admin_pages_are_never_stored(therapist_client):
    assert "no-store" in therapist_client.get("/admin/")["Cache-Control"]


# --- 4. mail ------------------------------------------------------------------------------


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 Message accepted for delivery"

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def test_reset_mail_is_really_sent_over_smtp(client, settings, smtp_server):
    controller, inbox = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    make_user("dorothy", password="old-password-123", email="dorothy@example.org")
    response = client.post(
        "/accounts/password_reset/", {"email": "dorothy@example.org"}, follow=True
    )
    assertContains(response, "Check your email")
    [envelope] = inbox.messages
    assert envelope.rcpt_tos == ["dorothy@example.org"]
    body = envelope.content.decode()
    assert "Subject: Your BoneFit password" in body
    assert "/accounts/reset/" in body


def test_a_mail_server_that_is_down_is_logged_not_shown(client, settings, caplog):
    """The page says the same either way, so it never tells whether an account exists."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    make_user("dorothy", password="old-password-123", email="dorothy@example.org")
    response = client.post(
        "/accounts/password_reset/", {"email": "dorothy@example.org"}, follow=True
    )
    assertContains(response, "Check your email")
    assert "Failed to send password reset email" in caplog.text


PRODUCTION = {
    "PATH": os.environ.get("PATH", ""),
    "DJANGO_SETTINGS_MODULE": "bonefit.settings",
    "DJANGO_SECRET_KEY": "k3y-" + "x9Q!z" * 12,
    "DJANGO_ALLOWED_HOSTS": "bonefit.example.org",
}


def _check(env):
    return subprocess.run(
        [sys.executable, "manage.py", "check"], capture_output=True, text=True, env=env
    )


def test_production_refuses_to_start_without_mail_settings():
    """The probe: production used the console backend, so reset links went to the log."""
    refused = _check(PRODUCTION)
    assert refused.returncode != 0
    assert "Set DJANGO_EMAIL_HOST" in refused.stderr
    assert (
        _check(PRODUCTION | {"DJANGO_EMAIL_HOST": "smtp.example.org"}).returncode == 0
    )
    assert _check(PRODUCTION | {"DJANGO_EMAIL_DISABLED": "true"}).returncode == 0


def test_with_mail_turned_off_reset_says_so_and_sends_nothing(client, settings):
    settings.PASSWORD_RESET_BY_EMAIL = False
    make_user("dorothy", email="dorothy@example.org")
    page = client.get("/accounts/password_reset/")
    assertContains(page, "does not send emails")
    assertContains(page, "ask your clinic")
    client.post("/accounts/password_reset/", {"email": "dorothy@example.org"})
    assert mail.outbox == []


# --- 5. pictures --------------------------------------------------------------------------


def _image_bytes(fmt, exif=False, size=(40, 30)):
    image = Image.new("RGB", size, (200, 120, 40))
    out = io.BytesIO()
    extra = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SpyCam Ltd"  # Make
        data[0x0132] = "2026:11:01 10:00:00"  # DateTime
        extra["exif"] = data.tobytes()
    image.save(out, fmt, **extra)
    return out.getvalue()


def _upload(therapist_client, exercise, name, content):
    data = admin_exercise_form_data(exercise) | {
        "picture": SimpleUploadedFile(name, content)
    }
    return therapist_client.post(
        f"/admin/catalogue/exercise/{exercise.pk}/change/", data
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_a_script_appended_to_a_picture_is_not_stored(therapist_client, media):
    exercise = make_exercise()
    payload = _image_bytes("PNG") + b"<script>alert(document.cookie)</script>"
    response = _upload(therapist_client, exercise, "x.php.png", payload)
    assert response.status_code == 302
    exercise.refresh_from_db()
    stored = (media / exercise.picture.name).read_bytes()
    assert b"<script" not in stored
    assert stored != payload
    assert "php" not in exercise.picture.name
    assert exercise.picture.name.startswith("exercises/")
    assert exercise.picture.name.endswith(".png")
    with Image.open(media / exercise.picture.name) as image:
        assert (image.format, image.size) == ("PNG", (40, 30))


@pytest.mark.parametrize(
    ("fmt", "extension"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")]
)
def test_exif_is_dropped(therapist_client, media, fmt, extension):
    exercise = make_exercise()
    original = _image_bytes(fmt, exif=True)
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif()  # the upload really carries EXIF
    assert (
        _upload(therapist_client, exercise, f"me.{extension}", original).status_code
        == 302
    )
    exercise.refresh_from_db()
    stored = (media / exercise.picture.name).read_bytes()
    assert b"SpyCam" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()
        assert image.format == fmt


def test_a_gif_is_refused_as_the_message_says(therapist_client, media):
    exercise = make_exercise()
    response = _upload(therapist_client, exercise, "moving.gif", _image_bytes("GIF"))
    assertContains(response, "Please upload a JPEG, PNG or WebP image")
    exercise.refresh_from_db()
    assert not exercise.picture
    assert not list(media.rglob("*.*"))


def test_a_replaced_picture_is_deleted_and_no_longer_served(
    therapist_client, media, django_capture_on_commit_callbacks
):
    exercise = make_exercise()
    with django_capture_on_commit_callbacks(execute=True):
        _upload(therapist_client, exercise, "first.png", _image_bytes("PNG"))
    exercise.refresh_from_db()
    first = exercise.picture.name
    assert (media / first).exists()
    with django_capture_on_commit_callbacks(execute=True):
        _upload(therapist_client, exercise, "second.jpg", _image_bytes("JPEG"))
    exercise.refresh_from_db()
    assert exercise.picture.name != first
    assert not (media / first).exists()  # so /media/ can no longer serve it
    assert [p.name for p in (media / "exercises").iterdir()] == [
        exercise.picture.name.split("/")[-1]
    ]


def test_a_big_file_part_to_a_patient_page_is_refused(patient_client, patient):
    """The probe: a 10 MB file part to the rename view was accepted."""
    routine = make_routine(owner=patient, name="Mine")
    response = patient_client.post(
        f"/routines/{routine.pk}/rename/",
        {"name": "Changed", "file": SimpleUploadedFile("big.bin", b"x" * 10_000_000)},
    )
    assertContains(response, "too much to send", status_code=413)
    routine.refresh_from_db()
    assert routine.name == "Mine"


def test_the_admin_still_takes_a_picture_of_some_megabytes(therapist_client, media):
    exercise = make_exercise()
    noisy = Image.effect_noise((1200, 1000), 90).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "PNG")
    assert out.tell() > 1_000_000
    assert (
        _upload(therapist_client, exercise, "big.png", out.getvalue()).status_code
        == 302
    )


# --- 7. deletion leaves no traces ---------------------------------------------------------


def _sign_in(username, password):
    client = Client()
    response = client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR="10.0.0.5",
        HTTP_USER_AGENT="Test browser 1.0",
    )
    assert response.status_code == 302
    return client


def test_the_export_holds_the_sign_in_history(patient):
    Client().post(
        "/accounts/login/",
        {"username": "alice", "password": "wrong"},
        REMOTE_ADDR="10.0.0.9",
    )
    client = _sign_in("alice", PASSWORD)
    data = json.loads(client.get("/accounts/me/export/").content)
    [sign_in] = data["sign_ins"]
    assert sign_in["address"] == "10.0.0.5"
    assert sign_in["browser"] == "Test browser 1.0"
    assert data["two_step_sign_in"] == {"on": False, "recovery_codes_left": 0}


def test_deleting_the_account_deletes_its_sign_in_log(patient, other_patient):
    client = _sign_in("alice", PASSWORD)
    _sign_in("bob", PASSWORD)
    Client().post("/accounts/login/", {"username": "alice", "password": "x"})
    assert AccessLog.objects.filter(username="alice").exists()
    client.post("/accounts/me/delete/", {"password": PASSWORD})
    assert not AccessLog.objects.filter(username="alice").exists()
    assert not AccessAttempt.objects.filter(username="alice").exists()
    assert AccessLog.objects.filter(username="bob").exists()  # others keep theirs


def test_deleted_health_data_is_gone_from_the_sqlite_files(tmp_path):
    """The probe: deleted health data stayed in SQLite's WAL until a checkpoint."""
    database = tmp_path / "bonefit.sqlite3"
    script = textwrap.dedent(
        """
        import django
        django.setup()
        from django.core.management import call_command
        from django.test import Client
        call_command("migrate", verbosity=0)
        from django.contrib.auth.models import User
        from routines.models import HealthProfile
        user = User.objects.create_user("zelda", password="a-long-enough-pass-123")
        HealthProfile.objects.create(user=user, restrictions="MARKER-hip-replaced-2019")
        client = Client()
        client.force_login(user)
        assert client.post("/accounts/me/delete/",
                           {"password": "a-long-enough-pass-123"}).status_code == 302
        # Still connected, as a running server is: closing would checkpoint anyway.
        import glob
        for path in glob.glob(DATABASE + "*"):
            with open(path, "rb") as file:
                assert b"MARKER-hip-replaced" not in file.read(), path
        """
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.getcwd(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_ALLOWED_HOSTS": "testserver",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"DATABASE = {str(database)!r}\n{script}"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    for path in tmp_path.glob("bonefit.sqlite3*"):
        assert b"MARKER-hip-replaced" not in path.read_bytes(), path.name


def test_account_deletion_removes_everything_else_too(patient_client, patient):
    routine = make_routine(owner=patient)
    make_item(routine, make_exercise())
    patient_client.post("/accounts/me/delete/", {"password": PASSWORD})
    assert not HealthProfile.objects.filter(user_id=patient.pk).exists()
    assert Exercise.objects.count() == 1  # the catalogue is not the patient's
