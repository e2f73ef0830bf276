"""What the lesson page says about an answer, a score and a question: each word true to what it
describes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client

from annquiz.courses.lesson_cache import LESSON_PAGES_CACHE
from annquiz.courses.models import Course, Lesson, Question, QuestionKind
from tests.annquiz.courses.factories import (
    CourseFactory,
    LessonFactory,
    QuestionFactory,
    free_text_config,
)
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_page_cache() -> None:
    caches[LESSON_PAGES_CACHE].clear()


@pytest.fixture
def lesson() -> Lesson:
    course: Course = CourseFactory.create(slug="ann", title="ANN course")
    lesson: Lesson = LessonFactory.create(course=course, slug="basics", title="The basics", order=1)
    return lesson


@pytest.fixture
def essay(lesson: Lesson) -> Question:
    question: Question = QuestionFactory.create(
        lesson=lesson,
        key="essay",
        kind=QuestionKind.FREE_TEXT,
        config=free_text_config(),
        max_attempts=3,
    )
    return question


@pytest.fixture
def alice() -> User:
    user: User = StudentFactory.create(username="alice")
    return user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def lesson_url(lesson: Lesson) -> str:
    return f"/courses/{lesson.course.slug}/lessons/{lesson.slug}/"


def answer(client: Client, question: Question, data: dict[str, Any]) -> str:
    response = client.post(f"{lesson_url(question.lesson)}questions/{question.key}/answer/", data)
    assert response.status_code == 302
    return str(client.get(lesson_url(question.lesson)).content.decode())


def verdict_line(page: str) -> str:
    match = re.search(r'<p class="verdict-line">(.*?)</p>', page, re.DOTALL)
    assert match is not None, "no verdict on the page"
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).replace("&nbsp;", " ").split())


def test_an_answer_below_the_pass_threshold_is_partially_correct(
    alice: User, essay: Question
) -> None:
    page = answer(client_for(alice), essay, {"text": "It overfits: it memorizes the data."})
    assert 'data-verdict="partial"' in page
    assert verdict_line(page).startswith("Partially correct · score 60 %")


def test_a_full_marks_answer_is_correct(alice: User, essay: Question) -> None:
    text = "It overfits, memorizing noise; dropout or early stopping help."
    line = verdict_line(answer(client_for(alice), essay, {"text": text}))
    assert line.startswith("Correct · score 100 %"), line


def test_an_answer_that_passes_below_full_marks_is_not_called_correct(
    alice: User, lesson: Lesson
) -> None:
    config = free_text_config()
    config["rubric"]["pass_threshold"] = 0.5
    question: Question = QuestionFactory.create(
        lesson=lesson, key="lenient", kind=QuestionKind.FREE_TEXT, config=config
    )
    page = answer(client_for(alice), question, {"text": "It overfits by memorizing."})
    assert 'data-verdict="correct"' in page
    assert verdict_line(page).startswith("Passed, partially correct · score 60 %")


def test_each_progress_bar_is_labelled_with_what_it_draws(alice: User, lesson: Lesson) -> None:
    first: Question = QuestionFactory.create(lesson=lesson, key="first")
    QuestionFactory.create(lesson=lesson, key="second")
    page = answer(client_for(alice), first, {"choice": "a"})  # answered, but wrong: score 0

    answered = re.search(r'<span class="progress-answered">(.*?)</span></span>', page, re.DOTALL)
    score = re.search(r'<span class="progress-score">(.*?)</span></span>', page, re.DOTALL)
    assert answered is not None and score is not None
    assert answered.group(1).lstrip().startswith("1/2 answered")
    assert 'aria-label="Questions answered"' in answered.group(1)
    assert 'aria-valuenow="1"' in answered.group(1) and "width: 50%" in answered.group(1)
    assert score.group(1).lstrip().startswith("score 0&nbsp;%")
    assert 'aria-label="Score"' in score.group(1)
    assert 'aria-valuenow="0"' in score.group(1) and "width: 0%" in score.group(1)


def question_section(page: str, key: str) -> str:
    return page.split(f'id="question-{key}"', 1)[1].split("</section>", 1)[0]


def test_a_solved_question_closes_its_form_and_says_why(alice: User, lesson: Lesson) -> None:
    question: Question = QuestionFactory.create(lesson=lesson, key="pick")
    section = question_section(answer(client_for(alice), question, {"choice": "b"}), "pick")
    assert '<fieldset class="answer-fields" disabled>' in section
    assert "Solved: this question takes no more answers." in section
    assert 'aria-describedby="answer-pick-closed"' in section


def test_an_open_question_keeps_its_form_open(alice: User, lesson: Lesson) -> None:
    question: Question = QuestionFactory.create(lesson=lesson, key="pick")
    section = question_section(answer(client_for(alice), question, {"choice": "a"}), "pick")
    assert '<fieldset class="answer-fields">' in section
    assert "answer-closed" not in section


def test_a_question_out_of_attempts_closes_its_form_and_says_why(
    alice: User, lesson: Lesson
) -> None:
    question: Question = QuestionFactory.create(lesson=lesson, key="pick", max_attempts=1)
    section = question_section(answer(client_for(alice), question, {"choice": "a"}), "pick")
    assert '<fieldset class="answer-fields" disabled>' in section
    assert "No attempts left." in section


def headings_of(page: str) -> list[str]:
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    found = re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", main, re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", "", text).split()) for text in found]


def test_a_checkpoint_under_its_own_heading_has_that_one_heading(
    alice: User, lesson: Lesson
) -> None:
    lesson.blocks = [
        {
            "type": "html",
            "html": '<p>INTRO</p>\n<h2 id="checkpoint-rain">Checkpoint: forecasting rain</h2>',
        }
    ]
    lesson.save(update_fields=["blocks"])
    QuestionFactory.create(
        lesson=lesson,
        key="rain",
        kind=QuestionKind.FREE_TEXT,
        config=free_text_config(),
        prompt_html="<p>A weather app predicts rainfall. Why an ANN?</p>",
    )
    page = client_for(alice).get(lesson_url(lesson)).content.decode()

    assert headings_of(page) == ["The basics", "Checkpoint: forecasting rain"]
    section = question_section(page, "rain")
    assert '<h2 class="question-title question-title-section" id="checkpoint-rain">' in section
    assert 'aria-labelledby="checkpoint-rain"' in page  # the card is named by that heading
    assert "INTRO" in page.split('id="question-rain"', 1)[0]


def test_a_question_without_a_heading_above_keeps_its_card_title(
    alice: User, lesson: Lesson
) -> None:
    lesson.blocks = [{"type": "html", "html": "<p>Some text before.</p>"}]
    lesson.save(update_fields=["blocks"])
    QuestionFactory.create(lesson=lesson, key="pick")
    page = client_for(alice).get(lesson_url(lesson)).content.decode()
    assert headings_of(page) == ["The basics", "Question"]


def test_no_question_of_the_handout_stands_under_two_headings(alice: User) -> None:
    call_command("load_course", verbosity=0)
    client = client_for(alice)
    titled_checkpoints = 0
    for lesson in Lesson.objects.filter(course__slug="ann-handout"):
        page = client.get(lesson_url(lesson)).content.decode()
        assert "Checkpoint —" not in page, lesson.slug
        text_before, *sections = page.split('<section class="question"')
        for index, section in enumerate(sections):
            card, after = section.split("</section>", 1)
            titles = headings_of(f"<main>{card}</main>")
            assert len(titles) == 1, (lesson.slug, titles)
            titled_checkpoints += titles[0].startswith("Checkpoint: ")
            heads_a_group = index + 1 < len(sections) and not after.strip()
            if re.search(r"</h[1-6]>\s*(</div>\s*)*$", text_before):
                assert heads_a_group, (lesson.slug, titles)  # a heading over several questions
            text_before = after
    assert titled_checkpoints == 6  # each "## Checkpoint: ..." of the handout, on its card
