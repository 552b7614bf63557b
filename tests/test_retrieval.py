"""Hybrid retrieval finds the passage that answers a question as people actually phrase it."""

from __future__ import annotations

import re
from pathlib import Path

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
    (
        "what does a bad day look like when an automation breaks",
        ["you're often on the phone", "five of your client projects break at once"],
    ),
    ("who do you call when a production model goes wrong", ["you're often alone"]),
    ("do hiring managers filter on degrees for AI roles", ["credentialism baked in"]),
    ("will a small business trust me with a CS degree for automation", ["reverse credentialism"]),
    (
        "what skill do I keep from AI engineering even if tools change",
        ["thinking in systems under uncertainty", "Systems thinking under uncertainty"],
    ),
    ("what carries over from automation work into other careers", ["translating business problems into technical workflows"]),
    ("is custom model building still in demand this year", ["haven't grown as fast as people expected"]),
    ("are templates eating the automation market", ["is a template this year"]),
    ("what is the barbell thing about mid-tier AI jobs", ["This creates a barbell"]),
    (
        "how long before I should combine both skill sets",
        ["pick one for 18 months minimum", "After 18 months, you can cross-pollinate"],
    ),
    ("what happens to people who half-learn both paths", ["straddle both without committing"]),
    (
        "signs I'd hate automation work",
        ["You can't tolerate being interrupted", "You can't let go of", "You need intellectual stimulation"],
    ),
    (
        "personality traits that make ML engineering miserable",
        ["You need frequent validation", "You hate being wrong in public", "You optimize for appearing smart"],
    ),
    ("do you get energy from going deep or from variety", ["Do you recover energy from depth or breadth?"]),
    ("when stuck, should I read papers or try something else", ["think harder or try faster"]),
    ("how fast does an automation client see results", ["Automation value is front-loaded"]),
    ("how long until an AI engineer's work pays off for the company", ["AI Engineering value is back-loaded"]),
    ("what tools does an automation bootcamp cover", ["You know n8n, Make, Zapier"]),
    ("is year three easier than year one in AI engineering", ["compounding bet"]),
    ("what's the day-to-day of an automation specialist", ["Repetitive business workflows"]),
    ("what experience do ML job ads demand", ["production ML experience"]),
    ("when is picking AI engineering the right call", ["Choose AI Engineering if you want depth"]),
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


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("What's an engineer's pay?", ["engineer", "pay"]),  # no stray "s" matching every "it's"
        ("You're sure they don't burn out?", ["sure", "burn", "out"]),
        ("₹3-6L (12-24) at 8/14 months", ["₹", "3", "6l", "12", "24", "8/14", "month"]),
    ],
)
def test_contractions_leave_no_fragments_behind(text: str, tokens: list[str]) -> None:
    from pathwise.knowledge.lexical import tokenize

    assert tokenize(text) == tokens


def test_a_doubled_consonant_before_a_suffix_is_one_stem() -> None:
    from pathwise.knowledge.lexical import tokenize

    assert tokenize("debugging stopped planning") == tokenize("debug stop plan")
    assert tokenize("spelling missing") == ["spell", "miss"]


# -- a table row and the paragraphs it summarises ---------------------------------------------
@pytest.mark.parametrize(
    ("question", "paragraph", "row"),
    [
        ("at what point do ML engineers hit burnout", "AI Engineers hit the wall at months 8-14", "Burnout point:"),
        ("when do automation freelancers burn out", "Automation Specialists break at months 18-24", "Burnout point:"),
        (
            "what is the transferable skill in automation",
            "For Automation Specialists, the transferable",
            "Core transferable skill:",
        ),
        # The row's cell ("Repetitive business workflows") shares no words with the paragraph; the bank ties them.
        (
            "what sort of problem does an automation specialist get asked to solve at a company?",
            "An Automation Specialist is in a different meeting",
            "Core problem:",
        ),
    ],
)
def test_a_question_about_one_path_gets_the_paragraph_before_the_table_row(  # type: ignore[no-untyped-def]
    kb, question: str, paragraph: str, row: str
) -> None:
    texts = [h.text for h in kb.search(question, 3)]
    assert texts[0].startswith(paragraph), [t[:40] for t in texts]
    assert any(t.startswith(row) for t in texts[1:])


def _index(ranked_ids: list[str]):  # type: ignore[no-untyped-def]
    from pathwise.knowledge.lexical import BM25
    from pathwise.knowledge.retrieval import _Index
    from pathwise.knowledge.store import StoredPassage

    def passage(pid: str, text: str, **links: str) -> StoredPassage:
        kind = "table_row" if links else "paragraph"
        return StoredPassage(id=pid, text=text, section="s", context="", source="x", order=0, kind=kind, restated_by=links)

    row = passage("row", "Sleep: Cats: sixteen hours; Dogs: twelve hours", **{"Cats": "cats", "Dogs": "dogs"})
    everything = [
        row,
        passage("cats", "Cats sleep sixteen hours."),
        passage("dogs", "Dogs sleep twelve hours."),
        passage("other", "Fish do not sleep like us."),
    ]
    return _Index(everything, BM25([[] for _ in everything])), [(pid, 1.0 - n / 10) for n, pid in enumerate(ranked_ids)]


