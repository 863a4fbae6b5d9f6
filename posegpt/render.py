"""Offscreen mesh rendering: PNG-ready images of a body mesh, overlays on photos, .glb/.obj files.

Two backends draw the same picture:
- "gl": moderngl on a standalone EGL context (Mesa llvmpipe on CPU, or a GPU driver). EGL
  contexts break when used from several threads, and web apps call us from worker threads,
  so one daemon thread owns the context and runs every GL call; callers queue jobs to it.
- "software": `posegpt.software_raster`, pure NumPy, used when no EGL/Mesa is installed.
The shading formula lives here once, as GLSL for "gl" and as NumPy for "software".

Frame: SMPL's body frame in metres, +y up, the body faces +z, the person's left on +x.
Views ("front", "side", "back", "top") use a narrow-angle perspective camera that looks at
`center` from far enough that a square of side `extent` metres around it fills the image.
"""

from __future__ import annotations

import concurrent.futures
import logging
import math
import os
import queue
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from posegpt import software_raster

logger = logging.getLogger(__name__)

BACKEND_ENV_VAR = "POSEGPT_RENDER_BACKEND"
VIEWS = ("front", "side", "back", "top")
DEFAULT_COLOR = (172, 186, 204)  # sRGB, matte light blue-grey clay
FIELD_OF_VIEW_DEGREES = 18.0  # of the image's shorter side: natural, yet nearly orthographic
FRAMING_MARGIN = 1.15  # default extent = 1.15 x the bounding box's largest side
GL_SAMPLES = 4  # MSAA samples of the GL backend
SOFTWARE_SUPERSAMPLE = 2  # the software backend renders 2x larger and averages (antialiasing)

# Where each view's camera sits, seen from `center`, and which world direction is image-up.
# "side" looks at the person's left side (camera on +x), so their front (+z) is on the left.
# "top" looks down from +y with the person's back (-z) at the top of the image and +x on the right.
_VIEW_DIRECTIONS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "front": ((0.0, 0.0, 1.0), (0.0, 1.0, 0.0)),
    "side": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "back": ((0.0, 0.0, -1.0), (0.0, 1.0, 0.0)),
    "top": ((0.0, 1.0, 0.0), (0.0, 0.0, -1.0)),
}

# Lights in camera space (x right, y up, z towards the viewer), fixed to the camera so every view
# is lit alike: a key light from the upper right, a fill from the left, a rim light from behind.
_LIGHT_DIRECTIONS = np.array(
    [[0.55, 0.55, 0.62], [-0.8, 0.1, 0.45], [-0.2, 0.6, -0.8]], dtype=np.float32
)
_LIGHT_DIRECTIONS /= np.linalg.norm(_LIGHT_DIRECTIONS, axis=1, keepdims=True)  # (3, 3) unit
_LIGHT_INTENSITIES = np.array([0.95, 0.25, 0.40], dtype=np.float32)  # (3,)
_WRAP = 0.15  # wrapped Lambert: light bleeds a little past the terminator, a soft clay look
_SKY_AMBIENT, _GROUND_AMBIENT = 0.20, 0.07  # hemisphere ambient: up-facing surfaces a bit lighter


# ----------------------------------------------------------------------------------------------
# Camera for overlays


@dataclass(frozen=True)
class Camera:
    """Weak-perspective image placement of a body-frame mesh, in pixels.

    Point (x, y, z) lands at u = scale * x + tx, v = -scale * y + ty (v grows downward);
    integer (u, v) is the centre of pixel column u, row v (OpenCV's convention).
    """

    scale: float
    tx: float
    ty: float

    def __post_init__(self) -> None:
        values = (self.scale, self.tx, self.ty)
        try:
            numbers = tuple(float(value) for value in values)
        except (TypeError, ValueError):
            raise ValueError(f"Camera values must be numbers, got {values}") from None
        if not all(math.isfinite(number) for number in numbers):
            raise ValueError(f"Camera values must be finite numbers, got {values}")
        for name, number in zip(("scale", "tx", "ty"), numbers):
            object.__setattr__(self, name, number)  # plain floats, even from NumPy scalars
        if self.scale <= 0:
            raise ValueError(f"Camera scale must be positive, got {self.scale}")

    @classmethod
    def parse(cls, text: str) -> "Camera":
        """Read "scale,tx,ty" (e.g. from a command line) into a Camera."""
        parts = [part.strip() for part in str(text).split(",")]
        if len(parts) != 3:
            raise ValueError(f'Camera must be "scale,tx,ty" (three numbers), got {text!r}')
        try:
            scale, tx, ty = (float(part) for part in parts)
        except ValueError:
            raise ValueError(f'Camera must be "scale,tx,ty" (three numbers), got {text!r}') from None
        return cls(scale, tx, ty)


