"""Rendered test photos with known poses: the ground truth of the image and RPE evaluations.

Why: no photo set with SMPL ground truth exists offline, so we make one. Each scene is a
640×480 picture of 1–4 clothed bodies (`AnnyBody`, the default body) standing on one floor in
front of a people-free background, every body posed from the *held-out* pose sources and turned
by a known yaw and camera tilt. The detector must find them as it finds people in a photo,
which is why they wear clothes (a top, trousers or shorts, shoes), have skin, hair, eyes and
lips, cast a contact shadow and are drawn with image noise, and why they are at least
`MIN_PERSON_PX` tall.

Geometry: one weak-perspective `Camera` per person (`u = s·x + tx`, `v = -s·y + ty`, the body's
root-centred vertices in the camera-aligned SMPL frame). People stand on a common floor seen
from a camera at height `camera_height_m` with its horizon at row `horizon_px`: a person drawn at
scale s (pixels per metre) has their lowest point at row `horizon_px + s·camera_height_m`, so
nearer people are larger and lower in the picture. Farther people are drawn first; boxes may
overlap a little (`MAX_OVERLAP`).

Ground truth per person (`ScenePerson`): the pose in the camera-aligned SMPL frame (its
global_orient includes the yaw and the tilt it was rendered with), the camera, the box of the
projected mesh, the projected SMPL joints, clothing colours with their names
(`posegpt.vision.appearance.colour_name` of the cloth colour), the box height in pixels,
the left-to-right rank and where the pose came from. `save_scenes`/`load_scenes` store PNGs and
one JSON file (no pickle).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from posegpt.photo import Photo, read_photo
from posegpt.pose import Pose, axis_angle_to_matrix, matrix_to_axis_angle
from posegpt.render import Camera, Renderer
from posegpt.vision.appearance import colour_name

SCENE_SIZE = (640, 480)  # (width, height), the size the app downscales photos near
MIN_PERSON_PX = 150  # smallest box height (or 0.6 × box width for lying people) of a person
MARGIN_PX = 6  # people stay this far inside the frame
MAX_OVERLAP = 0.12  # box intersection ÷ the smaller box's area allowed between two people
YAW_RANGE_DEG = 60.0  # people turn by at most this much left or right
TILT_RANGE_DEG = (-3.0, 14.0)  # camera elevation: slightly below to clearly above hip height
SOURCE_WEIGHTS = {"library": 0.35, "sampler": 0.40, "mocap": 0.25}
SAMPLER_SEED, SAMPLER_COUNT = 0, 150  # the held-out sampler poses the scenes draw from
FORMAT = "posegpt-eval-scenes-1"

# Cloth colours: every one is named by `colour_name` as its key (tested), so truth names and
# what an ideal appearance reader says agree.
CLOTHING_COLOURS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "red": ((200, 30, 35), (175, 28, 40)),
    "orange": ((235, 130, 30), (225, 110, 25)),
    "yellow": ((230, 210, 40), (240, 200, 70)),
    "green": ((40, 150, 60), (35, 125, 75)),
    "blue": ((35, 70, 190), (45, 95, 175)),
    "purple": ((120, 50, 160), (105, 45, 135)),
    "pink": ((235, 120, 170), (240, 150, 185)),
    "brown": ((110, 70, 40), (130, 85, 50)),
    "black": ((25, 25, 28), (38, 36, 40)),
    "white": ((235, 235, 235), (245, 242, 236)),
    "grey": ((128, 128, 128), (112, 114, 118)),
}
SKIN_TONES = ((241, 204, 178), (226, 178, 146), (200, 145, 108), (160, 112, 78), (112, 76, 52))
HAIR_COLOURS = ((28, 24, 22), (62, 40, 28), (105, 70, 42), (196, 162, 104), (150, 148, 145))
SHOE_COLOURS = ((30, 28, 30), (225, 225, 222), (84, 56, 36), (50, 50, 60))
_SCLERA, _IRIS = (232, 228, 222), (48, 34, 28)


# ----------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, eq=False)  # arrays inside: compare fields, not records
class ScenePerson:
    """One rendered person and everything known about them."""

    pose: Pose  # one pose, camera-aligned SMPL frame (global_orient includes yaw and tilt)
    camera: Camera  # root-centred body-frame vertices → pixels of the scene image
    box: tuple[float, float, float, float]  # x0, y0, x1, y1: extent of the projected mesh, pixels
    joints_2d: np.ndarray  # (24, 2) float32 projected SMPL joints of the body model, pixels
    top_rgb: tuple[int, int, int]  # cloth colour of the top (sRGB, before shading)
    bottom_rgb: tuple[int, int, int]  # trousers / shorts
    top_name: str  # colour_name(top_rgb)
    bottom_name: str
    height_px: float  # box height
    x_rank: int  # 0 = leftmost (by box centre)
    label: str  # the pose item's label, e.g. "walk~mirrored", "mocap:walk#30", a sampler provenance
    source: str  # "library", "sampler" or "mocap"
    sources: tuple[str, ...] = ()  # library pose names the pose derives from (held-out rule)
    clips: tuple[str, ...] = ()  # mocap clips it derives from
    pool_index: int = -1  # index of the item in eval_pose_pool()[source] (labels may repeat)
    yaw_deg: float = 0.0  # turn about the vertical axis it was rendered with
    tilt_deg: float = 0.0  # camera elevation it was rendered with
    skin_rgb: tuple[int, int, int] = SKIN_TONES[1]
    hair_rgb: tuple[int, int, int] = HAIR_COLOURS[0]
    long_sleeves: bool = True
    shorts: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "global_orient": [float(v) for v in self.pose.global_orient[0]],
            "body_pose": [float(v) for v in self.pose.body_pose[0]],
            "camera": [self.camera.scale, self.camera.tx, self.camera.ty],
            "box": list(self.box),
            "joints_2d": [[float(v) for v in row] for row in self.joints_2d],
            "top_rgb": list(self.top_rgb), "bottom_rgb": list(self.bottom_rgb),
            "top_name": self.top_name, "bottom_name": self.bottom_name,
            "height_px": self.height_px, "x_rank": self.x_rank,
            "label": self.label, "source": self.source, "sources": list(self.sources), "clips": list(self.clips),
            "pool_index": self.pool_index,
            "yaw_deg": self.yaw_deg, "tilt_deg": self.tilt_deg,
            "skin_rgb": list(self.skin_rgb), "hair_rgb": list(self.hair_rgb),
            "long_sleeves": self.long_sleeves, "shorts": self.shorts,
        }

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> "ScenePerson":
        return cls(
            pose=Pose(np.asarray(record["global_orient"], np.float32), np.asarray(record["body_pose"], np.float32)),
            camera=Camera(*record["camera"]),
            box=tuple(float(v) for v in record["box"]),  # type: ignore[arg-type]
            joints_2d=np.asarray(record["joints_2d"], dtype=np.float32).reshape(24, 2),
            top_rgb=tuple(int(v) for v in record["top_rgb"]),  # type: ignore[arg-type]
            bottom_rgb=tuple(int(v) for v in record["bottom_rgb"]),  # type: ignore[arg-type]
            top_name=str(record["top_name"]), bottom_name=str(record["bottom_name"]),
            height_px=float(record["height_px"]), x_rank=int(record["x_rank"]),
            label=str(record["label"]), source=str(record["source"]),
            sources=tuple(record.get("sources", ())), clips=tuple(record.get("clips", ())),
            pool_index=int(record.get("pool_index", -1)),
            yaw_deg=float(record.get("yaw_deg", 0.0)), tilt_deg=float(record.get("tilt_deg", 0.0)),
            skin_rgb=tuple(int(v) for v in record.get("skin_rgb", SKIN_TONES[1])),  # type: ignore[arg-type]
            hair_rgb=tuple(int(v) for v in record.get("hair_rgb", HAIR_COLOURS[0])),  # type: ignore[arg-type]
            long_sleeves=bool(record.get("long_sleeves", True)), shorts=bool(record.get("shorts", False)),
        )


@dataclass(frozen=True, eq=False)  # arrays inside: compare fields, not records
class Scene:
    """One test photo and its people, left to right (`people[i].x_rank == i`)."""

    name: str  # "scene_0007"
    image: np.ndarray  # (H, W, 3) uint8
    people: tuple[ScenePerson, ...]
    background: str  # kind of background: "room", "outdoor", "studio", "texture"
    horizon_px: float  # row of the camera's horizon
    camera_height_m: float
    tilt_deg: float
    seed: int = 0
    timings_s: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])

    @property
    def photo(self) -> Photo:
        """The image as the engine and the vision module take photos (no scaling)."""
        return read_photo(self.image, max_side=None, name=self.name)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "image": f"{self.name}.png", "size": list(self.size),
            "background": self.background, "horizon_px": self.horizon_px,
            "camera_height_m": self.camera_height_m, "tilt_deg": self.tilt_deg, "seed": self.seed,
            "people": [person.to_json() for person in self.people],
        }


# ----------------------------------------------------------------------------------------------
# Body parts and clothes

_PART_NAMES = ("skin", "hair", "top", "forearm", "bottom", "shin", "shoe", "sclera", "iris", "lips", "brows")
PART = {name: index for index, name in enumerate(_PART_NAMES)}
_BONE_PART = {
    "top": ("Chest", "Spine2", "Spine1", "LeftShoulder", "RightShoulder", "LeftArm", "RightArm"),
    "forearm": ("LeftForeArm", "RightForeArm"),
    "bottom": ("Root", "Hips", "LeftLeg", "RightLeg"),
    "shin": ("LeftShin", "RightShin"),
    "shoe": ("LeftFoot", "RightFoot", "LeftToeBase", "RightToeBase", "LeftToeEnd", "RightToeEnd"),
}
_HEAD_BONES = ("Head", "HeadEnd", "Jaw", "LeftEye", "RightEye", "Neck2")


@lru_cache(maxsize=1)
def body_part_labels() -> np.ndarray:
    """(V,) int part index (`PART`) of every vertex of the default Anny mesh.

    Clothes follow each vertex's strongest skinning bone; the face (hair line, eyes, brows,
    lips) is painted from T-pose positions, measured on the mesh around its eye bones.
    """
    import torch

    from posegpt.body.anny_body import DEFAULT_RIG_PATH, AnnyBody, AnnyRig

    rig = AnnyRig.load(DEFAULT_RIG_PATH)
    strongest = rig.skin_indices.gather(1, rig.skin_weights.argmax(dim=1, keepdim=True))[:, 0].numpy()  # (V,)
    bone_names = np.asarray(rig.bone_labels)[strongest]  # (V,)
    labels = np.full(len(bone_names), PART["skin"], dtype=np.int64)
    for part, bones in _BONE_PART.items():
        labels[np.isin(bone_names, bones)] = PART[part]

    body = AnnyBody()
    with torch.no_grad():
        tpose = body(Pose.identity()).vertices[0].numpy()  # (V, 3), SMPL frame, pelvis at origin
    heads = rig.tpose_heads.numpy()  # (B, 3) bone heads in the T-pose, pelvis at origin
    eyes = heads[[rig.bone_labels.index("LeftEye"), rig.bone_labels.index("RightEye")]]  # (2, 3)
    eye_y, eye_z = float(eyes[:, 1].mean()), float(eyes[:, 2].mean())
    x, y, z = tpose[:, 0], tpose[:, 1], tpose[:, 2]
    head = np.isin(bone_names, _HEAD_BONES) & (y > eye_y - 0.16)
    ear = (np.abs(x) > 0.064) & (z > -0.03) & (y < eye_y + 0.022) & (y > eye_y - 0.055)
    hair = head & ~ear & ((y > eye_y + 0.038) | ((z < 0.015) & (y > eye_y - 0.065)))
    labels[hair] = PART["hair"]
    front = z > eye_z - 0.02
    for eye in eyes:
        across = np.hypot(x - eye[0], y - eye[1])
        labels[head & front & (across < 0.0125) & (np.linalg.norm(tpose - eye, axis=1) < 0.0135)] = PART["sclera"]
        labels[head & front & (across < 0.0062) & (z > eye[2])] = PART["iris"]
        brow = (np.abs(x - eye[0]) < 0.02) & (y > eye_y + 0.013) & (y < eye_y + 0.021)
        labels[head & front & brow & ~hair] = PART["brows"]
    lips = (np.abs(x) < 0.023) & (y > eye_y - 0.075) & (y < eye_y - 0.058) & (z > eye_z - 0.03)
    labels[head & lips] = PART["lips"]
    return labels


@dataclass(frozen=True)
class Outfit:
    """The colours one person is drawn with (sRGB 0..255)."""

    top: tuple[int, int, int]
    bottom: tuple[int, int, int]
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    shoes: tuple[int, int, int]
    long_sleeves: bool = True
    shorts: bool = False

    def vertex_colours(self, labels: np.ndarray) -> np.ndarray:
        """(V, 3) float32 albedo of each vertex, from `body_part_labels()`."""
        skin = np.asarray(self.skin, dtype=np.float32)
        table = np.zeros((len(_PART_NAMES), 3), dtype=np.float32)
        table[PART["skin"]] = skin
        table[PART["hair"]] = self.hair
        table[PART["top"]] = self.top
        table[PART["forearm"]] = self.top if self.long_sleeves else skin
        table[PART["bottom"]] = self.bottom
        table[PART["shin"]] = skin if self.shorts else self.bottom
        table[PART["shoe"]] = self.shoes
        table[PART["sclera"]] = _SCLERA
        table[PART["iris"]] = _IRIS
        table[PART["lips"]] = np.clip(skin * np.array([0.85, 0.6, 0.6]), 0, 255)
        table[PART["brows"]] = np.asarray(self.hair, dtype=np.float32) * 0.8 + skin * 0.2
        return table[labels]


# ----------------------------------------------------------------------------------------------
# Backgrounds (people-free by construction)


def smooth_noise(rng: np.random.Generator, width: int, height: int, octaves: int = 4, base: int = 4) -> np.ndarray:
    """(H, W) float32 in about [-1, 1]: a sum of bicubically enlarged random grids (value noise)."""
    from PIL import Image

    total = np.zeros((height, width), dtype=np.float32)
    weight = 1.0
    for octave in range(octaves):
        cells = base * 2**octave
        grid = rng.uniform(-1, 1, (cells + 1, int(cells * width / height) + 2)).astype(np.float32)
        layer = np.asarray(Image.fromarray(grid, mode="F").resize((width, height), Image.BICUBIC))
        total += weight * layer
        weight *= 0.5
    return total / 1.875


def _colour(rng: np.random.Generator, low: float, high: float, saturation: float) -> np.ndarray:
    """A random sRGB colour (3,) of mean brightness in [low, high] and limited saturation."""
    grey = rng.uniform(low, high)
    tint = rng.normal(0, 1, 3)
    return np.clip(grey + saturation * grey * tint / max(1e-6, np.abs(tint).max()), 0, 255)


def make_background(rng: np.random.Generator, width: int, height: int, floor_row: float) -> tuple[np.ndarray, str]:
    """(H, W, 3) float32 sRGB picture without people, and its kind.

    The floor (where there is one) starts at `floor_row`, the row of the wall's foot, so people
    placed on the floor stand below it.
    """
    kind = str(rng.choice(["room", "outdoor", "studio", "texture"], p=[0.4, 0.25, 0.15, 0.2]))
    rows = np.arange(height, dtype=np.float32)[:, None, None]  # (H, 1, 1)
    columns = np.arange(width, dtype=np.float32)[None, :, None]
    texture = smooth_noise(rng, width, height)[..., None]  # (H, W, 1)
    fine = smooth_noise(rng, width, height, octaves=3, base=24)[..., None]
    below = rows >= floor_row  # (H, 1, 1)
    if kind == "room":
        wall, floor = _colour(rng, 110, 225, 0.25), _colour(rng, 60, 170, 0.35)
        picture = np.where(below, floor, wall) * (1 + 0.08 * texture + 0.04 * fine)
        if rng.random() < 0.6:  # planks or tiles on the floor, converging to the middle
            spacing = rng.uniform(25, 60)
            depth = np.maximum(rows - floor_row + 8, 1.0)
            lines = np.cos(2 * np.pi * (columns - width / 2) / (spacing * depth / height * 3 + 4))
            picture = picture * np.where(below, 1 - 0.05 * (lines > 0.9), 1)
        for _ in range(int(rng.integers(0, 3))):  # a frame, a door or a window on the wall
            x0 = rng.uniform(0, width * 0.8)
            w, h = rng.uniform(0.1, 0.25) * width, rng.uniform(0.15, 0.4) * height
            y0 = rng.uniform(0.05 * height, max(0.06 * height, floor_row - h - 4))
            inside = (columns >= x0) & (columns < x0 + w) & (rows >= y0) & (rows < min(y0 + h, floor_row))
            picture = np.where(inside, _colour(rng, 60, 240, 0.4) * (1 + 0.1 * fine), picture)
        skirting = (rows >= floor_row - 4) & (rows < floor_row)
        picture = np.where(skirting, picture * 0.7, picture)
    elif kind == "outdoor":
        sky_top, sky_bottom = np.array([95, 140, 205]) * rng.uniform(0.8, 1.15), np.array([195, 215, 235])
        t = np.clip(rows / max(1.0, floor_row), 0, 1)
        sky = sky_top * (1 - t) + sky_bottom * t + 12 * texture
        ground = (np.array([80, 125, 60]) if rng.random() < 0.5 else np.array([120, 118, 112])) * rng.uniform(0.8, 1.2)
        ground = ground * (1 + 0.15 * texture + 0.1 * fine)
        picture = np.where(below, ground, sky)
        hills = floor_row - (0.04 + 0.05 * rng.random()) * height * (1 + smooth_noise(rng, width, 1, 2, 2)[0])[None, :, None]
        picture = np.where(~below & (rows > hills), np.array([70, 100, 70]) * (1 + 0.1 * fine), picture)
    elif kind == "studio":
        centre = _colour(rng, 150, 235, 0.2)
        radius = np.hypot((columns - width / 2) / width, (rows - height * 0.45) / height)
        picture = centre * (1.05 - 0.6 * radius) * (1 + 0.03 * texture)
    else:  # texture: two colours mixed by smooth noise, darker towards the bottom
        first, second = _colour(rng, 70, 220, 0.5), _colour(rng, 70, 220, 0.5)
        mix = np.clip(0.5 + 0.9 * texture, 0, 1)
        picture = (first * mix + second * (1 - mix)) * (1 + 0.06 * fine) * (1 - 0.25 * below * (rows - floor_row) / height)
    return np.clip(picture, 0, 255).astype(np.float32), kind


def _contact_shadow(picture: np.ndarray, centre_u: float, floor_v: float, scale: float, tilt_deg: float) -> None:
    """Darken the floor under a person in place (a soft ellipse)."""
    height, width = picture.shape[:2]
    radius_u = 0.35 * scale
    radius_v = max(3.0, radius_u * (0.12 + math.sin(math.radians(max(tilt_deg, 0.0)) + 0.05)))
    v0, v1 = int(max(0, floor_v - 3 * radius_v)), int(min(height, floor_v + 3 * radius_v))
    u0, u1 = int(max(0, centre_u - 3 * radius_u)), int(min(width, centre_u + 3 * radius_u))
    if v1 <= v0 or u1 <= u0:
        return
    rows = np.arange(v0, v1, dtype=np.float32)[:, None]
    columns = np.arange(u0, u1, dtype=np.float32)[None, :]
    falloff = np.exp(-(((columns - centre_u) / radius_u) ** 2 + ((rows - floor_v) / radius_v) ** 2))
    picture[v0:v1, u0:u1] *= (1 - 0.45 * falloff)[..., None]


# ----------------------------------------------------------------------------------------------
# Pose sources (held out only)


@lru_cache(maxsize=1)
def eval_pose_pool() -> dict[str, tuple[Any, ...]]:
    """Held-out pose items by source: named poses, sampler poses made from them, mocap frames."""
    from posegpt.data.conversations import library_items, mocap_items, sampler_items

    return {
        "library": library_items("eval"),
        "sampler": sampler_items("eval", SAMPLER_SEED, SAMPLER_COUNT),
        "mocap": mocap_items("eval"),
    }


def _rotation(axis: str, degrees: float) -> np.ndarray:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    if axis == "x":
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])  # y


def turned_pose(pose: Pose, yaw_deg: float, tilt_deg: float) -> Pose:
    """The pose turned by `yaw_deg` about the vertical and seen by a camera tilted down by `tilt_deg`.

    A camera above the person looking down sees the body's up direction lean towards it: in
    the camera frame that is a rotation about x by +tilt, applied after the yaw.
    """
    import torch

    turn = torch.from_numpy(_rotation("x", tilt_deg) @ _rotation("y", yaw_deg)).float()  # (3, 3)
    orient = axis_angle_to_matrix(torch.from_numpy(pose.global_orient[:1]))[0]  # (3, 3)
    global_orient = matrix_to_axis_angle((turn @ orient)[None])[0].numpy()  # (3,)
    return Pose(global_orient[None], pose.body_pose[:1], pose.betas, pose.phenotype)


# ----------------------------------------------------------------------------------------------
# Scene making


@dataclass
class _Candidate:
    item: Any
    pool_index: int
    source: str
    yaw: float
    pose: Pose
    vertices: np.ndarray  # (V, 3) camera frame, root-centred
    joints: np.ndarray  # (24, 3)
    outfit: Outfit
    scale: float = 0.0
    camera: Camera | None = None
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


def _overlap(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection of two boxes ÷ the smaller one's area."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(width * height / max(smaller, 1e-6))


def _pick_outfits(rng: np.random.Generator, count: int) -> list[Outfit]:
    names = sorted(CLOTHING_COLOURS)
    tops = list(rng.choice(names, size=count, replace=count > len(names)))  # distinct tops when possible
    outfits = []
    for top in tops:
        bottom = str(rng.choice([name for name in names if name != top]))
        outfits.append(Outfit(
            top=CLOTHING_COLOURS[top][int(rng.integers(2))],
            bottom=CLOTHING_COLOURS[bottom][int(rng.integers(2))],
            skin=SKIN_TONES[int(rng.integers(len(SKIN_TONES)))],
            hair=HAIR_COLOURS[int(rng.integers(len(HAIR_COLOURS)))],
            shoes=SHOE_COLOURS[int(rng.integers(len(SHOE_COLOURS)))],
            long_sleeves=bool(rng.random() < 0.6),
            shorts=bool(rng.random() < 0.2),
        ))
    return outfits


def _draw_people(rng: np.random.Generator, body: Any, count: int, tilt: float) -> list[_Candidate]:
    import torch

    pool = eval_pose_pool()
    sources = [name for name in SOURCE_WEIGHTS if pool[name]]
    weights = np.array([SOURCE_WEIGHTS[name] for name in sources])
    chosen: list[tuple[str, int]] = []
    while len(chosen) < count:  # different items (pools hold far more than 8)
        source = str(rng.choice(sources, p=weights / weights.sum()))
        key = (source, int(rng.integers(len(pool[source]))))
        if key not in chosen:
            chosen.append(key)
    yaws = [float(rng.uniform(-YAW_RANGE_DEG, YAW_RANGE_DEG)) for _ in chosen]
    poses = [turned_pose(pool[source][index].pose, yaw, tilt) for (source, index), yaw in zip(chosen, yaws)]
    with torch.no_grad():
        output = body(Pose.concat(poses))
    vertices = output.vertices.numpy()  # (N, V, 3)
    joints = output.joints.numpy()  # (N, 24, 3)
    outfits = _pick_outfits(rng, count)
    return [
        _Candidate(pool[source][index], index, source, yaw, pose, vertices[i], joints[i], outfits[i])
        for i, ((source, index), yaw, pose) in enumerate(zip(chosen, yaws, poses))
    ]


def _place(rng: np.random.Generator, people: list[_Candidate], width: int, height: int,
           horizon: float, camera_height: float) -> list[_Candidate] | None:
    """Give each person a scale and a place on the floor; None when they do not fit together."""
    for person in people:
        low, high = person.vertices.min(axis=0), person.vertices.max(axis=0)  # (3,)
        tall, wide = float(high[1] - low[1]), float(high[0] - low[0])
        smallest = MIN_PERSON_PX / max(tall, 0.6 * wide)
        largest = (height - 1 - MARGIN_PX - horizon) / camera_height  # feet above the bottom edge
        if tall > camera_height:  # the head must stay below the top edge
            largest = min(largest, (horizon - MARGIN_PX) / (tall - camera_height))
        largest = min(largest, (width - 2 * MARGIN_PX) / wide)
        if largest < smallest:
            return None
        person.scale = float(np.exp(rng.uniform(math.log(smallest), math.log(largest))))
    widths = np.array([p.scale * np.ptp(p.vertices[:, 0]) for p in people])
    if widths.sum() > 0.95 * width:  # shrink everybody towards their smallest allowed size
        factor = 0.95 * width / widths.sum()
        for person in people:
            low, high = person.vertices.min(axis=0), person.vertices.max(axis=0)
            smallest = MIN_PERSON_PX / max(float(high[1] - low[1]), 0.6 * float(high[0] - low[0]))
            person.scale = max(smallest, person.scale * factor)
    placed: list[_Candidate] = []
    for person in sorted(people, key=lambda p: p.scale):  # far to near, as they will be drawn
        s = person.scale
        low, high = person.vertices.min(axis=0), person.vertices.max(axis=0)
        floor_v = horizon + s * camera_height
        ty = floor_v + s * float(low[1])  # lowest vertex on the floor row
        box_w = s * float(high[0] - low[0])
        top_v, bottom_v = ty - s * float(high[1]), ty - s * float(low[1])
        starts = np.arange(MARGIN_PX, width - MARGIN_PX - box_w, 2.0)
        free = [
            x0 for x0 in starts
            if all(_overlap((x0, top_v, x0 + box_w, bottom_v), other.box) <= MAX_OVERLAP for other in placed)
        ]
        if not free:
            return None
        x0 = float(free[int(rng.integers(len(free)))])
        person.camera = Camera(s, x0 - s * float(low[0]), ty)
        person.box = (x0, top_v, x0 + box_w, bottom_v)
        placed.append(person)
    return placed


def _project(camera: Camera, points: np.ndarray) -> np.ndarray:
    """(N, 3) body-frame points → (N, 2) pixels."""
    return np.stack([camera.scale * points[:, 0] + camera.tx, -camera.scale * points[:, 1] + camera.ty], axis=1)


def make_scene(index: int, seed: int = 0, min_people: int = 1, max_people: int = 4,
               size: tuple[int, int] = SCENE_SIZE, renderer: Renderer | None = None, body: Any | None = None) -> Scene:
    """Scene number `index` of the series `seed`; the same arguments always give the same scene."""
    width, height = _check_size(size)
    if not isinstance(index, int) or isinstance(index, bool) or index < 0 or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"index and seed must be non-negative integers, got {index!r}, {seed!r}")
    if not (isinstance(min_people, int) and isinstance(max_people, int) and 1 <= min_people <= max_people <= 8):
        raise ValueError(f"need 1 <= min_people <= max_people <= 8, got {min_people}, {max_people}")
    started = time.perf_counter()
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(index)]))
    body = body if body is not None else _default_body()
    own_renderer = renderer is None
    renderer = renderer if renderer is not None else Renderer(width, height)
    try:
        for _ in range(50):  # redraw until everybody fits (deterministic: the rng moves on)
            count = int(rng.integers(min_people, max_people + 1))
            tilt = float(rng.uniform(*TILT_RANGE_DEG))
            horizon = float(rng.uniform(0.3, 0.48) * height)
            camera_height = float(rng.uniform(1.0, 1.5))
            people = _place(rng, _draw_people(rng, body, count, tilt), width, height, horizon, camera_height)
            if people is not None:
                break
        else:
            raise RuntimeError(f"could not place {min_people}..{max_people} people in a {width}×{height} scene")
        placed_s = time.perf_counter() - started
        wall_distance_scale = min(p.scale for p in people) * rng.uniform(0.55, 0.9)
        floor_row = horizon + wall_distance_scale * camera_height
        picture, kind = make_background(rng, width, height, floor_row)
        labels = body_part_labels()
        faces = body.faces
        image = picture
        for person in people:  # far to near
            assert person.camera is not None
            if kind != "studio" or rng.random() < 0.5:
                centre_u = person.camera.scale * float(person.joints[0, 0]) + person.camera.tx
                _contact_shadow(image, centre_u, person.box[3], person.scale, tilt)
            frame = np.clip(np.round(image), 0, 255).astype(np.uint8)
            colours = person.outfit.vertex_colours(labels)
            drawn = renderer.overlay(person.vertices, faces, frame, person.camera, alpha=1.0, color=colours)
            image = drawn.astype(np.float32)
        image = image + rng.normal(0, 2.0, image.shape)  # sensor noise
        image = np.clip(np.round(image), 0, 255).astype(np.uint8)
        rendered_s = time.perf_counter() - started - placed_s
    finally:
        if own_renderer:
            renderer.close()
    order = sorted(range(len(people)), key=lambda i: (people[i].box[0] + people[i].box[2]) / 2)
    records = []
    for rank, i in enumerate(order):
        person = people[i]
        assert person.camera is not None
        records.append(ScenePerson(
            pose=person.pose, camera=person.camera, box=tuple(float(v) for v in person.box),  # type: ignore[arg-type]
            joints_2d=_project(person.camera, person.joints).astype(np.float32),
            top_rgb=person.outfit.top, bottom_rgb=person.outfit.bottom,
            top_name=colour_name(person.outfit.top), bottom_name=colour_name(person.outfit.bottom),
            height_px=float(person.box[3] - person.box[1]), x_rank=rank,
            label=person.item.label, source=person.source,
            sources=tuple(person.item.sources), clips=tuple(person.item.clips), pool_index=person.pool_index,
            yaw_deg=person.yaw, tilt_deg=tilt, skin_rgb=person.outfit.skin, hair_rgb=person.outfit.hair,
            long_sleeves=person.outfit.long_sleeves, shorts=person.outfit.shorts,
        ))
    timings = {"place": placed_s, "render": rendered_s, "total": time.perf_counter() - started}
    return Scene(f"scene_{index:04d}", image, tuple(records), kind, horizon, camera_height, tilt, int(seed), timings)


def make_eval_scenes(count: int, seed: int = 0, min_people: int = 1, max_people: int = 4,
                     size: tuple[int, int] = SCENE_SIZE) -> list[Scene]:
    """`count` test scenes; scene i depends only on (seed, i), so a longer list extends a shorter one."""
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError(f"count must be a non-negative integer, got {count!r}")
    width, height = _check_size(size)
    body = _default_body()
    with Renderer(width, height) as renderer:
        return [make_scene(i, seed, min_people, max_people, (width, height), renderer, body) for i in range(count)]


@lru_cache(maxsize=1)
def _default_body() -> Any:
    from posegpt.body import AnnyBody

    return AnnyBody()


def _check_size(size: Sequence[int]) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be (width, height), got {size!r}") from None
    if width < 320 or height < 240 or width > 4096 or height > 4096:
        raise ValueError(f"scene size must be between 320×240 and 4096×4096, got {width}×{height}")
    return width, height


# ----------------------------------------------------------------------------------------------
# Files


def save_scenes(scenes: Sequence[Scene], folder: str | Path) -> Path:
    """Write `<name>.png` per scene and `scenes.json` with the ground truth; returns the JSON path."""
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for scene in scenes:
        Image.fromarray(scene.image).save(folder / f"{scene.name}.png")
    path = folder / "scenes.json"
    path.write_text(json.dumps({"format": FORMAT, "scenes": [scene.to_json() for scene in scenes]}, indent=1))
    return path


def load_scenes(folder: str | Path) -> list[Scene]:
    """Read what `save_scenes` wrote (clear errors for a missing or foreign folder)."""
    folder = Path(folder)
    path = folder / "scenes.json"
    if not path.is_file():
        raise ValueError(f"{folder} holds no scenes.json; write one with save_scenes")
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not readable JSON ({error})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a scene file of format {FORMAT}")
    scenes = []
    for record in data["scenes"]:
        image_path = folder / record["image"]
        try:
            image = read_photo(image_path, max_side=None).rgb
        except (OSError, ValueError) as error:
            raise ValueError(f"scene image {image_path} is missing or unreadable ({error})") from None
        scenes.append(Scene(
            name=str(record["name"]), image=image,
            people=tuple(ScenePerson.from_json(person) for person in record["people"]),
            background=str(record["background"]), horizon_px=float(record["horizon_px"]),
            camera_height_m=float(record["camera_height_m"]), tilt_deg=float(record["tilt_deg"]),
            seed=int(record.get("seed", 0)),
        ))
    return scenes


__all__ = [
    "CLOTHING_COLOURS",
    "MIN_PERSON_PX",
    "Outfit",
    "SCENE_SIZE",
    "Scene",
    "ScenePerson",
    "body_part_labels",
    "eval_pose_pool",
    "load_scenes",
    "make_background",
    "make_eval_scenes",
    "make_scene",
    "save_scenes",
    "smooth_noise",
    "turned_pose",
]


# ----------------------------------------------------------------------------------------------
# Ground-truth landmarks (what an ideal detector would report)

# BlazePose landmark → SMPL joint it sits on (face points on the head joint, hand points on the
# hand joint, heels and toes on the ankle and foot joints).
_BLAZEPOSE_FROM_SMPL = (15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 16, 17, 18, 19, 20, 21, 22, 23, 22, 23,
                        22, 23, 1, 2, 4, 5, 7, 8, 7, 8, 10, 11)


def truth_landmarks(person: ScenePerson, size: tuple[int, int] = SCENE_SIZE) -> "Any":
    """A `PersonLandmarks` made from the ground truth: SMPL joints placed on BlazePose's 33 points.

    Face points all sit on the head joint (coarse, but enough for colours and boxes); points
    outside the image get visibility 0. World points use the camera-aligned SMPL frame with the
    pelvis as origin.
    """
    import torch

    from posegpt.vision.people import PersonLandmarks

    width, height = _check_size(size)
    index = list(_BLAZEPOSE_FROM_SMPL)
    points = person.joints_2d[index].astype(np.float32)  # (33, 2)
    inside = (points[:, 0] >= 0) & (points[:, 0] <= width - 1) & (points[:, 1] >= 0) & (points[:, 1] <= height - 1)
    joints = person.pose.joints()[0].to(torch.float32).numpy()  # (24, 3) SMPL skeleton, pelvis at origin
    return PersonLandmarks(
        box=person.box, image_points=points, visibility=inside.astype(np.float32),
        world_points=joints[index].astype(np.float32), score=1.0,
    )
