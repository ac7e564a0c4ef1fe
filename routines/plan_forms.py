"""Forms of the today, progress and plan pages."""

from django import forms

from routines.models import (
    Feeling,
    PlanSettings,
    Routine,
    RoutineItem,
    time_zone_choices,
)


class PlanSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label="My time zone", choices=())

    class Meta:
        model = PlanSettings
        fields = ["routine", "time_zone", "session_time", "reminder"]
        widgets = {
            "session_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["routine"].queryset = Routine.objects.owned_by(user)
        self.fields["routine"].empty_label = "None for now"
        self.fields["time_zone"].choices = time_zone_choices()
        self.fields[
            "time_zone"
        ].help_text = "Your days start and end at midnight in this time zone."
        self.fields["session_time"].error_messages["invalid"] = (
            "Give a time such as 09:00."
        )


class FollowForm(forms.Form):
    routine = forms.ModelChoiceField(
        queryset=Routine.objects.none(),
        empty_label=None,  # one of the patient's routines is always chosen
        error_messages={
            "required": "Choose the routine you want to follow.",
            "invalid_choice": "Choose one of your own routines.",
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["routine"].queryset = Routine.objects.owned_by(user)


class LogForm(forms.Form):
    """Done or undo: which item of the followed routine."""

    item = forms.ModelChoiceField(queryset=RoutineItem.objects.none())

    def __init__(self, *args, routine_id, weekday, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the items planned for this day of the followed routine can be logged on it.
        self.fields["item"].queryset = RoutineItem.objects.filter(
            routine_id=routine_id, day=weekday
        ).select_related("routine", "exercise")


class AnswersForm(LogForm):
    feeling = forms.ChoiceField(
        label="How did it feel?",
        choices=Feeling.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    hurt = forms.TypedChoiceField(
        label="Did it hurt?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        widget=forms.RadioSelect,
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("feeling") and cleaned.get("hurt") is None:
            raise forms.ValidationError(
                "Choose how it felt, or whether it hurt, then press Save."
            )
        return cleaned


class ProgressionForm(forms.Form):
    kind = forms.ChoiceField(choices=[("dose", "dose"), ("harder", "harder")])
    version = forms.IntegerField(min_value=1)
