"""Rules version 2 in a real browser: the danger-exercise page and the printed sheet."""

import pytest
from playwright.sync_api import expect

from catalogue.models import Exercise
from routines.models import HealthProfile, Routine, RoutineItem, Weekday
from tests.browser.conftest import axe_violations, log_in
from tests.browser.test_pages import pdf_pages
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "strong-enough-pass-42"


@pytest.fixture
def harold(starter_catalogue):
    """High risk by two broken wrists; a week with floor work and a confirmed danger item."""
    user = make_user("harold", password=PASSWORD, first_name="Harold")
    HealthProfile.objects.create(
        user=user, diagnosis="osteopenia", fragility_fractures=2, fracture_wrist=True
    )
    routine = Routine.objects.create(owner=user, name="Harold's week")
    exercises = Exercise.objects.in_bulk(field_name="slug")
    week = [
        (Weekday.MONDAY, "brisk-walking", None, 20),
        (Weekday.MONDAY, "bridge", 10, None),
        (Weekday.TUESDAY, "dead-bug", 8, None),
        (Weekday.WEDNESDAY, "tai-chi", None, 20),
        (Weekday.THURSDAY, "bridge", 10, None),
        (Weekday.FRIDAY, "jumping", 10, None),
    ]
    for position, (day, slug, reps, minutes) in enumerate(week):
        RoutineItem.objects.create(
            routine=routine,
            exercise=exercises[slug],
            day=day,
            position=position,
            sets=2 if reps else None,
            reps=reps,
            minutes=minutes,
            acknowledged_codes="HIGH_IMPACT" if slug == "jumping" else "",
            danger_acknowledged_at="2026-11-20T10:00Z" if slug == "jumping" else None,
        )
    return routine


def test_danger_exercise_page_hides_the_steps_until_opened(
    page, live_server, harold, artifacts
):
    log_in(page, live_server.url, "harold", PASSWORD)
    page.goto(f"{live_server.url}/catalogue/jumping/")
    heading = page.get_by_role("heading", name="Not for you", exact=False)
    assert heading.is_visible()
    safe = page.locator(".safe-choices")
    assert safe.get_by_role("link", name="Brisk walking").is_visible()
    assert safe.get_by_role("link", name="Heel drops").count() == 0
    first_step = page.get_by_text(
        "Bend your knees slightly and jump a few", exact=False
    )
    assert first_step.count() == 1
    assert first_step.is_hidden()
    assert page.get_by_text("How much").count() == 0
    page.screenshot(path=str(artifacts / "danger-exercise-page.png"), full_page=True)
    assert axe_violations(page) == []

    summary = page.get_by_text(
        "How it is done — only if your therapist has approved it"
    )
    summary.click()
    assert first_step.is_visible()
    assert axe_violations(page) == []
    # The keyboard opens it too.
    page.reload()
    summary.focus()
    page.keyboard.press("Enter")
    assert first_step.is_visible()


def test_printed_sheet_prints_the_floor_transfer_once_and_the_confirmation(
    page, live_server, harold, artifacts
):
    log_in(page, live_server.url, "harold", PASSWORD)
    page.goto(f"{live_server.url}/routines/{harold.pk}/print/")
    assert axe_violations(page) == []
    page.emulate_media(media="print")
    pdf = artifacts / "floor-and-danger-sheet.pdf"
    page.pdf(path=str(pdf), format="A4")
    text = "\n".join(pdf_pages(pdf))
    # The way down and up: once, before the floor exercises, though two of them are in.
    assert text.count("Roll onto your back as one piece, like a log") == 1
    assert text.index("Before any floor exercise") < text.index("Squeeze your buttocks")
    assert text.count("Start on the floor") == 2  # bridge and dead bug, each once
    # Jumping is danger for Harold and confirmed: its steps, who confirmed and when.
    assert "Confirmed (Friday) by Harold on 20 November 2026" in text
    assert "Steps not printed" not in text
    jumping = Exercise.objects.get(slug="jumping")
    assert jumping.steps.first().text[:30] in text


def test_printed_sheet_leaves_out_unconfirmed_danger_steps(page, live_server, harold):
    RoutineItem.objects.filter(exercise__slug="jumping").update(
        acknowledged_codes="", danger_acknowledged_at=None
    )
    log_in(page, live_server.url, "harold", PASSWORD)
    page.goto(f"{live_server.url}/routines/{harold.pk}/print/")
    sheet = page.locator("article", has=page.get_by_role("heading", name="Jumping"))
    assert "Steps not printed" in sheet.inner_text()
    assert sheet.locator("ol").count() == 0


def test_new_pages_have_no_accessibility_violations(page, live_server, harold):
    failures = {}
    for path in ("/moving-safely/", "/catalogue/floor-transfer/", "/catalogue/bridge/"):
        page.goto(live_server.url + path)
        if violations := axe_violations(page):
            failures[path] = violations
    log_in(page, live_server.url, "harold", PASSWORD)
    for path in (
        "/routines/profile/",
        "/catalogue/heel-drops/",
        f"/routines/{harold.pk}/items/add/?exercise=bridge&day=tue",
    ):
        page.goto(live_server.url + path)
        if violations := axe_violations(page):
            failures[path] = violations
    assert failures == {}


def test_a_danger_added_without_the_tick_says_so_at_the_top_on_a_phone(
    browser, live_server, harold, artifacts
):
    """The page opens again at the top: what to fix is there, focused (read out), with a
    link down to the box, not only beside the box a phone's length below."""
    page = browser.new_page(viewport={"width": 375, "height": 812}, bypass_csp=True)
    log_in(page, live_server.url, "harold", PASSWORD)
    page.goto(f"{live_server.url}/routines/{harold.pk}/items/add/sit-up/?day=fri")
    page.get_by_role("button", name="Add to my week").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("Not saved yet")
    page.screenshot(path=str(artifacts / "danger-untick-375.png"))
    summary.get_by_role("link").click()
    box = page.locator("#id_acknowledge_danger")
    expect(box).to_be_in_viewport()
    assert axe_violations(page) == []
    assert not RoutineItem.objects.filter(exercise__slug="sit-up").exists()
    page.close()


def test_a_dose_error_links_to_its_box_with_the_label_in_view_on_a_phone(
    browser, live_server, harold
):
    page = browser.new_page(viewport={"width": 375, "height": 812}, bypass_csp=True)
    log_in(page, live_server.url, "harold", PASSWORD)
    bridge = RoutineItem.objects.filter(exercise__slug="bridge").first()
    page.goto(f"{live_server.url}/routines/{harold.pk}/items/{bridge.pk}/")
    page.locator("#id_sets").fill("0")
    page.locator("#id_reps").fill("999")
    page.get_by_role("button", name="Save changes").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    assert links.count() == 2  # in the order of the form: sets, then repetitions
    links.first.click()
    expect(page.locator("#id_sets")).to_be_in_viewport()
    expect(page.locator("label[for=id_sets]")).to_be_in_viewport()  # not under the edge
    bridge.refresh_from_db()
    assert (bridge.sets, bridge.reps) == (2, 10)
    page.close()
