"""posegpt.body_words: which pose does what a request's body words say."""

import pytest
import torch
from test_eval_text2pose import WordEmbedder

from posegpt.body_words import BodyWords, clauses, named_side, negated, said_clauses
from posegpt.data.captioner import posecode_phrases, stated_posecodes
from posegpt.data.catalogue import load as load_catalogue
from posegpt.data.named_poses import named_pose
from posegpt.pose import Pose


def _batch(*poses: Pose) -> Pose:
    return Pose.from_rotation_matrices(torch.cat([pose.rotation_matrices() for pose in poses]))


def test_a_request_is_cut_into_clauses_at_punctuation_and_joining_words():
    assert clauses("Stand, left arm up and right knee bent; head down") == ["Stand", "left arm up", "right knee bent", "head down"]
    assert clauses("Create a pose from this description: sit with your hands on your knees") == [
        "Create a pose from this description", "sit", "your hands on your knees"]
    assert clauses("ok") == []
    # a part named after "with" stays with the clause whose part it is
    assert clauses("kick forward with your right leg") == ["kick forward with your right leg"]
    assert clauses("stand with your feet apart, wave with your left hand") == ["stand", "your feet apart", "wave with your left hand"]
    assert clauses("your left hand") == ["your left hand"]
    # so does one named after "and", with its own word
    assert clauses("a worker scrubbing the floor on hands and knees") == ["a worker scrubbing the floor on hands and knees"]
    assert clauses("Bend your elbows And knees, head down") == ["Bend your elbows and knees", "head down"]


def test_a_clause_that_says_what_not_to_do_is_not_said():
    # "without" opens a clause of its own, and keeps its word
    assert clauses("touch your toes without bending your knees") == ["touch your toes", "without bending your knees"]
    assert negated("don't stand up") and negated("do not sit") and negated("Never lean back")
    assert negated("without bending your knees")
    assert not negated("stand up") and not negated("do a squat") and not negated("nod your head")
    assert said_clauses("put your hands up, don't stand up") == ["put your hands up"]
    assert said_clauses("don't move") == []


def test_a_negated_clause_asks_for_nothing():
    words = BodyWords(WordEmbedder())
    poses = _batch(named_pose("squat"), named_pose("arms_up"))
    both = words.scores("both arms raised straight up, don't squat down", poses)
    alone = words.scores("both arms raised straight up", poses)
    assert both is not None and alone is not None and torch.allclose(both, alone)
    assert words.scores("don't squat down", poses) is None


def test_a_clause_names_a_side_only_when_it_names_one_alone():
    assert named_side("raise your LEFT arm") == "left"
    assert named_side("right knee bent") == "right"
    assert named_side("left hand up, right hand down") is None
    assert named_side("arms up") is None
    assert named_side("a bright lamp") is None  # words, not letters


def test_every_posecode_of_a_pose_has_bare_phrasings():
    codes = stated_posecodes(_batch(named_pose("arms_up"), named_pose("squat")))
    assert len(codes) == 2
    for pose_codes in codes:
        assert pose_codes and any(code.topic == "posture" for code in pose_codes)
        for code in pose_codes:
            phrases = posecode_phrases(code)
            assert phrases and all("{" not in phrase and phrase == " ".join(phrase.split()) for phrase in phrases)
    # merged facts come with the per-side ones they merge
    arms = [(code.topic, code.value, code.side) for code in codes[0] if code.topic == "arm"]
    assert {side for _, _, side in arms} >= {"both", "left", "right"}


def test_the_pose_whose_facts_cover_the_body_words_scores_highest():
    words = BodyWords(WordEmbedder())
    poses = _batch(named_pose("squat"), named_pose("arms_up"), named_pose("wave_left_hand"))
    scores = words.scores("Please make this: both arms raised straight up", poses)
    assert scores is not None and scores.shape == (3,)
    assert int(scores.argmax()) == 1
    squat = words.scores("squatting down", poses)
    assert squat is not None and int(squat.argmax()) == 0


