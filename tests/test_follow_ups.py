"""A follow-up changes the pose shown before it and keeps the rest (posegpt.follow_ups)."""

from __future__ import annotations

import torch

from posegpt.data.named_poses import named_pose
from posegpt.eval.checks import run_checks
from posegpt.follow_ups import FollowUpEdits
from test_eval_text2pose import WordEmbedder


def _by_clauses(edits, pose, words):
    """`FollowUpEdits._clause_edits` on the clauses of `words`, as `edited` calls it."""
    from posegpt.body_words import clauses

    pieces = clauses(words)
    return edits._clause_edits(pose, pieces, edits._phrasings.similarity(pieces))


def _legs(pose):
    """(12, 3) axis-angle of the pelvis, hips, knees, ankles, feet and spine: what an arm edit keeps."""
    return pose.axis_angle()[0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]]


def test_an_arm_follow_up_changes_the_arms_of_the_pose_shown_and_keeps_its_legs():
    edits = FollowUpEdits(WordEmbedder())
    squat = named_pose("squat")
    assert not run_checks(squat, ["both_wrists_above_head"])["both_wrists_above_head"]
    raised = edits.edited(squat, "Raise both arms.")
    assert raised is not None
    assert run_checks(raised, ["both_wrists_above_head"])["both_wrists_above_head"]
    assert torch.allclose(_legs(raised), _legs(squat), atol=1e-5)  # still the squat the user saw


def test_the_other_arm_is_the_mirror_of_the_pose_shown():
    edits = FollowUpEdits(WordEmbedder())
    wave = named_pose("wave_left_hand")
    other = edits.edited(wave, "Now do it with the other arm.")
    assert other is not None
    assert torch.allclose(other.rotation_matrices(), wave.mirrored().rotation_matrices(), atol=1e-5)


def test_words_no_edit_is_near_and_an_edit_that_does_not_fit_give_nothing():
    encoder = WordEmbedder()
    edits = FollowUpEdits(encoder)
    assert edits.edited(named_pose("squat"), "roll over onto your tummy") is None  # no edit says anything like it
    # the arms are up already: "raise both arms" asks for the pose as it is, and no other edit
    # ("Lower your arms.") is tried in its place
    arms_up = named_pose("arms_up")
    assert edits.edited(arms_up, "Raise both arms.") is arms_up
    lowered = edits.edited(named_pose("arms_up"), "Lower your arms.")
    assert lowered is not None and not run_checks(lowered, ["both_wrists_above_head"])["both_wrists_above_head"]
    calls = encoder.calls
    edits.edited(named_pose("squat"), "Now stand up.")
    assert encoder.calls == calls + 1  # the phrasings are embedded once, each follow-up once


def test_a_small_change_the_words_ask_for_is_made():
    from posegpt.data.conversations import EDITS_BY_NAME, apply_edit

    edits = FollowUpEdits(WordEmbedder())
    hands_on_hips = named_pose("hands_on_hips")
    # a training edit must move a wrist, an ankle or the head 15 cm; looking down moves the head less
    assert apply_edit(EDITS_BY_NAME["look_down"], hands_on_hips) is None
    looking = edits.edited(hands_on_hips, "Now look at the floor.")
    assert looking is not None and run_checks(looking, ["head_down"])["head_down"]
    assert torch.allclose(looking.axis_angle()[0, :12], hands_on_hips.axis_angle()[0, :12], atol=1e-5)  # only neck and head move


def test_a_phrasing_in_the_other_direction_is_not_the_edit_asked_for(monkeypatch):
    import posegpt.follow_ups as follow_ups

    stand = named_pose("stand")
    # by its words alone "put your arms up" is nearest "Put your arms down.", not "Now put both arms up."
    def nearest() -> str:
        phrasings = follow_ups.EditPhrasings(WordEmbedder())
        return phrasings.phrasings[int(phrasings.similarity(["put your arms up"])[:, 0].argmax())][1]

    monkeypatch.setattr(follow_ups, "DIRECTION_PENALTY", 0.0)
    assert nearest() == "Put your arms down."
    monkeypatch.undo()
    assert nearest() != "Put your arms down."
    raised = FollowUpEdits(WordEmbedder()).edited(stand, "put your arms up")
    assert raised is not None and run_checks(raised, ["both_wrists_above_head"])["both_wrists_above_head"]


