"""Reading a message with the conversation: what it asks, of which path and period.

What is exact is read by pattern: numbers, periods and money units, the careers' names,
injection, code help, product choice, other careers, a bare greeting. What a message means —
its topic, whether it asks for a fit, is off-topic, or only points back at the last answer —
is read by example: the labelled messages of the question bank nearest to it (see
``knowledge/bank.py``), with a margin, and with the conversation so far.

``Reader.read`` is a short pipeline: exact refusals → the asking parts of the message → each
part voted on by its nearest examples → follow-ups resolved against the last turn → a fit
from everything the person said of themselves → the passages to answer from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from pathwise.agent.fit import (
    OTHER,
    PREFERENCES,
    QUESTION_ANSWERS,
    RATHER_THAN,
    RED_FLAGS,
    FitAnswers,
    answers_from_text,
    fit_by_example,
    has_signals,
    score_fit,
)
from pathwise.agent.models import FitResult
from pathwise.agent.sessions import SessionState
from pathwise.knowledge.lexical import gloss, hinglish, sentences, tokenize, unabbreviated

if TYPE_CHECKING:
    from pathwise.knowledge.bank import Example
    from pathwise.knowledge.base import KnowledgeBase
    from pathwise.knowledge.types import Hit

# -- exact patterns ---------------------------------------------------------------------------
INJECTION = re.compile(
    r"ignore (?:all |any |the |your |previous |prior |above )*(?:rules|instructions|prompts?|guidelines)|"
    r"(?:ignore|forget|override|bypass) (?:\w+ ){0,4}?(?:your|the|my|all|previous|prior) (?:rules|instructions|prompts?|guidelines)\b|"
    r"you(?:'re| are) (?:now )?(?:an? )?(?:unrestricted|unfiltered|uncensored|jailbroken)\b|"
    r"disregard (?:all |any |the |your |previous |prior )*(?:rules|instructions|guidelines)|"
    r"(?:system|hidden|initial|original) (?:prompt|instructions|message)|reveal (?:your |the )?(?:prompt|instructions|rules)|"
    r"print (?:your |the )?(?:prompt|instructions)|jailbreak|developer mode|\bdan\b|you are now|act as (?!an? (?:ai engineer|automation))|"
    r"pretend (?:to be|you)|other (?:users?|people)'?s? (?:conversations?|chats?|messages|history)|"
    # Someone else's conversation, not "different customers' problems".
    r"(?:previous|another|other|last|different) (?:user|person|session|customer)'?s?'? "
    r"(?:conversations?|chats?|messages?|history|questions?|sessions?|data|asked|said|typed|wrote)\b|"
    r"(?:what|who) did the (?:previous|last|other) (?:user|person|customer)|someone else'?s|"
    r"everything above|above this line|repeat (?:the |your )?(?:text|words|instructions) above|"
    r"(?:show|give|tell) me (?:another|other) (?:user|person|session)"
)
# How a request opens: "can u ...", "help me ...", "please ...", or the verb first.
REQUEST = r"(?:^|\b(?:can|could|would|will) (?:you|u) (?:please |pls |plz )?|\bhelp me (?:to )?|\b(?:please|pls|plz) )"
# A request to write or fix code: pathwise advises on careers, it is not a coding assistant.
CODE_HELP = re.compile(
    REQUEST + r"(?:debug|fix|write|review|refactor|optimi[sz]e|correct)\b(?:\W+\w+){0,4}?\W+"
    r"(?:code|function|script|program|snippet|bug|error|exception|regex|query|class|method|loop|stack ?trace|sql|formula|macro)s?\b|"
    # A spreadsheet formula or its error: "=VLOOKUP(A2,Sheet2!A:C,3,FALSE) shows #N/A".
    r"=\s*[a-z]+\([^)]*[,:!][^)]*\)|#(?:n/a|value!|ref!|div/0!|name\?)|"
    r"\btraceback \(most recent|\b(?:typeerror|syntaxerror|nameerror|valueerror|keyerror|indexerror|attributeerror|"
    r"nullpointerexception|segmentation fault)\b"
)
# A request to write something else for the person (an email, a post): pathwise is not a writing assistant.
# Asked as a request ("can you draft...", "please write..."); Hinglish puts the verb last: "reminder email likh do".
WRITING_HELP = re.compile(
    REQUEST
    + r"(?:write|draft|compose)\b(?:\W+\w+){0,5}?\W+(?:e-?mails?|mails?|letters?|messages?|essays?|posts?|tweets?|captions?|"
    r"poems?|speech(?:es)?|reminders?|repl(?:y|ies)|headlines?|ad copy|ads|slogans?|taglines?|inmails?|dms?|cover letters?)\b|"
    r"\b(?:e-?mail|mail|letter|message|reminder|post)\b(?:\W+\w+){0,2}?\W+likh\s*(?:do|de|dijiye|dena|ke do)\b"
)
# "btw unrelated, ...", "off topic but ...": the person opens by saying the message is not about the
# conversation ("does an unrelated degree hurt?" says no such thing).
ASIDE = re.compile(
    r"^\W*(?:\w+\W+){0,3}?"  # "haha sorry, unrelated -", "side question, totally unrelated:"
    r"(?:(?:unrelated|off[- ]?(?:the )?topic|random|totally different)(?: (?:thing|question|q|note|query|topic|one))?|"
    r"side (?:question|note|q|thing)|(?:another|a different) note|different (?:topic|question)|change of (?:topic|subject)|"
    r"chang(?:e|ing) (?:the )?(?:topic|subject))"
    r"(?: while i(?:'ve| have) (?:got )?you)?"  # "side question while I have you:"
    r"(?:\s*[,:;.!\-–—]|\s+but\b)"
)
# Which product to buy or use is not a career question, however much it mentions AI.
PRODUCT_CHOICE = re.compile(
    r"\b(?:which|what(?:'?s| is)?(?: the)?|best) (?:\w+ ){0,2}(?:llms?|chatbots?|laptops?|gpus?|ides?)\b|"
    r"\b(?:which|best|better)\b.{0,60}\b(?:claude|chatgpt|gpt|gemini|llama|copilot|cursor)\b"
)
# "Nvidia stock will double this year. Should I buy now?": what to do with one's savings is no subject of the article.
INVESTING = re.compile(
    r"\b(?:stocks?|shares|mutual funds?|crypto|bitcoin|nifty|sensex|ipo)\b.{0,60}\b(?:buy|sell|invest|double|returns?)\b"
    r"|\b(?:buy|sell|invest in)\b.{0,30}\b(?:stocks?|shares|crypto|bitcoin|mutual funds?)\b"
)
# "whats a good habit tracker app?": a product to pick, when no path is named ("what apps do automation people use?" is in scope).
GADGETS = re.compile(
    r"\b(?:which|what(?:'?s| is)?|best|good) (?:\w+ ){0,4}(?:apps?|phones?|monitors?|headphones?)\b"
    r"|\bany (?:\w+ ){0,2}apps? (?:you'?d|you would|you) (?:suggest|recommend)\b"
    r"|\bwhich (?:one |of (?:them|the two) )?(?:should|do|would|to) (?:(?:i|you|he|she|we|they) )?buy\b"  # "which one should he buy?"
    r"|\b(?:should|whether|if) (?:i|you|he|she|we|they) (?:should )?buy (?:a|an|the|some|new|one)\b(?! (?:\w+ )?(?:course|bootcamp|certification))"  # "whether she should buy a MacBook"
)
MAKING = re.compile(r"\b(?:build|make|create|develop|ship|code)\b")  # "what apps could I build?" is about the work
OTHER_CAREERS = re.compile(
    r"\b(doctor|nurse|nursing|lawyer|pilot|chef|teacher|accountant|accountancy|architect(?:ure)? firm|dentist|plumber|electrician|"
    r"actor|musician|pharmacist|banker|police|soldier|farmer|data scien(?:ce|tists?)|data analysts?|"
    r"(?:web|game|ios|android|mobile|frontend|front-end|backend|back-end|full[- ]?stack) (?:developers?|devs?|engineers?)|"
    r"(?:civil|mechanical|electrical|software|backend|back-end|frontend|front-end|full[- ]?stack|devops|data|cloud|network|qa|test) engineers?|"
    r"graphic designers?|cyber ?security(?: analysts?)?|security analysts?|ux designers?|product designers?|"
    r"product managers?|pm interviews?|"
    r"prompt engineer(?:s|ing)?|"
    r"mba|upsc|ias|civil services|cat (?:prep|exam)|gate exam|chartered accountan(?:t|cy)|government jobs?|sarkari|bank po|mbbs|law school|"
    # Entrance and licensing exams, by name: "is Kota needed for JEE Mains?"
    r"(?:iit[- ])?jee (?:mains?|advanced|exam|coaching|prep|preparation)|neet|ssc(?: cgl| chsl)?|clat|"
    r"ca (?:foundation|inter|intermediate|final|exams?)|ielts|toefl|gre|gmat)s?\b"
)
GREETING = re.compile(
    r"^(hi|hello|hey|hiya|yo|namaste|good (?:morning|afternoon|evening))\b[\s!.,?]*(?:there|pathwise)?[\s!.,?]*$"
)
ENGINEERING = re.compile(
    r"\bai engineer|\bml engineer|machine learning engineer|\bengineer(?:s|ing)?\b|\bengg\b|\b(?:ai|ml) eng\b|\bml\b|machine learning|model builder"
)
ENGINEERING_TOOLS = re.compile(r"pytorch|tensorflow|backprop|transformers? from scratch")  # name the path, when nothing else does
AUTOMATION = re.compile(r"automat|no[- ]code|zapier|\bzaps?\b|n8n|workflow (?:builder|person|people)|make\.com")
# "each path", "for each" name both; "in one line each" does not
BOTH = re.compile(
    r"\bboth\b|(?<!line )(?<!lines )(?<!sentence )(?<!word )(?<!words )(?<!point )(?<!bullet )\beach\b|\bcompare|comparison|versus|\bvs\.?\b|difference|differ|two paths|either|which (?:one |path )?(?:pays|earns|is)|"
    r"\b(?:easier|harder|better|worse|more|less|faster|slower|safer)\b[^.?!]{0,40}\bthan\b"
)
# "and the automation route, does that stack up too?", "what's the equivalent for them?": the last
# question, asked of the other path. "Too" and "also" point back only beside a word that refers back.
# "and the other one, same time frame?": the last question again, over the same stretch of time.
SAME = re.compile(
    r"\b(?:the same|same (?:\w+ )?(?:for|with|there|thing|in|on)|equivalent|counterpart"
    r"|same (?:time ?frame|timeline|time|period|stage|stretch|phase|duration|years?|months?))\b"
)
ALSO = re.compile(r"\b(?:too|also|as well|similar(?:ly)?|likewise)\b")
REFERS_BACK = re.compile(r"\b(?:that|this|it|those|they|theirs)\b")
TOO = re.compile(r"\b(?:too|as well)\b")
OTHER_PATH = re.compile(r"\bother (?:one|path|side|role|career|track|column)\b|the opposite|the alternative|\bvice versa\b")
# "Is that normal, and what pays better?": a second question joined to the first. An auxiliary
# opens one only before its subject: "and is that steady?" asks, "and do a bit of both?" does not.
SUBJECT = r"(?:i|you|we|they|he|she|it|that|this|these|those|there|the|my|your|our|their|people|most|ai|ml|automation)"
JOINED_QUESTION = re.compile(
    r",?\s+(?:and|also|plus|&)\s+"
    rf"(?=(?:what|what's|whats|how|when|which|why|who|where|kya|kaunsa|kitna)\b|"
    rf"(?:is|are|do|does|did|can|could|should|will|would)\s+{SUBJECT}\b)"
)
# "1) what range should I be in, 2) does it get easier?": questions numbered in one sentence.
NUMBERED = re.compile(r"(?:^|(?<=[\s,;:]))\(?([1-5])[).](?=\s+[^\W\d])")
# "how do ppl get past it or is that just where they quit": a second question, the other way round;
# read as one only in a message that asks nothing else ("does it get easier or is it always this grind?
# and what does automation build?" asks two).
ALTERNATIVE = re.compile(rf",?\s+or\s+(?=(?:is|are|do|does|did|can|could|should|will|would)\s+{SUBJECT}\b)")
WHY = re.compile(r"\bwhy\b|how come|what causes|what's the reason|\bkyun\b")
# "so which one do I commit to?", "which path should I go for?": a choice between the paths, by its grammar.
PICKS = re.compile(
    r"\bwhich (?:one|path|way|side|of (?:them|the two|these(?: two)?))(?: should| do| would| will| can| shall)? (?:i|we) "
    r"(?:go|pick|choose|commit|opt|follow|stick)(?: (?:for|with|to|into))?\s*(?:[?.!]|$)"
)
# One thing the choice is weighed on ("all I care about is steady income", "if I only care about salary after 4
# years"): the paths compared on it, not the person's fit.
CRITERION = re.compile(
    r"(?:\b(?:all|the only thing|only thing) (?:i|we|he|she|they) (?:really |truly )?cares? about (?:is|are) "
    r"|\b(?:i|we|he|she|they) (?:only|just|mainly|mostly) cares? (?:about|for) "
    r"|\b(?:my|our|his|her|their) (?:only|one|main|top|biggest) (?:priority|concern|criterion) (?:is|was) "
    r"|\b(?:purely|only|just|solely) (?:in terms of|on (?:the basis of )?|for|by) (?=(?:the )?(?:money|pay|salary|income|earnings|stability|burnout|stress|growth|security|demand)\b))"
    r"([^.?!;]{3,80}?)(?=\s*(?:[.?!;]|,\s*(?:which|what|how|so|then|should|would|is|does|do|can)\b|$))"
)
CHOICE_ASKED = re.compile(r"\bwhich\b|\bbetter\b|\bfits?\b|\bsuits?\b|\bchoose\b|\bpick\b|\bgo for\b|\bshould (?:i|we|he|she)\b")
WHY_FIRST = re.compile(
    r"\W*(?:(?:but|so|and|ok|okay|then|toh|hmm+)\W+)*(?:why|how come)\b(?! (?:don'?t|won'?t|can'?t|wouldn'?t|not just) you)"
)
PATH_WORDS = frozenset(
    tokenize(
        "ai ml engineer engineers engineering automation specialist specialists folks people ppl guys side path track route role"
    )
)
# Words that only point back, acknowledge or ask for more, and the units of a stretch of time.
POINTERS = frozenset(
    tokenize(
        "ok okay cool nice great thanks alright hmm so and but also what about how for then tho though instead same "
        "month months year years yr yrs from up to till until "
        "they them their theirs one ones folks people ppl guys person side"  # "and the automation folks, where's theirs from?"
    )
)
# Words that ask about a thing without naming it: "what kind of stuff breaks exactly?" names only "breaks".
META = frozenset(
    tokenize(
        "kind sort type stuff thing things exactly mean means meant explain mention mentioned said say says saying "
        "talk talking part bit example examples detail details actually really like lol tho though whole bro yaar "
        "describe tell elaborate expand simple words plain terms english layman"
    )
)
QUOTED = re.compile(r"(?<![A-Za-z])['\"‘“]([^'\"’”]{3,60})['\"’”](?![A-Za-z])")  # not the ' of "don't"
MARKUP = re.compile(r"<[^>]*>|https?://\S+")
# "after like a year", "like months 6 to 18": a hedge before a stretch of time says nothing of its own.
HEDGE = re.compile(
    r"\b(?:like|about|around|roughly|maybe|say|approx(?:imately)?|i mean|as in)\s+"
    r"(?=(?:(?:after|before|by|in|at|within|past|over)\s+)?(?:(?:an?|one|months?|years?|yrs?)\b|\d))"
)
# "say i push through the burnout, what does the money look like after 3 yrs?": the clause before the
# question supposes, the question asks. Grammar, not subject: any supposition before any question word.
SUPPOSING = re.compile(
    r"^((?:(?:ok|okay|so|and|but)\W+)*(?:say|suppose|supposing|assuming|let'?s say)\b[^,?]{3,100}),\s*"
    r"(?=(?:so\s+|then\s+)?(?:what|how|when|which|who|why|where|is|are|do|does|will|would|can|could|should)\b)",
    re.IGNORECASE,
)
# A question that only asks whether what was just said holds, or is wise ("true?", "is that right?",
# "sach me?", "good strategy?", "is it worth it?"): it asks about the sentence before it.
_FILLER = (
    r"(?:so|and|but|ok|okay|is|it|that|this|thats|that's|its|it's|a|an|the|kya|hai|ye|yeh|ah|na|or|not|no|me|mein|"
    r"bro|yaar|tbh|aano|he|she|his|her|my|here|there|now|then|exactly|actually|please|pls)"
)
_VERDICT = (
    r"(?:true|right|correct|really|real|accurate|legit|sach|sahi|fact|myth|good|bad|smart|wise|fine|worth|strategy|"
    r"plan|idea|move|galat|theek|thik|sensible)"
)
# "a friend said the market is a 'barbell' now. what does that even mean": the meaning of what was just said.
_MEANING = r"(?:what does (?:that|this|it) (?:even |actually |really |exactly )?mean|what do you mean|meaning|matlab|means what)"
CONFIRMING = re.compile(
    rf"^(?:{_FILLER}\b[\s,.!?]*)*(?:{_VERDICT}|{_MEANING})\b[\s,.!?]*(?:(?:{_FILLER}|{_VERDICT})\b[\s,.!?]*)*$"
)
# "who is each path best suited for according to that table?" asks the article, not for a fit.
ASKS_THE_ARTICLE = re.compile(
    r"\b(?:according to|the article|the table|per the|each (?:path|one|side|career)|both (?:paths|careers))\b"
    r"|\b(?:that|the|this) (?:\w+ ){0,4}(?:line|analogy|metaphor|comparison)\b"  # "the surgeon and doctor line, what point is it making?"
)
# "was it engineering where you struggle if ...?", "wasn't the barbell about automation?": which path is what is
# asked, the path named only a guess to check; the article's answer, of whichever path, is the reply.
WHICH_PATH_WAS_IT = re.compile(
    r"\b(?:was|wasn'?t|is|isn'?t) (?:it|that) (?:the |for )?(?:ai |ml )?(?:engineering|engineers?|automation|ml)\b"
    r"[^?]*?\b(?:where|that|who|which|when|whose)\b"
    r"|\bwasn'?t (?:the |that )?(?:\w+ ){1,3}(?:about|for|on|in) (?:the )?(?:ai |ml )?(?:engineering|engineers?|automation|ml)\b"
)
_HOW_LONG = r"\bhow (?:long|soon|quickly|many (?:months|years))\b"
DURATION = re.compile(rf"{_HOW_LONG}|\bwhen\b")
# A question of when, not "when" opening a clause of time ("what do I make when I start?").
ASKS_WHEN = re.compile(rf"{_HOW_LONG}|\bwhen (?:do|does|did|will|would|can|could|is|are|should)\b")
YES_NO = re.compile(r"^(?:(?:so|and|but|ok|okay|then|also|well)\W+)*(?:is|are|does|do|did|will|would|can|could|has|have)\b")
BARE_RANGE = re.compile(r"\b(\d{1,2})\s*(?:-|–|/|to)\s*(\d{1,2})\b")  # "at 18-24", "the 8/14 thing"
# A question of who: "who quits?", "what kind of person does that drain the most?", "kis type ke bande ko?"
ASKS_WHO = re.compile(
    r"^(?:(?:so|and|but|ok|okay|then|nice|hmm|also)\W+)*(?:who\b|whom\b)"
    r"|\b(?:what|which) (?:kind|sort|type|types|kinds) of (?:person|people|folks?|guys?|bande|log)\b"
    r"|\bkis (?:type|tarah|kism) ke (?:bande|log|logo)\b"
)
THEY = re.compile(r"\b(?:they|them|their|theirs)\b")
THAT_PATH = re.compile(
    r"\b(?:that|this|the same|uss?) (?:route|path|side|track|career|road|direction|line)\b"
    r"|\b(?:go|going|goes|take|taking|pick|picking|choose|choosing|head|heading)\s+(?:down\s+)?(?:that|this) way\b"
)
# "is that better than both?" sets something just told against the two paths ("harder than my job" does not).
COMPARES_BACK = re.compile(
    r"\b(?:that|this|it)\b[^.?!]*\b(?:better|worse|safer|easier|harder)\s+than\s+(?:both|either|these|those|them|the two)\b"
    r"|\b(?:that|this|it)\s+(?:vs|versus)\s+(?:both|either|these|those|them|the two)\b"
)
POINTS_BACK = re.compile(r"\b(?:it|its|it's|that|this|these|those|they|them|their|there)\b")
COMPARING = re.compile(r"\bwhich of (?:them|those|the two)\b|\bthem both\b|\beither\b|\bcompare|\bvs\b|\bversus\b")
FIRST_PERSON = re.compile(r"\b(i|i'm|im|i am|i've|ive|me|my|myself)\b")
ASKING_ME = re.compile(r"\b(?:tell|show|give|help|let|explain to|remind|walk) me\b")  # "tell me more about ...": a request


# A sentence that opens like a question asks one, with or without its "?": "is this a known phase or is it just me".
# A question word opens one unless a statement about the writer follows ("What I love most is ..."); an
# auxiliary only before its subject ("Would rather build one thing well" and "Can't stand calls" tell).
QUESTION_OPENING = re.compile(
    r"^(?:(?:so|and|but|ok|okay|then|also|well|btw|haha|lol|ugh|hmm)\W+)*"
    r"(?:(?:what|what's|whats|wat|wats|which|how|how's|hows|why|where|who)(?!\s+(?:i|i'm|im|my|we|things|something)\b)|"
    r"when(?=\s+(?:do|does|did|is|are|will|would|can|should)\b)|"  # "when the client calls I lose it" tells
    rf"(?:is|are|am|do|does|did|can|could|should|would|will)(?!')\s+(?:{SUBJECT}|u|ur|a|an)\b|"
    r"kya|kaunsa|kaise|kitna|kab|kyun)\b"
)


# A question word then its auxiliary before the subject, anywhere in a sentence: "ok so if i go that route
# what should i be learning" asks; "what I love is ..." does not invert.
INVERTED = re.compile(
    r"\b(?:what|wat|which|how|why|where|when|who)\b(?:\s+\w+)?\s+(?:should|shall|can|could|do|does|did|would|will)\s+"
    r"(?:i|you|u|we|they|he|she|it|one|people|ppl)\b"
)
# Hinglish asks at a sentence's end ("4 saal ke baad kitna", "sahi hai kya"), glossed to English words by then.
QUESTION_CLOSING = re.compile(r"\b(?:how much|how many|what|why)\W*$")


def _asks(text: str) -> bool:
    """Whether a part of a message asks by its grammar, for ``parse_period``: "I'm 3 years in" tells,
    "if i go that route what should i earn in year 2" asks (``asking_parts`` reads form by example)."""
    return any(s.endswith("?") or QUESTION_OPENING.match(s.lower()) or INVERTED.search(s.lower()) for s in sentences(text))


def _of_self(text: str) -> bool:
    """Whether a message speaks of the person writing it ("I get bored fast"), not only asks them something."""
    return FIRST_PERSON.search(ASKING_ME.sub(" ", text.lower())) is not None


NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "eighteen": 18,
    "twenty": 20,
    "thirty": 30,
    "thirty-six": 36,
    "forty-eight": 48,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "a": 1,
    "an": 1,
    "half": 0.5,
}
_NUM = r"(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen|twenty|thirty|thirty-six|forty-eight|a|an|half)"
_ORD = r"((?<![\d.])\d+(?:st|nd|rd|th)?|first|second|third|fourth|fifth|sixth)"

Period = tuple[int, int | None]  # months [from, to); to None = open-ended
_ORDINAL = r"((?<![\d.])\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth)"  # an ordinal, never a bare number
_UNTIL = r"\s*(?:-|to|and|through|till|until)\s*(?:the\s+)?"
# Whole years named at both ends, a year word at one end at least: "year two to year four",
# "the second year to the fourth", "the 2nd to 4th year" ("the 5 to 10 hours" is none).
YEAR_SPANS = (
    re.compile(rf"\byear\s+{_NUM}{_UNTIL}(?:year\s+)?{_NUM}\b(?!\s*months?)"),
    re.compile(rf"\b{_ORDINAL}\s+year{_UNTIL}{_ORDINAL}\b"),
    re.compile(rf"\b{_ORDINAL}{_UNTIL}{_ORDINAL}\s+years?\b"),
)


def _n(word: str) -> float:
    word = re.sub(r"(st|nd|rd|th)$", "", word) if word[0].isdigit() else word
    return float(word) if word[0].isdigit() else float(NUMBER_WORDS[word])


# Where a message asks of a second stretch of time: "between 18 and 36 months, and after 3 years?"
SECOND_PERIOD = re.compile(
    r"\s*[,;]\s*|\s+\+\s+|\s+(?:and|or|&)\s+(?=(?:then\s+|also\s+|(?:what|how much)\s+(?:about\s+)?)?"
    r"(?:after|before|beyond|past|in|by|during|from|over|the|year|month|yr|first|second|third|fourth|fifth|\d+(?:st|nd|rd|th)\b))"
)


def parse_period(text: str, *, vague: bool = True) -> Period | None:
    """The stretch of a career a message is about, in months ("second year" -> 12-24); two
    stretches asked together ("months 6-18 and after 4 years") are read as the span of both.

    ``vague`` also reads words that name no number ("starting out" -> 0-6, "senior" -> 48+).
    """
    # "I'm 3 years into teaching, ..." is the writer's story, not a stretch of the career asked about.
    asked = [part for part in SECOND_PERIOD.split(text) if not (FIRST_PERSON.search(part.lower()) and not _asks(part))]
    found = {p for p in (_one_period(part, vague=False) for part in asked) if p is not None}
    if len(found) == 1 and len(asked) >= 2 and AFTERWARDS.search(asked[-1].lower()):
        found.add((max(p[1] or p[0] for p in found), None))  # "from 18 months to 3 years, and after that?"
    if len(found) >= 2:
        return min(p[0] for p in found), None if any(p[1] is None for p in found) else max(p[1] or 0 for p in found)
    return _one_period(text, vague=vague)


def _one_period(text: str, *, vague: bool = True) -> Period | None:
    """One stretch of time, as ``parse_period`` reads it."""
    t = text.lower().replace("–", "-").replace("—", "-")
    t = re.sub(r"(?<=\d)\s*(?:yrs?|yr|saal)\b|\byrs?\b", " years", t)  # "4+ yrs in"
    t = re.sub(r"\b(?:mos|mths?)\b", "months", t)
    t = re.sub(r"\bfirst year and a half\b", "first 18 months", t)
    t = re.sub(  # "a year and a half", "two and a half years", "half a year": months
        rf"(?<![\w.]){_NUM}\s+(?:years?\s+and\s+a\s+half|and\s+a\s+half\s+years?)\b",
        lambda m: f"{int((_n(m[1]) + 0.5) * 12)} months",
        t,
    )
    t = re.sub(r"\bhalf\s+a\s+year\b", "6 months", t)
    t = re.sub(r"\bafter (?:that|this) (first|1st)\b", r"after the \1", t)  # "after that first year"
    # "i teach tuition since 8 years", "for the past 3 years": how long the writer has done something else
    t = re.sub(rf"\b(?:since|for the (?:past|last))\s+{_NUM}\s+(?:years?|months?)\b", " ", t)
    t = re.sub(rf"\b{_NUM}[\s-]+years?[\s-]+old\b|\baged?\s+{_NUM}\b", " ", t)  # "for a 30 year old": an age
    # "6 months to 18 months": one unit for the range
    t = re.sub(r"(?<![\w.])(\d+)\s+months?(?=\s*(?:-|to|and|through|till|until)\s*\d+\s+months?\b)", r"\1", t)
    t = re.sub(r"\b(months?\s+\d+\s*(?:-|to|and|till|until)\s*)months?\s+(?=\d)", r"\1", t)  # "month 6 to month 18"
    t = re.sub(r"\b(\w+)[- ]year mark\b", r"\1 years", t)  # "past the four-year mark"
    t = re.sub(r"\b(?:a\s+)?couple\s+(?:of\s+)?", "two ", t)  # "the first couple of years"
    m = re.search(rf"(?<![\w.]){_NUM}\s+months?\s*(?:-|(?:up\s*)?to|and|through|till|until)\s*{_NUM}\s+years?\b", t)
    if m and _n(m.group(2)) * 12 > _n(m.group(1)):
        return int(_n(m.group(1))), int(_n(m.group(2)) * 12)  # "18 months to 3 years in"
    if m := re.search(rf"months?\s+{_NUM}\s*(?:-|to|and)\s*{_NUM}\b", t) or re.search(  # "months six to eighteen" too
        rf"(?<![\w.]){_NUM}\s*(?:-|to|and|through)\s*{_NUM}\s+months?\b", t
    ):
        return int(_n(m.group(1))), int(_n(m.group(2)))
    if m := re.search(
        rf"(?:over|during|in|within|for|across)\s+(?:the\s+)?(?:first|initial|opening)\s+{_NUM}\s+(years?|months?)", t
    ):
        n = _n(m.group(1))  # "over the first 18 months" is that stretch, not what comes after it
        return 0, int(n * 12 if m.group(2).startswith("year") else n)
    if m := re.search(rf"(?:between\s+)?(?:years?\s+)?{_NUM}\s*(?:-|to|and|through)\s*{_NUM}\s+years?", t) or re.search(
        rf"years?\s+{_NUM}\s*(?:-|to|and|through)\s*{_NUM}", t
    ):
        a, b = _n(m.group(1)), _n(m.group(2))
        # "years 2-3" are months 12-36; "1.5-2 years" months 18-24
        return int((a - 1) * 12 if a == int(a) else a * 12) if a >= 1 else 0, int(b * 12)
    for span in YEAR_SPANS:  # "from year two to year four": the second year's start to the fourth's end
        if (m := span.search(t)) and _n(m.group(2)) > _n(m.group(1)):
            return int(max(0, _n(m.group(1)) - 1) * 12), int(_n(m.group(2)) * 12)
    t = HEDGE.sub("", t)
    # "after 1 year or 2 years": the two points in time, and what lies between them
    if m := re.search(
        rf"(after|at|by|in)\s+{_NUM}\s+(years?|months?)\s+or\s+(?:(?:after|at|by|in)\s+)?{_NUM}\s+(years?|months?)", t
    ):
        ends = sorted(int(_n(n) * 12 if unit.startswith("year") else _n(n)) for n, unit in (m.group(2, 3), m.group(4, 5)))
        return ends[0], None if m.group(1) == "after" else ends[1]
    if m := re.search(
        rf"(?:after|beyond|past|more than|over|once (?:i've|you've|i have|you have) (?:done|had|spent))\s+(?:the\s+|those\s+|these\s+)?(?:first\s+)?{_NUM}\s+(years?|months?)",
        t,
    ) or re.search(
        rf"\b{_NUM}\s*\+\s*(years?|months?)|\b{_NUM}\s+(years?|months?)\s+(?:in|into|plus|or more|and beyond|onwards?)\b", t
    ):
        number, unit = [g for g in m.groups() if g is not None][:2]
        n = _n(number)
        return int(n * 12 if unit.startswith("year") else n), None
    if m := re.search(rf"(?:after|beyond|past)\s+(?:the\s+)?(?:{_ORD}\s+year|year\s+{_NUM}\b)", t):  # "past year 3"
        return int(_n(m.group(1) or m.group(2)) * 12), None
    if m := re.search(rf"(?:first|initial|opening)\s+{_NUM}\s+(years?|months?)", t):
        n = _n(m.group(1))
        return 0, int(n * 12 if m.group(2).startswith("year") else n)
    if m := re.search(rf"{_ORD}\s+year|year\s+{_ORD}|year\s+{_NUM}\b", t):
        n = int(_n(m.group(1) or m.group(2) or m.group(3)))
        return (n - 1) * 12, n * 12
    if m := re.search(
        rf"(?:in|within|by|over|for|during)\s+(?:the\s+)?(?:first\s+)?{_NUM}\s+(years?|months?)",
        t,
    ):
        n = _n(m.group(1))
        months = int(n * 12 if m.group(2).startswith("year") else n)
        return max(0, months - 1), months + 1
    if m := re.search(rf"\b(?:after|beyond|past)\s+month\s+{_NUM}\b", t):  # "after month 30"
        return int(_n(m.group(1))), None
    if m := re.search(rf"\bmonth\s+{_NUM}\b", t):  # "I'm at month 30": the months around it
        n = int(_n(m.group(1)))
        return max(0, n - 1), n + 1
    if not vague:
        return None
    if re.search(
        r"\b(start|starting|beginning|initially|right away|at first|early|sooner|quicker|first few months|day one|newbie|fresher)\b",
        t,
    ):
        return 0, 6
    if re.search(r"\b(long[- ]term|long run|eventually|later on|senior|experienced|peak|ceiling|top end|max(?:imum)?)\b", t):
        return 48, None
    return None


# "and after that?", "then what?": what came next, in time or in the story the last answer told.
AFTERWARDS = re.compile(
    r"\b(after that|year after|next year|the next|afterwards|then what|what happened next|after this|uske baad|baad mein)\b"
    r"|(?:^\W*|\b(?:and|n|&) )then\W*$"  # "and then?" on its own, not "I learned Python and then switched"
)
# "and then what happened?" asks how the story the last answer told goes on, not of the next year.
HAPPENED = re.compile(r"\bhappened\b")
# "... after that project?" asks what happened next to something the last answer told of, not of the next year.
AFTER_A_THING = re.compile(r"\bafter (?:that|this|the) (?:first |1st )?([a-z]+)((?: [a-z]+){0,2})")
TIME_UNITS = frozenset(tokenize("month months year years yr yrs period phase stage point stretch time"))
SINCE = frozenset(tokenize("after past beyond"))  # "and what after 4 years?" names a stretch of time and nothing else
# A message opening like this goes on with the conversation: "and the automation crowd past year 3?".
CONTINUES = re.compile(r"^(?:(?:ok|okay|hmm|so|right)\W+)?(?:and|what about|how about|n)\b")
BEFORE = re.compile(r"\b(before that|year before|earlier|before this|pehle)\b")


def shift_period(period: Period | None, text: str) -> Period | None:
    """ "And the year after?" / "and before that?": the stretch next to the last one asked about."""
    if period is None:
        return None
    t = text.lower()
    start, end = period
    if AFTERWARDS.search(t):
        return (end, end + 12) if end is not None else (start, None)
    if BEFORE.search(t):
        return (max(0, start - 12), start)
    return None


# "i meant the automation ones, not ai engg": the path set aside by "not" is not the one asked of.
NOT_BEFORE = re.compile(
    r"(?<!why )(?<!if )\bnot (?:the |for (?:the )?)?(?:ai |ml )?$"
)  # "why not automation?" is no setting aside


def _unnegated(t: str, pattern: re.Pattern[str]) -> bool:
    return any(NOT_BEFORE.search(t[: m.start()]) is None for m in pattern.finditer(t))


# "does it get easier every year, like engineering does?": the path a question measures by is not the one it asks of.
MEASURED_BY = re.compile(
    r"\b(?:like|the way)\s+(?:in\s+)?(?:(?:ai|ml)\s+)?(?:engineering|engineers?|automation(?:\s+specialists?)?)\s+(?:does|do|did)\b"
)


ASKS_OF_IT = re.compile(r"\b(?:does|do|is|will|did) (?:it|this|that)\b")


def detect_path(text: str) -> str | None:
    t = OTHER_CAREERS.sub(" ", text.lower())
    rest = MEASURED_BY.sub(" ", t)  # "does automation get easier, like engineering does?" asks of automation
    t = rest if ASKS_OF_IT.search(t) or ENGINEERING.search(rest) or AUTOMATION.search(rest) else t
    eng, auto = bool(ENGINEERING.search(t)), bool(AUTOMATION.search(t))
    if eng and auto and not BOTH.search(t):
        eng, auto = _unnegated(t, ENGINEERING), _unnegated(t, AUTOMATION)
    eng = eng or (not auto and bool(ENGINEERING_TOOLS.search(t)))
    if BOTH.search(t) or (eng and auto):
        return "both"
    return "engineering" if eng else "automation" if auto else None


# "which path suits me?", "which of the two should I pick?": a choice between the article's paths
# ("MBA or UPSC, which one should I pick?" is a choice between others).
CHOOSES_A_PATH = re.compile(r"\bwhich (?:path|of (?:the|these) (?:two|paths))\b")
TABLE_WORDS = re.compile(r"\b(?:row|rows|table|column|columns|chart|comparison)\b")
# A request asks as a question does: "Kindly tell me what is required to get in. Will that exclude her?" asks two.
ASKED_FOR = re.compile(
    r"^(?:(?:so|ok|okay|and|but|now|also|understood|alright)\W+)*(?:(?:please|pls|plz|kindly)\s+)?"
    r"(?:(?:can|could|would) (?:you|u) (?:please |pls |kindly )?)?(?:tell|explain|describe|walk|show) me\b"
)


class Asked(NamedTuple):
    questions: list[str]
    story: str
    asks: bool  # whether anything asks; without, the last sentence stands for the question


# Where a run-on sentence's clauses part: "i fix bikes, like how much i can earn" asks from its second clause.
CLAUSE_EDGE = re.compile(r"\s*[,;:]\s+|\s+[-–—]\s+|\s+(?=(?:so|but|tbh|toh)\s)", re.IGNORECASE)
FORM_MIN = 0.2  # a clause the form model scores above this asks; held out, ask 0.80 / tell 0.95 (docs/evaluation.md)
LEAD_WORDS = 3  # clauses told before a sentence's question this long are its story


def _marked(sentence: str) -> bool:
    """Whether a sentence is marked as asking: a "?", a request ("tell me ..."), a question word last
    ("... 3 saal ke baad kitna", glossed to "how much")."""
    return sentence.endswith("?") or bool(ASKED_FOR.match(sentence.lower()) or QUESTION_CLOSING.search(sentence.lower()))


def asking_start(sentence: str, form: Callable[[str], float]) -> int | None:
    """Where a sentence's question starts: at its first clause the form model reads as asking."""
    edges = list(CLAUSE_EDGE.finditer(sentence))
    starts = [0, *(m.end() for m in edges)]
    ends = [*(m.start() for m in edges), len(sentence)]
    return next((a for a, b in zip(starts, ends, strict=True) if form(sentence[a:b]) > FORM_MIN), None)


