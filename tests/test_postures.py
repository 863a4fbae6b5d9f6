"""The hand-authored postures: every catalogue name exists, builds, and has the body it promises.

Geometry is measured on FK joints of the default rest skeleton (metres, +y up, the body faces +z,
its left on +x, pelvis at the origin).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from posegpt.data.catalogue import load
from posegpt.data.named_poses import turns_to_pose
from posegpt.data.plausibility import implausible_reasons
from posegpt.pose import SMPL_JOINT_NAMES, forward_kinematics

CATALOGUE: dict[str, tuple[str, ...]] = {
    "standing": (
        "t_pose", "a_pose", "stand", "arms_up", "arms_crossed", "hands_on_hips", "hands_behind_head",
        "arms_forward", "arms_out_to_sides_low", "stand_on_left_leg", "lean_forward", "lean_back",
        "look_up", "look_down", "turn_head_left", "hands_in_pockets", "hand_on_hip_left", "at_ease",
        "head_tilt_left", "look_over_left_shoulder", "raise_hand_left", "hands_clasped_in_front",
        "arms_wide_open", "stand_feet_wide", "hands_on_lower_back", "prayer_hands", "mountain_pose",
        "calf_raise", "scarecrow",
    ),
    "sitting": (
        "sit_chair", "sit_chair_legs_crossed", "sit_floor_cross_legged", "sit_floor_legs_straight",
        "sit_hugging_knees", "sit_on_heels", "sit_slouched", "sit_elbows_on_knees",
        "sit_chair_ankle_on_knee_left", "sit_stool", "sit_reclined", "sit_chin_on_left_hand",
        "sit_floor_leaning_back", "sit_floor_left_knee_up", "sit_reading_book",
    ),
    "kneeling": (
        "kneel_both_knees", "kneel_on_left_knee", "kneel_praying", "on_all_fours", "kneel_arms_raised",
    ),
    "lying": (
        "lie_on_back", "lie_on_stomach", "lie_on_left_side", "starfish", "lie_back_hands_behind_head",
        "lie_back_knees_up", "lie_stomach_on_elbows", "fetal_position_left", "lie_back_arms_overhead",
    ),
    "squat/lunge/bend": (
        "squat", "deep_squat", "half_squat", "lunge", "side_lunge_left", "touch_toes", "side_bend_left",
        "back_bend", "sumo_squat", "curtsy_lunge_left", "pistol_squat_left", "pick_up_left", "low_lunge",
        "deadlift", "overhead_squat", "wide_leg_forward_fold",
    ),
    "yoga/fitness": (
        "tree_pose", "warrior_one", "warrior_two", "triangle_pose", "downward_dog", "cobra_pose",
        "child_pose", "plank", "push_up_down", "chair_pose", "bridge_pose", "quad_stretch_left",
        "arms_overhead_stretch", "jumping_jack_open", "sit_up", "warrior_three_left", "boat_pose",
        "pigeon_pose_left", "bound_angle_pose", "seated_forward_fold", "happy_baby", "cat_pose", "cow_pose",
        "dancer_pose_left", "side_plank_left", "push_up_up", "mountain_climber_left", "superman",
        "leg_raise", "bicycle_crunch_left", "bicep_curl", "triceps_stretch_left", "cross_body_stretch_left",
        "neck_stretch_left", "chest_stretch", "calf_stretch", "hamstring_stretch_left", "bent_over_row",
        "barbell_back_squat", "garland_pose", "extended_side_angle_left", "reverse_warrior_left",
        "russian_twist", "single_leg_bridge_left", "fire_hydrant_left", "bird_dog_left", "knees_to_chest",
        "seated_twist_left", "lunge_twist_left", "goddess_pose", "crow_pose", "eagle_pose_left", "headstand",
        "shoulder_stand", "plow_pose", "wheel_pose", "camel_pose", "standing_split_left", "pyramid_pose_left",
        "wall_sit", "dead_bug", "half_moon_left", "bow_pose",
    ),
}
ALL_NAMES = [name for names in CATALOGUE.values() for name in names]
ENTRIES = load("postures")  # posegpt/data/catalogues/postures.yaml


class Body:
    """Joint positions and world rotations of one posture, addressed by SMPL joint name."""

    def __init__(self, name: str) -> None:
        rotations = turns_to_pose(list(ENTRIES[name].turns)).rotation_matrices()[0]  # (24, 3, 3)
        world, positions = forward_kinematics(rotations.double())
        self._world = world.numpy()  # (24, 3, 3)
        self._positions = positions.numpy()  # (24, 3)

    def __getitem__(self, joint: str) -> np.ndarray:
        return self._positions[SMPL_JOINT_NAMES.index(joint)]  # (3,)

    def direction(self, joint: str, local: tuple[float, float, float]) -> np.ndarray:
        """Where a rest-frame direction of `joint` points in the world (unit vector)."""
        return self._world[SMPL_JOINT_NAMES.index(joint)] @ np.array(local)

    def front(self) -> np.ndarray:
        """The direction the torso faces."""
        return self.direction("spine3", (0.0, 0.0, 1.0))

    def torso_axis(self) -> np.ndarray:
        """Unit vector from the pelvis to the neck."""
        axis = self["neck"] - self["pelvis"]
        return axis / np.linalg.norm(axis)

    def distance(self, a: str, b: str) -> float:
        return float(np.linalg.norm(self[a] - self[b]))

    def knee_angle(self, side: str) -> float:
        """Knee flexion in degrees (0 = straight leg)."""
        thigh = self[f"{side}_knee"] - self[f"{side}_hip"]
        shin = self[f"{side}_ankle"] - self[f"{side}_knee"]
        cosine = thigh @ shin / (np.linalg.norm(thigh) * np.linalg.norm(shin))
        return float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))

    def lowest(self) -> float:
        return float(self._positions[:, 1].min())


@pytest.fixture(scope="module")
def body() -> dict[str, Body]:
    return {name: Body(name) for name in ALL_NAMES}


# ---------------------------------------------------------------------------------------------
# Catalogue and well-formed entries


def test_every_catalogue_name_exists_with_its_category():
    for category, names in CATALOGUE.items():
        for name in names:
            assert name in ENTRIES, f"missing posture {name}"
            assert ENTRIES[name].category == category, name
    assert set(ENTRIES) == set(ALL_NAMES), "postures outside the catalogue"


@pytest.mark.parametrize("name", ALL_NAMES)
def test_entry_is_well_formed_and_builds_finite_values(name):
    entry = ENTRIES[name]
    assert entry.name == name and entry.description.strip()
    for joint, axis, degrees in entry.turns:
        assert joint in SMPL_JOINT_NAMES and axis in ("x", "y", "z")
        assert -180 <= degrees <= 180
    pose = turns_to_pose(list(entry.turns))
    assert len(pose) == 1
    assert np.isfinite(pose.global_orient).all() and np.isfinite(pose.body_pose).all()
    assert torch.isfinite(pose.joints()).all()


@pytest.mark.parametrize("name", ALL_NAMES)
def test_posture_is_anatomically_plausible(name):
    reasons = implausible_reasons(turns_to_pose(list(ENTRIES[name].turns)))[0]
    assert not reasons, f"{name}: {reasons}"


def test_pelvis_turns_only_where_the_whole_body_tilts():
    """Upright standing keeps the pelvis level; lying down is done by turning the pelvis."""
    def turns_pelvis(name: str) -> bool:
        return any(joint == "pelvis" for joint, _, _ in ENTRIES[name].turns)

    leaning = {"lean_forward", "lean_back"}
    assert [name for name in CATALOGUE["standing"] if turns_pelvis(name) and name not in leaning] == []
    assert all(turns_pelvis(name) for name in (*CATALOGUE["lying"], *leaning))


# ---------------------------------------------------------------------------------------------
# Standing


def test_standing_poses_are_upright_on_both_feet(body):
    for name in CATALOGUE["standing"]:
        b = body[name]
        lowest = b.lowest()
        if name != "stand_on_left_leg":
            assert abs(b["left_ankle"][1] - b["right_ankle"][1]) < 0.02, name
        if name == "calf_raise":  # up on the toes: the heels lifted off the floor
            assert 0.08 < b["left_ankle"][1] - lowest < 0.2, name
        else:
            assert b["left_ankle"][1] - lowest < 0.06, name
        assert b["head"][1] > 0.35, name


def test_arm_positions_of_standing_poses(body):
    assert body["arms_up"]["left_wrist"][1] > body["arms_up"]["head"][1] + 0.2
    assert body["arms_up"]["right_wrist"][1] > body["arms_up"]["head"][1] + 0.2
    for name in ("t_pose", "arms_out_to_sides_low", "a_pose"):
        assert body[name]["left_wrist"][0] > 0.4 and body[name]["right_wrist"][0] < -0.4, name
    assert body["a_pose"]["left_wrist"][1] < body["arms_out_to_sides_low"]["left_wrist"][1] < body["t_pose"]["left_wrist"][1]
    assert body["stand"]["left_wrist"][1] < -0.05 and abs(body["stand"]["left_wrist"][0]) < 0.35
    for side in ("left", "right"):
        assert body["arms_forward"][f"{side}_wrist"][2] > 0.45
        assert abs(body["arms_forward"][f"{side}_wrist"][1] - body["arms_forward"][f"{side}_shoulder"][1]) < 0.08
        assert body["hands_on_hips"].distance(f"{side}_wrist", f"{side}_hip") < 0.2
        assert body["hands_on_hips"][f"{side}_elbow"][0] * (1 if side == "left" else -1) > 0.25
        hands_behind = body["hands_behind_head"]
        assert hands_behind.distance(f"{side}_hand", "head") < 0.15
        assert hands_behind[f"{side}_hand"][2] < hands_behind["head"][2]  # behind, not beside the face
    crossed = body["arms_crossed"]
    assert crossed["left_wrist"][0] < 0 < crossed["right_wrist"][0]  # each hand on the other side
    assert crossed["left_wrist"][2] > 0.1 and crossed["right_wrist"][2] > 0.1  # in front of the chest


def test_stand_on_left_leg_lifts_the_right_leg(body):
    b = body["stand_on_left_leg"]
    assert b["right_ankle"][1] > b["left_ankle"][1] + 0.25
    assert b["left_foot"][1] - b.lowest() < 0.01  # standing on the left foot
    assert b.knee_angle("left") < 10 and b.knee_angle("right") > 60


def test_leaning_and_head_poses(body):
    assert body["lean_forward"].torso_axis()[2] > 0.4
    assert body["lean_back"].torso_axis()[2] < -0.2
    face = (0.0, 0.0, 1.0)
    assert body["look_up"].direction("head", face)[1] > 0.5
    assert body["look_down"].direction("head", face)[1] < -0.5
    assert body["turn_head_left"].direction("head", face)[0] > 0.8  # the person's left is +x


# ---------------------------------------------------------------------------------------------
# Sitting and kneeling


def test_sit_chair_has_level_thighs_and_vertical_shins(body):
    for name in ("sit_chair", "sit_chair_legs_crossed", "sit_slouched"):
        b = body[name]
        for side in ("left", "right"):
            assert abs(b[f"{side}_knee"][1] - b[f"{side}_hip"][1]) < 0.15, (name, side)
            assert b[f"{side}_knee"][2] > b[f"{side}_hip"][2] + 0.3, (name, side)
        assert b["right_ankle"][1] < b["right_knee"][1] - 0.3, name  # feet down on the floor
    crossed = body["sit_chair_legs_crossed"]
    assert crossed["left_knee"][1] > crossed["right_knee"][1] + 0.03  # left leg over the right
    assert crossed["left_knee"][0] < crossed["left_hip"][0]  # crossing towards the right
    slouched = body["sit_slouched"]
    assert slouched.direction("pelvis", (0, 1, 0))[2] < -0.25  # pelvis rolled back
    assert slouched["neck"][2] > slouched["spine3"][2] + 0.05  # rounded back, head forward
    assert slouched.direction("head", (0, 0, 1))[1] < 0


def test_floor_sitting_keeps_feet_near_the_seat(body):
    for name in ("sit_floor_cross_legged", "sit_floor_legs_straight", "sit_hugging_knees", "sit_on_heels"):
        b = body[name]
        assert b.torso_axis()[1] > 0.8, name  # torso roughly upright
        for side in ("left", "right"):
            assert abs(b[f"{side}_ankle"][1] - b["pelvis"][1]) < 0.3, (name, side)
    straight = body["sit_floor_legs_straight"]
    assert straight["left_ankle"][2] > 0.7 and straight.knee_angle("left") < 5
    cross = body["sit_floor_cross_legged"]
    assert cross["left_ankle"][0] < cross["right_ankle"][0]  # the shins cross
    assert cross["left_knee"][0] > 0.25 and cross["right_knee"][0] < -0.25  # knees out wide
    hugging = body["sit_hugging_knees"]
    assert hugging["left_knee"][1] > hugging["pelvis"][1] + 0.2  # knees drawn up
    assert abs(hugging["left_wrist"][0]) < 0.12 and hugging["left_wrist"][2] > hugging["left_knee"][2]
    heels = body["sit_on_heels"]
    assert heels.knee_angle("left") > 150 and heels["left_ankle"][2] < heels["left_knee"][2] - 0.3


def test_kneeling_rests_on_the_knees(body):
    for name in ("kneel_both_knees", "kneel_praying"):
        b = body[name]
        for side in ("left", "right"):
            assert b[f"{side}_knee"][1] - b.lowest() < 0.05, (name, side)
            assert b[f"{side}_knee"][1] < b[f"{side}_hip"][1] - 0.35, (name, side)  # thighs vertical
    one = body["kneel_on_left_knee"]
    assert one["left_knee"][1] < one["right_knee"][1] - 0.3  # left knee down, right knee up
    assert abs(one["left_knee"][1] - one["right_ankle"][1]) < 0.08  # knee and front foot on one floor
    assert one["right_ankle"][2] > one["right_hip"][2] + 0.3  # right foot planted in front
    praying = body["kneel_praying"]
    assert praying.distance("left_wrist", "right_wrist") < 0.12
    assert praying.distance("left_hand", "right_hand") < 0.08  # palms pressed together
    assert praying["left_wrist"][2] > 0.1 and praying["left_wrist"][1] > 0.1  # before the chest


# ---------------------------------------------------------------------------------------------
# Lying


def test_lying_poses_are_horizontal_and_face_the_right_way(body):
    propped = {"lie_stomach_on_elbows"}  # chest held up on the forearms, hips on the floor
    for name in CATALOGUE["lying"]:
        if name not in propped:
            assert abs(body[name].torso_axis()[1]) < 0.2, name
    elbows = body["lie_stomach_on_elbows"]
    assert elbows.front()[1] < -0.5 and 0.2 < elbows.torso_axis()[1] < 0.8
    for side in ("left", "right"):  # forearms flat on the floor, under and ahead of the shoulders
        assert elbows[f"{side}_elbow"][1] - elbows.lowest() < 0.08
        assert elbows[f"{side}_wrist"][1] - elbows.lowest() < 0.08
        assert elbows[f"{side}_wrist"][2] > elbows[f"{side}_elbow"][2] + 0.15
    assert body["lie_on_back"].front()[1] > 0.9
    assert body["starfish"].front()[1] > 0.9
    assert body["lie_on_stomach"].front()[1] < -0.9
    side = body["lie_on_left_side"]
    assert side["left_shoulder"][1] < side["right_shoulder"][1] - 0.2  # left side down
    assert side["left_hip"][1] < side["right_hip"][1] - 0.15
    starfish = body["starfish"]
    assert starfish.distance("left_wrist", "right_wrist") > 1.0
    assert starfish["left_wrist"][2] < starfish["left_shoulder"][2]  # arms spread towards the head end
    assert starfish.distance("left_ankle", "right_ankle") > 0.7


# ---------------------------------------------------------------------------------------------
# Squats, lunges, bends


def test_squats_get_deeper(body):
    hip_drop = {name: body[name]["left_hip"][1] - body[name]["left_ankle"][1] for name in ("half_squat", "squat", "deep_squat")}
    assert hip_drop["deep_squat"] < hip_drop["squat"] < hip_drop["half_squat"] < 0.7
    for name in hip_drop:
        b = body[name]
        assert abs(b["left_ankle"][1] - b["right_ankle"][1]) < 0.02, name
        assert b.knee_angle("left") > 60, name


def test_lunges(body):
    lunge = body["lunge"]
    assert lunge["left_ankle"][2] > lunge["right_ankle"][2] + 0.6  # left leg in front
    assert lunge.knee_angle("left") > 70 and lunge.knee_angle("right") > 60
    side = body["side_lunge_left"]
    assert side["left_ankle"][0] > 0.3 and side["right_ankle"][0] < -0.4  # wide stance
    assert side.knee_angle("left") > 60 and side.knee_angle("right") < 10  # left bent, right straight
    assert abs(side["left_ankle"][1] - side["right_ankle"][1]) < 0.05


def test_bends(body):
    toes = body["touch_toes"]
    for side in ("left", "right"):
        assert abs(toes[f"{side}_wrist"][1] - toes[f"{side}_ankle"][1]) < 0.15
        assert toes.knee_angle(side) < 5
    assert toes["head"][1] < 0
    side_bend = body["side_bend_left"]
    assert side_bend["neck"][0] > 0.15  # bending to the left
    assert side_bend["right_wrist"][1] > side_bend["head"][1] + 0.1  # right arm over the head
    assert side_bend["right_wrist"][0] > side_bend["head"][0] + 0.15  # ... reaching to the left
    assert side_bend["left_wrist"][1] < side_bend["left_hip"][1] - 0.1  # left hand down the thigh
    back = body["back_bend"]
    assert back["neck"][2] < -0.15 and back["head"][2] < back["neck"][2]


# ---------------------------------------------------------------------------------------------
# Yoga and fitness


def test_standing_yoga(body):
    tree = body["tree_pose"]
    assert tree.distance("right_ankle", "left_knee") < 0.15  # right sole by the left knee
    assert tree["right_knee"][0] < -0.25  # right knee turned out
    assert tree.distance("left_wrist", "right_wrist") < 0.15 and tree["left_wrist"][1] > tree["head"][1] + 0.2
    overhead = body["arms_overhead_stretch"]
    assert overhead.distance("left_wrist", "right_wrist") < 0.15 and overhead["left_wrist"][1] > overhead["head"][1] + 0.2
    w1 = body["warrior_one"]
    assert w1["left_ankle"][2] > w1["right_ankle"][2] + 0.6 and w1.knee_angle("left") > 45 and w1.knee_angle("right") < 10
    assert w1["left_wrist"][1] > w1["head"][1]
    w2 = body["warrior_two"]
    assert w2["left_ankle"][0] > 0.3 and w2["right_ankle"][0] < -0.4 and w2.knee_angle("left") > 60
    assert w2["left_wrist"][0] > 0.55 and w2["right_wrist"][0] < -0.55
    assert w2.direction("head", (0, 0, 1))[0] > 0.7  # gazing over the left hand
    triangle = body["triangle_pose"]
    assert triangle["left_wrist"][1] < triangle["left_knee"][1] + 0.1  # left hand down by the shin
    assert triangle["right_wrist"][1] > triangle["head"][1] + 0.3  # right arm up
    assert abs(triangle["left_ankle"][1] - triangle["right_ankle"][1]) < 0.05
    chair = body["chair_pose"]
    assert chair.knee_angle("left") > 60 and chair.torso_axis()[2] > 0.3 and chair["left_wrist"][1] > chair["head"][1]
    quad = body["quad_stretch_left"]
    assert quad.knee_angle("left") > 130 and quad.distance("left_wrist", "left_ankle") < 0.15
    jack = body["jumping_jack_open"]
    assert jack["left_wrist"][1] > jack["head"][1] and jack.distance("left_ankle", "right_ankle") > 0.45


def test_floor_yoga(body):
    dog = body["downward_dog"]
    assert dog["pelvis"][1] > dog["neck"][1] + 0.3  # hips highest
    assert abs(dog["left_wrist"][1] - dog["left_ankle"][1]) < 0.1  # hands and feet on one floor
    assert dog["left_wrist"][2] > dog["left_ankle"][2] + 0.8
    cobra = body["cobra_pose"]
    assert cobra.front()[1] < -0.3 and cobra["neck"][1] > cobra["pelvis"][1] + 0.25  # chest lifted
    child = body["child_pose"]
    assert child["head"][1] < child["pelvis"][1] - 0.05 and child["head"][2] > child["left_knee"][2]
    assert child["left_wrist"][2] > child["head"][2] + 0.2  # arms stretched forward on the floor
    assert abs(child["left_wrist"][1] - child["left_knee"][1]) < 0.05
    assert child.knee_angle("left") > 150
    for name in ("plank", "push_up_down"):
        b = body[name]
        assert abs(b.torso_axis()[1]) < 0.25 and b.front()[1] < -0.9, name
        assert abs(b["left_wrist"][1] - b["left_ankle"][1]) < 0.15, name
    assert body["push_up_down"].knee_angle("left") < 5
    bridge = body["bridge_pose"]
    assert bridge["pelvis"][1] > bridge["neck"][1] + 0.12 and bridge["pelvis"][1] > bridge["left_ankle"][1] + 0.12
    assert abs(bridge["left_shoulder"][1] - bridge["left_ankle"][1]) < 0.08  # shoulders and feet on the floor
    assert bridge.front()[1] > 0.5  # face up
    assert bridge.knee_angle("left") > 80
    sit_up = body["sit_up"]
    assert 0.4 < sit_up.torso_axis()[1] < 0.95 and sit_up["left_knee"][1] > sit_up["pelvis"][1]
    assert sit_up.distance("left_hand", "head") < 0.15


# ---------------------------------------------------------------------------------------------
# Common yoga and exercise names people ask for (added 2026-12-05)


def test_standing_and_balancing_poses_grown_later(body):
    mountain = body["mountain_pose"]
    for side, sign in (("left", 1), ("right", -1)):
        assert 0 < mountain[f"{side}_wrist"][0] * sign < 0.25  # arms straight down close to the body
        assert mountain[f"{side}_wrist"][1] < mountain["pelvis"][1]
    assert mountain.distance("left_ankle", "right_ankle") < 0.15  # feet together
    scarecrow = body["scarecrow"]
    assert abs(scarecrow["left_elbow"][1] - scarecrow["left_shoulder"][1]) < 0.05 and scarecrow["left_elbow"][0] > 0.35
    assert scarecrow["left_wrist"][1] < scarecrow["left_elbow"][1] - 0.2  # forearms hanging limp
    eagle = body["eagle_pose_left"]
    assert eagle["left_knee"][0] < 0  # the left thigh crosses over to the right
    assert eagle.knee_angle("right") > 40  # standing leg bent
    assert eagle["left_wrist"][1] > eagle["left_shoulder"][1] + 0.15 and eagle["left_wrist"][2] > 0.2  # forearms up in front
    split = body["standing_split_left"]
    assert split["left_ankle"][1] > split["pelvis"][1] + 0.4 and split["left_ankle"][2] < -0.3  # leg high behind
    assert split["left_wrist"][1] - split.lowest() < 0.25  # hands hang to the floor
    pyramid = body["pyramid_pose_left"]
    assert pyramid.knee_angle("left") < 5 and pyramid.knee_angle("right") < 5
    assert pyramid["left_ankle"][2] > pyramid["right_ankle"][2] + 0.4 and abs(pyramid.torso_axis()[1]) < 0.4


def test_inversions_and_floor_poses_grown_later(body):
    headstand = body["headstand"]
    assert headstand["head"][1] - headstand.lowest() < 0.1 and headstand["left_ankle"][1] > headstand["pelvis"][1] + 0.7
    shoulder_stand = body["shoulder_stand"]
    assert shoulder_stand["left_ankle"][1] > shoulder_stand["pelvis"][1] + 0.7  # legs straight up
    assert shoulder_stand["pelvis"][1] > shoulder_stand["neck"][1] + 0.3 and shoulder_stand["head"][1] - shoulder_stand.lowest() < 0.1
    plow = body["plow_pose"]
    assert plow["pelvis"][1] > plow["neck"][1] + 0.3 and plow["left_ankle"][1] < plow["pelvis"][1] - 0.25
    assert plow["left_ankle"][2] < plow["head"][2] - 0.2  # the feet go over and beyond the head
    wheel = body["wheel_pose"]
    assert wheel.front()[1] > 0.5 and wheel["pelvis"][1] > wheel["neck"][1] + 0.2  # belly up, hips highest
    for joint in ("left_wrist", "right_wrist", "left_ankle", "right_ankle"):
        assert wheel[joint][1] - wheel.lowest() < 0.12, joint  # hands and feet on the floor
    camel = body["camel_pose"]
    assert camel["left_knee"][1] - camel.lowest() < 0.05 and camel.torso_axis()[2] < -0.4  # kneeling, arched back
    assert camel.distance("left_wrist", "left_ankle") < 0.3
    crow = body["crow_pose"]
    assert crow["left_wrist"][1] - crow.lowest() < 0.1 and crow["left_ankle"][1] - crow.lowest() > 0.1  # feet lifted
    assert crow.distance("left_knee", "left_elbow") < 0.12  # knees on the upper arms
    wall = body["wall_sit"]
    assert wall.torso_axis()[1] > 0.95 and abs(wall["left_knee"][1] - wall["left_hip"][1]) < 0.1
    assert wall["left_ankle"][1] < wall["left_knee"][1] - 0.3
    bug = body["dead_bug"]
    assert bug.front()[1] > 0.9 and bug["left_wrist"][1] > bug["left_shoulder"][1] + 0.4
    assert bug["left_knee"][1] > bug["left_hip"][1] + 0.3 and bug["left_ankle"][1] > bug["left_hip"][1] + 0.3
    half_moon = body["half_moon_left"]
    assert half_moon.knee_angle("left") < 5 and abs(half_moon.torso_axis()[1]) < 0.35  # body level, on the left leg
    assert half_moon["right_ankle"][1] > half_moon["left_knee"][1] + 0.3  # right leg lifted
    assert half_moon["right_wrist"][1] > half_moon["head"][1] + 0.4 and half_moon["left_wrist"][1] < half_moon["pelvis"][1] - 0.3
    bow = body["bow_pose"]
    assert bow.front()[1] < -0.5 and bow.distance("left_wrist", "left_ankle") < 0.2  # face down, holding the ankles
    assert bow["left_knee"][1] - bow.lowest() > 0.1 and bow["neck"][1] - bow.lowest() > 0.15  # thighs and chest lifted
