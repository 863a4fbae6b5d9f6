"""Hand-authored postures: standing, sitting, kneeling, lying, squats/lunges/bends, yoga and fitness.

Each pose is a list of (joint, axis, degrees) turns (see `posegpt.data.named_poses.turns_to_pose`).
Poses are root-centred, so a pose on the ground gets its orientation from turns of "pelvis":
lying on the back faces +y, on the stomach faces -y; sitting keeps the torso upright.
Sided poses are written for the person's LEFT side; the right one is their mirror image.
Every pose was rendered from the front and the side and looked at (assets/contact_sheets/postures.png).
"""

from __future__ import annotations

from posegpt.data.pose_entry import PoseEntry, Turn

# Reusable pieces (tuples of turns) for limbs that many poses share.
_ARMS_RELAXED: tuple[Turn, ...] = (
    ("left_shoulder", "z", -75), ("right_shoulder", "z", 75),
    ("left_elbow", "y", -10), ("right_elbow", "y", 10),
)
_PALMS_TOGETHER_OVERHEAD: tuple[Turn, ...] = (  # arms straight up beside the ears, palms meeting
    ("left_collar", "z", 10), ("right_collar", "z", -10),
    ("left_shoulder", "z", 85), ("right_shoulder", "z", -85),
    ("left_elbow", "z", 12), ("right_elbow", "z", -12),
)
_HANDS_BEHIND_HEAD: tuple[Turn, ...] = (  # upper arms turned out, elbows wide, hands cupping the back of the head
    ("left_shoulder", "x", -110), ("right_shoulder", "x", -110),
    ("left_shoulder", "z", 30), ("right_shoulder", "z", -30),
    ("left_elbow", "y", -150), ("right_elbow", "y", 150),
)
_HANDS_ON_THIGHS: tuple[Turn, ...] = (  # seated: upper arms down and forward, hands on the thighs
    ("left_shoulder", "z", -80), ("right_shoulder", "z", 80),
    ("left_shoulder", "x", -22), ("right_shoulder", "x", -22),
    ("left_elbow", "y", -40), ("right_elbow", "y", 40),
    ("left_shoulder", "y", -20), ("right_shoulder", "y", 20),
)

