"""The person's own account: signing in and up, the health profile, their data, leaving."""

import json

import django_otp
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from catalogue.roles import THERAPISTS
from routines import checking, signin, two_factor
from routines.account_forms import CodeForm, ConfirmAppForm
from routines.forms import DeleteAccountForm, HealthProfileForm, SignUpForm
from routines.models import AccessLog as CareAccessLog
from routines.models import (
    CareLink,
    HealthProfile,
    PlanSettings,
    Routine,
    SessionLog,
    StaleEdit,
    display_name,
)


def too_many_tries(request, limit, template="registration/too_many_requests.html"):
    """429 in plain words: what happened, how long to wait, what else to do."""
    response = render(
        request, template, {"minutes": limit.minutes, "limit": limit}, status=429
    )
    response["Retry-After"] = str(limit.seconds)
    return response


def _safe_next(request, default="routines:list"):
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return candidate
    return resolve_url(default)


# --- signing in and out -------------------------------------------------------------------


class SignInView(auth_views.LoginView):
    """Django's log-in page, throttled by routines.signin (per address, account, browser)."""

    redirect_authenticated_user = True

    def _username(self):
        return self.request.POST.get("username", "")[:150]

    def post(self, request, *args, **kwargs):
        limit = signin.login_refusal(request, self._username())
        if limit is not None:
            return too_many_tries(request, limit, "registration/locked_out.html")
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        signin.login_failed(self.request, self._username())
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        signin.login_succeeded(self.request, response, form.get_user().get_username())
        return response

    def get_default_redirect_url(self):
        """Therapists start at their patient list; everyone else at their routines."""
        user = self.request.user
        if user.is_staff and user.groups.filter(name=THERAPISTS).exists():
            return resolve_url("clinic:patients")
        return super().get_default_redirect_url()


