"""Shared test set-up: fast password hashing, plain static storage, a private test database.

The database is PostgreSQL when DATABASE_URL is set (as in CI), otherwise SQLite (see
annquiz/settings.py). Browser tests skip when Debian's chromium is missing, except in CI.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

CHROMIUM = Path("/usr/bin/chromium")

pytest_plugins = ["tests.worker", "tests.enrolment"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, django_db_keepdb: bool
) -> None:
    """Give each run its own PostgreSQL test database, so runs sharing a server don't collide.

    With ``--reuse-db`` the usual fixed name is kept, so the database can be reused.
    """
    from django.conf import settings

    if django_db_keepdb:
        return
    for db in settings.DATABASES.values():
        if db["ENGINE"] == "django.db.backends.sqlite3":
            continue
        test = db.setdefault("TEST", {})
        name = test.get("NAME") or f"test_{db['NAME']}"
        test["NAME"] = f"{name}_{os.getpid()}"


@pytest.fixture(autouse=True)
def _fast_tests(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The manifest exists only after collectstatic; tests render templates without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists() or os.environ.get("CI", "").lower() == "true":
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing (Debian package chromium)")
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(skip)
