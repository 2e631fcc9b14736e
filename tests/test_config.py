"""Configuration files: found upward, validated strictly, paths relative to the file."""

from __future__ import annotations

import os
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

import pytest

from citecheck.core import defaults
from citecheck.core.config import Config, find_config_file, load_config
from citecheck.core.errors import ConfigError
from citecheck.core.settings import (
    ENVIRONMENT,
    ArchiveSettings,
    Environment,
    MementoArchive,
    SaveCredentials,
    ServeSettings,
    read_environment,
)
from citecheck.core.values import parse_duration


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


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("cache/store.sqlite3", "{dir}/cache/store.sqlite3"),  # a file: relative to the configuration file
        ("postgresql://cite:pw@db.example:5432/cites", "postgresql://cite:pw@db.example:5432/cites"),
        ("postgres://db.example/cites?sslmode=require", "postgres://db.example/cites?sslmode=require"),
        ("", ""),
    ],
)
def test_the_store_is_a_path_or_a_database_url_taken_as_written(tmp_path: Path, written: str, expected: str) -> None:
    (tmp_path / "citecheck.toml").write_text(f"store = {written!r}\n", "utf-8")
    assert load_config(search_from=tmp_path).store == expected.format(dir=tmp_path)


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


# -- one table of defaults and ranges ---------------------------------------------------------------


def test_every_config_key_takes_its_default_from_the_table() -> None:
    config = Config()
    keys = {f.name for f in fields(Config)} - {"source", "archive", "serve"}
    for key in keys:
        assert getattr(config, key) == defaults.SETTINGS[key].default, key
    archive = ArchiveSettings()
    for key, setting in defaults.table_settings("archive").items():
        value = getattr(archive, key)
        if setting.kind == "duration":
            expected: object = parse_duration(setting.default, setting.name)
        elif isinstance(value, timedelta):
            expected = timedelta(seconds=setting.default)  # type: ignore[arg-type]
        else:
            expected = setting.default
        assert value == expected, key
    serve = ServeSettings()
    for key, setting in defaults.table_settings("serve").items():
        assert getattr(serve, key) == setting.default, key


def test_network_options_defaults_agree_with_the_table() -> None:
    from citecheck.check.checker import NetworkOptions

    options = NetworkOptions()
    for key in ("timeout", "concurrency", "host_concurrency", "host_interval", "retries", "allow_private"):
        assert getattr(options, key) == defaults.SETTINGS[key].default, key
    assert options.allow_networks == defaults.ALLOW_NETWORKS.default


