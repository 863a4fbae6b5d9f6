"""The SMPL fit to BlazePose landmarks (posegpt/vision/fit.py) on held-out synthetic landmarks.

Held-out poses are the eval split's library poses (never trained on), turned by random yaws;
`synthetic_landmarks` makes what BlazePose would report for them. Bounds sit well above what
the fit reaches (bench/fit.py: PA-MPJPE ≈ 11 mm at 1 cm noise) and well below what the
analytic start alone or a constant pose reaches, so a broken fit fails them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from posegpt.data.conversations import library_items
from posegpt.eval.metrics import mpjpe, pa_mpjpe
from posegpt.pose import Pose, axis_angle_to_matrix, forward_kinematics
from posegpt.render import Camera
from posegpt.vision import fit
from posegpt.vision.fit import (
    JOINT_LANDMARKS,
    MIN_SEEN_LANDMARKS,
    fit_camera,
    fit_people,
    fit_person,
    fit_poses,
    landmark_points,
    neutral_rotations,
    refine_pose,
    synthetic_landmarks,
)
from posegpt.vision.people import NUM_LANDMARKS, PersonLandmarks

LEGS = tuple(fit._J[f"{side}_{part}"] for side in ("left", "right") for part in ("hip", "knee", "ankle", "foot"))
ARMS = tuple(fit._J[f"{side}_{part}"] for side in ("left", "right") for part in ("shoulder", "elbow", "wrist"))


def _turned(rotations: torch.Tensor, yaw_deg: torch.Tensor) -> torch.Tensor:
    """(N, 24, 3, 3) poses turned about the vertical by (N,) degrees (camera-aligned frame)."""
    yaw = torch.deg2rad(yaw_deg)
    turn = axis_angle_to_matrix(torch.stack([torch.zeros_like(yaw), yaw, torch.zeros_like(yaw)], dim=-1))
    turned = rotations.clone()
    turned[:, 0] = turn @ rotations[:, 0]
    return turned


@pytest.fixture(scope="module")
def heldout() -> torch.Tensor:
    """(N, 24, 3, 3) eval-split library poses, each turned by a random yaw in ±70°."""
    rotations = torch.cat([item.pose.rotation_matrices() for item in library_items("eval")])
    yaw = (torch.rand(len(rotations), generator=torch.Generator().manual_seed(0)) * 2 - 1) * 70
    return _turned(rotations, yaw)


@pytest.fixture(scope="module")
def plausible_train() -> torch.Tensor:
    """(M, 24, 3, 3) train-split library poses the fit's joint limits accept as they are."""
    rotations = torch.cat([item.pose.rotation_matrices() for item in library_items("train")])
    return rotations[fit._prior_terms(rotations) < 1e-4]


