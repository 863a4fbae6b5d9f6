"""Pose → natural descriptions, from geometry only (PoseScript-style "posecodes").

There is no text–pose data offline, so training text is generated from the poses themselves, the
way PoseScript (Delmas et al., ECCV 2022) captions AMASS: measure elementary facts ("posecodes")
on the 3D joints — joint angles, distances, relative positions, torso/head orientation, global
orientation and ground contact — then *select* the salient ones, *aggregate* left + right into
"both", and *phrase* them with synonyms and varied sentence templates (third person, first person,
imperative, terse). The captioner never names a pose: naming is the named-pose library's job.
The words for each posecode and posture are data (``posegpt/data/catalogues/captioner.yaml``,
read on the first description); the measurements and the sentence frames are code.

Frame (see `posegpt.pose`): +y up, the body faces +z, the person's left on +x. "left"/"right" in
every posecode and sentence are the PERSON's own sides.

Descriptions are a pure function of (seed, pose, n): the same seed and pose give the same text.
"""

from __future__ import annotations

import functools
import hashlib
import os
import random
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from posegpt.data.catalogue import load
from posegpt.pose import REST_JOINTS, SMPL_JOINT_NAMES, SMPL_MIRROR, Pose, forward_kinematics

__all__ = ["Captioner", "Description", "Posecode", "POSTURES", "compute_posecodes"]

_J = {name: index for index, name in enumerate(SMPL_JOINT_NAMES)}
_SIDES = ("left", "right")
_OTHER = {"left": "right", "right": "left"}
_PART_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")  # {hand} or {other_leg} in an everyday wording
_OTHER_PART = "other_"  # {other_leg}: the part on the other side of the fact's
_UP = np.array([0.0, 1.0, 0.0])

# How far the body surface lies below each joint (m) when that part rests on the floor; used to
# find the ground (the lowest surface point) and which parts touch it.
_SURFACE_BELOW = np.array([
    0.10, 0.10, 0.10, 0.10, 0.06, 0.06, 0.10, 0.075, 0.075, 0.10, 0.03, 0.03,
    0.06, 0.06, 0.06, 0.10, 0.06, 0.06, 0.04, 0.04, 0.03, 0.03, 0.02, 0.02,
])  # (24,)
_CONTACT_TOLERANCE = 0.12  # m above the lowest surface point that still counts as touching the floor

#: Every posture (global orientation + support) a posecode of topic "posture" can take.
POSTURES: tuple[str, ...] = (
    "standing", "standing_one_leg", "sitting", "sitting_floor", "kneeling", "kneeling_one",
    "kneeling_on_heels", "squatting", "all_fours", "horizontal_face_down", "horizontal_face_up",
    "lying_back", "lying_stomach", "lying_side", "upside_down",
)
# Postures where "above the head", "raised", "off the ground" mean what they say in the world frame.
_UPRIGHT = {"standing", "standing_one_leg", "sitting", "sitting_floor", "kneeling", "kneeling_one",
            "kneeling_on_heels", "squatting"}
_LYING = {"lying_back", "lying_stomach", "lying_side"}


@dataclass(frozen=True)
class Posecode:
    """One elementary fact about a pose, e.g. (topic="elbow", value="ninety", side="left").

    ``side`` is the person's own side for sided facts ("both" only after aggregation), else None.
    ``salience`` says how much the fact defines the pose (0 = default, 1 = essential); ``measure``
    is the raw number it was categorised from (degrees or metres) so thresholds can be checked.
    """

    topic: str
    value: str
    side: str | None = None
    salience: float = 0.5
    measure: float = 0.0

    def __post_init__(self) -> None:  # plain floats, whatever numpy scalar the measurement was
        object.__setattr__(self, "salience", float(self.salience))
        object.__setattr__(self, "measure", float(self.measure))


# =============================================================================================
# Geometry: pose → posecodes
# =============================================================================================


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 1e-9 else np.zeros_like(vector)


def _angle_at(a: np.ndarray, joint: np.ndarray, b: np.ndarray) -> float:
    """Angle (degrees) at `joint` between the segments to `a` and `b`: 180 = straight limb."""
    cosine = float(np.dot(_unit(a - joint), _unit(b - joint)))
    return float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))


def _bend_category(angle: float) -> str:
    """PoseScript-like bend categories of a limb angle (180 = straight)."""
    if angle >= 155:
        return "straight"
    if angle >= 125:
        return "slightly_bent"
    if angle >= 105:
        return "bent"
    if angle >= 65:
        return "ninety"
    return "fully_bent"


class _Body:
    """Joint positions, world rotations, ground and reference frames of one pose (float64)."""

    def __init__(self, world_rotations: np.ndarray, joints: np.ndarray) -> None:
        self.R = world_rotations  # (24, 3, 3) columns = the joint's left/up/forward axes in the world
        self.p = joints  # (24, 3)
        surface = self.p[:, 1] - _SURFACE_BELOW  # (24,)
        self.ground = float(surface.min())
        self.touching = surface - self.ground < _CONTACT_TOLERANCE  # (24,) bool
        # Heading frame: world up plus the horizontal direction the hips face (for upright bodies).
        left = self.p[_J["left_hip"]] - self.p[_J["right_hip"]]
        left[1] = 0.0
        if np.linalg.norm(left) < 0.05:  # hips stacked vertically (lying on a side): use the pelvis axis
            left = self.R[0][:, 0].copy()
            left[1] = 0.0
        left = _unit(left) if np.linalg.norm(left) > 1e-6 else np.array([1.0, 0.0, 0.0])
        self.heading = np.stack([left, _UP, np.cross(left, _UP)], axis=1)  # (3, 3) columns left/up/fwd

    def at(self, name: str) -> np.ndarray:
        return self.p[_J[name]]

    def frame(self, name: str) -> np.ndarray:
        return self.R[_J[name]]

    def touches(self, *names: str) -> bool:
        return any(bool(self.touching[_J[name]]) for name in names)

    def height(self, name: str) -> float:
        """Height of a joint above the ground (m)."""
        return float(self.p[_J[name], 1] - self.ground)

    def palm(self, side: str) -> np.ndarray:
        return 0.5 * (self.at(f"{side}_wrist") + self.at(f"{side}_hand"))

    def hand_points(self, side: str) -> np.ndarray:
        """(5, 3) points from the wrist to the fingertips: what can touch another body part."""
        wrist, knuckles = self.at(f"{side}_wrist"), self.at(f"{side}_hand")
        return wrist + np.linspace(0.0, 2.0, 5)[:, None] * (knuckles - wrist)

    def head_point(self, up: float, forward: float) -> np.ndarray:
        """A point on the head, offset along the head's own up and forward axes."""
        frame = self.frame("head")
        return self.at("head") + up * frame[:, 1] + forward * frame[:, 2]


