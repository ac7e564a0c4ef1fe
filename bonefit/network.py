from django.conf import settings


def client_ip(request):
    """The patient's address, for login throttling.

    Behind our own reverse proxy every request comes from the proxy, so the address is the
    last one the proxy appended to X-Forwarded-For (earlier entries come from the client and
    can be forged). Without a proxy it is the socket's address.
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR")
