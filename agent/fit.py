"""The fit scorer: the article's framework as sums a person can check.

Pure functions. Every signal names the path it points to, its points, and the article's own
sentence behind it; the recommendation is whichever path leads by at least ``MARGIN``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field

from pathwise.agent.models import FitResult, Reason
from pathwise.knowledge.facts import PATH_LABEL, FactSheet, bundled_facts

MARGIN = 1.0
QUESTION_POINTS = 2.0
SIGNAL_POINTS = 1.0
OTHER = {"engineering": "automation", "automation": "engineering"}

Q1 = Literal["right_once", "useful_repeatedly"]
Q2 = Literal["depth", "breadth"]
Q3 = Literal["think_harder", "try_faster"]


class FitAnswers(BaseModel):
    """What a person said about themselves. Every field is optional."""

    right_once_or_repeatedly: Q1 | None = None
    energy_from: Q2 | None = None
    when_stuck: Q3 | None = None
    red_flags: list[str] = Field(default_factory=list, description="keys of RED_FLAGS that apply to the person")
    preferences: list[str] = Field(default_factory=list, description="keys of PREFERENCES the person holds")


@dataclass(frozen=True)
class Signal:
    key: str
    label: str
    path: str  # the path this signal points to
    mirror: str  # the key of the opposite signal


QUESTION_ANSWERS: dict[str, dict[str, str]] = {
    "right_once_or_repeatedly": {"right_once": "engineering", "useful_repeatedly": "automation"},
    "energy_from": {"depth": "engineering", "breadth": "automation"},
    "when_stuck": {"think_harder": "engineering", "try_faster": "automation"},
}
ANSWER_LABELS = {
    "right_once": "be right once, in a way that scales",
    "useful_repeatedly": "be useful repeatedly, in different contexts",
    "depth": "recover energy from depth",
    "breadth": "recover energy from breadth",
    "think_harder": "when stuck, think harder",
    "try_faster": "when stuck, try faster",
}

# A red flag for one path is a signal for the other. Index i of one path mirrors index i of the other.
RED_FLAGS: dict[str, Signal] = {
    s.key: s
    for s in (
        Signal("needs_validation", "you need frequent validation", "automation", "needs_architectural_purity"),
        Signal("hates_being_wrong_in_public", "you hate being wrong in public", "automation", "hates_interruptions"),
        Signal("appear_smart", "you optimise for appearing smart over being useful", "automation", "needs_stimulation"),
        Signal("needs_architectural_purity", "you can't let go of “the right way”", "engineering", "needs_validation"),
        Signal("hates_interruptions", "you can't tolerate being interrupted", "engineering", "hates_being_wrong_in_public"),
        Signal("needs_stimulation", "you need intellectual stimulation from the work itself", "engineering", "appear_smart"),
    )
}
FLAG_ORDER = {  # which of the article's red flags (by position) each key is
    "needs_validation": ("engineering", 0),
    "hates_being_wrong_in_public": ("engineering", 1),
    "appear_smart": ("engineering", 2),
    "needs_architectural_purity": ("automation", 0),
    "hates_interruptions": ("automation", 1),
    "needs_stimulation": ("automation", 2),
}

PREFERENCES: dict[str, Signal] = {
    s.key: s
    for s in (
        Signal("early_income", "you want early income", "automation", "delayed_rewards"),
        Signal("delayed_rewards", "you can wait for delayed rewards", "engineering", "early_income"),
        Signal("visible_impact", "you want visible impact", "automation", "scale"),
        Signal("scale", "you want your work to scale", "engineering", "visible_impact"),
        Signal("speed", "you want speed", "automation", "patience"),
        Signal("patience", "you are patient", "engineering", "speed"),
    )
}


def _quote(facts: FactSheet, kind: str, key: str) -> str:
    """The article's sentence behind a signal."""
    if kind == "question":
        field, path = key.split(":")
        q = next(q for q in facts.questions if _question_field(q.question) == field)
        return q.engineering if path == "engineering" else q.automation
    if kind == "flag":
        path, idx = FLAG_ORDER[key]
        flags = facts.flags(path)
        return flags[idx].flag if idx < len(flags) else ""
    rec = facts.recommendations
    row = facts.row("suited")
    return {
        "early_income": rec["automation"].text,
        "visible_impact": rec["automation"].text,
        "speed": rec["automation"].text,
        "delayed_rewards": rec["engineering"].text,
        "scale": rec["engineering"].text,
        # verbatim as the table-row passage reads, so a person can find it
        "patience": f"{row.dimension}: {PATH_LABEL['engineering']}: {row.engineering}" if row else rec["engineering"].text,
    }[key]


