"""Site rules: the clutter each site bolts onto its articles (shipped in site_rules.toml,
plus the user's [[site_rules]] tables), compiled into a fast matcher for the cleaning pass."""

from __future__ import annotations

import functools
import json
import logging
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class SiteRule:
    """One validated [[site_rules]] table."""

    name: str
    hosts: tuple[str, ...]
    drop_selectors: tuple[str, ...] = ()
    drop_lines: tuple[re.Pattern[str], ...] = ()
    drop_shortcodes: frozenset[str] = frozenset()

    def applies_to(self, host: str) -> bool:
        """True when this rule is for `host` ("*" rules are for every host)."""
        for pattern in self.hosts:
            if pattern == "*" or host == pattern or host.endswith("." + pattern):
                return True
        return False


@dataclass
class Rules:
    """The shipped rules merged with the user's; `problems` lists what was skipped and why."""

    rules: tuple[SiteRule, ...]
    problems: tuple[str, ...] = ()
    _by_host: dict[str, Clutter] = field(default_factory=dict, repr=False, compare=False)

    def for_host(self, host: str) -> Clutter:
        """The compiled clutter matcher for one host (cached)."""
        clutter = self._by_host.get(host)
        if clutter is None:
            if len(self._by_host) > 512:
                self._by_host.clear()
            clutter = Clutter([r for r in self.rules if r.applies_to(host)])
            self._by_host[host] = clutter
        return clutter


_RULE_KEYS = ("name", "hosts", "drop_selectors", "drop_lines", "drop_shortcodes")


