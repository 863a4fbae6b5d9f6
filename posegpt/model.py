"""PoseGPT: a Hugging Face language model (wrapped, not vendored) that can say `<POSE>`.

The whole mechanism:
1. `<POSE>` is added to the tokenizer as a real special token; its embedding row is trainable
   (PEFT "trainable tokens", so the checkpoint stores that row, not the whole matrix).
2. The backbone is fine-tuned with LoRA to write `<POSE>` where a pose belongs.
3. The hidden state at the position that *emits* `<POSE>` — position i where input_ids[i + 1]
   is `<POSE>` in training, the current decoding step at inference — is the query of the pose
   head. The default head (`TurnReadoutHead`) attends from it over the hidden states of the
   current turn (the user's message and the reply so far, from a few layers): on a 135 M model
   the words that say which body part does what sit in the user's tokens, and one vector does
   not carry them (measured: ../shared/FACTS.md). ChatPose's head (`PoseHead`: an MLP on that
   one last-layer state) stays as `head_type="last_state"`. Both end in 24 × 6D → SMPL joint
   rotations. Positions come from token ids, never from offsets: the turn starts after the
   end-of-turn token that closed the previous message, so image tokens expanded by a processor
   need no special care.
4. Loss = cross-entropy on the text + λ · L1 on rotation matrices (+ μ · L1 on FK joint
   positions, off by default).
5. Photos (text-only backbones): the vision module describes each person found as a feature
   vector; `PersonProjector` maps it to `tokens_per_person` embeddings that replace the
   `<PERSON>` placeholders of that person's prompt line (found from token ids, in order, like a
   VLM processor's expanded image tokens). `PersonPointer` scores, for each `<POSE>`, which
   person's placeholders it refers to (+ κ · cross-entropy on the person chosen), so the app
   knows whose photo region the pose belongs to and can refine it with that person's fit.

A checkpoint is a folder: config.json, pose_head.safetensors, the PEFT adapter, the tokenizer
(with `<POSE>`), person_modules.safetensors when it reads photos, pose_bank.safetensors when its
head retrieves training poses or the bank answers requests (`bank_answers`), intent_gate.safetensors + .json when it has a pose-intent gate
(`posegpt.intent`; older checkpoints without one load unchanged), and a README model card. No pickle anywhere.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from posegpt.backbones import DEFAULT_BACKBONE, Backbone, load_backbone
from posegpt.pose import NUM_JOINTS, Pose, forward_kinematics, matrix_to_rotation_6d, rotation_6d_to_matrix
from posegpt.intent import IntentGate, gate_turn
from posegpt.retrieval import NEIGHBOUR_FEATURES, POSE_BANK_NAME, BankQuery, PoseBank, bank_query, lookup_words, rotations_to_6d
from posegpt.tokens import PERSON_TOKEN, POSE_TOKEN

if TYPE_CHECKING:
    from posegpt.asked_edits import AskedEdits
    from posegpt.body_words import BodyWords
    from posegpt.follow_ups import FollowUpEdits

_ENCODER_LOCK = threading.Lock()  # see PoseGPT.request_encoder

CONFIG_NAME = "config.json"
HEAD_WEIGHTS_NAME = "pose_head.safetensors"
PERSON_WEIGHTS_NAME = "person_modules.safetensors"  # projector + pointer, when person_feature_dim > 0
CHECKPOINT_FORMAT = "posegpt-checkpoint-1"
FINETUNE_MODES = ("lora",)
HEAD_TYPES = ("last_state", "turn_attention")
BANK_ANSWERS = 4  # poses a reply may take from the bank (the engine shows up to 4 when asked for N)
# The bank's nearest distinct poses a reply's poses are chosen from (by body words): as many
# however many poses are asked for, so the pose a follow-up edits, found again with the count its
# reply showed, is the one that reply showed. Measured (bench/bank_rules.py, model card): 32
# entries (often a few poses, a common one has hundreds of requests) → 32 distinct poses → 64 gained
# hand-written requests; 128 and 256 gained nothing more and cost time.
BANK_CANDIDATES = 64
# Two bank poses count as the same when their 6D rotations differ by less than this on average
# (measured against standing: float16 copies < 0.0001, a tilted head 0.0097, one hand raised 0.033,
# a squat 0.125), so poses that differ by little more than the head's angle count as one.
DISTINCT_POSE_6D = 0.01
# Re-ranking the bank's nearest entries by the pose's own words (`bank_rerank`): each pose is
# described three ways by the captioner, and its mean similarity to the request, times this weight,
# is added to the bank similarity (weights 0.25 / 0.5 / 1 measured alike; the model card).
CAPTION_DESCRIPTIONS = 3
CAPTION_AGREEMENT_WEIGHT = 0.5
# Choosing among the bank's nearest by a request's body words (`bank_body_words`): a pose's word
# score (`posegpt.body_words`, a sum of cosines over the body clauses) plus this weight times its
# bank similarity, so among poses that cover the words alike the nearest request's wins. Measured
# (hand-written requests passing every check, of 385; generated explicit prompts, bank alone):
# 0.5 → 316, 84.8 %; 1 → 319, 84.8 %; 1.5 → 317; 2 → 316, 83.5 % (at 2 a pose 0.06 nearer by
# request outweighed one arm forward for "put your arms out in front").
BANK_SIMILARITY_WEIGHT = 1.0
# … less this weight times how far each pose is from standing with the arms down (mean absolute
# 6D difference, `plain_distance`): among poses that cover the words alike, the plainest ("can you
# do a deep squat" had got a squat with the hands on the chest that the squatting check fails).
# Measured, bank alone (first pose; % of checks passed, hand-written requests of the natural set +
# 43 written on 2026-12-06 / generated explicit, speculative, named): 0 → 134.7 of 156 / 84.8,
# 54.2, 46.1; 0.25 → 136.7 / 85.0, 54.0, 44.6; 0.5 → 136.7 / 84.9, 54.2, 46.2; 1 → 135.7; 2 →
# 132.3. The same by joint positions (metres from "stand"): 133.3 at 0.25, 132.3 at 0.5.
PLAIN_POSE_WEIGHT = 0.5
# A follow-up no edit fits is answered as a fresh request when its own words' pose covers its
# body words by more than this over the nearest training follow-up's pose (`posegpt.body_words`
# units: a clause's match; measured on hand-written multi-turn requests, model card); one an edit
# fits but not surely, by more than this over the edited pose (`PoseGPT._fresh_beats_edit`).
FRESH_COVERS_MORE = 0.1
# A follow-up answered by a new body whose words name the parts of one limb only, or ask for the
# trunk alone, keeps the rest of the pose shown (`PoseGPT._rest_kept`: the arms named, the shown
# body gets the new arms, or the one arm named; the legs named or the trunk alone, the new body
# gets the shown arms and head) when that covers its body words no more than
# this less than the new body does (`posegpt.body_words` units): "now lift your right knee up"
# after "put your hands on your hips" (no edit lifts a knee) lifted the knee with the arms out.
# Measured in the model card.
KEEP_REST_TOLERANCE = 0.02
# The arms named, the new arms may also come from this many of the new request's poses in the
# posture shown (`PoseGPT._rest_kept`).
REST_CANDIDATES = 8


class CheckpointError(RuntimeError):
    """A checkpoint folder that cannot be loaded; the message says which file and why."""


@dataclass
class PoseGPTConfig:
    """Everything needed to rebuild a PoseGPT around its backbone (saved as config.json)."""

    backbone: str = DEFAULT_BACKBONE
    pose_token: str = POSE_TOKEN
    finetune: str = "lora"  # LoRA on the LLM + the <POSE> embedding row + the head
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    hidden_size: int = 0  # of the backbone's last layer; filled in when the model is built
    head_hidden_size: int = 0  # 0 = same as hidden_size (last_state head)
    # Which pose head: "last_state" = ChatPose's MLP on the one state that emits <POSE>;
    # "turn_attention" = attention from that state over the current turn's states (TurnReadoutHead).
    head_type: str = "last_state"
    head_layers: tuple[int, ...] = ()  # hidden_states indices the turn head reads (0 = embeddings, -1 = last); the last is always read
    head_width: int = 256  # turn head: attention width
    head_queries: int = 8  # turn head: learned queries (each also gets the emitting state)
    head_blocks: int = 2  # turn head: cross-attention blocks
    head_max_turn_tokens: int = 128  # turn head: at most this many of the turn's last tokens are read
    # Turn head: also read the poses of the user request's k nearest training requests (a bank of
    # sentence embeddings, posegpt/retrieval.py, saved with the checkpoint); 0 = no retrieval.
    retrieval_k: int = 0
    # Retrieving turn head: also blend the neighbours' poses into its output, joint by joint, with
    # learned weights and a learned gate (TurnReadoutHead), so copying a good neighbour is easy.
    retrieval_copy: bool = False
    # A text turn (no photo) is answered with the poses of its nearest training turns in the bank
    # (a sentence encoder's similarity; `posegpt.retrieval.bank_query`): a request with no pose
    # before it among training requests, a follow-up ("now the other arm") among training
    # follow-ups, looked up with the requests it changes; the reply's i-th <POSE> gets the i-th
    # distinct pose; the head answers photos (and follow-ups when the bank holds none).
    # Measured (model card): on hand-written requests and follow-ups the encoder's nearest turn
    # beats every head read from the 135 M LLM's states, also on requests far from any training phrasing.
    bank_answers: bool = False
    # The bank's nearest entries re-ranked by how well the pose's own words (the captioner's) match
    # the request: a sentence encoder weighs "both arms up" and "left arm up" alike, the words of
    # the two poses do not. 0 = nearest first. Measured in the model card.
    bank_rerank: int = 0
    # … only for requests whose nearest training request is less similar than this (None: every
    # request): far from every training phrasing the encoder's nearest is least sure, close to one
    # the re-rank only adds the captioner's sampling noise. Measured in the model card.
    bank_rerank_below: float | None = None
    # A request that spells out a body ("left elbow bent, right arm forward") gets, of the bank's
    # nearest poses, the one whose own facts (posecodes) cover most of its body words
    # (`posegpt.body_words`); requests without body words keep the order above. Measured in the model card.
    bank_body_words: bool = False
    # … choosing among more than the whole request's nearest poses: each of its clauses' own
    # nearest this many (`PoseBank.widened`; 0 = none): "stand with your hands resting on your
    # hips" was nearest poses bent "at the hips" only. Measured in the model card.
    bank_clause_candidates: int = 0
    # … and the pose so chosen changed by a training edit one of the request's clauses asks for
    # when that makes its facts match the words better (`posegpt.asked_edits`: "arms down by your
    # sides, feet together" when every candidate with the feet has the arms out); a request without
    # body words, by the edit it asks for most ("hands up like you just scored"). Measured in the model card.
    bank_asked_edits: bool = False
    # Each bank pose turned to the sides the message names (`posegpt.sides`: "your right hand" gets
    # the mirror image of a nearest request done with the left). Measured in the model card.
    bank_sides: bool = True
    # A follow-up answered from the bank is first the pose shown before it, changed by the nearest
    # training edit its words ask for (`posegpt.follow_ups`: "now the other arm" mirrors the arm the
    # user saw, "put your arms up" keeps the squat); the bank's nearest follow-ups after it.
    # Measured in the model card.
    bank_edits: bool = False
    # A message after a pose that no edit fits is answered as a fresh request (its own words among
    # the first requests) when they are at least as near a first request as the conversation's
    # words are to a follow-up: "show me someone catching their breath" after a squat is a new
    # pose, not a change of the squat. Measured in the model card.
    bank_fresh_requests: bool = False
    pose_loss_weight: float = 0.1  # λ on L1(rotation matrices), ChatPose's value
    joint_loss_weight: float = 0.0  # μ on L1(FK joint positions, metres)
    # Photos as people (0 = this model reads no photos through the vision module).
    person_feature_dim: int = 0  # length of one person's feature vector (posegpt.vision.features)
    person_token: str = PERSON_TOKEN
    tokens_per_person: int = 2  # <PERSON> placeholders per person, each gets one projected embedding
    pointer_loss_weight: float = 1.0  # κ on CE(which person a <POSE> refers to)
    format: str = CHECKPOINT_FORMAT

    def __post_init__(self) -> None:
        self.lora_target_modules = tuple(self.lora_target_modules)
        self.head_layers = tuple(int(layer) for layer in self.head_layers)
        if self.finetune not in FINETUNE_MODES:
            raise ValueError(f"finetune must be one of {FINETUNE_MODES}, got {self.finetune!r}")
        if self.head_type not in HEAD_TYPES:
            raise ValueError(f"head_type must be one of {HEAD_TYPES}, got {self.head_type!r}")
        if self.head_max_turn_tokens < 1:
            raise ValueError("head_max_turn_tokens must be at least 1")
        if self.retrieval_k < 0 or (self.retrieval_k and self.head_type != "turn_attention"):
            raise ValueError("retrieval_k must be 0, or positive with head_type 'turn_attention'")
        if self.retrieval_copy and not self.retrieval_k:
            raise ValueError("retrieval_copy needs retrieval_k > 0 (neighbours to copy from)")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "PoseGPTConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise CheckpointError(f"config.json has unknown keys {unknown}; is it a PoseGPT checkpoint of a newer version?")
        return cls(**values)


class PoseHead(nn.Module):
    """Hidden state → 24 joint rotations. 6D output = first two columns of R (Zhou et al.).

    The last layer starts at zero weight with an identity-rotation bias, so an untrained head
    predicts the rest pose rather than noise.
    """

    def __init__(self, hidden_size: int, head_hidden_size: int = 0) -> None:
        super().__init__()
        inner = head_hidden_size or hidden_size
        # LayerNorm first: LLM hidden states have a few huge, nearly constant dimensions that would
        # otherwise swamp the pose information (a probe on SmolLM2 features measured this).
        self.mlp = nn.Sequential(
            nn.LayerNorm(hidden_size), nn.Linear(hidden_size, inner), nn.GELU(), nn.Linear(inner, NUM_JOINTS * 6)
        )
        with torch.no_grad():
            self.mlp[-1].weight.mul_(0.01)
            identity_6d = matrix_to_rotation_6d(torch.eye(3)).repeat(NUM_JOINTS)  # (144,)
            self.mlp[-1].bias.copy_(identity_6d)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """(P, H) hidden states → (P, 24, 3, 3) rotation matrices."""
        # Always float32, also under bf16 autocast: bf16 cannot resolve the small departures from
        # the identity-rotation bias that early training depends on.
        with torch.autocast(device_type=hidden.device.type, enabled=False):
            weight = self.mlp[1].weight
            rotation_6d = self.mlp(hidden.to(weight.dtype)).unflatten(-1, (NUM_JOINTS, 6))  # (P, 24, 6)
            return rotation_6d_to_matrix(rotation_6d)


@dataclass
class TurnReadout:
    """What the pose head reads for P poses: the hidden states of each pose's turn, at the
    head's layers, left-aligned and padded at the end. The last real position of a row is the
    state that emits that `<POSE>`."""

    states: torch.Tensor  # (P, T, L, H)
    mask: torch.Tensor  # (P, T) bool, True at real positions
    # (P, K, NEIGHBOUR_FEATURES): the poses and similarities of each pose's request's K nearest
    # training requests (posegpt/retrieval.py), for a head with retrieval_k > 0; None = none
    neighbours: torch.Tensor | None = None

    @property
    def emitting(self) -> torch.Tensor:
        """(P, L, H): each row's last real position, the state whose logits produce `<POSE>`."""
        last = self.mask.long().sum(dim=1) - 1  # (P,)
        return self.states[torch.arange(self.states.shape[0], device=self.states.device), last]

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> "TurnReadout":
        neighbours = None if self.neighbours is None else self.neighbours.to(device=device, dtype=dtype)
        return TurnReadout(self.states.to(device=device, dtype=dtype), self.mask.to(device), neighbours)