def asking_parts(text: str, form: Callable[[str], float] | None = None) -> Asked:
    """The questions a message asks, and the story told before them.

    A sentence asks when it is marked as asking (``_marked``); in a message with no marked
    sentence, when ``form`` reads one of its clauses as asking, and the clauses told before that
    one are story. Questions are split again where a second question is joined to the first
    ("is that normal, and what pays better?"). Without one, the last sentence stands for the question.
    """
    parts: list[str] = []
    asked: list[str] = []
    every = sentences(text)
    # Someone who marks one question ("?", "tell me ...", a Hindi question word last) marks each: the rest tells.
    marked = [_marked(s) for s in every]
    for sentence, is_marked in zip(every, marked, strict=True):
        start = asking_start(sentence, form) if form and not any(marked) else 0 if is_marked else None
        if start is None:
            parts.append(sentence)
            continue
        lead, question = sentence[:start].strip(" ,;:-–—"), sentence[start:]
        # "my son's code throws an error, how do i fix it": a question pointing back at the clause before is one with it
        if len(lead.split()) < LEAD_WORDS or POINTS_BACK.search(question.lower()):
            lead, question = "", sentence
        parts.extend(p for p in (lead, question) if p)
        asked.append(question)
    asks = bool(asked)
    asked = asked or parts[-1:]
    # "a senior told me automation people crash around year 2. true?": a bare "true?" asks about the claim before it.
    if len(asked) == 1 and CONFIRMING.match(asked[0].lower()) and parts.index(asked[0]) > 0:
        at = parts.index(asked[0])
        claim = parts[at - 1]
        parts = [*parts[: at - 1], f"{claim} {asked[0]}", *parts[at + 1 :]]
        asked = [parts[at - 1]]
    story = " ".join(p for p in parts if p not in asked and not _puts_a_figure_on(p, parts, asked))
    # "and after that? like 2-3 yrs in, what's normal": a sentence after a question that only puts a figure on it is part of it
    asked = [
        f"{q} {parts[at + 1]}" if at + 1 < len(parts) and _puts_a_figure_on(parts[at + 1], parts, asked) else q
        for q, at in ((q, parts.index(q)) for q in asked)
    ]
    split: list[str] = []
    for question in (q for numbered in asked for q in _numbered(numbered)):
        # "..., and why?" asks a second question in a word.
        split.extend(q.strip(" ,") for q in JOINED_QUESTION.split(question) if len(q.split()) >= 2 or WHY.search(q.lower()))
    if len(split) == 1:
        split = [q.strip(" ,") for q in ALTERNATIVE.split(split[0]) if len(q.split()) >= 2]
    return Asked(split or asked, story, asks)


