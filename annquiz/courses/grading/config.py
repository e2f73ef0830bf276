"""Question configs: checked into typed form, and the part a student may see before answering.

Every problem raises ``ConfigError(path, message)`` with a path into the config such as
``choices[1].key`` or ``rubric.concepts[2].weight``. The config shapes are documented in
``docs/questions.md``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from annquiz.courses.grading.base import QUESTION_KINDS, memoized_by_json
from annquiz.courses.grading.claims import (
    TERM_MODES,
    Claim,
    Helpers,
    PhraseCompiler,
    PhraseSet,
    Vocabulary,
    covers,
    known_words,
)
from annquiz.courses.grading.errors import ConfigError
from annquiz.courses.grading.variants import expects_vector, validate_parametrized
from annquiz.courses.grading.vocabulary import SHARED_TERMS
from training.validation import as_mapping, check_known_keys, check_required_keys, join_path

__all__ = [
    "ChoiceOption",
    "Concept",
    "Contradiction",
    "FreeTextConfig",
    "NumericConfig",
    "parse_choices",
    "parse_free_text",
    "parse_numeric",
    "public_config",
    "validate_config",
]

_KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,39}")
MAX_PHRASES = 200
MAX_PHRASE_LENGTH = 200
MAX_CLAIMS = 40
_TERM_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
DEFAULT_CHOICE_WEIGHT = 0.3
DEFAULT_PASS_THRESHOLD = 0.7


@dataclass(frozen=True)
class ChoiceOption:
    key: str
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class NumericConfig:
    answer: float
    tolerance: float
    relative: bool
    unit: str
    partial_tolerance: float | None
    partial_score: float


@dataclass(frozen=True)
class Concept:
    key: str
    label: str
    weight: float
    claims: tuple[Claim, ...]
    missing: str


@dataclass(frozen=True)
class Contradiction:
    key: str
    label: str
    penalty: float
    claims: tuple[Claim, ...]
    feedback: str


@dataclass(frozen=True)
class FreeTextConfig:
    choices: tuple[ChoiceOption, ...]
    choice_weight: float
    concepts: tuple[Concept, ...]
    contradictions: tuple[Contradiction, ...]
    pass_threshold: float
    helpers: Helpers  # @act, @helps, @harms, @answer_before, @answer_after: term claims
    known: frozenset[str]  # the vocabulary's own words, never read as another's slip


# --- small checkers ---------------------------------------------------------------------------


def _fail(path: str, message: str) -> NoReturn:
    raise ConfigError(path, message)


def _mapping(value: object, path: str, what: str) -> Mapping[str, Any]:
    return as_mapping(
        value,
        path,
        fail=_fail,
        not_a_mapping=lambda bad: f"{what} must be a mapping, got {_type(bad)}",
        key_not_text=lambda key: f"{what} has a key that is not text: {key!r}",
    )


def _type(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _keys(
    value: Mapping[str, Any],
    path: str,
    *,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    what: str,
) -> None:
    allowed = (*required, *optional)
    check_known_keys(
        value,
        path,
        allowed,
        fail=_fail,
        unknown=lambda _: f"unknown key in {what}; allowed: {', '.join(allowed)}",
    )
    check_required_keys(
        value, path, required, fail=_fail, missing=lambda _: f"is required in {what}"
    )


def _text(value: object, path: str, *, max_length: int = 2000) -> str:
    if not isinstance(value, str):
        raise ConfigError(path, f"must be text, got {_type(value)}")
    if not value.strip():
        raise ConfigError(path, "must not be empty")
    if len(value) > max_length:
        raise ConfigError(path, f"is longer than {max_length:,} characters")
    return value.strip()


def _optional_text(value: object, path: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(path, f"must be text, got {_type(value)}")
    return value.strip()


def _key(value: object, path: str) -> str:
    if not isinstance(value, str) or not _KEY_RE.fullmatch(value):
        raise ConfigError(
            path,
            f"must be a short key of letters, digits, '_' or '-' (at most 40), got {value!r}",
        )
    return value


def _number(
    value: object,
    path: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(path, f"must be a number, got {_type(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(path, f"must be a finite number, got {value!r}")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ConfigError(path, f"must be in {left}{lo}, {hi}{right}, got {value!r}")
    return number


def _boolean(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(path, f"must be true or false, got {value!r}")
    return value


def _list(value: object, path: str, *, what: str, min_items: int = 1) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise ConfigError(path, f"must be a list of {what}, got {_type(value)}")
    if len(value) < min_items:
        raise ConfigError(path, f"needs at least {min_items} {what}, got {len(value)}")
    return list(value)


def _phrases(value: object, path: str, compiler: PhraseCompiler) -> PhraseSet:
    items = _list(value, path, what="phrases")
    if len(items) > MAX_PHRASES:
        raise ConfigError(path, f"has more than {MAX_PHRASES} phrases")
    texts = [
        _text(item, join_path(path, index), max_length=MAX_PHRASE_LENGTH)
        for index, item in enumerate(items)
    ]
    for index, text in enumerate(texts):
        try:
            compiler.compile([text])
        except ValueError as exc:
            raise ConfigError(join_path(path, index), str(exc)) from None
    return compiler.compile(texts)


_POLARITIES = ("positive", "negative")


def _claim(value: object, path: str, compiler: PhraseCompiler, label: str) -> Claim:
    item = _mapping(value, path, "a claim")
    if "term" in item:
        _keys(
            item, path, required=("term",), optional=("as", "polarity", "says"),
            what="a term claim",
        )  # fmt: skip
    else:
        _keys(
            item, path, required=("subject", "predicate"), optional=("polarity", "says"),
            what="a claim (give subject and predicate, or a term)",
        )  # fmt: skip
    polarity = item.get("polarity", "positive")
    if polarity not in _POLARITIES:
        raise ConfigError(
            join_path(path, "polarity"), f"must be positive or negative, got {polarity!r}"
        )
    says = _optional_text(item.get("says"), join_path(path, "says")) or label
    negative = polarity == "negative"
    if "term" in item:
        mode = item.get("as", "answer")
        if mode not in TERM_MODES:
            raise ConfigError(
                join_path(path, "as"), f"must be one of {', '.join(TERM_MODES)}, got {mode!r}"
            )
        return Claim(
            says=says,
            term=_phrases(item["term"], join_path(path, "term"), compiler),
            mode=mode,
            negative=negative,
        )
    return Claim(
        says=says,
        subject=_phrases(item["subject"], join_path(path, "subject"), compiler),
        predicate=_phrases(item["predicate"], join_path(path, "predicate"), compiler),
        negative=negative,
    )


def _claims(value: object, path: str, compiler: PhraseCompiler, label: str) -> tuple[Claim, ...]:
    items = _list(value, path, what="claims")
    if len(items) > MAX_CLAIMS:
        raise ConfigError(path, f"has more than {MAX_CLAIMS} claims")
    return tuple(
        _claim(item, join_path(path, index), compiler, label) for index, item in enumerate(items)
    )


def _terms(value: object, path: str) -> dict[str, list[str]]:
    """The rubric's own synonym sets, checked; they add to or replace the shared ones."""
    terms = _mapping(value, path, "terms")
    result: dict[str, list[str]] = {}
    for name, items in terms.items():
        name_path = join_path(path, name)
        if not _TERM_NAME_RE.fullmatch(name):
            raise ConfigError(
                name_path, "a term name is lower-case letters, digits and '_' (at most 40)"
            )
        phrases = _list(items, name_path, what="phrases")
        if len(phrases) > MAX_PHRASES:
            raise ConfigError(name_path, f"has more than {MAX_PHRASES} phrases")
        result[name] = [
            _text(item, join_path(name_path, index), max_length=MAX_PHRASE_LENGTH)
            for index, item in enumerate(phrases)
        ]
    return result


