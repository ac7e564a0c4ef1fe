"""`{% link 'routines:item_edit' routine.pk item.pk %}`: `{% url %}` for links repeated per item.

See bonefit.links.reverse_fast: the same URL as `{% url %}`, reversed once per page shape.
"""

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from bonefit.links import reverse_fast
from routines import two_factor

register = template.Library()

# The main menu's links depend on the code, the kind of visitor and the page open, not on
# any data: each combination is rendered once per process (not with DEBUG on, where
# templates are edited as the server runs). Bounded by views × four kinds of visitor.
# Rendered afresh, they cost a signed-in page as much as a tenth of its time.
_NAV_LINKS = {}


@register.simple_tag
def link(viewname, *args):
    return reverse_fast(viewname, *args)


@register.simple_tag(takes_context=True)
def nav_links(context):
    return nav_links_html(context.get("request"))


# The menu entry each namespace's pages belong under (the week under My routines, history
# under Today), and the pages outside a namespace that belong under one.
SECTION_OF_NAMESPACE = {
    "plan": "plan:today",
    "routines": "routines:list",
    "care": "routines:list",
    "catalogue": "catalogue:list",
    "clinic": "clinic:patients",
}
SECTION_OF_PAGE = {
    "routines:profile": "routines:profile",
    "account_export": "account",
    "account_delete": "account",
    "two_factor_setup": "account",
    "two_factor_new_codes": "account",
    "two_factor_turn_off": "account",
    "password_change": "account",
    "password_change_done": "account",
    # A visitor's way back in, from the log-in page.
    "password_reset": "login",
    "password_reset_done": "login",
    "password_reset_confirm": "login",
    "password_reset_complete": "login",
}


@register.simple_tag(takes_context=True)
def menu_entry(context, view_name, label):
    """One link of includes/nav.html, marked as the open page (`here`) or as the entry of
    the part of the site it is in (`section`)."""
    if view_name == context["here"]:
        current = ' aria-current="page"'
    elif view_name == context["section"]:
        current = ' aria-current="true"'
    else:
        current = ""
    return format_html(
        '<li><a href="{}"{}>{}</a></li>',
        reverse_fast(view_name),
        mark_safe(current),  # noqa: S308 - one of the three constants above
        label,
    )


def menu_section(view_name):
    """The menu entry whose part of the site `view_name` is in ("" for none)."""
    if view_name in SECTION_OF_PAGE:
        return SECTION_OF_PAGE[view_name]
    namespace, _, _ = view_name.rpartition(":")
    return SECTION_OF_NAMESPACE.get(namespace, "")


def nav_links_html(request):
    """The main menu's links (includes/nav.html) for this visitor, the open page's marked
    (and the entry of the part of the site it is in).
    Someone signed in who has yet to type their two-step code has none: every page but
    the code's would send them back to it. For base.html's {% nav_links %} and its
    Jinja2 twin."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    match = getattr(request, "resolver_match", None)
    key = (
        signed_in,
        signed_in and user.is_staff,
        signed_in and two_factor.code_to_type(request),
        match.view_name if match else "",
        get_script_prefix(),
        get_language(),
    )
    html = _NAV_LINKS.get(key)
    if html is None or settings.DEBUG:
        signed_in, staff, code_to_type, here, *_ = key
        html = _NAV_LINKS[key] = render_to_string(
            "includes/nav.html",
            {
                "signed_in": signed_in,
                "staff": staff,
                "code_to_type": code_to_type,
                "here": here,
                "section": menu_section(here),
            },
        )
    return html
