"""posegpt.artifacts: the files made for each pose (picture, meshes, pose file)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from posegpt.artifacts import PoseExporter, beside
from posegpt.body.base import BodyModelError
from posegpt.pose import Pose
from posegpt.render import Renderer


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
    photo = np.zeros((48, 32, 3), dtype=np.uint8)
    files = PoseExporter(anny_body, renderer).export(Pose.identity(), tmp_path, "p", photo=photo, formats=("png", "npz"))
    picture = np.asarray(Image.open(files.picture))
    assert picture.shape == (96, 64 + 8 + 128, 3)  # photo scaled to 96 high = 64 wide, gap, views
    assert picture[:, :64].max() == 0 and picture[:, 64:72].min() == 255
    assert files.glb is None and files.obj is None


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
