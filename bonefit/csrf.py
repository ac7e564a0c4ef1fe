"""One masked CSRF token per response, whichever template engines render it.

Django masks the CSRF secret afresh each time a template render asks for it (so that no
two responses carry the same bytes: the BREACH defence), and a week page renders twice:
the page in Django templates and the week in Jinja2. Each mask is 32 random characters
drawn one by one from the operating system, a fifth of the CSRF middleware's cost. One mask
per response is all the defence needs, so both engines share it.
"""

from django.middleware.csrf import get_token
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html


def masked_token(request):
    """get_token(request), once per request while the secret stays the same (a view
    that rotates the secret, as logging in does, gets a new one)."""
    remembered = getattr(request, "_bonefit_masked_csrf", None)
    secret = request.META.get("CSRF_COOKIE")
    if remembered is not None and remembered[0] == secret and secret is not None:
        return remembered[1]
    token = get_token(request)
    request._bonefit_masked_csrf = (request.META.get("CSRF_COOKIE"), token)
    return token


def _hidden_input(request):
    return format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
        masked_token(request),
    )


class _HiddenInput:
    """`csrf_input` for Jinja2: the hidden field, made when a template first prints it
    (Django's lazy() would make it again each time, and a week page prints it four
    times)."""

    def __init__(self, request):
        self.request, self.html = request, None

    def __html__(self):
        if self.html is None:
            self.html = _hidden_input(self.request)
        return self.html

    __str__ = __html__


def context(request):
    """For Django templates' context_processors: `csrf_token`, as Django's own processor
    gives it (lazy: a page without a form asks for no token), but shared."""
    return {"csrf_token": SimpleLazyObject(lambda: masked_token(request))}


def jinja2_context(request):
    """For Jinja2's context_processors: `csrf_input` and `csrf_token`, shared."""
    return {
        "csrf_token": SimpleLazyObject(lambda: masked_token(request)),
        "csrf_input": _HiddenInput(request),
    }
