"""Shared fixtures. Tests never reach the network: any connection off loopback fails loudly."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from pathwise.config import Settings, get_settings

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback_only(address: object) -> None:
    if not isinstance(address, tuple):  # unix sockets
        return
    host = str(address[0])
    if host in ("localhost", "") or host.startswith("127."):
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ConnectionRefusedError(f"tests may not connect to {host}: only loopback is allowed")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _loopback_only(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _loopback_only(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def no_network() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's key, model or data dir; settings are re-read per test."""
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "PATHWISE_OPENAI_API_KEY",
        "PATHWISE_OPENAI_BASE_URL",
        "PATHWISE_CHROMA_URL",
        "PATHWISE_MODEL",
        "PATHWISE_OFFLINE",
        "PATHWISE_AUTH",
        "PATHWISE_DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATHWISE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def model_cache() -> Path:
    """The ONNX export is derived from sha-checked weights, so tests share the user's cache of it."""
    return Settings().cache_dir


@pytest.fixture(scope="session")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("shared-home")


@pytest.fixture(scope="session")
def settings_shared(shared_home: Path, model_cache: Path) -> Settings:
    return Settings(home=shared_home, cache_dir=model_cache)


@pytest.fixture(scope="session")
def kb(settings_shared: Settings):  # type: ignore[no-untyped-def]
    """One knowledge base over the bundled article for read-only tests."""
    from pathwise.knowledge.base import KnowledgeBase

    return KnowledgeBase.open(settings_shared)


@pytest.fixture(scope="session")
def advisor(kb, settings_shared: Settings):  # type: ignore[no-untyped-def]
    from pathwise.agent.advisor import Advisor

    return Advisor(kb, settings=settings_shared)


@pytest.fixture
def settings(tmp_path: Path, model_cache: Path) -> Settings:
    """Settings with a fresh, private data dir."""
    return Settings(home=tmp_path / "home", cache_dir=model_cache)


@pytest.fixture(scope="session")
def ui_advisor(shared_home: Path, model_cache: Path):  # type: ignore[no-untyped-def]
    """The real offline advisor as `pathwise serve` builds it, shared by the web-app tests.

    Those tests send requests faster than a person would; the rate limit has its own tests.
    """
    from pathwise.agent.advisor import Advisor

    fast = {"rate_limit_per_minute": 100_000, "rate_limit_burst": 100_000}
    return Advisor.create(Settings(home=shared_home, cache_dir=model_cache, offline=True, **fast), offline=True)


class PostgresServer:
    """A PostgreSQL server for the tests: ``PATHWISE_TEST_DATABASE_URL`` (CI starts one), or a throwaway
    cluster of our own. Each test gets a database of its own from ``new_database``."""

    def __init__(self, url: str | None) -> None:
        self.cluster = None
        if url is None:
            from pathwise.bench.servers import PostgresCluster

            self.cluster = PostgresCluster()
            url = self.cluster.url
        self.url = url

    def new_database(self) -> str:
        import uuid

        import psycopg

        name = f"pw_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    import os

    try:
        server = PostgresServer(os.environ.get("PATHWISE_TEST_DATABASE_URL") or None)
    except Exception as exc:  # noqa: BLE001 - in CI a missing PostgreSQL fails the run; elsewhere it skips
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is needed in CI: {exc}")
        pytest.skip(f"no PostgreSQL: {exc}")
    yield server
    if server.cluster is not None:
        server.cluster.close()


@pytest.fixture
def database_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty PostgreSQL database."""
    return postgres_server.new_database()


@pytest.fixture(scope="session")
def chroma_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``PATHWISE_TEST_CHROMA_URL`` (CI starts one), or a `chroma run` of our own on a free loopback port."""
    import os

    from pathwise.bench.servers import ChromaServer, ServerError

    if url := os.environ.get("PATHWISE_TEST_CHROMA_URL"):
        yield url
        return
    try:
        server = ChromaServer(tmp_path_factory.mktemp("chroma-shared") / "db", ready_timeout=60)
    except ServerError as exc:
        pytest.fail(str(exc))
    try:
        yield server.url
    finally:
        server.stop()
