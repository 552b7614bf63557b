"""The real ChatOpenAI client against a local fake server: the wire format, and every fault.

Each fault must surface as ``LLMUnavailable`` with a reason a person can read, leave the
session's history clean, and let the next turn work.
"""

from __future__ import annotations

import logging
import re
import threading
import time

import pytest
from fake_openai import (
    HANG_CAP_SECONDS,
    CutStream,
    FakeKB,
    FakeOpenAI,
    Garbled,
    Hang,
    Malformed,
    Reply,
    Status,
    ToolCall,
    closed_port_url,
)

from pathwise.agent.llm import LLMAgent, build_chat_model
from pathwise.config import Settings
from pathwise.errors import LLMUnavailable
from pathwise.knowledge.corpus import bundled_article

WALL = next(p.id for p in bundled_article().passages if p.text.startswith("AI Engineers hit the wall"))
ANSWER = f"AI Engineers hit the wall at months 8-14 [p:{WALL}].\nFollow-ups: What breaks automation? | What pays sooner?"
SEARCH = Reply(tool_calls=[ToolCall("search_passages", {"query": "when do AI engineers hit the wall"})])
SECRET = "sk-test-DO-NOT-LOG-1234"


@pytest.fixture
def server():
    with FakeOpenAI() as s:
        yield s


def settings_for(base_url: str, tmp_path, **overrides) -> Settings:
    values = dict(home=tmp_path, openai_api_key=SECRET, openai_base_url=base_url, llm_timeout=2.0, llm_max_retries=0)
    return Settings(**(values | overrides))


def agent_for(settings: Settings, *, json_only: bool = False) -> LLMAgent:
    model = build_chat_model(settings)
    if json_only:  # never stream: plain JSON responses
        model = model.model_copy(update={"streaming": False, "disable_streaming": True})
    return LLMAgent(FakeKB(), model, settings=settings)


# -- the wire format ------------------------------------------------------------------


@pytest.mark.parametrize("json_only", [False, True], ids=["sse", "json"])
def test_a_turn_over_the_wire_with_a_tool_call(server, tmp_path, json_only):
    server.enqueue(SEARCH, Reply(ANSWER))
    agent = agent_for(settings_for(server.base_url, tmp_path), json_only=json_only)
    turn = agent.reply("s", "When do AI engineers burn out?")

    assert turn.mode == "llm"
    assert turn.answer == f"AI Engineers hit the wall at months 8-14 [p:{WALL}]."
    assert [c.id for c in turn.citations] == [WALL]
    assert turn.follow_ups == ["What breaks automation?", "What pays sooner?"]

    first, second = server.requests
    assert first.stream is (not json_only) and second.stream is (not json_only)
    assert first.headers["authorization"] == f"Bearer {SECRET}"
    assert [t["function"]["name"] for t in first.body["tools"]] == ["search_passages", "lookup_facts", "score_fit"]
    # The first request carries the search made for the question, as a tool call and its result.
    assert [m["role"] for m in first.messages] == ["system", "user", "assistant", "tool"]
    [searched] = first.messages[2]["tool_calls"]
    assert searched["function"] == {"name": "search_passages", "arguments": '{"query": "When do AI engineers burn out?"}'}
    assert first.messages[3]["tool_call_id"] == searched["id"]
    # The second adds the model's own search and its result.
    assert [m["role"] for m in second.messages] == ["system", "user", "assistant", "tool", "assistant", "tool"]
    assert second.messages[4]["tool_calls"][0]["function"]["name"] == "search_passages"
    assert f'<passage id="p:{WALL}"' in second.messages[5]["content"]
    assert server.unscripted == 0


def test_text_is_shown_while_the_server_still_streams_and_adds_up_to_the_answer(server, tmp_path):
    long = f"AI Engineers hit the wall at months 8-14 [p:{WALL}]. " + "Real data is messy and the model is not converging. " * 4
    resume = threading.Event()
    server.enqueue(SEARCH, Reply(long, pause_after=30, resume=resume))
    # The server stays silent until the first text reaches us: the read timeout must outlast a busy machine.
    agent = agent_for(settings_for(server.base_url, tmp_path, llm_timeout=10.0))
    stream = agent.stream("s", "When do AI engineers burn out?")

    first = next(stream)  # the server holds back all but 30 words until this arrives
    resume.set()
    events = [first, *stream]

    tokens = [e.text for e in events if e.kind == "token"]
    assert first.kind == "token" and long.startswith(first.text)
    assert [e.kind for e in events][-1] == "turn" and len(tokens) > 1
    assert "".join(tokens) == events[-1].turn.answer == long.strip()


def test_a_turn_abandoned_midway_hangs_up_on_the_server(server, tmp_path):
    endless = (
        f"AI Engineers hit the wall at months 8-14 [p:{WALL}]. " + "Real data is messy and the model is not converging. " * 20_000
    )
    server.enqueue(SEARCH, Reply(endless))
    agent = agent_for(settings_for(server.base_url, tmp_path, llm_timeout=10.0))
    stream = agent.stream("s", "When do AI engineers burn out?")

    assert next(stream).kind == "token"
    stream.close()  # the person pressed stop, or left

    # A client still reading takes all 200,000 words; one that stopped leaves the server's writes nowhere to go.
    assert server.hung_up.wait(HANG_CAP_SECONDS)
    assert agent.history("s") == []


