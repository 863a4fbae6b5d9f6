"""Every person in a photo with BlazePose's 2D and metric 3D landmarks (mediapipe, offline).

BlazePose (`mp.solutions.pose`, the tflite models inside the mediapipe wheel) finds one
person per run, and its detector misses people who are small in the frame, close to the
camera, or cut by the frame. So `LandmarkDetector` runs it many times: on the full frame
again and again with each person found painted over (large people, one by one); then on
crops around the faces that mediapipe's face detectors (short and full range, also in the
wheel) still find in the painted photo — a body-shaped square below each face, padded where
it leaves the photo, so that close-ups, people seen from the waist up and people cut by the
frame are framed the way BlazePose expects (kept when BlazePose's nose lies on that face and
its shoulders below the nose); a clear face whose body BlazePose cannot read at all (a profile
behind a chessboard, a head beside a neighbour's shoulder) is a person of its own, the face
seen and the body unseen (`face_only_view`); then on crop proposals of the photo with the people
found so far hidden — a whole body seen in the photo in its own shape, so that whoever stands
inside its box stays visible (`hiding_mask`) — (two grids of overlapping squares, optionally
OpenCV's HOG pedestrian boxes) for small people,
whose landmarks are mapped back to the photo; each of those candidates is confirmed by a second
look in a crop centred on it; the same person seen from several crops is merged (the most
confident, most complete view wins).

What is not in the photo is not seen: BlazePose places all 33 landmarks, also the legs of a
portrait below the frame; landmarks outside the photo get visibility ≤ 0.05 (the fit then
ignores them and the readings call the legs unseen), and a person is judged on the landmarks
inside the photo, so a head-and-shoulders portrait counts as a person.

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
from typing import Any, Sequence

import numpy as np

from posegpt.photo import Photo, read_photo
from posegpt.vision.people import FACE_LANDMARKS, NUM_LANDMARKS, VISIBLE, PersonLandmarks, face_alone

MIN_IMAGE_SIDE = 32  # pixels; below this no person can be found
WORK_SIDE = 1280  # larger photos are scaled down to this long side first (speed; BlazePose sees 256 px)
CONTEXT_SCALES = (2.0, 1.5)  # the second look at a candidate: square crops this many times its box
MAX_PAINTED = 0.6  # crops mostly painted over (people already found) are not run
OUTSIDE_CROP_VISIBILITY = 0.35  # a landmark BlazePose placed outside its crop was guessed, not seen
OUTSIDE_IMAGE_VISIBILITY = 0.05  # one outside the photo itself cannot have been seen (fit weight 0)
MIN_FACE_SCORE = 0.6  # face detections below this are not used as person proposals
# Body crops around a face, tried in order: (square side, shift of its centre below the face's
# centre), both in face heights. The tight one frames head and shoulders (close-ups); the wide
# one a head-to-hip view, which BlazePose reads better for smaller faces.
FACE_CROPS = ((3.0, 1.0), (4.5, 1.5), (6.0, 2.0))
FACE_ONLY_SCORE = 0.65  # a face this sure whose body BlazePose cannot read is a person on its own (body unseen)
# mediapipe's 6 face keypoints (the person's right eye, left eye, nose tip, mouth centre, right ear
# tragion, left ear tragion) → the BlazePose landmarks they stand for (a mouth corner each for the centre)
FACE_KEYPOINT_LANDMARKS = ((5, 4, 6), (2, 1, 3), (0,), (9, 10), (8,), (7,))
FACE_FULL_FRAME = 0.1  # a face at least this share of the photo's height is also read in the full frame
# The full frame once more inside a larger canvas (this many times the photo's width and height,
# the photo at the top centre): people cut by the bottom edge then fit the frame whole.
PADDED_FRAME = (1.5, 2.0)
GRID_ROUNDS = 3  # crop-grid rounds: the second only on crops that held someone, with them painted over

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 pixels
Crop = tuple[int, int, int, int]  # x0, y0, x1, y1 pixels

# Landmarks that decide whether a detection is a real person and how sure we are.
_HEAD = (0, 2, 5, 7, 8)  # nose, eyes, ears
_SHOULDERS = (11, 12)
_BODY = (0, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)  # nose, arms, hips, legs
_TORSO = (11, 12, 23, 24)


@dataclass(frozen=True)
class Face:
    """One face a face detector found, in pixels of the photo it ran on."""

    box: Box
    score: float  # detection confidence in [0, 1]
    keypoints: np.ndarray  # (6, 2) float32, in `FACE_KEYPOINT_LANDMARKS` order


@dataclass(frozen=True)
class CropView:
    """One BlazePose result, already in pixels of the (working) photo."""

    image_points: np.ndarray  # (33, 2) float32
    visibility: np.ndarray  # (33,) float32, guessed (outside-crop) landmarks discounted
    world_points: np.ndarray  # (33, 3) float32, camera-aligned SMPL frame
    crop: Crop  # x0, y0, x1, y1 of the crop it came from (may reach outside the photo)
    inside: np.ndarray | None = None  # (33,) bool: the landmark lies inside the photo (None: all do)

    def in_photo(self) -> np.ndarray:
        """(33,) bool: which landmarks lie inside the photo."""
        return np.ones(NUM_LANDMARKS, dtype=bool) if self.inside is None else self.inside


def blazepose_world_to_smpl(world: np.ndarray) -> np.ndarray:
    """BlazePose world landmarks (x right, y down, z away) → camera-aligned SMPL frame (x, -y, -z)."""
    world = np.asarray(world, dtype=np.float32)
    if world.ndim < 1 or world.shape[-1] != 3:
        raise ValueError(f"world landmarks must end in 3 coordinates, got shape {world.shape}")
    return world * np.array([1.0, -1.0, -1.0], dtype=np.float32)


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


def person_box(points: np.ndarray, visibility: np.ndarray, width: int, height: int) -> Box:
    """The person's visible extent: the seen landmarks' box, up to the head's top, and out to
    the photo's edge on each side where the body goes on beyond it (a portrait cut at the chest
    fills the frame down to its bottom edge); for a face seen alone, the torso placed below it too."""
    x0, y0, x1, y1 = landmark_box(points, visibility, width, height)
    if face_alone(visibility):  # `face_only_view`: its torso is there, unseen
        torso = np.clip(points[list(_TORSO)], 0, [width, height])  # (4, 2)
        x0, y0, x1, y1 = min(x0, float(torso[:, 0].min())), y0, max(x1, float(torso[:, 0].max())), max(y1, float(torso[:, 1].max()))
    ears = points[[7, 8]]  # (2, 2)
    if (visibility[[7, 8]] >= VISIBLE).all():  # the head is about as tall as it is wide: its top lies that far above the ears
        head_width = float(np.linalg.norm(ears[0] - ears[1]))
        y0 = float(np.clip(min(y0, ears[:, 1].min() - 1.1 * head_width), 0, height))
    lo = points.min(axis=0)  # where all landmarks, seen or guessed, reach
    hi = points.max(axis=0)
    if lo[0] < 0:
        x0 = 0.0
    if hi[0] > width:
        x1 = float(width)
    if hi[1] > height:
        y1 = float(height)
    return (x0, y0, x1, y1)


def body_box(points: np.ndarray, width: int, height: int) -> Box:
    """The box of all landmarks, seen or guessed (where the body must be), padded, inside the photo."""
    return landmark_box(points, np.ones(len(points), dtype=np.float32), width, height)


# The body drawn as thick bones (BlazePose landmark pairs), the torso filled and the head a disc
_BONES = ((11, 12), (23, 24), (11, 23), (12, 24), (11, 13), (13, 15), (12, 14), (14, 16), (15, 19), (16, 20),
          (23, 25), (25, 27), (24, 26), (26, 28), (27, 31), (28, 32), (27, 29), (28, 30))
_HIPS_AND_KNEES = (23, 24, 25, 26)
BONE_WIDTH = 0.45  # a limb's painted width, in body scales (`body_scale`: the longer of shoulder width and trunk)
HEAD_RADIUS = 0.45  # the head's painted radius around the face landmarks' centre, in body scales


def body_mask(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """(H, W) bool: where the body whose landmarks are `points` (33, 2 pixels) lies — the torso
    filled, each limb a thick line, the head a disc. Painting this over hides a person and not
    whoever stands in their box (beyond an outstretched arm, behind them, or taken into a view
    that mixed two people up)."""
    import cv2

    mask = np.zeros((height, width), dtype=np.uint8)
    p = np.asarray(points, dtype=np.float64)
    scale = _pixel_scale(p)  # pixels
    thickness = max(int(round(BONE_WIDTH * scale)), 2)
    far = 4 * max(width, height)
    pixel = np.round(p).clip(-far, far).astype(np.int32)  # (33, 2); cv2 draws from ints in range
    cv2.fillConvexPoly(mask, pixel[[11, 12, 24, 23]], 1)
    for a, b in _BONES:
        cv2.line(mask, (int(pixel[a, 0]), int(pixel[a, 1])), (int(pixel[b, 0]), int(pixel[b, 1])), 1, thickness)
    face = p[:FACE_LANDMARKS]  # (11, 2)
    centre = face.mean(axis=0)  # (2,)
    radius = max(int(round(HEAD_RADIUS * scale)), int(round(0.6 * float(np.ptp(face[:, 0])))) + thickness // 4, 2)
    cv2.circle(mask, (int(round(centre[0])), int(round(centre[1]))), radius, 1, -1)
    return mask.astype(bool)


def hiding_mask(view: CropView, width: int, height: int) -> np.ndarray:
    """(H, W) bool: what to paint over so that the crops of stage 3 no longer see this person.

    A whole body seen in the photo (every landmark inside, hips and knees seen) is hidden in its
    own shape (`body_mask`), so people inside its box stay visible; anyone else — a close-up, a
    person cut by the frame, legs guessed — by their box: what a shape would leave of them (a
    coat, a flag behind a portrait) BlazePose reads as people (measured on the photo benchmark)."""
    if view.in_photo().all() and (view.visibility[list(_HIPS_AND_KNEES)] >= VISIBLE).all():
        return body_mask(view.image_points, width, height)
    x0, y0, x1, y1 = (int(round(v)) for v in body_box(view.image_points, width, height))
    mask = np.zeros((height, width), dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


def view_quality(view: CropView, whole: bool = False) -> float:
    """How much to trust one view: confidence of the body landmarks inside the photo, favouring
    complete views (a portrait is judged on its head, shoulders and arms, not on legs the photo
    does not hold). `whole`: judge all body landmarks, for views that should show a whole person
    (small people in crops: a "person" whose body goes on beyond the photo's edge there is more
    often a shirt or a bag than a close-up)."""
    body = np.array(_BODY)
    inside = body[view.in_photo()[body]]
    if whole or len(inside) < 3:  # not even the nose and shoulders inside: judge everything (and so, poorly)
        inside = body
    seen = view.visibility[inside]  # (K,)
    return float(0.5 * seen.mean() + 0.5 * np.sort(seen)[-6:].mean())


def is_person(view: CropView, min_score: float, whole: bool = False) -> bool:
    """A head and both shoulders seen, and the body landmarks confident enough (`view_quality`)."""
    vis = view.visibility
    head_seen = vis[list(_HEAD)].max() >= VISIBLE
    shoulders_seen = vis[list(_SHOULDERS)].min() >= VISIBLE
    return bool(head_seen and shoulders_seen and view_quality(view, whole) >= min_score)


def is_face_person(view: CropView, face: Box, min_score: float) -> bool:
    """A view from a face's crop is that face's person: BlazePose's nose on the face, the nose and
    at least one shoulder seen, below the nose (the face detector is the second witness, so one
    shoulder hidden behind someone else is enough), and the landmarks inside the photo confident enough."""
    vis = view.visibility
    shoulders = [mark for mark in _SHOULDERS if vis[mark] >= VISIBLE]
    below = all(view.image_points[mark][1] > view.image_points[0][1] for mark in shoulders)  # an upright face's
    # shoulders are below its nose: a view that puts them above has mixed this face with someone else's body
    return bool(_on_face(view, face) and vis[0] >= VISIBLE and shoulders and below and view_quality(view) >= min_score)


def body_scale(view: CropView) -> float:
    """Pixel size of the person: the longer of shoulder width and shoulder-to-hip span (never tiny)."""
    return _pixel_scale(view.image_points)


def _pixel_scale(points: np.ndarray) -> float:
    """`body_scale` of landmarks `points` (33, 2 pixels)."""
    p = np.asarray(points, dtype=np.float64)
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

    Four stages, all BlazePose (one person per run): (1) the full frame, again and again with
    each person found painted over, which finds the large people one by one; (2) faces the face
    detectors find in the painted photo, each read in a body-shaped crop below it (padded
    outside the photo) and kept when BlazePose's nose lies on that face: close-ups, upper
    bodies and people cut by the frame, whom BlazePose's own detector misses; (3) crop
    proposals on the photo with everyone found hidden (`hiding_mask`) — two grids of
    overlapping squares and HOG's pedestrian boxes — for small people; (4) each candidate from
    (3) is looked at again in a crop centred on it with context around, and kept only if
    BlazePose finds the same person there (this removes the "people" a tight crop makes out of
    a jersey, a hand or a bag). The mediapipe
    graphs are built on first use (about a second each) and shared: `workers` graphs run crops
    in parallel.
    """

    def __init__(
        self,
        max_people: int = 6,
        grid_fractions: tuple[float, ...] = (0.55, 0.34),
        grid_overlap: float = 0.2,
        use_hog: bool = False,
        use_faces: bool = True,
        min_detection_confidence: float = 0.5,
        min_score: float = 0.55,
        min_score_small: float = 0.7,
        min_score_face: float = 0.3,
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
        self.use_faces = use_faces
        self.min_detection_confidence = min_detection_confidence
        self.min_score = min_score
        self.min_score_small = min_score_small
        self.min_score_face = min_score_face
        self.work_side = work_side
        self.workers = max(1, workers if workers is not None else min(2, os.cpu_count() or 1))
        self._graphs: queue.Queue | None = None  # idle BlazePose graphs, borrowed one per crop
        self._face_graphs: queue.Queue | None = None  # idle (short-range, full-range) face detector pairs
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
            if self.use_faces:
                faces: queue.Queue = queue.Queue()
                for _ in range(self.workers):
                    faces.put(tuple(mp.solutions.face_detection.FaceDetection(model_selection=model,
                                                                              min_detection_confidence=MIN_FACE_SCORE)
                                    for model in (0, 1)))  # short range (close faces), full range (to ~5 m)
                self._face_graphs = faces
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

    def faces(self, image: np.ndarray) -> list[Face]:
        """Faces in an RGB image, both face models' finds merged, best first."""
        self._ensure_models()
        if self._face_graphs is None:
            return []
        pair = self._face_graphs.get()
        try:
            found = [face for graph in pair for face in _run_face_detector(graph, image)]
        finally:
            self._face_graphs.put(pair)
        kept: list[Face] = []
        for face in sorted(found, key=lambda face: face.score, reverse=True):
            if all(_overlap(face.box, other.box) < 0.3 for other in kept):
                kept.append(face)
        return kept

    def _run_many(self, image: np.ndarray, crops: list[Crop]) -> list[CropView | None]:
        return self._run_many_images([(image, crop) for crop in crops])

    def _run_many_images(self, jobs: list[tuple[np.ndarray, Crop]]) -> list[CropView | None]:
        """BlazePose on (image, crop) pairs, spread over the graphs."""
        if self._executor is None or len(jobs) < 2:
            return [self._run(image, crop) for image, crop in jobs]
        return list(self._executor.map(lambda job: self._run(*job), jobs))

    # --- the pipeline --------------------------------------------------------------------
    def detect(self, image: Photo | np.ndarray) -> list[PersonLandmarks]:
        """People in a photo, left to right; [] if too small. An array of another layout than
        (H, W, 3) uint8 RGB (grey, RGBA, float) is made a `Photo` first (`read_photo`).

        Safe to call from several threads at once (the graphs are borrowed one crop at a time).
        """
        rgb = (image if isinstance(image, Photo) else read_photo(image, max_side=None)).rgb
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
        # Stages 1-2 see the people found so far painted over by their box (the full frame's person
        # detector, shown what a shape leaves of someone, finds no one else: a man beside a
        # painted shape was lost); stage 3's crops see them painted over by `hiding_mask`
        fill = work.reshape(-1, 3).mean(axis=0).astype(np.uint8)  # (3,) the photo's mean colour
        painted = work.copy()
        boxes: list[Box] = []
        shaped = work.copy()
        hidden = np.zeros((height, width), dtype=bool)  # (H, W) where `shaped` was painted
        people: list[CropView] = []

        def paint(view: CropView) -> None:
            box = body_box(view.image_points, width, height)
            _paint(painted, box, fill)
            boxes.append(box)
            mask = hiding_mask(view, width, height)  # (H, W)
            shaped[mask] = fill
            hidden[mask] = True

        # 1. the full frame, one person per pass; then the same inside a larger canvas
        wide, tall = PADDED_FRAME
        left = int(round((wide - 1.0) * width / 2))
        for frame in ((0, 0, width, height), (-left, 0, width + left, int(round(tall * height)))):
            for _ in range(self.max_people + 1):
                view = self._run(painted, frame)
                if view is None or not is_person(view, self.min_score) or _inside_any(view, boxes):
                    break
                people.append(view)
                paint(view)
            if len(people) > self.max_people:
                return people
        # 2. faces nobody explains yet (found in the photo itself: painting a close neighbour's
        # guessed body may have covered a face): a body crop below each, the face shown again and
        # the other faces painted over; if that finds no body (a neighbour's painted box covers it:
        # a couple side by side), the photo itself with every other face painted over, best view
        # kept; if BlazePose reads no body below a clear face that is nobody else's, the person is
        # kept as that face alone (`face_only_view`: the body unseen)
        every_face = self.faces(work) if self.use_faces else []
        unexplained = [face for face in every_face if not any(_on_face(view, face.box) for view in people)]
        for face in unexplained:
            if len(people) > self.max_people:
                return people
            view = self._person_of_face(face, work, painted, fill, [f.box for f in unexplained], [f.box for f in every_face])
            if view is None and face.score >= FACE_ONLY_SCORE and not any(_overlap(face.box, _head_box(v)) > 0.3 for v in people):
                view = face_only_view(face, width, height)
            if view is not None:
                people.append(view)
                paint(view)
        # 3. crop proposals on the photo with the people found hidden; BlazePose sees one person per
        # crop, so crops that held someone are run again with the people confirmed in them hidden too
        crops = [c for c in self.proposals(shaped) if hidden[c[1] : c[3], c[0] : c[2]].mean() < MAX_PAINTED]
        for _ in range(GRID_ROUNDS):
            if not crops or len(people) > self.max_people:
                break
            views = self._run_many(shaped, crops)
            found = [v for v in views if v is not None and is_person(v, self.min_score_small, whole=True)
                     and not _on_someone(v, hidden)]
            candidates = _merge(found)[: 2 * self.max_people]
            confirmed = []
            for view in sorted(self._second_look(shaped, candidates, fill), key=view_quality, reverse=True):
                if not _on_someone(view, hidden):  # not a part (a shirt, a leg) of someone confirmed before it
                    confirmed.append(view)
                    people.append(view)
                    paint(view)
            again = {v.crop for v in found}  # crops that held someone: who stood beside them?
            crops = [c for c in crops if c in again and hidden[c[1] : c[3], c[0] : c[2]].mean() < MAX_PAINTED] if confirmed else []
        return _merge(people)

    def _person_of_face(self, face: Face, work: np.ndarray, painted: np.ndarray, fill: np.ndarray,
                        unexplained: Sequence[Box], every_face: Sequence[Box]) -> CropView | None:
        """BlazePose's view of the body below `face`, or None: body crops below it on the painted
        photo (the face shown again, the other unexplained faces painted over), the first view
        that is that face's person; else the same crops on the photo itself with every other face
        painted over (a neighbour's painted box may cover the body), the best such view."""
        height, width = work.shape[:2]
        crops = [face_crop(face.box, side, shift) for side, shift in FACE_CROPS]
        if face.box[3] - face.box[1] >= FACE_FULL_FRAME * height:
            crops.insert(0, (0, 0, width, height))
        alone = _face_alone(painted, work, face.box, unexplained, fill)
        for crop in crops:
            view = self._run(alone, crop)
            if view is not None and is_face_person(view, face.box, self.min_score_face):
                return view
        alone = _face_alone(work, work, face.box, every_face, fill)
        views = [v for v in self._run_many(alone, crops) if v is not None and is_face_person(v, face.box, self.min_score_face)]
        return max(views, key=view_quality, default=None)

    def _second_look(self, painted: np.ndarray, candidates: list[CropView], fill: np.ndarray) -> list[CropView]:
        """4. Each candidate looked at again, with context but with the other candidates painted
        over; those BlazePose finds again (the better of the two views of each)."""
        height, width = painted.shape[:2]
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
        kept: dict[int, CropView] = {}
        for scale in CONTEXT_SCALES:  # a wider look first; a tighter one for those it did not confirm
            pending = [k for k in range(len(candidates)) if k not in kept]
            jobs = [(looks[k], square_around(candidate_boxes[k], width, height, scale)) for k in pending]
            for k, check in zip(pending, self._run_many_images(jobs)):
                if check is not None and same_person(check, candidates[k]):
                    kept[k] = max((candidates[k], check), key=view_quality)
        return [kept[k] for k in sorted(kept)]

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


def face_crop(face: Box, side: float, shift: float) -> Crop:
    """A square crop for the body below a face: `side` face heights wide, its centre `shift`
    face heights below the face's centre; it may reach outside the photo (padded there)."""
    x0, y0, x1, y1 = face
    height = max(y1 - y0, 1.0)
    size = max(int(round(side * height)), MIN_IMAGE_SIDE)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 + shift * height
    left, top = int(round(cx - size / 2)), int(round(cy - size / 2))
    return (left, top, left + size, top + size)


def face_only_view(face: Face, width: int, height: int) -> CropView:
    """A person BlazePose could not read, from their face alone: the face's keypoints seen (with
    the face detector's confidence), every other landmark unseen, placed where an upright body of
    that head's size would be (so the box, the painting-over and the fit's start have a body to
    work with) — the readings then call the body unseen instead of guessing a posture.

    Scale: the eyes-to-mouth height of the rest body's face (yaw changes it least)."""
    from posegpt.vision.fit import landmark_points, neutral_rotations

    rest = landmark_points(neutral_rotations(1))[1][0].numpy().astype(np.float64)  # (33, 3) metres, pelvis origin
    world = rest - 0.5 * (rest[23] + rest[24])  # BlazePose's origin: between the hips
    keypoints = face.keypoints.astype(np.float64)  # (6, 2) pixels
    eyes_px, mouth_px = 0.5 * (keypoints[0] + keypoints[1]), keypoints[3]
    eyes_m, mouth_m = 0.5 * (world[2] + world[5]), 0.5 * (world[9] + world[10])
    scale = max(float(np.linalg.norm(mouth_px - eyes_px)), 1.0) / max(float(eyes_m[1] - mouth_m[1]), 1e-3)  # pixels per metre
    points = keypoints[2] + scale * np.stack([world[:, 0] - world[0, 0], -(world[:, 1] - world[0, 1])], axis=1)  # (33, 2)
    visibility = np.zeros(NUM_LANDMARKS, dtype=np.float32)
    for keypoint, marks in zip(keypoints, FACE_KEYPOINT_LANDMARKS):
        points[list(marks)] = keypoint
        visibility[list(marks)] = face.score
    inside = (points[:, 0] >= 0) & (points[:, 0] <= width) & (points[:, 1] >= 0) & (points[:, 1] <= height)  # (33,)
    visibility = np.where(inside, visibility, np.minimum(visibility, OUTSIDE_IMAGE_VISIBILITY)).astype(np.float32)
    return CropView(points.astype(np.float32), visibility, world.astype(np.float32), tuple(int(round(v)) for v in face.box), inside)


def _head_box(view: CropView) -> Box:
    """Where a found person's head is: the box of their face landmarks."""
    face = view.image_points[:FACE_LANDMARKS]  # (11, 2) nose, eyes, ears, mouth
    return (*face.min(axis=0), *face.max(axis=0))


def _face_alone(source: np.ndarray, photo: np.ndarray, face: Box, others: Sequence[Box], fill: np.ndarray) -> np.ndarray:
    """A copy of `source` for reading the body below `face`: the face itself shown as the photo
    has it (painting a neighbour may have covered it), every other face in `others` painted over
    so BlazePose cannot take their head for this person's."""
    alone = source.copy()
    fx0, fy0, fx1, fy1 = (int(round(v)) for v in _grown(face, 0.15))
    fx0, fy0 = max(fx0, 0), max(fy0, 0)
    alone[fy0:fy1, fx0:fx1] = photo[fy0:fy1, fx0:fx1]
    for other in others:
        if other != face:
            _paint(alone, _grown(other, 0.15), fill)
    return alone


def _on_face(view: CropView, face: Box) -> bool:
    """BlazePose's nose lies on the face (a little margin): the view is that face's person."""
    x, y = view.image_points[0]
    x0, y0, x1, y1 = _grown(face, 0.25)
    return bool(x0 <= x <= x1 and y0 <= y <= y1)


def _grown(box: Box, share: float) -> Box:
    x0, y0, x1, y1 = box
    dx, dy = share * (x1 - x0), share * (y1 - y0)
    return (x0 - dx, y0 - dy, x1 + dx, y1 + dy)


def _overlap(a: Box, b: Box) -> float:
    """Intersection over the smaller box's area (0 when apart)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(width * height / smaller) if smaller > 0 else 0.0


def _run_face_detector(detector: Any, image: np.ndarray) -> list[Face]:
    """One mediapipe face model on an RGB image → its faces, in pixels."""
    height, width = image.shape[:2]
    result = detector.process(np.ascontiguousarray(image))
    found = []
    for detection in result.detections or []:
        box = detection.location_data.relative_bounding_box
        x0, y0 = box.xmin * width, box.ymin * height
        x1, y1 = x0 + box.width * width, y0 + box.height * height
        score = float(detection.score[0]) if detection.score else 0.0
        marks = detection.location_data.relative_keypoints
        keypoints = np.array([[mark.x * width, mark.y * height] for mark in marks], dtype=np.float32)  # (6, 2)
        usable = keypoints.shape == (len(FACE_KEYPOINT_LANDMARKS), 2) and np.isfinite(keypoints).all()
        if score >= MIN_FACE_SCORE and x1 > x0 and y1 > y0 and np.isfinite([x0, y0, x1, y1]).all() and usable:
            found.append(Face((float(x0), float(y0), float(x1), float(y1)), score, keypoints))
    return found


def _merge(views: list[CropView]) -> list[CropView]:
    """One view per person, best first: a view that agrees with a better one is dropped."""
    kept: list[CropView] = []
    for view in sorted(views, key=view_quality, reverse=True):
        if not any(same_person(view, other) for other in kept):
            kept.append(view)
    return kept


def _paint(image: np.ndarray, box: Box, fill: np.ndarray) -> None:
    x0, y0, x1, y1 = (max(int(round(v)), 0) for v in box)  # a box beyond the top/left edge: its part inside
    image[y0:y1, x0:x1] = fill


def _inside_any(view: CropView, boxes: list[Box]) -> bool:
    """The view's body centre lies inside a box already taken (a part of that person, or hidden by
    them). A centre BlazePose placed beyond the photo's edge is pulled back onto the photo first
    (the boxes end at the edge): the lower half of someone cut by the bottom edge is theirs."""
    cx, cy = view.image_points[list(_TORSO)].mean(axis=0)
    if view.inside is not None and not view.inside[list(_TORSO)].all() and boxes:
        right, bottom = max(box[2] for box in boxes), max(box[3] for box in boxes)
        cx, cy = float(np.clip(cx, 0, right)), float(np.clip(cy, 0, bottom))
    return any(x0 <= cx <= x1 and y0 <= cy <= y1 for x0, y0, x1, y1 in boxes)


def _on_someone(view: CropView, hidden: np.ndarray) -> bool:
    """The view's body centre (pulled onto the photo) lies where someone found is hidden (`hidden`:
    (H, W) bool): a part of that person (a shirt, a leg, what painting left of them), not another."""
    height, width = hidden.shape
    cx, cy = view.image_points[list(_TORSO)].mean(axis=0)
    x, y = int(np.clip(round(float(cx)), 0, width - 1)), int(np.clip(round(float(cy)), 0, height - 1))
    return bool(hidden[y, x])


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


def _patch(image: np.ndarray, crop: Crop) -> np.ndarray:
    """The crop's pixels; where it reaches outside the image, the image's mean colour."""
    x0, y0, x1, y1 = crop
    height, width = image.shape[:2]
    if x0 >= 0 and y0 >= 0 and x1 <= width and y1 <= height:
        return np.ascontiguousarray(image[y0:y1, x0:x1])
    patch = np.empty((y1 - y0, x1 - x0, 3), dtype=np.uint8)
    patch[:] = image.reshape(-1, 3).mean(axis=0).astype(np.uint8)
    ax0, ay0, ax1, ay1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if ax1 > ax0 and ay1 > ay0:
        patch[ay0 - y0 : ay1 - y0, ax0 - x0 : ax1 - x0] = image[ay0:ay1, ax0:ax1]
    return patch


def _run_blazepose(pose: Any, image: np.ndarray, crop: Crop) -> CropView | None:
    """BlazePose on one crop (which may reach outside the image), its landmarks back in pixels of `image`."""
    x0, y0, x1, y1 = crop
    patch = _patch(image, crop)  # (h, w, 3)
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
    height, width = image.shape[:2]
    inside = (points[:, 0] >= 0) & (points[:, 0] <= width) & (points[:, 1] >= 0) & (points[:, 1] <= height)  # (33,)
    visibility = np.where(inside, visibility, np.minimum(visibility, OUTSIDE_IMAGE_VISIBILITY))
    return CropView(points, np.clip(visibility, 0.0, 1.0), blazepose_world_to_smpl(world), crop, inside)


def _as_person(view: CropView, scale: float, width: int, height: int) -> PersonLandmarks:
    points = (view.image_points / scale).astype(np.float32)  # (33, 2) pixels of the full photo
    box = person_box(points, view.visibility, width, height)
    return PersonLandmarks(
        box=box,
        image_points=points,
        visibility=view.visibility.astype(np.float32),
        world_points=view.world_points.astype(np.float32),
        score=float(np.clip(view_quality(view), 0.0, 1.0)),
    )