def test_words_about_no_body_get_no_scores():
    words = BodyWords(WordEmbedder())
    poses = _batch(named_pose("squat"), named_pose("arms_up"))
    assert words.scores("what would a sprinter look like who just won gold", poses) is None
    assert words.scores("", poses) is None


def test_a_clause_naming_one_side_prefers_that_sides_facts():
    words = BodyWords(WordEmbedder())
    wave = named_pose("wave_left_hand")
    poses = _batch(wave.mirrored(), wave)  # the right hand waving, then the left
    text = "left hand raised up at head height"
    scores = words.scores(text, poses)
    assert scores is not None and int(scores.argmax()) == 1
    mirrored = words.scores(text.replace("left", "right"), poses)
    assert mirrored is not None and int(mirrored.argmax()) == 0


def test_words_saying_conflicting_directions_contradict_each_other():
    from posegpt.body_words import conflicting, directions

    assert directions("Stretch both arms UP") == {"up"}
    assert conflicting(directions("stretch both arms up"), directions("arms stretched forward at shoulder height"))
    assert conflicting(directions("lean way back"), directions("torso leaning forward"))
    assert conflicting(directions("feet apart"), directions("feet together"))
    # a waving hand is up, a hand in a pocket down
    assert conflicting(directions("wave with your right hand"), directions("right hand in pocket"))
    # a wording that says both directions, or a clause that asks for both, contradicts nothing
    assert not conflicting(directions("arms up"), directions("arms raised up and forward"))
    assert not conflicting(directions("arms up and forward"), directions("arms stretched forward"))
    assert not conflicting(directions("bend your knees"), directions("both knees bent"))
    assert not conflicting(directions("sit"), directions("arms stretched forward"))


def test_a_height_named_says_level_and_a_raising_word_then_says_nothing():
    from posegpt.body_words import conflicting, directions, unsaid_direction

    # "at shoulder height" says where a lifted arm ends: level, not up
    assert directions("lift your right arm out to the side at shoulder height") == {"side", "level"}
    assert conflicting(directions("lift your right arm out to the side at shoulder height"),
                       directions("raise right arm up and out to the side"))
    assert not conflicting(directions("lift your right arm out to the side at shoulder height"),
                           directions("stretch right arm out to the side at shoulder height"))
    assert directions("hold both arms out at shoulder height") == {"side", "level"}  # one idiom, two groups
    assert directions("raise your arms above shoulder height") == {"up"}
    assert directions("lower your arms to your sides") == {"down", "side"}  # no height named: the verb says down
    assert directions("raise your arms out to the sides") == {"up", "side"}
    # a clause saying which way across matches a wording saying only how the part bends less
    assert unsaid_direction(directions("both arms straight forward"), directions("both arms straight"))
    assert not unsaid_direction(directions("both arms straight forward"), directions("arms stretched forward"))
    assert not unsaid_direction(directions("put your palms together in front"), directions("palms together"))
    # leaning sideways is not leaning back
    assert conflicting(directions("lean to the side a little"), directions("Lean backwards a little."))


def test_an_idiom_says_its_direction_and_not_its_words():
    from posegpt.body_words import conflicting, directions

    assert directions("arms down by your sides") == {"down"}
    assert directions("Arms relaxed at the sides.") == {"down"}
    assert directions("keep right arm down by side") == {"down"}  # the captioner's wordings, matched bare
    assert directions("arms out to the sides") == {"side"}
    assert directions("arms by your sides, one hand out to the side") == {"down", "side"}
    assert conflicting(directions("arms hanging by your sides"), directions("arms held out to the sides"))
    assert not conflicting(directions("arms hanging by your sides"), directions("both arms relaxed at the sides"))
    # a head tilted back looks up, a bowed one down
    assert directions("Head tilted back.") == {"up"} and directions("chin tucked in, head bowed") == {"down"}
    assert conflicting(directions("tilt your head down"), directions("Head tilted back."))
    assert not conflicting(directions("look up at the sky"), directions("head thrown back"))
    # a body hanging from something holds on above it; held out at shoulder height with no "in front" is sideways
    assert directions("a climber hanging from a bar") == {"up"}
    assert conflicting(directions("arms hanging by your sides"), directions("hang from a bar"))
    assert directions("hold both arms out at shoulder height") == {"side", "level"}
    assert not conflicting(directions("hold your arms out in front at shoulder height"), directions("arms out in front"))


