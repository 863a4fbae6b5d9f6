"""The side a request names is the side the bank's pose shows (posegpt.sides)."""

from __future__ import annotations

import math

import pytest
import torch

from posegpt.data.named_poses import named_pose
from posegpt.eval.checks import run_checks
from posegpt.pose import NUM_JOINTS, SMPL_JOINT_NAMES, Pose
from posegpt.sides import leaning_side, named_sides, on_default_side, on_named_sides, only_side, says_both_sides


@pytest.mark.parametrize("text, sides", [
    ("put your right hand on your head", {"arm": "right"}),
    ("Lift your LEFT knee up to hip height", {"leg": "left"}),
    ("raise your left arm and your right knee", {"arm": "left", "leg": "right"}),
    ("reach up with the right upper arm", {"arm": "right"}),  # a word between side and part
    ("turn left and raise your arms", {}),  # a direction, not a side of the body
    ("all right, hands up", {}),
    ("balance on your left leg with your arms out wide", {"leg": "right"}),  # the leg it rests on: the other one lifts
    ("kneel on the right knee", {"leg": "left"}),
    ("rest your chin on your right hand", {"arm": "right"}),  # a chin rests on it: the hand does the checks
    ("sit and rest your left hand on your left knee", {"arm": "left", "leg": "left"}),  # a hand on a knee: no support
    ("stand on your right foot with the left foot lifted behind you", {"leg": "left"}),  # both say the left lifts
    ("lift your left knee and stand on your left leg", {}),  # the words contradict themselves
    ("step back with your left leg and bend both knees", {"leg": "right"}),  # stepped back: the right leg is in front
    ("step your right foot back into a lunge", {"leg": "left"}),
    ("kick your left leg back", {"leg": "left"}),  # kicked, not stepped: the left leg is lifted
    ("", {}),
])
def test_named_sides_reads_a_side_word_followed_by_a_body_part(text, sides):
    assert named_sides(text) == sides


def _left_arm_up() -> Pose:
    """Standing, arms down, the left arm raised above the shoulder (rotation about the body's z)."""
    axis_angle = torch.zeros(1, NUM_JOINTS, 3)
    axis_angle[0, SMPL_JOINT_NAMES.index("left_shoulder"), 2] = math.radians(70)
    axis_angle[0, SMPL_JOINT_NAMES.index("right_shoulder"), 2] = math.radians(70)
    return Pose.from_axis_angle(axis_angle)


def test_a_pose_is_mirrored_only_when_its_side_disagrees_with_the_words():
    pose = _left_arm_up()
    assert run_checks(pose, ["left_wrist_above_shoulder", "right_wrist_above_shoulder"]) == {
        "left_wrist_above_shoulder": True, "right_wrist_above_shoulder": False}
    assert leaning_side(pose, "arm") == "left" and leaning_side(pose, "leg") is None
    turned = on_named_sides(pose, "raise your right hand please")
    assert run_checks(turned, ["left_wrist_above_shoulder", "right_wrist_above_shoulder"]) == {
        "left_wrist_above_shoulder": False, "right_wrist_above_shoulder": True}
    for agreeing in ("raise your left hand please", "raise a hand", "lift your right knee"):  # agrees / names nothing it does
        assert on_named_sides(pose, agreeing) is pose


def test_words_asking_both_of_a_pair():
    assert says_both_sides("put your arms out in front") and says_both_sides("bend your knees a little")
    assert says_both_sides("now raise both over your head")  # "both" alone
    assert not says_both_sides("raise your left arm") and not says_both_sides("lift one of your legs")
    assert not says_both_sides("bend over") and not says_both_sides("stretch your arm")
    assert not says_both_sides("both arms, the left one higher")  # a side is named


def test_words_that_name_no_side_get_the_default_side():
    salute = named_pose("salute_left")  # authored with the left hand
    assert leaning_side(salute, "arm") == "left"
    assert leaning_side(on_default_side(salute, "a guy saluting the flag"), "arm") == "right"
    assert on_default_side(salute, "salute with your left hand") is salute  # a side is named
    right = salute.mirrored()
    assert on_default_side(right, "a military salute") is right  # already on the default side
    stand = named_pose("stand")
    assert on_default_side(stand, "just stand") is stand  # leans neither way


@pytest.mark.parametrize("text, group, side", [
    ("raise just your right hand above your head", "arm", "right"),
    ("left arm only, please", "arm", "left"),
    ("wave with only your left hand", "arm", "left"),
    ("raise your right hand", "arm", None),  # no only word: the other arm is the pose's
    ("just raise both arms", "arm", None),  # no side
    ("only use your left hand and right foot", "leg", "right"),
    ("raise your left hand and your right hand only", "arm", None),  # both sides named
])
def test_only_side_is_the_side_a_clause_asks_to_act_alone(text, group, side):
    assert only_side(text, group) == side


def test_twin_side_is_a_side_named_alone_when_both_sides_do_it():
    from posegpt.sides import twin_side

    arms_up = named_pose("arms_up")
    assert twin_side("put your left hand up", arms_up, "arm") == "left"
    assert twin_side("put both hands up", arms_up, "arm") is None  # a pair asked
    assert twin_side("right arm out to the side and both hands at head height", arms_up, "arm") is None
    assert twin_side("raise your right hand, feet apart", arms_up, "arm") == "right"  # a pair of legs
    assert twin_side("hands up, left one higher", arms_up, "arm") is None  # "hands": a pair
    assert twin_side("put your left hand up", named_pose("salute_left"), "arm") is None  # the arms differ
    assert twin_side("put your left hand up", named_pose("stand"), "arm") is None  # neither does anything
