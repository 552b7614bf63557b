"""Checks every LLM answer passes before a person sees it. Pure functions of their inputs.

- Grounding: each figure in the answer (₹ amounts, ranges like 8-14, numbers with or
  without units) must appear in the sources: the cited passages, the fact sheet, the fit
  result, the person's own message.
- Rendering: markdown images, raw HTML, and links to hosts outside an allowlist are removed,
  so an answer cannot load or point at anything.
- Injection: the system prompt is never repeated, and whatever an injected instruction (in a
  passage or in the person's message) asked the model to say never comes out.

Also the small parsers that shape an answer: citation markers ``[p:<id>]``, the
``OUT OF SCOPE:`` marker and the closing ``Follow-ups:`` line the system prompt asks for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

# -- citations ---------------------------------------------------------------

_CITE_GROUP = re.compile(r"\[\s*((?:p:\s*[0-9a-fA-F]{4,64}\s*[,;]?\s*)+)\]")
_CITE_ID = re.compile(r"p:\s*([0-9a-fA-F]{4,64})")
MIN_ID_PREFIX = 8  # a shortened id still resolves when it is this long and unambiguous


def cited_ids(text: str) -> list[str]:
    """Ids named in ``[p:…]`` markers, in order of first mention."""
    seen: dict[str, None] = {}
    for group in _CITE_GROUP.finditer(text):
        for m in _CITE_ID.finditer(group.group(1)):
            seen.setdefault(m.group(1).lower(), None)
    return list(seen)


def resolve_citations(text: str, known_ids: Iterable[str]) -> tuple[str, list[str]]:
    """Keep markers only for known ids (full, or an unambiguous prefix); drop the rest.

    Returns the rewritten text, with each marker spelled ``[p:<full id>]``, and the ids in
    order of first mention.
    """
    known = list(dict.fromkeys(known_ids))
    order: dict[str, None] = {}

    def resolve(ref: str) -> str | None:
        ref = ref.lower()
        if ref in known:
            return ref
        if len(ref) >= MIN_ID_PREFIX:
            matches = [k for k in known if k.startswith(ref)]
            if len(matches) == 1:
                return matches[0]
        return None

    def rewrite(group: re.Match[str]) -> str:
        ids = [r for r in (resolve(m.group(1)) for m in _CITE_ID.finditer(group.group(1))) if r]
        ids = list(dict.fromkeys(ids))
        for i in ids:
            order.setdefault(i, None)
        return "".join(f"[p:{i}]" for i in ids)

    out = _CITE_GROUP.sub(rewrite, text)
    if out != text:  # a dropped marker leaves "claim ." or "a  b" behind
        out = _close_gaps(_close_punct_gaps(out))
    return out, list(order)


def strip_citations(text: str) -> str:
    return _CITE_GROUP.sub("", text)


# -- answer shape --------------------------------------------------------------

_SCOPE = re.compile(r"^\s*[*_]*out[ _-]of[ _-]scope[*_]*\s*[:.\-–—]\s*", re.IGNORECASE)
_FOLLOW_WORD = re.compile("follow", re.IGNORECASE)  # what _FOLLOW_UPS needs, found faster
_FOLLOW_UPS = re.compile(r"(?:^|\n)[ \t]*[*_#>-]*[ \t]*follow[- ]?ups?[*_]*[ \t]*:", re.IGNORECASE)


def strip_scope_marker(text: str) -> tuple[str, bool]:
    """The answer without a leading ``OUT OF SCOPE:`` marker, and whether it was in scope."""
    m = _SCOPE.match(text)
    return (text[m.end() :], False) if m else (text, True)


def follow_ups_start(text: str) -> int | None:
    m = _FOLLOW_UPS.search(text) if _FOLLOW_WORD.search(text) else None
    return m.start() if m else None


def split_answer(text: str) -> tuple[str, bool, list[str]]:
    """(body, in_scope, follow-up questions) of a raw model answer."""
    body, in_scope = strip_scope_marker(text)
    start = follow_ups_start(body)
    follow: list[str] = []
    if start is not None:
        tail = body[start:].split(":", 1)[1]
        body = body[:start]
        for part in re.split(r"\s*\|\s*|\n", tail):
            part = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", part).strip().strip("*_").strip()
            if part:
                follow.append(part)
    return body.strip(), in_scope, follow


# -- rendering -----------------------------------------------------------------

_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)|!\[[^\]\n]*\]\[[^\]\n]*\]")
_LINK = re.compile(r"(?<!!)\[([^\]\n]*)\]\(\s*<?((?:[^()\s<>]|\([^()\s]*\))*)>?(?:\s+[\"'][^\"'\n]*[\"'])?\s*\)")
_REF_DEF = re.compile(
    r"^[ \t]*\[[^\]\n]+\]:[ \t]*<?((?:[a-z][a-z0-9+.-]*:|/|www\.)\S*?)>?(?:[ \t]+.*)?$", re.MULTILINE | re.IGNORECASE
)
_DROP_ELEMENT = re.compile(r"<(script|style|iframe|object|embed|svg|math|template)\b.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<![A-Za-z][^<>]*>|<\?[^<>]*\?>")
_OPEN_TAG_TAIL = re.compile(r"<[A-Za-z/!?][^<>]*$")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto|data|javascript):[^<>\s]*)>", re.IGNORECASE)
# No word boundary: removing a link's markup can glue its text to a URL ("thttps://…").
_BARE_URL = re.compile(r"(?:https?|ftp)://[^\s<>()\[\]]+|(?:data|javascript|vbscript):\S+", re.IGNORECASE)


# Markup a sanitiser must look at: the symbols, or a scheme; "[at]:" ends every scheme and is found faster.
_MARKUP_SYMBOL = re.compile(r"[<>]|!\[|\]\(|\]:|://")
_SCHEME_END = re.compile(r"[at]:", re.IGNORECASE)
_SCHEME = re.compile(r"(?:data|javascript|vbscript):", re.IGNORECASE)
_GAP = re.compile(r"(?<=\S)[ \t]{2,}")
_GAP_PUNCT = re.compile(r"(?<=\S)[ \t]+([.,;:!?])(?=\s|$)")
_SPACE_PUNCT = re.compile(r"[ \t][.,;:!?]")  # what _GAP_PUNCT needs, found many times faster
_BLANK_LINES = re.compile(r"\n{3,}")


def allowed_hosts_of(hosts: Iterable[str]) -> frozenset[str]:
    """``hosts`` as ``link_allowed`` compares them: lower case, no leading or trailing dot."""
    return frozenset(h.lower().strip(".") for h in hosts if h.strip("."))


def link_allowed(url: str, hosts: frozenset[str]) -> bool:
    """Whether ``url`` is an http(s) link to one of ``hosts`` (see ``allowed_hosts_of``) or a subdomain of one."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not host:
        return False
    return any(host == h or host.endswith("." + h) for h in hosts)


def sanitize(text: str, allowed_hosts: Iterable[str] = ()) -> str:
    """Remove images, raw HTML and links to hosts outside ``allowed_hosts`` (empty: all)."""
    allow = allowed_hosts_of(allowed_hosts)
    if not (_MARKUP_SYMBOL.search(text) or (_SCHEME_END.search(text) and _SCHEME.search(text))):
        return _tidy(text)
    out = text
    # Removing one construct can join the pieces around it into another ("<<a>b>"), so repeat.
    for _ in range(20):
        cleaned = _sanitize_once(out, allow)
        if cleaned == out:
            break
        out = cleaned
    return out


def _sanitize_once(text: str, allow: frozenset[str]) -> str:
    out = _COMMENT.sub("", text)
    out = _DROP_ELEMENT.sub("", out)
    out = _IMAGE.sub("", out)
    out = _AUTOLINK.sub(lambda m: m.group(1) if link_allowed(m.group(1), allow) else "", out)
    out = _LINK.sub(lambda m: m.group(0) if link_allowed(m.group(2), allow) else m.group(1), out)
    out = _REF_DEF.sub(lambda m: m.group(0) if link_allowed(m.group(1), allow) else "", out)
    out = _OPEN_TAG_TAIL.sub("", _TAG.sub("", out))
    out = _BARE_URL.sub(lambda m: m.group(0) if link_allowed(m.group(0), allow) else "", out)
    return _tidy(out)


def _tidy(text: str) -> str:
    """Close the gaps a removed construct leaves ("word  word", "word ."), keeping indentation."""
    out = _close_punct_gaps(_close_gaps(text))
    return _BLANK_LINES.sub("\n\n", out) if "\n\n\n" in out else out


# A streamed answer is shaped again at every step: the substitutions run only where they can match.
def _close_gaps(text: str) -> str:
    return _GAP.sub(" ", text) if "  " in text or "\t" in text else text


def _close_punct_gaps(text: str) -> str:
    return _GAP_PUNCT.sub(r"\1", text) if _SPACE_PUNCT.search(text) else text


# -- grounding -----------------------------------------------------------------

_NUM = r"\d+(?:[.,]\d+)*"
_CUR_UNIT = r"(?:lakhs?|lacs?|crores?|cr|k|l)"
_CURRENCY = re.compile(
    rf"(?:₹|\brs\.?|\binr)\s?(?P<a>{_NUM})\s?(?P<ua>{_CUR_UNIT})?\b"
    rf"(?:\s*(?:-|–|—|to)\s*(?:₹|rs\.?\s?|inr\s?)?(?P<b>{_NUM})\s?(?P<ub>{_CUR_UNIT})?\b)?",
    re.IGNORECASE,
)
_UNIT_WORD = r"(?:months?|mos?|years?|yrs?|weeks?|days?|hours?|hrs?|percent|per cent)"
_PLAIN = re.compile(
    rf"(?<![\d.,])(?P<a>{_NUM})(?:\s*(?:-|–|—|/|to)\s*(?P<b>{_NUM}))?\+?"
    rf"(?:\s*(?P<pct>%)|\s*(?P<post>{_UNIT_WORD})\b)?",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_PRE_UNIT = re.compile(rf"\b(?P<pre>{_UNIT_WORD})\s+$", re.IGNORECASE)
_LIST_MARKER = re.compile(r"^([ \t]*)\d+[.)](?=\s)", re.MULTILINE)
_CUR_FACTOR = {"k": 1_000, "l": 100_000, "lakh": 100_000, "lac": 100_000, "cr": 10_000_000, "crore": 10_000_000}
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "hundred": "100"}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class Figure:
    text: str
    currency: bool
    values: tuple[float, ...]
    unit: str  # "month", "year", "week", "day", "hour", "%", or "" when none is written
    start: int = 0
    end: int = 0


def _number(raw: str) -> float:
    raw = raw.replace(",", "")  # thousands separators, Indian or Western grouping
    if raw.count(".") > 1:  # "1.500.000" or a version number: the dots group digits
        raw = raw.replace(".", "")
    return float(raw)


def _unit_of(word: str | None) -> str:
    if not word:
        return ""
    w = word.lower()
    if w.startswith("per") or w == "%":
        return "%"
    for unit, prefixes in (("month", ("mo",)), ("year", ("y",)), ("week", ("w",)), ("day", ("d",)), ("hour", ("h",))):
        if w.startswith(prefixes):
            return unit
    return ""


def _rupees(num: str, unit: str | None, fallback: str | None) -> float:
    u = (unit or fallback or "").lower().rstrip("s")
    return _number(num) * _CUR_FACTOR.get(u, 1)


def figures(text: str) -> list[Figure]:
    """Every figure in ``text``: currency amounts and ranges first, then other numbers.

    Citation markers and list numbering are not figures.
    """
    masked = _mask(text)
    if not _DIGIT.search(masked):  # citation ids hold digits but no figures
        return []
    found: list[Figure] = []
    taken: list[tuple[int, int]] = []
    for m in _CURRENCY.finditer(masked):
        a, b = m.group("a"), m.group("b")
        values = (_rupees(a, m.group("ua"), m.group("ub")),)
        if b:
            values += (_rupees(b, m.group("ub"), None),)
        found.append(Figure(m.group(0).strip(), True, values, "", m.start(), m.end()))
        taken.append((m.start(), m.end()))
    for m in _PLAIN.finditer(masked):
        if any(s <= m.start("a") < e for s, e in taken):
            continue
        before = masked[max(0, m.start("a") - 2) : m.start("a")]
        if before[-1:].isalpha() or before[-1:] in ("₹", "_") or (before[-1:] == "-" and before[:1].isalpha()):
            continue  # part of a name like "GPT-4" or "b2b", not a figure
        values = (_number(m.group("a")),) + ((_number(m.group("b")),) if m.group("b") else ())
        start = m.start()
        pre = None
        if not (m.group("pct") or m.group("post")):
            pre = _PRE_UNIT.search(masked, max(0, start - 12), start)
            start = pre.start() if pre else start
        unit = _unit_of(m.group("pct") or m.group("post") or (pre.group("pre") if pre else None))
        found.append(Figure(masked[start : m.end()].strip(), False, values, unit, start, m.end()))
    return sorted(found, key=lambda f: f.start)


