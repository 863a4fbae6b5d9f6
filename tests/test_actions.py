"""The hand-authored actions: every catalogue name is there, builds, bends joints the natural way,
and puts hands and feet where its name says (checked on FK joint positions, +y up, facing +z,
the person's left on +x)."""

from __future__ import annotations

import numpy as np
import pytest

from posegpt.data.catalogue import load
from posegpt.data.named_poses import turns_to_pose
from posegpt.data.plausibility import implausible_reasons
from posegpt.eval.checks import run_checks
from posegpt.pose import SMPL_JOINT_NAMES, forward_kinematics

CATALOGUE: dict[str, tuple[str, ...]] = {
    "sports": (
        "sprint", "jog", "jump_tuck", "kick_front_left", "side_kick_left", "punch_left", "boxing_guard",
        "throw_ball_left", "basketball_shot", "tennis_serve", "golf_backswing", "soccer_kick_left",
        "swimming_freestyle", "cycling", "skiing_tuck", "goalkeeper_dive_left", "goalkeeper_ready",
        "golf_follow_through", "batting_stance", "volleyball_bump", "swimming_breaststroke",
        "swimming_backstroke", "surfing", "ice_skating_glide_left", "rowing", "archery_left",
        "uppercut_left", "hook_punch_left", "basketball_dribble_left", "soccer_throw_in", "hurdle_left",
        "catch_ball", "bowling_left", "catcher_crouch", "jump_rope", "front_splits_left", "handstand",
        "rock_climbing", "volleyball_spike_left", "kayaking", "cartwheel", "sprint_start_left",
    ),
    "everyday": (
        "wave_left_hand", "walk", "carry_box", "lift_box", "phone_call_left", "text_on_phone", "typing",
        "read_book", "point_forward_left", "point_up_left", "salute_left", "shrug", "thinking", "facepalm",
        "clap", "bow", "hand_on_heart", "cover_eyes", "hug", "reach_up_left", "look_at_watch",
        "drink_from_cup_left", "hitchhike_left", "tie_shoe", "sweep_floor", "push_heavy", "pull_rope",
        "selfie_left", "point_down_left", "point_at_self_left", "wave_both_hands", "beckon_left",
        "stop_gesture_left", "cover_ears", "cover_mouth", "scratch_head_left", "hands_on_head",
        "thumbs_up_left", "driving", "carry_tray_left", "play_guitar", "chop_wood", "take_photo",
        "lean_on_elbows", "foot_on_step_left", "lean_wall_back", "high_five_left", "handshake_left",
        "bag_over_shoulder_left",
    ),
    "dance": (
        "disco_point_left", "ballet_arabesque_left", "ballet_first_position", "ymca_y", "dab_left",
        "hip_hop_pose", "salsa_turn", "ballet_second_plie", "jazz_hands", "ballroom_hold", "twist_dance",
        "robot_dance", "ballet_passe_left", "chicken_dance", "flamenco",
    ),
    "martial arts": (
        "karate_punch_left", "karate_front_stance", "crane_stance_left", "high_block_left",
        "roundhouse_kick_left", "fencing_lunge_left", "horse_stance", "back_kick_left",
    ),
    "emotion/situation": (
        "celebrate_victory", "surrender", "cold_shivering", "exhausted_hands_on_knees", "sad_slumped",
        "scared_cowering", "angry_fists", "power_pose", "yawn_stretch", "flex_biceps", "begging_on_knees",
        "shush_left", "facepalm_seated", "jump_for_joy", "startled", "shy", "heart_hands_overhead",
        "fist_pump_left", "head_in_hands_seated", "hopeful_hands_under_chin", "laughing_holding_belly",
        "sneaking",
    ),
}
ALL_NAMES = [name for names in CATALOGUE.values() for name in names]
ENTRIES = load("actions")  # posegpt/data/catalogues/actions.yaml

# Face points in the rest skeleton's head frame (offsets from the head joint), metres.
_FACE_OFFSETS = {"forehead": (0.0, 0.09, 0.09), "mouth": (0.0, -0.04, 0.105), "eyes": (0.0, 0.04, 0.095)}