_STANDING = [
    PoseEntry("t_pose", "standing", "standing upright, arms straight out to the sides", ()),
    PoseEntry("a_pose", "standing", "standing upright, arms straight and angled down at 45 degrees", (
        ("left_shoulder", "z", -45), ("right_shoulder", "z", 45),
    )),
    PoseEntry("stand", "standing", "standing relaxed, arms hanging at the sides", _ARMS_RELAXED),
    PoseEntry("arms_up", "standing", "standing with both arms raised straight above the head", (
        ("left_shoulder", "z", 80), ("right_shoulder", "z", -80),
        ("left_collar", "z", 10), ("right_collar", "z", -10),
    )),
    PoseEntry("arms_crossed", "standing", "standing with the forearms folded across the chest", (
        ("left_shoulder", "z", -70), ("right_shoulder", "z", 70),
        ("left_elbow", "y", -100), ("right_elbow", "y", 95),
        ("left_shoulder", "y", -70), ("right_shoulder", "y", 65),
        ("left_shoulder", "x", -12), ("right_shoulder", "x", -8),  # left forearm lies over the right
    )),
    PoseEntry("hands_on_hips", "standing", "standing with both hands on the hips, elbows out to the sides", (
        ("left_shoulder", "x", 90), ("right_shoulder", "x", 90),  # upper arms turned in: elbows point out
        ("left_shoulder", "z", -50), ("right_shoulder", "z", 50),
        ("left_elbow", "y", -100), ("right_elbow", "y", 100),
    )),
    PoseEntry("hands_behind_head", "standing", "standing with the fingers laced behind the head, elbows out",
              _HANDS_BEHIND_HEAD),
    PoseEntry("arms_forward", "standing", "standing with both arms stretched straight forward at shoulder height", (
        ("left_shoulder", "y", -90), ("right_shoulder", "y", 90),
    )),
    PoseEntry("arms_out_to_sides_low", "standing", "standing with the arms held out to the sides, a little below shoulder height", (
        ("left_shoulder", "z", -20), ("right_shoulder", "z", 20),
    )),
    PoseEntry("stand_on_left_leg", "standing", "balancing on the left leg, right knee lifted in front, arms out", (
        ("right_hip", "x", -70), ("right_knee", "x", 80),
        ("left_shoulder", "z", -50), ("right_shoulder", "z", 50),
    )),
    PoseEntry("lean_forward", "standing", "standing and leaning the upper body forward from the hips", (
        ("pelvis", "x", 25), ("left_hip", "x", -25), ("right_hip", "x", -25),
        ("spine1", "x", 10), ("spine2", "x", 5),
        *_ARMS_RELAXED,
        ("left_shoulder", "x", -35), ("right_shoulder", "x", -35),  # hanging straight down
    )),
    PoseEntry("lean_back", "standing", "standing and leaning the upper body backward", (
        ("pelvis", "x", -10), ("left_hip", "x", 10), ("right_hip", "x", 10),
        ("spine1", "x", -8), ("spine2", "x", -8), ("spine3", "x", -5), ("neck", "x", 12),
        *_ARMS_RELAXED,
        ("left_shoulder", "x", 20), ("right_shoulder", "x", 20),  # hanging straight down
    )),
    PoseEntry("look_up", "standing", "standing and tilting the head back to look up", (
        ("neck", "x", -15), ("head", "x", -30), *_ARMS_RELAXED,
    )),
    PoseEntry("look_down", "standing", "standing and tilting the head forward to look down", (
        ("neck", "x", 15), ("head", "x", 30), *_ARMS_RELAXED,
    )),
    PoseEntry("turn_head_left", "standing", "standing and turning the head to look to the left", (
        ("neck", "y", 25), ("head", "y", 45), *_ARMS_RELAXED,
    )),
]

_SITTING = [
    PoseEntry("sit_chair", "sitting", "sitting upright on a chair, thighs level, shins vertical, hands on the thighs", (
        ("left_hip", "x", -90), ("right_hip", "x", -90),
        ("left_knee", "x", 90), ("right_knee", "x", 90),
        *_HANDS_ON_THIGHS,
    )),
    PoseEntry("sit_chair_legs_crossed", "sitting", "sitting on a chair with the left leg crossed over the right knee", (
        ("right_hip", "x", -90), ("right_knee", "x", 90),
        ("left_hip", "x", -108), ("left_hip", "y", -20), ("left_knee", "x", 105),
        *_HANDS_ON_THIGHS,
    )),
    PoseEntry("sit_floor_cross_legged", "sitting", "sitting on the floor cross-legged, hands resting on the knees", (
        ("left_hip", "x", -100), ("left_hip", "z", -80), ("left_hip", "y", 28), ("left_knee", "x", 135),
        ("right_hip", "x", -92), ("right_hip", "z", 80), ("right_hip", "y", -28), ("right_knee", "x", 135),
        ("left_shoulder", "z", -60), ("right_shoulder", "z", 60),
        ("left_shoulder", "x", -30), ("right_shoulder", "x", -30),
        ("left_elbow", "y", -15), ("right_elbow", "y", 15),
    )),
    PoseEntry("sit_floor_legs_straight", "sitting", "sitting on the floor with both legs straight out in front, hands on the floor", (
        ("left_hip", "x", -90), ("right_hip", "x", -90),
        ("left_shoulder", "z", -80), ("right_shoulder", "z", 80),
        ("left_wrist", "z", 75), ("right_wrist", "z", -75),  # palms flat on the floor
        ("left_shoulder", "x", 25), ("right_shoulder", "x", 25),
    )),
    PoseEntry("sit_hugging_knees", "sitting", "sitting on the floor with the knees pulled up to the chest and arms wrapped around them", (
        ("pelvis", "x", -15),
        ("left_hip", "x", -140), ("right_hip", "x", -140),
        ("left_knee", "x", 145), ("right_knee", "x", 145),
        ("spine1", "x", 15), ("spine2", "x", 15), ("spine3", "x", 10),
        ("left_shoulder", "y", -60), ("right_shoulder", "y", 60),
        ("left_shoulder", "x", 20), ("right_shoulder", "x", 20),
        ("left_elbow", "y", -90), ("right_elbow", "y", 90),
    )),
    PoseEntry("sit_on_heels", "sitting", "kneeling and sitting back on the heels, back straight, hands on the thighs", (
        ("left_hip", "x", -70), ("right_hip", "x", -70),
        ("left_knee", "x", 160), ("right_knee", "x", 160),
        ("left_ankle", "x", 60), ("right_ankle", "x", 60),
        ("left_shoulder", "z", -80), ("right_shoulder", "z", 80),
        ("left_shoulder", "x", -20), ("right_shoulder", "x", -20),
        ("left_elbow", "y", -25), ("right_elbow", "y", 25),
        ("left_shoulder", "y", -20), ("right_shoulder", "y", 20),
    )),
    PoseEntry("sit_slouched", "sitting", "slumped on a chair: hips slid forward, back rounded, head hanging forward", (
        ("pelvis", "x", -20),
        ("left_hip", "x", -68), ("right_hip", "x", -68),
        ("left_knee", "x", 78), ("right_knee", "x", 78),
        ("spine1", "x", 12), ("spine2", "x", 15), ("spine3", "x", 15), ("neck", "x", 10), ("head", "x", 5),
        ("left_shoulder", "z", -80), ("right_shoulder", "z", 80),
        ("left_shoulder", "x", -35), ("right_shoulder", "x", -35),
        ("left_elbow", "y", -45), ("right_elbow", "y", 45),
        ("left_shoulder", "y", -12), ("right_shoulder", "y", 12),
    )),
]

