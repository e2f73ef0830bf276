"""The task admin form: the definition and the solutions are checked before anything is saved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.forms.models import model_to_dict

from annquiz.coding.admin import CodingTaskAdminForm
from annquiz.coding.models import CodingTask

pytestmark = pytest.mark.django_db


def form_for(task: CodingTask, **changes: Any) -> CodingTaskAdminForm:
    data = {**model_to_dict(task, fields=CodingTaskAdminForm.Meta.fields), **changes}
    data["definition"] = json.dumps(data["definition"])
    data = {name: value for name, value in data.items() if value is not None}
    return CodingTaskAdminForm(data=data, instance=task)


def test_a_valid_edit_is_saved_with_its_backend_and_rendered_statement(
    handout_task: CodingTask,
) -> None:
    form = form_for(handout_task, statement_markdown="Train **the handout's** network.")
    assert form.is_valid(), form.errors
    task = form.save()
    assert task.backend == "numpy"
    assert "<strong>the handout's</strong>" in task.statement_html


def test_a_bad_definition_is_refused_naming_its_field(handout_task: CodingTask) -> None:
    definition = {**handout_task.definition, "seeds": "many"}
    form = form_for(handout_task, definition=definition)
    assert not form.is_valid()
    assert "seeds" in str(form.errors["definition"])
    assert CodingTask.objects.get(pk=handout_task.pk).definition == handout_task.definition


def test_a_reference_that_no_longer_fits_the_task_is_refused(handout_task: CodingTask) -> None:
    bad = handout_task.reference_source.replace("input_dim=8", "input_dim=5")
    assert bad != handout_task.reference_source
    form = form_for(handout_task, reference_source=bad)
    assert not form.is_valid()
    assert "reference solution" in str(form.errors["reference_source"])