def test_when_the_nearest_edit_does_not_fit_the_next_that_says_the_same_change_is_made():
    edits = FollowUpEdits(WordEmbedder())
    stand = named_pose("stand")
    # "Bend your knees more." needs bent knees; "Bend your knees." says "bend" too
    bent = edits.edited(stand, "bend your knees more")
    assert bent is not None and run_checks(bent, ["knees_bent"])["knees_bent"]
    # the pose is already as the nearest edit (whose phrasing says the follow-up's "sit") makes
    # it: it stays as it is, and no other edit that says "down" ("Put your arms down.") is tried
    sitting = named_pose("sit_chair")
    assert edits.edited(sitting, "Now sit down.") is sitting


def test_a_lean_is_an_edit_of_the_torso():
    edits = FollowUpEdits(WordEmbedder())
    stand = named_pose("stand")
    bowed = edits.edited(stand, "Bend over.")
    assert bowed is not None and run_checks(bowed, ["torso_bent_forward"])["torso_bent_forward"]
    back = edits.edited(stand, "Now lean back.")
    assert back is not None and run_checks(back, ["torso_leaning_back"])["torso_leaning_back"]


def test_words_that_name_only_both_parts_ask_the_change_asked_before():
    from posegpt.follow_ups import asked_change, with_earlier_change

    assert with_earlier_change("both hands now", ["raise your right hand"]) == "raise both hands now"
    assert with_earlier_change("both hands now", ["stand tall", "wave with your left hand"]) == "wave both hands now"
    assert with_earlier_change("now the other arm", ["raise your right arm"]) == "now the other arm"  # one side
    assert with_earlier_change("lower both arms", ["raise your right arm"]) == "lower both arms"  # says its change
    assert with_earlier_change("both arms now", ["lifting her right arm"]) == "lifting both arms now"  # by stems
    assert with_earlier_change("both arms", []) == "both arms"
    assert asked_change("ok both arms", ["put your left arm up"]) == "put up both arms"
    assert asked_change("and now both of them", ["raise your right arm"]) == "raise now both of your arms"


def test_the_other_side_instead_is_the_other_arm_or_leg():
    from posegpt.follow_ups import asked_change, with_swapped_side

    assert with_swapped_side("left arm instead", ["raise your right arm"]) == "Now do it with the other arm."
    assert with_swapped_side("the right knee instead", ["stand tall", "lift your left knee"]) == "Now do it with the other leg."
    assert with_swapped_side("left arm instead", ["stand tall"]) == "left arm instead"  # no side before it
    assert with_swapped_side("right arm instead", ["raise your right arm"]) == "right arm instead"  # the same side
    # the latest request that names the arm's side decides: after the right arm, then the left, the left is shown
    assert with_swapped_side("left arm instead", ["raise your right arm", "raise your left arm"]) == "left arm instead"
    assert with_swapped_side("now the left arm", ["raise your right arm"]) == "now the left arm"  # no "instead": maybe both
    assert asked_change("ok use the left one instead", ["raise your right arm"]) == "Now do it with the other arm."


def test_a_plural_pronoun_is_read_as_the_parts_the_earlier_request_named():
    from posegpt.follow_ups import with_referent

    assert with_referent("and now lower them", ["raise your arms in a T"]) == "and now lower your arms"
    assert with_referent("Put THEM down", ["stand tall", "hands on your hips"]) == "Put your hands down"  # the latest, its actor
    assert with_referent("lower them", ["raise your left arm"]) == "lower them"  # no plural part to read
    # "both" makes one part of a pair the pair: both arms
    assert with_referent("and now both of them", ["raise your right arm"]) == "and now both of your arms"
    assert with_referent("both of them", ["lift your left foot"]) == "both of your feet"
    assert with_referent("both of them", ["sit down"]) == "both of them"  # no part named
    assert with_referent("lower your legs", ["raise your arms"]) == "lower your legs"  # names its own part
    assert with_referent("now mirror it", ["raise your arms"]) == "now mirror it"  # "it" is the pose
    assert with_referent("lower them", []) == "lower them"
    assert with_referent("now have them sit on a bench", ["arms out like a scarecrow"]) == "now have them sit on a bench"  # the people
    assert with_referent("them sitting?", ["arms out"]) == "them sitting?"
    # "it" said with a direction is the one part an earlier request named with its side
    assert with_referent("lower it", ["raise your left arm"]) == "lower your left arm"
    assert with_referent("put it down", ["stand tall", "wave with your right hand"]) == "put your right hand down"
    assert with_referent("now mirror it", ["raise your left arm"]) == "now mirror it"  # no direction: the pose
    assert with_referent("lower it", ["raise your arms"]) == "lower it"  # no one part with a side
    # ... and so is "it" put on a part of the body
    assert with_referent("and now put it on your head", ["raise your right hand"]) == "and now put your right hand on your head"
    assert with_referent("rest it against your cheek", ["wave with your left hand"]) == "rest your left hand against your cheek"
    assert with_referent("put it on the floor", ["raise your right hand"]) == "put it on the floor"  # not a part of the body
    assert with_referent("can you try it over your head", ["raise your right hand"]) == "can you try it over your head"  # no placing verb


def test_words_that_say_only_where_get_the_part_the_earlier_request_named():
    from posegpt.follow_ups import with_referent
    assert (with_referent("now out to the sides instead", ["put your arms straight out in front"])
            == "your arms now out to the sides instead")
    assert with_referent("now in front", ["stand tall", "raise your right hand"]) == "your right hand now in front"  # with its side
    assert with_referent("up high now", ["stand with your hands on your hips"]) == "your hands up high now"
    assert with_referent("now down", ["sit on a chair"]) == "now down"  # no part named
    assert with_referent("lean back", ["raise your arms"]) == "lean back"  # a change of its own
    assert with_referent("now sit", ["raise your arms"]) == "now sit"  # a posture is no place of a part
    assert with_referent("tilt it up", ["raise your arms"]) == "tilt it up"  # a pronoun: not this rule's


def test_a_message_asking_for_someone_new_is_a_first_request():
    from posegpt.follow_ups import asks_for_someone_new
    from posegpt.retrieval import bank_query

    assert asks_for_someone_new("show me somebody with their hands in their pockets")
    assert asks_for_someone_new("now a guy doing a handstand") and asks_for_someone_new("what about another kid?")
    assert not asks_for_someone_new("now make him kneel down") and not asks_for_someone_new("and sitting?")
    shown = [{"role": "user", "content": "salute"}, {"role": "assistant", "content": "Here: <POSE>"}]
    fresh = bank_query([*shown, {"role": "user", "content": "now someone sitting on a bench"}])
    assert not fresh.follow_up and fresh.text == "now someone sitting on a bench"
    follow = bank_query([*shown, {"role": "user", "content": "now make him kneel"}])
    assert follow.follow_up and follow.text == "salute\nnow make him kneel"
    after = bank_query([*shown, {"role": "user", "content": "a guy waving"}, {"role": "assistant", "content": "<POSE>"},
                        {"role": "user", "content": "have him sit"}])
    assert after.follow_up and after.text == "a guy waving\nhave him sit"  # read with the new person's request only


def test_who_is_to_do_it_is_left_out_of_what_a_follow_up_asks_to_change():
    from posegpt.follow_ups import asked_change, means_the_people, without_causatives

    assert without_causatives("now have them sit on a park bench") == "now sit on a park bench"
    assert without_causatives("Get her to kneel down") == "kneel down"
    assert without_causatives("make him stand up") == "stand up"
    assert without_causatives("have them up high") == "have them up high"  # no whole-body verb: the parts
    assert means_the_people("what about them kneeling") and not means_the_people("now lower them")
    assert asked_change("ok, now have them sit on a park bench", ["arms out like a scarecrow"]) == "now sit on a park bench"
    assert asked_change("have them up high", ["arms out"]) == "have your arms up high"


