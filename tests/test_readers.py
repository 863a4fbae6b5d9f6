"""Dataset readers on tiny files written here in the real formats, bad files included."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from posegpt.data.readers import (
    DatasetFormatError,
    amass_to_smpl_frame,
    read_amass_sequence,
    read_hmr_annotations,
    read_llava_instruct,
    read_posescript,
    read_posescript_captions,
)
from posegpt.pose import SMPL_JOINT_NAMES, Pose, axis_angle_to_matrix, forward_kinematics, matrix_to_axis_angle

J = {name: i for i, name in enumerate(SMPL_JOINT_NAMES)}


def rotation(axis: str, degrees: float) -> torch.Tensor:
    vector = torch.zeros(3, dtype=torch.float64)
    vector["xyz".index(axis)] = math.radians(degrees)
    return axis_angle_to_matrix(vector)


def zup_frames() -> tuple[np.ndarray, list[str]]:
    """(3, 156) SMPL+H rows in AMASS's Z-up world and what each frame is.

    Frame 0: standing upright, turned 40° about the vertical (AMASS: R_z(40°) R_x(90°)), left
    elbow bent. Frame 1: lying on the back, face up, head towards AMASS +y (identity root).
    Frame 2: standing upright facing AMASS −y (R_x(90°)), finger values set (must be dropped).
    """
    rows = np.zeros((3, 156), dtype=np.float64)
    rows[0, :3] = matrix_to_axis_angle(rotation("z", 40) @ rotation("x", 90)).numpy()
    rows[0, 3 * J["left_elbow"] + 1] = -1.2
    rows[2, :3] = matrix_to_axis_angle(rotation("x", 90)).numpy()
    rows[2, 66:] = 0.3  # SMPL+H finger joints
    return rows, ["standing turned", "lying on back", "standing"]


def write_amass(path: Path, rows: np.ndarray, **extra: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {
        "poses": rows,
        "trans": np.arange(len(rows) * 3, dtype=np.float64).reshape(-1, 3),
        "betas": np.zeros(16),
        "mocap_framerate": np.array(120.0),
        "gender": np.array("neutral"),
    }
    arrays.update(extra)
    np.savez(path, **arrays)
    return path


# --- AMASS → our frame ----------------------------------------------------------------------------


def test_rotation_minus_90_about_x_sends_amass_up_to_our_up() -> None:
    r = rotation("x", -90).numpy()
    np.testing.assert_allclose(r @ [0, 0, 1], [0, 1, 0], atol=1e-12)  # AMASS up (+z) → our up (+y)
    np.testing.assert_allclose(r @ [0, -1, 0], [0, 0, 1], atol=1e-12)  # AMASS −y → our +z (towards the viewer)


def test_zup_sequence_is_upright_in_our_frame(tmp_path: Path) -> None:
    rows, _ = zup_frames()
    motion = read_amass_sequence(write_amass(tmp_path / "seq.npz", rows), remove_heading=False)
    joints = motion.poses.joints().double()  # (3, 24, 3)
    # the frame change is a rotation of the whole body: our joints = R_x(−90°) · AMASS joints
    amass_rotations = axis_angle_to_matrix(torch.as_tensor(rows[:, :66].reshape(3, 22, 3)))
    full = torch.eye(3, dtype=torch.float64).repeat(3, 24, 1, 1)
    full[:, :22] = amass_rotations
    _, amass_joints = forward_kinematics(full)
    expected = amass_joints @ rotation("x", -90).T
    torch.testing.assert_close(joints, expected, atol=1e-4, rtol=0)
    for frame in (0, 2):  # standing: head above pelvis above ankles, along +y
        assert joints[frame, J["head"], 1] > joints[frame, J["pelvis"], 1] + 0.4
        assert joints[frame, J["left_ankle"], 1] < joints[frame, J["pelvis"], 1] - 0.7
    # lying on the back: head level with the pelvis, the chest's forward axis (+z of the body) points up
    assert abs(float(joints[1, J["head"], 1] - joints[1, J["pelvis"], 1])) < 0.05
    body_forward = axis_angle_to_matrix(torch.as_tensor(motion.poses.global_orient[1], dtype=torch.float64)) @ torch.tensor([0, 0, 1.0], dtype=torch.float64)
    torch.testing.assert_close(body_forward, torch.tensor([0, 1.0, 0], dtype=torch.float64), atol=1e-5, rtol=0)
    # frame 2 faces AMASS −y, which is our +z: identity orientation
    np.testing.assert_allclose(motion.poses.global_orient[2], 0.0, atol=1e-5)
    # translation turns with the body: (x, y, z) → (x, z, −y)
    np.testing.assert_allclose(motion.translation[1], [3.0, 5.0, -4.0])
    assert motion.framerate == 120.0


def test_remove_heading_makes_the_turned_person_face_the_viewer() -> None:
    rows, _ = zup_frames()
    turned = amass_to_smpl_frame(rows[:1, :3], remove_heading=False)
    np.testing.assert_allclose(turned[0], [0, math.radians(40), 0], atol=1e-5)  # R_y(40°): still upright
    facing = amass_to_smpl_frame(rows[:1, :3], remove_heading=True)
    np.testing.assert_allclose(facing[0], 0.0, atol=1e-5)
    # lying frames keep lying (only the turn about the vertical is removed)
    lying = amass_to_smpl_frame(matrix_to_axis_angle(rotation("z", 70)).numpy()[None], remove_heading=True)
    np.testing.assert_allclose(lying[0], matrix_to_axis_angle(rotation("x", -90)).numpy(), atol=1e-5)


def test_smplh_fingers_dropped_and_smpl_rows_kept(tmp_path: Path) -> None:
    rows, _ = zup_frames()
    motion = read_amass_sequence(write_amass(tmp_path / "h.npz", rows))
    assert len(motion.poses) == 3 and motion.poses.betas is None
    np.testing.assert_allclose(motion.poses.body_pose[2], 0.0)  # fingers (66:) never reach SMPL's hands
    assert motion.poses.body_pose[0, 3 * (J["left_elbow"] - 1) + 1] == pytest.approx(-1.2)
    smpl_rows = np.zeros((2, 72))
    smpl_rows[:, 3 * J["left_hand"]] = 0.5  # SMPL has real hand joints: kept
    motion = read_amass_sequence(write_amass(tmp_path / "s.npz", smpl_rows))
    assert motion.poses.body_pose[0, 3 * (J["left_hand"] - 1)] == pytest.approx(0.5)


def test_smplx_spelling_of_the_frame_rate(tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    np.savez(path, poses=np.zeros((4, 165)), trans=np.zeros((4, 3)), mocap_frame_rate=np.array(30.0))
    assert read_amass_sequence(path).framerate == 30.0


@pytest.mark.parametrize(
    "arrays, problem",
    [
        ({"poses": np.zeros((2, 100)), "trans": np.zeros((2, 3)), "mocap_framerate": np.array(60.0)}, "'poses' must be"),
        ({"poses": np.zeros((2, 156)), "trans": np.zeros((3, 3)), "mocap_framerate": np.array(60.0)}, "'trans' must have shape"),
        ({"poses": np.zeros((2, 156)), "mocap_framerate": np.array(60.0)}, "needs the array 'trans'"),
        ({"poses": np.full((2, 156), np.nan), "trans": np.zeros((2, 3)), "mocap_framerate": np.array(60.0)}, "NaN"),
    ],
)
def test_bad_amass_files_say_what_is_wrong(tmp_path: Path, arrays: dict, problem: str) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DatasetFormatError, match=problem) as error:
        read_amass_sequence(path)
    assert str(error.value).startswith(str(path))


def test_pickled_arrays_are_refused_and_unreadable_files_named(tmp_path: Path) -> None:
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, poses=np.array([{"evil": 1}], dtype=object), trans=np.zeros((1, 3)), mocap_framerate=np.array(1.0))
    with pytest.raises(DatasetFormatError, match="without pickle") as error:
        read_amass_sequence(pickled)
    assert str(pickled) in str(error.value)
    # an unneeded object array does not matter: only the arrays the reader uses are read
    extra = write_amass(tmp_path / "extra.npz", zup_frames()[0], notes=np.array([{"a": 1}], dtype=object))
    assert len(read_amass_sequence(extra).poses) == 3
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip file at all")
    with pytest.raises(DatasetFormatError, match="not a readable .npz"):
        read_amass_sequence(garbage)
    with pytest.raises(DatasetFormatError, match="file not found"):
        read_amass_sequence(tmp_path / "missing.npz")


# --- PoseScript ---------------------------------------------------------------------------------


def write_posescript(tmp_path: Path, captions: dict) -> tuple[Path, Path, Path]:
    root = tmp_path / "amass"
    rows, _ = zup_frames()
    write_amass(root / "CMU" / "01" / "01_01_poses.npz", rows)
    write_amass(root / "KIT" / "3" / "walk_poses.npz", rows[::-1].copy())
    index = {
        "0": ["AMASS", "CMU/01/01_01_poses.npz", 0],
        "1": ["AMASS", "KIT/3/walk_poses.npz", 2],
        "2": ["AMASS", "CMU/01/01_01_poses.npz", 1],
    }
    (tmp_path / "ids.json").write_text(json.dumps(index))
    (tmp_path / "captions.json").write_text(json.dumps(captions))
    return tmp_path / "captions.json", tmp_path / "ids.json", root


def test_posescript_items_pair_captions_with_the_right_frames(tmp_path: Path) -> None:
    captions = {"0": ["The person stands.", "Upright, left elbow bent."], "1": "Standing straight.", "2": ["Lying on the back."]}
    captions_path, ids_path, root = write_posescript(tmp_path, captions)
    items = {item.pose_id: item for item in read_posescript(captions_path, ids_path, root)}
    assert set(items) == {"0", "1", "2"}
    assert items["0"].captions == ("The person stands.", "Upright, left elbow bent.")
    assert items["1"].captions == ("Standing straight.",)  # a single string is a one-caption list
    assert (items["1"].sequence, items["1"].frame, items["1"].dataset) == ("KIT/3/walk_poses.npz", 2, "AMASS")
    sequence = read_amass_sequence(root / "CMU/01/01_01_poses.npz")
    np.testing.assert_allclose(items["2"].pose.body_pose, sequence.poses[1].body_pose)
    np.testing.assert_allclose(items["2"].pose.global_orient, sequence.poses[1].global_orient)
    # KIT's frame 2 is CMU's frame 0 (reversed rows): the heading is removed, so it faces +z
    np.testing.assert_allclose(items["1"].pose.global_orient, 0.0, atol=1e-5)
    only = list(read_posescript(captions_path, ids_path, root, ids=[2]))
    assert [item.pose_id for item in only] == ["2"]


def test_posescript_missing_sequences_raise_or_skip(tmp_path: Path) -> None:
    captions_path, ids_path, root = write_posescript(tmp_path, {"0": "a", "1": "b"})
    (root / "KIT" / "3" / "walk_poses.npz").unlink()
    with pytest.raises(DatasetFormatError, match="AMASS sequence not found"):
        list(read_posescript(captions_path, ids_path, root))
    items = list(read_posescript(captions_path, ids_path, root, on_missing_sequence="skip"))
    assert [item.pose_id for item in items] == ["0"]


@pytest.mark.parametrize(
    "captions, index_patch, problem",
    [
        (["not", "a", "dict"], None, "JSON object of pose id"),
        ({"0": 42}, None, "caption must be a string or a list of strings"),
        ({"7": "unknown id"}, None, "no entry here"),
        ({"0": "ok"}, {"0": ["AMASS", "CMU/01/01_01_poses.npz"]}, r"expected \[dataset, sequence path, frame index"),
        ({"0": "ok"}, {"0": ["AMASS", "CMU/01/01_01_poses.npz", 99]}, "asks for frame 99"),
        ({"0": "ok"}, {"0": ["HumanAct12", "x.npz", 0]}, "only 'AMASS' is supported"),
    ],
)
def test_bad_posescript_files_say_what_is_wrong(tmp_path: Path, captions, index_patch, problem: str) -> None:
    captions_path, ids_path, root = write_posescript(tmp_path, captions)
    if index_patch is not None:
        ids_path.write_text(json.dumps(index_patch))
    with pytest.raises(DatasetFormatError, match=problem):
        list(read_posescript(captions_path, ids_path, root))


def test_broken_caption_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "posescript_auto_100k.json"
    path.write_text('{"0": ["unterminated')
    with pytest.raises(DatasetFormatError, match="not valid JSON") as error:
        read_posescript_captions(path)
    assert str(error.value).startswith(str(path))


# --- HMR-style annotations ------------------------------------------------------------------------


def test_hmr_annotations_give_images_boxes_and_upright_poses(tmp_path: Path) -> None:
    pose = np.zeros((3, 72), dtype=np.float32)
    pose[:, 0] = math.pi  # SPIN/HMR: upright person facing the camera in the OpenCV camera frame
    pose[1, 3 * J["right_knee"]] = 1.0
    path = tmp_path / "coco_2014_train.npz"
    np.savez(
        path,
        imgname=np.array(["images/a.jpg", "images/b.jpg", "images/c.jpg"]),
        center=np.array([[100.0, 120.0], [50.0, 60.0], [0.0, 0.0]]),
        scale=np.array([1.0, 0.5, 1.0]),
        pose=pose,
        shape=np.ones((3, 10)),
        has_smpl=np.array([1, 1, 0]),
    )
    items = read_hmr_annotations(path, image_root="/data/coco")
    assert len(items) == 2  # has_smpl == 0 is skipped
    assert items[0].image == Path("/data/coco/images/a.jpg")
    assert items[0].bbox == (0.0, 20.0, 200.0, 220.0)  # the square of side 200·scale around the center
    assert items[1].bbox == (0.0, 10.0, 100.0, 110.0) and items[1].scale == 0.5
    np.testing.assert_allclose(items[0].pose.global_orient, 0.0, atol=1e-5)  # upright, facing us
    joints = items[1].pose.joints()[0]
    assert joints[J["head"], 1] > joints[J["pelvis"], 1] + 0.4
    assert items[1].pose.body_pose[0, 3 * (J["right_knee"] - 1)] == pytest.approx(1.0)
    np.testing.assert_allclose(items[0].pose.betas, 1.0)
    raw = read_hmr_annotations(path, camera_frame=False)
    np.testing.assert_allclose(raw[0].pose.global_orient[0], [math.pi, 0, 0], atol=1e-5)
    assert raw[0].image == tmp_path / "images/a.jpg"  # images next to the annotations by default


def test_hmr_split_pose_arrays(tmp_path: Path) -> None:
    path = tmp_path / "split.npz"
    body_pose = np.zeros((1, 69))
    body_pose[0, 3 * (J["left_elbow"] - 1) + 1] = -1.0
    np.savez(path, imgname=np.array(["x.png"]), center=np.zeros((1, 2)), scale=np.ones(1),
             global_orient=np.array([[math.pi, 0, 0]]), body_pose=body_pose, betas=np.zeros((1, 10)))
    (item,) = read_hmr_annotations(path)
    assert item.pose.body_pose[0, 3 * (J["left_elbow"] - 1) + 1] == pytest.approx(-1.0)


@pytest.mark.parametrize(
    "arrays, problem",
    [
        ({"center": np.zeros((1, 2)), "scale": np.ones(1), "pose": np.zeros((1, 72))}, "need the array 'imgname'"),
        ({"imgname": np.array(["a"]), "center": np.zeros((2, 2)), "scale": np.ones(1), "pose": np.zeros((1, 72))}, "'center' must have shape"),
        ({"imgname": np.array(["a"]), "center": np.zeros((1, 2)), "scale": np.ones(1), "pose": np.zeros((1, 69))}, "'pose' must have shape"),
        ({"imgname": np.array(["a"]), "center": np.zeros((1, 2)), "scale": np.ones(1)}, "needs 'pose'"),
        ({"imgname": np.array([1.0]), "center": np.zeros((1, 2)), "scale": np.ones(1), "pose": np.zeros((1, 72))}, "'imgname' must be"),
    ],
)
def test_bad_hmr_files_say_what_is_wrong(tmp_path: Path, arrays: dict, problem: str) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DatasetFormatError, match=problem) as error:
        read_hmr_annotations(path)
    assert str(error.value).startswith(str(path))


# --- LLaVA-Instruct -----------------------------------------------------------------------------


def test_llava_instruct_becomes_chat_messages(tmp_path: Path) -> None:
    data = [
        {
            "id": "000000033471",
            "image": "000000033471.jpg",
            "conversations": [
                {"from": "human", "value": "<image>\nWhat are the colors of the bus in the image?"},
                {"from": "gpt", "value": "The bus in the image is white and red."},
                {"from": "human", "value": "What feature can be seen on the back of the bus?"},
                {"from": "gpt", "value": "The back of the bus features an advertisement."},
            ],
        },
        {"id": "t1", "conversations": [{"from": "human", "value": "Hi!"}, {"from": "gpt", "value": "Hello."}]},
        {"id": 7, "image": "b.jpg", "conversations": [{"from": "human", "value": "Describe it.\n<image>"}, {"from": "gpt", "value": "A cat."}]},
    ]
    path = tmp_path / "llava_instruct_150k.json"
    path.write_text(json.dumps(data))
    first, text_only, marker_last = read_llava_instruct(path, image_root=tmp_path / "coco")
    assert first.id == "000000033471" and first.image == tmp_path / "coco" / "000000033471.jpg"
    assert [m["role"] for m in first.messages] == ["user", "assistant", "user", "assistant"]
    assert first.messages[0]["content"] == "What are the colors of the bus in the image?"
    assert first.image_message == 0
    assert text_only.image is None and text_only.image_message is None
    assert marker_last.id == "7" and marker_last.messages[0]["content"] == "Describe it."
    assert all("<image>" not in m["content"] for c in (first, text_only, marker_last) for m in c.messages)


@pytest.mark.parametrize(
    "data, problem",
    [
        ({"id": "x"}, "JSON list of samples"),
        ([{"id": "x", "conversations": []}], "non-empty 'conversations'"),
        ([{"id": "x", "conversations": [{"from": "robot", "value": "hi"}]}], "each turn needs 'from'"),
        ([{"id": "x", "conversations": [{"from": "human", "value": "<image>\nhi"}]}], "names no 'image'"),
    ],
)
def test_bad_llava_files_say_what_is_wrong(tmp_path: Path, data, problem: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DatasetFormatError, match=problem) as error:
        read_llava_instruct(path)
    assert str(error.value).startswith(str(path))
