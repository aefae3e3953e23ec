"""Notes and bookmarks as Markdown files, one per article (Obsidian-compatible).

Each annotated or bookmarked article becomes `DIR/<slug of title>-<first 6 of id>.md`:

    ---
    title: "An article: with a colon"
    link: "https://example.com/a"
    feed: "Feed title"
    author: "Someone"
    published: "2021-09-06T16:45:00+00:00"
    bookmarked: true
    tags: ["news", "long-reads"]
    id: "0123456789ab"
    ---

    # An article: with a colon

    > the quoted passage,
    > every line of it

    the note text

    > the next note's quote

    the next note

    ## Article            (only with `with_article`)

    the article as Markdown

Front matter values are YAML double-quoted strings written as JSON strings (`"`, `\\`,
control and line-breaking characters escaped), `true`/`false`, `null` or a flow list, so a
title holding `:`, quotes, newlines or `---` cannot break out of its field. Feed tags lose
their spaces (`a b` becomes `a-b`): Obsidian tags cannot hold any.

File names keep only lowercase ASCII letters, digits and hyphens (at most 80 characters,
"article" when nothing is left) plus part of the article id, so every file lands in DIR
whatever the title. Exporting again rewrites the same files (found by the `id` in their front
matter, so a changed title does not make a second file); unchanged files are not touched.
Files of articles that are no longer annotated or bookmarked are left alone, as is any file
the exporter did not write.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from reader.errors import LibraryError
from reader.models import Article, Note
from reader.storage.store import write_or_explain
from reader.textutil import one_line

SLUG_MAX = 80
_SLUG_DROP = re.compile(r"[^a-z0-9]+")
# Characters a YAML double-quoted scalar must not hold raw: anything outside YAML's printable
# set, lone surrogates, and the characters YAML 1.1 reads as line breaks or a byte order mark.
_YAML_ESCAPE = re.compile(
    "[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029\ufeff]")
_EXPORTED_NAME = re.compile(r"-([0-9a-f]{6}|[0-9a-f]{12})(?:-\d+)?\.md$")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""A note typed on a terminal that was not UTF-8 keeps those bytes as lone surrogates (the
store keeps them as they are); a Markdown file must be UTF-8, so they are written as U+FFFD."""
_ID_LINE = re.compile(r'^id: "([0-9a-f]+)"$', re.MULTILINE)


def slugify(title: str) -> str:
    """A file-name-safe slug: lowercase ASCII letters, digits and hyphens, or "article"."""
    text = unicodedata.normalize("NFKD", title or "")
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    text = _SLUG_DROP.sub("-", text).strip("-")
    return text[:SLUG_MAX].rstrip("-") or "article"


def yaml_string(value: str) -> str:
    """`value` as a YAML double-quoted scalar (also a valid JSON string)."""
    text = json.dumps(value, ensure_ascii=False)

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return "\ufffd" if 0xD800 <= code <= 0xDFFF else f"\\u{code:04x}"

    return _YAML_ESCAPE.sub(escape, text)


