"""The week's links are made once per shape (bonefit.links) and its fragments by Jinja2
(bonefit/jinja2.py): the same URLs as reverse(), and no method printed by mistake."""

import jinja2
import markupsafe
import pytest
from django.template import engines
from django.urls import clear_script_prefix, reverse, set_script_prefix
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe

from bonefit.jinja2 import escape
from bonefit.links import LinkFiller, link_maker, reverse_fast

ITEM_VIEWS = [
    "routines:item_edit",
    "routines:item_confirm",
    "routines:item_swap",
    "routines:item_transfer",
    "routines:item_delete",
    "clinic:item_edit",
    "clinic:item_review",
    "clinic:item_delete",
]


@pytest.mark.parametrize("name", ITEM_VIEWS)
@pytest.mark.parametrize("pks", [(1, 2), (7, 918273641), (40213, 9), (0, 5)])
def test_item_links_equal_reverse(name, pks):
    assert reverse_fast(name, *pks) == reverse(name, args=pks)


@pytest.mark.parametrize("direction", ["up", "down"])
def test_a_word_in_the_url_is_part_of_its_shape(direction):
    for routine, item in [(3, 4), (5, 60)]:
        assert reverse_fast("routines:item_move", routine, item, direction) == reverse(
            "routines:item_move", args=(routine, item, direction)
        )


def test_links_follow_the_script_prefix():
    set_script_prefix("/bonefit/")
    try:
        assert (
            reverse_fast("routines:item_edit", 1, 2) == "/bonefit/routines/1/items/2/"
        )
        assert reverse_fast("routines:item_edit", 3, 4) == reverse(
            "routines:item_edit", args=(3, 4)
        )
    finally:
        clear_script_prefix()
    assert reverse_fast("routines:item_edit", 1, 2) == "/routines/1/items/2/"


def test_a_fragments_links_use_the_prefix_of_its_request(patient_client, patient):
    """render_fragment reads the script prefix once (link_maker); under a prefix, every
    link of the week and its exercises' pages carry it."""
    from tests.factories import make_exercise, make_item, make_routine

    routine = make_routine(owner=patient)
    make_item(routine, make_exercise(name="Bridge", slug="bridge"), day=2)
    set_script_prefix("/bonefit/")  # as a WSGI server under /bonefit sets it
    try:
        page = patient_client.get(f"/routines/{routine.pk}/").content.decode()
    finally:
        clear_script_prefix()
    assert f'href="/bonefit/routines/{routine.pk}/items/' in page
    assert 'href="/bonefit/catalogue/bridge/"' in page
    assert f'href="/routines/{routine.pk}/items/' not in page
    maker = link_maker()  # outside a request: the default prefix
    assert maker("routines:item_move", 1, 2, "up") == reverse(
        "routines:item_move", args=(1, 2, "up")
    )


def test_unusual_arguments_are_left_to_reverse():
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        reverse_fast("routines:item_edit", -1, 2)  # a negative number matches no URL
    assert reverse_fast("routines:item_move", 1, 2, "a b") == reverse(
        "routines:item_move", args=(1, 2, "a b")
    )
    assert reverse_fast("routines:list") == reverse("routines:list")


def test_the_link_tag_gives_the_same_url_as_the_url_tag():
    template = engines["django"].from_string(
        "{% load links %}{% link 'routines:item_edit' a b %}|{% url 'routines:item_edit' a b %}"
    )
    fast, slow = template.render({"a": 12, "b": 345}).split("|")
    assert fast == slow == "/routines/12/items/345/"


def test_a_jinja_fragment_refuses_to_print_a_method_or_a_missing_name():
    jinja = engines["jinja2"]

    class Item:
        def dose_text(self):
            return "2 sets of 10"

    assert jinja.from_string("{{ item.dose_text() }}").render({"item": Item()}) == (
        "2 sets of 10"
    )
    with pytest.raises(TypeError, match="call it"):
        jinja.from_string("{{ item.dose_text }}").render({"item": Item()})
    with pytest.raises(jinja2.UndefinedError, match="no attribute"):
        jinja.from_string("{{ item.dose_txt }}").render({"item": Item()})


def test_a_jinja_fragment_escapes_what_it_shows():
    html = (
        engines["jinja2"]
        .from_string("<p>{{ name }}</p>")
        .render({"name": "<script>alert(1)</script>"})
    )
    assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


class Shouting:
    """Not text: printed through its own __html__ (as a Django SafeString or a form is)."""

    def __html__(self):
        return "<b>HELLO</b>"


@pytest.mark.parametrize(
    "value",
    [
        "Wall push-up",
        "",
        "<script>alert('x') & \"y\"</script>",
        "Tom's chair",
        "a > b",
        "café ✔",
        0,
        -12,
        918273641,
        True,
        None,
        3.5,
        markupsafe.Markup("<em>safe</em>"),
        mark_safe("<em>django safe</em>"),
        Shouting(),
        ["<list>"],
        # Django's lazy objects say they are of the class of what they wrap (as the
        # fragments' csrf_token does)
        SimpleLazyObject(lambda: "<b>Tom's</b>"),
        SimpleLazyObject(lambda: markupsafe.Markup("<em>lazy safe</em>")),
    ],
)
def test_the_fragments_escape_agrees_with_markupsafe(value):
    """bonefit.jinja2.escape takes short cuts for text, numbers and Markup: each gives
    the text markupsafe gives, so that nothing is escaped twice or not at all. (It may
    give it as plain text: the compiled template only joins it.)"""
    expected = markupsafe.escape(value)
    ours = escape(value)
    assert str(ours) == str(expected)
    assert isinstance(ours, str)
    rendered = engines["jinja2"].from_string("{{ value }}").render({"value": value})
    assert rendered == str(expected)


