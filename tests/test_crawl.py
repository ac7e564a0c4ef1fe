"""Crawl the demo site as each kind of account and submit every form as the page renders it.

This keeps covering forms nobody has written a test for yet: it finds them on the pages.

For each demo account (the patients; the therapist, or one made with createtherapist if the
demo has none; a clinic administrator only if the demo data has one):
- from the home page, follow the same-site links breadth-first (GET only, bounded; not the
  log-out button, static or media files), and submit every GET form (searches, filters) as
  rendered;
- submit every POST form found exactly as rendered, inside a savepoint that is rolled back,
  so each form sees the demo data as seeded. Log-out, and forms that delete something, are
  not submitted (their confirmation pages are visited).

It fails on any 5xx answer, and on any edit form (one that shows existing values) that is
refused when submitted untouched: a 4xx, or the page shown again instead of a redirect.

Bounds: at most MAX_PAGES pages per account; of one URL pattern, at most MAX_PER_ROUTE pages
without ?parameters, spread over the links found (the first, the last, some between), and
MAX_QUERIES_PER_ROUTE with ?parameters (sorting, filters, a chosen exercise), MAX_PER_QUERY
of them with the same names. So 60 exercise pages cost as much as 4.
`BONEFIT_CRAWL_PER_ROUTE=100 .venv/bin/pytest tests/test_crawl.py -s` goes much further
and prints what it covered.
"""

import functools
import io
import os
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.urls import Resolver404, resolve
from webtest.forms import Submit

from catalogue.roles import THERAPISTS
from routines.management.commands import seed_demo
from tests.factories import sign_in_through_pages

pytestmark = pytest.mark.django_db

MAX_PAGES = 300
MAX_PER_ROUTE = int(os.environ.get("BONEFIT_CRAWL_PER_ROUTE", "4"))
MAX_PER_QUERY = 1
MAX_QUERIES_PER_ROUTE = 2
SAME_SITE = {"", "testserver", "localhost", "127.0.0.1"}
# What a page shows when a template's comment or tag was left unrendered (Django's {# #}
# comment, for one, ends at the end of its line).
TEMPLATE_MARKS = ("{#", "#}", "{%", "%}", "{{", "}}")
NOT_PAGES = ("/static/", "/media/")
CREATE_SEGMENTS = {"add", "new"}  # /routines/new/, /items/add/, /admin/.../add/
TEXT_INPUTS = {"text", "email", "number", "url", "tel", "search", "date", "time"}
ERROR_CLASSES = {
    "errorlist",
    "errornote",
    "invalid-feedback",
    "alert-danger",
    "text-danger",
}
PASSWORD = "a-long-enough-pass-123"


@dataclass
class FoundForm:
    page: str  # the URL of the page it is on
    form: object  # webtest.forms.Form
    action: str  # the path it posts to
    edits_existing: bool


@dataclass
class Crawl:
    pages: list
    submitted: list  # (FoundForm, button, status, errors shown)
    server_errors: list  # (method, url, what happened)
    client_errors: list  # (url, status) of GET requests
    # (url, text) where a page shows template syntax: a comment or tag left unrendered
    template_leaks: list = field(default_factory=list)


@functools.cache
def _route(path):
    try:
        return resolve(path).route
    except Resolver404:
        return path


def _kind_of_page(url):
    """Pages of one kind: one URL pattern, and the same names of ?parameters."""
    parts = urlsplit(url)
    names = tuple(sorted({name for name, _ in parse_qsl(parts.query, True)}))
    return _route(parts.path), names


def _segments(path):
    return path.strip("/").split("/")


def _is_logout(path):
    return _segments(path)[-1] == "logout"


def _deletes(path):
    return "delete" in _segments(path)


def _creates(path):
    return bool(CREATE_SEGMENTS & set(_segments(path)))


def _shows_existing_values(form):
    """True when a person sees values already filled in: an edit form.

    A form that asks for a password is not one: nobody can submit it untouched.
    """
    soup = form.html
    inputs = soup.find_all("input")
    if any((tag.get("type") or "").lower() == "password" for tag in inputs):
        return False
    for tag in inputs:
        kind = (tag.get("type") or "text").lower()
        if kind in TEXT_INPUTS and tag.get("value", "").strip():
            return True
        if (
            kind in {"checkbox", "radio"}
            and tag.has_attr("checked")
            and tag.get("value")
        ):
            return True
    if any(area.get_text().strip() for area in soup.find_all("textarea")):
        return True
    # A chosen option, not the empty "---------" a select starts with.
    return any(option.get("value") for option in soup.find_all("option", selected=True))


def _errors(page):
    """The error messages a page shows, as one line."""
    if "html" not in page.content_type:
        return ""
    nodes = page.html.find_all(class_=lambda c: c in ERROR_CLASSES)
    nodes += page.html.find_all(attrs={"aria-invalid": "true"})
    texts = [" ".join(node.get_text(" ").split()) for node in nodes]
    return " | ".join(dict.fromkeys(t for t in texts if t))[:400]


