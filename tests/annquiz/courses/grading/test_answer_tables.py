"""The answer tables: how a strict but fair teacher grades each free-text question.

Every free-text question of the course has a table in
``fixtures/course/answer_tables/<question-key>.yaml``, stored with the question by
``load_course`` and run on every edit made on the web (docs/questions.md): answers that
must be graded ``correct`` (the handout's answer, paraphrases in other words, terse claims,
misspellings and British or American spellings, long discursive answers) and answers that
must not be (bare keyword lists, negated or reversed claims, answers that state
the right thing and its opposite, right words in a text about something else, the prompt
pasted back, right words hidden in wrong claims, a different concept, half an answer).

A concept is credited only when the answer states it as a claim with the right polarity and
relation: a list of words states nothing and earns nothing, whatever words it lists. For
questions with a choice part each case names the choice it sends; the choice part alone
(``choice_weight``) makes a ``partial`` at most, and a wrong choice is never ``correct``.

Each case asserts its exact verdict. ``table_agreement()`` counts, per question and per
category, how many cases the engine grades as the table expects.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from annquiz.courses.content import CourseDef, QuestionDef, load_course
from annquiz.courses.grading import Grade, grade

COURSE_DIR = Path(__file__).resolve().parents[4] / "fixtures" / "course"
TABLE_DIR = COURSE_DIR / "answer_tables"

PASS_KINDS = frozenset({"model-answer", "paraphrase", "terse", "spelling", "long-right"})
FAIL_KINDS = frozenset(
    {
        "keyword-dump",
        "negation",
        "reversal",
        "contradiction",
        "off-topic",
        "question-copy",
        "hidden",
        "wrong-concept",
        "partial",
    }
)
# Only for questions with a choice part: the right explanation sent with a wrong choice.
EXTRA_FAIL_KINDS = frozenset({"wrong-choice"})
VERDICTS = frozenset({"correct", "partial", "incorrect"})
MIN_EACH_SIDE = 15


@dataclass(frozen=True)
class Case:
    question: str
    index: int
    text: str
    expect: str
    kind: str
    why: str
    choice: str | None
    known: str | None = None  # why the grader is known to get this answer wrong

    @property
    def id(self) -> str:
        return f"{self.question}-{self.index:02d}-{self.kind}"


@dataclass
class Agreement:
    """How many of a question's cases the engine grades as the table expects.

    ``by_kind`` maps a category to (agreeing, total). ``false_pass`` counts answers graded
    ``correct`` that must not be; ``false_fail`` counts right answers not graded ``correct``.
    """

    agree: int = 0
    total: int = 0
    false_pass: int = 0
    false_fail: int = 0
    by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)


def load_tables(directory: Path = TABLE_DIR) -> dict[str, list[Case]]:
    """Every table in ``directory`` by question key, each entry checked for its shape."""
    tables: dict[str, list[Case]] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        key = data["question"]
        assert path.stem == key, f"{path.name} holds the table of {key!r}"
        cases = []
        for index, entry in enumerate(data["cases"]):
            unknown = set(entry) - {"text", "expect", "kind", "why", "choice", "known"}
            assert not unknown, f"{path.name} case {index}: unknown keys {sorted(unknown)}"
            assert isinstance(entry.get("text"), str), f"{path.name} case {index}: no text"
            assert entry.get("why"), f"{path.name} case {index}: no why"
            cases.append(
                Case(
                    question=key,
                    index=index,
                    text=entry["text"],
                    expect=entry["expect"],
                    kind=entry["kind"],
                    why=entry["why"],
                    choice=entry.get("choice"),
                    known=entry.get("known"),
                )
            )
        tables[key] = cases
    return tables


def free_text_questions(course: CourseDef) -> dict[str, QuestionDef]:
    return {
        q.key: q for lesson in course.lessons for q in lesson.questions if q.kind == "free_text"
    }


def grade_case(question: QuestionDef, case: Case) -> Grade:
    response: dict[str, Any] = {"text": case.text}
    if case.choice is not None:
        response["choice"] = case.choice
    return grade(question.kind, question.config, response)


def table_agreement(
    course: CourseDef | None = None, tables: dict[str, list[Case]] | None = None
) -> dict[str, Agreement]:
    """Per question, how many cases get exactly the expected verdict (overall and by kind)."""
    course = course or load_course(COURSE_DIR)
    tables = tables if tables is not None else load_tables()
    questions = free_text_questions(course)
    result: dict[str, Agreement] = {}
    for key, cases in tables.items():
        agree: Counter[str] = Counter()
        total: Counter[str] = Counter()
        false_pass = false_fail = 0
        for case in cases:
            verdict = grade_case(questions[key], case).verdict
            total[case.kind] += 1
            agree[case.kind] += verdict == case.expect
            false_pass += verdict == "correct" and case.expect != "correct"
            false_fail += case.expect == "correct" and verdict != "correct"
        result[key] = Agreement(
            agree=sum(agree.values()),
            total=sum(total.values()),
            false_pass=false_pass,
            false_fail=false_fail,
            by_kind={kind: (agree[kind], total[kind]) for kind in sorted(total)},
        )
    return result


TABLES = load_tables()
CASES = [case for cases in TABLES.values() for case in cases]


@pytest.fixture(scope="module")
def course() -> CourseDef:
    return load_course(COURSE_DIR)


def test_every_free_text_question_has_a_table(course: CourseDef) -> None:
    keys = set(free_text_questions(course))
    assert keys == set(TABLES), {
        "without a table": sorted(keys - set(TABLES)),
        "table of no free-text question": sorted(set(TABLES) - keys),
    }


@pytest.mark.parametrize("key", sorted(TABLES))
def test_a_table_is_complete(course: CourseDef, key: str) -> None:
    question = free_text_questions(course)[key]
    cases = TABLES[key]
    choices = {c["key"]: bool(c.get("correct")) for c in question.config.get("choices", [])}
    allowed = PASS_KINDS | FAIL_KINDS | (EXTRA_FAIL_KINDS if choices else frozenset())
    for case in cases:
        assert case.kind in allowed, (case.id, case.kind)
        assert case.expect in VERDICTS, (case.id, case.expect)
        if case.kind in PASS_KINDS:
            assert case.expect == "correct", (case.id, "a pass-side kind must expect correct")
        else:
            assert case.expect != "correct", (case.id, "a fail-side kind must not expect correct")
        if case.kind == "partial":
            assert case.expect == "partial", (case.id, "half an answer is partial")
        if choices:
            assert case.choice in choices, (case.id, "name one of the choices", sorted(choices))
            if case.expect == "correct":
                assert choices[case.choice], (case.id, "a wrong choice is never correct")
        else:
            assert case.choice is None, (case.id, "this question has no choice part")
    kinds = Counter(case.kind for case in cases)
    missing = sorted((PASS_KINDS | FAIL_KINDS) - set(kinds))
    assert not missing, f"{key}: no case of {missing}"
    passing = sum(1 for case in cases if case.expect == "correct")
    assert passing >= MIN_EACH_SIDE, f"{key}: {passing} answers expected correct"
    assert len(cases) - passing >= MIN_EACH_SIDE, f"{key}: {len(cases) - passing} not correct"
    texts = Counter((case.text, case.choice) for case in cases)
    assert not [t for t, n in texts.items() if n > 1], f"{key}: duplicate cases"


# Answers the grader still gets wrong carry ``known: <reason>`` in their table; none is a
# wrong answer graded correct (checked below for every case). Strict: one that starts passing
# fails the run, so the list only ever shrinks.
def _expected_to_agree(case: Case) -> object:
    if case.known is None:
        return case
    return pytest.param(case, marks=pytest.mark.xfail(reason=case.known, strict=True), id=case.id)


def test_no_wrong_answer_is_graded_correct(course: CourseDef) -> None:
    questions = free_text_questions(course)
    false_passes = [
        case.id
        for case in CASES
        if case.expect != "correct"
        and grade_case(questions[case.question], case).verdict == "correct"
    ]
    assert false_passes == []


def test_the_grader_agrees_with_the_teacher_on_at_least_95_percent(course: CourseDef) -> None:
    questions = free_text_questions(course)
    agree = sum(grade_case(questions[c.question], c).verdict == c.expect for c in CASES)
    assert agree / len(CASES) >= 0.95, f"{agree}/{len(CASES)}"


@pytest.mark.parametrize(
    "case", [_expected_to_agree(case) for case in CASES], ids=[case.id for case in CASES]
)
def test_an_answer_gets_the_teachers_verdict(course: CourseDef, case: Case) -> None:
    result = grade_case(free_text_questions(course)[case.question], case)
    assert result.verdict == case.expect, (
        f"\n  question: {case.question} ({case.kind}: {case.why})"
        f"\n  text:     {case.text!r}"
        + (f"\n  choice:   {case.choice}" if case.choice is not None else "")
        + f"\n  expected: {case.expect}\n  got:      {result.verdict} (score {result.score:.2f})"
        f"\n  feedback: {result.feedback}"
    )
