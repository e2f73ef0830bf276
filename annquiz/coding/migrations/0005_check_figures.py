"""Give every check of the verdicts stored before it its figure in words.

``training.judging.figures.with_figures`` fills in a check's ``figure`` when it has none
(``stored_check_figure``: its label, figure and the direction that passes); applying it
again changes nothing, so the migration can run on any mix of old and new verdicts.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from training.judging.figures import with_figures

BATCH = 500


def fill_check_figures(apps: Any, schema_editor: Any) -> None:
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
    dependencies = [("coding", "0004_submission_admitted_spec")]

    operations = [migrations.RunPython(fill_check_figures, migrations.RunPython.noop)]
