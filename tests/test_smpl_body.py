"""SMPLBody on small fake SMPL / SMPL-X files built here (the real ones are licence-gated).

The fake SMPL pickle has the official structure — a Python-2-style protocol-2 pickle whose
``shapedirs``/``weights`` are chumpy ``Ch`` objects and whose ``J_regressor`` is a scipy sparse csc
matrix — and is loaded with chumpy absent, as on every current Python.
"""

from __future__ import annotations

import pickle
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
import torch

from posegpt.body.base import BodyModel, BodyModelError
from posegpt.body.smpl_body import (
    BODY_MODELS_ENV,
    SMPL_URL,
    SMPLX_LEFT_FINGER_BASES,
    SMPLX_RIGHT_FINGER_BASES,
    SMPLX_URL,
    BodyModelFilesMissing,
    SMPLBody,
    default_body_model_dir,
    find_smpl_files,
    load_model_arrays,
    load_smpl_pickle,
    smpl_available,
)
from posegpt.pose import REST_JOINTS, SMPL_PARENTS, Pose, axis_angle_to_matrix, forward_kinematics

# ---------------------------------------------------------------------------------------------
# Fake model files
# ---------------------------------------------------------------------------------------------

_PHI = (1 + 5**0.5) / 2
_ICO_VERTICES = np.array(
    [[-1, _PHI, 0], [1, _PHI, 0], [-1, -_PHI, 0], [1, -_PHI, 0], [0, -1, _PHI], [0, 1, _PHI],
     [0, -1, -_PHI], [0, 1, -_PHI], [_PHI, 0, -1], [_PHI, 0, 1], [-_PHI, 0, -1], [-_PHI, 0, 1]],
    dtype=np.float64,
)
_ICO_FACES = np.array(
    [[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11], [1, 5, 9], [5, 11, 4], [11, 10, 2],
     [10, 7, 6], [7, 1, 8], [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9], [4, 9, 5],
     [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1]],
    dtype=np.int64,
)

SMPLX_PARENTS: tuple[int, ...] = (
    SMPL_PARENTS[:22]
    + (15, 15, 15)  # jaw, left eye, right eye
    + tuple(p for base in range(25, 40, 3) for p in (20, base, base + 1))  # left fingers
    + tuple(p for base in range(40, 55, 3) for p in (21, base, base + 1))  # right fingers
)


def _smplx_rest_joints() -> np.ndarray:
    joints = np.zeros((55, 3))
    joints[:22] = REST_JOINTS[:22].numpy()
    joints[22:25] = REST_JOINTS[15].numpy() + [[0, -0.05, 0.05], [0.03, 0.03, 0.08], [-0.03, 0.03, 0.08]]
    for side, (wrist, start) in enumerate(((20, 25), (21, 40))):
        sign = 1.0 if side == 0 else -1.0
        for finger in range(5):
            base = start + 3 * finger
            for k in range(3):
                joints[base + k] = joints[wrist] + [sign * (0.08 + 0.03 * k), 0.0, 0.03 - 0.015 * finger]
    return joints


def fake_model_arrays(rest_joints: np.ndarray, parents: tuple[int, ...], seed: int = 0) -> dict:
    """A coarse body: one small icosahedron per joint, regressed to exactly that joint."""
    rng = np.random.default_rng(seed)
    num_joints = len(parents)
    vertices, faces, weights = [], [], np.zeros((12 * num_joints, num_joints))
    regressor = np.zeros((num_joints, 12 * num_joints))
    for joint in range(num_joints):
        rows = slice(12 * joint, 12 * joint + 12)
        vertices.append(rest_joints[joint] + 0.02 * _ICO_VERTICES / np.linalg.norm(_ICO_VERTICES[0]))
        faces.append(_ICO_FACES + 12 * joint)
        regressor[joint, rows] = 1.0 / 12
        if parents[joint] < 0:
            weights[rows, joint] = 1.0
        else:
            mix = rng.uniform(0.6, 1.0, size=12)
            weights[rows, joint] = mix
            weights[rows, parents[joint]] = 1.0 - mix
    num_vertices = 12 * num_joints
    kintree = np.stack([np.array(parents, dtype=np.int64), np.arange(num_joints)])
    kintree[0, 0] = 4294967295  # as in the official files (uint32 -1)
    return {
        "v_template": np.concatenate(vertices),
        "shapedirs": 0.01 * rng.standard_normal((num_vertices, 3, 10)),
        "posedirs": 0.002 * rng.standard_normal((num_vertices, 3, 9 * (num_joints - 1))),
        "J_regressor": regressor,
        "weights": weights,
        "kintree_table": kintree,
        "f": np.concatenate(faces).astype(np.uint32),
    }


