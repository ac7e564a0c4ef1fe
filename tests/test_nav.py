"""The main menu: the links each kind of visitor has, the open page marked, and the log-out
button. Its links are rendered once per process for each kind of visitor and page
(routines.templatetags.links.nav_links), so these tests visit as one kind after another."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from routines import two_factor
from tests.factories import make_routine, make_therapist, signed_in
from tests.test_security_signin import code_for

pytestmark = pytest.mark.django_db


def menu(response):
    """[(label, href, how it is marked)] of the main menu: "page" for the open page,
    "true" for the entry of the part of the site the page is in, "" for neither."""
    html = response.content.decode()
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)
    links = re.findall(
        r'<a href="([^"]+)"(?: aria-current="(page|true)")?>([^<]+)</a>', nav
    )
    buttons = re.findall(r"<button[^>]*>([^<]+)</button>", nav)
    return [(label, href, current) for href, current, label in links], buttons


PATIENT_MENU = [
    ("Today", "/today/"),
    ("My routines", "/routines/"),
    ("Exercises", "/catalogue/"),
    ("My health profile", "/routines/profile/"),
    ("My account", "/accounts/me/"),
]


def test_a_patient_has_their_pages_and_log_out_the_open_page_marked(patient_client):
    links, buttons = menu(patient_client.get(reverse("routines:list")))
    assert [(label, href) for label, href, _ in links] == PATIENT_MENU
    assert [label for label, _, current in links if current] == ["My routines"]
    assert buttons == ["Log out"]

    links, _ = menu(patient_client.get(reverse("routines:profile")))
    assert [label for label, _, current in links if current] == ["My health profile"]


def test_a_page_outside_the_menu_marks_nothing(patient_client):
    links, _ = menu(patient_client.get(reverse("moving_safely")))
    assert [(label, href) for label, href, _ in links] == PATIENT_MENU
    assert not any(current for *_, current in links)


def test_a_page_inside_a_part_of_the_site_marks_that_part(
    patient_client, therapist_client, patient
):
    """The week, history or an exercise's page: the menu still says where you are."""
    from tests.factories import make_exercise

    routine = make_routine(owner=patient, name="Mornings")
    exercise = make_exercise(name="Heel raise")

    def marked(client, url):
        links, _ = menu(client.get(url))
        return [(label, current) for label, _, current in links if current]

    assert marked(patient_client, routine.get_absolute_url()) == [
        ("My routines", "true")
    ]
    assert marked(patient_client, reverse("routines:print", args=[routine.pk])) == [
        ("My routines", "true")
    ]
    assert marked(patient_client, reverse("care:therapists")) == [
        ("My routines", "true")
    ]
    assert marked(patient_client, reverse("plan:history")) == [("Today", "true")]
    assert marked(patient_client, exercise.get_absolute_url()) == [
        ("Exercises", "true")
    ]
    assert marked(patient_client, reverse("two_factor_setup")) == [
        ("My account", "true")
    ]
    # The profile is an entry of its own, not a page under My routines.
    assert marked(patient_client, reverse("routines:profile")) == [
        ("My health profile", "page")
    ]
    assert marked(therapist_client, reverse("clinic:templates")) == [("Clinic", "true")]
    # A visitor looking at an exercise.
    assert marked(Client(), exercise.get_absolute_url()) == [("Exercises", "true")]


def test_the_password_pages_are_marked_under_my_account_or_log_in(patient_client):
    """Change my password is reached from My account; I forgot my password from Log in."""

    def marked(client, url):
        response = client.get(url)
        assert response.status_code == 200, url
        links, _ = menu(response)
        return [(label, current) for label, _, current in links if current]

    for name in ("password_change", "password_change_done"):
        assert marked(patient_client, reverse(name)) == [("My account", "true")], name
    visitor = Client()
    for url in (
        reverse("password_reset"),
        reverse("password_reset_done"),
        reverse("password_reset_confirm", args=["MQ", "not-a-token"]),
        reverse("password_reset_complete"),
    ):
        assert marked(visitor, url) == [("Log in", "true")], url


MENU_ENTRIES = {
    "plan:today",
    "routines:list",
    "catalogue:list",
    "routines:profile",
    "account",
    "clinic:patients",
    "login",
    "signup",
}
# Pages that belong to no entry: the start page, the guide linked from everywhere, the
# health check, logging out, and the two-step code (typed before the menu has links).
OUTSIDE_THE_MENU = {"home", "moving_safely", "health", "logout", "two_factor_verify"}