def test_a_wording_in_the_other_direction_matches_less(monkeypatch):
    import posegpt.body_words as body_words

    monkeypatch.setattr(body_words, "BODY_CLAUSE", 0.0)  # every clause counts: the scores compare directly
    poses = _batch(named_pose("arms_up"), named_pose("t_pose"))
    text = "stretch both arms down"
    with_penalty = BodyWords(WordEmbedder()).scores(text, poses)
    monkeypatch.setattr(body_words, "DIRECTION_PENALTY", 0.0)
    without = BodyWords(WordEmbedder()).scores(text, poses)
    assert with_penalty is not None and without is not None
    # by its words alone "stretch both arms up overhead" is the nearest wording; it says the other direction
    assert float(without[0]) > float(without[1]) and float(with_penalty[0]) < float(without[0])
    assert float(with_penalty[1]) < float(without[1])  # "both arms out to the sides" says another against it


def _lowered_by(monkeypatch, penalty_name, facts, wordings, clause):
    """How much less each of a batch of standing poses matches `clause` with the body_words penalty
    `penalty_name` than without it: one pose per list of `facts`, each fact worded
    `wordings[its topic]`, every clause counted (the matches compare directly)."""
    import posegpt.body_words as body_words

    monkeypatch.setattr(body_words, "BODY_CLAUSE", 0.0)
    monkeypatch.setattr(body_words, "stated_posecodes", lambda poses: facts)
    monkeypatch.setattr(body_words, "posecode_phrases", lambda code: [wordings[code.topic]])
    poses = _batch(*[named_pose("stand") for _ in facts])
    penalty = getattr(body_words, penalty_name)
    assert penalty > 0
    with_penalty = BodyWords(WordEmbedder()).matches(clause, poses)
    monkeypatch.setattr(body_words, penalty_name, 0.0)
    without = BodyWords(WordEmbedder()).matches(clause, poses)
    monkeypatch.setattr(body_words, penalty_name, penalty)
    assert with_penalty is not None and without is not None
    return (without[:, 0] - with_penalty[:, 0]).tolist()


def test_a_wording_that_says_neither_up_nor_down_matches_a_clause_saying_one_less(monkeypatch):
    import posegpt.body_words as body_words
    from posegpt.data.captioner import Posecode

    facts = [[Posecode("arm", "up", "both")], [Posecode("hand_on", "face", "both")]]
    wordings = {"arm": "both hands lifted up high", "hand_on": "both hands on the face"}
    penalty = body_words.UNSAID_DIRECTION_PENALTY
    # only the wording that says no up is lowered, and only for the clause that says up
    for clause, lowered in (("stick both hands up", [0.0, penalty]), ("both hands on the face", [0.0, 0.0])):
        assert _lowered_by(monkeypatch, "UNSAID_DIRECTION_PENALTY", facts, wordings, clause) == pytest.approx(lowered)


def test_a_wording_saying_where_a_joint_points_matches_a_clause_saying_where_the_limb_points_less(monkeypatch):
    from posegpt.body_words import joint_directed, limb_directed
    from posegpt.data.captioner import Posecode

    assert joint_directed("left elbow pointing up") and not limb_directed("left elbow pointing up")
    assert limb_directed("your left arm pointing up") and not joint_directed("your left arm pointing up")
    assert not joint_directed("bend your elbows") and not limb_directed("bend your arms")  # how, not where
    facts = [[Posecode("upper_arm", "raised", "left")], [Posecode("arm", "up", "left")]]
    wordings = {"upper_arm": "left elbow pointing up", "arm": "left arm pointing up at the sky"}
    penalty = __import__("posegpt.body_words", fromlist=["JOINT_DIRECTION_PENALTY"]).JOINT_DIRECTION_PENALTY
    # only the elbow's wording is lowered, and only for the clause that says where the arm points
    for clause, lowered in (("your left arm pointing up", [penalty, 0.0]), ("raise your left elbow up", [0.0, 0.0])):
        assert _lowered_by(monkeypatch, "JOINT_DIRECTION_PENALTY", facts, wordings, clause) == pytest.approx(lowered)


