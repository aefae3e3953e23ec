"""One result per feed, whichever parser path it takes, on feeds nobody here wrote.

feedparser's own test feeds (tests/corpus/feedparser, with their `Expect:` lines) and real
captured feeds (tests/corpus/realworld) through the fast path, the feedparser path and
parse_feed; see tests/corpus/differential.py for what is compared and how.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from reader import parse
from reader.content import convert
from tests.corpus import differential
from tests.corpus.differential import Summary, feed_files

CORPUS = Path(__file__).resolve().parent
SLOWEST_S = 5.0
"""No single file may take longer than this (a hang shows up as a failure, not a stall)."""


def _summary(folder: Path) -> Summary:
    summary = Summary()
    for outcome in differential.run(feed_files(folder)):
        summary.add(outcome)
    return summary


def _report(summary: Summary) -> str:
    lines = [summary.line()]
    for o in summary.crashes[:10]:
        lines.append(f"crash {o.case.path.name}: {o.crash}")
    for o in summary.differing[:10]:
        lines.append(f"differs {o.case.path.name}: {o.differences[:3]}")
    for o in summary.regressions[:10]:
        lines.append(f"Expect fails {o.case.path.name}: {o.case.expect}")
    return "\n".join(lines)


def test_feedparser_suite_reads_the_same_on_both_paths() -> None:
    summary = _summary(CORPUS / "feedparser")
    report = _report(summary)
    assert summary.files == 2106, report
    assert not summary.crashes, report
    assert not summary.differing, report
    assert not summary.regressions, report
    assert summary.slowest < SLOWEST_S, report
    # The fast path still takes the plain feeds (it is what keeps a refresh fast).
    assert summary.accepted >= 600, report


def test_real_world_feeds_read_the_same_on_both_paths() -> None:
    folder = CORPUS / "realworld"
    summary = _summary(folder)
    report = _report(summary)
    assert summary.files >= 50, report
    assert not summary.crashes, report
    assert not summary.differing, report
    assert summary.slowest < SLOWEST_S, report
    assert summary.accepted >= summary.files // 5, report


_CLUTTER_LINE = re.compile(r"\\|.*\bappeared first on\b.*|\W*related (posts|articles):?\W*",
                           re.IGNORECASE)


def test_real_world_entries_convert_without_clutter() -> None:
    """Every entry of the real-world feeds through the converter: no crash, no lone "\\"
    line, no WordPress "appeared first on" footer, no "Related posts" block."""
    entries = 0
    for path in feed_files(CORPUS / "realworld"):
        case = differential.load_case(path)
        try:
            feed = parse.parse_feed(case.data, "", case.content_type)
        except parse.ParseError:
            continue
        for entry in feed.entries:
            source = entry.content_html or entry.summary_html
            markdown = convert.convert(source, base_url=entry.base_url or entry.link,
                                       summary_only=not entry.content_html).markdown
            entries += 1
            clutter = [line for line in markdown.splitlines()
                       if _CLUTTER_LINE.fullmatch(line.strip())]
            assert not clutter, f"{path.name}: {entry.title}: {clutter}"
    assert entries >= 300


# -- the harness itself can fail ----------------------------------------------------------------

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>https://example.com/</link>
<item><title>One</title><link>https://example.com/1</link><guid>g1</guid>
<description>Body one</description><category>a</category></item>
</channel></rss>"""


def test_a_difference_between_the_paths_is_reported() -> None:
    fast = parse.parse_fast(RSS)
    slow = parse.parse_with_feedparser(RSS)
    assert fast is not None and not differential.differences(fast, slow)
    fast.entries[0] = dataclasses.replace(fast.entries[0], title="Other")
    assert differential.differences(fast, slow) == ["entries[0].title: 'Other' != 'One'"]


def test_an_expect_line_judges_readers_values_not_feedparsers() -> None:
    raw = parse.run_feedparser(RSS)
    ours = parse.parse_feed(RSS)
    expect = "entries[0]['title'] == 'One' and entries[0]['tags'][0]['term'] == 'a'"
    assert differential.safe_eval(expect, raw)
    assert differential.safe_eval(expect, differential.overlay(raw, ours))
    ours.entries[0] = dataclasses.replace(ours.entries[0], title="Lost", tags=[])
    assert not differential.safe_eval(expect, differential.overlay(raw, ours))


@pytest.mark.parametrize("expression", [
    "__import__('os').system('true')",
    "entries.__class__",
    "(lambda: 1)()",
    "[x for x in entries]",
    "open('/etc/passwd')",
])
def test_expect_lines_cannot_reach_past_the_result(expression: str) -> None:
    raw = parse.run_feedparser(RSS)
    with pytest.raises((differential.Unsupported, SyntaxError)):
        differential.safe_eval(expression, raw)
