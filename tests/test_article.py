"""Parsing: page furniture goes, the flattened table comes back as rows, passages carry their
section and stable content-hash ids, and nothing in the parser is specific to this article."""

from __future__ import annotations

import pytest

from pathwise.knowledge.article import ParsedArticle, parse_article, passage_id
from pathwise.knowledge.corpus import ARTICLE_NAME, bundled_article, bundled_text
from pathwise.knowledge.repair import repair_text

FURNITURE = [
    "Man working laptop on late night",  # image alt text
    "man working with laptop with low night",
    "Related Posts",
    "Share with",
    "Leave a Comment",
    "Telegram",
    "WhatsApp",
    # the related-post links under "Related Posts"
    "Why Most People Fail in AI Engineering",
    "AI Automation Builder Blueprint",
    "a Smart Career Move or a Big Mistake",
]

HEADINGS = [  # the article's own headings, in order
    "AI Engineer vs AI Automation Final Essential Table (2026)",
    "What Actually Happens After You Learn",
    "The Unspoken Gatekeeping",
    "The Part That Breaks People",
    "The Skill That Actually Transfers",
    "The 2026 Reality Check",
    "The Question You’re Actually Asking",
    "Where Most People Actually Fail",
    "The Personality Red Flags Nobody Mentions",
    "A Framework That Actually Helps",
]
TITLE = "AI Engineer vs AI Automation in 2026: Same Field, Opposite Burnout Paths"


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def article() -> ParsedArticle:
    return bundled_article()


@pytest.fixture(scope="module")
def clean_text() -> str:
    return squash(repair_text(bundled_text()))


# -- furniture ---------------------------------------------------------------------------------
@pytest.mark.parametrize("furniture", FURNITURE)
def test_page_furniture_is_dropped(article: ParsedArticle, furniture: str) -> None:
    assert furniture.lower() in repair_text(bundled_text()).lower()  # it was there to drop
    for p in article.passages:
        for field in (p.text, p.section, p.context):
            assert furniture.lower() not in field.lower(), (p.id, field[:80])


def test_the_article_ends_with_its_closing_lines(article: ParsedArticle) -> None:
    last = article.passages[-1].text
    assert last.endswith("Choose Automation if you want speed, early income, and visible impact.")


# -- the comparison table --------------------------------------------------------------------
def test_table_is_rebuilt_as_seven_rows_of_three_cells(article: ParsedArticle) -> None:
    assert article.table_header == ["Dimension", "AI Engineer", "AI Automation Specialist"]
    assert len(article.table) == 7
    assert all(len(row.cells) == 3 for row in article.table)
    assert [r.cells[0] for r in article.table] == [
        "Core problem",
        "Feedback loop",
        "Value timing",
        "Entry barrier",
        "Burnout point",
        "Core transferable skill",
        "Best suited for",
    ]


def test_table_cells_are_verbatim(article: ParsedArticle) -> None:
    # The page lost the cell separators: the cells, joined again, must be the article's own lines.
    lines = {line.strip() for line in repair_text(bundled_text()).splitlines()}
    for row in article.table:
        assert "".join(row.cells) in lines, row.cells
    assert article.table[0].cells == ["Core problem", "Model accuracy, scale, and reliability", "Repetitive business workflows"]
    assert article.table[3].cells == ["Entry barrier", "High (credentials, production proof)", "Low/medium (execution proof)"]
    assert article.table[4].cells == [
        "Burnout point",
        "8/14 months (data wall, ambiguity)",
        "18/24 months (maintenance overload)",
    ]


def test_each_table_row_is_a_passage_under_the_table_heading(article: ParsedArticle) -> None:
    rows = [p for p in article.passages if p.kind == "table_row"]
    assert len(rows) == 7
    for row, passage in zip(article.table, rows):
        assert passage.section == HEADINGS[0]
        for cell in row.cells:
            assert cell in passage.text
        assert passage.text.index(row.cells[1]) < passage.text.index(row.cells[2])


# -- sections and passages -------------------------------------------------------------------
def test_title_and_sections_come_from_the_headings(article: ParsedArticle) -> None:
    assert article.title == TITLE
    seen: list[str] = []
    for p in sorted(article.passages, key=lambda p: p.order):
        if p.section != TITLE and p.section not in seen:
            seen.append(p.section)
    assert seen == HEADINGS


