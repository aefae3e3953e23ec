"""Filters (a killfile): config.toml's [[filters]] rules, applied once to each NEW article of
a refresh, before it is stored: "hide" (listed only among the hidden, never deleted), "read"
(marked read) or "tag" (given a tag the query language's `tag` field finds).

Pure: handed the merge decision, the feed and the rules; returns what to mark read."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from reader.config import FilterRule
from reader.core.merge import MergeDecision, doc_date
from reader.models import Feed
from reader.query import Predicate
from reader.search import has_words, query_words
from reader.storage.documents import ArticleDoc, BodyDoc

_TAG = re.compile(r"<[^>]*>")


class NewArticle:
    """A new article's document as a query sees it (reader.query.Subject)."""

    __slots__ = ("doc", "feed", "body", "tags", "_text")

    read, bookmarked, notes = False, False, 0

    def __init__(self, doc: ArticleDoc, feed: Feed, body: BodyDoc | None) -> None:
        self.doc = doc
        self.feed = feed
        self.body = body
        self.tags: list[str] = list(feed.tags) + list(doc.get("tags", []))
        self._text: str | None = None

    title = property(lambda self: self.doc["title"])
    author = property(lambda self: self.doc["author"])
    link = property(lambda self: self.doc["link"])
    feed_title = property(lambda self: self.feed.title)
    feed_url = property(lambda self: self.feed.url)
    categories = property(lambda self: self.doc.get("categories", []))
    date = property(lambda self: doc_date(self.doc))

    def has_text(self, words: str) -> bool:
        """Every word starts a word of its title, author or text (tags stripped: the
        converter is not run for a refresh)."""
        if self._text is None:
            body = self.body or {}
            markup = body.get("content_html") or body.get("summary_html") or ""
            self._text = "\n".join((self.doc["title"], self.doc["author"],
                                    html.unescape(_TAG.sub(" ", markup))))
        return has_words(self._text, query_words(words))


def rules_for(feed: Feed, rules: Sequence[FilterRule]) -> list[FilterRule]:
    """The rules that apply to `feed`: global ones and those naming it (URL, key or title)."""
    names = {feed.url.casefold(), feed.key.casefold(), feed.title.casefold()}
    return [r for r in rules if not r.feed or r.feed.casefold() in names]


def apply_filters(feed: Feed, decision: MergeDecision, rules: Sequence[FilterRule],
                  now: float) -> set[str]:
    """Apply `rules` to the decision's new articles: hidden and tagged ones are changed in
    `decision.docs` (hidden ones leave `decision.new_ids`: they are not news, nor fetched in
    full); returns the ids to mark read."""
    mine = rules_for(feed, rules)
    if not mine or not decision.new_ids:
        return set()
    tests: list[tuple[FilterRule, Predicate]] = [(r, r.query.matcher(now)) for r in mine]
    new = set(decision.new_ids)
    hidden: set[str] = set()
    read: set[str] = set()
    for doc in decision.docs:
        if doc["id"] not in new:
            continue
        subject = NewArticle(doc, feed, decision.changed_bodies.get(doc["id"]))
        for rule, test in tests:
            if not test(subject):
                continue
            if rule.action == "hide":
                doc["hidden"] = True
                hidden.add(doc["id"])
            elif rule.action == "read":
                read.add(doc["id"])
            elif rule.tag not in subject.tags:
                doc["tags"] = [*doc.get("tags", []), rule.tag]
                subject.tags.append(rule.tag)
    if hidden:
        decision.new_ids = [i for i in decision.new_ids if i not in hidden]
    return read
