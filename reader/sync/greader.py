"""A client of the Google Reader API as FreshRSS (`p/api/greader.php`) and Miniflux
(`internal/googlereader/`) serve it: ClientLogin, the write token, subscriptions, item ids
and item contents, edit-tag and subscription/edit.

Polite and strict: every answer is bounded in size and time, a 401 is retried once after a
fresh login (when a password is at hand), 429/503 `Retry-After` is honoured when short and
reported when long, continuation tokens are followed until they end or repeat, and an answer
that is not the JSON it should be fails the call (`SyncError`), so the caller stores nothing.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from reader.errors import SyncError
from reader.textutil import one_line

READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"
READING_LIST = "user/-/state/com.google/reading-list"
LABEL = "user/-/label/"

if TYPE_CHECKING:  # httpx costs 70 ms to import: only a sync needs it
    import httpx
ITEM_PREFIX = "tag:google.com,2005:reader/item/"

MAX_ANSWER_BYTES = 64 * 1024 * 1024
"""The largest answer read (10,000 items of contents stay far below)."""
MAX_WAIT_SECONDS = 30.0
"""A Retry-After up to this long is waited out; a longer one fails the sync, saying until when."""
MAX_RETRIES = 2
"""How many times a 429/503 is retried after waiting."""
MAX_PAGES = 500
"""Pages of one listing followed at most (500 pages of 10,000 ids: far past any account)."""
IDS_PER_PAGE = 10000
CONTENTS_BATCH = 250
"""Item ids asked per stream/items/contents request (a POST body of about 15 kB)."""
EDIT_BATCH = 250


def long_item_id(raw: str | int) -> str:
    """An item id in the long form both servers accept back: `tag:google.com,2005:reader/
    item/<16 hex>`. stream/items/ids answers decimal ids (FreshRSS streamContentsItemsIds,
    Miniflux handleReadingListStreamHandler: strconv.FormatInt(id, 10)); Miniflux's
    getItemIDs reads a short id as hex, so a decimal id must never be sent back as is.
    Another server's own kind of id (not a number, not 64 bits) is kept as it came: it is
    only ever sent back to that server. ValueError for an empty id, one with spaces or
    control characters, a decimal past 64 bits or one longer than 200 characters."""
    text = str(raw).strip()
    if text.isdecimal():
        value = int(text, 10)
    elif text.startswith(ITEM_PREFIX) and _HEX.fullmatch(text[len(ITEM_PREFIX):]) and \
            len(text) - len(ITEM_PREFIX) <= 16:
        value = int(text[len(ITEM_PREFIX):], 16)
    elif _OPAQUE.fullmatch(text):
        return text
    else:
        raise ValueError(f"not an item id: {text[:60]!r}")
    if value >= 1 << 64:
        raise ValueError(f"item id out of range: {text}")
    return f"{ITEM_PREFIX}{value:016x}"


_HEX = re.compile(r"[0-9a-fA-F]+")
_OPAQUE = re.compile(r"[\x21-\x7e]{1,200}")


def _retry_after(value: str | None, now: float) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); 60 when absent
    or unreadable."""
    if not value:
        return 60.0
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return 60.0
    return max(0.0, when - now)


