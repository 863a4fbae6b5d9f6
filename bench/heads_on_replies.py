"""Which pose head reads one LLM's replies best? Checkpoints of the same LLM, the same replies.

    python bench/heads_on_replies.py --replies eval_out/text2pose/model_replies.jsonl \\
        --checkpoints runs/smollm2-135m-described/final runs/smollm2-135m-retrieval/final
    python bench/heads_on_replies.py --set natural --replies eval_out/natural/model_replies.jsonl --checkpoints …

Checkpoints that share an LLM (same LoRA, e.g. stage 5 and stage 6, which only fits a new head)
write the same greedy replies, so an `eval text2pose` / `eval natural` run of one of them holds
the replies of all. Each checkpoint's head decodes the poses of those replies anew
(`posegpt.readout.decode_replies`: one forward pass per reply, what the engine would have read,
the request's neighbours for a retrieving head) and the poses are scored with the eval's checks.
The first pose of each reply is scored, as in the evals. Prints a Markdown table and writes
eval_out/heads_on_replies/<set>.md and .json. `--write-replies` also writes each checkpoint's
replies with its own poses in `batch` format (<output>/<set>-<checkpoint folder>.jsonl), which
`eval text2pose|natural --replies` score with the baselines beside them. Where a checkpoint's
bank answers a request (`bank_answers`), the words of the reply are those the engine would show
(`posegpt/shown_words.py`: the bank pose's own words after the lead-in's colon, the lead-in of
one asked pose only when it fits them).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=("text2pose", "natural"), default="text2pose")
    parser.add_argument("--replies", type=Path, required=True, help="a batch output of one of the checkpoints' LLM")
    parser.add_argument("--checkpoints", nargs="+", required=True)
    parser.add_argument("--output", type=Path, default=Path("eval_out/heads_on_replies"))
    parser.add_argument("--write-replies", action="store_true",
                        help="also write each checkpoint's replies with its poses, as `batch` writes them")
    args = parser.parse_args(argv)

    import torch

    from posegpt.cli import pose_records
    from posegpt.eval.text2pose import Answer, markdown_table, read_batch_replies, score_answer, summarise
    from posegpt.model import PoseGPT
    from posegpt.readout import decode_replies
    from posegpt.shown_words import rewrite, said

    torch.set_num_threads(2)
    if args.set == "text2pose":
        from posegpt.data.conversations import build_dataset
        from posegpt.eval.text2pose import DEFAULT_EVAL_SIZE, DEFAULT_SEED, KINDS, eval_prompts

        prompts = eval_prompts(build_dataset("eval", size=DEFAULT_EVAL_SIZE, seed=DEFAULT_SEED))
        kinds = KINDS
    else:
        from posegpt.eval.natural import eval_prompt
        from posegpt.eval.natural_set import POSE_KINDS, load_items

        # every prompt of the set is decoded (follow-ups, "N poses" requests), so --write-replies
        # writes a whole `batch` output for `eval natural --replies`; the pose kinds are scored here
        prompts = [eval_prompt(item) for item in load_items()]
        kinds = POSE_KINDS
    replies = read_batch_replies(args.replies, prompts)
    summary = {}
    for checkpoint in args.checkpoints:
        model = PoseGPT.from_pretrained(checkpoint).merge_for_inference()
        if args.set == "text2pose" and model.pose_bank is not None:
            model.pose_bank = model.pose_bank.without_heldout()  # held-out prompts: as eval text2pose answers them
        conversations = [list(p.messages) + [{"role": "assistant", "content": r.reply}] for p, r in zip(prompts, replies)]
        decoded = decode_replies(model, conversations)
        poses = [reply.poses for reply in decoded]
        # a reply whose poses come from the bank says them in their own words, as the engine shows
        # it (and its lead-ins only when they fit them)
        shown = [rewrite(str(conversation[-1]["content"]), [said(pose) for pose in reply.poses[:reply.from_bank]],
                         str(conversation[-2]["content"]))
                 if reply.from_bank else str(conversation[-1]["content"]) for conversation, reply in zip(conversations, decoded)]
        scores = [score_answer(p, Answer(text, found)) for p, text, found in zip(prompts, shown, poses) if p.kind in kinds]
        summary[checkpoint] = summarise(scores, kinds)
        if args.write_replies:
            args.output.mkdir(parents=True, exist_ok=True)
            name = "-".join(Path(checkpoint).parts[-2:])
            with open(args.output / f"{args.set}-{name}.jsonl", "w", encoding="utf-8") as out:
                for prompt, text, found in zip(prompts, shown, poses):
                    record = {"id": prompt.id, "reply": text, "poses": pose_records(found)}
                    out.write(json.dumps(record) + "\n")
        print(f"{checkpoint}: done", file=sys.stderr)
    table = markdown_table(summary, kinds=(*kinds, "all"), joint_errors=args.set == "text2pose")
    header = f"Heads on the same replies ({args.set}: {args.replies})\n\n"
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / f"{args.set}.md").write_text(header + table + "\n")
    (args.output / f"{args.set}.json").write_text(json.dumps(
        {"set": args.set, "replies": str(args.replies), "summary": summary}, indent=1, default=str) + "\n")
    print(header + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
