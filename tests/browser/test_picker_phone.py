"""The add-exercise picker on a 375 px phone and a 1280 px screen, for a patient and for
their therapist: one page of cards, the search kept across pages, axe clean."""

import pytest
from django.conf import settings
from django.test import Client

from routines.models import HealthProfile, Routine
from tests.browser.conftest import axe_violations, log_in
from tests.factories import make_link, make_therapist, make_user, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "strong-enough-pass-42"


@pytest.fixture
def week(starter_catalogue):
    patient = make_user("dorothy", password=PASSWORD, first_name="Dorothy")
    HealthProfile.objects.create(user=patient, diagnosis="osteoporosis")
    return Routine.objects.create(owner=patient, name="My week")


def test_patient_picks_on_a_phone_page_by_page(page, live_server, week, artifacts):
    page.set_viewport_size({"width": 375, "height": 812})
    log_in(page, live_server.url, "dorothy", PASSWORD)
    page.goto(f"{live_server.url}/routines/{week.pk}/items/add/?day=wed&filtered=1")
    page.screenshot(path=artifacts / "picker-375.png", full_page=True)
    assert page.locator(".exercise-card").count() == 24
    assert page.get_by_text("Page 1 of 3", exact=True).is_visible()
    # Nothing is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.get_by_text(": a warning for you").first.is_visible()
    assert axe_violations(page) == []

    page.get_by_role("textbox", name="Search exercises").fill("stand")
    page.get_by_role("button", name="Show exercises").click()
    page.wait_for_load_state()
    searched = page.locator(".exercise-card h3").all_inner_texts()
    assert searched
    assert all(
        "stand" in page.locator(".exercise-card").nth(i).inner_text().lower()
        for i in range(len(searched))
    )

    page.goto(f"{live_server.url}/routines/{week.pk}/items/add/?day=wed&filtered=1")
    page.get_by_role("link", name="Next page").click()
    page.wait_for_load_state()
    assert page.get_by_text("Page 2 of 3", exact=True).is_visible()
    assert "day=wed" in page.url
    assert axe_violations(page) == []
    page.get_by_role("link", name="Choose", exact=False).first.click()
    page.wait_for_load_state()
    assert page.get_by_label("Day").input_value() == "wed"

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/routines/{week.pk}/items/add/?day=wed")
    page.screenshot(path=artifacts / "picker-1280.png", full_page=True)
    assert page.get_by_label("Only exercises suitable for me").is_checked()
    assert page.get_by_text(": a warning for you").count() == 0
    assert axe_violations(page) == []


def test_therapist_picks_for_a_patient_on_a_phone(page, live_server, week, artifacts):
    therapist = make_therapist("sam", first_name="Sam", last_name="Carter")
    make_link(week.owner, therapist)
    # Signed in past the second step, as the server-side tests do (see sign_in).
    client = sign_in(Client(), therapist)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{live_server.url}/clinic/routines/{week.pk}/items/add/?day=fri")
    page.screenshot(path=artifacts / "clinic-picker-375.png", full_page=True)
    assert page.get_by_role("heading", name="Add an exercise to Friday").is_visible()
    assert page.get_by_label("Only exercises suitable for Dorothy").is_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert axe_violations(page) == []
    page.get_by_role("link", name="Choose", exact=False).first.click()
    page.wait_for_load_state()
    assert "/clinic/routines/" in page.url
    assert page.get_by_label("Day").input_value() == "fri"
    page.screenshot(path=artifacts / "clinic-item-form-375.png", full_page=True)
    assert axe_violations(page) == []
