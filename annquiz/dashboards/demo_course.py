"""A realistic course for demonstrations and benchmarks: an offering of loaded content with
students of varied ability, their graded answers and their judged submissions, spread over
weeks. Everything is written with ``bulk_create``.

The model: each student has an ability theta ~ N(0, 1) and a pace (how many lessons they reach);
each question a difficulty b ~ N(0.7, 1). A student answers a question right with
probability sigmoid(1.7 (theta - b)) (the two-parameter logistic model, discrimination 1.7),
tries again after a wrong answer with probability 0.85 (up to the question's attempts), a little
likelier right each time. Responses are real: an option, a number (right, or a typical
slip), or a free-text explanation put together from phrases of the question's concepts and
contradictions; the grading engine grades each one, so scores, verdicts and details are what
the service would have stored. Submissions get plausible verdicts, checks, diagnostics and
loss curves from the task's own checks.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.statuses import Status
from annquiz.core.markdown_rendering import render_markdown
from annquiz.core.services import DEMO_INSTRUCTOR
from annquiz.core.static_files import static_prefix
from annquiz.courses import grading
from annquiz.courses.models import Answer, Course, Question, QuestionProgress, QuestionVariant
from annquiz.enrolment.models import LessonDeadline, Membership, Offering, Role

# The students are spread over these groups in turn.
GROUPS = ("Lab A", "Lab B", "Lab C", "Lab D")

FIRST_NAMES = [
    "Ada",
    "Alan",
    "Grace",
    "Edsger",
    "Barbara",
    "John",
    "Margaret",
    "Donald",
    "Frances",
    "Ken",
    "Radia",
    "Tim",
    "Shafi",
    "Leslie",
    "Yoshua",
    "Geoffrey",
    "Fei-Fei",
    "Andrew",
    "Daphne",
    "Judea",
    "Cynthia",
    "Vladimir",
    "Corinna",
    "Jürgen",
    "Sepp",
    "Ian",
    "Ilya",
    "Oriol",
    "Demis",
    "Timnit",
    "Joy",
    "Kate",
    "Amara",
    "Chen",
    "Priya",
    "Mateo",
    "Sofia",
    "Liam",
    "Noor",
    "Aiko",
]
LAST_NAMES = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Dijkstra",
    "Liskov",
    "McCarthy",
    "Hamilton",
    "Knuth",
    "Allen",
    "Thompson",
    "Perlman",
    "Berners-Lee",
    "Goldwasser",
    "Lamport",
    "Bengio",
    "Hinton",
    "Li",
    "Ng",
    "Koller",
    "Pearl",
    "Dwork",
    "Vapnik",
    "Cortes",
    "Schmidhuber",
    "Hochreiter",
    "Goodfellow",
    "Sutskever",
    "Vinyals",
    "Hassabis",
    "Gebru",
    "Buolamwini",
    "Crawford",
    "Okafor",
    "Wang",
    "Raman",
    "Garcia",
    "Rossi",
    "Murphy",
    "Haddad",
    "Tanaka",
]
OPENERS = ("", "I think ", "Probably ", "It looks like ", "My guess: ", "Most likely ")
FILLERS = (
    "the network is not learning well",
    "the learning rate might be wrong",
    "more epochs would help",
    "the data is bad",
    "I am not sure",
    "the model needs more layers",
    "the weights are initialised badly",
)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


@contextmanager
def _keeping(model: type[models.Model], field_name: str) -> Iterator[None]:
    """Let ``bulk_create`` store the timestamps given instead of "now" (auto_now_add)."""
    field = model._meta.get_field(field_name)
    before = field.auto_now_add  # type: ignore[union-attr]
    field.auto_now_add = False  # type: ignore[union-attr]
    try:
        yield
    finally:
        field.auto_now_add = before  # type: ignore[union-attr]


@dataclass(frozen=True)
class DemoSummary:
    offering: Offering
    students: int
    answers: int
    submissions: int


def _phrase(pattern: str) -> str:
    return pattern.replace("*", "the").strip()


def _free_text(rng: random.Random, config: dict[str, Any], p: float) -> dict[str, Any]:
    rubric = config.get("rubric", {})
    parts = []
    for concept in rubric.get("concepts", []):
        patterns = concept.get("patterns") or []
        if patterns and rng.random() < p:
            parts.append(_phrase(rng.choice(patterns)))
    for item in rubric.get("contradictions", []):
        patterns = item.get("patterns") or []
        if patterns and rng.random() < (1 - p) * 0.25:
            parts.append(_phrase(rng.choice(patterns)))
    if not parts or rng.random() < 0.3:
        parts.append(rng.choice(FILLERS))
    text = rng.choice(OPENERS) + ", and ".join(parts) + "."
    response: dict[str, Any] = {"text": text[:1].upper() + text[1:]}
    choices = config.get("choices") or []
    if choices:
        right = [c["key"] for c in choices if c.get("correct")]
        wrong = [c["key"] for c in choices if not c.get("correct")]
        response["choice"] = (
            rng.choice(right) if rng.random() < p or not wrong else rng.choice(wrong)
        )
    return response


def _response(
    rng: random.Random, question: Question, right: bool, p: float, variant: grading.Variant | None
) -> dict[str, Any]:
    config = question.config
    kind = question.kind
    if kind == "single_choice":
        keys = [c["key"] for c in config["choices"]]
        correct = [c["key"] for c in config["choices"] if c.get("correct")]
        wrong = [k for k in keys if k not in correct] or correct
        return {"choice": rng.choice(correct if right else wrong)}
    if kind == "multiple_choice":
        keys = [c["key"] for c in config["choices"]]
        correct = sorted(c["key"] for c in config["choices"] if c.get("correct"))
        if right:
            return {"choices": correct}
        picked = set(correct)
        if len(picked) > 1 and rng.random() < 0.6:
            picked.discard(rng.choice(correct))
        others = [k for k in keys if k not in correct]
        if others and rng.random() < 0.6:
            picked.add(rng.choice(others))
        return {"choices": sorted(picked) or [rng.choice(keys)]}
    if kind in ("numeric", "parametrized"):
        answer = variant.answer if variant is not None else config["answer"]
        if isinstance(answer, list):
            values = [
                float(v) if right else float(v) * rng.choice((0.5, 2.0, -1.0)) for v in answer
            ]
            return {"values": [f"{v:.4g}" for v in values]}
        value = float(answer)
        if not right:
            value = rng.choice((value * 10, value / 10, -value, value + 1, round(value)))
        return {"value": f"{value:.6g}"}
    return _free_text(rng, config, p)


def _loss_curve(rng: random.Random, epochs: int, final: float, diverged: bool) -> dict[str, Any]:
    loss: list[float] = []
    val: list[float] = []
    start = rng.uniform(0.7, 1.3)
    for epoch in range(epochs):
        decay = math.exp(-epoch / max(1.0, epochs / 4))
        value = final + (start - final) * decay + rng.gauss(0, 0.01)
        if diverged and epoch > epochs // 3:
            value = loss[-1] * rng.uniform(1.5, 3.0)
        loss.append(round(max(value, 1e-4), 5))
        val.append(round(max(value * rng.uniform(1.0, 1.15), 1e-4), 5))
    return {"loss": loss, "val_loss": val}


def _result(rng: random.Random, task: CodingTask, status: str) -> dict[str, Any]:
    checks_spec = task.definition.get("checks", []) if isinstance(task.definition, dict) else []
    failing = rng.randrange(len(checks_spec)) if checks_spec else -1
    checks = []
    for index, spec in enumerate(checks_spec):
        passed = status == Status.PASSED or (status == Status.FAILED and index != failing)
        if status == Status.FAILED and rng.random() < 0.2:
            passed = False  # sometimes more than one check fails
        kind = str(spec.get("kind", "check"))
        checks.append(
            {
                "name": kind,
                "kind": kind,
                "label": str(spec.get("label") or kind),
                "passed": passed,
                "measured": None,
                "threshold": None,
                "message": "" if passed else f"{spec.get('label') or kind} did not hold.",
            }
        )
    diagnostics = []
    if status != Status.PASSED:
        name = rng.choice(("learning_rate", "vanishing_gradients", "dead_relu", "learning_rate"))
        diagnostics.append({"name": name, "passed": False, "message": f"{name} suspected"})
    epochs = rng.randint(15, 50)
    final = rng.uniform(0.05, 0.3) if status == Status.PASSED else rng.uniform(0.25, 0.7)
    seeds = [
        {
            "seed": seed,
            "history": _loss_curve(rng, epochs, final, status == Status.DIVERGED),
            "diverged": status == Status.DIVERGED,
        }
        for seed in range(3)
    ]
    return {
        "verdict": status,
        "summary": f"{status.replace('_', ' ').capitalize()}.",
        "checks": checks,
        "diagnostics": diagnostics,
        "seeds": seeds,
        "representative": 1,
        "seconds": round(rng.uniform(5, 60), 2),
    }


@transaction.atomic
def demo_course_generate(
    *,
    content_slug: str,
    slug: str,
    students: int = 200,
    submissions: int = 2000,
    weeks: int = 6,
    seed: int = 1,
    now: datetime | None = None,
) -> DemoSummary:
    """Create the offering ``slug`` of the loaded content ``content_slug`` with ``students``
    students (in the groups ``GROUPS``, in turn) and their answers (late after each lesson's
    deadline, ``_deadlines``) and about ``submissions`` submissions, taught by the demo
    instructor when that account exists; raises ValueError when the content is missing or
    the offering exists."""
    rng = random.Random(seed)  # nosec B311  # demo data from a seed, no secret
    content = Course.objects.filter(slug=content_slug).first()
    if content is None:
        raise ValueError(f"no content {content_slug!r}: run manage.py load_course first")
    if Offering.objects.filter(slug=slug).exists():
        raise ValueError(f"the course {slug!r} exists already: choose another --slug")
    end = now or timezone.now()
    start = end - timedelta(weeks=weeks)
    offering = Offering.objects.create(slug=slug, title=f"{content.title} (demo)", course=content)
    User = get_user_model()
    users = User.objects.bulk_create(
        [
            User(
                username=f"{slug}-{i:03d}",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                password="!",  # nosec B106  # an unusable hash: demo students never log in
            )
            for i in range(1, students + 1)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, offering=offering, role=Role.STUDENT, group=GROUPS[i % len(GROUPS)])
            for i, u in enumerate(users)
        ]
    )
    demo_instructor = User.objects.filter(username=DEMO_INSTRUCTOR).first()
    if demo_instructor is not None:
        Membership.objects.create(user=demo_instructor, offering=offering, role=Role.INSTRUCTOR)
    questions = list(
        Question.objects.filter(course=content, is_active=True)
        .select_related("lesson")
        .order_by("lesson__order", "order", "id")
    )
    lessons = sorted({q.lesson.order for q in questions})
    difficulty = {q.pk: rng.gauss(0.7, 1) for q in questions}
    ability = {u.pk: rng.gauss(0, 1) for u in users}
    # How far each student gets: most reach the end, some drop out on the way.
    reach = {
        u.pk: min(len(lessons), max(1, int(len(lessons) * rng.betavariate(6, 1)) + 1))
        for u in users
    }
    span = (end - start).total_seconds()
    variants: list[QuestionVariant] = []
    answers: list[Answer] = []
    progress: list[QuestionProgress] = []
    for user in users:
        clock = start + timedelta(seconds=rng.uniform(0, span * 0.15))
        for question in questions:
            if lessons.index(question.lesson.order) >= reach[user.pk]:
                break
            lesson_opens = start + timedelta(
                seconds=span * lessons.index(question.lesson.order) / len(lessons)
            )
            if clock < lesson_opens:
                clock = lesson_opens + timedelta(hours=rng.expovariate(1 / 30))
            variant = None
            row_variant = None
            if question.kind == "parametrized":
                variant_seed = grading.variant_seed(user.pk, question.key)
                variant = grading.draw_variant(question.config, seed=variant_seed)
                answer_value = (
                    list(variant.answer)
                    if isinstance(variant.answer, list | tuple)
                    else variant.answer
                )
                row_variant = QuestionVariant(
                    question=question,
                    student=user,
                    seed=variant_seed,
                    params=variant.params,
                    prompt_text=variant.prompt_text,
                    prompt_html=render_markdown(variant.prompt_text, static_prefix=static_prefix()),
                    answer=answer_value,
                    tolerance=variant.tolerance,
                )
                variants.append(row_variant)
            p = _sigmoid(1.7 * (ability[user.pk] - difficulty[question.pk]))
            best, solved, attempt = 0.0, False, 0
            while attempt < question.max_attempts:
                attempt += 1
                clock += timedelta(seconds=rng.lognormvariate(math.log(90), 0.8))
                right = rng.random() < p
                response = _response(rng, question, right, p, variant)
                grade = grading.grade(question.kind, question.config, response, variant=variant)
                answers.append(
                    Answer(
                        student=user,
                        question=question,
                        variant=row_variant,
                        response=response,
                        score=grade.score,
                        verdict=grade.verdict,
                        feedback=grade.feedback,
                        details=grade.details,
                        attempt_number=attempt,
                        offering=offering,
                        created_at=min(clock, end),
                    )
                )
                best = max(best, grade.score)
                if grade.verdict == "correct":
                    solved = True
                    break
                if rng.random() > 0.85:
                    break
                p = min(0.98, p + 0.1)
            progress.append(
                QuestionProgress(
                    student=user,
                    question=question,
                    attempts_used=attempt,
                    best_score=best,
                    solved=solved,
                    last_answered_at=min(clock, end),
                )
            )
    due = _deadlines(offering, questions, lessons, start, span)
    for answer in answers:
        answer.is_late = answer.created_at > due[answer.question.lesson_id]
    QuestionVariant.objects.bulk_create(variants, batch_size=2000)
    with _keeping(Answer, "created_at"):
        Answer.objects.bulk_create(answers, batch_size=2000)
    QuestionProgress.objects.bulk_create(progress, batch_size=2000)
    made = _submissions(rng, offering, users, ability, reach, len(lessons), submissions, start, end)
    return DemoSummary(offering, len(users), len(answers), made)


def _deadlines(
    offering: Offering,
    questions: list[Question],
    lessons: list[int],
    start: datetime,
    span: float,
) -> dict[int, datetime]:
    """Each lesson is due 0.6 of a lesson's time after it opens (the students start on it
    about 0.3 of that time after it opens, so that some answer late): stored as the
    offering's ``LessonDeadline`` rows and returned by lesson id."""
    due: dict[int, datetime] = {}
    for question in questions:
        index = lessons.index(question.lesson.order)
        due[question.lesson_id] = start + timedelta(seconds=span * (index + 0.6) / len(lessons))
    LessonDeadline.objects.bulk_create(
        [LessonDeadline(offering=offering, lesson_id=pk, due_at=at) for pk, at in due.items()]
    )
    return due


