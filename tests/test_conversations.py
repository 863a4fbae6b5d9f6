"""Conversation builders: determinism, held-out hygiene, <POSE> bookkeeping, plausible and honest edits."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

from posegpt.data.captioner import Captioner
from posegpt.data.catalogue import pose_library
from posegpt.data.conversations import (
    BOTH_LEGS,
    EDITS_BY_NAME,
    EXPLICIT_REPLIES,
    EXPLICIT_REQUESTS,
    NAMED_REQUESTS,
    QA_PAIRS,
    Sample,
    apply_edit,
    build_dataset,
    is_reply_template,
    library_items,
    load_samples,
    qa_pairs,
    readable_names,
    save_samples,
    swap_sides,
    transplant,
)
from posegpt.data.named_poses import POSE_LIBRARY, named_pose
from posegpt.data.plausibility import is_plausible
from posegpt.data.speculative import SITUATIONS, phrasings
from posegpt.data.splits import is_heldout
from posegpt.eval.checks import run_checks
from posegpt.pose import Pose

SAMPLER_POSES = 24  # the sampler costs ~20 ms a pose; a few dozen exercise it


@pytest.fixture(scope="module")
def train_set() -> list[Sample]:
    return build_dataset("train", 700, seed=7, sampler_poses=SAMPLER_POSES)


@pytest.fixture(scope="module")
def eval_set() -> list[Sample]:
    return build_dataset("eval", 240, seed=7, sampler_poses=SAMPLER_POSES)


def _joints(pose: Pose) -> np.ndarray:
    return pose.joints()[0].numpy()


def test_templates_are_many_and_well_formed() -> None:
    assert len(EXPLICIT_REQUESTS) >= 30 and len(EXPLICIT_REPLIES) >= 15
    assert all("{desc}" in t for t in EXPLICIT_REQUESTS)
    assert all(t.count("<POSE>") == 1 for t in EXPLICIT_REPLIES)
    assert all("{name}" in t or "{Name}" in t for t in NAMED_REQUESTS)
    assert len(QA_PAIRS) >= 40 and not any("<POSE>" in q + a for q, a in QA_PAIRS)
    assert all(entry.names and readable_names(name) == entry.names for name, entry in POSE_LIBRARY.items())
    for edit in EDITS_BY_NAME.values():
        assert all(reply.count("<POSE>") == 1 for reply in edit.replies), edit.name


def test_swap_sides() -> None:
    assert swap_sides("Left arm up, right leg back, leftward.") == "Right arm up, left leg back, rightward."
    assert swap_sides("LEFT and Right") == "RIGHT and Left"
    assert swap_sides("upright and bright") == "upright and bright"


def test_mirrored_names_swap_sides_and_match_the_mirrored_body() -> None:
    assert all("right" in phrase and "left" not in phrase for phrase in readable_names("wave_left_hand", mirrored=True))
    mirrored = named_pose("wave_left_hand").mirrored()
    assert run_checks(mirrored, ["right_wrist_above_shoulder", "left_wrist_above_shoulder"]) == {
        "right_wrist_above_shoulder": True, "left_wrist_above_shoulder": False,
    }
    for item in library_items("train"):
        if item.mirrored:
            assert item.label == f"{item.name}~mirrored"
            assert np.allclose(_joints(item.pose), _joints(named_pose(item.name).mirrored()), atol=1e-5)


def test_build_is_deterministic() -> None:
    first = [s.to_json() for s in build_dataset("train", 60, seed=3, sampler_poses=8)]
    again = [s.to_json() for s in build_dataset("train", 60, seed=3, sampler_poses=8)]
    other = [s.to_json() for s in build_dataset("train", 60, seed=4, sampler_poses=8)]
    assert json.dumps(first) == json.dumps(again)
    assert json.dumps(first) != json.dumps(other)


def test_pose_tokens_match_poses_and_poses_are_plausible(train_set: list[Sample], eval_set: list[Sample]) -> None:
    poses = []
    for sample in train_set + eval_set:
        assert sample.pose_token_count() == len(sample.poses), sample.messages
        assert all(m["role"] in ("user", "assistant", "system") for m in sample.messages)
        assert not any("<POSE>" in m["content"] for m in sample.messages if m["role"] != "assistant")
        assert all(len(pose) == 1 for pose in sample.poses)
        poses += sample.poses
    plausible = is_plausible(Pose.concat(poses))
    assert plausible.all(), f"{int((~plausible).sum())} implausible poses"


def test_train_mix_has_every_kind(train_set: list[Sample]) -> None:
    kinds = {sample.kind for sample in train_set}
    assert {"explicit", "named", "pair", "speculative", "edit", "qa", "mixed"} <= kinds
    assert any(sample.meta.get("mirrored") for sample in train_set if sample.kind == "named")
    assert any(s.meta["references"][0].startswith("mocap:") for s in train_set if s.kind == "explicit")
    assert any("(" in s.meta["references"][0] for s in train_set if s.kind == "explicit")  # sampler output


def test_no_heldout_item_leaks_into_training(train_set: list[Sample]) -> None:
    heldout_joints = [
        _joints(pose)
        for name in POSE_LIBRARY if is_heldout("pose", name)
        for pose in (named_pose(name), named_pose(name).mirrored())
    ]
    heldout_texts = {text for s in SITUATIONS.values() for _, text in phrasings(s, "eval")}
    heldout_questions = {question for _, question, _ in qa_pairs("eval")}
    for sample in train_set:
        meta = sample.meta
        assert not any(is_heldout("pose", name) for name in meta["pose_sources"]), meta
        assert not any(is_heldout("mocap_clip", clip) for clip in meta["mocap_clips"]), meta
        assert not any(is_heldout("template", tid) for tid in meta["templates"]), meta
        assert not (meta.get("situation") and is_heldout("situation", meta["situation"])), meta
        for message in sample.messages:
            if message["role"] == "user":
                assert message["content"] not in heldout_texts | heldout_questions, message
        for pose in sample.poses:
            joints = _joints(pose)
            assert all(np.abs(joints - other).max() > 1e-3 for other in heldout_joints), meta["references"]


def test_heldout_content_asks_for_heldout_poses_and_situations_in_training_templates_only() -> None:
    from posegpt.data.conversations import HELDOUT_CONTENT_KINDS, TRAIN_MIX, build_heldout_content

    samples = build_heldout_content(400, TRAIN_MIX, seed=3)
    assert samples and {sample.kind for sample in samples} == set(HELDOUT_CONTENT_KINDS)
    heldout_names = {name for name in POSE_LIBRARY if is_heldout("pose", name)}
    for sample in samples:
        meta = sample.meta
        assert not any(is_heldout("template", tid) for tid in meta["templates"]), meta  # unseen wordings stay unseen
        if sample.kind == "speculative":
            assert is_heldout("situation", meta["situation"]), meta
        else:
            assert set(meta["pose_sources"]) <= heldout_names and meta["pose_sources"], meta
    # as many per item as training gives each training item: the held-out fifth, not a flood
    assert len(samples) < 400 * 0.3


def test_situations_show_one_sided_poses_on_the_right(train_set: list[Sample]) -> None:
    from posegpt.data.conversations import _is_mirror_distinct
    from posegpt.data.speculative import SHOWN_SIDE

    assert SHOWN_SIDE == "right"
    sided = [s for s in train_set if s.kind == "speculative" and _is_mirror_distinct(s.meta["pose_sources"][0])]
    assert sided, "no speculative sample drew a one-sided pose"
    for sample in sided:
        name = sample.meta["pose_sources"][0]
        assert sample.meta["references"] == [f"{name}~mirrored"] and sample.meta["mirrored"], sample.meta
        assert np.allclose(_joints(sample.poses[0]), _joints(named_pose(name).mirrored()), atol=1e-5)
        situation = SITUATIONS[sample.meta["situation"]]
        assert all(check.replace("left", "right") == shown.replace("left", "right")  # the same check, mirrored
                   for check, shown in zip(situation.checks, sample.meta["checks"]))
        assert all(run_checks(sample.poses[0], sample.meta["checks"]).values()), sample.meta


def test_evaluation_uses_only_heldout_items(eval_set: list[Sample]) -> None:
    assert {sample.kind for sample in eval_set} == {"explicit", "speculative", "named"}
    unseen = set()
    for sample in eval_set:
        meta = sample.meta
        assert meta["kind"] == sample.kind and meta["checks"] and meta["reference"]
        requests = [tid for tid in meta["templates"] if not is_reply_template(tid)]
        assert requests, meta
        if sample.kind == "speculative":
            # An unseen situation (any of its phrasings) or an unseen phrasing of a seen one.
            held_situation = is_heldout("situation", meta["situation"])
            assert held_situation or all(is_heldout("template", tid) for tid in requests), meta
            assert meta["unseen"] == ("situation" if held_situation else "phrasing")
            unseen.add(meta["unseen"])
        else:
            assert all(is_heldout("template", tid) for tid in requests), meta
            assert meta["pose_sources"] or meta["mocap_clips"]
            assert all(is_heldout("pose", name) for name in meta["pose_sources"]), meta
            assert all(is_heldout("mocap_clip", clip) for clip in meta["mocap_clips"]), meta
        # The reference answer passes every check the prompt is scored on.
        assert all(run_checks(sample.poses[0], meta["checks"]).values()), (sample.messages[0], meta)
    assert unseen == {"situation", "phrasing"}
    prompts = [sample.messages[0]["content"] for sample in eval_set]
    assert len(set(prompts)) > 0.9 * len(prompts)


def test_edits_change_the_pose_as_the_words_say(train_set: list[Sample]) -> None:
    edits = [sample for sample in train_set if sample.kind == "edit"]
    assert len(edits) > 50
    names = set()
    for sample in edits:
        assert len(sample.poses) == len(sample.meta["edits"]) + 1
        for (before, after), name in zip(zip(sample.poses, sample.poses[1:]), sample.meta["edits"]):
            edit = EDITS_BY_NAME[name]
            assert np.linalg.norm(_joints(before) - _joints(after), axis=-1).max() > 0.15, name
            assert all(run_checks(after, edit.achieves).values()), name
            assert not any(run_checks(after, edit.loses).values()), name
            names.add(name)
    assert len(names) >= 12  # most kinds of edit show up


def test_edits_on_known_poses() -> None:
    stand, arms_up = named_pose("stand"), named_pose("arms_up")
    raised = apply_edit(EDITS_BY_NAME["raise_arms"], stand)
    assert raised is not None and run_checks(raised, ["both_wrists_above_head"])["both_wrists_above_head"]
    assert apply_edit(EDITS_BY_NAME["raise_arms"], arms_up) is None  # already up: no such edit
    lowered = apply_edit(EDITS_BY_NAME["lower_arms"], arms_up)
    assert lowered is not None and run_checks(lowered, ["wrists_below_shoulders"])["wrists_below_shoulders"]
    seated = apply_edit(EDITS_BY_NAME["sit_down"], stand)
    assert seated is not None and run_checks(seated, ["sitting"])["sitting"]
    waved = apply_edit(EDITS_BY_NAME["wave_right"], stand)
    assert waved is not None and run_checks(waved, ["right_wrist_above_shoulder", "left_wrist_above_shoulder"]) == {
        "right_wrist_above_shoulder": True, "left_wrist_above_shoulder": False,
    }
    other = apply_edit(EDITS_BY_NAME["other_arm"], named_pose("wave_left_hand"))
    assert other is not None and run_checks(other, ["right_wrist_above_shoulder"])["right_wrist_above_shoulder"]
    assert apply_edit(EDITS_BY_NAME["other_arm"], stand) is None  # symmetric: nothing to switch
    # the other leg switches the legs alone: a one-legged stand waving its left hand keeps waving it
    balance = transplant(named_pose("wave_left_hand"), named_pose("stand_on_left_leg"), BOTH_LEGS)
    switched = apply_edit(EDITS_BY_NAME["other_leg"], balance)
    assert switched is not None
    assert run_checks(balance, ["left_foot_raised", "right_foot_raised"]) != run_checks(switched, ["left_foot_raised", "right_foot_raised"])
    assert torch.allclose(switched.joints()[0, 16:], balance.joints()[0, 16:], atol=1e-4)  # shoulders to hands kept
    bent = apply_edit(EDITS_BY_NAME["bend_knees"], stand)
    assert bent is not None and run_checks(bent, ["knees_bent"])["knees_bent"]


def test_mirrored_named_samples_say_the_mirrored_side(train_set: list[Sample]) -> None:
    checked = 0
    for sample in train_set:
        if sample.kind != "named" or not sample.meta["references"][0].endswith("~mirrored"):
            continue
        name = sample.meta["references"][0].removesuffix("~mirrored")
        text = sample.messages[0]["content"].lower()
        sided = [phrase.lower() for phrase in readable_names(name) if re.search(r"\b(left|right)", phrase)]
        if not sided:
            continue
        assert any(phrase.lower() in text for phrase in readable_names(name, mirrored=True)), text
        assert not any(phrase in text for phrase in sided), text
        checked += 1
    assert checked > 0


def test_save_and_load_round_trip(tmp_path, train_set: list[Sample]) -> None:
    path = save_samples(train_set[:30], tmp_path / "samples.jsonl")
    first = json.loads(path.read_text().splitlines()[0])
    assert all(len(p["global_orient"]) == 3 and len(p["body_pose"]) == 69 for p in first["poses"])
    loaded = load_samples(path)
    assert [s.messages for s in loaded] == [s.messages for s in train_set[:30]]
    assert [s.kind for s in loaded] == [s.kind for s in train_set[:30]]
    for a, b in zip(loaded, train_set[:30]):
        for pa, pb in zip(a.poses, b.poses):
            assert np.allclose(pa.body_pose, pb.body_pose) and np.allclose(pa.global_orient, pb.global_orient)


def test_general_chat_passes_through_unchanged(tmp_path) -> None:
    records = [
        {"messages": [{"role": "user", "content": f"Question {i}?"}, {"role": "assistant", "content": f"Answer {i}."}]}
        for i in range(5)
    ]
    path = tmp_path / "chat.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    samples = build_dataset("train", 20, seed=1, mix={"chat": 0.5, "qa": 0.5}, general_chat=path)
    chat = [s for s in samples if s.kind == "chat"]
    assert len(chat) == 10 and not any(s.poses for s in chat)
    assert {json.dumps(s.messages) for s in chat} == {json.dumps(r["messages"]) for r in records}
    # A chat appears at most twice; the rest of its share goes to the other kinds.
    many = build_dataset("train", 40, seed=1, mix={"chat": 0.5, "qa": 0.5}, general_chat=path)
    assert len(many) == 40 and sum(s.kind == "chat" for s in many) == 10
    # Without the file its share goes to the other kinds.
    missing = build_dataset("train", 20, seed=1, mix={"chat": 0.5, "qa": 0.5}, general_chat=tmp_path / "none.jsonl")
    assert len(missing) == 20 and all(s.kind == "qa" for s in missing)


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        build_dataset("eval", 10, mix={"edit": 1.0})
    with pytest.raises(ValueError):
        build_dataset("train", 10, mix={"nonsense": 1.0})
    with pytest.raises(ValueError):
        build_dataset("test", 10)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def described_set() -> list[Sample]:
    mix = {"explicit": 1, "named": 1, "pair": 1, "speculative": 1, "edit": 1, "several": 2, "mixed": 1}
    return build_dataset("train", 90, seed=3, mix=mix, sampler_poses=SAMPLER_POSES, described=True)


def test_described_replies_say_what_each_pose_shows(described_set: list[Sample]) -> None:
    """Before every <POSE> stand the captioner's words for that very pose (its third-person or
    terse description), so the words are true to the pose the head is trained to output."""
    captioner = Captioner(3)  # the builder's captioner has the build seed
    checked = 0
    for sample in described_set:
        said_before = [part for message in sample.messages if message["role"] == "assistant"
                       for part in message["content"].split("<POSE>")[:-1]]
        assert len(said_before) == len(sample.poses)
        for words, pose in zip(said_before, sample.poses):
            options = [d.text for d in captioner.describe_with_posecodes(pose, 2, styles=captioner.SAID_STYLES)]
            assert words.rstrip().endswith(min(options, key=len)), (words, options)
            checked += 1
    assert checked > len(described_set)


def test_several_asks_for_n_poses_of_one_kind_and_gets_n(described_set: list[Sample]) -> None:
    several = [sample for sample in described_set if sample.kind == "several"]
    assert len(several) >= 15
    counts = set()
    numbers = {"two": 2, "three": 3, "four": 4, "2": 2, "3": 3, "4": 4}
    library = pose_library()
    for sample in several:
        request, reply = sample.messages[0]["content"], sample.messages[1]["content"]
        asked = [numbers[word] for word in re.findall(r"\b(two|three|four|[234])\b", request)]
        assert asked and asked[0] == len(sample.poses) == reply.count("<POSE>"), (request, reply)
        names = [reference.replace("~mirrored", "") for reference in sample.meta["references"]]
        assert len(set(names)) == len(names), "the N poses are different poses"
        if sample.meta["category"] != "any":
            assert {library[name].category for name in names} == {sample.meta["category"]}, request
        counts.add(len(sample.poses))
    assert counts == {2, 3, 4}


def test_replies_are_plain_unless_described() -> None:
    plain = build_dataset("train", 12, seed=3, mix={"explicit": 1}, sampler_poses=SAMPLER_POSES)
    assert {sample.messages[1]["content"] for sample in plain} <= set(EXPLICIT_REPLIES)
