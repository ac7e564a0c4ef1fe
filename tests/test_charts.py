"""The progress charts: round scales from 0, week labels that never overlap, a summary."""

from datetime import date, timedelta

import pytest

from routines import charts


def weeks(n):
    first = date(2026, 11, 23) - timedelta(weeks=n - 1)
    return [
        f"{(first + timedelta(weeks=i)).day} {first + timedelta(weeks=i):%b}"
        for i in range(n)
    ]


def minutes_chart(values):
    return charts.bar_chart(
        key="minutes",
        title="Minutes on your feet",
        unit="minutes",
        target=150,
        values=values,
        labels=weeks(len(values)),
    )


@pytest.mark.parametrize("n", [1, 3, 8, 12, 26, 52])
def test_week_labels_never_overlap_and_the_latest_week_is_labelled(n):
    chart = minutes_chart([(i * 37) % 210 for i in range(n)])
    labelled = [bar for bar in chart.bars if bar.label_lines]
    assert labelled[-1] is chart.bars[-1]
    for left, right in zip(labelled, labelled[1:], strict=False):
        room = right.text_x - left.text_x
        need = (
            charts.ONE_LINE_LABEL
            if len(left.label_lines) == 1
            else charts.TWO_LINE_LABEL
        )
        assert room >= need
    if n <= 12:
        assert labelled == list(chart.bars)  # every week named when they fit
    assert all(bar.width <= charts.MAX_BAR_WIDTH for bar in chart.bars)


@pytest.mark.parametrize(
    ("values", "scale"),
    [
        ([60], [0, 50, 100, 150]),
        ([90, 180, 150], [0, 50, 100, 150, 200]),
        ([90, 205, 60], [0, 50, 100, 150, 200, 250]),
        ([600, 0], [0, 200, 400, 600]),
    ],
)
def test_the_scale_climbs_in_round_steps_from_zero(values, scale):
    chart = minutes_chart(values)
    assert [value for _, value in chart.ticks] == scale
    ys = [y for y, _ in chart.ticks]
    assert ys[0] == chart.baseline
    gaps = {round(a - b, 1) for a, b in zip(ys, ys[1:], strict=False)}
    assert max(gaps) - min(gaps) <= 0.2  # evenly spaced


def test_days_are_counted_one_by_one_up_to_seven():
    chart = charts.bar_chart(
        key="strength",
        title="Strength days",
        unit="days",
        target=2,
        values=[1, 2, 0],
        labels=weeks(3),
        scale_max=7,
    )
    assert [value for _, value in chart.ticks] == [0, 1, 2, 3, 4, 5, 6, 7]


def test_a_percentage_scale_runs_in_twenties_to_100():
    chart = charts.bar_chart(
        key="adherence",
        title="Sessions done",
        unit="%",
        target=100,
        values=[None, 50],
        labels=weeks(2),
        scale_max=100,
    )
    assert [value for _, value in chart.ticks] == [0, 20, 40, 60, 80, 100]


def test_the_summary_says_the_weeks_at_target_the_latest_and_the_best():
    chart = minutes_chart([90, 180, 150, 60])
    assert chart.summary == (
        "Target of 150 minutes reached in 2 of 4 weeks. "
        "Latest week (of 23 Nov): 60 minutes. Best week: 180 minutes (week of 9 Nov)."
    )


def test_the_summary_of_weeks_with_nothing_planned():
    chart = charts.bar_chart(
        key="adherence",
        title="Sessions done",
        unit="%",
        target=100,
        values=[None, None, 100],
        labels=weeks(3),
        scale_max=100,
    )
    assert chart.summary == (
        "Target of 100% reached in 1 of 3 weeks. Latest week (of 23 Nov): 100%. "
        "2 weeks had nothing planned."
    )
    empty = minutes_chart([None])
    assert empty.summary == "No week has a number yet."


def test_one_day_is_singular():
    chart = charts.bar_chart(
        key="balance",
        title="Balance days",
        unit="days",
        target=2,
        values=[1],
        labels=weeks(1),
        scale_max=7,
    )
    assert "Latest week (of 23 Nov): 1 day." in chart.summary
