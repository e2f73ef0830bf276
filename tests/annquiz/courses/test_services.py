"""answer_submit and variant_get_or_create: grading, attempts, variants, races."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections

from annquiz.core.errors import AttemptsExhausted
from annquiz.courses import grading
from annquiz.courses.errors import (
    InvalidAnswer,
    QuestionInactive,
    VariantMismatch,
)
from annquiz.courses.models import Answer, QuestionKind, QuestionProgress, QuestionVariant
from annquiz.courses.services import answer_submit, variant_get_or_create, variants_get_or_create
from tests.annquiz.courses.factories import (
    QuestionFactory,
    free_text_config,
    numeric_config,
    parametrized_question,
    single_choice_config,
    softmax_question,
)
from tests.factories import StudentFactory


@pytest.mark.django_db
class TestAnswerSubmit:
    def test_a_correct_answer_is_stored_graded_and_solves_the_question(self) -> None:
        question = QuestionFactory.create(config=single_choice_config("b"))
        student = StudentFactory.create()
        answer = answer_submit(student=student, question=question, response={"choice": "b"})
        assert answer.verdict == "correct"
        assert answer.score == 1.0
        assert answer.attempt_number == 1
        assert answer.response == {"choice": "b"}
        progress = QuestionProgress.objects.get(student=student, question=question)
        assert (progress.attempts_used, progress.best_score, progress.solved) == (1, 1.0, True)
        assert progress.last_answered_at == answer.created_at

    def test_attempts_are_numbered_and_the_best_score_kept(self) -> None:
        question = QuestionFactory.create(
            config=numeric_config(0.5, 0.01), kind=QuestionKind.NUMERIC
        )
        student = StudentFactory.create()
        first = answer_submit(student=student, question=question, response={"value": 0.5})
        second = answer_submit(student=student, question=question, response={"value": 9})
        assert (first.attempt_number, second.attempt_number) == (1, 2)
        assert second.verdict == "incorrect"
        progress = QuestionProgress.objects.get(student=student, question=question)
        assert (progress.attempts_used, progress.best_score, progress.solved) == (2, 1.0, True)

    def test_the_attempt_limit_stops_further_answers_and_stores_nothing(self) -> None:
        question = QuestionFactory.create(max_attempts=2)
        student = StudentFactory.create()
        for _ in range(2):
            answer_submit(student=student, question=question, response={"choice": "a"})
        with pytest.raises(AttemptsExhausted, match="all 2 attempts"):
            answer_submit(student=student, question=question, response={"choice": "b"})
        assert Answer.objects.filter(student=student, question=question).count() == 2
        # Another student's attempts are their own.
        other = StudentFactory.create()
        assert answer_submit(student=other, question=question, response={"choice": "b"})

    def test_an_invalid_response_names_the_field_and_stores_nothing(self) -> None:
        question = QuestionFactory.create()
        student = StudentFactory.create()
        with pytest.raises(InvalidAnswer) as caught:
            answer_submit(student=student, question=question, response={"choice": "zz"})
        assert caught.value.field
        assert "zz" in caught.value.message or "a" in caught.value.message
        assert not Answer.objects.exists()
        assert not QuestionProgress.objects.filter(attempts_used__gt=0).exists()

    @pytest.mark.parametrize(
        "response",
        [{}, {"text": ""}, {"text": "x" * 1_000_000}, {"text": "bin\x00ary"}, {"text": 5}],
    )
    def test_bad_free_text_is_refused(self, response: dict[str, Any]) -> None:
        question = QuestionFactory.create(kind=QuestionKind.FREE_TEXT, config=free_text_config())
        with pytest.raises(InvalidAnswer):
            answer_submit(student=StudentFactory.create(), question=question, response=response)
        assert not Answer.objects.exists()

    def test_free_text_is_graded_against_the_rubric(self) -> None:
        question = QuestionFactory.create(kind=QuestionKind.FREE_TEXT, config=free_text_config())
        answer = answer_submit(
            student=StudentFactory.create(),
            question=question,
            response={"text": "The model is overfitting; add dropout."},
        )
        assert answer.verdict == "correct"
        assert answer.feedback

    def test_a_confident_grading_is_stored_with_its_confidence_and_not_flagged(self) -> None:
        question = QuestionFactory.create(kind=QuestionKind.FREE_TEXT, config=free_text_config())
        answer = answer_submit(
            student=StudentFactory.create(),
            question=question,
            response={"text": "The model is overfitting; add dropout."},
        )
        answer.refresh_from_db()
        assert (answer.confidence, answer.needs_review) == (1.0, False)

    def test_a_doubtful_grading_is_flagged_for_review(self) -> None:
        question = QuestionFactory.create(kind=QuestionKind.FREE_TEXT, config=free_text_config())
        answer = answer_submit(
            student=StudentFactory.create(),
            question=question,
            response={"text": "The model overfits, and it does not overfit."},
        )
        answer.refresh_from_db()
        assert answer.confidence is not None
        assert answer.confidence < django_settings.ANNQUIZ_REVIEW_CONFIDENCE
        assert answer.needs_review is True

    def test_the_review_threshold_is_a_setting(self, settings: Any) -> None:
        settings.ANNQUIZ_REVIEW_CONFIDENCE = 0.3
        question = QuestionFactory.create(kind=QuestionKind.FREE_TEXT, config=free_text_config())
        answer = answer_submit(
            student=StudentFactory.create(),
            question=question,
            response={"text": "The model overfits, and it does not overfit."},
        )
        assert answer.needs_review is False

    def test_an_inactive_question_cannot_be_answered(self) -> None:
        question = QuestionFactory.create(is_active=False)
        with pytest.raises(QuestionInactive):
            answer_submit(
                student=StudentFactory.create(), question=question, response={"choice": "b"}
            )

    def test_a_variant_on_a_plain_question_is_refused(self) -> None:
        question = QuestionFactory.create()
        with pytest.raises(InvalidAnswer) as caught:
            answer_submit(
                student=StudentFactory.create(),
                question=question,
                response={"choice": "b"},
                variant_id=1,
            )
        assert caught.value.field == "variant"


@pytest.mark.django_db
class TestVariants:
    def test_a_variant_is_drawn_once_and_stable(self) -> None:
        question = parametrized_question()
        student = StudentFactory.create()
        first = variant_get_or_create(student=student, question=question)
        again = variant_get_or_create(student=student, question=question)
        assert first.pk == again.pk
        assert first.seed == grading.variant_seed(student.pk, question.key)
        drawn = grading.draw_variant(question.config, seed=first.seed)
        assert first.params == drawn.params
        assert first.prompt_html

    def test_the_same_student_gets_the_same_numbers_after_the_row_is_gone(self) -> None:
        question = parametrized_question()
        student = StudentFactory.create()
        params = variant_get_or_create(student=student, question=question).params
        QuestionVariant.objects.all().delete()
        assert variant_get_or_create(student=student, question=question).params == params

    def test_bulk_variants_only_for_parametrized_questions(self) -> None:
        plain = QuestionFactory.create()
        param = parametrized_question()
        student = StudentFactory.create()
        variants = variants_get_or_create(student=student, questions=[plain, param])
        assert set(variants) == {param.pk}
        assert variants_get_or_create(student=student, questions=[param])[param.pk].pk == (
            variants[param.pk].pk
        )

    def test_the_students_variant_is_graded_with_its_own_answer(self) -> None:
        question = parametrized_question()
        student = StudentFactory.create()
        variant = variant_get_or_create(student=student, question=question)
        values = variant.answer if isinstance(variant.answer, list) else [variant.answer]
        response = {"values": values} if isinstance(variant.answer, list) else {"value": values[0]}
        answer = answer_submit(
            student=student, question=question, response=response, variant_id=variant.pk
        )
        assert answer.verdict == "correct"
        assert answer.variant_id == variant.pk

    def test_another_students_variant_is_refused(self) -> None:
        question = parametrized_question()
        owner, intruder = StudentFactory.create(), StudentFactory.create()
        variant = variant_get_or_create(student=owner, question=question)
        with pytest.raises(VariantMismatch):
            answer_submit(
                student=intruder, question=question, response={"value": 1}, variant_id=variant.pk
            )
        assert not Answer.objects.exists()

    def test_an_unknown_or_foreign_question_variant_is_an_invalid_answer(self) -> None:
        question, other_question = parametrized_question(), parametrized_question()
        student = StudentFactory.create()
        variant = variant_get_or_create(student=student, question=other_question)
        for variant_id in (variant.pk, variant.pk + 1000):
            with pytest.raises(InvalidAnswer) as caught:
                answer_submit(
                    student=student, question=question, response={"value": 1}, variant_id=variant_id
                )
            assert caught.value.field == "variant"

    @pytest.mark.parametrize("through", ["page", "answer"])
    def test_a_variant_of_a_template_whose_answer_changed_shape_is_drawn_again(
        self, through: str
    ) -> None:
        question = parametrized_question()  # one number
        student = StudentFactory.create()
        stale = variant_get_or_create(student=student, question=question)
        answer_submit(student=student, question=question, response={"value": 1})
        question.config = softmax_question().config  # a reload asks for the whole vector
        question.save(update_fields=["config"])

        if through == "page":
            variant = variants_get_or_create(student=student, questions=[question])[question.pk]
        else:
            with pytest.raises(InvalidAnswer):  # the old form's number no longer fits
                answer_submit(
                    student=student, question=question, response={"value": 1}, variant_id=stale.pk
                )
            variant = QuestionVariant.objects.get(pk=stale.pk)

        assert variant.pk == stale.pk and isinstance(variant.answer, list)
        assert variant.prompt_text != stale.prompt_text
        answer = answer_submit(
            student=student, question=question, response={"values": variant.answer}
        )
        assert answer.verdict == "correct" and answer.attempt_number == 2

    def test_a_plain_question_has_no_variant(self) -> None:
        with pytest.raises(ValueError, match="not parametrized"):
            variant_get_or_create(
                student=StudentFactory.create(), question=QuestionFactory.create()
            )


@pytest.mark.django_db(transaction=True)
def test_concurrent_answers_never_exceed_the_attempt_limit() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (set DATABASE_URL)")
    question = QuestionFactory.create(max_attempts=3)
    student = StudentFactory.create()
    racers = 8
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def race() -> None:
        try:
            barrier.wait(timeout=10)
            answer_submit(student=student, question=question, response={"choice": "a"})
            result = "stored"
        except AttemptsExhausted:
            result = "exhausted"
        except Exception as exc:  # recorded and asserted on below
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["exhausted"] * 5 + ["stored"] * 3
    numbers = sorted(
        Answer.objects.filter(student=student, question=question).values_list(
            "attempt_number", flat=True
        )
    )
    assert numbers == [1, 2, 3]
    assert QuestionProgress.objects.get(student=student, question=question).attempts_used == 3
