"""Fate baselines in factor sets: where the open-burning and incineration factors come from, the
impact method a set's numbers follow, and non-negative fate factors.

Sets published before this migration computed their impacts with method 1 (supply already in
other use still earned the substitution credit); they are marked so and stay as published, so
their stored impacts keep recomputing exactly. Drafts follow method 2 like every new set.
"""

from django.db import migrations, models

LANDFILL_ONLY = 1


def mark_published_sets_method_1(apps, schema_editor):
    FactorSet = apps.get_model("marketplace", "FactorSet")
    FactorSet.objects.filter(status="published").update(impact_method=LANDFILL_ONLY)


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0002_listing_recent_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="factor",
            name="source_fates",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="factorset",
            name="impact_method",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "1: landfill baseline only; supply already in other use earns substitution"),
                    (2, "2: a baseline for every fate; no substitution for supply already in other use"),
                ],
                default=2,
                verbose_name="impact method",
            ),
        ),
        migrations.RunPython(mark_published_sets_method_1, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="factor",
            constraint=models.CheckConstraint(
                condition=(
                    models.Q(
                        ("open_burning_kg_per_t__isnull", True),
                        ("open_burning_kg_per_t__gte", 0),
                        _connector="OR",
                    )
                    & models.Q(
                        ("incineration_kg_per_t__isnull", True),
                        ("incineration_kg_per_t__gte", 0),
                        _connector="OR",
                    )
                ),
                name="factor_fates_nonnegative",
            ),
        ),
    ]
