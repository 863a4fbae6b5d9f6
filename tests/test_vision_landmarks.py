"""People and BlazePose landmarks on real photos (Debian opencv-doc samples, skimage's astronaut).

People present, counted by looking at the photos: messi5.jpg — one player in front of a blurred
crowd; basketball1/2.png — two players (the right one turned away, cut by the frame edge);
vtest.avi frames 0 / 200 / 400 / 600 — 3 / 7 / 3 / 6 pedestrians (in frame 200 two of them walk
side by side, small, at the top right); astronaut — one person, upper body.

Set POSEGPT_VISION_CHECKS=/some/dir to also save overlay pictures of what was found.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from posegpt.vision.landmarks import (
    MIRROR,
    CropView,
    LandmarkDetector,
    blazepose_world_to_smpl,
    Face,
    face_crop,
    face_only_view,
    grid_crops,
    hiding_mask,
    landmark_box,
    person_box,
    same_person,
    square_around,
)
from posegpt.photo import read_photo
from posegpt.vision.people import LANDMARK_NAMES, NUM_LANDMARKS, PersonLandmarks

PHOTOS = Path("/usr/share/doc/opencv-doc/examples/data")
NEEDS_PHOTOS = pytest.mark.skipif(
    not (PHOTOS / "messi5.jpg").exists(),
    reason="Debian package opencv-doc is not installed (bash .ci/setup --tests installs it)",
)
L = {name: index for index, name in enumerate(LANDMARK_NAMES)}


# --- pieces that need no model ----------------------------------------------------------------
def test_world_frame_is_a_half_turn_about_x():
    blazepose = np.array([[0.1, -0.5, -0.2], [0.0, 0.0, 0.0]], dtype=np.float32)  # head up, nose near
    smpl = blazepose_world_to_smpl(blazepose)
    np.testing.assert_allclose(smpl, [[0.1, 0.5, 0.2], [0.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="3 coordinates"):
        blazepose_world_to_smpl(np.zeros((33, 2)))


def test_grid_crops_cover_the_image_with_overlap():
    crops = grid_crops(640, 480, 160)
    covered = np.zeros((480, 640), dtype=int)
    for x0, y0, x1, y1 in crops:
        assert x1 - x0 == y1 - y0 == 160 and 0 <= x0 and x1 <= 640 and 0 <= y0 and y1 <= 480
        covered[y0:y1, x0:x1] += 1
    assert covered.min() >= 1 and (covered >= 2).mean() > 0.3
    assert grid_crops(100, 80, 500) == [(0, 0, 80, 80), (20, 0, 100, 80)]  # larger: squares of the short side
    assert grid_crops(80, 80, 500) == [(0, 0, 80, 80)]


def test_square_around_stays_inside_the_image():
    assert square_around((600, 400, 640, 480), 640, 480, scale=2.0) == (480, 320, 640, 480)
    x0, y0, x1, y1 = square_around((10, 10, 20, 50), 640, 480)
    assert x1 - x0 == y1 - y0 == 56 and x0 >= 0 and y0 >= 0


def _view(points: np.ndarray, visibility: float = 1.0) -> CropView:
    seen = np.full(NUM_LANDMARKS, visibility, np.float32)
    return CropView(points.astype(np.float32), seen, np.zeros((33, 3), np.float32), (0, 0, 1, 1))


def test_same_person_matches_close_and_mirrored_views_only():
    rng = np.random.default_rng(0)
    points = rng.uniform(100, 200, size=(NUM_LANDMARKS, 2))
    points[L["left_shoulder"]], points[L["right_shoulder"]] = (170, 120), (130, 120)
    points[L["left_hip"]], points[L["right_hip"]] = (165, 180), (135, 180)
    person = _view(points)
    assert same_person(person, _view(points + 3.0))
    assert same_person(person, _view(points[MIRROR]))  # left and right read the other way round
    assert not same_person(person, _view(points + 60.0))
    assert not same_person(person, _view(points, visibility=0.0))  # nothing seen by both


def test_landmark_box_uses_seen_points_and_stays_in_the_photo():
    points = np.array([[10.0, 20.0], [50.0, 120.0], [900.0, 900.0]] + [[30.0, 60.0]] * 30, dtype=np.float32)
    visibility = np.array([1.0, 1.0, 0.0] + [1.0] * 30, dtype=np.float32)
    x0, y0, x1, y1 = landmark_box(points, visibility, 640, 480)
    assert x0 < 10 and y0 < 20 and 50 < x1 < 100 and 120 < y1 < 200  # the unseen point far away is left out


def test_face_crop_frames_the_body_below_the_face_and_may_leave_the_photo():
    x0, y0, x1, y1 = face_crop((60, 10, 100, 50), side=6.0, shift=2.0)  # a 40-px face near the top left
    assert x1 - x0 == y1 - y0 == 240  # six face heights
    assert (x0 + x1) / 2 == 80 and (y0 + y1) / 2 == 110  # centred two face heights below the face's centre
    assert x0 < 0 and y0 < 0  # beyond the photo's corner: padded when it is read


def test_a_face_alone_places_an_unseen_body_below_it():
    # a 40-px frontal face near the bottom of a 200 × 160 photo: eyes, nose, mouth, ears (mediapipe's order)
    keypoints = np.array([[90, 100], [110, 100], [100, 110], [100, 120], [80, 104], [120, 104]], np.float32)
    view = face_only_view(Face((80, 90, 120, 130), 0.9, keypoints), 200, 160)
    np.testing.assert_allclose(view.image_points[L["nose"]], [100, 110])
    np.testing.assert_allclose(view.image_points[L["right_eye"]], [90, 100])  # the person's right: the image's left
    np.testing.assert_allclose(view.image_points[L["left_ear"]], [120, 104])
    assert view.visibility[:11].min() == pytest.approx(0.9) and view.visibility[11:].max() < 0.5  # the body unseen
    shoulders = view.image_points[[L["left_shoulder"], L["right_shoulder"]]]
    assert (shoulders[:, 1] > 125).all() and 40 < abs(shoulders[0, 0] - shoulders[1, 0]) < 120  # below, ~2 heads wide
    assert view.image_points[L["left_shoulder"], 0] > 100  # the person's left on the image's right
    x0, y0, x1, y1 = person_box(view.image_points, view.visibility, 200, 160)
    assert y1 == 160 and y0 < 90  # the body goes on below the frame; the head's top above the face
    assert x0 <= shoulders[:, 0].min() + 1 and x1 >= shoulders[:, 0].max() - 1  # the torso placed below is in the box


def _standing_with_arms_out(dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """(33, 2) pixels: a person about 200 px tall, arms straight out to the sides."""
    points = np.zeros((NUM_LANDMARKS, 2), np.float32)
    points[:11] = (100, 40)  # the face
    for side, x in (("left", 120), ("right", 80)):
        out = 1 if side == "left" else -1
        points[L[f"{side}_shoulder"]] = (x, 60)
        points[L[f"{side}_elbow"]] = (x + out * 40, 60)
        for mark in ("wrist", "pinky", "index", "thumb"):
            points[L[f"{side}_{mark}"]] = (x + out * 80, 60)
        points[L[f"{side}_hip"]] = (x - out * 8, 130)
        points[L[f"{side}_knee"]] = (x - out * 8, 180)
        for mark in ("ankle", "heel", "foot_index"):
            points[L[f"{side}_{mark}"]] = (x - out * 8, 225)
    return points + np.array([dx, dy], np.float32)


def test_a_whole_body_is_hidden_in_its_shape_and_anyone_else_by_their_box():
    view = _view(_standing_with_arms_out(dx=100, dy=10))
    mask = hiding_mask(view, 400, 300)  # (300, 400)
    assert mask.shape == (300, 400)
    assert mask[110, 200] and mask[50, 200] and mask[70, 300] and mask[220, 190]  # torso, head, an outstretched hand, a foot
    assert not mask[200, 285] and not mask[200, 110]  # under the arms, inside the box: someone standing there stays visible
    points = _standing_with_arms_out(dx=100, dy=120)  # the feet below the frame: hidden by the box
    cut = CropView(points, np.ones(NUM_LANDMARKS, np.float32), np.zeros((33, 3), np.float32), (0, 0, 400, 300),
                   inside=points[:, 1] <= 300)
    x0, y0, x1, y1 = (int(round(v)) for v in landmark_box(cut.image_points, cut.visibility, 400, 300))
    boxed = hiding_mask(cut, 400, 300)
    assert boxed[y0:y1, x0:x1].all() and boxed.sum() == (y1 - y0) * (x1 - x0)
    legs_unseen = _view(_standing_with_arms_out(dx=100, dy=10))
    legs_unseen.visibility[[L["left_knee"], L["right_knee"]]] = 0.1  # legs guessed: boxed too
    assert hiding_mask(legs_unseen, 400, 300)[200, 285]


def test_padded_crops_keep_the_photo_where_it_is():
    from posegpt.vision.landmarks import _patch

    image = np.zeros((40, 60, 3), np.uint8)
    image[:, :30] = 200  # left half light, right half black: mean 100
    patch = _patch(image, (-10, -5, 50, 45))
    assert patch.shape == (50, 60, 3)
    assert patch[0, 0].tolist() == [100, 100, 100]  # outside: the photo's mean colour
    assert patch[5, 10].tolist() == [200, 200, 200] and patch[5, 45].tolist() == [0, 0, 0]  # photo (0,0) and (35,0)
    np.testing.assert_array_equal(_patch(image, (5, 5, 25, 25)), image[5:25, 5:25])


def test_person_box_reaches_the_edge_where_the_body_goes_on():
    points = np.full((33, 2), 100.0, np.float32)
    visibility = np.zeros(33, np.float32)
    head_and_shoulders = [0, 2, 5, 7, 8, 11, 12]
    points[head_and_shoulders] = [[100, 100], [95, 95], [105, 95], [85, 100], [115, 100], [60, 160], [140, 160]]
    visibility[head_and_shoulders] = 1.0
    points[23:] = [100, 400]  # hips and legs guessed far below a 200-px-tall photo
    x0, y0, x1, y1 = person_box(points, visibility, 200, 200)
    assert y1 == 200  # down to the bottom edge: the body goes on below it
    assert y0 < 100 - 30  # the head's top: a head's width above the ears
    assert 40 < x0 < 60 and 140 < x1 < 160  # sideways, the seen landmarks only


def test_detector_rejects_bad_settings():
    with pytest.raises(ValueError, match="max_people"):
        LandmarkDetector(max_people=0)
    with pytest.raises(ValueError, match="grid_fractions"):
        LandmarkDetector(grid_fractions=(2.0,))


# --- BlazePose on real photos --------------------------------------------------------------
@pytest.fixture(scope="module")
def detector() -> LandmarkDetector:
    return LandmarkDetector()


def _read(name: str) -> np.ndarray:
    import cv2

    bgr = cv2.imread(str(PHOTOS / name))
    assert bgr is not None, f"cannot read {PHOTOS / name}"
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _frame(index: int) -> np.ndarray:
    import cv2

    video = cv2.VideoCapture(str(PHOTOS / "vtest.avi"))
    video.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, bgr = video.read()
    video.release()
    assert ok, f"cannot read frame {index} of vtest.avi"
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _save_overlay(name: str, image: np.ndarray, people: list[PersonLandmarks]) -> None:
    folder = os.environ.get("POSEGPT_VISION_CHECKS")
    if not folder:
        return
    from PIL import ImageDraw

    picture = read_photo(image).pil()
    draw = ImageDraw.Draw(picture)
    for person in people:
        draw.rectangle(person.box, outline=(255, 0, 0), width=2)
        for index, ((x, y), seen) in enumerate(zip(person.image_points, person.visibility)):
            if seen >= 0.5:  # the person's left side white, right side red
                colour = (255, 255, 255) if LANDMARK_NAMES[index].startswith("left") else (255, 40, 40)
                draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
        draw.text((person.box[0] + 3, person.box[1] + 3), f"{person.score:.2f}", fill=(255, 255, 0))
    Path(folder).mkdir(parents=True, exist_ok=True)
    picture.save(Path(folder) / f"landmarks_{name}.png")


def _check_record(person: PersonLandmarks, width: int, height: int) -> None:
    assert person.image_points.shape == (33, 2) and person.image_points.dtype == np.float32
    assert person.visibility.shape == (33,) and person.world_points.shape == (33, 3)
    assert np.isfinite(person.image_points).all() and np.isfinite(person.world_points).all()
    assert 0.0 <= person.visibility.min() and person.visibility.max() <= 1.0 and 0.0 < person.score <= 1.0
    x0, y0, x1, y1 = person.box
    assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height


@pytest.fixture(scope="module")
def basketball(detector):
    image = _read("basketball1.png")
    people = detector.detect(image)
    _save_overlay("basketball1", image, people)
    return image, people


@NEEDS_PHOTOS
def test_basketball_finds_both_players_left_to_right(basketball):
    image, people = basketball
    assert len(people) == 2
    for person in people:
        _check_record(person, 640, 480)
    left, right = people
    assert (left.box[0] + left.box[2]) / 2 < 250 and (right.box[0] + right.box[2]) / 2 > 400
    # the left player stands upright, whole body in view: head at the top, feet near the bottom
    assert left.box[3] - left.box[1] > 350


@NEEDS_PHOTOS
def test_world_points_are_in_the_camera_aligned_smpl_frame(basketball):
    _, (player, _) = basketball  # faces the camera, standing
    world = player.world_points
    hips = (world[L["left_hip"]] + world[L["right_hip"]]) / 2
    assert np.linalg.norm(hips) < 0.05  # origin between the hips
    assert world[L["nose"]][1] > hips[1] + 0.4  # +y up: the head is above the hips
    assert world[L["left_ankle"]][1] < hips[1] - 0.6
    assert world[L["left_shoulder"]][0] > world[L["right_shoulder"]][0]  # the person's left on +x
    assert world[L["nose"]][2] > hips[2]  # +z towards the camera: the face is in front
    image_points = player.image_points  # facing the camera, their left is on the image's right too
    assert image_points[L["left_shoulder"]][0] > image_points[L["right_shoulder"]][0]


@NEEDS_PHOTOS
def test_basketball2_as_grey_and_as_rgba(detector):
    grey = _read("basketball2.png")[:, :, 0]  # the photo is grey: (H, W)
    people = detector.detect(grey)
    _save_overlay("basketball2", grey, people)
    assert len(people) == 2
    rgba = np.stack([grey, grey, grey, np.full_like(grey, 255)], axis=2)  # (H, W, 4), opaque
    assert [p.box for p in detector.detect(rgba)] == [p.box for p in people]


@NEEDS_PHOTOS
def test_messi_is_found_whole_and_only_once(detector):
    image = _read("messi5.jpg")
    people = detector.detect(image)
    _save_overlay("messi5", image, people)
    assert 1 <= len(people) <= 2  # the player; the blurred crowd may add at most one
    messi = max(people, key=lambda p: (p.box[2] - p.box[0]) * (p.box[3] - p.box[1]))
    _check_record(messi, 548, 342)
    assert messi.box[3] - messi.box[1] > 250
    points = messi.image_points
    # he faces the camera and reaches to the ball on the image's right with his left leg, which is
    # stretched out sideways: the left ankle is far right of and higher than the right (standing) ankle
    assert points[L["left_ankle"]][0] > points[L["right_ankle"]][0] + 100
    assert points[L["left_ankle"]][1] < points[L["right_ankle"]][1]


@NEEDS_PHOTOS
@pytest.mark.parametrize(("frame", "present"), [(0, 3), (200, 7), (400, 3), (600, 6)])
def test_vtest_pedestrians(detector, frame, present):
    image = _frame(frame)
    people = detector.detect(image)
    _save_overlay(f"vtest{frame}", image, people)
    fewest = present - 1 if present > 5 else present  # in crowded frames one small person may be missed
    assert fewest <= len(people) <= present
    for person in people:
        _check_record(person, 768, 576)
        assert person.box[3] - person.box[1] < 200  # all of them are small in this wide shot
    centres = [(p.box[0] + p.box[2]) / 2 for p in people]
    assert centres == sorted(centres)


def test_astronaut_upper_body(detector):
    from skimage import data

    image = data.astronaut()
    people = detector.detect(image)
    _save_overlay("astronaut", image, people)
    assert len(people) == 1
    person = people[0]
    _check_record(person, 512, 512)
    nose = person.image_points[L["nose"]]
    assert 180 < nose[0] < 270 and 90 < nose[1] < 170  # her face
    assert person.visibility[[L["left_shoulder"], L["right_shoulder"]]].min() >= 0.5
    assert person.visibility[[L["left_ankle"], L["right_ankle"]]].max() < 0.5  # legs are not in the photo


def test_portrait_cut_at_the_chest_is_found_with_its_legs_unseen(detector):
    from posegpt.eval.photo_labels import PhotoSource

    path = PhotoSource("python", "matplotlib", "mpl-data/sample_data/grace_hopper.jpg", module="matplotlib").file()
    if path is None:
        pytest.skip("matplotlib's sample data is not installed")
    image = read_photo(path)  # 512 × 600, head and shoulders only (a read-only Photo, as the app makes)
    people = detector.detect(image)
    _save_overlay("grace_hopper", image, people)
    assert len(people) == 1
    person = people[0]
    _check_record(person, 512, 600)
    assert person.visibility[[L["nose"], L["left_shoulder"], L["right_shoulder"]]].min() >= 0.5
    legs = [L[f"{side}_{part}"] for side in ("left", "right") for part in ("knee", "ankle", "heel")]
    assert person.visibility[legs].max() < 0.1  # below the frame: unseen, not guessed as seen
    x0, y0, x1, y1 = person.box
    assert y1 == 600 and y0 < 80 and x1 - x0 > 350  # the frame's bottom, the cap's top, shoulder to shoulder


@NEEDS_PHOTOS
def test_close_up_of_two_people_finds_both():
    """A small black-and-white photo of two men in a glider cockpit, seen from the chest up (the
    tutorial picture of opencv-doc's template matching); BlazePose alone finds nobody in it."""
    path = Path("/usr/share/doc/opencv-doc/opencv4/html/Template_Matching_Original_Image.jpg")
    if not path.exists():
        pytest.skip("opencv-doc's HTML pictures are not installed")
    image = read_photo(path)  # 300 × 240, grey
    people = LandmarkDetector().detect(image)
    _save_overlay("glider", image, people)
    assert len(people) == 2
    (left, right) = people
    assert (left.box[0] + left.box[2]) / 2 < 150 < (right.box[0] + right.box[2]) / 2
    for person in people:
        _check_record(person, 300, 240)
        assert person.visibility[[L["nose"], L["left_shoulder"], L["right_shoulder"]]].max() >= 0.5


@NEEDS_PHOTOS
def test_a_person_whose_body_blazepose_cannot_read_is_found_by_their_face(detector):
    """left06.jpg: a man in profile at a computer, half hidden by a chessboard; BlazePose reads no
    body in any crop, the face detector finds his face: he is a person, his body unseen."""
    image = read_photo(PHOTOS / "left06.jpg")  # 640 × 480, grey
    people = detector.detect(image)
    _save_overlay("left06", image, people)
    assert len(people) == 1
    (person,) = people
    _check_record(person, 640, 480)
    x, y = person.image_points[L["nose"]]
    assert 230 < x < 290 and 150 < y < 230  # his face
    assert person.visibility[11:].max() < 0.5  # nothing below the face is claimed as seen
    x0, y0, x1, y1 = person.box
    assert y1 == 480 and x0 < 240 and x1 > 330  # head and the torso below it, down to the frame's edge


@NEEDS_PHOTOS
def test_huge_photo_gives_full_resolution_pixels(detector, basketball):
    import cv2

    image, people = basketball
    huge = cv2.resize(image, (2560, 1920), interpolation=cv2.INTER_LINEAR)
    big = detector.detect(huge)
    assert len(big) == 2
    for small, large in zip(people, big):
        assert abs((large.box[0] + large.box[2]) / 2 - 4 * (small.box[0] + small.box[2]) / 2) < 60


@NEEDS_PHOTOS
def test_threads_share_one_detector(detector, basketball):
    image, people = basketball
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(len(detector.detect(image)))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [len(people)] * 2


def test_no_person_and_tiny_images(detector):
    assert detector.detect(np.zeros((20, 200, 3), np.uint8)) == []  # too small to hold a person
    sky = np.zeros((96, 128, 3), np.uint8)
    sky[..., 2] = np.linspace(120, 255, 128, dtype=np.uint8)[None, :]
    assert detector.detect(sky) == []  # nobody there


@NEEDS_PHOTOS
def test_an_old_photo_of_a_couple_finds_the_woman_beside_the_man_by_her_face(detector):
    """inpaint_basics.jpg: one old photo of a couple, damaged (left half) and restored (right half);
    BlazePose reads each man, never the woman beside him, whose face the face detector finds."""
    path = Path("/usr/share/doc/opencv-doc/opencv4/html/inpaint_basics.jpg")
    if not path.exists():
        pytest.skip("opencv-doc's HTML pictures are not installed")
    image = read_photo(path)  # 450 × 168, grey
    people = detector.detect(image)
    _save_overlay("inpaint_basics", image, people)
    assert len(people) == 4
    faces_only = [bool(person.visibility[11:].max() < 0.5) for person in people]  # left to right
    assert faces_only == [True, False, True, False]  # woman, man in each half
    for person in people:
        _check_record(person, 450, 168)