def test_a_clause_naming_one_limbs_parts_names_no_other_limb():
    from posegpt.body_words import limbs

    assert limbs("your legs out straight in front") == {"leg"}
    assert limbs("Put your hands on your knees") == {"arm", "leg"}
    assert limbs("bend over") == frozenset()


def test_a_wording_that_names_only_the_other_limb_matches_less(monkeypatch):
    import posegpt.body_words as body_words
    from posegpt.data.captioner import Posecode

    facts = [[Posecode("thigh", "level_straight", "both")], [Posecode("arm", "forward", "both")], [Posecode("torso", "bent_forward", None)]]
    wordings = {"thigh": "legs straight out in front", "arm": "arms straight out in front", "torso": "bend over"}
    penalty = body_words.OTHER_LIMB_PENALTY
    # only the arms' wording is lowered, and only for the clause that names the legs
    for clause, lowered in (("legs out in front", [0.0, penalty, 0.0]), ("out in front", [0.0, 0.0, 0.0])):
        assert _lowered_by(monkeypatch, "OTHER_LIMB_PENALTY", facts, wordings, clause) == pytest.approx(lowered)


def _two_standing_poses_stating(monkeypatch, facts, wording):
    """`BodyWords` and two standing poses (a batch) whose only facts are `facts` (one list per
    pose), every fact worded `wording`: what a clause matches then differs by the penalties alone."""
    import posegpt.body_words as body_words

    monkeypatch.setattr(body_words, "stated_posecodes", lambda poses: facts)
    monkeypatch.setattr(body_words, "posecode_phrases", lambda code: [wording])
    return BodyWords(WordEmbedder()), _batch(named_pose("stand"), named_pose("stand"))


def test_a_posture_is_not_the_other_side_of_a_clause_naming_a_side(monkeypatch):
    import posegpt.body_words as body_words
    from posegpt.data.captioner import Posecode

    # two poses whose only fact is worded alike: the posture (its side the supporting leg) and a knee fact
    facts = [[Posecode("posture", "standing_one_leg", "left")], [Posecode("knee", "raised", "left")]]
    words, poses = _two_standing_poses_stating(monkeypatch, facts, "left leg up")
    match = words.matches("right leg up", poses)
    assert match is not None and float(match[0, 0] - match[1, 0]) == pytest.approx(body_words.OTHER_SIDE_PENALTY)


def test_a_clause_naming_a_side_matches_a_posture_that_says_none_less(monkeypatch):
    import posegpt.body_words as body_words
    from posegpt.data.captioner import Posecode

    # two poses whose only fact is worded alike: standing on the right leg, standing
    facts = [[Posecode("posture", "standing_one_leg", "right")], [Posecode("posture", "standing", None)]]
    words, poses = _two_standing_poses_stating(monkeypatch, facts, "stand on foot")
    sided = words.matches("stand on your right foot", poses)
    assert sided is not None and float(sided[0, 0] - sided[1, 0]) == pytest.approx(body_words.SIDELESS_POSTURE_PENALTY)
    plain = words.matches("stand on your foot", poses)  # no side named: alike
    assert plain is not None and float(plain[0, 0]) == pytest.approx(float(plain[1, 0]))