@pytest.mark.parametrize(
    ("span", "section"),
    [
        ("They pay ₹15,000 for a project", "What Actually Happens After You Learn"),
        ("AI Engineering has credentialism baked in", "The Unspoken Gatekeeping"),
        ("AI Engineers hit the wall at months 8-14", "The Part That Breaks People"),
        ("Automation Specialists break at months 18-24", "The Part That Breaks People"),
        ("It’s thinking in systems under uncertainty", "The Skill That Actually Transfers"),
        ("is a template this year", "The 2026 Reality Check"),
        ("pick one for 18 months minimum", "Where Most People Actually Fail"),
        ("You need frequent validation.", "The Personality Red Flags Nobody Mentions"),
        ("Do you recover energy from depth or breadth?", "A Framework That Actually Helps"),
        ("it’s structural", TITLE),
    ],
)
def test_passages_carry_their_section_title(article: ParsedArticle, span: str, section: str) -> None:
    holders = [p for p in article.passages if span in p.text]
    assert len(holders) == 1, [p.text[:60] for p in holders]
    assert holders[0].section == section


def test_passage_text_is_the_articles_words(article: ParsedArticle, clean_text: str) -> None:
    for p in article.passages:
        if p.kind == "table_row":
            continue
        assert p.text.strip()
        for line in p.text.split("\n"):
            assert squash(line) in clean_text, line


def test_no_passage_is_a_dump_or_a_crumb(article: ParsedArticle) -> None:
    words = [len(p.text.split()) for p in article.passages]
    assert min(words) >= 8 and max(words) <= 250


def test_every_paragraph_of_the_body_is_kept(article: ParsedArticle) -> None:
    """Nothing but furniture is lost: each long line of the article is in some passage."""
    body = squash(" ".join(p.text for p in article.passages))
    raw_lines = repair_text(bundled_text()).split("Related Posts")[0].splitlines()
    for line in raw_lines[1:]:  # the first line is the title
        if len(line.split()) >= 12:
            assert squash(line) in body, line[:80]


# -- ids ----------------------------------------------------------------------------------------
def test_ids_are_content_hashes_unique_and_stable(article: ParsedArticle) -> None:
    ids = [p.id for p in article.passages]
    assert len(set(ids)) == len(ids)
    assert all(p.id == passage_id(p.section, p.text) for p in article.passages)
    again = parse_article(bundled_text(), source=ARTICLE_NAME)
    assert [p.id for p in again.passages] == ids


def test_editing_one_paragraph_changes_only_its_id(article: ParsedArticle) -> None:
    raw = bundled_text()
    old = "Real data is messy and adversarial."
    assert raw.count(old) == 1
    edited = parse_article(raw.replace(old, "Real data is messy, late and adversarial."), source=ARTICLE_NAME)
    before, after = {p.id for p in article.passages}, {p.id for p in edited.passages}
    assert len(before - after) == 1 and len(after - before) == 1
    (new_id,) = after - before
    assert "messy, late and adversarial" in next(p.text for p in edited.passages if p.id == new_id)


# -- another article --------------------------------------------------------------------------
OTHER = """Remote Work vs Office Work in 2025: A Practical Guide

Choosing where to work shapes your days more than your job title does. This guide compares the two on the things people actually notice after a few months.

Quick Comparison Table

FactorRemoteOffice
CommuteNoneThirty to ninety minutes each way
Focus timeLong, self-managed blocksShort, interrupted blocks
Career visibilityLow unless you write things downHigh by default

The Hidden Costs

A person typing on a laptop in a cafe

Remote workers save on travel but spend more on home internet, a proper chair and electricity, which adds up across a year of working days.

Office workers pay in time: the commute eats evenings, and the open plan eats the attention that deep work needs.

What Actually Decides It

Ask yourself two questions:

  1. Do you do your best work alone or in conversation?
  2. Does your manager reward output or presence?

If you answered alone and output, remote work will probably suit you better than any perk an office can offer.

Related Posts 📌

Ten Tips for Working From Home

Share with

Leave a Comment

Telegram Join Telegram WhatsApp Join WhatsApp
"""


