"""Is chat still working after fine-tuning? Perplexity on held-out general chat, and spot checks.

`chat_perplexity` scores how likely the model finds the base model's own answers to held-out
general prompts (``assets/data/general_chat_heldout.jsonl``, never trained on): the base model
sets the reference value, and a fine-tuned PoseGPT that kept its chat ability should stay close
to it. Lower is better; a large rise means the fine-tune has pushed the model away from chatting.

    python -m posegpt eval chat [--checkpoint DIR | --backbone smollm2-135m]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch

from posegpt.paths import ASSETS_DIR

DEFAULT_HELDOUT = ASSETS_DIR / "data" / "general_chat_heldout.jsonl"
SPOT_CHECK_PROMPTS = (
    "Hi! How are you today?",
    "What is the capital of Germany?",
    "Give me three tips for staying focused while studying.",
    "Write a two-line poem about coffee.",
    "What is 9 times 6?",
)

ChatSample = Sequence[Mapping[str, str]] | Mapping[str, Any]


def _messages_of(sample: ChatSample) -> list[dict[str, str]]:
    """A record ``{"messages": [...]}`` or a bare message list → plain role/content dicts."""
    messages = sample["messages"] if isinstance(sample, Mapping) else sample
    messages = [{"role": m["role"], "content": m["content"]} for m in messages]
    if len(messages) < 2 or messages[-1]["role"] != "assistant":
        raise ValueError("a chat sample needs at least one prompt message and must end with the assistant's answer")
    return messages


def answer_token_span(model: Any, messages: list[dict[str, str]]) -> tuple[torch.Tensor, int, int]:
    """Token ids (1, T) of the conversation and the [start, end) positions of its last answer.

    The answer starts where the prompt with the generation prompt (``<|im_start|>assistant\\n``)
    ends and runs through the backbone's end-of-turn token; the template's text after that token
    (a newline in ChatML) is not part of the answer.
    """
    backbone = model.backbone
    prompt = backbone.apply_chat_template(messages[:-1], add_generation_prompt=True)["input_ids"]  # (1, P)
    full = backbone.apply_chat_template(messages, add_generation_prompt=False)["input_ids"]  # (1, T)
    start = prompt.shape[1]
    if full.shape[1] <= start or not torch.equal(full[0, :start], prompt[0]):
        raise ValueError("the chat template does not tokenise the prompt as a prefix of the whole conversation")
    end = full.shape[1]
    end_ids = set(backbone.end_token_ids)
    for position in range(start, full.shape[1]):
        if int(full[0, position]) in end_ids:
            end = position + 1
            break
    return full, start, end


@torch.inference_mode()
def chat_negative_log_likelihood(model: Any, samples: Sequence[ChatSample]) -> tuple[float, int]:
    """(sum of token NLLs in nats, number of tokens) of the last assistant answer of every sample."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    device = model.device
    try:
        for sample in samples:
            ids, start, end = answer_token_span(model, _messages_of(sample))
            ids = ids.to(device)
            logits = model.language_model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits  # (1, T, V)
            # position i predicts token i + 1: answer tokens start..end-1 are predicted by start-1..end-2
            predicted = logits[0, start - 1 : end - 1].float()  # (A, V)
            targets = ids[0, start:end]  # (A,)
            total += float(torch.nn.functional.cross_entropy(predicted, targets, reduction="sum"))
            count += int(targets.numel())
    finally:
        model.train(was_training)
    return total, count


def chat_perplexity(model: Any, samples: Sequence[ChatSample]) -> float:
    """exp(mean NLL per token) of the assistant answers given their prompts, through the chat template.

    Token-weighted over all samples (long answers count more, as in language-model perplexity).
    Only the last assistant message of each sample is scored; earlier turns are context.
    """
    if not samples:
        raise ValueError("chat_perplexity needs at least one sample")
    total, count = chat_negative_log_likelihood(model, samples)
    return math.exp(total / count)


def spot_check(model: Any, prompts: Sequence[str] = SPOT_CHECK_PROMPTS, max_new_tokens: int = 96) -> list[tuple[str, str]]:
    """(prompt, greedy reply) for each prompt, to read by eye next to the base model's replies."""
    from posegpt.engine import Done, Engine

    engine = Engine(model)
    results = []
    for prompt in prompts:
        reply = ""
        # inference_mode around the stream: the engine's repetition penalty edits logits in place
        with torch.inference_mode():
            for event in engine.stream(
                [{"role": "user", "content": prompt}], max_new_tokens=max_new_tokens, temperature=0.0, repetition_penalty=1.1
            ):
                if isinstance(event, Done):
                    reply = event.reply
        results.append((prompt, reply.strip()))
    return results


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of `eval chat` (shared by `python -m posegpt` and this module's `main`)."""
    parser.add_argument("--checkpoint", default=None, help="PoseGPT checkpoint folder (default: the default model)")
    parser.add_argument("--backbone", default=None, help="a bare backbone instead, e.g. smollm2-135m (the base model)")
    parser.add_argument("--samples", type=Path, default=DEFAULT_HELDOUT, help="held-out chat .jsonl")
    parser.add_argument("--dtype", default=None, help="float32 (CPU default) or bfloat16")
    parser.add_argument("--no-spot-check", action="store_true", help="skip the spot-check replies")
    return parser


def run(checkpoint: str | None = None, backbone: str | None = None, samples: Path = DEFAULT_HELDOUT,
        dtype: str | None = None, no_spot_check: bool = False) -> int:
    """Print the chat perplexity (and spot-check replies) of one model."""
    from posegpt.data.general_chat import read_chat_jsonl
    from posegpt.model import load_posegpt

    conversations = read_chat_jsonl(samples)
    model, description = load_posegpt(checkpoint=checkpoint, backbone=backbone, dtype=dtype)
    print(f"model: {description}")
    total, count = chat_negative_log_likelihood(model, conversations)
    print(f"chat perplexity on {Path(samples).name}: {math.exp(total / count):.3f} "
          f"({len(conversations)} answers, {count} tokens)")
    if not no_spot_check:
        for prompt, reply in spot_check(model):
            print(f"\n> {prompt}\n{reply}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(prog="python -m posegpt eval chat", description=__doc__.split("\n\n")[0]))
    return run(**vars(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
