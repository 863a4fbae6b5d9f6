"""Contact sheets of the hand-authored named poses: each pose from the front and the side, labelled.

    .venv/bin/python bench/contact_sheet.py --catalogue actions --output assets/contact_sheets/actions.png
    .venv/bin/python bench/contact_sheet.py --only squat lunge --output /tmp/two.png
    .venv/bin/python bench/contact_sheet.py --catalogue postures --per-sheet 60 --output assets/contact_sheets/postures.png

Why: the poses in posegpt/data/catalogues/{postures,actions}.yaml are written as joint turns, and
a turn with the wrong sign (an arm through the chest, a knee bent forwards, the wrong side) is
easy to write and hard to see in numbers. Every pose is checked by looking at its render; this
draws them all the way the app does (one `PoseExporter`: body model → mesh → front + side
views) into one grid so a person can look at many at once. With `--per-sheet N` the grid is
split into several files, `<stem>-1.png`, `<stem>-2.png`, … (kept small enough to open).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from posegpt.artifacts import PoseExporter
from posegpt.body import load_body_model
from posegpt.data.catalogue import POSE_FILES, load
from posegpt.data.named_poses import named_pose
from posegpt.render import Renderer

LABEL_HEIGHT = 18  # pixels of caption strip above each cell


def select_names(catalogue: str, only: list[str] | None) -> list[str]:
    """Pose names to draw, in catalogue order: a catalogue's ("all": every pose file), or `only`."""
    files = POSE_FILES if catalogue == "all" else (catalogue,)
    known = [name for file in files for name in load(file)]
    if not only:
        return known
    everywhere = {name for file in POSE_FILES for name in load(file)}
    unknown = [name for name in only if name not in everywhere]
    if unknown:
        raise SystemExit(f"unknown pose names: {', '.join(unknown)}")
    return list(only)


def draw_cells(names: list[str], exporter: PoseExporter) -> list[np.ndarray]:
    """One labelled picture (H, W, 3) uint8 per pose: its front and side views under its name."""
    font = ImageFont.load_default()
    cells = []
    for name in names:
        views = exporter.draw(named_pose(name)).views  # (H, 2H, 3) front | side
        assert views is not None
        cell = Image.new("RGB", (views.shape[1], views.shape[0] + LABEL_HEIGHT), "white")
        cell.paste(Image.fromarray(views), (0, LABEL_HEIGHT))
        ImageDraw.Draw(cell).text((4, 3), name, fill=(0, 0, 0), font=font)
        cells.append(np.asarray(cell))
    return cells


def grid(cells: list[np.ndarray], columns: int) -> Image.Image:
    """Cells laid out row by row, separated by thin grey lines."""
    height, width = cells[0].shape[:2]
    rows = math.ceil(len(cells) / columns)
    sheet = Image.new("RGB", (columns * (width + 2), rows * (height + 2)), (180, 180, 180))
    for index, cell in enumerate(cells):
        row, column = divmod(index, columns)
        sheet.paste(Image.fromarray(cell), (column * (width + 2), row * (height + 2)))
    return sheet


def sheet_paths(output: Path, pages: int) -> list[Path]:
    """`output` itself for one page, else `<stem>-1<suffix>`, `<stem>-2<suffix>`, …"""
    if pages == 1:
        return [output]
    return [output.with_name(f"{output.stem}-{page}{output.suffix}") for page in range(1, pages + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", default="all", choices=("all", *POSE_FILES))
    parser.add_argument("--only", nargs="+", help="draw just these pose names (any catalogue)")
    parser.add_argument("--output", type=Path, required=True, help="PNG file to write")
    parser.add_argument("--columns", type=int, default=5, help="poses per row")
    parser.add_argument("--size", type=int, default=192, help="pixels of each view's side")
    parser.add_argument("--per-sheet", type=int, default=0, help="split into files of at most N poses (0: one file)")
    parser.add_argument("--body", default="auto", help="body model: auto, anny, smpl, smplx")
    parser.add_argument("--backend", default="auto", choices=("auto", "gl", "software"))
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the machine is shared)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    names = select_names(args.catalogue, args.only)
    per_sheet = args.per_sheet or len(names)
    pages = [names[start:start + per_sheet] for start in range(0, len(names), per_sheet)]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with Renderer(width=args.size, height=args.size, backend=args.backend) as renderer:
        exporter = PoseExporter(load_body_model(args.body), renderer)
        for page, path in zip(pages, sheet_paths(args.output, len(pages))):
            grid(draw_cells(page, exporter), args.columns).save(path, optimize=True)
            print(f"{path}: {len(page)} poses")


if __name__ == "__main__":
    main()
