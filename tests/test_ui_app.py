"""The web app, served on 127.0.0.1 and driven through gradio_client; and the pure pieces it shows.

The served tests use the real offline Advisor over a temporary data dir (PATHWISE_CACHE_DIR
should point at an existing ONNX export so start-up stays quick).
"""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathwise.agent import guards
from pathwise.agent.models import Citation, FitResult, Reason, Turn
from pathwise.bench.servers import free_port
from pathwise.errors import ConfigError
from pathwise.ui import render
from pathwise.ui.app import api_json, chat_messages, fit_html, parse_auth, too_long
from pathwise.ui.conversation import Conversations

# These tests send requests faster than a person would; the rate limit has its own tests (test_security.py).
UNLIMITED = {"rate_limit_per_minute": 100_000, "rate_limit_burst": 100_000}


@pytest.fixture(scope="module")
def advisor(ui_advisor):  # type: ignore[no-untyped-def]
    return ui_advisor


@pytest.fixture(scope="module")
def served(advisor) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from pathwise.ui.app import serve

    app = serve(host="127.0.0.1", port=free_port(), advisor=advisor, block=False)
    try:
        yield app.local_url
    finally:
        app.close()


def test_serve_freezes_its_startup_heap_once_the_page_is_up(advisor, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from pathwise import process
    from pathwise.ui.app import serve

    calls: list[None] = []
    monkeypatch.setattr(process, "ready", lambda: calls.append(None))
    app = serve(host="127.0.0.1", port=free_port(), advisor=advisor, block=False)
    app.close()
    assert calls == [None]


@pytest.fixture
def client(served: str):  # type: ignore[no-untyped-def]
    """A new client is a new browser session."""
    from gradio_client import Client

    return Client(served, verbose=False)


# -- served, through gradio_client -------------------------------------------------------


def test_chat_turn_returns_a_cited_answer(client) -> None:  # type: ignore[no-untyped-def]
    turn = client.predict("How much do automation specialists earn?", api_name="/chat")
    assert "₹30-80k" in turn["answer"]
    assert turn["mode"] == "offline" and turn["in_scope"]
    assert turn["citations"], "an answer from the article cites its passage"
    cited = turn["citations"][0]
    assert cited["section"] == "What Actually Happens After You Learn"
    assert "₹30-80k monthly" in cited["text"]
    assert 2 <= len(turn["follow_ups"]) <= 3


def test_follow_up_resolves_within_a_session_and_not_across(served: str, client) -> None:  # type: ignore[no-untyped-def]
    from gradio_client import Client

    client.predict("How much do automation specialists earn?", api_name="/chat")
    follow = client.predict("And AI engineers?", api_name="/chat")
    assert "3-6" in follow["answer"]
    assert follow["citations"]

    stranger = Client(served, verbose=False).predict("And AI engineers?", api_name="/chat")
    assert "3-6" not in stranger["answer"], "another session must not inherit this one's topic"


def test_fit_endpoint_returns_a_recommendation_with_reasons(client) -> None:  # type: ignore[no-untyped-def]
    result = client.predict(
        right_once_or_repeatedly="right_once",
        energy_from="depth",
        when_stuck="think_harder",
        red_flags=["hates_interruptions"],
        api_name="/fit",
    )
    assert result["recommended"] == "engineering"
    assert result["scores"] == {"engineering": 7.0, "automation": 0.0}
    assert [r["towards"] for r in result["reasons"]] == ["engineering"] * 4
    assert all(r["quote"] for r in result["reasons"]), "every reason quotes the article"
    assert "18 months" in result["caveat"]


def test_fit_endpoint_rejects_an_unknown_answer_with_its_field(client) -> None:  # type: ignore[no-untyped-def]
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="energy_from"):
        client.predict(energy_from="sideways", api_name="/fit")