@login_not_required
def admin_login(request):
    """The admin signs in through the same throttled page (and then the second step).

    A signed-in patient gets here when the admin refuses their account: the sign-in page
    would send them straight back (and round again), so they are told. Signed-in staff
    (a bookmarked admin sign-in link) go on to where they were going."""
    target = _safe_next(request, "admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(target)
        raise PermissionDenied("The catalogue's admin is for therapists.")
    return redirect_to_login(target)


class SignOutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        # In the new, empty session: the next page says it worked.
        messages.success(request, "You are logged out.")
        # Not "cookies": that would also wipe the device cookie that keeps this browser
        # from being locked out by someone else's wrong passwords. The session and CSRF
        # cookies are already emptied by the log-out itself.
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response


@method_decorator(login_not_required, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    """Throttled per address and per e-mail; or a message when mail is turned off."""

    def dispatch(self, request, *args, **kwargs):
        if not settings.PASSWORD_RESET_BY_EMAIL:
            return render(request, "registration/password_reset_off.html")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        limit = signin.reset_refusal(self.request, form.cleaned_data["email"])
        if limit is not None:
            return too_many_tries(self.request, limit)
        # Django logs a mail that cannot be sent and shows "check your email" all the
        # same, so the page never tells whether an address has an account.
        return super().form_valid(form)


@method_decorator(login_not_required, name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A new password forgets the account's failed sign-ins and signs the person in,
    so a lock-out never keeps the real owner out."""

    post_reset_login = True
    post_reset_login_backend = "bonefit.backends.ModelBackend"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        username = self.user.get_username()
        signin.forgive(username)
        signin.remember_device(self.request, response, username)
        return response


# --- the second step ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    next_url = _safe_next(request)
    if request.user.is_verified() or not two_factor.has_device(request):
        return redirect(next_url)
    account = str(request.user.pk)
    if request.method == "POST" and signin.CODE_ACCOUNT.exceeded(account):
        return too_many_tries(request, signin.CODE_ACCOUNT)
    form = CodeForm(request.POST or None, user=request.user)
    if form.is_valid():
        django_otp.login(request, form.device)
        signin.CODE_ACCOUNT.reset(account)
        if isinstance(form.device, StaticDevice):
            left = two_factor.recovery_codes_left(request.user)
            messages.warning(
                request,
                f"You used a recovery code. You have {left} left: you can make new "
                "ones on your account page.",
            )
        return redirect(next_url)
    if form.is_bound:
        signin.CODE_ACCOUNT.hit(account)
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": next_url},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    user = request.user
    if two_factor.confirmed_app(user) is not None:
        return render(
            request,
            "accounts/two_factor.html",
            {
                "codes_left": two_factor.recovery_codes_left(user),
                "can_turn_off": not user.is_staff,
                "form": CodeForm(user=user),
            },
        )
    device = two_factor.pending_app(user)
    form = ConfirmAppForm(request.POST or None, device=device)
    if form.is_valid():
        codes = two_factor.confirm_app(device)
        django_otp.login(request, device)
        two_factor.remember(request, True)
        return render(
            request,
            "accounts/two_factor_codes.html",
            {"codes": codes, "next": _safe_next(request, "account"), "new": True},
        )
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "secret": two_factor.secret(device),
            "qr_code": two_factor.qr_code_data_uri(device),
            "next": _safe_next(request, "account"),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def two_factor_new_codes(request):
    if two_factor.confirmed_app(request.user) is None:
        return redirect("two_factor_setup")
    codes = two_factor.new_recovery_codes(request.user)
    return render(
        request,
        "accounts/two_factor_codes.html",
        {"codes": codes, "next": resolve_url("account"), "new": False},
    )


@require_POST
def two_factor_turn_off(request):
    if request.user.is_staff:
        raise PermissionDenied("Staff accounts keep two-step sign-in.")
    form = CodeForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(
            request,
            "accounts/two_factor.html",
            {
                "codes_left": two_factor.recovery_codes_left(request.user),
                "can_turn_off": True,
                "form": form,
            },
            status=400,
        )
    two_factor.turn_off(request.user)
    two_factor.remember(request, False)
    messages.success(request, "Two-step sign-in is off. Your password alone logs in.")
    return redirect("account")


@login_not_required
@require_GET
def home(request):
    return render(request, "home.html")


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("routines:list")
    if request.method == "POST" and (limit := signin.signup_refusal(request)):
        return too_many_tries(request, limit)
    form = SignUpForm(request.POST or None)
    if form.is_valid():
        with transaction.atomic():
            user = form.save()
            HealthProfile.objects.create(user=user)
        signin.signed_up(request)
        login(request, user, backend="bonefit.backends.ModelBackend")
        messages.success(
            request,
            "Welcome to BoneFit! Please tell us a little about your bones, so we can warn "
            "you about movements that are risky for you.",
        )
        response = redirect("routines:profile")
        signin.remember_device(request, response, user.get_username())
        return response
    return render(request, "registration/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def profile_edit(request):
    profile = HealthProfile.for_user(request.user)
    form = HealthProfileForm(request.POST or None, instance=profile)
    status = 400 if form.errors else 200
    if form.is_valid():
        try:
            profile.save_answers(form, version=form.cleaned_data["version"])
        except StaleEdit:
            profile = HealthProfile.for_user(request.user)
            form = HealthProfileForm(instance=profile)
            messages.error(
                request,
                "Your profile was changed in another window or tab. Below is what is "
                "saved now: please check it and save again.",
            )
            status = 409
        else:
            messages.success(
                request,
                "Your profile is saved. " + _recheck_summary(request.user, profile),
            )
            return redirect("routines:list")
    return render(
        request,
        "routines/profile_form.html",
        {"form": form, "profile": profile},
        status=status,
    )


def _recheck_summary(user, profile):
    checks = checking.routine_checks(
        user, profile, with_therapist=CareLink.has_therapist(user.pk)
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
    log = Paginator(CareAccessLog.objects.of_patient(request.user), ACCESS_LOG_PER_PAGE)
    return render(
        request,
        "accounts/account.html",
        {
            "links": CareLink.objects.of_patient(request.user).select_related(
                "therapist"
            ),
            "log": log.get_page(request.GET.get("page")),
            "two_factor_on": two_factor.has_device(request),
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
    routines = Routine.objects.owned_by(user).prefetch_related("items__exercise")
    username = user.get_username()
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
            "fragility_fractures": profile.fragility_fractures,
            "fractures": list(profile.fractures),  # one entry per fracture
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
            for entry in CareAccessLog.objects.filter(patient=user)
        ],
        "sign_ins": [
            {
                "at": entry.attempt_time,
                "logged_out_at": entry.logout_time,
                "address": entry.ip_address,
                "browser": entry.user_agent,
            }
            for entry in AccessLog.objects.filter(username=username).order_by(
                "-attempt_time"
            )
        ],
        "failed_sign_ins": [
            {
                "last_at": entry.attempt_time,
                "address": entry.ip_address,
                "browser": entry.user_agent,
                "failures": entry.failures_since_start,
            }
            for entry in AccessAttempt.objects.filter(username=username).order_by(
                "-attempt_time"
            )
        ],
        "two_step_sign_in": {
            "on": two_factor.confirmed_app(user) is not None,
            "recovery_codes_left": two_factor.recovery_codes_left(user),
        },
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
    plan = PlanSettings.objects.filter(user=user).select_related("routine").first()
    data["plan_settings"] = (
        None
        if plan is None
        else {
            "routine": plan.routine.name if plan.routine else None,
            "following_since": plan.following_since,
            "time_zone": plan.time_zone,
            "session_time": plan.session_time,
            "reminder": plan.reminder,
            "calendar_feed_on": plan.calendar_on,
        }
    )
    data["session_logs"] = [
        {
            "date": log.date,
            "exercise": log.exercise.slug,
            "exercise_name": log.exercise.name,
            "sets": log.sets,
            "reps": log.reps,
            "minutes": log.minutes,
            "load_kg": log.load_kg,
            "feeling": log.feeling,
            "hurt": log.hurt,
            "step_up_declined": log.progression_declined,
            "created_at": log.created_at,
            "updated_at": log.updated_at,
        }
        for log in SessionLog.objects.owned_by(user)
        .select_related("exercise")
        .order_by("date", "pk")
    ]
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
        username = user.get_username()
        logout(request)
        with transaction.atomic():
            # cascades to the profile, routines, items, acknowledgements, devices, the
            # links with therapists and the therapists' access log
            user.delete()
            for log in (AccessLog, AccessAttempt, AccessFailureLog):
                log.objects.filter(username=username).delete()
        _checkpoint_sqlite()
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


def _checkpoint_sqlite():
    """Copy SQLite's write-ahead log into the database file and empty it, so deleted
    health data does not linger in the log (secure_delete then zeroes the freed pages)."""
    # Inside an outer transaction (tests) there is nothing committed to copy yet.
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
