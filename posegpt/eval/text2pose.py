"""The text → pose benchmark: held-out prompts, the model and two baselines, checks and MPJPE.

`python -m posegpt eval text2pose [--checkpoint DIR] [--backbone SPEC] [--limit N] [--output DIR]`

1. The evaluation set is `build_dataset("eval", …)`: prompts whose poses, phrasings and
   situations were all held out from training by `posegpt.data.splits.is_heldout` (the data
   builders guarantee that "train" never touches a held-out item). Each prompt's `meta` holds its
   kind (explicit / speculative / named), the names of the geometric checks any right answer
   passes, and the reference pose (`sample.poses[0]`).
2. Methods answer every prompt: the model (greedy, through `posegpt.engine.Engine` exactly as
   `python -m posegpt batch` runs it, one model load; its pose bank without the entries the
   shipped bank holds for held-out poses and situations, `PoseBank.without_heldout`), the mean training pose, and
   nearest-neighbour retrieval of a training prompt (`posegpt.eval.retrieval`); the reference
   poses themselves are scored too, as the ceiling of the checks.
3. Scores per prompt: the share of its checks the first pose of the reply passes (no pose in the
   reply = every check failed, counted as "no pose"); MPJPE and PA-MPJPE (mm, 24 joints) to the
   reference. For a "side-free" speculative prompt either mirror image is right: the better of
   the checks as written and the mirrored checks counts, and the nearer of the reference and its
   mirror.
4. The model's replies say in words what they show before each `<POSE>`: under the table, the
   share of its pose replies whose words agree with the pose they show — the captioner's own
   posecodes of that pose (the headline), and the geometric checks of the words beside it
   (`posegpt.eval.agreement`; results.json "words_agree", its "checks").
5. Writes `prompts.jsonl` (batch input format), `model_replies.jsonl` (batch output format),
   `results.json` (summary + every prompt) and `results.md` (the table), and prints the table.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from posegpt.eval.agreement import agreement_report
from posegpt.eval.checks import CHECKS, mirror_check_name, run_checks
from posegpt.eval.metrics import mpjpe, pa_mpjpe
from posegpt.pose import Pose
from posegpt.tokens import POSE_TOKEN

KINDS = ("explicit", "speculative", "named")
DEFAULT_EVAL_SIZE = 600  # prompts asked of build_dataset("eval"); fewer exist when held-out material runs out
DEFAULT_TRAIN_SIZE = 16160  # = configs/smollm2-135m.yaml data.train_size + validation_size
DEFAULT_SEED = 0
TARGETS = {"explicit": 90.0, "speculative": 75.0}  # % of checks passed (the targets)


# --- the evaluation set -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EvalPrompt:
    """One benchmark prompt: the conversation to answer and what a right answer looks like."""

    id: str
    kind: str  # explicit / speculative / named
    messages: tuple[Mapping[str, str], ...]  # ends with the user's request
    checks: tuple[str, ...]
    reference: Pose | None = None  # a single pose
    reference_name: str | None = None
    any_side: bool = False  # the mirror image of a right answer is right too


def eval_prompts(samples: Iterable[Any]) -> list[EvalPrompt]:
    """Benchmark prompts from evaluation `Sample`s (messages, poses, meta): the conversation up to
    its last assistant turn is the prompt; that turn's pose is the reference."""
    prompts: list[EvalPrompt] = []
    counters: dict[str, int] = {}
    for sample in samples:
        meta = dict(sample.meta)
        kind = str(meta.get("kind", getattr(sample, "kind", "")))
        if kind not in KINDS:
            continue
        messages = list(sample.messages)
        last = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=None)
        if last is None:
            continue
        prompt = messages[:last]
        reference = sample.poses[-1] if POSE_TOKEN in messages[last]["content"] and sample.poses else None
        counters[kind] = counters.get(kind, 0) + 1
        unknown = [name for name in meta.get("checks", ()) if name not in CHECKS]
        if unknown:
            raise ValueError(f"evaluation sample {kind} #{counters[kind]} ({meta.get('reference')}) names unknown checks {unknown}")
        prompts.append(EvalPrompt(
            id=f"{kind}-{counters[kind]:04d}",
            kind=kind,
            messages=tuple({"role": m["role"], "content": m["content"]} for m in prompt),
            checks=tuple(meta.get("checks", ())),
            reference=reference,
            reference_name=meta.get("reference"),
            any_side=bool(meta.get("any_side", False)),
        ))
    return prompts


# --- answers ------------------------------------------------------------------------------------------