def turn_start(input_ids: torch.Tensor, position: int, end_token_ids: frozenset[int] | set[int]) -> int:
    """Where the turn of the token at `position` starts in one row of ids: right after the
    end-of-turn token that closed the message before the last user message (0 if none).

    From `position` backwards, the first end-of-turn token closes the user's message (a reply in
    progress has none); the one before it closes the previous message (system prompt or earlier
    reply). Token ids only: any chat template whose messages end with one of `end_token_ids`.
    """
    ids = input_ids[: position + 1].tolist()
    seen = 0
    for index in range(len(ids) - 1, -1, -1):
        if ids[index] in end_token_ids:
            seen += 1
            if seen == 2:
                return index + 1
    return 0


class _CrossAttentionBlock(nn.Module):
    """Pre-norm cross-attention from the queries to the turn, then an MLP; residual both."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.query_norm = nn.LayerNorm(width)
        self.attention = nn.MultiheadAttention(width, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width))

    def forward(self, queries: torch.Tensor, keys: torch.Tensor, padding: torch.Tensor) -> torch.Tensor:
        """(P, Q, W) queries, (P, T, W) keys, (P, T) bool True at padding → (P, Q, W)."""
        attended, _ = self.attention(self.query_norm(queries), keys, keys, key_padding_mask=padding, need_weights=False)
        queries = queries + attended
        return queries + self.mlp(queries)


class TurnReadoutHead(nn.Module):
    """The turn's hidden states → 24 joint rotations, by attention from the `<POSE>` state.

    Keys: each turn position's states at the L read layers, each layer-normed (LLM states have a
    few huge, near-constant dimensions), concatenated and projected to `width`. Queries:
    `queries` learned vectors, each plus the projected emitting state, through `blocks`
    cross-attention blocks; the queries' outputs together → 24 × 6D. Like `PoseHead`, it starts
    at the rest pose (zero last weight, identity bias). The attention part follows the caller's
    autocast (bf16 makes fitting on a CPU cache ~2.5× faster); the output MLP always runs in
    float32, which resolves the small departures from the identity bias. With `neighbours` > 0
    the retrieved training poses (`TurnReadout.neighbours`: pose and similarity each) are
    projected to `width` and join the keys, so the queries can copy, blend or ignore them.

    With `copy` the neighbours' poses also enter the output directly: a softmax over them (a
    learned match of the queries' summary with each projected neighbour, plus its similarity)
    blends their 6D rotations, and a learned gate per joint moves the head's own 6D towards that
    blend. Copying a good neighbour is then one gate away instead of something the output MLP
    must relearn through attention: a sentence encoder knows paraphrases that a 135 M LLM trained
    on generated requests does not (measured in eval_out/natural: NN retrieval 57.7 % vs 40.3 %).
    Without neighbours (photo turns) the head's own output is used as it is.
    """

    def __init__(self, hidden_size: int, layers: int, width: int = 256, queries: int = 8, blocks: int = 2,
                 heads: int = 4, neighbours: int = 0, copy: bool = False) -> None:
        super().__init__()
        self.neighbour_projection: nn.Module | None = None
        self.copy_query: nn.Module | None = None
        self.copy_gate: nn.Module | None = None
        if neighbours:
            self.neighbour_projection = nn.Sequential(nn.Linear(NEIGHBOUR_FEATURES, width), nn.GELU(),
                                                      nn.Linear(width, width), nn.LayerNorm(width))
        if neighbours and copy:
            self.copy_query = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width))
            self.copy_similarity_scale = nn.Parameter(torch.tensor(10.0))  # sharp on similarity at first
            self.copy_gate = nn.Sequential(nn.LayerNorm(queries * width), nn.Linear(queries * width, NUM_JOINTS))
            with torch.no_grad():
                self.copy_gate[-1].weight.zero_()
                self.copy_gate[-1].bias.zero_()  # starts half-way between its own pose and the blend
        self.layer_norms = nn.ModuleList(nn.LayerNorm(hidden_size) for _ in range(layers))
        self.key_projection = nn.Linear(layers * hidden_size, width)
        self.key_norm = nn.LayerNorm(width)
        self.query_projection = nn.Sequential(nn.LayerNorm(layers * hidden_size), nn.Linear(layers * hidden_size, width))
        self.queries = nn.Parameter(torch.randn(queries, width) * 0.02)
        self.blocks = nn.ModuleList(_CrossAttentionBlock(width, heads) for _ in range(blocks))
        self.output = nn.Sequential(
            nn.LayerNorm(queries * width), nn.Linear(queries * width, 2 * width), nn.GELU(), nn.Linear(2 * width, NUM_JOINTS * 6)
        )
        with torch.no_grad():
            self.output[-1].weight.mul_(0.01)
            self.output[-1].bias.copy_(matrix_to_rotation_6d(torch.eye(3)).repeat(NUM_JOINTS))

    def forward(self, readout: TurnReadout) -> torch.Tensor:
        """`TurnReadout` of P poses → (P, 24, 3, 3) rotation matrices."""
        dtype = self.key_projection.weight.dtype
        states = readout.states.to(dtype)  # (P, T, L, H)
        normed = torch.cat([norm(states[:, :, layer]) for layer, norm in enumerate(self.layer_norms)], dim=-1)  # (P, T, L·H)
        keys = self.key_norm(self.key_projection(normed))  # (P, T, W)
        emitting = readout.emitting.to(dtype).flatten(1)  # (P, L·H)
        queries = self.queries[None] + self.query_projection(emitting)[:, None]  # (P, Q, W)
        padding = ~readout.mask.to(keys.device)  # (P, T)
        found: torch.Tensor | None = None
        if self.neighbour_projection is not None and readout.neighbours is not None:
            found = self.neighbour_projection(readout.neighbours.to(dtype))  # (P, K, W)
            keys = torch.cat([keys, found], dim=1)  # (P, T + K, W)
            padding = torch.cat([padding, padding.new_zeros(found.shape[:2])], dim=1)
        for block in self.blocks:
            queries = block(queries, keys, padding)
        with torch.autocast(device_type=readout.states.device.type, enabled=False):
            flat = queries.float().flatten(1)  # (P, Q·W)
            rotation_6d = self.output(flat).unflatten(-1, (NUM_JOINTS, 6))  # (P, 24, 6)
            if self.copy_query is not None and found is not None:  # found: the neighbours were read
                neighbours = readout.neighbours.float()  # (P, K, 24·6 + 1)
                match = (self.copy_query(queries.float().mean(1))[:, None] * found.float()).sum(-1)  # (P, K)
                weights = torch.softmax(match / found.shape[-1] ** 0.5 + self.copy_similarity_scale * neighbours[..., -1], dim=1)
                blend = (weights[..., None] * neighbours[..., :-1]).sum(1).unflatten(-1, (NUM_JOINTS, 6))  # (P, 24, 6)
                gate = torch.sigmoid(self.copy_gate(flat))[..., None]  # (P, 24, 1)
                rotation_6d = rotation_6d + gate * (blend - rotation_6d)
            return rotation_6d_to_matrix(rotation_6d)


class PersonProjector(nn.Module):
    """One person's feature vector → `tokens` embeddings in the LLM's input space."""

    def __init__(self, feature_dim: int, hidden_size: int, tokens: int) -> None:
        super().__init__()
        self.tokens = tokens
        self.mlp = nn.Sequential(
            nn.LayerNorm(feature_dim), nn.Linear(feature_dim, hidden_size), nn.GELU(), nn.Linear(hidden_size, tokens * hidden_size)
        )
        # Start near the scale of real token embeddings instead of drowning the prompt.
        self.output_scale = nn.Parameter(torch.tensor(0.05))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(N, F) → (N, tokens, H)."""
        weight = self.mlp[1].weight
        out = self.mlp(features.to(weight.dtype)) * self.output_scale  # (N, tokens·H)
        return out.unflatten(-1, (self.tokens, -1))


class PersonPointer(nn.Module):
    """Which person a `<POSE>` is about: scaled dot product between the state that emits `<POSE>`
    and the mean last-layer state over each person's placeholders."""

    def __init__(self, hidden_size: int, key_size: int = 128) -> None:
        super().__init__()
        self.query = nn.Sequential(nn.LayerNorm(hidden_size), nn.Linear(hidden_size, key_size))
        self.key = nn.Sequential(nn.LayerNorm(hidden_size), nn.Linear(hidden_size, key_size))
        self.scale = key_size ** -0.5

    def forward(self, pose_state: torch.Tensor, person_states: torch.Tensor) -> torch.Tensor:
        """(H,) or (P, H) and (N, H) → logits (P, N) over the N people."""
        with torch.autocast(device_type=pose_state.device.type, enabled=False):
            dtype = self.query[1].weight.dtype
            query = self.query(pose_state.to(dtype).reshape(-1, pose_state.shape[-1]))  # (P, K)
            keys = self.key(person_states.to(dtype))  # (N, K)
            return query @ keys.T * self.scale


class _ShownEdit(NamedTuple):
    """The last `PoseGPT._edited_shown_pose` read, kept for the same conversation, bank, config and encoder."""

    bank: PoseBank | None
    config: PoseGPTConfig
    encoder: Any
    turns: list[tuple[str, str]]
    edited: Pose | None  # the pose shown, changed as the follow-up asks (None: no edit fits, or a new body fits better)
    shown: Pose
    fresh: bool  # the follow-up's own words, as a new request, say a body an edit of the shown one does not


@dataclass
class PoseGPTOutput:
    loss: torch.Tensor  # total = ce + λ·pose + μ·joints
    ce_loss: torch.Tensor
    pose_loss: torch.Tensor
    joint_loss: torch.Tensor
    pred_rotations: torch.Tensor  # (P, 24, 3, 3), one per <POSE> in reading order
    num_poses: int = 0
    pointer_loss: torch.Tensor | None = None  # CE over the people of the sample, per <POSE> that has a target
    pointer_logits: list[torch.Tensor] = field(default_factory=list)  # per <POSE> with people: (N,)
    pointer_correct: torch.Tensor | None = None  # (Q,) bool per <POSE> with a target: did the pointer pick it
    extras: dict[str, torch.Tensor] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _plain_6d() -> torch.Tensor:
    """(144,) the library's "stand" (arms down) in 6D, made once."""
    from posegpt.data.named_poses import named_pose

    return rotations_to_6d(named_pose("stand").rotation_matrices()[0].float())


def _own_words(query: BankQuery) -> str:
    """A follow-up's own words as a new request says them: a pronoun for body parts put back as the
    parts the requests before it name (`posegpt.follow_ups.with_referent`: "and now put it on your
    head" after "raise your right hand" asks for the right hand on the head, and by its bare words
    got an arm raised)."""
    from posegpt.follow_ups import with_referent

    return with_referent(query.words, _earlier_requests(query))


def _earlier_requests(query: BankQuery) -> list[str]:
    """The requests before a follow-up that its lookup words `query.text` read with it."""
    return query.text[:len(query.text) - len(query.words)].split("\n")


def _posture(pose: Pose) -> str | None:
    """The posture fact of a single pose (standing, sitting, lying_back …; `posegpt.data.captioner`)."""
    from posegpt.body_words import POSTURE_TOPIC
    from posegpt.data.captioner import compute_posecodes

    return next((code.value for code in compute_posecodes(pose) if code.topic == POSTURE_TOPIC), None)


def _mirrored_6d(pose: torch.Tensor) -> torch.Tensor:
    """The mirror image (`Pose.mirrored`) of one 6D pose (144,) → (144,)."""
    rotations = rotation_6d_to_matrix(pose.unflatten(-1, (NUM_JOINTS, 6)))[None]  # (1, 24, 3, 3)
    return rotations_to_6d(Pose.from_rotation_matrices(rotations).mirrored().rotation_matrices()[0].float()).to(pose)


def plain_distance(poses: Pose) -> torch.Tensor:
    """(K,) how far each pose is from standing with the arms down (the library's "stand"): the
    mean absolute difference of their 6D rotations over the 24 joints."""
    return (rotations_to_6d(poses.rotation_matrices().float()) - _plain_6d()).abs().mean(-1)  # (K,)


def other_arm_rested(pose: Pose, words: str, first_request: bool = False) -> Pose | None:
    """`pose` (a single pose) with the other arm hanging as in the library's "stand", when `words`
    ask one arm alone to act (`posegpt.sides.only_side`: "raise just your right hand", "now wave
    with only your left hand") and the other wrist is not below its shoulder; None otherwise. Why:
    the bank's poses that covered "raise just your right hand above your head" best had both hands
    up, and an edit that waves the left hand keeps the right one where it was; the words say the
    other does nothing, and no fact of a pose says an arm is idle. A `first_request` that names one
    arm's side alone is answered so too when the pose does it with both arms
    (`posegpt.sides.twin_side`: "put your left hand behind your head" had both hands there, "put
    your left hand on your hip" both on the hips); a follow-up's edit keeps the other arm (after
    "raise your right arm", "now raise your left arm" may well keep the right one up)."""
    from posegpt.data.conversations import ARM_JOINTS, transplant
    from posegpt.data.named_poses import named_pose
    from posegpt.eval.checks import run_checks
    from posegpt.sides import only_side, other_side, twin_side

    only = only_side(words, "arm")
    twin = twin_side(words, pose, "arm") if first_request and only is None else None
    side = only or twin
    if side is None:
        return None
    other = other_side(side)
    hanging = f"{other}_wrist_below_shoulder"
    # a twin arm does what the words ask of the named one, even below the shoulder (a hand on the hip)
    if twin is None and run_checks(pose, [hanging])[hanging]:
        return None
    return transplant(pose, named_pose("stand"), ARM_JOINTS[other])


def pose_emitting_mask(input_ids: torch.Tensor, pose_token_id: int) -> torch.Tensor:
    """(B, T) bool: True at position i when input_ids[i + 1] is <POSE> (that state emits it)."""
    mask = torch.zeros_like(input_ids, dtype=torch.bool)
    mask[:, :-1] = input_ids[:, 1:] == pose_token_id
    return mask


def _module_suffix(model: nn.Module, module: nn.Module) -> str:
    for name, candidate in model.named_modules():
        if candidate is module:
            return name.rsplit(".", 1)[-1]
    raise ValueError("module not found in model")


def _language_linear_names(model: nn.Module, suffixes: tuple[str, ...]) -> list[str]:
    """Full names of the LLM's projection layers to put LoRA on, skipping any vision tower."""
    vision_words = ("vision", "visual", "image_encoder", "multi_modal_projector", "connector")
    return [
        name
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear)
        and name.rsplit(".", 1)[-1] in suffixes
        and not any(word in name for word in vision_words)
    ]


