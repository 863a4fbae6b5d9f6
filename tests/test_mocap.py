"""DeepMimic clips → SMPL poses: checked against the humanoid's own kinematics and known motions."""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
import torch

from posegpt.data import mocap
from posegpt.data.mocap import (
    HUMANOID_TO_SMPL_AXES,
    facing_normalised,
    facing_yaw,
    humanoid_frames_to_pose,
    list_clips,
    load_clip,
    mocap_poses,
    motions_dir,
    read_frames,
)
from posegpt.data.plausibility import is_plausible
from posegpt.data.splits import is_heldout
from posegpt.pose import SMPL_JOINT_NAMES, Pose, axis_angle_to_matrix, quaternion_to_matrix

CLIPS = (
    "backflip cartwheel crawl dance_a dance_b getup_facedown getup_faceup jump kick punch roll run spin "
    "spinkick walk"
).split()


def _index(name: str) -> int:
    return SMPL_JOINT_NAMES.index(name)


def test_all_fifteen_clips_load_with_every_frame():
    assert list_clips() == sorted(CLIPS)
    total = 0
    for name in CLIPS:
        pose = load_clip(name)
        assert len(pose) == len(read_frames(name)) > 0
        total += len(pose)
    assert total == 1620


# --- an independent reference: the humanoid's forward kinematics from its URDF ----------------------

_CHAIN = {  # humanoid joint → parent; the rotation of each joint acts on its children's offsets
    "chest": "root", "neck": "chest", "right_hip": "root", "right_knee": "right_hip",
    "right_ankle": "right_knee", "right_shoulder": "chest", "right_elbow": "right_shoulder",
    "right_wrist": "right_elbow", "left_hip": "root", "left_knee": "left_hip", "left_ankle": "left_knee",
    "left_shoulder": "chest", "left_elbow": "left_shoulder", "left_wrist": "left_elbow",
}  # fmt: skip
_COLUMN = {"root": 4, "chest": 8, "neck": 12, "right_hip": 16, "right_knee": 20, "right_ankle": 21,
           "right_shoulder": 25, "right_elbow": 29, "left_hip": 30, "left_knee": 34, "left_ankle": 35,
           "left_shoulder": 39, "left_elbow": 43}  # fmt: skip


def _urdf_offsets() -> dict[str, np.ndarray]:
    urdf = motions_dir().parent.parent / "humanoid" / "humanoid.urdf"
    text = urdf.read_text()
    text = text[: text.index("</robot>") + len("</robot>")]  # the file has stray bytes after the root
    offsets = {}
    for joint in ElementTree.fromstring(text).iter("joint"):
        offsets[joint.get("name")] = np.array([float(v) for v in joint.find("origin").get("xyz").split()])
    return offsets