def _nearest(points: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Smallest distance between two point sets (N, 3), (M, 3), and the point of `points` there."""
    gaps = np.linalg.norm(points[:, None, :] - targets[None, :, :], axis=-1)  # (N, M)
    index = np.unravel_index(int(gaps.argmin()), gaps.shape)
    return float(gaps[index]), points[index[0]]


def _segment(a: np.ndarray, b: np.ndarray, count: int = 4) -> np.ndarray:
    """(count, 3) points evenly spaced from a to b."""
    return a + np.linspace(0.0, 1.0, count)[:, None] * (b - a)


def _posture(body: _Body) -> tuple[str, str | None]:
    """Global orientation and support: (posture, side) — side for one-leg/one-knee/lying-on-side."""
    trunk = _unit(body.at("neck") - body.at("pelvis"))
    ankles = 0.5 * (body.at("left_ankle") + body.at("right_ankle"))
    legs = _unit(ankles - body.at("pelvis"))
    pelvis_height = body.height("pelvis")
    knee_angles = {side: _knee_angle(body, side) for side in _SIDES}
    knee_down = {side: body.touches(f"{side}_knee") for side in _SIDES}
    foot_down = {side: body.touches(f"{side}_ankle", f"{side}_foot") for side in _SIDES}
    hands_down = any(body.touches(f"{side}_wrist", f"{side}_hand", f"{side}_elbow") for side in _SIDES)
    pelvis_down = body.touches("pelvis", "left_hip", "right_hip")
    back_down = body.touches("spine2", "spine3", "neck", "head", "left_shoulder", "right_shoulder")
    chest = body.frame("spine3")

    def lying() -> tuple[str, str | None]:  # which way the hips face (the chest may be propped up)
        pelvis = body.frame("pelvis")
        if pelvis[1, 2] > 0.5:
            return "lying_back", None
        if pelvis[1, 2] < -0.5:
            return "lying_stomach", None
        return "lying_side", ("left" if pelvis[1, 0] < 0 else "right")

    if trunk[1] < -0.5 and legs[1] > 0.3:
        return "upside_down", None
    shins_back = all(
        float(body.heading[:, 2] @ (body.at(f"{side}_ankle") - body.at(f"{side}_knee"))) < -0.15 for side in _SIDES
    )
    if (all(knee_down.values()) and max(knee_angles.values()) < 90 and shins_back
            and float(np.linalg.norm(body.at("pelvis") - ankles)) < 0.4):
        return "kneeling_on_heels", None
    if abs(trunk[1]) < 0.55:  # trunk about level
        if back_down:
            return lying()
        if not pelvis_down and hands_down and (any(foot_down.values()) or any(knee_down.values())):
            if any(knee_down.values()):
                return "all_fours", None
            return ("horizontal_face_down" if chest[1, 2] < 0 else "horizontal_face_up"), None
        if pelvis_height < 0.3 or back_down:
            return lying()
    if back_down and trunk[1] < 0.5:
        return lying()  # e.g. shoulders on the floor with the hips lifted
    if pelvis_down:
        # Hips on the floor: sitting when the thighs bend forward from the trunk, else lying with the
        # chest propped up (thighs in line with the trunk).
        flexions = [_thigh_angles(body, side, body.frame("pelvis"))[0] for side in _SIDES]
        if max(flexions) < 30 and trunk[1] < 0.85:
            return lying()
        return "sitting_floor", None
    kneeling_on = [side for side in _SIDES if knee_down[side] and knee_angles[side] < 135]
    if len(kneeling_on) == 2:
        return "kneeling", None
    if len(kneeling_on) == 1:
        return "kneeling_one", kneeling_on[0]
    if pelvis_height < 0.75 and all(foot_down.values()):
        thighs = [_thigh_angles(body, side)[0] for side in _SIDES]
        feet_forward = float(body.heading[:, 2] @ (ankles - body.at("pelvis")))
        if (all(55 < t < 125 for t in thighs) and min(knee_angles.values()) > 65 and _torso_tilt(body)[0] < 35
                and feet_forward > 0.25):
            return "sitting", None
        if max(knee_angles.values()) < 120 and min(thighs) > 40:
            return "squatting", None
    if pelvis_height < 0.75 and sum(foot_down.values()) == 1:
        thighs = [_thigh_angles(body, side)[0] for side in _SIDES]
        if all(55 < t < 125 for t in thighs) and _torso_tilt(body)[0] < 35:
            return "sitting", None  # sitting with one leg crossed over the other
    if sum(foot_down.values()) == 1:
        support = "left" if foot_down["left"] else "right"
        lifted = _OTHER[support]
        lifted_height = min(body.height(f"{lifted}_ankle") - 0.075, body.height(f"{lifted}_foot") - 0.03)
        if lifted_height > _CONTACT_TOLERANCE:
            return "standing_one_leg", support
    return "standing", None


def _knee_angle(body: _Body, side: str) -> float:
    return _angle_at(body.at(f"{side}_hip"), body.at(f"{side}_knee"), body.at(f"{side}_ankle"))


def _thigh_angles(body: _Body, side: str, frame: np.ndarray | None = None) -> tuple[float, float]:
    """(flexion, abduction) of a thigh, degrees, in `frame` (default: the heading frame, so that
    "leg lifted forward" means forward and up in the world): flexion 90 = thigh forward and level,
    negative = thigh behind; abduction > 0 = out to the person's own side."""
    frame = body.heading if frame is None else frame
    thigh = frame.T @ _unit(body.at(f"{side}_knee") - body.at(f"{side}_hip"))
    outward = thigh[0] if side == "left" else -thigh[0]
    flexion = float(np.degrees(np.arctan2(thigh[2], -thigh[1])))
    abduction = float(np.degrees(np.arctan2(outward, np.hypot(thigh[1], thigh[2]))))
    return flexion, abduction


def _torso_tilt(body: _Body) -> tuple[float, float]:
    """(pitch, roll) of the trunk (pelvis → neck) from vertical, degrees, in the heading frame:
    pitch > 0 leans forward, roll > 0 leans to the person's left."""
    trunk = body.heading.T @ _unit(body.at("neck") - body.at("pelvis"))  # (left, up, forward)
    return float(np.degrees(np.arctan2(trunk[2], trunk[1]))), float(np.degrees(np.arctan2(trunk[0], trunk[1])))


def _arm_direction(body: _Body, side: str, frame: np.ndarray, lying: str | None) -> tuple[str, float] | None:
    """Where a fairly straight arm points (shoulder → wrist) in `frame` (columns left/up/forward)."""
    d = frame.T @ _unit(body.at(f"{side}_wrist") - body.at(f"{side}_shoulder"))
    up, forward = d[1], d[2]
    out = d[0] if side == "left" else -d[0]
    if lying is not None:  # torso frame of a lying body: "up" runs along the body past the head
        if lying == "lying_back" and forward > 0.7:
            return "to_ceiling", forward
        if up > 0.7:
            return "overhead", up
    elif up > 0.9:
        return "up", up
    if up > 0.35 and out > 0.3:
        return "up_side", up
    if up > 0.35 and forward > 0.45:
        return "up_forward", up
    if up > 0.35 and out < -0.3:
        return "up_across", up
    if out > 0.75:
        return "side", out
    if forward > 0.75:
        return "forward", forward
    if up < -0.8:
        return "down", up
    if up < -0.35 and out > 0.45:
        return "down_side", out
    if up < -0.35 and forward > 0.45:
        return "down_forward", forward
    if up < -0.35 and forward < -0.45:
        return "down_back", forward
    if forward < -0.5:
        return "back", forward
    if out < -0.5:
        return "across", out
    return None


_ARM_SALIENCE = {
    "up": 0.95, "overhead": 0.9, "to_ceiling": 0.85, "up_side": 0.85, "up_forward": 0.85, "up_across": 0.85,
    "side": 0.9, "forward": 0.9, "down_side": 0.6, "down_forward": 0.6, "down_back": 0.5, "back": 0.75,
    "across": 0.75, "down": 0.12,
}
_BEND_SALIENCE = {"straight": 0.3, "slightly_bent": 0.25, "bent": 0.5, "ninety": 0.75, "fully_bent": 0.8}
_HAND_TARGET_SALIENCE = {
    "face": 0.95, "chin": 0.9, "head": 0.9, "back_of_head": 0.9, "side_of_head": 0.85, "chest": 0.8,
    "stomach": 0.7, "shoulder_same": 0.85, "shoulder_other": 0.85, "hip_same": 0.85, "hip_other": 0.8,
    "knee_same": 0.8, "knee_other": 0.8, "foot_same": 0.85, "foot_other": 0.85,
}


def _hand_target(body: _Body, side: str) -> tuple[str, float] | None:
    """The body part a hand (wrist to fingertips) touches or nearly touches: (target, gap in m).

    The head is one sphere; where the hand meets it, in the head's own frame, decides chin / face /
    back / top / side of the head. Other parts are short segments with a reach; the nearest
    relative to its reach wins.
    """
    other = _OTHER[side]
    hand = body.hand_points(side)  # (5, 3)
    head_centre = body.head_point(0.08, 0.02)
    gap, point = _nearest(hand, head_centre[None])
    chin_gap, _ = _nearest(hand, body.head_point(-0.05, 0.08)[None])
    if gap < 0.19 or chin_gap < 0.08:
        _, up, forward = body.frame("head").T @ (point - head_centre)  # the hand point nearest the head
        if up < -0.08 and forward > 0.02:
            return "chin", min(gap, chin_gap)
        if forward > 0.06:
            return "face", gap
        if forward < -0.03:
            return "back_of_head", gap
        if up > 0.1:
            return "head", gap
        return "side_of_head", gap
    pelvis, chest = body.frame("pelvis"), body.frame("spine3")
    out = {"left": pelvis[:, 0], "right": -pelvis[:, 0]}  # each side's outward direction

    def waist(s: str) -> np.ndarray:  # the side of the waist, where hands rest "on the hips"
        return _segment(body.at(f"{s}_hip") + 0.05 * out[s], body.at(f"{s}_hip") + 0.05 * out[s] + 0.15 * pelvis[:, 1])

    def above_knee(s: str) -> np.ndarray:  # the knee and the lower thigh
        return _segment(body.at(f"{s}_knee"), body.at(f"{s}_knee") + 0.6 * (body.at(f"{s}_hip") - body.at(f"{s}_knee")))

    def foot(s: str) -> np.ndarray:
        return _segment(body.at(f"{s}_ankle"), body.at(f"{s}_foot"), 3)

    targets = {  # name: (points, reach within which the hand counts as "on" it)
        "chest": (body.at("spine3")[None] + 0.05 * chest[:, 1] + 0.12 * chest[:, 2], 0.1),
        "stomach": (body.at("spine1")[None] + 0.12 * body.frame("spine1")[:, 2], 0.1),
        "shoulder_same": (body.at(f"{side}_shoulder")[None], 0.1),
        "shoulder_other": (body.at(f"{other}_shoulder")[None], 0.1),
        "hip_same": (waist(side), 0.09),
        "hip_other": (waist(other), 0.09),
        "knee_same": (above_knee(side), 0.11),
        "knee_other": (above_knee(other), 0.11),
        "foot_same": (foot(side), 0.12),
        "foot_other": (foot(other), 0.12),
    }
    # "Hands on the hips" has the elbows out to the sides (not a running arm swinging past the hip).
    elbow_out = float(out[side] @ (body.at(f"{side}_elbow") - body.at(f"{side}_shoulder")))
    best, best_ratio, best_gap = None, 1.0, 0.0
    for name, (points, reach) in targets.items():
        if name == "hip_same" and elbow_out < 0.08:
            continue
        gap, _ = _nearest(hand, points)
        if gap / reach < best_ratio:
            best, best_ratio, best_gap = name, gap / reach, gap
    return None if best is None else (best, best_gap)


def _arm_codes(body: _Body, posture: str) -> list[Posecode]:
    codes: list[Posecode] = []
    upright = posture in _UPRIGHT
    lying = posture if posture in _LYING or posture == "upside_down" else None
    frame = body.frame("spine3") if lying else body.heading
    palms = {side: body.palm(side) for side in _SIDES}
    chest = body.frame("spine3")
    local = {side: chest.T @ (palms[side] - body.at("spine3")) for side in _SIDES}  # (left, up, fwd)
    gap = float(np.linalg.norm(palms["left"] - palms["right"]))
    wrist_gap = float(np.linalg.norm(body.at("left_wrist") - body.at("right_wrist")))
    targets = {side: _hand_target(body, side) for side in _SIDES}
    together = gap < 0.14 and wrist_gap < 0.22
    shared_target = together and targets["left"] is not None and targets["right"] is not None and (
        targets["left"][0] == targets["right"][0])
    crossed = (
        not together and local["left"][0] < -0.02 and local["right"][0] > 0.02
        and local["left"][2] > 0.0 and local["right"][2] > 0.0 and local["left"][1] > -0.35
    )
    if together and not shared_target:  # both hands on one spot (the face, the head) says more
        mid, where = 0.5 * (palms["left"] + palms["right"]), "together"
        depth = float(chest[:, 2] @ (mid - body.at("spine3")))
        if upright and mid[1] > body.at("head")[1] + 0.12:
            where = "together_overhead"
        elif depth < -0.05:
            where = "together_behind"
        elif depth > 0.12 and abs(float(chest[:, 1] @ (mid - body.at("spine3")))) < 0.3:
            where = "together_front"
        codes.append(Posecode("hands", where, None, 0.95, gap))
    if crossed:
        codes.append(Posecode("arms", "crossed", None, 0.95, gap))
    for side in _SIDES:
        shoulder, elbow, wrist = (body.at(f"{side}_{j}") for j in ("shoulder", "elbow", "wrist"))
        elbow_angle = _angle_at(shoulder, elbow, wrist)
        bend = _bend_category(elbow_angle)
        direction = _arm_direction(body, side, frame, lying) if elbow_angle >= 130 else None
        arm_down = direction is None or direction[0] == "down"
        bend_salience = _BEND_SALIENCE[bend] if not (bend == "straight" and arm_down) else 0.05
        if not (bend == "straight" and direction is not None and direction[0] != "down"):
            codes.append(Posecode("elbow", bend, side, bend_salience, elbow_angle))  # else the arm code says it
        if direction is not None:
            codes.append(Posecode("arm", direction[0], side, _ARM_SALIENCE[direction[0]], direction[1]))
        target = None if (together and not shared_target) or crossed else targets[side]
        if target is not None:
            codes.append(Posecode("hand_on", target[0], side, _HAND_TARGET_SALIENCE[target[0]], target[1]))
        if upright and elbow_angle < 130:  # a bent arm: where the upper arm goes says a lot
            upper = body.heading.T @ _unit(elbow - shoulder)
            elbow_out = upper[0] if side == "left" else -upper[0]
            if abs(upper[1]) < 0.35 and elbow_out > 0.6:
                codes.append(Posecode("upper_arm", "out_level", side, 0.6, float(upper[1])))
            elif upper[1] > 0.5:
                codes.append(Posecode("upper_arm", "raised", side, 0.65, float(upper[1])))
        if upright and not together:
            height = _hand_height(body, side)
            implied = direction is not None and (
                direction[0] in ("up", "up_side", "up_forward", "up_across") or
                (direction[0] in ("side", "forward") and height is not None and height[0] == "shoulder_level")
            )
            near_head = target is not None and target[0] in _HEAD_TARGETS
            if height is not None and not implied and not near_head:
                codes.append(Posecode("hand_height", height[0], side, height[1],
                                      float(wrist[1]) - float(shoulder[1])))
        if target is None and direction is None and not together and not crossed:
            depth = float(local[side][2])
            if depth > 0.3:
                codes.append(Posecode("hand_depth", "front", side, 0.5, depth))
            elif depth < -0.12:
                raised = upright and float(wrist[1]) > float(shoulder[1])
                codes.append(Posecode("hand_depth", "behind_high" if raised else "behind", side, 0.6, depth))
    return codes


_HEAD_TARGETS = ("face", "chin", "head", "back_of_head", "side_of_head")


def _hand_height(body: _Body, side: str) -> tuple[str, float] | None:
    """How high a wrist is against the shoulder and the head (upright bodies): (level, salience),
    None below the shoulder. `_arm_codes` says it only where the arm's direction or the hand's
    target does not already; `posegpt.eval.agreement` reads it always."""
    wrist_y, head_y = float(body.at(f"{side}_wrist")[1]), float(body.at("head")[1])
    shoulder_y = float(body.at(f"{side}_shoulder")[1])
    if wrist_y > head_y + 0.15:
        return "above_head", 0.9
    if wrist_y > head_y - 0.08:
        return "head_level", 0.75
    if wrist_y > shoulder_y + 0.08:
        return "above_shoulder", 0.65
    if wrist_y > shoulder_y - 0.1:
        return "shoulder_level", 0.55
    return None


def _leg_codes(body: _Body, posture: str, posture_side: str | None) -> list[Posecode]:
    codes: list[Posecode] = []
    upright = posture in _UPRIGHT
    seated = posture in ("sitting", "sitting_floor", "squatting", "kneeling", "kneeling_on_heels", "kneeling_one")
    kneeling = posture in ("kneeling", "kneeling_on_heels", "kneeling_one")
    knee_angles = {}
    for side in _SIDES:
        knee_angle = _knee_angle(body, side)
        knee_angles[side] = knee_angle
        bend = _bend_category(knee_angle)
        # Lying bodies: measure the thigh against the pelvis ("knees pulled up to the chest").
        flexion, abduction = _thigh_angles(body, side, body.frame("pelvis") if posture in _LYING else None)
        straight = bend == "straight"
        foot_down = body.touches(f"{side}_ankle", f"{side}_foot")
        thigh = None
        if abduction > 35 and (flexion < 60 or abduction > 50):  # mostly sideways
            thigh = ("side_planted" if foot_down and upright else "side", 0.85)
        elif flexion > 115:
            thigh = ("up_straight" if straight else "up", 0.9)
        elif flexion > 75:
            thigh = ("level_straight" if straight else "level_planted" if foot_down else "level", 0.85)
        elif flexion > 40 and not (foot_down and upright):  # a bent standing leg is not "lifted"
            thigh = ("forward_straight" if straight else "forward", 0.8)
        elif flexion < -25:
            thigh = ("back", 0.8)
        if thigh is not None and thigh[0] not in ("side", "side_planted", "back"):
            if posture == "sitting_floor":  # legs out in front or knees up are worth saying
                thigh = thigh if thigh[0] in ("level_straight", "forward_straight", "up") else None
            elif seated and not (posture == "kneeling_one" and side != posture_side):
                thigh = None  # sitting, squatting and kneeling bend the thighs forward anyway
            elif posture in _LYING:
                thigh = (thigh[0], 0.5)
        knee_above_hip = upright and not seated and body.at(f"{side}_knee")[1] > body.at(f"{side}_hip")[1] + 0.03
        if knee_above_hip:
            codes.append(Posecode("knee_height", "above_hip", side, 0.8, float(body.at(f"{side}_knee")[1])))
            if thigh is not None and thigh[0] in ("level", "level_planted", "up"):
                thigh = None  # said by "knee above hip"
        if thigh is not None:
            codes.append(Posecode("thigh", thigh[0], side, thigh[1], flexion))
        if straight and thigh is not None and thigh[0].endswith("_straight"):
            continue  # "leg raised straight" already says it
        if straight:
            salience = 0.4 if (thigh is not None or posture in ("sitting_floor",) or posture in _LYING) else 0.05
        elif kneeling and bend in ("ninety", "fully_bent"):
            salience = 0.35  # kneeling bends the knees anyway
        else:
            salience = _BEND_SALIENCE[bend] + (0.1 if bend in ("ninety", "fully_bent") else 0.0)
        codes.append(Posecode("knee", bend, side, min(salience, 0.9), knee_angle))
    # one foot off the ground
    if posture in ("standing", "standing_one_leg"):
        for side in _SIDES:
            other = _OTHER[side]
            lift = body.height(f"{side}_ankle") - body.height(f"{other}_ankle")
            if lift > 0.12 and not body.touches(f"{side}_ankle", f"{side}_foot") and body.touches(
                    f"{other}_ankle", f"{other}_foot"):
                codes.append(Posecode("foot", "raised_high" if lift > 0.45 else "raised", side, 0.9, lift))
    # feet and knees relative to each other: sideways gaps for upright bodies (a stride is not a
    # wide stance), any gap for lying ones
    between_ankles = body.at("left_ankle") - body.at("right_ankle")
    feet_gap = abs(float(body.heading[:, 0] @ between_ankles)) if upright else float(np.linalg.norm(between_ankles))
    stride = float(body.heading[:, 2] @ between_ankles)  # > 0: the left foot is in front
    if posture not in ("standing_one_leg", "sitting_floor", "kneeling_on_heels"):
        if posture in _LYING:
            if feet_gap > 0.7:
                codes.append(Posecode("legs", "spread", None, 0.8, feet_gap))
        elif feet_gap < 0.13 and abs(stride) < 0.2:
            codes.append(Posecode("feet", "together", None, 0.6, feet_gap))
        elif feet_gap > 0.8:
            codes.append(Posecode("feet", "wide", None, 0.8, feet_gap))
        elif feet_gap > 0.45:
            codes.append(Posecode("feet", "apart", None, 0.6, feet_gap))
    if upright and posture != "standing_one_leg" and abs(stride) > 0.35 and all(
            body.touches(f"{side}_ankle", f"{side}_foot", f"{side}_knee") for side in _SIDES):
        codes.append(Posecode("foot_forward", "forward", "left" if stride > 0 else "right", 0.75, abs(stride)))
    between_knees = body.at("left_knee") - body.at("right_knee")
    knees_gap = abs(float(body.heading[:, 0] @ between_knees)) if upright else float(np.linalg.norm(between_knees))
    if max(knee_angles.values()) < 140:
        if knees_gap < 0.12 and abs(float(body.heading[:, 2] @ between_knees)) < 0.15:
            codes.append(Posecode("knees", "together", None, 0.6, knees_gap))
        elif knees_gap > 0.55 and knees_gap > feet_gap + 0.2:
            codes.append(Posecode("knees", "wide", None, 0.7, knees_gap))
    # legs crossed: the ankles swap sides (side by side, not one far in front), or, sitting, one
    # knee rests on top of the other
    pelvis = body.frame("pelvis")
    ankles_local, knees_local = pelvis.T @ between_ankles, pelvis.T @ between_knees
    ankles_cross = ankles_local[0] < -0.03 and abs(ankles_local[2]) < 0.3
    knee_over_knee = seated and abs(knees_local[0]) < 0.1 and abs(float(between_knees[1])) > 0.08
    if ankles_cross or knee_over_knee:
        codes.append(Posecode("legs", "crossed", None, 0.85, float(ankles_local[0])))
    # hips: dropped low while the feet carry the body; lifted high on hands and feet or off the floor
    pelvis_height = body.height("pelvis")
    if posture in ("standing", "squatting") and pelvis_height < 0.62:
        codes.append(Posecode("hips", "low", None, 0.8, pelvis_height))
    hands_down = any(body.touches(f"{side}_wrist", f"{side}_hand") for side in _SIDES)
    if posture not in _LYING and hands_down and body.at("pelvis")[1] > body.at("neck")[1] + 0.2:
        codes.append(Posecode("hips", "high", None, 0.85, pelvis_height))
    if posture in _LYING and pelvis_height > 0.3:
        codes.append(Posecode("hips", "lifted", None, 0.9, pelvis_height))
    return codes


def _torso_head_codes(body: _Body, posture: str) -> list[Posecode]:
    codes: list[Posecode] = []
    if posture in _UPRIGHT or posture == "all_fours":
        pitch, roll = _torso_tilt(body)
        if posture in _UPRIGHT:
            if pitch > 110:
                codes.append(Posecode("torso", "folded", None, 0.95, pitch))
            elif pitch > 55:
                codes.append(Posecode("torso", "bent_forward", None, 0.9, pitch))
            elif pitch > 18:
                codes.append(Posecode("torso", "leaning_forward", None, 0.7, pitch))
            elif pitch < -35:
                codes.append(Posecode("torso", "arched_back", None, 0.85, pitch))
            elif pitch < -12:
                codes.append(Posecode("torso", "leaning_back", None, 0.7, pitch))
        if abs(roll) > 15 and abs(pitch) < 70:
            codes.append(Posecode("torso_side", "leaning", "left" if roll > 0 else "right", 0.8, roll))
    if posture == "lying_stomach":
        chest_up = float(np.degrees(np.arcsin(np.clip(_unit(body.at("neck") - body.at("pelvis"))[1], -1, 1))))
        if chest_up > 20:
            codes.append(Posecode("torso", "chest_raised", None, 0.9, chest_up))
    twist_forward = body.frame("pelvis").T @ body.frame("spine3")[:, 2]
    twist = float(np.degrees(np.arctan2(twist_forward[0], twist_forward[2])))
    if abs(twist) > 25:
        codes.append(Posecode("torso_twist", "twisted", "left" if twist > 0 else "right", 0.7, twist))
    head = body.frame("spine3").T @ body.frame("head")  # (3, 3) head axes in the chest frame
    head_pitch = float(np.degrees(np.arcsin(np.clip(head[1, 2], -1.0, 1.0))))
    head_yaw = float(np.degrees(np.arctan2(head[0, 2], head[2, 2])))
    head_roll = float(np.degrees(np.arctan2(head[0, 1], head[1, 1])))
    if head_pitch > 20:
        codes.append(Posecode("head", "up", None, 0.7, head_pitch))
    elif head_pitch < -20:
        codes.append(Posecode("head", "down", None, 0.7, head_pitch))
    if abs(head_yaw) > 25:
        codes.append(Posecode("head_turn", "turned", "left" if head_yaw > 0 else "right", 0.7, head_yaw))
    if abs(head_roll) > 18:
        codes.append(Posecode("head_tilt", "tilted", "left" if head_roll < 0 else "right", 0.55, head_roll))
    return codes


# Which floor contacts each posture already implies (the rest are worth saying).
_IMPLIED_CONTACTS = {
    "standing": {"feet"}, "standing_one_leg": {"feet"}, "sitting": {"feet"},
    "sitting_floor": {"buttocks", "feet", "knees"}, "kneeling": {"knees", "feet"},
    "kneeling_one": {"knees", "feet"}, "kneeling_on_heels": {"knees", "feet", "buttocks"},
    "squatting": {"feet", "buttocks"}, "all_fours": {"hands", "knees", "feet", "elbows"},
    "horizontal_face_down": {"hands", "feet", "elbows"}, "horizontal_face_up": {"hands", "feet", "elbows"},
}
_CONTACT_GROUPS = {
    "hands": ("wrist", "hand"), "elbows": ("elbow",), "knees": ("knee",), "feet": ("ankle", "foot"),
}


def _contact_code(body: _Body, posture: str) -> Posecode | None:
    """Body parts on the ground that the posture does not already imply (e.g. hands, head)."""
    if posture in _LYING:
        return None
    implied = _IMPLIED_CONTACTS.get(posture, set())
    parts: list[str] = []
    for group, joints in _CONTACT_GROUPS.items():
        sides = [side for side in _SIDES if body.touches(*(f"{side}_{joint}" for joint in joints))]
        if group in implied or not sides:
            continue
        parts.append(group if len(sides) == 2 else f"{sides[0]}_{group[:-1] if group != 'feet' else 'foot'}")
    if body.touches("head"):
        parts.append("head")
    if "buttocks" not in implied and body.touches("pelvis"):
        parts.append("buttocks")
    if not parts:
        return None
    return Posecode("contact", "+".join(parts), None, 0.9, 0.0)


def _symmetric_rest_joints() -> torch.Tensor:
    """The rest skeleton made exactly left–right symmetric (24, 3).

    The default body is a few millimetres lopsided; measured on it, a symmetric pose could say
    "left elbow raised" but not "right elbow raised" at a threshold. On a symmetric skeleton a
    pose and its mirror image get exactly mirrored posecodes.
    """
    mirrored = REST_JOINTS[list(SMPL_MIRROR)] * torch.tensor([-1.0, 1.0, 1.0])
    return 0.5 * (REST_JOINTS + mirrored)


_REST_JOINTS = _symmetric_rest_joints()


def _bodies(poses: Pose) -> list[_Body]:
    """One `_Body` per pose; forward kinematics runs once for the whole batch."""
    world_rotations, joints = forward_kinematics(poses.rotation_matrices(), _REST_JOINTS)  # (N,24,3,3), (N,24,3)
    world_rotations, joints = world_rotations.double().numpy(), joints.double().numpy()
    return [_Body(world_rotations[i], joints[i]) for i in range(len(poses))]


def compute_posecodes(pose: Pose) -> list[Posecode]:
    """All non-default facts about one pose (sided facts stay per side: no aggregation yet)."""
    if len(pose) != 1:
        raise ValueError(f"expected one pose, got a batch of {len(pose)} (index it: pose[i])")
    return _codes_of(_bodies(pose)[0])


def _codes_of(body: _Body) -> list[Posecode]:
    posture, posture_side = _posture(body)
    posture_salience = 0.3 if posture == "standing" else 1.0
    codes = [Posecode("posture", posture, posture_side, posture_salience, body.height("pelvis"))]
    codes += _arm_codes(body, posture)
    codes += _leg_codes(body, posture, posture_side)
    codes += _torso_head_codes(body, posture)
    contact = _contact_code(body, posture)
    if contact is not None:
        codes.append(contact)
    return codes


# =============================================================================================
# Aggregation and selection
# =============================================================================================


def _aggregate(codes: list[Posecode]) -> list[Posecode]:
    """Merge the same fact on both sides into one "both" fact (left arm up + right arm up)."""
    by_key: dict[tuple[str, str], list[Posecode]] = {}
    for code in codes:
        if code.side in _SIDES and code.topic not in ("posture", "torso_side", "torso_twist", "head_turn", "head_tilt"):
            by_key.setdefault((code.topic, code.value), []).append(code)
    merged: list[Posecode] = []
    done: set[tuple[str, str]] = set()
    for code in codes:
        key = (code.topic, code.value)
        pair = by_key.get(key, [])
        if len(pair) == 2 and code.side in _SIDES:
            if key not in done:
                done.add(key)
                merged.append(Posecode(code.topic, code.value, "both", max(c.salience for c in pair), code.measure))
            continue
        merged.append(code)
    return merged


def _select(codes: list[Posecode], rng: random.Random) -> list[Posecode]:
    """Keep the essential facts (salience ≥ 0.75, at most 4), at least two notable ones where the
    pose has them, a random share of the rest (3–5 facts in all), and a default fact only when
    nothing else is left to say."""
    details = [code for code in codes if code.topic != "posture"]
    rng.shuffle(details)  # random order among equally salient facts
    details.sort(key=lambda code: -code.salience)
    chosen = [code for code in details if code.salience >= 0.75][:4]
    for code in details:
        if len(chosen) >= 2 or code.salience < 0.5:
            break
        if code not in chosen:
            chosen.append(code)
    cap = rng.randint(3, 5)
    for code in details:
        if len(chosen) >= cap:
            break
        if code not in chosen and code.salience >= 0.3 and rng.random() < 0.85 * code.salience:
            chosen.append(code)
    trivial = [code for code in details if code not in chosen]
    if trivial and (not chosen or (len(chosen) < 2 and rng.random() < 0.5)):
        chosen.append(trivial[0] if rng.random() < 0.7 else rng.choice(trivial))
    rng.shuffle(chosen)
    return chosen


# =============================================================================================
# Phrasing: a posecode → a clause with synonyms (the words: catalogues/captioner.yaml)
# =============================================================================================


@dataclass(frozen=True)
class _Clause:
    """One fact ready to phrase. Templates use {p} for the possessive ("their", "my", "your")
    and {part} (in commands) for the body-part noun phrase."""

    parts: tuple[str, ...]  # noun phrases, e.g. "{p} left arm"
    plural: bool
    states: tuple[str, ...]  # predicates after the noun: "raised above {p} head"
    commands: tuple[str, ...]  # imperative verb phrases: "raise {part} above {p} head"


def _parts(noun: str, side: str | None) -> tuple[tuple[str, ...], bool]:
    singular, plural = load("captioner")["nouns"][noun]
    if side == "both":
        return (f"both {plural}", f"{{p}} {plural}"), True
    return (f"{{p}} {side} {singular}",), False


def _sided(text: str, side: str | None, plural: bool) -> str:
    side_word = side if side in _SIDES else "left"
    return (text.replace("{side}", side_word).replace("{other}", _OTHER[side_word])
            .replace("{sides}", "sides" if plural else "side"))


def _contact_part(value: str) -> tuple[str, bool]:
    names: list[str] = []
    plural = False
    nouns = load("captioner")["contact"]["nouns"]
    for item in value.split("+"):
        if item in nouns:
            noun, many = nouns[item]
        else:
            noun, many = item.replace("_", " "), False
        names.append(noun)
        plural = plural or many
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return "{p} " + joined, plural or len(names) > 1


def _clause(code: Posecode) -> _Clause:
    """The phrasings of one (possibly aggregated) posecode."""
    return _clause_of(code.topic, code.value, code.side)


@functools.lru_cache(maxsize=None)
def _clause_of(topic: str, value: str, side: str | None) -> _Clause:

    def make(noun: str | None, states: tuple[str, ...], commands: tuple[str, ...],
             parts: tuple[str, ...] | None = None, plural: bool = False) -> _Clause:
        if noun is not None:
            parts, plural = _parts(noun, side)
        assert parts is not None
        return _Clause(
            tuple(_sided(p, side, plural) for p in parts), plural,
            tuple(_sided(s, side, plural) for s in states), tuple(_sided(c, side, plural) for c in commands),
        )

    words = load("captioner")
    if topic in ("elbow", "knee"):  # a straight one is said as the whole limb: "their left arm is straight"
        states, commands = words["bends"][value]
        limb = "arm" if topic == "elbow" else "leg"
        return make(limb if value == "straight" else topic, states, commands)
    if topic == "hand_on":
        target = words["hand_targets"][value]
        both = side == "both"
        locations = target["both"] if both else target["one"]
        prepositions = ("on ", "over ", "behind ", "beside ", "up by ", "against ", "under ")
        commands = tuple(f"{verb} {{part}} {where}" for where in locations
                         for verb in ("put", "place", "rest") if where.startswith(prepositions))
        commands += target["commands_both"] if both else target["commands_one"]
        return make("hand", locations, commands or tuple(f"keep {{part}} {where}" for where in locations))
    if topic == "contact":
        part, plural = _contact_part(value)
        contact = words["contact"]
        return make(None, contact["states"], contact["commands"], parts=(part,), plural=plural)
    phrase = words["clauses"].get(topic, {}).get(value)
    if phrase is None:
        raise KeyError(f"no phrasing for posecode {topic}/{value}")
    return make(phrase["noun"], phrase["states"], phrase["commands"], parts=phrase["parts"], plural=phrase["plural"])


def _posture_phrases(posture: Posecode, codes: list[Posecode]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(states, commands) of the posture; "upright"/"up straight" only for a body that is."""
    bent = any(
        code.topic in ("torso", "torso_side") or (code.topic == "knee" and code.value != "straight" and code.salience >= 0.5)
        for code in codes
    )
    groups = []
    for group in load("captioner")["postures"][posture.value]:
        texts = [_sided(text, posture.side, False) for text in group]
        if bent:
            texts = [text for text in texts if "upright" not in text and "straight" not in text] or texts
        groups.append(tuple(texts))
    return groups[0], groups[1]


def posecode_phrases(code: Posecode) -> tuple[str, ...]:
    """Every wording the captioner has for one posecode, bare (no possessive): "left arm raised
    straight up", "raise left arm straight up", "kneeling". What a request's own words are
    compared with to tell which poses do what they say (`posegpt.body_words`)."""
    def bare(template: str, part: str = "") -> str:
        return " ".join(template.replace("{part}", part).replace("{p}", "").split())

    if code.topic == "posture":
        states, commands = _posture_phrases(code, [])
        return tuple(dict.fromkeys([bare(text) for text in states + commands] + list(_everyday_phrases(code))))
    clause = _clause(code)
    part = bare(clause.parts[0])
    return tuple(dict.fromkeys([f"{part} {bare(state)}" for state in clause.states]
                               + [bare(command, part) for command in clause.commands] + list(_everyday_phrases(code))))


def _everyday_phrases(code: Posecode) -> tuple[str, ...]:
    """The fact's everyday wordings (catalogues/everyday_words.yaml), parts said on its side: "left
    hand up" for the left arm raised, "hands up" for both ("{other_leg} back": on the other side,
    "left leg back" for the right foot forward, and one side's facts alone). A wording that names
    no part says both sides, so a one-sided fact has none of those — but a posture, whose side is
    the leg it rests on."""
    wordings = load("everyday_words")["facts"].get((code.topic, code.value), ())
    one_side = code.side in _SIDES
    nouns = load("captioner")["nouns"]
    filled = []
    for wording in wordings:
        names = set(_PART_PLACEHOLDER.findall(wording))
        if one_side and not names and code.topic != "posture":
            continue
        if any(name.startswith(_OTHER_PART) for name in names) and not one_side:
            continue  # "{other_leg} back" says one side's fact
        for name in names:
            other = name.startswith(_OTHER_PART)
            singular, plural = nouns[name.removeprefix(_OTHER_PART)]
            side = _OTHER[code.side] if other else code.side
            wording = wording.replace("{" + name + "}", f"{side} {singular}" if one_side else plural)
        filled.append(wording)
    return tuple(filled)


def stated_posecodes(poses: Pose) -> list[list[Posecode]]:
    """Per pose of a batch, every posecode a description of it may say: the merged ones ("both
    arms up") and the per-side ones they merge ("left arm up"), each once (one forward-kinematics
    pass for the batch)."""
    stated = []
    for body in _bodies(poses):
        per_side = _codes_of(body)
        stated.append(list(dict.fromkeys(_aggregate(per_side) + per_side)))
    return stated


# =============================================================================================
# Sentences
# =============================================================================================


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


class _Writer:
    """Phrases clauses for one description in one voice (possessive fixed per description)."""

    def __init__(self, rng: random.Random, possessive: str) -> None:
        self.rng = rng
        self.p = possessive

    def fill(self, template: str, part: str = "") -> str:
        text = template.replace("{part}", part).replace("{p}", self.p)
        return " ".join(text.split())

    def part(self, clause: _Clause) -> str:
        return self.fill(self.rng.choice(clause.parts))

    def state(self, clause: _Clause) -> str:
        return self.fill(self.rng.choice(clause.states))

    def noun_state(self, clause: _Clause) -> str:
        """"their left arm raised straight up" — for "with …", "has …" and terse lists."""
        return f"{self.part(clause)} {self.state(clause)}"

    def copula(self, clause: _Clause) -> str:
        """"their left arm is raised straight up"."""
        return f"{self.part(clause)} {'are' if clause.plural else 'is'} {self.state(clause)}"

    def command(self, clause: _Clause) -> str:
        """"raise your left arm straight up" (sometimes "keep your left arm raised straight up")."""
        if self.rng.random() < 0.2:
            return f"keep {self.noun_state(clause)}"
        return self.fill(self.rng.choice(clause.commands), self.part(clause))


def _split(items: list, rng: random.Random, most: int) -> list[list]:
    """Cut a list into at most `most` non-empty consecutive chunks."""
    if not items:
        return []
    chunks = min(most, len(items), rng.randint(1, most))
    cuts = sorted(rng.sample(range(1, len(items)), chunks - 1)) if chunks > 1 else []
    bounds = [0, *cuts, len(items)]
    return [items[a:b] for a, b in zip(bounds, bounds[1:])]


def _third_person(rng: random.Random, posture: tuple[str, ...] | None, clauses: list[_Clause]) -> list[str]:
    w = _Writer(rng, rng.choice(("their", "their", "the")))
    subject = rng.choice(("The person", "Someone", "A person", "This person", "The figure"))
    # Later sentences refer back with "They" (or repeat a definite subject, never "A person" twice).
    again_is = ("They are", f"{subject} is") if subject.startswith(("The ", "This ")) else ("They are",)
    again_has = ("They have", f"{subject} has") if subject.startswith(("The ", "This ")) else ("They have",)
    pose_text = w.fill(rng.choice(posture)) if posture else None
    sentences: list[str] = []
    style = rng.randrange(4)
    if pose_text and style in (0, 1):
        k = rng.randint(1, min(3, len(clauses))) if clauses and style == 0 else 0
        head = f"{subject} is {pose_text}"
        if k:
            head += " with " + _join([w.noun_state(c) for c in clauses[:k]])
        sentences.append(head)
        rest = clauses[k:]
    elif style == 2 or not pose_text:
        if clauses:
            opener = rng.choice((f"{subject} has", f"{subject} is shown with", "In this pose,"))
            if opener == "In this pose,":  # no subject introduced yet: "the arms", then "the person"
                w.p = "the"
                again_is, again_has = ("The person is",), ("The person has",)
            chunk = clauses[: rng.randint(1, min(3, len(clauses)))]
            if opener == "In this pose,":
                sentences.append(f"{opener} " + _join([w.copula(c) for c in chunk]))
            else:
                sentences.append(f"{opener} " + _join([w.noun_state(c) for c in chunk]))
            rest = clauses[len(chunk):]
        else:
            rest = []
        if pose_text:
            sentences.append(f"{rng.choice(again_is)} {pose_text}")
    else:  # style 3: details first, posture last
        rest = []
        first = clauses[: rng.randint(1, min(2, len(clauses)))] if clauses else []
        if first:
            sentences.append(_join([w.copula(c) for c in first]))
        sentences.append(f"{rng.choice(('The person is', 'They are', 'Overall, the person is'))} {pose_text}"
                         + (" with " + _join([w.noun_state(c) for c in clauses[len(first):]])
                            if clauses[len(first):] else ""))
    for chunk in _split(rest, rng, max(1, 3 - len(sentences))):
        if rng.random() < 0.5:
            sentences.append(_join([w.copula(c) for c in chunk]))
        else:
            sentences.append(f"{rng.choice(again_has)} "
                             + _join([w.noun_state(c) for c in chunk]))
    return sentences


def _first_person(rng: random.Random, posture: tuple[str, ...] | None, clauses: list[_Clause]) -> list[str]:
    w = _Writer(rng, "my")
    pose_text = w.fill(rng.choice(posture)) if posture else None
    sentences: list[str] = []
    rest = clauses
    if pose_text and rng.random() < 0.75:
        k = rng.randint(0, min(3, len(clauses)))
        head = rng.choice(("I am", "I'm", "Right now I am")) + f" {pose_text}"
        if k:
            head += " with " + _join([w.noun_state(c) for c in clauses[:k]])
        sentences.append(head)
        rest = clauses[k:]
        pose_text = None
    chunks = _split(rest, rng, 3 - len(sentences) - (1 if pose_text else 0)) if rest else []
    for chunk in chunks:
        if rng.random() < 0.5:
            sentences.append(_join([w.copula(c) for c in chunk]))
        else:
            sentences.append(rng.choice(("I have", "I've got")) + " "
                             + _join([w.noun_state(c) for c in chunk]))
    if pose_text:
        sentences.append(rng.choice(("I am", "I'm")) + f" {pose_text}")
    return sentences


def _imperative(rng: random.Random, posture: tuple[tuple[str, ...], tuple[str, ...]] | None,
                clauses: list[_Clause]) -> list[str]:
    w = _Writer(rng, "your")
    sentences: list[str] = []
    rest = clauses
    style = rng.randrange(4)
    if posture and style == 0 and clauses:  # "Stand on your right leg with your left knee raised…"
        k = rng.randint(1, min(3, len(clauses)))
        sentences.append(f"{w.fill(rng.choice(posture[1]))} with " + _join([w.noun_state(c) for c in clauses[:k]]))
        rest = clauses[k:]
    elif posture and style == 1 and clauses:  # "Raise your left arm while standing on your right leg."
        sentences.append(f"{w.command(clauses[0])} while {w.fill(rng.choice(posture[0]))}")
        rest = clauses[1:]
    elif posture and style == 2:  # "Stand, then raise…"
        if clauses:
            k = rng.randint(1, min(2, len(clauses)))
            sentences.append(f"{w.fill(rng.choice(posture[1]))}, then " + _join([w.command(c) for c in clauses[:k]]))
            rest = clauses[k:]
        else:
            sentences.append(w.fill(rng.choice(posture[1])))
    elif posture:
        sentences.append(w.fill(rng.choice(posture[1])))
    for chunk in _split(rest, rng, 3 - len(sentences)):
        sentences.append(_join([w.command(c) for c in chunk]))
    return sentences


def _terse(rng: random.Random, posture: tuple[str, ...] | None, clauses: list[_Clause]) -> list[str]:
    w = _Writer(rng, "")
    items = [w.noun_state(c) for c in clauses]
    if posture:
        items.insert(0 if rng.random() < 0.7 else len(items), w.fill(rng.choice(posture)))
    separator = rng.choice((", ", "; "))
    return [separator.join(items)]


# =============================================================================================
# The captioner
# =============================================================================================


def _merge_same_part(clauses: list[_Clause]) -> list[_Clause]:
    """Say two facts about one body part in one clause: "their head is bowed and turned to the left"."""
    merged: list[_Clause] = []
    for clause in clauses:
        previous = next((m for m in merged if m.parts == clause.parts and m.plural == clause.plural), None)
        if previous is None or " and " in previous.states[0]:
            merged.append(clause)
            continue
        merged[merged.index(previous)] = _Clause(
            clause.parts, clause.plural,
            tuple(f"{a} and {b}" for a in previous.states for b in clause.states),
            tuple(f"{a} and {b}" for a in previous.commands for b in clause.commands),
        )
    return merged


def posecode_fact(code: Posecode) -> tuple[str, str, str | None]:
    """What a posecode says (topic, value, side), without how much it defines the pose or its measure."""
    return code.topic, code.value, code.side


@dataclass(frozen=True)
class Description:
    """One description and the posecodes it puts into words (aggregated: side may be "both";
    the posture is included when the text says it). Lets data builders attach checks that
    test exactly what the words claim."""

    text: str
    posecodes: tuple[Posecode, ...]


class Captioner:
    """Describes poses in words from their geometry, several different ways.

    ``describe`` is a pure function of (seed, pose, n): the same seed and pose always give the same
    descriptions, and the first k of n descriptions equal ``describe(pose, k)``. With ``seed=None``
    every call draws fresh randomness.
    """

    STYLES = ("third_person", "first_person", "imperative", "terse")
    SAID_STYLES = ("third_person", "terse")  # the voices a reply describes the pose it shows in
    SAID_CHOICES = 6  # descriptions a follow-up's reply chooses among (`said` with `before`)

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed

    def posecodes(self, pose: Pose) -> list[Posecode]:
        """The facts a description is built from (per side, before aggregation and selection)."""
        return compute_posecodes(pose)

    def describe(self, pose: Pose, n: int = 3) -> list[str]:
        """n different natural descriptions of one pose, each 1–3 sentences.

        Every description keeps the pose's essential facts (salience ≥ 0.75, at most four) and
        varies the rest, the voice (third person, first person, imperative, terse), the order and
        the wording.
        """
        if len(pose) != 1:
            raise ValueError(f"describe takes one pose, got a batch of {len(pose)}; use describe_batch")
        return self.describe_batch(pose, n)[0]

    def describe_with_posecodes(self, pose: Pose, n: int = 3,
                                styles: Sequence[str] | None = None) -> list[Description]:
        """``describe``, each text paired with the posecodes it says (same texts as ``describe``).

        `styles` limits the voices (a subset of `STYLES`): a reply that says what it shows is
        written about the body ("third_person", "terse"), not as an order to the reader.
        """
        if len(pose) != 1:
            raise ValueError(f"describe_with_posecodes takes one pose, got a batch of {len(pose)}")
        codes = _aggregate(_codes_of(_bodies(pose)[0]))
        return [Description(text, tuple(said))
                for text, said in self._describe_codes(codes, self._rng_seed(pose), n, record=True, styles=styles)]

    def said(self, pose: Pose, before: Pose | None = None) -> str:
        """What the body of `pose` does, as a reply says it before showing it: the shorter of two
        descriptions in a reply's voices (true to the pose; short, so a reply stays quick to write
        and to train on). Training replies (posegpt/data/conversations.py) and the engine's words
        for a pose it shows from the bank (posegpt/shown_words.py) both come from here. For a pose
        made by changing `before` (a follow-up's edit), the shortest of `SAID_CHOICES`
        descriptions that says the most of what changed: "ok lean back a little" was answered
        "Head facing left, feet apart, arms raised above head." — true, but silent on the lean."""
        if before is None:
            return min((d.text for d in self.describe_with_posecodes(pose, 2, styles=self.SAID_STYLES)), key=len)
        had = {posecode_fact(code) for code in _aggregate(compute_posecodes(before))}
        choices = self.describe_with_posecodes(pose, self.SAID_CHOICES, styles=self.SAID_STYLES)
        return max(choices, key=lambda d: (sum(posecode_fact(code) not in had for code in d.posecodes), -len(d.text))).text

    def describe_batch(self, poses: Pose, n: int = 3) -> list[list[str]]:
        """``describe`` for every pose of a batch (faster: one forward-kinematics pass)."""
        return [
            [text for text, _ in self._describe_codes(_aggregate(_codes_of(body)), self._rng_seed(poses[i]), n)]
            for i, body in enumerate(_bodies(poses))
        ]

    def _rng_seed(self, pose: Pose) -> str:
        if self.seed is None:
            return os.urandom(16).hex()
        digest = hashlib.sha1(pose.global_orient.tobytes() + pose.body_pose.tobytes()).hexdigest()
        return f"{self.seed}:{digest}"

    def _describe_codes(self, codes: list[Posecode], rng_seed: str, n: int, record: bool = False,
                        styles: Sequence[str] | None = None) -> list[tuple[str, list[Posecode]]]:
        """Up to n distinct (text, posecodes said) pairs; posecodes are recorded only on request."""
        unknown = set(styles or ()) - set(self.STYLES)
        if unknown or (styles is not None and not styles):
            raise ValueError(f"styles must be a non-empty subset of {self.STYLES}, got {styles!r}")
        rng = random.Random(rng_seed)
        posture = next(code for code in codes if code.topic == "posture")
        posture_phrases = _posture_phrases(posture, codes)
        styles = [style for style in self.STYLES if styles is None or style in styles]
        rng.shuffle(styles)
        descriptions: dict[str, list[Posecode]] = {}
        attempts = 0
        while len(descriptions) < n and attempts < 50 * n:
            style = styles[(len(descriptions) + attempts // 7) % len(styles)]
            attempts += 1
            said: list[Posecode] = []
            if record:
                text = self._one(rng, style, codes, posture, posture_phrases, said)
            else:
                text = self._one(rng, style, codes, posture, posture_phrases)
            descriptions.setdefault(text, said)
        return list(descriptions.items())

    @staticmethod
    def _one(rng: random.Random, style: str, codes: list[Posecode], posture: Posecode,
             posture_phrases: tuple[tuple[str, ...], tuple[str, ...]], said: list[Posecode] | None = None) -> str:
        """One description; appends the posecodes it says to `said` when one is given."""
        chosen = _select(codes, rng)
        clauses = _merge_same_part([_clause(code) for code in chosen])
        informative = any(code.salience >= 0.5 for code in chosen)
        say_posture = posture.salience >= 0.75 or not informative or rng.random() < 0.6
        if said is not None:
            said.extend(([posture] if say_posture else []) + chosen)
        if style == "imperative":
            sentences = _imperative(rng, posture_phrases if say_posture else None, clauses)
        elif style == "first_person":
            sentences = _first_person(rng, posture_phrases[0] if say_posture else None, clauses)
        elif style == "terse":
            sentences = _terse(rng, posture_phrases[0] if say_posture else None, clauses)
        else:
            sentences = _third_person(rng, posture_phrases[0] if say_posture else None, clauses)
        return " ".join(_sentence(sentence) for sentence in sentences)


@functools.lru_cache(maxsize=1)
def shared_captioner() -> Captioner:
    """The process's one deterministic captioner (seed 0: the same pose, the same words), which
    says the poses the engine shows from the bank (posegpt/shown_words.py) and re-ranks the bank's
    candidates (`PoseGPTConfig.bank_rerank`)."""
    return Captioner(seed=0)
