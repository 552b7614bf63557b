"""Answers written as real models write them, through the real client and the agent: what the person sees.

A grounded paraphrase is shown as the model wrote it; an invented figure never reaches the
person: a sentence that carries it is dropped when the rest stands, otherwise the turn falls
back to the offline answer before any of it is shown.
"""

from __future__ import annotations

import pytest
from fake_openai import FakeKB, FakeOpenAI, Realistic
from realistic_answers import GROUNDED, INVENTED, Answer

from pathwise.agent import guards
from pathwise.agent.llm import REPAIR_NOTE, LLMAgent, build_chat_model
from pathwise.config import Settings
from pathwise.errors import LLMUnavailable

QUESTION = "Tell me how the two paths compare."


@pytest.fixture(scope="module")
def server():
    with FakeOpenAI() as s:
        yield s


@pytest.fixture(scope="module")
def agent(server, tmp_path_factory) -> LLMAgent:
    settings = Settings(
        home=tmp_path_factory.mktemp("realistic"), openai_api_key="sk-test", openai_base_url=server.base_url,
        llm_timeout=5.0, llm_max_retries=0, llm_max_steps=4,
    )  # fmt: skip
    return LLMAgent(FakeKB(), build_chat_model(settings), settings=settings)


def turn_of(agent: LLMAgent, session: str, answer: Answer) -> tuple[str, object | None, str | None]:
    """(text streamed, the turn or None, why it fell back or None)."""
    tokens: list[str] = []
    try:
        for event in agent.stream(session, QUESTION):
            if event.kind == "token":
                tokens.append(event.text)
            else:
                return "".join(tokens), event.turn, None
    except LLMUnavailable as exc:
        return "".join(tokens), None, str(exc)
    raise AssertionError("the stream ended without a turn")


def test_the_tables_are_as_large_as_promised():
    assert len(GROUNDED) >= 60 and len(INVENTED) >= 20
    assert sum(a.stands for a in INVENTED) >= 5 and sum(not a.stands for a in INVENTED) >= 5


@pytest.mark.parametrize("answer", GROUNDED, ids=[a.id for a in GROUNDED])
def test_a_grounded_paraphrase_is_shown_as_the_model_wrote_it(server, agent, answer):
    server.enqueue(Realistic(answer.text))
    streamed, turn, fell_back = turn_of(agent, f"g-{answer.id}", answer)

    assert fell_back is None
    assert turn.mode == "llm" and turn.answer == answer.text
    assert streamed == turn.answer
    assert set(guards.cited_ids(answer.text)) <= {c.id for c in turn.citations}


@pytest.mark.parametrize("answer", INVENTED, ids=[a.id for a in INVENTED])
def test_an_invented_figure_is_never_shown(server, agent, answer):
    server.enqueue(Realistic(answer.text))
    streamed, turn, fell_back = turn_of(agent, f"i-{answer.id}", answer)

    shown = streamed + (turn.answer if turn else "")
    assert answer.invented not in shown
    if answer.stands:  # the rest of the answer, as written, then a brief word on what was left out
        kept = [s for s in answer.text.split(". ") if answer.invented not in s]
        assert turn is not None and turn.mode == "llm", fell_back
        assert streamed == turn.answer and turn.answer.endswith(REPAIR_NOTE)
        assert all(k.rstrip(".") in turn.answer for k in kept if "\n" not in k)
        assert agent.history(f"i-{answer.id}")[-1] == ("assistant", turn.answer)  # what the model reads next turn
    else:  # the main claim is invented: nothing of it was shown
        assert fell_back == "the model's answer gave figures the article does not state"
        assert streamed == ""
