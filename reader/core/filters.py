"""Filters (a killfile): config.toml's [[filters]] rules, applied once to each NEW article of
a refresh, before it is stored: "hide" (listed only among the hidden, never deleted), "read"
(marked read) or "tag" (given a tag the query language's `tag` field finds).

Pure: handed the merge decision, the feed and the rules; returns what to mark read."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reader.core.merge import MergeDecision, article_id, doc_date
from reader.models import Feed, ParsedFeed
from reader.query import (
    LIST_FIELDS,
    TEXT_FIELDS,
    And,
    Flag,
    Node,
    Not,
    Or,
    Predicate,
    Subject,
    parse,
)
from reader.storage.documents import ArticleDoc, BodyDoc

if TYPE_CHECKING:  # the parse workers import this module: not config.toml's reader too
    from reader.config import FilterRule

_WORD = re.compile(r"\w+")
_ESCAPED_ANGLE = re.compile(r"&(?:lt|gt|#0*6[02]|#x0*3[ce]);?", re.IGNORECASE)


class NewArticle:
    """A new article's document as a query sees it (reader.query.Subject)."""

    __slots__ = ("doc", "body", "tags", "title", "author", "link", "feed_title", "feed_url",
                 "categories", "date", "_markup", "_raw", "_decoded")

    read, bookmarked, notes = False, False, 0

    def __init__(self, doc: ArticleDoc, feed: Feed, body: BodyDoc | None) -> None:
        self.doc = doc
        self.body = body
        self.tags: list[str] = list(feed.tags) + list(doc.get("tags", []))
        # plain attributes, not properties: 20 rules read them for 10,000 articles
        self.title, self.author, self.link = doc["title"], doc["author"], doc["link"]
        self.feed_title, self.feed_url = feed.title, feed.url
        self.categories = doc.get("categories", [])
        self.date = doc_date(doc)
        self._markup = ""
        self._raw: str | None = None
        self._decoded: str | None = None

    def has_text(self, words: str) -> bool:
        """Every word starts a word of its title, author or text, outside the markup's tags
        (the converter is not run for a refresh: the tags are skipped where a word is found,
        not stripped from every text). Character references are decoded only for a word
        with a letter beyond ASCII (`caf&eacute;`): the others are found, or not, in the
        markup as it is."""
        if self._raw is None:
            body = self.body or {}
            self._markup = body.get("content_html") or body.get("summary_html") or ""
            self._raw = _folded("\n".join((self._plain(), self._markup)))
        return all(self._has_word(w) for w in _words_of(words))

    def _plain(self) -> str:
        """Title and author, whose < and > are text, not tags (a space parts words too)."""
        return f"{self.title}\n{self.author}".replace("<", " ").replace(">", " ")

    def _has_word(self, word: str) -> bool:
        if _starts_a_word(self._raw, word):
            return True
        if "&" not in self._markup or word.isascii():
            return False  # no reference spells it (a numeric one for a plain letter: never)
        if self._decoded is None:  # an escaped < or > is no tag: a space parts words too
            markup = html.unescape(_ESCAPED_ANGLE.sub(" ", self._markup))
            self._decoded = _folded("\n".join((self._plain(), markup)))
        return _starts_a_word(self._decoded, word)


def _folded(text: str) -> str:
    """`text` folded for matching: lower() where it is ASCII (the same, and 3x faster)."""
    return text.lower() if text.isascii() else text.casefold()


@functools.lru_cache(maxsize=64)
def _words_of(words: str) -> tuple[str, ...]:
    """The words of a `text ~` value, folded, as reader.search.query_words makes them (not
    imported: the parse workers would load sqlite3 for it)."""
    return tuple(w.casefold() for w in _WORD.findall(words))


def _starts_a_word(text: str, word: str) -> bool:
    """`word` (folded) starts a word of `text` outside an HTML tag (and is no character
    reference's name: `&amp;`), as the search index's prefix match finds it."""
    at = text.find(word)
    while at != -1:
        before = text[at - 1] if at else " "
        if not (before.isalnum() or before in "_&#") and \
                text.rfind("<", 0, at) <= text.rfind(">", 0, at):
            return True
        at = text.find(word, at + 1)
    return False


def names_of(feed: Feed) -> set[str]:
    """What a rule's `feed =` may say to name `feed`: its URL, key or title, any case."""
    return {feed.url.casefold(), feed.key.casefold(), feed.title.casefold()}


def rules_for(feed: Feed, rules: Sequence[FilterRule]) -> list[FilterRule]:
    """The rules that apply to `feed`: global ones and those naming it (URL, key or title)."""
    names = names_of(feed)
    return [r for r in rules if not r.feed or r.feed.casefold() in names]


