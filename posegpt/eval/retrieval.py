"""Baselines for text → pose that need no trained pose model: the mean pose and text retrieval.

- `mean_pose`: the average training pose (per joint, the chordal L2 mean of the rotations: the
  principal eigenvector of Σ q qᵀ over the joint's quaternions, Markley et al. 2007). A method
  that beats it has learnt something from the words.
- `NearestNeighbourText`: embed the prompt with a sentence encoder (the packaged all-MiniLM-L6-v2),
  find the most similar training prompt (cosine similarity) and answer with that prompt's pose —
  "nearest-neighbour retrieval from the training set". It can only give poses seen in training,
  so it measures how far memorising text → pose pairs goes on held-out phrasings and poses.

Training prompt embeddings are cached in the user cache folder, keyed by a hash of the encoder
and the texts, so the baseline is quick after its first run.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from posegpt.paths import cache_dir
from posegpt.pose import NUM_JOINTS, Pose, axis_angle_to_quaternion, quaternion_to_axis_angle
from posegpt.retrieval import MiniLMEmbedder, TextEmbedder, minilm_model_dir  # noqa: F401 (re-exported)

# --- mean pose --------------------------------------------------------------------------------------


def mean_pose(poses: Pose) -> Pose:
    """The chordal mean of N poses, joint by joint (global orientation included) → a Pose of length 1."""
    if len(poses) == 0:
        raise ValueError("mean_pose needs at least one pose")
    quaternions = axis_angle_to_quaternion(poses.axis_angle().double())  # (N, 24, 4)
    scatter = torch.einsum("njk,njl->jkl", quaternions, quaternions)  # (24, 4, 4), q and -q alike
    _, vectors = torch.linalg.eigh(scatter)  # ascending eigenvalues
    mean = vectors[..., -1]  # (24, 4): the direction that maximises Σ (q·m)²
    return Pose.from_axis_angle(quaternion_to_axis_angle(mean).float().reshape(1, NUM_JOINTS, 3))


# --- text embedding ---------------------------------------------------------------------------------
# The sentence encoder is the library's (posegpt/retrieval.py: the pose head's bank uses it too).


def cached_embeddings(embedder: TextEmbedder, texts: Sequence[str], folder: Path | None = None) -> np.ndarray:
    """`embedder.encode(texts)`, read from / written to ``<cache>/retrieval/<hash>.npy``."""
    digest = hashlib.sha256(embedder.name.encode())
    for text in texts:
        digest.update(b"\x00" + text.encode())
    folder = folder if folder is not None else cache_dir() / "retrieval"
    path = folder / f"{digest.hexdigest()[:32]}.npy"
    if path.exists():
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            return vectors
    vectors = embedder.encode(texts) if texts else np.zeros((0, 1), np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    with temporary.open("wb") as handle:  # a handle keeps numpy from appending ".npy"
        np.save(handle, vectors)
    temporary.replace(path)  # atomic: a concurrent run never reads half a file
    return vectors


# --- retrieval --------------------------------------------------------------------------------------


def prompt_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """What a text baseline reads of a conversation: its user turns, oldest first, one per line."""
    return "\n".join(str(m["content"]) for m in messages if m["role"] == "user")


class NearestNeighbourText:
    """Answers a prompt with the pose of the most similar training prompt (cosine similarity)."""

    def __init__(self, texts: Sequence[str], poses: Pose, embedder: TextEmbedder, cache_folder: Path | None = None) -> None:
        if len(texts) != len(poses) or not texts:
            raise ValueError(f"need one pose per training text and at least one of each, got {len(texts)} texts and {len(poses)} poses")
        self.texts = list(texts)
        self.poses = poses
        self.embedder = embedder
        # Repeated prompts (common in generated data) are embedded once; the first pose wins.
        first: dict[str, int] = {}
        for index, text in enumerate(self.texts):
            first.setdefault(text, index)
        self._unique_index = list(first.values())  # (U,) training index of each distinct text
        unique_texts = list(first)
        self.vectors = torch.from_numpy(cached_embeddings(embedder, unique_texts, cache_folder))  # (U, D)

    def search(self, queries: Sequence[str]) -> tuple[list[int], list[float]]:
        """Index of the nearest training text and its cosine similarity, per query."""
        if not queries:
            return [], []
        query = torch.from_numpy(self.embedder.encode(list(queries)))  # (Q, D)
        similarity = query @ self.vectors.T  # (Q, U)
        best = similarity.max(dim=1)
        return [self._unique_index[i] for i in best.indices.tolist()], best.values.tolist()

    def retrieve(self, queries: Sequence[str]) -> list[tuple[Pose, str, float]]:
        """(pose, matched training text, similarity) per query."""
        indices, scores = self.search(queries)
        return [(self.poses[i], self.texts[i], score) for i, score in zip(indices, scores)]
