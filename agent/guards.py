"""Checks every LLM answer passes before a person sees it. Pure functions of their inputs.

- Grounding: each figure in the answer (₹ amounts, ranges like 8-14, numbers with or
  without units) must appear in the sources: the cited passages, the fact sheet, the fit
  result, the person's own message.
- Rendering: markdown images, raw HTML, and links to hosts outside an allowlist are removed,
  so an answer cannot load or point at anything. The web page runs the same ``sanitize`` on
  everything it shows, escaping raw HTML there instead of removing it.
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
from typing import Literal
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
# The lookahead at the start rejects most positions at once: without it this is many times slower.
_BARE_URL = re.compile(
    r"(?=[fhdjvw])(?:(?:https?|ftp)://[^\s<>()\[\]`]+|www\.[^\s<>()\[\]`]+|(?:data|javascript|vbscript):[^\s<>]+)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"(?:mailto:)?[\w.+-]*@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)  # a linkifier makes it a mailto: link


# Markup a sanitiser must look at: the symbols, or a scheme; "[at]:" ends every scheme and is found faster.
_MARKUP_SYMBOL = re.compile(r"[<>@]|!\[|\]\(|\]:|://|(?i:www\.)")
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


def sanitize(
    text: str, allowed_hosts: Iterable[str] = (), *, html: Literal["strip", "escape"] = "strip", removed: str = ""
) -> str:
    """Remove images and links to hosts outside ``allowed_hosts`` (empty: all), in Markdown and in HTML.

    Raw HTML is removed (``html="strip"``), or escaped so it shows as text (``"escape"``, for
    what a person typed); a link keeps its text, a bare URL or autolink becomes ``removed``.
    """
    allow = allowed_hosts_of(allowed_hosts)
    if not (_MARKUP_SYMBOL.search(text) or (_SCHEME_END.search(text) and _SCHEME.search(text))):
        return _tidy(text)
    out = text
    # Removing one construct can join the pieces around it into another ("<<a>b>"), so repeat.
    for _ in range(20):
        cleaned = _sanitize_once(out, allow, strip_tags=html == "strip", removed=removed)
        if cleaned == out:
            break
        out = cleaned
    # An image needs "![", HTML needs "<": without them Markdown can only show text.
    return out.replace("![", "!\\[").replace("<", "&lt;") if html == "escape" else out


def _sanitize_once(text: str, allow: frozenset[str], *, strip_tags: bool, removed: str) -> str:
    def url(m: re.Match[str]) -> str:
        return m.group(0) if link_allowed(m.group(0), allow) else removed

    out = _DROP_ELEMENT.sub("", _COMMENT.sub("", text)) if strip_tags else text
    out = _IMAGE.sub("", out)
    out = _AUTOLINK.sub(lambda m: m.group(1) if link_allowed(m.group(1), allow) else removed, out)
    out = _LINK.sub(lambda m: m.group(0) if link_allowed(m.group(2), allow) else m.group(1), out)
    out = _REF_DEF.sub(lambda m: m.group(0) if link_allowed(m.group(1), allow) else "", out)
    if strip_tags:
        out = _OPEN_TAG_TAIL.sub("", _TAG.sub("", out))
    out = _BARE_URL.sub(url, out)
    if "@" in out:
        out = _EMAIL.sub(url, out)
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
# A figure is read for what it means: "₹3-6 LPA", "3 to 6 lakh rupees" and "₹3L–₹6L" are one
# amount; "year two", "months 12-24" and "12 to 24 months" one period; "48 months" is "4 years".

_NUM = r"\d+(?:[.,]\d+)*"
_MONEY_UNIT = r"(?:lpa|lakhs?|lacs?|crores?|cr|thousand|k|l)"
_CUR = r"(?:₹|\brs\b\.?|\binr\b)"
_TIME_UNIT = r"(?:months?|mos?|years?|yrs?|weeks?|days?|hours?|hrs?)"
_END = r"(?:{cur}\s?)?(?P<{n}>{num})(?:\s?(?P<u{n}>{mu})\b)?"
_FIGURE = re.compile(
    r"(?P<btw>\b(?:between|from)\s+)?"
    r"(?P<pre>\b(?:months?|years?|yrs?|weeks?)\s+)?"
    + _END.format(cur=_CUR, n="a", num=_NUM, mu=_MONEY_UNIT)
    + r"(?:[ \t]{0,2}(?P<sep>-|–|—|‑|/|\bto\b|\bthrough\b|(?(btw)\band\b|(?!)))[ \t]{0,2}"
    + r"(?:(?:months?|years?|yrs?)\s+)?"
    + _END.format(cur=_CUR, n="b", num=_NUM, mu=_MONEY_UNIT)
    + r")?"
    r"(?P<plus>[ \t]?\+)?"
    rf"(?:[ \t]{{0,2}}(?P<pct>%|percent\b|per\s?cent\b)|[ \t]{{0,2}}(?P<post>{_TIME_UNIT})\b|[ \t]{{0,2}}(?P<rupees>rupees\b|{_CUR}))?"
    r"(?P<onward>[ \t]+(?:onwards?|and beyond|or more)\b)?",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_LIST_MARKER = re.compile(r"^([ \t]*)\d+[.)](?=\s)", re.MULTILINE)
_MONEY_FACTOR = {"k": 1_000, "thousand": 1_000, "l": 100_000, "lakh": 100_000, "lac": 100_000, "lpa": 100_000,
                 "cr": 10_000_000, "crore": 10_000_000}  # fmt: skip

_SMALL = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen").split()  # fmt: skip
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth".split()
_WORD_VALUE = {w: i for i, w in enumerate(_SMALL)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)} | {"hundred": 100}
_NUMBER_WORD = r"(?:(?:" + "|".join(_TENS) + r")(?:[\s-](?:" + "|".join(_SMALL[1:10]) + r"))?|" + "|".join(_SMALL) + r"|hundred)"
_AMOUNT_WORD = rf"(?:{_NUMBER_WORD}|\d+|an?)"
_WORDS = re.compile(
    rf"\b(?P<half>{_AMOUNT_WORD})\s+(?:(?P<hunit>years?|months?)\s+and\s+a\s+half|and\s+a\s+half\s+(?P<hunit2>years?|months?|lakhs?|crores?))\b"
    r"|\b(?P<halfyear>half\s+a\s+year)\b"
    rf"|\b(?P<ord>{'|'.join(_ORDINALS)}|\d+(?:st|nd|rd|th))\s+(?P<ounit>year|month)\b"
    rf"|\b(?P<word>{_NUMBER_WORD})\b",
    re.IGNORECASE,
)
_WORD_HINT = re.compile(
    r"\b(?:" + "|".join([*_SMALL, *_TENS, *_ORDINALS, "hundred", "half"]) + r")|\d(?:st|nd|rd|th)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Figure:
    text: str
    kind: str  # "money" (rupees), "month", "%", "week", "day", "hour", or "" for a bare number
    values: tuple[float, ...]  # in the kind's unit: rupees, months, …; one value, or a range's two ends
    raw: tuple[float, ...]  # the numbers as written, before any unit
    start: int = 0
    end: int = 0
    worded: bool = False  # written in words ("six months")
    open: bool = False  # "48+", "year 5 onward": from this value on

    @property
    def currency(self) -> bool:
        return self.kind == "money"


def _number(raw: str) -> float:
    raw = raw.replace(",", "")  # thousands separators, Indian or Western grouping
    if raw.count(".") > 1:  # "1.500.000" or a version number: the dots group digits
        raw = raw.replace(".", "")
    return float(raw)


def _word_number(word: str) -> float:
    w = word.lower()
    if w in ("a", "an"):
        return 1
    if w[0].isdigit():
        return float(w)
    parts = re.split(r"[\s-]+", w)
    return float(sum(_WORD_VALUE[p] for p in parts))


def _plain(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _digits(text: str) -> tuple[str, list[int], list[tuple[int, int]]]:
    """``text`` with numbers in words written as digits ("year two" → "year 2", "a year and a
    half" → "18 months"), where each of its characters came from in ``text``, and the spans written."""
    if not _WORD_HINT.search(text):
        return text, list(range(len(text) + 1)), []
    out: list[str] = []
    where: list[int] = []
    spans: list[tuple[int, int]] = []
    last = 0
    for m in _WORDS.finditer(text):
        if m.group("half"):
            unit = (m.group("hunit") or m.group("hunit2")).lower()
            value = _word_number(m.group("half")) + 0.5
            new = f"{_plain(value * 12)} months" if unit.startswith("year") else f"{_plain(value)} {unit}"
        elif m.group("halfyear"):
            new = "6 months"
        elif m.group("ord"):
            o = m.group("ord").lower()
            n = _ORDINALS.index(o) + 1 if o in _ORDINALS else int(o[:-2])
            new = f"{m.group('ounit')} {n}"
        else:
            new = _plain(_word_number(m.group("word")))
        out.append(text[last : m.start()])
        where.extend(range(last, m.start()))
        spans.append((sum(map(len, out)), sum(map(len, out)) + len(new)))
        out.append(new)
        where.extend([m.start()] * len(new))
        last = m.end()
    out.append(text[last:])
    where.extend(range(last, len(text) + 1))
    return "".join(out), where, spans


def _period(pre: str | None, post: str | None) -> tuple[str, float, bool]:
    """(kind, factor to the kind's unit, ordinal) of a time unit written before or after a number."""
    word = (pre or post or "").lower()
    if not word:
        return "", 1, False
    ordinal = pre is not None  # "year 2", "months 8-14": which one, not how long
    if word.startswith(("mo",)):
        return "month", 1, ordinal
    if word.startswith("y"):
        return "month", 12, ordinal
    for kind in ("week", "day", "hour"):
        if word.startswith(kind[0]):
            return kind, 1, ordinal
    return "", 1, False


def figures(text: str, *, words: bool = True) -> list[Figure]:
    """Every figure in ``text``, read for its meaning, in order.

    Citation markers and list numbering are not figures. A number written in words counts
    when a unit goes with it ("six months", "year two", "three lakh"); bare ("pick one") it
    counts only with ``words`` (sources: "five of your projects" grounds "5 projects").
    """
    masked = _mask(text)
    normal, where, spans = _digits(masked)
    if not _DIGIT.search(normal):  # citation ids hold digits but no figures
        return []
    found: list[Figure] = []
    pos = 0
    while m := _FIGURE.search(normal, pos):
        pos = max(m.end(), m.start() + 1)
        a = m.start("a")
        if not (m.group("btw") or m.group("pre")) and _CUR_BEFORE.match(normal, m.start()) is None:
            before = normal[max(0, a - 2) : a]
            if (
                before[-1:].isalpha()
                or before[-1:] in ("_", ".", ",")
                or before[-1:].isdigit()
                or (before[-1:] == "-" and before[:1].isalpha())
            ):
                pos = m.end("a")
                continue  # part of a name like "GPT-4" or "b2b", not a figure
        worded = any(s <= a < e for s, e in spans)
        fig = _read(m, normal, worded)
        if fig is None or (worded and not fig.kind and not words):
            continue
        start, end = where[m.start()], where[m.end()]
        is_open = bool(m.group("plus") or m.group("onward"))
        found.append(Figure(text[start:end].strip(), fig.kind, fig.values, fig.raw, start, end, worded, is_open))
    return found


_CUR_BEFORE = re.compile(_CUR, re.IGNORECASE)


def _read(m: re.Match[str], text: str, worded: bool) -> Figure | None:
    ua, ub = (m.group("ua") or "").lower(), (m.group("ub") or "").lower()
    raw = (_number(m.group("a")),) + ((_number(m.group("b")),) if m.group("b") else ())
    money = bool(ua or ub or m.group("rupees") or _CUR_BEFORE.search(m.group(0)))
    if money:
        # "3 to 6 lakh": the first end takes the second's unit, unless that would put it above the second ("₹60,000 to ₹1.5 lakh")
        units = (ua or (ub if len(raw) > 1 and raw[0] <= raw[1] else ""), ub or ua)
        amounts = tuple(v * _MONEY_FACTOR.get(u.rstrip("s"), 1) for v, u in zip(raw, units))
        return Figure("", "money", _rounded(amounts), raw)
    if m.group("pct"):
        return Figure("", "%", raw, raw)
    kind, factor, ordinal = _period(m.group("pre"), m.group("post"))
    if kind == "month" and factor == 12 and ordinal:  # "year 2" is months 12-24, "years 3-4" months 24-48
        values: tuple[float, ...] = (12 * (raw[0] - 1), 12 * raw[-1])
    else:
        values = tuple(v * factor for v in raw)
    return Figure("", kind, _rounded(values), raw)


def _rounded(values: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(round(v, 6) for v in values)


def _mask(text: str) -> str:
    """Blank out citation markers and list numbers, keeping offsets."""
    out = _CITE_GROUP.sub(lambda m: " " * len(m.group(0)), text)
    return _LIST_MARKER.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))), out)


