from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.models import Unit

from .models import Deal, Objective


class DeliveryForm(forms.Form):
    """A delivery in the deal's unit: whole pieces (``quantity``) or tonnes (``mass_t``)."""

    date = forms.DateField(
        label=_("Date"),
        initial=timezone.localdate,
        # <input type="date"> takes ISO only: a localised value ("01.12.2026") shows empty.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
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


class WhatIfForm(forms.Form):
    """A what-if run from the runs page: objective, radius factor and one hypothetical need.

    ``matching.whatif`` checks every value again (the API's rules); the form only shapes them.
    """

    objective = forms.ChoiceField(label=_("Objective"), choices=Objective.choices)
    radius_factor = forms.DecimalField(
        label=_("Radius factor"),
        initial=Decimal(1),
        min_value=Decimal("0.1"),
        max_value=Decimal(10),
        decimal_places=2,
        help_text=_("Multiplies every listing's maximum distance."),
    )
    need_material: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Hypothetical need: material"),
        queryset=None,
        to_field_name="key",
        required=False,
        help_text=_("Leave empty for a run without a hypothetical need."),
    )
    need_quantity = forms.DecimalField(
        label=_("Hypothetical need: tonnes a year"), required=False, min_value=Decimal("0.001")
    )
    need_latitude = forms.DecimalField(
        label=_("Hypothetical need: latitude"), required=False, initial=Decimal("43.24")
    )
    need_longitude = forms.DecimalField(
        label=_("Hypothetical need: longitude"), required=False, initial=Decimal("76.95")
    )
    need_max_distance_km = forms.DecimalField(
        label=_("Hypothetical need: collection radius (km)"), required=False, initial=Decimal(50)
    )

    def __init__(self, *args, **kwargs):
        from marketplace.models import Material, UnitBasis

        kwargs.setdefault("auto_id", "whatif_%s")
        super().__init__(*args, **kwargs)
        self.fields["need_material"].queryset = Material.objects.exclude(unit_basis=UnitBasis.PIECE).order_by(
            "key"
        )

    def parameters(self) -> dict:
        """The API's ``parameters`` from the cleaned form."""
        data = self.cleaned_data
        parameters: dict = {"objective": data["objective"], "radius_factor": str(data["radius_factor"])}
        if data.get("need_material"):
            parameters["extra_listings"] = [
                {
                    "kind": "need",
                    "name": str(_("Hypothetical need")),
                    "materials": [data["need_material"].key],
                    "quantity": None if data.get("need_quantity") is None else str(data["need_quantity"]),
                    "unit": "t",
                    "period": "year",
                    "latitude": None if data.get("need_latitude") is None else str(data["need_latitude"]),
                    "longitude": None if data.get("need_longitude") is None else str(data["need_longitude"]),
                    "max_distance_km": None
                    if data.get("need_max_distance_km") is None
                    else str(data["need_max_distance_km"]),
                }
            ]
        return parameters


class CompareForm(forms.Form):
    a: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Run A"), queryset=None)
    b: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Run B"), queryset=None)

    def __init__(self, *args, runs=None, **kwargs):
        kwargs.setdefault("auto_id", "compare_%s")
        super().__init__(*args, **kwargs)
        for name in ("a", "b"):
            self.fields[name].queryset = runs
            self.fields[name].label_from_instance = _run_label


def _run_label(run) -> str:
    kind = _("what-if") if run.dry_run else _("real")
    created = timezone.localtime(run.created_at)
    return f"#{run.pk} · {kind} · {run.get_objective_display()} · {created:%Y-%m-%d %H:%M}"
