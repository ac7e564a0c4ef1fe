"""The 60-item week by keyboard: at most 3 tab stops per exercise, and a way to jump to a day."""

import pytest
from playwright.sync_api import expect

from catalogue.models import Exercise
from routines.models import HealthProfile, Routine, RoutineItem
from tests.browser.conftest import axe_violations, log_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "strong-enough-pass-42"
SLUGS = ["brisk-walking", "sit-to-stand", "sit-up", "tai-chi", "golf-swing", "band-row"]

TAB_STOPS = """() => {
    const el = document.activeElement;
    const item = el.closest('article.item');
    return {tag: el.tagName, item: item ? item.id : null,
            key: el.tagName + '|' + (el.getAttribute('href') || '') + '|' + (el.innerText || '').trim()
                 + '|' + (el.closest('form') ? el.closest('form').action : '') + '|' + (item ? item.id : '')};
}"""


@pytest.fixture
def big_week(starter_catalogue):
    user = make_user("dorothy", password=PASSWORD, first_name="Dorothy")
    HealthProfile.objects.create(user=user, diagnosis="osteoporosis")
    routine = Routine.objects.create(owner=user, name="Busy week")
    exercises = Exercise.objects.in_bulk(SLUGS, field_name="slug")
    RoutineItem.objects.bulk_create(
        RoutineItem(
            routine=routine,
            exercise=exercises[SLUGS[n % len(SLUGS)]],
            day=n % 7,
            position=n // 7,
            reps=10,
            sets=2,
        )
        for n in range(60)
    )
    return routine


def test_sixty_items_take_at_most_three_tab_stops_each(page, live_server, big_week):
    log_in(page, live_server.url, "dorothy", PASSWORD)
    page.goto(f"{live_server.url}/routines/{big_week.pk}/")
    per_item, total, seen = {}, 0, set()
    for _ in range(1000):
        page.keyboard.press("Tab")
        state = page.evaluate(TAB_STOPS)
        if state["tag"] == "BODY" or state["key"] in seen:
            break
        seen.add(state["key"])
        total += 1
        if state["item"]:
            per_item[state["item"]] = per_item.get(state["item"], 0) + 1
    assert len(per_item) == 60
    assert max(per_item.values()) <= 3, per_item
    # the rest of the page: menu, routine buttons, the week check's links, the day
    # links and one "add" link per day
    assert total <= 3 * 60 + 60, total


def test_jump_to_a_day_and_open_more_by_keyboard(page, live_server, big_week):
    log_in(page, live_server.url, "dorothy", PASSWORD)
    page.goto(f"{live_server.url}/routines/{big_week.pk}/")
    jump = page.get_by_role("navigation", name="Jump to a day")
    jump.get_by_role("link", name="Saturday").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/routines/{big_week.pk}/#day-sat")
    first_saturday = page.locator("#day-sat article.item").first
    more = first_saturday.locator("summary")
    more.focus()
    page.keyboard.press("Enter")
    expect(first_saturday.get_by_role("link", name="Move or copy")).to_be_visible()
    assert axe_violations(page) == []


def test_opening_more_leaves_the_change_button_as_it_was(
    page, live_server, big_week, artifacts
):
    """ "More" opens below the item's first button; the button keeps its size, and "More"
    is written as large as it."""
    log_in(page, live_server.url, "dorothy", PASSWORD)
    page.goto(f"{live_server.url}/routines/{big_week.pk}/")
    item = page.locator("article.item").first
    first_button = item.locator(".item-actions > a.btn")
    more = item.locator("summary")
    closed = first_button.bounding_box()
    more.click()
    expect(item.locator(".more-actions")).to_be_visible()
    item.screenshot(path=str(artifacts / "week-item-more-open.png"))
    assert first_button.bounding_box()["height"] == closed["height"]

    def font_size(locator):
        return locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")

    assert font_size(more) == font_size(first_button)


def test_the_message_after_a_change_shows_beside_the_item_and_is_read_out(
    page, live_server, big_week, artifacts
):
    """Far down a long week, "Up" reopens the page at the item: its confirmation is there,
    in view and focused (so a screen reader reads it), not out of sight at the top."""
    log_in(page, live_server.url, "dorothy", PASSWORD)
    page.goto(f"{live_server.url}/routines/{big_week.pk}/")
    item = page.locator("#day-sun article.item").last
    item_id = item.get_attribute("id")
    name = item.locator("h3").inner_text()
    item.locator("summary").click()
    item.get_by_role("button", name=f"Move {name} up").click()
    page.wait_for_url(f"**/routines/{big_week.pk}/#{item_id}")

    message = page.locator(".messages")
    expect(message).to_have_text(f"{name} moved up.")
    expect(message).to_be_focused()
    expect(message).to_be_in_viewport()
    # Under the moved item's name, inside its box.
    assert (
        message.evaluate("(m, id) => m.closest('article.item').id", item_id) == item_id
    )
    page.screenshot(path=str(artifacts / "week-message-at-item.png"))
    assert axe_violations(page) == []

    # Without a place to open at, the message stays at the top of the page; so it does
    # with a place that is not one (a broken address), and the script makes no error.
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.goto(f"{live_server.url}/routines/{big_week.pk}/rename/")
    # The week's address keeps the #… of the address the form was sent to.
    page.locator("main form").evaluate("f => { f.action += '#%E0%A4%A'; }")
    page.get_by_label("Name of the routine").fill("Busy week, renamed")
    page.get_by_role("button", name="Save name").click()
    page.wait_for_url("**#%E0%A4%A")
    expect(page.locator("main > .messages")).to_contain_text("Routine renamed")
    assert errors == []