def test_feedback_is_persisted_in_sqlite(client, advisor) -> None:  # type: ignore[no-untyped-def]
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="no answer to rate yet"):
        client.predict(turn=-1, liked=True, api_name="/feedback")
    client.predict("When do automation specialists burn out?", api_name="/chat")
    saved = client.predict(turn=0, liked=False, api_name="/feedback")

    path = Path(advisor.settings.home) / "feedback.sqlite3"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        row = db.execute(
            "SELECT turn, liked, mode, question, answer, citations FROM feedback WHERE id = ?", (saved["id"],)
        ).fetchone()
    turn, liked, mode, question, answer, citations = row
    assert (turn, liked, mode) == (0, 0, "offline")
    assert question == "When do automation specialists burn out?"
    assert "18-24" in answer and citations


def test_llm_mode_with_login_and_a_visible_fallback(shared_home: Path, model_cache: Path) -> None:
    """PATHWISE_AUTH turns on the login; an LLM answer says so; a failed one says why it is offline."""
    from fake_openai import call, say, scripted_model
    from gradio_client import Client

    from pathwise.agent.advisor import Advisor
    from pathwise.config import Settings
    from pathwise.knowledge.corpus import bundled_article
    from pathwise.ui.app import serve

    income = next(p.id for p in bundled_article().passages if p.text.startswith("Automation Specialists: ₹10-30k"))
    model = scripted_model(  # one question's worth of script; the second question finds it empty and fails
        call("search_passages", query="automation specialist income"),
        say(f"Automation Specialists earn ₹30-80k monthly in months 6-18 [p:{income}].\nFollow-ups: And AI engineers?"),
    )
    settings = Settings(home=shared_home, cache_dir=model_cache, **UNLIMITED, auth="ann:s3cret")
    app = serve(host="127.0.0.1", port=free_port(), advisor=Advisor.create(settings, chat_model=model), block=False)
    try:
        with pytest.raises(Exception, match="(?i)login|auth|401|403"):
            Client(app.local_url, verbose=False)
        client = Client(app.local_url, auth=("ann", "s3cret"), verbose=False)
        turn = client.predict("How much do automation specialists earn?", api_name="/chat")
        assert turn["mode"] == "llm" and turn["notice"] is None
        assert turn["answer"] == f"Automation Specialists earn ₹30-80k monthly in months 6-18 [p:{income}]."
        assert [c["id"] for c in turn["citations"]] == [income]

        fallback = client.predict("When do AI engineers burn out?", api_name="/chat")
        assert fallback["mode"] == "offline"
        assert fallback["notice"].startswith("Offline mode for this answer:")
        assert "8-14" in fallback["answer"]
    finally:
        app.close()


def test_oversized_message_gets_the_clear_message(client, advisor) -> None:  # type: ignore[no-untyped-def]
    from gradio_client.exceptions import AppError

    limit = advisor.settings.max_message_chars
    with pytest.raises(AppError, match=f"limit is {limit:,}"):
        client.predict("a" * (limit + 1), api_name="/chat")
    assert client.predict("a" * (limit - 10) + " burnout?", api_name="/chat")["answer"]


@pytest.mark.parametrize(
    "message",
    [
        "<img src=x onerror=alert(1)>",
        "<img src=x onerror=alert(1)> How much do AI engineers earn?",
        "How much do AI engineers earn? <script>alert(1)</script> ![x](http://evil.example/p.png)",
    ],
    ids=["html only", "html and a question", "script and markdown image"],
)
def test_html_message_gets_no_raw_html_back(client, message: str) -> None:  # type: ignore[no-untyped-def]
    turn = client.predict(message, api_name="/chat")
    assert "<img" not in turn["answer"] and "<script" not in turn["answer"] and "evil.example" not in turn["answer"]
    assert turn["answer"].strip()


# -- the pure pieces ---------------------------------------------------------------------------

