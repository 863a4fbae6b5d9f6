"""Geometric checks on hand-made poses (and on the pose library), and the pose metrics."""

import math

import pytest
import torch

from posegpt.data.named_poses import named_pose, turns_to_pose
from posegpt.eval.checks import CHECKS, mirror_check_name, run_checks
from posegpt.eval.metrics import mpjpe, pa_mpjpe, procrustes_align
from posegpt.pose import Pose, axis_angle_to_matrix

ARMS_DOWN = (("left_shoulder", "z", -75), ("right_shoulder", "z", 75))

# Hand-made poses: (joint, axis, degrees) turns in the project's frame (see named_poses.py).
POSES = {
    "t_pose": (),
    "stand": ARMS_DOWN,
    "arms_up": (("left_shoulder", "z", 85), ("right_shoulder", "z", -85)),
    "left_arm_up": (("left_shoulder", "z", 85), ("right_shoulder", "z", 75)),
    "right_arm_out": (("left_shoulder", "z", -75),),  # the right arm stays out as in the T-pose
    "arms_forward": (("left_shoulder", "y", -90), ("right_shoulder", "y", 90)),
    "clap": (  # arms forward, elbows bent inwards so the hands meet in front of the chest
        ("left_shoulder", "y", -60), ("right_shoulder", "y", 60),
        ("left_elbow", "y", -80), ("right_elbow", "y", 80),
    ),
    "hands_on_hips": (  # upper arms twisted, lowered out to the sides, forearms folded in to the hips
        ("left_shoulder", "x", 90), ("right_shoulder", "x", 90), ("left_shoulder", "z", -45), ("right_shoulder", "z", 45),
        ("left_elbow", "y", -80), ("right_elbow", "y", 80),
    ),
    "cover_face": (  # upper arms forward and up, forearms folded back to the face
        ("left_shoulder", "y", -40), ("right_shoulder", "y", 40), ("left_shoulder", "x", -50), ("right_shoulder", "x", -50),
        ("left_elbow", "y", -130), ("right_elbow", "y", 130),
    ),
    "squat": (
        ("left_hip", "x", -100), ("right_hip", "x", -100), ("left_knee", "x", 120), ("right_knee", "x", 120),
        ("left_ankle", "x", -20), ("right_ankle", "x", -20), ("spine1", "x", 25),
        ("left_shoulder", "y", -80), ("right_shoulder", "y", 80),
    ),
    "sit_chair": (
        ("left_hip", "x", -90), ("right_hip", "x", -90), ("left_knee", "x", 90), ("right_knee", "x", 90), *ARMS_DOWN,
    ),
    "sit_floor": (("left_hip", "x", -90), ("right_hip", "x", -90), *ARMS_DOWN),
    "kneel": (("left_knee", "x", 90), ("right_knee", "x", 90), ("left_ankle", "x", 30), ("right_ankle", "x", 30), *ARMS_DOWN),
    "lie_on_back": (("pelvis", "x", -90), *ARMS_DOWN),
    "lie_on_back_arms_overhead": (("pelvis", "x", -90), ("left_shoulder", "z", 85), ("right_shoulder", "z", -85)),
    "lie_on_stomach": (("pelvis", "x", 90), *ARMS_DOWN),
    "touch_toes": (
        ("pelvis", "x", 80), ("left_hip", "x", -80), ("right_hip", "x", -80), ("spine1", "x", 15), ("spine2", "x", 15),
        ("left_shoulder", "y", -90), ("right_shoulder", "y", 90),
    ),
    "plank": (("pelvis", "x", 75), ("left_shoulder", "y", -90), ("right_shoulder", "y", 90)),
    "lean_back": (("spine1", "x", -12), ("spine2", "x", -12), ("spine3", "x", -12), *ARMS_DOWN),
    "look_down": (("neck", "x", 25), *ARMS_DOWN),
    "look_up": (("neck", "x", -25), *ARMS_DOWN),
    "stand_on_right_leg": (("left_hip", "x", -80), ("left_knee", "x", 90), *ARMS_DOWN),
    "step_left_forward": (("left_hip", "x", -30), ("right_hip", "x", 25), ("right_knee", "x", 20), *ARMS_DOWN),
    "feet_wide": (("left_hip", "z", 25), ("right_hip", "z", -25), *ARMS_DOWN),
    "phone_left": (  # left hand at the left ear, right arm down
        ("left_shoulder", "y", -10), ("left_shoulder", "x", -80), ("left_elbow", "y", -150), ("right_shoulder", "z", 75),
    ),
    "hand_on_chest": (("left_shoulder", "z", -70), ("left_shoulder", "y", -30), ("left_elbow", "y", -130), ("right_shoulder", "z", 75)),
}

