"""REDIS_URL: one cache and one session store for every host; without it, nothing to run."""

import os
import subprocess
import sys

import pytest
import redis
from django.core.cache import cache
from django_webtest import DjangoTestApp

from tests.factories import make_user
from tests.servers import redis_server

pytestmark = pytest.mark.django_db

SHOW = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.CACHES['default']['BACKEND'], settings.SESSION_ENGINE)"
)


def settings_with(**env):
    environ = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    environ |= {"DJANGO_SETTINGS_MODULE": "bonefit.settings", "DJANGO_DEBUG": "true"}
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        env=environ | env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_without_redis_url_nothing_needs_to_run():
    shown = settings_with()
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [
        "django.core.cache.backends.locmem.LocMemCache",
        "bonefit.sessions.db",
    ]


def test_redis_url_shares_the_cache_and_the_sessions():
    shown = settings_with(REDIS_URL="redis://cache.internal:6379/0")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "bonefit.sessions.cached_db",
    ]


def test_a_mistyped_redis_url_stops_the_start_with_one_plain_line():
    shown = settings_with(REDIS_URL="cache.internal:6379")
    assert shown.returncode != 0
    assert "REDIS_URL must start with redis://" in shown.stderr


@pytest.fixture
def shared_redis(settings):
    with redis_server() as url:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "bonefit",
            }
        }
        settings.SESSION_ENGINE = "bonefit.sessions.cached_db"
        yield redis.Redis.from_url(url)
        cache.close()


def log_in(app, username, password):
    form = app.get("/accounts/login/").forms[0]
    form["username"] = username
    form["password"] = password
    return form.submit()


def test_sign_in_lives_in_redis_and_survives_losing_it(shared_redis):
    make_user("alice", password="right-password-123")
    app = DjangoTestApp()
    assert log_in(app, "alice", "right-password-123").status_code == 302
    assert app.get("/routines/").status_code == 200
    session_keys = shared_redis.keys("bonefit:*django.contrib.sessions.cached_db*")
    assert len(session_keys) == 1

    # Another "host": a fresh app with only the cookie the browser holds.
    other = DjangoTestApp()
    other.set_cookie("sessionid", app.cookies["sessionid"])
    assert other.get("/routines/").status_code == 200

    # Redis restarted empty: the session was written through to the database.
    shared_redis.flushdb()
    assert other.get("/routines/").status_code == 200
    assert other.get("/accounts/login/").status_code == 302  # already signed in


def test_the_catalogue_fragment_is_shared(shared_redis, client):
    from tests.factories import make_exercise

    make_exercise(name="Heel raises")
    client.get("/catalogue/")
    assert shared_redis.keys("bonefit:*template.cache.catalogue_list*")
