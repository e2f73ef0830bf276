"""Each answer belongs to the offering it was made in: existing answers to the content's
default offering (made by ``enrolment.0001_offerings_and_memberships``, one per content)."""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models


def assign_default_offerings(apps: Any, schema_editor: Any) -> None:
    Answer = apps.get_model("courses", "Answer")
    Offering = apps.get_model("enrolment", "Offering")
    for offering in Offering.objects.filter(slug=models.F("course__slug")):
        Answer.objects.filter(offering__isnull=True, question__course_id=offering.course_id).update(
            offering=offering
        )


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0003_question_hints_answer_choice_order"),
        ("enrolment", "0001_offerings_and_memberships"),
    ]

    operations = [
        migrations.AddField(
            model_name="answer",
            name="offering",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="answers",
                to="enrolment.offering",
            ),
        ),
        migrations.AddField(
            model_name="answer",
            name="is_late",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(assign_default_offerings, migrations.RunPython.noop),
    ]
