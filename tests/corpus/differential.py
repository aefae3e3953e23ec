"""Differential check of reader's two feed parsers, on feeds nobody here wrote.

Every file goes through reader's fast path (`reader.parse.parse_fast`), its feedparser path
(`reader.parse.parse_with_feedparser`) and the entry point (`reader.parse.parse_feed`):

- nothing may crash (ParseError is the one allowed failure) or take more than a few seconds;
- where the fast path accepts a file, its result must equal the feedparser path's, field by field;
- where a file carries feedparser's `Expect:` line, reader's result must not fail it where
  feedparser itself (run as reader runs it: no sanitizer, no relative-URI resolution) passes.
  Reader's result is judged by writing its values into a copy of feedparser's result wherever
  they differ from feedparser's own, then evaluating the expression on that copy.

`python -m tests.corpus.differential [FOLDER...]` prints the figures (files, accepted by the
fast path, differences, Expect regressions) and the files behind them.
"""

from __future__ import annotations

import ast
import copy
import datetime
import html
import re
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from reader import parse
from reader.models import ParsedEntry, ParsedFeed
from reader.textutil import one_line, strip_control

CORPUS = Path(__file__).resolve().parent
FEED_SUFFIXES = {".xml", ".rss", ".atom", ".rdf", ".json"}
_EXPECT_RE = re.compile(r"Description:\s*(.*?)\s*Expect:\s*(.*)\s*-->")
_SKIP_RE = re.compile(r"SkipUnless:\s*(.*?)\n")
_HEADER_RE = re.compile(r"^Header:\s+([^:]+):(.*)$", re.MULTILINE)
_TAG_RE = re.compile(r"<[^>]*>")


@dataclass
class Case:
    """One feed file and what its comment says about it."""

    path: Path
    data: bytes
    content_type: str = ""
    expect: str = ""
    """feedparser's `Expect:` expression; empty for captured real feeds."""
    skip: bool = False
    """The file's `SkipUnless:` condition does not hold here (a codec or module is missing)."""


@dataclass
class Outcome:
    """What reader did with one file."""

    case: Case
    accepted: bool = False
    """The fast path read it (did not hand it to feedparser)."""
    differences: list[str] = field(default_factory=list)
    crash: str = ""
    seconds: float = 0.0
    expect_plain: bool | None = None
    """feedparser's own result passes the Expect line (None: no line, or not evaluable)."""
    expect_reader: bool | None = None


def _decode(data: bytes) -> str:
    """The file as text, for reading its comment (byte order marks and UTF-16/32 honoured)."""
    for bom, codec in ((b"\x00\x00\xfe\xff", "utf-32be"), (b"\xff\xfe\x00\x00", "utf-32le"),
                       (b"\x00\x00\x00\x3c", "utf-32be"), (b"\x3c\x00\x00\x00", "utf-32le"),
                       (b"\x00\x3c\x00\x3f", "utf-16be"), (b"\x3c\x00\x3f\x00", "utf-16le"),
                       (b"\xfe\xff", "utf-16be"), (b"\xff\xfe", "utf-16le")):
        if data.startswith(bom):
            return data.decode(codec, errors="ignore").lstrip("\ufeff")
    return data.decode("utf-8", errors="ignore")


def _skip(condition: str) -> bool:
    """Whether a `SkipUnless:` condition fails here; only the forms the suite uses are known."""
    import codecs
    import importlib.util

    if match := re.fullmatch(r"__import__\('codecs'\)\.lookup\('([\w-]+)'\)", condition):
        try:
            codecs.lookup(match.group(1))
        except LookupError:
            return True
        return False
    if match := re.fullmatch(r"__import__\('(\w+)'\)", condition):
        return importlib.util.find_spec(match.group(1)) is None
    return False  # version checks and feedparser.ACCEPTABLE_URI_SCHEMES hold


def load_case(path: Path) -> Case:
    data = path.read_bytes()
    text = _decode(data)
    case = Case(path=path, data=data)
    if match := _EXPECT_RE.search(text):
        case.expect = match.group(2).strip()
    if match := _SKIP_RE.search(text):
        case.skip = _skip(match.group(1).strip())
    if "http" in path.name or "/http/" in path.as_posix():
        headers = {k.strip().lower(): v.strip() for k, v in _HEADER_RE.findall(text)}
        case.content_type = headers.get("content-type", "text/xml")
    elif path.suffix == ".json":
        case.content_type = "application/feed+json"
    return case


