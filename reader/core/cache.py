"""Cache hygiene: what the disposable cache holds per feed, and compacting it (the limits
applied now, files no subscription owns removed). User data is never touched."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from reader.core.articles import OverArticles
from reader.core.merge import apply_limits


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def tree_size(folder: Path) -> int:
    """Bytes of every file under `folder` (0 when it is missing)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        total += sum(_size(Path(root) / name) for name in files)
    return total


class CacheHygiene(OverArticles):
    """Measures and compacts the cache."""

    def info(self) -> dict[str, Any]:
        """Disk use of the disposable cache per feed, of files left by removed feeds, and of
        the user's own data: {"feeds": [{key, title, url, articles, full_texts, image_bytes,
        bytes}], "orphans": bytes, "cache": bytes, "images": bytes, "data": bytes}."""
        store = self._session.store
        cache = store.cache_dir
        feeds = []
        pictures = cache / "images"
        with_pictures = {p.name for p in pictures.iterdir()} if pictures.is_dir() else set()
        for feed in self._subscriptions.feeds():
            ids = self._articles.ids(feed.key)
            image_bytes = sum(tree_size(pictures / i) for i in ids if i in with_pictures)
            sizes = [_size(cache / "feeds" / f"{feed.key}.json"),
                     _size(cache / "bodies" / f"{feed.key}.json"),
                     tree_size(cache / "full" / feed.key), image_bytes]
            feeds.append({"key": feed.key, "title": feed.title, "url": feed.url,
                          "articles": len(ids),
                          "full_texts": len(store.full_ids(feed.key)),
                          "image_bytes": image_bytes,
                          "bytes": sum(sizes)})
        orphans = sum(_size(path) for path in self._orphan_files())
        return {"feeds": feeds, "orphans": orphans, "cache": tree_size(cache),
                "images": tree_size(pictures), "data": tree_size(store.data_dir)}

    def _orphan_files(self) -> list[Path]:
        """Cache files no subscription owns: feeds removed while a file was held elsewhere,
        full texts and pictures of articles that left the cache (pictures of bookmarked and
        annotated articles stay), temp files of an interrupted write."""
        cache = self._session.store.cache_dir
        keys = self._subscriptions.keys()
        out: list[Path] = []
        for sub in ("feeds", "bodies"):
            folder = cache / sub
            if folder.is_dir():
                out += [p for p in folder.iterdir() if p.is_file() and (
                    p.name.endswith(".tmp") or (p.suffix == ".json" and p.stem not in keys))]
        full = cache / "full"
        if full.is_dir():
            for folder in full.iterdir():
                if not folder.is_dir():
                    continue
                if folder.name not in keys:
                    out += [p for p in folder.iterdir() if p.is_file()]
                    continue
                ids = set(self._articles.ids(folder.name))
                out += [p for p in folder.iterdir() if p.is_file() and (
                    p.name.endswith(".tmp") or p.stem not in ids)]
        out += [p for p in cache.glob(".*.tmp") if p.is_file()]
        pictures = cache / "images"
        if pictures.is_dir():  # an article's pictures go with it, unless it is kept
            held = self._marks.kept_ids() | {i for k in keys for i in self._articles.ids(k)}
            for folder in pictures.iterdir():
                if folder.is_dir() and folder.name not in held:
                    out += [p for p in folder.iterdir() if p.is_file()]
        return out

    def cleanup(self) -> dict[str, int]:
        """Apply the cache limits now and compact the cache: drop articles past the limits
        (never bookmarked or annotated ones, never ones still in their feed), their bodies
        and full texts, and files no subscription owns. User data is not touched.
        Returns {"articles": removed, "files": removed, "before": bytes, "after": bytes}."""
        session = self._session
        session.need_lock()
        store = session.store
        before = tree_size(store.cache_dir)
        kept = self._marks.kept_ids()
        removed = 0
        now = time.time()
        for feed in self._subscriptions.feeds():
            docs = self._articles.docs(feed.key)
            if not docs:
                continue
            merged = {d["id"]: d for d in docs}
            limited = apply_limits(merged, kept, session.limits(feed), now)
            dropped = set(merged) - set(limited)
            stale = set(self._articles.bodies(feed.key)) - set(limited)
            if dropped or stale:
                self._articles.rewrite_bodies(feed.key, dropped | stale)
            if dropped:
                meta = store.load_feed_cache(feed.key)[0]
                self._articles.save_docs(feed.key, meta, [d for d in docs if d["id"] in limited],
                                         dropped)
                removed += len(dropped)
        orphans = self._orphan_files()
        for path in orphans:
            path.unlink(missing_ok=True)
        for top in (store.cache_dir / "full", store.cache_dir / "images"):
            if top.is_dir():
                for folder in top.iterdir():
                    if folder.is_dir() and not any(folder.iterdir()):
                        folder.rmdir()
        self._subscriptions.save_status()
        return {"articles": removed, "files": len(orphans), "before": before,
                "after": tree_size(store.cache_dir)}
