"""Photo benchmarks: `eval image` (are people found, how good are their 3D poses) and `eval rpe`
(does a question about one person get that person's pose).

`python -m posegpt eval image [--checkpoint DIR] [--scenes N] [--output DIR] [--device cpu]`
`python -m posegpt eval rpe   [--checkpoint DIR] [--scenes N] [--output DIR] [--device cpu]`

(a) Rendered scenes with known poses (`posegpt.eval.scenes`: 1–4 clothed bodies posed from the
    held-out pose sources, varied backgrounds, yaws and camera tilts), cached under
    OUTPUT/scenes/ so a rerun only renders what is missing. Every scene goes through the real
    vision module (`PersonFinder`: BlazePose detection, SMPL fit, colours, readings); each true
    person is matched to at most one detection by their 2D joints (`match_people`).
    - `eval image`: detection recall and precision; per person MPJPE / PA-MPJPE (mm, the 24
      SMPL joints, root-centred; `posegpt.eval.metrics`) of the LLM head's pose, the
      specialist fit (PersonFinder's fitted pose), the final pose (head + landmark refinement,
      what the app shows), two baselines (the mean training pose, the fit's neutral pose) and the
      same fit on landmarks made from the truth (`truth_landmarks`: the ceiling of the fit path
      with a perfect detector, which tells detector errors from fit errors).
      The LLM is asked a held-out single-person question in one-person scenes and "… person
      K …" (K = the detection's number in the prompt) in group scenes; how often its pointer
      took that person is reported too (a wrong pick is scored against the person asked for).
    - `eval rpe`: questions built from what is TRUE of one person in the scene (position,
      size, clothing colour, posture, gesture — each only when it singles that person out),
      wrapped in the held-out question templates of `posegpt.data.scenes.DialogueMaker("eval")`.
      Right = the person the engine's first `<POSE>` is about (`PoseEvent.person`, the pointer)
      is the detection matched to the target; no pose, or a target the detector missed, is
      wrong. Per question kind, with chance (1 / people) beside it, and how often the prompt's
      words about the target (the vision module's reading: "on the left, tall, red top, …") say
      what the question says — a wrong pick despite right words is the LLM's error.
(b) Real photos (`eval image`; Debian opencv-doc samples and scikit-image's astronaut): people
    found vs present (counted by eye, see `REAL_PHOTOS`), geometric checks that are plainly
    true of the photo (`posegpt.eval.checks`) on the fitted and the final pose, and overlay
    pictures in OUTPUT/photos/.

A checkpoint whose model reads no people (`model.reads_people` False: no person projector)
cannot read photos: then the LLM rows and the RPE accuracy are not measured, and the report
says so in words; detection, the fit and the baselines are still measured.

Writes OUTPUT/results.json (summary + one record per person or question) and OUTPUT/results.md
(the tables), and prints the tables.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from posegpt.eval.checks import run_checks
from posegpt.eval.metrics import mpjpe, pa_mpjpe
from posegpt.eval.scenes import SCENE_SIZE, Scene, ScenePerson, load_scenes, save_scenes, turned_pose
from posegpt.photo import Photo, read_photo
from posegpt.pose import SMPL_JOINT_NAMES, Pose

if TYPE_CHECKING:
    from posegpt.artifacts import PoseExporter
    from posegpt.engine import Engine
    from posegpt.vision.people import FittedPerson
    from posegpt.vision.pipeline import PersonFinder, SceneReading, Vision

DEFAULT_SCENES = 40
DEFAULT_SEED = 0
MAX_NEW_TOKENS = 64  # the answer is short ("Person 2 (on the right): <POSE>"); decoding stops at the first pose
MATCH_LIMIT = 0.25  # median 2D joint distance ÷ the true box height up to which a detection is that person
TARGETS = {"rpe_right_person_pct": 90.0, "final_pa_mpjpe_mm": 70.0}  # the targets on (a)
TALL_RATIO = 1.2  # tallest / smallest: this much taller / shorter (box height) than everyone else
KINDS = ("position", "size", "appearance", "posture", "gesture")
PHOTOS = Path("/usr/share/doc/opencv-doc/examples/data")

# What is true of a pose (checks on the upright true pose) → the reading's word, which keys the
# referring phrases of posegpt.data.scenes. A phrase is used only when its check holds for the
# target and fails for everyone else.
POSTURE_CHECKS = (
    ("sitting", "sitting"), ("kneeling", "kneeling"), ("lying", "lying down"), ("squatting", "squatting"),
    ("crouched", "crouching"), ("torso_bent_forward", "bending forward"), ("upright_standing", "standing"),
)
GESTURE_CHECKS = (
    ("both_wrists_above_head", "both arms up"), ("left_wrist_above_shoulder", "left arm up"),
    ("right_wrist_above_shoulder", "right arm up"), ("arms_out_to_sides", "arms out"),
    ("hands_on_hips", "hands on hips"), ("arms_forward", "arms forward"),
    ("left_knee_raised", "left knee raised"), ("right_knee_raised", "right knee raised"),
    ("left_foot_raised", "left foot raised"), ("right_foot_raised", "right foot raised"),
)


# --- rendered scenes, cached ---------------------------------------------------------------------


def scene_cache_folder(output: Path, seed: int, size: tuple[int, int], min_people: int, max_people: int) -> Path:
    """Where the scenes of one series live: OUTPUT/scenes/seed{S}_{W}x{H}_{min}-{max}people."""
    return Path(output) / "scenes" / f"seed{seed}_{size[0]}x{size[1]}_{min_people}-{max_people}people"


def cached_scenes(folder: Path, count: int, seed: int = DEFAULT_SEED, size: tuple[int, int] = SCENE_SIZE,
                  min_people: int = 1, max_people: int = 4, progress: bool = True) -> list[Scene]:
    """The first `count` scenes of the series: read from `folder`, the missing ones rendered and saved.

    Scene i depends only on (seed, i), so a longer run extends the cache of a shorter one. A cache
    that does not hold this series (other seed or size) is an error, not silently reused."""
    from tqdm import tqdm

    from posegpt.eval.scenes import make_scene
    from posegpt.render import Renderer

    if not isinstance(count, int) or count < 1:
        raise ValueError(f"--scenes must be at least 1, got {count!r}")
    scenes: list[Scene] = []
    if (folder / "scenes.json").is_file():
        scenes = load_scenes(folder)
        for index, scene in enumerate(scenes):
            if scene.name != f"scene_{index:04d}" or scene.seed != seed or scene.size != tuple(size):
                raise ValueError(f"{folder} holds other scenes ({scene.name}, seed {scene.seed}, {scene.size}); "
                                 "delete it or choose another --output")
    missing = range(len(scenes), count)
    if missing:
        with Renderer(*size) as renderer:
            for index in tqdm(missing, desc="rendering scenes", unit="scene", file=sys.stderr,
                              dynamic_ncols=True, disable=not progress):
                scenes.append(make_scene(index, seed, min_people, max_people, size, renderer))
        save_scenes(scenes, folder)
    return scenes[:count]


# --- matching detections to the true people ------------------------------------------------------

_MIRROR_JOINT = [SMPL_JOINT_NAMES.index(name.replace("left", "@").replace("right", "left").replace("@", "right"))
                 for name in SMPL_JOINT_NAMES]


def person_distance(truth: ScenePerson, found: Any) -> float:
    """Median distance of a detection's 12 joint landmarks to the true projected SMPL joints, ÷ the
    true box height; each landmark may match its joint or the mirror joint (a left/right swap of
    the detector is still the same person)."""
    from posegpt.vision.fit import JOINT_LANDMARKS

    marks = [mark for mark, _ in JOINT_LANDMARKS]
    joints = [joint for _, joint in JOINT_LANDMARKS]
    points = np.asarray(found.image_points, dtype=np.float64)[marks]  # (12, 2)
    seen = np.asarray(found.visibility, dtype=np.float64)[marks] >= 0.5  # (12,)
    if seen.sum() < 3:
        seen = np.ones_like(seen)
    same = np.linalg.norm(points - truth.joints_2d[joints], axis=1)  # (12,)
    mirror = np.linalg.norm(points - truth.joints_2d[[_MIRROR_JOINT[j] for j in joints]], axis=1)
    return float(np.median(np.minimum(same, mirror)[seen]) / max(truth.height_px, 1.0))


def match_people(truth: Sequence[ScenePerson], found: Sequence[Any], limit: float = MATCH_LIMIT) -> list[int | None]:
    """For each true person, the index of the detection (`PersonLandmarks`) that is them, or None.

    One-to-one (Hungarian assignment on `person_distance`), and only pairs within `limit`."""
    from scipy.optimize import linear_sum_assignment

    result: list[int | None] = [None] * len(truth)
    if not truth or not found:
        return result
    cost = np.array([[person_distance(t, f) for f in found] for t in truth])  # (T, D)
    rows, columns = linear_sum_assignment(np.where(np.isfinite(cost), cost, 1e9))
    for row, column in zip(rows, columns):
        if cost[row, column] <= limit:
            result[row] = int(column)
    return result



def _read_scene(finder: Vision, scene: Scene, counts: dict[str, list]) -> tuple[SceneReading, list[int | None]]:
    """Run the vision module on a scene, match its detections to the true people and add the
    scene's detection counts and time to `counts` → (SceneReading, detection per true person)."""
    started = time.perf_counter()
    reading = finder.find(scene.photo)
    counts["seconds"].append(time.perf_counter() - started)
    matches = match_people(scene.people, [p.landmarks for p in reading.people])
    counts["truth"].append(len(scene.people))
    counts["found"].append(len(reading.people))
    counts["matched"].append(sum(m is not None for m in matches))
    return reading, matches

