"""The web app: a thin Gradio adapter over the ``Advisor``.

``build_app(advisor)`` lays out three tabs (Chat, Find your fit, Compare) and three API
endpoints (``/chat``, ``/fit``, ``/feedback``); ``serve()`` opens the advisor, builds the page
and launches it on 127.0.0.1. There is no warm-up thread: once the advisor is open (about 2 s)
its first answer takes tens of milliseconds, and importing Gradio is the larger cost; opening
the two in parallel threads measured no faster (both hold the GIL). Gradio is imported inside
these functions only.
"""

import tempfile
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pathwise.agent.fit import ANSWER_LABELS, PREFERENCES, QUESTION_ANSWERS, RED_FLAGS, FitAnswers
from pathwise.agent.models import FitResult, Turn
from pathwise.errors import ConfigError, PathwiseError
from pathwise.ui import charts, render
from pathwise.ui.conversation import Conversation, Conversations
from pathwise.ui.feedback import open_feedback

if TYPE_CHECKING:
    import gradio as gr

    from pathwise.agent.advisor import Advisor
    from pathwise.config import Settings
    from pathwise.knowledge.facts import FactSheet

CONCURRENCY = 4  # answers computed at once; more wait in the queue
QUEUE_SIZE = 64  # waiting beyond this gets "queue full" instead of an ever-longer wait
FOLLOW_UPS = 3
PATH_NAME = {"engineering": "AI Engineer", "automation": "AI Automation Specialist"}


def too_long(message: str, limit: int) -> str | None:
    """The message shown instead of an answer when ``message`` is over the limit."""
    n = len(message.strip())
    if n <= limit:
        return None
    return f"Your message is {n:,} characters long; the limit is {limit:,}. Please shorten it and send it again."