def test_a_clause_naming_a_pair_asks_both_sides(monkeypatch):
    import posegpt.body_words as body_words
    from posegpt.data.captioner import Posecode

    # two poses whose only fact is worded alike: one arm forward, both arms forward
    facts = [[Posecode("arm", "forward", "right")], [Posecode("arm", "forward", "both")]]
    words, poses = _two_standing_poses_stating(monkeypatch, facts, "arms forward")
    match = words.matches("arms forward", poses)
    assert match is not None and float(match[1, 0] - match[0, 0]) == pytest.approx(body_words.ONE_SIDE_PENALTY)
    one = words.matches("one of the arms forward", poses)  # "one": either side does it
    assert one is not None and float(one[0, 0]) == pytest.approx(float(one[1, 0]))


def _unasked_penalties(words: BodyWords, text: str, poses: Pose) -> list[float]:
    """How much less each pose scores (`BodyWords.scores`) than its clause matches sum to: its
    penalty for what no clause of `text` asks for."""
    match, scores = words.matches(text, poses), words.scores(text, poses)
    assert match is not None and scores is not None
    return (match.sum(1) - scores).tolist()


def test_a_pose_on_the_floor_no_clause_asks_for_scores_less():
    import posegpt.body_words as body_words

    assert set(body_words.FLOOR_POSTURES) <= set(load_catalogue("captioner")["postures"])
    words = BodyWords(WordEmbedder())
    poses = _batch(named_pose("lie_on_back"), named_pose("stand"))  # both with the arms along the body
    assert _unasked_penalties(words, "arms down", poses) == pytest.approx([body_words.FLOOR_UNASKED_PENALTY, 0.0])
    assert _unasked_penalties(words, "lie on back, arms down", poses) == pytest.approx([0.0, 0.0])  # the posture asked for


def test_a_body_off_its_feet_that_only_body_words_do_not_ask_for_scores_less():
    import posegpt.body_words as body_words

    assert set(body_words.ON_FEET_POSTURES) <= set(load_catalogue("captioner")["postures"])
    words = BodyWords(WordEmbedder())
    poses = _batch(named_pose("kneel_both_knees"), named_pose("stand"))  # both with the arms along the body
    assert _unasked_penalties(words, "arms down", poses) == pytest.approx([body_words.OFF_FEET_UNASKED_PENALTY, 0.0])
    assert _unasked_penalties(words, "kneel, arms down", poses) == pytest.approx([0.0, 0.0])  # the posture asked for
    # a clause that says no body ("a tired gardener") may imply the posture: no penalty either
    assert _unasked_penalties(words, "a tired gardener, arms down", poses) == pytest.approx([0.0, 0.0])


def test_a_body_on_its_feet_leaning_back_that_only_body_words_do_not_ask_for_scores_less():
    import posegpt.body_words as body_words

    words = BodyWords(WordEmbedder())
    poses = _batch(named_pose("lean_back"), named_pose("stand"))  # both standing, arms down
    assert _unasked_penalties(words, "arms down", poses) == pytest.approx([body_words.BACK_LEAN_UNASKED_PENALTY, 0.0])
    assert _unasked_penalties(words, "lean back, arms down", poses) == pytest.approx([0.0, 0.0])  # the lean asked for


def test_everyday_words_say_a_fact_on_its_side_and_both_sides_alone():
    from posegpt.data.captioner import Posecode

    both = posecode_phrases(Posecode("arm", "up", "both"))
    left = posecode_phrases(Posecode("arm", "up", "left"))
    assert "hands in the air" in both and "reach for the sky" in both
    assert "left hand in the air" in left and "reach for the sky" not in left  # names no part: both sides
    assert "legs apart" in posecode_phrases(Posecode("feet", "apart", None))
    assert "lift right knee" in posecode_phrases(Posecode("thigh", "level", "right"))  # standing, a knee lifted to the hip
    assert "arms out" in posecode_phrases(Posecode("arm", "side", "both"))  # "arms out" is sideways, not forward
    assert "stand on one leg" in posecode_phrases(Posecode("posture", "standing_one_leg", "left"))  # a posture's side is its support
    assert "wave with right hand" in posecode_phrases(Posecode("hand_height", "head_level", "right"))  # a waving hand is by the head
    # a part on the other side: one side's fact alone ("left leg back" is the right foot in front)
    assert "left leg back" in posecode_phrases(Posecode("foot_forward", "forward", "right"))
    assert not any("back" in text for text in posecode_phrases(Posecode("foot_forward", "forward", "both")))


