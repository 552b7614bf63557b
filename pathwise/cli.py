"""The `pathwise` command. Every error a person can cause ends here as one line, exit code 1 or 2."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pathwise.errors import ConfigError, InputError, PathwiseError

if TYPE_CHECKING:
    from pathwise.agent.models import Turn

log = logging.getLogger("pathwise")


def _print_json(obj: Any, *, indent: int | None = None) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=indent) + "\n")
    sys.stdout.flush()


def _stdin_lines() -> Iterator[tuple[int, str | None]]:
    """Numbered lines of stdin; None for a line that is not UTF-8, so it is reported and the rest still run.

    Read as bytes: how Python decodes a text stdin depends on the locale, and a strict decoder
    would end the whole run at the first bad byte.
    """
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:  # a text stream (tests, embedding): already decoded
        yield from enumerate(sys.stdin, 1)
        return
    for n, data in enumerate(raw, 1):
        try:
            yield n, data.decode("utf-8")
        except UnicodeDecodeError:
            yield n, None


def _settings() -> Any:
    from pathwise.config import get_settings

    return get_settings()


def _kb(*, snapshot: bool = False) -> Any:
    from pathwise.knowledge.base import KnowledgeBase

    return KnowledgeBase.open(_settings(), snapshot=snapshot)


def _advisor(offline: bool, *, serving: bool = False, durable: bool = True, snapshot: bool = False) -> Any:
    """The advisor; ``serving`` for a command that answers turn after turn, not one question;
    not ``durable`` for one whose sessions must not outlive it; ``snapshot`` for one that only
    reads the store (from its copy, when current)."""
    from pathwise import process
    from pathwise.agent.advisor import Advisor

    advisor = Advisor.create(_settings(), offline=offline, durable=durable, snapshot=snapshot)
    if serving:
        process.ready()
    return advisor


# -- commands -----------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    from pathwise.knowledge.base import KnowledgeBase, read_source

    paths = [Path(f) for f in args.files]
    for path in paths:  # a bad file fails before the store is opened, so it is left as it was
        read_source(path)
    # Without files the bundled article is what this command ingests: report it, don't pre-ingest it.
    settings = _settings()
    kb = KnowledgeBase.open(settings, ensure_bundled=bool(paths) and not args.reset)
    writer = _question_writer(settings) if paths else None
    for row in kb.ingest(paths, reset=args.reset, questions=writer):
        asked = row.get("questions")
        keys = (
            f"; {asked} questions as search keys"
            if asked is not None
            else "; no questions written (offline: its passages alone are searched)"
        )
        print(
            f"{row['source']}: {row['passages']} passages "
            f"({row['added']} added, {row.get('updated', 0)} updated, {row['removed']} removed, {row['unchanged']} unchanged){keys}"
        )
    print(f"store: {kb.store.count()} passages")
    from pathwise.knowledge import snapshot

    snapshot.save(kb.store)  # the next `ask` reads this store without opening Chroma
    return 0


def _question_writer(settings: Any) -> Any:
    """With a model configured, the model writes each ingested passage's questions; offline, none."""
    if settings.offline or not settings.llm_configured:
        return None
    from pathwise.agent.llm import build_chat_model
    from pathwise.agent.questions import question_writer

    return question_writer(build_chat_model(settings))


def _hit_rows(hits: Iterable[Any]) -> list[dict[str, Any]]:
    return [h.model_dump() for h in hits]


def cmd_search(args: argparse.Namespace) -> int:
    if args.jsonl:
        kb = _kb(snapshot=True)
        for n, line in _stdin_lines():
            if line is None:
                _print_json({"error": f"line {n} is not UTF-8 text"})
                continue
            if not line.strip():
                continue
            try:
                req = json.loads(line)
                if not isinstance(req, dict):
                    raise InputError('each line must be a JSON object like {"query": "...", "k": 5}')
                hits = kb.search(req.get("query"), req.get("k", 5))
                _print_json(_hit_rows(hits))
            except json.JSONDecodeError as exc:
                _print_json({"error": f"not JSON: {exc.msg} (column {exc.colno})"})
            except PathwiseError as exc:
                _print_json({"error": str(exc)})
        return 0
    if not args.query:
        raise InputError('give a query, e.g. pathwise search "when do AI engineers burn out" (or --jsonl)')
    kb = _kb(snapshot=True)
    hits = kb.search(" ".join(args.query), args.k)
    if args.json:
        _print_json(_hit_rows(hits), indent=2)
        return 0
    if not hits:
        print("no passages found")
    for i, h in enumerate(hits, 1):
        print(f"{i}. [{h.id}] {h.section}  (score {h.score:.3f})")
        print("   " + h.text.replace("\n", "\n   "))
    return 0


