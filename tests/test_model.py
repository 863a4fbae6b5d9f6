import json

import pytest
import torch
from PIL import Image
from tiny_models import IMAGE_TOKEN, save_tiny_llama, save_tiny_llava, tiny_llava_num_image_tokens

from posegpt.backbones import load_backbone
from posegpt.data.conversation import collate, encode_conversation
from posegpt.data.named_poses import named_pose
from posegpt.model import CheckpointError, PoseGPT, PoseGPTConfig, PoseHead, pose_emitting_mask


@pytest.fixture(scope="module")
def llama_folder(tmp_path_factory):
    return save_tiny_llama(tmp_path_factory.mktemp("tiny_llama"))


def build(folder, **config) -> PoseGPT:
    return PoseGPT(load_backbone(str(folder)), PoseGPTConfig(backbone=str(folder), **config))


def two_pose_batch(model: PoseGPT) -> dict:
    backbone = model.backbone
    first = encode_conversation(backbone, [
        {"role": "user", "content": "Raise your arms."},
        {"role": "assistant", "content": "Here: <POSE>"},
    ], [named_pose("arms_up")])
    second = encode_conversation(backbone, [
        {"role": "user", "content": "Squat, then stand."},
        {"role": "assistant", "content": "First <POSE> then <POSE>."},
    ], [named_pose("squat"), named_pose("stand")])
    return collate([first, second], backbone.tokenizer.pad_token_id)


def test_pose_token_is_a_real_special_token(llama_folder):
    model = build(llama_folder)
    tokenizer = model.tokenizer
    assert tokenizer.convert_tokens_to_ids("<POSE>") == model.pose_token_id
    assert tokenizer("a <POSE> b")["input_ids"].count(model.pose_token_id) == 1
    assert model.backbone.model.get_input_embeddings().weight.shape[0] >= len(tokenizer)
    # the new row starts at the mean row, so two builds agree (deterministic)
    other = build(llama_folder)
    assert torch.equal(
        model.backbone.model.get_input_embeddings().weight[model.pose_token_id],
        other.backbone.model.get_input_embeddings().weight[other.pose_token_id],
    )


def test_emitting_positions_come_from_token_ids():
    ids = torch.tensor([[5, 9, 7, 9, 9], [9, 1, 2, 3, 4]])
    mask = pose_emitting_mask(ids, pose_token_id=9)
    assert mask.tolist() == [[True, False, True, True, False], [False, False, False, False, False]]


def test_untrained_head_predicts_the_rest_pose():
    head = PoseHead(32)
    rotations = head(torch.randn(5, 32))
    assert rotations.shape == (5, 24, 3, 3)
    assert torch.allclose(rotations, torch.eye(3).expand(5, 24, 3, 3), atol=0.1)


def test_forward_losses_and_pose_order(llama_folder):
    model = build(llama_folder, joint_loss_weight=1.0)
    batch = two_pose_batch(model)
    out = model(**batch)
    assert out.num_poses == 3 and out.pred_rotations.shape == (3, 24, 3, 3)
    assert out.ce_loss > 0 and out.pose_loss > 0 and out.joint_loss > 0
    expected = out.ce_loss + 0.1 * out.pose_loss + 1.0 * out.joint_loss
    assert torch.allclose(out.loss, expected)
    out.loss.backward()
    head_grad = model.pose_head.mlp[-1].bias.grad
    assert head_grad is not None and head_grad.abs().sum() > 0
    with pytest.raises(ValueError, match="3 <POSE> tokens but 2 target poses"):
        model(**{**batch, "target_rotations": batch["target_rotations"][:2]})


def test_only_adapter_token_row_and_head_train(llama_folder):
    model = build(llama_folder)
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert any("lora_" in name for name in trainable)
    assert any("trainable_tokens_delta" in name for name in trainable)
    assert any(name.startswith("pose_head.") for name in trainable)
    assert all(("lora_" in n) or ("trainable_tokens" in n) or n.startswith("pose_head.") for n in trainable)
    with pytest.raises(ValueError, match="finetune"):
        PoseGPTConfig(finetune="everything")


def test_save_and_load_round_trip(llama_folder, tmp_path):
    model = build(llama_folder)
    batch = two_pose_batch(model)
    optimizer = torch.optim.AdamW(model.trainable_parameters(), lr=1e-2)
    for _ in range(3):  # move every trainable part away from its initial value
        loss = model(**batch).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        before = model(**batch)
    folder = model.save_pretrained(tmp_path / "ckpt")
    names = {path.name for path in folder.iterdir()}
    assert {"config.json", "pose_head.safetensors", "adapter_model.safetensors", "adapter_config.json", "README.md"} <= names
    assert not any(name.endswith((".bin", ".pt", ".pth", ".pkl")) for name in names)
    from safetensors import safe_open

    with safe_open(str(folder / "adapter_model.safetensors"), "pt") as adapter:
        assert not any("embed_tokens.weight" in key or "lm_head.weight" in key for key in adapter.keys())
    assert json.loads((folder / "config.json").read_text())["hidden_size"] == 64
    loaded = PoseGPT.from_pretrained(folder)
    with torch.no_grad():
        after = loaded(**batch)
    assert loaded.pose_token_id == model.pose_token_id
    assert torch.allclose(after.ce_loss, before.ce_loss, atol=1e-5)
    assert torch.allclose(after.pred_rotations, before.pred_rotations, atol=1e-5)
    merged = PoseGPT.from_pretrained(folder).merge_for_inference()
    with torch.no_grad():
        assert torch.allclose(merged(**batch).pred_rotations, before.pred_rotations, atol=1e-4)


