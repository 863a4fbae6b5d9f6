"""Tiny, randomly initialised backbones for fast offline tests (like transformers' own tests).

The tokenizer is a byte-level BPE trained in a few milliseconds on a handful of sentences, with
a ChatML chat template like SmolLM2's, so every code path that needs a real tokenizer (chat
template, special tokens, incremental decoding) runs without any download.
"""

from __future__ import annotations

from pathlib import Path

import torch

CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CORPUS = [
    "Hello there! How are you today?",
    "Raise your left arm above your head and keep the right arm down.",
    "Here is the pose you asked for. Sure, this is what it looks like.",
    "A sprinter who just won the race throws both arms up in the air.",
    "Squat down with your knees bent, then stand up and wave with one hand.",
    "What is the pose of the person in this image? The man on the left is sitting.",
]


def make_tiny_tokenizer(vocab_size: int = 400):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(CORPUS * 5, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<|im_start|>", eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def make_tiny_llama(tokenizer, hidden_size: int = 64, layers: int = 2, seed: int = 0):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    # Random init gives embeddings of norm ~0.16 and, after the final RMSNorm, logits within ±1.3:
    # no adapter could then make any token likely. Trained models have far larger embeddings;
    # give the tiny one rows of std 0.25 so LoRA can learn (like a real backbone).
    with torch.no_grad():
        model.get_input_embeddings().weight.normal_(0.0, 0.25)
    return model


def save_tiny_llama(folder: Path, hidden_size: int = 64, layers: int = 2) -> Path:
    """A complete local model folder (config, safetensors, tokenizer) as a hub download would be."""
    tokenizer = make_tiny_tokenizer()
    model = make_tiny_llama(tokenizer, hidden_size, layers)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


# --- Tiny LLaVA (vision-language) --------------------------------------------------------------

IMAGE_TOKEN = "<image>"
#: ChatML over the processors' content lists: ``{"type": "image"}`` items become ``<image>``.
CHATML_VLM_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for item in message['content'] %}{% if item['type'] == 'image' %}<image>\n"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}{% endfor %}{% endif %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def make_tiny_llava_processor(image_size: int = 32, patch_size: int = 8):
    """A LlavaProcessor: CLIP-style image preprocessing + the tiny tokenizer with ``<image>`` added."""
    from transformers import LlavaProcessor
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    tokenizer = make_tiny_tokenizer()
    tokenizer.add_special_tokens({"additional_special_tokens": [IMAGE_TOKEN]})
    image_processor = CLIPImageProcessorPil(
        size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size}
    )
    return LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=patch_size,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,  # CLIP's CLS feature, which the "default" strategy drops
        chat_template=CHATML_VLM_TEMPLATE,
        image_token=IMAGE_TOKEN,
    )


def make_tiny_llava(
    processor, image_size: int = 32, patch_size: int = 8, hidden_size: int = 64, seed: int = 0
):
    """A random LlavaForConditionalGeneration: tiny CLIP vision tower + tiny Llama text model."""
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration

    tokenizer = processor.tokenizer
    torch.manual_seed(seed)
    vision = CLIPVisionConfig(
        image_size=image_size,
        patch_size=patch_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        projection_dim=32,
    )
    text = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    config = LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_id=tokenizer.convert_tokens_to_ids(IMAGE_TOKEN),
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
        projector_hidden_act="gelu",
    )
    return LlavaForConditionalGeneration(config)


def tiny_llava_num_image_tokens(image_size: int = 32, patch_size: int = 8) -> int:
    """Image tokens per image: one per patch (the CLS feature is dropped by the "default" strategy)."""
    return (image_size // patch_size) ** 2


def save_tiny_llava(folder: Path, image_size: int = 32, patch_size: int = 8) -> Path:
    """A complete local LLaVA folder (config, safetensors, processor files) as a hub download would be."""
    processor = make_tiny_llava_processor(image_size, patch_size)
    model = make_tiny_llava(processor, image_size, patch_size)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def tiny_people_model(folder: Path):
    """A tiny random PoseGPT that reads people (person features of the real vision module's size)."""
    from posegpt.backbones import load_backbone
    from posegpt.model import PoseGPT, PoseGPTConfig
    from posegpt.vision.features import PERSON_FEATURE_DIM

    save_tiny_llama(folder)
    config = PoseGPTConfig(backbone=str(folder), person_feature_dim=PERSON_FEATURE_DIM)
    return PoseGPT(load_backbone(str(folder)), config).eval()


def force_tokens(engine, choose) -> None:
    """Script `engine`'s next reply: the model still runs (its states, hence its poses, are real),
    but its i-th forward pass (i = 0: the prefill) offers only the token `choose(i)`. Call again
    before each reply that should start the script over."""
    original = engine.__dict__.setdefault("_unscripted_forward", engine._forward)
    calls = [0]

    def forward(cache, adapter=True, **inputs):
        logits, states, cache = original(cache, adapter, **inputs)
        forced = torch.full_like(logits, -1e9)
        forced[choose(calls[0])] = 0.0
        calls[0] += 1
        return forced, states, cache

    engine._forward = forward


def poses_then(model, count: int, then: int | None = None):
    """A `force_tokens` script: `count` <POSE> tokens, then `then` for ever (default: end the reply)."""
    after = model.tokenizer.convert_tokens_to_ids("<|im_end|>") if then is None else then
    return lambda step: model.pose_token_id if step < count else after
