"""The bundled article, read from package data."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from pathwise.knowledge.article import ParsedArticle, parse_article

ARTICLE_NAME = "ai-engineer-vs-ai-automation-2026.txt"


def bundled_text() -> str:
    return resources.files("pathwise.knowledge").joinpath("data", ARTICLE_NAME).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def bundled_article() -> ParsedArticle:
    return parse_article(bundled_text(), source=ARTICLE_NAME)
