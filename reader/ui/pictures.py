"""Pictures in the article view: where they stand among the rendered blocks, and drawn as
half-blocks (`▀` with the upper pixel as foreground, the lower as background: two square-ish
pixels a cell, in every terminal and in tmux).

A picture goes where the text has it: before an image-only paragraph (whose `[image: alt][N]`
line then reads as its caption, and whose number still opens the image's link), or after a
paragraph that mentions it among other words. Drawn lines are `PictureLine`s: Text with no
characters (selection and search see nothing) carrying the strip to show."""

from __future__ import annotations

import re
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from reader.ui.render import Block

PIXELS_PER_CELL = 8
"""An image is drawn at most one cell per this many of its pixels across (a 300-pixel photo
takes about 38 columns; a 1024-pixel one the pane's width)."""
MIN_ROWS = 4
"""Rows a picture may be squeezed to when the pane is low."""

_IMAGE_MARK = re.compile(r"\[image: .*?\]\[(\d+)\]")
_IMAGE_ONLY = re.compile(r"^(\[image: .*?\]\[\d+\](\[\d+\])?\s*)+$")


class PictureLine(Text):
    """One screen line of a picture: no text, the strip of half-blocks to show."""

    strip: Strip
    number: int
    """The picture's link number."""


def with_pictures(parts: list[Block], numbers: set[int]) -> list[Block]:
    """`parts` with a picture block (`Block.picture`) where each of `numbers` stands."""
    if not numbers:
        return parts
    out: list[Block] = []
    for block in parts:
        plain = block.text.plain
        found = [int(n) for n in _IMAGE_MARK.findall(plain) if int(n) in numbers] \
            if "[image: " in plain else []
        if not found:
            out.append(block)
            continue
        pictures = [Block(Text(), Text(), Text(), wrap=False, picture=n) for n in found]
        if _IMAGE_ONLY.match(plain):
            out += pictures + [block]
        else:
            out += [block] + pictures
    return out


def picture_size(width_px: int, height_px: int, cols: int, max_rows: int) -> tuple[int, int]:
    """(columns, rows) to draw a picture in: at most `cols` wide and `max_rows` high, one cell
    per PIXELS_PER_CELL pixels across at most, its proportions kept (a half-block cell holds
    two square pixels)."""
    cols = max(1, min(cols, -(-width_px // PIXELS_PER_CELL)))
    rows = max(1, round(height_px * cols / width_px / 2))
    max_rows = max(max_rows, MIN_ROWS)
    if rows > max_rows:
        cols = max(1, round(cols * max_rows / rows))
        rows = max_rows
    return cols, rows


_STYLES: dict[tuple[tuple[int, ...], tuple[int, ...]], Style] = {}


def _style(top: tuple[int, ...], bottom: tuple[int, ...]) -> Style:
    style = _STYLES.get((top, bottom))
    if style is None:
        if len(_STYLES) > 65536:
            _STYLES.clear()
        style = _STYLES[(top, bottom)] = Style.parse(
            f"rgb({top[0]},{top[1]},{top[2]}) on rgb({bottom[0]},{bottom[1]},{bottom[2]})")
    return style


def halfblock_strips(image: Any, cols: int, rows: int) -> list[Strip]:
    """A PIL image drawn in `cols` x `rows` cells of half-blocks (transparency over black)."""
    from PIL import Image

    picture = image
    if picture.mode != "RGB":
        background = Image.new("RGB", picture.size, (0, 0, 0))
        if picture.mode in ("RGBA", "LA"):
            background.paste(picture.convert("RGBA"), mask=picture.convert("RGBA").split()[3])
            picture = background
        else:
            picture = picture.convert("RGB")
    small = picture.resize((cols, rows * 2), Image.Resampling.BILINEAR)
    raw = small.tobytes()
    pixels = list(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))
    strips = []
    for row in range(rows):
        top = pixels[row * 2 * cols:(row * 2 + 1) * cols]
        bottom = pixels[(row * 2 + 1) * cols:(row * 2 + 2) * cols]
        segments: list[Segment] = []
        run_style: Style | None = None
        run = 0
        for upper, lower in zip(top, bottom, strict=True):
            style = _style(upper, lower)
            if style is run_style:
                run += 1
                continue
            if run_style is not None:
                segments.append(Segment("▀" * run, run_style))
            run_style, run = style, 1
        if run_style is not None:
            segments.append(Segment("▀" * run, run_style))
        strips.append(Strip(segments, cols))
    return strips


def picture_lines(image: Any, number: int, width: int, max_rows: int) -> list[Text]:
    """The lines a picture takes in a pane `width` cells wide, at most `max_rows` high."""
    cols, rows = picture_size(image.width, image.height, width, max_rows)
    lines: list[Text] = []
    for strip in halfblock_strips(image, cols, rows):
        line = PictureLine()
        line.strip = strip
        line.number = number
        lines.append(line)
    return lines
