"""The catalogue on a 375 px phone: one page of cards, the filters folded away until wanted."""

import pytest

from tests.browser.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_catalogue_on_a_phone_is_paged_with_the_filters_folded(
    page, live_server, starter_catalogue, artifacts
):
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(live_server.url + "/catalogue/")
    page.screenshot(path=artifacts / "catalogue-375.png", full_page=True)
    # 67 starter exercises were one 18,500 px page; now 24 cards and a way on.
    assert page.locator(".exercise-card").count() == 24
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 9000, height
    assert page.get_by_text("Page 1 of 3").is_visible()
    # The search box shows; the other filters wait behind one disclosure.
    assert page.get_by_role("textbox", name="Search").is_visible()
    assert not page.get_by_label("Position").is_visible()
    assert axe_violations(page) == []

    page.get_by_text("Filters: type, position, equipment").click()
    page.get_by_label("Position").select_option(label="Sitting")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Show exercises").click()
    page.wait_for_load_state()
    page.screenshot(path=artifacts / "catalogue-375-filtered.png", full_page=True)
    assert "(some are on)" in page.locator("summary").inner_text()
    assert page.get_by_label("Position").is_visible()  # open: a filter is on
    tags = page.locator(".exercise-card .tags").all_inner_texts()
    assert tags
    assert all("Sitting" in t for t in tags)

    page.goto(live_server.url + "/catalogue/?page=2")
    assert page.get_by_text("Page 2 of 3").is_visible()
    page.get_by_role("link", name="Next page").click()
    page.wait_for_load_state()
    assert page.get_by_text("Page 3 of 3").is_visible()
    assert page.get_by_role("link", name="Next page").count() == 0
    assert axe_violations(page) == []