def _fake_chumpy_module() -> type:
    """A stand-in ``chumpy.ch`` whose ``Ch`` pickles its state the way chumpy does."""

    class Ch:
        def __init__(self, x: np.ndarray) -> None:
            self.x = np.asarray(x, dtype=np.float64)
            self._dirty_vars = set()
            self._itr = None
            self._make_dense = False
            self._make_sparse = False
            self._depends_on_deps = {}

        def __getstate__(self) -> dict:  # chumpy: __dict__ minus _parents and _cache
            return dict(self.__dict__)

    Ch.__module__ = "chumpy.ch"
    Ch.__qualname__ = "Ch"
    return Ch


def write_smpl_pickle(path: Path, arrays: dict, protocol: int = 2) -> Path:
    """Pickle like the official SMPL files: protocol 2, chumpy Ch arrays, csc J_regressor."""
    chumpy, chumpy_ch = types.ModuleType("chumpy"), types.ModuleType("chumpy.ch")
    Ch = _fake_chumpy_module()
    chumpy_ch.Ch = Ch
    chumpy.ch = chumpy_ch
    content = dict(arrays)
    content["shapedirs"] = Ch(arrays["shapedirs"])
    content["weights"] = Ch(arrays["weights"])
    content["J_regressor"] = scipy.sparse.csc_matrix(arrays["J_regressor"])
    content.update(bs_style="lbs", bs_type="lrotmin", J=arrays["J_regressor"] @ arrays["v_template"])
    sys.modules["chumpy"], sys.modules["chumpy.ch"] = chumpy, chumpy_ch
    try:
        data = pickle.dumps(content, protocol=protocol)
    finally:
        del sys.modules["chumpy"], sys.modules["chumpy.ch"]
    # Name the classes as the Python-2-era files do (numpy 1.x / old scipy module paths).
    data = data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    data = data.replace(b"scipy.sparse._csc\n", b"scipy.sparse.csc\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


class _RunsCode:
    """Pickles to a call of ``os.system`` that would create ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # noqa: D105
        import os

        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def smpl_arrays() -> dict:
    return fake_model_arrays(REST_JOINTS.double().numpy(), SMPL_PARENTS)


@pytest.fixture()
def smpl_dir(tmp_path: Path, smpl_arrays: dict) -> Path:
    write_smpl_pickle(tmp_path / "smpl" / "SMPL_NEUTRAL.pkl", smpl_arrays)
    assert "chumpy" not in sys.modules and "chumpy.ch" not in sys.modules
    return tmp_path


@pytest.fixture()
def smpl(smpl_dir: Path) -> SMPLBody:
    return SMPLBody(smpl_dir)


def random_pose(n: int, seed: int = 0, scale: float = 0.5, betas: bool = False) -> Pose:
    rng = np.random.default_rng(seed)
    axis_angle = rng.normal(scale=scale, size=(n, 24, 3)).astype(np.float32)
    return Pose.from_axis_angle(axis_angle, betas=rng.normal(size=(n, 10)) if betas else None)


def rest_joints_of(arrays: dict) -> torch.Tensor:
    return torch.from_numpy(arrays["J_regressor"] @ arrays["v_template"]).float()


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def test_load_smpl_pickle_reads_chumpy_and_sparse_without_chumpy(smpl_dir: Path, smpl_arrays: dict) -> None:
    data = (smpl_dir / "smpl" / "SMPL_NEUTRAL.pkl").read_bytes()
    py2_names = (b"chumpy.ch\nCh\n", b"scipy.sparse.csc\ncsc_matrix", b"numpy.core.multiarray\n_reconstruct")
    for name in py2_names:
        assert name in data  # the file really has what this test claims to read
    content = load_smpl_pickle(smpl_dir / "smpl" / "SMPL_NEUTRAL.pkl")
    assert "chumpy" not in sys.modules
    for key in ("shapedirs", "weights", "J_regressor", "v_template", "posedirs"):
        assert type(content[key]) is np.ndarray, key
        np.testing.assert_allclose(content[key], smpl_arrays[key])
    assert content["bs_style"] == "lbs"


@pytest.mark.parametrize("protocol", [0, 1])
def test_older_pickle_protocols_load(tmp_path: Path, smpl_arrays: dict, protocol: int) -> None:
    """Protocols 0/1 build objects through copy_reg._reconstructor instead of NEWOBJ."""
    path = write_smpl_pickle(tmp_path / "SMPL_NEUTRAL.pkl", smpl_arrays, protocol=protocol)
    assert b"copy_reg\n_reconstructor" in path.read_bytes()
    content = load_smpl_pickle(path)
    np.testing.assert_allclose(content["shapedirs"], smpl_arrays["shapedirs"])
    np.testing.assert_allclose(content["J_regressor"], smpl_arrays["J_regressor"])


def test_load_model_arrays_validates_and_converts(smpl_dir: Path) -> None:
    arrays = load_model_arrays(smpl_dir / "smpl" / "SMPL_NEUTRAL.pkl")
    assert arrays["v_template"].dtype == np.float32 and arrays["f"].dtype == np.int64
    assert tuple(arrays["kintree_table"][0]) == SMPL_PARENTS  # root's uint32 -1 became -1
    assert arrays["J_regressor"].shape == (24, arrays["v_template"].shape[0])


def test_loads_as_a_body_model(smpl: SMPLBody, smpl_arrays: dict) -> None:
    assert isinstance(smpl, BodyModel)
    assert smpl.name == "smpl" and smpl.num_vertices == len(smpl_arrays["v_template"])
    assert smpl.faces.dtype == np.int64 and smpl.faces.shape == smpl_arrays["f"].shape
    np.testing.assert_array_equal(smpl.faces, smpl_arrays["f"])
    assert "chumpy" not in sys.modules


def test_identity_pose_is_the_root_centred_template(smpl: SMPLBody, smpl_arrays: dict) -> None:
    out = smpl(Pose.identity())
    rest = rest_joints_of(smpl_arrays)
    expected = torch.from_numpy(smpl_arrays["v_template"]).float() - rest[0]
    assert out.vertices.dtype == torch.float32 and out.vertices.shape == (1, smpl.num_vertices, 3)
    torch.testing.assert_close(out.vertices[0], expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(out.joints[0], rest - rest[0], atol=1e-5, rtol=0)
    assert torch.all(out.joints[:, 0] == 0)


def test_joints_match_pose_forward_kinematics(smpl: SMPLBody, smpl_arrays: dict) -> None:
    """Checks the frame and joint order: smplx's joints are posegpt's FK over the model's skeleton."""
    pose = random_pose(3, seed=1)
    out = smpl(pose)
    rest = rest_joints_of(smpl_arrays)
    _, expected = forward_kinematics(pose.rotation_matrices(), rest - rest[0])
    assert out.joints.shape == (3, 24, 3)
    torch.testing.assert_close(out.joints, expected, atol=1e-5, rtol=0)
    assert torch.all(out.joints[:, 0] == 0)


def test_batch_matches_single_poses(smpl: SMPLBody) -> None:
    pose = random_pose(3, seed=2, betas=True)
    out = smpl(pose)
    assert len(out) == 3 and out.vertices.shape == (3, smpl.num_vertices, 3)
    assert out.joints.shape == (3, 24, 3)
    for i in range(3):
        single = smpl(pose[i])
        torch.testing.assert_close(out.vertices[i], single.vertices[0], atol=1e-5, rtol=0)
        torch.testing.assert_close(out.joints[i], single.joints[0], atol=1e-5, rtol=0)
    assert not torch.allclose(out.vertices[0], out.vertices[1])


def test_betas_none_means_zero_and_betas_change_the_shape(smpl: SMPLBody) -> None:
    pose = random_pose(2, seed=3)
    zero = Pose(pose.global_orient, pose.body_pose, np.zeros((2, 10), np.float32))
    shaped = Pose(pose.global_orient, pose.body_pose, np.full((2, 10), 2.0, np.float32))
    torch.testing.assert_close(smpl(pose).vertices, smpl(zero).vertices)
    assert (smpl(shaped).vertices - smpl(zero).vertices).abs().max() > 1e-3


def test_empty_pose_batch(smpl: SMPLBody) -> None:
    out = smpl(Pose(np.zeros((0, 3)), np.zeros((0, 69))))
    assert out.vertices.shape == (0, smpl.num_vertices, 3) and out.joints.shape == (0, 24, 3)


def test_model_dir_may_be_the_file(smpl_dir: Path) -> None:
    body = SMPLBody(smpl_dir / "smpl" / "SMPL_NEUTRAL.pkl")
    assert body.model_path == smpl_dir / "smpl" / "SMPL_NEUTRAL.pkl"


# ---------------------------------------------------------------------------------------------
# SMPL-X
# ---------------------------------------------------------------------------------------------


@pytest.fixture()
def smplx_setup(tmp_path: Path) -> tuple[SMPLBody, dict, Path]:
    arrays = fake_model_arrays(_smplx_rest_joints(), SMPLX_PARENTS, seed=5)
    expression = 0.01 * np.ones_like(arrays["shapedirs"])  # SMPL-X files carry shape + expression dirs
    arrays["shapedirs"] = np.concatenate([arrays["shapedirs"], expression], axis=2)
    marker = tmp_path / "executed"
    # Official SMPL-X npz files carry pickled object arrays (joint2num, part2num); ours would run code.
    trap = np.empty(1, dtype=object)
    trap[0] = _RunsCode(marker)
    (tmp_path / "smplx").mkdir()
    np.savez(tmp_path / "smplx" / "SMPLX_NEUTRAL.npz", **arrays, joint2num=trap)
    body = SMPLBody(tmp_path, model_type="smplx")
    assert not marker.exists()
    return body, arrays, marker


def test_smplx_joints_match_forward_kinematics(smplx_setup) -> None:
    body, arrays, _ = smplx_setup
    assert body.name == "smplx" and isinstance(body, BodyModel)
    pose = random_pose(3, seed=4)
    out = body(pose)
    assert out.joints.shape == (3, 24, 3) and out.vertices.shape == (3, len(arrays["v_template"]), 3)
    # Expected: SMPL joints 0..21 drive SMPL-X's, SMPL's hand joints drive the four finger bases.
    rotations = torch.eye(3).repeat(3, 55, 1, 1)
    smpl_rotations = axis_angle_to_matrix(pose.axis_angle())
    rotations[:, :22] = smpl_rotations[:, :22]
    rotations[:, list(SMPLX_LEFT_FINGER_BASES)] = smpl_rotations[:, 22:23]
    rotations[:, list(SMPLX_RIGHT_FINGER_BASES)] = smpl_rotations[:, 23:24]
    rest = rest_joints_of(arrays)
    _, positions = forward_kinematics(rotations, rest - rest[0], parents=SMPLX_PARENTS)
    torch.testing.assert_close(out.joints[:, :22], positions[:, :22], atol=1e-5, rtol=0)
    left = positions[:, list(SMPLX_LEFT_FINGER_BASES)].mean(1)
    right = positions[:, list(SMPLX_RIGHT_FINGER_BASES)].mean(1)
    hands = torch.stack([left, right], dim=1)
    torch.testing.assert_close(out.joints[:, 22:], hands, atol=1e-5, rtol=0)


def test_smplx_hand_rotation_bends_the_fingers(smplx_setup) -> None:
    body, _, _ = smplx_setup
    flat = body(Pose.identity())
    bent_pose = Pose.identity().body_pose.copy()
    bent_pose[0, 63:66] = [0.0, 0.0, 1.0]  # SMPL's left_hand joint
    bent = body(Pose(np.zeros((1, 3)), bent_pose))
    moved = (bent.vertices - flat.vertices).norm(dim=-1)[0] > 0.025  # above the pose-corrective noise
    # The fake mesh has 12 vertices per joint: the left fingertips swing, the body and thumb do not.
    owner = torch.arange(moved.shape[0]) // 12
    left_tips = torch.tensor([base + 2 for base in SMPLX_LEFT_FINGER_BASES])
    assert moved[torch.isin(owner, left_tips)].all()
    assert not moved[owner < 22].any() and not moved[owner >= 37].any()
    torch.testing.assert_close(bent.joints[:, :22], flat.joints[:, :22])


def test_smplx_never_unpickles_object_arrays(smplx_setup) -> None:
    body, _, marker = smplx_setup
    body(Pose.identity())
    assert not marker.exists()


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model_type, url, file_name",
    [("smpl", SMPL_URL, "SMPL_NEUTRAL.pkl"), ("smplx", SMPLX_URL, "SMPLX_NEUTRAL.npz")],
)
def test_missing_files_say_what_to_download_and_where(
    tmp_path: Path, model_type: str, url: str, file_name: str
) -> None:
    folder = tmp_path / "nowhere"
    with pytest.raises(BodyModelFilesMissing) as caught:
        SMPLBody(folder, model_type=model_type)
    assert isinstance(caught.value, BodyModelError) and isinstance(caught.value, FileNotFoundError)
    message = str(caught.value)
    assert url in message and str(folder) in message and file_name in message
    assert BODY_MODELS_ENV in message and "--body anny" in message
    assert message.count(". ") == 0 and message.endswith(".") and "\n" not in message  # one sentence


