"""Cache what the pose head reads, then fit the head on the cache: many epochs per CPU-minute.

On this 2-core CPU a backbone pass over 50,000 conversations takes most of an hour, while the
head is a few MB and trains on cached states at thousands of poses a second. So the backbone
(frozen, LoRA merged) runs once over the training conversations; for every `<POSE>` the cache
keeps what the head would read there — its turn's hidden states at the head's layers
(`PoseGPT.turn_readout`), in float16 — plus the target pose; the head is then fitted on the cache
for as many epochs as validation says help. A cache folder is written shard by shard, so an
interrupted run resumes where it stopped and several head variants can be fitted on one cache.

Speed-ups that change no number: each conversation stops at its last `<POSE>` (later tokens
cannot change earlier states of a causal model), and a batch's shared prefix (the system
prompt) runs once and is reused through the KV cache.
"""

from __future__ import annotations

import inspect
import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import torch

from posegpt.model import PoseGPT, TurnReadout, pad_turns, pose_emitting_mask
from posegpt.retrieval import PoseBank

SHARD_PATTERN = "shard-{:05d}.safetensors"
CACHE_INFO_NAME = "cache.json"


@dataclass
class ReadoutCache:
    """The head's inputs and targets for P poses."""

    states: torch.Tensor  # (N, L, H) float16: every pose's turn, end to end
    spans: torch.Tensor  # (P, 2) long: [start, end) of each pose's turn in `states`
    targets: torch.Tensor  # (P, 24, 3, 3) float32 target rotations
    layers: tuple[int, ...]  # the hidden_states indices of the L layers
    requests: tuple[str, ...] = ()  # (P,) the user message each pose answers (empty: not recorded)
    labels: tuple[str | None, ...] = ()  # (P,) which pose each is (None: unnamed)
    neighbours: torch.Tensor | None = None  # (P, K, F) retrieved training poses (attach_neighbours)

    def __len__(self) -> int:
        return int(self.spans.shape[0])

    def batch(self, index: Sequence[int] | torch.Tensor, device: torch.device | str = "cpu",
              layers: Sequence[int] | None = None) -> tuple[TurnReadout, torch.Tensor]:
        """The poses at `index` → their padded readout (float32) and (B, 24, 3, 3) targets;
        `layers` picks some of the cached layers (a head that reads fewer than were cached)."""
        index = torch.as_tensor(index, dtype=torch.long)
        columns = self.columns(layers) if layers is not None else slice(None)
        turns = [self.states[int(start):int(end), columns] for start, end in self.spans[index].tolist()]
        readout = pad_turns(turns, turns[0].shape[1:], self.states)
        if self.neighbours is not None:
            readout.neighbours = self.neighbours[index]
        return readout.to(device, torch.float32), self.targets[index].to(device)

    def subset(self, index: Sequence[int] | torch.Tensor) -> "ReadoutCache":
        """The poses at `index`, sharing this cache's states (no copy)."""
        index = torch.as_tensor(index, dtype=torch.long)
        picked = index.tolist()
        return ReadoutCache(self.states, self.spans[index], self.targets[index], self.layers,
                            tuple(self.requests[i] for i in picked) if self.requests else (),
                            tuple(self.labels[i] for i in picked) if self.labels else (),
                            None if self.neighbours is None else self.neighbours[index])

    def columns(self, layers: Sequence[int]) -> list[int]:
        """Where `layers` sit among the cached ones; ValueError when one was not cached."""
        missing = [layer for layer in layers if layer not in self.layers]
        if missing:
            raise ValueError(f"the cache holds layers {self.layers}, the head reads {tuple(layers)}")
        return [self.layers.index(layer) for layer in layers]

    def save(self, path: str | Path) -> None:
        from safetensors.torch import save_file

        save_file({"states": self.states.contiguous(), "spans": self.spans.contiguous(), "targets": self.targets.contiguous()},
                  str(path), metadata={"layers": json.dumps(list(self.layers)), "requests": json.dumps(list(self.requests)),
                                       "labels": json.dumps(list(self.labels))})

    @classmethod
    def load(cls, path: str | Path) -> "ReadoutCache":
        from safetensors import safe_open
        from safetensors.torch import load_file

        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata()
        tensors = load_file(str(path))
        return cls(tensors["states"], tensors["spans"], tensors["targets"], tuple(json.loads(metadata["layers"])),
                   tuple(json.loads(metadata.get("requests", "[]"))), tuple(json.loads(metadata.get("labels", "[]"))))

    @classmethod
    def concat(cls, caches: Sequence["ReadoutCache"]) -> "ReadoutCache":
        if not caches:
            raise ValueError("no caches to join")
        if len({cache.layers for cache in caches}) != 1:
            raise ValueError("caches of different layers cannot be joined")
        offsets = torch.tensor([0] + [cache.states.shape[0] for cache in caches[:-1]]).cumsum(0)
        return cls(
            torch.cat([cache.states for cache in caches]),
            torch.cat([cache.spans + offset for cache, offset in zip(caches, offsets.tolist())]),
            torch.cat([cache.targets for cache in caches]),
            caches[0].layers,
            sum((cache.requests for cache in caches), ()) if all(cache.requests for cache in caches) else (),
            sum((cache.labels for cache in caches), ()) if all(cache.labels for cache in caches) else (),
        )


