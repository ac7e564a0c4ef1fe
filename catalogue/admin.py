from django import forms
from django.contrib import admin, messages

from catalogue.models import Exercise, ExerciseStep, MovementPattern, Status
from catalogue.pictures import delete_after_commit


class ExerciseStepInline(admin.StackedInline):
    model = ExerciseStep
    extra = 1
    fields = ["order", "text"]
    ordering = ["order", "pk"]
    formfield_overrides = {
        # TextField's default textarea is far too tall for one step in a table row.
        ExerciseStep._meta.get_field("text").__class__: {
            "widget": forms.Textarea(attrs={"rows": 2, "cols": 80})
        }
    }


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "status",
        "category",
        "position",
        "equipment",
        "weight_bearing",
        "strengthening",
        "trains_balance",
        "updated_at",
    ]
    list_filter = [
        "status",
        "category",
        "position",
        "equipment",
        "impact",
        "weight_bearing",
        "strengthening",
        "trains_balance",
        "patterns",
    ]
    search_fields = ["name", "slug", "summary", "steps__text"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["alternatives"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ExerciseStepInline]
    actions = ["publish", "retire"]
    show_facets = admin.ShowFacets.ALWAYS
    save_on_top = True
    list_per_page = 50
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "status",
                    "summary",
                    "picture",
                    "picture_description",
                ]
            },
        ),
        (
            "What kind of exercise",
            {
                "fields": [
                    "category",
                    "position",
                    "equipment",
                    "impact",
                    "weight_bearing",
                    "strengthening",
                    "trains_balance",
                ]
            },
        ),
        (
            "Usual dose",
            {
                "fields": [
                    "dosing",
                    "default_sets",
                    "default_reps",
                    "default_minutes",
                    "dose_notes",
                ]
            },
        ),
        (
            "Safety",
            {"fields": ["patterns", "load_threshold_kg", "cautions", "alternatives"]},
        ),
        (
            "Progression",
            {
                "fields": ["easier_version", "harder_version"],
                "description": "When a patient rates a strength exercise easy three times "
                "in a row, BoneFit offers the harder version (if it is safe for them).",
            },
        ),
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def save_model(self, request, obj, form, change):
        replaced = ""
        if change and "picture" in form.changed_data:
            replaced = form.initial.get("picture") or ""
            replaced = getattr(replaced, "name", replaced)
        super().save_model(request, obj, form, change)
        if replaced and replaced != obj.picture.name:
            delete_after_commit(obj.picture.storage, replaced)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "patterns":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        if request.GET.get("field_name") == "alternatives":
            queryset = queryset.exclude(
                status=Status.RETIRED
            )  # never offer a retired alternative
        return queryset, may_have_duplicates

    @admin.action(description="Publish the selected exercises", permissions=["change"])
    def publish(self, request, queryset):
        self._set_status(request, queryset, Status.PUBLISHED)

    @admin.action(description="Retire the selected exercises", permissions=["change"])
    def retire(self, request, queryset):
        self._set_status(request, queryset, Status.RETIRED)

    def _set_status(self, request, queryset, status):
        # save() + log_change, not queryset.update(): the history must show who did it.
        changed = 0
        for exercise in queryset.exclude(status=status):
            exercise.status = status
            exercise.save(update_fields=["status", "updated_at"])
            self.log_change(request, exercise, f"Status set to {status.label}.")
            changed += 1
        self.message_user(
            request,
            f"{changed} exercise(s) set to {status.label.lower()}.",
            messages.SUCCESS,
        )

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        if protected:
            # Never list patients' routine items here: say how many, and what to do instead.
            protected = [
                f"{len(protected)} item(s) in patients' routines use this exercise. "
                "Retire it instead: routines keep showing it, marked as retired."
            ]
        return deleted, model_count, perms_needed, protected


class SeverityRowForm(forms.ModelForm):
    """A row of the editable severity table; each select names its pattern and risk level."""

    class Meta:
        model = MovementPattern
        fields = ["low_bone_mass", "osteoporosis", "high_risk"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for _name, field in self.fields.items():
            field.widget.attrs["aria-label"] = f"{field.label} – {self.instance}"


@admin.register(MovementPattern)
class MovementPatternAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "low_bone_mass", "osteoporosis", "high_risk"]
    list_editable = ["low_bone_mass", "osteoporosis", "high_risk"]
    search_fields = ["code", "message"]
    fields = ["code", "message", "low_bone_mass", "osteoporosis", "high_risk"]

    def get_changelist_form(self, request, **kwargs):
        return SeverityRowForm

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []
