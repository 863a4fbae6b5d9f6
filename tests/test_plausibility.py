"""Anatomical joint limits: impossible joints are rejected with reasons, natural poses pass."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from posegpt.data.named_poses import turns_to_pose
from posegpt.data.plausibility import (
    ImplausiblePoseError,
    hip_euler_angles,
    implausible_reasons,
    is_plausible,
    require_plausible,
    swing_twist,
)
from posegpt.pose import Pose, axis_angle_to_matrix, axis_angle_to_quaternion, matrix_to_quaternion

ARMS_DOWN = [("left_shoulder", "z", -75), ("right_shoulder", "z", 75)]


def _quaternion(axis: str, degrees: float) -> np.ndarray:
    vector = torch.zeros(3, dtype=torch.float64)
    vector["xyz".index(axis)] = np.radians(degrees)
    return axis_angle_to_quaternion(vector)[None].numpy()


def test_t_pose_and_natural_poses_are_plausible():
    squat = [("left_hip", "x", -100), ("right_hip", "x", -100), ("left_knee", "x", 120),
             ("right_knee", "x", 120), ("left_shoulder", "y", -80), ("right_shoulder", "y", 80)]  # fmt: skip
    poses = Pose.concat([
        Pose.identity(),
        turns_to_pose(ARMS_DOWN),  # standing
        turns_to_pose(squat),
        turns_to_pose([("left_shoulder", "z", 80), ("right_shoulder", "z", -80)]),  # arms up
        turns_to_pose([*ARMS_DOWN, ("left_elbow", "y", -140), ("head", "y", 60), ("spine2", "x", 30)]),
    ])  # fmt: skip
    assert implausible_reasons(poses) == [[] for _ in range(len(poses))]
    assert is_plausible(poses).tolist() == [True] * len(poses)


@pytest.mark.parametrize("side, sign", [("left", 1), ("right", -1)])
def test_elbow_bent_backwards_is_rejected_on_either_side(side, sign):
    forward = turns_to_pose([*ARMS_DOWN, (f"{side}_elbow", "y", -90 * sign)])  # folds forward: fine
    backward = turns_to_pose([*ARMS_DOWN, (f"{side}_elbow", "y", 90 * sign)])  # the wrong way
    reasons = implausible_reasons(Pose.concat([forward, backward]))
    assert reasons[0] == []
    assert any(f"{side} elbow bends backwards" in reason for reason in reasons[1]), reasons[1]
    assert is_plausible(backward).tolist() == [False]


def test_knee_bent_forward_is_rejected():
    back = turns_to_pose([*ARMS_DOWN, ("right_knee", "x", 90)])
    forward = turns_to_pose([*ARMS_DOWN, ("right_knee", "x", -40)])
    reasons = implausible_reasons(Pose.concat([back, forward]))
    assert reasons[0] == []
    assert any("right knee bends forward" in reason for reason in reasons[1]), reasons[1]


@pytest.mark.parametrize(
    "turns, words",
    [
        ([("head", "y", 150)], "head turns to the left"),  # owl-like head turn
        ([("left_shoulder", "y", 110), ("right_shoulder", "z", 75)], "left upper arm points 70° behind"),
        ([("left_shoulder", "y", 180), ("right_shoulder", "z", 75)], "left upper arm points 90° across"),
        ([("left_hip", "x", 90), *ARMS_DOWN], "left hip swings the thigh back"),  # thigh 90° behind
        ([("spine1", "x", 50), ("spine2", "x", 50), ("spine3", "x", 50)], "spine (spine1-3 together) bends"),
        ([("left_ankle", "x", -80), *ARMS_DOWN], "left ankle flexes the foot up"),
    ],
)  # fmt: skip
def test_other_impossible_joints_are_named(turns, words):
    reasons = implausible_reasons(turns_to_pose(turns))[0]
    assert any(words in reason for reason in reasons), reasons


def test_limits_are_mirror_symmetric():
    rng = np.random.default_rng(0)
    poses = Pose.from_axis_angle(rng.normal(scale=0.5, size=(200, 24, 3)))
    assert is_plausible(poses).tolist() == is_plausible(poses.mirrored()).tolist()
    assert 0 < is_plausible(poses).sum() < len(poses)  # the random set has both kinds


def test_swing_twist_and_hip_angles_read_back_known_rotations():
    swing, twist = swing_twist(_quaternion("y", 30), (0.0, 1.0, 0.0))
    np.testing.assert_allclose(swing, 0.0, atol=1e-9)
    np.testing.assert_allclose(twist, [30.0])
    swing, twist = swing_twist(_quaternion("x", 100), (0.0, -1.0, 0.0))
    np.testing.assert_allclose(swing, [[100.0, 0.0, 0.0]], atol=1e-9)
    np.testing.assert_allclose(twist, [0.0], atol=1e-9)
    # Hip flexed 90°, spread 45° and turned out 50° (+y on the left thigh), composed as Rx · Rz · Ry.
    flexed, spread, turned = (
        axis_angle_to_matrix(torch.tensor(vector, dtype=torch.float64))
        for vector in ([-np.pi / 2, 0, 0], [0, 0, np.pi / 4], [0, np.radians(50), 0])
    )
    hip = matrix_to_quaternion(flexed @ spread @ turned)[None].numpy()
    np.testing.assert_allclose(hip_euler_angles(hip), [[-90.0, 45.0, -50.0]], atol=1e-6)


def test_require_plausible_passes_good_poses_and_explains_bad_ones():
    good = Pose.identity(2)
    assert require_plausible(good) is good
    bad = turns_to_pose([*ARMS_DOWN, ("left_knee", "x", -60)])
    with pytest.raises(ImplausiblePoseError, match="left knee bends forward"):
        require_plausible(Pose.concat([good, bad]), "the test pose")