# What each hand-made pose must and must not pass (the pictures were checked by eye).
EXPECTED = {
    "t_pose": ({"arms_out_to_sides", "left_arm_out", "right_arm_out", "upright_standing", "torso_upright", "legs_straight", "feet_together"},
               {"both_wrists_above_head", "wrists_below_shoulders", "left_wrist_above_shoulder", "elbows_bent", "lying", "sitting"}),
    "stand": ({"wrists_below_shoulders", "left_wrist_below_shoulder", "right_wrist_below_shoulder", "upright_standing", "legs_straight"},
              {"arms_out_to_sides", "left_arm_out", "right_arm_out", "arms_forward", "hands_together", "hands_on_hips", "knees_bent", "crouched", "head_down", "head_up"}),
    "arms_up": ({"both_wrists_above_head", "left_wrist_above_head", "right_wrist_above_head", "left_wrist_above_shoulder", "upright_standing"},
                {"arms_out_to_sides", "wrists_below_shoulders", "elbows_bent"}),
    "left_arm_up": ({"left_wrist_above_head", "left_wrist_above_shoulder", "right_wrist_below_shoulder"},
                    {"left_wrist_below_shoulder", "right_wrist_above_head", "right_wrist_above_shoulder", "both_wrists_above_head"}),
    "right_arm_out": ({"right_arm_out", "left_wrist_below_shoulder"}, {"left_arm_out", "arms_out_to_sides", "right_wrist_below_shoulder"}),
    "arms_forward": ({"arms_forward", "left_arm_forward", "right_arm_forward"}, {"arms_out_to_sides", "hands_together"}),
    "clap": ({"hands_together", "elbows_bent"}, {"hands_near_face", "arms_out_to_sides"}),
    "hands_on_hips": ({"hands_on_hips", "elbows_bent", "wrists_below_shoulders"}, {"hands_together", "arms_out_to_sides"}),
    "cover_face": ({"hands_near_face", "left_hand_near_head", "right_hand_near_head", "elbows_bent"}, {"hands_on_hips"}),
    "squat": ({"squatting", "crouched", "knees_bent"}, {"upright_standing", "sitting", "lying", "kneeling", "legs_straight"}),
    "sit_chair": ({"sitting", "knees_bent", "torso_upright"}, {"squatting", "crouched", "upright_standing", "kneeling"}),
    "sit_floor": ({"sitting", "legs_straight"}, {"squatting", "upright_standing", "lying"}),
    "kneel": ({"kneeling", "torso_upright"}, {"sitting", "squatting", "upright_standing", "lying"}),
    "lie_on_back": ({"lying", "lying_on_back", "wrists_below_shoulders", "legs_straight"},
                    {"lying_on_stomach", "upright_standing", "sitting", "torso_upright", "torso_bent_forward", "torso_leaning_back"}),
    "lie_on_back_arms_overhead": ({"lying_on_back", "both_wrists_above_head"}, {"lying_on_stomach"}),
    "lie_on_stomach": ({"lying", "lying_on_stomach"}, {"lying_on_back", "both_wrists_above_head"}),
    "touch_toes": ({"torso_bent_forward", "legs_straight"}, {"torso_upright", "lying", "arms_forward", "upright_standing"}),
    "plank": ({"legs_straight", "lying", "lying_on_stomach"}, {"torso_bent_forward", "sitting", "upright_standing", "kneeling"}),
    "lean_back": ({"torso_leaning_back"}, {"torso_bent_forward", "torso_upright"}),
    "look_down": ({"head_down"}, {"head_up"}),
    "look_up": ({"head_up"}, {"head_down"}),
    "stand_on_right_leg": ({"left_foot_raised", "left_knee_raised", "left_knee_bent", "upright_standing"},
                           {"right_foot_raised", "right_knee_raised", "right_knee_bent", "knees_bent"}),
    "step_left_forward": ({"left_leg_forward"}, {"right_leg_forward", "feet_together"}),
    "feet_wide": ({"feet_apart", "legs_straight"}, {"feet_together"}),
    "phone_left": ({"left_hand_near_head", "left_elbow_bent"}, {"right_hand_near_head", "hands_near_face"}),
    "hand_on_chest": ({"left_elbow_bent", "wrists_below_shoulders"}, {"left_hand_near_head", "hands_near_face"}),
}


