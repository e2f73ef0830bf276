"""Reading a submitted solution, a Keras snippet or a JSON spec, into its spec."""

from __future__ import annotations

import pytest

from training.errors import SpecError
from training.solutions import parse_solution


def test_parse_solution_reads_both_kinds_and_names_bad_input() -> None:
    spec = parse_solution(
        "json",
        '{"layers": [{"type": "dense", "units": 1, "input_dim": 3}], "loss": "mse"}',
    )
    assert spec.input_shape == (3,)
    with pytest.raises(SpecError) as error:
        parse_solution("json", '{"layers": [}')
    assert str(error.value).startswith("line 1: not valid JSON")
    with pytest.raises(SpecError) as error:
        parse_solution("keras", "model = Sequential([Dense(4, input_dim=3)]\n")
    assert str(error.value).startswith("line 1")
    with pytest.raises(ValueError, match="unknown solution kind"):
        parse_solution("yaml", "")
