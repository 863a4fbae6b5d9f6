"""SMPL pose parameters: the skeleton, rotation conversions, forward kinematics and the `Pose` type.

Frame (shared by the whole project): SMPL's body frame, metres, +y up, the body faces +z (towards a
viewer in front of it), the person's left on +x. A person standing upright and facing the camera
has ``global_orient`` ≈ 0.

Every rotation helper works on torch tensors with any leading batch shape and is differentiable, so
the same functions serve the pose head's loss, the body models and data generation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import torch
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------
# Skeleton
# ---------------------------------------------------------------------------------------------

SMPL_JOINT_NAMES: tuple[str, ...] = (
    "pelvis",
    "left_hip",
    "right_hip",
    "spine1",
    "left_knee",
    "right_knee",
    "spine2",
    "left_ankle",
    "right_ankle",
    "spine3",
    "left_foot",
    "right_foot",
    "neck",
    "left_collar",
    "right_collar",
    "head",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hand",
    "right_hand",
)
NUM_JOINTS = len(SMPL_JOINT_NAMES)  # 24: joint 0 is global_orient, 1..23 are body_pose
NUM_BODY_JOINTS = NUM_JOINTS - 1

# Parent of each joint in SMPL's kinematic tree (-1 for the root). Parents precede children.
SMPL_PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)

# Joint index of the mirror image of each joint (left <-> right), for mirroring poses.
SMPL_MIRROR: tuple[int, ...] = tuple(
    SMPL_JOINT_NAMES.index(
        name.replace("left_", "@").replace("right_", "left_").replace("@", "right_")
    )
    for name in SMPL_JOINT_NAMES
)

# Rest (T-pose) joint positions in metres, pelvis at the origin: the 24 SMPL joints of the default
# Anny body (SOMA rig, every phenotype slider at 0.5), so that FK here and the default body model
# agree (tests/test_body.py checks it). The hand joints are the mean of the four finger bases.
REST_JOINTS = torch.tensor(
    [
        [0.0000, 0.0000, 0.0000],
        [0.0990, -0.0749, 0.0200],
        [-0.0990, -0.0752, 0.0190],
        [0.0003, 0.0446, -0.0014],
        [0.0990, -0.4737, 0.0200],
        [-0.0990, -0.4741, 0.0190],
        [0.0003, 0.1096, -0.0016],
        [0.0990, -0.8628, 0.0200],
        [-0.0990, -0.8630, 0.0190],
        [0.0003, 0.1770, -0.0089],
        [0.0990, -0.9105, 0.1447],
        [-0.0990, -0.9107, 0.1438],
        [0.0006, 0.4174, -0.0108],
        [0.0157, 0.3873, 0.0364],
        [-0.0161, 0.3873, 0.0361],
        [0.0006, 0.5383, 0.0264],
        [0.1487, 0.3873, -0.0127],
        [-0.1497, 0.3873, -0.0132],
        [0.4044, 0.3873, -0.0127],
        [-0.4053, 0.3873, -0.0132],
        [0.6489, 0.3873, -0.0127],
        [-0.6498, 0.3873, -0.0132],
        [0.7322, 0.3816, -0.0189],
        [-0.7331, 0.3816, -0.0194],
    ],
    dtype=torch.float32,
)  # (24, 3)

# ---------------------------------------------------------------------------------------------
# Rotation conversions (quaternions are (w, x, y, z), scalar first)
# ---------------------------------------------------------------------------------------------

_EPS = 1e-8


def axis_angle_to_quaternion(axis_angle: torch.Tensor) -> torch.Tensor:
    """(..., 3) axis-angle → (..., 4) unit quaternion (w, x, y, z)."""
    angle = torch.linalg.norm(axis_angle, dim=-1, keepdim=True)  # (..., 1)
    half = 0.5 * angle
    # sin(θ/2)/θ with its Taylor expansion near zero keeps the gradient finite at the identity.
    small = angle < 1e-4
    safe_angle = torch.where(small, torch.ones_like(angle), angle)
    sin_half_over_angle = torch.where(small, 0.5 - angle * angle / 48.0, torch.sin(half) / safe_angle)
    return torch.cat([torch.cos(half), axis_angle * sin_half_over_angle], dim=-1)


def quaternion_to_axis_angle(quaternion: torch.Tensor) -> torch.Tensor:
    """(..., 4) quaternion (w first) → (..., 3) axis-angle with angle in [0, π]."""
    quaternion = quaternion / torch.linalg.norm(quaternion, dim=-1, keepdim=True).clamp_min(_EPS)
    # q and -q are the same rotation: pick w >= 0 so the angle is at most π.
    quaternion = torch.where(quaternion[..., :1] < 0, -quaternion, quaternion)
    xyz = quaternion[..., 1:]
    sin_half = torch.linalg.norm(xyz, dim=-1, keepdim=True)  # (..., 1)
    half = torch.atan2(sin_half, quaternion[..., :1])
    angle = 2.0 * half
    small = sin_half < 1e-4
    safe_sin = torch.where(small, torch.ones_like(sin_half), sin_half)
    # θ / sin(θ/2) → 2 + θ²/12 near zero.
    scale = torch.where(small, 2.0 + angle * angle / 12.0, angle / safe_sin)
    return xyz * scale


def quaternion_to_matrix(quaternion: torch.Tensor) -> torch.Tensor:
    """(..., 4) quaternion (w first) → (..., 3, 3) rotation matrix."""
    quaternion = quaternion / torch.linalg.norm(quaternion, dim=-1, keepdim=True).clamp_min(_EPS)
    w, x, y, z = quaternion.unbind(-1)
    matrix = torch.stack(
        [
            1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
            2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
            2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
        ],
        dim=-1,
    )  # (..., 9)
    return matrix.reshape(quaternion.shape[:-1] + (3, 3))


def matrix_to_quaternion(matrix: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) rotation matrix → (..., 4) unit quaternion (w first, w >= 0).

    Uses the numerically best of the four Shepperd candidates for every matrix, so it stays
    accurate for rotations near π where the trace formula breaks down.
    """
    m = matrix
    m00, m11, m22 = m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]
    # 4·q_i² for i = w, x, y, z, clamped so sqrt never sees a negative from round-off.
    squares = torch.stack(
        [1 + m00 + m11 + m22, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22], dim=-1
    )
    roots = torch.sqrt(squares.clamp_min(_EPS))  # (..., 4) = 2|q_i|
    # Each row is 4·q_i·q: the quaternion scaled by 4 q_i, valid when q_i is the largest.
    candidates = torch.stack(
        [
            torch.stack([squares[..., 0], m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]], -1),
            torch.stack([m[..., 2, 1] - m[..., 1, 2], squares[..., 1], m[..., 1, 0] + m[..., 0, 1], m[..., 0, 2] + m[..., 2, 0]], -1),
            torch.stack([m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] + m[..., 0, 1], squares[..., 2], m[..., 2, 1] + m[..., 1, 2]], -1),
            torch.stack([m[..., 1, 0] - m[..., 0, 1], m[..., 2, 0] + m[..., 0, 2], m[..., 2, 1] + m[..., 1, 2], squares[..., 3]], -1),
        ],
        dim=-2,
    )  # (..., 4, 4)
    candidates = candidates / (2.0 * roots[..., None])
    best = squares.argmax(dim=-1)  # (...)
    quaternion = torch.gather(candidates, -2, best[..., None, None].expand(best.shape + (1, 4)))[..., 0, :]
    quaternion = quaternion / torch.linalg.norm(quaternion, dim=-1, keepdim=True).clamp_min(_EPS)
    return torch.where(quaternion[..., :1] < 0, -quaternion, quaternion)


