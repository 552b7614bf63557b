"""A local fake of the OpenAI chat-completions endpoint, scripted per request.

It speaks the real wire format on 127.0.0.1 (JSON bodies, SSE streams with ``data: [DONE]``,
tool calls whole or as streamed deltas) so the real ``ChatOpenAI`` client runs against it,
and it injects faults a real server shows: error statuses, malformed JSON, a request that
hangs until the test lets go, and a stream cut off after its first tokens.

    with FakeOpenAI() as server:
        server.enqueue(Reply(tool_calls=[ToolCall("search_passages", {"query": "burnout"})]))
        server.enqueue(Reply("Burnout hits at months 8-14 [p:a719a21ebb0c7443]."))
        ...
        server.requests[1].messages  # what the client sent the second time

Also the fakes at the other side of the seam, for tests that skip HTTP: ``scripted_model``
(a chat model that replays ``say(...)`` / ``call(tool, ...)`` turns and records what it was
sent) and ``FakeKB`` (the knowledge base's three members over the bundled article).
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG_CAP_SECONDS = 30.0  # a forgotten Hang must not keep a server thread forever


@dataclass(frozen=True)
class ToolCall:
    name: str
    args: dict[str, Any]
    id: str = ""


@dataclass(frozen=True)
class Reply:
    """A normal completion: JSON for ``stream: false``, SSE chunks for ``stream: true``.

    With ``resume``, a stream holds back everything after its first ``pause_after`` words
    until ``resume`` is set; a stream never resumed is dropped after ``HANG_CAP_SECONDS``.
    """

    content: str = ""
    tool_calls: tuple[ToolCall, ...] | list[ToolCall] = ()
    finish_reason: str | None = None
    pause_after: int = 0
    resume: threading.Event | None = None
    tokens: bool = False  # stream pieces of a few characters, not whole words


@dataclass(frozen=True)
class Realistic:
    """An answer as a capable model gives one: streamed in pieces of a few characters (a figure
    such as "₹3–6L" arrives split, as tokens do), and, when a passage it cites was not handed
    over this turn, first a search for it in its own words (one call per passage), then the answer."""

    content: str


@dataclass(frozen=True)
class Status:
    """An error response with OpenAI's error body, e.g. 401, 429, 500."""

    code: int
    message: str = "scripted failure"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Malformed:
    """HTTP 200 whose body (or SSE event) is not JSON."""

    body: str = '{"id": "chatcmpl-broken", "choices": [{'


@dataclass(frozen=True)
class Garbled:
    """HTTP 200 whose whole body is ``body``, not JSON and not an event stream, whatever was asked (a proxy's error page)."""

    body: str = "upstream error: model worker crashed"
    content_type: str = "text/plain"


@dataclass(frozen=True)
class Hang:
    """Hold the request open, sending nothing, until ``release`` is set; then drop it."""

    release: threading.Event


@dataclass(frozen=True)
class CutStream:
    """Stream the first ``after`` content chunks of ``content``, then drop the connection.

    With ``clean=True`` the HTTP body ends properly instead, but with no finish reason and no
    ``data: [DONE]``: a server that gave up without saying so.
    """

    content: str
    after: int = 2
    clean: bool = False


Script = Reply | Realistic | Status | Malformed | Garbled | Hang | CutStream


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list((self.body or {}).get("messages", []))

    @property
    def stream(self) -> bool:
        return bool((self.body or {}).get("stream"))


def _tokens(text: str) -> list[str]:
    """Split text into pieces of up to four characters, spaces leading, that concatenate back to it exactly."""
    import re

    return re.findall(r"\s*\S{1,4}|\s+$", text)


def _handed(body: dict[str, Any] | None) -> tuple[set[str], bool]:
    """The passage ids the tools returned in this turn so far, and whether the model itself searched already."""
    import re

    messages = list((body or {}).get("messages", []))
    asked = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=0)
    ids: set[str] = set()
    searched = False
    for m in messages[asked:]:
        if m.get("role") == "tool":
            ids.update(re.findall(r'<passage id="p:([0-9a-f]+)"', str(m.get("content", ""))))
        for call in m.get("tool_calls") or ():
            searched = searched or not str(call.get("id", "")).startswith("call_pw_")  # not the search made before the first call
    return ids, searched


