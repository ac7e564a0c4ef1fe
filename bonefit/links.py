"""Links to the same view for many items, reversed once.

A week page links every item five to seven ways (change, confirm, swap, move, remove…).
`reverse()` walks the URLconf each time, and for 14 items that was a quarter of the page's
time. `reverse_fast` asks `reverse()` once per view and number of arguments, with markers in
place of the arguments, and then only puts each link's values in. The URL still comes from
urls.py: change a path there and these links change with it.
"""

import re
from functools import lru_cache

from django.urls import NoReverseMatch, get_script_prefix, reverse

# Values that reverse() would put into a URL unchanged: primary keys and slugs.
_PLAIN_TEXT = re.compile(r"[-a-zA-Z0-9_]+")
_MAX_ARGS = 4


def _marker(position, kind):
    return 918273640 + position if kind is int else f"zq{918273640 + position}qz"


@lru_cache(maxsize=512)
def _pieces(viewname, kinds, script_prefix):
    """The URL of `viewname` cut where its arguments go, or None to always reverse."""
    markers = [_marker(n, kind) for n, kind in enumerate(kinds)]
    try:
        url = reverse(viewname, args=markers)
    except NoReverseMatch:
        return None
    pieces = []
    rest = url
    for marker in markers:
        head, found, rest = rest.partition(str(marker))
        if not found:
            return None
        pieces.append(head)
    if any(str(marker) in piece for marker in markers for piece in [*pieces, rest]):
        return None
    return (*pieces, rest)


def _kind(value):
    if type(value) is int and value >= 0:
        return int
    if type(value) is str and _PLAIN_TEXT.fullmatch(value):
        return str
    return None


def reverse_fast(viewname, *args):
    """The same as `reverse(viewname, args=args)`, cheaper when called for many links.

    Non-negative integers (primary keys) and slug-like words are filled in; anything else,
    or a URL whose arguments are not simply written into it, is left to reverse().
    """
    return _link(get_script_prefix(), viewname, args)


def link_maker():
    """reverse_fast for one request's fragment: the script prefix (Django keeps it in a
    context-local, which costs more to read than the rest of a link) is read once."""
    script_prefix = get_script_prefix()

    def link(viewname, *args):
        return _link(script_prefix, viewname, args)

    return link


class LinkFiller:
    """reverse_fast(viewname, *args) with one argument left blank (given as its type, int
    or str), filled in by calling it or indexing it: `edit(item.pk)` in Python,
    `{{ edit[pk] }}` in a Jinja2 template, where an index costs less than a call (a week
    fills in about a hundred links) and the link still comes from urls.py.

    LinkFiller("routines:item_edit", routine.pk, int)[item.pk]
    """

    def __init__(self, viewname, *args, script_prefix=None):
        # A week page makes eight of these, so this is written for speed: one pass over
        # the arguments, and the URL's pieces from _pieces' cache.
        if script_prefix is None:
            script_prefix = get_script_prefix()
        self.viewname, self.args, self.script_prefix = viewname, args, script_prefix
        self.head = None
        blank, kinds = None, []
        for n, arg in enumerate(args):
            if arg is int or arg is str:
                if blank is not None:
                    raise TypeError("LinkFiller leaves one argument blank, not two")
                blank = n
                kinds.append(arg)
            else:
                kinds.append(_kind(arg))
        if blank is None:
            raise TypeError("LinkFiller needs one argument left blank: int or str")
        self.blank, self.kind = blank, args[blank]
        if None in kinds:
            return
        pieces = _pieces(viewname, tuple(kinds), script_prefix)
        if pieces is None:
            return
        # The link is pieces[0], args[0], pieces[1], args[1]…: all but the blank, joined.
        head, tail = pieces[0], pieces[blank + 1]
        for n in range(blank):
            head += f"{args[n]}{pieces[n + 1]}"
        for n in range(blank + 1, len(args)):
            tail += f"{args[n]}{pieces[n + 1]}"
        self.head, self.tail = head, tail

    def __getitem__(self, value):
        if self.head is None or _kind(value) is not self.kind:
            args, blank = self.args, self.blank
            filled = (*args[:blank], value, *args[blank + 1 :])
            return _link(self.script_prefix, self.viewname, filled)
        return f"{self.head}{value}{self.tail}"

    __call__ = __getitem__


def _link(script_prefix, viewname, args):
    kinds = tuple(map(_kind, args))
    if len(args) > _MAX_ARGS or None in kinds:
        return reverse(viewname, args=args)
    pieces = _pieces(viewname, kinds, script_prefix)
    if pieces is None:
        return reverse(viewname, args=args)
    url = pieces[0]
    for value, piece in zip(args, pieces[1:], strict=True):
        url += f"{value}{piece}"
    return url
