from __future__ import annotations

import pytest

from langchain_gba.tools.search import SearxngError
from langchain_gba.tools.search.internet import SearchResult, SearxngClient


async def test_client_speaks_the_json_api(site, results) -> None:  # type: ignore[no-untyped-def]
    results.extend(
        [
            {"url": "https://a.example/1", "title": "One", "content": "first", "engine": "ddg"},
            {"url": "https://b.example/2", "title": "", "engines": ["bing", "brave"]},
            {"title": "no url: skipped"},
        ]
    )
    client = SearxngClient(
        site.base + "/", engines=["duckduckgo", "wikipedia"], language="en", safesearch=1
    )
    expected = [
        SearchResult("https://a.example/1", "One", "first", ("ddg",)),
        SearchResult("https://b.example/2", "https://b.example/2", "", ("bing", "brave")),
    ]
    assert client.search("capital of Portugal") == expected
    assert await client.asearch("capital of Portugal", page=2) == expected
    first, second = site.queries
    assert first == {
        "q": ["capital of Portugal"],
        "format": ["json"],
        "pageno": ["1"],
        "engines": ["duckduckgo,wikipedia"],
        "language": ["en"],
        "safesearch": ["1"],
    }
    assert second["pageno"] == ["2"]


async def test_failures_are_named_errors(site, results) -> None:  # type: ignore[no-untyped-def]
    site.searxng_status = 403
    with pytest.raises(SearxngError, match="HTTP 403 .is the json format enabled"):
        await SearxngClient(site.base).asearch("x")
    site.searxng_status = 200
    with pytest.raises(SearxngError, match="did not answer with a JSON result list"):
        SearxngClient(site.base + "/html").search("x")
    with pytest.raises(SearxngError, match="ConnectError"):
        await SearxngClient("http://127.0.0.1:9", timeout=2).asearch("x")
