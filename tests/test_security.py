"""Safe defaults: the web app's HTTP guards (ui/security.py), the settings behind them, and secrets
that never reach a log.

The guards are tested on a tiny Starlette app with Starlette's TestClient, and once on a real
Gradio app launched on 127.0.0.1 the way ``serve`` launches it.
"""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fake_openai import CutStream, FakeOpenAI, Hang, Status
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from pathwise.bench.servers import free_port
from pathwise.config import Settings, get_settings
from pathwise.errors import ConfigError
from pathwise.ui import security

ORIGIN = "https://pathwise.example"


async def page(request: Request) -> PlainTextResponse:
    return PlainTextResponse("the page", headers={"access-control-allow-origin": "*"})  # an app that is too generous


async def ask(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"bytes": len(body)})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def greet(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("hello")
    await websocket.close()


def tiny_app(settings: Settings, clock: Clock | None = None) -> Starlette:
    app = Starlette(routes=[Route("/", page), Route("/ask", ask, methods=["POST"]), WebSocketRoute("/ws", greet)])
    security.harden(app, settings)
    if clock is not None:  # the limiter reads this clock, so tests move time instead of waiting
        for m in app.user_middleware:
            if m.cls is security.RateLimit:
                m.kwargs["clock"] = clock
    return app


def settings_with(**values: Any) -> Settings:
    return Settings(allowed_hosts=["testserver", "127.0.0.1", "localhost"], **values)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(tiny_app(settings_with(cors_origins=[ORIGIN]))) as c:
        yield c


# -- settings ------------------------------------------------------------------------------------------------


def test_defaults_are_local_and_strict() -> None:
    s = Settings()
    assert s.allowed_hosts == ["127.0.0.1", "localhost"]
    assert s.cors_origins == []
    assert (s.rate_limit_per_minute, s.rate_limit_burst, s.max_request_bytes) == (60, 20, 1_000_000)


def test_hosts_and_origins_come_from_comma_separated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWISE_ALLOWED_HOSTS", " pathwise.example , 127.0.0.1 ")
    monkeypatch.setenv("PATHWISE_CORS_ORIGINS", "https://pathwise.example/, http://127.0.0.1:7860")
    s = get_settings()
    assert s.allowed_hosts == ["pathwise.example", "127.0.0.1"]
    assert s.cors_origins == ["https://pathwise.example", "http://127.0.0.1:7860"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PATHWISE_CORS_ORIGINS", "*", "wildcards are not allowed"),
        ("PATHWISE_CORS_ORIGINS", "https://*.example.org", "wildcards are not allowed"),
        ("PATHWISE_CORS_ORIGINS", "pathwise.example", "an origin looks like"),
        ("PATHWISE_ALLOWED_HOSTS", "*", "would answer any Host header"),
        ("PATHWISE_ALLOWED_HOSTS", " , ", "list at least one host"),
        ("PATHWISE_RATE_LIMIT_PER_MINUTE", "0", "RATE_LIMIT_PER_MINUTE"),
    ],
)
def test_unsafe_settings_are_one_clear_config_error(monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        get_settings()


# -- trusted hosts ---------------------------------------------------------------------------------------------


def test_a_request_for_another_host_is_refused(client: TestClient) -> None:
    assert client.get("/").text == "the page"
    refused = client.get("/", headers={"host": "evil.example"})
    assert refused.status_code == 400 and "host" in refused.text.lower()
    assert client.get("/", headers={"host": "localhost:7860"}).status_code == 200


# -- CORS ------------------------------------------------------------------------------------------------------


def test_a_refusal_is_logged_without_headers_or_query(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("DEBUG"):
        r = client.post(
            "/ask?token=sk-canary-query", headers={"origin": "https://evil.example", "authorization": "Bearer sk-canary-header"}
        )
    assert r.status_code == 403
    (line,) = [rec.getMessage() for rec in caplog.records if rec.name == "pathwise.security"]
    assert line == "refused POST /ask from testclient (403): cross-origin request from 'https://evil.example'"
    ours = "\n".join(rec.getMessage() for rec in caplog.records if not rec.name.startswith("httpx"))  # httpx is the test's client
    assert "sk-canary" not in ours


def test_a_foreign_origin_is_refused_and_never_sees_a_wildcard(client: TestClient) -> None:
    for method in ("get", "post"):
        r = getattr(client, method)("/ask" if method == "post" else "/", headers={"origin": "https://evil.example"})
        assert r.status_code == 403 and r.json() == {"detail": "Cross-origin requests to this app are not allowed."}
        assert "access-control-allow-origin" not in r.headers
    preflight = client.options("/ask", headers={"origin": "https://evil.example", "access-control-request-method": "POST"})
    assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers
    assert client.post("/ask", headers={"origin": "null"}).status_code == 403


def test_a_foreign_page_cannot_open_a_socket(client: TestClient) -> None:
    with client.websocket_connect("/ws", headers={"origin": "http://testserver"}) as ws:
        assert ws.receive_text() == "hello"
    with pytest.raises(WebSocketDisconnect) as closed:
        with client.websocket_connect("/ws", headers={"origin": "https://evil.example"}):
            pass
    assert closed.value.code == 1008


def test_same_origin_and_listed_origins_are_served_by_name(client: TestClient) -> None:
    same = client.post("/ask", content=b"hi", headers={"origin": "http://testserver"})
    assert same.status_code == 200 and same.json() == {"bytes": 2}
    assert (
        "access-control-allow-origin" not in client.get("/", headers={"origin": "http://testserver"}).headers
    )  # the app's '*' dropped

    listed = client.get("/", headers={"origin": ORIGIN})
    assert listed.status_code == 200 and listed.headers["access-control-allow-origin"] == ORIGIN
    assert listed.headers["access-control-allow-credentials"] == "true" and "Origin" in listed.headers["vary"]
    preflight = client.options(
        "/ask",
        headers={"origin": ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "content-type"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert preflight.headers["access-control-allow-headers"] == "content-type"


# -- request size ------------------------------------------------------------------------------------------------


def test_an_oversized_request_gets_413_with_the_limit() -> None:
    with TestClient(tiny_app(settings_with(max_request_bytes=2048))) as c:
        assert c.post("/ask", content=b"x" * 2048).json() == {"bytes": 2048}
        announced = c.post("/ask", content=b"x" * 5000)
        assert announced.status_code == 413
        assert announced.json() == {"detail": "The request is too large: the limit is 2,048 bytes."}

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts as the body streams in
            for _ in range(10):
                yield b"y" * 1000

        streamed = c.post("/ask", content=chunks())
        assert streamed.status_code == 413 and "2,048 bytes" in streamed.json()["detail"]


# -- rate limit ------------------------------------------------------------------------------------------------------


def test_the_rate_limit_is_per_client_with_a_clear_429() -> None:
    clock = Clock()
    app = tiny_app(settings_with(rate_limit_per_minute=30, rate_limit_burst=3), clock)
    with TestClient(app, client=("10.0.0.1", 5000)) as one, TestClient(app, client=("10.0.0.2", 5000)) as two:
        assert [one.post("/ask").status_code for _ in range(3)] == [200, 200, 200]
        limited = one.post("/ask")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "2"
        assert limited.json() == {
            "detail": "Too many requests from your address (the limit is 30 a minute). Please wait 2 s and try again."
        }
        assert one.get("/").status_code == 200, "reading the page is never limited"
        assert two.post("/ask").status_code == 200, "another address has its own allowance"

        clock.now += 2.0  # one token back every 2 s at 30 a minute
        assert one.post("/ask").status_code == 200
        assert one.post("/ask").status_code == 429
        clock.now += 60.0  # a full minute refills the burst, and no more
        assert [one.post("/ask").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_the_limiter_forgets_idle_clients_when_it_is_full() -> None:
    clock = Clock()
    limiter = security.RateLimit(lambda *a: None, per_minute=60, burst=2, clock=clock)  # type: ignore[arg-type]
    for i in range(security.MAX_CLIENTS + 1):
        assert limiter.take(f"10.1.{i // 256}.{i % 256}") == 0
    clock.now += 120.0
    assert limiter.take("10.9.9.9") == 0
    assert len(limiter._buckets) <= 2, "buckets that refilled are dropped"


def test_harden_refuses_an_app_that_already_started() -> None:
    app = Starlette(routes=[Route("/", page)])
    with TestClient(app) as c:
        c.get("/")
    with pytest.raises(ConfigError, match="already started"):
        security.harden(app, settings_with())


# -- on a real Gradio server ----------------------------------------------------------------------------------------


def test_the_guards_on_the_launched_web_app(kb, settings_shared: Settings) -> None:  # type: ignore[no-untyped-def]
    """The real page, launched the way ``serve`` should launch it:
    ``launch(..., app_kwargs={"middleware": security.middleware(settings)})``."""
    import httpx
    from gradio_client import Client

    from pathwise.agent.advisor import Advisor
    from pathwise.ui.app import build_app

    settings = settings_shared.model_copy(
        update={"rate_limit_per_minute": 600, "rate_limit_burst": 50, "max_request_bytes": 10_000}
    )
    demo = build_app(Advisor(kb, settings=settings))
    demo.launch(
        server_name="127.0.0.1",
        server_port=free_port(),
        prevent_thread_lock=True,
        quiet=True,
        ssr_mode=False,
        app_kwargs={"middleware": security.middleware(settings)},
    )
    try:
        url = demo.local_url
        turn = Client(url, verbose=False, download_files=False).predict(
            "How much do automation specialists earn?", api_name="/chat"
        )
        assert "₹10-30k" in turn["answer"]
        with httpx.Client(base_url=url, timeout=10) as http:
            assert http.get("/").status_code == 200
            assert http.get("/", headers={"host": "evil.example"}).status_code == 400
            foreign = http.post("/gradio_api/call/chat", json={"data": ["hi"]}, headers={"origin": "https://evil.example"})
            assert foreign.status_code == 403
            big = http.post("/gradio_api/call/chat", json={"data": ["x" * 20_000]})
            assert big.status_code == 413 and "10,000 bytes" in big.json()["detail"]
    finally:
        demo.close()


# -- secrets never logged ----------------------------------------------------------------------------------------

KEY = "sk-canary-3f9c2b7e1d5a4c8f"


def test_the_api_key_never_reaches_the_logs_at_debug(
    kb,
    settings_shared: Settings,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`pathwise chat --jsonl` with every library logging at DEBUG, through four faults and their fallbacks."""
    import threading

    from pathwise.cli import main

    release = threading.Event()
    with FakeOpenAI() as server:
        server.enqueue(
            Status(401, "Incorrect API key provided"), Status(500), CutStream("Burnout hits at months", after=2), Hang(release)
        )
        for name, value in {
            "PATHWISE_HOME": str(settings_shared.home),
            "PATHWISE_CACHE_DIR": str(settings_shared.cache_dir),
            "OPENAI_API_KEY": KEY,
            "OPENAI_BASE_URL": server.base_url,
            "PATHWISE_LOG_LEVEL": "DEBUG",
            "PATHWISE_LLM_MAX_RETRIES": "0",
            "PATHWISE_LLM_TIMEOUT": "0.5",
        }.items():
            monkeypatch.setenv(name, value)
        lines = [{"session": "secret", "message": "When do AI engineers burn out?"}] * 4
        monkeypatch.setattr(sys, "stdin", io.StringIO("".join(json.dumps(x) + "\n" for x in lines)))
        try:
            with caplog.at_level(logging.DEBUG):
                assert main(["chat", "--jsonl"]) == 0
        finally:
            release.set()
    out, err = capsys.readouterr()
    turns = [json.loads(x) for x in out.splitlines()]
    assert [t["mode"] for t in turns] == ["offline"] * 4 and all("8-14" in t["answer"] for t in turns)
    assert all(t["notice"].startswith("Offline mode for this answer") for t in turns)
    debug = {r.name.split(".")[0] for r in caplog.records if r.levelno == logging.DEBUG}
    assert "openai" in debug, f"the client that holds the key logged at DEBUG: {debug}"
    assert any(r.name == "pathwise.llm" for r in caplog.records) and any(r.exc_info for r in caplog.records), (
        "faults were logged, with tracebacks"
    )
    for text in (out, err, caplog.text):  # caplog.text holds every record, tracebacks included
        assert KEY not in text and "3f9c2b7e1d5a4c8f" not in text
    assert KEY not in repr(Settings(openai_api_key=KEY)) and KEY not in str(Settings(openai_api_key=KEY).model_dump())