ALLOW = ("example.org",)


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("AI Engineers: ₹3-6L (12-24) & more > less", ["AI Engineers: ₹3-6L (12-24) & more > less"], []),
        ("<img src=x onerror=alert(1)>", ["&lt;img src=x onerror=alert(1)>"], ["<img"]),
        ("<script>alert(1)</script>", ["&lt;script>"], ["<script"]),
        ('<a href="https://evil.com">x</a>', ["&lt;a href="], ["<a", "evil.com"]),
        ("![chart](https://evil.com/p.png)", [], ["evil.com", "!["]),
        ("![chart](https://example.org/p.png)", [], ["example.org", "!["]),
        ("![chart][r]\n\n[r]: https://evil.com/p.png", [], ["evil.com", "[r]:"]),
        ("[![a](https://evil.com/i.png)](https://evil.com)", [], ["evil.com", "!["]),
        ("[read this](https://evil.com/x)", ["read this"], ["evil.com", "]("]),
        ("[docs](https://example.org/guide)", ["[docs](https://example.org/guide)"], []),
        ("[docs](https://docs.example.org/guide)", ["[docs](https://docs.example.org/guide)"], []),
        ("[docs](https://example.org.evil.com/)", ["docs"], ["evil.com"]),
        ("[docs](http://example.org@evil.com/)", ["docs"], ["evil.com"]),
        ("[x](javascript:alert(1))", ["x"], ["javascript:"]),
        ("see https://evil.com/x now", ["see (link removed) now"], ["evil.com"]),
        ("see www.evil.com now", ["(link removed)"], ["evil.com"]),
        ("see <https://evil.com>", [], ["evil.com", "<https"]),
        ("data:text/html;base64,PHNjcmlwdD4=", ["(link removed)"], ["data:"]),
        ("mail me@evil.com", ["(link removed)"], ["evil.com"]),
        ("see https://example.org/x", ["https://example.org/x"], []),
        ("!\\[x](https://evil.com/p.png)", [], ["evil.com"]),
        ("[r]: https://example.org/ok\n\n[docs][r]", ["[r]: https://example.org/ok"], []),
    ],
    ids=[
        "plain text unchanged",
        "raw img tag escaped",
        "script escaped",
        "html link escaped and dropped",
        "markdown image dropped",
        "image dropped even from an allowed host",
        "reference image dropped",
        "linked image dropped",
        "link to other host unwrapped",
        "link to allowed host kept",
        "subdomain of allowed host kept",
        "look-alike host dropped",
        "userinfo trick dropped",
        "javascript link dropped",
        "bare url removed",
        "www url removed",
        "autolink removed",
        "data uri removed",
        "email removed",
        "bare url to allowed host kept",
        "escaped image bracket",
        "reference definition to allowed host kept",
    ],
)
def test_safe_markdown(text: str, present: list[str], absent: list[str]) -> None:
    out = render.safe_markdown(text, ALLOW)
    for s in present:
        assert s in out
    for s in absent:
        assert s not in out


def test_default_allowlist_keeps_no_links() -> None:
    assert render.safe_markdown("[docs](https://example.org/x)") == "docs"


@pytest.mark.parametrize(
    ("hostile", "agent_keeps", "page_shows"),
    [
        ("See ![chart](https://evil.example/x.png?d=secret) here.", "See here.", "See here."),
        ("Try ![a][r] this.\n\n[r]: https://evil.example/p.png", "Try this.", "Try this."),
        ("Read [the post](https://evil.example/p).", "Read the post.", "Read the post."),
        ("Click [me](javascript:alert(1)).", "Click me.", "Click me."),
        ('<img src="https://evil.example/p.png" onerror="alert(1)">', "", '&lt;img src="(link removed) onerror="alert(1)">'),
        (
            'Read <a href="https://evil.example/p">the post</a>.',
            "Read the post.",
            'Read &lt;a href="(link removed)>the post&lt;/a>.',
        ),
        ('<a href="javascript:alert(1)">me</a>', "me", '&lt;a href="(link removed)>me&lt;/a>'),
        (
            'A <iframe src="https://evil.example/x"></iframe> frame.',
            "A frame.",
            'A &lt;iframe src="(link removed)>&lt;/iframe> frame.',
        ),
    ],
    ids=[
        "markdown image",
        "reference image",
        "link to another host",
        "javascript link",
        "html img",
        "html a",
        "html javascript a",
        "html iframe",
    ],
)
def test_the_page_and_the_agent_remove_the_same_links_and_images(hostile: str, agent_keeps: str, page_shows: str) -> None:
    shown = render.safe_markdown(hostile)
    assert guards.sanitize(hostile).strip() == agent_keeps
    assert shown.strip() == page_shows
    # The same result: the page keeps what the agent keeps; raw HTML it shows as text where the agent deletes it.
    assert guards.sanitize(html.unescape(shown)).strip() == agent_keeps
    for live in ("evil.example", "javascript:", "![", "<"):
        assert live not in shown


