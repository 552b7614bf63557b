"""The page in a real headless browser: Debian's chromium, driven by Playwright.

Asks a question, opens its sources, follows a suggestion, tries an HTML message, rates and
exports the conversation, scores a fit, opens Compare; at desktop and phone width, light
and dark. Screenshots go to a temporary dir, and also to $PATHWISE_SCREENSHOTS when set
(that is how docs/screenshot-*.png are made). Every request outside 127.0.0.1 is blocked
and the test fails if the page tried one.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pathwise.bench.servers import free_port

# These tests send requests faster than a person would; the rate limit has its own tests (test_security.py).
UNLIMITED = {"rate_limit_per_minute": 100_000, "rate_limit_burst": 100_000}

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ANSWER_WAIT_MS = 15_000


@pytest.fixture(scope="module")
def advisor(ui_advisor):  # type: ignore[no-untyped-def]
    return ui_advisor


@pytest.fixture(scope="module")
def url(advisor) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from pathwise.ui.app import serve

    app = serve(host="127.0.0.1", port=free_port(), advisor=advisor, block=False)
    try:
        yield app.local_url.rstrip("/")
    finally:
        app.close()


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "chromium is not on PATH; install Debian's package: apt-get install -y chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("screenshots")
    yield tmp
    target = os.environ.get("PATHWISE_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for png in tmp.glob("*.png"):
            shutil.copy(png, Path(target) / f"screenshot-{png.name}")


@pytest.fixture
def page_at(browser, url: str):  # type: ignore[no-untyped-def]
    """Opens the page in a fresh context (a fresh session) at a viewport; blocks and records outside requests."""
    contexts, outside = [], []

    def open_page(viewport: dict[str, int], *, dark: bool = False):  # type: ignore[no-untyped-def]
        ctx = browser.new_context(viewport=viewport, color_scheme="dark" if dark else "light", accept_downloads=True)
        contexts.append(ctx)
        page = ctx.new_page()

        def route(r):  # type: ignore[no-untyped-def]
            if r.request.url.startswith((url, "data:", "blob:")):
                return r.continue_()
            outside.append(r.request.url)
            return r.abort()

        page.route("**/*", route)
        page.goto(url + ("/?__theme=dark" if dark else "/"))
        page.get_by_placeholder("Ask a question").wait_for()
        return page

    yield open_page
    for ctx in contexts:
        ctx.close()
    assert not outside, f"the page tried to reach outside 127.0.0.1: {outside}"


def ask(page, question: str):  # type: ignore[no-untyped-def]
    """Sends a question and returns the locator of the answer that comes back for it."""
    from playwright.sync_api import expect

    answers = page.locator("#pw-chat [data-testid='bot']")
    before = answers.count()
    box = page.get_by_placeholder("Ask a question")
    box.fill(question)
    box.press("Enter")
    expect(answers).to_have_count(before + 1, timeout=ANSWER_WAIT_MS)
    expect(box).to_have_value("")
    return answers.nth(before)


def test_chat_sources_follow_up_feedback_export(page_at, shots: Path, advisor) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = page_at(DESKTOP)
    chat = page.locator("#pw-chat")
    expect(chat.get_by_role("button", name=re.compile("Select example 1"))).to_be_visible()
    expect(page.locator("#pw-status")).to_contain_text("Offline mode")

    answer = ask(page, "How much do automation specialists earn?")
    expect(answer).to_contain_text("₹30-80k monthly")
    sources = answer.locator("details.pw-sources")
    # The figures' passage, and the article's story of a first client paying ₹15,000.
    expect(sources.locator("summary")).to_have_text("Sources (2)")
    expect(sources.locator(".pw-src-text").first).to_be_hidden()
    sources.locator("summary").click()
    expect(sources.locator(".pw-src-section").first).to_have_text("What Actually Happens After You Learn")
    expect(sources.locator(".pw-src-text").first).to_contain_text("Earlier income, but dry months happen.")
    expect(sources.locator(".pw-src-text").nth(1)).to_contain_text("₹15,000")
    expect(page.locator("#pw-followups button").first).to_be_visible()
    page.screenshot(path=str(shots / "chat.png"), full_page=True)

    follow = page.locator("#pw-followups").get_by_role("button", name="And for AI engineering?")
    follow.click()
    answers = chat.locator("[data-testid='bot']")
    expect(answers).to_have_count(2, timeout=ANSWER_WAIT_MS)
    expect(answers.nth(1)).to_contain_text("₹3-6L")
    expect(chat.locator("[data-testid='user']").nth(1)).to_have_text("And for AI engineering?")

    # What a person types is shown as text: no element is made from it, no handler runs.
    injected = '<img src=x onerror="window.__pwned=1"> ![t](http://127.0.0.1:1/pixel.png) hi'
    ask(page, injected)
    expect(chat.locator("[data-testid='user']").last).to_contain_text('<img src=x onerror="window.__pwned=1">')
    assert chat.locator("[data-testid='user'] img, [data-testid='bot'] img").count() == 0
    assert page.evaluate("window.__pwned") is None

    # Over the limit: the message says so and the text stays in the box to be shortened.
    box = page.get_by_placeholder("Ask a question")
    limit = advisor.settings.max_message_chars
    box.fill("x" * (limit + 1))
    box.press("Enter")
    expect(page.get_by_text(f"the limit is {limit:,}")).to_be_visible()
    expect(box).to_have_value("x" * (limit + 1))
    expect(chat.locator("[data-testid='user']")).to_have_count(3)
    box.fill("")

    answers.nth(0).locator("xpath=ancestor::div[contains(@class,'message-row')]").first.hover()
    page.locator("#pw-chat button[aria-label='Like']").first.click()
    expect(page.get_by_text("Thanks, feedback saved.")).to_be_visible()
    with sqlite3.connect(Path(advisor.settings.home) / "feedback.sqlite3") as db:
        rows = db.execute("SELECT turn, liked, question FROM feedback").fetchall()
    assert (0, 1, "How much do automation specialists earn?") in rows

    with page.expect_download() as download:
        page.locator("#pw-export").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "## You\n\nHow much do automation specialists earn?" in exported
    assert "₹3-6L" in exported and "Sources:" in exported

    page.locator("#pw-undo").click()
    expect(chat.locator("[data-testid='user']")).to_have_count(2)

    page.locator("#pw-clear").click()
    expect(chat.locator("[data-testid='user']")).to_have_count(0)
    expect(chat.get_by_role("button", name=re.compile("Select example 1"))).to_be_visible()


def test_the_page_keeps_one_width_when_the_first_answer_arrives(page_at) -> None:  # type: ignore[no-untyped-def]
    page = page_at(DESKTOP)
    column, chat = page.locator(".gradio-container"), page.locator("#pw-chat")
    before = (column.bounding_box(), chat.bounding_box())
    ask(page, "How much do automation specialists earn?")
    after = (column.bounding_box(), chat.bounding_box())
    for was, now in zip(before, after):
        assert was and now
        assert abs(was["x"] - now["x"]) <= 2 and abs(was["width"] - now["width"]) <= 2, (before, after)
    assert before[0]["width"] == pytest.approx(min(DESKTOP["width"], 1100), abs=2), "the column is as wide as the page allows"


def test_fit_and_compare_tabs(page_at, shots: Path) -> None:
    from playwright.sync_api import expect

    page = page_at(DESKTOP)
    page.get_by_role("tab", name="Find your fit").click()
    page.get_by_label("Be right once, in a way that scales").check()
    page.get_by_label("Recover energy from depth").check()
    page.get_by_label("You can't tolerate being interrupted").check()
    reasons = page.locator("#pw-fit-reasons")
    expect(reasons).to_contain_text("Points to AI Engineer (5 vs 0)")
    expect(reasons.locator("li")).to_have_count(3)
    expect(reasons).to_contain_text("18 months minimum")
    expect(page.locator("#pw-fit-chart svg")).to_be_visible()
    page.screenshot(path=str(shots / "fit.png"), full_page=True)

    page.get_by_role("button", name="Start over").click()
    expect(reasons).to_contain_text("Answer a question or tick a box")
    expect(page.locator("#pw-fit-chart")).to_be_hidden()
    expect(page.get_by_label("Recover energy from depth")).not_to_be_checked()

    page.get_by_role("tab", name="Compare").click()
    table = page.locator("#pw-table table")
    expect(table.locator("tbody tr")).to_have_count(7)
    expect(table).to_contain_text("Burnout point")
    expect(page.locator("#pw-income svg")).to_be_visible()
    expect(page.locator("#pw-burnout svg")).to_be_visible()
    expect(page.locator("#pw-income-phone")).to_be_hidden()
    expect(page.locator("#pw-bands")).to_contain_text("Variable consulting rates (months 36+)")
    page.screenshot(path=str(shots / "compare.png"), full_page=True)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_phone_width(page_at, shots: Path, dark: bool) -> None:
    from playwright.sync_api import expect

    page = page_at(PHONE, dark=dark)
    answer = ask(page, "When do people burn out?")
    expect(answer).to_contain_text("months 8-14")
    expect(answer.locator("details.pw-sources summary")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "nothing sticks out sideways"
    suffix = "-dark" if dark else ""
    page.screenshot(path=str(shots / f"phone{suffix}.png"), full_page=True)
    if dark:
        return

    page.get_by_role("tab", name="Find your fit").click()
    page.get_by_label("Be useful repeatedly, in different contexts").check()
    expect(page.locator("#pw-fit-reasons")).to_contain_text("Points to AI Automation Specialist")
    expect(page.locator("#pw-fit-chart svg")).to_be_visible()
    page.screenshot(path=str(shots / "fit-phone.png"), full_page=True)

    page.get_by_role("tab", name="Compare").click()
    expect(page.locator("#pw-table tbody tr")).to_have_count(7)
    expect(page.locator("#pw-income-phone svg")).to_be_visible()
    expect(page.locator("#pw-burnout-phone svg")).to_be_visible()
    expect(page.locator("#pw-income")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(shots / "compare-phone.png"), full_page=True)


def paused_model(gate: threading.Event, pause_at: int, *turns: object):  # type: ignore[no-untyped-def]
    """A scripted chat model whose streamed answer stops after ``pause_at`` words until ``gate`` is set."""
    from fake_openai import scripted_model

    class PausedChatModel(type(scripted_model())):  # type: ignore[misc]
        def _stream(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            for i, chunk in enumerate(super()._stream(*args, **kwargs)):
                if i == pause_at:
                    assert gate.wait(timeout=30), "the test never let the answer go on"
                yield chunk

    return PausedChatModel(script=list(turns))


def test_llm_answer_streams_into_the_page(browser, shared_home: Path, model_cache: Path) -> None:  # type: ignore[no-untyped-def]
    """Text shows while the model is still writing; then the whole turn replaces it, with its sources."""
    from fake_openai import call, say
    from playwright.sync_api import expect

    from pathwise.agent.advisor import Advisor
    from pathwise.config import Settings
    from pathwise.knowledge.corpus import bundled_article
    from pathwise.ui.app import serve

    income = next(p.id for p in bundled_article().passages if p.text.startswith("Automation Specialists: ₹10-30k"))
    answer = (
        f"Automation Specialists earn ₹30-80k monthly in months 6-18 [p:{income}]. Earlier income comes with dry "
        "months, and there is no ladder, just a collection of clients and projects that you keep finding, keeping "
        "and growing one at a time."
    )
    gate = threading.Event()
    model = paused_model(gate, 30, call("search_passages", query="automation specialist income"), say(answer))
    app = serve(
        host="127.0.0.1",
        port=free_port(),
        advisor=Advisor.create(Settings(home=shared_home, cache_dir=model_cache, **UNLIMITED), chat_model=model),
        block=False,
    )
    ctx = browser.new_context(viewport=DESKTOP)
    try:
        page = ctx.new_page()
        page.goto(app.local_url)
        expect(page.locator("#pw-status .pw-badge")).to_have_text("LLM mode")
        box = page.get_by_placeholder("Ask a question")
        box.fill("How much do automation specialists earn?")
        box.press("Enter")

        bot = page.locator("#pw-chat [data-testid='bot']").first
        expect(bot).to_contain_text("Automation Specialists earn ₹30-80k monthly", timeout=ANSWER_WAIT_MS)
        expect(bot).to_contain_text("▍")
        expect(bot).not_to_contain_text("one at a time")
        expect(bot.locator("details.pw-sources")).to_have_count(0)

        gate.set()
        expect(bot).to_contain_text("growing one at a time.", timeout=ANSWER_WAIT_MS)
        expect(bot).not_to_contain_text("▍")
        expect(bot).to_contain_text("months 6-18 [1].")
        expect(bot.locator("details.pw-sources summary")).to_have_text("Source")
        expect(page.locator("#pw-status .pw-badge")).to_have_text("LLM mode")
    finally:
        gate.set()
        ctx.close()
        app.close()
