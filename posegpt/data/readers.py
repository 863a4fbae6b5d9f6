"""Readers for real datasets, for users who have them: PoseScript (+ AMASS), HMR-style image
annotations, LLaVA-Instruct conversations.

None of these datasets can be shipped (licences), so the project trains on generated data; these
readers let a user with the files mix real data in. Every reader returns our own types in our
frame (+y up, the body faces +z, the person's left on +x; see `posegpt.pose`), loads `.npz`
files with ``allow_pickle=False`` (no code execution from data files), and raises
`DatasetFormatError` naming the file and what is wrong with it.

Frames:
- AMASS sequences are Z-up (the floor is the xy plane): a person standing upright has
  ``global_orient ≈ R_z(heading) · R_x(+90°)``. We left-multiply by ``R_x(−90°)``, which sends
  AMASS +z (up) to our +y and AMASS −y to our +z, so that upright person ends up with
  ``R_y(heading)`` — standing, turned by the heading. With ``remove_heading`` (the default, as
  PoseScript does) the heading is removed first, PoseScript's way: write the Z-up global rotation
  as Euler ``R_z(a) R_y(b) R_x(c)`` and drop ``a``; the upright person then faces +z exactly.
- HMR/SPIN annotations hold SMPL poses in the OpenCV camera frame (+y down, +z away from the
  camera): a person standing upright facing the camera has ``global_orient ≈ R_x(180°)``. We
  left-multiply by ``R_x(180°)`` so the same person has ``global_orient ≈ 0`` (our convention:
  where the person is in the picture is the camera's business, not the pose's).
"""

from __future__ import annotations

import json
import math
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal

import numpy as np
import torch

from posegpt.pose import NUM_BODY_JOINTS, Pose, axis_angle_to_matrix, matrix_to_axis_angle


class DatasetFormatError(ValueError):
    """A dataset file is missing or malformed; the message starts with the file's path."""


