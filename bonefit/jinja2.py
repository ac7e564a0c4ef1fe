"""The Jinja2 environment for the pages rendered most: a week of items and its printed sheet.

Django's own template language resolves every variable through several layers at run time;
for a week of 14 items (each with its findings, care notes and five to seven actions) that was
most of the page's time when the week is not cached. Jinja2 compiles a template to Python
once, so the same markup renders several times faster. The week page and the printed sheet
are Jinja2 throughout (jinja2/base.html is the twin of base.html); everything else uses Django
templates, with the week's parts (the routine list's rows, a therapist's view of a week)
rendered here as fragments.

Autoescaping is on (Django's backend turns it on), and an undefined name is an error rather
than an empty string, so a misspelt field can never silently drop a warning from the page.
"""

from types import FunctionType, MethodType

from django.contrib.messages import get_messages
from django.contrib.staticfiles.storage import staticfiles_storage
from django.forms import renderers
from django.forms.renderers import BaseRenderer
from django.http import HttpResponse
from django.template import TemplateDoesNotExist, defaultfilters
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from jinja2 import Environment, StrictUndefined, Template, Undefined
from jinja2.runtime import Context, Macro
from markupsafe import Markup
from markupsafe import escape as markupsafe_escape

from bonefit.links import link_maker, reverse_fast
from routines.presenting import finding_box
from routines.templatetags.links import nav_links_html


def date(value, format_string):
    """Django's `date` filter, in the active time zone as in Django templates."""
    return defaultfilters.date(template_localtime(value), format_string)


def linebreaksbr(value):
    """Django's `linebreaksbr` filter: the text escaped, its line breaks as <br>."""
    return defaultfilters.linebreaksbr(value, autoescape=True)


def messages_html(request):
    """The messages for this request, as base.html shows them (includes/messages.html)."""
    messages = get_messages(request)
    if not messages:
        return ""
    return render_to_string("includes/messages.html", {"messages": messages})


def url(viewname, *args):
    return reverse(viewname, args=args)


def escape(value):
    """What a fragment prints, escaped as markupsafe.escape escapes it, in less time for
    the values a page prints most: plain text, whole numbers and HTML already escaped. A
    week prints about 400 values, and markupsafe's escape was a third of its template's
    time; tests/test_links.py checks the two agree.

    It is only ever called where a compiled template prints a value, and the template
    only joins what it gets (a macro or a `{% set %}` block marks the joined text safe
    once, itself). So text with nothing to escape, and a number, come back as plain
    text: making each a Markup, a subclass of str, took longer than the check.

    A function or method is refused: Django templates call a method they print, where
    Jinja2 would print "<bound method …>".
    """
    kind = type(value)  # not value.__class__, which Django's lazy objects fake
    if kind is str:
        if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
            return markupsafe_escape(value)
        return value
    if kind is Markup:
        return value
    if kind is int:
        return str(value)
    if callable(value) and not isinstance(value, Undefined):
        raise TypeError(f"a template prints {value!r}: call it, with ()")
    return markupsafe_escape(value)


class FastEscapeTemplate(Template):
    """A template whose output is escaped by `escape` above rather than markupsafe's."""

    @classmethod
    def _from_namespace(cls, environment, namespace, globals):
        # The compiled template imports jinja2.runtime.escape into this namespace; its
        # functions look the name up here each time they print a value.
        namespace["escape"] = escape
        return super()._from_namespace(environment, namespace, globals)


class FastCallContext(Context):
    """Calls a macro, a function or a method without Jinja2's search for a
    `jinja_pass_arg` marker on it and its `__call__`, which costs more than the rest of the
    call (a week calls about fifty). A function marked with pass_context (or another
    pass_*) keeps the marker in its __dict__, looked at here; anything else takes Jinja2's
    own way."""

    def call(__self, __obj, *args, **kwargs):  # noqa: N805 (Jinja2's own signature)
        kind = type(__obj)
        function = __obj.__func__ if kind is MethodType else __obj
        if kind is Macro or (
            type(function) is FunctionType and "jinja_pass_arg" not in function.__dict__
        ):
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            return __obj(*args, **kwargs)
        return super().call(__obj, *args, **kwargs)


def static(path):
    """Django's `static`, without asking on every call whether staticfiles is installed
    (it is: settings.INSTALLED_APPS)."""
    return staticfiles_storage.url(path)


def environment(**options):
    # cache_size -1: templates are kept in a plain dict. Jinja2's default LRU cache
    # searches its queue on every look-up, and a week page looks up four templates.
    options = {**options, "undefined": StrictUndefined, "cache_size": -1}
    options.pop("autoescape", None)
    env = Environment(autoescape=True, **options)
    env.template_class = FastEscapeTemplate
    env.context_class = FastCallContext
    env.globals.update(
        url=url,
        link=reverse_fast,
        static=static,
        nav_links=nav_links_html,
        messages_html=messages_html,
    )
    env.filters.update(
        pluralize=defaultfilters.pluralize,
        date=date,
        finding_box=finding_box,
        linebreaksbr=linebreaksbr,
    )
    return env


def render_fragment(template_name, context, request):
    """A Jinja2 fragment as HTML a Django template can show unescaped.

    Django's Jinja2 backend returns a plain str; this one was rendered with autoescaping on
    (every value in it escaped), so it is marked safe here, and only here.
    """
    context = {"link": link_maker(), **context}
    return mark_safe(render_to_string(template_name, context, request=request))  # noqa: S308


def render_page(request, template_name, context):
    """A whole page in Jinja2 (one extending jinja2/base.html), as Django's render() gives
    one in Django's templates."""
    return HttpResponse(render_fragment(template_name, context, request))


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
