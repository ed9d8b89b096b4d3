from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.models import Unit

from .models import Deal, Objective


class DeliveryForm(forms.Form):
    """A delivery in the deal's unit: whole pieces (``quantity``) or tonnes (``mass_t``)."""

    date = forms.DateField(
        label=_("Date"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, deal: Deal, **kwargs):
        super().__init__(*args, **kwargs)
        if deal.unit == Unit.PIECE:
            self.amount_field = "quantity"
            self.fields["quantity"] = forms.DecimalField(
                label=_("Delivered quantity (pieces)"),
                min_value=Decimal(1),
                max_digits=12,
                decimal_places=0,
                widget=forms.NumberInput(attrs={"step": "1", "min": "1"}),
            )
        else:
            self.amount_field = "mass_t"
            # Decimal bounds: a float 0.001 is a hair above Decimal("0.001") and refused it.
            self.fields["mass_t"] = forms.DecimalField(
                label=_("Delivered mass (t)"),
                min_value=Decimal("0.001"),
                max_digits=16,
                decimal_places=3,
                widget=forms.NumberInput(attrs={"step": "0.001", "min": "0.001"}),
            )


class RunForm(forms.Form):
    objective = forms.ChoiceField(
        label=_("Objective"), choices=Objective.choices, initial=Objective.DIVERT_THEN_DISTANCE
    )