def test_what_stays_is_left_out_of_what_a_follow_up_asks_to_change():
    from posegpt.follow_ups import asked_change, without_kept

    assert without_kept("keep your arms up and sit down") == "sit down"
    assert without_kept("stay down there but put your arms up") == "put your arms up"
    assert without_kept("and now sit down, keeping your arms crossed") == "now sit down"
    assert without_kept("Same, but with the other arm.") == "Same, but with the other arm."  # nothing kept: as written
    assert without_kept("keep it up") == "keep it up"  # all of it would go: as written
    # a clause that says what not to do says what stays too
    assert without_kept("put your hands up, don't stand up") == "put your hands up"
    assert without_kept("now sit down without lowering your arms") == "now sit down"
    assert without_kept("don't move") == "don't move"  # all of it would go: as written
    assert asked_change("keep them there and sit down", ["put your hands on your head"]) == "sit down"
    assert asked_change("now lower them", ["arms up in a T"]) == "now lower your arms"


def test_opening_fillers_are_left_out_of_what_a_follow_up_asks_to_change():
    from posegpt.follow_ups import asked_change, without_fillers

    assert without_fillers("ok now put them down") == "now put them down"
    assert without_fillers("OK, alright... sit") == "sit"
    assert without_fillers("okay") == "okay"  # nothing would be left: as written
    assert without_fillers("so good, lower your arms") == "lower your arms"
    assert without_fillers("now lower your arms") == "now lower your arms"  # "now" is said by the phrasings too
    assert asked_change("ok now put them down", ["put your hands on your hips"]) == "now put your hands down"


def test_each_clause_that_asks_for_a_different_edit_gets_it_in_order():
    edits = FollowUpEdits(WordEmbedder())
    squat = named_pose("squat")
    both = edits.edited(squat, "Now stand up, then raise both arms.")
    assert both is not None
    checks = run_checks(both, ["upright_standing", "both_wrists_above_head"])
    assert all(checks.values()), checks
    # one clause asks ("same" names no change): the words as a whole are matched, as before
    assert _by_clauses(edits, squat, "same, but raise both arms") is None


def test_a_question_that_wants_words_is_not_taken_for_an_edit():
    from posegpt.follow_ups import asks_for_words

    assert asks_for_words("thanks! what muscles does sitting like that stretch?")
    assert asks_for_words("is that hard?") and asks_for_words("Why?")
    assert not asks_for_words("and sitting?")  # no question word: a follow-up that asks for a pose
    assert asks_for_words("hmm ok, and how do i get better at balance?")  # "and" opens it, a question follows
    assert not asks_for_words("what about kneeling?") and not asks_for_words("How about on one leg?")  # suggestions
    assert not asks_for_words("can you sit down?")  # a polite request
    assert not asks_for_words("what muscles does that stretch")  # no question mark: not read as a question


def test_a_clause_asks_for_the_nearest_edit_that_says_its_change():
    from posegpt.follow_ups import EditPhrasings

    encoder = WordEmbedder()
    phrasings = EditPhrasings(encoder)
    similarity = phrasings.similarity(["now sit down on the floor"])[:, 0]
    nearest = phrasings.phrasings[int(similarity.argmax())]
    assert nearest[0].name != "sit_down"  # by its words alone, another edit ("Now on the other foot.") is nearest
    edits = FollowUpEdits(encoder)
    changed = _by_clauses(edits, named_pose("stand"), "now sit down on the floor, then cross your arms")
    assert changed is not None
    checks = run_checks(changed, ["sitting", "elbows_bent"])
    assert all(checks.values()), checks


