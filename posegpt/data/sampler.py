"""Many plausible poses from a few sources: perturbations, blends, mirrors and upper/lower combinations.

Every pose a `PoseSampler` returns has passed `posegpt.data.plausibility` (random operations are
retried, deterministic ones raise `ImplausiblePoseError`), and one seed gives the same poses on
any machine (all randomness comes from one `numpy.random.Generator`).

The sampler does not know which poses are held out: callers building training data must pass
training-only sources (`posegpt.data.splits.is_heldout` decides), so that no blend, perturbation or
mirror of a held-out pose leaks into training.
"""

from __future__ import annotations

import re

import numpy as np
import torch

from posegpt.data.mocap import facing_normalised
from posegpt.data.plausibility import (
    ImplausiblePoseError,
    is_plausible,
    quaternion_product,
    require_plausible,
)
from posegpt.pose import SMPL_JOINT_NAMES, Pose, axis_angle_to_quaternion, quaternion_to_axis_angle

#: Joints that `combine` takes from the upper-body pose; all others (pelvis, legs) from the lower.
UPPER_BODY_JOINTS: tuple[str, ...] = (
    "spine1", "spine2", "spine3", "neck", "head",
    "left_collar", "right_collar", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hand", "right_hand",
)  # fmt: skip

#: How much each joint moves in `perturb`, relative to the `degrees` asked for: limbs the most,
#: the trunk, head, wrists and ankles less, fingers and toes little, the root not at all.
PERTURB_SCALE: dict[str, float] = {
    "pelvis": 0.0,
    **{joint: 1.0 for joint in ("left_hip", "right_hip", "left_knee", "right_knee", "left_shoulder",
                                "right_shoulder", "left_elbow", "right_elbow")},
    **{joint: 0.5 for joint in ("spine1", "spine2", "spine3", "neck", "head", "left_collar", "right_collar",
                                "left_wrist", "right_wrist", "left_ankle", "right_ankle")},
    **{joint: 0.3 for joint in ("left_hand", "right_hand", "left_foot", "right_foot")},
}  # fmt: skip

# Words that change meaning in a mirror image. A match must not touch other letters, so
# "left_arm", "Left-handed" and "leftward" swap but "leftover" and "righteous" do not.
_SIDE_WORDS = re.compile(
    r"(?<![A-Za-z])(counter-?clockwise|anti-?clockwise|clockwise|left|right)(wards?|most)?(?![A-Za-z])",
    re.IGNORECASE,
)
_SWAPPED = {"left": "right", "right": "left", "clockwise": "counterclockwise"}


