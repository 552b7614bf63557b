"""The question bank: labelled examples that teach the advisor by example, and extra search keys
for the passages they point at (multi-vector retrieval)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from pathwise.agent.reading import TRAIT_SIGNALS
from pathwise.knowledge.bank import bank_digest, bundled_examples
from pathwise.knowledge.corpus import bundled_article
from pathwise.knowledge.lexical import sentences
from tests.fake_openai import FakeOpenAI, Reply

TOPICS = {
    "income",
    "burnout",
    "breaks",
    "gatekeeping",
    "entry",
    "feedback",
    "value_timing",
    "skills",
    "commoditization",
    "market",
    "hiring",
    "framework",
    "compounding",
    "commitment",
    "choose",
    "suits",
    "tools",
    "real_question",
    "core_problem",
    "overview",
    "red_flags",
}


def test_every_bank_label_points_at_a_stored_passage_and_a_known_topic() -> None:
    ids = {p.id for p in bundled_article().passages}
    questions = [e for e in bundled_examples() if e.route == "question"]
    assert len(questions) >= 58 * 10
    for e in questions:
        assert e.passages and set(e.passages) <= ids, e.q
        assert e.topic in TOPICS, e.q
        if e.period is not None:
            assert e.period[1] is None or e.period[0] < e.period[1], e.q


def test_every_passage_has_at_least_ten_questions() -> None:
    answered = Counter(pid for e in bundled_examples() for pid in e.passages)
    short = {p.id: answered[p.id] for p in bundled_article().passages if answered[p.id] < 10}
    assert not short, short


def test_routes_and_traits_carry_what_the_reader_needs() -> None:
    examples = bundled_examples()
    routes = Counter(e.route for e in examples)
    assert routes["offtopic"] >= 50 and routes["fit"] >= 30 and routes["followup"] >= 50 and routes["trait"] >= 200
    assert all(e.path in ("engineering", "automation") for e in examples if e.route == "fit")
    assert {e.kind for e in examples if e.route == "trait"} == set(TRAIT_SIGNALS)
    asks = [e for e in examples if e.route == "ask"]
    # A bare ask says nothing of its writer: no path, no passage, nothing for the trait reader.
    assert len(asks) >= 50 and all(e.path is None and not e.passages and e.topic is None for e in asks)


def test_bare_asks_are_kept_out_of_the_topic_vote(kb) -> None:  # type: ignore[no-untyped-def]
    """ "so where do I fit?" is a request by its nearest ask, not one more label in the vote."""
    vector = kb.embed("ok, knowing all this, which of the two is the one for me?")
    assert all(e.route != "ask" for e, _ in kb.neighbours(vector, 50))
    assert "ask" not in kb.classify(vector)
    assert kb.asks_fit(vector) > kb.neighbours(vector, 1)[0][1]


def test_the_bank_digest_changes_with_any_example() -> None:
    examples = list(bundled_examples())
    changed = [examples[0].model_copy(update={"q": examples[0].q + " really"}), *examples[1:]]
    assert bank_digest(examples) != bank_digest(changed)


def test_the_bank_lives_in_a_chroma_collection_of_its_own(kb) -> None:  # type: ignore[no-untyped-def]
    stored = kb.store.questions.count()
    assert stored == len({e.id for e in bundled_examples()})
    assert kb.store.collection.count() == len(bundled_article().passages)


def _held_out(x, y, n: int, neighbours: int, temperature: float) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Five-fold cross-validation: how many held-out labels the ridge classifier gets right, and
    how many the nearest examples' softmax vote does."""
    import numpy as np

    from pathwise.knowledge.retrieval import _ridge

    fold = np.arange(len(y)) % 5
    ridge_right = nearest_right = 0
    for f in range(5):
        train, test = fold != f, fold == f
        weights = _ridge(x[train], list(y[train]), n)
        scores = np.hstack([x[test], np.ones((int(test.sum()), 1))]) @ weights
        ridge_right += int((scores.argmax(1) == y[test]).sum())
        for row, label in zip(x[test] @ x[train].T, y[test]):
            top = np.argsort(-row)[:neighbours]
            votes = np.bincount(y[train][top], weights=np.exp((row[top] - row[top[0]]) / temperature), minlength=n)
            nearest_right += int(votes.argmax() == label)
    return ridge_right, nearest_right


def test_the_bank_classifier_reads_held_out_messages_better_than_their_nearest_examples(kb) -> None:  # type: ignore[no-untyped-def]
    """The ridge classifier the reader votes with gets more held-out labels right than the
    nearest examples' softmax vote does."""
    import numpy as np

    from pathwise.agent.reading import NEIGHBOURS, TEMPERATURE

    index = kb.retriever._index()
    x = np.asarray(index.message_vectors, dtype=np.float64)
    y = np.array([index.labels.index(e.label) for e in index.bank_messages])
    ridge_right, nearest_right = _held_out(x, y, len(index.labels), NEIGHBOURS, TEMPERATURE)
    assert ridge_right > nearest_right
    assert ridge_right / len(y) >= 0.55


