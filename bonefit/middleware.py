import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.cache import (
    add_never_cache_headers,
    patch_cache_control,
    patch_vary_headers,
)

from routines import two_factor


class ContentSecurityPolicyMiddleware:
    """Send our Content-Security-Policy on every response that does not set its own.

    The policy allows no inline script, so every script must be a file under static/.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class RequestSizeLimitMiddleware:
    """Refuse over-large request bodies before Django reads them, file parts included.

    Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count file parts, so without this a
    10 MB file sent to a patient's form would be read and stored in a temporary file.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = (
            settings.UPLOAD_REQUEST_MAX_BYTES
            if request.path.startswith(settings.UPLOAD_PATH_PREFIXES)
            else settings.FORM_REQUEST_MAX_BYTES
        )
        if length > limit:
            response = render(
                request,
                "413.html",
                {"limit": filesizeformat(limit)},
                status=413,
            )
            response["Connection"] = "close"
            return response
        return self.get_response(request)


class PrivateCacheMiddleware:
    """Tell browsers and proxies never to store a page shown to a signed-in person.

    Health data must not stay in a shared computer's browser cache (the back button after
    log-out, a care home's PC), nor in any proxy. Everything under /clinic/ is private too,
    even the sign-in redirect.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith(
            "/clinic/"
        ):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ["Cookie"])
        return response


SIGNED_IN_AT = "bonefit_signed_in_at"
LAST_SEEN_AT = "bonefit_last_seen_at"


def now() -> float:
    """The clock sessions are timed by; tests move it instead of sleeping."""
    return time.time()


@receiver(user_logged_in, dispatch_uid="bonefit-session-start")
def _stamp_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = request.session[LAST_SEEN_AT] = int(now())


def idle_limit_seconds(user) -> int:
    return (
        settings.SESSION_IDLE_SECONDS_STAFF
        if user.is_staff
        else settings.SESSION_IDLE_SECONDS_PATIENT
    )


class SessionTimeoutMiddleware:
    """Sign out after a while without activity, and at the latest SESSION_COOKIE_AGE
    after signing in however active the person is.

    Django alone renews a session's expiry whenever the session is saved, so it has no
    absolute limit, and no idle limit shorter than the cookie's life. The last-seen time is
    written at most once a minute, so an active session costs no write per request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            session = request.session
            moment = int(now())
            signed_in = session.setdefault(SIGNED_IN_AT, moment)
            last_seen = session.get(LAST_SEEN_AT, moment)
            idle = moment - last_seen > idle_limit_seconds(user)
            too_old = moment - signed_in > settings.SESSION_COOKIE_AGE
            if idle or too_old:
                logout(request)
                messages.info(
                    request,
                    "You were logged out because the page was left for a long time. "
                    "Please log in again."
                    if idle
                    else "You have been logged in for a long time, so please log in "
                    "again.",
                )
                return redirect_to_login(request.get_full_path())
            if moment - last_seen >= 60 or LAST_SEEN_AT not in session:
                session[LAST_SEEN_AT] = moment
        return self.get_response(request)


class TwoFactorMiddleware:
    """Ask for the second step (a code) before any page, for anyone who has it turned on;
    and keep staff without it out of TWO_FACTOR_REQUIRED_PREFIXES (/admin/, /clinic/).

    Whether the person has a device is remembered in the session at sign-in
    (routines.two_factor.remember_devices), so ordinary requests cost no query.
    """

    EXEMPT_PREFIXES = ("/static/", "/media/", "/health/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not request.path.startswith(self.EXEMPT_PREFIXES):
            if two_factor.code_to_type(request):
                exempt = {reverse("two_factor_verify"), reverse("logout")}
                if request.path not in exempt:
                    return redirect_with_next("two_factor_verify", request)
            elif (
                not user.is_verified()
                and user.is_staff
                and request.path.startswith(settings.TWO_FACTOR_REQUIRED_PREFIXES)
            ):
                messages.info(
                    request,
                    "Staff accounts need two-step sign-in. Please set it up first.",
                )
                return redirect_with_next("two_factor_setup", request)
        return self.get_response(request)


def redirect_with_next(url_name, request):
    return redirect(
        f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}"
    )
