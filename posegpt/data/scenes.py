"""Training conversations about photos of people, made without photos.

A synthetic scene places 1–4 people (poses from the split's pose sources, turned by a random
yaw, of random sizes, positions and clothing colours) in a virtual frame and turns each one into
what the detector would give: BlazePose-like 3D landmarks with noise, missing joints and
truncation at the frame's edge, 2D points through a weak-perspective camera, then the same SMPL
fit, camera fit and feature reading (`posegpt.vision.features`) the app runs on real photos.
The conversation asks about one person (position, size, clothing, posture, gesture, situation,
facing, number), about everyone, or about the scene (how many, who is …, describe), and the
answer names the person and emits `<POSE>` with that person's true pose as the target.

Questions refer to people by what the vision module *says* about them (their reading), so
the model learns to match words to readings; the pose target is the true pose, so the head
learns to correct the fit. Phrasings follow the held-out rule of `posegpt/data/splits.py`; they
are data (``posegpt/data/catalogues/scenes.yaml``, validated by `posegpt.data.catalogue`).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from posegpt.data.catalogue import load
from posegpt.data.conversations import PoseItem, Sample, library_items, mocap_items, sampler_items, templates_for
from posegpt.pose import Pose, axis_angle_to_matrix
from posegpt.tokens import POSE_TOKEN
from posegpt.vision.features import PersonReading, people_prompt, read_people, stack_features
from posegpt.vision.people import Appearance, FittedPerson, PersonLandmarks

FRAME_SIZE = (640, 480)  # virtual photo (width, height), the size the app downscales photos near
BODY_HEIGHT_M = 1.75  # rough standing height that maps metres to pixels
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (200, 30, 35), "orange": (235, 130, 30), "yellow": (230, 210, 40), "green": (40, 150, 60),
    "blue": (35, 70, 190), "purple": (120, 50, 160), "pink": (235, 120, 170), "brown": (110, 70, 40),
    "black": (25, 25, 28), "white": (235, 235, 235), "grey": (128, 128, 128),
}
SCENE_MIX = {"refer": 0.55, "single": 0.12, "everyone": 0.08, "count": 0.08, "who": 0.09, "describe": 0.05, "empty": 0.03}

# -- phrasings (posegpt/data/catalogues/scenes.yaml) -------------------------------------------------

_WORDS = load("scenes")
POSE_QUESTIONS: tuple[str, ...] = _WORDS["questions"]["pose"]  # {ref}: a referring expression
SINGLE_QUESTIONS: tuple[str, ...] = _WORDS["questions"]["single"]
EVERYONE_QUESTIONS: tuple[str, ...] = _WORDS["questions"]["everyone"]
COUNT_QUESTIONS: tuple[str, ...] = _WORDS["questions"]["count"]
DESCRIBE_QUESTIONS: tuple[str, ...] = _WORDS["questions"]["describe"]
WHO_QUESTIONS: tuple[str, ...] = _WORDS["questions"]["who"]  # {state}: a phrase of WHO_STATES

# reading attribute → referring expressions; {c} is a colour word
POSITION_REFS: dict[str, tuple[str, ...]] = _WORDS["refs"]["position"]
SIZE_REFS: dict[str, tuple[str, ...]] = _WORDS["refs"]["size"]
TOP_REFS: tuple[str, ...] = _WORDS["refs"]["top"]
BOTTOM_REFS: tuple[str, ...] = _WORDS["refs"]["bottom"]
POSTURE_REFS: dict[str, tuple[str, ...]] = _WORDS["refs"]["posture"]
GESTURE_REFS: dict[str, tuple[str, ...]] = _WORDS["refs"]["gesture"]
FACING_REFS: dict[str, tuple[str, ...]] = _WORDS["refs"]["facing"]
WHO_STATES: dict[str, str] = _WORDS["who_states"]


@dataclass(frozen=True)
class ScenePersonTruth:
    """A person as the scene made them: true pose (camera frame) and where and how they appear."""

    item: PoseItem
    pose: Pose  # camera-aligned: global_orient includes the yaw
    height_px: float
    center_x: float
    foot_y: float
    top: str
    bottom: str


def _yawed(pose: Pose, yaw_deg: float, pitch_deg: float = 0.0) -> Pose:
    """The pose turned about the vertical (and tilted towards the camera) as a camera would see it."""
    turn = axis_angle_to_matrix(torch.tensor([0.0, math.radians(yaw_deg), 0.0]))
    tilt = axis_angle_to_matrix(torch.tensor([math.radians(pitch_deg), 0.0, 0.0]))
    rotations = pose.rotation_matrices().clone()  # (1, 24, 3, 3)
    rotations[:, 0] = tilt @ turn @ rotations[:, 0]
    return Pose.from_rotation_matrices(rotations)


def pose_pool(split: str, seed: int = 0) -> tuple[PoseItem, ...]:
    """The split's named poses, sampler poses and mocap frames (held-out rule respected)."""
    return library_items(split) + sampler_items(split, seed, 600 if split == "train" else 150) + mocap_items(split)  # type: ignore[arg-type]


