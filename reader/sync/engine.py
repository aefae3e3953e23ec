"""Syncing server accounts: send the journal, read the server's state, store it.

One sync of one account, in order:
  1. the journal's subscription changes are sent (subscription/edit);
  2. the unread and the starred ids are read, and the journal's read and star changes the
     server does not hold yet are sent (edit-tag in batches); each change the server
     accepted (or held already) leaves the journal;
  3. subscription/list and the ids of items published since the last sync (`ot`; a week on
     the first) are read: a no-change sync costs these and the two above, four requests;
  4. the contents of the items not here yet are read in batches;
  5. everything is stored in one step on the writer thread (see `apply`).
A failed request or a broken answer (network, HTTP error, truncated JSON, a continuation
loop) stores nothing: only the changes the server accepted before it leave the journal.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from reader.core.articles import Articles, OverArticles
from reader.core.marks import Marks
from reader.core.session import Session
from reader.core.subscriptions import Subscriptions
from reader.errors import SyncError
from reader.models import Feed

from .accounts import Account, AccountStore, SyncState, new_account
from .apply import Applied, Applier, Fetched
from .greader import READ, READING_LIST, STARRED, GReaderClient
from .items import folder_label
from .journal import ITEM_OPS, Journal, latest_item_changes

PasswordSource = Callable[[Account], "str | None"]
"""Gives an account's password when the server wants a new login (None: none to be had)."""

OT_MARGIN = 86400
"""`ot` reaches this far before the last sync: an item published late is still seen."""
MAX_UNUSABLE = 20000
"""Items remembered as asked for in vain (their feed is not in the list, or they are gone)."""
FIRST_SYNC_DAYS = 7
"""A first sync brings every unread and starred item, and the read ones of this many days."""


def env_password(account: Account) -> str | None:
    """The password from READER_PASSWORD (cron), never from the command line."""
    return os.environ.get("READER_PASSWORD") or None


@dataclass
class SyncResult:
    """What syncing one account did."""

    account: str
    status: str
    """"ok", "error", "offline" (nothing answered), or "waiting" (the server's Retry-After)."""
    error: str = ""
    """Why it failed or waits, one line naming the account ("" when it synced)."""
    new: int = 0
    """Articles it brought."""
    sent: int = 0
    """Local changes the server accepted."""
    feeds_added: int = 0
    """Server feeds that appeared here."""
    feeds_removed: int = 0
    """Feeds the server no longer lists (their bookmarked and annotated articles stay)."""
    read_changed: int = 0
    """Articles whose read state the server changed here."""
    stars_changed: int = 0
    """Bookmarks the server's stars added or removed here."""
    requests: int = 0
    """Requests sent to the server."""
    warnings: list[str] | None = None
    """Changes the server refused and that were dropped (a subscription it cannot read)."""
    new_ids: list[str] = field(default_factory=list)
    """The articles this sync added (a full-text feed's get their page fetched)."""


SyncProgress = Callable[[int, int, SyncResult], None]
"""Told (accounts done, accounts, the result of the last) after each account."""
ItemProgress = Callable[[str, int, int], None]
"""Told (account, articles read, articles to read) while a sync reads articles."""


def _signature(subscriptions: list[dict[str, Any]]) -> str:
    """What the subscription list is, in a few bytes (its stream ids)."""
    import hashlib

    ids = sorted(str(s.get("id")) for s in subscriptions)
    return hashlib.sha1("\n".join(ids).encode()).hexdigest()[:16]


