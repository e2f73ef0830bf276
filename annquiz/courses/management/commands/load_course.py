"""``manage.py load_course [DIR]``: store the course content of DIR (default fixtures/course)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annquiz.core.static_files import static_prefix
from annquiz.courses.content import ContentError, SourceRef, load_course
from annquiz.courses.content_sync import course_load
from annquiz.courses.errors import ContentInvalid

DEFAULT_DIRECTORY = Path(settings.BASE_DIR) / "fixtures" / "course"


class Command(BaseCommand):
    help = (
        "Load a course from its content directory (course.yaml + lessons/*.md): creates or "
        "updates the course, its lessons and questions by slug and key, deactivates questions "
        "no longer in the content, keeps students' answers. Safe to run again. A question "
        "edited on the web since its last load is kept when the files differ (--force: "
        "replaced)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "directory",
            nargs="?",
            type=Path,
            default=DEFAULT_DIRECTORY,
            help=f"the course directory (default: {DEFAULT_DIRECTORY})",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace questions edited on the web by the files even where they differ "
            "(without it such questions keep their web edit and are listed)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"]
        if not directory.is_dir():
            raise CommandError(f"{directory}: not a directory")
        try:
            definition = load_course(directory, static_prefix=static_prefix())
        except ContentError as exc:
            raise CommandError(str(exc)) from None
        try:
            summary = course_load(
                definition=definition,
                source=SourceRef(path=str(directory / "course.yaml"), line=1),
                force=options["force"],
            )
        except ContentInvalid as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"course {definition.slug!r} from {directory}:")
        self.stdout.write(str(summary))
        if summary.kept:
            self.stderr.write(
                self.style.WARNING(
                    f"{len(summary.kept)} question(s) edited on the web differ from the files "
                    "and were kept: run export_course and commit, or load with --force"
                )
            )
        if summary.changed:
            self.stdout.write(self.style.SUCCESS("stored"))
        else:
            self.stdout.write("nothing changed")
