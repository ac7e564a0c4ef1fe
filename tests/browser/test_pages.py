"""What only a browser shows: accessibility (axe-core), phone widths, and the printed sheet."""

import subprocess

import pytest
from django.contrib.auth.models import Group

from catalogue.models import Exercise
from catalogue.roles import THERAPISTS
from routines import two_factor
from routines.models import HealthProfile, Routine, RoutineItem, Weekday
from tests.browser.conftest import axe_violations, log_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "strong-enough-pass-42"

# A typical week: 6 days, 14 items, both kinds of exercise, one acknowledged danger.
TYPICAL_WEEK = [
    (Weekday.MONDAY, "brisk-walking", None, None, 30, None),
    (Weekday.MONDAY, "sit-to-stand", 2, 10, None, None),
    (Weekday.MONDAY, "wall-push-up", 2, 10, None, None),
    (Weekday.TUESDAY, "single-leg-stance-supported", None, None, 5, None),
    (Weekday.TUESDAY, "chin-tucks", 1, 10, None, None),
    (Weekday.TUESDAY, "prone-back-extension", 1, 10, None, None),
    (Weekday.WEDNESDAY, "brisk-walking", None, None, 30, None),
    (Weekday.WEDNESDAY, "heel-drops", 1, 20, None, None),
    (Weekday.THURSDAY, "squat-to-chair", 2, 10, None, None),
    (Weekday.THURSDAY, "band-row", 2, 10, None, None),
    (Weekday.THURSDAY, "biceps-curl-light", 2, 10, None, "3"),
    (Weekday.FRIDAY, "tai-chi", None, None, 30, None),
    (Weekday.SATURDAY, "brisk-walking", None, None, 40, None),
    (Weekday.SATURDAY, "sit-up", 1, 10, None, None),
]


@pytest.fixture
def week(starter_catalogue):
    user = make_user(
        "dorothy", password=PASSWORD, first_name="Dorothy", last_name="Smith"
    )
    HealthProfile.objects.create(
        user=user,
        diagnosis="osteoporosis",
        fracture_wrist=True,
        restrictions="No lifting above 5 kg.",
    )
    routine = Routine.objects.create(owner=user, name="My week")
    exercises = Exercise.objects.in_bulk(field_name="slug")
    positions = {}
    for day, slug, sets, reps, minutes, load in TYPICAL_WEEK:
        positions[day] = positions.get(day, -1) + 1
        RoutineItem.objects.create(
            routine=routine,
            exercise=exercises[slug],
            day=day,
            position=positions[day],
            sets=sets,
            reps=reps,
            minutes=minutes,
            load_kg=load,
            acknowledged_codes="SPINAL_FLEXION,SPINAL_ROUNDING"
            if slug == "sit-up"
            else "",
            danger_acknowledged_at="2026-11-01T10:00Z" if slug == "sit-up" else None,
        )
    return routine


def patient_pages(routine):
    item = routine.items.get(exercise__slug="sit-up")
    r = routine.pk
    return [
        "/routines/",
        "/routines/new/",
        "/routines/profile/",
        f"/routines/{r}/",
        f"/routines/{r}/print/",
        f"/routines/{r}/rename/",
        f"/routines/{r}/delete/",
        f"/routines/{r}/items/add/?day=tue",
        f"/routines/{r}/items/add/?day=tue&q=walk&suitable=on",
        f"/routines/{r}/items/add/?exercise=headstand&day=mon",
        f"/routines/{r}/items/{item.pk}/",
        f"/routines/{r}/items/{item.pk}/delete/",
        f"/routines/{r}/items/{item.pk}/transfer/",
        f"/routines/{r}/items/{item.pk}/confirm/",
        "/catalogue/?suitable=on",
        "/accounts/me/",
        "/accounts/me/delete/",
        "/accounts/password_change/",
        "/accounts/password_change/done/",
        "/catalogue/sit-up/",
    ]


PUBLIC_PAGES = [
    "/",
    "/catalogue/",
    "/catalogue/?category=balance&position=standing",
    "/catalogue/sit-up/",
    "/catalogue/brisk-walking/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/MQ/not-a-valid-token/",
    "/accounts/reset/done/",
    "/no-such-page/",
]


