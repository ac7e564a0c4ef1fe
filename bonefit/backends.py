"""How a signed-in request finds its user: Django's ModelBackend, with a prepared query.

Every signed-in request reads its user once (django.contrib.auth.get_user). The query is
the same as Django's; it is only compiled once per process (bonefit.prepared says why).
"""

from django.contrib.auth import backends, get_user_model

from bonefit.prepared import PreparedQuery

_USER = PreparedQuery(lambda pk: get_user_model()._default_manager.filter(pk=pk))


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        if type(user_id) is not int:
            return super().get_user(user_id)
        found = _USER(user_id)
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None
