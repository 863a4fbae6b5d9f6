"""Fine-tuning PoseGPT: `python -m posegpt train --config configs/….yaml`.

Hugging Face `accelerate` drives devices and mixed precision, so the same loop runs on this
2-core CPU and, unchanged, under `accelerate launch` on N GPUs. The loop is plain: build the
conversations, tokenise them with the backbone's chat template, and minimise
CE(text) + λ·L1(rotations) (+ μ·L1(joints)) with AdamW, warm-up + cosine decay, gradient
accumulation and periodic validation. Checkpoints are ordinary PoseGPT folders plus a small
`trainer_state` (optimizer and scheduler tensors, loaded with ``weights_only=True``) to resume.
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import torch

from posegpt.model import PoseGPT, PoseGPTConfig

TRAINER_STATE_NAME = "trainer_state.pt"
TRAINER_INFO_NAME = "trainer_state.json"
#: The head refit's own conversations, when it has them (DataConfig.refit_size): pose kinds only,
#: since the head learns nothing from a conversation without <POSE>.
REFIT_MIX = {"explicit": 0.38, "named": 0.12, "pair": 0.04, "several": 0.04, "speculative": 0.26, "edit": 0.12,
             "mixed": 0.04}


@dataclass
class DataConfig:
    train_size: int = 20000  # conversations generated for training
    validation_size: int = 200  # generated like training data, kept aside for validation losses
    mix: dict[str, float] | None = None  # sample kinds → weights (None: the builder's default mix)
    max_length: int = 192  # tokens; longer conversations are dropped (counted in the log)
    seed: int = 0
    # Pose replies say in body words what each pose shows before its <POSE> (the captioner's words
    # for the target pose: true to it, and something for the pose head to read).
    described_replies: bool = False
    samples_file: str | None = None  # a JSONL of samples to use instead of generating
    # Conversations about synthetic photos of people (posegpt/data/scenes.py), added to the text
    # ones; needs model.person_feature_dim > 0. Their validation share is kept aside the same way.
    scene_size: int = 0
    scene_validation_size: int = 0
    scene_mix: dict[str, float] | None = None  # scene dialogue kinds → weights (None: posegpt.data.scenes.SCENE_MIX)
    # The head refit's own conversations (0: it reads the training conversations). Caching costs one
    # forward pass each, far less than a joint step, so the head can learn from many more of them.
    refit_size: int = 0
    refit_mix: dict[str, float] | None = None  # their kinds (None: REFIT_MIX, pose kinds only)


@dataclass
class OptimConfig:
    learning_rate: float = 2e-4
    head_learning_rate: float = 1e-3  # the pose head starts from scratch: a larger step
    weight_decay: float = 0.0
    warmup_steps: int = 50
    max_steps: int = 1000
    batch_size: int = 8
    gradient_accumulation: int = 1
    max_grad_norm: float = 1.0
    mixed_precision: str = "no"  # "no" | "bf16" | "fp16" (accelerate's names)
    # After the joint loop: train the pose head alone on cached last-layer hidden states of the
    # finished LLM (0 = skip). The joint loop shows the head each example once; with the states
    # cached, the head can see them many times for the cost of one forward pass each.
    head_refit_steps: int = 0
    # Before the joint loop (once per run, also when resuming a run that has not had it): the same
    # head-only training on the states of the LLM as it is then. A head that already reads poses
    # from the hidden states sends the LLM useful gradients from the first joint step on.
    head_warmup_steps: int = 0
    head_refit_examples: int = 4000  # training conversations whose hidden states are cached
    head_refit_batch_size: int = 128
    # Where the refit's cache of what the head reads is written shard by shard (None: kept in
    # memory only). A stopped run resumes its caching from there; several heads can share it.
    head_cache_dir: str | None = None
    # A head that retrieves (model retrieval_k > 0): the share of its fitting requests that may
    # not see any bank entry of their own pose, as if it were unseen (posegpt/retrieval.py).
    retrieval_leave_out: float = 0.3
    # Its bank: 0 = the fitting conversations' own named requests; N = the first request of each
    # of N training conversations (seed: data.seed + 2), explicit ones included; fitting requests
    # never see an entry with their very words (posegpt/retrieval.py). A model with bank_answers
    # gets its answering bank from the same N conversations (seed data.seed + 2) at the end.
    retrieval_bank_conversations: int = 0
    # The answering bank (bank_answers) also holds, flagged, as many conversations per pose and per
    # situation about the library poses and situations evaluation holds out, in training templates
    # (`build_heldout_content`): users get them; evaluations of unseen content leave them out.
    retrieval_bank_heldout_content: bool = False
    # The share of fitting batches that see no neighbours, so the head still poses well alone
    # (photo turns, a missing sentence encoder).
    retrieval_dropout: float = 0.0
    # At the end: fit the pose-intent gate (posegpt/intent.py; small talk then gets words, not a
    # pose) on this many generated conversations, seed 0, as `python -m posegpt train-intent` does
    # (0 = no gate).
    intent_gate_conversations: int = 0

    def __post_init__(self) -> None:
        # YAML reads a bare `no` as False; accept it rather than failing deep inside accelerate.
        if self.mixed_precision is False or self.mixed_precision is None:
            self.mixed_precision = "no"


@dataclass
class TrainConfig:
    output_dir: str = "runs/posegpt"
    model: PoseGPTConfig = field(default_factory=PoseGPTConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    seed: int = 0
    eval_every: int = 100
    save_every: int = 250
    log_every: int = 10
    num_threads: int = 0  # torch CPU threads; 0 = leave torch's default
    device: str | None = None  # None: accelerate picks (cuda if available, else cpu)
    # Start a new run from a trained checkpoint (its adapter, head and config) instead of the bare
    # backbone; `init_overrides` changes its config first, e.g. {person_feature_dim: 231} to teach
    # a text-only checkpoint to read photos. The `model` section is then ignored.
    init_from: str | None = None
    init_overrides: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TrainConfig":
        values = dict(values)
        sections = {"model": PoseGPTConfig, "data": DataConfig, "optim": OptimConfig}
        for name, section in sections.items():
            given = values.pop(name, {}) or {}
            unknown = set(given) - {f.name for f in fields(section)}
            if unknown:
                raise ValueError(f"unknown {name} settings in the config: {sorted(unknown)}")
            values[name] = section(**given)
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown settings in the config: {sorted(unknown)}")
        return cls(**values)

    @classmethod
    def from_yaml(cls, path: str | Path) -> "TrainConfig":
        return cls.from_dict(_read_yaml(path))


def _read_yaml(path: str | Path) -> Any:
    """A config file's YAML (a stage or a recipe), or ValueError saying which file is wrong."""
    import yaml

    try:
        return yaml.safe_load(Path(path).read_text()) or {}
    except FileNotFoundError:
        raise ValueError(f"config file not found: {path}") from None
    except yaml.YAMLError as error:
        raise ValueError(f"{path} is not valid YAML: {error}") from None


