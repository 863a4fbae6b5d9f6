"""The situation library: enough situations and phrasings, valid names, checks that hold, clean splits."""

from __future__ import annotations

import re

import pytest

from posegpt.data.named_poses import POSE_LIBRARY, named_pose
from posegpt.data.speculative import (
    SITUATIONS,
    answer_templates,
    family_poses,
    heldout_situations,
    mirrored_check,
    phrasings,
    training_situations,
)
from posegpt.data.splits import is_heldout
from posegpt.eval.checks import CHECKS, run_checks


def test_library_size_and_phrasings() -> None:
    assert len(SITUATIONS) >= 80
    for situation in SITUATIONS.values():
        assert len(set(situation.phrasings)) == len(situation.phrasings) >= 6, situation.name
        assert all(len(text.split()) >= 4 for text in situation.phrasings), situation.name
        assert situation.answer_templates, situation.name
        for answer in situation.answer_templates:
            assert answer.count("<POSE>") == 1, (situation.name, answer)
        assert "<POSE>" not in " ".join(situation.phrasings)


def test_pose_and_check_names_exist() -> None:
    for situation in SITUATIONS.values():
        unknown_poses = [name for name in situation.pose_names if name not in POSE_LIBRARY]
        unknown_checks = [name for name in situation.checks if name not in CHECKS]
        assert not unknown_poses and not unknown_checks, (situation.name, unknown_poses, unknown_checks)
        assert situation.checks, f"{situation.name} has no check: evaluation could not score it"


def _bare_names(pose_name: str) -> list[str]:
    """The readable names of a pose without articles ("a tennis serve" → "tennis serve")."""
    from posegpt.data.conversations import readable_names

    return [re.sub(r"^(a|an|the|someone)\s+", "", phrase.lower()) for phrase in readable_names(pose_name)]


def test_phrasings_never_just_name_the_pose() -> None:
    from posegpt.data.conversations import NAMED_REQUESTS, readable_names

    for situation in SITUATIONS.values():
        for text in situation.phrasings:
            lowered = text.lower().replace("-", " ")
            for pose_name in situation.pose_names:
                for bare in _bare_names(pose_name):
                    if len(bare.split()) >= 2:  # a one-word name ("squat") may be an ordinary word
                        assert bare.replace("-", " ") not in lowered, (situation.name, text, bare)
                for phrase in readable_names(pose_name):
                    named = {t.replace("{name}", phrase).replace("{Name}", phrase.capitalize()).lower() for t in NAMED_REQUESTS}
                    assert lowered not in named, (situation.name, text)


def test_checks_hold_on_every_family_pose_and_its_mirror() -> None:
    for situation in SITUATIONS.values():
        for name in situation.pose_names:
            pose = named_pose(name)
            results = run_checks(pose, situation.checks)
            assert all(results.values()), (situation.name, name, results)
            if situation.side_free:
                mirrored = run_checks(pose.mirrored(), [mirrored_check(c) for c in situation.checks])
                assert all(mirrored.values()), (situation.name, name, mirrored)


def test_mirrored_check_swaps_sides() -> None:
    assert mirrored_check("left_wrist_above_head") == "right_wrist_above_head"
    assert mirrored_check("right_knee_raised") == "left_knee_raised"
    assert mirrored_check("both_wrists_above_head") == "both_wrists_above_head"
    assert mirrored_check("elbows_bent") == "elbows_bent"


def test_split_of_situations_and_phrasings() -> None:
    held = {s.name for s in heldout_situations()}
    trained = {s.name for s in training_situations()}
    assert held and trained and not held & trained and held | trained == set(SITUATIONS)
    assert held == {name for name in SITUATIONS if is_heldout("situation", name)}
    for situation in SITUATIONS.values():
        train = dict(phrasings(situation, "train"))
        evaluation = dict(phrasings(situation, "eval"))
        assert not set(train) & set(evaluation)
        assert all(not is_heldout("template", tid) for tid in train)
        if situation.name in held:
            assert not train and len(evaluation) == len(situation.phrasings)
        else:
            assert set(train) | set(evaluation) == {situation.phrasing_id(i) for i in range(len(situation.phrasings))}
            assert all(is_heldout("template", tid) for tid in evaluation)
    # Evaluation has both unseen situations and unseen phrasings of seen situations.
    assert any(phrasings(s, "eval") for s in training_situations())


def test_every_situation_can_be_trained_or_evaluated_on_a_known_body() -> None:
    """Held-out situations still answer with bodies seen in training (the test is the situation,
    not a new body); training situations have training poses, phrasings and answers."""
    for situation in SITUATIONS.values():
        assert family_poses(situation, "train"), f"{situation.name}: every pose of its family is held out"
        assert all(not is_heldout("pose", name) for name in family_poses(situation, "train"))
        if not is_heldout("situation", situation.name):
            assert phrasings(situation, "train") and answer_templates(situation, "train"), situation.name
            assert all(not is_heldout("template", tid) for tid, _ in answer_templates(situation, "train"))


def test_phrasings_rejects_unknown_split() -> None:
    with pytest.raises(ValueError):
        phrasings(next(iter(SITUATIONS)), "test")  # type: ignore[arg-type]
