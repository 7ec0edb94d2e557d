"""The routing rules in force: the file `clinch routing load` checked and kept under home."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from routing.rules import DEFAULT_VERSION, RoutingRules, parse_rules, read_rules_text, rules_version
from routing.service import LoadedRules


class RulesHolder:
    """Reads the kept rules file, again whenever it changes; the built-in rules without one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[float, int] | None = None
        self._rules = LoadedRules(RoutingRules(), DEFAULT_VERSION)

    def get(self) -> LoadedRules:
        """Return the current rules."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._seen, self._rules = None, LoadedRules(RoutingRules(), DEFAULT_VERSION)
            return self._rules
        key = (stat.st_mtime, stat.st_size)
        if key != self._seen:
            text = read_rules_text(self.path)
            self._rules = LoadedRules(parse_rules(text, source=str(self.path)), rules_version(text))
            self._seen = key
        return self._rules


def install_rules(source: Path, *, target: Path) -> LoadedRules:
    """Check a rules file and put it in force atomically; a bad file changes nothing."""
    text = read_rules_text(source)
    rules = LoadedRules(parse_rules(text, source=str(source)), rules_version(text))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".routing-", suffix=".yaml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rules
