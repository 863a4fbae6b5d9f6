"""Hand-authored poses with names, written as joint rotations a person can read and check.

A pose is a list of (joint, axis, degrees) turns applied in order to each joint's local rotation,
in SMPL's frame (+y up, the body faces +z, its left on +x). Rules of thumb for authoring:
shoulders turn about z (left +z raises the left arm, right −z raises the right arm); hips and
knees bend about x (hip −x swings the thigh forward, knee +x folds the shin back); elbows bend
about y (left −y / right +y fold the forearm forward) or z (left +z folds it up in a T-pose).
"""

from __future__ import annotations

import numpy as np
import torch

from posegpt.data.pose_entry import PoseEntry, Turn
from posegpt.pose import SMPL_JOINT_NAMES, Pose, axis_angle_to_matrix, matrix_to_axis_angle

_AXES = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0)}


def _collect() -> dict[str, PoseEntry]:
    from posegpt.data.actions import ENTRIES as ACTIONS
    from posegpt.data.postures import ENTRIES as POSTURES

    duplicates = set(POSTURES) & set(ACTIONS)
    if duplicates:
        raise ValueError(f"pose names defined twice: {sorted(duplicates)}")
    return {**POSTURES, **ACTIONS}


#: Every hand-authored pose by name (postures: standing/sitting/kneeling/lying/bends/yoga;
#: actions: sports, everyday actions, gestures, dance, martial arts, emotions).
POSE_LIBRARY: dict[str, PoseEntry] = _collect()
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
