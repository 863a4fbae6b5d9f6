"""The records the vision pipeline passes along: one detected person, and one fitted person.

Frames: image points are pixels of the full photo (x right, y down). `world_points` are
BlazePose's metric 3D landmarks turned into the camera-aligned SMPL frame used everywhere
in PoseGPT: origin between the hips, +y up, +z towards the camera, +x to the image's right
(so a person facing the camera has their left on +x and global_orient ≈ 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posegpt.pose import Pose
from posegpt.render import Camera

NUM_LANDMARKS = 33  # BlazePose topology
VISIBLE = 0.5  # landmark visibility that counts as seen (detection, fit, appearance and readings alike)
FACE_LANDMARKS = 11  # BlazePose's first 11 landmarks are the face (nose, eyes, ears, mouth); the body follows

# BlazePose landmark names, in BlazePose's order.
LANDMARK_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)


def face_alone(visibility: np.ndarray) -> bool:
    """Only the face of this person is seen (a person found by their face, whose body BlazePose
    could not read: `posegpt.vision.landmarks.face_only_view`): nothing below it is claimed."""
    return not bool((np.asarray(visibility)[FACE_LANDMARKS:] >= VISIBLE).any())


@dataclass(frozen=True)
class PersonLandmarks:
    """One person found in a photo, as BlazePose saw them."""

    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels of the full photo
    image_points: np.ndarray  # (33, 2) float32 pixels of the full photo
    visibility: np.ndarray  # (33,) float32 in [0, 1]
    world_points: np.ndarray  # (33, 3) float32 metres, camera-aligned SMPL frame (see module doc)
    score: float  # detection confidence in [0, 1]


@dataclass(frozen=True)
class Appearance:
    """Colour cues of one person (sRGB 0..255), taken from the photo around their landmarks."""

    top_rgb: tuple[float, float, float]  # torso / upper clothing
    bottom_rgb: tuple[float, float, float]  # legs / lower clothing
    top_name: str  # a basic colour word, e.g. "red", "dark blue", "white"
    bottom_name: str
    hair_name: str = ""  # a hair word ("grey", "blond", "bald", …; posegpt.vision.appearance.HAIR_NAMES), "" unread
    top_accent: str = ""  # a second, vivid colour of the upper clothing ("red" shoulders on a navy jacket), "" none


@dataclass(frozen=True)
class FittedPerson:
    """A person with the SMPL pose fitted to their landmarks and the camera that places it."""

    landmarks: PersonLandmarks
    pose: Pose  # one pose, camera-aligned SMPL frame (global_orient relative to the camera)
    camera: Camera  # weak perspective: root-centred body-frame vertices → photo pixels
    fit_error_m: float  # mean distance of fitted joints to the visible landmarks, metres
    appearance: Appearance | None = None
