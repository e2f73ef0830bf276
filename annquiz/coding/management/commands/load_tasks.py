"""``manage.py load_tasks [DIR]``: store the task catalog of DIR (default fixtures/tasks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annquiz.coding.catalog import DEFAULT_CATALOG_DIRECTORY, CatalogError, load_catalog
from annquiz.coding.catalog_sync import task_catalog_load

DEFAULT_DIRECTORY = DEFAULT_CATALOG_DIRECTORY


class Command(BaseCommand):
    help = (
        "Load the coding-task catalog (one folder per task: task.md, starter, reference and "
        "broken solutions): creates or updates tasks by slug, deactivates tasks no longer in "
        "the catalog, keeps every submission. Load the course first. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "directory",
            nargs="?",
            type=Path,
            default=DEFAULT_DIRECTORY,
            help=f"the catalog directory (default: {DEFAULT_DIRECTORY})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"]
        if not directory.is_dir():
            raise CommandError(f"{directory}: not a directory")
        try:
            catalog = load_catalog(directory)
            summary = task_catalog_load(catalog=catalog)
        except CatalogError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"task catalog from {directory}: {summary}")
