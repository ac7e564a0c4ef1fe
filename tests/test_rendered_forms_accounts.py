"""The account forms, submitted as the page renders them (django-webtest).

Each test opens a page, takes the form on it, fills in what a person would change, presses
the button, then checks the database and the page that comes next.
"""

import json
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core import mail

from routines.models import HealthProfile, Routine
from tests.factories import make_exercise, make_item, make_routine

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-pass-123"  # tests.factories.make_user's default
NEW_PASSWORD = "quiet-garden-bench-42"


def main_form(page):
    """The one form of the page that is not the log-out button in the header."""
    forms = [
        form
        for key, form in page.forms.items()
        if isinstance(key, int) and form.id != "logout-form"
    ]
    assert len(forms) == 1, f"expected one form on {page.request.path}, got {forms}"
    return forms[0]


def log_in(app, username, password):
    """Sign in through the log-in page, as a person does; returns the page after it."""
    form = app.get("/accounts/login/").forms["login-form"]
    form["username"] = username
    form["password"] = password
    return form.submit().follow()


def is_signed_in(page):
    return "logout-form" in page.forms


# Sign-up, log-in, log-out


def test_sign_up_creates_the_account_and_asks_for_the_profile(app):
    form = main_form(app.get("/accounts/signup/"))
    form["username"] = "dorothy55"
    form["first_name"] = "Dorothy"
    form["email"] = "dorothy@example.org"
    form["password1"] = NEW_PASSWORD
    form["password2"] = NEW_PASSWORD
    res = form.submit()

    assert res.status_code == 302
    page = res.follow()
    assert page.request.path == "/routines/profile/"
    assert "Welcome to BoneFit!" in page
    assert is_signed_in(page)
    user = User.objects.get(username="dorothy55")
    assert (user.first_name, user.email) == ("Dorothy", "dorothy@example.org")
    assert user.check_password(NEW_PASSWORD)
    assert HealthProfile.objects.filter(user=user).exists()


def test_sign_up_with_two_different_passwords_is_refused_in_plain_words(app):
    form = main_form(app.get("/accounts/signup/"))
    form["username"] = "dorothy55"
    form["password1"] = NEW_PASSWORD
    form["password2"] = NEW_PASSWORD + "x"
    page = form.submit()

    assert page.status_code == 200
    assert "The two password fields didn’t match." in page
    assert not User.objects.filter(username="dorothy55").exists()
    assert main_form(page)["username"].value == "dorothy55"  # what she typed stays


def test_log_in_lands_on_my_routines(app, patient):
    page = log_in(app, "alice", PASSWORD)

    assert page.request.path == "/routines/"
    assert "My routines" in page
    assert is_signed_in(page)


def test_log_in_goes_back_to_the_page_asked_for(app, patient):
    page = app.get("/routines/profile/").follow()
    assert page.request.path == "/accounts/login/"
    form = page.forms["login-form"]
    assert form["next"].value == "/routines/profile/"
    form["username"] = "alice"
    form["password"] = PASSWORD
    page = form.submit().follow()

    assert page.request.path == "/routines/profile/"
    assert "My health profile" in page


def test_log_in_with_a_wrong_password_is_refused_in_plain_words(app, patient):
    form = app.get("/accounts/login/").forms["login-form"]
    form["username"] = "alice"
    form["password"] = "not-her-password"
    page = form.submit()

    assert page.status_code == 200
    assert "Please enter a correct username and password." in page
    assert not is_signed_in(page)
    assert app.get("/routines/").status_code == 302  # still signed out


def test_log_out_signs_out(app, patient):
    page = log_in(app, "alice", PASSWORD)
    page = page.forms["logout-form"].submit().follow()

    assert page.request.path == "/"
    assert not is_signed_in(page)
    assert "You are logged out." in page.html.select_one(".messages").text
    assert "You are logged out." not in app.get("/")  # said once
    assert page.click("Log in", index=0).forms["login-form"]
    res = app.get("/routines/")
    assert res.status_code == 302
    assert urlsplit(res.location).path == "/accounts/login/"


# The health profile


