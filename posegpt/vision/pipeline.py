"""Photo → the people in it, ready for the LLM: detection, landmarks, fits, colours, readings.

`PersonFinder.find` is what the engine calls for an uploaded photo; `PersonFinder.refine` is
the specialist step after the LLM has chosen a person: the pose the head decoded is fitted to
that person's landmarks (the head's pose is the starting point and the prior for joints the
photo does not show), which is far more precise than the head alone.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np

from posegpt.photo import Photo, PhotoSource, read_photo
from posegpt.pose import Pose
from posegpt.vision.features import PersonReading, read_people
from posegpt.vision.people import FittedPerson, PersonLandmarks

if TYPE_CHECKING:
    from posegpt.model import PoseGPT

MAX_PEOPLE = 10  # more people than this: the largest ones are kept and the user is told (groups of ~10 are read whole)
MIN_IMAGE_SIDE = 32  # pixels; smaller images hold no detectable person
MAX_ASPECT_RATIO = 20.0  # long side ÷ short side beyond this: a strip, not a photo of people


@dataclass
class SceneReading:
    """What the vision module found in one photo."""

    people: list[FittedPerson]  # left to right
    readings: list[PersonReading]  # same order; the prompt's words and features
    image_size: tuple[int, int]  # (width, height)
    notices: list[str] = field(default_factory=list)  # for the user (too many people, none found…)
    timings_s: dict[str, float] = field(default_factory=dict)  # detect / fit / appearance / read


class Detector(Protocol):
    """Finds people and their landmarks in (H, W, 3) uint8 RGB pixels (BlazePose: `LandmarkDetector`)."""

    def detect(self, rgb: np.ndarray) -> list[PersonLandmarks]: ...


class Vision(Protocol):
    """What the engine needs of a vision module (`PersonFinder`, or a stand-in in tests and benches)."""

    def find(self, photo: Photo) -> SceneReading: ...

    def refine(self, person: FittedPerson, pose: Pose) -> Pose: ...


class PersonFinder:
    """Finds, fits and describes the people of a photo; one instance serves all sessions."""

    def __init__(self, detector: Detector | None = None, max_people: int = MAX_PEOPLE, cache_size: int = 0) -> None:
        """`detector`: anything with `.detect(rgb) -> list[PersonLandmarks]` (default: BlazePose,
        built on first use so start-up stays fast). `cache_size` > 0 keeps the readings of that
        many recent photos, so follow-up questions about the same photo skip detection."""
        if max_people < 1:
            raise ValueError(f"max_people must be at least 1, got {max_people}")
        if cache_size < 0:
            raise ValueError(f"cache_size must be >= 0, got {cache_size}")
        self._detector = detector
        self.max_people = max_people
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple, SceneReading] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def detector(self) -> Detector:
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    from posegpt.vision.landmarks import LandmarkDetector

                    self._detector = LandmarkDetector(max_people=self.max_people * 2)
        return self._detector

    def find(self, photo: Photo | PhotoSource) -> SceneReading:
        """Every person in the photo (at most `max_people`, left to right), fitted and described.

        Pixel coordinates are those of `photo` (anything else is made a `Photo` first, at its own
        size). Photos too small or too thin give a reading with no people and a notice; what is
        not an image at all raises `PhotoError` (a ValueError)."""
        rgb = (photo if isinstance(photo, Photo) else read_photo(photo, max_side=None)).rgb
        if not self.cache_size:
            return self._find(rgb)
        key = (rgb.shape, hashlib.blake2b(rgb.tobytes(), digest_size=16).digest())
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
        if cached is not None:  # a copy: callers may edit the lists
            return replace(cached, people=list(cached.people), readings=list(cached.readings),
                           notices=list(cached.notices), timings_s={"cached": 0.0})
        scene = self._find(rgb)
        if "detect" not in scene.timings_s:
            return scene  # refused before detection (too small, too thin): nothing worth keeping
        with self._lock:
            self._cache[key] = scene
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return replace(scene, notices=list(scene.notices))

    def _find(self, rgb: np.ndarray) -> SceneReading:
        from posegpt.vision.appearance import person_appearance
        from posegpt.vision.fit import fit_people

        height, width = rgb.shape[:2]
        size = (width, height)
        if min(width, height) < MIN_IMAGE_SIDE:
            return SceneReading([], [], size, [f"The image is only {width}×{height} pixels: too small to find a person in "
                                               f"(I need at least {MIN_IMAGE_SIDE} pixels on each side)."])
        if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
            return SceneReading([], [], size, [f"The image is {width}×{height} pixels, a thin strip: I cannot find people "
                                               "in it. Please upload an ordinary photo."])
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
            notices.append("I found no person in this photo (people who are very small, mostly hidden or cut off "
                           "by the frame can be missed).")
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


def vision_for(model: "PoseGPT", cache_size: int = 0) -> PersonFinder | None:
    """The vision module a model needs: a `PersonFinder` when it reads photos as people (and its
    backbone takes no pixels itself), else None. Cheap: the detector loads on the first photo."""
    if not getattr(model, "reads_people", False) or getattr(model.backbone, "supports_images", False):
        return None
    return PersonFinder(cache_size=cache_size)