def test_words_for_both_sides_prefer_an_edit_that_names_no_side():
    from posegpt.follow_ups import ONE_SIDE_FOR_BOTH_PENALTY, EditPhrasings

    phrasings = EditPhrasings(WordEmbedder())
    texts = ["raise both arms", "raise your arm"]
    less = phrasings._embedded() @ phrasings._encoder.encode(texts).T - phrasings.similarity(texts)  # (R, 2)
    row = {request: row for row, (_, request) in enumerate(phrasings.phrasings)}
    right, both = row["Now raise your right arm."], row["Raise both arms."]
    assert abs(less[right, 0] - ONE_SIDE_FOR_BOTH_PENALTY) < 1e-5 and abs(less[right, 1]) < 1e-5
    assert abs(less[both, 0]) < 1e-5
    # an edit that moves one side's pose to the other is one-sided too: "both hands" is not "the other hand"
    other = row["Now use the other hand."]
    assert abs(less[other, 0] - ONE_SIDE_FOR_BOTH_PENALTY) < 1e-5


def test_words_naming_one_side_and_no_change_ask_the_change_asked_before():
    from posegpt.follow_ups import asked_change, with_earlier_change

    # the request named the other side only: it is asked again on the words' side
    assert with_earlier_change("and the left arm too", ["raise your right arm"]) == "raise your left arm"
    assert asked_change("and the left one too", ["put your right hand on your head"]) == "put your left hand on your head"
    # a request that names no side (or both) lends its words of change
    assert with_earlier_change("and the left arm too", ["raise your arms a bit"]) == "raise and the left arm too"
    assert with_earlier_change("both hands now", ["raise your right hand"]) == "raise both hands now"
    assert with_earlier_change("now the other arm", ["raise your right arm"]) == "now the other arm"  # no side named


def test_the_other_arm_added_is_the_request_that_named_an_arm_on_the_other_side():
    from posegpt.follow_ups import asked_change, with_earlier_change

    assert with_earlier_change("the other arm as well", ["raise your left arm"]) == "raise your right arm"
    assert asked_change("and the opposite one too", ["put your right hand on your head"]) == "put your left hand on your head"
    assert with_earlier_change("now the other arm", ["raise your right arm"]) == "now the other arm"  # swapped, not added
    assert with_earlier_change("the other arm too", ["raise your arms"]) == "the other arm too"  # no side named before
    # "the other leg as well" while standing cannot be both legs up: the other-leg edit reads it
    assert with_earlier_change("the other leg as well", ["lift your left leg"]) == "the other leg as well"


def test_a_hand_put_on_a_part_of_the_body_is_not_an_edit_that_puts_it_elsewhere():
    from posegpt.follow_ups import hand_place

    assert hand_place("put your left hand on your hip") == "hip" and hand_place("Put your hands on your hips.") == "hip"
    assert hand_place("Put your left hand up.") is None and hand_place("kneel on your knees") is None  # no hand: no place
    edits = FollowUpEdits(WordEmbedder())
    placed = edits.edited(named_pose("stand"), "now rest your right hand on your hip")
    assert placed is None or not run_checks(placed, ["right_wrist_above_shoulder"])["right_wrist_above_shoulder"]


def test_the_same_on_the_other_side_is_the_other_arm_or_leg():
    from posegpt.follow_ups import asked_change, with_swapped_side

    head = ["put your right hand on your head"]
    assert asked_change("now do it with the left one", head) == "Now do it with the other arm."
    assert asked_change("same with the left", head) == "Now do it with the other arm."
    assert asked_change("ok try it with your left hand", head) == "Now do it with the other arm."
    assert with_swapped_side("same with your left leg", ["lift your right knee"]) == "Now do it with the other leg."
    # adding words ask for both sides; a change of their own is no repeat
    assert with_swapped_side("do the left one as well", head) == "do the left one as well"
    assert with_swapped_side("now raise your left hand", head) == "now raise your left hand"
    # a side at the end of a clause is a part only in a repeat: "look to the left" says a direction
    assert asked_change("now look to the left", head) == "now look to the left"


def test_polite_words_and_a_state_kept_are_left_out_of_what_a_follow_up_asks():
    from posegpt.follow_ups import asked_change, without_kept

    assert asked_change("hands down please", ["arms out like a T"]) == "hands down"
    assert without_kept("arms up while you're down there") == "arms up"
    assert without_kept("raise your arms while bending your knees") == "raise your arms while bending your knees"  # a part
    assert without_kept("while you're at it") == "while you're at it"  # nothing would be left


