"""The real body through the renderer: known poses must land where a person expects them."""

import numpy as np
import pytest
import trimesh

from posegpt.data.named_poses import named_pose
from posegpt.render import Camera, Renderer, export_glb, export_obj

FRAMING = {"center": (0.0, -0.1, 0.0), "extent": 2.4}  # fixed, so poses are comparable


@pytest.fixture(scope="module")
def renderer():
    with Renderer(width=256, height=256) as shared:
        yield shared


def body_rows(image: np.ndarray) -> np.ndarray:
    """Row indices (top = 0) of pixels the body covers on a white background."""
    return np.nonzero((image < 245).any(axis=2))[0]


def render(anny_body, renderer, name: str, view: str = "front") -> np.ndarray:
    """The body standing on a floor at y = -0.95 (its lowest point), seen with a fixed framing."""
    vertices, faces = anny_body(named_pose(name)).mesh(0)
    vertices = vertices - np.array([0.0, vertices[:, 1].min() + 0.95, 0.0], np.float32)
    return renderer.render(vertices, faces, view=view, **FRAMING)


def test_arms_up_puts_pixels_above_the_head(anny_body, renderer):
    stand, arms_up = render(anny_body, renderer, "stand"), render(anny_body, renderer, "arms_up")
    head_top = body_rows(stand).min()
    assert body_rows(arms_up).min() < head_top - 15  # hands well above the head
    # ...and in the head's columns only the head is that high when standing
    assert abs(int(body_rows(arms_up).max()) - int(body_rows(stand).max())) <= 2  # feet unchanged


def test_squat_has_a_lower_shorter_silhouette(anny_body, renderer):
    stand, squat = render(anny_body, renderer, "stand", "side"), render(anny_body, renderer, "squat", "side")
    stand_height = body_rows(stand).max() - body_rows(stand).min()
    squat_height = body_rows(squat).max() - body_rows(squat).min()
    assert squat_height < 0.8 * stand_height
    assert body_rows(squat).min() > body_rows(stand).min() + 10  # the head comes down


def test_left_hand_wave_is_on_the_image_right(anny_body, renderer):
    wave = (render(anny_body, renderer, "wave_left_hand") < 245).any(axis=2)
    stand = (render(anny_body, renderer, "stand") < 245).any(axis=2)
    raised_arm = np.nonzero(wave & ~stand)  # pixels only the waving body covers
    assert raised_arm[1].size > 200
    assert raised_arm[1].mean() > wave.shape[1] * 0.55  # the person's left is the image's right
    assert raised_arm[0].mean() < np.nonzero(stand)[0].mean()  # and it is up, not down


def test_overlay_lands_where_the_camera_says(anny_body, renderer):
    vertices, faces = anny_body(named_pose("stand")).mesh(0)
    photo = np.full((300, 200, 3), 30, np.uint8)
    camera = Camera(scale=100.0, tx=100.0, ty=150.0)  # pelvis at pixel (100, 150), 1 m = 100 px
    result = renderer.overlay(vertices, faces, photo, camera)
    covered = np.nonzero((result != 30).any(axis=2))
    top, bottom = covered[0].min(), covered[0].max()
    assert abs(bottom - (150 - 100 * vertices[:, 1].min())) <= 3
    assert abs(top - (150 - 100 * vertices[:, 1].max())) <= 3
    assert (result[:, :40] == 30).all()  # untouched far from the body


def test_glb_and_obj_load_back(anny_body, tmp_path):
    vertices, faces = anny_body(named_pose("walk")).mesh(0)
    for path in (export_glb(vertices, faces, tmp_path / "body.glb"), export_obj(vertices, faces, tmp_path / "body.obj")):
        mesh = trimesh.load(path, force="mesh", process=False)
        assert len(mesh.vertices) == len(vertices) and len(mesh.faces) == len(faces)
        assert np.allclose(mesh.vertices, vertices, atol=1e-5)
