"""Every person in a photo with BlazePose's 2D and metric 3D landmarks (mediapipe, offline).

BlazePose (`mp.solutions.pose`, the tflite models inside the mediapipe wheel) finds one
person per run, and its detector misses people who are small in the frame. So
`LandmarkDetector` runs it many times: on the full frame again and again with each person
found painted over (large people, one by one), then on crop proposals of the painted photo
(two grids of overlapping squares, optionally OpenCV's HOG pedestrian boxes) for small
people, whose landmarks are mapped back to the photo; each of those candidates is confirmed
by a second look in a crop centred on it; the same person seen from several crops is merged
(the most confident, most complete view wins).

Frames: BlazePose's world landmarks are metres around the hip centre with x to the image's
right, y DOWN and z AWAY from the camera (the nose of a person facing the camera has z < 0).
`PersonLandmarks.world_points` use the camera-aligned SMPL frame instead (+y up, +z towards
the camera, x unchanged), i.e. a half-turn about x: (x, y, z) → (x, -y, -z).
"""

from __future__ import annotations

import math
import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from posegpt.vision.people import NUM_LANDMARKS, PersonLandmarks

MIN_IMAGE_SIDE = 32  # pixels; below this no person can be found
WORK_SIDE = 1280  # larger photos are scaled down to this long side first (speed; BlazePose sees 256 px)
VISIBLE = 0.5  # landmark visibility that counts as seen
CONTEXT_SCALES = (2.0, 1.5)  # the second look at a candidate: square crops this many times its box
MAX_PAINTED = 0.6  # crops mostly painted over (people already found) are not run
OUTSIDE_CROP_VISIBILITY = 0.35  # a landmark BlazePose placed outside its crop was guessed, not seen

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 pixels
Crop = tuple[int, int, int, int]  # x0, y0, x1, y1 pixels

# Landmarks that decide whether a detection is a real person and how sure we are.
_HEAD = (0, 2, 5, 7, 8)  # nose, eyes, ears
_SHOULDERS = (11, 12)
_BODY = (0, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)  # nose, arms, hips, legs
_TORSO = (11, 12, 23, 24)


@dataclass(frozen=True)
class CropView:
    """One BlazePose result, already in pixels of the (working) photo."""

    image_points: np.ndarray  # (33, 2) float32
    visibility: np.ndarray  # (33,) float32, guessed (outside-crop) landmarks discounted
    world_points: np.ndarray  # (33, 3) float32, camera-aligned SMPL frame
    crop: Crop  # x0, y0, x1, y1 of the crop it came from


def blazepose_world_to_smpl(world: np.ndarray) -> np.ndarray:
    """BlazePose world landmarks (x right, y down, z away) → camera-aligned SMPL frame (x, -y, -z)."""
    world = np.asarray(world, dtype=np.float32)
    if world.ndim < 1 or world.shape[-1] != 3:
        raise ValueError(f"world landmarks must end in 3 coordinates, got shape {world.shape}")
    return world * np.array([1.0, -1.0, -1.0], dtype=np.float32)


def as_rgb_uint8(image: Any) -> np.ndarray:
    """Grey (H, W) / (H, W, 1), RGB, RGBA (over white) or float [0, 1] → (H, W, 3) uint8 RGB."""
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(f"an image must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {array.shape}")
    if array.dtype != np.uint8:
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise ValueError(f"image pixels must be numbers, got dtype {array.dtype}")
        values = np.nan_to_num(array.astype(np.float32), nan=0.0, posinf=255.0, neginf=0.0)
        if np.issubdtype(array.dtype, np.floating) and values.size and values.max() <= 1.0:
            values = values * 255.0
        array = np.clip(values, 0, 255).round().astype(np.uint8)
    if array.shape[2] == 4:
        alpha = array[:, :, 3:4].astype(np.float32) / 255.0  # (H, W, 1)
        array = (array[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)).round().astype(np.uint8)
    return np.ascontiguousarray(array)


