"""Safe fetching against a real loopback server, with hostile URLs."""

from __future__ import annotations

import pytest

from langchain_gba.tools.search import FetchError, UnsafeURLError
from langchain_gba.tools.search.internet import (
    FetchPolicy,
    check_url,
    extract_main_text,
    fetch_page,
)

LOOPBACK = FetchPolicy(allowed_networks=("127.0.0.0/8",), timeout=3.0)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/file.txt",
        "gopher://127.0.0.1:70/",
        "javascript:alert(1)",
        "data:text/html,<p>hi</p>",
        "http:///no-host",
    ],
)
async def test_refuses_non_http_schemes_and_hostless_urls(url: str) -> None:
    with pytest.raises(UnsafeURLError, match="Refused"):
        await check_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8080/",  # a name that resolves to loopback
        "http://2130706433/",  # 127.0.0.1 written as one number
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
        "http://0.0.0.0/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://224.0.0.1/",  # multicast
        "http://240.0.0.1/",  # reserved
    ],
)
async def test_refuses_non_public_targets_by_default(url: str) -> None:
    with pytest.raises(UnsafeURLError, match="non-public address"):
        await check_url(url)


async def test_public_addresses_pass_and_exemptions_are_explicit() -> None:
    assert await check_url("https://93.184.215.14/page") == ["93.184.215.14"]
    assert await check_url("http://127.0.0.1:9/", allow_private=True) == ["127.0.0.1"]
    assert await check_url("http://127.0.0.1:9/", allowed_networks=["127.0.0.0/8"]) == ["127.0.0.1"]
    with pytest.raises(UnsafeURLError):
        await check_url("http://10.0.0.1/", allowed_networks=["127.0.0.0/8"])


async def test_loopback_page_needs_an_explicit_exemption(site) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnsafeURLError):
        await fetch_page(f"{site.base}/page/lisbon")
    page = await fetch_page(f"{site.base}/page/lisbon", policy=LOOPBACK)
    assert page.content_type == "text/html"
    assert page.encoding == "utf-8"
    text = extract_main_text(page)
    assert "capital and largest city of Portugal" in text
    assert "Cookie settings" not in text and "Log in" not in text


async def test_follows_a_checked_redirect(site) -> None:  # type: ignore[no-untyped-def]
    page = await fetch_page(f"{site.base}/redirect/lisbon", policy=LOOPBACK)
    assert page.url == f"{site.base}/page/lisbon"
    assert b"Tagus" in page.body


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/redirect/metadata", "169.254.169.254"),
        ("/redirect/private", "10.0.0.1"),
        ("/redirect/file", "only http and https"),
    ],
)
async def test_redirect_to_a_forbidden_target_is_refused(site, path: str, error: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnsafeURLError, match=error):
        await fetch_page(f"{site.base}{path}", policy=LOOPBACK)


async def test_redirect_limit(site) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FetchError, match="redirected more than 5 times"):
        await fetch_page(f"{site.base}/redirect/loop", policy=LOOPBACK)


@pytest.mark.parametrize("path", ["/page/big-declared", "/page/big-streamed"])
async def test_oversized_body_is_cut_off(site, path: str) -> None:  # type: ignore[no-untyped-def]
    policy = FetchPolicy(allowed_networks=("127.0.0.0/8",), max_bytes=100_000)
    with pytest.raises(FetchError, match="100,000 bytes"):
        await fetch_page(f"{site.base}{path}", policy=policy)


async def test_slow_response_hits_the_overall_deadline(site) -> None:  # type: ignore[no-untyped-def]
    policy = FetchPolicy(allowed_networks=("127.0.0.0/8",), timeout=0.7)
    with pytest.raises(FetchError, match="did not load within 0.7 s"):
        await fetch_page(f"{site.base}/page/slow", policy=policy)


async def test_wrong_content_type_and_http_errors(site) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FetchError, match="application/octet-stream, not a web page"):
        await fetch_page(f"{site.base}/page/binary", policy=LOOPBACK)
    with pytest.raises(FetchError, match="HTTP 404"):
        await fetch_page(f"{site.base}/page/missing", policy=LOOPBACK)


async def test_plain_text_is_kept_as_is(site) -> None:  # type: ignore[no-untyped-def]
    page = await fetch_page(f"{site.base}/page/plain", policy=LOOPBACK)
    assert extract_main_text(page) == "Plain text: the Tagus is the longest river of Iberia."


async def test_unreachable_port_is_a_fetch_error() -> None:
    with pytest.raises(FetchError, match="ConnectError"):
        await fetch_page("http://127.0.0.1:9/", policy=LOOPBACK)