class Joints:
    """FK joint positions of one authored pose, looked up by SMPL joint name."""

    def __init__(self, name: str) -> None:
        pose = turns_to_pose(list(ENTRIES[name].turns))
        self.positions = pose.joints()[0].numpy()  # (24, 3)
        self.local_rotvecs = pose.axis_angle()[0].numpy()  # (24, 3)
        self.world_rotations = forward_kinematics(pose.rotation_matrices())[0][0].numpy()  # (24, 3, 3)

    def __getitem__(self, joint: str) -> np.ndarray:
        return self.positions[SMPL_JOINT_NAMES.index(joint)]

    def face(self, point: str) -> np.ndarray:
        """A point on the face, carried along by the head's rotation."""
        head = SMPL_JOINT_NAMES.index("head")
        return self.positions[head] + self.world_rotations[head] @ np.array(_FACE_OFFSETS[point])

    def bend(self, upper: str, middle: str, lower: str) -> float:
        """Degrees a limb is bent at `middle` (0 = straight)."""
        a, b = self[middle] - self[upper], self[lower] - self[middle]
        cosine = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
        return float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))

    def distance(self, a: str | np.ndarray, b: str | np.ndarray) -> float:
        a = self[a] if isinstance(a, str) else a
        b = self[b] if isinstance(b, str) else b
        return float(np.linalg.norm(a - b))


@pytest.fixture(scope="module")
def joints() -> dict[str, Joints]:
    return {name: Joints(name) for name in ALL_NAMES}


# -- the catalogue --------------------------------------------------------------------------------


@pytest.mark.parametrize("category", sorted(CATALOGUE))
def test_every_catalogue_name_exists_with_its_category(category):
    missing = [name for name in CATALOGUE[category] if name not in ENTRIES]
    assert not missing, f"{category}: missing {missing}"
    wrong = {name: ENTRIES[name].category for name in CATALOGUE[category]}
    wrong = {name: found for name, found in wrong.items() if found != category}
    assert not wrong, f"{category}: wrong categories {wrong}"


def test_actions_hold_only_catalogue_names():
    assert sorted(ENTRIES) == sorted(ALL_NAMES)


def test_entries_are_documented_and_turns_are_well_formed():
    for name, entry in ENTRIES.items():
        assert entry.name == name and len(entry.description) > 10, name
        assert entry.turns, name
        for joint, axis, degrees in entry.turns:
            assert joint in SMPL_JOINT_NAMES, (name, joint)
            assert axis in ("x", "y", "z"), (name, axis)
            assert np.isfinite(degrees) and abs(degrees) <= 180, (name, joint, degrees)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_pose_builds_with_finite_values(name):
    pose = turns_to_pose(list(ENTRIES[name].turns))
    assert pose.global_orient.shape == (1, 3) and pose.body_pose.shape == (1, 69)
    assert np.isfinite(pose.global_orient).all() and np.isfinite(pose.body_pose).all()
    assert np.isfinite(pose.joints().numpy()).all()


# -- anatomy: elbows and knees are hinges that bend one way, and not past their range -----------


@pytest.mark.parametrize("name", ALL_NAMES)
def test_elbows_and_knees_bend_like_hinges(name, joints):
    j = joints[name]
    for side, flex_sign in (("left", -1.0), ("right", 1.0)):
        elbow = np.degrees(j.local_rotvecs[SMPL_JOINT_NAMES.index(f"{side}_elbow")])  # (3,)
        # The elbow folds about its y axis only (left -y, right +y): no sideways or backward bend.
        assert flex_sign * elbow[1] >= -3 and abs(elbow[0]) < 12 and abs(elbow[2]) < 12, (side, elbow)
        knee = np.degrees(j.local_rotvecs[SMPL_JOINT_NAMES.index(f"{side}_knee")])
        # The knee folds the shin backwards about x only: never hyperextended nor twisted.
        assert knee[0] >= -3 and abs(knee[1]) < 6 and abs(knee[2]) < 6, (side, knee)
        assert j.bend(f"{side}_shoulder", f"{side}_elbow", f"{side}_wrist") <= 152
        assert j.bend(f"{side}_hip", f"{side}_knee", f"{side}_ankle") <= 152


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_pose_and_its_mirror_pass_the_plausibility_limits(name):
    pose = turns_to_pose(list(ENTRIES[name].turns))
    assert implausible_reasons(pose)[0] == []
    assert implausible_reasons(pose.mirrored())[0] == []


