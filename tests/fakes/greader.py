"""A fake Google Reader API server on 127.0.0.1 with two personalities that follow the
servers' own code (read through the search tool; no code copied, no fixtures used):

FreshRSS, `p/api/greader.php` (FreshRSS/FreshRSS):
  * everything under `/api/greader.php`; `clientLogin()` answers `SID=/LSID=null/Auth=`
    lines to `accounts/ClientLogin` (GET or POST: `$_REQUEST`), `unauthorized()` is a 401
    with `Google-Bad-Token: true`;
  * `authorizationToUser()` reads `Authorization: GoogleLogin auth=USER/SHA1`;
  * `token()` pads the write token to 57 characters with `Z`; `checkToken()` checks `T` on
    edit-tag and the other writes;
  * `streamContentsItemsIds()`: `n` defaults to 20, ids are 64-bit decimals, newest first;
    the continuation is the last id sent and is inclusive (the next page repeats it, and
    the server drops it: `$count++` ... `array_shift`); `xt=read` leaves read items out;
    `ot` is a minimum date (`setMinDate`);
  * `streamContentsItems()`: `i` repeated (`multiplePosts('i')`), decimal or long form
    (`hex2dec(basename())`); `subscriptionList()`/`tagList()` need `output=json` (else 501:
    `notImplemented()`); `editTag()` answers `OK`; `subscriptionEdit()`: `ac=subscribe` with
    `s=feed/URL` and `a=user/-/label/X`, `unsubscribe` with `s=feed/ID`, `edit` moving to
    the `a=` label or, with only `r=`, to the default category.
Miniflux, `internal/googlereader/handler.go` (miniflux/v2):
  * `Serve()`: `/accounts/ClientLogin` (POST only) and `/reader/api/0/...`;
    `clientLoginHandler` answers `SID=/LSID=/Auth=` lines (JSON with output=json);
  * middleware.go `apiKeyAuth`: GET carries `Authorization: GoogleLogin auth=USER/HMAC`, a
    POST carries the same token in the form field `T` (the header is not read); a missing or
    wrong one is a 401;
  * `tokenHandler` answers the auth token itself;
  * `checkOutputFormat`: ids, contents, subscription/list, tag/list need `output=json`
    (else 400);
  * `handleReadingListStreamHandler` & co: `n` 0 means no limit, `c` is an offset and the
    continuation is `offset + len(itemRefs)` while more remain (omitted when 0), `ot` is
    `AfterPublishedDate`, `xt=read` keeps unread items;
  * `getItemIDs`: long form, or a short id read as hex; `streamItemContentsHandler` answers
    `content` and `summary` (both the entry's content), categories `user/ID/state/...` and
    `user/ID/label/...`, and a 400 when none of the ids is left;
  * `editTagHandler`: read/starred only (`checkAndSimplifyTags`), answers `OK`; as in the
    versions of several years, `a=read` on a read entry makes it unread and `a=starred` on a
    starred one unstars it (`else if entry.Status == model.EntryStatusRead`);
    `editSubscriptionHandler`: subscribe/unsubscribe/edit (edit moves with `a=` only).

Faults on demand (`fail(path_part, kind, times)`): "401", "429" (Retry-After: 1), "503"
(Retry-After: 3600), "500",
"truncated" (half the JSON), "loop" (the same continuation for ever), "trickle" (a byte every
0.1 s: each read is quick, the answer never ends); and the other device:
`mark()`, `add_feed()`, `remove_feed()`, `add_items()` change the server's state directly.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ITEM = "tag:google.com,2005:reader/item/%016x"


@dataclass
class Entry:
    id: int
    feed_id: int
    title: str
    content: str
    link: str
    published: int
    read: bool = False
    starred: bool = False


@dataclass
class ServerFeed:
    id: int
    title: str
    url: str
    site: str
    category: str


@dataclass
class Fault:
    part: str
    kind: str
    times: int


@dataclass
class State:
    feeds: dict[int, ServerFeed] = field(default_factory=dict)
    entries: dict[int, Entry] = field(default_factory=dict)
    next_feed: int = 1
    next_entry: int = 1000


class FakeGReader:
    """The server: `with FakeGReader("freshrss") as server: server.url ...`."""

    def __init__(self, personality: str, user: str = "alice", password: str = "secret"
                 ) -> None:
        assert personality in ("freshrss", "miniflux")
        self.personality = personality
        self.user, self.password = user, password
        self.state = State()
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.lock = threading.Lock()
        self.secret = "salt"
        self.hooks: list[tuple[str, Any]] = []
        """(path part, fn): fn() runs before the answer (a change made during a sync)."""
        self._httpd: ThreadingHTTPServer | None = None

    # -- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> FakeGReader:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                server._handle(self, "POST")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def url(self) -> str:
        """The address a user gives `reader account add`."""
        assert self._httpd is not None
        port = self._httpd.server_address[1]
        base = f"http://127.0.0.1:{port}"
        return base + "/api/greader.php" if self.personality == "freshrss" else base

    # -- the other device ---------------------------------------------------------------------
    def add_feed(self, title: str, category: str = "News", url: str = "") -> int:
        with self.lock:
            fid = self.state.next_feed
            self.state.next_feed += 1
            self.state.feeds[fid] = ServerFeed(fid, title, url or f"https://example.org/{fid}"
                                               "/feed.xml", f"https://example.org/{fid}/",
                                               category)
            return fid

    def remove_feed(self, fid: int) -> None:
        with self.lock:
            del self.state.feeds[fid]
            for eid in [e.id for e in self.state.entries.values() if e.feed_id == fid]:
                del self.state.entries[eid]

    def add_items(self, fid: int, count: int, *, read: bool = False, start: int = 0
                  ) -> list[int]:
        with self.lock:
            ids = []
            base = start or int(time.time()) - count
            for n in range(count):
                eid = self.state.next_entry
                self.state.next_entry += 1
                self.state.entries[eid] = Entry(
                    eid, fid, f"Item {eid}", f"<p>Text of item {eid}</p>",
                    f"https://example.org/{fid}/{eid}.html", base + n, read=read)
                ids.append(eid)
            return ids

    def mark(self, eid: int, *, read: bool | None = None, starred: bool | None = None) -> None:
        with self.lock:
            entry = self.state.entries[eid]
            if read is not None:
                entry.read = read
            if starred is not None:
                entry.starred = starred

    def fail(self, part: str, kind: str, times: int = 1) -> None:
        """The next `times` requests whose path holds `part` fail as `kind`."""
        with self.lock:
            self.faults.append(Fault(part, kind, times))

    def count(self, part: str = "") -> int:
        return sum(1 for _m, p, _q in self.requests if part in p)

    # -- tokens -------------------------------------------------------------------------------
    def auth_token(self) -> str:
        if self.personality == "freshrss":
            return f"{self.user}/" + hashlib.sha1(
                (self.secret + self.user + self.password).encode()).hexdigest()
        digest = hmac.new((self.user + self.password).encode(), digestmod=hashlib.sha1)
        return f"{self.user}/{digest.hexdigest()}"

    def write_token(self) -> str:
        if self.personality == "freshrss":
            return hashlib.sha1((self.secret + self.user).encode()).hexdigest().ljust(57, "Z")
        return self.auth_token()

    # -- dispatch -----------------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urllib.parse.urlsplit(request.path)
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        form: dict[str, list[str]] = {}
        if method == "POST":
            length = int(request.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(request.rfile.read(length).decode(),
                                         keep_blank_values=True)
        path = parts.path
        with self.lock:
            self.requests.append((method, path, query | form))
            fault = next((f for f in self.faults if f.part in path and f.times > 0), None)
            if fault is not None:
                fault.times -= 1
        for part, hook in list(self.hooks):
            if part in path:
                self.hooks.remove((part, hook))
                hook()
        if fault is not None and fault.kind not in ("truncated", "loop", "trickle"):
            status = int(fault.kind)
            headers = {"Retry-After": "1"} if status == 429 else \
                {"Retry-After": "3600"} if status == 503 else {}
            if status == 401 and self.personality == "freshrss":
                headers["Google-Bad-Token"] = "true"
            return self._send(request, status, b"fault", headers=headers)
        prefix = "/api/greader.php" if self.personality == "freshrss" else ""
        if not path.startswith(prefix):
            return self._send(request, 404, b"not found")
        route = path[len(prefix):]
        try:
            status, body = self._route(route, method, query, form,
                                       request.headers.get("Authorization", ""),
                                       fault.kind if fault else "")
        except KeyError:
            status, body = 400, b"Bad Request!"
        if fault is not None and fault.kind == "truncated":
            body = body[: len(body) // 2]
        if fault is not None and fault.kind == "trickle":  # a byte now and then, for ever
            request.send_response(status)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            try:
                for byte in body:
                    request.wfile.write(bytes([byte]))
                    request.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass  # the client gave up
            return
        self._send(request, status, body)

    def _send(self, request: BaseHTTPRequestHandler, status: int, body: bytes,
              headers: dict[str, str] | None = None) -> None:
        request.send_response(status)
        for key, value in (headers or {}).items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def _authorised(self, method: str, header: str, form: dict[str, list[str]]) -> bool:
        if self.personality == "miniflux" and method == "POST":
            return form.get("T", [""])[0] == self.auth_token()  # middleware apiKeyAuth
        fields = header.split()
        return len(fields) == 2 and fields[0] == "GoogleLogin" and \
            fields[1] == f"auth={self.auth_token()}"

    def _route(self, route: str, method: str, query: dict[str, list[str]],
               form: dict[str, list[str]], header: str, fault: str) -> tuple[int, bytes]:
        both = query | form
        if route == "/accounts/ClientLogin":
            if self.personality == "miniflux" and method != "POST":
                return 405, b"method not allowed"
            if both.get("Email", [""])[0] != self.user or \
                    both.get("Passwd", [""])[0] != self.password:
                return 401, b"Unauthorized!"
            token = self.auth_token()
            lsid = "null" if self.personality == "freshrss" else token
            return 200, f"SID={token}\nLSID={lsid}\nAuth={token}\n".encode()
        if not route.startswith("/reader/api/0/"):
            return 400, b"Bad Request!"
        if not self._authorised(method, header, form):
            return 401, b"Unauthorized!"
        call = route[len("/reader/api/0/"):]
        if method == "POST" and self.personality == "freshrss" and call in (
                "edit-tag", "subscription/edit") and form.get("T", [""])[0] != \
                self.write_token():
            return 401, b"Unauthorized!"  # checkToken
        json_only = ("stream/items/ids", "stream/items/contents", "subscription/list",
                     "tag/list")
        if call in json_only and both.get("output", [""])[0] != "json":
            return (501, b"Not Implemented!") if self.personality == "freshrss" and \
                call in ("subscription/list", "tag/list") else (400, b"json only")
        with self.lock:
            if call == "token":
                return 200, (self.write_token() + "\n").encode()
            if call == "subscription/list":
                return 200, self._json({"subscriptions": self._subscriptions()})
            if call == "tag/list":
                names = sorted({f.category for f in self.state.feeds.values()})
                return 200, self._json({"tags": [{"id": "user/-/state/com.google/starred"}] + [
                    {"id": f"user/-/label/{n}", "type": "folder"} for n in names]})
            if call == "stream/items/ids":
                return 200, self._json(self._ids(query, loop=fault == "loop"))
            if call == "stream/items/contents" and method == "POST":
                return self._contents(form)
            if call == "edit-tag" and method == "POST":
                return self._edit_tag(form)
            if call == "subscription/edit" and method == "POST":
                return self._edit_subscription(form)
        return 400, b"Bad Request!"

    @staticmethod
    def _json(data: Any) -> bytes:
        return json.dumps(data).encode()

    def _subscriptions(self) -> list[dict[str, Any]]:
        prefix = "user/-/label/" if self.personality == "freshrss" else "user/1/label/"
        return [{"id": f"feed/{f.id}", "title": f.title, "url": f.url, "htmlUrl": f.site,
                 "categories": [{"id": prefix + f.category, "label": f.category}]}
                for f in self.state.feeds.values()]

    def _ids(self, query: dict[str, list[str]], *, loop: bool) -> dict[str, Any]:
        stream = query["s"][0]
        entries = sorted(self.state.entries.values(), key=lambda e: e.id, reverse=True)
        if stream.endswith("/state/com.google/starred"):
            entries = [e for e in entries if e.starred]
        elif stream.startswith("feed/"):
            entries = [e for e in entries if e.feed_id == int(stream[5:])]
        if query.get("xt", [""])[0].endswith("/state/com.google/read"):
            entries = [e for e in entries if not e.read]
        since = int(query.get("ot", ["0"])[0] or 0)
        if since:
            entries = [e for e in entries if e.published >= since]
        cont = query.get("c", [""])[0]
        if self.personality == "freshrss":
            count = int(query.get("n", ["20"])[0])
            if cont.isdigit():
                count += 1  # streamContentsItemsIds: the token's own id comes again
                entries = [e for e in entries if e.id <= int(cont)]
            page = entries[:count]
            if cont.isdigit():
                page, count = page[1:], count - 1
            out: dict[str, Any] = {"itemRefs": [{"id": str(e.id)} for e in page]}
            if len(page) >= count and page:
                out["continuation"] = cont if loop and cont else str(page[-1].id)
            return out
        count = int(query.get("n", ["0"])[0] or 0)
        offset = int(cont or 0)
        page = entries[offset:offset + count] if count else entries[offset:]
        out = {"itemRefs": [{"id": str(e.id)} for e in page]}
        if len(page) + offset < len(entries):
            # streamIDResponse: `json:"continuation,omitempty,string"`
            out["continuation"] = str(offset if loop and offset else len(page) + offset)
        return out

    def _item_ids(self, values: list[str]) -> list[int]:
        out = []
        for value in values:
            if value.startswith("tag:google.com,2005:reader/item/"):
                out.append(int(value.rsplit("/", 1)[1], 16))
            elif self.personality == "freshrss" and value.isdigit() and value[0] != "0":
                out.append(int(value))
            else:
                out.append(int(value, 16))  # Miniflux getItemIDs; FreshRSS hex2dec
        return out

    def _contents(self, form: dict[str, list[str]]) -> tuple[int, bytes]:
        wanted = self._item_ids(form.get("i", []))
        entries = [self.state.entries[i] for i in wanted if i in self.state.entries]
        if not entries and self.personality == "miniflux":
            return 400, self._json({"error_message": "googlereader: no items returned "
                                    "from the database for item IDs"})
        user = "user/-" if self.personality == "freshrss" else "user/1"
        items = []
        for e in entries:
            feed = self.state.feeds.get(e.feed_id)
            cats = [f"{user}/state/com.google/reading-list"]
            if feed is not None:
                cats.append(f"{user}/label/{feed.category}")
            if e.read:
                cats.append(f"{user}/state/com.google/read")
            if e.starred:
                cats.append(f"{user}/state/com.google/starred")
            item = {"id": ITEM % e.id, "title": e.title, "published": e.published,
                    "crawlTimeMsec": str(e.published * 1000),
                    "timestampUsec": str(e.published * 1000000), "author": "Ann",
                    "canonical": [{"href": e.link}], "alternate": [{"href": e.link,
                                                                     "type": "text/html"}],
                    "categories": cats,
                    "origin": {"streamId": f"feed/{e.feed_id}",
                               "title": feed.title if feed else "",
                               "htmlUrl": feed.site if feed else ""}}
            if self.personality == "freshrss":
                item["summary"] = {"content": e.content}
            else:
                item["content"] = {"direction": "ltr", "content": e.content}
                item["summary"] = {"direction": "ltr", "content": e.content}
                item["updated"] = e.published
            items.append(item)
        return 200, self._json({"id": "user/-/state/com.google/reading-list",
                                "updated": int(time.time()), "items": items})

    def _edit_tag(self, form: dict[str, list[str]]) -> tuple[int, bytes]:
        tags = form.get("a", []) + form.get("r", [])
        if self.personality == "miniflux" and not tags:
            return 500, b"add or/and remove tags should be supplied"
        for tag in tags:
            if not tag.endswith(("/state/com.google/read", "/state/com.google/starred")) \
                    and self.personality == "miniflux":
                return 500, b"unsupported tag type"
        for eid in self._item_ids(form.get("i", [])):
            entry = self.state.entries.get(eid)
            if entry is None:
                continue
            if self.personality == "miniflux":
                self._miniflux_edit(entry, form)
                continue
            for tag in form.get("a", []):
                if tag.endswith("/read"):
                    entry.read = True
                elif tag.endswith("/starred"):
                    entry.starred = True
            for tag in form.get("r", []):
                if tag.endswith("/read"):
                    entry.read = False
                elif tag.endswith("/starred"):
                    entry.starred = False
        return 200, b"OK"

    @staticmethod
    def _miniflux_edit(entry: Entry, form: dict[str, list[str]]) -> None:
        """editTagHandler as Miniflux wrote it for years: `a=read` on an entry already read
        makes it unread (`else if entry.Status == model.EntryStatusRead`), `a=starred` on
        one already starred unstars it; a client must send only real changes."""
        tags = {t.rsplit("/", 1)[-1]: True for t in form.get("a", [])}
        tags |= {t.rsplit("/", 1)[-1]: False for t in form.get("r", [])}
        if "read" in tags:
            if tags["read"] and not entry.read:
                entry.read = True
            elif entry.read:
                entry.read = False
        if "starred" in tags:
            if tags["starred"] and not entry.starred:
                entry.starred = True
            elif entry.starred:
                entry.starred = False

    def _edit_subscription(self, form: dict[str, list[str]]) -> tuple[int, bytes]:
        action = form["ac"][0]
        stream = form["s"][0]
        label = form.get("a", [""])[0].split("/label/", 1)[-1] if form.get("a") else ""
        if action == "subscribe":
            url = stream.removeprefix("feed/")
            if not url.startswith(("http://", "https://")):
                return 400, b"Bad Request!"
            fid = self.state.next_feed
            self.state.next_feed += 1
            self.state.feeds[fid] = ServerFeed(fid, url, url, url, label or "Uncategorized")
            return 200, b"OK"
        fid = int(stream.removeprefix("feed/"))
        if fid not in self.state.feeds:
            return (400 if self.personality == "freshrss" else 500), b"no such feed"
        if action == "unsubscribe":
            del self.state.feeds[fid]
            for eid in [e.id for e in self.state.entries.values() if e.feed_id == fid]:
                del self.state.entries[eid]
        elif action == "edit":
            if label:
                self.state.feeds[fid].category = label
            elif form.get("r") and self.personality == "freshrss":
                self.state.feeds[fid].category = "Uncategorized"
        return 200, b"OK"
