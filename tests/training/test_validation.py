"""The path-reporting validation of hand-written mappings shared by every parser."""

from __future__ import annotations

from typing import NoReturn

import pytest

from training.validation import as_mapping, check_known_keys, check_required_keys, join_path


class Problem(ValueError):
    pass


def fail(path: str, reason: str) -> NoReturn:
    raise Problem(f"{path}: {reason}")


def test_paths_join_keys_and_indices_and_start_at_the_root() -> None:
    assert join_path("", "layers") == "layers"
    assert join_path("layers", 2) == "layers[2]"
    assert join_path("layers[2]", "units") == "layers[2].units"


def test_a_mapping_with_text_keys_is_returned_and_anything_else_is_named() -> None:
    data = {"a": 1}
    assert as_mapping(data, "x", fail=fail, not_a_mapping=repr, key_not_text=repr) is data
    with pytest.raises(Problem, match=r"^x: \[1\]$"):
        as_mapping([1], "x", fail=fail, not_a_mapping=repr, key_not_text=repr)
    with pytest.raises(Problem, match=r"^x: key 3$"):
        as_mapping({3: 1}, "x", fail=fail, not_a_mapping=repr, key_not_text=lambda k: f"key {k}")


def test_a_dict_can_be_required_instead_of_any_mapping() -> None:
    from types import MappingProxyType

    with pytest.raises(Problem, match="not a dict"):
        as_mapping(
            MappingProxyType({"a": 1}),
            "",
            fail=fail,
            not_a_mapping=lambda _: "not a dict",
            key_not_text=repr,
            kind=dict,
        )


def test_unknown_and_missing_keys_are_named_by_their_path() -> None:
    with pytest.raises(Problem, match=r"^spec\.lr: unknown lr$"):
        check_known_keys(
            {"epochs": 1, "lr": 0.1},
            "spec",
            ("epochs",),
            fail=fail,
            unknown=lambda k: f"unknown {k}",
        )
    with pytest.raises(Problem, match=r"^loss: needs loss$"):
        check_required_keys(
            {"epochs": 1}, "", ("epochs", "loss"), fail=fail, missing=lambda k: f"needs {k}"
        )
    check_known_keys({"epochs": 1}, "", ("epochs",), fail=fail, unknown=str)
    check_required_keys({"epochs": 1}, "", ("epochs",), fail=fail, missing=str)