def _fail(path: Path | str, problem: str) -> DatasetFormatError:
    return DatasetFormatError(f"{path}: {problem}")


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise _fail(path, "file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _fail(path, f"not valid JSON ({error})") from None


def _load_npz(path: Path, names: Iterable[str]) -> tuple[dict[str, np.ndarray], list[str]]:
    """The arrays `names` (those present) of an .npz, read without pickle, and all its array names.

    Only the asked-for arrays are read, so an unrelated object array (e.g. a pickled string in
    some AMASS files) does not stop the reader.
    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not hasattr(archive, "files"):
                raise _fail(path, "is a single .npy array, not an .npz archive of named arrays")
            present = list(archive.files)
            arrays = {}
            for name in names:
                if name in present:
                    try:
                        arrays[name] = archive[name]
                    except ValueError as error:  # object arrays need pickle: refused on purpose
                        raise _fail(path, f"array {name!r} cannot be read without pickle ({error}); store it as a plain numeric/string array") from None
            return arrays, present
    except DatasetFormatError:
        raise
    except FileNotFoundError:
        raise _fail(path, "file not found") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:  # ValueError: not npy/npz at all
        raise _fail(path, f"not a readable .npz file ({error})") from None


def _rotation_x(degrees: float) -> torch.Tensor:
    """(3, 3) rotation about +x by `degrees` (right-handed)."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return torch.tensor([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]], dtype=torch.float64)


def _rotate_global_orient(global_orient: np.ndarray, rotation: torch.Tensor) -> np.ndarray:
    """(N, 3) axis-angle → (N, 3) axis-angle of ``rotation @ R`` (a change of world frame)."""
    matrices = axis_angle_to_matrix(torch.as_tensor(global_orient, dtype=torch.float64))  # (N, 3, 3)
    return matrix_to_axis_angle(rotation @ matrices).numpy().astype(np.float32)


# ---------------------------------------------------------------------------------------------
# AMASS sequences and PoseScript
# ---------------------------------------------------------------------------------------------

#: Width of AMASS ``poses`` rows per body model → how many leading values are SMPL's 22 body joints
#: (root + 21) and whether the row already has SMPL's two hand joints.
_AMASS_WIDTHS = {72: "SMPL", 66: "body only", 156: "SMPL+H", 165: "SMPL-X"}


def amass_to_smpl_frame(global_orient: np.ndarray, remove_heading: bool = True) -> np.ndarray:
    """(N, 3) AMASS (Z-up) global orientations → (N, 3) in our Y-up frame (see the module doc)."""
    matrices = axis_angle_to_matrix(torch.as_tensor(global_orient, dtype=torch.float64))  # (N, 3, 3)
    if remove_heading:
        heading = torch.atan2(matrices[:, 1, 0], matrices[:, 0, 0])  # Euler angle a of R_z(a) R_y(b) R_x(c)
        c, s = torch.cos(-heading), torch.sin(-heading)
        zero, one = torch.zeros_like(c), torch.ones_like(c)
        undo = torch.stack([c, -s, zero, s, c, zero, zero, zero, one], dim=-1).reshape(-1, 3, 3)  # R_z(−a)
        matrices = undo @ matrices
    return matrix_to_axis_angle(_rotation_x(-90.0) @ matrices).numpy().astype(np.float32)


@dataclass(frozen=True)
class AmassSequence:
    """One AMASS motion, already in our frame. `poses` holds every frame."""

    path: Path
    poses: Pose  # N frames
    translation: np.ndarray  # (N, 3) metres, our frame (rotated like the body; heading not removed)
    framerate: float


def read_amass_sequence(path: str | Path, remove_heading: bool = True) -> AmassSequence:
    """An AMASS ``.npz`` (``poses`` (T, 156 SMPL+H / 165 SMPL-X / 72 SMPL / 66 body), ``trans``,
    ``betas``, ``mocap_framerate`` or ``mocap_frame_rate``) → SMPL poses in our frame.

    SMPL+H and SMPL-X rows start with the same 22 body joints as SMPL; their finger/face values are
    dropped and SMPL's two hand joints (22, 23) set to zero, as PoseScript does. AMASS ``betas``
    belong to the SMPL+H/SMPL-X body models, not to SMPL, so the poses carry no betas.
    """
    path = Path(path)
    arrays, present = _load_npz(path, ("poses", "trans", "mocap_framerate", "mocap_frame_rate"))
    if "mocap_frame_rate" in arrays:  # the SMPL-X release's spelling
        arrays.setdefault("mocap_framerate", arrays.pop("mocap_frame_rate"))
    for name in ("poses", "trans", "mocap_framerate"):
        if name not in arrays:
            raise _fail(path, f"an AMASS sequence needs the array {name!r} (it has {sorted(present)})")
    poses = np.asarray(arrays["poses"])
    if poses.ndim != 2 or poses.shape[1] not in _AMASS_WIDTHS or not np.issubdtype(poses.dtype, np.number):
        widths = ", ".join(f"{width} ({model})" for width, model in _AMASS_WIDTHS.items())
        raise _fail(path, f"'poses' must be a numeric (T, D) array with D one of {widths}; got shape {poses.shape}, dtype {poses.dtype}")
    translation = np.asarray(arrays["trans"], dtype=np.float64)
    if translation.shape != (len(poses), 3):
        raise _fail(path, f"'trans' must have shape ({len(poses)}, 3) like 'poses' has frames; got {translation.shape}")
    if not np.isfinite(poses).all():
        raise _fail(path, "'poses' contains NaN or infinite values")
    axis_angle = np.zeros((len(poses), 24, 3), dtype=np.float32)  # (T, 24, 3)
    if poses.shape[1] == 72:
        axis_angle[:] = poses.reshape(-1, 24, 3)
    else:
        axis_angle[:, :22] = poses[:, :66].reshape(-1, 22, 3)
    axis_angle[:, 0] = amass_to_smpl_frame(axis_angle[:, 0], remove_heading)
    framerate = float(np.asarray(arrays["mocap_framerate"]).reshape(-1)[0])
    translation = (_rotation_x(-90.0).numpy() @ translation.T).T.astype(np.float32)
    return AmassSequence(path, Pose.from_axis_angle(axis_angle), translation, framerate)


@dataclass(frozen=True)
class PoseScriptItem:
    pose_id: str
    pose: Pose  # one pose, our frame
    captions: tuple[str, ...]
    dataset: str  # "AMASS"
    sequence: str  # path of the sequence file, relative to the AMASS root
    frame: int


def read_posescript_captions(path: str | Path) -> dict[str, tuple[str, ...]]:
    """``{"<pose id>": ["caption", ...]}`` or ``{"<pose id>": "caption"}`` → id → captions."""
    path = Path(path)
    data = _read_json(path)
    if not isinstance(data, dict):
        raise _fail(path, f"PoseScript captions must be a JSON object of pose id → caption(s), got {type(data).__name__}")
    captions: dict[str, tuple[str, ...]] = {}
    for pose_id, value in data.items():
        texts = [value] if isinstance(value, str) else value
        if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
            raise _fail(path, f"pose id {pose_id!r}: a caption must be a string or a list of strings, got {value!r:.80}")
        texts = [text.strip() for text in texts if text.strip()]
        if texts:
            captions[str(pose_id)] = tuple(texts)
    return captions


def read_posescript_pose_index(path: str | Path) -> dict[str, tuple[str, str, int]]:
    """``ids_2_dataset_sequence_and_frame_index.json``: id → (dataset, sequence path, frame index)."""
    path = Path(path)
    data = _read_json(path)
    if not isinstance(data, dict):
        raise _fail(path, f"expected a JSON object of pose id → [dataset, sequence path, frame index], got {type(data).__name__}")
    index: dict[str, tuple[str, str, int]] = {}
    for pose_id, value in data.items():
        if (
            not isinstance(value, list)
            or len(value) != 3
            or not isinstance(value[0], str)
            or not isinstance(value[1], str)
            or not isinstance(value[2], int)
            or isinstance(value[2], bool)
            or value[2] < 0
        ):
            raise _fail(path, f"pose id {pose_id!r}: expected [dataset, sequence path, frame index >= 0], got {value!r:.120}")
        index[str(pose_id)] = (value[0], value[1], value[2])
    return index


def read_posescript(
    captions_path: str | Path,
    pose_index_path: str | Path,
    amass_root: str | Path,
    ids: Iterable[str | int] | None = None,
    on_missing_sequence: Literal["raise", "skip"] = "raise",
    remove_heading: bool = True,
) -> Iterator[PoseScriptItem]:
    """PoseScript items: the captioned poses (only `ids`, e.g. a split file's list, when given).

    Each AMASS sequence is loaded once, so items come grouped by sequence (in the order their
    sequences first appear among the captioned ids), not in caption-file order. A user with only
    part of AMASS can pass ``on_missing_sequence="skip"``.
    """
    captions_path, pose_index_path, amass_root = Path(captions_path), Path(pose_index_path), Path(amass_root)
    captions = read_posescript_captions(captions_path)
    index = read_posescript_pose_index(pose_index_path)
    wanted = list(captions) if ids is None else [str(i) for i in ids if str(i) in captions]
    if not amass_root.is_dir():
        raise _fail(amass_root, "the AMASS root folder does not exist")
    by_sequence: dict[str, list[str]] = defaultdict(list)
    for pose_id in wanted:
        if pose_id not in index:
            raise _fail(pose_index_path, f"pose id {pose_id!r} has captions in {captions_path.name} but no entry here")
        dataset, sequence, _ = index[pose_id]
        if dataset != "AMASS":
            raise _fail(pose_index_path, f"pose id {pose_id!r} comes from dataset {dataset!r}; only 'AMASS' is supported")
        by_sequence[sequence].append(pose_id)
    for sequence, pose_ids in by_sequence.items():
        path = amass_root / sequence
        if not path.is_file():
            if on_missing_sequence == "skip":
                continue
            raise _fail(path, f"AMASS sequence not found (needed by pose ids {pose_ids[:3]}…); pass on_missing_sequence='skip' to leave them out")
        motion = read_amass_sequence(path, remove_heading)
        for pose_id in pose_ids:
            frame = index[pose_id][2]
            if frame >= len(motion.poses):
                raise _fail(path, f"pose id {pose_id!r} asks for frame {frame}, but the sequence has {len(motion.poses)} frames")
            yield PoseScriptItem(pose_id, motion.poses[frame], captions[pose_id], "AMASS", sequence, frame)


# ---------------------------------------------------------------------------------------------
# HMR-style image annotations
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImagePoseItem:
    image: Path  # image_root / imgname
    bbox: tuple[float, float, float, float]  # (x0, y0, x1, y1) pixels: the square 200·scale around center
    center: tuple[float, float]  # pixels
    scale: float  # HMR convention: box side / 200 px
    pose: Pose  # one pose, our frame (global_orient ≈ 0 for a person upright and facing the camera)


def read_hmr_annotations(
    path: str | Path, image_root: str | Path | None = None, camera_frame: bool = True
) -> list[ImagePoseItem]:
    """HMR/SPIN-style ``.npz`` annotations → one item per person with an SMPL fit.

    Arrays: ``imgname`` (N,) strings, ``center`` (N, 2), ``scale`` (N,), and either ``pose``
    (N, 72) or ``global_orient`` (N, 3) + ``body_pose`` (N, 69); ``betas`` (N, 10) (or SPIN's
    ``shape``) optional; rows with ``has_smpl == 0`` (SPIN) are skipped. ``camera_frame`` says
    the global orientation is in the OpenCV camera frame (true for HMR/SPIN/EFT files) and turns
    it into ours (see the module doc).
    """
    path = Path(path)
    arrays, present = _load_npz(path, ("imgname", "center", "scale", "pose", "global_orient", "body_pose", "betas", "shape", "has_smpl"))
    for name in ("imgname", "center", "scale"):
        if name not in arrays:
            raise _fail(path, f"HMR-style annotations need the array {name!r} (it has {sorted(present)})")
    names = arrays["imgname"]
    count = len(names)
    if names.ndim != 1 or names.dtype.kind not in "US":
        raise _fail(path, f"'imgname' must be a 1-D array of strings, got shape {names.shape}, dtype {names.dtype}")
    center = _numeric(path, arrays, "center", (count, 2))
    scale = _numeric(path, arrays, "scale", (count,))
    if "pose" in arrays:
        pose = _numeric(path, arrays, "pose", (count, 72))
        global_orient, body_pose = pose[:, :3], pose[:, 3:]
    elif "global_orient" in arrays and "body_pose" in arrays:
        global_orient = _numeric(path, arrays, "global_orient", (count, 3))
        body_pose = _numeric(path, arrays, "body_pose", (count, 3 * NUM_BODY_JOINTS))
    else:
        raise _fail(path, f"needs 'pose' (N, 72) or 'global_orient' (N, 3) + 'body_pose' (N, 69); it has {sorted(present)}")
    betas_name = "betas" if "betas" in arrays else "shape" if "shape" in arrays else None
    betas = _numeric(path, arrays, betas_name, (count, 10)) if betas_name else None
    has_smpl = _numeric(path, arrays, "has_smpl", (count,)) if "has_smpl" in arrays else np.ones(count)
    if camera_frame:
        global_orient = _rotate_global_orient(global_orient, _rotation_x(180.0))
    root = Path(image_root) if image_root is not None else path.parent
    items = []
    for i in range(count):
        if has_smpl[i] == 0:
            continue
        cx, cy = float(center[i, 0]), float(center[i, 1])
        half = 100.0 * float(scale[i])
        pose_i = Pose(global_orient[i : i + 1], body_pose[i : i + 1], None if betas is None else betas[i : i + 1])
        items.append(ImagePoseItem(root / str(names[i]), (cx - half, cy - half, cx + half, cy + half), (cx, cy), float(scale[i]), pose_i))
    return items


def _numeric(path: Path, arrays: dict[str, np.ndarray], name: str, shape: tuple[int, ...]) -> np.ndarray:
    value = arrays[name]
    if not np.issubdtype(value.dtype, np.number) and value.dtype != bool:
        raise _fail(path, f"{name!r} must be numeric, got dtype {value.dtype}")
    if value.shape != shape:
        raise _fail(path, f"{name!r} must have shape {shape} (one row per imgname), got {value.shape}")
    value = value.astype(np.float32)
    if not np.isfinite(value).all():
        raise _fail(path, f"{name!r} contains NaN or infinite values")
    return value


# ---------------------------------------------------------------------------------------------
# LLaVA-Instruct conversations
# ---------------------------------------------------------------------------------------------

IMAGE_MARKER = "<image>"
_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}


