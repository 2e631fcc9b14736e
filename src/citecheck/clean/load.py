"""The rule set a run asks for: the built-in rules, then rules files in order, then ClearURLs files.

One function for every caller (the pipeline's configuration, ``citecheck clean``'s flags), so
the order in which files override each other cannot differ between commands.
"""

from __future__ import annotations

from collections.abc import Iterable

from .clearurls import load_clearurls
from .rules import RuleSet, load_rules

__all__ = ["load_rule_set"]


def load_rule_set(*, builtin: bool = True, rules: Iterable[str] = (), clearurls: Iterable[str] = ()) -> RuleSet:
    """Built-in rules (unless ``builtin`` is false), merged with each file in order.

    ClearURLs files report entries they skip as :class:`~citecheck.clean.clearurls.ClearURLsWarning`.
    """
    merged = RuleSet.builtin() if builtin else RuleSet()
    for path in rules:
        merged = merged.merge(load_rules(path))
    for path in clearurls:
        merged = merged.merge(load_clearurls(path))
    return merged
