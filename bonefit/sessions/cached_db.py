from django.contrib.sessions.backends import cached_db

from bonefit.sessions import PreparedLoad


class SessionStore(PreparedLoad, cached_db.SessionStore):
    pass