def test_a_fragment_escapes_once_inside_macros_and_set_blocks():
    template = engines["jinja2"].from_string(
        "{% macro box(text) %}<p>{{ text }}</p>{% endmacro %}"
        "{% set field %}{{ value }}{% endset %}"
        "{% macro framed() %}[{{ caller() }}]{% endmacro %}"
        "{{ box(value) }}|{{ field }}|{{ box(field) }}|{{ value ~ '!' }}"
        "|{% filter upper %}{{ value }}{% endfilter %}"
        "|{% call framed() %}{{ value }}{% endcall %}"
        "|{{ box(plain) }}|{% set same %}{{ plain }}{% endset %}{{ box(same) }}"
        "|{{ box(number) }}{{ box(number|string) }}"
    )
    assert template.render({"value": "<a & b>", "plain": "Tom", "number": 7}) == (
        "<p>&lt;a &amp; b&gt;</p>|&lt;a &amp; b&gt;|<p>&lt;a &amp; b&gt;</p>"
        "|&lt;a &amp; b&gt;!|&LT;A &AMP; B&GT;|[&lt;a &amp; b&gt;]"
        "|<p>Tom</p>|<p>Tom</p>|<p>7</p><p>7</p>"
    )


def test_a_fragment_still_passes_the_context_to_functions_that_ask_for_it():
    """The quicker call (bonefit.jinja2.FastCallContext) keeps Jinja2's pass_context and
    pass_environment, on functions, methods and callable objects."""

    @jinja2.pass_context
    def who(context):
        return context["name"]

    class Greeter:
        @jinja2.pass_context
        def greet(self, context, greeting):
            return f"{greeting}, {context['name']}"

        @jinja2.pass_environment
        def __call__(self, environment):
            return type(environment).__name__

        def plain(self, text, *, end="."):
            return text + end

    template = engines["jinja2"].from_string(
        "{{ who() }}|{{ g.greet('Hello') }}|{{ g() }}|{{ g.plain('Hi', end='!') }}"
        "|{% for n in [1] %}{{ who() }}{% endfor %}"
    )
    assert template.render({"who": who, "g": Greeter(), "name": "Ann"}) == (
        "Ann|Hello, Ann|Environment|Hi!|Ann"
    )


@pytest.mark.parametrize(
    "slug", ["sit-to-stand", "tai_chi", "a", "x" * 60, "918273640"]
)
def test_exercise_links_equal_reverse(slug):
    assert reverse_fast("catalogue:detail", slug) == reverse(
        "catalogue:detail", args=[slug]
    )


@pytest.mark.parametrize("name", ITEM_VIEWS)
def test_a_link_filler_gives_what_reverse_gives(name):
    """The week fills in its items' links (routines.views._item_urls) with LinkFiller:
    indexed in its template, called in Python."""
    for routine, item in [(1, 2), (7, 918273641), (40213, 9), (0, 5)]:
        expected = reverse(name, args=(routine, item))
        assert LinkFiller(name, routine, int)[item] == expected
        assert LinkFiller(name, routine, int)(item) == expected
    move = LinkFiller("routines:item_move", 3, int, "down")
    assert move(4) == reverse("routines:item_move", args=(3, 4, "down"))
    exercise = LinkFiller("catalogue:detail", str)
    assert exercise("tai_chi") == reverse("catalogue:detail", args=["tai_chi"])


def test_a_link_filler_leaves_unusual_values_to_reverse():
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        LinkFiller("routines:item_edit", 1, int)(-2)
    with pytest.raises(NoReverseMatch):
        LinkFiller("catalogue:detail", str)("two words")
    assert LinkFiller("routines:item_move", 1, 2, str)("a b") == reverse(
        "routines:item_move", args=(1, 2, "a b")
    )
    # A fixed value that is not a plain key: the whole link is reverse()'s.
    assert LinkFiller("routines:item_move", 1, int, "a b")(2) == reverse(
        "routines:item_move", args=(1, 2, "a b")
    )


def test_a_link_filler_needs_exactly_one_blank():
    with pytest.raises(TypeError, match="one argument left blank"):
        LinkFiller("routines:item_edit", 1, 2)
    with pytest.raises(TypeError, match="not two"):
        LinkFiller("routines:item_edit", int, int)


def test_a_link_filler_uses_the_prefix_it_was_made_under():
    set_script_prefix("/bonefit/")
    try:
        edit = LinkFiller("routines:item_edit", 5, int)
    finally:
        clear_script_prefix()
    assert edit(6) == "/bonefit/routines/5/items/6/"