# The evaluation's geometric checks (posegpt/eval/checks.py) must agree with what the names say.
IMPLIED_CHECKS: dict[str, tuple[str, ...]] = {
    "surrender": ("left_wrist_above_shoulder", "right_wrist_above_shoulder", "elbows_bent"),
    "celebrate_victory": ("both_wrists_above_head",),
    "ymca_y": ("both_wrists_above_head",),
    "phone_call_left": ("left_hand_near_head",),
    "salute_left": ("left_hand_near_head",),
    "wave_left_hand": ("left_wrist_above_head", "left_elbow_bent"),
    "point_forward_left": ("left_arm_forward",),
    "sprint": ("left_knee_raised", "left_leg_forward"),
    "kick_front_left": ("left_foot_raised", "left_leg_forward"),
    "crane_stance_left": ("left_knee_raised",),
    "cover_eyes": ("hands_near_face",),
    "clap": ("hands_together",),
    "begging_on_knees": ("kneeling", "hands_together"),
    "power_pose": ("hands_on_hips", "feet_apart"),
    "swimming_freestyle": ("lying", "lying_on_stomach"),
    "bow": ("torso_bent_forward",),
    "exhausted_hands_on_knees": ("torso_bent_forward", "knees_bent"),
    "typing": ("sitting",),
    "facepalm_seated": ("sitting", "torso_bent_forward", "head_down"),
    "lift_box": ("squatting",),
    "text_on_phone": ("head_down", "elbows_bent"),
}


@pytest.mark.parametrize("name", sorted(IMPLIED_CHECKS))
def test_the_evaluation_checks_agree_with_the_name(name):
    results = run_checks(turns_to_pose(list(ENTRIES[name].turns)), IMPLIED_CHECKS[name])
    assert all(results.values()), results


# -- sports ---------------------------------------------------------------------------------------


def test_sprint_drives_one_knee_high_in_front(joints):
    j = joints["sprint"]
    front = max(("left_knee", "right_knee"), key=lambda knee: j[knee][2])
    assert j[front][2] > 0.25 and j[front][1] > j["pelvis"][1] - 0.2
    assert j.bend("right_shoulder", "right_elbow", "right_wrist") > 60  # pumping arms


def test_kick_front_left_kicks_the_left_foot_forward_and_up(joints):
    j = joints["kick_front_left"]
    assert j["left_ankle"][2] > 0.6 and j["left_ankle"][1] > -0.3
    assert j["right_ankle"][1] < -0.8  # standing leg


def test_side_kick_left_kicks_out_to_the_left(joints):
    j = joints["side_kick_left"]
    assert j["left_ankle"][0] > 0.6 and j["left_ankle"][1] > -0.2


def test_punch_left_extends_the_left_fist_forward_at_shoulder_height(joints):
    j = joints["punch_left"]
    assert j["left_wrist"][2] > 0.4 and abs(j["left_wrist"][1] - j["left_shoulder"][1]) < 0.12
    assert j.distance("right_wrist", j.face("mouth")) < 0.25  # guard at the chin


def test_boxing_guard_holds_both_fists_by_the_chin(joints):
    j = joints["boxing_guard"]
    for wrist in ("left_wrist", "right_wrist"):
        assert j.distance(wrist, j.face("mouth")) < 0.25 and j[wrist][2] > 0.1


def test_throw_ball_left_cocks_the_left_hand_high_behind(joints):
    j = joints["throw_ball_left"]
    assert j["left_wrist"][1] > j["head"][1] and j["left_wrist"][2] < j["left_shoulder"][2]
    assert j["right_wrist"][2] > 0.3  # aiming arm


def test_jump_tuck_and_basketball_shot(joints):
    tuck = joints["jump_tuck"]
    assert min(tuck["left_knee"][1], tuck["right_knee"][1]) > -0.15
    shot = joints["basketball_shot"]
    assert min(shot["left_wrist"][1], shot["right_wrist"][1]) > shot["head"][1] + 0.1
    assert shot.bend("left_shoulder", "left_elbow", "left_wrist") > 50


