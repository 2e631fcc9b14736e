"""GitHub Actions workflow commands: one annotation per problem, shown on the pull request.

Escaping follows the Actions toolkit (``escapeData`` / ``escapeProperty`` in
``packages/core/src/command.ts``): the runner splits a command at ``::`` and properties at
``,``, and reads one command per line, so those characters must not appear unescaped.
The summary is a plain log line, not a ``::notice``, so a clean run adds no annotation.
"""

from __future__ import annotations

from ..core.results import CheckReport
from ._common import code, level, rule_info, short_message, summary_lines

__all__ = ["escape_data", "escape_property", "render"]


def _encodable(text: str) -> str:
    """Lone surrogates spelled as ``\\udcxx`` so the output can always be written as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def escape_data(text: str) -> str:
    """Escape a command's message (after the second ``::``)."""
    return _encodable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (``file=``, ``title=``): also ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(name: str, properties: dict[str, str | int], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{name} {props}::{escape_data(message)}" if props else f"::{name}::{escape_data(message)}"


def render(report: CheckReport, *, verbose: bool = False) -> str:
    """One ``::error`` or ``::warning`` per problem, a ``::warning`` per drifted page, a ``::notice``
    per run notice, then the summary."""
    lines: list[str] = []
    for file in report.files:
        if file.error is not None:
            lines.append(_command("error", {"file": file.path, "title": "citecheck: file error"}, file.error))
        for result in file.links:
            where: dict[str, str | int] = {"file": result.path, "line": result.link.line, "col": result.link.column}
            if result.is_finding:
                properties = {**where, "title": f"citecheck: {rule_info(code(result)).title}"}
                lines.append(_command(level(result), properties, short_message(result)))
            if result.drift is not None and result.drifted:
                properties = {**where, "title": "citecheck: content drift"}
                message = f"page changed since the snapshot: {result.link.url}"
                if result.drift.snapshot:
                    message += f" (compare with {result.drift.snapshot})"
                lines.append(_command("warning", properties, message))
    lines.extend(_command("notice", {"title": "citecheck"}, notice) for notice in report.notices)
    lines.extend(_encodable(line) for line in summary_lines(report))
    return "\n".join(lines) + "\n"