# ----------------------------------------------------------------------------------------------
# Public API


class Renderer:
    """Renders meshes to (H, W, 3) uint8 images; safe to call from any number of threads.

    backend: "auto" (GL if an EGL context can be made, else software; the environment variable
    POSEGPT_RENDER_BACKEND may override it), "gl" (error if unavailable) or "software".
    """

    def __init__(self, width: int = 512, height: int = 512, backend: str = "auto") -> None:
        if int(width) <= 0 or int(height) <= 0:
            raise ValueError(f"image size must be positive, got {width}x{height}")
        self.width, self.height = int(width), int(height)
        requested = backend
        if backend == "auto":
            requested = os.environ.get(BACKEND_ENV_VAR, "").strip().lower() or "auto"
        if requested not in ("auto", "gl", "software"):
            raise ValueError(f'backend must be "auto", "gl" or "software", got {requested!r}')

        self._gl_worker: _GLWorker | None = None
        self._closed = False
        self.backend = "software"
        if requested in ("auto", "gl"):
            try:
                self._gl_worker = _GLWorker()
                self.backend = f"gl (EGL, {self._gl_worker.device_name})"
            except Exception as error:  # noqa: BLE001 - any failure to get GL means "no GL"
                if requested == "gl":
                    raise RuntimeError(f"OpenGL (EGL) rendering is unavailable: {error}") from error
                _warn_software_fallback(error)
        # Stop the GL thread when the renderer is dropped; the worker never refers back to us.
        self._finalizer = weakref.finalize(self, _GLWorker.stop, self._gl_worker) if self._gl_worker else None

    # -- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        """Release the GL context and stop its thread (software renderers hold nothing)."""
        self._closed = True
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self) -> "Renderer":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Renderer({self.width}x{self.height}, backend={self.backend!r})"

    # -- rendering -----------------------------------------------------------------------------

    def render(
        self,
        vertices: np.ndarray,
        faces: np.ndarray,
        view: str = "front",
        *,
        center: Sequence[float] | None = None,
        extent: float | None = None,
        color: Sequence[float] | None = None,
        background: Sequence[float] = (255, 255, 255),
    ) -> np.ndarray:
        """Shaded picture (H, W, 3) uint8 of the mesh from one named view.

        Pass `center` (3,) and `extent` (metres) to fix the framing, so that several poses
        rendered alike can be compared; by default they frame this mesh's bounding box.
        `color` and `background` are RGB triples in 0..255 (color defaults to a light clay);
        `color` may also be one RGB triple per vertex, (V, 3), e.g. to paint clothes.
        """
        vertices, faces = _check_mesh(vertices, faces)
        center, extent = _framing(vertices, center, extent)
        background_rgb = _check_rgb(background, "background")
        mvp, view_rotation = _perspective_view(view, center, extent, vertices, self.width, self.height)
        return self._draw(vertices, faces, mvp, view_rotation, self.width, self.height, color, background_rgb)

    def render_views(
        self,
        vertices: np.ndarray,
        faces: np.ndarray,
        views: Sequence[str] = ("front", "side"),
        **kwargs,
    ) -> np.ndarray:
        """Views side by side (H, W * len(views), 3), all with the same framing, for comparison."""
        vertices, faces = _check_mesh(vertices, faces)
        if isinstance(views, str) or len(views) == 0:
            raise ValueError(f"views must be a non-empty sequence of view names, got {views!r}")
        center, extent = _framing(vertices, kwargs.pop("center", None), kwargs.pop("extent", None))
        framing = {"center": center, "extent": extent}
        images = [self.render(vertices, faces, view, **framing, **kwargs) for view in views]
        return np.concatenate(images, axis=1)

    def overlay(
        self,
        vertices: np.ndarray,
        faces: np.ndarray,
        image: np.ndarray,
        camera: Camera,
        alpha: float = 0.85,
        color: Sequence[float] | None = None,
    ) -> np.ndarray:
        """The photo (H, W, 3) uint8 with the shaded mesh blended over it where the mesh covers it.

        The mesh is projected orthographically by the weak-perspective `camera` (seen from the
        front, +z); pixels the mesh does not cover are returned unchanged. `color`: as in `render`.
        """
        vertices, faces = _check_mesh(vertices, faces)
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or 0 in image.shape[:2]:
            raise ValueError(f"image must be an (H, W, 3) uint8 array, got {image.dtype} {image.shape}")
        if not isinstance(camera, Camera):
            raise ValueError(f"camera must be a Camera, got {type(camera).__name__}")
        if not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
        height, width = image.shape[:2]
        mvp = _weak_perspective_matrix(camera, vertices, width, height)
        rgba = self._draw(vertices, faces, mvp, np.eye(3), width, height, color, background=None)
        return _composite_over_image(rgba, image, float(alpha))

    # -- backends ------------------------------------------------------------------------------

    def _draw(self, vertices, faces, mvp, view_rotation, width, height, color, background) -> np.ndarray:
        """The mesh over a flat `background` (H, W, 3) uint8, or with background None, premultiplied
        RGBA (H, W, 4) uint8 on transparent black whose alpha is the mesh's pixel coverage."""
        if self._closed:
            raise RuntimeError("this Renderer is closed")
        albedo = _srgb_to_linear(_check_colors(color if color is not None else DEFAULT_COLOR, len(vertices)))
        normals = vertex_normals(vertices, faces)  # (V, 3)
        if self._gl_worker is not None:
            job = _GLJob(vertices, normals, faces, mvp, view_rotation, width, height, albedo, background)
            return self._gl_worker.run(job)
        return _software_draw(vertices, normals, faces, mvp, view_rotation, width, height, albedo, background)