@pytest.mark.parametrize(
    "content",
    [b"", b"not a pickle at all", b"\x80\x02}q\x00(X\x01\x00\x00\x00aq", pickle.dumps([1, 2, 3], protocol=2)],
    ids=["empty", "garbage", "truncated", "a-list"],
)
def test_corrupt_file_is_a_body_model_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "smpl" / "SMPL_NEUTRAL.pkl"
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(BodyModelError) as caught:
        SMPLBody(tmp_path)
    assert not isinstance(caught.value, BodyModelFilesMissing)
    assert str(path) in str(caught.value) and SMPL_URL in str(caught.value)


def test_corrupt_npz_is_a_body_model_error(tmp_path: Path) -> None:
    path = tmp_path / "smplx" / "SMPLX_NEUTRAL.npz"
    path.parent.mkdir()
    path.write_bytes(b"PK\x03\x04 broken zip")
    with pytest.raises(BodyModelError, match="SMPLX_NEUTRAL.npz"):
        SMPLBody(tmp_path, model_type="smplx")


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda a: a.pop("posedirs"), "lacks posedirs"),
        (lambda a: a.update(posedirs=a["posedirs"][:, :, :10]), "posedirs has shape"),
        (lambda a: a.update(f=a["f"] + 10_000), "outside"),
        (lambda a: a.update(v_template=a["v_template"][:, :2]), "v_template"),
    ],
    ids=["missing-key", "bad-posedirs", "bad-faces", "bad-template"],
)
def test_wrong_content_is_a_body_model_error(
    tmp_path: Path, smpl_arrays: dict, change, expected: str
) -> None:
    arrays = dict(smpl_arrays)
    change(arrays)
    path = tmp_path / "smpl" / "SMPL_NEUTRAL.pkl"
    path.parent.mkdir()
    path.write_bytes(pickle.dumps(arrays, protocol=2))
    with pytest.raises(BodyModelError, match=expected) as caught:
        SMPLBody(tmp_path)
    assert str(path) in str(caught.value)


