"""``manage.py generate_demo_course``: a realistic course for demonstrations and benchmarks."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annquiz.dashboards.demo_course import demo_course_generate


class Command(BaseCommand):
    help = (
        "Create a demo course (an offering of loaded content) with students of varied ability, "
        "their graded answers and judged submissions over several weeks. Needs load_course "
        "(and load_tasks for submissions) first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--content", default="ann-handout", help="the content's slug")
        parser.add_argument("--slug", default="demo-course", help="the new course's slug")
        parser.add_argument("--students", type=int, default=200)
        parser.add_argument("--submissions", type=int, default=2000)
        parser.add_argument("--weeks", type=int, default=6)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("students", "submissions", "weeks"):
            if options[name] < (1 if name != "submissions" else 0):
                raise CommandError(f"--{name} must be positive")
        started = time.perf_counter()
        try:
            summary = demo_course_generate(
                content_slug=options["content"],
                slug=options["slug"],
                students=options["students"],
                submissions=options["submissions"],
                weeks=options["weeks"],
                seed=options["seed"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Course {summary.offering.slug!r}: {summary.students} students, {summary.answers} "
            f"answers, {summary.submissions} submissions "
            f"in {time.perf_counter() - started:.1f} s."
        )