def _realistic(fake: FakeOpenAI, script: Realistic, body: dict[str, Any] | None) -> Reply:
    import re

    from pathwise.knowledge.corpus import bundled_article

    handed, searched = _handed(body)
    cited = dict.fromkeys(re.findall(r"\[p:([0-9a-f]{16})\]", script.content))
    missing = [i for i in cited if i not in handed]
    if missing and not searched:
        text = {p.id: p.text for p in bundled_article().passages}
        with fake._lock:
            fake._queue.appendleft(script)  # the answer comes once the search is done
        return Reply(
            tool_calls=[ToolCall("search_passages", {"query": " ".join(text[i].split()[:12])}) for i in missing if i in text]
        )
    return Reply(script.content, tokens=True)


def _words(text: str) -> list[str]:
    """Split text into stream deltas that concatenate back to it exactly."""
    parts: list[str] = []
    for i, word in enumerate(text.split(" ")):
        parts.append(word if i == 0 else " " + word)
    return [p for p in parts if p]


class FakeOpenAI:
    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self.requests: list[Recorded] = []
        self.unscripted = 0  # requests that found the queue empty
        self.hung_up = threading.Event()  # a client closed a streamed reply before its end
        self._queue: deque[Script] = deque()
        self._lock = threading.Lock()
        self._hangs: list[threading.Event] = []
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-openai", daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def enqueue(self, *scripts: Script) -> FakeOpenAI:
        with self._lock:
            for s in scripts:
                if isinstance(s, Hang):
                    self._hangs.append(s.release)
                elif isinstance(s, Reply) and s.resume is not None:
                    self._hangs.append(s.resume)
                self._queue.append(s)
        return self

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def close(self) -> None:
        for event in self._hangs:
            event.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _next(self, recorded: Recorded) -> Script | None:
        with self._lock:
            self.requests.append(recorded)
            if not self._queue:
                self.unscripted += 1
                return None
            return self._queue.popleft()