@dataclass
class Answer:
    """A method's reply to one prompt (the baselines reply with a bare "<POSE>")."""

    reply: str
    poses: list[Pose] = field(default_factory=list)
    error: str | None = None
    note: str | None = None  # e.g. the training prompt a retrieval matched


Method = Callable[[Sequence[EvalPrompt]], list[Answer]]


def reference_method(prompts: Sequence[EvalPrompt]) -> list[Answer]:
    """The reference poses themselves: the ceiling of the checks (a check its own reference fails
    is a flaw of the evaluation data, not of a method)."""
    return [Answer(POSE_TOKEN, [p.reference] if p.reference is not None else []) for p in prompts]


def mean_pose_method(pose: Pose) -> Method:
    """Every prompt gets the same (mean training) pose."""
    return lambda prompts: [Answer(POSE_TOKEN, [pose]) for _ in prompts]


def nearest_neighbour_method(retriever: Any) -> Method:
    """Every prompt gets the pose of the most similar training prompt (`NearestNeighbourText`)."""
    from posegpt.eval.retrieval import prompt_text

    def answer(prompts: Sequence[EvalPrompt]) -> list[Answer]:
        found = retriever.retrieve([prompt_text(p.messages) for p in prompts])
        return [Answer(POSE_TOKEN, [pose], note=f"{similarity:.3f}: {text}") for pose, text, similarity in found]

    return answer


def engine_method(engine: Any, max_new_tokens: int = 96, progress: bool = True) -> Method:
    """The model, greedy, through `Engine.stream` (what `python -m posegpt batch` runs)."""
    from posegpt.engine import Done, ErrorEvent, GenerationOptions

    options = GenerationOptions(max_new_tokens=max_new_tokens, temperature=0.0)

    def answer(prompts: Sequence[EvalPrompt]) -> list[Answer]:
        answers = []
        iterator: Iterable[EvalPrompt] = prompts
        if progress:
            from tqdm import tqdm

            iterator = tqdm(prompts, desc="model", unit="prompt", file=sys.stderr, dynamic_ncols=True)
        for prompt in iterator:
            done, errors = None, []
            try:
                for event in engine.stream(list(prompt.messages), options=options):
                    if isinstance(event, ErrorEvent):
                        errors.append(event.message)
                    elif isinstance(event, Done):
                        done = event
            except Exception as error:  # noqa: BLE001 - one failing prompt must not end the benchmark
                errors.append(f"generation failed: {type(error).__name__}: {error}")
            answers.append(Answer(
                done.reply if done else "", list(done.poses) if done else [], "; ".join(errors) or None,
            ))
        return answers

    return answer


def load_engine(checkpoint: str | None, backbone: str | None, device: str = "cpu",
                unseen_content: bool = False) -> tuple[Any, str]:
    """One model load, as the CLI's `batch` does it: `load_posegpt`, LoRA merged, an `Engine`.
    `unseen_content`: the prompts ask for held-out poses and situations, so the pose bank answers
    without its entries for them (`PoseBank.without_heldout`)."""
    from posegpt.engine import Engine
    from posegpt.model import load_posegpt

    model, description = load_posegpt(checkpoint, backbone, device=device)
    if unseen_content and model.pose_bank is not None:
        model.pose_bank = model.pose_bank.without_heldout()
    return Engine(model.merge_for_inference()), description


# --- scoring -------------------------------------------------------------------------------------------


@dataclass
class Score:
    id: str
    kind: str
    has_pose: bool
    checks: dict[str, bool]  # as scored (the mirrored names when the mirrored reading won)
    checks_passed: float | None  # share of the prompt's checks passed, 0..1 (None when it has none)
    mpjpe_mm: float | None = None
    pa_mpjpe_mm: float | None = None
    mirrored: bool = False  # the mirror-image reading was used


def score_answer(prompt: EvalPrompt, answer: Answer) -> Score:
    """Checks and joint errors of the first pose of one answer."""
    if not answer.poses:
        checks = {name: False for name in prompt.checks}
        return Score(prompt.id, prompt.kind, False, checks, 0.0 if checks else None)
    pose = answer.poses[0][0]
    joints = pose.joints()[0]  # (24, 3)
    readings = [(False, list(prompt.checks))]
    if prompt.any_side:
        readings.append((True, [mirror_check_name(name) for name in prompt.checks]))
    best: tuple[float, bool, dict[str, bool]] | None = None
    for mirrored, names in readings:
        results = run_checks(joints, names)
        share = sum(results.values()) / len(results) if results else -1.0
        if best is None or share > best[0]:
            best = (share, mirrored, results)
    share, mirrored, results = best  # type: ignore[misc]
    score = Score(prompt.id, prompt.kind, True, results, share if results else None, mirrored=mirrored)
    if prompt.reference is not None:
        references = [prompt.reference] + ([prompt.reference.mirrored()] if prompt.any_side else [])
        errors = [(float(mpjpe(pose, ref)[0]), float(pa_mpjpe(pose, ref)[0])) for ref in references]
        score.mpjpe_mm, score.pa_mpjpe_mm = min(errors)
    return score


