"""The article's encoding damage is undone: no mojibake survives, every ₹ figure is back, and the
repair is safe on any text (idempotent, total) and exact on text damaged the same way."""

from __future__ import annotations

import re
from functools import cache

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pathwise.knowledge.corpus import bundled_article, bundled_text
from pathwise.knowledge.repair import repair_text

CODECS = ("cp874", "cp1252")
# The damage the issue names, spelled as it appears in the original file.
MOJIBAKE = ("โ‚น", "โ€™", "ยท", "๐Ÿ“Œ", "โ€", "โ‚")
# A UTF-8 figure after the rupee sign: "15,000", "3-6L", "60k-1.5L".
FIGURE = r"[\d.,]+[kL]?(?:-[\d.,]+[kL]?)?"


def byte_of(ch: str) -> int:
    """The byte a mojibake character stands for, in whichever of the two codecs defines it."""
    for codec in CODECS:
        try:
            return ch.encode(codec)[0]
        except UnicodeEncodeError:
            continue
    raise AssertionError(f"{ch!r} is in neither codec")


def expected_figures(raw: str) -> list[str]:
    """The original's rupee figures, decoded from its mojibake runs (nothing typed by hand)."""
    out = []
    for m in re.finditer(rf"(โ‚น)({FIGURE})", raw):
        symbol = bytes(byte_of(c) for c in m.group(1)).decode("utf-8")
        out.append(symbol + m.group(2).rstrip(".,"))
    return out


@pytest.fixture(scope="module")
def raw() -> str:
    return bundled_text()


@pytest.fixture(scope="module")
def repaired(raw: str) -> str:
    return repair_text(raw)


# -- the bundled article ---------------------------------------------------------------------
def test_the_original_is_damaged_as_the_issue_describes(raw: str) -> None:
    assert "โ‚น" in raw and "\u00a0โ‚น" in raw  # one rupee sign follows a no-break space
    assert len(expected_figures(raw)) == raw.count("โ‚น") == 8


@pytest.mark.parametrize("sequence", MOJIBAKE)
def test_no_mojibake_sequence_survives(repaired: str, sequence: str) -> None:
    assert sequence not in repaired


def test_no_thai_or_stray_cp1252_characters_survive(repaired: str) -> None:
    # The article is English: any Thai letter or a lone cp1252 continuation glyph is damage.
    stray = [ch for ch in repaired if "\u0e00" <= ch <= "\u0e7f" or ch in "€‚ŸƒŒœ"]
    assert stray == []
    assert "\u00a0" not in repaired


def test_every_rupee_figure_of_the_original_is_present(raw: str, repaired: str) -> None:
    figures = expected_figures(raw)
    assert set(f[0] for f in figures) == {"\u20b9"}  # the decoded runs really are the rupee sign
    found = [m.group(0).rstrip(".,") for m in re.finditer(rf"₹{FIGURE}", repaired)]
    assert found == figures  # same values, same count, same order


def test_rupee_figures_reach_the_passages(raw: str) -> None:
    text = "\n".join(p.text for p in bundled_article().passages)
    for figure in expected_figures(raw):
        assert re.search(re.escape(figure) + r"(?![\d.,kL])", text), figure


def test_other_repairs_named_in_the_issue(repaired: str) -> None:
    assert "(It’s Not Lack of Intelligence)" in repaired  # โ€™ -> ’
    assert "·  Choose AI Engineering" in repaired.replace("\u00a0", " ")  # ยท -> ·
    assert "Related Posts 📌" in repaired  # ๐Ÿ“Œ -> 📌
    assert "$1k–$10k/Month" in repaired  # โ€“ -> –


def test_repair_leaves_clean_text_alone(repaired: str) -> None:
    assert repair_text(repaired) == repaired
    clean = "Year three is easier than year one. “Quotes” and ₹3-6L stay as they are — café."
    assert repair_text(clean) == clean


# -- properties ------------------------------------------------------------------------------
@cache
def _mojibake_choices(byte: int) -> tuple[str, ...]:
    out = []
    for codec in CODECS:
        try:
            out.append(bytes([byte]).decode(codec))
        except UnicodeDecodeError:
            continue
    return tuple(dict.fromkeys(out))


def _damageable(ch: str) -> bool:
    """Characters whose UTF-8 bytes the cp874/cp1252 mix can show (a few bytes exist in neither)."""
    return ch not in "\r\u00a0" and all(b < 0x80 or _mojibake_choices(b) for b in ch.encode("utf-8"))


DAMAGEABLE_TEXT = st.text(alphabet=st.characters(codec="utf-8").filter(_damageable), max_size=60)


@st.composite
def damaged(draw: st.DrawFn) -> tuple[str, str]:
    """(original, the original's UTF-8 bytes read back one byte at a time through cp874 or cp1252)."""
    original = draw(DAMAGEABLE_TEXT)
    coin = draw(st.integers(min_value=0, max_value=2**256))  # which codec shows each byte
    out = []
    for i, b in enumerate(original.encode("utf-8")):
        choices = _mojibake_choices(b)
        out.append(chr(b) if b < 0x80 else choices[((coin >> (i % 256)) & 1) % len(choices)])
    return original, "".join(out)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_repair_is_total_and_idempotent(text: str) -> None:
    once = repair_text(text)
    assert isinstance(once, str)
    assert repair_text(once) == once


@settings(max_examples=200, deadline=None)
@given(damaged())
def test_mojibake_of_any_text_repairs_to_the_original(case: tuple[str, str]) -> None:
    original, broken = case
    # An original that itself reads as mojibake ("Â¡" is "¡" damaged once) cannot be told apart
    # from damage; the property holds for every original the repair leaves as it is.
    assume(repair_text(original) == original)
    assert repair_text(broken) == original
