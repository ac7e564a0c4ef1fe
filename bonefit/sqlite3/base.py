"""Django's SQLite backend, with its placeholders converted without a regular expression.

Django writes SQL with `%s` placeholders and SQLite wants `?`. Django's SQLite cursor
converts every query, each time it runs, with a regular expression that looks behind each
`%` for another (`%%s` is a literal `%s`); on this machine that scan takes 20 µs for a short
query and 100 µs for the week page's routine with its owner's profile: a quarter of a
millisecond a page. A query with no `%%` in it needs no look-behind: each `%s` becomes `?`
and nothing else changes. Any other query is converted by Django, as before.
tests/test_sqlite_backend.py checks both give the same SQL.
"""

from django.db.backends.sqlite3 import base


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query, *, param_names=None):
        if param_names is None and "%%" not in query:
            return query.replace("%s", "?")
        return base.SQLiteCursorWrapper.convert_query(
            self, query, param_names=param_names
        )


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name=None):
        return self.connection.cursor(factory=SQLiteCursorWrapper)