def _angle_deg(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) pairs → (...) geodesic angle between them in degrees."""
    trace = (a.transpose(-1, -2) @ b).diagonal(dim1=-2, dim2=-1).sum(-1)
    return torch.rad2deg(torch.arccos(((trace - 1) / 2).clamp(-1.0, 1.0)))


def _numbers(camera: Camera) -> tuple[float, float, float]:
    return (camera.scale, camera.tx, camera.ty)


def _person(rotations: torch.Tensor, camera: Camera, noise_m: float = 0.0, seed: int = 0,
            visibility: np.ndarray | None = None) -> PersonLandmarks:
    """One person's landmarks as the detector reports them: (1, 24, 3, 3) → image points seen
    through `camera` (weak perspective of the pelvis-centred body), noisy world points."""
    _, model = landmark_points(rotations)  # (1, 33, 3) pelvis at the origin
    model = model[0].numpy()
    image = np.stack([camera.scale * model[:, 0] + camera.tx, -camera.scale * model[:, 1] + camera.ty], axis=1)
    world, seen = synthetic_landmarks(rotations, generator=torch.Generator().manual_seed(seed), noise_m=noise_m)
    box = (*image.min(0), *image.max(0))
    return PersonLandmarks(tuple(float(v) for v in box), image.astype(np.float32),
                           seen[0].numpy() if visibility is None else visibility.astype(np.float32),
                           world[0].numpy(), 0.9)


def test_fast_forward_kinematics_matches_pose_module() -> None:
    rotations = axis_angle_to_matrix(0.6 * torch.randn(5, 24, 3, generator=torch.Generator().manual_seed(1)))
    world, joints = forward_kinematics(rotations)
    transforms = fit._forward_transforms(rotations, fit._rest_bones(fit.REST_JOINTS)[None])
    torch.testing.assert_close(transforms[..., :3, :3], world, atol=1e-5, rtol=0)
    torch.testing.assert_close(transforms[..., :3, 3], joints, atol=1e-5, rtol=0)


def test_synthetic_landmarks_frame_and_options(heldout: torch.Tensor) -> None:
    points, seen = synthetic_landmarks(heldout[:4], generator=torch.Generator().manual_seed(2), noise_m=0.01, truncate_prob=1.0)
    assert points.shape == (4, NUM_LANDMARKS, 3) and seen.shape == (4, NUM_LANDMARKS)
    torch.testing.assert_close(points[:, list(fit._HIPS)].mean(1), torch.zeros(4, 3), atol=1e-6, rtol=0)  # BlazePose origin
    assert (seen[:, 27:] < 0.1).all() and (seen[:, :23] == 1).all()  # every cut takes the feet, none the arms
    # An upright person facing the camera: head up (+y), nose towards the camera (+z), left on +x.
    upright, _ = synthetic_landmarks(torch.eye(3).expand(1, 24, 3, 3))
    nose, left_hip, right_hip = upright[0, 0], upright[0, fit._L["left_hip"]], upright[0, fit._L["right_hip"]]
    assert nose[1] > 0.4 and nose[2] > 0.05 and left_hip[0] > right_hip[0]
    with pytest.raises(ValueError, match="noise_m"):
        synthetic_landmarks(heldout[:1], noise_m=-1.0)
    with pytest.raises(ValueError, match="shape"):
        synthetic_landmarks(torch.zeros(24, 2, 3))


def test_recovers_heldout_poses_from_noisy_landmarks(heldout: torch.Tensor) -> None:
    _, truth = forward_kinematics(heldout)  # (N, 24, 3)
    points, seen = synthetic_landmarks(heldout, generator=torch.Generator().manual_seed(3), noise_m=0.01)
    start = fit_poses(points, seen, iterations=0)
    result = fit_poses(points, seen)
    assert result.valid.all() and result.rotations.shape == heldout.shape
    error = pa_mpjpe(result.joints, truth)  # (N,) mm
    assert error.mean() < 18.0, error  # measured ≈ 10–11 mm
    assert error.mean() < 0.75 * pa_mpjpe(start.joints, truth).mean()  # the optimisation does the work
    # Not aligned by any rotation: the fitted pose is in the landmarks' (camera-aligned) frame.
    assert mpjpe(result.joints, truth).mean() < 25.0
    assert _angle_deg(result.rotations[:, 0], heldout[:, 0]).median() < 6.0
    assert (1000 * result.error_m).mean() < 25.0  # 3D noise of 1 cm per axis ≈ 16 mm per point


@pytest.mark.parametrize("yaw_deg", [180.0, 90.0, -120.0])
def test_global_orientation_follows_the_facing(yaw_deg: float) -> None:
    """Facing away or sideways: the fitted root turns with the body (no mirror, no flip)."""
    rotations = _turned(axis_angle_to_matrix(torch.zeros(1, 24, 3)), torch.tensor([yaw_deg]))
    points, seen = synthetic_landmarks(rotations, generator=torch.Generator().manual_seed(4), noise_m=0.01)
    result = fit_poses(points, seen)
    assert _angle_deg(result.rotations[0, 0], rotations[0, 0]) < 10.0


def test_fitted_joints_lie_on_the_landmarks(heldout: torch.Tensor) -> None:
    points, seen = synthetic_landmarks(heldout, scale_std=0.05, generator=torch.Generator().manual_seed(5))
    result = fit_poses(points, seen)
    marks, joints = [m for m, _ in JOINT_LANDMARKS], [j for _, j in JOINT_LANDMARKS]
    distance = (result.placed_joints()[:, joints] - points[:, marks]).norm(dim=-1)  # (N, 12) metres
    assert distance.mean() < 0.012 and distance.median() < 0.008
    assert (result.placed(result.points) - points).norm(dim=-1).mean() < 0.015
    assert (result.scale - 1).abs().max() > 0.02  # sizes differ, and the fit follows them
    # `joints` stay in the pelvis-centred body frame the camera and the body models use.
    torch.testing.assert_close(result.joints[:, 0], torch.zeros(len(heldout), 3))
    # Landmarks with another origin: the same pose, placed where they are.
    shift = torch.tensor([0.05, -0.3, 0.4])
    shifted = fit_poses(points + shift, seen)
    moved = (shifted.placed_joints() - result.placed_joints() - shift).norm(dim=-1)  # (N, 24) metres
    # Not to the last bit: a shift of 1 µm already moves joints by ≈ 1 mm (Adam's normalised
    # steps amplify rounding), and this one by ≈ 2.4 mm on average.
    assert moved.mean() < 0.005 and moved.max() < 0.03
    assert _angle_deg(shifted.rotations, result.rotations).median() < 1.0


def test_unseen_legs_follow_the_prior_in_refine_pose(heldout: torch.Tensor, plausible_train: torch.Tensor) -> None:
    camera = Camera(300.0, 320.0, 240.0)
    truth = heldout[:6]
    priors = plausible_train[torch.linspace(0, len(plausible_train) - 1, 6).long()]
    for index in range(6):
        visibility = np.ones(NUM_LANDMARKS, np.float32)
        visibility[list(fit.LOWER_BODY)] = 0.05  # knees and below: out of frame
        person = _person(truth[index : index + 1], camera, noise_m=0.01, seed=index, visibility=visibility)
        world = person.world_points.copy()
        world[list(fit.LOWER_BODY)] += 0.3  # the detector's guesses there are wrong
        person = PersonLandmarks(person.box, person.image_points, person.visibility, world, person.score)
        prior = Pose.from_rotation_matrices(priors[index : index + 1])
        refined = refine_pose(person, prior).rotation_matrices()[0]  # (24, 3, 3)
        leg_angles = _angle_deg(refined[list(LEGS)], priors[index, list(LEGS)])
        assert leg_angles.max() < 1.0, leg_angles
        # What the photo shows comes from the photo, not the prior.
        _, fitted_joints = forward_kinematics(refined[None])
        _, true_joints = forward_kinematics(truth[index : index + 1])
        arm_error = (fitted_joints[0, list(ARMS)] - fitted_joints[0, :1] - true_joints[0, list(ARMS)] + true_joints[0, :1]).norm(dim=-1)
        assert arm_error.mean() < 0.04, arm_error


def test_barely_seen_legs_stay_near_the_prior(heldout: torch.Tensor, plausible_train: torch.Tensor) -> None:
    """Visibility 0.15: the wrong guesses there count a little; the prior holds the legs."""
    truth = heldout[:8]
    priors = plausible_train[torch.linspace(0, len(plausible_train) - 1, 8).long()]
    points, seen = synthetic_landmarks(truth, generator=torch.Generator().manual_seed(8), noise_m=0.01)
    seen[:, list(fit.LOWER_BODY)] = 0.15
    points[:, list(fit.LOWER_BODY)] += 0.3
    result = fit_poses(points, seen, prior_rotations=priors)
    assert _angle_deg(result.rotations[:, list(LEGS)], priors[:, list(LEGS)]).mean() < 8.0  # measured ≈ 3°


def test_seen_legs_follow_the_landmarks_not_the_prior(heldout: torch.Tensor, plausible_train: torch.Tensor) -> None:
    truth = heldout[:6]
    priors = plausible_train[torch.linspace(0, len(plausible_train) - 1, 6).long()]
    points, seen = synthetic_landmarks(truth, generator=torch.Generator().manual_seed(6), noise_m=0.01)
    result = fit_poses(points, seen, prior_rotations=priors)
    _, true_joints = forward_kinematics(truth)
    _, prior_joints = forward_kinematics(priors)
    legs = [fit._J[f"{side}_{part}"] for side in ("left", "right") for part in ("knee", "ankle")]
    to_truth = (result.joints[:, legs] - true_joints[:, legs]).norm(dim=-1).mean()
    to_prior = (result.joints[:, legs] - prior_joints[:, legs]).norm(dim=-1).mean()
    assert to_truth < 0.04 and to_truth < 0.3 * to_prior


def test_joint_limits(heldout: torch.Tensor) -> None:
    """The limits accept the held-out poses as they are, penalise what bodies cannot do, and
    keep the fit within them even though noise alone would not."""
    terms = fit._prior_terms(heldout)  # (N,)
    # kneeling (knees 160°, ankles 65°) included; the deepest yoga poses of the 255-pose library
    # (low lunge 0.18, happy baby 0.11) are penalised mildly, bodies that cannot be far more (> 0.3)
    assert (terms < 0.05).float().mean() > 0.9 and terms.max() < 0.25
    rest = torch.eye(3).expand(1, 24, 3, 3)
    assert fit._prior_terms(rest).item() == pytest.approx(0.0, abs=1e-6)
    knee, elbow = fit._J["left_knee"], fit._J["left_elbow"]
    for joint, axis_angle in ((knee, [-0.6, 0.0, 0.0]),  # knee bent forwards
                              (knee, [0.0, 0.0, 0.8]),  # knee bent sideways
                              (elbow, [0.0, 0.6, 0.0]),  # elbow bent backwards
                              (fit._J["spine2"], [0.0, 0.0, 1.2])):  # spine folded sideways
        bent = rest.clone()
        bent[0, joint] = axis_angle_to_matrix(torch.tensor(axis_angle))
        assert fit._prior_terms(bent).item() > 0.3, (joint, axis_angle)
    flexed = rest.clone()
    flexed[0, knee] = axis_angle_to_matrix(torch.tensor([math.radians(155), 0.0, 0.0]))  # kneeling, sitting on heels
    assert fit._prior_terms(flexed).item() < 1e-3
    points, seen = synthetic_landmarks(heldout, generator=torch.Generator().manual_seed(9), noise_m=0.02)
    assert fit._prior_terms(fit_poses(points, seen).rotations).mean() < 0.5  # ≈ 0.08; ≈ 8 without the limits


def test_too_few_landmarks_give_the_prior_and_no_fit(heldout: torch.Tensor) -> None:
    points, seen = synthetic_landmarks(heldout[:3], generator=torch.Generator().manual_seed(7))
    seen[0] = 0.0
    seen[0, : MIN_SEEN_LANDMARKS - 1] = 1.0
    seen[1] = 0.0
    result = fit_poses(points, seen)
    assert result.valid.tolist() == [False, False, True]
    assert torch.isnan(result.error_m[:2]).all() and torch.isfinite(result.error_m[2])
    torch.testing.assert_close(result.rotations[:2], neutral_rotations(2))
    with_prior = fit_poses(points, seen, prior_rotations=heldout[:3])
    torch.testing.assert_close(with_prior.rotations[:2], heldout[:2])
    # Through the pipeline's entry points: a record with the box camera, and the head's pose kept.
    person = _person(heldout[:1], Camera(200.0, 300.0, 250.0), visibility=np.zeros(NUM_LANDMARKS))
    (fitted,) = fit_people([person])
    assert math.isnan(fitted.fit_error_m) and fitted.camera.scale > 0
    prior = Pose.from_rotation_matrices(heldout[1:2])
    np.testing.assert_allclose(refine_pose(person, prior).axis_angle().numpy(), prior.axis_angle().numpy(), atol=1e-5)


def test_malformed_landmarks_do_not_crash(heldout: torch.Tensor) -> None:
    camera = Camera(250.0, 320.0, 240.0)
    good = _person(heldout[:1], camera, noise_m=0.01)
    nan_world = good.world_points.copy()
    nan_world[[fit._L["left_wrist"], fit._L["nose"]]] = np.nan
    nan_visibility = good.visibility.copy()
    nan_visibility[[0, 5, 30]] = np.nan
    nan_image = good.image_points.copy()
    nan_image[:5] = np.nan
    people = [
        good,
        PersonLandmarks(good.box, good.image_points, good.visibility, nan_world, 0.9),  # some NaN points
        PersonLandmarks(good.box, good.image_points, nan_visibility, good.world_points, 0.9),
        PersonLandmarks(good.box, nan_image, good.visibility, good.world_points, 0.9),
        PersonLandmarks(good.box, good.image_points, good.visibility, good.world_points[:20], 0.9),  # wrong shape
        PersonLandmarks(good.box, good.image_points[:, :1], good.visibility, good.world_points, 0.9),
        PersonLandmarks(good.box, good.image_points, good.visibility[:-1], good.world_points, 0.9),
        PersonLandmarks(good.box, good.image_points, good.visibility, np.full((33, 3), np.nan, np.float32), 0.9),
        PersonLandmarks(good.box, good.image_points, good.visibility, "not points", 0.9),  # type: ignore[arg-type]
        PersonLandmarks((float("nan"),) * 4, good.image_points, good.visibility, good.world_points, 0.9),
    ]
    fitted = fit_people(people)
    assert len(fitted) == len(people)
    errors = [person.fit_error_m for person in fitted]
    assert all(np.isfinite(errors[i]) for i in (0, 1, 2, 3, 5, 9))  # the usable parts were fitted
    assert all(math.isnan(errors[i]) for i in (4, 6, 7, 8))  # unusable: no fit, flagged
    for person in fitted:
        assert np.isfinite(person.pose.axis_angle().numpy()).all() and person.camera.scale > 0
    assert abs(fitted[3].camera.scale / camera.scale - 1) < 0.1  # NaN image points left out of the camera
    prior = Pose.from_rotation_matrices(heldout[2:3])
    for person in people:
        assert np.isfinite(refine_pose(person, prior).axis_angle().numpy()).all()
    # Nothing places this person at all: a clear error, not a crash deep inside.
    lost = PersonLandmarks((0.0, 0.0, -1.0, -1.0), np.full((33, 2), np.nan, np.float32), good.visibility, good.world_points, 0.9)
    with pytest.raises(ValueError, match="person 1"):
        fit_people([good, lost])
    with pytest.raises(ValueError, match="PersonLandmarks"):
        fit_people([good.world_points])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="world_points"):
        fit_poses(torch.zeros(2, 30, 3), torch.ones(2, 30))
    with pytest.raises(ValueError, match="visibility"):
        fit_poses(torch.zeros(2, 33, 3), torch.ones(3, 33))
    assert len(fit_poses(torch.zeros(0, 33, 3), torch.zeros(0, 33))) == 0
    assert fit_people([]) == []


def test_batched_fit_equals_per_person_fit(heldout: torch.Tensor) -> None:
    camera = Camera(250.0, 320.0, 240.0)
    people = [_person(heldout[i : i + 1], camera, noise_m=0.02, seed=i) for i in range(3)]
    visibility = people[1].visibility.copy()
    visibility[list(fit.LOWER_BODY)] = 0.0
    people[1] = PersonLandmarks(people[1].box, people[1].image_points, visibility, people[1].world_points, 0.9)
    priors = [Pose.from_rotation_matrices(heldout[i + 3 : i + 4]) for i in range(3)]
    together = fit_people(people, prior_poses=priors)
    for person, prior, batched in zip(people, priors, together):
        alone = fit_person(person, prior_pose=prior)
        np.testing.assert_allclose(batched.pose.axis_angle().numpy(), alone.pose.axis_angle().numpy(), atol=1e-4)
        assert _numbers(batched.camera) == pytest.approx(_numbers(alone.camera), rel=1e-5)
        assert batched.fit_error_m == pytest.approx(alone.fit_error_m, abs=1e-6)


def test_fit_camera_reprojects_onto_the_image_points(heldout: torch.Tensor) -> None:
    camera = Camera(230.0, 330.0, 250.0)
    for index in range(4):
        person = _person(heldout[index : index + 1], camera, noise_m=0.01, seed=index)
        fitted = fit_person(person)
        _, model = landmark_points(fitted.pose.rotation_matrices())  # (1, 33, 3) pelvis-centred fitted points
        model = model[0].numpy()
        c = fitted.camera
        reprojected = np.stack([c.scale * model[:, 0] + c.tx, -c.scale * model[:, 1] + c.ty], axis=1)
        height = person.box[3] - person.box[1]
        error = np.linalg.norm(reprojected - person.image_points, axis=1)  # (33,) pixels
        assert error.mean() < 0.03 * height, (index, error.mean(), height)
        assert abs(c.scale / camera.scale - 1) < 0.06
    # Joints instead of landmark points: the 12 landmarks on joints place the body alike.
    person = _person(heldout[:1], camera)
    joints_camera = fit_camera(forward_kinematics(heldout[:1])[1][0], person)
    assert _numbers(joints_camera) == pytest.approx(_numbers(camera), rel=1e-3)
    with pytest.raises(ValueError, match="points"):
        fit_camera(np.zeros((10, 3)), person)


def test_thread_count_is_restored_after_a_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    before = torch.get_num_threads()
    points, seen = synthetic_landmarks(torch.eye(3).expand(2, 24, 3, 3))
    try:
        torch.set_num_threads(2)
        seen_inside = []
        real_fit_batch = fit._fit_batch

        def spy(*args: object) -> fit.FitResult:
            seen_inside.append(torch.get_num_threads())
            return real_fit_batch(*args)

        monkeypatch.setattr(fit, "_fit_batch", spy)
        fit_poses(points, seen, iterations=3)
        assert seen_inside == [1] and torch.get_num_threads() == 2
        fit_poses(points, seen, iterations=3, single_thread=False)
        assert seen_inside == [1, 2] and torch.get_num_threads() == 2

        def broken(*args: object) -> fit.FitResult:
            raise RuntimeError("boom")

        monkeypatch.setattr(fit, "_fit_batch", broken)
        with pytest.raises(RuntimeError, match="boom"):
            fit_poses(points, seen, iterations=3)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_image_plane_points_take_x_y_from_the_photo_and_keep_depth() -> None:
    rng = np.random.default_rng(0)
    truth = rng.normal(0, 0.4, (NUM_LANDMARKS, 3)).astype(np.float32)  # (33, 3) metres
    image = np.stack([250.0 * truth[:, 0] + 300.0, -250.0 * truth[:, 1] + 200.0], axis=1)  # weak perspective
    noisy = truth + rng.normal(0, 0.05, truth.shape).astype(np.float32)  # BlazePose-like world points
    seen = np.ones(NUM_LANDMARKS, np.float32)
    points = fit.image_plane_points(noisy, image, seen)
    # x, y follow the image (up to the mean offset the noisy points set), z is the world's own
    offset = (points[:, :2] - truth[:, :2]).mean(0)
    np.testing.assert_allclose(points[:, :2] - offset, truth[:, :2], atol=0.02)
    np.testing.assert_array_equal(points[:, 2], noisy[:, 2])
    # unusable image points (wrong shape, too few seen) leave the world points as they are
    np.testing.assert_array_equal(fit.image_plane_points(noisy, image[:5], seen), noisy)
    np.testing.assert_array_equal(fit.image_plane_points(noisy, image, np.zeros(NUM_LANDMARKS, np.float32)), noisy)
