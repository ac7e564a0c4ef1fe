"""Doing the plan: /today/, the history, steps up, the calendar feed and the plan settings."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from unittest import mock

import icalendar
import pytest
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from catalogue.models import Equipment
from routines.models import PlanSettings, Review, RoutineItem, SessionLog
from tests.factories import first_visit_queries, make_exercise, make_item, make_routine

pytestmark = pytest.mark.django_db

# Thursday 26 November 2026, 10:00 in London: Monday to Thursday can be marked.
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
THURSDAY, MONDAY = date(2026, 11, 26), date(2026, 11, 23)


@pytest.fixture(autouse=True)
def frozen_now():
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


@pytest.fixture
def squat(patterns):
    harder = make_exercise(name="Goblet squat", slug="goblet", strengthening=True)
    return make_exercise(
        name="Squat to chair",
        slug="squat",
        strengthening=True,
        equipment=Equipment.SUPPORT,
        harder_version=harder,
    )


@pytest.fixture
def routine(patient, squat):
    routine = make_routine(owner=patient, name="My week")
    make_item(routine, squat, day=THURSDAY.weekday(), sets=2, reps=10)
    make_item(
        routine,
        make_exercise(name="Brisk walking", slug="walk"),
        day=THURSDAY.weekday(),
        reps=None,
        minutes=30,
    )
    make_item(routine, squat, day=MONDAY.weekday(), sets=2, reps=10)
    return routine


@pytest.fixture
def following(patient, routine):
    PlanSettings.objects.create(user=patient, routine=routine, following_since=MONDAY)
    return routine


def item_of(routine, name, day=THURSDAY):
    return routine.items.get(exercise__name=name, day=day.weekday())


def log_easy(item, days_ago, **fields):
    day = THURSDAY - timedelta(days=days_ago)
    log, _ = SessionLog.mark_done(item=item, day=day)
    SessionLog.objects.filter(pk=log.pk).update(
        **({"feeling": "easy", "hurt": False} | fields)
    )
    return log


# Following a routine


def test_following_a_routine_from_the_today_page(app, patient, routine):
    page = app.get("/today/", user=patient)
    assert "Which routine do you follow?" in page
    form = page.forms["follow-form"]
    form["routine"] = str(routine.pk)
    page = form.submit().follow()
    assert PlanSettings.objects.get(user=patient).routine == routine
    assert PlanSettings.objects.get(user=patient).following_since == THURSDAY
    assert "You now follow “My week”" in page
    assert "Squat to chair" in page
    assert "Brisk walking" in page


def test_another_patients_routine_cannot_be_followed(
    app, patient, other_patient, routine
):
    page = app.get("/today/", user=other_patient)
    assert "You have no routine yet" in page
    response = app.post(
        "/plan/follow/",
        {
            "routine": routine.pk,
            "csrfmiddlewaretoken": page.forms[0]["csrfmiddlewaretoken"].value,
        },
        user=other_patient,
    )
    assert "Choose one of your own routines." in response.follow()
    assert not PlanSettings.objects.filter(user=other_patient).exists()


# Done, undo, how it felt


def test_done_and_undo_round_trip(app, patient, following):
    squat = item_of(following, "Squat to chair")
    page = app.get("/today/", user=patient)
    assert "Today, Thursday 26 November" in page
    page = page.forms[f"done-{squat.pk}"].submit().follow()
    log = SessionLog.objects.get()
    assert (log.item, log.date, log.user, log.sets, log.reps) == (
        squat,
        THURSDAY,
        patient,
        2,
        10,
    )
    assert "Well done! Squat to chair is marked done." in page
    assert f"done-{squat.pk}" not in page.forms
    page = page.forms[f"undo-{squat.pk}"].submit().follow()
    assert not SessionLog.objects.exists()
    assert f"done-{squat.pk}" in page.forms


def test_a_double_click_on_done_logs_once(app, patient, following):
    squat = item_of(following, "Squat to chair")
    form = app.get("/today/", user=patient).forms[f"done-{squat.pk}"]
    form.submit()
    page = form.submit().follow()
    assert SessionLog.objects.count() == 1
    assert "already marked done" in page


def test_a_click_that_loses_the_race_finds_the_first_log(patient, following):
    """Two clicks at once: the other click saves its log between our look-up and insert."""
    squat = RoutineItem.objects.select_related("routine", "exercise").get(
        pk=item_of(following, "Squat to chair").pk
    )
    real_get = QuerySet.get
    raced = []

    def get_while_the_other_click_saves(self, *args, **kwargs):
        if self.model is SessionLog and not raced:
            raced.append(True)
            SessionLog.objects.bulk_create(
                [
                    SessionLog(
                        user=patient, item=squat, exercise=squat.exercise, date=THURSDAY
                    )
                ]
            )
            raise SessionLog.DoesNotExist
        return real_get(self, *args, **kwargs)

    with mock.patch.object(QuerySet, "get", get_while_the_other_click_saves):
        log, created = SessionLog.mark_done(item=squat, day=THURSDAY)
    assert raced
    assert created is False
    assert SessionLog.objects.get().pk == log.pk


def test_the_database_refuses_a_second_log_of_the_same_item_and_day(patient, following):
    squat = item_of(following, "Squat to chair")
    log_easy(squat, 0)
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionLog.objects.create(
            user=patient, item=squat, exercise=squat.exercise, date=THURSDAY
        )


def test_feeling_and_no_pain_are_saved(app, patient, following):
    squat = item_of(following, "Squat to chair")
    page = app.get("/today/", user=patient).forms[f"done-{squat.pk}"].submit().follow()
    form = page.forms[f"answers-{squat.pk}"]
    form["feeling"] = "about_right"
    form["hurt"] = "no"
    page = form.submit().follow()
    log = SessionLog.objects.get()
    assert (log.feeling, log.hurt) == ("about_right", False)
    assert "your answers are saved" in page
    assert "ask your therapist" not in page.forms[f"answers-{squat.pk}"].text


def test_pain_says_stop_and_ask_your_therapist_and_is_listed_for_the_care_team(
    app, patient, following
):
    squat = item_of(following, "Squat to chair")
    page = app.get("/today/", user=patient).forms[f"done-{squat.pk}"].submit().follow()
    form = page.forms[f"answers-{squat.pk}"]
    form["feeling"] = "hard"
    form["hurt"] = "yes"
    page = form.submit().follow()
    assert "Stop doing this exercise and ask your therapist" in page
    # Still said on the page after the message has gone.
    page = app.get("/today/")
    assert "It hurt." in page
    assert "Stop doing this exercise and ask your therapist" in page
    [report] = SessionLog.objects.pain_reports()
    assert (report.user, report.exercise.name, report.date) == (
        patient,
        "Squat to chair",
        THURSDAY,
    )


def test_saving_answers_with_nothing_chosen_is_a_plain_words_error(
    app, patient, following
):
    squat = item_of(following, "Squat to chair")
    page = app.get("/today/", user=patient).forms[f"done-{squat.pk}"].submit().follow()
    response = page.forms[f"answers-{squat.pk}"].submit(status=400)
    assert "Choose how it felt, or whether it hurt" in response
    assert SessionLog.objects.get().feeling == ""


def test_an_earlier_day_of_this_week_can_be_marked(app, patient, following):
    monday_squat = item_of(following, "Squat to chair", MONDAY)
    page = app.get("/today/", user=patient).click("Monday")
    assert "Monday 23 November" in page
    assert "Today," not in page.html.h1.text
    page = page.forms[f"done-{monday_squat.pk}"].submit().follow()
    assert SessionLog.objects.get().date == MONDAY
    assert page.request.path == "/today/2026-11-23/"


@pytest.mark.parametrize(
    "day",
    ["2026-11-27", "2026-11-22", "2025-11-24", "not-a-date", "2026-02-30"],
)
def test_future_days_and_other_weeks_cannot_be_marked(app, patient, following, day):
    squat = item_of(following, "Squat to chair")
    page = app.get("/today/", user=patient)
    token = page.forms[f"done-{squat.pk}"]["csrfmiddlewaretoken"].value
    assert app.get(f"/today/{day}/", expect_errors=True).status_code == 404
    response = app.post(
        f"/today/{day}/done/",
        {"item": squat.pk, "csrfmiddlewaretoken": token},
        expect_errors=True,
    )
    assert response.status_code == 404
    assert not SessionLog.objects.exists()


def test_an_item_planned_on_another_day_cannot_be_logged_today(app, patient, following):
    monday_squat = item_of(following, "Squat to chair", MONDAY)
    page = app.get("/today/", user=patient)
    token = page.forms[0]["csrfmiddlewaretoken"].value
    response = app.post(
        "/today/2026-11-26/done/",
        {"item": monday_squat.pk, "csrfmiddlewaretoken": token},
        expect_errors=True,
    )
    assert response.status_code == 404
    assert not SessionLog.objects.exists()


def test_another_patients_item_and_log_are_a_404(
    app, patient, other_patient, following, squat
):
    squat_item = item_of(following, "Squat to chair")
    log_easy(squat_item, 0)
    bobs = make_routine(owner=other_patient)
    make_item(bobs, squat, day=THURSDAY.weekday())
    PlanSettings.objects.create(user=other_patient, routine=bobs)
    page = app.get("/today/", user=other_patient)
    token = page.forms[0]["csrfmiddlewaretoken"].value
    for action in ("done", "undo", "answers"):
        response = app.post(
            f"/today/2026-11-26/{action}/",
            {"item": squat_item.pk, "feeling": "easy", "csrfmiddlewaretoken": token},
            expect_errors=True,
        )
        assert response.status_code == 404
    for action in ("accept", "decline"):
        response = app.post(
            f"/progress/{squat_item.pk}/{action}/",
            {"kind": "dose", "version": 1, "csrfmiddlewaretoken": token},
            expect_errors=True,
        )
        assert response.status_code == 404
    log = SessionLog.objects.get()
    assert (log.feeling, log.progression_declined) == ("easy", False)
    assert "Squat to chair" in page  # Bob's own squat, unlogged
    assert f"undo-{squat_item.pk}" not in page.forms


def test_anonymous_visitors_are_sent_to_log_in(app):
    for url in ("/today/", "/history/", "/plan/", "/plan/tick-sheet/"):
        response = app.get(url)
        assert response.status_code == 302
        assert response.location.startswith("/accounts/login/")


# Steps up


def test_three_easy_sessions_offer_a_step_up_and_accepting_changes_the_item(
    app, patient, following
):
    squat = item_of(following, "Squat to chair")
    for days_ago in (21, 14, 7):
        log_easy(squat, days_ago)
    page = app.get("/today/", user=patient)
    assert "Ready for a next step?" in page
    assert "Go up to 2 sets of 12" in page
    assert "Try Goblet squat instead: 2 sets of 10" in page
    page = page.forms[f"accept-{squat.pk}-dose"].submit().follow()
    squat.refresh_from_db()
    assert (squat.sets, squat.reps, squat.version) == (2, 12, 2)
    assert (
        "Changed Squat to chair, 2 sets of 10 to Squat to chair, 2 sets of 12" in page
    )
    assert "Ready for a next step?" not in page  # the easy logs were at the old dose


def test_accepting_the_harder_version_swaps_the_exercise(app, patient, following):
    squat = item_of(following, "Squat to chair")
    for days_ago in (21, 14, 7):
        log_easy(squat, days_ago)
    page = app.get("/today/", user=patient)
    page = page.forms[f"accept-{squat.pk}-harder"].submit().follow()
    squat.refresh_from_db()
    assert squat.exercise.name == "Goblet squat"
    assert "to Goblet squat, 2 sets of 10" in page


def test_declining_keeps_the_item_and_asks_again_after_three_more_easy_sessions(
    app, patient, following
):
    squat = item_of(following, "Squat to chair")
    for days_ago in (35, 28, 21):
        log_easy(squat, days_ago)
    page = app.get("/today/", user=patient)
    page = page.forms[f"decline-{squat.pk}"].submit().follow()
    squat.refresh_from_db()
    assert (squat.reps, squat.version) == (10, 1)
    assert "stays as it is" in page
    assert "Ready for a next step?" not in page
    log_easy(squat, 14)
    log_easy(squat, 7)
    assert "Ready for a next step?" not in app.get("/today/")
    log_easy(squat, 0)
    assert "Ready for a next step?" in app.get("/today/")


@pytest.mark.parametrize(
    "last", [{"feeling": "hard"}, {"hurt": True}, {"feeling": "about_right"}]
)
def test_a_hard_or_painful_session_never_suggests_going_up(
    app, patient, following, last
):
    squat = item_of(following, "Squat to chair")
    log_easy(squat, 21)
    log_easy(squat, 14)
    log_easy(squat, 7, **last)
    assert "Ready for a next step?" not in app.get("/today/", user=patient)


def test_a_step_accepted_from_an_old_page_changes_nothing(app, patient, following):
    squat = item_of(following, "Squat to chair")
    for days_ago in (21, 14, 7):
        log_easy(squat, days_ago)
    form = app.get("/today/", user=patient).forms[f"accept-{squat.pk}-dose"]
    RoutineItem.objects.filter(pk=squat.pk).update(version=5)
    page = form.submit().follow()
    squat.refresh_from_db()
    assert squat.reps == 10
    assert "changed in another window" in page


def test_a_step_no_longer_on_offer_changes_nothing(app, patient, following):
    squat = item_of(following, "Squat to chair")
    for days_ago in (21, 14, 7):
        log_easy(squat, days_ago)
    form = app.get("/today/", user=patient).forms[f"accept-{squat.pk}-dose"]
    SessionLog.objects.filter(item=squat).update(feeling="hard")
    page = form.submit().follow()
    squat.refresh_from_db()
    assert (squat.reps, squat.version) == (10, 1)
    assert "no longer on offer" in page


def test_weight_steps_stop_below_the_patients_load_threshold(app, patient, patterns):
    # Osteoporosis: 10 kg or more counts as heavy. At 8 kg one more kilo is offered,
    # at 9 kg the next step would reach 10 kg, so none is.
    curl = make_exercise(
        name="Curl", strengthening=True, weight_bearing=False, equipment="dumbbells"
    )
    routine = make_routine(owner=patient)
    light = make_item(
        routine, curl, day=THURSDAY.weekday(), sets=3, reps=12, load_kg=Decimal("8")
    )
    heavy = make_item(
        routine, curl, day=MONDAY.weekday(), sets=3, reps=12, load_kg=Decimal("9")
    )
    PlanSettings.objects.create(user=patient, routine=routine)
    for item in (light, heavy):
        for days_ago in (21, 14, 7):
            log_easy(item, days_ago)
    page = app.get("/today/", user=patient)
    assert "Go up to 3 sets of 8, with 9 kg" in page
    assert f"accept-{light.pk}-dose" in page.forms
    assert f"accept-{heavy.pk}-dose" not in page.forms


def test_a_harder_version_that_is_dangerous_for_the_patient_is_not_offered(
    app, patient, patterns
):
    twist = make_exercise(
        name="Twist", slug="twist", patterns=["SPINAL_FLEXION"], strengthening=True
    )
    easy = make_exercise(
        name="Band row", strengthening=True, weight_bearing=False, harder_version=twist
    )
    routine = make_routine(owner=patient)
    row = make_item(routine, easy, day=THURSDAY.weekday(), sets=2, reps=10)
    PlanSettings.objects.create(user=patient, routine=routine)
    for days_ago in (21, 14, 7):
        log_easy(row, days_ago)
    page = app.get("/today/", user=patient)
    assert "Go up to 2 sets of 12" in page
    assert "Twist" not in page
    assert f"accept-{row.pk}-harder" not in page.forms


# History


def test_history_counts_planned_done_minutes_and_days(app, patient, following):
    walk = item_of(following, "Brisk walking")
    squat = item_of(following, "Squat to chair")
    monday_squat = item_of(following, "Squat to chair", MONDAY)
    log_easy(walk, 0)
    log_easy(squat, 0)
    log_easy(monday_squat, 3)
    page = app.get("/history/", user=patient)
    row = page.html.select_one('tr[data-week="23 Nov"]')
    cells = [c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])]
    assert cells[0] == "23 November 2026 (this week, so far)"
    # planned Mon 1 + Thu 2 = 3, all done; 30 minutes walking; strength Mon and Thu.
    assert cells[1:4] == ["3", "3", "100"]
    assert cells[4] == "30"
    assert cells[5] == "2 ✔ target met"
    assert cells[6] == "0"
    # Weeks before the patient followed the routine planned nothing.
    earlier = page.html.select_one('tr[data-week="16 Nov"]')
    assert [c.get_text(strip=True) for c in earlier.find_all("td")][:3] == [
        "0",
        "0",
        "–",
    ]
    assert page.html.select('svg[role="img"] title')[0].text == (
        "Sessions done (% of planned)"
    )
    values = page.html.select(
        'svg[data-chart="minutes"] text.chart-value[data-week="23 Nov"]'
    )
    assert values[0]["data-value"] == "30"


def test_history_does_not_plan_a_danger_on_hold(app, patient, sit_up):
    """This week plans Monday's and Thursday's squats and Thursday's walk: the sit-up,
    not yet confirmed, is not counted as planned (and Today holds it) until confirmed."""

    def planned_this_week():
        page = app.get("/history/", user=patient)
        row = page.html.select_one('tr[data-week="23 Nov"]')
        return [c.get_text(" ", strip=True) for c in row.find_all("td")][0]

    assert planned_this_week() == "3"
    sit_up.acknowledge({"SPINAL_FLEXION"}, version=sit_up.version)
    assert planned_this_week() == "4"


def _logs_for_weeks(patient, routine, weeks, first=1):
    items = list(routine.items.select_related("exercise"))
    SessionLog.objects.bulk_create(
        SessionLog(
            user=patient,
            item=item,
            exercise=item.exercise,
            date=MONDAY - timedelta(weeks=n) + timedelta(days=item.day),
            minutes=item.minutes,
            weight_bearing=True,
            strengthening=item.exercise.strengthening,
        )
        for n in range(first, first + weeks)
        for item in items
    )


def test_history_and_today_query_counts_do_not_grow_with_logs_or_items(
    patient, patient_client, following, squat
):
    def count(url):
        with first_visit_queries() as queries:
            assert patient_client.get(url).status_code == 200
        return len(queries)

    _logs_for_weeks(patient, following, 1)
    small = {url: count(url) for url in ("/today/", "/history/")}
    _logs_for_weeks(patient, following, 51, first=2)
    for n in range(20):
        item = make_item(following, squat, day=n % 7, sets=2, reps=10)
        log_easy(item, 7)
        log_easy(item, 14)
    big = {url: count(url) for url in ("/today/", "/history/")}
    assert big == small
    # session, user, plan settings + routine, items, logs (2), profile, whether a
    # therapist shares (for the items on hold), the catalogue's version and, this first
    # time, its safety data (2) and rules (1): never one per item or log.
    assert small["/today/"] <= 12


# Plan settings and the calendar feed


def test_plan_settings_round_trip(app, patient, routine):
    page = app.get("/plan/", user=patient)
    form = page.forms["plan-form"]
    form["routine"] = str(routine.pk)
    form["time_zone"] = "America/Toronto"
    form["session_time"] = "08:30"
    form["reminder"] = True
    page = form.submit().follow()
    settings = PlanSettings.objects.get(user=patient)
    assert (settings.routine, settings.time_zone, settings.session_time) == (
        routine,
        "America/Toronto",
        time(8, 30),
    )
    assert settings.reminder is True
    assert "Your plan settings are saved." in page


def test_an_unknown_time_zone_is_a_form_error(app, patient):
    page = app.get("/plan/", user=patient)
    form = page.forms["plan-form"]
    form["time_zone"].force_value("Mars/Olympus")
    response = form.submit(status=400)
    assert "Choose your time zone from the list." in response
    assert not PlanSettings.objects.filter(user=patient).exists()


def test_days_follow_the_patients_time_zone(app, patient, following):
    # 10:00 UTC on Thursday is midnight, Friday, on Kiritimati (UTC+14).
    PlanSettings.objects.filter(user=patient).update(time_zone="Pacific/Kiritimati")
    page = app.get("/today/", user=patient)
    assert "Today, Friday 27 November" in page


def _turn_calendar_on(app, patient):
    page = app.get("/plan/", user=patient)
    page = page.forms["calendar-renew"].submit().follow()
    return page, PlanSettings.objects.get(user=patient)


def test_the_calendar_feed_parses_back_into_exactly_the_week(app, patient, following):
    # The patient's profile (osteoporosis) must not leak into the feed.
    PlanSettings.objects.filter(user=patient).update(
        time_zone="America/Toronto", session_time=time(8, 30), reminder=True
    )
    page, settings = _turn_calendar_on(app, patient)
    assert "Your calendar link is ready." in page
    link = page.html.select_one("#calendar-link")["value"]
    assert link.endswith(f"/calendar/{settings.calendar_token}.ics")
    app.reset()  # a calendar app has no session
    response = app.get(f"/calendar/{settings.calendar_token}.ics")
    assert response.content_type == "text/calendar"
    text = response.body.decode()
    for private in ("osteoporosis", "Osteoporosis", "fracture", "Danger", "alice"):
        assert private not in text
    calendar = icalendar.Calendar.from_ical(response.body)
    [zone] = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "America/Toronto"
    events = {
        str(e["RRULE"]["BYDAY"][0]): e for e in calendar.walk("VEVENT")
    }  # one event per day that has items
    assert set(events) == {"MO", "TH"}
    for code, weekday in (("MO", 0), ("TH", 3)):
        event = events[code]
        assert event["RRULE"]["FREQ"] == ["WEEKLY"]
        start = event.decoded("DTSTART")
        assert (start.weekday(), start.time()) == (weekday, time(8, 30))
        assert str(start.tzinfo) == "America/Toronto"
        assert start.date() >= MONDAY
        [alarm] = event.walk("VALARM")
        assert alarm.decoded("TRIGGER") == timedelta(0)
    assert str(events["TH"]["DESCRIPTION"]).splitlines() == [
        "Squat to chair: 2 sets of 10",
        "Brisk walking: 30 minutes",
    ]
    assert str(events["TH"]["SUMMARY"]) == "BoneFit: 2 exercises"
    assert str(events["MO"]["DESCRIPTION"]) == "Squat to chair: 2 sets of 10"
    assert events["TH"].decoded("DURATION") == timedelta(minutes=35)


def test_without_a_reminder_the_feed_has_no_alarm(app, patient, following):
    _, settings = _turn_calendar_on(app, patient)
    body = app.get(f"/calendar/{settings.calendar_token}.ics").body
    assert icalendar.Calendar.from_ical(body).walk("VALARM") == []


def test_renewing_the_calendar_link_makes_the_old_one_a_404(app, patient, following):
    page, settings = _turn_calendar_on(app, patient)
    old = f"/calendar/{settings.calendar_token}.ics"
    page = page.forms["calendar-renew"].submit().follow()
    assert "The old link no longer works" in page
    new = f"/calendar/{PlanSettings.objects.get(user=patient).calendar_token}.ics"
    assert new != old
    assert app.get(old, expect_errors=True).status_code == 404
    assert app.get(new).status_code == 200


def test_turning_the_calendar_off_makes_the_link_a_404(app, patient, following):
    page, settings = _turn_calendar_on(app, patient)
    page = page.forms["calendar-off"].submit().follow()
    assert "Your calendar link is off." in page
    assert PlanSettings.objects.get(user=patient).calendar_token == ""
    response = app.get(f"/calendar/{settings.calendar_token}.ics", expect_errors=True)
    assert response.status_code == 404
    assert app.get("/calendar/.ics", expect_errors=True).status_code == 404


def test_a_made_up_feed_token_is_a_404(app, patient, following):
    _turn_calendar_on(app, patient)
    assert app.get("/calendar/guess.ics", expect_errors=True).status_code == 404


# The tick sheet, the export and account deletion


def test_tick_sheet_has_28_boxes_per_item(app, patient, following):
    page = app.get("/plan/tick-sheet/", user=patient)
    sections = page.html.select("section.tick-item")
    assert len(sections) == following.items.count()
    for section in sections:
        assert section.get_text().count("☐") == 28
    assert "Week of" in page
    assert "23 Nov" in page
    assert "14 Dec" in page


def test_tick_sheet_shows_each_items_note_under_its_name(app, patient, following):
    walk = item_of(following, "Brisk walking")
    walk.notes = "Round the park, with a friend."
    walk.save()
    page = app.get("/plan/tick-sheet/", user=patient)
    section = page.html.select_one(f"#tick-{walk.pk}").find_parent("section")
    assert section.select_one(".tick-note").text == "Round the park, with a friend."
    # the items without a note have none
    assert len(page.html.select(".tick-note")) == 1


def test_tick_sheet_without_a_followed_routine_asks_for_one(app, patient):
    page = app.get("/plan/tick-sheet/", user=patient).follow()
    assert "Choose the routine you follow first." in page


def test_export_holds_every_log_and_deleting_the_account_removes_them(
    app, patient, following
):
    squat = item_of(following, "Squat to chair")
    log_easy(squat, 7, hurt=True)
    log_easy(squat, 0)
    data = app.get("/accounts/me/export/", user=patient).json
    assert [(log["date"], log["hurt"]) for log in data["session_logs"]] == [
        ("2026-11-19", True),
        ("2026-11-26", False),
    ]
    assert data["plan_settings"]["routine"] == "My week"
    form = app.get("/accounts/me/delete/").forms[1]
    form["password"] = "a-long-enough-pass-123"
    form.submit()
    assert not SessionLog.objects.exists()
    assert not PlanSettings.objects.exists()


def test_removing_an_item_keeps_its_history(patient, following):
    squat = item_of(following, "Squat to chair")
    log_easy(squat, 0)
    squat.remove()
    log = SessionLog.objects.get()
    assert log.item is None
    assert log.exercise.name == "Squat to chair"


def test_seed_demo_logs_eight_weeks_once(db):
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    demo = PlanSettings.objects.get(user__username="demo")
    count = SessionLog.objects.filter(user=demo.user).count()
    assert count > 40
    assert demo.following_since == THURSDAY - timedelta(weeks=8)
    call_command("seed_demo", verbosity=0)
    assert SessionLog.objects.filter(user=demo.user).count() == count
    assert SessionLog.objects.pain_reports().filter(user=demo.user).exists()


# A day already logged shows what was done, not today's plan


def _item_card(page, item):
    return page.html.find(id=f"item-{item.pk}").get_text(" ", strip=True)


def test_a_logged_day_shows_what_was_done_not_the_plan_of_today(
    app, patient, following
):
    monday_squat = item_of(following, "Squat to chair", MONDAY)
    page = app.get("/today/2026-11-23/", user=patient)
    assert "Your plan: 2 sets of 10" in _item_card(page, monday_squat)
    page = page.forms[f"done-{monday_squat.pk}"].submit().follow()
    form = page.forms[f"answers-{monday_squat.pk}"]
    form["feeling"] = "easy"
    form["hurt"] = "no"
    form.submit().follow()
    # Later in the week the plan steps up, with a weight.
    RoutineItem.objects.filter(pk=monday_squat.pk).update(
        sets=3, reps=12, load_kg=Decimal("2.5")
    )

    card = _item_card(app.get("/today/2026-11-23/", user=patient), monday_squat)
    assert "You did: 2 sets of 10" in card
    assert "How it felt: Easy." in card
    assert "Pain: none." in card
    assert (
        "Your plan has changed since then. It is now: Squat to chair, 3 sets of 12, "
        "with 2.5 kg." in card
    )
    assert "Your plan: 3 sets of 12" not in card


def test_a_day_not_yet_logged_shows_the_plan_with_a_done_button(
    app, patient, following
):
    monday_squat = item_of(following, "Squat to chair", MONDAY)
    RoutineItem.objects.filter(pk=monday_squat.pk).update(sets=3, reps=12)
    page = app.get("/today/2026-11-23/", user=patient)
    card = _item_card(page, monday_squat)
    assert "Your plan: 3 sets of 12" in card
    assert "You did" not in card
    assert f"done-{monday_squat.pk}" in page.forms


def test_a_logged_day_names_the_exercise_done_after_a_swap_to_the_harder_one(
    app, patient, following, squat
):
    monday_squat = item_of(following, "Squat to chair", MONDAY)
    log_easy(monday_squat, 3)
    RoutineItem.objects.filter(pk=monday_squat.pk).update(exercise=squat.harder_version)
    page = app.get("/today/2026-11-23/", user=patient)
    assert page.html.find(id=f"item-{monday_squat.pk}-name").text == "Squat to chair"
    assert "It is now: Goblet squat, 2 sets of 10." in _item_card(page, monday_squat)


def test_a_session_logged_then_moved_or_removed_still_shows_on_its_day(
    app, patient, following
):
    monday_squat = item_of(following, "Squat to chair", MONDAY)
    log_easy(monday_squat, 3, hurt=True)
    page = app.get("/today/2026-11-23/", user=patient)
    assert "Also done on Monday" not in page
    RoutineItem.objects.filter(pk=monday_squat.pk).update(day=2)  # moved to Wednesday
    page = app.get("/today/2026-11-23/", user=patient)
    other = page.html.find(id="other-logs-title").find_parent("section")
    text = other.get_text(" ", strip=True)
    assert "Squat to chair" in text
    assert "You did: 2 sets of 10" in text
    assert "Pain: it hurt." in text
    assert "Nothing is planned for Monday" in page

    monday_squat.refresh_from_db()
    monday_squat.remove()
    page = app.get("/today/2026-11-23/", user=patient)
    assert "You did: 2 sets of 10" in page.html.find(id="other-logs-title").parent.text


# The time-zone list: the common zones first, in plain words


def test_the_time_zone_list_starts_with_the_common_zones_in_plain_words(app, patient):
    page = app.get("/plan/", user=patient)
    select = page.html.find("select", id="id_time_zone")
    common, every = select.find_all("optgroup")
    assert common["label"] == "Common time zones"
    assert every["label"] == "All time zones"
    uk = common.find("option")
    assert (uk["value"], uk.text) == (
        "Europe/London",
        "UK and Ireland (London, Dublin)",
    )
    assert uk.has_attr("selected")  # the default for someone new
    assert len(common.find_all("option")) <= 25
    assert "Australia/Sydney" in [o["value"] for o in common.find_all("option")]
    everywhere = {o["value"]: o.text for o in every.find_all("option")}
    assert everywhere["America/Toronto"] == "America – Toronto"
    assert everywhere["America/Argentina/Buenos_Aires"] == (
        "America – Argentina – Buenos Aires"
    )
    assert "Europe/London" not in everywhere  # no zone is offered twice
    assert not [v for v in everywhere if v.startswith("Etc/")]


def test_a_zone_from_the_long_list_saves(app, patient, routine):
    form = app.get("/plan/", user=patient).forms["plan-form"]
    form["time_zone"] = "Asia/Tokyo"
    form.submit().follow()
    assert PlanSettings.objects.get(user=patient).time_zone == "Asia/Tokyo"


@pytest.mark.parametrize("zone", ["Australia/Sydney", "America/Toronto", "US/Eastern"])
def test_a_saved_zone_shows_and_saves_untouched(app, patient, routine, zone):
    PlanSettings.objects.create(user=patient, routine=routine, time_zone=zone)
    page = app.get("/plan/", user=patient)
    selected = page.html.find("select", id="id_time_zone").find_all(selected=True)
    assert [o["value"] for o in selected] == [zone]
    page = page.forms["plan-form"].submit().follow()
    assert "Your plan settings are saved." in page
    assert PlanSettings.objects.get(user=patient).time_zone == zone


def test_history_charts_have_round_scales_and_a_summary_beside_them(
    app, patient, following
):
    log_easy(item_of(following, "Brisk walking"), 0)
    page = app.get("/history/", user=patient)
    scale = [
        t.text for t in page.html.select('svg[data-chart="strength"] text.chart-scale')
    ]
    assert scale == ["0", "1", "2", "3", "4", "5", "6", "7"]
    minutes = page.html.find(id="chart-minutes-summary")
    assert minutes.text == (
        "Target of 150 minutes reached in 0 of 12 weeks. "
        "Latest week (of 23 Nov): 30 minutes."
    )
    svg = page.html.select_one('svg[data-chart="minutes"]')
    assert "chart-minutes-summary" in svg["aria-describedby"]


# Items the week says not to do are never offered as done


@pytest.fixture
def sit_up(patient, following):
    exercise = make_exercise(name="Sit-up", slug="sit-up", patterns=["SPINAL_FLEXION"])
    return make_item(following, exercise, day=THURSDAY.weekday(), sets=1, reps=10)


def test_a_danger_not_yet_confirmed_has_no_done_button_until_confirmed(
    app, patient, sit_up
):
    page = app.get("/today/", user=patient)
    article = page.html.select_one(f"#item-{sit_up.pk}")
    assert "Do not do it now:" in article.get_text()
    assert "not yet confirmed" in article.get_text()
    assert f"done-{sit_up.pk}" not in page.forms
    assert f"done-{item_of(sit_up.routine, 'Brisk walking').pk}" in page.forms
    # a stale page, or a request made by hand: refused in plain words, nothing logged
    refused = app.post(
        "/today/2026-11-26/done/",
        {
            "item": sit_up.pk,
            "csrfmiddlewaretoken": page.forms[0]["csrfmiddlewaretoken"].value,
        },
        status=400,
    )
    assert refused.text.count("not yet confirmed") == 1  # the reason, once
    refused = app.post(
        "/today/2026-11-26/answers/",
        {
            "item": sit_up.pk,
            "feeling": "easy",
            "hurt": "no",
            "csrfmiddlewaretoken": page.forms[0]["csrfmiddlewaretoken"].value,
        },
        status=400,
    )
    assert "not yet confirmed" in refused
    assert not SessionLog.objects.filter(item=sit_up).exists()
    sit_up.acknowledge({"SPINAL_FLEXION"}, version=sit_up.version)
    page = app.get("/today/", user=patient)
    page.forms[f"done-{sit_up.pk}"].submit().follow()
    assert SessionLog.objects.filter(item=sit_up).exists()


def test_a_danger_waiting_for_the_therapist_is_held_on_today_and_the_tick_sheet(
    app, patient, sit_up, therapist
):
    from tests.factories import make_link

    make_link(patient, therapist)
    page = app.get("/today/", user=patient)
    assert (
        "Waiting for your therapist"
        in page.html.select_one(f"#item-{sit_up.pk}").get_text()
    )
    assert f"done-{sit_up.pk}" not in page.forms
    sheet = app.get("/plan/tick-sheet/", user=patient)
    held = sheet.html.select_one(f"#tick-{sit_up.pk}").find_parent("section")
    assert "No boxes for this one: do not do it now." in held.get_text()
    assert "☐" not in held.get_text()
    squat = item_of(sit_up.routine, "Squat to chair")
    assert (
        sheet.html.select_one(f"#tick-{squat.pk}")
        .find_parent("section")
        .get_text()
        .count("☐")
        == 28
    )


def test_a_danger_on_hold_is_left_out_of_the_calendar_until_it_may_be_done(
    app, patient, sit_up
):
    """The calendar on the patient's phone lists only what the week lets them do now:
    the unconfirmed sit-up appears once they confirm it."""
    _, settings = _turn_calendar_on(app, patient)
    feed = f"/calendar/{settings.calendar_token}.ics"

    def thursday():
        calendar = icalendar.Calendar.from_ical(app.get(feed).body)
        [event] = [e for e in calendar.walk("VEVENT") if "TH" in e["RRULE"]["BYDAY"]]
        return str(event["DESCRIPTION"]).splitlines(), str(event["SUMMARY"])

    assert thursday() == (
        ["Squat to chair: 2 sets of 10", "Brisk walking: 30 minutes"],
        "BoneFit: 2 exercises",
    )
    sit_up.acknowledge({"SPINAL_FLEXION"}, version=sit_up.version)
    assert thursday()[0] == [
        "Squat to chair: 2 sets of 10",
        "Brisk walking: 30 minutes",
        "Sit-up: 1 set of 10",
    ]


def test_today_shows_the_therapists_conditions_and_the_items_note(
    app, patient, sit_up, therapist
):
    """Where the patient does the exercise, they read what the therapist approved it with,
    or why they advised against it, and the item's own note."""
    from tests.factories import make_link

    make_link(patient, therapist)
    sit_up.notes = "Slowly, with your feet hooked under the sofa."
    sit_up.save()

    def review_then_read_today(decision, note):
        """The therapist decides; then the patient's Today: (its card, its forms)."""
        sit_up.refresh_from_db()
        sit_up.review(
            decision,
            {"SPINAL_FLEXION"},
            note=note,
            by=therapist,
            version=sit_up.version,
        )
        page = app.get("/today/", user=patient)
        card = page.html.select_one(f"#item-{sit_up.pk}").get_text()
        return " ".join(card.split()), page.forms

    card, forms = review_then_read_today(
        Review.APPROVED, "Ten at most, and stop if your back aches."
    )
    assert (
        "Your plan: 1 set of 10 – Slowly, with your feet hooked under the sofa." in card
    )
    assert (
        "Approved by your therapist: “Ten at most, and stop if your back aches.”"
        in card
    )
    assert f"done-{sit_up.pk}" in forms

    card, forms = review_then_read_today(
        Review.ADVISED_AGAINST, "Please do the bridge instead."
    )
    assert (
        "Do not do it now: Your therapist advised against this exercise. Please do not "
        "do it: change or remove it on your week. Their note: “Please do the bridge "
        "instead.”"
    ) in card
    assert "Approved by your therapist" not in card
    assert f"done-{sit_up.pk}" not in forms
