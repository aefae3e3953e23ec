"""Where pictures stand among the rendered blocks (reader.ui.pictures), and their sizes."""

from __future__ import annotations

from PIL import Image

from reader.ui.pictures import PictureLine, picture_lines, picture_size, with_pictures
from reader.ui.render import blocks, layout

MARKDOWN = """Before the picture.

![A photo\\] of \\[the\\] river][1]

*The caption.*

Text with ![an inline one][2] inside, and a link [here][3].

![not fetched][4]
"""


def test_pictures_stand_before_their_alt_text_or_after_their_paragraph() -> None:
    parts = with_pictures(blocks(MARKDOWN), {1, 2})
    order = [("picture", b.picture) if b.picture else ("text", b.text.plain) for b in parts
             if b.picture or b.text.plain]
    assert order == [("text", "Before the picture."), ("picture", 1),
                     ("text", "[image: A photo] of [the] river][1]"),
                     ("text", "The caption."),
                     ("text", "Text with [image: an inline one][2] inside, and a link here[3]."),
                     ("picture", 2), ("text", "[image: not fetched][4]")]


def test_sizes_keep_proportions_and_fit_the_pane() -> None:
    assert picture_size(1024, 683, 80, 30) == (80, 27)  # wide photo: the pane's width
    assert picture_size(300, 200, 80, 30) == (38, 13)  # small: one cell per 8 pixels
    assert picture_size(400, 4000, 80, 20) == (4, 20)  # tall: the height caps it
    image = Image.new("RGB", (160, 80), (255, 0, 0))
    lines = picture_lines(image, 7, 80, 30)
    assert len(lines) == 5 and all(isinstance(line, PictureLine) for line in lines)
    assert lines[0].plain == "" and lines[0].strip.cell_length == 20
    laid = layout(with_pictures(blocks("![red][7]"), {7}), 80,
                  lambda number, width: picture_lines(image, number, width, 30))
    assert [type(line).__name__ for line in laid] == ["PictureLine"] * 5 + ["Text"]
