from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("coding", "0007_submission_number_required")]

    operations = [
        # Submissions stored before the field existed had their message sent (or were swept).
        migrations.AddField(
            model_name="submission",
            name="message_sent",
            field=models.BooleanField(default=True),
        ),
        migrations.AlterField(
            model_name="submission",
            name="message_sent",
            field=models.BooleanField(default=False),
        ),
    ]
