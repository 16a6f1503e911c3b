"""``mockclaude cassette ls|show|lint|redact|import-vcr``."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from mockclaude.cassette import Cassette
from mockclaude.cassette.cli import main
from mockclaude.cli import main as cli_main
from mockclaude.sse import Event

EXAMPLES = Path(__file__).resolve().parent.parent / "cassettes"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_ls_lists_every_interaction() -> None:
    code, out = run("ls", str(EXAMPLES / "tool_loop.yaml"), str(EXAMPLES / "midstream_error.yaml"))
    assert code == 0
    assert "tool_loop.yaml: 3 interaction(s)" in out
    assert "stop=tool_use [text, tool_use]" in out
    assert "stream 9 events" in out
    assert "(ends in error)" in out


def test_show_stream_as_events_and_message() -> None:
    code, out = run("show", str(EXAMPLES / "thinking_tools.yaml"), "0")
    assert code == 0
    assert "--- events (13)" in out and "signature_delta" in out
    assert "--- accumulated message" in out
    assert '"expression": "pi * 7.5 ** 2"' in out
    code, out = run("show", str(EXAMPLES / "thinking_tools.yaml"), "0", "--json")
    doc = json.loads(out)
    assert doc["response"]["message"]["stop_reason"] == "tool_use"
    assert doc["response"]["events"][0]["event"] == "message_start"
    assert run("show", str(EXAMPLES / "plain_answer.yaml"), "5")[0] == 2


def test_lint_examples_are_clean() -> None:
    code, out = run("lint", *(str(p) for p in sorted(EXAMPLES.glob("*.yaml"))))
    assert code == 0, out
    assert out.count(": ok") == len(list(EXAMPLES.glob("*.yaml")))


def test_lint_reports_problems(tmp_path: Path) -> None:
    c = Cassette.load(EXAMPLES / "tool_loop.yaml")
    c[0].request.headers["x-api-key"] = "sk-ant-api03-leakedleakedleaked"
    c[1].request.body["max_tokens"] = "lots"  # the validator would reject this
    c[2].response.events = c[2].response.events[:-1]  # type: ignore[index]  # no message_stop
    c.save(tmp_path / "bad.yaml")
    code, out = run("lint", str(tmp_path / "bad.yaml"))
    assert code == 1
    assert "interactions.0: request header 'x-api-key' is not redacted" in out
    assert "interactions.1: the request would be rejected: 400 invalid_request_error: max_tokens" in out
    assert "interactions.2: response.events: ends with message_delta" in out
    assert "leaked" not in out  # never print the secret itself


def test_lint_broken_file(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("format: mockclaude-cassette\nversion: 7\n")
    code, out = run("lint", str(tmp_path / "broken.yaml"))
    assert code == 1 and "unsupported cassette format version 7" in out


def test_redact_in_place(tmp_path: Path) -> None:
    path = tmp_path / "leaky.yaml"
    c = Cassette.load(EXAMPLES / "plain_answer.yaml")
    c[0].request.headers["x-api-key"] = "sk-ant-api03-leakedkeyvalue000"
    c[0].request.headers["anthropic-organization-id"] = "org-secret-1234"
    c[0].response.body["content"][0]["text"] += " sk-ant-api03-echoedkey99999 and org-secret-1234"
    c.save(path)
    assert run("redact", str(path), "--dry-run")[1].endswith("dry run, file unchanged)\n")
    assert "leakedkeyvalue" in path.read_text()
    code, out = run("redact", str(path))
    assert code == 0 and "secrets redacted" in out
    text = path.read_text()
    assert "leakedkeyvalue" not in text and "echoedkey" not in text and "org-secret-1234" not in text
    assert run("lint", str(path))[0] == 0
    assert run("redact", str(path))[1].endswith("nothing to redact\n")
    assert [p.name for p in tmp_path.iterdir()] == ["leaky.yaml"]


def test_redact_extra_header_and_value(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    shutil.copy(EXAMPLES / "plain_answer.yaml", path)
    code, _ = run("redact", str(path), "--header", "anthropic-version", "--value", "Danube")
    assert code == 0
    c = Cassette.load(path)
    assert c[0].request.headers["anthropic-version"] == "[REDACTED]"
    assert "Danube" not in c[0].response.body["content"][0]["text"]


def test_dispatch_from_the_main_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["cassette", "ls", str(EXAMPLES / "plain_answer.yaml")]) == 0
    assert "plain_answer.yaml: 1 interaction(s)" in capsys.readouterr().out
    assert cli_main(["cassette", "ls", "/nonexistent.yaml"]) == 1
    assert "cassette file not found" in capsys.readouterr().err


def test_redact_and_lint_cover_the_query_string(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    c = Cassette.load(EXAMPLES / "plain_answer.yaml")
    c[0].request.query = "beta=true&key=sk-ant-api03-querykey12345"
    c.save(path)
    code, out = run("lint", str(path))
    assert code == 1 and "request.query contains an API key" in out
    assert run("redact", str(path))[0] == 0
    assert "querykey" not in path.read_text()
    assert Cassette.load(path)[0].request.query == "beta=true&key=[REDACTED]"


def test_lint_event_data_that_is_not_an_object(tmp_path: Path) -> None:
    c = Cassette.load(EXAMPLES / "thinking_tools.yaml")
    events = c[0].response.events
    assert events is not None
    events[1] = Event(events[1].name, "[1, 2]")
    c.save(tmp_path / "list.yaml")
    code, out = run("lint", str(tmp_path / "list.yaml"))
    assert code == 1 and "interactions.0: response.events.1: data is not a JSON object" in out


def test_unwritable_destination_is_a_message_not_a_traceback(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from mockclaude.cassette.cli import main as cli_main

    src = tmp_path / "vcr.yaml"
    src.write_text("interactions: []\nversion: 1\n")
    (tmp_path / "a-file").write_text("")
    dest = tmp_path / "a-file" / "out.yaml"  # a "directory" that is a file: cannot be created
    code = cli_main(["import-vcr", str(src), str(dest)])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("mockclaude: ") and "Traceback" not in err


def test_redact_dry_run_says_what_and_where(tmp_path: Path) -> None:
    path = tmp_path / "leaky.yaml"
    c = Cassette.load(EXAMPLES / "plain_answer.yaml")
    c[0].request.headers["x-api-key"] = "sk-ant-api03-leakedkeyvalue000"
    c.save(path)
    other = tmp_path / "clean.yaml"
    shutil.copy(EXAMPLES / "plain_answer.yaml", other)
    code, out = run("redact", str(path), str(other), "--dry-run")
    assert code == 0
    assert f"{path}: interactions.0.request.headers.x-api-key: would be redacted" in out
    assert f"{path}: would redact 1 field(s) (dry run, file unchanged)" in out
    assert f"{other}: nothing to redact" in out
    assert "leakedkeyvalue" in path.read_text()


def test_import_vcr_refuses_to_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "vcr.yaml"
    src.write_text("interactions: []\nversion: 1\n")
    dest = tmp_path / "mine.yaml"
    dest.write_text("precious")
    assert run("import-vcr", str(src), str(dest))[0] == 1
    assert "exists; not overwriting it (--force to replace it)" in capsys.readouterr().err
    assert dest.read_text() == "precious"
    assert run("import-vcr", str(src), str(dest), "--force")[0] == 0
    assert dest.read_text() != "precious"


def test_show_several_paths_and_a_closed_pipe(tmp_path: Path) -> None:
    import subprocess
    import sys

    code, out = run("show", str(EXAMPLES / "plain_answer.yaml"), str(EXAMPLES / "thinking_tools.yaml"), "0")
    assert code == 0 and out.count("--- request") == 2
    # `| head`: the reader goes away after one line; no "Broken pipe" complaint, no traceback
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockclaude", "cassette", "show", str(EXAMPLES / "thinking_tools.yaml"), "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    proc.wait(30)
    assert err == ""


@pytest.mark.parametrize("command", ["ls", "show", "redact"])
def test_a_broken_cassette_is_reported_with_its_line_and_the_others_still_handled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    good = tmp_path / "good.yaml"
    shutil.copy(EXAMPLES / "plain_answer.yaml", good)
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: mockclaude-cassette\nversion: 1\ninteractions: [\n", encoding="utf-8")
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    code, out = run(command, str(broken), str(empty), str(good))
    assert code == 1
    err = capsys.readouterr().err
    assert f"{broken}:4" in err  # path and line
    assert f"{empty}: empty file" in err  # never read as a cassette of no interactions
    handled = {"ls": f"{good}: 1 interaction(s)", "show": "--- response 200", "redact": f"{good}: nothing to redact"}
    assert handled[command] in out and str(broken) not in out