def load_recipe(path: str | Path) -> list[Path] | None:
    """The stage configs of a recipe file (`stages:` — config files relative to the recipe's
    folder, run in order), or None when `path` is a single stage's config. A recipe lets one
    command make a whole checkpoint, stage after stage, each resumable on its own."""
    path = Path(path)
    values = _read_yaml(path)
    if not isinstance(values, dict) or "stages" not in values:
        return None
    extra = set(values) - {"stages"}
    stages = values["stages"]
    if extra or not isinstance(stages, list) or not stages or not all(isinstance(s, str) for s in stages):
        raise ValueError(f"{path}: a recipe has one key, `stages`, a list of config files")
    found = [path.parent / stage for stage in stages]
    missing = [str(stage) for stage in found if not stage.is_file()]
    if missing:
        raise ValueError(f"{path}: stage config(s) not found: {', '.join(missing)}")
    return found


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# -- data ------------------------------------------------------------------------------------------


def build_examples(model: PoseGPT, samples: Sequence[Any], max_length: int) -> tuple[list[Any], int]:
    """Tokenise samples (messages + poses) with the chat template; drop the over-long ones."""
    from posegpt.data.conversation import encode_conversation, pose_requests

    examples, dropped = [], 0
    for sample in samples:
        features = getattr(sample, "person_features", None)
        encoded = encode_conversation(
            model.backbone, sample.messages, sample.poses, model.pose_token_id,
            person_features=torch.as_tensor(features) if features is not None else None,
            pose_people=getattr(sample, "pose_people", None), tokens_per_person=model.config.tokens_per_person,
        )
        if encoded.input_ids.shape[0] > max_length:
            dropped += 1
            continue
        encoded.pose_requests = pose_requests(sample.messages)
        encoded.pose_labels = _pose_labels(sample)
        examples.append(encoded)
    return examples, dropped