def grid_crops(width: int, height: int, side: int, overlap: float = 0.34) -> list[Crop]:
    """Square crops of `side` px that cover the image, neighbours overlapping by about `overlap`."""
    side = int(min(side, width, height))
    if side <= 0:
        return []
    step = side * (1.0 - overlap)

    def starts(length: int) -> list[int]:
        count = max(1, math.ceil((length - side) / step - 1e-6) + 1)
        if count == 1:
            return [(length - side) // 2]
        return [round(i * (length - side) / (count - 1)) for i in range(count)]

    return [(x, y, x + side, y + side) for y in starts(height) for x in starts(width)]


def square_around(box: Box, width: int, height: int, scale: float = 1.4) -> Crop:
    """A square crop holding `box` (scaled by `scale` around its centre), shifted to lie inside the image."""
    x0, y0, x1, y1 = box
    side = int(round(min(max(x1 - x0, y1 - y0) * scale, width, height)))
    side = max(side, 1)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left = int(round(min(max(cx - side / 2, 0), width - side)))
    top = int(round(min(max(cy - side / 2, 0), height - side)))
    return (left, top, left + side, top + side)


def landmark_box(points: np.ndarray, visibility: np.ndarray, width: int, height: int) -> Box:
    """The box of the seen landmarks (all of them if none is seen), padded a little, inside the photo."""
    seen = visibility >= VISIBLE
    chosen = points[seen] if seen.sum() >= 2 else points  # (K, 2)
    x0, y0 = chosen.min(axis=0)
    x1, y1 = chosen.max(axis=0)
    pad = 0.08 * max(x1 - x0, y1 - y0, 1.0)
    pad_top = 2.0 * pad  # the head's top lies above the eyes and ears
    box = (
        float(np.clip(x0 - pad, 0, width)),
        float(np.clip(y0 - pad_top, 0, height)),
        float(np.clip(x1 + pad, 0, width)),
        float(np.clip(y1 + pad, 0, height)),
    )
    return box


def body_box(points: np.ndarray, width: int, height: int) -> Box:
    """The box of all landmarks, seen or guessed (where the body must be), padded, inside the photo."""
    return landmark_box(points, np.ones(len(points), dtype=np.float32), width, height)


def view_quality(view: CropView) -> float:
    """How much to trust one view: confidence of the body landmarks, favouring complete views."""
    seen = view.visibility[list(_BODY)]  # (13,)
    return float(0.5 * seen.mean() + 0.5 * np.sort(seen)[-6:].mean())


def is_person(view: CropView, min_score: float) -> bool:
    """A head and both shoulders seen, and the body landmarks confident enough."""
    vis = view.visibility
    head_seen = vis[list(_HEAD)].max() >= VISIBLE
    shoulders_seen = vis[list(_SHOULDERS)].min() >= VISIBLE
    return bool(head_seen and shoulders_seen and view_quality(view) >= min_score)


def body_scale(view: CropView) -> float:
    """Pixel size of the person: the longer of shoulder width and shoulder-to-hip span (never tiny)."""
    p = view.image_points
    shoulders = float(np.linalg.norm(p[11] - p[12]))
    trunk = float(np.linalg.norm((p[11] + p[12]) / 2 - (p[23] + p[24]) / 2))
    return max(shoulders, trunk, 4.0)


def _mirror_order() -> np.ndarray:
    """Index map that swaps every left landmark with its right twin (BlazePose order)."""
    order = np.arange(NUM_LANDMARKS)
    pairs = [(1, 4), (2, 5), (3, 6), (7, 8), (9, 10)] + [(k, k + 1) for k in range(11, 33, 2)]
    for left, right in pairs:
        order[left], order[right] = right, left
    return order


MIRROR = _mirror_order()  # (33,)


def same_person(a: CropView, b: CropView, tolerance: float = 0.25) -> bool:
    """Two views agree on the landmarks both saw (median distance under `tolerance` × body size).

    A person seen from behind is sometimes read as facing the camera, with left and right
    swapped; so the views are also compared with one of them mirrored.
    """
    limit = tolerance * min(body_scale(a), body_scale(b))
    for order in (np.arange(NUM_LANDMARKS), MIRROR):
        points, visibility = b.image_points[order], b.visibility[order]
        both = (a.visibility >= VISIBLE) & (visibility >= VISIBLE)  # (33,)
        if both.sum() < 3:
            both = (a.visibility >= 0.2) & (visibility >= 0.2)
            if both.sum() < 3:
                continue
        distance = np.linalg.norm(a.image_points[both] - points[both], axis=1)  # (K,)
        if np.median(distance) <= limit:
            return True
    return False


class LandmarkDetector:
    """People and their BlazePose landmarks in a photo; one instance serves every thread.

    Three stages, all BlazePose (one person per run): (1) the full frame, again and again with
    each person found painted over, which finds the large people one by one; (2) crop proposals
    on the painted photo — two grids of overlapping squares and HOG's pedestrian boxes — for
    small people; (3) each candidate from (2) is looked at again in a crop centred on it with
    context around, and kept only if BlazePose finds the same person there (this removes the
    "people" a tight crop makes out of a jersey, a hand or a bag). The mediapipe graphs are
    built on first use (about a second each) and shared: `workers` graphs run crops in parallel.
    """

    def __init__(
        self,
        max_people: int = 6,
        grid_fractions: tuple[float, ...] = (0.55, 0.34),
        grid_overlap: float = 0.2,
        use_hog: bool = False,
        min_detection_confidence: float = 0.5,
        min_score: float = 0.55,
        min_score_small: float = 0.7,
        work_side: int = WORK_SIDE,
        workers: int | None = None,
    ) -> None:
        if max_people < 1:
            raise ValueError(f"max_people must be at least 1, got {max_people}")
        if any(not 0.05 <= f <= 1.0 for f in grid_fractions):
            raise ValueError(f"grid_fractions must lie in [0.05, 1], got {grid_fractions}")
        if work_side < 2 * MIN_IMAGE_SIDE:
            raise ValueError(f"work_side must be at least {2 * MIN_IMAGE_SIDE}, got {work_side}")
        self.max_people = max_people
        self.grid_fractions = tuple(grid_fractions)
        if not 0.0 <= grid_overlap <= 0.8:
            raise ValueError(f"grid_overlap must lie in [0, 0.8], got {grid_overlap}")
        self.grid_overlap = grid_overlap
        self.use_hog = use_hog
        self.min_detection_confidence = min_detection_confidence
        self.min_score = min_score
        self.min_score_small = min_score_small
        self.work_side = work_side
        self.workers = max(1, workers if workers is not None else min(2, os.cpu_count() or 1))
        self._graphs: queue.Queue | None = None  # idle BlazePose graphs, borrowed one per crop
        self._executor: ThreadPoolExecutor | None = None
        self._hog: Any = None
        self._build_lock = threading.Lock()

    # --- models, built once ---------------------------------------------------------------
    def _ensure_models(self) -> None:
        if self._graphs is not None:
            return
        with self._build_lock:
            if self._graphs is not None:
                return
            try:
                import mediapipe as mp
            except ImportError as error:  # pragma: no cover - depends on the install
                message = "person detection needs mediapipe (BlazePose): run `bash .ci/setup`"
                raise RuntimeError(message) from error
            graphs: queue.Queue = queue.Queue()
            for _ in range(self.workers):
                graphs.put(
                    mp.solutions.pose.Pose(
                        static_image_mode=True,
                        model_complexity=1,  # the full landmark model, the one the wheel ships
                        enable_segmentation=False,
                        min_detection_confidence=self.min_detection_confidence,
                    )
                )
            if self.use_hog:
                import cv2

                self._hog = cv2.HOGDescriptor()
                self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
            if self.workers > 1:
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="blazepose")
            self._graphs = graphs

    def _run(self, image: np.ndarray, crop: Crop) -> CropView | None:
        assert self._graphs is not None
        graph = self._graphs.get()  # blocks while every graph is busy (other threads' photos)
        try:
            return _run_blazepose(graph, image, crop)
        finally:
            self._graphs.put(graph)

    def _run_many(self, image: np.ndarray, crops: list[Crop]) -> list[CropView | None]:
        return self._run_many_images([(image, crop) for crop in crops])

    def _run_many_images(self, jobs: list[tuple[np.ndarray, Crop]]) -> list[CropView | None]:
        """BlazePose on (image, crop) pairs, spread over the graphs."""
        if self._executor is None or len(jobs) < 2:
            return [self._run(image, crop) for image, crop in jobs]
        return list(self._executor.map(lambda job: self._run(*job), jobs))

    # --- the pipeline --------------------------------------------------------------------
    def detect(self, image: np.ndarray) -> list[PersonLandmarks]:
        """People in an RGB photo (grey/RGBA/float are converted), left to right; [] if too small.

        Safe to call from several threads at once (the graphs are borrowed one crop at a time).
        """
        rgb = as_rgb_uint8(image)
        height, width = rgb.shape[:2]
        if min(height, width) < MIN_IMAGE_SIDE:
            return []
        scale = min(1.0, self.work_side / max(height, width))
        work = rgb if scale == 1.0 else _resize(rgb, scale)
        self._ensure_models()
        views = self._find(work)
        found = [_as_person(v, scale, width, height) for v in views]
        found.sort(key=lambda p: p.score, reverse=True)
        found = found[: self.max_people]
        return sorted(found, key=lambda p: (p.box[0] + p.box[2]) / 2)

    def _find(self, work: np.ndarray) -> list[CropView]:
        height, width = work.shape[:2]
        painted = work.copy()  # people found so far are painted over with the photo's mean colour
        covered = np.zeros((height, width), dtype=bool)  # (H, W) where `painted` was painted
        fill = work.reshape(-1, 3).mean(axis=0).astype(np.uint8)  # (3,)
        people: list[CropView] = []
        boxes: list[Box] = []

        def paint(view: CropView) -> None:
            box = body_box(view.image_points, width, height)
            _paint(painted, box, fill)
            x0, y0, x1, y1 = (int(round(v)) for v in box)
            covered[y0:y1, x0:x1] = True
            boxes.append(box)

        # 1. the full frame, one person per pass
        for _ in range(self.max_people + 1):
            view = self._run(painted, (0, 0, width, height))
            if view is None or not is_person(view, self.min_score) or _inside_any(view, boxes):
                break
            people.append(view)
            paint(view)
        if len(people) > self.max_people:
            return people
        # 2. crop proposals on the painted photo
        crops = [c for c in self.proposals(painted) if covered[c[1] : c[3], c[0] : c[2]].mean() < MAX_PAINTED]
        views = self._run_many(painted, crops)
        candidates = _merge(
            [
                v
                for v in views
                if v is not None and is_person(v, self.min_score_small) and not _inside_any(v, boxes)
            ]
        )
        candidates = candidates[: 2 * self.max_people]
        # 3. a second look at each candidate, with context but with the other candidates painted over
        candidate_boxes = [landmark_box(v.image_points, v.visibility, width, height) for v in candidates]
        looks = []
        for index, box in enumerate(candidate_boxes):
            alone = painted.copy()
            for other, other_box in enumerate(candidate_boxes):
                if other != index:
                    _paint(alone, other_box, fill)
            x0, y0, x1, y1 = (int(round(v)) for v in box)
            alone[y0:y1, x0:x1] = painted[y0:y1, x0:x1]  # the candidate itself stays whole
            looks.append(alone)
        confirmed = [False] * len(candidates)
        for scale in CONTEXT_SCALES:  # a wider look first; a tighter one for those it did not confirm
            pending = [k for k in range(len(candidates)) if not confirmed[k]]
            jobs = [(looks[k], square_around(candidate_boxes[k], width, height, scale)) for k in pending]
            for k, check in zip(pending, self._run_many_images(jobs)):
                if check is not None and same_person(check, candidates[k]):
                    confirmed[k] = True
                    people.append(max((candidates[k], check), key=view_quality))
        return _merge(people)

    def proposals(self, image: np.ndarray) -> list[Crop]:
        """Crops for small people: the grids and HOG boxes (x0, y0, x1, y1 pixels of `image`)."""
        height, width = image.shape[:2]
        short = min(height, width)
        crops: list[Crop] = []
        for fraction in self.grid_fractions:
            side = int(round(fraction * short))
            if side >= MIN_IMAGE_SIDE:
                crops += grid_crops(width, height, side, self.grid_overlap)
        if self._hog is not None:
            crops += [square_around(box, width, height, scale=1.5) for box in _hog_boxes(self._hog, image)]
        return list(dict.fromkeys(crop for crop in crops if crop[2] - crop[0] >= MIN_IMAGE_SIDE // 2))


def _merge(views: list[CropView]) -> list[CropView]:
    """One view per person, best first: a view that agrees with a better one is dropped."""
    kept: list[CropView] = []
    for view in sorted(views, key=view_quality, reverse=True):
        if not any(same_person(view, other) for other in kept):
            kept.append(view)
    return kept


def _paint(image: np.ndarray, box: Box, fill: np.ndarray) -> None:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    image[y0:y1, x0:x1] = fill


def _inside_any(view: CropView, boxes: list[Box]) -> bool:
    """The view's body centre lies inside a box already taken (a part of that person, or hidden by them)."""
    cx, cy = view.image_points[list(_TORSO)].mean(axis=0)
    return any(x0 <= cx <= x1 and y0 <= cy <= y1 for x0, y0, x1, y1 in boxes)


def _resize(image: np.ndarray, scale: float) -> np.ndarray:
    import cv2

    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _hog_boxes(hog: Any, image: np.ndarray) -> list[Box]:
    """Upright pedestrians OpenCV's HOG finds (weak, but it catches small standing people)."""
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    if min(grey.shape) < 128:
        return []
    boxes, weights = hog.detectMultiScale(grey, winStride=(8, 8), padding=(8, 8), scale=1.1)
    found = []
    for (x, y, w, h), weight in zip(np.asarray(boxes).reshape(-1, 4), np.ravel(weights)):
        if float(weight) > 0.3:
            found.append((float(x), float(y), float(x + w), float(y + h)))
    return found


def _run_blazepose(pose: Any, image: np.ndarray, crop: Crop) -> CropView | None:
    """BlazePose on one crop, its landmarks back in pixels of `image`."""
    x0, y0, x1, y1 = crop
    patch = np.ascontiguousarray(image[y0:y1, x0:x1])  # (h, w, 3)
    h, w = patch.shape[:2]
    result = pose.process(patch)
    if result.pose_landmarks is None or result.pose_world_landmarks is None:
        return None
    marks = result.pose_landmarks.landmark
    normalised = np.array([[m.x, m.y] for m in marks], dtype=np.float32)  # (33, 2) in [0, 1] of the crop
    visibility = np.array([m.visibility for m in marks], dtype=np.float32)  # (33,)
    world_marks = result.pose_world_landmarks.landmark
    world = np.array([[m.x, m.y, m.z] for m in world_marks], dtype=np.float32)  # (33, 3)
    finite = np.isfinite(normalised).all() and np.isfinite(world).all()
    if normalised.shape != (NUM_LANDMARKS, 2) or not finite:
        return None
    outside = (normalised < 0.0).any(axis=1) | (normalised > 1.0).any(axis=1)  # (33,)
    visibility = np.where(outside, np.minimum(visibility, OUTSIDE_CROP_VISIBILITY), visibility)
    points = normalised * np.array([w, h], dtype=np.float32) + np.array([x0, y0], dtype=np.float32)  # (33, 2)
    return CropView(points, np.clip(visibility, 0.0, 1.0), blazepose_world_to_smpl(world), crop)


def _as_person(view: CropView, scale: float, width: int, height: int) -> PersonLandmarks:
    points = (view.image_points / scale).astype(np.float32)  # (33, 2) pixels of the full photo
    box = landmark_box(points, view.visibility, width, height)
    return PersonLandmarks(
        box=box,
        image_points=points,
        visibility=view.visibility.astype(np.float32),
        world_points=view.world_points.astype(np.float32),
        score=float(np.clip(view_quality(view), 0.0, 1.0)),
    )
