"""General-chat self-distillation data: what the base model itself answers to everyday prompts.

Fine-tuning a 135 M model on pose conversations alone makes it forget how to chat. Mixing in the
base model's own answers to general prompts (self-distillation) keeps that behaviour: the targets
are what the model already says, so they pull it back to its old distribution instead of teaching
it anything new. The prompts are hand-written (``posegpt/data/catalogues/chat_prompts.yaml``:
small talk, facts, how-to, writing, maths, advice, definitions, a few multi-turn chats); the
answers come from the bare default backbone through our own engine, greedy, with a mild
repetition penalty. Answers that are empty, mention `<POSE>`, or loop are dropped; answers cut
off by the token limit are trimmed to their last complete sentence (so the model does not learn
to stop mid-sentence).

Held-out rule (for measuring chat quality after fine-tuning, never trained on): a conversation is
held out when SHA-1 of ``"general_chat:" + its first user prompt (normalised)`` falls in the bottom
`HELDOUT_PERCENT` = 15 percent. Like `posegpt.data.splits`, it depends on nothing but the text.

Reproduce the files (≈ 30 min on 2 idle CPU cores, hours on a busy machine, where ``--threads 1``
is several times faster; resumable: conversations already in the files are skipped, dropped ones
are tried again and, being greedy, dropped again):
    python -m posegpt.data.general_chat --out assets/data/general_chat.jsonl
which writes the training file and ``general_chat_heldout.jsonl`` beside it. Generation runs the
weights in bfloat16 (faster on CPU; the answers are the same model's, in the same style).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from posegpt.data.catalogue import load
from posegpt.paths import ASSETS_DIR
from posegpt.tokens import POSE_TOKEN

SOURCE = "smollm2-135m self-distillation"
HELDOUT_PERCENT = 15
DEFAULT_OUT = ASSETS_DIR / "data" / "general_chat.jsonl"

# The prompts are hand-written data (posegpt/data/catalogues/chat_prompts.yaml): single-turn
# prompts by theme, then multi-turn conversations given as their user turns; the model answers
# each turn with the previous answers in its context.
_PROMPTS = load("chat_prompts")
SINGLE_TURN_PROMPTS: tuple[str, ...] = tuple(prompt for theme in _PROMPTS["single_turn"].values() for prompt in theme)
MULTI_TURN_PROMPTS: tuple[tuple[str, ...], ...] = _PROMPTS["multi_turn"]


def all_conversations() -> list[tuple[str, ...]]:
    """Every conversation's user turns (single-turn prompts first), duplicates removed."""
    conversations = [(prompt,) for prompt in SINGLE_TURN_PROMPTS] + list(MULTI_TURN_PROMPTS)
    seen: set[str] = set()
    unique = []
    for turns in conversations:
        key = " | ".join(normalise(turn) for turn in turns)
        if key not in seen:
            seen.add(key)
            unique.append(turns)
    return unique


# ---------------------------------------------------------------------------------------------
# Held-out rule and filters
# ---------------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, single spaces, no surrounding punctuation: the identity of a prompt."""
    return re.sub(r"\s+", " ", text.lower()).strip(" .!?")


