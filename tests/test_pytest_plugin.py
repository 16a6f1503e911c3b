"""The pytest plugin, tested as users run it: user test files run by ``pytester``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import anthropic  # noqa: F401 - see below
import pytest

import mockclaude.app  # see below
import mockclaude.cassette  # noqa: F401 - see below
from mockclaude import MockClaude
from mockclaude.config import RECORD_MODES
from mockclaude.pytest_plugin import _RECORD_MODES, DUMMY_API_KEY, default_cassette_path, settings_for

pytest_plugins = ["pytester"]

# In-process pytester runs drop the modules first imported during a run, so each run would import
# the SDK again (~2 s), and PyYAML's C extension, which cannot be re-imported, would mismatch a fresh
# `yaml` ("expected SCALAR..."). Importing them here keeps one copy for every run.

MODEL = "claude-sonnet-4-6"

# What the user's project would configure: strict markers, warnings are errors.
INI = """
[pytest]
addopts = --strict-markers -p no:cacheprovider
filterwarnings = error
"""


@pytest.fixture
def user(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester project with the user's ini, and none of this machine's ANTHROPIC_/MOCKCLAUDE_ env."""
    for name in list(os.environ):
        if name.startswith(("ANTHROPIC_", "MOCKCLAUDE_")) or name == "CI":
            monkeypatch.delenv(name)
    pytester.makeini(INI)
    return pytester


def test_record_modes_agree_with_config() -> None:
    assert _RECORD_MODES == RECORD_MODES  # duplicated so the plugin need not import config at load


def test_importing_the_plugin_stays_light() -> None:
    code = (
        "import sys, mockclaude.pytest_plugin, mockclaude.testing\n"
        "heavy = ('uvicorn', 'starlette', 'hypothesis', 'httpx', 'httpx2', 'anthropic', 'yaml', 'jsonschema')\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


SDK_TESTS = f'''
import os
from unittest.mock import ANY

import anthropic
import pytest

MODEL = "{MODEL}"


def ask(text="Hello", **kw):
    with anthropic.Anthropic(max_retries=0) as client:
        return client.messages.create(model=MODEL, max_tokens=64, messages=[{{"role": "user", "content": text}}], **kw)


def test_sdk_needs_no_arguments(mockclaude):
    reply = ask("Hello")
    assert reply.content[0].type == "text"
    assert os.environ["ANTHROPIC_BASE_URL"] == mockclaude.url
    mockclaude.assert_called(1)
    assert mockclaude.requests[-1].body["messages"] == [{{"role": "user", "content": "Hello"}}]
    mockclaude.assert_called_with(model=MODEL, max_tokens=64, messages=ANY)
    assert mockclaude.last_request.status == 200


def test_each_test_starts_clean(mockclaude):
    mockclaude.assert_not_called()
    ask("again")
    ask("and again")
    mockclaude.assert_called(2, path="/v1/messages")
    mockclaude.assert_any_call(messages=[{{"role": "user", "content": "again"}}])
    with pytest.raises(AssertionError, match="expected 3 request"):
        mockclaude.assert_called(3)
    with pytest.raises(AssertionError, match="max_tokens: expected 1, got 64"):
        mockclaude.assert_called_with(max_tokens=1)


@pytest.mark.mockclaude
def test_marker_alone_gives_the_fixture():
    assert ask().stop_reason == "end_turn"  # no cassette yet and not recording: synthetic answers


@pytest.mark.mockclaude(faults=["429:times=5"])
def test_fault_marker(mockclaude):
    with pytest.raises(anthropic.RateLimitError):
        ask()
    assert mockclaude.last_request.status == 429


def test_invalid_request_fails_the_test(mockclaude):
    with pytest.raises(anthropic.BadRequestError):
        ask(extra_body={{"bogus_field": 1}})


@pytest.mark.mockclaude(allow_errors=True)
def test_invalid_request_allowed_by_marker(mockclaude):
    with pytest.raises(anthropic.BadRequestError):
        ask(extra_body={{"bogus_field": 1}})


def test_invalid_request_expected(mockclaude):
    with mockclaude.expect_errors(), pytest.raises(anthropic.BadRequestError):
        ask(extra_body={{"bogus_field": 1}})
    ask()  # a valid one afterwards is fine


@pytest.mark.mockclaude(cassete="typo.yaml")
def test_misspelled_marker_keyword(mockclaude):
    pass


@pytest.mark.mockclaude(cassette="never_recorded.yaml")
def test_named_cassette_missing(mockclaude):
    pass


def test_server_still_fine_after_a_setup_error(mockclaude):
    assert mockclaude.cassette is None
    ask()
'''


def test_user_suite_with_the_official_sdk(user: pytest.Pytester) -> None:
    user.makepyfile(test_user=SDK_TESTS)
    result = user.runpytest_inprocess()
    result.assert_outcomes(passed=7, failed=1, errors=2)
    out = result.stdout.str()
    # The validation failure reads well: what was rejected, why, the request, and the way out.
    result.stdout.fnmatch_lines(
        [
            "*test_invalid_request_fails_the_test*",
            "*mockclaude: 1 request(s) in this test were not answered as a test expects*",
            "*POST /v1/messages was rejected: 400 invalid_request_error: bogus_field: Extra inputs are not permitted*",
            '*request body: {"max_tokens": 64*',
        ]
    )
    assert "allow_errors=True" in out
    assert "unknown option(s) cassete; valid options:" in out
    assert "never_recorded.yaml: cassette file not found (record it: --mockclaude-record-mode=once)" in out


def test_unmatched_request_fails_with_the_closest_interaction(user: pytest.Pytester) -> None:
    cassette = Path(__file__).parents[1] / "cassettes" / "plain_answer.yaml"
    user.mkdir("recorded")
    (user.path / "recorded" / "plain.yaml").write_text(cassette.read_text())
    user.makepyfile(
        test_unmatched=f'''
        import anthropic, pytest

        @pytest.mark.mockclaude(cassette="recorded/plain.yaml")
        def test_off_script(mockclaude):
            with anthropic.Anthropic(max_retries=0) as client, pytest.raises(anthropic.BadRequestError):
                client.messages.create(model="{MODEL}", max_tokens=7,
                                       messages=[{{"role": "user", "content": "not what was recorded"}}])
        '''
    )
    result = user.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*mockclaude: no interaction in cassette *plain.yaml matches POST /v1/messages*",
            "*closest recorded: #0 POST /v1/messages*failed body*",
            "*request body:*not what was recorded*",
        ]
    )


