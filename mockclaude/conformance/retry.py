"""Retry and error cases: scripted error answers, judged by the count and spacing of requests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .checks import Outcome, expect_error, expect_ok, problems_of_message
from .examples import Example, base_request, stream_example
from .serving import http_error

__all__ = ["retry_example", "retry_problems"]

RETRYABLE = {408, 409, 429} | set(range(500, 600))
SLACK = 0.005  # seconds: the journal stamps arrivals, the client measures from the answer


@st.composite
def retry_example(draw: Any, signer: Any, statuses: list[int], *, succeed: bool = True, max_retries: int = 2,
                  retry_after_ms: Any = None, retry_after: float | None = None, should_retry: bool | None = None,
                  no_headers: bool = False) -> Example:
    """Errors with ``statuses`` (then, when ``succeed``, a success); create or stream, drawn."""
    action = draw(st.sampled_from(["create", "stream"]))
    ok: Example = draw(stream_example(signer, action=action, max_cuts=2))
    ms = draw(retry_after_ms) if isinstance(retry_after_ms, st.SearchStrategy) else retry_after_ms
    errors = [http_error(s, retry_after_ms=None if no_headers else ms, retry_after=retry_after, should_retry=should_retry)
              for s in statuses]
    retried = should_retry is True or (should_retry is None and all(s in RETRYABLE for s in statuses))
    # Without success the last error repeats: a retrying client meets it max_retries + 1 times.
    errs = errors if succeed else errors + [errors[-1]] * (max_retries + 1)
    if not retried:
        made = 1
    elif succeed and len(statuses) <= max_retries:
        made = len(statuses) + 1
    else:
        made = max_retries + 1
    replies = errs + (ok.replies if succeed else [])
    waits: list[float] = []
    for e in errs[: made - 1]:
        h = e.headers
        if "retry-after-ms" in h:
            waits.append(float(h["retry-after-ms"]) / 1000)
        elif "retry-after" in h:
            waits.append(float(h["retry-after"]))
        else:
            waits.append(0.05 if no_headers else 0.0)
    final_ok = succeed and made == len(statuses) + 1
    last = errs[min(made, len(errs)) - 1]
    expect = {"requests": made, "waits": waits, "ok": final_ok, "status": last.status,
              "type": last.label.split()[-1], "message": ok.expect["message"] if final_ok else None}
    labels = ", ".join(e.label + (f" {e.headers}" if e.headers else "") for e in errors)
    return Example(action, ok.request if succeed else base_request(draw), replies, max_retries=max_retries, expect=expect,
                   describe=f"{labels}{' then success' if succeed else ''}; max_retries {max_retries}")


def retry_problems(ex: Example, out: Outcome) -> list[str]:
    e = ex.expect
    probs: list[str] = []
    n = len(out.requests)
    if n != e["requests"]:
        probs.append(f"{n} requests reached the server, expected {e['requests']} ({ex.describe})")
    stamps = [r.monotonic for r in out.requests]
    for i, need in enumerate(e["waits"]):
        if i + 1 < len(stamps):
            gap = stamps[i + 1] - stamps[i]
            if gap + SLACK < need:
                probs.append(f"retry {i + 1} came {gap * 1000:.0f} ms after request {i + 1}; the server asked for at least {need * 1000:.0f} ms")
    if e["ok"]:
        msg, p = expect_ok(out)
        probs += p if msg is None else problems_of_message(msg, e["message"])
    else:
        probs += expect_error(out, e["status"])
    return probs
