"""Benchmark the streaming engine against bare `generate`, and the `<POSE>` → picture latency.

    .venv/bin/python bench/engine.py [--max-new-tokens 64] [--rounds 3] [--threads 2] [--dtypes float32,bfloat16]

One run, one machine, side by side (this machine is shared and noisy, so only ratios measured
together mean much):

1. Decode speed. For each dtype: `load_posegpt()` (the default backbone, no checkpoint needed:
   this measures the engine, not answer quality) → `merge_for_inference()`. The same prompts go
   through `Engine.stream` and through `model.backbone.model.generate` (the very same module
   object; greedy, use_cache), interleaved engine/generate then generate/engine, after a warm-up.
   Both sides generate exactly `--max-new-tokens` tokens: `generate` gets
   `min_new_tokens=max_new_tokens`, and the engine's `end_token_ids` is emptied on this engine
   instance (so it keeps going past an end-of-turn token instead of stopping). Decode tokens/s =
   (tokens − 1) ÷ (time from the first sampled token to the end of the call), for both: the engine's
   `GenerationStats`, and a streamer's timestamps for `generate`. Greedy texts are compared up to
   the first end-of-turn token (after it the two sides legitimately differ: `generate` suppresses
   the end token, the engine writes it).
2. `<POSE>` latency: real hidden states of a turn → `model.decode_poses` → `Pose` → Anny mesh →
   front + side render (512² each) → PNG bytes → .glb file; median over `--pose-runs` runs.

Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import platform
import statistics
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch

PROMPTS = [
    "Hello! What can you do?",
    "Describe how a sprinter stands at the start of a race.",
    "How do I do a proper squat? Explain the position of the knees and the back.",
    "What does a person look like when they wave goodbye with their left hand?",
    "Give me three yoga poses for beginners and say how to hold each one.",
]


@dataclass
class Side:
    """Timings of one side (engine or generate) over all measured runs."""

    decode_tokens: int = 0  # tokens after the first, summed
    decode_seconds: float = 0.0
    first_token_ms: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)  # per run, tokens/s

    def add(self, tokens: int, decode_seconds: float, first_token_s: float) -> None:
        self.decode_tokens += tokens - 1
        self.decode_seconds += decode_seconds
        self.first_token_ms.append(first_token_s * 1000)
        self.rates.append((tokens - 1) / decode_seconds)

    @property
    def tokens_per_s(self) -> float:
        return self.decode_tokens / self.decode_seconds


class _TimingStreamer:
    """A `generate` streamer that notes when each batch of ids arrives (the prompt first, then tokens)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def put(self, value: torch.Tensor) -> None:
        self.times.append(time.perf_counter())

    def end(self) -> None:
        pass


def run_engine(engine, prompt: str, max_new_tokens: int) -> tuple[int, float, float, str]:
    """→ tokens generated, decode seconds, time to first token (s), reply text."""
    from posegpt.engine import Done

    done = None
    for event in engine.stream([{"role": "user", "content": prompt}], max_new_tokens=max_new_tokens, temperature=0.0):
        if isinstance(event, Done):
            done = event
    stats = done.stats
    decode_seconds = stats.total_s - stats.time_to_first_token_s
    return stats.generated_tokens, decode_seconds, stats.time_to_first_token_s, done.reply


def run_generate(model, prompt: str, max_new_tokens: int) -> tuple[int, float, float, str]:
    """The same as `run_engine`, through bare `generate` on the backbone module (chat template included)."""
    started = time.perf_counter()
    inputs = model.backbone.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True)
    streamer = _TimingStreamer()
    with torch.inference_mode():
        output = model.backbone.model.generate(
            **inputs, max_new_tokens=max_new_tokens, min_new_tokens=max_new_tokens, do_sample=False,
            use_cache=True, streamer=streamer,
        )
    finished = time.perf_counter()
    new_ids = output[0, inputs["input_ids"].shape[1]:]
    first = streamer.times[1]  # times[0] is the prompt being handed to the streamer
    text = model.tokenizer.decode(new_ids, skip_special_tokens=False)
    return int(new_ids.shape[0]), finished - first, first - started, text


def bench_decode(dtype: str, prompts: list[str], max_new_tokens: int, rounds: int) -> tuple[dict, object]:
    from posegpt.engine import Engine
    from posegpt.model import load_posegpt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        model, description = load_posegpt(dtype=dtype)
    model.merge_for_inference()
    engine = Engine(model)
    end_texts = [model.tokenizer.decode([i]) for i in engine.end_token_ids]
    engine.end_token_ids = frozenset()  # both sides generate exactly max_new_tokens tokens
    print(f"[{dtype}] {description}", flush=True)

    run_engine(engine, prompts[0], 8)  # warm-up: allocator, kernels, tokenizer caches
    run_generate(model, prompts[0], 8)
    sides = {"engine": Side(), "generate": Side()}
    agree = 0
    for round_index in range(rounds):
        for prompt_index, prompt in enumerate(prompts):
            order = ("engine", "generate") if (round_index + prompt_index) % 2 == 0 else ("generate", "engine")
            texts = {}
            for name in order:
                runner = (lambda p: run_engine(engine, p, max_new_tokens)) if name == "engine" else \
                    (lambda p: run_generate(model, p, max_new_tokens))
                tokens, decode_seconds, first_token_s, text = runner(prompt)
                if tokens != max_new_tokens:
                    raise RuntimeError(f"{name} generated {tokens} tokens, expected {max_new_tokens}")
                sides[name].add(tokens, decode_seconds, first_token_s)
                texts[name] = text
            engine_text = texts["engine"]
            for end in end_texts:
                engine_text = engine_text.split(end)[0]
            agree += texts["generate"].startswith(engine_text)
            print(f"  round {round_index + 1} prompt {prompt_index + 1}: engine {sides['engine'].rates[-1]:.1f} tok/s, "
                  f"generate {sides['generate'].rates[-1]:.1f} tok/s", flush=True)
    pair_ratios = [e / g for e, g in zip(sides["engine"].rates, sides["generate"].rates)]
    result = {
        "dtype": dtype,
        "engine": sides["engine"],
        "generate": sides["generate"],
        "ratio": sides["engine"].tokens_per_s / sides["generate"].tokens_per_s,
        "pair_ratio_median": statistics.median(pair_ratios),
        "pair_ratio_range": f"{min(pair_ratios):.2f}–{max(pair_ratios):.2f}",
        "agree": f"{agree}/{len(pair_ratios)}",
    }
    return result, model


