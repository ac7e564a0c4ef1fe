"""Doing the plan: loading what the today, history and calendar pages need.

The bridge from the database to the pure modules `targets` and `progression`, as
`checking` is for `safety`. Every function runs a fixed number of queries, whatever
the number of items and logs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import icalendar
from django.utils import timezone

from catalogue.models import dose_in_words
from routines import checking, progression, safety, targets
from routines.models import (
    CareLink,
    HealthProfile,
    PlanSettings,
    Review,
    RoutineItem,
    SessionLog,
)

HISTORY_WEEKS = 12
# Logs older than this cannot be among an item's last three sessions that still count.
RATINGS_WINDOW = timedelta(weeks=HISTORY_WEEKS)
CALENDAR_PRODID = "-//BoneFit//Exercise plan//EN"


def week_so_far(today: date) -> list[date]:
    """Monday of this week up to today: the days a patient may mark."""
    monday = targets.monday_of(today)
    return [monday + timedelta(days=n) for n in range(today.weekday() + 1)]


def weight_allowed(item: RoutineItem) -> bool:
    """Whether "a little weight" is a sensible next step for this item.

    Already lifting, an exercise done with weights, or a standing exercise where the legs
    carry the body (a light dumbbell held at the chest, as in sit-to-stand with a weight).
    """
    exercise = item.exercise
    return item.load_kg is not None or exercise.uses_weights or exercise.weight_bearing


@dataclass
class Offer:
    """A step up offered for one item, in words."""

    item: RoutineItem
    step: progression.Step
    harder_name: str = ""

    @property
    def kind(self):
        return self.step.kind

    @property
    def new_dose(self):
        return dose_in_words(
            self.step.sets, self.step.reps, self.step.minutes, self.step.load_kg
        )

    @property
    def text(self):
        if self.step.kind == progression.HARDER:
            return f"Try {self.harder_name} instead: {self.new_dose}"
        return f"Go up to {self.new_dose}"


@dataclass
class DayItem:
    """One item of the day: what was logged if it was done, else what the plan asks.

    A logged day shows the log's own copy of the exercise and dose: the routine may have
    stepped up since, and the plan of today is not what was done then.
    """

    item: RoutineItem | None  # None: logged, but no longer planned on the day
    log: SessionLog | None = None
    errors: list[str] = field(default_factory=list)
    hold: str | None = None  # why the patient must not do it now (items_on_hold)

    @property
    def done(self):
        return self.log is not None

    @property
    def hurt(self):
        return bool(self.log and self.log.hurt)

    @property
    def exercise(self):
        """The exercise done (needs the log's exercise selected), else the one planned."""
        return self.log.exercise if self.log is not None else self.item.exercise

    @property
    def dose(self) -> str:
        return logged_dose(self.log) if self.log is not None else self.item.dose_text()

    @property
    def approval_note(self) -> str:
        """The conditions the therapist approved the item with (it is not on hold), to
        read before doing it: "" if none."""
        if self.hold or self.item.review_decision != Review.APPROVED:
            return ""
        return self.item.review_note

    @property
    def plan_changed(self) -> bool:
        """Done, and the plan has changed since: the page says what the plan is now."""
        return self.log is not None and (
            self.log.exercise_id != self.item.exercise_id
            or self.dose != self.item.dose_text()
        )


def logged_dose(log: SessionLog) -> str:
    return dose_in_words(log.sets, log.reps, log.minutes, log.load_kg)


@dataclass
class TodayPage:
    settings: PlanSettings
    day: date
    today: date
    items: list[DayItem] = field(default_factory=list)
    offers: dict[int, list[Offer]] = field(default_factory=dict)
    # Logged on the day but not planned on it now (moved, removed, another routine).
    other_logs: list[DayItem] = field(default_factory=list)

    @property
    def offer_list(self):
        return [offer for offers in self.offers.values() for offer in offers]


WAITING = (
    "Waiting for your therapist: marked Danger for you. Please do not do it until your "
    "therapist approves it."
)
NOT_CONFIRMED = (
    "Marked Danger for you and not yet confirmed. Please do not do it until you have "
    "talked to your therapist and confirmed it on your week, or choose a safer exercise."
)
ADVISED_AGAINST = (
    "Your therapist advised against this exercise. Please do not do it: change or remove "
    "it on your week."
)


def items_on_hold(user, items, *, profile=None, tables=None) -> dict[int, str]:
    """{item id: why not to do it now} for the items of `user`'s routine (their exercise
    selected) that the week page tells the patient not to do: a danger still waiting for
    the therapist or for the patient's confirmation, or one the therapist advised against.
    Queries: whether a therapist shares, and unless given the profile and the catalogue's
    version (and its tables the first time)."""
    profile = profile or HealthProfile.for_user(user)
    with_therapist = CareLink.has_therapist(user.pk)
    check = checking.check_items(
        profile,
        items,
        with_therapist=with_therapist,
        tables=tables or checking.catalogue_tables(),
    )
    hold = {
        item.pk: f"{ADVISED_AGAINST} Their note: “{item.review_note}”"
        if item.review_note
        else ADVISED_AGAINST
        for item in check.items_advised_against()
    }
    waiting = WAITING if with_therapist else NOT_CONFIRMED
    hold |= {item.pk: waiting for item in check.items_to_confirm()}
    return hold


def today_page(user, settings: PlanSettings, day: date, today: date) -> TodayPage:
    """The items of `day` in the followed routine, their logs, and the steps up on offer.

    Queries: the routine's items (1), the logs of the last weeks (1), the day's logs
    with their exercises (1), the profile (1), whether a therapist shares (1), the
    catalogue's version (1) and, when this process has not read them yet, safety data
    (2) and rules (1); none when no routine is followed.
    """
    page = TodayPage(settings=settings, day=day, today=today)
    if settings.routine_id is None:
        return page
    items = list(
        RoutineItem.objects.filter(routine_id=settings.routine_id)
        .select_related("routine", "exercise", "exercise__harder_version")
        .order_by("day", "position", "pk")
    )
    logs = list(
        SessionLog.objects.filter(
            item__routine_id=settings.routine_id, date__gte=today - RATINGS_WINDOW
        ).order_by("-date", "-pk")
    )
    day_logs = list(
        SessionLog.objects.owned_by(user)
        .filter(date=day)
        .select_related("exercise")
        .order_by("pk")
    )
    on_day = {log.item_id: log for log in day_logs if log.item_id is not None}
    profile = HealthProfile.for_user(user)
    tables = checking.catalogue_tables()
    # The safety data of the items and of their next steps up, read (when this process
    # has not yet) in one go for both uses below.
    tables.safety_data(
        {item.exercise_id for item in items}
        | {item.exercise.harder_version_id for item in items} - {None}
    )
    hold = items_on_hold(user, items, profile=profile, tables=tables)
    page.items = [
        DayItem(item, on_day.pop(item.pk, None), hold=hold.get(item.pk))
        for item in items
        if item.day == day.weekday()
    ]
    page.other_logs = [
        DayItem(None, log)
        for log in day_logs
        if log.item_id is None or log.item_id in on_day
    ]
    page.offers = offers_for(user, items, logs, profile=profile, tables=tables)
    return page


def offers_for(
    user, items, logs, *, profile=None, tables=None
) -> dict[int, list[Offer]]:
    """{item id: steps up on offer}; `logs` newest first, items with harder_version selected."""
    ratings = defaultdict(list)
    for log in logs:
        ratings[log.item_id].append(log.as_rating())
    candidates = [
        item for item in items if progression.ready(_facts_stub(item), ratings[item.pk])
    ]
    if not candidates:
        return {}
    profile = (profile or HealthProfile.for_user(user)).as_facts()
    exercises = {item.exercise_id: item.exercise for item in candidates}
    for item in candidates:
        harder = item.exercise.harder_version
        if harder is not None and harder.is_published:
            exercises[harder.pk] = harder
    tables = tables or checking.catalogue_tables()
    data = tables.safety_data(exercises)
    rules = tables.rules()
    offers = {}
    for item in candidates:
        facts = item.as_facts(data.facts(item.exercise))
        harder = item.exercise.harder_version
        harder_facts = (
            data.facts(harder) if harder is not None and harder.is_published else None
        )
        steps = progression.suggestions(
            profile,
            facts,
            ratings[item.pk],
            weight_allowed=weight_allowed(item),
            harder=harder_facts,
            harder_dose=_usual_dose(harder, item) if harder_facts else (None,) * 3,
            rules=rules,
        )
        if steps:
            offers[item.pk] = [
                Offer(
                    item, step, harder.name if step.kind == progression.HARDER else ""
                )
                for step in steps
            ]
    return offers


def _facts_stub(item: RoutineItem) -> safety.Item:
    """Enough of the facts for progression.ready() (no patterns needed, so no query)."""
    return item.as_facts(
        safety.Exercise(
            slug=item.exercise.slug, strengthening=item.exercise.strengthening
        )
    )


def _usual_dose(harder, item):
    """The harder version's usual dose; without one, the item's own (without weight)."""
    if harder.default_reps or harder.default_minutes:
        return (harder.default_sets, harder.default_reps, harder.default_minutes)
    return (item.sets, item.reps, item.minutes)


def offer_for(user, item: RoutineItem, kind: str) -> Offer | None:
    """The step of `kind` on offer for one item now (checked again when accepted)."""
    logs = list(
        SessionLog.objects.filter(item=item).order_by("-date", "-pk")[
            : progression.SESSIONS_NEEDED
        ]
    )
    offers = offers_for(user, [item], logs).get(item.pk, [])
    return next((offer for offer in offers if offer.kind == kind), None)


# History


def planned_sessions(user, settings: PlanSettings):
    """planned_for(day) for targets.weeks(): the followed routine's items on that weekday,
    but for those on hold (items_on_hold): the week tells the patient not to do them.

    Days before the patient first followed a routine planned nothing. The plan is today's
    routine: BoneFit does not keep earlier versions of a routine. Queries: the items, and
    those of items_on_hold.
    """
    by_weekday = defaultdict(list)
    if settings.routine_id is not None:
        items = list(
            RoutineItem.objects.filter(routine_id=settings.routine_id).select_related(
                "exercise"
            )
        )
        held = items_on_hold(user, items)
        for item in items:
            if item.pk not in held:
                exercise = item.exercise
                by_weekday[item.day].append(
                    (
                        item.minutes,
                        exercise.weight_bearing,
                        exercise.strengthening,
                        exercise.trains_balance,
                    )
                )
    since = settings.following_since

    def planned_for(day: date) -> list[targets.Session]:
        if since is None or day < since:
            return []
        return [
            targets.Session(day, minutes, wb, strength, balance)
            for minutes, wb, strength, balance in by_weekday[day.weekday()]
        ]

    return planned_for


def history(user, settings: PlanSettings, today: date) -> list[targets.WeekTally]:
    """The last 12 weeks, oldest first. Two queries, whatever the number of logs."""
    first = targets.monday_of(today) - timedelta(weeks=HISTORY_WEEKS - 1)
    done = [
        targets.Session(*row)
        for row in SessionLog.objects.owned_by(user)
        .between(first, today)
        .values_list(
            "date", "minutes", "weight_bearing", "strengthening", "trains_balance"
        )
    ]
    return targets.weeks(today, HISTORY_WEEKS, planned_sessions(user, settings), done)


# The calendar feed


def calendar_feed(settings: PlanSettings, items, today: date) -> bytes:
    """The followed routine as an iCalendar file: one weekly event per day with items.

    Exercise names and doses only: never the diagnosis, the profile or the findings.
    `items` are the routine's items with their exercise selected, but for those on hold
    (items_on_hold), which the feed leaves out.
    """
    zone = settings.zone
    calendar = icalendar.Calendar()
    calendar.add("prodid", CALENDAR_PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "BoneFit exercises")
    calendar.add("x-wr-timezone", settings.time_zone)
    by_day = defaultdict(list)
    for item in items:
        by_day[item.day].append(item)
    monday = targets.monday_of(today)
    stamp = timezone.now().replace(microsecond=0)
    for weekday in sorted(by_day):
        day_items = by_day[weekday]
        start = datetime.combine(
            monday + timedelta(days=weekday), settings.session_time, tzinfo=zone
        )
        event = icalendar.Event()
        event.add("uid", f"bonefit-plan-{settings.pk}-{safety.DAYS[weekday]}@bonefit")
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("duration", timedelta(minutes=session_minutes(day_items)))
        event.add("rrule", {"freq": "weekly", "byday": safety.DAYS[weekday][:2]})
        count = len(day_items)
        event.add("summary", f"BoneFit: {count} exercise{'s' if count != 1 else ''}")
        event.add(
            "description",
            "\n".join(f"{i.exercise.name}: {i.dose_text()}" for i in day_items),
        )
        if settings.reminder:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", "Time for your BoneFit exercises")
            alarm.add("trigger", timedelta(0))
            event.add_component(alarm)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def session_minutes(items) -> int:
    """A rough length for a day: timed items as planned, 5 minutes for the others."""
    return max(
        10, sum((i.minutes or 0) * (i.sets or 1) if i.minutes else 5 for i in items)
    )
