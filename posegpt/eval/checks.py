"""Geometric checks of a pose ("left wrist above head", "squatting", …) from its 24 joint positions.

Each check answers one yes/no question a prompt implies, so an evaluation can ask whether a pose
does what the words said without a reference body. Conventions:

- Input: (24, 3) SMPL joint positions (`Pose.joints()[i]`), metres, +y = world up, the body
  faces +z, the person's left on +x; the pelvis may be anywhere (poses are root-centred, the
  floor is unknown). The floor is taken to be the lowest joint: every pose is assumed to rest on
  something, which is what makes "sitting", "kneeling" and "lying" decidable from joints alone.
- Sizes are relative to the body's own bone lengths (`leg` = thigh + shin, `arm` = upper arm +
  forearm), which forward kinematics preserves, so the thresholds hold for any skeleton.
- Directions come from a body frame: for a person who is not lying, "up" is the world's up and
  "forward"/"left" are the horizontal heading of the hips and shoulders; for a lying person, "up"
  is the torso axis (towards the head) and "forward" the chest normal, so "arms above the head"
  means beyond the head along the body and "leg raised" means lifted off the floor's plane.
- Left and right are the person's own; `mirror_check_name` maps a check to its mirror image.
- Joint rotations that move no joint (a head turned about its own joint) are invisible here:
  head checks measure the head joint's position relative to the neck (a neck nod).
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Callable, Iterable

import numpy as np
import torch

from posegpt.pose import REST_JOINTS, SMPL_JOINT_NAMES, Pose

J = {name: index for index, name in enumerate(SMPL_JOINT_NAMES)}
SIDES = ("left", "right")
WORLD_UP = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)

# --- thresholds (bone-length units; angles in degrees) ---------------------------------------------
ABOVE_HEAD = 0.15  # arm lengths above the head joint (the head joint is at ear height; +0.15 ≈ forehead top)
ABOVE_SHOULDER = 0.10  # arm lengths above the shoulder joint
BELOW_SHOULDER = 0.10  # arm lengths below the shoulder joint
HANDS_TOGETHER = 0.30  # arm lengths between the two hands
NEAR_FACE = 0.35  # arm lengths from a hand to the face point
NEAR_HEAD = 0.30  # arm lengths from a hand (or wrist) to the head, face or crown point
ON_HIP = 0.45  # arm lengths from a hand to the hip joint of its side
ARM_DIRECTION = 0.60  # share of the arm's length reached along a direction ("arm forward")
BENT_ELBOW = 45.0  # elbow flexion (0 = straight)
BENT_KNEE = 40.0  # knee flexion
STRAIGHT_KNEE = 20.0
FEET_APART = 0.42  # leg lengths between the ankles (the rest stance is 0.25)
FEET_TOGETHER = 0.30
FOOT_RAISED = 0.15  # leg lengths one foot's lowest joint is above the other's
KNEE_RAISED = 0.15  # leg lengths one knee is above the other
LEG_FORWARD = 0.25  # leg lengths one ankle is ahead of the other
CONTACT = 0.12  # leg lengths above the lowest joint that still count as touching the floor
SEAT_CONTACT = 0.22  # the same for the pelvis joint, which sits ~10 cm above the buttocks (deep squat: 0.30)
BALANCE_MARGIN = 0.30  # leg lengths the centre of mass may lie outside the support polygon (squats: ≤ 0.22,
#                        chair sitting: ≥ 0.39 in the pose library; authored squats lean back a little)
SQUAT_KNEE = 70.0
SQUAT_PELVIS = 0.72  # leg lengths of pelvis height above the floor (standing: ≈ 1.15)
CROUCH_KNEE = 40.0
CROUCH_PELVIS = 0.92
STANDING_PELVIS = 0.95
THIGH_RAISED = -45.0  # thigh elevation above horizontal at which a thigh carries a seated body
SEATED_HIP = 30.0  # hip flexion (thigh towards the chest) of a seated body
BENT_HIP = 30.0  # mean hip flexion of a torso bent forward (a plank is straight: ~0)
UPRIGHT_TILT = 25.0  # torso axis from the world's up
SEATED_TILT = 60.0
CROUCHED_TILT = 75.0
BENT_FORWARD = 30.0  # torso pitch forward from upright
LEANING_BACK = 15.0  # torso pitch backward from upright
LYING_TORSO_SLOPE = 30.0  # torso axis within this many degrees of horizontal
LYING_TORSO_HEIGHT = 0.35  # leg lengths: every torso joint this close to the floor …
LYING_LEG_SLOPE = 35.0  # … or both legs (hip → ankle) this close to horizontal too (a body held level)
LYING_FACING = 0.5  # cosine between the chest normal and the world's up (60°)
HEAD_PITCH = 10.0  # nod beyond the rest skeleton's neck → head angle

_TRUNK = ("pelvis", "spine1", "spine2", "spine3")


def _unit(vector: torch.Tensor) -> torch.Tensor:
    return vector / vector.norm().clamp_min(1e-9)


def _angle(a: torch.Tensor, b: torch.Tensor) -> float:
    """Angle between two vectors in degrees."""
    cosine = float(torch.dot(_unit(a), _unit(b)).clamp(-1.0, 1.0))
    return math.degrees(math.acos(cosine))


def _orthonormal(left: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """`left` with its component along the unit vector `up` removed, normalised."""
    return _unit(left - torch.dot(left, up) * up)


class BodyGeometry:
    """Derived quantities of one pose's joints, each computed once (checks share them)."""

    def __init__(self, joints: torch.Tensor | np.ndarray) -> None:
        joints = torch.as_tensor(np.asarray(joints) if not isinstance(joints, torch.Tensor) else joints)
        if joints.shape != (len(SMPL_JOINT_NAMES), 3):
            raise ValueError(f"checks need (24, 3) joint positions, got {tuple(joints.shape)}")
        self.joints = joints.detach().to(torch.float64).cpu()  # (24, 3)

    def __getitem__(self, name: str) -> torch.Tensor:
        return self.joints[J[name]]

    # -- sizes ----------------------------------------------------------------------------------

    def _bone(self, a: str, b: str) -> float:
        return float((self[a] - self[b]).norm())

    @cached_property
    def leg(self) -> float:
        """Mean thigh + shin length (metres)."""
        return 0.5 * sum(self._bone(f"{s}_hip", f"{s}_knee") + self._bone(f"{s}_knee", f"{s}_ankle") for s in SIDES)

    @cached_property
    def arm(self) -> float:
        """Mean upper arm + forearm length (metres)."""
        return 0.5 * sum(
            self._bone(f"{s}_shoulder", f"{s}_elbow") + self._bone(f"{s}_elbow", f"{s}_wrist") for s in SIDES
        )

    # -- floor and support ----------------------------------------------------------------------

    @cached_property
    def floor(self) -> float:
        return float(self.joints[:, 1].min())

    def height(self, name: str) -> float:
        """Height of a joint above the floor (the lowest joint), metres."""
        return float(self[name][1]) - self.floor

    def touches_floor(self, name: str) -> bool:
        return self.height(name) < (SEAT_CONTACT if name == "pelvis" else CONTACT) * self.leg

    @cached_property
    def on_feet(self) -> bool:
        """The feet touch the floor and nothing else does but the hands (knees, seat, back, elbows)."""
        feet = any(self.touches_floor(f"{s}_{part}") for s in SIDES for part in ("ankle", "foot"))
        others = [f"{s}_{part}" for s in SIDES for part in ("knee", "shoulder", "elbow")]
        others += [*_TRUNK, "neck", "head"]
        return feet and not any(self.touches_floor(name) for name in others)

    @cached_property
    def centre_of_mass(self) -> torch.Tensor:
        """(3,) a mass-weighted mean of segment centres; fractions after Dempster (tabulated by Winter)."""
        parts: list[tuple[float, torch.Tensor]] = [
            (0.081, self["head"]),
            (0.497, torch.stack([self[name] for name in _TRUNK] + [self["neck"]]).mean(0)),
        ]
        for s in SIDES:
            parts += [
                (0.028, 0.5 * (self[f"{s}_shoulder"] + self[f"{s}_elbow"])),
                (0.016, 0.5 * (self[f"{s}_elbow"] + self[f"{s}_wrist"])),
                (0.006, self[f"{s}_hand"]),
                (0.100, 0.5 * (self[f"{s}_hip"] + self[f"{s}_knee"])),
                (0.0465, 0.5 * (self[f"{s}_knee"] + self[f"{s}_ankle"])),
                (0.0145, 0.5 * (self[f"{s}_ankle"] + self[f"{s}_foot"])),
            ]
        total = sum(weight for weight, _ in parts)
        return sum(weight * point for weight, point in parts) / total

    @cached_property
    def self_supported(self) -> bool:
        """The centre of mass is above the floor contacts (feet, knees, hands): nothing else is needed to hold the body up."""
        names = [f"{s}_{part}" for s in SIDES for part in ("ankle", "foot", "knee", "wrist", "hand")]
        contacts = [self[name][[0, 2]] for name in names if self.touches_floor(name)]  # ground-plane (x, z)
        if not contacts:
            return False
        return _distance_to_hull(self.centre_of_mass[[0, 2]], contacts) < BALANCE_MARGIN * self.leg

    # -- torso and frame -------------------------------------------------------------------------

    @cached_property
    def torso_axis(self) -> torch.Tensor:
        """Unit vector pelvis → neck."""
        return _unit(self["neck"] - self["pelvis"])

    @cached_property
    def torso_tilt(self) -> float:
        """Degrees between the torso axis and the world's up (0 = upright)."""
        return _angle(self.torso_axis, WORLD_UP)

    @cached_property
    def _side_line(self) -> torch.Tensor:
        """Right → left across hips and shoulders together."""
        return (self["left_hip"] - self["right_hip"]) + (self["left_shoulder"] - self["right_shoulder"])

    @cached_property
    def lying(self) -> bool:
        """The torso is level and either rests near the floor or the legs are level with it."""
        slope = abs(90.0 - self.torso_tilt)
        if slope >= LYING_TORSO_SLOPE:
            return False
        torso_low = max(self.height(name) for name in (*_TRUNK, "neck")) < LYING_TORSO_HEIGHT * self.leg
        return torso_low or all(abs(90.0 - _angle(self[f"{s}_ankle"] - self[f"{s}_hip"], WORLD_UP)) < LYING_LEG_SLOPE for s in SIDES)

    @cached_property
    def frame(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(up, left, forward) unit vectors of the body frame described in the module docstring."""
        if self.lying:
            up = self.torso_axis
        else:
            up = WORLD_UP
            if float(_orthonormal(self._side_line, up).norm()) < 0.5:  # hips/shoulders vertical: degenerate
                up = self.torso_axis
        left = _orthonormal(self._side_line, up)
        forward = torch.linalg.cross(left, up)  # left × up = forward (x × y = z at rest)
        return up, left, forward

    @property
    def up(self) -> torch.Tensor:
        return self.frame[0]

    @property
    def left(self) -> torch.Tensor:
        return self.frame[1]

    @property
    def forward(self) -> torch.Tensor:
        return self.frame[2]

    def along(self, name: str, direction: torch.Tensor) -> float:
        return float(torch.dot(self[name], direction))

    @cached_property
    def chest_normal(self) -> torch.Tensor:
        """Unit vector out of the chest (the torso's own forward)."""
        left = _orthonormal(self._side_line, self.torso_axis)
        return torch.linalg.cross(left, self.torso_axis)

    @cached_property
    def torso_pitch(self) -> tuple[float, float, float]:
        """Torso axis components along the heading frame (forward, left, up) — for bends and leans."""
        up, left, forward = self.frame
        axis = self.torso_axis
        return float(torch.dot(axis, forward)), float(torch.dot(axis, left)), float(torch.dot(axis, up))

    # -- limbs -----------------------------------------------------------------------------------

    def flexion(self, a: str, b: str, c: str) -> float:
        """Degrees the limb a→b→c is bent at b (0 = straight)."""
        return _angle(self[b] - self[a], self[c] - self[b])

    def elbow(self, side: str) -> float:
        return self.flexion(f"{side}_shoulder", f"{side}_elbow", f"{side}_wrist")

    def knee(self, side: str) -> float:
        return self.flexion(f"{side}_hip", f"{side}_knee", f"{side}_ankle")

    def thigh_elevation(self, side: str) -> float:
        """Degrees of the hip → knee direction above the horizontal plane (world up)."""
        thigh = _unit(self[f"{side}_knee"] - self[f"{side}_hip"])
        return math.degrees(math.asin(float(thigh[1].clamp(-1.0, 1.0))))

    def hip_flexion(self, side: str) -> float:
        """Signed degrees the thigh swings towards the chest from the torso's line (standing 0,
        sitting 90, folded > 90, the leg behind the body < 0)."""
        thigh = self[f"{side}_knee"] - self[f"{side}_hip"]
        return math.degrees(math.atan2(float(torch.dot(thigh, self.chest_normal)), float(torch.dot(thigh, -self.torso_axis))))

    def foot_level(self, side: str, direction: torch.Tensor) -> float:
        """The lower of the ankle and the foot joint along `direction`."""
        return min(self.along(f"{side}_ankle", direction), self.along(f"{side}_foot", direction))

    @cached_property
    def _upper_torso(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(up, forward) of the chest: spine3 → neck, and the normal of the shoulder line."""
        up = _unit(self["neck"] - self["spine3"])
        left = _orthonormal(self["left_shoulder"] - self["right_shoulder"], up)
        return up, torch.linalg.cross(left, up)

    @cached_property
    def face(self) -> torch.Tensor:
        """(3,) a point at the face: in front of the head joint (at the nose on the rest body)."""
        forward = self._upper_torso[1]
        return self["head"] + 0.9 * (self["head"] - self["neck"]).norm() * forward

    @cached_property
    def crown(self) -> torch.Tensor:
        """(3,) a point at the top of the head: past the head joint along neck → head by the
        neck's own distance from it. Why: a hand resting on top of the head (the library's
        "hands_on_head", "scratch_head_left") has its wrist ~0.32 arm lengths from the head joint,
        which sits at ear height, and ~0.13 from this point."""
        return self["head"] + (self["head"] - self["neck"])

    @cached_property
    def head_pitch(self) -> float:
        """Degrees the neck → head direction leans forward of the upper spine (rest ≈ 17)."""
        up, forward = self._upper_torso
        head = self["head"] - self["neck"]
        return math.degrees(math.atan2(float(torch.dot(head, forward)), float(torch.dot(head, up))))


def _distance_to_hull(point: torch.Tensor, corners: list[torch.Tensor]) -> float:
    """Distance from a 2-D point to the convex hull of a few 2-D points (0 inside)."""

    def cross(o: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> float:
        return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))

    n = len(corners)
    for i in range(n):  # inside any triangle of the corners = inside the hull
        for k in range(i + 1, n):
            for m in range(k + 1, n):
                a, b, c = corners[i], corners[k], corners[m]
                signs = (cross(a, b, point), cross(b, c, point), cross(c, a, point))
                if all(s >= 0 for s in signs) or all(s <= 0 for s in signs):
                    if abs(cross(a, b, c)) > 1e-12:
                        return 0.0
    best = min(float((point - corner).norm()) for corner in corners)
    for i in range(n):  # every hull edge is among the corner pairs
        for k in range(i + 1, n):
            a, b = corners[i], corners[k]
            edge = b - a
            length = float(torch.dot(edge, edge))
            if length < 1e-12:
                continue
            t = min(1.0, max(0.0, float(torch.dot(point - a, edge)) / length))
            best = min(best, float((point - (a + t * edge)).norm()))
    return best


# --- the checks ------------------------------------------------------------------------------------

Check = Callable[[BodyGeometry], bool]


def _wrist_above_head(side: str) -> Check:
    return lambda g: g.along(f"{side}_wrist", g.up) - g.along("head", g.up) > ABOVE_HEAD * g.arm


def _wrist_above_shoulder(side: str) -> Check:
    return lambda g: g.along(f"{side}_wrist", g.up) - g.along(f"{side}_shoulder", g.up) > ABOVE_SHOULDER * g.arm


def _wrist_below_shoulder(g: BodyGeometry, side: str) -> bool:
    return g.along(f"{side}_wrist", g.up) - g.along(f"{side}_shoulder", g.up) < -BELOW_SHOULDER * g.arm


def _hand_near_head(side: str) -> Check:
    def check(g: BodyGeometry) -> bool:
        distances = [float((g[f"{side}_{part}"] - target).norm()) for part in ("hand", "wrist")
                     for target in (g["head"], g.face, g.crown)]
        return min(distances) < NEAR_HEAD * g.arm

    return check


def _hand_on_hip(g: BodyGeometry, side: str) -> bool:
    near = float((g[f"{side}_hand"] - g[f"{side}_hip"]).norm()) < ON_HIP * g.arm
    outward = float(torch.dot(g[f"{side}_elbow"] - g[f"{side}_shoulder"], g.left)) * (1 if side == "left" else -1) > 0
    return near and outward and g.elbow(side) > BENT_ELBOW


def _arm_along(g: BodyGeometry, side: str, direction: torch.Tensor) -> bool:
    reach = float(torch.dot(g[f"{side}_wrist"] - g[f"{side}_shoulder"], direction))
    return reach > ARM_DIRECTION * g.arm


def _arm_forward(side: str) -> Check:
    return lambda g: _arm_along(g, side, g.forward)


def _arm_out(g: BodyGeometry, side: str) -> bool:
    return _arm_along(g, side, g.left if side == "left" else -g.left)


def _elbow_bent(side: str) -> Check:
    return lambda g: g.elbow(side) > BENT_ELBOW


def _knee_bent(side: str) -> Check:
    return lambda g: g.knee(side) > BENT_KNEE


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


def _foot_raised(side: str) -> Check:
    return lambda g: g.foot_level(side, g.up) - g.foot_level(_other(side), g.up) > FOOT_RAISED * g.leg


def _knee_raised(side: str) -> Check:
    def check(g: BodyGeometry) -> bool:
        higher = g.along(f"{side}_knee", g.up) - g.along(f"{_other(side)}_knee", g.up) > KNEE_RAISED * g.leg
        thigh = _unit(g[f"{side}_knee"] - g[f"{side}_hip"])
        return higher and float(torch.dot(thigh, g.up)) > -math.sin(math.radians(50.0))

    return check


def _leg_forward(side: str) -> Check:
    return lambda g: g.along(f"{side}_ankle", g.forward) - g.along(f"{_other(side)}_ankle", g.forward) > LEG_FORWARD * g.leg


def _ankle_distance(g: BodyGeometry) -> float:
    return float((g["left_ankle"] - g["right_ankle"]).norm())


def _squatting(g: BodyGeometry) -> bool:
    return (
        not g.lying and g.on_feet and g.self_supported and g.torso_tilt < CROUCHED_TILT
        and all(g.knee(s) > SQUAT_KNEE for s in SIDES)
        and g.height("pelvis") < SQUAT_PELVIS * g.leg
    )


def _crouched(g: BodyGeometry) -> bool:
    return (
        not g.lying and g.on_feet and g.self_supported and g.torso_tilt < CROUCHED_TILT
        and all(g.knee(s) > CROUCH_KNEE for s in SIDES)
        and g.height("pelvis") < CROUCH_PELVIS * g.leg
    )


def _sitting(g: BodyGeometry) -> bool:
    """Both thighs carry the body (not hanging down), the torso is up, and the feet alone could not hold it."""
    return (
        not g.lying and g.torso_tilt < SEATED_TILT
        and all(g.thigh_elevation(s) > THIGH_RAISED and g.hip_flexion(s) > SEATED_HIP for s in SIDES)
        and not (g.on_feet and g.self_supported)
    )


def _kneeling(g: BodyGeometry) -> bool:
    """A knee on the floor and the seat off it (upright, on the heels, folded forward or on all fours)."""
    return not g.lying and not g.touches_floor("pelvis") and any(g.touches_floor(f"{s}_knee") for s in SIDES)


def _lying_facing(g: BodyGeometry, sign: float) -> bool:
    return g.lying and sign * float(torch.dot(g.chest_normal, WORLD_UP)) > LYING_FACING


def _bent_forward(g: BodyGeometry) -> bool:
    forward, left, up = g.torso_pitch
    pitch = math.degrees(math.atan2(forward, up))  # 0 upright, 90 horizontal, ~180 folded down
    hips = 0.5 * sum(g.hip_flexion(s) for s in SIDES)
    return not g.lying and forward > abs(left) and pitch > BENT_FORWARD and hips > BENT_HIP


def _leaning_back(g: BodyGeometry) -> bool:
    forward, left, up = g.torso_pitch
    return not g.lying and up > 0 and -forward > abs(left) and math.degrees(math.atan2(-forward, up)) > LEANING_BACK


def _upright_standing(g: BodyGeometry) -> bool:
    return (
        not g.lying and g.on_feet and g.torso_tilt < UPRIGHT_TILT
        and g.height("pelvis") > STANDING_PELVIS * g.leg
    )


_REST_HEAD_PITCH = BodyGeometry(REST_JOINTS).head_pitch

_CHECKS: dict[str, Check] = {
    "both_wrists_above_head": lambda g: all(_wrist_above_head(s)(g) for s in SIDES),
    "left_wrist_above_head": _wrist_above_head("left"),
    "right_wrist_above_head": _wrist_above_head("right"),
    "left_wrist_above_shoulder": _wrist_above_shoulder("left"),
    "right_wrist_above_shoulder": _wrist_above_shoulder("right"),
    "wrists_below_shoulders": lambda g: all(_wrist_below_shoulder(g, s) for s in SIDES),
    "left_wrist_below_shoulder": lambda g: _wrist_below_shoulder(g, "left"),
    "right_wrist_below_shoulder": lambda g: _wrist_below_shoulder(g, "right"),
    "hands_together": lambda g: float((g["left_hand"] - g["right_hand"]).norm()) < HANDS_TOGETHER * g.arm,
    "hands_near_face": lambda g: all(float((g[f"{s}_hand"] - g.face).norm()) < NEAR_FACE * g.arm for s in SIDES),
    "left_hand_near_head": _hand_near_head("left"),
    "right_hand_near_head": _hand_near_head("right"),
    "hands_on_hips": lambda g: all(_hand_on_hip(g, s) for s in SIDES),
    "arms_out_to_sides": lambda g: all(_arm_out(g, s) for s in SIDES),
    "left_arm_out": lambda g: _arm_out(g, "left"),
    "right_arm_out": lambda g: _arm_out(g, "right"),
    "arms_forward": lambda g: all(_arm_forward(s)(g) for s in SIDES),
    "left_arm_forward": _arm_forward("left"),
    "right_arm_forward": _arm_forward("right"),
    "elbows_bent": lambda g: all(g.elbow(s) > BENT_ELBOW for s in SIDES),
    "left_elbow_bent": _elbow_bent("left"),
    "right_elbow_bent": _elbow_bent("right"),
    "knees_bent": lambda g: all(g.knee(s) > BENT_KNEE for s in SIDES),
    "left_knee_bent": _knee_bent("left"),
    "right_knee_bent": _knee_bent("right"),
    "legs_straight": lambda g: all(g.knee(s) < STRAIGHT_KNEE for s in SIDES),
    "feet_apart": lambda g: _ankle_distance(g) > FEET_APART * g.leg,
    "feet_together": lambda g: _ankle_distance(g) < FEET_TOGETHER * g.leg,
    "left_foot_raised": _foot_raised("left"),
    "right_foot_raised": _foot_raised("right"),
    "left_knee_raised": _knee_raised("left"),
    "right_knee_raised": _knee_raised("right"),
    "left_leg_forward": _leg_forward("left"),
    "right_leg_forward": _leg_forward("right"),
    "squatting": _squatting,
    "sitting": _sitting,
    "kneeling": _kneeling,
    "lying": lambda g: g.lying,
    "lying_on_back": lambda g: _lying_facing(g, 1.0),
    "lying_on_stomach": lambda g: _lying_facing(g, -1.0),
    "torso_upright": lambda g: not g.lying and g.torso_tilt < UPRIGHT_TILT,
    "torso_bent_forward": _bent_forward,
    "torso_leaning_back": _leaning_back,
    "head_down": lambda g: g.head_pitch - _REST_HEAD_PITCH > HEAD_PITCH,
    "head_up": lambda g: _REST_HEAD_PITCH - g.head_pitch > HEAD_PITCH,
    "upright_standing": _upright_standing,
    "crouched": _crouched,
}


def _on_joints(check: Check) -> Callable[[torch.Tensor], bool]:
    def run(joints: torch.Tensor) -> bool:
        return bool(check(BodyGeometry(joints)))

    return run


#: Every check by name, each a function of (24, 3) joint positions → bool.
CHECKS: dict[str, Callable[[torch.Tensor], bool]] = {name: _on_joints(check) for name, check in _CHECKS.items()}


def _joints_of(pose: Pose | torch.Tensor | np.ndarray) -> torch.Tensor:
    if isinstance(pose, Pose):
        if len(pose) != 1:
            raise ValueError(f"run_checks takes one pose, got a batch of {len(pose)}")
        return pose.joints()[0]
    return torch.as_tensor(pose)


def run_checks(pose: Pose | torch.Tensor | np.ndarray, names: Iterable[str]) -> dict[str, bool]:
    """Evaluate the named checks on one pose (a `Pose` of length 1 or (24, 3) joints).

    Raises KeyError for an unknown check name, listing the known ones, so a typo in a data
    module cannot silently count as a failed check.
    """
    names = list(names)
    unknown = [name for name in names if name not in _CHECKS]
    if unknown:
        raise KeyError(f"unknown check(s) {unknown}; known: {', '.join(_CHECKS)}")
    geometry = BodyGeometry(_joints_of(pose))
    return {name: bool(_CHECKS[name](geometry)) for name in names}


def mirror_check_name(name: str) -> str:
    """The check that holds for the mirrored pose: left ↔ right swapped (unsided names unchanged)."""
    parts = name.split("_")
    swapped = "_".join({"left": "right", "right": "left"}.get(part, part) for part in parts)
    if swapped not in _CHECKS:
        raise KeyError(f"unknown check {name!r}")
    return swapped
