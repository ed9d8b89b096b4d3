"""Web forms. They parse input; the services decide, exactly as for the API."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from config.strict import StrictDecimalField

from .models import SELF_SERVICE_KINDS, District, Organisation


class SignupForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(
        label=_("Email"), help_text=_("For password resets and news about your proposals.")
    )
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    organisation_name = forms.CharField(label=_("Organisation name"), max_length=200)
    # A municipality is set up by the operator, never by sign-up.
    kind = forms.ChoiceField(
        label=_("Kind of organisation"),
        choices=[(k, label) for k, label in Organisation.Kind.choices if k in SELF_SERVICE_KINDS],
        initial=Organisation.Kind.COMPANY,
    )
    sector = forms.ChoiceField(label=_("Sector"), choices=Organisation.Sector.choices)


class SiteForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    latitude = StrictDecimalField(
        label=_("Latitude"), max_digits=9, decimal_places=6, min_value=-90, max_value=90
    )
    longitude = StrictDecimalField(
        label=_("Longitude"), max_digits=10, decimal_places=6, min_value=-180, max_value=180
    )
    district = forms.ChoiceField(label=_("District"), choices=District.choices, initial=District.OTHER)


class LoginForm(AuthenticationForm):
    pass


class OrganisationContactsForm(forms.Form):
    """Contacts; the service validates each value (BIN: exactly 12 digits)."""

    contact_name = forms.CharField(label=_("Contact person"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    website = forms.CharField(label=_("Website"), max_length=300, required=False)
    bin = forms.CharField(
        label=_("BIN"),
        max_length=12,
        required=False,
        help_text=_("Business identification number: 12 digits."),
    )
    public_profile = forms.BooleanField(
        label=_("Name us on the public statistics page"),
        required=False,
        help_text=_(
            "Off by default. Figures are published only in cells of at least three organisations either way."
        ),
    )


class ProfileLanguageForm(forms.Form):
    """The profile's e-mail language (``accounts.language.user_language_choose`` decides)."""

    language = forms.ChoiceField(
        label=_("Language of e-mails"),
        choices=settings.LANGUAGES,
        help_text=_("Notifications and messages are e-mailed to you in this language."),
    )
