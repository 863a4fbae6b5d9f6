"""What the LLM is told about each person in a photo: a feature vector and a few words.

Per person the prompt carries one line, e.g.
    "Person 2: on the right, tall, near the camera, red top, blue trousers, grey hair, sitting,
    left arm up, right knee raised, facing the camera <PERSON><PERSON>"
The words are the vision module's reading of the photo (position, size, clothing colours, hair,
posture, every gesture, facing) — anchors a small LLM can match a question against; the `<PERSON>` placeholders are
replaced, inside the model, by a trained projection of the person's feature vector (fitted
pose, joints, box, colours, visibility), the way a VLM processor expands image tokens. People
are numbered left to right, so "Person 1" is always the leftmost.

Everything here works on `FittedPerson` records, which the real pipeline (photos) and the
training-data builder (synthetic scenes) both produce, so the model sees the same kind of
input in training and in use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from posegpt.pose import NUM_JOINTS, matrix_to_rotation_6d
from posegpt.tokens import PERSON_TOKEN
from posegpt.vision.people import VISIBLE, FittedPerson, face_alone

# Layout of one person's feature vector.
POSE_6D_DIM = NUM_JOINTS * 6  # fitted joint rotations, camera frame (6D, first two columns of R)
JOINTS_DIM = NUM_JOINTS * 3  # fitted joint positions, root-centred, metres
BOX_DIM = 6  # centre x/W, centre y/H, width/W, height/H, height ÷ tallest person's, left-to-right rank
COLOUR_DIM = 6  # top RGB, bottom RGB in [0, 1]
VISIBILITY_DIM = 3  # mean landmark visibility, upper-body and lower-body visibility
PERSON_FEATURE_DIM = POSE_6D_DIM + JOINTS_DIM + BOX_DIM + COLOUR_DIM + VISIBILITY_DIM  # 231

TALL_RATIO = 1.2  # a person at least this much taller (in pixels) than everyone else is "tall"
SMALL_RATIO = 0.75  # one at most this fraction of the tallest is "small"
_UPPER = list(range(0, 23))  # BlazePose face, shoulders, arms, hands
_LOWER = list(range(23, 33))  # hips, legs, feet

# Posture words, first match wins; checks from posegpt/eval/checks.py.
_POSTURES = (
    ("lying", "lying down"),
    ("sitting", "sitting"),
    ("kneeling", "kneeling"),
    ("squatting", "squatting"),
    ("crouched", "crouching"),
    ("torso_bent_forward", "bending forward"),
)
_ARMS = (
    ("both_wrists_above_head", "both arms up"),
    ("left_wrist_above_shoulder", "left arm up"),
    ("right_wrist_above_shoulder", "right arm up"),
    ("arms_out_to_sides", "arms out"),
    ("hands_on_hips", "hands on hips"),
    ("arms_forward", "arms forward"),
)
_LEGS = (
    ("left_knee_raised", "left knee raised"),
    ("right_knee_raised", "right knee raised"),
    ("left_foot_raised", "left foot raised"),
    ("right_foot_raised", "right foot raised"),
)
POSTURE_WORDS: tuple[str, ...] = tuple(words for _, words in _POSTURES) + ("standing",)
GESTURE_WORDS: tuple[str, ...] = tuple(words for _, words in (*_ARMS, *_LEGS))
FACING_WORDS: tuple[str, ...] = ("facing the camera", "facing away", "turned to their left", "turned to their right")
HEIGHT_RATIO_INDEX = POSE_6D_DIM + JOINTS_DIM + 4  # where a feature vector holds height ÷ tallest person's
IMPLIED_GESTURES = {"both arms up": ("left arm up", "right arm up")}
# How a size reads in the prompt: in a photo of adults the biggest is the nearest, and questions
# name them either way ("the tallest person", "the person closest to the camera").
SIZE_WORDS = {"tall": "tall, near the camera", "small": "small, far away"}
ATTRIBUTE_CHECKS = tuple(name for table in (_POSTURES, _ARMS, _LEGS) for name, _ in table) + ("upright_standing",)


@dataclass(frozen=True)
class PersonReading:
    """The words and numbers about one person that go into the prompt."""

    number: int  # 1-based, left to right
    position: str  # "on the left", "in the middle", "on the right", "in the centre" (alone)
    size: str  # "tall", "small" or ""
    top: str  # colour word of the upper clothing
    bottom: str  # colour word of the lower clothing ("unseen" when the legs are not visible)
    posture: str  # "standing", "sitting", …
    gesture: str  # every arm then leg gesture: "left arm up, right arm up, arms out", "both arms up, right knee raised", "" …
    facing: str  # "facing the camera", "facing away", "turned to their left", …
    features: torch.Tensor  # (PERSON_FEATURE_DIM,) float32
    hair: str = ""  # hair word (posegpt.vision.appearance.HAIR_NAMES: "grey", "blond", "bald", …), "" unread
    top_accent: str = ""  # a second, vivid colour of the top (posegpt.vision.appearance), "" none; the
    # referring resolver reads it ("the man in the red jacket" = red yoke on navy), the prompt does not

    @property
    def gesture_words(self) -> tuple[str, ...]:
        """Every gesture a question may name this person by: the words said, and what they imply
        ("both arms up" is also "left arm up" and "right arm up")."""
        said = [word for word in self.gesture.split(", ") if word]
        return tuple(dict.fromkeys(said + [implied for word in said for implied in IMPLIED_GESTURES.get(word, ())]))

    @property
    def label(self) -> str:
        """How a reply names this person before their pose: "Person 3 (on the right)"."""
        return f"Person {self.number} ({self.position})"

    def describe(self) -> str:
        """The short line the LLM reads (without the number and placeholders)."""
        parts = [self.position, SIZE_WORDS.get(self.size, self.size), f"{self.top} top", f"{self.bottom} trousers" if self.bottom != "unseen" else "",
                 ("bald" if self.hair == "bald" else f"{self.hair} hair") if self.hair else "", self.posture, self.gesture, self.facing]
        return ", ".join(part for part in parts if part)


def _facing(rotation: np.ndarray) -> str:
    """Heading of the body's forward axis (+z in the body frame) as seen by the camera."""
    forward = rotation @ np.array([0.0, 0.0, 1.0])  # (3,) camera frame: +z towards the camera
    yaw = math.degrees(math.atan2(forward[0], forward[2]))  # 0 = facing the camera
    if abs(yaw) <= 35:
        return "facing the camera"
    if abs(yaw) >= 135:
        return "facing away"
    # forward towards image right (+x) = the person turned to their own left
    return "turned to their left" if yaw > 0 else "turned to their right"


