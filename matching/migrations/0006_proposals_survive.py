"""Proposals survive runs (first run, response window); deliveries in the deal's unit."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import django.db.models.deletion
from django.db import migrations, models

RESPONSE_DAYS = 14  # MATCHING_RESPONSE_DAYS' default, for proposals accepted before this migration


def forwards(apps, schema_editor):
    Proposal = apps.get_model("matching", "Proposal")
    Deal = apps.get_model("matching", "Deal")
    Delivery = apps.get_model("matching", "Delivery")
    Proposal.objects.filter(first_run__isnull=True).update(first_run=models.F("run"))
    for proposal in Proposal.objects.filter(status__in=["accepted_by_offer", "accepted_by_need"]):
        first = min(t for t in (proposal.offer_accepted_at, proposal.need_accepted_at) if t is not None)
        proposal.respond_by = first + timedelta(days=RESPONSE_DAYS)
        proposal.save(update_fields=["respond_by"])
    for deal in Deal.objects.select_related("material"):
        total = Decimal(0)
        for delivery in Delivery.objects.filter(deal=deal):
            if deal.unit == "piece":
                per_piece = deal.material.mass_per_piece_t or (deal.mass_t / deal.quantity)
                pieces = (delivery.mass_t / per_piece).quantize(Decimal(1), rounding=ROUND_HALF_UP)
                delivery.quantity = max(pieces, Decimal(1))
            else:
                delivery.quantity = delivery.mass_t
            delivery.save(update_fields=["quantity"])
            total += delivery.quantity
        deal.delivered_quantity = total
        deal.save(update_fields=["delivered_quantity"])


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0005_conversations"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="deal", name="deal_masses_valid"),
        migrations.RemoveConstraint(model_name="delivery", name="delivery_mass_positive"),
        migrations.AddField(
            model_name="deal",
            name="delivered_quantity",
            field=models.DecimalField(decimal_places=3, default=0, max_digits=16),
        ),
        migrations.AddField(
            model_name="delivery",
            name="quantity",
            field=models.DecimalField(decimal_places=3, default=0, max_digits=16),
        ),
        migrations.AddField(
            model_name="proposal",
            name="first_run",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="first_proposals",
                to="matching.matchrun",
            ),
        ),
        migrations.AddField(
            model_name="proposal",
            name="respond_by",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="delivery",
            name="quantity",
            field=models.DecimalField(decimal_places=3, max_digits=16),
        ),
        migrations.AddIndex(
            model_name="proposal",
            index=models.Index(fields=["status", "respond_by"], name="proposal_respond_by_idx"),
        ),
        migrations.AddConstraint(
            model_name="deal",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("mass_t__gt", 0), ("delivered_t__gte", 0), ("delivered_quantity__gte", 0)
                ),
                name="deal_masses_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity__gt", 0), ("mass_t__gte", 0)), name="delivery_quantity_positive"
            ),
        ),
    ]