def _pose_labels(sample: Any) -> tuple[str | None, ...]:
    """Which pose each `<POSE>` of a sample is: its references when there is one per pose; else the
    first pose's (an edit's starting pose) and None for the rest (edited, unnamed)."""
    count = len(sample.poses)
    references = list(getattr(sample, "meta", {}).get("references") or [])
    if len(references) == count:
        return tuple(references)
    return tuple(([references[0]] if references else [None]) + [None] * (count - 1))[:count]


def batches(examples: Sequence[Any], batch_size: int, pad_token_id: int, seed: int) -> Iterator[dict[str, torch.Tensor]]:
    """Endless shuffled batches; similar lengths are grouped to waste little padding."""
    from posegpt.data.conversation import collate

    generator = random.Random(seed)
    order = list(range(len(examples)))
    while True:
        generator.shuffle(order)
        # sort within windows of 50 batches by length, then shuffle the batches
        window = batch_size * 50
        chunks = []
        for start in range(0, len(order), window):
            part = sorted(order[start:start + window], key=lambda i: examples[i].input_ids.shape[0])
            chunks += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
        generator.shuffle(chunks)
        for chunk in chunks:
            if len(chunk) == batch_size:
                yield collate([examples[i] for i in chunk], pad_token_id)


def load_training_samples(config: TrainConfig, tokens_per_person: int = 2) -> tuple[list[Any], list[Any]]:
    """(training samples, validation samples) from the builders or a JSONL file."""
    from posegpt.data.conversations import build_dataset, load_samples

    if config.data.samples_file:
        samples = load_samples(config.data.samples_file)
        random.Random(config.data.seed).shuffle(samples)
    else:
        total = config.data.train_size + config.data.validation_size
        samples = build_dataset("train", size=total, seed=config.data.seed, mix=config.data.mix,
                                described=config.data.described_replies)
    split = len(samples) - config.data.validation_size
    train_samples, validation_samples = samples[:split], samples[split:]
    scene_total = config.data.scene_size + config.data.scene_validation_size
    if scene_total:
        from posegpt.data.scenes import build_scene_samples

        scenes = build_scene_samples("train", scene_total, seed=config.data.seed, tokens_per_person=tokens_per_person,
                                     mix=config.data.scene_mix, progress=True)
        train_samples += scenes[:config.data.scene_size]
        validation_samples += scenes[config.data.scene_size:]
        random.Random(config.data.seed).shuffle(train_samples)
    return train_samples, validation_samples


# -- the loop --------------------------------------------------------------------------------------


def _lr_lambda(warmup: int, total: int):
    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        progress = (step - warmup) / max(1, total - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))  # cosine to 10 %

    return schedule