def export_glb(vertices: np.ndarray, faces: np.ndarray, path: str | os.PathLike, color=None) -> Path:
    """Write a binary glTF (.glb, Y-up like our frame) with smooth normals, for 3D viewers."""
    path = Path(path)
    path.write_bytes(mesh_to_glb_bytes(vertices, faces, color))
    return path


def mesh_to_glb_bytes(vertices: np.ndarray, faces: np.ndarray, color=None) -> bytes:
    """The .glb file's bytes, for callers that stream or keep it in memory."""
    import trimesh  # deferred: only the exporters need it

    vertices, faces = _check_mesh(vertices, faces)
    rgb = _check_rgb(color if color is not None else DEFAULT_COLOR, "color")
    material = trimesh.visual.material.PBRMaterial(
        baseColorFactor=[*(int(round(c)) for c in rgb), 255], metallicFactor=0.0, roughnessFactor=0.9
    )
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    mesh.visual = trimesh.visual.TextureVisuals(material=material)
    # Without normals glTF viewers shade flat (faceted); ours match the renders' smooth shading.
    mesh.vertex_normals = vertex_normals(vertices, faces)
    return trimesh.exchange.gltf.export_glb(trimesh.Scene(mesh), include_normals=True)


def export_obj(vertices: np.ndarray, faces: np.ndarray, path: str | os.PathLike) -> Path:
    """Write a Wavefront .obj (vertices, normals, faces), the lowest common denominator."""
    import trimesh

    vertices, faces = _check_mesh(vertices, faces)
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    mesh.vertex_normals = vertex_normals(vertices, faces)
    path = Path(path)
    path.write_text(trimesh.exchange.obj.export_obj(mesh, include_normals=True))
    return path


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals (V, 3) float32 (zero-area neighbourhoods get +z)."""
    corners = vertices[faces]  # (F, 3, 3)
    # (F, 3), length = twice the face's area, so bigger faces weigh more
    face_normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    flat_faces = faces.reshape(-1)  # (3F,)
    per_corner = np.repeat(face_normals, 3, axis=0)  # (3F, 3)
    normals = np.stack(
        [np.bincount(flat_faces, per_corner[:, k], minlength=len(vertices)) for k in range(3)], axis=1
    )  # (V, 3)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.where(length > 1e-20, normals / np.maximum(length, 1e-20), [0.0, 0.0, 1.0])
    return normals.astype(np.float32)


# ----------------------------------------------------------------------------------------------
# Input checks


def _check_mesh(vertices, faces) -> tuple[np.ndarray, np.ndarray]:
    """Validated copies: vertices (V, 3) float32 finite, faces (F, 3) int64 in range, F > 0.

    Torch tensors are accepted too (detached and moved to the CPU here).
    """
    vertices = _to_numpy(vertices)
    faces = _to_numpy(faces)
    if vertices.ndim != 2 or vertices.shape[1] != 3 or len(vertices) == 0:
        raise ValueError(f"vertices must have shape (V, 3) with V > 0, got {vertices.shape}")
    if not np.issubdtype(vertices.dtype, np.number):
        raise ValueError(f"vertices must be numbers, got dtype {vertices.dtype}")
    vertices = vertices.astype(np.float32)
    if not np.isfinite(vertices).all():
        raise ValueError("vertices contain NaN or infinite values")
    if faces.ndim != 2 or faces.shape[1] != 3 or len(faces) == 0:
        raise ValueError(f"faces must have shape (F, 3) with F > 0, got {faces.shape}")
    if not np.issubdtype(faces.dtype, np.integer):
        raise ValueError(f"faces must hold integer vertex indices, got dtype {faces.dtype}")
    faces = faces.astype(np.int64)
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise ValueError(
            f"faces index vertices out of range [0, {len(vertices)}): {faces.min()}..{faces.max()}"
        )
    return vertices, faces


def _to_numpy(array) -> np.ndarray:
    if hasattr(array, "detach"):  # a torch.Tensor, without importing torch
        array = array.detach().cpu().numpy()
    return np.asarray(array)


def _check_rgb(color, name: str) -> np.ndarray:
    """An RGB triple in 0..255 as float32 (3,)."""
    try:
        rgb = np.asarray(color, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        rgb = np.zeros(0)
    if rgb.shape != (3,) or not np.isfinite(rgb).all() or rgb.min() < 0 or rgb.max() > 255:
        raise ValueError(f"{name} must be three numbers in 0..255 (RGB), got {color!r}")
    return rgb.astype(np.float32)


def _check_colors(color, num_vertices: int) -> np.ndarray:
    """One RGB triple (3,) or one per vertex (V, 3), in 0..255, as float32."""
    try:
        array = np.asarray(color, dtype=np.float32)
    except (TypeError, ValueError):
        array = None
    if array is None or array.ndim != 2:
        return _check_rgb(color, "color")
    if array.shape != (num_vertices, 3):
        raise ValueError(f"per-vertex colors must be a ({num_vertices}, 3) array, got shape {array.shape}")
    if not np.isfinite(array).all() or array.min() < 0 or array.max() > 255:
        raise ValueError("per-vertex colors must be finite numbers in 0..255 (RGB)")
    return array


def _framing(vertices: np.ndarray, center, extent) -> tuple[np.ndarray, float]:
    """(center (3,), extent): given values, else the bounding box's centre and 1.15 x its largest side."""
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    if center is None:
        center = (low + high) / 2
    center = np.asarray(center, dtype=np.float64).reshape(-1)
    if center.shape != (3,) or not np.isfinite(center).all():
        raise ValueError(f"center must be three finite numbers, got {center!r}")
    if extent is None:
        extent = FRAMING_MARGIN * float((high - low).max())
        extent = extent if extent > 0 else 1.0  # a single point or a flat dot: any size will do
    extent = float(extent)
    if not math.isfinite(extent) or extent <= 0:
        raise ValueError(f"extent must be a positive number of metres, got {extent!r}")
    return center, extent


