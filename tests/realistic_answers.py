"""Answers written the way capable models write them, from the bundled article (never from a gold set).

Markdown lists and bold, figures paraphrased ("3 to 6 lakh rupees", "year two", "a year and a
half"), hedges, one citation marker per sentence. ``GROUNDED`` states only the article's own
figures, in other words; ``INVENTED`` slips in a figure the article does not give, either in
the main claim (the answer cannot stand) or in a later sentence (the rest can).
"""

from __future__ import annotations

from dataclasses import dataclass

# The bundled article's passages, by their content-hash ids.
ENG_INCOME = "7b19d21b58a9bea0"
AUTO_INCOME = "490317922ff1369c"
WALL = "a719a21ebb0c7443"
BREAK = "e974ee88eb2764d5"
TABLE_BURNOUT = "c08c26cbc701e61c"
PROJECT = "473f0761ae5a2d96"
COMMIT = "04ade4e9fc2e2620"
AFTER = "12095bd3315d5d62"
REALITY = "02a655488f42669d"
LEARN = "7dca41fbdb3b6dc4"
TABS = "8cbca509d53e9c89"
GATE = "489757857c2aafae"
SIZE = "d66adab3f93d1981"
COMPOUND = "6c7d6c00b1881330"
DIVERSIFY = "fa88e8490b3c3655"
BACK = "ea07312ad1b8535c"
FRONT = "be48383f5d7ee4a7"
COMMODITY = "e00e9d847ea66530"
EXPLODED = "0e73dcd983cffaab"
ENTRY = "08630944c6b968d6"
STRADDLE = "babe77194d825501"
CHOOSE = "25cafd5b2d3f5220"
MESSY = "0815f102b7ca75f9"
PHONE = "deca8d5a4a6dcac0"


def c(pid: str) -> str:
    return f"[p:{pid}]"


@dataclass(frozen=True)
class Answer:
    id: str
    text: str
    invented: str = ""  # the figure the article does not give
    stands: bool = False  # the invented figure is outside the main claim: the rest can be shown


GROUNDED = [
    # -- AI Engineer income --------------------------------------------------------------
    Answer(
        "eng-income-list",
        f"**Short answer:** expect nothing in the first year, then roughly ₹3–6 lakh a year in year two {c(ENG_INCOME)}.\n\n"
        f"- **Months 0–12:** ₹0, you're still building proof {c(ENG_INCOME)}.\n- **Months 12–24:** around ₹3–6 LPA {c(ENG_INCOME)}.\n"
        f"- **Months 24–48:** about ₹8–18 lakh {c(ENG_INCOME)}.\n- **48+ months:** ₹20–50 lakh once it compounds {c(ENG_INCOME)}.",
    ),
    Answer("eng-lakh-rupees", f"Roughly 3 to 6 lakh rupees a year during months 12 to 24 {c(ENG_INCOME)}."),
    Answer("eng-lpa-year-two", f"Around ₹3-6 LPA in year two (months 12-24) {c(ENG_INCOME)}."),
    Answer("eng-after-four-years", f"After 4 years (48+ months), ₹20–50 lakh {c(ENG_INCOME)}."),
    Answer("eng-years-three-four", f"In years 3–4 it's about 8 to 18 lakh {c(ENG_INCOME)}."),
    Answer(
        "eng-zero-first-year",
        f"The article puts year one at ₹0 for AI Engineers, with income arriving only after the first 12 months {c(ENG_INCOME)}. "
        f"It's a back-loaded path, but growth is predictable once it kicks in {c(ENG_INCOME)}.",
    ),
    Answer("eng-second-to-fourth", f"Between months 24 and 48 an AI Engineer typically earns ₹8L–₹18L {c(ENG_INCOME)}."),
    Answer(
        "eng-twenty-to-fifty",
        f"Once you're past four years, the range the article gives is ₹20 lakh to ₹50 lakh {c(ENG_INCOME)}.",
    ),
    Answer(
        "eng-twelve-months-words",
        f"Honestly, not much at first: zero for the first twelve months, then ₹3–6L between months 12 and 24 {c(ENG_INCOME)}.",
    ),
    Answer(
        "eng-bold-slow-start",
        f"It's a slow start: **₹0** until month 12, and **₹3 lakh – ₹6 lakh** a year after that {c(ENG_INCOME)}.",
    ),
    Answer("eng-year-five", f"By year five you could be in the ₹20-50 LPA band, according to the article {c(ENG_INCOME)}."),
    Answer("eng-no-income", f"For the first year you should budget for no income at all (₹0) {c(ENG_INCOME)}."),
    Answer(
        "eng-year-list",
        f"- Year 1: ₹0 {c(ENG_INCOME)}\n- Year 2: ₹3–6L {c(ENG_INCOME)}\n- Years 3–4: ₹8–18L {c(ENG_INCOME)}\n- Year 5 onward: ₹20–50L {c(ENG_INCOME)}",
    ),
    Answer(
        "eng-arrows",
        f"Income for engineers goes ₹0 → ₹3–6L → ₹8–18L → ₹20–50L over roughly four years and beyond {c(ENG_INCOME)}.",
    ),
    Answer("eng-indian-grouping", f"In year two that's about ₹3,00,000 to ₹6,00,000 a year {c(ENG_INCOME)}."),
    # -- AI Automation income ----------------------------------------------------------------
    Answer(
        "auto-first-six-months",
        f"Automation pays much sooner: about ₹10,000–₹30,000 per project in the first six months {c(AUTO_INCOME)}.",
    ),
    Answer(
        "auto-month-six-to-eighteen", f"From month 6 to month 18, the article says ₹30k–₹80k a month is typical {c(AUTO_INCOME)}."
    ),
    Answer("auto-eighteen-to-thirty-six", f"From month 18 to month 36, ₹60,000 to ₹1.5 lakh {c(AUTO_INCOME)}."),
    Answer(
        "auto-bold-lines",
        f"**Months 0–6:** ₹10k–30k per project {c(AUTO_INCOME)}.\n**Months 6–18:** ₹30k–80k monthly {c(AUTO_INCOME)}.\n"
        f"**Months 18–36:** ₹60k–₹1.5L {c(AUTO_INCOME)}.\nAfter that (36+ months) it turns into variable consulting rates {c(AUTO_INCOME)}.",
    ),
    Answer("auto-thousand-rupees", f"Roughly 30 to 80 thousand rupees a month once you're six months in {c(AUTO_INCOME)}."),
    Answer(
        "auto-a-year-and-a-half",
        f"Between a year and a half and three years in (months 18–36), income sits around ₹60k to ₹1.5L {c(AUTO_INCOME)}.",
    ),
    Answer(
        "auto-after-three-years",
        f"After three years it stops being a ladder: the article only says variable consulting rates beyond 36 months {c(AUTO_INCOME)}.",
    ),
    Answer(
        "auto-between-months-words",
        f"You can realistically earn ₹30,000–80,000 every month between months six and eighteen {c(AUTO_INCOME)}.",
    ),
    Answer("auto-dry-months", f"Income comes early, though dry months happen: ₹10–30k per project at first {c(AUTO_INCOME)}."),
    Answer("auto-chain", f"Automation specialists: ₹10–30k per project, then ₹30–80k a month, then ₹60k–1.5L {c(AUTO_INCOME)}."),
    Answer("auto-rs-prefix", f"Early projects bring in Rs 10,000 to Rs 30,000 each {c(AUTO_INCOME)}."),
    Answer("auto-inr", f"By months 6–18 it's typically INR 30k-80k per month {c(AUTO_INCOME)}."),
    # -- both paths ----------------------------------------------------------------------------
    Answer(
        "both-pays-first",
        f"**Automation** pays first: ₹10–30k per project in months 0–6 {c(AUTO_INCOME)}. "
        f"**AI Engineering** pays nothing in year one but climbs to ₹20–50L after 48 months {c(ENG_INCOME)}.",
    ),
    Answer(
        "both-year-two",
        f"In year two an engineer makes ₹3–6 lakh a year {c(ENG_INCOME)}, while an automation specialist at months 18–36 makes ₹60k–1.5L {c(AUTO_INCOME)}.",
    ),
    Answer(
        "both-within-six-months",
        f"If you need money within six months, automation is the one of the two that pays that early {c(AUTO_INCOME)}.",
    ),
    # -- burnout -----------------------------------------------------------------------------
    Answer("wall-between-months", f"AI Engineers usually hit the wall somewhere between months 8 and 14 {c(WALL)}."),
    Answer("wall-months-in", f"Expect the data wall around 8 to 14 months in {c(WALL)}."),
    Answer("wall-bold", f"Burnout for engineers tends to come **8–14 months** in, when real data gets messy {c(WALL)}."),
    Answer("wall-words", f"Somewhere between eight and fourteen months is when most engineers stall {c(WALL)}."),
    Answer("wall-month-mark", f"Around the 8-to-14-month mark, engineers hit the data wall {c(WALL)}."),
    Answer(
        "break-months", f"Automation Specialists tend to break around months 18–24, when platforms change under them {c(BREAK)}."
    ),
    Answer("break-years-words", f"Roughly a year and a half to two years in, automation work starts breaking people {c(BREAK)}."),
    Answer(
        "break-thirty-workflows",
        f"By the time you've built around 30 workflows, a single platform update can break five client projects at once {c(BREAK)}.",
    ),
    Answer(
        "break-context-switching",
        f"If you hate context-switching, the automation burnout around months 18 to 24 will hit harder {c(BREAK)}.",
    ),
    Answer(
        "burnout-table-list",
        f"- **AI Engineer:** 8–14 months (data wall, ambiguity) {c(TABLE_BURNOUT)}\n- **Automation:** 18–24 months (maintenance overload) {c(TABLE_BURNOUT)}",
    ),
    Answer(
        "burnout-compared",
        f"The engineer's wall comes earlier (months 8–14) than the automation specialist's (months 18–24) {c(TABLE_BURNOUT)}.",
    ),
    # -- commitment ---------------------------------------------------------------------------
    Answer("commit-eighteen", f"Pick one path and stick with it for at least 18 months {c(COMMIT)}."),
    Answer("commit-year-and-a-half", f"The article's advice is a year and a half minimum on one path {c(COMMIT)}."),
    Answer("commit-words", f"Commit for eighteen months, then cross-pollinate {c(AFTER)}."),
    Answer(
        "commit-list", f"- **Commit:** one path for 18+ months {c(COMMIT)}\n- **Then:** combine both after month 18 {c(AFTER)}"
    ),
    # -- the first project --------------------------------------------------------------------------
    Answer(
        "project-fifteen-thousand", f"A small agency might pay ₹15,000 for a project that saves them 6 hours a week {c(PROJECT)}."
    ),
    Answer("project-fifteen-k", f"Think ₹15k for a project that saves a client six hours every week {c(PROJECT)}."),
    Answer("project-referral", f"Your first client could refer you to someone else within two weeks {c(PROJECT)}."),
    Answer("project-rs-dot", f"Rs. 15,000 per project is the example the article gives {c(PROJECT)}."),
    Answer("project-words", f"The example is a fifteen thousand rupee project that saves six hours a week {c(PROJECT)}."),
    # -- the 2026 market -----------------------------------------------------------------------------
    Answer(
        "reality-eighty-percent",
        f"Foundation models like GPT-4 and Claude cover about 80% of use cases, so few companies need custom models {c(REALITY)}.",
    ),
    Answer("reality-years", f"In 2026, AI Engineer roles haven't grown as fast as people expected back in 2023 {c(REALITY)}."),
    Answer("reality-eighty-words", f"Roughly eighty percent of use cases are covered by foundation models today {c(REALITY)}."),
    Answer("commodity-2023", f"A custom sentiment model that was needed in 2023 is now just an API call {c(COMMODITY)}."),
    # -- getting in -------------------------------------------------------------------------------
    Answer("entry-two-plus-years", f"Junior postings often ask for **2+ years** of production ML experience {c(LEARN)}."),
    Answer("entry-two-years-words", f"A posting that wants two years of experience is typical for AI Engineering {c(TABS)}."),
    Answer("entry-five-hundred", f"Hiring managers filter by degree when 500 people apply for one role {c(GATE)}."),
    Answer("entry-fifteen-person", f"A 15-person team in Jaipur would rather hire the automation person {c(SIZE)}."),
    Answer(
        "entry-barrier",
        f"Entry is high for engineers (credentials, production proof) and low to medium for automation {c(ENTRY)}.",
    ),
    # -- how each path compounds ----------------------------------------------------------------
    Answer(
        "compound-first-two-years",
        f"The first two years of AI Engineering are slow, but year three is easier than year one {c(COMPOUND)}.",
    ),
    Answer(
        "compound-year-five",
        f"By year five things are easier than in year three, because each skill builds on the last {c(COMPOUND)}.",
    ),
    Answer(
        "diversify-year-three",
        f"With automation, year three isn't necessarily easier than year one; it might just be different tools {c(DIVERSIFY)}.",
    ),
    Answer(
        "back-six-months", f"Engineering work you do today might only matter in six months, once the model is deployed {c(BACK)}."
    ),
    Answer(
        "two-effects",
        f"There are **2 effects**: more demand for people who automate complex workflows, and more competition from non-technical people {c(EXPLODED)}.",
    ),
    Answer(
        "two-effects-list",
        f"Two things happen at once:\n1. More demand for complex automation {c(EXPLODED)}\n2. More competition from non-technical people {c(EXPLODED)}",
    ),
    # -- hedges and answers without figures ----------------------------------------------------
    Answer(
        "hedge-no-figure",
        f"The article doesn't give a salary figure for that; it only says automation income is variable after the first three years {c(AUTO_INCOME)}.",
    ),
    Answer("lean-automation", f"I'd lean toward automation if you want early income and visible impact {c(CHOOSE)}."),
    Answer("straddle", f"Most people fail by straddling both paths without committing to either {c(STRADDLE)}."),
    Answer("front-loaded", f"Automation value is front-loaded: the client sees the result this week {c(FRONT)}."),
    Answer("messy-data", f"You'll probably spend more time cleaning data than modeling {c(MESSY)}."),
    Answer("on-the-phone", f"When something breaks, you're often on the phone switching between five tabs {c(PHONE)}."),
]

INVENTED = [
    # The main claim itself is invented: nothing of the answer can stand.
    Answer("wall-months-6-10", f"AI Engineers hit the wall at months 6–10 {c(WALL)}.", "6–10"),
    Answer("auto-40-90k", f"Automation specialists earn ₹40–90k a month from month 6 {c(AUTO_INCOME)}.", "₹40–90k"),
    Answer("eng-5-9-lakh", f"In year two engineers make around ₹5–9 lakh {c(ENG_INCOME)}.", "₹5–9 lakh"),
    Answer("wall-70-percent", f"About 70% of engineers burn out in their first year {c(WALL)}.", "70%"),
    Answer("commit-27-months", f"Pick one path for at least 27 months {c(COMMIT)}.", "27 months"),
    Answer("project-25000", f"A small agency pays around ₹25,000 per project {c(PROJECT)}.", "₹25,000"),
    Answer("eng-12l-first-year", f"Engineers earn ₹12L in their first year {c(ENG_INCOME)}.", "₹12L"),
    Answer("break-20-30", f"Automation specialists break at months 20–30 {c(BREAK)}.", "20–30"),
    Answer("reality-90-percent", f"Foundation models cover about ninety percent of use cases {c(REALITY)}.", "ninety percent"),
    Answer("eng-25-60-lakh", f"After 4 years engineers earn ₹25–60 lakh {c(ENG_INCOME)}.", "₹25–60 lakh"),
    # A later sentence adds an invented figure: the answer stands without it.
    Answer(
        "auto-two-lakh-later",
        f"Automation pays sooner {c(AUTO_INCOME)}. In the first six months expect ₹10–30k per project {c(AUTO_INCOME)}. "
        f"By month 18 some people clear ₹2 lakh a month {c(AUTO_INCOME)}.",
        "₹2 lakh",
        True,
    ),
    Answer(
        "wall-40-percent-later",
        f"AI Engineers hit the data wall at months 8–14 {c(WALL)}. Roughly 40% of them quit at that point {c(WALL)}.",
        "40%",
        True,
    ),
    Answer(
        "commit-9-months-later",
        f"Commit to one path for 18 months {c(COMMIT)}. Most people who do see their income double within 9 months {c(COMMIT)}.",
        "9 months",
        True,
    ),
    Answer(
        "eng-list-year-three",
        f"**Short answer:** engineering pays later {c(ENG_INCOME)}.\n\n- Year 1: ₹0 {c(ENG_INCOME)}\n- Year 2: ₹3–6L {c(ENG_INCOME)}\n"
        f"- Year 3: ₹11–16L {c(ENG_INCOME)}",
        "₹11–16L",
        True,
    ),
    Answer(
        "break-45-workflows",
        f"Automation specialists break around months 18–24 {c(BREAK)}. Typically they're running about 45 workflows by then {c(BREAK)}.",
        "45",
        True,
    ),
    Answer(
        "project-11-weeks",
        f"The article's example is a ₹15,000 project {c(PROJECT)}. Such a project usually takes 11 weeks to build {c(PROJECT)}.",
        "11 weeks",
        True,
    ),
    Answer(
        "reality-35-percent",
        f"Foundation models cover 80% of use cases {c(REALITY)}. That share rose from 35% in 2023 {c(REALITY)}.",
        "35%",
        True,
    ),
    Answer(
        "break-month-40",
        f"Engineers hit the wall at months 8–14 {c(WALL)}. Automation people hold out longer, until about month 40 {c(BREAK)}.",
        "month 40",
        True,
    ),
    Answer(
        "eng-crore",
        f"Expect ₹0 in year one {c(ENG_INCOME)}. Senior engineers can reach ₹1.2 crore after a decade {c(ENG_INCOME)}.",
        "₹1.2 crore",
        True,
    ),
    Answer(
        "gate-7-percent",
        f"Hiring managers see 500 applicants for one role {c(GATE)}. Only 7% of self-taught applicants get interviews {c(GATE)}.",
        "7%",
        True,
    ),
]
