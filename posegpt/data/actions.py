"""Hand-authored actions: sports, everyday actions and gestures, dance, martial arts, emotions.

Each pose was rendered (front and side) and looked at; sided poses are written for the person's
left (``kick_front_left`` kicks with the left leg), their mirror comes from `Pose.mirrored`.
Conventions that keep the joints anatomical (tests/test_actions.py checks them):
- elbows and knees only bend as hinges: elbows about y (left -y, right +y), knees about +x. To
  raise a forearm (waving, surrender) the upper arm is first twisted about its own axis
  (``("left_shoulder", "x", -90)``, before any other shoulder turn), then the elbow bends about y;
  an elbow bent about z would fold sideways and turn the palm outwards.
- an arm is usually written as: shoulder x (twist about the arm), z (raise in the frontal plane),
  y (swing forwards/backwards), then the elbow bend; wrist x turns the palm (forearm roll).
- standing feet are kept flat with ankle x/z turns where legs are bent or spread.
Hand placements (hand to ear, brow, mouth, knees) were solved numerically on the skeleton and
rounded to whole degrees, then checked on the rendered body.
"""

from __future__ import annotations

from posegpt.data.pose_entry import PoseEntry

_ARMS_DOWN = (
    ("left_shoulder", "z", -78), ("right_shoulder", "z", 78),
    ("left_elbow", "y", -10), ("right_elbow", "y", 10),
)
_LEFT_ARM_DOWN = _ARMS_DOWN[0::2]
_RIGHT_ARM_DOWN = _ARMS_DOWN[1::2]
_SEATED_LEGS = (
    ("left_hip", "x", -90), ("right_hip", "x", -90),
    ("left_knee", "x", 90), ("right_knee", "x", 90),
)
_KNEELING_LEGS = (  # thighs vertical, shins flat on the floor behind, insteps down
    ("left_knee", "x", 90), ("right_knee", "x", 90),
    ("left_ankle", "x", 40), ("right_ankle", "x", 40),
)
_RIGHT_FIST_AT_HIP = (  # karate chamber: elbow pulled back, fist palm-up at the belt
    ("right_shoulder", "z", 80), ("right_shoulder", "x", 35),
    ("right_elbow", "y", 110), ("right_wrist", "x", -80),
)