def test_golf_backswing_has_both_hands_together_high_on_the_right(joints):
    j = joints["golf_backswing"]
    assert j.distance("left_wrist", "right_wrist") < 0.15
    assert j["left_wrist"][0] < -0.3 and j["left_wrist"][1] > j["right_shoulder"][1]


def test_lying_and_flying_sports_are_horizontal(joints):
    swim = joints["swimming_freestyle"]
    assert abs(swim["head"][1]) < 0.25 and swim["head"][2] > 0.4  # body along the ground
    assert swim["left_wrist"][2] > swim["head"][2] + 0.3  # leading arm stretched ahead
    dive = joints["goalkeeper_dive_left"]
    assert dive["head"][0] > 0.4 and abs(dive["head"][1]) < 0.3  # flying towards the left
    assert min(dive["left_wrist"][0], dive["right_wrist"][0]) > 0.6


def test_cycling_and_skiing_are_crouched_forward(joints):
    for name in ("cycling", "skiing_tuck"):
        j = joints[name]
        assert j["neck"][2] > 0.2, name  # torso leaning forward
        assert j["neck"][1] < 0.38, name


# -- everyday -------------------------------------------------------------------------------------


def test_phone_call_left_holds_the_left_hand_at_the_left_ear(joints):
    j = joints["phone_call_left"]
    assert j.distance("left_wrist", "head") < 0.2 and j["left_hand"][0] > 0.05
    assert j["right_wrist"][1] < 0.1


def test_point_forward_left_points_straight_ahead_at_shoulder_height(joints):
    j = joints["point_forward_left"]
    assert j["left_wrist"][2] > 0.45 and abs(j["left_wrist"][1] - j["left_shoulder"][1]) < 0.1
    assert j.bend("left_shoulder", "left_elbow", "left_wrist") < 15


def test_pointing_up_reaching_up_and_waving_use_the_left_hand(joints):
    for name in ("point_up_left", "reach_up_left", "wave_left_hand"):
        j = joints[name]
        assert j["left_wrist"][1] > j["head"][1], name
        assert j["right_wrist"][1] < j["right_shoulder"][1], name
    assert joints["reach_up_left"]["left_wrist"][1] > 0.85


def test_salute_left_puts_the_left_hand_at_the_forehead(joints):
    j = joints["salute_left"]
    assert j.distance("left_hand", j.face("forehead")) < 0.1 and j["left_elbow"][0] > 0.25


def test_hands_at_the_face(joints):
    palm = joints["facepalm"]
    assert min(palm.distance(hand, palm.face("eyes")) for hand in ("left_hand", "right_hand")) < 0.1
    eyes = joints["cover_eyes"]
    assert max(eyes.distance(h, eyes.face("eyes")) for h in ("left_hand", "right_hand")) < 0.1
    for name in ("drink_from_cup_left", "shush_left"):
        assert joints[name].distance("left_hand", joints[name].face("mouth")) < 0.1, name
    thinking = joints["thinking"]
    assert thinking.distance("right_hand", thinking.face("mouth")) < 0.12


def test_clap_brings_the_wrists_together_in_front_of_the_chest(joints):
    j = joints["clap"]
    assert j.distance("left_wrist", "right_wrist") < 0.15
    assert j.distance("left_hand", "right_hand") < 0.09  # palm to palm: two hand thicknesses
    assert min(j["left_wrist"][2], j["right_wrist"][2]) > 0.2 and 0.15 < j["left_wrist"][1] < 0.45


def test_hand_on_heart_and_look_at_watch(joints):
    heart = joints["hand_on_heart"]
    assert heart.distance("right_hand", np.array([0.08, 0.27, 0.15])) < 0.06
    watch = joints["look_at_watch"]
    assert watch["left_wrist"][2] > 0.25 and abs(watch["left_wrist"][1] - watch["left_elbow"][1]) < 0.1
    assert watch.world_rotations[SMPL_JOINT_NAMES.index("head")][2, 1] > 0.2  # face tilted down


def test_holding_things_in_front(joints):
    for name in ("carry_box", "text_on_phone", "read_book", "typing", "hug"):
        j = joints[name]
        assert min(j["left_wrist"][2], j["right_wrist"][2]) > 0.2, name
        assert j.bend("left_shoulder", "left_elbow", "left_wrist") > 45, name
    assert joints["text_on_phone"].distance("left_hand", "right_hand") < 0.13
    assert joints["carry_box"].distance("left_wrist", "right_wrist") > 0.3


