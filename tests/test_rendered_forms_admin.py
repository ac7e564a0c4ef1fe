"""The therapists' exercise form in the Django admin, submitted as the page renders it."""

import io
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.forms.models import model_to_dict
from PIL import Image

from catalogue.models import Exercise, ExerciseStep, Status
from tests.factories import make_exercise, sign_in_through_pages

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/catalogue/exercise/add/"


def change_url(exercise):
    return f"/admin/catalogue/exercise/{exercise.pk}/change/"


def step_rows(form):
    """The step rows of the inline that the page rendered, by prefix (`steps-0`, ...)."""
    total = int(form["steps-TOTAL_FORMS"].value)
    return [f"steps-{i}" for i in range(total)]


def tick(form, name, value):
    """Tick the checkbox `name` whose value is `value` (one of several with that name)."""
    [box] = [f for f in form.fields[name] if f._value == str(value)]
    box.checked = True


def test_therapist_adds_an_exercise_with_two_steps_and_edits_one(
    app, therapist, patterns
):
    safer = make_exercise(name="Wall push-up")
    sign_in_through_pages(app, therapist)  # password, then the second step
    page = app.get(ADD_URL)
    form = page.forms["exercise_form"]
    assert step_rows(form) == ["steps-0"]  # one empty step to start with
    form["name"] = "Step-ups"
    form["slug"] = "step-ups"  # the admin's JavaScript fills this in from the name
    form["status"] = Status.PUBLISHED
    form["summary"] = "Step up onto a low step and down again."
    form["category"] = "strength"
    form["position"] = "standing"
    form["weight_bearing"] = True
    form["strengthening"] = True
    form["default_sets"] = "2"
    form["default_reps"] = "8"
    form["load_threshold_kg"] = "7.5"
    tick(form, "patterns", patterns["HIGH_IMPACT"].pk)
    # The alternatives box is filled by the admin's search-as-you-type widget.
    form["alternatives"].force_value([str(safer.pk)])
    form["steps-0-order"] = "1"
    form["steps-0-text"] = "Hold the rail and step up with your stronger leg."
    page = form.submit("_continue").follow()

    assert "was added successfully" in page
    exercise = Exercise.objects.get(slug="step-ups")
    assert [(s.order, s.text) for s in exercise.steps.all()] == [
        (1, "Hold the rail and step up with your stronger leg.")
    ]
    assert exercise.load_threshold_kg == Decimal("7.5")
    assert list(exercise.patterns.values_list("code", flat=True)) == ["HIGH_IMPACT"]
    assert list(exercise.alternatives.all()) == [safer]

    # The change page shows the step and a new empty row: the second step goes there.
    form = page.forms["exercise_form"]
    assert step_rows(form) == ["steps-0", "steps-1"]
    assert form["steps-0-text"].value == (
        "Hold the rail and step up with your stronger leg."
    )
    form["steps-1-order"] = "2"
    form["steps-1-text"] = "Step down slowly, the same leg first."
    page = form.submit("_continue").follow()

    assert "was changed successfully" in page
    assert [s.text for s in exercise.steps.all()] == [
        "Hold the rail and step up with your stronger leg.",
        "Step down slowly, the same leg first.",
    ]

    # Now edit the first step only.
    form = page.forms["exercise_form"]
    assert step_rows(form) == ["steps-0", "steps-1", "steps-2"]
    form["steps-0-text"] = "Hold the rail and step up with your stronger leg first."
    page = form.submit("_save").follow()

    assert page.request.path == "/admin/catalogue/exercise/"
    assert "was changed successfully" in page
    assert [(s.order, s.text) for s in exercise.steps.all()] == [
        (1, "Hold the rail and step up with your stronger leg first."),
        (2, "Step down slowly, the same leg first."),
    ]
    assert ExerciseStep.objects.filter(exercise=exercise).count() == 2
    # The history says who did what.
    messages = [
        entry.get_change_message()
        for entry in LogEntry.objects.filter(user=therapist).order_by("pk")
    ]
    assert messages == [
        "Added. Added exercise step “Step 1 of Step-ups”.",
        "Added exercise step “Step 2 of Step-ups”.",
        "Changed Text for exercise step “Step 1 of Step-ups”.",
    ]
    # Patients see the new exercise with its steps in order.
    page = app.get("/catalogue/step-ups/")
    steps = [li.text for li in page.html.select("ol.steps li")]
    assert steps == [
        "Hold the rail and step up with your stronger leg first.",
        "Step down slowly, the same leg first.",
    ]