def detection_summary(truth_counts: Sequence[int], found_counts: Sequence[int], matched_counts: Sequence[int],
                      seconds: Sequence[float]) -> dict[str, Any]:
    """Recall (true people found) and precision (detections that are a true person) over scenes."""
    present, found, matched = sum(truth_counts), sum(found_counts), sum(matched_counts)
    return {
        "scenes": len(truth_counts), "people": present, "detections": found, "matched": matched,
        "recall_pct": 100.0 * matched / present if present else None,
        "precision_pct": 100.0 * matched / found if found else None,
        "mean_find_s": float(np.mean(seconds)) if seconds else None,
    }


# --- what is true of the people: referring questions -----------------------------------------------


def upright_pose(person: ScenePerson) -> Pose:
    """The true pose with the camera tilt taken out (world up = +y), for the geometric checks."""
    return turned_pose(person.pose, 0.0, -person.tilt_deg)


def _positions(count: int) -> list[str]:
    """Position words left to right, as `posegpt.vision.features` says them."""
    if count == 2:
        return ["on the left", "on the right"]
    ordinals = ("second", "third", "fourth", "fifth", "sixth")[: count - 2]
    middle = ["in the middle"] if count == 3 else [f"{word} from the left" for word in ordinals]
    return ["on the left", *middle, "on the right"]