def _buttons(form):
    """The form's submit buttons in page order, each once, as (name, value).

    (None, None) is a button without a name. Pressing Enter presses the first one.
    """
    buttons = []
    for name, control in form.field_order:
        if isinstance(control, Submit):
            button = (name, control.value_if_submitted()) if name else (None, None)
            if button not in buttons:
                buttons.append(button)
    return buttons or [(None, None)]


def _spread(items, count):
    """`count` of `items`, spread out: the first, the last and evenly between."""
    if count <= 0:
        return []
    if len(items) <= count:
        return items
    if count == 1:
        return items[:1]
    step = (len(items) - 1) / (count - 1)
    return [items[round(i * step)] for i in range(count)]


def crawl(app, user, password):
    """Sign in as `user` through the pages, visit the site, submit its forms.

    Returns what happened. Staff pass the second step with a recovery code.
    """
    sign_in_through_pages(app, user, password)
    assert app.get("/accounts/me/").status_code == 200, f"{user} could not sign in"
    result = Crawl([], [], [], [])
    forms = _visit(app, result)
    _submit_all(app, forms, result)
    assert app.get("/accounts/me/").status_code == 200, f"{user} was signed out"
    return result


def _server_error(method, url, response=None, error=None):
    """A 500 as (method, url, what happened). django-webtest lets the exception through."""
    if error is not None:
        return (method, url, f"500, {type(error).__name__}: {error}")
    return (method, url, response.status)


def _visit(app, result):
    """Breadth-first from the home page; returns the POST forms found on the way."""
    queue, queued = deque(["/"]), {"/"}
    per_kind = Counter()
    forms, seen_forms = [], set()

    def same_site_page(url):
        parts = urlsplit(url)
        if parts.scheme not in {"", "http", "https"} or parts.netloc not in SAME_SITE:
            return None
        path = parts.path or "/"
        if path.startswith(NOT_PAGES) or _is_logout(path):
            return None
        return path + (f"?{parts.query}" if parts.query else "")

    def enqueue(urls):
        """Queue the new pages among `urls`, within each kind of page's allowance."""
        by_kind = {}
        for url in dict.fromkeys(filter(None, map(same_site_page, urls))):
            if url not in queued:
                by_kind.setdefault(_kind_of_page(url), []).append(url)
        for (route, names), urls_of_kind in by_kind.items():
            if names:  # ?parameters: a few of each set of names, a few in all
                allowed = min(
                    MAX_PER_QUERY - per_kind[route, names],
                    MAX_QUERIES_PER_ROUTE - per_kind[route, "?"],
                )
            else:
                allowed = MAX_PER_ROUTE - per_kind[route, names]
            for url in _spread(urls_of_kind, allowed):
                per_kind[route, names] += 1
                per_kind[route, "?"] += bool(names)
                queued.add(url)
                queue.append(url)

    while queue and len(result.pages) < MAX_PAGES:
        url = queue.popleft()
        result.pages.append(url)
        try:
            with transaction.atomic():  # a failed query must not spoil the next pages
                page = app.get(url, expect_errors=True)
        except Exception as error:  # noqa: BLE001 - every failure goes in the report
            result.server_errors.append(_server_error("GET", url, error=error))
            continue
        if page.status_int >= 500:
            result.server_errors.append(_server_error("GET", url, page))
        elif page.status_int >= 400:
            result.client_errors.append((url, page.status))
        elif 300 <= page.status_int < 400:
            enqueue([urljoin(url, page.location)])
        elif "html" in page.content_type:
            shown = page.html.get_text(" ")
            result.template_leaks += [
                (url, shown[max(0, at - 40) : at + 40])
                for at in (shown.find(mark) for mark in TEMPLATE_MARKS)
                if at >= 0
            ]
            found = [
                urljoin(url, a["href"]) for a in page.html.find_all("a", href=True)
            ]
            for form in page.forms.values():
                action = urlsplit(urljoin(url, form.action or url))
                if form.method.upper() == "GET":  # a search or a filter: a link too
                    query = urlencode(form.submit_fields())
                    found.append(action.path + (f"?{query}" if query else ""))
                elif not (_is_logout(action.path) or _deletes(action.path)):
                    same = (action.path, tuple(sorted(form.submit_fields())))
                    if same not in seen_forms:
                        seen_forms.add(same)
                        edits = not _creates(action.path) and _shows_existing_values(
                            form
                        )
                        forms.append(FoundForm(url, form, action.path, edits))
            enqueue(found)
    return forms