def _question_field(question: str) -> str:
    q = question.lower()
    if "right once" in q:
        return "right_once_or_repeatedly"
    if "depth" in q or "energy" in q:
        return "energy_from"
    return "when_stuck"


def score_fit(answers: FitAnswers, facts: FactSheet | None = None) -> FitResult:
    """Scores both paths from the answers given; same answers, same result."""
    facts = facts or bundled_facts()
    reasons: list[Reason] = []
    for field, options in QUESTION_ANSWERS.items():
        choice = getattr(answers, field)
        if choice is None:
            continue
        path = options[choice]
        reasons.append(
            Reason(
                signal=field,
                answer=ANSWER_LABELS[choice],
                path=path,
                points=QUESTION_POINTS,
                quote=_quote(facts, "question", f"{field}:{path}"),
            )
        )
    for kind, table, keys in (("flag", RED_FLAGS, answers.red_flags), ("pref", PREFERENCES, answers.preferences)):
        for key in sorted(set(keys)):
            signal = table.get(key)
            if signal is None:
                continue
            reasons.append(
                Reason(
                    signal=f"red_flag:{key}" if kind == "flag" else f"preference:{key}",
                    answer=signal.label,
                    path=signal.path,
                    points=SIGNAL_POINTS,
                    quote=_quote(facts, kind, key),
                )
            )
    scores = {"engineering": 0.0, "automation": 0.0}
    for r in reasons:
        scores[r.path] += r.points
    gap = scores["engineering"] - scores["automation"]
    recommended: Literal["engineering", "automation", "undecided"]
    recommended = "engineering" if gap >= MARGIN else "automation" if -gap >= MARGIN else "undecided"
    return FitResult(
        recommended=recommended,
        scores=scores,
        reasons=reasons,
        margin=MARGIN,
        caveat=f"Whichever you choose, the article's hard advice is to {facts.commitment.text}.",
    )


def mirror(answers: FitAnswers) -> FitAnswers:
    """Every answer swapped for its opposite (used by the scorer's tests)."""
    swap = {a: b for pair in ([*o] for o in QUESTION_ANSWERS.values()) for a, b in (pair, pair[::-1])}
    return FitAnswers(
        right_once_or_repeatedly=swap.get(answers.right_once_or_repeatedly) if answers.right_once_or_repeatedly else None,
        energy_from=swap.get(answers.energy_from) if answers.energy_from else None,
        when_stuck=swap.get(answers.when_stuck) if answers.when_stuck else None,
        red_flags=[RED_FLAGS[k].mirror for k in answers.red_flags if k in RED_FLAGS],
        preferences=[PREFERENCES[k].mirror for k in answers.preferences if k in PREFERENCES],
    )


# -- free text -----------------------------------------------------------------------------
_NEG_AFTER = r"(?:(?:bores?|drains?|kills?|exhausts?|wears? (?:me )?out|frustrates?|annoys?) me\b|(?<!never )(?<!not )(?<!n't )(?<!without )(?:i )?(?:get|gets|getting) (?:so |very |really )?bored\b)"
# The thing disliked, then the dislike, in one clause: "I like variety, I get bored ..." dislikes no variety.
_WORDS_BEFORE = r"[^\w,.;!?]+(?:(?!(?:not|never|dont|don't|ever|rarely|hardly|without|otherwise|else)\b)\w+[^\w,.;!?]+){0,4}"
_NEG = r"(?:hate|dislike|can'?t stand|can'?t tolerate|cannot tolerate|don'?t like|do not like|don'?t enjoy|avoid|struggle with|bad at|not good at|get drained by|drained by|no patience for|can'?t handle|not into|not a fan of|not fond of|afraid of|scared of|terrified of|fear(?:ful)? of)"