def _strings(value: Any, key: str, where: str, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        problems.append(f"{where}: {key} must be a list of strings")
        return []
    out = []
    for item in value:
        if isinstance(item, str):
            out.append(item)
        else:
            problems.append(f"{where}: {key}: {item!r} is not a string")
    return out


def _site_rule(data: Any, where: str, problems: list[str]) -> SiteRule | None:
    if not isinstance(data, dict):
        problems.append(f"{where}: a rule must be a table")
        return None
    for key in data:
        if key not in _RULE_KEYS:
            problems.append(f"{where}: unknown key {key!r} ignored")
    name = data.get("name") if isinstance(data.get("name"), str) else where
    hosts = tuple(h.strip().lower().lstrip(".") for h in
                  _strings(data.get("hosts"), "hosts", where, problems) if h.strip())
    if not hosts:
        problems.append(f"{where}: no hosts, rule skipped")
        return None
    selectors = []
    for sel in _strings(data.get("drop_selectors"), "drop_selectors", where, problems):
        if _selector_problem(sel):
            problems.append(f"{where}: bad selector {sel!r} skipped")
        else:
            selectors.append(sel.strip())
    lines = []
    for text in _strings(data.get("drop_lines"), "drop_lines", where, problems):
        try:
            lines.append(re.compile(text, re.IGNORECASE | re.DOTALL))
        except re.error as exc:
            problems.append(f"{where}: bad pattern {text!r} skipped ({exc})")
    codes = frozenset(c.strip().lower() for c in
                      _strings(data.get("drop_shortcodes"), "drop_shortcodes", where, problems)
                      if c.strip())
    return SiteRule(name, hosts, tuple(selectors), tuple(lines), codes)


@functools.lru_cache(maxsize=1)
def _shipped() -> tuple[tuple[SiteRule, ...], tuple[str, ...]]:
    problems: list[str] = []
    try:
        text = resources.files("reader.content").joinpath("site_rules.toml").read_text("utf-8")
        tables = tomllib.loads(text).get("site_rules", [])
    except (OSError, ValueError) as exc:  # tomllib.TOMLDecodeError is a ValueError
        return (), (f"site_rules.toml: {exc}",)
    rules = [_site_rule(t, f"site_rules.toml #{i + 1}", problems) for i, t in enumerate(tables)]
    return tuple(r for r in rules if r), tuple(problems)


@functools.lru_cache(maxsize=32)
def _load(extra_json: str) -> Rules:
    rules, problems = _shipped()
    extra = json.loads(extra_json)
    if isinstance(extra, dict):  # a whole table {"site_rules": [...]} is accepted too
        extra = extra.get("site_rules", [extra])
    if not isinstance(extra, list):
        return Rules(rules, problems + ("extra rules: expected a list of tables",))
    more: list[str] = []
    users = [_site_rule(t, f"site_rules #{i + 1}", more) for i, t in enumerate(extra)]
    return Rules(rules + tuple(r for r in users if r), problems + tuple(more))


def load_rules(extra_rules: Iterable[dict[str, Any]] | None = None) -> Rules:
    """The shipped site rules (reader/content/site_rules.toml) followed by `extra_rules`.

    `extra_rules` has the shape of the TOML's [[site_rules]] tables (a list of dicts). Invalid
    entries are skipped and described in `Rules.problems`; this never raises.
    """
    try:
        key = json.dumps(list(extra_rules or []), sort_keys=True, default=str)
    except (TypeError, ValueError):
        key = "[]"
    return _load(key)


# -- selectors: simple ones are matched in the cleaning pass; the rest go to soupsieve ---------

_SIMPLE_SELECTOR = re.compile(
    r"""(?P<tag>[a-zA-Z][a-zA-Z0-9-]*|\*)?
        (?P<rest>(?:\.[\w-]+|\#[\w-]+
                   |\[\s*[\w:-]+\s*(?:[~^$*]?=\s*(?:"[^"]*"|'[^']*'|[^\]\s"']+)\s*)?\])*)""",
    re.VERBOSE,
)
_SELECTOR_PART = re.compile(
    r"""\.(?P<cls>[\w-]+)|\#(?P<id>[\w-]+)
        |\[\s*(?P<attr>[\w:-]+)\s*(?:(?P<op>[~^$*]?=)\s*(?:"(?P<v1>[^"]*)"|'(?P<v2>[^']*)'|(?P<v3>[^\]\s"']+))\s*)?\]""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Compound:
    """A compound simple selector such as a.share[href*="x"]."""

    tag: str | None
    id: str | None
    classes: frozenset[str]
    attrs: tuple[tuple[str, str | None, str], ...]

    def matches(self, name: str, attrs: dict[str, Any]) -> bool:
        if self.tag is not None and self.tag != name:
            return False
        if self.id is not None and attrs.get("id") != self.id:
            return False
        if self.classes:
            have = attrs.get("class")
            if not have:
                return False
            if isinstance(have, str):
                have = have.split()
            if not self.classes.issubset(have):
                return False
        for attr, op, want in self.attrs:
            value = attrs.get(attr)
            if value is None:
                return False
            if op is None:
                continue
            if not isinstance(value, str):
                value = " ".join(value)
            if op == "=":
                ok = value == want
            elif op == "*=":
                ok = want in value
            elif op == "^=":
                ok = value.startswith(want)
            elif op == "$=":
                ok = value.endswith(want)
            else:  # "~="
                ok = want in value.split()
            if not ok:
                return False
        return True


def _parse_simple(selector: str) -> _Compound | None:
    m = _SIMPLE_SELECTOR.fullmatch(selector.strip())
    if not m or not (m.group("tag") or m.group("rest")):
        return None
    tag = (m.group("tag") or "").lower()
    ident = None
    classes: list[str] = []
    attrs: list[tuple[str, str | None, str]] = []
    for part in _SELECTOR_PART.finditer(m.group("rest")):
        if part.group("cls"):
            classes.append(part.group("cls"))
        elif part.group("id"):
            if ident is not None and ident != part.group("id"):
                return None
            ident = part.group("id")
        else:
            value = part.group("v1") or part.group("v2") or part.group("v3") or ""
            attrs.append((part.group("attr").lower(), part.group("op"), value))
    return _Compound(tag if tag not in ("", "*") else None, ident, frozenset(classes),
                     tuple(attrs))


def _selector_problem(selector: str) -> bool:
    """True when `selector` is neither simple nor accepted by soupsieve."""
    if not selector.strip():
        return True
    if all(_parse_simple(s) for s in selector.split(",")):
        return False
    try:
        import soupsieve

        soupsieve.compile(selector)
    except Exception:
        return True
    return False


class Clutter:
    """The rules for one host, compiled for the cleaning pass."""

    def __init__(self, rules: list[SiteRule]) -> None:
        self.tags: set[str] = set()
        self.classes: set[str] = set()
        self.contains: dict[tuple[str | None, str], list[str]] = {}  # a[href*="x"] and the like
        self.by_id: dict[str, list[_Compound]] = {}
        self.by_class: dict[str, list[_Compound]] = {}
        self.by_attr: dict[str, list[_Compound]] = {}
        complex_selectors: list[str] = []
        lines: list[re.Pattern[str]] = []
        codes: set[str] = set()
        for rule in rules:
            lines.extend(rule.drop_lines)
            codes.update(rule.drop_shortcodes)
            for selector in rule.drop_selectors:
                parts = [_parse_simple(s) for s in selector.split(",")]
                if not all(parts):
                    complex_selectors.append(selector)
                    continue
                for comp in parts:
                    assert comp is not None
                    self._index(comp)
        self.lines = tuple(lines)
        self.line = one_pattern(self.lines)
        self.contains_re = {key: re.compile("|".join(re.escape(v) for v in values))
                            for key, values in self.contains.items()}
        self.shortcodes = frozenset(codes)
        self.complex = None
        if complex_selectors:
            try:
                import soupsieve

                self.complex = soupsieve.compile(", ".join(complex_selectors))
            except Exception:  # validated one by one already; a join can still fail
                log.debug("site rule selectors rejected: %r", complex_selectors)

    def _index(self, comp: _Compound) -> None:
        if comp.tag is None and not comp.attrs and len(comp.classes) == 1 and comp.id is None:
            self.classes.add(next(iter(comp.classes)))  # ".name": a set lookup
        elif (not comp.classes and comp.id is None and len(comp.attrs) == 1
              and comp.attrs[0][1] == "*=" and comp.attrs[0][2]):
            attr, _, value = comp.attrs[0]  # one regex search per attribute value
            self.contains.setdefault((comp.tag, attr), []).append(value)
        elif comp.id is not None:
            self.by_id.setdefault(comp.id, []).append(comp)
        elif comp.classes:
            self.by_class.setdefault(next(iter(comp.classes)), []).append(comp)
        elif comp.attrs:
            self.by_attr.setdefault(comp.attrs[0][0], []).append(comp)
        elif comp.tag is not None:
            self.tags.add(comp.tag)

    def drops(self, name: str, attrs: dict[str, Any]) -> bool:
        """True when a rule selector matches this element."""
        if name in self.tags:
            return True
        if not attrs:
            return False
        ident = attrs.get("id")
        if ident and ident in self.by_id:
            if any(c.matches(name, attrs) for c in self.by_id[ident]):
                return True
        classes = attrs.get("class")
        if classes and isinstance(classes, str):
            classes = classes.split()
        if classes and not self.classes.isdisjoint(classes):
            return True
        if classes and self.by_class:
            for cls in classes:
                comps = self.by_class.get(cls)
                if comps and any(c.matches(name, attrs) for c in comps):
                    return True
        if self.contains_re:
            for attr, value in attrs.items():
                for key in ((name, attr), (None, attr)):
                    pattern = self.contains_re.get(key)
                    if pattern is None:
                        continue
                    if not isinstance(value, str):
                        value = " ".join(value)
                    if pattern.search(value):
                        return True
        if self.by_attr:
            for attr in attrs:
                comps = self.by_attr.get(attr)
                if comps and any(c.matches(name, attrs) for c in comps):
                    return True
        return False

def one_pattern(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    """The drop_lines patterns as one alternation (one fullmatch per line), if they combine."""
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns),
                          re.IGNORECASE | re.DOTALL)
    except re.error:  # e.g. the same group name in two patterns
        return None
