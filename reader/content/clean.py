"""The cleaning pass over the parsed tree: clutter and tracking dropped, URLs resolved and
checked, lazy images, embeds, runaway nesting flattened, clutter lines, footnotes."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote as url_quote
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from reader.content.siterules import Clutter
from reader.textutil import strip_control

MAX_DEPTH = 64
"""Elements nested deeper than this are flattened to their text (markdownify recurses)."""
MAX_LINE_CHARS = 400
"""Longer runs of text are never clutter lines (and are not matched)."""
_ALLOWED_SCHEMES = frozenset({"http", "https", "mailto", "ftp", "ftps", "tel", "sms", "gemini",
                              "gopher", "magnet", "xmpp", "irc", "ircs", "news", "nntp", "geo"})



EMBED_ATTR = "data-reader-embed"
FN_REF = "data-reader-fnref"
FN_BODY = "data-reader-fnbody"

DROP_TAGS = frozenset({
    "script", "style", "noscript", "template", "head", "title", "meta", "link", "base",
    "form", "button", "input", "select", "textarea", "option", "optgroup", "datalist", "output",
    "fieldset", "nav", "svg", "canvas", "dialog", "frameset", "frame", "applet", "map", "area",
    "param", "track", "source", "slot",
})
_EMBED_TAGS = frozenset({"iframe", "video", "audio", "object", "embed"})
BLOCK = frozenset({
    "[document]", "html", "body", "address", "article", "aside", "blockquote", "caption",
    "center", "dd", "details", "div", "dl", "dt", "figcaption", "figure", "footer", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "li", "main", "menu", "ol", "p", "pre",
    "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
VOID = frozenset({"br", "hr", "img", "wbr", "col"})
_LAZY_SRC = ("data-lazy-src", "data-src", "data-original", "data-orig-src")
_LAZY_SRCSET = ("data-lazy-srcset", "data-srcset", "srcset")
_LAYOUT_TABLE_TAGS = frozenset({"table", "tbody", "thead", "tfoot", "tr", "td", "th"})
_SRCSET_SPLIT = re.compile(r"(?<=\d[wx]),\s*|,\s+")
_STRAY_SCHEME_CHARS = re.compile(r"[\s\x00-\x1f]+")


def _px(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    digits = ""
    for ch in value:
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits and len(digits) < 7 else None


def _largest_srcset(srcset: str) -> str:
    best, best_size = "", -1.0
    for candidate in _SRCSET_SPLIT.split(srcset.strip().rstrip(",")):
        parts = candidate.split()
        if not parts:
            continue
        size = 1.0
        if len(parts) > 1:
            try:
                size = float(parts[1][:-1])
            except ValueError:
                size = 1.0
        if size > best_size:
            best, best_size = parts[0].rstrip(","), size
    return best


def hidden(attrs: dict[str, Any]) -> bool:
    if "hidden" in attrs:
        return True
    style = attrs.get("style")
    if style and isinstance(style, str):
        style = style.replace(" ", "").lower()
        return "display:none" in style or "visibility:hidden" in style
    return False


class Cleaner:
    """One pass over the parsed tree: drops clutter, resolves URLs, prepares embeds."""

    def __init__(self, soup: BeautifulSoup, base: str, clutter: Clutter) -> None:
        self.soup = soup
        self.base = base
        self.base_page = base.split("#", 1)[0]
        self.origin = ""  # scheme://host of an http(s) base, for "/path" links
        try:
            parts = urlsplit(base)
            if parts.scheme.lower() in ("http", "https") and parts.netloc:
                self.origin = f"{parts.scheme.lower()}://{parts.netloc}"
        except ValueError:
            self.origin = ""
        self.clutter = clutter
        self.containers: list[Tag] = []
        self.fragment_links: list[tuple[Tag, str]] = []
        self.ids: dict[str, Tag] = {}

    # -- URLs --
    def url(self, raw: Any) -> str | None:
        """An absolute URL with an allowed scheme, or None."""
        if not isinstance(raw, str):
            return None
        raw = raw.strip()
        if not raw:
            return None
        if "\n" in raw or "\t" in raw or "\r" in raw:
            raw = raw.replace("\n", "").replace("\t", "").replace("\r", "")
        head = raw[:12].lower()
        if ":" in head:
            scheme = _STRAY_SCHEME_CHARS.sub("", raw.split(":", 1)[0]).lower()
            if scheme not in _ALLOWED_SCHEMES:
                if scheme.isalpha() and len(scheme) > 1:  # javascript:, data:, file: ...
                    return None
        if head.startswith(("https://", "http://")):
            host_at = 8 if head[4] == "s" else 7
            if len(raw) <= host_at or raw[host_at] in "/\\?#":
                return None
            if "[" not in raw:
                return encode_url(raw)  # the common case, without urljoin's cost
            # a bracket ("http://[::1" is no URL; fuzzing found it): urlsplit checks below
        if self.origin and raw[0] == "/" and raw[1:2] != "/":
            return encode_url(self.origin + raw)
        try:
            if self.base:
                url = urljoin(self.base, raw)
            elif raw.startswith("//"):
                url = "https:" + raw
            else:
                url = raw
            parts = urlsplit(url)
        except ValueError:
            return None
        scheme = parts.scheme.lower()
        if scheme not in _ALLOWED_SCHEMES:
            return None
        if scheme in ("http", "https", "ftp", "ftps") and not parts.netloc:
            return None
        return encode_url(url)

    def image_url(self, tag: Tag) -> str | None:
        attrs = tag.attrs
        for name in _LAZY_SRC + ("src",):
            value = attrs.get(name)
            if isinstance(value, str) and value.strip() and not value.strip().lower().startswith(
                    ("data:", "about:")):
                return self.url(value)
        for name in _LAZY_SRCSET:
            value = attrs.get(name)
            if isinstance(value, str) and value.strip():
                return self.url(_largest_srcset(value))
        parent = tag.parent
        if parent is not None and parent.name == "picture":
            for source in parent.find_all("source", recursive=False):
                value = source.get("srcset") or source.get("data-srcset")
                if isinstance(value, str) and value.strip():
                    return self.url(_largest_srcset(value))
        return None

    # -- the walk --
    def run(self) -> None:
        stack: list[tuple[Tag, int, bool]] = [(self.soup, 0, False)]
        while stack:
            node, depth, in_link = stack.pop()
            if node.name in BLOCK:
                self.containers.append(node)
            contents = node.contents
            drops: list[int] = []
            todo: list[tuple[Tag, int, bool]] = []
            for index, child in enumerate(contents):
                if not isinstance(child, Tag):
                    if isinstance(child, PreformattedString):  # comment, CDATA, doctype, PI
                        drops.append(index)
                    continue
                if depth >= MAX_DEPTH:
                    self.flatten(child)
                    continue
                keep = self.visit(child, in_link)
                if not keep:
                    drops.append(index)
                elif child.contents and child.name not in VOID:
                    todo.append((child, depth + 1, in_link or child.name == "a"))
            for index in reversed(drops):
                contents[index].extract(_self_index=index)
            stack.extend(reversed(todo))
        if self.clutter.complex is not None:
            for tag in self.clutter.complex.select(self.soup):
                if tag.parent is not None:
                    tag.extract()
        if self.clutter.lines:
            self.drop_lines()
        if self.fragment_links:
            self.footnotes()

    def visit(self, tag: Tag, in_link: bool) -> bool:
        """Clean one element in place; False when it is to be dropped."""
        name = tag.name
        attrs = tag.attrs
        if name in DROP_TAGS:
            return False
        if attrs:
            if self.clutter.drops(name, attrs) or hidden(attrs):
                return False
            ident = attrs.get("id")
            if isinstance(ident, str) and ident not in self.ids:
                self.ids[ident] = tag
        elif name in self.clutter.tags:
            return False
        if name == "a":
            if "name" in attrs and isinstance(attrs["name"], str):
                self.ids.setdefault(attrs["name"], tag)
            raw = attrs.get("href")
            if raw is None:
                return True
            url = None if in_link else self.url(raw)
            if url is None:
                del tag["href"]
            else:
                tag["href"] = url
            if isinstance(raw, str):
                raw = raw.strip()
                if raw.startswith("#") and len(raw) > 1:
                    self.fragment_links.append((tag, raw[1:]))
                elif url and self.base_page and url.startswith(self.base_page + "#"):
                    self.fragment_links.append((tag, url[len(self.base_page) + 1:]))
            return True
        if name == "img":
            width, height = _px(attrs.get("width")), _px(attrs.get("height"))
            if (width is not None and width <= 1) or (height is not None and height <= 1):
                return False
            url = self.image_url(tag)
            alt = attrs.get("alt")
            tag.attrs = {"alt": alt if isinstance(alt, str) else ""}
            if url:
                tag["src"] = url
            return True
        if name in _EMBED_TAGS:
            return self.embed(tag)
        if name == "table":
            self.maybe_layout_table(tag)
        return True

    def embed(self, tag: Tag) -> bool:
        """Turn an iframe/video/audio/object/embed into a link to its source."""
        attrs = tag.attrs
        raw = None
        for name in _LAZY_SRC + ("src", "data"):
            if isinstance(attrs.get(name), str) and attrs[name].strip():
                raw = attrs[name]
                break
        if raw is None and tag.name in ("video", "audio"):
            source = tag.find("source", src=True)
            raw = source.get("src") if source is not None else None
        url = self.url(raw)
        if not url:
            return False
        title = attrs.get("title") if isinstance(attrs.get("title"), str) else ""
        tag.clear()
        tag.name = "span"
        tag.attrs = {}
        link = self.soup.new_tag("a", attrs={"href": url, EMBED_ATTR: "1"})
        if title.strip():
            link.string = title.strip()
        tag.append(link)
        return True

    def maybe_layout_table(self, table: Tag) -> None:
        """A table of one column is layout, not data: turn it into plain blocks."""
        rows = table.find_all("tr")
        if not rows or any(len(r.find_all(("td", "th"), recursive=False)) > 1 for r in rows):
            return
        for tag in [table, *table.find_all(_LAYOUT_TABLE_TAGS)]:
            tag.name = "div"

    def flatten(self, tag: Tag) -> None:
        """Replace a too-deep subtree by its text."""
        text = tag.get_text(" ")
        tag.clear()
        tag.name = "span"
        tag.attrs = {}
        if text.strip():
            tag.append(NavigableString(text))

    # -- clutter lines --
    def drop_lines(self) -> None:
        clutter = self.clutter
        for container in self.containers:
            if container.parent is None and container is not self.soup:
                continue  # dropped with an ancestor
            contents = container.contents
            drops: list[int] = []
            start = 0
            for index, child in enumerate(contents):
                if isinstance(child, Tag) and (child.name in BLOCK or child.name == "br"):
                    if _is_clutter_line(contents[start:index], clutter):
                        drops.extend(range(start, index + (child.name == "br")))
                    start = index + 1
            if _is_clutter_line(contents[start:], clutter):
                drops.extend(range(start, len(contents)))
            for index in reversed(drops):
                contents[index].extract(_self_index=index)

    # -- footnotes --
    def footnotes(self) -> None:
        labels: dict[str, str] = {}
        links = sorted(self.fragment_links,
                       key=lambda item: (item[0].sourceline or 0, item[0].sourcepos or 0))
        for link, fragment in links:
            if link.parent is None:
                continue
            target = self.ids.get(fragment)
            if target is None or target is link:
                continue
            ancestors = []
            node = link.parent
            while node is not None:
                ancestors.append(node)
                node = node.parent
            if any(a is target or a.has_attr(FN_BODY) for a in ancestors):
                if target.has_attr(FN_REF) or target.find(attrs={FN_REF: True}):
                    link.extract()  # a back-link from the note to its reference
                continue
            if not (link.parent.name == "sup" or _footnote_hint(link) or _footnote_hint(target)):
                continue
            label = labels.setdefault(fragment, str(len(labels) + 1))
            link[FN_REF] = label
            target[FN_BODY] = label
        for target in self.ids.values():
            if target.has_attr(FN_BODY):
                for back in target.find_all("a", class_=re.compile("backref|back-ref")):
                    back.extract()


def _footnote_hint(tag: Tag) -> bool:
    for attr in ("class", "rel", "role", "id"):
        value = tag.get(attr)
        if not value:
            continue
        value = (" ".join(value) if not isinstance(value, str) else value).lower()
        if "footnote" in value or "noteref" in value or "endnote" in value or (
                attr == "id" and value.startswith(("fn", "note"))):
            return True
    return False



def _is_clutter_line(nodes: list[Any], clutter: Clutter) -> bool:
    if not nodes:
        return False
    parts = []
    size = 0
    for node in nodes:
        text = node.get_text() if isinstance(node, Tag) else str(node)
        size += len(text)
        if size > MAX_LINE_CHARS + 200:  # room for white space that collapses
            return False
        parts.append(text)
    text = " ".join("".join(parts).split())
    if not text or len(text) > MAX_LINE_CHARS:
        return False
    if clutter.line is not None:
        return clutter.line.fullmatch(text) is not None
    return any(p.fullmatch(text) for p in clutter.lines)




_URL_UNSAFE = str.maketrans({" ": "%20", "<": "%3C", ">": "%3E", '"': "%22", "`": "%60",
                             "{": "%7B", "}": "%7D", "|": "%7C", "\\": "%5C", "^": "%5E",
                             # every other whitespace (U+2028 ends a line; fuzzing found it)
                             **{c: url_quote(c) for c in "\t\xa0\u1680\u2000\u2001\u2002\u2003"
                                "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029"
                                "\u202f\u205f\u3000"}})


def encode_url(url: str) -> str:
    url = strip_control(url).replace("\n", "")
    url = url.translate(_URL_UNSAFE)
    if url.count("(") != url.count(")"):
        url = url.replace("(", "%28").replace(")", "%29")
    return url
