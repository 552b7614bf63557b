"""Server mode: a real `chroma run` on 127.0.0.1 holds the passages; an unreachable one is one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pathwise.bench.servers import ChromaServer, ServerError, free_port
from pathwise.cli import main
from pathwise.config import Settings
from pathwise.errors import StoreError
from pathwise.knowledge.base import KnowledgeBase

START_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` on a free loopback port, started the way `pathwise bench` starts it."""
    try:
        server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db", ready_timeout=START_TIMEOUT)
    except ServerError as exc:
        pytest.fail(str(exc))
    try:
        yield server.url
    finally:
        server.stop()


def test_ingest_and_search_through_a_chroma_server(chroma_url: str, tmp_path: Path, model_cache: Path) -> None:
    settings = Settings(home=tmp_path / "home", cache_dir=model_cache, chroma_url=chroma_url)
    kb = KnowledgeBase.open(settings)  # ingests the bundled article into the server
    hits = kb.search("at what point do AI engineers burn out", 3)
    assert any("AI Engineers hit the wall at months 8-14" in h.text for h in hits)
    assert not (tmp_path / "home" / "chroma").exists()  # nothing went to the embedded store

    again = KnowledgeBase.open(settings)
    (report,) = again.ingest([])
    assert (report["added"], report["updated"], report["removed"]) == (0, 0, 0)
    assert again.store.count() == kb.store.count()


def test_the_cli_uses_the_server_from_the_environment(
    chroma_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], model_cache: Path
) -> None:
    monkeypatch.setenv("PATHWISE_CHROMA_URL", chroma_url)
    monkeypatch.setenv("PATHWISE_CACHE_DIR", str(model_cache))
    assert main(["search", "when do automation specialists burn out", "--k", "3", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert any("break at months 18-24" in h["text"] for h in hits)


def test_an_unreachable_server_is_a_one_line_store_error(tmp_path: Path, model_cache: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(StoreError, match="cannot reach the Chroma server") as caught:
        KnowledgeBase.open(Settings(home=tmp_path / "home", cache_dir=model_cache, chroma_url=url))
    assert url in str(caught.value) and "\n" not in str(caught.value)


def test_an_unreachable_server_through_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], model_cache: Path
) -> None:
    monkeypatch.setenv("PATHWISE_CHROMA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("PATHWISE_CACHE_DIR", str(model_cache))
    assert main(["search", "burnout"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("pathwise: error: cannot reach the Chroma server")


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://127.0.0.1:8000", "http://"])
def test_a_malformed_server_url_is_a_store_error(url: str, tmp_path: Path, model_cache: Path) -> None:
    with pytest.raises(StoreError, match="PATHWISE_CHROMA_URL must look like"):
        KnowledgeBase.open(Settings(home=tmp_path / "home", cache_dir=model_cache, chroma_url=url))