def test_profile_change_is_saved_and_the_routines_are_checked_again(app, patient):
    make_routine(owner=patient)
    form = main_form(app.get("/routines/profile/", user=patient))
    form["diagnosis"] = "osteopenia"
    form["fragility_fractures"] = "1"
    form["fracture_spine"] = True
    form["falls_last_year"] = True
    form["restrictions"] = "No lifting above the shoulders."
    page = form.submit().follow()

    assert page.request.path == "/routines/"
    assert "Your profile is saved." in page
    assert "We checked your 1 routine again" in page
    profile = HealthProfile.objects.get(user=patient)
    assert profile.diagnosis == "osteopenia"
    assert profile.fragility_fractures == 1
    assert (profile.fracture_spine, profile.falls_last_year) == (True, True)
    assert profile.restrictions == "No lifting above the shoulders."
    # The form shows the new answers next time.
    form = main_form(app.get("/routines/profile/", user=patient))
    assert form["diagnosis"].value == "osteopenia"
    assert form["fracture_spine"].checked


def test_what_to_avoid_keeps_its_lines_on_the_week_and_the_printed_sheet(app, patient):
    """Written on two lines in the profile, it is shown line by line, as written (what
    looks like HTML is text): on the week page, on the routine list (the form promises it
    on "your routines") and on the sheet for the fridge."""
    routine = make_routine(owner=patient)
    form = main_form(app.get("/routines/profile/", user=patient))
    form["restrictions"] = "No lifting.\r\nNo <b>twisting</b> & no toe touches."
    listed = form.submit().follow()

    as_shown = "No lifting.<br>No &lt;b&gt;twisting&lt;/b&gt; &amp; no toe touches."
    assert listed.request.path == "/routines/"
    assert as_shown in listed.text
    assert as_shown in app.get(f"/routines/{routine.pk}/").text
    assert as_shown in app.get(f"/routines/{routine.pk}/print/").text


def test_profile_submitted_untouched_saves_and_changes_nothing(app, patient):
    profile = HealthProfile.objects.get(user=patient)
    profile.fragility_fractures = 2
    profile.fracture_wrist = True
    profile.restrictions = "Ask before bending forward."
    profile.save()
    fields = [
        f.name
        for f in HealthProfile._meta.fields
        if f.name not in ("updated_at", "version")  # a save counts a new version
    ]
    before = HealthProfile.objects.values(*fields).get(pk=profile.pk)

    page = main_form(app.get("/routines/profile/", user=patient)).submit()

    assert page.status_code == 302
    assert "Your profile is saved." in page.follow()
    assert HealthProfile.objects.values(*fields).get(pk=profile.pk) == before


def test_first_profile_of_a_new_patient_is_created(app):
    user = User.objects.create_user("newbie", password=PASSWORD)
    form = main_form(app.get("/routines/profile/", user=user))
    form["diagnosis"] = "osteoporosis"
    page = form.submit().follow()

    assert "Next, make your first routine." in page
    assert HealthProfile.objects.get(user=user).diagnosis == "osteoporosis"


# Passwords


def test_password_change_then_log_in_with_the_new_one(app, patient):
    page = app.get("/accounts/me/", user=patient).click("Change my password")
    form = page.forms["password-change-form"]
    form["old_password"] = PASSWORD
    form["new_password1"] = NEW_PASSWORD
    form["new_password2"] = NEW_PASSWORD
    page = form.submit().follow()

    assert "Your password is changed" in page
    patient.refresh_from_db()
    assert patient.check_password(NEW_PASSWORD)
    assert not patient.check_password(PASSWORD)

    app.reset()  # a fresh browser: no cookies, nobody signed in
    assert log_in(app, "alice", NEW_PASSWORD).request.path == "/routines/"


def test_password_change_with_a_wrong_old_password_is_refused(app, patient):
    form = app.get("/accounts/password_change/", user=patient).forms[
        "password-change-form"
    ]
    form["old_password"] = "not-her-password"
    form["new_password1"] = NEW_PASSWORD
    form["new_password2"] = NEW_PASSWORD
    page = form.submit()

    assert page.status_code == 200
    assert "Your old password was entered incorrectly." in page
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)


def _ask_for_a_reset_link(app, email):
    page = app.get("/accounts/login/").click("I forgot my password")
    form = page.forms["password-reset-form"]
    form["email"] = email
    return form.submit().follow()