def source_figures(sources: Iterable[str]) -> list[Figure]:
    """Figures of the source texts, bare numbers in words included."""
    return [f for s in sources for f in _source_figures(s)]


@lru_cache(maxsize=2048)
def _source_figures(source: str) -> tuple[Figure, ...]:
    # The same passages and fact sheet ground turn after turn, and every streamed step: read each once.
    return tuple(figures(source, words=True))


def grounded(figure: Figure, known: Sequence[Figure]) -> bool:
    """Whether a source states ``figure``, in any unit: a range must match a range end to end.

    A single amount of money must be one the source states alone (not a range's end: "₹3L"
    for "₹3-6L" is a misquote); a single period or count may be any value the source states.
    A source number without a unit ("(12-24)" beside "months 0-12") grounds any unit.
    """
    for k in known:
        if figure.kind == "money":
            if k.kind == "money" and k.values == figure.values:
                return True
            continue
        options: tuple[tuple[float, ...], ...]
        if not figure.kind:  # a bare number: as written, or in the source's unit
            options = (k.raw, k.values)
        elif k.kind == figure.kind:
            options = (k.values,)
        elif not k.kind and not k.worded:  # "pick one" grounds "1", never "1 month"
            options = (k.raw,)
        else:
            continue
        for values in options:
            if values == figure.values if len(figure.values) > 1 else figure.values[0] in values:
                return True
            # "year 5" (months 48-60) lies in "48+": a year-long stretch starting where an open-ended one does
            if (
                k.open
                and len(values) == 1
                and len(figure.values) == 2
                and figure.values[0] == values[0]
                and figure.values[1] - values[0] <= 12
            ):
                return True
    return False


