"""The text → pose benchmark on a tiny hand-made evaluation set: scoring, baselines, the model path."""

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch

from posegpt.data.named_poses import turns_to_pose
from posegpt.eval import text2pose
from posegpt.eval.retrieval import NearestNeighbourText, cached_embeddings, mean_pose, prompt_text
from posegpt.eval.text2pose import (
    Answer,
    EvalPrompt,
    engine_method,
    eval_prompts,
    evaluate,
    markdown_table,
    mean_pose_method,
    nearest_neighbour_method,
    score_answer,
)
from posegpt.pose import Pose, axis_angle_to_quaternion

ARMS_DOWN = [("left_shoulder", "z", -75), ("right_shoulder", "z", 75)]
ARMS_UP = turns_to_pose([("left_shoulder", "z", 85), ("right_shoulder", "z", -85)])
LEFT_ARM_UP = turns_to_pose([("left_shoulder", "z", 85), ("right_shoulder", "z", 75)])
STAND = turns_to_pose(ARMS_DOWN)
SQUAT = turns_to_pose([
    ("left_hip", "x", -100), ("right_hip", "x", -100), ("left_knee", "x", 120), ("right_knee", "x", 120),
    ("left_ankle", "x", -20), ("right_ankle", "x", -20), ("spine1", "x", 25),
    ("left_shoulder", "y", -80), ("right_shoulder", "y", 80),
])


@dataclass
class FakeSample:
    """The fields of `posegpt.data.conversations.Sample` the benchmark reads."""

    messages: list[dict[str, str]]
    poses: list[Pose]
    kind: str
    meta: dict[str, Any] = field(default_factory=dict)


def _sample(kind: str, request: str, pose: Pose, checks: list[str], reference: str, **meta: Any) -> FakeSample:
    messages = [{"role": "user", "content": request}, {"role": "assistant", "content": "Here: <POSE>"}]
    return FakeSample(messages, [pose], kind, {"kind": kind, "checks": checks, "reference": reference, **meta})


EVAL_SAMPLES = [
    _sample("explicit", "Raise both arms straight above your head.", ARMS_UP, ["both_wrists_above_head", "legs_straight"], "arms_up"),
    _sample("explicit", "Squat down low with your arms forward.", SQUAT, ["squatting", "knees_bent"], "squat"),
    _sample("speculative", "How would someone ask a question in class?", LEFT_ARM_UP,
            ["left_wrist_above_head"], "raise_left_hand", any_side=True),
    _sample("named", "Show me a squat.", SQUAT, ["squatting"], "squat"),
]
TRAIN_SAMPLES = [
    _sample("explicit", "Lift both arms up high over your head.", ARMS_UP, [], "arms_up"),
    _sample("explicit", "Stand relaxed with the arms down.", STAND, [], "stand"),
    _sample("explicit", "Crouch into a squat with arms forward.", SQUAT, [], "squat"),
]


class WordEmbedder:
    """A deterministic bag-of-words encoder (stands in for MiniLM): shared words → high cosine."""

    name = "test-words"

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        vectors = np.zeros((len(texts), 256), np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().replace(".", " ").replace("?", " ").split():
                vectors[row, sum(map(ord, word)) % 256] += 1.0
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


_oracle = text2pose.reference_method


def test_eval_prompts_cut_the_reply_and_keep_checks_and_reference():
    prompts = eval_prompts(EVAL_SAMPLES + [FakeSample([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}], [], "chat", {})])
    assert [p.id for p in prompts] == ["explicit-0001", "explicit-0002", "speculative-0001", "named-0001"]
    assert all(p.messages[-1]["role"] == "user" and len(p.messages) == 1 for p in prompts)
    assert prompts[2].any_side and prompts[2].checks == ("left_wrist_above_head",)
    assert np.allclose(prompts[1].reference.body_pose, SQUAT.body_pose)


def test_eval_prompts_reject_unknown_check_names():
    bad = _sample("explicit", "Stand up straight.", STAND, ["upleft_standing"], "stand")
    with pytest.raises(ValueError, match="upleft_standing"):
        eval_prompts([bad])


