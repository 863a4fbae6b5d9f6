"""Colour cues of a person: what they wear on the torso and on the legs, read around their landmarks.

Why this way: a referring question ("the woman in the red top") needs a colour word, and the
landmarks already say where the torso and the legs are, so no segmentation model is needed.
Pixels are sampled inside the torso quad (shoulders → hips, shrunk inward so the arms and the
background at its edges stay out; for a person seen from the chest up, the chest below the
shoulders) and along the thighs and upper shins (hip → knee → ankle, in
a band narrower than a leg; the shins only when no thigh is seen). Only visible landmarks
count. The colour is the median of the largest of three colour clusters, so a shadow, a
highlight or an arm in front of the torso does not decide it. A smaller cluster that is vivid
and of another hue is the top's accent (`accent_colour`): the red shoulders of a navy jacket,
which people name it by ("the man in the red jacket") though most of its pixels are navy.

Hair: the top of the head, above the eyes (a band from about the hairline to the crown, sized by
the face's landmarks: ears, eyes, mouth), against the face's own skin colour (sampled on the
cheeks, between the eyes and the mouth): mostly skin there is "bald"; otherwise the dominant
colour of the pixels that are not skin gets a hair word (`hair_name`). A person seen from behind
(their left shoulder on the image's left) shows no face: BlazePose's face landmarks are a guess
there and the "cheeks" are hair, so the whole band is read as hair, never as "bald". A face not
seen (eyes or nose hidden, a head a few pixels wide) leaves the hair unread ("").

When a region is not seen (legs out of the frame, no torso landmark visible), its colour is
`UNSEEN_RGB` and its name is `UNSEEN`: the record's fields are required, and a neutral value
with an explicit name is easier to handle downstream than a guess taken from another region.

Colour names: `colour_name` maps an sRGB colour to a small basic vocabulary by its CIELAB
lightness, chroma and hue (thresholds below, chosen on clear examples and on shaded versions
of them), adding "dark"/"light" only where the basic word alone would mislead (navy is not
what people call "blue" in a photo, a sky-blue shirt is "light blue").
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from posegpt.vision.people import NUM_LANDMARKS, VISIBLE, Appearance, PersonLandmarks

UNSEEN = "unseen"
UNSEEN_RGB = (128.0, 128.0, 128.0)

# BlazePose indices
_LEFT_SHOULDER, _RIGHT_SHOULDER, _LEFT_HIP, _RIGHT_HIP = 11, 12, 23, 24
_LEGS = ((23, 25, 27), (24, 26, 28))  # (hip, knee, ankle) of the left and the right leg

TORSO_INSET = (0.2, 0.8, 0.12, 0.8)  # quad parameters kept: across (from, to), down (from, to)
MIN_TORSO_HALF_WIDTH = 0.14  # of the torso length: a side view still gets a band to sample
CHEST_DEPTH = 0.8  # shoulder widths below the shoulders read as the chest when no hip is seen
THIGH_HALF_WIDTH = 0.1  # of the torso length (shoulders to hips)
SHIN_HALF_WIDTH = 0.07  # of the torso length
THIGH_PART = 0.7  # how far down the thigh is sampled (shorts end above the knee)
SHIN_PART = 0.55  # how far down the shin is sampled (trousers; below that shoes may begin)
MIN_PIXELS = 12  # fewer distinct sampled pixels than this: the region counts as unseen
ACCENT_SHARE = 0.1  # a second colour of a top counts from this share of its pixels …
ACCENT_CHROMA = 30.0  # … when it is this vivid (CIELAB chroma; skin and shade stay below)
LIGHTNESS_WEIGHT = np.array([0.35, 1.0, 1.0])  # CIELAB (L, a, b) scaling for clustering
_GRID = 24  # samples per side of a region's parameter grid

# The vocabulary `colour_name` can answer with.
COLOUR_NAMES: tuple[str, ...] = (
    "black", "dark grey", "grey", "light grey", "white",
    "red", "dark red", "orange", "yellow", "dark yellow", "green", "dark green", "light green",
    "blue", "dark blue", "light blue", "purple", "light purple", "pink",
    "brown", "dark brown", "light brown",
)

# The words `hair_name` can answer with (and "" for unread).
HAIR_NAMES: tuple[str, ...] = ("black", "dark", "brown", "blond", "red", "grey", "white", "bald")
_NOSE, _LEFT_EYE, _RIGHT_EYE, _LEFT_EAR, _RIGHT_EAR, _MOUTH_LEFT, _MOUTH_RIGHT = 0, 2, 5, 7, 8, 9, 10
HAIR_BAND = (0.3, 0.58)  # of the head width, above the eye line: about the hairline to below the crown
HAIR_HALF_WIDTH = (0.3, 0.2)  # of the head width, at the bottom and at the top of the band
MIN_HEAD_WIDTH = 10.0  # pixels; smaller heads hold no readable hair
SKIN_DISTANCE = 16.0  # CIELAB distance to the face's skin within which a pixel counts as skin
BALD_SKIN_SHARE = 0.6  # this much of the hair band being skin reads as "bald"
BLOND_LIGHTNESS = (45.0, 52.0)  # CIELAB L: below the first hair is brown, above the second light (blond
BLOND_HUE = 60.0  # or grey); in between, yellow hair (hue ≥ this, degrees) is blond, redder hair brown
BACK_VIEW = 0.25  # shoulders crossed by this much of the head width: the person shows their back


# ----------------------------------------------------------------------------------------------
# Colour names


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) sRGB in 0..255 → (..., 3) CIELAB (D65): L in 0..100, a, b."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    to_xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = linear @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])  # (..., 3) relative to white
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def _check_rgb(rgb: object) -> np.ndarray:
    try:
        array = np.asarray(rgb, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        array = np.zeros(0)
    if array.shape != (3,) or not np.isfinite(array).all() or array.min() < 0 or array.max() > 255:
        raise ValueError(f"a colour must be three numbers in 0..255 (sRGB), got {rgb!r}")
    return array


def colour_name(rgb: Sequence[float]) -> str:
    """A basic colour word for an sRGB colour (0..255), one of `COLOUR_NAMES`."""
    lightness, a, b = srgb_to_lab(_check_rgb(rgb))
    chroma = math.hypot(a, b)
    hue = math.degrees(math.atan2(b, a)) % 360
    if lightness < 12:
        return "black"
    if chroma < 8 + 0.08 * lightness:  # greys: pale colours need more chroma to count as coloured
        if lightness < 20:
            return "black"
        if lightness < 35:
            return "dark grey"
        if lightness < 62:
            return "grey"
        if lightness < 80:
            return "light grey"
        return "white"
    if 20 <= hue < 75:  # reds, oranges, browns, skin
        if chroma < 40 or (hue >= 50 and chroma < 45) or (hue >= 50 and lightness < 40):
            if lightness < 25:
                return "dark brown"
            return "light brown" if lightness >= 60 else "brown"
        if hue >= 50:
            return "orange"
        if lightness >= 62 and chroma < 60:
            return "pink"  # salmon
        return "dark red" if lightness < 28 else "red"
    if 75 <= hue < 110:  # yellows, khaki, olive
        if chroma < 40:
            return "light brown" if lightness >= 60 else ("dark brown" if lightness < 25 else "brown")
        return "yellow" if lightness >= 55 else "dark yellow"
    pale = chroma < 70  # a saturated colour stays its plain word however light it is
    if 110 <= hue < 190:
        if lightness < 30:
            return "dark green"
        return "light green" if lightness > 75 and pale else "green"
    if 190 <= hue < 310:  # CIELAB puts saturated blues near 306°, so blue reaches that far
        if lightness < 22:
            return "dark blue"
        return "light blue" if lightness > 65 and pale else "blue"
    if 310 <= hue < 335:
        return "light purple" if lightness > 65 and pale else "purple"
    # 335..360 and 0..20: pinks and the bluish reds
    return "pink" if lightness >= 40 else "red"


def hair_name(rgb: Sequence[float]) -> str:
    """A hair word for an sRGB colour (0..255) of hair, one of `HAIR_NAMES` but "bald".

    Hair colours differ from clothing colours: browns and blonds are warm and weakly saturated,
    and hair in shade is dark whatever its colour, so lightness decides first."""
    lightness, a, b = srgb_to_lab(_check_rgb(rgb))
    chroma = math.hypot(a, b)
    hue = math.degrees(math.atan2(b, a)) % 360
    if lightness < 18:
        return "black"
    warm = 15 <= hue < 100
    if chroma < 9 or (not warm and chroma < 16):  # no hue: black, grey or white by lightness
        if lightness < 32:
            return "dark"
        return "grey" if lightness < 78 else "white"
    if not warm:  # blue, green, purple, pink: not a hair colour (a hat, the background)
        return "dark" if lightness < 32 else ""
    if hue < 55 and chroma >= 28 and 28 <= lightness < 68:
        return "red"  # ginger, auburn
    if lightness < 30:
        return "dark"
    if lightness < BLOND_LIGHTNESS[0] or (lightness < BLOND_LIGHTNESS[1] and hue < BLOND_HUE):
        return "brown"  # (blond hair in dull light is as dark as lit brown hair, but yellower)
    return "blond" if chroma >= 14 or lightness < BLOND_LIGHTNESS[1] else "grey"


def basic_colour(name: str) -> str:
    """The hue word of a colour name without "dark"/"light" ("dark blue" → "blue")."""
    return name.removeprefix("dark ").removeprefix("light ")


# ----------------------------------------------------------------------------------------------
# Reading a person's colours


def _check_inputs(image: np.ndarray, landmarks: PersonLandmarks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or 0 in image.shape[:2]:
        raise ValueError(f"image must be an (H, W, 3) uint8 array, got {image.dtype} {image.shape}")
    if not isinstance(landmarks, PersonLandmarks):
        raise ValueError(f"landmarks must be a PersonLandmarks, got {type(landmarks).__name__}")
    points = np.asarray(landmarks.image_points, dtype=np.float64)
    visibility = np.asarray(landmarks.visibility, dtype=np.float64)
    if points.shape != (NUM_LANDMARKS, 2) or visibility.shape != (NUM_LANDMARKS,):
        raise ValueError(
            f"landmarks need image_points ({NUM_LANDMARKS}, 2) and visibility ({NUM_LANDMARKS},), "
            f"got {points.shape} and {visibility.shape}"
        )
    height, width = image.shape[:2]
    inside = (points[:, 0] >= 0) & (points[:, 0] <= width - 1) & (points[:, 1] >= 0) & (points[:, 1] <= height - 1)
    seen = np.isfinite(points).all(axis=1) & np.nan_to_num(visibility >= VISIBLE) & inside  # (33,)
    return image, np.nan_to_num(points), seen


def _torso_samples(points: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """(N, 2) pixel positions inside the shrunk torso quad; the chest below both shoulders when no
    hip is seen (`_chest_samples`); empty when neither can be placed."""
    shoulders = [i for i in (_LEFT_SHOULDER, _RIGHT_SHOULDER) if seen[i]]
    hips = [i for i in (_LEFT_HIP, _RIGHT_HIP) if seen[i]]
    if len(shoulders) == 2 and not hips:
        return _chest_samples(points, seen)
    if not shoulders or not hips:
        return np.zeros((0, 2))
    top = points[shoulders].mean(axis=0)  # (2,)
    bottom = points[hips].mean(axis=0)
    spine = bottom - top
    length = float(np.linalg.norm(spine))
    if length < 4:  # a torso a few pixels long holds no usable colour
        return np.zeros((0, 2))
    down = spine / length
    across = np.array([-down[1], down[0]])
    # Half-widths at shoulders and hips: seen pairs give them, else (or when narrow) the minimum.
    half_top = abs(float((points[_LEFT_SHOULDER] - points[_RIGHT_SHOULDER]) @ across)) / 2 if len(shoulders) == 2 else 0.0
    half_bottom = abs(float((points[_LEFT_HIP] - points[_RIGHT_HIP]) @ across)) / 2 if len(hips) == 2 else 0.0
    minimum = MIN_TORSO_HALF_WIDTH * length
    half_top, half_bottom = max(half_top, minimum), max(half_bottom, minimum)
    s = np.linspace(*TORSO_INSET[:2], _GRID)  # across, 0 = one side, 1 = the other
    t = np.linspace(*TORSO_INSET[2:], _GRID)  # down, 0 = shoulders, 1 = hips
    s_grid, t_grid = np.meshgrid(s, t)  # (G, G)
    half = half_top + (half_bottom - half_top) * t_grid
    centre = top[None, None] + t_grid[..., None] * spine[None, None]  # (G, G, 2)
    samples = centre + ((2 * s_grid - 1) * half)[..., None] * across[None, None]
    return samples.reshape(-1, 2)


def _chest_samples(points: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """(N, 2) pixel positions of the chest of a person seen from the chest up (a portrait cut by
    the frame, a close-up): below the shoulder line, away from the face, as deep as
    `CHEST_DEPTH` shoulder widths, inset like the torso quad. Pixels outside the photo are
    dropped later (`_pixels`), so a chest cut by the frame is read from what the photo holds."""
    left, right = points[_LEFT_SHOULDER], points[_RIGHT_SHOULDER]
    width = float(np.linalg.norm(left - right))
    if width < 4:
        return np.zeros((0, 2))
    across = (left - right) / width
    down = np.array([-across[1], across[0]])
    head = points[_NOSE] if seen[_NOSE] else (left + right) / 2 - np.array([0.0, 1.0])  # no face: image up is up
    if float((head - (left + right) / 2) @ down) > 0:
        down = -down  # the chest lies away from the face
    s = np.linspace(*TORSO_INSET[:2], _GRID) - 0.5  # across, from the shoulder line's middle
    t = np.linspace(*TORSO_INSET[2:], _GRID) * CHEST_DEPTH * width  # down, pixels
    s_grid, t_grid = np.meshgrid(s, t)  # (G, G)
    centre = (left + right) / 2
    samples = centre[None, None] + (s_grid * width)[..., None] * across[None, None] + t_grid[..., None] * down[None, None]
    return samples.reshape(-1, 2)


def _segment_samples(start: np.ndarray, end: np.ndarray, stop: float, half_width_px: float) -> np.ndarray:
    """(N, 2) pixels in a band of ±half_width_px around the segment start → start + stop·(end − start)."""
    direction = end - start
    length = float(np.linalg.norm(direction))
    if length < 1:
        return np.zeros((0, 2))
    across = np.array([-direction[1], direction[0]]) / length
    t = np.linspace(0.12, stop, _GRID)
    offset = np.linspace(-1, 1, 7) * half_width_px
    t_grid, offset_grid = np.meshgrid(t, offset)
    samples = start[None, None] + t_grid[..., None] * direction[None, None] + offset_grid[..., None] * across[None, None]
    return samples.reshape(-1, 2)


def _leg_samples(points: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(thigh samples (N, 2), upper-shin samples (M, 2)) of the legs whose joints are seen.

    Band widths follow the torso length when it is seen, so a thigh pointing at the camera
    (short in the picture) still gets a band as wide as a thigh.
    """
    thighs, shins = [np.zeros((0, 2))], [np.zeros((0, 2))]
    torso = None
    shoulders = [i for i in (_LEFT_SHOULDER, _RIGHT_SHOULDER) if seen[i]]
    hips = [i for i in (_LEFT_HIP, _RIGHT_HIP) if seen[i]]
    if shoulders and hips:
        torso = float(np.linalg.norm(points[shoulders].mean(axis=0) - points[hips].mean(axis=0)))
    for hip, knee, ankle in _LEGS:
        if not (seen[hip] and seen[knee]):
            continue
        size = torso if torso is not None else 1.1 * float(np.linalg.norm(points[knee] - points[hip]))
        thighs.append(_segment_samples(points[hip], points[knee], THIGH_PART, THIGH_HALF_WIDTH * size))
        if seen[ankle]:
            shins.append(_segment_samples(points[knee], points[ankle], SHIN_PART, SHIN_HALF_WIDTH * size))
    return np.concatenate(thighs), np.concatenate(shins)


