from django import forms

from catalogue.models import Category, Equipment, Position


class ExerciseFilterForm(forms.Form):
    """The catalogue's filters; every field is optional and bad values are simply ignored."""

    q = forms.CharField(label="Search", required=False, max_length=100)
    category = forms.ChoiceField(
        label="Type", required=False, choices=[("", "Any type"), *Category.choices]
    )
    position = forms.ChoiceField(
        required=False, choices=[("", "Any position"), *Position.choices]
    )
    equipment = forms.ChoiceField(
        required=False, choices=[("", "Any equipment"), *Equipment.choices]
    )
    weight_bearing = forms.ChoiceField(
        label="Weight-bearing",
        required=False,
        choices=[
            ("", "Either"),
            ("yes", "Weight-bearing only"),
            ("no", "Not weight-bearing"),
        ],
    )
    suitable = forms.BooleanField(
        label="Only exercises suitable for my profile", required=False
    )

    def __init__(self, *args, signed_in=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not signed_in:
            # No profile to be suitable for, and no box: a "suitable" in a typed or
            # shared link would filter the list without saying so.
            del self.fields["suitable"]
        for name, field in self.fields.items():
            css = (
                "form-check-input"
                if name == "suitable"
                else (
                    "form-select"
                    if isinstance(field, forms.ChoiceField)
                    else "form-control"
                )
            )
            field.widget.attrs["class"] = css

    def filter(self, queryset):
        """Apply the valid filters to `queryset` (call after is_valid())."""
        data = self.cleaned_data if self.is_valid() else {}
        queryset = queryset.search(data.get("q", ""))
        for name in ("category", "position", "equipment"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name]})
        if data.get("weight_bearing"):
            queryset = queryset.filter(weight_bearing=data["weight_bearing"] == "yes")
        return queryset

    def detail_filters(self):
        """The filters beyond the search and "suitable", which pages may fold away."""
        return [self[name] for name in ("category", "position", "equipment")]

    @property
    def wants_suitable(self):
        return self.is_valid() and self.cleaned_data.get("suitable")

    @property
    def active(self):
        return self.is_valid() and any(self.cleaned_data.values())
