"""The offline answerer: understands a question with rules, answers from the fact sheet and
retrieved passages, cites what it used. No model, no clock, no randomness.

``understand`` turns a message plus the session's state into a ``Plan`` (topic, path, period,
intent), resolving follow-ups ("and for automation?", "why?", "what about after 4 years?").
``answer`` turns a plan into a short, cited ``Turn``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pathwise.agent.fit import OTHER, answers_from_text, has_signals, score_fit
from pathwise.agent.models import Citation, FitResult, Reason, Turn
from pathwise.agent.sessions import SessionState
from pathwise.knowledge.facts import PATH_LABEL, FrameworkQuestion, IncomeBand
from pathwise.knowledge.lexical import tokenize

if TYPE_CHECKING:
    from pathwise.knowledge.base import KnowledgeBase
    from pathwise.knowledge.types import Hit

IN_PASSAGE_MIN_SCORE = 2.5  # a word of the question, in a passage already chosen ("what does debugging look like?")
EXTRA_MIN_SCORE = 3.0  # rarity-weighted overlap a supporting sentence needs beside a table row
# A word this rare in the store (BM25 idf; 2.5 is about 1 passage in 15 of the article) is a
# specific of the question: "agency", "startups", "meetings".
RARE_IDF = 2.5
SPECIFIC_MIN_SCORE = 3.5
OVERVIEW_WORDS = 60  # how much of a passage answers a question the comparison table does not
OFF_TOPIC_SIMILARITY = 0.40
# A topic word ("recommend", "how much") in a message with no career words needs at least this much
# support from the article: "Recommend me a good movie" scores 0.16, "Tell me about the framework" 0.20.
TOPIC_WORD_SIMILARITY = 0.19
SILENT_SIMILARITY = 0.45  # an on-topic-sounding question with no topic and no passage this close: the article is silent  # MiniLM cosine of the best passage below which a question is not about the article

SCOPE = (
    "I can only help with choosing between AI Engineer and AI Automation Specialist, from one 2026 article: "
    "income by period, burnout, entry barriers, gatekeeping, the 2026 market, red flags, and its three-question "
    "framework. Ask me about those, or describe yourself and I'll score your fit."
)
SILENT = (
    "The article doesn't cover that. It compares AI Engineer and AI Automation Specialist on income by period, "
    "burnout, entry barriers, gatekeeping, the 2026 market, red flags and a three-question framework."
)
REFUSAL = (
    "I can't share or change how I work. I answer questions about AI Engineer vs AI Automation Specialist "
    "from the article, for example income, burnout, or which path fits a person."
)

# -- understanding ------------------------------------------------------------------------

# Topic -> patterns on lower-cased text. Order matters: the first topic that matches wins ties.
TOPICS: dict[str, str] = {
    "red_flags": r"red flags?|warning signs?|\bsigns? (?:i|i'd|i'm|you|you'd|that)\b|miserable|not cut out|\bstruggl(?:e|es|ing)\b|\bavoid\b|not for (?:me|everyone)|wrong fit|personality|traits?\b|not (?:be )?(?:a )?(?:good )?(?:fit|suited)|who should(?:n't| not)|shouldn'?t (?:choose|pick|go)|bad fit|wash(?:es)? out|(?:gonna|going to|will (?:that|this|it)) hurt me|(?:is|would) (?:that|this|it) (?:be )?(?:a )?(?:problem|an issue)|hold me back",
    "burnout": r"burn(?:ed|t|ing)?[- ]?out|burnout|\bburn\b|\bquit|give up|hit the wall|(?<!up )the wall\b|exhaust|drain|break(?:s)? (?:people|down)|when do (?:people|they|most) (?:fail|break)|breaking point|tired|wreck|what (?:\w+ ){0,2}goes wrong|\bfried\b|(?:lose|losing|run(?:s|ning)? out of) steam|hits? a wall",
    "income": r"\bearn|income|take[- ]home|(?:do|does|did|will|can|could|would|should)\s+(?:i|you|they|we|an?|the)?\s*[\w\s]{0,30}?\bmake\b(?=\s*(?:$|[?.!,;]|per\b|in\b|a (?:year|month)|each\b|every\b|at\b|after\b|during\b|when\b|as\b|on\b|monthly|yearly|annually|early|later|now|initially|to start|starting|first))|\bmake\b.{0,25}\b(?:money|nothing|anything|much|any|a living)|\bsalar|salar|money|\bpays?\b(?! off)|\b(?:get|gets|getting|got|be|are|is|was|were|well|better|poorly|badly) paid\b|\bpaid (?:well|more|less|much|per|by|for|in)\b|₹|lakh|rupee|how much|compensation|\brates?\b|wage|make a living|financ|\bcash\b|profit|\blpa\b|\bctc\b|\bpackage\b|earning potential|pay ceiling",
    "breaks": r"(?:when|if) (?:\w+ ){0,3}(?:breaks?|fails?|stops?|goes wrong|crash|blows? up|dies|goes down)|bad day|fire ?drill|outage|in prod\b|breaks? in production|in production|on the phone|\balone\b|debug|fix(?:ing)? it",
    "gatekeeping": r"gatekeep|credential|degree|\bm\.?tech\b|\bb\.?tech\b|\bmba\b|\bm\.?sc\b|qualifications?\b|(?:my|academic|educational?) background|master'?s\b|\bphd\b|\bcs\b|self[- ]taught|college|universit|diploma|cs grad|overqualif|bootcamp|certificat",
    "entry": r"entry|barrier|get (?:in|into|started|hired(?! to)|a job)|break into|how hard|difficult to (?:start|get)|beginner|junior|postings?|job ads?|requirements?|experience (?:do|does|is|are)|ask for|qualif|\btough\b|land (?:a|my|the|your)? ?(?:first )?(?:\w+ )?(?:job|client|gig|role)s?|first gigs?|start(?:ing)? out|\bproof\b|first clients?|get (?:\w+ )?clients|portfolio",
    "feedback": r"feedback|find out (?:if|whether)|(?:know|tell|see) (?:if|whether) (?:\w+ ){0,3}works?\b",
    "value_timing": r"\bvalue\b|payoff|see (?:the )?(?:benefit|impact|difference)|front[- ]loaded|back[- ]loaded|results? show|see (?:the )?results|impact show|pay(?:s|ing)? off|paid off",
    "skills": r"transfer|carr(?:y|ies|ied) over|lead (?:me |you )?(?:to|into)\b|where (?:can|does|will|could|would) (?:\w+ ){0,3}(?:lead|take)\b|set (?:me|you) up for|(?:other|what) (?:kinds? of )?(?:roles|jobs) (?:after|later|next|would|could|can)|\bexit (?:options|routes?|paths?)|(?:roles|jobs|doors|options) (?:\w+ ){0,4}open(?:s)? up|open(?:s)? (?:up )?(?:doors|roles|options)|want to move on|pivot (?:to|into)|(?:which|what) abilit|skills? (?:that )?(?:last|carry|matter)|valuable skill|thinking style|which skill|what skill|(?:what|which)(?:'s| is) the (?:\w+ )?skill|\boutside (?:of )?(?:ml|ai|tech|the field|this field|engineering|automation)\b",
    "commoditization": r"commodit|template|replace|obsolete|disappear|go away|\bdie\b|dying|extinct|future[- ]proof|job security|\bsafe\b|take (?:over|my job)|absorbed|automated away|floor drops|barbell|foundation models?|api(?:s)? (?:took|replace)|eaten|mid[- ]?(?:level|tier)|middle of the market",
    "market": r"2026|market|demand|room (?:left )?for|saturat|grow|grown|\bopenings?\b|blow(?:n|ing)? up|\bboom|predicted|future|outlook|trend|hiring|in 2023|job market|opportunit|exploded",
    "hiring": r"(?:kind|type|sort|size)s? of (?:compan|business|firm|employer|organi[sz]ation)|compan(?:y|ies) (?:\w+ ){0,2}(?:hire|hiring|want|look(?:ing)? for|go for|prefer|pick)|\bemployers?\b|who (?:hires|employs)\b|startups? (?:vs|or|and|versus) (?:small|big|large)",
    "framework": r"framework|questions? (?:should|to|do|can|would) (?:i|you|we) ask|ask (?:myself|yourself)|figure out (?:which|what|if)|\bstuck\b(?! with| to\b)|unstuck|think harder|try faster|(?:three|3) (?:[\w-]+ ){0,2}questions|which questions|self[- ]check|how (?:do|should|can) i (?:decide|choose|pick)|how (?:am i|do i|should i|can i|would i|to) (?:\w+ ){0,3}(?:decide|choose|pick)|(?:choos|decid|pick)(?:e|es|ing)? between|help me (?:decide|choose)|self[- ]knowledge",
    "compounding": r"compound|long[- ]term|long run|pyramid|diversif|year (?:three|five)|gets? (?:\w+ )?easier|builds? up\b|snowball|builds? on (?:itself|themselves|each other)|stacks? up",
    "commitment": r"18 months|pick(?:ing|s)? up (?:the other|automation|ml|ai engineering|engineering)|\bcommit|at the same time|simultaneous|keep (?:my |your )?options open|(?:also |then )(?:learns?|gets? good at|picks? up|understands?) |stick (?:with|to)|focus on one|how long should i|both|straddle|combine|cross[- ]pollinat|pick one|switch (?:later|paths?)|do (?:them )?both|learns? ml|ml fundamentals|deadly|irreplaceable|go deep",
    "choose": r"which(?: one| path| career| role| option)?(?: is|'s) (?:the )?(?:better|best)|what'?s better|makes? (?:more )?sense|tl;?dr|better (?:option|choice|path|career)|which is (?:more|better)|(?:when )?should (?:i|you|someone|somebody|anyone|one|people|a person) (?:choose|pick|go)|choose (?:ai )?(?:engineering|automation)|which (?:one|path|career) should|recommend|verdict|bottom line|conclusion",
    "suits": r"suit|best for|good fit|fit for|good for\b|right for|well[- ]suited|does well|do well|cut out for|who is (?:it|this) for|type of person|kind of person|thrive|recharge|energi[sz]|depth|breadth|patient thinkers|doers",
    "tools": r"tools?\b|n8n|zapier|make\.com|pytorch|tensorflow|course|syllabus|what (?:do|should) (?:i|you) learn|tech stack|learn first",
    "real_question": r"really asking|real question|real tension|actually asking|valuable quickly|question (?:people|you)",
    "core_problem": r"core problem|(?:sort|kind|type)s? of (?:problems?|tasks?|projects?|requests?|meetings?|work\b)|requests? (?:do|does|would|will) (?:they|you|an?)|typical (?:day|week|task|project|request)|day in the life|(?:concrete |real |an )examples? of (?:the |their |a )?(?:work|tasks?|projects?|requests?|problems?)|problems? .{0,40}\b(?:solve|fix|work on)\b|what do (?:they|ai engineers|automation specialists|engineers|specialists) (?:do|work on)|day[- ]to[- ]day|daily work|job like|work on|what (?:is|does) (?:an? )?(?:ai engineer|automation specialist)|all day|spend (?:their|the) day",
    "overview": r"difference|differ|compare|comparison|versus|\bvs\.?\b|pros and cons|overview|summar|tell me about|explain",
}

# Words the article uses for each topic, added to a question's search and used to pick sentences.
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
PATH_WORDS = frozenset(tokenize("ai ml engineer engineers engineering automation specialist specialists"))

# Words that show a message is about the article's world even when no topic matches.
DOMAIN = re.compile(
    r"\bai\b|engineer|automat|\bml\b|machine learning|career|path|model|workflow|zapier|n8n|llm|gpt|prompt engineer|"
    r"freelanc|client|upwork|job|role|specialist|\bskills?\b"
)
OTHER_CAREERS = re.compile(
    r"\b(doctor|nurse|lawyer|pilot|chef|teacher|accountant|architect(?:ure)? firm|dentist|plumber|electrician|"
    r"actor|musician|pharmacist|civil engineer|mechanical engineer|banker|police|soldier|farmer|data scien(?:ce|tists?)|"
    r"data analysts?|web developers?|graphic designers?|game developers?|cyber ?security(?: analyst)?|security analysts?|data engineers?|ux designers?|devops engineers?|prompt engineer(?:s|ing)?)s?\b"
)
INJECTION = re.compile(
    r"ignore (?:all |any |the |your |previous |prior |above )*(?:rules|instructions|prompts?|guidelines)|"
    r"disregard (?:all |any |the |your |previous |prior )*(?:rules|instructions|guidelines)|"
    r"(?:system|hidden|initial|original) (?:prompt|instructions|message)|reveal (?:your |the )?(?:prompt|instructions|rules)|"
    r"print (?:your |the )?(?:prompt|instructions)|jailbreak|developer mode|\bdan\b|you are now|act as (?!an? (?:ai engineer|automation))|"
    r"pretend (?:to be|you)|other (?:users?|people)'?s? (?:conversations?|chats?|messages|history)|"
    r"(?:previous|another|other|last|different) (?:user|person|session|customer)|someone else'?s|"
    r"everything above|above this line|repeat (?:the |your )?(?:text|words|instructions) above|"
    r"(?:show|give|tell) me (?:another|other) (?:user|person|session)"
)
# A request to write or fix code: pathwise advises on careers, it is not a coding assistant.
CODE_HELP = re.compile(
    r"(?:^|\b(?:can|could|would|will) you (?:please )?|\bhelp me (?:to )?|\bplease )"
    r"(?:debug|fix|write|review|refactor|optimi[sz]e|correct)\b(?:\W+\w+){0,4}?\W+"
    r"(?:code|function|script|program|snippet|bug|error|exception|regex|query|class|method|loop|stack ?trace|sql)s?\b|"
    r"\btraceback \(most recent|\b(?:typeerror|syntaxerror|nameerror|valueerror|keyerror|indexerror|attributeerror|"
    r"nullpointerexception|segmentation fault)\b"
)
# Which product to buy or use is not a career question, however much it mentions AI.
PRODUCT_CHOICE = re.compile(
    r"\b(?:which|what(?:'s| is)?(?: the)?|best) (?:\w+ ){0,2}(?:llms?|chatbots?|laptops?|gpus?|ides?)\b|"
    r"\b(?:which|best|better)\b.{0,60}\b(?:claude|chatgpt|gpt|gemini|llama|copilot|cursor)\b"
)
GREETING = re.compile(r"^(hi|hello|hey|hiya|good (?:morning|afternoon|evening)|thanks?(?: you)?|thank you|ok(?:ay)?|cool|great)\b[\s!.,?]*$")
ENGINEERING = re.compile(r"\bai engineer|\bml engineer|machine learning engineer|\bengineer(?:s|ing)?\b|\bml\b|machine learning|model builder")
ENGINEERING_TOOLS = re.compile(r"pytorch|tensorflow|backprop|transformers? from scratch")  # name the path, when nothing else does
AUTOMATION = re.compile(r"automat|no[- ]code|zapier|n8n|workflow (?:builder|person|people)|the other (?:one|path)|make\.com")
BOTH = re.compile(r"\bboth\b|\beach\b|\bcompare|comparison|versus|\bvs\.?\b|difference|differ|two paths|either")
OTHER_PATH = re.compile(r"\bother (?:one|path|side|role|career)\b|the opposite|the alternative|\bvice versa\b")
WHY = re.compile(r"^\s*(why|how come|what causes|what's the reason|reason)\b|\bwhy\b|\bcauses?\b|\breasons?\b")
FOLLOWUP_CUE = re.compile(
    r"^\s*(?:ok(?:ay)?[,.]?\s+|so[,.]?\s+)?(and|what about|how about|same for|also|but|really|how so|tell me more|more|"
    r"explain|elaborate|go on|details?|for example|example|why|how come|is that|what does that mean)\b"
)
FIT_ASK = re.compile(
    r"\bwhich (?:path|one|career|role|is (?:better|right))\b|\bwhich of (?:the|these|those) (?:two )?(?:paths|options|careers|roles)\b|\bshould i\b|\bfor me\b|\bsuits? me\b|\bfits? me\b|\bfit\b|\bright for me\b|"
    r"\brecommend|\bwhat (?:path|career) (?:is|would)\b|\bam i\b"
)
CAUSE = re.compile(r"\bbecause\b|\bdue to\b|\bthat's why\b|\bwhich is why\b|\bcaused by\b")
CAUSE_BONUS = 2.0
QUANTITY = re.compile(r"\bhow (?:much|many|long)\b|\bwhat (?:\w+ ){0,4}(?:pay|paid|cost|charge|save)")
FIGURE_BONUS = 2.0
# A further sentence must score this share of the best one's: below it, it is about something else
# ("why haven't AI engineer roles grown?" then "They learn some ML ..."). 0.4 to 0.5 keep every
# gold set's facts and citations; 0.6 loses some.
RELATIVE = 0.4
BETTER = re.compile(r"\b(?:better|best)\b")
TRANSFERS = re.compile(r"\btransfers (?:into|to|everywhere)\b")
QUESTION_OPENING = re.compile(r"\s*(?:what|where|when|which|who|why|how|is|are|do|does|can|could|will|would)\b")
FIRST_PERSON = re.compile(r"\b(i|i'm|im|i am|i've|me|my|myself)\b")

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twenty": 20, "thirty": 30, "thirty-six": 36,
    "forty-eight": 48, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "a": 1, "an": 1,
    "half": 0.5,
}
_NUM = r"(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen|twenty|thirty|thirty-six|forty-eight|a|an|half)"
_ORD = r"((?<![\d.])\d+(?:st|nd|rd|th)?|first|second|third|fourth|fifth|sixth)"


def _n(word: str) -> float:
    word = re.sub(r"(st|nd|rd|th)$", "", word) if word[0].isdigit() else word
    return float(word) if word[0].isdigit() else float(NUMBER_WORDS[word])


Period = tuple[int, int | None]  # months [from, to); to None = open-ended


def parse_period(text: str, *, vague: bool = True) -> Period | None:
    """The stretch of a career a question is about, in months ("second year" -> 12-24).

    ``vague`` also reads words that name no number ("starting out" -> 0-6, "senior" -> 48+).
    """
    t = text.lower().replace("–", "-").replace("—", "-")
    t = re.sub(r"(?<=\d)\s*(?:yrs?|yr)\b|\byrs?\b", " years", t)  # "4+ yrs in"
    t = re.sub(r"\b(?:mos|mths?)\b", "months", t)
    t = re.sub(r"\b(?:a|one) year and a half\b", "18 months", t)
    if m := re.search(rf"months?\s+(\d+)\s*(?:-|to|and)\s*(\d+)", t):
        return int(m.group(1)), int(m.group(2))
    if m := re.search(rf"(?:between\s+)?(?:years?\s+)?{_NUM}\s*(?:-|to|and|through)\s*{_NUM}\s+years?", t) or re.search(
        rf"years?\s+{_NUM}\s*(?:-|to|and|through)\s*{_NUM}", t
    ):
        a, b = _n(m.group(1)), _n(m.group(2))
        # "years 2-3" are months 12-36; "1.5-2 years" months 18-24
        return int((a - 1) * 12 if a == int(a) else a * 12) if a >= 1 else 0, int(b * 12)
    if m := re.search(rf"(?:after|beyond|past|more than|over|once (?:i've|you've|i have|you have) (?:done|had|spent))\s+(?:the\s+)?(?:first\s+)?{_NUM}\s+(years?|months?)", t) or re.search(
        rf"\b{_NUM}\s*\+\s*(years?|months?)|\b{_NUM}\s+(years?|months?)\s+in\b", t
    ):
        m = _first_groups(m)
        n = _n(m[0])
        return int(n * 12 if m[1].startswith("year") else n), None
    if m := re.search(rf"(?:after|beyond|past)\s+(?:the\s+)?(?:{_ORD}\s+year|year\s+{_NUM}\b)", t):  # "past year 3"
        return int(_n(m.group(1) or m.group(2)) * 12), None
    if m := re.search(rf"(?:first|initial|opening)\s+{_NUM}\s+(years?|months?)", t):
        n = _n(m.group(1))
        return 0, int(n * 12 if m.group(2).startswith("year") else n)
    if m := re.search(rf"{_ORD}\s+year|year\s+{_ORD}|year\s+{_NUM}\b", t):
        n = int(_n(m.group(1) or m.group(2) or m.group(3)))
        return (n - 1) * 12, n * 12
    if m := re.search(rf"(?:in|within|by)\s+{_NUM}\s+(years?|months?)", t):
        n = _n(m.group(1))
        months = int(n * 12 if m.group(2).startswith("year") else n)
        return max(0, months - 1), months + 1
    if not vague:
        return None
    if re.search(r"\b(start|starting|beginning|initially|right away|at first|early on|first few months|day one|newbie|fresher)\b", t):
        return 0, 6
    if re.search(r"\b(long[- ]term|eventually|later on|senior|experienced|peak|ceiling|top end|max(?:imum)?)\b", t):
        return 48, None
    return None


def _first_groups(m: re.Match[str]) -> tuple[str, str]:
    """(number, unit) from whichever alternative of a period pattern matched."""
    number, unit = [g for g in m.groups() if g is not None][:2]
    return number, unit


def detect_path(text: str) -> str | None:
    t = text.lower()
    eng, auto = bool(ENGINEERING.search(t)), bool(AUTOMATION.search(t))
    eng = eng or (not auto and bool(ENGINEERING_TOOLS.search(t)))
    if BOTH.search(t) or (eng and auto):
        return "both"
    return "engineering" if eng else "automation" if auto else None


_TOPIC_PATTERNS = {topic: re.compile(pattern) for topic, pattern in TOPICS.items()}  # too many to trust re's cache


def detect_topic(text: str) -> str | None:
    t = text.lower().replace("’", "'")
    for topic, pattern in _TOPIC_PATTERNS.items():
        if pattern.search(t):
            return topic
    return None


@dataclass
class Plan:
    text: str
    intent: str  # answer | why | fit | offtopic | injection | greeting | empty
    topic: str | None = None
    path: str | None = None
    period: Period | None = None
    followup: bool = False
    fit: FitResult | None = None
    query: str = ""
    hits: list[Hit] = field(default_factory=list)


def _moved_to(plan: Plan, state: SessionState) -> SessionState:
    """``state`` after an answer to ``plan``: its topic, path and period carry over to follow-ups."""
    state.topic, state.path = plan.topic or state.topic, plan.path or state.path
    state.period, state.period_end = plan.period if plan.period else (None, None)
    return state


class OfflineAnswerer:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.facts = kb.facts

    # -- understanding --------------------------------------------------------------------
    @staticmethod
    def is_injection(text: str) -> bool:
        """Whether ``understand`` reads ``text`` as an attempt to change the advisor's instructions."""
        return INJECTION.search(text.lower().replace("’", "'")) is not None

    def understand(self, text: str, state: SessionState, *, in_scope: bool | None = None) -> tuple[Plan, SessionState]:
        """What the question asks, and the session state after it.

        ``in_scope`` says whether the article speaks to the question when that is already known (a model
        answered it): the store is then not searched to find out, and the plan carries no passages.
        """
        t = text.lower().replace("’", "'")
        new = state.model_copy(deep=True)
        if self.is_injection(text):
            return Plan(text=text, intent="injection"), new
        if GREETING.match(t.strip()):
            return Plan(text=text, intent="greeting"), new
        if CODE_HELP.search(t) or PRODUCT_CHOICE.search(t):
            return Plan(text=text, intent="offtopic"), new

        # "Just did an ML bootcamp. Why do junior postings keep rejecting me?": what is asked decides.
        topic = detect_topic(_asking_part(t)) or detect_topic(t)
        path = detect_path(t)
        period = parse_period(t)
        words = len(t.split())
        is_why = bool(WHY.search(t))
        cue = bool(FOLLOWUP_CUE.match(t))
        followup = bool(state.topic) and (
            (topic is None and (path is not None or period is not None or is_why or (cue and words <= 8)))
            or (cue and words <= 12)
            or bool(OTHER_PATH.search(t))
        )
        if followup:
            topic = topic or state.topic
            if OTHER_PATH.search(t) and state.path in ("engineering", "automation"):
                path = OTHER[state.path]
            path = path or state.path
            if period is None and state.period is not None:  # "and AI engineers?" keeps "after 4 years"
                period = (state.period, state.period_end)

        # The article's figures by career stage are its income bands; "if I start learning AI
        # engineering now, what should I focus on?" names a stage but asks nothing about money.
        if topic is None and period is not None and (followup or parse_period(t, vague=False)):
            topic = "income"

        if path is None and state.path and re.search(r"\b(they|them|their|this path|that path|that role|this role)\b", t):
            path = state.path

        fit_answers = answers_from_text(t)
        # A self-description gets a fit score, unless it is a question that only mentions the
        # asker's plans ("where can automation experience lead if I don't want ... forever?"), or
        # asks whether a trait is a red flag on one path ("... is that gonna hurt me in ML?").
        describes_self = FIRST_PERSON.search(t) and has_signals(fit_answers)
        flag_question = topic == "red_flags" and path in ("engineering", "automation") and not FIT_ASK.search(t)
        if describes_self and not flag_question and (FIT_ASK.search(t) or not QUESTION_OPENING.match(t)):
            plan = Plan(text=text, intent="fit", topic="fit", path=path, fit=score_fit(fit_answers, self.facts))
            new.topic, new.path = "fit", None
            return plan, new

        query = self._query(text, topic, path, followup, state)
        intent = "why" if is_why and topic in ("burnout", "income", "value_timing", "market", "gatekeeping", "entry", "commoditization", None) else "answer"
        plan = Plan(text=text, intent=intent, topic=topic, path=path, period=period, followup=followup, query=query)
        if in_scope is not None:
            return (plan, _moved_to(plan, new)) if in_scope else (Plan(text=text, intent="offtopic"), new)
        hits = self.kb.search(search_query(plan), 6)
        best = max((h.similarity or 0.0) for h in hits) if hits else 0.0
        if topic is not None and path is None and not followup and not DOMAIN.search(t) and (
            best < TOPIC_WORD_SIMILARITY or self._unheard_of(t)  # "how do I file my income tax return online?"
        ):
            return Plan(text=text, intent="offtopic", hits=hits), new
        # Two rare words of the question in one of the best passages: the article speaks to it,
        # however unlike its usual questions it reads ("which path punishes being wrong in public?").
        rare = self._rare_words(t)
        echoed = any(len(rare & set(tokenize(h.text))) >= 2 for h in hits[:3])
        if topic is None and path is None and not followup and not echoed:
            if OTHER_CAREERS.search(t) or not DOMAIN.search(t) and best < OFF_TOPIC_SIMILARITY or best < 0.2:
                return Plan(text=text, intent="offtopic", hits=hits), new
        if OTHER_CAREERS.search(t) and not (ENGINEERING.search(t) and re.search(r"\bai\b|\bml\b|machine learning", t)) and not AUTOMATION.search(t):
            return Plan(text=text, intent="offtopic", hits=hits), new
        if topic is None and not followup and hits and not echoed and (best < SILENT_SIMILARITY or self._unheard_of(t)):
            return Plan(text=text, intent="silent", hits=hits), new

        plan.hits = hits
        return plan, _moved_to(plan, new)

    def _query(self, text: str, topic: str | None, path: str | None, followup: bool, state: SessionState) -> str:
        """A standalone retrieval query: a follow-up borrows the earlier question's words.

        "How much do automation specialists earn?" then "And AI engineers?" searches for
        "How much do AI Engineers earn?".
        """
        if not followup:
            return text
        last = state.last()
        base = last.user if last else ""
        label = {"engineering": "AI Engineers", "automation": "Automation Specialists"}.get(path or "", "")
        if label and base:
            swapped = re.sub(r"(?i)\b(ai engineers?|ml engineers?|automation specialists?|automation|ai engineering)\b", label, base)
            base = swapped if swapped != base else f"{base} {label}"
        rest = FOLLOWUP_CUE.sub("", text.lower())
        rest = re.sub(r"(?i)\b(ai engineers?|ml engineers?|automation specialists?|automation|ai engineering|engineering|the other (?:one|path)|for|about|of|them|it|that)\b", " ", rest)
        # "does the same thing happen on the automation side?": words that only point back
        rest = re.sub(r"(?i)\b(same|things?|happens?|side|too|also|true|case|appl(?:y|ies)|holds?|specifically|get|you)\b", " ", rest)
        extra = " ".join(w for w in re.findall(r"[\w₹'-]+", rest) if len(w) > 2)
        return f"{base} {extra}".strip()

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
            return Turn(
                answer="Hello! " + SCOPE.replace("I can only help", "I help"), follow_ups=self.starters()
            )
        if plan.intent == "offtopic":
            return Turn(answer=SCOPE, in_scope=False, follow_ups=self.starters()[:2])
        if plan.intent == "silent":
            return Turn(answer=SILENT, in_scope=False, follow_ups=self.starters()[:2])
        if plan.intent == "fit":
            return self._fit_turn(plan)
        handler = getattr(self, f"_topic_{plan.topic}", None) if plan.topic else None
        parts: list[tuple[str, list[str]]] = handler(plan) if handler else []
        if not parts:
            parts = self._extract(plan, n=2)
        parts = self._with_specifics(plan, parts)
        if not parts and plan.topic is None and plan.path is not None:  # "And AI engineers?" with nothing before it
            parts = self._topic_overview(plan)
        if not parts:
            return Turn(
                answer="The article doesn't say. " + SCOPE.split(":")[0] + ".",
                follow_ups=self._follow_ups(plan),
            )
        answer = " ".join(text if text.rstrip().endswith((".", "!", "?", "”", '"', "’", ")", ":")) else f"{text.rstrip()}." for text, _ in parts)
        cited: list[str] = []
        for _, ids in parts:
            cited.extend(i for i in ids if i not in cited)
        citations = [Citation(id=h.id, section=h.section, text=h.text) for h in self.kb.get(cited)]
        return Turn(answer=answer, citations=citations, follow_ups=self._follow_ups(plan))

    # Each topic handler returns [(sentence(s), [passage ids])].
    def _paths(self, plan: Plan) -> list[str]:
        return ["engineering", "automation"] if plan.path in (None, "both") else [plan.path]

    def _topic_income(self, plan: Plan) -> list[tuple[str, list[str]]]:
        parts = []
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
            if passage and (plan.intent == "why" or not plan.period):
                tail = _sentences(passage[0].text.split("\n")[-1])[1:]
                if tail:
                    text += " " + " ".join(tail)
            parts.append((text, [chosen[0].passage_id]))
        return parts

    def _topic_burnout(self, plan: Plan) -> list[tuple[str, list[str]]]:
        parts = []
        for path in self._paths(plan):
            b = self.facts.burnout_of(path)
            who = "AI Engineers" if path == "engineering" else "Automation Specialists"
            text = f"{who} {b.quote}"
            text += f" ({b.causes})." if b.causes else "."
            ids = [b.passage_id]
            if plan.intent == "why" or len(self._paths(plan)) == 1:
                detail = self.kb.get(b.detail_passage_ids + [b.passage_id])
                cause_terms = tokenize(f"{b.causes} {plan.text} drain burn quit wall break alone phone messy")
                best = _best_sentences(detail, cause_terms, 2 if plan.intent == "why" else 1, exclude=b.quote, idf=self.kb.idf)
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
        """The table's row, then where each asked path's paragraph says the skill leads."""
        parts = self._row_topic(plan, "transferable")
        leads = []
        for path in self._paths(plan):
            for h in plan.hits[:6]:
                if not _mentions(h.text, path) or _mentions(h.text, OTHER[path]):
                    continue
                sentences = _sentences(h.text)
                at = next((i for i, s in enumerate(sentences) if TRANSFERS.search(s)), None)
                if at is not None:  # "... transfers everywhere. It makes you valuable in architecture roles, ..."
                    end = at + 2 if sentences[at].rstrip(".").endswith("everywhere") else at + 1
                    leads.append((" ".join(sentences[at:end]), [h.id]))
                    break
        return [*parts[:1], *leads] if leads else parts

    def _topic_core_problem(self, plan: Plan) -> list[tuple[str, list[str]]]:
        """The table's row, the article's scene of each path at work ("An AI Engineer debugs why
        model accuracy dropped..." / "Can you make it so our support team doesn't have to..."),
        then, for one path, a sentence that speaks to the question's own words, if one does."""
        row, *extra = self._row_topic(plan, "core problem") or [None]
        parts = [row] if row else []
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
        text = " ".join(f"{r.dimension}: AI Engineer, {r.engineering}; Automation, {r.automation}." for r in rows)
        return [(text, [r.passage_id for r in rows])]

    def _topic_red_flags(self, plan: Plan) -> list[tuple[str, list[str]]]:
        parts = []
        for path in self._paths(plan):
            flags = self.facts.flags(path)
            if not flags:
                continue
            name = "AI Engineering" if path == "engineering" else "Automation"
            listed = " ".join(f"({i}) {f.flag}" for i, f in enumerate(flags, 1))
            parts.append((f"You'll struggle with {name} if: {listed}", [f.passage_id for f in flags]))
        # "I always reach for the fanciest model": what the article says of that trait.
        return parts + self._extract(plan, n=1, min_score=EXTRA_MIN_SCORE)

    def _topic_framework(self, plan: Plan) -> list[tuple[str, list[str]]]:
        qs = self.facts.questions
        one = self._framework_question(plan)
        if one is not None:
            picks = [(p, getattr(one, p), one.passage_ids[i]) for i, p in enumerate(("engineering", "automation"))]
            picks = [pick for pick in picks if pick[0] in self._paths(plan)]
            return [(f"{one.question} " + " ".join(text for _, text, _ in picks), [pid for _, _, pid in picks])]
        listed = " ".join(f"({i}) {q.question}" for i, q in enumerate(qs, 1))
        text = f"The article's three questions: {listed} Depth, being right once and thinking harder point to AI Engineering; breadth, being useful repeatedly and trying faster point to automation. Tell me your answers and I'll score your fit."
        return [(text, [q.passage_ids[0] for q in qs])]

    def _framework_question(self, plan: Plan) -> FrameworkQuestion | None:
        """The one framework question a message is about ("what do I do when I'm stuck?"), unless
        it asks about the framework as a whole."""
        if re.search(r"framework|questions", plan.text.lower()):
            return None
        asked = self._rare_words(re.sub(r"(?i)\bunstuck\b", "stuck", plan.query or plan.text))
        matching = [q for q in self.facts.questions if asked & set(tokenize(q.question))]
        return matching[0] if len(matching) == 1 else None

    def _topic_choose(self, plan: Plan) -> list[tuple[str, list[str]]]:
        recs = self.facts.recommendations
        paths = self._paths(plan)
        quotes = [recs[p] for p in paths]
        text = " ".join(q.text.lstrip("· ") for q in quotes)
        return [*self._verdict(plan), (text, [quotes[0].passage_id]), self._advice()]

    def _advice(self) -> tuple[str, list[str]]:
        """The article's hard advice: "Pick one for 18 months minimum"."""
        c = self.facts.commitment
        return c.text[:1].upper() + c.text[1:] + ", the article advises.", [c.passage_id]

    def _verdict(self, plan: Plan) -> list[tuple[str, list[str]]]:
        """The article's own word on which path is better, when the question asks exactly that."""
        t = plan.text.lower()
        if not BETTER.search(t) or _TOPIC_PATTERNS["income"].search(t):  # "which pays better" asks about money
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
                        more = [t for t in _best_sentences([h], asked, 1, idf=self.kb.idf, min_score=IN_PASSAGE_MIN_SCORE) if t[0] not in shown]
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
        cited = {pid for _, ids in parts for pid in ids}
        if not plan.hits or plan.hits[0].id in cited:
            return parts
        said = set(tokenize(" ".join(text for text, _ in parts)))
        # "Just finished an automation course (n8n, zapier). What would a small agency pay me for a
        # first project?": the question's own words say what it is after, not the story before it.
        asked = self._rare_words(_asking_part(plan.query or plan.text))
        specific = sorted((asked if len(asked) >= 2 else self._rare_words(plan.query or plan.text)) - said)
        best = _best_sentences(
            plan.hits[:1], specific, 1, idf=self.kb.idf, min_score=SPECIFIC_MIN_SCORE, quantity=bool(QUANTITY.search(_asking_part(plan.text).lower()))
        )
        if not best:
            return parts
        extra = (best[0][0], [best[0][1]])
        if plan.topic == "overview":  # the specifics say what the question is after: not the whole table
            return [(_lead(plan.hits[0].text, OVERVIEW_WORDS), [plan.hits[0].id])]
        return [extra, *parts] if plan.topic is None else [*parts, extra]

    def _extract(
        self, plan: Plan, n: int, exclude_ids: set[str] | None = None, min_score: float = 0.0, *, own_path: bool = False
    ) -> list[tuple[str, list[str]]]:
        """The sentences of the retrieved passages that best answer the question.

        The topic's own words (``TOPIC_WORDS``) count beside the question's, so "Will automation
        jobs disappear?" finds the sentences about commoditization. With ``own_path``, only
        sentences that name the plan's path.
        """
        hits = [h for h in plan.hits if h.id not in (exclude_ids or set())]
        if plan.path in ("engineering", "automation"):
            preferred = [h for h in hits if _mentions(h.text, plan.path) or not _mentions(h.text, OTHER[plan.path])]
            hits = preferred or hits
        # With one path asked about, its name says nothing about which sentence answers.
        skip = PATH_WORDS if plan.path in ("engineering", "automation") else frozenset()
        asked = [t for t in tokenize(plan.query or plan.text) if t not in skip]
        asking = set(tokenize(_asking_part(plan.text)))
        if not plan.followup and len(asking) >= 3:  # a story, then the question: the story's words count as synonyms do
            asked = [t for t in asked if t in asking]
        related = [t for t in tokenize(plan.query or plan.text, expand=True) if t not in asked and t not in skip]
        related += [t for t in tokenize(TOPIC_WORDS.get(plan.topic or "", "")) if t not in asked]
        best = _best_sentences(
            hits[:4], asked + related, n, path=plan.path, idf=_weighted(self.kb.idf, set(related)), min_score=min_score,
            why=plan.intent == "why", own_path=own_path,
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
        citations = [Citation(id=h.id, section=h.section, text=h.text) for h in self.kb.get(ids)]
        return Turn(
            answer=text,
            citations=citations,
            fit=fit,
            follow_ups=["What are the red flags for this path?", "What are the three framework questions?", "When does burnout hit on this path?"],
        )

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
def search_query(plan: Plan) -> str:
    """What to search the store for: the question in its standalone form, with its topic's own
    words in the article's vocabulary ("will templates replace automation gigs?" also searches
    "commoditization ... floor drops"). On the blind sets this took R@3 from 0.64–0.67 to 0.73–0.84."""
    return f"{plan.query or plan.text} {TOPIC_WORDS.get(plan.topic or '', '')}".strip()


def _mentions(text: str, path: str) -> bool:
    t = text.lower()
    return bool(ENGINEERING.search(t)) if path == "engineering" else "automation" in t


def _overlaps(band: IncomeBand, period: Period) -> bool:
    lo, hi = period
    band_hi = band.months_to if band.months_to is not None else 10**6
    return band.months_from < (hi if hi is not None else 10**6) and lo < band_hi


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


def _sentences(text: str) -> list[str]:
    text = re.sub(r"(?m)^\s*(?:\d+[.)]|[-•·*])\s+", "", text)  # a list marker ("2.") is not a sentence
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n", text) if s.strip()]


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
) -> list[tuple[str, str]]:
    """Sentences ranked by the rarity-weighted words they share with the question.

    A short best sentence ("You finish an automation course.") is read with the one after it,
    which usually carries the answer. For a question that asks why, a sentence that gives a
    cause ("... because AI tools made automation accessible") counts ``CAUSE_BONUS`` more, and
    a cause in the next sentence ("Why? Because ...") is read with the one before it. With
    ``own_path``, only sentences (as read) that name ``path``. For a question after a
    quantity ("how much did the agency pay?"), a sentence with a number counts ``FIGURE_BONUS`` more.
    """
    weight = idf or (lambda _t: 1.0)
    wanted = set(terms)
    scored = []
    for rank, h in enumerate(hits):
        sentences = _sentences(h.text)
        for pos, sentence in enumerate(sentences):
            if exclude and exclude in sentence or len(sentence.split()) < 4:
                continue
            overlap = sum(weight(t) for t in wanted & set(tokenize(sentence)))
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
            scored.append((overlap - 0.3 * rank - 0.01 * pos, text, h.id))
    scored.sort(key=lambda s: -s[0])
    out: list[tuple[str, str]] = []
    for score, text, pid in scored:
        if out and score < RELATIVE * scored[0][0]:
            break
        if all(text not in s and s not in text for s, _ in out):
            out.append((text, pid))
        if len(out) == n:
            break
    return out


def _weighted(idf: Callable[[str], float], related: set[str]) -> Callable[[str], float]:
    """Words the person used count fully; words we added as synonyms count half."""
    return lambda term: idf(term) * (0.5 if term in related else 1.0)


def _fit_passages(answerer: OfflineAnswerer, fit: FitResult) -> list[str]:
    facts = answerer.facts
    ids: list[str] = []
    for r in fit.reasons:
        for q in facts.questions:
            if r.quote in (q.engineering, q.automation):
                ids.extend(pid for pid in q.passage_ids[:2] if pid not in ids)
        for f in facts.red_flags:
            if r.quote == f.flag and f.passage_id not in ids:
                ids.append(f.passage_id)
        for rec in facts.recommendations.values():
            if r.quote == rec.text and rec.passage_id not in ids:
                ids.append(rec.passage_id)
        row = facts.row("suited")
        if row and r.quote.endswith(row.engineering) and row.passage_id not in ids:
            ids.append(row.passage_id)
    return ids[:4]