def test_smplh_file_is_named_as_such(tmp_path: Path) -> None:
    fingers = tuple(p for base in range(22, 52, 3) for p in ((20 if base < 37 else 21), base, base + 1))
    parents = SMPL_PARENTS[:22] + fingers
    rest = np.concatenate([REST_JOINTS[:22].double().numpy(), np.zeros((30, 3))])
    path = tmp_path / "SMPL_NEUTRAL.pkl"
    path.write_bytes(pickle.dumps(fake_model_arrays(rest, parents), protocol=2))
    with pytest.raises(BodyModelError, match="52 joints.*SMPL-H"):
        SMPLBody(tmp_path)


def test_pickle_with_a_disallowed_class_is_refused_without_running_it(
    tmp_path: Path, smpl_arrays: dict
) -> None:
    marker = tmp_path / "executed"
    path = tmp_path / "smpl" / "SMPL_NEUTRAL.pkl"
    path.parent.mkdir()
    path.write_bytes(pickle.dumps({**smpl_arrays, "extra": _RunsCode(marker)}, protocol=2))
    with pytest.raises(BodyModelError, match=r"system") as caught:
        load_smpl_pickle(path)
    assert str(path) in str(caught.value)
    with pytest.raises(BodyModelError):
        SMPLBody(tmp_path)
    assert not marker.exists()


