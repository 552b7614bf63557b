"""Conversations as people have them: follow-ups that only make sense after the last answer, two
questions in one message, a story before the question, an aside, a self-description over turns.

Every message here was written for these tests; none comes from a gold set.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace

import pytest

from pathwise.agent.advisor import Advisor
from pathwise.agent.models import Turn
from pathwise.agent.reading import ASIDE_UNKNOWN, Ballot, Plan, _echoed, _restated
from pathwise.agent.sessions import SessionState
from pathwise.bench.evaluate import contains
from pathwise.knowledge.base import KnowledgeBase
from pathwise.knowledge.types import Hit

_ids = itertools.count()


@pytest.fixture
def chat(advisor: Advisor) -> Callable[..., list[Turn]]:
    """Send messages as one new conversation; the turns come back in order."""

    def send(*messages: str) -> list[Turn]:
        session = f"conversation-{next(_ids)}"
        return [advisor.reply(session, m) for m in messages]

    return send


def has_passage(hits: list[Hit], span: str) -> bool:
    return any(span in h.text for h in hits[:3])


def has(turn: Turn, *alternatives: str) -> bool:
    return any(contains(turn.answer, a) for a in alternatives)


# -- follow-ups --------------------------------------------------------------------------------
def test_a_why_after_an_answer_gets_the_cause_not_a_refusal(chat: Callable[..., list[Turn]]) -> None:
    first, why = chat("At what point do machine learning folks usually hit a wall?", "hmm why right then?")
    assert has(first, "8-14")
    assert why.in_scope, why.answer
    assert has(why, "data", "messy", "cleaning"), why.answer
    assert why.answer != first.answer


def test_how_people_get_past_it_is_answered_from_where_the_last_answer_came_from(chat: Callable[..., list[Turn]]) -> None:
    _, past = chat("When do AI engineers hit the wall?", "ok and what does it take to push through that?")
    assert past.in_scope, past.answer
    assert has(past, "patience", "ambiguity"), past.answer


def test_what_a_thing_just_named_looks_like_is_answered_by_the_lines_that_show_it(chat: Callable[..., list[Turn]]) -> None:
    """The follow-up bank knows what people ask after "hit the wall at months 8-14", and which line answers."""
    first, wall = chat("When do AI engineers hit the wall?", "what does that wall look like day to day?")
    assert has(first, "8-14")
    assert has(wall, "messy", "missing values", "cleaning data"), wall.answer


def test_how_the_article_ends_is_its_last_scene_and_lines(chat: Callable[..., list[Turn]]) -> None:
    first, ending, summary = chat(
        "what's the cafe story at the start about?", "and how does the whole piece end?", "ok give me the tl;dr"
    )
    assert has(ending, "which type of hard") and has(ending, "depth, delayed rewards"), ending.answer
    assert has(summary, "speed, early income"), summary.answer
    (day,) = chat("at the end of the day, which of the two pays more in the first year?")
    assert not has(day, "which type of hard"), day.answer


def test_what_exactly_breaks_after_the_burnout_point_names_something_that_breaks(chat: Callable[..., list[Turn]]) -> None:
    _, what = chat("when do automation specialists burn out?", "what exactly breaks then?")
    assert what.in_scope, what.answer
    assert has(what, "webhooks", "API pricing", "acquired"), what.answer


def test_naming_only_the_other_path_keeps_the_subject(chat: Callable[..., list[Turn]]) -> None:
    _, other = chat("How much do automation specialists earn?", "and the ML folks?")
    assert has(other, "3-6L") and has(other, "20-50L"), other.answer


@pytest.mark.parametrize("second", ["and the year after that?", "what about after that?"])
def test_the_next_stretch_of_time_keeps_the_path_and_moves_the_period(chat: Callable[..., list[Turn]], second: str) -> None:
    first, later = chat("What does an AI engineer make in their second year?", second)
    assert has(first, "3-6L")
    assert has(later, "8-18L"), later.answer


@pytest.mark.parametrize("second", ["ok and for like months 6 to 18 then?", "cool. and months six to eighteen?"])
def test_a_stretch_of_time_after_the_pay_asks_the_pay_of_that_stretch(chat: Callable[..., list[Turn]], second: str) -> None:
    first, later = chat("What do automation freelancers earn early on?", second)
    assert has(first, "10-30k")
    assert has(later, "30-80k"), later.answer


def test_a_follow_up_the_classifier_reads_as_one_stays_on_the_subject(chat: Callable[..., list[Turn]]) -> None:
    first, later = chat("When does each path burn people out?", "how do engineers make it past that?")
    assert has(first, "8-14"), first.answer
    assert has(later, "data wall", "messy", "alone", "patience", "ambiguity"), later.answer
    assert not has(later, "₹"), later.answer  # not the pay, which its nearest examples pointed to


def test_is_that_normal_after_a_burnout_answer_stays_in_scope(chat: Callable[..., list[Turn]]) -> None:
    turns = chat("When do zapier people usually burn out?", "is that normal?")
    assert all(t.in_scope for t in turns), [t.answer for t in turns]
    assert has(turns[0], "18-24")


def test_a_new_subject_starts_fresh(chat: Callable[..., list[Turn]]) -> None:
    _, flags = chat(
        "How much do AI engineers earn at first?", "What personality traits make people struggle with automation work?"
    )
    assert has(flags, "interrupt"), flags.answer
    assert not has(flags, "₹"), flags.answer


@pytest.mark.parametrize(
    "second", ["and automation folks, are they safe from that?", "what about the zapier crowd, do they get replaced as well?"]
)
def test_the_same_question_of_the_other_path_in_words_of_its_own_keeps_the_subject(
    chat: Callable[..., list[Turn]], second: str
) -> None:
    first, other = chat("Are APIs going to swallow most AI engineering work?", second)
    assert has(first, "mid-tier", "absorbed"), first.answer
    assert has(other, "template", "commoditization"), other.answer
    assert not has(other, "struggle"), other.answer


def test_a_follow_up_of_a_follow_up_searches_the_question_as_it_stands(chat: Callable[..., list[Turn]]) -> None:
    *_, third = chat(
        "How much does an automation specialist earn early on?", "and the ML folks?", "and what about later, like 4+ yrs?"
    )
    assert has(third, "20-50L"), third.answer


def test_a_follow_up_after_an_aside_follows_the_answer_before_it(chat: Callable[..., list[Turn]]) -> None:
    first, aside, why = chat(
        "When do AI engineers usually hit a wall?", "random q: any good biryani spots in Hyderabad?", "hmm why right then?"
    )
    assert has(first, "8-14") and not aside.in_scope
    assert why.in_scope and has(why, "data", "messy", "cleaning"), why.answer


def test_what_the_bank_adds_to_a_follow_up_is_not_what_was_just_said(chat: Callable[..., list[Turn]]) -> None:
    first, scared = chat("When do AI engineers hit the wall?", "what are they scared of?")
    said = {s.strip() for s in first.answer.split(". ")}
    assert not said & {s.strip() for s in scared.answer.split(". ")}, scared.answer


def test_a_follow_up_is_answered_by_the_sentence_whose_questions_it_asks(chat: Callable[..., list[Turn]]) -> None:
    first, scared = chat("why do small businesses hesitate to hire people with fancy degrees?", "what are they scared of?")
    assert scared.in_scope
    assert has(scared, "trust problem", "overbuild", "small problem"), scared.answer


def test_a_why_about_one_paths_burnout_stays_on_that_path(chat: Callable[..., list[Turn]]) -> None:
    _, why = chat("When do automation specialists burn out?", "why does it get that bad?")
    assert not has(why, "converging", "accuracy dropped", "model"), why.answer


@pytest.mark.parametrize(
    ("message", "figure"),
    [
        ("bhai automation wale shuru ke 6 mahine mein kitna kamate hain?", "10-30k"),
        ("ML engineers 4 saal baad kitna kamate hain yaar?", "20-50L"),
        ("ML wale log kitne mahine mein thak jaate hain?", "8-14"),
    ],
)
def test_light_hinglish_is_read_as_its_english(chat: Callable[..., list[Turn]], message: str, figure: str) -> None:
    (turn,) = chat(message)
    assert turn.in_scope and has(turn, figure), turn.answer


@pytest.mark.parametrize(
    ("first", "other", "said", "counterpart"),
    [
        (
            "What gives an AI engineer leverage, according to the article?",
            "and for automation specialists, what's the equivalent?",
            "correct upfront",
            "speed and adaptability",
        ),
        ("Is AI engineering a compounding bet?", "and automation, is it a bet like that too?", "compounding", "diversification"),
    ],
)
def test_the_other_path_gets_the_article_s_counterpart_of_the_last_answer(
    chat: Callable[..., list[Turn]], first: str, other: str, said: str, counterpart: str
) -> None:
    before, after = chat(first, other)
    assert has(before, said), before.answer
    assert has(after, counterpart), after.answer


def test_a_question_on_one_of_the_framework_s_questions_gets_that_one(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("Where does an AI engineer's leverage come from?")
    assert has(turn, "correct upfront"), turn.answer
    assert not has(turn, "think harder"), turn.answer  # not all three questions
    (whole,) = chat("what should I ask myself to work out which path is mine?")
    assert has(whole, "right once") and has(whole, "think harder"), whole.answer


def test_an_ordinal_after_the_framework_asks_that_question(chat: Callable[..., list[Turn]]) -> None:
    listed, second, last = chat("how do I decide between them?", "ok what's the 2nd question about?", "and the final one?")
    assert has(listed, "three questions"), listed.answer
    assert has(second, "depth or breadth") and not has(second, "think harder"), second.answer
    assert has(last, "think harder") and not has(last, "depth or breadth"), last.answer


def test_an_ordinal_alone_after_the_framework_asks_that_question(chat: Callable[..., list[Turn]]) -> None:
    _, third, first = chat("what are the three questions the article says to ask yourself?", "3rd?", "and the first?")
    assert has(third, "think harder") and not has(third, "depth or breadth"), third.answer
    assert has(first, "right once") and not has(first, "think harder"), first.answer
    _, year = chat("what are the three questions the article says to ask yourself?", "first year pay for ML?")
    assert has(year, "0-12"), year.answer


def test_what_came_after_a_period_is_the_next_stretch(chat: Callable[..., list[Turn]]) -> None:
    _, later = chat("what do automation people make in the first six months?", "and after those first 6 months?")
    assert has(later, "30-80k"), later.answer


def test_the_sentence_whose_bank_questions_match_is_said_even_when_the_topic_answer_lacks_it(
    chat: Callable[..., list[Turn]],
) -> None:
    (turn,) = chat("where does an automation specialist's edge come from?")
    assert has(turn, "speed and adaptability"), turn.answer
    assert not has(turn, "correct upfront"), turn.answer  # not the other path's counterpart


# -- messages that ask twice, or tell a story first ----------------------------------------------
def test_a_path_one_question_names_holds_for_the_next_question_of_the_message(chat: Callable[..., list[Turn]]) -> None:
    _, turn = chat(
        "What do AI engineers make in the first two years?",
        "Now the automation route over its first year and a half. What does it bring in?",
    )
    assert has(turn, "30-80k"), turn.answer


def test_and_before_a_verb_joins_one_question_not_two(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("Could I keep my options open for now and dabble in both?")
    assert has(turn, "18 months"), turn.answer
    assert has(turn, "straddle", "without committing"), turn.answer


def test_two_questions_in_one_message_both_get_answered(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("When do automation people tend to burn out, and how much do they make in the first six months?")
    assert has(turn, "18-24"), turn.answer
    assert has(turn, "10-30k"), turn.answer
    assert len(turn.answer.split()) <= 120


def test_a_second_question_naming_only_the_other_path_mid_conversation_asks_the_first_of_it(
    chat: Callable[..., list[Turn]],
) -> None:
    _, both = chat(
        "i'm an accountant thinking about the long game. which path compounds better?",
        "right. what skill carries over from the ML side? and from automation?",
    )
    assert has(both, "thinking in systems") and has(both, "translating business problems"), both.answer
    assert not has(both, "diversification bet"), both.answer  # not the conversation's subject, of automation


def test_that_and_a_word_of_the_last_answer_point_back_at_it(chat: Callable[..., list[Turn]]) -> None:
    first, more = chat("when do automation specialists burn out?", "how long does that maintenance overload last?")
    assert has(first, "18-24")
    assert not has(more, "8-14"), more.answer  # the automation burnout said, not both paths' again
    assert more.citations and all("automation" in c.text.lower() for c in more.citations[:1]), more.answer


@pytest.mark.parametrize(
    ("message", "said", "points"),
    [
        ("what happens inside that wall?", "AI Engineers hit the wall at months 8-14.", True),
        ("are those clients always in a hurry?", "A client workflow stops.", True),
        ("is it true that clients pay late?", "A client workflow stops.", False),  # "that" opens a clause
        ("what about that?", "A client workflow stops.", False),
        ("how long does that take for engineers?", "A client workflow stops.", False),  # no word of the answer
    ],
)
def test_a_demonstrative_points_back_only_at_a_word_the_last_answer_said(message: str, said: str, points: bool) -> None:
    from pathwise.agent.reading import _points_at_said

    assert _points_at_said(message, said) is points


@pytest.mark.parametrize(
    ("message", "questions", "story"),
    [
        ("and later? about 3 yrs in, what's usual", ["and later? about 3 yrs in, what's usual"], ""),
        (
            "what pays more? roughly 2 years in. asking for my sister.",
            ["what pays more? roughly 2 years in."],
            "asking for my sister.",
        ),
        (
            "my uncle says 5 lakh. what do they make?",
            ["what do they make?"],
            "my uncle says 5 lakh.",
        ),  # a story before, not a figure put on it
        (
            "my uncle says 5 lakh. is that true?",
            ["my uncle says 5 lakh. is that true?"],
            "",
        ),  # a bare "true?" asks about the claim before it
        (
            "hmm. my manager says the market is a 'barbell' now. what does that even mean",
            ["my manager says the market is a 'barbell' now. what does that even mean"],
            "hmm.",
        ),  # and "what does that mean" about the words before it
        (  # each question keeps its own figure
            "what do they make early on? like 6 months in. and later? about 4 yrs in",
            ["what do they make early on? like 6 months in.", "and later? about 4 yrs in"],
            "",
        ),
    ],
)
def test_words_after_a_question_that_put_a_figure_on_it_are_part_of_it(message: str, questions: list[str], story: str) -> None:
    from pathwise.agent.reading import asking_parts

    assert asking_parts(message)[:2] == (questions, story)


def test_a_question_that_leans_on_its_story_stands_alone_with_it(advisor: Advisor) -> None:
    story = "Back in 2023 everybody said machine learning jobs would explode."
    plan, _ = advisor.offline.understand(f"{story} Why didn't that happen?", SessionState())
    # The standalone question is what the LLM path and the retrieval eval search: "that" is the story.
    assert plan.query.startswith(story), plan.query
    assert has_passage(plan.hits, "haven’t grown as fast as people expected")


def test_one_question_of_each_path_in_one_message_gets_both_paths(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("What do AI engineers earn in their first year, and what do automation freelancers earn when starting out?")
    assert has(turn, "₹0"), turn.answer
    assert has(turn, "10-30k"), turn.answer


def test_a_second_question_naming_only_the_other_path_asks_the_first_of_it(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("When do ML engineers usually give up? and automation folks?")
    assert has(turn, "8-14"), turn.answer
    assert has(turn, "18-24"), turn.answer


def test_a_second_question_asking_why_is_not_taken_for_the_first_of_another_path(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("When do ML engineers usually give up? And why?")
    assert has(turn, "8-14"), turn.answer
    assert has(turn, "messy", "cleaning data", "data wall"), turn.answer


def test_and_why_joined_to_a_question_gets_its_cause_too(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("When do people on each of the two paths usually burn out, and why?")
    assert has(turn, "8-14") and has(turn, "18-24"), turn.answer
    assert has(turn, "messy", "cleaning data", "alone") and has(turn, "phone", "platform", "break at once"), turn.answer


def test_a_story_before_the_question_gets_the_question_answered_not_a_fit(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat(
        "I've been building Zapier flows for clients for almost two years and lately I'm wiped out. Is this the point where it usually gets bad?"
    )
    assert turn.fit is None, turn.answer
    assert has(turn, "18-24"), turn.answer


def test_a_claim_told_mid_conversation_is_what_a_short_question_after_it_asks_about(chat: Callable[..., list[Turn]]) -> None:
    """The "that" of a short question points at the story just told, not at the last answer's subject."""
    first, claim = chat(
        "do you need a CS degree to get hired as an AI engineer?",
        "People tell me I over-engineer everything to look clever. Is that a problem?",
    )
    assert has(first, "degree"), first.answer
    assert claim.in_scope, claim.answer
    assert has(claim, "appearing smart", "complexity", "over-engineer", "impressive"), claim.answer
    assert not has(claim, "handicap"), claim.answer