def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens, so a connection is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def _handler_for(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        fake = server

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        # A client that times out or drops a kept-alive connection is expected here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeOpenAI

    def setup(self) -> None:
        super().setup()
        # Stream chunks go out as written, not held back by Nagle's algorithm.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = None
        recorded = Recorded("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        script = self.fake._next(recorded)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._error(404, f"fake server has no route {self.path}")
            return
        if script is None:
            self._error(500, "fake server: no scripted response left")
            return
        stream = bool((body or {}).get("stream"))
        if isinstance(script, Realistic):
            script = _realistic(self.fake, script, body)
        if isinstance(script, Status):
            self._error(script.code, script.message, script.headers)
        elif isinstance(script, Malformed):
            if stream:
                self._start_sse()
                self._chunk(f"data: {script.body}\n\n")
                self._end_chunks()
            else:
                self._send(200, script.body.encode(), "application/json")
        elif isinstance(script, Garbled):
            self._send(200, script.body.encode(), script.content_type)
        elif isinstance(script, Hang):
            script.release.wait(HANG_CAP_SECONDS)
            self.close_connection = True
        elif isinstance(script, CutStream):
            self._start_sse()
            for i, delta in enumerate(_words(script.content)[: script.after]):
                self._chunk(_sse(self._delta_chunk({"role": "assistant", "content": delta} if i == 0 else {"content": delta})))
            if script.clean:
                self._end_chunks()
            else:
                self.wfile.flush()
                # Drop the socket mid-body: the chunked encoding never terminates.
                self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif stream:
            try:
                self._stream_reply(script, bool(((body or {}).get("stream_options") or {}).get("include_usage")))
            except (BrokenPipeError, ConnectionResetError):
                self.fake.hung_up.set()
                self.close_connection = True
        else:
            self._send(200, json.dumps(self._completion(script)).encode(), "application/json")

    # -- wire format --------------------------------------------------------

    def _tool_calls(self, reply: Reply) -> list[dict[str, Any]]:
        return [
            {
                "id": tc.id or f"call_{len(self.fake.requests)}_{i}",
                "type": "function",
                "function": {"name": tc.name, "arguments": json.dumps(tc.args)},
            }
            for i, tc in enumerate(reply.tool_calls)
        ]

    def _completion(self, reply: Reply) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
        if reply.tool_calls:
            message["tool_calls"] = self._tool_calls(reply)
        return {
            "id": f"chatcmpl-{len(self.fake.requests)}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": self.fake.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop"),
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }

    def _delta_chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{len(self.fake.requests)}",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": self.fake.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }

    def _stream_reply(self, reply: Reply, include_usage: bool) -> None:
        self._start_sse()
        self._chunk(_sse(self._delta_chunk({"role": "assistant", "content": ""})))
        for n, delta in enumerate((_tokens if reply.tokens else _words)(reply.content)):
            if reply.resume is not None and n == reply.pause_after:
                self.wfile.flush()
                if not reply.resume.wait(HANG_CAP_SECONDS):
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
            self._chunk(_sse(self._delta_chunk({"content": delta})))
        for i, call in enumerate(self._tool_calls(reply)):
            args = call["function"]["arguments"]
            head = {
                "index": i,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }
            self._chunk(_sse(self._delta_chunk({"tool_calls": [head]})))
            # Arguments arrive in pieces, as they do from OpenAI.
            for start in range(0, len(args), 7):
                piece = {"index": i, "function": {"arguments": args[start : start + 7]}}
                self._chunk(_sse(self._delta_chunk({"tool_calls": [piece]})))
        finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        self._chunk(_sse(self._delta_chunk({}, finish)))
        if include_usage:
            usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
            chunk = self._delta_chunk({}, None, usage=usage)
            chunk["choices"] = []
            self._chunk(_sse(chunk))
        self._chunk("data: [DONE]\n\n")
        self._end_chunks()

    # -- HTTP plumbing -------------------------------------------------------

    def _send(self, code: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        kind = {401: "invalid_request_error", 429: "rate_limit_exceeded"}.get(code, "server_error")
        body = {"error": {"message": message, "type": kind, "param": None, "code": str(code)}}
        self._send(code, json.dumps(body).encode(), "application/json", headers)

    def _start_sse(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def _end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def _sse(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload)}\n\n"


# -- fakes at the seam: a scripted chat model and a small knowledge base ----------------


def say(text: str) -> Any:
    """A scripted model turn that answers with ``text``."""
    from langchain_core.messages import AIMessage

    return AIMessage(content=text)


def call(name: str, _id: str = "", **args: Any) -> Any:
    """A scripted model turn that calls the tool ``name`` with ``args``."""
    from langchain_core.messages import AIMessage

    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": _id or f"call_{name}", "type": "tool_call"}])


def dialogue(messages: list[Any]) -> list[str]:
    """The questions and answers among the messages a model received: no system prompt, tool calls or tool results."""
    return [m.text for m in messages if m.type == "human" or (m.type == "ai" and not m.tool_calls)]


def scripted_model(*turns: Any) -> Any:
    """A ``BaseChatModel`` that replays ``turns`` in order (see ``ScriptedChatModel``)."""
    return _scripted_class()(script=list(turns))


_SCRIPTED: type | None = None


def _scripted_class() -> type:
    """Built on first use so importing this module stays free of LangChain."""
    global _SCRIPTED
    if _SCRIPTED is not None:
        return _SCRIPTED
    from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
    from langchain_core.messages import AIMessageChunk, BaseMessage
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
    from pydantic import Field

    class ScriptedChatModel(FakeMessagesListChatModel):
        """Replays a script of AI messages, one per model call, and records what it was sent.

        Streams answers word by word and tool calls as ``tool_call_chunks``, as a provider
        does. Running out of script is an error, not a silent repeat.
        """

        responses: list[BaseMessage] = Field(default_factory=list)
        script: list[BaseMessage] = Field(default_factory=list)
        received: list[list[BaseMessage]] = Field(default_factory=list)
        tool_names: list[str] = Field(default_factory=list)
        streamed: int = 0  # chunks handed out so far, over every call

        def enqueue(self, *turns: BaseMessage) -> ScriptedChatModel:
            self.script.extend(turns)
            return self

        def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:
            self.tool_names = [getattr(t, "name", None) or t["function"]["name"] for t in tools]
            return self

        def _next(self, messages: list[BaseMessage]) -> BaseMessage:
            self.received.append(list(messages))
            if not self.script:
                raise AssertionError(f"the scripted model was called {len(self.received)} times; the script ran out")
            return self.script.pop(0)

        def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
            return ChatResult(generations=[ChatGeneration(message=self._next(messages))])

        def _stream(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
            message = self._next(messages)
            pieces = _words(message.text) if message.text else []
            chunks = [AIMessageChunk(content=p) for p in pieces]
            if getattr(message, "tool_calls", None):
                chunks.append(
                    AIMessageChunk(
                        content="",
                        tool_call_chunks=[
                            {
                                "name": tc["name"],
                                "args": json.dumps(tc["args"]),
                                "id": tc["id"],
                                "index": i,
                                "type": "tool_call_chunk",
                            }
                            for i, tc in enumerate(message.tool_calls)
                        ],
                    )
                )
            for chunk in chunks:
                generation = ChatGenerationChunk(message=chunk)
                if run_manager:
                    run_manager.on_llm_new_token(generation.text, chunk=generation)
                self.streamed += 1
                yield generation

    _SCRIPTED = ScriptedChatModel
    return _SCRIPTED


class FakeKB:
    """The members the agent and the offline reading use, over the bundled article and its question
    bank, with naive keyword search. A message's "vector" is its own words; two messages are as
    close as the share of words they have in common."""

    def __init__(self, passages: list[Any] | None = None, facts: Any = None) -> None:
        from pathwise.knowledge.corpus import bundled_article
        from pathwise.knowledge.facts import bundled_facts

        self.passages = list(passages if passages is not None else bundled_article().passages)
        self.facts = facts if facts is not None else bundled_facts()
        self.queries: list[str] = []

    def embed(self, text: str) -> Any:
        return text

    def embed_many(self, texts: list[str]) -> list[Any]:
        return list(texts)

    def classify(self, vector: Any, *, traits: bool = False, text: str = "") -> dict[str, float]:
        return {}  # the nearest examples alone read a message here; no clause reads as a trait

    def asks(self, text: str) -> float:
        return 0.0  # no clause reads as asking by its form: punctuation alone says

    def neighbours(self, vector: Any, k: int = 10, *, traits: bool = False) -> list[tuple[Any, float]]:
        from pathwise.knowledge.bank import bundled_examples

        words = _terms(str(vector))
        scored = []
        for e in bundled_examples():
            if e.route != "ask" and (e.route == "trait") == traits:  # as the store: bare asks are no neighbours
                theirs = _terms(e.q)
                scored.append((e, len(words & theirs) / (len(words | theirs) or 1)))
        scored.sort(key=lambda s: -s[1])
        return scored[:k]

    def asks_fit(self, vector: Any) -> float:
        from pathwise.knowledge.bank import bundled_examples

        words = _terms(str(vector))
        asks = [_terms(e.q) for e in bundled_examples() if e.route == "ask"]
        return max((len(words & theirs) / (len(words | theirs) or 1) for theirs in asks), default=0.0)

    def lexical_neighbours(self, text: str, k: int = 10) -> tuple[list[tuple[Any, float]], float]:
        return [], 0.0

    def passage_topics(self, ids: list[str]) -> dict[str, float]:
        return {}

    def knows(self, term: str) -> bool:
        return True

    def respelled(self, text: str, keep: frozenset[str] = frozenset()) -> str:
        return text  # every word is known: none is misspelt

    def adjacent(self, ids: list[str]) -> list[str]:
        return list(ids)

    def passage_path(self, pid: str) -> str | None:
        return None

    def sentence_key_similarity(self, vector: Any, hits: list[Any]) -> dict[str, float]:
        return {}  # sentences are chosen by their own words and meaning here

    def sentence_similarity(self, text: str, hits: list[Any], vector: Any = None) -> dict[str, float]:
        return {}

    def search(self, query: str, k: int = 5, *, vector: Any = None, reading: bool = False) -> list[Any]:
        from pathwise.knowledge.types import Hit

        self.queries.append(query)
        terms = {w for w in _terms(query) if len(w) > 2}
        scored = []
        for p in self.passages:
            words = _terms(p.text + " " + p.section)
            score = sum(1 for t in terms if t in words)
            if score:
                scored.append((score, -p.order, p))
        scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
        return [Hit(id=p.id, text=p.text, section=p.section, score=float(s)) for s, _, p in scored[:k]]

    def get(self, ids: list[str]) -> list[Any]:
        from pathwise.knowledge.types import Hit

        by_id = {p.id: p for p in self.passages}
        return [Hit(id=i, text=by_id[i].text, section=by_id[i].section, score=1.0) for i in ids if i in by_id]


def _terms(text: str) -> set[str]:
    import re

    return {w.rstrip("s") for w in re.findall(r"[a-z0-9]+", text.lower())}
