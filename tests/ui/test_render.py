"""The article renderer: the converter's Markdown to literal, wrapped terminal lines."""

from __future__ import annotations

from rich.cells import cell_len

from reader.content.convert import convert
from reader.ui.render import blocks, inline, layout


def lines(markdown: str, width: int = 60) -> list[str]:
    return [line.plain for line in layout(blocks(markdown), width)]


def test_structure_is_kept_readable() -> None:
    md = ("# Title\n\nText with **bold**, *em*, `code` and a [link][1].\n\n"
          "> A quoted line\n\n- one\n- two\n  1. nested\n\n```python\nx = 1\n```\n\n"
          "| a | b |\n|---|---|\n| 1 | 2 |\n\n[1]: https://example.com/a\n")
    out = lines(md)
    assert out[0] == "Title"
    assert "Text with bold, em, code and a link[1]." in out
    assert "▌ A quoted line" in out
    assert "• one" in out and "  1. nested" in out
    assert "  x = 1" in out and "  python" in out
    assert "| a | b |" in out
    assert out[-2:] == ["Links", "[1] https://example.com/a"]


def test_markup_like_text_stays_literal() -> None:
    text = inline("[@click=app.quit]x[/] and [bold]b[/bold] \\*not em\\*")
    assert text.plain == "[@click=app.quit]x[/] and [bold]b[/bold] *not em*"
    assert not any(span.style and "@click" in str(span.style) for span in text.spans)


def test_br_from_the_converter_is_a_line_break() -> None:
    md = convert("<p>line one<br>line two &amp; more<br>a \\ backslash</p>").markdown
    assert lines(md) == ["line one", "line two & more", "a \\ backslash"]


def test_wrapping_respects_the_width_and_wide_characters() -> None:
    md = "東京 " * 40 + "\n\n" + "word " * 40
    for line in lines(md, 30):
        assert cell_len(line) <= 30
    assert len(lines(md, 30)) > 5


def test_images_show_their_alt_text_and_number() -> None:
    md = convert('<p><img src="/a.png" alt="A chart"></p>', base_url="https://x.example/").markdown
    out = lines(md)
    assert out[0] == "[image: A chart][1]" and out[-1] == "[1] https://x.example/a.png (image)"


def test_an_image_inside_a_link_shows_as_an_image_with_both_numbers() -> None:
    md = convert('<p><a href="/big.jpg"><img src="/small.jpg" alt="Mattis at NATO"></a></p>',
                 base_url="https://x.example/").markdown
    out = lines(md)
    assert out[0] == "[image: Mattis at NATO][2][1]", out
    assert "[1] https://x.example/big.jpg" in out
    assert "[2] https://x.example/small.jpg (image)" in out