class PoseGPT(nn.Module):
    """Backbone (+ PEFT adapter) + `<POSE>` token + `PoseHead`."""

    def __init__(self, backbone: Backbone, config: PoseGPTConfig | None = None, adapter_path: str | Path | None = None) -> None:
        super().__init__()
        from peft import LoraConfig, PeftModel, get_peft_model

        self.config = config or PoseGPTConfig(backbone=backbone.spec)
        self.backbone = backbone
        self.tokenizer = backbone.tokenizer
        self.pose_token_id = self._add_special_token(backbone, self.config.pose_token)
        self.person_token_id: int | None = None
        if self.config.person_feature_dim > 0:
            self.person_token_id = self._add_special_token(backbone, self.config.person_token)
        base = backbone.model
        hidden_size = _hidden_size(base)
        if self.config.hidden_size and self.config.hidden_size != hidden_size:
            raise CheckpointError(
                f"the checkpoint was trained on a backbone with hidden size {self.config.hidden_size}, "
                f"but {backbone.spec!r} has {hidden_size}; load it with the backbone it was trained on"
            )
        self.config.hidden_size = hidden_size

        if adapter_path is not None:
            self.language_model = PeftModel.from_pretrained(base, str(adapter_path), is_trainable=False)
        else:
            embedding_names = [_module_suffix(base, base.get_input_embeddings())]
            output = base.get_output_embeddings()
            tied = output is not None and output.weight is base.get_input_embeddings().weight
            if output is not None and not tied:
                embedding_names.append(_module_suffix(base, output))
            # trainable_token_indices trains only the <POSE> rows (tied input/output rows stay tied).
            peft_config = LoraConfig(
                r=self.config.lora_r,
                lora_alpha=self.config.lora_alpha,
                lora_dropout=self.config.lora_dropout,
                target_modules=_language_linear_names(base, self.config.lora_target_modules),
                trainable_token_indices={name: [self.pose_token_id] for name in embedding_names},
            )
            self.language_model = get_peft_model(base, peft_config)
        device = next(base.parameters()).device
        self.readout_layers = _readout_layers(self.config, _num_layers(base))
        self.end_token_ids = frozenset(backbone.end_token_ids)
        self.pose_head: PoseHead | TurnReadoutHead
        if self.config.head_type == "turn_attention":
            self.pose_head = TurnReadoutHead(
                hidden_size, len(self.readout_layers), self.config.head_width, self.config.head_queries, self.config.head_blocks,
                neighbours=self.config.retrieval_k, copy=self.config.retrieval_copy,
            ).to(device)
        else:
            self.pose_head = PoseHead(hidden_size, self.config.head_hidden_size).to(device)
        # Training requests and their poses, for a head with retrieval_k > 0 (set by the head
        # fit) or for bank_answers (set by training), saved and loaded with the checkpoint; the
        # sentence encoder loads on first use.
        self.pose_bank: PoseBank | None = None
        self._request_encoder: Any = None
        self._follow_up_edits: FollowUpEdits | None = None  # made on first use
        self._last_edit: _ShownEdit | None = None  # the last `_edited_shown_pose` read
        self._body_words: BodyWords | None = None  # made on first use
        self._asked_edits: AskedEdits | None = None  # made on first use
        # Whether a text-only turn asks for a pose (posegpt.intent; intent_gate.safetensors in the
        # checkpoint, fitted by `python -m posegpt train-intent`); None = the LLM alone decides.
        self.intent_gate: IntentGate | None = None
        self._base_weights: dict[str, tuple[nn.Linear, torch.Tensor, torch.Tensor]] = {}  # after merging: see use_adapter
        self._adapter_on = True
        self.person_projector: PersonProjector | None = None
        self.person_pointer: PersonPointer | None = None
        if self.config.person_feature_dim > 0:
            if self.config.tokens_per_person < 1:
                raise ValueError("tokens_per_person must be at least 1")
            self.person_projector = PersonProjector(self.config.person_feature_dim, hidden_size, self.config.tokens_per_person).to(device)
            self.person_pointer = PersonPointer(hidden_size).to(device)

    # -- the <POSE> token ----------------------------------------------------------------------

    def _add_special_token(self, backbone: Backbone, token: str) -> int:
        """Register a special token; new embedding rows start at the mean row (deterministic)."""
        tokenizer = backbone.tokenizer
        if token not in tokenizer.get_vocab():
            tokenizer.add_special_tokens({"additional_special_tokens": [token]}, replace_extra_special_tokens=False)
        token_id = tokenizer.convert_tokens_to_ids(token)
        model = backbone.model
        embeddings = model.get_input_embeddings()
        if token_id >= embeddings.num_embeddings:
            old_rows = embeddings.num_embeddings
            model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
            with torch.no_grad():
                weight = model.get_input_embeddings().weight
                weight[old_rows:] = weight[:old_rows].mean(dim=0)
                output = model.get_output_embeddings()
                if output is not None and output.weight is not weight:
                    output.weight[old_rows:] = output.weight[:old_rows].mean(dim=0)
        if backbone.processor is not None and hasattr(backbone.processor, "tokenizer"):
            backbone.processor.tokenizer = tokenizer
        return int(token_id)

    @property
    def reads_people(self) -> bool:
        """Whether photos reach this model as people (vision module features), not pixels."""
        return self.person_projector is not None

    # -- training --------------------------------------------------------------------------------

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        target_rotations: torch.Tensor | None = None,
        person_features: torch.Tensor | None = None,
        target_people: torch.Tensor | None = None,
        **backbone_inputs: Any,
    ) -> PoseGPTOutput:
        """Losses for a batch.

        Args:
            input_ids: (B, T) token ids, <POSE> included where the answer has poses.
            labels: (B, T) ids with -100 where no loss is wanted (prompt, padding, image tokens).
            target_rotations: (P, 24, 3, 3), one per <POSE> in the batch in reading order
                (sample by sample, left to right).
            person_features: (N, F), one row per person whose <PERSON> placeholders appear in the
                batch, in reading order (sample by sample, person by person).
            target_people: (P,) long, for each <POSE>: the index of the person it is about among
                its own sample's people, or -1 for none (text-only poses).
            backbone_inputs: e.g. pixel_values for vision-language backbones.
        """
        if person_features is not None:
            backbone_inputs["inputs_embeds"] = self.embed_inputs(input_ids, person_features)
        else:
            backbone_inputs["input_ids"] = input_ids
        outputs = self.language_model(
            attention_mask=attention_mask, labels=labels, output_hidden_states=True, **backbone_inputs
        )
        hidden = outputs.hidden_states[-1]  # (B, T, H) last layer (after the final norm)
        emits = pose_emitting_mask(input_ids, self.pose_token_id)
        if attention_mask is not None:
            emits &= attention_mask.bool()
        pred_rotations = self.decode_poses(self.turn_readout(outputs.hidden_states, input_ids, emits))  # (P, 24, 3, 3)
        zero = hidden.new_zeros((), dtype=torch.float32)
        ce_loss = outputs.loss.float() if outputs.loss is not None else zero
        pose_loss, joint_loss = zero, zero
        if target_rotations is not None:
            if target_rotations.shape[0] != pred_rotations.shape[0]:
                raise ValueError(
                    f"the batch has {pred_rotations.shape[0]} <POSE> tokens but {target_rotations.shape[0]} target poses"
                )
            if pred_rotations.shape[0] > 0:
                pose_loss, joint_loss = self.pose_losses(pred_rotations, target_rotations)
        total = ce_loss + self.config.pose_loss_weight * pose_loss + self.config.joint_loss_weight * joint_loss
        pointer_logits, pointer_loss, pointer_correct = self._pointer(hidden, input_ids, emits, target_people)
        if pointer_loss is not None:
            total = total + self.config.pointer_loss_weight * pointer_loss
        return PoseGPTOutput(total, ce_loss, pose_loss, joint_loss, pred_rotations, int(pred_rotations.shape[0]),
                             pointer_loss, pointer_logits, pointer_correct)

    def embed_inputs(self, input_ids: torch.Tensor, person_features: torch.Tensor) -> torch.Tensor:
        """(B, T) ids + (N, F) features → (B, T, H) input embeddings with every run of
        `tokens_per_person` <PERSON> placeholders replaced by one projected person, in order."""
        if self.person_projector is None or self.person_token_id is None:
            raise ValueError("this model reads no people: it was built with person_feature_dim = 0")
        embeddings = self.language_model.get_input_embeddings()(input_ids)  # (B, T, H)
        placeholders = input_ids == self.person_token_id  # (B, T)
        expected = int(placeholders.sum())
        projected = self.person_projector(person_features.to(embeddings.device))  # (N, K, H)
        if projected.shape[0] * projected.shape[1] != expected:
            raise ValueError(
                f"the prompt has {expected} {self.config.person_token} placeholders but {person_features.shape[0]} people "
                f"× {self.config.tokens_per_person} tokens were given"
            )
        embeddings = embeddings.clone()
        embeddings[placeholders] = projected.reshape(-1, projected.shape[-1]).to(embeddings.dtype)
        return embeddings

    def person_states(self, hidden: torch.Tensor, input_ids: torch.Tensor) -> list[torch.Tensor]:
        """(B, T, H) last-layer states → per sample, (N_b, H): the mean state over each person's placeholders."""
        if self.person_token_id is None:
            return [hidden.new_zeros(0, hidden.shape[-1]) for _ in range(hidden.shape[0])]
        tokens = self.config.tokens_per_person
        result = []
        for row in range(hidden.shape[0]):
            positions = (input_ids[row] == self.person_token_id).nonzero().flatten()  # (N_b·K,)
            states = hidden[row, positions]  # (N_b·K, H)
            result.append(states.unflatten(0, (-1, tokens)).mean(dim=1) if positions.numel() else states)
        return result

    def point(self, pose_state: torch.Tensor, person_states: torch.Tensor) -> torch.Tensor:
        """(H,) state that emitted <POSE> + (N, H) people → (N,) logits of which person it is about."""
        if self.person_pointer is None:
            raise ValueError("this model has no person pointer")
        return self.person_pointer(pose_state, person_states)[0]

    def _pointer(
        self, hidden: torch.Tensor, input_ids: torch.Tensor, emits: torch.Tensor, target_people: torch.Tensor | None
    ) -> tuple[list[torch.Tensor], torch.Tensor | None, torch.Tensor | None]:
        """Logits over the sample's people for every <POSE> of a sample with people, the CE on
        those that have a target, and whether the pointer's choice was that target."""
        if self.person_pointer is None or self.person_token_id is None:
            return [], None, None
        people = self.person_states(hidden, input_ids)
        rows = emits.nonzero()[:, 0]  # (P,) sample of each <POSE>, in reading order
        pose_states = hidden[emits]  # (P, H)
        logits: list[torch.Tensor] = []
        losses, correct = [], []
        for pose_index, row in enumerate(rows.tolist()):
            if people[row].shape[0] == 0:
                continue
            row_logits = self.person_pointer(pose_states[pose_index], people[row])[0]  # (N_b,)
            logits.append(row_logits)
            if target_people is not None and int(target_people[pose_index]) >= 0:
                target = target_people[pose_index].to(row_logits.device).long()
                losses.append(F.cross_entropy(row_logits[None].float(), target[None]))
                correct.append(bool(row_logits.argmax() == target))
        if target_people is not None and target_people.shape[0] != rows.shape[0]:
            raise ValueError(f"the batch has {rows.shape[0]} <POSE> tokens but {target_people.shape[0]} person targets")
        if not losses:
            return logits, None, None
        return logits, torch.stack(losses).mean(), torch.tensor(correct)

    def pose_losses(self, pred_rotations: torch.Tensor, target_rotations: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(P, 24, 3, 3) each → L1 on rotation matrices, and L1 on FK joint positions (metres; zero
        when joint_loss_weight is 0, to skip the FK). Unweighted: callers apply λ and μ."""
        target = target_rotations.to(pred_rotations)
        pose_loss = F.l1_loss(pred_rotations, target)
        joint_loss = pose_loss.new_zeros(())
        if self.config.joint_loss_weight > 0:
            joint_loss = F.l1_loss(forward_kinematics(pred_rotations)[1], forward_kinematics(target)[1])
        return pose_loss, joint_loss

    @property
    def reads_turn(self) -> bool:
        """Whether the pose head reads the whole turn (else only the state that emits <POSE>)."""
        return isinstance(self.pose_head, TurnReadoutHead)

    def turn_readout(self, hidden_states: Sequence[torch.Tensor], input_ids: torch.Tensor, emits: torch.Tensor) -> TurnReadout:
        """What the head reads for every emitting position of a batch, in reading order.

        Args:
            hidden_states: the backbone's per-layer states, each (B, T, H) (index 0 = embeddings).
            input_ids: (B, T); emits: (B, T) bool, True where the state emits <POSE>.
        """
        layers = torch.stack([hidden_states[layer] for layer in self.readout_layers], dim=2)  # (B, T, L, H)
        positions = emits.nonzero().tolist()  # [(row, i)], reading order
        spans = []
        for row, position in positions:
            start = self.turn_start(input_ids[row], position)
            spans.append(layers[row, start:position + 1])  # (t, L, H)
        return pad_turns(spans, layers.shape[2:], layers)

    def turn_start(self, input_ids: torch.Tensor, position: int) -> int:
        """First position the head reads for the <POSE> emitted at `position` of one row of ids."""
        if not self.reads_turn:
            return position
        start = turn_start(input_ids, position, self.end_token_ids)
        return max(start, position + 1 - self.config.head_max_turn_tokens)

    def neighbours(self, requests: Sequence[str]) -> torch.Tensor | None:
        """The poses of each request's `retrieval_k` nearest training requests → (Q, K, F) on the
        model's device (None when this head reads no retrieval)."""
        if not self.config.retrieval_k or self.pose_bank is None:
            return None
        queries = torch.from_numpy(self.request_encoder().encode(list(requests)))  # (Q, D)
        return self.pose_bank.neighbours(queries, self.config.retrieval_k).to(self.device)

    def answers_from_bank(self, messages: Sequence[Any], reads_photo: bool = False) -> bool:
        """Whether the reply to `messages` (ending with a user message) takes its poses from the
        bank (`bank_answers`): a text turn, either a request with no pose before it or a follow-up
        when the bank holds follow-ups (`bank_query`; banks made before them answer first requests
        only, the head the rest). A photo's pose is read from the photo."""
        if not (self.config.bank_answers and self.pose_bank is not None) or reads_photo:
            return False
        return not bank_query(messages).follow_up or self.pose_bank.has_follow_ups

    def bank_poses(self, messages: Sequence[Any], count: int = BANK_ANSWERS) -> torch.Tensor:
        """The poses of the nearest training turns to the conversation's last user message (by
        `bank_query`: a request by its words, a follow-up with the requests it changes), most
        similar first, each one distinct from those before it (a request for three stretches gets
        three stretches, not one three times); a first request that lists its poses ("a squat and
        then a lunge", `posegpt.pose_count.listed_poses`) gets the nearest to each item first, in
        its order; a request that spells out a body gets the pose whose facts cover most of its
        words first (`bank_body_words`), changed as its clauses ask when that covers more
        (`bank_asked_edits`); a follow-up is first the pose shown changed as it asks (`bank_edits`),
        and one no edit fits whose own words read as a request is answered as one
        (`bank_fresh_requests`), keeping the rest of the pose shown when its words name one limb
        (`_rest_kept`). Each is turned to the sides its words name (`bank_sides`: "your
        right hand" is not the nearest request's left one), and a first request's pose whose words
        name no side to the default one (`posegpt.sides.on_default_side`: every salute right-handed) → (≤ max(count, items), 24, 3, 3) on the
        model's device."""
        from posegpt.pose_count import listed_poses
        from posegpt.sides import on_default_side, on_named_sides

        if self.pose_bank is None:
            raise RuntimeError("this model has no pose bank")
        query = bank_query(messages)
        text, follow_up, asked = query
        edited = self._edited_shown_pose(messages, query) if follow_up and self.config.bank_edits else None
        if follow_up and edited is None and self.config.bank_fresh_requests:
            asked = _own_words(query)
            own_words = [{"role": "user", "content": asked}]  # a new request, by its own words
            if self._edit_gave_way(messages) or self._reads_as_fresh(text, asked):
                return self._rest_kept(messages, asked, self.bank_poses(own_words, count))
            fresh = self.bank_poses(own_words, count)  # (n, 24, 3, 3)
            if self._fresh_covers_more(text, asked, fresh[0]):
                return self._rest_kept(messages, asked, fresh)
        items = () if follow_up else listed_poses(asked)
        count = max(count, len(items))
        looked_up = [text, *items] if follow_up else [lookup_words(words) for words in (text, *items)]
        queries = torch.from_numpy(self.request_encoder().encode(looked_up))  # (1 + items, D)
        found = self.pose_bank.neighbours(queries, max(BANK_CANDIDATES, count * 8), follow_up=follow_up,
                                          distinct=True)  # (1 + items, K, 145) most similar distinct poses first
        whole = found[0]  # (K, 145)
        if self.config.bank_body_words and self.config.bank_clause_candidates and not follow_up and not items:
            whole = self._widened(asked, queries[:1], whole)
        candidates = whole[:, :-1]  # (K, 144) 6D poses for the whole message
        below = self.config.bank_rerank_below
        by_words = self._by_body_words(asked, candidates, whole[:, -1]) if self.config.bank_body_words and not follow_up else None
        if by_words is not None:
            order, shown = by_words
            candidates = candidates[order]
        elif self.config.bank_rerank and (below is None or float(whole[0, -1]) < below):
            candidates = candidates[self._reranked(queries[0], candidates, whole[:, -1])]
        if self.config.bank_asked_edits and not follow_up:
            first = shown[int(order[0])] if by_words is not None else self._turned(candidates[:1], asked)
            changed = self._asked_edit(asked, first, judged=by_words is not None)
            if changed is not None:  # offered first, the pose it changed after it
                candidates = torch.cat([changed[None], candidates])  # (K + 1, 144)
            rested = None if items else self._other_arm_rested(asked, candidates[0])
            if rested is not None:  # "raise just your right hand": the left one hangs
                candidates = torch.cat([rested[None], candidates])  # (K + 1, 144)
        # (6D pose (144,), the words that asked for it, or None for a pose already on the sides
        # they name: the shown pose changed by a sided edit)
        chosen: list[tuple[torch.Tensor, str | None]] = []
        mirrors: list[torch.Tensor] = []  # the mirror image of each chosen pose, made once

        def offer(pose: torch.Tensor, words: str | None, nor_mirrored: bool = False) -> bool:
            """Keep `pose` (144,) unless it is one already chosen (or, `nor_mirrored`, its mirror image)."""
            others = [other for other, _ in chosen] + (mirrors if nor_mirrored else [])
            if all(float((pose - other).abs().mean()) > DISTINCT_POSE_6D for other in others):
                chosen.append((pose, words))
                mirrors.append(_mirrored_6d(pose))
                return True
            return False

        if edited is not None:  # the pose the user saw, changed as the follow-up asks, on the sides it asks
            offer(rotations_to_6d(edited.rotation_matrices()[0].float()), None)
        for index, item in enumerate(items):  # each listed pose: its own nearest not shown yet
            for pose in found[1 + index, :, :-1]:
                if offer(pose, item):
                    break
        # "two different stretches" are not one stretch and its mirror image (the bank holds both
        # sides of each training pose, and turned to the sides the words name, or to the default
        # one, the two would be one pose twice)
        for pose in candidates:
            if len(chosen) >= count:
                break
            offer(pose, asked, nor_mirrored=True)
        rotations = rotation_6d_to_matrix(torch.stack([pose for pose, _ in chosen]).unflatten(-1, (NUM_JOINTS, 6)))  # (n, 24, 3, 3)
        if self.config.bank_sides:  # a first request that names no side: shown on the default side
            # an edited pose is not turned: "now drop your left arm" with both up leaves the right
            # one raised, which the words' "left" would otherwise mirror
            turned = [Pose.from_rotation_matrices(rotations[i:i + 1]) if words is None
                      else on_named_sides(Pose.from_rotation_matrices(rotations[i:i + 1]), words)
                      for i, (_, words) in enumerate(chosen)]
            turned = turned if follow_up else [on_default_side(pose, words) for pose, (_, words) in zip(turned, chosen)]
            rotations = torch.stack([pose.rotation_matrices()[0] for pose in turned])
        if follow_up and edited is None and self.config.bank_edits:  # a training follow-up's pose
            rotations = self._rest_kept(messages, _own_words(query), rotations)
        return rotations.to(self.device)  # (n, 24, 3, 3)

    def asks_for_edit(self, messages: Sequence[Any]) -> bool:
        """Whether the conversation's last message is a follow-up that one of the training edits
        makes to the pose shown before it (`bank_edits`, `posegpt.follow_ups`: its words near an
        edit's phrasing, the edit fitting the pose): such a message asks for a pose whatever the
        intent gate says ("ok now bring them down" read as small talk got "No, no."), and so does
        one an edit fits that asks for a new body instead (`_fresh_beats_edit`); a question
        that wants words ("what muscles does that stretch?", `posegpt.follow_ups.asks_for_words`)
        is left to the gate."""
        if self.pose_bank is None or not (self.config.bank_answers and self.config.bank_edits and self.pose_bank.has_follow_ups):
            return False
        from posegpt.follow_ups import asks_for_words

        query = bank_query(messages)
        return (query.follow_up and not asks_for_words(query.words)
                and (self._edited_shown_pose(messages, query) is not None or self._edit_gave_way(messages)))

    def _reads_as_fresh(self, text: str, asked: str) -> bool:
        """Whether a follow-up's own words `asked` are at least as near the bank's nearest first
        request as its lookup words `text` (the requests before it and it) are to the nearest
        training follow-up: then it asks for a new pose, not a change of the one shown."""
        queries = torch.from_numpy(self.request_encoder().encode([asked, text]))  # (2, D)
        as_request = float(self.pose_bank.neighbours(queries[:1], 1, follow_up=False)[0, 0, -1])
        as_follow_up = float(self.pose_bank.neighbours(queries[1:], 1, follow_up=True)[0, 0, -1])
        return as_request >= as_follow_up

    def _fresh_covers_more(self, text: str, asked: str, fresh: torch.Tensor) -> bool:
        """Whether a follow-up no edit fits says a body its words alone find better than the
        conversation does: `fresh` (24, 3, 3), the pose the bank answers its own words `asked` with
        as a first request, covers its body words (`posegpt.body_words`) by more than
        `FRESH_COVERS_MORE` than the nearest training follow-up's pose for the conversation
        (`text`). "kneel with your hands on your head" after "lie on your stomach" asks for a new
        body, and was answered lying."""
        fresh = fresh[None].cpu()  # (1, 24, 3, 3)
        query = torch.from_numpy(self.request_encoder().encode([text]))  # (1, D)
        nearest = self.pose_bank.neighbours(query, 1, follow_up=True, distinct=True)[0, :, :-1]  # (1, 144)
        follow = self._turned(nearest, asked).rotation_matrices().cpu()  # (1, 24, 3, 3)
        scores = self._body_word_scores().scores(asked, Pose.from_rotation_matrices(torch.cat([fresh, follow])))
        return scores is not None and float(scores[0] - scores[1]) > FRESH_COVERS_MORE

    def _edited_shown_pose(self, messages: Sequence[Any], query: BankQuery) -> Pose | None:
        """The pose the conversation showed last, changed as the follow-up says (its `query`'s
        words, read with the requests before it: `posegpt.follow_ups.asked_change`), or None (no
        edit near its words, none fits the pose). The shown
        pose is found again as the engine showed it: the bank's poses for the conversation up to
        the last reply with a `<POSE>`, the one that reply's last `<POSE>` got. The engine asks
        twice per follow-up (`asks_for_edit` when the turn starts, `bank_poses` at its first
        `<POSE>`), so the last answer is kept for the same conversation, bank, config and encoder."""
        from posegpt.follow_ups import FollowUpEdits, asked_change
        from posegpt.turns import role_and_content

        turns = [role_and_content(message) for message in messages]
        last_edit = self._last_edit
        if (last_edit is not None and last_edit.bank is self.pose_bank and last_edit.config == self.config
                and last_edit.encoder is self._request_encoder and last_edit.turns == turns):
            return last_edit.edited
        last = max((i for i, (role, content) in enumerate(turns) if role == "assistant" and POSE_TOKEN in content), default=None)
        if last is None or last == 0 or turns[last - 1][0] != "user":
            return None
        shown_count = turns[last][1].count(POSE_TOKEN)
        poses = self.bank_poses(messages[:last], count=shown_count)  # (n, 24, 3, 3)
        shown = Pose.from_rotation_matrices(poses[min(shown_count, poses.shape[0]) - 1].unsqueeze(0).cpu())
        if self._follow_up_edits is None:
            self._follow_up_edits = FollowUpEdits(self.request_encoder())
        earlier = _earlier_requests(query)  # the requests a pose answered
        shown_words = turns[last][1].replace(POSE_TOKEN, " ")  # the reply that showed it
        asked = asked_change(query.words, earlier, shown_words)
        edited = self._follow_up_edits.edited(shown, asked)
        fresh = (edited is not None and self.config.bank_fresh_requests and not self._follow_up_edits.sure(asked, shown)
                 and self._fresh_beats_edit(_own_words(query), shown, edited))
        edited = None if fresh else edited
        if edited is not None:  # "now wave with just your left hand": the right one comes down
            edited = other_arm_rested(edited, query.words) or edited
        self._last_edit = _ShownEdit(self.pose_bank, self.config, self._request_encoder, turns, edited, shown, fresh)
        return edited

    def _rest_kept(self, messages: Sequence[Any], asked: str, fresh: torch.Tensor) -> torch.Tensor:
        """`fresh` (n, 24, 3, 3), a follow-up's answer as a new request by its own words `asked`,
        with its first pose keeping what the words do not name of the pose shown before: words
        moving the parts of the arms alone (`posegpt.follow_ups.moved_regions`: "hands on your
        knees" moves the arms) take the fresh pose's arms onto the shown body (one side named:
        that arm alone), or else the arms of one of the next `REST_CANDIDATES` fresh poses in the
        posture shown when no clause asks for the trunk; words naming the legs' alone keep the shown arms and head on the fresh body, unless a clause asks for the trunk
        (`TRUNK_TOPICS`: "lean forward and reach for your feet" after sitting); words naming no
        limb whose clause asks for the trunk keep the shown arms and head on the fresh body when
        its posture is the one shown ("lean to the side a bit" with the hands on the
        hips). Not when that covers the words (`posegpt.body_words`, when a clause says a body)
        more than `KEEP_REST_TOLERANCE` less than the fresh pose, or is not a plausible body. Why:
        a follow-up asks for a change and keeps the rest, and no training edit lifts a knee: "now
        lift your right knee up" after "put your hands on your hips" got the knee up and the hands
        off the hips."""
        from posegpt.body_words import BODY_CLAUSE, TRUNK_TOPICS, named_side
        from posegpt.data.conversations import ARM_JOINTS, BOTH_ARMS, HEAD_JOINTS, transplant
        from posegpt.data.plausibility import is_plausible
        from posegpt.follow_ups import moved_regions
        from posegpt.sides import says_both_sides
        from posegpt.turns import role_and_content

        last_edit = self._last_edit
        if last_edit is None or last_edit.turns != [role_and_content(message) for message in messages]:
            return fresh  # no pose shown before this follow-up
        named = moved_regions(asked)
        if named not in ({"arm"}, {"leg"}, frozenset()):
            return fresh
        first = Pose.from_rotation_matrices(fresh[:1].cpu())
        words = self._body_word_scores()
        trunk = words.matches(asked, first, topics=TRUNK_TOPICS)  # (1, C) or None
        asks_trunk = trunk is not None and float(trunk.max()) >= BODY_CLAUSE
        if asks_trunk == bool(named):
            return fresh  # a limb and the trunk asked, or neither
        if named == {"arm"}:  # the fresh arms on the shown body (one side named, that arm alone:
            # "drop your right arm" with both held forward kept the left one forward)
            side = None if says_both_sides(asked) else named_side(asked)
            arms = ARM_JOINTS[side] if side else BOTH_ARMS
            kept = [transplant(last_edit.shown, first, arms)]
            if not asks_trunk:  # or the arms of the next few fresh poses in the posture shown: "put
                # your hands on your knees" while sitting cross-legged is nearest a standing body
                # bent over its knees, whose arms hang beside the seated hips
                shown_posture = _posture(last_edit.shown)
                others = self.bank_poses([{"role": "user", "content": asked}], REST_CANDIDATES)[1:].cpu()  # (m, 24, 3, 3)
                kept += [transplant(last_edit.shown, other, arms) for other in
                         (Pose.from_rotation_matrices(others[i:i + 1]) for i in range(others.shape[0]))
                         if _posture(other) == shown_posture]
        else:  # the legs named, or the trunk alone ("lean to the side a bit") in the posture shown:
            # the shown arms and head on the fresh body, whose legs hold it up (the shown legs under
            # its tilted hips tipped it over)
            if not named and _posture(first) != _posture(last_edit.shown):
                return fresh
            kept = [transplant(first, last_edit.shown, BOTH_ARMS + HEAD_JOINTS)]
        rotations = first.rotation_matrices()
        candidates = Pose.from_rotation_matrices(torch.cat([rotations] + [pose.rotation_matrices().to(rotations.dtype) for pose in kept]))  # (1 + k,)
        # by the clauses' matches alone: a posture the words do not ask for is the one shown, kept
        matches = words.matches(asked, candidates)  # (1 + k, C)
        plausible = is_plausible(Pose.from_rotation_matrices(candidates.rotation_matrices()[1:]))  # (k,)
        for index, pose in enumerate(kept):
            covered = matches is None or float(matches[0].sum() - matches[1 + index].sum()) <= KEEP_REST_TOLERANCE
            if covered and bool(plausible[index]):
                return torch.cat([pose.rotation_matrices().to(fresh), fresh[1:]])  # (n, 24, 3, 3)
        return fresh

    def _edit_gave_way(self, messages: Sequence[Any]) -> bool:
        """Whether `_edited_shown_pose` just found an edit for this conversation's follow-up and
        dropped it for a new body (`_fresh_beats_edit`)."""
        from posegpt.turns import role_and_content

        last_edit = self._last_edit
        return (last_edit is not None and last_edit.fresh and last_edit.bank is self.pose_bank
                and last_edit.turns == [role_and_content(message) for message in messages])

    def _fresh_beats_edit(self, asked: str, shown: Pose, edited: Pose) -> bool:
        """Whether a follow-up that an edit fits, but not surely (`FollowUpEdits.sure`), asks for a
        new body: the pose the bank answers its own words `asked` with as a first request covers
        its body words (`posegpt.body_words`) by more than `FRESH_COVERS_MORE` than the shown pose
        so `edited` does, a clause of the words says that pose's posture or trunk
        (`WHOLE_BODY_TOPICS`: "now put your hands above your head" while sitting is no reason to
        stand) unless the edit left the pose as it was (`edited` is `shown`: "touch your toes" was
        nearest "Put your feet side by side, touching." with the feet together already, and the
        user got the pose again), and it is not in the posture of the pose `shown` when the edit
        changed that posture ("now get up off the chair" finds a sitting body by its "chair").
        "bend over and touch your toes" after a wave is near the edit that bends the knees, and
        was answered with bent knees and the hand still up."""
        from posegpt.body_words import WHOLE_BODY_TOPICS

        fresh_rotations = self.bank_poses([{"role": "user", "content": asked}], count=1)[:1].cpu()  # (1, 24, 3, 3)
        fresh = Pose.from_rotation_matrices(fresh_rotations)
        both = torch.cat([fresh_rotations, edited.rotation_matrices().cpu().to(fresh_rotations.dtype)])  # (2, 24, 3, 3)
        words = self._body_word_scores()
        scores = words.scores(asked, Pose.from_rotation_matrices(both))  # (2,)
        if scores is None or float(scores[0] - scores[1]) <= FRESH_COVERS_MORE:
            return False
        if edited is not shown and words.matches(asked, fresh, topics=WHOLE_BODY_TOPICS) is None:
            return False  # a pose the edit changed keeps its body unless the words say another

        before = _posture(shown)
        return not (_posture(fresh) == before and _posture(edited) != before)

    def edited_from(self, messages: Sequence[Any]) -> Pose | None:
        """The pose shown before a follow-up when the bank's first pose for it is that pose
        changed as the follow-up asks (`bank_edits`), else None: the reply then says what changed
        (`posegpt.shown_words.said`)."""
        if self.pose_bank is None or not self.config.bank_edits:
            return None
        query = bank_query(messages)
        if not query.follow_up or self._edited_shown_pose(messages, query) is None:
            return None
        return self._last_edit.shown if self._last_edit is not None else None

    def _widened(self, asked: str, query: torch.Tensor, whole: torch.Tensor) -> torch.Tensor:
        """The whole request's candidates `whole` (K, 145), and after them each of its clauses' own
        nearest `bank_clause_candidates` poses (`PoseBank.widened`), for a request of two clauses or
        more (one clause is the whole request)."""
        from posegpt.body_words import said_clauses

        pieces = said_clauses(asked)
        if len(pieces) < 2:
            return whole
        parts = torch.from_numpy(self.request_encoder().encode(pieces))  # (C, D)
        return self.pose_bank.widened(query, whole.shape[0], parts, self.config.bank_clause_candidates)

    def _by_body_words(self, asked: str, candidates: torch.Tensor, similarity: torch.Tensor) -> tuple[torch.Tensor, Pose] | None:
        """The order in which to offer the bank's `candidates` (K, 144) for a request `asked` that
        says what the body does: by how much of its body words each pose's own facts cover
        (`posegpt.body_words`, each pose first turned to the sides the words name, as it would be
        shown) + BANK_SIMILARITY_WEIGHT × its bank `similarity` (K,) → ((K,) indices, the K poses
        so turned, in the candidates' order); None when the request has no body words."""
        shown = self._turned(candidates, asked)
        scores = self._body_word_scores().scores(asked, shown)
        if scores is None:
            return None
        total = scores + BANK_SIMILARITY_WEIGHT * similarity.float()  # (K,)
        if PLAIN_POSE_WEIGHT:
            total = total - PLAIN_POSE_WEIGHT * plain_distance(shown)
        return torch.argsort(total, descending=True, stable=True), shown

    def _asked_edit(self, asked: str, first: Pose, judged: bool) -> torch.Tensor | None:
        """The bank's first pose for `asked`, turned to the sides it names (`first`), changed by a
        training edit the request's clauses ask for (`posegpt.asked_edits`: the one whose facts
        match its body words best when `judged` by them; for a request without body words, the
        edit it asks for most) → (144,) 6D, or None."""
        from posegpt.asked_edits import AskedEdits

        if self._asked_edits is None:
            self._asked_edits = AskedEdits(self.request_encoder(), self._body_word_scores())
        changed = self._asked_edits.edited(asked, first) if judged else self._asked_edits.most_asked(asked, first)
        return None if changed is None else rotations_to_6d(changed.rotation_matrices()[0].float())

    def _other_arm_rested(self, asked: str, pose: torch.Tensor) -> torch.Tensor | None:
        """The 6D `pose` (144,), turned to the sides `asked` names, with the other arm hanging
        (`other_arm_rested`) → (144,); None when the words ask no arm alone or it already hangs."""
        rested = other_arm_rested(self._turned(pose[None], asked), asked, first_request=True)
        return None if rested is None else rotations_to_6d(rested.rotation_matrices()[0].float()).to(pose)

    def _body_word_scores(self) -> BodyWords:
        """The `BodyWords` that choose among the bank's candidates and judge asked edits (made once)."""
        from posegpt.body_words import BodyWords

        if self._body_words is None:
            self._body_words = BodyWords(self.request_encoder())
        return self._body_words

    @staticmethod
    def _turned(candidates: torch.Tensor, asked: str) -> Pose:
        """(K, 144) 6D poses → K poses, each turned to the sides `asked` names, as it would be shown."""
        from posegpt.sides import on_named_sides

        rotations = rotation_6d_to_matrix(candidates.float().unflatten(-1, (NUM_JOINTS, 6)))  # (K, 24, 3, 3)
        turned = [on_named_sides(Pose.from_rotation_matrices(rotations[i:i + 1]), asked) for i in range(rotations.shape[0])]
        return Pose.from_rotation_matrices(torch.cat([pose.rotation_matrices() for pose in turned]))

    def _reranked(self, query: torch.Tensor, candidates: torch.Tensor, similarity: torch.Tensor) -> torch.Tensor:
        """The order in which to offer the bank's `candidates` (K, 144) for a request embedded as
        `query` (D,), their bank `similarity` (K,) most similar first: the first `bank_rerank` by
        similarity + CAPTION_AGREEMENT_WEIGHT × the mean similarity of the request to three of the
        captioner's descriptions of each pose, the rest after them as they came → (K,) indices."""
        from posegpt.data.captioner import shared_captioner

        top = min(self.config.bank_rerank, candidates.shape[0])
        rotations = rotation_6d_to_matrix(candidates[:top].float().unflatten(-1, (NUM_JOINTS, 6)))  # (top, 24, 3, 3)
        descriptions = shared_captioner().describe_batch(Pose.from_rotation_matrices(rotations), CAPTION_DESCRIPTIONS)
        vectors = torch.from_numpy(self.request_encoder().encode([d for pose in descriptions for d in pose]))
        agreement = (vectors.view(top, CAPTION_DESCRIPTIONS, -1) @ query.float()).mean(1)  # (top,)
        first = torch.argsort(similarity[:top].float() + CAPTION_AGREEMENT_WEIGHT * agreement, descending=True)
        return torch.cat([first, torch.arange(top, candidates.shape[0])])

    def request_encoder(self) -> Any:
        """The sentence encoder (all-MiniLM-L6-v2) that the retrieval head and the intent gate
        read requests with; loaded on first use, shared by both."""
        if self._request_encoder is None:
            # One load at a time, process-wide: loading a transformers model swaps global state
            # (empty-weight initialisation patches torch.nn.Module), so two app sessions loading it
            # at once could leave every later model's parameters on the meta device.
            with _ENCODER_LOCK:
                if self._request_encoder is None:
                    from posegpt.retrieval import MiniLMEmbedder

                    self._request_encoder = MiniLMEmbedder()
        return self._request_encoder

    def wants_pose(self, messages: Sequence[Any]) -> bool:
        """The intent gate's decision for a conversation ending with a user message: may the
        reply show poses? True when this model has no gate (the LLM alone decides)."""
        if self.intent_gate is None:
            return True
        return self.intent_gate.wants_pose(gate_turn(messages), self.request_encoder())

    @property
    def can_disable_adapter(self) -> bool:
        """Whether `use_adapter(False)` works (an unmerged adapter, or merged with the base kept)."""
        return bool(self._base_weights) or hasattr(self.language_model, "disable_adapter_layers")

    def use_adapter(self, enabled: bool) -> None:
        """Run the backbone with the pose adapter (LoRA) on or off; off = the base chat model,
        which answers the turns the intent gate says want no pose. Unmerged, PEFT switches its
        adapter layers; merged (`merge_for_inference`), the merged and the base weights of every
        adapted layer are both kept and swapped by reference (exact, microseconds)."""
        if enabled == self._adapter_on:
            return
        if self._base_weights:
            for module, merged, base in self._base_weights.values():
                module.weight.data = merged if enabled else base
        elif hasattr(self.language_model, "enable_adapter_layers"):
            if enabled:
                self.language_model.enable_adapter_layers()
            else:
                self.language_model.disable_adapter_layers()
        else:
            raise ValueError("this model's adapter was merged without keeping the base weights: it cannot be turned off")
        self._adapter_on = enabled

    def decode_poses(self, readout: TurnReadout) -> torch.Tensor:
        """What P poses' turns say → (P, 24, 3, 3) rotations (the last-state head reads only the
        emitting position's last layer)."""
        if isinstance(self.pose_head, TurnReadoutHead):
            return self.pose_head(readout)
        return self.pose_head(readout.emitting[:, -1])

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    @property
    def device(self) -> torch.device:
        return next(self.pose_head.parameters()).device

    # -- checkpoints -----------------------------------------------------------------------------

    def save_pretrained(self, folder: str | Path, model_card: str | None = None) -> Path:
        """config.json + pose_head.safetensors + PEFT adapter + tokenizer + README model card."""
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / CONFIG_NAME).write_text(self.config.to_json() + "\n")
        head_state = {name: tensor.detach().float().cpu().contiguous() for name, tensor in self.pose_head.state_dict().items()}
        save_file(head_state, str(folder / HEAD_WEIGHTS_NAME), metadata={"format": CHECKPOINT_FORMAT})
        if self.person_projector is not None and self.person_pointer is not None:
            person_state = {
                f"{prefix}.{name}": tensor.detach().float().cpu().contiguous()
                for prefix, module in (("projector", self.person_projector), ("pointer", self.person_pointer))
                for name, tensor in module.state_dict().items()
            }
            save_file(person_state, str(folder / PERSON_WEIGHTS_NAME), metadata={"format": CHECKPOINT_FORMAT})
        if self.pose_bank is not None:
            self.pose_bank.save(folder / POSE_BANK_NAME)
        if self.intent_gate is not None:
            self.intent_gate.save(folder)
        # The resized embedding matrix is rebuilt on load (mean row) and the trained <POSE> row is
        # in the adapter, so the full matrix (100+ MB for real backbones) is never written.
        self.language_model.save_pretrained(str(folder), save_embedding_layers=False)
        (folder / "README.md").unlink(missing_ok=True)  # PEFT writes a generic card; ours follows
        self.tokenizer.save_pretrained(str(folder))
        (folder / "README.md").write_text(model_card or _default_model_card(self.config))
        return folder

    @classmethod
    def from_pretrained(
        cls,
        path_or_hub_id: str | Path,
        device: str | torch.device = "cpu",
        dtype: torch.dtype | str | None = None,
        backbone: Backbone | str | None = None,
        config_overrides: dict[str, Any] | None = None,
    ) -> "PoseGPT":
        """Load a checkpoint folder (or a hub repo with one, downloaded on demand).

        ``backbone`` overrides the one named in config.json (a spec or an already loaded Backbone),
        e.g. to point at a local copy of the same weights. ``config_overrides`` changes config
        values before the model is built — e.g. ``{"person_feature_dim": 231}`` to go on training a
        text-only checkpoint on photos (new modules start untrained; the rest is loaded), or
        ``{"head_type": "turn_attention"}`` to fit another pose head on its states (the new head
        starts untrained).
        """
        folder = _resolve_checkpoint_folder(path_or_hub_id)
        config_path = folder / CONFIG_NAME
        try:
            saved = json.loads(config_path.read_text())
            config = PoseGPTConfig.from_dict({**saved, **(config_overrides or {})})
        except FileNotFoundError:
            raise CheckpointError(f"{folder} is not a PoseGPT checkpoint: it has no {CONFIG_NAME}") from None
        except (json.JSONDecodeError, TypeError, ValueError) as error:
            raise CheckpointError(f"{config_path} is not valid: {error}") from None
        if config.format != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{config_path} has format {config.format!r}; this PoseGPT reads {CHECKPOINT_FORMAT!r}")
        for required in (HEAD_WEIGHTS_NAME, "adapter_config.json", "adapter_model.safetensors"):
            if not (folder / required).exists():
                raise CheckpointError(f"the checkpoint {folder} lacks {required}")
        if not isinstance(backbone, Backbone):
            backbone = load_backbone(backbone or config.backbone, device=device, dtype=dtype)
        try:
            from transformers import AutoTokenizer

            backbone.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        except Exception as error:  # missing/corrupt tokenizer files
            raise CheckpointError(f"the tokenizer in {folder} cannot be loaded: {error}") from None
        try:
            model = cls(backbone, config, adapter_path=folder)
        except CheckpointError:
            raise
        except Exception as error:  # adapter shapes that do not fit this backbone, corrupt files
            raise CheckpointError(f"the adapter in {folder} does not fit backbone {backbone.spec!r}: {error}") from None
        saved_config = PoseGPTConfig.from_dict(saved)
        if _same_head(saved_config, config):
            model.pose_head.load_state_dict(_load_head_state(folder / HEAD_WEIGHTS_NAME, model.pose_head))
            if config.retrieval_k:
                model.pose_bank = _load_bank(folder)
        elif (_same_head(replace(saved_config, retrieval_k=config.retrieval_k, retrieval_copy=config.retrieval_copy), config)
              and not saved_config.retrieval_k):
            # A turn head that learns to retrieve starts as the trained head it was; only the parts
            # that read and copy the neighbours are new.
            model.pose_head.load_state_dict(
                _load_head_state(folder / HEAD_WEIGHTS_NAME, model.pose_head, missing_prefix=("neighbour_projection.", "copy_")),
                strict=False)
        # else: config_overrides asked for another head; it starts untrained (e.g. a new readout to fit)
        # A model that answers from its bank loads it; one whose bank answers only by an override
        # and has none gets it from training (posegpt.train).
        if config.bank_answers and model.pose_bank is None and (saved_config.bank_answers or (folder / POSE_BANK_NAME).exists()):
            model.pose_bank = _load_bank(folder)
        if model.person_projector is not None and model.person_pointer is not None:
            person_file = folder / PERSON_WEIGHTS_NAME
            if person_file.exists():
                modules = {"projector": model.person_projector, "pointer": model.person_pointer}
                state = _load_head_state(person_file, _Bundle(modules))
                for prefix, module in modules.items():
                    module.load_state_dict({k.split(".", 1)[1]: v for k, v in state.items() if k.startswith(prefix + ".")})
            elif not config_overrides:
                raise CheckpointError(f"the checkpoint {folder} reads photos but lacks {PERSON_WEIGHTS_NAME}")
        try:
            model.intent_gate = IntentGate.load(folder)  # None for checkpoints without one
        except ValueError as error:
            raise CheckpointError(str(error)) from None
        return model.eval()

    def merge_for_inference(self, keep_base: bool | None = None) -> "PoseGPT":
        """Fold LoRA and the <POSE> row into the base weights: faster decoding, no training after.

        `keep_base` (default: when the model has an intent gate) also keeps each adapted layer's
        base weight, so `use_adapter(False)` can answer a no-pose turn with the base chat model
        at merged speed (costs one copy of the adapted layers' weights in memory)."""
        if keep_base is None:
            keep_base = self.intent_gate is not None
        base: dict[str, torch.Tensor] = {}
        if keep_base:
            self.use_adapter(True)
            from peft.tuners.lora import LoraLayer

            for name, module in self.language_model.named_modules():
                if isinstance(module, LoraLayer) and isinstance(module.get_base_layer(), nn.Linear):
                    base[name] = module.get_base_layer().weight.detach().clone()
        self.language_model = self.language_model.merge_and_unload()
        self.backbone.model = self.language_model
        self._base_weights = {}
        if base:
            modules = dict(self.language_model.named_modules())
            prefix = "base_model.model."
            for name, weight in base.items():
                module = modules[name[len(prefix):] if name.startswith(prefix) else name]
                self._base_weights[name] = (module, module.weight.data, weight)
        return self.eval()