_SPORTS = [
    PoseEntry(
        "sprint", "sports",
        "sprinting: left knee driven high in front, right leg pushing off behind, arms pumping",
        (
            ("spine1", "x", 10), ("spine2", "x", 5), ("head", "x", -10),
            ("left_hip", "x", -80), ("left_knee", "x", 100), ("left_ankle", "x", 10),
            ("right_hip", "x", 25), ("right_knee", "x", 50), ("right_ankle", "x", 25),
            ("left_shoulder", "z", -80), ("left_shoulder", "x", 60), ("left_elbow", "y", -70),
            ("right_shoulder", "z", 80), ("right_shoulder", "x", -60), ("right_elbow", "y", 90),
        ),
    ),
    PoseEntry(
        "jog", "sports",
        "jogging: left knee lifted forward, right foot trailing, elbows bent at the sides",
        (
            ("spine1", "x", 5),
            ("left_hip", "x", -40), ("left_knee", "x", 50),
            ("right_hip", "x", 15), ("right_knee", "x", 45),
            ("left_shoulder", "z", -80), ("left_shoulder", "x", 25), ("left_elbow", "y", -90),
            ("right_shoulder", "z", 80), ("right_shoulder", "x", -30), ("right_elbow", "y", 90),
        ),
    ),
    PoseEntry(
        "jump_tuck", "sports",
        "tuck jump: both knees pulled up to the chest, arms reaching forward",
        (
            ("spine1", "x", 10),
            ("left_hip", "x", -110), ("right_hip", "x", -110),
            ("left_knee", "x", 120), ("right_knee", "x", 120),
            ("left_ankle", "x", 30), ("right_ankle", "x", 30),
            ("left_shoulder", "z", -80), ("left_shoulder", "x", -50), ("left_elbow", "y", -40),
            ("right_shoulder", "z", 80), ("right_shoulder", "x", -50), ("right_elbow", "y", 40),
        ),
    ),
    PoseEntry(
        "kick_front_left", "sports",
        "front kick: the straight left leg kicked up in front to hip height, arms out for balance",
        (
            ("spine1", "x", -10),
            ("left_hip", "x", -85), ("left_knee", "x", 5), ("left_ankle", "x", 25),
            ("right_knee", "x", 10),
            ("left_shoulder", "z", -35), ("left_shoulder", "y", 20),
            ("right_shoulder", "z", 35), ("right_shoulder", "y", 30),
        ),
    ),
    PoseEntry(
        "side_kick_left", "sports",
        "side kick: the left leg kicked straight out to the left side, body tilting right",
        (
            ("pelvis", "z", 30),
            ("left_hip", "z", 60), ("left_ankle", "x", -20),
            ("right_hip", "z", -30), ("right_knee", "x", 10),
            ("head", "z", -20), ("head", "y", 40),
            ("left_shoulder", "z", -75), ("left_shoulder", "x", -35), ("left_elbow", "y", -120),
            ("left_shoulder", "y", -30),
            ("right_shoulder", "z", 75), ("right_shoulder", "x", -35), ("right_elbow", "y", 120),
            ("right_shoulder", "y", 30),
        ),
    ),
    PoseEntry(
        "punch_left", "sports",
        "boxing jab: the left fist punched straight forward at shoulder height, right fist guarding the chin",
        (
            ("left_hip", "x", -20), ("left_knee", "x", 15),
            ("right_hip", "x", 15), ("right_knee", "x", 15),
            ("spine2", "y", -15),
            ("left_shoulder", "z", -5), ("left_shoulder", "y", -80),
            ("right_shoulder", "z", 75), ("right_shoulder", "x", -30), ("right_elbow", "y", 130),
            ("right_shoulder", "y", 30),
        ),
    ),
    PoseEntry(
        "boxing_guard", "sports",
        "boxing guard: both fists up in front of the chin, elbows in, knees bent, left foot forward",
        (
            ("left_hip", "x", -20), ("left_knee", "x", 20),
            ("right_hip", "x", 10), ("right_knee", "x", 20),
            ("spine1", "x", 10), ("spine2", "y", -10),
            ("left_shoulder", "z", -75), ("left_shoulder", "x", -35), ("left_elbow", "y", -125),
            ("left_shoulder", "y", -30),
            ("right_shoulder", "z", 75), ("right_shoulder", "x", -35), ("right_elbow", "y", 125),
            ("right_shoulder", "y", 30),
        ),
    ),
    PoseEntry(
        "throw_ball_left", "sports",
        "throwing with the left arm cocked back behind the head, right arm pointing at the target, right "
        "foot stepping forward",
        (
            ("right_hip", "x", -35), ("right_knee", "x", 20),
            ("left_hip", "x", 20), ("left_knee", "x", 15),
            ("spine2", "y", 20), ("head", "y", -20),
            ("left_shoulder", "x", -90), ("left_shoulder", "z", 5), ("left_elbow", "y", -95),
            ("left_shoulder", "y", 35),
            ("right_shoulder", "z", 10), ("right_shoulder", "y", 70),
        ),
    ),
    PoseEntry(
        "basketball_shot", "sports",
        "basketball jump shot: both hands up above the forehead, elbows bent, on the toes",
        (
            ("left_hip", "x", -10), ("right_hip", "x", -10),
            ("left_knee", "x", 15), ("right_knee", "x", 15),
            ("left_ankle", "x", 15), ("right_ankle", "x", 15),
            ("head", "x", -15),
            ("left_shoulder", "x", -87), ("left_shoulder", "z", 37), ("left_shoulder", "y", -83),
            ("left_elbow", "y", -76),
            ("right_shoulder", "x", -87), ("right_shoulder", "z", -37), ("right_shoulder", "y", 83),
            ("right_elbow", "y", 76),
        ),
    ),
    PoseEntry(
        "tennis_serve", "sports",
        "tennis serve, trophy position: left arm straight up after the toss, racket arm cocked behind the "
        "head, knees bent, back arched",
        (
            ("left_hip", "x", -15), ("right_hip", "x", -15),
            ("left_knee", "x", 30), ("right_knee", "x", 30),
            ("spine2", "x", -15), ("head", "x", -30),
            ("left_shoulder", "z", 80), ("left_shoulder", "y", -10),
            ("right_shoulder", "x", -90), ("right_shoulder", "z", -10), ("right_elbow", "y", 100),
            ("right_shoulder", "y", -30),
        ),
    ),
    PoseEntry(
        "golf_backswing", "sports",
        "top of a golf backswing: hips hinged, torso turned to the right, both hands together above the "
        "right shoulder",
        (
            ("pelvis", "x", 30), ("pelvis", "y", -20), ("left_hip", "y", 20), ("right_hip", "y", 20),
            ("left_hip", "x", -30), ("right_hip", "x", -30),
            ("left_hip", "z", 8), ("right_hip", "z", -8),
            ("left_knee", "x", 15), ("right_knee", "x", 15),
            ("left_ankle", "x", -13), ("left_ankle", "z", -7), ("right_ankle", "x", -17),
            ("right_ankle", "z", 7),
            ("spine1", "y", -20), ("spine2", "y", -20), ("spine3", "y", -20),
            ("head", "y", 50), ("head", "x", 30),
            ("left_shoulder", "z", 15), ("left_shoulder", "y", -140), ("left_elbow", "y", -5),
            ("right_shoulder", "x", 1), ("right_shoulder", "z", -31), ("right_shoulder", "y", 16),
            ("right_elbow", "y", 80),
        ),
    ),
    PoseEntry(
        "soccer_kick_left", "sports",
        "winding up a soccer kick: left leg swung back with the knee bent, arms out for balance",
        (
            ("spine1", "x", 10), ("spine2", "y", 10),
            ("left_hip", "x", 30), ("left_knee", "x", 90), ("left_ankle", "x", 30),
            ("right_hip", "x", -15), ("right_knee", "x", 15),
            ("left_shoulder", "z", -30), ("left_shoulder", "y", 30),
            ("right_shoulder", "z", 30), ("right_shoulder", "y", 30),
        ),
    ),
    PoseEntry(
        "swimming_freestyle", "sports",
        "front crawl: lying face down, left arm stretched ahead, right arm pulled back along the side, "
        "head turned to breathe",
        (
            ("pelvis", "x", 90), ("pelvis", "z", -30),
            ("left_hip", "x", -10), ("right_hip", "x", 10),
            ("left_ankle", "x", 30), ("right_ankle", "x", 30),
            ("head", "y", -60),
            ("left_shoulder", "z", 85),
            ("right_shoulder", "z", 80), ("right_elbow", "y", 20),
        ),
    ),
    PoseEntry(
        "cycling", "sports",
        "riding a road bike: torso leaning forward, hands on the handlebars, left knee up, right leg down",
        (
            ("pelvis", "x", 30), ("spine1", "x", 10), ("spine2", "x", 5), ("head", "x", -30),
            ("left_hip", "x", -120), ("left_knee", "x", 110),
            ("right_hip", "x", -60), ("right_knee", "x", 30), ("right_ankle", "x", 20),
            ("left_shoulder", "z", -80), ("left_shoulder", "x", -80), ("left_elbow", "y", -20),
            ("right_shoulder", "z", 80), ("right_shoulder", "x", -80), ("right_elbow", "y", 20),
        ),
    ),
    PoseEntry(
        "skiing_tuck", "sports",
        "downhill ski tuck: deep crouch, back flat and forward, fists in front of the knees",
        (
            ("pelvis", "x", 50), ("spine1", "x", 10), ("spine2", "x", 10), ("head", "x", -40),
            ("left_hip", "x", -95), ("right_hip", "x", -95),
            ("left_knee", "x", 100), ("right_knee", "x", 100),
            ("left_ankle", "x", -25), ("right_ankle", "x", -25),
            ("left_shoulder", "z", -80), ("left_shoulder", "x", -60), ("left_elbow", "y", -70),
            ("right_shoulder", "z", 80), ("right_shoulder", "x", -60), ("right_elbow", "y", 70),
        ),
    ),
    PoseEntry(
        "goalkeeper_dive_left", "sports",
        "goalkeeper diving to the left: body horizontal in the air, both arms stretched towards the left",
        (
            ("pelvis", "z", -75),
            ("left_shoulder", "z", 75), ("right_shoulder", "z", -75),
            ("right_hip", "x", -30), ("right_knee", "x", 40),
        ),
    ),
]