def is_heldout_prompt(first_prompt: str) -> bool:
    """True when a conversation starting with this prompt belongs to the held-out measuring set."""
    digest = hashlib.sha1(f"general_chat:{normalise(first_prompt)}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < HELDOUT_PERCENT


def is_degenerate(reply: str) -> bool:
    """True for replies that loop: a repeated line or sentence, or a word 4-gram said ≥ 3 times.

    Also catches replies made of very few distinct words (≥ 20 words, < 35 % distinct).
    """
    lines = [normalise(line) for line in reply.splitlines() if len(normalise(line)) > 15]
    if any(count >= 2 for count in Counter(lines).values()):
        return True
    sentences = [normalise(s) for s in re.split(r"(?<=[.!?])\s+", reply) if len(normalise(s)) > 15]
    if any(count >= 2 for count in Counter(sentences).values()):
        return True
    words = re.findall(r"[\w']+", reply.lower())
    grams = Counter(tuple(words[i : i + 4]) for i in range(len(words) - 3))
    if any(count >= 3 for count in grams.values()):
        return True
    return len(words) >= 20 and len(set(words)) / len(words) < 0.35


_LIST_MARKER = re.compile(r"^\s*(\d+|[a-zA-Z])\.$")  # "3." at the start of a list item is no sentence end


def trim_to_sentence(reply: str) -> str:
    """Cut a reply that hit the token limit back to its last complete sentence or line ('' if none)."""
    reply = reply.rstrip()
    if not reply:
        return ""
    lines = reply.split("\n")
    # drop an unfinished last line (a list item or paragraph cut mid-way) when earlier lines exist
    last = lines[-1]
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s|$)", last) if not _LIST_MARKER.match(last[: m.end()])]
    if ends:
        lines[-1] = last[: ends[-1]]
    elif len(lines) > 1:
        lines = lines[:-1]
    else:
        return ""
    text = "\n".join(lines).rstrip()
    if text.endswith(":"):  # a heading whose list was cut off entirely
        return ""
    return text


def clean_reply(reply: str, hit_token_limit: bool) -> str | None:
    """The reply to keep, or None when it must be dropped (empty, <POSE>, degenerate)."""
    reply = reply.strip()
    if POSE_TOKEN in reply:
        return None
    if hit_token_limit:
        reply = trim_to_sentence(reply)
    if len(reply) < 2 or is_degenerate(reply):
        return None
    return reply