@torch.no_grad()
def validate(model: PoseGPT, examples: Sequence[Any], batch_size: int, pad_token_id: int, device: torch.device) -> dict[str, float]:
    from posegpt.data.conversation import collate

    """Mean CE and pose L1 per batch; with people, also the pointer's CE and accuracy over every
    `<POSE>` that has a person target (pooled, not per batch)."""
    model.eval()
    totals = {"ce": 0.0, "pose_l1": 0.0, "batches": 0}
    pointer_ce, pointer_hits, pointer_count = 0.0, 0, 0
    with torch.no_grad():
        for start in range(0, len(examples), batch_size):
            batch = collate(list(examples[start:start + batch_size]), pad_token_id)
            batch = {name: value.to(device) for name, value in batch.items()}
            out = model(**batch)
            totals["ce"] += float(out.ce_loss)
            totals["pose_l1"] += float(out.pose_loss)
            totals["batches"] += 1
            if out.pointer_correct is not None:
                count = int(out.pointer_correct.numel())
                pointer_ce += float(out.pointer_loss) * count
                pointer_hits += int(out.pointer_correct.sum())
                pointer_count += count
    model.train()
    batches = max(1, totals.pop("batches"))
    scores = {name: value / batches for name, value in totals.items()}
    if pointer_count:
        scores.update(pointer_ce=pointer_ce / pointer_count, pointer_accuracy=pointer_hits / pointer_count)
    return scores


