"""Writing Markdown: markdownify with a tuned converter (numbered links, escaping, code
languages, tables, footnotes)."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any
from urllib.parse import urlsplit

from bs4 import Tag
from markdownify import ATX, BACKSLASH, MarkdownConverter, chomp

from reader.content.clean import BLOCK, EMBED_ATTR, FN_BODY, FN_REF, VOID

_CLAIM = "\x02%d\x03"
_REF = "\x04%d\x05"
MARKERS = re.compile("\x02(\\d+)\x03|\x04(\\d+)\x05")
_EXTRACT_NEWLINES = re.compile(r"^(\n*)((?:.*[^\n])?)(\n*)$", re.DOTALL)
_WS_BLOCK = frozenset({"p", "blockquote", "article", "div", "section", "ol", "ul", "li", "dl",
                       "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th",
                       "h1", "h2", "h3", "h4", "h5", "h6"})
_WS_OUTSIDE = _WS_BLOCK | {"pre"}
_INLINE_CONTEXT = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "td", "th"})
_NOFORMAT = frozenset({"pre", "code", "kbd", "samp"})
_INLINE_MARKUP = frozenset({"b", "strong", "em", "i", "del", "s", "strike", "code", "kbd",
                            "samp", "q", "sub", "sup"})
_SPACES = re.compile("[ \t\n\r\f\v\xa0]+")
_ZERO_WIDTH = re.compile("[\u200b\ufeff]")
_DOUBLE_ENTITY = re.compile(
    r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|nbsp|[lr]squo|[lr]dquo|hellip|[nm]dash|[lr]aquo);")
_ESCAPE = re.compile(r"[\\`*\[\]]|<(?=[A-Za-z/!?])|&(?=#?[A-Za-z0-9]+;)|~~+"
                     r"|(?<![^\W_])_|_(?![^\W_])")
_LINE_START = re.compile(r"^(\s*)(?:([#>])|([-+])(?=\s|$|[-+])|(\d{1,9})([.)])(?=\s|$))")
_CODE_LANGUAGE = re.compile(r"[\w+#.-]{1,30}")
_BACKTICK_RUN = re.compile(r"`{3,}")


def _escape_char(match: re.Match[str]) -> str:
    return "".join("\\" + ch for ch in match.group())


def _escape_line_start(match: re.Match[str]) -> str:
    lead, mark, bullet, number, dot = match.groups()
    if mark:
        return f"{lead}\\{mark}"
    if bullet:
        return f"{lead}\\{bullet}"
    return f"{lead}{number}\\{dot}"


def escape_text(text: str) -> str:
    """Escape Markdown-significant characters in ordinary text."""
    return _ESCAPE.sub(_escape_char, text)


def _code_language(pre: Tag) -> str:
    code = pre.find("code", recursive=False)
    for tag in (pre, code):
        if tag is None:
            continue
        for attr in ("data-lang", "data-language", "lang"):
            value = tag.get(attr)
            if isinstance(value, str) and _CODE_LANGUAGE.fullmatch(value.strip()):
                return value.strip().lower()
        classes = tag.get("class") or []
        if isinstance(classes, str):
            classes = classes.split()
        for i, cls in enumerate(classes):
            for prefix in ("language-", "lang-", "highlight-source-"):
                if cls.startswith(prefix) and _CODE_LANGUAGE.fullmatch(cls[len(prefix):]):
                    return cls[len(prefix):].lower()
            if cls == "brush:" and i + 1 < len(classes):  # SyntaxHighlighter: "brush: php;"
                lang = classes[i + 1].rstrip(";")
                if _CODE_LANGUAGE.fullmatch(lang):
                    return lang.lower()
            if cls.startswith("brush:") and _CODE_LANGUAGE.fullmatch(cls[6:].rstrip(";")):
                return cls[6:].rstrip(";").lower()
    return ""


class MarkdownWriter(MarkdownConverter):
    """markdownify, tuned: numbered reference links, our escaping, linear list numbering.

    `process_tag` and `process_text` follow markdownify 1.2's logic but use set lookups where it
    calls `find_parent('pre')` and regexes per node (a third of its time).
    """

    def __init__(self) -> None:
        super().__init__(
            heading_style=ATX, bullets="-", newline_style=BACKSLASH, escape_asterisks=False,
            escape_underscores=False, escape_misc=False, table_infer_header=True,
            code_language_callback=_code_language, keep_inline_images_in=["td", "th"],
        )
        self.targets: list[tuple[str, str, str]] = []
        self._tags: dict[tuple[frozenset[str], str], frozenset[str]] = {}
        self._li_count: dict[int, int] = {}

    def target(self, url: str, kind: str, text: str) -> int:
        self.targets.append((url, kind, text))
        return len(self.targets) - 1

    def child_tags(self, parent_tags: frozenset[str], name: str) -> frozenset[str]:
        key = (parent_tags, name)
        tags = self._tags.get(key)
        if tags is None:
            extra = {name}
            if name in _INLINE_CONTEXT:
                extra.add("_inline")
            if name in _NOFORMAT:
                extra.add("_noformat")
            tags = self._tags[key] = parent_tags | extra
        return tags

    def process_tag(self, node: Any, parent_tags: Any = None) -> str:
        parent_tags = frozenset(parent_tags or ())
        name = node.name
        remove_inside = name in _WS_BLOCK
        children = []
        for el in node.contents:
            if isinstance(el, Tag):
                children.append(el)
            elif el.strip():
                children.append(el)
            elif remove_inside and (el.previous_sibling is None or el.next_sibling is None):
                continue
            elif _ws_outside(el.previous_sibling) or _ws_outside(el.next_sibling):
                continue
            else:
                children.append(el)
        tags = self.child_tags(parent_tags, name)
        strings = []
        for el in children:
            s = (self.process_tag(el, tags) if isinstance(el, Tag)
                 else self.process_text(el, tags))
            if s:
                strings.append(s)
        if "pre" in tags:
            text = "".join(strings)
        else:
            parts: list[str] = []
            prev_trail = ""
            for s in strings:
                if s[0] == "\n" or s[-1] == "\n":
                    lead, content, trail = _EXTRACT_NEWLINES.match(s).groups()  # type: ignore
                    if prev_trail and lead:
                        parts.pop()
                        lead = "\n" * min(2, max(len(prev_trail), len(lead)))
                    parts += (lead, content, trail)
                    prev_trail = trail
                else:
                    parts.append(s)
                    prev_trail = ""
            text = "".join(parts)
        label = node.get(FN_BODY) if name != "[document]" else None
        if label:
            body = text.strip()
            if not body:
                return ""
            body = "\n".join(("    " + line if line else "") for line in body.split("\n"))
            return f"\n\n[^{label}]: {body[4:]}\n\n"
        if name in _INLINE_MARKUP and "\n\n" in text.strip("\n"):
            return text  # blocks inside an inline element: emphasis cannot span them
        convert_fn = self.get_conv_fn_cached(name)
        if convert_fn is not None:
            text = convert_fn(node, text, parent_tags=parent_tags)
        return text

    def process_text(self, el: Any, parent_tags: Any = None) -> str:
        parent_tags = parent_tags or frozenset()
        text = str(el)
        if "pre" in parent_tags:
            return text
        if "\u200b" in text or "\ufeff" in text:
            text = _ZERO_WIDTH.sub("", text)
        noformat = "_noformat" in parent_tags
        if "&" in text and not noformat:  # entities a feed escaped twice: &amp;#8217;
            text = _DOUBLE_ENTITY.sub(lambda m: htmllib.unescape(m.group()), text)
        text = _SPACES.sub(" ", text)
        if not noformat:
            text = _ESCAPE.sub(_escape_char, text)
        prev, nxt, parent = el.previous_sibling, el.next_sibling, el.parent
        parent_block = parent is not None and parent.name in _WS_BLOCK
        if _ws_outside(prev) or (parent_block and prev is None):
            text = text.lstrip()
        if _ws_outside(nxt) or (parent_block and nxt is None):
            text = text.rstrip()
        if not noformat and (prev is None or (isinstance(prev, Tag) and (
                prev.name in BLOCK or prev.name == "br"))):
            text = _LINE_START.sub(_escape_line_start, text, count=1)
        return text

    # -- element conversions --
    def convert_a(self, el: Any, text: str, parent_tags: Any) -> str:
        if "_noformat" in parent_tags:
            return text
        label = el.get(FN_REF)
        if label:
            return f"[^{label}]"
        href = el.get("href")
        embed = el.has_attr(EMBED_ATTR)
        if embed and not text.strip():
            text = escape_text(_embed_title(href or ""))
        prefix, suffix, text = chomp(text)
        if not text:
            return ""
        if not href:
            return prefix + text + suffix
        if "\n" in text:
            text = " ".join(text.replace("\\\n", " ").split())
        plain = " ".join(el.get_text().split())
        if not plain:
            img = el.find("img")
            plain = " ".join(str(img.get("alt") or "").split()) if img is not None else ""
        if embed and not plain:
            plain = _embed_title(href)
        key = self.target(href, "embed" if embed else "link", plain)
        return f"{prefix}{_CLAIM % key}[{text}][{_REF % key}]{suffix}"

    def convert_img(self, el: Any, text: str, parent_tags: Any) -> str:
        alt = " ".join(str(el.get("alt") or "").split())
        src = el.get("src")
        if "_noformat" in parent_tags or not src:
            return escape_text(alt)
        key = self.target(src, "image", alt)
        return f"{_CLAIM % key}![{escape_text(alt)}][{_REF % key}]"

    def convert_br(self, el: Any, text: str, parent_tags: Any) -> str:
        if "pre" in parent_tags:
            return "\n"
        if "_inline" in parent_tags:
            return " "
        prev, nxt = _content_sibling(el, -1), _content_sibling(el, 1)
        while isinstance(prev, Tag) and prev.name not in BLOCK and prev.name not in VOID \
                and not prev.get_text().strip() and prev.find("img") is None:
            prev = _content_sibling(prev, -1)  # WordPress: <p><span id="more-1"></span><br>
        if prev is None or nxt is None or _is_tag(prev, "br"):
            return ""
        if isinstance(prev, Tag) and prev.name in BLOCK:  # "<p>..</p><br>Text": no lone "\"
            return ""
        if isinstance(nxt, Tag) and nxt.name in BLOCK:
            return ""
        if _is_tag(nxt, "br"):
            return "\n\n"
        return "\\\n"

    def convert_pre(self, el: Any, text: str, parent_tags: Any) -> str:
        text = text.strip("\n")
        if not text.strip():
            return ""
        language = _code_language(el)
        longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=2)
        fence = "`" * max(3, longest + 1)
        return f"\n\n{fence}{language}\n{text}\n{fence}\n\n"

    def convert_li(self, el: Any, text: str, parent_tags: Any) -> str:
        text = (text or "").strip()
        if not text:
            return "\n"
        parent = el.parent
        if parent is not None and parent.name == "ol":
            start = parent.get("start")
            first = int(start) if isinstance(start, str) and start.isdigit() and len(start) < 9 \
                else 1
            n = self._li_count.get(id(parent), 0)
            self._li_count[id(parent)] = n + 1
            bullet = f"{first + n}. "
        else:
            bullet = "- "
        indent = " " * len(bullet)
        lines = text.split("\n")
        body = "\n".join([lines[0]] + [(indent + line if line else "") for line in lines[1:]])
        return f"{bullet}{body}\n"

    def convert_td(self, el: Any, text: str, parent_tags: Any) -> str:
        colspan = el.get("colspan")
        span = max(1, min(50, int(colspan))) if isinstance(colspan, str) and \
            colspan.isdigit() and len(colspan) < 4 else 1
        cell = text.strip().replace("\\\n", " ").replace("\n", " ").replace("|", "\\|")
        return " " + cell + " |" * span

    convert_th = convert_td

    def convert_figcaption(self, el: Any, text: str, parent_tags: Any) -> str:
        text = text.strip()
        if not text:
            return ""
        if "\n" not in text and "*" not in text.replace("\\*", ""):
            text = f"*{text}*"
        return f"\n\n{text}\n\n"

    convert_aside = convert_header = convert_footer = MarkdownConverter.convert_div
    convert_main = convert_figure = convert_details = MarkdownConverter.convert_div
    convert_summary = convert_center = convert_address = MarkdownConverter.convert_div
    convert_hgroup = convert_menu = MarkdownConverter.convert_div


def _embed_title(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    host = host[4:] if host.startswith("www.") else host
    return f"Embedded content from {host}" if host else "Embedded content"


def _ws_outside(el: Any) -> bool:
    return isinstance(el, Tag) and el.name in _WS_OUTSIDE


def _is_tag(el: Any, name: str) -> bool:
    return isinstance(el, Tag) and el.name == name


def _content_sibling(el: Any, step: int) -> Any:
    """The nearest sibling that is a tag or non-blank text, or None."""
    node = el
    while True:
        node = node.previous_sibling if step < 0 else node.next_sibling
        if node is None or isinstance(node, Tag) or str(node).strip():
            return node