def _mask(text: str) -> str:
    """Blank out citation markers and list numbers, keeping offsets."""
    out = _CITE_GROUP.sub(lambda m: " " * len(m.group(0)), text)
    return _LIST_MARKER.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))), out)


def source_figures(sources: Iterable[str]) -> list[Figure]:
    """Figures of the source texts, reading number words ("six months") as digits too."""
    return [f for s in sources for f in _source_figures(s)]


@lru_cache(maxsize=2048)
def _source_figures(source: str) -> tuple[Figure, ...]:
    # The same passages and fact sheet ground turn after turn, and every streamed step: read each once.
    found = figures(source)
    worded = _NUMBER_WORD.sub(lambda m: _NUMBER_WORDS[m.group(1).lower()], source)
    if worded != source:
        found += figures(worded)
    return tuple(found)


def grounded(figure: Figure, known: Sequence[Figure]) -> bool:
    """A range must match a source range exactly; a single number may be any source value.

    Units must agree when both sides write one. Currency matches currency only.
    """
    for k in known:
        if k.currency != figure.currency:
            continue
        if figure.unit and k.unit and figure.unit != k.unit:
            continue
        if figure.currency or len(figure.values) > 1:
            if k.values == figure.values:
                return True
        elif figure.values[0] in k.values:
            return True
    return False


def ungrounded_figures(answer: str, sources: Iterable[str]) -> list[str]:
    """Figures in ``answer`` that none of ``sources`` states; empty when all are grounded."""
    known = source_figures(sources)
    return [f.text for f in figures(answer) if not grounded(f, known)]


# -- injection -----------------------------------------------------------------

_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,40}?\b(?:instructions?|prompts?|rules|directions|guidelines|guardrails)\b"
    r"|\bsystem prompt\b|\byou are now\b|\bnew instructions?\b|\bdeveloper mode\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n|$)")
