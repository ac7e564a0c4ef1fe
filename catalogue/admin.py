from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.postgres.aggregates import ArrayAgg
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Exists, F, Lookup, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal

from catalogue.models import (
    Equipment,
    Exercise,
    ExerciseStep,
    MovementPattern,
    Status,
)
from catalogue.pictures import delete_after_commit

STATUS_LABELS = dict(Status.choices)
EQUIPMENT_LABELS = dict(Equipment.choices)


# The page counts its results and then shows one page of them: two queries, each of
# which would search every step again. A rare word's exercises are found once, as a list.
STEP_MATCHES_AS_LIST = 500


class InIdArray(Lookup):
    """`column IN ids` on PostgreSQL, the ids given as one array in text ("{1,3,4}").

    One parameter however many ids, where `IN (…)` would send and plan thousands. Up to
    STEP_MATCHES_AS_LIST ids, `= ANY(array)`: the planner can look them up in the primary
    key's index beside the other columns' trigram indexes. Beyond it, weighing every id
    costs the planner milliseconds, and a hashed subquery serves as well.
    """

    lookup_name = "in_id_array"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if self.rhs.count(",") < STEP_MATCHES_AS_LIST:
            sql = f"{lhs} = ANY(%s::bigint[])"
        else:
            sql = f"{lhs} IN (SELECT unnest(%s::bigint[]))"
        return sql, (*lhs_params, self.rhs)


def _steps_contain(word):
    """The condition "a step of the exercise contains `word`".

    On PostgreSQL: the ids of its exercises, read once as one array, for the count and the
    page alike. On SQLite, a rare word: the ids, read once as a list; a common one (more
    step matches than STEP_MATCHES_AS_LIST, so reading them stops early): an EXISTS per
    exercise, tried only where the other columns do not match.
    """
    matches = ExerciseStep.objects.filter(text__icontains=word).order_by()
    if connection.vendor == "postgresql":
        # As text ("{1,3,4}"): turning thousands of ids into Python numbers and back
        # would cost more than the search.
        found = matches.aggregate(
            ids=Cast(ArrayAgg("exercise_id", distinct=True), TextField())
        )["ids"]
        return Q(InIdArray(F("pk"), found or "{}"))
    found = list(
        matches.values_list("exercise_id", flat=True)[: STEP_MATCHES_AS_LIST + 1]
    )
    if len(found) <= STEP_MATCHES_AS_LIST:
        return Q(pk__in=set(found))
    return Q(
        Exists(
            ExerciseStep.objects.filter(
                exercise_id=OuterRef("pk"), text__icontains=word
            )
        )
    )


class StepFormSet(forms.BaseInlineFormSet):
    def clean(self):
        """Two steps with the same number would print in no certain order: refuse it."""
        super().clean()
        seen = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or data.get("order") is None:
                continue
            order = data["order"]
            if order in seen:
                raise forms.ValidationError(
                    f"Two steps have the number {order}. Give each step its own number "
                    "(1, 2, 3 …) so they print in the right order."
                )
            seen[order] = form


