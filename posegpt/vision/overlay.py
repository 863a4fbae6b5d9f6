"""The photo with a pose drawn over the person it belongs to, that person's box highlighted."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from posegpt.vision.people import FittedPerson

HIGHLIGHT_RGB = (255, 140, 0)  # the chosen person's box
OTHER_RGB = (200, 200, 200)  # everyone else's, thinner


def draw_box(image: np.ndarray, box: Sequence[float], color: Sequence[int], thickness: int) -> np.ndarray:
    """A copy of `image` (H, W, 3) uint8 with a rectangle outline; boxes are clipped to the image."""
    out = np.array(image, copy=True)
    height, width = out.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, x1 = sorted((max(0, min(width - 1, x0)), max(0, min(width - 1, x1))))
    y0, y1 = sorted((max(0, min(height - 1, y0)), max(0, min(height - 1, y1))))
    t = max(1, int(thickness))
    rgb = np.asarray(color, dtype=np.uint8)
    out[y0:min(height, y0 + t), x0:x1 + 1] = rgb
    out[max(0, y1 - t + 1):y1 + 1, x0:x1 + 1] = rgb
    out[y0:y1 + 1, x0:min(width, x0 + t)] = rgb
    out[y0:y1 + 1, max(0, x1 - t + 1):x1 + 1] = rgb
    return out


def person_overlay(
    renderer: Any, vertices: np.ndarray, faces: np.ndarray, photo: np.ndarray, person: FittedPerson,
    others: Sequence[FittedPerson] = (),
) -> np.ndarray:
    """(H, W, 3) uint8: the body (root-centred vertices) placed by the person's camera over the photo."""
    thickness = max(2, round(min(photo.shape[:2]) / 200))
    picture = np.asarray(photo, dtype=np.uint8)
    for other in others:
        if other is not person:
            picture = draw_box(picture, other.landmarks.box, OTHER_RGB, max(1, thickness // 2))
    picture = renderer.overlay(vertices, faces, picture, person.camera, alpha=0.8)
    return draw_box(picture, person.landmarks.box, HIGHLIGHT_RGB, thickness)