WHICH = re.compile(r"\bwhich\b")
# "does the article talk about this?", "what does it say on that?": the article asked of the story, nothing more
ON_IT = re.compile(
    r"\b(?:article|author|piece|it|you)\s+(?:talk|say|cover|mention|discuss|address|speak)\w*\s+(?:\w+\s+)?(?:this|that)\b"
)
PERSON = re.compile(
    r"\b(?:friend|cousin|brother|sister|colleague|uncle|aunt|son|daughter|boss|manager|wife|husband|mom|dad|father|mother"
    r"|roommate|senior|junior|classmate|neighbou?r|someone|somebody)s?\b"
)
STORY_WORDS = 6  # a story this long before a question that only points at something is what it points at


def _tells_enough(story: str) -> bool:
    """Whether a story says enough for a short question after it to be about it."""
    return len([t for t in tokenize(story.lower()) if t not in POINTERS]) >= STORY_WORDS


def _asks_of_the_story(q: str, story: str, own: Vote) -> bool:
    """Whether a question only asks whether the article covers the story told just before it ("does
    the article talk about this?"); "is that good money?" after a story asks a question of its own."""
    return _tells_enough(story) and not own.asks_fit and WHICH.search(q) is None and ON_IT.search(q) is not None


TOLD = re.compile(r"\b(?:that|this)\b")
# "is ML bad for that?", "would that be a problem in automation?", "does AE reward that?": a trait weighed against a path
WEIGHED = re.compile(
    r"\b(?:bad|good|great|okay|ok)\b[^.?!]{0,12}\b(?:for|in|at|there)\b|\ban? (?:problem|issue|dealbreaker|deal breaker|red flag)\b"
    r"|\b(?:hurt|harm|reward|rewards|rewarded|suit|suits|fit|fits|help|helps|count|counts|matter|matters|work against)\b"
)
TOLD_QUESTION_WORDS = 12  # "is ML bad for that?", "does AE reward that or nah": short, and pointing at what was told


