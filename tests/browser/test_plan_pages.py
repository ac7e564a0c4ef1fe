"""Today, the history and the tick sheet in Chromium: axe, the chart against the table, paper."""

import subprocess
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from routines.models import HealthProfile, PlanSettings, Routine, RoutineItem
from routines.models import SessionLog as Log
from tests.browser.conftest import axe_violations, log_in
from tests.browser.test_pages import pdf_pages
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "strong-enough-pass-42"
WEEK = [
    (0, "brisk-walking", None, None, 30),
    (0, "sit-to-stand", 2, 10, None),
    (1, "single-leg-stance-supported", None, None, 5),
    (2, "brisk-walking", None, None, 30),
    (3, "squat-to-chair", 2, 10, None),
    (3, "band-row", 2, 10, None),
    (4, "tai-chi", None, None, 30),
    (5, "brisk-walking", None, None, 40),
    (6, "heel-raises", 2, 12, None),
]


@pytest.fixture
def follower(starter_catalogue):
    from catalogue.models import Exercise

    user = make_user("dorothy", password=PASSWORD, first_name="Dorothy")
    HealthProfile.objects.create(user=user, diagnosis="osteoporosis")
    routine = Routine.objects.create(owner=user, name="My week")
    exercises = Exercise.objects.in_bulk(field_name="slug")
    for position, (day, slug, sets, reps, minutes) in enumerate(WEEK):
        RoutineItem.objects.create(
            routine=routine,
            exercise=exercises[slug],
            day=day,
            position=position,
            sets=sets,
            reps=reps,
            minutes=minutes,
        )
    settings = PlanSettings(user=user)
    today = settings.today()
    PlanSettings.objects.create(
        user=user, routine=routine, following_since=today - timedelta(weeks=6)
    )
    items = list(routine.items.select_related("routine", "exercise"))
    # Six weeks of logs: every other session, the sit-to-stand easy every time.
    for offset in range(1, 43):
        day = today - timedelta(days=offset)
        for n, item in enumerate(i for i in items if i.day == day.weekday()):
            if item.exercise.slug == "sit-to-stand" or (offset + n) % 2:
                log, _ = Log.mark_done(item=item, day=day)
                Log.objects.filter(pk=log.pk).update(feeling="easy", hurt=False)
    # Today: the first item done and painful, so the warning shows.
    first_today = next((i for i in items if i.day == today.weekday()), None)
    if first_today is not None:
        Log.record_answers(item=first_today, day=today, feeling="hard", hurt=True)
    return routine


def test_today_and_history_have_no_accessibility_violations(
    page, live_server, follower
):
    log_in(page, live_server.url, "dorothy", PASSWORD)
    failures = {}
    for path in ("/today/", "/history/", "/plan/", "/plan/tick-sheet/"):
        page.goto(live_server.url + path)
        if found := axe_violations(page):
            failures[path] = found
    page.goto(live_server.url + "/today/")
    assert page.get_by_text("Ready for a next step?").is_visible()
    assert page.get_by_text("ask your therapist").first.is_visible()
    assert failures == {}, failures


def test_the_charts_numbers_equal_the_tables(page, live_server, follower):
    log_in(page, live_server.url, "dorothy", PASSWORD)
    page.goto(live_server.url + "/history/")
    charts = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('svg[data-chart]')].map(
            svg => [svg.dataset.chart, Object.fromEntries([...svg.querySelectorAll(
                'text.chart-value')].map(t => [t.dataset.week, t.dataset.value]))]))"""
    )
    table = page.evaluate(
        """() => Object.fromEntries(['adherence', 'minutes', 'strength', 'balance'].map(
            key => [key, Object.fromEntries([...document.querySelectorAll(
                'tr[data-week]')].map(row => [row.dataset.week, row.querySelector(
                `td[data-key="${key}"]`).textContent.trim().split(' ')[0]]))]))"""
    )
    assert set(charts) == {"adherence", "minutes", "strength", "balance"}
    assert all(len(weeks) == 12 for weeks in charts.values())
    assert charts == table
    assert any(value not in ("0", "–") for value in charts["minutes"].values())
    # The picture is visible and every bar names its week and number.
    assert page.locator('svg[data-chart="adherence"]').is_visible()


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_tick_sheet_pdf_holds_every_item_and_28_boxes_each(
    page, live_server, follower, artifacts, paper
):
    log_in(page, live_server.url, "dorothy", PASSWORD)
    page.goto(live_server.url + "/plan/tick-sheet/")
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    body_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert body_size >= 14 * 96 / 72 - 0.01  # 14 pt in CSS pixels
    pdf = artifacts / f"tick-sheet-{paper}.pdf"
    page.pdf(path=str(pdf), format=paper)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(pdf), str(artifacts / f"tick-{paper}")],
        check=True,
    )
    text = "\n".join(pdf_pages(pdf))
    assert text.count("☐") == 28 * len(WEEK)
    names = [
        "Brisk walking",
        "Sit-to-stand",
        "Single-leg stance",
        "Squat to chair",
        "Resistance-band row",
        "Tai chi",
        "Heel raises",
    ]
    for name in names:
        assert name in text
    assert text.count("Brisk walking") == 3
    assert "Your therapist has the last word" in text
    assert "Log out" not in text


def test_an_exercise_on_hold_reads_clearly_on_today_and_the_tick_sheet(
    page, live_server, follower, artifacts
):
    from catalogue.models import Exercise

    settings = PlanSettings.objects.get(user__username="dorothy")
    sit_up = RoutineItem.objects.create(
        routine=settings.routine,
        exercise=Exercise.objects.get(slug="sit-up"),
        day=settings.today().weekday(),
        position=99,
        sets=1,
        reps=10,
    )
    log_in(page, live_server.url, "dorothy", PASSWORD)
    failures = {}
    for path in ("/today/", "/plan/tick-sheet/"):
        page.goto(live_server.url + path)
        page.screenshot(
            path=artifacts / f"hold{path.replace('/', '-')}.png", full_page=True
        )
        if found := axe_violations(page):
            failures[path] = found
    page.goto(live_server.url + "/today/")
    held = page.locator(f"#item-{sit_up.pk}")
    assert held.get_by_text("not yet confirmed").is_visible()
    assert held.get_by_role("button", name="Done").count() == 0
    assert failures == {}, failures


def test_saving_the_plan_after_the_calendar_shows_its_message_at_the_top(
    page, live_server, follower
):
    """The calendar's buttons reopen the page at the calendar (#calendar), its message
    there. Saving the routine and time form after that is not about the calendar: its
    message stays at the top, by the form, not moved into the calendar's box."""


def test_saving_the_plan_after_the_calendar_shows_its_message_by_the_form(
    page, live_server, follower
):
    """The calendar's buttons reopen the page at the calendar (#calendar), their message
    there. Saving the routine and time form afterwards is not about the calendar: the
    page must not reopen at the calendar with the form's message moved into it."""
    log_in(page, live_server.url, "dorothy", PASSWORD)
    page.goto(f"{live_server.url}/plan/")
    page.get_by_role("button", name="Make my calendar link").click()
    page.wait_for_url("**/plan/#calendar")
    message = page.locator(".messages")
    expect(message).to_contain_text("Your calendar link is ready")
    expect(message).to_be_focused()
    assert message.evaluate("m => m.closest('#calendar') !== null")

    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state("load")
    expect(message).to_contain_text("Your plan settings are saved")
    assert not page.url.endswith("#calendar")
    assert message.evaluate("m => m.closest('#calendar') === null")