def test_a_self_description_with_a_question_of_fact_gets_the_fact_and_the_fit(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat(
        "I do hate being interrupted when I'm deep in something. Which traits does the article say make people fail at automation?"
    )
    assert has(turn, "the right way"), turn.answer
    assert turn.fit is not None and turn.fit.recommended == "engineering", turn.answer
    assert any("the right way" in c.text for c in turn.citations)


def test_a_comparison_question_with_a_point_gets_the_passage_found_not_only_the_table(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("is it even fair to compare these two careers?")
    assert has(turn, "same axis", "surgeon"), turn.answer
    assert has(turn, "back-loaded"), turn.answer  # the table, in brief


def test_a_story_about_another_job_before_a_question_about_the_two_is_answered(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("I've taught maths at a school for ten years and want a change. Which of the two would get me earning sooner?")
    assert turn.in_scope, turn.answer
    assert has(turn, "10-30k"), turn.answer


def test_an_answer_never_says_a_sentence_twice(chat: Callable[..., list[Turn]]) -> None:
    """A short sentence is read with the next one, so two choices could share it."""
    from pathwise.knowledge.lexical import sentences

    for turn in chat(
        "why are custom ML models less needed these days?",
        "When do AI engineers hit the wall?",
        "why then?",
        "is there some easy way to decide between the two?",
        "what are they?",
        "what does a bad day look like for an AI engineer?",
        "the model isn't converging part, explain that",
    ):
        said = sentences(turn.answer)
        assert len(said) == len(set(said)), turn.answer


def test_an_answer_goes_on_to_what_the_article_says_right_after_its_first_sentence(chat: Callable[..., list[Turn]]) -> None:
    """The article states a thing, then explains it: the explanation comes with it."""
    (floor,) = chat("what happens to mid-tier AI work as foundation models improve?")
    assert has(floor, "floor drops out") and has(floor, "call an API"), floor.answer
    (course,) = chat("what does the engineering course grad know when they start applying?")
    assert has(course, "PyTorch") and has(course, "transformer"), course.answer


def test_a_line_that_leads_into_a_list_comes_with_the_list(chat: Callable[..., list[Turn]]) -> None:
    """ "This creates two effects:" ends a paragraph; its two effects are the next one."""
    (effects,) = chat("list the two effects the article says came from automation getting accessible")
    assert has(effects, "More demand") and has(effects, "More competition"), effects.answer
    assert not has(effects, "effects: But"), effects.answer


def test_a_follow_up_about_a_word_of_the_last_answer_gets_what_the_article_says_of_it(chat: Callable[..., list[Turn]]) -> None:
    first, things = chat("When do automation specialists burn out?", "breaks how, exactly?")
    assert has(first, "breaks")
    assert things.in_scope and has(things, "five of your client projects", "acquired", "API pricing"), things.answer
    assert not has(things, "alone"), things.answer  # still automation's, not a new question on both paths' bad days


def test_they_after_an_answer_on_one_path_are_that_path_s_people(chat: Callable[..., list[Turn]]) -> None:
    _, burn = chat("what trips people up in automation work?", "and when do they usually burn out?")
    assert has(burn, "18-24") and not has(burn, "8-14"), burn.answer


def test_two_stretches_of_time_in_one_question_get_both_figures(chat: Callable[..., list[Turn]]) -> None:
    (pay,) = chat("what do automation specialists make between 6 and 18 months, and after 3 years?")
    assert has(pay, "30-80k") and has(pay, "variable consulting"), pay.answer
    assert not has(pay, "10-30k"), pay.answer


def test_one_framework_question_asked_about_after_all_three_gets_what_each_side_means(chat: Callable[..., list[Turn]]) -> None:
    """ "tell me more about ..." asks; it says nothing of the person, so it is no request for a fit."""
    _, depth = chat("what are the framework's questions?", "tell me more about the depth or breadth one")
    assert depth.fit is None, depth.answer
    assert has(depth, "going deeper") and has(depth, "variety"), depth.answer


def test_after_that_after_a_story_is_what_happened_next_not_the_next_pay_band(chat: Callable[..., list[Turn]]) -> None:
    _, then = chat("how does someone fresh out of an automation course get started, early on?", "and after that?")
    assert has(then, "refer you"), then.answer
    assert not has(then, "30-80k", "Entry barrier"), then.answer  # not the pay of the next months, nor the last answer again


def test_a_stretch_of_time_in_the_story_does_not_narrow_a_question_of_how_long(chat: Callable[..., list[Turn]]) -> None:
    (when,) = chat(
        "i'm a 31 yr old chemist with savings for maybe 18 months. how long till an ML engineer earns anything at all?"
    )
    assert has(when, "₹0") and has(when, "0-12"), when.answer


@pytest.mark.parametrize(
    ("messages", "said", "unsaid"),
    [
        pytest.param(  # "and after that?" goes on from the later of two stretches asked
            ["what does an automation specialist earn in the first 6 months? and from month 6 to 18?", "and after that?"],
            ["60k-1.5L"],
            ["30-80k"],
            id="after-the-later-stretch",
        ),
        pytest.param(
            ["ML engineer ko 1 se 2 saal mein kitna milta hai?", "accha, aur uske baad?"], ["8-18L"], ["3-6L"], id="uske-baad"
        ),
        pytest.param(  # a Hinglish question ends on its question word, with or without "?"
            ["automation mein pehle 6 mahine mein kitna milta hai? aur 3 saal ke baad kitna"],
            ["10-30k", "variable consulting"],
            [],
            id="hinglish-without-question-mark",
        ),
        pytest.param(  # the second question asks the first of another stretch, not the conversation's subject
            ["how hard is it to break into ML jobs?", "ok. and what does an ML engineer make in year 1? and in the 2nd year?"],
            ["0-12", "3-6L"],
            ["credentials"],
            id="second-stretch-in-one-message",
        ),
        pytest.param(  # words that only clarify a question do not crowd out the next one
            ["how much do ML engineers make in their first year?", "and then? i mean 12-24 months, and what about after 4 yrs?"],
            ["3-6L", "20-50L"],
            [],
            id="clarified-then-asked-again",
        ),
        pytest.param(  # a figure glued to its money unit in the story makes the question one of pay
            ["a senior told me ML engineers earn 20LPA in their first job. what's the first year really like?"],
            ["0-12"],
            [],
            id="glued-money-unit",
        ),
        pytest.param(  # Hinglish postpositions after an English unit: "shuru ke 3 months mein" is the first 3 months
            ["automation wale shuru ke 3 months mein kitna kama lete hai?"], ["10-30k"], ["30-80k"], id="shuru-ke-months"
        ),
        pytest.param(  # a stretch that ends "a year and a half" in
            ["ML engineers ka pay kaisa hai?", "and for automation people, from 6 months to a year and a half in?"],
            ["30-80k"],
            ["60k-1.5L", "AI Engineers"],
            id="to-a-year-and-a-half",
        ),
        pytest.param(  # "after that", then the stretch named: the named one is asked, not the next after the last
            ["how much does an automation freelancer make at the start?", "and after that? say 2-3 yrs in. is it stable"],
            ["60k-1.5L"],
            [],
            id="after-that-then-named",
        ),
        pytest.param(  # "and after that?" beside a stretch asks what follows that stretch, in the same message
            ["for automation people, what's usual from 18 months up to 3 years in, and what about after that?"],
            ["60k-1.5L", "variable consulting"],
            ["30-80k"],
            id="stretch-and-after-it",
        ),
        pytest.param(  # a second year named by its ordinal alone; then "after that" goes on from the later one
            ["ML engineer first year how much they earn and second year also", "after that what"],
            ["8-18L"],
            ["3-6L", "20-50L"],
            id="second-by-ordinal-then-after",
        ),
    ],
)
def test_the_stretches_of_time_a_conversation_asks_get_their_bands(
    chat: Callable[..., list[Turn]], messages: list[str], said: list[str], unsaid: list[str]
) -> None:
    turn = chat(*messages)[-1]
    assert all(has(turn, figure) for figure in said), turn.answer
    assert not any(has(turn, figure) for figure in unsaid), turn.answer


@pytest.mark.parametrize(
    ("message", "said"),
    [
        ("when do automation freelancers start making proper money?", ["10-30k", "30-80k", "60k-1.5L"]),
        (
            "if I take the ML engineering route, what do I make in year one? and when does the money start getting good?",
            ["0-12", "3-6L"],
        ),
    ],
)
def test_when_pay_starts_being_good_is_answered_with_the_bands_not_the_first_one(
    chat: Callable[..., list[Turn]], message: str, said: list[str]
) -> None:
    (turn,) = chat(message)  # "start" in a question of when names no stretch of time
    assert all(has(turn, band) for band in said), turn.answer


def test_the_nth_q_of_the_framework_is_that_question(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("what is the 2nd q of the framework about?")
    assert has(turn, "depth or breadth") and not has(turn, "think harder"), turn.answer


def test_my_last_question_is_not_the_frameworks_last_question(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("ok last question, which skill from automation carries over to other jobs?")
    assert has(turn, "translating business problems") and not has(turn, "think harder or try faster"), turn.answer


def test_engg_names_the_engineering_path(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("how fast do ai engg folks see their work pay off?")
    assert has(turn, "Back-loaded") and not has(turn, "Front-loaded"), turn.answer


def test_a_stretch_of_time_in_hinglish_is_read(chat: Callable[..., list[Turn]]) -> None:
    _, pay = chat("bhai automation mein shuru ke 6 mahine kitna milta hai?", "aur uske baad, month 6 se 18 tak kitna?")
    assert has(pay, "30-80k") and not has(pay, "AI Engineers"), pay.answer


def test_a_question_without_a_question_mark_still_gets_its_answer_beside_the_fit(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("I hate being interrupted and I love deep work. what are the red flags for automation")
    assert turn.fit is not None and has(turn, "the right way"), turn.answer


def test_a_request_for_a_fit_in_hinglish_gets_a_fit(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat(
        "mujhe ek cheez mein gehraai tak jaana pasand hai aur main bahut patient hoon. mere liye kaunsa path sahi hai?"
    )
    assert turn.fit is not None and turn.fit.recommended == "engineering", turn.answer


# -- what is declined, and what is not ---------------------------------------------------------
@pytest.mark.parametrize(
    "request_",
    [
        "please draft an email to my landlord asking for two more weeks on rent",
        "landlord ko ek message likh do, rent late hoga",
        "can u fix my python script, it throws an error",
    ],
)
def test_a_request_to_write_something_else_is_declined(chat: Callable[..., list[Turn]], request_: str) -> None:
    _, declined = chat("How much do AI engineers earn?", request_)
    assert not declined.in_scope, declined.answer


def test_writing_about_the_paths_is_not_a_writing_request(chat: Callable[..., list[Turn]]) -> None:
    (resume,) = chat("what should I write on my resume to get automation gigs?")
    assert resume.in_scope, resume.answer


def test_a_message_marked_unrelated_is_read_on_its_own(chat: Callable[..., list[Turn]]) -> None:
    """After a self-description, "btw unrelated, buy gold now or wait?" is an aside, not a request for a fit."""
    *_, aside = chat("I like deep focus and I'm patient.", "btw unrelated, should I buy gold this month or wait till diwali?")
    assert not aside.in_scope and aside.fit is None, aside.answer
    _, in_scope = chat("How much do AI engineers earn?", "off topic, but when do automation people burn out?")
    assert in_scope.in_scope and has(in_scope, "18-24"), in_scope.answer


@pytest.mark.parametrize(
    "aside",
    [
        "which is better for a beginner, yoga or the gym?",
        "any tips to keep basil alive on a balcony in Chennai summers?",
        "my passport expires in march, how early should I renew it?",
    ],
)
def test_an_aside_from_any_walk_of_life_is_declined_and_the_conversation_goes_on(
    chat: Callable[..., list[Turn]], aside: str
) -> None:
    _, declined, resumed = chat("When do automation specialists burn out?", aside, "and what sets it off?")
    assert not declined.in_scope, declined.answer
    assert resumed.in_scope, resumed.answer


@pytest.mark.parametrize(
    "aside",
    [
        "quick one, totally unrelated: my Kafka consumer keeps lagging behind in production, how do I tune it?",
        "so, off topic: our office wifi drops every afternoon, what should I check first?",
        "one random thing - is it worth repairing a 6 year old fridge or should I buy a new one?",
        "unrelated question: how do I get my landlord to return the security deposit?",
        # The writer says so ("one unrelated thing", "side thing"); a spreadsheet formula is code help.
        "One unrelated thing, my invoice sheet uses =VLOOKUP(C2,Clients!A:D,4,FALSE) and half the rows show #N/A. Why?",
        "side thing, my team lead keeps scheduling calls at 9pm, how do I push back on that?",
        "on another note, my cousin wants to know how to ask his landlord for a rent reduction. any advice?",
    ],
)
def test_a_message_its_writer_calls_unrelated_is_taken_at_their_word(chat: Callable[..., list[Turn]], aside: str) -> None:
    """Even in words the article uses ("production", "breaks", "check"): it is declined unless plainly about the paths."""
    _, turn = chat("When do automation specialists burn out?", aside)
    assert not turn.in_scope, turn.answer


def test_unrelated_inside_a_question_about_the_paths_is_not_an_aside(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("my degree is unrelated. does it matter for AI engineering?")
    assert turn.in_scope and has(turn, "credential", "degree"), turn.answer


@pytest.mark.parametrize(
    ("second", "figure"),
    [("lol ok and how bad does it get?", None), ("haha nice. ok and what about the first year?", "₹0")],
)
def test_a_follow_up_in_small_talk_words_is_still_a_follow_up(
    chat: Callable[..., list[Turn]], second: str, figure: str | None
) -> None:
    """However many asides the bank holds, "lol ok" before a follow-up does not make it one."""
    first = "How much do AI engineers make after 4 years?" if figure else "When do automation specialists burn out?"
    _, turn = chat(first, second)
    assert turn.in_scope, turn.answer
    assert figure is None or has(turn, figure), turn.answer


@pytest.mark.parametrize(
    "message",
    [
        "my whole ml team says nobody ever notices their work. why is that?",
        "my teammate always reaches for the fanciest model. is that a red flag?",
    ],
)
def test_what_someone_else_is_like_is_no_self_description(chat: Callable[..., list[Turn]], message: str) -> None:
    (turn,) = chat(message)
    assert turn.fit is None and turn.in_scope, turn.answer


@pytest.mark.parametrize(
    ("before", "question"),
    [
        ("How hard is it to get into AI engineering?", "does an unrelated degree hurt my chances?"),
        ("What do automation specialists do all day?", "are the skills totally different between the two?"),
        ("How do automation freelancers find work?", "should I write LinkedIn posts about my n8n workflows to find clients?"),
        ("How do AI engineers get noticed?", "do AI engineers write a lot of blog posts or papers to get noticed?"),
    ],
)
def test_words_of_asides_and_writing_requests_inside_a_question_about_the_paths_are_not_declined(
    chat: Callable[..., list[Turn]], before: str, question: str
) -> None:
    _, turn = chat(before, question)
    assert turn.in_scope, turn.answer


@pytest.mark.parametrize(
    "statement",
    [
        "I love deep work and I'm patient. Would rather build one thing well than ten things fast.",
        "I'm patient and I love going deep on one problem. Can't stand being interrupted.",
        "Any kind of interruption drains me, and I love going deep on one hard problem for weeks.",
    ],
)
def test_a_self_description_that_opens_a_sentence_like_a_question_is_still_a_self_description(
    chat: Callable[..., list[Turn]], statement: str
) -> None:
    (turn,) = chat(statement)
    assert turn.fit is not None and turn.fit.recommended == "engineering", turn.answer
    assert not has(turn, "You'll struggle"), turn.answer  # no question was asked beside it


@pytest.mark.parametrize(
    ("message", "path"),
    [
        (
            "Nobody ever has to praise my work. I once spent a month on one memory leak and loved it, "
            "and I've got savings for two years. which path suits me?",
            "engineering",
        ),
        (
            "I like juggling different customers' problems every week, and I'd rather try things fast "
            "than read theory. which path is mine?",
            "automation",
        ),
    ],
)
def test_an_indirect_self_description_gets_the_path_it_points_to(
    chat: Callable[..., list[Turn]], message: str, path: str
) -> None:
    """Said by what happened and what is not needed, not in the framework's words; "different
    customers" is the person's work, not someone else's conversation."""
    (turn,) = chat(message)
    assert turn.fit is not None and turn.fit.recommended == path, turn.answer


def test_a_parent_asking_for_a_daughter_gets_a_fit_from_what_they_said_of_her(chat: Callable[..., list[Turn]]) -> None:
    *_, turn = chat(
        "My daughter finished college last year. what do automation folks earn at first?",
        "She gets bored doing one thing for long and she'd rather try stuff fast. also she needs to earn soon.",
        "so which suits her?",
    )
    assert turn.fit is not None and turn.fit.recommended == "automation", turn.answer


def test_a_parent_s_story_then_which_path_should_he_take_gets_a_fit_for_him(chat: Callable[..., list[Turn]]) -> None:
    _, turn = chat(
        "My boy will sit with one physics puzzle all weekend, and he doesn't care about quick money.",
        "Which path should he take?",
    )
    assert turn.fit is not None and turn.fit.recommended == "engineering", turn.answer


def test_which_path_for_those_months_beside_a_description_is_a_choice_not_the_18_month_advice(
    chat: Callable[..., list[Turn]],
) -> None:
    _, turn = chat(
        "My nephew is learning a little ML and a little automation to be safe. Is that sensible?",
        "Arjun is very patient. He can sit with one puzzle for hours and loves mastering one thing deeply. "
        "He does not need praise. Which path should he pick for those months?",
    )
    assert turn.fit is not None and turn.fit.recommended == "engineering", turn.answer


def test_a_description_of_a_daughter_is_read_as_she_would_say_it(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("my daughter gets bored easily and loves new gadgets every week. she wants money early. what would suit her?")
    assert turn.fit is not None and turn.fit.recommended == "automation", turn.answer


def test_the_writer_s_own_constraints_count_even_when_a_clause_opens_with_someone_else(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("my parents need me to start earning soon and I get bored doing one thing for long. which path suits me?")
    assert turn.fit is not None and "early_income" in turn.fit.model_dump_json(), turn.answer


def test_which_of_them_after_one_path_still_compares_both(chat: Callable[..., list[Turn]]) -> None:
    _, both = chat("When do automation specialists burn out?", "which of them is easier to get into?")
    assert has(both, "credentials") and has(both, "execution proof"), both.answer


def test_choosing_between_the_named_paths_after_a_self_description_gets_a_fit(chat: Callable[..., list[Turn]]) -> None:
    _, fit = chat("I love deep focus and I'm patient.", "ok so AI engineering or automation, which one?")
    assert fit.fit is not None and fit.fit.recommended == "engineering", fit.answer


def test_a_bare_ask_closing_a_self_description_gets_a_fit(chat: Callable[..., list[Turn]]) -> None:
    """The ask says nothing of the writer and nothing its topic vote reads as a choice; its nearest
    example is a request for a recommendation, and the sentences before it say who is asking."""
    first, fit = chat(
        "what does automation work look like when something breaks?",
        "yeah that is not me. I need long uninterrupted stretches to concentrate. so where do I fit then?",
    )
    assert has(first, "phone", "client"), first.answer
    assert fit.fit is not None and fit.fit.recommended == "engineering", fit.answer


@pytest.mark.parametrize(
    "question",
    [
        "Is that the kind of problem an automation specialist deals with?",
        "what sort of person struggles on the automation side, so I can check myself?",
    ],
)
def test_a_question_about_a_path_near_a_bare_ask_is_no_request_for_a_fit(chat: Callable[..., list[Turn]], question: str) -> None:
    _, answer = chat("I love going deep on one problem and I don't mind waiting for results.", question)
    assert answer.fit is None and answer.in_scope, answer.answer


def test_asking_the_article_who_each_path_suits_after_a_self_description_is_a_fact(chat: Callable[..., list[Turn]]) -> None:
    _, each = chat(
        "I love going deep on one problem for weeks, and I'm happy to wait for the payoff.",
        "according to the article, who is each path best suited for?",
    )
    assert each.fit is None and has(each, "patient thinkers") and has(each, "adaptive doers"), each.answer


def test_a_follow_up_after_a_fit_is_answered_not_declined(chat: Callable[..., list[Turn]]) -> None:
    fit, after = chat(
        "I refactor everything until it's spotless and I can't stand hacky fixes. what makes people struggle in automation work?",
        "what else is on that list?",
    )
    assert fit.fit is not None
    assert after.in_scope, after.answer


@pytest.mark.parametrize("message", ["what apps do automation people use day to day?", "which apps does an ML engineer live in?"])
def test_apps_of_a_path_are_in_scope(chat: Callable[..., list[Turn]], message: str) -> None:
    (turn,) = chat(message)
    assert turn.in_scope and turn.citations and not has(turn, "doesn't say"), turn.answer


def test_apps_to_build_are_not_a_product_to_pick(chat: Callable[..., list[Turn]]) -> None:
    _, apps = chat("When do AI engineers hit the wall?", "what kind of apps could I build as a beginner?")
    assert apps.in_scope, apps.answer


def test_also_without_pointing_back_asks_something_new_of_the_other_path(chat: Callable[..., list[Turn]]) -> None:
    _, tools = chat("How much do AI engineers earn?", "what tools do automation specialists also use?")
    assert not has(tools, "₹"), tools.answer  # not the pay, asked again of automation
    assert has(tools, "n8n", "zapier"), tools.answer


def test_the_other_path_too_asks_of_both(chat: Callable[..., list[Turn]]) -> None:
    *_, both = chat("how much does an ai engineer make in year one?", "what about past year four, for automation people too?")
    assert has(both, "20-50L") and has(both, "variable consulting"), both.answer


def test_a_request_beside_a_question_is_answered_too(chat: Callable[..., list[Turn]]) -> None:
    """ "Please tell me ..." asks as a question does: both parts of the message get their answer."""
    (turn,) = chat("Please tell me what the entry barrier is for automation work. Is the pay steady there?")
    assert has(turn, "execution proof"), turn.answer
    assert has(turn, "10-30k", "dry months"), turn.answer


def test_that_route_is_the_path_the_conversation_is_on(chat: Callable[..., list[Turn]]) -> None:
    _, learn = chat("is automation work steady income?", "ok if I still go down that road, what should I be learning first?")
    assert has(learn, "n8n", "zapier") and not has(learn, "pytorch"), learn.answer


def test_a_question_and_its_alternative_joined_by_or_are_both_read(chat: Callable[..., list[Turn]]) -> None:
    """ "how do they get past it, or is that where they give up?" asks how people get through first."""
    _, past = chat("when do ML engineers tend to burn out?", "right, how do people get past it or is that where most give up")
    assert has(past, "patience", "tolerance for ambiguity"), past.answer


def test_a_first_paid_project_gets_the_article_s_own_case_beside_the_figures(chat: Callable[..., list[Turn]]) -> None:
    """The band says ₹10-30k a project; the article's story of a first client says what that looks like."""
    (turn,) = chat("I've just done a Make.com course - what would my first paying automation client look like?")
    assert has(turn, "10-30k") and has(turn, "15,000"), turn.answer
    (engineers,) = chat("what do ML engineers get paid in their first two years?")
    assert not has(engineers, "In the article's example"), engineers.answer  # the article has no such case for them


def test_an_alternative_does_not_crowd_out_a_second_question(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("do engineers hit a wall at some point or is it smooth all along? and when do automation folks burn out?")
    assert has(turn, "8-14") and has(turn, "18-24"), turn.answer


def test_an_ordinal_inside_another_question_is_not_the_framework(chat: Callable[..., list[Turn]]) -> None:
    (pay,) = chat("quick question: what do AI engineers earn in the first year?")
    assert has(pay, "0-12") and not has(pay, "right once"), pay.answer


def test_a_story_says_what_a_question_in_slang_is_about(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("A guy on reddit said automation gigs are drying up because of templates. Is that legit or just doomposting?")
    assert turn.in_scope, turn.answer


@pytest.mark.parametrize(
    "aside",
    [
        "unrelated, but what's a good recipe for dal makhani?",
        "can you fix this python function for me? def f(x): return x +",
        "which laptop is best for college students?",
        "any app you'd suggest for tracking my freelance invoices?",
        "know a good book on negotiating a raise?",
        "and how are you doing today?",
        "how do I become a civil engineer?",
        "honestly would an MBA be smarter than either of these?",
        "off topic but whats a decent meditation app?",
        "btw did you see ind vs pak last night? who won?",  # "vs" names no path
    ],
)
def test_an_aside_mid_conversation_is_declined_and_the_conversation_goes_on(chat: Callable[..., list[Turn]], aside: str) -> None:
    first, declined, back = chat("When do AI engineers hit the wall?", aside, "and for automation folks?")
    assert first.in_scope and not declined.in_scope, declined.answer
    assert back.in_scope and has(back, "18-24"), back.answer


def test_a_question_about_the_article_s_own_comparison_to_another_career_is_answered(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("why does the article compare these careers to being a doctor?")
    assert turn.in_scope and has(turn, "surgeon"), turn.answer


@pytest.mark.parametrize(
    "question",
    [
        "what's the catch with going the automation route?",
        "is the ML path a grind forever or does it ease up?",
        "do small shops even want someone with a fancy degree?",
    ],
)
def test_an_in_scope_question_in_unusual_words_is_answered_not_refused(chat: Callable[..., list[Turn]], question: str) -> None:
    (turn,) = chat(question)
    assert turn.in_scope, turn.answer
    assert turn.citations, turn.answer


# -- a self-description over several turns -----------------------------------------------------
def test_a_fit_counts_what_the_person_said_over_the_conversation(chat: Callable[..., list[Turn]]) -> None:
    turns = chat(
        "I can lose myself in one hard problem for weeks and love it.",
        "When I'm stuck I go back to the maths and read papers until I understand it.",
        "so which of the two suits me?",
    )
    last = turns[-1]
    assert last.fit is not None and last.fit.recommended == "engineering", last.answer
    assert len(last.fit.reasons) >= 2


def test_asking_which_path_after_a_fact_answer_counts_what_was_said_before(chat: Callable[..., list[Turn]]) -> None:
    *_, verdict = chat(
        "When do AI engineers usually hit the wall?",
        "I'm fine waiting a couple of years for money, and when stuck I'd rather think it through than try random fixes. "
        "How long until ML pays at all?",
        "fine, you pick for me then - which one?",
    )
    assert verdict.fit is not None and verdict.fit.recommended == "engineering", verdict.answer


def test_a_fit_for_someone_who_likes_variety_and_quick_wins(chat: Callable[..., list[Turn]]) -> None:
    turns = chat(
        "I get restless doing the same kind of task for long; new tools every week keep me going.",
        "And honestly I'd rather ship something scrappy today than polish it for a month.",
        "ok which path should I pick then?",
    )
    assert turns[-1].fit is not None and turns[-1].fit.recommended == "automation", turns[-1].answer


def test_a_bare_stretch_of_time_after_a_self_description_asks_the_pay_then_not_a_fit(chat: Callable[..., list[Turn]]) -> None:
    _, turn = chat(
        "What do AI engineers earn in their second year?",
        "I love going deep on one problem and I'm fine waiting years for money. and year 4?",
    )
    assert has(turn, "8-18L"), turn.answer


@pytest.mark.parametrize("ask", ["so?", "so which one", "which path then"])
def test_a_self_description_ending_in_a_bare_which_gets_a_fit_and_nothing_else(chat: Callable[..., list[Turn]], ask: str) -> None:
    _, verdict = chat(
        "Which companies hire automation people?",
        "quick recap of me: new apps every week keep me buzzing, I want clients to see the result the same week. "
        f"a year of theory before anything ships would kill me. {ask}",
    )
    assert verdict.fit is not None and verdict.fit.recommended == "automation", verdict.answer
    assert verdict.answer.startswith("From what you said"), verdict.answer  # not the companies again


def test_a_bare_so_after_saying_one_thing_of_oneself_is_not_taken_for_a_fit(chat: Callable[..., list[Turn]]) -> None:
    _, turn = chat("When do automation people burn out?", "I'm a patient person. so?")  # one thing the framework uses
    assert turn.fit is None, turn.answer


def test_and_the_other_path_past_a_year_asks_the_pay_of_that_path_then(chat: Callable[..., list[Turn]]) -> None:
    _, later = chat("what do ML engineers take home once they're 4 years in?", "and the automation lot past year three?")
    assert has(later, "variable consulting rates") and has(later, "36+"), later.answer


def test_what_came_after_a_thing_the_answer_told_of_is_the_story_going_on(chat: Callable[..., list[Turn]]) -> None:
    first, after = chat(
        "a year into automation gigs here. does a small agency really pay around 15k for one project?",
        "nice. what happens after that project?",
    )
    assert has(first, "15,000"), first.answer
    assert has(after, "refer"), after.answer


def test_and_then_what_happened_after_a_story_is_the_story_going_on_not_the_next_months(
    chat: Callable[..., list[Turn]],
) -> None:
    first, after = chat(
        "in the first six months, does a small agency really pay an automation freelancer around 15k for a project?",
        "and then what happened?",
    )
    assert has(first, "15,000"), first.answer
    assert has(after, "refer") and not has(after, "30-80k"), after.answer


def test_years_of_another_job_in_a_story_are_not_the_stretch_asked_about(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("I've run a small web agency for twelve years. what do automation freelancers make?")
    assert has(turn, "10-30k") and has(turn, "30-80k"), turn.answer  # every band, not the 36+ one alone


def test_a_sentence_of_nothing_but_a_stretch_of_time_after_the_question_says_which_is_asked(
    chat: Callable[..., list[Turn]],
) -> None:
    _, later = chat("what do automation freelancers make at the very start?", "ok and after? like month 6 to 18")
    assert has(later, "30-80k") and not has(later, "10-30k"), later.answer


def test_asking_how_to_decide_gets_the_frameworks_questions(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("how should I choose between these paths?")
    assert turn.fit is None
    assert has(turn, "right once", "useful repeatedly"), turn.answer
    assert has(turn, "think harder", "try faster"), turn.answer


def test_asking_which_path_with_nothing_said_about_oneself_gets_the_verdict_not_a_fit(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("so which one is better overall?")
    assert turn.fit is None and turn.in_scope, turn.answer
    assert has(turn, "neither is better", "choose"), turn.answer


def test_a_question_about_a_path_s_people_beside_a_self_description_is_answered_before_the_fit(
    chat: Callable[..., list[Turn]],
) -> None:
    (turn,) = chat("I get bored fast and I love trying new tools every week. What kind of people do well in AI engineering?")
    assert has(turn, "depth-driven", "patient"), turn.answer  # what was asked, of the path it named
    assert turn.fit is not None and turn.fit.recommended == "automation", turn.answer


# -- income, like with like ----------------------------------------------------------------------
def test_which_pays_more_says_when_the_figures_are_not_in_one_unit(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("How do the two paths compare on earnings over the first year and a half?")
    assert has(turn, "₹30-80k monthly") and has(turn, "₹0"), turn.answer
    assert has(turn, "not in one unit"), turn.answer
    assert has(turn, "per month") and has(turn, "no period stated"), turn.answer


def test_one_path_income_is_not_flagged_as_mixed_units(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("How much do AI engineers earn in years two to four?")
    assert has(turn, "8-18L") and not has(turn, "not in one unit"), turn.answer


def test_a_sentence_named_by_both_readings_of_the_bank_is_said(
    chat: Callable[..., list[Turn]], advisor: Advisor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Short of a bank question close in meaning, the sentence whose questions share the message's
    rare words is said when it is also among the closest few in meaning; not when meaning puts it far."""
    kb = advisor.offline.kb
    near = "Your leverage comes from speed and adaptability."
    far = "Missing values, inconsistent formats, labels that make no sense."
    meaning = {"The first two years are slow.": 0.62, near: 0.6, "Neither is better.": 0.58, far: 0.55}
    monkeypatch.setattr(kb, "sentence_key_cosines", lambda vector: meaning)
    monkeypatch.setattr(kb, "sentence_key_lexical", lambda text: {near: 9.0})
    (agreed,) = chat("what do automation people have going for them?")
    assert has(agreed, "speed and adaptability"), agreed.answer
    monkeypatch.setattr(kb, "sentence_key_lexical", lambda text: {far: 9.0})
    (apart,) = chat("what do automation people have going for them?")
    assert not has(apart, "inconsistent formats"), apart.answer


def test_which_path_is_me_mid_conversation_gets_a_fit(chat: Callable[..., list[Turn]]) -> None:
    """ "Which path" reads as both paths; after an answer on one, it is still a request for a fit."""
    _, fit = chat(
        "When do AI engineers burn out?",
        "i read papers for fun and i'm happy to spend a month on one hard problem. so which path is mine?",
    )
    assert fit.fit is not None and fit.fit.recommended == "engineering", fit.answer


# -- causes, suppositions and the point of a scene ---------------------------------------------
@pytest.mark.parametrize(
    ("messages", "cause"),
    [
        (("what explains the pay of AI engineers arriving so late?",), "back-loaded"),
        (("why do automation folks see money so soon after starting out?",), "front-loaded"),
    ],
)
def test_why_the_pay_comes_when_it_does_is_answered_with_the_articles_cause(
    chat: Callable[..., list[Turn]], messages: tuple[str, ...], cause: str
) -> None:
    """The figures alone do not say why; the follow-up bank knows which line of the article does."""
    *_, why = chat(*messages)
    assert has(why, cause), why.answer


def test_a_supposition_before_the_question_does_not_become_its_subject(chat: Callable[..., list[Turn]]) -> None:
    """ "say i get through the burnout, what do I earn..." asks about pay; the burnout is only supposed."""
    _, pay = chat("when do automation people burn out?", "ok say i get through the burnout, what do i earn after 3 years?")
    assert has(pay, "variable consulting", "20-50L"), pay.answer


def test_the_experience_job_postings_demand_is_said_beside_the_entry_barrier(chat: Callable[..., list[Turn]]) -> None:
    """The entry-barrier answer cites the scene of the course graduate; its figure is the point of it."""
    (turn,) = chat(
        "I teach at a polytechnic. my students finish ML courses and then apply. what do the AI engineer job ads ask them for?"
    )
    assert has(turn, "2+ years"), turn.answer


@pytest.mark.parametrize("confirm", ["right?", "true?", "sach me?"])
def test_a_bare_true_asks_about_the_claim_just_before_it(chat: Callable[..., list[Turn]], confirm: str) -> None:
    """A story, then a claim heard somewhere, then "true?": the claim is what is asked about, not the story."""
    (turn,) = chat(
        "I build Make flows for gyms and salons, been a year now, going well. "
        f"but my friend says automation people crash around year two. {confirm}"
    )
    assert has(turn, "18-24"), turn.answer


def test_going_that_way_is_the_path_the_conversation_was_about(chat: Callable[..., list[Turn]]) -> None:
    """ "if i still go that way" points at the path just talked about, as "that route" does."""
    _, learn = chat("how is the job market for ML engineers this year?", "ok. if i still go that way, what should i be learning?")
    assert has(learn, "deployment", "evaluation frameworks"), learn.answer


def test_who_gives_up_is_answered_first_by_the_line_that_says_who(chat: Callable[..., list[Turn]]) -> None:
    """The banks label which lines say who ("This takes patience ...", "If you hate ..."): a "who" leads with one."""
    _, who = chat("when do ML engineers usually hit the wall?", "and who tends to give up at that point?")
    opening = who.answer.split(". ")[0]
    assert has(Turn(answer=opening), "patience", "If you hate"), who.answer


def test_an_answer_is_never_a_bare_fragment_when_the_article_says_more(chat: Callable[..., list[Turn]]) -> None:
    _, who = chat("the 8-14 month wall for ML people, what is it?", "so who quits?")
    assert len(who.answer.split()) >= 12, who.answer
    assert has(who, "patience", "not knowing"), who.answer


@pytest.mark.parametrize(
    ("message", "own", "other"),
    [
        ("the 8-14 month wall, what's behind it?", "messy", "18-24"),
        ("that 18-24 thing, what breaks then?", "on the phone", "8-14"),
    ],
)
def test_a_burnout_point_the_article_gives_one_path_names_that_path(
    chat: Callable[..., list[Turn]], message: str, own: str, other: str
) -> None:
    (turn,) = chat(message)
    assert has(turn, own), turn.answer
    assert not has(turn, other), turn.answer


def test_a_story_does_not_hide_the_line_the_bank_says_answers_the_question_itself(chat: Callable[..., list[Turn]]) -> None:
    """Read with its story, the message is far from every bank question; the question alone is near one."""
    (turn,) = chat(
        "I'm a CA, 8 years of audits, and I'm tired of the same spreadsheets. "
        "what's the real question behind choosing between these two?"
    )
    assert has(turn, "valuable quickly"), turn.answer


@pytest.mark.parametrize(
    "message",
    [
        "main thoda ML seekh raha hu aur thoda make.com pe kaam bhi kar raha hu, dono saath mein. sahi strategy hai?",
        "my cousin learns ML at night and sells zapier setups by day, keeping both going. good plan?",
    ],
)
def test_a_bare_is_that_wise_asks_about_what_was_just_said(chat: Callable[..., list[Turn]], message: str) -> None:
    """After doing both at once, "good plan?" asks about doing both: the article's warning, never a refusal."""
    (turn,) = chat(message)
    assert turn.in_scope, turn.answer
    assert has(turn, "shallow in both", "straddle", "18 months"), turn.answer


def test_zaps_are_automation_work(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("I've got 40 zaps running for clients. when do people doing this burn out?")
    assert has(turn, "18-24") and not has(turn, "8-14"), turn.answer


def test_a_scene_is_told_up_to_its_point(chat: Callable[..., list[Turn]]) -> None:
    """The article's course-graduate scene sets the stage in short lines; the figure a few lines on is its point."""
    (turn,) = chat("my brother just finished an ML course and knows pytorch well. what happens when he applies for jobs?")
    assert has(turn, "2+ years"), turn.answer


def test_a_run_on_question_without_a_question_mark_is_answered_not_taken_for_a_fit(
    chat: Callable[..., list[Turn]],
) -> None:
    """Voice notes typed out: a story, a trait, then the question after a comma, no "?" anywhere."""
    (turn,) = chat("i run a tailoring shop in pune and i like quick results, so which type of company hires automation people")
    assert turn.fit is None, turn.answer
    assert has(turn, "15-person team", "company size"), turn.answer


@pytest.mark.parametrize(
    ("message", "questions", "story", "asks"),
    [
        (
            "i run a tailoring shop in pune, so which type of company hires automation people",
            ["so which type of company hires automation people"],
            "i run a tailoring shop in pune",
            True,
        ),
        ("i fix bikes, like how much i can earn doing it", ["i fix bikes, like how much i can earn doing it"], "", True),
        ("so the engineer pay in year 3 is how much", ["so the engineer pay in year 3 is how much"], "", True),
        ("automation clients pay on time or not", ["automation clients pay on time or not"], "", True),
        ("i love quick wins, and i get bored fast", ["i love quick wins, and i get bored fast"], "", False),
        (
            "i teach kids, which is why i like explaining things",
            ["i teach kids, which is why i like explaining things"],
            "",
            False,
        ),
        ("what i enjoy is one hard problem for weeks", ["what i enjoy is one hard problem for weeks"], "", False),
    ],
    ids=["after-a-clause", "pointing-back", "declarative", "or-not", "two-tells", "which-is-why", "what-i-enjoy"],
)
def test_whether_a_message_without_a_question_mark_asks_is_read_by_example(
    kb: KnowledgeBase, message: str, questions: list[str], story: str, asks: bool
) -> None:
    """Form is learned from labelled clauses (knowledge/data/forms.jsonl), not from question words:
    the clause that asks starts the question and what was told before it is the story."""
    from pathwise.agent.reading import asking_parts

    assert asking_parts(message, kb.asks) == (questions, story, asks)


def test_punctuation_says_which_sentences_ask_when_the_writer_uses_it() -> None:
    """Someone who puts "?" after a question tells in their other sentences, whatever the form model reads there."""
    from pathwise.agent.reading import asking_parts

    told = "my cousin is confused between engineering and automation."

    def everything_asks(clause: str) -> float:
        return 1.0

    assert asking_parts(f"{told} which one pays sooner?", everything_asks) == (["which one pays sooner?"], told, True)
    assert asking_parts(f"{told} which one pays sooner", everything_asks) == ([told, "which one pays sooner"], "", True)


def test_a_question_in_statement_order_is_answered_not_taken_for_a_self_description(
    chat: Callable[..., list[Turn]],
) -> None:
    (turn,) = chat("i sell vegetables and i get bored easily, the automation wall comes at which month")
    assert turn.fit is None, turn.answer
    assert has(turn, "18-24"), turn.answer


def test_how_long_the_writer_has_done_something_else_is_not_the_stretch_asked_about(
    chat: Callable[..., list[Turn]],
) -> None:
    (turn,) = chat(
        "i drive an auto in pune since 6 yrs, ok if i go the AI engineer way tbh how long before i earn anything from it"
    )
    assert has(turn, "0-12"), turn.answer


def test_chat_spellings_of_you_are_small_words_not_a_subject(chat: Callable[..., list[Turn]]) -> None:
    """ "u" shares nothing with "can u help with my hw": a follow-up written with it is still a follow-up."""
    _, turn = chat("which skill from AI engineering still counts once the tools change", "where does that lead u")
    assert turn.in_scope, turn.answer
    assert has(turn, "architecture roles"), turn.answer


def test_a_second_stretch_asked_with_what_in_joins_the_first(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("how much would i make with automation in the first year and what in year 3")
    assert has(turn, "10-30k") and has(turn, "60k-1.5L"), turn.answer


@pytest.mark.parametrize(
    ("story", "question", "declined"),
    [
        ("my sister suggested becoming a data analyst instead.", "would that be safer than both?", True),
        ("I work as a nurse.", "would it be harder than my current job?", False),
    ],
    ids=["another-career-compared", "the-writers-own-job"],
)
def test_a_career_told_of_then_set_against_both_paths_is_another_career(
    chat: Callable[..., list[Turn]], story: str, question: str, declined: bool
) -> None:
    (turn,) = chat(f"{story} {question}")
    assert turn.in_scope is not declined, turn.answer


def test_a_trait_said_beside_what_they_do_not_do_is_read_as_said(advisor: Advisor) -> None:
    """ "a bit of everything not going super deep": the clause is breadth, whatever MiniLM makes of "deep"."""
    answers = advisor.offline.reader.profile(["i enjoy learning a little of everything not going super deep in one area"])
    assert answers.energy_from == "breadth"


@pytest.mark.parametrize(
    ("follow_up", "item", "said"),
    [
        ("about your third point, what do you mean?", "You optimize for appearing smart", "linear regression"),  # by place
        ("point 2 - does that happen to experienced people too?", "You hate being wrong in public", "including senior people"),
        ("the validation one, why does it matter so much?", "You need frequent validation", "no one will notice"),  # by words
        ("your last point, what does it mean?", "You optimize for appearing smart", "linear regression"),  # the list's last
    ],
)
def test_a_follow_up_on_one_item_of_a_list_gets_that_items_paragraph(
    chat: Callable[..., list[Turn]], follow_up: str, item: str, said: str
) -> None:
    _, answer = chat("what personality types struggle as AI engineers?", follow_up)
    assert answer.answer.startswith(item), answer.answer  # that item, not the lists again or their neighbours
    assert has(answer, said), answer.answer


def test_an_item_of_the_other_path_is_not_the_one_asked_about(chat: Callable[..., list[Turn]]) -> None:
    _, other = chat(
        "what does someone fresh out of an automation course know?", "and what does the engineering course person know?"
    )
    assert has(other, "PyTorch"), other.answer


def test_same_question_for_the_other_path(chat: Callable[..., list[Turn]]) -> None:
    _, _, same = chat(
        "which skill from automation work stays useful when the tools change?",
        "where can it take someone later?",
        "same q for the ml engineers",
    )
    assert has(same, "under uncertainty"), same.answer


def test_a_path_set_aside_with_not_is_not_the_one_asked_about(chat: Callable[..., list[Turn]]) -> None:
    _, pay = chat(
        "what do AI engineers earn early on?", "sorry i meant the automation folks, not ai engineers. what do they earn?"
    )
    assert has(pay, "10-30k"), pay.answer
    assert not has(pay, "₹0", "3-6L"), pay.answer


def test_going_back_to_an_earlier_point_is_not_an_item_of_the_last_answer(chat: Callable[..., list[Turn]]) -> None:
    _, _, back = chat(
        "no CS degree here. will anyone hire me as an AI engineer?",
        "and on the automation side, does a degree help at all?",
        "going back to your first point, which kind of company wants which kind of person?",
    )
    assert has(back, "VC funding") and has(back, "15-person"), back.answer


def test_which_one_to_buy_is_a_product_choice_unless_it_asks_of_a_path(chat: Callable[..., list[Turn]]) -> None:
    _, buy = chat("when do AI engineers burn out?", "my sister asks: Dell or Lenovo for a student, which one should she buy?")
    assert not buy.in_scope, buy.answer
    (course,) = chat("should i buy a paid course or learn free for automation?")
    assert course.in_scope, course.answer
    _, device = chat(
        "what does an automation person do all day?",
        "my nephew wonders whether he should buy a tablet or a laptop first. thoughts?",
    )
    assert not device.in_scope, device.answer
    _, career = chat("is ML worth it?", "Would my son be better off with accountancy than either of these?")
    assert not career.in_scope, career.answer


def test_a_mentor_asking_which_path_to_nudge_someone_toward_gets_a_fit_for_them(chat: Callable[..., list[Turn]]) -> None:
    """Marked as a new subject, it is still about the paths; "she'd rather ..." is read as she would say it."""
    (fit,) = chat(
        "Change of topic. A trainee of mine can't stand interruptions, she'd rather think a problem through than try "
        "random fixes, and she loves going deep into one system. Which path should I steer her toward?"
    )
    assert fit.in_scope and fit.fit is not None and fit.fit.recommended == "engineering", fit.answer


def test_after_that_first_year_is_every_stretch_after_it(chat: Callable[..., list[Turn]]) -> None:
    _, after = chat("what does an ML engineer earn in year one?", "and after that first year, how does the pay go?")
    assert has(after, "3-6L") and has(after, "8-18L") and has(after, "20-50L"), after.answer


def test_a_new_subject_mid_conversation_is_answered_as_its_own(chat: Callable[..., list[Turn]]) -> None:
    """The classifier and the nearest examples agree on the subject: it is no follow-up of the day-to-day work."""
    _, value = chat(
        "what does each of them do all day, an ML engineer and an automation specialist?",
        "ok. if I hired one of each, how soon would I see the value of their work?",
    )
    assert has(value, "back-loaded", "months later") and has(value, "front-loaded", "same week"), value.answer


def test_an_ordinal_told_before_the_question_points_into_the_framework(chat: Callable[..., list[Turn]]) -> None:
    _, second = chat(
        "what are the article's three questions?",
        "On your second question: my friend loves trying new tools and new domains all the time. What does the article say about that?",
    )
    assert has(second, "encountering variety", "Novelty is energizing"), second.answer


def test_a_second_question_naming_only_a_later_stretch_asks_the_first_of_it(chat: Callable[..., list[Turn]]) -> None:
    (both,) = chat("if i pick ML engineering, what would i earn in years 2 to 4, and what after 4 years?")
    assert has(both, "8-18L") and has(both, "20-50L"), both.answer


def test_which_one_do_i_commit_to_after_a_self_description_is_a_fit(chat: Callable[..., list[Turn]]) -> None:
    (fit,) = chat(
        "to be honest i get bored with theory, i learn a new tool in an afternoon, i love variety and i need some income soon. "
        "so which one do i commit to?"
    )
    assert fit.fit is not None and fit.fit.recommended == "automation", fit.answer


def test_which_is_right_for_me_in_hinglish_is_a_fit(chat: Callable[..., list[Turn]]) -> None:
    (fit,) = chat(
        "mujhe ek hi cheez mein gehraai tak jaana pasand hai, bahut patient hoon, paisa baad mein chalega. mere liye kaunsa sahi hai?"
    )
    assert fit.fit is not None and fit.fit.recommended == "engineering", fit.answer


def test_which_one_should_i_take_in_hinglish_is_a_fit(chat: Callable[..., list[Turn]]) -> None:
    """ "mujhe kaunsa lena chahiye?" is "which one should I take?", not "me which take need?" word for word."""
    (fit,) = chat(
        "mujhe ek hi cheez mein gehraai tak jaana pasand hai, papers padhna acha lagta hai, paisa baad mein aaye toh chalega. "
        "toh mujhe kaunsa lena chahiye?"
    )
    assert fit.fit is not None and fit.fit.recommended == "engineering", fit.answer


def test_a_follow_up_naming_the_pay_and_a_year_after_the_wall_asks_the_pay(chat: Callable[..., list[Turn]]) -> None:
    _, pay = chat("when do ML engineers hit the wall?", "ok and if i get past it, what's the pay in year one?")
    assert has(pay, "₹0") and has(pay, "0-12"), pay.answer


def test_a_second_question_pointing_back_at_a_later_stretch_asks_the_first_of_it(chat: Callable[..., list[Turn]]) -> None:
    (both,) = chat("how much does an ML engineer get in the first year, and how high does it climb after four years?")
    assert has(both, "₹0") and has(both, "20-50L"), both.answer


@pytest.mark.parametrize(
    ("first", "second", "unsaid"),
    [
        # "point 2" inside "at this point 2 years in" points at nothing
        ("what personality types struggle as AI engineers?", "at this point 2 years in, is burnout normal?", "wrong in public"),
        # an ordinal in the story is the writer's own when no framework question was given
        (
            "what do AI engineers earn early on?",
            "My first question got answered, thanks. I'm 2 yrs in and fried. Is that normal?",
            "right once",
        ),
    ],
)
def test_an_ordinal_that_points_at_nothing_said_is_not_read_as_a_reference(
    chat: Callable[..., list[Turn]], first: str, second: str, unsaid: str
) -> None:
    _, turn = chat(first, second)
    assert turn.in_scope and not has(turn, unsaid), turn.answer


def test_a_career_question_that_mentions_buying_is_not_a_product_choice(chat: Callable[..., list[Turn]]) -> None:
    _, course = chat("how do I get started in automation?", "should i buy a course for that or learn from youtube?")
    assert course.in_scope, course.answer


def test_why_dont_you_tell_me_which_path_suits_me_is_a_fit(chat: Callable[..., list[Turn]]) -> None:
    (fit,) = chat("I love variety, I get bored fast and I need income soon. why don't you just tell me which path suits me?")
    assert fit.fit is not None and fit.fit.recommended == "automation", fit.answer


def test_which_tool_to_start_with_is_not_a_choice_of_path(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("I love variety and hate theory, so I've settled on automation. which one should i start with, n8n or zapier?")
    assert turn.fit is None, turn.answer


def test_sending_someone_a_summary_does_not_make_their_traits_the_writers(chat: Callable[..., list[Turn]]) -> None:
    _, fit = chat(
        "my boss wants me to send her a summary of what automation pays. she loves variety and quick wins.",
        "as for me, I love going deep into one system, I'm patient and I can wait years for the payoff. which path suits me?",
    )
    assert fit.fit is not None and fit.fit.recommended == "engineering", fit.answer
    assert fit.fit.scores["automation"] == 0, fit.answer


@pytest.mark.parametrize(
    ("first", "then", "said"),
    [  # an ordinal and a pointer in Hindi: "the second one", "in front of everyone"
        ("framework ke teen sawal kya hain?", "doosre wale ko thoda samjhao", "depth or breadth"),
        ("ML engineering mein sabse bada red flag kya hai?", "aur sabke saamne galat hone ka dar ho to?", "wrong in public"),
    ],
)
def test_hinglish_follow_ups_are_read_as_their_english(chat: Callable[..., list[Turn]], first: str, then: str, said: str) -> None:
    _, turn = chat(first, then)
    assert turn.in_scope and has(turn, said), turn.answer


def test_a_reaction_before_why_asks_the_cause(chat: Callable[..., list[Turn]]) -> None:
    """ "Wait, really?" only reacts: the question is the why after it."""
    _, why = chat("is the AI engineer job market booming this year?", "wait, really? why is that?")
    assert has(why, "custom models"), why.answer


def test_a_hinglish_question_is_not_declined_for_reading_as_broken_english(chat: Callable[..., list[Turn]]) -> None:
    """Glossed word for word, it is far from every passage; its words are the article's, so it is asked."""
    (turn,) = chat("seedha bolo, kis situation mein kaunsa lena chahiye?")
    assert turn.in_scope, turn.answer


def test_a_hinglish_aside_is_still_declined(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("yaar IPL mein kaunsi team jeetegi is saal?")
    assert not turn.in_scope, turn.answer


def test_a_question_naming_a_table_row_is_not_declined_after_a_story(chat: Callable[..., list[Turn]]) -> None:
    """A story about what the answer is for pulls the search away from the question; the row is named by its label."""
    (turn,) = chat("I'm designing a poster for our college fest. what does the feedback loop row show for each side?")
    assert turn.in_scope and has(turn, "Slow, delayed, indirect"), turn.answer


def test_a_follow_up_naming_another_table_row_asks_that_row(chat: Callable[..., list[Turn]]) -> None:
    _, turn = chat("what does the table say about value timing?", "ok, and the best suited for line of the table?")
    assert has(turn, "Depth-driven, patient thinkers"), turn.answer


def test_the_articles_words_in_quotes_are_no_self_description(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat(
        "The article keeps asking whether I 'want to be right once or useful repeatedly'. What is the useful repeatedly side about?"
    )
    assert turn.fit is None and has(turn, "useful repeatedly"), turn.answer


def test_scare_quotes_round_a_word_or_two_are_still_the_writers_own(chat: Callable[..., list[Turn]]) -> None:
    (fit,) = chat("I always do things the 'right way', I go deep on one system and I can wait years. which path suits me?")
    assert fit.fit is not None and fit.fit.recommended == "engineering", fit.answer


def test_asked_what_a_named_thing_is_the_follow_up_gets_its_explanation(chat: Callable[..., list[Turn]]) -> None:
    """ "You talked about X" points at the last answer; asked what X is, its explaining lines may be said again."""
    _, turn = chat("when do ML engineers usually hit a wall?", "you talked about a data wall. what is that exactly?")
    assert has(turn, "messy and adversarial"), turn.answer
    assert not has(turn, "maintenance overload"), turn.answer


def test_a_hinglish_request_for_someone_elses_fit_gets_one(chat: Callable[..., list[Turn]]) -> None:
    (fit,) = chat("mera bhai bahut sabar wala hai aur har topic ko gehraai se padhta hai. uske liye kaunsa raasta sahi hai?")
    assert fit.fit is not None and fit.fit.recommended == "engineering", fit.answer


@pytest.mark.parametrize(
    "message",
    [
        "btw is JEE Advanced coaching worth it in Kota?",
        "CA inter ka result kab aata hai?",
        "can you write me two short ad headlines for my automation course?",  # writing, however much it names a path
        "please write a few taglines for my ML training institute",
    ],
)
def test_entrance_exams_and_ad_copy_are_asides_mid_conversation(chat: Callable[..., list[Turn]], message: str) -> None:
    _, turn = chat("how long before automation work pays?", message)
    assert not turn.in_scope, turn.answer


@pytest.mark.parametrize(
    "message",
    [
        "as an accountant, which path suits me?",
        "I'm preparing for the GRE. is automation or AI engineering better if I want a masters later?",
    ],
)
def test_another_career_as_background_to_a_question_of_the_paths_is_no_aside(
    chat: Callable[..., list[Turn]], message: str
) -> None:
    (turn,) = chat(message)
    assert turn.in_scope, turn.answer


@pytest.mark.parametrize(
    "message",
    [  # a review of the session's rules found each of these declined
        "is lateral entry possible without a degree?",
        "sir jee, how long before I earn anything?",
        "mujhe galat hone se bahut darr lagta hai, kaunsa sahi hai mere liye?",
        "can you help me write my resume so it gets past the degree filter for AI engineering roles?",
    ],
)
def test_words_near_the_new_aside_rules_are_still_answered(chat: Callable[..., list[Turn]], message: str) -> None:
    (turn,) = chat(message)
    assert turn.in_scope, turn.answer


@pytest.mark.parametrize(
    "message",
    [
        "MBA or UPSC, which one should I pick?",
        "would a government job suit me better?",
        "how do I fix the feedback loop in my guitar amp?",
        "kal Diwali hai, kaunsi mithai laun aur kitni?",
    ],
)
def test_choices_between_other_careers_and_hinglish_small_talk_are_asides(chat: Callable[..., list[Turn]], message: str) -> None:
    (turn,) = chat(message)
    assert not turn.in_scope, turn.answer


@pytest.mark.parametrize(
    ("message", "path"),
    [
        ("I don't get bored going deep. I can spend weeks on a single problem. Which path suits me?", "engineering"),
        (
            "I'm tired of hearing that deep learning needs a PhD. I love going deep on hard problems. which path suits me?",
            "engineering",
        ),
        ("mujhe gehraai wala kaam pasand nahi, variety chahiye. mere liye kaunsa sahi hai?", "automation"),
        ("I'm the person who 'recovers energy from depth', no doubt. which path fits me?", "engineering"),
        (
            "Is it weird to love spending a whole weekend on one bug and hate being interrupted? Which path suits me?",
            "engineering",
        ),
    ],
)
def test_self_descriptions_the_new_rules_must_not_misread(chat: Callable[..., list[Turn]], message: str, path: str) -> None:
    (fit,) = chat(message)
    assert fit.fit is not None and fit.fit.recommended == path, fit.answer


# -- chat shorthand and stretches of time ------------------------------------------------------
def test_chat_shorthand_is_read_as_its_words(chat: Callable[..., list[Turn]]) -> None:
    """ "AE", "ppl", "n", "y" are words people type; read as shorthand, the turn is neither declined nor misread."""
    _, engineers = chat("what do automation folks earn in year 3?", "ok n AE ppl in the same period?")
    assert engineers.in_scope, engineers.answer
    assert has(engineers, "8-18L"), engineers.answer
    (degree,) = chat("y do AE jobs want degrees")
    assert has(degree, "degrees as a filter", "500 applicants"), degree.answer
    assert not has(degree, "reverse credentialism"), degree.answer  # asked of AI engineering alone


def test_auto_and_engg_name_the_paths(chat: Callable[..., list[Turn]]) -> None:
    """ "auto" is how people type automation: a fragment naming it asks of that path."""
    _, flags = chat("what do ml engineers earn at first?", "red flags for auto?")
    assert has(flags, "the right way") and not has(flags, "frequent validation"), flags.answer
    _, lasting, leads = chat("which skill lasts in engg?", "and in auto?", "auto one leads where")
    assert has(lasting, "translating business problems"), lasting.answer
    assert has(leads, "consulting"), leads.answer


def test_and_then_after_a_pay_band_is_the_next_band(chat: Callable[..., list[Turn]]) -> None:
    _, then = chat("ml engineer salary in the first year?", "and then?")
    assert has(then, "3-6L") and not has(then, "8-18L"), then.answer


def test_the_stretch_after_the_last_one_and_a_later_one_named_get_both_bands(chat: Callable[..., list[Turn]]) -> None:
    _, later = chat(
        "how much does an ml engineer make in year one?", "right, after that year what do they earn, and then in years 3-4?"
    )
    assert has(later, "3-6L") and has(later, "8-18L") and not has(later, "20-50L"), later.answer


def test_two_years_joined_by_a_plus_get_the_bands_between_them(chat: Callable[..., list[Turn]]) -> None:
    (pay,) = chat("engg pay yr1 + yr3")
    assert has(pay, "₹0") and has(pay, "8-18L") and not has(pay, "20-50L"), pay.answer


def test_a_why_then_a_question_with_no_subject_of_its_own_is_one_question(chat: Callable[..., list[Turn]]) -> None:
    """The second question asks the first again: it is not read as a new subject (the red flags, here)."""
    _, why = chat("when do automation people burn out?", "how come? what is the underlying problem?")
    assert has(why, "platform updates", "maintenance"), why.answer
    assert not has(why, "You'll struggle with"), why.answer


def test_why_after_the_burnout_point_gives_the_lines_that_lead_up_to_it(chat: Callable[..., list[Turn]]) -> None:
    """The first answer already told what the wall is like; asked why then, the article's setup of it comes next."""
    _, why = chat("my senior says ml engineers burn out early. when exactly?", "why at that time, what happens to them")
    assert has(why, "data wall"), why.answer


def test_two_points_in_time_get_the_figures_between_them(chat: Callable[..., list[Turn]]) -> None:
    _, later = chat("how much can an automation freelancer make at the start?", "and later? say after 1 year or 2 years")
    assert has(later, "30-80k") and has(later, "60k-1.5L"), later.answer
    assert not has(later, "10-30k"), later.answer  # the start was the last answer


def test_numbered_questions_are_each_answered(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("I've done automation gigs for 20 months. 1) what should I be earning now 2) when does burnout usually hit?")
    assert has(turn, "60k-1.5L"), turn.answer  # month 20 is in the third band
    assert has(turn, "18-24"), turn.answer


def test_a_path_measured_against_is_not_the_path_asked_of(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("does automation get easier every year, like engineering does?")
    assert has(turn, "necessarily easier", "different tools"), turn.answer
    assert not has(turn, "compounding bet"), turn.answer


# -- what a story told, asked about ------------------------------------------------------------
def test_a_trait_weighed_against_a_path_gets_the_articles_lines_on_it(chat: Callable[..., list[Turn]]) -> None:
    (praise,) = chat("I lose motivation fast if nobody praises my work. Would that be a problem in ML?")
    assert has(praise, "no one will notice", "don’t thank you", "don't thank you"), praise.answer
    assert praise.fit is None, praise.answer  # asked about a trait, not which path to take
    (deep,) = chat(
        "I love digging into one system for months until I know it better than anyone. does AI engineering reward that?"
    )
    assert has(deep, "depth creates compounding returns", "mastery"), deep.answer


def test_this_after_a_story_is_the_story_not_the_last_answer(chat: Callable[..., list[Turn]]) -> None:
    first, story = chat(
        "what does an automation specialist do all day?",
        "My colleague in an ML team says whatever he fixes, nobody on the business side even realises. Does the article talk about this?",
    )
    assert has(story, "no one will notice", "frequent validation", "invisible"), story.answer
    assert story.answer != first.answer


def test_the_articles_parting_advice_is_its_two_choose_if_lines(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("what's the parting advice for each path, one sentence each?")
    assert has(turn, "depth, delayed rewards") and has(turn, "speed, early income"), turn.answer


def test_who_struggles_is_not_who_thrives(chat: Callable[..., list[Turn]]) -> None:
    """MiniLM puts "struggles" beside "thrives": the bank's examples of both tell them apart."""
    for question, flags in (
        ("what sort of person finds automation work hard to live with?", ("the right way", "interrupted")),
        ("which people do badly in AI engineering?", ("frequent validation", "wrong in public")),
    ):
        (turn,) = chat(question)
        first = turn.answer.split(". ")[0]
        assert "struggle" in first and all(has(turn, flag) for flag in flags), turn.answer


def test_a_story_then_does_the_article_cover_this_is_answered_on_the_story(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat(
        "A friend runs Zapier flows for ten shops and says every week some app update breaks half of them. "
        "Does the article talk about this?"
    )
    assert has(turn, "something breaks", "platform updates", "webhooks"), turn.answer
    assert not has(turn, "Choose Automation if"), turn.answer


@pytest.mark.parametrize(
    "aside",
    [
        "Slightly off the topic, but is the passport renewal fee the same for a 10-year booklet?",
        "Side question while I have you: when is the advance tax instalment due?",
        "While I have you, could you draft a cold InMail for a candidate I'd like to hire?",
        "my uncle says some bank's shares will double by March. should I buy now?",
    ],
)
def test_asides_marked_as_asides_or_about_savings_are_declined(chat: Callable[..., list[Turn]], aside: str) -> None:
    first, declined = chat("When do automation specialists burn out?", aside)
    assert first.in_scope and not declined.in_scope, declined.answer


def test_the_words_that_mark_an_aside() -> None:
    from pathwise.agent.reading import ASIDE

    assert ASIDE.search("slightly off the topic, but is this cbse rule new?")
    assert ASIDE.search("side question while i have you: when is the tax due?")
    assert not ASIDE.search("while i have you here, what do ai engineers earn")  # no mark after it: it may be the question


def test_a_line_of_the_article_naming_another_career_is_the_articles(chat: Callable[..., list[Turn]]) -> None:
    _, line = chat("how are the two paths different?", "that surgeon and general doctor comparison, what is it getting at?")
    assert line.in_scope and has(line, "surgeon"), line.answer


def test_which_path_points_me_to_asks_for_a_fit(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat(
        "I would rather reason a problem through than try random fixes, and I can wait two years for money. "
        "Which path does the article point me to?"
    )
    assert turn.fit is not None and turn.fit.recommended == "engineering", turn.answer


def test_the_review_s_misreadings_of_this_session_s_rules(chat: Callable[..., list[Turn]]) -> None:
    """Found by a review of the session's change, each with the rule it narrowed."""
    (month,) = chat("My cousin says AI engineers get paid from month 3. Is that right?")  # no numbered list
    assert not has(month, "right once"), month.answer
    _, other = chat("what do AI engineers earn in year 2?", "while I have you, what about automation?")  # no aside
    assert has(other, "30-80k", "60k-1.5L"), other.answer
    (crypto,) = chat("can I sell my automation services to crypto startups?")  # no savings aside
    assert crypto.in_scope, crypto.answer
    (money,) = chat("My friend is thinking about quitting his job to do automation full time. How long till that pays?")
    assert has(money, "10-30k"), money.answer  # the question's own subject, not the story's
    (both,) = chat("does automation burn you out as fast as engineering does?")
    assert has(both, "8-14") and has(both, "18-24"), both.answer
    (age,) = chat("you think AI engineering is worth it for a 30 year old?")
    assert not has(age, "20-50L"), age.answer


def test_a_reaction_before_two_questions_leaves_both_answered(chat: Callable[..., list[Turn]]) -> None:
    _, periods = chat("what does an AI engineer earn in the first year?", "wow, nothing?? and year 2? and after 4 years?")
    assert has(periods, "3-6L") and has(periods, "20-50L"), periods.answer


def test_a_point_of_the_last_list_named_in_the_sentence_before_the_question(chat: Callable[..., list[Turn]]) -> None:
    _, point = chat(
        "what kind of person struggles in automation?",
        "about your second point, my office job has constant interruptions too. why is that so bad for them?",
    )
    assert has(point, "deep work schedule", "unbroken focus"), point.answer


def test_the_first_point_of_two_lists_is_the_one_its_words_name(chat: Callable[..., list[Turn]]) -> None:
    _, point = chat("who struggles on each path?", "on your first point, what is wrong with wanting things done the right way?")
    assert has(point, "duct tape", "architectural purity"), point.answer


def test_a_word_of_hinglish_is_the_writers_language_not_a_subject_the_article_lacks(advisor: Advisor) -> None:
    reader = advisor.offline.reader
    assert not reader._unheard_of("right once matlab?", ASIDE_UNKNOWN)
    assert reader._unheard_of("any canteen biryani tips?", ASIDE_UNKNOWN)
    said = "Do you recover energy from depth or breadth?"
    assert _echoed("depth or breadth matlab?", said) == ["breadth", "depth"]  # it asks what the last answer's words mean


def test_a_choice_weighed_on_one_thing_compares_the_paths_on_it(chat: Callable[..., list[Turn]]) -> None:
    (income,) = chat("If all I care about is a steady income, which one should I pick?")
    assert income.fit is None and has(income, "predictable growth") and has(income, "dry months"), income.answer
    (late,) = chat("which of the two is better for me if I only care about salary after 4 years?")
    assert income.fit is None and has(late, "20-50L"), late.answer
    (tired,) = chat("My only concern is burnout. Which one suits me better?")
    assert has(tired, "8-14") and has(tired, "18-24"), tired.answer


def test_a_question_restated_in_fuller_words_is_answered_once() -> None:
    short = Plan(text="and the stuck one?", intent="answer", topic="framework")
    full = Plan(text="when stuck, what do people do on each side?", intent="followup", topic="framework", path="both")
    assert _restated([short, full]) is full
    engineering = Plan(text="which bet is AI engineering?", intent="answer", topic="framework", path="engineering")
    automation = Plan(text="which bet is automation?", intent="answer", topic="framework", path="automation")
    assert _restated([engineering, automation]) is None  # one question of each path: both are answered


def test_what_a_word_told_before_means_here_is_asked_of_that_word(chat: Callable[..., list[Turn]]) -> None:
    _, meaning = chat("which path should I choose?", "a friend used the word barbell. what does it mean here?")
    assert has(meaning, "barbell") and has(meaning, "high-value"), meaning.answer


@pytest.mark.parametrize(
    ("examples", "classifier", "nearest", "declined"),
    [
        (0.55, 0.55, 0.4, True),  # both lean to an aside
        (0.55, 0.3, 0.4, False),
        (0.3, 0.55, 0.4, False),
        (0.3, 0.7, 0.4, True),  # the classifier is sure, and the examples give an aside a say
        (0.0, 0.7, 0.4, False),  # ...not when they give it none
        (0.3, 0.7, 0.75, False),  # ...nor against an example of the article's this close
    ],
)
def test_an_aside_is_declined_by_the_examples_and_the_classifier_together(
    advisor: Advisor, monkeypatch: pytest.MonkeyPatch, examples: float, classifier: float, nearest: float, declined: bool
) -> None:
    """A wrong refusal is the worst failure: the classifier declines alone only where the nearest examples agree in part."""
    reader = advisor.offline.reader
    real = reader._vote

    def leaning(*args: object, **kwargs: object) -> Ballot:
        ballot = real(*args, **kwargs)  # type: ignore[arg-type]
        leant = replace(ballot.vote, label="income", offtopic=examples, classified_offtopic=classifier, topic_score=nearest)
        return ballot._replace(vote=leant)

    monkeypatch.setattr(reader, "_vote", leaning)
    plan = reader.read("what do people earn in their first year?", SessionState())
    assert (plan.intent == "offtopic") is declined, plan.intent


def test_a_new_question_keeps_the_conversations_path_where_its_examples_are_of_it_too(chat: Callable[..., list[Turn]]) -> None:
    _, learn = chat("how is the 2026 job market for AI engineers?", "hmm. if I still want to go for it, what is worth learning?")
    assert has(learn, "deployment, monitoring", "evaluation frameworks"), learn.answer
    assert not has(learn, "n8n"), learn.answer  # not the automation course


@pytest.mark.parametrize(
    ("message", "span"),
    [
        ("was it automation where you struggle if you need frequent validation?", "Struggle with AI Engineering"),
        ("wasn't the data wall about automation people?", "8-14"),
    ],
)
def test_a_path_guessed_in_a_which_was_it_question_is_checked_not_taken(
    chat: Callable[..., list[Turn]], message: str, span: str
) -> None:
    (turn,) = chat(message)
    assert has(turn, span), turn.answer


def test_a_fit_asked_for_someone_by_name_counts_what_was_said_of_them(chat: Callable[..., list[Turn]]) -> None:
    _, named = chat(
        "My cousin Meera can spend a whole week on one hard maths problem and loves going deep. "
        "She is happy to wait two years for money. What does the article say about people like her?",
        "so which path suits Meera?",
    )
    assert named.fit is not None and named.fit.recommended == "engineering", named.answer


def test_a_far_message_its_examples_agree_is_the_articles_is_answered_not_refused(chat: Callable[..., list[Turn]]) -> None:
    (row,) = chat(
        "I'm turning the comparison table into slides. The row about feedback: what does it say for each of the two columns?"
    )
    assert row.in_scope and has(row, "slow, delayed, indirect"), row.answer
    _, column = chat("what skill carries over from the engineering side?", "and for the other column?")
    assert column.in_scope and has(column, "translating business problems"), column.answer


def test_the_reviews_misreadings_of_the_second_round(chat: Callable[..., list[Turn]]) -> None:
    """Found by a review of this session's change, each with the rule it narrowed."""
    (impatient,) = chat("my biggest concern is that I'm super impatient and I need money fast. which path suits me?")
    assert impatient.fit is not None and impatient.fit.recommended == "automation", impatient.answer  # a self-description
    (year2,) = chat("purely in terms of pay, which is better in year 2?")
    assert has(year2, "3-6L") and not has(year2, "20-50L"), year2.answer  # the stretch of time it names
    _, me = chat("what are the three questions?", "useful repeatedly matlab, that's me yaar")
    assert me.fit is not None and me.fit.recommended == "automation", me.answer  # a statement, not a question of the words
    _, noisy = chat(
        "what are the red flags for both?",
        "ok so the second point... I work from a noisy flat with my family calling me every hour. which side does that hurt?",
    )
    assert has(noisy, "deep work schedule", "unbroken focus"), noisy.answer  # of two second points, the one it is about


def test_a_fit_gives_the_article_s_own_words_for_the_side_of_its_question_it_read(chat: Callable[..., list[Turn]]) -> None:
    turn = chat("Going deep into one subject recharges me; switching between lots of things drains me. Which path fits me?")[-1]
    assert turn.fit is not None and turn.fit.recommended == "engineering", turn.answer
    assert has(turn, "depth creates compounding returns"), turn.answer


def test_a_short_follow_up_with_a_word_the_article_never_uses_is_still_answered(chat: Callable[..., list[Turn]]) -> None:
    _, then = chat(
        "my son does a little ML and a little Zapier. is that smart, and how long should he stick with one?",
        "and after that, welded to it permanently?",
    )
    assert then.in_scope, then.answer


def test_a_misspelt_path_name_still_names_the_path(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("how much does an engeneer earn in the first year?")
    assert has(turn, "0-12") and not has(turn, "10-30k"), turn.answer


def test_asked_when_after_an_answer_that_said_when_the_figure_is_said_again(chat: Callable[..., list[Turn]]) -> None:
    _, when = chat(
        "What wears automation freelancers down in the end, according to the article?",
        "Thanks. And at about what stage does that usually set in?",
    )
    assert has(when, "18-24"), when.answer


def test_two_people_sharing_a_chat_each_get_the_fit_of_what_they_said(chat: Callable[..., list[Turn]]) -> None:
    turns = chat(
        "Meera here. I love variety: new clients, new tools every week, learn just enough and move on.",
        "ok Dev's turn. when he is stuck he thinks it through instead of trying random things, and he recharges by going deep into one subject.",
        "so which path for Meera?",
        "and for Dev?",
    )
    meera, dev = turns[2].fit, turns[3].fit
    assert meera is not None and meera.recommended == "automation", turns[2].answer
    assert dev is not None and dev.recommended == "engineering", turns[3].answer


def test_what_was_said_of_one_person_is_not_counted_for_another() -> None:
    from pathwise.agent.reading import _said_of

    messages = [
        "Meera here. I love variety.",
        "Ravi: I'm the opposite, I like depth.",
        "he also hates being interrupted.",
        "me now. I get bored fast.",
    ]
    assert _said_of("Meera", messages) == messages[:1]
    assert _said_of("Ravi", messages) == messages[1:3]  # "he" goes on about the one last named
    assert _said_of(None, messages) == messages[3:]  # the writer: what they said once they spoke for themselves
    assert _said_of(None, ["I like depth.", "and I hate meetings."]) == ["I like depth.", "and I hate meetings."]


def test_a_story_naming_a_subject_then_a_bare_question_asks_of_that_subject(chat: Callable[..., list[Turn]]) -> None:
    _, then = chat(
        "how much do automation people make early on?",
        "A colleague told me the piece lists a few questions you should put to yourself before deciding. Which are those?",
    )
    assert has(then, "right once") and has(then, "depth or breadth"), then.answer


def test_one_line_each_asks_of_the_items_not_of_both_paths(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("in one line each, what warning signs does the article give for automation?")
    assert has(turn, "the right way") and not has(turn, "frequent validation"), turn.answer


def test_two_of_the_framework_s_questions_named_by_their_places_are_both_explained(chat: Callable[..., list[Turn]]) -> None:
    _, both = chat("what does the article tell me to ask myself before choosing?", "go deeper on the 2nd and 3rd ones please")
    assert has(both, "depth or breadth") and has(both, "think harder"), both.answer


def test_what_a_scene_is_for_is_answered_with_the_line_that_says_it(chat: Callable[..., list[Turn]]) -> None:
    (turn,) = chat("why does the article go back to the cafe at the end?")
    assert has(turn, "which type of hard"), turn.answer