def _asks_of_the_told(q: str, story: str) -> bool:
    """Whether a short question weighs what the story before it told ("is that a problem in automation?")."""
    return (
        _tells_enough(story)
        and WHICH.search(q) is None  # "so which one is that?" after a self-description asks for a path
        and TOLD.search(q) is not None
        and WEIGHED.search(q) is not None
        and len(q.split()) <= TOLD_QUESTION_WORDS
    )


def _numbered(question: str) -> list[str]:
    """A sentence's numbered questions; what opens the list ("Kindly clarify two points:") asks nothing itself.
    A list counts from 1: "paid from month 3. Is that right?" numbers nothing."""
    if [m.group(1) for m in NUMBERED.finditer(question)][:2] != ["1", "2"]:
        return [question]
    pieces = [p for p in NUMBERED.split(question) if p.strip()]
    return pieces[1:] if len(pieces) > 1 and pieces[0].rstrip().endswith(":") else pieces


def _puts_a_figure_on(part: str, parts: list[str], asked: list[str]) -> bool:
    """Whether ``part`` follows a question with nothing between and opens on a hedged figure ("like 2-3 yrs in")."""
    at = parts.index(part)
    return part not in asked and at > 0 and parts[at - 1] in asked and HEDGE.match(part.lower()) is not None


# -- reading by example -----------------------------------------------------------------------
NEIGHBOURS = 16
# Softmax temperature of the vote over the nearest examples: an example 0.1 further away than the
# nearest weighs e⁻¹ as much. Calibrated with the lexical scale below on the bank itself, each
# question read without its own line (topic accuracy 0.61 at 0.03 and 0.2, 0.67 here).
TEMPERATURE = 0.1
# What the conversation was about counts as if its examples were this much closer (a prior:
# conversations go on).
CONTINUITY_COSINE = 0.06
CONTINUITY = math.exp(CONTINUITY_COSINE / TEMPERATURE)
OFFTOPIC_TEMPERATURE = 0.03  # declining is decided by the nearest examples alone
CONFIDENT = 0.62  # an example this close says what the message asks, on its own
TOPIC_MIN = 0.5  # below this, a message's nearest examples say little of its own subject
OFFTOPIC_SHARE = 0.6  # share of the vote off-topic examples need before a message is declined
OFFTOPIC_AGREED = 0.5  # ...or this share, with the classifier as sure
SHORT_FOLLOW_UP = 8  # words: a message this short is read with the conversation before its own far examples
OFFTOPIC_HEARD = 0.05  # the classifier declines alone only where the nearest examples give an aside this share
FIT_SHARE = 0.5
# A bare ask for a recommendation this close, and nearer by the margin than any other example, asks one:
# "is that the sort of problem an automation specialist deals with?" is as near one as a question, and
# "so what careers does that thinking lead into?" only a little nearer.
ASK_MIN = 0.6
ASK_MARGIN = 0.08
TIMED_TOPICS = ("income", "burnout")  # subjects the article gives by stretch of time
DECISIVE = 0.6  # a follow-up whose examples give this share of the vote to one subject asks about that subject
AGREED_SHARE = 0.45  # ...or this share, when the bank classifier reads the same subject
UNDECIDED = 0.25  # below this share of the vote, the winning subject is a guess
NO_PASSAGE = 0.25  # below this cosine to every passage and example, nothing in the article is close
FAR_PASSAGE = 0.3  # a message this far from every passage...
FAR_EXAMPLE = 0.42  # ...and from every labelled message is about something else
FAR_AGREED = 0.5  # ...unless this share of its examples, however far, agree on one of the article's subjects
# Mid-conversation, a message that far is a terse follow-up ("why then?") unless this share of its
# words are ones the article and the bank never use ("any good biryani spots in Hyderabad?").
ASIDE_UNKNOWN = 1 / 3
ANY_UNKNOWN = 0.01  # a share that any one unheard-of word reaches
UNHEARD_WORDS = 4  # a message with this many words, most of them unheard of, is an aside wherever it comes
KIND_MIN = 0.4  # a follow-up example this close says what kind of follow-up a message is (0.5 missed "push through")
KIND_NEIGHBOURS = 5
LEAD_POOL = 80  # nearest examples a follow-up's leads are chosen among
LEADS = 3
FOUND = 3  # the best passages a message's search found, whose topics vote
FOUND_FLOOR = 0.3  # a passage this far from a message says nothing of its topic; twice as close, all it can
LEXICAL_FULL = 12.0  # BM25 score (rarity-weighted shared words) at which the lexical view counts fully
STORY_AGREES = 0.35  # share of a story's vote its subject needs before a short question after it asks of that
STORY_WEIGHT = 0.5  # the story before a question, beside the question alone
CLASSIFIER_WEIGHT = 1.0  # the bank classifier's reading, beside the nearest examples' (knowledge/retrieval.py)
# A lexical match's share of the best one's, scaled to cosine-like spreads for the vote's softmax.
LEXICAL_SCALE = 0.4
ROUTES = ("offtopic", "fit", "followup", "greeting")


@dataclass
class Vote:
    """What the nearest examples say of one piece of text."""

    label: str | None = None  # a topic, or a route: offtopic | fit | followup | greeting
    score: float = 0.0  # the nearest example's cosine
    share: float = 0.0  # the winning label's share of the vote
    kind: str | None = None  # the nearest winning example's sub-kind ("why", "other_career", ...)
    topic: str | None = None  # the best topic among the voters, whatever won
    topic_score: float = 0.0  # the nearest example of that topic
    path: str | None = None  # the winning examples' path, when they agree
    back: float = 0.0  # share of the vote from examples that only make sense after an answer
    offtopic: float = 0.0  # off-topic examples' share of the vote without the conversation's prior
    classified_offtopic: float = 0.0  # the bank classifier's probability that the text is off-topic
    paths: dict[str, float] = field(default_factory=dict)  # a fit's vote by path, from fit examples
    chooses: float = 0.0  # the bank classifier's probability that the text asks which path to choose
    classified: str | None = None  # the bank classifier's likeliest label, routes included
    asks_fit: bool = False  # nearer a bare ask for a recommendation ("so where do I fit?") than any other example

    @property
    def is_topic(self) -> bool:
        return self.label is not None and self.label not in ROUTES


def vote(
    *views: list[tuple[Example, float]],
    prior: str | None = None,
    found: dict[str, float] | None = None,
    classified: dict[str, float] | None = None,
    weights: list[float] | None = None,
    dense: int | None = None,
) -> Vote:
    """A softmax-weighted vote of the examples nearest one or more readings of a message (the
    question alone; the question with its story), each reading's votes summing to one;
    ``prior``, the conversation's topic, weighs more. ``found``: the topics of the passages a
    search for the message found, one more reading's worth of votes (or less, as the caller
    weighs it). ``classified``: the bank classifier's probabilities, one more reading's worth.
    ``weights``: how much each view counts, one by default. Off-topic is judged on
    the first ``dense`` views alone (meaning, not shared words: small talk shares words by chance)."""
    scores: dict[str, float] = dict(found or {})
    for label, p in (classified or {}).items():
        if label not in ROUTES:  # a topic: whether a message is an aside, a fit or a follow-up is the nearest examples' call
            scores[label] = scores.get(label, 0.0) + CLASSIFIER_WEIGHT * p
    nearest: dict[str, tuple[Example, float]] = {}
    back = 0.0
    offtopic = plain_total = 0.0
    paths: dict[str, float] = {}
    best_of_all = 0.0
    for n, neighbours in enumerate(views):
        if not neighbours:
            continue
        view_weight = weights[n] if weights else 1.0
        best = neighbours[0][1]
        best_of_all = max(best_of_all, best)
        plain = [math.exp((s - best) / TEMPERATURE) for _, s in neighbours]
        shares = [w * (CONTINUITY if prior and e.label == prior else 1.0) for (e, _), w in zip(neighbours, plain)]
        total = sum(shares)
        if dense is None or n < dense:
            sharp = [math.exp((s - best) / OFFTOPIC_TEMPERATURE) for _, s in neighbours]
            offtopic += view_weight * sum(w for (e, _), w in zip(neighbours, sharp) if e.route == "offtopic") / sum(sharp)
            plain_total += view_weight
        for (e, s), w in zip(neighbours, shares):
            w *= view_weight / total
            scores[e.label] = scores.get(e.label, 0.0) + w
            if e.label not in nearest or s > nearest[e.label][1]:
                nearest[e.label] = (e, s)
            if e.followup or e.route == "followup":
                back += w
            if e.route == "fit" and e.path:
                paths[e.path] = paths.get(e.path, 0.0) + w
    if not scores:
        return Vote()
    total = sum(scores.values())
    label = max(scores, key=lambda k: scores[k])
    topics = [k for k in scores if k not in ROUTES]
    topic = max(topics, key=lambda k: scores[k]) if topics else None
    winner = nearest.get(label, (None, 0.0))[0]
    return Vote(
        label=label,
        score=best_of_all,
        share=scores[label] / total,
        kind=winner.kind if winner else None,
        topic=topic,
        topic_score=nearest.get(topic or "", (None, 0.0))[1],
        path=winner.path if winner and winner.path in ("engineering", "automation", "both") else None,
        back=back / total,
        offtopic=offtopic / plain_total if plain_total else 0.0,
        classified_offtopic=(classified or {}).get("offtopic", 0.0),
        chooses=sum((classified or {}).get(label, 0.0) for label in ("fit", *CHOICE_TOPICS)),
        classified=max(classified, key=lambda k: classified[k]) if classified else None,
        paths=paths,
    )


class Ballot(NamedTuple):
    """A message's vote, the vector and hits it was taken on, and the same ballots counted under another prior."""

    vote: Vote
    vector: Any
    hits: list[Hit]
    recount: Callable[[str | None], Vote]


@dataclass
class Plan:
    """What one message (or one question of it) asks, and what to answer it from."""

    text: str
    intent: str  # answer | followup | fit | offtopic | injection | greeting | silent
    topic: str | None = None
    path: str | None = None
    period: Period | None = None
    followup: bool = False
    kind: str | None = None  # a follow-up's kind: why | how_past | normal | more | other_path | period | who | check | ack
    fit: FitResult | None = None
    query: str = ""  # the question in its standalone form: what to search for
    hits: list[Hit] = field(default_factory=list)
    carried: list[str] = field(default_factory=list)  # passages the last answer cited (a follow-up's context)
    leads: list[str] = field(default_factory=list)  # passages the bank's nearest questions on the subject point at
    said: str = ""  # the last answer, which a follow-up should not repeat
    echoed: list[str] = field(default_factory=list)  # the last answer's words a follow-up picks up ("what breaks exactly?")
    story: str = ""  # what a follow-up told before its question ("Regarding your second question: she loves variety.")
    parts: list[Plan] = field(default_factory=list)  # a message's two questions, or the question of fact beside a fit
    vote: Vote = field(default_factory=Vote)
    vector: Any = None  # the embedding of ``query``, reused by its search
    own_vector: Any = None  # the embedding of the question alone

    @property
    def asks_why(self) -> bool:
        return self.kind == "why"