def colour_clusters(pixels: np.ndarray) -> list[tuple[float, tuple[float, float, float]]]:
    """(share of the pixels, median sRGB 0..255) of up to three colour clusters of `pixels` (N, 3),
    largest first; empty for fewer than `MIN_PIXELS` pixels."""
    pixels = np.asarray(pixels, dtype=np.float64).reshape(-1, 3)
    if len(pixels) < MIN_PIXELS:
        return []
    lab = srgb_to_lab(pixels) * LIGHTNESS_WEIGHT  # (N, 3)
    # k-means (k = 3) in Lab, started from lightness quantiles: deterministic and cheap.
    # Lightness counts less than hue, so one cloth in light and shade stays one cluster.
    order = np.argsort(lab[:, 0], kind="stable")
    centres = lab[order[(np.array([0.15, 0.5, 0.85]) * (len(lab) - 1)).astype(int)]]  # (3, 3)
    for _ in range(8):
        labels = np.argmin(((lab[:, None] - centres[None]) ** 2).sum(-1), axis=1)  # (N,)
        centres = np.stack([lab[labels == k].mean(axis=0) if (labels == k).any() else centres[k] for k in range(3)])
    counts = np.bincount(labels, minlength=3)
    return [(float(counts[k] / len(pixels)), tuple(float(c) for c in np.median(pixels[labels == k], axis=0)))
            for k in np.argsort(-counts, kind="stable") if counts[k] > 0]  # type: ignore[misc]