HOSTILE = [
    "<b>",
    "</b>",
    "<",
    ">",
    "![a](https://evil.io/i.png)",
    "[t](https://evil.io/p)",
    "[d](https://example.org/d)",
    "https://evil.io/q",
    "<https://evil.io/r>",
    "www.evil.io",
    "me@evil.io",
    "[r]: https://evil.io/s",
    "<iframe src=",
    "<img src=",
    '"',
    "javascript:x",
    "data:x",
    "word",
    " ",
    "\n",
    "[",
    "]",
    "(",
    ")",
    "!",
    "<!--",
    "-->",
    "&",
]


@given(st.lists(st.sampled_from(HOSTILE), max_size=25).map("".join))
def test_the_page_has_no_sanitiser_of_its_own(text: str) -> None:
    shown = render.safe_markdown(text, ALLOW)
    assert shown == guards.sanitize(text, ALLOW, html="escape", removed=render.LINK_REMOVED)
    assert "evil.io" not in shown and "javascript:" not in shown.lower() and "<" not in shown


def turn(**kw) -> Turn:  # type: ignore[no-untyped-def]
    base = {
        "answer": "Burnout hits at months 8-14 [p:aaaa1111bbbb2222] and 18-24 [p:cccc3333dddd4444, p:ffff0000ffff0000].",
        "citations": [
            Citation(
                id="aaaa1111bbbb2222", section="The <b>Part</b>", text="AI Engineers hit the wall.\nThe <img src=x> data wall."
            ),
            Citation(id="cccc3333dddd4444", section="Breaks", text="Automation Specialists break at months 18-24."),
        ],
    }
    return Turn(**(base | kw))


def test_answer_shows_numbered_citations_and_escaped_sources() -> None:
    out = render.answer_markdown(turn())
    assert "months 8-14 [1] and 18-24 [2]." in out, "markers numbered, the unknown id dropped"
    assert "p:" not in out
    assert '<details class="pw-sources"><summary>Sources (2)</summary>' in out
    assert "The &lt;b&gt;Part&lt;/b&gt;" in out and "&lt;img src=x&gt;" in out
    assert "<b>" not in out and "<img" not in out
    assert "\n\n" not in out.split("<details")[1], "no blank line inside the HTML block"


def test_answer_shows_the_notice_escaped() -> None:
    out = render.answer_markdown(turn(notice="Offline mode for this answer: <b>timeout</b>", citations=[]))
    assert '<p class="pw-notice">⚠ Offline mode for this answer: &lt;b&gt;timeout&lt;/b&gt;</p>' in out
    assert "<details" not in out


def test_partial_answer_hides_half_written_markers() -> None:
    assert render.partial_answer("Months 8-14 [p:aaaa1111bbbb2222] and [p:cc") == "Months 8-14 and ▍"
    assert render.partial_answer("<img src=x") == "&lt;img src=x ▍"


def test_chat_messages_escape_what_the_person_typed() -> None:
    msgs = chat_messages([("<img src=x onerror=alert(1)>", turn())], pending="next ![x](http://e.vil/a.png)", partial="So far")
    assert [m["role"] for m in msgs] == ["user", "assistant", "user", "assistant"]
    assert msgs[0]["content"] == "&lt;img src=x onerror=alert(1)>"
    assert "e.vil" not in msgs[2]["content"]
    assert msgs[3]["content"] == "So far ▍"


