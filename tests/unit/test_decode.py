"""The one HTML input decoder, shared by the converter and the extractor."""

from __future__ import annotations

import pytest

from reader.content.convert import convert
from reader.content.decode import decode_html


@pytest.mark.parametrize("declaration", [
    b'<meta charset="utf-16">', b"<meta charset='UTF-16LE'>", b'<meta charset="utf-32">',
    b'<meta http-equiv="Content-Type" content="text/html; charset=utf-16">',
    b"<?xml version='1.0' encoding='utf-16'?>"])
def test_a_false_utf16_declaration_does_not_turn_the_article_into_cjk(declaration: bytes
                                                                      ) -> None:
    """Bytes without a byte order mark that say UTF-16 are ASCII-compatible text (browsers
    ignore such a declaration); decoding them as UTF-16 gave CJK garbage."""
    data = declaration + b"<p>Hello world, plain ASCII.</p>"
    assert "Hello world, plain ASCII." in decode_html(data)
    assert convert(data).markdown.strip() == "Hello world, plain ASCII."


@pytest.mark.parametrize("data,content_type,expected", [
    ("\ufeffbom wins".encode("utf-16-le"), "text/html; charset=iso-8859-1", "bom wins"),
    (b"\xef\xbb\xbf<meta charset='koi8-r'>caf\xc3\xa9", "", "café"),
    (b"<meta charset='windows-1251'>\xcf\xf0\xe8\xe2\xe5\xf2", "", "Привет"),
    (b"<p>\xcf\xf0\xe8\xe2\xe5\xf2</p>", "text/html; charset=windows-1251", "Привет"),
    (b"<meta charset='utf-8'>\xcf\xf0", "text/html; charset=windows-1251", "Пр"),  # header first
    (b"<meta charset='iso-8859-1'>caf\xc3\xa9", "", "café"),  # valid UTF-8 under a Latin-1 lie
    (b"<meta charset='iso-8859-1'>caf\xe9", "", "café"),
    (b"<meta charset='no-such-codec'>caf\xc3\xa9", "", "café"),
    (b"<p>\xff ok</p>", "", "\ufffd ok"),
])
def test_bom_then_header_then_declaration_then_utf8(data: bytes, content_type: str,
                                                   expected: str) -> None:
    assert expected in decode_html(data, content_type)
