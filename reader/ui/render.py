"""Markdown (as the converter writes it) to styled, wrapped terminal lines. Fast and literal.

Textual's Markdown widget mounts one widget per block (6.5 s for 100 KiB). This renders the
document to Rich `Text` lines once per width; the article view shows only the visible ones.
Text from the article is never interpreted as markup: styles are applied as spans.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

QUOTE_MARK = "▌ "
"""The bar drawn before every line of a quoted passage (block quotes, notes' quotes)."""


def passage_text(shown: str) -> str:
    """Text copied from the rendered article, as one clean passage: the quote bars the
    renderer drew are not part of it, lines are joined."""
    lines = [line.removeprefix(QUOTE_MARK).strip() for line in shown.splitlines()]
    return " ".join(line for line in lines if line)

HEADING = [Style(bold=True, underline=True), Style(bold=True), Style(bold=True, italic=True)]
QUOTE = Style(italic=True)
QUOTE_BAR = Style(dim=True)
QUOTE_MARK = "▌ "
"""What starts each line of a block quote (and of a passage a note quotes)."""
CODE = Style(dim=False, reverse=False, bgcolor="grey15")
LINK_TEXT = Style(underline=True)
LINK_NUMBER = Style(dim=True, bold=True)
DIM = Style(dim=True)
RULE = Style(dim=True)

_INLINE = re.compile(
    r"(?P<esc>\\[\\`*_{}\[\]()#+\-.!|>~<&])"
    r"|(?P<linked>\[!\[(?P<lalt>(?:\\.|[^\]\\])*)\]\[(?P<linum>\d+)\]\]\[(?P<lanum>\d+)\])"
    r"|(?P<image>!\[(?P<alt>(?:\\.|[^\]\\])*)\]\[(?P<inum>\d+)\])"
    r"|(?P<link>\[(?P<ltext>(?:\\.|[^\]\\])+)\]\[(?P<lnum>\d+)\])"
    r"|(?P<code>`(?P<ctext>[^`]+)`)"
    r"|(?P<strong>\*\*(?P<stext>(?:\\.|[^*\\])+?)\*\*)"
    r"|(?P<em>(?<![\w*])[*_](?P<etext>(?:\\.|[^*_\\])+?)[*_](?![\w*]))"
)
_LINK_DEF = re.compile(r"^\[(\d+)\]:\s+(\S+)")
_LIST = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+")
_UNESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<&])")


def inline(text: str, base: Style | None = None) -> Text:
    """One line of Markdown inline syntax to styled Text (links keep their [N])."""
    out = Text(style=base or "")
    pos = 0
    for match in _INLINE.finditer(text):
        if match.start() > pos:
            out.append(text[pos:match.start()])
        kind = match.lastgroup
        if match.group("esc"):
            out.append(match.group("esc")[1])
        elif match.group("linked"):  # an image that links somewhere (often the full size)
            alt = _UNESCAPE.sub(r"\1", match.group("lalt")) or "image"
            out.append(f"[image: {alt}]", DIM)
            out.append(f"[{match.group('linum')}]", LINK_NUMBER)
            out.append(f"[{match.group('lanum')}]", LINK_NUMBER)
        elif match.group("image"):
            alt = _UNESCAPE.sub(r"\1", match.group("alt")) or "image"
            out.append(f"[image: {alt}]", DIM)
            out.append(f"[{match.group('inum')}]", LINK_NUMBER)
        elif match.group("link"):
            out.append_text(inline(match.group("ltext"), LINK_TEXT))
            out.append(f"[{match.group('lnum')}]", LINK_NUMBER)
        elif match.group("code"):
            out.append(match.group("ctext"), CODE)
        elif match.group("strong"):
            out.append_text(inline(match.group("stext"), Style(bold=True)))
        elif match.group("em"):
            out.append_text(inline(match.group("etext"), Style(italic=True)))
        else:  # pragma: no cover - every alternative is named
            out.append(match.group(kind or 0))
        pos = match.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


@dataclass
class Block:
    """A paragraph-like unit: its styled text and how to indent its wrapped lines."""

    text: Text
    first_prefix: Text
    rest_prefix: Text
    wrap: bool = True
    paragraph: int = -1
    """Index of the source paragraph (for jumping to a quoted passage), -1 for none."""
    picture: int = 0
    """The link number of a picture drawn here (reader.ui.pictures), 0 for none."""