def _match_case(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def swap_left_right(text: str) -> str:
    """The description of the mirror image: left ↔ right (keeping case, also in "leftward",
    "left_hand", "rightmost") and clockwise ↔ counterclockwise."""

    def swap(match: re.Match[str]) -> str:
        stem, suffix = match.group(1), match.group(2) or ""
        key = stem.lower()
        swapped = _SWAPPED.get(key, "clockwise")  # every counter/anti-clockwise spelling → clockwise
        return _match_case(swapped, stem) + suffix

    return _SIDE_WORDS.sub(swap, text)


def _quaternions(pose: Pose) -> np.ndarray:
    """(N, 24, 4) float64 unit quaternions (w first) of all joints, root included."""
    return axis_angle_to_quaternion(pose.axis_angle().double()).numpy()


def _pose_from_quaternions(quaternions: np.ndarray, like: Pose) -> Pose:
    axis_angle = quaternion_to_axis_angle(torch.from_numpy(quaternions))  # (N, 24, 3)
    return Pose.from_axis_angle(axis_angle.float(), betas=like.betas, phenotype=like.phenotype)


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation of (..., 4) unit quaternions along the shorter arc; t=0 → a, t=1 → b."""
    dot = np.sum(a * b, axis=-1, keepdims=True)
    b = np.where(dot < 0, -b, b)  # q and -q are the same rotation: take the nearer one
    dot = np.abs(dot)
    angle = np.arccos(np.clip(dot, -1.0, 1.0))
    sin_angle = np.sin(angle)
    near = sin_angle < 1e-6  # (almost) the same rotation: linear interpolation is exact enough
    safe = np.where(near, 1.0, sin_angle)
    weight_a = np.where(near, 1.0 - t, np.sin((1.0 - t) * angle) / safe)
    weight_b = np.where(near, t, np.sin(t * angle) / safe)
    result = weight_a * a + weight_b * b
    return result / np.linalg.norm(result, axis=-1, keepdims=True)


def _rotation_vector_to_quaternion(vectors: np.ndarray) -> np.ndarray:
    return axis_angle_to_quaternion(torch.from_numpy(vectors)).numpy()


#: Blends and combinations in `PoseSampler.sample` pair poses whose roots differ at most this much.
MAX_PAIR_ROOT_DEGREES = 45.0


def _root_angle_degrees(a: Pose, b: Pose) -> float:
    """Angle of the rotation between the root orientations of two single poses."""
    qa, qb = _quaternions(a)[0, 0], _quaternions(b)[0, 0]
    return float(np.degrees(2 * np.arccos(np.clip(abs(qa @ qb), 0.0, 1.0))))


class PoseSampler:
    """Makes new plausible poses from source poses; deterministic for a given seed.

    Each method accepts a batch (N poses) or a single pose (N = 1).
    """

    def __init__(self, seed: int = 0, max_tries: int = 40) -> None:
        self.seed = seed
        self.max_tries = max_tries
        self.rng = np.random.default_rng(seed)

    # -- operations --------------------------------------------------------------------------------

    def perturb(self, pose: Pose, degrees: float = 8.0) -> Pose:
        """Turn every joint by a small random rotation (RMS angle `degrees` on arms and legs, less on
        the trunk, wrists and ankles, none on the root). Poses that come out implausible are drawn
        again with smaller noise; a source that is implausible itself raises ImplausiblePoseError."""
        require_plausible(pose, "the pose to perturb")
        source = _quaternions(pose)  # (N, 24, 4)
        scale = np.array([PERTURB_SCALE.get(name, 1.0) for name in SMPL_JOINT_NAMES])  # (24,)
        result = source.copy()
        pending = np.arange(len(pose))
        strength = float(degrees)
        for _ in range(self.max_tries):
            sigma = np.radians(strength) * scale / np.sqrt(3.0)  # per axis, so the RMS angle is `strength`
            noise = self.rng.normal(size=(len(pending), len(SMPL_JOINT_NAMES), 3)) * sigma[:, None]
            result[pending] = quaternion_product(_rotation_vector_to_quaternion(noise), source[pending])
            candidate = _pose_from_quaternions(result[pending], Pose.identity())  # only for the check
            pending = pending[~is_plausible(candidate)]
            if len(pending) == 0:
                return _pose_from_quaternions(result, pose)
            strength *= 0.8
        raise ImplausiblePoseError(
            f"could not perturb {len(pending)} pose(s) plausibly in {self.max_tries} tries"
        )

    def blend(self, a: Pose, b: Pose, t: float) -> Pose:
        """Per-joint slerp from `a` (t=0) to `b` (t=1), root included; one of them may be a single pose.
        Raises ImplausiblePoseError if a blended pose breaks a joint limit."""
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"t must be in [0, 1], got {t}")
        if len(a) != len(b) and 1 not in (len(a), len(b)):
            raise ValueError(f"cannot blend {len(a)} poses with {len(b)} poses")
        qa, qb = _quaternions(a), _quaternions(b)
        qa, qb = np.broadcast_arrays(qa, qb)
        blended = _pose_from_quaternions(slerp(qa, qb, t), a if len(a) >= len(b) else b)
        return require_plausible(blended, "the blend")

    def mirror(self, pose: Pose, text: str | None = None) -> tuple[Pose, str | None]:
        """The left–right mirror image and, if given, its description with sides swapped."""
        mirrored = require_plausible(pose.mirrored(), "the mirrored pose")
        return mirrored, None if text is None else swap_left_right(text)

    def combine(self, upper_from: Pose, lower_from: Pose) -> Pose:
        """Upper body (`UPPER_BODY_JOINTS`: spine, neck, head, arms) from one pose, pelvis and legs from
        the other. Raises ImplausiblePoseError if the result breaks a joint limit."""
        if len(upper_from) != len(lower_from) and 1 not in (len(upper_from), len(lower_from)):
            raise ValueError(f"cannot combine {len(upper_from)} poses with {len(lower_from)} poses")
        upper, lower = np.broadcast_arrays(_quaternions(upper_from), _quaternions(lower_from))
        combined = lower.copy()
        columns = [SMPL_JOINT_NAMES.index(joint) for joint in UPPER_BODY_JOINTS]
        combined[:, columns] = upper[:, columns]
        return require_plausible(_pose_from_quaternions(combined, lower_from), "the combined pose")

    # -- mixing sources ----------------------------------------------------------------------------

    def sample(
        self, sources: dict[str, Pose], n: int, degrees: float = 8.0, face_forward: bool = True
    ) -> list[tuple[Pose, str]]:
        """`n` new single poses, each with its provenance, e.g. "perturb(blend(squat,lunge,0.30),8°)".

        A source with several frames (a mocap clip) gives one random frame at a time, named
        "walk[12]". Operations: perturb, blend (t in [0.2, 0.8]), combine upper/lower, each
        possibly mirrored and lightly perturbed afterwards. Blends and combinations only pair poses
        whose root orientations differ by at most `MAX_PAIR_ROOT_DEGREES` (a standing and a lying
        pose would give a body floating at a slant). With `face_forward`, every source frame is
        first turned to face +z (`facing_normalised`). Implausible results are skipped; frames of
        the sources that are implausible are never drawn.
        """
        if n < 0:
            raise ValueError(f"n must be non-negative, got {n}")
        if face_forward:
            sources = {name: facing_normalised(pose) for name, pose in sources.items()}
        pools = self._plausible_frames(sources)
        names = list(pools)
        results: list[tuple[Pose, str]] = []
        attempts = 0
        while len(results) < n:
            attempts += 1
            if attempts > 50 * max(n, 1):
                raise ImplausiblePoseError(
                    f"only {len(results)} of {n} plausible poses after {attempts} attempts"
                )
            try:
                results.append(self._one(pools, names, degrees))
            except ImplausiblePoseError:
                continue
        return results

    def _plausible_frames(self, sources: dict[str, Pose]) -> dict[str, tuple[Pose, np.ndarray]]:
        """Name → (poses, indices of its plausible frames); sources with none are left out."""
        pools = {}
        for name, pose in sources.items():
            frames = np.flatnonzero(is_plausible(pose))
            if len(frames):
                pools[name] = (pose, frames)
        if not pools:
            raise ImplausiblePoseError("no source has a plausible pose to sample from")
        return pools

    def _draw(self, pools: dict[str, tuple[Pose, np.ndarray]], names: list[str]) -> tuple[Pose, str]:
        name = names[self.rng.integers(len(names))]
        pose, frames = pools[name]
        frame = int(frames[self.rng.integers(len(frames))])
        return pose[frame], name if len(pose) == 1 else f"{name}[{frame}]"

    def _partner(
        self, first: Pose, first_name: str, pools: dict[str, tuple[Pose, np.ndarray]], names: list[str]
    ) -> tuple[Pose, str] | None:
        """Another random pose whose root orientation is close to `first`'s (None if none is found soon)."""
        for _ in range(10):
            second, second_name = self._draw(pools, names)
            if second_name != first_name and _root_angle_degrees(first, second) <= MAX_PAIR_ROOT_DEGREES:
                return second, second_name
        return None

    def _one(
        self, pools: dict[str, tuple[Pose, np.ndarray]], names: list[str], degrees: float
    ) -> tuple[Pose, str]:
        operation = self.rng.choice(["perturb", "blend", "combine"], p=[0.4, 0.4, 0.2])
        first, first_name = self._draw(pools, names)
        partner = None if operation == "perturb" else self._partner(first, first_name, pools, names)
        if partner is None:
            pose, provenance = self.perturb(first, degrees), f"perturb({first_name},{degrees:g}°)"
        else:
            second, second_name = partner
            if operation == "blend":
                t = float(np.round(self.rng.uniform(0.2, 0.8), 2))
                pose = self.blend(first, second, t)
                provenance = f"blend({first_name},{second_name},{t:.2f})"
            else:
                pose = self.combine(first, second)
                provenance = f"combine(upper={first_name},lower={second_name})"
            if self.rng.random() < 0.5:
                light = degrees / 2
                pose, provenance = self.perturb(pose, light), f"perturb({provenance},{light:g}°)"
        if self.rng.random() < 0.5:
            pose, provenance = self.mirror(pose)[0], f"mirror({provenance})"
        return pose, provenance
