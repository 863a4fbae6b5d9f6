import math

import numpy as np
import pytest
import torch

from posegpt.body import (
    AnnyBody,
    AnnyRig,
    BodyModel,
    BodyModelError,
    BodyModelFilesMissing,
    available_bodies,
    describe_choice,
    load_body_model,
    resolve_body,
)
from posegpt.body.anny_body import DEFAULT_RIG_PATH, SMPL_TO_SOMA_BONES
from posegpt.data.named_poses import named_pose
from posegpt.pose import REST_JOINTS, SMPL_JOINT_NAMES, Pose, forward_kinematics

J = SMPL_JOINT_NAMES.index


def random_pose(n: int, seed: int = 0, scale: float = 0.5) -> Pose:
    generator = torch.Generator().manual_seed(seed)
    return Pose.from_axis_angle(torch.randn(n, 24, 3, generator=generator) * scale)


def test_default_body_shape_and_frame(anny_body):
    assert isinstance(anny_body, BodyModel)
    out = anny_body(Pose.identity())
    assert out.vertices.shape == (1, 13718, 3) and out.joints.shape == (1, 24, 3)
    assert out.faces.shape == (27420, 3) and out.faces.dtype == np.int64
    assert torch.allclose(out.joints[0, 0], torch.zeros(3), atol=1e-6)  # root-centred
    low, high = out.vertices[0].min(0).values, out.vertices[0].max(0).values
    assert 1.5 < float(high[1] - low[1]) < 1.9  # standing height along +y
    assert float(high[0] - low[0]) > 1.4  # T-pose: arms spread along x
    # the person's left is +x, the head is up, the toes point forward (+z)
    assert out.joints[0, J("left_wrist"), 0] > 0.5 and out.joints[0, J("head"), 1] > 0.4
    assert out.joints[0, J("left_foot"), 2] > out.joints[0, J("left_ankle"), 2]


def test_rest_joints_constant_matches_default_body(anny_body):
    joints = anny_body(Pose.identity()).joints[0]
    assert torch.allclose(joints, REST_JOINTS, atol=1e-4)


def test_body_joints_agree_with_pose_fk(anny_body):
    pose = random_pose(4, seed=1)
    joints = anny_body(pose).joints
    fk_joints = forward_kinematics(pose.rotation_matrices())[1]
    assert (joints - fk_joints).abs().max() < 2e-4


def test_batch_equals_single_poses(anny_body):
    pose = random_pose(3, seed=2)
    batch = anny_body(pose)
    for i in range(3):
        assert torch.allclose(anny_body(pose[i]).vertices[0], batch.vertices[i], atol=1e-5)


def test_arms_up_and_squat_move_the_mesh(anny_body):
    up = anny_body(named_pose("arms_up"))
    assert up.joints[0, J("left_wrist"), 1] > up.joints[0, J("head"), 1] + 0.2
    assert up.joints[0, J("right_wrist"), 1] > up.joints[0, J("head"), 1] + 0.2
    stand, squat = anny_body(named_pose("stand")), anny_body(named_pose("squat"))
    # squatting brings the feet up towards the pelvis (the pelvis is the origin)
    assert squat.joints[0, J("left_ankle"), 1] > stand.joints[0, J("left_ankle"), 1] + 0.3
    assert squat.joints[0, J("left_knee"), 2] > 0.3  # knees forward


def test_skinning_is_fast(anny_body):
    import time

    pose = random_pose(1, seed=4)
    anny_body(pose)
    started = time.perf_counter()
    for _ in range(5):
        anny_body(pose)
    # Generous bound (the stock Anny forward takes 65-130 ms); bench/render.py reports real numbers.
    assert (time.perf_counter() - started) / 5 < 0.06


def test_rig_file_round_trip_and_corruption(tmp_path):
    rig = AnnyRig.load(DEFAULT_RIG_PATH)
    path = rig.save(tmp_path / "rig.safetensors")
    again = AnnyRig.load(path)
    assert torch.equal(again.rest_vertices, rig.rest_vertices) and again.parents == rig.parents
    assert len(rig.bone_labels) == 78 and all(b in rig.bone_labels for bones in SMPL_TO_SOMA_BONES for b in bones)
    (tmp_path / "bad.safetensors").write_bytes(b"\x00" * 100)
    with pytest.raises(BodyModelError, match="unreadable"):
        AnnyRig.load(tmp_path / "bad.safetensors")


