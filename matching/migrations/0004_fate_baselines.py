"""Every stored impact states its fate (``baseline``) and that fate's avoided emission.

Backfill, without recomputing anything: ``baseline`` is the destination the row was computed
against (a proposal's or deal's ``current_destination``, a delivery's deal's). Before this
migration ``landfill_avoided_kg`` held the avoided emission of whatever the destination was, so
it becomes ``baseline_avoided_kg``; for a landfill row the two are then equal, and for any other
fate ``landfill_avoided_kg`` becomes 0 (it was already 0 unless a set stated a factor for that
fate). Every net, every other component and every factor-set version stays as stored.
"""

from django.db import migrations, models
from django.db.models import F

LANDFILL = "landfill"


def backfill(apps, schema_editor):
    Proposal = apps.get_model("matching", "Proposal")
    Deal = apps.get_model("matching", "Deal")
    Delivery = apps.get_model("matching", "Delivery")
    for model in (Proposal, Deal):
        model.objects.update(baseline=F("current_destination"), baseline_avoided_kg=F("landfill_avoided_kg"))
        model.objects.exclude(current_destination=LANDFILL).update(landfill_avoided_kg=0)
    Delivery.objects.update(baseline_avoided_kg=F("landfill_avoided_kg"))
    # An UPDATE cannot read the joined deal, so one statement per destination that deals have.
    for destination in Deal.objects.values_list("current_destination", flat=True).distinct().order_by():
        deliveries = Delivery.objects.filter(deal__current_destination=destination)
        deliveries.update(baseline=destination)
        if destination != LANDFILL:
            deliveries.update(landfill_avoided_kg=0)


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0003_flow_fields"),
    ]

    operations = [
        migrations.AddField(
            model_name=model,
            name=name,
            field=field,
            preserve_default=False,
        )
        for model in ("proposal", "deal", "delivery")
        for name, field in (
            ("baseline", models.CharField(default=LANDFILL, max_length=20)),
            ("baseline_avoided_kg", models.DecimalField(decimal_places=3, default=0, max_digits=18)),
        )
    ] + [migrations.RunPython(backfill, migrations.RunPython.noop)]