def _turn_json(turn: Turn) -> dict[str, Any]:
    return turn.model_dump(exclude={"notice"} if turn.notice is None else set())


def _print_turn(turn: Any) -> None:
    badge = "LLM" if turn.mode == "llm" else "offline"
    print(turn.answer)
    if turn.notice:
        print(f"\n({turn.notice})")
    if turn.citations:
        print("\nSources:")
        for c in turn.citations:
            snippet = c.text.replace("\n", " ")
            print(f"  [{c.id}] {c.section}: {snippet[:160]}{'…' if len(snippet) > 160 else ''}")
    if turn.fit:
        print("\nFit scores: " + ", ".join(f"{k} {v:g}" for k, v in turn.fit.scores.items()))
    if turn.follow_ups:
        print("\nYou could ask: " + " | ".join(turn.follow_ups))
    print(f"\n[{badge} · {turn.latency_ms:.0f} ms]")


def cmd_ask(args: argparse.Namespace) -> int:
    if not args.turns:
        raise InputError('give at least one message, e.g. pathwise ask "When do AI engineers burn out?"')
    advisor = _advisor(args.offline, snapshot=True)
    session = f"cli-{time.time_ns()}"
    turns = [advisor.reply(session, message) for message in args.turns]
    if args.json:
        _print_json(_turn_json(turns[-1]))
    else:
        if advisor.startup_notice and not args.offline:
            print(f"({advisor.startup_notice})\n", file=sys.stderr)
        _print_turn(turns[-1])
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    if not args.jsonl:
        return _chat_interactive(args)
    advisor = _advisor(args.offline, serving=True)
    for n, line in _stdin_lines():
        if line is None:
            _print_json({"error": f"line {n} is not UTF-8 text", "line": n})
            continue
        if not line.strip():
            continue
        try:
            req = json.loads(line)
        except json.JSONDecodeError as exc:
            _print_json({"error": f"line {n} is not JSON: {exc.msg} (column {exc.colno})", "line": n})
            continue
        if not isinstance(req, dict):
            _print_json({"error": f'line {n} must be an object like {{"session": "a", "message": "..."}}', "line": n})
            continue
        session, message = req.get("session", "default"), req.get("message")
        if not isinstance(message, str):
            _print_json({"error": f'line {n}: "message" must be a string', "line": n})
            continue
        if not isinstance(session, (str, int)) or isinstance(session, bool):
            _print_json({"error": f'line {n}: "session" must be a string', "line": n})
            continue
        try:
            _print_json(_turn_json(advisor.reply(str(session), message)))
        except PathwiseError as exc:
            _print_json({"error": str(exc), "line": n})
    return 0


def _chat_interactive(args: argparse.Namespace) -> int:
    advisor = _advisor(args.offline, serving=True)
    session = f"chat-{time.time_ns()}"
    print("pathwise — ask about AI Engineer vs AI Automation Specialist. Empty line or Ctrl-D to quit.")
    if advisor.startup_notice:
        print(f"({advisor.startup_notice})")
    while True:
        try:
            message = input("\nyou> ")
        except EOFError:
            print()
            return 0
        if not message.strip():
            return 0
        print()
        _print_turn(advisor.reply(session, message))


FIT_FLAGS: dict[str, tuple[str, list[str]]] = {
    "q1": ("Do you want to be right once, or useful repeatedly?", ["right_once", "useful_repeatedly"]),
    "q2": ("Do you recover energy from depth or breadth?", ["depth", "breadth"]),
    "q3": ("When you're stuck, do you want to think harder or try faster?", ["think_harder", "try_faster"]),
}


def cmd_fit(args: argparse.Namespace) -> int:
    from pathwise.agent.fit import PREFERENCES, RED_FLAGS, FitAnswers, score_fit

    values: dict[str, Any] = {"q1": args.q1, "q2": args.q2, "q3": args.q3}
    flags, prefs = list(args.red_flag or []), list(args.prefer or [])
    interactive = not any([*values.values(), flags, prefs]) and sys.stdin.isatty()
    if interactive:
        print("Answer each question with its number, or press Enter to skip.\n")
        for key, (question, options) in FIT_FLAGS.items():
            values[key] = _choose(question, options)
        for key, signal in RED_FLAGS.items():
            if _yes(f"Is this true of you: {signal.label}?"):
                flags.append(key)
        for key, signal in PREFERENCES.items():
            if _yes(f"Is this true of you: {signal.label}?"):
                prefs.append(key)
    answers = FitAnswers(
        right_once_or_repeatedly=values["q1"],
        energy_from=values["q2"],
        when_stuck=values["q3"],
        red_flags=flags,
        preferences=prefs,
    )
    result = score_fit(answers)
    if args.json:
        _print_json(result.model_dump())
        return 0
    name = {"engineering": "AI Engineering", "automation": "AI Automation", "undecided": "undecided"}[result.recommended]
    print(
        f"Recommendation: {name}  (engineering {result.scores['engineering']:g}, automation {result.scores['automation']:g}; margin {result.margin:g})"
    )
    for r in result.reasons:
        print(f"  +{r.points:g} {r.path:<11} {r.answer} — “{r.quote}”")
    if not result.reasons:
        print("  No answers given: try pathwise fit --q1 right_once --q2 depth --q3 think_harder")
    print(result.caveat)
    return 0


