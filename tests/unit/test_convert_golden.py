"""Golden tests: the AMN article and every sample feed item, converted and compared to Markdown
checked in under tests/data/convert/golden/ (each reviewed by eye).

Regenerate after an intended change with
`READER_UPDATE_GOLDEN=1 pytest tests/unit/test_convert_golden.py`, then read the diff before
committing it.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import feedparser
import pytest

from reader.content.convert import SUMMARY_NOTE, Converted, convert

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
DATA = ROOT / "tests" / "data" / "convert"
GOLDEN = DATA / "golden"
CAPTURE = SEEDS / "000_4ce2d9851149de12.txt"
AMN_LINK = ("https://www.almasdarnews.com/article/"
            "mattis-russia-must-prove-itself-first-before-u-s-allows-military-collaboration/")
UPDATE = os.environ.get("READER_UPDATE_GOLDEN") == "1"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden {path}; create it with READER_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8")


def parse_xml(name: str) -> list:
    data = (SEEDS / name).read_bytes()
    return feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False).entries


def convert_entry(entry) -> Converted:
    """An XML feed entry as the reader converts it: content, else the summary (summary-only)."""
    if entry.get("content"):
        content = entry.content[0]
        return convert(content.value, base_url=content.get("base") or entry.get("link", ""))
    detail = entry.get("summary_detail") or {}
    return convert(entry.get("summary", ""), summary_only=True,
                   base_url=detail.get("base") or entry.get("link", ""))


def plain(markdown: str) -> str:
    """Markdown body as plain words: link refs, escapes and markup removed."""
    text = re.sub(r"\]\[\d+\]", "]", markdown)
    text = re.sub(r"\\(.)", r"\1", text)
    text = re.sub(r"^> ?", "", text, flags=re.MULTILINE)
    text = re.sub(r"[\[\]*_]", "", text)
    return " ".join(text.split())


def capture_paragraphs() -> list[str]:
    """The article paragraphs of the original capture (after the title and date lines)."""
    lines = [" ".join(p.split()) for p in CAPTURE.read_text(encoding="utf-8").split("\n")]
    start = next(i for i, line in enumerate(lines) if line.startswith("On Thursday"))
    return [line for line in lines[start:] if line and line != "[revad2]"]


def assert_clean_amn(result: Converted) -> None:
    text = result.markdown
    for clutter in ("Navigation", "Telegram", "uncensored", "revad", "Share this", "Twitter",
                    "Facebook", "•", "Like this", "Leave a Reply", "Related"):
        assert clutter not in text, clutter
    for link in result.links:
        assert not any(s in link.url for s in ("pixel.wp.com", "feedburner", "t.me", "share="))
    words = plain(text)
    for paragraph in capture_paragraphs():
        assert paragraph in words, paragraph[:60]
    assert not re.search(r"[ \t]\n|\n\n\n", text)


# -- the AMN article ---------------------------------------------------------------------------


@pytest.mark.skipif(not (SEEDS / "amn.xml").exists(), reason="seeds/amn.xml not written yet")
def test_amn_seed_article_golden() -> None:
    first = parse_xml("amn.xml")[0]
    html_in = first.content[0].value
    assert "[revad2]" in html_in and "Telegram" in html_in  # the clutter is really there
    result = convert(html_in, base_url=first.link)
    check_golden("amn.md", result.markdown)
    assert_clean_amn(result)
    assert result.links[0].kind == "image"
    assert result.links[0].url.endswith("mattis-nato-brussels-1024x683.jpg")


def test_own_wordpress_fixture_golden() -> None:
    """A WordPress body built from the capture with more clutter than the seed has."""
    result = convert((DATA / "wordpress_amn.html").read_text(encoding="utf-8"),
                     base_url=AMN_LINK)
    check_golden("wordpress_amn.md", result.markdown)
    assert_clean_amn(result)
    assert "> “I see here in Brussels" in result.markdown  # the quoted speech, as a quote
    assert [lk.kind for lk in result.links] == ["image", "link", "link", "embed"]


# -- every other sample feed item --------------------------------------------------------------


def render_items(items: list[tuple[str, Converted]]) -> str:
    parts = []
    for n, (title, result) in enumerate(items, 1):
        parts.append(f"======== {n}. {title}\n\n{result.markdown}")
    return "\n".join(parts)


@pytest.mark.parametrize("name", ["amn.xml", "atom.xml", "summary.xml"])
def test_seed_xml_feeds_golden(name: str) -> None:
    if not (SEEDS / name).exists():
        pytest.skip(f"seeds/{name} not present")
    entries = parse_xml(name)
    if name == "amn.xml":
        entries = entries[1:]  # the first item has its own golden above
    items = [(e.get("title", "(no title)"), convert_entry(e)) for e in entries]
    check_golden(name.replace(".xml", "_items.md"), render_items(items))
    for _, result in items:
        assert "revad" not in result.markdown and "Share this" not in result.markdown
        assert all(lk.url.startswith(("https://", "http://", "mailto:")) for lk in result.links)


def test_seed_summary_feed_is_marked_summary_only() -> None:
    if not (SEEDS / "summary.xml").exists():
        pytest.skip("seeds/summary.xml not present")
    for entry in parse_xml("summary.xml"):
        result = convert_entry(entry)
        assert result.summary_only and result.markdown.startswith(SUMMARY_NOTE + "\n\n")


def test_seed_json_feed_golden() -> None:
    path = SEEDS / "jsonfeed.json"
    if not path.exists():
        pytest.skip("seeds/jsonfeed.json not present")
    doc = json.loads(path.read_text(encoding="utf-8"))
    items = []
    for item in doc["items"]:
        source = item.get("content_html")
        if not source:  # content_text only: plain text, one paragraph per blank-line block
            text = item.get("content_text", "")
            source = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n"))
        base = item.get("url") or doc.get("home_page_url", "")
        items.append((item.get("title", "(no title)"), convert(source, base_url=base)))
    check_golden("jsonfeed_items.md", render_items(items))


def test_every_seed_converts_cleanly() -> None:
    """Whatever sample feeds exist (more may be added): no raise, no control bytes, no clutter."""
    for path in sorted(SEEDS.glob("*.xml")):
        for entry in parse_xml(path.name):
            result = convert_entry(entry)
            assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", result.markdown), path.name
            assert "[revad" not in result.markdown
