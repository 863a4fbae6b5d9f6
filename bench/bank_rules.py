"""Which rule should the pose bank answer by? The bank alone, no LLM: checks passed per rule.

    python bench/bank_rules.py                       # the hand-written requests and follow-ups
    python bench/bank_rules.py --generated           # + the 600 generated text2pose prompts (minutes)
    python bench/bank_rules.py --checkpoint runs/smollm2-135m-bank/final
    python bench/bank_rules.py --without-heldout     # hand-written sets as if the bank lacked held-out content

A checkpoint with a pose bank (`bank_answers`) answers text turns from it (`PoseGPT.bank_poses`);
what the LLM writes decides only whether and how many poses a reply shows. So the rule by which
the bank picks a pose can be compared on the bank alone, each prompt answered with the pose the
rule picks first, scored with the evals' geometric checks:

- requests: the nearest training request, as it is or turned to the sides the words name
  (`PoseGPTConfig.bank_sides`), or the nearest k re-ranked by how well the captioner's words for
  each pose match the request (`PoseGPTConfig.bank_rerank`), always or only when the nearest is
  less similar than a threshold (`bank_rerank_below`; the default: 4 below 0.7, sides named);
  and first, for a request that spells out a body, the one of the nearest 32 whose own facts cover
  most of its body words (`PoseGPTConfig.bank_body_words`, `posegpt.body_words`), changed by a
  training edit its clauses ask for when that covers more (`bank_asked_edits`,
  `posegpt.asked_edits`; a request without body words gets the edit it asks for most; the default);
- follow-ups: the pose shown before them changed by the nearest training edit their words ask for
  (`posegpt.follow_ups`, `PoseGPTConfig.bank_edits`; the default's rule, the bank's when no edit
  is near; the default also answers one as a fresh request when its own words are nearer a first
  request, `bank_fresh_requests`), or looked up with the request they change (`posegpt.retrieval.bank_query`) among the
  bank's follow-ups, among its first requests, or among all its entries; or with the follow-up's
  own words among first requests.

The generated prompts ask for held-out poses and situations: they are looked up without the
shipped bank's entries for those (`PoseBank.without_heldout`), as `eval text2pose` does; the
hand-written sets with them, as users are, unless `--without-heldout`.

Prints one Markdown table per set (the model card quotes them).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

# Request rules: (re-rank the nearest k, 0 = nearest first; only when the nearest is less similar
# than this, None = always; turn each pose to the sides the words name; a follow-up first edits
# the pose shown before it; a request with body words gets the pose covering most of them; that
# pose changed by an edit its clauses ask for; a follow-up no edit fits, whose own words are nearer
# a first request than its lookup words a follow-up, answered as a fresh request)
DEFAULT_RULE = (4, 0.7, True, True, True, True, True)
REQUEST_RULES = {
    "nearest request": (0, None, False, True, False, False, False),
    "nearest request, turned to the sides named": (0, None, True, True, False, False, False),
    "nearest 4 re-ranked by the poses' words when the nearest is below 0.7, sides named": (4, 0.7, True, True, False, False, False),
    "nearest 4 re-ranked by the poses' words, sides named": (4, None, True, True, False, False, False),
    "nearest 8 re-ranked by the poses' words, sides named": (8, None, True, True, False, False, False),
    "body words first, sides named": (0, None, True, True, True, False, False),
    "body words first, else nearest 4 re-ranked below 0.7, sides named": (4, 0.7, True, True, True, False, False),
    "body words first and edited as its clauses ask, else nearest 4 re-ranked below 0.7 and edited as most asked, sides named (default)": DEFAULT_RULE,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", default=None, help="a checkpoint with a pose bank (default: the committed default)")
    parser.add_argument("--generated", action="store_true", help="also the 600 generated prompts of eval text2pose")
    parser.add_argument("--without-heldout", action="store_true",
                        help="the hand-written sets too without the bank's entries for held-out poses and situations")
    parser.add_argument("--set-dir", default=None,
                        help="a hand-written set of your own (the format of posegpt/eval/data/natural) instead of the shipped one")
    args = parser.parse_args(argv)

    import torch

    from posegpt.eval.natural import eval_prompt
    from posegpt.eval.natural_set import POSE_KINDS, load_items
    from posegpt.eval.text2pose import Answer, EvalPrompt, evaluate
    from posegpt.model import load_posegpt
    from posegpt.pose import NUM_JOINTS, Pose, rotation_6d_to_matrix
    from posegpt.retrieval import bank_query

    torch.set_num_threads(2)
    model, description = load_posegpt(args.checkpoint)
    bank = model.pose_bank
    if bank is None:
        raise SystemExit(f"{description} has no pose bank")
    print(f"Bank of {description}: {len(bank)} entries, {int(bank.follow_ups.sum()) if bank.has_follow_ups else 0} "
          f"of them follow-ups", file=sys.stderr)

    def by_config(rerank: int, below: float | None, sides: bool, edits: bool, body_words: bool, asked_edits: bool,
                  fresh: bool) -> Callable[[Sequence[EvalPrompt]], list[Answer]]:
        """The model's own rule (`PoseGPT.bank_poses`) with these settings."""
        def answer(prompts: Sequence[EvalPrompt]) -> list[Answer]:
            original = model.config
            model.config = dataclasses.replace(original, bank_rerank=rerank, bank_rerank_below=below, bank_sides=sides,
                                               bank_edits=edits, bank_body_words=body_words,
                                               bank_asked_edits=asked_edits, bank_fresh_requests=fresh)
            try:
                return [Answer("<POSE>", [Pose.from_rotation_matrices(model.bank_poses(p.messages, count=1).cpu())])
                        for p in prompts]
            finally:
                model.config = original
        return answer

    def among(follow_up: bool | None, own_words: bool = False) -> Callable[[Sequence[EvalPrompt]], list[Answer]]:
        """Follow-ups looked up among the bank's follow-ups (True), first requests (False) or all entries (None)."""

        def answer(prompts: Sequence[EvalPrompt]) -> list[Answer]:
            texts = [str(p.messages[-1]["content"]) if own_words else bank_query(p.messages).text for p in prompts]
            queries = torch.from_numpy(model.request_encoder().encode(texts))  # (Q, D)
            best = model.pose_bank.neighbours(queries, 1, follow_up=follow_up)[:, 0, :-1]  # (Q, 144) 6D
            rotations = rotation_6d_to_matrix(best.unflatten(-1, (NUM_JOINTS, 6)))  # (Q, 24, 3, 3)
            return [Answer("<POSE>", [Pose.from_rotation_matrices(rotations[i:i + 1])]) for i in range(len(prompts))]
        return answer

    items = load_items() if args.set_dir is None else load_items(args.set_dir)
    requests = [eval_prompt(item) for item in items if item.kind in POSE_KINDS]
    follow_ups = [eval_prompt(item) for item in items if item.kind == "follow_up"]
    request_rules = {name: by_config(*settings) for name, settings in REQUEST_RULES.items()}
    follow_up_rules: dict[str, Any] = {"the pose shown before, edited as the words ask; else the default's bank rule (default)": by_config(*DEFAULT_RULE),
                                       "the same, never as a fresh request": by_config(*DEFAULT_RULE[:-1], False),
                                       "with the request, among follow-ups, far ones re-ranked, sides named": by_config(4, 0.7, True, False, True, True, False),
                                       "with the request, among follow-ups, turned to the sides named": by_config(0, None, True, False, True, True, False),
                                       "with the request, among follow-ups": among(True),
                                       "with the request, among first requests": among(False),
                                       "with the request, among all entries": among(None),
                                       "its own words, among first requests": among(False, own_words=True)}
    if not bank.has_follow_ups:
        follow_up_rules = {name: rule for name, rule in follow_up_rules.items() if "among follow-ups" not in name}
    sets: list[tuple[str, Sequence[EvalPrompt], dict[str, Any], tuple[str, ...], bool]] = [
        ("hand-written requests", requests, request_rules, (*POSE_KINDS, "all"), args.without_heldout),
        ("hand-written follow-ups", follow_ups, follow_up_rules, ("follow_up",), args.without_heldout),
    ]
    if args.generated:
        from posegpt.data.conversations import build_dataset
        from posegpt.eval.text2pose import DEFAULT_EVAL_SIZE, DEFAULT_SEED, KINDS, eval_prompts

        generated = eval_prompts(build_dataset("eval", size=DEFAULT_EVAL_SIZE, seed=DEFAULT_SEED))
        sets.append(("generated prompts (eval text2pose)", generated, request_rules, (*KINDS, "all"), True))
    for title, prompts, rules, kinds, unseen_content in sets:
        model.pose_bank = bank.without_heldout() if unseen_content else bank
        summary, _, _ = evaluate(prompts, rules, kinds=tuple(k for k in kinds if k != "all"))
        held = "without" if unseen_content or not bank.heldout_entries else "with"
        print(f"\n{title} ({len(prompts)}; the bank {held} its entries for held-out content), checks passed (%):\n")
        print("| rule | " + " | ".join(kinds) + " |")
        print("|---|" + "---:|" * len(kinds))
        for name, rows in summary.items():
            print(f"| {name} | " + " | ".join(f"{rows[k]['checks_passed_pct']:.1f}" for k in kinds) + " |")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