def _hidden_size(model: nn.Module) -> int:
    return int(model.get_input_embeddings().weight.shape[1])


def _num_layers(model: nn.Module) -> int:
    """Transformer layers of the language model (hidden_states has one more: the embeddings)."""
    config = model.config
    text_config = getattr(config, "text_config", None) or config
    return int(text_config.num_hidden_layers)


def _readout_layers(config: PoseGPTConfig, num_layers: int) -> tuple[int, ...]:
    """The hidden_states indices the head reads, ascending, the last layer always last."""
    if config.head_type == "last_state":
        return (num_layers,)
    layers = set()
    for layer in config.head_layers:
        resolved = layer + num_layers + 1 if layer < 0 else layer
        if not 0 <= resolved <= num_layers:
            raise ValueError(f"head_layers has {layer}, but the backbone's hidden states are 0..{num_layers}")
        layers.add(resolved)
    return tuple(sorted(layers | {num_layers}))


def pad_turns(spans: Sequence[torch.Tensor], inner_shape: Sequence[int], like: torch.Tensor) -> TurnReadout:
    """Turns of different lengths, each (t, L, H) → one `TurnReadout` padded at the end."""
    length = max((span.shape[0] for span in spans), default=1)
    states = like.new_zeros((len(spans), length, *inner_shape))  # (P, T, L, H)
    mask = torch.zeros((len(spans), length), dtype=torch.bool, device=like.device)
    for index, span in enumerate(spans):
        states[index, : span.shape[0]] = span
        mask[index, : span.shape[0]] = True
    return TurnReadout(states, mask)


