"""The patient's side of the care team: sharing with a therapist, and stopping."""

from django.contrib import messages
from django.core.cache import cache
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from bonefit.network import client_ip
from routines.forms import ConsentForm, ShareCodeForm
from routines.models import CONSENT_TEXT, CareLink, EndedBy, ShareCode

WRONG_CODE_LIMIT = 10
WRONG_CODE_SECONDS = 15 * 60
WRONG_CODE = (
    "That code is not right, or it has expired. Please check it with your therapist; "
    "they can give you a new one."
)
TOO_MANY = (
    "Too many wrong codes were typed from this connection. Please wait 15 minutes and "
    "try again, or ask your therapist for help."
)


def share_code_address(request):
    """Where wrong share codes are counted: the client's address (proxy-aware)."""
    return client_ip(request) or "unknown"


def _wrong_code_key(request):
    return f"share-code-wrong:{share_code_address(request)}"


def too_many_wrong_codes(request):
    return cache.get(_wrong_code_key(request), 0) >= WRONG_CODE_LIMIT


def count_wrong_code(request):
    key = _wrong_code_key(request)
    cache.add(key, 0, WRONG_CODE_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WRONG_CODE_SECONDS)


def _usable_code(request, form, field="code"):
    """The ShareCode the form names, or None after adding a plain error (and counting it)."""
    if too_many_wrong_codes(request):
        form.add_error(None, TOO_MANY)
        return None
    share_code = ShareCode.find(form.cleaned_data[field])
    if share_code is None:
        count_wrong_code(request)
        form.add_error(field, WRONG_CODE)
        return None
    if share_code.therapist_id == request.user.pk:
        form.add_error(field, "This is your own share code: give it to your patients.")
        return None
    return share_code


def _page(request, form, *, status=200):
    return render(
        request,
        "care/therapists.html",
        {
            "form": form,
            "links": CareLink.objects.of_patient(request.user).select_related(
                "therapist"
            ),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def therapists(request):
    """My therapist: who the patient shares with, and step one of sharing (the code)."""
    form = ShareCodeForm(request.POST or None)
    if not form.is_valid():
        return _page(request, form, status=400 if form.errors else 200)
    throttled = too_many_wrong_codes(request)
    share_code = _usable_code(request, form)
    if share_code is None:
        return _page(request, form, status=429 if throttled else 400)
    therapist = share_code.therapist
    if CareLink.objects.of_patient(request.user).filter(therapist=therapist).exists():
        messages.info(request, f"You already share your plan with {_name(therapist)}.")
        return redirect("care:therapists")
    return render(
        request,
        "care/consent.html",
        {
            "form": ConsentForm(initial={"code": share_code.code}),
            "therapist": therapist,
            "consent_text": CONSENT_TEXT,
        },
    )


@require_POST
def consent(request):
    """Step two: the patient has read what will be shared, and agrees."""
    form = ConsentForm(request.POST)
    agreed = form.is_valid()
    throttled = too_many_wrong_codes(request)
    share_code = _usable_code(request, form) if "code" in form.cleaned_data else None
    if share_code is None:  # the code was renewed, expired or tampered with meanwhile
        code_form = ShareCodeForm()
        errors = form.non_field_errors() or form.errors.get("code") or [WRONG_CODE]
        code_form.add_error(None, errors[0])
        return _page(request, code_form, status=429 if throttled else 400)
    if not agreed:
        return render(
            request,
            "care/consent.html",
            {
                "form": form,
                "therapist": share_code.therapist,
                "consent_text": CONSENT_TEXT,
            },
            status=400,
        )
    link, created = CareLink.start(patient=request.user, therapist=share_code.therapist)
    if created:
        messages.success(
            request,
            f"You now share your plan with {link.therapist_name}. Exercises marked "
            "Danger will wait for their approval.",
        )
    else:
        messages.info(
            request, f"You already share your plan with {link.therapist_name}."
        )
    return redirect("care:therapists")


@require_http_methods(["GET", "POST"])
def stop_sharing(request, pk):
    link = get_object_or_404(
        CareLink.objects.of_patient(request.user).select_related("therapist"), pk=pk
    )
    if request.method == "POST":
        link.end(by=EndedBy.PATIENT)
        messages.success(
            request,
            f"You no longer share your plan with {link.therapist_name}. They cannot see "
            "or change it any more.",
        )
        return redirect("care:therapists")
    return render(request, "care/stop_sharing.html", {"link": link})


def _name(user):
    return user.get_full_name() or user.get_username()
