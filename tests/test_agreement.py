"""Reading a reply's body words back into posecodes and checking them against the pose it shows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from posegpt.data.captioner import Captioner
from posegpt.data.conversations import library_items, posecode_checks
from posegpt.data.named_poses import named_pose
from posegpt.eval import natural, text2pose
from posegpt.eval.agreement import agreement_report, reply_agreement, said_posecodes, words_agree
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


def test_text_with_no_body_words_is_not_checkable():
    agreement = words_agree("Hello! Here is a pose for you, enjoy.", named_pose("arms_up"))
    assert agreement.said == () and not agreement.checkable
    assert not agreement.agrees and agreement.fraction is None and agreement.failed == ()
    only_unchecked = words_agree("Their head is turned to the left.", named_pose("turn_head_left"))
    assert only_unchecked.said and not only_unchecked.checkable  # a fact no check measures


def test_round_trip_over_the_library_reads_back_what_the_captioner_said():
    """Describe every training library pose (reply voices), read the words back, check the pose.

    Measured (captioner seed 0, 138 poses, 552 descriptions): the read-back covers 99.2 % of the
    posecodes said (the misses: "level with the floor", which says two thigh facts), nothing read
    back was unsaid, and the verdict from the read-back equals the verdict from the captioner's own
    record of what it said for every description. The words agree with their own pose in 82.1 %
    of checkable descriptions: the other 17.9 % are the captioner and the checks measuring
    differently (head up/down — the checks see a neck nod, not the head's own rotation — and
    postures at the edge: chair_pose said "squatting", lunge "kneeling on one knee"), which the
    reader cannot fix. The floors below leave room for the tables to grow.
    """
    captioner = Captioner(0)
    descriptions = said_total = covered = read_total = read_right = 0
    checkable = agreeing = same_verdict = 0
    for item in library_items("train"):
        for description in captioner.describe_with_posecodes(item.pose, 4, styles=REPLY_STYLES):
            descriptions += 1
            truth = {(c.topic, c.value, c.side) for c in description.posecodes}
            read = _said(description.text)
            said_total, covered = said_total + len(truth), covered + len(truth & read)
            read_total, read_right = read_total + len(read), read_right + len(read & truth)
            agreement = words_agree(description.text, item.pose)
            own = run_checks(item.pose, posecode_checks(description.posecodes))
            same_verdict += agreement.agrees == (bool(own) and all(own.values()))
            if agreement.checkable:
                checkable += 1
                agreeing += agreement.agrees
    assert descriptions > 400 and checkable > 0.9 * descriptions
    assert covered / said_total >= 0.95
    assert read_right / read_total >= 0.99
    assert same_verdict / descriptions >= 0.98
    assert agreeing / checkable >= 0.78


@pytest.mark.parametrize("said_of, shown", [
    ("arms_up", "stand"), ("sit_chair", "stand"), ("lie_on_back", "stand"), ("kneel_both_knees", "t_pose"),
])
def test_a_description_of_one_pose_disagrees_with_a_clearly_different_pose(said_of, shown):
    descriptions = Captioner(0).describe_with_posecodes(named_pose(said_of), 4, styles=REPLY_STYLES)
    checked = [d.text for d in descriptions if words_agree(d.text, named_pose(said_of)).checkable]
    assert checked
    for text in checked:
        assert words_agree(text, named_pose(said_of)).agrees, text
        assert not words_agree(text, named_pose(shown)).agrees, text


def test_hand_written_words_agree_with_the_right_pose_only():
    arms_up = words_agree("Both arms raised straight up above the head.", named_pose("arms_up"))
    assert arms_up.agrees and arms_up.checks == ("both_wrists_above_head",) and arms_up.fraction == 1.0
    down = words_agree("Both arms raised straight up above the head.", named_pose("stand"))
    assert not down.agrees and down.failed == ("both_wrists_above_head",) and down.fraction == 0.0
    assert words_agree("Sitting with the left knee bent.", named_pose("sit_chair")).agrees
    standing = words_agree("Sitting with the left knee bent.", named_pose("stand"))
    assert set(standing.failed) == {"sitting", "left_knee_bent"}


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


def test_the_report_counts_agreeing_silent_and_unread_replies():
    arms_up, stand = named_pose("arms_up"), named_pose("stand")
    report = agreement_report([
        ("agrees", f"Both arms raised straight up. {POSE_TOKEN}", [arms_up]),
        ("disagrees", f"Both arms raised straight up. {POSE_TOKEN}", [stand]),
        ("half", f"Both arms raised straight up. {POSE_TOKEN} Sitting. {POSE_TOKEN}", [arms_up, stand]),
        ("silent", f"Here you go! {POSE_TOKEN}", [arms_up]),
        ("words only", "Both arms raised straight up.", []),
        ("unread", f"Arms up. {POSE_TOKEN} {POSE_TOKEN}", [arms_up]),
    ])
    assert (report.pose_replies, report.checkable, report.agreeing, report.silent, report.unread) == (5, 3, 1, 1, 1)
    assert (report.poses_checkable, report.poses_agreeing) == (4, 2)
    assert report.agree_pct == pytest.approx(100 / 3)
    assert report.line("PoseGPT") == (
        "PoseGPT pose replies whose words agree with the pose: 33.3 % (1 of 3 replies that state something checkable; "
        "1 replies said nothing checkable; 1 not read: <POSE> markers and decoded poses differ in number)")
    data = report.to_json()
    assert [r["id"] for r in data["replies"]] == ["agrees", "disagrees", "half"]
    assert data["replies"][1]["poses"][0] == {"said": ["arm/up/both"], "checks": {"both_wrists_above_head": False}}
    assert data["mean_checks_passed_pct"] == pytest.approx(50.0)
    empty = agreement_report([])
    assert empty.agree_pct is None and empty.line().startswith("Pose replies whose words agree with the pose: – (0 of 0")


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
    assert (words["pose_replies"], words["checkable"], words["agreeing"]) == (shown, shown, (shown + 1) // 2)
    assert words["silent"] == 0 and words["unread"] == 0
    assert f"PoseGPT pose replies whose words agree with the pose: {100 * ((shown + 1) // 2) / shown:.1f} %" in (
        out / "results.md").read_text()


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
    assert results["words_agree"]["agreeing"] == 1 and results["words_agree"]["checkable"] == 2
    assert results["words_agree"]["silent"] == 1
    table = (out / "results.md").read_text()
    assert "| explicit | PoseGPT | 3 |" in table  # the table is as before, the line comes after it
    assert table.rstrip().endswith("50.0 % (1 of 2 replies that state something checkable; 1 replies said nothing checkable)")