_SAY = re.compile(
    r"\b(?:say|print|output|write|reply with|respond with|answer with|repeat|include|type|append)\s+"
    r"(?:the (?:word|phrase|code|string)\s+)?[\"“'`]?([^\"”'`.!?,;\n]{1,60})",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[\"“'`]([^\"”'`\n]{2,80})[\"”'`]")
_CODE_TOKEN = re.compile(r"\b[A-Za-z]*[A-Z][A-Za-z]*[-_]?\d[\w-]*\b|\b[A-Z]{2,}[-_][A-Z0-9-]+\b")


def looks_injected(text: str) -> bool:
    """Whether ``text`` contains an instruction aimed at the model rather than a reader."""
    return _INJECTION.search(text) is not None


def injection_payloads(text: str) -> list[str]:
    """What injected instructions in ``text`` try to make the model output.

    From each sentence that reads as an injection: quoted strings, the words after "say",
    "print", "reply with" and the like, and code-like tokens such as ``CANARY-123``.
    """
    payloads: dict[str, None] = {}
    for m in _SENTENCE.finditer(text):
        sentence = m.group(0)
        if not sentence.strip() or not looks_injected(sentence):
            continue
        # The trigger words themselves ("ignore your instructions") are not a payload.
        candidates = [q.group(1) for q in _QUOTED.finditer(sentence)]
        candidates += [s.group(1) for s in _SAY.finditer(sentence)]
        candidates += [t.group(0) for t in _CODE_TOKEN.finditer(sentence)]
        for c in candidates:
            c = c.strip()
            if len(c) >= 3 and not _INJECTION.fullmatch(c):
                payloads.setdefault(c, None)
    return list(payloads)


def leaked_payload(answer: str, payloads: Iterable[str]) -> str | None:
    low = answer.lower()
    return next((p for p in payloads if p.lower() in low), None)


_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
LEAK_WORDS = 12  # this many consecutive words of the system prompt in an answer is a leak


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def _ngrams(words: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def prompt_leak(answer: str, system_prompt: str, *, sources: Iterable[str] = (), n: int = LEAK_WORDS) -> str | None:
    """The first run of ``n`` words the answer shares with the system prompt, if any.

    Runs that also occur in ``sources`` (the article) do not count: quoting the article is
    allowed even where the prompt happens to use the same words.
    """
    return _leak(answer, _prompt_grams(system_prompt, sources, n), n)


def _prompt_grams(system_prompt: str, sources: Iterable[str], n: int) -> frozenset[tuple[str, ...]]:
    return _text_grams(system_prompt, n).difference(*(_text_grams(s, n) for s in sources))


@lru_cache(maxsize=2048)
def _text_grams(text: str, n: int) -> frozenset[tuple[str, ...]]:
    return frozenset(_ngrams(_words(text), n))


def _leak(answer: str, grams: frozenset[tuple[str, ...]], n: int) -> str | None:
    words = _words(answer)
    for i in range(len(words) - n + 1):
        gram = tuple(words[i : i + n])
        if gram in grams:
            return " ".join(gram)
    return None


# -- all together ----------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    ungrounded: tuple[str, ...] = ()
    leaked_prompt: str | None = None
    leaked_payload: str | None = None

    @property
    def ok(self) -> bool:
        return not (self.ungrounded or self.leaked_prompt or self.leaked_payload)

    @property
    def unsafe(self) -> bool:
        return bool(self.leaked_prompt or self.leaked_payload)

    def describe(self) -> str:
        parts = []
        if self.ungrounded:
            parts.append("ungrounded figures " + ", ".join(self.ungrounded))
        if self.leaked_prompt:
            parts.append(f"system prompt text {self.leaked_prompt!r}")
        if self.leaked_payload:
            parts.append(f"injected payload {self.leaked_payload!r}")
        return "; ".join(parts) or "ok"


@dataclass(frozen=True)
class Grounds:
    """What an answer is checked against, prepared once so a streamed answer is cheap to re-check."""

    figures: tuple[Figure, ...]
    prompt_grams: frozenset[tuple[str, ...]]
    payloads: tuple[str, ...]
    n: int = LEAK_WORDS

    @classmethod
    def build(
        cls, *, sources: Iterable[str], system_prompt: str, payloads: Iterable[str] = (), n: int = LEAK_WORDS
    ) -> Grounds:
        sources = list(sources)
        return cls(
            figures=tuple(source_figures(sources)),
            prompt_grams=_prompt_grams(system_prompt, sources, n),
            payloads=tuple(dict.fromkeys(payloads)),
            n=n,
        )

    def extend(self, sources: Iterable[str] = (), payloads: Iterable[str] = ()) -> Grounds:
        sources = [s for s in sources if s]
        return Grounds(
            figures=self.figures + tuple(source_figures(sources)),
            prompt_grams=self.prompt_grams.difference(*(_text_grams(s, self.n) for s in sources)),
            payloads=tuple(dict.fromkeys([*self.payloads, *payloads])),
            n=self.n,
        )

    def check(self, answer: str, *, figures_from: int = 0, figures_before: int | None = None) -> Verdict:
        """All guards on ``answer``; figures only where they start in [figures_from, figures_before)."""
        limit = len(answer) if figures_before is None else figures_before
        return Verdict(
            ungrounded=tuple(
                f.text
                for f in figures(answer)
                if figures_from <= f.start < limit and not grounded(f, self.figures)
            ),
            leaked_prompt=_leak(answer, self.prompt_grams, self.n),
            leaked_payload=leaked_payload(answer, self.payloads),
        )


def check_answer(
    answer: str,
    *,
    sources: Sequence[str],
    system_prompt: str,
    payloads: Iterable[str] = (),
) -> Verdict:
    """Every guard on a (sanitised) answer: figures grounded, no prompt, no injected payload."""
    return Grounds.build(sources=sources, system_prompt=system_prompt, payloads=payloads).check(answer)