def _first(checks: dict[str, bool], table: Sequence[tuple[str, str]]) -> str:
    return next((words for name, words in table if checks.get(name)), "")


def gesture_reading(checks: dict[str, bool]) -> str:
    """Every arm and leg gesture the checks find, minus those another one already implies.

    All of them, not the first: a question may name a person by any one ("the one raising their
    right arm" when both arms are raised to shoulder height), and the reading must carry it."""
    said = [words for name, words in (*_ARMS, *_LEGS) if checks.get(name)]
    implied = {word for words in said for word in IMPLIED_GESTURES.get(words, ())}
    return ", ".join(words for words in said if words not in implied)


def _positions(count: int) -> list[str]:
    if count == 1:
        return ["in the centre"]
    if count == 2:
        return ["on the left", "on the right"]
    middle = ["in the middle"] if count == 3 else [f"{_ordinal(i + 1)} from the left" for i in range(1, count - 1)]
    return ["on the left", *middle, "on the right"]


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}.get(n, f"{n}th")


def read_people(people: Sequence[FittedPerson], image_size: tuple[int, int]) -> list[PersonReading]:
    """Describe people (already sorted left to right) for the prompt: words + feature vectors.

    `image_size` is (width, height) in pixels of the photo the landmarks refer to.
    """
    from posegpt.eval.checks import run_checks

    width, height = (float(v) for v in image_size)
    if width <= 0 or height <= 0:
        raise ValueError(f"image_size must be positive (width, height), got {image_size}")
    if not people:
        return []
    heights = np.array([max(1.0, p.landmarks.box[3] - p.landmarks.box[1]) for p in people])  # (N,) pixels
    tallest = float(heights.max())
    positions = _positions(len(people))
    readings = []
    for index, person in enumerate(people):
        rotations = person.pose.rotation_matrices()[0]  # (24, 3, 3)
        joints = person.pose.joints()[0]  # (24, 3) root-centred
        checks = run_checks(person.pose, ATTRIBUTE_CHECKS)
        others = np.delete(heights, index)
        size = ""
        if len(people) > 1 and heights[index] >= TALL_RATIO * others.max():
            size = "tall"
        elif len(people) > 1 and heights[index] <= SMALL_RATIO * tallest:
            size = "small"
        visibility = np.asarray(person.landmarks.visibility, dtype=np.float32)  # (33,)
        legs_seen = float(visibility[_LOWER].mean()) >= VISIBLE
        appearance = person.appearance
        top = appearance.top_name if appearance is not None else "unknown"
        bottom = appearance.bottom_name if appearance is not None and legs_seen else "unseen"
        body_seen = not face_alone(visibility)  # a face alone: the fit's body is only its prior
        posture = _first(checks, _POSTURES) or ("standing" if checks.get("upright_standing") or legs_seen else "")
        posture = posture if body_seen else ""
        x0, y0, x1, y1 = person.landmarks.box
        box = [((x0 + x1) / 2) / width, ((y0 + y1) / 2) / height, (x1 - x0) / width, (y1 - y0) / height,
               heights[index] / tallest, index / max(1, len(people) - 1)]
        colours = [c / 255.0 for c in (appearance.top_rgb + appearance.bottom_rgb)] if appearance is not None else [0.5] * 6
        seen = [float(visibility.mean()), float(visibility[_UPPER].mean()), float(visibility[_LOWER].mean())]
        features = torch.cat([
            matrix_to_rotation_6d(rotations.float()).reshape(-1),  # (144,)
            joints.float().reshape(-1),  # (72,)
            torch.tensor(box + colours + seen, dtype=torch.float32),  # (15,)
        ])
        readings.append(PersonReading(
            number=index + 1, position=positions[index], size=size, top=top, bottom=bottom, posture=posture,
            gesture=gesture_reading(checks) if body_seen else "", facing=_facing(rotations[0].double().numpy()),
            features=features, hair=appearance.hair_name if appearance is not None else "",
            top_accent=appearance.top_accent if appearance is not None else "",
        ))
    return readings


def people_prompt(readings: Sequence[PersonReading], tokens_per_person: int) -> str:
    """The block of text that stands for the photo in the user's message."""
    if tokens_per_person < 1:
        raise ValueError("tokens_per_person must be at least 1")
    if not readings:
        return "[Photo: no people found]"
    count = len(readings)
    lines = [f"[Photo: {count} {'person' if count == 1 else 'people'}]"]
    placeholders = PERSON_TOKEN * tokens_per_person
    lines += [f"Person {r.number}: {r.describe()} {placeholders}" for r in readings]
    return "\n".join(lines)


def stack_features(readings: Sequence[PersonReading]) -> torch.Tensor:
    """(N, PERSON_FEATURE_DIM) float32 in reading order (N may be 0)."""
    if not readings:
        return torch.zeros(0, PERSON_FEATURE_DIM)
    return torch.stack([r.features for r in readings])