class ExerciseStepInline(admin.StackedInline):
    model = ExerciseStep
    formset = StepFormSet
    extra = 1
    fields = ["order", "text", "move"]
    readonly_fields = ["move"]

    @admin.display(description="Place")
    def move(self, step):
        """Up and down buttons; they send the page to the move view (no JavaScript)."""
        if step.pk is None:
            return "New steps go last; give a number to place one."
        buttons = [
            format_html(
                '<button type="submit" class="button" formmethod="post" '
                'formaction="{}" formnovalidate>{}</button>',
                reverse("admin:catalogue_exercisestep_move", args=[step.pk, direction]),
                label,
            )
            for direction, label in (("up", "↑ Move up"), ("down", "↓ Move down"))
        ]
        return format_html(
            "{} {}<br><small>Save your other changes first: moving a step reloads "
            "the page.</small>",
            *buttons,
        )

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
        "status_label",
        "category_label",
        "position_label",
        "equipment_label",
        "trains",
        "updated",
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
    # Counts beside each filter on request ("Show counts"): each count repeats the search
    # over the whole catalogue, which at thousands of exercises is most of the page's time.
    show_facets = admin.ShowFacets.ALLOW
    # "12 results (Show all)" instead of also counting the whole catalogue on every search.
    show_full_result_count = False
    save_on_top = True
    list_per_page = 25  # at 5,000 exercises, rendering the rows is most of the page
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

    # The cells are written plainly here: Django's own build a form widget for each row's
    # checkbox and format each date through the translation machinery, which at 25 rows was
    # a fifth of a search's time. The look and the markup are the same.
    empty_value_display = "-"  # the site's, without looking up its translation per cell

    def action_checkbox(self, exercise):
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" '
            'aria-label="Select {}">',
            helpers.ACTION_CHECKBOX_NAME,
            exercise.pk,
            exercise,
        )

    @admin.display(description="updated", ordering="updated_at")
    def updated(self, exercise):
        when = timezone.localtime(exercise.updated_at)
        # One line, as Django keeps its own dates (the admin's "nowrap" class).
        return format_html(
            '<span class="nowrap">{} {}</span>', when.day, f"{when:%b %Y, %H:%M}"
        )

    # The choice columns, in words from a dict: Django's own display of a choice field
    # rebuilds the field's choices for every cell, a hundred times a page.
    @admin.display(description="status", ordering="status")
    def status_label(self, exercise):
        return STATUS_LABELS.get(exercise.status, exercise.status)

    @admin.display(description="type", ordering="category")
    def category_label(self, exercise):
        return exercise.category_label

    @admin.display(description="position", ordering="position")
    def position_label(self, exercise):
        return exercise.position_label

    @admin.display(description="equipment", ordering="equipment")
    def equipment_label(self, exercise):
        return EQUIPMENT_LABELS.get(exercise.equipment, exercise.equipment)

    @admin.display(description="Trains")
    def trains(self, exercise):
        """The three yes/no columns as one, in words: a third of the cells to render."""
        return (
            " · ".join(
                word
                for word, yes in (
                    ("Weight-bearing", exercise.weight_bearing),
                    ("Strength", exercise.strengthening),
                    ("Balance", exercise.trains_balance),
                )
                if yes
            )
            or "–"
        )

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
        """Every word must appear in the name, slug, summary or one of the steps.

        Django's own search joins the steps and then needs SELECT DISTINCT over whole rows,
        which at thousands of exercises costs far more than the search itself (and is repeated
        by every count on the page). Here each word's steps are a condition of their own
        (_steps_contain): on PostgreSQL the ids of its exercises, read once as an array; on
        SQLite the same for a rare word, or an EXISTS for a common one. On PostgreSQL each
        column's search can use its trigram index (migration 0004), and a page of a
        search that matches most exercises is read in name order from the (name, id)
        index (migration 0011), stopping after its 25.
        """
        if "\x00" in search_term:
            # No text holds one (the forms refuse it, PostgreSQL cannot store it), and
            # PostgreSQL refuses to search for one: the alternatives box sends it here as typed.
            return queryset.none(), False
        for word in smart_split(search_term):
            if word[0] in "\"'" and word[-1] == word[0]:
                word = unescape_string_literal(word)
            columns = (
                Q(name__icontains=word)
                | Q(slug__icontains=word)
                | Q(summary__icontains=word)
            )
            steps = _steps_contain(word)
            # SQLite tries an EXISTS row by row, so it comes last; PostgreSQL's array is
            # a hash lookup, so testing it first spares most rows the three text searches.
            if connection.vendor == "postgresql":
                queryset = queryset.filter(steps | columns)
            else:
                queryset = queryset.filter(columns | steps)
        if request.GET.get("field_name") == "alternatives":
            queryset = queryset.exclude(
                status=Status.RETIRED
            )  # never offer a retired alternative
        return queryset, False

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
            f"{changed} exercise{'' if changed == 1 else 's'} set to "
            f"{status.label.lower()}.",
            messages.SUCCESS,
        )

    def get_urls(self):
        return [
            path(
                "steps/<int:step_pk>/move/<str:direction>/",
                self.admin_site.admin_view(self.move_step),
                name="catalogue_exercisestep_move",
            ),
            *super().get_urls(),
        ]

    def move_step(self, request, step_pk, direction):
        """Swap a step with its neighbour (POST from the step's buttons), then go back."""
        step = get_object_or_404(
            ExerciseStep.objects.select_related("exercise"), pk=step_pk
        )
        if request.method != "POST" or direction not in ("up", "down"):
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request, step.exercise):
            raise PermissionDenied
        if step.exercise.move_step(step, -1 if direction == "up" else 1):
            self.log_change(
                request, step.exercise, f"Moved step “{step.text[:40]}” {direction}."
            )
            self.message_user(request, f"Step moved {direction}.", messages.SUCCESS)
        return redirect("admin:catalogue_exercise_change", step.exercise_id)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one draft at a time, from its own page
        return actions

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.can_be_deleted)

    def delete_view(self, request, object_id, extra_context=None):
        exercise = self.get_object(request, unquote(object_id))
        if (
            exercise is not None
            and not exercise.can_be_deleted
            and self.has_view_permission(request, exercise)
        ):
            context = {
                **self.admin_site.each_context(request),
                "exercise": exercise,
                "opts": self.opts,
                "title": f"{exercise.name} cannot be deleted",
            }
            return TemplateResponse(
                request,
                "admin/catalogue/exercise/retire_instead.html",
                context,
                status=403,
            )
        return super().delete_view(request, object_id, extra_context)

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
    list_display = [
        "movement",
        "code_word",
        "low_bone_mass",
        "osteoporosis",
        "high_risk",
    ]
    list_editable = ["low_bone_mass", "osteoporosis", "high_risk"]
    search_fields = ["code", "message"]
    fields = ["code", "message", "low_bone_mass", "osteoporosis", "high_risk"]

    def get_changelist_form(self, request, **kwargs):
        return SeverityRowForm

    @admin.display(description="movement", ordering="code")
    def movement(self, pattern):
        return pattern.name

    @admin.display(description="code in the safety rules")
    def code_word(self, pattern):
        return pattern.code

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []
