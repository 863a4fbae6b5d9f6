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

from posegpt.pose import SMPL_JOINT_NAMES, Pose, axis_angle_to_matrix, matrix_to_axis_angle

Turn = tuple[str, str, float]  # (joint name, axis "x"|"y"|"z", degrees)

_AXES = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0)}

NAMED_POSES: dict[str, list[Turn]] = {
    "t_pose": [],
    "stand": [
        ("left_shoulder", "z", -75), ("right_shoulder", "z", 75),
        ("left_elbow", "y", -10), ("right_elbow", "y", 10),
    ],
    "arms_up": [
        ("left_shoulder", "z", 80), ("right_shoulder", "z", -80),
        ("left_collar", "z", 10), ("right_collar", "z", -10),
    ],
    "wave_left_hand": [
        ("right_shoulder", "z", 75),
        ("left_shoulder", "z", 5), ("left_elbow", "z", 95), ("left_wrist", "z", 10),
    ],
    "squat": [
        ("left_hip", "x", -100), ("right_hip", "x", -100),
        ("left_knee", "x", 120), ("right_knee", "x", 120),
        ("left_ankle", "x", -20), ("right_ankle", "x", -20),
        ("spine1", "x", 15),
        ("left_shoulder", "y", -80), ("right_shoulder", "y", 80),
    ],
    "walk": [
        ("left_hip", "x", -25), ("right_hip", "x", 20),
        ("left_knee", "x", 10), ("right_knee", "x", 35),
        ("left_shoulder", "z", -75), ("right_shoulder", "z", 75),
        ("left_shoulder", "x", 20), ("right_shoulder", "x", -20),
        ("left_elbow", "y", -20), ("right_elbow", "y", 25),
    ],
    "lunge": [
        ("left_hip", "x", -80), ("left_knee", "x", 85),
        ("right_hip", "x", 30), ("right_knee", "x", 70),
        ("left_shoulder", "z", -80), ("right_shoulder", "z", 80),
    ],
}


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
