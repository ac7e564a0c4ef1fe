from django.contrib.sessions.backends import db

from bonefit.sessions import PreparedLoad, WrittenUpdate


class SessionStore(PreparedLoad, WrittenUpdate, db.SessionStore):
    pass