def feed_files(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*")
                  if p.is_file() and p.suffix in FEED_SUFFIXES)


# -- the Expect expressions, evaluated without eval's reach -------------------------------------

_NODES = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
          ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn,
          ast.Is, ast.IsNot, ast.Subscript, ast.Slice, ast.Constant, ast.Name, ast.Load,
          ast.Attribute, ast.Call, ast.keyword, ast.Tuple, ast.List, ast.Dict, ast.BinOp,
          ast.Add, ast.Sub, ast.Mult)
_FUNCTIONS = {"len": len, "ord": ord, "isinstance": isinstance}


class Unsupported(Exception):
    """An Expect expression outside the small language the suite uses."""


def safe_eval(expression: str, result: Any) -> bool:
    """Evaluate an `Expect:` line against a feedparser-shaped result, as feedparser's test
    runner does (the result's keys are the names), but only comparisons, subscripts, calls
    of len/ord/isinstance/methods and public attributes: no dunder, no other builtin."""
    import feedparser

    tree = ast.parse(expression, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            raise Unsupported(type(node).__name__)
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise Unsupported(node.attr)
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise Unsupported(node.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id not in (*_FUNCTIONS, "locals", "isinstance"):
            raise Unsupported(node.func.id)
    env = dict(result)
    scope = {"__builtins__": {**_FUNCTIONS, "locals": lambda: env},
             "datetime": datetime, "feedparser": feedparser}
    try:
        return bool(eval(compile(tree, "<Expect>", "eval"), scope, env))  # noqa: S307 (checked above)
    except (KeyError, IndexError, AttributeError, TypeError, NameError, ValueError):
        return False


# -- reader's result written into a copy of feedparser's ----------------------------------------

def _epoch(value: Any) -> float | None:
    return parse._struct_to_epoch(value)


def _same_title(ours: str, raw: Any) -> bool:
    text = raw.get("title", "") or ""
    return not text.strip() or ours in (
        one_line(text), one_line(html.unescape(_TAG_RE.sub("", text))))


def _contents(raw: Any) -> list[tuple[str, str]]:
    return [(p.get("value", "") or "", p.get("type", "") or "") for p in raw.get("content") or []]


def _overlay_entry(raw: Any, ours: ParsedEntry) -> None:
    if not _same_title(ours.title, raw):
        raw["title"] = ours.title
    if ours.link != one_line(raw.get("link", "") or "") and raw.get("link") is not None:
        raw["link"] = ours.link
    if raw.get("id") and ours.guid != one_line(raw["id"]):
        raw["id"] = ours.guid
    if ours.author != one_line(raw.get("author", "") or ""):
        raw["author"] = ours.author
    contents = _contents(raw)
    forms = {strip_control(f) for v, t in contents for f in (v, parse._text_to_html(v, t))}
    if contents and ours.content_html not in forms:
        raw["content"][0]["value"] = ours.content_html
    elif not contents and ours.content_html:
        raw["content"] = [{"value": ours.content_html, "type": "text/html"}]
    summary = raw.get("summary", "") or ""
    summary_forms = {strip_control(summary), parse._text_to_html(summary, "text/plain")}
    dropped = not ours.summary_html and summary.strip() in {v.strip() for v, _ in contents}
    if ours.summary_html not in summary_forms and not dropped:
        raw["summary"] = ours.summary_html
    for name in ("published", "updated"):
        value = getattr(ours, name)
        if value != _epoch(dict.get(raw, f"{name}_parsed")):
            if value is None:
                dict.pop(raw, f"{name}_parsed", None)
            else:
                raw[f"{name}_parsed"] = time.gmtime(value)
    terms = [one_line(t.get("term", "") or "") for t in raw.get("tags") or []]
    if ours.tags != [t for t in terms if t]:
        raw["tags"] = [{"term": t, "scheme": None, "label": None} for t in ours.tags]


def overlay(raw: Any, ours: ParsedFeed) -> Any:
    """A copy of feedparser's result carrying reader's values where they differ."""
    result = copy.copy(raw)  # bozo_exception does not deep-copy
    for key in ("feed", "entries"):
        if key in raw:
            result[key] = copy.deepcopy(raw[key])
    feed = result.get("feed")
    if feed is not None:
        if not _same_title(ours.title, feed):
            feed["title"] = ours.title
        if ours.site_url != one_line(feed.get("link", "") or ""):
            feed["link"] = ours.site_url
    entries = result.get("entries") or []
    if len(entries) == len(ours.entries):
        pairs: Iterable[tuple[Any, ParsedEntry]] = zip(entries, ours.entries, strict=True)
    else:  # reader dropped repeated ids: pair by identity
        by_guid = {e.guid: e for e in ours.entries}
        pairs = [(e, by_guid[k]) for e in entries
                 for k in [one_line(e.get("id", "") or e.get("link", "") or "")]
                 if k in by_guid]
    for raw_entry, entry in pairs:
        _overlay_entry(raw_entry, entry)
    return result


# -- the comparison -----------------------------------------------------------------------------

def differences(fast: ParsedFeed, slow: ParsedFeed) -> list[str]:
    """Every field where the two results differ, as 'where: fast != slow' lines."""
    out = []
    for name in ("title", "site_url", "kind", "warning"):
        if getattr(fast, name) != getattr(slow, name):
            out.append(f"feed.{name}: {getattr(fast, name)!r} != {getattr(slow, name)!r}")
    if len(fast.entries) != len(slow.entries):
        out.append(f"entries: {len(fast.entries)} != {len(slow.entries)}")
    for i, (a, b) in enumerate(zip(fast.entries, slow.entries, strict=False)):
        for f in fields(ParsedEntry):
            x, y = getattr(a, f.name), getattr(b, f.name)
            if x != y:
                out.append(f"entries[{i}].{f.name}: {x!r:.200} != {y!r:.200}")
    return out


def check(case: Case) -> Outcome:
    outcome = Outcome(case=case)
    started = time.perf_counter()
    url = ""
    try:
        try:
            full = parse.parse_feed(case.data, url, case.content_type)
        except parse.ParseError:
            full = None
        if parse._looks_like_json(case.data, case.content_type):
            return outcome
        fast = parse.parse_fast(case.data, url, case.content_type)
        try:
            slow = parse.parse_with_feedparser(case.data, url, case.content_type)
        except parse.ParseError as exc:
            slow = None
            if fast is not None:
                outcome.differences.append(f"feedparser path failed: {exc}")
        if fast is not None:
            outcome.accepted = True
            if slow is not None:
                outcome.differences += differences(fast, slow)
            if full != fast:
                outcome.differences.append("parse_feed did not return the fast path's result")
        elif full != slow:
            outcome.differences.append("parse_feed did not return the feedparser path's result")
        if case.expect and not case.skip and full is not None:
            raw = parse.run_feedparser(case.data, case.content_type)
            try:
                outcome.expect_plain = safe_eval(case.expect, raw)
                outcome.expect_reader = safe_eval(case.expect, overlay(raw, full))
            except Unsupported:
                pass
    except Exception as exc:  # the point of the exercise: report it, with the file
        outcome.crash = f"{type(exc).__name__}: {exc}"
    finally:
        outcome.seconds = time.perf_counter() - started
    return outcome


def run(paths: Iterable[Path]) -> Iterator[Outcome]:
    for path in paths:
        yield check(load_case(path))


@dataclass
class Summary:
    files: int = 0
    accepted: int = 0
    differing: list[Outcome] = field(default_factory=list)
    regressions: list[Outcome] = field(default_factory=list)
    crashes: list[Outcome] = field(default_factory=list)
    slowest: float = 0.0

    def add(self, outcome: Outcome) -> None:
        self.files += 1
        self.accepted += outcome.accepted
        self.slowest = max(self.slowest, outcome.seconds)
        if outcome.differences:
            self.differing.append(outcome)
        if outcome.expect_plain and outcome.expect_reader is False:
            self.regressions.append(outcome)
        if outcome.crash:
            self.crashes.append(outcome)

    def line(self) -> str:
        return (f"{self.files} files, {self.accepted} accepted by the fast path, "
                f"{len(self.differing)} differ, {len(self.regressions)} Expect regressions, "
                f"{len(self.crashes)} crashes, slowest {self.slowest:.2f} s")


def main(argv: list[str]) -> int:
    folders = [Path(a) for a in argv] or [CORPUS]
    summary = Summary()
    for outcome in run(feed_files(*folders)):
        summary.add(outcome)
    for o in summary.crashes:
        print(f"CRASH {o.case.path}: {o.crash}")
    for o in summary.differing:
        print(f"DIFF {o.case.path}:")
        for d in o.differences[:6]:
            print(f"    {d}")
    for o in summary.regressions:
        print(f"EXPECT {o.case.path}: {o.case.expect}")
    print(summary.line())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
