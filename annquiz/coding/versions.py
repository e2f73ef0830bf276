"""What a judging ran with: the code's version and a fingerprint of the task's definition.

A regrade records both (``RegradeRun``, ``GradeHistory``), so an instructor can later tell
which code and which checks, thresholds, limits and seeds gave a grade.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings


def definition_hash(definition: Any) -> str:
    """SHA-256 of the task definition as canonical JSON (key order does not matter)."""
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _git_dir(base: Path) -> Path | None:
    dot_git = base / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():  # a worktree: "gitdir: <path>"
        text = dot_git.read_text(errors="replace").strip()
        if text.startswith("gitdir:"):
            return (base / text.removeprefix("gitdir:").strip()).resolve()
    return None


def _resolve_ref(git_dir: Path, ref: str) -> str | None:
    places = [git_dir]
    common = git_dir / "commondir"
    if common.is_file():
        places.append((git_dir / common.read_text().strip()).resolve())
    for place in places:
        loose = place / ref
        if loose.is_file():
            return loose.read_text().strip()
        packed = place / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(errors="replace").splitlines():
                sha, _, name = line.partition(" ")
                if name == ref:
                    return sha
    return None


def git_commit(base: Path) -> str | None:
    """The commit checked out at ``base``, read from its ``.git`` (no git program needed);
    None when ``base`` is not a git checkout."""
    try:
        git_dir = _git_dir(base)
        if git_dir is None:
            return None
        head = (git_dir / "HEAD").read_text().strip()
        if head.startswith("ref:"):
            return _resolve_ref(git_dir, head.removeprefix("ref:").strip())
        return head or None
    except OSError:
        return None


@cache
def code_version() -> str:
    """``annquiz <package version>``, with `` git <commit>`` when running from a checkout."""
    try:
        version = metadata.version("annquiz")
    except metadata.PackageNotFoundError:
        version = "unknown"
    commit = git_commit(Path(settings.BASE_DIR))
    return f"annquiz {version}" + (f" git {commit[:12]}" if commit else "")
