from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="public_profile",
            field=models.BooleanField(
                default=False,
                help_text="Name this organisation on the public statistics page.",
                verbose_name="public profile",
            ),
        ),
    ]
