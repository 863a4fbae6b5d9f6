"""Speculative prompts: situations, activities and emotions mapped to families of named poses.

ChatPose's "speculative" requests describe a situation instead of body parts ("what would a
sprinter do after winning?"). Each `Situation` lists the named poses that answer it, several
phrasings that never just say the pose's name, the geometric checks any acceptable answer must
pass (names from `posegpt.eval.checks`), and short replies around one "<POSE>".

Held-out rules (`posegpt.data.splits.is_heldout`): a situation held out as kind "situation" is
used for evaluation only; each phrasing is also a template with id ``f"{situation}#{index}"``
(kind "template"), so evaluation also has unseen phrasings of situations seen in training. Answer
templates have ids ``f"{situation}#answer{index}"``. Pose names inside a family may be held-out
poses: training draws only the family's training poses, so every family also holds at least one
training pose (the test is generalising the situation, not learning a new body).

Checks are written for the poses as authored (sided poses for their left side) and hold for
every pose of the family (tests/test_speculative.py runs them). In a ``side_free`` situation
either side is a right answer: the mirrored pose satisfies the mirrored checks
(`mirrored_check`); training answers with the authored side only, so one prompt never has two
opposite targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from posegpt.data.splits import is_heldout

Split = Literal["train", "eval"]


@dataclass(frozen=True)
class Situation:
    """A situation, activity or emotion, the poses that answer it and how people ask for it."""

    name: str  # snake_case id, also the held-out key
    pose_names: tuple[str, ...]  # named poses that answer it (catalogue names, sided ones "left")
    phrasings: tuple[str, ...]  # user requests, each a different wording of the situation
    checks: tuple[str, ...]  # check names every acceptable answer passes (for the authored side)
    answer_templates: tuple[str, ...]  # short replies, each with exactly one "<POSE>"
    side_free: bool = True  # either mirror of a sided pose is a right answer

    def phrasing_id(self, index: int) -> str:
        return f"{self.name}#{index}"

    def answer_id(self, index: int) -> str:
        return f"{self.name}#answer{index}"


def mirrored_check(name: str) -> str:
    """The check a mirrored pose passes when the original passes `name` (left ↔ right)."""
    return "_".join({"left": "right", "right": "left"}.get(part, part) for part in name.split("_"))


def _situation(
    name: str,
    poses: tuple[str, ...],
    checks: tuple[str, ...],
    phrasings: tuple[str, ...],
    answers: tuple[str, ...],
    side_free: bool = True,
) -> Situation:
    return Situation(name, poses, phrasings, checks, answers, side_free)


_SITUATIONS: list[Situation] = [
    # ---------------------------------------------------------------- sports moments
    _situation(
        "sprinter_wins_race", ("celebrate_victory", "arms_up"), ("both_wrists_above_head",),
        (
            "What would a sprinter do right after winning?",
            "Show me the pose of someone who just won a race.",
            "How does a runner celebrate crossing the finish line first?",
            "I just won the 100 metres final! How should I stand for the photographers?",
            "Give me the body language of an athlete who has just taken gold.",
            "Pose like a marathon runner breaking the finish tape in first place.",
            "What does victory look like for a track athlete at the end of the race?",
        ),
        (
            "Pure joy: arms thrown up high. <POSE>",
            "A winner throws both arms to the sky: <POSE>",
            "Like this, arms up in triumph: <POSE>",
        ),
    ),
    _situation(
        "sprinting_down_the_track", ("sprint",), ("elbows_bent", "knees_bent"),
        (
            "Show me someone running as fast as they can.",
            "What does a sprinter look like halfway through the hundred metres?",
            "How would a person look while racing to catch a train that is about to leave?",
            "Give me a runner at full speed.",
            "Pose like an athlete in the middle of a short, explosive race.",
            "What's the body position of someone dashing away from a bee?",
        ),
        (
            "Full speed: knee driving up, arms pumping. <POSE>",
            "Here's a runner mid-stride at top speed: <POSE>",
            "Like this, pumping the arms hard: <POSE>",
        ),
    ),
    _situation(
        "easy_morning_jog", ("jog",), ("elbows_bent", "upright_standing"),
        (
            "How does someone look on a relaxed morning run?",
            "Show me a person jogging slowly through the park.",
            "Give me someone doing a gentle run before breakfast.",
            "What does a runner look like at an easy conversational pace?",
            "Pose like a person trotting along the beach for exercise.",
            "I want a reference of a casual runner, not racing, just keeping fit.",
        ),
        (
            "An easy stride with relaxed arms: <POSE>",
            "Here's a gentle jog: <POSE>",
            "Something like this, light on the feet: <POSE>",
        ),
    ),
    _situation(
        "goalkeeper_saving_a_shot", ("goalkeeper_dive_left",), ("right_wrist_above_shoulder", "right_knee_bent"),
        (
            "What does a goalkeeper do to stop a shot into the corner?",
            "Show me a keeper flying through the air to save a penalty.",
            "How would a football goalie stretch to reach a ball heading for the top corner?",
            "Give me the pose of a keeper making a spectacular save.",
            "Pose like someone diving sideways to block a ball.",
            "A striker shoots low and hard to the side of the goal. What does the keeper do?",
        ),
        (
            "A full-stretch dive to the side: <POSE>",
            "The keeper launches sideways, arms reaching for the ball: <POSE>",
            "Like this, body stretched out in the air: <POSE>",
        ),
    ),
    _situation(
        "boxer_waiting_for_the_bell", ("boxing_guard",), ("elbows_bent", "hands_near_face"),
        (
            "How does a boxer stand while waiting for the opponent to attack?",
            "Show me a fighter protecting their face in the ring.",
            "What's the ready stance of someone in a boxing match?",
            "Give me a boxer keeping their hands up.",
            "Pose like a fighter in a defensive position, ready to block.",
            "What does someone look like at the start of a sparring round?",
        ),
        (
            "Hands up to protect the face, elbows in: <POSE>",
            "A tight guard, ready to defend: <POSE>",
            "Fists up by the chin: <POSE>",
        ),
    ),
    _situation(
        "throwing_a_straight_punch", ("punch_left", "karate_punch_left", "point_forward_left"), ("left_arm_forward",),
        (
            "Show me someone throwing a straight punch.",
            "What does a boxer look like the moment the jab lands?",
            "How would a fighter extend their fist toward an opponent's chin?",
            "Give me the pose of a martial artist striking straight ahead.",
            "Pose like someone hitting a punching bag with a straight arm.",
            "What does a quick jab look like at full extension?",
        ),
        (
            "Arm shot straight forward: <POSE>",
            "The punch at full extension: <POSE>",
            "Like this, fist driving straight ahead: <POSE>",
        ),
    ),
    _situation(
        "pitcher_throwing", ("throw_ball_left",), ("left_wrist_above_shoulder", "left_elbow_bent"),
        (
            "How does a baseball pitcher look just before releasing the ball?",
            "Show me someone winding up to throw a ball far.",
            "What would a quarterback do to launch a long pass?",
            "Give me a person in the middle of a hard overhand throw.",
            "Pose like someone about to hurl a snowball across the yard.",
            "What does a javelin-style throwing motion look like?",
        ),
        (
            "The throwing arm cocked back, ready to release: <POSE>",
            "Here's the throw: <POSE>",
            "Like this, winding up: <POSE>",
        ),
    ),
    _situation(
        "free_throw_in_basketball", ("basketball_shot", "arms_overhead_stretch", "arms_up"), ("both_wrists_above_head",),
        (
            "What does a basketball player look like releasing a free throw?",
            "Show me someone shooting a hoop from the line.",
            "How would a player release the ball toward the basket with both hands high?",
            "Give me the moment a ball leaves the shooter's hands on its way to the net.",
            "Pose like someone taking a jump shot.",
            "What does the follow-through of a shot at the basket look like?",
        ),
        (
            "Both arms extended high after the release: <POSE>",
            "The shot's follow-through, hands up high: <POSE>",
            "Like this, reaching up toward the hoop: <POSE>",
        ),
    ),
    _situation(
        "serving_in_tennis", ("tennis_serve", "reach_up_left", "point_up_left"), ("left_wrist_above_head",),
        (
            "How does a tennis player reach up to serve?",
            "Show me the moment a player stretches to hit a serve.",
            "What does someone look like reaching for a ball tossed high above them?",
            "Give me a tennis player stretching up to strike the first shot of a point.",
            "Pose like a volleyball player hitting an overhead serve.",
            "What's the body position when you toss a ball up and stretch to smash it?",
        ),
        (
            "One arm stretched high above the head: <POSE>",
            "Reaching up to the ball: <POSE>",
            "Like this, arm fully extended overhead: <POSE>",
        ),
    ),
    _situation(
        "golfer_teeing_off", ("golf_backswing",), ("right_wrist_above_shoulder", "feet_apart"),
        (
            "What does a golfer look like at the top of the swing?",
            "Show me someone about to drive a golf ball off the tee.",
            "How does a golfer wind up before hitting the ball?",
            "Give me a player on the first tee, club pulled back.",
            "Pose like someone teeing off on a sunny course.",
            "What's the position right before a golf club comes down?",
        ),
        (
            "Club drawn back, shoulders turned: <POSE>",
            "The top of the backswing: <POSE>",
            "Like this, wound up and ready: <POSE>",
        ),
    ),
    _situation(
        "taking_a_penalty_kick", ("soccer_kick_left", "kick_front_left"), ("left_foot_raised",),
        (
            "Show me a footballer striking a penalty.",
            "What does someone look like kicking a ball as hard as they can?",
            "How does a striker look the moment the boot meets the ball?",
            "Give me a player booting the ball toward the goal.",
            "Pose like a kid kicking a ball across the playground.",
            "What's the body position of someone taking a free kick?",
        ),
        (
            "Kicking leg swinging through: <POSE>",
            "One leg up, striking the ball: <POSE>",
            "Like this, foot off the ground mid-kick: <POSE>",
        ),
    ),
    _situation(
        "swimming_laps", ("swimming_freestyle",), ("lying", "legs_straight"),
        (
            "Show me someone swimming the front crawl.",
            "What does a swimmer look like in the middle of a lap?",
            "How does an Olympic swimmer stretch out in the water?",
            "Give me a person ploughing through the water in a pool race.",
            "Pose like a triathlete during the swimming leg.",
            "What's the body position of someone doing laps at the pool?",
        ),
        (
            "Stretched out flat, one arm reaching forward: <POSE>",
            "Here's a freestyle stroke: <POSE>",
            "Like this, long and horizontal: <POSE>",
        ),
    ),
    _situation(
        "riding_a_bike", ("cycling",), ("torso_bent_forward", "arms_forward"),
        (
            "Show me someone riding a road bike.",
            "What does a cyclist look like pedalling up a hill?",
            "How does a person sit on a racing bicycle?",
            "Give me someone on a bike during the Tour de France.",
            "Pose like a courier pedalling through town.",
            "What's the body position of someone on a bicycle leaning over the handlebars?",
        ),
        (
            "Leaning forward to the handlebars, knees pedalling: <POSE>",
            "Here's a cyclist: <POSE>",
            "Like this, bent over the bike: <POSE>",
        ),
    ),
    _situation(
        "downhill_skier", ("skiing_tuck",), ("knees_bent", "crouched"),
        (
            "How does a downhill skier go as fast as possible?",
            "Show me a ski racer flying down the slope.",
            "What does a skier look like crouched for speed?",
            "Give me the aerodynamic position of an alpine racer.",
            "Pose like someone racing down a mountain on skis.",
            "What's the body position of a speed skier?",
        ),
        (
            "Low and compact, knees bent: <POSE>",
            "A tight racing tuck: <POSE>",
            "Like this, crouched for speed: <POSE>",
        ),
    ),
    _situation(
        "martial_arts_kick", ("kick_front_left", "roundhouse_kick_left", "side_kick_left"), ("left_foot_raised", "left_knee_raised"),
        (
            "Show me a kickboxer kicking.",
            "What does a taekwondo fighter look like mid-kick?",
            "How would a martial artist strike with the leg?",
            "Give me someone kicking a pad at a karate class.",
            "Pose like an action-movie hero landing a kick.",
            "What's the body position when a fighter lifts a leg to kick an opponent?",
        ),
        (
            "One leg up, striking: <POSE>",
            "The kick at full extension: <POSE>",
            "Like this, balancing on one leg while kicking: <POSE>",
        ),
    ),
    _situation(
        "fencing_attack", ("fencing_lunge_left", "lunge"), ("left_knee_bent", "left_leg_forward", "feet_apart"),
        (
            "What does a fencer look like when attacking?",
            "Show me someone lunging forward with a sword.",
            "How does a musketeer attack an opponent?",
            "Give me an Olympic fencer at the moment of the touch.",
            "Pose like a swordsman stepping forward to strike.",
            "What's the body position of a fencer scoring a point?",
        ),
        (
            "A deep step forward, front knee bent: <POSE>",
            "Here's the lunge: <POSE>",
            "Like this, stretched toward the target: <POSE>",
        ),
    ),
    _situation(
        "karate_ready_stance", ("karate_front_stance",), ("feet_apart", "left_leg_forward"),
        (
            "How does a karate student stand in class?",
            "Show me a martial artist in a deep, stable stance.",
            "What does someone look like practising a kata?",
            "Give me a karateka ready to fight.",
            "Pose like a black belt on the dojo floor.",
            "What's a strong stance for a martial arts demonstration?",
        ),
        (
            "Wide and low, ready: <POSE>",
            "A firm martial arts stance: <POSE>",
            "Like this, feet planted wide: <POSE>",
        ),
    ),
    _situation(
        "jumping_for_a_rebound", ("jump_tuck",), ("knees_bent",),
        (
            "Show me someone jumping as high as they can with knees pulled up.",
            "What does a kid look like doing a cannonball into the pool?",
            "How does a person look mid-air after leaping off a trampoline?",
            "Give me a jump with the knees tucked in.",
            "Pose like someone leaping over a puddle.",
            "What's the body position at the top of a big jump?",
        ),
        (
            "Knees tucked up high in the air: <POSE>",
            "Mid-jump: <POSE>",
            "Like this, legs pulled in: <POSE>",
        ),
    ),
    _situation(
        "exhausted_after_a_marathon", ("exhausted_hands_on_knees",), ("torso_bent_forward",),
        (
            "What does a runner look like after finishing a marathon, completely spent?",
            "Show me someone catching their breath after a long race.",
            "How would a person stand after sprinting up ten flights of stairs?",
            "Give me the pose of an athlete totally out of breath.",
            "Pose like someone who just ran for the bus and barely made it.",
            "What does utter exhaustion after exercise look like?",
        ),
        (
            "Bent over, hands on the knees, gasping: <POSE>",
            "Completely spent: <POSE>",
            "Like this, catching their breath: <POSE>",
        ),
    ),
    _situation(
        "warming_up_the_quads", ("quad_stretch_left",), ("left_foot_raised",),
        (
            "How do runners stretch the front of the thigh before a race?",
            "Show me someone holding their foot behind them to stretch.",
            "What does a warm-up stretch for the quads look like?",
            "Give me a jogger stretching their legs before a run.",
            "Pose like someone pulling their heel toward their bottom.",
            "What's a classic standing leg stretch?",
        ),
        (
            "Heel pulled up behind, balancing on one leg: <POSE>",
            "A standing thigh stretch: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "gym_class_jumping_jacks", ("jumping_jack_open", "arms_up"), ("both_wrists_above_head",),
        (
            "Show me someone doing star jumps in gym class.",
            "What does the open position of a star jump look like?",
            "How does a person look at the widest point of a star jump?",
            "Give me a warm-up exercise with arms and legs spread wide.",
            "Pose like a fitness instructor leading a jumping workout.",
            "What does a body look like making a big X shape?",
        ),
        (
            "Arms and legs spread wide: <POSE>",
            "The wide open position: <POSE>",
            "Like this, a big X: <POSE>",
        ),
    ),
    _situation(
        "doing_push_ups", ("plank", "push_up_down"), ("elbows_bent", "legs_straight"),
        (
            "Show me someone in the middle of a push-up set.",
            "What does a soldier look like doing press-ups?",
            "How does a person hold themselves up on their hands on the floor to train?",
            "Give me the position at the start of a push-up.",
            "Pose like someone holding a core exercise, body straight as a board.",
            "What does a body look like supported on hands and toes, facing the floor?",
        ),
        (
            "Body straight, supported on hands and toes: <POSE>",
            "Here's the position: <POSE>",
            "Like this, facing the floor: <POSE>",
        ),
    ),
    _situation(
        "doing_crunches", ("sit_up",), ("knees_bent", "elbows_bent"),
        (
            "Show me someone curling up off the mat during an ab workout.",
            "What does an ab exercise on the floor look like?",
            "How does a person curl up from lying on their back?",
            "Give me the halfway point of a crunch.",
            "Pose like someone training their stomach muscles on a mat.",
            "What's the position during a core workout on your back?",
        ),
        (
            "Knees bent, torso curled up: <POSE>",
            "Halfway up: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "leg_day_squats", ("squat", "half_squat", "chair_pose"), ("knees_bent", "crouched"),
        (
            "Show me someone on leg day at the gym.",
            "What does a weightlifter look like at the bottom of the movement for the thighs?",
            "How does a person lower their hips as if sitting on an invisible chair?",
            "Give me the classic lower-body strength exercise.",
            "Pose like someone doing a bodyweight workout for the legs.",
            "What does a person look like when they sit back and bend both knees to train?",
        ),
        (
            "Hips back, both knees bent: <POSE>",
            "Here's the exercise: <POSE>",
            "Like this, sitting back into it: <POSE>",
        ),
    ),
    _situation(
        "hamstring_stretch", ("touch_toes",), ("torso_bent_forward", "legs_straight"),
        (
            "Show me someone stretching the back of their legs.",
            "What does it look like to try to reach the floor with straight legs?",
            "How does a gym teacher test flexibility?",
            "Give me someone folding forward as far as they can.",
            "Pose like someone reaching for their feet after a run.",
            "What's the classic flexibility test for the hamstrings?",
        ),
        (
            "Folded forward, reaching down: <POSE>",
            "Here's a forward fold: <POSE>",
            "Like this, hands toward the floor: <POSE>",
        ),
    ),
    _situation(
        "stretching_the_back_backwards", ("back_bend", "lean_back"), ("torso_leaning_back",),
        (
            "Show me someone arching backwards after sitting all day.",
            "How would you open up your chest after hours hunched over a desk?",
            "What does a limbo dancer do to get under the bar?",
            "Give me someone arching to look at the wall behind them.",
            "Pose like someone stretching after a long drive.",
            "What's the opposite of touching your toes?",
        ),
        (
            "Leaning back, chest open: <POSE>",
            "A backward stretch: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "side_stretch_in_class", ("side_bend_left", "triangle_pose"), ("legs_straight",),
        (
            "Show me someone stretching their side.",
            "How do you stretch the muscles along your ribs?",
            "What does a person look like leaning sideways to stretch?",
            "Give me a warm-up that stretches the waist.",
            "Pose like someone in a fitness class bending to one side.",
            "What's a good stretch for the side of the torso?",
        ),
        (
            "Bending to the side: <POSE>",
            "A side stretch: <POSE>",
            "Like this, long through one side: <POSE>",
        ),
    ),
    _situation(
        "glute_bridge_workout", ("bridge_pose",), ("knees_bent",),
        (
            "Show me someone lifting their hips off the floor while lying down.",
            "What does a hip-raising exercise on a mat look like?",
            "How does a physiotherapy patient strengthen their bottom?",
            "Give me the top of a bridge exercise.",
            "Pose like someone lying down and pushing their pelvis up.",
            "What's the exercise where you lie on your back and raise your hips?",
        ),
        (
            "Hips lifted, shoulders down: <POSE>",
            "Here's the bridge: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    # ---------------------------------------------------------------- emotions
    _situation(
        "overjoyed", ("celebrate_victory", "arms_up", "jumping_jack_open"), ("both_wrists_above_head",),
        (
            "Show me someone who is absolutely overjoyed.",
            "How does a person look when they just heard the best news of their life?",
            "What would you do if you won the lottery?",
            "Give me pure happiness in body language.",
            "Pose like someone whose team just won the championship.",
            "What does ecstatic joy look like?",
        ),
        (
            "Arms flung to the sky: <POSE>",
            "Pure happiness: <POSE>",
            "Like this, arms thrown up: <POSE>",
        ),
    ),
    _situation(
        "feeling_sad", ("sad_slumped", "look_down"), ("head_down", "wrists_below_shoulders"),
        (
            "Show me someone who is really sad.",
            "How does a person look after hearing bad news?",
            "What does heartbreak look like in someone's posture?",
            "Give me the body language of someone feeling down.",
            "Pose like someone whose dog ran away.",
            "What would a person do after losing an important game?",
        ),
        (
            "Slumped, head hanging: <POSE>",
            "A sad, deflated posture: <POSE>",
            "Like this, head down: <POSE>",
        ),
    ),
    _situation(
        "terrified", ("scared_cowering",), ("crouched", "hands_near_face"),
        (
            "Show me someone who is terrified.",
            "How does a person react to a huge spider dropping in front of them?",
            "What does someone look like hiding from a monster in a horror film?",
            "Give me the body language of pure fear.",
            "Pose like someone who hears a loud bang in the dark.",
            "How would a frightened person protect themselves?",
        ),
        (
            "Cowering, making themselves small: <POSE>",
            "Frightened and shrinking away: <POSE>",
            "Like this, crouched in fear: <POSE>",
        ),
    ),
    _situation(
        "furious", ("angry_fists",), ("elbows_bent",),
        (
            "Show me someone who is absolutely furious.",
            "How does a person stand when they're about to lose their temper?",
            "What does rage look like in body language?",
            "Give me someone clenching their fists in anger.",
            "Pose like someone who just found out they were cheated.",
            "What would an angry referee's body look like?",
        ),
        (
            "Tense, fists clenched: <POSE>",
            "Boiling with anger: <POSE>",
            "Like this, fists tight: <POSE>",
        ),
    ),
    _situation(
        "feeling_confident", ("power_pose", "hands_on_hips"), ("hands_on_hips",),
        (
            "Show me a confident person.",
            "How should I stand before a job interview to feel powerful?",
            "What does self-assurance look like in posture?",
            "Give me the stance of a superhero surveying the city.",
            "Pose like a boss who knows they are in charge.",
            "How does someone look when they feel unstoppable?",
        ),
        (
            "Tall, hands on hips: <POSE>",
            "A confident stance: <POSE>",
            "Like this, chest out: <POSE>",
        ),
    ),
    _situation(
        "embarrassed_by_a_mistake", ("facepalm", "facepalm_seated"), ("right_hand_near_head",),
        (
            "Show me someone who just realised they made a silly mistake.",
            "How does a person react when they send a message to the wrong group chat?",
            "What does second-hand embarrassment look like?",
            "Give me someone who can't believe what they just did.",
            "Pose like someone who forgot their keys inside the locked car.",
            "How would you react to a really terrible pun?",
        ),
        (
            "Hand to the face in disbelief: <POSE>",
            "Oh no: <POSE>",
            "Like this, face in hand: <POSE>",
        ),
    ),
    _situation(
        "not_knowing_the_answer", ("shrug",), ("elbows_bent",),
        (
            "Show me someone who has no idea.",
            "How does a person say 'I don't know' without words?",
            "What does someone do when asked a question they can't answer?",
            "Give me the body language of 'whatever'.",
            "Pose like someone who doesn't care either way.",
            "How do you show you're clueless with your body?",
        ),
        (
            "Shoulders up, palms out: <POSE>",
            "Who knows? <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "proud_of_strength", ("flex_biceps", "power_pose"), ("elbows_bent",),
        (
            "Show me someone showing off their muscles.",
            "How does a bodybuilder pose on stage?",
            "What does a person do to show how strong they are?",
            "Give me a strongman posing for the crowd.",
            "Pose like someone who just lifted a very heavy weight and is proud of it.",
            "How would a kid show off their 'big muscles'?",
        ),
        (
            "Arms bent, flexing: <POSE>",
            "Show those muscles: <POSE>",
            "Like this, proud and strong: <POSE>",
        ),
    ),
    _situation(
        "just_woke_up", ("yawn_stretch", "arms_overhead_stretch", "arms_up"), ("both_wrists_above_head",),
        (
            "Show me someone who just got out of bed.",
            "How does a person stretch first thing in the morning?",
            "What do you do right after waking up from a long nap?",
            "Give me a sleepy morning stretch.",
            "Pose like someone stretching away the stiffness after a long flight.",
            "What does someone do when they can't stop yawning on a lazy Sunday morning?",
        ),
        (
            "A big stretch, arms up overhead: <POSE>",
            "Good morning: <POSE>",
            "Like this, reaching up high: <POSE>",
        ),
    ),
    _situation(
        "thinking_hard", ("thinking",), ("right_hand_near_head", "elbows_bent"),
        (
            "Show me someone deep in thought.",
            "How does a person look when solving a difficult riddle?",
            "What does a chess player do while planning a move?",
            "Give me the body language of careful consideration.",
            "Pose like a detective working out who the culprit is.",
            "How would you look while trying to remember a name?",
        ),
        (
            "Hand at the chin, pondering: <POSE>",
            "Deep in thought: <POSE>",
            "Like this, considering: <POSE>",
        ),
    ),
    _situation(
        "shocked_by_a_scene", ("cover_eyes", "facepalm"), ("right_hand_near_head",),
        (
            "Show me someone who can't bear to look.",
            "How does a person react to the scariest part of a film?",
            "What would you do at a gory moment in a movie?",
            "Give me someone hiding their face from something horrible.",
            "Pose like a fan watching their team miss an easy penalty.",
            "What does it look like when someone can't watch?",
        ),
        (
            "Hands up over the face: <POSE>",
            "I can't look: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "deeply_grateful", ("hand_on_heart", "kneel_praying"), ("right_elbow_bent", "torso_upright"),
        (
            "Show me someone who is deeply grateful.",
            "How does a person express heartfelt thanks without words?",
            "What does gratitude look like in body language?",
            "Give me someone thanking a crowd that just gave them a standing ovation.",
            "Pose like someone who has just received an incredibly kind gift.",
            "How would you show sincere thanks to a teacher?",
        ),
        (
            "A sincere gesture of thanks: <POSE>",
            "Full of gratitude: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "begging_for_forgiveness", ("begging_on_knees", "kneel_praying"), ("kneeling",),
        (
            "Show me someone pleading for forgiveness.",
            "How does a person beg for a second chance?",
            "What would someone do when desperately asking for mercy?",
            "Give me the body language of an earnest plea.",
            "Pose like someone asking their partner to forgive them.",
            "How does a desperate person implore someone?",
        ),
        (
            "Down on the knees, pleading: <POSE>",
            "Please: <POSE>",
            "Like this, kneeling: <POSE>",
        ),
    ),
    _situation(
        "bored_at_a_lecture", ("sit_slouched", "facepalm_seated", "sit_chair"), ("sitting",),
        (
            "Show me someone bored to death in a long meeting.",
            "How does a student sit through a dull lecture?",
            "What does a teenager look like at a family dinner they didn't want to attend?",
            "Give me the posture of someone waiting for class to end.",
            "Pose like someone listening to a speech that never ends.",
            "How would a bored person sit?",
        ),
        (
            "Sitting, utterly bored: <POSE>",
            "Waiting for it to end: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "impatient_waiting", ("arms_crossed", "look_at_watch"), ("upright_standing", "left_elbow_bent"),
        (
            "Show me someone waiting impatiently.",
            "How does a person stand when their friend is forty minutes late?",
            "What does impatience look like?",
            "Give me someone tired of waiting in a queue.",
            "Pose like someone waiting for a very slow printer.",
            "How would a parent stand waiting for a child to put their shoes on?",
        ),
        (
            "Standing, clearly impatient: <POSE>",
            "Come on now: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    # ---------------------------------------------------------------- everyday situations
    _situation(
        "answering_the_phone", ("phone_call_left",), ("left_hand_near_head",),
        (
            "Show me someone taking a phone call.",
            "How does a person hold their phone to talk to their mum?",
            "What does someone look like answering a call on the street?",
            "Give me a person chatting on an old-fashioned handset.",
            "Pose like someone listening to a voicemail.",
            "What would a receptionist do when the phone rings?",
        ),
        (
            "Phone held to the ear: <POSE>",
            "Hello? <POSE>",
            "Like this, hand at the ear: <POSE>",
        ),
    ),
    _situation(
        "texting_a_friend", ("text_on_phone",), ("elbows_bent", "wrists_below_shoulders"),
        (
            "Show me someone texting.",
            "How does a person look when they're glued to their phone?",
            "What does someone look like scrolling social media at the bus stop?",
            "Give me a person typing a message on a smartphone.",
            "Pose like a teenager replying to a group chat.",
            "What would someone do while checking their messages?",
        ),
        (
            "Head down, phone in both hands: <POSE>",
            "Typing away: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "working_at_a_desk", ("typing", "sit_chair"), ("sitting",),
        (
            "Show me someone working at a computer.",
            "How does an office worker sit at their desk?",
            "What does a writer look like finishing a novel on a laptop?",
            "Give me a programmer at work.",
            "Pose like someone answering emails in the morning.",
            "What would a student do while writing an essay on a computer?",
        ),
        (
            "Seated, hands at the keyboard: <POSE>",
            "At the desk: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "reading_quietly", ("read_book", "text_on_phone"), ("elbows_bent",),
        (
            "Show me someone absorbed in a good novel.",
            "How does a person look when reading in a library?",
            "What does a bookworm look like on a rainy afternoon?",
            "Give me someone enjoying a story.",
            "Pose like someone studying a map held in front of them.",
            "What would a student do while revising from a textbook?",
        ),
        (
            "Holding the book and reading: <POSE>",
            "Lost in a story: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "moving_house", ("carry_box",), ("elbows_bent", "arms_forward"),
        (
            "Show me someone moving house.",
            "How does a person carry a heavy box to the van?",
            "What does a delivery driver look like with a big parcel?",
            "Give me someone helping a friend move furniture.",
            "Pose like someone bringing the shopping in from the car.",
            "What would a warehouse worker do with a crate?",
        ),
        (
            "Carrying a box in both arms: <POSE>",
            "Heave: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "tying_shoelaces", ("tie_shoe", "kneel_on_left_knee"), ("knees_bent",),
        (
            "Show me someone whose shoelace came undone.",
            "How does a person fix a loose lace before a run?",
            "What would a parent do to help a child with their shoes?",
            "Give me someone getting down to tie their shoes.",
            "Pose like a hiker adjusting a boot on the trail.",
            "What does someone look like lacing up a sneaker?",
        ),
        (
            "Down low to tie the lace: <POSE>",
            "Fixing the shoe: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "checking_the_time", ("look_at_watch",), ("left_arm_forward", "left_elbow_bent"),
        (
            "Show me someone checking what time it is.",
            "How does a person look at their watch in a meeting?",
            "What would someone do when they're worried about being late?",
            "Give me someone glancing at their wrist.",
            "Pose like a commuter checking if the train is late.",
            "What does it look like to check the time on your wrist?",
        ),
        (
            "Glancing at the wrist: <POSE>",
            "What time is it? <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "drinking_coffee", ("drink_from_cup_left", "phone_call_left"), ("left_hand_near_head",),
        (
            "Show me someone sipping their morning coffee.",
            "How does a person drink a cup of tea?",
            "What does someone look like taking a sip of water?",
            "Give me someone enjoying a warm drink.",
            "Pose like someone drinking an espresso at a café counter.",
            "What would a person do with a mug right after making tea?",
        ),
        (
            "Cup raised to the lips: <POSE>",
            "A sip: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "hitching_a_ride", ("hitchhike_left",), ("upright_standing",),
        (
            "Show me someone trying to get a lift at the side of the road.",
            "How does a traveller ask passing cars for a ride?",
            "What would a backpacker do to catch a free ride?",
            "Give me someone hitching on a country road.",
            "Pose like a stranded driver asking for a lift.",
            "What's the classic gesture for asking drivers to stop and take you along?",
        ),
        (
            "Arm out, thumb up: <POSE>",
            "Need a ride: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "waiting_for_the_bus", ("stand", "arms_crossed"), ("upright_standing",),
        (
            "Show me someone waiting at a bus stop.",
            "How does a person stand in a queue at the post office?",
            "What does someone look like standing in line for coffee?",
            "Give me someone just waiting around.",
            "Pose like a person standing on the platform for the train.",
            "What would someone do while waiting for a friend outside the cinema?",
        ),
        (
            "Just standing and waiting: <POSE>",
            "Waiting: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "stargazing", ("look_up",), ("head_up",),
        (
            "Show me someone watching shooting stars.",
            "How does a person look at a plane flying overhead?",
            "What does someone look like admiring fireworks?",
            "Give me someone gazing at the night sky.",
            "Pose like a tourist looking at the top of a skyscraper.",
            "What would someone do when they hear a helicopter above them?",
        ),
        (
            "Looking up at the sky: <POSE>",
            "Eyes to the heavens: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "searching_the_floor", ("look_down",), ("head_down",),
        (
            "Show me someone looking for a contact lens on the floor.",
            "How does a person look at something at their feet?",
            "What would someone do after dropping a coin?",
            "Give me someone checking what they just stepped on.",
            "Pose like someone reading a message written on the pavement.",
            "What does a person look like staring at their shoes?",
        ),
        (
            "Looking down at the ground: <POSE>",
            "Eyes down: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "reaching_the_top_shelf", ("reach_up_left", "point_up_left", "tennis_serve"), ("left_wrist_above_head",),
        (
            "Show me someone trying to reach the top shelf.",
            "How does a person grab a jar from a high cupboard?",
            "What would a short person do to reach a book high up?",
            "Give me someone stretching to change a light bulb.",
            "Pose like someone picking an apple from a tree.",
            "What does it look like to reach for something just out of reach above you?",
        ),
        (
            "One arm stretched up high: <POSE>",
            "Almost got it: <POSE>",
            "Like this, reaching up: <POSE>",
        ),
    ),
    _situation(
        "asking_a_question_in_class", ("reach_up_left", "point_up_left"), ("left_wrist_above_head",),
        (
            "Show me a student who knows the answer.",
            "How does a pupil get the teacher's attention?",
            "What does someone do to ask a question at a conference?",
            "Give me someone volunteering eagerly.",
            "Pose like a kid who wants to be picked.",
            "What would you do in class to say 'me, me!'?",
        ),
        (
            "Hand up high: <POSE>",
            "Pick me: <POSE>",
            "Like this, arm raised: <POSE>",
        ),
    ),
    _situation(
        "greeting_a_friend_across_the_street", ("wave_left_hand",), ("left_wrist_above_shoulder",),
        (
            "Show me someone saying hello to a friend far away.",
            "How does a person greet someone across the road?",
            "What would you do to get a friend's attention at a busy station?",
            "Give me someone saying goodbye to a departing train.",
            "Pose like someone greeting their neighbours.",
            "What does a friendly hello from a distance look like?",
        ),
        (
            "A friendly wave: <POSE>",
            "Hi there! <POSE>",
            "Like this, hand raised: <POSE>",
        ),
    ),
    _situation(
        "giving_directions", ("point_forward_left",), ("left_arm_forward",),
        (
            "Show me someone giving directions to a tourist.",
            "How does a person show where the station is?",
            "What would a guide do to indicate the next monument?",
            "Give me someone showing the way.",
            "Pose like someone saying 'it's over there'.",
            "What does a coach do to tell a player where to run?",
        ),
        (
            "Arm out toward the spot: <POSE>",
            "That way: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "welcoming_someone_with_a_hug", ("hug", "arms_forward"), ("arms_forward",),
        (
            "Show me someone welcoming a friend back from a long trip.",
            "How does a grandparent greet their grandchild?",
            "What would you do when you see your best friend after years?",
            "Give me someone about to embrace someone.",
            "Pose like someone opening their arms for a cuddle.",
            "What does a warm welcome look like?",
        ),
        (
            "Arms out to embrace: <POSE>",
            "Come here: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "applauding_a_performance", ("clap",), ("hands_together",),
        (
            "Show me someone in the audience after a great concert.",
            "How does a person show appreciation at the theatre?",
            "What would you do when the orchestra finishes playing?",
            "Give me someone cheering politely at a graduation.",
            "Pose like a fan at the end of a fantastic show.",
            "What does a standing ovation look like for one person?",
        ),
        (
            "Hands together, applauding: <POSE>",
            "Bravo! <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "praying_quietly", ("kneel_praying",), ("hands_together",),
        (
            "Show me someone praying.",
            "How does a person pray before going to sleep?",
            "What does someone look like in a moment of quiet devotion?",
            "Give me someone making a heartfelt wish.",
            "Pose like someone hoping with all their heart.",
            "What would a person do in a chapel?",
        ),
        (
            "Hands together, in prayer: <POSE>",
            "A quiet prayer: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "thanking_the_audience", ("bow",), ("torso_bent_forward",),
        (
            "Show me an actor at the curtain call.",
            "How does a performer thank the audience after a show?",
            "What does a polite greeting look like in Japan?",
            "Give me a pianist acknowledging the applause.",
            "Pose like someone showing deep respect to an elder.",
            "What would a magician do after the final trick?",
        ),
        (
            "A deep, respectful bend forward: <POSE>",
            "Thank you, thank you: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "saluting_an_officer", ("salute_left",), ("left_hand_near_head",),
        (
            "Show me a soldier greeting an officer.",
            "How does a cadet respond to a general?",
            "What does a sailor do when the captain walks by?",
            "Give me a military greeting.",
            "Pose like a scout at a flag ceremony.",
            "What would a pilot do when meeting an admiral?",
        ),
        (
            "A crisp salute: <POSE>",
            "Yes sir! <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "shading_eyes_from_the_sun", ("salute_left",), ("left_hand_near_head",),
        (
            "Show me someone looking into the distance on a sunny day.",
            "How does a sailor scan the horizon for land?",
            "What would you do to see better when the sun is in your eyes?",
            "Give me someone searching for a ship far out at sea.",
            "Pose like a lookout trying to spot something far away in bright light.",
            "What does someone do to block the glare while watching a match outdoors?",
        ),
        (
            "Hand at the brow, shading the eyes: <POSE>",
            "Scanning the distance: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "asking_for_silence", ("shush_left",), ("left_hand_near_head",),
        (
            "Show me a librarian asking people to be quiet.",
            "How does a parent ask for quiet while the baby sleeps?",
            "What would you do to tell someone to keep a secret?",
            "Give me someone saying 'quiet please' without words.",
            "Pose like someone hushing a noisy room.",
            "What does a teacher do to calm a chatty class?",
        ),
        (
            "Finger to the lips: <POSE>",
            "Shh: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "strolling_to_work", ("walk", "jog"), ("upright_standing", "feet_apart"),
        (
            "Show me someone on their way to work.",
            "How does a person stroll through the park on a Sunday?",
            "What does a commuter look like walking to the station?",
            "Give me someone window-shopping along the high street.",
            "Pose like someone taking the dog out.",
            "What would a tourist do exploring a city on foot?",
        ),
        (
            "Mid-stride: <POSE>",
            "On the move: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "sitting_on_a_park_bench", ("sit_chair", "sit_chair_legs_crossed"), ("sitting",),
        (
            "Show me someone resting on a park bench.",
            "How does a person sit in a waiting room?",
            "What does someone look like waiting at the doctor's?",
            "Give me someone having a rest after a long walk.",
            "Pose like someone at a dinner table after the meal.",
            "What would you do in a chair at a job interview?",
        ),
        (
            "Sitting comfortably: <POSE>",
            "Taking a seat: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "picnic_on_the_grass", ("sit_floor_cross_legged", "sit_floor_legs_straight"), ("sitting",),
        (
            "Show me someone relaxing at a picnic.",
            "How does a child sit during story time on the carpet?",
            "What does someone look like on the beach watching the waves?",
            "Give me someone sitting on the grass at a festival.",
            "Pose like a camper sitting by the fire.",
            "What would you do on a blanket in the park?",
        ),
        (
            "Sitting on the ground: <POSE>",
            "Relaxing on the grass: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "sunbathing_on_the_beach", ("lie_on_back", "starfish"), ("lying_on_back",),
        (
            "Show me someone sunbathing.",
            "How does a person relax on a beach towel?",
            "What does someone look like floating on their back in a pool?",
            "Give me someone soaking up the sun on holiday.",
            "Pose like someone collapsing on the bed after a long day.",
            "What would someone do on a lounger at the resort?",
        ),
        (
            "Lying back in the sun: <POSE>",
            "Total relaxation: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "taking_a_nap", ("lie_on_left_side", "lie_on_back", "lie_on_stomach"), ("lying",),
        (
            "Show me someone taking a nap.",
            "How does a person sleep on the sofa?",
            "What does someone look like fast asleep?",
            "Give me someone dozing off after lunch.",
            "Pose like a cat person asleep in a sunbeam.",
            "What would someone do on a long train journey at night?",
        ),
        (
            "Lying down, fast asleep: <POSE>",
            "Sweet dreams: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "picking_something_up", ("lift_box", "squat"), ("knees_bent", "crouched"),
        (
            "Show me someone picking something up off the floor.",
            "How does a person grab a dropped pen?",
            "What would you do to pick up a toy the baby threw?",
            "Give me someone reaching down to the ground.",
            "Pose like someone collecting shells on the beach.",
            "What does it look like to fetch a ball at your feet?",
        ),
        (
            "Reaching down: <POSE>",
            "Picking it up: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "gardening", ("kneel_on_left_knee", "kneel_both_knees"), ("kneeling",),
        (
            "Show me someone planting flowers.",
            "How does a gardener weed a flower bed?",
            "What does someone look like tending vegetables?",
            "Give me someone working in the garden at ground level.",
            "Pose like someone scrubbing the floor.",
            "What would a person do to look under the sofa?",
        ),
        (
            "Down on the knees: <POSE>",
            "Working close to the ground: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "proposing_marriage", ("kneel_on_left_knee",), ("kneeling",),
        (
            "Show me someone proposing.",
            "How does a person pop the question?",
            "What does a romantic marriage proposal look like?",
            "Give me someone offering a ring.",
            "Pose like a knight being honoured by the queen.",
            "What would you do to ask the love of your life to marry you?",
        ),
        (
            "Down on one knee: <POSE>",
            "Will you marry me? <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "meditating", ("sit_floor_cross_legged",), ("sitting",),
        (
            "Show me someone meditating.",
            "How does a person sit for mindfulness practice?",
            "What does a monk look like during quiet reflection?",
            "Give me someone finding inner peace.",
            "Pose like someone doing breathing exercises on a mat.",
            "What would you do at a silent retreat?",
        ),
        (
            "Sitting calmly on the floor: <POSE>",
            "Peaceful: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "tea_ceremony", ("sit_on_heels",), ("knees_bent", "torso_upright"),
        (
            "Show me someone at a traditional Japanese tea ceremony.",
            "How does a person sit on a tatami mat?",
            "What does a judo student do while the teacher speaks?",
            "Give me someone sitting formally on the floor, heels beneath them.",
            "Pose like someone in a calm, formal seat on the floor.",
            "What would you do at a formal dinner at a low table?",
        ),
        (
            "Sitting back on the heels: <POSE>",
            "A formal floor seat: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "being_arrested", ("surrender", "hands_behind_head"), ("left_wrist_above_shoulder", "right_wrist_above_shoulder", "elbows_bent"),
        (
            "Show me someone giving up to the police.",
            "How does a suspect react when officers shout 'freeze'?",
            "What would a bank robber do when cornered?",
            "Give me someone who's been caught red-handed.",
            "Pose like someone showing they're unarmed.",
            "What does it look like to give yourself up?",
        ),
        (
            "Hands up, no resistance: <POSE>",
            "I give up: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "caught_in_a_stick_up", ("surrender",), ("left_wrist_above_shoulder", "right_wrist_above_shoulder"),
        (
            "Show me someone being held up in a western film.",
            "How does a person react when a cowboy says 'reach for the sky'?",
            "What would you do if someone pointed a water pistol at you and said 'hands up'?",
            "Give me someone showing they mean no harm.",
            "Pose like someone told to put their hands where they can be seen.",
            "What does a bank teller do in an old heist movie?",
        ),
        (
            "Both hands raised, palms out: <POSE>",
            "Don't shoot! <POSE>",
            "Like this: <POSE>",
        ),
    ),
    # ---------------------------------------------------------------- weather
    _situation(
        "freezing_in_the_cold", ("cold_shivering", "arms_crossed"), ("elbows_bent",),
        (
            "Show me someone freezing at a bus stop in winter.",
            "How does a person stand when they forgot their coat in the snow?",
            "What does someone look like after jumping into an icy lake?",
            "Give me someone shivering.",
            "Pose like someone waiting for the heater to start on a frosty morning.",
            "What would you do in a freezing wind?",
        ),
        (
            "Hugging themselves against the cold: <POSE>",
            "Brrr: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "enjoying_warm_sunshine", ("arms_out_to_sides_low", "t_pose"), ("arms_out_to_sides",),
        (
            "Show me someone enjoying the first warm day of spring.",
            "How does a person soak in the sun on a mountain top?",
            "What would you do on the deck of a ship on a sunny day?",
            "Give me someone welcoming the sunshine.",
            "Pose like someone feeling the warm breeze on a beach.",
            "What does carefree happiness in the sun look like?",
        ),
        (
            "Arms opened to the sunshine: <POSE>",
            "Feeling the sun: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "dancing_in_the_rain", ("salsa_turn", "arms_up", "celebrate_victory"), ("left_wrist_above_head",),
        (
            "Show me someone dancing in the rain.",
            "How does a person celebrate the first rain after a long drought?",
            "What would you do if it started pouring at a summer festival?",
            "Give me someone happily splashing in a storm.",
            "Pose like someone spinning under a warm downpour.",
            "What does joy in the rain look like?",
        ),
        (
            "Twirling in the rain: <POSE>",
            "Let it pour: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "hiding_from_a_thunderstorm", ("scared_cowering", "sit_hugging_knees"), ("knees_bent", "elbows_bent"),
        (
            "Show me someone scared of a thunderstorm.",
            "How does a child react to a loud clap of thunder?",
            "What would you do if lightning struck very close?",
            "Give me someone hiding from a storm.",
            "Pose like someone curled up while the wind howls outside.",
            "What does fear of thunder look like?",
        ),
        (
            "Curled up small: <POSE>",
            "Hiding from the storm: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    # ---------------------------------------------------------------- jobs
    _situation(
        "traffic_officer_stopping_cars", ("arms_forward", "point_forward_left"), ("left_arm_forward",),
        (
            "Show me a traffic officer stopping the cars.",
            "How does a crossing guard hold back traffic?",
            "What would you do to stop someone running toward you?",
            "Give me someone signalling 'halt'.",
            "Pose like a police officer at a busy junction.",
            "What does a 'stop right there' gesture look like?",
        ),
        (
            "Arm out in front, stop: <POSE>",
            "Halt! <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "construction_worker_lifting", ("lift_box",), ("knees_bent", "torso_bent_forward"),
        (
            "Show me a builder on a construction site.",
            "How does a worker lift a sack of cement?",
            "What does a labourer look like hauling bricks?",
            "Give me someone doing heavy manual work.",
            "Pose like a farmhand lifting a bale of hay.",
            "What would a mover do with a heavy crate?",
        ),
        (
            "Lifting with bent arms: <POSE>",
            "Heavy lifting: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "soldier_on_parade", ("stand", "salute_left"), ("upright_standing",),
        (
            "Show me a soldier on parade.",
            "How does a guard stand outside the palace?",
            "What does a cadet look like at attention?",
            "Give me a sentry on duty.",
            "Pose like someone standing very straight for inspection.",
            "What would a guard of honour do during the anthem?",
        ),
        (
            "Standing tall and still: <POSE>",
            "At attention: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "teacher_at_the_board", ("point_forward_left",), ("left_arm_forward",),
        (
            "Show me a teacher explaining something on the board.",
            "How does a presenter draw attention to a slide?",
            "What would a tour guide do to show a painting?",
            "Give me someone pointing something out in a lecture.",
            "Pose like a weather presenter showing the map.",
            "What does a lecturer do to highlight a formula?",
        ),
        (
            "Pointing out the key point: <POSE>",
            "Look here: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "mechanic_under_a_car", ("lie_on_back",), ("lying_on_back",),
        (
            "Show me a mechanic fixing the underside of a car.",
            "How does a plumber work under the kitchen sink?",
            "What does a person look like sliding under a vehicle?",
            "Give me someone repairing something from underneath.",
            "Pose like someone checking under the bed for a lost sock.",
            "What would a technician do to inspect the bottom of a machine?",
        ),
        (
            "Lying on the back: <POSE>",
            "Under the car: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "airport_marshal", ("t_pose", "arms_out_to_sides_low"), ("arms_out_to_sides",),
        (
            "Show me a marshal guiding a plane to the gate.",
            "How does a ground crew member signal to a pilot?",
            "What would someone do to show how wide something is?",
            "Give me someone spreading their arms for balance on a narrow wall.",
            "Pose like a tightrope walker.",
            "What does a 'how big was the fish' gesture look like at full stretch?",
        ),
        (
            "Arms stretched out to the sides: <POSE>",
            "Wide open: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "orchestra_conductor", ("arms_up", "point_up_left", "arms_overhead_stretch"), ("left_wrist_above_head",),
        (
            "Show me an orchestra conductor at the climax of a symphony.",
            "How does a conductor bring the music to a big finish?",
            "What does a choir leader do for the final note?",
            "Give me someone leading an orchestra dramatically.",
            "Pose like a maestro demanding more from the brass.",
            "What would a conductor do at the loudest moment?",
        ),
        (
            "Arms raised for the final chord: <POSE>",
            "Fortissimo! <POSE>",
            "Like this: <POSE>",
        ),
    ),
    # ---------------------------------------------------------------- dance and performance
    _situation(
        "ballerina_on_stage", ("ballet_arabesque_left", "ballet_first_position"), ("upright_standing", "legs_straight"),
        (
            "Show me a ballerina on stage.",
            "How does a ballet dancer pose in Swan Lake?",
            "What does a classical dancer look like at the barre?",
            "Give me someone dancing in a tutu.",
            "Pose like a graceful dancer at the opera house.",
            "What would a ballet student show at an exam?",
        ),
        (
            "Graceful and balanced: <POSE>",
            "A ballet position: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "seventies_disco", ("disco_point_left", "point_up_left"), ("left_wrist_above_head",),
        (
            "Show me a 70s disco move.",
            "How does someone dance to Saturday Night Fever?",
            "What does a dancer do under a mirror ball?",
            "Give me a retro nightclub move.",
            "Pose like someone in a white suit on a lit-up dance floor.",
            "What would a disco king do on the dance floor?",
        ),
        (
            "One finger to the sky: <POSE>",
            "Stayin' alive: <POSE>",
            "Like this: <POSE>",
            "Disco fever, finger pointing high: <POSE>",
            "Strike that classic dance-floor point: <POSE>",
        ),
    ),
    _situation(
        "singing_along_at_a_wedding", ("ymca_y", "arms_up"), ("both_wrists_above_head",),
        (
            "Show me someone at a wedding when the famous Village People song plays.",
            "How do people dance to the chorus of that song where you spell with your arms?",
            "What does a guest do at the first letter of the chorus?",
            "Give me someone spelling a letter with their arms overhead.",
            "Pose like someone on a dance floor at an 80s party, arms in a V.",
            "What would a wedding crowd do for the big chorus?",
        ),
        (
            "Arms up in a V: <POSE>",
            "Sing it! <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "street_dancer", ("hip_hop_pose", "dab_left"), ("upright_standing",),
        (
            "Show me a street dancer striking a pose.",
            "How does a hip hop dancer end their routine?",
            "What would a breakdancer do for the finale?",
            "Give me someone showing attitude in a dance battle.",
            "Pose like a teenager finishing a viral dance.",
            "What does a cool ending move look like?",
        ),
        (
            "With attitude: <POSE>",
            "Boom: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "celebrating_a_goal_with_style", ("dab_left", "celebrate_victory", "disco_point_left"), ("left_wrist_above_head",),
        (
            "Show me a footballer celebrating a goal with a trendy move.",
            "How does a young player celebrate in front of the fans?",
            "What would a teenager do after scoring in a video game tournament?",
            "Give me a cheeky celebration move.",
            "Pose like a player showing off to the camera after scoring.",
            "What does a flashy goal celebration look like?",
        ),
        (
            "A stylish celebration: <POSE>",
            "Goal! <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "salsa_night", ("salsa_turn",), ("left_wrist_above_head",),
        (
            "Show me someone dancing salsa.",
            "How does someone move at a Latin dance club?",
            "What does a dancer do at a salsa social?",
            "Give me someone twirling to Cuban music.",
            "Pose like someone spinning with a partner on the dance floor.",
            "What would a dancer do in a tango class?",
        ),
        (
            "Twirling: <POSE>",
            "Let's dance: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    # ---------------------------------------------------------------- animal imitations and fun
    _situation(
        "flamingo", ("stand_on_left_leg", "tree_pose"), ("right_foot_raised",),
        (
            "Show me how a flamingo stands.",
            "How do you imitate a heron waiting by the water?",
            "What does a kid do when pretending to be a stork?",
            "Give me a balance challenge on one foot.",
            "Pose like someone balancing while putting on a sock.",
            "What would you do in a 'who can balance longest' game?",
        ),
        (
            "Balanced on one leg: <POSE>",
            "Steady: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "flying_like_an_airplane", ("t_pose", "arms_out_to_sides_low"), ("arms_out_to_sides",),
        (
            "Show me a child pretending to be an aeroplane.",
            "How does a kid imitate a bird soaring?",
            "What does someone do playing at being an eagle?",
            "Give me someone gliding like a seagull.",
            "Pose like someone flying in a dream.",
            "What would a child do running around the playground as a jet?",
        ),
        (
            "Wings out: <POSE>",
            "Whoosh: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "stretching_cat", ("downward_dog",), ("torso_bent_forward", "legs_straight"),
        (
            "Show me how a cat stretches after a nap.",
            "How do you imitate a dog stretching in the morning?",
            "What does a pet do when it stretches its back and legs?",
            "Give me someone stretching like a lazy cat.",
            "Pose like a puppy waking up.",
            "What would you do to copy a stretching kitten?",
        ),
        (
            "A long animal stretch: <POSE>",
            "Stretchy: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "seal_or_snake", ("cobra_pose",), ("legs_straight", "wrists_below_shoulders"),
        (
            "Show me how a seal lifts its head on the beach.",
            "How do you imitate a snake rearing up?",
            "What does a sea lion look like sunbathing on a rock?",
            "Give me someone lying face down and lifting their chest.",
            "Pose like a lizard warming up in the sun.",
            "What would a child do pretending to be a snake?",
        ),
        (
            "Chest lifted from the floor: <POSE>",
            "Hiss: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "frog_on_a_lily_pad", ("deep_squat", "squat"), ("squatting",),
        (
            "Show me how a frog sits.",
            "How do you imitate a toad before it jumps?",
            "What does someone do pretending to be a frog?",
            "Give me someone crouching low like a frog.",
            "Pose like a kid in a leapfrog game about to be jumped over.",
            "What would you do to copy a frog on a lily pad?",
        ),
        (
            "Squatting low: <POSE>",
            "Ribbit: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "turtle_in_its_shell", ("child_pose", "sit_hugging_knees"), ("knees_bent",),
        (
            "Show me a turtle hiding in its shell.",
            "How do you curl up like a hedgehog?",
            "What does someone do to make themselves as small as possible?",
            "Give me someone curled into a tight ball.",
            "Pose like a snail pulling into its shell.",
            "What would a child do playing a shy armadillo?",
        ),
        (
            "Curled into a ball: <POSE>",
            "Tucked away: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "snow_angel", ("starfish",), ("lying_on_back",),
        (
            "Show me someone making a snow angel.",
            "How does a child lie in fresh snow?",
            "What does someone do spread out on the grass staring at clouds?",
            "Give me someone flat on the ground with arms and legs flung wide.",
            "Pose like a starfish on the sand.",
            "What would you do flopping down on a huge bed?",
        ),
        (
            "Flat on the back, limbs spread: <POSE>",
            "Snow angel: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "zombie_walk", ("arms_forward",), ("arms_forward",),
        (
            "Show me a zombie from a horror film.",
            "How does a sleepwalker move in cartoons?",
            "What does a mummy do when it rises from the tomb?",
            "Give me a Halloween monster shuffling forward.",
            "Pose like someone walking blindfolded feeling for the wall.",
            "What would you do playing the monster in a game of tag?",
        ),
        (
            "Both arms straight out in front: <POSE>",
            "Braaains: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "superhero_landing", ("power_pose", "hands_on_hips"), ("hands_on_hips",),
        (
            "Show me a superhero surveying the city.",
            "How does a caped hero stand after saving the day?",
            "What does a comic book hero look like on the cover?",
            "Give me someone standing proud like a champion.",
            "Pose like a captain on the bridge of a ship.",
            "What would a hero do after the villain is defeated?",
        ),
        (
            "Hands on hips, chest out: <POSE>",
            "Here to save the day: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "statue_of_liberty", ("point_up_left", "reach_up_left"), ("left_wrist_above_head",),
        (
            "Show me the famous statue in New York harbour.",
            "How do you imitate a statue holding a torch up high?",
            "What does someone do when they hold a trophy up with one hand?",
            "Give me someone holding a lantern high above their head.",
            "Pose like someone lifting a sparkler on New Year's Eve.",
            "What would a winner do showing a medal to the crowd with one hand?",
        ),
        (
            "One arm raised high: <POSE>",
            "Lifted high: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "tree_swaying_in_the_wind", ("arms_overhead_stretch", "tree_pose"), ("both_wrists_above_head",),
        (
            "Show me someone pretending to be a tree in the wind.",
            "How does a child play a tree in the school play?",
            "What does a willow bending in a storm look like as a pose?",
            "Give me someone swaying like a palm tree.",
            "Pose like a tree in a drama class warm-up.",
            "What would you do to act like a tall tree?",
        ),
        (
            "Tall and swaying: <POSE>",
            "Rooted and reaching: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "hide_and_seek_counting", ("cover_eyes", "facepalm"), ("right_hand_near_head",),
        (
            "Show me someone counting in hide and seek.",
            "How does a child promise not to peek?",
            "What does someone do before a surprise is revealed?",
            "Give me someone who isn't allowed to look.",
            "Pose like a kid waiting for their birthday cake to come out.",
            "What would you do when someone says 'no peeking'?",
        ),
        (
            "Eyes covered: <POSE>",
            "No peeking: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "gorilla_beating_chest", ("flex_biceps", "angry_fists"), ("elbows_bent",),
        (
            "Show me someone imitating a gorilla showing off.",
            "How does a wrestler look before a match?",
            "What does someone do to intimidate their rival at a weigh-in?",
            "Give me someone trying to look tough.",
            "Pose like a strongman at a circus.",
            "What would a kid do pretending to be a mighty ape?",
        ),
        (
            "Tough and ready: <POSE>",
            "Grr: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "relaxing_in_a_hammock", ("hands_behind_head",), ("left_hand_near_head", "right_hand_near_head"),
        (
            "Show me someone totally relaxed with nothing to do.",
            "How does a person lean back and unwind after work?",
            "What does someone look like lounging in a hammock?",
            "Give me someone taking it easy on a Sunday.",
            "Pose like someone daydreaming without a care.",
            "What would you do on the first day of your holiday?",
        ),
        (
            "Hands behind the head, relaxed: <POSE>",
            "Chilling: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "yoga_warrior_on_the_beach", ("warrior_one", "warrior_two", "lunge"), ("left_knee_bent", "feet_apart"),
        (
            "Show me a strong standing pose from a beach yoga class.",
            "How does a yoga teacher look holding a powerful lunge?",
            "What does someone look like feeling strong at sunrise yoga?",
            "Give me a grounded standing posture from yoga.",
            "Pose like a yogi channelling their inner fighter.",
            "What would a yoga class do to build strength in the legs?",
        ),
        (
            "A strong, grounded stance: <POSE>",
            "Feel powerful: <POSE>",
            "Like this: <POSE>",
        ),
    ),
    _situation(
        "resting_in_yoga", ("child_pose",), ("knees_bent",),
        (
            "Show me the resting position from a yoga class.",
            "How does a yoga teacher ask you to rest between poses?",
            "What does someone do to relax their back on a mat?",
            "Give me a gentle resting posture on the floor.",
            "Pose like someone taking a breather in a fitness class, folded forward on their knees.",
            "What would you do to calm down on a yoga mat?",
        ),
        (
            "Folded forward, resting: <POSE>",
            "Rest here: <POSE>",
            "Like this: <POSE>",
        ),
    ),
]

SITUATIONS: dict[str, Situation] = {situation.name: situation for situation in _SITUATIONS}
if len(SITUATIONS) != len(_SITUATIONS):
    raise ValueError("two situations share a name")


def training_situations() -> list[Situation]:
    """Situations that training may use (not held out as kind "situation")."""
    return [s for s in _SITUATIONS if not is_heldout("situation", s.name)]


def heldout_situations() -> list[Situation]:
    """Situations used by evaluation only."""
    return [s for s in _SITUATIONS if is_heldout("situation", s.name)]


def phrasings(situation: str | Situation, split: Split) -> list[tuple[str, str]]:
    """(template id, phrasing) pairs of one situation for a split.

    "train": the phrasings training may use (none for a held-out situation); "eval": every
    phrasing of a held-out situation, otherwise only the held-out phrasings.
    """
    entry = SITUATIONS[situation] if isinstance(situation, str) else situation
    pairs = [(entry.phrasing_id(i), text) for i, text in enumerate(entry.phrasings)]
    situation_held = is_heldout("situation", entry.name)
    if split == "train":
        return [] if situation_held else [(tid, text) for tid, text in pairs if not is_heldout("template", tid)]
    if split == "eval":
        return pairs if situation_held else [(tid, text) for tid, text in pairs if is_heldout("template", tid)]
    raise ValueError(f"split must be 'train' or 'eval', got {split!r}")


def answer_templates(situation: str | Situation, split: Split) -> list[tuple[str, str]]:
    """(template id, reply) pairs; training uses only the replies that are not held out,
    evaluation (where the reply is only a reference text) all of them."""
    entry = SITUATIONS[situation] if isinstance(situation, str) else situation
    pairs = [(entry.answer_id(i), text) for i, text in enumerate(entry.answer_templates)]
    if split == "train":
        return [(tid, text) for tid, text in pairs if not is_heldout("template", tid)]
    return pairs


def family_poses(situation: str | Situation, split: Split) -> list[str]:
    """The pose names of a situation's family that a split may draw: "train" leaves held-out poses
    out, "eval" keeps them all. Names missing from the pose library are skipped (the tests check
    that every name exists)."""
    from posegpt.data.named_poses import POSE_LIBRARY

    entry = SITUATIONS[situation] if isinstance(situation, str) else situation
    names = [name for name in entry.pose_names if name in POSE_LIBRARY]
    if split == "train":
        return [name for name in names if not is_heldout("pose", name)]
    return names
