"""Text made safe to show in the page, and the HTML around it. Pure functions, no Gradio.

Anything a model or a person wrote is shown as Markdown that cannot load or run anything,
through the agent's own sanitiser (``guards.sanitize``): raw HTML is escaped (Gradio's
sanitizer lets ``<img src>`` through), Markdown images are dropped, and links survive only to
hosts on an allowlist. The HTML this module writes itself (sources, notices, badges, tables)
escapes every value it puts in.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from pathwise.agent import guards
from pathwise.agent.models import Citation, Turn

# The article ships with pathwise; no answer needs to point anywhere else.
ALLOWED_HOSTS: frozenset[str] = frozenset()
LINK_REMOVED = "(link removed)"

_CITE = re.compile(r"\[\s*((?:p:\s*[0-9a-fA-F]{4,64}\s*[,;]?\s*)+)\]")
_CITE_ID = re.compile(r"p:\s*([0-9a-fA-F]{4,64})")
_PARTIAL_CITE = re.compile(r"\[(?:p(?::[\s0-9a-fA-F,;p:]*)?)?$")


def safe_markdown(text: str, allowed_hosts: Iterable[str] = ALLOWED_HOSTS) -> str:
    """``text`` as Markdown that shows as written but loads nothing and links only to ``allowed_hosts``."""
    return guards.sanitize(text, allowed_hosts, html="escape", removed=LINK_REMOVED)


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def number_citations(text: str, citations: Sequence[Citation]) -> str:
    """``[p:<id>]`` markers as ``[1]``, ``[2]`` in the order of ``citations``; unknown ids dropped."""
    order = {c.id: i + 1 for i, c in enumerate(citations)}

    def numbered(m: re.Match[str]) -> str:
        nums = [order[i.lower()] for i in dict.fromkeys(_CITE_ID.findall(m.group(1))) if i.lower() in order]
        return "".join(f"[{n}]" for n in nums)

    return _tidy(_CITE.sub(numbered, text))


def _tidy(text: str) -> str:
    """Spacing left behind where markers were removed."""
    return re.sub(r"[ \t]{2,}", " ", re.sub(r"[ \t]+([.,;:!?])", r"\1", text))


def partial_answer(text: str, allowed_hosts: Iterable[str] = ALLOWED_HOSTS) -> str:
    """A streaming answer so far: markers (and a half-written one at the end) hidden."""
    return safe_markdown(_tidy(_PARTIAL_CITE.sub("", _CITE.sub("", text))).rstrip(), allowed_hosts) + " ▍"


def sources_html(citations: Sequence[Citation]) -> str:
    """A collapsed ``<details>`` block: each cited passage with its section title, numbered as in the answer."""
    if not citations:
        return ""
    items = "".join(
        f'<li><span class="pw-src-section">{escape(c.section)}</span>'
        f'<span class="pw-src-text">{"<br>".join(escape(line) for line in c.text.splitlines() if line.strip())}</span></li>'
        for c in citations
    )
    label = "Source" if len(citations) == 1 else f"Sources ({len(citations)})"
    # One line, no blank lines: Markdown would otherwise resume inside the HTML block.
    return f'<details class="pw-sources"><summary>{label}</summary><ol>{items}</ol></details>'


def answer_markdown(turn: Turn, allowed_hosts: Iterable[str] = ALLOWED_HOSTS) -> str:
    """What the chat shows for a turn: the answer, its notice, and its sources."""
    parts = [safe_markdown(number_citations(turn.answer, turn.citations), allowed_hosts)]
    if turn.notice:
        parts.append(f'<p class="pw-notice">⚠ {escape(turn.notice)}</p>')
    if turn.citations:
        parts.append(sources_html(turn.citations))
    return "\n\n".join(parts)


MODE_LABEL = {"llm": "LLM", "offline": "Offline"}


def badge_html(mode: str, notice: str | None = None) -> str:
    """The mode badge, and the notice saying why answers are offline when they are."""
    label = MODE_LABEL.get(mode, mode)
    title = "Answers written by a language model from the article" if mode == "llm" else "Answers taken straight from the article"
    out = f'<span class="pw-badge pw-badge-{escape(mode)}" title="{escape(title)}">{escape(label)} mode</span>'
    if notice:
        notice = re.sub(r"^\s*offline mode\s*:\s*", "", notice, flags=re.IGNORECASE)
        out += f' <span class="pw-status-notice">{escape(notice[:1].upper() + notice[1:])}</span>'
    return f'<div class="pw-status" role="status">{out}</div>'


def table_html(headers: Sequence[str], rows: Iterable[Sequence[str]], *, caption: str = "") -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    # data-label lets a phone show each row as a card: "AI Engineer: …" under the dimension.
    body = "".join(
        "<tr>"
        + f'<th scope="row">{escape(r[0])}</th>'
        + "".join(f'<td data-label="{escape(h)}">{escape(c)}</td>' for h, c in zip(headers[1:], r[1:]))
        + "</tr>"
        for r in rows
    )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<div class="pw-table-wrap"><table class="pw-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def conversation_markdown(exchanges: Iterable[tuple[str, Turn]], *, title: str = "pathwise conversation") -> str:
    """The conversation as a Markdown file: each question, answer, notice and numbered sources."""
    lines = [f"# {title}", ""]
    for user, turn in exchanges:
        lines += ["## You", "", safe_markdown(user), ""]
        lines += [f"## pathwise ({MODE_LABEL.get(turn.mode, turn.mode)} mode)", ""]
        lines += [safe_markdown(number_citations(turn.answer, turn.citations)), ""]
        if turn.notice:
            lines += [f"> {safe_markdown(turn.notice)}", ""]
        if turn.citations:
            lines += ["Sources:", ""]
            for i, c in enumerate(turn.citations, 1):
                quote = " ".join(c.text.split())
                lines.append(f"{i}. *{safe_markdown(c.section)}*: “{safe_markdown(quote)}”")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
