"""SMPL poses from BlazePose landmarks, and BlazePose-like landmarks from SMPL poses.

- The correspondence (`LANDMARK_ANCHORS`): every one of BlazePose's 33 landmarks is a point fixed
  to one SMPL joint — the joint itself (shoulders, elbows, wrists, hips, knees, ankles) or an
  offset in that joint's frame (face points on the head, hand points on the wrist, heel on the
  ankle, toe tip on the foot). Offsets are measured on the default Anny body's T-pose mesh and
  rig (about 1.64 m tall), the same body `REST_JOINTS` comes from.
- `synthetic_landmarks`: poses → the points BlazePose would report (origin between the hips),
  with optional noise, body-size changes, occlusion and truncation: training data "as the
  detector would produce it".
- `fit_poses`: the inverse, batched — analytic inverse kinematics for a start (torso frame from
  the hip/shoulder triangle, limb planes for elbow/knee hinges), then Adam on 6D rotations
  (Zhou et al., `rotation_6d_to_matrix`), a per-person scale and offset through differentiable
  forward kinematics, with a robust visibility-weighted landmark loss and priors that keep the
  body human (hinge elbows and knees, limited spine/neck/collars, little leg twist, unobserved
  joints pulled to a neutral or given pose).
- `fit_camera` / `fit_person` / `fit_people` / `refine_pose`: what the vision pipeline calls.

Frame: camera-aligned SMPL body frame (+y up, +z towards the camera, person's left on +x when
facing it); the fitted pose's global orientation is relative to the camera.
"""

from __future__ import annotations

import contextlib
import math
import threading
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import torch

from posegpt.pose import (
    NUM_JOINTS,
    REST_JOINTS,
    SMPL_JOINT_NAMES,
    SMPL_PARENTS,
    Pose,
    axis_angle_to_matrix,
    matrix_to_axis_angle,
    matrix_to_rotation_6d,
    rotation_6d_to_matrix,
)
from posegpt.render import Camera
from posegpt.vision.people import LANDMARK_NAMES, NUM_LANDMARKS, FittedPerson, PersonLandmarks

# ---------------------------------------------------------------------------------------------
# Correspondence: BlazePose landmark → (SMPL joint, offset in that joint's rest frame)
# ---------------------------------------------------------------------------------------------

_J = {name: index for index, name in enumerate(SMPL_JOINT_NAMES)}
_L = {name: index for index, name in enumerate(LANDMARK_NAMES)}

# Offsets of the left side, metres, in the rest (T-pose) frame of the anchor joint; the right
# side mirrors x. Measured on Anny's default T-pose: nose tip, eye corners and centres, the ear
# region's centre, mouth corners (head joint); index/pinky MCP knuckles and the thumb's MCP
# knuckle (wrist: BlazePose's hand points move with the wrist, not with SMPL's finger joint);
# the back-bottom of the heel (ankle) and the big toe's tip (foot joint, at the toe base).
_FACE_OFFSETS: dict[str, tuple[float, float, float]] = {
    "nose": (0.000, 0.012, 0.115),
    "left_eye_inner": (0.015, 0.048, 0.084),
    "left_eye": (0.030, 0.051, 0.082),
    "left_eye_outer": (0.045, 0.049, 0.074),
    "left_ear": (0.075, 0.034, -0.002),
    "mouth_left": (0.024, -0.021, 0.092),
}
_HAND_OFFSETS = {"pinky": (0.071, -0.012, -0.032), "index": (0.091, -0.005, 0.024), "thumb": (0.055, -0.029, 0.044)}
_HEEL_OFFSET = (0.000, -0.052, -0.050)
_TOE_OFFSET = (-0.018, -0.006, 0.062)


def _anchor_table() -> tuple[tuple[int, tuple[float, float, float]], ...]:
    def mirrored(offset: tuple[float, float, float]) -> tuple[float, float, float]:
        return (-offset[0], offset[1], offset[2])

    table: dict[str, tuple[int, tuple[float, float, float]]] = {}
    for name, offset in _FACE_OFFSETS.items():
        table[name] = (_J["head"], offset)
        if name.startswith("left_") or name.startswith("mouth_left"):
            table[name.replace("left", "right")] = (_J["head"], mirrored(offset))
    for side in ("left", "right"):
        flip = (lambda o: o) if side == "left" else mirrored
        for part in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle"):
            table[f"{side}_{part}"] = (_J[f"{side}_{part}"], (0.0, 0.0, 0.0))
        for part, offset in _HAND_OFFSETS.items():
            table[f"{side}_{part}"] = (_J[f"{side}_wrist"], flip(offset))
        table[f"{side}_heel"] = (_J[f"{side}_ankle"], flip(_HEEL_OFFSET))
        table[f"{side}_foot_index"] = (_J[f"{side}_foot"], flip(_TOE_OFFSET))
    return tuple(table[name] for name in LANDMARK_NAMES)


#: For each BlazePose landmark (in `LANDMARK_NAMES` order): SMPL joint index and rest-frame offset.
LANDMARK_ANCHORS: tuple[tuple[int, tuple[float, float, float]], ...] = _anchor_table()
ANCHOR_JOINTS = torch.tensor([joint for joint, _ in LANDMARK_ANCHORS])  # (33,)
ANCHOR_OFFSETS = torch.tensor([offset for _, offset in LANDMARK_ANCHORS], dtype=torch.float32)  # (33, 3)

#: The 12 landmarks that sit on SMPL joints: (landmark index, joint index).
JOINT_LANDMARKS: tuple[tuple[int, int], ...] = tuple(
    (index, joint) for index, (joint, offset) in enumerate(LANDMARK_ANCHORS) if offset == (0.0, 0.0, 0.0)
)

FACE = tuple(range(0, 11))
LOWER_BODY = tuple(range(25, 33))  # knees, ankles, heels, toes
_HIPS = (_L["left_hip"], _L["right_hip"])
_SHOULDERS = (_L["left_shoulder"], _L["right_shoulder"])

# Weight of each landmark in the fit: the 11 face points together count about as much as three
# body joints, the hand and foot points a little less than a joint each.
LANDMARK_WEIGHTS = torch.ones(NUM_LANDMARKS)
LANDMARK_WEIGHTS[list(FACE)] = 0.25
LANDMARK_WEIGHTS[[_L[f"{s}_{p}"] for s in ("left", "right") for p in ("pinky", "index", "thumb")]] = 0.4
LANDMARK_WEIGHTS[[_L[f"{s}_{p}"] for s in ("left", "right") for p in ("heel", "foot_index")]] = 0.6

# Which landmarks tell each joint's rotation (mostly: where its child bone points). Joints whose
# landmarks are unseen are pulled towards the prior (or neutral) rotation instead.
_INFORMS: dict[str, tuple[str, ...]] = {
    "pelvis": ("left_hip", "right_hip", "left_shoulder", "right_shoulder"),
    "spine1": ("left_shoulder", "right_shoulder"),
    "spine2": ("left_shoulder", "right_shoulder"),
    "spine3": ("left_shoulder", "right_shoulder"),
    "neck": LANDMARK_NAMES[:11],
    "head": LANDMARK_NAMES[:11],
}
for _side in ("left", "right"):
    _INFORMS.update({
        f"{_side}_hip": (f"{_side}_knee",),
        f"{_side}_knee": (f"{_side}_ankle",),
        f"{_side}_ankle": (f"{_side}_heel", f"{_side}_foot_index"),
        f"{_side}_foot": (f"{_side}_foot_index",),
        f"{_side}_collar": (f"{_side}_shoulder",),
        f"{_side}_shoulder": (f"{_side}_elbow",),
        f"{_side}_elbow": (f"{_side}_wrist",),
        f"{_side}_wrist": (f"{_side}_pinky", f"{_side}_index", f"{_side}_thumb"),
        f"{_side}_hand": (),  # drives the fingers only: BlazePose does not see it
    })