def _submit_all(app, forms, result):
    """Submit each form as rendered, each inside a savepoint that is rolled back.

    The browser's cookies go back too (a rolled-back sign-in must not leave a cookie for
    a session that no longer exists). The first form of each kind (same URL pattern, same
    fields) is sent once per button; the others of that kind with the button that Enter
    presses.
    """
    kinds = set()
    for found in forms:
        kind = (_route(found.action), found.form.id, tuple(found.form.fields))
        buttons = _buttons(found.form)
        if kind in kinds:
            buttons = buttons[:1]
        kinds.add(kind)
        for name, value in buttons:
            cookies = list(app.cookiejar)
            try:
                with transaction.atomic():
                    if name is None:
                        res = found.form.submit(expect_errors=True)
                    else:
                        res = found.form.submit(name, value=value, expect_errors=True)
                    transaction.set_rollback(True)
            except Exception as error:  # noqa: BLE001 - every failure goes in the report
                result.server_errors.append(
                    _server_error(
                        "POST", f"{found.action} (from {found.page})", error=error
                    )
                )
                continue
            finally:
                cache.clear()  # a cached fragment may describe the rolled-back write
                app.cookiejar.clear()
                for cookie in cookies:
                    app.cookiejar.set_cookie(cookie)
            if res.status_int >= 500:
                result.server_errors.append(_server_error("POST", found.action, res))
            result.submitted.append(
                (found, (name, value), res.status_int, _errors(res))
            )


def refused_edits(result):
    return [
        (found, button, status, errors)
        for found, button, status, errors in result.submitted
        if found.edits_existing and not 300 <= status < 400
    ]


def report(user, result):
    edits = sum(found.edits_existing for found, *_ in result.submitted)
    lines = [
        f"{user.username}: {len(result.pages)} pages, {len(result.submitted)} form "
        f"submissions, {edits} of them edit forms submitted untouched"
    ]
    for method, url, what in result.server_errors:
        lines.append(f"  {method} {url} answered {what}")
    for url, text in result.template_leaks:
        lines.append(f"  {url} shows template syntax: {text!r}")
    for found, (name, value), status, errors in refused_edits(result):
        pressed = f" pressing {name}={value!r}" if name else ""
        lines.append(
            f"  refused untouched: the form on {found.page}{pressed} answered {status}: "
            f"{errors or '(no error shown)'}"
        )
    for found, _, status, _ in result.submitted:
        if not found.edits_existing and status in {403, 404, 405}:
            lines.append(
                f"  (not an edit form, but worth a look: the form on {found.page} "
                f"posting to {found.action} answered {status} as rendered)"
            )
    for url, status in result.client_errors:
        lines.append(f"  (a link answered {status}: {url})")
    return "\n".join(lines)


# The accounts


@pytest.fixture
def demo(db, settings):
    """The accounts of the demo data, seeded as `make run` seeds them (with DEBUG on)."""
    before = set(User.objects.values_list("pk", flat=True))
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False
    return User.objects.exclude(pk__in=before)


def accounts(demo, role, monkeypatch):
    """(user, password) of the demo accounts of one role; if the demo data has none, one
    made as README says."""
    if role == "patient":
        users = list(demo.filter(is_staff=False))
        assert users, "the demo data has no patient"
        return [(user, seed_demo.DEMO_PASSWORD) for user in users]
    if role == "therapist":
        users = list(demo.filter(is_superuser=False, groups__name=THERAPISTS))
        if users:
            return [(user, seed_demo.DEMO_THERAPIST_PASSWORD) for user in users]
        monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n"))
        call_command(
            "createtherapist",
            "crawl-therapist",
            "--password-stdin",
            stdout=io.StringIO(),
        )
        return [(User.objects.get(username="crawl-therapist"), PASSWORD)]
    # A clinic administrator sees Django's own user admin besides the therapists' pages;
    # crawling one costs twice the other roles together, so only when the demo has one.
    users = list(demo.filter(is_superuser=True))
    if not users:
        pytest.skip("the demo data has no administrator account to crawl as")
    raise AssertionError("the demo data has an administrator: add its password here")


@pytest.mark.parametrize("role", ["patient", "therapist", "admin"])
def test_every_page_and_form_of_the_demo_works_as_rendered(
    app, demo, role, monkeypatch
):
    reports, failed = [], False
    for user, password in accounts(demo, role, monkeypatch):
        result = crawl(app, user, password)
        reports.append(report(user, result))
        failed = failed or bool(
            result.server_errors or result.template_leaks or refused_edits(result)
        )
        # The crawl really went round the site: it cannot pass by finding nothing.
        visited = {_route(urlsplit(url).path) for url in result.pages}
        if user.is_staff:
            assert "admin/catalogue/exercise/<path:object_id>/change/" in visited
        else:
            assert "routines/<int:pk>/items/<int:item_pk>/" in visited
        assert any(found.edits_existing for found, *_ in result.submitted)
    text = "\n".join(reports)
    print(text)  # with -s: what the crawl covered
    assert not failed, text
