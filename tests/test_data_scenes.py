"""Synthetic scene conversations: what the model is taught about photos of people."""

import random

import numpy as np
import pytest

from posegpt.data.scenes import (
    FRAME_SIZE, DialogueMaker, build_scene_samples, pose_pool, referring_expressions, sample_people, synthesize_people,
)
from posegpt.tokens import PERSON_TOKEN, POSE_TOKEN
from posegpt.vision.features import PERSON_FEATURE_DIM, read_people


@pytest.fixture(scope="module")
def scene():
    rng = random.Random(5)
    truths = sample_people(rng, pose_pool("train"), 3)
    people = synthesize_people(truths, rng)
    return truths, people, read_people(people, FRAME_SIZE)


def test_people_are_placed_left_to_right_and_read_like_photos(scene):
    truths, people, readings = scene
    centres = [t.center_x for t in truths]
    assert centres == sorted(centres)
    assert [r.position for r in readings] == ["on the left", "in the middle", "on the right"]
    boxes = [p.landmarks.box for p in people]
    assert all(0 <= x0 < x1 <= FRAME_SIZE[0] and 0 <= y0 < y1 <= FRAME_SIZE[1] for x0, y0, x1, y1 in boxes)
    assert all(r.features.shape == (PERSON_FEATURE_DIM,) for r in readings)


def test_referring_expressions_single_out_one_person(scene):
    _, _, readings = scene
    found = referring_expressions(readings)
    # every non-number expression picks a person whose reading has that attribute, and no one else does
    for kind, phrase, index in found:
        if kind == "position":
            assert readings[index].position in ("on the left", "in the middle", "on the right")
    positions = {phrase: index for kind, phrase, index in found if kind == "position"}
    assert positions["the person on the left"] == 0 and positions["the person on the right"] == 2
    assert sum(1 for kind, _, _ in found if kind == "number") == 3


def test_dialogues_name_the_person_they_pose(scene):
    _, _, readings = scene
    maker = DialogueMaker("train")
    rng = random.Random(0)
    for _ in range(10):
        dialogue = maker.refer(readings, rng)
        (index,) = dialogue.pose_people
        assert dialogue.answer.startswith(f"Person {index + 1} ") and dialogue.answer.count(POSE_TOKEN) == 1
    everyone = maker.everyone(readings, rng)
    assert everyone.pose_people == [0, 1, 2] and everyone.answer.count(POSE_TOKEN) == 3
    assert "3 people" in maker.count(readings, rng).answer
    assert maker.single(readings, rng) is None  # three people: no single-person question


def test_built_samples_are_consistent_and_deterministic():
    first = build_scene_samples("train", 8, seed=2)
    again = build_scene_samples("train", 8, seed=2)
    assert [s.messages for s in first] == [s.messages for s in again]
    for sample in first:
        user, answer = sample.messages[0]["content"], sample.messages[1]["content"]
        people = sample.person_features.shape[0]
        assert user.count(PERSON_TOKEN) == 2 * people
        assert answer.count(POSE_TOKEN) == len(sample.poses) == len(sample.pose_people)
        assert all(0 <= p < people for p in sample.pose_people)
        assert np.isfinite(sample.person_features).all()


def test_eval_split_uses_other_phrasings_than_train():
    train, held_out = DialogueMaker("train"), DialogueMaker("eval")
    train_questions = {t for _, t in train.templates["pose"]}
    test_questions = {t for _, t in held_out.templates["pose"]}
    assert train_questions and len(test_questions) >= 4 and not train_questions & test_questions
    # describe has no held-out phrasing: the eval split asks no describe questions, rather than seen ones
    assert "describe" not in held_out.templates
    with pytest.raises(ValueError, match="no phrasings"):
        held_out._pick("describe", random.Random(0))


def test_gestures_are_all_said_and_both_arms_up_counts_as_either_arm(scene):
    from dataclasses import replace

    _, _, readings = scene
    cheering = replace(readings[0], gesture="both arms up, right knee raised")
    assert cheering.gesture_words == ("both arms up", "right knee raised", "left arm up", "right arm up")
    assert "both arms up, right knee raised" in cheering.describe()
    waving = replace(readings[1], gesture="left arm up")
    still = replace(readings[2], gesture="")
    assert still.gesture_words == ()
    found = {(kind, phrase): index for kind, phrase, index in referring_expressions([cheering, waving, still])}
    # "right arm up" and "right knee raised" are only person 1's; "left arm up" is shared: no phrase
    assert found[("gesture", "the person raising their right arm")] == 0
    assert found[("gesture", "the person lifting their right knee")] == 0
    assert not any(phrase == "the person raising their left arm" for _, phrase in found)


def test_the_reading_says_every_gesture_not_only_the_first():
    from posegpt.vision.features import gesture_reading

    # arms raised to shoulder height and out, one leg lifted: a question may name any of these
    checks = {"left_wrist_above_shoulder": True, "right_wrist_above_shoulder": True, "arms_out_to_sides": True,
              "right_knee_raised": True, "right_foot_raised": True, "left_foot_raised": False}
    assert gesture_reading(checks) == "left arm up, right arm up, arms out, right knee raised, right foot raised"
    # "both arms up" already says either arm is up
    cheering = {"both_wrists_above_head": True, "left_wrist_above_shoulder": True, "right_wrist_above_shoulder": True}
    assert gesture_reading(cheering) == "both arms up"
    assert gesture_reading({}) == ""


def test_size_reads_as_distance_too(scene):
    from dataclasses import replace

    _, _, readings = scene
    # questions name the biggest person as the nearest and the smallest as the farthest
    assert "tall, near the camera" in replace(readings[0], size="tall").describe()
    assert "small, far away" in replace(readings[0], size="small").describe()
    assert "near" not in replace(readings[0], size="").describe()


def test_a_face_seen_alone_is_read_without_posture_or_gestures(scene):
    """A person found by their face alone (the body unseen): the fit's body is only its prior, so
    the reading says no posture and no gesture rather than "standing"."""
    from dataclasses import replace

    _, people, readings = scene
    visibility = np.zeros(33, np.float32)
    visibility[:11] = 0.9  # nose, eyes, ears, mouth
    alone = replace(people[0], landmarks=replace(people[0].landmarks, visibility=visibility))
    (reading,) = read_people([alone], FRAME_SIZE)
    assert readings[0].posture  # seen whole, the same person has one
    assert reading.posture == "" and reading.gesture == "" and reading.bottom == "unseen"
