"""Local servers and processes the benchmark starts and stops itself: a Chroma server, a
throwaway PostgreSQL cluster, a fake OpenAI endpoint, the web app as `pathwise serve` runs it, and app processes driven over pipes.
Everything binds 127.0.0.1."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment for a child, plus ``extra``."""
    env = dict(os.environ)
    env.update(extra)
    env.setdefault("ANONYMIZED_TELEMETRY", "False")
    return env


class ServerError(RuntimeError):
    """A local server or app process the benchmark started did not come up or stopped answering."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_binary() -> str | None:
    beside = Path(sys.executable).with_name("chroma")
    return str(beside) if beside.is_file() else shutil.which("chroma")


class ChromaServer:
    """``chroma run`` on a free local port, in its own process group, until ``stop``."""

    def __init__(self, path: Path, *, ready_timeout: float = 60.0) -> None:
        binary = chroma_binary()
        if binary is None:
            raise ServerError("the `chroma` command is not installed beside this Python")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = path.with_suffix(".log")
        path.mkdir(parents=True, exist_ok=True)
        self._log = self.log.open("wb")
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [binary, "run", "--path", str(path), "--port", str(self.port), "--host", "127.0.0.1"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            self._await_heartbeat(ready_timeout)
        except BaseException:
            self.stop()
            raise
        self.ready_s = round(time.perf_counter() - started, 3)

    def _await_heartbeat(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            try:  # the pause between polls doubles as a check that the server is still alive
                code = self.proc.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                continue
            raise ServerError(f"chroma run exited with status {code}; see {self.log}")
        raise ServerError(f"chroma run did not answer its heartbeat within {timeout:.0f} s; see {self.log}")

    def rss_mb(self) -> float | None:
        import psutil

        try:
            return round(psutil.Process(self.proc.pid).memory_info().rss / 2**20, 1)
        except psutil.Error:
            return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()

    def __enter__(self) -> ChromaServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


PG_TIMEOUT = 60  # seconds initdb or pg_ctl may take


def postgres_bindir() -> Path | None:
    """Where PostgreSQL's server programs are (Debian keeps them off PATH)."""
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=PG_TIMEOUT)
        if out.returncode == 0 and (Path(out.stdout.strip()) / "initdb").exists():
            return Path(out.stdout.strip())
    except OSError:
        pass
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresCluster:
    """A throwaway PostgreSQL server on a free 127.0.0.1 port (initdb into a temp dir); ``url`` is its
    ``pathwise`` database. ``stop`` and ``start`` at will: the database-fault tests do."""

    def __init__(self) -> None:
        found = postgres_bindir()
        if found is None:
            raise ServerError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = found
        # Not under pytest's tmp dir: as root the server runs as postgres, who may not enter that.
        root = Path(tempfile.mkdtemp(prefix="pathwise-pg-"))
        self.root = root
        self.dir = root / "pgdata"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/pathwise"
        # initdb refuses to run as root: the cluster then belongs to the postgres user.
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            os.chmod(root, 0o755)
            self.dir.mkdir()
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.dir), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "pathwise")

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            [*self._as, str(self.bin / program), *args], capture_output=True, text=True, timeout=PG_TIMEOUT, cwd="/"
        )
        if done.returncode != 0:
            raise ServerError(f"{program} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> None:
        # fsync off: a test cluster, thrown away after the run; the socket lives in the data dir.
        options = f"-p {self.port} -h 127.0.0.1 -k {self.dir} -c fsync=off -c max_connections=200"
        self._run(
            "pg_ctl", "-D", str(self.dir), "-l", str(self.dir / "server.log"), "-w", "-t", str(PG_TIMEOUT), "-o", options, "start"
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.dir), "-m", mode, "-w", "-t", str(PG_TIMEOUT), "stop")

    def new_database(self) -> str:
        """A fresh, empty database on this server, and its URL."""
        name = f"pw_{uuid.uuid4().hex[:12]}"
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url.rsplit("/", 1)[0] + "/" + name

    def close(self) -> None:
        try:
            self.stop("immediate")
        except RuntimeError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