# (pattern, kind, key); first match per key wins. Patterns run on lower-cased text with straight quotes.
_TEXT_SIGNALS: list[tuple[str, str, str]] = [
    (
        rf"{_NEG}\W+(?:\w+\W+){{0,3}}(?:interrupt|context[- ]?switch|switching context|being pulled|firefight|on call|phone)",
        "flag",
        "hates_interruptions",
    ),
    (
        rf"{_NEG}\W+(?:\w+\W+){{0,3}}(?:being wrong|failing in public|public failure|looking stupid|mistakes? in public)",
        "flag",
        "hates_being_wrong_in_public",
    ),
    (rf"{_NEG}\W+(?:\w+\W+){{0,3}}(?:repetiti|boring|same (?:kind|type) of|routine)", "flag", "needs_stimulation"),
    (rf"{_NEG}\W+(?:\w+\W+){{0,3}}(?:hack|duct tape|messy|shortcuts?|compromis)", "flag", "needs_architectural_purity"),
    (rf"{_NEG}\W+(?:\w+\W+){{0,3}}(?:wait|delay|slow|uncertain|ambigu|not knowing)", "pref", "speed"),
    (rf"{_NEG}\W+(?:\w+\W+){{0,3}}(?:deep|depth|one thing|same domain)", "q2", "breadth"),
    # The same dislike said after the thing: "going deep on one thing for weeks bores me".
    (rf"(?:deep|depth|one thing|same domain|one problem){_WORDS_BEFORE}{_NEG_AFTER}", "q2", "breadth"),
    (rf"(?:variety|switching|new tools|breadth|context[- ]switching){_WORDS_BEFORE}{_NEG_AFTER}", "q2", "depth"),
    # "reading theory I get bored": thinking it through is what they would not do when stuck, unless they say
    # what they do ("... but when I'm stuck I think it through" answers the question itself).
    (rf"(?:theory|reading|papers|research){_WORDS_BEFORE}{_NEG_AFTER}", "q3_unless_said", "try_faster"),
    (rf"{_NEG}\W+(?:\w+\W+){{0,3}}(?:variety|switching|new tools|breadth)", "q2", "depth"),
    # Not needing praise is no red flag: taken out first, so it cannot read as needing it.
    (
        r"(?:don'?t|do not|never|doesn'?t) need (?:\w+ ){0,3}(?:validation|recognition|praise|acknowledg|appreciation|pat (?:me )?on the back)",
        "none",
        "",
    ),
    (
        r"need(?:s)? (?:frequent |regular |constant )?(?:validation|recognition|praise|acknowledg|appreciation|feedback)",
        "flag",
        "needs_validation",
    ),
    (r"(?:impress|look(?:ing)? smart|appear(?:ing)? smart|fancy|fanciest|complex solutions)", "flag", "appear_smart"),
    (r"(?:the right way|clean architecture|architectural purity|elegan|perfectionis)", "flag", "needs_architectural_purity"),
    (
        r"(?:need|want|love|like|crave)\w* (?:\w+ )?(?:intellectual|novel problems|interesting problems|hard problems|new algorithms)",
        "flag",
        "needs_stimulation",
    ),
    (r"bored (?:\w+ ){0,6}(?:one thing|same thing|one problem|one project)", "q2", "breadth"),
    # "I get bored going super deep" prefers breadth ("I don't get bored going deep" says nothing of it).
    (
        r"(?<!n't )(?<!not )(?<!never )\b(?:get|gets|getting|got) (?:easily |quickly |very )?bored (?:going|diving|digging|staying) "
        r"(?:\w+ ){0,2}?(?:deep|deeper|in depth)\b",
        "q2",
        "breadth",
    ),
    (r"\b(?:tired|sick) of waiting|\bfed up (?:with|of) waiting", "pref", "speed"),
    (r"(?:get|am|i'm|easily) (?:easily )?bored", "flag", "needs_stimulation"),
    (
        r"(?:need|want|love|like|prefer)\w* (?:long |unbroken |deep )*(?:focus|deep work)|\bfocus for (?:\w+ ){0,2}hours|hours (?:straight|on end)",
        "flag",
        "hates_interruptions",
    ),
    (
        r"(?:interrupt\w*|pings?|notifications?|meetings|calls) (?:\w+ ){0,2}(?:drives?|makes?|annoy\w*|bother\w*|kills?|drains?|frustrat\w*) (?:me|my)\b",
        "flag",
        "hates_interruptions",
    ),
    (r"right once|get (?:it|things) right|correct up ?front|build (?:it )?once", "q1", "right_once"),
    (
        r"useful repeatedly|many (?:different )?(?:problems|clients|contexts)|lots of (?:small )?problems|different problems",
        "q1",
        "useful_repeatedly",
    ),
    (
        r"\b(?:depth|deep dives?|go(?:ing|es)? (?:\w+ )?deep|deeper|mastery|master one|speciali[sz](?:e|es|ed|ing|ation)\b|one domain)|(?:weeks|months|days) on (?:a |one )?(?:single )?(?:hard |difficult )?problem|(?:weekend|week|day|days|weeks) on one (?:\w+ ){0,2}(?:bug|problem|issue)",
        "q2",
        "depth",
    ),
    (
        r"\b(?:breadth|variety|novelty|switch(?:ing)? contexts?|context[- ]switching|new tools|many domains|different domains)|(?:hop|jump|bounc)\w* (?:around|between)",
        "q2",
        "breadth",
    ),
    (r"prefer(?:s|ring)? (?:thinking|to think)|thinking (?:over|to|more than|rather than) doing", "q3", "think_harder"),
    (r"prefer(?:s|ring)? (?:doing|to do|action)|doing (?:over|to|more than|rather than) thinking", "q3", "try_faster"),
    (
        r"think(?:ing)? harder|think (?:it|things) through|thinking it through|read(?:ing)? (?:more |the |a )?papers?\b|work(?:ing)? out the maths?|understand exactly why|analy[sz](?:e|es|ing)\b|analysis|productive by thinking|understand the math",
        "q3",
        "think_harder",
    ),
    (
        r"try(?:ing)? (?:something )?fast|try faster|iterat|tinker|trial and error|productive by doing|try something else|learn by doing|experiment quickly|try (?:\w+ ){0,2}(?:different|other|new) (?:things|approaches|ideas)",
        "q3",
        "try_faster",
    ),
    (
        r"early income|money (?:fast|quickly|soon|now)|earn(?:ing)? (?:fast|quickly|soon|now|early|right away)|income (?:fast|quickly|soon|now)|quick (?:money|income|wins)|paid (?:fast|quickly|soon)|need (?:money|income|to earn)",
        "pref",
        "early_income",
    ),
    (
        r"delayed reward|can wait|long[- ]term|long game|patient with (?:money|income)|don'?t mind waiting|happy to wait|compounding|\bsavings\b|lean years|\brunway\b|(?:fine|ok|okay|happy) with (?:little|low|no|less) (?:money|pay|income)|builds? into something",
        "pref",
        "delayed_rewards",
    ),
    (r"visible impact|see (?:the )?(?:results|impact)|visible results|see my work|tangible", "pref", "visible_impact"),
    (r"\bat scale\b|\bscale\b|millions of", "pref", "scale"),
    (
        r"\bspeed\b|\bfast[- ]paced\b|move fast|moving fast|quick results|just enough to ship|ship (?:\w+ )?(?:fast|quickly)",
        "pref",
        "speed",
    ),
    (
        r"\b(?:not|never|isn'?t|aren'?t|am not)\s+(?:\w+\s+)?patient\b|\bimpatien|\bno patience\b|\black(?:s|ing)? patience",
        "pref",
        "speed",
    ),
    (
        r"\bpatient\b|\bpatience\b|(?:fine|happy|ok|okay|comfortable|don'?t mind) (?:\w+ ){0,2}(?:debugging|being stuck|sitting with|not knowing)",
        "pref",
        "patience",
    ),
]
_KIND_FIELD = {"q1": "right_once_or_repeatedly", "q2": "energy_from", "q3": "when_stuck"}
# A phrase a negation governs says the opposite, or nothing ("doesn't care about quick money", "not in it for
# quick money"): the negation, then only words of wanting or caring ("don't like meetings and need money fast" wants it).
NEGATED = re.compile(
    r"\b(?:not|never|no|don'?t|doesn'?t|didn'?t|isn'?t|won'?t|hardly)"
    r"(?:\s+(?:really|even|much|that|too|care|cares|about|want|wants|need|needs|in|it|for|into|after|chasing|looking|bothered|fussed|worried|interested|interest|a|hurry))+\s*$"
    r"|\b(?:not|never|no|without|don'?t|doesn'?t|didn'?t)\s*$"  # "... not going super deep", "no depth": the bare word too ("isn't elegant still bothers me" is a flag)
)
NEGATION_REACH = 60  # characters: the longest run of such words
# "I'd rather try five things than sit reading papers", "I like variety much more than going deep": the part
# after "than" is what they would not do ("more than once", "more than 3 years" compare nothing).
RATHER_THAN = re.compile(r"(\brather\b[^.;!?]*?|\b(?:like|love|prefer|enjoy)\w*\b[^.;!?]*?\bmore\b[^.;!?]*?)\bthan\b[^.,;!?]*")