def test_the_trait_classifier_reads_held_out_clauses_better_than_their_nearest_clauses(kb) -> None:  # type: ignore[no-untyped-def]
    """MiniLM puts "I don't need praise" beside "I need praise", so the nearest clauses' vote (the
    reader's before) is often the opposite trait; the ridge classifier it uses instead gets more
    held-out kinds right."""
    import numpy as np

    index = kb.retriever._index()
    x = np.asarray(index.trait_vectors, dtype=np.float64)
    y = np.array([index.trait_labels.index(index.examples[row].kind) for row in index.trait_rows])
    ridge_right, nearest_right = _held_out(x, y, len(index.trait_labels), neighbours=8, temperature=0.03)
    assert ridge_right > nearest_right * 1.1


def test_a_label_with_ten_times_the_examples_does_not_swallow_the_others() -> None:
    """Asides come in every walk of life, so the bank holds many of them; their number is not how
    likely an aside is. Messages of a small label stay that label's about as often as a big one's do."""
    import numpy as np

    from pathwise.knowledge.retrieval import _ridge

    rng = np.random.default_rng(7)
    centre = np.eye(8)

    def drawn(label: int, n: int) -> np.ndarray:
        return centre[label] + 0.6 * rng.standard_normal((n, 8))

    weights = _ridge(np.vstack([drawn(0, 200), drawn(1, 20)]), [0] * 200 + [1] * 20, 2)

    def recall(label: int) -> float:
        scores = np.hstack([drawn(label, 500), np.ones((500, 1))]) @ weights
        return float((scores.argmax(1) == label).mean())

    assert recall(1) >= 0.75 and recall(0) >= 0.75, (recall(0), recall(1))


def test_the_bank_classifier_gives_a_distribution_over_the_banks_labels(kb) -> None:  # type: ignore[no-untyped-def]
    probabilities = kb.classify(kb.embed("how much does an automation freelancer make in the first few months?"))
    assert abs(sum(probabilities.values()) - 1.0) < 0.01
    assert max(probabilities, key=lambda k: probabilities[k]) == "income"


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        # each names its subject in words the passage does not use
        ("how much dough do ML people pull in once they're seasoned?", "₹20-50L"),
        ("what's the typical gig a zapier freelancer lands first, money-wise?", "₹15,000"),
        ("why would a small shop owner be wary of hiring a computer science grad?", "Over-qualification"),
    ],
)
def test_a_question_finds_its_passage_through_the_bank(kb, question: str, answer: str) -> None:  # type: ignore[no-untyped-def]
    top = kb.search(question, 3)
    assert any(answer in h.text for h in top), [h.text[:60] for h in top]


