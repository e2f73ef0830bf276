from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0008_submission_message_sent"),
    ]

    operations = [
        migrations.AddField(
            model_name="codingtask",
            name="opens_after",
            field=models.CharField(blank=True, max_length=100),
        ),
    ]