def sample_people(rng: random.Random, pool: Sequence[PoseItem], count: int, frame: tuple[int, int] = FRAME_SIZE) -> list[ScenePersonTruth]:
    """`count` people side by side (sorted left to right) at random depths, sizes, yaws and colours."""
    width, height = frame
    slot = width / max(1, count)
    centres = [slot * (i + 0.5 + rng.uniform(-0.2, 0.2)) for i in range(count)]  # left to right
    people = []
    for centre in centres:
        item = rng.choice(pool)
        yaw = rng.choice([rng.uniform(-60, 60), rng.uniform(-60, 60), rng.uniform(120, 240)]) if rng.random() < 0.15 else rng.uniform(-60, 60)
        pose = _yawed(item.pose, yaw, rng.uniform(-8, 8))
        scale = rng.uniform(0.35, 0.95) if count > 1 else rng.uniform(0.55, 0.98)
        top, bottom = rng.choice(sorted(PALETTE)), rng.choice(sorted(PALETTE))
        people.append(ScenePersonTruth(item, pose, scale * height, centre,
                                       rng.uniform(0.75, 1.05) * height, top, bottom))
    return people


def synthesize_people(truths: Sequence[ScenePersonTruth], rng: random.Random, frame: tuple[int, int] = FRAME_SIZE) -> list[FittedPerson]:
    """What the detector + fit would report for these people (landmark noise, truncation, fit)."""
    from posegpt.vision.fit import fit_people, synthetic_landmarks

    if not truths:
        return []
    width, height = frame
    generator = torch.Generator().manual_seed(rng.randrange(2**31))
    rotations = torch.cat([t.pose.rotation_matrices() for t in truths])  # (N, 24, 3, 3)
    noise = rng.choice([0.01, 0.02, 0.03])
    world, visibility = synthetic_landmarks(rotations, generator=generator, noise_m=noise)  # (N, 33, 3), (N, 33)
    clean, _ = synthetic_landmarks(rotations)  # (N, 33, 3) the points' true places, for the 2D projection
    landmarks = []
    for index, truth in enumerate(truths):
        points = clean[index].numpy()  # (33, 3) metres, origin between the hips
        scale = truth.height_px / BODY_HEIGHT_M
        lowest = float(points[:, 1].min())
        u = scale * points[:, 0] + truth.center_x
        v = -scale * (points[:, 1] - lowest) + truth.foot_y
        image_points = np.stack([u, v], axis=1) + np.random.default_rng(rng.randrange(2**31)).normal(0, 0.01 * truth.height_px, (33, 2))
        seen = visibility[index].numpy().copy()
        outside = (image_points[:, 0] < 0) | (image_points[:, 0] >= width) | (image_points[:, 1] < 0) | (image_points[:, 1] >= height)
        seen[outside] = np.minimum(seen[outside], 0.05)
        inside = image_points[~outside] if (~outside).any() else image_points
        box = (float(max(0, inside[:, 0].min())), float(max(0, inside[:, 1].min())),
               float(min(width, inside[:, 0].max())), float(min(height, inside[:, 1].max())))
        world_points = world[index].numpy().copy()
        landmarks.append(PersonLandmarks(box, image_points.astype(np.float32), seen.astype(np.float32),
                                         world_points.astype(np.float32), float(rng.uniform(0.6, 1.0))))
    fitted = fit_people(landmarks)
    result = []
    for person, truth in zip(fitted, truths):
        top_name, top_rgb = _noisy_colour(truth.top, rng)
        bottom_name, bottom_rgb = _noisy_colour(truth.bottom, rng)
        appearance = Appearance(top_rgb, bottom_rgb, top_name, bottom_name)
        result.append(FittedPerson(person.landmarks, person.pose, person.camera, person.fit_error_m, appearance))
    return result


def _noisy_colour(name: str, rng: random.Random) -> tuple[str, tuple[float, float, float]]:
    """A clothing colour as the appearance reader would see it (shading, noise), and its name."""
    from posegpt.vision.appearance import colour_name

    shade = rng.uniform(0.7, 1.1)
    rgb = tuple(float(np.clip(c * shade + rng.gauss(0, 10), 0, 255)) for c in PALETTE[name])
    return colour_name(rgb), rgb  # type: ignore[return-value]