def test_password_reset_by_mail_then_log_in_with_the_new_password(app, patient):
    patient.email = "alice@example.org"
    patient.save()

    page = _ask_for_a_reset_link(app, "alice@example.org")
    assert "Check your email" in page
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    links = re.findall(r"https?://\S+", message.body)
    assert len(links) == 1, message.body

    reset_path = urlsplit(links[0]).path
    page = app.get(reset_path).follow()  # Django swaps the token for a session first
    form = page.forms["set-password-form"]
    form["new_password1"] = NEW_PASSWORD
    form["new_password2"] = NEW_PASSWORD
    page = form.submit().follow()
    assert "Your new password is saved" in page
    assert ("You are logged in." in page) == is_signed_in(page)

    patient.refresh_from_db()
    assert patient.check_password(NEW_PASSWORD)
    app.reset()  # another day, another browser
    assert log_in(app, "alice", NEW_PASSWORD).request.path == "/routines/"

    # The link works once only.
    app.reset()
    page = app.get(reset_path)
    assert "This link no longer works" in page
    assert "set-password-form" not in page.forms


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(
    app, patient
):
    page = _ask_for_a_reset_link(app, "nobody@example.org")

    assert "Check your email" in page
    assert mail.outbox == []


# The patient's data: export and deletion


def test_export_downloads_everything_about_me(app, patient):
    patient.email = "alice@example.org"
    patient.save()
    routine = make_routine(owner=patient, name="Winter plan")
    make_item(routine, make_exercise(name="Heel raises"), day=2, reps=12)

    res = app.get("/accounts/me/", user=patient).click("Download my data")

    assert res.status_code == 200
    assert res.content_type == "application/json"
    assert "attachment" in res.headers["Content-Disposition"]
    data = json.loads(res.text)
    assert data["account"]["username"] == "alice"
    assert data["account"]["email"] == "alice@example.org"
    assert data["profile"]["diagnosis"] == "osteoporosis"
    [exported] = data["routines"]
    assert exported["name"] == "Winter plan"
    assert [(i["exercise_name"], i["day"], i["reps"]) for i in exported["items"]] == [
        ("Heel raises", "wed", 12)
    ]


def test_export_holds_nothing_of_another_patient(app, patient, other_patient):
    make_routine(owner=other_patient, name="Bob's secret week")

    res = app.get("/accounts/me/", user=patient).click("Download my data")

    assert "Bob" not in res.text
    assert json.loads(res.text)["routines"] == []


def test_account_deletion_with_a_wrong_password_is_refused_in_plain_words(app, patient):
    make_routine(owner=patient)
    page = log_in(app, "alice", PASSWORD)
    page = app.get("/accounts/me/").click("Delete my account")
    form = page.forms["account-delete-form"]
    form["password"] = "not-her-password"
    page = form.submit(status=400)

    assert "That password is not right. Please try again." in page
    assert User.objects.filter(username="alice").exists()
    assert Routine.objects.filter(owner=patient).count() == 1
    assert is_signed_in(page)
    assert page.forms["account-delete-form"]["password"].value == ""  # never echoed


def test_account_deletion_with_the_password_deletes_everything(
    app, patient, other_patient
):
    make_routine(owner=patient, items=3)
    make_routine(owner=other_patient, items=2)
    page = log_in(app, "alice", PASSWORD)
    page = app.get("/accounts/me/").click("Delete my account")
    form = page.forms["account-delete-form"]
    form["password"] = PASSWORD
    res = form.submit()

    assert res.status_code == 302
    page = res.follow()
    assert page.request.path == "/"
    assert "Your account and everything in it have been deleted. Goodbye." in page
    assert not is_signed_in(page)
    assert not User.objects.filter(username="alice").exists()
    assert not HealthProfile.objects.filter(user_id=patient.pk).exists()
    assert not Routine.objects.filter(owner_id=patient.pk).exists()
    # Nobody else's data goes with it.
    assert Routine.objects.filter(owner=other_patient).count() == 1
    # The old password no longer opens anything.
    form = app.get("/accounts/login/").forms["login-form"]
    form["username"] = "alice"
    form["password"] = PASSWORD
    assert not is_signed_in(form.submit())


def test_account_deletion_works_for_a_patient_who_never_filled_in_a_profile(app):
    User.objects.create_user("carol", password=PASSWORD)
    log_in(app, "carol", PASSWORD)
    form = app.get("/accounts/me/delete/").forms["account-delete-form"]
    form["password"] = PASSWORD
    form.submit().follow()

    assert not User.objects.filter(username="carol").exists()
