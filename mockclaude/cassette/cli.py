"""``mockclaude cassette ls|show|lint|redact|import-vcr`` — look after cassette files.

mockclaude cassette ls cassettes/tool_loop.yaml
mockclaude cassette show cassettes/tool_loop.yaml 2          # events and the accumulated message
mockclaude cassette lint cassettes/*.yaml                    # exit 1 on any problem; lists disagreements
mockclaude cassette lint --fix recorded.yaml                 # drop a torn last record, compact
mockclaude cassette redact recorded.yaml --header x-trace-id # scrub secrets in place (atomic)
mockclaude cassette import-vcr vcr/test_chat.yaml cassettes/chat.yaml
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..errors import ApiError, CassetteError
from ..redact import DEFAULT_REDACT
from ..sse import Accumulator, StreamError
from ..threads import ThreadStore, ThreadTurn
from . import remember_signatures
from .durable import stray_temp_files, write_atomic
from .fidelity import describe, verdict
from .format import Cassette, Interaction, read_bytes
from .scrub import find_secrets, scrub_interaction

__all__ = ["fix_cassette", "lint_cassette", "lint_report", "main"]

_ENDPOINTS = {"/v1/messages": "messages", "/v1/messages/count_tokens": "count_tokens"}


def _summary(i: int, it: Interaction) -> str:
    req, resp = it.request, it.response
    body = req.body if isinstance(req.body, dict) else {}
    model = body.get("model", "-")
    turns = len(body.get("messages") or [])
    if resp.events is not None:
        kind = f"stream {len(resp.events)} events"
        if resp.events and resp.events[-1].name == "error":
            kind += " (ends in error)"
        if resp.offsets:
            kind += f" over {resp.offsets[-1]:.2f}s"
    elif resp.body is not None:
        kind = "json"
        if isinstance(resp.body, dict) and resp.body.get("type") == "error":
            kind += f" error {resp.body.get('error', {}).get('type', '?')}"
    else:
        kind = "raw bytes"
    stop = ""
    msg = resp.message()
    if isinstance(msg, dict):
        stop = f" stop={msg.get('stop_reason')}"
        blocks = [b.get("type", "?") for b in msg.get("content") or [] if isinstance(b, dict)]
        if blocks:
            stop += f" [{', '.join(blocks)}]"
    return f"{i:>4}  {req.method} {req.path}  {model}  {turns} msg  -> {resp.status} {kind}{stop}"


def _each_cassette(paths: Iterable[str], failed: list[str]) -> Iterator[tuple[str, Cassette]]:
    """Each path with its cassette, in order. One that does not load is reported on stderr (the
    error names the path, and the line where there is one), added to ``failed`` and skipped, so
    the others are still handled."""
    for path in paths:
        try:
            cassette = Cassette.load(path)
        except CassetteError as err:
            print(f"mockclaude: {err}", file=sys.stderr)
            failed.append(path)
            continue
        yield path, cassette


def cmd_ls(args: argparse.Namespace, out: TextIO) -> int:
    failed: list[str] = []
    for path, cassette in _each_cassette(args.paths, failed):
        print(f"{path}: {len(cassette)} interaction(s)", file=out)
        for i, it in enumerate(cassette):
            print(_summary(i, it), file=out)
    return 1 if failed else 0


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    # `show A.yaml [B.yaml ...] [INDEX]`: a last argument that is a number (and not a file) is the index.
    paths = list(args.paths)
    index = 0
    if len(paths) > 1 and paths[-1].lstrip("-").isdigit() and not os.path.exists(paths[-1]):
        index = int(paths.pop())
    failed: list[str] = []
    status = 0
    for path, cassette in _each_cassette(paths, failed):
        status = max(status, _show_one(path, cassette, index, args, out))
    return max(status, 1 if failed else 0)


def _show_one(path: str, cassette: Cassette, index: int, args: argparse.Namespace, out: TextIO) -> int:
    args.path, args.index = path, index
    if not -len(cassette) <= args.index < len(cassette):
        print(f"mockclaude: {args.path} has {len(cassette)} interaction(s); no #{args.index}", file=sys.stderr)
        return 2
    it = cassette[args.index]
    if args.json:
        doc = it.to_doc()
        doc["response"].pop("events", None)
        if it.response.events is not None:
            offsets = it.response.offsets or []
            doc["response"]["events"] = [
                {
                    "at": offsets[n] if n < len(offsets) else None,
                    "event": ev.name,
                    "data": json.loads(ev.data),
                }
                for n, ev in enumerate(it.response.events)
            ]
        doc["response"]["message"] = it.response.message()
        print(json.dumps(doc, indent=2, ensure_ascii=False), file=out)
        return 0
    print(_summary(args.index % len(cassette), it), file=out)
    print("--- request", file=out)
    for k, v in it.request.headers.items():
        print(f"{k}: {v}", file=out)
    print(json.dumps(it.request.body, indent=2, ensure_ascii=False), file=out)
    r = it.response
    print(f"--- response {r.status}", file=out)
    for k, v in r.headers.items():
        print(f"{k}: {v}", file=out)
    if r.events is not None:
        print(f"--- events ({len(r.events)})", file=out)
        offsets = r.offsets or []
        for n, ev in enumerate(r.events):
            at = f"{offsets[n]:8.3f}s " if n < len(offsets) else ""
            print(f"{at}{ev.name}: {ev.data}", file=out)
        print("--- accumulated message", file=out)
        acc = Accumulator()
        try:
            for ev in r.events:
                acc.add(ev)
        except StreamError as err:
            print(
                f"(stream ended with error: {json.dumps(err.error, ensure_ascii=False)}; message so far:)",
                file=out,
            )
        print(json.dumps(acc.message, indent=2, ensure_ascii=False), file=out)
    elif r.body is not None:
        print(json.dumps(r.body, indent=2, ensure_ascii=False), file=out)
    elif r.raw is not None:
        print(r.raw.decode("utf-8", "replace"), file=out)
    return 0


def _stream_problems(it: Interaction) -> list[str]:
    events = it.response.events or []
    problems: list[str] = []
    if not events:
        return ["response.events: empty stream"]
    for n, ev in enumerate(events):
        try:
            payload = json.loads(ev.data)
        except ValueError:
            problems.append(f"response.events.{n}: data is not JSON")
            continue
        if not isinstance(payload, dict):
            problems.append(f"response.events.{n}: data is not a JSON object")
        elif payload.get("type") != ev.name:
            problems.append(f"response.events.{n}: data type {payload.get('type')!r} != event name {ev.name!r}")
    if events[0].name != "message_start":
        problems.append(f"response.events.0: a stream starts with message_start, not {events[0].name}")
    if events[-1].name not in ("message_stop", "error"):
        problems.append(f"response.events: ends with {events[-1].name}, not message_stop (or an error event)")
    offsets = it.response.offsets
    if offsets is not None and any(b < a for a, b in itertools.pairwise(offsets)):
        problems.append("response.events: offsets ('at') go backwards")
    if not problems:
        acc = Accumulator()
        try:
            for ev in events:
                acc.add(ev)
        except StreamError:
            pass
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as err:
            problems.append(f"response.events: does not accumulate into a message ({type(err).__name__}: {err})")
    return problems


def lint_cassette(path: str, redact: Sequence[str] = DEFAULT_REDACT) -> list[str]:
    """Problems with a cassette file, as ``path: [#N] what`` lines (empty: clean)."""
    return lint_report(path, redact)[0]


def _judge_request(
    it: Interaction, endpoint: str, signer: Any, threads: ThreadStore, strict_models: bool = False
) -> tuple[ApiError | None, ThreadTurn | None]:
    """What the double says of a recorded request (None: accepted), message threads rebuilt from the
    interactions before it."""
    from .. import protocol

    body = it.request.body
    version = it.request.headers.get("anthropic-version", "2023-06-01")
    betas = [b.strip() for b in it.request.headers.get("anthropic-beta", "").split(",") if b.strip()]
    turn = None
    try:
        if isinstance(body, dict) and "thread" in body and endpoint == "messages":
            body, turn = threads.begin(body, betas)
        try:
            valid = protocol.validate_messages(
                body, version=version, signer=signer, strict_models=strict_models, endpoint=endpoint, betas=betas
            )
        except ApiError as err:
            raise err if turn is None else turn.remap(err) from None
        if turn is not None and valid.model is not None:
            threads.check_model(turn, valid.model.id)
    except ApiError as err:
        return err, turn
    return None, turn


def lint_report(
    path: str, redact: Sequence[str] = DEFAULT_REDACT, *, strict_models: bool = False
) -> tuple[list[str], list[str]]:
    """(problems, disagreements) of a cassette file. A disagreement is an interaction recorded although
    the double refused it (record mode forwards such requests): one line each saying what the double
    says of it now and what the real API said. Disagreements are findings about the double, not
    problems of the cassette."""
    from ..signatures import Signer

    try:
        cassette = Cassette.load(path)
    except CassetteError as err:
        return [str(err)], []
    signer = Signer()
    remember_signatures(signer, cassette.interactions)
    threads = ThreadStore()
    problems: list[str] = []
    disagreements: list[str] = []
    for i, it in enumerate(cassette):
        here = f"{path}: interactions.{i}"
        problems.extend(f"{here}: {p}" for p in find_secrets(it, redact))
        endpoint = _ENDPOINTS.get(it.request.path)
        if endpoint is not None and it.request.method == "POST":
            refusal, turn = _judge_request(it, endpoint, signer, threads, strict_models)
            r = it.response
            if turn is not None:
                threads.settle(turn, r.message() if r.status == 200 else None)
            now = verdict(refusal, r.status, r.body if r.events is None else r.message())
            if it.disagreement is not None:
                # As recorded, and whether the double as linted (--strict-models or not) still disagrees.
                line = f"{here}: {describe(it.disagreement)}"
                disagreements.append(line + ("" if now is not None else " (resolved: the double now agrees)"))
            elif refusal is not None and now is not None:  # a recorded refusal the double agrees with is fine
                problems.append(
                    f"{here}: the request would be rejected: {refusal.status} {refusal.type}: {refusal.message}"
                )
        if it.response.events is not None:
            problems.extend(f"{here}: {p}" for p in _stream_problems(it))
            stream_flag = isinstance(it.request.body, dict) and it.request.body.get("stream") is True
            if not stream_flag:
                problems.append(f"{here}: response is a stream but the request did not ask for one")
    return problems, disagreements


def fix_cassette(path: str) -> str | None:
    """Repair what a recorder can leave behind: drop a torn last record and compact an appended file
    into the one-document form (atomically). Returns what was done, or None (nothing to fix)."""
    p = Path(path)
    text = read_bytes(p, "cassette file")
    cassette = Cassette.from_text(text, path=p, keep_torn=True)
    if not cassette.appended:
        return None  # a one-document file is left as written (comments and all)
    write_atomic(p, cassette.dumps())
    if cassette.torn_at is not None:
        return f"torn last record removed, {len(cassette)} interaction(s) kept"
    return f"compacted ({len(cassette)} interaction(s))"


def cmd_lint(args: argparse.Namespace, out: TextIO) -> int:
    redact = (*DEFAULT_REDACT, *args.header)
    total = 0
    found: list[str] = []
    for path in args.paths:
        if args.fix:
            for tmp in stray_temp_files(Path(path)):
                tmp.unlink(missing_ok=True)
                print(f"{path}: fixed: removed {tmp.name} (a temporary file left by a killed recorder)", file=out)
            try:
                done = fix_cassette(path)
            except CassetteError as err:
                done = None
                print(f"{path}: cannot fix: {err}", file=out)
            if done:
                print(f"{path}: fixed: {done}", file=out)
        problems, disagreements = lint_report(path, redact, strict_models=args.strict_models)
        total += len(problems)
        found.extend(disagreements)
        for p in problems:
            print(p, file=out)
        if not problems:
            print(f"{path}: ok", file=out)
    if found:
        print(f"\ndisagreements with the real API ({len(found)}), recorded in record mode:", file=out)
        for line in found:
            print(line, file=out)
    return 1 if total else 0


def _changed(a: Any, b: Any, at: str, out: list[str]) -> None:
    """The JSON paths where two documents differ (what redaction changed)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in dict.fromkeys([*a, *b]):
            _changed(a.get(k), b.get(k), f"{at}.{k}" if at else str(k), out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _changed(x, y, f"{at}.{i}", out)
    elif a != b:
        out.append(at)


def cmd_redact(args: argparse.Namespace, out: TextIO) -> int:
    redact = (*DEFAULT_REDACT, *args.header)
    failed: list[str] = []
    for path, cassette in _each_cassette(args.paths, failed):
        before = cassette.dumps()
        changes: list[str] = []
        for i, it in enumerate(cassette):
            doc = it.to_doc()
            scrub_interaction(it, args.value, redact)
            where: list[str] = []
            _changed(doc, it.to_doc(), "", where)
            changes.extend(f"{path}: interactions.{i}.{w}" for w in where)
        after = cassette.dumps()
        if after == before:
            print(f"{path}: nothing to redact", file=out)
            continue
        if args.dry_run:
            for line in changes:
                print(f"{line}: would be redacted", file=out)
            print(f"{path}: would redact {len(changes) or 'some'} field(s) (dry run, file unchanged)", file=out)
            continue
        write_atomic(path, after)  # the text just built: no third serialisation by save()
        print(f"{path}: secrets redacted ({len(changes)} field(s))", file=out)
    return 1 if failed else 0


def cmd_import_vcr(args: argparse.Namespace, out: TextIO) -> int:
    from .vcr import import_vcr

    if os.path.exists(args.dest) and not args.force:
        print(f"mockclaude: {args.dest} exists; not overwriting it (--force to replace it)", file=sys.stderr)
        return 1
    cassette = import_vcr(args.src, args.dest, redact=(*DEFAULT_REDACT, *args.header))
    print(f"{args.dest}: {len(cassette)} interaction(s) imported from {args.src}", file=out)
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mockclaude cassette", description="List, show, lint, redact or import cassettes.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    s = sub.add_parser("ls", help="list the interactions of cassettes")
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.set_defaults(run=cmd_ls)
    s = sub.add_parser("show", help="show one interaction (a stream as events and as the accumulated message)")
    s.add_argument("paths", nargs="+", metavar="PATH [INDEX]", help="cassettes, then the interaction number (default 0; -1: last)")
    s.add_argument("--json", action="store_true", help="as one JSON document")
    s.set_defaults(run=cmd_show)
    s = sub.add_parser("lint", help="check format, redaction, requests and streams; exit 1 on problems")
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.add_argument("--header", action="append", default=[], help="another header that must be redacted")
    s.add_argument("--strict-models", action="store_true", help="judge requests as `serve --strict-models` does")
    s.add_argument(
        "--fix", action="store_true",
        help="drop a torn last record (a killed recorder), compact appended records, remove stray temporary files",
    )
    s.set_defaults(run=cmd_lint)
    s = sub.add_parser("redact", help="scrub secrets from cassettes, in place (atomic)")
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.add_argument("--header", action="append", default=[], help="another header to redact")
    s.add_argument("--value", action="append", default=[], help="a secret string to replace wherever it occurs")
    s.add_argument("--dry-run", action="store_true", help="say what would be redacted, and where; change nothing")
    s.set_defaults(run=cmd_redact)
    s = sub.add_parser("import-vcr", help="convert a VCR.py / pytest-recording cassette (secrets redacted)")
    s.add_argument("src", metavar="SRC")
    s.add_argument("dest", metavar="DEST")
    s.add_argument("--header", action="append", default=[], help="another header to redact")
    s.add_argument("--force", action="store_true", help="replace DEST if it exists")
    s.set_defaults(run=cmd_import_vcr)
    return p


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        result: Any = args.run(args, out or sys.stdout)
    except CassetteError as err:
        print(f"mockclaude: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `mockclaude cassette show x.yaml | head`: the reader has what it wanted. Point stdout at
        # /dev/null so the interpreter's final flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as err:  # a destination that cannot be written, a permission refused
        where = f" {err.filename}" if err.filename else ""
        print(f"mockclaude: cannot write{where}: {err.strerror or err}", file=sys.stderr)
        return 1
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