def axis_angle_to_matrix(axis_angle: torch.Tensor) -> torch.Tensor:
    """(..., 3) axis-angle → (..., 3, 3) rotation matrix."""
    return quaternion_to_matrix(axis_angle_to_quaternion(axis_angle))


def matrix_to_axis_angle(matrix: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) rotation matrix → (..., 3) axis-angle with angle in [0, π]."""
    return quaternion_to_axis_angle(matrix_to_quaternion(matrix))


def rotation_6d_to_matrix(rotation_6d: torch.Tensor) -> torch.Tensor:
    """(..., 6) → (..., 3, 3). 6D convention (Zhou et al. 2019): the first two *columns* of R.

    The 6 numbers are (R[0,0], R[1,0], R[2,0], R[0,1], R[1,1], R[2,1]); Gram–Schmidt makes any
    6-vector a valid rotation, which is why the pose head predicts this representation.
    """
    a1, a2 = rotation_6d[..., 0:3], rotation_6d[..., 3:6]
    b1 = F.normalize(a1, dim=-1, eps=_EPS)
    b2 = F.normalize(a2 - (b1 * a2).sum(-1, keepdim=True) * b1, dim=-1, eps=_EPS)
    b3 = torch.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)  # columns


def matrix_to_rotation_6d(matrix: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) → (..., 6): the first two columns of R, column by column (Zhou et al.)."""
    return torch.cat([matrix[..., :, 0], matrix[..., :, 1]], dim=-1)