def _resolve_checkpoint_folder(path_or_hub_id: str | Path) -> Path:
    """A local folder as is; "owner/name" (not a local path) from the Hugging Face Hub."""
    folder = Path(path_or_hub_id).expanduser()
    if folder.is_dir():
        return folder
    text = str(path_or_hub_id)
    parts = text.split("/")
    is_hub_id = len(parts) == 2 and all(parts) and not text.startswith((".", "~")) and not Path(parts[0]).exists()
    if not is_hub_id:
        raise CheckpointError(f"checkpoint folder not found: {path_or_hub_id}")
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id=text))
    except Exception as error:
        raise CheckpointError(
            f"could not download the checkpoint {text!r} from the Hugging Face Hub ({type(error).__name__}); "
            "check the name and the internet connection, or pass a local folder"
        ) from None


def _same_head(saved: PoseGPTConfig, config: PoseGPTConfig) -> bool:
    """Whether the saved head weights fit the head `config` builds."""
    shape_fields = ("head_type", "head_layers", "head_width", "head_queries", "head_blocks", "head_hidden_size",
                    "retrieval_k", "retrieval_copy")
    return all(getattr(saved, name) == getattr(config, name) for name in shape_fields)


class _Bundle(nn.Module):
    """Several modules under name prefixes, so one safetensors file can hold them all."""

    def __init__(self, modules: dict[str, nn.Module]) -> None:
        super().__init__()
        for name, module in modules.items():
            self.add_module(name, module)


