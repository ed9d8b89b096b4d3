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


class ScheduleForm(forms.Form):
    """The city-wide run's schedule; ``matching.schedule.schedule_update`` checks the values."""

    enabled = forms.BooleanField(label=_("Run on this schedule"), required=False)
    cron = forms.CharField(
        label=_("When (cron)"),
        max_length=200,
        help_text=_(
            "Five fields: minute hour day-of-month month day-of-week; 0 2 * * * is 02:00 every night."
        ),
    )
    objective = forms.ChoiceField(label=_("Objective"), choices=Objective.choices)
    time_step = forms.ChoiceField(
        label=_("Time step"),
        choices=[("month", _("Month")), ("week", _("Week")), ("none", _("None (the whole horizon at once)"))],
        help_text=_("Stored with each run; the engine that uses time steps comes in a later release."),
    )
    timezone = forms.CharField(label=_("Time zone"), max_length=64, help_text=_("For example Asia/Almaty."))

    def __init__(self, *args, **kwargs):
        # Shares the runs page with RunForm (which also has an objective): keep the ids apart.
        kwargs.setdefault("auto_id", "schedule_%s")
        super().__init__(*args, **kwargs)