@torch.no_grad()
def cache_readouts(model: PoseGPT, examples: Sequence[Any], batch_size: int = 32, bf16: bool = False,
                   progress: bool = True, state_dtype: torch.dtype = torch.float16) -> ReadoutCache:
    """Run the backbone over encoded conversations (`EncodedConversation`s) and keep, for every
    `<POSE>`, what the head reads there. `bf16` runs the backbone under bfloat16 autocast (about
    2.5× faster here; states within ~1.5 % of float32); the states are kept as `state_dtype`
    (float16 halves a cache on disk; decoding keeps float32)."""
    from tqdm.auto import tqdm

    from posegpt.data.conversation import collate

    was_training = model.training
    model.eval()
    device = model.device
    pad = model.tokenizer.pad_token_id
    with_poses = [_up_to_last_pose(example, model.pose_token_id) for example in examples
                  if example.target_rotations.shape[0] > 0]
    order = sorted(range(len(with_poses)), key=lambda i: with_poses[i].input_ids.shape[0])  # little padding
    turns_of: dict[int, list[torch.Tensor]] = {}  # example → its poses' turns, in reading order
    bar = tqdm(total=len(with_poses), desc="caching what the pose head reads", unit="conv", disable=not progress)
    for first in range(0, len(order), batch_size):
        chunk = order[first:first + batch_size]
        batch = collate([with_poses[i] for i in chunk], pad)
        input_ids, attention_mask = batch["input_ids"].to(device), batch["attention_mask"].to(device)
        emits = pose_emitting_mask(input_ids, model.pose_token_id) & attention_mask.bool()
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16):
            hidden_states, offset = _hidden_states(model, batch, input_ids, attention_mask, emits)
        readout = model.turn_readout(hidden_states, input_ids[:, offset:], emits[:, offset:])  # (p, T, L, H)
        for pose, row in enumerate(emits.nonzero()[:, 0].tolist()):
            turn = readout.states[pose, readout.mask[pose]].to(state_dtype).cpu()  # (t, L, H)
            turns_of.setdefault(chunk[row], []).append(turn)
        bar.update(len(chunk))
    bar.close()
    states: list[torch.Tensor] = []
    spans: list[tuple[int, int]] = []
    total = 0
    for index, example in enumerate(with_poses):  # back to the examples' own order
        for turn in turns_of[index]:
            states.append(turn)
            spans.append((total, total + turn.shape[0]))
            total += turn.shape[0]
    targets = [example.target_rotations.float() for example in with_poses]
    recorded = all(len(getattr(example, "pose_requests", ())) == example.target_rotations.shape[0]
                   for example in with_poses)
    requests = tuple(r for example in with_poses for r in example.pose_requests) if recorded else ()
    labels = tuple(label for example in with_poses for label in (example.pose_labels or (None,) * len(example.pose_requests))
                   ) if recorded else ()
    model.train(was_training)
    layer_count, hidden = len(model.readout_layers), model.config.hidden_size
    return ReadoutCache(
        torch.cat(states) if states else torch.zeros(0, layer_count, hidden, dtype=state_dtype),
        torch.tensor(spans, dtype=torch.long).reshape(-1, 2),
        torch.cat(targets) if targets else torch.zeros(0, 24, 3, 3),
        tuple(model.readout_layers),
        requests,
        labels,
    )


def _up_to_last_pose(example: Any, pose_token_id: int) -> Any:
    """The conversation cut after its last `<POSE>`: nothing later changes what the head reads."""
    from dataclasses import replace

    last = int((example.input_ids == pose_token_id).nonzero().max())
    return replace(example, input_ids=example.input_ids[:last + 1], labels=example.labels[:last + 1])


