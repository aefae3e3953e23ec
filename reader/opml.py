"""Subscription lists in and out: OPML 1.0/2.0 and newsboat `urls` files. Pure."""

from __future__ import annotations

import json
import re
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from xml.sax.saxutils import quoteattr

from reader.errors import SubscriptionListError
from reader.query import QueryError, from_newsboat
from reader.textutil import one_line


@dataclass
class Subscription:
    """One feed in a subscription list."""

    url: str
    title: str = ""
    tags: list[str] = field(default_factory=list)
    site_url: str = ""


@dataclass
class ImportedList:
    """What a file held, and what was skipped."""

    kind: str
    """"opml" or "urls"."""
    subscriptions: list[Subscription] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    query_feeds: list[tuple[str, str]] = field(default_factory=list)
    """(title, query in reader.query's language) of newsboat `query:` feeds."""


def read_subscriptions(data: bytes, name: str = "") -> ImportedList:
    """Detect OPML or a newsboat urls file and read it."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") or _utf16(data):
        return read_opml(data, name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubscriptionListError(f"{name}: not UTF-8 text (byte {exc.start}); neither OPML "
                                    "nor a newsboat urls file") from None
    if "\x00" in text[:1024]:
        raise SubscriptionListError(f"{name}: not a text file (NUL bytes); neither OPML nor a "
                                    "newsboat urls file")
    if head[:1] in (b"{", b"["):
        try:
            json.loads(text)
        except ValueError:
            pass
        else:
            raise SubscriptionListError(f"{name}: a JSON file, not OPML or a newsboat urls file")
    return read_urls(text, name)


def _utf16(data: bytes) -> str:
    """The codec of an XML document in UTF-16 (with or without a BOM), else ""."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16" if data[2:].lstrip(b"\x00 \t\r\n")[:1] == b"<" else ""
    if data[:2] == b"<\x00":
        return "utf-16-le"
    if data[:2] == b"\x00<":
        return "utf-16-be"
    return ""


_DECLARATION_RE = re.compile(rb"<!\s*(doctype|entity)", re.IGNORECASE)


def _has_doctype_or_entity(data: bytes) -> bool:
    """Anywhere in the file (a long comment must not hide one), in UTF-16 too."""
    codec = _utf16(data)
    sample = data.decode(codec, "replace").encode("utf-8") if codec else data
    return _DECLARATION_RE.search(sample) is not None


def _not_utf8(data: bytes) -> int | None:
    """Offset of the first non-UTF-8 byte of a document that declares (or defaults to) UTF-8;
    None when it decodes or declares another encoding."""
    match = re.match(rb"\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)", data[:200])
    if match and match.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def read_opml(data: bytes, name: str = "") -> ImportedList:
    """OPML 1.0/2.0: a feed in nested outline folders gets one path tag (`News/World` for a
    feed in World in News; a `/` in a folder's name becomes `∕`, so it nests nothing), and
    each `category` (comma-separated, `/News/World` paths as they are) a tag too."""
    if re.match(rb"\s*(<\?xml[^>]*>\s*)?<!doctype\s+html", data[:1024].lstrip(b"\xef\xbb\xbf"),
                re.IGNORECASE):
        raise SubscriptionListError(f"{name}: an HTML page, not OPML")
    if _has_doctype_or_entity(data):
        raise SubscriptionListError(f"{name}: OPML with a DOCTYPE/ENTITY declaration is refused")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        bad = None if _utf16(data) else _not_utf8(data)
        if bad is not None:
            raise SubscriptionListError(f"{name}: not well-formed OPML: byte {bad} is not UTF-8, "
                               "the encoding it declares (or defaults to)") from None
        raise SubscriptionListError(f"{name}: line {line}: not well-formed OPML ({exc})") from None
    if root.tag.lower() != "opml":
        raise SubscriptionListError(f"{name}: not OPML (root element is <{root.tag}>)")
    body = root.find("body")
    if body is None:
        raise SubscriptionListError(f"{name}: OPML without a <body>")
    result = ImportedList("opml")
    seen: set[str] = set()

    def walk(node: ET.Element, folders: list[str]) -> None:
        for outline in node.findall("outline"):
            attrs = {k.lower(): v for k, v in outline.attrib.items()}
            url = one_line(attrs.get("xmlurl", ""))
            label = one_line(attrs.get("title") or attrs.get("text") or "")
            if url:
                tags = ["/".join(folders)] if folders else []
                for cat in attrs.get("category", "").split(","):
                    cat = one_line(cat).strip("/")
                    if cat and cat not in tags:
                        tags.append(cat)
                if url in seen:
                    result.warnings.append(f"{url}: listed twice; the first entry was kept")
                else:
                    seen.add(url)
                    result.subscriptions.append(
                        Subscription(url, label, tags, one_line(attrs.get("htmlurl", "")))
                    )
                walk(outline, folders)
            else:
                label = label.replace("/", "\u2215").strip()
                walk(outline, folders + [label] if label else folders)

    try:
        walk(body, [])
    except RecursionError:  # thousands of nested folders (found by tests/hostile/test_fuzz.py)
        raise SubscriptionListError(f"{name}: outlines nested too deeply") from None
    return result