# -- dialogues -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dialogue:
    question: str
    answer: str
    pose_people: list[int]  # person index per <POSE> in the answer
    kind: str
    templates: list[str]


def _unique(readings: Sequence[PersonReading], value_of) -> dict[str, int]:
    """Attribute value → the one person who has it (values shared by several people are dropped)."""
    owners: dict[str, list[int]] = {}
    for index, reading in enumerate(readings):
        value = value_of(reading)
        if value:
            owners.setdefault(value, []).append(index)
    return {value: people[0] for value, people in owners.items() if len(people) == 1}


def _unique_words(readings: Sequence[PersonReading], words_of) -> dict[str, int]:
    """Word → the one person whose words include it (for attributes a person can have several of)."""
    owners: dict[str, list[int]] = {}
    for index, reading in enumerate(readings):
        for word in words_of(reading):
            owners.setdefault(word, []).append(index)
    return {word: people[0] for word, people in owners.items() if len(people) == 1}


def referring_expressions(readings: Sequence[PersonReading]) -> list[tuple[str, str, int]]:
    """Every (kind, phrase, person index) that singles out one person among `readings`."""
    found: list[tuple[str, str, int]] = []
    if len(readings) > 1:
        for value, index in _unique(readings, lambda r: r.position).items():
            found += [("position", phrase, index) for phrase in POSITION_REFS.get(value, ())]
        for value, index in _unique(readings, lambda r: r.size).items():
            found += [("size", phrase, index) for phrase in SIZE_REFS.get(value, ())]
        for value, index in _unique(readings, lambda r: r.top if r.top not in ("unknown",) else "").items():
            found += [("appearance", phrase.format(c=value), index) for phrase in TOP_REFS]
        for value, index in _unique(readings, lambda r: r.bottom if r.bottom not in ("unknown", "unseen") else "").items():
            found += [("appearance", phrase.format(c=value), index) for phrase in BOTTOM_REFS]
        for value, index in _unique(readings, lambda r: r.posture).items():
            found += [("posture", phrase, index) for phrase in POSTURE_REFS.get(value, ())]
        for value, index in _unique_words(readings, lambda r: r.gesture_words).items():
            found += [("gesture", phrase, index) for phrase in GESTURE_REFS.get(value, ())]
        for value, index in _unique(readings, lambda r: r.facing).items():
            found += [("facing", phrase, index) for phrase in FACING_REFS.get(value, ())]
    found += [("number", f"person {reading.number}", index) for index, reading in enumerate(readings)]
    return found


