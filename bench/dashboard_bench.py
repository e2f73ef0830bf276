"""The instructors' dashboards on PostgreSQL with a generated course: every page's p95.

    .venv/bin/python -m bench.dashboard_bench            # recreates the database dashboard_bench
    .venv/bin/python -m bench.dashboard_bench --requests 20 --no-write

It recreates its own database, migrates, loads the course content and the task catalog,
generates the demo course (``generate_demo_course``: 200 students, about 10,000 answers,
2,000 submissions), then requests each dashboard page ``--requests`` times as a staff user
through Django's test client (the whole request: middleware, session, queries, template),
after one warm-up request each. The question statistics and the gradebook's rows are kept in
the cache under a fingerprint of the course's work (a new answer, judging or decision
recomputes them); two rows measure them recomputed every time (cache cleared before each
request). The peer figures, measured in the same run the
same way, are the student-facing course list and course page. Target: p95 <= 300 ms for
every dashboard."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime

from bench import common

START_MARK = "<!-- dashboard_bench -->"
END_MARK = "<!-- /dashboard_bench -->"
TARGET_MS = 300.0


def _setup(database: str) -> None:
    os.environ["DATABASE_URL"] = f"{common.PG_SERVER}/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annquiz.settings")
    import django

    django.setup()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="dashboard_bench")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    common.recreate_database(args.database)
    _setup(args.database)
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from annquiz.coding.models import CodingTask, Submission
    from annquiz.courses.models import Answer, Question

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    call_command("load_course", verbosity=0)
    call_command("load_tasks", verbosity=0)
    started = time.perf_counter()
    call_command("generate_demo_course", "--slug", "demo-course", verbosity=0)
    generated = time.perf_counter() - started
    with connection.cursor() as cursor:
        # What autovacuum does soon after a bulk load: the planner's statistics of the tables.
        cursor.execute("ANALYZE")
    slug = "demo-course"
    staff = get_user_model().objects.create_user("bench-staff", is_staff=True)
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    question = Question.objects.filter(answers__offering__slug=slug).order_by("id").first()
    task = CodingTask.objects.filter(submissions__offering__slug=slug).order_by("id").first()
    student = Answer.objects.filter(offering__slug=slug).values_list("student_id", flat=True)[0]
    reviewed = (
        Answer.objects.filter(offering__slug=slug)
        .order_by("-needs_review", "id")
        .values_list("pk", flat=True)[0]
    )
    assert question is not None and task is not None
    pages = {
        "overview": reverse("dashboards:overview", args=[slug]),
        "questions": reverse("dashboards:questions", args=[slug]),
        "question": reverse("dashboards:question", args=[slug, question.key]),
        "queue": reverse("dashboards:queue", args=[slug]),
        "student": reverse("dashboards:student", args=[slug, student]),
        "task": reverse("dashboards:task", args=[slug, task.slug]),
        "regrade": reverse("dashboards:regrade", args=[slug, task.slug]),
        "review queue": reverse("review:queue", args=[slug]),
        "review of an answer": reverse("review:answer", args=[slug, reviewed]),
        "grade audit": reverse("review:audit", args=[slug]),
        "gradebook": reverse("gradebook:page", args=[slug]),
        "gradebook, one group": reverse("gradebook:page", args=[slug]) + "?group=Lab+A",
        "gradebook as JSON": reverse("gradebook:page", args=[slug]) + "?format=json",
        "gradebook, rows recomputed (cache cleared)": reverse("gradebook:page", args=[slug]),
        "questions, statistics recomputed (cache cleared)": reverse(
            "dashboards:questions", args=[slug]
        ),
        "peer: course list": reverse("courses:course-list"),
        "peer: course page": reverse("courses:course", args=[slug]),
    }
    timings: dict[str, list[float]] = {name: [] for name in pages}
    for name, url in pages.items():
        response = client.get(url)
        if response.status_code != 200:
            print(f"{name}: {url} answered {response.status_code}", file=sys.stderr)
            return 1
    for _ in range(args.requests):  # interleaved, so that load changes hit every page alike
        for name, url in pages.items():
            if "recomputed" in name:
                cache.clear()
            t0 = time.perf_counter()
            client.get(url)
            timings[name].append((time.perf_counter() - t0) * 1000)
            if "recomputed" in name:  # what the other pages keep cached, as it was
                for page in pages.values():
                    client.get(page)
    info = common.machine()
    counts = (
        f"{Answer.objects.filter(offering__slug=slug).count()} answers, "
        f"{Submission.objects.filter(offering__slug=slug).count()} submissions"
    )
    lines = [
        START_MARK,
        "## Instructors' dashboards",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {info['cpu']} ({info['nproc']} cores, "
        f"{info['ram']}) · {info['os']} · Python {info['python']} · load average "
        f"{info['load']} at the end · PostgreSQL · `python -m bench.dashboard_bench`",
        "",
        f"Generated course: 200 students, {counts} ({generated:.1f} s to generate). "
        f"{args.requests} requests per page as staff, interleaved, after one warm-up each. "
        "Statistics and the gradebook's rows are cached under a fingerprint of the course's "
        "work; the rows 'recomputed' clear the cache before each request.",
        "",
        "| Page | p50 (ms) | p95 (ms) | Target p95 <= 300 ms |",
        "|---|---|---|---|",
    ]
    ok = True
    for name, values in timings.items():
        p50, p95 = statistics.median(values), _percentile(values, 95)
        peer = name.startswith("peer")
        met = p95 <= TARGET_MS
        ok = ok and (met or peer)
        lines.append(
            f"| {name} | {p50:.0f} | {p95:.0f} | {'(peer)' if peer else common.verdict(met)} |"
        )
    lines += ["", END_MARK, ""]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        common.write_section(section, start_mark=START_MARK, end_mark=END_MARK)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