class Reader:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._traits: dict[str, str | None] = {}  # clause -> its trait, read once per process

    @staticmethod
    def is_injection(text: str) -> bool:
        return INJECTION.search(text.lower().replace("’", "'")) is not None

    def read(self, text: str, state: SessionState, *, search: bool = True) -> Plan:
        text = unabbreviated(text, letters=gloss(text) == text)
        person = _named_for(text, state)
        text = _named_as_him(text, person)
        glossed = gloss(text)
        # Glossed Hinglish every word of which the article's world knows: far from every passage only by its word order.
        hinglish = glossed != text and not self._unheard_of(glossed, ANY_UNKNOWN, least=1)
        text = self.kb.respelled(glossed, keep=_hinglish_words())
        t = text.lower().replace("’", "'")
        if self.is_injection(text):
            return Plan(text=text, intent="injection")
        if GREETING.match(t.strip()):
            return Plan(text=text, intent="greeting")
        if (
            CODE_HELP.search(t)
            or WRITING_HELP.search(t)
            or PRODUCT_CHOICE.search(t)
            or (INVESTING.search(t) and detect_path(t) is None)
            or (GADGETS.search(t) and detect_path(t) is None and not MAKING.search(t))
        ):
            return Plan(text=text, intent="offtopic")
        questions, story, asks = asking_parts(text, self.kb.asks)
        if ASKS_FOR_ANOTHER.search(t):  # "which path should he take?" asks what "which path should i take?" does, of him
            questions = [_in_first_person(q) for q in questions]
        asked_text = " ".join(questions).lower().replace("’", "'")
        # "is data science better than both?" names neither path; "I'm a teacher. Which of these pays sooner?" is a story.
        # "why does the article bring up surgeons?" asks the article about its own comparison.
        # "thinking of data analyst as a third option. is that better than both?": "that" is the career just told of.
        if COMPARES_BACK.search(asked_text) and not (ENGINEERING.search(asked_text) or AUTOMATION.search(asked_text)):
            asked_text = f"{story.lower()} {asked_text}"
        # "as an accountant, which path suits me?" asks of the two paths: another career there is the writer's background.
        if (
            OTHER_CAREERS.search(asked_text)
            and detect_path(t) not in ("engineering", "automation")
            and not ASKS_THE_ARTICLE.search(t)
            and not CHOOSES_A_PATH.search(asked_text)
        ):
            return Plan(text=text, intent="offtopic")
        if not questions:
            return Plan(text=text, intent="greeting")
        if ASIDE.search(t):  # read as the first message of a conversation: no follow-up, no earlier self-description
            state = SessionState()
            rest = ASIDE.sub(" ", t)  # said to be unrelated, it is taken at its word unless plainly about the paths
            if detect_path(rest) is None and (self._unheard_of(rest, ASIDE_UNKNOWN) or not self._on_a_subject(rest)):
                return Plan(text=text, intent="offtopic")
        prior = state.topic if state.topic != "fit" else None
        asked = _two_asked(_clarified(questions))
        weighed = _criterion(t) if CHOICE_ASKED.search(asked_text) else None
        # "my biggest concern is that I'm impatient", "I'm patient. my main concern is burnout, which suits me?": a
        # self-description asks for a fit, whatever else weighs.
        if weighed is not None and not FIRST_PERSON.search(weighed) and not has_signals(self.profile([_without_criterion(text)])):
            # "Suppose all I care about is steady income. Which of the two fits that better?" compares the paths on it,
            # over the stretch of time it names ("purely in terms of pay, which is better in year 2?").
            story = _without_criterion(story)
            period = parse_period(t, vague=False)
            asked = [f"{weighed}{_period_words(period)}: AI engineering or automation?"]
        # A path or stretch of time one question names holds for the others ("How does automation
        # compare over the first 18 months? What does it pay?"), before the conversation's.
        plans = [
            self._read_question(q, story, state, prior, search, siblings=" ".join(o for o in asked if o != q), hinglish=hinglish)
            for q in asked
        ]
        for before, plan in zip(plans, plans[1:]):
            # "... from 18 months to 3 years, and what about after that?": the stretch after the one asked before
            if before.topic in TIMED_TOPICS and before.period is not None and parse_period(plan.text.lower()) is None:
                plan.period = shift_period(before.period, plan.text) or plan.period
        for plan in plans:
            # "the 8-14 month wall, what causes it?": the article gives that stretch as one path's burnout point
            if plan.topic == "burnout" and plan.path is None:
                spans = {plan.period} | {(int(a), int(b)) for a, b in BARE_RANGE.findall(plan.text)}
                named = [b.path for b in self.kb.facts.burnout if (b.months_from, b.months_to) in spans]
                plan.path = named[0] if len(named) == 1 else None
        # "how much in year 1? and in year 2?": the second asks the first of another stretch, not the last answer of it.
        if (
            len(plans) == 2
            and plans[0].intent in ("answer", "followup")
            and plans[1].kind in (None, "period", "other_path")
            and (
                not _says_more(asked[1])
                # "what's the pay in year one, and where does it end up long term?": "it" and a later stretch
                or (
                    plans[0].topic in TIMED_TOPICS
                    and plans[1].topic not in TIMED_TOPICS
                    and parse_period(asked[1].lower()) is not None  # its own stretch, not its sibling's
                    and POINTS_BACK.search(asked[1].lower())
                )
            )
        ):
            plans[1] = _of_sibling(plans[0], plans[1])
        elif (
            len(plans) == 2 and plans[0].intent in ("answer", "followup") and plans[1].kind == "why" and not _says_more(asked[1])
        ):
            # "when do they burn out, and why?": one question, with its cause; "wait, really? why is that?" asks the cause
            plans = [replace(plans[0], kind="why" if plans[0].kind in (None, "more", "check") else plans[0].kind)]
        statement = not asks
        # "should I put my savings in index funds or wait?" is a choice, but not of the paths.
        declined = not statement and all(p.intent == "offtopic" for p in plans)
        bare = _bare(plans)
        # "is ML bad for that?" after a trait asks of the trait, not for a path.
        asks_of_traits = all(p.kind == "trait" for p in plans)
        fit = None if declined or asks_of_traits else self._fit(text, state, plans, statement, bare, person)
        if fit is not None:
            # "I need praise to keep going. which traits sink engineers?" asks a fact too: both are answered.
            fit.parts = [] if statement or bare else [p for p in plans if _asks_a_fact(p)][:1]
            if search:
                for plan in fit.parts:
                    self._search(plan)
            return fit
        answered = [p for p in plans if p.intent in ("answer", "followup")]
        if len(answered) == 2 and answered[0].topic == answered[1].topic and (restated := _restated(answered)) is not None:
            # "and the stuck one? when stuck, what do people do on each side?": the fuller one asks both.
            answered = [restated]
        if len(answered) == 2 and (
            # "why right around then? what actually goes wrong?": the second asks the first again, in words of its own
            (answered[0].followup and not answered[1].followup and _restates(answered[1], answered[0]))
            or len({(p.topic, p.kind, p.path, p.period) for p in answered}) == 1
        ):
            # One question asked twice over ("... of ML, and of automation?" is two): the second's words still count.
            answered[0].query = f"{answered[0].query} {answered[1].text}"
            answered = answered[:1]
        if len(answered) == 2:
            if search:
                for plan in answered:
                    self._search(plan)
            first = answered[0]
            return Plan(
                text=text,
                intent="compound",
                topic=first.topic,
                path=first.path,
                period=first.period,
                followup=first.followup,
                kind=first.kind,
                parts=answered,
                query=" ".join(p.query for p in answered),
                hits=first.hits,
                vote=first.vote,
            )
        plan = answered[0] if answered else plans[0]
        if plan.intent == "answer" and not plan.followup and self._unheard_of(plan.query or plan.text):  # with its story
            return Plan(text=text, intent="silent")
        if search and plan.intent in ("answer", "followup"):
            self._search(plan)
            if not plan.topic and not plan.followup and self._nothing_close(plan):
                return Plan(text=text, intent="offtopic", hits=plan.hits)
        return plan

    # -- steps ------------------------------------------------------------------------------
    def _vote(self, text: str, prior: str | None = None, context: str = "", search: bool = True, vector: Any = None) -> Ballot:
        """The vote on ``text`` alone, with a ``context`` (the story before a question) on both, and
        (with ``search``) on the topics of the passages a search for them finds; also the vector
        and hits it used, and a recount under another prior that embeds and searches nothing again.
        Without ``search`` (a model reads the passages) the store is not searched."""
        searched = f"{context} {text}" if context else text
        if context:
            vector, whole = self.kb.embed_many([text, searched])  # one model call
        else:
            vector = whole = self.kb.embed(text) if vector is None else vector
        views = [self.kb.neighbours(vector, NEIGHBOURS)]
        weights = [1.0]
        if context:  # the story says of what, the question what is asked: it counts for more
            views.append(self.kb.neighbours(whole, NEIGHBOURS))
            weights.append(STORY_WEIGHT)
        dense = len(views)  # off-topic is judged on the message's own meaning: small talk shares words by chance
        # The words too: "package" and "CTC" are salary words to the bank's examples, not to MiniLM;
        # a match on a word or two of small talk ("good", "take") says little, so it weighs less.
        for words, weight in ((text, 1.0), (searched, STORY_WEIGHT)) if context else ((text, 1.0),):
            lexical, strength = self.kb.lexical_neighbours(words, NEIGHBOURS)
            views.append([(e, LEXICAL_SCALE * r) for e, r in lexical])
            weights.append(weight * min(1.0, strength / LEXICAL_FULL))
        classified = self.kb.classify(vector)
        nearest = views[0][0][1] if views[0] else 0.0
        # "so where do I fit?" is a request by its nearest example, not by a vote: a vote would let it pull
        # "where can that take me later?" towards a fit.
        asks_fit = self.kb.asks_fit(vector) >= max(nearest + ASK_MARGIN, ASK_MIN)
        hits: list[Hit] = []
        found: dict[str, float] = {}
        if search:
            hits = self.kb.search(searched, 6, vector=whole, reading=True)
            # What the passages found are about, as far as they are close to the message at all.
            closest = max((h.similarity or 0.0) for h in hits) if hits else 0.0
            reach = min(1.0, max(0.0, (closest - FOUND_FLOOR) / FOUND_FLOOR))
            found = {t: w * reach for t, w in self.kb.passage_topics([h.id for h in hits[:FOUND]]).items()}

        def recount(prior: str | None) -> Vote:
            voted = vote(*views, prior=prior, found=found, classified=classified, weights=weights, dense=dense)
            return replace(voted, asks_fit=asks_fit)

        return Ballot(recount(prior), vector, hits, recount)

    def _read_question(
        self,
        question: str,
        story: str,
        state: SessionState,
        prior: str | None,
        search: bool = True,
        siblings: str = "",
        hinglish: bool = False,
    ) -> Plan:
        """One question of the message: read on its own (with the conversation's topic as a prior),
        then, when it says little by itself, with the story told before it or the last turn. Glossed
        Hinglish ("kis case mein kaunsa chunna chahiye?") reads to MiniLM as broken English, far from
        everything: being far alone does not make it an aside, its examples or unknown words must."""
        supposed = SUPPOSING.match(question)
        asked, said = (question[supposed.end() :], f"{story} {supposed.group(1)}".strip()) if supposed else (question, story)
        own, vector, hits, recount = self._vote(asked, prior, said, search)
        last = state.last_answered() if prior else None
        q = question.lower().replace("’", "'")
        around = f"{siblings} {story}".strip()
        named_path = detect_path(q) if not WHICH_PATH_WAS_IT.search(q) else "both"
        # "How does automation compare over 18 months? What does it pay?": the path its sibling names holds
        # where the question points at it; "what's the barbell thing? and is automation safer?" asks of its own.
        context = f"{siblings} {story}" if POINTS_BACK.search(q) or not _says_more(q) else story
        path = named_path or (detect_path(context) if context.strip() else None)
        # "and 4+ yrs in? automation ppl too": the figures of the other path beside the last one's
        # ("do they get replaced as well?" asks the same question of the other path alone).
        if named_path in ("engineering", "automation") and state.path == OTHER[named_path] and state.topic in TIMED_TOPICS:
            path = "both" if TOO.search(q) else path
        if (
            path is None
            and last is not None
            and (THEY.search(q) or THAT_PATH.search(q))
            and not COMPARING.search(q)  # "which of them pays more?" asks of both
            and state.path in ("engineering", "automation")
        ):
            path = state.path  # "and when do they burn out?", "if I go that route": the path the conversation was about
        # "I've savings for about 2 years. how long before ML pays?" asks when; the story's stretch is not the one asked of.
        # "when does it start paying?" asks when: "start" names no stretch of time there ("paid when starting out" does).
        asks_when = ASKS_WHEN.search(q) is not None
        if own.is_topic and own.topic not in TIMED_TOPICS and own.share < UNDECIDED and parse_period(q, vague=False):
            # "my friend says automation people crash around year two. true?": the examples scatter, but a stretch
            # of time is named; a subject the article tells by stretches of time wins if it is close behind.
            timed = [v for v in map(recount, TIMED_TOPICS) if v.label in TIMED_TOPICS]
            if timed:
                own = max(timed, key=lambda v: v.share)
        period = parse_period(q, vague=not asks_when) or (_period_around(siblings, story) if around and not asks_when else None)
        plan = Plan(
            text=question,
            intent="answer",
            path=path,
            period=period,
            vote=own,
            query=question,
            hits=hits,
            vector=vector,
            own_vector=vector,
        )
        if WHY.search(q):
            plan.kind = "why"

        # Off-topic is judged without the conversation's prior: an aside is an aside whatever came before.
        # "india vs aus tomorrow, who wins?" compares, but names neither path: it may still be an aside.
        named = named_path in ("engineering", "automation") or bool(ENGINEERING.search(q) or AUTOMATION.search(q))
        if (path is None or not named) and (
            own.offtopic >= OFFTOPIC_SHARE
            # the classifier alone does not outvote an example of the article's that says what is asked
            # (nor one whose nearest examples give an aside no say at all)
            or (own.classified_offtopic >= OFFTOPIC_SHARE and own.topic_score < CONFIDENT and own.offtopic >= OFFTOPIC_HEARD)
            # the nearest examples and the classifier each lean to an aside: together they are sure enough
            or min(own.offtopic, own.classified_offtopic) >= OFFTOPIC_AGREED
            # Mid-conversation (after a fit too) a far message is an aside only by its examples or its unknown words.
            or (
                _far(own, hits)
                and self._row_named(q) is None  # a row of the article's table, named by its label, is the article's
                # far, but its examples give an aside no say and agree on one of the article's subjects ("the row
                # about feedback"), or, mid-conversation, read it as a follow-up ("and for the other column?")
                and not (
                    own.offtopic < OFFTOPIC_HEARD
                    # (by its examples or by the classifier: "and then what, she's locked into it for life?")
                    and (
                        (own.is_topic and own.share >= FAR_AGREED)
                        or (bool(state.exchanges) and "followup" in (own.label, own.classified))
                    )
                )
                and (
                    (not state.exchanges and not hinglish)
                    # a plurality of aside examples, unless the classifier reads a follow-up it gives no aside a say in a
                    # message too short to say much of its own ("sounds too good. whats the catch" after the pay)
                    or (
                        own.label == "offtopic"
                        and not (
                            own.classified == "followup"
                            and own.classified_offtopic < OFFTOPIC_HEARD
                            and len(f"{story} {siblings} {question}".split()) <= SHORT_FOLLOW_UP  # the whole message
                        )
                    )
                    or self._unheard_of(question, ASIDE_UNKNOWN)
                )
            )
            # "is the new Maruti Swift worth it for city driving?": mostly words the article's world never uses
            or self._unheard_of(question, least=UNHEARD_WORDS)
        ):
            return Plan(text=question, intent="offtopic", vote=own, query=f"{story} {question}".strip())
        if own.label == "greeting" and (own.score >= CONFIDENT or last is not None):  # "how's your day been?" mid-conversation
            return Plan(text=question, intent="greeting" if not last else "offtopic", vote=own)
        if own.label == "fit":
            plan.topic = "suits"
            return plan

        echoed = _echoed(q, last.answer) if last is not None else []
        # "You mentioned a 'data wall'. What exactly is that?": a story about the last answer is no story of its own.
        echoed = echoed or (_echoed(story, last.answer) if last is not None and story and YOU_SAID.search(story.lower()) else [])
        if story and not echoed and _asks_of_the_told(q, story):
            # "I need people to say 'great job' or I lose steam. Is ML bad for that?": the trait told is what
            # is asked about, and the article's lines on it answer, of the path named or of both.
            traits = self.profile([story], another=not _of_self(story))
            if has_signals(traits):
                plan.kind, plan.fit, plan.query = "trait", score_fit(traits), f"{story} {question}"
                # what the conversation is then about: "what else makes people struggle there?" goes on from it
                plan.topic = "red_flags" if traits.red_flags else "framework"
                return plan
        told = self._told_of(story) if last is not None and story and not echoed else None
        if told is not None and self._told_of(question, vector) is None:
            # "A colleague says I overbuild. Is that going to hurt me?": "that" is the story just told, not the last
            # answer ("Now the automation side. What does it bring in?" asks a subject of its own).
            plan.topic = told
            plan.query = f"{story} {question}"
            return plan
        if (
            told is None
            and story
            and not echoed
            # told of someone ("My last hire quit ..."), not a subject set ("Now the automation route.")
            and (_of_self(story) or THIRD_PERSON.search(story.lower()) is not None or PERSON.search(story.lower()) is not None)
            and _asks_of_the_story(q, story, own)
        ):
            # "My last hire quit at month 10, felt invisible. Does the article talk about this?": "this" is
            # what was just told, not the last answer; the question says nothing of what, so the story alone is voted on.
            of_story = self._vote(story, None, "", False)[0]
            if of_story.is_topic:
                plan.topic = of_story.topic
                plan.query = f"{story} {question}"
                return plan
        if last is not None and (
            not _says_more(q)
            or bool(echoed)
            or own.label == "followup"
            or own.topic_score < TOPIC_MIN
            or bool(OTHER_PATH.search(q))
            or (own.back >= 0.5 and own.topic == prior)
            # "what gets engineers through it?": the classifier, trained on the follow-up bank too, reads it as one.
            or _read_as_follow_up(own)
            # "and the automation crowd past year 3?": the conversation goes on, of another path or stretch of time.
            or (CONTINUES.match(q) is not None and (_switches_path(path, state) or parse_period(q) is not None))
            or (_switches_path(path, state) and (_same_subject(own, prior) or _parallel(q)))
            or shift_period(_timed_period(state), q) is not None
            or AFTERWARDS.search(q) is not None
            or _points_at_said(q, last.answer)
            or point_in_last_answer(q) is not None
            # "regarding your second point, we get disturbed all day. what's the problem there?"
            or (bool(story) and point_in_last_answer(story.lower()) is not None)
        ):
            plan = self._follow_up(plan, q, own, vector, state, echoed)
            if story:  # "I'm 2 yrs in and fried. is that normal?" mid-conversation: the story still says of what
                plan.query = f"{story} {plan.query}"
                plan.story = story
            return plan

        if story:  # "feel fried. is that normal?": the story says of what
            plan.query = f"{story} {question}"
        plan.topic = own.topic
        plan.vote = own
        if plan.path is None and last is not None and state.path in OTHER and own.path == state.path and not COMPARING.search(q):
            # "ok so if i still wanna do it, what's worth learning?" after the ML market: the conversation's
            # path, where the question's own examples are of it too.
            plan.path = state.path
        return plan

    def _follow_up(self, plan: Plan, q: str, own: Vote, vector: Any, state: SessionState, echoed: list[str]) -> Plan:
        """A message that only makes sense after the last answer: the topic, path and period carry
        over unless it names its own; its kind says what it wants of the last answer. A message
        that picks up the last answer's words ("the small team you mentioned?") stays on its subject."""
        last = state.last_answered()
        assert last is not None
        plan.followup = True
        plan.intent = "followup"
        plan.said = last.answer
        plan.echoed = list(echoed)
        plan.carried = list(last.cited)
        kind = own.kind if own.label == "followup" else None
        if OTHER_PATH.search(q) and state.path in ("engineering", "automation"):
            plan.path, kind = OTHER[state.path], "other_path"
        elif plan.path and plan.path != state.path and kind not in ("why", "how_past", "normal", "who", "more"):
            # "and the ML folks?" asks the last answer of the other path; "what gets the ML folks
            # through it?" asks something more of it; "do automation folks get squeezed the same
            # way?" names a subject its examples do not agree on: the conversation's, of the other path.
            kind = (
                "other_path"
                if not _says_more(q) or (_switches_path(plan.path, state) and (_same_subject(own, state.topic) or _parallel(q)))
                else kind
            )
        goes_on = _after_a_thing(q, last.answer) or HAPPENED.search(q) is not None
        shifted = None if goes_on else shift_period(_timed_period(state), q)
        if shifted is not None and plan.period is not None and plan.period[0] >= shifted[0]:
            # "after that year what does it pay, and then in years 3-4?": the next stretch and the one named after it;
            # "and after that? like 2-3 yrs in": the stretch it names is the one asked
            parts = SECOND_PERIOD.split(q)
            named = [_one_period(p, vague=False) for p in parts]
            relative = [n for n, p in enumerate(parts) if AFTERWARDS.search(p) and named[n] is None]
            later = [n for n, period in enumerate(named) if period is not None]
            shifted = (shifted[0], plan.period[1]) if relative and later and relative[0] < later[0] else None
        if shifted is not None:
            plan.period, kind = shifted, "period"
        elif AFTERWARDS.search(q) and plan.period is None and (state.topic not in TIMED_TOPICS or goes_on):
            # "and after that first project?": the story goes on
            kind = "more"
        elif plan.period is not None and (kind is None or (state.topic in TIMED_TOPICS and kind in ("how_past", "more"))):
            kind = "period"  # "ok and once im past 4 yrs?" after the pay names a stretch of time: no "get past it"
        # "And AI engineers?", "and from 18 months to 3 years?": nothing asked but a path or a stretch
        # of time, so the subject carries over; a message with words of its own may change it.
        row = self._row_named(q)
        if row is not None:  # "and the last row, who is each one best suited for?": the row it names, by its label
            plan.topic = row
        elif (
            not _says_more(q)
            or (plan.echoed and own.topic_score < CONFIDENT)  # "the early income one, how early?" asks of income
            or (kind == "more" and AFTERWARDS.search(q) is not None)
            or (own.label == "followup" and own.topic_score < CONFIDENT)
            or (_read_as_follow_up(own) and own.share < DECISIVE)
            or (kind == "other_path" and (_same_subject(own, state.topic) or _parallel(q)))
            # "and months 6 to 18?" after the pay ("and the pay in year one?" after the wall names its own)
            or (kind == "period" and state.topic in TIMED_TOPICS and not _names_timed_topic(own, state.topic))
        ):
            plan.topic = state.topic
        else:
            # "and the burnout points from the same table?": no example is close, but nearly all of them say burnout.
            # The classifier and the nearest examples agreeing on another subject is a new subject too
            # (not the overview, where a vague message falls).
            agreed = own.topic != "overview" and _agreed(own, AGREED_SHARE)
            plan.topic = (
                own.topic if own.is_topic and (own.topic_score >= TOPIC_MIN or own.share >= DECISIVE or agreed) else state.topic
            )
        if plan.kind is None:
            asked = "why" if WHY.search(q) else "who" if ASKS_WHO.search(q) else None
            plan.kind = kind or asked or self._follow_up_kind(vector) or "more"
        if plan.kind in ("other_path", "period") or plan.topic != state.topic:
            plan.intent = "answer"  # the same kind of answer, of another path, stretch of time or subject
        plan.path = plan.path or state.path
        if plan.period is None and state.period is not None and plan.topic == state.topic:
            plan.period = _period_of(state)
        if plan.topic != state.topic:
            plan.query = plan.text
        elif not _says_more(q):  # "And AI engineers?" searches "how much do AI Engineers earn?"
            plan.query = _standalone(last.query or last.user, plan.path)
        elif plan.kind == "other_path":  # "do automation folks get squeezed the same way?": both, of that path
            plan.query = f"{_standalone(last.query or last.user, plan.path)} {plan.text}"
        else:
            plan.query = f"{last.query or last.user} {plan.text}"
        plan.leads = self._leads(vector, plan.topic, plan.carried)
        return plan

    def _follow_up_kind(self, vector: Any) -> str | None:
        """What a follow-up wants of the last answer, by the nearest follow-up examples that say so,
        when nothing else did: "ok and what does it take to push through that?" is near burnout
        questions, and nearest among follow-ups to the ones asking how people get past it."""
        # A path or a stretch of time is read from the words themselves; examples say what is asked of the answer.
        near = [
            (e, s)
            for e, s in self.kb.neighbours(vector, LEAD_POOL)
            if e.route == "followup" and e.kind and e.kind not in ("period", "other_path")
        ]
        if not near or near[0][1] < KIND_MIN:
            return None
        weights: dict[str, float] = {}
        for e, s in near[:KIND_NEIGHBOURS]:
            kind = e.kind or ""
            weights[kind] = weights.get(kind, 0.0) + math.exp((s - near[0][1]) / TEMPERATURE)
        return max(weights, key=lambda k: weights[k])

    def _leads(self, vector: Any, topic: str | None, carried: list[str]) -> list[str]:
        """The passages of the bank questions nearest a follow-up among those about the conversation's
        subject (its topic, or the last answer's passages and their neighbours): "what does it take
        to get through that?" after the wall at months 8-14 leads to "This takes patience ..."."""
        region = set(carried) | set(self.kb.adjacent(carried))
        near = [
            e
            for e, _ in self.kb.neighbours(vector, LEAD_POOL)
            if e.route == "question" and (e.topic == topic or region & set(e.passages))
        ]
        leads: list[str] = []
        for e in near[:LEADS]:
            leads.extend(p for p in e.passages[:2] if p not in leads)
        return leads

    def _fit(
        self, text: str, state: SessionState, plans: list[Plan], statement: bool, bare: bool, person: str | None = None
    ) -> Plan | None:
        """A recommendation when the person asks which path suits them, or describes themselves
        without asking anything; everything they said of themselves in the conversation counts
        (asked for ``person``, named earlier, what was said of them; in a chat two people share,
        what the writer said of themselves). (``read`` then attaches a question of fact asked beside it.)"""
        t = text.lower().replace("’", "'")
        # Reading traits costs a model call per message: only for a statement, or a question of choice.
        # "He's patient ... Which path should he pick for those months?": a choice by the classifier, the 18 months by examples.
        # "but why not both?" asks for a reason, not for a path ("which suits me, and why?" does).
        asking = [p for p in plans if not WHY_FIRST.match(p.text.lower())]
        # "and for Ishaan?" right after a fit for someone else asks his.
        again = person is not None and state.topic == "fit"
        choosing = again or any(
            p.topic in FIT_TOPICS or _asks_choice(p) or p.vote.chooses >= CHOOSES or PICKS.search(p.text.lower()) for p in asking
        )
        # "which path should he pick?": a parent asks for a son, and what they said of him counts.
        another = FOR_ANOTHER.search(t) is not None or any(FOR_ANOTHER.search(e.user.lower()) for e in state.exchanges)

        def described(message: str) -> bool:
            return _of_self(message) or (another and THIRD_PERSON.search(message.lower()) is not None)

        # "right once matlab?" after the framework's questions asks what the last answer's words mean: no self-description.
        echoing = [p.text for p in plans if p.echoed and p.text.rstrip().endswith("?")]
        said = " ".join(s for s in sentences(text) if s not in echoing) if echoing else text
        own = self.profile([said], another) if described(t) and (statement or choosing or bare) else FitAnswers()
        self_described = has_signals(own)
        told = [m for m in _said_of(person, [e.user for e in state.exchanges]) if described(m)]
        # "So which of the two is for me?" after describing oneself over earlier turns.
        # "Who is each path best suited for?" asks the article, whoever spoke of themselves before.
        of_paths = ASKS_THE_ARTICLE.search(t) is not None and not FIRST_PERSON.search(t)
        described_before = (
            bool(told)
            and not of_paths
            and (again or any(_asks_choice(p) for p in asking))
            and has_signals(self.profile(told, another))
        )
        asks = (
            any(p.vote.label == "fit" and p.vote.share >= FIT_SHARE for p in plans)
            or (self_described and choosing)
            or described_before
            or (bare and _signal_count(own) >= BARE_SIGNALS)
        )
        if not asks and not (statement and self_described):
            return None
        answers = self.profile([*told, text], another)
        if has_signals(answers):
            return Plan(text=text, intent="fit", topic="fit", path=detect_path(t), fit=score_fit(answers))
        paths = {k: v for p in plans for k, v in p.vote.paths.items()}
        if asks and paths:
            lead = max(paths, key=lambda k: paths[k])
            if paths[lead] >= FIT_AGREEMENT * sum(paths.values()):
                return Plan(text=text, intent="fit", topic="fit", fit=fit_by_example(lead))
        return None

    def profile(self, texts: list[str], another: bool = False) -> FitAnswers:
        """What the person said of themselves (or, asking for ``another``, of anyone), as the
        framework's answers: the fit reader's own phrasings, and each clause's trait (traits.jsonl)."""
        # 'recover energy from depth' in quotes is the article's; "what does it mean by the depth side?" asks of it.
        texts = [" ".join(_unquoted(s) for s in sentences(text) if not _asks_of_others(s, another)) for text in texts]
        if another:
            texts = [_in_first_person(text) for text in texts]
        parts = [c for text in texts for c in clauses(text) if another or not _of_others(c)]
        new = [c for c in dict.fromkeys(parts) if c not in self._traits]
        if new:  # a conversation's earlier clauses were read on their own turn
            for clause, vector in zip(new, self.kb.embed_many(new)):
                near = self.kb.neighbours(vector, 1, traits=True)
                self._traits[clause] = (
                    _trait(self.kb.classify(vector, traits=True, text=clause)) if near and near[0][1] >= TRAIT_MIN else None
                )
            while len(self._traits) > TRAIT_CACHE:
                self._traits.pop(next(iter(self._traits)))
        found = FitAnswers()
        for clause in parts:
            signal = self._traits.get(clause)
            if signal is not None:
                _add_signal(found, signal)
        patterned = answers_from_text(" . ".join(text if another else _of_the_writer(text) for text in texts))
        # The fit reader's phrasings know "rather ... than" and "... bores me"; examples fill what they miss.
        return FitAnswers(
            right_once_or_repeatedly=patterned.right_once_or_repeatedly or found.right_once_or_repeatedly,
            energy_from=patterned.energy_from or found.energy_from,
            when_stuck=patterned.when_stuck or found.when_stuck,
            red_flags=sorted(set(found.red_flags) | set(patterned.red_flags)),
            preferences=sorted(set(found.preferences) | set(patterned.preferences)),
        )

    def _row_named(self, q: str) -> str | None:
        """The subject of the article's table row a message names by its label ("best suited for",
        "the feedback loop row"): the topic the bank's questions on that row ask."""
        if not TABLE_WORDS.search(q):  # "best suited for someone with loans?" is English, not the row
            return None
        for row in self.kb.facts.table:
            if row.dimension.lower() in q:
                topics = self.kb.passage_topics([row.passage_id])
                return max(topics, key=lambda t: topics[t]) if topics else None
        return None

    def _told_of(self, story: str, vector: Any = None) -> str | None:
        """The article's subject a story before a question is about, when its nearest examples and the classifier agree on one."""
        told = self._vote(story, search=False, vector=vector)[0]
        agreed = told.is_topic and told.classified == told.label and told.share >= STORY_AGREES
        return told.label if agreed and told.topic_score >= TOPIC_MIN else None

    def _on_a_subject(self, text: str) -> bool:
        """Whether the nearest examples of a message agree it asks about one of the article's subjects."""
        own = self._vote(text, search=False)[0]
        # "Different topic. My intern hates context switching ... which path should she take?" asks for a fit.
        asks_fit = own.label == "fit" or own.asks_fit
        return (own.is_topic and own.topic_score >= CONFIDENT or asks_fit) and own.offtopic < OFFTOPIC_SHARE

    def _unheard_of(self, question: str, share: float = 2 / 3, least: int = 2) -> bool:
        """Whether ``share`` or more of the question's words (career names aside) are words neither
        the article nor the bank's examples ever use: "do AI engineers get health insurance?" is about
        something the article never mentions, however close MiniLM puts it to a passage."""
        # A Hinglish word ("right once matlab?") is the writer's language, not a subject the article lacks.
        words = [
            t
            for t in tokenize(MARKUP.sub(" ", question))
            if t not in PATH_WORDS and t not in POINTERS and t not in _hinglish_terms()
        ]
        return len(words) >= least and sum(1 for t in words if not self.kb.knows(t)) >= share * len(words) - 1e-9

    def _search(self, plan: Plan) -> None:
        """The passages to answer from: the standalone question with its topic's words, searched with
        the question's own vector (the words only steer the lexical side)."""
        if plan.query != plan.text:
            plan.vector = self.kb.embed(plan.query)
        plan.hits = self.kb.search(search_query(plan), 6, vector=plan.vector)

    def _nothing_close(self, plan: Plan) -> bool:
        best = max((h.similarity or 0.0) for h in plan.hits) if plan.hits else 0.0
        return best < NO_PASSAGE and plan.vote.score < NO_PASSAGE * 2


