"""Photo → the people in it, ready for the LLM: detection, landmarks, fits, colours, readings.

`PersonFinder.find` is what the engine calls for an uploaded photo; `PersonFinder.refine` is
the specialist step after the LLM has chosen a person: the pose the head decoded is fitted to
that person's landmarks (the head's pose is the starting point and the prior for joints the
photo does not show), which is far more precise than the head alone.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from posegpt.pose import Pose
from posegpt.vision.features import PersonReading, read_people
from posegpt.vision.people import FittedPerson

MAX_PEOPLE = 6  # more people than this: the largest ones are kept and the user is told
MIN_IMAGE_SIDE = 32  # pixels; smaller images hold no detectable person


@dataclass
class SceneReading:
    """What the vision module found in one photo."""

    people: list[FittedPerson]  # left to right
    readings: list[PersonReading]  # same order; the prompt's words and features
    image_size: tuple[int, int]  # (width, height)
    notices: list[str] = field(default_factory=list)  # for the user (too many people, none found…)
    timings_s: dict[str, float] = field(default_factory=dict)  # detect / fit / appearance / read


def as_rgb_array(image: Any) -> np.ndarray:
    """A PIL image or an array of any common layout (grey, RGBA, float) → (H, W, 3) uint8."""
    array = np.asarray(image.convert("RGB")) if hasattr(image, "convert") else np.asarray(image)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4):
        raise ValueError(f"an image must be (H, W), (H, W, 3) or (H, W, 4), got shape {array.shape}")
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    if array.shape[2] == 4:
        alpha = array[:, :, 3:4].astype(np.float32) / (255.0 if array.dtype == np.uint8 else 1.0)
        array = (array[:, :, :3].astype(np.float32) * alpha + (255.0 if array.dtype == np.uint8 else 1.0) * (1 - alpha))
    if array.dtype != np.uint8:
        array = np.asarray(array, dtype=np.float64)
        if array.size and np.nanmax(array) <= 1.0:
            array = array * 255.0
        array = np.clip(np.nan_to_num(array), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(array)


class PersonFinder:
    """Finds, fits and describes the people of a photo; one instance serves all sessions."""

    def __init__(self, detector: Any | None = None, max_people: int = MAX_PEOPLE) -> None:
        self._detector = detector
        self.max_people = max_people
        self._lock = threading.Lock()

    @property
    def detector(self) -> Any:
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    from posegpt.vision.landmarks import LandmarkDetector

                    self._detector = LandmarkDetector(max_people=self.max_people * 2)
        return self._detector

    def find(self, image: Any) -> SceneReading:
        """Every person in the photo (at most `max_people`, left to right), fitted and described."""
        from posegpt.vision.appearance import person_appearance
        from posegpt.vision.fit import fit_people

        rgb = as_rgb_array(image)
        height, width = rgb.shape[:2]
        size = (width, height)
        if min(width, height) < MIN_IMAGE_SIDE:
            return SceneReading([], [], size, [f"The image is only {width}×{height} pixels: too small to find a person in."])
        timings: dict[str, float] = {}
        started = time.perf_counter()
        found = self.detector.detect(rgb)
        timings["detect"] = time.perf_counter() - started
        notices = []
        if len(found) > self.max_people:
            notices.append(f"I found {len(found)} people; I look at the {self.max_people} largest of them.")
            largest = sorted(found, key=lambda p: (p.box[3] - p.box[1]) * (p.box[2] - p.box[0]), reverse=True)
            keep = {id(p) for p in largest[: self.max_people]}
            found = [p for p in found if id(p) in keep]
        found = sorted(found, key=lambda p: (p.box[0] + p.box[2]) / 2)
        if not found:
            notices.append("No person was found in this photo.")
        started = time.perf_counter()
        fitted = fit_people(found) if found else []
        timings["fit"] = time.perf_counter() - started
        started = time.perf_counter()
        people = [
            FittedPerson(p.landmarks, p.pose, p.camera, p.fit_error_m, person_appearance(rgb, p.landmarks)) for p in fitted
        ]
        timings["appearance"] = time.perf_counter() - started
        started = time.perf_counter()
        readings = read_people(people, size)
        timings["read"] = time.perf_counter() - started
        return SceneReading(people, readings, size, notices, timings)

    def refine(self, person: FittedPerson, pose: Pose) -> Pose:
        """The LLM's pose of `person`, fitted to their landmarks (the LLM's pose as start and prior)."""
        from posegpt.vision.fit import refine_pose

        return refine_pose(person.landmarks, pose)