INFORMING_LANDMARKS = torch.zeros(NUM_JOINTS, NUM_LANDMARKS)  # (24, 33) row-normalised
for _name, _marks in _INFORMS.items():
    for _mark in _marks:
        INFORMING_LANDMARKS[_J[_name], _L[_mark]] = 1.0 / len(_marks)

# ---------------------------------------------------------------------------------------------
# Fast forward kinematics (one step per tree level instead of one per joint)
# ---------------------------------------------------------------------------------------------


def _tree_levels(parents: tuple[int, ...]) -> list[list[int]]:
    depth = [0] * len(parents)
    for joint, parent in enumerate(parents):
        depth[joint] = 0 if parent < 0 else depth[parent] + 1
    return [[j for j in range(len(parents)) if depth[j] == d] for d in range(max(depth) + 1)]


_LEVELS = _tree_levels(SMPL_PARENTS)  # 9 levels for SMPL
assert all(SMPL_PARENTS[j] in _LEVELS[d - 1] for d in range(1, len(_LEVELS)) for j in _LEVELS[d])
_LEVEL_JOINTS = torch.tensor([j for level in _LEVELS for j in level])  # joints in level order


def _parent_gather(parents: list[int], previous: int) -> slice | torch.Tensor | int:
    """How to pick each joint's parent from the previous level: a slice when they are in order
    (no copy, cheap backward), an int (one parent for all: broadcast), else an index tensor."""
    if len(set(parents)) == 1 and len(parents) > 1:
        return parents[0]
    if parents == list(range(parents[0], parents[0] + len(parents))):
        return slice(parents[0], parents[0] + len(parents))
    return torch.tensor(parents)


_LEVEL_PARENTS = [
    _parent_gather([_LEVELS[d - 1].index(SMPL_PARENTS[j]) for j in _LEVELS[d]], len(_LEVELS[d - 1]))
    for d in range(1, len(_LEVELS))
]  # per level: where each joint's parent sits within the previous level
_UNLEVEL = torch.argsort(_LEVEL_JOINTS)  # level order → SMPL order
_BOTTOM_ROW = torch.tensor([0.0, 0.0, 0.0, 1.0]).reshape(1, 1, 1, 4)
_ANCHOR_OFFSETS_H = torch.cat([ANCHOR_OFFSETS, torch.ones(NUM_LANDMARKS, 1)], dim=1)[..., None]  # (33, 4, 1)


def _rest_bones(rest_joints: torch.Tensor) -> torch.Tensor:
    """(..., 24, 3) rest joints → bone vectors (joint − parent; the root's own position)."""
    parents = rest_joints[..., list(SMPL_PARENTS[1:]), :]
    return rest_joints - torch.cat([torch.zeros_like(rest_joints[..., :1, :]), parents], dim=-2)


def _forward_transforms(rotations: torch.Tensor, bones: torch.Tensor) -> torch.Tensor:
    """(B, 24, 3, 3) local rotations, (B or 1, 24, 3) bones → (B, 24, 4, 4) world transforms.

    The same result as `posegpt.pose.forward_kinematics` (rotation block and joint position),
    computed one tree level at a time with homogeneous transforms: 9 small steps instead of 24,
    which is what makes the per-iteration cost of the fit small for a single person.
    """
    batch = rotations.shape[0]
    top = torch.cat([rotations, bones.to(rotations).expand(batch, NUM_JOINTS, 3)[..., None]], dim=-1)  # (B, 24, 3, 4)
    local = torch.cat([top, _BOTTOM_ROW.to(rotations).expand(batch, NUM_JOINTS, 1, 4)], dim=-2)[:, _LEVEL_JOINTS]
    sizes = [len(level) for level in _LEVELS]
    children = local.split(sizes, dim=1)
    levels = [children[0]]
    for depth in range(1, len(_LEVELS)):
        gather = _LEVEL_PARENTS[depth - 1]
        parents = levels[-1][:, gather : gather + 1] if isinstance(gather, int) else levels[-1][:, gather]
        levels.append(parents @ children[depth])  # a single parent broadcasts over its children
    return torch.cat(levels, dim=1)[:, _UNLEVEL]


def _forward_kinematics(rotations: torch.Tensor, rest_joints: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 24, 3, 3), rest (B or 1, 24, 3) or (24, 3) → world rotations (B, 24, 3, 3), joints (B, 24, 3)."""
    transforms = _forward_transforms(rotations, _rest_bones(rest_joints.reshape(-1, NUM_JOINTS, 3)))
    return transforms[..., :3, :3], transforms[..., :3, 3]


def _transform_points(transforms: torch.Tensor, offset_scale: torch.Tensor | None = None) -> torch.Tensor:
    """(B, 24, 4, 4) world transforms → (B, 33, 3) landmark points."""
    offsets = _ANCHOR_OFFSETS_H.to(transforms)  # (33, 4, 1)
    if offset_scale is not None:
        offsets = offsets * torch.cat([offset_scale[:, None, None, None].expand(-1, 1, 3, 1),
                                       torch.ones_like(offset_scale)[:, None, None, None]], dim=2)  # (B, 33, 4, 1)
    return (transforms[:, ANCHOR_JOINTS, :3, :] @ offsets)[..., 0]


def _points_from_skeleton(world: torch.Tensor, joints: torch.Tensor, offset_scale: torch.Tensor | None = None) -> torch.Tensor:
    """(B, 24, 3, 3), (B, 24, 3) posed skeleton → (B, 33, 3) landmark points."""
    offsets = ANCHOR_OFFSETS.to(joints)  # (33, 3)
    if offset_scale is not None:
        offsets = offsets * offset_scale[:, None, None]  # (B, 33, 3)
    return joints[:, ANCHOR_JOINTS] + (world[:, ANCHOR_JOINTS] @ offsets[..., None])[..., 0]


def landmark_points(rotations: torch.Tensor, rest_joints: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 24, 3, 3) local rotations → joints (B, 24, 3) and BlazePose-equivalent points (B, 33, 3).

    Pelvis at the origin, as body models output vertices (not BlazePose's hip-midpoint origin).
    """
    rotations = _check_rotations(rotations)
    world, joints = _forward_kinematics(rotations, REST_JOINTS if rest_joints is None else rest_joints)
    return joints, _points_from_skeleton(world, joints)


def _check_rotations(rotations: torch.Tensor, name: str = "rotations") -> torch.Tensor:
    if not isinstance(rotations, torch.Tensor):
        rotations = torch.as_tensor(np.asarray(rotations, dtype=np.float32))
    if rotations.ndim == 3:
        rotations = rotations[None]
    if rotations.ndim != 4 or rotations.shape[1:] != (NUM_JOINTS, 3, 3):
        raise ValueError(f"{name} must have shape (B, 24, 3, 3), got {tuple(rotations.shape)}")
    if not torch.isfinite(rotations).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return rotations.float()


# ---------------------------------------------------------------------------------------------
# Synthetic landmarks
# ---------------------------------------------------------------------------------------------

# Bone groups that share one random length factor (left and right alike, as in real bodies).
_BONE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("left_hip", "right_hip"), ("left_knee", "right_knee"), ("left_ankle", "right_ankle"),
    ("spine1", "spine2", "spine3"), ("neck", "head"), ("left_collar", "right_collar"),
    ("left_shoulder", "right_shoulder"), ("left_elbow", "right_elbow"), ("left_wrist", "right_wrist"),
)
# Truncation levels: the landmarks a frame edge cuts away (hips and below, knees and below, feet).
_TRUNCATIONS = (tuple(range(23, 33)), LOWER_BODY, tuple(range(27, 33)))