def _hidden_states(model: PoseGPT, batch: dict[str, torch.Tensor], input_ids: torch.Tensor,
                   attention_mask: torch.Tensor, emits: torch.Tensor) -> tuple[tuple[torch.Tensor, ...], int]:
    """The backbone's per-layer states of the batch from position `offset` on, and `offset`: the
    length of the shared prefix that ran once (batch size 1) and reached the batch as KV cache.
    The prefix stops before the earliest position any pose's turn reads."""
    device = input_ids.device
    if "person_features" in batch:  # a photo's people: their placeholders carry projected features
        embeds = model.embed_inputs(input_ids, batch["person_features"].to(device))
        out = model.language_model(inputs_embeds=embeds, attention_mask=attention_mask, output_hidden_states=True)
        return out.hidden_states, 0
    prefix = _shared_prefix(input_ids, attention_mask)
    for row, position in emits.nonzero().tolist():
        prefix = min(prefix, model.turn_start(input_ids[row], position))
    if prefix < 8 or input_ids.shape[0] == 1:
        out = model.language_model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
        return out.hidden_states, 0
    # transformers 5 names the cache argument `cache` for most models, older ones `past_key_values`.
    cache_argument = "cache" if "cache" in inspect.signature(model.backbone.model.forward).parameters else "past_key_values"
    shared = model.language_model(input_ids=input_ids[:1, :prefix], use_cache=True)
    cache = shared.cache if hasattr(shared, "cache") else shared.past_key_values
    cache.batch_repeat_interleave(input_ids.shape[0])
    out = model.language_model(input_ids=input_ids[:, prefix:], attention_mask=attention_mask, use_cache=True,
                               output_hidden_states=True, **{cache_argument: cache})
    return out.hidden_states, prefix