def _choose(question: str, options: list[str]) -> str | None:
    while True:
        print(question)
        for i, o in enumerate(options, 1):
            print(f"  {i}. {o.replace('_', ' ')}")
        try:
            raw = input("> ").strip()
        except EOFError:
            return None
        if not raw:
            return None
        if raw.isdigit() and 1 <= int(raw) <= len(options):
            return options[int(raw) - 1]
        print(f"Please type a number from 1 to {len(options)}, or Enter to skip.")


def _yes(question: str) -> bool:
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def cmd_serve(args: argparse.Namespace) -> int:
    from pathwise.ui.app import serve

    serve(host=args.host, port=args.port)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from pathwise.bench.evaluate import dump, eval_answers, eval_retrieval, follow_up_condenser, is_conversation_file, load_cases

    if args.set and is_conversation_file(Path(args.set)):
        return _eval_conversations(args)
    if args.llm_context:
        raise InputError("--llm-context scores conversation files (see --set); this gold set holds questions")
    cases = load_cases(Path(args.set) if args.set else None)
    if args.retrieval:
        kb = _kb()
        result = eval_retrieval(kb, cases, condense=follow_up_condenser(kb))
        if args.json:
            _print_json(result, indent=2)
            return 0
        print(f"retrieval on {result['cases']} gold passages")
        print(f"{'method':<24}{'R@1':>7}{'R@3':>7}{'R@5':>7}{'MRR':>7}{'p50 ms':>9}")
        for name in ("pathwise", "bm25_only", "naive_1000_200_dense"):
            m = result[name]
            print(f"{name:<24}{m['recall@1']:>7.3f}{m['recall@3']:>7.3f}{m['recall@5']:>7.3f}{m['mrr']:>7.3f}{m['p50_ms']:>9.2f}")
        if result["pathwise_misses@3"]:
            print("missed at 3: " + ", ".join(result["pathwise_misses@3"]))
        return 0
    # Sessions in memory: a run must not answer from an earlier run's turns, nor leave them behind.
    advisor = _advisor(args.offline, durable=False)
    result = eval_answers(advisor, cases)
    if args.json:
        print(dump(result))
        return 0
    s = result["summary"]
    print(f"answers on {s['cases']} cases ({s['mode']} mode)")
    for key in ("facts", "citations", "offtopic", "adversarial", "fit"):
        value = s[key]
        print(f"  {key:<12} {'n/a' if value is None else f'{value:.3f}'}")
    print(f"  {'median words':<12} {s['median_words']}")
    print(f"  {'p50 latency':<12} {s['p50_latency_ms']} ms")
    for f in result["failures"]:
        print(f"  FAIL {f['id']}: {f['answer'][:120]}")
    return 0


def _eval_conversations(args: argparse.Namespace) -> int:
    from pathwise.bench.evaluate import dump, eval_conversations, load_conversations

    conversations = load_conversations(Path(args.set))
    if args.retrieval:
        raise InputError("--retrieval scores question sets; a conversation file is scored by its answers")
    if args.llm_context:
        return _eval_context(args, conversations)
    result = eval_conversations(_advisor(args.offline, durable=False), conversations)
    if args.json:
        print(dump(result))
        return 0
    s = result["summary"]
    print(f"conversations: {s['conversations']}, {s['turns']} turns, {s['fact_turns']} fact turns ({s['mode']} mode)")
    for key in ("facts", "facts_first", "facts_followup", "citations", "offtopic", "fit", "wrong_refusals"):
        value = s[key]
        shown = "n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"  {key.replace('_', ' '):<16} {shown}")
    print(f"  {'median words':<16} {s['median_words']}")
    print(f"  {'p50 latency':<16} {s['p50_latency_ms']} ms")
    for f in result["failures"]:
        why = "REFUSED" if f.get("refused") else "FAIL"
        print(f"  {why} {f['id']} [{f['kind']}] {f['message'][:70]!r} -> {f['answer'][:110]}")
    return 0