@lru_cache(maxsize=1)
def _compiled() -> list[tuple[re.Pattern[str], str, str]]:
    return [(re.compile(p), kind, key) for p, kind, key in _TEXT_SIGNALS]


def answers_from_text(text: str) -> FitAnswers:
    """Map a free-text self-description onto the framework's answers ("I'm patient and like depth")."""
    t = RATHER_THAN.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))), text.lower().replace("’", "'"))
    said = t  # a negation is looked for in the words as said, before matched phrases are blanked
    found = FitAnswers()
    taken: set[str] = set()
    unless_said: str | None = None
    for rx, kind, key in _compiled():
        m = rx.search(t)
        if not m:
            continue
        # A phrase is evidence for one signal only: "I don't like deep work" is not also "likes deep work".
        t = t[: m.start()] + " " * (m.end() - m.start()) + t[m.end() :]
        if kind == "none" or NEGATED.search(said[max(0, m.start() - NEGATION_REACH) : m.start()]):
            continue  # "he doesn't care about quick money" wants no early income
        if kind == "q3_unless_said":
            unless_said = key
        elif kind in _KIND_FIELD:
            field = _KIND_FIELD[kind]
            if field not in taken:
                taken.add(field)
                setattr(found, field, key)
        elif kind == "flag":
            if key not in found.red_flags:
                found.red_flags.append(key)
        elif key not in found.preferences:
            found.preferences.append(key)
    if unless_said is not None and found.when_stuck is None:
        found.when_stuck = unless_said  # type: ignore[assignment]
    return found


