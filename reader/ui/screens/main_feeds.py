"""The main screen's feeds: subscribing, unsubscribing, refreshing in the background, and
fetching full texts. Mixed into MainScreen (reader.ui.screens.main), whose panes, library and
`save` (every write, failures said in the status line) it uses."""

from __future__ import annotations

import time
from typing import Any

from textual import work

from reader.errors import LockedError, ReaderError
from reader.library import offline_reason
from reader.models import Article, Feed, FeedResult, View, in_folder
from reader.textutil import plural, shorten
from reader.ui import messages
from reader.ui.screens.notes import AskScreen, ConfirmScreen


class FeedActions:
    """Feeds, refresh and full text, for the main screen."""

    def on_fetch_full(self, _: messages.FetchFull | None = None) -> None:
        """Fetch the article's web page now and show its main text."""
        article = self._target_article()
        if article is None:
            self.status.set(message="choose an article first")
            return
        if self.library.offline:
            self.status.set(message="offline: the full article cannot be fetched now")
            return
        self._fetch_full(article)

    @work(group="fulltext-one")
    async def _fetch_full(self, article: Article) -> None:
        self.status.set(message=f"fetching the full article: {shorten(article.title, 50)}")
        try:
            results = await self.library.fetch_full([article], force=True)
        except Exception as exc:  # noqa: BLE001 - say it, keep the feed text
            self.status.set(message=f"full text failed: {exc}")
            return
        result = results[0]
        if result.status == "ok":
            self.prefer.pop(article.id, None)
            self.status.set(message="showing the full article (t: the feed's text)")
        elif result.status == "offline":
            self.library.network_down = True
            self.status.set(offline=True, message=f"full text not fetched: {result.error}")
        else:
            self.status.set(message=f"full text failed: {result.error}; the feed's text stays")
        if self.reading is not None and self.reading.id == article.id:
            self._convert(article, keep_place=result.status != "ok")

    def on_toggle_text(self, _: messages.ToggleText | None = None) -> None:
        """Switch the article view between the fetched full text and the feed's text."""
        article = self.reading
        if article is None:
            self.status.set(message="open an article first")
            return
        if not (self.library.full_text(article) or {}).get("html"):
            self.status.set(message="no full text yet: f fetches the article's page")
            return
        now = self.prefer.get(article.id, "full")
        self.prefer[article.id] = "feed" if now == "full" else "full"
        self.status.set(message="showing the feed's text" if now == "full"
                        else "showing the full article")
        self._convert(article)

    @work(exclusive=True, group="fulltext")
    async def _fetch_new_full_texts(self, new_ids: list[str]) -> None:
        """After a refresh: full text of new articles of full-text feeds, in the background."""
        targets = await self.library.read(self.library.full_text_targets, new_ids)
        if not targets or self.library.offline:
            return

        def progress(done: int, total: int, result: Any) -> None:
            self.status.set(progress=f"full text {done}/{total}" if done < total else "")
            if result.status == "ok" and self.reading is not None \
                    and self.reading.id == result.article_id \
                    and self.prefer.get(result.article_id) != "feed":
                self._convert(self.reading, keep_place=True)

        results = await self.library.fetch_full(targets, progress)
        self.status.set(progress="")
        failed = sum(r.status == "error" for r in results)
        fetched = sum(r.status == "ok" for r in results)
        if fetched or failed:  # pages that could not be reached at all say nothing here
            self.status.set(message=f"full text of {plural(fetched, 'new article')} fetched"
                            + (f", {failed} failed (f retries)" if failed else ""))

    def on_remove_feed(self, _: messages.RemoveFeed | None = None) -> None:
        """Unsubscribe from the highlighted feed, after asking; kept articles stay."""
        view = self.feed_list.current_view
        if view is None or view.kind != "feed":
            self.status.set(message="highlight a feed to unsubscribe from it")
            return
        feed = self.library.find_feed(view.value)
        kept = self.library.kept_ids()
        keeping = sum(1 for a in self.library.articles(feed.key) if a.id in kept)
        question = f"Unsubscribe from “{feed.title}”?"
        if keeping:
            question += f" Its {keeping} bookmarked or annotated articles are kept."

        async def answered(yes: bool | None) -> None:
            if not yes or await self.save("could not unsubscribe", self.library.remove_feed,
                                          feed.key):
                return
            if self.view.kind == "feed" and self.view.value == feed.key:
                self.open_view(View("all"), focus=False)
            self._reload_counts()
            self.status.set(message=f"unsubscribed from {feed.title}")

        self.app.push_screen(ConfirmScreen(question), answered)

    def on_add_feed(self, _: messages.AddFeed | None = None) -> None:
        """Subscribe to a feed (URL or local file), then fetch it in the background."""

        async def chosen(url: str | None) -> None:
            if not url:
                return
            added: list[Feed] = []
            if await self.save("not added", lambda: added.append(self.library.add_feed(url))):
                return  # e.g. already subscribed, a bad scheme
            feed = added[0]
            self._reload_counts()
            self.status.set(message=f"subscribed to {feed.url}; fetching it")
            if self.library.offline:
                self.status.set(message=f"subscribed to {feed.url} (offline: fetched later)")
            elif self.refreshing:
                self.status.set(message=f"subscribed to {feed.url}; the next refresh reads it")
            else:
                self._first_fetch(feed.key)

        self.app.push_screen(AskScreen("Subscribe to (feed URL or file):",
                                       placeholder="https://example.com/feed.xml"), chosen)

    @work(exclusive=True, group="refresh")
    async def _first_fetch(self, key: str) -> None:
        """Fetch a feed just added; when it fails (404, not a feed) say why and ask before
        keeping the subscription."""
        self.refreshing = True
        try:
            [result] = await self.library.refresh([key])
        except Exception as exc:  # noqa: BLE001 - say it; the subscription stays
            self.status.set(message=f"could not fetch the new feed: {exc}")
            return
        finally:
            self.refreshing = False
        self._after_refresh()
        feed = self.library.find_feed(key)
        if result.status != "error":
            self.status.set(message=f"subscribed to {feed.title}: "
                                    f"{plural(result.new, 'article')}")
            return
        self.status.set(message=f"{feed.url}: {result.error}")

        async def answered(keep: bool | None) -> None:
            if keep:
                self.status.set(message=f"kept {feed.url}; it failed: {result.error}")
                return
            if await self.save("could not unsubscribe", self.library.remove_feed, key):
                return
            self._reload_counts()
            self.status.set(message=f"not subscribed to {feed.url}")

        self.app.push_screen(ConfirmScreen(
            f"{shorten(feed.url, 60)}: {shorten(result.error, 120)}. "
            "Keep the subscription anyway?"), answered)

    def action_refresh_feed(self) -> None:
        view = self.feed_list.current_view if self.focused is self.feed_list else self.view
        if view is not None and view.kind == "feed":
            self.start_refresh([view.value])
        elif view is not None and view.kind == "tag":
            self.start_refresh([f.key for f in self.library.feeds()
                                if in_folder(f.tags, view.value)])
        elif self.reading is not None:
            self.start_refresh([self.reading.feed_key])
        else:
            self.start_refresh(None)

    def action_refresh_all(self) -> None:
        self.start_refresh(None)

    def start_schedule(self) -> None:
        """Refresh due feeds by themselves when a feed has an interval ([refresh] interval or
        a feed's own): a look every minute (or the shortest interval), and one at start."""
        tick = self.library.refresh_tick()
        if tick and not self.library.offline:
            self.set_interval(tick, self.refresh_due)
            self.call_after_refresh(self.refresh_due)

    def refresh_due(self) -> None:
        """The scheduled refresh: the feeds with an interval that are due (none while a
        refresh runs; `r` and `R` fetch at any time)."""
        if self.refreshing or self.library.offline:
            return
        due = self.library.due_feeds(scheduled_only=True)
        if due:
            self._refresh([f.key for f in due], scheduled=True)

    def start_refresh(self, keys: list[str] | None) -> None:
        """Refresh in the background (ignored offline or while a refresh runs)."""
        if self.library.offline:
            self.status.set(message="offline: not refreshing (started with --offline "
                                    "or offline = true in config.toml)")
            return
        if self.refreshing:
            self.status.set(message="a refresh is already running")
            return
        self._refresh(keys)

    @work(exclusive=True, group="refresh")
    async def _refresh(self, keys: list[str] | None, scheduled: bool = False) -> None:
        """`scheduled`: the app's own timer; then another reader's refresh under way (cron)
        is no news: its articles show as they come, and the next check tries again."""
        self.refreshing = True
        total = len(keys) if keys is not None else len(self.library.feeds())
        self.status.set(progress=f"refreshing 0/{total}")
        try:
            results = await self.library.refresh(keys, self._refresh_progress)
        except LockedError as exc:  # a cron `reader refresh`: its articles show as they come
            self.status.set(progress="", **({} if scheduled else {"message": str(exc)}))
            return
        except Exception as exc:  # noqa: BLE001
            self.status.set(progress="", message=f"refresh failed: {exc}")
            return
        finally:
            self.refreshing = False
        failed = [r for r in results if r.status == "error"]
        new = sum(r.new for r in results)
        if self.library.network_down:
            message = (f"no feed server answered ({offline_reason(results)}); "
                       "showing what is cached")
        else:
            message = (f"{plural(len(results), 'feed')} refreshed, "
                       f"{plural(new, 'new article')}")
        if failed:
            names = ", ".join(self._feed_title(r.feed_key) for r in failed[:3])
            message += f", {len(failed)} failed ({names}{'…' if len(failed) > 3 else ''})"
        waiting = sum(r.status == "waiting" for r in results)
        if waiting:
            message += f", {waiting} waiting (the server asked for a pause)"
        synced = {f.key for f in self.library.feeds() if f.account}
        if self.library.accounts() and (keys is None or synced.intersection(keys)):
            said = await self._sync_accounts()
            message = f"{message}; {said}" if results else said  # no feed fetched here
        self.status.set(progress="", message=message, offline=self.offline)
        self.report_problems()
        self._after_refresh()
        new_ids = [i for r in results for i in r.new_ids]
        if new_ids and not self.offline:
            self._fetch_new_full_texts(new_ids)

    async def _sync_accounts(self) -> str:
        """Sync every server account after the local refresh (R); what it did, one line."""
        self.refreshing = True
        total = len(self.library.accounts())
        self.status.set(progress=f"syncing 0/{total}")

        def progress(done: int, total: int, result: Any) -> None:
            self.post_message(messages.RefreshProgress(done, total, "syncing"))

        def items(account: str, done: int, total: int) -> None:
            self.post_message(messages.RefreshProgress(done, total,
                                                       f"syncing {account}: articles"))

        try:
            results = await self.library.sync(None, progress, on_items=items)
        except Exception as exc:  # noqa: BLE001 - said in the status line
            return f"sync failed: {exc}"
        finally:
            self.refreshing = False
        new_ids = [i for r in results for i in r.new_ids]
        if new_ids and not self.offline:
            self._fetch_new_full_texts(new_ids)
        parts = []
        for r in results:
            if r.status == "ok":
                parts.append(f"{r.account} synced ({plural(r.new, 'new article')})")
            else:
                parts.append(f"{r.account}: {r.error.removeprefix(r.account + ': ')}")
        self._after_refresh()
        return "; ".join(parts)

    def failed_syncs(self) -> str:
        """At start: the accounts whose last sync failed, and why ("" when none did)."""
        return "; ".join(
            f"{account.name}: the last sync failed: "
            f"{state.last_error.removeprefix(account.name + ': ')} (R syncs again)"
            for account, state, _ in self.library.account_status() if state.last_error)

    def account_line(self, feed: Feed) -> str:
        """A server feed's account: when it last synced, and why the last sync failed."""
        for account, state, waiting in self.library.account_status():
            if account.name == feed.account:
                line = f"{feed.title}: from {account.name}, last synced " + (
                    time.strftime("%Y-%m-%d %H:%M", time.localtime(state.last_sync))
                    if state.last_sync else "never")
                if state.last_error:
                    line += f"; the last sync failed: {state.last_error}"
                if waiting:
                    line += f"; {plural(waiting, 'change')} waiting to be sent"
                return line
        return f"{feed.title}: from {feed.account}"

    @work(exclusive=True, group="catch-up")
    async def watch_elsewhere(self) -> None:
        """Every few seconds: when another reader wrote (a cron `reader refresh`, `reader
        read` in a shell, a second app), read it again and list again, keeping the place."""
        if self.refreshing:
            return  # our own refresh lists again when it ends
        try:
            changed = await self.library.catch_up()  # one small read when nothing changed
        except ReaderError:
            return  # the other reader still holds the lock: the next look catches up
        if changed:
            self.report_problems()
            self._after_refresh()

    def _feed_title(self, key: str) -> str:
        return next((f.title for f in self.library.feeds() if f.key == key), key)

    def _refresh_progress(self, done: int, total: int, result: FeedResult) -> None:
        self.post_message(messages.RefreshProgress(done, total))
        if result.status == "new" or result.status == "error":
            self._after_refresh()

    def on_refresh_progress(self, message: messages.RefreshProgress) -> None:
        if self.refreshing:
            self.status.set(progress=f"{message.verb} {message.done}/{message.total}")

    def _after_refresh(self) -> None:
        """The counts and the list read again, in a thread, and shown together (the counts
        once changed a moment before the list)."""
        keep = self.article_list.current.id if self.article_list.current else None
        self._load_view(self.view, keep, True)
