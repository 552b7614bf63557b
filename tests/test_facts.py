"""The fact sheet: every fact's quoted words and figures are verbatim in the passage it points at."""

from __future__ import annotations

import re

import pytest

from pathwise.errors import StoreError
from pathwise.knowledge.article import Passage, parse_article
from pathwise.knowledge.corpus import bundled_article
from pathwise.knowledge.facts import FactSheet, build_facts, bundled_facts


@pytest.fixture(scope="module")
def facts() -> FactSheet:
    return bundled_facts()


@pytest.fixture(scope="module")
def passages() -> dict[str, Passage]:
    return {p.id: p for p in bundled_article().passages}


def squash(text: str) -> str:
    return " ".join(text.split())


def in_passage(span: str, passage: Passage) -> bool:
    return squash(span) in squash(passage.text)


# -- income ------------------------------------------------------------------------------------
INCOME = [  # (path, figure as the article writes it, months from, months to)
    ("engineering", "₹0", 0, 12),
    ("engineering", "₹3-6L", 12, 24),
    ("engineering", "₹8-18L", 24, 48),
    ("engineering", "₹20-50L", 48, None),
    ("automation", "₹10-30k", 0, 6),
    ("automation", "₹30-80k", 6, 18),
    ("automation", "₹60k-1.5L", 18, 36),
    ("automation", "Variable consulting rates", 36, None),
]


def test_income_bands_are_the_articles(facts: FactSheet) -> None:
    assert [(b.path, b.figure, b.months_from, b.months_to) for b in facts.incomes] == INCOME
    assert {b.currency for b in facts.incomes} == {"INR"}


def test_income_quotes_are_verbatim_in_their_passage(facts: FactSheet, passages: dict[str, Passage]) -> None:
    for band in facts.incomes:
        passage = passages[band.passage_id]
        assert in_passage(band.quote, passage), band.quote
        assert in_passage(band.period, passage)
        # The passage is the line for this path, not the other's.
        head = "AI Engineers:" if band.path == "engineering" else "Automation Specialists:"
        assert head in passage.text


@pytest.mark.parametrize(
    ("figure", "low", "high", "unit"),
    [
        ("₹0", 0, 0, ""),
        ("₹3-6L", 300_000, 600_000, "L"),
        ("₹20-50L", 2_000_000, 5_000_000, "L"),
        ("₹10-30k", 10_000, 30_000, "k"),
        ("₹60k-1.5L", 60_000, 150_000, "L"),
        ("Variable consulting rates", None, None, ""),
    ],
)
def test_income_amounts_are_read_in_rupees(
    facts: FactSheet, figure: str, low: float | None, high: float | None, unit: str
) -> None:
    band = next(b for b in facts.incomes if b.figure == figure)
    assert (band.low, band.high, band.unit) == (low, high, unit)


def test_income_bands_cover_a_career_without_gaps(facts: FactSheet) -> None:
    for path in ("engineering", "automation"):
        bands = facts.income(path)
        assert bands[0].months_from == 0 and bands[-1].months_to is None
        for a, b in zip(bands, bands[1:]):
            assert a.months_to == b.months_from
        for month in (0, 5, 11, 12, 30, 47, 48, 120):
            assert sum(b.covers(month) for b in bands) == 1


# -- burnout -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "months", "quote", "causes"),
    [
        ("engineering", (8, 14), "hit the wall at months 8-14", "data wall, ambiguity"),
        ("automation", (18, 24), "break at months 18-24", "maintenance overload"),
    ],
)
def test_burnout_facts(
    facts: FactSheet, passages: dict[str, Passage], path: str, months: tuple[int, int], quote: str, causes: str
) -> None:
    b = facts.burnout_of(path)
    assert (b.months_from, b.months_to) == months
    assert b.quote == quote and in_passage(b.quote, passages[b.passage_id])
    assert all(str(m) in b.quote for m in months)
    assert b.causes == causes
    burnout_row = facts.row("burnout")
    assert burnout_row is not None and in_passage(b.causes, passages[burnout_row.passage_id])
    # The detail passages say why, in the same section, right after the figure.
    assert b.detail_passage_ids
    for pid in b.detail_passage_ids:
        assert passages[pid].section == passages[b.passage_id].section
        assert passages[pid].order > passages[b.passage_id].order


# -- table ---------------------------------------------------------------------------------------
def test_table_facts_are_verbatim_rows(facts: FactSheet, passages: dict[str, Passage]) -> None:
    assert len(facts.table) == 7
    for row in facts.table:
        passage = passages[row.passage_id]
        assert passage.kind == "table_row"
        for cell in (row.dimension, row.engineering, row.automation):
            assert in_passage(cell, passage), cell
    assert facts.row("entry barrier").automation == "Low/medium (execution proof)"  # type: ignore[union-attr]
    assert facts.row("value timing").engineering == "Back-loaded (months later)"  # type: ignore[union-attr]