# ----------------------------------------------------------------------------------------------
# Cameras as matrices (column vectors: clip = mvp @ [x, y, z, 1])


def _perspective_view(view: str, center, extent: float, vertices, width: int, height: int):
    """(mvp (4, 4), view rotation (3, 3)) of a named view framing `extent` metres around `center`."""
    if view not in _VIEW_DIRECTIONS:
        raise ValueError(f"view must be one of {VIEWS}, got {view!r}")
    towards_eye, up_hint = (np.array(v) for v in _VIEW_DIRECTIONS[view])
    half_angle = math.radians(FIELD_OF_VIEW_DEGREES) / 2
    distance = (extent / 2) / math.tan(half_angle)
    eye = center + towards_eye * distance
    forward = -towards_eye
    right = np.cross(forward, up_hint)
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    rotation = np.stack([right, up, -forward])  # (3, 3) world → camera (camera looks down -z)
    view_matrix = np.eye(4)
    view_matrix[:3, :3] = rotation
    view_matrix[:3, 3] = -rotation @ eye

    # Near/far planes hug the mesh so the depth buffer keeps its precision at any scale.
    radius = float(np.linalg.norm(vertices - center, axis=1).max()) * 1.01 + 1e-6
    near = max(distance - radius, distance * 1e-3)
    far = distance + radius
    focal = 1.0 / math.tan(half_angle)  # of the shorter image side
    shorter = min(width, height)
    projection = np.zeros((4, 4))
    projection[0, 0] = focal * shorter / width
    projection[1, 1] = focal * shorter / height
    projection[2, 2] = (far + near) / (near - far)
    projection[2, 3] = 2 * far * near / (near - far)
    projection[3, 2] = -1.0
    return projection @ view_matrix, rotation


