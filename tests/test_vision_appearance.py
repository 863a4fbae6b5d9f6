"""Tests of posegpt.vision.appearance: colour names, and torso/leg colours read around landmarks."""

from __future__ import annotations

import numpy as np
import pytest

from posegpt.vision.appearance import (
    COLOUR_NAMES,
    UNSEEN,
    UNSEEN_RGB,
    basic_colour,
    colour_name,
    dominant_colour,
    person_appearance,
    srgb_to_lab,
)
from posegpt.vision.people import NUM_LANDMARKS, PersonLandmarks


@pytest.mark.parametrize(
    "rgb, name",
    [
        ((0, 0, 0), "black"), ((25, 25, 28), "black"), ((255, 255, 255), "white"), ((128, 128, 128), "grey"),
        ((60, 60, 60), "dark grey"), ((185, 185, 185), "light grey"),
        ((255, 0, 0), "red"), ((200, 30, 35), "red"), ((128, 0, 0), "dark red"), ((220, 20, 60), "red"),
        ((255, 140, 0), "orange"), ((235, 130, 30), "orange"), ((255, 255, 0), "yellow"), ((230, 210, 40), "yellow"),
        ((0, 160, 0), "green"), ((40, 150, 60), "green"), ((0, 70, 20), "dark green"), ((150, 230, 140), "light green"),
        ((0, 0, 255), "blue"), ((35, 70, 190), "blue"), ((20, 30, 80), "dark blue"), ((135, 206, 235), "light blue"),
        ((21, 96, 189), "blue"), ((128, 0, 128), "purple"), ((120, 50, 160), "purple"),
        ((255, 105, 180), "pink"), ((255, 182, 193), "pink"), ((235, 120, 170), "pink"),
        ((110, 70, 40), "brown"), ((60, 40, 25), "dark brown"), ((210, 180, 140), "light brown"),
    ],
)
def test_colour_name_of_clear_colours(rgb, name):
    assert colour_name(rgb) == name


def test_shading_keeps_the_hue_word():
    """A cloth colour seen in shade (70–110 % brightness) keeps its basic hue word."""
    for rgb, name in [((200, 30, 35), "red"), ((235, 130, 30), "orange"), ((230, 210, 40), "yellow"),
                      ((40, 150, 60), "green"), ((35, 70, 190), "blue"), ((120, 50, 160), "purple"),
                      ((235, 120, 170), "pink"), ((128, 128, 128), "grey")]:
        for shade in (0.7, 0.85, 1.0, 1.1):
            shaded = np.clip(np.array(rgb) * shade, 0, 255)
            assert basic_colour(colour_name(shaded)) == name, (rgb, shade)


def test_every_colour_gets_a_name_from_the_vocabulary():
    colours = np.random.default_rng(0).uniform(0, 255, (2000, 3))
    names = {colour_name(rgb) for rgb in colours}
    assert names <= set(COLOUR_NAMES)
    assert len(names) >= 15  # the vocabulary is really used, not one catch-all word
    assert colour_name(np.array([10.0, 200.0, 30.0])) == colour_name([10, 200, 30])  # any sequence type


def test_basic_colour_strips_dark_and_light():
    assert basic_colour("dark blue") == "blue"
    assert basic_colour("light grey") == "grey"
    assert basic_colour("red") == "red"


def test_lab_of_white_and_black():
    np.testing.assert_allclose(srgb_to_lab([255, 255, 255]), [100, 0, 0], atol=0.05)
    np.testing.assert_allclose(srgb_to_lab([0, 0, 0]), [0, 0, 0], atol=1e-6)


@pytest.mark.parametrize("bad", [(1, 2), "red", (300, 0, 0), (-1, 0, 0), (np.nan, 0, 0), None, [[1, 2, 3], [4, 5, 6]]])
def test_colour_name_rejects_bad_colours(bad):
    with pytest.raises(ValueError, match="colour"):
        colour_name(bad)


# ----------------------------------------------------------------------------------------------
# Reading colours from a picture

TOP, BOTTOM, SKIN, BACKGROUND = (200, 30, 35), (35, 70, 190), (226, 178, 146), (230, 230, 230)


