"""Every submission has its number (assigned in ``0006_submission_offering_and_number``),
unique per student and task."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0006_submission_offering_and_number"),
    ]

    operations = [
        migrations.AlterField(
            model_name="submission",
            name="number",
            field=models.PositiveIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="submission",
            constraint=models.UniqueConstraint(
                fields=("student", "task", "number"), name="coding_submission_unique_number"
            ),
        ),
        migrations.AddConstraint(
            model_name="submission",
            constraint=models.CheckConstraint(
                condition=models.Q(number__gte=1), name="coding_submission_number_gte_1"
            ),
        ),
    ]
