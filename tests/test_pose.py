import math

import numpy as np
import pytest
import torch

from posegpt.pose import (
    NUM_JOINTS,
    REST_JOINTS,
    SMPL_JOINT_NAMES,
    SMPL_MIRROR,
    SMPL_PARENTS,
    Pose,
    PoseError,
    axis_angle_to_matrix,
    axis_angle_to_quaternion,
    forward_kinematics,
    matrix_to_axis_angle,
    matrix_to_quaternion,
    matrix_to_rotation_6d,
    quaternion_to_axis_angle,
    quaternion_to_matrix,
    rotation_6d_to_matrix,
)


def random_axis_angle(n: int, max_angle: float = math.pi - 1e-3, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    axis = torch.nn.functional.normalize(torch.randn(n, 3, generator=generator, dtype=torch.float64), dim=-1)
    angle = torch.rand(n, 1, generator=generator, dtype=torch.float64) * max_angle
    return axis * angle


def test_skeleton_is_consistent():
    assert len(SMPL_JOINT_NAMES) == len(SMPL_PARENTS) == NUM_JOINTS == 24
    assert all(parent < joint for joint, parent in enumerate(SMPL_PARENTS))
    assert SMPL_JOINT_NAMES[SMPL_MIRROR[SMPL_JOINT_NAMES.index("left_wrist")]] == "right_wrist"
    assert SMPL_MIRROR[SMPL_JOINT_NAMES.index("spine3")] == SMPL_JOINT_NAMES.index("spine3")
    assert REST_JOINTS.shape == (24, 3)


def test_axis_angle_matrix_round_trip():
    axis_angle = random_axis_angle(2000)
    matrix = axis_angle_to_matrix(axis_angle)
    assert torch.allclose(matrix @ matrix.transpose(-1, -2), torch.eye(3, dtype=torch.float64).expand_as(matrix), atol=1e-12)
    assert torch.allclose(torch.linalg.det(matrix), torch.ones(2000, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(matrix_to_axis_angle(matrix), axis_angle, atol=1e-9)


def test_rotation_matches_rodrigues_formula():
    axis_angle = random_axis_angle(50, seed=3)
    angle = axis_angle.norm(dim=-1, keepdim=True)[..., None]
    k = axis_angle / axis_angle.norm(dim=-1, keepdim=True)
    kx = torch.zeros(50, 3, 3, dtype=torch.float64)
    kx[:, 0, 1], kx[:, 0, 2], kx[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
    kx = kx - kx.transpose(-1, -2)
    rodrigues = torch.eye(3, dtype=torch.float64) + torch.sin(angle) * kx + (1 - torch.cos(angle)) * kx @ kx
    assert torch.allclose(axis_angle_to_matrix(axis_angle), rodrigues, atol=1e-12)


def test_near_identity_and_near_pi():
    tiny = torch.tensor([[1e-9, -2e-9, 3e-9], [0.0, 0.0, 0.0]], dtype=torch.float64)
    assert torch.allclose(matrix_to_axis_angle(axis_angle_to_matrix(tiny)), tiny, atol=1e-12)
    near_pi = torch.tensor([[0.0, math.pi - 1e-6, 0.0], [math.pi - 1e-7, 0.0, 0.0]], dtype=torch.float64)
    back = matrix_to_axis_angle(axis_angle_to_matrix(near_pi))
    assert torch.allclose(axis_angle_to_matrix(back), axis_angle_to_matrix(near_pi), atol=1e-9)


def test_quaternion_round_trips():
    axis_angle = random_axis_angle(500, seed=1)
    quaternion = axis_angle_to_quaternion(axis_angle)
    assert torch.allclose(quaternion.norm(dim=-1), torch.ones(500, dtype=torch.float64))
    assert torch.allclose(quaternion_to_axis_angle(quaternion), axis_angle, atol=1e-9)
    assert torch.allclose(matrix_to_quaternion(quaternion_to_matrix(quaternion)), quaternion, atol=1e-9)
    # -q is the same rotation
    assert torch.allclose(quaternion_to_axis_angle(-quaternion), axis_angle, atol=1e-9)


def test_6d_is_first_two_columns_and_round_trips():
    matrix = axis_angle_to_matrix(random_axis_angle(300, seed=2))
    six = matrix_to_rotation_6d(matrix)
    assert torch.equal(six[:, :3], matrix[:, :, 0]) and torch.equal(six[:, 3:], matrix[:, :, 1])
    assert torch.allclose(rotation_6d_to_matrix(six), matrix, atol=1e-12)
    # any 6-vector becomes a proper rotation
    arbitrary = rotation_6d_to_matrix(torch.randn(100, 24, 6, dtype=torch.float64))
    assert torch.allclose(torch.linalg.det(arbitrary), torch.ones(100, 24, dtype=torch.float64), atol=1e-9)


def test_conversions_have_finite_gradients_at_identity():
    axis_angle = torch.zeros(4, 3, requires_grad=True)
    matrix = axis_angle_to_matrix(axis_angle)
    (matrix_to_axis_angle(matrix).sum() + matrix.sum()).backward()
    assert torch.isfinite(axis_angle.grad).all()
    six = torch.tensor([[1.0, 0, 0, 0, 1, 0]], requires_grad=True)
    rotation_6d_to_matrix(six).sum().backward()
    assert torch.isfinite(six.grad).all()


def test_forward_kinematics_identity_and_raised_arm():
    rotations = torch.eye(3).repeat(2, 24, 1, 1)
    world, joints = forward_kinematics(rotations)
    assert torch.allclose(joints[0], REST_JOINTS)
    shoulder, wrist = SMPL_JOINT_NAMES.index("left_shoulder"), SMPL_JOINT_NAMES.index("left_wrist")
    rotations[1, shoulder] = axis_angle_to_matrix(torch.tensor([0.0, 0.0, math.pi / 2]))
    world, joints = forward_kinematics(rotations)
    arm_length = (REST_JOINTS[wrist] - REST_JOINTS[shoulder]).norm()
    # the arm now points straight up (+y) from the shoulder
    assert torch.allclose(joints[1, wrist] - joints[1, shoulder], torch.tensor([0.0, arm_length, 0.0]), atol=1e-5)
    assert torch.allclose(world[1, wrist], world[1, shoulder])


def test_forward_kinematics_is_batched_over_rest_skeletons():
    rotations = axis_angle_to_matrix(random_axis_angle(24 * 3).float().reshape(3, 24, 3))
    rest = REST_JOINTS.expand(3, 24, 3) * torch.tensor([1.0, 1.1, 0.9])[:, None, None]
    _, joints = forward_kinematics(rotations, rest)
    for i in range(3):
        assert torch.allclose(joints[i], forward_kinematics(rotations[i], rest[i])[1], atol=1e-6)


def test_pose_validation_messages():
    with pytest.raises(PoseError, match=r"body_pose must have shape \(N, 69\)"):
        Pose(np.zeros(3), np.zeros(63))
    with pytest.raises(PoseError, match="global_orient contains NaN"):
        Pose([np.nan, 0, 0], np.zeros(69))
    with pytest.raises(PoseError, match="body_pose has 2"):
        Pose(np.zeros((1, 3)), np.zeros((2, 69)))
    with pytest.raises(PoseError, match="must be numeric"):
        Pose("abc", np.zeros(69))
    with pytest.raises(PoseError, match="unknown phenotype"):
        Pose(np.zeros(3), np.zeros(69), phenotype={"eyes": 0.2})
    with pytest.raises(PoseError, match=r"in \[0, 1\]"):
        Pose(np.zeros(3), np.zeros(69), phenotype={"height": 3})
    with pytest.raises(PoseError, match="betas"):
        Pose(np.zeros(3), np.zeros(69), betas=np.zeros(5))


def test_pose_views_and_batches():
    pose = Pose.from_axis_angle(random_axis_angle(72, max_angle=1.0).float().reshape(3, 24, 3))
    assert len(pose) == 3 and pose.global_orient.dtype == np.float32
    assert torch.allclose(pose[1].axis_angle()[0], pose.axis_angle()[1])
    assert torch.allclose(pose[-1].axis_angle()[0], pose.axis_angle()[2])
    with pytest.raises(IndexError):
        pose[3]
    both = Pose.concat([pose[0], pose[2]])
    assert len(both) == 2 and np.allclose(both.body_pose[1], pose.body_pose[2])
    again = Pose.from_rotation_matrices(pose.rotation_matrices())
    assert np.allclose(again.body_pose, pose.body_pose, atol=1e-5)
    assert pose.joints().shape == (3, 24, 3)


def test_npz_round_trip(tmp_path):
    pose = Pose.from_axis_angle(random_axis_angle(48, max_angle=1.0).float().reshape(2, 24, 3),
                                betas=np.ones((2, 10)), phenotype={"height": 0.8})
    path = pose.save_npz(tmp_path / "sub" / "pose.npz")
    with np.load(path) as data:
        assert data["global_orient"].shape == (2, 3) and data["body_pose"].shape == (2, 69)
        assert data["betas"].shape == (2, 10)
    loaded = Pose.load_npz(path)
    assert np.array_equal(loaded.body_pose, pose.body_pose) and np.array_equal(loaded.betas, pose.betas)
    assert loaded.phenotype == {"height": pytest.approx(0.8)}


def test_npz_bad_files(tmp_path):
    np.savez(tmp_path / "missing.npz", body_pose=np.zeros((1, 69)))
    with pytest.raises(PoseError, match="lacks global_orient"):
        Pose.load_npz(tmp_path / "missing.npz")
    np.savez(tmp_path / "nan.npz", global_orient=np.zeros((1, 3)), body_pose=np.full((1, 69), np.nan))
    with pytest.raises(PoseError, match="NaN"):
        Pose.load_npz(tmp_path / "nan.npz")
    np.savez(tmp_path / "shape.npz", global_orient=np.zeros((1, 3)), body_pose=np.zeros((1, 60)))
    with pytest.raises(PoseError, match=r"\(N, 69\)"):
        Pose.load_npz(tmp_path / "shape.npz")
    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(PoseError, match="not a readable"):
        Pose.load_npz(tmp_path / "text.npz")
    np.savez(tmp_path / "pickled.npz", global_orient=np.array([{"a": 1}], dtype=object), body_pose=np.zeros((1, 69)))
    with pytest.raises(PoseError, match="not a readable"):
        Pose.load_npz(tmp_path / "pickled.npz")
    with pytest.raises(PoseError, match="not found"):
        Pose.load_npz(tmp_path / "absent.npz")


def test_npz_accepts_amass_poses_array(tmp_path):
    poses = random_axis_angle(2 * 52, max_angle=1.0).float().reshape(2, 156).numpy()
    np.savez(tmp_path / "amass.npz", poses=poses, betas=np.zeros(16))
    loaded = Pose.load_npz(tmp_path / "amass.npz")
    assert np.allclose(loaded.global_orient, poses[:, :3]) and np.allclose(loaded.body_pose, poses[:, 3:72])
    assert loaded.betas.shape == (2, 10)


def test_mirror_reflects_joint_positions():
    symmetric_rest = REST_JOINTS.clone()
    mirrored_rest = symmetric_rest[list(SMPL_MIRROR)] * torch.tensor([-1.0, 1.0, 1.0])
    symmetric_rest = (symmetric_rest + mirrored_rest) / 2
    pose = Pose.from_axis_angle(random_axis_angle(24, max_angle=1.2, seed=5).float().reshape(1, 24, 3))
    joints = pose.joints(symmetric_rest)[0]
    mirrored = pose.mirrored().joints(symmetric_rest)[0]
    expected = joints[list(SMPL_MIRROR)] * torch.tensor([-1.0, 1.0, 1.0])
    assert torch.allclose(mirrored, expected, atol=1e-5)
    assert np.allclose(pose.mirrored().mirrored().body_pose, pose.body_pose, atol=1e-5)
