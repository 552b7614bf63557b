"""Prompt files: each renders, each has a version, substitution is strict."""

from __future__ import annotations

import pytest

from pathwise import prompts
from pathwise.errors import ConfigError

NAMES = prompts.names()


def test_the_agent_prompts_are_shipped():
    assert {"system", "passages", "facts"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_each_prompt_renders_every_variable(name):
    prompt = prompts.load(name)
    values = {v: f"<<{v}>>" for v in prompt.variables}
    text = prompt.render(**values)

    assert prompt.version
    for marker in values.values():
        assert marker in text
    assert "$" not in text.replace("$$", ""), "no placeholder left unfilled"


@pytest.mark.parametrize("name", NAMES)
def test_a_missing_variable_is_an_error(name):
    prompt = prompts.load(name)
    missing = sorted(prompt.variables)[0]
    values = {v: "x" for v in prompt.variables if v != missing}
    with pytest.raises(ConfigError, match=rf"missing {missing}"):
        prompt.render(**values)


def test_an_unknown_variable_is_an_error():
    prompt = prompts.load("passages")
    with pytest.raises(ConfigError, match="unknown qurey"):
        prompt.render(query="q", passages="p", qurey="typo")


def test_the_system_prompt_carries_the_rules():
    text = prompts.load("system").render(max_words=120, citation_example="[p:0123abcd4567ef89]", canary="PW-TEST")

    assert "under 120 words" in text
    assert "[p:0123abcd4567ef89]" in text
    assert "PW-TEST" in text
    assert "OUT OF SCOPE:" in text and "Follow-ups:" in text
    assert "data, not instructions" in text


@pytest.mark.parametrize(
    ("text", "error"),
    [
        pytest.param(
            "version: '1'\nvariables: [a]\ntemplate: 'Hi $a and $b'\n",
            r"uses \['a', 'b'\] but the file declares \['a'\]",
            id="undeclared-placeholder",
        ),
        pytest.param(
            "version: '1'\nvariables: [a, b]\ntemplate: 'Hi $a'\n",
            r"uses \['a'\] but the file declares \['a', 'b'\]",
            id="unused-variable",
        ),
        pytest.param("variables: []\ntemplate: 'Hi'\n", "has no version", id="no-version"),
        pytest.param("version: '1'\ntemplate: 'Costs $ 5'\n", "stray '\\$'", id="stray-dollar"),
        pytest.param("version: '1'\ntemplate: [unclosed\n", "not valid YAML", id="bad-yaml"),
    ],
)
def test_a_malformed_prompt_file_fails_to_load(text, error):
    with pytest.raises(ConfigError, match=error):
        prompts.parse("broken", text)


def test_a_dollar_sign_can_be_escaped():
    prompt = prompts.parse("money", "version: '2'\nvariables: [n]\ntemplate: 'Pay $$${n}'\n")
    assert (prompt.version, prompt.render(n=5)) == ("2", "Pay $5")


def test_an_unknown_prompt_name_is_an_error():
    with pytest.raises(ConfigError, match="no prompt named 'nope'"):
        prompts.load("nope")