def _submissions(
    rng: random.Random,
    offering: Offering,
    users: list[Any],
    ability: dict[int, float],
    reach: dict[int, int],
    n_lessons: int,
    target: int,
    start: datetime,
    end: datetime,
) -> int:
    tasks = list(CodingTask.objects.filter(course_id=offering.course_id, is_active=True))
    if not tasks:
        return 0
    difficulty = {t.pk: rng.gauss(0.3, 0.8) for t in tasks}
    rows: list[Submission] = []
    tried: dict[tuple[int, int], int] = {}
    span = (end - start).total_seconds()
    while len(rows) < target:
        user = rng.choice(users)
        task = rng.choice(tasks)
        if rng.random() > reach[user.pk] / n_lessons:
            continue
        number = tried.get((user.pk, task.pk), 0) + 1
        if number > 12:
            continue
        tried[(user.pk, task.pk)] = number
        created = start + timedelta(seconds=rng.uniform(0.1, 1.0) * span)
        p_pass = _sigmoid(1.5 * (ability[user.pk] - difficulty[task.pk]) + 0.3 * number)
        roll = rng.random()
        if roll < 0.02:
            status = Status.TIMED_OUT
        elif roll < 0.03:
            status = Status.ERROR
        elif rng.random() < p_pass:
            status = Status.PASSED
        elif rng.random() < 0.15:
            status = Status.DIVERGED
        else:
            status = Status.FAILED
        wait = timedelta(seconds=rng.lognormvariate(math.log(8), 1.0))
        run = timedelta(seconds=rng.lognormvariate(math.log(25), 0.6))
        rows.append(
            Submission(
                task=task,
                student=user,
                offering=offering,
                number=number,
                source_kind=task.starter_kind,
                source=task.starter_source,
                spec={},
                status=status,
                queue=task.queue,
                created_at=created,
                enqueued_at=created,
                started_at=created + wait,
                heartbeat_at=created + wait + run,
                finished_at=created + wait + run,
                result=_result(rng, task, status)
                if status in (Status.PASSED, Status.FAILED, Status.DIVERGED)
                else None,
                message=""
                if status not in (Status.TIMED_OUT, Status.ERROR)
                else "Not graded: the run was cut off.",
            )
        )
    # Numbers follow creation time per student and task.
    rows.sort(key=lambda r: r.created_at)
    counters: dict[tuple[int, int], int] = {}
    for row in rows:
        key = (row.student_id, row.task_id)
        counters[key] = counters.get(key, 0) + 1
        row.number = counters[key]
    with _keeping(Submission, "created_at"):
        Submission.objects.bulk_create(rows, batch_size=500)
    return len(rows)
