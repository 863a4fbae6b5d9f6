"""Shared fixtures. Heavy objects are built once per test session."""

from __future__ import annotations

import os

import pytest
import torch

# Tests must never reach a hub; the suite is CPU-only.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(scope="session")
def anny_body():
    """The default body from the packaged rig (no Anny build needed)."""
    from posegpt.body import AnnyBody

    return AnnyBody()


@pytest.fixture(scope="session")
def anny_model():
    """The full Anny model; builds its cache in the user cache on the first run only (~1 min)."""
    from posegpt.body.anny_body import build_anny_model
    from posegpt.paths import cache_dir

    return build_anny_model(cache_dir() / "anny")