def test_the_reference_scores_perfectly_and_no_pose_fails_every_check():
    prompts = eval_prompts(EVAL_SAMPLES)
    summary, records, _ = evaluate(prompts, {"oracle": _oracle, "silent": lambda ps: [Answer("I cannot do that.") for _ in ps]})
    oracle, silent = summary["oracle"], summary["silent"]
    for kind in ("explicit", "speculative", "named", "all"):
        assert oracle[kind]["checks_passed_pct"] == 100.0 and oracle[kind]["no_pose_pct"] == 0.0
        assert oracle[kind]["mpjpe_mm"] == pytest.approx(0.0, abs=1e-3)
        assert silent[kind]["checks_passed_pct"] == 0.0 and silent[kind]["no_pose_pct"] == 100.0
        assert silent[kind]["mpjpe_mm"] is None
    assert oracle["all"]["prompts"] == 4 and oracle["explicit"]["prompts"] == 2
    assert len(records) == 8 and {r["method"] for r in records} == {"oracle", "silent"}
    json.dumps(records, allow_nan=False)  # results.json must be strict JSON


def test_side_free_prompts_accept_the_mirror_image_and_sided_ones_do_not():
    prompt = eval_prompts(EVAL_SAMPLES)[2]  # "raise a hand": left_wrist_above_head, any side
    mirrored = score_answer(prompt, Answer("<POSE>", [LEFT_ARM_UP.mirrored()]))
    assert mirrored.checks_passed == 1.0 and mirrored.mirrored and mirrored.checks == {"right_wrist_above_head": True}
    assert mirrored.mpjpe_mm == pytest.approx(0.0, abs=2.0)  # the reference's mirror (rest skeleton ~1 mm asymmetric)
    strict = EvalPrompt("x", "explicit", prompt.messages, prompt.checks, prompt.reference)
    sided = score_answer(strict, Answer("<POSE>", [LEFT_ARM_UP.mirrored()]))
    assert sided.checks_passed == 0.0 and sided.mpjpe_mm > 100


def test_only_the_first_pose_of_a_reply_is_scored():
    prompt = eval_prompts(EVAL_SAMPLES)[0]
    assert score_answer(prompt, Answer("<POSE> <POSE>", [ARMS_UP, SQUAT])).checks_passed == 1.0
    assert score_answer(prompt, Answer("<POSE> <POSE>", [SQUAT, ARMS_UP])).checks_passed < 1.0


def test_mean_pose_baseline_on_a_tiny_eval_set():
    training = Pose.concat([ARMS_UP, STAND, SQUAT])
    average = mean_pose(training)
    summary, _, _ = evaluate(eval_prompts(EVAL_SAMPLES), {"mean pose": mean_pose_method(average), "oracle": _oracle})
    mean_row, oracle_row = summary["mean pose"]["all"], summary["oracle"]["all"]
    assert mean_row["no_pose_pct"] == 0.0
    assert mean_row["checks_passed_pct"] < oracle_row["checks_passed_pct"]
    assert mean_row["mpjpe_mm"] > 50.0 and mean_row["pa_mpjpe_mm"] > 20.0
    table = markdown_table(summary)
    assert "| explicit | mean pose | 2 |" in table and "| all | oracle | 4 | 100.0 |" in table


def test_mean_pose_is_the_rotation_average():
    # Identical poses → that pose; ±θ about one axis → no rotation; q and −q count alike.
    assert np.allclose(mean_pose(Pose.concat([SQUAT, SQUAT])).axis_angle(), SQUAT.axis_angle(), atol=1e-5)
    plus = Pose.from_axis_angle(torch.zeros(24, 3).index_fill_(1, torch.tensor([0]), 0.7))
    minus = Pose.from_axis_angle(torch.zeros(24, 3).index_fill_(1, torch.tensor([0]), -0.7))
    assert np.allclose(mean_pose(Pose.concat([plus, minus])).axis_angle(), 0.0, atol=1e-5)
    quaternions = axis_angle_to_quaternion(SQUAT.axis_angle())
    assert torch.allclose(axis_angle_to_quaternion(mean_pose(Pose.concat([SQUAT, SQUAT, SQUAT])).axis_angle()).abs(), quaternions.abs(), atol=1e-5)
    with pytest.raises(ValueError):
        mean_pose(Pose.concat([SQUAT])[0:0])


