"""Everything PoseGPT draws, in one place: a pose → its mesh (built once) → the front and side
views, the body drawn over the person of the photo it is about (their box highlighted), and the
files people download.

The web app, the terminal chat, `render`, the evaluations and the benchmarks all draw through
`PoseExporter` (or, for a body at a known camera, `overlay_bodies`, the one overlay). The engine
draws nothing: its `PoseEvent` carries the pose, the person and the scene reading, which is
all `PoseExporter.draw` needs. Files: `.png` (the picture: the photo or its overlay beside the
views), `<stem>_overlay.png`, `.glb` (Y-up, for 3D viewers), `.obj` and the `.npz` pose file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Sequence

import numpy as np

from posegpt.body.base import BodyModel, BodyModelError
from posegpt.photo import Photo
from posegpt.pose import Pose, PoseError

if TYPE_CHECKING:
    from posegpt.render import Camera, Renderer
    from posegpt.vision.pipeline import SceneReading

FORMATS = ("png", "glb", "obj", "npz")
PHOTO_GAP_PIXELS = 8  # white strip between the user's photo and the rendered views
HIGHLIGHT_RGB = (255, 140, 0)  # the box of the person a pose is about
OTHER_RGB = (200, 200, 200)  # everyone else's, thinner
OVERLAY_ALPHA = 0.8  # how opaque a body drawn over a photo is

Box = Sequence[float]  # x0, y0, x1, y1 in pixels


class Mesh(NamedTuple):
    """A posed body's surface, root-centred, in the SMPL body frame (+y up, facing +z)."""

    vertices: np.ndarray  # (V, 3) float32 metres
    faces: np.ndarray  # (F, 3) int


@dataclass(frozen=True)
class Drawing:
    """What `PoseExporter.draw` made of one pose: arrays, nothing written yet."""

    mesh: Mesh
    views: np.ndarray | None = None  # (H, W, 3) uint8 front + side (None: no renderer)
    overlay: np.ndarray | None = None  # (H, W, 3) uint8 the photo with the body over its person (or at `camera`)
    picture: np.ndarray | None = None  # (H, W', 3) uint8 what people look at: overlay/photo beside the views


@dataclass(frozen=True)
class PoseFiles:
    """What `PoseExporter.export` wrote; a path is None when that file could not be made."""

    npz: Path
    picture: Path | None = None
    glb: Path | None = None
    obj: Path | None = None
    overlay: Path | None = None  # the photo with the body drawn over its person, when the pose is about one
    error: str | None = None  # why the mesh files are missing, in words

    def paths(self) -> list[Path]:
        return [path for path in (self.picture, self.glb, self.obj, self.npz) if path is not None]


# --- pictures from arrays ------------------------------------------------------------------------------


def draw_box(image: np.ndarray, box: Box, color: Sequence[int], thickness: int) -> np.ndarray:
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


def box_thickness(image: np.ndarray) -> int:
    """Outline width that reads at the photo's size."""
    return max(2, round(min(image.shape[:2]) / 200))


