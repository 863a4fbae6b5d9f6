"""Body models: SMPL parameters → posed mesh + 24 joints. See `base.BodyModel`.

`load_body_model("auto")` uses the official SMPL/SMPL-X when the user has put its files in
place, and the built-in Anny body otherwise; `resolve_body` is the one place that decides what
"auto" means (the app, the CLI and the evaluations all ask it), and `describe_choice` says which,
and why, in words.
"""

from __future__ import annotations

from pathlib import Path

import torch

from posegpt.body.anny_body import AnnyBody, AnnyRig
from posegpt.body.base import BodyModel, BodyModelError, BodyOutput
from posegpt.body.smpl_body import BodyModelFilesMissing, SMPLBody, default_body_model_dir, find_smpl_files

BODY_CHOICES = ("auto", "anny", "smpl", "smplx")
AUTO_PREFERENCE = ("smpl", "smplx")  # what "auto" takes when its files are there, first found first

__all__ = [
    "AnnyBody",
    "AnnyRig",
    "BODY_CHOICES",
    "BodyModel",
    "BodyModelError",
    "BodyModelFilesMissing",
    "BodyOutput",
    "SMPLBody",
    "available_bodies",
    "describe_choice",
    "describe_kind",
    "load_body_model",
    "resolve_body",
]


def available_bodies(model_dir: str | Path | None = None) -> list[str]:
    """The body models this machine can build: Anny always, then SMPL / SMPL-X when their files
    are in ``model_dir`` (default: `default_body_model_dir()`)."""
    folder = Path(model_dir) if model_dir is not None else default_body_model_dir()
    return ["anny", *(kind for kind in AUTO_PREFERENCE if find_smpl_files(folder, model_type=kind) is not None)]


def resolve_body(kind: str = "auto", model_dir: str | Path | None = None) -> str:
    """The body model `kind` names: "auto" → SMPL when its files are in ``model_dir``, else
    SMPL-X when its files are, else Anny; any other choice is returned as it is (not checked
    for files: `load_body_model` says what is missing)."""
    if kind not in BODY_CHOICES:
        raise ValueError(f"unknown body model {kind!r}; choose one of {', '.join(BODY_CHOICES)}")
    if kind != "auto":
        return kind
    found = available_bodies(model_dir)
    return found[1] if len(found) > 1 else "anny"


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
    folder = Path(model_dir) if model_dir is not None else default_body_model_dir()
    kind = resolve_body(kind, folder)
    if kind == "anny":
        return AnnyBody(device=device)
    return SMPLBody(folder, model_type=kind, device=device)


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