def test_pickle_naming_an_unlisted_numpy_function_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(b"\x80\x02cnumpy\nload\nq\x00.")  # a bare reference to numpy.load
    with pytest.raises(BodyModelError, match="numpy.load"):
        load_smpl_pickle(path)


def test_unknown_model_type_or_gender(tmp_path: Path) -> None:
    with pytest.raises(BodyModelError, match="model type"):
        SMPLBody(tmp_path, model_type="smplh")
    with pytest.raises(BodyModelError, match="gender"):
        find_smpl_files(tmp_path, gender="other")


# ---------------------------------------------------------------------------------------------
# Finding files
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "relative, model_type, gender",
    [
        ("smpl/SMPL_NEUTRAL.pkl", "smpl", "neutral"),
        ("SMPL_NEUTRAL.pkl", "smpl", "neutral"),
        ("smpl/SMPL_NEUTRAL.npz", "smpl", "neutral"),
        ("basicmodel_neutral_lbs_10_207_0_v1.1.0.pkl", "smpl", "neutral"),
        ("smpl/basicModel_neutral_lbs_10_207_0_v1.0.0.pkl", "smpl", "neutral"),
        ("SMPL_python_v.1.1.0/smpl/models/basicmodel_neutral_lbs_10_207_0_v1.1.0.pkl", "smpl", "neutral"),
        ("smpl/SMPL_MALE.pkl", "smpl", "male"),
        ("basicmodel_m_lbs_10_207_0_v1.1.0.pkl", "smpl", "male"),
        ("smpl/basicModel_f_lbs_10_207_0_v1.0.0.pkl", "smpl", "female"),
        ("smplx/SMPLX_NEUTRAL.npz", "smplx", "neutral"),
        ("SMPLX_NEUTRAL.npz", "smplx", "neutral"),
        ("smplx/SMPLX_FEMALE.npz", "smplx", "female"),
        ("smplx/SMPLX_NEUTRAL_2020.npz", "smplx", "neutral"),
    ],
)
def test_find_smpl_files_layouts(tmp_path: Path, relative: str, model_type: str, gender: str) -> None:
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    assert find_smpl_files(tmp_path, model_type=model_type, gender=gender) == path
    assert smpl_available(tmp_path, model_type=model_type, gender=gender)


