"""Distractor corpora for the scaling benchmark, and a vector cache so a rerun skips re-embedding.

The distractors are plausible career and tech passages built from word lists with a seeded
``random.Random``: the same seed gives the same stream, and the first *n* passages of a larger
corpus are the *n*-passage corpus, so one cache of vectors serves every size. They talk about
the article's themes (income, burnout, entry barriers, automation, AI roles) so they compete
with it for the top ranks, but a passage that happens to contain a dev-set gold span is dropped,
so a hit still means the article's own passage.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pathwise.bench.evaluate import normalise
from pathwise.knowledge.article import Passage, passage_id

if TYPE_CHECKING:
    import numpy as np

    from pathwise.knowledge.embeddings import Embedder

GENERATOR_VERSION = "1"  # bump when the word lists or templates change: cached vectors then rebuild
SOURCE = "synthetic-distractors.txt"

ROLES = (
    "data engineer",
    "machine learning engineer",
    "analytics engineer",
    "product analyst",
    "automation consultant",
    "DevOps engineer",
    "solutions architect",
    "QA engineer",
    "data analyst",
    "support engineer",
    "technical writer",
    "backend developer",
    "frontend developer",
    "platform engineer",
    "security analyst",
    "business analyst",
    "RPA developer",
    "integration specialist",
    "data scientist",
    "site reliability engineer",
    "product manager",
    "growth marketer",
    "no-code builder",
    "CRM administrator",
    "cloud engineer",
    "MLOps engineer",
    "research scientist",
    "data annotator",
    "chatbot designer",
    "workflow consultant",
)
ORGS = (
    "a logistics startup",
    "a regional bank",
    "a hospital network",
    "an online retailer",
    "a travel agency",
    "a SaaS company",
    "an insurance firm",
    "a manufacturing plant",
    "a marketing agency",
    "a government office",
    "a university lab",
    "a food delivery platform",
    "a law firm",
    "a telecom operator",
    "a real estate broker",
    "a fintech scale-up",
    "an edtech company",
    "a media house",
    "a small accounting practice",
    "a dental clinic chain",
)
TOOLS = (
    "Python",
    "SQL",
    "Airflow",
    "Kubernetes",
    "Zapier",
    "n8n",
    "Make",
    "Terraform",
    "dbt",
    "Spark",
    "Power BI",
    "Salesforce",
    "HubSpot",
    "Excel macros",
    "UiPath",
    "Docker",
    "PostgreSQL",
    "Snowflake",
    "Tableau",
    "Jira",
    "Google Sheets",
    "Power Automate",
    "FastAPI",
    "React",
    "Kafka",
    "Grafana",
    "Selenium",
    "LangChain",
    "PyTorch",
    "scikit-learn",
)
ACTIVITIES = (
    "cleaning customer records",
    "fixing broken dashboards",
    "writing integration scripts",
    "reviewing pull requests",
    "answering support tickets",
    "tuning database queries",
    "migrating legacy reports",
    "labelling training data",
    "documenting internal processes",
    "testing release candidates",
    "chasing flaky pipelines",
    "meeting stakeholders about requirements",
    "rebuilding spreadsheets",
    "monitoring cloud costs",
    "writing onboarding guides",
    "patching security findings",
    "estimating project budgets",
    "sketching process maps",
    "evaluating vendor tools",
    "running A/B experiments",
)
SKILLS = (
    "stakeholder communication",
    "version control",
    "basic statistics",
    "process mapping",
    "test automation",
    "cloud billing",
    "data modelling",
    "incident response",
    "technical writing",
    "API design",
    "prompt design",
    "requirements gathering",
    "budget estimation",
    "observability",
    "access control",
    "change management",
)
STRESSORS = (
    "unclear ownership",
    "constant context switching",
    "on-call rotations",
    "shifting client priorities",
    "unrealistic deadlines",
    "legacy systems nobody understands",
    "weekend deployments",
    "scope creep",
    "too many meetings",
    "silent failures in production",
    "vague success metrics",
    "tool sprawl",
)
FACTORS = (
    "the client's industry",
    "city and remote policy",
    "contract length",
    "portfolio quality",
    "niche expertise",
    "referral networks",
    "language skills",
    "certifications",
    "team size",
    "the local job market",
)
OUTCOMES = (
    "a steadier pipeline of projects",
    "fewer late-night escalations",
    "a promotion within two cycles",
    "better retention offers",
    "a move into team leadership",
    "a switch to product work",
    "more repeat clients",
    "a shorter job search",
    "higher day rates",
    "a calmer release schedule",
)
TOPICS = (
    "Career notes",
    "Hiring trends",
    "Salary survey",
    "Workplace wellbeing",
    "Skills roadmap",
    "Freelance diaries",
    "Team practices",
    "Industry outlook",
    "Interview advice",
    "Tooling review",
)
SPANS = (
    "the first quarter",
    "the first year",
    "the second year",
    "a few months",
    "eighteen months",
    "three years",
    "the probation period",
    "the busy season",
    "a single sprint",
    "the first project",
)

TEMPLATES = (
    "{Role}s at {org} spend much of their week {activity}, and the ones who stay learn {skill} early.",
    "A {role} moving into {tool} work usually needs {span} of practice before clients trust the results.",
    "Hiring managers for {role} roles at {org} now ask about {tool} and {tool2} more than about degrees.",
    "Burnout among {role}s tends to come from {stressor}, not from the hours themselves.",
    "Income for freelance {role}s depends on {factor}; about {pct} percent of them report {outcome}.",
    "Switching from {role} to {role2} took most people in the survey {span}, mostly spent on {skill}.",
    "At {org}, a {role} who automated {activity} with {tool} freed roughly {hours} hours a week for the team.",
    "Entry into {role} jobs is easier with a portfolio of small {tool} projects than with another certificate.",
    "Teams at {org} say {stressor} is the main reason a {role} leaves within {span}.",
    "The market for {role}s in {year} rewards {skill} and steady delivery over flashy demos.",
    "Many {role}s keep a side practice in {tool2} because {factor} shapes what clients will pay.",
    "In {span}, a new {role} at {org} is judged less on {tool} than on {skill}.",
)


def _fill(template: str, rng: random.Random) -> str:
    role, role2 = rng.sample(ROLES, 2)
    tool, tool2 = rng.sample(TOOLS, 2)
    text = template.format(
        role=role,
        Role=role[:1].upper() + role[1:],
        role2=role2,
        org=rng.choice(ORGS),
        tool=tool,
        tool2=tool2,
        activity=rng.choice(ACTIVITIES),
        skill=rng.choice(SKILLS),
        stressor=rng.choice(STRESSORS),
        factor=rng.choice(FACTORS),
        outcome=rng.choice(OUTCOMES),
        span=rng.choice(SPANS),
        pct=rng.randrange(12, 88),
        hours=rng.randrange(2, 20),
        year=rng.choice((2024, 2025, 2026, 2027)),
    )
    return text[:1].upper() + text[1:]


def stream(seed: int, avoid: Iterable[str] = ()) -> Iterator[Passage]:
    """An endless, deterministic stream of distinct two-sentence passages."""
    rng = random.Random(seed)
    banned = [normalise(s) for s in avoid if s]
    seen: set[str] = set()
    order = 0
    while True:
        section = f"{rng.choice(TOPICS)}: {rng.choice(ROLES)}s"
        first, second = rng.sample(TEMPLATES, 2)
        text = f"{_fill(first, rng)} {_fill(second, rng)}"
        pid = passage_id(section, text)
        flat = normalise(text)
        if pid in seen or any(span in flat for span in banned):
            continue
        seen.add(pid)
        yield Passage(id=pid, section=section, text=text, context=section, order=order, source=SOURCE)
        order += 1


def distractors(n: int, seed: int, avoid: Iterable[str] = ()) -> list[Passage]:
    """The first ``n`` passages of the seeded stream."""
    out: list[Passage] = []
    for passage in stream(seed, avoid):
        if len(out) >= n:
            break
        out.append(passage)
    return out


def as_article(passages: list[Passage], title: str = "Synthetic career notes") -> str:
    """The passages as a plain-text article (headings and paragraphs) for `pathwise ingest`."""
    lines = [title, ""]
    section = None
    for p in passages:
        if p.section != section:
            section = p.section
            lines += [section, ""]
        lines += [p.text, ""]
    return "\n".join(lines)


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class VectorCache:
    """Text → MiniLM vector, persisted as one ``.npz`` (sha1 of the text, float32 vector) so reruns
    and subprocesses share the work."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._vectors: dict[bytes, np.ndarray] = {}
        self._dirty = False
        if path.is_file():
            import numpy as np

            with np.load(path, allow_pickle=False) as data:
                self._vectors = dict(zip(data["keys"].tolist(), data["vectors"]))

    def __len__(self) -> int:
        return len(self._vectors)

    def missing(self, texts: list[str]) -> list[str]:
        return [t for t in dict.fromkeys(texts) if text_key(t) not in self._vectors]

    def fill(self, texts: list[str], embedder: Embedder) -> float:
        """Embed the texts not cached yet; returns the seconds spent embedding."""
        import time

        todo = self.missing(texts)
        if not todo:
            return 0.0
        started = time.perf_counter()
        vectors = embedder.embed(todo)
        self._vectors.update(zip(map(text_key, todo), vectors))
        self._dirty = True
        return time.perf_counter() - started

    def save(self) -> None:
        if not self._dirty:
            return
        import numpy as np

        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self._vectors)
        tmp = self.path.with_name(f"{self.path.stem}.tmp.npz")
        np.savez(tmp, keys=np.array(keys, dtype="S20"), vectors=np.stack([self._vectors[k] for k in keys]))
        tmp.replace(self.path)
        self._dirty = False

    def get(self, text: str) -> np.ndarray | None:
        return self._vectors.get(text_key(text))