def ungrounded_figures(answer: str, sources: Iterable[str]) -> list[str]:
    """Figures in ``answer`` that none of ``sources`` states; empty when all are grounded."""
    known = source_figures(sources)
    return [f.text for f in figures(answer, words=False) if not grounded(f, known)]


_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]*_]*(?:\s*\[\s*p:[^\]]*\])*(?=\s)|\n")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line of ``text``; together they cover all of it."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        while end < len(text) and text[end] in " \t\n":
            end += 1
        if end > start:
            spans.append((start, end))
            start = end
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def main_claim_end(text: str) -> int:
    """Where the answer's main claim ends: its first sentence, and the next when the first only leads in ("Here's how:")."""
    spans = [(s, e) for s, e in sentences(text) if text[s:e].strip()]
    if not spans:
        return 0
    first = strip_citations(text[spans[0][0] : spans[0][1]]).strip().rstrip("*_ ")
    return spans[1][1] if first.endswith(":") and len(spans) > 1 else spans[0][1]


def drop_sentences(text: str, positions: Iterable[int]) -> str:
    """``text`` without the sentences that hold any of ``positions``."""
    at = sorted(set(positions))
    kept = [text[s:e] for s, e in sentences(text) if not any(s <= p < e for p in at)]
    return "".join(kept).rstrip()


def sentence_start(text: str, at: int) -> int:
    """Where the sentence holding position ``at`` of ``text`` starts."""
    return next((s for s, e in sentences(text) if s <= at < e), at)


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
    ungrounded: tuple[str, ...] = ()  # figures no source states
    ungrounded_at: tuple[int, ...] = ()  # where each starts in the answer
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
    def build(cls, *, sources: Iterable[str], system_prompt: str, payloads: Iterable[str] = (), n: int = LEAK_WORDS) -> Grounds:
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
        bad = [f for f in figures(answer, words=False) if figures_from <= f.start < limit and not grounded(f, self.figures)]
        return Verdict(
            ungrounded=tuple(f.text for f in bad),
            ungrounded_at=tuple(f.start for f in bad),
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
