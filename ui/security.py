"""HTTP guards for the web app: trusted Host headers, strict CORS, a request-size limit, a per-client rate limit.

Gradio checks the Host header only for a few routes and, on a host that is not localhost,
echoes any Origin back in ``Access-Control-Allow-Origin``; these ASGI middlewares sit in
front of the whole app instead:

    app.launch(..., app_kwargs={"middleware": security.middleware(settings)})   # Gradio's own server
    security.harden(fastapi_app, settings)                                        # an app you mount Gradio in

Each refusal is one short message (``{"detail": …}``, which Gradio's page shows) with the
right status (400, 403, 413, 429) and one log line (method, path, client address, reason;
never headers, query strings or bodies, which may carry secrets).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pathwise.errors import ConfigError

if TYPE_CHECKING:
    from starlette.middleware import Middleware
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from pathwise.config import Settings

log = logging.getLogger("pathwise.security")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # reads: never rate-limited (a page load is dozens of them)
MAX_CLIENTS = 10_000  # rate-limit buckets kept; idle (full) ones are dropped beyond this
PREFLIGHT_MAX_AGE = 600


def middleware(settings: Settings) -> list[Middleware]:
    """The guards, outermost first, as Starlette's ``middleware=`` argument takes them."""
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    return [
        Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts), www_redirect=False),
        Middleware(StrictCORS, origins=list(settings.cors_origins)),
        Middleware(RateLimit, per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst),
        Middleware(BodyLimit, max_bytes=settings.max_request_bytes),
    ]


def harden(app: Any, settings: Settings) -> Any:
    """Add the guards to a FastAPI/Starlette ``app`` that has not served a request yet; returns it."""
    if getattr(app, "middleware_stack", None) is not None:
        raise ConfigError(
            "the app has already started: add the guards before launch "
            "(Gradio: launch(app_kwargs={'middleware': security.middleware(settings)}))"
        )
    for m in reversed(middleware(settings)):  # add_middleware puts each new one outermost
        app.add_middleware(m.cls, *m.args, **m.kwargs)
    return app


# -- the middlewares --------------------------------------------------------------------------


async def _respond(send: Send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    """A response of our own, worded as FastAPI words errors (``{"detail": message}``): Gradio's page shows ``detail``."""
    body = json.dumps({"detail": message}).encode("utf-8") if status != 204 else b""
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _refused(scope: Scope, status: int, reason: str) -> None:
    method = scope.get("method", scope["type"].upper())
    log.warning("refused %s %s from %s (%d): %s", method, scope.get("path", "?"), _client(scope), status, reason)


class StrictCORS:
    """Requests carrying an ``Origin`` are served only for the page's own origin or a listed one.

    A foreign origin gets 403, or a closed socket (so another site's script can neither read
    answers nor start turns); a listed origin gets its own name back, never ``*``; an ``Access-Control-Allow-*``
    header the app set itself is dropped unless the origin is listed.
    """

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        if any("*" in o for o in origins):
            raise ConfigError("CORS origins must be listed one by one, without wildcards")
        self.app = app
        self.origins = frozenset(o.rstrip("/").lower() for o in origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _header(scope, b"origin") if scope["type"] in ("http", "websocket") else None
        if origin is None:
            await self.app(scope, receive, send)
            return
        listed = origin.rstrip("/").lower() in self.origins
        if not listed and not self._same_origin(origin, scope):
            _refused(scope, 403, f"cross-origin request from {origin[:100]!r}")
            if scope["type"] == "websocket":  # another site's page opening a socket with the person's cookies
                await send({"type": "websocket.close", "code": 1008})
                return
            await _respond(send, 403, "Cross-origin requests to this app are not allowed.", {"vary": "Origin"})
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        if listed and scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method"):
            headers = {
                "access-control-allow-origin": origin,
                "access-control-allow-methods": "GET, POST",
                "access-control-allow-credentials": "true",
                "access-control-max-age": str(PREFLIGHT_MAX_AGE),
                "vary": "Origin",
            }
            requested = _header(scope, b"access-control-request-headers")
            if requested:
                headers["access-control-allow-headers"] = requested
            await _respond(send, 204, "", headers)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if not k.lower().startswith(b"access-control-allow-")]
                if listed:
                    headers += [
                        (b"access-control-allow-origin", origin.encode("latin-1")),
                        (b"access-control-allow-credentials", b"true"),
                        (b"vary", b"Origin"),
                    ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    def _same_origin(origin: str, scope: Scope) -> bool:
        host = _header(scope, b"host")
        parts = urlsplit(origin)
        return bool(host) and parts.scheme in ("http", "https") and parts.netloc.lower() == str(host).lower()


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Request bodies over ``max_bytes`` get 413, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _message(self) -> str:
        return f"The request is too large: the limit is {self.max_bytes:,} bytes."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.max_bytes:
            _refused(scope, 413, f"{int(length):,} bytes announced")
            await _respond(send, 413, self._message())
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            _refused(scope, 413, f"over {self.max_bytes:,} bytes streamed")
            if not started:
                await _respond(send, 413, self._message())


class RateLimit:
    """A token bucket per client address for requests that do work (anything but GET, HEAD, OPTIONS).

    Each address may send ``burst`` at once and ``per_minute`` a minute on average; beyond
    that it gets 429 with ``Retry-After`` and a message saying how long to wait.
    """

    def __init__(self, app: ASGIApp, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1 or burst < 1:
            raise ConfigError("the rate limit needs at least 1 request a minute and a burst of at least 1")
        self.app = app
        self.rate = per_minute / 60.0
        self.per_minute = per_minute
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """Spend one token for ``client``: 0 when allowed, else the seconds until one is available."""
        now = self.clock()
        with self._lock:
            tokens, when = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - when) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[client] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            if len(self._buckets) > MAX_CLIENTS:
                self._prune(now)
        return wait

    def _prune(self, now: float) -> None:
        for key, (tokens, when) in list(self._buckets.items()):
            if tokens + (now - when) * self.rate >= self.burst:  # full again: forgetting it changes nothing
                del self._buckets[key]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        wait = self.take(_client(scope))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        seconds = max(1, math.ceil(wait))
        _refused(scope, 429, f"over {self.per_minute} requests a minute")
        await _respond(
            send,
            429,
            f"Too many requests from your address (the limit is {self.per_minute} a minute). "
            f"Please wait {seconds} s and try again.",
            {"retry-after": str(seconds)},
        )
