"""What a stranger gets from the admin routes: without the key, with a foreign Host, with text/plain.

    python benchmarks/check_admin_exposure.py [--root TREE]

Starts ``mockclaude serve --api-key K`` (from ``--root``: compare with an older checkout) and prints
the status of each probe; a safe server refuses all three (401, 403, 415) and still answers the owner.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_recording import ROOT, start_server, stop  # noqa: E402

KEY = "sk-owner-key"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=ROOT)
    args = ap.parse_args()
    import httpx

    proc, url = start_server(["--api-key", KEY], args.root)
    try:
        probes = {
            "GET journal, no key": httpx.get(url + "/_mockclaude/requests"),
            "GET journal, key, Host: evil.example (DNS rebinding)": httpx.get(
                url + "/_mockclaude/requests", headers={"x-api-key": KEY, "host": "evil.example"}),
            "POST faults, key, text/plain (cross-site form)": httpx.post(
                url + "/_mockclaude/faults", content=b'{"spec":"529"}', headers={"x-api-key": KEY, "content-type": "text/plain"}),
            "POST reset, no key, text/plain": httpx.post(url + "/_mockclaude/reset", content=b"", headers={"content-type": "text/plain"}),
            "GET journal, the owner (key, loopback Host)": httpx.get(url + "/_mockclaude/requests", headers={"x-api-key": KEY}),
        }
    finally:
        stop(proc)
    print(f"mockclaude serve --api-key ... (from {args.root})")
    for what, r in probes.items():
        print(f"  {r.status_code}  {what}")


if __name__ == "__main__":
    main()