def _about_topic(
    claims: tuple[Claim, ...], topic: list[str], known: frozenset[str]
) -> tuple[Claim, ...]:
    """The claims, each marked whether its subject is the question's topic: a sentence that
    opens with a predicate ("Shifts the output.") is about the topic."""
    return tuple(
        replace(
            claim,
            about_topic=claim.subject is not None
            and any(covers(claim.subject, text, known) for text in topic),
        )
        for claim in claims
    )


def _vocabulary(own: dict[str, list[str]], path: str) -> tuple[Vocabulary, PhraseCompiler]:
    vocabulary: dict[str, Any] = {**SHARED_TERMS, **own}
    compiler = PhraseCompiler(vocabulary)
    for name in own:
        try:
            compiler.named_set(name)
        except ValueError as exc:
            raise ConfigError(join_path(path, name), str(exc)) from None
    return vocabulary, compiler


# --- per kind ---------------------------------------------------------------------------------


def _choice_list(value: object, path: str) -> tuple[ChoiceOption, ...]:
    items = _list(value, path, what="choices", min_items=2)
    options: list[ChoiceOption] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        item_path = join_path(path, index)
        choice = _mapping(item, item_path, "a choice")
        _keys(
            choice, item_path, required=("key", "text"), optional=("correct", "feedback"),
            what="a choice",
        )  # fmt: skip
        key = _key(choice["key"], join_path(item_path, "key"))
        if key in seen:
            raise ConfigError(join_path(item_path, "key"), f"duplicate choice key {key!r}")
        seen.add(key)
        options.append(
            ChoiceOption(
                key=key,
                text=_text(choice["text"], join_path(item_path, "text")),
                correct=_boolean(choice.get("correct", False), join_path(item_path, "correct")),
                feedback=_optional_text(choice.get("feedback"), join_path(item_path, "feedback")),
            )
        )
    return tuple(options)


