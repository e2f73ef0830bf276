"""Each submission belongs to the offering it was made in and has its number among the
student's submissions to the task (1st, 2nd, …).

Existing submissions go to the default offering of their task's content (made by
``enrolment.0001_offerings_and_memberships``); one to a task without a course keeps no
offering. They are numbered per student and task in the order they were made.
"""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F, Window
from django.db.models.functions import RowNumber

BATCH = 500


def assign_offerings_and_numbers(apps: Any, schema_editor: Any) -> None:
    Submission = apps.get_model("coding", "Submission")
    Offering = apps.get_model("enrolment", "Offering")
    for offering in Offering.objects.filter(slug=F("course__slug")):
        Submission.objects.filter(offering__isnull=True, task__course_id=offering.course_id).update(
            offering=offering
        )
    numbered = Submission.objects.annotate(
        nth=Window(
            RowNumber(),
            partition_by=[F("student_id"), F("task_id")],
            order_by=[F("created_at").asc(), F("id").asc()],
        )
    ).only("id")
    changed = []
    for submission in numbered.iterator(chunk_size=BATCH):
        submission.number = submission.nth
        changed.append(submission)
        if len(changed) >= BATCH:
            Submission.objects.bulk_update(changed, ["number"])
            changed = []
    Submission.objects.bulk_update(changed, ["number"])


class Migration(migrations.Migration):
    dependencies = [
        ("coding", "0005_check_figures"),
        ("enrolment", "0001_offerings_and_memberships"),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="offering",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="submissions",
                to="enrolment.offering",
            ),
        ),
        migrations.AddField(
            model_name="submission",
            name="number",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="submission",
            name="is_late",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(assign_offerings_and_numbers, migrations.RunPython.noop),
    ]
