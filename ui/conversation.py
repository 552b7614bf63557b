"""Each browser session's conversation as the page shows it, and the advisor thread behind it.

The page keeps the turns it showed (for feedback, export, undo); the advisor keeps what a
follow-up needs. Undo, retry and clear move the conversation onto a fresh advisor thread, so
the advisor never remembers a turn the page no longer shows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathwise.agent.advisor import Advisor
    from pathwise.agent.models import Turn


@dataclass
class Conversation:
    key: str
    exchanges: list[tuple[str, Turn]] = field(default_factory=list)
    generation: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def thread(self) -> str:
        """The advisor's session id for what the page shows now."""
        return f"{self.key}~{self.generation}"

    def rewind(self, advisor: Advisor, keep: int) -> list[tuple[str, Turn]]:
        """Keeps the first ``keep`` exchanges and returns the ones dropped.

        The kept questions are asked again on a new thread so follow-ups resolve against
        exactly what is shown. Offline this costs milliseconds; with an LLM, one call per
        kept question.
        """
        with self.lock:
            keep = max(0, min(keep, len(self.exchanges)))
            kept, dropped = self.exchanges[:keep], self.exchanges[keep:]
            if not dropped:
                return []
            advisor.reset(self.thread)
            self.generation += 1
            for user, _ in kept:
                advisor.reply(self.thread, user)
            self.exchanges = kept
            return dropped

    def clear(self, advisor: Advisor) -> None:
        with self.lock:
            advisor.reset(self.thread)
            self.generation += 1
            self.exchanges = []


class Conversations:
    """The conversations of the sessions seen most recently, at most ``max_sessions`` of them."""

    def __init__(self, max_sessions: int = 1000) -> None:
        self.max_sessions = max_sessions
        self._lock = threading.Lock()
        self._items: OrderedDict[str, Conversation] = OrderedDict()

    def get(self, key: str) -> Conversation:
        with self._lock:
            conv = self._items.get(key)
            if conv is None:
                conv = self._items[key] = Conversation(key)
                while len(self._items) > self.max_sessions:
                    self._items.popitem(last=False)
            self._items.move_to_end(key)
            return conv

    def pop(self, key: str) -> Conversation | None:
        with self._lock:
            return self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)
