"""Benchmark the photo path end to end: a photo with 2 people → per-stage times on this CPU.

    .venv/bin/python bench/image.py [--photo PATH | --scene] [--checkpoint DIR] [--runs 3] [--threads 1,2]

What the app does with an uploaded photo and a question about one person, stage by stage:

1. detection + landmarks — `LandmarkDetector.detect`: BlazePose on the full frame and on crop
   proposals. BlazePose's person detector and its landmark model run together inside every
   crop, so they are one stage here (how many BlazePose runs a photo needs decides its cost).
2. fit — `fit_people`: SMPL rotations of every person found, fitted to their 3D landmarks.
3. appearance + reading — clothing colours and the prompt's words and features.
4. LLM reply with pose — `Engine.stream` minus the stages it calls back into: prefill of the
   prompt with the people block, decoding up to the end of the reply, the pose head and the
   pointer at `<POSE>`.
5. refine — `PersonFinder.refine`: the chosen person's landmark fit with the head's pose as prior.
6. overlay — body mesh of the final pose + its overlay (the photo with that body drawn over the
   chosen person, boxes around everyone): `PoseExporter.draw`, as the app draws it.
7. front + side views — the 3D pictures the app shows beside the overlay (not in the target).

The photo is read once, as the app reads an upload (`read_photo`), and that `Photo` goes to the
engine and to the drawing.

The engine is built as `app.py` builds it (LoRA merged, `PersonFinder`, here without a cache so
every run detects again). Run 1 is cold (BlazePose graphs and the GL context are built on first
use); the table shows the median of the warm runs after it, and run 1 beside it. Warm runs
alternate between torch thread counts (default 1 and 2): on this shared 2-core machine, two
threads slow decoding down many times over whenever other work holds a core (threads wait on
each other at every op), so both are measured side by side. A checkpoint
that cannot read people (`reads_people` False) is said to be one; its LLM stage is then timed
with the same people block as plain text (a stand-in of the same length, no pointer), and the
refine/overlay stages use person 1.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from posegpt.artifacts import PoseExporter
    from posegpt.engine import Engine
    from posegpt.photo import Photo
    from posegpt.pose import Pose
    from posegpt.vision.people import FittedPerson
    from posegpt.vision.pipeline import SceneReading

PHOTO = Path("/usr/share/doc/opencv-doc/examples/data/basketball1.png")  # two players
QUESTION = "What is the pose of the person on the left?"
TARGET_S = 3.0
STAGES = ("detection + landmarks", "fit", "appearance + reading", "LLM reply with pose", "refine", "overlay")


def load_photo(path: Path | None, scene: bool) -> tuple[Photo, str]:
    """The photo and its name: a file, or a rendered eval scene with exactly 2 people."""
    from posegpt.photo import read_photo

    if scene:
        from posegpt.eval.scenes import make_scene

        return make_scene(0, seed=0, min_people=2, max_people=2).photo, "rendered eval scene (2 people, 640×480)"
    path = path or PHOTO
    if not path.is_file():
        raise SystemExit(f"{path} is missing (Debian package opencv-doc; `bash .ci/setup --tests` installs it); "
                         "or pass --scene")
    photo = read_photo(path)
    return photo, f"{path.name} ({photo.width}×{photo.height})"


class TimedFinder:
    """A `PersonFinder` that keeps the stage times of its last `find` and `refine` calls."""

    def __init__(self) -> None:
        from posegpt.vision.pipeline import PersonFinder

        self.finder = PersonFinder()  # no cache: every run detects again
        self.find_s = self.refine_s = 0.0
        self.scene: SceneReading | None = None

    def find(self, photo: Photo) -> SceneReading:
        started = time.perf_counter()
        self.scene = self.finder.find(photo)
        self.find_s = time.perf_counter() - started
        return self.scene

    def refine(self, person: FittedPerson, pose: Pose) -> Pose:
        started = time.perf_counter()
        try:
            return self.finder.refine(person, pose)
        finally:
            self.refine_s = time.perf_counter() - started


def one_run(engine: Engine, finder: TimedFinder, exporter: PoseExporter, photo: Photo, reads_people: bool,
            max_new_tokens: int) -> tuple[dict[str, float], str, int | None]:
    """Seconds per stage of one photo + question, the reply, and the person it was about."""
    from posegpt.engine import Done, GenerationOptions, PoseEvent
    from posegpt.vision.features import people_prompt

    options = GenerationOptions(max_new_tokens=max_new_tokens, temperature=0.0)
    times: dict[str, float] = {}
    started = time.perf_counter()
    finder.refine_s = 0.0
    if reads_people:
        messages = [{"role": "user", "content": QUESTION}]
        image: Photo | None = photo
    else:  # stand-in: the vision module's block as plain text, the LLM cannot read it as people
        finder.find(photo)
        block = people_prompt(finder.scene.readings, 2)
        messages = [{"role": "user", "content": f"{block}\n{QUESTION}"}]
        image = None
    llm_started = time.perf_counter()
    pose, person, reply = None, None, ""
    for event in engine.stream(messages, image, options=options):
        if isinstance(event, PoseEvent) and pose is None:
            pose, person = event.pose, event.person
        elif isinstance(event, Done):
            reply = event.reply
    llm_s = time.perf_counter() - llm_started
    scene = finder.scene
    timings = scene.timings_s
    times["detection + landmarks"] = timings.get("detect", 0.0)
    times["fit"] = timings.get("fit", 0.0)
    times["appearance + reading"] = timings.get("appearance", 0.0) + timings.get("read", 0.0)
    if reads_people:  # the engine called find and refine from inside the stream
        times["LLM reply with pose"] = llm_s - finder.find_s - finder.refine_s
    else:
        times["LLM reply with pose"] = llm_s
        if pose is not None and scene.people:
            person = 0
            pose = finder.refine(scene.people[0], pose)
    times["refine"] = finder.refine_s
    views_s = 0.0
    if pose is not None and person is not None:
        overlay_started = time.perf_counter()
        mesh = exporter.mesh(pose)
        exporter.draw(mesh, photo, person, scene, views=False)
        times["overlay"] = time.perf_counter() - overlay_started
        views_started = time.perf_counter()
        exporter.draw(mesh)  # the views alone, from the same mesh
        views_s = time.perf_counter() - views_started
    else:
        times["overlay"] = 0.0
    times["total"] = time.perf_counter() - started - views_s
    times["front + side views"] = views_s
    return times, reply, person


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", type=Path, default=None, help=f"photo with two people (default {PHOTO})")
    parser.add_argument("--scene", action="store_true", help="use a rendered eval scene with two people instead")
    parser.add_argument("--checkpoint", default=None, help="PoseGPT checkpoint (default: the default checkpoint)")
    parser.add_argument("--runs", type=int, default=3, help="warm runs per thread count after the cold one (default 3)")
    parser.add_argument("--threads", default="1,2",
                        help="comma list of torch thread counts, run interleaved (default 1,2; the app uses torch's "
                             "default, the number of cores)")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    args = parser.parse_args()
    thread_counts = [int(value) for value in args.threads.split(",") if value.strip()]

    from posegpt.artifacts import PoseExporter
    from posegpt.body import describe_choice, load_body_model
    from posegpt.engine import Engine
    from posegpt.model import load_posegpt
    from posegpt.render import Renderer

    photo, photo_name = load_photo(args.photo, args.scene)
    load_before = os.getloadavg()[0]
    model, description = load_posegpt(args.checkpoint)
    model = model.merge_for_inference()
    reads_people = model.reads_people
    finder = TimedFinder()
    engine = Engine(model, vision=finder if reads_people else None)
    body = load_body_model("auto")
    warm: dict[int, list[dict[str, float]]] = {count: [] for count in thread_counts}
    with Renderer(width=384, height=512) as renderer:  # the app's renderer
        exporter = PoseExporter(body, renderer)
        torch.set_num_threads(thread_counts[0])
        cold, reply, person = one_run(engine, finder, exporter, photo, reads_people, args.max_new_tokens)
        for _ in range(args.runs):
            for count in thread_counts:  # interleaved: the shared machine's load changes under both alike
                torch.set_num_threads(count)
                times, reply, person = one_run(engine, finder, exporter, photo, reads_people, args.max_new_tokens)
                warm[count].append(times)
        backend = renderer.backend

    print(f"\n{datetime.date.today()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__}, renderer {backend}; 1-min load average "
          f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (other work shares this machine)")
    found = len(finder.scene.people)
    print(f"Photo: {photo_name}, {found} {'person' if found == 1 else 'people'} found. Model: {description}. "
          f"{describe_choice(body)}")
    if not reads_people:
        print("\n**This checkpoint cannot read photos (model.reads_people is False).** Its LLM stage is timed with "
              "the people block as plain text (same prompt length, no pointer); refine and overlay use person 1.")
    print(f"Question: {QUESTION!r} → {reply!r} (person {person + 1 if person is not None else '–'})\n")
    columns = [f"{count} torch thread{'s' if count > 1 else ''}, median of {args.runs} (s)" for count in thread_counts]
    print(f"| stage | {' | '.join(columns)} | cold run 1, {thread_counts[0]} thread(s) (s) |")
    print("|---|" + "---:|" * (len(columns) + 1))
    for name in (*STAGES, "total", "front + side views"):
        label = f"**{name}**" if name == "total" else name
        cells = [f"{statistics.median(t[name] for t in warm[count]):.2f}" if warm[count] else "–" for count in thread_counts]
        print(f"| {label} | {' | '.join(cells)} | {cold[name]:.2f} |")
    print(f"\nTotal = photo in → reply with pose and overlay out (the views after it not counted); target ≤ {TARGET_S:.0f} s:")
    for count in thread_counts:
        if warm[count]:
            total = statistics.median(t["total"] for t in warm[count])
            print(f"- {count} thread(s): {'met' if total <= TARGET_S else 'NOT met'} ({total:.2f} s)")


if __name__ == "__main__":
    main()
