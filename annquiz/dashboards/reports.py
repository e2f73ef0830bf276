"""Each dashboard's content: the selectors' rows turned into statistics, tables and plots.
The views only parse the request and render what these functions return."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from annquiz.coding.grades import submission_score
from annquiz.coding.models import CodingTask
from annquiz.coding.statuses import Status
from annquiz.core import worker_presence
from annquiz.courses.models import Question
from annquiz.dashboards import selectors, svg, timing
from annquiz.dashboards.filters import Filters
from annquiz.dashboards.item_statistics import (
    ItemStatistics,
    Reliability,
    all_item_statistics,
    cronbach_alpha,
    median,
)
from annquiz.dashboards.tables import Link, Table
from annquiz.dashboards.wrong_answers import common_wrong_answers, response_text
from annquiz.enrolment.models import Offering
from annquiz.review import audit as review_audit
from annquiz.review import selectors as review_selectors

ITEMS_CACHE_SECONDS = 600


@dataclass
class Page:
    tables: dict[str, Table] = field(default_factory=dict)
    plots: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def add(self, table: Table) -> None:
        self.tables[table.key] = table


def _url(name: str, offering: Offering, *args: Any, filters: Filters | None = None) -> str:
    url = reverse(f"dashboards:{name}", args=[offering.slug, *args])
    return f"{url}?{filters.query()}" if filters is not None else url


def _when(moment: datetime | None) -> str:
    return "" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds(), 1)


# --- items (every question) --------------------------------------------------------------------


@dataclass(frozen=True)
class CourseItems:
    lessons: list[tuple[Any, list[Question]]]
    stats: dict[int, ItemStatistics]
    course_alpha: Reliability
    lesson_alpha: dict[int, Reliability]


def course_items(offering: Offering, filters: Filters) -> CourseItems:
    """Every active question's statistics within the whole course (the test), and
    Cronbach's alpha of the course and of each lesson.

    Kept in the default cache under the offering's answers fingerprint
    (``selectors.answers_fingerprint``): a new answer, an instructor's decision on a grade
    or an edit of the content makes a new key, so what is shown is never older than them."""
    key = "dashboards:items:{}:{}:{}".format(
        offering.pk, filters.query(), ":".join(map(str, selectors.answers_fingerprint(offering)))
    )
    found = cache.get(key)
    if isinstance(found, CourseItems):
        return found
    items = _course_items(offering, filters)
    cache.set(key, items, ITEMS_CACHE_SECONDS)
    return items


def _course_items(offering: Offering, filters: Filters) -> CourseItems:
    lessons = selectors.lessons_with_questions(offering)
    questions = [q for _, qs in lessons for q in qs]
    points = {q.pk: q.points for q in questions if q.points > 0}
    matrix = selectors.chosen_scores(offering, filters, points)
    maxima = {str(pk): p for pk, p in points.items()}
    by_item = all_item_statistics(matrix, maxima)
    stats = {pk: by_item[str(pk)] for pk in points}
    course_alpha = cronbach_alpha(matrix, [str(pk) for pk in points])
    lesson_alpha = {
        lesson.pk: cronbach_alpha(matrix, [str(q.pk) for q in qs if q.pk in points])
        for lesson, qs in lessons
    }
    return CourseItems(lessons, stats, course_alpha, lesson_alpha)


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def items_page(offering: Offering, filters: Filters) -> Page:
    items = course_items(offering, filters)
    page = Page()
    rows = []
    for lesson, questions in items.lessons:
        for q in questions:
            s = items.stats.get(q.pk)
            if s is None:
                continue
            rows.append(
                (
                    lesson.title,
                    Link(q.key, _url("question", offering, q.key, filters=filters)),
                    q.get_kind_display(),
                    s.n,
                    _r(s.mean),
                    _r(s.facility),
                    _r(s.sd),
                    _r(s.discrimination),
                    _r(s.efficiency),
                    "; ".join(s.flags),
                )
            )
    page.add(
        Table(
            "items",
            "Every question: statistics of the chosen attempt",
            (
                "Lesson",
                "Question",
                "Kind",
                "Students",
                "Mean",
                "Facility",
                "SD",
                "Discrimination",
                "Efficiency",
                "Flags",
            ),
            rows,
        )
    )
    reliability = [
        ("Whole course", items.course_alpha),
        *((lesson.title, items.lesson_alpha[lesson.pk]) for lesson, _ in items.lessons),
    ]
    page.add(
        Table(
            "reliability",
            "Cronbach's alpha with its standard error (Duhachek and Iacobucci)",
            ("Part", "Questions (k)", "Students with every answer (n)", "Alpha", "SE"),
            [(name, r.k, r.n, _r(r.alpha), _r(r.se)) for name, r in reliability],
        )
    )
    page.facts["flagged"] = sum(1 for row in rows if row[-1])
    return page


# --- one question ----------------------------------------------------------------------------


def question_page(offering: Offering, question: Question, filters: Filters) -> Page:
    items = course_items(offering, filters)
    page = Page()
    stats = items.stats.get(question.pk)
    page.facts["stats"] = stats
    page.facts["points"] = question.points
    if stats is None:  # worth no points: no statistics
        return page
    labels = [f"{b.low:.2g}-{b.high:.2g}" for b in stats.histogram]
    page.plots["histogram"] = svg.bar_chart(
        "histogram",
        title=f"Distribution of the scores ({filters.attempt} attempt)",
        labels=labels,
        values=[b.count for b in stats.histogram],
        y_label="students",
    )
    page.add(
        Table(
            "histogram",
            "Distribution of the scores",
            ("Score from", "Score to", "Students"),
            [(round(b.low, 3), round(b.high, 3), b.count) for b in stats.histogram],
        )
    )
    quintile_labels = ["lowest fifth", "2nd", "3rd", "4th", "highest fifth"]
    page.plots["quintiles"] = svg.bar_chart(
        "quintiles",
        title="Mean score by fifth of overall performance",
        labels=quintile_labels,
        values=stats.quintiles,
        y_label="mean score (fraction)",
        y_max=1.0,
    )
    page.add(
        Table(
            "quintiles",
            "Mean score (fraction of the maximum) by fifth of overall performance",
            ("Fifth", "Mean score"),
            [(label, _r(v)) for label, v in zip(quintile_labels, stats.quintiles, strict=True)],
        )
    )
    choice_texts = {
        str(c.get("key")): str(c.get("text", ""))
        for c in (question.config.get("choices") or [])
        if isinstance(c, dict)
    }
    wrong = common_wrong_answers(
        question.kind,
        selectors.wrong_answers_of(offering=offering, question=question, filters=filters),
        choice_texts=choice_texts,
    )
    page.add(
        Table(
            "wrong",
            "Most common wrong answers (every attempt that was not fully correct)",
            ("Answer (normalized)", "Count", "Example"),
            [(w.label, w.count, w.example[:300]) for w in wrong],
            empty="No wrong answers.",
        )
    )
    lesson_rows = selectors.answer_rows(offering, filters, lesson_id=question.lesson_id)
    gaps = timing.answer_gaps((r.student, r.question, r.attempt, r.created_at) for r in lesson_rows)
    chosen = _chosen_attempts(lesson_rows, question.pk, filters)
    times = [gaps[key].total_seconds() for key in chosen if key in gaps]
    page.facts["median_seconds"] = median(times)
    page.facts["timed"] = len(times)
    return page


def _chosen_attempts(
    rows: list[selectors.AnswerRow], question_id: int, filters: Filters
) -> list[tuple[int, int, int]]:
    """(student, question, attempt) of the attempt the filters choose, per student."""
    mine: dict[int, list[selectors.AnswerRow]] = defaultdict(list)
    for row in rows:
        if row.question == question_id:
            mine[row.student].append(row)
    out = []
    for student, tries in mine.items():
        if filters.attempt == "first":
            pick = min(tries, key=lambda r: r.attempt)
        elif filters.attempt == "last":
            pick = max(tries, key=lambda r: r.attempt)
        else:
            pick = max(tries, key=lambda r: (r.score, -r.attempt))
        out.append((student, question_id, pick.attempt))
    return out


# --- course overview ---------------------------------------------------------------------------


def overview_page(offering: Offering, filters: Filters) -> Page:
    page = Page()
    names = selectors.student_names(offering, group=filters.group)
    page.facts["students"] = len(names)
    page.facts["active"] = selectors.active_student_count(offering, group=filters.group)
    items = course_items(offering, filters)
    page.facts["course_alpha"] = items.course_alpha
    # progress per lesson, from the chosen attempts
    rows = []
    for lesson, questions in items.lessons:
        ids = [q.pk for q in questions if q.pk in items.stats]
        answered = [items.stats[pk].n for pk in ids]
        facilities = [items.stats[pk].facility for pk in ids]
        known = [f for f in facilities if f is not None]
        rows.append(
            (
                lesson.title,
                len(ids),
                max(answered, default=0),
                min(answered, default=0) if ids else 0,
                _r(sum(known) / len(known)) if known else None,
                _r(items.lesson_alpha[lesson.pk].alpha),
            )
        )
    page.add(
        Table(
            "lessons",
            "Progress per lesson",
            (
                "Lesson",
                "Questions",
                "Students who answered any",
                "Students who answered the least answered",
                "Mean facility",
                "Alpha",
            ),
            rows,
        )
    )
    flagged = [
        (Link(q.key, _url("question", offering, q.key, filters=filters)), "; ".join(s.flags))
        for _, qs in items.lessons
        for q in qs
        if (s := items.stats.get(q.pk)) is not None and s.flags
    ]
    page.add(
        Table(
            "flagged",
            "Questions that look broken",
            ("Question", "Why"),
            flagged,
            empty="No question is flagged.",
        )
    )
    tasks = selectors.task_pass_rates(offering, filters)
    page.add(
        Table(
            "tasks",
            "Coding tasks: pass rates",
            ("Task", "Submissions", "Students who submitted", "Students who passed", "Pass rate"),
            [
                (
                    Link(t.task.title, _url("task", offering, t.task.slug, filters=filters)),
                    t.submissions,
                    t.students,
                    t.students_passed,
                    _r(t.students_passed / t.students) if t.students else None,
                )
                for t in tasks
            ],
            empty="This course has no coding tasks.",
        )
    )
    activity = []
    for answer in selectors.recent_answers(offering, filters):
        activity.append(
            (
                answer.created_at,
                _when(answer.created_at),
                Link(
                    names.get(answer.student_id, answer.student.get_username()),
                    _url("student", offering, answer.student_id),
                ),
                f"answered {answer.question.key} ({answer.get_verdict_display()})",
            )
        )
    for sub in selectors.recent_submissions(offering, filters):
        activity.append(
            (
                sub.created_at,
                _when(sub.created_at),
                Link(
                    names.get(sub.student_id, sub.student.get_username()),
                    _url("student", offering, sub.student_id),
                ),
                f"submitted to {sub.task.slug} ({sub.get_status_display()})",
            )
        )
    activity.sort(key=lambda row: row[0], reverse=True)
    page.add(
        Table(
            "activity",
            "Recent activity",
            ("When", "Student", "What"),
            [row[1:] for row in activity[:20]],
        )
    )
    latest = selectors.last_activity(offering, group=filters.group)
    page.add(
        Table(
            "students",
            "Students",
            ("Student", "Last activity"),
            [
                (Link(name, _url("student", offering, pk)), _when(latest.get(pk)))
                for pk, name in sorted(names.items(), key=lambda item: item[1].lower())
            ],
            empty="No students yet.",
        )
    )
    # what needs attention
    review = selectors.answers_needing_review(offering, group=filters.group)
    page.add(
        Table(
            "review",
            "Answers flagged for review",
            ("When", "Student", "Question", "Answer"),
            [
                (
                    _when(a.created_at),
                    Link(
                        names.get(a.student_id, a.student.get_username()),
                        _url("student", offering, a.student_id),
                    ),
                    Link(a.question.key, reverse("review:answer", args=[offering.slug, a.pk])),
                    response_text(a.response)[:200],
                )
                for a in review
            ],
            empty="No answer is flagged for review.",
        )
    )
    page.add(_waiting_table(offering, names, filters.group))
    page.facts["workers"] = _worker_problems(offering)
    return page


def _waiting_table(offering: Offering, names: dict[int, str], group: str | None) -> Table:
    now = timezone.now()
    return Table(
        "waiting",
        f"Submissions queued for more than {int(selectors.LONG_WAIT.total_seconds() // 60)} "
        "minutes",
        ("Submission", "Student", "Task", "Waiting (minutes)"),
        [
            (
                Link(f"#{s.pk}", reverse("coding:submission", args=[s.task.slug, s.pk])),
                names.get(s.student_id, s.student.get_username()),
                s.task.slug,
                round((now - s.created_at).total_seconds() / 60, 1),
            )
            for s in selectors.long_waiting(offering, group=group, now=now)
        ],
        empty="No submission has waited that long.",
    )


def _worker_problems(offering: Offering) -> list[str]:
    """What is wrong with the workers that judge this course's tasks, in words."""
    workers = worker_presence.workers_online()
    if workers is None:
        return ["Redis does not answer: whether any worker is running is unknown."]
    consumed = {queue for worker in workers for queue in worker.queues}
    needed = sorted({task.queue for task in selectors.tasks_of(offering)})
    problems = [
        f"No worker takes submissions from the {queue!r} queue."
        for queue in needed
        if queue not in consumed
    ]
    if not workers:
        problems.insert(0, "No worker is online: submissions wait until one starts.")
    return problems


