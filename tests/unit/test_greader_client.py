"""The Google Reader API client on its own: ids, Retry-After, folders, answers it refuses."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from reader.errors import SyncError
from reader.sync.greader import GReaderClient, _retry_after, long_item_id
from tests.fakes.greader import FakeGReader


@pytest.fixture(params=("freshrss", "miniflux"))
def server(request: pytest.FixtureRequest) -> Iterator[FakeGReader]:
    with FakeGReader(request.param) as fake:
        yield fake


def call(server: FakeGReader, method: str, *args: object, **kwargs: object) -> object:
    async def go() -> object:
        async with httpx.AsyncClient(timeout=5) as http:
            client = GReaderClient(server.url, server.user, client=http, label="home")
            await client.login(server.password)
            return await getattr(client, method)(*args, **kwargs)
    return asyncio.run(go())


def test_item_ids_in_both_forms() -> None:
    long = "tag:google.com,2005:reader/item/00000000000003e8"
    assert long_item_id("1000") == long_item_id(1000) == long_item_id(long) == long
    assert long_item_id("tag:google.com,2005:reader/item/3E8") == long
    other = "tag:example.org,2026:article/" + "ab" * 32  # another server's own ids: kept
    assert long_item_id(other) == other
    for bad in ("", "a b", "x\x1b[2J", "18446744073709551616", "y" * 201):
        with pytest.raises(ValueError):
            long_item_id(bad)


def test_retry_after_seconds_or_a_date() -> None:
    assert _retry_after("120", 0) == 120
    assert _retry_after("Thu, 01 Jan 1970 00:02:00 GMT", 60) == 60
    assert _retry_after(None, 0) == _retry_after("soon", 0) == 60


def test_folders_from_tag_list(server: FakeGReader) -> None:
    server.add_feed("A", "News")
    server.add_feed("B", "Science")
    assert sorted(call(server, "tags")) == ["News", "Science"]  # type: ignore[arg-type]


def test_a_page_of_ids_at_a_time(server: FakeGReader, monkeypatch: pytest.MonkeyPatch) -> None:
    import reader.sync.greader as greader

    ids = server.add_items(server.add_feed("A"), 25)
    monkeypatch.setattr(greader, "IDS_PER_PAGE", 10)
    got = call(server, "item_ids", greader.READING_LIST)
    assert got == [long_item_id(i) for i in sorted(ids, reverse=True)]
    assert server.count("stream/items/ids") >= 3


def test_an_answer_that_is_not_json_or_not_a_list_fails(server: FakeGReader) -> None:
    server.fail("subscription/list", "truncated")
    with pytest.raises(SyncError, match="not valid JSON"):
        call(server, "subscriptions")
    with pytest.raises(SyncError, match=r"^home: .*HTTP 500"):
        server.fail("tag/list", "500")
        call(server, "tags")