def test_pages_with_errors_have_no_accessibility_violations(
    page, live_server, starter_catalogue
):
    """Form errors, the lock-out page and the password-reset form (valid link)."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    failures = {}
    page.goto(live_server.url + "/accounts/signup/")
    page.get_by_role("button", name="Create my account").click()
    if found := axe_violations(page):
        failures["sign-up errors"] = found
    user = make_user("locked", password=PASSWORD)
    for _ in range(6):  # five wrong passwords, then the sixth try is paused
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Username").fill("locked")
        page.get_by_label("Password").fill("wrong")
        # Wait for each answer: on a busy machine the next goto() could otherwise cancel
        # a try before it reached the server, and five tries would count as four.
        with page.expect_response(
            lambda response: response.request.method == "POST"
        ) as answer:
            page.get_by_role("button", name="Log in").click()
        assert answer.value.status in (200, 429)
        page.wait_for_load_state()
    assert "Too many tries" in page.content()
    if found := axe_violations(page):
        failures["locked out"] = found
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    page.goto(
        f"{live_server.url}/accounts/reset/{uid}/{default_token_generator.make_token(user)}/"
    )
    assert "Choose a new password" in page.content()
    if found := axe_violations(page):
        failures["reset form"] = found
    assert failures == {}, failures


def test_public_pages_have_no_accessibility_violations(
    page, live_server, starter_catalogue
):
    failures = {}
    for path in PUBLIC_PAGES:
        page.goto(live_server.url + path)
        if found := axe_violations(page):
            failures[path] = found
    assert failures == {}, failures


def test_patient_pages_have_no_accessibility_violations(page, live_server, week):
    log_in(page, live_server.url, "dorothy", PASSWORD)
    failures = {}
    for path in patient_pages(week):
        page.goto(live_server.url + path)
        if found := axe_violations(page):
            failures[path] = found
    # Pages with form errors and the danger acknowledgement step.
    page.goto(
        live_server.url + f"/routines/{week.pk}/items/add/?exercise=sit-up&day=mon"
    )
    page.get_by_role("button", name="Add to my week").click()
    page.locator("#ack-error").get_by_text("can be dangerous for your bones").wait_for()
    if found := axe_violations(page):
        failures["item form with errors"] = found
    assert failures == {}, failures


def test_admin_exercise_change_form_has_no_accessibility_violations(
    page, live_server, starter_catalogue
):
    therapist = make_user("terry", password=PASSWORD, is_staff=True)
    therapist.groups.add(Group.objects.get(name=THERAPISTS))
    _device, codes = two_factor.enrol(therapist)
    log_in(page, live_server.url, "terry", PASSWORD)
    page.get_by_label("Code").fill(codes[0])  # staff sign in in two steps
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    exercise = Exercise.objects.get(slug="sit-up")
    failures = {}
    for path in (
        f"/admin/catalogue/exercise/{exercise.pk}/change/",
        "/admin/catalogue/exercise/",
        "/admin/catalogue/exercise/add/",
        "/admin/catalogue/movementpattern/",
    ):
        page.goto(live_server.url + path)
        if found := axe_violations(page):
            failures[path] = found
    assert failures == {}, failures


def test_nothing_overflows_at_375_pixels(browser, live_server, week):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    try:
        overflowing = {}
        for path in PUBLIC_PAGES:
            page.goto(live_server.url + path)
            if (width := page.evaluate("document.documentElement.scrollWidth")) > 375:
                overflowing[path] = width
        log_in(page, live_server.url, "dorothy", PASSWORD)
        for path in patient_pages(week):
            page.goto(live_server.url + path)
            if (width := page.evaluate("document.documentElement.scrollWidth")) > 375:
                overflowing[path] = width
        assert overflowing == {}
    finally:
        context.close()


def pdf_pages(path):
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    # pdftotext ends every page with a form feed; wrapped lines are joined back up
    return [" ".join(page.split()) for page in text.split("\f")[:-1]]


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_printed_typical_week_fits_and_holds_steps_and_warnings(
    page, live_server, week, artifacts, paper
):
    log_in(page, live_server.url, "dorothy", PASSWORD)
    page.goto(f"{live_server.url}/routines/{week.pk}/print/")
    page.emulate_media(media="print")
    assert page.get_by_role("link", name="Back to the week").is_hidden()
    assert page.locator(".site-header").is_hidden()
    body_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert body_size >= 14 * 96 / 72 - 0.01  # 14 pt in CSS pixels
    pdf = artifacts / f"typical-week-{paper}.pdf"
    page.pdf(path=str(pdf), format=paper)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "50",
            str(pdf),
            str(artifacts / f"typical-week-{paper}"),
        ],
        check=True,
    )
    pages = pdf_pages(pdf)
    # The week, then the steps: since rules version 2 floor exercises (the week has two)
    # add "Getting down to the floor and up again", printed once; and no exercise's block
    # is split between pages (tests/browser/test_print_blocks.py), which costs a page.
    assert 2 <= len(pages) <= 5, f"{len(pages)} pages"
    first = pages[0]
    # Page one: the whole week, the patient's name, the date, the flags in words, the disclaimer.
    for day in Weekday.labels:
        assert day in first
    for slug_name in (
        "Brisk walking",
        "Sit-to-stand",
        "Tai chi",
        "Sit-up",
        "Resistance-band row",
    ):
        assert slug_name in first
    assert "Dorothy Smith" in first
    assert "Danger" in first
    assert "Rest day" in first
    assert "Your therapist has the last" in first
    assert "How to do each exercise" not in first
    rest = "\n".join(pages[1:])
    assert "Push through your heels to stand up fully." in rest  # steps of sit-to-stand
    assert "Bending forward from the waist presses" in rest  # the warning in words
    assert "Safer instead:" in rest
    assert "Bird-dog" in rest
    assert rest.count("Brisk walking 1. Put on comfortable") == 1  # each exercise once
    assert rest.count("Before any floor exercise") == 1
    assert "Log out" not in "\n".join(pages)
    assert "Change" not in first


def test_browser_print_of_the_week_page_hides_the_buttons(page, live_server, week):
    log_in(page, live_server.url, "dorothy", PASSWORD)
    page.goto(f"{live_server.url}/routines/{week.pk}/")
    page.emulate_media(media="print")
    assert page.get_by_role("link", name="Print this week").is_hidden()
    assert page.locator(".item-actions").first.is_hidden()
    assert page.locator(".site-footer").is_visible()
    assert page.locator(".finding-danger").first.is_visible()
    safer = page.locator(".item-alternatives").first
    assert safer.is_visible()  # the swap buttons are gone, their names are printed
    assert "Bird-dog" in safer.inner_text()