@pytest.fixture(scope="module")
def other() -> ParsedArticle:
    return parse_article(OTHER, source="remote.txt")


def test_another_article_gets_title_sections_and_table(other: ParsedArticle) -> None:
    assert other.title == "Remote Work vs Office Work in 2025: A Practical Guide"
    assert other.table_header == ["Factor", "Remote", "Office"]
    assert [r.cells for r in other.table] == [
        ["Commute", "None", "Thirty to ninety minutes each way"],
        ["Focus time", "Long, self-managed blocks", "Short, interrupted blocks"],
        ["Career visibility", "Low unless you write things down", "High by default"],
    ]
    sections = {p.section for p in other.passages}
    assert {"Quick Comparison Table", "The Hidden Costs", "What Actually Decides It"} <= sections
    assert all(p.source == "remote.txt" for p in other.passages)


def test_another_article_drops_its_furniture_and_keeps_its_words(other: ParsedArticle) -> None:
    text = "\n".join(p.text for p in other.passages)
    for gone in ("A person typing on a laptop", "Related Posts", "Ten Tips", "Share with", "Leave a Comment", "Telegram"):
        assert gone not in text
    for kept in (
        "a proper chair and electricity",
        "the open plan eats the attention",
        "Does your manager reward output or presence?",
    ):
        assert kept in text
    by_text = {p.text.split("\n")[0][:30]: p.section for p in other.passages}
    assert by_text["Remote workers save on travel "] == "The Hidden Costs"


def test_a_list_stays_with_its_lead_in(other: ParsedArticle) -> None:
    holder = next(p for p in other.passages if "Ask yourself two questions:" in p.text)
    assert "Do you do your best work alone" in holder.text and "reward output or presence" in holder.text


@pytest.mark.parametrize("raw", ["", "\n\n   \n", "Share with\nLeave a Comment\n"])
def test_nothing_to_parse_gives_no_passages(raw: str) -> None:
    assert parse_article(raw).passages == []


# -- table rows point at the paragraphs they summarise ----------------------------------------
def test_a_table_cell_points_at_the_paragraph_that_says_it_at_length(article: ParsedArticle) -> None:
    def starting(words: str) -> str:
        return next(p.id for p in article.passages if p.text.startswith(words))

    rows = {p.text.split(":")[0]: p for p in article.passages if p.kind == "table_row"}
    assert rows["Burnout point"].restated_by == {
        "AI Engineer": starting("AI Engineers hit the wall at months 8-14"),
        "AI Automation Specialist": starting("Automation Specialists break at months 18-24"),
    }
    # "Low/medium (execution proof)" is said nowhere else: no paragraph is its source
    assert rows["Entry barrier"].restated_by == {}


PETS = """Cats vs Dogs at Home: An Honest Guide

Living with a pet changes your week more than people expect, so here is how the two compare.

Quick Comparison Table

FactorCatsDogs
Daily timeTwenty minutes of feeding and litterTwo hours of walks and play
Monthly costAbout fifty pounds for foodOften twice that with the vet

Time

Cats need about twenty minutes a day for feeding, fresh water and a clean litter tray, and they mostly keep themselves busy.

Dogs ask for two hours of walks and play every day, whatever the weather, and they notice at once when you skip it.
"""


def test_links_are_found_in_any_article_and_a_cell_said_nowhere_else_has_none() -> None:
    pets = parse_article(PETS)
    cats, dogs = (next(p.id for p in pets.passages if p.text.startswith(s)) for s in ("Cats need", "Dogs ask"))
    rows = {p.text.split(":")[0]: p.restated_by for p in pets.passages if p.kind == "table_row"}
    assert rows == {"Daily time": {"Cats": cats, "Dogs": dogs}, "Monthly cost": {}}


def test_a_lead_in_indexes_its_own_run_of_passages_only(article: ParsedArticle) -> None:
    context = {p.text[:30]: p.context for p in article.passages}
    question = "When you’re stuck, do you want to think harder or try faster?"
    assert question in context["In automation, when you’re stu"]  # an answer to the question
    assert question not in context["You’re back in the cafe. Lapto"]  # the story's ending
    assert "You’ll struggle with Automation if:" in context["You can’t tolerate being inter"]
    assert "You’ll struggle with Automation if:" not in context["These aren’t character flaws. "]
