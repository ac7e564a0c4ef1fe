from django.conf import settings


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
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    if count <= 0:
        return remote
    entries = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(entries) < count:
        return remote
    return entries[-count][:64]