def _pose(name: str) -> Pose:
    return turns_to_pose(list(POSES[name]))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hand_made_pose_passes_and_fails_the_right_checks(name):
    must, must_not = EXPECTED[name]
    results = run_checks(_pose(name), CHECKS)
    assert {check for check in must if not results[check]} == set()
    assert {check for check in must_not if results[check]} == set()


@pytest.mark.parametrize("name", sorted(POSES))
def test_every_check_agrees_with_its_mirror_on_the_mirrored_pose(name):
    pose = _pose(name)
    original = run_checks(pose, CHECKS)
    mirrored = run_checks(pose.mirrored(), CHECKS)
    disagree = [check for check, value in original.items() if mirrored[mirror_check_name(check)] != value]
    assert disagree == []


@pytest.mark.parametrize(("name", "near"), [("hands_on_head", {"left", "right"}), ("scratch_head_left", {"left"}),
                                             ("yawn_stretch", set()), ("arms_up", set())])
def test_a_hand_on_top_of_the_head_is_near_the_head_and_one_held_above_it_is_not(name, near):
    """The crown point: the library's hands resting on the crown are ~0.32 arm lengths from the
    head joint (at ear height), hands reaching up over the head are not near it."""
    results = run_checks(named_pose(name), CHECKS)
    assert {side for side in ("left", "right") if results[f"{side}_hand_near_head"]} == near


def test_checks_do_not_depend_on_where_the_body_is_or_which_way_it_faces():
    """A whole-body turn about the vertical axis and a shift change nothing."""
    for name in ("squat", "stand_on_right_leg", "hands_on_hips", "lie_on_back", "touch_toes"):
        joints = _pose(name).joints()[0]
        turned = joints @ axis_angle_to_matrix(torch.tensor([0.0, 2.0, 0.0])).T + torch.tensor([0.3, -1.0, 2.0])
        assert run_checks(turned, CHECKS) == run_checks(joints, CHECKS), name


def test_thresholds_scale_with_the_body():
    joints = _pose("squat").joints()[0]
    assert run_checks(0.6 * joints, CHECKS) == run_checks(joints, CHECKS)


def test_mirror_check_name_swaps_sides_and_keeps_unsided_names():
    assert mirror_check_name("left_wrist_above_head") == "right_wrist_above_head"
    assert mirror_check_name("right_knee_raised") == "left_knee_raised"
    assert mirror_check_name("squatting") == "squatting"
    assert all(mirror_check_name(mirror_check_name(name)) == name for name in CHECKS)
    with pytest.raises(KeyError):
        mirror_check_name("left_ear_wiggling")


def test_run_checks_rejects_unknown_names_and_batches():
    with pytest.raises(KeyError, match="unknown check"):
        run_checks(_pose("stand"), ["left_wrist_above_hed"])
    with pytest.raises(ValueError, match="one pose"):
        run_checks(Pose.concat([_pose("stand"), _pose("squat")]), ["sitting"])
    with pytest.raises(ValueError, match=r"\(24, 3\)"):
        CHECKS["sitting"](torch.zeros(10, 3))


# --- the pose library -----------------------------------------------------------------------------

LIBRARY_EXPECTATIONS = [
    # (pose name pattern, checks it must pass, checks it must fail)
    ("arms_up", {"both_wrists_above_head"}, set()),
    ("celebrate_victory", {"both_wrists_above_head"}, set()),
    ("arms_overhead_stretch", {"both_wrists_above_head"}, set()),
    ("squat", {"squatting", "knees_bent"}, {"upright_standing"}),
    ("deep_squat", {"squatting"}, {"upright_standing"}),
    ("lie_on_back", {"lying_on_back"}, {"lying_on_stomach"}),
    ("lie_on_stomach", {"lying_on_stomach"}, {"lying_on_back"}),
    ("t_pose", {"arms_out_to_sides", "upright_standing"}, set()),
    ("sit_chair", {"sitting"}, {"squatting", "upright_standing"}),
    ("kneel_both_knees", {"kneeling"}, {"upright_standing"}),
    ("stand", {"upright_standing", "wrists_below_shoulders"}, {"sitting", "squatting"}),
    ("touch_toes", {"torso_bent_forward"}, {"torso_upright"}),
    ("hands_on_hips", {"hands_on_hips"}, set()),
]


