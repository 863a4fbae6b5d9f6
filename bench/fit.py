"""Benchmark the SMPL fit to BlazePose landmarks: speed per person and accuracy on held-out poses.

    .venv/bin/python bench/fit.py [--yaws 4] [--repeats 15] [--overlay fit.png]

Poses: the eval split's named poses and mocap frames (never trained on), each under random yaws
in ±70°, turned into landmarks by `synthetic_landmarks` (the generator of the training data).
Prints markdown tables:
- ms per person for batches of 1, 2 and 6 people (median of ``--repeats`` fits; 1 thread, the
  default, and torch's own thread count for comparison), the issue's target being ≤ 200 ms;
- PA-MPJPE and MPJPE (mm, 24 joints; MPJPE root-aligned only, so it also scores the global
  orientation in the camera-aligned frame) by noise level, for a constant mean pose (the train
  split's chordal mean), the analytic start alone (0 iterations) and the full fit, side by side
  in one run; plus the root's orientation error.
``--overlay`` renders a fitted synthetic person over a blank frame with the fitted camera and
the landmarks' image points, to check the camera by eye.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time

import numpy as np
import torch

from posegpt.data.conversations import library_items, mocap_items
from posegpt.eval.metrics import mpjpe, pa_mpjpe
from posegpt.pose import NUM_JOINTS, axis_angle_to_matrix, forward_kinematics
from posegpt.vision import fit as fit_module
from posegpt.vision.fit import DEFAULT_ITERATIONS, fit_person, fit_poses, landmark_points, synthetic_landmarks
from posegpt.vision.people import PersonLandmarks

CONDITIONS = (  # name, synthetic_landmarks options, body size/bone spread
    ("noise 1 cm", {"noise_m": 0.01}, 0.0),
    ("noise 2 cm", {"noise_m": 0.02}, 0.0),
    ("noise 3 cm", {"noise_m": 0.03}, 0.0),
    ("noise 2 cm, depth 4 cm, size and bones ±5 %", {"noise_m": 0.02, "depth_noise_m": 0.04}, 0.05),
    ("noise 2 cm, 10 % occluded", {"noise_m": 0.02, "drop_prob": 0.1}, 0.0),
    ("noise 2 cm, lower body cut (hips/knees/ankles)", {"noise_m": 0.02, "truncate_prob": 1.0}, 0.0),
)


def heldout_rotations(yaws: int, seed: int = 0) -> torch.Tensor:
    """(N, 24, 3, 3) eval-split poses, each under `yaws` random turns in ±70° about the vertical."""
    items = library_items("eval") + mocap_items("eval")
    base = torch.cat([item.pose.rotation_matrices() for item in items]).repeat(yaws, 1, 1, 1)  # (N, 24, 3, 3)
    generator = torch.Generator().manual_seed(seed)
    yaw = (torch.rand(len(base), generator=generator) * 2 - 1) * math.radians(70)
    turn = axis_angle_to_matrix(torch.stack([torch.zeros_like(yaw), yaw, torch.zeros_like(yaw)], dim=-1))
    rotations = base.clone()
    rotations[:, 0] = turn @ base[:, 0]
    return rotations


def mean_pose() -> torch.Tensor:
    """(24, 3, 3) the train split's chordal mean pose: per joint, the rotation nearest the mean matrix."""
    items = library_items("train") + mocap_items("train")
    mean = torch.cat([item.pose.rotation_matrices() for item in items]).double().mean(0)  # (24, 3, 3)
    u, _, vt = torch.linalg.svd(mean)
    fix = torch.ones(NUM_JOINTS, 3, dtype=mean.dtype)
    fix[:, 2] = torch.linalg.det(u @ vt).sign()
    return (u * fix[:, None, :] @ vt).float()


def random_skeletons(batch: int, spread: float, seed: int) -> torch.Tensor:
    """(B, 24, 3) rest joints of bodies whose size and bone-group lengths vary by `spread`."""
    generator = torch.Generator().manual_seed(seed)
    size = torch.exp(spread * torch.randn(batch, generator=generator))  # (B,)
    factors = torch.ones(batch, NUM_JOINTS)
    for group in fit_module._BONE_GROUPS:
        factors[:, [fit_module._J[name] for name in group]] = (1 + spread * torch.randn(batch, 1, generator=generator)).clamp(0.7, 1.3)
    bones = fit_module._rest_bones(fit_module.REST_JOINTS) * factors[..., None] * size[:, None, None]  # (B, 24, 3)
    identity = torch.eye(3).expand(batch, NUM_JOINTS, 3, 3)
    return fit_module._forward_transforms(identity, bones)[..., :3, 3]


