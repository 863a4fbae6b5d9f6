"""Body models: SMPL parameters → posed mesh + 24 joints. See `base.BodyModel`.

`load_body_model("auto")` uses the official SMPL/SMPL-X when the user has put its files in
place, and the built-in Anny body otherwise; `describe_choice` says which, and why, in words.
"""

from __future__ import annotations

from pathlib import Path

import torch

from posegpt.body.anny_body import AnnyBody, AnnyRig
from posegpt.body.base import BodyModel, BodyModelError, BodyOutput
from posegpt.body.smpl_body import BodyModelFilesMissing, SMPLBody, default_body_model_dir, find_smpl_files

BODY_CHOICES = ("auto", "anny", "smpl", "smplx")

__all__ = [
    "AnnyBody",
    "AnnyRig",
    "BODY_CHOICES",
    "BodyModel",
    "BodyModelError",
    "BodyModelFilesMissing",
    "BodyOutput",
    "SMPLBody",
    "describe_choice",
    "describe_kind",
    "load_body_model",
]


def load_body_model(
    kind: str = "auto",
    model_dir: str | Path | None = None,
    device: str | torch.device = "cpu",
) -> BodyModel:
    """Build the body model a user asked for.

    "auto" picks SMPL (or SMPL-X) when its files are in ``model_dir`` (default: ``POSEGPT_BODY_MODELS``
    or ``checkpoints/body_models``) and Anny otherwise; "smpl"/"smplx" insist and raise
    `BodyModelFilesMissing` with download instructions when the files are absent.
    """
    if kind not in BODY_CHOICES:
        raise ValueError(f"unknown body model {kind!r}; choose one of {', '.join(BODY_CHOICES)}")
    folder = Path(model_dir) if model_dir is not None else default_body_model_dir()
    if kind == "anny":
        return AnnyBody(device=device)
    if kind in ("smpl", "smplx"):
        return SMPLBody(folder, model_type=kind, device=device)
    for model_type in ("smpl", "smplx"):
        if find_smpl_files(folder, model_type=model_type) is not None:
            return SMPLBody(folder, model_type=model_type, device=device)
    return AnnyBody(device=device)


def describe_choice(body: BodyModel, model_dir: str | Path | None = None) -> str:
    """One line for users: which body model is in use and how to get the other."""
    return describe_kind(body.name, model_dir)


def describe_kind(kind: str, model_dir: str | Path | None = None) -> str:
    """`describe_choice` by name ("anny", "smpl", "smplx"), before the body model is built."""
    folder = Path(model_dir) if model_dir is not None else default_body_model_dir()
    if kind == "anny":
        return (
            f"Body model: Anny (built in, CC0). To use the official SMPL/SMPL-X instead, put its files in "
            f"{folder}/smpl/ or {folder}/smplx/ (see README)."
        )
    return f"Body model: {kind.upper()} from {folder}."
