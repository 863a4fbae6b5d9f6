"""How fast is each training stage on this machine? Examples per second, side by side.

    .venv/bin/python bench/train.py [--checkpoint checkpoints/posegpt-smollm2-135m] [--examples 256]

The recipe of the default checkpoint has three kinds of work, and their costs decide how it is
split (a joint step is far dearer than a cached forward pass, which is far dearer than a head
step on the cache):

1. joint LoRA steps (forward + backward through the whole backbone, batch 8, bf16 autocast, as
   `posegpt.train` runs them) — conversations/s;
2. caching what the pose head reads (`posegpt.readout.cache_readouts`: one forward pass, LoRA
   merged, bf16, shared system-prompt prefix reused) — conversations/s;
3. fitting the head on that cache (`posegpt.readout.fit_head`, batch 128) — poses/s.

The conversations are training conversations of the current default recipe (described replies).
The machine is shared, so the numbers are measured back to back in one run; only ratios taken
together mean much. Prints a Markdown table and writes eval_out/bench_train/results.{md,json}.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

import torch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", default=None, help="PoseGPT checkpoint (default: the committed default)")
    parser.add_argument("--examples", type=int, default=256, help="conversations to cache (and to draw joint batches from)")
    parser.add_argument("--joint-steps", type=int, default=6, help="joint steps timed (after one warm-up step)")
    parser.add_argument("--head-steps", type=int, default=60, help="head steps timed on the cache")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", type=Path, default=Path("eval_out/bench_train"))
    args = parser.parse_args(argv)

    from posegpt.data.conversations import build_dataset
    from posegpt.model import DEFAULT_CHECKPOINT_DIR, PoseGPT
    from posegpt.readout import cache_readouts, fit_head
    from posegpt.train import REFIT_MIX, batches, build_examples, merged_adapter, _make_trainable

    torch.set_num_threads(args.threads)
    checkpoint = args.checkpoint or DEFAULT_CHECKPOINT_DIR
    model = PoseGPT.from_pretrained(checkpoint)
    _make_trainable(model)
    samples = build_dataset("train", args.examples, seed=11, mix=REFIT_MIX, described=True, sampler_poses=200)
    examples, _ = build_examples(model, samples, max_length=288)
    tokens = sum(example.input_ids.shape[0] for example in examples) / len(examples)
    rows: list[dict[str, object]] = []

    # 1. joint steps
    optimizer = torch.optim.AdamW(model.trainable_parameters(), lr=1e-5)
    stream = batches(examples, 8, model.tokenizer.pad_token_id, seed=0)

    def joint_step() -> None:
        batch = next(stream)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    joint_step()  # warm-up
    started = time.perf_counter()
    for _ in range(args.joint_steps):
        joint_step()
    seconds = time.perf_counter() - started
    rows.append({"stage": "joint LoRA step (batch 8, bf16)", "per_second": 8 * args.joint_steps / seconds,
                 "unit": "conversations/s", "seconds_per_step": seconds / args.joint_steps})

    # 2. caching
    model.eval()
    with merged_adapter(model):
        cache_readouts(model, examples[:16], bf16=True)  # warm-up
        started = time.perf_counter()
        cache = cache_readouts(model, examples, bf16=True)
        seconds = time.perf_counter() - started
    rows.append({"stage": "caching the head's readouts (bf16, LoRA merged)", "per_second": len(examples) / seconds,
                 "unit": "conversations/s", "seconds_per_step": None})

    # 3. head fit on the cache
    split = max(1, len(cache) // 8)
    validation, train = cache.subset(list(range(split))), cache.subset(list(range(split, len(cache))))
    started = time.perf_counter()
    fit_head(model, train, validation, args.head_steps, batch_size=128, learning_rate=1e-4,
             validate_every=args.head_steps + 1, progress=False)
    seconds = time.perf_counter() - started
    rows.append({"stage": "head step on the cache (batch 128)", "per_second": 128 * args.head_steps / seconds,
                 "unit": "poses/s", "seconds_per_step": seconds / args.head_steps})

    when = datetime.date.today().isoformat()
    lines = [f"Training speed, {when}, {platform.machine()} CPU, {args.threads} threads "
             f"({os.cpu_count()} cores), checkpoint {checkpoint}; {len(examples)} described training "
             f"conversations, {tokens:.0f} tokens each on average.", "",
             "| stage | examples/s | s/step |", "|---|---:|---:|"]
    for row in rows:
        per_step = f"{row['seconds_per_step']:.2f}" if row["seconds_per_step"] else "—"
        lines.append(f"| {row['stage']} | {row['per_second']:.1f} {row['unit']} | {per_step} |")
    text = "\n".join(lines) + "\n"
    print(text)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.md").write_text(text)
    (args.output / "results.json").write_text(json.dumps(
        {"date": when, "threads": args.threads, "checkpoint": str(checkpoint), "examples": len(examples),
         "mean_tokens": tokens, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