@dataclass(frozen=True)
class LlavaConversation:
    id: str
    image: Path | None  # image_root / image, None for text-only conversations
    messages: tuple[dict[str, str], ...]  # {"role": "user"|"assistant"|"system", "content": str}, <image> removed
    image_message: int | None  # index into `messages` of the turn that carried <image> (None: no marker)


def read_llava_instruct(path: str | Path, image_root: str | Path | None = None) -> list[LlavaConversation]:
    """LLaVA-Instruct JSON (``[{"id", "image"?, "conversations": [{"from", "value"}]}]``) → chats.

    ``from`` human → user, gpt → assistant. The ``<image>`` marker (and the newline around it) is
    stripped from the text and the turn that had it is recorded in `image_message`, so a
    vision backbone can attach the picture there and a text-only one can skip such samples.
    """
    path = Path(path)
    data = _read_json(path)
    if not isinstance(data, list):
        raise _fail(path, f"LLaVA-Instruct data must be a JSON list of samples, got {type(data).__name__}")
    root = Path(image_root) if image_root is not None else path.parent
    conversations = []
    for number, sample in enumerate(data):
        where = f"sample {number}" + (f" (id {sample.get('id')!r})" if isinstance(sample, dict) and "id" in sample else "")
        if not isinstance(sample, dict) or not isinstance(sample.get("conversations"), list) or not sample["conversations"]:
            raise _fail(path, f"{where}: needs a non-empty 'conversations' list")
        image = sample.get("image")
        if image is not None and not isinstance(image, str):
            raise _fail(path, f"{where}: 'image' must be a file name, got {image!r:.80}")
        messages: list[dict[str, str]] = []
        image_message = None
        for turn in sample["conversations"]:
            if not isinstance(turn, dict) or turn.get("from") not in _ROLES or not isinstance(turn.get("value"), str):
                raise _fail(path, f"{where}: each turn needs 'from' (human/gpt/system) and a text 'value', got {turn!r:.120}")
            text = turn["value"]
            if IMAGE_MARKER in text:
                if image_message is not None:
                    raise _fail(path, f"{where}: more than one turn has an {IMAGE_MARKER} marker")
                image_message = len(messages)
                text = text.replace(IMAGE_MARKER + "\n", "").replace("\n" + IMAGE_MARKER, "").replace(IMAGE_MARKER, "")
            messages.append({"role": _ROLES[turn["from"]], "content": text.strip()})
        if image_message is not None and image is None:
            raise _fail(path, f"{where}: the text has an {IMAGE_MARKER} marker but the sample names no 'image'")
        conversations.append(
            LlavaConversation(str(sample.get("id", number)), root / image if image else None, tuple(messages), image_message)
        )
    return conversations