def test_the_question_keys_lift_a_passage_the_question_alone_misses(kb, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The same searches with the bank's share given to the passages' own vectors rank worse."""
    import pathwise.knowledge.retrieval as retrieval

    questions = [
        "how much dough do ML people pull in once they're seasoned?",
        "why would a small shop owner be wary of hiring a computer science grad?",
        "so what's the deal when something in prod falls over for the ML crowd?",
        "who ends up being the go-to for a company's whole model stack?",
    ]

    with_keys = [kb.search(q, 5) for q in questions]
    monkeypatch.setattr(retrieval, "QUESTION_SHARE", 0.0)
    monkeypatch.setattr(retrieval, "DENSE_SHARE", 0.7)
    without = [kb.search(q, 5) for q in questions]
    changed = [a[0].id != b[0].id for a, b in zip(with_keys, without)]
    assert any(changed), "the bank's keys change no ranking"


# -- ingest: questions for a user's document -----------------------------------------------------
DOC = "Notes on freelancing\n\nFreelancers who send invoices within a day get paid twice as fast as those who wait a week.\n"


def test_ingest_offline_says_a_document_is_searched_by_its_passages_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathwise.cli import main

    doc = tmp_path / "notes.txt"
    doc.write_text(DOC, encoding="utf-8")
    assert main(["ingest", str(doc)]) == 0
    out = capsys.readouterr().out
    assert "notes.txt: 1 passages" in out and "no questions written (offline" in out


def test_ingest_with_a_model_stores_its_questions_as_search_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathwise.cli import main
    from pathwise.config import get_settings
    from pathwise.knowledge.base import KnowledgeBase

    doc = tmp_path / "notes.txt"
    doc.write_text(DOC, encoding="utf-8")
    asked = ["when do quick invoicers get their money?", "does billing fast speed up payment?", "invoice timing tips?"]
    with FakeOpenAI() as server:
        server.enqueue(Reply(content=json.dumps(asked)))
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        get_settings.cache_clear()
        assert main(["ingest", str(doc)]) == 0
        out = capsys.readouterr().out
        assert "3 questions as search keys" in out
        (request,) = server.requests
        assert "send invoices within a day" in json.dumps(request.body)
        # a second ingest of the unchanged file asks the model nothing
        assert main(["ingest", str(doc)]) == 0
        assert len(server.requests) == 1
    kb = KnowledgeBase.open(get_settings(), ensure_bundled=False)
    stored = kb.store.questions.get(where={"source": "notes.txt"}, include=["documents"])["documents"]
    assert sorted(stored) == sorted(asked)


def test_an_unreadable_model_reply_leaves_the_passage_searchable_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathwise.cli import main
    from pathwise.config import get_settings

    doc = tmp_path / "notes.txt"
    doc.write_text(DOC, encoding="utf-8")
    with FakeOpenAI() as server:
        server.enqueue(Reply(content="Sure! Here are some questions: invoices, payment."))
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        get_settings.cache_clear()
        assert main(["ingest", str(doc)]) == 0
    out = capsys.readouterr().out
    assert "notes.txt: 1 passages" in out and "0 questions as search keys" in out
    assert main(["search", "invoices paid twice as fast", "--json"]) == 0
    assert "send invoices within a day" in capsys.readouterr().out


def test_every_keyed_sentence_is_a_sentence_of_the_article_and_has_questions() -> None:
    from pathwise.knowledge.bank import sentence_keys
    from pathwise.knowledge.lexical import sentences

    article = {s for p in bundled_article().passages for s in sentences(p.text)}
    keys = sentence_keys()
    assert len(keys) >= 150
    assert set(keys) <= article, sorted(set(keys) - article)[:3]
    assert all(len(questions) >= 2 for questions in keys.values())


def test_every_follow_up_in_the_bank_follows_a_sentence_of_the_article_and_is_answered_by_one() -> None:
    from pathwise.knowledge.bank import followup_keys
    from pathwise.knowledge.lexical import sentences

    article = {s for p in bundled_article().passages for s in sentences(p.text)}
    bank = followup_keys()
    said = {f.said for f in bank}
    assert len(said) >= 120
    assert said | {f.answer for f in bank} <= article, sorted((said | {f.answer for f in bank}) - article)[:3]
    assert len({(f.said, f.q) for f in bank}) == len(bank)
    kinds = "why how_past normal more who example meaning detail amount when other_path repeat"
    assert {f.kind for f in bank} <= set(kinds.split())


def test_the_same_follow_up_is_answered_by_what_was_said_before_it(kb) -> None:  # type: ignore[no-untyped-def]
    """ "why?" after one line and "why?" after another ask for different sentences: the bank's
    follow-ups are keyed by the line said before them."""
    from pathwise.knowledge.bank import followup_keys

    asked: dict[str, list[tuple[str, str]]] = {}
    for f in followup_keys():
        asked.setdefault(f.q, []).append((f.said, f.answer))
    q, cases = max(asked.items(), key=lambda item: len({answer for _, answer in item[1]}))
    assert len({answer for _, answer in cases}) >= 5, q
    vector = kb.embed(q)
    for said, answer in cases:
        found = kb.followup_answers(said, vector)
        assert max(found, key=lambda s: found[s]) == answer, (q, said)


def test_a_passage_that_never_names_its_path_is_known_by_its_questions(kb) -> None:  # type: ignore[no-untyped-def]
    (hit,) = [h for h in kb.search("the model isn't converging and the accuracy dropped", 3) if "converging" in h.text][:1]
    assert "AI Engineer" not in hit.text
    assert kb.passage_path(hit.id) == "engineering"


def test_the_index_reads_the_bundled_bank_from_the_package_as_the_store_holds_it(kb) -> None:  # type: ignore[no-untyped-def]
    """Read from the package and the vector cache (fast), the bank is what Chroma holds (slow)."""
    import numpy as np

    fast, fast_vectors = kb.retriever._stored_bank()
    slow, slow_vectors = kb.store.all_questions()
    assert sorted(e.q for e in fast) == sorted(e.q for e in slow)
    by_text = {(e.route, e.q): v for e, v in zip(slow, slow_vectors)}
    for e, v in zip(fast, fast_vectors):
        assert np.allclose(by_text[(e.route, e.q)], v, atol=1e-6)


def test_the_sentence_banks_questions_are_keys_of_the_passages_holding_their_sentences(
    kb, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A question written for one sentence finds the passage that holds it more often with the
    sentence-level keys than with the passages' own vectors and questions alone."""
    import pathwise.knowledge.retrieval as retrieval
    from pathwise.knowledge.bank import sentence_keys

    owner = {s: p.id for p in kb.retriever._index().passages for s in sentences(p.text)}
    asked = [(q, owner[s]) for s, qs in sentence_keys().items() if s in owner for q in qs[:1]]

    def found() -> int:
        return sum(pid in [h.id for h in kb.search(q, 3)] for q, pid in asked)

    with_keys = found()
    none = retrieval.SentenceKeys(kb.retriever._index(), None, [], [])
    monkeypatch.setattr(kb.retriever, "_sentence_keys", lambda index: none)
    without = found()
    assert with_keys > without + len(asked) // 20, "the sentence keys find no more passages"
