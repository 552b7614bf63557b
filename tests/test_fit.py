"""The fit scorer's laws, checked over the whole answer space, and free text mapped to its signals."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathwise.agent.fit import (
    MARGIN,
    PREFERENCES,
    QUESTION_ANSWERS,
    RED_FLAGS,
    FitAnswers,
    answers_from_text,
    mirror,
    score_fit,
    score_text,
)
from pathwise.agent.models import FitResult
from pathwise.knowledge.corpus import bundled_article
from pathwise.knowledge.facts import bundled_facts

FACTS = bundled_facts()
PATHS = ("engineering", "automation")
FLIP = {"engineering": "automation", "automation": "engineering", "undecided": "undecided"}
QUESTIONS = list(QUESTION_ANSWERS)  # the three framework questions (FitAnswers fields)
OPTIONS = {q: [None, *QUESTION_ANSWERS[q]] for q in QUESTIONS}

answers_st = st.builds(
    FitAnswers,
    right_once_or_repeatedly=st.sampled_from(OPTIONS["right_once_or_repeatedly"]),
    energy_from=st.sampled_from(OPTIONS["energy_from"]),
    when_stuck=st.sampled_from(OPTIONS["when_stuck"]),
    red_flags=st.lists(st.sampled_from(sorted(RED_FLAGS)), unique=True),
    preferences=st.lists(st.sampled_from(sorted(PREFERENCES)), unique=True),
)
# Whatever a caller sends: repeated keys, unknown keys, any order.
messy_st = st.builds(
    FitAnswers,
    right_once_or_repeatedly=st.sampled_from(OPTIONS["right_once_or_repeatedly"]),
    energy_from=st.sampled_from(OPTIONS["energy_from"]),
    when_stuck=st.sampled_from(OPTIONS["when_stuck"]),
    red_flags=st.lists(st.sampled_from([*RED_FLAGS, "not-a-flag", ""])),
    preferences=st.lists(st.sampled_from([*PREFERENCES, "money", "ß"])),
)


def score(a: FitAnswers) -> FitResult:
    return score_fit(a, FACTS)


def article_text() -> str:
    return "\n".join(p.text for p in bundled_article().passages)


def check_result(r: FitResult) -> None:
    """What every result must satisfy, whatever the answers."""
    assert set(r.scores) == set(PATHS) and all(v >= 0 for v in r.scores.values())
    for path in PATHS:
        assert sum(x.points for x in r.reasons if x.path == path) == r.scores[path]
    assert all(x.points > 0 for x in r.reasons)
    gap = r.scores["engineering"] - r.scores["automation"]
    expected = "engineering" if gap >= MARGIN else "automation" if -gap >= MARGIN else "undecided"
    assert r.recommended == expected and r.margin == MARGIN
    assert "18 months" in r.caveat


# -- total and deterministic -----------------------------------------------------------------------
def test_total_over_every_question_and_flag_combination() -> None:
    # Exhaustive: 27 question answers x 64 red-flag sets, then x 64 preference sets.
    for q in itertools.product(*OPTIONS.values()):
        base = dict(zip(QUESTIONS, q))
        for n in range(len(RED_FLAGS) + 1):
            for flags in itertools.combinations(sorted(RED_FLAGS), n):
                check_result(score(FitAnswers(**base, red_flags=list(flags))))
        for n in range(len(PREFERENCES) + 1):
            for prefs in itertools.combinations(sorted(PREFERENCES), n):
                check_result(score(FitAnswers(**base, preferences=list(prefs))))


@settings(max_examples=200, deadline=None)
@given(messy_st)
def test_total_and_deterministic_on_any_input(a: FitAnswers) -> None:
    r = score(a)
    check_result(r)
    assert score(a.model_copy(deep=True)) == r
    shuffled = a.model_copy(update={"red_flags": a.red_flags[::-1], "preferences": a.preferences[::-1]})
    assert score(shuffled) == r  # the order answers arrive in does not matter
    assert score_fit(a) == r  # the default fact sheet is the bundled one


def test_no_answers_is_undecided_with_no_reasons() -> None:
    r = score(FitAnswers())
    assert r.recommended == "undecided" and r.reasons == [] and r.scores == {"engineering": 0, "automation": 0}


# -- mirror ---------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(answers_st)
def test_mirrored_answers_flip_the_result(a: FitAnswers) -> None:
    r, m = score(a), score(mirror(a))
    assert m.scores == {"engineering": r.scores["automation"], "automation": r.scores["engineering"]}
    assert m.recommended == FLIP[r.recommended]
    assert score(mirror(mirror(a))) == r


def test_mirror_pairs_each_signal_with_one_for_the_other_path() -> None:
    for table in (RED_FLAGS, PREFERENCES):
        for key, signal in table.items():
            other = table[signal.mirror]
            assert other.mirror == key and other.path != signal.path


# -- monotone ---------------------------------------------------------------------------------------
def _additions(a: FitAnswers) -> list[tuple[str, FitAnswers]]:
    """Every single answer that can be added to ``a``, with the path it points to."""
    out = []
    for q in QUESTIONS:
        if getattr(a, q) is None:
            for option, path in QUESTION_ANSWERS[q].items():
                out.append((path, a.model_copy(update={q: option})))
    for key, sig in RED_FLAGS.items():
        if key not in a.red_flags:
            out.append((sig.path, a.model_copy(update={"red_flags": [*a.red_flags, key]})))
    for key, sig in PREFERENCES.items():
        if key not in a.preferences:
            out.append((sig.path, a.model_copy(update={"preferences": [*a.preferences, key]})))
    return out


@settings(max_examples=150, deadline=None)
@given(answers_st)
def test_adding_a_signal_for_a_path_never_lowers_that_path(a: FitAnswers) -> None:
    before = score(a)
    for path, more in _additions(a):
        after = score(more)
        other = FLIP[path]
        assert after.scores[path] > before.scores[path]
        assert after.scores[other] == before.scores[other]
        if before.recommended == path:
            assert after.recommended == path


@settings(max_examples=150, deadline=None)
@given(answers_st)
def test_switching_a_question_to_a_path_never_lowers_that_path(a: FitAnswers) -> None:
    for q in QUESTIONS:
        for option, path in QUESTION_ANSWERS[q].items():
            assert score(a.model_copy(update={q: option})).scores[path] >= score(a).scores[path]


# -- reasons a person can check -----------------------------------------------------------------------
def test_every_reason_quotes_an_article_sentence() -> None:
    text = article_text()
    everything = FitAnswers(red_flags=list(RED_FLAGS), preferences=list(PREFERENCES))
    reasons = list(score(everything).reasons)
    for q in itertools.product(*[QUESTION_ANSWERS[q] for q in QUESTIONS]):
        reasons += score(FitAnswers(**dict(zip(QUESTIONS, q)))).reasons
    assert len({r.signal + r.answer for r in reasons}) == 6 + len(RED_FLAGS) + len(PREFERENCES)
    for r in reasons:
        assert len(r.quote.split()) >= 4, r
        assert r.quote in text, f"{r.signal}: {r.quote!r} is not in the article"


def test_question_reasons_quote_the_sentence_for_their_path() -> None:
    for q in itertools.product(*[QUESTION_ANSWERS[q] for q in QUESTIONS]):
        for r in score(FitAnswers(**dict(zip(QUESTIONS, q)))).reasons:
            word = "engineering" if r.path == "engineering" else "automation"
            assert word in r.quote.lower()


# -- free text ------------------------------------------------------------------------------------------
FREE_TEXT = [
    ("I'm patient and I love going deep into one topic", "engineering"),
    ("I hate being interrupted", "engineering"),
    ("I can't stand constant context switching, I need long focus blocks", "engineering"),
    ("when I'm stuck I'd rather read papers and understand the math", "engineering"),
    ("I can wait a few years for the payoff, I'm playing the long game", "engineering"),
    ("I want to build something once that works for millions of users", "engineering"),
    ("I get bored doing the same kind of work over and over", "engineering"),
    ("I'm not into variety, I'd rather master one domain", "engineering"),
    ("I need money quickly, my family depends on me", "automation"),
    ("I love variety and switching between different clients", "automation"),
    ("I learn by doing, trial and error is my thing", "automation"),
    ("I want to see the results of my work right away", "automation"),
    ("I need constant praise from my manager to stay motivated", "automation"),
    ("I am terrified of being wrong in front of people", "automation"),
    ("I'm not patient at all", "automation"),
    ("honestly I'm impatient and want quick wins", "automation"),
    ("I don't like deep work, I prefer breadth", "automation"),
    ("I dislike waiting for results", "automation"),
    ("I like solving lots of small problems for different clients", "automation"),
    ("I'd rather try a few different approaches than read the theory", "automation"),
    ("going really deep on one codebase energises me", "engineering"),
    ("I'm fine debugging for days without knowing what's wrong", "engineering"),
    ("constant pings make me lose my mind", "engineering"),
    # Boredom and weariness are dislikes: what bores someone is the other path's.
    ("I get bored going deep into one system for weeks", "automation"),
    ("I'm tired of waiting months to see if anything worked", "automation"),
]


@pytest.mark.parametrize(("text", "path"), FREE_TEXT, ids=[t for t, _ in FREE_TEXT])
def test_free_text_self_descriptions(text: str, path: str) -> None:
    r = score_text(text, FACTS)
    assert r is not None, text
    assert r.recommended == path, (r.scores, [x.answer for x in r.reasons])
    assert all(x.path == path for x in r.reasons), [x.answer for x in r.reasons]


@pytest.mark.parametrize(
    "text",
    ["what's the weather tomorrow?", "tell me about AI", "", "   ", "I don't mind interruptions"],
)
def test_text_without_signals_scores_nothing(text: str) -> None:
    assert score_text(text, FACTS) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_free_text_is_total_and_deterministic(text: str) -> None:
    r = score_text(text, FACTS)
    assert r == score_text(text, FACTS)
    if r is not None:
        check_result(r)


def test_not_needing_praise_is_not_read_as_needing_it() -> None:
    r = score_text("I don't need validation or praise, and I love depth", FACTS)
    assert r is not None and r.recommended == "engineering"
    assert not any("validation" in x.answer for x in r.reasons)


def test_the_part_after_rather_than_is_what_they_would_not_do() -> None:
    r = score_text("I'd rather tinker with it than analyse the theory", FACTS)
    assert r is not None and [x.answer for x in r.reasons] == ["when stuck, try faster"]


def test_an_analyst_is_not_someone_who_analyses() -> None:
    assert score_text("I work as a security analyst", FACTS) is None


def test_a_career_s_name_is_not_a_wish_to_specialise() -> None:
    """A career's name ("Automation Specialist") is no wish of the writer's ("I want to specialise")."""
    assert score_text("I've been reading about automation specialists lately", FACTS) is None
    r = score_text("I want to specialise in one domain", FACTS)
    assert r is not None and r.scores["engineering"] > 0


def test_a_negation_is_not_also_read_as_its_opposite() -> None:
    r = score_text("I don't like deep work", FACTS)
    assert r is not None and r.scores["engineering"] == 0
    r = score_text("I'm not patient", FACTS)
    assert r is not None and not any(re.search(r"\bpatient\b", x.answer) for x in r.reasons)


@pytest.mark.parametrize(
    "text",
    ["he doesn't care about quick money", "I'm not in it for quick money", "honestly I'm not after quick money"],
)
def test_a_phrase_a_negation_governs_is_no_evidence_for_it(text: str) -> None:
    assert "early_income" not in answers_from_text(text).preferences


@pytest.mark.parametrize(
    "text",
    ["I don't like meetings and need money fast", "not gonna lie I need money fast", "no doubt I need money fast"],
)
def test_a_negation_elsewhere_in_the_sentence_does_not_hide_a_phrase(text: str) -> None:
    assert "early_income" in answers_from_text(text).preferences


@pytest.mark.parametrize(
    "text",
    ["i like trying a bit of everything, not going deep into one thing", "i pick up a little of every topic not going too deep"],
)
def test_what_someone_says_they_do_not_do_is_no_trait_of_theirs(text: str) -> None:
    assert answers_from_text(text).energy_from != "depth"


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("working on one thing for months I get bored", "energy_from", "breadth"),
        ("reading theory for days I get bored", "when_stuck", "try_faster"),
        ("I like variety, I get bored repeating the same lesson", "energy_from", "breadth"),
        ("I can stay with one problem for weeks without getting bored", "energy_from", None),
        ("I could read papers all day and never get bored", "when_stuck", "think_harder"),
    ],
)
def test_what_bores_someone_is_the_thing_before_it_in_the_clause(text: str, field: str, expected: str | None) -> None:
    assert getattr(answers_from_text(text), field) == expected


@pytest.mark.parametrize(
    ("text", "field", "unwanted"),
    [
        ("when I go deep into one problem I dont get bored, I get obsessed", "energy_from", "breadth"),
        ("sticking to one thing i never really get bored, I like mastery", "energy_from", "breadth"),
        ("I could read research papers for hours without ever getting bored", "when_stuck", "try_faster"),
        ("without variety I get bored quickly", "energy_from", "depth"),
        ("I love switching between projects otherwise I get bored", "energy_from", "depth"),
        ("reading documentation I get bored, but when I'm stuck I like to think it through", "when_stuck", "try_faster"),
    ],
)
def test_boredom_negated_or_outweighed_says_nothing_against_the_thing(text: str, field: str, unwanted: str) -> None:
    """Found by a review: "get bored" after a negation, "without", "otherwise", or beside the stuck question's own answer."""
    assert getattr(answers_from_text(text), field) != unwanted


@pytest.mark.parametrize(
    "text",
    [
        "more than once I've spent a whole weekend on one bug and loved it",
        "I've spent more than 3 years going deep into one domain",
    ],
)
def test_more_than_as_a_quantity_hides_nothing(text: str) -> None:
    assert answers_from_text(text).energy_from == "depth"
