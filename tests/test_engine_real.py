"""A few engine checks with the real packaged default LLM (SmolLM2-135M-Instruct), offline."""

import pytest
import torch

from posegpt.engine import Done, Engine, PoseEvent, TextDelta
from posegpt.model import PoseGPT, PoseGPTConfig
from posegpt.backbones import load_backbone

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def real_engine():
    backbone = load_backbone("smollm2-135m")
    return Engine(PoseGPT(backbone, PoseGPTConfig(backbone=backbone.spec)).eval())


def test_multi_turn_chat_streams_and_stops(real_engine):
    history = [{"role": "user", "content": "Hi! What is your name?"}]
    events = list(real_engine.stream(history, max_new_tokens=40))
    done = events[-1]
    assert isinstance(done, Done) and done.reply.strip()
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == done.reply
    assert done.stats.prompt_tokens > 10 and done.stats.time_to_first_token_s < 10
    history += [{"role": "assistant", "content": done.reply}, {"role": "user", "content": "Say that again, shorter."}]
    second = list(real_engine.stream(history, max_new_tokens=40))[-1]
    assert second.reply.strip() and second.stats.prompt_tokens > done.stats.prompt_tokens


def test_pose_in_history_and_pose_token_path(real_engine, monkeypatch):
    """Force <POSE> as the first token: the engine decodes it from that step's hidden state."""
    model = real_engine.model
    language_model = model.language_model
    original = language_model.forward
    calls = {"n": 0}

    def forward(*args, **kwargs):
        out = original(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 1:  # prefill: make <POSE> the greedy choice once
            out.logits[..., model.pose_token_id] = 1e4
        return out

    monkeypatch.setattr(language_model, "forward", forward)
    events = list(real_engine.stream([{"role": "user", "content": "Raise your left arm."}], max_new_tokens=8))
    poses = [e for e in events if isinstance(e, PoseEvent)]
    assert len(poses) == 1 and events[-1].reply.startswith("<POSE>")
    assert torch.isfinite(poses[0].pose.rotation_matrices()).all()
    # the reply, pose marker included, goes back into the history as the <POSE> token
    history = [{"role": "user", "content": "Raise your left arm."}, {"role": "assistant", "content": events[-1].reply}]
    ids = model.backbone.apply_chat_template(history, add_generation_prompt=False)["input_ids"]
    assert int((ids == model.pose_token_id).sum()) == 1
