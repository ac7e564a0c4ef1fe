"""The care team in two browsers at once: the patient links, the therapist approves, the
patient's week and PDF show it, the patient stops sharing, the therapist is shut out.
Axe is clean on every clinic page, and the therapist can do it all by keyboard."""

import subprocess

import pytest
from playwright.sync_api import expect

from routines import two_factor
from routines.models import (
    CareLink,
    HealthProfile,
    Review,
    Routine,
    RoutineItem,
    ShareCode,
)
from tests.browser.conftest import axe_violations, log_in
from tests.factories import make_therapist, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "strong-enough-pass-42"


@pytest.fixture
def people(starter_catalogue):
    from catalogue.models import Exercise

    patient = make_user("dorothy", password=PASSWORD, first_name="Dorothy")
    HealthProfile.objects.create(user=patient, diagnosis="osteoporosis")
    therapist = make_therapist(
        "sam", password=PASSWORD, first_name="Sam", last_name="Carter"
    )
    routine = Routine.objects.create(owner=patient, name="My week")
    exercises = Exercise.objects.in_bulk(field_name="slug")
    item, _ = routine.add_item(
        exercise=exercises["sit-up"], day=0, sets=1, reps=10, by=patient
    )
    routine.add_item(exercise=exercises["brisk-walking"], day=1, minutes=30, by=patient)
    code = ShareCode.renew_for(therapist)
    _device, recovery = two_factor.enrol(therapist)
    return {
        "recovery": recovery,
        "patient": patient,
        "therapist": therapist,
        "routine": routine,
        "item": item,
        "code": code,
    }


def therapist_log_in(page, base, people):
    """Staff sign in in two steps: the password, then a code (a recovery code here)."""
    log_in(page, base, "sam", PASSWORD)
    page.get_by_label("Code").fill(people["recovery"].pop())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def _context(browser):
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    return context


def test_two_browsers_link_approve_print_and_stop(
    browser, live_server, people, artifacts
):
    base = live_server.url
    patient_ctx, therapist_ctx = _context(browser), _context(browser)
    try:
        me, sam = patient_ctx.new_page(), therapist_ctx.new_page()
        # 1. the patient links
        log_in(me, base, "dorothy", PASSWORD)
        me.goto(f"{base}/accounts/me/therapist/")
        me.get_by_label("Your therapist's share code").fill(people["code"].formatted)
        me.get_by_role("button", name="Next").click()
        me.get_by_label("I agree to share my plan with this therapist.").check()
        me.get_by_role("button", name="Share my plan").click()
        assert "You now share your plan with Sam Carter" in me.content()
        me.goto(f"{base}{people['routine'].get_absolute_url()}")
        assert me.get_by_text("Waiting for your therapist.").is_visible()

        # 2. the therapist approves the danger item with a note
        therapist_log_in(sam, base, people)
        sam.goto(f"{base}/clinic/")
        assert axe_violations(sam) == []
        sam.get_by_role("link", name="Dorothy").click()
        assert axe_violations(sam) == []
        sam.get_by_role(
            "link", name="Approve or advise against Sit-up on Monday"
        ).click()
        assert axe_violations(sam) == []
        sam.get_by_label("Approve: the patient may do it").check()
        sam.get_by_label("Note for the patient").fill("Ten at most, slowly.")
        sam.get_by_role("button", name="Save my decision").click()
        assert "approved" in sam.content()

        # 3. the patient's week and PDF show the approval
        me.reload()
        assert me.get_by_text("Approved by Sam Carter, your therapist").is_visible()
        assert "Ten at most, slowly." in me.content()
        me.goto(f"{base}/routines/{people['routine'].pk}/print/")
        pdf = artifacts / "care-team-sheet.pdf"
        me.pdf(path=str(pdf), format="A4")
        text = " ".join(
            subprocess.run(
                ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
            ).stdout.split()
        )
        assert "approved by Sam Carter" in text
        assert "Ten at most, slowly." in text

        # 4. the patient stops sharing
        me.goto(f"{base}/accounts/me/therapist/")
        me.get_by_role("link", name="Stop sharing with Sam Carter…").click()
        me.get_by_role("button", name="Stop sharing").click()
        assert "You no longer share your plan with Sam Carter" in me.content()

        # 5. the therapist's next request is a 404
        response = sam.goto(f"{base}/clinic/patients/{people['patient'].pk}/")
        assert response.status == 404
        response = sam.goto(
            f"{base}/clinic/routines/{people['routine'].pk}/items/{people['item'].pk}/review/"
        )
        assert response.status == 404
    finally:
        patient_ctx.close()
        therapist_ctx.close()
    item = RoutineItem.objects.get(pk=people["item"].pk)
    assert (item.review_decision, item.review_note) == (
        Review.APPROVED,
        "Ten at most, slowly.",
    )


