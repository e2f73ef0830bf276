"""Settings that come from the environment or from the data directory."""

from __future__ import annotations

import stat
from pathlib import Path

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
