"""Django's database-backed session engines, reading the session with a prepared query.

Every signed-in request reads its session row. The query is Django's, minus the expiry
test, which is made here in Python; it is only compiled once per process (bonefit.prepared
says why). SESSION_ENGINE is "bonefit.sessions.db", or "bonefit.sessions.cached_db" when
there is a shared cache.
"""

from django.contrib.sessions.models import Session
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