def _weak_perspective_matrix(camera: Camera, vertices, width: int, height: int) -> np.ndarray:
    """Orthographic mvp (4, 4) putting (x, y, z) at pixel (scale x + tx, -scale y + ty)."""
    z_low, z_high = float(vertices[:, 2].min()), float(vertices[:, 2].max())
    z_middle = (z_low + z_high) / 2
    z_half = (z_high - z_low) / 2 * 1.01 + 1e-6
    matrix = np.zeros((4, 4))
    # Window x = (ndc_x + 1) W / 2 must equal u + 0.5 (pixel centres at integers + 0.5 in GL).
    matrix[0, 0] = 2 * camera.scale / width
    matrix[0, 3] = 2 * (camera.tx + 0.5) / width - 1
    matrix[1, 1] = 2 * camera.scale / height
    matrix[1, 3] = 1 - 2 * (camera.ty + 0.5) / height
    matrix[2, 2] = -1 / z_half  # larger z is nearer the viewer: smaller depth
    matrix[2, 3] = z_middle / z_half
    matrix[3, 3] = 1.0
    return matrix


# ----------------------------------------------------------------------------------------------
# Shading: one formula, written twice (NumPy here, GLSL below), from the same constants


def _srgb_to_linear(rgb255: np.ndarray) -> np.ndarray:
    return (rgb255 / 255.0) ** 2.2


def _shade(normals_camera: np.ndarray, albedo_linear: np.ndarray) -> np.ndarray:
    """sRGB colours (N, 3) in 0..1 of surface points with unit camera-space normals (N, 3);
    albedo (3,) for all points or (N, 3) per point, linear RGB."""
    wrapped = (normals_camera @ _LIGHT_DIRECTIONS.T + _WRAP) / (1 + _WRAP)  # (N, lights)
    diffuse = np.clip(wrapped, 0.0, None) @ _LIGHT_INTENSITIES  # (N,)
    sky = 0.5 + 0.5 * normals_camera[:, 1]
    ambient = _GROUND_AMBIENT + (_SKY_AMBIENT - _GROUND_AMBIENT) * sky  # (N,)
    linear = albedo_linear * (ambient + diffuse)[:, None]  # (N, 3)
    return np.clip(linear, 0.0, 1.0) ** (1 / 2.2)


