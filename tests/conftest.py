import os
import shutil

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client

from catalogue import views as catalogue_views
from catalogue.roles import THERAPISTS
from routines import checking
from routines.templatetags import links as link_tags
from tests.factories import make_patterns, make_profile, make_user, sign_in

# Playwright's sync API runs an asyncio loop in the main thread; Django would otherwise
# raise SynchronousOnlyOperation in live_server setup and in ORM calls inside browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _browser_required():
    return bool(os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER"))


def pytest_collection_modifyitems(config, items):
    """No Chromium: skip browser tests locally with a clear reason, but fail under CI."""
    if os.path.exists(CHROMIUM) and shutil.which("pdftotext"):
        return
    if _browser_required():
        raise pytest.UsageError(
            f"{CHROMIUM} or pdftotext missing: apt-get install -y chromium poppler-utils"
        )
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} missing: apt-get install -y chromium poppler-utils to run browser tests"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI a skipped browser test fails: the suite must really run the browser checks."""
    report = yield
    if report.skipped and "browser" in item.keywords and _browser_required():
        report.outcome = "failed"
        report.longrepr = f"browser test skipped under CI: {report.longrepr}"
    return report


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache: throttle counters live there, and with
    REDIS_URL set the cache outlives the process. The process's catalogue tables too: a
    rolled-back test can leave a catalogue version that the next test's catalogue repeats.
    And the exercise list's empty filters and the menu's links, which a test may render
    under other settings."""
    cache.clear()
    checking.forget_catalogue_tables()
    catalogue_views._EMPTY_FILTERS_HTML.clear()
    link_tags._NAV_LINKS.clear()
    yield
    cache.clear()
    checking.forget_catalogue_tables()
    catalogue_views._EMPTY_FILTERS_HTML.clear()
    link_tags._NAV_LINKS.clear()


@pytest.fixture
def patterns(db):
    return make_patterns()


@pytest.fixture
def patient(db):
    user = make_user("alice", first_name="Alice")
    make_profile(user)
    return user


@pytest.fixture
def other_patient(db):
    user = make_user("bob")
    make_profile(user)
    return user


@pytest.fixture
def patient_client(patient):
    client = Client()
    client.force_login(patient)
    return client


@pytest.fixture
def other_client(other_patient):
    client = Client()
    client.force_login(other_patient)
    return client


@pytest.fixture
def therapist(db):
    user = make_user("terry", is_staff=True)
    user.groups.add(Group.objects.get(name=THERAPISTS))
    return user


@pytest.fixture
def therapist_client(therapist):
    return sign_in(Client(), therapist)


@pytest.fixture
def admin_client(admin_user):
    """pytest-django's admin_client, past the second step the admin needs."""
    return sign_in(Client(), admin_user)


@pytest.fixture
def app(django_app, db):
    """A WebTest browser: GET a page, fill the form it rendered, submit it.

    `app.get(url, user=patient)` signs the patient in for that request and the ones after.
    """
    return django_app
