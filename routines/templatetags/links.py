"""`{% link 'routines:item_edit' routine.pk item.pk %}`: `{% url %}` for links repeated per item.

See bonefit.links.reverse_fast: the same URL as `{% url %}`, reversed once per page shape.
"""

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.translation import get_language

from bonefit.links import reverse_fast

register = template.Library()

# The main menu's links depend on the code, the kind of visitor and the page open, not on
# any data: each combination is rendered once per process (not with DEBUG on, where
# templates are edited as the server runs). Bounded by views × three kinds of visitor.
# Rendered afresh, they cost a signed-in page as much as a tenth of its time.
_NAV_LINKS = {}


@register.simple_tag
def link(viewname, *args):
    return reverse_fast(viewname, *args)


@register.simple_tag(takes_context=True)
def nav_links(context):
    """The main menu's links (includes/nav.html) for this visitor, the open page's marked."""
    request = context.get("request")
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    key = (
        bool(user and user.is_authenticated),
        bool(user and user.is_staff),
        match.view_name if match else "",
        get_script_prefix(),
        get_language(),
    )
    html = _NAV_LINKS.get(key)
    if html is None or settings.DEBUG:
        signed_in, staff, here, *_ = key
        html = _NAV_LINKS[key] = render_to_string(
            "includes/nav.html", {"signed_in": signed_in, "staff": staff, "here": here}
        )
    return html
