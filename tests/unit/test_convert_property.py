"""Property tests: any HTML, however broken, converts without raising and without control
characters, and the link numbers always agree with the list."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.content.convert import Converted, convert

FENCED = re.compile(r"^ *(`{3,}).*?^ *\1$", re.MULTILINE | re.DOTALL)
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
TAGS = ["p", "div", "span", "a", "img", "b", "i", "em", "strong", "ul", "ol", "li", "table",
        "tr", "td", "th", "thead", "tbody", "pre", "code", "blockquote", "h1", "h2", "h6", "br",
        "hr", "script", "style", "noscript", "iframe", "video", "source", "form", "button",
        "nav", "figure", "figcaption", "dl", "dt", "dd", "sup", "sub", "q", "del", "svg",
        "picture", "x-custom", "base", "template", "caption"]
ATTRS = ["href", "src", "srcset", "data-src", "data-lazy-src", "class", "id", "style", "width",
         "height", "alt", "title", "hidden", "start", "colspan", "lang", "role"]
VALUES = ["javascript:alert(1)", "JaVa\tScRiPt:x", "data:text/html,x", "vbscript:x", "/rel",
          "rel/x", "#fn1", "fn1", "https://example.com/a b", "//cdn.example/x", "http://[::1",
          "sharedaddy", "display:none", "1", "0", "a.jpg 1x, b.jpg 2x", "", "language-python",
          "navigation", "x|y", "]]>", "<", "\x1b[31m", "\x00", "\u202e", "\ud7ff"]
TOKENS = list("ab c\n\t*_`#>-+=|[]()!\\&;<>/.1") + [
    "\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\xa0", "\u200b", "\r", "&amp;", "&#8217;",
    "&#0;", "&#x1b;", "&lt;", "[revad2]", "[sic]", "[caption]", "[/caption]", "[embed]", "<!--",
    "-->", "<![CDATA[", "&#", "1. ", "# ", "> ", "- "]
TEXT = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)


@st.composite
def element(draw, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    attrs = draw(st.lists(st.tuples(st.sampled_from(ATTRS), st.sampled_from(VALUES)),
                          max_size=3))
    attr_text = "".join(f' {k}="{v}"' for k, v in attrs)
    children = []
    if depth < 4:
        children = draw(st.lists(st.one_of(TEXT, element(depth + 1)), max_size=4))
    close = draw(st.sampled_from([f"</{tag}>", "", f"</{tag}", "</p>"]))
    return f"<{tag}{attr_text}>{''.join(children)}{close}"


DOCUMENTS = st.one_of(
    st.lists(st.one_of(TEXT, element()), max_size=6).map("".join),
    st.text(max_size=200),
    st.binary(max_size=200),
)


def check(result: Converted) -> None:
    assert isinstance(result, Converted)
    assert isinstance(result.markdown, str)
    assert not CONTROL.search(result.markdown)
    numbers = [link.number for link in result.links]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len({link.url for link in result.links}) == len(result.links)
    for link in result.links:
        assert not CONTROL.search(link.url + link.text)
        assert link.kind in ("link", "image", "embed")
        assert not link.url.lower().startswith(("javascript:", "data:", "vbscript:"))
        assert f"[{link.number}]: {link.url}" in result.markdown
    assert not re.search(r"[ \t]\n", result.markdown)
    outside_code = FENCED.sub("```", result.markdown)  # code keeps its own blank lines
    assert not re.search(r"\n\n\n", outside_code)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS, st.sampled_from(["", "https://www.almasdarnews.com/a/", "not a url",
                                   "http://[::1"]), st.booleans())
def test_random_html_never_raises_and_never_leaves_control_characters(
        html: str | bytes, base: str, summary_only: bool) -> None:
    result = convert(html, base_url=base, summary_only=summary_only)
    check(result)
    assert result.summary_only is summary_only
    assert convert(html, base_url=base, summary_only=summary_only) == result  # deterministic


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_text_survives_as_text(words: str) -> None:
    """Plain text in a paragraph never turns into markup: no new links, images or headings."""
    result = convert(f"<p>{words.replace('<', ' ').replace('&', ' ')}</p>")
    check(result)
    assert result.links == []
    assert not re.search(r"^(#{1,6} |> |[-+*] |\d+[.)] )", result.markdown, re.MULTILINE)