class Syncer(OverArticles):
    """Accounts, their journals, and syncing them."""

    def __init__(self, session: Session, subscriptions: Subscriptions, articles: Articles,
                 marks: Marks) -> None:
        super().__init__(session, subscriptions, articles, marks)
        self.accounts = AccountStore(session.paths.data_dir, session.store.problems)
        self._applier = Applier(session, subscriptions, articles, marks)
        self._unfoldered: dict[str, str] = {}
        """Stream id -> the folder a sync just asked the server to take the feed out of."""
        marks.on_change = self.record

    # -- per-account files --------------------------------------------------------------------
    def journal(self, name: str) -> Journal:
        """An account's journal, read from disk at each use: another reader (a `reader
        read` beside the app) may have added to it."""
        return Journal(self.accounts.folder(name) / "journal.jsonl")

    def state(self, name: str) -> SyncState:
        """An account's sync state as on disk (another reader's sync may have changed it)."""
        return self.accounts.state(name)

    def _owner(self, feed_key: str) -> tuple[str, str] | None:
        """(account, stream id) of a server feed, also of one the server dropped since."""
        feed = self._subscriptions.feed_of(feed_key)
        if feed is not None:
            return (feed.account, feed.remote_id) if feed.account else None
        for account in self.accounts.load():
            stream = self.state(account.name).feeds.get(feed_key)
            if stream:
                return account.name, stream
        return None

    # -- the journal hook -----------------------------------------------------------------------
    def record(self, op: str, feed_key: str, article_ids: list[str]) -> None:
        """Journal a read/unread/star/unstar of server articles (Marks calls it before the
        change is made; a failure to record stops the change)."""
        owner = self._owner(feed_key)
        if owner is None:
            return
        wanted = set(article_ids)
        if op in ("read", "unread"):  # only what changes (mark-all-read of a big feed)
            have = self._session.store.read_ids(feed_key)
            wanted = wanted - have if op == "read" else wanted & have
            if not wanted:
                return
        items = [d["guid"] for d in self._articles.docs(feed_key) if d["id"] in wanted]
        found = {d["id"] for d in self._articles.docs(feed_key) if d["id"] in wanted}
        for aid in wanted - found:  # only a kept copy is left of it
            copy = self._marks.kept_copy(aid)
            guid = copy["article"].get("guid") if copy else ""
            if guid:
                items.append(guid)
        self.journal(owner[0]).append(op, items)

    def record_feed(self, feed: Feed, op: str, *, value: str = "", old: str = "") -> None:
        """Journal an unsubscribe or a folder change of a server feed."""
        self.journal(feed.account).append(op, [feed.remote_id], value, old)

    def subscribe(self, name: str, url: str, folder: str = "") -> None:
        """Journal a subscription to `url` on an account; the feed comes with the next sync."""
        self._session.need_lock()
        self.accounts.find(name)
        self.journal(name).append("subscribe", [f"feed/{url}"], folder)

    # -- accounts ------------------------------------------------------------------------------
    async def add_account(self, kind: str, url: str, user: str, password: str, name: str = ""
                          ) -> Account:
        """Check the login with the server, then keep the account and its token (never the
        password). A FreshRSS address given without `/api/greader.php` is tried with it."""
        self._session.need_writable()
        account = new_account(kind, url, user, name, self.accounts.load())
        token = ""
        async with self._http() as http:
            for base in self._candidates(account.url):
                client = GReaderClient(base, account.user, client=http, label=account.name,
                                      total_timeout=self._session.settings.feed_timeout)
                try:
                    token = await client.login(password)
                except SyncError as exc:
                    if not any(f"HTTP {c}" in str(exc) for c in (400, 404, 405)):
                        raise
                    if base != self._candidates(account.url)[-1]:
                        continue
                    said = str(exc).rsplit(": ", 1)[-1]
                    raise SyncError(f"{account.name}: no Google Reader API at {account.url} "
                                    f"({said}); FreshRSS: https://HOST/api/greader.php (with "
                                    "API access allowed), Miniflux: https://HOST (with the "
                                    "Google Reader API turned on in its settings)") from None
                account.url = base
                break
        with self._session.writing():
            account = new_account(kind, account.url, user, name, self.accounts.load())
            self.accounts.save_token(account.name, token)
            self.accounts.save([*self.accounts.load(), account])
        return account

    @staticmethod
    def _candidates(url: str) -> list[str]:
        if url.endswith("/api/greader.php"):
            return [url]
        return [url, url + "/api/greader.php"]

    async def login(self, name: str, password: str) -> None:
        """Sign in again (a changed password, a token the server forgot)."""
        self._session.need_writable()
        account = self.accounts.find(name)
        async with self._http() as http:
            client = GReaderClient(account.url, account.user, client=http, label=name,
                                   total_timeout=self._session.settings.feed_timeout)
            token = await client.login(password)
        with self._session.writing():
            self.accounts.find(name)  # not removed meanwhile
            self.accounts.save_token(name, token)

    def remove_account(self, name: str) -> tuple[list[Feed], int]:
        """Forget an account: its feeds leave (their bookmarked and annotated articles stay),
        its token, state and journal are deleted. Returns (feeds removed, changes that were
        still waiting to be sent)."""
        self._session.need_lock()
        self.accounts.find(name)
        waiting = len(self.journal(name).changes())
        feeds = [f for f in self._subscriptions.feeds() if f.account == name]
        if feeds:
            self._subscriptions.save([f for f in self._subscriptions.feeds()
                                      if f.account != name])
            for feed in feeds:
                self._articles.forget_feed(feed.key)
            self._subscriptions.save_status()
        self.accounts.save([a for a in self.accounts.load() if a.name != name])
        self.accounts.remove(name)
        return feeds, waiting

    # -- syncing -------------------------------------------------------------------------------
    def _http(self) -> Any:
        import httpx

        from reader.fetch import USER_AGENT

        s = self._session.settings
        timeout = httpx.Timeout(s.read_timeout, connect=s.connect_timeout)
        return httpx.AsyncClient(timeout=timeout, transport=self._session.transport,
                                 follow_redirects=False,
                                 headers={"User-Agent": USER_AGENT})

    async def sync(self, names: Iterable[str] | None = None,
                   on_progress: SyncProgress | None = None,
                   password: PasswordSource = env_password,
                   on_items: ItemProgress | None = None) -> list[SyncResult]:
        """Sync the given accounts (all by default), one after the other; one failing stops
        none of the others. Holds the refresh lock throughout, as a refresh does: a cron
        `reader sync` and the app's R never both talk to the server (LockedError)."""
        session = self._session
        session.need_writable()
        accounts = self.accounts.load()
        if names is not None:
            wanted = list(names)
            for name in wanted:
                self.accounts.find(name)
            accounts = [a for a in accounts if a.name in wanted]
        results: list[SyncResult] = []
        with session.refreshing():
            await session.catch_up_async()  # feeds and marks as another reader left them
            async with self._http() as http:
                for account in accounts:
                    result = await self._sync_one(account, http, password, on_items)
                    results.append(result)
                    if on_progress is not None:
                        on_progress(len(results), len(accounts), result)
        return results

    async def _sync_one(self, account: Account, http: Any, password: PasswordSource,
                        on_items: ItemProgress | None = None) -> SyncResult:
        name = account.name
        state = self.state(name)
        result = SyncResult(name, "ok", warnings=[])
        now = time.time()
        if self._session.offline:
            result.status, result.error = "offline", "offline"
            return result
        if state.retry_after > now:
            stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(state.retry_after))
            result.status = "waiting"
            result.error = f"not synced: the server asked to wait until {stamp}"
            return result
        token = self.accounts.token(name)
        client = GReaderClient(account.url, account.user, token=token, client=http,
                               password=lambda: password(account), label=name,
                               total_timeout=self._session.settings.feed_timeout)
        if on_items is not None:
            client.on_items = lambda done, total: on_items(name, done, total)
        try:
            if not client.token and not await client._relogin():
                raise SyncError(f"{name}: not signed in; sign in with: reader account login "
                                f"{name}", auth=True)
            fetched = await self._fetch(client, name, state, now, result)
            applied: Applied = await self._session.write(self._store, account, fetched)
        except SyncError as exc:
            result.status = "offline" if exc.offline else "error"
            result.error = str(exc)
            await self._session.write(self._save_failure, name, exc, now)
            return result
        finally:
            result.requests = client.requests
            if client.token and client.token != token:
                await self._session.write(self.accounts.save_token, name, client.token)
        result.new, result.new_ids = len(applied.new_ids), applied.new_ids
        result.feeds_added, result.feeds_removed = len(applied.feeds_added), len(
            applied.feeds_removed)
        result.read_changed, result.stars_changed = applied.read_changed, applied.stars_changed
        return result

    def _save_failure(self, name: str, exc: SyncError, now: float) -> None:
        """Writer thread: a failed sync in the account's state, and its error on the
        account's feeds (not when nothing answered: offline, as for a refresh, records no
        failure)."""
        if not any(a.name == name for a in self.accounts.load()):
            return  # removed meanwhile
        state = self.state(name)
        state.last_attempt, state.last_error = now, str(exc)
        state.retry_after = exc.retry_after
        self.accounts.save_state(name, state)
        feeds = [f for f in self._subscriptions.feeds() if f.account == name]
        if feeds and not exc.offline:
            self._applier.record_feeds(feeds, str(exc))

    async def _fetch(self, client: GReaderClient, name: str, state: SyncState, now: float,
                     result: SyncResult) -> Fetched:
        """Send the journal and read the server's state (nothing is stored here but the
        journal's accepted changes leaving it)."""
        result.sent = await self._send_journal(client, name, result, feeds=True)
        unread = set(await client.item_ids(READING_LIST, exclude=READ))
        starred = set(await client.item_ids(STARRED))
        result.sent += await self._send_journal(client, name, result, unread=unread,
                                                starred=starred)
        subs = await client.subscriptions()
        self._said_folder_stays(subs, result)
        since = state.last_sync - OT_MARGIN if state.last_sync else \
            now - FIRST_SYNC_DAYS * 86400
        recent = await client.item_ids(READING_LIST, since=since)
        known = await self._session.read(self._known_items, name)
        if state.unusable_for == _signature(subs):  # asked for in vain last time
            known |= set(state.unusable)
        wanted = [i for i in dict.fromkeys([*unread, *starred, *recent]) if i not in known]
        items = await client.contents(wanted) if wanted else []
        left = set(state.starred) - starred  # unstarred elsewhere, or purged by the server
        vanished = left - {str(i.get("id")) for i in await client.contents(sorted(left))} \
            if left else set()
        return Fetched(subs, unread, starred, items, now, wanted, vanished)

    def _said_folder_stays(self, subs: list[dict[str, Any]], result: SyncResult) -> None:
        """A feed taken out of its folder here that the server keeps there (Miniflux keeps
        every feed in a category; editSubscriptionHandler moves only to an `a=` label): say
        so, rather than let the folder come back unexplained."""
        moved, self._unfoldered = self._unfoldered, {}
        for doc in subs:
            old = moved.get(str(doc.get("id")))
            labels = [c.get("label") for c in doc.get("categories") or []
                      if isinstance(c, dict)]
            if old and old in labels:
                assert result.warnings is not None
                result.warnings.append(f"{doc.get('id')}: the server keeps every feed in a "
                                       f"folder; it stays in {old}")

    def _known_items(self, name: str) -> set[str]:
        return {d["guid"] for f in self._subscriptions.feeds() if f.account == name
                for d in self._articles.docs_once(f.key)}

    def _store(self, account: Account, fetched: Fetched) -> Applied:
        """Writer thread: store the answers, then the state saying the sync succeeded."""
        if not any(a.name == account.name for a in self.accounts.load()):
            return Applied()  # another reader removed the account meanwhile
        state = self.state(account.name)
        applied = self._applier.apply(account, state, self.journal(account.name), fetched)
        signature = _signature(fetched.subscriptions)
        still = set(state.unusable) & (fetched.unread | fetched.starred) \
            if state.unusable_for == signature else set()
        state.unusable = sorted(still | applied.unusable)[:MAX_UNUSABLE]
        state.unusable_for = signature
        state.starred = sorted(fetched.starred)
        state.last_sync = state.last_attempt = fetched.started
        state.last_error, state.retry_after = "", 0.0
        self.accounts.save_state(account.name, state)
        return applied

    async def _send_journal(self, client: GReaderClient, name: str, result: SyncResult,
                            *, feeds: bool = False, unread: set[str] | None = None,
                            starred: set[str] | None = None) -> int:
        """Send the waiting changes: the subscription changes (`feeds`), else the read and
        star changes, only those the server's state (`unread`, `starred`: updated here)
        does not hold already: Miniflux's editTagHandler turns `a=read` on a read entry into
        unread, and `a=starred` on a starred one into unstarred. The accepted changes leave
        the journal (also when a later one fails). A subscription change the server refuses
        (HTTP 4xx) is dropped with a warning: sending it again would never succeed."""
        journal = self.journal(name)
        changes = list(journal.changes())
        accepted: list[int] = []
        try:
            if feeds:
                for change in (c for c in changes if c.kind == "feed"):
                    try:
                        await self._send_feed_change(client, change)
                    except SyncError as exc:
                        if exc.offline or exc.auth or exc.retry_after or \
                                "HTTP 4" not in str(exc):
                            raise
                        assert result.warnings is not None
                        result.warnings.append(f"{change.op} {change.target}: {exc}")
                    else:
                        if change.op == "folder" and not change.value:
                            self._unfoldered[change.target] = change.old
                    accepted.append(change.seq)
                return len(accepted)
            assert unread is not None and starred is not None
            latest = latest_item_changes(changes)
            groups: dict[str, list[str]] = {"read": [], "unread": [], "star": [],
                                            "unstar": []}
            for change in latest.values():
                holds = {"read": change.target not in unread,
                         "unread": change.target in unread,
                         "star": change.target in starred,
                         "unstar": change.target not in starred}[change.op]
                if not holds:
                    groups[change.op].append(change.target)
            for op, items in groups.items():
                side, kind = ITEM_OPS[op]
                if items:
                    stream = READ if kind == "read" else STARRED
                    await client.edit_tag(items, **({"add": stream} if side == "a"
                                                    else {"remove": stream}))
                    target = unread if kind == "read" else starred
                    if op in ("unread", "star"):
                        target.update(items)
                    else:
                        target.difference_update(items)
                done = {c.target for c in latest.values() if c.op == op}
                accepted.extend(c.seq for c in changes if c.kind == kind and c.target in done)
        finally:
            if accepted:
                await self._session.write(journal.drop, accepted)
        return len([c for c in changes if c.seq in set(accepted)])

    async def _send_feed_change(self, client: GReaderClient, change: Any) -> None:
        if change.op == "subscribe":
            await client.edit_subscription("subscribe", change.target,
                                           add=folder_label(change.value))
        elif change.op == "unsubscribe":
            await client.edit_subscription("unsubscribe", change.target)
        else:
            await client.edit_subscription("edit", change.target,
                                           add=folder_label(change.value),
                                           remove="" if change.value else
                                           folder_label(change.old))

    def status(self) -> list[tuple[Account, SyncState, int]]:
        """Every account with its sync state and how many changes wait to be sent."""
        return [(a, self.state(a.name), len(self.journal(a.name).changes()))
                for a in self.accounts.load()]