def has_signals(answers: FitAnswers) -> bool:
    return bool(
        answers.right_once_or_repeatedly or answers.energy_from or answers.when_stuck or answers.red_flags or answers.preferences
    )


def score_text(text: str, facts: FactSheet | None = None) -> FitResult | None:
    """A fit result for a self-description, or None when it says nothing the framework uses."""
    answers = answers_from_text(text)
    return score_fit(answers, facts) if has_signals(answers) else None


def fit_by_example(path: str, facts: FactSheet | None = None) -> FitResult:
    """A recommendation from the people a self-description reads most like, when the framework's
    sums find nothing to score: one point, behind the article's own "Choose ... if you want" line."""
    facts = facts or bundled_facts()
    quote = facts.recommendations[path].text
    reason = Reason(
        signal="similar_profile",
        answer=f"what you describe reads like the people the article sends to {PATH_LABEL[path]}",
        path=path,
        points=SIGNAL_POINTS,
        quote=quote,
    )
    scores = {"engineering": 0.0, "automation": 0.0, path: SIGNAL_POINTS}
    return FitResult(
        recommended=path,
        scores=scores,
        reasons=[reason],
        margin=MARGIN,
        caveat=f"Tell me more (what recharges you, what you do when stuck) for a firmer answer. Whichever you choose, the article's hard advice is to {facts.commitment.text}.",
    )
