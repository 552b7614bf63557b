"""The form model: whether a clause asks or tells, learned from labelled clauses (knowledge/forms.py)."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np

from pathwise.knowledge import forms

HELD_OUT = {True: 0.75, False: 0.9}  # each form, read right at the reader's threshold on clauses the model never saw


def test_every_labelled_clause_has_text_and_a_form_and_is_there_once() -> None:
    text = resources.files("pathwise.knowledge").joinpath("data", forms.FORMS_FILE).read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all(set(row) == {"q", "form"} and row["form"] in ("ask", "tell") and row["q"].strip() for row in rows)
    texts = [" ".join(row["q"].lower().split()) for row in rows]
    assert len(set(texts)) == len(texts)
    # Most asks carry no "?": the model would otherwise learn the punctuation the reader already trusts.
    asks = [row["q"] for row in rows if row["form"] == "ask"]
    assert sum("?" not in q for q in asks) >= 0.75 * len(asks)
    assert min(len(asks), len(rows) - len(asks)) >= 500


def test_the_form_of_clauses_it_never_saw_is_read_right() -> None:
    """Trained on half the labelled clauses, it reads the other half at the reader's threshold: a
    telling clause read as asking costs a self-description its fit, so telling is held higher."""
    from pathwise.agent.reading import FORM_MIN

    labelled = list(forms.bundled_forms())
    order = np.random.default_rng(0).permutation(len(labelled))
    seen = [labelled[i] for i in order[::2]]
    unseen = [labelled[i] for i in order[1::2]]
    weights = forms.train(seen)
    for form in (True, False):
        clauses = [text for text, asks in unseen if asks is form]
        right = sum((forms.asks(weights, text) > FORM_MIN) is form for text in clauses)
        assert right / len(clauses) >= HELD_OUT[form], (form, right, len(clauses))


def test_a_question_mark_teaches_nothing_and_any_script_has_words() -> None:
    assert forms.features("how long before the first salary?") == forms.features("how long before the first salary")
    assert forms.features("इंजीनियर की सैलरी कितनी है")
    assert forms.train([("only asks", True)]) is None
    assert forms.train([("?!", True), ("...", False)]) is None  # no words to learn from
