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


def link_filler(viewname, *args):
    """A function of one value that returns reverse_fast(viewname, *args) with that value
    in place of the one argument given as a type (int or str): for a page that links
    many items to one view, which fills in its links in Python rather than call link()
    in a template once per link (there, Jinja's call costs more than the link).

    link_filler("routines:item_edit", routine.pk, int)(item.pk)
    """
    (blank,) = (n for n, arg in enumerate(args) if arg in (int, str))
    kind = args[blank]
    script_prefix = get_script_prefix()

    def reverse_with(value):
        return _link(
            script_prefix, viewname, (*args[:blank], value, *args[blank + 1 :])
        )

    kinds = tuple(arg if n == blank else _kind(arg) for n, arg in enumerate(args))
    pieces = None if None in kinds else _pieces(viewname, kinds, script_prefix)
    if pieces is None:
        return reverse_with

    # The link is pieces[0], args[0], pieces[1], args[1]…: all but the blank, joined.
    def joined(start, stop):
        return "".join(f"{args[n]}{pieces[n + 1]}" for n in range(start, stop))

    head = pieces[0] + joined(0, blank)
    tail = pieces[blank + 1] + joined(blank + 1, len(args))

    def fill(value):
        if _kind(value) is not kind:
            return reverse_with(value)
        return f"{head}{value}{tail}"

    return fill


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