def dominant_colour(pixels: np.ndarray) -> tuple[float, float, float] | None:
    """The median sRGB (0..255) of the largest of three colour clusters of `pixels` (N, 3)."""
    clusters = colour_clusters(pixels)
    return clusters[0][1] if clusters else None


def accent_colour(clusters: Sequence[tuple[float, tuple[float, float, float]]]) -> str:
    """A second colour people would name a garment by: a smaller cluster (≥ `ACCENT_SHARE` of
    the pixels) that is vivid (CIELAB chroma ≥ `ACCENT_CHROMA`, not a skin-like brown) and of
    another hue than the main colour — the red yoke of a navy jacket, a white stripe on black
    reads nothing (not vivid). "" when there is none."""
    if len(clusters) < 2:
        return ""
    main = basic_colour(colour_name(clusters[0][1]))
    for share, rgb in clusters[1:]:
        _, a, b = srgb_to_lab(np.asarray(rgb))
        name = colour_name(rgb)
        if (share >= ACCENT_SHARE and math.hypot(a, b) >= ACCENT_CHROMA and basic_colour(name) != main
                and basic_colour(name) not in ("brown", "grey", "black", "white")):
            return name
    return ""


def _read(image: np.ndarray, samples: np.ndarray) -> tuple[float, float, float] | None:
    return dominant_colour(_pixels(image, samples))