_EVERYDAY = [
    PoseEntry(
        "wave_left_hand", "everyday",
        "waving with the left hand raised beside the head",
        (
            ("right_shoulder", "z", 75),
            ("left_shoulder", "x", -90), ("left_shoulder", "z", 5), ("left_elbow", "y", -95),
            ("left_wrist", "z", 10),
        ),
    ),
    PoseEntry(
        "walk", "everyday",
        "mid-stride walking, left leg forward, arms swinging",
        (
            ("left_hip", "x", -25), ("right_hip", "x", 20),
            ("left_knee", "x", 10), ("right_knee", "x", 35),
            ("left_shoulder", "z", -75), ("right_shoulder", "z", 75),
            ("left_shoulder", "x", 20), ("right_shoulder", "x", -20),
            ("left_elbow", "y", -20), ("right_elbow", "y", 25),
        ),
    ),
    PoseEntry(
        "carry_box", "everyday",
        "carrying a box in front of the waist with both forearms forward",
        (
            ("spine1", "x", -5),
            ("left_shoulder", "z", -80), ("left_shoulder", "x", -25), ("left_elbow", "y", -75),
            ("right_shoulder", "z", 80), ("right_shoulder", "x", -25), ("right_elbow", "y", 75),
        ),
    ),
    PoseEntry(
        "lift_box", "everyday",
        "squatting with a straight back and knees apart to lift a box from the floor, hands down between "
        "the knees",
        (
            ("pelvis", "x", 40), ("spine1", "x", 15), ("head", "x", -20),
            ("left_hip", "x", -120), ("right_hip", "x", -120),
            ("left_hip", "y", 15), ("right_hip", "y", -15),
            ("left_knee", "x", 120), ("right_knee", "x", 120),
            ("left_ankle", "x", -35), ("left_ankle", "z", -12), ("right_ankle", "x", -35),
            ("right_ankle", "z", 12),
            ("left_shoulder", "x", -3), ("left_shoulder", "z", -26), ("left_shoulder", "y", -90),
            ("left_elbow", "y", -2),
            ("right_shoulder", "x", -3), ("right_shoulder", "z", 26), ("right_shoulder", "y", 90),
            ("right_elbow", "y", 2),
        ),
    ),
    PoseEntry(
        "phone_call_left", "everyday",
        "talking on the phone held to the left ear with the left hand",
        (
            ("head", "z", -8),
            ("left_shoulder", "x", -63), ("left_shoulder", "z", -22), ("left_shoulder", "y", -46),
            ("left_elbow", "y", -150),
            *_RIGHT_ARM_DOWN,
        ),
    ),
    PoseEntry(
        "text_on_phone", "everyday",
        "texting: both hands holding a phone in front of the waist, head bowed to look at it",
        (
            ("neck", "x", 30), ("head", "x", 10),
            ("left_shoulder", "x", -18), ("left_shoulder", "z", -73), ("left_shoulder", "y", -48),
            ("left_elbow", "y", -86),
            ("right_shoulder", "x", -19), ("right_shoulder", "z", 73), ("right_shoulder", "y", 49),
            ("right_elbow", "y", 86),
            # palms up around the phone
            ("left_wrist", "x", -73), ("left_wrist", "y", -11), ("left_wrist", "z", 21),
            ("right_wrist", "x", -73), ("right_wrist", "y", 11), ("right_wrist", "z", -21),
        ),
    ),
    PoseEntry(
        "typing", "everyday",
        "sitting at a desk typing: forearms forward and level, head slightly down",
        (
            *_SEATED_LEGS, ("spine1", "x", 5), ("head", "x", 10),
            ("left_shoulder", "z", -80), ("left_shoulder", "x", -15), ("left_elbow", "y", -85),
            ("left_shoulder", "y", -15),
            ("right_shoulder", "z", 80), ("right_shoulder", "x", -15), ("right_elbow", "y", 85),
            ("right_shoulder", "y", 15),
        ),
    ),
    PoseEntry(
        "read_book", "everyday",
        "reading a book held open in both hands in front of the chest, head down",
        (
            ("neck", "x", 25), ("head", "x", 10),
            ("left_shoulder", "x", -28), ("left_shoulder", "z", -57), ("left_shoulder", "y", -50),
            ("left_elbow", "y", -100),
            ("right_shoulder", "x", -28), ("right_shoulder", "z", 57), ("right_shoulder", "y", 50),
            ("right_elbow", "y", 100),
            # palms up under the book
            ("left_wrist", "x", -72), ("left_wrist", "y", 8), ("left_wrist", "z", 15),
            ("right_wrist", "x", -72), ("right_wrist", "y", -8), ("right_wrist", "z", -15),
        ),
    ),
    PoseEntry(
        "point_forward_left", "everyday",
        "pointing straight ahead with the left arm at shoulder height",
        (
            ("left_shoulder", "y", -90),
            *_RIGHT_ARM_DOWN,
        ),
    ),
    PoseEntry(
        "point_up_left", "everyday",
        "pointing up at the sky with the left arm, looking up",
        (
            ("left_shoulder", "z", 60), ("left_shoulder", "y", -70),
            ("head", "x", -20),
            *_RIGHT_ARM_DOWN,
        ),
    ),
    PoseEntry(
        "salute_left", "everyday",
        "military salute with the left hand at the brow, elbow out",
        (
            ("left_shoulder", "x", -51), ("left_shoulder", "z", 14), ("left_shoulder", "y", -40),
            ("left_elbow", "y", -121),
            # flat hand, fingertips at the brow
            ("left_wrist", "x", -23), ("left_wrist", "y", -5), ("left_wrist", "z", -19),
            *_RIGHT_ARM_DOWN,
        ),
    ),
    PoseEntry(
        "shrug", "everyday",
        "shrugging: shoulders raised, elbows bent, forearms out with palms up",
        (
            ("left_collar", "z", 15), ("right_collar", "z", -15), ("head", "z", 8),
            ("left_shoulder", "z", -60), ("left_elbow", "y", -90), ("left_shoulder", "y", 30),
            ("left_wrist", "x", -80),
            ("right_shoulder", "z", 60), ("right_elbow", "y", 90), ("right_shoulder", "y", -30),
            ("right_wrist", "x", -80),
        ),
    ),
    PoseEntry(
        "thinking", "everyday",
        "thinking: right fist under the chin, left forearm across the belly supporting the right elbow",
        (
            ("head", "x", 10), ("head", "z", 5),
            ("left_shoulder", "x", 17), ("left_shoulder", "z", -67), ("left_shoulder", "y", -53),
            ("left_elbow", "y", -91),
            ("right_shoulder", "x", -36), ("right_shoulder", "z", 60), ("right_shoulder", "y", 80),
            ("right_elbow", "y", 136),
        ),
    ),
    PoseEntry(
        "facepalm", "everyday",
        "facepalm: head bowed into the right hand covering the face",
        (
            ("neck", "x", 10), ("head", "x", 20),
            *_LEFT_ARM_DOWN,
            ("right_shoulder", "x", -39), ("right_shoulder", "z", 25), ("right_shoulder", "y", 70),
            ("right_elbow", "y", 123),
        ),
    ),
    PoseEntry(
        "clap", "everyday",
        "clapping: both hands together in front of the chest",
        (
            ("left_shoulder", "x", -34), ("left_shoulder", "z", -58), ("left_shoulder", "y", -67),
            ("left_elbow", "y", -102),
            ("right_shoulder", "x", -34), ("right_shoulder", "z", 58), ("right_shoulder", "y", 67),
            ("right_elbow", "y", 101),
            # palms facing, fingers up and forward
            ("left_wrist", "x", -6), ("left_wrist", "y", 8), ("left_wrist", "z", 28),
            ("right_wrist", "x", -7), ("right_wrist", "y", -7), ("right_wrist", "z", -28),
        ),
    ),
    PoseEntry(
        "bow", "everyday",
        "bowing forward from the hips, back straight, arms at the sides",
        (
            ("pelvis", "x", 45), ("left_hip", "x", -45), ("right_hip", "x", -45),
            ("spine1", "x", 10), ("spine2", "x", 5), ("head", "x", 10),
            *_ARMS_DOWN,
        ),
    ),
    PoseEntry(
        "hand_on_heart", "everyday",
        "right hand placed flat on the left side of the chest, over the heart",
        (
            *_LEFT_ARM_DOWN,
            ("right_shoulder", "x", 11), ("right_shoulder", "z", 58), ("right_shoulder", "y", 54),
            ("right_elbow", "y", 117),
        ),
    ),
    PoseEntry(
        "cover_eyes", "everyday",
        "covering both eyes with the hands",
        (
            ("head", "x", 10),
            ("left_shoulder", "x", -48), ("left_shoulder", "z", -21), ("left_shoulder", "y", -68),
            ("left_elbow", "y", -128),
            ("right_shoulder", "x", -47), ("right_shoulder", "z", 21), ("right_shoulder", "y", 68),
            ("right_elbow", "y", 128),
        ),
    ),
    PoseEntry(
        "hug", "everyday",
        "hugging: both arms wrapped forward around someone at chest height",
        (
            ("left_shoulder", "z", -10), ("left_shoulder", "y", -50), ("left_elbow", "y", -95),
            ("right_shoulder", "z", 12), ("right_shoulder", "y", 50), ("right_elbow", "y", 95),
        ),
    ),
    PoseEntry(
        "reach_up_left", "everyday",
        "reaching up high with the left arm, on tiptoe, looking up",
        (
            ("left_collar", "z", 20), ("left_shoulder", "z", 80),
            ("spine1", "z", 5), ("head", "x", -20),
            ("left_ankle", "x", 35), ("right_ankle", "x", 35),
            *_RIGHT_ARM_DOWN,
        ),
    ),
    PoseEntry(
        "look_at_watch", "everyday",
        "checking the watch: left forearm raised level in front of the chest, head down looking at it",
        (
            ("neck", "x", 20), ("head", "x", 10), ("head", "y", 10),
            ("left_shoulder", "x", -18), ("left_shoulder", "z", -45), ("left_shoulder", "y", -69),
            ("left_elbow", "y", -86),
            *_RIGHT_ARM_DOWN,
        ),
    ),
    PoseEntry(
        "drink_from_cup_left", "everyday",
        "drinking from a cup held to the mouth with the left hand",
        (
            ("head", "x", -10),
            ("left_shoulder", "x", -42), ("left_shoulder", "z", -33), ("left_shoulder", "y", -65),
            ("left_elbow", "y", -127),
            *_RIGHT_ARM_DOWN,
        ),
    ),
    PoseEntry(
        "hitchhike_left", "everyday",
        "hitchhiking: left arm held straight out to the side, thumb up, head turned to the left",
        (
            ("left_shoulder", "z", -15), ("left_shoulder", "y", -15),
            ("head", "y", 40),
            *_RIGHT_ARM_DOWN,
        ),
    ),
    PoseEntry(
        "tie_shoe", "everyday",
        "kneeling on the right knee, bent forward, both hands tying the lace of the left shoe",
        (
            ("pelvis", "x", 20),
            ("right_hip", "x", -20), ("right_knee", "x", 90), ("right_ankle", "x", 50),
            ("left_hip", "x", -110), ("left_knee", "x", 90),
            ("spine1", "x", 25), ("spine2", "x", 20), ("spine3", "x", 10), ("head", "x", 20),
            ("left_shoulder", "x", -35), ("left_shoulder", "z", -7), ("left_shoulder", "y", -81),
            ("left_elbow", "y", -20),
            ("right_shoulder", "x", -27), ("right_shoulder", "z", 3), ("right_shoulder", "y", 102),
            ("right_elbow", "y", 14),
        ),
    ),
]

