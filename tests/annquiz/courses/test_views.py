"""The student-facing HTML pages: owner, another student and anonymous; the no-JavaScript
answer flow; the fetch fragment; 404s; no answer key in the HTML before it is earned."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from annquiz.courses.lesson_cache import LESSON_PAGES_CACHE
from annquiz.courses.models import Answer, Course, Lesson, Question, QuestionKind
from annquiz.courses.services import answer_submit, variant_get_or_create
from annquiz.courses.views import PENDING_SESSION_KEY
from tests.annquiz.courses.factories import (
    CourseFactory,
    LessonFactory,
    QuestionFactory,
    free_text_config,
    numeric_config,
    parametrized_question,
    softmax_question,
)
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

FETCH = {"X-Requested-With": "fetch"}
SECRET_TEXTS = (
    "MODEL-ANSWER-TEXT",
    "The explanation from the handout.",
    "HINT-ONE-TEXT",
    "fb-b",
    "fb-c",
    "overfit",
    "memoriz",
    "0.731",
)


@pytest.fixture(autouse=True)
def _empty_page_cache() -> None:
    caches[LESSON_PAGES_CACHE].clear()


@pytest.fixture
def course() -> Course:
    course: Course = CourseFactory.create(slug="ann", title="ANN course")
    return course


@pytest.fixture
def lesson(course: Course) -> Lesson:
    lesson: Lesson = LessonFactory.create(
        course=course,
        slug="basics",
        title="The basics",
        order=1,
        blocks=[{"type": "html", "html": "<p>INTRO-TEXT</p>"}],
    )
    return lesson


@pytest.fixture
def question(lesson: Lesson) -> Question:
    question: Question = QuestionFactory.create(lesson=lesson, key="pick", max_attempts=2)
    return question


@pytest.fixture
def alice() -> User:
    user: User = StudentFactory.create(username="alice")
    return user


@pytest.fixture
def bob() -> User:
    user: User = StudentFactory.create(username="bob")
    return user


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def lesson_url(lesson: Lesson) -> str:
    return f"/courses/{lesson.course.slug}/lessons/{lesson.slug}/"


def answer_url(question: Question) -> str:
    return f"{lesson_url(question.lesson)}questions/{question.key}/answer/"


def html(response: Any) -> str:
    return str(response.content.decode())


# --- who may see what -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/courses/",
        "/courses/progress/",
        "/courses/ann/",
        "/courses/ann/lessons/basics/",
        "/courses/ann/lessons/basics/progress/",
    ],
)
def test_anonymous_visitors_are_sent_to_log_in(url: str, question: Question) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_anonymous_cannot_answer(question: Question) -> None:
    response = Client().post(answer_url(question), {"choice": "b"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Answer.objects.exists()


def test_root_sends_students_to_the_course_list(alice: User) -> None:
    response = client_for(alice).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/courses/"


def test_course_list_shows_courses_with_the_students_own_progress(
    alice: User, bob: User, question: Question
) -> None:
    answer_submit(student=alice, question=question, response={"choice": "b"})

    mine = html(client_for(alice).get("/courses/"))
    theirs = html(client_for(bob).get("/courses/"))

    assert "ANN course" in mine and 'href="/courses/ann/"' in mine
    assert "1/1 answered" in mine and "score 100" in mine
    assert "0/1 answered" in theirs and "score 0" in theirs


def test_course_page_lists_lessons_in_order_with_progress(
    alice: User, course: Course, question: Question
) -> None:
    LessonFactory.create(course=course, slug="later", title="Later lesson", order=5)
    LessonFactory.create(course=course, slug="gone", title="Gone lesson", order=3, is_active=False)
    answer_submit(student=alice, question=question, response={"choice": "a"})

    page = html(client_for(alice).get("/courses/ann/"))

    assert page.index("The basics") < page.index("Later lesson")
    assert "Gone lesson" not in page
    assert "1/1 answered" in page  # the lesson, and overall
    assert 'href="/courses/ann/lessons/basics/progress/"' in page


def test_unknown_course_and_lesson_are_404_pages(alice: User, question: Question) -> None:
    client = client_for(alice)
    assert client.get("/courses/nope/").status_code == 404
    assert client.get("/courses/nope/lessons/basics/").status_code == 404
    assert client.get("/courses/ann/lessons/nope/").status_code == 404
    assert client.get("/courses/nope/lessons/basics/progress/").status_code == 404
    assert client.post("/courses/nope/lessons/basics/questions/pick/answer/").status_code == 404
    unknown_question = "/courses/ann/lessons/basics/questions/nope/answer/"
    assert client.post(unknown_question, {"choice": "a"}).status_code == 404


def test_the_404_page_is_a_page_of_the_site(alice: User, question: Question) -> None:
    response = client_for(alice).get("/courses/nope/lessons/basics/")
    assert response.status_code == 404
    page = html(response)
    assert "Page not found" in page and "/courses/nope/lessons/basics/" in page
    assert 'class="topbar"' in page


def test_an_inactive_lesson_is_404(alice: User, lesson: Lesson) -> None:
    lesson.is_active = False
    lesson.save(update_fields=["is_active"])
    assert client_for(alice).get(lesson_url(lesson)).status_code == 404


# --- the lesson page ------------------------------------------------------------------------


def test_lesson_page_shows_blocks_in_order_and_each_question_as_a_form(
    alice: User, lesson: Lesson, question: Question
) -> None:
    numeric = QuestionFactory.create(
        lesson=lesson, key="num", kind=QuestionKind.NUMERIC, config=numeric_config()
    )
    text = QuestionFactory.create(
        lesson=lesson, key="why", kind=QuestionKind.FREE_TEXT, config=free_text_config()
    )
    multi = QuestionFactory.create(
        lesson=lesson,
        key="many",
        kind=QuestionKind.MULTIPLE_CHOICE,
        config={
            "choices": [
                {"key": "a", "text": "Alpha", "correct": True},
                {"key": "b", "text": "Beta", "correct": True},
                {"key": "c", "text": "Gamma"},
            ]
        },
    )

    response = client_for(alice).get(lesson_url(lesson))

    assert response.status_code == 200
    page = html(response)
    positions = [page.index(marker) for marker in ("INTRO-TEXT", 'id="question-pick"')]
    positions += [page.index(f'id="question-{q.key}"') for q in (numeric, text, multi)]
    assert positions == sorted(positions)
    assert page.count('type="radio" name="choice"') == 3
    assert page.count('type="checkbox" name="choices"') == 3
    assert 'type="number" step="any" id="answer-num-value" name="value"' in page
    assert 'name="text"' in page and "<textarea" in page
    assert f'action="{answer_url(question)}"' in page
    assert "csrfmiddlewaretoken" in page
    assert "Attempts: 0 of 2 used · 2 left" in page
    assert "css/code.css" in page and "courses/js/answer.js" in page


def test_checkpoint_with_a_choice_part_has_radios_and_a_textarea(
    alice: User, lesson: Lesson
) -> None:
    config = free_text_config()
    config["choices"] = [
        {"key": "mlp", "text": "A feed-forward network", "correct": True, "feedback": "fb-b"},
        {"key": "cnn", "text": "A convolutional network", "feedback": "fb-c"},
    ]
    QuestionFactory.create(lesson=lesson, key="why", kind=QuestionKind.FREE_TEXT, config=config)

    page = html(client_for(alice).get(lesson_url(lesson)))

    assert 'type="radio" name="choice" value="mlp"' in page
    assert "A convolutional network" in page
    assert "Why? Explain your choice" in page


def test_parametrized_question_shows_the_students_own_variant(
    alice: User, bob: User, lesson: Lesson
) -> None:
    param = parametrized_question(lesson=lesson, key="sgd")

    alice_page = html(client_for(alice).get(lesson_url(lesson)))
    bob_page = html(client_for(bob).get(lesson_url(lesson)))

    alice_variant = variant_get_or_create(student=alice, question=param)
    bob_variant = variant_get_or_create(student=bob, question=param)
    assert alice_variant.prompt_html in alice_page
    assert bob_variant.prompt_html in bob_page
    assert alice_variant.prompt_html != bob_variant.prompt_html
    assert alice_variant.prompt_html not in bob_page
    # The answer is nowhere as a value or a text of its own (its digits may well occur inside
    # the prompt's numbers, as in "w=-0.1" when the answer is 0.1).
    answer = f"{alice_variant.answer}"
    assert f'="{answer}"' not in alice_page and f">{answer}<" not in alice_page


def test_no_answer_key_in_the_html_before_it_is_earned(
    alice: User, lesson: Lesson, question: Question
) -> None:
    QuestionFactory.create(
        lesson=lesson, key="num", kind=QuestionKind.NUMERIC, config=numeric_config()
    )
    QuestionFactory.create(
        lesson=lesson, key="why", kind=QuestionKind.FREE_TEXT, config=free_text_config()
    )
    client = client_for(alice)
    before = html(client.get(lesson_url(lesson)))
    for secret in SECRET_TEXTS:
        assert secret not in before, secret
    assert "correct" not in before.split("<article", 1)[1].split("</article>")[0].replace(
        "verdict-correct", ""
    )

    client.post(answer_url(question), {"choice": "a"})  # wrong, one attempt left
    after_one = html(client.get(lesson_url(lesson)))
    assert "MODEL-ANSWER-TEXT" not in after_one
    assert "fb-a" in after_one  # the feedback on the chosen option is fine to show
    assert "HINT-ONE-TEXT" in after_one
    assert "HINT-TWO-TEXT" not in after_one
    assert "The explanation from the handout." not in after_one

    client.post(answer_url(question), {"choice": "c"})  # wrong again: attempts used up
    after_all = html(client.get(lesson_url(lesson)))
    assert "MODEL-ANSWER-TEXT" in after_all
    assert "The explanation from the handout." in after_all


def test_previous_and_next_lesson_links(alice: User, course: Course, lesson: Lesson) -> None:
    second = LessonFactory.create(course=course, slug="second", title="Second", order=2)
    LessonFactory.create(course=course, slug="third", title="Third", order=3)

    first_page = html(client_for(alice).get(lesson_url(lesson)))
    middle_page = html(client_for(alice).get(lesson_url(second)))

    assert 'rel="next" href="/courses/ann/lessons/second/"' in first_page
    assert 'rel="prev"' not in first_page
    assert 'rel="prev" href="/courses/ann/lessons/basics/"' in middle_page
    assert 'rel="next" href="/courses/ann/lessons/third/"' in middle_page


def test_lesson_page_makes_a_fixed_number_of_queries(
    alice: User, lesson: Lesson, question: Question
) -> None:
    parametrized_question(lesson=lesson, key="param")
    client = client_for(alice)
    client.get(lesson_url(lesson))
    caches[LESSON_PAGES_CACHE].clear()
    # Count at once: the next request clears the connection's query log.
    with CaptureQueriesContext(connection) as capture:
        client.get(lesson_url(lesson))
    few = len(capture)
    for index in range(6):
        QuestionFactory.create(lesson=lesson, key=f"more{index}")
        parametrized_question(lesson=lesson, key=f"param{index}")
    caches[LESSON_PAGES_CACHE].clear()
    client.get(lesson_url(lesson))  # draws the new variants
    caches[LESSON_PAGES_CACHE].clear()
    with CaptureQueriesContext(connection) as capture:
        client.get(lesson_url(lesson))
    many = len(capture)
    assert many == few
    assert few <= 10


def test_a_cached_lesson_page_costs_the_session_the_user_and_one_query(
    alice: User, lesson: Lesson, question: Question
) -> None:
    client = client_for(alice)
    first = html(client.get(lesson_url(lesson)))
    with CaptureQueriesContext(connection) as queries:
        again = html(client.get(lesson_url(lesson)))
    assert len(queries) == 3, [q["sql"][:80] for q in queries.captured_queries]
    assert (
        again.split("<main", 1)[1].split("csrfmiddlewaretoken")[0]
        == (first.split("<main", 1)[1].split("csrfmiddlewaretoken")[0])
    )


def test_the_cached_page_follows_answers_stored_through_the_api(
    alice: User, question: Question
) -> None:
    client = client_for(alice)
    assert "Attempts: 0 of 2 used" in html(client.get(lesson_url(question.lesson)))
    answer_submit(student=alice, question=question, response={"choice": "a"})
    page = html(client.get(lesson_url(question.lesson)))
    assert "Attempts: 1 of 2 used" in page
    assert 'data-verdict="incorrect"' in page


def test_the_cached_page_follows_content_changes(
    alice: User, course: Course, lesson: Lesson, question: Question
) -> None:
    client = client_for(alice)
    client.get(lesson_url(lesson))
    lesson.blocks = [{"type": "html", "html": "<p>NEW-TEXT</p>"}, *lesson.blocks[1:]]
    lesson.save(update_fields=["blocks", "updated_at"])
    assert "NEW-TEXT" in html(client.get(lesson_url(lesson)))
    question.max_attempts = 5
    question.save(update_fields=["max_attempts", "updated_at"])
    assert "0 of 5 used" in html(client.get(lesson_url(lesson)))
    LessonFactory.create(course=course, slug="added", title="Added later", order=9)
    assert 'rel="next" href="/courses/ann/lessons/added/"' in html(client.get(lesson_url(lesson)))


def test_each_browser_gets_its_own_csrf_token_in_a_cached_page(
    alice: User, question: Question
) -> None:
    browsers = [Client(enforce_csrf_checks=True) for _ in range(2)]
    for browser in browsers:
        browser.force_login(alice)
    tokens = []
    for browser in browsers:
        page = html(browser.get(lesson_url(question.lesson)))
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match is not None
        tokens.append(match.group(1))
    assert "@@" not in tokens[1]
    for browser, token in zip(browsers, tokens, strict=True):
        response = browser.post(answer_url(question), {"choice": "a", "csrfmiddlewaretoken": token})
        assert response.status_code == 302
    assert Answer.objects.count() == 2


# --- answering without JavaScript -----------------------------------------------------------


def test_no_js_answer_is_stored_and_redirects_back_to_the_question(
    alice: User, question: Question
) -> None:
    client = client_for(alice)
    response = client.post(answer_url(question), {"choice": "b"})

    assert response.status_code == 302
    assert response["Location"] == f"{lesson_url(question.lesson)}#question-pick"
    answer = Answer.objects.get()
    assert (answer.student, answer.response, answer.verdict) == (alice, {"choice": "b"}, "correct")
    page = html(client.get(response["Location"]))
    assert 'class="verdict verdict-correct"' in page
    assert "score 100&nbsp;%" in page
    assert "MODEL-ANSWER-TEXT" in page  # solved: the model answer is earned
    assert "Attempts: 1 of 2 used · 1 left" in page


def test_no_js_empty_answer_shows_the_error_next_to_the_form_once(
    alice: User, question: Question
) -> None:
    client = client_for(alice)
    response = client.post(answer_url(question), {})

    assert response.status_code == 302
    assert not Answer.objects.exists()
    page = html(client.get(lesson_url(question.lesson)))
    section = page.split('id="question-pick"', 1)[1].split("</section>", 1)[0]
    assert '<p class="error">Choice: is empty; choose one of a, b, c</p>' in section
    assert PENDING_SESSION_KEY not in client.session
    assert '<p class="error">' not in html(client.get(lesson_url(question.lesson)))


def test_no_js_too_long_text_is_refused_and_kept_in_the_form(alice: User, lesson: Lesson) -> None:
    why = QuestionFactory.create(
        lesson=lesson, key="why", kind=QuestionKind.FREE_TEXT, config=free_text_config()
    )
    client = client_for(alice)
    client.post(answer_url(why), {"text": "x" * 6000})

    assert not Answer.objects.exists()
    page = html(client.get(lesson_url(lesson)))
    assert "the limit is 5,000" in page
    assert "x" * 5000 in page  # what was typed is put back (up to the limit)


def test_no_js_answers_stop_when_attempts_run_out(alice: User, question: Question) -> None:
    client = client_for(alice)
    for choice in ("a", "c", "b"):
        client.post(answer_url(question), {"choice": choice})

    assert Answer.objects.count() == 2
    page = html(client.get(lesson_url(question.lesson)))
    section = page.split('id="question-pick"', 1)[1].split("</section>", 1)[0]
    assert "All 2 attempts at question" in section
    assert '<fieldset class="answer-fields" disabled>' in section
    assert "No attempts left." in section
    assert "MODEL-ANSWER-TEXT" in section


def test_no_js_numeric_and_multiple_choice_answers(alice: User, lesson: Lesson) -> None:
    numeric = QuestionFactory.create(
        lesson=lesson, key="num", kind=QuestionKind.NUMERIC, config=numeric_config()
    )
    multi = QuestionFactory.create(
        lesson=lesson,
        key="many",
        kind=QuestionKind.MULTIPLE_CHOICE,
        config={
            "choices": [
                {"key": "a", "text": "Alpha", "correct": True},
                {"key": "b", "text": "Beta", "correct": True},
                {"key": "c", "text": "Gamma"},
            ]
        },
    )
    client = client_for(alice)
    client.post(answer_url(numeric), {"value": "0.7312"})
    client.post(answer_url(multi), {"choices": ["a", "b"]})

    stored = {a.question.key: (a.response, a.verdict) for a in Answer.objects.all()}
    assert stored == {
        "num": ({"value": 0.7312}, "correct"),
        "many": ({"choices": ["a", "b"]}, "correct"),
    }


WRONG_LENGTHS = [
    ("0.2, 0.8", "Your numbers: expected exactly 3 numbers, one per class in order; got 2"),
    ("0.1 0.2 0.3 0.4", "Your numbers: expected exactly 3 numbers, one per class in order; got 4"),
]


@pytest.mark.parametrize(("typed", "error"), WRONG_LENGTHS)
def test_no_js_vector_of_the_wrong_length_is_refused_next_to_the_form(
    alice: User, lesson: Lesson, typed: str, error: str
) -> None:
    softmax = softmax_question(lesson=lesson, key="soft", max_attempts=1)
    client = client_for(alice)

    response = client.post(answer_url(softmax), {"values": typed})

    assert response.status_code == 302
    assert response["Location"] == f"{lesson_url(lesson)}#question-soft"
    assert not Answer.objects.exists()
    page = html(client.get(lesson_url(lesson)))
    section = page.split('id="question-soft"', 1)[1].split("</section>", 1)[0]
    assert f'<p class="error">{error}</p>' in section
    assert "Attempts: 0 of 1 used" in section


@pytest.mark.parametrize(("typed", "error"), WRONG_LENGTHS)
def test_fetch_vector_of_the_wrong_length_is_a_400_section_and_uses_no_attempt(
    alice: User, lesson: Lesson, typed: str, error: str
) -> None:
    softmax = softmax_question(lesson=lesson, key="soft", max_attempts=1)
    client = client_for(alice)

    bad = client.post(answer_url(softmax), {"values": typed}, headers=FETCH)

    assert bad.status_code == 400
    assert f'<p class="error">{error}</p>' in html(bad)
    assert not Answer.objects.exists()
    variant = variant_get_or_create(student=alice, question=softmax)
    typed_right = ", ".join(str(p) for p in variant.answer)
    right = client.post(answer_url(softmax), {"values": typed_right}, headers=FETCH)
    assert right.status_code == 200
    assert 'data-verdict="correct"' in html(right)


def test_a_question_of_another_lesson_cannot_be_answered_here(
    alice: User, course: Course, question: Question
) -> None:
    other = LessonFactory.create(course=course, slug="other", order=2)
    response = client_for(alice).post(
        f"{lesson_url(other)}questions/{question.key}/answer/", {"choice": "b"}
    )
    assert response.status_code == 404
    assert not Answer.objects.exists()


def test_answer_view_refuses_get(alice: User, question: Question) -> None:
    assert client_for(alice).get(answer_url(question)).status_code == 405


# --- answering with fetch: the question's section comes back --------------------------------


def test_fetch_answer_returns_the_question_section_with_feedback(
    alice: User, question: Question
) -> None:
    response = client_for(alice).post(answer_url(question), {"choice": "a"}, headers=FETCH)

    assert response.status_code == 200
    fragment = html(response)
    assert fragment.lstrip().startswith("<section")
    assert "<html" not in fragment
    assert 'data-verdict="incorrect"' in fragment
    assert "Attempts: 1 of 2 used · 1 left" in fragment
    assert "HINT-ONE-TEXT" in fragment
    assert "The explanation from the handout." not in fragment
    assert "MODEL-ANSWER-TEXT" not in fragment


def test_fetch_errors_come_back_inside_the_section_with_a_4xx(
    alice: User, question: Question
) -> None:
    client = client_for(alice)
    bad = client.post(answer_url(question), {"choice": "zzz"}, headers=FETCH)
    assert bad.status_code == 400
    assert "&#x27;zzz&#x27; is not a choice of this question" in html(bad)

    client.post(answer_url(question), {"choice": "a"}, headers=FETCH)
    last = client.post(answer_url(question), {"choice": "c"}, headers=FETCH)
    assert last.status_code == 200
    assert "MODEL-ANSWER-TEXT" in html(last)
    assert "The explanation from the handout." in html(last)
    assert '<fieldset class="answer-fields" disabled>' in html(last)

    over = client.post(answer_url(question), {"choice": "b"}, headers=FETCH)
    assert over.status_code == 409
    assert "All 2 attempts" in html(over)
    assert Answer.objects.count() == 2


def test_fetch_for_an_unknown_question_is_404(alice: User, lesson: Lesson) -> None:
    response = client_for(alice).post(
        f"{lesson_url(lesson)}questions/nope/answer/", {"choice": "a"}, headers=FETCH
    )
    assert response.status_code == 404


def test_one_students_answers_do_not_show_on_anothers_page(
    alice: User, bob: User, question: Question
) -> None:
    client_for(alice).post(answer_url(question), {"choice": "b"})
    page = html(client_for(bob).get(lesson_url(question.lesson)))
    assert "verdict-correct" not in page
    assert "Attempts: 0 of 2 used" in page


# --- progress pages -------------------------------------------------------------------------


def test_lesson_progress_page_lists_every_question(
    alice: User, bob: User, lesson: Lesson, question: Question
) -> None:
    QuestionFactory.create(lesson=lesson, key="unanswered", prompt_html="<p>Second prompt</p>")
    client_for(alice).post(answer_url(question), {"choice": "a"})
    client_for(alice).post(answer_url(question), {"choice": "b"})

    page = html(client_for(alice).get(f"{lesson_url(lesson)}progress/"))
    other = html(client_for(bob).get(f"{lesson_url(lesson)}progress/"))

    solved_row = page.split('id="progress-pick"', 1)[1].split("</tr>", 1)[0]
    assert "Solved" in solved_row and "2 of 2" in solved_row and "100&nbsp;%" in solved_row
    assert "<time datetime=" in solved_row
    open_row = page.split('id="progress-unanswered"', 1)[1].split("</tr>", 1)[0]
    assert "Not answered" in open_row and "0 of 3" in open_row
    assert "Second prompt" in open_row
    assert "Solved" not in other


def test_overall_progress_page(alice: User, question: Question) -> None:
    client_for(alice).post(answer_url(question), {"choice": "b"})
    page = html(client_for(alice).get("/courses/progress/"))
    assert "ANN course" in page
    assert "The basics" in page and "1/1" in page
    assert 'href="/courses/ann/lessons/basics/progress/"' in page


# --- the real course ------------------------------------------------------------------------


def test_every_lesson_of_the_handout_course_renders(alice: User) -> None:
    call_command("load_course", verbosity=0)
    client = client_for(alice)
    lessons = list(Lesson.objects.filter(course__slug="ann-handout").order_by("order"))
    assert len(lessons) == 10
    for lesson in lessons:
        response = client.get(lesson_url(lesson))
        assert response.status_code == 200, lesson.slug
        page = html(response)
        for question in Question.objects.filter(lesson=lesson, is_active=True):
            assert f'id="question-{question.key}"' in page
            assert question.model_answer_html not in page
    basics = html(client.get("/courses/ann-handout/lessons/understanding-the-basics/"))
    assert "<math" in basics and 'class="figure"' in basics
