"""``manage.py load_course``: idempotent upserts by natural keys, answers kept, clean errors."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from annquiz.courses.models import Answer, Course, Lesson, Question, QuestionProgress
from annquiz.courses.services import answer_submit
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

COURSE_YAML = """\
slug: mini
title: Mini course
description: A *small* course.
"""

LESSON_ONE = """\
---
slug: basics
title: The basics
order: 1
summary: Neurons.
questions:
  - key: pick-one
    kind: single_choice
    prompt: Which one?
    explanation: Because the handout says so.
    model_answer: The second one.
    max_attempts: 2
    config:
      choices:
        - {key: a, text: "First", correct: false, feedback: "No."}
        - {key: b, text: "Second", correct: true, feedback: "Yes."}
  - key: a-number
    kind: numeric
    prompt: How much?
    explanation: Half.
    model_answer: "0.5"
    config: {answer: 0.5, tolerance: 0.01, relative: false, unit: ""}
---
Some text about neurons.

[[question:pick-one]]

More text.

[[question:a-number]]
"""

LESSON_TWO = """\
---
slug: more
title: More
order: 2
summary: Later.
questions:
  - key: later
    kind: single_choice
    prompt: Later?
    explanation: Yes.
    model_answer: Yes.
    config:
      choices:
        - {key: y, text: "Yes", correct: true, feedback: "Right."}
        - {key: n, text: "No", correct: false, feedback: "Wrong."}
---
Text of the second lesson.

