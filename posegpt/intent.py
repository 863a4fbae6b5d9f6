"""The pose-intent gate: does the user's turn ask for a pose? Decided once, before decoding.

Why: a 135 M model fine-tuned for a few hundred CPU steps learnt `<POSE>` as a default ending:
about one in five small-talk messages ("hello!!", "can I freeze bread?") got a body (`eval
natural`, 22.6 %). More LLM training is not affordable; a sentence encoder trained on a billion
sentence pairs (all-MiniLM-L6-v2, packaged offline: `posegpt.retrieval.MiniLMEmbedder`)
generalises to words our generators never made, and a tiny classifier on its embeddings learns
"pose request or not" from our generated data in seconds.

What it reads (`GateTurn`): the last user message, the previous user message and whether the
previous assistant reply showed a pose — so a follow-up ("now the other arm", "and sitting?")
after a pose reply is a pose request while "thanks!" after it is not. A photo turn is not the
gate's business: the engine always lets one have a pose.

What it learns from (`gate_examples`): only generated training data — every user turn of
`build_dataset("train", …)` conversations (explicit, named, pair, several, speculative, edit
follow-ups → pose; the bare names of training poses and situations, "warrior two", "gardener
pulling weeds" → pose; pose Q&A answered in words, general chat → no pose; "mixed" has both in one
conversation), the general-chat prompts of `posegpt/data/catalogues/chat_prompts.yaml`, and
recombinations of those turns (a chat or Q&A turn after a pose reply, a pose request after a chat
reply), so context alone never decides. Its decision threshold is chosen on a held-out group of
those examples (grouped by template / prompt, so no wording is in both), favouring the recall of
pose requests: a missed pose request costs the user more than a stray body. The hand-written
`eval natural` set is never used here.

What the engine does with "no pose" (`posegpt.engine.Engine.stream`): `<POSE>` is banned for the
reply and the reply is written by the backbone without the pose adapter (the base chat model),
because with the adapter on and `<POSE>` banned the fine-tuned model still writes pose-reply
words (a body described but not shown).

Files, beside the checkpoint's others: `intent_gate.safetensors` (the weights) and
`intent_gate.json` (`IntentGateConfig`: encoder, sizes, threshold, what it was fitted on and its
held-out scores). Fit one for a checkpoint folder: `python -m posegpt train-intent --checkpoint DIR`.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from posegpt.retrieval import ENCODER_NAME, TextEmbedder
from posegpt.tokens import POSE_TOKEN
from posegpt.turns import asked_turns

INTENT_WEIGHTS_NAME = "intent_gate.safetensors"
INTENT_CONFIG_NAME = "intent_gate.json"
# Kinds of training conversations the gate learns from (`posegpt.data.conversations.build_dataset`).
GATE_MIX: dict[str, float] = {
    "explicit": 0.22, "named": 0.12, "pair": 0.05, "several": 0.06, "speculative": 0.22, "edit": 0.13,
    "qa": 0.08, "mixed": 0.06, "chat": 0.06,
}
VALIDATION_PERCENT = 20  # share of example groups held out to choose the threshold and score the gate
TARGET_RECALL = 0.99  # the threshold keeps at least this share of held-out pose requests


@dataclass(frozen=True)
class GateTurn:
    """What the gate reads of a conversation."""

    text: str  # the last user message
    previous: str = ""  # the user message before it ("" when there is none)
    after_pose: bool = False  # whether the assistant reply between them showed a pose


_APOSTROPHES = re.compile(r"['’`]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def declines_pose(text: str) -> bool:
    """The message asks for no pose in so many words ("no picture please", "don't show me anything,
    just tell me what warrior 2 is"; `posegpt/data/catalogues/declines.yaml`): such a turn gets
    none, whatever the gate and the LLM would do. Whole words, case and apostrophes ignored."""
    from posegpt.data.catalogue import load

    words = f" {_NOT_WORD.sub(' ', _APOSTROPHES.sub('', text.lower())).strip()} "
    return any(f" {phrase} " in words for phrase in load("declines")["phrases"])


def gate_turn(messages: Sequence[Any]) -> GateTurn:
    """The `GateTurn` of a conversation that ends with a user message (`Message`s or role/content
    dicts); earlier replies keep their `<POSE>` markers, which is how a pose reply is recognised."""
    turns = asked_turns(messages, "the gate")
    text = turns[-1][1]
    previous, after_pose = "", False
    for index in range(len(turns) - 2, -1, -1):
        role, content = turns[index]
        if role == "assistant" and index == len(turns) - 2:
            after_pose = POSE_TOKEN in content
        if role == "user":
            previous = content
            break
    return GateTurn(text, previous, after_pose)


@dataclass
class IntentGateConfig:
    """How the gate was built and fitted (saved as intent_gate.json)."""

    encoder: str = ENCODER_NAME
    embedding_dim: int = 384
    hidden: int = 64
    threshold: float = 0.5  # P(pose request) at or above which the turn may have a pose
    fitted_on: dict[str, Any] = field(default_factory=dict)  # example counts by source and label
    scores: dict[str, Any] = field(default_factory=dict)  # held-out accuracy, recall, …

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "IntentGateConfig":
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in values.items() if k in known})


class IntentGate(nn.Module):
    """A one-hidden-layer MLP: [last message, previous message, previous reply had a pose, there
    is a previous message] embeddings → P(the turn asks for a pose)."""

    def __init__(self, config: IntentGateConfig | None = None) -> None:
        super().__init__()
        self.config = config or IntentGateConfig()
        dim = self.config.embedding_dim
        # The previous message enters twice, gated by whether a pose reply followed it, so "a
        # follow-up to a pose" and "a follow-up to chat" are separate directions for the MLP.
        self.net = nn.Sequential(nn.Linear(3 * dim + 2, self.config.hidden), nn.GELU(), nn.Dropout(0.1),
                                 nn.Linear(self.config.hidden, 1))

    def features(self, last: torch.Tensor, previous: torch.Tensor, after_pose: torch.Tensor,
                 has_previous: torch.Tensor) -> torch.Tensor:
        """(N, D), (N, D) unit embeddings (zeros for no previous message), (N,), (N,) 0/1 → (N, 3D + 2)."""
        after = after_pose.float()[:, None]
        return torch.cat([last, previous * after, previous * (1 - after), after, has_previous.float()[:, None]], dim=1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(N, 3D + 2) → (N,) logits."""
        return self.net(features).squeeze(-1)

    @torch.inference_mode()
    def probabilities(self, turns: Sequence[GateTurn], embedder: TextEmbedder) -> torch.Tensor:
        """(N,) P(pose request) of each turn (an empty or blank message gets 0: nothing was asked)."""
        if not turns:
            return torch.zeros(0)
        features = turn_features(self, turns, embedder)
        probs = torch.sigmoid(self(features.to(next(self.parameters()).device))).cpu()
        blank = torch.tensor([not t.text.strip() for t in turns])
        return torch.where(blank, torch.zeros_like(probs), probs)

    def wants_pose(self, turn: GateTurn, embedder: TextEmbedder) -> bool:
        """The decision for one turn: True = the reply may show poses."""
        return bool(self.probabilities([turn], embedder)[0] >= self.config.threshold)

    # -- files ---------------------------------------------------------------------------------

    def save(self, folder: str | Path) -> Path:
        """intent_gate.safetensors + intent_gate.json in `folder`; returns the weights' path."""
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state = {name: tensor.detach().float().cpu().contiguous() for name, tensor in self.state_dict().items()}
        save_file(state, str(folder / INTENT_WEIGHTS_NAME), metadata={"encoder": self.config.encoder})
        (folder / INTENT_CONFIG_NAME).write_text(json.dumps(asdict(self.config), indent=2) + "\n")
        return folder / INTENT_WEIGHTS_NAME

    @classmethod
    def load(cls, folder: str | Path) -> "IntentGate | None":
        """The gate saved in `folder`, or None when it has none (older checkpoints: no gate).
        Raises ValueError naming the file when the files are there but do not fit."""
        from safetensors.torch import load_file

        folder = Path(folder)
        weights, config_path = folder / INTENT_WEIGHTS_NAME, folder / INTENT_CONFIG_NAME
        if not weights.exists():
            return None
        try:
            config = IntentGateConfig.from_dict(json.loads(config_path.read_text()))
            gate = cls(config)
            gate.load_state_dict(load_file(str(weights)))
        except Exception as error:  # noqa: BLE001 - any corrupt/mismatched file → one message
            raise ValueError(f"the intent gate in {folder} cannot be loaded ({type(error).__name__}: {error})") from None
        return gate.eval()


def turn_features(gate: IntentGate, turns: Sequence[GateTurn], embedder: TextEmbedder,
                  cache: dict[str, np.ndarray] | None = None, progress: bool = False) -> torch.Tensor:
    """The gate's input for each turn; every distinct text is embedded once (`cache` keeps them
    across calls; `progress` prints a bar on stderr)."""
    cache = {} if cache is None else cache
    texts = sorted({t.text for t in turns} | {t.previous for t in turns if t.previous} - set(cache))
    if texts:
        batches = [texts[i:i + 256] for i in range(0, len(texts), 256)]
        bar = _progress(len(texts), "embedding") if progress else None
        for batch in batches:
            for text, vector in zip(batch, embedder.encode(batch)):
                cache[text] = vector
            if bar is not None:
                bar.update(len(batch))
        if bar is not None:
            bar.close()
    dim = gate.config.embedding_dim
    zeros = np.zeros(dim, dtype=np.float32)
    last = torch.from_numpy(np.stack([cache[t.text] for t in turns]).astype(np.float32))
    previous = torch.from_numpy(np.stack([cache[t.previous] if t.previous else zeros for t in turns]).astype(np.float32))
    after = torch.tensor([t.after_pose for t in turns], dtype=torch.float32)
    has_previous = torch.tensor([bool(t.previous) for t in turns], dtype=torch.float32)
    return gate.features(last, previous, after, has_previous)


def _progress(total: int, desc: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="text", file=sys.stderr)


# -- training data ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GateExample:
    turn: GateTurn
    label: int  # 1 = the turn asks for a pose
    source: str  # the conversation kind it comes from ("explicit", "chat", "qa after pose", …)
    group: str  # examples of one group are never split between fitting and validation


def _is_validation(group: str) -> bool:
    return int.from_bytes(hashlib.sha1(f"intent:{group}".encode()).digest()[:4], "big") % 100 < VALIDATION_PERCENT


def chat_prompt_turns() -> list[list[str]]:
    """Every general-chat conversation's user turns (`chat_prompts.yaml`: single and multi-turn)."""
    from posegpt.data.general_chat import all_conversations

    return [list(turns) for turns in all_conversations()]


def gate_examples(size: int = 6000, seed: int = 0, sampler_poses: int = 200) -> list[GateExample]:
    """Labelled turns from the generated training data only (training templates, poses and
    situations; `build_dataset("train", …)`), plus the general-chat prompts and recombinations."""
    from posegpt.data.conversations import build_dataset

    samples = build_dataset("train", size, seed, mix=GATE_MIX, sampler_poses=sampler_poses)
    examples: list[GateExample] = []
    pose_turns: list[tuple[list[dict[str, str]], str]] = []  # (a user request + its pose reply, group)
    word_turns: list[tuple[str, str, str]] = []  # (a user turn answered in words, source, group)
    for sample in samples:
        messages = sample.messages
        # The templates of the user's pose requests, in order (replies and Q&A questions excluded).
        request_templates = iter(t for t in sample.meta.get("templates") or []
                                 if not _is_reply_template(t) and not t.startswith("qa#"))
        for index, message in enumerate(messages):
            if message["role"] != "user" or index + 1 >= len(messages):
                continue
            label = int(POSE_TOKEN in messages[index + 1]["content"])
            turn = gate_turn(messages[: index + 1])
            kind = sample.kind
            # Pose requests are grouped by their template (a wording is never on both sides of
            # the split); turns answered in words by their text.
            template = next(request_templates, None) if label else None
            group = f"template:{template}" if template else f"text:{normalise(message['content'])}"
            source = kind if not turn.after_pose else f"{kind} after pose"
            examples.append(GateExample(turn, label, source, group))
            if label and index == 0:
                pose_turns.append((messages[:2], group))
            if not label:
                word_turns.append((message["content"], kind, group))
    # Bare forms people type without asking: a named pose's name ("warrior two"), a situation's
    # name ("gardener pulling weeds"), training ones only — pose requests too, though no
    # template says "show me".
    from posegpt.data.conversations import library_items, readable_names
    from posegpt.data.speculative import training_situations

    bare = {phrase for item in library_items("train") if item.name and not item.mirrored
            for phrase in readable_names(item.name)}
    bare |= {situation.name.replace("_", " ") for situation in training_situations()}
    for text in sorted(bare):
        examples.append(GateExample(GateTurn(text, "", False), 1, "bare name", f"text:{normalise(text)}"))
        pose_turns.append(([{"role": "user", "content": text}], f"text:{normalise(text)}"))
    for turns in chat_prompt_turns():
        for index, text in enumerate(turns):
            previous = turns[index - 1] if index else ""
            examples.append(GateExample(GateTurn(text, previous, False), 0, "chat prompt", f"text:{normalise(text)}"))
            word_turns.append((text, "chat prompt", f"text:{normalise(text)}"))
    # Recombinations: context must not decide alone.
    rng = random.Random(f"{seed}:intent")
    for text, source, group in word_turns:  # a chat / Q&A turn right after a pose reply → words
        context, _ = rng.choice(pose_turns)
        examples.append(GateExample(GateTurn(text, context[0]["content"], True), 0, f"{source} after pose", group))
    for context, group in rng.sample(pose_turns, min(len(pose_turns), len(word_turns))):
        chat_text, _, _ = rng.choice(word_turns)  # a pose request after a chat reply → pose
        examples.append(GateExample(GateTurn(context[0]["content"], chat_text, False), 1, "pose after chat", group))
    return examples


def _is_reply_template(template_id: str) -> bool:
    from posegpt.data.conversations import is_reply_template

    return is_reply_template(template_id)


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


def split_examples(examples: Sequence[GateExample]) -> tuple[list[GateExample], list[GateExample]]:
    """(fitting, validation) by a hash of each example's group (fixed, independent of order)."""
    fit = [e for e in examples if not _is_validation(e.group)]
    return fit, [e for e in examples if _is_validation(e.group)]


# -- fitting ----------------------------------------------------------------------------------


def train_gate(features: torch.Tensor, labels: torch.Tensor, config: IntentGateConfig | None = None,
               epochs: int = 60, seed: int = 0) -> IntentGate:
    """Fit the MLP on cached features (N, 3D + 2) and 0/1 labels (N,): AdamW, class-balanced BCE."""
    torch.manual_seed(seed)
    config = config or IntentGateConfig(embedding_dim=(features.shape[1] - 2) // 3)
    gate = IntentGate(config)
    labels = labels.float()
    positives = float(labels.sum())
    negatives = float(labels.numel() - positives)
    pos_weight = torch.tensor(negatives / max(positives, 1.0))
    optimizer = torch.optim.AdamW(gate.parameters(), lr=3e-3, weight_decay=1e-2)
    generator = torch.Generator().manual_seed(seed)
    gate.train()
    for _ in range(epochs):
        order = torch.randperm(features.shape[0], generator=generator)
        for start in range(0, features.shape[0], 256):
            batch = order[start:start + 256]
            loss = F.binary_cross_entropy_with_logits(gate(features[batch]), labels[batch], pos_weight=pos_weight)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return gate.eval()


def choose_threshold(probs: torch.Tensor, labels: torch.Tensor, target_recall: float = TARGET_RECALL) -> float:
    """The highest threshold that keeps `target_recall` of the pose requests, never above 0.5
    (favour recall: a missed request costs more than a stray pose)."""
    positives = probs[labels.bool()].sort().values
    if positives.numel() == 0:
        return 0.5
    index = int(np.floor((1.0 - target_recall) * positives.numel()))
    return float(min(0.5, positives[index].item()))


def gate_scores(probs: torch.Tensor, labels: torch.Tensor, threshold: float,
                sources: Sequence[str] | None = None) -> dict[str, Any]:
    """Accuracy, recall of pose requests, rejection of non-pose turns (and per source)."""
    said = probs >= threshold
    truth = labels.bool()
    scores: dict[str, Any] = {
        "examples": int(truth.numel()),
        "accuracy_pct": round(100.0 * float((said == truth).float().mean()), 2) if truth.numel() else None,
        "pose_recall_pct": round(100.0 * float(said[truth].float().mean()), 2) if truth.any() else None,
        "non_pose_rejected_pct": round(100.0 * float((~said[~truth]).float().mean()), 2) if (~truth).any() else None,
    }
    if sources is not None:
        by_source: dict[str, Any] = {}
        for source in sorted(set(sources)):
            mask = torch.tensor([s == source for s in sources])
            by_source[source] = {"n": int(mask.sum()),
                                 "right_pct": round(100.0 * float((said[mask] == truth[mask]).float().mean()), 1)}
        scores["by_source"] = by_source
    return scores


def fit_gate(embedder: TextEmbedder, size: int = 6000, seed: int = 0, progress: bool = True,
             log: Any = None) -> IntentGate:
    """Make the examples, embed them, fit on the fitting groups, choose the threshold and score on
    the validation groups, then refit on all of them with that threshold."""
    say = log or (lambda text: print(text, file=sys.stderr))
    started = time.perf_counter()
    examples = gate_examples(size, seed)
    fit, validation = split_examples(examples)
    say(f"intent gate: {len(examples)} examples ({sum(e.label for e in examples)} pose requests), "
        f"{len(validation)} held out for the threshold ({time.perf_counter() - started:.0f} s)")
    probe = IntentGate(IntentGateConfig(encoder=embedder.name, embedding_dim=_dimension(embedder)))
    cache: dict[str, np.ndarray] = {}
    all_features = turn_features(probe, [e.turn for e in examples], embedder, cache, progress=progress)
    labels = torch.tensor([e.label for e in examples])
    is_fit = torch.tensor([not _is_validation(e.group) for e in examples])
    gate = train_gate(all_features[is_fit], labels[is_fit], probe.config, seed=seed)
    with torch.inference_mode():
        probs = torch.sigmoid(gate(all_features[~is_fit]))
    threshold = choose_threshold(probs, labels[~is_fit])
    scores = gate_scores(probs, labels[~is_fit], threshold, [e.source for e in validation])
    final = train_gate(all_features, labels, probe.config, seed=seed)
    final.config.threshold = threshold
    final.config.scores = {"validation": scores, "target_recall": TARGET_RECALL}
    counts: dict[str, int] = {}
    for example in examples:
        key = f"{example.source}:{'pose' if example.label else 'no pose'}"
        counts[key] = counts.get(key, 0) + 1
    final.config.fitted_on = {"size": size, "seed": seed, "examples": len(examples), "by_source": counts}
    say(f"intent gate: threshold {threshold:.3f}; held-out accuracy {scores['accuracy_pct']} %, pose requests kept "
        f"{scores['pose_recall_pct']} %, non-pose turns rejected {scores['non_pose_rejected_pct']} % "
        f"({time.perf_counter() - started:.0f} s)")
    return final


def _dimension(embedder: TextEmbedder) -> int:
    return int(embedder.encode(["a"]).shape[1])


def fit_for_checkpoint(checkpoint: str | Path, size: int = 6000, seed: int = 0,
                       embedder: TextEmbedder | None = None) -> Path:
    """Fit a gate and write it into the checkpoint folder (which must exist); returns the weights' path."""
    folder = Path(checkpoint)
    if not (folder / "config.json").exists():
        raise ValueError(f"{folder} is not a PoseGPT checkpoint folder (no config.json)")
    if embedder is None:
        from posegpt.retrieval import MiniLMEmbedder

        embedder = MiniLMEmbedder()
    return fit_gate(embedder, size, seed).save(folder)