def test_the_second_turn_sends_the_first_over_the_wire(server, tmp_path):
    server.enqueue(SEARCH, Reply(ANSWER), Reply("The data wall is the cause."))
    agent = agent_for(settings_for(server.base_url, tmp_path))
    agent.reply("s", "When do AI engineers burn out?")
    agent.reply("s", "Why?")

    sent = [(m["role"], m["content"]) for m in server.requests[-1].messages]
    assert sent[1:4] == [
        ("user", "When do AI engineers burn out?"),
        ("assistant", f"AI Engineers hit the wall at months 8-14 [p:{WALL}]."),
        ("user", "Why?"),
    ]
    assert [role for role, _ in sent[4:]] == ["assistant", "tool"]  # the search made for "Why?"


def test_a_429_then_success_is_retried(server, tmp_path):
    server.enqueue(Status(429, headers={"retry-after-ms": "1"}), Reply("Pick one path and commit."))
    agent = agent_for(settings_for(server.base_url, tmp_path, llm_max_retries=1))

    assert agent.reply("s", "What should I do?").answer == "Pick one path and commit."
    assert len(server.requests) == 2


# -- faults ------------------------------------------------------------------------------

FAULTS = [
    pytest.param([Status(401, "Incorrect API key provided")], 0, "the model service refused the API key", id="401"),
    pytest.param([Status(429, headers={"retry-after-ms": "1"})] * 2, 1, "the model service is busy", id="429-after-retries"),
    pytest.param([Status(500)], 0, "the model service had an internal error", id="500"),
    pytest.param([Malformed()], 0, "the model's reply could not be read", id="malformed-json"),
    pytest.param([Garbled()], 0, "the model's reply could not be read", id="http-200-not-json"),
    pytest.param(
        [Garbled("<html><h1>502 Bad Gateway</h1></html>", "text/html")],
        0,
        "the model's reply could not be read",
        id="http-200-html-page",
    ),
    pytest.param([CutStream(ANSWER, after=3)], 0, "the connection to the model service dropped mid-answer", id="stream-cut"),
    pytest.param(
        [SEARCH, CutStream(ANSWER, after=3)],
        0,
        "the connection to the model service dropped mid-answer",
        id="stream-cut-after-tool",
    ),
    pytest.param([SEARCH, Status(500)], 0, "the model service had an internal error", id="500-after-tool"),
    pytest.param(
        [SEARCH, CutStream(ANSWER, after=3, clean=True)], 0, "ended the answer without finishing it", id="stream-ends-early"
    ),
    pytest.param(
        [Reply(ANSWER, finish_reason="length")], 0, "the model's answer was cut off at its length limit", id="length-limit"
    ),
]


@pytest.mark.parametrize(("scripts", "retries", "reason"), FAULTS)
def test_each_fault_is_llm_unavailable_with_a_reason(server, tmp_path, scripts, retries, reason):
    server.enqueue(*scripts)
    agent = agent_for(settings_for(server.base_url, tmp_path, llm_max_retries=retries))
    with pytest.raises(LLMUnavailable) as caught:
        list(agent.stream("s", "When do AI engineers burn out?"))

    assert reason in str(caught.value)
    assert server.pending == 0, "every scripted response was consumed"
    # The failed turn left nothing behind, and the next one works.
    assert agent.history("s") == []
    server.enqueue(Reply("The article says to pick one path."))
    assert agent.reply("s", "And now?").answer == "The article says to pick one path."
    assert [m["role"] for m in server.requests[-1].messages] == ["system", "user", "assistant", "tool"]


def test_a_hanging_server_times_out(server, tmp_path):
    release = threading.Event()
    server.enqueue(Hang(release))
    agent = agent_for(settings_for(server.base_url, tmp_path, llm_timeout=0.3))
    started = time.perf_counter()
    try:
        with pytest.raises(LLMUnavailable, match=r"did not answer within 0\.3 s"):
            agent.reply("s", "When do AI engineers burn out?")
    finally:
        release.set()
    assert time.perf_counter() - started < 3


def test_a_refused_connection(tmp_path):
    agent = agent_for(settings_for(closed_port_url(), tmp_path))
    with pytest.raises(LLMUnavailable, match=r"cannot reach the model service at http://127\.0\.0\.1:\d+/v1"):
        agent.reply("s", "When do AI engineers burn out?")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        pytest.param({"openai_api_key": None}, "no API key is set (OPENAI_API_KEY)", id="no-key"),
        pytest.param({"openai_api_key": "  "}, "no API key is set (OPENAI_API_KEY)", id="blank-key"),
        pytest.param({"offline": True}, "offline mode is on", id="offline"),
    ],
)
def test_no_model_without_a_key(tmp_path, overrides, reason):
    with pytest.raises(LLMUnavailable) as caught:
        build_chat_model(settings_for("http://127.0.0.1:9/v1", tmp_path, **overrides))
    assert str(caught.value) == reason


