"""The web app end to end with the default model: `python app.py`'s wiring, 8 concurrent sessions
through `gradio_client`, and a real browser (Debian's chromium driven by Playwright)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

pytestmark = pytest.mark.real_model

CHROMIUM = os.environ.get("POSEGPT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [  # no sandbox as root; no background connections on an offline machine
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    import app
    from demo.settings import parse_settings

    settings = parse_settings(["--concurrency", "8", "--max-new-tokens", "64"], environ={})
    blocks, service, allowed = app.build_app(settings)
    port = free_port()
    blocks.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, allowed_paths=allowed,
                  quiet=True)
    yield f"http://127.0.0.1:{port}/", service
    blocks.close()


def user_texts(history: list[dict]) -> list[str]:
    return [part["text"] for m in history if m["role"] == "user" for part in m["content"] if part["type"] == "text"]


def pictures(history: list[dict]) -> list[str]:
    return [part["file"] for m in history if m["role"] == "assistant" for part in m["content"] if part["type"] == "file"]


def test_eight_concurrent_sessions_keep_their_own_history_and_poses(app_url):
    from gradio_client import Client

    url, service = app_url
    results: dict[int, object] = {}

    def session(number: int) -> None:
        try:
            client = Client(url, verbose=False)
            first = f"Session {number}: raise your left arm above your head."
            second = f"Session {number}: now show me someone celebrating a goal."
            client.predict({"text": first, "files": []}, 0.0, 48, api_name="/chat")
            history, _textbox, selector, glb, _npz, _obj, _glb_button = client.predict(
                {"text": second, "files": []}, 0.0, 48, api_name="/chat")
            results[number] = (first, second, history, selector, glb)
        except Exception as error:  # reported below, with the session number
            results[number] = error

    threads = [threading.Thread(target=session, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert sorted(results) == list(range(8))
    for number, result in results.items():
        assert not isinstance(result, Exception), f"session {number}: {result!r}"
        first, second, history, selector, glb = result
        assert user_texts(history) == [first, second], f"session {number} sees another session's messages"
        replies = [m for m in history if m["role"] == "assistant"]
        assert replies, f"session {number} got no reply"
        problems = [p["text"] for m in replies if (m.get("metadata") or {}).get("title") == "Problem"
                    for p in m["content"] if p["type"] == "text"]
        assert problems == [], f"session {number}: {problems}"
        # every pose of this session is listed for the 3D view, one picture each
        choices = selector["choices"] if isinstance(selector, dict) else []
        assert len(choices) == len(pictures(history))
        if choices:
            assert glb and Path(glb).suffix == ".glb"
    assert sum(len(pictures(r[2])) for r in results.values()) >= 8, "the default model should draw poses"


def test_ask_endpoint_returns_pose_parameters(app_url):
    from gradio_client import Client

    url, _ = app_url
    answer = Client(url, verbose=False).predict("Raise both arms above your head.", 0.0, 48, api_name="/ask")
    assert "<POSE>" in answer["reply"] and len(answer["poses"]) == answer["reply"].count("<POSE>")
    assert len(answer["poses"][0]["body_pose"]) == 69 and len(answer["poses"][0]["global_orient"]) == 3


@contextlib.contextmanager
def app_page(url: str) -> Iterator[Any]:
    """A headless Chromium page on the app (both browser tests start this way)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `bash .ci/setup --tests` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, wait_until="load")
            yield page
        finally:
            browser.close()


def test_browser_shows_the_streamed_reply_the_body_and_the_3d_view(app_url, tmp_path):
    url, _ = app_url
    screenshot = Path(os.environ.get("POSEGPT_SCREENSHOT", tmp_path / "app.png"))
    with app_page(url) as page:
        box = page.locator("textarea").first
        box.fill("Raise your left arm above your head.")
        box.press("Enter")
        page.locator("#posegpt-chat .message img").first.wait_for(state="visible", timeout=120_000)
        page.locator("#posegpt-3d canvas").first.wait_for(state="visible", timeout=60_000)
        page.locator("textarea").first.wait_for(state="visible")
        page.wait_for_function(
            "() => !document.querySelector('textarea').disabled", timeout=120_000)  # reply finished
        texts = page.locator("#posegpt-chat .message").all_inner_texts()
        assert any("left arm" in text for text in texts)
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_browser_photo_upload_shows_the_chosen_person_over_the_photo(app_url, tmp_path):
    """A new user's group photo: upload, ask about one person in words, see them drawn over the photo."""
    url, _ = app_url
    photo = Path(__file__).resolve().parents[1] / "assets" / "photos" / "group_scene.jpg"  # sitting person on the left
    screenshot = Path(os.environ.get("POSEGPT_PHOTO_SCREENSHOT", tmp_path / "photo.png"))
    with app_page(url) as page:
        page.locator("#posegpt-input input[type=file]").first.set_input_files(str(photo))
        box = page.locator("textarea").first
        box.fill("Show me the pose of the person who is sitting.")
        page.wait_for_timeout(500)  # the upload's preview
        box.press("Enter")
        page.wait_for_function("() => !document.querySelector('textarea').disabled", timeout=120_000)
        page.locator("#posegpt-3d canvas").first.wait_for(state="visible", timeout=60_000)
        page.wait_for_function(  # the photo the user sent and the picture of the pose over it, both loaded
            "() => { const pictures = [...document.querySelectorAll('#posegpt-chat .message img')]"
            ".filter(img => img.naturalWidth > 300); return pictures.length >= 2 && pictures.every(img => img.complete); }",
            timeout=60_000)
        page.wait_for_timeout(4000)  # the 3D view loads the .glb and draws it
        texts = " ".join(page.locator("#posegpt-chat .message").all_inner_texts())
        assert "Person 1 (on the left)" in texts and "person 1 of 3" in texts
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