def test_a_wording_naming_the_other_side_is_of_that_side(monkeypatch):
    from posegpt.data.captioner import Posecode

    # the right foot's fact worded on the left ("left leg back") is not the other side of a
    # clause naming the left leg, but is of one naming the right
    facts = [[Posecode("foot_forward", "forward", "right")]]
    wordings = {"foot_forward": "step back with left leg"}
    assert _lowered_by(monkeypatch, "OTHER_SIDE_PENALTY", facts, wordings, "step back with your left leg") == pytest.approx([0.0])
    penalty = __import__("posegpt.body_words", fromlist=["OTHER_SIDE_PENALTY"]).OTHER_SIDE_PENALTY
    assert _lowered_by(monkeypatch, "OTHER_SIDE_PENALTY", facts, wordings, "step back with your right leg") == pytest.approx([penalty])


def test_a_clause_that_only_names_a_part_is_not_body_words():
    from posegpt.body_words import names_a_part

    assert names_a_part("your left hand") and names_a_part("both arms")
    assert not names_a_part("raise your left hand") and not names_a_part("wave")
    words = BodyWords(WordEmbedder())
    poses = _batch(named_pose("squat"), named_pose("arms_up"))
    assert words.scores("your left hand", poses) is None


def test_a_clause_that_is_a_pose_name_its_facts_do_not_say_is_not_body_words(monkeypatch):
    import posegpt.body_words as body_words

    words = BodyWords(WordEmbedder())
    poses = _batch(named_pose("squat"), named_pose("arms_up"))
    assert words.scores("squatting down", poses) is not None
    # "squatting down" as the name of a pose whose facts say nothing like it: a name, not body words
    names = torch.from_numpy(WordEmbedder().encode(["squatting down"]))  # (1, D)
    monkeypatch.setattr(words, "_names", (names, [stated_posecodes(named_pose("arms_up"))[0]]))
    assert words.scores("squatting down", poses) is None
    # … and as the name of a pose whose facts do say it: still body words
    monkeypatch.setattr(words, "_names", (names, [stated_posecodes(named_pose("squat"))[0]]))
    assert words.scores("squatting down", poses) is not None
    assert body_words.NAME_CLAUSE > body_words.BODY_CLAUSE


def test_which_way_a_lying_body_faces_is_a_direction():
    from posegpt.body_words import conflicting, directions

    assert directions("lie face down") == {"face_down", "lying"}  # the idiom's words say no "down" of their own
    assert directions("lying flat on your back") == {"face_up", "lying"}
    assert conflicting(directions("lie face down"), directions("lying on back"))
    assert not conflicting(directions("lie on your stomach"), directions("lying face down"))


def test_a_posture_word_contradicts_another_posture():
    from posegpt.body_words import conflicting, directions

    # "same thing but sitting" was nearest "Same thing, but lying down."
    assert conflicting(directions("same thing but sitting"), directions("Same thing, but lying down."))
    assert conflicting(directions("stand up"), directions("Now do that sitting on a chair."))
    assert conflicting(directions("kneel down"), directions("standing up straight"))
    # a wording that says both postures, as a change from one to the other, contradicts neither
    assert not conflicting(directions("sit up"), directions("Sit up from lying on your back."))
    assert not conflicting(directions("kneel down"), directions("kneeling, sitting back on the heels"))


def test_arms_out_wide_or_like_wings_point_sideways():
    from posegpt.body_words import conflicting, directions

    assert directions("hold your arms out wide like wings") == {"side"}
    assert conflicting(directions("put your arms up in the air"), directions("Hold your arms out like wings."))
    assert conflicting(directions("spread your arms wide"), directions("arms held straight out in front"))
    assert directions("step your feet out wide") == {"apart"}  # "wide" of the feet still says apart
