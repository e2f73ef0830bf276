"""The grading engine for checkpoint questions: pure Python, no database.

Five kinds of question (``QUESTION_KINDS``), each with a ``config`` checked by
``validate_config``. ``public_config`` is what a student may see before answering,
``validate_response`` normalises a response (or raises ``AnswerError``) and ``grade`` scores
it. Parametrized questions draw numbers per student with ``draw_variant(config,
seed=variant_seed(student_id, key))``; their answers come from the training core.
The config and response shapes are documented in ``docs/questions.md``.
"""

from annquiz.courses.grading.base import QUESTION_KINDS, Grade, Variant
from annquiz.courses.grading.config import public_config, validate_config
from annquiz.courses.grading.engine import grade
from annquiz.courses.grading.errors import AnswerError, ConfigError
from annquiz.courses.grading.responses import validate_response
from annquiz.courses.grading.variants import draw_variant, variant_fits, variant_seed

__all__ = [
    "QUESTION_KINDS",
    "AnswerError",
    "ConfigError",
    "Grade",
    "Variant",
    "draw_variant",
    "grade",
    "public_config",
    "validate_config",
    "validate_response",
    "variant_fits",
    "variant_seed",
]
