"""The pose sampler: perturb, blend, mirror, combine and sample, always plausible and seeded."""

from __future__ import annotations

import re

import numpy as np
import pytest

from posegpt.data.mocap import load_clip
from posegpt.data.named_poses import turns_to_pose
from posegpt.data.plausibility import ImplausiblePoseError, is_plausible
from posegpt.data.sampler import UPPER_BODY_JOINTS, PoseSampler, slerp, swap_left_right
from posegpt.pose import SMPL_JOINT_NAMES, Pose

STAND = turns_to_pose([("left_shoulder", "z", -75), ("right_shoulder", "z", 75)])
SQUAT = turns_to_pose([
    ("left_hip", "x", -100), ("right_hip", "x", -100), ("left_knee", "x", 120), ("right_knee", "x", 120),
    ("left_shoulder", "y", -80), ("right_shoulder", "y", 80),
])  # fmt: skip
WAVE = turns_to_pose([("right_shoulder", "z", 75), ("left_shoulder", "z", 5), ("left_elbow", "z", 95)])
LUNGE = turns_to_pose([
    ("left_hip", "x", -80), ("left_knee", "x", 85), ("right_hip", "x", 30), ("right_knee", "x", 70),
    ("left_shoulder", "z", -80), ("right_shoulder", "z", 80),
])  # fmt: skip
SOURCES = {"stand": STAND, "squat": SQUAT, "wave_left_hand": WAVE, "lunge": LUNGE, "run": load_clip("run")}


def _same_rotations(a: Pose, b: Pose, atol: float = 1e-5) -> None:
    np.testing.assert_allclose(a.rotation_matrices().numpy(), b.rotation_matrices().numpy(), atol=atol)


def test_mirror_of_mirror_is_the_identity_and_sides_swap():
    sampler = PoseSampler(0)
    mirrored, _ = sampler.mirror(WAVE)
    twice, _ = sampler.mirror(mirrored)
    _same_rotations(twice, WAVE)
    joints, mirrored_joints = WAVE.joints()[0].numpy(), mirrored.joints()[0].numpy()
    left_wrist, right_wrist = SMPL_JOINT_NAMES.index("left_wrist"), SMPL_JOINT_NAMES.index("right_wrist")
    assert joints[left_wrist, 1] > 0.5  # the left hand waves above the shoulder ...
    # ... and the mirror's right hand in the mirrored place (the rest skeleton is symmetric to ~1 mm).
    np.testing.assert_allclose(mirrored_joints[right_wrist], joints[left_wrist] * [-1, 1, 1], atol=2e-3)


def test_mirror_swaps_side_words_in_the_description():
    _, text = PoseSampler(0).mirror(WAVE, "Wave the left hand; the right arm hangs, Left foot leftward.")
    assert text == "Wave the right hand; the left arm hangs, Right foot rightward."
    assert PoseSampler(0).mirror(WAVE)[1] is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("left arm", "right arm"),
        ("right arm", "left arm"),
        ("Left and RIGHT", "Right and LEFT"),
        ("leftwards, rightmost, left-handed", "rightwards, leftmost, right-handed"),
        ("wave_left_hand", "wave_right_hand"),
        ("clockwise, counterclockwise or anti-clockwise", "counterclockwise, clockwise or clockwise"),
        ("the leftover righteous bright light", "the leftover righteous bright light"),
    ],
)
def test_swap_left_right(text, expected):
    assert swap_left_right(text) == expected


def test_blend_returns_the_ends_at_zero_and_one_and_halfway_in_between():
    sampler = PoseSampler(0)
    _same_rotations(sampler.blend(STAND, SQUAT, 0.0), STAND)
    _same_rotations(sampler.blend(STAND, SQUAT, 1.0), SQUAT)
    halfway = sampler.blend(STAND, SQUAT, 0.5)
    knee = 3 * SMPL_JOINT_NAMES.index("left_knee") - 3  # body_pose column of the left knee's x
    np.testing.assert_allclose(halfway.body_pose[0, knee], np.radians(60), atol=1e-5)
    with pytest.raises(ValueError):
        sampler.blend(STAND, SQUAT, 1.5)


def test_slerp_takes_the_short_way_between_equivalent_quaternions():
    a = np.array([1.0, 0.0, 0.0, 0.0])
    b = -np.array([np.cos(0.5), np.sin(0.5), 0.0, 0.0])  # the same rotation as +(cos, sin, 0, 0)
    middle = slerp(a, b, 0.5)
    np.testing.assert_allclose(np.abs(middle), [np.cos(0.25), np.sin(0.25), 0, 0], atol=1e-9)


def test_combine_takes_upper_body_from_one_pose_and_legs_from_the_other():
    combined = PoseSampler(0).combine(WAVE, SQUAT)
    ours, wave, squat = (p.axis_angle()[0].numpy() for p in (combined, WAVE, SQUAT))
    for index, name in enumerate(SMPL_JOINT_NAMES):
        expected = wave[index] if name in UPPER_BODY_JOINTS else squat[index]
        np.testing.assert_allclose(ours[index], expected, atol=1e-5, err_msg=name)


def test_perturb_moves_joints_stays_plausible_and_refuses_implausible_sources():
    sampler = PoseSampler(1)
    batch = Pose.concat([STAND, SQUAT, WAVE, LUNGE] * 10)
    moved = sampler.perturb(batch, degrees=15)
    assert len(moved) == len(batch) and is_plausible(moved).all()
    assert not np.allclose(moved.body_pose, batch.body_pose, atol=0.02)
    np.testing.assert_array_equal(moved.global_orient, batch.global_orient)  # the root stays put
    broken_knee = turns_to_pose([("left_knee", "x", -60)])
    with pytest.raises(ImplausiblePoseError):
        sampler.perturb(broken_knee)


def test_sample_is_deterministic_for_a_seed_and_only_plausible():
    first = PoseSampler(7).sample(SOURCES, 40)
    second = PoseSampler(7).sample(SOURCES, 40)
    other = PoseSampler(8).sample(SOURCES, 40)
    assert [p for _, p in first] == [p for _, p in second]
    assert all(np.array_equal(a.body_pose, b.body_pose) for (a, _), (b, _) in zip(first, second))
    assert [p for _, p in first] != [p for _, p in other]
    poses = Pose.concat([pose for pose, _ in first])
    assert len(poses) == 40 and is_plausible(poses).all()
    operations = {re.match(r"\w+", provenance).group() for _, provenance in first}
    assert {"perturb", "blend", "combine", "mirror"} <= operations
    names = set(SOURCES) | {"run"}
    for _, provenance in first:
        used = set(re.findall(r"[a-z_]+(?=[,\[)])", provenance)) - {"upper", "lower"}
        assert used <= names, provenance  # provenance names only the given sources


def test_sample_never_draws_implausible_source_frames():
    broken = Pose.concat([turns_to_pose([("left_knee", "x", -60)])] * 3)
    samples = PoseSampler(3).sample({"broken": broken, "stand": STAND}, 10)
    assert all("broken" not in provenance for _, provenance in samples)
    with pytest.raises(ImplausiblePoseError):
        PoseSampler(3).sample({"broken": broken}, 1)
