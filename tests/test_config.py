"""Configuration files: found upward, validated strictly, paths relative to the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from citecheck.core.config import Config, find_config_file, load_config
from citecheck.core.errors import ConfigError


def test_defaults_without_a_file(tmp_path: Path) -> None:
    assert find_config_file(tmp_path) is None  # nothing in tmp_path or above it
    assert load_config(search_from=tmp_path) == Config()


def test_pyproject_table_found_upward(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "site"\n\n[tool.citecheck]\nformat = "github"\nextend-exclude = ["drafts"]\n'
        'rules = ["rules/house.json"]\nextensions = ["md", ".rst"]\nexit_zero = true\n',
        "utf-8",
    )
    deep = tmp_path / "content" / "posts"
    deep.mkdir(parents=True)
    assert find_config_file(deep) == tmp_path / "pyproject.toml"
    config = load_config(search_from=deep)
    assert config.format == "github"
    assert config.extend_exclude == ("drafts",)
    assert config.all_excludes[-1] == "drafts"
    assert config.rules == (str(tmp_path / "rules" / "house.json"),)
    assert config.extensions == (".md", ".rst")
    assert config.exit_zero is True
    assert config.source == str(tmp_path / "pyproject.toml")


def test_pyproject_without_our_table_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', "utf-8")
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "citecheck.toml").write_text('format = "json"\n', "utf-8")
    assert find_config_file(inner) == inner / "citecheck.toml"
    assert load_config(search_from=inner).format == "json"
    assert find_config_file(tmp_path) is None


def test_citecheck_toml_wins_over_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.citecheck]\nformat = "sarif"\n', "utf-8")
    (tmp_path / "citecheck.toml").write_text('[tool.citecheck]\nformat = "junit"\n', "utf-8")
    assert load_config(search_from=tmp_path).format == "junit"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("formatt = 'json'", "unknown key 'formatt'"),
        ("format = 'xml'", "'format' must be one of"),
        ("exclude = 'drafts'", "must be a list"),
        ("exit_zero = 'yes'", "must be true or false"),
        ("ignore_urls = ['(']", "bad regular expression"),
        ("timeout = -1", "must be a number"),
        ("concurrency = 2.5", "must be a number"),
        ("fail_on = ['dead']", "unknown verdict"),
        ("allow_networks = ['10.0.0.0/33']", "allow_networks"),
        ("fallback_encoding = ''", "encoding name"),
        ("format = ", "not valid TOML"),
    ],
)
def test_bad_configuration_is_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "citecheck.toml"
    path.write_text(content + "\n", "utf-8")
    with pytest.raises(ConfigError, match=r"citecheck\.toml") as info:
        load_config(path)
    assert message in str(info.value)


def test_merged_ignores_none() -> None:
    config = Config(format="json").merged(format=None, exit_zero=True)
    assert (config.format, config.exit_zero) == ("json", True)