def dedupe_records(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the first record of each conversation (same normalised user turns) and of each answer."""
    seen_prompts: set[str] = set()
    seen_answers: set[str] = set()
    kept = []
    for record in records:
        users = " | ".join(normalise(m["content"]) for m in record["messages"] if m["role"] == "user")
        answer = normalise(record["messages"][-1]["content"])
        if users in seen_prompts or answer in seen_answers:
            continue
        seen_prompts.add(users)
        seen_answers.add(answer)
        kept.append(record)
    return kept


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


class ChatFileError(ValueError):
    """A chat .jsonl file is malformed; the message names the file, the line and the problem."""


def read_chat_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Records ``{"messages": [{"role", "content"}...], "source"?}`` of a .jsonl file, checked."""
    path = Path(path)
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ChatFileError(f"{path}:{number}: not valid JSON ({error})") from None
            messages = record.get("messages") if isinstance(record, dict) else None
            if not isinstance(messages, list) or not messages:
                raise ChatFileError(f"{path}:{number}: a record needs a non-empty 'messages' list")
            for message in messages:
                if (
                    not isinstance(message, dict)
                    or message.get("role") not in ("system", "user", "assistant")
                    or not isinstance(message.get("content"), str)
                ):
                    raise ChatFileError(f"{path}:{number}: bad message {message!r} (needs role and text content)")
            if messages[-1]["role"] != "assistant":
                raise ChatFileError(f"{path}:{number}: the last message must be the assistant's answer")
            records.append(record)
    return records


def heldout_path_for(out: Path) -> Path:
    """``x.jsonl`` → ``x_heldout.jsonl`` (the measuring file beside the training file)."""
    return out.with_name(out.stem + "_heldout" + out.suffix)


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerationSettings:
    max_new_tokens: int = 128
    temperature: float = 0.0
    repetition_penalty: float = 1.1
    dtype: str = "bfloat16"  # ~1.6× faster decoding on CPU than float32; same model, same style


def distill_conversation(engine: Any, user_turns: Sequence[str], settings: GenerationSettings) -> dict[str, Any] | None:
    """Ask the model every user turn in order; the record, or None when any answer is dropped."""
    import torch

    from posegpt.engine import Done

    messages: list[dict[str, str]] = []
    for turn in user_turns:
        messages.append({"role": "user", "content": turn})
        done = None
        # inference_mode around the whole stream: the engine's repetition penalty edits the
        # logits in place, which torch refuses on inference tensors outside inference mode.
        with torch.inference_mode():
            for event in engine.stream(
                messages,
                max_new_tokens=settings.max_new_tokens,
                temperature=settings.temperature,
                repetition_penalty=settings.repetition_penalty,
                seed=0,
            ):
                if isinstance(event, Done):
                    done = event
        if done is None:
            return None
        reply = clean_reply(done.reply, hit_token_limit=done.stats.stop_reason != "end")
        if reply is None:
            return None
        messages.append({"role": "assistant", "content": reply})
    return {"messages": messages, "source": SOURCE}


def generate(
    out: Path,
    backbone: str = "smollm2-135m",
    settings: GenerationSettings = GenerationSettings(),
    limit: int | None = None,
    log: Any = sys.stderr,
) -> tuple[Path, Path]:
    """Write the training and held-out files; conversations already in them are not redone."""
    from posegpt.engine import Engine
    from posegpt.model import load_posegpt

    heldout_out = heldout_path_for(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done_keys: set[str] = set()
    seen_answers: set[str] = set()
    for path in (out, heldout_out):
        if path.exists():
            for record in read_chat_jsonl(path):
                done_keys.add(_conversation_key(record))
                seen_answers.add(normalise(record["messages"][-1]["content"]))
    todo = [turns for turns in all_conversations() if _turns_key(turns) not in done_keys]
    todo.sort(key=lambda turns: not is_heldout_prompt(turns[0]))  # the measuring set first (stable sort)
    if limit is not None:
        todo = todo[:limit]
    print(f"{len(todo)} conversations to generate ({len(done_keys)} already in the files)", file=log)
    if not todo:
        return out, heldout_out
    model, description = load_posegpt(backbone=backbone, dtype=settings.dtype)
    print(f"model: {description}", file=log)
    engine = Engine(model)
    started = time.perf_counter()
    kept = 0
    for index, turns in enumerate(todo, 1):
        record = distill_conversation(engine, turns, settings)
        if record is not None and normalise(record["messages"][-1]["content"]) in seen_answers:
            record = None  # the same answer as another prompt's: adds nothing
        if record is None:
            print(f"  dropped {turns!r}", file=log)
        else:
            kept += 1
            seen_answers.add(normalise(record["messages"][-1]["content"]))
            target = heldout_out if is_heldout_prompt(turns[0]) else out
            with target.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        elapsed = time.perf_counter() - started
        print(f"[{index}/{len(todo)}] kept {kept}  {elapsed:.0f}s  {turns[0][:60]!r}", file=log, flush=True)
    return out, heldout_out


def _turns_key(turns: Sequence[str]) -> str:
    return " | ".join(normalise(turn) for turn in turns)


def _conversation_key(record: dict[str, Any]) -> str:
    return _turns_key([m["content"] for m in record["messages"] if m["role"] == "user"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m posegpt.data.general_chat",
        description="Generate general-chat self-distillation data with the bare default backbone.",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="training .jsonl (the held-out file goes beside it)")
    parser.add_argument("--backbone", default="smollm2-135m", help="backbone spec to distil from")
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--repetition-penalty", type=float, default=1.1)
    parser.add_argument("--dtype", default="bfloat16", help="weights dtype for generation (bfloat16 or float32)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (1 is much faster on a busy machine)")
    parser.add_argument("--limit", type=int, default=None, help="generate at most this many conversations")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    settings = GenerationSettings(args.max_new_tokens, args.temperature, args.repetition_penalty, args.dtype)
    out, heldout = generate(args.out, args.backbone, settings, args.limit)
    for path in (out, heldout):
        if path.exists():
            print(f"{path}: {len(read_chat_jsonl(path))} conversations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
