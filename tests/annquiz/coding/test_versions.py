"""What a regrade records about the code and the task definition that judged it."""

from __future__ import annotations

from pathlib import Path

from annquiz.coding.versions import code_version, definition_hash, git_commit

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_the_definition_hash_ignores_key_order_and_sees_a_changed_threshold() -> None:
    first = {"seeds": [0, 1], "checks": [{"params": {"threshold": 0.72}}]}
    same = {"checks": [{"params": {"threshold": 0.72}}], "seeds": [0, 1]}
    changed = {"seeds": [0, 1], "checks": [{"params": {"threshold": 0.8}}]}
    assert definition_hash(first) == definition_hash(same)
    assert definition_hash(first) != definition_hash(changed)
    assert len(definition_hash(first)) == 64


def test_the_commit_is_read_from_a_checkout_a_worktree_or_packed_refs(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / ".git" / "refs" / "heads").mkdir(parents=True)
    (checkout / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (checkout / ".git" / "refs" / "heads" / "main").write_text(SHA + "\n")
    assert git_commit(checkout) == SHA

    worktree = tmp_path / "worktree"
    worktree.mkdir()
    git_dir = checkout / ".git" / "worktrees" / "w"
    git_dir.mkdir(parents=True)
    (git_dir / "HEAD").write_text("ref: refs/heads/other\n")
    (git_dir / "commondir").write_text("../..\n")
    (worktree / ".git").write_text(f"gitdir: {git_dir}\n")
    (checkout / ".git" / "packed-refs").write_text(f"# pack-refs\n{SHA} refs/heads/other\n")
    assert git_commit(worktree) == SHA

    assert git_commit(tmp_path / "nothing") is None


def test_the_code_version_names_the_package_version() -> None:
    assert code_version().startswith("annquiz ")