def _person_picture() -> tuple[np.ndarray, PersonLandmarks]:
    """A flat drawing of a person facing the camera: red torso, blue legs, on light grey."""
    image = np.full((400, 300, 3), BACKGROUND, dtype=np.uint8)
    image[100:220, 110:190] = TOP  # torso: shoulders at row 100, hips at row 220
    image[220:370, 115:148] = BOTTOM  # right leg (image left)
    image[220:370, 152:185] = BOTTOM  # left leg
    points = np.zeros((NUM_LANDMARKS, 2), dtype=np.float32)
    points[:11] = (150, 70)  # face
    points[11], points[12] = (180, 105), (120, 105)  # left / right shoulder (left on image right)
    points[23], points[24] = (168, 218), (132, 218)  # hips
    points[25], points[26] = (168, 295), (132, 295)  # knees
    points[27], points[28] = (168, 365), (132, 365)  # ankles
    points[[13, 15, 17, 19, 21]] = (200, 160)
    points[[14, 16, 18, 20, 22]] = (100, 160)
    points[29:] = points[[27, 28, 27, 28]]
    landmarks = PersonLandmarks((100, 40, 200, 375), points, np.ones(NUM_LANDMARKS, np.float32),
                                np.zeros((NUM_LANDMARKS, 3), np.float32), 0.9)
    return image, landmarks


def test_reads_torso_and_leg_colours():
    image, landmarks = _person_picture()
    appearance = person_appearance(image, landmarks)
    assert (appearance.top_name, appearance.bottom_name) == ("red", "blue")
    np.testing.assert_allclose(appearance.top_rgb, TOP, atol=1)
    np.testing.assert_allclose(appearance.bottom_rgb, BOTTOM, atol=1)


def test_an_arm_across_the_torso_and_shading_do_not_decide_the_colour():
    image, landmarks = _person_picture()
    image = image.astype(np.float32)
    image[100:220, 110:190] *= np.linspace(0.75, 1.0, 80)[None, :, None]  # light from the side
    image[145:170, 100:200] = SKIN  # a forearm in front of the chest (a third of the sampled rows)
    appearance = person_appearance(image.astype(np.uint8), landmarks)
    assert appearance.top_name == "red"
    assert appearance.bottom_name == "blue"


def test_unseen_regions_are_reported_as_unseen():
    image, landmarks = _person_picture()
    visibility = landmarks.visibility.copy()
    visibility[25:] = 0.1  # knees, ankles, feet not seen
    legs_hidden = PersonLandmarks(landmarks.box, landmarks.image_points, visibility, landmarks.world_points, 0.9)
    appearance = person_appearance(image, legs_hidden)
    assert appearance.top_name == "red"
    assert (appearance.bottom_name, appearance.bottom_rgb) == (UNSEEN, UNSEEN_RGB)

    nothing = PersonLandmarks(landmarks.box, landmarks.image_points, np.zeros(NUM_LANDMARKS, np.float32),
                              landmarks.world_points, 0.2)
    appearance = person_appearance(image, nothing)
    assert (appearance.top_name, appearance.bottom_name) == (UNSEEN, UNSEEN)


def test_a_portrait_cut_at_the_chest_gets_the_colour_of_its_chest():
    """Shoulders seen, hips below the frame: the chest below the shoulder line, away from the face."""
    image, landmarks = _person_picture()
    portrait = image[:160].copy()  # cut at row 160: shoulders (row 105) in, hips (row 218) out
    visibility = landmarks.visibility.copy()
    visibility[23:] = 0.02  # hips and legs beyond the frame
    cut = PersonLandmarks(landmarks.box, landmarks.image_points, visibility, landmarks.world_points, 0.9)
    appearance = person_appearance(portrait, cut)
    assert appearance.top_name == "red" and appearance.bottom_name == UNSEEN
    upside_down = PersonLandmarks(landmarks.box, landmarks.image_points * [1, -1] + [0, 210], visibility,
                                  landmarks.world_points, 0.9)  # the face below the shoulders: the chest above them
    assert person_appearance(image[::-1][190:].copy(), upside_down).top_name == "red"


