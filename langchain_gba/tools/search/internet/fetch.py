"""Safe page fetching: only public http(s) targets, bounded in time, size and redirects.

Every hop is checked before it is requested: the scheme must be http or https, and the host must
resolve only to public addresses — loopback, private, link-local (cloud metadata at
169.254.169.254), carrier-grade NAT, multicast, reserved and unspecified addresses are refused,
also when a public name resolves to them or a redirect points at them. The connection then goes to
the very address that was checked (the Host header and TLS server name keep the original host), so
a DNS answer that changes between the check and the request cannot redirect it (DNS rebinding).
Redirects are followed by hand, each one checked, up to a limit. The body is streamed and cut off
past a byte cap, the content type must be HTML or text, and one deadline bounds the whole fetch,
so a server that drips bytes slowly cannot hold the agent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from langchain_gba.tools.search.exceptions import FetchError, UnsafeURLError

__all__ = ["FetchPolicy", "Page", "check_url", "fetch_page"]


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for fetching one page."""

    timeout: float = 5.0
    """Seconds for the whole fetch, redirects included."""
    max_bytes: int = 2_000_000
    """Largest body accepted, in bytes."""
    max_redirects: int = 5
    """Redirects followed before giving up."""
    content_types: tuple[str, ...] = ("text/html", "application/xhtml+xml", "text/plain")
    """Accepted media types."""
    allow_private: bool = False
    """Allow loopback, private and link-local targets (tests, intranets). Off by default."""
    allowed_networks: tuple[str, ...] = ()
    """Networks exempt from the public-address rule, e.g. ``("10.1.0.0/16",)`` for an intranet."""
    user_agent: str = "langchain-gba/0.1 (+https://github.com/langchain-gba)"


@dataclass(frozen=True)
class Page:
    """A fetched page."""

    url: str
    """The final address, after redirects."""
    content_type: str
    body: bytes
    encoding: str | None
    """The charset the server declared, if any."""

    def text(self) -> str:
        """The body decoded with the declared charset (UTF-8 otherwise, errors replaced)."""
        try:
            return self.body.decode(self.encoding or "utf-8", errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _is_public(address: str) -> bool:
    ip = _ip(address)
    return ip.is_global and not ip.is_multicast


async def check_url(
    url: str, *, allow_private: bool = False, allowed_networks: Sequence[str] = ()
) -> list[str]:
    """Check that ``url`` may be fetched and return the addresses its host resolves to.

    Args:
        url: the address to check.
        allow_private: accept any address.
        allowed_networks: CIDR networks accepted even though they are not public.

    Raises:
        UnsafeURLError: not http(s), no host, unresolvable, or (unless ``allow_private``) some
            address of the host is neither public nor in ``allowed_networks``.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        msg = f"Refused {url!r}: only http and https URLs are fetched, not {parts.scheme or '?'!r}"
        raise UnsafeURLError(msg)
    host = parts.hostname
    if not host:
        msg = f"Refused {url!r}: no host"
        raise UnsafeURLError(msg)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as e:
        msg = f"Refused {url!r}: bad port"
        raise UnsafeURLError(msg) from e
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (socket.gaierror, UnicodeError) as e:
        msg = f"Refused {url!r}: the host {host!r} does not resolve ({e})"
        raise UnsafeURLError(msg) from e
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        networks = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]
        blocked = [
            a for a in addresses if not _is_public(a) and not any(_ip(a) in net for net in networks)
        ]
        if blocked:
            msg = (
                f"Refused {url!r}: {host} resolves to a non-public address ({blocked[0]}); "
                "pass allow_private=True to fetch private, loopback or link-local targets"
            )
            raise UnsafeURLError(msg)
    return addresses


def _pinned(url: str, address: str) -> tuple[str, str]:
    """``url`` with its host replaced by ``address``, and the original ``host[:port]``."""
    parts = urlsplit(url)
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    return urlunsplit(parts._replace(netloc=netloc)), parts.netloc.rsplit("@", 1)[-1]


async def _get_once(
    client: httpx.AsyncClient, url: str, policy: FetchPolicy
) -> tuple[httpx.Response, bytes]:
    addresses = await check_url(
        url, allow_private=policy.allow_private, allowed_networks=policy.allowed_networks
    )
    address = addresses[0]
    target, host = _pinned(url, address)
    extensions = {"sni_hostname": urlsplit(url).hostname} if url.startswith("https:") else {}
    request = client.build_request(
        "GET",
        target,
        headers={"Host": host, "User-Agent": policy.user_agent, "Accept": "text/html,*/*;q=0.5"},
        extensions=extensions,
    )
    response = await client.send(request, stream=True, follow_redirects=False)
    try:
        if response.is_redirect:
            return response, b""
        if response.status_code >= 400:
            msg = f"{url} answered HTTP {response.status_code}"
            raise FetchError(msg)
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in policy.content_types:
            msg = f"{url} is {media_type or 'of no declared type'}, not a web page"
            raise FetchError(msg)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > policy.max_bytes:
            size = int(declared)
            msg = f"{url} is {size:,} bytes, more than the {policy.max_bytes:,} bytes allowed"
            raise FetchError(msg)
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > policy.max_bytes:
                msg = f"{url} is larger than the {policy.max_bytes:,} bytes allowed"
                raise FetchError(msg)
        return response, bytes(body)
    finally:
        await response.aclose()


async def fetch_page(
    url: str, *, policy: FetchPolicy | None = None, client: httpx.AsyncClient | None = None
) -> Page:
    """Fetch one page under ``policy`` (defaults: 5 s, 2 MB, 5 redirects, public hosts only).

    Raises:
        UnsafeURLError: the URL or a redirect target is refused.
        FetchError: timeout, HTTP error, too large, not a web page, too many redirects.
    """
    policy = policy or FetchPolicy()
    own = client is None
    client = client or httpx.AsyncClient(timeout=policy.timeout, trust_env=False)
    try:
        async with asyncio.timeout(policy.timeout):
            current = url
            for _ in range(policy.max_redirects + 1):
                response, body = await _get_once(client, current, policy)
                if not response.is_redirect:
                    media = response.headers.get("content-type", "").split(";")[0].strip()
                    return Page(current, media.lower(), body, response.charset_encoding)
                location = response.headers.get("location", "")
                current = urljoin(current, location)
            msg = f"{url} redirected more than {policy.max_redirects} times"
            raise FetchError(msg)
    except TimeoutError as e:
        msg = f"{url} did not load within {policy.timeout:g} s"
        raise FetchError(msg) from e
    except httpx.HTTPError as e:
        msg = f"{url} failed: {type(e).__name__}: {e}"
        raise FetchError(msg) from e
    finally:
        if own:
            await client.aclose()