def test_nearest_neighbour_retrieval_answers_with_the_closest_training_prompt(tmp_path):
    texts, poses = text2pose.training_pairs(TRAIN_SAMPLES)
    assert texts == [prompt_text(s.messages[:1]) for s in TRAIN_SAMPLES]
    embedder = WordEmbedder()
    retriever = NearestNeighbourText(texts, Pose.concat(poses), embedder, cache_folder=tmp_path)
    prompts = eval_prompts(EVAL_SAMPLES)
    answers = nearest_neighbour_method(retriever)(prompts)
    assert np.allclose(answers[0].poses[0].body_pose, ARMS_UP.body_pose)  # "...both arms ... above your head"
    assert np.allclose(answers[1].poses[0].body_pose, SQUAT.body_pose)  # "squat ... arms forward"
    assert "Crouch into a squat" in answers[1].note
    summary, _, _ = evaluate(prompts, {"NN": nearest_neighbour_method(retriever)})
    assert summary["NN"]["explicit"]["checks_passed_pct"] == 100.0


def test_training_embeddings_are_cached_and_repeated_prompts_embedded_once(tmp_path):
    embedder = WordEmbedder()
    texts = ["raise your arms", "sit down", "raise your arms"]
    first = cached_embeddings(embedder, texts, tmp_path)
    assert embedder.calls == 1 and len(list(tmp_path.glob("*.npy"))) == 1
    again = cached_embeddings(embedder, texts, tmp_path)
    assert embedder.calls == 1 and np.array_equal(first, again)
    cached_embeddings(embedder, texts[:2], tmp_path)  # other texts → another file
    assert embedder.calls == 2
    retriever = NearestNeighbourText(texts, Pose.concat([ARMS_UP, STAND, SQUAT]), embedder, cache_folder=tmp_path)
    assert retriever.vectors.shape[0] == 2
    with pytest.raises(ValueError):
        NearestNeighbourText(texts, Pose.concat([ARMS_UP]), embedder, cache_folder=tmp_path)


class FakeEngine:
    """Answers like the engine: a pose for requests with "arms", words otherwise, an error on "crash"."""

    def __init__(self) -> None:
        self.seen: list[list[dict]] = []

    def stream(self, messages, options=None):
        from posegpt.engine import Done, GenerationStats

        self.seen.append(list(messages))
        assert options is not None and options.temperature == 0.0  # greedy
        text = messages[-1]["content"]
        if "crash" in text:
            raise RuntimeError("boom")
        stats = GenerationStats(1, 1, 0.0, 0.0, 0.0, "end")
        if "arms" in text:
            yield Done("Sure: <POSE>", (ARMS_UP,), stats)
        else:
            yield Done("I am not sure.", (), stats)


def test_engine_method_collects_replies_poses_and_errors():
    engine = FakeEngine()
    prompts = eval_prompts(EVAL_SAMPLES) + [EvalPrompt("x", "named", ({"role": "user", "content": "crash now"},), ("squatting",))]
    answers = engine_method(engine, progress=False)(prompts)
    assert [len(a.poses) for a in answers] == [1, 1, 0, 0, 0]
    assert answers[-1].error.startswith("generation failed: RuntimeError")
    summary, _, _ = evaluate(prompts, {"model": lambda ps: answers})
    assert summary["model"]["explicit"]["no_pose_pct"] == 0.0
    assert summary["model"]["named"]["no_pose_pct"] == 100.0 and summary["model"]["named"]["checks_passed_pct"] == 0.0
    assert engine.seen[0] == [{"role": "user", "content": "Raise both arms straight above your head."}]


