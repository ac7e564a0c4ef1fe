"""The care team: sharing with consent, the therapist's decisions, restrictions, items and
templates, and the log the patient reads. Forms are submitted as the pages render them."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.utils import timezone

from routines import checking
from routines.models import (
    Access,
    AccessLog,
    CareLink,
    EndedBy,
    Review,
    Routine,
    RoutineItem,
    ShareCode,
)
from tests.factories import (
    make_exercise,
    make_item,
    make_link,
    make_profile,
    make_routine,
    make_therapist,
    make_user,
    sign_in,
    signed_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the wrong-code counter lives in the cache
    yield
    cache.clear()


@pytest.fixture
def sam(db):
    return make_therapist("sam", first_name="Sam", last_name="Carter")


@pytest.fixture
def exercises(patterns):
    bridge = make_exercise(name="Bridge", slug="bridge")
    return {
        "bridge": bridge,
        # SPINAL_FLEXION is Danger for osteoporosis (the patient fixture's diagnosis)
        "sit-up": make_exercise(
            name="Sit-up",
            slug="sit-up",
            patterns=["SPINAL_FLEXION"],
            alternatives=[bridge],
        ),
        "curl": make_exercise(name="Biceps curl", slug="curl"),
    }


@pytest.fixture
def week(patient, exercises):
    routine = make_routine(owner=patient, name="My week")
    return {
        "routine": routine,
        "danger": make_item(routine, exercises["sit-up"], day=0, reps=10),
        "safe": make_item(routine, exercises["bridge"], day=0, reps=10),
    }


# --- linking, with consent -------------------------------------------------------------


def test_patient_links_with_the_code_after_reading_what_is_shared(app, patient, sam):
    code = ShareCode.renew_for(sam)
    page = app.get("/accounts/me/therapist/", user=patient)
    form = page.forms["share-code"]
    form["code"] = code.formatted.lower()  # as a person might type it
    consent = form.submit()
    assert consent.status_code == 200
    assert "Share your plan with Sam Carter?" in consent.text
    assert "Approve exercises marked Danger, or advise against them" in consent.text
    assert not CareLink.objects.exists()  # nothing until the patient agrees
    form = consent.forms["consent"]
    form["agree"] = True
    page = form.submit().follow()
    assert "You now share your plan with Sam Carter" in page.text
    link = CareLink.objects.get()
    assert (link.patient, link.therapist, link.active) == (patient, sam, True)
    assert "stop sharing at any time" in link.consent_text


def test_consent_needs_the_box_ticked(app, patient, sam):
    code = ShareCode.renew_for(sam)
    page = app.get("/accounts/me/therapist/", user=patient)
    page.forms["share-code"]["code"] = code.code
    consent = page.forms["share-code"].submit()
    refused = consent.forms["consent"].submit(status=400)
    assert "Tick the box to agree" in refused.text
    assert not CareLink.objects.exists()


@pytest.mark.parametrize("typed", ["ABCD-EFGH", "nonsense", "", "O0I1-O0I1"])
def test_a_wrong_code_gets_a_plain_message(app, patient, sam, typed):
    ShareCode.renew_for(sam)
    page = app.get("/accounts/me/therapist/", user=patient)
    page.forms["share-code"]["code"] = typed
    res = page.forms["share-code"].submit(status=400)
    assert (
        "not right, or it has expired" in res.text
        or "Type the code your therapist gave you" in res.text
    )
    assert not CareLink.objects.exists()


def test_an_expired_code_gets_a_plain_message(app, patient, sam):
    code = ShareCode.renew_for(sam)
    ShareCode.objects.filter(pk=code.pk).update(expires_at=timezone.now())
    page = app.get("/accounts/me/therapist/", user=patient)
    page.forms["share-code"]["code"] = code.code
    res = page.forms["share-code"].submit(status=400)
    assert "not right, or it has expired" in res.text


def test_ten_wrong_codes_from_one_address_are_throttled(app, patient, sam):
    code = ShareCode.renew_for(sam)
    page = app.get("/accounts/me/therapist/", user=patient)
    for _ in range(10):
        page.forms["share-code"]["code"] = "WRNG-CODE"
        page = page.forms["share-code"].submit(status=400)
    page.forms["share-code"]["code"] = code.code  # even the right code waits now
    res = page.forms["share-code"].submit(status=429)
    assert "Too many wrong codes" in res.text
    assert not CareLink.objects.exists()
    # another address is not held back
    other = app.get(
        "/accounts/me/therapist/", extra_environ={"REMOTE_ADDR": "10.9.9.9"}
    )
    other.forms["share-code"]["code"] = code.code
    assert (
        other.forms["share-code"]
        .submit(extra_environ={"REMOTE_ADDR": "10.9.9.9"})
        .forms["consent"]
    )


def test_renewing_the_code_retires_the_old_one_and_keeps_linked_patients(
    app, patient, other_patient, sam
):
    old = ShareCode.renew_for(sam)
    make_link(patient, sam)
    page = signed_in(app, sam).get("/clinic/")
    assert old.formatted in page.text
    page = page.forms["renew-code"].submit().follow()
    new = ShareCode.objects.get(therapist=sam)
    assert new.code != old.code
    assert new.formatted in page.text
    assert ShareCode.find(old.code) is None
    assert ShareCode.find(new.formatted) == new
    assert CareLink.objects.of_therapist(sam).get().patient == patient
    for character in "0O1I":
        assert character not in new.code


def test_patient_stops_sharing_and_the_therapist_loses_access_at_once(
    app, patient, sam, week
):
    link = make_link(patient, sam)
    assert signed_in(app, sam).get(f"/clinic/patients/{patient.pk}/").status_code == 200
    page = app.get("/accounts/me/therapist/", user=patient)
    confirm = page.click(description="Stop sharing with Sam Carter")
    page = confirm.forms[1].submit().follow()
    assert "You no longer share your plan with Sam Carter" in page.text
    link.refresh_from_db()
    assert (link.active, link.ended_by) == (False, EndedBy.PATIENT)
    signed_in(app, sam).get(f"/clinic/patients/{patient.pk}/", status=404)
    routine, item = week["routine"], week["danger"]
    app.get(f"/clinic/routines/{routine.pk}/items/{item.pk}/review/", status=404)


def test_therapist_ends_the_link(app, patient, sam):
    link = make_link(patient, sam)
    page = signed_in(app, sam).get(f"/clinic/patients/{patient.pk}/")
    confirm = page.click(description="End the link with Alice")
    page = confirm.forms[1].submit().follow()
    assert "You no longer see Alice" in page.text
    link.refresh_from_db()
    assert link.ended_by == EndedBy.THERAPIST
    app.get(f"/clinic/patients/{patient.pk}/", status=404)
    assert AccessLog.objects.filter(
        patient=patient, action=Access.CHANGED, what="ended the link with you"
    ).exists()


def test_a_patient_may_share_with_several_therapists(patient, sam):
    other = make_therapist("kim")
    make_link(patient, sam)
    make_link(patient, other)
    assert CareLink.objects.of_patient(patient).count() == 2
    # sharing twice with one therapist keeps one link
    assert CareLink.start(patient=patient, therapist=sam)[1] is False
    assert CareLink.objects.of_patient(patient).count() == 2


def test_a_code_of_someone_no_longer_a_therapist_does_not_work(sam):
    code = ShareCode.renew_for(sam)
    sam.groups.clear()
    assert ShareCode.find(code.code) is None


# --- approval replaces self-declaration --------------------------------------------------


def test_without_a_therapist_the_patient_confirms_as_before(app, patient, week):
    page = app.get(week["routine"].get_absolute_url(), user=patient)
    assert "Not yet confirmed" in page.text
    assert "Waiting for your therapist" not in page.text
    confirm = app.get(week["danger"].get_confirm_url())
    confirm.forms["confirm-danger"]["acknowledge_danger"] = True
    confirm.forms["confirm-danger"].submit()
    assert RoutineItem.objects.get(pk=week["danger"].pk).acknowledged == {
        "SPINAL_FLEXION"
    }


def test_with_a_therapist_a_danger_item_waits_and_cannot_be_self_confirmed(
    app, patient, sam, week
):
    week["danger"].acknowledge({"SPINAL_FLEXION"}, version=1)  # before linking
    make_link(patient, sam)
    page = app.get(week["routine"].get_absolute_url(), user=patient)
    assert "Waiting for your therapist." in page.text
    assert "Confirm you discussed it" not in page.text
    res = app.get(week["danger"].get_confirm_url()).follow()
    assert "waiting for your therapist" in res.text
    listing = app.get("/routines/")
    assert "1 marked Danger waits for your therapist" in listing.text
    printed = app.get(f"/routines/{week['routine'].pk}/print/")
    assert "waiting for my therapist" in printed.text


def test_with_a_therapist_the_patient_adds_a_danger_item_without_the_tick(
    app, patient, sam, week
):
    make_link(patient, sam)
    page = app.get(
        f"/routines/{week['routine'].pk}/items/add/sit-up/?day=tue", user=patient
    )
    assert "waits for your therapist" in page.text
    assert "acknowledge_danger" not in page.forms["item-form"].fields
    res = page.forms["item-form"].submit().follow()
    assert "waits for your therapist" in res.text
    added = RoutineItem.objects.filter(day=1).get()
    assert (added.acknowledged, added.reviewed, added.added_by) == (
        frozenset(),
        frozenset(),
        patient,
    )


def test_therapist_approves_a_danger_item_with_a_note(app, patient, sam, week):
    make_link(patient, sam)
    page = signed_in(app, sam).get(f"/clinic/patients/{patient.pk}/")
    assert "Waiting for your approval." in page.text
    review = page.click(description="Approve or advise against…", index=0)
    form = review.forms["review"]
    form["decision"] = Review.APPROVED
    form["note"] = "With 5 repetitions at most."
    page = form.submit().follow()
    assert "Sit-up on Monday: approved" in page.text
    item = RoutineItem.objects.get(pk=week["danger"].pk)
    assert (
        item.review_decision,
        item.reviewed,
        item.reviewed_by,
        item.review_note,
    ) == (
        Review.APPROVED,
        {"SPINAL_FLEXION"},
        sam,
        "With 5 repetitions at most.",
    )
    today = timezone.localdate().strftime("%-d %B %Y")
    week_page = app.get(week["routine"].get_absolute_url(), user=patient)
    assert f"Approved by Sam Carter, your therapist, on {today}." in week_page.text
    assert "With 5 repetitions at most." in week_page.text
    check = " ".join(week_page.html.select_one(".week-summary").get_text().split())
    assert (
        "1 exercise is marked Danger and approved by your therapist: Monday (Sit-up). "
        "Do it as your therapist's note says."
    ) in check
    assert "confirmed with your therapist" not in check
    assert "Waiting for your therapist" not in week_page.text
    listed = " ".join(app.get("/routines/").html.get_text().split())
    assert "1 marked Danger, approved by your therapist." in listed
    assert "(confirmed)" not in listed
    printed = app.get(f"/routines/{week['routine'].pk}/print/")
    assert f"approved by Sam Carter on {today}" in printed.text
    # Beside the steps too, where the patient reads how to do it: the note may narrow them.
    (sheet,) = [
        article
        for article in printed.html.select("article.exercise-sheet")
        if article.h3.text.strip() == "Sit-up"
    ]
    assert " ".join(sheet.p.text.split()) == (
        f"Approved (Monday) by Sam Carter, my therapist, on {today}: "
        "“With 5 repetitions at most.”"
    )
    assert sheet.select("ol li")  # and its steps are printed
    assert "0 marked Danger" not in app.get("/routines/").text


def test_therapist_advises_against_with_a_note(app, patient, sam, week):
    make_link(patient, sam)
    review = signed_in(app, sam).get(
        f"/clinic/routines/{week['routine'].pk}/items/{week['danger'].pk}/review/"
    )
    form = review.forms["review"]
    form["decision"] = Review.ADVISED_AGAINST
    refused = form.submit(status=400)  # the patient is owed a reason
    assert "Tell the patient why" in refused.text
    form = refused.forms["review"]
    form["note"] = "Please do the bridge instead."
    form.submit().follow()
    item = RoutineItem.objects.get(pk=week["danger"].pk)
    assert item.review_decision == Review.ADVISED_AGAINST
    week_page = app.get(week["routine"].get_absolute_url(), user=patient)
    assert "Sam Carter, your therapist, advised against this" in week_page.text
    assert "Please do the bridge instead." in week_page.text
    assert "Your therapist advised against 1 exercise" in app.get("/routines/").text
    assert (
        "Sam Carter advised against this"
        in app.get(f"/routines/{week['routine'].pk}/print/").text
    )


def test_a_stale_decision_is_refused(app, patient, sam, week):
    make_link(patient, sam)
    review = signed_in(app, sam).get(
        f"/clinic/routines/{week['routine'].pk}/items/{week['danger'].pk}/review/"
    )
    week["danger"].change(
        version=1, exercise=week["danger"].exercise, day=0, reps=10, by=patient
    )
    review.forms["review"]["decision"] = Review.APPROVED
    review.forms["review"].submit().follow()
    assert RoutineItem.objects.get(pk=week["danger"].pk).review_decision == ""


@pytest.mark.parametrize(
    ("change", "waits_again"),
    [
        ({"reps": 12}, True),
        ({"sets": 3}, True),
        ({"load_kg": Decimal("2")}, True),
        ({"reps": 8}, False),
        ({"notes": "slowly"}, False),
        ({"day": 3}, False),
    ],
)
def test_raising_the_load_starts_the_wait_again(
    patient, sam, week, change, waits_again
):
    make_link(patient, sam)
    item = week["danger"].review(
        Review.APPROVED, {"SPINAL_FLEXION"}, note="", by=sam, version=1
    )
    fields = {"exercise": item.exercise, "day": 0, "reps": 10, "sets": None} | change
    item.change(version=item.version, by=patient, **fields)
    item.refresh_from_db()
    assert (item.review_decision == "") is waits_again


def test_changing_the_exercise_starts_the_wait_again(
    app, patient, sam, week, exercises
):
    make_link(patient, sam)
    week["danger"].review(
        Review.APPROVED, {"SPINAL_FLEXION"}, note="", by=sam, version=1
    )
    other = make_exercise(name="Crunch", slug="crunch", patterns=["SPINAL_FLEXION"])
    page = app.get(
        f"{week['danger'].get_edit_url()}?exercise={other.slug}", user=patient
    )
    page.forms["item-form"].submit()
    item = RoutineItem.objects.get(pk=week["danger"].pk)
    assert (item.exercise, item.review_decision) == (other, "")
    assert (
        "Waiting for your therapist."
        in app.get(week["routine"].get_absolute_url()).text
    )


def test_a_swap_restarts_the_wait_and_undo_brings_the_approval_back(
    app, patient, sam, week
):
    make_link(patient, sam)
    week["danger"].review(
        Review.APPROVED, {"SPINAL_FLEXION"}, note="ok", by=sam, version=1
    )
    page = app.get(week["routine"].get_absolute_url(), user=patient)
    swap = next(
        f
        for f in page.forms.values()
        if f.action.endswith(f"/{week['danger'].pk}/swap/")
    )
    page = swap.submit().follow()
    assert RoutineItem.objects.get(pk=week["danger"].pk).review_decision == ""
    undo = next(f for f in page.forms.values() if f.action.endswith("/swap/undo/"))
    undo.submit()
    item = RoutineItem.objects.get(pk=week["danger"].pk)
    assert (item.review_decision, item.reviewed_by, item.review_note) == (
        Review.APPROVED,
        sam,
        "ok",
    )


# --- restrictions ------------------------------------------------------------------------


def test_therapist_writes_restrictions_the_patient_sees_with_their_name(
    app, patient, sam, week
):
    make_link(patient, sam)
    page = signed_in(app, sam).get(f"/clinic/patients/{patient.pk}/")
    form_page = page.click(description="Write what to avoid")
    form_page.forms["restrictions"]["restrictions"] = "Lifting more than 5 kg."
    form_page.forms["restrictions"].submit().follow()
    expected = "Sam Carter, your therapist, asked you to avoid:"
    week_page = app.get(week["routine"].get_absolute_url(), user=patient)
    assert expected in week_page.text
    assert "Lifting more than 5 kg." in week_page.text
    assert (
        "Sam Carter, my therapist, asked me to avoid:"
        in app.get(f"/routines/{week['routine'].pk}/print/").text
    )
    assert expected in app.get("/routines/").text
    # on two lines, and with what looks like HTML: shown as written, line by line
    form_page = signed_in(app, sam).get(f"/clinic/patients/{patient.pk}/restrictions/")
    form_page.forms["restrictions"]["restrictions"] = "Lifting.\r\nBending <b>far</b>."
    form_page.forms["restrictions"].submit()
    as_shown = "Lifting.<br>Bending &lt;b&gt;far&lt;/b&gt;."
    assert as_shown in app.get(week["routine"].get_absolute_url(), user=patient).text
    assert as_shown in app.get("/routines/").text
    assert as_shown in app.get(f"/routines/{week['routine'].pk}/print/").text
    # emptied, it disappears
    form_page = signed_in(app, sam).get(f"/clinic/patients/{patient.pk}/restrictions/")
    form_page.forms["restrictions"]["restrictions"] = ""
    form_page.forms["restrictions"].submit()
    assert (
        expected not in app.get(week["routine"].get_absolute_url(), user=patient).text
    )


# --- the therapist's items, routines and templates ---------------------------------------


def test_therapist_adds_a_danger_item_by_approving_it(app, patient, sam, week):
    make_link(patient, sam)
    page = signed_in(app, sam).get(f"/clinic/patients/{patient.pk}/")
    picker = page.click(description="Add an exercise to Tuesday")
    assert "Sit-up" not in picker.text  # suitable for Alice, at first
    picker.forms[1]["suitable"] = False
    picker = picker.forms[1].submit()
    form_page = picker.click(href="/items/add/sit-up/")
    form = form_page.forms["item-form"]
    form["reps"] = "5"
    refused = form.submit(status=400)
    assert "Tick the box to approve it" in refused.text
    form = refused.forms["item-form"]
    form["acknowledge_danger"] = True
    form.submit().follow()
    item = RoutineItem.objects.get(day=1)
    assert (item.added_by, item.review_decision, item.reviewed_by, item.reps) == (
        sam,
        Review.APPROVED,
        sam,
        5,
    )
    assert item.acknowledged == frozenset()
    week_page = app.get(week["routine"].get_absolute_url(), user=patient)
    assert "Added by Sam Carter, your therapist." in week_page.text
    assert (
        "added by Sam Carter, my therapist"
        in app.get(f"/routines/{week['routine'].pk}/print/").text
    )


def test_therapist_changes_moves_and_removes_items(app, patient, sam, week):
    make_link(patient, sam)
    routine, safe = week["routine"], week["safe"]
    page = signed_in(app, sam).get(f"/clinic/routines/{routine.pk}/items/{safe.pk}/")
    page.forms["item-form"]["reps"] = "8"
    page.forms["item-form"]["day"] = "wed"
    page.forms["item-form"].submit()
    safe.refresh_from_db()
    assert (safe.reps, safe.day, safe.changed_by) == (8, 2, sam)
    assert (
        "Last changed by Sam Carter, your therapist."
        in app.get(routine.get_absolute_url(), user=patient).text
    )
    make_item(routine, week["danger"].exercise, day=0, reps=3)
    page = signed_in(app, sam).get(f"/clinic/patients/{patient.pk}/")
    down = next(
        f
        for f in page.forms.values()
        if f.action.endswith(f"/items/{week['danger'].pk}/move/down/")
    )
    down.submit()
    assert RoutineItem.objects.get(pk=week["danger"].pk).position == 1
    confirm = app.get(f"/clinic/routines/{routine.pk}/items/{safe.pk}/delete/")
    removed = confirm.forms[1].submit()
    assert not RoutineItem.objects.filter(pk=safe.pk).exists()
    # The patient's page opens at the day it was removed from, with the message.
    assert removed.location.endswith(f"#day-{routine.pk}-wed")
    patient_page = removed.follow()
    assert patient_page.html.select_one(f"#day-{routine.pk}-wed h3").get_text() == (
        "Wednesday"
    )
    assert "removed from Wednesday" in patient_page.html.select_one(".messages").text


def test_therapist_builds_a_routine_for_the_patient(app, patient, sam):
    make_link(patient, sam)
    page = signed_in(app, sam).get(f"/clinic/patients/{patient.pk}/routines/new/")
    page.forms[1]["name"] = "Spring plan"
    page.forms[1].submit().follow()
    routine = Routine.objects.get(name="Spring plan")
    assert (routine.owner, routine.created_by, routine.is_template) == (
        patient,
        sam,
        False,
    )
    assert (
        "Made by Sam Carter, your therapist."
        in app.get("/routines/", user=patient).text
    )


def test_therapist_sends_a_copy_of_a_template(app, patient, sam, exercises):
    make_link(patient, sam)
    page = signed_in(app, sam).get("/clinic/templates/")
    page.forms[1]["name"] = "First weeks"
    template_page = page.forms[1].submit().follow()
    template = Routine.objects.get(name="First weeks")
    assert (template.owner, template.is_template) == (sam, True)
    picker = template_page.click(description="Add an exercise to Monday")
    form_page = picker.click(href="/items/add/sit-up/")
    assert "acknowledge_danger" not in form_page.forms["item-form"].fields
    form_page.forms["item-form"].submit()
    send = app.get(f"/clinic/templates/{template.pk}/send/")
    send.forms["send-template"]["patient"] = str(patient.pk)
    send.forms["send-template"]["name"] = "My first weeks"
    send.forms["send-template"].submit().follow()
    copy = Routine.objects.get(owner=patient, name="My first weeks")
    [item] = copy.items.all()
    assert (item.exercise, item.added_by, copy.created_by) == (
        exercises["sit-up"],
        sam,
        sam,
    )
    assert template.items.count() == 1  # the template stays
    # the copy is checked for the patient: the danger item waits for approval
    assert (
        "Waiting for your therapist."
        in app.get(copy.get_absolute_url(), user=patient).text
    )
    # templates are not the therapist's own routines
    assert "First weeks" not in signed_in(app, sam).get("/routines/").text
    app.get(template.get_absolute_url(), status=404)
    assert AccessLog.objects.filter(
        patient=patient, what="sent you the routine “My first weeks”"
    ).exists()


def test_a_template_cannot_be_sent_to_an_unlinked_patient(
    app, patient, other_patient, sam
):
    make_link(patient, sam)
    template, _ = Routine.create_for(sam, name="T", is_template=True)
    send = signed_in(app, sam).get(f"/clinic/templates/{template.pk}/send/")
    form = send.forms["send-template"]
    form["patient"].force_value(str(other_patient.pk))
    res = form.submit(status=400)
    assert "Choose one of your patients" in res.text
    assert not Routine.objects.filter(owner=other_patient).exists()


# --- accountability ----------------------------------------------------------------------


def test_each_look_and_change_is_logged_once(app, patient, sam, week):
    make_link(patient, sam)
    signed_in(app, sam).get(f"/clinic/patients/{patient.pk}/")
    assert list(AccessLog.objects.values_list("therapist", "action", "what")) == [
        (sam.pk, Access.VIEWED, "your profile and routines")
    ]
    review = app.get(
        f"/clinic/routines/{week['routine'].pk}/items/{week['danger'].pk}/review/"
    )
    review.forms["review"]["decision"] = Review.APPROVED
    review.forms["review"].submit()
    assert list(AccessLog.objects.order_by("pk").values_list("action", "what")[1:]) == [
        (Access.VIEWED, "Sit-up on Monday in “My week”"),
        (Access.CHANGED, "approved Sit-up on Monday in “My week”"),
    ]


def test_refused_requests_write_nothing(app, patient, other_patient, sam, week):
    make_link(other_patient, sam)  # linked to someone else only
    signed_in(app, sam).get(f"/clinic/patients/{patient.pk}/", status=404)
    app.get(
        f"/clinic/routines/{week['routine'].pk}/items/{week['danger'].pk}/review/",
        status=404,
    )
    assert not AccessLog.objects.exists()


def test_patient_reads_the_log_on_the_account_page(app, patient, sam):
    make_link(patient, sam)
    signed_in(app, sam).get(f"/clinic/patients/{patient.pk}/")
    page = app.get("/accounts/me/", user=patient)
    assert "Who opened or changed my plan" in page.text
    assert "Sam Carter" in page.text
    assert "Opened your profile and routines" in page.text


def test_the_export_includes_links_decisions_and_the_log(app, patient, sam, week):
    make_link(patient, sam, restrictions="No lifting.")
    week["danger"].review(
        Review.APPROVED, {"SPINAL_FLEXION"}, note="ok", by=sam, version=1
    )
    signed_in(app, sam).get(f"/clinic/patients/{patient.pk}/")
    data = app.get("/accounts/me/export/", user=patient).json
    assert data["therapists"][0]["therapist"] == "Sam Carter"
    assert data["therapists"][0]["restrictions"] == "No lifting."
    assert data["access_log"][0]["what"] == "Opened your profile and routines"
    item = next(i for i in data["routines"][0]["items"] if i["exercise"] == "sit-up")
    assert (item["therapist_decision"], item["decided_by"], item["therapist_note"]) == (
        "approved",
        "Sam Carter",
        "ok",
    )


def test_deleting_the_account_removes_links_and_log(app, patient, sam):
    make_link(patient, sam)
    signed_in(app, sam).get(f"/clinic/patients/{patient.pk}/")
    page = app.get("/accounts/me/delete/", user=patient)
    page.forms[1]["password"] = "a-long-enough-pass-123"
    page.forms[1].submit()
    assert not User.objects.filter(pk=patient.pk).exists()
    assert not CareLink.objects.exists()
    assert not AccessLog.objects.exists()


def test_the_log_keeps_the_name_of_a_therapist_who_left(patient, sam):
    make_link(patient, sam)
    AccessLog.record(therapist=sam, patient=patient, action=Access.VIEWED, what="x")
    sam.delete()
    assert AccessLog.objects.get().therapist_name == "Sam Carter"


def test_superusers_read_links_and_logs_in_the_admin_and_therapists_do_not(
    client, patient, sam
):
    link = make_link(patient, sam)
    AccessLog.record(therapist=sam, patient=patient, action=Access.VIEWED, what="x")
    root = User.objects.create_superuser("root", password="a-long-enough-pass-123")
    sign_in(client, root)
    assert client.get("/admin/routines/carelink/").status_code == 200
    page = client.get(f"/admin/routines/carelink/{link.pk}/change/")
    assert page.status_code == 200
    assert b'name="restrictions"' not in page.content  # read-only
    assert client.get("/admin/routines/accesslog/").status_code == 200
    assert client.get("/admin/routines/carelink/add/").status_code == 403
    assert client.post(f"/admin/routines/carelink/{link.pk}/delete/").status_code == 403
    sign_in(client, sam)
    assert client.get("/admin/routines/carelink/").status_code == 403
    assert client.get("/admin/routines/accesslog/").status_code == 403


# --- the patient list --------------------------------------------------------------------


def _patients(therapist, n, exercise, prefix="p"):
    for i in range(n):
        patient = make_user(f"{prefix}{i:03}", first_name=f"Patient {i:03}")
        make_profile(patient, fracture_hip=i % 2 == 0)
        routine = make_routine(owner=patient)
        make_item(routine, exercise, day=0)
        make_link(patient, therapist)


def test_patient_list_shows_risk_routines_waiting_and_activity(app, patient, sam, week):
    make_link(patient, sam)
    page = signed_in(app, sam).get("/clinic/")
    row = page.html.select("tbody tr")[0]
    cells = [c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])]
    assert cells[:5] == ["Alice", "Osteoporosis", "1", "◷ 1", "0"]


def test_patient_list_counts_pain_reports_of_the_last_four_weeks(
    app, patient, sam, week
):
    from routines.models import SessionLog

    make_link(patient, sam)
    today = timezone.localdate()
    for days_ago, hurt in [(1, True), (20, True), (40, True), (2, False), (3, None)]:
        SessionLog.objects.create(
            user=patient,
            item=week["safe"],
            exercise=week["safe"].exercise,
            date=today - timedelta(days=days_ago),
            reps=10,
            hurt=hurt,
        )
    page = signed_in(app, sam).get("/clinic/?sort=-pain")
    cells = [
        c.get_text(" ", strip=True)
        for c in page.html.select("tbody tr")[0].find_all("td")
    ]
    assert cells[3] == "! 2"
    # the patient's page says which exercise hurt, and when
    patient_page = page.click(href=f"/clinic/patients/{patient.pk}/$")
    section = patient_page.html.select_one("section[aria-labelledby=pain-title]")
    reports = [li.get_text(" ", strip=True) for li in section.select("li")]
    name = week["safe"].exercise.name
    assert len(reports) == 2
    assert all(report.startswith(name) for report in reports)
    yesterday = today - timedelta(days=1)
    assert f"on {yesterday:%A} {yesterday.day} {yesterday:%B}" in reports[0]


def test_patient_list_query_count_is_the_same_for_1_and_50_patients(
    client, sam, exercises, django_assert_max_num_queries
):
    sign_in(client, sam)
    _patients(sam, 1, exercises["sit-up"])
    # session, user, the staff member's second-step device, group check, links with
    # profiles and counts, items, the catalogue's version and (the first time this
    # process sees it) its patterns, alternatives and rules, share code
    with django_assert_max_num_queries(11):
        assert client.get("/clinic/?sort=-waiting").status_code == 200
    CareLink.objects.all().delete()
    _patients(sam, 50, exercises["sit-up"], prefix="q")
    checking.forget_catalogue_tables()
    with django_assert_max_num_queries(11):
        response = client.get("/clinic/?sort=-waiting")
    assert response.status_code == 200
    assert b"50 patients share their plan" in response.content


def test_patient_list_is_sorted_and_paged(app, sam, exercises):
    _patients(sam, 30, exercises["bridge"])
    page = signed_in(app, sam).get("/clinic/")
    names = [th.get_text(strip=True) for th in page.html.select("tbody th")]
    assert names == [f"Patient {i:03}" for i in range(25)]
    page = page.click(description="Next page")
    assert [th.get_text(strip=True) for th in page.html.select("tbody th")] == [
        f"Patient {i:03}" for i in range(25, 30)
    ]
    page = app.get("/clinic/?sort=-name")
    assert page.html.select("tbody th")[0].get_text(strip=True) == "Patient 029"
    page = app.get("/clinic/?sort=risk")
    risks = [
        tr.find_all("td")[0].get_text(strip=True) for tr in page.html.select("tbody tr")
    ]
    assert risks[0] == "Osteoporosis"
    assert risks[-1].startswith("Higher risk")
    assert app.get("/clinic/?sort=nonsense&page=999").status_code == 200


def test_ended_links_leave_the_list(app, patient, sam):
    link = make_link(patient, sam)
    link.end(by=EndedBy.PATIENT)
    assert (
        "No patient shares their plan with you yet"
        in signed_in(app, sam).get("/clinic/").text
    )


def test_share_code_expiry_is_shown(app, sam):
    code = ShareCode.renew_for(sam)
    ShareCode.objects.filter(pk=code.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    assert "expired on" in signed_in(app, sam).get("/clinic/").text


def test_a_therapist_lands_on_the_patient_list_after_signing_in(app, db):
    from django.contrib.auth.models import Group

    from catalogue.roles import THERAPISTS
    from tests.factories import make_user, sign_in_through_pages

    therapist = make_user("tessa", is_staff=True)
    therapist.groups.add(Group.objects.get(name=THERAPISTS))
    app.reset()
    page = app.get("/accounts/login/")
    form = next(f for f in page.forms.values() if "password" in f.fields)
    form["username"], form["password"] = "tessa", "a-long-enough-pass-123"
    assert form.submit().location.endswith("/clinic/")
    # and through the second step as a person does it
    landed = sign_in_through_pages(app, therapist)
    assert landed.request.path in ("/clinic/", "/admin/")


def test_the_printed_sheet_gives_no_box_to_tick_while_waiting_or_advised_against(
    app, patient, sam, week
):
    """A danger waiting for the therapist, or one they advised against, is crossed out on
    the fridge sheet (not to be done now); once approved it has its box to tick."""
    make_link(patient, sam)
    url = f"/routines/{week['routine'].pk}/print/"

    def marks():
        printed = app.get(url, user=patient).text
        return {
            name: "✖"
            if f'<span aria-hidden="true">✖</span> {name}' in printed
            else "☐"
            if f"☐ {name}" in printed
            else None
            for name in ("Sit-up", "Bridge")
        }

    assert marks() == {"Sit-up": "✖", "Bridge": "☐"}  # waiting for the therapist
    for decision, note, mark in [
        (Review.ADVISED_AGAINST, "Please do the bridge instead.", "✖"),
        (Review.APPROVED, "With 5 repetitions at most.", "☐"),
    ]:
        review = signed_in(app, sam).get(
            f"/clinic/routines/{week['routine'].pk}/items/{week['danger'].pk}/review/"
        )
        form = review.forms["review"]
        form["decision"] = decision
        form["note"] = note
        form.submit().follow()
        assert marks() == {"Sit-up": mark, "Bridge": "☐"}


@pytest.mark.parametrize("for_therapist", [False, True])
def test_the_week_skips_the_care_notes_only_when_there_are_none(db, for_therapist):
    """The weeks call the item_care macro only for an item with has_care_notes (a macro
    call costs time, and most items have none): for every kind of item, the macro shows
    something exactly when has_care_notes says so."""
    from django.template import engines
    from django.utils import timezone

    from routines import presenting, safety
    from routines.models import Review, RoutineItem

    owner, therapist = make_user(), make_therapist(first_name="Sam")
    danger = presenting.ShownFinding(
        safety.Finding(code="x", severity=safety.DANGER, message="Careful."), []
    )
    template = engines["jinja2"].from_string(
        '{% from "includes/week_parts.html" import item_care %}'
        "{{ item_care(shown, for_therapist=for_therapist) }}"
    )
    people = [None, owner.pk, therapist.pk]
    shown_any = set()
    for (
        added_by,
        changed_by,
        findings,
        needs_acknowledgement,
        decision,
        with_therapist,
    ) in itertools.product(
        people,
        people,
        [[], [danger]],
        [False, True],
        ["", *Review.values],
        [False, True],
    ):
        item = RoutineItem(
            added_by_id=added_by,
            changed_by_id=changed_by,
            review_decision=decision,
            reviewed_by=therapist if decision else None,
            reviewed_at=timezone.now() if decision else None,
            danger_acknowledged_at=timezone.now(),
        )
        shown = presenting.ShownItem(
            item=item,
            findings=findings,
            needs_acknowledgement=needs_acknowledgement,
            first=True,
            last=True,
            with_therapist=with_therapist,
            owner_id=owner.pk,
        )
        html = template.render({"shown": shown, "for_therapist": for_therapist}).strip()
        if not shown.has_care_notes:
            assert html == "", (added_by, changed_by, findings, decision)
        shown_any.add(bool(html))
    assert shown_any == {True, False}