def _mean(values: list[float | None]) -> float | None:
    values = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.mean(values)) if values else None


def summarise(scores: Sequence[Score], kinds: Sequence[str] = KINDS) -> dict[str, dict[str, Any]]:
    """Per kind (and "all"): prompts, % of checks passed, % with every check passed, % without a
    pose, mean MPJPE / PA-MPJPE over the prompts with a pose and a reference."""
    groups: dict[str, list[Score]] = {kind: [s for s in scores if s.kind == kind] for kind in kinds}
    groups["all"] = list(scores)
    summary: dict[str, dict[str, Any]] = {}
    for kind, group in groups.items():
        if not group:
            continue
        checked = [s for s in group if s.checks]
        summary[kind] = {
            "prompts": len(group),
            "checks": sum(len(s.checks) for s in group),
            "checks_passed_pct": None if not checked else 100.0 * _mean([s.checks_passed for s in checked]),
            "all_checks_passed_pct": None if not checked else 100.0 * float(np.mean([all(s.checks.values()) and s.has_pose for s in checked])),
            "no_pose_pct": 100.0 * float(np.mean([not s.has_pose for s in group])),
            "mpjpe_mm": _mean([s.mpjpe_mm for s in group]),
            "pa_mpjpe_mm": _mean([s.pa_mpjpe_mm for s in group]),
            "with_reference": sum(s.mpjpe_mm is not None for s in group),
        }
    return summary