def test_every_page_is_under_a_menu_entry_or_named_as_outside_the_menu():
    """A new page lands here until someone decides where the menu shows it is."""
    from django.urls import URLPattern, URLResolver, get_resolver

    from routines.templatetags.links import menu_section

    def names(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = (
                    f"{namespace}{pattern.namespace}:"
                    if pattern.namespace
                    else namespace
                )
                yield from names(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield namespace + pattern.name

    pages = {
        name
        for name in names(get_resolver().url_patterns)
        if not name.startswith("admin:")
    }
    unplaced = {
        name
        for name in pages - OUTSIDE_THE_MENU - MENU_ENTRIES
        if menu_section(name) not in MENU_ENTRIES
    }
    assert unplaced == set()
    assert pages >= OUTSIDE_THE_MENU  # none of them renamed away


def test_a_therapist_also_has_the_clinic_and_a_patient_after_them_does_not(
    therapist_client, patient_client
):
    links, _ = menu(therapist_client.get(reverse("routines:list")))
    assert [label for label, *_ in links][-2:] == ["Clinic", "Catalogue admin"]
    clinic = menu(therapist_client.get(reverse("clinic:patients")))[0]
    assert [label for label, _, current in clinic if current] == ["Clinic"]

    links, _ = menu(patient_client.get(reverse("routines:list")))
    assert [(label, href) for label, href, _ in links] == PATIENT_MENU


def test_a_visitor_can_browse_log_in_or_sign_up_and_has_no_log_out(patient_client):
    patient_client.get(reverse("catalogue:list"))  # a signed-in visit first
    visitor = Client()
    links, buttons = menu(visitor.get(reverse("login")))
    assert [(label, href, current) for label, href, current in links] == [
        ("Exercises", "/catalogue/", ""),
        ("Log in", "/accounts/login/", "page"),
        ("Sign up", "/accounts/signup/", ""),
    ]
    assert buttons == []
    links, _ = menu(visitor.get(reverse("catalogue:list")))
    assert [label for label, _, current in links if current] == ["Exercises"]


def test_a_missing_page_has_the_menu_too(patient_client):
    response = patient_client.get("/routines/no-such-page/")
    assert response.status_code == 404
    links, buttons = menu(response)
    assert [(label, href) for label, href, _ in links] == PATIENT_MENU
    assert buttons == ["Log out"]


def test_someone_yet_to_type_their_code_has_only_log_out(therapist):
    """Every page but the code's sends them back to it: the menu offers none of them."""
    device, _ = two_factor.enrol(therapist)
    client = Client()
    client.post(
        reverse("login"),
        {"username": therapist.username, "password": "a-long-enough-pass-123"},
    )
    links, buttons = menu(client.get(reverse("two_factor_verify")))
    assert links == []
    assert buttons == ["Log out"]

    client.post(reverse("two_factor_verify"), {"code": code_for(device)})
    links, _ = menu(client.get(reverse("routines:list")))
    assert [label for label, *_ in links][-2:] == ["Clinic", "Catalogue admin"]


def test_the_menu_shows_its_words_and_nothing_else(patient_client):
    """Nothing of the templates (a comment written in another engine's syntax, say)
    shows up between the menu's links."""
    html = patient_client.get(reverse("routines:list")).content.decode()
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S).group(1)
    words = " ".join(re.sub(r"<[^>]+>", " ", nav).split())
    assert words == "Today My routines Exercises My health profile My account Log out"


def around_the_content(html):
    """The page without its title and content: what base.html puts around them, with
    the CSRF tokens (new on every response) blanked."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r"<title>.*?</title>", "", html, flags=re.S)
    html = re.sub(r"(<main[^>]*>).*(</main>)", r"\1\2", html, flags=re.S)
    return re.sub(r"\s+", " ", html).strip()


def test_the_week_page_has_the_same_page_around_it_as_every_other(app, patient):
    """The week page and its printed sheet extend jinja2/base.html, the Jinja2 twin of
    base.html: the head, the menu, the log-out button and the footer are the same. A
    message after a change shows on the week as elsewhere."""
    routine = make_routine(owner=patient, name="Mornings")
    rename = app.get(reverse("routines:rename", args=[routine.pk]), user=patient)
    form = rename.forms[1]  # the first is the log-out button's
    form["name"] = "Evenings"
    week = form.submit().follow()
    assert week.request.path == reverse("routines:detail", args=[routine.pk])
    assert week.html.select_one(".messages").get_text().strip() == (
        "Routine renamed to “Evenings”."
    )
    assert around_the_content(week.text) == around_the_content(rename.text)
    assert "<title>Evenings – BoneFit</title>" in week.text
    assert week.html.select_one("#logout-form input[name=csrfmiddlewaretoken]")["value"]
    # the message is shown once
    assert not app.get(week.request.path).html.select(".messages")
    # the printed sheet too, with its own body class and script
    printed = app.get(reverse("routines:print", args=[routine.pk]))
    assert '<body class="print-page">' in printed.text
    assert printed.html.select_one("script[src*='js/print']")
    as_printed = around_the_content(printed.text)
    as_printed = as_printed.replace('class="print-page"', 'class=""')
    as_printed = re.sub(
        r'<script src="[^"]+/print(\.[0-9a-f]+)?\.js"></script>', "", as_printed
    )
    assert re.sub(r"\s+", " ", as_printed) == around_the_content(rename.text)


def test_the_week_page_has_the_same_page_around_it_for_staff_too(app):
    """The same for someone with staff's menu (a therapist planning their own week):
    whatever base.html shows staff, its Jinja2 twin shows too."""
    therapist = make_therapist(first_name="Sam")
    routine = make_routine(owner=therapist, name="Mine")
    signed_in(app, therapist)
    week = app.get(reverse("routines:detail", args=[routine.pk]))
    rename = app.get(reverse("routines:rename", args=[routine.pk]))
    assert week.status_code == rename.status_code == 200
    assert "Clinic" in week.html.select_one("nav").get_text()
    assert around_the_content(week.text) == around_the_content(rename.text)
