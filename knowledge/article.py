"""Turn a raw article into clean, sectioned passages with stable ids.

The parser knows the shapes of a blog article (title, headings, paragraphs, lead-in lines
ending in ':' or '?', a comparison table whose cell separators were lost, page furniture)
but nothing of this article's topic, so ``pathwise ingest`` works on other articles too.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from pydantic import BaseModel

from pathwise.knowledge.repair import repair_text

SHORT_WORDS = 15  # a paragraph shorter than this is folded into its neighbour
LEAD_IN_SPAN = 2  # passages after the one holding a lead-in that still index its words
RESTATES_MIN_WORDS = 3  # shared words that make a prose passage the source of a table cell
_CELL_BOUNDARY = re.compile(r"(?<=[a-z)])(?=[A-Z0-9])")
_LIST_ITEM = re.compile(r"^(\d+[.)]|[-•·*])\s+")
_FURNITURE_LINE = re.compile(
    r"^(share with|leave a comment|related posts?\b.*|.*\bjoin (telegram|whatsapp)\b.*|"
    r"(telegram|whatsapp)\b.*)$",
    re.IGNORECASE,
)
_END_OF_ARTICLE = re.compile(r"^(related posts?|share with|leave a comment)\b", re.IGNORECASE)


class Passage(BaseModel):
    """One retrievable unit: verbatim article text plus the section it sits in."""

    id: str
    section: str
    text: str
    kind: str = "paragraph"  # paragraph | table_row | title
    context: str = ""  # heading and lead-in words used for indexing, never shown as a quote
    order: int = 0
    source: str = ""
    # table rows only: column header -> id of the prose passage that says the same at length
    restated_by: dict[str, str] = {}

    @property
    def index_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text


class TableRow(BaseModel):
    cells: list[str]


class ParsedArticle(BaseModel):
    title: str
    passages: list[Passage]
    table_header: list[str] = []
    table: list[TableRow] = []
    source: str = ""


def passage_id(section: str, text: str) -> str:
    return hashlib.sha256(f"{section}\n{text}".encode()).hexdigest()[:16]


def _words(line: str) -> list[str]:
    return line.split()


def _ends_sentence(line: str) -> bool:
    return line.rstrip().endswith((".", "!", "?", ":", ";", ",", '"', "”", "’", ")")) and not _is_title_case(line)


def _is_title_case(line: str) -> bool:
    significant: list[str] = [w for w in re.findall(r"[A-Za-z][\w’'-]*", line) if len(w) >= 4]
    if not significant:
        return False
    capitalised = sum(w[0].isupper() for w in significant)
    return capitalised / len(significant) >= 0.6


def _is_heading(line: str) -> bool:
    if _LIST_ITEM.match(line) or len(_words(line)) > 14:
        return False
    if line.rstrip().endswith((".", "!", "?", ":", ";", ",")):
        return False
    return _is_title_case(line)


def _is_caption(line: str) -> bool:
    """Image alt text left in the page: short, unpunctuated, not a heading, not a list item."""
    return (
        len(_words(line)) <= 10
        and not line.rstrip().endswith((".", "!", "?", ":", ";", ",", ")"))
        and not _LIST_ITEM.match(line)
        and not _is_title_case(line)
    )


def _split_cells(line: str) -> list[str]:
    return [c.strip() for c in _CELL_BOUNDARY.split(line) if c.strip()]


def _table_header(line: str) -> list[str] | None:
    cells = _split_cells(line)
    if len(cells) >= 3 and len(_words(line)) <= 8 and all(len(_words(c)) <= 4 for c in cells):
        return cells
    return None


def _is_lead_in(line: str) -> bool:
    """A line that introduces what follows: a short question, or a sentence ending in a colon."""
    end = line.rstrip()
    return (end.endswith("?") and len(_words(line)) <= 15) or (end.endswith(":") and len(_words(line)) <= 30)


@dataclass
class _Builder:
    source: str
    passages: list[Passage] = field(default_factory=list)

    def add(self, section: str, text: str, *, kind: str = "paragraph", context: str = "") -> None:
        text = re.sub(r"[ \t]+", " ", text).strip()
        self.passages.append(
            Passage(
                id=passage_id(section, text),
                section=section,
                text=text,
                kind=kind,
                context=context,
                order=len(self.passages),
                source=self.source,
            )
        )


def parse_article(raw: str, source: str = "") -> ParsedArticle:
    text = repair_text(raw)
    lines = [ln.strip() for ln in text.split("\n")]
    kept: list[str] = []
    for line in lines:
        if _END_OF_ARTICLE.match(line):
            break
        if line and not _FURNITURE_LINE.match(line):
            kept.append(line)
    if not kept:
        return ParsedArticle(title="", passages=[], source=source)

    title = kept[0]
    build = _Builder(source=source)
    header: list[str] = []
    table: list[TableRow] = []

    # Group into sections of paragraphs; a table becomes rows.
    sections: list[tuple[str, list[str]]] = [(title, [])]
    i = 1
    while i < len(kept):
        line = kept[i]
        cells = _table_header(line) if not header else None
        if cells:
            width = len(cells)
            rows = []
            j = i + 1
            while j < len(kept) and len(_split_cells(kept[j])) == width and not _is_heading(kept[j]):
                rows.append(_split_cells(kept[j]))
                j += 1
            if rows:
                header = cells
                table = [TableRow(cells=r) for r in rows]
                section = sections[-1][0]
                for row in rows:
                    first, rest = row[0], row[1:]
                    body = f"{first}: " + "; ".join(f"{h}: {c}" for h, c in zip(header[1:], rest))
                    build.add(section, body, kind="table_row", context=f"Comparison table: {first}")
                i = j
                continue
        if _is_heading(line):
            sections.append((" ".join(line.split()), []))
        elif _is_caption(line) and not _is_lead_in(line):
            pass
        else:
            sections[-1][1].append(line)
        i += 1

    for section, paras in sections:
        _chunk_section(build, section, paras, is_title=section == title)
    _link_rows_to_prose(build.passages, header, table)
    return ParsedArticle(title=title, passages=build.passages, table_header=header, table=table, source=source)


def _chunk_section(build: _Builder, section: str, paras: list[str], *, is_title: bool) -> None:
    """Paragraph-sized passages; lead-ins and short lines are folded into their neighbours."""
    chunks: list[tuple[str, str]] = []  # (text, lead-in context)
    pending: list[str] = []
    lead, lead_at = "", 0
    for para in paras:
        if _is_lead_in(para) and not _LIST_ITEM.match(para):  # a listed question is an item, not a new lead-in
            if pending and not pending[-1].rstrip().endswith(":"):
                _flush_pending(chunks, pending, _governing(lead, lead_at, len(chunks)))
                pending = []
            lead, lead_at = para, len(chunks)
            pending.append(para)
            continue
        if len(_words(para)) < SHORT_WORDS or _LIST_ITEM.match(para):
            pending.append(para)
            continue
        chunks.append(("\n".join([*pending, para]), _governing(lead, lead_at, len(chunks))))
        pending = []
    if pending:
        _flush_pending(chunks, pending, _governing(lead, lead_at, len(chunks)))
    for text, ctx in chunks:
        context = section if not ctx or ctx in text.split("\n")[0] else f"{section}. {ctx}"
        build.add(section, text, context=context)


def _flush_pending(chunks: list[tuple[str, str]], pending: list[str], lead: str) -> None:
    """Short lines left over join the passage before them, unless they open or list something."""
    listing = sum(1 for p in pending if _LIST_ITEM.match(p)) >= 2
    if chunks and not _is_lead_in(pending[0]) and not listing:
        text, ctx = chunks[-1]
        chunks[-1] = (text + "\n" + "\n".join(pending), ctx)
    else:
        chunks.append(("\n".join(pending), lead))


def _governing(lead: str, lead_at: int, index: int) -> str:
    """A lead-in introduces a short run of passages (a question and its answers, a list of
    flags); past that run it no longer describes what follows, so it stops being indexed."""
    return lead if index - lead_at <= LEAD_IN_SPAN else ""


def _link_rows_to_prose(passages: list[Passage], header: list[str], table: list[TableRow]) -> None:
    """Point each table cell at the prose passage that states it at length.

    A comparison table summarises the article: "8/14 months (data wall, ambiguity)" is the
    paragraph "AI Engineers hit the wall at months 8-14 ... you hit the data wall" in brief.
    A cell's source is the paragraph sharing the most of its words (header words aside, number
    ranges split), when that is at least ``RESTATES_MIN_WORDS`` and no other paragraph ties it.
    """
    from pathwise.knowledge.lexical import tokenize

    def words(text: str) -> set[str]:
        return set(tokenize(re.sub(r"(\d+)[/-](\d+)", r"\1 \2", text)))

    header_words = set().union(*(words(h) for h in header[1:])) if header else set()
    prose = [(p, words(p.text) - header_words) for p in passages if p.kind == "paragraph"]
    for row, cells in zip((p for p in passages if p.kind == "table_row"), table):
        links = {}
        for column, cell in zip(header[1:], cells.cells[1:]):
            cell_words = words(cell) - header_words
            shared = sorted(((len(cell_words & w), i) for i, (_, w) in enumerate(prose)), reverse=True)
            if shared and shared[0][0] >= RESTATES_MIN_WORDS and (len(shared) == 1 or shared[1][0] < shared[0][0]):
                links[column] = prose[shared[0][1]][0].id
        row.restated_by = links