def _load_bank(folder: Path) -> PoseBank:
    if not (folder / POSE_BANK_NAME).exists():
        raise CheckpointError(f"the checkpoint {folder} reads a pose bank (retrieval or bank answers) but lacks {POSE_BANK_NAME}")
    try:
        return PoseBank.load(folder / POSE_BANK_NAME)
    except Exception as error:  # truncated or foreign safetensors
        raise CheckpointError(f"{folder / POSE_BANK_NAME} cannot be read: {error}") from None


def _load_head_state(path: Path, head: nn.Module, missing_prefix: str | tuple[str, ...] | None = None) -> dict[str, torch.Tensor]:
    """The saved weights of `head`, checked name by name and shape by shape (`missing_prefix`:
    parameters under it, or under any of several, may be absent from the file; they keep their
    fresh values)."""
    from safetensors.torch import load_file

    try:
        state = load_file(str(path))
    except Exception as error:
        raise CheckpointError(f"{path} is corrupt or not a safetensors file ({error})") from None
    expected = head.state_dict()
    if missing_prefix:
        expected = {name: value for name, value in expected.items() if not name.startswith(missing_prefix)}
    if set(state) != set(expected):
        raise CheckpointError(f"{path} holds {sorted(state)}, expected {sorted(expected)}")
    for name, tensor in state.items():
        if tensor.shape != expected[name].shape:
            raise CheckpointError(
                f"{path}: {name} has shape {tuple(tensor.shape)}, this model needs {tuple(expected[name].shape)}"
            )
    return {name: tensor.to(expected[name]) for name, tensor in state.items()}