_DANCE = [
    PoseEntry(
        "disco_point_left", "dance",
        "disco: left arm pointing diagonally up to the left, right hand on the hip",
        (
            ("left_shoulder", "z", 50), ("left_shoulder", "y", -15),
            ("right_shoulder", "x", 80), ("right_shoulder", "z", 32), ("right_shoulder", "y", -14),
            ("right_elbow", "y", 103),
            ("left_hip", "z", 10), ("left_knee", "x", 15), ("left_ankle", "x", -15), ("left_ankle", "z", -10),
            ("head", "x", -15), ("head", "y", 15),
        ),
    ),
    PoseEntry(
        "ballet_arabesque_left", "dance",
        "arabesque: standing on the right leg, left leg stretched straight back, right arm forward, left "
        "arm to the side",
        (
            ("pelvis", "x", 40), ("right_hip", "x", -40),
            ("left_hip", "x", 50), ("left_ankle", "x", 40),
            ("spine2", "x", -15), ("spine3", "x", -15), ("head", "x", -15),
            ("right_shoulder", "z", -15), ("right_shoulder", "y", 80),
            ("left_shoulder", "z", 10), ("left_shoulder", "y", 10),
        ),
    ),
    PoseEntry(
        "ballet_first_position", "dance",
        "ballet first position: heels together, toes turned out, arms rounded low in front of the belly",
        (
            ("left_hip", "y", 40), ("right_hip", "y", -40),
            ("left_hip", "z", -5), ("right_hip", "z", 5),
            ("left_ankle", "x", -3), ("left_ankle", "z", 4), ("right_ankle", "x", -3),
            ("right_ankle", "z", -4),
            ("left_shoulder", "x", 23), ("left_shoulder", "z", -63), ("left_shoulder", "y", -29),
            ("left_elbow", "y", -74),
            ("right_shoulder", "x", 23), ("right_shoulder", "z", 63), ("right_shoulder", "y", 29),
            ("right_elbow", "y", 73),
        ),
    ),
    PoseEntry(
        "ymca_y", "dance",
        "the Y of YMCA: both arms raised straight in a wide V above the head",
        (
            ("left_collar", "z", 10), ("right_collar", "z", -10),
            ("left_shoulder", "z", 60), ("right_shoulder", "z", -60),
        ),
    ),
    PoseEntry(
        "dab_left", "dance",
        "dab: left arm straight up to the left side, head ducked into the bent right elbow pointing the "
        "same way",
        (
            ("neck", "x", 15), ("head", "x", 25), ("head", "y", -15),
            ("left_shoulder", "z", 38), ("left_shoulder", "y", -15),
            ("right_shoulder", "z", -28), ("right_shoulder", "y", 115), ("right_elbow", "y", 70),
        ),
    ),
    PoseEntry(
        "hip_hop_pose", "dance",
        "hip-hop stance: feet wide, knees bent, leaning back, left forearm across the chest, right arm "
        "pointing down and out",
        (
            ("left_hip", "z", 20), ("right_hip", "z", -20),
            ("left_hip", "x", -30), ("right_hip", "x", -30),
            ("left_knee", "x", 45), ("right_knee", "x", 45),
            ("left_ankle", "x", -13), ("left_ankle", "z", -18), ("right_ankle", "x", -13),
            ("right_ankle", "z", 18),
            ("spine2", "x", -10), ("head", "z", 10),
            ("left_shoulder", "z", -60), ("left_shoulder", "y", -60), ("left_elbow", "y", -110),
            ("right_shoulder", "z", 45), ("right_shoulder", "y", 15),
        ),
    ),
    PoseEntry(
        "salsa_turn", "dance",
        "salsa turn: on the balls of the feet, left hand raised above the head, right arm out at waist "
        "height, head spotting",
        (
            ("left_ankle", "x", 30), ("right_ankle", "x", 30),
            ("right_hip", "x", -10), ("right_hip", "z", 12),
            ("spine2", "y", 20), ("head", "y", -30),
            ("left_shoulder", "x", -90), ("left_shoulder", "z", 70), ("left_elbow", "y", -40),
            ("right_shoulder", "z", 40), ("right_elbow", "y", 30),
        ),
    ),
]

