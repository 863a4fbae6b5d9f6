"""`eval photos`: people found and the person a question means, on real photos labelled by hand.

`python -m posegpt eval photos [--checkpoint DIR] [--output DIR] [--device cpu] [--detection-only]`

The photos ship inside packages (opencv-doc's samples, tutorial pictures and frames of
`vtest.avi`, scikit-image's and matplotlib's sample photos); `posegpt/eval/photo_labels.py` loads
the hand labels (`data/real_photos.yaml`) and finds the photos. A photo whose package is not
installed is skipped and reported with the package to install.

Per photo the real vision module (`PersonFinder`) finds, fits and describes everyone; its boxes
are matched one-to-one to the labelled boxes (IoU ≥ 0.5):
- recall: labelled people found; precision: people found that are a labelled person (a found
  person inside an `ignore` region — a blurred crowd, a head out of the frame — counts neither
  way), overall and per photo tag (close-up, edge, group, small, …);
- right person: each referring question is asked through the engine (greedy; a follow-up after
  the earlier question and its reply, in one conversation); right = the person the first
  `<POSE>` is about (the pointer) is the detection matched to the labelled person; a missed
  person or no pose is wrong. Per question kind, with how often the prompt's words name the
  target at all (the vision module's reading) for telling vision from LLM errors;
- pose statements that are plainly true (`posegpt.eval.checks`) on the fitted pose (and on the
  final pose where a question asked for that person);
- time per stage: detection, fit, colours, readings, and the LLM's answer.

Box matching, the ask loop and the engine load are those of `posegpt.eval.image`. Writes
OUTPUT/results.json, OUTPUT/results.md and, per photo, OUTPUT/photos/NAME.png (labelled boxes
green, found people red with their number) — pictures of the photos, which git ignores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from posegpt.eval.checks import run_checks
from posegpt.eval.image import MAX_NEW_TOKENS, Answer, _cell, _mean, _pct, _write, ask, cannot_read_photos, load_engine
from posegpt.eval.photo_labels import (
    LABELS,
    QUESTION_KINDS,
    LabelledPhoto,
    LabelError,
    load_image,
    load_labels,
    match_boxes,
    recall_precision,
)

if TYPE_CHECKING:
    from posegpt.engine import Engine
    from posegpt.photo import Photo
    from posegpt.vision.pipeline import Vision

TARGETS = {"recall_pct": 90.0, "precision_pct": 95.0, "right_person_pct": 85.0}
STAGES = ("detect", "fit", "appearance", "read")


def _draw(image: Photo, photo: LabelledPhoto, boxes: Sequence[Sequence[float]]) -> np.ndarray:
    """The photo with the labelled boxes (green), ignore regions (grey) and found people (red, numbered)."""
    from PIL import ImageDraw

    picture = image.pil()
    draw = ImageDraw.Draw(picture)
    width = max(1, round(min(image.size) / 250))
    for person in photo.people:
        draw.rectangle(person.box, outline=(0, 220, 0), width=width)
    for region in photo.ignore:
        draw.rectangle(region, outline=(150, 150, 150), width=1)
    for number, box in enumerate(boxes, start=1):
        draw.rectangle(tuple(box), outline=(255, 40, 40), width=width)
        draw.text((box[0] + 3, box[1] + 2), str(number), fill=(255, 255, 0))
    return np.asarray(picture)


def evaluate(photos: Sequence[LabelledPhoto], finder: Vision, engine: Engine | None, output: Path | None = None,
             max_new_tokens: int = MAX_NEW_TOKENS, progress: bool = True) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Every photo through the vision module (and its questions through `engine`, when given)
    → (summary, one record per photo). `output`: where the per-photo pictures go (None: none)."""
    from PIL import Image
    from tqdm import tqdm

    records: list[dict[str, Any]] = []
    if output is not None:
        (output / "photos").mkdir(parents=True, exist_ok=True)
    bar = tqdm(photos, desc="eval photos", unit="photo", file=sys.stderr, dynamic_ncols=True, disable=not progress)
    for photo in bar:
        record: dict[str, Any] = {"photo": photo.name, "source": photo.source.describe(), "tags": list(photo.tags),
                                  "people": len(photo.people)}
        image = load_image(photo)
        if image is None:
            record["missing"] = photo.source.install_hint()
            records.append(record)
            continue
        started = time.perf_counter()
        reading = finder.find(image)
        found = [person.landmarks.box for person in reading.people]
        match = match_boxes([person.box for person in photo.people], found, photo.ignore)
        record.update(find_s=round(time.perf_counter() - started, 3),
                      stages_s={k: round(float(v), 3) for k, v in reading.timings_s.items()},
                      found=len(found), matched=match.matched, counted=match.counted, ignored=list(match.ignored),
                      found_for=list(match.found_for), boxes=[[round(float(v)) for v in box] for box in found],
                      notices=list(reading.notices))
        answers: list[Answer | None] = []
        record["questions"] = []
        for question in photo.questions:
            target = match.found_for[question.person]
            entry: dict[str, Any] = {"ask": question.text, "kind": question.kind, "person": question.person,
                                     "target_detected": target is not None, "target": target,
                                     "prompt_says": reading.readings[target].describe() if target is not None else None}
            if engine is not None:
                history: list[dict[str, str]] = []
                if question.after is not None:
                    earlier = answers[question.after]
                    history = [{"role": "user", "content": photo.questions[question.after].text},
                               {"role": "assistant", "content": earlier.reply if earlier is not None else ""}]
                answer = ask(engine, image, question.text, max_new_tokens, history=history)
                answers.append(answer)
                entry.update(reply=answer.reply, pointer=answer.person, has_pose=answer.pose is not None,
                             right_person=target is not None and answer.pose is not None and answer.person == target,
                             seconds=round(answer.seconds, 3))
                if answer.error:
                    entry["error"] = answer.error
            else:
                answers.append(None)
            record["questions"].append(entry)
        finals = {a.person: a for a in answers if a is not None and a.person is not None and a.pose is not None}
        record["checks"] = []
        for statement in photo.checks:
            index = match.found_for[statement.person]
            entry = {"says": statement.says, "person": statement.person, "detected": index is not None}
            if index is not None:
                entry["fit"] = any(run_checks(reading.people[index].pose, statement.any_of).values())
                if index in finals:
                    entry["final"] = any(run_checks(finals[index].pose, statement.any_of).values())
            record["checks"].append(entry)
        if output is not None:
            Image.fromarray(_draw(image, photo, found)).save(output / "photos" / f"{photo.name}.png")
        records.append(record)
    return summarise(records, asked=engine is not None), records


