"""Bar charts drawn on the server as SVG geometry: plain numbers in, shapes out.

Pure Python. The template turns a Chart into an <svg> with a title, a description, the
number over every bar, and a fill pattern (not only a colour) that says whether the week
met its target, so the picture reads in black and white and to a screen reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 230
# Margins: the scale on the left, the target's label on the right, the weeks below.
LEFT, RIGHT, TOP, BOTTOM = 48, 96, 24, 52
MAX_BAR_WIDTH = 56  # one or three weeks make bars, not slabs
# Room a week's label needs at 14px: "12 Sep" on one line, or "12" over "Sep".
ONE_LINE_LABEL, TWO_LINE_LABEL = 60, 36
VALUE_ROOM = 30  # room for a bold "180" over its bar
# Steps on the scale: at most five on a free scale, seven for a week's days (0 to 7).
MAX_INTERVALS, MAX_FIXED_INTERVALS = 5, 7
NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int | None
    label: str  # the week, e.g. "3 Mar"
    met: bool  # at or above the target
    text_x: float
    text_y: float
    label_lines: tuple[str, ...] = ()  # empty: the week is not labelled (no room)
    show_value: bool = True

    @property
    def shown(self) -> str:
        return "–" if self.value is None else str(self.value)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    description: str
    unit: str
    target: int
    bars: tuple[Bar, ...]
    target_y: float
    ticks: tuple[tuple[float, int], ...]  # (y, value) for the scale, from 0 up
    summary: str = ""  # the chart in one or two sentences, shown beside it
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: float = HEIGHT - BOTTOM
    label_y: float = HEIGHT - BOTTOM + 22

    @property
    def scale_x(self) -> int:
        return self.left - 6

    @property
    def target_label_x(self) -> int:
        return self.right_edge + 6

    @property
    def target_label_y(self) -> float:
        return self.target_y


def bar_chart(
    *,
    key: str,
    title: str,
    unit: str,
    target: int,
    values: Sequence[int | None],
    labels: Sequence[str],
    description: str = "",
    scale_max: int | None = None,
) -> Chart:
    """Bars for `values` (None draws no bar), with a dashed line at `target`.

    The scale starts at 0 and climbs in round steps (1, 2, 5, 10, 20, 25, 50 …) up to
    `scale_max` or just above the highest bar and the target. Week labels thin out (the
    latest week always labelled) so that they never overlap, whatever the number of weeks.
    """
    top = max([target, *(v for v in values if v is not None)]) or 1
    scale_max, step = nice_scale(top, fixed=scale_max)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(values), 1)
    bar_width = min(slot * 0.62, MAX_BAR_WIDTH)
    baseline = HEIGHT - BOTTOM
    every = label_every(slot)
    last = len(values) - 1

    def y_of(value: float) -> float:
        return round(baseline - plot_height * value / scale_max, 1)

    bars = []
    for n, (value, label) in enumerate(zip(values, labels, strict=True)):
        x = round(LEFT + slot * n + (slot - bar_width) / 2, 1)
        height = 0 if value is None else round(plot_height * value / scale_max, 1)
        if (last - n) % every:
            lines: tuple[str, ...] = ()
        elif slot >= ONE_LINE_LABEL:
            lines = (label,)
        else:
            lines = tuple(label.split(" ", 1))
        bars.append(
            Bar(
                x=x,
                y=round(baseline - height, 1),
                width=round(bar_width, 1),
                height=height,
                value=value,
                label=label,
                met=value is not None and value >= target,
                text_x=round(x + bar_width / 2, 1),
                text_y=round(baseline - height - 6, 1),
                label_lines=lines,
                show_value=slot >= VALUE_ROOM,
            )
        )
    ticks = tuple((y_of(v), v) for v in range(0, scale_max + 1, step))
    summary = description or (
        f"{title}, week by week, for the last {len(values)} weeks. "
        f"The dashed line is the target of {target} {unit}. "
        "Bars with diagonal stripes reached the target; dotted bars did not. "
        "The same numbers are in the table below."
    )
    return Chart(
        key=key,
        title=title,
        description=summary,
        unit=unit,
        target=target,
        bars=tuple(bars),
        target_y=y_of(target),
        ticks=ticks,
        summary=summarise(values, labels, target=target, unit=unit),
    )


def nice_scale(top: float, *, fixed: int | None = None) -> tuple[int, int]:
    """(top of the scale, step between grid lines): round numbers from 0, at most
    MAX_INTERVALS steps. A `fixed` top (7 days, 100 %) is kept and split evenly into at
    most MAX_FIXED_INTERVALS."""
    for step in NICE_STEPS:
        if fixed:
            if fixed % step == 0 and fixed // step <= MAX_FIXED_INTERVALS:
                return fixed, step
            continue
        ceiling = -(-int(top) // step) * step
        if ceiling // step <= MAX_INTERVALS:
            return ceiling, step
    if fixed:
        return fixed, fixed
    step = -(-int(top) // MAX_INTERVALS)
    return step * MAX_INTERVALS, step


def label_every(slot: float) -> int:
    """Label every n-th week so that labels never overlap (n = 1 when they all fit)."""
    return max(1, -(-TWO_LINE_LABEL // int(slot)) if slot < TWO_LINE_LABEL else 1)


def _amount(value: int, unit: str) -> str:
    if unit == "%":
        return f"{value}%"
    return f"{value} {unit[:-1] if value == 1 and unit.endswith('s') else unit}"


def summarise(
    values: Sequence[int | None], labels: Sequence[str], *, target: int, unit: str
) -> str:
    """The chart in words: weeks at target, the latest week and the best one."""
    weeks = [
        (v, label) for v, label in zip(values, labels, strict=True) if v is not None
    ]
    if not weeks:
        return "No week has a number yet."
    met = sum(1 for v, _ in weeks if v >= target)
    latest, latest_label = weeks[-1]
    best, best_label = max(reversed(weeks), key=lambda pair: pair[0])
    total = len(values)
    text = (
        f"Target of {_amount(target, unit)} reached in {met} of "
        f"{total} week{'s' if total != 1 else ''}. "
        f"Latest week (of {latest_label}): {_amount(latest, unit)}."
    )
    if best > latest:
        text += f" Best week: {_amount(best, unit)} (week of {best_label})."
    if len(weeks) < total:
        gaps = total - len(weeks)
        text += f" {gaps} week{'s' if gaps != 1 else ''} had nothing planned."
    return text