FIT_TOPICS = ("suits", "choose", "framework", "red_flags")
# A message its examples read as one of these asks a subject of its own, however much it sounds like a follow-up.
ASKS_CHOICE = ("fit", *FIT_TOPICS)
FIT_AGREEMENT = 0.7
CHOOSES = 0.4  # the classifier's probability of a choice (a fit, or which path) from which a question asks one
CHOICE_TOPICS = ("suits", "choose")  # asking which path, which a fit answers once the person has described themselves
TRAIT_CACHE = 10_000
TRAIT_MIN = 0.5  # a clause less like every labelled trait than this says nothing the framework uses
# A bare "so?" after this many things said of oneself asks which path: one could be small talk.
BARE_SIGNALS = 2
TRAIT_SHARE = 0.55  # the trait classifier is this sure, or the clause says nothing the framework uses
TRAIT_PAIR_SHARE = 0.8  # ...or its two likeliest traits, evidence for one path, are this sure together
# Trait labels -> the framework's answers. The opposite of a red flag ("being wrong in public doesn't
# bother me") is no evidence either way in the article's framework, so it scores nothing.
TRAIT_SIGNALS: dict[str, tuple[str, str] | None] = {
    "right_once": ("right_once_or_repeatedly", "right_once"),
    "useful_repeatedly": ("right_once_or_repeatedly", "useful_repeatedly"),
    "depth": ("energy_from", "depth"),
    "breadth": ("energy_from", "breadth"),
    "think_harder": ("when_stuck", "think_harder"),
    "try_faster": ("when_stuck", "try_faster"),
    **{
        key: ("red_flags", key)
        for key in (
            "needs_validation",
            "hates_being_wrong_in_public",
            "appear_smart",
            "needs_architectural_purity",
            "hates_interruptions",
            "needs_stimulation",
        )
    },
    **{key: ("preferences", key) for key in ("early_income", "delayed_rewards", "patience", "speed")},
    "impact_satisfies": ("preferences", "visible_impact"),
    "no_validation_needed": None,
    "fine_being_wrong": None,
    "pragmatic_simple": None,
    "fine_with_interruptions": None,
}
# Where a self-description's clauses part: "I get restless ..., I'd rather ... and my favourite part is ...".
CLAUSE_BREAK = re.compile(
    r"[;:]\s+|,\s+(?:and\s+|but\s+|so\s+)?|\s+(?:and|but|plus|also|if|since|because|as)\s+(?=(?:i|i'm|i'd|i've|my|being|when|going|getting)\b)"
)