_MARTIAL_ARTS = [
    PoseEntry(
        "karate_punch_left", "martial arts",
        "karate straight punch with the left fist to the centre line, right fist pulled back to the hip, "
        "horse stance",
        (
            ("left_hip", "x", -40), ("right_hip", "x", -40),
            ("left_hip", "z", 20), ("right_hip", "z", -20),
            ("left_knee", "x", 60), ("right_knee", "x", 60),
            ("left_ankle", "x", -18), ("left_ankle", "z", -20), ("right_ankle", "x", -18),
            ("right_ankle", "z", 20),
            ("left_shoulder", "z", -8), ("left_shoulder", "y", -102),
            *_RIGHT_FIST_AT_HIP,
        ),
    ),
    PoseEntry(
        "karate_front_stance", "martial arts",
        "karate front stance: left knee bent forward, right leg straight back, left arm in a low block, "
        "right fist at the hip",
        (
            ("left_hip", "x", -50), ("left_knee", "x", 65), ("left_ankle", "x", -15),
            ("right_hip", "x", 30), ("right_ankle", "x", -30),
            ("left_shoulder", "z", -45), ("left_shoulder", "y", -70),
            *_RIGHT_FIST_AT_HIP,
        ),
    ),
    PoseEntry(
        "crane_stance_left", "martial arts",
        "crane stance: balancing on the right leg, left knee raised high, arms raised out like wings with "
        "drooping hands",
        (
            ("left_hip", "x", -80), ("left_knee", "x", 100), ("left_ankle", "x", 30),
            ("right_knee", "x", 5),
            ("left_shoulder", "z", 40), ("right_shoulder", "z", -40),
            ("left_wrist", "z", -70), ("right_wrist", "z", 70),
        ),
    ),
    PoseEntry(
        "high_block_left", "martial arts",
        "karate rising block: left forearm raised across above the forehead, right fist at the hip",
        (
            ("left_shoulder", "x", -30), ("left_shoulder", "z", 52), ("left_shoulder", "y", -62),
            ("left_elbow", "y", -91),
            *_RIGHT_FIST_AT_HIP,
        ),
    ),
    PoseEntry(
        "roundhouse_kick_left", "martial arts",
        "roundhouse kick: the left leg swung round at hip height in front, body leaning back to the right, "
        "fists up",
        (
            ("pelvis", "z", 35), ("pelvis", "y", -30),
            ("left_hip", "z", 55), ("left_hip", "x", -40), ("left_knee", "x", 10),
            ("right_hip", "z", -35),
            ("head", "y", 40),
            ("left_shoulder", "z", -75), ("left_shoulder", "x", -35), ("left_elbow", "y", -120),
            ("left_shoulder", "y", -30),
            ("right_shoulder", "z", 75), ("right_shoulder", "x", -35), ("right_elbow", "y", 120),
            ("right_shoulder", "y", 30),
        ),
    ),
    PoseEntry(
        "fencing_lunge_left", "martial arts",
        "fencing lunge: left leg lunging forward, left sword arm extended straight ahead, right arm raised "
        "behind",
        (
            ("pelvis", "x", 10), ("spine1", "x", -10),
            ("spine1", "y", -25), ("spine2", "y", -20), ("head", "y", 45),
            ("left_hip", "x", -75), ("left_knee", "x", 70),
            ("right_hip", "y", -45), ("right_hip", "x", 35), ("right_ankle", "x", -25),
            ("right_ankle", "z", 20),
            ("left_shoulder", "y", -45),
            ("right_shoulder", "x", -90), ("right_shoulder", "z", -30), ("right_elbow", "y", 70),
        ),
    ),
]

