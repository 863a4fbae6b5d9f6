"""Files for one pose: the picture people look at, the meshes they download, the parameters.

The chat CLI and the web app both turn every `<POSE>` into the same set of files, so this module
owns that step once: body model → mesh → front + side picture (with the user's photo beside it
when there is one) → `.png`, `.glb` (Y-up, for 3D viewers), `.obj` and the `.npz` pose file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from posegpt.body.base import BodyModel, BodyModelError
from posegpt.pose import Pose, PoseError

FORMATS = ("png", "glb", "obj", "npz")
PHOTO_GAP_PIXELS = 8  # white strip between the user's photo and the rendered views


@dataclass(frozen=True)
class PoseFiles:
    """What `PoseExporter.export` wrote; a path is None when that file could not be made."""

    npz: Path
    picture: Path | None = None
    glb: Path | None = None
    obj: Path | None = None
    error: str | None = None  # why the mesh files are missing, in words

    def paths(self) -> list[Path]:
        return [path for path in (self.picture, self.glb, self.obj, self.npz) if path is not None]


def beside(photo: np.ndarray, picture: np.ndarray, gap: int = PHOTO_GAP_PIXELS) -> np.ndarray:
    """The photo scaled to the picture's height, then a white gap, then the picture: (H, W', 3) uint8."""
    from PIL import Image

    photo = np.asarray(photo)
    picture = np.asarray(picture)
    if photo.ndim != 3 or photo.shape[2] != 3 or picture.ndim != 3 or picture.shape[2] != 3:
        raise ValueError(f"beside() needs two (H, W, 3) images, got {photo.shape} and {picture.shape}")
    height = picture.shape[0]
    width = max(1, round(photo.shape[1] * height / photo.shape[0]))
    scaled = np.asarray(Image.fromarray(photo.astype(np.uint8)).resize((width, height), Image.Resampling.LANCZOS))
    spacer = np.full((height, gap, 3), 255, dtype=np.uint8)
    return np.concatenate([scaled, spacer, picture.astype(np.uint8)], axis=1)


class PoseExporter:
    """Turns poses into files with one body model and one renderer (None: no pictures).

    Safe to share between threads: the body model is pure torch and the renderer queues its GL
    work on its own thread.
    """

    def __init__(self, body: BodyModel, renderer: Any | None, views: Sequence[str] = ("front", "side")) -> None:
        self.body = body
        self.renderer = renderer
        self.views = tuple(views)

    def export(
        self,
        pose: Pose,
        folder: str | Path,
        stem: str,
        photo: np.ndarray | None = None,
        formats: Sequence[str] = FORMATS,
    ) -> PoseFiles:
        """Write `<stem>.<format>` files into `folder`. The pose file is always written; a body
        or rendering failure leaves the other paths None and says why in `error`."""
        from PIL import Image

        from posegpt.render import export_glb, export_obj

        unknown = set(formats) - set(FORMATS)
        if unknown:
            raise ValueError(f"unknown formats {sorted(unknown)}; choose from {', '.join(FORMATS)}")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        npz = pose.save_npz(folder / f"{stem}.npz")
        written: dict[str, Path] = {}
        try:
            vertices, faces = self.body(pose).mesh(0)
            if "png" in formats and self.renderer is not None:
                picture = self.renderer.render_views(vertices, faces, views=self.views)
                if photo is not None:
                    picture = beside(photo, picture)
                written["picture"] = folder / f"{stem}.png"
                Image.fromarray(picture).save(written["picture"])
            if "glb" in formats:
                written["glb"] = export_glb(vertices, faces, folder / f"{stem}.glb")
            if "obj" in formats:
                written["obj"] = export_obj(vertices, faces, folder / f"{stem}.obj")
        except (BodyModelError, PoseError, OSError, RuntimeError, ValueError) as error:
            return PoseFiles(npz=npz, error=f"the body could not be made or drawn ({error})", **written)
        return PoseFiles(npz=npz, **written)