def test_a_pronoun_no_request_explains_is_read_from_the_reply_that_showed_the_pose():
    from posegpt.follow_ups import asked_change

    shown = "Arms straight out to the sides, feet together: "
    assert asked_change("bring them in front of you", ["do a t pose"], shown) == "bring your arms in front of you"
    assert asked_change("bring them in front of you", ["hands on your hips"], shown) == "bring your hands in front of you"  # the request first


def test_the_part_a_hand_goes_to_is_not_a_part_that_moves():
    from posegpt.follow_ups import body_regions, moved_regions

    assert body_regions("put your arms above your head") == {"arm", "head"}
    assert moved_regions("put your arms above your head") == {"arm"}
    assert moved_regions("put your hands on your knees") == {"arm"}
    assert moved_regions("bend your knees with your hands on your hips") == {"arm", "leg"}
    assert moved_regions("put your left foot on your right knee") == {"leg"}  # no hand: the words as they are
    assert moved_regions("tilt your head down") == {"head"}


def test_a_phrasing_naming_other_body_regions_only_is_less_near_and_one_saying_the_change_nearer():
    from posegpt.follow_ups import REGION_PENALTY, SHARED_CHANGE_BONUS, EditPhrasings, body_regions

    assert body_regions("tilt your head down") == {"head"} and body_regions("Tilt your upper body back.") == {"trunk"}
    assert body_regions("left hand on your hip") == {"arm", "leg"} and body_regions("now sit down") == frozenset()
    phrasings = EditPhrasings(WordEmbedder())
    texts = ["tilt your head down"]
    cosine = phrasings._embedded() @ phrasings._encoder.encode(texts).T  # (R, 1)
    row = {request: row for row, (_, request) in enumerate(phrasings.phrasings)}
    plain, bonus = phrasings.similarity(texts) - cosine, phrasings.similarity(texts, shared_bonus=True) - cosine
    trunk, head = row["Tilt your upper body back."], row["Lower your head."]
    assert abs(plain[trunk, 0] + REGION_PENALTY) < 1e-5 and abs(plain[head, 0]) < 1e-5
    assert abs(bonus[trunk, 0] - (SHARED_CHANGE_BONUS - REGION_PENALTY)) < 1e-5  # it says "tilt" too
    assert abs(bonus[head, 0]) < 1e-5


def test_a_phrasing_naming_no_part_is_where_its_edit_makes_its_change():
    from posegpt.data.conversations import EDITS
    from posegpt.follow_ups import EditPhrasings, achieved_regions, body_regions

    by_name = {edit.name: edit for edit in EDITS}
    assert achieved_regions(by_name["lean_forward"]) == {"trunk"} and achieved_regions(by_name["look_up"]) == {"head"}
    assert achieved_regions(by_name["sit_down"]) == frozenset()  # a posture: the whole body
    assert body_regions("bring your palms together") == {"arm"}  # plural parts name their limb too
    phrasings = EditPhrasings(WordEmbedder())
    row = {request: row for row, (_, request) in enumerate(phrasings.phrasings)}
    # "Now lean forward." names no part, and its edit bends the trunk: not a step of the foot
    assert phrasings.regions_of(row["Now lean forward."]) == {"trunk"}
    assert phrasings.elsewhere(row["Now lean forward."], "now step your right foot forward")
    assert not phrasings.elsewhere(row["Now lean forward."], "lean forward a bit more")
    assert not phrasings.elsewhere(row["Now sit down."], "now sit down with your legs crossed")


def test_elbows_bend_and_a_raised_foot_comes_down():
    edits = FollowUpEdits(WordEmbedder())
    bent = edits.edited(named_pose("stand"), "Bend your elbows.")
    assert bent is not None and run_checks(bent, ["elbows_bent"])["elbows_bent"]
    assert not run_checks(named_pose("stand"), ["elbows_bent"])["elbows_bent"]
    one_leg = named_pose("stand_on_left_leg")  # the right foot raised
    down = edits.edited(one_leg, "Stand on both feet.")
    assert down is not None and run_checks(down, ["upright_standing"])["upright_standing"]
    assert not run_checks(down, ["right_foot_raised"])["right_foot_raised"]


