"""The real settings, in DEBUG-free test form, plus a throwaway key and speed-ups.

pytest-django imports settings before any conftest.py, so the key is set here.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("DJANGO_SECURE", "false")
os.environ.setdefault("DJANGO_EMAIL_HOST", "localhost")  # replaced by locmem below

from bonefit.settings import *  # noqa: E402, F403
from bonefit.settings import DATABASES, STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Plain storage: the manifest storage needs collectstatic, which tests do not run.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

if DATABASES["default"]["ENGINE"] == "bonefit.sqlite3":
    # In memory, as Django makes any SQLite test database without a TEST NAME. Said
    # outright because pytest-django knows SQLite only by Django's engine name: for ours,
    # under tox's parallel mode or pytest-xdist, it would name the test database
    # "test_/path/to/db.sqlite3_<suffix>", a file in a folder that does not exist.
    DATABASES["default"]["TEST"] = {
        **DATABASES["default"].get("TEST", {}),
        "NAME": ":memory:",
    }
