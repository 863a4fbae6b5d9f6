import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from posegpt.cli import main
from posegpt.data.named_poses import named_pose
from posegpt.pose import Pose

ROOT = Path(__file__).resolve().parent.parent


def test_example_pose_files_match_their_definitions():
    for path in (ROOT / "assets" / "poses").glob("*.npz"):
        if path.stem == "three_poses":
            expected = Pose.concat([named_pose(n) for n in ("stand", "arms_up", "squat")])
        else:
            expected = named_pose(path.stem)
        assert np.allclose(Pose.load_npz(path).body_pose, expected.body_pose, atol=1e-5), path.name


def test_render_writes_png_glb_obj(tmp_path, capsys):
    code = main(["render", "--pose", str(ROOT / "assets/poses/three_poses.npz"), "--index", "1",
                 "--out", str(tmp_path / "o.png"), "--glb", str(tmp_path / "o.glb"), "--obj", str(tmp_path / "o.obj"),
                 "--size", "128"])
    assert code == 0
    image = np.asarray(Image.open(tmp_path / "o.png"))
    assert image.shape == (128, 256, 3) and (image < 245).any()  # front + side
    assert (tmp_path / "o.glb").stat().st_size > 100_000 and (tmp_path / "o.obj").exists()
    captured = capsys.readouterr()
    assert "Body model: Anny" in captured.err and "Rendered with" in captured.out


def test_render_overlay_on_a_photo(tmp_path):
    Image.fromarray(np.full((240, 320, 3), 40, np.uint8)).save(tmp_path / "photo.jpg")
    assert main(["render", "--example", "arms_up", "--out", str(tmp_path / "o.png"),
                 "--image", str(tmp_path / "photo.jpg"), "--camera", "60,160,120"]) == 0
    image = np.asarray(Image.open(tmp_path / "o.png"))
    assert image.shape == (240, 320, 3)
    assert (np.abs(image.astype(int) - 40) > 20).any(axis=2)[100:140, 150:170].mean() > 0.5  # torso at the centre


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--pose", "missing.npz"], "pose file not found"),
        (["--example", "moonwalk"], "unknown pose 'moonwalk'"),
        (["--example", "squat", "--pose", "x.npz"], "exactly one of"),
        (["--example", "squat", "--index", "3"], "out of range"),
        (["--example", "squat", "--camera", "1,2,3"], "only makes sense with --image"),
        (["--example", "squat", "--image", "nothing.jpg"], "cannot read the photo"),
        (["--example", "squat", "--body", "smpl"], "smpl.is.tue.mpg.de"),
    ],
)
def test_render_user_errors_are_one_line(tmp_path, capsys, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POSEGPT_BODY_MODELS", str(tmp_path / "no_models"))
    assert main(["render", "--out", str(tmp_path / "o.png"), *arguments]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) <= 2


def test_bad_camera_text(tmp_path, capsys):
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(tmp_path / "p.png")
    assert main(["render", "--example", "squat", "--out", str(tmp_path / "o.png"),
                 "--image", str(tmp_path / "p.png"), "--camera", "a,b"]) == 2
    assert "error:" in capsys.readouterr().err


def test_module_entry_point_help():
    result = subprocess.run([sys.executable, "-m", "posegpt", "render", "--help"], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0 and "--pose" in result.stdout and "--camera" in result.stdout
