"""The pose-intent gate (posegpt/intent.py) and what the engine does with its decision.

A fake sentence encoder (hashed bag of words) stands in for all-MiniLM-L6-v2, and a tiny random
Llama for the backbone, so every test runs offline in seconds."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest
import torch
from tiny_models import save_tiny_llama

from posegpt.backbones import load_backbone
from posegpt.engine import Done, Engine, Message, PoseEvent
from posegpt.intent import (
    INTENT_CONFIG_NAME,
    INTENT_WEIGHTS_NAME,
    GateTurn,
    IntentGate,
    IntentGateConfig,
    choose_threshold,
    declines_pose,
    gate_scores,
    gate_turn,
    split_examples,
    GateExample,
    train_gate,
    turn_features,
)
from posegpt.model import CheckpointError, PoseGPT, PoseGPTConfig

DIM = 32
LORA_ALL = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class FakeEmbedder:
    """Hashed bag of words → unit vectors (similar words, similar vectors; no download)."""

    name = "fake-bow"

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()) or ["<empty>"]:
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0
            out[row] /= np.linalg.norm(out[row])
        return out


POSE_REQUESTS = ["raise your left arm", "show me a squat", "sit cross legged please", "kneel on one knee",
                 "arms up like a winner", "stand on one leg", "show a warrior pose", "touch your toes"]
CHAT = ["hello how are you", "what is the capital of france", "tell me a joke", "thanks a lot",
        "can i freeze bread", "good night", "what should i cook tonight", "recommend a book"]


def fitted_gate(embedder: FakeEmbedder, threshold: float = 0.5) -> IntentGate:
    """A gate fitted on a handful of turns, with the follow-up rule: "now the other one" is a pose
    request after a pose reply and not after a chat reply."""
    turns = [GateTurn(text) for text in POSE_REQUESTS + CHAT]
    labels = [1] * len(POSE_REQUESTS) + [0] * len(CHAT)
    for request in POSE_REQUESTS:
        turns.append(GateTurn("now the other one", request, True))
        labels.append(1)
    for chat in CHAT:
        turns.append(GateTurn("now the other one", chat, False))
        labels.append(0)
        turns.append(GateTurn("thanks a lot", POSE_REQUESTS[len(chat) % len(POSE_REQUESTS)], True))
        labels.append(0)
    probe = IntentGate(IntentGateConfig(encoder=embedder.name, embedding_dim=DIM, hidden=16))
    features = turn_features(probe, turns, embedder)
    gate = train_gate(features, torch.tensor(labels), probe.config, epochs=300)
    gate.config.threshold = threshold
    return gate


@pytest.fixture(scope="module")
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="module")
def gate(embedder) -> IntentGate:
    return fitted_gate(embedder)


# -- what the gate reads ----------------------------------------------------------------------


def test_gate_turn_reads_the_previous_request_and_whether_a_pose_followed():
    follow_up = gate_turn([
        {"role": "system", "content": "be nice"},
        {"role": "user", "content": "raise your left arm"},
        {"role": "assistant", "content": "Left arm up: <POSE>"},
        {"role": "user", "content": "now the other arm"},
    ])
    assert follow_up == GateTurn("now the other arm", "raise your left arm", True)
    after_chat = gate_turn([Message("user", "hi"), Message("assistant", "Hello!"), Message("user", "thanks!")])
    assert after_chat == GateTurn("thanks!", "hi", False)
    assert gate_turn([{"role": "user", "content": "hello"}]) == GateTurn("hello")
    with pytest.raises(ValueError):
        gate_turn([{"role": "assistant", "content": "hi"}])


def test_follow_up_context_decides_a_context_free_message(gate, embedder):
    after_pose = GateTurn("now the other one", "raise your left arm", True)
    after_chat = GateTurn("now the other one", "tell me a joke", False)
    assert gate.wants_pose(after_pose, embedder)
    assert not gate.wants_pose(after_chat, embedder)
    assert not gate.wants_pose(GateTurn("thanks a lot", "show me a squat", True), embedder)
    assert gate.wants_pose(GateTurn("show me a squat"), embedder)
    assert not gate.wants_pose(GateTurn("hello how are you"), embedder)


def test_empty_or_blank_message_is_no_pose_request_and_does_not_crash(gate, embedder):
    assert not gate.wants_pose(GateTurn(""), embedder)
    assert not gate.wants_pose(GateTurn("   \n"), embedder)
    assert gate.probabilities([], embedder).shape == (0,)


def test_save_load_round_trip(gate, embedder, tmp_path):
    gate.config.scores = {"validation": {"accuracy_pct": 99.0}}
    gate.save(tmp_path)
    assert (tmp_path / INTENT_WEIGHTS_NAME).exists() and (tmp_path / INTENT_CONFIG_NAME).exists()
    loaded = IntentGate.load(tmp_path)
    assert loaded is not None and loaded.config == gate.config
    turns = [GateTurn("show me a squat"), GateTurn("now the other one", "raise your left arm", True)]
    assert torch.allclose(loaded.probabilities(turns, embedder), gate.probabilities(turns, embedder))
    assert IntentGate.load(tmp_path / "elsewhere") is None  # no gate: None, not an error
    (tmp_path / INTENT_WEIGHTS_NAME).write_bytes(b"not safetensors")
    with pytest.raises(ValueError, match="intent gate"):
        IntentGate.load(tmp_path)


def test_threshold_favours_recall_and_scores():
    probs = torch.tensor([0.9, 0.8, 0.3, 0.2, 0.1, 0.05])
    labels = torch.tensor([1, 1, 1, 0, 0, 0])
    threshold = choose_threshold(probs, labels, target_recall=1.0)
    assert threshold == pytest.approx(0.3)
    scores = gate_scores(probs, labels, threshold, ["a", "a", "b", "b", "c", "c"])
    assert scores["pose_recall_pct"] == 100.0 and scores["non_pose_rejected_pct"] == 100.0
    assert choose_threshold(torch.tensor([0.99, 0.98]), torch.tensor([1, 1])) == 0.5  # never above 0.5


def test_split_keeps_each_group_on_one_side():
    examples = [GateExample(GateTurn(f"text {i}"), i % 2, "x", f"group {i % 37}") for i in range(500)]
    fit, validation = split_examples(examples)
    assert fit and validation and len(fit) + len(validation) == 500
    assert not {e.group for e in fit} & {e.group for e in validation}


# -- the engine --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    return save_tiny_llama(tmp_path_factory.mktemp("tiny_intent"))


def tiny_model(folder, gate: IntentGate | None) -> PoseGPT:
    torch.manual_seed(0)
    config = PoseGPTConfig(backbone=str(folder), lora_target_modules=LORA_ALL, lora_dropout=0.0)
    model = PoseGPT(load_backbone(str(folder)), config)
    with torch.no_grad():  # a visible adapter: its output differs from the base model's
        for name, parameter in model.language_model.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0.0, 0.5)
    model.intent_gate = gate
    return model.eval()


class PoseLoving(Engine):
    """An engine whose model would always say <POSE> first (unless it is banned)."""

    def __init__(self, model: PoseGPT, **kwargs) -> None:
        super().__init__(model, **kwargs)
        self.adapter_calls: list[bool] = []

    def _forward(self, cache, adapter=True, **inputs):
        self.adapter_calls.append(adapter)
        logits, states, cache = super()._forward(cache, adapter, **inputs)
        logits = logits.clone()
        logits[self.pose_token_id] = logits.max() + 50.0
        return logits, states, cache


def reply(engine: Engine, text: str, context: list[dict] | None = None) -> Done:
    events = list(engine.stream((context or []) + [{"role": "user", "content": text}], max_new_tokens=4))
    return next(e for e in events if isinstance(e, Done))


def test_gate_saying_no_bans_pose_and_uses_the_base_model(tiny_folder, gate):
    engine = PoseLoving(tiny_model(tiny_folder, gate))
    engine.model._request_encoder = FakeEmbedder()
    chat = reply(engine, "hello how are you")
    assert "<POSE>" not in chat.reply and not chat.poses
    assert engine.adapter_calls and not any(engine.adapter_calls)  # the base chat model wrote it
    engine.adapter_calls.clear()
    request = reply(engine, "show me a squat")
    assert request.reply.startswith("<POSE>") and request.poses
    assert all(engine.adapter_calls)
    follow = reply(engine, "now the other one", [{"role": "user", "content": "raise your left arm"},
                                                  {"role": "assistant", "content": "Here: <POSE>"}])
    assert follow.poses  # a follow-up to a pose reply may have a pose
    assert "<POSE>" not in reply(engine, "").reply  # an empty message: no pose, no crash


def test_ban_only_when_base_model_is_not_wanted(tiny_folder, gate):
    engine = PoseLoving(tiny_model(tiny_folder, gate), base_model_for_words=False)
    engine.model._request_encoder = FakeEmbedder()
    chat = reply(engine, "hello how are you")
    assert "<POSE>" not in chat.reply and all(engine.adapter_calls)


def test_no_gate_leaves_decoding_unchanged(tiny_folder):
    engine = PoseLoving(tiny_model(tiny_folder, None))
    assert engine.model.wants_pose([{"role": "user", "content": "hello how are you"}])
    chat = reply(engine, "hello how are you")
    assert chat.reply.startswith("<POSE>") and all(engine.adapter_calls)
    assert engine.model._request_encoder is None  # no gate: the sentence encoder is never loaded


@pytest.mark.parametrize("text, declines", [
    ("can you explain in words how to do a squat? no picture please", True),
    ("Don't show me anything, just tell me what warrior 2 is", True),
    ("DON’T SHOW ME, describe it in words only", True),
    ("show me a squat", False),
    ("no, the other arm", False),  # "no" alone refuses nothing
    ("a picture-perfect pose please", False),
    ("", False),
])
def test_a_message_can_decline_a_pose_in_words(text, declines):
    assert declines_pose(text) is declines


def test_a_declined_pose_is_not_shown_even_without_a_gate_or_with_a_photo(tiny_folder):
    engine = PoseLoving(tiny_model(tiny_folder, None))
    assert reply(engine, "show me a squat").poses  # the model would show one
    declined = reply(engine, "how do I squat? no picture please")
    assert "<POSE>" not in declined.reply and not declined.poses
    events = list(engine.stream([{"role": "user", "content": "just tell me what she is doing, don't show it"}],
                                photo=np.zeros((8, 8, 3), np.uint8), max_new_tokens=2))
    assert not any(isinstance(e, PoseEvent) for e in events)


def test_photo_turn_is_always_allowed_a_pose(tiny_folder, gate):
    engine = PoseLoving(tiny_model(tiny_folder, gate))
    engine.model._request_encoder = FakeEmbedder()
    events = list(engine.stream([{"role": "user", "content": "hello how are you"}], photo=np.zeros((8, 8, 3), np.uint8),
                                max_new_tokens=2))
    assert any(isinstance(e, PoseEvent) for e in events)


def test_merged_model_switches_between_merged_and_base_weights_exactly(tiny_folder, gate):
    model = tiny_model(tiny_folder, gate)
    ids = torch.tensor([[1, 5, 9, 12, 3]])
    with torch.inference_mode():
        with_adapter = model.language_model(input_ids=ids).logits
        with model.language_model.disable_adapter():
            base = model.language_model(input_ids=ids).logits
    assert not torch.allclose(with_adapter, base, atol=1e-4)
    model.merge_for_inference()  # a gate: the base weights are kept
    assert model.can_disable_adapter
    with torch.inference_mode():
        model.use_adapter(False)
        assert torch.allclose(model.language_model(input_ids=ids).logits, base, atol=1e-5)
        model.use_adapter(True)
        assert torch.allclose(model.language_model(input_ids=ids).logits, with_adapter, atol=1e-4)
    plain = tiny_model(tiny_folder, None).merge_for_inference()  # no gate: nothing extra kept
    assert not plain.can_disable_adapter


def test_checkpoint_saves_and_loads_the_gate(tiny_folder, gate, tmp_path, embedder):
    model = tiny_model(tiny_folder, gate)
    folder = model.save_pretrained(tmp_path / "ckpt")
    loaded = PoseGPT.from_pretrained(folder)
    assert loaded.intent_gate is not None and loaded.intent_gate.config == gate.config
    turn = [GateTurn("show me a squat")]
    assert torch.allclose(loaded.intent_gate.probabilities(turn, embedder), gate.probabilities(turn, embedder))
    for name in (INTENT_WEIGHTS_NAME, INTENT_CONFIG_NAME):
        (folder / name).unlink()
    assert PoseGPT.from_pretrained(folder).intent_gate is None  # old checkpoints: no gate
    gate.save(folder)
    (folder / INTENT_CONFIG_NAME).write_text("{not json")
    with pytest.raises(CheckpointError, match="intent gate"):
        PoseGPT.from_pretrained(folder)


def test_cli_train_intent_refuses_a_folder_that_is_no_checkpoint(tmp_path, capsys):
    from posegpt.cli import main

    assert main(["train-intent", "--checkpoint", str(tmp_path)]) == 2
    assert "not a PoseGPT checkpoint" in capsys.readouterr().err
    assert main(["train-intent", "--checkpoint", str(tmp_path), "--size", "5"]) == 2
