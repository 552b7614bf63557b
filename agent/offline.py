"""The offline answerer: answers a read message from the fact sheet and retrieved passages,
cites what it used. No model, no clock, no randomness.

``understand`` reads a message with the conversation (``agent/reading.py``) into a ``Plan``;
``answer`` turns the plan into a short, cited ``Turn``: a topic's facts from the fact sheet,
the best sentences of the passages found, or, for a follow-up, what the last answer's
passages and their neighbours say that it did not.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pathwise.agent.fit import OTHER, QUESTION_ANSWERS
from pathwise.agent.models import Citation, FitResult, Reason, Turn
from pathwise.agent.reading import (
    AFTERWARDS,
    ENGINEERING,
    ORDINALS,
    TOPIC_WORDS,
    Period,
    Plan,
    Reader,
    detect_path,
    point_in_last_answer,
    search_query,
)
from pathwise.agent.sessions import SessionState
from pathwise.knowledge.bank import sentences_answering
from pathwise.knowledge.facts import PATH_LABEL, FrameworkQuestion, IncomeBand
from pathwise.knowledge.lexical import sentences as _sentences
from pathwise.knowledge.lexical import tokenize

if TYPE_CHECKING:
    from pathwise.knowledge.base import KnowledgeBase
    from pathwise.knowledge.types import Hit

__all__ = ["OfflineAnswerer", "Plan", "search_query"]


IN_PASSAGE_MIN_SCORE = 2.5  # a word of the question, in a passage already chosen ("what does debugging look like?")
EXTRA_MIN_SCORE = 3.0  # rarity-weighted overlap a supporting sentence needs beside a table row
# A word this rare in the store (BM25 idf; 2.5 is about 1 passage in 15 of the article) is a
# specific of the question: "agency", "startups", "meetings".
RARE_IDF = 2.5
SPECIFIC_MIN_SCORE = 3.5
PATH_NAME = {"engineering": "AI Engineering", "automation": "Automation"}
TRAITS_SAID = 2  # traits a question about what someone told of is answered on
TRAIT_LINES = 4  # the article's lines on each
FIT_ANSWER_PARTS = 1  # parts of the answer to a question asked beside a self-description, before the fit
EXTRACTED = 4  # sentences a follow-up or a question no topic answers gets: four, not three, still a short answer
OVERVIEW_WORDS = 60  # how much of a passage answers a question the comparison table does not

SCOPE = (
    "I can only help with choosing between AI Engineer and AI Automation Specialist, from one 2026 article: "
    "income by period, burnout, entry barriers, gatekeeping, the 2026 market, red flags, and its three-question "
    "framework. Ask me about those, or describe yourself and I'll score your fit."
)
ACK = "Glad that helps. Ask me anything else about the two paths, or tell me about yourself and I'll score your fit."
SILENT = (
    "The article doesn't cover that. It compares AI Engineer and AI Automation Specialist on income by period, "
    "burnout, entry barriers, gatekeeping, the 2026 market, red flags and a three-question framework."
)
REFUSAL = (
    "I can't share or change how I work. I answer questions about AI Engineer vs AI Automation Specialist "
    "from the article, for example income, burnout, or which path fits a person."
)


PATH_WORDS = frozenset(tokenize("ai ml engineer engineers engineering automation specialist specialists"))
CAUSE = re.compile(r"\bbecause\b|\bdue to\b|\bthat's why\b|\bwhich is why\b|\bcaused by\b")
CAUSE_BONUS = 2.0
QUANTITY = re.compile(r"\bhow (?:much|many|long)\b|\bwhat (?:\w+ ){0,4}(?:pay|paid|cost|charge|save)")
FIGURE_BONUS = 2.0
# A further sentence must score this share of the best one's: below it, it is about something else
# ("why haven't AI engineer roles grown?" then "They learn some ML ..."). 0.4 to 0.5 keep every
# gold set's facts and citations; 0.6 loses some.
RELATIVE = 0.4
FRAGMENT_WORDS = 12  # an answer of fewer words than this says too little to stand alone
# A sentence's MiniLM cosine to the question, above what unrelated sentences of the article score,
# counts this many rarity-weighted words.
SEMANTIC_WEIGHT = 12.0
SEMANTIC_FLOOR = 0.15
CONTINUATION = 0.2  # what the article says right after the last answer, as a cosine bonus
ASKS_ELSEWHERE = ("how_past", "normal", "who")  # follow-ups whose answer need not come next in the article
WHO_BONUS = 0.2  # cosine units: a line the banks say tells who, for a follow-up asking who
LEAD_BONUS = 0.1  # a sentence of a passage the bank's nearest questions on the subject point at
# A question this close to one a sentence answers (bank.sentence_keys) lifts the sentence, by this
# much per unit of cosine above the floor (question-to-question cosines run high).
KEY_WEIGHT = 1.0
KEY_FLOOR = 0.5
CLOSEST_MIN = 0.45  # a sentence this close in meaning to the question is on point
TOP_HITS = 2  # the passages the search ranks first (on the asked path), each of which has its say in an answer
ACK_WORDS = 6  # "ok thanks, got it": a longer message, or a question, asks something
COUNTERPART_MIN = 0.65  # the other path's sentence this close to the last answer's, names swapped, is its counterpart
COUNTERPART_SENTENCES = 3  # the last answer's first sentences that are looked up on the other path
COUNTERPARTS = 2  # the counterparts said at most
ASKING_WORDS = frozenset(tokenize("ask asking should would could tell know"))  # words of asking, not of a subject
ORDINAL = re.compile(r"\b(first|1st|second|2nd|third|3rd|last|final) (question|ques|qn|q|one)\b")
# "3rd?", "and the second?": an ordinal alone, after a list, points into it.
BARE_ORDINAL = re.compile(r"\W*(?:and |what about |how about )?(?:the )?(first|1st|second|2nd|third|3rd|last|final)\W*")
# "unpack the first and the last of those": two of the list just given
ORDINAL_PAIR = re.compile(
    r"\b(first|1st|second|2nd|third|3rd|last|final)\b(?: (?:one|question|q))?,? (?:and|&|\+) (?:the )?(first|1st|second|2nd|third|3rd|last|final)\b"
)
LISTED_OPENING = 24  # characters of an item's opening that tell it from its list's other items
ITEM_WORDS = 70  # an item's paragraph is given whole up to this many words; a longer one, its best sentences
FRAMEWORK_EXAMPLES = 3  # the nearest examples on the framework say which of its questions is asked...
FRAMEWORK_NEAR = 0.7  # ...when they are this close
STANDALONE_WEIGHT = 0.5  # a follow-up sentence's cosine to the question as it stands with the last one, beside its own
# Cosine units: asked what came next ("then what happened?"), a line the last answer said is said again
# only if far the best; asked why or when ("at what stage?"), the best line is said, said before or not.
SAID_PENALTY = 0.15
# "You mentioned a 'data wall'. What exactly is that?": asked what a thing the last answer named is.
DEFINES = re.compile(
    r"\bwhat (?:exactly |actually )?(?:is|are|was|were|'s) (?:that|this|it|those|these)\b|\bwhat do(?:es)? (?:you|u|it|that|this) (?:\w+ )?mean"
    r"|\bmean(?:s|t)? by\b|\bmatlab\b|\bmeaning\b"
)
KNOWN_ANSWER = 0.7  # a sentence one of whose bank questions is this close to the message answers it
KNOWN_AGREE = 0.5  # so does the sentence the bank's words name best, if at least this close in meaning
KNOWN_AGREE_TOP = 3  # and among the closest few
KNOWN_MAX = 2  # sentences the bank adds to one answer
REPEATED = 0.4  # a sentence with less than this share of words the last answer lacked says nothing new
WINDOW_WORDS = 60  # an answer shorter than this also says what the article says after its first sentence:
WINDOW_MIN = 16  # at least this many words of it...
WINDOW_MAX = 3  # ...in at most this many sentences
SCENE_MAX = 5  # unless a figure comes within this many lines...
SCENE_WORDS = 32  # ...and words: then up to it
# A follow-up this close to one the bank has after what was said lifts its answer, by this much
# per unit of cosine above the floor; the answer's passage joins the pool (the best few).
FOLLOWUP_WEIGHT = 1.0
FOLLOWUP_FLOOR = 0.3
FOLLOWUP_PASSAGES = 2
# Where the article ends: "how does it end?", "the article's final one-liner", "tl;dr".
ENDING = re.compile(
    r"\bhow (?:does|did) (?:it|that|this|the(?: \w+)? (?:article|story|scene|piece|post))(?: \w+)? end\b(?! up)"
    r"|\bend(?:ing)? of (?:the|this) (?:article|story|piece|post|blog)\b|\bthe ending\b"
    r"|\b(?:article|story|piece|post)(?:'s|’s)? (?:ending|conclusion|final \w+)|\btl;?dr\b|\bbottom line\b"
)
BETTER = re.compile(r"\b(?:better|best)\b")
RUPEES = re.compile(r"₹\s?(\d{1,3}(?:,\d{3})+|\d+)(?![\d.,]*\s?[kKL])")  # a plain sum: "₹15,000", not "₹3-6L"
TRANSFERS = re.compile(r"\btransfers (?:into|to|everywhere)\b")


def _moved_to(plan: Plan, state: SessionState) -> SessionState:
    """``state`` after an answer to ``plan``: its topic, path and period carry over to follow-ups."""
    state.topic, state.path = plan.topic or state.topic, plan.path or state.path
    # "in year 2? and in years 3-4?": "and after that?" goes on from the last stretch asked.
    period = next((p.period for p in reversed(plan.parts) if p.period), None) if plan.intent == "compound" else plan.period
    state.period, state.period_end = period if period else (None, None)
    return state


class OfflineAnswerer:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.facts = kb.facts
        self.reader = Reader(kb)
        self._sentences_of: tuple[tuple[str, ...], dict[str, str]] = ((), {})
        self._passage_words: dict[tuple[str, ...], list[frozenset[str]]] = {}  # the framework questions' passages' words

    # -- understanding --------------------------------------------------------------------
    def is_injection(self, text: str) -> bool:
        """Whether ``understand`` reads ``text`` as an attempt to change the advisor's instructions."""
        return self.reader.is_injection(text)

    def understand(self, text: str, state: SessionState, *, in_scope: bool | None = None) -> tuple[Plan, SessionState]:
        """What the message asks, and the session state after it.

        ``in_scope`` says whether the article speaks to the message when that is already known (a model
        answered it): the store is then not searched, and the plan carries no passages.
        """
        new = state.model_copy(deep=True)
        plan = self.reader.read(text, state, search=in_scope is None)
        if in_scope is False:
            return Plan(text=text, intent="offtopic"), new
        if plan.intent in ("answer", "followup", "compound"):
            return plan, _moved_to(plan, new)
        if plan.intent == "fit" and plan.parts:  # the question answered beside the fit is where the conversation goes on
            return plan, _moved_to(plan.parts[0], new)
        if plan.intent == "fit":
            new.topic, new.path = "fit", None
        return plan, new

    # -- answering ------------------------------------------------------------------------
    def starters(self) -> list[str]:
        return [
            "How much does an AI Engineer earn in the first two years?",
            "When do automation specialists burn out?",
            "I'm patient and like depth. Which path fits me?",
        ]

    def answer(self, plan: Plan, state: SessionState) -> Turn:
        if plan.intent == "injection":
            return Turn(answer=REFUSAL, in_scope=False, follow_ups=self.starters()[:2])
        if plan.intent == "greeting":
            return Turn(answer="Hello! " + SCOPE.replace("I can only help", "I help"), follow_ups=self.starters())
        if plan.intent == "offtopic":
            return Turn(answer=SCOPE, in_scope=False, follow_ups=self.starters()[:2])
        if plan.intent == "silent":
            return Turn(answer=SILENT, in_scope=False, follow_ups=self.starters()[:2])
        if plan.intent == "fit":
            return self._fit_turn(plan)
        if plan.kind == "ack" and "?" not in plan.text and len(plan.text.split()) <= ACK_WORDS:
            return Turn(answer=ACK, follow_ups=self._follow_ups(plan))
        if plan.intent == "compound":  # two questions: each gets its own answer, two parts and what is added to them
            first = self._answer_to(plan.parts[0], 2)
            second = self._answer_to(plan.parts[1], 2)
            parts = first + second
        else:
            parts = self._answer_to(plan)
        parts = _unrepeated(parts)
        if not parts:
            return Turn(
                answer="The article doesn't say. " + SCOPE.split(":")[0] + ".",
                follow_ups=self._follow_ups(plan),
            )
        answer = " ".join(_full_stop(text) for text, _ in parts)
        cited: list[str] = []
        for _, ids in parts:
            cited.extend(i for i in ids if i not in cited)
        citations = [Citation(id=h.id, section=h.section, text=h.text) for h in self.kb.get(cited)]
        return Turn(answer=answer, citations=citations, follow_ups=self._follow_ups(plan))

    def _answer_to(self, plan: Plan, most: int | None = None) -> list[tuple[str, list[str]]]:
        """One question's answer: its parts (the first ``most``), what the bank knows answers it, the
        best lines of the passages the search ranks first, and what the article says right after
        the first part that ends on a sentence of its own."""
        parts = self._parts(plan)[:most]
        if plan.kind == "trait":  # the article's lines on what was told are the answer, whole
            return parts
        return self._with_next(plan, self._with_top_hit(plan, self._with_known_answer(plan, parts)))

    def _with_top_hit(self, plan: Plan, parts: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
        """The passages the search ranks first have their say: each one's best line, when the answer
        cites nothing of it (the topic's answer can miss what the question asks of it). A passage
        of the other path only is left out: "what does an AI engineer make in year 2?" is no place
        for the automation course. Not after a follow-up: "and months 18-36? is that stable?" got the
        first months' example."""
        if plan.intent != "answer" or plan.followup or not plan.hits or not parts:
            return parts
        one, rows = _one_path(plan), self._table_rows()
        for top in plan.hits[:TOP_HITS]:
            if top.id in rows or any(top.id in ids for _, ids in parts) or (one and not self._of_path([top], one)):
                continue
            best = self._extract(replace(plan, hits=[top]), n=1, pool=1)
            said = set(tokenize(" ".join(text for text, _ in parts)))
            parts = [*parts, *(b for b in best if _says_new(b[0], said))]
        return parts

    def _with_next(self, plan: Plan, parts: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
        """What the article says right after the first part that ends on one of its sentences, when the
        answer is short: the article states a thing, then explains it ("the floor drops out for
        mid-tier AI work." is followed by what that means: "... can now just call an API")."""
        parts = [self._with_list(part) for part in parts]
        if sum(len(text.split()) for text, _ in parts) >= WINDOW_WORDS:
            return parts
        owner = self._article_sentences()
        said = " ".join([plan.said, *(text for text, _ in parts)])
        for at, (text, ids) in enumerate(parts):
            last = _sentences(text)[-1] if text.strip() else ""
            if last not in owner or owner[last] not in ids:
                continue
            run = self._run_from(owner[last])
            after: list[str] = []
            # A line or two, whole: "You know PyTorch." says little alone; "Why?" asks what comes next.
            rest = run[run.index(last) + 1 :] if last in run else []
            # A scene goes on to its point: "You know PyTorch. ... Now you apply for jobs. The posting says
            # "2+ years production ML experience."" A figure a few short lines on is what the scene was for.
            point = next((n for n, one in enumerate(rest[:SCENE_MAX]) if re.search(r"\d", one)), None)
            if point is not None and len(" ".join(rest[: point + 1]).split()) <= SCENE_WORDS:
                after = rest[: point + 1]
            else:
                for sentence in rest:
                    after.append(sentence)
                    if not sentence.endswith(":") and (len(" ".join(after).split()) >= WINDOW_MIN or len(after) >= WINDOW_MAX):
                        break
            new = [s for s in after if s not in said]
            if not new or not _says_new(new[-1], set(tokenize(said))):
                return parts
            return [*parts[:at], (" ".join([text, *map(_full_stop, new)]), ids), *parts[at + 1 :]]
        return parts

    def _with_list(self, part: tuple[str, list[str]]) -> tuple[str, list[str]]:
        """A part that ends in a lead-in, with what it leads into: "This creates two effects:" and the two."""
        text, ids = part
        last = _sentences(text)[-1] if text.strip() else ""
        pid = self._article_sentences().get(last)
        if not last.endswith(":") or pid not in ids:
            return part
        run = self._run_from(pid)
        items = list(itertools.takewhile(lambda s: not s.endswith(":"), run[run.index(last) + 1 :]))[:WINDOW_MAX]
        return (" ".join([text, *map(_full_stop, items)]), ids) if items else part

    def _run_from(self, pid: str) -> list[str]:
        """A passage's sentences; one ending in a lead-in goes on into the next passage, which is its list."""
        run = [s for h in self.kb.get([pid]) for s in _sentences(h.text)]
        if run and run[-1].endswith(":"):
            around = self.kb.adjacent([pid])
            at = around.index(pid) if pid in around else len(around)
            run += [s for h in self.kb.get(around[at + 1 : at + 2]) for s in _sentences(h.text)]
        return run

    def _parts(self, plan: Plan) -> list[tuple[str, list[str]]]:
        """The sentences that answer one question, each with the passages it comes from."""
        if ENDING.search(plan.text.lower()):
            return self._ending()
        if plan.kind == "trait" and plan.fit is not None:
            return self._trait_lines(plan, plan.fit)
        pair = ORDINAL_PAIR.search(plan.text.lower()) if self.facts.questions and self._listed_questions(plan) else None
        if pair is not None:  # each of the two, in turn
            qs = self.facts.questions
            at = dict.fromkeys(ORDINALS[n] % len(qs) for n in pair.groups() if ORDINALS[n] < len(qs))
            return [part for n in at for part in self._one_question(plan, qs[n])[:1]]
        nth = self._nth_question(plan)
        if nth is not None:
            return self._one_question(replace(plan, path=detect_path(plan.text.lower())), nth)
        one = (
            self._framework_question(plan)
            if plan.followup and (plan.topic == "framework" or self._listed_questions(plan))
            else None
        )
        if one is not None:  # "tell me more about the depth one" after the framework's questions
            return self._one_question(plan, one)
        item = self._referred_item(plan) if plan.followup else None
        if item is not None:  # "the appearing smart one, what does that mean?": that item's own paragraph
            return self._item_answer(plan, item)
        if plan.intent == "followup":  # "why is that?", "how do people get past it?": what the last answer left out
            parts = self._beyond_last_answer(plan)
            if parts:
                return parts
        handler = getattr(self, f"_topic_{plan.topic}", None) if plan.topic else None
        parts = handler(plan) if handler else []
        repeated = set(_sentences(" ".join(t for t, _ in parts))) <= set(_sentences(plan.said))
        if parts and plan.followup and repeated and plan.kind != "other_path" and plan.period is None:
            # "nice. and then what happened after?": the topic's answer, word for word again; what came next is new.
            # ("and automation?" after both paths' answer, or "and the first months?", asks it again on purpose.)
            parts = self._beyond_last_answer(replace(plan, kind="more")) or parts
        if not parts:
            parts = self._extract(plan, n=EXTRACTED)
        parts = self._with_specifics(plan, parts)
        if plan.kind == "other_path":
            parts = _joined(self._counterpart(plan), parts)
        if not parts and plan.topic is None and plan.path is not None:  # "And AI engineers?" with nothing before it
            parts = self._topic_overview(plan)
        return parts

    def _ending(self) -> list[tuple[str, list[str]]]:
        """How the article ends: back in the opening scene, what the choice really is, and its last lines."""
        last = self.kb.get(self.kb.passage_ids(article=True)[-2:])
        if len(last) < 2:
            return []
        scene, lines = (_sentences(h.text) for h in last)
        told = [*scene[:2], *scene[-2:]] if len(scene) > 4 else scene
        return [(" ".join(told), [last[0].id]), (" ".join(lines), [last[1].id])]

    def _beyond_last_answer(self, plan: Plan) -> list[tuple[str, list[str]]]:
        """A follow-up's answer: the best sentences the last answer did not say, from what the
        follow-up (read with the last question) finds and the last answer's passages' neighbours
        in the article; what the article says next, after what was said, counts for more ("why?",
        "and then?"). Table rows only restate their paragraphs, so they are left out."""
        said = set(tokenize(plan.said))
        echoed = set(plan.echoed)
        rows = {r.passage_id for r in self.facts.table}
        order = self.kb.adjacent(plan.carried) if plan.carried else []
        near = self.kb.get(order)
        leads = self.kb.get(plan.leads)
        # What people ask right after what was said, and the line that answers it (the follow-up bank).
        known = self._known_followups(plan)
        owner = self._article_sentences()
        answering = self.kb.get(list(dict.fromkeys(owner[s] for s in known if s in owner))[:FOLLOWUP_PASSAGES])
        pool = list({h.id: h for h in [*answering, *leads, *plan.hits[:3], *near] if h.id not in rows}.values())

        bonus: dict[str, float] = {s: LEAD_BONUS for h in leads if h.id not in rows for s in _sentences(h.text)}
        for sentence, cosine in known.items():
            bonus[sentence] = bonus.get(sentence, 0.0) + FOLLOWUP_WEIGHT * (cosine - FOLLOWUP_FLOOR)
        run = [s for h in near if h.id not in rows for s in _sentences(h.text)]  # in article order
        following = set() if plan.kind in ASKS_ELSEWHERE else _new_beside_said(run, said, after=2)  # not "and then?"
        if plan.kind == "why":  # "why then?": the lines that lead up to what was said set it up
            following |= _new_beside_said(run, said, before=2)
        # "What kind of stuff breaks exactly?": what the article says after the line that said "breaks".
        # ("What does 'pragmatic problem decomposition' mean?": the article may explain it just before, too.)
        # Asked what it is, the lines that explain it may be said again: the person did not follow them.
        defines = bool(echoed) and DEFINES.search(plan.text.lower().replace("’", "'")) is not None
        explaining = {
            s
            for n, one in enumerate(run)
            if echoed & set(tokenize(one))
            for s in [*run[max(0, n - 2) : n], *run[n + 1 : n + 3]]
            if defines or _says_new(s, said)
        }
        following |= explaining
        for sentence in following:
            bonus[sentence] = bonus.get(sentence, 0.0) + CONTINUATION
        if plan.kind == "who":  # "who quits?": the lines the banks give as saying who, such as "If you hate ..."
            for sentence in sentences_answering("who"):
                bonus[sentence] = bonus.get(sentence, 0.0) + WHO_BONUS
        one = _one_path(plan)
        if one:  # judged on whole passages: the sentences left may no longer name whose they are
            pool = self._of_path(pool, one) or pool
        fresh = [
            h for h in pool if any(_says_new(s, said) or echoed & set(tokenize(s)) or s in known for s in _sentences(h.text))
        ]
        if not fresh:
            return []
        # A sentence said already is said again only when it answers the follow-up far better than
        # anything new ("what are they scared of?" after the trust problem was named).
        penalty = SAID_PENALTY if AFTERWARDS.search(plan.text.lower()) else 0.0
        for h in fresh:
            for sentence in _sentences(h.text):
                # Asked about by its own words ("what's this 'data wall'?"), a line said is no repetition.
                if (
                    not _says_new(sentence, said)
                    and not echoed & set(tokenize(sentence))
                    and sentence not in known
                    and not (defines and sentence in explaining)
                ):
                    bonus[sentence] = bonus.get(sentence, 0.0) - penalty
        # What the follow-up asks, read alone and read with the last question, picks the sentences;
        # the conversation already chose where from.
        # ("how do people get through it?" asks something the last question did not: its own words decide.)
        if plan.vector is not None and plan.query != plan.text and plan.kind not in ASKS_ELSEWHERE:
            for sentence, cosine in self.kb.sentence_similarity(plan.query, fresh[:6], plan.vector).items():
                bonus[sentence] = bonus.get(sentence, 0.0) + STANDALONE_WEIGHT * cosine
        return self._extract(replace(plan, hits=fresh, query=plan.text, vector=plan.own_vector), n=EXTRACTED, pool=6, bonus=bonus)

    def _known_followups(self, plan: Plan) -> dict[str, float]:
        """The sentences the follow-up bank says answer this follow-up after what was said, best
        first, each with how close its closest bank follow-up is to the message."""
        if plan.own_vector is None or not plan.said:
            return {}
        found = self.kb.followup_answers(plan.said, plan.own_vector)
        return {s: c for s, c in sorted(found.items(), key=lambda sc: -sc[1]) if c > FOLLOWUP_FLOOR}

    def _with_known_answer(self, plan: Plan, parts: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
        """The article sentence whose own questions (the sentence-level bank) include one this
        close to the message, when the answer lacks it: the bank says what answers that question."""
        if plan.vector is None or plan.intent not in ("answer", "followup"):
            return parts
        owner = self._article_sentences()
        keyed = {s: c for s, c in self.kb.sentence_key_cosines(plan.vector).items() if s in owner}
        if not keyed:
            return parts
        ranked = sorted(keyed, key=lambda s: -keyed[s])
        # The sentence a bank question this close in meaning asks for; then the one whose questions
        # share the most rare words with the message, when it is among the closest in meaning too.
        candidates = [s for s in ranked[:1] if keyed[s] >= KNOWN_ANSWER]
        if plan.own_vector is not None and plan.own_vector is not plan.vector:
            # Read with its story or the last question, a question may move away from the bank question
            # it is, as asked, nearly word for word ("and for automation how do beginners get in?").
            own = {s: c for s, c in self.kb.sentence_key_cosines(plan.own_vector).items() if s in owner}
            candidates += [s for s in sorted(own, key=lambda s: -own[s])[:1] if own[s] >= KNOWN_ANSWER]
        words = self.kb.sentence_key_lexical(plan.query or plan.text)
        lexical = max(words, key=lambda s: words[s], default=None)
        if lexical is not None and lexical in ranked[:KNOWN_AGREE_TOP] and keyed[lexical] >= KNOWN_AGREE:
            candidates.append(lexical)
        one = _one_path(plan)
        added: list[tuple[str, list[str]]] = []
        for best in dict.fromkeys(candidates):
            said = " ".join([plan.said, *(text for text, _ in [*parts, *added])])  # a follow-up repeats nothing
            cited = owner[best] in {pid for _, ids in [*parts, *added] for pid in ids}
            of_other = one is not None and (
                self.kb.passage_path(owner[best]) == OTHER[one] or (_mentions(best, OTHER[one]) and not _mentions(best, one))
            )
            if best not in said and not of_other and _adds_to(best, set(tokenize(said)), cited):
                added.append((best, [owner[best]]))
        return [*parts, *added[:KNOWN_MAX]]

    def _article_sentences(self) -> dict[str, str]:
        """The article's sentences, each with the first of its passages that holds it, table rows
        aside; a file quoting the article does not take its sentences (read once per store)."""
        ids = tuple(self.kb.passage_ids(article=True))
        cached = self._sentences_of
        if cached[0] != ids:
            rows = self._table_rows()
            owners: dict[str, str] = {}
            for h in self.kb.get(list(ids)):
                if h.id not in rows:
                    for sentence in _sentences(h.text):
                        owners.setdefault(sentence, h.id)
            cached = (ids, owners)
            self._sentences_of = cached
        return cached[1]

    def _counterpart(self, plan: Plan) -> list[tuple[str, list[str]]]:
        """What the article says of the other path in the place of what the last answer said:
        "and the automation folks, where's theirs from?" after "AI Engineers' leverage comes from
        being correct upfront" is "Automation Specialists' leverage comes from speed and
        adaptability". The article sets the paths side by side, so the last answer's sentences,
        with the paths' names swapped, are near their counterparts in meaning."""
        was = OTHER.get(plan.path or "")
        if was is None or not plan.said:
            return []
        sentences = self._article_sentences()
        of_was = {s for s, pid in sentences.items() if self.kb.passage_path(pid) == was}  # "Your leverage comes from ..."
        # The article's own sentences of the last answer: a line the answerer composed has no counterpart.
        said = [
            s
            for s in _sentences(plan.said)
            if s in sentences and not s.endswith("?") and (_mentions(s, was) or s in of_was) and not _mentions(s, plan.path or "")
        ]
        owner = {
            s: pid
            for s, pid in sentences.items()
            if (_mentions(s, plan.path or "") or self.kb.passage_path(pid) == plan.path)
            and not _mentions(s, was)
            and self.kb.passage_path(pid) != was
            and len(s.split()) >= 5
        }
        if not said or not owner:
            return []
        found: list[str] = []
        for vector in self.kb.embed_many([_swapped(s, was) for s in said[:COUNTERPART_SENTENCES]]):
            cosines = self.kb.sentence_cosines(list(owner), vector)
            best = max(cosines, key=lambda sentence: cosines[sentence], default=None)
            if best is not None and cosines[best] >= COUNTERPART_MIN and best not in found:
                found.append(best)
        return [(sentence, [owner[sentence]]) for sentence in found[:COUNTERPARTS]]

    def _table_rows(self) -> set[str]:
        return {r.passage_id for r in self.facts.table}

    def _of_path(self, hits: list[Hit], path: str) -> list[Hit]:
        """The passages not about the other path only, by their words or by what the bank's
        questions ask of them ("The model isn't converging" never names the AI Engineer)."""
        other = OTHER[path]
        return [
            h for h in hits if (_mentions(h.text, path) or not _mentions(h.text, other)) and self.kb.passage_path(h.id) != other
        ]

    # Each topic handler returns [(sentence(s), [passage ids])].
    def _paths(self, plan: Plan) -> list[str]:
        return ["engineering", "automation"] if plan.path in (None, "both") else [plan.path]

    def _topic_income(self, plan: Plan) -> list[tuple[str, list[str]]]:
        parts = []
        shown: list[IncomeBand] = []
        for path in self._paths(plan):
            bands = self.facts.income(path)
            chosen = [b for b in bands if _overlaps(b, plan.period)] if plan.period else bands
            if not chosen:
                chosen = bands
            who = "AI Engineers" if path == "engineering" else "Automation Specialists"
            listed = ", ".join(_band_text(b) for b in chosen)
            if plan.period and len(chosen) < len(bands):
                text = f"{who} earn {listed}, per the article."
            else:
                text = f"{who}: {listed}."
            passage = self.kb.get([chosen[0].passage_id])
            if passage and (plan.asks_why or not plan.period or len(self._paths(plan)) == 1):
                tail = _sentences(passage[0].text.split("\n")[-1])[1:]
                if tail:
                    text += " " + " ".join(tail)
            ids = [chosen[0].passage_id]
            reason = self._reason_for(plan, passage[0].text, path) if passage and plan.asks_why else None
            if reason is not None:  # "why nothing the first year?": what the article gives as the cause, from the bank
                text += f" {reason[0]}"
                ids.append(reason[1])
            example = self._income_example(path, chosen) if len(self._paths(plan)) == 1 else None
            if example is not None:  # "what does a first paid gig look like?": the article's own case of the figure
                sentence, pid = example
                text += f" In the article's example, {sentence[:1].lower()}{sentence[1:]}"
                ids.append(pid)
            parts.append((text, ids))
            shown.extend(b for b in chosen if b.low is not None)
        bases = sorted({b.basis for b in shown})
        if len(parts) > 1 and len(bases) > 1:  # like with like: a monthly figure is no yearly one
            parts.append(
                (
                    f"These figures are not in one unit: the article gives them {_listed(bases)}, so they do not compare directly.",
                    [],
                )
            )
        return parts

    def _reason_for(self, plan: Plan, said: str, path: str) -> tuple[str, str] | None:
        """The article's line the follow-up bank says answers this "why" after ``said``, of ``path``."""
        vector = plan.own_vector if plan.own_vector is not None else plan.vector
        if vector is None:
            return None
        owner = self._article_sentences()
        found = self.kb.followup_answers(said, vector)
        for sentence in sorted(found, key=lambda s: -found[s]):
            if found[sentence] > FOLLOWUP_FLOOR and sentence in owner and self.kb.passage_path(owner[sentence]) != OTHER[path]:
                return (sentence, owner[sentence]) if sentence not in said else None
        return None

    def _income_example(self, path: str, bands: list[IncomeBand]) -> tuple[str, str] | None:
        """An article sentence outside the figures' own passages that pays a sum within one of the bands,
        in a passage of that path: "They pay ₹15,000 for a project that saves them 6 hours a week." """
        own = {b.passage_id for b in self.facts.income(path)}
        for sentence, pid in self._article_sentences().items():
            if pid in own or self.kb.passage_path(pid) != path:
                continue
            for amount in RUPEES.findall(sentence):
                value = float(amount.replace(",", ""))
                if any(b.low is not None and b.high is not None and b.low <= value <= b.high for b in bands):
                    around = _sentences(self.kb.get([pid])[0].text)
                    at = around.index(sentence) if sentence in around else 0
                    if at and re.match(r"(?:they|it|this|that|he|she)\b", sentence, re.IGNORECASE):
                        sentence = f"{around[at - 1]} {sentence}"  # "They pay ₹15,000" says who with the line before
                    return sentence, pid
        return None

    def _topic_burnout(self, plan: Plan) -> list[tuple[str, list[str]]]:
        parts = []
        for path in self._paths(plan):
            b = self.facts.burnout_of(path)
            who = "AI Engineers" if path == "engineering" else "Automation Specialists"
            text = f"{who} {b.quote}"
            text += f" ({b.causes})." if b.causes else "."
            ids = [b.passage_id]
            if plan.asks_why or len(self._paths(plan)) == 1:
                detail = self.kb.get(b.detail_passage_ids + [b.passage_id])
                cause_terms = tokenize(f"{b.causes} {plan.text} drain burn quit wall break alone phone messy")
                best = _best_sentences(detail, cause_terms, 2 if plan.asks_why else 1, exclude=b.quote, idf=self.kb.idf)
                if best:
                    text += " " + " ".join(s for s, _ in best)
                    ids += [pid for _, pid in best if pid not in ids]
            parts.append((text, ids))
        return parts

    def _row_topic(self, plan: Plan, dimension: str) -> list[tuple[str, list[str]]]:
        row = self.facts.row(dimension)
        if row is None:
            return []
        if plan.path in ("engineering", "automation"):
            cell = row.engineering if plan.path == "engineering" else row.automation
            text = f"{row.dimension} — {PATH_LABEL[plan.path]}: {cell}."
        else:
            text = f"{row.dimension}: AI Engineer, {row.engineering}; AI Automation Specialist, {row.automation}."
        parts = [(text, [row.passage_id])]
        parts += self._extract(plan, n=1, exclude_ids={row.passage_id}, min_score=EXTRA_MIN_SCORE)
        return parts

    def _topic_entry(self, plan: Plan) -> list[tuple[str, list[str]]]:
        return self._row_topic(plan, "entry barrier")

    def _topic_value_timing(self, plan: Plan) -> list[tuple[str, list[str]]]:
        return self._row_topic(plan, "value timing")

    def _topic_feedback(self, plan: Plan) -> list[tuple[str, list[str]]]:
        return self._row_topic(plan, "feedback")

    def _topic_skills(self, plan: Plan) -> list[tuple[str, list[str]]]:
        """Each asked path's paragraph in its own words: its first line naming the path ("For AI
        Engineers, the transferable skill isn't ... It's thinking in systems under uncertainty.") and
        the line saying where the skill leads; the table's row when no paragraph is found."""
        leads = []
        for path in self._paths(plan):
            for h in plan.hits[:6]:
                if not _mentions(h.text, path) or _mentions(h.text, OTHER[path]):
                    continue
                sentences = _sentences(h.text)
                at = next((i for i, s in enumerate(sentences) if TRANSFERS.search(s)), None)
                if at is not None:  # "... transfers everywhere. It makes you valuable in architecture roles, ..."
                    end = at + 2 if sentences[at].rstrip(".").endswith("everywhere") else at + 1
                    opening = [next((s for s in sentences[:at] if _mentions(s, path)), sentences[at])]
                    leads.append((" ".join(dict.fromkeys([*opening, *sentences[at:end]])), [h.id]))
                    break
        return leads or self._row_topic(plan, "transferable")

    def _topic_core_problem(self, plan: Plan) -> list[tuple[str, list[str]]]:
        """The table's row, the article's scene of each path at work ("An AI Engineer debugs why
        model accuracy dropped..." / "Can you make it so our support team doesn't have to..."),
        then, for one path, a sentence that speaks to the question's own words, if one does."""
        rows = self._row_topic(plan, "core problem")
        parts, extra = rows[:1], rows[1:]
        scenes = self.kb.get(self.facts.scene_ids)
        for path in self._paths(plan):
            scene = next((h for h in scenes if _mentions(_sentences(h.text)[0], path)), None)
            if scene is not None:
                parts.append((" ".join(_sentences(scene.text)[:2]), [scene.id]))
        if plan.path in (None, "both"):  # two scenes say enough
            return parts
        return parts + [e for e in extra if all(e[1] != p[1] for p in parts)]

    def _topic_suits(self, plan: Plan) -> list[tuple[str, list[str]]]:
        t = plan.text.lower()
        q = next((q for q in self.facts.questions if "depth" in q.question.lower()), None)
        if q is None or not re.search(r"depth|breadth|recharge|energ|variety|novelty|mastery|deep|thrive", t):
            return self._row_topic(plan, "suited")
        broad, deep = bool(re.search(r"breadth|variety|novelty|switch", t)), bool(re.search(r"depth|deep|mastery", t))
        if not broad and not deep:
            broad, deep = plan.path == "automation", plan.path == "engineering"
        picks = [q.engineering] if deep and not broad else [q.automation] if broad and not deep else [q.engineering, q.automation]
        return [(f"{q.question} " + " ".join(picks), q.passage_ids[:2])]

    def _topic_overview(self, plan: Plan) -> list[tuple[str, list[str]]]:
        rows = [r for r in (self.facts.row(d) for d in ("core problem", "value timing", "entry barrier", "burnout")) if r]
        if plan.path in ("engineering", "automation"):
            cells = "; ".join(f"{r.dimension.lower()}: {getattr(r, plan.path)}" for r in rows)
            return [(f"{PATH_LABEL[plan.path]} at a glance, from the article's table: {cells}.", [r.passage_id for r in rows])]
        # "Are the two even comparable?" is answered by the passages found, then the table in brief;
        # the whole table answers when the search itself finds it.
        if plan.hits and plan.hits[0].id not in {r.passage_id for r in self.facts.table}:
            parts = self._extract(plan, n=2)
            brief = [r for r in rows if r.dimension.lower() in ("value timing", "entry barrier")]
            if brief:
                cells = "; ".join(f"{r.dimension.lower()}, {r.engineering} vs {r.automation}" for r in brief)
                parts.append((f"In the article's table, AI Engineer vs Automation: {cells}.", [r.passage_id for r in brief]))
            return parts
        text = " ".join(f"{r.dimension}: AI Engineer, {r.engineering}; Automation, {r.automation}." for r in rows)
        return [(text, [r.passage_id for r in rows])]

    def _topic_red_flags(self, plan: Plan) -> list[tuple[str, list[str]]]:
        parts = []
        for path in self._paths(plan):
            flags = self.facts.flags(path)
            if not flags:
                continue
            listed = " ".join(f"({i}) {f.flag}" for i, f in enumerate(flags, 1))
            parts.append((f"You'll struggle with {PATH_NAME[path]} if: {listed}", [f.passage_id for f in flags]))
        # "I always reach for the fanciest model": what the article says of that trait.
        return parts + self._extract(plan, n=1, min_score=EXTRA_MIN_SCORE)

    def _topic_framework(self, plan: Plan) -> list[tuple[str, list[str]]]:
        qs = self.facts.questions
        one = self._framework_question(plan)
        if one is not None:
            return self._one_question(plan, one)
        listed = " ".join(f"({i}) {q.question}" for i, q in enumerate(qs, 1))
        text = f"The article's {_count(qs)} questions: {listed} Depth, being right once and thinking harder point to AI Engineering; breadth, being useful repeatedly and trying faster point to automation. Tell me your answers and I'll score your fit."
        return [(text, [q.passage_ids[0] for q in qs])]

    def _one_question(self, plan: Plan, one: FrameworkQuestion) -> list[tuple[str, list[str]]]:
        """One of the framework's questions, what it says of each asked path, and what its passages
        say to the question's own words ("where does the leverage come from?")."""
        picks = [(p, getattr(one, p), one.passage_ids[i]) for i, p in enumerate(("engineering", "automation"))]
        picks = [pick for pick in picks if pick[0] in self._paths(plan)]
        # Each side's passage opens with what it means ("Some people recharge by going deeper into one domain.").
        opening = {
            h.id: next((s for s in _sentences(h.text) if not s.endswith("?")), "")
            for h in self.kb.get([pid for _, _, pid in picks])
        }
        sides = [" ".join(dict.fromkeys(s for s in (opening.get(pid, ""), said) if s)) for _, said, pid in picks]
        text = f"{one.question} " + " ".join(sides)
        asked = sorted(self._rare_words(plan.query or plan.text) - set(tokenize(text)) - ASKING_WORDS)
        more = _best_sentences(
            self.kb.get([pid for _, _, pid in picks]), asked, 1, idf=self.kb.idf, min_score=IN_PASSAGE_MIN_SCORE
        )
        return [(" ".join([text, *(s for s, _ in more)]), [pid for _, _, pid in picks])]

    def _items(self, plan: Plan) -> list[tuple[str, str, int]]:
        """The items of the list the last answer gave ("(1) You need frequent validation. (2) ..."),
        in its order: each with the cited passage that opens with it (after a lead-in such as
        "You'll struggle with AI Engineering if:") and its number in the list, from 1."""
        found: list[tuple[int, str, str, int]] = []
        rows = self._table_rows()
        asked = {q.question for q in self.facts.questions}  # the framework's questions answer with both their sides
        for h in self.kb.get(plan.carried):
            if h.id in rows or any(h.text.startswith(q) for q in asked):
                continue
            lead = next((s for s in _sentences(h.text) if not s.endswith(":")), "")
            # The list gives an item's opening words (a quote's full stop ends no sentence for the splitter).
            listed = re.search(r"\((\d)\) " + re.escape(lead[:LISTED_OPENING]), plan.said) if lead else None
            if listed is not None:
                found.append((listed.start(), h.id, lead, int(listed.group(1))))
        return [(pid, lead, number) for _, pid, lead, number in sorted(found)]

    def _referred_item(self, plan: Plan) -> tuple[str, str] | None:
        """The one item of the last answer's list a follow-up points at, by its place ("your second
        point") or by words only that item's opening uses ("why is validation a problem there?")."""
        named_path = detect_path(plan.text.lower())
        # "and what does the engineering course person know?" after the automation course: the other path's.
        items = [
            (pid, lead, number)
            for pid, lead, number in self._items(plan)
            if named_path not in OTHER
            or self.kb.passage_path(pid) != OTHER[named_path]
            and not _mentions(lead, OTHER[named_path])
        ]
        if len(items) < 2:
            return None
        at = point_in_last_answer(plan.text.lower())
        at = point_in_last_answer(plan.story.lower()) if at is None and plan.story else at
        if at is not None:
            # By the number the list gave it: an item whose passage was not cited keeps its place.
            numbers = [int(n) for n in re.findall(r"\((\d)\) ", plan.said)]
            wanted = (numbers[at] if -len(numbers) <= at < len(numbers) else None) if numbers else None
            placed = [(pid, lead) for pid, lead, number in items if number == wanted]
            if len(placed) == 1:
                return placed[0]
            # Two lists, each with its second point: the one whose words the message uses, else the one whose
            # paragraph its meaning is closest to ("my family calls me every hour" is the interruptions one).
            named = [(pid, lead) for pid, lead in placed if self._rare_words(plan.text) & set(tokenize(lead))]
            if len(named) == 1:
                return named[0]
            if not placed:
                return None
            said = f"{plan.story} {plan.text}".strip()
            vector = self.kb.embed(said)  # once for every candidate
            return max(placed, key=lambda item: self._closeness(said, vector, item[0]))
        asked = self._rare_words(plan.text) - ASKING_WORDS
        named = [(pid, lead) for pid, lead, _ in items if asked & set(tokenize(lead))]
        return named[0] if len(named) == 1 else None

    def _closeness(self, text: str, vector: Any, pid: str) -> float:
        """How close a message's meaning comes to a passage: its closest sentence's cosine."""
        hits = self.kb.get([pid])
        if not hits:
            return 0.0
        return max(self.kb.sentence_similarity(text, hits, vector).values(), default=0.0)

    def _item_answer(self, plan: Plan, item: tuple[str, str]) -> list[tuple[str, list[str]]]:
        """An item's paragraph from its opening on, in the article's order; a long one, cut to the
        sentences closest to the follow-up."""
        pid, lead = item
        hit = self.kb.get([pid])
        if not hit:
            return []
        run = _sentences(hit[0].text)
        run = run[run.index(lead) :] if lead in run else run
        if len(" ".join(run).split()) > ITEM_WORDS and plan.own_vector is not None:
            cosines = self.kb.sentence_similarity(plan.text, [hit[0]], plan.own_vector)
            keep: set[str] = {lead}
            for sentence in sorted(run[1:], key=lambda s: -cosines.get(s, 0.0)):
                if len(" ".join([*keep, sentence]).split()) > ITEM_WORDS:
                    break
                keep.add(sentence)
            run = [s for s in run if s in keep]
        return [(" ".join(run), [pid])]

    def _nth_question(self, plan: Plan) -> FrameworkQuestion | None:
        """ "What's the second question?", "and the last one?" after the framework's questions: that one."""
        t = plan.text.lower()
        # "Regarding your second question: she gets a buzz from variety. What does the article say?"
        qs = self.facts.questions
        listed = self._listed_questions(plan)
        m = ORDINAL.search(t) or BARE_ORDINAL.fullmatch(t) or (ORDINAL.search(plan.story.lower()) if listed else None)
        # "The last one" points into a list of them the last answer gave; "the second question" says so itself.
        if m is None or not qs:
            return None
        # "the second q" names the framework's; "ok last q, ..." is the writer's own, unless the list was just given.
        if not (listed or (m.group(m.lastindex or 1) != "one" and m.group(1) not in ("last", "final"))):
            return None
        at = ORDINALS[m.group(1)]
        return qs[at] if at < len(qs) else None

    def _listed_questions(self, plan: Plan) -> bool:
        """Whether the last answer gave the framework's questions."""
        return any(q.question in plan.said for q in self.facts.questions)

    def _framework_question(self, plan: Plan) -> FrameworkQuestion | None:
        """The one framework question a message is about ("what do I do when I'm stuck?"), unless
        it asks about the framework as a whole."""
        if re.search(r"framework|questions", plan.text.lower()):
            return None
        asked = self._rare_words(re.sub(r"(?i)\bunstuck\b", "stuck", plan.query or plan.text))
        matching = [q for q in self.facts.questions if asked & set(tokenize(q.question))]
        if not matching:  # "what gives an AI engineer leverage?": a word one question's passages share, of both paths
            subject = asked - ASKING_WORDS
            matching = [q for q in self.facts.questions if any(self._shared_by(q, word) for word in subject)]
        if not matching and plan.vector is not None:
            # "Where does an ML engineer's leverage come from?": the nearest examples on the framework
            # say whether it asks of one question or of all three.
            nearest = [e for e, c in self.kb.neighbours(plan.vector, 20) if e.topic == "framework" and c >= FRAMEWORK_NEAR]
            pointed = {pid for e in nearest[:FRAMEWORK_EXAMPLES] for pid in e.passages}
            matching = [q for q in self.facts.questions if pointed & set(q.passage_ids)]
        return matching[0] if len(matching) == 1 else None

    def _shared_by(self, question: FrameworkQuestion, word: str) -> bool:
        """Whether two or more of a framework question's passages use ``word`` (its theme, not a passing word)."""
        key = tuple(question.passage_ids)
        if key not in self._passage_words:
            self._passage_words[key] = [frozenset(tokenize(h.text)) for h in self.kb.get(question.passage_ids)]
        return sum(word in words for words in self._passage_words[key]) >= 2

    def _topic_choose(self, plan: Plan) -> list[tuple[str, list[str]]]:
        recs = self.facts.recommendations
        paths = self._paths(plan)
        quotes = [recs[p] for p in paths]
        text = " ".join(q.text.lstrip("· ") for q in quotes)
        return [*self._verdict(plan), (text, [quotes[0].passage_id]), self._questions(), self._advice()]

    def _questions(self) -> tuple[str, list[str]]:
        """The framework's three questions, which are how the article says to decide."""
        qs = self.facts.questions
        return f"To decide, the article asks {_count(qs)} questions: " + " ".join(q.question for q in qs), [qs[0].passage_ids[0]]

    def _advice(self) -> tuple[str, list[str]]:
        """The article's hard advice: "Pick one for 18 months minimum"."""
        c = self.facts.commitment
        return c.text[:1].upper() + c.text[1:] + ", the article advises.", [c.passage_id]

    def _verdict(self, plan: Plan) -> list[tuple[str, list[str]]]:
        """The article's own word on which path is better, when the question asks exactly that."""
        t = plan.text.lower()
        if not BETTER.search(t):
            return []
        return [(self.facts.verdict.text, [self.facts.verdict.passage_id])]

    def _topic_breaks(self, plan: Plan) -> list[tuple[str, list[str]]]:
        """What a bad day looks like on each path: the passages after each burnout point."""
        parts = []
        asked = sorted(set(tokenize(_asking_part(plan.text))) - PATH_WORDS)
        for path in self._paths(plan):
            detail = self.kb.get(self.facts.burnout_of(path).detail_passage_ids)
            for h in detail:
                sentences = _sentences(h.text)
                for i, s in enumerate(sentences):
                    if re.match(r"when something (breaks|fails)", s.lower()):
                        who = "an AI Engineer" if path == "engineering" else "an Automation Specialist"
                        # ...and what getting through it takes ("This takes patience and ...").
                        takes = [t for t in sentences[i + 2 :] if t.lower().startswith("this takes")][:1]
                        shown = [*sentences[i : i + 2], *takes]
                        more = [
                            t
                            for t in _best_sentences([h], asked, 1, idf=self.kb.idf, min_score=IN_PASSAGE_MIN_SCORE)
                            if t[0] not in shown
                        ]
                        parts.append((f"For {who}: " + " ".join(shown + [t[0] for t in more]), [h.id]))
                        break
                else:
                    continue
                break
        return parts

    def _topic_real_question(self, plan: Plan) -> list[tuple[str, list[str]]]:
        """The question the article says people are really asking: the one its section poses."""
        for h in plan.hits:
            if "ask" in h.section.lower():
                asked = [s for s in _sentences(h.text) if s.endswith("?")]
                if asked:
                    return [(f"The article says people are really asking: “{asked[0]}”", [h.id])] + self._extract(plan, 1, {h.id})
        return []

    def _topic_compounding(self, plan: Plan) -> list[tuple[str, list[str]]]:
        """What each path compounds, in its own sentence, from the passages that speak of it: the
        article sets them side by side ("AI Engineering is a compounding bet." / "Automation is a
        diversification bet.")."""
        parts: list[tuple[str, list[str]]] = []
        hits = [h for h in plan.hits if re.search(r"compound|diversif", h.text.lower())] or plan.hits
        for path in self._paths(plan):
            for part in self._extract(replace(plan, path=path, hits=hits), n=1, own_path=True):
                if part not in parts:
                    parts.append(part)
        if plan.path in ("engineering", "automation") and parts:  # one path: what the question asks of its bet
            said = set(_sentences(parts[0][0]))
            more = [p for p in self._extract(replace(plan, hits=hits), n=3) if not said & set(_sentences(p[0]))]
            parts += [p for p in more if not _mentions(p[0], OTHER[plan.path])][:1]
        return parts

    def _topic_hiring(self, plan: Plan) -> list[tuple[str, list[str]]]:
        """Who hires which path: the article says it depends on the company's size."""
        return [(self.facts.hiring.text, [self.facts.hiring.passage_id])]

    def _topic_commitment(self, plan: Plan) -> list[tuple[str, list[str]]]:
        """The article's advice (one path for 18 months first), then what the question asks of it."""
        return [self._advice(), *self._extract(plan, n=2, exclude_ids={self.facts.commitment.passage_id})]

    # -- extractive answers ---------------------------------------------------------------
    def _unheard_of(self, question: str) -> bool:
        """Whether two thirds or more of the question's words (career names aside) never occur in
        the store: "do AI engineers get health insurance?" is about something the article never
        mentions, however close MiniLM puts it to a passage about AI engineers."""
        words = [t for t in tokenize(question) if t not in PATH_WORDS]
        return bool(words) and 3 * sum(1 for t in words if self.kb.idf(t) == 0) >= 2 * len(words)

    def _rare_words(self, question: str) -> set[str]:
        """The question's words that are rare in the store, career names aside."""
        return {t for t in tokenize(question) if t not in PATH_WORDS and self.kb.idf(t) >= RARE_IDF}

    def _with_specifics(self, plan: Plan, parts: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
        """Quote the best-ranked passage too when the topic's answer left it out and it speaks
        to the question's own specifics. "How much did the small agency pay for the first
        project?" is about income, but its answer is "They pay ₹15,000", not the income bands;
        "Do startups and small companies want different people?" is not the comparison table.

        Its best sentence must share rare words worth ``SPECIFIC_MIN_SCORE`` with the question
        (one word found in a single passage, or two a little less rare) that the answer lacks.
        With no topic it comes first; under the general overview the passage's opening replaces
        the comparison table; otherwise it follows the topic's answer.
        """
        if not plan.hits:
            return parts
        said = set(tokenize(" ".join(text for text, _ in parts)))
        # "Just finished an automation course (n8n, zapier). What would a small agency pay me for a
        # first project?": the question's own words say what it is after, not the story before it.
        asked = self._rare_words(_asking_part(plan.query or plan.text))
        specific = sorted((asked if len(asked) >= 2 else self._rare_words(plan.query or plan.text)) - said)
        best = _best_sentences(
            plan.hits[:1],
            specific,
            1,
            idf=self.kb.idf,
            min_score=SPECIFIC_MIN_SCORE,
            quantity=bool(QUANTITY.search(_asking_part(plan.text).lower())),
        )
        cited = {pid for _, ids in parts for pid in ids}
        restated = plan.hits[0].id in cited
        if not best or not _adds_to(best[0][0], said, restated) or (restated and plan.hits[0].id in self._table_rows()):
            return self._with_closest(plan, parts)
        extra = (best[0][0], [best[0][1]])
        if plan.topic == "overview":  # the specifics say what the question is after: not the whole table
            return [(_lead(plan.hits[0].text, OVERVIEW_WORDS), [plan.hits[0].id])]
        return [extra, *parts] if plan.topic is None else [*parts, extra]

    def _with_closest(self, plan: Plan, parts: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
        """Quote the best-ranked passage's sentence closest in meaning to the question, when the
        topic's answer left it out and it is close enough to be on point: the topic read from
        examples can be near the question without being its exact subject."""
        top = plan.hits[:1]
        if not top or plan.vector is None:
            return parts
        said = " ".join(text for text, _ in parts)
        words = set(tokenize(said))
        cited = top[0].id in {pid for _, ids in parts for pid in ids}
        if cited and top[0].id in self._table_rows():  # the answer gave that row already
            return parts
        closeness = self.kb.sentence_similarity(plan.query or plan.text, top, plan.vector)
        one = _one_path(plan)
        best = max(
            (
                (c, s)
                for s, c in closeness.items()
                if s not in said
                and _adds_to(s, words, cited)
                and len(s.split()) >= 6
                and not (one and _mentions(s, OTHER[one]) and not _mentions(s, one))
            ),
            default=None,
        )
        if best is None or best[0] < CLOSEST_MIN:
            return parts
        return [*parts, (best[1], [top[0].id])] if parts else [(best[1], [top[0].id])]

    def _extract(
        self,
        plan: Plan,
        n: int,
        exclude_ids: set[str] | None = None,
        min_score: float = 0.0,
        *,
        own_path: bool = False,
        semantic: bool = True,
        pool: int = 4,
        bonus: dict[str, float] | None = None,
    ) -> list[tuple[str, list[str]]]:
        """The sentences of the retrieved passages that best answer the question.

        The topic's own words (``TOPIC_WORDS``) count beside the question's, so "Will automation
        jobs disappear?" finds the sentences about commoditization. With ``own_path``, only
        sentences that name the plan's path. With ``semantic``, a sentence's meaning counts as
        well as its words (MiniLM cosine to the question as read in the conversation): a
        follow-up ("how do people get through that?") shares few words with its answer.
        """
        hits = [h for h in plan.hits if h.id not in (exclude_ids or set())]
        if plan.path in ("engineering", "automation"):
            preferred = self._of_path(hits, plan.path)
            hits = preferred or hits
        # With one path asked about, its name says nothing about which sentence answers.
        skip = PATH_WORDS if plan.path in ("engineering", "automation") else frozenset()
        asked = [t for t in tokenize(plan.query or plan.text) if t not in skip]
        asking = set(tokenize(_asking_part(plan.text)))
        if not plan.followup and len(asking) >= 3:  # a story, then the question: the story's words count as synonyms do
            asked = [t for t in asked if t in asking]
        related = [t for t in tokenize(plan.query or plan.text, expand=True) if t not in asked and t not in skip]
        related += [t for t in tokenize(TOPIC_WORDS.get(plan.topic or "", "")) if t not in asked]
        closeness = None
        if semantic and hits:
            closeness = self.kb.sentence_similarity(plan.query or plan.text, hits[:pool], plan.vector)
            for sentence, extra in (bonus or {}).items():
                closeness[sentence] = closeness.get(sentence, 0.0) + extra
            # The questions a sentence answers say what it is for: "how do people get through that?"
            # is one of "This takes patience"'s, though the scene around it shares more of its words.
            if plan.vector is not None:
                for sentence, key in self.kb.sentence_key_similarity(plan.vector, hits[:pool]).items():
                    closeness[sentence] = closeness.get(sentence, 0.0) + KEY_WEIGHT * max(0.0, key - KEY_FLOOR)
        best = _best_sentences(
            hits[:pool],
            asked + related,
            n,
            path=plan.path,
            idf=_weighted(self.kb.idf, set(related)),
            min_score=min_score,
            why=plan.asks_why,
            own_path=own_path,
            closeness=closeness,
            money=plan.topic == "income" or bool(QUANTITY.search(_asking_part(plan.query or plan.text).lower())),
        )
        return [(s, [pid]) for s, pid in best]

    def _fit_turn(self, plan: Plan) -> Turn:
        fit = plan.fit
        assert fit is not None
        eng, auto = fit.scores["engineering"], fit.scores["automation"]
        if fit.recommended == "undecided":
            head = f"From what you said, the framework doesn't separate the paths (engineering {eng:g}, automation {auto:g})."
        else:
            name = "AI Engineering" if fit.recommended == "engineering" else "AI Automation"
            head = f"From what you said, the article's framework points to {name} (engineering {eng:g} vs automation {auto:g})."
        why = "; ".join(self._reason(r) for r in fit.reasons)
        text = f"{head} Why: {why}{'' if why.endswith('”') else '.'} {fit.caveat}"
        ids = _fit_passages(self, fit)
        asked = [part for question in plan.parts for part in self._parts(question)[:FIT_ANSWER_PARTS]]
        if asked:  # the question asked beside the self-description comes first
            text = " ".join(_full_stop(t) for t, _ in asked) + " " + text
            ids = list(dict.fromkeys([*(i for _, found in asked for i in found), *ids]))
        citations = [Citation(id=h.id, section=h.section, text=h.text) for h in self.kb.get(ids)]
        return Turn(
            answer=text,
            citations=citations,
            fit=fit,
            follow_ups=[
                "What are the red flags for this path?",
                "What are the three framework questions?",
                "When does burnout hit on this path?",
            ],
        )

    def _trait_lines(self, plan: Plan, fit: FitResult) -> list[tuple[str, list[str]]]:
        """What the article says of the traits someone told of, for the path they asked about (or both):
        "I lose steam if nobody notices my work. Is ML bad for that?" gets the red flag's own lines."""
        asked = plan.path if plan.path in ("engineering", "automation") else None
        reasons = sorted(fit.reasons, key=lambda r: (asked is not None and r.path == asked, r.points), reverse=True)
        parts: list[tuple[str, list[str]]] = []
        for reason in reasons[:TRAITS_SAID]:
            found = self.kb.get(_reason_passages(self, reason))
            first = next(iter(_sentences(reason.quote)), None)
            holding = [h for h in found if first and first in h.text] or found[:1]
            ids = [h.id for h in holding[:1]]
            lines = [s for h in holding[:1] for s in _sentences(h.text)]
            at = next((n for n, line in enumerate(lines) if reason.quote.startswith(line)), 0)
            # A red flag's lines follow it ("You need frequent validation. Models don't thank you. ..."); a
            # side of the framework's question is told before its verdict ("Some people recharge by going deeper ...").
            flag = reason.signal.startswith("red_flag:")
            # a preference's line is the article's verdict ("Choose AI Engineering if ..."): it stands alone
            start = at if flag or reason.signal.startswith("preference:") else max(0, at - TRAIT_LINES + 1)
            lines = lines[start : start + TRAIT_LINES]
            if not lines:
                continue
            if flag:
                lead = f"The article counts that as a red flag for {PATH_NAME[OTHER[reason.path]]}:"
            else:
                lead = f"The article puts that on the {PATH_NAME[reason.path]} side:"
            parts.append((f"{lead} {' '.join(_full_stop(line) for line in lines)}", ids))
        return parts

    def _reason(self, reason: Reason) -> str:
        """One line of the fit's "Why": the person's answer and its points, and for a red flag
        the article's own sentence on what that trait meets on the path."""
        text = f"{reason.answer} (+{reason.points:g} {reason.path})"
        flag = next((f for f in self.facts.red_flags if f.flag == reason.quote), None)
        passage = self.kb.get([flag.passage_id]) if flag else []
        if passage and reason.quote in passage[0].text:
            after = _sentences(passage[0].text.split(reason.quote, 1)[1])
            if after:
                text += f", and the article says: “{after[0]}”"
        elif reason.signal in QUESTION_ANSWERS:  # the side of the framework's question said in the article's words
            text += f": “{reason.quote}”"
        return text

    def _follow_ups(self, plan: Plan) -> list[str]:
        path = plan.path if plan.path in ("engineering", "automation") else None
        other = {"engineering": "automation", "automation": "AI engineering"}.get(path or "", "")
        who = {"engineering": "AI engineers", "automation": "automation specialists"}.get(path or "", "each path")
        by_topic = {
            "income": [f"When do {who} burn out?", "How hard is it to get in?"],
            "burnout": ["Why does it happen then?", f"How much do {who} earn?"],
            "red_flags": ["What are the three framework questions?", "Which path fits me if I'm patient?"],
            "entry": ["Does AI engineering need a degree?", f"How much do {who} earn at first?"],
            "gatekeeping": ["How hard is it to get into automation?", "What changed in 2026?"],
            "market": ["Is automation work being commoditized?", "What skill actually transfers?"],
        }
        out = list(by_topic.get(plan.topic or "", ["What are the red flags for each path?", "How do I decide between them?"]))
        if other:
            out.insert(0, f"And for {other}?")
        return out[:3]


# -- helpers --------------------------------------------------------------------------------
def _joined(first: list[tuple[str, list[str]]], then: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """``first``'s sentences, then those of ``then`` that do not say them again."""
    said = {s for text, _ in first for s in _sentences(text)}
    # A part that repeats one of those sentences keeps the rest of what it says.
    kept = [(text, [s for s in _sentences(text) if s not in said], ids) for text, ids in then]
    rest = [(text if len(fresh) == len(_sentences(text)) else " ".join(fresh), ids) for text, fresh, ids in kept if fresh]
    words = set(tokenize(" ".join(text for text, _ in rest)))
    # "Automation Specialists break at months 18-24." is said by the burnout answer already.
    return [*(p for p in first if not set(tokenize(p[0])) <= words), *rest]


def _unrepeated(parts: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """The parts with no sentence an earlier part said (two steps can pick the same line)."""
    said: set[str] = set()
    out: list[tuple[str, list[str]]] = []
    for text, ids in parts:
        fresh = []
        for sentence in _sentences(text):  # the article says "The model isn't converging." in two places
            if sentence not in said:
                fresh.append(sentence)
                said.add(sentence)
        if fresh:
            out.append((" ".join(fresh) if len(fresh) < len(_sentences(text)) else text, ids))
    return out


def _count(items: list[FrameworkQuestion]) -> str:
    """How many there are, in words for a few ("three questions")."""
    return {2: "two", 3: "three", 4: "four"}.get(len(items), str(len(items)))


def _one_path(plan: Plan) -> str | None:
    """The one path a question asks of, if it asks of one."""
    return plan.path if plan.path in ("engineering", "automation") else None


def _says_new(sentence: str, said: set[str]) -> bool:
    """Whether enough of a sentence's words are ones an answer lacks for it to say something more."""
    words = set(tokenize(sentence))
    return len(words - said) > REPEATED * len(words)


def _new_beside_said(run: list[str], said: set[str], *, before: int = 0, after: int = 0) -> set[str]:
    """The lines of ``run`` (in article order) up to ``before`` ahead of, or ``after`` behind, a line said already, that say something new."""
    return {
        s
        for n, said_one in enumerate(run)
        if not _says_new(said_one, said)
        for s in [*run[max(0, n - before) : n], *run[n + 1 : n + 1 + after]]
        if _says_new(s, said)
    }


def _adds_to(sentence: str, said: set[str], cited: bool) -> bool:
    """Whether a sentence says more than an answer does. Where the answer gives figures of a passage it
    cites, they were chosen from it (the asked stretch of time's pay), so another line of them is not more."""
    figures = cited and re.search(r"\d", sentence) and any(c.isdigit() for word in said for c in word)
    return _says_new(sentence, said) and not figures


def _swapped(sentence: str, path: str) -> str:
    """The sentence with ``path``'s name replaced by the other path's."""
    if path == "engineering":
        out = re.sub(r"(?i)\b(?:AI|ML|machine learning) engineer(s?)\b", r"Automation Specialist\1", sentence)
        return re.sub(r"(?i)\bAI engineering\b", "automation", out)
    out = re.sub(r"(?i)\b(?:AI )?automation specialist(s?)\b", r"AI Engineer\1", sentence)
    return re.sub(r"(?i)\bautomation\b", "AI engineering", out)


def _full_stop(text: str) -> str:
    return text if text.rstrip().endswith((".", "!", "?", "”", '"', "’", ")", ":")) else f"{text.rstrip()}."


def _mentions(text: str, path: str) -> bool:
    t = text.lower()
    return bool(ENGINEERING.search(t)) if path == "engineering" else "automation" in t


def _overlaps(band: IncomeBand, period: Period) -> bool:
    lo, hi = period
    band_hi = band.months_to if band.months_to is not None else 10**6
    return band.months_from < (hi if hi is not None else 10**6) and lo < band_hi


def _listed(bases: list[str]) -> str:
    named = [b if b != "not stated" else "with no period stated" for b in bases]
    return ", ".join(named[:-1]) + f" and {named[-1]}" if len(named) > 1 else named[0]


def _band_text(b: IncomeBand) -> str:
    months = f"months {b.months_from}-{b.months_to}" if b.months_to is not None else f"months {b.months_from}+"
    qual = f" {b.qualifier}" if b.qualifier else ""
    figure = b.figure if b.figure.startswith("₹") else b.figure[:1].lower() + b.figure[1:]
    return f"{figure}{qual} ({months})"


def _asking_part(text: str) -> str:
    """The last sentence of a message of several, where people put what they ask after what they
    tell; the whole message when it asks more than once ("Is X true? What pays then?")."""
    parts = _sentences(text)
    return parts[-1] if len(parts) > 1 and not any(p.endswith("?") for p in parts[:-1]) else text


def _lead(text: str, words: int) -> str:
    """The passage's first sentences, whole, up to about ``words`` words (at least one)."""
    out: list[str] = []
    for sentence in _sentences(text):
        if out and len(" ".join([*out, sentence]).split()) > words:
            break
        out.append(sentence)
    return " ".join(out)


def _best_sentences(
    hits: list[Hit],
    terms: list[str],
    n: int,
    *,
    exclude: str = "",
    path: str | None = None,
    idf: Callable[[str], float] | None = None,
    min_score: float = 0.0,
    why: bool = False,
    own_path: bool = False,
    quantity: bool = False,
    closeness: dict[str, float] | None = None,
    money: bool = True,
) -> list[tuple[str, str]]:
    """Sentences ranked by the rarity-weighted words they share with the question.

    A short best sentence ("You finish an automation course.") is read with the one after it,
    which usually carries the answer. For a question that asks why, a sentence that gives a
    cause ("... because AI tools made automation accessible") counts ``CAUSE_BONUS`` more, and
    a cause in the next sentence ("Why? Because ...") is read with the one before it. With
    ``own_path``, only sentences (as read) that name ``path``. For a question after a
    quantity ("how much did the agency pay?"), a sentence with a number counts ``FIGURE_BONUS`` more.
    Without ``money``, no sentence of rupee figures: "is there room left for paid freelancers?" asks
    about the market, however close the income bands' questions are.
    """
    weight = idf or (lambda _t: 1.0)
    wanted = set(terms)
    scored = []
    for rank, h in enumerate(hits):
        sentences = _sentences(h.text)
        for pos, sentence in enumerate(sentences):
            if exclude and exclude in sentence or len(sentence.split()) < 4 or (not money and "₹" in sentence):
                continue
            overlap = sum(weight(t) for t in wanted & set(tokenize(sentence)))
            if closeness is not None:
                overlap += SEMANTIC_WEIGHT * max(0.0, closeness.get(sentence, 0.0) - SEMANTIC_FLOOR)
            if overlap <= max(0.0, min_score):
                continue
            if path in ("engineering", "automation") and _mentions(sentence, path):
                overlap += 0.5
            if why and CAUSE.search(sentence.lower()):
                overlap += CAUSE_BONUS
            end = pos + 1
            if len(sentence.split()) < 10 and pos + 1 < len(sentences) and sentence.endswith((".", "!", "?")):
                end = pos + 2
            if why:  # "X haven't grown. Why? Because Y.": the cause comes with it
                cause = pos + 2 if sentences[pos + 1 : pos + 2] == ["Why?"] else pos + 1
                if cause < len(sentences) and sentences[cause].lower().startswith("because"):
                    end = max(end, cause + 1)
            text = " ".join(sentences[pos:end])
            if own_path and path in ("engineering", "automation") and not _mentions(text, path):
                continue
            if quantity and re.search(r"₹|\b\d", text):  # a figure, not the 8 of n8n; scored as read, with it
                overlap = max(overlap, sum(weight(t) for t in wanted & set(tokenize(text)))) + FIGURE_BONUS
            scored.append((overlap - 0.3 * rank - 0.01 * pos, text, h.id, tuple(sentences[pos:end])))
    scored.sort(key=lambda s: -s[0])
    out: list[tuple[str, str]] = []
    used: set[str] = set()  # a short sentence read with the next may overlap another choice by one sentence
    for score, text, pid, parts in scored:
        # Far behind the best, a line is left out, unless the answer so far is a bare fragment ("This is where people quit.").
        if out and score < RELATIVE * scored[0][0] and sum(len(t.split()) for t, _ in out) >= FRAGMENT_WORDS:
            break
        fresh = [p for p in parts if p not in used]
        text = " ".join(fresh) if len(fresh) < len(parts) else text
        if fresh and all(text not in s and s not in text for s, _ in out):
            out.append((text, pid))
            used.update(parts)
        if len(out) == n:
            break
    return out


def _weighted(idf: Callable[[str], float], related: set[str]) -> Callable[[str], float]:
    """Words the person used count fully; words we added as synonyms count half."""
    return lambda term: idf(term) * (0.5 if term in related else 1.0)


def _fit_passages(answerer: OfflineAnswerer, fit: FitResult) -> list[str]:
    return list(dict.fromkeys(pid for r in fit.reasons for pid in _reason_passages(answerer, r)))[:4]


def _reason_passages(answerer: OfflineAnswerer, r: Reason) -> list[str]:
    """The passages that hold the article's sentence behind one reason of a fit."""
    facts = answerer.facts
    ids = [pid for q in facts.questions if r.quote in (q.engineering, q.automation) for pid in q.passage_ids[:2]]
    ids += [f.passage_id for f in facts.red_flags if r.quote == f.flag]
    ids += [rec.passage_id for rec in facts.recommendations.values() if r.quote == rec.text]
    row = facts.row("suited")
    if row and r.quote.endswith(row.engineering):
        ids.append(row.passage_id)
    return list(dict.fromkeys(ids))