def _default_model_card(config: PoseGPTConfig) -> str:
    return (
        "# PoseGPT checkpoint\n\n"
        f"- Backbone: `{config.backbone}` (not included; loaded by PoseGPT.from_pretrained)\n"
        f"- Fine-tuning: {config.finetune}"
        + f" (LoRA r={config.lora_r}, alpha={config.lora_alpha} on {', '.join(config.lora_target_modules)})"
        + f"\n- Pose head: MLP {config.hidden_size} → {config.head_hidden_size or config.hidden_size} → 24×6D\n"
        f"- Loss: CE + {config.pose_loss_weight}·L1(rotation matrices) + {config.joint_loss_weight}·L1(joints)\n"
        + (f"- Photos: {config.tokens_per_person} projected tokens per person ({config.person_feature_dim} features), "
           f"person pointer (+ {config.pointer_loss_weight}·CE)\n" if config.person_feature_dim else "")
        + "\n"
        "Training data, steps, hardware and metrics: not recorded by this save.\n"
    )


DEFAULT_CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints" / "posegpt-smollm2-135m"


def _with_encoder(model: PoseGPT) -> PoseGPT:
    """Load the sentence encoder now when the model's gate or bank reads every text turn with it,
    so the first reply is not the one that waits for it (nor prints its loading in a chat). One
    that cannot load is reported by the engine at its first use."""
    if model.intent_gate is not None or model.pose_bank is not None:
        try:
            model.request_encoder()
        except (RuntimeError, OSError):
            pass
    return model


def load_posegpt(
    checkpoint: str | Path | None = None,
    backbone: str | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | str | None = None,
) -> tuple[PoseGPT, str]:
    """The model the CLI and the app use, and one sentence saying what it is.

    Order: an explicit checkpoint; else the committed default checkpoint (when present and no
    other backbone was asked for); else the bare backbone with a new, untrained pose head — it
    chats, but its poses mean nothing until it is trained, and the sentence says so.
    """
    if checkpoint is not None:
        model = _with_encoder(PoseGPT.from_pretrained(checkpoint, device=device, dtype=dtype, backbone=backbone))
        return model, f"PoseGPT checkpoint {checkpoint} on backbone {model.backbone.name}"
    if backbone is None and (DEFAULT_CHECKPOINT_DIR / CONFIG_NAME).exists():
        model = _with_encoder(PoseGPT.from_pretrained(DEFAULT_CHECKPOINT_DIR, device=device, dtype=dtype))
        return model, f"the default PoseGPT checkpoint ({DEFAULT_CHECKPOINT_DIR.name}) on {model.backbone.name}"
    loaded = load_backbone(backbone or DEFAULT_BACKBONE, device=device, dtype=dtype)
    model = PoseGPT(loaded, PoseGPTConfig(backbone=loaded.spec)).eval()
    return model, (
        f"the bare backbone {loaded.name} with an UNTRAINED pose head (no PoseGPT checkpoint found): "
        "it chats, but rarely says <POSE>, and any pose it gives is meaningless"
    )
