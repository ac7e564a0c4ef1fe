"""The pages of security round 2, as a browser shows them: axe-clean, and screenshots."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from routines import two_factor
from tests.browser.conftest import axe_violations, log_in
from tests.factories import make_profile, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "strong-enough-pass-42"


def test_two_step_pages_and_pauses_have_no_accessibility_violations(
    page, live_server, artifacts
):
    user = make_user("dorothy", password=PASSWORD, email="d@example.org")
    make_profile(user)
    failures = {}

    def check(name):
        page.screenshot(path=str(artifacts / f"security-{name}.png"), full_page=True)
        if found := axe_violations(page):
            failures[name] = found

    log_in(page, live_server.url, "dorothy", PASSWORD)
    page.goto(live_server.url + "/accounts/me/")
    check("account")
    page.get_by_role("link", name="Turn on two-step sign-in").click()
    page.wait_for_load_state()
    check("two-factor-setup")
    device = TOTPDevice.objects.get(user=user)
    page.get_by_label("The 6 numbers your app shows").fill(
        f"{totp(device.bin_key):06d}"
    )
    page.get_by_role("button", name="Turn it on").click()
    page.get_by_text("Write them down").wait_for()
    check("two-factor-codes")
    page.goto(live_server.url + "/accounts/me/two-factor/")
    check("two-factor-on")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()

    log_in(page, live_server.url, "dorothy", PASSWORD)
    page.get_by_text("One more step: your code").wait_for()
    check("two-factor-verify")
    page.get_by_role("button", name="Cancel and log out").click()
    page.wait_for_load_state()

    for _ in range(5):
        log_in(page, live_server.url, "dorothy", "wrong-password")
    log_in(page, live_server.url, "dorothy", "wrong-password")
    page.get_by_text("Too many tries").wait_for()
    check("too-many-tries")
    assert two_factor.confirmed_app(user) is not None
    assert failures == {}, failures
