"""Two-step sign-in: an authenticator app (TOTP) plus single-use recovery codes.

django-otp stores the devices and checks the codes; this module enrols people, makes
recovery codes and remembers in the session whether the signed-in person has a device.
"""

from base64 import b32encode

import segno
from django.contrib.auth import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

HAS_DEVICE = "bonefit_has_otp_device"
RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def has_device(request) -> bool:
    """Whether the signed-in person has two-step sign-in on (cached in the session)."""
    session = request.session
    if HAS_DEVICE not in session:
        session[HAS_DEVICE] = user_has_device(request.user)
    return session[HAS_DEVICE]


def code_to_type(request) -> bool:
    """Whether the person signed in has yet to type their two-step code in this session:
    they have it turned on, and have not typed it. The OTP middleware gives the user
    is_verified(); a request that has not been through it has no such step."""
    user = request.user
    is_verified = getattr(user, "is_verified", None)
    return bool(
        user.is_authenticated
        and is_verified is not None
        and not is_verified()
        and has_device(request)
    )


def remember(request, on: bool) -> None:
    request.session[HAS_DEVICE] = on


@receiver(user_logged_in, dispatch_uid="bonefit-two-factor-remember")
def _remember_at_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        remember(request, user_has_device(user))


def confirmed_app(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def pending_app(user, key: str | None = None) -> TOTPDevice:
    """The person's not-yet-confirmed app device, made when they first open the set-up."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    if device is None:
        extra = {"key": key} if key else {}
        device = TOTPDevice.objects.create(
            user=user, name=APP_DEVICE_NAME, confirmed=False, **extra
        )
    return device


@transaction.atomic
def confirm_app(device: TOTPDevice) -> list[str]:
    """Switch the app device on, drop any other app, and return fresh recovery codes."""
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(device.user)


@transaction.atomic
def enrol(user, key: str | None = None) -> tuple[TOTPDevice, list[str]]:
    """An app device that is on at once (for createtherapist and the demo accounts)."""
    TOTPDevice.objects.filter(user=user).delete()
    extra = {"key": key} if key else {}
    device = TOTPDevice.objects.create(
        user=user, name=APP_DEVICE_NAME, confirmed=True, **extra
    )
    return device, new_recovery_codes(user)


@transaction.atomic
def new_recovery_codes(user, codes: list[str] | None = None) -> list[str]:
    """Replace the person's recovery codes; each works once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME)
    codes = codes or [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=code) for code in codes]
    )
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def turn_off(user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def secret(device: TOTPDevice) -> str:
    """The key as an authenticator app asks for it: base32, in groups of four."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_code_data_uri(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_data_uri(
        scale=5, dark="#000", light="#fff"
    )


def qr_code_for_terminal(device: TOTPDevice, out) -> None:
    segno.make(device.config_url, error="m").terminal(out=out, compact=True)
