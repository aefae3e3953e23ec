"""Feed discovery: a web page given where a feed was expected, and the feeds it links to.

A page announces its feeds with `<link rel="alternate" type="application/rss+xml" href=...>`
(also atom+xml and feed+json) in its head, as feed readers look for. Only http(s) links are
offered, resolved against the page's URL, at most MAX_LINKS, one clean line each; a page
from the internet offers none on this computer or the local network.
"""

from __future__ import annotations

import re
import urllib.parse
from html.parser import HTMLParser

from reader.fetch import is_private_url
from reader.textutil import one_line

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json",
              "application/rdf+xml")
MAX_LINKS = 5
SCAN_BYTES = 512 * 1024
"""Only the start of a page is read for its links (they live in the head)."""
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]",
                         re.IGNORECASE | re.DOTALL)


def looks_like_html(body: bytes, content_type: str) -> bool:
    """True when the response is an HTML page rather than a feed."""
    mime = content_type.split(";")[0].strip().lower()
    if mime in ("text/html", "application/xhtml+xml"):
        return True
    return bool(_HTML_START.match(body[:4096].lstrip(b"\xef\xbb\xbf")))


class _LinkFinder(HTMLParser):
    def __init__(self, base: str):
        super().__init__(convert_charrefs=True)
        self.base = base
        self.public = not is_private_url(base)
        """A page from the internet: its links into this computer or the local network are
        not offered (the fetch would refuse them; the user should not be sent there either)."""
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link" or len(self.links) >= MAX_LINKS:
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").split(";")[0].strip().lower()
        if "alternate" not in rels or kind not in FEED_TYPES:
            return
        href = one_line(values.get("href", ""))
        if not href:
            return
        try:
            url = urllib.parse.urljoin(self.base, href)
            scheme = urllib.parse.urlsplit(url).scheme.lower()
        except ValueError:
            return
        if scheme not in ("http", "https") or url in self.links or len(url) > 2000:
            return
        if self.public and is_private_url(url):
            return  # a page from the internet never points the reader (or its user) home
        self.links.append(url)


def feed_links(body: bytes, base_url: str) -> list[str]:
    """The feeds a web page links to (http/https, absolute), in page order."""
    text = body[:SCAN_BYTES].decode("utf-8", "replace")
    finder = _LinkFinder(base_url)
    try:
        finder.feed(text)
        finder.close()
    except (AssertionError, ValueError):  # HTMLParser on hostile input
        pass
    return finder.links


def not_a_feed(body: bytes, base_url: str) -> str:
    """The error for a web page fetched as a feed, offering the feeds it links to."""
    links = feed_links(body, base_url)
    if not links:
        return "this is a web page, not a feed (it links to no feed)"
    if len(links) == 1:
        return (f"this is a web page, not a feed; it links to the feed {links[0]}: "
                "subscribe to that instead")
    return ("this is a web page, not a feed; it links to the feeds " + ", ".join(links)
            + ": subscribe to one of those instead")
