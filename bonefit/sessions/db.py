from django.contrib.sessions.backends import db

from bonefit.sessions import PreparedLoad


class SessionStore(PreparedLoad, db.SessionStore):
    pass