@pytest.mark.parametrize(
    ("question", "ranked", "expected"),
    [
        ("how long do dogs sleep", ["row", "other", "dogs", "cats"], ["dogs", "row", "other", "cats"]),
        ("how long do cats sleep", ["cats", "row", "dogs"], ["cats", "row", "dogs"]),  # already first
        ("do cats or dogs sleep longer", ["cats", "dogs", "other", "row"], ["row", "cats", "dogs", "other"]),
        ("how does sleep differ", ["dogs", "row", "cats"], ["row", "dogs", "cats"]),
        ("how long do fish sleep", ["other", "dogs", "row"], ["other", "dogs", "row"]),  # names no column, compares nothing
    ],
)
def test_rows_and_their_paragraphs_are_ordered_by_what_the_question_asks(
    question: str, ranked: list[str], expected: list[str]
) -> None:
    from pathwise.knowledge.lexical import tokenize
    from pathwise.knowledge.retrieval import _sources_first

    index, scored = _index(ranked)
    out = _sources_first(index, scored, set(tokenize(question, expand=True)))
    assert [pid for pid, _ in out] == expected
    assert [s for _, s in out] == sorted((s for _, s in out), reverse=True)


def test_a_row_whose_words_its_paragraphs_do_not_share_is_linked_by_the_questions_citing_both() -> None:
    import numpy as np

    from pathwise.knowledge.bank import Example
    from pathwise.knowledge.lexical import BM25
    from pathwise.knowledge.retrieval import _Index
    from pathwise.knowledge.store import StoredPassage

    def passage(pid: str, text: str, kind: str = "paragraph", **links: str) -> StoredPassage:
        return StoredPassage(id=pid, text=text, section="s", context="", source="x", order=0, kind=kind, restated_by=links)

    everything = [
        passage("pay", "Pay: Engineer: late; Automator: early", "table_row", Engineer="eng-pay", Automator="auto-pay"),
        passage("eng-pay", "Engineers are paid late."),
        passage("auto-pay", "Automators are paid early."),
        passage("work", "Work: Engineer: models; Automator: workflows", "table_row"),  # shares no words with the prose
        passage("eng-day", "A day spent tuning a classifier."),
        passage("auto-day", "A meeting about copying tickets by hand."),
        passage("mood", "Mood: Engineer: calm; Automator: busy", "table_row"),
    ]

    def asked(path: str, *pids: str) -> list[Example]:
        return [Example(q=f"{path} question {n} on {pids}", passages=list(pids), topic="t", path=path) for n in range(3)]

    examples = [
        *asked("engineering", "eng-pay"),
        *asked("automation", "auto-pay"),
        *asked("engineering", "work", "eng-day"),
        *asked("automation", "work", "auto-day"),
        *asked("automation", "work", "auto-pay")[:1],  # a paragraph cited beside it once does not decide
        *asked("engineering", "mood", "eng-day"),  # two paragraphs cited as often: neither is its source
        *asked("engineering", "mood", "eng-pay"),
        *asked("automation", "mood", "auto-day")[:2],  # fewer than three citations: too few to tell
    ]
    vectors = np.random.default_rng(0).normal(size=(len(examples), 4))
    index = _Index(everything, BM25([[] for _ in everything]), examples, vectors)
    assert index.links["pay"] == {"Engineer": "eng-pay", "Automator": "auto-pay"}
    assert index.links["work"] == {"Engineer": "eng-day", "Automator": "auto-day"}
    assert "mood" not in index.links


def test_hinglish_is_glossed_only_where_a_message_is_hinglish() -> None:
    from pathwise.knowledge.lexical import gloss

    assert gloss("automation wale pehle 6 mahine mein kitna kamate hain?") == (
        "automation folks the first 6 months how much earn are?"
    )
    assert gloss("ML engineers 2 saal baad kitna kamate hain?").startswith("ML engineers after 2 years how much")
    assert gloss("where do I check the log file?") == "where do I check the log file?"  # one Hinglish-looking word is English
    assert gloss("I know matlab and did PE in school") == "I know matlab and did PE in school"
    # A phrase in Hindi word order, read in English's.
    assert "which is right for me?" in gloss("mujhe variety pasand hai. mere liye kaunsa sahi hain?")
    assert "after 1-2 years" in gloss("paise 1-2 saal baad aaye toh chalega")


