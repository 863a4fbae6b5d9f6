"""How the model answers people's own words: hand-written pose requests, small talk, "N poses" and follow-ups.

`python -m posegpt eval natural [--checkpoint DIR] [--limit N] [--output DIR]`

`eval text2pose` asks in the phrasings our generators make; this benchmark asks the way people
type, from the hand-written sets in `posegpt/eval/data/natural/` (`posegpt.eval.natural_set`),
which are never trained on. One model load answers every prompt greedily through
`posegpt.engine.Engine`, as `python -m posegpt batch` does; then:

- pose requests (explicit / speculative / named) and follow-ups: the `eval text2pose` scoring
  (`score_answer`: the first pose of the reply against the prompt's geometric checks, no pose =
  every check failed, the mirror reading for side-free prompts) → % of checks passed and % of
  prompts passing all of them, beside the mean training pose and nearest-neighbour retrieval of a
  training prompt as baselines (a method that does not beat them has not learnt the words);
- small talk and questions that want words: % of replies that hold a `<POSE>` (target ≤ 2 %);
- "N poses" requests: % of replies with exactly N `<POSE>` (target ≥ 90 %);
- every pose reply: whether the words before each `<POSE>` agree with the pose it shows, by its
  posecodes (the headline) and by the geometric checks (`posegpt.eval.agreement`; results.json
  "words_agree", its "checks").

A pose is counted from the reply's `<POSE>` markers: a marker whose pose failed to decode was
still the model's choice to show a body. Writes `prompts.jsonl` (batch input), `model_replies.jsonl`
(batch output), `results.json` (summaries and every reply) and `results.md` (the tables) under
the output folder, and prints the tables.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from posegpt.eval.agreement import AgreementReport, agreement_report
from posegpt.eval.natural_set import DATA_DIR, POSE_KINDS, NaturalItem, counts, first_per_kind, load_items
from posegpt.eval.text2pose import (
    DEFAULT_SEED,
    DEFAULT_TRAIN_SIZE,
    Answer,
    EvalPrompt,
    Method,
    baseline_methods,
    evaluate,
    markdown_table,
    model_answers_for,
    write_jsonl,
    write_replies,
    write_results,
)
from posegpt.tokens import POSE_TOKEN

SCORED_KINDS = (*POSE_KINDS, "follow_up")  # kinds scored with geometric checks
# The targets (greedy): % of checks passed on the pose kinds; chat hygiene rates.
TARGETS = {
    "explicit_checks_passed_pct": 80.0,
    "speculative_checks_passed_pct": 65.0,
    "no_pose_with_pose_pct_max": 2.0,
    "n_poses_exact_pct_min": 90.0,
}
DEFAULT_MAX_NEW_TOKENS = 160  # room for four described poses


def eval_prompt(item: NaturalItem) -> EvalPrompt:
    """The benchmark's prompt for one item (no reference pose: only checks judge the answer)."""
    return EvalPrompt(item.id, item.kind, item.messages, item.checks, any_side=item.any_side)


def poses_said(answer: Answer) -> int:
    """How many poses a reply shows: its `<POSE>` markers, or its decoded poses if there are more."""
    return max(answer.reply.count(POSE_TOKEN), len(answer.poses))