def summarise(records: Sequence[Mapping[str, Any]], asked: bool = True) -> dict[str, Any]:
    """Recall / precision (all photos and per tag), right person (all and per kind), checks, stage times."""
    from posegpt.eval.photo_labels import BoxMatch

    run = [r for r in records if "missing" not in r]

    def detection(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        matches = [BoxMatch(tuple(r["found_for"]), tuple(r["ignored"]), r["found"]) for r in rows]
        recall, precision = recall_precision(matches, [r["people"] for r in rows])
        return {"photos": len(rows), "people": sum(r["people"] for r in rows), "found": sum(r["found"] for r in rows),
                "matched": sum(m.matched for m in matches), "counted": sum(m.counted for m in matches),
                "recall_pct": recall, "precision_pct": precision}

    tags = sorted({tag for r in run for tag in r["tags"]})
    summary: dict[str, Any] = {
        "photos": len(records), "missing": [f"{r['photo']}: {r['missing']}" for r in records if "missing" in r],
        "detection": {"all": detection(run), **{tag: detection([r for r in run if tag in r["tags"]]) for tag in tags}},
    }
    questions = [q for r in run for q in r["questions"]]
    kinds: dict[str, Any] = {}
    for kind in (*QUESTION_KINDS, "all"):
        rows = [q for q in questions if kind == "all" or q["kind"] == kind]
        if not rows:
            continue
        kinds[kind] = {"questions": len(rows), "target_detected_pct": _pct([q["target_detected"] for q in rows]),
                       "right_person_pct": _pct([q["right_person"] for q in rows]) if asked else None,
                       "no_pose_pct": _pct([not q["has_pose"] for q in rows]) if asked else None}
    summary["questions"] = kinds
    checks = [c for r in run for c in r["checks"]]
    summary["checks"] = {"statements": len(checks), "detected": sum(c["detected"] for c in checks),
                         "fit_pass_pct": _pct([c["fit"] for c in checks if "fit" in c]),
                         "final_n": sum("final" in c for c in checks),
                         "final_pass_pct": _pct([c["final"] for c in checks if "final" in c])}
    times = {stage: _mean(r["stages_s"].get(stage) for r in run) for stage in STAGES}
    finds = [r["find_s"] for r in run]
    summary["seconds"] = {**{f"{stage}_mean": value for stage, value in times.items()},
                          "find_mean": _mean(finds), "find_max": max(finds) if finds else None,
                          "answer_mean": _mean(q.get("seconds") for q in questions) if asked else None}
    return summary


# --- tables ----------------------------------------------------------------------------------------


def detection_table(detection: Mapping[str, Mapping[str, Any]]) -> str:
    lines = ["| Photos | n | People labelled | Found | Found and labelled | Recall (%) | Precision (%) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for tag, row in detection.items():
        lines.append(f"| {tag} | {row['photos']} | {row['people']} | {row['found']} | {row['matched']} | "
                     f"{_cell(row['recall_pct'])} | {_cell(row['precision_pct'])} |")
    return "\n".join(lines)


def question_table(questions: Mapping[str, Mapping[str, Any]]) -> str:
    lines = ["| Question kind | n | Right person (%) | Person found (%) | No pose (%) |", "|---|---:|---:|---:|---:|"]
    for kind, row in questions.items():
        lines.append(f"| {kind} | {row['questions']} | {_cell(row['right_person_pct'])} | "
                     f"{_cell(row['target_detected_pct'])} | {_cell(row['no_pose_pct'])} |")
    return "\n".join(lines)


def time_table(seconds: Mapping[str, float | None]) -> str:
    stages = " | ".join(_cell(seconds.get(f"{stage}_mean"), 2) for stage in STAGES)
    return "\n".join([
        "| Detect (s) | Fit (s) | Colours (s) | Readings (s) | Vision in all (s, mean / max) | LLM answer (s) |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {stages} | {_cell(seconds.get('find_mean'), 2)} / {_cell(seconds.get('find_max'), 2)} | "
        f"{_cell(seconds.get('answer_mean'), 2)} |",
    ])


def photo_table(records: Sequence[Mapping[str, Any]]) -> str:
    lines = ["| Photo | Tags | Labelled | Found | Matched | Questions right | Vision (s) |", "|---|---|---:|---:|---:|---|---:|"]
    for r in records:
        if "missing" in r:
            lines.append(f"| {r['photo']} | {', '.join(r['tags'])} | {r['people']} | – | – | {r['missing']} | |")
            continue
        asked = [q for q in r["questions"] if "right_person" in q]
        right = f"{sum(q['right_person'] for q in asked)}/{len(asked)}" if asked else "–"
        lines.append(f"| {r['photo']} | {', '.join(r['tags'])} | {r['people']} | {r['found']} | {r['matched']} | "
                     f"{right} | {r['find_s']:.2f} |")
    return "\n".join(lines)


def report(summary: Mapping[str, Any], records: Sequence[Mapping[str, Any]], header: str, asked: bool) -> str:
    """The Markdown tables of one run."""
    overall = summary["detection"]["all"]
    right = summary["questions"].get("all", {}).get("right_person_pct")
    checks = summary["checks"]
    targets = (f"Targets: recall ≥ {TARGETS['recall_pct']:.0f} % (measured {_cell(overall['recall_pct'])}), precision ≥ "
               f"{TARGETS['precision_pct']:.0f} % ({_cell(overall['precision_pct'])})"
               + (f", right person ≥ {TARGETS['right_person_pct']:.0f} % ({_cell(right)})." if asked else "."))
    parts = [header, detection_table(summary["detection"]),
             question_table(summary["questions"]) if summary["questions"] else "",
             f"Pose statements: {checks['statements']}, person found for {checks['detected']}; the fitted pose passes "
             f"{_cell(checks['fit_pass_pct'])} %" + (f", the final pose {_cell(checks['final_pass_pct'])} % "
                                                       f"(n = {checks['final_n']})." if checks["final_n"] else "."),
             time_table(summary["seconds"]), targets, photo_table(records)]
    if summary["missing"]:
        parts.append("Skipped (not installed): " + "; ".join(summary["missing"]))
    return "\n\n".join(part for part in parts if part)


# --- running -----------------------------------------------------------------------------------------


def run(checkpoint: str | None = None, output: Path = Path("eval_out/photos"), device: str = "cpu",
        labels: Path = LABELS, detection_only: bool = False, max_new_tokens: int = MAX_NEW_TOKENS,
        _loaded: tuple[Any, Any, str] | None = None) -> int:
    """`eval photos`; returns 0 (2 for a bad label file or option). `_loaded` replaces the model load (tests)."""
    started = time.perf_counter()
    try:
        photos = load_labels(labels)
    except LabelError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if detection_only:
        from posegpt.vision.pipeline import PersonFinder

        engine, finder, description = None, PersonFinder(), "none (--detection-only)"
    else:
        engine, finder, description = _loaded if _loaded is not None else load_engine(checkpoint, device)
        print(f"Model: {description}", file=sys.stderr)
        if engine is None:
            print(f"note: {cannot_read_photos(description)}", file=sys.stderr)
    summary, records = evaluate(photos, finder, engine, Path(output), max_new_tokens)
    seconds = time.perf_counter() - started
    header = (f"**eval photos** — model: {description}; {len(photos)} real photos labelled by hand "
              f"({labels.name}); {seconds:.0f} s on this machine.")
    if engine is None and not detection_only:
        header += f"\n\n**{cannot_read_photos(description)}**"
    table = report(summary, records, header, asked=engine is not None)
    _write(Path(output), {"benchmark": "photos", "model": description, "labels": str(labels.name),
                          "targets": TARGETS, "summary": summary, "seconds": round(seconds, 1), "photos": records}, table)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of `eval photos`."""
    parser.add_argument("--checkpoint", help="PoseGPT checkpoint folder or hub id (default: the committed default checkpoint)")
    parser.add_argument("--output", type=Path, default=Path("eval_out/photos"),
                        help="folder for results.json, results.md and photos/ (default ./eval_out/photos)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="default cpu")
    parser.add_argument("--labels", type=Path, default=LABELS, help="the label file (default: the packaged real_photos.yaml)")
    parser.add_argument("--detection-only", action="store_true",
                        help="measure people found and vision time only: no model is loaded, no question asked")
    parser.add_argument("--max-new-tokens", type=int, default=MAX_NEW_TOKENS,
                        help=f"longest answer before its first pose (default {MAX_NEW_TOKENS})")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m posegpt.eval.photos …` (the same as `python -m posegpt eval photos …`)."""
    parser = add_arguments(argparse.ArgumentParser(prog="python -m posegpt.eval.photos",
                                                   description=(__doc__ or "").splitlines()[0]))
    handler: Callable[..., int] = run
    try:
        return handler(**vars(parser.parse_args(argv)))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
