"""The guidelines' weekly targets, and a week's tally against them, as pure Python.

Nothing here imports Django: the history page, the today page (and later the week page)
give plain data and get plain data back. The numbers are the minimums the guidelines
agree on (Too Fit To Fracture, Osteoporosis Canada 2023, ROS "Strong, Steady and
Straight", WHO 2020):

- about 150 minutes a week on the feet (brisk walking 30 minutes on 5 days);
- muscle strengthening on at least 2 days a week;
- balance training on at least 2 days a week (daily is better).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class WeeklyTargets:
    weight_bearing_minutes: int = 150
    strength_days: int = 2
    balance_days: int = 2


TARGETS = WeeklyTargets()


@dataclass(frozen=True)
class Session:
    """One planned or done session of one item, on one date."""

    day: date
    minutes: int | None = None
    weight_bearing: bool = False
    strengthening: bool = False
    trains_balance: bool = False


@dataclass(frozen=True)
class WeekTally:
    start: date  # the Monday
    planned: int
    done: int
    weight_bearing_minutes: int
    strength_days: int
    balance_days: int
    current: bool = False  # the week that is still going on: counted up to today

    @property
    def adherence(self) -> int | None:
        """Done as a whole percentage of planned (at most 100); None when nothing was planned."""
        if not self.planned:
            return None
        return min(100, round(100 * self.done / self.planned))

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    def met(self, targets: WeeklyTargets = TARGETS) -> dict[str, bool]:
        return {
            "weight_bearing_minutes": self.weight_bearing_minutes
            >= targets.weight_bearing_minutes,
            "strength_days": self.strength_days >= targets.strength_days,
            "balance_days": self.balance_days >= targets.balance_days,
        }


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def tally(
    start: date,
    planned: Sequence[Session],
    done: Sequence[Session],
    *,
    current: bool = False,
) -> WeekTally:
    """The week starting on Monday `start`: how much was planned and done, and the targets."""
    return WeekTally(
        start=start,
        planned=len(planned),
        done=len(done),
        weight_bearing_minutes=sum(
            s.minutes or 0 for s in done if s.weight_bearing and s.minutes
        ),
        strength_days=len({s.day for s in done if s.strengthening}),
        balance_days=len({s.day for s in done if s.trains_balance}),
        current=current,
    )


def weeks(
    today: date,
    count: int,
    planned_for: Callable[[date], Sequence[Session]],
    done: Iterable[Session],
) -> list[WeekTally]:
    """The last `count` weeks up to the one holding `today`, oldest first.

    `planned_for(day)` gives the sessions planned on one date. Days after today are not
    counted as planned, so the current week's adherence is "so far".
    """
    first = monday_of(today) - timedelta(weeks=count - 1)
    by_week: dict[date, list[Session]] = {}
    for session in done:
        by_week.setdefault(monday_of(session.day), []).append(session)
    result = []
    for n in range(count):
        start = first + timedelta(weeks=n)
        days = [start + timedelta(days=d) for d in range(7)]
        planned = [s for day in days if day <= today for s in planned_for(day)]
        result.append(
            tally(
                start,
                planned,
                by_week.get(start, []),
                current=start == monday_of(today),
            )
        )
    return result