def _head_frame(points: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray, float] | None:
    """(eye-line centre (2,), unit vector up the face (2,), head width in pixels), or None when
    the face is not seen well enough (nose and both eyes needed)."""
    if not (seen[_NOSE] and seen[_LEFT_EYE] and seen[_RIGHT_EYE]):
        return None
    eyes = (points[_LEFT_EYE] + points[_RIGHT_EYE]) / 2
    if seen[_MOUTH_LEFT] and seen[_MOUTH_RIGHT]:
        below = (points[_MOUTH_LEFT] + points[_MOUTH_RIGHT]) / 2  # mouth → eyes points up the face
    else:
        below = points[_NOSE]
    up = eyes - below
    if float(np.linalg.norm(up)) < 1e-6:
        return None
    up = up / np.linalg.norm(up)
    width = max(2.2 * float(np.linalg.norm(points[_LEFT_EYE] - points[_RIGHT_EYE])),
                2.5 * float(np.linalg.norm(eyes - below)))
    if seen[_LEFT_EAR] and seen[_RIGHT_EAR]:
        width = max(width, float(np.linalg.norm(points[_LEFT_EAR] - points[_RIGHT_EAR])))
    if width < MIN_HEAD_WIDTH:
        return None
    return eyes, up, width


def _pixels(image: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """(N, 3) the distinct pixels of `image` at the sample positions inside it."""
    height, width = image.shape[:2]
    columns = np.round(samples[:, 0]).astype(np.int64)
    rows = np.round(samples[:, 1]).astype(np.int64)
    inside = (columns >= 0) & (columns < width) & (rows >= 0) & (rows < height)
    flat = np.unique(rows[inside] * width + columns[inside])
    return image.reshape(-1, 3)[flat].astype(np.float64)


def hair_reading(image: np.ndarray, landmarks: PersonLandmarks) -> str:
    """The hair word of one person (`HAIR_NAMES`), or "" when the head is not seen well enough."""
    image, points, seen = _check_inputs(image, landmarks)
    frame = _head_frame(points, seen)
    if frame is None:
        return ""
    eyes, up, width = frame
    across = np.array([-up[1], up[0]])
    t = np.linspace(*HAIR_BAND, _GRID // 2)  # up the head
    s = np.linspace(-1, 1, _GRID)  # across
    t_grid, s_grid = np.meshgrid(t, s)
    half = HAIR_HALF_WIDTH[0] + (HAIR_HALF_WIDTH[1] - HAIR_HALF_WIDTH[0]) * (t_grid - t[0]) / (t[-1] - t[0])
    band = (eyes[None, None] + (t_grid * width)[..., None] * up[None, None]
            + (s_grid * half * width)[..., None] * across[None, None]).reshape(-1, 2)
    hair = _pixels(image, band)
    if len(hair) < MIN_PIXELS:
        return ""
    if seen[_LEFT_SHOULDER] and seen[_RIGHT_SHOULDER] and \
            float((points[_LEFT_SHOULDER] - points[_RIGHT_SHOULDER]) @ across) < -BACK_VIEW * width:
        # Seen from behind (the left shoulder on the image's left): the face landmarks are a
        # guess and the "cheeks" are hair, so the whole band is hair — never "bald" by skin.
        colour = dominant_colour(hair)
        return hair_name(colour) if colour is not None else ""
    # the face's skin: the cheeks, between each eye and the mouth (or the nose)
    mouth = (points[_MOUTH_LEFT] + points[_MOUTH_RIGHT]) / 2 if seen[_MOUTH_LEFT] and seen[_MOUTH_RIGHT] else points[_NOSE]
    cheeks = [_segment_samples(points[eye], mouth, 0.7, 0.08 * width) for eye in (_LEFT_EYE, _RIGHT_EYE)]
    skin = dominant_colour(_pixels(image, np.concatenate(cheeks)))
    lab = srgb_to_lab(hair)  # (N, 3)
    if skin is not None:
        near_skin = np.linalg.norm(lab - srgb_to_lab(np.asarray(skin)), axis=1) < SKIN_DISTANCE  # (N,)
        if near_skin.mean() >= BALD_SKIN_SHARE:
            return "bald"
        hair = hair[~near_skin]
    colour = dominant_colour(hair)
    return hair_name(colour) if colour is not None else ""


def person_appearance(image: np.ndarray, landmarks: PersonLandmarks) -> Appearance:
    """Torso and leg colours (sRGB 0..255) of one person, with their names.

    `image` is the full photo (H, W, 3) uint8 that `landmarks` refer to. A region whose
    landmarks are not seen gets `UNSEEN_RGB` and the name `UNSEEN`.
    """
    image, points, seen = _check_inputs(image, landmarks)
    top_clusters = colour_clusters(_pixels(image, _torso_samples(points, seen)))
    top = top_clusters[0][1] if top_clusters else None
    thighs, shins = _leg_samples(points, seen)
    bottom = _read(image, thighs)  # trousers, shorts or a skirt all cover the thighs
    if bottom is None:
        bottom = _read(image, shins)
    return Appearance(
        top_rgb=top if top is not None else UNSEEN_RGB,
        bottom_rgb=bottom if bottom is not None else UNSEEN_RGB,
        top_name=colour_name(top) if top is not None else UNSEEN,
        bottom_name=colour_name(bottom) if bottom is not None else UNSEEN,
        hair_name=hair_reading(image, landmarks),
        top_accent=accent_colour(top_clusters),
    )


__all__ = [
    "COLOUR_NAMES",
    "HAIR_NAMES",
    "UNSEEN",
    "UNSEEN_RGB",
    "accent_colour",
    "basic_colour",
    "colour_clusters",
    "colour_name",
    "dominant_colour",
    "hair_name",
    "hair_reading",
    "person_appearance",
    "srgb_to_lab",
]