def train(config: TrainConfig, resume: bool = True, samples: tuple[list[Any], list[Any]] | None = None) -> Path:
    """Run (or resume) a training run; returns the folder of the final checkpoint."""
    from accelerate import Accelerator
    from tqdm.auto import tqdm

    from posegpt.backbones import load_backbone

    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    seed_everything(config.seed)
    output = Path(config.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    (output / "train_config.json").write_text(json.dumps(asdict(config), indent=2, default=str))
    accelerator = Accelerator(
        mixed_precision=config.optim.mixed_precision,
        gradient_accumulation_steps=config.optim.gradient_accumulation,
        cpu=config.device == "cpu",
    )
    latest = output / "latest"
    resuming = resume and (latest / TRAINER_STATE_NAME).exists()
    if resuming:
        model = PoseGPT.from_pretrained(latest, device=accelerator.device)
        _make_trainable(model)
    elif config.init_from:
        model = PoseGPT.from_pretrained(config.init_from, device=accelerator.device, config_overrides=config.init_overrides)
        _make_trainable(model)
    else:
        backbone = load_backbone(config.model.backbone, device=accelerator.device)
        model = PoseGPT(backbone, config.model)

    started = time.perf_counter()
    train_samples, validation_samples = samples or load_training_samples(config, model.config.tokens_per_person)
    examples, dropped = build_examples(model, train_samples, config.data.max_length)
    validation, _ = build_examples(model, validation_samples, config.data.max_length)
    if not examples:
        raise ValueError("no training examples fit into data.max_length tokens")
    accelerator.print(
        f"{len(examples)} training conversations ({dropped} longer than {config.data.max_length} tokens dropped), "
        f"{len(validation)} for validation; data built in {time.perf_counter() - started:.0f} s"
    )

    head_parameters = list(model.pose_head.parameters())
    head_ids = {id(p) for p in head_parameters}
    other_parameters = [p for p in model.trainable_parameters() if id(p) not in head_ids]
    optimizer = torch.optim.AdamW(
        [
            {"params": other_parameters, "lr": config.optim.learning_rate},
            {"params": head_parameters, "lr": config.optim.head_learning_rate},
        ],
        weight_decay=config.optim.weight_decay,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_lambda(config.optim.warmup_steps, config.optim.max_steps))
    step = 0
    history: list[dict[str, float]] = []
    if resuming:
        state = torch.load(latest / TRAINER_STATE_NAME, map_location="cpu", weights_only=True)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        info = json.loads((latest / TRAINER_INFO_NAME).read_text())
        step, history = int(info["step"]), info.get("history", [])
        accelerator.print(f"resuming from step {step}")
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    unwrapped: PoseGPT = accelerator.unwrap_model(model)
    pad_token_id = unwrapped.tokenizer.pad_token_id
    stream = batches(examples, config.optim.batch_size, pad_token_id, seed=config.seed + step)

    if config.optim.head_warmup_steps > 0 and not any("head_warmup_steps" in h for h in history):
        scores = refit_head(unwrapped, examples, validation, config, accelerator.device, config.optim.head_warmup_steps)
        history.append({"step": step, "head_warmup_steps": config.optim.head_warmup_steps, **scores})
        accelerator.print(f"head warm-up: validation pose L1 {scores['refit_val_pose_l1_before']:.4f} → "
                          f"{scores['refit_val_pose_l1']:.4f}")
    if validation and step == 0:  # the starting point every later validation is compared with
        scores = validate(unwrapped, validation, config.optim.batch_size, pad_token_id, accelerator.device)
        history.append({"step": 0, **{f"val_{name}": round(value, 5) for name, value in scores.items()}})
    model.train()
    bar = tqdm(total=config.optim.max_steps, initial=step, desc="training", disable=not accelerator.is_main_process)
    running: dict[str, float] = {}
    # Training time adds up across resumed runs: carry on from the last logged elapsed time.
    loop_started = time.perf_counter() - max((h.get("elapsed_s", 0.0) for h in history), default=0.0)
    while step < config.optim.max_steps:
        for _ in range(config.optim.gradient_accumulation):
            batch = {name: value.to(accelerator.device) for name, value in next(stream).items()}
            with accelerator.accumulate(model), accelerator.autocast():
                out = model(**batch)
                accelerator.backward(out.loss)
                if accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(unwrapped.trainable_parameters(), config.optim.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            for name, value in (("loss", out.loss), ("ce", out.ce_loss), ("pose_l1", out.pose_loss),
                                ("pointer_ce", out.pointer_loss)):
                if value is None:
                    continue
                number = float(value.detach())
                running[name] = 0.9 * running.get(name, number) + 0.1 * number
        step += 1
        bar.update(1)
        bar.set_postfix(ce=f"{running['ce']:.3f}", pose=f"{running['pose_l1']:.4f}")
        if step % config.log_every == 0:
            history.append({"step": step, **{name: round(value, 5) for name, value in running.items()},
                            "lr": scheduler.get_last_lr()[0], "elapsed_s": round(time.perf_counter() - loop_started, 1)})
        if validation and (step % config.eval_every == 0 or step == config.optim.max_steps):
            scores = validate(unwrapped, validation, config.optim.batch_size, pad_token_id, accelerator.device)
            history.append({"step": step, **{f"val_{name}": round(value, 5) for name, value in scores.items()}})
            pointer = (f", pointer CE {scores['pointer_ce']:.3f} / accuracy {scores['pointer_accuracy']:.1%}"
                       if "pointer_ce" in scores else "")
            bar.write(f"step {step}: validation CE {scores['ce']:.3f}, pose L1 {scores['pose_l1']:.4f}{pointer}")
        if step % config.save_every == 0 or step == config.optim.max_steps:
            _save(accelerator, unwrapped, optimizer, scheduler, step, history, latest)
    bar.close()
    if config.optim.head_refit_steps > 0:
        refit_examples = examples
        if config.data.refit_size:
            from posegpt.data.conversations import build_dataset

            samples = build_dataset("train", size=config.data.refit_size, seed=config.data.seed + 1,
                                    mix=config.data.refit_mix or REFIT_MIX, described=config.data.described_replies)
            refit_examples, _ = build_examples(unwrapped, samples, config.data.max_length)
        scores = refit_head(unwrapped, refit_examples, validation, config, accelerator.device, config.optim.head_refit_steps)
        history.append({"step": step, "head_refit_steps": config.optim.head_refit_steps, **scores,
                        "elapsed_s": round(time.perf_counter() - loop_started, 1)})
        accelerator.print(
            f"head refit: validation pose L1 {scores['refit_val_pose_l1_before']:.4f} → {scores['refit_val_pose_l1']:.4f}"
        )
    needs_bank = unwrapped.config.bank_answers and unwrapped.pose_bank is None
    if needs_bank and not config.optim.retrieval_bank_conversations:
        raise ValueError("bank_answers needs optim.retrieval_bank_conversations > 0 (the conversations the bank is made of)")
    if needs_bank or config.optim.intent_gate_conversations:
        from posegpt.intent import fit_gate
        from posegpt.retrieval import MiniLMEmbedder

        embedder = MiniLMEmbedder()  # one load for the bank and the gate
        if needs_bank:
            unwrapped.pose_bank, _ = training_bank(config, embedder, distinct=True, follow_ups=True,
                                                   heldout_content=config.optim.retrieval_bank_heldout_content)
        if config.optim.intent_gate_conversations:
            unwrapped.intent_gate = fit_gate(embedder, config.optim.intent_gate_conversations, seed=0)
    final = output / "final"
    if accelerator.is_main_process:
        elapsed = time.perf_counter() - loop_started
        card = model_card(config, history, len(examples), elapsed, unwrapped.config)
        if final.exists():
            shutil.rmtree(final)
        unwrapped.save_pretrained(final, model_card=card)
        (final / "training_log.json").write_text(json.dumps(history, indent=1))
    return final


def refit_head(model: PoseGPT, examples: Sequence[Any], validation: Sequence[Any], config: TrainConfig,
               device: torch.device, steps: int) -> dict[str, Any]:
    """Train the pose head alone on cached readouts of the LLM as it is now (posegpt/readout.py):
    the backbone runs once over `head_refit_examples` training conversations, the head then sees
    them for `steps` batches; the state with the lowest validation loss is kept. A retrieving
    head gets its bank made of those conversations' requests and poses."""
    from posegpt.readout import cache_readouts, cache_readouts_to_folder, fit_head

    generator = torch.Generator().manual_seed(config.seed)
    chosen = torch.randperm(len(examples), generator=generator)[: config.optim.head_refit_examples].tolist()
    bf16 = config.optim.mixed_precision == "bf16"
    with merged_adapter(model):
        if config.optim.head_cache_dir:
            fingerprint = json.dumps({"init_from": config.init_from, "data": asdict(config.data), "seed": config.seed,
                                      "chosen": len(chosen)}, sort_keys=True, default=str)
            train_cache = cache_readouts_to_folder(model, [examples[i] for i in chosen], config.optim.head_cache_dir,
                                                   bf16=bf16, fingerprint=fingerprint)
        else:
            train_cache = cache_readouts(model, [examples[i] for i in chosen], bf16=bf16)
        validation_cache = cache_readouts(model, validation, bf16=bf16)
    if model.config.retrieval_k:
        from posegpt.readout import attach_neighbours, bank_from_cache
        from posegpt.retrieval import MiniLMEmbedder, pose_label

        embedder = MiniLMEmbedder()
        share, k = config.optim.retrieval_leave_out, model.config.retrieval_k
        if config.optim.retrieval_bank_conversations:
            bank, bank_texts = training_bank(config, embedder)
            for cache, seed in ((train_cache, config.seed), (validation_cache, config.seed + 1)):
                cache.labels = tuple(pose_label(target) for target in cache.targets)
                attach_neighbours(cache, bank, embedder, k, None, leave_out_share=share, seed=seed, bank_texts=bank_texts)
        else:
            bank, own = bank_from_cache(train_cache, embedder)
            attach_neighbours(train_cache, bank, embedder, k, own, leave_out_share=share, seed=config.seed)
            attach_neighbours(validation_cache, bank, embedder, k, None, leave_out_share=share, seed=config.seed + 1)
        model.pose_bank = bank
    scores = fit_head(model, train_cache, validation_cache, steps, config.optim.head_refit_batch_size,
                      config.optim.head_learning_rate, seed=config.seed, bf16=bf16,
                      neighbour_dropout=config.optim.retrieval_dropout)
    model.train()
    return scores


def training_bank(config: TrainConfig, embedder: Any, distinct: bool = False, follow_ups: bool = False,
                  heldout_content: bool = False) -> tuple[Any, list[str]]:
    """A `PoseBank` of the pose requests of `optim.retrieval_bank_conversations` training
    conversations (the run's data settings, seed data.seed + 2), and each entry's words: first
    requests, and with `follow_ups` the follow-up turns too (`bank_entries`). With `distinct` an
    entry whose words and pose repeat an earlier one is left out (a bank that answers requests
    ships with the checkpoint: no duplicate rows). With `heldout_content` the first requests of
    `heldout_content_bank`'s conversations follow, flagged."""
    from posegpt.data.conversations import build_dataset
    from posegpt.retrieval import PoseBank, bank_entries

    samples = build_dataset("train", size=config.optim.retrieval_bank_conversations, seed=config.data.seed + 2,
                            mix=config.data.mix, described=config.data.described_replies)
    texts, rotations, labels, kinds = bank_entries(samples, follow_ups=follow_ups)
    if distinct:
        texts, rotations, labels, kinds = _distinct_entries(texts, rotations, labels, kinds)
    print(f"Pose bank: {len(texts) - sum(kinds)} requests and {sum(kinds)} follow-ups from {len(samples)} training conversations",
          file=sys.stderr)
    bank = PoseBank.build(texts, rotations, labels, embedder, kinds if follow_ups else None)
    if heldout_content:
        bank = bank.joined(heldout_content_bank(config, embedder))
    return bank, texts


def heldout_content_bank(config: TrainConfig, embedder: Any) -> Any:
    """A `PoseBank`, every entry flagged held-out, of the distinct first requests of the
    conversations `build_heldout_content` makes about the poses and situations evaluation holds
    out (as many per item as `optim.retrieval_bank_conversations` of the run's mix hold per
    training one; seed data.seed + 2). Made apart from the training entries (it asks for other
    poses and situations), so it can be added to a bank made before it."""
    from posegpt.data.conversations import TRAIN_MIX, build_heldout_content
    from posegpt.retrieval import PoseBank, bank_entries

    samples = build_heldout_content(config.optim.retrieval_bank_conversations, config.data.mix or TRAIN_MIX,
                                    seed=config.data.seed + 2, described=config.data.described_replies)
    texts, rotations, labels, kinds = _distinct_entries(*bank_entries(samples))
    print(f"Pose bank: {len(texts)} requests for held-out poses and situations from {len(samples)} conversations",
          file=sys.stderr)
    return PoseBank.build(texts, rotations, labels, embedder, [False] * len(texts), heldout=True)


def _distinct_entries(texts: list[str], rotations: torch.Tensor, labels: list[str],
                      kinds: list[bool]) -> tuple[list[str], torch.Tensor, list[str], list[bool]]:
    """The entries whose (words, label) no earlier one has."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for index, key in enumerate(zip(texts, labels)):
        if key not in seen:
            seen.add(key)
            kept.append(index)
    return [texts[i] for i in kept], rotations[kept], [labels[i] for i in kept], [kinds[i] for i in kept]


@contextmanager
def merged_adapter(model: PoseGPT) -> Iterator[None]:
    """Within the block the LoRA weights are folded into the base weights (the backbone runs
    ~2× faster for caching), and taken out again after it, so training can go on."""
    language_model = model.language_model
    mergeable = hasattr(language_model, "merge_adapter")  # a PeftModel (not one merged for inference)
    if mergeable:
        language_model.merge_adapter()
    try:
        yield
    finally:
        if mergeable:
            language_model.unmerge_adapter()


def _make_trainable(model: PoseGPT) -> None:
    """A reloaded checkpoint is in inference mode; turn the adapter and head trainable again."""
    for name, parameter in model.named_parameters():
        if "lora_" in name or "trainable_tokens" in name or name.startswith(("pose_head.", "person_")):
            parameter.requires_grad_(True)
    model.train()


def _save(accelerator: Any, model: PoseGPT, optimizer: Any, scheduler: Any, step: int, history: list, folder: Path) -> None:
    if not accelerator.is_main_process:
        return
    partial = folder.with_name(folder.name + ".tmp")
    if partial.exists():
        shutil.rmtree(partial)
    model.save_pretrained(partial)
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, partial / TRAINER_STATE_NAME)
    (partial / TRAINER_INFO_NAME).write_text(json.dumps({"step": step, "history": history}))
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(partial, folder)


def _refit_line(history: list[dict[str, float]]) -> str:
    lines = []
    for key, label in (("head_warmup_steps", "Head warm-up (before the joint loop)"),
                       ("head_refit_steps", "Head refit (after it)")):
        entry = next((h for h in reversed(history) if key in h), None)
        if entry is not None:
            lines.append(
                f"- {label}: the pose head alone, {entry[key]} steps on the cached hidden states of "
                f"{entry['refit_poses']} training poses at step {entry['step']}; validation pose L1 "
                f"{entry['refit_val_pose_l1_before']:.4f} → {entry['refit_val_pose_l1']:.4f}\n"
            )
    return "".join(lines)


def _encoder_lines(config: TrainConfig, model: PoseGPTConfig) -> str:
    gate = (f"\n- Pose-intent gate (posegpt/intent.py): fitted on {config.optim.intent_gate_conversations} generated "
            f"conversations and the general-chat prompts; a text turn it says asks for no pose gets no <POSE>"
            if config.optim.intent_gate_conversations else "")
    if not model.bank_answers:
        return gate
    return gate + (f"\n- Pose bank (bank_answers): the requests and follow-ups of {config.optim.retrieval_bank_conversations} "
            f"training conversations (seed {config.data.seed + 2}) and their poses, embedded with all-MiniLM-L6-v2; a text "
            f"request is answered with its nearest requests' poses, a follow-up with its nearest follow-ups' (looked up "
            f"with the requests it changes), photos by the head"
            + ("; it also holds, flagged, requests for the poses and situations evaluation holds out (eval text2pose "
               "looks up the bank without them)" if config.optim.retrieval_bank_heldout_content else ""))


def model_card(config: TrainConfig, history: list[dict[str, float]], num_examples: int, elapsed_s: float,
               model_config: PoseGPTConfig | None = None) -> str:
    """The README of a trained checkpoint: how it was made and how it scored."""
    model = model_config or config.model
    start = (f"- Started from: `{config.init_from}` (config changes: {config.init_overrides or 'none'})\n"
             if config.init_from else "")
    people = (f"- Photos: {model.tokens_per_person} `<PERSON>` placeholders per person, person projector from "
              f"{model.person_feature_dim} features, person pointer (+ {model.pointer_loss_weight}·CE); "
              f"{config.data.scene_size} synthetic scene conversations (posegpt/data/scenes.py)\n"
              if model.person_feature_dim else "")
    last_val = next((h for h in reversed(history) if "val_ce" in h), {})
    last_train = next((h for h in reversed(history) if "ce" in h), {})
    threads = torch.get_num_threads()
    return f"""# PoseGPT checkpoint

Produced by `python -m posegpt train` (posegpt/train.py).

{start}- Backbone: `{model.backbone}` (not included; PoseGPT.from_pretrained loads it)
- Adapter: LoRA r={model.lora_r}, alpha={model.lora_alpha}, dropout={model.lora_dropout}
  on {', '.join(model.lora_target_modules)}; trainable `<POSE>` embedding row; pose head MLP → 24×6D
- Loss: CE(text) + {model.pose_loss_weight}·L1(rotation matrices) + {model.joint_loss_weight}·L1(FK joints)
{people}- Data: {num_examples} generated conversations (posegpt/data/conversations.py, seed {config.data.seed},
  held-out poses/situations/phrasings excluded by posegpt/data/splits.py), max {config.data.max_length} tokens
- Optimisation: AdamW lr {config.optim.learning_rate} (head {config.optim.head_learning_rate}), warm-up {config.optim.warmup_steps},
  cosine to 10 %, {config.optim.max_steps} steps × batch {config.optim.batch_size} × accumulation {config.optim.gradient_accumulation},
  mixed precision: {config.optim.mixed_precision}, seed {config.seed}
- Hardware: {platform.machine()} CPU, {os.cpu_count()} cores, {threads} torch threads, no GPU; training time {elapsed_s / 60:.1f} min
- Final training CE {last_train.get('ce', float('nan')):.3f}, pose L1 {last_train.get('pose_l1', float('nan')):.4f};
  validation CE {last_val.get('val_ce', float('nan')):.3f}, pose L1 {last_val.get('val_pose_l1', float('nan')):.4f}
{_refit_line(history)}{_encoder_lines(config, model)}
Evaluation on held-out prompts: see the README's text-to-pose table (`python -m posegpt eval text2pose`).
"""