class GReaderClient:
    """One account's conversation with its server."""

    def __init__(self, base_url: str, user: str, *, token: str = "",
                 password: Callable[[], str | None] | None = None,
                 client: httpx.AsyncClient | Any, label: str = "",
                 sleep: Callable[[float], Any] = asyncio.sleep,
                 total_timeout: float = 120.0) -> None:
        """`total_timeout`: seconds for one whole answer, however the server trickles it."""
        self.base_url = base_url.rstrip("/")
        self.user = user
        self.token = token
        """The auth token (ClientLogin's `Auth=`); saved by the caller when it changes."""
        self._password = password
        self._client = client
        self._label = label or self.base_url
        self._write_token = ""
        self._relogged = False
        self._sleep = sleep
        self._total_timeout = total_timeout or None
        self.requests = 0
        """Requests sent (the benchmark counts them)."""
        self.on_items: Callable[[int, int], Any] | None = None
        """Told (items read, items asked) after each batch of contents: progress."""

    # -- plumbing ---------------------------------------------------------------------------
    def _fail(self, reason: str, **kw: Any) -> SyncError:
        return SyncError(f"{self._label}: {one_line(reason)}", **kw)

    async def _send(self, method: str, path: str, *, params: Any = None, data: Any = None,
                    auth: bool = True) -> httpx.Response:
        """One request, with its bounded retries for 429/503 and its one re-login on 401."""
        import httpx

        url = self.base_url + path
        waited = 0
        while True:
            headers = {}
            content = None
            if data is not None:  # a list of pairs: `i` and `a` repeat
                content = urllib.parse.urlencode(data).encode("ascii")
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            if auth and self.token:
                headers["Authorization"] = f"GoogleLogin auth={self.token}"
            self.requests += 1
            try:
                response = await asyncio.wait_for(
                    self._receive(method, url, path, params, content, headers),
                    self._total_timeout)
            except (httpx.TimeoutException, asyncio.TimeoutError):
                raise self._fail(f"{path}: the server did not answer in time",
                                 offline=True) from None
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError,
                    httpx.WriteError, httpx.NetworkError) as exc:
                raise self._fail(f"cannot reach the server ({type(exc).__name__}: {exc})",
                                 offline=isinstance(exc, httpx.ConnectError)) from None
            except httpx.HTTPError as exc:
                raise self._fail(f"{path}: {type(exc).__name__}: {exc}") from None
            status = response.status_code
            if status in (429, 503):
                delay = _retry_after(response.headers.get("retry-after"), time.time())
                if waited < MAX_RETRIES and delay <= MAX_WAIT_SECONDS:
                    waited += 1
                    await self._sleep(delay)
                    continue
                until = time.time() + delay
                stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(until))
                raise self._fail(f"the server is busy (HTTP {status}); it asks to wait until "
                                 f"{stamp}", retry_after=until)
            if status == 401 and auth:
                if not self._relogged and await self._relogin():
                    self._relogged = True
                    if isinstance(data, list) and any(k == "T" for k, _ in data):
                        fresh = await self.write_token(fresh=True)
                        data = [(k, v) for k, v in data if k != "T"] + [("T", fresh)]
                    continue
                raise self._fail("the server refused the login (HTTP 401); sign in again "
                                 "with: reader account login " + self._label, auth=True)
            if status == 401:
                raise self._fail("the server refused the user name or password (HTTP 401)",
                                 auth=True)
            if 300 <= status < 400:  # never followed: a POST and its token must not wander
                where = one_line(response.headers.get("location", ""))[:200]
                raise self._fail(f"{path}: the server sends this address elsewhere (HTTP "
                                 f"{status} to {where or '?'}); give the account the address "
                                 "it should use")
            if status >= 400:
                text = one_line(response.content[:200].decode("utf-8", "replace"))
                raise self._fail(f"{path}: HTTP {status}" + (f" ({text})" if text else ""))
            return response

    async def _receive(self, method: str, url: str, path: str, params: Any, content: Any,
                       headers: dict[str, str]) -> httpx.Response:
        """One request and its whole answer, at most MAX_ANSWER_BYTES."""
        async with self._client.stream(method, url, params=params, content=content,
                                       headers=headers) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > MAX_ANSWER_BYTES:
                    raise self._fail(f"{path}: the answer is larger than "
                                     f"{MAX_ANSWER_BYTES // 1024 // 1024} MB")
            response._content = bytes(body)
        return response

    async def _relogin(self) -> bool:
        """Sign in again with the password, when one can be had (the environment or a
        prompt); False when none can."""
        password = self._password() if self._password else None
        if not password:
            return False
        await self.login(password)
        return True

    def _json(self, response: httpx.Response, path: str) -> dict[str, Any]:
        try:
            data = json.loads(response.content)
        except (ValueError, RecursionError):
            raise self._fail(f"{path}: the answer is not valid JSON (truncated or broken); "
                             "nothing was stored") from None
        if not isinstance(data, dict):
            raise self._fail(f"{path}: the answer is not a JSON object; nothing was stored")
        return data

    # -- the calls --------------------------------------------------------------------------
    async def login(self, password: str) -> str:
        """ClientLogin (FreshRSS clientLogin, Miniflux clientLoginHandler): the answer's
        `Auth=` line is the token sent as `Authorization: GoogleLogin auth=...`."""
        response = await self._send("POST", "/accounts/ClientLogin",
                                    data={"Email": self.user, "Passwd": password}, auth=False)
        for line in response.text.splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "Auth" and value.strip():
                self.token = value.strip()
                self._write_token = ""
                return self.token
        raise self._fail("the server's login answer has no Auth token (is this the Google "
                         "Reader API address? FreshRSS: https://HOST/api/greader.php)",
                         auth=True)

    async def write_token(self, *, fresh: bool = False) -> str:
        """The token T every POST carries (FreshRSS token()/checkToken; Miniflux reads the
        auth token from T on POST: middleware apiKeyAuth)."""
        if fresh or not self._write_token:
            response = await self._send("GET", "/reader/api/0/token")
            self._write_token = response.text.strip()
            if not self._write_token:
                raise self._fail("the server gave an empty write token")
        return self._write_token

    async def subscriptions(self) -> list[dict[str, Any]]:
        """subscription/list: [{id, title, url, htmlUrl, categories: [{id, label}]}]."""
        path = "/reader/api/0/subscription/list"
        data = self._json(await self._send("GET", path, params={"output": "json"}), path)
        subs = data.get("subscriptions")
        if not isinstance(subs, list) or not all(
                isinstance(s, dict) and isinstance(s.get("id"), str) for s in subs):
            raise self._fail(f"{path}: no subscription list in the answer; nothing was stored")
        return subs

    async def tags(self) -> list[str]:
        """tag/list: the folder (label) names."""
        path = "/reader/api/0/tag/list"
        data = self._json(await self._send("GET", path, params={"output": "json"}), path)
        tags = data.get("tags")
        if not isinstance(tags, list):
            raise self._fail(f"{path}: no tag list in the answer; nothing was stored")
        return [t["id"].split("/label/", 1)[1] for t in tags if isinstance(t, dict)
                and isinstance(t.get("id"), str) and "/label/" in t["id"]]

    async def item_ids(self, stream: str, *, exclude: str = "", since: float = 0) -> list[str]:
        """Every item id of a stream (long form), following continuations: FreshRSS gives
        the last id as the token (streamContentsItemsIds), Miniflux an offset (its
        handle*StreamHandler). A token seen twice is a loop: the sync fails."""
        path = "/reader/api/0/stream/items/ids"
        params: dict[str, Any] = {"output": "json", "s": stream, "n": IDS_PER_PAGE}
        if exclude:
            params["xt"] = exclude
        if since:
            params["ot"] = int(since)
        ids: list[str] = []
        seen_tokens: set[str] = set()
        for _page in range(MAX_PAGES):
            data = self._json(await self._send("GET", path, params=params), path)
            refs = data.get("itemRefs")
            if refs is None:
                refs = []  # both servers omit or empty the list when there is nothing
            if not isinstance(refs, list):
                raise self._fail(f"{path}: itemRefs is not a list; nothing was stored")
            try:
                ids.extend(long_item_id(r["id"]) for r in refs)
            except (KeyError, TypeError, ValueError):
                raise self._fail(f"{path}: an item id is not usable (empty, spaces, out "
                                 "of range); nothing was stored") from None
            token = data.get("continuation")
            if token in (None, "", 0, "0") or not refs:
                return list(dict.fromkeys(ids))
            token = str(token)
            if token in seen_tokens:
                raise self._fail(f"{path}: the server sent the same continuation twice "
                                 "(a loop); nothing was stored")
            seen_tokens.add(token)
            params["c"] = token
        raise self._fail(f"{path}: more than {MAX_PAGES} pages; nothing was stored")

    async def contents(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        """stream/items/contents by POST, `i=` repeated (FreshRSS multiplePosts('i'),
        Miniflux getItemIDs), in batches. Items the server no longer has are simply absent
        (Miniflux answers 400 when none of a batch is left: read as none)."""
        path = "/reader/api/0/stream/items/contents"
        wanted = list(ids)
        items: list[dict[str, Any]] = []
        for start in range(0, len(wanted), CONTENTS_BATCH):
            batch = wanted[start:start + CONTENTS_BATCH]
            form = [("i", i) for i in batch] + [("output", "json"),
                                                 ("T", await self.write_token())]
            try:
                response = await self._send("POST", path, data=form)
            except SyncError as exc:
                if "HTTP 400" in str(exc) and "no items" in str(exc):
                    continue  # Miniflux streamItemContentsHandler: none of these is left
                raise
            data = self._json(response, path)
            found = data.get("items")
            if not isinstance(found, list) or not all(isinstance(i, dict) for i in found):
                raise self._fail(f"{path}: no item list in the answer; nothing was stored")
            items.extend(found)
            if self.on_items is not None:
                self.on_items(min(start + CONTENTS_BATCH, len(wanted)), len(wanted))
        return items

    async def edit_tag(self, ids: list[str], *, add: str = "", remove: str = "") -> None:
        """edit-tag: a=/r= a state (read, starred) on many items at once."""
        path = "/reader/api/0/edit-tag"
        for start in range(0, len(ids), EDIT_BATCH):
            form: list[tuple[str, str]] = [("i", i) for i in ids[start:start + EDIT_BATCH]]
            form += [("a", add)] if add else []
            form += [("r", remove)] if remove else []
            form.append(("T", await self.write_token()))
            self._ok(await self._send("POST", path, data=form), path)

    def _ok(self, response: Any, path: str) -> None:
        """A write is done only when the server says `OK` (FreshRSS exit('OK'), Miniflux
        OK()): a proxy's or a portal's page answering 200 must not empty the journal."""
        if response.content.strip() != b"OK":
            text = one_line(response.content[:80].decode("utf-8", "replace"))
            raise self._fail(f"{path}: the server did not say OK ({text or 'empty answer'}); "
                             "the change stays waiting")

    async def edit_subscription(self, action: str, stream: str, *, title: str = "",
                                add: str = "", remove: str = "") -> None:
        """subscription/edit (FreshRSS subscriptionEdit, Miniflux editSubscriptionHandler):
        `subscribe` (stream `feed/URL`), `unsubscribe`, or `edit` (a=/r= a folder label)."""
        form = [("ac", action), ("s", stream)]
        form += [("t", title)] if title else []
        form += [("a", add)] if add else []
        form += [("r", remove)] if remove else []
        form.append(("T", await self.write_token()))
        path = "/reader/api/0/subscription/edit"
        self._ok(await self._send("POST", path, data=form), path)