def _exactly_one_correct(options: tuple[ChoiceOption, ...], path: str) -> None:
    correct = [option.key for option in options if option.correct]
    if len(correct) != 1:
        found = ", ".join(correct) if correct else "none"
        raise ConfigError(path, f"exactly one choice must be correct (correct: {found})")


def parse_choices(kind: str, config: Mapping[str, Any]) -> tuple[ChoiceOption, ...]:
    """The options of a single_choice or multiple_choice config."""
    if kind == "single_choice":
        return _parse_single(config)
    return _parse_multiple(config)


def _choices_of(kind: str, config: Mapping[str, Any]) -> tuple[ChoiceOption, ...]:
    root = _mapping(config, "", "the config")
    _keys(root, "", required=("choices",), what=f"a {kind} config")
    return _choice_list(root["choices"], "choices")


@memoized_by_json
def _parse_single(config: Mapping[str, Any]) -> tuple[ChoiceOption, ...]:
    options = _choices_of("single_choice", config)
    _exactly_one_correct(options, "choices")
    return options


@memoized_by_json
def _parse_multiple(config: Mapping[str, Any]) -> tuple[ChoiceOption, ...]:
    options = _choices_of("multiple_choice", config)
    if not any(option.correct for option in options):
        raise ConfigError("choices", "at least one choice must be correct")
    return options


@memoized_by_json
def parse_numeric(config: Mapping[str, Any]) -> NumericConfig:
    root = _mapping(config, "", "the config")
    _keys(
        root, "", required=("answer", "tolerance"),
        optional=("relative", "unit", "partial_tolerance", "partial_score"),
        what="a numeric config",
    )  # fmt: skip
    answer = _number(root["answer"], "answer")
    tolerance = _number(root["tolerance"], "tolerance", low=0.0)
    relative = _boolean(root.get("relative", False), "relative")
    if relative and tolerance >= 1:
        raise ConfigError("tolerance", "a relative tolerance must be below 1 (0.01 is 1 %)")
    unit = _optional_text(root.get("unit", ""), "unit")
    partial_tolerance: float | None = None
    if "partial_tolerance" in root:
        partial_tolerance = _number(root["partial_tolerance"], "partial_tolerance", low=0.0)
        if partial_tolerance <= tolerance:
            raise ConfigError("partial_tolerance", f"must be larger than tolerance ({tolerance:g})")
    elif "partial_score" in root:
        raise ConfigError("partial_score", "needs partial_tolerance as well")
    partial_score = _number(
        root.get("partial_score", 0.5), "partial_score", low=0.0, high=1.0, low_open=True,
        high_open=True,
    )  # fmt: skip
    return NumericConfig(answer, tolerance, relative, unit, partial_tolerance, partial_score)