def test_clinic_pages_are_clean_for_axe(page, live_server, people):
    CareLink.start(patient=people["patient"], therapist=people["therapist"])
    base = live_server.url
    therapist_log_in(page, base, people)
    routine, item = people["routine"], people["item"]
    template, _ = Routine.create_for(
        people["therapist"], name="Starter", is_template=True
    )
    paths = [
        "/clinic/",
        f"/clinic/patients/{people['patient'].pk}/",
        f"/clinic/patients/{people['patient'].pk}/restrictions/",
        f"/clinic/patients/{people['patient'].pk}/routines/new/",
        f"/clinic/patients/{people['patient'].pk}/end/",
        f"/clinic/routines/{routine.pk}/items/add/?day=mon",
        f"/clinic/routines/{routine.pk}/items/add/sit-up/?day=mon",
        f"/clinic/routines/{routine.pk}/items/{item.pk}/",
        f"/clinic/routines/{routine.pk}/items/{item.pk}/review/",
        f"/clinic/routines/{routine.pk}/items/{item.pk}/delete/",
        f"/clinic/routines/{routine.pk}/print/",
        "/clinic/templates/",
        f"/clinic/templates/{template.pk}/",
        f"/clinic/templates/{template.pk}/send/",
    ]
    found = {}
    for path in paths:
        page.goto(base + path)
        violations = axe_violations(page)
        if violations:
            found[path] = violations
    # the patient's side
    page.context.clear_cookies()
    log_in(page, base, "dorothy", PASSWORD)
    for path in ["/accounts/me/therapist/", "/accounts/me/", "/routines/"]:
        page.goto(base + path)
        violations = axe_violations(page)
        if violations:
            found[path] = violations
    page.goto(base + "/accounts/me/therapist/")
    page.get_by_role("link", name="Stop sharing with Sam Carter…").click()
    assert axe_violations(page) == []
    assert found == {}


def test_therapist_approves_by_keyboard_alone(page, live_server, people):
    CareLink.start(patient=people["patient"], therapist=people["therapist"])
    base = live_server.url
    therapist_log_in(page, base, people)
    page.goto(f"{base}/clinic/")
    page.get_by_role("link", name="Dorothy").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/clinic/patients/{people['patient'].pk}/")
    page.get_by_role("link", name="Approve or advise against Sit-up on Monday").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/review/")
    page.get_by_label("Approve: the patient may do it").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # to the other choice's group end, then the note
    page.get_by_label("Note for the patient").focus()
    page.keyboard.type("Fine with care.")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Save my decision"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/clinic/patients/{people['patient'].pk}/**")
    item = RoutineItem.objects.get(pk=people["item"].pk)
    assert (item.review_decision, item.review_note) == (
        Review.APPROVED,
        "Fine with care.",
    )


def test_the_therapists_decision_message_shows_under_the_items_name(
    page, live_server, people
):
    """The patient's page reopens at the item decided on (#item-N); its message goes under
    the item's name, inside the item (the clinic's item names are fourth-level headings)."""
    CareLink.start(patient=people["patient"], therapist=people["therapist"])
    base = live_server.url
    therapist_log_in(page, base, people)
    page.goto(f"{base}/clinic/patients/{people['patient'].pk}/")
    page.get_by_role("link", name="Approve or advise against Sit-up on Monday").click()
    page.get_by_label("Approve: the patient may do it").check()
    page.get_by_role("button", name="Save my decision").click()
    item_id = f"item-{people['item'].pk}"
    page.wait_for_url(f"**/clinic/patients/{people['patient'].pk}/#{item_id}")
    message = page.locator(".messages")
    expect(message).to_be_focused()
    placed = message.evaluate(
        "m => [m.parentElement.id, m.previousElementSibling.tagName]"
    )
    assert placed == [item_id, "H4"]
    assert axe_violations(page) == []