_KNEELING = [
    PoseEntry("kneel_both_knees", "kneeling", "kneeling upright on both knees, thighs vertical, arms at the sides", (
        ("left_knee", "x", 90), ("right_knee", "x", 90),
        ("left_ankle", "x", 65), ("right_ankle", "x", 65),
        *_ARMS_RELAXED,
    )),
    PoseEntry("kneel_on_left_knee", "kneeling", "kneeling on the left knee with the right foot planted in front", (
        ("right_hip", "x", -90), ("right_knee", "x", 90),
        ("left_hip", "x", 10), ("left_knee", "x", 95),
        *_ARMS_RELAXED,
    )),
    PoseEntry("kneel_praying", "kneeling", "kneeling upright with the palms pressed together in front of the chest, head bowed", (
        ("left_knee", "x", 90), ("right_knee", "x", 90),
        ("left_ankle", "x", 65), ("right_ankle", "x", 65),
        ("left_shoulder", "z", -55), ("right_shoulder", "z", 55),
        ("left_shoulder", "x", 10), ("right_shoulder", "x", 10),
        ("left_elbow", "y", -115), ("right_elbow", "y", 115),
        ("left_shoulder", "y", -58), ("right_shoulder", "y", 58),
        ("left_wrist", "z", 70), ("right_wrist", "z", -70),  # wrists extended: palms pressed together, fingers up
        ("neck", "x", 10), ("head", "x", 15),
    )),
]

_LYING = [
    PoseEntry("lie_on_back", "lying", "lying flat on the back, face up, arms along the body", (
        ("pelvis", "x", -90), *_ARMS_RELAXED,
    )),
    PoseEntry("lie_on_stomach", "lying", "lying flat on the stomach, face down, head turned to the left, arms along the body", (
        ("pelvis", "x", 90), *_ARMS_RELAXED,
        ("left_ankle", "x", 60), ("right_ankle", "x", 60),  # insteps flat on the floor
        ("neck", "y", 30), ("head", "y", 45),
    )),
    PoseEntry("lie_on_left_side", "lying", "lying on the left side, knees slightly bent, lower arm stretched forward", (
        ("pelvis", "x", -90), ("pelvis", "z", -90),
        ("left_hip", "x", -30), ("right_hip", "x", -35),
        ("left_knee", "x", 40), ("right_knee", "x", 45),
        ("left_shoulder", "y", -95), ("left_shoulder", "z", 25),
        ("right_shoulder", "z", 88), ("right_shoulder", "x", -30),
        ("neck", "z", -15),
    )),
    PoseEntry("starfish", "lying", "lying on the back with arms and legs spread wide like a star", (
        ("pelvis", "x", -90),
        ("left_shoulder", "z", 30), ("right_shoulder", "z", -30),
        ("left_hip", "z", 30), ("right_hip", "z", -30),
    )),
]