# "i like a bit of everything not going deep in one thing": after a statement, what they do not do is no trait of
# theirs; "i really do not like meetings" is one statement, negated.
CONTRAST = re.compile(r"^((?:\S+\s+){3,}?)(?:(?:and|but)\s+not|not(?=\s+\w+ing\b)|instead of)\s+.*")


# A clause about someone else: "my ml team keeps saying nobody notices", "my teammate does that".
OTHERS = re.compile(
    r"^(?:(?:and|but|so|because|since|though|while|whereas|what about|how about)\s+)?"
    r"(?:he|she|they|he's|she's|they're|his|her|their|people|someone|somebody|everyone|everybody|others|"
    r"my (?:\w+ ){0,2}?(?:friends?|teammates?|team|cousins?|brothers?|sisters?|dad|father|mom|mum|mother|parents?|colleagues?|"
    r"manager|boss|wife|husband|partner|son|daughter|kids?|seniors?|juniors?|roommates?|classmates?|guy|uncle|aunt))\b"
)


# Advice asked for someone else: "which path should he take?", "what would suit my daughter?".
STEERS = r"\b(?:point|nudge|steer|push|guide|direct) (?:him|her) (?:toward|towards|into|to)\b"  # "which path should I nudge her toward?"
FOR_ANOTHER = re.compile(
    r"\b(?:should|would|could|can|does|do|will|suits?|fits?|for) (?:he|she|him|her|my (?:son|daughter|kid|child|brother|sister))\b"
    rf"|{STEERS}"
)
# Advice sought for someone else, not a question about what someone said ("why does he say ...?").
ASKS_FOR_ANOTHER = re.compile(
    r"\b(?:should|would|could|suits?|fits?|for) (?:he|she|him|her|my (?:son|daughter|kid|child|brother|sister|nephew|niece))\b"
    rf"|{STEERS}"
)
# A quoted phrase ("The article asks whether I 'recover energy from depth or breadth'") is someone else's
# words, not a self-description; an apostrophe inside a word ("I'm") opens no quote.
# Scare quotes round a word or two ("the 'right way'") are the writer's own.
QUOTATION = re.compile(
    r"(?<!\w)['‘](?:[^'‘’\s]+\s+){2,}[^'‘’\s]+['’](?!\w)|\"(?:[^\"\s]+\s+){2,}[^\"\s]+\"|“(?:[^”\s]+\s+){2,}[^”\s]+”"
)
WH_FIRST = re.compile(r"^\W*(?:\w+\W+){0,2}?(?:what|which|how|why|where|who|whom|whose)\b")
ATTRIBUTED = re.compile(
    r"\b(?:article|author|it|they|you|he|she|people|everyone|youtubers?|post|senior|cousin|uncle)\s+(?:\w+\s+){0,2}?"
    r"(?:says?|said|saying|asks?|asked|asking|calls?|called|calling|claims?|claimed|claiming|writes?|wrote|mentions?|mentioned)\b"
)
THIRD_PERSON = re.compile(r"\b(?:he|she|he's|she's|him|her|his|my (?:son|daughter|kid|child|brother|sister))\b")


# A child described by a parent is read as they would say it: the trait examples are in the first person.
KIN = r"my (?:son|daughter|boy|girl|kid|child|brother|sister|nephew|niece)"
PERSONS = (
    (re.compile(rf"\b(?:{KIN}|he|she)'s been\b"), "i've been"),
    (re.compile(rf"\b(?:{KIN}|he|she) (?:is|'s)\b|\b(?:he's|she's)\b"), "i'm"),
    (re.compile(rf"\b(?:{KIN}|he|she) (?:isn't|is not)\b"), "i'm not"),
    (re.compile(rf"\b(?:{KIN}|he|she) (?:doesn't|does not)\b"), "i don't"),
    (re.compile(rf"\b(?:{KIN}|he|she) has\b"), "i have"),
    (re.compile(r"\b(?:he|she)'(d|ll|ve)\b"), r"i'\1"),  # "she'd rather switch tools"
    (re.compile(r"\b(?:himself|herself)\b"), "myself"),
    (re.compile(rf"\b(?:{KIN}|he|she)\b(?!')"), "i"),
    (re.compile(r"\bhim\b|\bher\b(?=\s*(?:[.,;!?]|$|(?:to|and|if|when)\b))"), "me"),
    (re.compile(r"\b(?:his|her)\b"), "my"),
)


def _in_first_person(text: str) -> str:
    """A description of someone else, as they would say it: "my son is patient" -> "i'm patient"."""
    out = text.lower().replace("’", "'")
    for pattern, replacement in PERSONS:
        out = pattern.sub(replacement, out)
    return out


def _asks_of_others(sentence: str, another: bool = False) -> bool:
    """A wh-question with no "I", "me" or "my" in it says nothing of the writer ("what does it mean by the
    depth side?"); a yes-no one may ("isn't deep work for hours the dream?"). Of ``another``, nor does one
    without "he" or "she" ("how quick is the feedback there?")."""
    t = sentence.lower().replace("’", "'").strip()
    return (
        t.endswith("?")
        and WH_FIRST.match(t) is not None
        and FIRST_PERSON.search(t) is None
        and not (another and THIRD_PERSON.search(t))
    )


def _unquoted(sentence: str) -> str:
    """A sentence without the phrases it quotes from someone else ("The article asks whether I 'recover
    energy from depth or breadth'"); quoted as what the writer is ("that's me"), they stay."""
    return QUOTATION.sub(" ", sentence) if ATTRIBUTED.search(sentence.lower()) else sentence


def _of_others(clause: str) -> bool:
    """Whether a clause is about someone else only: "my teammate does that", not "my parents need me to earn soon"."""
    m = OTHERS.match(clause)
    return m is not None and not FIRST_PERSON.search(clause[m.end() :])


def _of_the_writer(text: str) -> str:
    """A message without its clauses about other people: their traits are not the writer's."""
    kept = [c for sentence in sentences(text) for c in CLAUSE_BREAK.split(sentence) if not _of_others(c.strip().lower())]
    return ", ".join(c.strip() for c in kept if c.strip())


def clauses(text: str) -> list[str]:
    """A self-description cut into clauses of three words or more."""
    out: list[str] = []
    for sentence in sentences(text):
        plain = RATHER_THAN.sub(r"\1", sentence.lower().replace("’", "'"))  # what they would not do is no trait of theirs
        out.extend(CONTRAST.sub(r"\1", c).strip(" .!?") for c in CLAUSE_BREAK.split(plain))
    return [c for c in out if len(c.split()) >= 3]


def _trait(probabilities: dict[str, float]) -> str | None:
    """The trait the trait classifier reads in a clause, when it is sure enough."""
    if not probabilities:
        return None
    label, *rest = sorted(probabilities, key=lambda k: -probabilities[k])
    if probabilities[label] >= TRAIT_SHARE:
        return label
    # "I like juggling different clients' problems": useful repeatedly or breadth, split between them, is
    # surely evidence for the path both point to: the likelier one is read.
    path = _trait_path(label)
    together = probabilities[label] + (
        probabilities[rest[0]] if rest and path is not None and _trait_path(rest[0]) == path else 0.0
    )
    return label if together >= TRAIT_PAIR_SHARE else None


def _trait_path(trait: str) -> str | None:
    """The path a trait label is evidence for, if any."""
    signal = TRAIT_SIGNALS.get(trait)
    if signal is None:
        return None
    field_name, key = signal
    if field_name in QUESTION_ANSWERS:
        return QUESTION_ANSWERS[field_name][key]
    found = RED_FLAGS.get(key) or PREFERENCES.get(key)
    return found.path if found else None


def _names_timed_topic(own: Vote, topic: str | None) -> bool:
    """Whether a follow-up naming a stretch of time names another timed subject too: "and the pay in
    year one?" after the burnout points, by its nearest examples alone or with the classifier agreeing."""
    return own.topic in TIMED_TOPICS and own.topic != topic and (own.topic_score >= CONFIDENT or _agreed(own, DECISIVE))


def _agreed(own: Vote, share: float) -> bool:
    """Whether the bank classifier reads the subject the nearest examples give at least ``share`` of the vote."""
    return own.classified == own.topic and own.share >= share


def _read_as_follow_up(own: Vote) -> bool:
    """Whether the bank classifier, trained on the follow-up bank too, reads a message as a follow-up,
    and its examples do not read it as a choice ("what gets engineers through it?", not "so which one am I?")."""
    return own.classified == "followup" and own.label not in ASKS_CHOICE


def _clarified(questions: list[str]) -> list[str]:
    """The questions, each with the words that only clarify it ("and after that?, like 18-36 months, and ...")."""
    out: list[str] = []
    for q in questions:
        if out and not q.endswith("?") and not _says_more(q):
            # "in the first year, what in year 2": two stretches, as asked
            out[-1] = f"{out[-1]} {q}" if out[-1].endswith(("?", ".", "!")) else f"{out[-1].rstrip(' ,')}, {q}"
        else:
            out.append(q)
    return out


def _period_words(period: Period | None) -> str:
    """A stretch of time as words the period reader reads back."""
    if period is None:
        return ""
    start, end = period
    return f" after {start} months" if end is None else f" from month {start} to month {end}"


def _criterion(text: str) -> str | None:
    """The one thing a choice is weighed on, as said ("a steady, predictable income")."""
    m = CRITERION.search(text.replace("’", "'"))
    return m.group(1).strip(" ,") if m else None


def _without_criterion(text: str) -> str:
    """``text`` without its sentences that say what a choice is weighed on."""
    return " ".join(s for s in sentences(text) if _criterion(s.lower()) is None)


# "which of the two suits Arjun?": a person asked for by name, after the conversation told of them.
NAMED_FOR = re.compile(r"\b(?:suits?|fits?|for|should|would|could|does|can|will) ([A-Z][a-z]{2,})\b")


# Who speaks in a chat two people share: "Sana here.", "Farhan: I'm the opposite", "ok Ishaan's turn.", "me now".
SPEAKER = re.compile(
    r"^\W*(?:(?:ok|okay|so|and|now|right|hi|hey|hello)\W+)*(?:(?:this is|it's|its)\s+)?"
    r"(?!(?:Hey|Hello|Okay|Note|Update|Question|Also|Edit|Thanks|Sir|Madam|Bro|Yaar|Haha|Hmm|Well|Wait|Sorry)\b)"
    r"([A-Z][a-z]{2,})(?:\s+here\b|\s*:|'s\s+(?:turn|question)\b)"
)
SPEAKER_ME = re.compile(
    r"^\W*(?:(?:ok|okay|so|and|right)\W+)*(?:me now|now me|my turn|me next|now for me|ok me)\b", re.IGNORECASE
)


