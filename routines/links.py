"""Links to the same view for many items, reversed once.

A week page links every item five to seven ways (change, confirm, swap, move, remove…).
`reverse()` walks the URLconf each time, and for 14 items that was a quarter of the page's
time. `reverse_fast` asks `reverse()` once per view and shape of arguments, with marker
numbers in place of the primary keys, and then only puts each item's numbers in. The URL
still comes from urls.py: change a path there and these links change with it.
"""

from functools import lru_cache

from django.urls import NoReverseMatch, get_script_prefix, reverse

_MARKERS = (918273641, 918273642, 918273643, 918273644)


@lru_cache(maxsize=512)
def _pieces(viewname, shape, script_prefix):
    """The URL of `viewname` cut where its numeric arguments go, or None to always reverse."""
    markers = iter(_MARKERS)
    args = [next(markers) if kind is None else kind for kind in shape]
    try:
        url = reverse(viewname, args=args)
    except NoReverseMatch:
        return None
    pieces = [url]
    for marker in _MARKERS[: shape.count(None)]:
        head, found, tail = pieces.pop().partition(str(marker))
        if not found or str(marker) in tail:
            return None
        pieces += [head, tail]
    return tuple(pieces)


def _is_plain_number(value):
    return type(value) is int and value >= 0


def reverse_fast(viewname, *args):
    """The same as `reverse(viewname, args=args)`, cheaper when called for many items.

    Non-negative integer arguments (primary keys) are filled in; any other argument is part
    of the cached shape (for example "up" or "down"). Anything unusual falls back to reverse().
    """
    numbers = [a for a in args if _is_plain_number(a)]
    if len(numbers) > len(_MARKERS) or not all(
        _is_plain_number(a) or type(a) is str for a in args
    ):
        return reverse(viewname, args=args)
    shape = tuple(None if _is_plain_number(a) else a for a in args)
    pieces = _pieces(viewname, shape, get_script_prefix())
    if pieces is None:
        return reverse(viewname, args=args)
    url = [pieces[0]]
    for number, piece in zip(numbers, pieces[1:], strict=True):
        url += [str(number), piece]
    return "".join(url)