def test_bad_checkpoints_fail_clearly(llama_folder, tmp_path):
    folder = build(llama_folder).save_pretrained(tmp_path / "ckpt")
    with pytest.raises(CheckpointError, match="not found"):
        PoseGPT.from_pretrained(tmp_path / "nothing_here")
    (folder / "pose_head.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="corrupt"):
        PoseGPT.from_pretrained(folder)
    (folder / "pose_head.safetensors").unlink()
    with pytest.raises(CheckpointError, match="lacks pose_head.safetensors"):
        PoseGPT.from_pretrained(folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "surprise": 1}))
    with pytest.raises(CheckpointError, match="unknown keys"):
        PoseGPT.from_pretrained(folder)
    (folder / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid"):
        PoseGPT.from_pretrained(folder)


def test_checkpoint_for_another_backbone_is_refused(llama_folder, tmp_path):
    folder = build(llama_folder).save_pretrained(tmp_path / "ckpt")
    wider = save_tiny_llama(tmp_path / "wider", hidden_size=96)
    with pytest.raises(CheckpointError, match="hidden size 64"):
        PoseGPT.from_pretrained(folder, backbone=str(wider))


def test_vision_language_backbone(tmp_path):
    folder = save_tiny_llava(tmp_path / "llava")
    model = build(folder)
    # LoRA goes on the language model only, never into the vision tower
    lora_modules = {name for name, _ in model.named_modules() if name.endswith(".lora_A")}
    assert lora_modules and not any("vision" in name for name in lora_modules)
    backbone = model.backbone
    chat = [{"role": "user", "content": "What is her pose?"}, {"role": "assistant", "content": "This: <POSE>"}]
    image = Image.new("RGB", (40, 30), (200, 100, 50))
    inputs = backbone.apply_chat_template(chat, add_generation_prompt=False, images=[image])
    ids = inputs["input_ids"]
    image_id = backbone.tokenizer.convert_tokens_to_ids(IMAGE_TOKEN)
    assert int((ids == image_id).sum()) == tiny_llava_num_image_tokens()
    labels = ids.clone()
    labels[ids == image_id] = -100
    out = model(**inputs, labels=labels, target_rotations=named_pose("stand").rotation_matrices())
    assert out.num_poses == 1 and torch.isfinite(out.loss)


PEOPLE_PROMPT = "[Photo: 2 people]\nPerson 1: on the left <PERSON><PERSON>\nPerson 2: on the right <PERSON><PERSON>\nWho is on the right?"


def test_people_placeholders_pointer_and_checkpoint(llama_folder, tmp_path):
    model = build(llama_folder, person_feature_dim=10, tokens_per_person=2)
    assert model.reads_people and model.person_token_id != model.pose_token_id
    features = torch.randn(2, 10)
    photo = encode_conversation(model.backbone, [
        {"role": "user", "content": PEOPLE_PROMPT}, {"role": "assistant", "content": "Person 2: <POSE>"},
    ], [named_pose("arms_up")], model.pose_token_id, person_features=features, pose_people=[1], tokens_per_person=2)
    text = encode_conversation(model.backbone, [
        {"role": "user", "content": "Squat."}, {"role": "assistant", "content": "Here: <POSE>"},
    ], [named_pose("squat")], model.pose_token_id)
    batch = collate([photo, text], model.tokenizer.pad_token_id)
    assert batch["person_features"].shape == (2, 10) and batch["target_people"].tolist() == [1, -1]
    out = model(**batch)
    assert out.pointer_loss is not None and len(out.pointer_logits) == 1 and out.pointer_logits[0].shape == (2,)
    assert out.pointer_correct.tolist() == [bool(out.pointer_logits[0].argmax() == 1)]  # only the photo's pose has a target
    out.loss.backward()
    assert model.person_projector.mlp[1].weight.grad.abs().sum() > 0  # features reach the LLM
    assert model.person_pointer.query[1].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="placeholders"):
        model(**{**batch, "person_features": torch.randn(3, 10)})
    model.eval()
    with torch.no_grad():
        before = model(**batch)
    loaded = PoseGPT.from_pretrained(model.save_pretrained(tmp_path / "people"))
    with torch.no_grad():
        after = loaded(**batch)
    assert torch.allclose(after.pointer_logits[0], before.pointer_logits[0], atol=1e-5)
    # a text-only checkpoint can be extended to photos: new modules start fresh, the rest loads
    old = build(llama_folder).save_pretrained(tmp_path / "text_only")
    extended = PoseGPT.from_pretrained(old, config_overrides={"person_feature_dim": 10})
    assert extended.reads_people