def test_landmarks_outside_the_image_count_as_unseen():
    image, landmarks = _person_picture()
    moved = PersonLandmarks(landmarks.box, landmarks.image_points + 1000, landmarks.visibility,
                            landmarks.world_points, 0.9)
    appearance = person_appearance(image, moved)
    assert (appearance.top_name, appearance.bottom_name) == (UNSEEN, UNSEEN)


def test_side_view_torso_still_gets_a_colour():
    """Shoulders and hips on top of each other (a person seen from the side)."""
    image, landmarks = _person_picture()
    points = landmarks.image_points.copy()
    points[[11, 12]] = (150, 105)
    points[[23, 24]] = (150, 218)
    side = PersonLandmarks(landmarks.box, points, landmarks.visibility, landmarks.world_points, 0.9)
    assert person_appearance(image, side).top_name == "red"


def test_dominant_colour_needs_enough_pixels():
    assert dominant_colour(np.zeros((3, 3))) is None
    pixels = np.concatenate([np.tile([200, 30, 35], (70, 1)), np.tile([20, 20, 20], (30, 1))])
    np.testing.assert_allclose(dominant_colour(pixels), (200, 30, 35))


def test_bad_inputs_raise_clear_errors():
    image, landmarks = _person_picture()
    with pytest.raises(ValueError, match="uint8"):
        person_appearance(image.astype(np.float32), landmarks)
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        person_appearance(image[..., 0], landmarks)
    with pytest.raises(ValueError, match="PersonLandmarks"):
        person_appearance(image, {"box": (0, 0, 1, 1)})
    short = PersonLandmarks(landmarks.box, landmarks.image_points[:17], landmarks.visibility[:17],
                            landmarks.world_points[:17], 0.9)
    with pytest.raises(ValueError, match="33"):
        person_appearance(image, short)
    broken = PersonLandmarks(landmarks.box, np.full((33, 2), np.nan, np.float32), landmarks.visibility,
                             landmarks.world_points, 0.9)
    assert person_appearance(image, broken).top_name == UNSEEN  # NaN points: nothing seen, no crash


def test_colours_of_rendered_scenes_are_recovered():
    """Rendered people (shaded, posed, turned) with known clothes: the hue word comes back.

    Landmarks are the ground-truth joints (an ideal detector); people overlapped by someone
    else are skipped, since their clothes may be hidden.
    """
    from posegpt.eval.scenes import make_scene, truth_landmarks

    checked = matched = 0
    for index in range(3):
        scene = make_scene(index, seed=11)
        for person in scene.people:
            others = [p for p in scene.people if p is not person]
            if any(_boxes_touch(person.box, other.box) for other in others):
                continue
            appearance = person_appearance(scene.image, truth_landmarks(person, scene.size))
            checked += 2
            matched += basic_colour(appearance.top_name) == basic_colour(person.top_name)
            matched += basic_colour(appearance.bottom_name) == basic_colour(person.bottom_name)
    assert checked >= 8
    assert matched / checked >= 0.9


def _boxes_touch(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def test_a_vivid_second_colour_of_the_top_is_its_accent():
    from posegpt.vision.appearance import accent_colour, colour_clusters

    image, landmarks = _person_picture()
    image[100:220, 110:190] = (25, 30, 60)  # a navy jacket …
    image[100:135, 110:190] = TOP  # … with red shoulders (the top third of the torso)
    appearance = person_appearance(image, landmarks)
    assert appearance.top_name == "dark blue" and appearance.top_accent == "red"
    plain, _ = _person_picture()
    assert person_appearance(plain, landmarks).top_accent == ""  # one colour: no accent
    # an arm's skin, shade and a small speck are no accent
    assert accent_colour([(0.7, (25, 30, 60)), (0.3, SKIN)]) == ""
    assert accent_colour([(0.7, (25, 30, 60)), (0.3, (60, 60, 60))]) == ""
    assert accent_colour([(0.95, (25, 30, 60)), (0.05, TOP)]) == ""
    assert accent_colour([]) == "" and colour_clusters(np.zeros((3, 3))) == []
