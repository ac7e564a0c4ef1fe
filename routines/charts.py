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

    @property
    def label_lines(self) -> list[str]:
        """ "7 Sep" as two lines, so twelve weeks fit side by side."""
        return self.label.split(" ", 1)

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
    ticks: tuple[tuple[float, int], ...]  # (y, value) for the scale
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
    """Bars for `values` (None draws no bar), with a dashed line at `target`."""
    top = max([target, *(v for v in values if v is not None)]) or 1
    scale_max = scale_max or _nice(top * 1.1)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(values), 1)
    bar_width = slot * 0.62
    baseline = HEIGHT - BOTTOM

    def y_of(value: float) -> float:
        return round(baseline - plot_height * value / scale_max, 1)

    bars = []
    for n, (value, label) in enumerate(zip(values, labels, strict=True)):
        x = round(LEFT + slot * n + (slot - bar_width) / 2, 1)
        height = 0 if value is None else round(plot_height * value / scale_max, 1)
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
            )
        )
    ticks = tuple((y_of(v), v) for v in (0, scale_max // 2, scale_max))
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
    )


def _nice(value: float) -> int:
    """The next round number at or above value (for the top of the scale)."""
    for step in (5, 10, 20, 25, 50, 100):
        if value <= step * 10:
            return int(-(-value // step) * step)
    return int(-(-value // 100) * 100)