def test_shrug_raises_the_shoulders(joints):
    j = joints["shrug"]
    assert j["left_shoulder"][1] > 0.41 and j["right_shoulder"][1] > 0.41
    assert j["left_wrist"][0] > j["left_elbow"][0] and j["right_wrist"][0] < j["right_elbow"][0]


def test_hitchhike_left_holds_the_left_arm_out_to_the_left(joints):
    j = joints["hitchhike_left"]
    assert j["left_wrist"][0] > 0.55 and j["right_wrist"][1] < 0.1


def test_bending_down_poses(joints):
    bow = joints["bow"]
    assert bow["head"][2] > 0.3 and bow["head"][1] < 0.45
    lift = joints["lift_box"]
    knee_height = min(lift["left_knee"][1], lift["right_knee"][1])
    assert max(lift["left_wrist"][1], lift["right_wrist"][1]) < knee_height
    shoe = joints["tie_shoe"]
    assert shoe.distance("left_hand", "left_ankle") < 0.2 and shoe.distance("right_hand", "left_ankle") < 0.25
    assert shoe["right_knee"][1] < shoe["left_knee"][1] - 0.3  # kneeling on the right knee


# -- dance ----------------------------------------------------------------------------------------


def test_disco_and_dab_point_up_to_the_left(joints):
    disco = joints["disco_point_left"]
    assert disco["left_wrist"][0] > 0.4 and disco["left_wrist"][1] > disco["head"][1]
    assert disco.distance("right_hand", "right_hip") < 0.2  # hand on the hip
    dab = joints["dab_left"]
    assert dab["left_wrist"][0] > 0.4 and dab["left_wrist"][1] > dab["head"][1]
    assert dab.distance("right_elbow", dab.face("eyes")) < 0.15  # face in the elbow


def test_ballet_poses(joints):
    arabesque = joints["ballet_arabesque_left"]
    assert arabesque["left_ankle"][2] < -0.6 and arabesque["left_ankle"][1] > -0.3
    assert arabesque["right_ankle"][1] < -0.8
    first = joints["ballet_first_position"]
    assert first.distance("left_ankle", "right_ankle") < 0.2
    assert first["left_foot"][0] > first["left_ankle"][0] + 0.05  # toes turned out
    assert first["right_foot"][0] < first["right_ankle"][0] - 0.05


def test_ymca_y_and_salsa_turn(joints):
    y = joints["ymca_y"]
    assert min(y["left_wrist"][1], y["right_wrist"][1]) > y["head"][1] + 0.15
    assert y["left_wrist"][0] > 0.3 and y["right_wrist"][0] < -0.3
    salsa = joints["salsa_turn"]
    assert salsa["left_wrist"][1] > salsa["head"][1]


def test_hip_hop_pose_stands_wide_with_bent_knees(joints):
    j = joints["hip_hop_pose"]
    assert j.distance("left_ankle", "right_ankle") > 0.5
    assert j.bend("left_hip", "left_knee", "left_ankle") > 30


# -- martial arts ---------------------------------------------------------------------------------


def test_karate_punch_left_and_front_stance(joints):
    punch = joints["karate_punch_left"]
    assert punch["left_wrist"][2] > 0.4 and abs(punch["left_wrist"][0]) < 0.1  # to the centre line
    assert punch["right_wrist"][1] < 0.15 and punch["right_elbow"][2] < 0  # fist pulled to the hip
    stance = joints["karate_front_stance"]
    assert stance["left_ankle"][2] > 0.2 and stance["right_ankle"][2] < -0.2
    assert stance.bend("left_hip", "left_knee", "left_ankle") > 40
    assert stance.bend("right_hip", "right_knee", "right_ankle") < 10


def test_crane_and_kicks_lift_the_left_leg(joints):
    crane = joints["crane_stance_left"]
    assert crane["left_knee"][1] > -0.15 and crane["left_knee"][2] > 0.3
    assert crane["right_ankle"][1] < -0.8
    kick = joints["roundhouse_kick_left"]
    assert kick["left_ankle"][1] > kick["pelvis"][1] - 0.1 and kick["left_ankle"][0] > 0.3


