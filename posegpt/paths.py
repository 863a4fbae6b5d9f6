"""Where PoseGPT keeps files it builds on first use (converted weights, body-model caches)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

#: The repository (or installed package) root: assets/ and checkpoints/ live here.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = PROJECT_ROOT / "assets"


def cache_dir() -> Path:
    """The user cache folder (``POSEGPT_CACHE_DIR`` overrides it); created on demand."""
    override = os.environ.get("POSEGPT_CACHE_DIR")
    path = Path(override) if override else Path(platformdirs.user_cache_dir("posegpt"))
    path.mkdir(parents=True, exist_ok=True)
    return path
