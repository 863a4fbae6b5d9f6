"""Anatomical plausibility: per-joint limits that reject poses no human body can take.

Representation. Every limit applies to a joint's LOCAL rotation in SMPL's world-aligned rest frame
(+y up, facing +z, the person's left on +x; the frame `posegpt.pose` uses), decomposed into
swing and twist about the joint's rest bone axis (`twist_axis`: +y for the spine, neck and head,
-y for the legs, +x for the left arm, +z for the toes):

    q = swing ⊗ twist     twist: a turn about the bone axis (applied first);
                          swing: the shortest turn that carries the bone to where it points.

The swing is checked as its axis-angle vector (degrees), component by component (only the two
components across the bone are ever non-zero), the twist as an angle. E.g. the left knee's swing
x component is its flexion (+x folds the shin back), z its sideways bend, twist the shin's turn.
The hip is the exception: it uses clinical Euler angles (flexion about x, then abduction about
the thigh's z, then rotation about its own axis), because for a thigh that is both flexed and
spread, swing-twist reports a large "twist" that is no rotation of the thigh at all.

Right-side joints are checked with the left side's limits after reflecting their rotation through
the x = 0 plane ((w, x, y, z) → (w, x, -y, -z)), so both sides are symmetric by construction.

Some limits hold for a chain of joints whose rotations are composed first: the whole spine
(spine1·spine2·spine3), neck·head, and collar·shoulder (the upper arm relative to the chest), so
that spreading a bend over several joints neither hides nor doubles it. The shoulder is a wide
cone: besides its twist, the upper arm may not point more than `SHOULDER_MAX_BEHIND` degrees
behind the chest's frontal plane, nor across the body's midline unless it is in front of the chest
(crossing behind means through the torso, crossing overhead means past the ear).

Limits are deliberately generous (flexible adults, dancers, martial artists): they exist to catch
authoring mistakes and sampler accidents (knees bending forward, elbows bending backwards,
heads turned around), not to judge style.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posegpt.pose import SMPL_JOINT_NAMES, Pose, axis_angle_to_quaternion

# Rest bone axes (twist axes), in the left-side / centre convention.
_UP, _DOWN, _LEFT_ALONG_ARM, _FORWARD = (0.0, 1.0, 0.0), (0.0, -1.0, 0.0), (1.0, 0.0, 0.0), (0.0, 0.0, 1.0)

#: How far (degrees) the upper arm may point behind the chest's frontal plane.
SHOULDER_MAX_BEHIND = 65.0
#: The upper arm crosses the midline too far when its direction (a unit vector in the chest frame,
#: left-arm convention) has x below this (-0.5: pointing over 30° towards the other side) ...
SHOULDER_ACROSS_X = -0.5
#: ... while not being clearly in front of the chest (z below this).
SHOULDER_ACROSS_MIN_FORWARD = 0.25


@dataclass(frozen=True)
class Range:
    """Allowed range of one component; `below` / `above` say in words what going past each end means."""

    component: str  # "x", "y", "z" (swing vector component, rest frame) or "twist"
    low: float  # degrees
    high: float  # degrees
    below: str
    above: str


@dataclass(frozen=True)
class JointLimit:
    """Limits of one joint (or chain of joints composed in order), written for the left side or centre."""

    label: str  # words for messages, e.g. "left knee"; a mirrored twist is labelled "right ..."
    joints: tuple[str, ...]  # SMPL joints whose local rotations are composed, parent first
    twist_axis: tuple[float, float, float]  # the bone's rest direction
    ranges: tuple[Range, ...]
    mirrored: bool = True  # also check the right side (by reflection)
    euler: bool = False  # components from flexion-abduction-rotation Euler angles instead of swing-twist


def _twist(low: float, high: float, below: str, above: str) -> Range:
    return Range("twist", low, high, below, above)


# fmt: off
JOINT_LIMITS: tuple[JointLimit, ...] = (
    # --- trunk: each spine joint, then the whole spine --------------------------------------------
    *(
        JointLimit(spine, (spine,), _UP, (
            Range("x", -55, 70, "arches back", "bends forward"),
            Range("z", -45, 45, "bends to the left", "bends to the right"),
            _twist(-50, 50, "turns to the right", "turns to the left"),
        ), mirrored=False)
        for spine in ("spine1", "spine2", "spine3")
    ),
    JointLimit("spine (spine1-3 together)", ("spine1", "spine2", "spine3"), _UP, (
        Range("x", -100, 130, "arches back", "bends forward"),
        Range("z", -75, 75, "bends to the left", "bends to the right"),
        _twist(-90, 90, "turns to the right", "turns to the left"),
    ), mirrored=False),
    # --- neck and head ---------------------------------------------------------------------------
    JointLimit("neck", ("neck",), _UP, (
        Range("x", -70, 70, "tilts back", "bends forward"),
        Range("z", -50, 50, "tilts to the left", "tilts to the right"),
        _twist(-80, 80, "turns to the right", "turns to the left"),
    ), mirrored=False),
    JointLimit("head", ("head",), _UP, (
        Range("x", -60, 60, "tilts back", "nods down"),
        Range("z", -50, 50, "tilts to the left", "tilts to the right"),
        _twist(-80, 80, "turns to the right", "turns to the left"),
    ), mirrored=False),
    JointLimit("neck and head together", ("neck", "head"), _UP, (
        Range("x", -100, 110, "tilt back", "bend forward"),
        Range("z", -65, 65, "tilt to the left", "tilt to the right"),
        _twist(-100, 100, "turn to the right", "turn to the left"),
    ), mirrored=False),
    # --- arms (left side; the right is checked by reflection) ------------------------------------
    JointLimit("left collar", ("left_collar",), _LEFT_ALONG_ARM, (
        Range("y", -40, 40, "moves forward", "moves back"),
        Range("z", -30, 50, "drops", "lifts"),
        _twist(-40, 40, "rolls back", "rolls forward"),
    )),
    JointLimit("left upper arm", ("left_collar", "left_shoulder"), _LEFT_ALONG_ARM, (
        _twist(-135, 135, "rotates outwards", "rotates inwards"),
    )),
    JointLimit("left elbow", ("left_elbow",), _LEFT_ALONG_ARM, (
        # -y folds the forearm towards the inside of the elbow; +y bends it the wrong way.
        Range("y", -165, 15, "folds further than the upper arm allows", "bends backwards (hyperextends)"),
        Range("z", -150, 150, "bends down", "bends up"),
        _twist(-120, 120, "turns the forearm outwards", "turns the forearm inwards"),
    )),
    JointLimit("left wrist", ("left_wrist",), _LEFT_ALONG_ARM, (
        Range("y", -50, 50, "bends towards the thumb", "bends towards the little finger"),
        Range("z", -95, 95, "flexes", "extends"),
        _twist(-100, 100, "turns outwards", "turns inwards"),
    )),
    JointLimit("left hand", ("left_hand",), _LEFT_ALONG_ARM, (
        Range("y", -40, 40, "bends sideways", "bends sideways"),
        Range("z", -110, 50, "curls", "bends back"),
        _twist(-50, 50, "turns inwards", "turns outwards"),
    )),
    # --- legs (left side) ------------------------------------------------------------------------
    # The hip uses Euler angles (see `hip_euler_angles`): swing-twist would count a thigh that is
    # flexed and then spread as rotated about its own axis (Codman's paradox), Euler angles do not.
    JointLimit("left hip", ("left_hip",), _DOWN, (
        Range("x", -155, 70, "swings the thigh forward (flexes)", "swings the thigh back (extends)"),
        Range("z", -50, 90, "pulls the thigh across the body", "spreads the thigh sideways"),
        _twist(-95, 95, "rotates the thigh outwards", "rotates the thigh inwards"),
    ), euler=True),
    JointLimit("left knee", ("left_knee",), _DOWN, (
        Range("x", -15, 165, "bends forward (hyperextends)", "folds further than the thigh allows"),
        Range("z", -30, 30, "bends sideways", "bends sideways"),
        _twist(-50, 50, "twists the shin", "twists the shin"),
    )),
    JointLimit("left ankle", ("left_ankle",), _DOWN, (
        Range("x", -60, 80, "flexes the foot up", "points the foot down"),
        Range("z", -45, 45, "rolls the foot", "rolls the foot"),
        _twist(-50, 50, "turns the foot", "turns the foot"),
    )),
    JointLimit("left toes", ("left_foot",), _FORWARD, (
        Range("x", -70, 55, "bend up", "curl down"),
        Range("y", -30, 30, "bend sideways", "bend sideways"),
        _twist(-30, 30, "twist", "twist"),
    )),
)
# fmt: on


def _quaternions(pose: Pose) -> np.ndarray:
    """(N, 24, 4) float64 local rotations as unit quaternions (w first)."""
    return axis_angle_to_quaternion(pose.axis_angle().double()).numpy()


def quaternion_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a ⊗ b of (..., 4) quaternions (w first): the rotation b, then a."""
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack([
        aw * bw - ax * bx - ay * by - az * bz,
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
    ], axis=-1)