def test_the_factory_sets_timeout_retries_and_endpoint(tmp_path):
    model = build_chat_model(
        settings_for("http://127.0.0.1:9/v1", tmp_path, llm_timeout=7.5, llm_max_retries=3, model="local-llama")
    )

    assert (model.request_timeout, model.max_retries, model.model_name) == (7.5, 3, "local-llama")
    assert model.openai_api_base == "http://127.0.0.1:9/v1"


def test_the_api_key_never_reaches_the_log(server, tmp_path, caplog):
    server.enqueue(Status(401, "Incorrect API key provided"))
    agent = agent_for(settings_for(server.base_url, tmp_path))
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(LLMUnavailable):
            agent.reply("s", "When do AI engineers burn out?")

    assert any(r.name == "pathwise.llm" for r in caplog.records)
    assert SECRET not in caplog.text
    assert "DO-NOT-LOG" not in caplog.text


# -- what the person and the log see of each fault ---------------------------------------

TOLD = [
    pytest.param([Status(401, "Incorrect API key provided")], {}, "the model service refused the API key", id="401"),
    pytest.param([Status(429, headers={"retry-after-ms": "1"})], {}, "the model service is busy", id="429"),
    pytest.param([Status(503)], {}, "the model service had an internal error", id="503"),
    pytest.param([Garbled()], {}, "the model's reply could not be read", id="http-200-not-json"),
    pytest.param(
        [Garbled("not json", "application/json")],
        {"json_only": True},
        "the model's reply could not be read",
        id="http-200-not-json-unstreamed",
    ),
    pytest.param([Malformed()], {}, "the model's reply could not be read", id="broken-event"),
    pytest.param([CutStream(ANSWER, after=3)], {}, "the connection to the model service dropped mid-answer", id="stream-cut"),
    pytest.param(
        [Reply(ANSWER, finish_reason="length")], {}, "the model's answer was cut off at its length limit", id="length-limit"
    ),
    pytest.param(
        [Reply("AI Engineers hit the wall at months 3-5, the article says.")],
        {},
        "gave figures the article does not state",
        id="invented-figure",
    ),
]


def _advisor(kb, settings: Settings, *, json_only: bool = False):
    """The advisor over the real knowledge base (the offline answer needs it) with the agent against ``settings``."""
    from pathwise.agent.advisor import Advisor

    model = build_chat_model(settings)
    if json_only:
        model = model.model_copy(update={"streaming": False, "disable_streaming": True})
    return Advisor(kb, settings=settings, llm=LLMAgent(kb, model, settings=settings))


def _told(advisor, caplog) -> tuple[str, list[logging.LogRecord]]:
    with caplog.at_level(logging.WARNING):
        turn = advisor.reply("s", "When do AI engineers burn out?")
    assert turn.mode == "offline" and turn.notice
    return turn.notice, [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize(("scripts", "options", "words"), TOLD)
def test_each_fault_is_one_warning_line_and_a_notice_in_words(kb, server, tmp_path, caplog, scripts, options, words):
    server.enqueue(*scripts)
    notice, warnings = _told(_advisor(kb, settings_for(server.base_url, tmp_path), **options), caplog)

    assert notice == f"Offline mode for this answer: {words}" or notice.endswith(words)
    assert not re.search(r"\(\d{3}\)|Error\b|Exception\b|\(\w+Error\)", notice), notice
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert warnings[0].exc_info is None and "Traceback" not in caplog.text


def test_a_timeout_is_one_warning_line_and_a_notice_in_words(kb, server, tmp_path, caplog):
    release = threading.Event()
    server.enqueue(Hang(release))
    try:
        notice, warnings = _told(_advisor(kb, settings_for(server.base_url, tmp_path, llm_timeout=0.3)), caplog)
    finally:
        release.set()
    assert notice.endswith("the model did not answer within 0.3 s")
    assert len(warnings) == 1 and warnings[0].exc_info is None


def test_an_unreachable_service_is_one_warning_line_and_a_notice_in_words(kb, tmp_path, caplog):
    notice, warnings = _told(_advisor(kb, settings_for(closed_port_url(), tmp_path)), caplog)
    assert "cannot reach the model service at http://127.0.0.1:" in notice
    assert len(warnings) == 1 and warnings[0].exc_info is None


def test_the_traceback_is_there_at_debug(kb, server, tmp_path, caplog):
    server.enqueue(Garbled())
    with caplog.at_level(logging.DEBUG, logger="pathwise.llm"):
        _advisor(kb, settings_for(server.base_url, tmp_path)).reply("s", "When do AI engineers burn out?")
    debug = [r for r in caplog.records if r.name == "pathwise.llm" and r.levelno == logging.DEBUG and r.exc_info]
    assert len(debug) == 1