def test_a_phrasing_naming_the_other_side_or_both_is_less_near_to_words_naming_one_side():
    from posegpt.follow_ups import BOTH_FOR_ONE_SIDE_PENALTY, OTHER_SIDE_PENALTY, EditPhrasings

    phrasings = EditPhrasings(WordEmbedder())
    texts = ["bring your right hand down"]
    less = phrasings._embedded() @ phrasings._encoder.encode(texts).T - phrasings.similarity(texts)  # (R, 1)
    row = {request: row for row, (_, request) in enumerate(phrasings.phrasings)}
    assert abs(less[row["Drop your right hand."], 0]) < 1e-5
    assert abs(less[row["Drop your left hand."], 0] - OTHER_SIDE_PENALTY) < 1e-5
    assert abs(less[row["Bring your hands down."], 0] - BOTH_FOR_ONE_SIDE_PENALTY) < 1e-5


def test_the_left_or_right_one_is_that_side_of_the_part_named_before():
    from posegpt.follow_ups import with_referent

    assert with_referent("now raise the right one", ["hands on your hips"]) == "now raise your right hand"
    assert with_referent("point the left one ahead", ["raise your right arm"]) == "point your left arm ahead"
    assert with_referent("lift the right one", ["stand tall", "bend your knees"]) == "lift your right knee"
    assert with_referent("the right one", ["stand tall"]) == "the right one"  # no part to read


def test_one_arm_points_forward_and_the_head_turns_to_a_side():
    edits = FollowUpEdits(WordEmbedder())
    stand = named_pose("stand")
    ahead = edits.edited(stand, "Point your right arm forward.")
    assert ahead is not None
    assert run_checks(ahead, ["right_arm_forward", "left_arm_forward"]) == {"right_arm_forward": True, "left_arm_forward": False}
    left = edits.edited(stand, "Look to your left.")
    assert left is not None
    face = left.rotation_matrices()[0]  # (24, 3, 3)
    from posegpt.pose import SMPL_JOINT_NAMES

    neck, head = SMPL_JOINT_NAMES.index("neck"), SMPL_JOINT_NAMES.index("head")
    facing = face[neck] @ face[head] @ torch.tensor([0.0, 0.0, 1.0])
    assert float(facing[0]) > 0.5  # towards +x, the person's left


def test_a_body_bent_forward_straightens_up_and_one_on_its_back_bends_its_knees_or_sits_up():
    from posegpt.data.conversations import EDITS_BY_NAME, apply_edit

    edits = FollowUpEdits(WordEmbedder())
    folded = named_pose("touch_toes")
    assert apply_edit(EDITS_BY_NAME["stand_up"], folded, least_motion=0.0) is None  # it stands up out of a seat
    up = edits.edited(folded, "Now straighten up.")
    assert up is not None and run_checks(up, ["upright_standing"])["upright_standing"]
    lying = named_pose("lie_on_back")
    bent = edits.edited(lying, "Stay on your back and bend your knees.")
    assert bent is not None and run_checks(bent, ["lying_on_back", "knees_bent"]) == {"lying_on_back": True, "knees_bent": True}
    sat = edits.edited(lying, "Sit up from lying on your back.")
    assert sat is not None and run_checks(sat, ["sitting"])["sitting"]


def test_when_the_next_edit_does_not_fit_either_a_later_one_on_the_side_named_is_made():
    edits = FollowUpEdits(WordEmbedder())
    # "Bend your knees." and "Bend your knees more." need a body standing: the edit for a body on
    # its back says "bend" too
    bent = edits.edited(named_pose("lie_on_back"), "bend your knees")
    assert bent is not None and run_checks(bent, ["lying_on_back", "knees_bent"]) == {"lying_on_back": True, "knees_bent": True}
    # words naming one side do not get a later edit of both: the left hand stays on the hip
    on_hips = named_pose("hands_on_hips")
    lowered = edits.edited(on_hips, "lower your right hand")
    assert lowered is None or run_checks(lowered, ["left_elbow_bent"])["left_elbow_bent"]