def _software_draw(
    vertices, normals, faces, mvp, view_rotation, width, height, albedo, background
) -> np.ndarray:
    """`Renderer._draw` with the NumPy rasteriser, supersampled for antialiasing."""
    factor = SOFTWARE_SUPERSAMPLE
    clip = np.c_[vertices.astype(np.float64), np.ones(len(vertices))] @ mvp.T  # (V, 4)
    fragments = software_raster.rasterize(clip, faces, width * factor, height * factor)
    rows, columns = np.nonzero(fragments.covered)
    corner_ids = faces[fragments.face_index[rows, columns]]  # (P, 3)
    weights = fragments.barycentric[rows, columns]  # (P, 3)
    normal = np.einsum("pk,pkc->pc", weights, normals[corner_ids])  # (P, 3) world space
    normal = normal @ np.asarray(view_rotation, dtype=np.float32).T  # camera space
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    normal[~fragments.front_facing[rows, columns]] *= -1  # the back of a face shows its other side
    big = np.zeros((height * factor, width * factor, 4), dtype=np.float32)
    if albedo.ndim == 2:  # per-vertex albedo, interpolated like GL interpolates it
        albedo = np.einsum("pk,pkc->pc", weights, albedo[corner_ids])  # (P, 3)
    big[rows, columns, :3] = _shade(normal, albedo)
    big[rows, columns, 3] = 1.0
    small = big.reshape(height, factor, width, factor, 4).mean(axis=(1, 3))  # box filter: coverage
    if background is None:
        return np.round(small * 255).astype(np.uint8)
    over_background = small[..., :3] * 255 + (1 - small[..., 3:]) * background  # (H, W, 3)
    return np.round(over_background).astype(np.uint8)


def _composite_over_image(rgba: np.ndarray, image: np.ndarray, alpha: float) -> np.ndarray:
    """(H, W, 3) uint8: the mesh at opacity `alpha` over the photo; uncovered pixels untouched."""
    result = image.copy()
    covered = rgba[..., 3] > 0  # (H, W)
    mesh = rgba[covered].astype(np.float32) / 255  # (P, 4) premultiplied
    photo = image[covered].astype(np.float32)  # (P, 3)
    blended = photo * (1 - alpha * mesh[:, 3:4]) + 255 * alpha * mesh[:, :3]
    result[covered] = np.clip(np.round(blended), 0, 255).astype(np.uint8)
    return result


# ----------------------------------------------------------------------------------------------
# GL backend: one daemon thread owns the EGL context; jobs arrive on a queue


def _vec3(values) -> str:
    return "vec3({:.6f}, {:.6f}, {:.6f})".format(*values)


_VERTEX_SHADER = """
#version 330
uniform mat4 mvp;
uniform mat3 view_rotation;
in vec3 in_position;
in vec3 in_normal;
in vec3 in_albedo;  // linear RGB
out vec3 v_normal;
out vec3 v_albedo;
void main() {
    gl_Position = mvp * vec4(in_position, 1.0);
    v_normal = view_rotation * in_normal;
    v_albedo = in_albedo;
}
"""

_FRAGMENT_SHADER = f"""
#version 330
in vec3 v_normal;
in vec3 v_albedo;
out vec4 f_color;
const vec3 light_direction[3] = vec3[3]({", ".join(_vec3(d) for d in _LIGHT_DIRECTIONS)});
const float light_intensity[3] = float[3]({", ".join(f"{i:.6f}" for i in _LIGHT_INTENSITIES)});
void main() {{
    float len_n = length(v_normal);
    vec3 n = len_n > 1e-12 ? v_normal / len_n : vec3(0.0, 0.0, 1.0);
    if (!gl_FrontFacing) n = -n;  // the back of a face shows its other side
    float diffuse = 0.0;
    for (int k = 0; k < 3; ++k)
        diffuse += light_intensity[k]
                   * max((dot(n, light_direction[k]) + {_WRAP:.6f}) / {1 + _WRAP:.6f}, 0.0);
    float sky = 0.5 + 0.5 * n.y;
    float ambient = {_GROUND_AMBIENT:.6f} + {_SKY_AMBIENT - _GROUND_AMBIENT:.6f} * sky;
    vec3 linear_rgb = clamp(v_albedo * (ambient + diffuse), 0.0, 1.0);
    f_color = vec4(pow(linear_rgb, vec3(1.0 / 2.2)), 1.0);
}}
"""


