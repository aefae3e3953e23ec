"""Parsing article HTML with BeautifulSoup's html.parser builder, with bounded error
recovery (broken markup costs linear time, never a hang)."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

from bs4 import BeautifulSoup
from bs4.builder import ParserRejectedMarkup
from bs4.builder._htmlparser import BeautifulSoupHTMLParser, HTMLParserTreeBuilder

MAX_RECOVERIES = 8
"""Unterminated tags the parser may re-scan past before the rest is taken as text."""




_CLOSES_P = frozenset({
    "address", "article", "aside", "blockquote", "details", "dd", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hgroup", "hr", "li", "main", "menu", "nav", "ol", "p", "pre", "section", "table",
    "ul",
})
_P_SCOPE = frozenset({"button", "table", "td", "th", "caption", "html", "object", "template",
                      "applet", "marquee"})
# start tag -> (open tags it closes, tags that stop the search)
_IMPLIED_END = {
    "li": (frozenset({"li"}), frozenset({"ul", "ol", "menu", "table"})),
    "dt": (frozenset({"dt", "dd"}), frozenset({"dl", "table"})),
    "dd": (frozenset({"dt", "dd"}), frozenset({"dl", "table"})),
    "tr": (frozenset({"tr"}), frozenset({"table", "tbody", "thead", "tfoot"})),
    "td": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "th": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
}
_IMPLIED_SEARCH = 48
"""How far down the open-element stack implied end tags are looked for (keeps it linear)."""


_BAD_CHARREF = re.compile(r"&#(?![0-9]|[xX][0-9a-fA-F])")


class _Parser(BeautifulSoupHTMLParser):
    """html.parser with the implied end tags HTML needs most: <p>, <li>, <dt>/<dd>, <tr>, <td>."""

    @classmethod
    def _warn(cls, stacklevel: int = 5) -> None:
        """No "XML parsed as HTML" warning: feed content is HTML whatever it starts with."""

    def handle_starttag(self, name: str, attrs: Any, handle_empty_element: bool = True) -> None:
        if name in _CLOSES_P:
            self._close_open(frozenset({"p"}), _P_SCOPE)
        rule = _IMPLIED_END.get(name)
        if rule is not None:
            self._close_open(*rule)
        super().handle_starttag(name, attrs, handle_empty_element)

    def _close_open(self, names: frozenset[str], boundary: frozenset[str]) -> None:
        soup = self.soup
        stack = soup.tagStack
        for i in range(len(stack) - 1, max(0, len(stack) - _IMPLIED_SEARCH), -1):
            tag_name = stack[i].name
            if tag_name in names:
                soup.endData()  # pending text belongs to the element being closed
                soup._popToTag(tag_name)
                return
            if tag_name in boundary:
                return


class _BoundedTreeBuilder(HTMLParserTreeBuilder):
    """html.parser with bounded recovery from unterminated constructs.

    `HTMLParser.close()` recovers from an unterminated tag or comment by re-scanning from the
    next character, which is quadratic (`'<!--' * 50_000` took 32 s). Here the parser stops at
    the first unterminated construct; we let it re-scan past at most MAX_RECOVERIES of them and
    then take the rest as text. A construct with no '>' after it at all is a truncated tag and
    is dropped, as browsers do.
    """

    def feed(self, markup: Any, _parser_class: Any = _Parser) -> None:
        args, kwargs = self.parser_args
        parser = _parser_class(self.soup, *args, **kwargs)
        try:
            parser.feed(markup)
            for attempt in range(MAX_RECOVERIES + 1):
                rest = parser.rawdata
                if not rest or parser.cdata_elem or rest[0] not in "<&":
                    break
                parser.rawdata = ""
                if rest[0] == "<" and ">" not in rest:
                    break
                if attempt == MAX_RECOVERIES:
                    parser.feed(htmllib.escape(rest, quote=False))
                else:
                    parser.feed(("&lt;" if rest[0] == "<" else "&amp;") + rest[1:])
            parser.close()
        except AssertionError as exc:
            raise ParserRejectedMarkup(exc) from exc
        parser.already_closed_empty_element = []


def parse_html(text: str) -> BeautifulSoup:
    if "&#" in text:  # html.parser takes everything after a bad "&#" as text; escape those
        text = _BAD_CHARREF.sub("&amp;#", text)
    if "<" not in text:  # same tree; keeps bs4 from warning that the text "looks like a URL"
        text = f"<div>{text}</div>"
    return BeautifulSoup(text, builder=_BoundedTreeBuilder())
