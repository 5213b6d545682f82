"""Forms for accounts and comments."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.mail import EmailMultiAlternatives
from django.template import loader

from tidings.community import _mail
from tidings.community.accounts import clean_display_name
from tidings.community.models import Report


class SignupForm(forms.Form):
    display_name = forms.CharField(max_length=200, help_text="Shown next to your comments.")
    email = forms.EmailField(max_length=254)
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), max_length=4096
    )

    def clean_display_name(self) -> str:
        return clean_display_name(self.cleaned_data["display_name"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            probe = User(email=data.get("email", ""), first_name=data.get("display_name", ""))
            try:
                validate_password(password, probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.CharField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autofocus": True})
    )
    error_messages = {
        "invalid_login": "That e-mail and password do not match an active account.",
        "inactive": "That e-mail and password do not match an active account.",
    }


class QuietPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the message queued off the request thread."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        _mail.send_later(EmailMultiAlternatives(subject, body, from_email, [to_email]))


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=200)

    def clean_display_name(self) -> str:
        return clean_display_name(self.cleaned_data["display_name"])


class ReportForm(forms.Form):
    reason = forms.ChoiceField(choices=Report.Reason.choices)
    note = forms.CharField(max_length=500, required=False)


class ModerationForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False)