def _concept(value: object, path: str, compiler: PhraseCompiler) -> Concept:
    item = _mapping(value, path, "a concept")
    _keys(
        item, path, required=("key", "label", "weight", "claims"), optional=("missing",),
        what="a concept",
    )  # fmt: skip
    label = _text(item["label"], join_path(path, "label"), max_length=200)
    return Concept(
        key=_key(item["key"], join_path(path, "key")),
        label=label,
        weight=_number(item["weight"], join_path(path, "weight"), low=0.0, low_open=True),
        claims=_claims(item["claims"], join_path(path, "claims"), compiler, label),
        missing=_optional_text(item.get("missing"), join_path(path, "missing")),
    )


def _contradiction(value: object, path: str, compiler: PhraseCompiler) -> Contradiction:
    item = _mapping(value, path, "a contradiction")
    _keys(
        item, path, required=("key", "label", "penalty", "claims"), optional=("feedback",),
        what="a contradiction",
    )  # fmt: skip
    label = _text(item["label"], join_path(path, "label"), max_length=200)
    return Contradiction(
        key=_key(item["key"], join_path(path, "key")),
        label=label,
        penalty=_number(
            item["penalty"], join_path(path, "penalty"), low=0.0, high=1.0, low_open=True
        ),
        claims=_claims(item["claims"], join_path(path, "claims"), compiler, label),
        feedback=_optional_text(item.get("feedback"), join_path(path, "feedback")),
    )


@memoized_by_json
def parse_free_text(config: Mapping[str, Any]) -> FreeTextConfig:
    root = _mapping(config, "", "the config")
    _keys(
        root, "", required=("rubric",), optional=("choices", "choice_weight"),
        what="a free_text config",
    )  # fmt: skip
    choices: tuple[ChoiceOption, ...] = ()
    if "choices" in root:
        choices = _choice_list(root["choices"], "choices")
        _exactly_one_correct(choices, "choices")
        choice_weight = _number(
            root.get("choice_weight", DEFAULT_CHOICE_WEIGHT), "choice_weight", low=0.0,
            high=1.0, high_open=True,
        )  # fmt: skip
    elif "choice_weight" in root:
        raise ConfigError("choice_weight", "is only used together with choices")
    else:
        choice_weight = 0.0

    rubric = _mapping(root["rubric"], "rubric", "the rubric")
    _keys(
        rubric, "rubric", required=("concepts",),
        optional=("terms", "topic", "contradictions", "pass_threshold"), what="the rubric",
    )  # fmt: skip
    own_terms = _terms(rubric.get("terms", {}), "rubric.terms")
    vocabulary, compiler = _vocabulary(own_terms, "rubric.terms")
    concepts = tuple(
        _concept(item, f"rubric.concepts[{index}]", compiler)
        for index, item in enumerate(_list(rubric["concepts"], "rubric.concepts", what="concepts"))
    )
    raw_contradictions = rubric.get("contradictions", [])
    contradictions = tuple(
        _contradiction(item, f"rubric.contradictions[{index}]", compiler)
        for index, item in enumerate(
            _list(raw_contradictions, "rubric.contradictions", what="contradictions", min_items=0)
        )
    )
    known = known_words(vocabulary)
    topic = [
        _text(item, join_path("rubric.topic", index), max_length=MAX_PHRASE_LENGTH)
        for index, item in enumerate(
            _list(rubric.get("topic", []), "rubric.topic", what="phrases", min_items=0)
        )
    ]
    if topic:
        concepts = tuple(replace(c, claims=_about_topic(c.claims, topic, known)) for c in concepts)
        contradictions = tuple(
            replace(c, claims=_about_topic(c.claims, topic, known)) for c in contradictions
        )
    seen: set[str] = set()
    keyed = [("concepts", index, c.key) for index, c in enumerate(concepts)]
    keyed += [("contradictions", index, c.key) for index, c in enumerate(contradictions)]
    for section, index, key in keyed:
        if key in seen:
            raise ConfigError(
                f"rubric.{section}[{index}].key",
                f"duplicate key {key!r} (concept and contradiction keys are unique)",
            )
        seen.add(key)
    pass_threshold = _number(
        rubric.get("pass_threshold", DEFAULT_PASS_THRESHOLD), "rubric.pass_threshold",
        low=0.0, high=1.0, low_open=True,
    )  # fmt: skip
    return FreeTextConfig(
        choices,
        choice_weight,
        concepts,
        contradictions,
        pass_threshold,
        helpers=Helpers(
            action=compiler.compile(["@act"]),
            helps=compiler.compile(["@helps"]),
            harms=compiler.compile(["@harms"]),
            answer_before=compiler.compile(["@answer_before"]),
            answer_after=compiler.compile(["@answer_after"]),
            reported=compiler.compile(["@reported"]),
        ),
        known=known,
    )


