"""Security round 2, signing in: throttling, forged addresses, sessions, two-step sign-in.

Each test keeps one probe of docs/security.md. Clocks are moved, never slept on.
"""

import re
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.asserts import assertContains, assertRedirects

from bonefit import middleware, throttle
from catalogue.roles import THERAPISTS
from routines import two_factor
from tests.factories import make_profile, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "right-password-123"


def login(client, username, password, ip="10.0.0.1", **extra):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
        **extra,
    )


@pytest.fixture
def clock(monkeypatch):
    """Move the throttle and session clocks forward without sleeping."""
    moment = [time.time()]
    monkeypatch.setattr(throttle, "now", lambda: moment[0])
    monkeypatch.setattr(middleware, "now", lambda: moment[0])

    def advance(minutes):
        moment[0] += minutes * 60

    return advance


def code_for(device, offset=0):
    """A real TOTP code, as the person's phone would show it."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


# --- 2. throttling --------------------------------------------------------------------


def test_repeated_wrong_passwords_pause_one_account_from_one_address(client):
    make_user("alice", password=PASSWORD)
    make_user("bob", password="bobs-password-123")
    for _ in range(5):
        assertContains(
            login(client, "alice", "wrong"),
            "Please enter a correct username and password",
        )
    paused = login(client, "alice", PASSWORD)  # even the right password waits
    assertContains(paused, "Too many tries", status_code=429)
    assertContains(paused, "15 minutes", status_code=429)
    assertContains(paused, "Set a new password", status_code=429)
    assert paused["Retry-After"] == "900"
    # Not the whole clinic: another account from the same address, and alice elsewhere.
    assert login(Client(), "bob", "bobs-password-123").status_code == 302
    assert login(Client(), "alice", PASSWORD, ip="10.0.0.2").status_code == 302


def test_pause_ends_after_the_cool_off(client, clock):
    make_user("alice", password=PASSWORD)
    for _ in range(5):
        login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 429
    clock(16)
    assert login(client, "alice", PASSWORD).status_code == 302


def test_password_spraying_from_one_address_is_stopped():
    """The probe: 30 user names × 1 wrong password from one address all got 200."""
    for n in range(30):
        make_user(f"user{n}", password=PASSWORD)
    answers = [
        login(Client(), f"user{n}", "Winter2026!").status_code for n in range(30)
    ]
    assert answers[:20] == [200] * 20
    assert answers[20:] == [429] * 10
    # another address is not affected
    assert login(Client(), "user0", PASSWORD, ip="10.9.9.9").status_code == 302


def test_someone_behind_the_same_address_cannot_lock_out_a_patient_who_has_signed_in_before():
    """A care home's network: the attacker shares the patient's address."""
    make_user("alice", password=PASSWORD)
    patients_browser = Client()
    assert login(patients_browser, "alice", PASSWORD).status_code == 302
    patients_browser.post("/accounts/logout/")
    attacker = Client()
    for _ in range(40):
        login(attacker, "alice", "guess")
    assert login(attacker, "alice", PASSWORD).status_code == 429
    # the patient's own browser carries its device cookie and still gets in
    assert login(patients_browser, "alice", PASSWORD).status_code == 302


def test_the_device_cookie_has_its_own_limit_and_cannot_be_forged(client):
    make_user("alice", password=PASSWORD)
    assert login(client, "alice", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(5):
        login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 429
    forged = Client()
    forged.cookies["bonefit-device"] = "not-signed"
    for _ in range(5):
        login(forged, "alice", "wrong", ip="10.0.0.7")
    assert login(forged, "alice", PASSWORD, ip="10.0.0.7").status_code == 429


def test_a_locked_out_patient_resets_the_password_and_is_signed_in(client):
    make_user("alice", password=PASSWORD, email="alice@example.org")
    for _ in range(40):
        login(Client(), "alice", "guess")  # from the patient's own address
    assert login(client, "alice", PASSWORD).status_code == 429
    client.post("/accounts/password_reset/", {"email": "alice@example.org"})
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body)[1]
    form_page = client.get(link, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {
            "new_password1": "a-brand-new-pass-77",
            "new_password2": "a-brand-new-pass-77",
        },
        follow=True,
    )
    assertContains(response, "You are logged in")
    assert client.get("/routines/").status_code == 200
    # and the lock is gone for the account, from this address too
    assert login(Client(), "alice", "a-brand-new-pass-77").status_code == 302


def test_password_reset_mails_are_limited_per_email_and_per_address(client):
    """The probe: 20 reset requests in a row sent 20 mails."""
    make_user("alice", password=PASSWORD, email="alice@example.org")
    answers = [
        client.post(
            "/accounts/password_reset/", {"email": "alice@example.org"}
        ).status_code
        for _ in range(20)
    ]
    assert answers[:3] == [302] * 3
    assert set(answers[3:]) == {429}
    assert len(mail.outbox) == 3
    refused = client.post("/accounts/password_reset/", {"email": "alice@example.org"})
    assertContains(refused, "look in your email", status_code=429)
    # one address asking for many e-mails is limited too (and learns nothing about them)
    for n in range(10):
        Client().post(
            "/accounts/password_reset/",
            {"email": f"x{n}@example.org"},
            REMOTE_ADDR="10.1.1.1",
        )
    refused = Client().post(
        "/accounts/password_reset/", {"email": "y@example.org"}, REMOTE_ADDR="10.1.1.1"
    )
    assert refused.status_code == 429


def test_sign_ups_are_limited_per_address(app):
    """The probe: 15 sign-ups from one address, no limit."""
    statuses = []
    for n in range(12):
        client = Client()
        statuses.append(
            client.post(
                "/accounts/signup/",
                {
                    "username": f"newcomer{n}",
                    "password1": "a-long-enough-pass-123",
                    "password2": "a-long-enough-pass-123",
                },
            ).status_code
        )
    assert statuses == [302] * 10 + [429] * 2
    page = Client().get("/accounts/signup/")
    assert page.status_code == 200  # looking is fine; only making accounts is paused


# --- 3. forged client addresses --------------------------------------------------------


def test_forged_forwarded_for_does_not_escape_the_pause_behind_one_proxy(settings):
    """The probe: rotating X-Forwarded-For headers got 12 × 200."""
    settings.TRUSTED_PROXY_COUNT = 1
    make_user("alice", password=PASSWORD)
    answers = []
    for n in range(12):
        # The client forges the left part; the proxy appends the real address.
        answers.append(
            login(
                Client(),
                "alice",
                "wrong",
                ip="127.0.0.1",
                HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.7",
            ).status_code
        )
    assert answers == [200] * 5 + [429] * 7
    # another patient behind the same proxy is not affected
    other = login(
        Client(), "alice", PASSWORD, ip="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.44"
    )
    assert other.status_code == 302


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    make_user("alice", password=PASSWORD)
    answers = [
        login(
            Client(), "alice", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        ).status_code
        for n in range(12)
    ]
    assert answers == [200] * 5 + [429] * 7


def test_two_proxies_take_the_second_address_from_the_right(rf, settings):
    from bonefit.network import client_ip

    settings.TRUSTED_PROXY_COUNT = 2
    request = rf.get(
        "/",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7, 10.0.0.1",
    )
    assert client_ip(request) == "203.0.113.7"
    # a header that did not pass both proxies: the socket's address
    short = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_ip(short) == "10.0.0.2"


# --- 6. sessions ------------------------------------------------------------------------


def test_patients_are_logged_out_after_four_idle_hours(patient_client, clock):
    assert patient_client.get("/routines/").status_code == 200
    clock(3 * 60 + 50)
    assert patient_client.get("/routines/").status_code == 200  # activity renews
    clock(3 * 60 + 50)
    assert patient_client.get("/routines/").status_code == 200
    clock(4 * 60 + 1)
    response = patient_client.get("/routines/", follow=True)
    assertContains(response, "You were logged out because the page was left")
    assert patient_client.get("/routines/").status_code == 302


def test_staff_are_logged_out_after_thirty_idle_minutes(therapist_client, clock):
    assert therapist_client.get("/admin/").status_code == 200
    clock(29)
    assert therapist_client.get("/admin/").status_code == 200
    clock(31)
    response = therapist_client.get("/admin/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_absolute_limit_holds_however_active(patient_client, clock):
    for _ in range(14 * 8):  # every three hours for fourteen days
        assert patient_client.get("/routines/").status_code == 200
        clock(3 * 60)
    clock(60)  # fourteen days and an hour after signing in
    response = patient_client.get("/routines/", follow=True)
    assertContains(response, "You have been logged in for a long time")


def test_cookies_use_host_prefix_when_secure():
    import os
    import subprocess
    import sys

    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.DEVICE_COOKIE_NAME)"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.getcwd(),
        "DJANGO_SETTINGS_MODULE": "bonefit.settings",
        "DJANGO_SECRET_KEY": "k" * 60,
        "DJANGO_EMAIL_DISABLED": "true",
    }
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env
    )
    assert out.stdout.split() == [
        "__Host-sessionid",
        "__Host-csrftoken",
        "__Host-bonefit-device",
    ], out.stderr


def test_secure_session_cookie_is_set_with_host_prefix_rules(settings):
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"
    settings.SESSION_COOKIE_SECURE = True
    make_user("alice", password=PASSWORD)
    response = login(Client(), "alice", PASSWORD)
    cookie = response.cookies["__Host-sessionid"]
    assert cookie["secure"] is True
    assert cookie["path"] == "/"
    assert not cookie["domain"]


def test_log_out_sends_clear_site_data(patient_client):
    response = patient_client.post("/accounts/logout/")
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert patient_client.get("/routines/").status_code == 302


# --- 9. two-step sign-in ---------------------------------------------------------------


@pytest.fixture
def staff_member(db):
    user = make_user("terry", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=THERAPISTS))
    return user


def test_staff_type_a_real_code_before_the_admin(staff_member):
    device, codes = two_factor.enrol(staff_member)
    client = Client()
    response = login(client, "terry", PASSWORD)
    assert response.status_code == 302
    admin = client.get("/admin/")
    assertRedirects(
        admin, "/accounts/two-factor/?next=%2Fadmin%2F", fetch_redirect_response=False
    )
    wrong = client.post("/accounts/two-factor/", {"code": "000000", "next": "/admin/"})
    assertContains(wrong, "That code is not right", status_code=400)
    assert client.get("/admin/").status_code == 302
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    device.refresh_from_db()
    right = client.post(
        "/accounts/two-factor/", {"code": code_for(device), "next": "/admin/"}
    )
    assertRedirects(right, "/admin/", fetch_redirect_response=False)
    assertContains(client.get("/admin/"), "Exercise catalogue")


def test_a_used_code_cannot_be_replayed(staff_member):
    device, _codes = two_factor.enrol(staff_member)
    code = code_for(device)
    first, second = Client(), Client()
    login(first, "terry", PASSWORD)
    login(second, "terry", PASSWORD, ip="10.0.0.2")
    assert first.post("/accounts/two-factor/", {"code": code}).status_code == 302
    assert second.post("/accounts/two-factor/", {"code": code}).status_code == 400


def test_a_recovery_code_works_once(staff_member):
    _device, codes = two_factor.enrol(staff_member)
    client = Client()
    login(client, "terry", PASSWORD)
    response = client.post(
        "/accounts/two-factor/", {"code": codes[0], "next": "/admin/"}, follow=True
    )
    assertContains(response, "You used a recovery code. You have 9 left")
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    again = Client()
    login(again, "terry", PASSWORD)
    assert again.post("/accounts/two-factor/", {"code": codes[0]}).status_code == 400


def test_staff_without_a_device_are_sent_to_set_one_up(staff_member):
    client = Client()
    login(client, "terry", PASSWORD)
    response = client.get("/admin/catalogue/exercise/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/me/two-factor/")
    # Pages outside /admin/ and /clinic/ stay open to them.
    assert client.get("/catalogue/").status_code == 200


def test_every_url_under_clinic_needs_the_second_step(staff_member, rf):
    """/clinic/ does not exist yet: the middleware is tested directly on a path in it."""
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse
    from django_otp.middleware import OTPMiddleware

    reached = []

    def view(request):
        reached.append(request.path)
        return HttpResponse("clinic page")

    def run(path, user):
        request = rf.get(path)
        request.user = user
        request.session = SessionStore()
        request._messages = FallbackStorage(request)
        # the real chain: django-otp adds is_verified(), then ours decides
        return OTPMiddleware(middleware.TwoFactorMiddleware(view))(request)

    for path in ("/clinic/", "/clinic/patients/7/", "/clinic/anything/at/all"):
        response = run(path, staff_member)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/me/two-factor/?next=")
    assert reached == []
    private = middleware.PrivateCacheMiddleware(view)(rf.get("/clinic/"))
    assert "no-store" in private["Cache-Control"]


def test_a_patient_turns_on_two_step_sign_in_from_the_account_page(app, patient):
    page = app.get("/accounts/me/", user=patient)
    setup = page.click("Turn on two-step sign-in")
    assert "type this key" in setup.text
    assert 'src="data:image/svg+xml' in setup.text
    device = TOTPDevice.objects.get(user=patient, confirmed=False)
    form = setup.forms[1]
    form["code"] = "123456" if code_for(device) != "123456" else "654321"
    wrong = form.submit(status=400)
    assert "That code is not right" in wrong.text
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    device.refresh_from_db()
    form = wrong.forms[1]
    form["code"] = code_for(device)
    codes_page = form.submit()
    assert "Two-step sign-in is on" in codes_page.text
    assert len(codes_page.html.select(".recovery-codes li")) == 10
    device.refresh_from_db()
    assert device.confirmed
    # from now on, signing in asks for a code
    client = Client()
    login(client, "alice", "a-long-enough-pass-123")
    assert client.get("/routines/")["Location"].startswith("/accounts/two-factor/")


def test_a_patient_can_turn_it_off_with_a_code_but_staff_cannot(patient, staff_member):
    _device, codes = two_factor.enrol(patient)
    client = Client()
    login(client, "alice", "a-long-enough-pass-123")
    client.post("/accounts/two-factor/", {"code": codes[0]})
    response = client.post(
        "/accounts/me/two-factor/off/", {"code": codes[1]}, follow=True
    )
    assertContains(response, "Two-step sign-in is off")
    assert not TOTPDevice.objects.filter(user=patient).exists()
    staff_client = Client()
    _device, staff_codes = two_factor.enrol(staff_member)
    login(staff_client, "terry", PASSWORD)
    staff_client.post("/accounts/two-factor/", {"code": staff_codes[0]})
    refused = staff_client.post(
        "/accounts/me/two-factor/off/", {"code": staff_codes[1]}
    )
    assert refused.status_code == 403
    assert TOTPDevice.objects.filter(user=staff_member).exists()


def test_wrong_codes_are_throttled(patient):
    two_factor.enrol(patient)
    client = Client()
    login(client, "alice", "a-long-enough-pass-123")
    answers = [
        client.post("/accounts/two-factor/", {"code": "abcdefgh"}).status_code
        for _ in range(12)
    ]
    assert answers == [400] * 10 + [429] * 2


def test_half_signed_in_person_sees_no_health_data(patient):
    two_factor.enrol(patient)
    make_profile  # noqa: B018 - the patient fixture already has a profile
    client = Client()
    login(client, "alice", "a-long-enough-pass-123")
    for url in (
        "/routines/",
        "/routines/profile/",
        "/accounts/me/export/",
        "/accounts/me/two-factor/",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/two-factor/"), url


def test_createtherapist_prints_the_enrolment_key_that_then_signs_in(
    capsys, monkeypatch
):
    import io
    from base64 import b32decode
    from urllib.parse import parse_qs, urlparse

    from django.core.management import call_command

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    call_command("createtherapist", "tina", "--password-stdin")
    out = capsys.readouterr().out
    uri = re.search(r"otpauth://\S+", out)[0]
    assert urlparse(uri).path.endswith("tina")
    key = parse_qs(urlparse(uri).query)["secret"][0]
    shown = re.search(r"Key: ([A-Z2-7 ]+)", out)[1].replace(" ", "")
    assert shown == key
    assert "\u2580" in out or "\u2584" in out or "\u2588" in out  # the QR code
    # the phone, given only that key, makes a code the admin accepts
    code = (
        f"{totp(b32decode(key + '=' * (-len(key) % 8)), step=30, t0=0, digits=6):06d}"
    )
    client = Client()
    assert login(client, "tina", PASSWORD).status_code == 302
    assert (
        client.post(
            "/accounts/two-factor/", {"code": code, "next": "/admin/"}
        ).status_code
        == 302
    )
    assert client.get("/admin/").status_code == 200


def test_the_demo_therapist_signs_in_with_the_readme_key_and_codes(settings):
    from base64 import b32decode

    from django.core.management import call_command

    from routines.management.commands import seed_demo

    settings.DEBUG = True
    call_command("seed_demo", stdout=io_sink())
    readme = Path("README.md").read_text()
    assert seed_demo.DEMO_TOTP_SECRET in readme
    assert seed_demo.DEMO_RECOVERY_CODES[0] in readme
    key = b32decode(seed_demo.DEMO_TOTP_SECRET.replace(" ", "") + "======")
    assert key.hex() == seed_demo.DEMO_TOTP_KEY
    client = Client()
    assert (
        login(client, "therapist", seed_demo.DEMO_THERAPIST_PASSWORD).status_code == 302
    )
    code = f"{totp(key, step=30, t0=0, digits=6):06d}"
    assert client.post("/accounts/two-factor/", {"code": code}).status_code == 302
    assert client.get("/admin/").status_code == 200
    # a recovery code from the README works too, and a second run restores it
    other = Client()
    login(other, "therapist", seed_demo.DEMO_THERAPIST_PASSWORD)
    assert (
        other.post("/accounts/two-factor/", {"code": "demo-code-01"}).status_code == 302
    )
    call_command("seed_demo", stdout=io_sink())
    assert (
        two_factor.recovery_codes_left(
            TOTPDevice.objects.get(user__username="therapist").user
        )
        == 10
    )


def test_no_demo_therapist_without_debug(settings):
    from django.contrib.auth.models import User
    from django.core.management import call_command

    settings.DEBUG = False
    call_command("seed_demo", stdout=io_sink())
    assert not User.objects.filter(username="therapist").exists()


def io_sink():
    import io

    return io.StringIO()