def blocks(markdown: str) -> list[Block]:
    """Split the converter's Markdown into renderable blocks."""
    out: list[Block] = []
    lines = markdown.split("\n")
    i = 0
    para: list[str] = []
    paragraph_no = 0
    links_started = False

    def flush() -> None:
        nonlocal paragraph_no
        if para:
            out.append(Block(inline(" ".join(s.strip() for s in para)), Text(), Text(),
                             paragraph=paragraph_no))
            paragraph_no += 1
            para.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```") or stripped.startswith("~~~"):
            flush()
            fence = stripped[:3]
            lang = stripped[3:].strip()
            i += 1
            code: list[str] = []
            while i < len(lines) and not lines[i].strip().startswith(fence):
                code.append(lines[i])
                i += 1
            if lang:
                out.append(Block(Text(lang, DIM), Text("  "), Text("  "), wrap=False))
            for code_line in code or [""]:
                out.append(Block(Text(code_line.expandtabs(4), CODE), Text("  "), Text("  "),
                                 wrap=False))
            out.append(_blank())
            i += 1
            continue
        if not stripped:
            flush()
            if out and out[-1].text.plain != "" and not links_started:
                out.append(_blank())
            i += 1
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if heading:
            flush()
            level = len(heading.group(1))
            style = HEADING[min(level, 3) - 1]
            out.append(Block(inline(heading.group(2).rstrip("#").strip(), style), Text(), Text()))
            i += 1
            continue
        if stripped.startswith(">"):
            flush()
            quote: list[str] = []
            while i < len(lines) and lines[i].strip().startswith(">"):
                quote.append(lines[i].strip()[1:].strip())
                i += 1
            for part in " \n".join(quote).split("\n \n") if quote else []:
                text = " ".join(p.strip() for p in part.split("\n") if p.strip())
                if text:
                    bar = Text(QUOTE_MARK, QUOTE_BAR)
                    out.append(Block(inline(text, QUOTE), bar, bar.copy(),
                                     paragraph=paragraph_no))
                    paragraph_no += 1
            continue
        if re.match(r"^([-*_])(\s*\1){2,}$", stripped):
            flush()
            out.append(Block(Text("─" * 40, RULE), Text(), Text(), wrap=False))
            i += 1
            continue
        if stripped.startswith("|"):
            flush()
            while i < len(lines) and lines[i].strip().startswith("|"):
                out.append(Block(inline(lines[i].strip()), Text(), Text(), wrap=False))
                i += 1
            continue
        link_def = _LINK_DEF.match(stripped)
        if link_def:
            flush()
            if not links_started:
                links_started = True
                if out and out[-1].text.plain:
                    out.append(_blank())
                out.append(Block(Text("Links", Style(bold=True)), Text(), Text()))
            number, url = link_def.groups()
            label = Text(f"[{number}] ", LINK_NUMBER)
            out.append(Block(Text(url + stripped[link_def.end():], LINK_TEXT), label,
                             Text(" " * cell_len(label.plain))))
            i += 1
            continue
        bullet = _LIST.match(line)
        if bullet:
            flush()
            indent = len(bullet.group(1).expandtabs(4))
            marker = bullet.group(2)
            marker = "•" if marker in "-*+" else marker
            body = [line[bullet.end():]]
            i += 1
            while (i < len(lines) and lines[i].strip() and not _LIST.match(lines[i])
                   and lines[i].startswith(" " * (indent + 2))):
                body.append(lines[i].strip())
                i += 1
            first = Text(" " * indent + marker + " ")
            out.append(Block(inline(" ".join(b.strip() for b in body)), first,
                             Text(" " * cell_len(first.plain)), paragraph=paragraph_no))
            paragraph_no += 1
            continue
        hard_break = line.endswith("  ") or (
            line.endswith("\\") and (len(line) - len(line.rstrip("\\"))) % 2 == 1)
        if hard_break:  # "  " or a lone trailing backslash (CommonMark): a <br>
            para.append(stripped[:-1] if stripped.endswith("\\") else stripped)
            out.append(Block(inline(" ".join(s.strip() for s in para)), Text(), Text()))
            para.clear()
            i += 1
            continue
        para.append(line)
        i += 1
    flush()
    while out and not out[-1].text.plain:
        out.pop()
    return out


def _blank() -> Block:
    return Block(Text(), Text(), Text(), wrap=False)


def layout(parts: list[Block], width: int,
           draw: Callable[[int, int], list[Text]] | None = None) -> list[Text]:
    """Wrap blocks to `width` cells; returns one Text per screen line. `draw(number, width)`
    gives the lines of a picture block (none while it is not there)."""
    width = max(width, 10)
    lines: list[Text] = []
    for block in parts:
        if block.picture:
            if draw is not None:
                lines.extend(draw(block.picture, width))
            continue
        if not block.wrap:
            line = block.first_prefix + block.text
            line.truncate(width, overflow="ellipsis")
            lines.append(line)
            continue
        room = max(width - cell_len(block.first_prefix.plain), 8)
        wrapped = _wrap(block.text, room)
        for n, piece in enumerate(wrapped):
            lines.append((block.first_prefix if n == 0 else block.rest_prefix) + piece)
    return lines


def _wrap(text: Text, width: int) -> list[Text]:
    """Greedy word wrap on cell widths (fast path for the common case)."""
    plain = text.plain
    if cell_len(plain) <= width:
        return [text]
    offsets: list[int] = []
    line_start = 0
    last_space = -1
    col = 0
    for index, char in enumerate(plain):
        if char == " ":
            last_space = index
        col += cell_len(char) if ord(char) > 0x2FF else 1
        if col > width:
            if last_space > line_start:
                offsets.append(last_space)
                line_start = last_space + 1
            else:
                offsets.append(index)
                line_start = index
            col = cell_len(plain[line_start:index + 1])
            last_space = -1
    pieces = text.divide(offsets)
    result = []
    for piece in pieces:
        if piece.plain.startswith(" "):
            piece = piece[1:]
        result.append(piece)
    return result
