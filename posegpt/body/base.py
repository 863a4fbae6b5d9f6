"""The body-model interface: SMPL parameters in, a posed mesh and the 24 SMPL joints out.

Every body model returns the same thing so that the renderer, the exporters and the evaluation
never care which one produced the mesh. Outputs are *root-centred*: the pelvis (SMPL joint 0)
sits at the origin, in SMPL's body frame (+y up, facing +z, the person's left on +x), in metres.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import torch

from posegpt.pose import Pose


@dataclass(frozen=True)
class BodyOutput:
    """A batch of posed bodies that share one mesh topology."""

    vertices: torch.Tensor  # (N, V, 3) float32, metres, pelvis at the origin
    joints: torch.Tensor  # (N, 24, 3) float32, the SMPL joints in SMPL order
    faces: np.ndarray  # (F, 3) int64 triangle indices into vertices

    def __len__(self) -> int:
        return int(self.vertices.shape[0])

    def mesh(self, index: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """One body as NumPy arrays, ready for the renderer and the exporters."""
        return self.vertices[index].detach().cpu().numpy().astype(np.float32), self.faces


class BodyModelError(RuntimeError):
    """A body model cannot be built or loaded; the message tells the user what to do."""


@runtime_checkable
class BodyModel(Protocol):
    """Anything that turns a `Pose` into a posed mesh."""

    #: Short name shown to users, e.g. "anny" or "smpl".
    name: str

    def __call__(self, pose: Pose) -> BodyOutput:  # pragma: no cover - protocol
        ...

    @property
    def faces(self) -> np.ndarray:  # pragma: no cover - protocol
        ...
