"""`python -m posegpt …`: one typed function per sub-command, argparse only parses.

Errors a user can fix (bad pose file, missing SMPL files, unreadable photo) print one line to
stderr and exit with status 2; they never end in a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from posegpt.body.base import BodyModelError
from posegpt.pose import PoseError

VIEWS = ("front", "side", "back", "top")


class UserError(Exception):
    """A problem with the user's input; printed as one line, exit status 2."""


def _parse_views(text: str) -> tuple[str, ...]:
    views = tuple(view.strip() for view in text.split(",") if view.strip())
    unknown = [view for view in views if view not in VIEWS]
    if not views or unknown:
        raise argparse.ArgumentTypeError(f"views must be a comma list of {', '.join(VIEWS)}; got {text!r}")
    return views


def render(
    pose: Path | None,
    out: Path,
    example: str | None = None,
    index: int = 0,
    glb: Path | None = None,
    obj: Path | None = None,
    image: Path | None = None,
    camera: str | None = None,
    body: str = "auto",
    views: tuple[str, ...] = ("front", "side"),
    size: int = 512,
    backend: str = "auto",
) -> int:
    """Render one pose of a pose file (or a named example pose) to PNG, and optionally .glb/.obj."""
    from PIL import Image

    from posegpt.body import describe_choice, load_body_model
    from posegpt.data.named_poses import named_pose
    from posegpt.pose import Pose
    from posegpt.render import Camera, Renderer, export_glb, export_obj

    if (pose is None) == (example is None):
        raise UserError("give exactly one of --pose FILE.npz or --example NAME")
    if example is not None:
        try:
            poses = named_pose(example)
        except KeyError as error:
            raise UserError(str(error.args[0])) from None
    else:
        poses = Pose.load_npz(pose)  # type: ignore[arg-type]
    if not -len(poses) <= index < len(poses):
        raise UserError(f"--index {index} is out of range: the file holds {len(poses)} pose(s)")
    selected = poses[index]

    started = time.perf_counter()
    body_model = load_body_model(body)
    print(describe_choice(body_model), file=sys.stderr)
    vertices, faces = body_model(selected).mesh(0)

    photo = None
    if image is not None:
        try:
            with Image.open(image) as handle:
                photo = np.asarray(handle.convert("RGB"))
        except (OSError, ValueError) as error:
            raise UserError(f"cannot read the photo {image}: {error}") from None
    elif camera is not None:
        raise UserError("--camera only makes sense with --image")

    with Renderer(width=size, height=size, backend=backend) as renderer:
        if photo is not None:
            cam = Camera.parse(camera) if camera else _fit_camera(vertices, photo.shape[1], photo.shape[0])
            picture = renderer.overlay(vertices, faces, photo, cam)
        else:
            picture = renderer.render_views(vertices, faces, views=views)
        backend_name = renderer.backend
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(picture).save(out)
    written = [str(out)]
    if glb is not None:
        written.append(str(export_glb(vertices, faces, glb)))
    if obj is not None:
        written.append(str(export_obj(vertices, faces, obj)))
    elapsed = time.perf_counter() - started
    print(f"Rendered with {backend_name} in {elapsed:.2f} s: {', '.join(written)}")
    return 0


def _fit_camera(vertices: np.ndarray, width: int, height: int) -> "object":
    """A weak-perspective camera that places the body in the middle of the photo at 80 % height."""
    from posegpt.render import Camera

    low, high = vertices.min(axis=0), vertices.max(axis=0)  # (3,), (3,)
    scale = 0.8 * height / max(float(high[1] - low[1]), 1e-6)
    centre = (low + high) / 2
    return Camera(scale=scale, tx=width / 2 - scale * float(centre[0]), ty=height / 2 + scale * float(centre[1]))


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m posegpt", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    render_parser = commands.add_parser(
        "render",
        help="render a pose file to PNG (+ .glb/.obj)",
        description="Render a pose (.npz with global_orient (N,3), body_pose (N,69)) as a picture and 3D files.",
    )
    source = render_parser.add_argument_group("pose source (one of)")
    source.add_argument("--pose", type=Path, help="pose file (.npz, smplx key names)")
    source.add_argument("--example", help="a built-in named pose, e.g. arms_up, squat, wave_left_hand")
    render_parser.add_argument("--out", type=Path, required=True, help="output PNG")
    render_parser.add_argument("--index", type=int, default=0, help="which pose of the file (default 0)")
    render_parser.add_argument("--glb", type=Path, help="also write the mesh as .glb (Y-up)")
    render_parser.add_argument("--obj", type=Path, help="also write the mesh as .obj")
    render_parser.add_argument("--image", type=Path, help="photo to draw the body onto")
    render_parser.add_argument("--camera", help="weak-perspective camera 's,tx,ty' in pixels (with --image)")
    render_parser.add_argument(
        "--body", choices=("auto", "anny", "smpl", "smplx"), default="auto",
        help="body model: auto = SMPL if its files are installed, else Anny",
    )
    render_parser.add_argument("--views", type=_parse_views, default=("front", "side"),
                               help="comma list of front,side,back,top (default front,side)")
    render_parser.add_argument("--size", type=int, default=512, help="pixels per view (default 512)")
    render_parser.add_argument("--backend", choices=("auto", "gl", "software"), default="auto",
                               help="renderer backend (default auto: GL if available)")
    render_parser.set_defaults(handler=render)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = vars(_build_parser().parse_args(argv))
    args.pop("command")
    handler: Callable[..., int] = args.pop("handler")
    try:
        return handler(**args)
    except (UserError, PoseError, BodyModelError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
