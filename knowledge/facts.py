"""The article's claims as typed facts, each pointing at the passage it was read from.

Facts are extracted from the parsed passages with patterns, never typed in by hand, so a
changed article either yields changed facts or a clear error. Every quoted figure is a
verbatim span of its passage (a test checks this).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field

from pathwise.errors import StoreError
from pathwise.knowledge.article import ParsedArticle, Passage

PathName = Literal["engineering", "automation"]
PATHS: tuple[PathName, PathName] = ("engineering", "automation")
PATH_LABEL: dict[str, str] = {"engineering": "AI Engineer", "automation": "AI Automation Specialist"}


class IncomeBand(BaseModel):
    path: PathName
    figure: str  # as written, e.g. "₹3-6L" or "Variable consulting rates"
    period: str  # as written, e.g. "(12-24)" or "(months 0-12)"
    qualifier: str = ""  # "projects", "monthly", ""
    currency: str = "INR"
    low: float | None = None  # in rupees
    high: float | None = None
    unit: str = ""  # "L" (lakh), "k" (thousand) or ""
    months_from: int
    months_to: int | None  # None: open-ended ("48+")
    passage_id: str

    @property
    def quote(self) -> str:
        return f"{self.figure} {self.qualifier} {self.period}".replace("  ", " ")

    @property
    def basis(self) -> str:
        """What one figure counts, as the article gives it: per project, per month, or not stated."""
        q = self.qualifier.lower()
        return "per project" if q.startswith("project") else "per month" if q.startswith("month") else "not stated"

    def covers(self, month: int) -> bool:
        return self.months_from <= month and (self.months_to is None or month < self.months_to)


class Burnout(BaseModel):
    path: PathName
    months_from: int
    months_to: int
    quote: str  # "hit the wall at months 8-14"
    causes: str  # from the table, e.g. "data wall, ambiguity"
    passage_id: str
    detail_passage_ids: list[str]


class TableFact(BaseModel):
    dimension: str
    engineering: str
    automation: str
    passage_id: str


class FrameworkQuestion(BaseModel):
    question: str
    engineering: str  # the article's sentence pointing to engineering
    automation: str
    passage_ids: list[str]


class RedFlag(BaseModel):
    path: PathName
    flag: str  # first sentence, e.g. "You need frequent validation."
    passage_id: str


class Quote(BaseModel):
    text: str
    passage_id: str


class FactSheet(BaseModel):
    incomes: list[IncomeBand]
    burnout: list[Burnout]
    table: list[TableFact]
    questions: list[FrameworkQuestion]
    red_flags: list[RedFlag]
    commitment: Quote  # "pick one for 18 months minimum"
    recommendations: dict[str, Quote]  # path -> "Choose ... if you want ..."
    verdict: Quote  # "Neither is better. They compound different things."
    hiring: Quote  # who hires which path: "This flips depending on company size. A startup ..."
    # The article's scenes of each path at work: "An AI Engineer debugs why ...", "An Automation Specialist is in a different meeting."
    scene_ids: list[str] = Field(default_factory=list)

    def income(self, path: str) -> list[IncomeBand]:
        return [b for b in self.incomes if b.path == path]

    def burnout_of(self, path: str) -> Burnout:
        return next(b for b in self.burnout if b.path == path)

    def row(self, word: str) -> TableFact | None:
        return next((r for r in self.table if word.lower() in r.dimension.lower()), None)

    def flags(self, path: str) -> list[RedFlag]:
        return [f for f in self.red_flags if f.path == path]


_BAND = re.compile(
    r"(?P<figure>₹[\d.,]+(?:[kL])?(?:-[\d.,]+[kL]?)?|Variable consulting rates)\s*"
    r"(?P<qual>projects|monthly)?\s*"
    r"(?P<period>\((?:months )?(?P<a>\d+)(?:-(?P<b>\d+)(?: months)?|\+)\))"
)
_UNIT = {"L": 100_000, "k": 1_000, "": 1}


def _amounts(figure: str) -> tuple[float | None, float | None, str]:
    nums = re.findall(r"([\d.,]+)([kL]?)", figure)
    if not nums:
        return None, None, ""
    unit = nums[-1][1]
    values = [float(n.replace(",", "")) * _UNIT[u or unit] for n, u in nums]
    return values[0], values[-1], unit


def _path_of(text: str) -> PathName | None:
    t = text.lower()
    if "automation" in t:
        return "automation"
    if "engineer" in t:
        return "engineering"
    return None


def _find(passages: list[Passage], pattern: str, flags: int = re.IGNORECASE) -> tuple[Passage, re.Match[str]]:
    rx = re.compile(pattern, flags)
    for p in passages:
        m = rx.search(p.text)
        if m:
            return p, m
    raise StoreError(f"the article no longer states what the fact sheet expects ({pattern!r})")


def _first_sentence(text: str) -> str:
    m = re.match(r'(.+?[.!?][”"’]?)(\s|$)', text)
    return m.group(1) if m else text


def build_facts(article: ParsedArticle) -> FactSheet:
    ps = article.passages
    incomes: list[IncomeBand] = []
    for p in ps:
        head = re.match(r"(AI Engineers|Automation Specialists):", p.text.split("\n")[-1])
        line = p.text.split("\n")[-1]
        if not head:
            continue
        path = _path_of(head.group(1))
        assert path is not None
        for m in _BAND.finditer(line):
            low, high, unit = _amounts(m.group("figure"))
            incomes.append(
                IncomeBand(
                    path=path,
                    figure=m.group("figure"),
                    qualifier=m.group("qual") or "",
                    period=m.group("period"),
                    low=low,
                    high=high,
                    unit=unit,
                    months_from=int(m.group("a")),
                    months_to=int(m.group("b")) if m.group("b") else None,
                    passage_id=p.id,
                )
            )
    if {b.path for b in incomes} != set(PATHS):
        raise StoreError("the article's income lines could not be read")

    table = [
        TableFact(dimension=r.cells[0], engineering=r.cells[1], automation=r.cells[2], passage_id=p.id)
        for r, p in zip(article.table, [p for p in ps if p.kind == "table_row"])
    ]
    burn_row = next((t for t in table if "burnout" in t.dimension.lower()), None)

    burnout = []
    for path, pattern in (
        ("engineering", r"AI Engineers (hit the wall at months (\d+)-(\d+))"),
        ("automation", r"Automation Specialists (break at months (\d+)-(\d+))"),
    ):
        p, m = _find(ps, pattern)
        after = [q.id for q in ps if q.order > p.order and q.section == p.section][:2]
        causes = ""
        if burn_row:
            cell = burn_row.engineering if path == "engineering" else burn_row.automation
            inside = re.search(r"\((.+)\)", cell)
            causes = inside.group(1) if inside else cell
        burnout.append(
            Burnout(
                path=path,
                months_from=int(m.group(2)),
                months_to=int(m.group(3)),
                quote=m.group(1),
                causes=causes,
                passage_id=p.id,
                detail_passage_ids=after,
            )
        )

    questions = []
    for p in ps:
        asked = [line for line in p.text.split("\n") if line.endswith("?")]
        if p.section.lower().startswith("a framework") and asked:
            first = asked[0]
            body = [p, *[q for q in ps if q.order > p.order and q.context.endswith(first)]][:3]
            eng = next((_sentence_with(q.text, "engineering") for q in body if _sentence_with(q.text, "engineering")), "")
            auto = next((_sentence_with(q.text, "automation") for q in body if _sentence_with(q.text, "automation")), "")
            questions.append(
                FrameworkQuestion(question=first, engineering=eng, automation=auto, passage_ids=[q.id for q in body])
            )

    flags = []
    for p in ps:
        lead = re.search(r"struggle with (AI Engineering|Automation) if:", p.context + "\n" + p.text)
        if lead:
            last = p.text.split("\n")[-1]
            if last.startswith("You"):
                flags.append(RedFlag(path=_path_of(lead.group(1)) or "engineering", flag=_first_sentence(last), passage_id=p.id))

    cp, cm = _find(ps, r"pick one for \d+ months minimum")
    recs = {}
    for path, word in (("engineering", "AI Engineering"), ("automation", "Automation")):
        p, m = _find(ps, rf"Choose {word} if you want [^.]+\.", 0)
        recs[path] = Quote(text=m.group(0), passage_id=p.id)

    vp, vm = _find(ps, r"Neither is better\.[^.]*\.")
    hp, hm = _find(ps, r"[^.\n]*depending on company size\.[^\n]*")
    scenes = [p.id for p in ps if re.match(r"An (?:AI Engineer|Automation Specialist)\b", p.text)]

    return FactSheet(
        incomes=incomes,
        burnout=burnout,
        table=table,
        questions=questions,
        red_flags=flags,
        commitment=Quote(text=cm.group(0), passage_id=cp.id),
        recommendations=recs,
        verdict=Quote(text=vm.group(0), passage_id=vp.id),
        hiring=Quote(text=hm.group(0).strip(), passage_id=hp.id),
        scene_ids=scenes,
    )


def _sentence_with(text: str, word: str) -> str:
    """The first sentence that names a path and says what suits it."""
    for sentence in re.split(r"(?<=[.!?])\s+", text.replace("\n", " ")):
        s = sentence.lower()
        if word in s and any(k in s for k in ("thrive", "matches", "is about", "answer is usually")):
            return sentence.strip()
    return ""


@lru_cache(maxsize=1)
def bundled_facts() -> FactSheet:
    from pathwise.knowledge.corpus import bundled_article

    return build_facts(bundled_article())
