"""Editing questions outside the page: the form's round trip, the table test, the versions,
and how web edits meet the course files (``load_course`` keeps them, ``export_course`` writes
them back so that loading the files yields the same question)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from annquiz.courses.authoring.content import QuestionContent, content_of
from annquiz.courses.authoring.forms import question_forms
from annquiz.courses.authoring.services import question_edit
from annquiz.courses.authoring.table_test import table_run
from annquiz.courses.content import load_course
from annquiz.courses.errors import QuestionEditInvalid, TableTestFailed
from annquiz.courses.models import Question, QuestionVersion
from tests.annquiz.courses.authoring_forms import edit_form_data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "course"
EDITED_FIELDS = (
    "prompt_html",
    "hints_html",
    "explanation_html",
    "model_answer_html",
    "config",
    "markdown",
    "test_answers",
)


def _load(directory: Path, *args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("load_course", str(directory), *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "course"
    shutil.copytree(FIXTURES, copy)
    _load(copy)
    return copy


def _edited(question: Question, **markdown: str) -> QuestionContent:
    content = content_of(question)
    return QuestionContent(
        markdown={**content.markdown, **markdown},
        config=content.config,
        test_answers=content.test_answers,
    )


def _snapshot(key: str) -> dict[str, object]:
    question = Question.objects.get(key=key)
    return {name: getattr(question, name) for name in EDITED_FIELDS}


def test_every_question_of_the_course_comes_back_unchanged_from_its_form(
    course_copy: Path,
) -> None:
    questions = list(Question.objects.all())
    assert len(questions) >= 29
    for question in questions:
        forms = question_forms(question.kind, content_of(question), edit_form_data(question))
        assert forms.is_valid(), (question.key, [part.errors for part in forms.all()])
        content = forms.content(list(question.test_answers))
        assert content.config == question.config, question.key
        assert content.markdown == question.markdown, question.key
        assert content.test_answers == question.test_answers, question.key


def test_load_course_stores_each_questions_markdown_and_answer_table(course_copy: Path) -> None:
    question = Question.objects.get(key="q2-bias")
    assert question.markdown["prompt"] == "**Q2.** Why do we need a bias?"
    assert len(question.markdown["hints"]) == 2
    assert len(question.test_answers) >= 30
    assert {"kind", "expect", "text", "why"} <= set(question.test_answers[0])
    assert Question.objects.get(key="q6-high-loss").test_answers == []


def test_the_table_test_ignores_a_known_miss_unless_it_is_wrongly_passed() -> None:
    config = {
        "rubric": {
            "concepts": [
                {
                    "key": "over",
                    "label": "overfitting",
                    "weight": 1,
                    "claims": [{"term": ["@overfitting"], "as": "answer"}],
                }
            ]
        }
    }
    cases = [
        {"kind": "terse", "expect": "correct", "text": "Overfitting.", "why": "the term"},
        {"kind": "terse", "expect": "correct", "text": "Dropout.", "why": "x", "known": "miss"},
        {"kind": "negation", "expect": "incorrect", "text": "Overfitting.", "why": "y"},
        {
            "kind": "negation",
            "expect": "incorrect",
            "text": "Overfitting.",
            "why": "z",
            "known": "k",
        },
    ]
    failures = table_run("free_text", config, cases)
    assert [(f.index, f.got) for f in failures] == [(2, "correct"), (3, "correct")]


def test_a_good_edit_is_stored_with_a_version_naming_its_author(course_copy: Path) -> None:
    author = UserFactory.create()
    question = Question.objects.get(key="q2-bias")
    version = question_edit(
        question=question,
        content=_edited(question, prompt="**Q2.** What is the bias *for*?"),
        author=author,
    )
    question.refresh_from_db()
    assert question.prompt_html == "<p><strong>Q2.</strong> What is the bias <em>for</em>?</p>"
    assert question.edited_on_web_at is not None
    assert (version.number, version.author, version.question) == (1, author, question)
    assert version.content["markdown"]["prompt"] == "**Q2.** What is the bias *for*?"
    second = question_edit(question=question, content=_edited(question), author=author)
    assert second.number == 2


def test_a_rubric_that_breaks_a_test_answer_is_refused_and_nothing_is_stored(
    course_copy: Path,
) -> None:
    question = Question.objects.get(key="q2-bias")
    before = _snapshot("q2-bias")
    content = content_of(question)
    config = content.config
    for concept in config["rubric"]["concepts"]:
        for claim in concept["claims"]:
            claim["polarity"] = "negative"
    broken = QuestionContent(content.markdown, config, content.test_answers)
    with pytest.raises(TableTestFailed) as refused:
        question_edit(question=question, content=broken, author=UserFactory.create())
    assert refused.value.status_code == 422
    assert any(f.expect == "correct" and f.got != "correct" for f in refused.value.failures)
    assert _snapshot("q2-bias") == before
    assert not QuestionVersion.objects.exists()
    assert Question.objects.get(key="q2-bias").edited_on_web_at is None


def test_a_config_the_grader_refuses_names_its_path(course_copy: Path) -> None:
    question = Question.objects.get(key="q6-high-loss")
    content = content_of(question)
    config = {"choices": [{**c, "correct": True} for c in content.config["choices"]]}
    with pytest.raises(QuestionEditInvalid) as refused:
        question_edit(
            question=question,
            content=QuestionContent(content.markdown, config, []),
            author=UserFactory.create(),
        )
    assert refused.value.field == "config.choices"
    assert "exactly one" in refused.value.message


def test_load_course_keeps_a_web_edit_the_files_do_not_hold_until_forced(
    course_copy: Path,
) -> None:
    question = Question.objects.get(key="q2-bias")
    question_edit(
        question=question,
        content=_edited(question, prompt="Edited on the web."),
        author=UserFactory.create(),
    )
    edited = _snapshot("q2-bias")

    output = _load(course_copy)
    assert "kept the web edit of" in output and "q2-bias" in output
    assert _snapshot("q2-bias") == edited
    assert Question.objects.get(key="q2-bias").edited_on_web_at is not None

    output = _load(course_copy, "--force")
    assert "replaced the web edit by the files: q2-bias" in output
    question.refresh_from_db()
    assert question.markdown["prompt"] == "**Q2.** Why do we need a bias?"
    assert question.edited_on_web_at is None
    assert QuestionVersion.objects.filter(question=question).count() == 1  # history stays


def test_export_then_load_yields_the_same_question(course_copy: Path) -> None:
    untouched = {p.name: p.read_bytes() for p in (course_copy / "lessons").glob("*.md")}
    question = Question.objects.get(key="q2-bias")
    content = content_of(question)
    config = content.config
    config["rubric"]["contradictions"][0]["feedback"] = "Edited feedback: that is not its job."
    config["rubric"]["concepts"][0]["label"] = "that the bias shifts the output (edited)"
    markdown = {
        **content.markdown,
        "prompt": "**Q2.** Why does a neuron need a bias?\n\nSay what it changes.",
        "hints": [*content.markdown["hints"], "A third hint: picture $y = wx$."],
    }
    tests = [
        *content.test_answers,
        {
            "kind": "terse",
            "expect": "correct",
            "text": "It moves the output, like an intercept: yes.",
            "why": "added on the web",
        },
    ]
    question_edit(
        question=question,
        content=QuestionContent(markdown, config, tests),
        author=UserFactory.create(),
    )
    choice_question = Question.objects.get(key="q6-high-loss")
    choice_content = content_of(choice_question)
    choice_content.config["choices"][0]["text"] = "An edited option: no"
    question_edit(question=choice_question, content=choice_content, author=UserFactory.create())
    edited = {key: _snapshot(key) for key in ("q2-bias", "q6-high-loss")}

    out = io.StringIO()
    call_command("export_course", str(course_copy), stdout=out)
    assert "q2-bias -> lessons/03-ann-architecture.md" in out.getvalue()
    assert "q6-high-loss -> lessons/08-loss-convergence-and-epochs.md" in out.getvalue()

    changed = {
        name
        for name, text in untouched.items()
        if (course_copy / "lessons" / name).read_bytes() != text
    }
    assert changed == {"03-ann-architecture.md", "08-loss-convergence-and-epochs.md"}
    table = (course_copy / "answer_tables" / "q2-bias.yaml").read_text()
    assert table.startswith("# Lesson 03, Q2.")
    assert "known: " in table  # the known misses are written back with their reasons

    output = _load(course_copy)
    assert "kept the web edit" not in output
    for key, snapshot in edited.items():
        assert _snapshot(key) == snapshot, key
        assert Question.objects.get(key=key).edited_on_web_at is None
    assert "nothing changed" in _load(course_copy)
    reread = {q.key: q for lesson in load_course(course_copy).lessons for q in lesson.questions}
    assert reread["q2-bias"].test_answers[-1]["why"] == "added on the web"


def test_export_with_nothing_edited_writes_nothing(course_copy: Path) -> None:
    before = {p: p.read_bytes() for p in course_copy.rglob("*") if p.is_file()}
    out = io.StringIO()
    call_command("export_course", str(course_copy), stdout=out)
    assert "no question edited on the web" in out.getvalue()
    assert {p: p.read_bytes() for p in course_copy.rglob("*") if p.is_file()} == before


def test_the_versions_are_listed_read_only_in_the_admin(course_copy: Path) -> None:
    question = Question.objects.get(key="q6-high-loss")
    question_edit(question=question, content=content_of(question), author=UserFactory.create())
    client = Client()
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    listing = client.get(reverse("admin:courses_questionversion_changelist"))
    assert listing.status_code == 200 and "q6-high-loss" in listing.content.decode()
    assert client.get(reverse("admin:courses_questionversion_add")).status_code == 403
