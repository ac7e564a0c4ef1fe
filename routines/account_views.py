"""The patient's own account: signing up, the health profile, their data, leaving."""

import json

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from routines import checking
from routines.forms import DeleteAccountForm, HealthProfileForm, SignUpForm
from routines.models import AccessLog, CareLink, HealthProfile, Routine, display_name


@login_not_required
@require_GET
def home(request):
    return render(request, "home.html")


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("routines:list")
    form = SignUpForm(request.POST or None)
    if form.is_valid():
        with transaction.atomic():
            user = form.save()
            HealthProfile.objects.create(user=user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            "Welcome to BoneFit! Please tell us a little about your bones, so we can warn "
            "you about movements that are risky for you.",
        )
        return redirect("routines:profile")
    return render(request, "registration/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def profile_edit(request):
    profile = HealthProfile.for_user(request.user)
    form = HealthProfileForm(request.POST or None, instance=profile)
    if form.is_valid():
        with transaction.atomic():
            form.save()
        messages.success(
            request, "Your profile is saved. " + _recheck_summary(request.user, profile)
        )
        return redirect("routines:list")
    return render(
        request, "routines/profile_form.html", {"form": form, "profile": profile}
    )


def _recheck_summary(user, profile):
    checks = checking.routine_checks(
        user, profile, with_therapist=CareLink.objects.has_therapist(user.pk)
    )
    if not checks:
        return "Next, make your first routine."
    to_confirm = sum(len(check.items_to_confirm()) for check in checks.values())
    routines = f"{len(checks)} routine{'s' if len(checks) != 1 else ''}"
    if to_confirm:
        return (
            f"We checked your {routines} again: {to_confirm} exercise"
            f"{'s are' if to_confirm != 1 else ' is'} now marked Danger for you. "
            "Please look at them."
        )
    return f"We checked your {routines} again with your new answers."


ACCESS_LOG_PER_PAGE = 20


@require_GET
def account_page(request):
    log = Paginator(AccessLog.objects.of_patient(request.user), ACCESS_LOG_PER_PAGE)
    return render(
        request,
        "accounts/account.html",
        {
            "links": CareLink.objects.of_patient(request.user).select_related(
                "therapist"
            ),
            "log": log.get_page(request.GET.get("page")),
        },
    )


@require_GET
def account_export(request):
    """Everything BoneFit holds about the signed-in patient, as one JSON file."""
    user = request.user
    profile = HealthProfile.objects.filter(user=user).first()
    routines = (
        Routine.objects.owned_by(user)
        .select_related("created_by")
        .prefetch_related(
            "items__exercise",
            "items__added_by",
            "items__changed_by",
            "items__reviewed_by",
        )
    )
    data = {
        "exported_at": timezone.now(),
        "account": {
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "profile": None
        if profile is None
        else {
            "diagnosis": profile.diagnosis,
            "fractures": sorted(profile.fractures),
            "falls_last_year": profile.falls_last_year,
            "neuropathy": profile.neuropathy,
            "restrictions": profile.restrictions,
            "risk_level": profile.risk_level.value,
            "updated_at": profile.updated_at,
        },
        "therapists": [
            {
                "therapist": link.therapist_name,
                "started_at": link.started_at,
                "consent": link.consent_text,
                "restrictions": link.restrictions,
                "restrictions_updated_at": link.restrictions_updated_at,
                "ended_at": link.ended_at,
                "ended_by": link.ended_by,
            }
            for link in CareLink.objects.filter(patient=user).select_related(
                "therapist"
            )
        ],
        "access_log": [
            {
                "at": entry.at,
                "therapist": entry.therapist_name,
                "action": entry.action,
                "what": entry.sentence,
            }
            for entry in AccessLog.objects.filter(patient=user)
        ],
        "routines": [
            {
                "name": routine.name,
                "made_by": display_name(routine.created_by)
                if routine.created_by_id
                else None,
                "created_at": routine.created_at,
                "updated_at": routine.updated_at,
                "items": [
                    {
                        "day": item.day_code,
                        "position": item.position,
                        "exercise": item.exercise.slug,
                        "exercise_name": item.exercise.name,
                        "sets": item.sets,
                        "reps": item.reps,
                        "minutes": item.minutes,
                        "load_kg": item.load_kg,
                        "notes": item.notes,
                        "danger_acknowledged_at": item.danger_acknowledged_at,
                        "acknowledged": sorted(item.acknowledged),
                        "therapist_decision": item.review_decision or None,
                        "therapist_decision_covers": sorted(item.reviewed),
                        "therapist_note": item.review_note,
                        "decided_by": display_name(item.reviewed_by)
                        if item.review_decision
                        else None,
                        "decided_at": item.reviewed_at,
                        "added_by": display_name(item.added_by)
                        if item.added_by_id
                        else None,
                        "changed_by": display_name(item.changed_by)
                        if item.changed_by_id
                        else None,
                        "created_at": item.created_at,
                        "updated_at": item.updated_at,
                    }
                    for item in routine.items.all()
                ],
            }
            for routine in routines
        ],
    }
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="bonefit-my-data.json"'
    return response


@require_http_methods(["GET", "POST"])
def account_delete(request):
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if form.is_valid():
        user = request.user
        with transaction.atomic():
            user.delete()  # cascades to the profile, routines, items, links and access log
        logout(request)
        messages.success(
            request, "Your account and everything in it have been deleted. Goodbye."
        )
        return redirect("home")
    return render(
        request,
        "accounts/account_delete.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