# --- grading queue health -----------------------------------------------------------------------


def queue_page(offering: Offering, filters: Filters) -> Page:
    page = Page()
    now = timezone.now()
    workers = worker_presence.workers_online()
    page.facts["redis_down"] = workers is None
    page.add(
        Table(
            "workers",
            "Workers online",
            ("Worker", "Process", "Queues", "Last heartbeat (seconds ago)"),
            [
                (w.hostname, w.pid, ", ".join(w.queues), round(now.timestamp() - w.seen_at, 1))
                for w in workers or []
            ],
            empty="No worker is online." if workers is not None else "Redis does not answer.",
        )
    )
    mine = selectors.submissions_of(offering, Filters())
    everyone = selectors.all_submissions()
    rows = []
    counts = {
        "This course": selectors.queue_counts(mine),
        "All courses": selectors.queue_counts(everyone),
    }
    for name, c in counts.items():
        failed = c.by_status.get(Status.ERROR, 0) + c.by_status.get(Status.TIMED_OUT, 0)
        rows.append(
            (
                name,
                c.by_status.get(Status.QUEUED, 0),
                c.by_status.get(Status.RUNNING, 0),
                failed,
                None
                if c.oldest_queued is None
                else round((now - c.oldest_queued).total_seconds() / 60, 1),
                ", ".join(f"{q}: {n}" for q, n in sorted(c.queues.items())) or "-",
            )
        )
    page.add(
        Table(
            "queue",
            "Submissions by state (failed: not graded through a service error or time-out)",
            (
                "Scope",
                "Queued",
                "Running",
                "Failed (service)",
                "Oldest waiting (minutes)",
                "Queued per queue",
            ),
            rows,
        )
    )
    since = now - timedelta(hours=1)
    minute_counts = [0] * 60
    for finished in selectors.finish_times(mine, since=since):
        index = min(59, int((finished - since).total_seconds() // 60))
        minute_counts[index] += 1
    labels = [f"-{60 - i}" for i in range(60)]
    page.plots["rate"] = svg.bar_chart(
        "rate",
        title="Grades per minute over the last hour (this course)",
        labels=labels,
        values=minute_counts,
        y_label="grades",
    )
    page.add(
        Table(
            "rate",
            "Grades per minute over the last hour (this course)",
            ("Minutes ago", "Grades"),
            [(60 - i, n) for i, n in enumerate(minute_counts)],
        )
    )
    page.facts["per_minute"] = round(sum(minute_counts) / 60, 2)
    return page


# --- one student ---------------------------------------------------------------------------


def student_page(offering: Offering, student: Any, filters: Filters) -> Page:
    page = Page()
    lessons = selectors.lessons_with_questions(offering)
    answers = selectors.student_answers(offering=offering, student_id=student.pk)
    by_question: dict[int, list[Any]] = defaultdict(list)
    for answer in answers:
        by_question[answer.question_id].append(answer)
    rows = []
    for lesson, questions in lessons:
        done = [q for q in questions if by_question.get(q.pk)]
        best = [max(a.score for a in by_question[q.pk]) for q in done]
        rows.append(
            (
                lesson.title,
                len(questions),
                len(done),
                _r(sum(best) / len(questions)) if questions else None,
            )
        )
    page.add(
        Table(
            "lessons",
            "Progress per lesson (best attempts; unanswered count 0)",
            ("Lesson", "Questions", "Answered", "Mean best score"),
            rows,
        )
    )
    page.facts["answers"] = answers
    changes = review_selectors.changes_by_target(student_id=student.pk, offering=offering)
    page.facts["answer_rows"] = [
        (a, changes.get(("answer", a.pk), []), reverse("review:answer", args=[offering.slug, a.pk]))
        for a in answers
    ]
    page.add(
        Table(
            "answers",
            "Every answer",
            ("Question", "Attempt", "When", "Score", "Verdict", "Answer"),
            [
                (
                    a.question.key,
                    a.attempt_number,
                    _when(a.created_at),
                    _r(a.score),
                    a.get_verdict_display(),
                    response_text(a.response)[:300],
                )
                for a in answers
            ],
            empty="No answers yet.",
        )
    )
    submissions = selectors.student_submissions(offering=offering, student_id=student.pk)
    page.add(
        Table(
            "submissions",
            "Every submission",
            ("Task", "Number", "When", "Status", "Grade", "Review"),
            [
                (
                    s.task.title,
                    Link(f"#{s.number}", reverse("coding:submission", args=[s.task.slug, s.pk])),
                    _when(s.created_at),
                    s.get_status_display(),
                    submission_score(s),
                    Link(
                        f"Review #{s.number}",
                        reverse("review:submission", args=[offering.slug, s.pk]),
                    ),
                )
                for s in submissions
            ],
            empty="No submissions yet.",
        )
    )
    page.add(
        Table(
            "grade_changes",
            "Instructors' decisions on this student's grades, oldest first",
            ("Answer or submission", *review_audit.CHANGE_HEADERS),
            [
                (review_audit.item_label(change), *review_audit.change_row(change))
                for rows in changes.values()
                for change in rows
            ],
            empty="No grade of this student has been confirmed or overridden.",
        )
    )
    return page


# --- one coding task ----------------------------------------------------------------------------

VERDICT_GROUPS = ("passed", "failed", "diverged", "timed out", "service error", "waiting")


def _failure_mode(row: dict[str, Any]) -> str:
    status = row["status"]
    if status == Status.FAILED:
        failed = sorted(
            str(c.get("label") or c.get("name"))
            for c in row["result__checks"] or []
            if isinstance(c, dict) and not c.get("passed")
        )
        return "failed: " + (", ".join(failed) if failed else "no check named")
    return {
        Status.PASSED: "passed",
        Status.DIVERGED: "diverged",
        Status.TIMED_OUT: "timed out",
        Status.ERROR: "service error",
    }.get(status, "waiting")


def task_page(offering: Offering, task: CodingTask, filters: Filters) -> Page:
    page = Page()
    names = selectors.student_names(offering)
    rows = selectors.task_submission_rows(offering=offering, task=task, filters=filters)
    judged = [r for r in rows if r["status"] in (Status.PASSED, Status.FAILED, Status.DIVERGED)]
    students = {r["student_id"] for r in rows}
    passed_students = {r["student_id"] for r in rows if r["status"] == Status.PASSED}
    page.facts.update(
        submissions=len(rows),
        judged=len(judged),
        passed=sum(1 for r in judged if r["status"] == Status.PASSED),
        students=len(students),
        students_passed=len(passed_students),
        pass_rate=_r(len(passed_students) / len(students)) if students else None,
    )
    modes = Counter(_failure_mode(r) for r in rows)
    groups = Counter("failed" if mode.startswith("failed") else mode for mode in modes.elements())
    page.plots["verdicts"] = svg.bar_chart(
        "verdicts",
        title="Submissions by verdict",
        labels=list(VERDICT_GROUPS),
        values=[groups.get(g, 0) for g in VERDICT_GROUPS],
        y_label="submissions",
    )
    page.add(
        Table(
            "verdicts",
            "Submissions by verdict",
            ("Verdict", "Submissions"),
            [(g, groups.get(g, 0)) for g in VERDICT_GROUPS],
        )
    )
    checks: Counter[str] = Counter()
    diagnostics: Counter[str] = Counter()
    for r in judged:
        for c in r["result__checks"] or []:
            if isinstance(c, dict) and not c.get("passed"):
                checks[str(c.get("label") or c.get("name"))] += 1
        for d in r["result__diagnostics"] or []:
            if isinstance(d, dict) and d.get("passed") is False:
                diagnostics[str(d.get("name"))] += 1
    page.add(
        Table(
            "checks",
            "Checks failed most",
            ("Check", "Submissions failing it"),
            checks.most_common(),
            empty="No check failed.",
        )
    )
    page.add(
        Table(
            "diagnostics",
            "Diagnostics seen most",
            ("Diagnostic", "Submissions"),
            diagnostics.most_common(),
            empty="No diagnostic found a problem.",
        )
    )
    latencies = [
        (r["finished_at"] - r["created_at"]).total_seconds()
        for r in rows
        if r["finished_at"] is not None
    ]
    waits = [
        (r["started_at"] - r["created_at"]).total_seconds()
        for r in rows
        if r["started_at"] is not None
    ]
    page.add(
        Table(
            "latency",
            "Grading latency in seconds (from submitting to the verdict; waiting: to the start)",
            ("Measure", "p50", "p95", "Submissions"),
            [
                (
                    "submitted to verdict",
                    _r(timing.percentile(latencies, 50), 1),
                    _r(timing.percentile(latencies, 95), 1),
                    len(latencies),
                ),
                (
                    "waiting in the queue",
                    _r(timing.percentile(waits, 50), 1),
                    _r(timing.percentile(waits, 95), 1),
                    len(waits),
                ),
            ],
        )
    )
    clusters: dict[str, tuple[int, dict[str, Any]]] = {}
    for r in rows:
        mode = _failure_mode(r)
        if mode == "passed" or mode == "waiting":
            continue
        count, example = clusters.get(mode, (0, r))
        clusters[mode] = (count + 1, example)
    page.add(
        Table(
            "clusters",
            "Failing submissions grouped by failure mode, one example each",
            ("Failure mode", "Submissions", "Example"),
            [
                (
                    mode,
                    count,
                    Link(
                        f"{names.get(example['student_id'], 'student')}'s #{example['number']}",
                        reverse("coding:submission", args=[task.slug, example["id"]]),
                    ),
                )
                for mode, (count, example) in sorted(clusters.items(), key=lambda i: -i[1][0])
            ],
            empty="No failing submission.",
        )
    )
    series = []
    for sub_id, student_id, number, seeds, representative in selectors.loss_histories(
        offering=offering, task=task, filters=filters
    ):
        if not isinstance(seeds, list) or not seeds:
            continue
        index = (
            representative
            if isinstance(representative, int) and 0 <= representative < len(seeds)
            else 0
        )
        history = seeds[index].get("history", {}) if isinstance(seeds[index], dict) else {}
        loss = [float(v) for v in history.get("loss", []) if isinstance(v, (int, float))]
        if loss:
            series.append((f"#{sub_id} ({names.get(student_id, 'student')}, {number})", loss))
    page.plots["loss"] = svg.line_chart(
        "loss",
        title="Training loss of the latest judged submissions (representative seed)",
        series=series,
        x_label="epoch",
        y_label="loss",
    )
    page.facts["curves"] = len(series)
    return page