[[question:later]]
"""


def write_course(root: Path, lessons: dict[str, str] | None = None) -> Path:
    (root / "lessons").mkdir(parents=True, exist_ok=True)
    (root / "course.yaml").write_text(COURSE_YAML)
    for name, text in (lessons or {"01-basics.md": LESSON_ONE, "02-more.md": LESSON_TWO}).items():
        (root / "lessons" / name).write_text(text)
    return root


def load(directory: Path) -> str:
    out = io.StringIO()
    call_command("load_course", str(directory), stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int, int]:
    return (
        Course.objects.count(),
        Lesson.objects.count(),
        Question.objects.count(),
        Question.objects.filter(is_active=True).count(),
    )


def test_loading_twice_stores_the_same_rows_and_reports_nothing_changed(tmp_path: Path) -> None:
    directory = write_course(tmp_path / "course")
    first = load(directory)
    assert "questions: 3 created" in first
    assert counts() == (1, 2, 3, 3)
    ids = sorted(Question.objects.values_list("id", flat=True))

    second = load(directory)
    assert counts() == (1, 2, 3, 3)
    assert sorted(Question.objects.values_list("id", flat=True)) == ids
    assert "questions: 0 created, 0 updated, 3 unchanged, 0 deactivated" in second
    assert "nothing changed" in second


def test_loaded_content_is_rendered_and_placed(tmp_path: Path) -> None:
    load(write_course(tmp_path / "course"))
    course = Course.objects.get(slug="mini")
    assert "<em>small</em>" in course.description_html
    lesson = Lesson.objects.get(course=course, slug="basics")
    assert [b["type"] for b in lesson.blocks].count("question") == 2
    assert lesson.question_keys() == ["pick-one", "a-number"]
    question = Question.objects.get(key="pick-one")
    assert question.lesson == lesson
    assert question.max_attempts == 2
    assert question.config["choices"][1]["correct"] is True
    assert "The second one." in question.model_answer_html


def test_an_edit_updates_in_place_and_keeps_answers(tmp_path: Path) -> None:
    directory = write_course(tmp_path / "course")
    load(directory)
    question = Question.objects.get(key="pick-one")
    student = StudentFactory.create()
    answer = answer_submit(student=student, question=question, response={"choice": "a"})

    edited = LESSON_ONE.replace("Which one?", "Which one is right?").replace(
        "max_attempts: 2", "max_attempts: 4"
    )
    (directory / "lessons" / "01-basics.md").write_text(edited)
    output = load(directory)

    assert "questions: 0 created, 1 updated, 2 unchanged" in output
    question.refresh_from_db()
    assert "Which one is right?" in question.prompt_html
    assert question.max_attempts == 4
    assert Question.objects.get(key="pick-one").pk == question.pk
    assert Answer.objects.get(pk=answer.pk).question_id == question.pk
    assert QuestionProgress.objects.get(student=student, question=question).attempts_used == 1


def test_a_removed_question_is_deactivated_not_deleted(tmp_path: Path) -> None:
    directory = write_course(tmp_path / "course")
    load(directory)
    question = Question.objects.get(key="a-number")
    student = StudentFactory.create()
    answer_submit(student=student, question=question, response={"value": 0.5})

    without = LESSON_ONE.replace("\n[[question:a-number]]\n", "\n")
    without = without[: without.index("  - key: a-number")] + without[without.index("---\nSome") :]
    (directory / "lessons" / "01-basics.md").write_text(without)
    output = load(directory)

    assert "questions: 0 created, 0 updated, 2 unchanged, 1 deactivated" in output
    question.refresh_from_db()
    assert question.is_active is False
    assert Answer.objects.filter(question=question).count() == 1

    # Put back: the same row comes back to life.
    (directory / "lessons" / "01-basics.md").write_text(LESSON_ONE)
    output = load(directory)
    assert "questions: 0 created, 1 updated, 2 unchanged, 0 deactivated" in output
    question.refresh_from_db()
    assert question.is_active is True


def test_a_question_moved_to_another_lesson_keeps_its_row(tmp_path: Path) -> None:
    directory = write_course(tmp_path / "course")
    load(directory)
    before = Question.objects.get(key="later")
    later = LESSON_TWO[LESSON_TWO.index("  - key: later") : LESSON_TWO.index("---\nText")]
    one = LESSON_ONE.replace("---\nSome text", later + "---\nSome text")
    one = one.rstrip("\n") + "\n\n[[question:later]]\n"
    two = LESSON_TWO[: LESSON_TWO.index("questions:")] + "---\nNothing to ask.\n"
    write_course(directory, {"01-basics.md": one, "02-more.md": two})
    output = load(directory)
    assert "questions: 0 created, 1 updated, 2 unchanged, 0 deactivated" in output
    after = Question.objects.get(key="later")
    assert after.pk == before.pk
    assert after.lesson.slug == "basics"
    assert after.course_id == before.course_id


def test_a_removed_lesson_is_deactivated_with_its_questions(tmp_path: Path) -> None:
    directory = write_course(tmp_path / "course")
    load(directory)
    (directory / "lessons" / "02-more.md").unlink()
    output = load(directory)
    assert "lessons: 0 created, 0 updated, 1 unchanged, 1 deactivated" in output
    assert Lesson.objects.get(slug="more").is_active is False
    assert Question.objects.get(key="later").is_active is False


def test_a_broken_question_is_a_command_error_naming_file_and_line(tmp_path: Path) -> None:
    directory = write_course(tmp_path / "course")
    broken = LESSON_TWO.replace("    kind: single_choice\n", "")
    (directory / "lessons" / "02-more.md").write_text(broken)
    with pytest.raises(CommandError, match=r"02-more\.md:\d+: .*kind"):
        load(directory)
    assert counts() == (0, 0, 0, 0)


def test_a_broken_config_is_a_command_error_and_nothing_changes(tmp_path: Path) -> None:
    directory = write_course(tmp_path / "course")
    load(directory)
    before = list(Question.objects.order_by("key").values_list("key", "prompt_html", "config"))

    edited = LESSON_TWO.replace("Later?", "Changed?").replace("correct: true", "correct: false")
    write_course(
        directory,
        {"01-basics.md": LESSON_ONE.replace("How much?", "Changed?"), "02-more.md": edited},
    )
    with pytest.raises(CommandError, match=r"02-more\.md:\d+: "):
        load(directory)
    after = list(Question.objects.order_by("key").values_list("key", "prompt_html", "config"))
    assert after == before


def test_a_missing_directory_is_a_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not a directory"):
        load(tmp_path / "nowhere")


@pytest.mark.skipif(
    not (Path(settings.BASE_DIR) / "fixtures" / "course" / "course.yaml").exists(),
    reason="the course content is not in fixtures/course yet",
)
def test_the_shipped_course_loads_twice_without_change(tmp_path: Path) -> None:
    copy = tmp_path / "course"
    shutil.copytree(Path(settings.BASE_DIR) / "fixtures" / "course", copy)
    load(copy)
    first = counts()
    assert first[1] >= 10
    assert "nothing changed" in load(copy)
    assert counts() == first
