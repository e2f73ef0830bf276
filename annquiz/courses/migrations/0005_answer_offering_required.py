"""Every answer has its offering (assigned in ``0004_answer_offering``)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0004_answer_offering"),
    ]

    operations = [
        migrations.AlterField(
            model_name="answer",
            name="offering",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="answers",
                to="enrolment.offering",
            ),
        ),
    ]