def _angle_deg(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    trace = (a.transpose(-1, -2) @ b).diagonal(dim1=-2, dim2=-1).sum(-1)
    return torch.rad2deg(torch.arccos(((trace - 1) / 2).clamp(-1.0, 1.0)))


def accuracy_table(rotations: torch.Tensor, iterations: int) -> list[str]:
    baseline = mean_pose().expand_as(rotations)
    lines = [
        f"| landmarks ({len(rotations)} held-out people) | mean pose: PA-MPJPE / MPJPE | start only (0 it.) | "
        f"**fit ({iterations} it.)** | fit PA-MPJPE median / p90 | root orientation error, median / p90 ° |",
        "|---|---|---|---|---|---|",
    ]
    for index, (name, options, spread) in enumerate(CONDITIONS):
        seed = 100 + index
        rest = random_skeletons(len(rotations), spread, seed) if spread > 0 else fit_module.REST_JOINTS
        points, visibility = synthetic_landmarks(rotations, generator=torch.Generator().manual_seed(seed), rest_joints=rest, **options)
        truth = forward_kinematics(rotations, rest)[1]  # (N, 24, 3) the joints the landmarks came from
        base_joints = forward_kinematics(baseline)[1]
        start = fit_poses(points, visibility, iterations=0)
        result = fit_poses(points, visibility, iterations=iterations)
        # MPJPE: the fitted skeleton at its fitted size, so body-size changes are not counted as pose error.
        pa, mp = pa_mpjpe(result.joints, truth), mpjpe(result.placed_joints(), truth)
        root = _angle_deg(result.rotations[:, 0], rotations[:, 0])
        lines.append(
            f"| {name} | {pa_mpjpe(base_joints, truth).mean():.0f} / {mpjpe(base_joints, truth).mean():.0f} | "
            f"{pa_mpjpe(start.joints, truth).mean():.1f} / {mpjpe(start.placed_joints(), truth).mean():.1f} | "
            f"**{pa.mean():.1f} / {mp.mean():.1f}** | {pa.median():.1f} / {pa.quantile(0.9):.1f} | "
            f"{root.median():.1f} / {root.quantile(0.9):.1f} |"
        )
    return lines


def speed(rotations: torch.Tensor, repeats: int, iterations: int) -> list[str]:
    points, visibility = synthetic_landmarks(rotations, generator=torch.Generator().manual_seed(7), noise_m=0.02)
    fit_poses(points[:2], visibility[:2], iterations=5)  # warm-up
    threads = torch.get_num_threads()
    settings = [(True, "1 (default)")] + ([(False, f"{threads} (torch's)")] if threads > 1 else [])
    lines = ["| people per fit | threads | ms per person (median) | ms per fit, min–max |", "|---|---|---|---|"]
    for batch in (1, 2, 6):
        for single_thread, label in settings:
            times = []
            for repeat in range(repeats):
                start = (repeat * batch) % (len(rotations) - batch)
                started = time.perf_counter()
                fit_poses(points[start : start + batch], visibility[start : start + batch], iterations=iterations,
                          single_thread=single_thread)
                times.append(time.perf_counter() - started)
            lines.append(f"| {batch} | {label} | **{1000 * statistics.median(times) / batch:.0f}** | "
                         f"{1000 * min(times):.0f}–{1000 * max(times):.0f} |")
    return lines


def overlay_check(path: str) -> str:
    """Fit a synthetic person seen through a known camera; draw the fit with the fitted camera."""
    from PIL import Image, ImageDraw

    from posegpt.artifacts import PoseExporter
    from posegpt.body import AnnyBody
    from posegpt.photo import read_photo
    from posegpt.render import Camera, Renderer

    item = next(item for item in library_items("eval") if item.label.startswith("soccer_kick_left"))
    rotations = item.pose.rotation_matrices().clone()
    rotations[:, 0] = axis_angle_to_matrix(torch.tensor([0.0, math.radians(35), 0.0])) @ rotations[:, 0]
    known = Camera(230.0, 330.0, 250.0)
    _, model = landmark_points(rotations)  # (1, 33, 3) pelvis at the origin
    model = model[0].numpy()
    image_points = np.stack([known.scale * model[:, 0] + known.tx, -known.scale * model[:, 1] + known.ty], axis=1)
    world, visibility = synthetic_landmarks(rotations, generator=torch.Generator().manual_seed(3), noise_m=0.01)
    box = (*image_points.min(0), *image_points.max(0))
    landmarks = PersonLandmarks(tuple(float(v) for v in box), image_points.astype(np.float32),
                                visibility[0].numpy(), world[0].numpy(), 0.9)
    fitted = fit_person(landmarks)
    body = AnnyBody()
    frame = np.full((500, 640, 3), 235, dtype=np.uint8)
    with Renderer(640, 500) as renderer:
        exporter = PoseExporter(body, renderer)
        overlay = exporter.draw(fitted.pose, read_photo(frame), camera=fitted.camera, views=False).overlay
    picture = overlay if overlay is not None else frame
    image = Image.fromarray(picture)
    draw = ImageDraw.Draw(image)
    for u, v in image_points:
        draw.ellipse((u - 3, v - 3, u + 3, v + 3), fill=(220, 30, 30))
    image.save(path)
    c = fitted.camera
    pa = pa_mpjpe(fitted.pose.joints(), forward_kinematics(rotations)[1]).item()
    return (f"overlay → {path}: known camera s={known.scale:.1f} tx={known.tx:.1f} ty={known.ty:.1f}; "
            f"fitted s={c.scale:.1f} tx={c.tx:.1f} ty={c.ty:.1f}; PA-MPJPE {pa:.1f} mm; fit error {1000 * fitted.fit_error_m:.1f} mm")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--yaws", type=int, default=4, help="random yaws per held-out pose")
    parser.add_argument("--repeats", type=int, default=15, help="timed fits per batch size")
    parser.add_argument("--iterations", type=int, default=DEFAULT_ITERATIONS)
    parser.add_argument("--overlay", default="", help="write the camera check image here (PNG)")
    args = parser.parse_args()

    started = time.perf_counter()
    rotations = heldout_rotations(args.yaws)
    print(f"# SMPL fit to BlazePose landmarks — {platform.machine()}, {torch.get_num_threads()} torch threads, "
          f"torch {torch.__version__}, {args.iterations} iterations\n")
    print("\n".join(speed(rotations, args.repeats, args.iterations)))
    print()
    print("\n".join(accuracy_table(rotations, args.iterations)))
    if args.overlay:
        print()
        print(overlay_check(args.overlay))
    print(f"\n(bench ran {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