# ---------------------------------------------------------------------------------------------
# Forward kinematics
# ---------------------------------------------------------------------------------------------


def forward_kinematics(
    rotations: torch.Tensor,
    rest_joints: torch.Tensor | None = None,
    parents: tuple[int, ...] = SMPL_PARENTS,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pose a rest skeleton: local joint rotations → world rotations and joint positions.

    Args:
        rotations: (..., J, 3, 3) local rotation of every joint relative to its parent, in the
            world-aligned rest frame (SMPL's convention; joint 0 is the global orientation).
        rest_joints: (J, 3) or (..., J, 3) rest joint positions; default: `REST_JOINTS`.
        parents: parent index of each joint, -1 for the root; parents precede children.
    Returns:
        world_rotations (..., J, 3, 3) and joint positions (..., J, 3), root at its rest place.
    """
    if rest_joints is None:
        rest_joints = REST_JOINTS
    rest_joints = rest_joints.to(device=rotations.device, dtype=rotations.dtype)
    rest_joints = rest_joints.expand(rotations.shape[:-2] + (3,))  # (..., J, 3)
    world_rotations: list[torch.Tensor] = []
    positions: list[torch.Tensor] = []
    for joint, parent in enumerate(parents):
        if parent < 0:
            world_rotations.append(rotations[..., joint, :, :])
            positions.append(rest_joints[..., joint, :])
            continue
        bone = rest_joints[..., joint, :] - rest_joints[..., parent, :]  # (..., 3)
        positions.append(positions[parent] + (world_rotations[parent] @ bone[..., None])[..., 0])
        world_rotations.append(world_rotations[parent] @ rotations[..., joint, :, :])
    return torch.stack(world_rotations, dim=-3), torch.stack(positions, dim=-2)


# ---------------------------------------------------------------------------------------------
# The Pose type
# ---------------------------------------------------------------------------------------------

#: Anny's phenotype sliders, each in [0, 1] (0.5 = average). SMPL betas cannot be mapped onto them.
PHENOTYPE_NAMES: tuple[str, ...] = ("gender", "age", "muscle", "weight", "height", "proportions")


class PoseError(ValueError):
    """Pose parameters that cannot be used; the message says which array and why."""


def _as_array(name: str, value: object, width: int) -> np.ndarray:
    """Validate one parameter array and return it as (N, width) float32."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise PoseError(f"{name} must be numeric, got {type(value).__name__}: {error}") from None
    if array.ndim == 1:
        array = array[None]
    if array.ndim != 2 or array.shape[1] != width:
        raise PoseError(f"{name} must have shape (N, {width}) or ({width},), got {tuple(array.shape)}")
    if not np.isfinite(array).all():
        raise PoseError(f"{name} contains NaN or infinite values")
    return array


@dataclass(frozen=True)
class Pose:
    """A batch of N SMPL poses in smplx naming, validated on construction.

    ``global_orient`` (N, 3) and ``body_pose`` (N, 69) are axis-angle in the frame above;
    ``betas`` (N, 10) are SMPL shape coefficients (used by SMPL bodies only); ``phenotype`` holds
    Anny's sliders (used by the Anny body only), one value per name in `PHENOTYPE_NAMES`.
    """

    global_orient: np.ndarray  # (N, 3) float32
    body_pose: np.ndarray  # (N, 69) float32
    betas: np.ndarray | None = None  # (N, 10) float32
    phenotype: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        global_orient = _as_array("global_orient", self.global_orient, 3)
        body_pose = _as_array("body_pose", self.body_pose, 3 * NUM_BODY_JOINTS)
        if global_orient.shape[0] != body_pose.shape[0]:
            raise PoseError(
                f"global_orient has {global_orient.shape[0]} poses but body_pose has {body_pose.shape[0]}"
            )
        object.__setattr__(self, "global_orient", global_orient)
        object.__setattr__(self, "body_pose", body_pose)
        if self.betas is not None:
            betas = _as_array("betas", self.betas, 10)
            if betas.shape[0] == 1 and len(body_pose) > 1:
                betas = np.repeat(betas, len(body_pose), axis=0)
            if betas.shape[0] != body_pose.shape[0]:
                raise PoseError(f"betas has {betas.shape[0]} rows but there are {body_pose.shape[0]} poses")
            object.__setattr__(self, "betas", betas)
        phenotype = dict(self.phenotype or {})
        for name, value in phenotype.items():
            if name not in PHENOTYPE_NAMES:
                raise PoseError(f"unknown phenotype {name!r}; known: {', '.join(PHENOTYPE_NAMES)}")
            if not (isinstance(value, (int, float, np.floating)) and 0.0 <= float(value) <= 1.0):
                raise PoseError(f"phenotype {name} must be a number in [0, 1], got {value!r}")
            phenotype[name] = float(value)
        object.__setattr__(self, "phenotype", phenotype)

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def identity(cls, n: int = 1) -> "Pose":
        """N upright T-poses facing the viewer."""
        return cls(np.zeros((n, 3), np.float32), np.zeros((n, 3 * NUM_BODY_JOINTS), np.float32))

    @classmethod
    def from_axis_angle(cls, axis_angle: torch.Tensor | np.ndarray, **extra: object) -> "Pose":
        """(N, 24, 3) or (24, 3) axis-angle → Pose."""
        array = _as_array("axis_angle", np.asarray(
            axis_angle.detach().cpu().numpy() if isinstance(axis_angle, torch.Tensor) else axis_angle,
            dtype=np.float32,
        ).reshape(-1, 3 * NUM_JOINTS), 3 * NUM_JOINTS)
        return cls(array[:, :3], array[:, 3:], **extra)  # type: ignore[arg-type]

    @classmethod
    def from_rotation_matrices(cls, matrices: torch.Tensor, **extra: object) -> "Pose":
        """(N, 24, 3, 3) or (24, 3, 3) rotation matrices → Pose (axis-angle)."""
        return cls.from_axis_angle(matrix_to_axis_angle(matrices.detach().float()), **extra)

    # -- views ------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self.body_pose.shape[0])

    def __getitem__(self, index: int | slice) -> "Pose":
        rows = slice(index, index + 1) if isinstance(index, int) else index
        if isinstance(index, int) and not -len(self) <= index < len(self):
            raise IndexError(f"pose index {index} out of range for {len(self)} poses")
        if isinstance(index, int) and index < 0:
            rows = slice(len(self) + index, len(self) + index + 1)
        return Pose(
            self.global_orient[rows],
            self.body_pose[rows],
            None if self.betas is None else self.betas[rows],
            self.phenotype,
        )

    def axis_angle(self) -> torch.Tensor:
        """(N, 24, 3) float32 tensor, joint 0 = global orientation."""
        both = np.concatenate([self.global_orient, self.body_pose], axis=1)
        return torch.from_numpy(both).reshape(len(self), NUM_JOINTS, 3)

    def rotation_matrices(self) -> torch.Tensor:
        """(N, 24, 3, 3) float32 local rotations."""
        return axis_angle_to_matrix(self.axis_angle())

    def joints(self, rest_joints: torch.Tensor | None = None) -> torch.Tensor:
        """(N, 24, 3) joint positions by FK over the rest skeleton, pelvis at the origin."""
        return forward_kinematics(self.rotation_matrices(), rest_joints)[1]

    def with_phenotype(self, **phenotype: float) -> "Pose":
        """The same pose with other body-shape sliders."""
        return Pose(self.global_orient, self.body_pose, self.betas, {**self.phenotype, **phenotype})

    @staticmethod
    def concat(poses: "list[Pose]") -> "Pose":
        """Stack several poses into one batch (phenotype of the first; betas only if all have them)."""
        if not poses:
            raise PoseError("cannot concatenate an empty list of poses")
        betas = None
        if all(p.betas is not None for p in poses):
            betas = np.concatenate([p.betas for p in poses])  # type: ignore[misc]
        return Pose(
            np.concatenate([p.global_orient for p in poses]),
            np.concatenate([p.body_pose for p in poses]),
            betas,
            poses[0].phenotype,
        )

    # -- files ------------------------------------------------------------------------------------

    def save_npz(self, path: str | Path) -> Path:
        """Write smplx-named arrays; phenotype sliders go in as ``phenotype_<name>`` scalars."""
        path = Path(path)
        arrays: dict[str, np.ndarray] = {"global_orient": self.global_orient, "body_pose": self.body_pose}
        if self.betas is not None:
            arrays["betas"] = self.betas
        for name, value in self.phenotype.items():
            arrays[f"phenotype_{name}"] = np.float32(value)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:  # a handle keeps numpy from appending ".npz"
            np.savez(handle, **arrays)
        return path

    @classmethod
    def load_npz(cls, path: str | Path) -> "Pose":
        """Read a pose file in smplx naming; also accepts a ``poses`` (N, 72) array (AMASS style)."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except FileNotFoundError:
            raise PoseError(f"pose file not found: {path}") from None
        except (ValueError, OSError, EOFError) as error:  # not a zip / pickled content / truncated
            raise PoseError(f"{path} is not a readable .npz pose file ({error})") from None
        if "global_orient" not in arrays and "poses" in arrays:
            poses = np.asarray(arrays["poses"]).reshape(len(arrays["poses"]), -1)
            if poses.shape[1] < 3 * NUM_JOINTS:
                raise PoseError(f"{path}: 'poses' needs at least 72 columns, got {poses.shape[1]}")
            arrays["global_orient"], arrays["body_pose"] = poses[:, :3], poses[:, 3 : 3 * NUM_JOINTS]
        missing = [key for key in ("global_orient", "body_pose") if key not in arrays]
        if missing:
            raise PoseError(
                f"{path} lacks {', '.join(missing)}; a pose file needs global_orient (N,3) and "
                f"body_pose (N,69) (found: {', '.join(sorted(arrays)) or 'nothing'})"
            )
        betas = arrays.get("betas")
        if betas is not None:
            betas = np.asarray(betas, dtype=np.float32)
            betas = betas.reshape(-1, betas.shape[-1])[:, :10]
            if betas.shape[1] < 10:
                betas = np.pad(betas, ((0, 0), (0, 10 - betas.shape[1])))
        phenotype = {
            key.removeprefix("phenotype_"): float(value)
            for key, value in arrays.items()
            if key.startswith("phenotype_")
        }
        return cls(arrays["global_orient"], arrays["body_pose"], betas, phenotype)

    def mirrored(self) -> "Pose":
        """The left–right mirror image (reflection x → -x): swaps sides and flips rotations."""
        axis_angle = self.axis_angle()[:, list(SMPL_MIRROR)]  # (N, 24, 3)
        # Reflecting through the x = 0 plane maps an axis-angle (a, b, c) to (a, -b, -c).
        axis_angle = axis_angle * torch.tensor([1.0, -1.0, -1.0])
        return Pose.from_axis_angle(axis_angle, betas=self.betas, phenotype=self.phenotype)
