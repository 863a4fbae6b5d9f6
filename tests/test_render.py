"""Tests of posegpt.render (both backends) and posegpt.software_raster, on small synthetic meshes."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import trimesh

from posegpt import render
from posegpt.render import Camera, Renderer, export_glb, export_obj, mesh_to_glb_bytes, vertex_normals
from posegpt.software_raster import rasterize

SIZE = 128
EXTENT = 2.0  # metres visible across the image in the fixed framing used below
WHITE = np.array([255, 255, 255], dtype=np.uint8)


def _box(extents, center) -> trimesh.Trimesh:
    box = trimesh.creation.box(extents=extents)
    box.apply_translation(center)
    return box


def figure_mesh() -> tuple[np.ndarray, np.ndarray]:
    """A blocky "person" centred at the origin: a trunk, an arm out to the left (+x) and a nose
    pointing forward (+z), so every view has a known left/right/up asymmetry."""
    trunk = _box([0.4, 1.6, 0.3], [0.0, 0.0, 0.0])
    left_arm = _box([0.5, 0.12, 0.12], [0.45, 0.5, 0.0])  # x from 0.2 to 0.7
    nose = _box([0.12, 0.12, 0.45], [0.0, 0.6, 0.35])  # z from 0.125 to 0.575
    mesh = trimesh.util.concatenate([trunk, left_arm, nose])
    return np.asarray(mesh.vertices, dtype=np.float32), np.asarray(mesh.faces, dtype=np.int64)


def sphere_mesh(radius: float = 0.4, center=(0.0, 0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=radius)
    sphere.apply_translation(center)
    return np.asarray(sphere.vertices, dtype=np.float32), np.asarray(sphere.faces, dtype=np.int64)


def _gl_available() -> tuple[bool, str]:
    try:
        Renderer(16, 16, backend="gl").close()
        return True, ""
    except RuntimeError as error:
        return False, str(error)


GL_AVAILABLE, GL_UNAVAILABLE_REASON = _gl_available()
BACKENDS = [
    "software",
    pytest.param(
        "gl", marks=pytest.mark.skipif(not GL_AVAILABLE, reason=f"no OpenGL: {GL_UNAVAILABLE_REASON}")
    ),
]


@pytest.fixture(scope="module", params=BACKENDS)
def renderer(request):
    with Renderer(SIZE, SIZE, backend=request.param) as instance:
        yield instance


def mask_of(image: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels that are not the white background."""
    return (image != WHITE).any(axis=-1)


def pixel_of(x: float, y: float) -> tuple[int, int]:
    """(row, column) where image-plane point (x right, y up) lands in the fixed framing (to ~1 px)."""
    return int(SIZE / 2 - y * SIZE / EXTENT), int(SIZE / 2 + x * SIZE / EXTENT)


def covered_near(mask: np.ndarray, x: float, y: float, radius: int = 1) -> bool:
    row, column = pixel_of(x, y)
    return bool(mask[row - radius : row + radius + 1, column - radius : column + radius + 1].all())


def empty_near(mask: np.ndarray, x: float, y: float, radius: int = 2) -> bool:
    row, column = pixel_of(x, y)
    return not mask[row - radius : row + radius + 1, column - radius : column + radius + 1].any()


# ----------------------------------------------------------------------------------------------
# Views and framing


