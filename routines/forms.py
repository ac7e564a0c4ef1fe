import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Fieldset, Layout, Row, Submit
from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils.functional import cached_property

from bonefit.prepared import PreparedQuery
from catalogue.models import Dosing, Exercise, Status
from routines import checking, safety
from routines.models import (
    CareLink,
    FractureCount,
    HealthProfile,
    Review,
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

    def validate_password_for_user(self, user, **kwargs):
        # What is wrong with the password shows under "Password"; "Password confirmation"
        # only says when the two differ.
        super().validate_password_for_user(user, password_field_name="password1")  # noqa: S106 - a field name


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

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("version", self.instance.version)
            self.fields["version"].required = True
            self.fields["version"].error_messages["required"] = (
                "This page is out of date. Please open your profile again."
            )
        # A ModelForm adds an empty "---------" choice to a field with a default; the
        # question always has an answer.
        self.fields["fragility_fractures"].choices = FractureCount.choices
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "version",
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
    """Create (with a submission token) or rename (with the version it was shown)."""

    submission_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Routine
        fields = ["name"]
        labels = {"name": "Name of the routine"}
        help_texts = {"name": "For example: My week, or Winter plan."}
        error_messages = {"name": {"required": "Give your routine a name."}}

    def __init__(self, *args, submit_label="Save", **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("version", self.instance.version)
            self.fields["version"].required = True
            self.fields["version"].error_messages["required"] = (
                "This page is out of date. Please open it again from your routine."
            )
            del self.fields["submission_token"]
        else:
            del self.fields["version"]
            if not self.is_bound:
                self.initial.setdefault("submission_token", uuid.uuid4())
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", submit_label, css_class="btn-lg"))

    def save(self, commit=True):
        raise TypeError("Use Routine.create_for() or Routine.rename().")

    def clean_name(self):
        name = _plain_text(self.cleaned_data["name"].strip())
        if not name:
            raise forms.ValidationError("Give your routine a name.", code="required")
        return name


DOSE_FIELDS = ("sets", "reps", "minutes", "load_kg", "notes")
DOSE_FIELDS_FOR = {
    Dosing.REPS: ("sets", "reps", "load_kg"),
    Dosing.TIME: ("minutes",),
    Dosing.EITHER: ("sets", "reps", "minutes", "load_kg"),
}


# The exercise field's queryset (RoutineItemForm.__init__), by slug: every item form sent
# looks it up, so it is compiled once (bonefit.prepared). Slugs are unique.
_CHOOSABLE_EXERCISE = PreparedQuery(
    lambda slug, kept_id: Exercise.objects.filter(
        Q(status=Status.PUBLISHED) | Q(pk=kept_id), slug=slug
    )
)


class ExerciseBySlugField(forms.ModelChoiceField):
    """The exercise, sent as its slug. The form looks it up once, before validating (its
    dosing decides which dose fields there are), and this field reuses what was found."""

    found = None

    def to_python(self, value):
        if self.found is not None and value == self.found.slug:
            return self.found
        return super().to_python(value)


class RoutineItemForm(forms.ModelForm):
    """Add or edit one item; a danger finding needs the acknowledgement box ticked.

    Who ticks it: `confirm_as="patient"` (a patient without a linked therapist confirms they
    discussed it), `"therapist"` (a linked therapist approves it for the patient), or None
    (a patient with a linked therapist, whose danger items wait for the therapist, and a
    therapist's template, which is approved for each patient it is sent to).

    The form validates; the writes are RoutineItem.change() and Routine.add_item(), which
    take write_arguments().
    """

    exercise = ExerciseBySlugField(
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
            "required": "Choose a day.",
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

    def __init__(
        self,
        *args,
        profile,
        with_therapist=False,
        confirm_as="patient",
        for_therapist=False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if for_therapist:  # the therapist writes them; the patient reads them
            self.fields["notes"].label = "Notes for the patient (optional)"
        self.profile = profile
        self.with_therapist = with_therapist
        self.confirm_as = confirm_as
        if confirm_as == "therapist":
            name = self.profile.user.get_full_name() or self.profile.user.get_username()
            self.fields[
                "acknowledge_danger"
            ].label = f"I approve this exercise for {name}, at this amount."
        self.findings = []
        self.danger_findings = []
        self.to_confirm = frozenset()
        # A retired exercise cannot be added, but an item that already uses one keeps it.
        kept = self.instance.exercise_id
        self.fields["exercise"].queryset = (
            Exercise.objects.filter(Q(status=Status.PUBLISHED) | Q(pk=kept))
            if kept
            else Exercise.objects.published()
        )
        # The page shows and sends what the fields expect: the exercise's slug, the day's code.
        if (
            self.instance.exercise_id
            and self.initial.get("exercise") == self.instance.exercise_id
        ):
            self.initial["exercise"] = self.instance.exercise.slug
        if self.instance.pk:
            self.initial.setdefault("version", self.instance.version)
            self.fields["version"].required = True
        elif not self.is_bound:
            self.initial.setdefault("submission_token", uuid.uuid4())
        if isinstance(self.initial.get("day"), int):
            self.initial["day"] = safety.DAYS[self.initial["day"]]
        for name, (low, high), what in (
            ("sets", safety.SETS_RANGE, "Sets"),
            ("reps", safety.REPS_RANGE, "Repetitions"),
            ("minutes", safety.MINUTES_RANGE, "Minutes"),
        ):
            self.fields[name].widget.attrs.update(
                min=low, max=high, inputmode="numeric"
            )
            in_range = f"{what} must be between {low} and {high}."
            self.fields[name].error_messages.update(
                min_value=in_range, max_value=in_range
            )
        self.fields["load_kg"].widget.attrs.update(
            min=0, max=200, step="0.5", inputmode="decimal"
        )
        self.fields["load_kg"].error_messages["max_decimal_places"] = (
            "Give the weight with at most one decimal place, for example 2.5."
        )
        for code in ("max_digits", "max_whole_digits", "min_value", "max_value"):
            self.fields["load_kg"].error_messages[code] = (
                "Weight must be between 0 and 200 kg."
            )
        self.fields["version"].error_messages["required"] = (
            "This page is out of date. Please open the exercise again from your week."
        )
        self.dosing = self._dosing()
        self._keep_dose_fields_that_apply()

    @cached_property
    def helper(self):
        """The layout, made only when the form is shown (not for a form sent and saved)."""
        helper = FormHelper()
        helper.form_tag = False
        dose = [
            name
            for name in ("sets", "reps", "minutes", "load_kg")
            if name in self.fields
        ]
        helper.layout = Layout(
            "exercise",
            "version",
            "submission_token",
            "day",
            *(
                Row(*(Column(name) for name in dose[n : n + 2]), css_class="g-3")
                for n in range(0, len(dose), 2)
            ),
            "notes",
        )
        return helper

    def _dosing(self):
        """How the chosen exercise is measured (Dosing.EITHER when it is not known)."""
        slug = (
            self.data.get("exercise") if self.is_bound else self.initial.get("exercise")
        )
        field = self.fields["exercise"]
        if self.instance.exercise_id and slug == self.instance.exercise.slug:
            field.found = self.instance.exercise
        elif slug and isinstance(slug, str):
            found = _CHOOSABLE_EXERCISE(slug, self.instance.exercise_id or 0)
            field.found = found[0] if found else None
        exercise = field.found
        return Dosing(exercise.dosing) if exercise else Dosing.EITHER

    def _keep_dose_fields_that_apply(self):
        """Ask only for what the exercise is measured in; a value a saved item already
        has stays on the form, so it can be seen and cleared. A new item's values are only
        the exercise's defaults: a box the form would not save is never shown."""
        applies = DOSE_FIELDS_FOR[self.dosing]
        exercise = self.fields["exercise"].found
        if exercise is not None and exercise.uses_weights:
            applies = {
                *applies,
                "load_kg",
            }  # a carry, timed, is still done with weights
        for name in ("sets", "reps", "minutes", "load_kg"):
            if name not in applies and (
                self.instance.pk is None or getattr(self.instance, name) is None
            ):
                del self.fields[name]
        needed = {Dosing.REPS: "reps", Dosing.TIME: "minutes"}.get(self.dosing)
        if needed:
            self.fields[needed].required = True
            self.fields[needed].error_messages["required"] = (
                "Give the number of times (repetitions)."
                if needed == "reps"
                else "Give the number of minutes."
            )

    @property
    def dose_hint(self):
        return {
            Dosing.REPS: "Give the number of times (repetitions), and how many sets.",
            Dosing.TIME: "Give the number of minutes.",
        }.get(
            self.dosing,
            "Give a number of repetitions, or a number of minutes (or both).",
        )

    def clean_day(self):
        return Weekday.from_code(self.cleaned_data["day"]).value

    def clean_notes(self):
        return _plain_text(self.cleaned_data["notes"])

    def clean(self):
        cleaned = super().clean()
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
        self.to_confirm = checking.dangers_to_confirm(
            self.instance,
            self.findings,
            exercise,
            with_therapist=self.with_therapist,
            dose={name: cleaned.get(name) for name in DOSE_FIELDS[:4]},
        )
        if self.needs_tick and not cleaned.get("acknowledge_danger"):
            if self.confirm_as == "therapist":
                message = (
                    f"{exercise.name} is marked Danger for this patient. Tick the box to "
                    "approve it, or choose a safer exercise."
                )
            else:
                message = (
                    f"{exercise.name} can be dangerous for your bones. Read its warning, "
                    "beside the box. To add it anyway, tick the box to confirm you have "
                    "discussed it with your therapist."
                )
            self.add_error("acknowledge_danger", message)
        return cleaned

    @property
    def needs_tick(self):
        """The danger box is shown and must be ticked before saving."""
        return bool(self.to_confirm) and self.confirm_as is not None

    @property
    def will_wait(self):
        """A patient's danger item that will wait for their therapist's decision."""
        return bool(self.to_confirm) and self.confirm_as is None and self.with_therapist

    def show_findings_for(self, exercise):
        """Before anything is sent: what the item would raise with `exercise` and its dose."""
        if exercise is None:
            return
        self.findings = checking.candidate_findings(
            self.profile, self.instance, exercise
        )
        self.to_confirm = checking.dangers_to_confirm(
            self.instance, self.findings, exercise, with_therapist=self.with_therapist
        )

    def write_arguments(self):
        """What RoutineItem.change() and Routine.add_item() take."""
        data = self.cleaned_data
        return {
            "exercise": data["exercise"],
            "day": data["day"],
            "confirmed": {f.code for f in self.danger_findings}
            if data.get("acknowledge_danger") and self.confirm_as is not None
            else (),
            **{name: data.get(name) for name in DOSE_FIELDS},
        }

    def save(self, commit=True):
        raise TypeError("Save items with RoutineItem.change() or Routine.add_item().")


class SwapForm(forms.Form):
    """The week page's "Swap for …" button: which version of the item it was shown."""

    version = forms.IntegerField()


class ConfirmDangerForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    acknowledge_danger = forms.BooleanField(
        label="I have discussed this exercise with my therapist and want to keep it.",
        error_messages={
            "required": "Tick the box to confirm you have discussed it with your therapist, "
            "or go back and change the exercise."
        },
    )

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, initial={"version": item.version}, **kwargs)


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


class ShareCodeForm(forms.Form):
    """Step one of sharing: the code the therapist gave the patient."""

    code = forms.CharField(
        label="Your therapist's share code",
        max_length=20,
        help_text="8 letters and numbers, for example ABCD-2345. Capitals or not, "
        "with or without the dash.",
        error_messages={"required": "Type the code your therapist gave you."},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters"}
        ),
    )


class ConsentForm(forms.Form):
    """Step two of sharing: the patient agrees to what the therapist will see and do."""

    code = forms.CharField(widget=forms.HiddenInput, max_length=20)
    agree = forms.BooleanField(
        label="I agree to share my plan with this therapist.",
        error_messages={
            "required": "Tick the box to agree, or go back if you do not want to share."
        },
    )


class ReviewForm(forms.Form):
    """A therapist's decision on a danger item, with a note the patient reads."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label="Your decision",
        choices=Review.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose Approve or Advise against."},
    )
    note = forms.CharField(
        label="Note for the patient",
        max_length=500,
        required=False,
        help_text="For example: with 2 kg at most, and only slowly. Up to 500 characters.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, initial={"version": item.version}, **kwargs)
        self.fields["decision"].choices = [
            (Review.APPROVED, "Approve: the patient may do it"),
            (Review.ADVISED_AGAINST, "Advise against: the patient should not do it"),
        ]

    def clean_note(self):
        return _plain_text(self.cleaned_data["note"].strip())

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == Review.ADVISED_AGAINST and not cleaned.get(
            "note"
        ):
            self.add_error(
                "note",
                forms.ValidationError(
                    "Tell the patient why, or what to do instead.", code="required"
                ),
            )
        return cleaned


class RestrictionsForm(forms.ModelForm):
    class Meta:
        model = CareLink
        fields = ["restrictions"]
        widgets = {"restrictions": forms.Textarea(attrs={"rows": 5})}

    def clean_restrictions(self):
        return _plain_text(self.cleaned_data["restrictions"].strip())

    def save(self, commit=True):
        raise TypeError("Use CareLink.write_restrictions().")


class SendTemplateForm(forms.Form):
    """Send a copy of a template to one of the therapist's patients."""

    patient = forms.TypedChoiceField(
        label="Send a copy to",
        coerce=int,
        error_messages={"required": "Choose a patient."},
    )
    name = forms.CharField(
        label="Name of the patient's routine",
        max_length=100,
        error_messages={"required": "Give the routine a name."},
    )

    def __init__(self, *args, links, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].choices = [
            (link.patient_id, link.patient_name) for link in links
        ]
        self.fields["patient"].error_messages["invalid_choice"] = (
            "Choose one of your patients."
        )

    def clean_name(self):
        name = _plain_text(self.cleaned_data["name"].strip())
        if not name:
            raise forms.ValidationError("Give the routine a name.", code="required")
        return name
