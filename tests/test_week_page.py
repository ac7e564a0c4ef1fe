"""The week page leads with what needs doing, counts exercises (not warnings), says which days."""

import re

import pytest

from tests.factories import make_exercise, make_item, make_routine

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(patient, patterns):
    bridge = make_exercise(name="Bridge", slug="bridge", strengthening=True)
    jumping = make_exercise(
        name="Jumping",
        slug="jumping",
        patterns=["HIGH_IMPACT", "RAPID_JERKY", "SPINAL_FLEXION"],
        alternatives=[bridge],
    )
    sit_up = make_exercise(name="Sit-up", slug="sit-up", patterns=["SPINAL_FLEXION"])
    golf = make_exercise(
        name="Golf swing", slug="golf-swing", patterns=["SPINAL_TWIST"]
    )
    routine = make_routine(owner=patient)
    return {
        "routine": routine,
        "jumping": make_item(routine, jumping, day=3),
        "sit_up": make_item(routine, sit_up, day=6),
        "confirmed": make_item(
            routine, sit_up, day=0, acknowledged_codes="SPINAL_FLEXION"
        ),
        "golf": make_item(routine, golf, day=1),
    }


def test_the_check_counts_exercises_and_names_their_days(app, patient, week):
    page = app.get(week["routine"].get_absolute_url(), user=patient)
    summary = page.html.select_one(".week-summary").get_text(" ", strip=True)
    summary = re.sub(r"\s+", " ", summary)
    assert (
        "2 exercises need your attention: Thursday (Jumping) , Sunday (Sit-up)"
        in summary
    )
    assert (
        "1 exercise is marked Danger, confirmed with your therapist: Monday (Sit-up)"
        in summary
    )
    assert "1 exercise to take care with: Tuesday (Golf swing)" in summary
    links = [a["href"] for a in page.html.select(".week-summary .attention a")]
    assert links == [f"#item-{week['jumping'].pk}", f"#item-{week['sit_up'].pk}"]
    # the mix comes after, under its own heading, never beside a danger as "all good"
    assert summary.index("need your attention") < summary.index("The mix of your week")


def test_an_all_clear_week_says_so(app, patient, patterns):
    routine = make_routine(owner=patient)
    make_item(routine, make_exercise(name="Bridge", strengthening=True), day=0)
    page = app.get(routine.get_absolute_url(), user=patient)
    assert "No exercise in your week has a serious warning." in page.text
    assert "need your attention" not in page.text


def test_the_routine_list_counts_exercises(app, patient, week):
    page = app.get("/routines/", user=patient)
    text = re.sub(r"\s+", " ", page.html.select_one(".item").get_text(" ", strip=True))
    assert "2 marked Danger need your attention." in text
    assert "1 to take care with." in text


def test_jump_to_day_links_and_one_primary_action_per_item(app, patient, week):
    page = app.get(week["routine"].get_absolute_url(), user=patient)
    jumps = [a["href"] for a in page.html.select("nav.jump-days a")]
    assert jumps == [
        f"#day-{d}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    ]
    jumping = page.html.select_one(f"#item-{week['jumping'].pk}")
    actions = jumping.select_one(".item-actions")
    # outside "More": only the primary action (Confirm… for an unconfirmed danger)
    primary = [a.get_text(strip=True) for a in actions.find_all("a", recursive=False)]
    assert primary == ["Confirm…"]
    more = actions.select_one("details")
    assert more.select_one("summary").get_text(" ", strip=True).startswith("More")
    assert "Swap for Bridge" in more.get_text()
    assert "Remove" in more.get_text()


def test_a_retired_exercise_without_alternatives_asks_for_the_therapist(
    app, patient, patterns
):
    routine = make_routine(owner=patient)
    make_item(routine, make_exercise(name="Old march", status="retired"))
    page = app.get(routine.get_absolute_url(), user=patient)
    assert "Ask your therapist for a replacement." in page.text
    assert "Consider a safer alternative" not in page.text


def test_weekly_totals_against_the_guidelines(app, patient, patterns):
    walk = make_exercise(name="Brisk walking", weight_bearing=True)
    squat = make_exercise(name="Sit-to-stand", strengthening=True, weight_bearing=True)
    stance = make_exercise(name="Tai chi", trains_balance=True, weight_bearing=True)
    routine = make_routine(owner=patient)
    make_item(routine, walk, day=0, reps=None, minutes=30)
    make_item(routine, walk, day=2, reps=None, minutes=10, sets=3)  # 3 times 10 minutes
    make_item(routine, squat, day=1)
    make_item(routine, squat, day=3)
    make_item(routine, stance, day=4, reps=None, minutes=20)
    page = app.get(routine.get_absolute_url(), user=patient)
    totals = [
        re.sub(r"\s+", " ", li.get_text(" ", strip=True))
        for li in page.html.select(".totals li")
    ]
    assert totals == [
        "Minutes on your feet (weight-bearing): 80 of 150 minutes – not yet enough",
        "Days with strength exercises: 2 of 2 days – ✔ enough",
        "Days with balance exercises: 1 of 2 days – not yet enough",
    ]
    bars = [rect["width"] for rect in page.html.select(".totals rect.total-fill")]
    assert bars == ["53", "100", "50"]


def test_weekly_totals_leave_out_dangers_not_to_be_done_yet(app, patient, patterns):
    walk = make_exercise(name="Brisk walking", weight_bearing=True)
    crunch = make_exercise(
        name="Crunch",
        weight_bearing=True,
        strengthening=True,
        patterns=["SPINAL_FLEXION"],
    )
    routine = make_routine(owner=patient)
    make_item(routine, walk, day=0, reps=None, minutes=30)
    held = make_item(routine, crunch, day=1, reps=None, minutes=60)
    page = app.get(routine.get_absolute_url(), user=patient)
    totals = [li.get_text(" ", strip=True) for li in page.html.select(".totals li")]
    assert "30 of 150 minutes" in totals[0]
    assert "0 of 2 days" in totals[1]
    assert "Not counted: 1 exercise that is marked Danger and not to be done now." in (
        page.html.select_one(".week-summary").get_text(" ", strip=True)
    )
    held.acknowledge({"SPINAL_FLEXION"}, version=held.version)
    page = app.get(routine.get_absolute_url(), user=patient)
    totals = [li.get_text(" ", strip=True) for li in page.html.select(".totals li")]
    assert "90 of 150 minutes" in totals[0]
    assert "Not counted" not in page.text
