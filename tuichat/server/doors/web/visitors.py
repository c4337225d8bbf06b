"""Who opens a browser session: the browser's address and scheme (the connection's, or
what a trusted proxy says they are), and whether the page that opens it is the door's
own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yarl import URL

from tuichat.server.bans import canonical_address

if TYPE_CHECKING:
    from aiohttp import web

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def browser_address(request: web.Request, trust_proxy: bool) -> str | None:
    """The browser's address in its canonical spelling: the peer's, or behind a trusted
    proxy the last address of ``X-Forwarded-For`` (the one that proxy added); None when
    it cannot be told (no peer, or a proxy's header that names no address)."""
    given = request.remote
    if trust_proxy:
        forwarded = request.headers.getall("X-Forwarded-For", [])
        if forwarded:
            given = ",".join(forwarded).split(",")[-1]
    return canonical_address(given) if given else None


def browser_scheme(request: web.Request, trust_proxy: bool) -> str:
    """``https`` or ``http``, as the browser reached the door: the request's, or behind a
    trusted proxy what its ``X-Forwarded-Proto`` says (when it says one of those)."""
    if trust_proxy:
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip()
        if forwarded.lower() in ("http", "https"):
            return forwarded.lower()
    return request.scheme


def origin_problem(request: web.Request) -> str | None:
    """Why the page that opens this websocket is not the door's own (its ``Origin`` names
    another host or port than the request's ``Host``), if it is not. No ``Origin``: not a
    browser, which could say anything anyway, so nothing to check."""
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    shown = repr(origin[:80])
    try:
        page = URL(origin)
    except ValueError:
        return f"the origin {shown} is not a URL"
    if page.scheme not in DEFAULT_PORTS or page.host is None:
        return f"the origin {shown} is not a web page's"
    try:
        here = URL(f"{page.scheme}://{request.host}")
    except ValueError:
        return f"the Host {request.host[:80]!r} is not a host"
    if (page.host.lower(), _port(page)) != ((here.host or "").lower(), _port(here)):
        return f"a page of {shown} may not open a session here"
    return None


def _port(url: URL) -> int:
    """The port ``url`` names, or its scheme's default (so ``https://host`` and ``host``
    behind a proxy that ends TLS compare equal)."""
    return url.explicit_port or DEFAULT_PORTS[url.scheme]