class FakeLLM:
    """The smallest OpenAI chat-completions endpoint, answering instantly (so what is timed is our overhead).

    With ``tool`` set, the first request of a turn that has not called that tool yet is answered
    with one call of it (``{argument: <the person's message>}``), as a model that looks something
    up before it answers would; every other request gets ``answer``, streamed a few words a chunk
    when asked to stream. ``bodies`` keeps each request as sent, so a bare client can replay the same bytes.
    """

    def __init__(
        self,
        answer: str | Callable[[dict[str, Any]], str],
        *,
        words_per_chunk: int = 3,
        tool: str | None = None,
        argument: str = "query",
    ) -> None:
        self.answer = answer
        self.words_per_chunk = words_per_chunk
        self.tool = tool
        self.argument = argument
        self.bodies: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._json({"object": "list", "data": [{"id": "bench-model", "object": "model", "owned_by": "bench"}]})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                owner.bodies.append(body)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._json({"error": {"message": "not found", "type": "invalid_request_error"}}, status=404)
                    return
                model = body.get("model", "bench-model")
                if body.get("stream"):
                    self._stream(owner.stream_chunks(model, body))
                else:
                    self._json(owner.completion(model, body))

            def _json(self, obj: dict[str, Any], status: int = 200) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, chunks: list[dict[str, Any]]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                for chunk in chunks:
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def requests(self) -> int:
        return len(self.bodies)

    def tool_query(self, body: dict[str, Any]) -> str | None:
        """What to call ``tool`` with, when this turn has not called it yet."""
        messages = body.get("messages") or []
        asked = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=None)
        if not self.tool or not body.get("tools") or asked is None:
            return None
        called = {c.get("function", {}).get("name") for m in messages[asked:] for c in m.get("tool_calls") or ()}
        if self.tool in called:
            return None
        content = messages[asked].get("content", "")
        return content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)

    def answer_to(self, body: dict[str, Any]) -> str:
        """``answer``, or what it makes of the request when it is a function of one."""
        return self.answer(body) if callable(self.answer) else self.answer

    def _tool_call(self, query: str) -> dict[str, Any]:
        arguments = json.dumps({self.argument: query})
        return {"id": "call_bench", "type": "function", "function": {"name": self.tool, "arguments": arguments}}

    def completion(self, model: str, body: dict[str, Any]) -> dict[str, Any]:
        query = self.tool_query(body)
        if query is None:
            message: dict[str, Any] = {"role": "assistant", "content": self.answer_to(body)}
        else:
            message = {"role": "assistant", "content": None, "tool_calls": [self._tool_call(query)]}
        return {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop" if query is None else "tool_calls"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        }

    def stream_chunks(self, model: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                "id": "chatcmpl-bench",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        query = self.tool_query(body)
        if query is not None:
            call = {"role": "assistant", "content": None, "tool_calls": [{"index": 0, **self._tool_call(query)}]}
            return [chunk(call), chunk({}, "tool_calls")]
        words = re.findall(r"\S+\s*", self.answer_to(body))
        pieces = ["".join(words[i : i + self.words_per_chunk]) for i in range(0, len(words), self.words_per_chunk)]
        return [chunk({"role": "assistant", "content": ""}), *(chunk({"content": p}) for p in pieces), chunk({}, "stop")]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeLLM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ServedApp:
    """``pathwise serve`` in its own process (as deployed: its queue, limits and durable sessions),
    on a free 127.0.0.1 port, ready once it prints its "page ready" line."""

    def __init__(self, home: Path, cache_dir: Path, *, ready_timeout: float = 180.0, env: dict[str, str] | None = None) -> None:
        """``env`` adds to or overrides the environment below (a model, a database, a Chroma server)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = home.with_suffix(".serve.log")
        self._log = self.log.open("wb")
        env = child_env(
            **{
                "PATHWISE_HOME": str(home),
                "PATHWISE_CACHE_DIR": str(cache_dir),
                "PATHWISE_OFFLINE": "1",
                "PATHWISE_CHROMA_URL": "",
                "PATHWISE_AUTH": "",
                # the load generator is many people behind one address: the per-address limit would refuse them
                "PATHWISE_RATE_LIMIT_PER_MINUTE": "1000000",
                "PATHWISE_RATE_LIMIT_BURST": "100000",
                **(env or {}),
            }
        )
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pathwise", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
            start_new_session=True,
        )
        self._lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        threading.Thread(target=self._pump, daemon=True).start()
        try:
            deadline = time.monotonic() + ready_timeout
            while True:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
                if not line:
                    raise ServerError(f"pathwise serve exited {self.proc.wait(timeout=10)}; see {self.log}")
                if "ready" in line:
                    break
        except queue.Empty:
            self.stop()
            raise ServerError(f"pathwise serve was not ready within {ready_timeout:.0f} s; see {self.log}") from None
        except BaseException:
            self.stop()
            raise
        self.ready_s = round(time.perf_counter() - started, 3)

    def _pump(self) -> None:  # keeps draining stdout so the server never blocks on a full pipe
        for line in self.proc.stdout or []:
            self._lines.put(line)
        self._lines.put("")

    def rss_mb(self) -> float | None:
        import psutil

        try:
            return round(psutil.Process(self.proc.pid).memory_info().rss / 2**20, 1)
        except psutil.Error:
            return None

    def cpu_s(self) -> float:
        """CPU seconds the server process has used so far (user + system)."""
        import psutil

        times = psutil.Process(self.proc.pid).cpu_times()
        return times.user + times.system

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()

    def __enter__(self) -> ServedApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class AppProcess:
    """One ``worker advisor`` process, spoken to in JSON lines."""

    def __init__(self, args: dict[str, Any]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pathwise.bench.worker", "advisor"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        self._lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._stderr: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=lambda: self._stderr.extend(self.proc.stderr or []), daemon=True).start()
        self.send(args)

    def _pump(self) -> None:
        for line in self.proc.stdout or []:
            self._lines.put(line)
        self._lines.put("")  # end of output

    def send(self, obj: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()

    def receive(self, timeout: float) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise ServerError(f"app process {self.proc.pid} gave no answer within {timeout:.0f} s") from None
        if not line:
            self.proc.wait(timeout=10)
            raise ServerError(f"app process exited {self.proc.returncode}: {''.join(self._stderr)[-600:]}")
        return json.loads(line)

    def request(self, obj: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        self.send(obj)
        return self.receive(timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send({"op": "quit"})
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=10)


def shared_session_check(procs: list[AppProcess]) -> dict[str, Any]:
    """One conversation handed between two processes: A, then B, then A again.

    The history length each process reports after its turn shows whether it saw the others'.
    """
    a, b = procs[0], procs[1]
    sid = "handoff-1"
    seen = [
        a.request({"op": "reply", "session": sid, "message": "How much do automation specialists earn?"})["history"],
        b.request({"op": "reply", "session": sid, "message": "And AI engineers?"})["history"],
        a.request({"op": "reply", "session": sid, "message": "Why is that?"})["history"],
    ]
    return {"expected_history": [1, 2, 3], "seen_history": seen, "coherent": seen == [1, 2, 3]}
