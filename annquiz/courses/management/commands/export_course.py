"""``manage.py export_course [DIR]``: write the questions edited on the web into the course
files of DIR (default fixtures/course), to be reviewed and committed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annquiz.courses.authoring.export import course_export
from annquiz.courses.models import Course

DEFAULT_DIRECTORY = Path(settings.BASE_DIR) / "fixtures" / "course"


class Command(BaseCommand):
    help = (
        "Write every question edited on the web since its last load (prompt, hints, "
        "explanation, model answer, config and answer table) into the course files, so the "
        "edit can be committed; load_course then finds the files equal and clears the mark."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "directory",
            nargs="?",
            type=Path,
            default=DEFAULT_DIRECTORY,
            help=f"the course directory (default: {DEFAULT_DIRECTORY})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"]
        course_file = directory / "course.yaml"
        if not course_file.is_file():
            raise CommandError(f"{course_file}: no course file")
        data = yaml.safe_load(course_file.read_text(encoding="utf-8"))
        slug = data.get("slug") if isinstance(data, dict) else None
        course = Course.objects.filter(slug=slug).first()
        if course is None:
            raise CommandError(f"course {slug!r} is not in the database: nothing to export")
        summary = course_export(course=course, directory=directory)
        for line in summary.written:
            self.stdout.write(line)
        for key in summary.missing:
            self.stderr.write(self.style.WARNING(f"{key}: in no lesson file of {directory}"))
        if summary.written:
            self.stdout.write(self.style.SUCCESS(f"exported {len(summary.written)} question(s)"))
        else:
            self.stdout.write("no question edited on the web")
