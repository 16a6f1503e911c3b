"""What ``mockclaude serve`` loads before it answers its first POST /v1/messages.

Cold start (launch to the first 200) is mostly imports. The modules below are only needed by other
routes, by requests that carry a JSON schema, by cassettes or by the test tooling; each is imported
on first use. These tests run the real serve path in a fresh interpreter and check that none of them
is loaded by then, so that a new module-level import cannot silently bring one back. No timing here:
the figure is benchmarks/compare.py's cold start column.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Loaded later, by what needs them (see the comment at each one's import):
LAZY = (
    "jsonschema",  # responders/jsonschema_gen.py: a tool input_schema or output format to satisfy
    "referencing",  # jsonschema's
    "starlette.routing",  # app.py's router: every route but POST /v1/messages
    "starlette.applications",
    "yaml",  # cassettes and scripted-answer files
    "mockclaude.cassette",
    "mockclaude.conformance",
    "hypothesis",
    "httpx",  # the recording upstream client and the test helpers
    "anthropic",
    "pydantic",
    "pytest",
    "uvicorn",  # --server uvicorn only (the default is mockclaude.httpserver)
    "click",  # uvicorn's
    "watchfiles",
    "multiprocessing",
)

# A child that runs ``mockclaude serve --port 0`` in its main thread (signals and all, as the command
# does), answers one real POST /v1/messages over loopback from a second thread, writes the modules
# loaded by then, and stops the server with SIGINT.
CHILD = r"""
import json, os, signal, socket, sys, threading

class Console:
    def __init__(self, out):
        self.out, self.port, self.seen = out, None, threading.Event()
    def write(self, text):
        if "listening on http://" in text:
            self.port = int(text.rsplit(":", 1)[1].strip())
            self.seen.set()
        return self.out.write(text)
    def __getattr__(self, name):  # isatty, fileno, encoding ...: the real console's
        return getattr(self.out, name)

console = sys.stdout = Console(sys.stdout)
result = {}

def client():
    try:
        if not console.seen.wait(60):
            result["error"] = "never listened"
            return
        body = b'{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}'
        head = ("POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                "x-api-key: k\r\nanthropic-version: 2023-06-01\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", console.port), timeout=30) as s:
            s.sendall(head + body)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        result["status"] = int(data.split(b" ", 2)[1])
        result["answer"] = data.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")
        result["modules"] = sorted(sys.modules)
    except Exception as err:
        result["error"] = repr(err)
    finally:
        os.kill(os.getpid(), signal.SIGINT)

threading.Thread(target=client, daemon=True).start()
from mockclaude.cli import main
code = main(["serve", "--port", "0"])
sys.__stdout__.write("RESULT " + json.dumps({"code": code, **result}) + "\n")
"""


def _child(source: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCKCLAUDE_", "ANTHROPIC_"))}
    out = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, env=env, timeout=120)
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    assert out.returncode == 0 and lines, out
    result: dict[str, object] = json.loads(lines[-1][len("RESULT ") :])
    return result


def _loaded(modules: object, names: tuple[str, ...]) -> list[str]:
    assert isinstance(modules, list)
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


@pytest.mark.skipif(sys.platform == "win32", reason="stops the server with SIGINT from inside")
def test_the_first_answer_loads_only_what_it_needs() -> None:
    result = _child(CHILD)
    assert "error" not in result, result
    assert result["status"] == 200 and '"type":"message"' in str(result["answer"]), result
    assert result["code"] == 0
    assert _loaded(result["modules"], LAZY) == []
    # and the import path still is the one the serve command takes
    assert "mockclaude.app" in result["modules"] and "mockclaude.protocol.validate" in result["modules"]  # type: ignore[operator]


def test_the_pytest_plugin_loads_no_server() -> None:
    # every pytest run in a project that installs mockclaude loads the plugin
    source = "import json, sys, mockclaude.pytest_plugin; print('RESULT ' + json.dumps({'modules': sorted(sys.modules)}))"
    result = _child(source)
    heavy = ("mockclaude.app", "mockclaude.server", "mockclaude.protocol", "starlette", "uvicorn", "jsonschema", "yaml", "httpx")
    assert _loaded(result["modules"], heavy) == []