def api_json(model: Any) -> dict[str, Any]:
    """A model as the API returns it. A reason's ``path`` is named ``towards``: gradio_client
    takes any object with a string ``path`` for a file and tries to download it."""

    def rename(value: Any) -> Any:
        if isinstance(value, dict):
            return {("towards" if k == "path" else k): rename(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rename(v) for v in value]
        return value

    return rename(model.model_dump(mode="json"))


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise ConfigError("PATHWISE_AUTH must look like user:password")
    return user, password


# -- pieces of the page, as plain data -----------------------------------------------------


def chat_messages(
    exchanges: list[tuple[str, Turn]], pending: str | None = None, partial: str | None = None
) -> list[dict[str, str]]:
    """The Chatbot's value: every shown exchange, then a question still being answered."""
    out: list[dict[str, str]] = []
    for user, turn in exchanges:
        out.append({"role": "user", "content": render.safe_markdown(user)})
        out.append({"role": "assistant", "content": render.answer_markdown(turn)})
    if pending is not None:
        out.append({"role": "user", "content": render.safe_markdown(pending)})
        if partial:
            out.append({"role": "assistant", "content": render.partial_answer(partial)})
    return out


def fit_html(result: FitResult) -> str:
    """The verdict, each answer's points with the article's sentence behind it, and the caveat."""
    e = render.escape
    eng, auto = result.scores.get("engineering", 0.0), result.scores.get("automation", 0.0)
    if not result.reasons:
        verdict = "Answer a question or tick a box to see your scores."
    elif result.recommended == "undecided":
        verdict = f"Too close to call: AI Engineer {eng:g}, AI Automation Specialist {auto:g}."
    else:
        verdict = f"Points to <strong>{e(PATH_NAME[result.recommended])}</strong> ({max(eng, auto):g} vs {min(eng, auto):g})."
    items = "".join(
        f'<li><span class="pw-pts pw-pts-{e(r.path)}">+{r.points:g} {e(PATH_NAME[r.path])}</span>'
        f"{e(r.answer[:1].upper() + r.answer[1:])}"
        + (f'<span class="pw-quote">“{e(r.quote)}”</span>' if r.quote else "")
        + "</li>"
        for r in result.reasons
    )
    caveat = f'<p class="pw-caveat">{e(result.caveat)}</p>' if result.caveat and result.reasons else ""
    return f'<div class="pw-fit"><p class="pw-fit-verdict">{verdict}</p><ul class="pw-reasons">{items}</ul>{caveat}</div>'


def bands_html(facts: "FactSheet") -> str:
    """The income bands as the article writes them, beside the chart for reading and for screen readers."""
    e = render.escape
    rows = []
    for path in ("engineering", "automation"):
        bands = " · ".join(
            e(f"{b.figure} {b.qualifier}".strip()) + f" ({e(charts.period_label(b.months_from, b.months_to))})"
            for b in facts.income(path)
        )
        rows.append(f"<b>{e(PATH_NAME[path])}</b>: {bands}")
    burn = " · ".join(f"<b>{e(PATH_NAME[b.path])}</b>: {e(b.quote)} ({e(b.causes)})" for b in facts.burnout)
    return f'<div class="pw-bands"><p>{"<br>".join(rows)}</p><p>{burn}</p></div>'


def question_choices(advisor: "Advisor") -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(FitAnswers field, the article's question, [(answer label, answer key)]) for the three questions.

    Each field is matched to its question through the sentence the scorer quotes for it,
    so the page asks exactly the question the score is about.
    """
    out = []
    for field, options in QUESTION_ANSWERS.items():
        first = next(iter(options))
        quote = advisor.fit(FitAnswers(**{field: first})).reasons[0].quote
        path = options[first]
        question = next(
            (q.question for q in advisor.facts.questions if quote in (q.engineering if path == "engineering" else q.automation)),
            field.replace("_", " "),
        )
        labels = [(ANSWER_LABELS[a][:1].upper() + ANSWER_LABELS[a][1:], a) for a in options]
        out.append((field, question, labels))
    return out


def _signal_choices(table: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s.label[:1].upper() + s.label[1:], key) for key, s in table.items()]


# -- the app -----------------------------------------------------------------------------------


def build_app(advisor: "Advisor") -> "gr.Blocks":
    """The page and its API endpoints for one advisor; the caller launches it (see ``serve``)."""
    import gradio as gr

    settings = advisor.settings
    limit = settings.max_message_chars
    conversations = Conversations(max_sessions=settings.max_sessions)
    feedback = open_feedback(settings)
    exports = Path(tempfile.mkdtemp(prefix="pathwise-exports-"))
    examples = advisor.reply("pathwise-examples", "").follow_ups
    facts = advisor.facts
    startup_badge = render.badge_html(advisor.mode, advisor.startup_notice)
    questions = question_choices(advisor)

    def conversation(request: gr.Request | None) -> Conversation:
        key = (request.session_hash if request is not None else None) or "default"
        return conversations.get(key)

    def ask(conv: Conversation, text: str) -> Iterator[tuple[str | None, Turn | None]]:
        """Streams (partial text, None) then (None, turn); records the turn on the conversation."""
        partial = ""
        try:
            for event in advisor.stream(conv.thread, text):
                if event.kind == "token":
                    partial += event.text
                    yield partial, None
                elif event.kind == "turn" and event.turn is not None:
                    with conv.lock:
                        conv.exchanges.append((text, event.turn))
                    yield None, event.turn
        except PathwiseError as exc:
            raise gr.Error(str(exc)) from exc

    def export_path(conv: Conversation) -> Path:
        return exports / f"pathwise-conversation-{conv.key[:16]}.md"

    def export_file(conv: Conversation) -> str | None:
        """Rewritten after every change, so the Export button always downloads what is shown."""
        path = export_path(conv)
        if not conv.exchanges:
            path.unlink(missing_ok=True)
            return None
        path.write_text(render.conversation_markdown(conv.exchanges), encoding="utf-8")
        return str(path)

    # UI outputs, in this order: box, chatbot, status, follow-up buttons, export button.
    def view(conv: Conversation, turn: Turn | None) -> list[Any]:
        ups = list(turn.follow_ups[:FOLLOW_UPS]) if turn else []
        buttons = [gr.Button(value=q, visible=True) for q in ups]
        buttons += [gr.Button(visible=False)] * (FOLLOW_UPS - len(buttons))
        path = export_file(conv)
        if turn is None:
            badge = startup_badge
        else:
            badge = render.badge_html(turn.mode, turn.notice or (advisor.startup_notice if turn.mode == "offline" else None))
        return [
            gr.skip(),
            chat_messages(conv.exchanges),
            badge,
            *buttons,
            gr.DownloadButton(value=path, interactive=path is not None),
        ]

    def send(message: str | None, request: gr.Request) -> Iterator[list[Any]]:
        text = (message or "").strip()
        skip = [gr.skip()] * (4 + FOLLOW_UPS)
        if not text:
            yield skip
            return
        problem = too_long(text, limit)
        if problem:  # a toast, not an error state on the chat; the text stays in the box to be shortened
            gr.Warning(problem, title="Message too long")
            yield skip
            return
        conv = conversation(request)
        hidden = [gr.Button(visible=False)] * FOLLOW_UPS
        yield ["", chat_messages(conv.exchanges, pending=text), gr.skip(), *hidden, gr.skip()]
        for partial, turn in ask(conv, text):
            if turn is None:
                yield [gr.skip(), chat_messages(conv.exchanges, pending=text, partial=partial), *skip[2:]]
            else:
                yield view(conv, turn)

    def send_example(data: gr.SelectData, request: gr.Request) -> Iterator[list[Any]]:
        value = data.value
        yield from send(value.get("text", "") if isinstance(value, dict) else str(value), request)

    def retry(request: gr.Request) -> Iterator[list[Any]]:
        conv = conversation(request)
        dropped = conv.rewind(advisor, len(conv.exchanges) - 1)
        if not dropped:
            yield view(conv, None)
            return
        yield from send(dropped[0][0], request)

    def undo(request: gr.Request) -> list[Any]:
        conv = conversation(request)
        conv.rewind(advisor, len(conv.exchanges) - 1)
        return view(conv, conv.exchanges[-1][1] if conv.exchanges else None)

    def clear(request: gr.Request) -> list[Any]:
        conv = conversation(request)
        conv.clear(advisor)
        return view(conv, None)

    def record_feedback(conv: Conversation, index: int, liked: bool) -> dict[str, Any]:
        with conv.lock:
            if not conv.exchanges:
                raise gr.Error("There is no answer to rate yet.")
            if not -len(conv.exchanges) <= index < len(conv.exchanges):
                raise gr.Error(f"There is no answer {index} in this conversation.")
            index %= len(conv.exchanges)
            question, turn = conv.exchanges[index]
        try:
            row = feedback.record(
                session=conv.key,
                turn=index,
                liked=liked,
                mode=turn.mode,
                question=question,
                answer=turn.answer,
                citations=[c.id for c in turn.citations],
            )
        except PathwiseError as exc:
            raise gr.Error(str(exc)) from exc
        return {"id": row, "turn": index, "liked": liked}

    def on_like(data: gr.LikeData, request: gr.Request) -> None:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        if isinstance(data.liked, bool) and isinstance(index, int):
            record_feedback(conversation(request), index // 2, data.liked)
            gr.Info("Thanks, feedback saved." if data.liked else "Thanks, noted. Try Retry or rephrase the question.")

    def fit_view(*values: Any) -> list[Any]:
        fields = [f for f, _, _ in questions]
        answers = FitAnswers(**dict(zip(fields, values[: len(fields)])), red_flags=values[-2] or [], preferences=values[-1] or [])
        result = advisor.fit(answers)
        if not result.reasons:
            return [gr.HTML(visible=False), fit_html(result)]
        return [gr.HTML(charts.fit_chart(result), visible=True), fit_html(result)]

    # -- API endpoints: the same code paths, JSON in and out ---------------------------------

    def api_chat(message: str, request: gr.Request) -> dict[str, Any]:
        """Ask a question. Follow-ups ("And AI engineers?") resolve within one client session."""
        text = (message or "").strip()
        problem = too_long(text, limit)
        if problem:
            raise gr.Error(problem, title="Message too long")
        if not text:  # the advisor's invitation to ask; nothing to remember
            return api_json(advisor.reply("pathwise-empty", ""))
        turn = None
        for _, last in ask(conversation(request), text):
            turn = last
        assert turn is not None
        out = api_json(turn)
        out["answer"] = render.safe_markdown(turn.answer)
        return out

    def api_fit(
        right_once_or_repeatedly: str = "",
        energy_from: str = "",
        when_stuck: str = "",
        red_flags: list[str] | None = None,
        preferences: list[str] | None = None,
    ) -> dict[str, Any]:
        """Score both paths from the framework's answers; empty strings leave a question unanswered."""
        from pydantic import ValidationError

        try:
            answers = FitAnswers(
                right_once_or_repeatedly=right_once_or_repeatedly or None,
                energy_from=energy_from or None,
                when_stuck=when_stuck or None,
                red_flags=red_flags or [],
                preferences=preferences or [],
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            raise gr.Error(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
        return api_json(advisor.fit(answers))

    def api_feedback(turn: int = -1, liked: bool = True, request: gr.Request = None) -> dict[str, Any]:  # type: ignore[assignment]
        """Thumbs up (liked=true) or down on an answer of this session: turn 0 is the first, -1 the last."""
        return record_feedback(conversation(request), int(turn), bool(liked))

    def forget(request: gr.Request) -> None:
        conv = conversations.pop(request.session_hash or "")
        if conv is not None:
            if not settings.database_url:  # shared, the browser may be carrying the conversation on with another replica
                advisor.reset(conv.thread)
            export_path(conv).unlink(missing_ok=True)

    with gr.Blocks(title="pathwise: AI Engineer or AI Automation Specialist?", analytics_enabled=False) as app:
        with gr.Row(equal_height=True):
            gr.HTML(
                "<h1>pathwise</h1><p>AI Engineer or AI Automation Specialist? Answers from one 2026 article, with its sources.</p>",
                elem_id="pw-header",
            )
        status = gr.HTML(startup_badge, elem_id="pw-status")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chatbot = gr.Chatbot(
                    value=[],
                    label="Conversation",
                    show_label=False,
                    height=520,
                    min_height=320,
                    elem_id="pw-chat",
                    examples=[{"text": q} for q in examples],
                    placeholder="**Ask about income, burnout, getting in, or which path fits you.**",
                    feedback_options=("Like", "Dislike"),
                    latex_delimiters=[],
                    allow_tags=False,
                    sanitize_html=True,
                    buttons=["copy"],
                )
                with gr.Row(elem_id="pw-followups"):
                    follow = [
                        gr.Button(visible=False, size="sm", variant="secondary", elem_classes="pw-followup")
                        for _ in range(FOLLOW_UPS)
                    ]
                with gr.Row(equal_height=True):
                    box = gr.Textbox(
                        placeholder="Ask a question, or describe yourself to get your fit…",
                        show_label=False,
                        lines=1,
                        max_lines=6,  # no max_length: the browser would cut a long paste silently; the server says why
                        scale=5,
                        autofocus=True,
                        elem_id="pw-input",
                        submit_btn=False,
                    )
                    send_btn = gr.Button("Send", variant="primary", scale=1, min_width=80, elem_id="pw-send")
                with gr.Row(elem_id="pw-actions"):
                    retry_btn = gr.Button("↻ Retry", size="sm", elem_id="pw-retry")
                    undo_btn = gr.Button("↶ Undo", size="sm", elem_id="pw-undo")
                    clear_btn = gr.Button("✕ Clear", size="sm", elem_id="pw-clear")
                    export_btn = gr.DownloadButton("⤓ Export", size="sm", interactive=False, elem_id="pw-export")

            with gr.Tab("Find your fit", id="fit"):
                gr.Markdown(
                    "The article's three questions and its red flags. Each answer adds points to one path; "
                    "the reasons show which, with the article's own sentence."
                )
                with gr.Row():
                    with gr.Column(scale=1, min_width=300):
                        radios = [
                            gr.Radio(choices=labels, value=None, label=question, elem_classes="pw-question")
                            for _, question, labels in questions
                        ]
                        flags = gr.CheckboxGroup(
                            choices=_signal_choices(RED_FLAGS), label="Red flags: tick any that sound like you"
                        )
                        prefs = gr.CheckboxGroup(choices=_signal_choices(PREFERENCES), label="What you want from the work")
                        reset_fit = gr.Button("Start over", size="sm")
                    with gr.Column(scale=1, min_width=300, elem_id="pw-fit-result"):
                        # The chart appears with the first answer; until then there is nothing to draw.
                        fit_plot = gr.HTML(visible=False, elem_id="pw-fit-chart")
                        fit_out = gr.HTML(fit_html(advisor.fit(FitAnswers())), elem_id="pw-fit-reasons")

            with gr.Tab("Compare", id="compare"):
                gr.HTML(
                    render.table_html(
                        ["", PATH_NAME["engineering"], PATH_NAME["automation"]],
                        [(r.dimension, r.engineering, r.automation) for r in facts.table],
                        caption="The article's comparison table",
                    ),
                    elem_id="pw-table",
                )
                for name, draw in (("income", charts.income_chart), ("burnout", charts.burnout_chart)):
                    gr.HTML(draw(facts), elem_id=f"pw-{name}", elem_classes="pw-chart-wide")
                    gr.HTML(draw(facts, compact=True), elem_id=f"pw-{name}-phone", elem_classes="pw-chart-phone")
                gr.HTML(bands_html(facts), elem_id="pw-bands")

        chat_outputs = [box, chatbot, status, *follow, export_btn]
        private: dict[str, Any] = {"api_visibility": "private"}
        box.submit(send, [box], chat_outputs, **private)
        send_btn.click(send, [box], chat_outputs, **private)
        for b in follow:
            b.click(send, [b], chat_outputs, **private)
        chatbot.example_select(send_example, None, chat_outputs, **private)
        retry_btn.click(retry, None, chat_outputs, **private)
        undo_btn.click(undo, None, chat_outputs, **private)
        clear_btn.click(clear, None, chat_outputs, **private)
        chatbot.clear(clear, None, chat_outputs, **private)
        chatbot.like(on_like, None, None, **private)

        fit_inputs: list[gr.Radio | gr.CheckboxGroup] = [*radios, flags, prefs]
        fit_outputs = [fit_plot, fit_out]
        gr.on(
            [c.change for c in fit_inputs],
            fit_view,
            fit_inputs,
            fit_outputs,
            trigger_mode="always_last",
            show_progress="hidden",
            **private,
        )
        reset_fit.click(lambda: [None] * len(radios) + [[], []], None, fit_inputs, **private)

        gr.api(api_chat, api_name="chat")
        gr.api(api_fit, api_name="fit")
        gr.api(api_feedback, api_name="feedback")
        app.unload(forget)
    return app


def page_style() -> dict[str, Any]:
    """The theme and CSS, passed at launch (Gradio 6 takes them there)."""
    import gradio as gr

    system = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "monospace"]
    theme = gr.themes.Soft(primary_hue="indigo", secondary_hue="amber", neutral_hue="slate", font=system, font_mono=mono)
    css = resources.files("pathwise.ui").joinpath("style.css").read_text(encoding="utf-8")
    return {"theme": theme, "css": css}


def serve(
    host: str = "127.0.0.1",
    port: int = 7860,
    advisor: "Advisor | None" = None,
    *,
    settings: "Settings | None" = None,
    block: bool = True,
) -> "gr.Blocks":
    """Serve the app; with ``block=False`` return it running (call ``.close()`` to stop)."""
    from pathwise import process
    from pathwise.config import get_settings
    from pathwise.ui import security

    started = time.perf_counter()
    settings = settings or (advisor.settings if advisor is not None else get_settings())
    auth = parse_auth(settings.auth)
    opened = ""
    if advisor is None:
        from pathwise.agent.advisor import Advisor

        advisor = Advisor.create(settings)
        opened = f" (advisor opened in {time.perf_counter() - started:.1f} s)"
    app = build_app(advisor)
    app.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        share=False,
        show_error=False,
        prevent_thread_lock=True,
        ssr_mode=False,
        quiet=True,
        footer_links=["api"],
        app_kwargs={"middleware": security.middleware(settings)},  # trusted hosts, strict CORS, size and rate limits
        **page_style(),
    )
    process.ready()
    print(
        f"pathwise: {advisor.mode} mode; page ready in {time.perf_counter() - started:.1f} s{opened} at {app.local_url}",
        flush=True,
    )
    if block:
        app.block_thread()
    return app