# -- framework, red flags, commitment, recommendations ---------------------------------------------
def test_three_framework_questions_with_the_sentence_for_each_path(facts: FactSheet, passages: dict[str, Passage]) -> None:
    assert [q.question for q in facts.questions] == [
        "Do you want to be right once, or useful repeatedly?",
        "Do you recover energy from depth or breadth?",
        "When you’re stuck, do you want to think harder or try faster?",
    ]
    for q in facts.questions:
        held = [passages[pid] for pid in q.passage_ids]
        assert in_passage(q.question, held[0])
        assert any(in_passage(q.engineering, p) for p in held), q.engineering
        assert any(in_passage(q.automation, p) for p in held), q.automation
        assert "engineering" in q.engineering.lower() and "automation" in q.automation.lower()
        assert all(p.section == "A Framework That Actually Helps" for p in held)


def test_red_flags_three_per_path_verbatim(facts: FactSheet, passages: dict[str, Passage]) -> None:
    assert [f.flag for f in facts.flags("engineering")] == [
        "You need frequent validation.",
        "You hate being wrong in public.",
        "You optimize for appearing smart over being useful.",
    ]
    assert [f.flag for f in facts.flags("automation")] == [
        "You can’t let go of “the right way.”",
        "You can’t tolerate being interrupted.",
        "You need intellectual stimulation from the work itself.",
    ]
    lead = {"engineering": "You’ll struggle with AI Engineering if:", "automation": "You’ll struggle with Automation if:"}
    for f in facts.red_flags:
        passage = passages[f.passage_id]
        assert in_passage(f.flag, passage)
        assert lead[f.path] in passage.context + "\n" + passage.text


def test_commitment_and_recommendations_are_verbatim(facts: FactSheet, passages: dict[str, Passage]) -> None:
    assert facts.commitment.text == "pick one for 18 months minimum"
    assert in_passage(facts.commitment.text, passages[facts.commitment.passage_id])
    rec = facts.recommendations
    assert rec["engineering"].text == "Choose AI Engineering if you want depth, delayed rewards, and scale."
    assert rec["automation"].text == "Choose Automation if you want speed, early income, and visible impact."
    for quote in rec.values():
        assert in_passage(quote.text, passages[quote.passage_id])
    assert facts.verdict.text == "Neither is better. They compound different things."
    assert facts.hiring.text.startswith("This flips depending on company size.") and "Jaipur" in facts.hiring.text
    assert in_passage(facts.hiring.text, passages[facts.hiring.passage_id])
    assert in_passage(facts.verdict.text, passages[facts.verdict.passage_id])


def test_the_scenes_of_each_path_at_work_are_found(facts: FactSheet, passages: dict[str, Passage]) -> None:
    openings = [passages[i].text.split(".")[0] for i in facts.scene_ids]
    assert openings == [
        "An AI Engineer debugs why model accuracy dropped after deployment or why inference latency spiked",
        "An Automation Specialist is in a different meeting",
    ]


def test_every_figure_in_a_fact_is_in_its_passage(facts: FactSheet, passages: dict[str, Passage]) -> None:
    """Whatever the fact type, each number it quotes is written in the passage it cites."""
    checked = 0
    for band in facts.incomes:
        for number in re.findall(r"\d+(?:\.\d+)?", band.quote):
            assert number in passages[band.passage_id].text
            checked += 1
    for b in facts.burnout:
        for number in (b.months_from, b.months_to):
            assert str(number) in passages[b.passage_id].text
            checked += 1
    assert "18" in passages[facts.commitment.passage_id].text
    assert checked >= 20


def test_every_fact_points_at_a_stored_passage(facts: FactSheet, kb) -> None:  # type: ignore[no-untyped-def]
    ids = {b.passage_id for b in facts.incomes} | {b.passage_id for b in facts.burnout}
    ids |= {pid for b in facts.burnout for pid in b.detail_passage_ids}
    ids |= {r.passage_id for r in facts.table} | {f.passage_id for f in facts.red_flags}
    ids |= {pid for q in facts.questions for pid in q.passage_ids}
    ids |= {facts.commitment.passage_id, facts.verdict.passage_id, facts.hiring.passage_id} | {
        q.passage_id for q in facts.recommendations.values()
    }
    ids |= set(facts.scene_ids)
    stored = {h.id for h in kb.get(sorted(ids))}
    assert stored == ids


def test_an_article_without_these_facts_is_a_clear_error() -> None:
    other = parse_article(
        "A Title About Cooking\n\nRice needs twice its volume of water and about twenty minutes on a low flame to cook well.\n"
    )
    with pytest.raises(StoreError, match="income"):
        build_facts(other)


def test_each_income_band_carries_the_unit_the_article_gives_it() -> None:
    from pathwise.knowledge.facts import bundled_facts

    basis = {b.figure: b.basis for b in bundled_facts().incomes}
    assert basis["₹10-30k"] == "per project" and basis["₹30-80k"] == "per month"
    assert basis["₹3-6L"] == basis["₹20-50L"] == basis["₹60k-1.5L"] == "not stated"
