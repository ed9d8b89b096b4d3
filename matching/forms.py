from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Objective


class DeliveryForm(forms.Form):
    date = forms.DateField(
        label=_("Date"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    mass_t = forms.DecimalField(
        label=_("Delivered mass (t)"), min_value=0.001, max_digits=16, decimal_places=3
    )


class RunForm(forms.Form):
    objective = forms.ChoiceField(
        label=_("Objective"), choices=Objective.choices, initial=Objective.DIVERT_THEN_DISTANCE
    )
