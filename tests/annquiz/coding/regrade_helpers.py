"""Judged submissions and regrade runs for the regrade tests, stored without a worker."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User

from annquiz.coding.models import (
    CodingTask,
    RegradeItem,
    RegradeItemStatus,
    RegradeRun,
    RegradeRunStatus,
    Submission,
)
from annquiz.coding.submitting import submission_spec_parse
from annquiz.coding.versions import definition_hash
from annquiz.enrolment.models import Offering
from training.solutions import admitted_spec_record
from training.spec import spec_to_dict


def judged_submission(
    task: CodingTask,
    student: User,
    offering: Offering,
    *,
    status: str,
    number: int = 1,
    source: str | None = None,
    kind: str | None = None,
) -> Submission:
    """A submission of ``source`` of ``kind`` (by default the task's reference) stored as
    judged with ``status``."""
    source = task.reference_source if source is None else source
    kind = task.reference_kind if kind is None else kind
    spec = submission_spec_parse(task=task, source_kind=kind, source=source)
    return Submission.objects.create(
        task=task,
        student=student,
        offering=offering,
        number=number,
        source_kind=kind,
        source=source,
        spec=spec_to_dict(spec),
        admitted_spec=admitted_spec_record(spec),
        queue=task.queue,
        status=status,
        result={"verdict": status, "summary": f"stored as {status}"},
        message=f"stored as {status}",
    )


def judged_run(
    task: CodingTask, offering: Offering, proposals: Mapping[Submission, str], **fields: Any
) -> RegradeRun:
    """A run whose items are already judged: each submission with its proposed status."""
    run = RegradeRun.objects.create(
        **{
            "task": task,
            "offering": offering,
            "scope": "all",
            "status": RegradeRunStatus.READY,
            "code_version": "annquiz test",
            "definition_hash": definition_hash(task.definition),
            "seeds": [0, 1, 2],
            **fields,
        }
    )
    RegradeItem.objects.bulk_create(
        RegradeItem(
            run=run,
            submission=submission,
            old_status=submission.status,
            status=RegradeItemStatus.DONE,
            new_status=new_status,
            new_result={"verdict": new_status, "summary": f"now {new_status}"},
            new_message=f"now {new_status}",
        )
        for submission, new_status in proposals.items()
    )
    return run
