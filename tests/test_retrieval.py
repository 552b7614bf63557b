"""Hybrid retrieval finds the passage that answers a question as people actually phrase it."""

from __future__ import annotations

import re

import pytest

from pathwise.errors import InputError


def norm(text: str) -> str:
    text = text.lower().replace("’", "'").replace("“", '"').replace("”", '"')
    return " ".join(re.sub(r"[\u2010-\u2015]", "-", text).split())


# (question, spans of which one must be in the top 3). A second span is another passage that
# answers the question as well, never a near miss.
CASES = [
    ("how much cash do ML engineers make in the first couple of years", ["₹3-6L (12-24)"]),
    ("what's the salary for an AI engineer with five years under their belt", ["₹20-50L (48+)"]),
    ("pay for automation freelancers when they're just starting", ["₹10-30k projects (0-6 months)"]),
    ("do automation guys get a monthly income after six months", ["₹30-80k monthly (6-18)"]),
    ("at what point do AI engineers usually want to give up", ["hit the wall at months 8-14"]),
    ("when does the grind break automation people", ["break at months 18-24"]),
    ("why is real-world data such a pain for machine learning folks", ["Real data is messy and adversarial"]),
    ("what does a bad day look like when an automation breaks",
     ["you're often on the phone", "five of your client projects break at once"]),
    ("who do you call when a production model goes wrong", ["you're often alone"]),
    ("do hiring managers filter on degrees for AI roles", ["credentialism baked in"]),
    ("will a small business trust me with a CS degree for automation", ["reverse credentialism"]),
    ("what skill do I keep from AI engineering even if tools change",
     ["thinking in systems under uncertainty", "Systems thinking under uncertainty"]),
    ("what carries over from automation work into other careers",
     ["translating business problems into technical workflows"]),
    ("is custom model building still in demand this year", ["haven't grown as fast as people expected"]),
    ("are templates eating the automation market", ["is a template this year"]),
    ("what is the barbell thing about mid-tier AI jobs", ["This creates a barbell"]),
    ("how long before I should combine both skill sets",
     ["pick one for 18 months minimum", "After 18 months, you can cross-pollinate"]),
    ("what happens to people who half-learn both paths", ["straddle both without committing"]),
    ("signs I'd hate automation work",
     ["You can't tolerate being interrupted", "You can't let go of", "You need intellectual stimulation"]),
    ("personality traits that make ML engineering miserable",
     ["You need frequent validation", "You hate being wrong in public", "You optimize for appearing smart"]),
    ("do you get energy from going deep or from variety", ["Do you recover energy from depth or breadth?"]),
    ("when stuck, should I read papers or try something else", ["think harder or try faster"]),
    ("how fast does an automation client see results", ["Automation value is front-loaded"]),
    ("how long until an AI engineer's work pays off for the company", ["AI Engineering value is back-loaded"]),
    ("what tools does an automation bootcamp cover", ["You know n8n, Make, Zapier"]),
    ("is year three easier than year one in AI engineering", ["compounding bet"]),
    ("what's the day-to-day of an automation specialist", ["Repetitive business workflows"]),
    ("what experience do ML job ads demand", ["production ML experience"]),
]


@pytest.mark.parametrize(("question", "spans"), CASES, ids=[q for q, _ in CASES])
def test_the_answering_passage_is_in_the_top_three(kb, question: str, spans: list[str]) -> None:  # type: ignore[no-untyped-def]
    hits = kb.search(question, 3)
    assert len(hits) == 3
    texts = [norm(h.text) for h in hits]
    assert any(norm(span) in t for span in spans for t in texts), [h.text[:70] for h in hits]


def test_hits_carry_stored_text_section_and_descending_scores(kb) -> None:  # type: ignore[no-untyped-def]
    hits = kb.search("when do automation specialists hit burnout", 5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    stored = {h.id: h for h in kb.get([h.id for h in hits])}
    for h in hits:
        assert h.text == stored[h.id].text and h.section == stored[h.id].section
        assert set(h.model_dump()) == {"id", "text", "section", "score"}


def test_results_are_deterministic(kb) -> None:  # type: ignore[no-untyped-def]
    question = "which path pays more after four years"
    first = [(h.id, h.score) for h in kb.search(question, 10)]
    for _ in range(3):
        assert [(h.id, h.score) for h in kb.search(question, 10)] == first


@pytest.mark.parametrize("k", [1, 3, 10, 100])
def test_k_bounds_the_number_of_hits(kb, k: int) -> None:  # type: ignore[no-untyped-def]
    hits = kb.search("burnout", k)
    assert len(hits) == min(k, kb.store.count())
    assert len({h.id for h in hits}) == len(hits)


BAD = [
    pytest.param("", 5, "empty", id="empty"),
    pytest.param("   \n\t ", 5, "empty", id="whitespace"),
    pytest.param(None, 5, "empty", id="none-query"),
    pytest.param(42, 5, "empty", id="number-query"),
    pytest.param("burnout", 0, "between 1 and", id="k=0"),
    pytest.param("burnout", -1, "between 1 and", id="k=-1"),
    pytest.param("burnout", 10**6, "between 1 and", id="k=10**6"),
    pytest.param("burnout", "5", "whole number", id="k='5'"),
    pytest.param("burnout", None, "whole number", id="k=None"),
    pytest.param("burnout", 2.5, "whole number", id="k=2.5"),
    pytest.param("burnout", True, "whole number", id="k=True"),
]


@pytest.mark.parametrize(("query", "k", "message"), BAD)
def test_bad_queries_are_input_errors(kb, query: object, k: object, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=message) as caught:
        kb.search(query, k)
    assert "\n" not in str(caught.value)


def test_a_very_long_query_still_answers(kb) -> None:  # type: ignore[no-untyped-def]
    hits = kb.search("when do AI engineers burn out " * 2000, 3)
    assert any("hit the wall at months 8-14" in h.text for h in hits)


def test_gibberish_and_symbols_return_hits_without_error(kb) -> None:  # type: ignore[no-untyped-def]
    for query in ("zzqx vvlk", "₹₹₹", "?!", "<script>alert(1)</script>", "\x00 burnout"):
        hits = kb.search(query, 3)
        assert len(hits) <= 3
