import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Fieldset, Layout, Row, Submit
from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.db.models import Q

from catalogue.models import Exercise, Status
from routines import checking, safety
from routines.models import (
    FractureCount,
    HealthProfile,
    Routine,
    RoutineItem,
    Weekday,
)

DAY_CHOICES = [
    (code, label) for code, label in zip(safety.DAYS, Weekday.labels, strict=True)
]


def _plain_text(value):
    """Refuse text that cannot be stored or printed as typed (NUL and other control bytes)."""
    if value and any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        raise forms.ValidationError(
            "Please remove the unusual hidden characters from this text.",
            code="control_chars",
        )
    return value


class SignUpForm(UserCreationForm):
    first_name = forms.CharField(
        label="Your first name",
        max_length=150,
        required=False,
        help_text="Optional. Printed on your routines.",
    )
    email = forms.EmailField(
        label="Email address",
        required=False,
        help_text="Optional, but needed if you ever forget your password.",
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "first_name", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "username"
        ].help_text = "Letters and numbers, for example dorothy55."
        self.helper = FormHelper()
        self.helper.add_input(Submit("signup", "Create my account", css_class="btn-lg"))

    def clean_first_name(self):
        return _plain_text(self.cleaned_data["first_name"])


class HealthProfileForm(forms.ModelForm):
    class Meta:
        model = HealthProfile
        fields = [
            "diagnosis",
            "fragility_fractures",
            "fracture_spine",
            "fracture_hip",
            "fracture_wrist",
            "fracture_other",
            "falls_last_year",
            "neuropathy",
            "restrictions",
        ]
        widgets = {
            "diagnosis": forms.RadioSelect,
            "fragility_fractures": forms.RadioSelect,
            "restrictions": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "fragility_fractures": {
                "required": "Choose how many bones you have broken. Choose None if none.",
                "invalid_choice": "Choose None, One, Two or Three or more.",
            }
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A ModelForm adds an empty "---------" choice to a field with a default; the
        # question always has an answer.
        self.fields["fragility_fractures"].choices = FractureCount.choices
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "diagnosis",
            Fieldset(
                "Broken bones",
                "fragility_fractures",
                HTML(
                    '<p id="fracture-sites-hint">If you have broken any, tick every '
                    "place. Leave them all empty if you have not.</p>"
                ),
                "fracture_spine",
                "fracture_hip",
                "fracture_wrist",
                "fracture_other",
            ),
            Fieldset("Falls and feet", "falls_last_year", "neuropathy"),
            "restrictions",
            Submit("save", "Save my profile", css_class="btn-lg"),
        )

    def clean_restrictions(self):
        return _plain_text(self.cleaned_data["restrictions"])

    def clean(self):
        cleaned = super().clean()
        count = cleaned.get("fragility_fractures")
        if count is None:
            return cleaned
        places = sum(
            bool(cleaned.get(name))
            for name in (
                "fracture_spine",
                "fracture_hip",
                "fracture_wrist",
                "fracture_other",
            )
        )
        if count < FractureCount.THREE_OR_MORE and places > count:
            said = FractureCount(count).label.lower()
            self.add_error(
                "fragility_fractures",
                forms.ValidationError(
                    f"You ticked {places} place{'s' if places != 1 else ''}, so you have "
                    f"broken at least {places} bone{'s' if places != 1 else ''}, but you "
                    f"answered {said}. Please correct the number or the places.",
                    code="fewer_than_places",
                ),
            )
        return cleaned