def yaml_value(value: Any) -> str:
    """A front matter value: string, bool, None or a list of strings."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(yaml_string(str(v)) for v in value) + "]"
    return yaml_string(str(value))


def iso_date(stamp: float | None) -> str | None:
    """Epoch seconds as ISO 8601 in UTC, None when unknown."""
    if not stamp:
        return None
    try:
        return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds")
    except (ValueError, OverflowError, OSError):  # past year 9999 (a feed said 9999 -12:00)
        return None


def obsidian_tag(tag: str) -> str:
    """A feed tag as an Obsidian tag: no spaces."""
    return "-".join(tag.split())


def render(article: Article, notes: list[Note], *, tags: list[str], bookmarked: bool,
           article_markdown: str | None = None) -> str:
    """The Markdown document of one article and its notes."""
    fields = {
        "title": article.title,
        "link": article.link,
        "feed": article.feed_title,
        "author": article.author,
        "published": iso_date(article.published or article.updated),
        "bookmarked": bookmarked,
        "tags": [t for t in (obsidian_tag(t) for t in tags) if t],
        "id": article.id,
    }
    lines = ["---", *(f"{k}: {yaml_value(v)}" for k, v in fields.items()), "---", ""]
    lines += [f"# {one_line(article.title) or 'Untitled'}", ""]
    for note in notes:
        if note.quote:
            lines += [f"> {line}" for line in note.quote.rstrip("\n").split("\n")]
            lines.append("")
        if note.text.rstrip("\n"):
            lines += [note.text.rstrip("\n"), ""]
    if article_markdown is not None:
        lines += ["## Article", "", article_markdown.rstrip(), ""]
    return "\n".join(lines)


def _existing_files(root: Path, ids: set[str]) -> tuple[dict[str, Path], set[str]]:
    """(article id -> file this exporter wrote for it earlier, every .md name in root)."""
    prefixes = {i[:6] for i in ids}
    found: dict[str, Path] = {}
    names: set[str] = set()
    for path in sorted(root.iterdir()):
        if not path.name.endswith(".md"):
            continue
        names.add(path.name)
        match = _EXPORTED_NAME.search(path.name)
        if not match or match.group(1)[:6] not in prefixes or not path.is_file():
            continue
        try:
            with open(path, "rb") as handle:
                head = handle.read(8192).decode("utf-8", "replace")
        except OSError:
            continue
        if not head.startswith("---\n"):
            continue
        front = head[4:].split("\n---\n", 1)[0]
        id_match = _ID_LINE.search(front)
        if id_match and id_match.group(1) in ids and id_match.group(1) not in found:
            found[id_match.group(1)] = path
    return found, names


def _target(root: Path, article: Article, existing: dict[str, Path], taken: set[str]) -> Path:
    """Where an article's file goes: its earlier file, else a fresh name no one holds."""
    if article.id in existing:
        return existing[article.id]
    slug = slugify(article.title)
    name = f"{slug}-{article.id[:6]}.md"
    n = 1
    while name in taken:  # the same slug and id start, or someone else's file
        name = f"{slug}-{article.id}.md" if n == 1 else f"{slug}-{article.id}-{n}.md"
        n += 1
    return root / name


@dataclass
class ExportItem:
    """One file of an export: an annotated or bookmarked article and what goes with it."""

    article: Article
    notes: list[Note]
    """Its notes, oldest first."""
    tags: list[str]
    """Its feed's tags."""
    bookmarked: bool
    markdown: str | None = None
    """The article as Markdown, when it is exported too."""


def write_export(folder: Path, ids: set[str], items: Iterable[ExportItem]) -> list[Path]:
    """Write one Markdown file per item into `folder` (created if missing); `ids` are every
    item's article id (files written earlier for them are found first). Returns the files,
    in the items' order."""
    root = folder.expanduser()
    try:
        root.mkdir(parents=True, exist_ok=True)
        root = root.resolve()
        existing, names = _existing_files(root, ids)
    except OSError as exc:
        raise LibraryError(f"{folder}: cannot export there: {exc.strerror or exc}") from None
    taken = set(names)  # fresh names must not land on any file already there
    written: list[Path] = []
    for item in items:
        article = item.article
        text = render(article, item.notes, tags=item.tags, bookmarked=item.bookmarked,
                      article_markdown=item.markdown)
        target = _target(root, article, existing, taken)
        if target.parent.resolve() != root or target.name in ("", ".", ".."):
            raise LibraryError(f"{target}: refusing to write outside {root}")
        taken.add(target.name)
        data = _LONE_SURROGATE.sub("\ufffd", text).encode("utf-8")  # bytes that were not UTF-8
        try:
            unchanged = target.is_file() and target.read_bytes() == data
        except OSError:
            unchanged = False
        if not unchanged:
            write_or_explain(target, data)
        written.append(target)
    return written
