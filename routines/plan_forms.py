"""Forms of the today, progress and plan pages."""

import zoneinfo

from django import forms

from routines.models import Feeling, PlanSettings, Routine, RoutineItem

# The zones our patients are likely in, by the names people use; first in the list.
COMMON_TIME_ZONES = [
    ("Europe/London", "UK and Ireland (London, Dublin)"),
    ("Europe/Lisbon", "Portugal (Lisbon)"),
    ("Europe/Paris", "Central Europe (Paris, Berlin, Madrid, Rome)"),
    ("Europe/Athens", "Eastern Europe (Athens, Helsinki)"),
    ("America/St_Johns", "Newfoundland (St. John's)"),
    ("America/Halifax", "Atlantic Canada (Halifax)"),
    ("America/New_York", "Eastern North America (New York, Toronto)"),
    ("America/Chicago", "Central North America (Chicago, Winnipeg)"),
    ("America/Denver", "Mountain North America (Denver, Calgary)"),
    ("America/Phoenix", "Arizona (Phoenix)"),
    ("America/Los_Angeles", "Pacific North America (Los Angeles, Vancouver)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
    ("Australia/Perth", "Western Australia (Perth)"),
    ("Australia/Darwin", "Northern Territory (Darwin)"),
    ("Australia/Adelaide", "South Australia (Adelaide)"),
    ("Australia/Brisbane", "Queensland (Brisbane)"),
    ("Australia/Sydney", "New South Wales and Victoria (Sydney, Melbourne, Canberra)"),
    ("Australia/Hobart", "Tasmania (Hobart)"),
    ("Pacific/Auckland", "New Zealand (Auckland, Wellington)"),
]
# Names kept only for old systems ("EST5EDT", "Etc/GMT+5", "US/Eastern"): left out of
# the long list, but a zone already saved is always offered, so it saves untouched.
_LEGACY_PREFIXES = (
    "Etc/",
    "SystemV/",
    "US/",
    "Canada/",
    "Mexico/",
    "Brazil/",
    "Chile/",
)


def _zone_words(name: str) -> str:
    """ "America/Argentina/Buenos_Aires" as "America – Argentina – Buenos Aires"."""
    return name.replace("_", " ").replace("/", " – ")


def time_zone_choices(current: str = "") -> list:
    """The common zones first, then every other zone in the world, by name.

    `current`, the zone saved now, is always among them, even a legacy name.
    """
    common = {value for value, _ in COMMON_TIME_ZONES}
    others = {
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(_LEGACY_PREFIXES)
    }
    others.add("UTC")
    if current and current not in common:
        others.add(current)
    return [
        ("Common time zones", COMMON_TIME_ZONES),
        (
            "All time zones",
            sorted(((n, _zone_words(n)) for n in others - common), key=lambda c: c[1]),
        ),
    ]


class PlanSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label="My time zone",
        choices=(),
        error_messages={
            "required": "Choose your time zone.",
            "invalid_choice": "Choose your time zone from the list.",
        },
    )

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
        self.fields["time_zone"].choices = time_zone_choices(self.instance.time_zone)
        self.fields["time_zone"].help_text = (
            "Your days start and end at midnight in this time zone. The common ones "
            "come first; every other place is under “All time zones”, by continent."
        )
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