class RoutineForm(forms.ModelForm):
    submission_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Routine
        fields = ["name"]
        labels = {"name": "Name of the routine"}
        help_texts = {"name": "For example: My week, or Winter plan."}
        error_messages = {"name": {"required": "Give your routine a name."}}

    def __init__(self, *args, submit_label="Save", **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_token", uuid.uuid4())
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", submit_label, css_class="btn-lg"))

    def clean_name(self):
        name = _plain_text(self.cleaned_data["name"].strip())
        if not name:
            raise forms.ValidationError("Give your routine a name.", code="required")
        return name


class ExercisePickerForm(forms.Form):
    """Search and filter on the add-exercise page (GET)."""

    q = forms.CharField(label="Search exercises", required=False, max_length=100)
    suitable = forms.BooleanField(
        label="Only exercises suitable for my profile", required=False
    )


class RoutineItemForm(forms.ModelForm):
    """Add or edit one item; a danger finding needs the acknowledgement box ticked."""

    exercise = forms.ModelChoiceField(
        queryset=Exercise.objects.none(),
        to_field_name="slug",
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": "This exercise cannot be added: it is not in the catalogue "
            "or has been retired.",
            "required": "Choose an exercise first.",
        },
    )
    day = forms.ChoiceField(
        choices=DAY_CHOICES,
        error_messages={
            "invalid_choice": "Choose a day from Monday to Sunday.",
        },
    )
    acknowledge_danger = forms.BooleanField(
        required=False,
        label="I have discussed this exercise with my therapist and want to add it anyway.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    submission_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = RoutineItem
        fields = ["exercise", "day", "sets", "reps", "minutes", "load_kg", "notes"]
        labels = {"notes": "Your notes (optional)"}
        help_texts = {
            "sets": "1 to 10",
            "reps": "1 to 100 each set",
            "minutes": "1 to 240",
            "load_kg": "Optional. 0 to 200, for example 2.5",
        }

    def __init__(self, *args, profile, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile = profile
        self.findings = []
        self.danger_findings = []
        # A retired exercise cannot be added, but an item that already uses one keeps it.
        self.fields["exercise"].queryset = Exercise.objects.filter(
            Q(status=Status.PUBLISHED) | Q(pk=self.instance.exercise_id)
        )
        if self.instance.pk:
            self.initial.setdefault("day", self.instance.day_code)
            self.initial.setdefault("version", self.instance.version)
        elif not self.is_bound:
            self.initial.setdefault("submission_token", uuid.uuid4())
        for name, (low, high) in {
            "sets": safety.SETS_RANGE,
            "reps": safety.REPS_RANGE,
            "minutes": safety.MINUTES_RANGE,
        }.items():
            self.fields[name].widget.attrs.update(
                min=low, max=high, inputmode="numeric"
            )
        self.fields["load_kg"].widget.attrs.update(
            min=0, max=200, step="0.5", inputmode="decimal"
        )
        self.fields["load_kg"].error_messages["max_decimal_places"] = (
            "Give the weight with at most one decimal place, for example 2.5."
        )
        self.fields["load_kg"].error_messages["max_digits"] = (
            "Weight must be between 0 and 200 kg."
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "exercise",
            "version",
            "submission_token",
            "day",
            Row(Column("sets"), Column("reps"), css_class="g-3"),
            Row(Column("minutes"), Column("load_kg"), css_class="g-3"),
            "notes",
        )

    def clean_day(self):
        return Weekday.from_code(self.cleaned_data["day"]).value

    def clean_notes(self):
        return _plain_text(self.cleaned_data["notes"])

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("version") != self.instance.version:
            raise forms.ValidationError(
                "This exercise was changed in another window or tab since you opened this "
                "page. Please check it again below and save once more.",
                code="stale",
            )
        exercise = cleaned.get("exercise")
        if exercise is None or self.errors:
            return cleaned
        candidate = RoutineItem(
            day=cleaned.get("day", 0),
            sets=cleaned.get("sets"),
            reps=cleaned.get("reps"),
            minutes=cleaned.get("minutes"),
            load_kg=cleaned.get("load_kg"),
        )
        self.findings = checking.candidate_findings(self.profile, candidate, exercise)
        self.danger_findings = [f for f in self.findings if f.severity == safety.DANGER]
        # An acknowledgement covers one exercise: changing to another asks again.
        same_exercise = self.instance.pk and exercise.pk == self.instance.exercise_id
        acknowledged = self.instance.acknowledged if same_exercise else frozenset()
        new_dangers = {f.code for f in self.danger_findings} - acknowledged
        if new_dangers and not cleaned.get("acknowledge_danger"):
            self.add_error(
                "acknowledge_danger",
                f"{exercise.name} can be dangerous for your bones. Read the warning above. "
                "To add it anyway, tick the box to confirm you have discussed it with your "
                "therapist.",
            )
        return cleaned


class TransferForm(forms.Form):
    """Move or copy an item to another day."""

    day = forms.ChoiceField(
        label="To which day?",
        choices=DAY_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a day.",
            "invalid_choice": "Choose a day from Monday to Sunday.",
        },
    )
    action = forms.ChoiceField(
        choices=[("move", "Move"), ("copy", "Copy")],
        error_messages={
            "required": "Choose Move or Copy.",
            "invalid_choice": "Choose Move or Copy.",
        },
    )

    def clean_day(self):
        return Weekday.from_code(self.cleaned_data["day"]).value


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                "That password is not right. Please try again.", code="wrong"
            )
        return password