# --- public API -------------------------------------------------------------------------------


def _check_kind(kind: object) -> str:
    if not isinstance(kind, str) or kind not in QUESTION_KINDS:
        raise ConfigError(
            "kind", f"unknown question kind {kind!r}; one of {', '.join(QUESTION_KINDS)}"
        )
    return kind


def validate_config(kind: str, config: Mapping[str, Any]) -> None:
    """Raise ``ConfigError(path, message)`` unless ``config`` is a valid config for ``kind``."""
    kind = _check_kind(kind)
    if kind in ("single_choice", "multiple_choice"):
        parse_choices(kind, config)
    elif kind == "numeric":
        parse_numeric(config)
    elif kind == "free_text":
        parse_free_text(config)
    else:
        validate_parametrized(config)


def _public_choices(options: tuple[ChoiceOption, ...]) -> list[dict[str, str]]:
    return [{"key": option.key, "text": option.text} for option in options]


def public_config(kind: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """What a student may see before answering, in one shape for every kind.

    ``{"kind", "choices": [{"key", "text"}], "multiple": bool, "has_choice": bool,
    "has_text": bool, "has_value": bool, "vector": bool, "unit": str, "fields": [...]}``;
    ``fields`` lists the response fields to send. Never the correct choices, their feedback,
    the rubric, the answer or the tolerance. Raises ConfigError for a broken config.
    """
    kind = _check_kind(kind)
    validate_config(kind, config)
    result: dict[str, Any] = {
        "kind": kind,
        "choices": [],
        "multiple": False,
        "has_choice": False,
        "has_text": False,
        "has_value": False,
        "vector": False,
        "unit": "",
        "fields": [],
    }
    if kind in ("single_choice", "multiple_choice"):
        multiple = kind == "multiple_choice"
        result.update(
            choices=_public_choices(parse_choices(kind, config)),
            multiple=multiple,
            has_choice=True,
            fields=["choices" if multiple else "choice"],
        )
    elif kind == "numeric":
        result.update(has_value=True, unit=parse_numeric(config).unit, fields=["value"])
    elif kind == "free_text":
        parsed = parse_free_text(config)
        result.update(has_text=True, fields=["text"])
        if parsed.choices:
            result.update(
                choices=_public_choices(parsed.choices),
                has_choice=True,
                fields=["choice", "text"],
            )
    else:
        vector = expects_vector(config)
        result.update(
            has_value=True,
            vector=vector,
            unit=str(config.get("unit", "")).strip(),
            fields=["values" if vector else "value"],
        )
    return result
