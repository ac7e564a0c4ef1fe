"""Forms of the two-step sign-in pages."""

from django import forms
from django_otp import match_token


class CodeForm(forms.Form):
    """A six-digit code from the app, or one of the recovery codes."""

    code = forms.CharField(
        label="Code",
        max_length=16,
        help_text="The 6 numbers your authenticator app shows now, or one of your "
        "recovery codes.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autocapitalize": "none",
                "spellcheck": "false",
                "class": "form-control form-control-lg",
            }
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = None

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split()).lower()
        self.device = match_token(self.user, code)
        if self.device is None:
            raise forms.ValidationError(
                "That code is not right, or it was already used. Please type the code "
                "your app shows now.",
                code="wrong_code",
            )
        return code


class ConfirmAppForm(forms.Form):
    code = forms.CharField(
        label="The 6 numbers your app shows",
        max_length=10,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": "form-control form-control-lg",
            }
        ),
    )

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not self.device.verify_token(code):
            raise forms.ValidationError(
                "That code is not right. Check that the app shows BoneFit and type the "
                "6 numbers it shows now.",
                code="wrong_code",
            )
        return code