@dataclass(frozen=True)
class FeedScreen:
    """Every filter rule and what a query needs to know of the feed, sent along with the
    feed's bytes to be parsed: the rules are tested there, in parallel worker processes,
    not on the one writer thread (issue 17: 20 rules within 10 % of none)."""

    queries: tuple[str, ...]
    """Each rule's query as written (a few bytes to send; parsed once per worker)."""
    custom_title: str
    url: str
    tags: tuple[str, ...]
    now: float
    feed_key: str = ""
    known: frozenset[str] = frozenset()
    """Ids of the articles the cache holds already: no rule is tested on them."""

    def mark(self, parsed: ParsedFeed) -> None:
        """Set each entry's `rule_hits`: the indexes of the rules matching it."""
        feed = Feed(key="", url=self.url, custom_title=self.custom_title,
                    feed_title=parsed.title, tags=list(self.tags))
        hits = rule_hits(self.queries, int(self.now) // 60 * 60)
        for entry in parsed.entries:
            if self.known and article_id(self.feed_key, entry.guid) in self.known:
                continue
            doc: Any = {"title": entry.title, "author": entry.author, "link": entry.link,
                        "published": entry.published, "updated": entry.updated,
                        "fetched_at": self.now, "categories": list(entry.tags)}
            body: Any = {"content_html": entry.content_html, "summary_html": entry.summary_html}
            subject = NewArticle(doc, feed, body)
            entry.rule_hits = hits(subject)


@functools.lru_cache(maxsize=4)
def rule_hits(queries: tuple[str, ...], now: int) -> Callable[[Subject], list[int]]:
    """One function telling which of the `queries` a subject matches, made once per worker
    and minute (ages count from `now`). It is Python source compiled from the parsed
    queries, every value written as a literal (repr), so that each field is folded once per
    article rather than once per rule (20 rules on 10,000 articles: issue 17's bench)."""
    used: set[str] = set()
    tests = [_source(parse(q).tree, float(now), used) for q in queries]
    lines = ["def hits(s):"]
    lines += [f"    {name} = {_FOLDS[name]}" for name in sorted(used)]
    lines += ["    out = []"]
    lines += [f"    if {test}:\n        out.append({i})" for i, test in enumerate(tests)]
    lines += ["    return out"]
    namespace: dict[str, Any] = {"__builtins__": {"any": any}}
    exec(compile("\n".join(lines), "<filter rules>", "exec"), namespace)  # noqa: S102
    return namespace["hits"]  # type: ignore[no-any-return]


_FOLDS = {"title": "(s.title or '').casefold()", "author": "(s.author or '').casefold()",
          "link": "(s.link or '').casefold()", "feed_title": "(s.feed_title or '').casefold()",
          "feed_url": "(s.feed_url or '').casefold()",
          "tags": "[(t or '').casefold() for t in s.tags]",
          "categories": "[(t or '').casefold() for t in s.categories]"}
"""The folded fields a rule set reads, made once per article."""


def _source(node: Node, now: float, used: set[str]) -> str:
    """A query's tree as a Python expression over `s` and the folded fields (`used`)."""
    if isinstance(node, And | Or):
        joiner = " and " if isinstance(node, And) else " or "
        return "(" + joiner.join(_source(p, now, used) for p in node.parts) + ")"
    if isinstance(node, Not):
        return f"(not {_source(node.part, now, used)})"
    if isinstance(node, Flag):
        test = {"unread": "(not s.read)", "read": "s.read", "bookmarked": "s.bookmarked",
                "annotated": "(s.notes > 0)"}[node.field]
        return f"(not {test})" if node.negated else test
    negate = node.op in ("!=", "!~")
    if node.field == "text":
        test = f"s.has_text({str(node.value)!r})"
    elif node.field in TEXT_FIELDS or node.field in LIST_FIELDS:
        wanted = str(node.value).casefold()
        name = TEXT_FIELDS.get(node.field) or LIST_FIELDS[node.field]
        used.add(name)
        one = (f"{wanted!r} in {{v}}" if node.op in ("~", "!~") else
               f"({{v}} == {wanted!r} or {{v}}.startswith({wanted + '/'!r}))"
               if node.field == "tag" else f"{{v}} == {wanted!r}")
        test = one.format(v=name) if node.field in TEXT_FIELDS else \
            f"any({one.format(v='v')} for v in {name})"
    elif node.field == "age":
        return f"({now!r} - (s.date or 0.0) {node.op} {float(node.value)!r})"  # type: ignore
    else:
        start, end = node.value  # type: ignore[misc]
        return {"=": f"({start!r} <= s.date < {end!r})",
                "!=": f"(not {start!r} <= s.date < {end!r})",
                "<": f"(s.date < {start!r})", "<=": f"(s.date < {end!r})",
                ">": f"(s.date >= {end!r})", ">=": f"(s.date >= {start!r})"}[node.op]
    return f"(not {test})" if negate else f"({test})"


def apply_filters(feed: Feed, decision: MergeDecision, rules: Sequence[FilterRule],
                  now: float) -> set[str]:
    """Apply `rules` to the decision's new articles: hidden and tagged ones are changed in
    `decision.docs` (hidden ones leave `decision.new_ids`: they are not news, nor fetched in
    full); returns the ids to mark read. Where the feed was parsed with a FeedScreen of these
    rules, its findings (`decision.rule_hits`) are used; else the rules are tested here."""
    mine = rules_for(feed, rules)
    if not mine or not decision.new_ids:
        return set()
    allowed = [r in mine for r in rules]
    tests: list[Predicate] | None = None
    new = set(decision.new_ids)
    hidden: set[str] = set()
    read: set[str] = set()
    for doc in decision.docs:
        if doc["id"] not in new:
            continue
        subject = NewArticle(doc, feed, decision.changed_bodies.get(doc["id"]))
        hits = decision.rule_hits.get(doc["id"])
        if hits is None:
            if tests is None:
                tests = [r.query.matcher(now) for r in rules]
            hits = [i for i, test in enumerate(tests) if allowed[i] and test(subject)]
        for index in hits:
            rule = rules[index]
            if not allowed[index]:
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
