"""posegpt.artifacts: everything drawn for a pose (mesh once, views, the overlay on the photo) and
the files made of it (picture, overlay, meshes, pose file)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from posegpt.artifacts import HIGHLIGHT_RGB, OTHER_RGB, Mesh, PoseExporter, beside, draw_box, overlay_bodies
from posegpt.body.base import BodyModelError
from posegpt.photo import read_photo
from posegpt.pose import Pose
from posegpt.render import Camera, Renderer


@pytest.fixture(scope="module")
def renderer():
    with Renderer(width=64, height=96) as shared:
        yield shared


def test_export_writes_every_format(anny_body, renderer, tmp_path):
    files = PoseExporter(anny_body, renderer).export(Pose.identity(), tmp_path / "out", "rest")
    assert files.error is None
    assert [p.name for p in files.paths()] == ["rest.png", "rest.glb", "rest.obj", "rest.npz"]
    assert Image.open(files.picture).size == (128, 96)  # front + side
    assert files.glb.read_bytes()[:4] == b"glTF"
    assert np.allclose(Pose.load_npz(files.npz).axis_angle(), 0)


def test_photo_goes_beside_the_views(anny_body, renderer, tmp_path):
    photo = read_photo(np.zeros((48, 32, 3), dtype=np.uint8))
    files = PoseExporter(anny_body, renderer).export(Pose.identity(), tmp_path, "p", photo=photo, formats=("png", "npz"))
    picture = np.asarray(Image.open(files.picture))
    assert picture.shape == (96, 64 + 8 + 128, 3)  # photo scaled to 96 high = 64 wide, gap, views
    assert picture[:, :64].max() == 0 and picture[:, 64:72].min() == 255
    assert files.glb is None and files.obj is None and files.overlay is None  # no person: no overlay


def test_body_failure_keeps_the_pose_file_and_says_why(renderer, tmp_path):
    class BrokenBody:
        name = "broken"

        def __call__(self, pose):
            raise BodyModelError("no rig")

    files = PoseExporter(BrokenBody(), renderer).export(Pose.identity(), tmp_path, "x")
    assert files.npz.exists() and files.picture is None and "no rig" in files.error


def test_unknown_format_and_bad_images_are_refused(anny_body, renderer, tmp_path):
    with pytest.raises(ValueError, match="unknown formats"):
        PoseExporter(anny_body, renderer).export(Pose.identity(), tmp_path, "x", formats=("png", "fbx"))
    with pytest.raises(ValueError, match="two"):
        beside(np.zeros((4, 4), dtype=np.uint8), np.zeros((4, 4, 3), dtype=np.uint8))


# --- a pose about a person of the photo ------------------------------------------------------------


class CountingBody:
    """The Anny body, counting how often a mesh is built."""

    def __init__(self, body):
        self.body, self.calls, self.name = body, 0, body.name

    def __call__(self, pose):
        self.calls += 1
        return self.body(pose)


class CountingRenderer:
    """A renderer that counts its overlays and views."""

    def __init__(self, renderer):
        self.renderer, self.overlays, self.views = renderer, 0, 0

    def overlay(self, *args, **kwargs):
        self.overlays += 1
        return self.renderer.overlay(*args, **kwargs)

    def render_views(self, *args, **kwargs):
        self.views += 1
        return self.renderer.render_views(*args, **kwargs)


def two_people_scene(width=120, height=160):
    """A SceneReading of two standing people (left and right) in a width × height photo."""
    from posegpt.vision.people import NUM_LANDMARKS, FittedPerson, PersonLandmarks
    from posegpt.vision.pipeline import SceneReading

    people = []
    for centre_x in (30, 90):
        box = (centre_x - 25.0, 40.0, centre_x + 25.0, 150.0)
        landmarks = PersonLandmarks(box, np.zeros((NUM_LANDMARKS, 2), np.float32), np.ones(NUM_LANDMARKS, np.float32),
                                    np.zeros((NUM_LANDMARKS, 3), np.float32), 0.9)
        people.append(FittedPerson(landmarks, Pose.identity(), Camera(65.0, centre_x, 95.0), 0.01))
    return SceneReading(people, [], (width, height))


def coloured_columns(image, colour):
    return set(np.nonzero((np.abs(image.astype(int) - np.array(colour)).sum(axis=2) < 10).any(axis=0))[0].tolist())


def test_a_pose_about_a_person_builds_its_mesh_once_and_draws_one_overlay(anny_body, renderer, tmp_path):
    body, counting = CountingBody(anny_body), CountingRenderer(renderer)
    photo = read_photo(np.full((160, 120, 3), 60, np.uint8))
    files = PoseExporter(body, counting).export(Pose.identity(), tmp_path, "p", photo=photo, person=1,
                                                scene=two_people_scene())
    assert files.error is None and body.calls == 1  # one mesh for the overlay, the views, .glb and .obj
    assert counting.overlays == 1 and counting.views == 1
    overlay = np.asarray(Image.open(files.overlay))
    assert files.overlay.name == "p_overlay.png" and overlay.shape == (160, 120, 3)
    highlighted = coloured_columns(overlay, HIGHLIGHT_RGB)
    assert highlighted and min(highlighted) >= 64 and max(highlighted) <= 116  # only person 2's box is orange
    assert coloured_columns(overlay, OTHER_RGB) <= set(range(4, 57))  # person 1's box is thin and grey
    assert (overlay[50:140, 70:110] != 60).any()  # the body is drawn over person 2
    picture = np.asarray(Image.open(files.picture))
    assert picture.shape == (96, 72 + 8 + 128, 3)  # the overlay scaled to 96 high, a gap, front + side
    assert files.glb.exists() and files.obj.exists()


def test_an_overlay_that_cannot_be_drawn_leaves_the_views(anny_body, renderer):
    exporter = PoseExporter(anny_body, renderer)
    photo = read_photo(np.full((160, 120, 3), 60, np.uint8))
    past_the_people = exporter.draw(Pose.identity(), photo, person=2, scene=two_people_scene())
    other_size = exporter.draw(Pose.identity(), photo, person=0, scene=two_people_scene(240, 320))
    for drawing in (past_the_people, other_size):
        assert drawing.overlay is None and drawing.views.shape == (96, 128, 3)
        assert drawing.picture.shape == (96, 72 + 8 + 128, 3)  # the photo itself beside the views


def test_a_body_at_a_given_camera_and_a_mesh_drawn_again(anny_body, renderer):
    body = CountingBody(anny_body)
    exporter = PoseExporter(body, renderer)
    mesh = exporter.mesh(Pose.identity())
    photo = read_photo(np.zeros((64, 48, 3), np.uint8))
    drawing = exporter.draw(mesh, photo, camera=Camera(30.0, 24.0, 32.0), views=False)
    assert isinstance(mesh, Mesh) and body.calls == 1  # a Mesh is drawn as it is
    assert drawing.views is None and drawing.picture is drawing.overlay and drawing.overlay.shape == (64, 48, 3)
    assert drawing.overlay.max() > 0 and coloured_columns(drawing.overlay, HIGHLIGHT_RGB) == set()  # no boxes
    assert np.array_equal(drawing.overlay, overlay_bodies(renderer, photo.rgb, [(mesh, Camera(30.0, 24.0, 32.0))]))


def test_without_a_renderer_only_the_mesh_and_files(anny_body, tmp_path):
    drawing = PoseExporter(anny_body, None).draw(Pose.identity(), read_photo(np.zeros((8, 8, 3), np.uint8)))
    assert drawing.views is None and drawing.overlay is None and drawing.picture is None
    files = PoseExporter(anny_body, None).export(Pose.identity(), tmp_path, "n")
    assert files.picture is None and files.glb.exists() and files.error is None


def test_boxes_are_clipped_to_the_image():
    image = draw_box(np.zeros((10, 10, 3), np.uint8), (-5, -5, 20, 4), (255, 0, 0), 1)
    assert image[0, :, 0].min() == 255 and image[4, :, 0].min() == 255 and image[9].max() == 0