def _shared_prefix(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> int:
    """Length of the token prefix every row shares (never a whole row: each keeps ≥ 1 own token)."""
    same = (input_ids == input_ids[:1]).all(dim=0)  # (T,)
    shortest = int(attention_mask.sum(dim=1).min())
    differing = (~same).nonzero()
    length = int(differing[0]) if differing.numel() else input_ids.shape[1]
    return max(0, min(length, shortest - 1))


def cache_readouts_to_folder(model: PoseGPT, examples: Sequence[Any], folder: str | Path, shard_size: int = 2048,
                             batch_size: int = 32, bf16: bool = False, fingerprint: str = "") -> ReadoutCache:
    """`cache_readouts` in shards of `shard_size` examples under `folder`; shards already there
    (from the same `fingerprint`: model + data) are loaded, not recomputed, so a stopped run
    resumes. Returns all shards joined."""
    from tqdm.auto import tqdm

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    info_path = folder / CACHE_INFO_NAME
    info = {"fingerprint": fingerprint, "layers": list(model.readout_layers), "examples": len(examples),
            "shard_size": shard_size, "bf16": bf16}
    if info_path.exists() and json.loads(info_path.read_text()) != info:
        raise ValueError(f"{folder} holds a cache of another model, data or setting ({info_path}); "
                         "delete the folder or name another one")
    info_path.write_text(json.dumps(info, indent=1))
    shards = []
    count = math.ceil(len(examples) / shard_size)
    for index in tqdm(range(count), desc="cache shards", unit="shard"):
        path = folder / SHARD_PATTERN.format(index)
        if path.exists():
            shards.append(ReadoutCache.load(path))
            continue
        shard = cache_readouts(model, examples[index * shard_size:(index + 1) * shard_size], batch_size, bf16)
        partial = path.with_suffix(".tmp")
        shard.save(partial)
        partial.replace(path)
        shards.append(shard)
    return ReadoutCache.concat(shards)


def bank_from_cache(cache: ReadoutCache, embedder: Any) -> tuple[PoseBank, list[int | None]]:
    """A `PoseBank` of the cache's named poses (request, target pose, label) and, per cached pose,
    its own entry in the bank (None for unnamed poses, which the bank leaves out)."""
    if not cache.requests:
        raise ValueError("the cache has no requests recorded; re-cache it with this version")
    kept = [index for index, label in enumerate(cache.labels) if label is not None and cache.requests[index]]
    bank = PoseBank.build([cache.requests[i] for i in kept], cache.targets[kept], [cache.labels[i] for i in kept], embedder)
    own: list[int | None] = [None] * len(cache)
    for entry, index in enumerate(kept):
        own[index] = entry
    return bank, own


def attach_neighbours(cache: ReadoutCache, bank: PoseBank, embedder: Any, k: int, own: Sequence[int | None] | None = None,
                      leave_out_share: float = 0.0, seed: int = 0, bank_texts: Sequence[str] | None = None) -> ReadoutCache:
    """Look up every cached pose's request in the bank (never its own entry, nor with
    `bank_texts` any entry of the very same words; for `leave_out_share` of them, no entry of
    the same pose either) and keep the k neighbours in `cache.neighbours`."""
    from posegpt.retrieval import leave_out, same_text_entries

    if not cache.requests:
        raise ValueError("the cache has no requests recorded; re-cache it with this version")
    unique = sorted(set(cache.requests))
    vectors = torch.from_numpy(embedder.encode(unique))  # (U, D)
    row = {text: index for index, text in enumerate(unique)}
    queries = vectors[[row[text] for text in cache.requests]]  # (P, D)
    excluded = leave_out(bank, list(own) if own is not None else [None] * len(cache), list(cache.labels), leave_out_share, seed)
    if bank_texts is not None:
        excluded = [sorted(set(mine) | set(same)) for mine, same in zip(excluded, same_text_entries(bank_texts, cache.requests))]
    parts = [bank.neighbours(queries[start:start + 2048], k, excluded[start:start + 2048])
             for start in range(0, len(cache), 2048)]
    cache.neighbours = torch.cat(parts).to(torch.float16) if parts else None
    return cache


def length_bucketed_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """One epoch of batches: shuffled, then sorted by length within windows of 50 batches so a
    batch pads little, then the batches shuffled."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * 50
    batches = []
    for start in range(0, len(order), window):
        part = sorted(order[start:start + window], key=lambda i: lengths[i])
        batches += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def fit_head(model: PoseGPT, train: ReadoutCache, validation: ReadoutCache, steps: int, batch_size: int = 128,
             learning_rate: float = 1e-3, seed: int = 0, validate_every: int = 250, weight_decay: float = 0.0,
             bf16: bool = True, progress: bool = True, neighbour_dropout: float = 0.0) -> dict[str, Any]:
    """Train `model.pose_head` alone on cached readouts with the joint loop's pose loss
    (λ·L1 rotations + μ·L1 FK joints); warm-up + cosine; keeps the state with the lowest
    validation loss. `bf16` runs the head's attention under bf16 autocast (its output stays
    float32). `neighbour_dropout`: the share of batches fitted without the retrieved neighbours
    (a retrieving head must also pose alone). Returns validation pose L1 before/after, poses seen
    and a short history."""
    from tqdm.auto import tqdm

    layers = tuple(model.readout_layers)
    train.columns(layers)  # fails early when the head reads a layer the cache lacks
    if len(train) == 0:
        raise ValueError("the cache holds no poses")
    head = model.pose_head.float().train()
    device = next(head.parameters()).device
    pose_weight, joint_weight = model.config.pose_loss_weight, model.config.joint_loss_weight

    def loss_of(readout: TurnReadout, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16):
            pred = model.decode_poses(readout).float()
        pose_loss, joint_loss = model.pose_losses(pred, targets)
        return pose_weight * pose_loss + joint_weight * joint_loss, (pred - targets).abs().mean()

    @torch.no_grad()
    def evaluate() -> tuple[float, float]:
        head.eval()
        losses, l1s, weights = 0.0, 0.0, 0
        for start in range(0, len(validation), 512):
            index = list(range(start, min(len(validation), start + 512)))
            loss, l1 = loss_of(*validation.batch(index, device, layers))
            losses += float(loss) * len(index)
            l1s += float(l1) * len(index)
            weights += len(index)
        head.train()
        return losses / max(1, weights), l1s / max(1, weights)

    generator = random.Random(seed)
    optimizer = torch.optim.AdamW(head.parameters(), lr=learning_rate, weight_decay=weight_decay)
    warmup = min(100, steps // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: (step + 1) / max(1, warmup) if step < warmup
        else 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, steps - warmup)))))
    before_loss, before_l1 = evaluate() if len(validation) else (float("nan"), float("nan"))
    best = (before_loss, {k: v.detach().clone() for k, v in head.state_dict().items()})
    history = [{"step": 0, "val_loss": round(before_loss, 5), "val_pose_l1": round(before_l1, 5)}]
    started = time.perf_counter()
    lengths = (train.spans[:, 1] - train.spans[:, 0]).tolist()
    epoch: list[list[int]] = []
    bar = tqdm(range(1, steps + 1), desc="fitting the pose head", disable=not progress)
    for step in bar:
        if not epoch:  # every pose once before any twice
            epoch = length_bucketed_batches(lengths, batch_size, generator)
        readout, targets = train.batch(epoch.pop(), device, layers)
        if neighbour_dropout and generator.random() < neighbour_dropout:
            readout.neighbours = None
        loss, _ = loss_of(readout, targets)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(head.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        if len(validation) and (step % validate_every == 0 or step == steps):
            val_loss, val_l1 = evaluate()
            history.append({"step": step, "train_loss": round(float(loss.detach()), 5), "val_loss": round(val_loss, 5),
                            "val_pose_l1": round(val_l1, 5), "elapsed_s": round(time.perf_counter() - started, 1)})
            bar.set_postfix(val_l1=f"{val_l1:.4f}")
            if val_loss < best[0] or math.isnan(best[0]):
                best = (val_loss, {k: v.detach().clone() for k, v in head.state_dict().items()})
    head.load_state_dict(best[1])
    head.eval()
    after_loss, after_l1 = evaluate() if len(validation) else (float("nan"), float("nan"))
    return {"refit_val_pose_l1_before": round(before_l1, 5), "refit_val_pose_l1": round(after_l1, 5),
            "refit_poses": len(train), "refit_epochs": round(steps * batch_size / len(train), 2),
            "refit_s": round(time.perf_counter() - started, 1), "refit_history": history}


@dataclass
class DecodedReply:
    """The poses of one finished reply, as the engine shows them; the first `from_bank` are the
    pose bank's (`PoseGPT.bank_poses`), the rest the head's."""

    poses: list[Any]
    from_bank: int = 0


@torch.no_grad()
def decode_replies(model: PoseGPT, conversations: Sequence[Sequence[dict[str, str]]], progress: bool = True) -> list[DecodedReply]:
    """The poses `model`'s head reads from finished conversations (the last message an assistant
    reply with its `<POSE>`s), as the engine would have decoded them: one float32 forward pass
    each, the turn of every `<POSE>`, the request's neighbours for a retrieving head, the bank's
    poses where it answers (`PoseGPT.answers_from_bank`). Lets heads of one LLM be compared on the
    very same replies."""
    from posegpt.data.conversation import encode_conversation, pose_requests
    from posegpt.pose import Pose
    from posegpt.tokens import POSE_TOKEN

    counts = [str(messages[-1]["content"]).count(POSE_TOKEN) if messages else 0 for messages in conversations]
    # every <POSE> of a conversation is read (earlier replies' too, in follow-ups); the last reply's are kept
    totals = [sum(str(m["content"]).count(POSE_TOKEN) for m in messages) for messages in conversations]
    examples = []
    for messages, count, total in zip(conversations, counts, totals):
        if count:
            example = encode_conversation(model.backbone, list(messages), [Pose.identity(1)] * total, model.pose_token_id)
            example.pose_requests = pose_requests(messages)
            example.pose_labels = (None,) * total
            examples.append(example)
    cache = cache_readouts(model, examples, bf16=False, progress=progress, state_dtype=torch.float32)
    if model.config.retrieval_k and len(cache):
        cache.neighbours = model.neighbours(list(cache.requests)).cpu()
    poses: list[Any] = []
    for start in range(0, len(cache), 64):
        readout, _ = cache.batch(list(range(start, min(len(cache), start + 64))), model.device, model.readout_layers)
        rotations = model.decode_poses(readout)  # (b, 24, 3, 3)
        poses += [Pose.from_rotation_matrices(rotations[i:i + 1]) for i in range(rotations.shape[0])]
    decoded: list[DecodedReply] = []
    for messages, count, total in zip(conversations, counts, totals):
        read, poses = (poses[:total], poses[total:]) if count else ([], poses)
        reply = DecodedReply(read[total - count:])
        asked = list(messages[:-1])  # the conversation the reply answers
        if count and model.answers_from_bank(asked):  # as the engine: the bank's poses first, the head's after them
            found = model.bank_poses(asked)  # (n, 24, 3, 3)
            reply.from_bank = min(count, found.shape[0])
            reply.poses[:reply.from_bank] = [Pose.from_rotation_matrices(found[i:i + 1].cpu()) for i in range(reply.from_bank)]
        decoded.append(reply)
    return decoded
