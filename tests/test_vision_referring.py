"""The referring resolver (posegpt/vision/referring.py) on hand-made readings, its catalogue's
loader, and the hair reading (posegpt/vision/appearance.py) on painted heads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from posegpt.data.catalogue import CatalogueError, catalogue_path, load_file
from posegpt.vision.appearance import HAIR_NAMES, hair_name, hair_reading
from posegpt.vision.features import HEIGHT_RATIO_INDEX, PERSON_FEATURE_DIM, PersonReading
from posegpt.vision.people import PersonLandmarks
from posegpt.vision.referring import compile_phrase, normalise, resolve, resolve_conversation


def reading(number: int, position: str, *, top: str = "grey", bottom: str = "blue", hair: str = "", size: str = "",
            posture: str = "standing", gesture: str = "", facing: str = "facing the camera", height: float | None = None) -> PersonReading:
    features = torch.zeros(PERSON_FEATURE_DIM) if height is not None else torch.zeros(0)
    if height is not None:
        features[HEIGHT_RATIO_INDEX] = height
    return PersonReading(number, position, size, top, bottom, posture, gesture, facing, features, hair)


@pytest.fixture
def three() -> list[PersonReading]:
    return [reading(1, "on the left", top="dark blue", hair="grey", height=0.7),
            reading(2, "in the middle", top="light brown", hair="dark", gesture="both arms up", height=1.0),
            reading(3, "on the right", top="red", bottom="black", hair="blond", posture="sitting", height=0.5)]


@pytest.mark.parametrize("question, person", [
    ("What is the pose of the man in the navy jacket?", 0),  # navy ≈ dark blue
    ("Show me the woman in beige.", 1),  # beige ≈ light brown
    ("The one in the RED T-shirt, please", 2),
    ("the person wearing black trousers", 2),
])
def test_colour_words_and_their_synonyms_pick_the_person(three, question, person):
    assert resolve(question, three).pick == person


@pytest.mark.parametrize("question, person", [
    ("the one on the far left", 0), ("the rightmost person", 2), ("the person in the middle", 1),
    ("the second person from the right", 1), ("Person 3 please", 2),
])
def test_position_words_and_numbers(three, question, person):
    assert resolve(question, three).pick == person


@pytest.mark.parametrize("question, person", [
    ("the tallest person", 1), ("the one closest to the camera", 1), ("the person farthest away", 2),
])
def test_size_words_use_how_tall_people_are(three, question, person):
    assert resolve(question, three).pick == person


@pytest.mark.parametrize("question, person", [
    ("the grey-haired man", 0), ("the blonde", 2), ("the woman with dark hair", 1), ("the gray haired one", 0),
])
def test_hair_words(three, question, person):
    assert resolve(question, three).pick == person


def test_posture_gesture_and_the_left_of_a_gesture_is_no_position(three):
    assert resolve("the person sitting down", three).pick == 2
    assert resolve("the one raising her left arm", three).pick == 1  # both arms up implies the left one
    # "how … is standing" says how, not who: the position decides
    assert resolve("Show me how the person on the left is standing.", three).pick == 0


def test_follow_ups_use_the_previous_pick(three):
    first = [("user", "What is the pose of the man on the left?"), ("assistant", "Person 1 (on the left): <POSE>")]
    assert resolve_conversation(first + [("user", "And the one next to him?")], three).pick == 1
    assert resolve_conversation(first + [("user", "What is she doing with her arms?")], three).pick == 0
    assert resolve_conversation(first + [("user", "And the one with both arms up?")], three).pick == 1
    two = three[:2]
    assert resolve_conversation(first + [("user", "and the other one?")], two).pick == 1
    # the earlier question did not decide: the reply's "Person 2" is whom it was about
    vague = [("user", "Show me a pose."), ("assistant", "Person 2: <POSE>"), ("user", "and the other one?")]
    assert resolve_conversation(vague, two).pick == 0


def test_no_evidence_leaves_everyone_to_the_pointer(three):
    for question in ("What's the weather like?", "Show me everyone's pose.", "", "the other one"):
        result = resolve(question, three)
        assert result.pick is None and result.candidates == (0, 1, 2) and not result.has_evidence
    logits = torch.tensor([0.1, 2.0, 0.3])
    assert torch.equal(resolve("hello", three).restrict(logits), logits)
    assert int(torch.argmax(resolve("the one in red", three).restrict(logits))) == 2
    assert resolve("anything", []).candidates == ()
    assert resolve_conversation([("assistant", "hi")], three).pick is None  # not ending with a question


def test_words_that_fit_the_only_person_are_about_them():
    alone = [reading(1, "in the centre", top="red", hair="blond")]
    described = resolve("Show me the woman in the orange suit.", alone)  # a red-orange suit reads "red"
    assert described.describes_the_only_person and not described.has_evidence  # nothing to decide between
    for question in ("How many people are there?", "Is anyone here wearing green?", "Show me everyone."):
        assert not resolve(question, alone).describes_the_only_person
    assert not resolve("the one in red", [alone[0], reading(2, "on the right")]).describes_the_only_person


def test_a_tie_is_left_to_the_pointer_among_the_tied():
    twins = [reading(1, "on the left", top="red"), reading(2, "in the middle", top="red"), reading(3, "on the right", top="blue")]
    result = resolve("the person in red", twins)
    assert result.pick is None and result.candidates == (0, 1)
    assert int(torch.argmax(result.restrict(torch.tensor([0.0, 1.0, 5.0])))) == 1


def test_normalise_and_phrases():
    assert normalise("The man's T-shirt!", frozenset({"the"})) == " man s t shirt "
    pattern = compile_phrase("(raising|lifting) [both] {who} (arm|hand)", frozenset(), {"who": "one|person"})
    assert pattern.search(" raising person arm ") and pattern.search(" lifting both one hand ")
    for bad in ("(a|b", "a]", "{nope} x", "the"):
        with pytest.raises(ValueError):
            compile_phrase(bad, frozenset({"the"}), {"who": "x"})


@pytest.mark.parametrize("old, new, message", [
    ("    navy: {dark blue: 1.0,", "    navy: {dark navy: 1.0,", "unknown value 'dark navy'"),
    ("    fits: {sitting: 1.0, squatting: 0.4}", "    fits: {sitting: 1.5}", "expected a number in (0.0, 1.0]"),
    ("    means: nth_from_left", "    means: somewhere", "unknown meaning 'somewhere'"),
    ('  - "(person|figure|individual|number) {k}"', '  - "(person|figure {k}"', "missing ')'"),
    ('  frames: ["{h} hair",', '  frames: ["hair",', "needs exactly {h}"),
    ("    grey: {grey: 1.0, white: 0.8}", "    grey: {silver: 1.0}", "unknown value 'silver'"),
])
def test_the_loader_rejects_bad_entries(tmp_path: Path, old, new, message):
    text = catalogue_path("referring").read_text()
    assert old in text
    path = tmp_path / "referring.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(CatalogueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]").replace("{", r"\{").replace("}", r"\}")):
        load_file(path, "referring")


def test_the_packaged_vocabulary_loads():
    data = load_file(catalogue_path("referring"), "referring")
    assert "navy" in data["clothing"]["colours"] and data["weights"]["number"] > data["weights"]["position"]


# -- hair ---------------------------------------------------------------------------------------


def head(hair_rgb, skin=(224, 172, 140), size=240, bald=False) -> tuple[np.ndarray, PersonLandmarks]:
    """A grey photo with a face: skin disc, hair cap above the eyes, and face landmarks."""
    image = np.full((size, size, 3), 90, np.uint8)
    ys, xs = np.mgrid[:size, :size]
    cx, cy, r = size / 2, size / 2, size / 4
    inside = ((xs - cx) / r) ** 2 + ((ys - cy) / (1.25 * r)) ** 2  # a head is taller than wide
    image[inside <= 1] = skin
    if not bald:
        cap = (inside <= 1.08 ** 2) & (ys < cy - 0.4 * r)
        image[cap] = hair_rgb
    points = np.zeros((33, 2), np.float32)
    points[0] = (cx, cy + 0.25 * r)  # nose
    points[2], points[5] = (cx + 0.35 * r, cy), (cx - 0.35 * r, cy)  # eyes (the person's left on image right)
    points[7], points[8] = (cx + 0.95 * r, cy + 0.1 * r), (cx - 0.95 * r, cy + 0.1 * r)  # ears
    points[9], points[10] = (cx + 0.25 * r, cy + 0.55 * r), (cx - 0.25 * r, cy + 0.55 * r)  # mouth
    visibility = np.zeros(33, np.float32)
    visibility[:11] = 1.0
    box = (float(cx - r), float(cy - r), float(cx + r), float(cy + r))
    return image, PersonLandmarks(box, points, visibility, np.zeros((33, 3), np.float32), 0.9)


@pytest.mark.parametrize("rgb, word", [((20, 18, 16), "black"), ((150, 150, 152), "grey"), ((235, 235, 230), "white"),
                                       ((200, 170, 100), "blond"), ((100, 65, 40), "brown"), ((160, 70, 30), "red")])
def test_hair_colours_have_hair_words(rgb, word):
    assert hair_name(rgb) == word
    image, landmarks = head(rgb)
    assert hair_reading(image, landmarks) == word


def test_a_bald_head_and_an_unseen_face():
    image, landmarks = head((0, 0, 0), bald=True)
    assert hair_reading(image, landmarks) == "bald"
    hidden = PersonLandmarks(landmarks.box, landmarks.image_points, np.zeros(33, np.float32), landmarks.world_points, 0.9)
    assert hair_reading(image, hidden) == ""
    assert set(HAIR_NAMES) >= {"grey", "blond", "bald"}


def test_describe_says_the_hair_only_when_read(three):
    assert "grey hair" in three[0].describe()
    assert "hair" not in reading(1, "on the left").describe()
    assert "bald" in reading(1, "on the left", hair="bald").describe()


# -- issue 14, real photos: second colours, "next to" in the picture, relations to the previous person


def placed(number: int, box: tuple[float, float, float, float], **said) -> PersonReading:
    """A reading with a box (x0, y0, x1, y1 as fractions of a 1 × 1 photo) in its feature vector."""
    person = reading(number, f"person {number}", height=1.0, **said)
    x0, y0, x1, y1 = box
    start = HEIGHT_RATIO_INDEX - 4
    person.features[start:start + 4] = torch.tensor([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0])
    return person


def test_a_second_colour_of_a_top_counts_for_a_colour_word():
    # a navy jacket with red shoulders is "the man in the red jacket" when nobody wears red
    people = [reading(1, "on the left", top="black"), reading(2, "in the middle", top="dark blue"),
              reading(3, "on the right", top="black")]
    people[1] = PersonReading(**{**people[1].__dict__, "top_accent": "red"})
    assert resolve("the man in the red jacket", people).pick == 1
    assert resolve("the man in the navy jacket", people).pick == 1
    # … but a top that is red all over fits better than a red accent
    people[2] = PersonReading(**{**people[2].__dict__, "top": "red"})
    assert resolve("the man in the red jacket", people).pick == 2
    assert resolve("the one in red trousers", people).pick != 1  # an accent of the top says nothing of trousers


def test_next_to_is_the_nearest_in_the_picture_not_in_the_numbering():
    # 1 and 2 walk side by side at the front; 3 is far behind, close to 2 in the picture only
    people = [placed(1, (0.30, 0.50, 0.40, 0.90)), placed(2, (0.42, 0.50, 0.52, 0.90)),
              placed(3, (0.53, 0.20, 0.56, 0.32)), placed(4, (0.80, 0.52, 0.90, 0.92))]
    first = [("user", "Show me person 2."), ("assistant", "Person 2: <POSE>")]
    assert resolve_conversation(first + [("user", "And the woman walking next to him?")], people).pick == 0
    assert resolve_conversation(first + [("user", "And the man he is talking to?")], people).pick == 0
    third = [("user", "Show me person 3."), ("assistant", "Person 3: <POSE>")]
    assert resolve_conversation(third + [("user", "and the one beside her?")], people).pick in (None, 1)


def test_a_description_with_a_relation_to_the_previous_person_describes_the_one_meant():
    people = [placed(1, (0.10, 0.50, 0.20, 0.90), top="black"), placed(2, (0.22, 0.50, 0.32, 0.90), top="red"),
              placed(3, (0.34, 0.50, 0.44, 0.90), top="white")]
    first = [("user", "Show me the man in red."), ("assistant", "Person 2: <POSE>")]
    # "next to him": him = the previous person; "in white" is who is meant among his neighbours
    assert resolve_conversation(first + [("user", "And the woman in white next to him?")], people).pick == 2
    assert resolve_conversation(first + [("user", "And the one in black he is talking to?")], people).pick == 0
    # no previous person: the description names the anchor, as before
    assert resolve("the one on the right of the man in red", people).pick == 2


def test_a_turned_body_half_fits_facing_words():
    people = [reading(1, "on the left", facing="facing the camera"), reading(2, "on the right", facing="turned to their right")]
    assert resolve("the man with his back to the camera", people).pick is None  # weak evidence alone decides nothing
    people[1] = PersonReading(**{**people[1].__dict__, "hair": "dark"})
    people[0] = PersonReading(**{**people[0].__dict__, "hair": "dark"})
    assert resolve("the man with dark hair who has his back to the camera", people).pick == 1


def test_hair_seen_from_behind_is_hair_and_dull_blond_is_blond():
    assert hair_name((130, 107, 88)) == "blond"  # blond in overcast light: as dark as brown, but yellow
    assert hair_name((120, 80, 60)) == "brown"  # redder at the same lightness: brown
    image, landmarks = head((30, 25, 20), skin=(30, 25, 20))  # the back of a dark head: "skin" = hair
    assert hair_reading(image, landmarks) == "bald"  # facing us, a head of one colour reads bald …
    points = landmarks.image_points.copy()
    points[11], points[12] = (60, 230), (180, 230)  # … but the left shoulder on the image's left: seen from behind
    visibility = landmarks.visibility.copy()
    visibility[[11, 12]] = 1.0
    back = PersonLandmarks(landmarks.box, points, visibility, landmarks.world_points, 0.9)
    assert hair_reading(image, back) == "black"
