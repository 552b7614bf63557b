"""Words for BM25: a small tokenizer, a light stemmer, and BM25 itself over an inverted index.

Hand-rolled rather than a library: it imports in milliseconds (cold start is a feature)
and the corpus is small; the benchmark compares it against ``bm25s``.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

_TOKEN = re.compile(r"₹|[a-z0-9]+(?:'[a-z]+)?(?:[./][a-z0-9]+)*")
STOPWORDS = frozenset(
    "a an and are as at be been being but by can could did do does doing for from had has have how i if in into "
    "is it its it's me my of on or our so than that the their them then there these they this those to was we "
    "were what when where which who whom why will with would you your yours about also just more most some such "
    "very really actually just even quite "
    "u ur urs r".split()  # chat spellings of "you", "your", "are": "can u help" shares nothing with "where does that take u"
)
_SUFFIXES = ("ations", "ation", "ating", "ated", "ates", "ate", "ings", "ing", "ies", "ied", "edly", "ed", "es", "s", "ly")

# Everyday words people use for the article's ideas. The article says "income", "burn out",
# "credentialism"; people say "salary", "quit", "degree".
SYNONYMS: dict[str, tuple[str, ...]] = {
    "salary": ("income", "earn", "₹"),
    "money": ("income", "earn", "₹"),
    "pay": ("income", "earn", "₹"),
    "paid": ("income", "earn", "₹"),
    "wage": ("income", "earn", "₹"),
    "make": ("earn",),
    "earn": ("income", "₹"),
    "income": ("₹",),
    "rupee": ("income", "₹"),
    "lakh": ("income", "₹"),
    "lpa": ("income", "₹"),
    "ctc": ("income", "₹"),
    "compensation": ("income", "₹"),
    "quit": ("burnout", "wall", "break"),
    "exhaust": ("burnout", "drain"),
    "tired": ("burnout", "drain"),
    "burn": ("burnout", "wall", "break"),
    "burnout": ("wall", "break"),
    "degree": ("credentialism", "credential"),
    "qualification": ("credentialism", "credential"),
    "gatekeep": ("credentialism",),
    "barrier": ("entry",),
    "hard": ("barrier",),
    "job": ("role", "hire"),
    "hire": ("job",),
    "stress": ("burnout",),
    "personality": ("trait", "struggle"),
    "warning": ("red", "flag", "struggle"),
    "sign": ("red", "flag"),
    "cash": ("income", "earn", "₹"),
    "ml": ("engineer",),  # people say "ML engineer"; the article says "AI Engineer"
    "bootcamp": ("course",),
    "tool": ("n8n", "zapier", "langchain", "pytorch", "tensorflow"),  # the tools the article names
    "carry": ("transfer",),  # "what carries over"
    "miserable": ("struggle", "drain"),
    "unhappy": ("struggle", "drain"),
    "pick": ("choose",),  # the article's verdict says "Choose ... if"
    "open": ("role", "job"),  # "openings", "job openings"
    "position": ("role", "job"),
    "vacancy": ("role", "job"),
    "predict": ("expect",),
    "forecast": ("expect",),
    "boom": ("grown", "explod"),
    "blown": ("grown", "explod"),
}
# Light Hinglish, word for word, so that MiniLM (trained on English) and the bank read it: "ML wale log
# kitne mahine mein thak jaate hain?" is read as "ML folks people how many months in tired ...".
# The words are package data (``data/hinglish.jsonl``); a word English has too ("teen", "log", "mere")
# is glossed but is no evidence that a message is Hinglish.
HINGLISH_FILE = "hinglish.jsonl"
HINGLISH_MIN = 2  # a message is glossed only with two or more of its words that are Hinglish alone


@lru_cache(maxsize=1)
def hinglish() -> tuple[dict[str, str], frozenset[str]]:
    """The lexicon (Hinglish word -> English) and the words of it English has too."""
    text = resources.files("pathwise.knowledge").joinpath("data", HINGLISH_FILE).read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return {r["hi"]: r["en"] for r in rows}, frozenset(r["hi"] for r in rows if r.get("english_too"))


# Chat shorthand ("y tho", "wat abt AE", "ok n after yr 2"), word for word, in every message: MiniLM
# and the bank read "why though", "what about AI engineering", "ok and after year 2". Package data
# (``data/shorthand.jsonl``); only whole words are read ("n8n" and "10k" stay as they are).
SHORTHAND_FILE = "shorthand.jsonl"


@lru_cache(maxsize=1)
def shorthand() -> tuple[dict[str, str], re.Pattern[str]]:
    """The shorthand (word -> English) and the pattern that finds its words. A word written with
    capitals is matched as written ("AE", not the Hinglish "ae bhai"); a single letter only in
    lower case ("r" is "are", "R" the language)."""
    text = resources.files("pathwise.knowledge").joinpath("data", SHORTHAND_FILE).read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    table = {r["short"]: r["en"] for r in rows}
    unless = {r["short"]: r["unless_next"] for r in rows if r.get("unless_next")}
    loose = [w for w in table if w == w.lower() and len(w) > 1]
    exact = [w for w in table if w not in loose]

    def one(w: str) -> str:  # "auto" is automation, but not in "auto driver"
        after = rf"(?!\W+(?i:{'|'.join(map(re.escape, unless[w]))})\b)" if w in unless else ""
        return re.escape(w) + after

    def any_of(words: list[str]) -> str:
        return "|".join(one(w) for w in sorted(words, key=len, reverse=True))

    return table, re.compile(rf"(?<![\w/;])(?:(?i:{any_of(loose)})|{any_of(exact)})(?![\w/;])")


# "yr1", "mo6", "year2": a stretch of time written as one word reads as the two the period parser knows.
GLUED_PERIOD = re.compile(r"(?i)\b(yrs?|years?|mo|mos|months?|mnths?|mths?)(\d{1,2})\b")


def unabbreviated(text: str, *, letters: bool = True) -> str:
    """``text`` with its chat shorthand written out; without ``letters``, single letters stay
    (in Hinglish "y" is "ye", this)."""
    table, found = shorthand()

    def out(m: re.Match[str]) -> str:
        word = m[0] if m[0] in table else m[0].lower()
        return m[0] if len(word) == 1 and not letters else table[word]

    return found.sub(out, GLUED_PERIOD.sub(r"\1 \2", text))


def gloss(text: str) -> str:
    """``text`` with its Hinglish words in English, when it has enough of them to be Hinglish."""
    lexicon, english_too = hinglish()
    words = re.findall(r"[a-z]+", text.lower())
    if sum(1 for w in words if w in lexicon and w not in english_too) < HINGLISH_MIN:
        return text
    # Postpositions come after the stretch of time: "6 mahine mein" is "in 6 months", "2 saal baad" "after 2 years".
    text = re.sub(
        r"(?i)\b(?:shuru (?:ke|ki|mein|me)|pehle) (\d+)\s+(mahine|mahina|saal|months?|years?)(?:\s+(?:mein|me))?\b",
        lambda m: f"the first {m[1]} {m[2]}",
        text,
    )
    text = re.sub(  # "1-2 saal baad": "after 1-2 years"
        r"(?i)\b(\d+(?:\s*-\s*\d+)?)\s+(mahine|mahina|saal|months?|years?)\s+(?:ke\s+)?baad\b",
        lambda m: f"after {m[1]} {m[2]}",
        text,
    )
    text = re.sub(r"(?i)\b(?:uske|iske|us ke|is ke)\s+baad\b", "after that", text)  # "aur uske baad?": "and after that?"
    text = re.sub(r"(?i)\bkoi (\w+) nahi(?:n)?\b", r"no \1", text)  # "koi problem nahi": "no problem"
    # "mujhe kaunsa lena chahiye?": "which one should I take?" (the verb before "chahiye" is what should be done)
    text = re.sub(
        r"(?i)\b(?:mujhe|muje|mereko|humein|hume)\s+(?:kaunsa|kaunsi|konsa|konsi|kaun sa|kaun si)\s+(?:path\s+|wala\s+)?"
        r"(?:lena|lu|loon|pakadna|pakdu|chunna|chunu|choose karna|karna|karu)\s+chahiye\b",
        "which one should I take",
        text,
    )
    # Hindi negates after the verb: "sabar nahi hai" is "no patience", "gehraai wala kaam pasand nahi" "no depth ..."
    text = re.sub(
        r"(?i)\b(sabar|dhairya|gehraai|gehrai|tareef|taarif)\b((?:\s+(?!nahi)\w+){0,4}?)\s+nahi(?:n)?\b", r"no \1\2", text
    )
    text = re.sub(r"(?i)\bkuch aur\b", "something else", text)  # "jaldi kuch aur try karta hun": "quickly try something else"
    text = re.sub(r"(?i)\bdin bhar\b", "all day", text)
    text = re.sub(r"(?i)\bbaad (?:mein|me)\b", "later", text)  # "wo baad mein ...": "that, later, ..."
    # "kahan kaam aati hai?": "where is it useful?"
    text = re.sub(r"(?i)\bkaam (?:aati|aata|aate|aayegi|aayega|aayenge)\b", "is useful", text)
    text = re.sub(r"(?i)\b(\d+)\s+se\s+(\d+)(?:\s+tak)?\b", r"\1 to \2", text)  # "month 6 se 18 tak"
    text = re.sub(r"(?i)\b(\d+ to \d+\s+(?:mahine|mahina|saal))\s+(?:mein|me)\b", r"\1", text)  # "1 se 2 saal mein"
    text = re.sub(r"(?i)\b(\d+)\s+(mahine|mahina|saal)\s+(?:mein|me)\b", lambda m: f"within {m[1]} {m[2]}", text)
    # "mere liye kaunsa sahi hai?": "which is right for me?", in English word order.
    text = re.sub(
        r"(?i)\b(?:mere|mujhe|mera|meri) (?:liye|ko) (?:kaunsa|konsa|kaun sa|kaunsi|konsi) (?:sahi|theek|thik|best|accha|acha|better)"
        r"(?: (?:hai|hain|rahega|hoga|rahegi|hogi))?\b",
        "which is right for me",
        text,
    )
    # "uske liye kaunsa raasta sahi?": "which path is right for her?" (Hindi does not say whose: either reads the same)
    text = re.sub(
        r"(?i)\b(?:uske|uski|unke|iske|isko|usko) (?:liye|ko) (?:kaunsa|konsa|kaun sa|kaunsi|konsi)(?: (?:raasta|rasta|path|line|field))? "
        r"(?:sahi|theek|thik|best|accha|acha|better)(?: (?:hai|hain|rahega|hoga|rahegi|hogi))?\b",
        "which path is right for her",
        text,
    )
    text = re.sub(
        r"(?i)\b(?:kaunsa|konsa|kaun sa|kaunsi|konsi) (?:sahi|theek|thik|best|accha|acha|better) (?:hai|rahega|hoga|rahegi|hogi) "
        r"(?:mere|mujhe) (?:liye|ko)\b",
        "which is right for me",
        text,
    )
    glossed = re.sub(r"[A-Za-z]+", lambda m: lexicon.get(m.group(0).lower(), m.group(0)), text)
    # "doosre wale ko samjhao": "the second one", as an English follow-up points at an item
    glossed = re.sub(r"\b(first|second|third|last) (?:folks|one)(?: ko)?\b", r"the \1 one", glossed)
    return " ".join(glossed.split())


# Two-word phrases (as stemmed tokens) whose meaning neither word carries alone.
PHRASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("give", "up"): ("quit", "burnout", "wall", "break"),
    ("gave", "up"): ("quit", "burnout", "wall", "break"),
    ("burn", "out"): ("burnout",),
}


def _uncontract(word: str) -> str:
    """ "what's" → "what", "engineer's" → "engineer"; a negation ("don't") or a pronoun's
    contraction ("you're") carries no topic and becomes a stopword."""
    head, _, tail = word.partition("'")
    if not tail:
        return word
    return "" if tail == "t" else head


@lru_cache(maxsize=65_536)  # a vocabulary repeats: tokenizing the bank at start stems each word once, not 35,000 times
def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            base = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                return base + "y"
            # "debugging" is "debug", "stopped" "stop"; "spelling" stays "spell"
            if suffix.startswith(("ing", "ed")) and re.search(r"([^aeioulsz])\1$", base):
                return base[:-1]
            return base
    return word


MONEY_GLUED = re.compile(r"(\d)(lpa|lakhs?|crores?|cr|ctc)\b")  # "30LPA" is 30 and a money unit


def tokenize(text: str, *, expand: bool = False) -> list[str]:
    text = MONEY_GLUED.sub(r"\1 \2", text.lower().replace("’", "'"))
    out: list[str] = []
    prev = ""
    for raw in map(_uncontract, _TOKEN.findall(text)):
        if not raw or raw in STOPWORDS:
            prev = ""
            continue
        token = stem(raw)
        out.append(token)
        if expand:
            out.extend(SYNONYMS.get(token, SYNONYMS.get(raw, ())))
            out.extend(PHRASES.get((prev, token), ()))
        prev = token
    return out


class BM25:
    """Okapi BM25 over an inverted index; ``top`` returns (doc index, score) best first."""

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        import numpy as np

        self.n = len(docs)
        self.k1, self.b = k1, b
        self.lengths = np.array([len(d) for d in docs], dtype=np.float32)
        self.avgdl = float(self.lengths.mean()) if self.n else 1.0
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                postings[term].append((i, tf))
        self.index: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}
        for term, plist in postings.items():
            pairs = np.array(plist, dtype=np.int32)
            idf = math.log(1 + (self.n - len(plist) + 0.5) / (len(plist) + 0.5))
            self.index[term] = (np.ascontiguousarray(pairs[:, 0]), pairs[:, 1].astype(np.float32), idf)

    def scores(self, query: list[str]) -> np.ndarray:
        import numpy as np

        total = np.zeros(self.n, dtype=np.float32)
        norm = self.k1 * (1 - self.b + self.b * self.lengths / max(self.avgdl, 1e-9))
        for term, weight in Counter(query).items():
            entry = self.index.get(term)
            if entry is None:
                continue
            idx, tf, idf = entry
            total[idx] += weight * idf * tf * (self.k1 + 1) / (tf + norm[idx])
        return total

    def top(self, query: list[str], n: int) -> list[tuple[int, float]]:
        return self.best(self.scores(query), n)

    @staticmethod
    def best(scores: np.ndarray, n: int) -> list[tuple[int, float]]:
        """The n highest of ``scores`` (from ``scores``) that matched at all, best first."""
        import numpy as np

        n = min(n, len(scores))
        if n == 0:
            return []
        best = np.argpartition(-scores, n - 1)[:n]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(i), float(scores[i])) for i in best if scores[i] > 0]


def sentences(text: str) -> list[str]:
    """A passage or message cut into sentences; a list marker ("2.") is not a sentence."""
    text = re.sub(r"(?m)^\s*(?:\d+[.)]|[-•·*])\s+", "", text)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n", text) if s.strip()]
