"""The Jinja2 environment for the pages rendered most: a week of items and its printed sheet.

Django's own template language resolves every variable through several layers at run time;
for a week of 14 items (each with its findings, care notes and five to seven actions) that was
most of the page's time when the week is not cached. Jinja2 compiles a template to Python
once, so the same markup renders several times faster. Everything else uses Django templates.

Autoescaping is on (Django's backend turns it on), and an undefined name is an error rather
than an empty string, so a misspelt field can never silently drop a warning from the page.
"""

from django.forms import renderers
from django.forms.renderers import BaseRenderer
from django.template import TemplateDoesNotExist, defaultfilters
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from jinja2 import Environment, StrictUndefined, Undefined

from bonefit.links import link_maker, reverse_fast
from routines.presenting import finding_box


def date(value, format_string):
    """Django's `date` filter, in the active time zone as in Django templates."""
    return defaultfilters.date(template_localtime(value), format_string)


def url(viewname, *args):
    return reverse(viewname, args=args)


def refuse_callables(value):
    """Django templates call a method they print; Jinja2 would print "<bound method …>"."""
    if callable(value) and not isinstance(value, (str, Undefined)):
        raise TypeError(f"a template prints {value!r}: call it, with ()")
    return value


def environment(**options):
    options = {**options, "undefined": StrictUndefined, "finalize": refuse_callables}
    options.pop("autoescape", None)
    env = Environment(autoescape=True, **options)
    env.globals.update(url=url, link=reverse_fast)
    env.filters.update(
        pluralize=defaultfilters.pluralize, date=date, finding_box=finding_box
    )
    return env


def render_fragment(template_name, context, request):
    """A Jinja2 fragment as HTML a Django template can show unescaped.

    Django's Jinja2 backend returns a plain str; this one was rendered with autoescaping on
    (every value in it escaped), so it is marked safe here, and only here.
    """
    context = {"link": link_maker(), **context}
    return mark_safe(render_to_string(template_name, context, request=request))  # noqa: S308


class LazyFragment:
    """render_fragment() put off until a Django template shows it: inside a `{% cache %}`
    block, only when the cached copy is missing, so a hit runs no query for it either.
    `context` is a function returning the fragment's context."""

    def __init__(self, template_name, context, request):
        self.template_name, self.context, self.request = template_name, context, request

    def __html__(self):
        return render_fragment(self.template_name, self.context(), self.request)

    __str__ = __html__


class FormRenderer(BaseRenderer):
    """Form widgets through Jinja2 (Django ships its widget templates for both engines),
    and any widget template only Django's engine has (the admin's) through that one.

    A catalogue page's search and filters were a fifth of its time in Django templates.
    """

    def __init__(self):
        self.jinja2 = renderers.Jinja2()
        self.django = renderers.DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)