def overlay_bodies(
    renderer: "Renderer", photo: np.ndarray, bodies: Sequence[tuple[Mesh, "Camera"]],
    highlight: Sequence[Box] = (), others: Sequence[Box] = (), alpha: float = OVERLAY_ALPHA,
) -> np.ndarray:
    """The one overlay: (H, W, 3) uint8 `photo` with thin grey boxes around `others`, each body
    drawn at its weak-perspective camera, and orange boxes around `highlight` on top."""
    picture = np.asarray(photo, dtype=np.uint8)
    thickness = box_thickness(picture)
    for box in others:
        picture = draw_box(picture, box, OTHER_RGB, max(1, thickness // 2))
    for mesh, camera in bodies:
        picture = renderer.overlay(mesh.vertices, mesh.faces, picture, camera, alpha=alpha)
    for box in highlight:
        picture = draw_box(picture, box, HIGHLIGHT_RGB, thickness)
    return picture


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


# --- the exporter ----------------------------------------------------------------------------------------


class PoseExporter:
    """Draws poses and writes their files with one body model and one renderer (None: no pictures).

    Safe to share between threads: the body model is pure torch and the renderer queues its GL
    work on its own thread.
    """

    def __init__(self, body: BodyModel, renderer: "Renderer | None", views: Sequence[str] = ("front", "side")) -> None:
        self.body = body
        self.renderer = renderer
        self.views = tuple(views)

    def mesh(self, pose: Pose) -> Mesh:
        """The posed body's mesh (the pose's first row). Raises BodyModelError/PoseError."""
        vertices, faces = self.body(pose[:1] if len(pose) > 1 else pose).mesh(0)
        return Mesh(vertices, faces)

    def draw(
        self,
        pose: Pose | Mesh,
        photo: Photo | None = None,
        person: int | None = None,
        scene: SceneReading | None = None,
        camera: "Camera | None" = None,
        views: bool = True,
    ) -> Drawing:
        """Mesh once → front and side views, and over `photo`: the body at `scene.people[person]`
        (their box highlighted, everyone else's thin) or, given `camera`, at that camera (no
        boxes). The picture is the overlay (or else the photo) beside the views.

        An overlay that cannot be drawn (a person the scene does not have, a photo of another
        size than the one the people were found in, a camera the renderer refuses) is left out;
        the views are still drawn. A body that cannot be built raises BodyModelError/PoseError."""
        mesh = pose if isinstance(pose, Mesh) else self.mesh(pose)
        if self.renderer is None:
            return Drawing(mesh)
        overlay = None
        if photo is not None and camera is not None:
            overlay = self._overlay(photo, [(mesh, camera)])
        elif photo is not None and person is not None and scene is not None:
            overlay = self._person_overlay(mesh, photo, person, scene)
        rendered = self.renderer.render_views(mesh.vertices, mesh.faces, views=self.views) if views else None
        shown = overlay if overlay is not None else (photo.rgb if photo is not None else None)
        if rendered is None:
            picture = shown
        else:
            picture = beside(shown, rendered) if shown is not None else rendered
        return Drawing(mesh, rendered, overlay, picture)

    def _person_overlay(self, mesh: Mesh, photo: Photo, person: int, scene: SceneReading) -> np.ndarray | None:
        people = scene.people
        if not 0 <= person < len(people) or photo.size != tuple(scene.image_size):
            return None
        chosen = people[person]
        others = [p.landmarks.box for p in people if p is not chosen]
        return self._overlay(photo, [(mesh, chosen.camera)], highlight=[chosen.landmarks.box], others=others)

    def _overlay(self, photo: Photo, bodies: Sequence[tuple[Mesh, "Camera"]], **boxes: Sequence[Box]) -> np.ndarray | None:
        assert self.renderer is not None
        try:
            return overlay_bodies(self.renderer, photo.rgb, bodies, **boxes)
        except (ValueError, RuntimeError):
            return None  # e.g. a camera the fit could not place: the views still stand

    def export(
        self,
        pose: Pose,
        folder: str | Path,
        stem: str,
        photo: Photo | None = None,
        person: int | None = None,
        scene: SceneReading | None = None,
        formats: Sequence[str] = FORMATS,
    ) -> PoseFiles:
        """Write `<stem>.<format>` files into `folder` (and `<stem>_overlay.png` when the pose is
        drawn over its person of `photo`; see `draw`). The pose file is always written; a body
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
            if "png" in formats:
                drawing = self.draw(pose, photo, person, scene)
                mesh = drawing.mesh
                if drawing.overlay is not None:
                    written["overlay"] = folder / f"{stem}_overlay.png"
                    Image.fromarray(drawing.overlay).save(written["overlay"])
                if drawing.views is not None:
                    written["picture"] = folder / f"{stem}.png"
                    Image.fromarray(drawing.picture).save(written["picture"])
            else:
                mesh = self.mesh(pose)
            if "glb" in formats:
                written["glb"] = export_glb(mesh.vertices, mesh.faces, folder / f"{stem}.glb")
            if "obj" in formats:
                written["obj"] = export_obj(mesh.vertices, mesh.faces, folder / f"{stem}.obj")
        except (BodyModelError, PoseError, OSError, RuntimeError, ValueError) as error:
            return PoseFiles(npz=npz, error=f"the body could not be made or drawn ({error})", **written)
        return PoseFiles(npz=npz, **written)
