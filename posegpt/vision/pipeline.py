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
from typing import Any

import numpy as np

from posegpt.pose import Pose
from posegpt.vision.features import PersonReading, read_people
from posegpt.vision.landmarks import as_rgb_uint8
from posegpt.vision.people import FittedPerson

MAX_PEOPLE = 10  # more people than this: the largest ones are kept and the user is told (groups of ~10 are read whole)
MIN_IMAGE_SIDE = 32  # pixels; smaller images hold no detectable person
MAX_PHOTO_SIDE = 2048  # pixels; `prepare_photo` scales larger photos down to this long side
MAX_ASPECT_RATIO = 20.0  # long side ÷ short side beyond this: a strip, not a photo of people


@dataclass
class SceneReading:
    """What the vision module found in one photo."""

    people: list[FittedPerson]  # left to right
    readings: list[PersonReading]  # same order; the prompt's words and features
    image_size: tuple[int, int]  # (width, height)
    notices: list[str] = field(default_factory=list)  # for the user (too many people, none found…)
    timings_s: dict[str, float] = field(default_factory=dict)  # detect / fit / appearance / read


def as_rgb_array(image: Any) -> np.ndarray:
    """A PIL image (any mode) or an array of any common layout (grey, grey + alpha, RGB, RGBA,
    float, 16-bit, bool) → (H, W, 3) uint8; transparent pixels become white.

    Raises ValueError, saying what was given, for anything that is not an image."""
    if hasattr(image, "mode") and hasattr(image, "convert"):  # PIL: go through a plain array
        try:
            image = _pil_array(image)
        except (OSError, SyntaxError) as error:  # PIL decodes lazily: a broken file fails here
            raise ValueError(f"the image file is damaged or incomplete ({error})") from None
    try:
        array = np.asarray(image)
    except (TypeError, ValueError) as error:  # ragged nested lists and the like
        raise ValueError(f"this is not an image ({error})") from None
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating) or array.dtype == bool):
        raise ValueError(f"an image needs numeric pixels, got {type(image).__name__} of dtype {array.dtype}")
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    elif np.issubdtype(array.dtype, np.integer) and array.dtype != np.uint8:
        top = float(array.max()) if array.size else 0.0
        values = array.astype(np.float64) / (257.0 if top > 255 else 1.0)  # 16-bit pixels → 0..255
        array = np.clip(values, 0, 255).round().astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 2:  # grey + alpha
        array = np.concatenate([np.repeat(array[:, :, :1], 3, axis=2), array[:, :, 1:]], axis=2)
    return as_rgb_uint8(array)


def _pil_array(image: Any) -> np.ndarray:
    """A PIL image as an array as_rgb_uint8 understands (alpha kept, 16-bit and float scaled)."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (image.mode == "P" and "transparency" in image.info):
        return np.asarray(image.convert("RGBA"))
    if image.mode.startswith("I;16"):
        return np.asarray(image, dtype=np.float32) / 65535.0
    if image.mode in ("I", "F"):  # 32-bit integer or float: stretch to the range present
        array = np.asarray(image, dtype=np.float64)
        low, high = (float(array.min()), float(array.max())) if array.size else (0.0, 1.0)
        return ((array - low) / max(high - low, 1e-12)).astype(np.float32)
    return np.asarray(image.convert("RGB"))


def prepare_photo(image: Any, max_side: int = MAX_PHOTO_SIDE) -> np.ndarray:
    """The photo the engine works on: `as_rgb_array`, scaled down to `max_side` (long side).

    Detection scales down by itself, but the overlay is drawn at the photo's own size, and a
    40-megapixel phone photo would make that slow for nothing."""
    if max_side < MIN_IMAGE_SIDE:
        raise ValueError(f"max_side must be at least {MIN_IMAGE_SIDE}, got {max_side}")
    rgb = as_rgb_array(image)
    if rgb.ndim != 3 or 0 in rgb.shape[:2]:
        raise ValueError(f"the image has no pixels (shape {rgb.shape})")
    height, width = rgb.shape[:2]
    if max(height, width) > max_side:
        from PIL import Image

        scale = max_side / max(height, width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))
    return np.ascontiguousarray(rgb)


class PersonFinder:
    """Finds, fits and describes the people of a photo; one instance serves all sessions."""

    def __init__(self, detector: Any | None = None, max_people: int = MAX_PEOPLE, cache_size: int = 0) -> None:
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
    def detector(self) -> Any:
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    from posegpt.vision.landmarks import LandmarkDetector

                    self._detector = LandmarkDetector(max_people=self.max_people * 2)
        return self._detector

    def find(self, image: Any) -> SceneReading:
        """Every person in the photo (at most `max_people`, left to right), fitted and described.

        Photos too small or too thin give a reading with no people and a notice; what is not an
        image at all raises ValueError."""
        rgb = as_rgb_array(image)
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


def vision_for(model: Any, cache_size: int = 0) -> PersonFinder | None:
    """The vision module a model needs: a `PersonFinder` when it reads photos as people (and its
    backbone takes no pixels itself), else None. Cheap: the detector loads on the first photo."""
    if not getattr(model, "reads_people", False) or getattr(model.backbone, "supports_images", False):
        return None
    return PersonFinder(cache_size=cache_size)
