"""Questions for an ingested document's passages, written by the configured model at ingest.

They are stored as extra search keys for their passage, as the bundled article's question bank
is (``knowledge/bank.py``). Without a model, a document is searched by its passages alone.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from pathwise import prompts
from pathwise.errors import LLMUnavailable
from pathwise.knowledge.article import Passage
from pathwise.knowledge.bank import Example

log = logging.getLogger("pathwise.questions")

PER_PASSAGE = 6
MAX_QUESTION_CHARS = 300
_ARRAY = re.compile(r"\[.*\]", re.S)


def question_writer(chat_model: Any, per_passage: int = PER_PASSAGE) -> Callable[[str, list[Passage]], list[Example]]:
    """A function that asks ``chat_model`` for each passage's questions; a passage whose reply
    cannot be read gets none (the passage itself is still searched), and the rest go on."""
    prompt = prompts.load("bank_questions")

    def write(source: str, passages: list[Passage]) -> list[Example]:
        out: list[Example] = []
        for passage in passages:
            text = prompt.render(count=per_passage, section=passage.section, passage=passage.text)
            try:
                reply = chat_model.invoke(text)
            except Exception as exc:  # a model fault costs this passage its questions, not the ingest
                raise LLMUnavailable(f"the model could not write questions ({type(exc).__name__})") from exc
            questions = _questions(str(getattr(reply, "content", reply)))
            if not questions:
                log.warning(
                    "the model's questions for a passage of %s could not be read; it is searched by its text alone", source
                )
            out.extend(Example(q=q, passages=[passage.id], source=source, style="generated") for q in questions[:per_passage])
        return out

    return write


def _questions(reply: str) -> list[str]:
    match = _ARRAY.search(reply)
    try:
        items = json.loads(match.group(0)) if match else []
    except ValueError:
        return []
    return (
        [" ".join(q.split())[:MAX_QUESTION_CHARS] for q in items if isinstance(q, str) and q.strip()]
        if isinstance(items, list)
        else []
    )
