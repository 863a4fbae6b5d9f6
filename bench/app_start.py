"""Cold and warm start of the web app: process start → page served → first reply with a pose.

    .venv/bin/python bench/app_start.py [--runs 2]

"Cold" starts with an empty PoseGPT cache folder (POSEGPT_CACHE_DIR → a new temp folder), so the
packaged GGUF is converted again, as on a fresh machine; "warm" reuses the user's cache. Each
run starts `python app.py` on a free port, polls the page until it answers, then asks one
question through `gradio_client` and times the reply. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "Raise your left arm above your head."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def one_start(cache: str | None, timeout: float = 600.0) -> dict[str, float]:
    from gradio_client import Client

    port = free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False")
    if cache is not None:
        env["POSEGPT_CACHE_DIR"] = cache
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"app.py exited with status {process.returncode}")
            if time.perf_counter() - started > timeout:
                raise TimeoutError("the app did not start")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        served = time.perf_counter() - started
        asked = time.perf_counter()
        answer = Client(url, verbose=False).predict(QUESTION, 0.0, 64, api_name="/ask")
        replied = time.perf_counter() - asked
        return {"served_s": served, "first_reply_s": replied, "poses": len(answer["poses"])}
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="cold and warm starts each (default 2)")
    args = parser.parse_args()
    rows = []
    for kind in ("cold", "warm"):
        results = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="posegpt-cold-") as empty:
                results.append(one_start(empty if kind == "cold" else None))
        rows.append((kind, results))
    print(f"# app start, {platform.machine()} CPU, {os.cpu_count()} cores, {args.runs} runs each (median)\n")
    print("| start | page served s | first reply (with pose) s | poses in reply |")
    print("|---|---:|---:|---:|")
    for kind, results in rows:
        served = statistics.median(r["served_s"] for r in results)
        reply = statistics.median(r["first_reply_s"] for r in results)
        poses = statistics.median(r["poses"] for r in results)
        print(f"| {kind} | {served:.1f} | {reply:.2f} | {poses:g} |")


if __name__ == "__main__":
    main()