def test_high_block_left_raises_the_left_forearm_above_the_head(joints):
    j = joints["high_block_left"]
    assert min(j["left_wrist"][1], j["left_elbow"][1]) > j["head"][1]
    assert j["left_wrist"][0] < j["left_elbow"][0] - 0.15  # forearm across, not straight up


def test_fencing_lunge_left_lunges_and_thrusts_forward(joints):
    j = joints["fencing_lunge_left"]
    assert j["left_ankle"][2] > 0.3 and j["right_ankle"][2] < -0.3
    assert j["left_wrist"][2] > 0.5


# -- emotion / situation ----------------------------------------------------------------------------


def test_surrender_raises_bent_arms(joints):
    j = joints["surrender"]
    for side in ("left", "right"):
        assert j[f"{side}_wrist"][1] > j[f"{side}_shoulder"][1] + 0.15
        assert j.bend(f"{side}_shoulder", f"{side}_elbow", f"{side}_wrist") > 60


def test_arms_above_the_head(joints):
    for name in ("celebrate_victory", "yawn_stretch"):
        j = joints[name]
        assert min(j["left_wrist"][1], j["right_wrist"][1]) > j["head"][1] + 0.1, name
    flex = joints["flex_biceps"]
    for side in ("left", "right"):
        assert flex.bend(f"{side}_shoulder", f"{side}_elbow", f"{side}_wrist") > 100
        assert flex[f"{side}_wrist"][1] > flex[f"{side}_shoulder"][1]


def test_self_hug_and_hands_on_body(joints):
    cold = joints["cold_shivering"]
    assert cold["left_hand"][0] < -0.1 and cold["right_hand"][0] > 0.1  # arms crossed
    power = joints["power_pose"]
    assert power.distance("left_hand", "left_hip") < 0.15 and power.distance("right_hand", "right_hip") < 0.15
    assert power["left_elbow"][0] > 0.3  # elbows out
    tired = joints["exhausted_hands_on_knees"]
    for side in ("left", "right"):
        assert tired.distance(f"{side}_hand", f"{side}_knee") < 0.14


def test_low_and_slumped_emotions(joints):
    sad = joints["sad_slumped"]
    assert sad.world_rotations[SMPL_JOINT_NAMES.index("head")][2, 1] > 0.5  # head hanging
    scared = joints["scared_cowering"]
    assert scared["head"][1] < 0.4 and scared.distance("left_wrist", scared.face("eyes")) < 0.2
    angry = joints["angry_fists"]
    assert angry.bend("left_shoulder", "left_elbow", "left_wrist") > 45


def test_begging_on_knees_kneels_with_hands_together(joints):
    j = joints["begging_on_knees"]
    assert j["left_knee"][1] < -0.4 and abs(j["left_ankle"][1] - j["left_knee"][1]) < 0.1  # shins flat
    assert j.distance("left_hand", "right_hand") < 0.09 and j["left_hand"][2] > 0.15


def test_facepalm_seated_sits_with_the_face_in_the_hand(joints):
    j = joints["facepalm_seated"]
    assert abs(j["left_knee"][1] - j["left_hip"][1]) < 0.1  # thighs level
    assert j.distance("right_hand", j.face("eyes")) < 0.12


def test_cartwheel_and_sprint_start(joints):
    cartwheel = joints["cartwheel"]
    assert cartwheel["head"][1] < cartwheel["pelvis"][1] - 0.4  # upside down
    assert cartwheel.distance("left_wrist", "right_wrist") > 0.6 and cartwheel.distance("left_ankle", "right_ankle") > 0.8
    start = joints["sprint_start_left"]
    lowest = start.positions[:, 1].min()
    assert start["left_wrist"][1] - lowest < 0.2 and start["right_knee"][1] - lowest < 0.12  # hands and back knee down
    assert start["left_ankle"][2] > start["right_knee"][2] + 0.05  # left foot in front of the back knee
    assert start["left_wrist"][2] > start["left_ankle"][2] + 0.3  # hands on the track ahead of the feet
    assert start.bend("left_hip", "left_knee", "left_ankle") > 100