@pytest.mark.parametrize(
    "view, arm_at, nose_at",
    [
        # image-plane (x right, y up) of the arm's middle (x=0.5, y=0.5) and the nose tip region
        ("front", (0.5, 0.5), None),  # the person's left (+x) on the image's right
        ("back", (-0.5, 0.5), None),  # seen from behind: their left on the image's left
        ("side", None, (-0.45, 0.6)),  # camera on +x: the face (+z) points to the image's left
        ("top", (0.5, 0.0), (0.0, -0.45)),  # from above, back at the top: the face points down
    ],
)
def test_each_view_draws_the_mesh_where_expected(renderer, view, arm_at, nose_at):
    vertices, faces = figure_mesh()
    image = renderer.render(vertices, faces, view, center=(0, 0, 0), extent=EXTENT)
    assert image.shape == (SIZE, SIZE, 3) and image.dtype == np.uint8
    mask = mask_of(image)
    assert covered_near(mask, 0.0, 0.0), "the trunk should cover the image centre"
    if arm_at is not None:
        assert covered_near(mask, *arm_at)
        assert empty_near(mask, -arm_at[0], arm_at[1]), "the arm must appear on one side only"
    if nose_at is not None:
        assert covered_near(mask, *nose_at)
        mirrored = (-nose_at[0], nose_at[1]) if view == "side" else (nose_at[0], -nose_at[1])
        assert empty_near(mask, *mirrored), "the nose must point one way only"
    if view in ("front", "back", "side"):  # +y is up: the trunk's top (y=0.8) is near the top row
        rows = np.nonzero(mask.any(axis=1))[0]
        assert abs(rows.min() - pixel_of(0, 0.8)[0]) <= 3 and abs(rows.max() - pixel_of(0, -0.8)[0]) <= 3


def test_default_framing_fits_the_mesh_with_a_margin(renderer):
    vertices, faces = figure_mesh()
    mask = mask_of(renderer.render(vertices, faces))
    rows, columns = np.nonzero(mask)
    assert rows.min() > 0 and columns.min() > 0 and rows.max() < SIZE - 1 and columns.max() < SIZE - 1
    assert rows.max() - rows.min() > 0.8 * SIZE  # the tallest side fills ~1/1.15 of the image


def test_fixed_framing_shows_a_raised_mesh_higher(renderer):
    vertices, faces = sphere_mesh(0.3)
    low = mask_of(renderer.render(vertices, faces, center=(0, 0, 0), extent=EXTENT))
    high = mask_of(renderer.render(vertices + [0, 0.5, 0], faces, center=(0, 0, 0), extent=EXTENT))
    shift_rows = np.nonzero(low)[0].mean() - np.nonzero(high)[0].mean()
    assert shift_rows == pytest.approx(0.5 * SIZE / EXTENT, abs=2)
    assert np.nonzero(low)[1].mean() == pytest.approx(np.nonzero(high)[1].mean(), abs=0.5)


def test_render_views_share_one_framing(renderer):
    vertices, faces = figure_mesh()
    strip = renderer.render_views(vertices, faces, views=("front", "side", "back"))
    assert strip.shape == (SIZE, 3 * SIZE, 3)
    for panel, view in zip(np.split(strip, 3, axis=1), ("front", "side", "back")):
        assert np.array_equal(panel, renderer.render(vertices, faces, view, **_default_framing(vertices)))
    # A mesh centred on the framing has the same height in the front and side panels.
    trunk = _box([0.4, 1.6, 0.4], [0.0, 0.0, 0.0])
    panels = np.split(renderer.render_views(np.asarray(trunk.vertices), np.asarray(trunk.faces)), 2, axis=1)
    heights = [np.ptp(np.nonzero(mask_of(panel).any(axis=1))[0]) for panel in panels]
    assert abs(heights[0] - heights[1]) <= 1


def _default_framing(vertices):
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    return {"center": (low + high) / 2, "extent": 1.15 * float((high - low).max())}


def test_colour_and_background_are_used(renderer):
    vertices, faces = sphere_mesh()
    image = renderer.render(vertices, faces, color=(200, 30, 30), background=(0, 0, 80))
    assert tuple(image[0, 0]) == (0, 0, 80)
    centre = image[SIZE // 2, SIZE // 2].astype(int)
    assert centre[0] > 2 * centre[1] and centre[0] > 2 * centre[2]


# ----------------------------------------------------------------------------------------------
# Backends agree; threads; lifetime


def test_software_and_gl_agree():
    if not GL_AVAILABLE:
        pytest.skip(f"no OpenGL to compare with: {GL_UNAVAILABLE_REASON}")
    vertices, faces = figure_mesh()
    sphere_vertices, sphere_faces = sphere_mesh(0.25, center=(-0.3, -0.4, 0.2))
    vertices = np.concatenate([vertices, sphere_vertices])
    faces = np.concatenate([faces, sphere_faces + len(figure_mesh()[0])])
    with Renderer(SIZE, SIZE, backend="gl") as gl, Renderer(SIZE, SIZE, backend="software") as software:
        for view in render.VIEWS:
            gl_image = gl.render(vertices, faces, view).astype(int)
            software_image = software.render(vertices, faces, view).astype(int)
            gl_mask, software_mask = mask_of(gl_image), mask_of(software_image)
            iou = (gl_mask & software_mask).sum() / (gl_mask | software_mask).sum()
            assert iou > 0.95, view
            both = gl_mask & software_mask
            colour_difference = np.abs(gl_image[both] - software_image[both]).mean()
            assert colour_difference < 8, f"{view}: shading differs by {colour_difference:.1f} on average"


def test_concurrent_renders_from_four_threads_do_not_mix(renderer):
    vertices, faces = sphere_mesh(0.2)
    offsets = [-0.6, -0.2, 0.2, 0.6]
    errors: list[str] = []

    def work(offset: float) -> None:
        try:
            for _ in range(3):
                image = renderer.render(vertices + [offset, 0, 0], faces, center=(0, 0, 0), extent=EXTENT)
                column = np.nonzero(mask_of(image))[1].mean()
                expected = pixel_of(offset, 0)[1]
                if abs(column - expected) > 2:
                    errors.append(f"offset {offset}: mesh at column {column:.1f}, expected {expected}")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=work, args=(offset,)) for offset in offsets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors


def test_closed_renderer_refuses_work():
    vertices, faces = sphere_mesh()
    with Renderer(32, 32) as instance:
        instance.render(vertices, faces)
    with pytest.raises(RuntimeError, match="closed"):
        instance.render(vertices, faces)


def test_gl_thread_does_not_keep_the_process_alive():
    code = (
        "import numpy as np, trimesh\n"
        "from posegpt.render import Renderer\n"
        "m = trimesh.creation.icosphere(subdivisions=1)\n"
        "r = Renderer(32, 32)\n"
        "r.render(np.asarray(m.vertices), np.asarray(m.faces))\n"
        "print(r.backend)\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_backend_choice(monkeypatch, caplog):
    monkeypatch.setenv(render.BACKEND_ENV_VAR, "software")
    assert Renderer(8, 8).backend == "software"
    assert Renderer(8, 8, backend="software").backend == "software"
    monkeypatch.setenv(render.BACKEND_ENV_VAR, "vulkan")
    with pytest.raises(ValueError, match="backend"):
        Renderer(8, 8)
    monkeypatch.delenv(render.BACKEND_ENV_VAR)
    with pytest.raises(ValueError, match="backend"):
        Renderer(8, 8, backend="opengl")

    def no_egl():
        raise OSError("libEGL.so.1: cannot open shared object file")

    monkeypatch.setattr(render, "_create_gl_context", no_egl)
    monkeypatch.setattr(render, "_fallback_warned", False)
    with caplog.at_level(logging.WARNING, logger="posegpt.render"):
        assert Renderer(8, 8).backend == "software"
        assert Renderer(8, 8).backend == "software"
    warnings = [record for record in caplog.records if "software" in record.getMessage()]
    assert len(warnings) == 1, "warn once, not once per renderer"
    with pytest.raises(RuntimeError, match="unavailable"):
        Renderer(8, 8, backend="gl")


@pytest.mark.skipif(not GL_AVAILABLE, reason=f"no OpenGL: {GL_UNAVAILABLE_REASON}")
def test_gl_backend_names_its_device():
    with Renderer(8, 8, backend="gl") as instance:
        assert instance.backend.startswith("gl (EGL, ") and instance.backend.endswith(")")


# ----------------------------------------------------------------------------------------------
# Overlay on a photo


def test_overlay_draws_only_where_the_camera_puts_the_mesh(renderer):
    photo = np.random.default_rng(0).integers(0, 256, size=(90, 160, 3), dtype=np.uint8)
    trunk = _box([0.4, 0.6, 0.3], [0.0, 0.0, 0.0])
    vertices, faces = np.asarray(trunk.vertices, np.float32), np.asarray(trunk.faces)
    camera = Camera(scale=100.0, tx=60.0, ty=40.0)  # trunk spans u 40..80, v 10..70
    result = renderer.overlay(vertices, faces, photo, camera, alpha=1.0, color=(0, 255, 0))
    assert result.shape == photo.shape and result.dtype == np.uint8
    changed = (result != photo).any(axis=-1)
    rows, columns = np.nonzero(changed)
    assert rows.min() >= 9 and rows.max() <= 71 and columns.min() >= 39 and columns.max() <= 81
    assert changed[12:69, 42:79].all(), "the whole box face must be drawn"
    inside = result[15:65, 45:75].astype(int)
    assert (inside[..., 1] > inside[..., 0] + 50).all(), "alpha=1 shows the mesh colour"
    half = renderer.overlay(vertices, faces, photo, camera, alpha=0.5, color=(0, 255, 0))
    assert not np.array_equal(half[40, 60], result[40, 60]), "alpha blends with the photo"
    assert np.array_equal(half[~changed], photo[~changed])


def test_overlay_rejects_bad_inputs(renderer):
    vertices, faces = sphere_mesh()
    photo = np.zeros((20, 30, 3), np.uint8)
    with pytest.raises(ValueError, match="image"):
        renderer.overlay(vertices, faces, photo[..., 0], Camera(10, 15, 10))
    with pytest.raises(ValueError, match="image"):
        renderer.overlay(vertices, faces, photo.astype(np.float32), Camera(10, 15, 10))
    with pytest.raises(ValueError, match="alpha"):
        renderer.overlay(vertices, faces, photo, Camera(10, 15, 10), alpha=1.5)
    with pytest.raises(ValueError, match="Camera"):
        renderer.overlay(vertices, faces, photo, (10, 15, 10))


@pytest.mark.parametrize(
    "text, expected",
    [("2.5,100,-3", Camera(2.5, 100.0, -3.0)), (" 300 , 256.5 ,1e2 ", Camera(300.0, 256.5, 100.0))],
)
def test_camera_parse_reads_three_numbers(text, expected):
    assert Camera.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["", "1,2", "1,2,3,4", "a,b,c", "1;2;3", "nan,0,0", "0,1,1", "-1,0,0", "1,inf,0"]
)
def test_camera_parse_rejects_bad_text(text):
    with pytest.raises(ValueError):
        Camera.parse(text)


# ----------------------------------------------------------------------------------------------
# Files


def test_glb_round_trip(tmp_path):
    vertices, faces = figure_mesh()
    path = export_glb(vertices, faces, tmp_path / "pose.glb", color=(200, 100, 50))
    assert path.read_bytes()[:4] == b"glTF"
    loaded = trimesh.load(path, force="mesh", process=False)
    assert len(loaded.vertices) == len(vertices) and len(loaded.faces) == len(faces)
    np.testing.assert_allclose(loaded.vertices, vertices, atol=1e-6)  # Y-up kept, no axis change
    assert mesh_to_glb_bytes(vertices, faces)[:4] == b"glTF"


def test_obj_round_trip(tmp_path):
    vertices, faces = figure_mesh()
    path = export_obj(vertices, faces, tmp_path / "pose.obj")
    loaded = trimesh.load(path, force="mesh", process=False)
    assert len(loaded.vertices) == len(vertices) and len(loaded.faces) == len(faces)
    np.testing.assert_allclose(loaded.vertices, vertices, atol=1e-6)


# ----------------------------------------------------------------------------------------------
# Input validation


def _bad_meshes():
    vertices, faces = sphere_mesh()
    with_nan = vertices.copy()
    with_nan[3, 1] = np.nan
    return [
        pytest.param(vertices[:, :2], faces, "vertices", id="vertices-(V,2)"),
        pytest.param(vertices[None], faces, "vertices", id="vertices-3d"),
        pytest.param(with_nan, faces, "NaN", id="vertices-nan"),
        pytest.param(vertices, np.zeros((0, 3), np.int64), "faces", id="faces-empty"),
        pytest.param(vertices, faces[:, :2], "faces", id="faces-(F,2)"),
        pytest.param(vertices, faces.astype(np.float32), "integer", id="faces-float"),
        pytest.param(vertices, faces + len(vertices), "range", id="faces-out-of-range"),
        pytest.param(vertices, faces - 1, "range", id="faces-negative"),
    ]


@pytest.mark.parametrize("vertices, faces, message", _bad_meshes())
def test_bad_meshes_raise_clear_errors(renderer, tmp_path, vertices, faces, message):
    with pytest.raises(ValueError, match=message):
        renderer.render(vertices, faces)
    with pytest.raises(ValueError, match=message):
        renderer.overlay(vertices, faces, np.zeros((8, 8, 3), np.uint8), Camera(1, 4, 4))
    with pytest.raises(ValueError, match=message):
        export_glb(vertices, faces, tmp_path / "bad.glb")
    assert not (tmp_path / "bad.glb").exists()


def test_bad_render_options_raise_clear_errors(renderer):
    vertices, faces = sphere_mesh()
    with pytest.raises(ValueError, match="view"):
        renderer.render(vertices, faces, "underneath")
    with pytest.raises(ValueError, match="extent"):
        renderer.render(vertices, faces, extent=0)
    with pytest.raises(ValueError, match="center"):
        renderer.render(vertices, faces, center=(0, 0))
    with pytest.raises(ValueError, match="color"):
        renderer.render(vertices, faces, color=(300, 0, 0))
    with pytest.raises(ValueError, match="background"):
        renderer.render(vertices, faces, background="white")
    with pytest.raises(ValueError, match="views"):
        renderer.render_views(vertices, faces, views="front")
    with pytest.raises(ValueError, match="size"):
        Renderer(0, 10)


# ----------------------------------------------------------------------------------------------
# Building blocks


def test_rasterize_covers_a_square_exactly_once_per_pixel():
    """Two triangles of a screen-filling square: every pixel hit, the diagonal split between them."""
    clip = np.array([[-1, -1, 0, 1], [1, -1, 0, 1], [1, 1, 0, 1], [-1, 1, 0, 1]], dtype=np.float64)
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    fragments = rasterize(clip, faces, 8, 6)
    assert fragments.covered.all()
    assert set(np.unique(fragments.face_index)) == {0, 1}
    np.testing.assert_allclose(fragments.barycentric.sum(axis=-1), 1.0, atol=1e-6)
    assert fragments.front_facing.all(), "counter-clockwise with y up faces the viewer"


def test_rasterize_keeps_the_nearest_triangle():
    near = np.array([[-1, -1, -0.5, 1], [3, -1, -0.5, 1], [-1, 3, -0.5, 1]], dtype=np.float64)
    far = near * [1, 1, -1, 1]
    fragments = rasterize(np.concatenate([far, near]), np.array([[0, 1, 2], [3, 4, 5]]), 4, 4)
    assert (fragments.face_index == 1).all()


def test_vertex_normals_point_outwards_on_a_sphere():
    vertices, faces = sphere_mesh(1.0)
    normals = vertex_normals(vertices, faces)
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-5)
    assert (np.einsum("vc,vc->v", normals, vertices) > 0.99).all()