def truth_expressions(scene: Scene) -> list[tuple[str, str, int, str, str]]:
    """Every (kind, phrase, person index, reading field, value) that singles out one person by what
    is true of them; (field, value) is what `PersonReading` would say if the vision module read
    the person right (e.g. ("top", "red")), for telling vision errors from LLM errors.

    position: left-to-right rank; size: box height ≥ 1.2× (≤ 1/1.2×) everyone else's and the
    nearest (farthest) camera scale; appearance: a top (or trousers, not shorts) colour nobody
    else wears; posture and gesture: a check only that person's true pose passes."""
    from posegpt.data.scenes import BOTTOM_REFS, GESTURE_REFS, POSITION_REFS, POSTURE_REFS, SIZE_REFS, TOP_REFS

    people = scene.people
    if len(people) < 2:
        return []
    found: list[tuple[str, str, int, str, str]] = []
    for index, word in enumerate(_positions(len(people))):
        found += [("position", phrase, index, "position", word) for phrase in POSITION_REFS.get(word, ())]
    heights = np.array([p.height_px for p in people])
    scales = np.array([p.camera.scale for p in people])
    for index in range(len(people)):
        others = np.delete(heights, index)
        if heights[index] >= TALL_RATIO * others.max() and scales[index] >= scales.max():
            found += [("size", phrase, index, "size", "tall") for phrase in SIZE_REFS["tall"]]
        if heights[index] * TALL_RATIO <= others.min() and scales[index] <= scales.min():
            found += [("size", phrase, index, "size", "small") for phrase in SIZE_REFS["small"]]
    for index, person in enumerate(people):
        if sum(p.top_name == person.top_name for p in people) == 1:
            found += [("appearance", phrase.format(c=person.top_name), index, "top", person.top_name)
                      for phrase in TOP_REFS]
        if not person.shorts and sum(p.bottom_name == person.bottom_name for p in people) == 1:
            found += [("appearance", phrase.format(c=person.bottom_name), index, "bottom", person.bottom_name)
                      for phrase in BOTTOM_REFS]
    names = [name for name, _ in POSTURE_CHECKS + GESTURE_CHECKS]
    results = [run_checks(upright_pose(person), names) for person in people]
    for kind, table, refs in (("posture", POSTURE_CHECKS, POSTURE_REFS), ("gesture", GESTURE_CHECKS, GESTURE_REFS)):
        for check, word in table:
            holders = [index for index, result in enumerate(results) if result[check]]
            if len(holders) == 1:
                found += [(kind, phrase, holders[0], kind, word) for phrase in refs.get(word, ())]
    return found


@dataclass(frozen=True)
class RPEQuestion:
    """One referring question about a scene and the true person it means."""

    id: str
    scene: str  # Scene.name
    kind: str  # position / size / appearance / posture / gesture
    phrase: str  # "the person in the red top"
    text: str  # the whole question
    template: str  # held-out template id
    target: int  # index into scene.people (left to right)
    attribute: str = ""  # the PersonReading field that would carry what the phrase says ("top", "size", …)
    value: str = ""  # its value when read right ("red", "tall", "sitting", …)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def rpe_questions(scenes: Sequence[Scene], seed: int = DEFAULT_SEED) -> list[RPEQuestion]:
    """One question per scene and kind that has a phrase (deterministic for the same scenes and seed)."""
    from posegpt.data.scenes import DialogueMaker

    templates = DialogueMaker("eval").templates["pose"]
    questions = []
    for scene in scenes:
        rng = random.Random(f"rpe:{seed}:{scene.name}")
        options = truth_expressions(scene)
        for kind in KINDS:
            choices = [option for option in options if option[0] == kind]
            if not choices:
                continue
            _, phrase, target, attribute, value = rng.choice(choices)
            template_id, template = rng.choice(templates)
            questions.append(RPEQuestion(f"{scene.name}-{kind}", scene.name, kind, phrase,
                                         _capitalised(template.format(ref=phrase)), template_id, target, attribute, value))
    return questions


# --- asking the engine ---------------------------------------------------------------------------------


@dataclass
class Answer:
    """What the engine said up to (and including) its first pose."""

    reply: str = ""
    person: int | None = None  # the detection the first pose is about (the pointer's choice)
    pose: Pose | None = None  # the final pose (head + landmark refinement)
    head_pose: Pose | None = None  # the pose head's own output
    error: str | None = None
    seconds: float = 0.0

    @property
    def named_person(self) -> int | None:
        """The detection the reply's text names first ("Person 2 …" → 1), or None."""
        found = re.search(r"\bperson (\d+)\b", self.reply, flags=re.IGNORECASE)
        return int(found.group(1)) - 1 if found else None


def ask(engine: Engine, photo: Photo, question: str, max_new_tokens: int = MAX_NEW_TOKENS,
        history: Sequence[Mapping[str, str]] = ()) -> Answer:
    """One question about a photo, greedy; stops at the first `<POSE>` (all that is scored).

    `history`: earlier turns of the same conversation ({"role", "content"} messages, replies
    with their `<POSE>` markers), for follow-up questions ("and the one next to her?")."""
    from posegpt.engine import Done, ErrorEvent, GenerationOptions, PoseEvent, TextDelta

    options = GenerationOptions(max_new_tokens=max_new_tokens, temperature=0.0)
    answer = Answer()
    errors: list[str] = []
    started = time.perf_counter()
    messages = [*({"role": m["role"], "content": m["content"]} for m in history), {"role": "user", "content": question}]
    stream = engine.stream(messages, photo, options=options)
    try:
        for event in stream:
            if isinstance(event, TextDelta):
                answer.reply += event.text
            elif isinstance(event, ErrorEvent):
                errors.append(event.message)
            elif isinstance(event, PoseEvent):
                answer.reply += engine.model.config.pose_token
                answer.person, answer.pose = event.person, event.pose
                answer.head_pose = event.head_pose if event.head_pose is not None else event.pose
                break
            elif isinstance(event, Done):
                answer.reply = event.reply
    except Exception as error:  # noqa: BLE001 - one failing question must not end the benchmark
        errors.append(f"generation failed: {type(error).__name__}: {error}")
    finally:
        stream.close()
    answer.error = "; ".join(errors) or None
    answer.seconds = time.perf_counter() - started
    return answer