def chat_hygiene(items: Sequence[NaturalItem], answers: Sequence[Answer]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Scores of the no-pose and N-pose items → (summary, one record per item).

    summary["no_pose"]: prompts, with_pose_pct (lower is better); summary["n_poses"]: prompts,
    exact_pct, fewer_pct, more_pct, mean_poses, and exact_pct per requested N.
    """
    records: list[dict[str, Any]] = []
    no_pose = [(item, answer) for item, answer in zip(items, answers) if item.kind == "no_pose"]
    n_poses = [(item, answer) for item, answer in zip(items, answers) if item.kind == "n_poses"]
    summary: dict[str, Any] = {}
    if no_pose:
        said = [poses_said(answer) for _, answer in no_pose]
        summary["no_pose"] = {"prompts": len(no_pose), "with_pose_pct": 100.0 * sum(s > 0 for s in said) / len(said)}
        records += [
            {"id": item.id, "kind": item.kind, "prompt": item.text, "poses": count, "passed": count == 0, "reply": answer.reply,
             **({"error": answer.error} if answer.error else {})}
            for (item, answer), count in zip(no_pose, said)
        ]
    if n_poses:
        said = [poses_said(answer) for _, answer in n_poses]
        wanted = [item.n or 0 for item, _ in n_poses]
        pct = lambda flags: 100.0 * sum(flags) / len(flags)  # noqa: E731 - a local shorthand
        summary["n_poses"] = {
            "prompts": len(n_poses),
            "exact_pct": pct([s == n for s, n in zip(said, wanted)]),
            "fewer_pct": pct([s < n for s, n in zip(said, wanted)]),
            "more_pct": pct([s > n for s, n in zip(said, wanted)]),
            "mean_poses": sum(said) / len(said),
            "exact_pct_by_n": {
                str(n): pct([s == n for s, w in zip(said, wanted) if w == n]) for n in sorted(set(wanted))
            },
        }
        records += [
            {"id": item.id, "kind": item.kind, "prompt": item.text, "n": item.n, "poses": count, "passed": count == item.n,
             "reply": answer.reply, **({"error": answer.error} if answer.error else {})}
            for (item, answer), count in zip(n_poses, said)
        ]
    return summary, records


def hygiene_table(summary: Mapping[str, Any]) -> str:
    """Chat hygiene: each measure, its n, value and target."""
    lines = ["| Measure | n | Value (%) | Target |", "|---|---:|---:|---|"]
    if "no_pose" in summary:
        row = summary["no_pose"]
        lines.append(f"| non-pose prompts that got a pose | {row['prompts']} | {row['with_pose_pct']:.1f} | "
                     f"≤ {TARGETS['no_pose_with_pose_pct_max']:.0f} % |")
    if "n_poses" in summary:
        row = summary["n_poses"]
        by_n = ", ".join(f"N={n}: {value:.0f} %" for n, value in row["exact_pct_by_n"].items())
        lines.append(f"| \"N poses\" requests with exactly N poses ({by_n}) | {row['prompts']} | {row['exact_pct']:.1f} | "
                     f"≥ {TARGETS['n_poses_exact_pct_min']:.0f} % |")
        lines.append(f"| … with fewer / more than N (mean poses {row['mean_poses']:.2f}) | {row['prompts']} | "
                     f"{row['fewer_pct']:.1f} / {row['more_pct']:.1f} | |")
    return "\n".join(lines)


def tables(pose_summary: Mapping[str, Any], hygiene: Mapping[str, Any], words: AgreementReport | None = None) -> str:
    """Both tables as one Markdown text (pose prompts and follow-ups, then chat hygiene), then
    the line on whether the model's words agree with its poses (when it answered)."""
    parts = []
    if pose_summary:
        parts.append("Pose requests and follow-ups (checks of the first pose; no pose = every check failed):\n\n"
                     + markdown_table(pose_summary, kinds=(*POSE_KINDS, "all", "follow_up"), joint_errors=False))
    if hygiene:
        parts.append("Chat hygiene (the model only):\n\n" + hygiene_table(hygiene))
    if words is not None:
        parts.append(words.line("PoseGPT"))
    return "\n\n".join(parts)


def run(
    checkpoint: str | None = None,
    backbone: str | None = None,
    limit: int | None = None,
    output: Path = Path("eval_out/natural"),
    device: str = "cpu",
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    train_size: int = DEFAULT_TRAIN_SIZE,
    seed: int = DEFAULT_SEED,
    replies: Path | None = None,
    skip_model: bool = False,
    skip_baselines: bool = False,
    set_dir: Path | None = None,
) -> int:
    """The whole benchmark; returns 0. Errors a user can fix raise ValueError with one line.

    `set_dir` scores a hand-written set of one's own (same format, `posegpt.eval.natural_set`)
    instead of the shipped one: a second set written after a change is the honest check that
    the change did not just fit the first.
    """
    if limit is not None and limit < 1:
        raise ValueError("--limit must be at least 1")
    folder = DATA_DIR if set_dir is None else Path(set_dir)
    items = load_items(folder)
    if limit is not None:
        items = first_per_kind(items, limit)
    prompts = [eval_prompt(item) for item in items]
    output.mkdir(parents=True, exist_ok=True)
    write_jsonl(output / "prompts.jsonl", ({"id": p.id, "messages": list(p.messages)} for p in prompts))
    sizes = counts(items)
    print("Hand-written prompts: " + ", ".join(f"{sizes[k]} {k}" for k in (*SCORED_KINDS, "no_pose", "n_poses")), file=sys.stderr)

    started = time.perf_counter()
    answers, description = model_answers_for(prompts, checkpoint, backbone, device, max_new_tokens, replies, skip_model)
    model_seconds = round(time.perf_counter() - started, 1)
    methods: dict[str, Method] = {}
    hygiene: dict[str, Any] = {}
    hygiene_records: list[dict[str, Any]] = []
    words = None
    if answers is not None:
        write_replies(output / "model_replies.jsonl", prompts, answers)
        by_id = {p.id: answer for p, answer in zip(prompts, answers)}
        methods["PoseGPT"] = lambda chosen: [by_id[p.id] for p in chosen]
        hygiene, hygiene_records = chat_hygiene(items, answers)
        words = agreement_report((p.id, answer.reply, answer.poses) for p, answer in zip(prompts, answers))
    requests = [p for p in prompts if p.kind in POSE_KINDS]
    follow_ups = [p for p in prompts if p.kind == "follow_up"]
    if not skip_baselines and (requests or follow_ups):
        methods.update(baseline_methods(train_size, seed, device))
    if not methods:
        raise ValueError("nothing to evaluate: --skip-model and --skip-baselines together leave no method")

    # Requests and follow-ups are scored apart, so that "all" is over the requests only.
    pose_summary: dict[str, dict[str, Any]] = {name: {} for name in methods}
    pose_records: list[dict[str, Any]] = []
    seconds: dict[str, float] = {}
    for group, kinds in ((requests, POSE_KINDS), (follow_ups, ("follow_up",))):
        if not group:
            continue
        summary, records, group_seconds = evaluate(group, methods, kinds=kinds)
        for name, rows in summary.items():
            pose_summary[name].update({kind: row for kind, row in rows.items() if kind != "all" or kinds == POSE_KINDS})
        pose_records += records
        for name, value in group_seconds.items():
            seconds[name] = round(seconds.get(name, 0.0) + value, 1)
    if answers is not None:
        seconds["PoseGPT"] = model_seconds  # the generation time, not the scoring
    table = tables(pose_summary, hygiene, words)
    results = {
        "benchmark": "natural",
        "model": description,
        "set": {"sizes": sizes, "limit": limit, "folder": "posegpt/eval/data/natural" if set_dir is None else str(set_dir)},
        "baselines_train_set": None if skip_baselines else {"size": train_size, "seed": seed},
        "targets": TARGETS,
        "pose_requests": pose_summary,
        "chat_hygiene": hygiene,
        "words_agree": None if words is None else words.to_json(),
        "seconds": seconds,
        "prompts": pose_records + [{"method": "PoseGPT", **record} for record in hygiene_records],
    }
    write_results(output, results, table)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of `eval natural` (shared by `python -m posegpt` and this module's `main`)."""
    parser.add_argument("--checkpoint", help="PoseGPT checkpoint folder or hub id (default: the committed default checkpoint)")
    parser.add_argument("--backbone", help="language model spec, as for `chat`/`batch`")
    parser.add_argument("--limit", type=int, default=None, help="only the first N prompts of every kind (a quick look)")
    parser.add_argument("--output", type=Path, default=Path("eval_out/natural"),
                        help="folder for prompts.jsonl, model_replies.jsonl, results.json, results.md (default ./eval_out/natural)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="default cpu")
    parser.add_argument("--max-new-tokens", type=int, default=DEFAULT_MAX_NEW_TOKENS,
                        help=f"longest reply in tokens (default {DEFAULT_MAX_NEW_TOKENS}: room for four described poses)")
    parser.add_argument("--train-size", type=int, default=DEFAULT_TRAIN_SIZE,
                        help=f"training samples the baselines learn from (default {DEFAULT_TRAIN_SIZE}, as configs/smollm2-135m.yaml)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="data seed of the baselines' training set (default 0)")
    parser.add_argument("--replies", type=Path, default=None,
                        help="score this `python -m posegpt batch` output (made from OUTPUT/prompts.jsonl) instead of running the model")
    parser.add_argument("--skip-model", action="store_true", help="baselines only")
    parser.add_argument("--skip-baselines", action="store_true", help="the model only")
    parser.add_argument("--set-dir", type=Path, default=None,
                        help="score your own hand-written set (a folder of .jsonl files in the shipped set's format) instead")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(
        prog="python -m posegpt eval natural",
        description="People's own words: hand-written pose requests, follow-ups, small talk and 'N poses' requests.",
    ))
    args = vars(parser.parse_args(argv))
    try:
        return run(**args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
