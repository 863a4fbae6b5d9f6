"""Which pose head reads the words best? Heads fitted side by side on one cache, scored by the checks.

    python bench/readout_heads.py --checkpoint runs/smollm2-135m-people-refine/final \\
        --cache runs/smollm2-135m-readout/cache --replies eval_out/text2pose/model_replies.jsonl

The LLM is the same for every head, so its replies to the held-out prompts of `eval text2pose`
are the same too: they are read from a `batch` output file (`--replies`, made by `eval
text2pose` with a checkpoint of that LLM), each prompt + reply runs once through the backbone in
float32 (exactly what the engine's head reads at that `<POSE>`), and every head decodes the same
readouts. Heads are fitted on the cache of `configs/smollm2-135m-readout.yaml` (posegpt/readout.py)
with the same steps, batch and learning rate; a head that reads fewer layers than the cache holds
gets those layers only. Prints and writes `eval_out/readout_heads/results.md` and `results.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

HEADS = {  # name → config overrides of the head (the LLM, LoRA and person modules stay)
    "ChatPose MLP on the <POSE> state (last layer)": {"head_type": "last_state"},
    "turn attention, last layer": {"head_type": "turn_attention", "head_layers": []},
    "turn attention, layers 10 + 20 + 30": {"head_type": "turn_attention", "head_layers": [10, 20]},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True, help="the checkpoint whose LLM made the cache and the replies")
    parser.add_argument("--cache", type=Path, required=True, help="a readout cache folder (posegpt/readout.py)")
    parser.add_argument("--replies", type=Path, required=True, help="that LLM's replies to the eval prompts (batch format)")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--validation", type=int, default=1000, help="cached poses kept aside for choosing the best step")
    parser.add_argument("--heads", nargs="*", default=list(HEADS), help="which of the heads to fit")
    parser.add_argument("--output", type=Path, default=Path("eval_out/readout_heads"))
    args = parser.parse_args(argv)

    from posegpt.data.conversation import encode_conversation
    from posegpt.data.conversations import build_dataset
    from posegpt.eval.text2pose import (DEFAULT_EVAL_SIZE, DEFAULT_SEED, Answer, eval_prompts, markdown_table,
                                        read_batch_replies, score_answer, summarise)
    from posegpt.model import PoseGPT
    from posegpt.pose import Pose
    from posegpt.readout import ReadoutCache, cache_readouts, fit_head
    from posegpt.tokens import POSE_TOKEN

    torch.set_num_threads(2)
    shards = sorted(args.cache.glob("shard-*.safetensors"))
    if not shards:
        print(f"no cache shards in {args.cache}", file=sys.stderr)
        return 2
    cache = ReadoutCache.concat([ReadoutCache.load(path) for path in shards])
    generator = torch.Generator().manual_seed(0)
    order = torch.randperm(len(cache), generator=generator)
    validation = cache.subset(order[: args.validation])
    train = cache.subset(order[args.validation:])
    print(f"cache: {len(train)} training poses, {len(validation)} for validation, layers {cache.layers}", file=sys.stderr)

    prompts = eval_prompts(build_dataset("eval", size=DEFAULT_EVAL_SIZE, seed=DEFAULT_SEED))
    replies = read_batch_replies(args.replies, prompts)
    summary: dict[str, dict] = {}
    timings: dict[str, float] = {}
    readouts = None
    for name in args.heads:
        model = PoseGPT.from_pretrained(args.checkpoint, config_overrides=HEADS[name]).merge_for_inference()
        if readouts is None:  # prompt + reply through the backbone once, float32 as in the engine
            with_pose = [i for i, reply in enumerate(replies) if POSE_TOKEN in reply.reply]
            big = PoseGPT.from_pretrained(args.checkpoint, config_overrides=HEADS["turn attention, layers 10 + 20 + 30"])
            big = big.merge_for_inference()
            examples = [encode_conversation(big.backbone, list(prompts[i].messages) + [
                {"role": "assistant", "content": replies[i].reply}], [Pose.identity(1)] * replies[i].reply.count(POSE_TOKEN),
                big.pose_token_id) for i in with_pose]
            readouts = cache_readouts(big, examples, bf16=False)
            first_pose = torch.tensor([0] + [e.target_rotations.shape[0] for e in examples]).cumsum(0)[:-1]
            del big
        started = time.perf_counter()
        scores = fit_head(model, train, validation, args.steps, args.batch_size, args.learning_rate)
        timings[name] = round(time.perf_counter() - started, 1)
        with torch.no_grad():
            readout, _ = readouts.batch(first_pose, layers=model.readout_layers)
            poses = Pose.from_rotation_matrices(model.decode_poses(readout))
        answers = [Answer("", []) for _ in prompts]
        for slot, i in enumerate(with_pose):
            answers[i] = Answer(replies[i].reply, [poses[slot:slot + 1]])
        summary[name] = summarise([score_answer(p, a) for p, a in zip(prompts, answers)])
        summary[name]["_fit"] = {k: v for k, v in scores.items() if k != "refit_history"}
        print(f"{name}: {json.dumps(summary[name]['_fit'])}", file=sys.stderr)
    table = markdown_table({k: {kind: row for kind, row in v.items() if kind != "_fit"} for k, v in summary.items()})
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(json.dumps(
        {"checkpoint": args.checkpoint, "cache": str(args.cache), "replies": str(args.replies), "steps": args.steps,
         "batch_size": args.batch_size, "learning_rate": args.learning_rate, "fit_seconds": timings, "summary": summary},
        indent=1, default=str) + "\n")
    (args.output / "results.md").write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