def test_badge_names_the_mode_and_why() -> None:
    out = render.badge_html("offline", "Offline mode: no OPENAI_API_KEY is set, so answers come straight from the article.")
    assert ">Offline mode</span>" in out and "No OPENAI_API_KEY is set" in out
    assert ">LLM mode</span>" in render.badge_html("llm")


def test_conversation_exports_as_markdown() -> None:
    out = render.conversation_markdown([("When does burnout hit?", turn()), ("<b>bold?</b>", turn(answer="No.", citations=[]))])
    assert out.startswith("# pathwise conversation\n")
    assert "## You\n\nWhen does burnout hit?" in out
    assert "## pathwise (Offline mode)" in out
    assert "months 8-14 [1] and 18-24 [2]." in out
    assert "1. *The &lt;b>Part&lt;/b>*: “AI Engineers hit the wall. The &lt;img src=x> data wall.”" in out
    assert "&lt;b>bold?&lt;/b>" in out


def test_fit_html_shows_points_quotes_and_caveat() -> None:
    result = FitResult(
        recommended="automation",
        scores={"engineering": 0.0, "automation": 3.0},
        reasons=[
            Reason(
                signal="energy_from",
                answer="recover energy from breadth",
                path="automation",
                points=2,
                quote="Novelty <is> energizing.",
            )
        ],
        margin=1.0,
        caveat="Pick one for 18 months minimum.",
    )
    out = fit_html(result)
    assert "Points to <strong>AI Automation Specialist</strong> (3 vs 0)" in out
    assert "+2 AI Automation Specialist" in out and "Recover energy from breadth" in out
    assert "“Novelty &lt;is&gt; energizing.”" in out
    assert "Pick one for 18 months minimum." in out


def test_api_json_renames_path_so_clients_do_not_fetch_it() -> None:
    out = api_json(
        FitResult(
            recommended="undecided",
            scores={},
            reasons=[Reason(signal="s", answer="a", path="engineering", points=1, quote="q")],
            margin=1,
        )
    )
    assert out["reasons"][0] == {"signal": "s", "answer": "a", "towards": "engineering", "points": 1.0, "quote": "q"}


@pytest.mark.parametrize(
    ("n", "limit", "expected"), [(10, 10, None), (11, 10, "Your message is 11 characters long; the limit is 10.")]
)
def test_too_long(n: int, limit: int, expected: str | None) -> None:
    out = too_long("x" * n, limit)
    assert out == expected if expected is None else out.startswith(expected)


@pytest.mark.parametrize(("raw", "expected"), [(None, None), ("", None), ("ann:s3cret:x", ("ann", "s3cret:x"))])
def test_parse_auth(raw: str | None, expected: tuple[str, str] | None) -> None:
    assert parse_auth(raw) == expected


@pytest.mark.parametrize("raw", ["ann", ":pw", "ann:"])
def test_parse_auth_rejects_malformed(raw: str) -> None:
    with pytest.raises(ConfigError, match="user:password"):
        parse_auth(raw)


def test_undo_forgets_the_undone_turn_for_follow_ups(advisor) -> None:  # type: ignore[no-untyped-def]
    conv = Conversations().get("undo-test")
    for question in ("How much do automation specialists earn?", "When do automation specialists burn out?"):
        conv.exchanges.append((question, advisor.reply(conv.thread, question)))
    dropped = conv.rewind(advisor, 1)
    assert [q for q, _ in dropped] == ["When do automation specialists burn out?"]
    assert [q for q, _ in conv.exchanges] == ["How much do automation specialists earn?"]
    assert [q for q, _ in advisor.history(conv.thread)] == ["How much do automation specialists earn?"]
    assert "3-6" in advisor.reply(conv.thread, "And AI engineers?").answer, "resolves against the kept income question"


