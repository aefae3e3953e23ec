"""SSRF scenarios run inside a network namespace of their own: `python -m tests.hostile.netns NAME`
under `unshare -nm` (root) prints one JSON object (what each server saw, what reader said).

Inside the namespace `lo` is the only interface and there is no route out, so nothing sent here
can leave it. On `lo` it puts a "public" address (PUBLIC, a globally routable address: the
documentation ranges are not globally routable, and the reader rightly treats them as local) and
the private ones an attacker aims at: 127.0.0.1, ::1, 10.0.0.1, 169.254.169.254 (cloud
metadata), 100.100.100.200 (Alibaba metadata, CGNAT range). An HTTP server listens on port 80 of
each; a DNS server on 127.0.0.1:53 (the namespace's own /etc/resolv.conf, bind-mounted in the
private mount namespace) answers the test names, `rebind.test` first with PUBLIC and then with
127.0.0.1 (DNS rebinding). reader runs in this process, through its CLI, in a fresh XDG home.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PUBLIC = "1.2.3.4"
PRIVATE = ["127.0.0.1", "::1", "10.0.0.1", "169.254.169.254", "100.100.100.200", "192.0.0.170"]
SECRET = b"SECRET-FROM-THE-LOCAL-NETWORK"


def rss(items: list[tuple[str, str]], title: str = "Feed") -> bytes:
    """An RSS feed of (guid, link) items."""
    body = "".join(f"<item><title>Story {guid}</title><guid>{guid}</guid><link>{link}</link>"
                   f"<description>summary {guid}</description></item>" for guid, link in items)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>http://{PUBLIC}/</link>{body}</channel></rss>").encode()


def page(text: str) -> bytes:
    """An article page long enough for the extractor to take its text."""
    para = f"<p>{text} " + "words of an article worth reading in full. " * 20 + "</p>"
    return (f"<html><head><title>{text}</title></head><body><article><h1>{text}</h1>"
            f"{para * 4}</article></body></html>").encode()


Answer = tuple[int, dict[str, str], bytes]


class Site:
    """One HTTP server on (address, 80): routes by path, every request recorded."""

    def __init__(self, address: str, tls: Any = None, port: int = 80):
        self.address = address
        self.routes: dict[str, Answer] = {}
        self.hits: list[str] = []
        self.server_names: list[str] = []
        """The names TLS clients asked for (SNI)."""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                site.hits.append(self.path)
                status, headers, body = site.routes.get(
                    self.path, (200, {"Content-Type": "text/html"},
                                page(SECRET.decode()) if site.address != PUBLIC
                                else b"<html><body>public 404</body></html>"))
                if site.address == PUBLIC and self.path not in site.routes:
                    status = 404
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        family = socket.AF_INET6 if ":" in address else socket.AF_INET

        class Server(ThreadingHTTPServer):
            address_family = family
            daemon_threads = True

        self.server = Server((address, port), Handler)
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name or "")
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def feed(self, path: str, body: bytes) -> None:
        self.routes[path] = (200, {"Content-Type": "application/rss+xml"}, body)

    def html(self, path: str, body: bytes) -> None:
        self.routes[path] = (200, {"Content-Type": "text/html; charset=utf-8"}, body)

    def redirect(self, path: str, status: int, location: str) -> None:
        self.routes[path] = (status, {"Location": location}, b"")


class Dns:
    """A DNS server on 127.0.0.1:53 for A queries: names -> a function of the query count."""

    def __init__(self, answers: dict[str, Callable[[int], str]]):
        self.answers = answers
        self.asked: dict[str, int] = {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 53))
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            data, peer = self.sock.recvfrom(512)
            with contextlib.suppress(Exception):
                self.sock.sendto(self._answer(data), peer)

    def _answer(self, query: bytes) -> bytes:
        qid, _flags = struct.unpack("!HH", query[:4])
        labels, i = [], 12
        while query[i]:
            labels.append(query[i + 1:i + 1 + query[i]].decode().lower())
            i += 1 + query[i]
        qtype = struct.unpack("!H", query[i + 1:i + 3])[0]
        question = query[12:i + 5]
        name = ".".join(labels)
        if name not in self.answers:
            return struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question  # NXDOMAIN
        if qtype != 1:  # AAAA and the rest: no records
            return struct.pack("!HHHHHH", qid, 0x8180, 1, 0, 0, 0) + question
        count = self.asked[name] = self.asked.get(name, 0) + 1
        address = socket.inet_aton(self.answers[name](count))
        record = struct.pack("!HHHLH", 0xC00C, 1, 1, 0, 4) + address  # TTL 0
        return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + record


def isolate() -> None:
    """Bring up lo with the test addresses; refuse to run anywhere but an empty namespace."""
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True,
                           check=True).stdout.strip().splitlines()
    if len(links) != 1 or ": lo:" not in links[0]:
        raise SystemExit(f"not in an empty network namespace (links: {links}); refusing to run")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for address in [PUBLIC, *PRIVATE]:
        if ":" not in address and not address.startswith("127."):
            subprocess.run(["ip", "addr", "add", f"{address}/32", "dev", "lo"], check=True)
    resolv = Path(tempfile.mkdtemp()) / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n")
    subprocess.run(["mount", "--bind", str(resolv), "/etc/resolv.conf"], check=True)


def reader(*args: str) -> dict[str, Any]:
    """Run the reader CLI in this process; its exit code and output."""
    from reader.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    return {"args": list(args), "code": code, "out": out.getvalue(), "err": err.getvalue()}


def feeds_json() -> list[dict[str, Any]] | dict[str, Any]:
    """`reader feeds --json`, or what it said when that is not JSON."""
    step = reader("feeds", "--json")
    try:
        return json.loads(step["out"])
    except ValueError:
        return step


def secret_links(prefix: str) -> list[tuple[str, str]]:
    """Articles linking to every private server (and ::1 and a CGNAT name by address)."""
    hosts = ["127.0.0.1", "[::1]", "10.0.0.1", "169.254.169.254", "100.100.100.200",
             "192.0.0.170", "2130706433", "0x7f000001", "127.1", "[::ffff:127.0.0.1]"]
    return [(f"{prefix}{i}", f"http://{host}/secret") for i, host in enumerate(hosts)]


def run(name: str) -> dict[str, Any]:
    isolate()
    home = Path(tempfile.mkdtemp())
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                     ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state")):
        os.environ[var] = str(home / sub)
    os.environ["HOME"] = str(home)
    (home / "config" / "reader").mkdir(parents=True)
    (home / "config" / "reader" / "config.toml").write_text(
        "[refresh]\nconnect_timeout = 3\nread_timeout = 5\nfeed_timeout = 10\n"
        "[full_text]\nmax_per_feed = 50\n")
    public = Site(PUBLIC)
    private = {address: Site(address) for address in PRIVATE}
    dns = Dns({"rebind.test": lambda n: PUBLIC if n == 1 else "127.0.0.1",
               "public.test": lambda n: PUBLIC,
               "intranet.test": lambda n: "10.0.0.1", "wrong.test": lambda n: PUBLIC})
    steps = SCENARIOS[name](public, private)
    return {"steps": steps, "public_hits": public.hits,
            "private_hits": {a: s.hits for a, s in private.items()}, "dns": dns.asked}


def tls_for(names: list[str]) -> tuple[Any, str]:
    """A server SSLContext with a certificate for `names` from a throwaway CA, and the CA file
    (which this process then trusts in place of certifi's bundle)."""
    import ssl

    folder = Path(tempfile.mkdtemp())

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "2", "-subj", "/CN=netns test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr",
            "-subj", f"/CN={names[0]}")
    (folder / "ext").write_text("subjectAltName=" + ",".join(f"DNS:{n}" for n in names)
                                + "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "ext")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "leaf.pem", folder / "leaf.key")
    return context, str(folder / "ca.pem")


def tls_by_name(public: Site, private: dict[str, Site]) -> list[dict[str, Any]]:
    """A guarded https page is fetched from the checked address with TLS for the name: SNI
    says public.test and the certificate is verified for it; a name the certificate does not
    cover still fails verification though it resolves to the same address."""
    import certifi

    context, ca = tls_for(["public.test"])
    certifi.where = lambda: ca  # this process trusts the test CA (httpx reads certifi)
    secure = Site(PUBLIC, tls=context, port=443)
    secure.html("/page", page("Secure public page"))
    secure.html("/other", page("Wrong name"))
    public.feed("/feed", rss([("t", "https://public.test/page"),
                              ("w", "https://wrong.test/other")]))
    steps = [reader("add", f"http://{PUBLIC}/feed"), reader("refresh", "--full-text")]
    steps.append({"secure_hits": secure.hits, "server_names": secure.server_names})
    return steps


def redirect_then_full_text(public: Site, private: dict[str, Site]) -> list[dict[str, Any]]:
    """The feed answers 301 into the computer: the URL must not move, the feed stays from the
    internet, and its full text never reaches a private server."""
    public.feed("/feed", rss([("a", f"http://{PUBLIC}/a")]))
    steps = [reader("add", f"http://{PUBLIC}/feed"), reader("refresh")]
    private["127.0.0.1"].feed("/local-feed", rss(secret_links("s"), "Local"))
    public.redirect("/feed", 301, "http://127.0.0.1/local-feed")
    steps += [reader("refresh"), reader("refresh", "--full-text")]
    steps.append({"feeds": feeds_json()})
    return steps


def redirect_error_keeps_url(public: Site, private: dict[str, Site]) -> list[dict[str, Any]]:
    """A 301 whose target answers 404, or no feed at all, is an error: the stored URL stays."""
    public.feed("/feed", rss([("a", f"http://{PUBLIC}/a")]))
    steps = [reader("add", f"http://{PUBLIC}/feed"), reader("refresh")]
    public.redirect("/feed", 301, f"http://{PUBLIC}/gone")
    steps += [reader("refresh"), {"feeds": feeds_json()}]
    public.redirect("/feed", 301, f"http://{PUBLIC}/not-a-feed")
    public.routes["/not-a-feed"] = (200, {"Content-Type": "text/plain"}, b"no feed here")
    steps += [reader("refresh"), {"feeds": feeds_json()}]
    return steps


def redirect_to_metadata(public: Site, private: dict[str, Site]) -> list[dict[str, Any]]:
    """A feed that redirects to the metadata service is refused on every refresh."""
    public.redirect("/feed", 302, "http://169.254.169.254/latest/meta-data/")
    private["169.254.169.254"].feed("/latest/meta-data/", rss([("m", "http://10.0.0.1/x")]))
    return [reader("add", f"http://{PUBLIC}/feed"), reader("refresh"), reader("refresh"),
            {"feeds": feeds_json()}]


def direct_links(public: Site, private: dict[str, Site]) -> list[dict[str, Any]]:
    """Article links into every private range and spelling; one public link as control."""
    public.feed("/feed", rss([*secret_links("s"), ("ok", f"http://{PUBLIC}/ok")]))
    public.html("/ok", page("Public article"))
    return [reader("add", f"http://{PUBLIC}/feed"), reader("refresh", "--full-text")]


def mapped_public(public: Site, private: dict[str, Site]) -> list[dict[str, Any]]:
    """A feed subscribed as http://[::ffff:PUBLIC]/ is from the internet, not local."""
    public.feed("/feed", rss(secret_links("s")))
    return [reader("add", f"http://[::ffff:{PUBLIC}]/feed"), reader("refresh", "--full-text")]


def discovery(public: Site, private: dict[str, Site]) -> list[dict[str, Any]]:
    """An internet page points feed discovery at a feed on this computer."""
    public.html("/", b'<html><head><link rel="alternate" type="application/rss+xml" '
                     b'href="http://127.0.0.1/local-feed"></head><body>home</body></html>')
    private["127.0.0.1"].feed("/local-feed", rss(secret_links("s"), "Local"))
    return [reader("add", f"http://{PUBLIC}/"), reader("refresh", "--full-text"),
            {"feeds": feeds_json()}]


def rebinding(public: Site, private: dict[str, Site]) -> list[dict[str, Any]]:
    """rebind.test answers PUBLIC once, then 127.0.0.1: the page must come from PUBLIC."""
    public.feed("/feed", rss([("r", "http://rebind.test/secret")]))
    public.html("/secret", page("The public page"))
    return [reader("add", f"http://{PUBLIC}/feed"), reader("refresh", "--full-text"),
            reader("show", json.loads(reader("articles", "--json")["out"])[0]["id"])]


def local_feeds_still_work(public: Site, private: dict[str, Site]) -> list[dict[str, Any]]:
    """Controls: a feed the user subscribed on this computer reads its local pages; a feed by
    a name that resolves into the local network (intranet) is fetched; public pages by name
    are fetched (through the pinned address)."""
    private["127.0.0.1"].feed("/local-feed", rss([("l", "http://127.0.0.1/page")], "Local"))
    private["127.0.0.1"].html("/page", page("Local page"))
    private["10.0.0.1"].feed("/feed", rss([("i", "http://public.test/page")], "Intranet"))
    public.html("/page", page("Public page by name"))
    return [reader("add", "http://127.0.0.1/local-feed"), reader("add", "http://intranet.test/feed"),
            reader("refresh", "--full-text"), {"feeds": feeds_json()}]


def pictures_and_episodes(public: Site, private: dict[str, Site]) -> list[dict[str, Any]]:
    """Pictures and enclosures of an internet feed aimed at the local network, directly, by a
    redirect and by DNS rebinding; one public picture and one public episode as controls."""
    import io as _io

    from PIL import Image

    out = _io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(out, "PNG")
    public.routes["/ok.png"] = (200, {"Content-Type": "image/png"}, out.getvalue())
    public.routes["/ep.mp3"] = (200, {"Content-Type": "audio/mpeg"}, b"ID3" + b"x" * 5000)
    public.redirect("/to-local.png", 302, "http://10.0.0.1/secret.png")
    public.redirect("/to-meta.mp3", 302, "http://169.254.169.254/latest/ep.mp3")
    pictures = [f"http://{h}/secret.png" for h in ("127.0.0.1", "[::1]", "10.0.0.1",
                                                    "169.254.169.254", "rebind.test")]
    pictures += [f"http://{PUBLIC}/to-local.png", f"http://{PUBLIC}/ok.png"]
    images = "".join(f'<p><img src="{u}" alt="p{n}"></p>' for n, u in enumerate(pictures))
    items = [("pics", images, "http://127.0.0.1/ep.mp3"),
             ("meta", "<p>x</p>", f"http://{PUBLIC}/to-meta.mp3"),
             ("ok", "<p>y</p>", f"http://{PUBLIC}/ep.mp3")]
    body = "".join(
        f"<item><title>{guid}</title><guid>{guid}</guid><link>http://{PUBLIC}/{guid}</link>"
        f'<description><![CDATA[{html}]]></description><enclosure url="{url}" '
        f'type="audio/mpeg" length="5003"/></item>' for guid, html, url in items)
    public.feed("/feed", (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Pod'
                          f"</title>{body}</channel></rss>").encode())
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "reader" / "config.toml"
    config.write_text(config.read_text() + "[images]\noffline = true\n")
    steps = [reader("add", f"http://{PUBLIC}/feed"), reader("sync-offline")]
    ids = {a["title"]: a["id"] for a in json.loads(reader("articles", "--json")["out"])}
    folder = tempfile.mkdtemp()
    steps += [reader("download", ids[t], "--to", folder) for t in ("pics", "meta", "ok")]
    steps.append({"files": sorted(os.listdir(folder))})
    return steps


SCENARIOS: dict[str, Callable[[Site, dict[str, Site]], list[dict[str, Any]]]] = {
    f.__name__: f for f in (redirect_then_full_text, redirect_error_keeps_url,
                            redirect_to_metadata, direct_links, mapped_public, discovery,
                            rebinding, local_feeds_still_work, tls_by_name,
                            pictures_and_episodes)}

if __name__ == "__main__":
    result = run(sys.argv[1])
    sys.stdout.write("\n" + json.dumps(result) + "\n")
