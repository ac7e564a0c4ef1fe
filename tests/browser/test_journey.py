"""A new patient's whole journey in a real browser, by mouse and by keyboard alone."""

import re

import pytest
from playwright.sync_api import expect

from routines.models import RoutineItem
from tests.browser.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_up(page, base):
    page.goto(base + "/")
    page.get_by_role("link", name="Sign up – it is free").click()
    page.get_by_label("Username").fill("dorothy")
    page.get_by_label("Your first name").fill("Dorothy")
    page.locator("#id_password1").fill("strong-enough-pass-42")
    page.locator("#id_password2").fill("strong-enough-pass-42")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="My health profile")).to_be_visible()


def add_exercise(page, day_label, search, exercise_name, **dose):
    page.get_by_role("link", name=f"+ Add an exercise to {day_label}").click()
    page.get_by_label("Search exercises").fill(search)
    page.get_by_label(
        "Only exercises suitable for me"
    ).uncheck()  # to find any exercise
    page.get_by_role("button", name="Show exercises").click()
    page.get_by_role("link", name=f"Choose {exercise_name}", exact=True).click()
    for label, value in dose.items():
        page.get_by_role("spinbutton", name=label).fill(value)


def test_new_patient_journey(page, live_server, starter_catalogue):
    base = live_server.url
    sign_up(page, base)

    # The profile: osteoporosis, a wrist fracture.
    page.get_by_label("Osteoporosis").check()
    page.get_by_label("One", exact=True).check()
    page.get_by_label("My wrist").check()
    page.get_by_role("button", name="Save my profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()

    page.get_by_role("link", name="Make a new routine").click()
    page.get_by_label("Name of the routine").fill("My week")
    page.get_by_role("button", name="Create routine").click()
    expect(page.get_by_role("heading", name="My week", level=1)).to_be_visible()
    expect(page.get_by_text("This week is empty")).to_be_visible()

    # Weight-bearing and strengthening on separate days, and balance.
    add_exercise(page, "Monday", "walking", "Brisk walking", Minutes="30")
    page.get_by_role("button", name="Add to my week").click()
    expect(page.get_by_text("Brisk walking added to Monday.")).to_be_visible()
    add_exercise(page, "Monday", "sit-to", "Sit-to-stand (chair stands)")
    page.get_by_role("button", name="Add to my week").click()
    add_exercise(page, "Thursday", "squat to", "Squat to chair")
    page.get_by_role("button", name="Add to my week").click()
    add_exercise(page, "Tuesday", "stance", "Single-leg stance (holding support)")
    page.get_by_role("button", name="Add to my week").click()
    expect(page.get_by_text("Good mix")).to_be_visible()

    # A danger warning: sit-ups for someone with osteoporosis.
    add_exercise(page, "Wednesday", "sit-up", "Sit-up")
    expect(page.locator(".finding-danger").first).to_contain_text("Danger")
    page.get_by_role(
        "button", name="Add to my week"
    ).click()  # without the acknowledgement
    # Said at the top, where the page opens again (focused), and beside the box.
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text(
        "can be dangerous for your bones"
    )
    expect(page.locator("#ack-error")).to_contain_text(
        "can be dangerous for your bones"
    )
    assert not RoutineItem.objects.filter(exercise__slug="sit-up").exists()
    page.get_by_label("I have discussed this exercise with my therapist").check()
    page.get_by_role("button", name="Add to my week").click()
    expect(page.get_by_text("It stays marked Danger")).to_be_visible()
    sit_up = page.locator("article.item", has_text="Sit-up")
    expect(sit_up).to_contain_text("Danger:")
    expect(sit_up).to_contain_text("You confirmed on")
    assert (
        RoutineItem.objects.get(exercise__slug="sit-up").danger_acknowledged_at
        is not None
    )

    # Swap the flagged item for a safer alternative: under "More", one click.
    sit_up.locator("summary").click()
    sit_up.get_by_role("button", name="Swap for Bird-dog").click()
    expect(
        page.get_by_text("Sit-up was swapped for Bird-dog on Wednesday.")
    ).to_be_visible()
    expect(page.locator("#day-wed")).to_contain_text("Bird-dog")
    expect(page.locator("#day-wed")).not_to_contain_text("Sit-up")
    expect(page.get_by_role("button", name="Undo the swap")).to_be_visible()
    # The banner is where the page opens, focused, so it is read out.
    expect(page.locator("#undo-swap")).to_be_focused()
    assert axe_violations(page) == []  # the week with its undo banner

    # Print.
    page.get_by_role("link", name="Print this week").click()
    expect(page.get_by_role("heading", name="How to do each exercise")).to_be_visible()
    expect(
        page.get_by_role("button", name="Print this sheet")
    ).to_be_visible()  # print.js ran under the CSP
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print this sheet")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("main")).to_contain_text("Your therapist has the last word.")
    text = page.locator("main").inner_text()
    assert "For Dorothy" in text
    assert "Bird-dog" in text
    assert "Push through your heels" in text


def focused(page):
    return page.evaluate("""() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        return {tag: el.tagName, text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim(),
                label: el.getAttribute('aria-label') || '', id: el.id,
                outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2};
    }""")


def tab_to(page, predicate, limit=80):
    """Press Tab until `predicate(focused)` holds; every stop must show a visible focus outline."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = focused(page)
        if (
            state["tag"] == "BODY"
        ):  # past the last link: focus wraps round, as in the browser
            continue
        assert state["outline"], f"focus not visible on {state}"
        if predicate(state):
            return state
    raise AssertionError("never reached the element by Tab")


def test_journey_by_keyboard_alone(page, live_server, starter_catalogue):
    base = live_server.url
    page.goto(base + "/accounts/signup/")
    assert focused(page)["id"] == "id_username"  # autofocus
    page.keyboard.type("kate")
    page.keyboard.press("Tab")
    page.keyboard.type("Kate")
    page.keyboard.press("Tab")  # email (optional)
    tab_to(page, lambda s: s["id"] == "id_password1")
    page.keyboard.type("strong-enough-pass-42")
    tab_to(page, lambda s: s["id"] == "id_password2")
    page.keyboard.type("strong-enough-pass-42")
    tab_to(page, lambda s: s["text"] == "Create my account")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My health profile")).to_be_visible()

    tab_to(
        page, lambda s: s["id"] == "id_diagnosis_2"
    )  # the checked radio, "I am not sure"
    page.keyboard.press("ArrowUp")  # arrows move within a radio group
    expect(page.get_by_label("Osteoporosis", exact=True)).to_be_checked()
    tab_to(page, lambda s: s["id"] == "id_fragility_fractures_0")  # "None", checked
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("One", exact=True)).to_be_checked()
    tab_to(page, lambda s: s["id"] == "id_fracture_spine")
    page.keyboard.press("Space")
    tab_to(page, lambda s: s["text"] == "Save my profile")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()

    tab_to(page, lambda s: s["text"] == "Make a new routine")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="New routine")).to_be_visible()
    tab_to(page, lambda s: s["id"] == "id_name")
    page.keyboard.type("Keyboard week")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Keyboard week")).to_be_visible()

    tab_to(page, lambda s: s["text"] == "+ Add an exercise to Monday")
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", name="Add an exercise to Monday")
    ).to_be_visible()
    tab_to(page, lambda s: s["id"] == "id_q")
    page.keyboard.type("headstand")
    tab_to(page, lambda s: s["id"] == "id_suitable")
    page.keyboard.press("Space")  # untick "only suitable": a headstand is not
    tab_to(page, lambda s: s["text"] == "Show exercises")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q=headstand"))
    tab_to(page, lambda s: s["label"] == "Choose Headstand (yoga)")
    page.keyboard.press("Enter")
    expect(page.locator(".finding-danger").first).to_be_visible()
    tab_to(page, lambda s: s["id"] == "id_acknowledge_danger")
    page.keyboard.press("Space")
    tab_to(page, lambda s: s["text"] == "Add to my week")
    page.keyboard.press("Enter")
    expect(page.get_by_text("It stays marked Danger")).to_be_visible()

    tab_to(page, lambda s: s["tag"] == "SUMMARY" and "Headstand" in s["text"])
    page.keyboard.press("Enter")  # opens "More"
    tab_to(page, lambda s: s["text"].startswith("Swap for Wall slides"))
    page.keyboard.press("Enter")
    expect(
        page.get_by_text("Headstand (yoga) was swapped for Wall slides")
    ).to_be_visible()

    tab_to(page, lambda s: s["text"] == "Print this week")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/print/$"))
    expect(page.get_by_text("Wall slides")).not_to_have_count(0)