def test_conversations_are_bounded() -> None:
    convs = Conversations(max_sessions=2)
    first = convs.get("a")
    convs.get("b")
    assert convs.get("a") is first
    convs.get("c")
    assert len(convs) == 2 and convs.get("a") is first, "the least recently used one ('b') went"


# -- charts: drawn from the facts ----------------------------------------------------------------


SVG = "{http://www.w3.org/2000/svg}"


def parse_svg(svg: str):  # type: ignore[no-untyped-def]
    import xml.etree.ElementTree as ET

    return ET.fromstring(svg)  # well-formed, or this raises


def chart_texts(svg: str, cls: str = "pw-label") -> list[str]:
    """The chart's data labels (not its ticks or title), each with its lines joined by newlines."""
    return [
        "\n".join(span.text or "" for span in t.iter(f"{SVG}tspan"))
        for t in parse_svg(svg).iter(f"{SVG}text")
        if t.get("class") == cls
    ]


def test_income_chart_draws_each_band_as_a_range_from_the_facts(advisor) -> None:  # type: ignore[no-untyped-def]
    from pathwise.ui import charts

    facts = advisor.facts
    for compact in (False, True):
        svg = charts.income_chart(facts, compact=compact)
        boxes = {
            (r.get("data-path"), r.get("data-months"), r.get("data-rupees")): r
            for r in parse_svg(svg).iter(f"{SVG}rect")
            if r.get("class") == "pw-band"
        }
        for b in facts.incomes:
            rupees = f"{b.low:g}-{b.high:g}" if b.low and b.high else "0" if b.high == 0 else "none"
            assert (b.path, charts.period_label(b.months_from, b.months_to), rupees) in boxes, b.figure
        eng = {k[1]: float(r.get("y")) for k, r in boxes.items() if k[0] == "engineering"}
        assert eng["months 48+"] < eng["months 24-48"] < eng["months 12-24"], "more ₹, higher up"
        texts = " | ".join(chart_texts(svg)).replace("\n", " ")
        assert all(b.figure.split(" ")[0] in texts for b in facts.incomes)
        assert "Variable consulting rates (no ₹ figure)" in texts

    changed = facts.model_copy(
        update={
            "incomes": [
                b.model_copy(update={"figure": "₹7-9L", "low": 7e5, "high": 9e5}) if b.figure == "₹3-6L" else b
                for b in facts.incomes
            ]
        }
    )
    texts = chart_texts(charts.income_chart(changed))
    assert "₹7-9L" in " ".join(texts) and "₹3-6L" not in " ".join(texts), "labels come from the facts, not from the chart code"


def test_burnout_chart_and_fit_chart_show_their_numbers(advisor) -> None:  # type: ignore[no-untyped-def]
    from pathwise.agent.fit import FitAnswers
    from pathwise.ui import charts

    texts = chart_texts(charts.burnout_chart(advisor.facts))
    assert texts == [f"months {b.months_from}-{b.months_to}: {b.causes}" for b in advisor.facts.burnout]
    assert texts[0] == "months 8-14: data wall, ambiguity"
    fit = advisor.fit(FitAnswers(energy_from="breadth", preferences=["speed"]))
    assert chart_texts(charts.fit_chart(fit)) == ["0", "3"]


def test_income_chart_labels_each_band_with_the_unit_the_article_gives_it(advisor) -> None:  # type: ignore[no-untyped-def]
    from pathwise.ui import charts

    svg = charts.income_chart(advisor.facts)
    texts = " | ".join(chart_texts(svg)).replace("\n", " ")
    assert "₹30-80k (a month)" in texts and "₹10-30k (a project)" in texts and "₹3-6L (period not stated)" in texts
    (caption,) = chart_texts(svg, "pw-caption")
    assert "per month" in caption and "not stated" in caption


def test_charts_name_their_figures_for_screen_readers(advisor) -> None:  # type: ignore[no-untyped-def]
    from pathwise.ui import charts

    title = parse_svg(charts.income_chart(advisor.facts)).find(f"{SVG}title")
    assert title is not None and "AI Engineer ₹3-6L (months 12-24)" in (title.text or "")