def test_the_classifiers_reading_of_a_query_lifts_the_passages_its_questions_are_on(kb, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A paraphrase no bank question is near still has a subject: the search counts how far the
    topics of the bank's questions on each passage agree with the classifier's reading."""
    import pathwise.knowledge.retrieval as retrieval

    monkeypatch.setattr(retrieval, "PASSAGE_LEXICAL_FULL", 0.0)  # the two searches then differ by the classifier alone
    query = "is it tough to get a foot in the door without fancy papers?"
    plain = kb.search(query, 10, reading=True)
    topical = kb.search(query, 10)
    reading = kb.retriever.classify(kb.embed(query))
    topic = max(reading, key=lambda t: reading[t])
    index = kb.retriever._index()

    def agreement(hit) -> float:  # type: ignore[no-untyped-def]
        return sum(reading.get(t, 0.0) * share for t, share in index.topics.get(hit.id, {}).items())

    assert topic in ("gatekeeping", "entry")
    assert {h.id for h in plain} != {h.id for h in topical} or [h.id for h in plain] != [h.id for h in topical]
    assert sum(agreement(h) for h in topical[:3]) >= sum(agreement(h) for h in plain[:3])


def test_common_words_shared_with_an_ingested_note_do_not_outrank_the_articles_answer(  # type: ignore[no-untyped-def]
    settings, tmp_path: Path
) -> None:
    """'make' and 'year' are in every other note: an ingested file sharing only them stays below the income passage."""
    from pathwise.knowledge.base import KnowledgeBase

    note = tmp_path / "planner.txt"
    note.write_text(
        "Planning notes\n\nMake a plan each year. In year one, make what you can: what you make in year one counts.\n", "utf-8"
    )
    kb = KnowledgeBase.open(settings)
    kb.ingest([note])
    hits = kb.search("how much does an AI engineer make in year one?", 3)
    assert any("₹0 (months 0-12)" in h.text for h in hits), [h.text[:60] for h in hits]
    assert "Make a plan" not in hits[0].text


@pytest.mark.parametrize(
    "question",
    ["how much does an AI engineer make in year one?", "what do automation freelancers take home per month after a year?"],
)
def test_a_question_of_pay_finds_the_income_passage_over_passages_sharing_common_words(kb, question: str) -> None:  # type: ignore[no-untyped-def]
    hits = kb.search(question, 3)
    assert any("₹" in h.text and "months" in h.text for h in hits), [h.text[:60] for h in hits]


def test_the_sentence_bank_is_searched_by_its_questions_words(kb) -> None:  # type: ignore[no-untyped-def]
    """ "Rough patch" is a word pair of the wall's questions, not of the article's sentence."""
    scores = kb.sentence_key_lexical("my senior says everyone on the ML route hits a rough patch, how many months in?")
    assert max(scores, key=lambda s: scores[s]) == "AI Engineers hit the wall at months 8-14."
    assert kb.sentence_key_lexical("biryani recipe with saffron") == {}


def test_a_new_process_reads_the_classifiers_an_earlier_build_learned(kb, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Training the bank's classifiers is most of a cold start's first search: it happens once per
    bank, model and tokenizer, and a damaged copy is retrained and replaced, not trusted."""
    import pathwise.knowledge.retrieval as retrieval
    from pathwise.knowledge.bank import Example

    query = kb.embed("how much do automation people make in year one")
    retriever = kb.retriever
    retriever.refresh()
    index = retriever._index()
    path = retrieval._trained_cache(retriever.store, index.examples, retrieval.followup_questions())
    assert path.exists()
    learned = retriever.classify(query)
    asking = retriever.asks("so the automation money comes monthly or not")

    path.write_bytes(b"not a zip file")
    retriever.refresh()
    assert retriever.classify(query) == pytest.approx(learned)
    assert retrieval._load_trained(path) is not None

    def no_training(*args: object) -> None:
        raise AssertionError("retrained although the cache holds this bank's classifiers")

    monkeypatch.setattr(retrieval, "_ridge", no_training)
    monkeypatch.setattr(retrieval.forms, "train", no_training)
    retriever.refresh()
    assert retriever.classify(query) == pytest.approx(learned)
    assert retriever.asks("so the automation money comes monthly or not") == pytest.approx(asking)
    assert asking > 0

    other = [*index.examples, Example(q="what is a platform update", topic="burnout", passages=[index.passages[0].id])]
    assert retrieval._trained_cache(retriever.store, other, retrieval.followup_questions()) != path


def test_hinglish_ordinals_negations_and_light_verbs_are_glossed() -> None:
    from pathwise.knowledge.lexical import gloss

    assert gloss("doosre wale ko samjhao") == "the second one explain"
    assert "no problem" in gloss("mujhe interruptions se koi problem nahi hai")
    assert "something else" in gloss("atak jaun toh jaldi kuch aur try karta hun")
    assert "where is useful" in gloss("wo skill baad mein kahan kaam aati hai?")
    assert gloss("a teen who codes") == "a teen who codes"  # English words alone are left as they are


def test_the_hinglish_lexicon_is_lower_case_words_each_once() -> None:
    from importlib import resources

    from pathwise.knowledge.lexical import HINGLISH_FILE, hinglish

    rows = resources.files("pathwise.knowledge").joinpath("data", HINGLISH_FILE).read_text(encoding="utf-8").splitlines()
    words = [line.split('"hi": "')[1].split('"')[0] for line in rows if line.strip()]
    lexicon, english_too = hinglish()
    assert len(words) == len(set(words)) == len(lexicon)  # a word twice would silently take its last gloss
    assert all(w.isalpha() and w == w.lower() for w in words)
    assert english_too <= set(lexicon) and {"log", "teen", "mere"} <= english_too


def test_chat_shorthand_is_written_out_word_by_word() -> None:
    from pathwise.knowledge.lexical import unabbreviated

    assert unabbreviated("y do u think AE pays more after 2 yrs?") == "why do you think AI engineering pays more after 2 years?"
    assert unabbreviated("n8n gigs pay 10k, wat abt ur side") == "n8n gigs pay 10k, what about your side"  # whole words only
    assert unabbreviated("Why now? Any tips?") == "Why now? Any tips?"
    assert (
        unabbreviated("ae bhai, do automation people use R?") == "ae bhai, do automation people use R?"
    )  # Hinglish "ae", the language R
    assert unabbreviated("y path sahi hai?", letters=False) == "y path sahi hai?"  # Hinglish "y" is "ye"
    assert unabbreviated("is auto easier than engg") == "is automation easier than engg"
    assert unabbreviated("my dad is an auto driver") == "my dad is an auto driver"  # an auto-rickshaw, not a path
    assert unabbreviated("pay in yr2 vs mo6?") == "pay in year 2 vs month 6?"  # a stretch glued to its number


def test_the_shorthand_is_words_each_once() -> None:
    from importlib import resources

    from pathwise.knowledge.lexical import SHORTHAND_FILE, shorthand

    rows = resources.files("pathwise.knowledge").joinpath("data", SHORTHAND_FILE).read_text(encoding="utf-8").splitlines()
    words = [line.split('"short": "')[1].split('"')[0] for line in rows if line.strip()]
    assert len(words) == len(set(words)) == len(shorthand()[0])
    assert all(" " not in w for w in words) and "AE" in words  # capitals are matched as written


@pytest.mark.parametrize(
    ("clause", "trait", "opposite"),
    [
        ("if i am stuck i go back and think it through slowly", "think_harder", "try_faster"),
        ("when i get stuck i go back to my notes and think", "think_harder", "try_faster"),
    ],
)
def test_a_trait_clause_is_read_on_its_words_as_well_as_its_meaning(kb, clause: str, trait: str, opposite: str) -> None:  # type: ignore[no-untyped-def]
    """ "go back" sits near "try something else" for MiniLM; "think it through" and "and think" say which."""
    vector = kb.embed(clause)
    worded = kb.classify(vector, traits=True, text=clause)
    meaning = kb.classify(vector, traits=True)
    assert worded.get(trait, 0.0) > worded.get(opposite, 0.0), worded
    assert worded.get(trait, 0.0) - worded.get(opposite, 0.0) > meaning.get(trait, 0.0) - meaning.get(opposite, 0.0)


def test_the_word_classifier_learns_labels_from_their_examples() -> None:
    from pathwise.knowledge.forms import label_scores, train_labels

    weights = train_labels([("i love waiting", 0), ("i hate waiting", 1), ("love it", 0), ("hate it", 1)], 2)
    assert label_scores(weights, "hate waiting").argmax() == 1
    assert label_scores(weights, "love waiting").argmax() == 0
    assert label_scores(weights, "") is None  # no words, no reading


@pytest.mark.parametrize(
    ("text", "read_as"),
    [
        ("how much does an engeneer make", "how much does an engineer make"),  # a slip of the article's word
        ("is the experiance diffrent", "is the experience different"),
        ("filing taxes while patching servers", "filing taxes while patching servers"),  # English, if not the article's
        ("kitna milta hai bhai", "kitna milta hai bhai"),  # the writer's other language is kept
        ("a vouching letter", "a vouching letter"),  # a slip keeps its first letter: not "touching"
    ],
)
def test_a_misspelt_word_is_read_as_the_article_s_word_it_nearly_spells(kb, text: str, read_as: str) -> None:  # type: ignore[no-untyped-def]
    assert kb.respelled(text, keep=frozenset({"kitna", "milta", "hai", "bhai"})) == read_as