class DialogueMaker:
    """Questions and answers about the people of one scene, phrasings of one split."""

    def __init__(self, split: str) -> None:
        self.split = split
        self.templates: dict[str, list[tuple[str, str]]] = {}
        for family, texts in (("pose", POSE_QUESTIONS), ("single", SINGLE_QUESTIONS), ("everyone", EVERYONE_QUESTIONS),
                              ("count", COUNT_QUESTIONS), ("describe", DESCRIBE_QUESTIONS), ("who", WHO_QUESTIONS)):
            try:
                self.templates[family] = templates_for(f"scene_{family}", texts, split)  # type: ignore[arg-type]
            except ValueError:
                pass  # no phrasing of this family is held out: the split has no such questions

    def _pick(self, family: str, rng: random.Random) -> tuple[str, str]:
        if family not in self.templates:
            raise ValueError(f"the {self.split!r} split has no phrasings of scene {family!r} questions")
        return rng.choice(self.templates[family])

    def refer(self, readings: Sequence[PersonReading], rng: random.Random, kinds: Sequence[str] | None = None) -> Dialogue | None:
        """A question that picks one person by a referring expression; None if no expression fits."""
        options = [o for o in referring_expressions(readings) if kinds is None or o[0] in kinds]
        if len(readings) < 2 or not options:
            return None
        by_kind: dict[str, list[tuple[str, str, int]]] = {}
        for option in options:
            by_kind.setdefault(option[0], []).append(option)
        kind = rng.choice(sorted(by_kind))
        _, phrase, index = rng.choice(by_kind[kind])
        template_id, template = self._pick("pose", rng)
        question = template.format(ref=phrase)
        question = question[0].upper() + question[1:]
        answer = f"{readings[index].label}: {POSE_TOKEN}"
        return Dialogue(question, answer, [index], f"refer_{kind}", [template_id])

    def single(self, readings: Sequence[PersonReading], rng: random.Random) -> Dialogue | None:
        if len(readings) != 1:
            return None
        template_id, question = self._pick("single", rng)
        return Dialogue(question, f"Here is the pose of the person: {POSE_TOKEN}", [0], "single", [template_id])

    def everyone(self, readings: Sequence[PersonReading], rng: random.Random) -> Dialogue | None:
        if len(readings) < 2:
            return None
        template_id, question = self._pick("everyone", rng)
        answer = "\n".join(f"{r.label}: {POSE_TOKEN}" for r in readings)
        return Dialogue(question, answer, list(range(len(readings))), "everyone", [template_id])

    def count(self, readings: Sequence[PersonReading], rng: random.Random) -> Dialogue:
        template_id, question = self._pick("count", rng)
        n = len(readings)
        answer = {0: "I cannot see anyone in this photo.", 1: "There is one person in the photo."}.get(n, f"I can see {n} people.")
        return Dialogue(question, answer, [], "count", [template_id])

    def who(self, readings: Sequence[PersonReading], rng: random.Random) -> Dialogue | None:
        if not readings:
            return None
        state_key = rng.choice(sorted(WHO_STATES))
        holders = [r for r in readings if state_key == r.posture or state_key in r.gesture_words]
        template_id, template = self._pick("who", rng)
        question = template.format(state=WHO_STATES[state_key])
        if not holders:
            answer = f"Nobody in the photo is {WHO_STATES[state_key]}."
        elif len(holders) == 1:
            answer = f"{holders[0].label} is {WHO_STATES[state_key]}."
        else:
            answer = " and ".join(r.label for r in holders) + f" are {WHO_STATES[state_key]}."
        return Dialogue(question, answer, [], "who", [template_id])

    def describe(self, readings: Sequence[PersonReading], rng: random.Random) -> Dialogue | None:
        if not readings or "describe" not in self.templates:
            return None
        index = rng.randrange(len(readings))
        reading = readings[index]
        template_id, template = self._pick("describe", rng)
        ref = f"person {reading.number}" if len(readings) > 1 else "the person"
        question = template.format(ref=ref)
        question = question[0].upper() + question[1:]
        return Dialogue(question, f"{reading.label}: {reading.describe()}.", [], "describe", [template_id])

    def empty(self, rng: random.Random) -> Dialogue:
        template_id, question = self._pick("single", rng)
        return Dialogue(question, "I cannot find a person in this photo, so I cannot give a pose. "
                        "Try a photo where the whole body is visible.", [], "empty", [template_id])


def scene_message(readings: Sequence[PersonReading], question: str, tokens_per_person: int) -> str:
    """The user's turn: the photo's people block, then the question."""
    return f"{people_prompt(readings, tokens_per_person)}\n{question}"


def build_scene_samples(split: str, size: int, seed: int = 0, tokens_per_person: int = 2,
                        mix: dict[str, float] | None = None, progress: bool = False) -> list[Sample]:
    """`size` conversations about synthetic scenes (deterministic for the same arguments)."""
    from tqdm.auto import tqdm

    mix = dict(mix or SCENE_MIX)
    rng = random.Random(f"scenes:{split}:{seed}")
    pool = pose_pool(split, seed)
    maker = DialogueMaker(split)
    kinds, weights = zip(*sorted(mix.items()))
    samples: list[Sample] = []
    bar = tqdm(total=size, desc=f"scene conversations ({split})", disable=not progress)
    while len(samples) < size:
        kind = rng.choices(kinds, weights)[0]
        if kind == "empty":
            count = 0
        elif kind == "single":
            count = 1
        else:
            count = rng.choice([1, 2, 2, 3, 3, 4]) if kind in ("count", "who", "describe") else rng.choice([2, 2, 3, 3, 4])
        truths = sample_people(rng, pool, count)
        people = synthesize_people(truths, rng)
        readings = read_people(people, FRAME_SIZE)
        if kind == "empty":
            dialogue: Dialogue | None = maker.empty(rng)
        elif kind == "count":
            dialogue = maker.count(readings, rng)
        else:
            dialogue = getattr(maker, kind)(readings, rng)
        if dialogue is None:
            continue
        messages = [{"role": "user", "content": scene_message(readings, dialogue.question, tokens_per_person)},
                    {"role": "assistant", "content": dialogue.answer}]
        poses = [truths[i].pose for i in dialogue.pose_people]
        meta = {"templates": dialogue.templates, "references": [truths[i].item.label for i in dialogue.pose_people],
                "people": len(truths), "scene_kind": dialogue.kind}
        samples.append(Sample(messages, poses, f"scene_{dialogue.kind}", meta,
                              stack_features(readings).numpy(), dialogue.pose_people))
        bar.update(1)
    bar.close()
    return samples
