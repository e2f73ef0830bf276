"""The POST data of a question's edit form as the page shows it: what a browser sends when
the instructor changes nothing, for tests to change one field of."""

from __future__ import annotations

from annquiz.courses.authoring.content import content_of
from annquiz.courses.authoring.forms import question_forms
from annquiz.courses.authoring.services import question_base
from annquiz.courses.models import Question


def edit_form_data(question: Question) -> dict[str, str]:
    data: dict[str, str] = {}
    forms = question_forms(question.kind, content_of(question), base=question_base(question))
    for part in forms.all():
        management = getattr(part, "management_form", None)
        if management is not None:
            for name in management.fields:
                data[management.add_prefix(name)] = str(management[name].value())
        for form in getattr(part, "forms", [part]):
            for bound in form:
                value = bound.field.prepare_value(bound.value())
                if value is None or value is False:
                    continue
                data[bound.html_name] = "on" if value is True else str(value)
    return data


def rows(data: dict[str, str], prefix: str) -> int:
    return int(data[f"{prefix}-TOTAL_FORMS"])