def _cell(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def markdown_table(results: Mapping[str, Mapping[str, Mapping[str, Any]]], kinds: Sequence[str] = (*KINDS, "all"),
                   joint_errors: bool = True) -> str:
    """method × kind: prompts, checks passed %, all checks %, no pose %, MPJPE, PA-MPJPE (mm); the
    joint-error columns only with `joint_errors` (sets without reference poses have none)."""
    header = "| Prompts | Method | n | Checks passed (%) | All checks (%) | No pose (%) |"
    rule = "|---|---|---:|---:|---:|---:|"
    if joint_errors:
        header, rule = header + " MPJPE (mm) | PA-MPJPE (mm) |", rule + "---:|---:|"
    lines = [header, rule]
    for kind in kinds:
        for method, summary in results.items():
            row = summary.get(kind)
            if row is None:
                continue
            line = (
                f"| {kind} | {method} | {row['prompts']} | {_cell(row['checks_passed_pct'])} | "
                f"{_cell(row['all_checks_passed_pct'])} | {_cell(row['no_pose_pct'])} |"
            )
            if joint_errors:
                line += f" {_cell(row['mpjpe_mm'], 0)} | {_cell(row['pa_mpjpe_mm'], 0)} |"
            lines.append(line)
    return "\n".join(lines)


# --- running ----------------------------------------------------------------------------------------------


def _pose_record(pose: Pose) -> dict[str, list[float]]:
    return {
        "global_orient": [round(float(v), 6) for v in pose.global_orient[0]],
        "body_pose": [round(float(v), 6) for v in pose.body_pose[0]],
    }


def write_jsonl(path: Path, records: Iterable[Mapping[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def read_batch_replies(path: Path, prompts: Sequence[EvalPrompt]) -> list[Answer]:
    """Answers from a `python -m posegpt batch` output file (matched to the prompts by id)."""
    by_id: dict[str, Answer] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ValueError(f"cannot read --replies {path}: {error.strerror or error}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            poses = [Pose(np.asarray(p["global_orient"]), np.asarray(p["body_pose"])) for p in record.get("poses", [])]
            by_id[str(record["id"])] = Answer(str(record.get("reply", "")), poses, record.get("error"))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{path}:{number}: not a batch output line ({error})") from None
    missing = [p.id for p in prompts if p.id not in by_id]
    if missing:
        raise ValueError(f"{path} has no reply for {len(missing)} prompt(s), e.g. {missing[:3]}; was it made from this prompts.jsonl?")
    return [by_id[p.id] for p in prompts]


def evaluate(
    prompts: Sequence[EvalPrompt], methods: Mapping[str, Method], kinds: Sequence[str] = KINDS,
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, float]]:
    """Run every method on every prompt → (summary per method and kind, one record per prompt ×
    method, seconds per method)."""
    summary: dict[str, Any] = {}
    records: list[dict[str, Any]] = []
    seconds: dict[str, float] = {}
    for name, method in methods.items():
        started = time.perf_counter()
        answers = method(prompts)
        if len(answers) != len(prompts):
            raise RuntimeError(f"method {name} answered {len(answers)} of {len(prompts)} prompts")
        scores = [score_answer(prompt, answer) for prompt, answer in zip(prompts, answers)]
        summary[name] = summarise(scores, kinds)
        seconds[name] = round(time.perf_counter() - started, 1)
        for prompt, answer, score in zip(prompts, answers, scores):
            records.append({
                "method": name,
                **asdict(score),
                "prompt": prompt.messages[-1]["content"] if prompt.messages else "",
                "turns": len(prompt.messages),
                "reference": prompt.reference_name,
                "reply": answer.reply,
                **({"error": answer.error} if answer.error else {}),
                **({"note": answer.note} if answer.note else {}),
            })
    return summary, records, seconds


def training_pairs(samples: Iterable[Any]) -> tuple[list[str], list[Pose]]:
    """(conversation text so far, pose) for every `<POSE>` answer in the training samples."""
    from posegpt.eval.retrieval import prompt_text

    texts: list[str] = []
    poses: list[Pose] = []
    for sample in samples:
        pose_index = 0
        for turn, message in enumerate(sample.messages):
            if message["role"] != "assistant":
                continue
            count = message["content"].count(POSE_TOKEN)
            if count:
                texts.append(prompt_text(sample.messages[:turn]))
                poses.append(sample.poses[pose_index])  # the turn's first pose stands for it
            pose_index += count
    return texts, poses


def model_answers_for(
    prompts: Sequence[EvalPrompt], checkpoint: str | None, backbone: str | None, device: str, max_new_tokens: int,
    replies: Path | None = None, skip_model: bool = False, unseen_content: bool = False,
) -> tuple[list[Answer] | None, str | None]:
    """The model's answers to every prompt and what answered: read from a `batch` output file
    (`replies`), or one model load and greedy `Engine` replies (`load_engine`); (None, None) with
    `skip_model`."""
    if replies is not None:
        return read_batch_replies(replies, prompts), f"replies read from {replies}"
    if skip_model:
        return None, None
    from posegpt.backbones import BackboneError
    from posegpt.model import CheckpointError

    try:
        engine, description = load_engine(checkpoint, backbone, device, unseen_content)
    except (BackboneError, CheckpointError) as error:
        raise ValueError(str(error)) from None
    print(f"Model: {description}", file=sys.stderr)
    return engine_method(engine, max_new_tokens)(prompts), description


def write_replies(path: Path, prompts: Sequence[EvalPrompt], answers: Sequence[Answer]) -> Path:
    """The model's answers in `python -m posegpt batch` output format (ids of the prompts)."""
    return write_jsonl(path, (
        {"id": p.id, "reply": a.reply, "poses": [_pose_record(pose) for pose in a.poses], **({"error": a.error} if a.error else {})}
        for p, a in zip(prompts, answers)
    ))


def baseline_methods(train_size: int = DEFAULT_TRAIN_SIZE, seed: int = DEFAULT_SEED, device: str = "cpu") -> dict[str, Method]:
    """The two baselines that need no pose model, learnt from `build_dataset("train", …)`: the mean
    training pose and nearest-neighbour retrieval of a training prompt (MiniLM embeddings)."""
    from posegpt.data.conversations import build_dataset
    from posegpt.eval.retrieval import MiniLMEmbedder, NearestNeighbourText, mean_pose

    print(f"Building {train_size} training samples for the baselines…", file=sys.stderr)
    texts, poses = training_pairs(build_dataset("train", size=train_size, seed=seed))
    training_poses = Pose.concat(poses)
    methods: dict[str, Method] = {"mean pose": mean_pose_method(mean_pose(training_poses))}
    try:
        embedder = MiniLMEmbedder(device=device)
    except RuntimeError as error:  # the sentence encoder is not installed
        raise ValueError(f"{error} (or pass --skip-baselines)") from None
    methods["NN retrieval"] = nearest_neighbour_method(NearestNeighbourText(texts, training_poses, embedder))
    return methods


def write_results(output: Path, results: Mapping[str, Any], table: str) -> None:
    """results.json (strict JSON) and results.md (the table) in `output`; prints the table."""
    (output / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False, allow_nan=False, default=_json_default) + "\n")
    (output / "results.md").write_text(table + "\n")
    print(table)
    print(f"Wrote {output / 'results.json'} and {output / 'results.md'}.", file=sys.stderr)


def run(
    checkpoint: str | None = None,
    backbone: str | None = None,
    limit: int | None = None,
    output: Path = Path("eval_out/text2pose"),
    device: str = "cpu",
    max_new_tokens: int = 96,
    eval_size: int = DEFAULT_EVAL_SIZE,
    train_size: int = DEFAULT_TRAIN_SIZE,
    seed: int = DEFAULT_SEED,
    replies: Path | None = None,
    skip_model: bool = False,
    skip_baselines: bool = False,
) -> int:
    """The whole benchmark; returns 0. Errors a user can fix raise ValueError with one line."""
    from posegpt.data.conversations import build_dataset

    if limit is not None and limit < 1:
        raise ValueError("--limit must be at least 1")
    prompts = eval_prompts(build_dataset("eval", size=eval_size, seed=seed))
    if limit is not None:
        prompts = prompts[:limit]
    if not prompts:
        raise ValueError("the evaluation set is empty")
    output.mkdir(parents=True, exist_ok=True)
    write_jsonl(output / "prompts.jsonl", ({"id": p.id, "messages": list(p.messages)} for p in prompts))
    print(f"{len(prompts)} held-out prompts: " + ", ".join(f"{sum(p.kind == k for p in prompts)} {k}" for k in KINDS), file=sys.stderr)

    methods: dict[str, Method] = {}
    model_answers, description = model_answers_for(prompts, checkpoint, backbone, device, max_new_tokens, replies, skip_model,
                                                   unseen_content=True)  # held-out poses and situations
    if model_answers is not None:
        write_replies(output / "model_replies.jsonl", prompts, model_answers)
        methods["PoseGPT"] = lambda _prompts, answers=model_answers: list(answers)
    if not skip_baselines:
        methods.update(baseline_methods(train_size, seed, device))
    if not methods:
        raise ValueError("nothing to evaluate: --skip-model and --skip-baselines together leave no method")
    methods["reference (ceiling)"] = reference_method

    summary, records, seconds = evaluate(prompts, methods)
    table = markdown_table(summary)
    words = None
    if model_answers is not None:
        words = agreement_report((p.id, a.reply, a.poses) for p, a in zip(prompts, model_answers))
        table += "\n\n" + words.line("PoseGPT")
    results = {
        "benchmark": "text2pose",
        "model": description,
        "eval_set": {"size": len(prompts), "seed": seed, "requested": eval_size, "limit": limit},
        "baselines_train_set": None if skip_baselines else {"size": train_size, "seed": seed},
        "targets_checks_passed_pct": TARGETS,
        "summary": summary,
        "seconds": seconds,
        "words_agree": None if words is None else words.to_json(),
        "prompts": records,
    }
    write_results(output, results, table)
    return 0


def _json_default(value: Any) -> Any:
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of `eval text2pose` (shared by `python -m posegpt` and this module's `main`)."""
    parser.add_argument("--checkpoint", help="PoseGPT checkpoint folder or hub id (default: the committed default checkpoint)")
    parser.add_argument("--backbone", help="language model spec, as for `chat`/`batch`")
    parser.add_argument("--limit", type=int, default=None, help="evaluate only the first N prompts (a quick look)")
    parser.add_argument("--output", type=Path, default=Path("eval_out/text2pose"),
                        help="folder for prompts.jsonl, model_replies.jsonl, results.json, results.md (default ./eval_out/text2pose)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="default cpu")
    parser.add_argument("--max-new-tokens", type=int, default=96, help="longest reply in tokens (default 96)")
    parser.add_argument("--eval-size", type=int, default=DEFAULT_EVAL_SIZE, help=f"prompts asked of the eval builder (default {DEFAULT_EVAL_SIZE})")
    parser.add_argument("--train-size", type=int, default=DEFAULT_TRAIN_SIZE,
                        help=f"training samples the baselines learn from (default {DEFAULT_TRAIN_SIZE}, as configs/smollm2-135m.yaml)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="data seed of both sets (default 0)")
    parser.add_argument("--replies", type=Path, default=None,
                        help="score this `python -m posegpt batch` output (made from OUTPUT/prompts.jsonl) instead of running the model")
    parser.add_argument("--skip-model", action="store_true", help="baselines only")
    parser.add_argument("--skip-baselines", action="store_true", help="the model only")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(
        prog="python -m posegpt eval text2pose",
        description="Text → pose on held-out prompts: geometric checks, MPJPE and PA-MPJPE for the model and two baselines.",
    ))
    args = vars(parser.parse_args(argv))
    try:
        return run(**args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