def _eval_context(args: argparse.Namespace, conversations: list[Any]) -> int:
    from pathwise.bench.evaluate import dump, eval_context_recall

    result = eval_context_recall(_settings(), conversations)
    if args.json:
        print(dump(result))
        return 0
    s = result["summary"]
    print(
        f"context recall of the LLM path on {s['fact_turns']} fact turns of {s['conversations']} conversations (fake model on 127.0.0.1)"
    )
    for key in ("context_recall", "context_recall_first", "context_recall_followup"):
        value = s[key]
        print(f"  {key.replace('_', ' '):<24} {'n/a' if value is None else f'{value:.3f}'}")
    print(f"  {'turns answered by the model':<24} {s['llm_turns']}/{s['fact_turns']}")
    for m in result["misses"]:
        print(f"  MISS {m['id']} [{m['position']}] {m['message'][:80]!r}")
    return 0


BENCH_EXTRA = ("matplotlib", "psutil", "bm25s")  # the plots, the memory and CPU figures, the BM25 baseline


def cmd_bench(args: argparse.Namespace) -> int:
    import importlib.util

    missing = [m for m in BENCH_EXTRA if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(f"pathwise bench needs the bench extra ({', '.join(missing)} not installed): pip install -e '.[bench]'")
    from pathwise.bench.bench import run

    out = Path(args.out) if args.out else Path(_settings().home) / "bench"
    run(quick=args.quick, out_dir=out, settings=_settings(), full=getattr(args, "full", False))
    return 0


# -- parser -------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, as argparse does, but with a hint
        self.exit(
            2,
            f"pathwise: error: {message} (see pathwise {self.prog.split()[-1] if ' ' in self.prog else ''} --help)\n".replace(
                "  ", " "
            ),
        )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"k must be between 1 and 100, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pathwise", description="Career advice on AI Engineer vs AI Automation Specialist, grounded in one article."
    )
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens (to stderr)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("ingest", help="build or update the passage store (default: the bundled article)")
    p.add_argument("files", nargs="*", metavar="FILE", help="UTF-8 text files to add")
    p.add_argument("--reset", action="store_true", help="empty the store first")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="top-k passages for a query")
    p.add_argument("query", nargs="*", metavar="QUERY")
    p.add_argument("--k", type=_positive_int, default=5)
    p.add_argument("--json", action="store_true")
    p.add_argument("--jsonl", action="store_true", help='read {"query", "k"} lines on stdin, write a JSON array per line')
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="ask one conversation's turns; prints the last answer")
    p.add_argument("turns", nargs="*", metavar="TURN")
    p.add_argument("--offline", action="store_true", help="never use the language model")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="a conversation in the terminal, or --jsonl for scripts")
    p.add_argument("--jsonl", action="store_true", help='read {"session", "message"} lines on stdin, write a turn per line')
    p.add_argument("--offline", action="store_true")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("fit", help="the framework's questions, interactively or with flags")
    from_fit = {"q1": FIT_FLAGS["q1"], "q2": FIT_FLAGS["q2"], "q3": FIT_FLAGS["q3"]}
    for key, (question, options) in from_fit.items():
        p.add_argument(f"--{key}", choices=options, help=question)
    p.add_argument(
        "--red-flag",
        action="append",
        metavar="KEY",
        choices=_keys("RED_FLAGS"),
        help="a red flag true of you (repeatable): %(choices)s",
    )
    p.add_argument(
        "--prefer", action="append", metavar="KEY", choices=_keys("PREFERENCES"), help="a preference (repeatable): %(choices)s"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_fit)

    p = sub.add_parser("serve", help="the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", help="score a gold set (answers, or --retrieval)")
    p.add_argument("--set", metavar="FILE", help="a JSONL gold set (default: the bundled dev set)")
    p.add_argument("--retrieval", action="store_true", help="score retrieval against baselines instead of answers")
    p.add_argument(
        "--llm-context", action="store_true",
        help="conversation files: the LLM path's context recall, against a fake model on 127.0.0.1 (no key needed)",
    )  # fmt: skip
    p.add_argument("--offline", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("bench", help="benchmarks; prints and saves figures and plots")
    p.add_argument("--quick", action="store_true", help="a subset in under two minutes; prints one JSON object")
    p.add_argument("--full", action="store_true", help="include the 100k-passage corpus")
    p.add_argument("--out", metavar="DIR", help="where to save results (default: $PATHWISE_HOME/bench)")
    p.set_defaults(func=cmd_bench)
    return parser


def _keys(table: str) -> list[str]:
    from pathwise.agent import fit

    return list(getattr(fit, table))


def _version() -> str:
    from pathwise import __version__

    return f"pathwise {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    logging.basicConfig(
        level=logging.INFO if args.verbose else _log_level(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except PathwiseError as exc:
        print(f"pathwise: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("pathwise: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _log_level() -> int:
    try:
        return getattr(logging, _settings().log_level.upper(), logging.WARNING)
    except PathwiseError:
        return logging.WARNING