def _named_for(text: str, state: SessionState) -> str | None:
    """The person a question is for, named in it and earlier (in the conversation or the message):
    "which path suits Arjun?" after Arjun was described."""
    told = " ".join(e.user for e in state.exchanges)
    for m in NAMED_FOR.finditer(text):
        name = m.group(1)
        if re.search(rf"\b{name}\b", f"{told} {text[: m.start(1)]}") and detect_path(name.lower()) is None:
            return name
    return None


def _named_as_him(text: str, person: str | None) -> str:
    """A question for someone named, asked of "him": the reading of advice sought for another
    ("which path suits him?") and what was said of them then apply."""
    if person is None:
        return text
    at = max(m.start(1) for m in NAMED_FOR.finditer(text) if m.group(1) == person)
    return text[:at] + "him" + text[at + len(person) :]


def _said_of(person: str | None, messages: list[str]) -> list[str]:
    """The messages that speak of ``person`` (None: the writer). A message is of whoever it says
    speaks ("Sana here.", "me now") or the one person it names; else of whom the last one was."""
    names = {m.group(1) for message in messages if (m := SPEAKER.match(message))} | ({person} if person else set())
    if not names:
        return messages
    out, subject = [], None
    for message in messages:
        if m := SPEAKER.match(message):
            subject = m.group(1)
        elif SPEAKER_ME.match(message):
            subject = None
        elif len(named := {n for n in names if re.search(rf"\b{n}\b", message)}) == 1:
            subject = named.pop()
        if subject == person:
            out.append(message)
    return out


@lru_cache(maxsize=1)
def _hinglish_words() -> frozenset[str]:
    return frozenset(hinglish()[0])


@lru_cache(maxsize=1)
def _hinglish_terms() -> frozenset[str]:
    return frozenset(t for word in hinglish()[0] for t in tokenize(word))


def _restated(plans: list[Plan]) -> Plan | None:
    """Of two questions on one subject, the one whose words hold all the other's, when one does."""
    words = [set(tokenize(p.text)) - POINTERS - PATH_WORDS for p in plans]
    for n in (0, 1):
        other = plans[1 - n]
        if words[1 - n] and words[1 - n] <= words[n] and plans[n].period == other.period and other.path in (None, plans[n].path):
            return plans[n]
    return None


def _restates(second: Plan, first: Plan) -> bool:
    """Whether a question after a follow-up in one message names nothing of its own (no path, stretch or
    subject its nearest examples and the classifier agree on): it asks what the follow-up did."""
    own = second.vote
    unsure = own is None or (own.topic_score < CONFIDENT and own.classified != own.label)
    return unsure and second.path in (None, first.path) and second.period is None


def _two_asked(questions: list[str]) -> list[str]:
    """The message's first two questions that ask something: "zero?? ok and year 2? and after 4 years?" reacts,
    then asks two (a reaction asks of nothing: no question word, path or stretch of time, a word or two)."""
    if len(questions) <= 2:
        return questions
    asking = [q for q in questions if not _reacts(q)]
    return (asking if len(asking) >= 2 else questions)[:2]


def _reacts(question: str) -> bool:
    q = question.lower()
    return (
        len(tokenize(q)) <= 2
        and not (QUESTION_OPENING.search(q) or INVERTED.search(q) or WHY.search(q) or CONTINUES.match(q) or OTHER_PATH.search(q))
        and detect_path(q) is None
        and parse_period(q) is None
    )


def _bare(plans: list[Plan]) -> bool:
    """Whether a message asks nothing but "which?" ("... months of theory bore me. so which one")."""
    return not any(
        _says_more(p.text) or WHY.search(p.text.lower()) or detect_path(p.text.lower()) or parse_period(p.text) for p in plans
    )


def _signal_count(answers: FitAnswers) -> int:
    """How many things the person said of themselves that the framework uses."""
    named = (answers.right_once_or_repeatedly, answers.energy_from, answers.when_stuck)
    return sum(1 for a in named if a) + len(answers.red_flags) + len(answers.preferences)


def _add_signal(answers: FitAnswers, trait: str) -> None:
    signal = TRAIT_SIGNALS.get(trait)
    if signal is None:
        return
    field_name, value = signal
    if field_name in ("red_flags", "preferences"):
        getattr(answers, field_name).append(value)
    elif getattr(answers, field_name) is None:
        setattr(answers, field_name, value)


def _far(own: Vote, hits: list[Hit]) -> bool:
    """Nothing in the article or the bank comes close: "how do I fix a leaking tap?". Unknown
    without a search (a model reads the passages then, and judges the scope itself)."""
    closest = max((h.similarity or 0.0) for h in hits) if hits else 1.0
    return closest < FAR_PASSAGE and own.score < FAR_EXAMPLE


CAREER_NAMES = re.compile(
    r"(?i)\b(ai engineers?|ml engineers?|machine learning engineers?|automation specialists?|ai engineering|automation)\b"
)
LABELS = {"engineering": "AI Engineers", "automation": "Automation Specialists"}


def _standalone(question: str, path: str | None) -> str:
    """The last question asked of another path: its career names swapped for that path's."""
    label = LABELS.get(path or "")
    if not label:
        return question
    swapped = CAREER_NAMES.sub(label, question)
    return swapped if swapped != question else f"{question} {label}"


def _parallel(text: str) -> bool:
    """Whether a message asks the last question again, of another path."""
    return SAME.search(text) is not None or (ALSO.search(text) is not None and REFERS_BACK.search(text) is not None)


def _echoed(text: str, said: str) -> list[str]:
    """The last answer's words a message asks about, when it names nothing else: "what kind of
    stuff breaks exactly?" after "When something breaks, you're often on the phone", or words it
    quotes from it ("what does 'pragmatic problem decomposition' mean?")."""
    quoted = [q for q in QUOTED.findall(text) if q.strip() and q.lower() in said.lower()]
    if quoted:
        return sorted(set(tokenize(" ".join(quoted))) - PATH_WORDS)
    words = set(tokenize(HEDGE.sub("", text.lower()))) - PATH_WORDS - POINTERS - META - _hinglish_terms()
    words = {t for t in words if not t.isdigit() and t not in NUMBER_WORDS}
    return sorted(words) if words and words <= set(tokenize(said)) else []


YOU_SAID = re.compile(r"\b(?:you|u) (?:just |also )?(?:mentioned|said|talked about|brought up|wrote|called|listed|used)\b")
# "regarding your second point", "point 2": an ordinal into the last answer's items.
POINT = re.compile(
    r"\b(?:your|ur|the|that) (first|1st|second|2nd|third|3rd|last|final) (?:point|item|flag|trait|reason)\b"
    r"|(?:^\W*|\b(?:your|ur|the) )point (?:no\.? ?|number )?(1|2|3|one|two|three)\b"
)
POINT_NUMBERS = {"1": 0, "one": 0, "2": 1, "two": 1, "3": 2, "three": 2}
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "last": -1, "final": -1}
# "going back to your first point, ...": a point of an earlier answer, not of the last one.
BACK_TO = re.compile(r"\b(?:going|coming|get(?:ting)?|go|come) back to\b|^\W*(?:\w+\W+)?back to\b")


def point_in_last_answer(text: str) -> int | None:
    """The place in the last answer's list a message points at ("regarding your second point": 1,
    "your last point": -1), unless it goes back to an earlier answer."""
    m = POINT.search(text)
    if m is None or BACK_TO.search(text) is not None:
        return None
    return ORDINALS[m.group(1)] if m.group(1) else POINT_NUMBERS[m.group(2)]


# "that wall", "those clients": a demonstrative before a word the last answer used points at what it said.
DEMONSTRATIVE = re.compile(r"\b(?:this|that|these|those)\s+([a-z][a-z'-]+)")
# "is it true that clients ...", "he said that ...": "that" opening a clause points at nothing.
THAT_CLAUSE = re.compile(r"\b(?:true|said|says|say|think|thinks|heard|hear|mean|means|know|feel|sure|so)\s+that\b")


def _points_at_said(text: str, said: str) -> bool:
    """Whether a message names something the last answer said, by "that ...", "those ...": "what actually happens in that wall?"."""
    t = THAT_CLAUSE.sub(" ", text.lower())
    words = set(tokenize(said)) - PATH_WORDS - POINTERS - META
    return any(set(tokenize(m[1])) & words for m in DEMONSTRATIVE.finditer(t))


def _period_around(siblings: str, story: str) -> Period | None:
    """The stretch of time a question's siblings name, or its story where the story speaks of a path:
    "I'm 2 years into automation, what pays?" asks of year two; "2 years of UPSC prep" is the writer's past."""
    if siblings and (found := parse_period(siblings, vague=False)):
        return found
    # ("and after? like month 6 to 18": a sentence of nothing but a stretch of time says which one is asked.)
    of_a_path = [s for s in sentences(story) if detect_path(s) is not None or not _says_more(s)]
    return parse_period(" ".join(of_a_path), vague=False) if of_a_path else None


def _after_a_thing(text: str, said: str) -> bool:
    """Whether "after that ..." names a thing the last answer told of ("after that project"), not a stretch of time."""
    m = AFTER_A_THING.search(text)
    if m is None or set(tokenize(m.group(0))) & TIME_UNITS:  # "after the initial stretch" is a stretch of time
        return False
    words = set(tokenize(m.group(1)))
    return bool(words) and words <= set(tokenize(said))


ORDINAL_NUMBER = re.compile(r"\d+(?:st|nd|rd|th)?")  # "in the 2nd year?" names a stretch of time and nothing else


def _says_more(text: str) -> bool:
    """Whether a message asks anything beyond a path or a stretch of time ("And AI engineers?" does not)."""
    words = tokenize(HEDGE.sub("", text.lower()))
    return bool({t for t in words if not ORDINAL_NUMBER.fullmatch(t) and t not in NUMBER_WORDS} - PATH_WORDS - POINTERS - SINCE)


def _undecided(own: Vote, prior: str | None) -> bool:
    """Whether a message's nearest examples scatter over subjects, none of them the conversation's:
    "do automation folks get squeezed the same way?" goes on with the conversation's, of the path it names."""
    return prior is not None and own.label != prior and own.share < UNDECIDED


def _switches_path(path: str | None, state: SessionState) -> bool:
    """Whether a message names one path after the conversation was about the other."""
    return path in ("engineering", "automation") and state.path in ("engineering", "automation") and path != state.path


def _same_subject(own: Vote, prior: str | None) -> bool:
    """Whether a message naming the other path asks of the conversation's subject: its examples say
    so, or say nothing clear ("is it any different for the automation crowd?")."""
    return prior is not None and (own.topic == prior or _undecided(own, prior))


def _period_of(state: SessionState) -> Period | None:
    return (state.period, state.period_end) if state.period is not None else None


def _timed_period(state: SessionState) -> Period | None:
    """The stretch of time "and after that?" moves on from: only pay and burnout are told by
    stretches of time; after a story ("a first gig pays ₹15,000"), "after that" is what happened next."""
    return _period_of(state) if state.topic in TIMED_TOPICS else None


# Words the article uses for each topic, added to a question's search.
TOPIC_WORDS: dict[str, str] = {
    "market": "in 2026 roles haven't grown as fast as expected demand exploded",
    "commoditization": "commoditization template floor drops absorbed barbell relevant commoditized",
    "gatekeeping": "credentialism degree filter self-taught handicap reverse over-qualification",
    "skills": "transferable skill thinking systems translating transfers",
    "compounding": "compounding bet diversification pyramid year easier",
    "commitment": "straddle both committing pick one 18 months minimum cross-pollinate deep combine",
    "tools": "know n8n make zapier langchain pytorch transformer course",
    "real_question": "asking valuable quickly lasts tension",
    "breaks": "breaks alone phone production",
}


def _of_sibling(first: Plan, second: Plan) -> Plan:
    """ "When do ML folks quit? and automation folks?": a second question that names only a path or a
    stretch of time asks the first question of it."""
    path = second.path if second.path in ("engineering", "automation") else first.path
    return replace(
        first,
        text=second.text,
        path=path,
        period=second.period or first.period,
        query=_standalone(first.query, path) if path != first.path else first.query,
        vector=None if path != first.path else first.vector,
        own_vector=second.own_vector,
        hits=[] if path != first.path else list(first.hits),
        carried=list(first.carried),
        leads=list(first.leads),
    )


def _asks_choice(plan: Plan) -> bool:
    """Whether a question asks which path suits the person: by its topic, or by its own reading
    when the conversation's topic carried over ("alright, which one fits me?" after the pay).
    "And the automation people?" asks the last question of another path, whatever its own reading."""
    if plan.kind in ("other_path", "period") and not FIRST_PERSON.search(plan.text.lower()):
        return plan.topic in CHOICE_TOPICS
    return (
        plan.topic in CHOICE_TOPICS
        or plan.vote.label in (*CHOICE_TOPICS, "fit")
        or plan.vote.asks_fit
        or SUITS_WHOM.search(plan.text.lower()) is not None
    )


# "which of the two paths suits me?", "which path does the article point her to?": a choice for someone, by its grammar
SUITS_WHOM = re.compile(
    r"\bwhich (?:one|path|way|side|of (?:them|the two|these|those)(?: (?:two|paths))?|(?:of the )?two(?: paths)?)\b"
    r"(?:\s+\w+){0,4}?\s+(?:suits?|fits?|is (?:right |better |best )?for|points?|would (?:suit|fit))\b(?:\s+\w+){0,2}?\s+"
    r"(?:me|him|her|them|us)\b"
)


def _asks_a_fact(plan: Plan) -> bool:
    """Whether a question asks the article something, not which path suits the person asking:
    "what kind of people do well on the ML side?" asks of a path, "is ML right for me?" of the asker."""
    t = plan.text.lower()
    of_a_path = plan.path in ("engineering", "automation") and not FIRST_PERSON.search(t)
    # "is that kind of tolerance needed there?" asks what the path demands, not whether it suits the asker.
    of_the_work = YES_NO.match(t) is not None and not FIRST_PERSON.search(t)
    return plan.intent in ("answer", "followup") and (not _asks_choice(plan) or of_a_path or of_the_work)


def search_query(plan: Plan) -> str:
    """What to search the store for: the question in its standalone form, with its topic's own
    words in the article's vocabulary ("will templates replace automation gigs?" also searches
    "commoditization ... floor drops")."""
    return f"{plan.query or plan.text} {TOPIC_WORDS.get(plan.topic or '', '')}".strip()
