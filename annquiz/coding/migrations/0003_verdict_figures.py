"""Give the verdicts stored before the judge computed their page figures those figures.

``training.judging.figures.with_figures`` is what the judge applies to every new verdict:
every seed's ``best_epoch`` filled in and ``representative`` within the seeds. Applying it
again changes nothing, so the migration can run on any mix of old and new verdicts; there
is nothing to undo.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from training.judging.figures import with_figures

BATCH = 500


def fill_verdict_figures(apps: Any, schema_editor: Any) -> None:
    Submission = apps.get_model("coding", "Submission")
    changed = []
    stored = Submission.objects.filter(result__isnull=False).only("id", "result")
    for submission in stored.iterator():
        if not isinstance(submission.result, dict):
            continue
        filled = with_figures(submission.result)
        if filled != submission.result:
            submission.result = filled
            changed.append(submission)
        if len(changed) >= BATCH:
            Submission.objects.bulk_update(changed, ["result"])
            changed = []
    if changed:
        Submission.objects.bulk_update(changed, ["result"])


class Migration(migrations.Migration):
    dependencies = [("coding", "0002_claimed_by")]

    operations = [migrations.RunPython(fill_verdict_figures, migrations.RunPython.noop)]