def test_service_defaults_and_openapi_agree_with_the_table() -> None:
    pytest.importorskip("starlette")
    from citecheck.server.app import OPENAPI, ServiceSettings

    settings = ServiceSettings(token=None)
    for key, setting in defaults.table_settings("serve").items():
        assert getattr(settings, key) == setting.default, key
    body = OPENAPI["paths"]["/v1/check"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    deadline = body["properties"]["deadline_ms"]
    assert deadline["default"] == defaults.SERVE_DEFAULT_DEADLINE_MS.default
    assert deadline["minimum"] == defaults.SERVE_DEFAULT_DEADLINE_MS.low
    served = ServiceSettings.from_serve(
        ServeSettings(max_queue=3, cors_origins=("https://cms.example",)), token="tok-9"
    )
    assert (served.max_queue, served.cors_origins, served.token) == (3, ("https://cms.example",), "tok-9")
    assert "tok-9" not in repr(served)


@pytest.mark.parametrize(
    ("key", "flag", "bad", "good", "message"),
    [
        ("host_concurrency", "--host-concurrency", "1000", "256", "from 1 to 256"),
        ("host_interval", "--host-interval", "700", "600", "from 0 to 600"),
        ("concurrency", "--concurrency", "0", "1024", "from 1 to 1024"),
        ("timeout", "--timeout", "0", "0.1", "from 0.1 to 600"),
        ("retries", "--retries", "11", "10", "from 0 to 10"),
        ("max_age", "--max-age", "-1", "0", "from 0 to 1000000000"),
    ],
)
def test_a_flag_and_the_file_refuse_the_same_number_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, flag: str, bad: str, good: str, message: str
) -> None:
    from citecheck.cli import main

    config = tmp_path / "citecheck.toml"
    config.write_text(f"{key} = {bad}\n", "utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_config(config)
    assert repr(key) in str(info.value)
    article = tmp_path / "a.md"
    article.write_text("[a](https://example.org/)\n", "utf-8")
    assert main(["check", "--isolated", "--offline", flag, bad, str(article)]) == 2
    err = capsys.readouterr().err
    assert "usage:" in err
    assert f"{flag}: must be a number {message}" in err
    assert main(["check", "--isolated", "--offline", flag, "many", str(article)]) == 2
    assert message in capsys.readouterr().err
    # The bound itself is allowed, in the file and as a flag.
    config.write_text(f"{key} = {good}\n", "utf-8")
    assert getattr(load_config(config), key) == float(good)
    assert main(["check", "--isolated", "--offline", flag, good, str(article)]) == 0


def test_a_flag_and_the_file_refuse_a_bad_network_and_verdict_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from citecheck.cli import main

    article = tmp_path / "a.md"
    article.write_text("[a](https://example.org/)\n", "utf-8")
    for key, flag, bad in (("allow_networks", "--allow-network", "10.0.0.0/33"), ("fail_on", "--fail-on", "dead")):
        config = tmp_path / "citecheck.toml"
        config.write_text(f"{key} = [{bad!r}]\n", "utf-8")
        with pytest.raises(ConfigError) as info:
            load_config(config)
        in_file = str(info.value).removeprefix(f"{config}: {key}: ")
        assert main(["check", "--isolated", "--offline", flag, bad, str(article)]) == 2
        assert f"citecheck: error: {flag}: {in_file}" in capsys.readouterr().err


def test_numeric_flags_show_the_tables_default_and_range(capsys: pytest.CaptureFixture[str]) -> None:
    from citecheck.cli import main

    with pytest.raises(SystemExit):
        main(["check", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for setting in (defaults.TIMEOUT, defaults.CONCURRENCY, defaults.HOST_CONCURRENCY, defaults.MAX_AGE):
        assert setting.flag is not None
        assert setting.flag in text
        assert f"; default {setting.default_text()}, {setting.allowed()}" in text
    for entry in defaults.SETTINGS.values():
        if entry.flag and not entry.name.startswith("serve."):
            assert entry.flag in text, entry.name


def test_serve_port_is_checked_against_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("uvicorn")
    from citecheck.cli import main

    assert main(["serve", "--isolated", "--port", "70000"]) == 2
    assert "--port: must be a number from 0 to 65535" in capsys.readouterr().err


# -- typed [archive] and [serve], the environment read once ----------------------------------------


def test_environment_is_read_once_with_the_configuration(tmp_path: Path) -> None:
    env = {
        "CITECHECK_TOKEN": "secret-token",
        "CITECHECK_WAYBACK_URL": "http://127.0.0.1:9/",
        "CITECHECK_IA_ACCESS_KEY": "a",
        "CITECHECK_IA_SECRET_KEY": "s",
    }
    for config in (load_config(isolated=True, env=env), load_config(search_from=tmp_path, env=env)):
        assert config.serve.token == "secret-token"
        assert config.archive.wayback_url == "http://127.0.0.1:9"
        assert config.archive.credentials == SaveCredentials("a", "s")
        assert "secret-token" not in repr(config)
    assert load_config(isolated=True, env={}) == Config()
    environment = read_environment({"CITECHECK_IA_ACCESS_KEY": "a", "CITECHECK_AVAILABILITY_URL": "http://x/a"})
    assert environment == Environment(availability_url="http://x/a")
    assert set(ENVIRONMENT) >= {"CITECHECK_TOKEN", "CITECHECK_WAYBACK_URL", "CITECHECK_IA_SECRET_KEY"}


def test_archive_and_serve_tables_are_typed_when_loaded(tmp_path: Path) -> None:
    path = tmp_path / "citecheck.toml"
    path.write_text(
        "[archive]\nwayback_url = 'http://127.0.0.1:8080/'\ncdx_per_minute = 12\nmax_age = 60\n"
        "not_before = 2020-01-02\n[[archive.memento]]\nname = 'today'\ntimemap = 'https://archive.today/timemap/link/'\n"
        "[serve]\nmax-queue = 3\ncors_origins = ['https://cms.example']\n",
        "utf-8",
    )
    config = load_config(path, env={"CITECHECK_TOKEN": "t"})
    assert config.archive.wayback_url == "http://127.0.0.1:8080"
    assert config.archive.cdx_per_minute == 12.0
    assert config.archive.max_age == timedelta(seconds=60)
    assert config.archive.not_before is not None
    assert config.archive.not_before.year == 2020
    assert config.archive.memento == (MementoArchive("today", "https://archive.today/timemap/link/"),)
    assert (config.serve.max_queue, config.serve.cors_origins, config.serve.token) == (3, ("https://cms.example",), "t")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[archive]\nwayback = 'x'", "archive: unknown keys ['wayback']"),
        ("[archive]\nwayback_url = 'ftp://x'", "archive.wayback_url must be an http(s) URL"),
        ("[archive]\ncdx_per_minute = 0", "'archive.cdx_per_minute' must be a number above 0"),
        ("[archive]\nnot_after = 'soon'", "archive.not_after must be a date"),
        ("archive = 3", "[archive] must be a table"),
        ("[serve]\nmax_queue = -1", "'serve.max_queue' must be a number from 0 to 1048576"),
        ("[serve]\nport = 80", "serve: unknown key 'port'"),
        ("[serve]\ncors_origins = 'x'", "serve.cors_origins must be a list"),
    ],
)
def test_bad_archive_and_serve_tables_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "citecheck.toml"
    path.write_text(content + "\n", "utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_archive_settings_are_importable_from_the_archive_layer_too() -> None:
    from citecheck.archive.archiver import ArchiveSettings as FromArchiver
    from citecheck.archive.memento import MementoArchive as FromMemento
    from citecheck.archive.save import SaveCredentials as FromSave

    assert (FromArchiver, FromMemento, FromSave) == (ArchiveSettings, MementoArchive, SaveCredentials)


# -- the documentation is generated from the table --------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
BEGIN = "<!-- generated from citecheck.core.defaults: CITECHECK_UPDATE_GOLDENS=1 pytest tests/test_config.py -->"
END = "<!-- end of generated tables -->"


def _shown(setting: defaults.Setting[object]) -> str:
    if setting.kind == "table":
        return ""
    if setting.shown is not None or setting.default is None:
        return setting.default_text()
    return f"`{setting.default_text()}`"


def _generated() -> str:
    rows = [BEGIN, "", "| key | allowed | default | flag | meaning |", "|---|---|---|---|---|"]
    for setting in defaults.SETTINGS.values():
        key = f"`{setting.name}`" if setting.in_file else f"`{setting.name}` (flag only)"
        flag = f"`{setting.flag}`" if setting.flag else ""
        rows.append(f"| {key} | {setting.allowed()} | {_shown(setting)} | {flag} | {setting.help} |")
    rows += ["", "| environment variable | meaning |", "|---|---|"]
    rows += [f"| `{name}` | {meaning} |" for name, meaning in ENVIRONMENT.items()]
    return "\n".join([*rows, "", END])


def test_docs_list_every_setting_as_the_table_says() -> None:
    text = DOCS.read_text("utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    if os.environ.get("CITECHECK_UPDATE_GOLDENS"):
        text = text[:start] + _generated() + text[end:]
        DOCS.write_text(text, "utf-8")
        end = start + len(_generated())
    assert text[start:end] == _generated()
    for name in (*defaults.SETTINGS, *ENVIRONMENT):
        assert f"`{name}`" in text, name


@pytest.mark.parametrize(
    ("page", "table", "row"),
    [
        ("checking.md", "", "`{key}` | {default} |"),  # | `--timeout SECONDS` | `timeout` | 20 | ...
        ("service.md", "serve", "| `{key}` | {default} |"),
        ("archiving.md", "archive", "| `{key}` | {default}"),
    ],
)
def test_other_pages_show_the_tables_numeric_defaults(page: str, table: str, row: str) -> None:
    text = (DOCS.parent / page).read_text("utf-8")
    for key, setting in defaults.table_settings(table).items():
        if setting.kind in ("integer", "number"):
            assert row.format(key=key, default=setting.default_text()) in text, key


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"timeout": "5"}, "'timeout' must be a number"),
        ({"timeout": -1}, "'timeout' must be a number"),
        ({"concurrency": 0}, "'concurrency' must be a number"),
        ({"method": "post"}, "'method' must be one of"),
        ({"allow_networks": ("10.1.2.3/33",)}, "allow_networks"),
        ({"allow_networks": "127.0.0.0/8"}, "must be a list of CIDR networks, not str"),
        ({"headers": (("Bad Name", "x"),)}, "not a header name"),
        ({"ignore_urls": ("([",)}, "bad regular expression"),
        ({"fail_on": ("dead",)}, "unknown verdict 'dead'"),
    ],
)
def test_settings_built_in_code_are_checked_when_made(keywords: dict[str, object], message: str) -> None:
    from citecheck.check import NetworkOptions

    with pytest.raises(ConfigError, match=message):
        Config(**keywords)  # type: ignore[arg-type]
    network_keys = {"timeout", "concurrency", "method", "allow_networks", "headers"}
    if set(keywords) <= network_keys:
        with pytest.raises(ConfigError, match=message):
            NetworkOptions(**keywords)  # type: ignore[arg-type]
