"""Web forms of the monitor. They parse input; the services decide, exactly as for the API."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TargetBasis, TargetIndicator


class TargetForm(forms.Form):
    indicator = forms.ChoiceField(label=_("Indicator"), choices=TargetIndicator.choices)
    year = forms.IntegerField(label=_("Year"))
    value = forms.DecimalField(label=_("Target at year end"), max_digits=16, decimal_places=3)
    basis = forms.ChoiceField(label=_("Basis"), choices=TargetBasis.choices, initial=TargetBasis.DELIVERED)
