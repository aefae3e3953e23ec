"""A feed from the internet never makes the reader fetch this computer or the local network.

The classifier alone, with every spelling the system accepts for an address; then real servers
on a "public" and on private addresses inside a network namespace of the test's own
(`tests/hostile/netns.py` under `unshare -nm`), driven through the reader CLI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from reader.fetch import is_private_url, is_public_address, is_trusted_source

ROOT = Path(__file__).resolve().parents[2]

LOCAL_URLS = [
    "http://127.0.0.1/", "http://127.0.0.1./", "http://127.1/", "http://127.0.1/",
    "http://2130706433/", "http://0177.0.0.1/", "http://0x7f000001/", "http://0x7f.1/",
    "http://0/", "http://0.0.0.0/", "http://[::1]/", "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[::ffff:10.0.0.1]/",
    "http://[::127.0.0.1]/", "http://[2002:7f00:1::1]/", "http://[2002:a00:1::]/",
    "http://[64:ff9b::a9fe:a9fe]/", "http://[fe80::1%25eth0]/", "http://[fc00::1]/",
    "http://10.0.0.1/", "http://172.16.0.1/", "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/", "http://100.100.100.200/",
    "http://100.127.255.254/", "http://192.0.0.170/", "http://198.18.0.1/", "http://224.0.0.1/",
    "http://240.0.0.1/", "http://255.255.255.255/",
    "http://localhost/", "http://LOCALHOST/", "http://localhost./", "http://LocalHost.:8080/",
    "http://ｌｏｃａｌｈｏｓｔ/", "http://１２７.０.０.１/", "http://a.localhost/",
    "http://printer.local/", "http://metadata.google.internal/", "http://nas/",
    "http://router.lan/", "http://box.home.arpa/", "HTTP://127.0.0.1/",
]
PUBLIC_URLS = [
    "https://example.com/feed", "http://1.2.3.4/", "http://[::ffff:1.2.3.4]/",
    "http://[::ffff:8.8.8.8]/", "http://8.8.8.8./", "http://[2606:4700::1111]/",
    "http://[2002:102:304::1]/", "http://[64:ff9b::808:808]/", "http://100.128.0.1/",
    "http://100.63.255.255/", "https://bücher.example/", "https://xn--bcher-kva.example/",
    "http://134744072/",  # 8.8.8.8 in decimal
]


@pytest.mark.parametrize("url", LOCAL_URLS)
def test_every_spelling_of_a_local_address_is_local(url: str) -> None:
    assert is_private_url(url), url
    assert is_trusted_source(url), url


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_addresses_in_any_spelling_are_not_local(url: str) -> None:
    assert not is_private_url(url), url
    assert not is_trusted_source(url), url


@pytest.mark.parametrize("address,public", [
    ("100.100.100.200", False), ("192.0.0.1", False), ("::ffff:1.2.3.4", True),
    ("::ffff:169.254.169.254", False), ("2002:a9fe:a9fe::1", False), ("64:ff9b::7f00:1", False),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo with client 10.0.0.1
    ("ff02::1", False), ("239.1.1.1", False), ("203.0.113.10", False), ("1.1.1.1", True),
    ("not an address", False),
])
def test_only_globally_routable_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_local_files_are_trusted_sources() -> None:
    assert is_trusted_source("/home/me/feed.xml") and is_trusted_source("file:///tmp/f.xml")


# -- real servers in a network namespace -------------------------------------------------------

@cache
def _namespace_problem() -> str:
    """Why no network namespace can be made here ("" when one can)."""
    if sys.platform != "linux" or not shutil.which("unshare") or not shutil.which("ip"):
        return "needs Linux with unshare and ip (util-linux, iproute2)"
    probe = subprocess.run(["unshare", "-nm", "true"], capture_output=True, text=True)
    if probe.returncode:
        return f"cannot make a network namespace here: {probe.stderr.strip()}"
    return ""


def scenario(name: str) -> dict[str, Any]:
    """Run one scenario of tests/hostile/netns.py in a fresh network namespace."""
    if _namespace_problem():
        pytest.skip(_namespace_problem())
    done = subprocess.run(["unshare", "-nm", sys.executable, "-m", "tests.hostile.netns", name],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def private_hits(run: dict[str, Any]) -> dict[str, list[str]]:
    return {address: hits for address, hits in run["private_hits"].items() if hits}


def test_a_redirect_into_the_computer_does_not_make_the_feed_local() -> None:
    """The feed answers 301 to a local feed linking to every private server; the stored URL
    stays, and `refresh --full-text` reaches none of them (it fetched them all before)."""
    run = scenario("redirect_then_full_text")
    add, first, moved, full, listing = run["steps"]
    assert first["code"] == 0
    assert "redirected into this computer or the local network" in moved["err"]
    assert listing["feeds"][0]["url"] == "http://1.2.3.4/feed"
    assert private_hits(run) == {}
    assert "SECRET" not in json.dumps(run["steps"])


def test_a_redirect_that_ends_in_an_error_moves_nothing() -> None:
    run = scenario("redirect_error_keeps_url")
    steps = run["steps"]
    assert "HTTP 404" in steps[2]["err"] and "not a feed" in steps[4]["err"]
    assert steps[3]["feeds"][0]["url"] == steps[5]["feeds"][0]["url"] == "http://1.2.3.4/feed"
    assert "moved" not in steps[2]["out"] + steps[4]["out"]


def test_a_feed_redirecting_to_cloud_metadata_is_never_fetched_there() -> None:
    run = scenario("redirect_to_metadata")
    assert private_hits(run) == {}  # before: the metadata page on every refresh
    assert run["public_hits"] == ["/feed", "/feed"]
    for step in run["steps"][1:3]:
        assert step["code"] == 1 and "local network" in step["err"]


def test_article_links_into_every_private_range_are_refused() -> None:
    """127.0.0.1, ::1, 10/8, metadata, CGNAT 100.100.100.200, 192.0.0.0/24 and the odd
    spellings of 127.0.0.1; the public article is still fetched."""
    run = scenario("direct_links")
    assert private_hits(run) == {}  # before: 100.100.100.200 answered
    assert "/ok" in run["public_hits"]
    assert "full text: 1 fetched, 10 failed" in run["steps"][1]["out"]


def test_a_feed_at_an_ipv4_mapped_public_address_is_not_local() -> None:
    run = scenario("mapped_public")
    assert run["public_hits"] == ["/feed"]  # the feed itself is read
    assert private_hits(run) == {}  # before: every private server


def test_an_internet_page_cannot_point_discovery_at_a_local_feed() -> None:
    run = scenario("discovery")
    assert private_hits(run) == {}  # before: the local feed, then every private server
    assert run["steps"][2]["feeds"][0]["url"] == "http://1.2.3.4/"
    refresh = run["steps"][1]
    assert "it links to no feed" in refresh["err"] and "127.0.0.1" not in refresh["err"]


def test_discovery_offers_local_feeds_only_from_local_pages() -> None:
    from reader.discover import feed_links

    page = (b'<html><head><link rel="alternate" type="application/rss+xml" href="/rss">'
            b'<link rel="alternate" type="application/atom+xml" href="http://127.1/atom">'
            b'<link rel="alternate" type="application/rss+xml" href="http://[::1]:8080/x">'
            b"</head></html>")
    assert feed_links(page, "https://example.com/") == ["https://example.com/rss"]
    assert feed_links(page, "http://192.168.1.5/") == [
        "http://192.168.1.5/rss", "http://127.1/atom", "http://[::1]:8080/x"]


def test_dns_rebinding_connects_to_the_address_that_was_checked() -> None:
    """rebind.test answers 1.2.3.4 to the first question and 127.0.0.1 after: the page comes
    from 1.2.3.4 and the name is resolved once."""
    run = scenario("rebinding")
    assert private_hits(run) == {}  # before: 127.0.0.1 served /secret
    assert run["public_hits"] == ["/feed", "/secret"]
    assert run["dns"] == {"rebind.test": 1}
    assert "The public page" in run["steps"][2]["out"]


def test_feeds_the_user_subscribed_on_the_local_network_still_work() -> None:
    """Controls: a feed at 127.0.0.1 reads its local page; a feed whose name resolves into the
    local network (split DNS, an intranet) is read; a public page by name is fetched."""
    run = scenario("local_feeds_still_work")
    refresh = run["steps"][2]
    assert refresh["code"] == 0 and "full text: 2 fetched, 0 failed" in refresh["out"]
    assert run["private_hits"]["127.0.0.1"] == ["/local-feed", "/page"]
    assert run["private_hits"]["10.0.0.1"] == ["/feed"]
    assert run["public_hits"] == ["/page"]


def test_a_pinned_https_page_keeps_tls_for_its_name() -> None:
    """The page is fetched from the checked address, with SNI and certificate checks for the
    name; a certificate not valid for the name is an error that says so (not "offline")."""
    if not shutil.which("openssl"):
        pytest.skip("needs openssl to make a test certificate")
    run = scenario("tls_by_name")
    refresh, seen = run["steps"][1], run["steps"][2]
    assert seen == {"secure_hits": ["/page"], "server_names": ["public.test", "wrong.test"]}
    assert "full text: 1 fetched, 1 failed" in refresh["out"]
    assert "secure connection failed" in refresh["err"] and "wrong.test" in refresh["err"]
    assert private_hits(run) == {}


@pytest.mark.parametrize("hop,guarded", [
    ("http://intranet.example/feed", False),  # the subscribed host: the user chose it
    ("https://intranet.example/feed", False),  # its https upgrade
    ("http://INTRANET.example./other", False),
    ("http://intranet.example:6379/", True),  # another port of it: guarded
    ("http://elsewhere.example/feed", True),
    ("http://127.0.0.1/feed", True),
])
def test_only_the_subscribed_host_is_exempt_from_the_guard(hop: str, guarded: bool) -> None:
    import httpx

    from reader.fetch import PUBLIC_ONLY, TRUSTED_ORIGIN, _guarded_hop, origin_of

    trusted = origin_of("http://intranet.example/feed")
    request = httpx.Request("GET", hop, extensions={PUBLIC_ONLY: True, TRUSTED_ORIGIN: trusted})
    assert _guarded_hop(request) is guarded
    assert _guarded_hop(httpx.Request("GET", hop, extensions={PUBLIC_ONLY: True}))
    assert not _guarded_hop(httpx.Request("GET", hop))


def test_pictures_and_episodes_of_an_internet_feed_never_reach_the_local_network() -> None:
    """Pictures at 127.0.0.1, ::1, 10.0.0.1, the metadata address, behind a public redirect
    and behind DNS rebinding; an episode at 127.0.0.1 and one redirecting to the metadata
    service. None reaches a private server; the public picture and episode still come."""
    run = scenario("pictures_and_episodes")
    add, sync, local_episode, meta_episode, ok_episode, files = run["steps"]
    assert private_hits(run) == {}
    assert "pictures: 1 fetched, 6 failed" in sync["out"], sync
    assert local_episode["code"] == 2 and "local network" in local_episode["err"]
    assert meta_episode["code"] == 2 and "local network" in meta_episode["err"]
    assert ok_episode["code"] == 0, ok_episode
    assert files["files"] == ["ep.mp3"]
    assert {"/ok.png", "/to-local.png", "/to-meta.mp3", "/ep.mp3"} <= set(run["public_hits"])
    assert "SECRET" not in json.dumps(run["steps"])
