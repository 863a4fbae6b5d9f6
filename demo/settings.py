"""App settings from command-line flags and environment variables (flags win).

Environment variables let a Hugging Face Space pick a bigger backbone or the GPU without
changing code: set them in the Space's settings.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Sequence

ENVIRONMENT = {
    "checkpoint": "POSEGPT_CHECKPOINT",
    "backbone": "POSEGPT_BACKBONE",
    "device": "POSEGPT_DEVICE",
    "dtype": "POSEGPT_DTYPE",
    "body": "POSEGPT_BODY",
    "concurrency": "POSEGPT_CONCURRENCY",
    "max_new_tokens": "POSEGPT_MAX_NEW_TOKENS",
}


@dataclass(frozen=True)
class AppSettings:
    checkpoint: str | None = None  # a PoseGPT checkpoint folder; None = the committed default
    backbone: str | None = None  # another HF model id/folder (with a new, untrained head unless a checkpoint is given)
    device: str = "cpu"
    dtype: str | None = None  # "float32" / "bfloat16" / "float16"; None = the backbone's default
    body: str = "auto"  # auto / anny / smpl / smplx
    concurrency: int = 4  # replies computed at once (the engine interleaves them token by token)
    max_new_tokens: int = 256
    host: str | None = None  # None: Gradio's default (GRADIO_SERVER_NAME or 127.0.0.1)
    port: int | None = None  # None: Gradio's default (GRADIO_SERVER_PORT or 7860)
    share: bool = False


def parse_settings(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> AppSettings:
    environ = dict(os.environ if environ is None else environ)
    defaults = AppSettings()
    parser = argparse.ArgumentParser(
        prog="app.py",
        description="PoseGPT web chat. Every option can also be set by the environment variable shown.",
    )

    def env(name: str, fallback: object) -> object:
        return environ.get(ENVIRONMENT[name], fallback)

    parser.add_argument("--checkpoint", default=env("checkpoint", None), help="PoseGPT checkpoint folder [POSEGPT_CHECKPOINT]")
    parser.add_argument("--backbone", default=env("backbone", None), help="Hugging Face model id or folder [POSEGPT_BACKBONE]")
    parser.add_argument("--device", default=env("device", defaults.device), help="cpu, cuda, cuda:1, mps [POSEGPT_DEVICE]")
    parser.add_argument("--dtype", default=env("dtype", None), choices=[None, "float32", "bfloat16", "float16"],
                        help="model weights' dtype [POSEGPT_DTYPE]")
    parser.add_argument("--body", default=env("body", defaults.body), choices=["auto", "anny", "smpl", "smplx"],
                        help="body model; auto = SMPL/SMPL-X when their files exist, else Anny [POSEGPT_BODY]")
    parser.add_argument("--concurrency", type=int, default=int(env("concurrency", defaults.concurrency)),
                        help="replies generated at once [POSEGPT_CONCURRENCY]")
    parser.add_argument("--max-new-tokens", type=int, default=int(env("max_new_tokens", defaults.max_new_tokens)),
                        help="default and largest reply length [POSEGPT_MAX_NEW_TOKENS]")
    parser.add_argument("--host", default=None, help="address to listen on (default: Gradio's, 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default: Gradio's, 7860)")
    parser.add_argument("--share", action="store_true", help="also make a temporary public gradio.live link")
    args = parser.parse_args(argv)
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    if args.max_new_tokens < 1:
        parser.error("--max-new-tokens must be at least 1")
    return AppSettings(
        checkpoint=args.checkpoint or None,
        backbone=args.backbone or None,
        device=args.device,
        dtype=args.dtype,
        body=args.body,
        concurrency=args.concurrency,
        max_new_tokens=args.max_new_tokens,
        host=args.host,
        port=args.port,
        share=args.share,
    )
