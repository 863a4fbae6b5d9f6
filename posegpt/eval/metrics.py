"""Joint-position errors between predicted and reference poses, in millimetres (HMR conventions).

- MPJPE: mean per-joint position error after aligning the roots (pelvis on pelvis).
- PA-MPJPE: the same after the best similarity transform (rotation, uniform scale, translation)
  of the prediction onto the reference (Procrustes analysis, as in HMR/SPIN's
  `compute_similarity_transform`): it ignores global orientation and body size, so it measures
  the articulation alone.
"""

from __future__ import annotations

import numpy as np
import torch

from posegpt.pose import Pose


def _as_joints(value: Pose | torch.Tensor | np.ndarray) -> torch.Tensor:
    """Pose or (N, J, 3) / (J, 3) joint positions → (N, J, 3) float64."""
    joints = value.joints() if isinstance(value, Pose) else torch.as_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value)
    joints = joints.detach().to(torch.float64).cpu()
    if joints.ndim == 2:
        joints = joints[None]
    if joints.ndim != 3 or joints.shape[-1] != 3:
        raise ValueError(f"expected (N, J, 3) joint positions, got {tuple(joints.shape)}")
    return joints


def _pair(predicted: Pose | torch.Tensor | np.ndarray, target: Pose | torch.Tensor | np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    predicted, target = _as_joints(predicted), _as_joints(target)
    same_joints = predicted.shape[1:] == target.shape[1:]
    batches_fit = predicted.shape[0] == target.shape[0] or 1 in (predicted.shape[0], target.shape[0])
    if not (same_joints and batches_fit):
        raise ValueError(f"cannot compare joints of shape {tuple(predicted.shape)} with {tuple(target.shape)}")
    predicted, target = torch.broadcast_tensors(predicted, target)
    return predicted, target


def mpjpe(predicted: Pose | torch.Tensor | np.ndarray, target: Pose | torch.Tensor | np.ndarray) -> torch.Tensor:
    """(N,) mean joint error in mm after moving both roots (joint 0) to the origin; inputs in metres."""
    predicted, target = _pair(predicted, target)
    predicted = predicted - predicted[:, :1]
    target = target - target[:, :1]
    return 1000.0 * (predicted - target).norm(dim=-1).mean(dim=-1)


def procrustes_align(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(N, J, 3) predicted joints moved by the similarity transform that best fits them to target.

    Umeyama's least-squares solution: R from the SVD of the cross-covariance, with the sign of
    the smallest singular direction flipped when needed so R is a rotation, never a reflection.
    """
    mu_p = predicted.mean(dim=1, keepdim=True)  # (N, 1, 3)
    mu_t = target.mean(dim=1, keepdim=True)
    p = predicted - mu_p
    t = target - mu_t
    covariance = p.transpose(1, 2) @ t  # (N, 3, 3) = Σ p_j t_jᵀ
    u, singular, vh = torch.linalg.svd(covariance)
    d = torch.sign(torch.linalg.det(vh.transpose(1, 2) @ u.transpose(1, 2)))  # (N,)
    d = torch.where(d == 0, torch.ones_like(d), d)
    correction = torch.diag_embed(torch.stack([torch.ones_like(d), torch.ones_like(d), d], dim=-1))  # (N, 3, 3)
    rotation = vh.transpose(1, 2) @ correction @ u.transpose(1, 2)  # (N, 3, 3): maps p onto t
    variance = (p * p).sum(dim=(1, 2)).clamp_min(1e-12)  # (N,)
    scale = (singular * torch.diagonal(correction, dim1=1, dim2=2)).sum(-1) / variance  # (N,)
    return scale[:, None, None] * (p @ rotation.transpose(1, 2)) + mu_t


def pa_mpjpe(predicted: Pose | torch.Tensor | np.ndarray, target: Pose | torch.Tensor | np.ndarray) -> torch.Tensor:
    """(N,) mean joint error in mm after Procrustes alignment (rotation + scale + translation)."""
    predicted, target = _pair(predicted, target)
    aligned = procrustes_align(predicted, target)
    return 1000.0 * (aligned - target).norm(dim=-1).mean(dim=-1)
