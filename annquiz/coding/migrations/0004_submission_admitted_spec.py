"""Store with every submission the spec as it was admitted, with the context it was parsed in.

The worker used to parse the stored canonical ``spec`` again without the task's validation
rows, so a spec that early-stops on ``val_loss`` without ``validation_split`` was accepted and
then always ended "error". Rows stored before are given the record their ``spec`` was admitted
as (``training.solutions.canonical_spec_record``: every submission was parsed with the task's
validation rows); the worker reads ``admitted_spec`` only.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

from training.solutions import canonical_spec_record

BATCH = 500


def fill_admitted_specs(apps: Any, schema_editor: Any) -> None:
    Submission = apps.get_model("coding", "Submission")
    changed = []
    waiting = Submission.objects.filter(admitted_spec__isnull=True).only("id", "spec")
    for submission in waiting.iterator():
        if not isinstance(submission.spec, dict):
            continue
        submission.admitted_spec = canonical_spec_record(submission.spec)
        changed.append(submission)
        if len(changed) >= BATCH:
            Submission.objects.bulk_update(changed, ["admitted_spec"])
            changed = []
    if changed:
        Submission.objects.bulk_update(changed, ["admitted_spec"])


class Migration(migrations.Migration):
    dependencies = [("coding", "0003_verdict_figures")]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="admitted_spec",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.RunPython(fill_admitted_specs, migrations.RunPython.noop),
    ]
