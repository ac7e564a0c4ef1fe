import ipaddress

from django.conf import settings

UNKNOWN = "unknown"


def client_ip(request) -> str:
    """The address of the person's browser, for throttling and the sign-in log.

    Each proxy in front of BoneFit appends the address it was reached from to
    X-Forwarded-For, so with N trusted proxies the client is the N-th entry from the
    right. Everything further left was written by the client and can be forged. Without
    a trusted proxy the header is ignored and the socket's address is used. A header with
    fewer entries than there are proxies did not pass through all of them: its left-most
    entry is then forged as well, so the socket's address is used.
    """
    count = settings.TRUSTED_PROXY_COUNT
    remote = _valid(request.META.get("REMOTE_ADDR")) or UNKNOWN
    if count <= 0:
        return remote
    entries = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(entries) < count:
        return remote
    return _valid(entries[-count]) or remote


def sign_in_log_ip(request) -> str | None:
    """client_ip() for the sign-in log, whose column takes only real addresses (None when
    there is none, as for a test client or a broken proxy header)."""
    address = client_ip(request)
    return None if address == UNKNOWN else address


def _valid(text):
    try:
        return str(ipaddress.ip_address((text or "").strip()))
    except ValueError:
        return None
