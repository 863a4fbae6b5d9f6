"""Hand-authored poses with names, written as joint rotations a person can read and check.

A pose is a list of (joint, axis, degrees) turns applied in order to each joint's local rotation,
in SMPL's frame (+y up, the body faces +z, its left on +x). The poses themselves are data:
``posegpt/data/catalogues/postures.yaml`` (standing, sitting, kneeling, lying, bends, yoga) and
``actions.yaml`` (sports, everyday actions, gestures, dance, martial arts, emotions), read and
validated by `posegpt.data.catalogue`; their headers give the rules of thumb for authoring.
"""

from __future__ import annotations

import numpy as np
import torch

from posegpt.data.catalogue import pose_library
from posegpt.data.pose_entry import PoseEntry, Turn
from posegpt.pose import SMPL_JOINT_NAMES, Pose, axis_angle_to_matrix, matrix_to_axis_angle

_AXES = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0)}

#: Every hand-authored pose by name (postures: standing/sitting/kneeling/lying/bends/yoga;
#: actions: sports, everyday actions, gestures, dance, martial arts, emotions).
POSE_LIBRARY: dict[str, PoseEntry] = pose_library()
NAMED_POSES: dict[str, list[Turn]] = {name: list(entry.turns) for name, entry in POSE_LIBRARY.items()}


def turns_to_pose(turns: list[Turn]) -> Pose:
    """Compose the turns of each joint (in order) into one SMPL pose."""
    rotations = torch.eye(3).repeat(len(SMPL_JOINT_NAMES), 1, 1)  # (24, 3, 3)
    for joint, axis, degrees in turns:
        index = SMPL_JOINT_NAMES.index(joint)
        axis_angle = torch.tensor(_AXES[axis]) * np.deg2rad(degrees)
        rotations[index] = axis_angle_to_matrix(axis_angle.float()) @ rotations[index]
    return Pose.from_axis_angle(matrix_to_axis_angle(rotations))


def named_pose(name: str) -> Pose:
    """A named pose, e.g. ``named_pose("arms_up")``; raises KeyError listing the known names."""
    if name not in NAMED_POSES:
        raise KeyError(f"unknown pose {name!r}; known: {', '.join(sorted(NAMED_POSES))}")
    return turns_to_pose(NAMED_POSES[name])