def cannot_read_photos(description: str) -> str:
    """The sentence that says why a text-only checkpoint gets no LLM numbers."""
    return (f"{_capitalised(description)} cannot read photos (model.reads_people is False: it has no person projector), so the "
            "LLM path is not measured; train one with configs/smollm2-135m-people.yaml or pass --checkpoint.")


# --- pose errors --------------------------------------------------------------------------------------


def pose_errors(predicted: Pose | None, truth: Pose) -> tuple[float | None, float | None]:
    """(MPJPE, PA-MPJPE) in mm of one pose against the truth, (None, None) without a pose."""
    if predicted is None:
        return None, None
    return float(mpjpe(predicted[:1], truth[:1])[0]), float(pa_mpjpe(predicted[:1], truth[:1])[0])


def baseline_poses() -> dict[str, Pose]:
    """The two poses every person is also scored with: the mean training pose (the "train" named
    poses and mocap frames, facing the camera) and the fit's neutral pose (upright, arms down)."""
    from posegpt.data.conversations import library_items, mocap_items
    from posegpt.eval.retrieval import mean_pose
    from posegpt.vision.fit import neutral_rotations

    items = list(library_items("train")) + list(mocap_items("train"))
    return {
        "mean training pose": mean_pose(Pose.concat([item.pose[:1] for item in items])),
        "neutral pose": Pose.from_rotation_matrices(neutral_rotations(1)),
    }


def _mean(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.mean(kept)) if kept else None


def _pct(flags: Sequence[bool]) -> float | None:
    return 100.0 * float(np.mean(flags)) if len(flags) else None


# --- eval image ----------------------------------------------------------------------------------------

METHODS = ("LLM head", "specialist fit", "final (head + fit)", "mean training pose", "neutral pose",
           "fit to true landmarks (ceiling)")
_METHOD_KEYS = {"LLM head": "head", "specialist fit": "fit", "final (head + fit)": "final",
                "mean training pose": "mean", "neutral pose": "neutral", "fit to true landmarks (ceiling)": "ideal"}


