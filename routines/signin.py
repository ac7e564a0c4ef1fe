"""Who may try to sign in, reset a password or sign up right now (limits in the cache).

Signing in has three counters for a browser the account has not used before: the account
from this address, this address across all accounts (password spraying), and the account
from anywhere (guessing from many addresses). A browser the account signed in from before
carries a device cookie and has a counter of its own instead, so someone who shares the
patient's address, say on a care home's network, cannot lock the patient out. A locked-out
person can always reset their password: doing so forgets every failure for the account
and signs them in.
"""

import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac

from bonefit.network import client_ip
from bonefit.throttle import Limit

_COOLOFF = settings.LOGIN_COOLOFF_MINUTES * 60
HOUR = 60 * 60
LOGIN_PAIR = Limit("login-pair", settings.LOGIN_FAILURE_LIMIT, _COOLOFF)
LOGIN_DEVICE = Limit("login-device", settings.LOGIN_FAILURE_LIMIT, _COOLOFF)
LOGIN_ADDRESS = Limit("login-address", settings.LOGIN_ADDRESS_FAILURE_LIMIT, _COOLOFF)
LOGIN_ACCOUNT = Limit("login-account", settings.LOGIN_ACCOUNT_FAILURE_LIMIT, HOUR)
RESET_ADDRESS = Limit("reset-address", settings.PASSWORD_RESET_ADDRESS_LIMIT, HOUR)
RESET_EMAIL = Limit("reset-email", settings.PASSWORD_RESET_EMAIL_LIMIT, HOUR)
SIGNUP_ADDRESS = Limit("signup-address", settings.SIGNUP_ADDRESS_LIMIT, HOUR)
CODE_ACCOUNT = Limit("two-factor-code", 10, _COOLOFF)

DEVICE_SALT = "bonefit.signin.device"
DEVICE_COOKIE_DAYS = 365
DEVICES_PER_BROWSER = 5


# --- the generation: a reset password forgets every failure for the account -------------


def _generation(username: str) -> int:
    return cache.get(f"signin-generation:{_account_tag(username)}", 0)


def forgive(username: str) -> None:
    """Forget every counted failure for this account, from every address and browser."""
    key = f"signin-generation:{_account_tag(username)}"
    cache.set(key, _generation(username) + 1, timeout=2 * HOUR + _COOLOFF)


def _account_tag(username: str) -> str:
    return salted_hmac(DEVICE_SALT, username.strip().lower()).hexdigest()[:24]


# --- device cookies -----------------------------------------------------------------------


def _cookie_entries(request) -> list[list[str]]:
    raw = request.COOKIES.get(settings.DEVICE_COOKIE_NAME)
    if not raw:
        return []
    try:
        entries = signing.loads(
            raw, salt=DEVICE_SALT, max_age=DEVICE_COOKIE_DAYS * 24 * HOUR
        )
    except signing.BadSignature:
        return []
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, list) and len(e) == 2]


def device_token(request, username: str) -> str | None:
    """The token of this browser's device cookie for this account, if it has one."""
    tag = _account_tag(username)
    for entry_tag, token in _cookie_entries(request):
        if constant_time_compare(entry_tag, tag):
            return token
    return None


def remember_device(request, response, username: str) -> None:
    """After a successful sign-in: mark this browser as one the account has used."""
    tag = _account_tag(username)
    entries = [e for e in _cookie_entries(request) if e[0] != tag]
    entries = [[tag, secrets.token_urlsafe(12)], *entries][:DEVICES_PER_BROWSER]
    response.set_cookie(
        settings.DEVICE_COOKIE_NAME,
        signing.dumps(entries, salt=DEVICE_SALT, compress=True),
        max_age=DEVICE_COOKIE_DAYS * 24 * HOUR,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


# --- signing in ---------------------------------------------------------------------------


def _login_counters(request, username: str) -> list[tuple[Limit, str]]:
    generation = _generation(username)
    account = f"{generation}|{username.strip()}"
    token = device_token(request, username)
    if token is not None:
        return [(LOGIN_DEVICE, f"{account}|{token}")]
    address = client_ip(request)
    return [
        (LOGIN_PAIR, f"{account}|{address}"),
        (LOGIN_ADDRESS, address),
        (LOGIN_ACCOUNT, account),
    ]


def login_refusal(request, username: str) -> Limit | None:
    """The limit this sign-in attempt is over, or None if it may go ahead."""
    for limit, key in _login_counters(request, username):
        if limit.exceeded(key):
            return limit
    return None


def login_failed(request, username: str) -> None:
    for limit, key in _login_counters(request, username):
        limit.hit(key)


def login_succeeded(request, response, username: str) -> None:
    limit, key = _login_counters(request, username)[0]
    limit.reset(key)
    remember_device(request, response, username)


# --- password reset and sign-up -----------------------------------------------------------


def reset_refusal(request, email: str) -> Limit | None:
    """Counts the request when it may go ahead: every request may send a mail."""
    checks = [(RESET_ADDRESS, client_ip(request)), (RESET_EMAIL, email.strip())]
    for limit, key in checks:
        if limit.exceeded(key):
            return limit
    for limit, key in checks:
        limit.hit(key)
    return None


def signup_refusal(request) -> Limit | None:
    address = client_ip(request)
    return SIGNUP_ADDRESS if SIGNUP_ADDRESS.exceeded(address) else None


def signed_up(request) -> None:
    SIGNUP_ADDRESS.hit(client_ip(request))