def bench_pose(model, prompts: list[str], runs: int) -> tuple[dict[str, float], str]:
    """Median ms of each stage of <POSE> hidden state → Pose → mesh → picture → PNG → .glb."""
    from PIL import Image

    from posegpt.body import AnnyBody
    from posegpt.engine import Engine
    from posegpt.model import TurnReadout
    from posegpt.pose import Pose
    from posegpt.render import Renderer, export_glb

    engine = Engine(model)
    readouts = []
    for prompt in prompts:  # real states of the prompt's turn, as the head reads them at a <POSE> step
        inputs = model.backbone.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True)
        states = engine._forward(None, **inputs)[1]  # (T, L, H)
        start = model.turn_start(inputs["input_ids"][0], states.shape[0] - 1)
        readouts.append(TurnReadout(states[None, start:].float(), torch.ones((1, states.shape[0] - start), dtype=torch.bool)))
    body = AnnyBody()
    stages = ("hidden → rotations (head)", "rotations → Pose", "Pose → mesh (Anny)", "mesh → front + side image",
              "image → PNG bytes", "mesh → .glb file", "**whole chain**")
    times: dict[str, list[float]] = {name: [] for name in stages}
    with Renderer(width=512, height=512) as renderer, tempfile.TemporaryDirectory() as folder:
        glb = Path(folder) / "pose.glb"
        for run in range(runs + 3):  # 3 warm-up runs
            readout = readouts[run % len(readouts)]
            t0 = time.perf_counter()
            with torch.inference_mode():
                rotations = model.decode_poses(readout)  # (1, 24, 3, 3)
            t1 = time.perf_counter()
            pose = Pose.from_rotation_matrices(rotations)
            t2 = time.perf_counter()
            vertices, faces = body(pose).mesh(0)
            t3 = time.perf_counter()
            picture = renderer.render_views(vertices, faces, views=("front", "side"))
            t4 = time.perf_counter()
            Image.fromarray(picture).save(io.BytesIO(), format="PNG")
            t5 = time.perf_counter()
            export_glb(vertices, faces, glb)
            t6 = time.perf_counter()
            if run < 3:
                continue
            for name, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t6 - t0)):
                times[name].append(seconds * 1000)
        backend = renderer.backend
    return {name: statistics.median(values) for name, values in times.items()}, backend


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the 5 prompts per dtype (default 3)")
    parser.add_argument("--pose-runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (this machine has 2 cores)")
    parser.add_argument("--dtypes", default="float32,bfloat16")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    import transformers

    load_before = os.getloadavg()[0]
    results = []
    pose_times, backend = None, ""
    for dtype in args.dtypes.split(","):
        result, model = bench_decode(dtype, PROMPTS, args.max_new_tokens, args.rounds)
        results.append(result)
        if pose_times is None:
            pose_times, backend = bench_pose(model, PROMPTS, args.pose_runs)
        del model

    print(f"\n{datetime.date.today()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__} ({args.threads} threads), transformers {transformers.__version__}; "
          f"{len(PROMPTS)} prompts × {args.rounds} rounds, {args.max_new_tokens} new tokens each, greedy; "
          f"1-min load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end\n")
    print("| dtype | engine decode tok/s | `generate` decode tok/s | **engine ÷ generate** (target ≥ 0.95) "
          "| pooled ratio | engine first token ms | `generate` first token ms | greedy texts agree |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        engine, generate = r["engine"], r["generate"]
        print(f"| {r['dtype']} | {statistics.median(engine.rates):.1f} | {statistics.median(generate.rates):.1f} | "
              f"**{r['pair_ratio_median']:.3f}** ({r['pair_ratio_range']}) | {r['ratio']:.3f} | "
              f"{statistics.median(engine.first_token_ms):.0f} | {statistics.median(generate.first_token_ms):.0f} | "
              f"{r['agree']} |")
    print("\ntok/s and first-token times are medians over the runs; engine ÷ generate is the median (min–max) of the "
          "ratios of back-to-back pairs on the same prompt; pooled = all engine tokens/s ÷ all generate tokens/s "
          "(sensitive to a run the shared machine slowed down).")
    if pose_times is not None:
        print(f"\n`<POSE>` → picture + 3D file, median of {args.pose_runs} runs, renderer {backend}:\n")
        print("| stage | median ms |")
        print("|---|---:|")
        for name, value in pose_times.items():
            print(f"| {name} | {value:.1f} |")
        print("\n(target for the whole chain: ≤ 100 ms)")


if __name__ == "__main__":
    main()