@pytest.mark.parametrize("name, must, must_not", LIBRARY_EXPECTATIONS)
def test_library_poses_pass_the_checks_their_names_promise(name, must, must_not):
    library = pytest.importorskip("posegpt.data.named_poses")
    if name not in library.NAMED_POSES:
        pytest.skip(f"{name} is not in the pose library yet")
    results = run_checks(library.named_pose(name), must | must_not)
    assert [check for check in must if not results[check]] == []
    assert [check for check in must_not if results[check]] == []


def test_every_library_pose_and_its_mirror_pass_mirrored_checks():
    from posegpt.data.named_poses import NAMED_POSES, named_pose

    disagree = {}
    for name in NAMED_POSES:
        pose = named_pose(name)
        original, mirrored = run_checks(pose, CHECKS), run_checks(pose.mirrored(), CHECKS)
        wrong = [check for check, value in original.items() if mirrored[mirror_check_name(check)] != value]
        if wrong:
            disagree[name] = wrong
    assert disagree == {}


# --- metrics --------------------------------------------------------------------------------------


def test_mpjpe_is_zero_for_identical_poses_and_the_mean_distance_otherwise():
    joints = _pose("squat").joints()  # (1, 24, 3)
    assert mpjpe(joints, joints).item() == 0.0
    moved = joints.clone()
    moved[0, 5] += torch.tensor([0.0, 0.048, 0.0])  # one joint off by 48 mm → mean 2 mm
    assert mpjpe(moved, joints).item() == pytest.approx(2.0, abs=1e-4)
    # Root-aligned: a shift of the whole body costs nothing.
    assert mpjpe(joints + torch.tensor([1.0, 2.0, 3.0]), joints).item() == pytest.approx(0.0, abs=1e-4)


def test_pa_mpjpe_ignores_rotation_scale_and_translation_but_mpjpe_does_not():
    target = Pose.concat([_pose("squat"), _pose("clap")]).joints()  # (2, 24, 3)
    rotation = axis_angle_to_matrix(torch.tensor([0.4, -1.1, 0.7]))
    predicted = 1.3 * target @ rotation.T + torch.tensor([0.5, -0.2, 1.0])
    assert torch.allclose(pa_mpjpe(predicted, target), torch.zeros(2, dtype=torch.float64), atol=1e-3)
    assert (mpjpe(predicted, target) > 100).all()
    assert torch.allclose(procrustes_align(predicted.double(), target.double()), target.double(), atol=1e-5)


def test_pa_mpjpe_never_aligns_with_a_reflection():
    target = _pose("left_arm_up").joints()
    mirrored = target * torch.tensor([-1.0, 1.0, 1.0])  # a reflection is not a similarity transform
    assert pa_mpjpe(mirrored, target).item() > 20.0


def test_pa_mpjpe_matches_a_hand_computed_case():
    """Three points on a line vs the same points with the middle one moved sideways by d.

    The best fit keeps the line's direction and scale 1 and shifts it by d/3 towards the moved
    point, so the errors are d/3, 2d/3, d/3 → mean 4d/9.
    """
    d = 0.09
    target = torch.tensor([[[-1.0, 0.0, 0.0], [0.0, d, 0.0], [1.0, 0.0, 0.0]]])
    predicted = torch.tensor([[[-1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]])
    assert pa_mpjpe(predicted, target).item() == pytest.approx(1000 * 4 * d / 9, rel=1e-6)
    assert mpjpe(predicted, target).item() == pytest.approx(1000 * d / 3, rel=1e-6)


def test_metrics_accept_poses_and_broadcast_one_against_many():
    poses = Pose.concat([_pose("stand"), _pose("squat"), _pose("t_pose")])
    errors = mpjpe(_pose("stand"), poses)
    assert errors.shape == (3,) and errors[0].item() == 0.0 and (errors[1:] > 0).all()
    with pytest.raises(ValueError):
        mpjpe(torch.zeros(2, 24, 3), torch.zeros(3, 24, 3))
    assert math.isfinite(pa_mpjpe(torch.zeros(1, 24, 3), poses.joints()[:1]).item())
