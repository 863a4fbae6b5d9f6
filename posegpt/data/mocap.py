"""Real motion: the 15 DeepMimic clips shipped in `pybullet_data`, converted to SMPL poses.

Source format (`pybullet_data/data/motions/humanoid3d_<clip>.txt`): JSON whose "Frames" rows hold
44 numbers: duration, root position (3), then local joint rotations as quaternions (w first) or
hinge angles (radians): root (4), chest (4), neck (4), right hip (4), right knee (1), right ankle (4),
right shoulder (4), right elbow (1), left hip (4), left knee (1), left ankle (4), left shoulder (4),
left elbow (1). The skeleton (`pybullet_data/humanoid/humanoid.urdf`) has world-aligned joint
frames like SMPL, but other axes: Y up, X forward, +Z the character's right; and its rest pose
hangs the arms down where SMPL's rest pose holds them out to the sides.

Conversion to our frame (+y up, facing +z, the person's left on +x):
- Axes: ours = `HUMANOID_TO_SMPL_AXES` @ humanoid, i.e. x = -Z, y = Y, z = X (a proper rotation),
  so every local rotation R becomes M R Mᵀ (its quaternion's vector part is rotated by M).
- Arms: SMPL's upper arm rests along ±x, the humanoid's along -y. A rotation `ARM_REST` (left:
  -90° about z, right: +90°) takes SMPL's rest arm onto the humanoid's; the whole arm chain's world
  rotations are G_smpl = G_humanoid · ARM_REST, so shoulder_smpl = shoulder · ARM_REST and
  elbow_smpl = ARM_RESTᵀ · elbow · ARM_REST (the elbow hinge then bends the forearm forward).
- The humanoid's single chest joint is spread evenly over spine1..spine3 (each gets a third of its
  rotation angle), which bends the SMPL spine smoothly; neck → neck. Joints the humanoid lacks
  (collars, head, wrists, hands, toes) stay at identity. Knees and elbows are hinges about the
  humanoid's Z axis, which becomes our -x.
- The root rotation goes to global_orient, so the facing direction can change within a clip;
  `facing_normalised` turns every frame to face +z. Root translation is not kept (a `Pose` has none).
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from posegpt.data.splits import is_heldout
from posegpt.pose import (
    SMPL_JOINT_NAMES,
    Pose,
    axis_angle_to_matrix,
    axis_angle_to_quaternion,
    matrix_to_axis_angle,
    quaternion_to_axis_angle,
    quaternion_to_matrix,
)

CLIP_PREFIX = "humanoid3d_"
FRAME_WIDTH = 44

#: ours = HUMANOID_TO_SMPL_AXES @ humanoid. Humanoid: X forward, Y up, Z right; ours: x left, y up, z forward.
HUMANOID_TO_SMPL_AXES = np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # (3, 3)

# Column where each rotation starts in a frame row, and its size (4 = quaternion w,x,y,z; 1 = hinge angle).
_COLUMNS: dict[str, tuple[int, int]] = {
    "root": (4, 4),
    "chest": (8, 4),
    "neck": (12, 4),
    "right_hip": (16, 4),
    "right_knee": (20, 1),
    "right_ankle": (21, 4),
    "right_shoulder": (25, 4),
    "right_elbow": (29, 1),
    "left_hip": (30, 4),
    "left_knee": (34, 1),
    "left_ankle": (35, 4),
    "left_shoulder": (39, 4),
    "left_elbow": (43, 1),
}

# Humanoid joint → SMPL joint for the joints that map one to one (chest and arms are special).
_DIRECT_JOINTS: dict[str, str] = {
    "neck": "neck",
    "right_hip": "right_hip",
    "right_knee": "right_knee",
    "right_ankle": "right_ankle",
    "left_hip": "left_hip",
    "left_knee": "left_knee",
    "left_ankle": "left_ankle",
}
_SPINE_JOINTS = ("spine1", "spine2", "spine3")

#: Rotation taking SMPL's rest upper arm (along ±x) onto the humanoid's (hanging along -y), per side,
#: as axis-angle in our frame.
ARM_REST_AXIS_ANGLE: dict[str, tuple[float, float, float]] = {
    "left": (0.0, 0.0, -np.pi / 2),
    "right": (0.0, 0.0, np.pi / 2),
}


class MocapUnavailableError(RuntimeError):
    """pybullet_data (the package that ships the DeepMimic clips) is not installed."""


def motions_dir() -> Path:
    """The folder of the DeepMimic clips inside the installed `pybullet_data` package."""
    spec = importlib.util.find_spec("pybullet_data")
    if spec is None or spec.origin is None:
        raise MocapUnavailableError(
            "the mocap clips come with the 'pybullet' package (its pybullet_data folder), which is "
            "not installed; install it with `pip install pybullet` (only its data files are used)"
        )
    folder = Path(spec.origin).parent / "data" / "motions"
    if not folder.is_dir():
        raise MocapUnavailableError(f"pybullet_data is installed but has no motions folder at {folder}")
    return folder


def list_clips() -> list[str]:
    """Names of the available clips ("walk", "run", "backflip", ...), sorted."""
    return sorted(path.stem.removeprefix(CLIP_PREFIX) for path in motions_dir().glob(f"{CLIP_PREFIX}*.txt"))


def read_frames(name: str) -> np.ndarray:
    """The raw (N, 44) frame rows of one clip, as stored in the DeepMimic file."""
    path = motions_dir() / f"{CLIP_PREFIX}{name}.txt"
    if not path.is_file():
        raise KeyError(f"unknown mocap clip {name!r}; known: {', '.join(list_clips())}")
    frames = np.asarray(json.loads(path.read_text())["Frames"], dtype=np.float64)  # (N, 44)
    if frames.ndim != 2 or frames.shape[1] != FRAME_WIDTH:
        raise ValueError(f"{path}: expected frames of {FRAME_WIDTH} numbers, got shape {frames.shape}")
    return frames


def humanoid_frames_to_pose(frames: np.ndarray) -> Pose:
    """(N, 44) DeepMimic humanoid frames → N SMPL poses in our frame (see the module docstring)."""
    frames = torch.as_tensor(np.asarray(frames, dtype=np.float64))  # (N, 44)
    count = frames.shape[0]
    axes = torch.as_tensor(HUMANOID_TO_SMPL_AXES)  # (3, 3)

    def rotation(joint: str) -> torch.Tensor:
        """(N, 4) local rotation of a humanoid joint as a quaternion in OUR axes."""
        start, size = _COLUMNS[joint]
        if size == 1:  # hinge about the humanoid's +Z (the character's right) = our -x
            angle = frames[:, start : start + 1]  # (N, 1)
            axis_angle = angle * torch.tensor([-1.0, 0.0, 0.0], dtype=frames.dtype)
            return axis_angle_to_quaternion(axis_angle)
        quaternion = frames[:, start : start + size]  # (N, 4) w, x, y, z
        quaternion = quaternion / torch.linalg.norm(quaternion, dim=-1, keepdim=True)
        vector = quaternion[:, 1:] @ axes.T  # rotate the axis: M R Mᵀ has axis M·v
        return torch.cat([quaternion[:, :1], vector], dim=-1)

    matrices = torch.eye(3, dtype=frames.dtype).repeat(count, len(SMPL_JOINT_NAMES), 1, 1)  # (N, 24, 3, 3)

    def put(smpl_joint: str, quaternion: torch.Tensor) -> None:
        matrices[:, SMPL_JOINT_NAMES.index(smpl_joint)] = quaternion_to_matrix(quaternion)

    put("pelvis", rotation("root"))
    for humanoid_joint, smpl_joint in _DIRECT_JOINTS.items():
        put(smpl_joint, rotation(humanoid_joint))
    chest_third = quaternion_to_axis_angle(rotation("chest")) / len(_SPINE_JOINTS)  # (N, 3)
    for spine in _SPINE_JOINTS:
        put(spine, axis_angle_to_quaternion(chest_third))
    for side in ("left", "right"):
        rest = quaternion_to_matrix(
            axis_angle_to_quaternion(torch.tensor(ARM_REST_AXIS_ANGLE[side], dtype=frames.dtype))
        )  # (3, 3)
        shoulder = quaternion_to_matrix(rotation(f"{side}_shoulder"))  # (N, 3, 3)
        elbow = quaternion_to_matrix(rotation(f"{side}_elbow"))  # (N, 3, 3)
        matrices[:, SMPL_JOINT_NAMES.index(f"{side}_shoulder")] = shoulder @ rest
        matrices[:, SMPL_JOINT_NAMES.index(f"{side}_elbow")] = rest.T @ elbow @ rest
    return Pose.from_axis_angle(matrix_to_axis_angle(matrices).float())


@lru_cache(maxsize=None)
def _load_clip_cached(name: str) -> Pose:
    return humanoid_frames_to_pose(read_frames(name))


def load_clip(name: str) -> Pose:
    """Every frame of one clip as SMPL poses (N frames), root rotation in global_orient."""
    cached = _load_clip_cached(name)
    return Pose(cached.global_orient.copy(), cached.body_pose.copy())  # callers may change their copy


def mocap_poses(step: int = 5, include_heldout: bool = False) -> dict[str, Pose]:
    """Clip name → every `step`-th frame; clips held out for evaluation are left out unless asked."""
    if step < 1:
        raise ValueError(f"step must be at least 1, got {step}")
    return {
        name: load_clip(name)[::step]
        for name in list_clips()
        if include_heldout or not is_heldout("mocap_clip", name)
    }


def facing_yaw(pose: Pose) -> np.ndarray:
    """(N,) heading of each pose in radians: the turn about +y from facing +z (positive towards +x).

    The heading is where the front of the pelvis points, projected on the ground. When the pelvis
    faces up or down (lying, crawling), that projection vanishes, so the pelvis's up axis (towards
    the head) takes over, flipped when lying face up: heading = front_h - front_y * up_h (h: the
    horizontal part). Upright it is the front; face down, the head's direction; face up, the feet's.
    Both agree in between, so the heading turns smoothly as a person lies down.
    """
    root = axis_angle_to_matrix(torch.as_tensor(pose.global_orient, dtype=torch.float64)).numpy()  # (N, 3, 3)
    front, up = root[:, :, 2], root[:, :, 1]  # (N, 3) the pelvis's +z and +y in the world
    heading = front - front[:, 1:2] * up  # (N, 3); only x and z are used
    return np.arctan2(heading[:, 0], heading[:, 2])


def facing_normalised(pose: Pose) -> Pose:
    """The same poses turned about +y so that every one of them faces +z (see `facing_yaw`)."""
    yaw = torch.as_tensor(facing_yaw(pose), dtype=torch.float64)  # (N,)
    undo = torch.zeros(len(pose), 3, dtype=torch.float64)
    undo[:, 1] = -yaw
    root = axis_angle_to_matrix(torch.as_tensor(pose.global_orient, dtype=torch.float64))  # (N, 3, 3)
    turned = axis_angle_to_matrix(undo) @ root  # (N, 3, 3)
    return Pose(matrix_to_axis_angle(turned).float().numpy(), pose.body_pose, pose.betas, pose.phenotype)
