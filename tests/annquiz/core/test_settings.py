"""Settings that come from the environment or from the data directory."""

from __future__ import annotations

import os
import secrets
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from annquiz.settings import secret_key_from_var_dir


def test_secret_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    first = secret_key_from_var_dir(var_dir)
    key_file = var_dir / "secret_key"
    assert len(first) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert secret_key_from_var_dir(var_dir) == first


def test_each_installation_gets_its_own_secret_key(tmp_path: Path) -> None:
    assert secret_key_from_var_dir(tmp_path / "a") != secret_key_from_var_dir(tmp_path / "b")


# --- the production environment ---------------------------------------------------------------

REPO = Path(__file__).resolve().parents[3]


def readme_production_environment() -> dict[str, str]:
    """The variables the README's "Production deployment" section exports."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Production deployment", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    variables: dict[str, str] = {}
    for line in block.splitlines():
        words = shlex.split(line)
        if words[:1] == ["export"]:
            for word in words[1:]:
                name, _, value = word.partition("=")
                variables[name] = value
    return variables


def run_django(
    tmp_path: Path, environment: dict[str, str], *command: str
) -> subprocess.CompletedProcess[str]:
    """``manage.py <command>`` in a fresh process with only these variables (and PATH)."""
    return subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=REPO,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **environment},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def production(tmp_path: Path) -> dict[str, str]:
    environment = readme_production_environment()
    assert environment["SECRET_KEY"] == "<50+ random characters>"  # the README's placeholder
    environment["SECRET_KEY"] = secrets.token_urlsafe(50)
    environment["ANNQUIZ_VAR_DIR"] = str(tmp_path / "var")
    return environment


def test_the_readme_production_section_sets_the_https_settings() -> None:
    environment = readme_production_environment()
    for name in (
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "SECURE_COOKIES",
        "ANNQUIZ_SECURE_SSL_REDIRECT",
        "ANNQUIZ_TRUST_X_FORWARDED_PROTO",
        "ANNQUIZ_HSTS_SECONDS",
    ):
        assert name in environment


@pytest.mark.slow
def test_check_deploy_is_clean_in_the_readme_production_environment(
    tmp_path: Path, production: dict[str, str]
) -> None:
    result = run_django(tmp_path, production, "check", "--deploy", "--fail-level", "WARNING")

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


@pytest.mark.slow
def test_check_deploy_names_what_is_missing_without_hsts_and_the_redirect(
    tmp_path: Path, production: dict[str, str]
) -> None:
    del production["ANNQUIZ_HSTS_SECONDS"], production["ANNQUIZ_SECURE_SSL_REDIRECT"]

    result = run_django(tmp_path, production, "check", "--deploy", "--fail-level", "WARNING")

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "security.W004" in output and "security.W008" in output


def show_settings(tmp_path: Path, environment: dict[str, str], *names: str) -> list[str]:
    code = "from django.conf import settings; " + "; ".join(
        f"print(repr(getattr(settings, {name!r}, None)))" for name in names
    )
    result = run_django(tmp_path, environment, "shell", "-c", code)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()[-len(names) :]


@pytest.mark.slow
def test_the_https_settings_come_from_the_environment(
    tmp_path: Path, production: dict[str, str]
) -> None:
    names = (
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
    )
    local = {"SECRET_KEY": "x" * 60, "ANNQUIZ_VAR_DIR": str(tmp_path / "var")}

    assert show_settings(tmp_path, production, *names) == [
        "True",
        "('HTTP_X_FORWARDED_PROTO', 'https')",
        "31536000",
        "True",
        "True",
        "True",
        "True",
    ]
    assert show_settings(tmp_path, local, *names) == [
        "False",
        "None",
        "0",
        "False",
        "False",
        "False",
        "False",
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ANNQUIZ_TOKEN_TTL_HOURS", "0", "ANNQUIZ_TOKEN_TTL_HOURS must be at least 1"),
        ("ANNQUIZ_HSTS_SECONDS", "-1", "ANNQUIZ_HSTS_SECONDS must be 0 (off) or more"),
        ("ANNQUIZ_SECURE_SSL_REDIRECT", "maybe", "is not a boolean"),
    ],
)
def test_a_bad_security_setting_stops_the_start_with_its_name(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    environment = {"SECRET_KEY": "x" * 60, "ANNQUIZ_VAR_DIR": str(tmp_path / "var"), name: value}

    result = run_django(tmp_path, environment, "check")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr
