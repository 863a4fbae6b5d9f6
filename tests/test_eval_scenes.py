"""Tests of posegpt.eval.scenes: rendered test photos with known poses, and their files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from posegpt.data.splits import is_heldout
from posegpt.eval.scenes import (
    CLOTHING_COLOURS,
    MAX_OVERLAP,
    MIN_PERSON_PX,
    PART,
    Outfit,
    body_part_labels,
    eval_pose_pool,
    load_scenes,
    make_eval_scenes,
    make_scene,
    save_scenes,
    truth_landmarks,
    turned_pose,
)
from posegpt.pose import Pose, axis_angle_to_matrix
from posegpt.render import Camera, Renderer
from posegpt.vision.appearance import colour_name

SEED = 3


@pytest.fixture(scope="module")
def scenes():
    return make_eval_scenes(4, seed=SEED)


def _project(camera: Camera, points: np.ndarray) -> np.ndarray:
    return np.stack([camera.scale * points[:, 0] + camera.tx, -camera.scale * points[:, 1] + camera.ty], axis=1)


def test_scenes_are_deterministic_and_extend_each_other(scenes):
    again = make_scene(2, seed=SEED)
    np.testing.assert_array_equal(again.image, scenes[2].image)
    assert again.to_json() == scenes[2].to_json()
    other = make_scene(2, seed=SEED + 1)
    assert other.to_json() != scenes[2].to_json()


def test_scene_contents(scenes):
    for scene in scenes:
        assert scene.image.shape == (480, 640, 3) and scene.image.dtype == np.uint8
        assert 1 <= len(scene.people) <= 4
        assert scene.background in ("room", "outdoor", "studio", "texture")
        assert [p.x_rank for p in scene.people] == list(range(len(scene.people)))
        centres = [(p.box[0] + p.box[2]) / 2 for p in scene.people]
        assert centres == sorted(centres)
        for person in scene.people:
            assert person.top_name == colour_name(person.top_rgb)
            assert person.bottom_name == colour_name(person.bottom_rgb)
            assert person.top_rgb != person.bottom_rgb
            assert -60 <= person.yaw_deg <= 60
            assert person.height_px == pytest.approx(person.box[3] - person.box[1])
    assert len({len(s.people) for s in scenes}) > 1 or len(scenes) < 3  # group sizes vary


def test_only_held_out_poses_are_used(scenes):
    pool = eval_pose_pool()
    for item in pool["library"]:
        assert item.sources and all(is_heldout("pose", name) for name in item.sources)
    for item in pool["sampler"]:
        assert item.sources and all(is_heldout("pose", name) for name in item.sources)
    for item in pool["mocap"]:
        assert item.clips and all(is_heldout("mocap_clip", clip) for clip in item.clips)
    labels = {source: {item.label for item in items} for source, items in pool.items()}
    for scene in scenes:
        for person in scene.people:
            assert person.label in labels[person.source]
            if person.source == "mocap":
                assert person.clips and all(is_heldout("mocap_clip", clip) for clip in person.clips)
            else:
                assert person.sources and all(is_heldout("pose", name) for name in person.sources)


def test_pose_includes_the_yaw_and_tilt_it_was_rendered_with(scenes):
    pool = eval_pose_pool()
    for scene in scenes:
        for person in scene.people:
            item = pool[person.source][person.pool_index]
            assert item.label == person.label
            expected = turned_pose(item.pose, person.yaw_deg, person.tilt_deg)
            np.testing.assert_allclose(
                axis_angle_to_matrix(torch.from_numpy(person.pose.global_orient)).numpy(),
                axis_angle_to_matrix(torch.from_numpy(expected.global_orient)).numpy(), atol=1e-5,
            )
            np.testing.assert_array_equal(person.pose.body_pose, item.pose.body_pose)


def test_turned_pose_turns_the_facing_direction():
    turned = turned_pose(Pose.identity(), 30.0, 0.0)
    facing = axis_angle_to_matrix(torch.from_numpy(turned.global_orient))[0].numpy() @ [0, 0, 1]
    np.testing.assert_allclose(facing, [0.5, 0, np.sqrt(3) / 2], atol=1e-6)  # turned towards +x
    tilted = turned_pose(Pose.identity(), 0.0, 10.0)
    up = axis_angle_to_matrix(torch.from_numpy(tilted.global_orient))[0].numpy() @ [0, 1, 0]
    assert up[2] > 0.17  # seen from above, the head leans towards the camera


def test_boxes_and_joints_follow_the_camera_projection(scenes, anny_body):
    for scene in scenes:
        width, height = scene.size
        for person in scene.people:
            x0, y0, x1, y1 = person.box
            assert 0 <= x0 < x1 <= width - 1 and 0 <= y0 < y1 <= height - 1
            output = anny_body(person.pose)
            projected = _project(person.camera, output.vertices[0].numpy())  # (V, 2)
            np.testing.assert_allclose([*projected.min(axis=0), *projected.max(axis=0)], person.box, atol=0.05)
            np.testing.assert_allclose(person.joints_2d, _project(person.camera, output.joints[0].numpy()), atol=0.05)
            assert (person.joints_2d >= [x0, y0]).all() and (person.joints_2d <= [x1, y1]).all()
            wide = x1 - x0
            assert max(y1 - y0, 0.6 * wide) >= MIN_PERSON_PX - 0.5


def test_people_overlap_at_most_lightly_and_nearer_people_are_lower(scenes):
    for scene in scenes:
        people = scene.people
        for i, a in enumerate(people):
            for b in people[i + 1:]:
                w = min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])
                h = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
                smaller = min((a.box[2] - a.box[0]) * (a.box[3] - a.box[1]), (b.box[2] - b.box[0]) * (b.box[3] - b.box[1]))
                assert max(w, 0) * max(h, 0) / smaller <= MAX_OVERLAP + 1e-6
                # one floor: a larger scale (nearer) puts the lowest point lower in the picture
                if a.camera.scale > b.camera.scale + 1e-6:
                    assert a.box[3] > b.box[3]


def test_people_are_drawn_where_their_boxes_are(scenes):
    """Inside a person's box the picture changed from the background; clothes show at the chest."""
    for scene in scenes:
        for person in scene.people:
            landmarks = truth_landmarks(person, scene.size)
            assert landmarks.image_points.shape == (33, 2)
            assert landmarks.visibility.min() == 1.0  # everybody is fully inside the frame
        # the frontmost person's chest (between neck and spine3) shows their top, shaded
        front = max(scene.people, key=lambda p: p.camera.scale)
        u, v = np.round((front.joints_2d[9] + front.joints_2d[12]) / 2).astype(int)
        patch = scene.image[v - 1:v + 2, u - 1:u + 2].reshape(-1, 3).astype(float)
        colours = [np.array(front.top_rgb, float), np.array(front.skin_rgb, float)]  # an arm may cross
        ratio = [np.abs(patch.mean(0) / np.maximum(c, 1) - (patch.mean(0) / np.maximum(c, 1)).mean()).max() for c in colours]
        assert min(ratio) < 0.25, (scene.name, patch.mean(0), colours)


def test_save_and_load_round_trip(scenes, tmp_path):
    path = save_scenes(scenes, tmp_path)
    assert path == tmp_path / "scenes.json"
    assert "pickle" not in path.read_text()
    loaded = load_scenes(tmp_path)
    assert len(loaded) == len(scenes)
    for original, copy in zip(scenes, loaded):
        np.testing.assert_array_equal(copy.image, original.image)
        assert copy.to_json() == original.to_json()
        for a, b in zip(original.people, copy.people):
            np.testing.assert_array_equal(a.pose.global_orient, b.pose.global_orient)
            np.testing.assert_array_equal(a.pose.body_pose, b.pose.body_pose)
            assert a.camera == b.camera


def test_load_scenes_rejects_missing_and_foreign_folders(scenes, tmp_path):
    with pytest.raises(ValueError, match="scenes.json"):
        load_scenes(tmp_path / "nothing")
    (tmp_path / "scenes.json").write_text("{not json")
    with pytest.raises(ValueError, match="JSON"):
        load_scenes(tmp_path)
    (tmp_path / "scenes.json").write_text(json.dumps({"format": "other", "scenes": []}))
    with pytest.raises(ValueError, match="format"):
        load_scenes(tmp_path)
    save_scenes(scenes[:1], tmp_path)
    (tmp_path / f"{scenes[0].name}.png").unlink()
    with pytest.raises(ValueError, match="missing or unreadable"):
        load_scenes(tmp_path)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"count": -1}, "count"), ({"count": 1.5}, "count"), ({"count": 1, "min_people": 0}, "min_people"),
        ({"count": 1, "min_people": 3, "max_people": 2}, "min_people"), ({"count": 1, "size": (100, 80)}, "size"),
        ({"count": 1, "size": "big"}, "size"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_eval_scenes(**kwargs)


def test_single_person_scenes_can_be_asked_for():
    scene = make_scene(0, seed=5, min_people=1, max_people=1, size=(512, 384))
    assert len(scene.people) == 1 and scene.size == (512, 384)


def test_body_parts_cover_the_body_sensibly(anny_body):
    labels = body_part_labels()
    assert labels.shape == (anny_body(Pose.identity()).vertices.shape[1],)
    counts = np.bincount(labels, minlength=len(PART))
    assert (counts > 0).all()  # every part is painted somewhere
    tpose = anny_body(Pose.identity()).vertices[0].numpy()
    height = lambda part: np.median(tpose[labels == PART[part], 1])  # noqa: E731
    assert height("hair") > height("iris") > height("lips") > height("top") > height("bottom") > height("shin") > height("shoe")
    assert np.median(tpose[labels == PART["iris"], 2]) > 0.08  # eyes on the face (front, +z)


def test_outfit_colours_the_right_parts():
    labels = body_part_labels()
    outfit = Outfit(top=(200, 30, 35), bottom=(35, 70, 190), skin=(226, 178, 146), hair=(30, 25, 20),
                    shoes=(20, 20, 20), long_sleeves=False, shorts=True)
    colours = outfit.vertex_colours(labels)  # (V, 3)
    assert colours.shape == (len(labels), 3)
    np.testing.assert_array_equal(colours[labels == PART["top"]][0], outfit.top)
    np.testing.assert_array_equal(colours[labels == PART["forearm"]][0], outfit.skin)  # short sleeves
    np.testing.assert_array_equal(colours[labels == PART["shin"]][0], outfit.skin)  # shorts
    covered = Outfit(**{**outfit.__dict__, "long_sleeves": True, "shorts": False}).vertex_colours(labels)
    np.testing.assert_array_equal(covered[labels == PART["forearm"]][0], outfit.top)
    np.testing.assert_array_equal(covered[labels == PART["shin"]][0], outfit.bottom)


def test_clothing_colours_are_named_as_listed():
    for name, variants in CLOTHING_COLOURS.items():
        for rgb in variants:
            assert colour_name(rgb) == name, (name, rgb)


@pytest.mark.parametrize("backend", ["software", "gl"])
def test_renderer_paints_per_vertex_colours(backend):
    """Two triangles side by side, one red and one blue (the per-vertex colour path of render.py)."""
    try:
        renderer = Renderer(64, 64, backend=backend)
    except RuntimeError:
        pytest.skip("no OpenGL here")
    vertices = np.array([[-1, -1, 0], [0, -1, 0], [0, 1, 0], [-1, 1, 0],
                         [0, -1, 0], [1, -1, 0], [1, 1, 0], [0, 1, 0]], dtype=np.float32)
    faces = np.array([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7]])
    colours = np.array([[220, 0, 0]] * 4 + [[0, 0, 220]] * 4, dtype=np.float32)
    with renderer:
        image = renderer.overlay(vertices, faces, np.zeros((64, 64, 3), np.uint8), Camera(20, 32, 32), alpha=1.0, color=colours)
        left, right = image[32, 20].astype(int), image[32, 44].astype(int)
        assert left[0] > 150 and left[2] < 20 and right[2] > 150 and right[0] < 20
        with pytest.raises(ValueError, match="per-vertex"):
            renderer.overlay(vertices, faces, np.zeros((64, 64, 3), np.uint8), Camera(20, 32, 32), color=colours[:5])
        with pytest.raises(ValueError, match="0..255"):
            renderer.overlay(vertices, faces, np.zeros((64, 64, 3), np.uint8), Camera(20, 32, 32), color=colours * 2)