class CachedEmbedder:
    """The store's embedder for precomputed passages; anything else (queries) goes to the real model."""

    def __init__(self, cache: VectorCache, fallback: Embedder | None = None, cache_dir: Path | None = None) -> None:
        self.cache = cache
        self._fallback = fallback
        self._cache_dir = cache_dir
        self.dim = 384

    @property
    def fallback(self) -> Embedder:
        if self._fallback is None:
            from pathwise.knowledge.embeddings import load_embedder

            assert self._cache_dir is not None, "CachedEmbedder needs a fallback or a cache_dir"
            self._fallback = load_embedder(self._cache_dir)
        return self._fallback

    def embed(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        found = [self.cache.get(t) for t in texts]
        todo = [t for t, v in zip(texts, found) if v is None]
        if not todo:
            return np.stack([v for v in found if v is not None]) if found else np.zeros((0, self.dim), dtype=np.float32)
        fresh = iter(self.fallback.embed(todo))
        return np.stack([v if v is not None else next(fresh) for v in found])


def cache_path(cache_dir: Path, seed: int) -> Path:
    key = hashlib.sha256(f"{GENERATOR_VERSION}:{seed}".encode()).hexdigest()[:10]
    return Path(cache_dir) / "bench" / f"vectors-{key}-v2.npz"
