"""Django's database-backed session engines, with the two queries of a signed-in request
that changes its session (reading it, and writing it back) cheaper.

Every signed-in request reads its session row, and every form sent writes it back (the
"saved" message lives in the session). Reading is Django's query, minus the expiry test,
which is made here in Python, compiled once per process (bonefit.prepared says why).
Writing an existing session back is one UPDATE written out from the model's names; a new
session, or one that is gone, is left to Django. SESSION_ENGINE is "bonefit.sessions.db",
or "bonefit.sessions.cached_db" when there is a shared cache.
"""

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import connections, router
from django.utils import timezone

from bonefit.prepared import PreparedQuery

_SESSION = PreparedQuery(lambda key: Session.objects.filter(session_key=key))


class PreparedLoad:
    def _get_session_from_db(self):
        key = self.session_key
        if type(key) is not str or self.get_model_class() is not Session:
            return super()._get_session_from_db()
        found = _SESSION(key)
        if found and found[0].expire_date > timezone.now():
            return found[0]
        self._session_key = None  # as Django does: the next save makes a new key
        return None


class WrittenUpdate:
    """db.SessionStore.save() for a session that already has its row, as one UPDATE."""

    def save(self, must_create=False):
        if (
            must_create
            or self.session_key is None
            or self.get_model_class() is not Session
        ):
            return super().save(must_create)
        data = self._get_session(no_load=must_create)
        connection = connections[router.db_for_write(Session)]
        quote = connection.ops.quote_name
        meta = Session._meta
        data_column, expiry, key = (
            quote(meta.get_field(name).column)
            for name in ("session_data", "expire_date", "session_key")
        )
        with connection.cursor() as cursor:
            cursor.execute(
                # Only the model's own names go into the text; the values are parameters.
                f"UPDATE {quote(meta.db_table)} SET {data_column} = %s, {expiry} = %s "  # noqa: S608
                f"WHERE {key} = %s",
                [
                    self.encode(data),
                    connection.ops.adapt_datetimefield_value(self.get_expiry_date()),
                    self.session_key,
                ],
            )
            if cursor.rowcount != 1:  # gone meanwhile (signed out in another tab)
                raise UpdateError