_SQUAT_LUNGE_BEND = [
    PoseEntry("squat", "squat/lunge/bend", "squatting with thighs horizontal and arms reaching forward", (
        ("left_hip", "x", -100), ("right_hip", "x", -100),
        ("left_knee", "x", 120), ("right_knee", "x", 120),
        ("left_ankle", "x", -20), ("right_ankle", "x", -20),
        ("spine1", "x", 15),
        ("left_shoulder", "y", -80), ("right_shoulder", "y", 80),
    )),
    PoseEntry("deep_squat", "squat/lunge/bend", "full deep squat, hips down near the heels, arms forward", (
        ("left_hip", "x", -125), ("right_hip", "x", -125),
        ("left_knee", "x", 150), ("right_knee", "x", 150),
        ("left_ankle", "x", -30), ("right_ankle", "x", -30),
        ("left_hip", "z", 10), ("right_hip", "z", -10),
        ("spine1", "x", 20), ("spine2", "x", 10),
        ("left_shoulder", "y", -80), ("right_shoulder", "y", 80),
    )),
    PoseEntry("half_squat", "squat/lunge/bend", "half squat, knees bent about 70 degrees, arms forward", (
        ("left_hip", "x", -60), ("right_hip", "x", -60),
        ("left_knee", "x", 70), ("right_knee", "x", 70),
        ("left_ankle", "x", -10), ("right_ankle", "x", -10),
        ("spine1", "x", 10),
        ("left_shoulder", "y", -85), ("right_shoulder", "y", 85),
    )),
    PoseEntry("lunge", "squat/lunge/bend", "forward lunge, left leg in front, right knee bent behind", (
        ("left_hip", "x", -80), ("left_knee", "x", 85),
        ("right_hip", "x", 15), ("right_knee", "x", 80), ("right_ankle", "x", -20),
        ("left_shoulder", "z", -80), ("right_shoulder", "z", 80),
    )),
    PoseEntry("side_lunge_left", "squat/lunge/bend", "side lunge to the left: left knee bent, right leg straight out to the side", (
        ("left_hip", "x", -70), ("left_hip", "y", 50), ("left_knee", "x", 75), ("left_ankle", "x", -10),
        ("right_hip", "z", -48), ("right_ankle", "z", -20),
        ("spine1", "x", 15),
        ("left_shoulder", "y", -70), ("right_shoulder", "y", 70),
    )),
    PoseEntry("touch_toes", "squat/lunge/bend", "standing forward fold with straight legs, hands reaching down to the toes", (
        ("pelvis", "x", 95), ("left_hip", "x", -95), ("right_hip", "x", -95),
        ("spine1", "x", 20), ("spine2", "x", 20), ("spine3", "x", 15),
        ("left_shoulder", "y", -90), ("right_shoulder", "y", 90),
        ("left_shoulder", "x", -45), ("right_shoulder", "x", -45),  # arms hang to the toes
    )),
    PoseEntry("side_bend_left", "squat/lunge/bend", "standing side bend to the left, right arm arching over the head", (
        ("spine1", "z", -15), ("spine2", "z", -15), ("spine3", "z", -10),
        ("right_collar", "z", -10), ("right_shoulder", "z", -105),  # right arm arching over the head
        ("left_shoulder", "z", -55),  # left hand sliding down the left thigh
    )),
    PoseEntry("back_bend", "squat/lunge/bend", "standing back bend, spine arched backward with the arms overhead", (
        ("pelvis", "x", -10), ("left_hip", "x", 10), ("right_hip", "x", 10),
        ("left_knee", "x", 15), ("right_knee", "x", 15),
        ("spine1", "x", -15), ("spine2", "x", -15), ("spine3", "x", -15),
        ("neck", "x", -10), ("head", "x", -15),
        ("left_shoulder", "z", 80), ("right_shoulder", "z", -80),
    )),
]

