"""An accepted submission is gradeable: every accepted variant of every task's reference, sent
through the submitting service, stored, and judged by the worker's judging function, reaches a
verdict (never "error").

The variants are those a student writes from the statement: the reference as it is, with
early stopping on ``val_loss`` (and no ``validation_split``: the task supplies the validation
rows), with and without ``metrics``, as a JSON spec and as a Keras snippet.
"""

from __future__ import annotations

import dataclasses
import itertools
import json

import pytest

from annquiz.coding import judging, submitting
from annquiz.coding.catalog import TaskFile, load_catalog
from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.statuses import JUDGED_STATUSES, Status
from tests.annquiz.coding.conftest import gate_opened, store_task
from tests.factories import StudentFactory
from tests.keras_source import keras_source
from training.keras_snippet import parse_keras_snippet
from training.solutions import admitted_spec_load, admitted_spec_record, parse_solution
from training.spec import EarlyStopping, ModelSpec, spec_to_dict

pytestmark = pytest.mark.django_db

CATALOG = load_catalog()
STOP = EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)


def _metric(task: TaskFile) -> tuple[str, ...]:
    spec = parse_solution(task.reference_kind, task.reference_source)
    return ("mse",) if spec.loss in ("mse", "mae") else ("accuracy",)


def variants(task: TaskFile) -> list[tuple[str, str, str]]:
    """``(name, kind, source)`` of every variant of ``task``'s reference."""
    reference = parse_solution(task.reference_kind, task.reference_source)
    out = []
    for stop, metrics, kind in itertools.product(
        (None, STOP), ((), _metric(task)), ("json", "keras")
    ):
        spec = dataclasses.replace(reference, early_stopping=stop, metrics=metrics)
        if kind == "keras":
            source = keras_source(spec)
            assert parse_keras_snippet(source, external_validation=True) == spec
        else:
            source = json.dumps(spec_to_dict(spec))
        name = f"{kind}-{'stop' if stop else 'nostop'}-{'+'.join(metrics) or 'nometrics'}"
        out.append((name, kind, source))
    return out


def stored_task(slug: str) -> CodingTask:
    return store_task(slug)


def submitted_and_judged(task: CodingTask, kind: str, source: str) -> Submission:
    student = StudentFactory.create()
    gate_opened(student, task)
    created = submitting.submission_create(
        student=student, task=task, source_kind=kind, source=source
    )
    assert created.created
    outcome = judging.submission_judge(submission_id=created.submission.pk)
    submission = Submission.objects.get(pk=created.submission.pk)
    assert outcome.status == submission.status
    return submission


def _cases(backend: str) -> list[object]:
    return [
        pytest.param(task.slug, kind, source, id=f"{task.slug}-{name}")
        for task in CATALOG
        if task.definition.backend == backend
        for name, kind, source in variants(task)
    ]


@pytest.mark.parametrize(("slug", "kind", "source"), _cases("numpy"))
def test_every_accepted_variant_of_a_reference_reaches_a_verdict(
    slug: str, kind: str, source: str
) -> None:
    submission = submitted_and_judged(stored_task(slug), kind, source)
    assert submission.status in JUDGED_STATUSES, submission.message
    assert submission.result is not None
    assert submission.admitted_spec == admitted_spec_record(parse_solution(kind, source))


@pytest.mark.tensorflow
@pytest.mark.parametrize("slug", [t.slug for t in CATALOG if t.definition.backend == "tensorflow"])
def test_a_tensorflow_reference_with_early_stopping_on_val_loss_reaches_a_verdict(
    slug: str,
) -> None:
    name, kind, source = next(
        v
        for v in variants(next(t for t in CATALOG if t.slug == slug))
        if v[0] == "keras-stop-nometrics"
    )
    submission = submitted_and_judged(stored_task(slug), kind, source)
    assert submission.status in JUDGED_STATUSES, (name, submission.message)


def test_the_fix_overfitting_reference_with_the_recommended_early_stopping_passes() -> None:
    """The statement recommends early stopping; its reference with it, as a snippet without
    validation_split, is judged (it used to be accepted and then always end "error")."""
    task = stored_task("fix-overfitting")
    source = task.reference_source.replace(
        "batch_size=16)",
        "batch_size=16,\n          callbacks=[EarlyStopping(monitor='val_loss', patience=10,"
        " restore_best_weights=True)])",
    ).replace(
        "from tensorflow.keras.optimizers import Adam",
        "from tensorflow.keras.optimizers import Adam\n"
        "from tensorflow.keras.callbacks import EarlyStopping",
    )
    assert "EarlyStopping(monitor" in source
    submission = submitted_and_judged(task, "keras", source)
    assert submission.status == Status.PASSED, submission.result and [
        c["message"] for c in submission.result["checks"]
    ]


def test_a_row_stored_before_the_admitted_spec_is_judged_from_its_canonical_spec() -> None:
    """Rows stored before ``admitted_spec`` existed (left null) are read as the record their
    canonical spec was admitted as, so early stopping on val_loss still has its rows."""
    task = stored_task("handout-keras")
    spec: ModelSpec = dataclasses.replace(
        parse_solution(task.reference_kind, task.reference_source), early_stopping=STOP
    )
    created = submitting.submission_create(
        student=StudentFactory.create(),
        task=task,
        source_kind="json",
        source=json.dumps(spec_to_dict(spec)),
    ).submission
    Submission.objects.filter(pk=created.pk).update(admitted_spec=None)
    old = Submission.objects.get(pk=created.pk)
    assert admitted_spec_load(old.admitted_record()) == spec

    outcome = judging.submission_judge(submission_id=created.pk)

    assert outcome.status in JUDGED_STATUSES
