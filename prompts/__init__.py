"""Versioned prompt files (``*.yaml`` package data) with strict substitution.

Each file holds ``name``, ``version``, ``variables`` and ``template``. Placeholders are
``$name`` / ``${name}`` (``string.Template``), so braces in prompt text need no escaping.
Rendering with a variable missing, or one the file does not declare, is an error, never an
empty string; a file whose placeholders and declared variables disagree fails to load.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

from pathwise.errors import ConfigError

PACKAGE = "pathwise.prompts"


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    variables: frozenset[str]
    template: str

    def render(self, **values: object) -> str:
        missing = self.variables - values.keys()
        unknown = values.keys() - self.variables
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(sorted(missing))}")
            if unknown:
                parts.append(f"unknown {', '.join(sorted(unknown))}")
            raise ConfigError(f"prompt {self.name!r} v{self.version}: {'; '.join(parts)}")
        return Template(self.template).substitute({k: str(v) for k, v in values.items()})


def names() -> list[str]:
    return sorted(
        entry.name.removesuffix(".yaml") for entry in resources.files(PACKAGE).iterdir() if entry.name.endswith(".yaml")
    )


@cache
def load(name: str) -> Prompt:
    source = resources.files(PACKAGE).joinpath(f"{name}.yaml")
    if not source.is_file():
        raise ConfigError(f"no prompt named {name!r} (have: {', '.join(names())})")
    return parse(name, source.read_text(encoding="utf-8"))


def parse(name: str, text: str) -> Prompt:
    """A prompt from the text of its YAML file; any inconsistency is a ``ConfigError``."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"prompt {name!r} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"prompt {name!r} must be a mapping")
    for key in ("version", "template"):
        if not data.get(key):
            raise ConfigError(f"prompt {name!r} has no {key}")
    template = str(data["template"])
    declared = frozenset(data.get("variables") or [])
    used = _placeholders(template, name)
    if used != declared:
        raise ConfigError(f"prompt {name!r}: template uses {sorted(used)} but the file declares {sorted(declared)}")
    return Prompt(name=name, version=str(data["version"]), variables=declared, template=template)


def _placeholders(template: str, name: str) -> frozenset[str]:
    found: set[str] = set()
    for match in Template.pattern.finditer(template):
        if match.group("invalid") is not None:
            raise ConfigError(f"prompt {name!r}: stray '$' at offset {match.start()} (write '$$' for a dollar sign)")
        found.add(match.group("named") or match.group("braced") or "")
    found.discard("")  # "$$" escapes
    return frozenset(found)