def evaluate_image(
    scenes: Sequence[Scene], finder: Vision, engine: Engine | None, baselines: Mapping[str, Pose],
    max_new_tokens: int = MAX_NEW_TOKENS, progress: bool = True,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Detection and per-person pose errors over the scenes → (summary, one record per true person).

    `finder`: a `PersonFinder` (or anything with `.find`); `engine`: an `Engine` whose vision is
    that finder, or None when the model cannot read photos (LLM rows then stay empty)."""
    from tqdm import tqdm

    from posegpt.data.scenes import DialogueMaker
    from posegpt.eval.scenes import truth_landmarks
    from posegpt.vision.fit import fit_people

    maker = DialogueMaker("eval")
    single_template = maker.templates["single"][0][1]
    pose_templates = maker.templates["pose"]
    records: list[dict[str, Any]] = []
    counts: dict[str, list] = {"truth": [], "found": [], "matched": [], "seconds": []}
    bar = tqdm(scenes, desc="eval image", unit="scene", file=sys.stderr, dynamic_ncols=True, disable=not progress)
    for scene in bar:
        reading, matches = _read_scene(finder, scene, counts)
        # the same fit on landmarks made from the truth: what a perfect detector would allow
        ideal = fit_people([truth_landmarks(person, scene.size) for person in scene.people])
        rng = random.Random(f"image:{scene.name}")
        group = "single person" if len(scene.people) == 1 else "in a group"
        for index, (person, match) in enumerate(zip(scene.people, matches)):
            record: dict[str, Any] = {"scene": scene.name, "person": index, "group": group, "label": person.label,
                                      "source": person.source, "detected": match is not None, "detection": match}
            if match is not None:
                fitted = reading.people[match].pose
                record["fit"] = pose_errors(fitted, person.pose)
                if engine is not None:
                    if len(reading.people) == 1:
                        question = single_template
                    else:
                        question = _capitalised(rng.choice(pose_templates)[1].format(ref=f"person {match + 1}"))
                    answer = ask(engine, scene.photo, question, max_new_tokens)
                    record.update(question=question, reply=answer.reply, pointer=answer.person,
                                  pointer_agrees=answer.person == match, has_pose=answer.pose is not None,
                                  seconds=round(answer.seconds, 3), head=pose_errors(answer.head_pose, person.pose),
                                  final=pose_errors(answer.pose, person.pose))
                    if answer.error:
                        record["error"] = answer.error
                for name, pose in baselines.items():
                    record[_METHOD_KEYS[name]] = pose_errors(pose, person.pose)
                record["ideal"] = pose_errors(ideal[index].pose, person.pose)
            records.append(record)
    summary = {"detection": detection_summary(counts["truth"], counts["found"], counts["matched"], counts["seconds"]),
               "pose": pose_summary(records, llm=engine is not None)}
    return summary, records


def pose_summary(records: Sequence[Mapping[str, Any]], llm: bool = True) -> dict[str, Any]:
    """method → group → n, MPJPE, PA-MPJPE (means over detected people with a pose of that method)."""
    groups = {"single person": [r for r in records if r["group"] == "single person" and r["detected"]],
              "in a group": [r for r in records if r["group"] == "in a group" and r["detected"]]}
    groups["all"] = groups["single person"] + groups["in a group"]
    summary: dict[str, Any] = {}
    for method in METHODS:
        key = _METHOD_KEYS[method]
        if key in ("head", "final") and not llm:
            continue
        summary[method] = {}
        for group, rows in groups.items():
            errors = [r[key] for r in rows if r.get(key) is not None and r[key][0] is not None]
            entry = {"n": len(errors), "mpjpe_mm": _mean(e[0] for e in errors), "pa_mpjpe_mm": _mean(e[1] for e in errors)}
            if key in ("head", "final"):
                entry["no_pose_pct"] = _pct([not r.get("has_pose", False) for r in rows])
                entry["pointer_agrees_pct"] = _pct([bool(r.get("pointer_agrees")) for r in rows])
            summary[method][group] = entry
    return summary


# --- eval rpe --------------------------------------------------------------------------------------------


def evaluate_rpe(
    scenes: Sequence[Scene], finder: Vision, engine: Engine | None, seed: int = DEFAULT_SEED,
    max_new_tokens: int = MAX_NEW_TOKENS, progress: bool = True,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Person-choice accuracy of referring questions → (summary, one record per question).

    With `engine` None (a model that cannot read photos) the questions and the detection are
    still made and recorded, but nothing is asked."""
    from tqdm import tqdm

    questions = rpe_questions(scenes, seed)
    by_scene: dict[str, list[RPEQuestion]] = {}
    for question in questions:
        by_scene.setdefault(question.scene, []).append(question)
    records: list[dict[str, Any]] = []
    counts: dict[str, list] = {"truth": [], "found": [], "matched": [], "seconds": []}
    bar = tqdm(total=len(questions), desc="eval rpe", unit="question", file=sys.stderr, dynamic_ncols=True,
               disable=not progress)
    for scene in scenes:
        reading, matches = _read_scene(finder, scene, counts)
        truth_of = {detection: truth for truth, detection in enumerate(matches) if detection is not None}
        for question in by_scene.get(scene.name, []):
            detection = matches[question.target]
            said = getattr(reading.readings[detection], question.attribute, None) if detection is not None else None
            agrees = said == question.value
            if question.attribute == "gesture" and detection is not None:  # several gestures, and what they imply
                agrees = question.value in reading.readings[detection].gesture_words
            record: dict[str, Any] = {**asdict(question), "people": len(scene.people), "detections": len(reading.people),
                                      "target_detected": detection is not None, "prompt_says": said,
                                      "prompt_agrees": agrees}
            if engine is not None:
                answer = ask(engine, scene.photo, question.text, max_new_tokens)
                chosen = truth_of.get(answer.person) if answer.person is not None else None
                named = truth_of.get(answer.named_person) if answer.named_person is not None else None
                record.update(reply=answer.reply, has_pose=answer.pose is not None, pointer=answer.person,
                              chosen_truth=chosen, correct=answer.pose is not None and chosen == question.target,
                              text_correct=named == question.target, seconds=round(answer.seconds, 3))
                if answer.error:
                    record["error"] = answer.error
            records.append(record)
            bar.update(1)
    bar.close()
    summary = {"detection": detection_summary(counts["truth"], counts["found"], counts["matched"], counts["seconds"]),
               "questions": rpe_summary(records, asked=engine is not None)}
    return summary, records


def rpe_summary(records: Sequence[Mapping[str, Any]], asked: bool = True) -> dict[str, Any]:
    """Per kind (and "all"): questions, right person %, target detected %, right when detected %,
    the reply's text naming the right person %, no pose %, chance %."""
    summary: dict[str, Any] = {}
    for kind in (*KINDS, "all"):
        rows = [r for r in records if kind == "all" or r["kind"] == kind]
        if not rows:
            continue
        detected = [r for r in rows if r["target_detected"]]
        entry: dict[str, Any] = {
            "questions": len(rows),
            "target_detected_pct": _pct([r["target_detected"] for r in rows]),
            "prompt_agrees_pct": _pct([r["prompt_agrees"] for r in rows]),
            "chance_pct": 100.0 * float(np.mean([1.0 / r["people"] for r in rows])),
            "right_person_pct": None, "right_when_detected_pct": None, "text_right_pct": None, "no_pose_pct": None,
        }
        if asked:
            entry.update(right_person_pct=_pct([r["correct"] for r in rows]),
                         right_when_detected_pct=_pct([r["correct"] for r in detected]),
                         text_right_pct=_pct([r["text_correct"] for r in rows]),
                         no_pose_pct=_pct([not r["has_pose"] for r in rows]))
        summary[kind] = entry
    return summary


# --- real photos ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoCheck:
    """A statement that is plainly true of a photo: `who` passes at least one of `any_of`."""

    description: str
    any_of: tuple[str, ...]  # check names (posegpt.eval.checks)
    who: str = "largest"  # "largest", "leftmost" or "each" found person


@dataclass(frozen=True)
class RealPhoto:
    name: str
    source: str  # file, or "file#frame", or "skimage.data.astronaut"
    present: int  # people in the photo, counted by eye (see REAL_PHOTOS)
    checks: tuple[PhotoCheck, ...] = ()
    questions: tuple[tuple[str, str], ...] = ()  # (question, "leftmost" / "rightmost" / "largest") to ask the LLM


_UPRIGHT = PhotoCheck("upright torso", ("torso_upright",), "each")
# People present, counted by looking at each picture (the same counts tests/test_vision_landmarks.py
# uses): messi5 — one player kicking, the crowd behind is a blur; basketball1/2 — two players,
# the left one standing and catching the ball (both elbows bent), the right one turned away and
# cut by the frame; vtest frames 0 / 200 / 400 / 600 — 3 / 7 / 3 / 6 walking pedestrians (in frame
# 200 two walk side by side, small, top right); astronaut — one person, upper body, upright.
REAL_PHOTOS: tuple[RealPhoto, ...] = (
    RealPhoto("messi5", "messi5.jpg", 1,
              (PhotoCheck("kicking: a foot raised", ("left_foot_raised", "right_foot_raised")),),
              (("What is the pose of the player in this photo?", "largest"),)),
    RealPhoto("basketball1", "basketball1.png", 2,
              (PhotoCheck("left player upright", ("torso_upright",), "leftmost"),
               PhotoCheck("left player catching: elbows bent", ("elbows_bent",), "leftmost")),
              (("What is the pose of the person on the left?", "leftmost"),
               ("Show me the pose of the person on the right.", "rightmost"))),
    RealPhoto("basketball2", "basketball2.png", 2,
              (PhotoCheck("left player upright", ("torso_upright",), "leftmost"),
               PhotoCheck("left player catching: elbows bent", ("elbows_bent",), "leftmost")),
              (("What is the pose of the person on the left?", "leftmost"),)),
    RealPhoto("vtest_0000", "vtest.avi#0", 3, (_UPRIGHT,)),
    RealPhoto("vtest_0200", "vtest.avi#200", 7, (_UPRIGHT,)),
    RealPhoto("vtest_0400", "vtest.avi#400", 3, (_UPRIGHT,)),
    RealPhoto("vtest_0600", "vtest.avi#600", 6, (_UPRIGHT,)),
    RealPhoto("astronaut", "skimage.data.astronaut", 1, (PhotoCheck("upright torso", ("torso_upright",)),),
              (("Estimate the 3D pose of this person.", "largest"),)),
)


def load_photo(photo: RealPhoto, folder: Path = PHOTOS) -> Photo | None:
    """The photo (`read_photo`, its own size), or None when the package that ships it is not installed."""
    if photo.source == "skimage.data.astronaut":
        try:
            from skimage import data
        except ImportError:
            return None
        return read_photo(data.astronaut(), max_side=None, name=photo.name)
    name, _, frame = photo.source.partition("#")
    path = folder / name
    if not path.is_file():
        return None
    if frame:
        import cv2

        video = cv2.VideoCapture(str(path))
        try:
            video.set(cv2.CAP_PROP_POS_FRAMES, int(frame))
            ok, bgr = video.read()
        finally:
            video.release()
        return read_photo(bgr[:, :, ::-1], max_side=None, name=photo.name) if ok else None
    return read_photo(path, max_side=None, name=photo.name)


def _select(people: Sequence[Any], who: str) -> list[int]:
    """Indices of the found people (left to right) a check or question is about."""
    if not people:
        return []
    if who == "each":
        return list(range(len(people)))
    if who == "leftmost":
        return [0]
    if who == "rightmost":
        return [len(people) - 1]
    areas = [(p.landmarks.box[2] - p.landmarks.box[0]) * (p.landmarks.box[3] - p.landmarks.box[1]) for p in people]
    return [int(np.argmax(areas))]


def _draw_people(exporter: PoseExporter, photo: Photo, people: Sequence[FittedPerson]) -> np.ndarray:
    """The photo with each person's fitted body (their pose, their camera) and box drawn over it."""
    from posegpt.artifacts import overlay_bodies

    bodies = [(exporter.mesh(person.pose), person.camera) for person in people]
    return overlay_bodies(exporter.renderer, photo.rgb, bodies, highlight=[p.landmarks.box for p in people], alpha=0.7)


def evaluate_photos(
    finder: Vision, engine: Engine | None, output: Path, photos: Sequence[RealPhoto] = REAL_PHOTOS,
    folder: Path = PHOTOS, max_new_tokens: int = MAX_NEW_TOKENS, progress: bool = True,
) -> list[dict[str, Any]]:
    """People found vs present, the stated checks and overlay pictures (OUTPUT/photos/) per photo."""
    from PIL import Image
    from tqdm import tqdm

    from posegpt.artifacts import PoseExporter
    from posegpt.body import load_body_model
    from posegpt.render import Renderer

    (output / "photos").mkdir(parents=True, exist_ok=True)
    body = load_body_model("auto")
    records = []
    with Renderer(64, 64) as renderer:  # overlays are drawn at each photo's own size
        exporter = PoseExporter(body, renderer)
        bar = tqdm(photos, desc="real photos", unit="photo", file=sys.stderr, dynamic_ncols=True, disable=not progress)
        for photo in bar:
            image = load_photo(photo, folder)
            record: dict[str, Any] = {"photo": photo.name, "source": photo.source, "present": photo.present}
            if image is None:
                record["missing"] = "not installed (Debian opencv-doc / scikit-image)"
                records.append(record)
                continue
            started = time.perf_counter()
            reading = finder.find(image)
            record.update(found=len(reading.people), find_s=round(time.perf_counter() - started, 2),
                          boxes=[[round(float(v)) for v in p.landmarks.box] for p in reading.people])
            answers: dict[int, Answer] = {}
            record["questions"] = []
            if engine is not None:
                for question, who in photo.questions:
                    expected = _select(reading.people, who)
                    answer = ask(engine, image, question, max_new_tokens)
                    if answer.person is not None and answer.pose is not None:
                        answers.setdefault(answer.person, answer)
                        overlay = exporter.draw(answer.pose, image, answer.person, reading, views=False).overlay
                        if overlay is not None:
                            stem = f"{photo.name}_answer{len(record['questions']) + 1}.png"
                            Image.fromarray(overlay).save(output / "photos" / stem)
                    record["questions"].append({
                        "question": question, "reply": answer.reply, "pointer": answer.person,
                        "expected": expected[0] if expected else None,
                        "right_person": bool(expected) and answer.person == expected[0],
                    })
            results = []
            for check in photo.checks:
                for index in _select(reading.people, check.who):
                    fit = run_checks(reading.people[index].pose, check.any_of)
                    entry = {"check": check.description, "person": index, "fit": any(fit.values())}
                    if index in answers:
                        entry["final"] = any(run_checks(answers[index].pose, check.any_of).values())
                    results.append(entry)
            record["checks"] = results
            if reading.people:
                picture = _draw_people(exporter, image, reading.people)
            else:
                picture = image.rgb
            Image.fromarray(picture).save(output / "photos" / f"{photo.name}_people.png")
            records.append(record)
    return records


# --- tables -------------------------------------------------------------------------------------------------


def _cell(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def detection_table(detection: Mapping[str, Any]) -> str:
    return "\n".join([
        "| Scenes | People | Detections | Matched | Recall (%) | Precision (%) | Vision s / scene |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {detection['scenes']} | {detection['people']} | {detection['detections']} | {detection['matched']} | "
        f"{_cell(detection['recall_pct'])} | {_cell(detection['precision_pct'])} | {_cell(detection['mean_find_s'], 2)} |",
    ])


def pose_table(pose: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
    lines = ["| Method | People | n | MPJPE (mm) | PA-MPJPE (mm) | No pose (%) | Pointer took the person asked (%) |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for group in ("single person", "in a group", "all"):
        for method, groups in pose.items():
            row = groups.get(group)
            if row is None:
                continue
            lines.append(f"| {method} | {group} | {row['n']} | {_cell(row['mpjpe_mm'], 0)} | {_cell(row['pa_mpjpe_mm'], 0)} | "
                         f"{_cell(row.get('no_pose_pct'))} | {_cell(row.get('pointer_agrees_pct'))} |")
    return "\n".join(lines)


def photo_table(records: Sequence[Mapping[str, Any]]) -> str:
    lines = ["| Photo | Present | Found | Checks passed (fit) | Checks passed (final) | LLM took the right person |",
             "|---|---:|---:|---|---|---|"]
    for record in records:
        if "missing" in record:
            lines.append(f"| {record['photo']} | {record['present']} | – | {record['missing']} | | |")
            continue
        checks = record["checks"]

        def passed(key: str) -> str:
            rows = [c for c in checks if key in c]
            return f"{sum(c[key] for c in rows)}/{len(rows)}" if rows else "–"

        asked = record["questions"]
        right = f"{sum(q['right_person'] for q in asked)}/{len(asked)}" if asked else "–"
        lines.append(f"| {record['photo']} | {record['present']} | {record['found']} | {passed('fit')} | {passed('final')} | {right} |")
    return "\n".join(lines)


def rpe_table(questions: Mapping[str, Mapping[str, Any]]) -> str:
    lines = ["| Question kind | n | Right person (%) | Target detected (%) | Prompt's words say it (%) | Right when detected (%) | "
             "Text names it (%) | No pose (%) | Chance (%) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for kind, row in questions.items():
        lines.append(f"| {kind} | {row['questions']} | {_cell(row['right_person_pct'])} | {_cell(row['target_detected_pct'])} | "
                     f"{_cell(row['prompt_agrees_pct'])} | "
                     f"{_cell(row['right_when_detected_pct'])} | {_cell(row['text_right_pct'])} | {_cell(row['no_pose_pct'])} | "
                     f"{_cell(row['chance_pct'])} |")
    return "\n".join(lines)


# --- running ---------------------------------------------------------------------------------------------------


def load_engine(checkpoint: str | None, device: str = "cpu") -> tuple[Engine | None, PersonFinder, str]:
    """→ (an `Engine` with a caching `PersonFinder`, or None if the model cannot read photos;
    that finder; a sentence naming the model)."""
    from posegpt.backbones import BackboneError
    from posegpt.engine import Engine
    from posegpt.model import CheckpointError, load_posegpt
    from posegpt.vision.pipeline import PersonFinder

    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ValueError("--device cuda: no CUDA GPU is available on this machine; use --device cpu")
    try:
        model, description = load_posegpt(checkpoint, None, device=device)
    except (BackboneError, CheckpointError) as error:
        raise ValueError(str(error)) from None
    finder = PersonFinder(cache_size=4)  # each scene's questions reuse its reading
    if not model.reads_people:
        return None, finder, description
    return Engine(model.merge_for_inference(), vision=finder), finder, description


def parse_size(text: str) -> tuple[int, int]:
    """ "640x480" → (640, 480)."""
    try:
        width, height = (int(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 640x480, got {text!r}") from None
    return width, height


def _write(output: Path, results: Mapping[str, Any], table: str) -> None:
    output.mkdir(parents=True, exist_ok=True)
    (output / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
    (output / "results.md").write_text(table + "\n")
    print(table)
    print(f"Wrote {output / 'results.json'} and {output / 'results.md'}.", file=sys.stderr)


def _header(kind: str, description: str, engine: Any | None, count: int, seed: int, size: tuple[int, int],
            seconds: float) -> str:
    lines = [f"**eval {kind}** — model: {description}; {count} rendered scenes (seed {seed}, {size[0]}×{size[1]}); "
             f"{seconds:.0f} s on this machine."]
    if engine is None:
        lines.append(f"\n**{cannot_read_photos(description)}**")
    return "\n".join(lines)


def _prepare(checkpoint: str | None, device: str, output: Path, scenes: int, seed: int, size: tuple[int, int],
             loaded: tuple[Any, Any, str] | None) -> tuple[Any | None, Any, str, list[Scene]]:
    """The model (or the given stand-in) and the cached scenes both benchmarks start from."""
    engine, finder, description = loaded if loaded is not None else load_engine(checkpoint, device)
    print(f"Model: {description}", file=sys.stderr)
    if engine is None:
        print(f"note: {cannot_read_photos(description)}", file=sys.stderr)
    return engine, finder, description, cached_scenes(scene_cache_folder(output, seed, size, 1, 4), scenes, seed, size)


def run_image(checkpoint: str | None = None, scenes: int = DEFAULT_SCENES, output: Path = Path("eval_out/image"),
              device: str = "cpu", seed: int = DEFAULT_SEED, size: tuple[int, int] = SCENE_SIZE,
              max_new_tokens: int = MAX_NEW_TOKENS, skip_photos: bool = False, photos_folder: Path = PHOTOS,
              _loaded: tuple[Any, Any, str] | None = None) -> int:
    """`eval image`: detection and pose errors on rendered scenes, then the real photos; returns 0.

    `_loaded` (engine, finder, description) replaces the model load (tests)."""
    started = time.perf_counter()
    engine, finder, description, scene_list = _prepare(checkpoint, device, output, scenes, seed, size, _loaded)
    summary, records = evaluate_image(scene_list, finder, engine, baseline_poses(), max_new_tokens)
    photos = [] if skip_photos else evaluate_photos(finder, engine, output, folder=photos_folder,
                                                    max_new_tokens=max_new_tokens)
    seconds = time.perf_counter() - started
    final = summary["pose"].get("final (head + fit)", {}).get("all", {})
    table = "\n\n".join(filter(None, [
        _header("image", description, engine, len(scene_list), seed, size, seconds),
        detection_table(summary["detection"]),
        pose_table(summary["pose"]),
        f"Target: PA-MPJPE of the final pose ≤ {TARGETS['final_pa_mpjpe_mm']:.0f} mm "
        f"(measured: {_cell(final.get('pa_mpjpe_mm'), 0)} mm)." if engine is not None else "",
        photo_table(photos) if photos else "",
    ]))
    _write(output, {
        "benchmark": "image", "model": description, "model_reads_people": engine is not None,
        "note": None if engine is not None else cannot_read_photos(description),
        "scenes": {"count": len(scene_list), "seed": seed, "size": list(size)}, "targets": TARGETS,
        "summary": summary, "photos": photos, "seconds": round(seconds, 1), "people": records,
    }, table)
    return 0


def run_rpe(checkpoint: str | None = None, scenes: int = DEFAULT_SCENES, output: Path = Path("eval_out/rpe"),
            device: str = "cpu", seed: int = DEFAULT_SEED, size: tuple[int, int] = SCENE_SIZE,
            max_new_tokens: int = MAX_NEW_TOKENS, _loaded: tuple[Any, Any, str] | None = None) -> int:
    """`eval rpe`: which person a referring question gets, on rendered scenes; returns 0."""
    started = time.perf_counter()
    engine, finder, description, scene_list = _prepare(checkpoint, device, output, scenes, seed, size, _loaded)
    summary, records = evaluate_rpe(scene_list, finder, engine, seed, max_new_tokens)
    seconds = time.perf_counter() - started
    overall = summary["questions"].get("all", {})
    table = "\n\n".join(filter(None, [
        _header("rpe", description, engine, len(scene_list), seed, size, seconds),
        detection_table(summary["detection"]),
        rpe_table(summary["questions"]) if summary["questions"] else "No scene has two or more people: no questions.",
        f"Target: the right person ≥ {TARGETS['rpe_right_person_pct']:.0f} % "
        f"(measured: {_cell(overall.get('right_person_pct'))} %)." if engine is not None else "",
    ]))
    _write(output, {
        "benchmark": "rpe", "model": description, "model_reads_people": engine is not None,
        "note": None if engine is not None else cannot_read_photos(description),
        "scenes": {"count": len(scene_list), "seed": seed, "size": list(size)}, "targets": TARGETS,
        "summary": summary, "seconds": round(seconds, 1), "questions": records,
    }, table)
    return 0


def _common_arguments(parser: argparse.ArgumentParser, output: str) -> None:
    parser.add_argument("--checkpoint", help="PoseGPT checkpoint folder or hub id (default: the committed default checkpoint)")
    parser.add_argument("--scenes", type=int, default=DEFAULT_SCENES, help=f"rendered test scenes (default {DEFAULT_SCENES})")
    parser.add_argument("--output", type=Path, default=Path(output),
                        help=f"folder for results.json, results.md and the scene cache scenes/ (default ./{output})")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="default cpu")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="scene series and question choice (default 0)")
    parser.add_argument("--size", type=parse_size, default=SCENE_SIZE, help="scene size WxH (default 640x480)")
    parser.add_argument("--max-new-tokens", type=int, default=MAX_NEW_TOKENS,
                        help=f"longest answer before its first pose (default {MAX_NEW_TOKENS})")


def add_image_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of `eval image`."""
    _common_arguments(parser, "eval_out/image")
    parser.add_argument("--skip-photos", action="store_true", help="rendered scenes only, no real photos")
    return parser


def add_rpe_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of `eval rpe`."""
    _common_arguments(parser, "eval_out/rpe")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m posegpt.eval.image {image,rpe} …` (the same as `python -m posegpt eval …`)."""
    parser = argparse.ArgumentParser(prog="python -m posegpt.eval.image", description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="benchmark", required=True)
    add_image_arguments(commands.add_parser("image")).set_defaults(handler=run_image)
    add_rpe_arguments(commands.add_parser("rpe")).set_defaults(handler=run_rpe)
    args = vars(parser.parse_args(argv))
    args.pop("benchmark")
    handler: Callable[..., int] = args.pop("handler")
    try:
        return handler(**args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