def _humanoid_positions(frame: np.ndarray, offsets: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Joint positions in the humanoid's axes (X forward, Y up, Z right), root at the origin."""

    def local(joint: str) -> np.ndarray:
        if joint not in _COLUMN:
            return np.eye(3)
        start = _COLUMN[joint]
        if joint.endswith(("knee", "elbow")):  # revolute about +Z
            angle = frame[start]
            cos, sin = np.cos(angle), np.sin(angle)
            return np.array([[cos, -sin, 0], [sin, cos, 0], [0, 0, 1]])
        return quaternion_to_matrix(torch.as_tensor(frame[start : start + 4])).numpy()

    world = {"root": local("root")}
    positions = {"root": np.zeros(3)}
    for joint, parent in _CHAIN.items():  # parents come first in _CHAIN
        positions[joint] = positions[parent] + world[parent] @ offsets[joint]
        world[joint] = world[parent] @ local(joint)
    return positions


@pytest.mark.parametrize("clip", ["walk", "kick", "cartwheel", "backflip", "crawl", "getup_faceup"])
def test_limb_directions_match_the_humanoid_skeleton(clip):
    # Every limb of the converted SMPL body must point where the humanoid's limb points (after the
    # axis change): this checks the axes, the quaternion order, the hinge signs and the arm rest.
    offsets = _urdf_offsets()
    frames = read_frames(clip)[::7]
    joints = humanoid_frames_to_pose(frames).joints().numpy()  # (N, 24, 3)
    bones = [("hip", "knee"), ("knee", "ankle"), ("shoulder", "elbow"), ("elbow", "wrist")]
    for frame, smpl in zip(frames, joints):
        humanoid = _humanoid_positions(frame, offsets)
        for side in ("left", "right"):
            for start, end in bones:
                expected = HUMANOID_TO_SMPL_AXES @ (humanoid[f"{side}_{end}"] - humanoid[f"{side}_{start}"])
                actual = smpl[_index(f"{side}_{end}")] - smpl[_index(f"{side}_{start}")]
                cosine = expected @ actual / np.linalg.norm(expected) / np.linalg.norm(actual)
                assert cosine > np.cos(np.radians(1.0)), (clip, side, start, end)


def test_rest_frame_hangs_the_arms_and_faces_forward():
    frame = np.zeros(44)
    for column in (4, 8, 12, 16, 21, 25, 30, 35, 39):
        frame[column] = 1.0  # identity quaternions, hinges straight
    pose = humanoid_frames_to_pose(frame[None])
    np.testing.assert_allclose(pose.global_orient, 0.0, atol=1e-6)
    joints = pose.joints()[0].numpy()
    for side in ("left", "right"):
        arm = joints[_index(f"{side}_wrist")] - joints[_index(f"{side}_shoulder")]
        assert arm[1] < -0.45 and abs(arm[0]) < 0.02 and abs(arm[2]) < 0.02  # straight down
    # Every other joint keeps SMPL's rest: the pose is a T-pose with the arms lowered by 90°.
    rest = Pose.identity().axis_angle()[0]
    others = [i for i, name in enumerate(SMPL_JOINT_NAMES) if not name.endswith(("shoulder", "elbow"))]
    np.testing.assert_allclose(pose.axis_angle()[0, others], rest[others], atol=1e-6)


def test_walk_faces_forward_and_the_feet_alternate():
    frames = read_frames("walk")
    travel = HUMANOID_TO_SMPL_AXES @ (frames[-1, 1:4] - frames[0, 1:4])
    assert travel[2] > 0.8 and abs(travel[0]) < 0.2  # the walker moves towards +z ...
    raw = load_clip("walk")
    assert np.abs(np.degrees(facing_yaw(raw))).max() < 15  # ... facing +z
    pose = facing_normalised(raw)
    np.testing.assert_allclose(facing_yaw(pose), 0.0, atol=1e-5)
    joints = pose.joints().numpy()
    ahead = joints[:, _index("left_ankle"), 2] - joints[:, _index("right_ankle"), 2]  # (N,)
    assert ahead.max() > 0.3 and ahead.min() < -0.3  # each foot in front in turn
    assert np.count_nonzero(np.diff(np.sign(ahead)) != 0) >= 2  # and they swap within the cycle
    toes_ahead = joints[:, _index("left_foot"), 2] - joints[:, _index("left_ankle"), 2]
    assert np.median(toes_ahead) > 0.08  # the feet point forward


def test_kick_raises_a_leg_forward_and_punch_extends_an_arm_forward():
    # Both clips start facing +z; the kick and punch go that way (the pelvis turns meanwhile).
    kick = load_clip("kick")
    assert abs(np.degrees(facing_yaw(kick[0]))[0]) < 10
    joints = kick.joints().numpy()
    ankles = joints[:, [_index("left_ankle"), _index("right_ankle")]]  # (N, 2, 3)
    assert ((ankles[..., 2] > 0.6) & (ankles[..., 1] > 0.0)).any()  # a foot in front, above the pelvis

    punch = load_clip("punch")
    joints = punch.joints().numpy()
    reach = [joints[:, _index(f"{s}_wrist")] - joints[:, _index(f"{s}_shoulder")] for s in ("left", "right")]
    reach = np.stack(reach, 1)  # (N, 2, 3)
    straight = np.linalg.norm(reach, axis=-1) > 0.45  # the arm is nearly straight (rest length 0.50 m)
    assert (straight & (reach[..., 2] > 0.35)).any()


def test_crawl_keeps_the_trunk_near_horizontal():
    joints = facing_normalised(load_clip("crawl")).joints().numpy()
    trunk = joints[:, _index("neck")] - joints[:, _index("pelvis")]
    trunk /= np.linalg.norm(trunk, axis=1, keepdims=True)
    assert np.median(trunk[:, 1]) < 0.4  # low crawl: the trunk lies close to the floor ...
    assert np.median(trunk[:, 2]) > 0.8  # ... head first towards +z after normalisation


def test_facing_normalisation_ignores_any_extra_turn_and_is_idempotent():
    pose = Pose.concat([load_clip(name)[::9] for name in ("walk", "getup_faceup", "crawl", "cartwheel")])
    normalised = facing_normalised(pose)
    twice = facing_normalised(normalised)
    np.testing.assert_allclose(twice.global_orient, normalised.global_orient, atol=1e-5)
    turn = axis_angle_to_matrix(torch.tensor([0.0, 1.3, 0.0]))  # 75° about +y
    turned_root = turn @ axis_angle_to_matrix(torch.from_numpy(pose.global_orient))
    turned = Pose.from_rotation_matrices(
        torch.cat([turned_root[:, None], pose.rotation_matrices()[:, 1:]], dim=1)
    )
    again = facing_normalised(turned)
    np.testing.assert_allclose(
        axis_angle_to_matrix(torch.from_numpy(again.global_orient)).numpy(),
        axis_angle_to_matrix(torch.from_numpy(normalised.global_orient)).numpy(),
        atol=1e-4,
    )
    np.testing.assert_array_equal(again.body_pose, turned.body_pose)


def test_mocap_poses_subsamples_and_leaves_out_heldout_clips():
    training = mocap_poses(step=5)
    everything = mocap_poses(step=5, include_heldout=True)
    assert set(everything) == set(CLIPS)
    assert set(training) == {name for name in CLIPS if not is_heldout("mocap_clip", name)}
    assert set(everything) - set(training)  # some clip is held out
    np.testing.assert_array_equal(training["run"].body_pose, load_clip("run")[::5].body_pose)
    with pytest.raises(ValueError):
        mocap_poses(step=0)


def test_most_mocap_frames_are_plausible():
    plausible = np.concatenate([is_plausible(load_clip(name)) for name in CLIPS])
    assert plausible.mean() > 0.95


def test_unknown_clip_and_missing_package_give_clear_errors(monkeypatch):
    with pytest.raises(KeyError, match="walk"):
        load_clip("moonwalk")
    real_find_spec = importlib.util.find_spec
    def find_spec_without_pybullet(name, *args):
        return None if name == "pybullet_data" else real_find_spec(name, *args)

    monkeypatch.setattr(mocap.importlib.util, "find_spec", find_spec_without_pybullet)
    with pytest.raises(mocap.MocapUnavailableError, match="pip install pybullet"):
        list_clips()