def test_a_tiny_untrained_model_runs_through_the_real_engine(tmp_path):
    """The untrained tiny model rarely says <POSE>: its prompts end up in "no pose"."""
    from tests.tiny_models import save_tiny_llama

    folder = save_tiny_llama(tmp_path / "tiny")
    engine, description = text2pose.load_engine(None, str(folder))
    assert "UNTRAINED" in description
    prompts = eval_prompts(EVAL_SAMPLES)[:2]
    answers = engine_method(engine, max_new_tokens=4, progress=False)(prompts)
    summary, records, _ = evaluate(prompts, {"tiny": lambda ps: answers})
    row = summary["tiny"]["explicit"]
    assert row["prompts"] == 2
    assert row["no_pose_pct"] == 100.0 * sum(not a.poses for a in answers) / 2
    assert all(isinstance(r["reply"], str) for r in records)


def test_held_out_prompts_are_answered_without_the_banks_entries_for_held_out_content(monkeypatch):
    import posegpt.engine
    import posegpt.model
    from posegpt.data.named_poses import named_pose
    from posegpt.retrieval import PoseBank
    from test_readout import WordEmbedder

    poses = [named_pose(name).rotation_matrices() for name in ("arms_up", "jumping_jack_open")]
    bank = PoseBank.build(["raise your arms"], poses[0], ["arms_up"], WordEmbedder()).joined(
        PoseBank.build(["do a jumping jack"], poses[1], ["jack"], WordEmbedder(), heldout=True))

    class Loaded:
        pose_bank = bank

        def merge_for_inference(self):
            return self

    monkeypatch.setattr(posegpt.model, "load_posegpt", lambda *args, **kwargs: (Loaded(), "a model with a bank"))
    monkeypatch.setattr(posegpt.engine, "Engine", lambda model: model)
    assert text2pose.load_engine(None, None, unseen_content=True)[0].pose_bank.labels == ("arms_up",)
    assert text2pose.load_engine(None, None)[0].pose_bank.labels == ("arms_up", "jack")  # as users get it


def test_main_writes_results_and_reads_batch_replies(tmp_path, monkeypatch, capsys):
    import posegpt.data.conversations as conversations
    import posegpt.eval.retrieval as retrieval

    def fake_build_dataset(split, size, seed=0, mix=None, general_chat=None):
        return list(EVAL_SAMPLES if split == "eval" else TRAIN_SAMPLES)[:size]

    monkeypatch.setattr(conversations, "build_dataset", fake_build_dataset)
    monkeypatch.setattr(retrieval, "MiniLMEmbedder", lambda device="cpu": WordEmbedder())
    monkeypatch.setenv("POSEGPT_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "out"
    assert text2pose.main(["--skip-model", "--output", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert set(results["summary"]) == {"mean pose", "NN retrieval", "reference (ceiling)"}
    assert results["summary"]["NN retrieval"]["explicit"]["checks_passed_pct"] == 100.0
    assert "| named | NN retrieval | 1 |" in (out / "results.md").read_text() and "NN retrieval" in capsys.readouterr().out

    # A batch output made from prompts.jsonl is scored as the model's replies.
    ids = [json.loads(line)["id"] for line in (out / "prompts.jsonl").read_text().splitlines()]
    pose = {"global_orient": SQUAT.global_orient[0].tolist(), "body_pose": SQUAT.body_pose[0].tolist()}
    replies = tmp_path / "replies.jsonl"
    replies.write_text("".join(json.dumps({"id": i, "reply": "<POSE>", "poses": [pose]}) + "\n" for i in ids))
    assert text2pose.main(["--replies", str(replies), "--skip-baselines", "--output", str(out)]) == 0
    summary = json.loads((out / "results.json").read_text())["summary"]["PoseGPT"]
    assert summary["named"]["checks_passed_pct"] == 100.0 and summary["named"]["mpjpe_mm"] == pytest.approx(0, abs=1e-3)
    assert (out / "model_replies.jsonl").exists()

    replies.write_text(json.dumps({"id": ids[0], "reply": "", "poses": []}) + "\n")
    assert text2pose.main(["--replies", str(replies), "--skip-baselines", "--output", str(out)]) == 2
    assert "no reply for 3 prompt(s)" in capsys.readouterr().err