def test_choice_falls_back_to_anny_and_says_so(tmp_path):
    body = load_body_model("auto", model_dir=tmp_path)
    assert body.name == "anny"
    assert "Anny" in describe_choice(body, tmp_path) and str(tmp_path) in describe_choice(body, tmp_path)
    with pytest.raises(BodyModelFilesMissing, match="smpl.is.tue.mpg.de"):
        load_body_model("smpl", model_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown body model"):
        load_body_model("mano")


@pytest.mark.parametrize(("files", "auto"), [
    ((), "anny"), (("smpl/SMPL_NEUTRAL.pkl",), "smpl"), (("smplx/SMPLX_NEUTRAL.npz",), "smplx"),
    (("smpl/SMPL_NEUTRAL.pkl", "smplx/SMPLX_NEUTRAL.npz"), "smpl"),
])
def test_auto_means_the_same_body_everywhere(tmp_path, monkeypatch, files, auto):
    """"auto" is decided in one place: the app, the terminal chat and load_body_model agree."""
    from demo.chat import ChatService
    from posegpt.cli import _plan_body

    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")  # only found here, never loaded
    monkeypatch.setenv("POSEGPT_BODY_MODELS", str(tmp_path))
    assert resolve_body("auto", tmp_path) == resolve_body() == auto
    assert available_bodies(tmp_path) == ["anny", *(k for k in ("smpl", "smplx") if any(f.startswith(f"{k}/") for f in files))]
    assert _plan_body("auto")[0] == auto
    engine = type("Engine", (), {"backbone": None})()
    assert ChatService(engine, None, body_model_dir=tmp_path).default_body == auto
    assert resolve_body("anny", tmp_path) == "anny"
    with pytest.raises(ValueError, match="unknown body model"):
        resolve_body("mano")


# --- checks against the real Anny model (its cache is built once, then reused) -----------------


def _anny_reference(model, pose: Pose) -> torch.Tensor:
    """Anny's own forward with SMPL rotations put on the mapped SOMA bones, pelvis at origin."""
    model = model.to(torch.float64)
    rotations = pose.rotation_matrices().double()
    deltas = {}
    for joint, bones in enumerate(SMPL_TO_SOMA_BONES):
        for bone in bones:
            transform = torch.eye(4, dtype=torch.float64).repeat(len(pose), 1, 1)
            transform[:, :3, :3] = rotations[:, joint]
            deltas[bone] = transform
    with torch.no_grad():
        pelvis = model()["bone_poses"][0, 0, :3, 3]
        return model(pose_parameters=deltas)["vertices"] - pelvis


def test_packaged_rig_matches_anny(anny_model):
    rebuilt = AnnyRig.from_anny(anny_model)
    packaged = AnnyRig.load(DEFAULT_RIG_PATH)
    assert torch.allclose(rebuilt.rest_vertices, packaged.rest_vertices, atol=1e-6)
    assert torch.allclose(rebuilt.tpose_heads, packaged.tpose_heads, atol=1e-6)


def test_fast_skinning_matches_anny_forward(anny_model, anny_body):
    pose = random_pose(3, seed=7, scale=0.6)
    reference = _anny_reference(anny_model, pose)
    assert (anny_body(pose).vertices.double() - reference).abs().max() < 1e-4


def test_phenotype_changes_the_body_and_is_cached(anny_model, tmp_path, monkeypatch):
    body = AnnyBody(cache=tmp_path)
    body._anny_model = anny_model  # share the session's model instead of building again
    tall = body(Pose.identity().with_phenotype(height=1.0))
    short = body(Pose.identity().with_phenotype(height=0.0))
    height = lambda out: float(out.vertices[0, :, 1].max() - out.vertices[0, :, 1].min())  # noqa: E731
    assert height(tall) > height(short) + 0.2
    assert list((tmp_path / "rigs").glob("rig_*.safetensors"))
    # a fresh body finds the rig on disk and needs no Anny model
    fresh = AnnyBody(cache=tmp_path)
    again = fresh(Pose.identity().with_phenotype(height=1.0))
    assert fresh._anny_model is None
    assert torch.allclose(again.vertices, tall.vertices, atol=1e-6)