def synthetic_landmarks(
    rotations: torch.Tensor,
    generator: torch.Generator | None = None,
    noise_m: float = 0.0,
    depth_noise_m: float | None = None,
    scale_std: float = 0.0,
    bone_std: float = 0.0,
    drop_prob: float = 0.0,
    truncate_prob: float = 0.0,
    hidden_noise_m: float = 0.06,
    rest_joints: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The BlazePose world landmarks of posed bodies, optionally as a noisy detector reports them.

    Args:
        rotations: (B, 24, 3, 3) local rotations; joint 0 relative to the camera.
        generator: torch random generator for every random choice (reproducible data).
        noise_m: Gaussian noise per axis (metres) on every point; ``depth_noise_m`` for z
            (default: the same), since monocular depth is the least certain coordinate.
        scale_std: per-person body size, log-normal with this spread (0.05 ≈ ±9 cm of height).
        bone_std: per-person relative length change of each bone group (left = right).
        drop_prob: chance that a landmark is occluded: visibility in [0, 0.3) and its point
            off by ``hidden_noise_m`` more (the detector still guesses it).
        truncate_prob: chance that the frame's lower edge cuts the body at the hips, knees or
            ankles; the cut landmarks get visibility below 0.1 and guessed points.
    Returns:
        points (B, 33, 3) metres, camera-aligned SMPL frame, origin at the midpoint of the two
        hip points (as BlazePose), and visibility (B, 33) in [0, 1] (1 where seen).
    """
    rotations = _check_rotations(rotations)
    for name, value in (("noise_m", noise_m), ("scale_std", scale_std), ("bone_std", bone_std),
                        ("hidden_noise_m", hidden_noise_m), ("depth_noise_m", depth_noise_m or 0.0)):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a non-negative number, got {value}")
    for name, value in (("drop_prob", drop_prob), ("truncate_prob", truncate_prob)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {value}")
    batch = rotations.shape[0]
    rest = (REST_JOINTS if rest_joints is None else rest_joints).to(rotations).expand(batch, NUM_JOINTS, 3)

    def normal(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator)

    def uniform(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=generator)

    size = torch.exp(scale_std * normal(batch)) if scale_std > 0 else torch.ones(batch)  # (B,)
    bones = _rest_bones(rest)  # (B, 24, 3)
    if bone_std > 0:
        factors = torch.ones(batch, NUM_JOINTS)
        for group in _BONE_GROUPS:
            factors[:, [_J[name] for name in group]] = (1.0 + bone_std * normal(batch, 1)).clamp(0.7, 1.3)
        bones = bones * factors[..., None]
    bones = bones * size[:, None, None]
    points = _transform_points(_forward_transforms(rotations, bones), size)  # (B, 33, 3)
    visibility = torch.ones(batch, NUM_LANDMARKS)

    hidden = torch.zeros(batch, NUM_LANDMARKS, dtype=torch.bool)
    if drop_prob > 0:
        dropped = uniform(batch, NUM_LANDMARKS) < drop_prob
        visibility = torch.where(dropped, 0.3 * uniform(batch, NUM_LANDMARKS), visibility)
        hidden |= dropped
    if truncate_prob > 0:
        cut = uniform(batch) < truncate_prob
        level = torch.randint(len(_TRUNCATIONS), (batch,), generator=generator)
        for index, marks in enumerate(_TRUNCATIONS):
            rows = cut & (level == index)
            mask = torch.zeros(batch, NUM_LANDMARKS, dtype=torch.bool)
            mask[rows[:, None] & torch.isin(torch.arange(NUM_LANDMARKS), torch.tensor(marks))[None]] = True
            visibility = torch.where(mask, 0.1 * uniform(batch, NUM_LANDMARKS), visibility)
            hidden |= mask
    if noise_m > 0 or (depth_noise_m or 0) > 0:
        sigma = torch.tensor([noise_m, noise_m, noise_m if depth_noise_m is None else depth_noise_m])
        points = points + normal(batch, NUM_LANDMARKS, 3) * sigma
    if hidden.any() and hidden_noise_m > 0:
        points = points + hidden[..., None] * hidden_noise_m * normal(batch, NUM_LANDMARKS, 3)
    points = points - points[:, list(_HIPS)].mean(dim=1, keepdim=True)  # BlazePose's origin
    return points, visibility


# ---------------------------------------------------------------------------------------------
# Fitting
# ---------------------------------------------------------------------------------------------

MIN_SEEN_LANDMARKS = 4  # fewer landmarks with visibility ≥ 0.3 than this: no fit, result flagged
ROBUST_SCALE_M = 0.05  # Cauchy loss scale: residuals beyond ~5 cm count less and less
DEFAULT_ITERATIONS = 40
# Weight of depth (z) against the image plane (x, y) in the landmark loss of photo fits. BlazePose's
# metric depth is its weakest output: on the rendered eval scenes its z is off by ~104 mm per
# joint, its world x/y by ~55 mm, and x/y taken from its 2D image points (through the person's
# weak-perspective scale) by ~39 mm. So photo fits take x/y from the image points and keep z
# only as a weak hint; the fixed bone lengths then set how far each limb leans in depth.
# Measured over 90 people (fit PA-MPJPE): z weight 1 with world x/y 86.4 mm; with image x/y and
# z weight 1 / 0.3 / 0.1 / 0.03 / 0: 83.6 / 82.0 / 80.5 / 79.3 / 81.8 mm. 0.1, not 0.03: with exact
# image points and unseen legs (tests/test_vision_fit.py) 0.03 left too little depth to pick
# which way the arms lean (arm joints 50 mm off, against < 40 mm at 0.1).
PHOTO_DEPTH_WEIGHT = 0.1
DEFAULT_PRIOR_WEIGHT = 0.05

_ELBOWS = (_J["left_elbow"], _J["right_elbow"])
_KNEES = (_J["left_knee"], _J["right_knee"])
_HIP_JOINTS = (_J["left_hip"], _J["right_hip"])
_ALWAYS_NEAR_PRIOR = tuple(_J[n] for n in ("left_foot", "right_foot", "left_hand", "right_hand"))
# Soft rotation limits (degrees) of joints that have no hinge: beyond them the prior grows fast.
# They cover the library and mocap poses (kneeling ankles reach 65°, mocap necks 60–77°).
_ANGLE_LIMITS_DEG: dict[str, float] = {
    "spine1": 30, "spine2": 30, "spine3": 25, "neck": 65, "head": 65,
    "left_collar": 20, "right_collar": 20, "left_ankle": 70, "right_ankle": 70,
    "left_wrist": 80, "right_wrist": 80,
}
_LIMITED = torch.tensor([_J[n] for n in _ANGLE_LIMITS_DEG])
_LIMIT_COS = torch.tensor([math.cos(math.radians(v)) for v in _ANGLE_LIMITS_DEG.values()])
# Joints held gently near their rest rotation (spread spine bends, keep collars still).
_STIFFNESS = torch.zeros(NUM_JOINTS)
for _name, _value in {"spine1": 0.05, "spine2": 0.05, "spine3": 0.05, "neck": 0.02, "head": 0.01,
                      "left_collar": 0.3, "right_collar": 0.3}.items():
    _STIFFNESS[_J[_name]] = _value
# Flexion ranges (degrees) of the hinges, in `_PRIOR_ELEMENTS` order: left/right elbow, knee.
_HINGE_RANGE_DEG = ((-5.0, 150.0), (-5.0, 150.0), (-10.0, 160.0), (-10.0, 160.0))
_HIP_TWIST_WEIGHT = 0.03
_HIP_INDEX = torch.tensor(_HIP_JOINTS)
_HIP_CENTRING = torch.eye(NUM_LANDMARKS) - 0.5 * torch.eye(NUM_LANDMARKS)[list(_HIPS)].sum(0)  # (33, 33)


def neutral_rotations(batch: int = 1) -> torch.Tensor:
    """(B, 24, 3, 3) the pose assumed for unseen joints when no prior is given: upright, arms down."""
    axis_angle = torch.zeros(batch, NUM_JOINTS, 3)
    axis_angle[:, _J["left_shoulder"], 2] = -math.radians(70)
    axis_angle[:, _J["right_shoulder"], 2] = math.radians(70)
    return axis_angle_to_matrix(axis_angle)


@dataclass(frozen=True)
class FitResult:
    """Fitted poses of a batch, with enough to place them and judge them."""

    rotations: torch.Tensor  # (B, 24, 3, 3) local rotations, camera-aligned SMPL frame
    joints: torch.Tensor  # (B, 24, 3) default-skeleton joints, pelvis at the origin
    points: torch.Tensor  # (B, 33, 3) landmark-equivalent points of the same skeleton
    scale: torch.Tensor  # (B,) person size ÷ default skeleton
    error_m: torch.Tensor  # (B,) mean distance of fitted to seen landmarks (NaN where not valid)
    valid: torch.Tensor  # (B,) bool: enough landmarks were seen to fit at all
    offset: torch.Tensor  # (B, 3) where the fitted hip midpoint lies in the landmark frame

    def __len__(self) -> int:
        return int(self.rotations.shape[0])

    def placed(self, points: torch.Tensor) -> torch.Tensor:
        """(B, K, 3) points of the fitted skeleton (pelvis-origin frame, e.g. ``joints``) → the
        landmark frame the fit was made in: scaled, origin at the landmarks' hip midpoint."""
        hips = self.points[:, list(_HIPS)].mean(dim=1, keepdim=True)  # (B, 1, 3)
        return self.scale[:, None, None] * (points - hips) + self.offset[:, None, :]

    def placed_joints(self) -> torch.Tensor:
        """(B, 24, 3) fitted joints where the landmarks are: comparable to ``world_points``."""
        return self.placed(self.joints)

    def poses(self) -> Pose:
        """The fits as one `Pose` batch (axis-angle)."""
        return Pose.from_rotation_matrices(self.rotations)


def _as_inputs(world_points: object, visibility: object) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate shapes; non-finite points or visibilities become unseen landmarks."""
    points = torch.as_tensor(np.asarray(world_points, dtype=np.float32)) if not isinstance(world_points, torch.Tensor) else world_points
    seen = torch.as_tensor(np.asarray(visibility, dtype=np.float32)) if not isinstance(visibility, torch.Tensor) else visibility
    points, seen = points.detach().float().cpu(), seen.detach().float().cpu()
    if points.ndim == 2:
        points = points[None]
    if seen.ndim == 1:
        seen = seen[None]
    if points.ndim != 3 or points.shape[1:] != (NUM_LANDMARKS, 3):
        raise ValueError(f"world_points must have shape (B, 33, 3), got {tuple(points.shape)}")
    if seen.shape != points.shape[:2]:
        raise ValueError(f"visibility must have shape {tuple(points.shape[:2])}, got {tuple(seen.shape)}")
    finite = torch.isfinite(points).all(-1) & torch.isfinite(seen)  # (B, 33)
    seen = torch.where(finite, seen.clamp(0.0, 1.0), torch.zeros_like(seen))
    points = torch.where(finite[..., None], points, torch.zeros_like(points))
    return points, seen


def _landmark_weights(visibility: torch.Tensor) -> torch.Tensor:
    """(B, 33) visibility → fit weight: nothing below 0.1, full weight from 0.8."""
    return ((visibility - 0.1) / 0.7).clamp(0.0, 1.0)


def _normalised(v: torch.Tensor) -> torch.Tensor:
    return v / v.norm(dim=-1, keepdim=True).clamp_min(1e-8)


def _frame(a_rest: torch.Tensor, b_rest: torch.Tensor, a_world: torch.Tensor, b_world: torch.Tensor) -> torch.Tensor:
    """The rotation taking direction a_rest exactly onto a_world and b_rest's plane onto b_world's.

    All (..., 3); returns (..., 3, 3). b is only used for the part perpendicular to a.
    """
    def basis(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        x = _normalised(a)
        y = _normalised(b - (b * x).sum(-1, keepdim=True) * x)
        return torch.stack([x, y, torch.cross(x, y, dim=-1)], dim=-1)  # columns

    return basis(a_world, b_world) @ basis(a_rest, b_rest).transpose(-1, -2)


def _limb_frames(
    upper: torch.Tensor, lower: torch.Tensor, upper_rest: torch.Tensor, hinge_rest: torch.Tensor,
    hinge_sign: float, fallback_hinge: torch.Tensor,
) -> torch.Tensor:
    """World rotation of a limb's root joint: bone along `upper`, hinge axis normal to the limb plane.

    upper/lower (B, 3) world bone vectors; the hinge is ``hinge_sign · (upper × lower)`` when the
    limb is bent, and falls back to the parent's hinge direction when it is nearly straight.
    """
    normal = torch.cross(upper, lower, dim=-1)  # (B, 3)
    bend = normal.norm(dim=-1, keepdim=True) / (upper.norm(dim=-1, keepdim=True) * lower.norm(dim=-1, keepdim=True)).clamp_min(1e-8)
    trust = (bend / math.sin(math.radians(25))).clamp(0.0, 1.0)  # (B, 1)
    hinge = trust * hinge_sign * _normalised(normal) + (1 - trust) * fallback_hinge
    return _frame(upper_rest.expand_as(upper), hinge_rest.expand_as(upper), upper, hinge)


def _rest_landmarks() -> torch.Tensor:
    world = torch.eye(3).expand(1, NUM_JOINTS, 3, 3)
    return _points_from_skeleton(world, REST_JOINTS[None])[0]  # (33, 3)


def initial_rotations(points: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Analytic inverse kinematics: (B, 33, 3) landmarks, (B, 33) weights → (B, 24, 3, 3) local rotations.

    Torso frame from the hip line and the hip→shoulder direction; each arm and leg from its two
    bone directions, with the elbow/knee hinge normal to the limb's plane; hands and feet from
    their landmark triangles; the head from ears, eyes and nose (split between neck and head).
    Joints whose landmarks are unseen keep their parent's orientation (identity).
    """
    batch = points.shape[0]
    rest_points = _rest_landmarks().to(points)  # (33, 3)
    rest = REST_JOINTS.to(points)
    P = points
    seen = weights > 0.3  # (B, 33)
    eye = torch.eye(3, dtype=points.dtype).expand(batch, 3, 3)
    world: dict[int, torch.Tensor] = {}

    def both(a: int, b: int) -> torch.Tensor:
        return (seen[:, a] & seen[:, b])[:, None, None]  # (B, 1, 1)

    # Torso: x along the hips (the shoulders when hips are unseen), y up the trunk.
    hips_seen = both(*_HIPS)[:, :, 0]
    across = torch.where(hips_seen, P[:, _HIPS[0]] - P[:, _HIPS[1]], P[:, _SHOULDERS[0]] - P[:, _SHOULDERS[1]])
    shoulders_mid = P[:, list(_SHOULDERS)].mean(1)
    trunk_up = torch.where(both(*_SHOULDERS)[:, :, 0], shoulders_mid - P[:, list(_HIPS)].mean(1), torch.tensor([0.0, 1.0, 0.0]))
    rest_across = rest[_J["left_hip"]] - rest[_J["right_hip"]]
    rest_up = rest[[_J["left_shoulder"], _J["right_shoulder"]]].mean(0) - rest[[_J["left_hip"], _J["right_hip"]]].mean(0)
    pelvis = _frame(rest_across.expand_as(across), rest_up.expand_as(across), across, trunk_up)
    torso_seen = (hips_seen | both(*_SHOULDERS)[:, :, 0])[:, :, None]
    world[0] = torch.where(torso_seen, pelvis, eye)
    for name in ("spine1", "spine2", "spine3", "neck", "left_collar", "right_collar"):
        world[_J[name]] = world[0]

    def limb(side: str, root: str, middle: str, end: str, hinge_axis: int, hinge_sign: float) -> None:
        r, m, e = _J[f"{side}_{root}"], _J[f"{side}_{middle}"], _J[f"{side}_{end}"]
        lr, lm, le = _L[f"{side}_{root}"], _L[f"{side}_{middle}"], _L[f"{side}_{end}"]
        parent = world[SMPL_PARENTS[r]]
        hinge_rest = torch.zeros(3, dtype=points.dtype)
        hinge_rest[hinge_axis] = 1.0
        upper, lower = P[:, lm] - P[:, lr], P[:, le] - P[:, lm]
        root_world = _limb_frames(upper, lower, rest[m] - rest[r], hinge_rest, hinge_sign, parent[:, :, hinge_axis])
        root_world = torch.where(both(lr, lm), root_world, parent)
        middle_world = _frame((rest[e] - rest[m]).expand_as(lower), hinge_rest.expand_as(lower), lower, root_world[:, :, hinge_axis])
        middle_world = torch.where(both(lm, le), middle_world, root_world)
        world[r], world[m] = root_world, middle_world

    for side, sign in (("left", -1.0), ("right", 1.0)):
        limb(side, "shoulder", "elbow", "wrist", 1, sign)  # elbow hinge: y; forearm folds towards +z
        limb(side, "hip", "knee", "ankle", 0, 1.0)  # knee hinge: x; shin folds towards -z
        # Hand: knuckle midpoint direction and the index→pinky line.
        wrist, pinky, index = _L[f"{side}_wrist"], _L[f"{side}_pinky"], _L[f"{side}_index"]
        knuckles = P[:, [pinky, index]].mean(1) - P[:, wrist]
        knuckles_rest = rest_points[[pinky, index]].mean(0) - rest_points[wrist]
        hand = _frame(knuckles_rest.expand_as(knuckles), (rest_points[index] - rest_points[pinky]).expand_as(knuckles),
                      knuckles, P[:, index] - P[:, pinky])
        hand_seen = (seen[:, wrist] & seen[:, pinky] & seen[:, index])[:, None, None]
        world[_J[f"{side}_wrist"]] = torch.where(hand_seen, hand, world[_J[f"{side}_elbow"]])
        # Foot: heel→toe direction and the heel→ankle direction.
        ankle, heel, toe = _L[f"{side}_ankle"], _L[f"{side}_heel"], _L[f"{side}_foot_index"]
        along = P[:, toe] - P[:, heel]
        foot = _frame((rest_points[toe] - rest_points[heel]).expand_as(along), (rest_points[ankle] - rest_points[heel]).expand_as(along),
                      along, P[:, ankle] - P[:, heel])
        foot_seen = (seen[:, ankle] & seen[:, heel] & seen[:, toe])[:, None, None]
        world[_J[f"{side}_ankle"]] = torch.where(foot_seen, foot, world[_J[f"{side}_knee"]])

    # Head: forward = ear midpoint → nose, across = right → left (ears and eyes together).
    ears = [_L["left_ear"], _L["right_ear"]]
    eyes = [_L["left_eye"], _L["right_eye"]]
    forward = P[:, _L["nose"]] - P[:, ears].mean(1)
    sideways = (P[:, ears[0]] - P[:, ears[1]]) + (P[:, eyes[0]] - P[:, eyes[1]])
    forward_rest = rest_points[_L["nose"]] - rest_points[ears].mean(0)
    sideways_rest = (rest_points[ears[0]] - rest_points[ears[1]]) + (rest_points[eyes[0]] - rest_points[eyes[1]])
    head = _frame(forward_rest.expand_as(forward), sideways_rest.expand_as(forward), forward, sideways)
    face_seen = (seen[:, _L["nose"]] & seen[:, ears].all(-1) & seen[:, eyes].all(-1))[:, None, None]
    head = torch.where(face_seen, head, world[_J["spine3"]])
    # Half of the head's turn on the neck, half on the head joint.
    half = axis_angle_to_matrix(0.5 * matrix_to_axis_angle(world[_J["spine3"]].transpose(-1, -2) @ head))
    world[_J["neck"]] = world[_J["spine3"]] @ half
    world[_J["head"]] = head

    local = torch.empty(batch, NUM_JOINTS, 3, 3, dtype=points.dtype)
    for joint, parent in enumerate(SMPL_PARENTS):
        joint_world = world.get(joint, world[parent] if parent >= 0 else eye)
        world[joint] = joint_world
        local[:, joint] = joint_world if parent < 0 else world[parent].transpose(-1, -2) @ joint_world
    return local


def _initial_scale(points: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """(B,) person size ÷ default skeleton from the lengths of the seen bones and spans."""
    rest_points = _rest_landmarks().to(points)
    pairs = [(_L[f"{s}_{a}"], _L[f"{s}_{b}"]) for s in ("left", "right")
             for a, b in (("shoulder", "elbow"), ("elbow", "wrist"), ("hip", "knee"), ("knee", "ankle"), ("shoulder", "hip"))]
    pairs += [_SHOULDERS, _HIPS]
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    seen = weights[:, a] * weights[:, b]  # (B, K)
    observed = (points[:, a] - points[:, b]).norm(dim=-1)  # (B, K)
    expected = (rest_points[a] - rest_points[b]).norm(dim=-1)  # (K,)
    scale = (seen * observed).sum(-1) / (seen * expected).sum(-1).clamp_min(1e-6)
    return torch.where(seen.sum(-1) > 0.5, scale, torch.ones_like(scale)).clamp(0.5, 1.6)


def _element(joint: int, row: int, column: int) -> int:
    return joint * 9 + row * 3 + column


_LE, _RE, _LK, _RK = _ELBOWS + _KNEES
_LH, _RH = _HIP_JOINTS
# Matrix elements the prior reads, gathered in one go: every diagonal (traces), the hinge-axis
# element, flexion numerator and denominator of each hinge, and the hips' twist elements.
_PRIOR_ELEMENTS = torch.tensor(
    [_element(j, d, d) for j in range(NUM_JOINTS) for d in range(3)]
    + [_element(_LE, 1, 1), _element(_RE, 1, 1), _element(_LK, 0, 0), _element(_RK, 0, 0)]
    + [_element(_LE, 2, 0), _element(_RE, 2, 0), _element(_LK, 2, 1), _element(_RK, 2, 1)]
    + [_element(_LE, 0, 0), _element(_RE, 0, 0), _element(_LK, 1, 1), _element(_RK, 1, 1)]
    + [_element(_LH, 0, 2), _element(_RH, 0, 2), _element(_LH, 2, 0), _element(_RH, 2, 0)]
)
_PRIOR_SPLIT = [3 * NUM_JOINTS, 4, 4, 4, 4]
# Flexion = atan2(sign · numerator, denominator): left elbows flex by turning −y, right ones +y,
# knees by turning +x.
_FLEX_SIGN = torch.tensor([1.0, -1.0, 1.0, 1.0])
_HINGE_LOW, _HINGE_HIGH = torch.tensor(_HINGE_RANGE_DEG).deg2rad().T  # (4,) each
_LIMIT_ONE_MINUS_COS = torch.full((NUM_JOINTS,), 2.0)  # 2 = no limit (1 − cos θ never exceeds it)
_LIMIT_ONE_MINUS_COS[_LIMITED] = 1.0 - _LIMIT_COS
assert _HIP_JOINTS == (1, 2)  # the twist term slices them


def _prior_terms(local: torch.Tensor) -> torch.Tensor:
    """(B, 24, 3, 3) local rotations → (B,) how far the pose is from a human one.

    Elbows and knees turn about their hinge axis only (y for elbows, x for knees: ‖R·e − e‖² =
    2 − 2·R_aa) within their flexion range; the other joints stay within soft angle limits and
    near rest (spine, collars); thighs twist little (tan(τ/2) = q_y / q_w of the hip rotation).
    """
    batch = local.shape[0]
    diagonal, axis, numerator, denominator, twist = local.reshape(batch, -1)[:, _PRIOR_ELEMENTS].split(_PRIOR_SPLIT, dim=1)
    trace = diagonal.reshape(batch, NUM_JOINTS, 3).sum(-1)  # (B, 24) = 1 + 2 cos θ
    one_minus_cos = (3.0 - trace) * 0.5  # ≈ θ²/2
    flex = torch.atan2(numerator * _FLEX_SIGN, denominator)  # (B, 4)
    outside = (_HINGE_LOW - flex).clamp_min(0).square() + (flex - _HINGE_HIGH).clamp_min(0).square()
    joint_terms = 20.0 * (one_minus_cos - _LIMIT_ONE_MINUS_COS).clamp_min(0.0) + _STIFFNESS * one_minus_cos
    tan_half_twist = (twist[:, :2] - twist[:, 2:]) / (1.0 + trace[:, 1:3]).clamp_min(0.2)
    return ((2.0 - 2.0 * axis) * 2.0 + 10.0 * outside).sum(-1) + joint_terms.sum(-1) + _HIP_TWIST_WEIGHT * tan_half_twist.square().sum(-1)


_THREADS_LOCK = threading.Lock()
_THREADS_USERS = 0
_THREADS_SAVED = 1


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """torch on one intra-op thread while any fit runs (nested and concurrent fits are safe)."""
    global _THREADS_USERS, _THREADS_SAVED
    with _THREADS_LOCK:
        if _THREADS_USERS == 0:
            _THREADS_SAVED = torch.get_num_threads()
            if _THREADS_SAVED != 1:
                torch.set_num_threads(1)
        _THREADS_USERS += 1
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _THREADS_USERS -= 1
            if _THREADS_USERS == 0 and torch.get_num_threads() != _THREADS_SAVED:
                torch.set_num_threads(_THREADS_SAVED)


def fit_poses(
    world_points: torch.Tensor,
    visibility: torch.Tensor,
    init_rotations: torch.Tensor | None = None,
    iterations: int = DEFAULT_ITERATIONS,
    prior_rotations: torch.Tensor | None = None,
    prior_weight: float = DEFAULT_PRIOR_WEIGHT,
    single_thread: bool = True,
    depth_weight: float = 1.0,
) -> FitResult:
    """Fit SMPL rotations to BlazePose world landmarks, a batch of people at once.

    Args:
        world_points: (B, 33, 3) metres, camera-aligned SMPL frame (origin between the hips).
        visibility: (B, 33) in [0, 1]; non-finite points count as unseen.
        init_rotations: (B, 24, 3, 3) start; default: analytic inverse kinematics (unseen joints
            from ``prior_rotations`` or the neutral pose).
        iterations: Adam steps (0 = the start itself, scaled and placed).
        prior_rotations: (B, 24, 3, 3) a pose to stay near where the photo says little (e.g. the
            LLM head's pose): joints with unseen landmarks are pulled to it strongly, all joints
            by ``prior_weight``.
        single_thread: run torch on one intra-op thread during the fit (restored after). The
            fit is thousands of tiny ops; on a shared 2-core CPU two threads made it 5–8× slower
            (bench/fit.py measures both).
        depth_weight: weight of the z residuals against x and y (see `PHOTO_DEPTH_WEIGHT`).
    Returns:
        a `FitResult`; people with fewer than `MIN_SEEN_LANDMARKS` seen landmarks get the
        prior (or neutral) pose, ``valid`` False and NaN error.
    """
    points, seen = _as_inputs(world_points, visibility)
    batch = points.shape[0]
    if not (isinstance(iterations, int) and iterations >= 0):
        raise ValueError(f"iterations must be a non-negative integer, got {iterations!r}")
    if not (math.isfinite(prior_weight) and prior_weight >= 0):
        raise ValueError(f"prior_weight must be a non-negative number, got {prior_weight}")
    if init_rotations is not None:
        init_rotations = _check_rotations(init_rotations, "init_rotations")
        if init_rotations.shape[0] != batch:
            raise ValueError(f"init_rotations has {init_rotations.shape[0]} poses for {batch} people")
    if prior_rotations is not None:
        prior_rotations = _check_rotations(prior_rotations, "prior_rotations")
        if prior_rotations.shape[0] != batch:
            raise ValueError(f"prior_rotations has {prior_rotations.shape[0]} poses for {batch} people")
    if batch == 0:
        empty = torch.zeros(0)
        return FitResult(torch.zeros(0, NUM_JOINTS, 3, 3), torch.zeros(0, NUM_JOINTS, 3),
                         torch.zeros(0, NUM_LANDMARKS, 3), empty, empty, empty.bool(), torch.zeros(0, 3))
    with _one_thread() if single_thread else contextlib.nullcontext():
        return _fit_batch(points, seen, init_rotations, iterations, prior_rotations, prior_weight, depth_weight)


def _fit_batch(
    points: torch.Tensor, seen: torch.Tensor, init_rotations: torch.Tensor | None, iterations: int,
    prior_rotations: torch.Tensor | None, prior_weight: float, depth_weight: float = 1.0,
) -> FitResult:
    """`fit_poses` on validated inputs."""
    batch = points.shape[0]
    weights = _landmark_weights(seen)  # (B, 33)
    valid = (seen >= 0.3).sum(-1) >= MIN_SEEN_LANDMARKS  # (B,)
    weights = weights * valid[:, None]
    observed = (weights @ INFORMING_LANDMARKS.T).clamp(0.0, 1.0)  # (B, 24) how well each joint is seen
    target = prior_rotations if prior_rotations is not None else neutral_rotations(batch)
    if init_rotations is None:
        start = initial_rotations(points, weights)
        use_target = (observed < 0.5)[..., None, None]
        use_target[:, 0] = use_target[:, 0] & (observed[:, 0] < 0.25)[:, None, None]
        start = torch.where(use_target, target, start)
    else:
        start = init_rotations
    start = torch.where(valid[:, None, None, None], start, target)

    start_scale = _initial_scale(points, weights)
    # Start offset: the seen hips' midpoint (0 for BlazePose, whose origin it is); with a hip
    # unseen, the weighted mean residual of the placed start. Either way the offset need not
    # drift far (its step size is small).
    with torch.no_grad():
        start_centred = _HIP_CENTRING @ _transform_points(_forward_transforms(start, _rest_bones(REST_JOINTS)[None]))
        start_weights = (weights * LANDMARK_WEIGHTS)[..., None]  # (B, 33, 1)
        residual = (start_weights * (points - start_scale[:, None, None] * start_centred)).sum(1) / start_weights.sum(1).clamp_min(1e-6)
        hips_seen = (weights[:, list(_HIPS)] > 0.3).all(-1, keepdim=True)  # (B, 1)
        start_offset = torch.where(hips_seen, points[:, list(_HIPS)].mean(1), residual)  # (B, 3)
    # One leaf tensor per person: 24 × 6D rotation, log scale, offset (3) — one optimiser update.
    parameters = torch.cat([matrix_to_rotation_6d(start).reshape(batch, -1), start_scale.log()[:, None],
                            start_offset], dim=1).requires_grad_(True)  # (B, 148)
    rates = torch.cat([torch.full((NUM_JOINTS * 6,), 0.05), torch.full((4,), 0.01)])  # (148,) Adam step sizes
    target_6d = matrix_to_rotation_6d(target)  # (B, 24, 6)
    landmark_weights = weights * LANDMARK_WEIGHTS  # (B, 33)
    total_weight = landmark_weights.sum(-1).clamp_min(1e-6)  # (B,)
    pull = 1.0 * (1.0 - observed)  # (B, 24) unseen joints → target
    pull[:, list(_ALWAYS_NEAR_PRIOR)] = 1.0
    if prior_rotations is not None:
        pull = pull + prior_weight
    pull = pull * valid[:, None]
    bones = _rest_bones(REST_JOINTS)[None]  # (1, 24, 3)
    axis_weights = torch.tensor([1.0, 1.0, depth_weight])  # (3,) x, y in the image plane; z = depth

    def unpack(flat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        rotation_6d, log_scale, offset = flat.split([NUM_JOINTS * 6, 1, 3], dim=1)
        return rotation_6d.reshape(batch, NUM_JOINTS, 6), log_scale[:, 0], offset

    def place(rotations: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """→ transforms (B, 24, 4, 4) of the default skeleton, landmarks (B, 33, 3) placed on the targets."""
        transforms = _forward_transforms(rotations, bones)
        model = _transform_points(transforms)  # (B, 33, 3) pelvis at the origin
        centred = _HIP_CENTRING @ model  # BlazePose's origin: the hip midpoint
        return transforms, scale[:, None, None] * centred + shift[:, None, :]

    def objective(flat: torch.Tensor) -> torch.Tensor:
        rotation_6d, log_scale, offset = unpack(flat)
        rotations = rotation_6d_to_matrix(rotation_6d)
        _, fitted = place(rotations, log_scale.exp(), offset)
        squared = ((fitted - points).square() * axis_weights).sum(-1) * (1.0 / ROBUST_SCALE_M**2)  # (B, 33)
        data = (landmark_weights * torch.log1p(squared)).sum(-1) / total_weight
        prior = (pull * (rotation_6d - target_6d).square().sum(-1)).sum(-1)
        loss = data + 0.1 * prior + 0.05 * _prior_terms(rotations) + 0.5 * log_scale.square()
        return loss.sum()

    # Adam (β = 0.9, 0.999) written out: a handful of in-place ops per step, which matters when
    # one person's whole fit is a few milliseconds per step. Cosine decay to a tenth of the rate.
    first = torch.zeros_like(parameters)
    second = torch.zeros_like(parameters)
    for step in range(1, iterations + 1):
        (gradient,) = torch.autograd.grad(objective(parameters), parameters)
        with torch.no_grad():
            first.mul_(0.9).add_(gradient, alpha=0.1)
            second.mul_(0.999).addcmul_(gradient, gradient, value=0.001)
            decay = 0.1 + 0.45 * (1.0 + math.cos(math.pi * (step - 1) / iterations))
            step_size = decay / (1.0 - 0.9**step)
            denominator = (second / (1.0 - 0.999**step)).sqrt_().add_(1e-8)
            parameters.sub_(rates * step_size * first / denominator)
    rotation_6d, log_scale, offset = (part.detach() for part in unpack(parameters))

    with torch.no_grad():
        # People without enough landmarks get the prior (or neutral) pose itself: with no data
        # term, the joint-limit terms alone would otherwise bend it.
        rotations = torch.where(valid[:, None, None, None], rotation_6d_to_matrix(rotation_6d), target)
        scale = torch.where(valid, log_scale.exp(), torch.ones_like(log_scale))
        offset = torch.where(valid[:, None], offset, torch.zeros_like(offset))
        transforms, fitted = place(rotations, scale, offset)
        joints, model = transforms[..., :3, 3], _transform_points(transforms)
        distance = (fitted - points).norm(dim=-1)  # (B, 33)
        counted = (seen >= 0.5).float()
        counted = torch.where(counted.sum(-1, keepdim=True) > 0, counted, weights)
        error = (counted * distance).sum(-1) / counted.sum(-1).clamp_min(1e-6)
        error = torch.where(valid, error, torch.full_like(error, float("nan")))
    return FitResult(rotations, joints, model, scale, error, valid, offset)


# ---------------------------------------------------------------------------------------------
# Camera and people
# ---------------------------------------------------------------------------------------------


def fit_camera(points: np.ndarray | torch.Tensor, landmarks: PersonLandmarks) -> Camera:
    """Weak-perspective camera (u = s·x + tx, v = −s·y + ty) of a fitted body over the photo.

    ``points``: (33, 3) landmark-equivalent points of the fitted body, or its (24, 3) joints
    (then the 12 landmarks on joints are used), root-centred body frame — the frame body
    models output vertices in. Visibility-weighted least squares against the landmarks'
    image points; with fewer than two usable points (or a mirrored solution) the camera is
    taken from the person's box instead.
    """
    model = np.asarray(points.detach().cpu().numpy() if isinstance(points, torch.Tensor) else points, dtype=np.float64)
    image = np.asarray(landmarks.image_points, dtype=np.float64)
    weight = np.asarray(landmarks.visibility, dtype=np.float64)
    if image.shape != (NUM_LANDMARKS, 2) or weight.shape != (NUM_LANDMARKS,):
        raise ValueError(f"landmarks need (33, 2) image points and (33,) visibility, got {image.shape} and {weight.shape}")
    if model.shape == (NUM_JOINTS, 3):
        marks = [mark for mark, _ in JOINT_LANDMARKS]
        model, image, weight = model[[joint for _, joint in JOINT_LANDMARKS]], image[marks], weight[marks]
    elif model.shape != (NUM_LANDMARKS, 3):
        raise ValueError(f"points must be (33, 3) landmark points or (24, 3) joints, got {model.shape}")
    if not np.isfinite(model).all():
        raise ValueError("points contain NaN or infinite values")
    usable = np.isfinite(image).all(-1) & np.isfinite(weight)
    weight = np.where(usable, np.clip(weight, 0.0, 1.0), 0.0)
    weight = np.where(weight >= 0.2, weight, 0.0)
    image = np.where(usable[:, None], image, 0.0)
    if (weight > 0).sum() >= 2:
        total = weight.sum()
        mean_model = (weight[:, None] * model[:, :2]).sum(0) / total
        mean_image = (weight[:, None] * image).sum(0) / total
        dx, dy = (model[:, :2] - mean_model).T
        du, dv = (image - mean_image).T
        spread = (weight * (dx * dx + dy * dy)).sum()
        if spread > 1e-8:
            scale = (weight * (dx * du - dy * dv)).sum() / spread
            if scale > 1e-6:
                return Camera(scale, mean_image[0] - scale * mean_model[0], mean_image[1] + scale * mean_model[1])
    return _box_camera(model, landmarks.box)


def _box_camera(model: np.ndarray, box: tuple[float, float, float, float]) -> Camera:
    """The camera that fits the body's height into the box and centres it there."""
    try:
        x0, y0, x1, y1 = (float(v) for v in np.asarray(box, dtype=np.float64).reshape(4))
    except (TypeError, ValueError):
        raise ValueError(f"a person's box must be 4 numbers (x0, y0, x1, y1), got {box!r}") from None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x1 <= x0 or y1 <= y0:
        raise ValueError(f"cannot place a person without usable landmarks or box, got box {box}")
    low, high = model[:, :2].min(0), model[:, :2].max(0)
    scale = (y1 - y0) / max(float(high[1] - low[1]), 0.2)
    centre = (low + high) / 2
    return Camera(scale, (x0 + x1) / 2 - scale * centre[0], (y0 + y1) / 2 + scale * centre[1])


def _check_people(people: Sequence[PersonLandmarks]) -> list[PersonLandmarks]:
    people = list(people)
    for index, person in enumerate(people):
        if not isinstance(person, PersonLandmarks):
            raise ValueError(f"person {index} is a {type(person).__name__}, not PersonLandmarks")
    return people


def _person_arrays(person: PersonLandmarks) -> tuple[np.ndarray, np.ndarray]:
    """A person's (33, 3) fit targets (`image_plane_points`) and (33,) visibility as float32;
    malformed → all unseen."""
    try:
        points = np.asarray(person.world_points, dtype=np.float32)
        visibility = np.asarray(person.visibility, dtype=np.float32)
    except (TypeError, ValueError):
        points, visibility = np.zeros(0, np.float32), np.zeros(0, np.float32)
    if points.shape != (NUM_LANDMARKS, 3) or visibility.shape != (NUM_LANDMARKS,):
        return np.full((NUM_LANDMARKS, 3), np.nan, np.float32), np.zeros(NUM_LANDMARKS, np.float32)
    return image_plane_points(points, person.image_points, visibility), visibility


def image_plane_points(world_points: np.ndarray, image_points: object, visibility: np.ndarray) -> np.ndarray:
    """(33, 3) world points with x, y replaced by the image points seen through the person's
    weak-perspective camera (least squares u = s·x + a, v = −s·y + b over the seen landmarks), z kept.

    The world points come back unchanged when the image points are malformed or too few are seen."""
    world = np.asarray(world_points, dtype=np.float64)
    try:
        image = np.asarray(image_points, dtype=np.float64)
    except (TypeError, ValueError):
        return world.astype(np.float32)
    weight = np.where(np.asarray(visibility, dtype=np.float64) >= 0.5, visibility, 0.0)
    usable = np.isfinite(world).all(-1) & (np.isfinite(image).all(-1) if image.shape == (NUM_LANDMARKS, 2) else False)
    weight = np.where(usable, weight, 0.0)
    if image.shape != (NUM_LANDMARKS, 2) or (weight > 0).sum() < 4:
        return world.astype(np.float32)
    total = weight.sum()
    safe_world = np.where(usable[:, None], world, 0.0)
    safe_image = np.where(usable[:, None], image, 0.0)
    mean_world = (weight[:, None] * safe_world[:, :2]).sum(0) / total  # (2,)
    mean_image = (weight[:, None] * safe_image).sum(0) / total  # (2,)
    dx, dy = (safe_world[:, :2] - mean_world).T
    du, dv = (safe_image - mean_image).T
    spread = (weight * (dx * dx + dy * dy)).sum()
    scale = (weight * (dx * du - dy * dv)).sum() / spread if spread > 1e-8 else 0.0  # pixels per metre
    if not scale > 1e-6:
        return world.astype(np.float32)
    result = world.copy()
    result[:, 0] = np.where(usable, (image[:, 0] - mean_image[0]) / scale + mean_world[0], world[:, 0])
    result[:, 1] = np.where(usable, -(image[:, 1] - mean_image[1]) / scale + mean_world[1], world[:, 1])
    return result.astype(np.float32)


def fit_people(
    people: Sequence[PersonLandmarks],
    iterations: int = DEFAULT_ITERATIONS,
    prior_poses: Sequence[Pose] | None = None,
    prior_weight: float = DEFAULT_PRIOR_WEIGHT,
) -> list[FittedPerson]:
    """Fit every detected person in one batch (pose, camera, error); ``appearance`` left None.

    A person with too few seen landmarks, or malformed world points or visibility, still gets a
    record: the prior (or neutral) pose, a camera from their box and ``fit_error_m`` NaN; a
    person's malformed image points also give the box camera. ValueError only for a person that
    neither the landmarks nor the box can place.
    """
    people = _check_people(people)
    if not people:
        return []
    arrays = [_person_arrays(person) for person in people]
    world = torch.from_numpy(np.stack([points for points, _ in arrays]))  # (N, 33, 3)
    seen = torch.from_numpy(np.stack([visibility for _, visibility in arrays]))  # (N, 33)
    prior = None
    if prior_poses is not None:
        if len(prior_poses) != len(people):
            raise ValueError(f"{len(prior_poses)} prior poses for {len(people)} people")
        prior = torch.cat([pose[:1].rotation_matrices() for pose in prior_poses])
    result = fit_poses(world, seen, iterations=iterations, prior_rotations=prior, prior_weight=prior_weight,
                       depth_weight=PHOTO_DEPTH_WEIGHT)
    fitted = []
    for index, person in enumerate(people):
        camera = _person_camera(result.points[index].numpy(), person, bool(result.valid[index]), index)
        fitted.append(FittedPerson(person, Pose.from_rotation_matrices(result.rotations[index : index + 1]),
                                   camera, float(result.error_m[index])))
    return fitted


def _person_camera(model: np.ndarray, person: PersonLandmarks, valid: bool, index: int) -> Camera:
    """`fit_camera` where the landmarks allow it, else the box camera; a clear error when neither can."""
    if valid:
        try:
            return fit_camera(model, person)
        except ValueError:
            pass  # malformed image points or visibility: fall back to the box
    try:
        return _box_camera(model, person.box)
    except ValueError as error:
        raise ValueError(f"person {index}: {error}") from None


def fit_person(
    landmarks: PersonLandmarks,
    iterations: int = DEFAULT_ITERATIONS,
    prior_pose: Pose | None = None,
    prior_weight: float = DEFAULT_PRIOR_WEIGHT,
) -> FittedPerson:
    """One person's fitted pose and overlay camera (see `fit_people`)."""
    return fit_people([landmarks], iterations, None if prior_pose is None else [prior_pose], prior_weight)[0]


def refine_pose(landmarks: PersonLandmarks, pose: Pose, iterations: int = DEFAULT_ITERATIONS) -> Pose:
    """A decoded pose (e.g. the LLM head's) corrected by the person's landmarks.

    The photo decides what it shows; the given pose fills in what it does not (unseen legs,
    hands, twist) and is the prior everywhere. Landmarks too few or malformed to fit: the given
    pose comes back unchanged. No camera is fitted here (the person's own fit has one).
    """
    if not isinstance(pose, Pose) or len(pose) < 1:
        raise ValueError("refine_pose needs a Pose with at least one pose")
    (landmarks,) = _check_people([landmarks])
    points, visibility = _person_arrays(landmarks)
    prior = pose[:1]
    result = fit_poses(torch.from_numpy(points)[None], torch.from_numpy(visibility)[None], iterations=iterations,
                       prior_rotations=prior.rotation_matrices(), prior_weight=DEFAULT_PRIOR_WEIGHT,
                       depth_weight=PHOTO_DEPTH_WEIGHT)
    # Only the rotations come from the photo; body shape fields of the given pose are kept.
    return Pose.from_rotation_matrices(result.rotations, betas=prior.betas, phenotype=prior.phenotype)