def _reflect(quaternion: np.ndarray) -> np.ndarray:
    """Mirror rotations through the x = 0 plane: a right-side joint seen as a left-side one."""
    return quaternion * np.array([1.0, 1.0, -1.0, -1.0])


def swing_twist(
    quaternion: np.ndarray, axis: tuple[float, float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """(N, 4) quaternions → swing axis-angle vectors (N, 3) and twist angles (N,), in degrees.

    q = swing ⊗ twist with twist about `axis`; when the swing is a half turn the twist is
    undefined and taken as zero.
    """
    axis_array = np.asarray(axis, dtype=np.float64)
    quaternion = np.where(quaternion[:, :1] < 0, -quaternion, quaternion)  # w >= 0: angles in [-π, π]
    along = quaternion[:, 1:] @ axis_array  # (N,)
    twist_angle = 2.0 * np.arctan2(along, quaternion[:, 0])  # (N,) in (-π, π]
    twist_angle = (twist_angle + np.pi) % (2 * np.pi) - np.pi
    half = twist_angle / 2
    twist = np.concatenate([np.cos(half)[:, None], np.sin(half)[:, None] * axis_array], axis=1)  # (N, 4)
    swing = quaternion_product(quaternion, twist * np.array([1.0, -1.0, -1.0, -1.0]))  # q ⊗ twist⁻¹
    swing = np.where(swing[:, :1] < 0, -swing, swing)
    sin_half = np.linalg.norm(swing[:, 1:], axis=1)  # (N,)
    angle = 2.0 * np.arctan2(sin_half, swing[:, 0])
    unit = swing[:, 1:] / np.maximum(sin_half, 1e-12)[:, None]
    return np.degrees(unit * angle[:, None]), np.degrees(twist_angle)


def hip_euler_angles(quaternion: np.ndarray) -> np.ndarray:
    """(N, 4) left-hip rotations → (N, 3) degrees: x (flexion), z (abduction), twist (rotation).

    R = Rx(x) · Rz(z) · R_{-y}(twist): first the thigh swings forward/back about x, then sideways
    about its own z, then it turns about its own axis (-y); the usual clinical hip angles. Near
    z = ±90° (thigh straight out sideways) x and twist are not separable (gimbal lock).
    """
    w, x, y, z = np.moveaxis(quaternion, -1, 0)
    r01 = 2 * (x * y - z * w)
    r11 = 1 - 2 * (x * x + z * z)
    r21 = 2 * (y * z + x * w)
    r00 = 1 - 2 * (y * y + z * z)
    r02 = 2 * (x * z + y * w)
    flexion = np.arctan2(r21, r11)
    abduction = np.arcsin(np.clip(-r01, -1.0, 1.0))
    about_y = np.arctan2(r02, r00)  # rotation about +y, i.e. minus the rotation about the bone (-y)
    return np.degrees(np.stack([flexion, abduction, -about_y], axis=1))


#: Beyond this abduction (degrees) the hip's flexion and rotation are not checked (gimbal lock).
HIP_GIMBAL_LIMIT = 80.0


def _chain(quaternions: np.ndarray, joints: tuple[str, ...], reflect: bool) -> np.ndarray:
    """(N, 4) composed local rotation of a chain of joints (parent first), optionally reflected."""
    result = quaternions[:, SMPL_JOINT_NAMES.index(joints[0])]
    for joint in joints[1:]:
        result = quaternion_product(result, quaternions[:, SMPL_JOINT_NAMES.index(joint)])
    return _reflect(result) if reflect else result


def _side_label(label: str, side: str) -> str:
    return label.replace("left", side, 1) if side != "left" else label


def joint_angles(rotation: np.ndarray, limit: JointLimit) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The components a limit checks, each (N,) degrees, and an (N,) mask of where x and twist are
    meaningful (everywhere, except the hip near gimbal lock)."""
    if limit.euler:
        angles = hip_euler_angles(rotation)  # (N, 3): x, z, twist
        meaningful = np.abs(angles[:, 1]) <= HIP_GIMBAL_LIMIT
        return {"x": angles[:, 0], "z": angles[:, 1], "twist": angles[:, 2]}, meaningful
    swing, twist = swing_twist(rotation, limit.twist_axis)
    components = {"x": swing[:, 0], "y": swing[:, 1], "z": swing[:, 2], "twist": twist}
    return components, np.ones(len(rotation), dtype=bool)


def _range_reasons(quaternions: np.ndarray, reasons: list[list[str]]) -> None:
    for limit in JOINT_LIMITS:
        for side in ("left", "right") if limit.mirrored else ("centre",):
            reflect = side == "right"
            joints = tuple(j.replace("left_", "right_") for j in limit.joints) if reflect else limit.joints
            components, meaningful = joint_angles(_chain(quaternions, joints, reflect), limit)
            label = _side_label(limit.label, side)
            for rule in limit.ranges:
                values = components[rule.component]
                outside = (values < rule.low) | (values > rule.high)
                if rule.component != "z":
                    outside &= meaningful
                for index in np.flatnonzero(outside):
                    value = values[index]
                    words, bound = (rule.below, rule.low) if value < rule.low else (rule.above, rule.high)
                    if rule.component == "twist":
                        kind = "rotation" if limit.euler else "twist"
                    else:
                        kind = f"{rule.component} {'Euler angle' if limit.euler else 'swing'}"
                    reasons[index].append(
                        f"{label} {words} {abs(value):.0f}° ({kind} {value:+.0f}°, allowed "
                        f"{rule.low:+.0f}..{rule.high:+.0f}°, limit {abs(bound):.0f}°)"
                    )


def upper_arm_directions(pose: Pose) -> dict[str, np.ndarray]:
    """Side → (N, 3) unit direction of the upper arm in the chest's frame, LEFT-equivalent for both
    sides (the right arm reflected: x is always away from the body's midline on the arm's side)."""
    quaternions = _quaternions(pose)
    directions = {}
    for side in ("left", "right"):
        rotation = _chain(quaternions, (f"{side}_collar", f"{side}_shoulder"), side == "right")
        w, v = rotation[:, :1], rotation[:, 1:]
        arm = np.asarray(_LEFT_ALONG_ARM)
        # Rotate the rest direction: v' = a + 2w (v × a) + 2 v × (v × a).
        cross = np.cross(v, arm)
        directions[side] = arm + 2 * w * cross + 2 * np.cross(v, cross)
    return directions


def _shoulder_reasons(pose: Pose, reasons: list[list[str]]) -> None:
    for side, direction in upper_arm_directions(pose).items():
        behind = np.degrees(np.arcsin(np.clip(-direction[:, 2], -1.0, 1.0)))  # (N,) behind the frontal plane
        for index in np.flatnonzero(behind > SHOULDER_MAX_BEHIND):
            reasons[index].append(
                f"{side} upper arm points {behind[index]:.0f}° behind the body "
                f"(limit {SHOULDER_MAX_BEHIND:.0f}°)"
            )
        across = (direction[:, 0] < SHOULDER_ACROSS_X) & (direction[:, 2] < SHOULDER_ACROSS_MIN_FORWARD)
        for index in np.flatnonzero(across):
            past_midline = np.degrees(np.arcsin(np.clip(-direction[index, 0], -1.0, 1.0)))
            where = "above the shoulder, over the head" if direction[index, 1] > 0 else "into the torso"
            limit = np.degrees(np.arcsin(-SHOULDER_ACROSS_X))
            reasons[index].append(
                f"{side} upper arm points {past_midline:.0f}° across the body's midline {where} "
                f"without being in front of the chest (limit {limit:.0f}° unless in front)"
            )


def implausible_reasons(pose: Pose) -> list[list[str]]:
    """For each pose of the batch, why it is anatomically implausible (an empty list: plausible)."""
    reasons: list[list[str]] = [[] for _ in range(len(pose))]
    _range_reasons(_quaternions(pose), reasons)
    _shoulder_reasons(pose, reasons)
    return reasons


def is_plausible(pose: Pose) -> np.ndarray:
    """(N,) bool: True where a pose breaks no joint limit."""
    return np.array([not reasons for reasons in implausible_reasons(pose)], dtype=bool)


class ImplausiblePoseError(ValueError):
    """A pose that breaks anatomical limits where only plausible ones are allowed."""


def require_plausible(pose: Pose, what: str = "pose") -> Pose:
    """`pose` unchanged, or ImplausiblePoseError saying which poses break which limits."""
    problems = [(index, reasons) for index, reasons in enumerate(implausible_reasons(pose)) if reasons]
    if problems:
        lines = [f"  #{index}: {'; '.join(reasons)}" for index, reasons in problems[:5]]
        more = f"\n  ... and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise ImplausiblePoseError(f"{what} is anatomically implausible:\n" + "\n".join(lines) + more)
    return pose
