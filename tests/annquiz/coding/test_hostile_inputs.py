"""Hostile submissions through the API: every one is a 4xx whose short body names the field.

Huge strings, huge keys, deep nesting, NaN / Infinity / 1e999 in each numeric field of the
spec and of a snippet, unicode: the answer quotes at most about 100 characters of the input
(a body of a few KB at most), names the field at fault, never a 500.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from annquiz.coding.models import CodingTask, Submission
from tests.factories import StudentFactory
from training.solutions import parse_solution
from training.spec import spec_to_dict
from training.validation import KEY_CHARS, shorten

pytestmark = pytest.mark.django_db

HUGE = 18_000
MAX_BODY_BYTES = 3_000
ENDPOINTS = ("submissions", "validate")


@pytest.fixture
def client(handout_task: CodingTask) -> APIClient:
    api = APIClient()
    user: User = StudentFactory.create()
    api.force_authenticate(user)
    return api


def valid_spec(task: CodingTask) -> dict[str, Any]:
    spec = spec_to_dict(parse_solution(task.reference_kind, task.reference_source))
    spec["early_stopping"] = {"monitor": "val_loss", "patience": 3, "min_delta": 0.0}
    spec["layers"][0]["kernel_regularizer"] = {"l1": 0.0, "l2": 0.001}
    return spec


def post_raw(client: APIClient, endpoint: str, raw: str) -> Any:
    return client.post(
        f"/api/v1/tasks/handout-keras/{endpoint}/", raw, content_type="application/json"
    )


def assert_refused(response: Any, *, field: str, mentions: str = "") -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    assert len(response.content) < MAX_BODY_BYTES, len(response.content)
    error = response.json()["error"]
    assert error["field"] == field, error
    assert mentions in error["message"], error
    return dict(error)


# Every numeric field of a spec, as a path into valid_spec() and the field the answer names.
NUMERIC_FIELDS = [
    ("layers", 0, "units"),
    ("layers", 0, "input_dim"),
    ("layers", 0, "kernel_regularizer", "l2"),
    ("optimizer", "learning_rate"),
    ("optimizer", "beta_1"),
    ("optimizer", "beta_2"),
    ("optimizer", "epsilon"),
    ("epochs",),
    ("batch_size",),
    ("validation_split",),
    ("early_stopping", "patience"),
    ("early_stopping", "min_delta"),
]
NON_FINITE = ("NaN", "Infinity", "-Infinity", "1e999", "-1e999")


def _json_path(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _with_marker(spec: dict[str, Any], path: tuple[str | int, ...]) -> dict[str, Any]:
    changed = copy.deepcopy(spec)
    node: Any = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = "@@MARK@@"
    return changed


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("literal", NON_FINITE)
@pytest.mark.parametrize("path", NUMERIC_FIELDS, ids=_json_path)
def test_a_non_finite_number_in_any_numeric_field_is_named_as_not_finite(
    client: APIClient,
    handout_task: CodingTask,
    endpoint: str,
    literal: str,
    path: tuple[str | int, ...],
) -> None:
    raw = json.dumps({"spec": _with_marker(valid_spec(handout_task), path)})
    raw = raw.replace('"@@MARK@@"', literal)

    error = assert_refused(post_raw(client, endpoint, raw), field="spec")

    assert error["message"].startswith(f"{_json_path(path)}: "), error
    assert "not a finite number" in error["message"], error
    assert Submission.objects.count() == 0


@pytest.mark.parametrize("literal", ("1e999", "-1e999", "1e400"))
@pytest.mark.parametrize(
    "setting", ("learning_rate={}", "epochs={}", "batch_size={}", "validation_split={}")
)
def test_a_non_finite_number_in_a_snippet_is_named_as_not_finite(
    client: APIClient, handout_task: CodingTask, setting: str, literal: str
) -> None:
    source = (
        "from tensorflow.keras.models import Sequential\n"
        "from tensorflow.keras.layers import Dense\n"
        "from tensorflow.keras.optimizers import Adam\n"
        "model = Sequential([Dense(1, input_dim=8, activation='sigmoid')])\n"
    )
    fit = {"epochs": "epochs=5", "batch_size": "batch_size=8", "validation_split": ""}
    name = setting.split("=")[0]
    if name == "learning_rate":
        source += f"model.compile(optimizer=Adam({setting.format(literal)}), "
        source += "loss='binary_crossentropy')\nmodel.fit(X, y, epochs=5)\n"
    else:
        fit[name] = setting.format(literal)
        source += "model.compile(optimizer='adam', loss='binary_crossentropy')\n"
        source += f"model.fit(X, y, {', '.join(v for v in fit.values() if v)})\n"

    response = post_raw(client, "submissions", json.dumps({"keras": source}))

    error = assert_refused(response, field="keras")
    assert error["message"].startswith("line "), error
    assert name in error["message"], error
    assert "not a finite number" in error["message"], error


UNICODE = "\u00f1\u2202\u0192\u02dc\u00b5\u2264\U0001f642"
HOSTILE_SPECS: list[tuple[str, Any, str, str]] = [
    # (case, spec, field the answer names, text the message must contain)
    ("huge loss name", {"loss": "x" * HUGE}, "spec", "loss: unknown loss"),
    # Escaped in the canonical JSON text (6 characters each), so within its 50,000 limit.
    ("huge activation", {"layers[0].activation": "é" * 5_000}, "spec", "layers[0].activation"),
    ("huge optimizer", {"optimizer": "o" * HUGE}, "spec", "optimizer: unknown optimizer"),
    ("huge metric", {"metrics": ["m" * HUGE]}, "spec", "metrics[0]"),
    ("huge monitor", {"early_stopping": {"monitor": "v" * HUGE}}, "spec", "early_stopping.monitor"),
    ("huge top-level key", {"k" * 40_000: 1}, "spec", "unknown field"),
    ("huge layer key", {"layers[0].q" * 1: None}, "spec", ""),
    ("huge optimizer key", {"optimizer": {"name": "adam", "z" * 40_000: 1}}, "spec", "adam"),
    ("huge class key", {"class_weight": {"9" * 40_000: 1.0}}, "spec", "class_weight"),
    ("huge batch size", {"batch_size": 10**4000}, "spec", ""),
    ("huge negative units", {"layers[0].units": -(10**300)}, "spec", "layers[0].units"),
    ("unicode loss", {"loss": UNICODE}, "spec", "loss: unknown loss"),
    ("unicode layer type", {"layers[0].type": "密集"}, "spec", "layers[0].type"),
]


def _hostile(task: CodingTask, changes: dict[str, Any]) -> dict[str, Any]:
    spec = valid_spec(task)
    for key, value in changes.items():
        if key.startswith("layers[0]."):
            name = key.removeprefix("layers[0].")
            if name == "q":
                spec["layers"][0]["q" * 40_000] = 1
            else:
                spec["layers"][0][name] = value
        else:
            spec[key] = value
    return spec


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    ("changes", "field", "mentions"),
    [pytest.param(c, f, m, id=case) for case, c, f, m in HOSTILE_SPECS],
)
def test_a_hostile_spec_gets_a_short_answer_naming_the_field(
    client: APIClient,
    handout_task: CodingTask,
    endpoint: str,
    changes: dict[str, Any],
    field: str,
    mentions: str,
) -> None:
    body = {"spec": _hostile(handout_task, changes)}
    response = post_raw(client, endpoint, json.dumps(body))
    assert_refused(response, field=field, mentions=mentions)


@pytest.mark.parametrize(
    ("case", "raw", "field"),
    [
        ("huge body key", json.dumps({"s" * 40_000: 1}), shorten("s" * 40_000, KEY_CHARS)),
        ("deep nesting", '{"spec": {"layers": ' + "[" * 600 + "]" * 600 + "}}", "spec"),
        ("very deep nesting", '{"spec": ' + "[" * 100_000 + "]" * 100_000 + "}", "body"),
        ("deep nesting of objects", '{"spec": ' + '{"a": ' * 900 + "1" + "}" * 900 + "}", "spec"),
        ("huge snippet name", json.dumps({"keras": "x" * 40_000 + " = 1\n"}), "keras"),
        ("huge snippet import", json.dumps({"keras": f"import {'y' * 40_000}\n"}), "keras"),
        ("huge snippet keyword", json.dumps({"keras": f"Dense(1, {'w' * 40_000}=2)\n"}), "keras"),
        ("NaN at the top", '{"spec": NaN}', "spec"),
        ("unicode snippet", json.dumps({"keras": "modèle = Séquentiel([Dense(1)])\n"}), "keras"),
    ],
)
def test_hostile_bodies_get_short_answers_naming_the_field(
    client: APIClient, handout_task: CodingTask, case: str, raw: str, field: str
) -> None:
    for endpoint in ENDPOINTS:
        assert_refused(post_raw(client, endpoint, raw), field=field)


def test_an_eighteen_thousand_character_value_is_quoted_in_at_most_about_100_characters(
    client: APIClient, handout_task: CodingTask
) -> None:
    body = {"spec": {**valid_spec(handout_task), "loss": "q" * HUGE}}
    error = assert_refused(post_raw(client, "submissions", json.dumps(body)), field="spec")
    assert error["message"].count("q") <= 100, error