def read_urls(text: str, name: str = "") -> ImportedList:
    """A newsboat urls file: `URL tag "tag two" "~Custom title"`, # comments."""
    result = ImportedList("urls")
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            parts = shlex.split(line, comments=True)
        except ValueError as exc:
            result.warnings.append(f"{name}: line {number}: skipped ({exc})")
            continue
        if not parts:
            continue
        url, rest = one_line(parts[0]), parts[1:]  # an ESC in a URL is not part of it
        if not url:
            continue
        if url.startswith("query:"):
            _read_query_line(url, number, name, result)
            continue
        if url.startswith(("exec:", "filter:")):
            kind = url.split(":", 1)[0]
            result.warnings.append(
                f"{name}: line {number}: {kind}: feeds are not supported; skipped")
            continue
        if "://" not in url and not url.startswith(("/", "~", ".")):
            result.warnings.append(f"{name}: line {number}: {url!r} is not a URL; skipped")
            continue
        title = ""
        tags: list[str] = []
        for part in rest:
            if part.startswith("~"):
                title = one_line(part[1:])
            elif part.startswith("!"):
                continue  # newsboat's "hide this feed" marker has no meaning here
            elif one_line(part) and one_line(part) not in tags:
                tags.append(one_line(part))
        if url in seen:
            result.warnings.append(f"{name}: line {number}: {url} listed twice; kept the first")
            continue
        seen.add(url)
        result.subscriptions.append(Subscription(url, title, tags))
    if not result.subscriptions and not result.query_feeds:
        skipped = f"{len(result.warnings)} lines skipped; " if result.warnings else ""
        raise SubscriptionListError(
            f"{name}: no feeds found ({skipped}not OPML or a newsboat urls file)")
    return result


def _read_query_line(line: str, number: int, name: str, result: ImportedList) -> None:
    """A newsboat `query:Title:filter expression` line, translated (reader.query), or a
    warning naming the line and what did not carry over."""
    _, _, rest = line.partition(":")
    title, colon, expression = rest.partition(":")
    title = one_line(title).strip()
    if not colon or not title or not expression.strip():
        result.warnings.append(f"{name}: line {number}: a query: feed needs "
                               "query:Title:expression; skipped")
        return
    try:
        result.query_feeds.append((title, from_newsboat(expression)))
    except QueryError as exc:
        result.warnings.append(f"{name}: line {number}: query feed {title!r} not imported: "
                               f"{exc.detail} in {one_line(expression)!r}")


def write_opml(subscriptions: list[Subscription], title: str = "reader subscriptions") -> str:
    """OPML 2.0 as Miniflux and FreshRSS read it: each feed's title in `text` and `title`,
    feeds inside the folder outline of their first tag (a path tag, `news/middle-east`, as
    nested outlines: middle-east inside news), and every tag in `category` (comma-separated)
    too, so nothing is lost on re-import. Feeds and folders keep the order they first appear."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{_esc(title)}</title>",
        f"    <dateCreated>{formatdate(usegmt=True)}</dateCreated>",
        "  </head>",
        "  <body>",
    ]
    root = _Folder("")
    for sub in subscriptions:
        folder = root
        for part in (sub.tags[0].split("/")[:MAX_DEPTH] if sub.tags else []):
            if part not in folder.folders:
                folder.folders[part] = _Folder(part)
                folder.items.append(folder.folders[part])
            folder = folder.folders[part]
        folder.items.append(sub)
    _write_folder(root, lines, "    ")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


MAX_DEPTH = 32
"""Folders nest this deep at most in the OPML written (`category` keeps a deeper tag whole)."""


@dataclass
class _Folder:
    """An outline folder of the OPML being written."""

    name: str
    items: list[Subscription | _Folder] = field(default_factory=list)
    """Feeds and folders inside, in the order they first appear."""
    folders: dict[str, _Folder] = field(default_factory=dict)


def _write_folder(folder: _Folder, lines: list[str], indent: str) -> None:
    for sub in folder.items:
        if isinstance(sub, _Folder):
            lines.append(f"{indent}<outline text={_attr(sub.name)} title={_attr(sub.name)}>")
            _write_folder(sub, lines, indent + "  ")
            lines.append(f"{indent}</outline>")
            continue
        attrs = [("type", "rss"), ("text", sub.title or sub.url)]
        if sub.title:
            attrs.append(("title", sub.title))
        attrs.append(("xmlUrl", sub.url))
        if sub.site_url:
            attrs.append(("htmlUrl", sub.site_url))
        if sub.tags:
            attrs.append(("category", ",".join(sub.tags)))
        rendered = " ".join(f"{k}={_attr(v)}" for k, v in attrs)
        lines.append(f"{indent}<outline {rendered}/>")


def _attr(value: str) -> str:
    return quoteattr(value, _ATTR_ENTITIES)


_ATTR_ENTITIES = {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


def _esc(text: str) -> str:
    return quoteattr(text)[1:-1]


def write_urls(subscriptions: list[Subscription],
               query_feeds: Sequence[tuple[str, str]] = ()) -> str:
    """A newsboat urls file (for users going back and forth): tags and `"~Title"` in double
    quotes, as newsboat reads them; `query_feeds`: (title, expression in newsboat's filter
    language) as `"query:Title:expression"` lines."""
    out = []
    for sub in subscriptions:
        parts = [sub.url] + [_urls_quote(t) if any(c in t for c in ' "#\\') else t
                             for t in sub.tags]
        if sub.title:
            parts.append(_urls_quote("~" + sub.title))
        out.append(" ".join(parts))
    out += [_urls_quote(f"query:{title}:{expression}") for title, expression in query_feeds]
    return "\n".join(out) + "\n"


def _urls_quote(text: str) -> str:
    """`text` in double quotes, `\\` and `"` escaped (newsboat's and shlex's reading)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
