"""Undo the article's encoding damage: UTF-8 bytes that were read as cp874 (Thai) or cp1252.

``ftfy`` does not know this mix, so the repair is explicit: every run that starts with a
character standing for a UTF-8 lead byte and continues with characters standing for
continuation bytes is turned back into bytes and decoded again.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1)
def _char_to_byte() -> dict[str, int]:
    table: dict[str, int] = {}
    for codec in ("cp1252", "cp874"):  # cp874 wins where both define a byte
        for byte in range(0x80, 0x100):
            try:
                table[bytes([byte]).decode(codec)] = byte
            except UnicodeDecodeError:
                continue
    return table


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    table = _char_to_byte()

    def chars(lo: int, hi: int) -> str:
        return "".join(re.escape(c) for c, b in table.items() if lo <= b <= hi)

    cont = f"[{chars(0x80, 0xBF)}]"
    lead2, lead3, lead4 = chars(0xC2, 0xDF), chars(0xE0, 0xEF), chars(0xF0, 0xF4)
    return re.compile(f"[{lead4}]{cont}{{3}}|[{lead3}]{cont}{{2}}|[{lead2}]{cont}")


def _decode(match: re.Match[str]) -> str:
    table = _char_to_byte()
    raw = bytes(table[c] for c in match.group())
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return match.group()


def repair_text(text: str) -> str:
    """Repair mojibake and normalise spaces; repairing twice changes nothing more."""
    pattern = _pattern()
    while True:
        fixed = pattern.sub(_decode, text)
        if fixed == text:
            break
        text = fixed
    return text.replace("\u00a0", " ").replace("\r\n", "\n").replace("\r", "\n")


MOJIBAKE_MARKERS = ("โ‚", "โ€", "ยท", "๐Ÿ", "ย")
