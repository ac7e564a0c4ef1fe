from django.conf import settings


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
