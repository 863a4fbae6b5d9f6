"""Reading a reply's body words back into posecodes and checking them against the pose it shows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from posegpt.data.captioner import Captioner, Posecode
from posegpt.data.conversations import library_items, posecode_checks, sampler_items
from posegpt.data.named_poses import named_pose
from posegpt.eval import natural, text2pose
from posegpt.eval.agreement import (
    ShownPose,
    agreement_report,
    fact_agrees,
    reply_agreement,
    said_posecodes,
    shown_pose,
    words_agree,
)
from posegpt.eval.checks import run_checks
from posegpt.pose import Pose
from posegpt.tokens import POSE_TOKEN

REPLY_STYLES = ("third_person", "terse")  # the voices a reply describes its pose in


def _said(text: str) -> set[tuple[str, str, str | None]]:
    return {(code.topic, code.value, code.side) for code in said_posecodes(text)}


# --- reading --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("Both arms raised straight up above the head.", {("arm", "up", "both")}),
    ("Sitting with the left knee bent.", {("posture", "sitting", None), ("knee", "bent", "left")}),
    ("Here you go: Standing; arms held out horizontally to the sides. <POSE>",
     {("posture", "standing", None), ("arm", "side", "both")}),
    ("Raise your left arm straight up and bend your right knee slightly.",
     {("arm", "up", "left"), ("knee", "slightly_bent", "right")}),
    ("Their head is bowed and turned to the left.", {("head", "down", None), ("head_turn", "turned", "left")}),
    ("The person is balancing on their right foot. Their left knee is raised above hip level.",
     {("posture", "standing_one_leg", "right"), ("knee_height", "above_hip", "left")}),
    ("Kneeling and sitting back on their heels with their hands on their knees.",
     {("posture", "kneeling_on_heels", None), ("hand_on", "knee_same", "both")}),
    ("Their hands and head are on the floor.", {("contact", "hands+head", None)}),
    ("Arms crossed over chest; both elbows bent at about ninety degrees.",
     {("arms", "crossed", None), ("elbow", "ninety", "both")}),
    ("LYING ON HER BACK with her legs spread wide.", {("posture", "lying_back", None), ("legs", "spread", None)}),
    ("Legs open in a wide V.", {("legs", "spread", None)}),  # the table's capital V
])
def test_hand_written_sentences_read_back_the_expected_facts(text, expected):
    assert _said(text) == expected


@pytest.mark.parametrize("text", [
    "Their left arm is not raised straight up.",  # negated
    "Don't raise your left arm straight up.",
    "Not sitting.",
    "One hand resting on their left knee.",  # where a hand rests, not "kneeling on the left knee"
    "Their left thigh is level with the floor.",  # the same words say two different facts
    "Their left knee is bent and their left leg is straight.",  # a contradiction
    "Standing, then sitting on the floor.",  # two postures
    "One arm up.",  # which arm?
])
def test_facts_the_reader_is_unsure_of_are_not_returned(text):
    assert _said(text) == set()


def test_text_with_no_body_words_states_nothing():
    agreement = words_agree("Hello! Here is a pose for you, enjoy.", named_pose("arms_up"))
    assert agreement.said == () and not agreement.stated and not agreement.checkable
    assert not agreement.agrees and agreement.fraction is None and agreement.wrong == ()
    assert not agreement.checks_agree and agreement.checks_fraction is None and agreement.failed == ()
    only_unchecked = words_agree("Their head is turned to the left.", named_pose("turn_head_left"))
    assert only_unchecked.facts == {"head_turn/turned/left": True} and only_unchecked.agrees
    assert not only_unchecked.checkable  # a fact no check measures: only the posecode rule sees it
    assert not words_agree("Their head is turned to the left.", named_pose("stand")).agrees


# --- the posecode rule ---------------------------------------------------------------------------------


def _shown(*codes: tuple[str, str, str | None], touching: tuple[str, ...] = ()) -> ShownPose:
    return ShownPose(frozenset(codes), frozenset(touching), ())


@pytest.mark.parametrize("fact, codes, agrees", [
    # bends are bins of one angle: the stated bin and its neighbours, nothing further
    (("elbow", "bent", "left"), [("elbow", "ninety", "left")], True),
    (("elbow", "bent", "left"), [("elbow", "slightly_bent", "left")], True),
    (("elbow", "bent", "left"), [("elbow", "straight", "left")], False),
    (("knee", "ninety", "right"), [("knee", "fully_bent", "right")], True),
    (("knee", "ninety", "right"), [("knee", "slightly_bent", "right")], False),
    (("knee", "straight", "right"), [("knee", "slightly_bent", "right")], True),
    (("hand_height", "head_level", "left"), [("hand_height", "above_head", "left")], True),
    (("hand_height", "head_level", "left"), [("hand_height", "shoulder_level", "left")], False),
    (("torso", "bent_forward", None), [("torso", "folded", None)], True),
    (("torso", "leaning_forward", None), [("torso", "leaning_back", None)], False),  # upright lies between
    (("feet", "apart", None), [("feet", "wide", None)], True),
    (("feet", "together", None), [("feet", "apart", None)], False),
    (("foot", "raised", "left"), [("foot", "raised_high", "left")], True),
    (("hands", "together", None), [("hands", "together_overhead", None)], True),
    (("hands", "together_overhead", None), [("hands", "together", None)], False),  # the general says less
    # categories that are not bins of one measurement: the same value only
    (("arm", "up", "left"), [("arm", "up_side", "left")], False),
    (("posture", "kneeling", None), [("posture", "kneeling_on_heels", None)], False),
    (("head", "up", None), [("head", "down", None)], False),
    # sides: the stated side; "both" needs each side
    (("arm", "up", "left"), [("arm", "up", "right")], False),
    (("arm", "up", "both"), [("arm", "up", "left"), ("arm", "up", "right")], True),
    (("arm", "up", "both"), [("arm", "up", "left"), ("arm", "side", "right")], False),
    (("elbow", "ninety", "both"), [("elbow", "bent", "left"), ("elbow", "fully_bent", "right")], True),
    (("posture", "standing_one_leg", "left"), [("posture", "standing_one_leg", "right")], False),
])
def test_a_stated_fact_agrees_with_its_value_or_a_neighbouring_bin_on_its_side(fact, codes, agrees):
    assert fact_agrees(Posecode(*fact), _shown(*codes)) is agrees


def test_floor_contact_agrees_when_every_part_named_touches():
    shown = _shown(touching=("hands", "left_hand", "right_hand", "head"))
    assert fact_agrees(Posecode("contact", "hands+head"), shown)
    assert fact_agrees(Posecode("contact", "left_hand"), shown)
    assert not fact_agrees(Posecode("contact", "hands+knees"), shown)
    assert not fact_agrees(Posecode("contact", "hands"), _shown(touching=("left_hand",)))


def test_the_pose_is_read_with_the_facts_the_captioner_leaves_unsaid():
    arms_up = shown_pose(named_pose("arms_up"))
    assert ("arm", "up", "left") in arms_up.codes  # per side, not "both"
    # "raised straight up" says the elbow is straight and the hand above the head: both are there
    assert {("elbow", "straight", "left"), ("hand_height", "above_head", "right")} <= arms_up.codes
    assert ("arm", "up", "both") in {(c.topic, c.value, c.side) for c in arms_up.described}
    kneeling = shown_pose(named_pose("kneel_both_knees"))
    assert {"knees", "left_knee", "feet"} <= kneeling.touching  # what the posture implies touches too
    assert "head" not in kneeling.touching
    with pytest.raises(ValueError, match="one pose"):
        shown_pose(Pose.concat([named_pose("stand"), named_pose("arms_up")]))


# --- both rules on the captioner's own words -------------------------------------------------------------


def _round_trip(items) -> dict[str, float]:
    """Describe every pose (reply voices), read the words back, compare them with the pose."""
    captioner = Captioner(0)
    counts = dict.fromkeys(("descriptions", "said", "covered", "read", "read_right", "same_verdict",
                            "stated", "agreeing", "checkable", "checks_agreeing"), 0)
    for item in items:
        for description in captioner.describe_with_posecodes(item.pose, 4, styles=REPLY_STYLES):
            counts["descriptions"] += 1
            truth = {(c.topic, c.value, c.side) for c in description.posecodes}
            read = _said(description.text)
            counts["said"] += len(truth)
            counts["covered"] += len(truth & read)
            counts["read"] += len(read)
            counts["read_right"] += len(read & truth)
            agreement = words_agree(description.text, item.pose)
            own = run_checks(item.pose, posecode_checks(description.posecodes))
            counts["same_verdict"] += agreement.checks_agree == (bool(own) and all(own.values()))
            counts["stated"] += agreement.stated
            counts["agreeing"] += agreement.agrees
            counts["checkable"] += agreement.checkable
            counts["checks_agreeing"] += agreement.checks_agree
    return counts


@pytest.mark.parametrize("source, posecodes_floor, checks_floor", [
    ("train library", 0.99, 0.80),
    ("held-out library", 0.99, 0.90),
    ("held-out sampler", 0.99, 0.90),
])
def test_round_trip_the_captioner_s_words_agree_with_their_own_pose(source, posecodes_floor, checks_floor):
    """The captioner's own descriptions of a pose (third person and terse, seed 0) against that
    pose, by both rules.

    Measured (4 descriptions a pose; every description states something):

    | poses                     | descriptions | posecodes rule    | checks rule       |
    |---------------------------|--------------|-------------------|-------------------|
    | train library (138)       | 552          | 100.0 % (552/552) | 82.1 % (440/536)  |
    | held-out library (32)     | 128          | 100.0 % (128/128) | 93.8 % (120/128)  |
    | held-out sampler (50)     | 200          | 100.0 % (200/200) | 93.8 % (180/192)  |

    The posecode rule reads the pose with the instrument that wrote the words, so only a misread
    could make it disagree: the read-back covers ≥ 99 % of the posecodes said (the misses: "level
    with the floor", which says two thigh facts) and reads nothing unsaid, and the checks' verdict
    on the read-back equals their verdict on the captioner's own record. The checks miss where
    they measure differently from the captioner (head up/down: they see a neck nod, not the
    head's own rotation; postures at their edges: chair_pose said "squatting", lunge "kneeling on
    one knee"). The floors leave room for the tables to grow.
    """
    items = {
        "train library": lambda: library_items("train"),
        "held-out library": lambda: library_items("eval"),
        "held-out sampler": lambda: sampler_items("eval", 0, 50),
    }[source]()
    counts = _round_trip(items)
    assert counts["descriptions"] >= 3.5 * len(items) and counts["stated"] == counts["descriptions"]
    assert counts["checkable"] > 0.9 * counts["descriptions"]
    assert counts["covered"] / counts["said"] >= 0.95
    assert counts["read_right"] / counts["read"] >= 0.99
    assert counts["same_verdict"] / counts["descriptions"] >= 0.98
    assert counts["agreeing"] / counts["stated"] >= posecodes_floor
    assert counts["checks_agreeing"] / counts["checkable"] >= checks_floor


@pytest.mark.parametrize("said_of, shown, checks_see_it", [
    ("arms_up", "stand", True), ("sit_chair", "stand", True), ("lie_on_back", "stand", True),
    ("kneel_both_knees", "t_pose", True), ("t_pose", "arms_up", True),
    ("stand", "sit_chair", False),  # "arms hanging down; standing": no check measures "standing"
])
def test_a_description_of_one_pose_disagrees_with_a_clearly_different_pose(said_of, shown, checks_see_it):
    descriptions = Captioner(0).describe_with_posecodes(named_pose(said_of), 4, styles=REPLY_STYLES)
    assert descriptions
    checks_disagree = []
    for description in descriptions:
        own, other = words_agree(description.text, named_pose(said_of)), words_agree(description.text, named_pose(shown))
        assert own.agrees and not other.agrees, description.text
        if own.checkable:
            assert own.checks_agree, description.text
            checks_disagree.append(not other.checks_agree)
    assert all(checks_disagree) if checks_see_it else not all(checks_disagree)


def test_hand_written_words_agree_with_the_right_pose_only():
    arms_up = words_agree("Both arms raised straight up above the head.", named_pose("arms_up"))
    assert arms_up.agrees and arms_up.facts == {"arm/up/both": True} and arms_up.fraction == 1.0
    assert arms_up.checks_agree and arms_up.checks == ("both_wrists_above_head",) and arms_up.checks_fraction == 1.0
    down = words_agree("Both arms raised straight up above the head.", named_pose("stand"))
    assert not down.agrees and down.wrong == ("arm/up/both",) and down.fraction == 0.0
    assert not down.checks_agree and down.failed == ("both_wrists_above_head",) and down.checks_fraction == 0.0
    assert "arm/down/both" in {_code(c) for c in down.shown}  # what the captioner says of the pose shown
    assert words_agree("Sitting with the left knee bent.", named_pose("sit_chair")).agrees  # "ninety" is next to "bent"
    assert words_agree("Sitting with the left knee bent.", named_pose("sit_chair")).checks_agree
    standing = words_agree("Sitting with the left knee bent.", named_pose("stand"))
    assert set(standing.wrong) == {"posture/sitting", "knee/bent/left"}
    assert set(standing.failed) == {"sitting", "left_knee_bent"}
    # "standing" has no check, but it is a posecode: words that say only that can now disagree
    assert words_agree("Standing.", named_pose("stand")).agrees
    assert not words_agree("Standing.", named_pose("sit_chair")).agrees
    assert not words_agree("Standing.", named_pose("sit_chair")).checkable


def _code(code: Posecode) -> str:
    return "/".join(part for part in (code.topic, code.value, code.side) if part)


# --- replies --------------------------------------------------------------------------------------------


def test_a_reply_with_two_poses_is_split_at_each_marker():
    reply = (f"Two for you. First: both arms raised straight up. {POSE_TOKEN} "
             f"Then: sitting with both knees bent at ninety degrees. {POSE_TOKEN} Enjoy, standing is next!")
    arms_up, sit = named_pose("arms_up"), named_pose("sit_chair")
    first, second = reply_agreement(reply, [arms_up, sit])
    assert {(c.topic, c.value, c.side) for c in first.said} == {("arm", "up", "both")}
    assert {(c.topic, c.value, c.side) for c in second.said} == {("posture", "sitting", None), ("knee", "ninety", "both")}
    assert first.agrees and second.agrees  # the words after the last marker ("standing") describe no pose
    assert [a.agrees for a in reply_agreement(reply, [sit, arms_up])] == [False, False]
    with pytest.raises(ValueError, match="2 <POSE> marker"):
        reply_agreement(reply, [arms_up])


def test_the_report_counts_agreeing_silent_and_unread_replies_by_both_rules():
    arms_up, stand, head_left = named_pose("arms_up"), named_pose("stand"), named_pose("turn_head_left")
    report = agreement_report([
        ("agrees", f"Both arms raised straight up. {POSE_TOKEN}", [arms_up]),
        ("disagrees", f"Both arms raised straight up. {POSE_TOKEN}", [stand]),
        ("half", f"Both arms raised straight up. {POSE_TOKEN} Sitting. {POSE_TOKEN}", [arms_up, stand]),
        ("no check", f"Their head is turned to the left. {POSE_TOKEN}", [head_left]),  # a posecode, no check
        ("silent", f"Here you go! {POSE_TOKEN}", [arms_up]),
        ("words only", "Both arms raised straight up.", []),
        ("unread", f"Arms up. {POSE_TOKEN} {POSE_TOKEN}", [arms_up]),
    ])
    assert (report.pose_replies, report.stated, report.agreeing, report.silent, report.unread) == (6, 4, 2, 1, 1)
    assert (report.poses_stated, report.poses_agreeing) == (5, 3)
    assert (report.checkable, report.checks_agreeing, report.poses_checkable, report.poses_checks_agreeing) == (3, 1, 4, 2)
    assert report.agree_pct == pytest.approx(50.0) and report.checks_agree_pct == pytest.approx(100 / 3)
    assert report.line("PoseGPT") == (
        "PoseGPT pose replies whose words agree with the pose (its posecodes): 50.0 % (2 of 4 replies that state "
        "something; 1 replies stated nothing); by the geometric checks: 33.3 % (1 of 3 checkable); "
        "1 not read: <POSE> markers and decoded poses differ in number")
    data = report.to_json()
    assert data["rule"] == "posecodes" and data["agree_pct"] == pytest.approx(50.0)
    assert [r["id"] for r in data["replies"]] == ["agrees", "disagrees", "half", "no check"]
    assert [(r["agrees"], r["checks_agree"]) for r in data["replies"]] == [(True, True), (False, False), (False, False),
                                                                          (True, None)]
    disagreeing = data["replies"][1]["poses"][0]
    assert disagreeing["facts"] == {"arm/up/both": False} and disagreeing["checks"] == {"both_wrists_above_head": False}
    assert "arm/down/both" in disagreeing["shown"]
    assert data["mean_facts_agreeing_pct"] == pytest.approx(60.0)
    assert data["checks"] == {"checkable": 3, "agreeing": 1, "agree_pct": pytest.approx(100 / 3), "poses_checkable": 4,
                              "poses_agreeing": 2, "mean_checks_passed_pct": pytest.approx(50.0)}
    json.dumps(data)  # a results file can hold it
    empty = agreement_report([])
    assert empty.agree_pct is None and empty.checks_agree_pct is None
    assert empty.line().startswith("Pose replies whose words agree with the pose (its posecodes): – (0 of 0")


# --- the evaluations ----------------------------------------------------------------------------------------


def _pose_record(pose: Pose) -> dict[str, list[float]]:
    return {"global_orient": pose.global_orient[0].tolist(), "body_pose": pose.body_pose[0].tolist()}


def test_eval_natural_reports_whether_the_words_agree(tmp_path):
    """--replies: every pose prompt answered "both arms raised straight up", half with that pose."""
    items = natural.load_items()
    lines = []
    shown = 0
    for item in items:
        if item.kind in ("no_pose", "n_poses"):
            reply = {"reply": "Hello!", "poses": []}
        else:
            pose = named_pose("arms_up" if shown % 2 == 0 else "stand")
            shown += 1
            reply = {"reply": f"Both arms raised straight up. {POSE_TOKEN}", "poses": [_pose_record(pose)]}
        lines.append(json.dumps({"id": item.id, **reply}))
    replies = tmp_path / "replies.jsonl"
    replies.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    assert natural.main(["--replies", str(replies), "--skip-baselines", "--output", str(out)]) == 0
    words = json.loads((out / "results.json").read_text())["words_agree"]
    assert (words["pose_replies"], words["stated"], words["agreeing"]) == (shown, shown, (shown + 1) // 2)
    assert (words["checks"]["checkable"], words["checks"]["agreeing"]) == (shown, (shown + 1) // 2)
    assert words["silent"] == 0 and words["unread"] == 0
    assert (f"PoseGPT pose replies whose words agree with the pose (its posecodes): "
            f"{100 * ((shown + 1) // 2) / shown:.1f} %") in (out / "results.md").read_text()


@dataclass
class _Sample:
    """The fields of `posegpt.data.conversations.Sample` that `eval text2pose` reads."""

    messages: list[dict[str, str]]
    poses: list[Pose]
    kind: str
    meta: dict[str, Any] = field(default_factory=dict)


def test_eval_text2pose_reports_whether_the_words_agree(tmp_path, monkeypatch):
    import posegpt.data.conversations as conversations

    arms_up, stand = named_pose("arms_up"), named_pose("stand")
    samples = [
        _Sample([{"role": "user", "content": request}, {"role": "assistant", "content": f"Here: {POSE_TOKEN}"}],
                [pose], "explicit", {"kind": "explicit", "checks": ["both_wrists_above_head"], "reference": name})
        for request, pose, name in (("Arms up, please.", arms_up, "arms_up"), ("Raise both arms.", arms_up, "arms_up"),
                                    ("Just stand.", stand, "stand"))
    ]
    monkeypatch.setattr(conversations, "build_dataset", lambda split, size, seed=0, **kwargs: samples[:size])
    out = tmp_path / "out"
    assert text2pose.main(["--skip-model", "--skip-baselines", "--output", str(out)]) == 2  # nothing to evaluate
    assert text2pose.main(["--replies", "/nonexistent", "--skip-baselines", "--output", str(out)]) == 2
    ids = [json.loads(line)["id"] for line in (out / "prompts.jsonl").read_text().splitlines()]
    said = ["Both arms raised straight up. ", "Sitting. ", "Here you go! "]
    shown = [arms_up, arms_up, stand]
    replies = tmp_path / "replies.jsonl"
    replies.write_text("".join(json.dumps({"id": i, "reply": f"{words}{POSE_TOKEN}", "poses": [_pose_record(p)]}) + "\n"
                               for i, words, p in zip(ids, said, shown)))
    assert text2pose.main(["--replies", str(replies), "--skip-baselines", "--output", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    words = results["words_agree"]
    assert (words["stated"], words["agreeing"], words["silent"]) == (2, 1, 1)
    assert (words["checks"]["checkable"], words["checks"]["agreeing"]) == (2, 1)
    table = (out / "results.md").read_text()
    assert "| explicit | PoseGPT | 3 |" in table  # the table is as before, the line comes after it
    assert table.rstrip().endswith("50.0 % (1 of 2 replies that state something; 1 replies stated nothing); "
                                   "by the geometric checks: 50.0 % (1 of 2 checkable)")