@dataclass
class _GLJob:
    vertices: np.ndarray  # (V, 3) float32
    normals: np.ndarray  # (V, 3) float32
    faces: np.ndarray  # (F, 3) int64
    mvp: np.ndarray  # (4, 4)
    view_rotation: np.ndarray  # (3, 3)
    width: int
    height: int
    albedo: np.ndarray  # (3,) or (V, 3) linear RGB
    background: np.ndarray | None  # (3,) sRGB 0..255, or None for a transparent background


def _create_gl_context():
    """A standalone moderngl context on EGL (headless); raises if EGL/Mesa is missing."""
    import moderngl

    return moderngl.create_standalone_context(backend="egl")


def _warn_software_fallback(error: Exception) -> None:
    global _fallback_warned
    if not _fallback_warned:
        _fallback_warned = True
        logger.warning(
            "OpenGL (EGL) rendering unavailable (%s); using the slower NumPy software renderer. "
            "Install Mesa's EGL (Debian: libegl1 libgl1-mesa-dri) for faster rendering.", error
        )


_fallback_warned = False
_CONTEXT_START_TIMEOUT_S = 60.0
_MAX_CACHED_TARGETS = 3  # framebuffer sizes kept (renders plus a few photo sizes)


class _GLWorker:
    """A daemon thread that owns a moderngl context and runs render jobs in arrival order."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        started: concurrent.futures.Future = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._loop, args=(started,), name="posegpt-gl", daemon=True)
        self._thread.start()
        try:
            self.device_name = started.result(timeout=_CONTEXT_START_TIMEOUT_S)
        except concurrent.futures.TimeoutError:
            self._jobs.put(None)
            raise RuntimeError(f"EGL context creation took over {_CONTEXT_START_TIMEOUT_S:.0f} s") from None

    def run(self, job: _GLJob) -> np.ndarray:
        """Queue the job, wait for the GL thread, return its premultiplied RGBA (H, W, 4) uint8."""
        if not self._thread.is_alive():
            raise RuntimeError("the GL render thread has stopped")
        result: concurrent.futures.Future = concurrent.futures.Future()
        self._jobs.put((job, result))
        while True:  # wait, but never forever on a thread that ended before taking the job
            try:
                return result.result(timeout=1.0)
            except concurrent.futures.TimeoutError:
                if not self._thread.is_alive() and not result.done():
                    raise RuntimeError("the GL render thread has stopped") from None

    def stop(self) -> None:
        """Ask the thread to release the context and end; waits briefly for it."""
        if self._thread.is_alive():
            self._jobs.put(None)
            if threading.current_thread() is not self._thread:
                self._thread.join(timeout=5)

    def _loop(self, started: concurrent.futures.Future) -> None:
        try:
            state = _GLState(_create_gl_context())
        except BaseException as error:  # noqa: BLE001 - reported to the constructor
            started.set_exception(error)
            return
        started.set_result(state.device_name)
        try:
            while (item := self._jobs.get()) is not None:
                job, result = item
                try:
                    result.set_result(state.draw(job))
                except BaseException as error:  # noqa: BLE001 - handed to the waiting caller
                    result.set_exception(error)
        finally:
            state.release()
            while True:  # fail whatever arrived after the stop request instead of hanging it
                try:
                    item = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[1].set_exception(RuntimeError("the Renderer was closed"))


class _GLState:
    """Everything that lives on the GL thread: context, program, framebuffers, buffers."""

    def __init__(self, ctx) -> None:
        import moderngl

        self.ctx = ctx
        renderer = ctx.info.get("GL_RENDERER", "unknown")
        self.device_name = renderer.split(" (")[0].split("/")[0].strip() or renderer
        self.program = ctx.program(vertex_shader=_VERTEX_SHADER, fragment_shader=_FRAGMENT_SHADER)
        self.samples = min(GL_SAMPLES, ctx.max_samples)
        self.targets: dict[tuple[int, int], tuple] = {}  # (w, h) → (msaa fbo, resolved fbo)
        self.vertex_buffer = None
        self.index_buffer = None
        self.vertex_array = None
        ctx.enable(moderngl.DEPTH_TEST)
        ctx.disable(moderngl.CULL_FACE)

    def draw(self, job: _GLJob) -> np.ndarray:
        ctx = self.ctx
        drawing, resolved = self._target(job.width, job.height)
        albedo = np.broadcast_to(job.albedo, job.vertices.shape)  # (V, 3)
        self._upload(np.hstack([job.vertices, job.normals, albedo]).astype(np.float32), job.faces.astype(np.uint32))
        self.program["mvp"].write(np.asarray(job.mvp, dtype=np.float32).T.tobytes())  # column-major
        self.program["view_rotation"].write(np.asarray(job.view_rotation, dtype=np.float32).T.tobytes())
        # Clearing to (background, alpha 0) and drawing opaque fragments makes the MSAA resolve
        # give both answers at once: colour = mesh over background, alpha = coverage.
        background = np.zeros(3) if job.background is None else np.asarray(job.background) / 255
        drawing.use()
        drawing.clear(*(float(c) for c in background), 0.0, depth=1.0)
        self.vertex_array.render(vertices=job.faces.size)
        if resolved is not drawing:
            ctx.copy_framebuffer(resolved, drawing)
        channels = 4 if job.background is None else 3
        pixels = resolved.read(components=channels, alignment=1)
        image = np.frombuffer(pixels, dtype=np.uint8).reshape(job.height, job.width, channels)
        return image[::-1].copy()  # GL rows start at the bottom

    def _target(self, width: int, height: int):
        key = (width, height)
        if key not in self.targets:
            if len(self.targets) >= _MAX_CACHED_TARGETS:
                for fbo in self.targets.pop(next(iter(self.targets))):
                    for attachment in {*fbo.color_attachments, fbo.depth_attachment}:
                        attachment.release()
                    fbo.release()
            ctx = self.ctx
            resolved = ctx.framebuffer(ctx.renderbuffer(key, 4), ctx.depth_renderbuffer(key))
            if self.samples > 1:
                drawing = ctx.framebuffer(
                    ctx.renderbuffer(key, 4, samples=self.samples),
                    ctx.depth_renderbuffer(key, samples=self.samples),
                )
            else:
                drawing = resolved
            self.targets[key] = (drawing, resolved) if drawing is not resolved else (resolved,)
        fbos = self.targets[key]
        return (fbos[0], fbos[1]) if len(fbos) == 2 else (fbos[0], fbos[0])

    def _upload(self, interleaved: np.ndarray, indices: np.ndarray) -> None:
        """Write this mesh into the reusable buffers, growing them (and the VAO) when too small."""
        ctx = self.ctx
        grown = False
        if self.vertex_buffer is None or self.vertex_buffer.size < interleaved.nbytes:
            if self.vertex_buffer is not None:
                self.vertex_buffer.release()
            self.vertex_buffer = ctx.buffer(reserve=max(interleaved.nbytes, 1 << 16), dynamic=True)
            grown = True
        if self.index_buffer is None or self.index_buffer.size < indices.nbytes:
            if self.index_buffer is not None:
                self.index_buffer.release()
            self.index_buffer = ctx.buffer(reserve=max(indices.nbytes, 1 << 16), dynamic=True)
            grown = True
        self.vertex_buffer.write(interleaved.tobytes())
        self.index_buffer.write(indices.tobytes())
        if grown or self.vertex_array is None:
            if self.vertex_array is not None:
                self.vertex_array.release()
            self.vertex_array = ctx.vertex_array(
                self.program,
                [(self.vertex_buffer, "3f 3f 3f", "in_position", "in_normal", "in_albedo")],
                index_buffer=self.index_buffer,
                index_element_size=4,
            )

    def release(self) -> None:
        self.ctx.release()


__all__ = [
    "BACKEND_ENV_VAR",
    "Camera",
    "DEFAULT_COLOR",
    "Renderer",
    "VIEWS",
    "export_glb",
    "export_obj",
    "mesh_to_glb_bytes",
    "vertex_normals",
]
