"""Benchmark the pose → mesh → picture → 3D-file chain on this machine.

    .venv/bin/python bench/render.py [--repeats 30] [--size 512] [--backend auto]

Prints a Markdown table of the median (and p90) time of each stage over N runs, after warm-up,
and the whole chain. Poses cycle through the built-in named poses so no result is cached.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

from posegpt.body import AnnyBody
from posegpt.data.named_poses import NAMED_POSES, named_pose
from posegpt.render import Renderer, export_glb, export_obj


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--backend", default="auto", choices=("auto", "gl", "software"))
    parser.add_argument("--threads", type=int, default=2, help="torch threads (this machine has 2 cores)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    poses = [named_pose(name) for name in NAMED_POSES]
    body = AnnyBody()
    stages: dict[str, list[float]] = {name: [] for name in
        ("pose → mesh", "mesh → image (front)", "image → PNG bytes", "mesh → .glb", "whole chain", "front+side image", "mesh → .obj")}
    with Renderer(width=args.size, height=args.size, backend=args.backend) as renderer, tempfile.TemporaryDirectory() as tmp:
        glb_path, obj_path = Path(tmp) / "body.glb", Path(tmp) / "body.obj"
        for run in range(args.repeats + 3):  # the first 3 runs warm up caches and the GL context
            pose = poses[run % len(poses)]
            t0 = time.perf_counter()
            vertices, faces = body(pose).mesh(0)
            t1 = time.perf_counter()
            image = renderer.render(vertices, faces, view="front")
            t2 = time.perf_counter()
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="PNG")
            t3 = time.perf_counter()
            export_glb(vertices, faces, glb_path)
            t4 = time.perf_counter()
            renderer.render_views(vertices, faces, views=("front", "side"))
            t5 = time.perf_counter()
            export_obj(vertices, faces, obj_path)
            t6 = time.perf_counter()
            if run < 3:
                continue
            for name, value in (("pose → mesh", t1 - t0), ("mesh → image (front)", t2 - t1),
                                ("image → PNG bytes", t3 - t2), ("mesh → .glb", t4 - t3),
                                ("whole chain", t4 - t0), ("front+side image", t5 - t4), ("mesh → .obj", t6 - t5)):
                stages[name].append(value * 1000)
        backend = renderer.backend

    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch threads {args.threads}; "
          f"renderer: {backend}; {args.size}x{args.size}; median of {args.repeats} runs\n")
    print("| stage | median ms | p90 ms |")
    print("|---|---:|---:|")
    for name, values in stages.items():
        label = f"**{name}**" if name == "whole chain" else name
        print(f"| {label} | {statistics.median(values):.1f} | {_percentile(values, 0.9):.1f} |")
    print("\n'whole chain' = pose → mesh → front image → PNG → .glb; the last two rows are extras.")


if __name__ == "__main__":
    main()