def test_words_near_an_edit_or_nearest_a_relative_one_surely_ask_for_a_change(monkeypatch):
    import posegpt.follow_ups as follow_ups

    edits = FollowUpEdits(WordEmbedder())
    stand, lying = named_pose("stand"), named_pose("lie_on_back")
    assert edits.sure("Bend your knees.", stand)  # a phrasing's own words: cosine 1, and its edit fits
    # its own words, but the edit needs a body lying on its back: not sure of a standing one
    assert edits.sure("Sit up from lying on your back.", lying)
    assert not edits.sure("Sit up from lying on your back.", stand)
    monkeypatch.setattr(follow_ups, "SURE_EDIT", 1.5)  # no phrasing that near
    assert not edits.sure("Bend your knees.", stand)
    assert edits.sure("Switch legs.", stand)  # the other leg: a change relative to the pose shown, whatever its nearness


def test_words_whose_edits_are_already_so_get_the_pose_as_it_is(monkeypatch):
    """"draw your knees up" of a body lying with its knees up: nearest an edit that does not fit and
    says another change ("Bend your knees more."), then one that says its change and is already so."""
    import numpy as np

    from posegpt.data.conversations import EDITS_BY_NAME, apply_edit

    edits = FollowUpEdits(WordEmbedder())
    knees_up = apply_edit(EDITS_BY_NAME["bend_knees_lying"], named_pose("lie_on_back"), least_motion=0.0)
    assert knees_up is not None
    rows = {request: row for row, (_, request) in enumerate(edits._phrasings.phrasings)}
    near = np.zeros(len(rows), dtype=np.float32)
    near[rows["Bend your knees more."]] = 0.7  # needs an upright body: does not fit
    near[rows["Now pull your knees up, feet flat on the floor."]] = 0.65  # its knees are up already
    monkeypatch.setattr(edits._phrasings, "similarity", lambda texts, shared_bonus=False: np.repeat(near[:, None], len(texts), 1))
    assert edits.edited(knees_up, "draw your knees up") is knees_up
    near[rows["Now pull your knees up, feet flat on the floor."]] = 0.0  # no such edit: nothing to show
    assert edits.edited(knees_up, "draw your knees up") is None


def test_a_clause_whose_nearest_edit_does_not_fit_gets_its_next_that_does():
    edits = FollowUpEdits(WordEmbedder())
    bent = named_pose("touch_toes")  # standing, bent forward: "Now stand up." needs a body that sits, kneels or squats
    assert not run_checks(bent, ["upright_standing"])["upright_standing"]
    both = _by_clauses(edits, bent, "Now stand up, then raise both arms.")
    assert both is not None
    checks = run_checks(both, ["upright_standing", "both_wrists_above_head"])
    assert all(checks.values()), checks  # "Now straighten up." stood it up


def test_a_follow_up_asked_as_a_new_request_says_the_part_its_pronoun_means():
    from posegpt.model import _own_words
    from posegpt.retrieval import bank_query

    query = bank_query([{"role": "user", "content": "raise your right hand"}, {"role": "assistant", "content": "Right hand up: <POSE>"},
                        {"role": "user", "content": "and now put it on your head"}])
    assert _own_words(query).endswith("put your right hand on your head")
    first = bank_query([{"role": "user", "content": "put it on your head"}])
    assert _own_words(first) == first.words  # no request before it names a part


def test_no_edit_of_another_part_of_the_body_is_made():
    edits = FollowUpEdits(WordEmbedder())
    # no edit lifts a knee; "Lift your right arm above your head." says "lift" and "right" too,
    # and raised the arm of a body asked to lift its knee
    lifted = edits.edited(named_pose("stand"), "lift your right knee")
    assert lifted is None or not run_checks(lifted, ["right_wrist_above_shoulder"])["right_wrist_above_shoulder"]
