"""The merge decision of a refresh: what a parsed feed inserts, updates, keeps and drops.

Pure: no I/O, no clock, no settings object. It is handed the cached documents, the parsed
feed and the limits, and returns a `MergeDecision` that `Articles.apply_merge` stores (as
lemon24/reader's `_update.Decider` does for its pipeline).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from reader.models import ParsedFeed
from reader.storage.documents import ArticleDoc, BodyDoc

_BODY_FIELDS = ("content_html", "summary_html", "base_url")


def article_id(feed_key: str, guid: str) -> str:
    """Stable short id of an article: survives feed URL changes (the key does not change)."""
    return hashlib.sha1(f"{feed_key}\n{guid}".encode()).hexdigest()[:12]


def body_hash(content_html: str, summary_html: str) -> str:
    """Fingerprint of an article's bodies, to tell an updated article from an unchanged one."""
    return hashlib.sha1(f"{content_html}\x00{summary_html}".encode()).hexdigest()[:16]


def doc_date(doc: ArticleDoc) -> float:
    """The date an article sorts by: published, else updated, else when it was fetched."""
    return doc.get("published") or doc.get("updated") or doc.get("fetched_at") or 0.0


@dataclass(frozen=True)
class Limits:
    """How much of a feed the cache keeps (0: no limit). Kept articles are never dropped."""

    max_articles: int = 0
    max_age_days: float = 0.0


@dataclass
class MergeDecision:
    """What storing a parsed feed does to the cache."""

    new_ids: list[str] = field(default_factory=list)
    """Articles seen for the first time, in feed order."""
    updated: int = 0
    """Known articles whose title, link, author or bodies changed."""
    docs: list[ArticleDoc] = field(default_factory=list)
    """Every article the cache keeps for the feed, newest first."""
    changed_bodies: dict[str, BodyDoc] = field(default_factory=dict)
    """Bodies to write: new and changed articles (all of them when the bodies were lost)."""
    dropped: set[str] = field(default_factory=set)
    """Articles leaving the cache (past the limits); their bodies, read marks and full
    texts go with them."""
    rewrite_bodies: bool = False
    """The bodies file must be rewritten (something changed, or it was never written)."""
    rule_hits: dict[str, list[int]] = field(default_factory=dict)
    """New articles -> the filter rules that matched them where the feed was parsed."""


def decide(feed_key: str, parsed: ParsedFeed, existing: list[ArticleDoc], *, had_meta: bool,
           bodies_lost: bool, kept: set[str], limits: Limits, now: float) -> MergeDecision:
    """Merge `parsed` into the `existing` documents of a feed: new articles added, changed
    ones updated, ones that left the feed kept (marked `in_feed: False`) until the limits
    drop them, and `kept` (bookmarked or annotated) ones never dropped."""
    known = {d["id"]: d for d in existing}
    restore = bool(known) and bodies_lost
    decision = MergeDecision()
    merged: dict[str, ArticleDoc] = {}
    for entry in parsed.entries:
        aid = article_id(feed_key, entry.guid)
        if aid in merged:
            continue
        old = known.get(aid)
        files = [e.to_dict() for e in entry.enclosures]
        # enclosures count only where there are some: other articles keep their hash
        bhash = body_hash(entry.content_html, entry.summary_html +
                          (json.dumps(files, sort_keys=True) if files else ""))
        doc: ArticleDoc = {
            "id": aid, "guid": entry.guid, "title": entry.title, "link": entry.link,
            "author": entry.author, "published": entry.published, "updated": entry.updated,
            "fetched_at": old["fetched_at"] if old else now,
            "has_content": bool(entry.content_html.strip()), "body_hash": bhash,
            "in_feed": True,
        }
        if entry.tags:
            doc["categories"] = list(entry.tags)
        for kept_field in ("tags", "hidden"):  # what filter rules decided when it arrived
            if old is not None and kept_field in old:
                doc[kept_field] = old[kept_field]  # type: ignore[literal-required]
        if any(e.is_audio for e in entry.enclosures):
            doc["audio"] = True
        if old is None:
            decision.new_ids.append(aid)
            if entry.rule_hits is not None:
                decision.rule_hits[aid] = entry.rule_hits
        elif any(old.get(k) != doc[k] for k in ("title", "link", "author", "body_hash")):
            decision.updated += 1
        merged[aid] = doc
        if restore or old is None or old.get("body_hash") != bhash:
            decision.changed_bodies[aid] = {"id": aid, "content_html": entry.content_html,
                                            "summary_html": entry.summary_html,
                                            "base_url": entry.base_url}
            if files:
                decision.changed_bodies[aid]["enclosures"] = files
    for aid, old in known.items():
        if aid not in merged:
            merged[aid] = dict(old, in_feed=False)
    limited = apply_limits(merged, kept, limits, now)
    decision.dropped = set(known) - set(limited)
    decision.docs = sorted(limited.values(), key=doc_date, reverse=True)
    decision.rewrite_bodies = bool(decision.changed_bodies or decision.dropped
                                   or decision.new_ids or decision.updated or not had_meta)
    return decision


def apply_limits(merged: dict[str, ArticleDoc], kept: set[str], limits: Limits, now: float
                 ) -> dict[str, ArticleDoc]:
    """The documents cache clean-up keeps: old articles that left the feed are dropped past
    the limits, never kept (bookmarked or annotated) ones, never ones still in the feed (they
    would come back as new and unread)."""
    removable = sorted((d for d in merged.values() if not d["in_feed"] and d["id"] not in kept),
                       key=doc_date)
    drop: set[str] = set()
    if limits.max_age_days:
        cutoff = now - limits.max_age_days * 86400
        drop |= {d["id"] for d in removable if doc_date(d) < cutoff}
    if limits.max_articles and len(merged) - len(drop) > limits.max_articles:
        excess = len(merged) - len(drop) - limits.max_articles
        for d in removable:
            if excess <= 0:
                break
            if d["id"] not in drop:
                drop.add(d["id"])
                excess -= 1
    return {k: v for k, v in merged.items() if k not in drop}


def body_fields(body: BodyDoc) -> dict[str, Any]:
    """The feed's own bodies of an article and its enclosures (what a kept copy holds of
    them)."""
    return {k: body.get(k, "") for k in _BODY_FIELDS} | (
        {"enclosures": body["enclosures"]} if body.get("enclosures") else {})