RECORDED_TEST = f'''
import os
import anthropic

def test_hello(mockclaude):
    with anthropic.Anthropic(max_retries=0) as client:
        reply = client.messages.create(model="{MODEL}", max_tokens=32, messages=[{{"role": "user", "content": "Hi"}}])
    assert reply.content[0].text
    assert mockclaude.last_request.source == os.environ["EXPECT_SOURCE"]
    assert os.environ["ANTHROPIC_API_KEY"] == os.environ["EXPECT_KEY"]
'''


def test_record_then_replay_without_the_upstream(
    user: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The marker sits on the module: every test in it records / replays at its default path.
    user.makepyfile(test_rec="import pytest\npytestmark = pytest.mark.mockclaude\n" + RECORDED_TEST)
    cassette = user.path / "cassettes" / "test_rec" / "test_hello.yaml"

    with MockClaude() as upstream:  # stands in for the real API: never the internet
        monkeypatch.setenv("EXPECT_SOURCE", "upstream")
        # Recording forwards the client's key upstream, so a real key in the environment is kept...
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-the-real-one")
        monkeypatch.setenv("EXPECT_KEY", "sk-ant-the-real-one")
        result = user.runpytest_inprocess(
            "--mockclaude-record-mode=once", f"--mockclaude-upstream={upstream.url}"
        )
        result.assert_outcomes(passed=1)
        assert len(upstream.requests) == 1
    assert cassette.exists()
    assert "/v1/messages" in cassette.read_text()

    # The upstream is gone; `once` with the file present replays, and so does the default mode.
    monkeypatch.setenv("EXPECT_SOURCE", "cassette")
    monkeypatch.setenv("EXPECT_KEY", DUMMY_API_KEY)  # ...replaying never needs it: a dummy
    user.runpytest_inprocess(
        "--mockclaude-record-mode=once", f"--mockclaude-upstream={upstream.url}"
    ).assert_outcomes(passed=1)
    user.runpytest_inprocess().assert_outcomes(passed=1)


def test_suite_under_xdist_each_worker_its_own_server(
    user: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    seen = user.mkdir("seen")
    monkeypatch.setenv("SEEN_DIR", str(seen))
    tests = "\n".join(
        f'''
def test_{i}(mockclaude):
    # plain httpx, not the SDK: each worker would spend ~2 s importing it
    import os, httpx, pathlib
    body = {{"model": "{MODEL}", "max_tokens": 8, "messages": [{{"role": "user", "content": "n{i}"}}]}}
    headers = {{"x-api-key": os.environ["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01"}}
    r = httpx.post(os.environ["ANTHROPIC_BASE_URL"] + "/v1/messages", json=body, headers=headers)
    assert r.status_code == 200, r.text
    mockclaude.assert_called(1)
    pathlib.Path(os.environ["SEEN_DIR"], "{i}").write_text(os.environ["PYTEST_XDIST_WORKER"] + " " + mockclaude.url)
'''
        for i in range(6)
    )
    user.makepyfile(test_par=tests)
    result = user.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=6)
    servers = {f.read_text() for f in seen.iterdir()}
    assert len({s.split()[0] for s in servers}) == 2  # both workers ran tests...
    assert len(servers) == 2  # ...each against its own server


# --- settings: precedence and cassette paths, on collected items (no run) -------------------------


def _item(pytester: pytest.Pytester, source: str, *args: str) -> pytest.Item:
    col = pytester.getmodulecol(textwrap.dedent(source), configargs=args)
    items = pytester.genitems([col])
    assert len(items) == 1
    return items[0]


def test_precedence_marker_over_option_over_env(
    user: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOCKCLAUDE_UPSTREAM", "http://env.invalid")
    monkeypatch.setenv("MOCKCLAUDE_STRICT_MODELS", "1")
    monkeypatch.setenv("MOCKCLAUDE_CASSETTE", "/ignored/by/the/plugin.yaml")
    src = """
        import pytest
        @pytest.mark.mockclaude(record_mode="new_episodes", strict_models=False)
        def test_x(): pass
    """
    item = _item(user, src, "--mockclaude-record-mode=all")
    settings, plugin = settings_for(item, item.config)
    assert (settings.record_mode, settings.upstream, settings.strict_models) == (
        "new_episodes",
        "http://env.invalid",
        False,
    )
    assert (
        Path(settings.cassette)
        == item.path.parent / "cassettes" / "test_precedence_marker_over_option_over_env" / "test_x.yaml"
    )
    assert plugin == {}

    item = _item(user, src, "--mockclaude-upstream=http://option.invalid")
    assert settings_for(item, item.config)[0].upstream == "http://option.invalid"


def test_no_marker_no_cassette_and_no_recording(user: pytest.Pytester) -> None:
    item = _item(user, "def test_x(): pass", "--mockclaude-record-mode=all")
    settings, _ = settings_for(item, item.config)
    assert settings.cassette is None and settings.record_mode == "none"


def test_cassette_paths(user: pytest.Pytester) -> None:
    src = """
        import pytest
        class TestThing:
            @pytest.mark.mockclaude("sub/a.yaml", allow_errors=True)
            @pytest.mark.parametrize("n", ["x/y"])
            def test_p(self, n): pass
    """
    item = _item(user, src)
    settings, plugin = settings_for(item, item.config)
    assert Path(settings.cassette) == item.path.parent / "sub" / "a.yaml"
    assert plugin == {"allow_errors": True}
    assert default_cassette_path(item).name == "TestThing.test_p_x_y.yaml"


def test_default_cassette_used_once_it_exists(user: pytest.Pytester) -> None:
    # Without cassette= and not recording, the default path is used only once it exists.
    item = _item(user, "import pytest\n@pytest.mark.mockclaude\ndef test_d(): pass\n")
    assert settings_for(item, item.config)[0].cassette is None
    default_cassette_path(item).parent.mkdir(parents=True)
    default_cassette_path(item).write_text("")
    assert settings_for(item, item.config)[0].cassette == default_cassette_path(item)


# --- the documentation's pytest examples run as written --------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _pytest_examples() -> list[tuple[str, str]]:
    """Self-contained pytest examples (they import what they use) in docs/pytest.md and the README."""
    import re

    out = []
    for doc in ("docs/pytest.md", "README.md"):
        path = ROOT / doc
        if path.exists():
            for i, code in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(), re.DOTALL)):
                if "def test_" in code and code.lstrip().startswith(("import", "from")):
                    out.append((f"{doc}#{i}", code))
    return out


def test_docs_have_a_pytest_example() -> None:
    assert any(name.startswith("docs/pytest.md") for name, _ in _pytest_examples())


@pytest.mark.parametrize(("name", "code"), _pytest_examples(), ids=[n for n, _ in _pytest_examples()])
def test_docs_pytest_example_passes(user: pytest.Pytester, name: str, code: str) -> None:
    user.makepyfile(test_example=code)
    result = user.runpytest_inprocess()
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1 and not (outcomes.keys() & {"failed", "errors", "error"}), name


def test_docs_other_python_snippets_run() -> None:
    import re

    doc = ROOT / "docs" / "pytest.md"
    snippets = [
        c for c in re.findall(r"```python\n(.*?)```", doc.read_text(), re.DOTALL) if "def test_" not in c
    ]
    assert len(snippets) >= 2
    for code in snippets:
        exec(compile(code, str(doc), "exec"), {"__name__": "docs"})