def test_therapist_removes_a_step_with_its_delete_box(app, therapist):
    exercise = make_exercise(steps=("Sit tall.", "Lean back.", "Breathe out."))
    sign_in_through_pages(app, therapist)  # password, then the second step
    form = app.get(change_url(exercise)).forms["exercise_form"]
    [row] = [r for r in step_rows(form) if form[f"{r}-text"].value == "Lean back."]
    form[f"{row}-DELETE"] = True
    form.submit("_save").follow()

    assert [s.text for s in exercise.steps.all()] == ["Sit tall.", "Breathe out."]


def test_a_step_without_text_is_refused_in_plain_words(app, therapist):
    exercise = make_exercise(steps=("Sit tall.",))
    sign_in_through_pages(app, therapist)  # password, then the second step
    form = app.get(change_url(exercise)).forms["exercise_form"]
    form["steps-1-order"] = "2"  # an order but no text in the empty row
    page = form.submit("_save")

    assert page.status_code == 200
    assert "Please correct the error below." in page
    assert "This field is required." in page
    assert exercise.steps.count() == 1


@pytest.fixture
def picture(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "PNG")
    return ("bridge.png", buffer.getvalue())


def test_untouched_change_form_submitted_as_rendered_changes_nothing(
    app, therapist, patterns, picture
):
    safer = make_exercise(name="Glute bridge")
    exercise = make_exercise(
        name="Sit-up",
        summary="Lie on your back and curl up.",
        patterns=["LOADED_FLEXION", "SPINAL_TWIST"],
        alternatives=[safer],
        steps=("Lie down.", "Curl up.", "Lower slowly."),
        default_minutes=5,
        dose_notes="Only if your therapist agrees.",
        cautions="Stop if your back hurts.",
        load_threshold_kg=Decimal("2.5"),
        strengthening=True,
        picture_description="A person curling up from lying.",
    )
    # Give it a picture through the form, as a therapist does.
    sign_in_through_pages(app, therapist)  # password, then the second step
    form = app.get(change_url(exercise)).forms["exercise_form"]
    form["picture"] = picture
    form.submit("_save").follow()
    exercise.refresh_from_db()
    assert exercise.picture.name.startswith("exercises/")

    def state():
        exercise.refresh_from_db()
        fields = model_to_dict(exercise, exclude=["id", "patterns", "alternatives"])
        fields["picture"] = exercise.picture.name
        return (
            fields,
            sorted(exercise.patterns.values_list("code", flat=True)),
            list(exercise.alternatives.values_list("pk", flat=True)),
            list(exercise.steps.values_list("pk", "order", "text")),
        )

    before = state()
    entries = LogEntry.objects.count()
    page = app.get(change_url(exercise))
    res = page.forms["exercise_form"].submit("_save")

    assert res.status_code == 302, res.html.select(".errornote, .errorlist")
    page = res.follow()
    assert "was changed successfully" in page
    assert state() == before
    # The history page says nothing was changed: every field rendered what it holds.
    assert LogEntry.objects.count() == entries + 1
    assert LogEntry.objects.latest("pk").get_change_message() == "No fields changed."


def test_untouched_add_form_is_refused_in_plain_words(app, therapist):
    sign_in_through_pages(app, therapist)  # password, then the second step
    res = app.get(ADD_URL).forms["exercise_form"].submit("_save")

    assert res.status_code == 200
    assert "Please correct the errors below." in res
    assert not Exercise.objects.exists()
