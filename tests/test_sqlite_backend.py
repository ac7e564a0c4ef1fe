"""bonefit.sqlite3: Django's SQLite backend with a faster placeholder conversion, which
must give SQLite the same SQL as Django's own."""

import itertools
import os
import subprocess
import sys

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import SQLiteCursorWrapper as DjangoCursor

from bonefit.sqlite3.base import SQLiteCursorWrapper
from catalogue.models import Exercise

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the SQLite backend only"
)

QUERIES = [
    "SELECT 1",
    'SELECT "a" FROM "t" WHERE "a" = %s AND "b" IN (%s, %s)',
    "SELECT '100%%' WHERE 1 = %s",  # a literal percent sign
    "SELECT '%%s' WHERE 1 = %s",  # a literal %s: not a placeholder
    "SELECT '%%%s'",
    "SELECT x FROM t WHERE x LIKE %s ESCAPE '\\'",
]


@pytest.mark.parametrize("query", QUERIES)
def test_converts_as_django_does(query):
    ours = SQLiteCursorWrapper.convert_query(None, query)
    assert ours == DjangoCursor.convert_query(None, query)


def test_converts_every_short_query_as_django_does():
    """Every string of up to six of the characters that matter (percent signs, the s
    after them, a question mark, a quote, anything else): the same SQL as Django's."""
    for length in range(7):
        for chars in itertools.product("%s?'a", repeat=length):
            query = "".join(chars)
            expected = DjangoCursor.convert_query(None, query)
            assert SQLiteCursorWrapper.convert_query(None, query) == expected, query


@pytest.mark.django_db
def test_the_queries_of_a_page_convert_as_django_does(client, monkeypatch):
    """Every query of the demo's pages, as the cursor is given it, comes out the same."""
    seen = []
    ours = SQLiteCursorWrapper.convert_query

    def compared(self, query, *, param_names=None):
        converted = ours(self, query, param_names=param_names)
        seen.append(
            (
                converted,
                DjangoCursor.convert_query(self, query, param_names=param_names),
            )
        )
        return converted

    monkeypatch.setattr(SQLiteCursorWrapper, "convert_query", compared)
    Exercise.objects.filter(name__icontains="50%").exists()
    list(Exercise.objects.filter(name__contains="%").values("name")[:3])
    assert client.get("/catalogue/?q=chair").status_code == 200
    assert len(seen) >= 3
    assert all(converted == django for converted, django in seen)


@pytest.mark.django_db
def test_the_database_uses_it_and_answers_with_literal_percent_signs():
    assert connection.settings_dict["ENGINE"] == "bonefit.sqlite3"
    with connection.cursor() as cursor:
        assert isinstance(cursor.cursor, SQLiteCursorWrapper)
        cursor.execute("SELECT '100%%', %s, '%%s'", ["x"])
        assert cursor.fetchone() == ("100%", "x", "%s")
        cursor.execute("SELECT %s || %s", ["a%", "%b"])
        assert cursor.fetchone() == ("a%%b",)


def test_tox_parallel_and_xdist_runs_keep_the_test_database_in_memory():
    """pytest-django renames the test database of every engine but Django's own SQLite
    under tox's parallel mode and pytest-xdist (to test_<NAME>_<suffix>: for a file
    path, a folder that does not exist): the suite must still run there."""
    env = {**os.environ, "TOX_PARALLEL_ENV": "py311"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"{__file__}::test_the_database_uses_it_and_answers_with_literal_percent_signs",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:]