def test_find_smpl_files_prefers_the_usual_name_and_respects_gender(tmp_path: Path) -> None:
    assert find_smpl_files(tmp_path) is None and not smpl_available(tmp_path)
    (tmp_path / "smpl").mkdir()
    (tmp_path / "smpl" / "SMPL_MALE.pkl").write_bytes(b"x")
    (tmp_path / "basicmodel_m_lbs_10_207_0_v1.1.0.pkl").write_bytes(b"x")
    assert find_smpl_files(tmp_path) is None  # male files do not count for the neutral model
    assert find_smpl_files(tmp_path, model_type="smplx", gender="male") is None
    (tmp_path / "basicmodel_neutral_lbs_10_207_0_v1.1.0.pkl").write_bytes(b"x")
    assert find_smpl_files(tmp_path).name == "basicmodel_neutral_lbs_10_207_0_v1.1.0.pkl"
    (tmp_path / "smpl" / "SMPL_NEUTRAL.pkl").write_bytes(b"x")
    assert find_smpl_files(tmp_path) == tmp_path / "smpl" / "SMPL_NEUTRAL.pkl"


def test_default_body_model_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(BODY_MODELS_ENV, str(tmp_path))
    assert default_body_model_dir() == tmp_path
    monkeypatch.delenv(BODY_MODELS_ENV)
    default = default_body_model_dir()
    assert default.parts[-2:] == ("checkpoints", "body_models")
    assert (default.parents[1] / "posegpt" / "body" / "smpl_body.py").is_file()  # the repository root


def test_default_dir_is_used_without_model_dir(monkeypatch: pytest.MonkeyPatch, smpl_dir: Path) -> None:
    monkeypatch.setenv(BODY_MODELS_ENV, str(smpl_dir))
    assert smpl_available() and SMPLBody().model_path == smpl_dir / "smpl" / "SMPL_NEUTRAL.pkl"