_YOGA_FITNESS = [
    PoseEntry("tree_pose", "yoga/fitness", "tree pose: standing on the left leg, right sole against the left knee, palms together overhead", (
        ("right_hip", "y", -79), ("right_hip", "z", -45), ("right_hip", "x", -13), ("right_knee", "x", 126),
        *_PALMS_TOGETHER_OVERHEAD,
    )),
    PoseEntry("warrior_one", "yoga/fitness", "warrior one: left knee bent forward, right leg straight behind, arms raised overhead", (
        ("pelvis", "x", 15),
        ("left_hip", "x", -75), ("left_knee", "x", 60),
        ("right_hip", "y", -40), ("right_hip", "x", 27), ("right_ankle", "x", -25),  # back foot turned out
        ("spine1", "x", -6), ("spine2", "x", -5), ("spine3", "x", -4),
        *_PALMS_TOGETHER_OVERHEAD,
    )),
    PoseEntry("warrior_two", "yoga/fitness", "warrior two: legs wide, left knee bent out to the left, arms level to the sides, gaze over the left hand", (
        ("left_hip", "x", -90), ("left_hip", "y", 70), ("left_knee", "x", 90),
        ("right_hip", "z", -60), ("right_ankle", "z", 20),
        ("neck", "y", 30), ("head", "y", 50),
    )),
    PoseEntry("triangle_pose", "yoga/fitness", "triangle pose: legs wide and straight, torso tipped over the left leg, left hand down, right arm up", (
        ("pelvis", "z", -40),
        ("left_hip", "y", 90), ("left_hip", "z", 76),  # front leg turned out, foot pointing left
        ("right_hip", "z", 23),
        ("left_ankle", "x", 35), ("right_ankle", "z", 17),  # soles flat on the floor
        ("spine1", "z", -18), ("spine2", "z", -18), ("spine3", "z", -15),
        ("head", "y", -50),
    )),
    PoseEntry("downward_dog", "yoga/fitness", "downward-facing dog: hands and feet on the floor, hips high, body an inverted V", (
        ("pelvis", "x", 143),
        ("left_hip", "x", -112), ("right_hip", "x", -112),
        ("left_ankle", "x", -20), ("right_ankle", "x", -20),
        ("left_shoulder", "x", -94), ("right_shoulder", "x", -94),  # arms turned so the palms face the floor
        ("left_shoulder", "z", 100), ("right_shoulder", "z", -100),
        ("left_wrist", "x", 13), ("right_wrist", "x", 13),
        ("left_wrist", "z", 59), ("right_wrist", "z", -59),  # wrists extended, palms flat, fingers forward
        ("left_wrist", "y", -3), ("right_wrist", "y", 3),
    )),
    PoseEntry("cobra_pose", "yoga/fitness", "cobra pose: lying face down, chest lifted on the hands, elbows bent by the ribs, back arched", (
        ("pelvis", "x", 90),
        ("spine1", "x", -25), ("spine2", "x", -25), ("spine3", "x", -15),
        ("left_ankle", "x", 60), ("right_ankle", "x", 60),  # insteps flat on the floor
        ("left_shoulder", "z", -73), ("right_shoulder", "z", 73),
        ("left_shoulder", "x", 11), ("right_shoulder", "x", 11),
        ("left_elbow", "y", -95), ("right_elbow", "y", 95),
        ("left_wrist", "z", 18), ("right_wrist", "z", -18),
    )),
    PoseEntry("child_pose", "yoga/fitness", "child's pose: sitting on the heels, torso folded over the thighs, forehead and arms on the floor", (
        ("pelvis", "x", 70),
        ("left_hip", "x", -140), ("right_hip", "x", -140),
        ("left_knee", "x", 160), ("right_knee", "x", 160),
        ("left_ankle", "x", 60), ("right_ankle", "x", 60),
        ("spine1", "x", 11), ("spine2", "x", 11), ("spine3", "x", 10), ("neck", "x", 10), ("head", "x", 10),
        ("left_shoulder", "z", 84), ("right_shoulder", "z", -84),
        ("left_shoulder", "x", 10), ("right_shoulder", "x", 10),
    )),
    PoseEntry("plank", "yoga/fitness", "forearm plank: body straight and nearly level, resting on the forearms and toes", (
        ("pelvis", "x", 86),
        ("left_shoulder", "y", -90), ("right_shoulder", "y", 90),
        ("left_shoulder", "x", 5), ("right_shoulder", "x", 5),
        ("left_elbow", "z", 90), ("right_elbow", "z", -90),
    )),
    PoseEntry("push_up_down", "yoga/fitness", "bottom of a push-up: body straight just above the floor, hands under the shoulders, elbows bent", (
        ("pelvis", "x", 91),
        ("left_shoulder", "z", -20), ("right_shoulder", "z", 20),
        ("left_shoulder", "y", 22), ("right_shoulder", "y", -22),
        ("left_elbow", "y", -110), ("right_elbow", "y", 110),
        ("left_wrist", "z", 75), ("right_wrist", "z", -75),  # palms flat, fingers forward
    )),
    PoseEntry("chair_pose", "yoga/fitness", "chair pose: knees bent, hips back, torso leaning forward, arms raised in line with it", (
        ("pelvis", "x", 30),
        ("left_hip", "x", -90), ("right_hip", "x", -90),
        ("left_knee", "x", 90), ("right_knee", "x", 90),
        ("left_ankle", "x", -30), ("right_ankle", "x", -30),
        ("left_shoulder", "z", 85), ("right_shoulder", "z", -85),
    )),
    PoseEntry("bridge_pose", "yoga/fitness", "bridge pose: lying on the back with the hips lifted, knees bent, feet and shoulders on the floor", (
        ("pelvis", "x", -113),
        ("left_knee", "x", 115), ("right_knee", "x", 115),
        ("neck", "x", 20), ("head", "x", 20),
        ("left_shoulder", "z", -80), ("right_shoulder", "z", 80),
        ("left_shoulder", "x", 25), ("right_shoulder", "x", 25),
    )),
    PoseEntry("quad_stretch_left", "yoga/fitness", "standing quad stretch: on the right leg, left heel pulled to the buttock by the left hand", (
        ("left_hip", "x", 10), ("left_knee", "x", 150),
        ("left_shoulder", "z", -86), ("left_shoulder", "x", 47), ("left_elbow", "y", -30),  # hand holds the foot
        ("right_shoulder", "z", 55),
    )),
    PoseEntry("arms_overhead_stretch", "yoga/fitness", "standing tall stretching both arms overhead, hands clasped", (
        *_PALMS_TOGETHER_OVERHEAD,
        ("spine3", "x", -5), ("head", "x", -10),
    )),
    PoseEntry("jumping_jack_open", "yoga/fitness", "open phase of a jumping jack: feet apart, arms up in a wide V", (
        ("left_shoulder", "z", 60), ("right_shoulder", "z", -60),
        ("left_hip", "z", 20), ("right_hip", "z", -20),
        ("left_ankle", "z", -20), ("right_ankle", "z", 20),
    )),
    PoseEntry("sit_up", "yoga/fitness", "sit-up: on the back with knees bent and feet on the floor, torso curled up, hands behind the head", (
        ("pelvis", "x", -45),
        ("left_hip", "x", -95), ("right_hip", "x", -95),
        ("left_knee", "x", 120), ("right_knee", "x", 120),
        ("spine1", "x", 10), ("spine2", "x", 10),
        *_HANDS_BEHIND_HEAD,
    )),
]

_ENTRIES = [*_STANDING, *_SITTING, *_KNEELING, *_LYING, *_SQUAT_LUNGE_BEND, *_YOGA_FITNESS]

ENTRIES: dict[str, PoseEntry] = {entry.name: entry for entry in _ENTRIES}