_EMOTIONS = [
    PoseEntry(
        "celebrate_victory", "emotion/situation",
        "celebrating victory: both fists thrown up in a V above the head, chin up",
        (
            ("spine3", "x", -5), ("head", "x", -20),
            ("left_shoulder", "x", -90), ("left_shoulder", "z", 60), ("left_shoulder", "y", -15),
            ("left_elbow", "y", -20),
            ("right_shoulder", "x", -90), ("right_shoulder", "z", -60), ("right_shoulder", "y", 15),
            ("right_elbow", "y", 20),
        ),
    ),
    PoseEntry(
        "surrender", "emotion/situation",
        "hands up in surrender: upper arms out to the sides, forearms straight up",
        (
            ("left_shoulder", "x", -90), ("left_shoulder", "z", 5), ("left_elbow", "y", -90),
            ("right_shoulder", "x", -90), ("right_shoulder", "z", -5), ("right_elbow", "y", 90),
        ),
    ),
    PoseEntry(
        "cold_shivering", "emotion/situation",
        "shivering with cold: hugging itself with the arms crossed, shoulders hunched, knees together",
        (
            ("left_collar", "z", 12), ("right_collar", "z", -12), ("spine2", "x", 10), ("spine3", "x", 5),
            ("head", "x", 12),
            ("left_hip", "z", -5), ("right_hip", "z", 5), ("left_knee", "x", 10), ("right_knee", "x", 10),
            ("left_ankle", "x", -10), ("left_ankle", "z", 5), ("right_ankle", "x", -10),
            ("right_ankle", "z", -5),
            ("left_shoulder", "x", 4), ("left_shoulder", "z", -23), ("left_shoulder", "y", -114),
            ("left_elbow", "y", -110),
            ("right_shoulder", "x", 5), ("right_shoulder", "z", 24), ("right_shoulder", "y", 111),
            ("right_elbow", "y", 109),
            # hands tucked into the armpits
            ("left_wrist", "x", -48), ("left_wrist", "y", -8), ("left_wrist", "z", -15),
            ("right_wrist", "x", -46), ("right_wrist", "y", 11), ("right_wrist", "z", 16),
        ),
    ),
    PoseEntry(
        "exhausted_hands_on_knees", "emotion/situation",
        "exhausted: bent over with both hands resting on the knees, catching breath",
        (
            ("pelvis", "x", 45), ("left_hip", "x", -65), ("right_hip", "x", -65),
            ("left_knee", "x", 45), ("right_knee", "x", 45),
            ("left_ankle", "x", -25), ("right_ankle", "x", -25),
            ("spine1", "x", 10), ("spine2", "x", 10), ("head", "x", -10),
            ("left_shoulder", "x", 39), ("left_shoulder", "z", -40), ("left_shoulder", "y", -97),
            ("left_elbow", "y", 0),
            ("right_shoulder", "x", 39), ("right_shoulder", "z", 40), ("right_shoulder", "y", 97),
            ("right_elbow", "y", 0),
        ),
    ),
    PoseEntry(
        "sad_slumped", "emotion/situation",
        "sad: standing slumped, shoulders rounded, head hanging down, arms limp",
        (
            ("spine2", "x", 10), ("spine3", "x", 10), ("neck", "x", 15), ("head", "x", 25),
            ("left_collar", "z", -5), ("right_collar", "z", 5),
            ("left_shoulder", "z", -80), ("left_shoulder", "x", -10),
            ("right_shoulder", "z", 80), ("right_shoulder", "x", -10),
        ),
    ),
    PoseEntry(
        "scared_cowering", "emotion/situation",
        "cowering in fear: crouched low, head down and turned away, forearms raised in front of the face",
        (
            ("pelvis", "x", 30),
            ("left_hip", "x", -90), ("right_hip", "x", -90),
            ("left_knee", "x", 110), ("right_knee", "x", 110),
            ("left_ankle", "x", -20), ("right_ankle", "x", -20),
            ("spine1", "x", 15), ("spine2", "x", 10), ("head", "x", 25), ("head", "y", -20),
            ("left_shoulder", "x", -48), ("left_shoulder", "z", -21), ("left_shoulder", "y", -68),
            ("left_elbow", "y", -128),
            ("right_shoulder", "x", -47), ("right_shoulder", "z", 21), ("right_shoulder", "y", 68),
            ("right_elbow", "y", 128),
        ),
    ),
    PoseEntry(
        "angry_fists", "emotion/situation",
        "angry: fists clenched at the sides with elbows bent, leaning forward, feet planted apart",
        (
            ("left_hip", "z", 8), ("right_hip", "z", -8),
            ("left_ankle", "z", -8), ("right_ankle", "z", 8),
            ("spine1", "x", 10), ("spine2", "x", 5), ("head", "x", -10),
            ("left_collar", "z", 5), ("right_collar", "z", -5),
            ("left_shoulder", "z", -70), ("left_shoulder", "x", 10), ("left_elbow", "y", -100),
            ("right_shoulder", "z", 70), ("right_shoulder", "x", 10), ("right_elbow", "y", 100),
        ),
    ),
    PoseEntry(
        "power_pose", "emotion/situation",
        "power pose: feet wide, hands on the hips, elbows out, chest up, chin raised",
        (
            ("left_hip", "z", 10), ("right_hip", "z", -10),
            ("left_ankle", "z", -10), ("right_ankle", "z", 10),
            ("spine3", "x", -8), ("head", "x", -10),
            ("left_shoulder", "x", 80), ("left_shoulder", "z", -32), ("left_shoulder", "y", 14),
            ("left_elbow", "y", -103),
            ("right_shoulder", "x", 80), ("right_shoulder", "z", 32), ("right_shoulder", "y", -14),
            ("right_elbow", "y", 103),
        ),
    ),
    PoseEntry(
        "yawn_stretch", "emotion/situation",
        "yawning and stretching: arms raised with elbows bent above the head, leaning back, head tilted back",
        (
            ("spine2", "x", -10), ("head", "x", -25),
            ("left_shoulder", "x", -90), ("left_shoulder", "z", 65), ("left_elbow", "y", -70),
            ("right_shoulder", "x", -90), ("right_shoulder", "z", -65), ("right_elbow", "y", 70),
        ),
    ),
    PoseEntry(
        "flex_biceps", "emotion/situation",
        "double biceps flex: upper arms out level, forearms folded up, fists by the head",
        (
            ("spine3", "x", -5),
            ("left_shoulder", "x", -90), ("left_shoulder", "z", 15), ("left_elbow", "y", -120),
            ("left_shoulder", "y", 15),
            ("right_shoulder", "x", -90), ("right_shoulder", "z", -15), ("right_elbow", "y", 120),
            ("right_shoulder", "y", -15),
        ),
    ),
    PoseEntry(
        "begging_on_knees", "emotion/situation",
        "begging on both knees: hands clasped in front of the chest, looking up",
        (
            *_KNEELING_LEGS, ("head", "x", -15),
            ("left_shoulder", "x", -37), ("left_shoulder", "z", -62), ("left_shoulder", "y", -69),
            ("left_elbow", "y", -116),
            ("right_shoulder", "x", -38), ("right_shoulder", "z", 62), ("right_shoulder", "y", 69),
            ("right_elbow", "y", 116),
            # palms pressed together, fingers up
            ("left_wrist", "x", 8), ("left_wrist", "y", -23), ("left_wrist", "z", 26),
            ("right_wrist", "x", 8), ("right_wrist", "y", 23), ("right_wrist", "z", -26),
        ),
    ),
    PoseEntry(
        "shush_left", "emotion/situation",
        "shushing: left index finger raised to the lips",
        (
            ("left_shoulder", "x", -35), ("left_shoulder", "z", -42), ("left_shoulder", "y", -70),
            ("left_elbow", "y", -128),
            *_RIGHT_ARM_DOWN,
        ),
    ),
    PoseEntry(
        "facepalm_seated", "emotion/situation",
        "sitting bent forward, face in the right hand, left forearm resting on the left thigh",
        (
            *_SEATED_LEGS,
            ("spine1", "x", 20), ("spine2", "x", 15), ("spine3", "x", 5), ("neck", "x", 15), ("head", "x", 10),
            ("left_shoulder", "x", -85), ("left_shoulder", "z", -52), ("left_shoulder", "y", -92),
            ("left_elbow", "y", -80),
            ("right_shoulder", "x", -38), ("right_shoulder", "z", 17), ("right_shoulder", "y", 63),
            ("right_elbow", "y", 120),
        ),
    ),
]

_ENTRIES = [*_SPORTS, *_EVERYDAY, *_DANCE, *_MARTIAL_ARTS, *_EMOTIONS]

ENTRIES: dict[str, PoseEntry] = {entry.name: entry for entry in _ENTRIES}
