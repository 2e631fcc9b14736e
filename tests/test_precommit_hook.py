"""The pre-commit hooks this repository publishes: well-formed, and their commands work."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

HOOKS = Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml"


def _hooks() -> list[dict[str, str]]:
    """A minimal reader for this flat file (no YAML dependency): one dict per '- id:' item."""
    hooks: list[dict[str, str]] = []
    for line in HOOKS.read_text("utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        match = re.match(r"^(- |  )(\w+): (.*)$", line)
        assert match, f"unexpected line in .pre-commit-hooks.yaml: {line!r}"
        if match.group(1) == "- ":
            hooks.append({})
        hooks[-1][match.group(2)] = match.group(3)
    return hooks


def test_hooks_have_the_keys_pre_commit_needs() -> None:
    hooks = _hooks()
    assert [hook["id"] for hook in hooks] == ["citecheck", "citecheck-report"]
    for hook in hooks:
        for key in ("id", "name", "entry", "language", "files"):
            assert hook.get(key), (hook, key)
        assert hook["language"] == "python"
        pattern = re.compile(hook["files"])
        for name in ("post.md", "index.html", "notes.txt", "a.markdown", "b.htm"):
            assert pattern.search(name), name
        for name in ("script.py", "image.png", "data.json"):
            assert not pattern.search(name), name


def test_fixing_hook_rewrites_staged_files(tmp_path: Path) -> None:
    (hook,) = [h for h in _hooks() if h["id"] == "citecheck"]
    article = tmp_path / "post.md"
    article.write_text("[x](https://example.com/?utm_source=a)\n", "utf-8")
    argv = shlex.split(hook["entry"])
    assert argv[0] == "citecheck"
    command = [sys.executable, "-m", "citecheck", *argv[1:], str(article)]
    done = subprocess.run(command, capture_output=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert article.read_text("utf-8") == "[x](https://example.com/)\n"
    # pre-commit runs the hook again after staging: nothing left to do.
    again = subprocess.run(command, capture_output=True, timeout=60, cwd=tmp_path)
    assert again.returncode == 0
    assert article.read_text("utf-8") == "[x](https://example.com/)\n"
