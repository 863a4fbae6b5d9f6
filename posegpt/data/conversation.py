"""Turn a conversation with poses into training tensors: token ids, labels and target rotations.

The backbone's own chat template lays out the text; only assistant turns are learned (labels
elsewhere are -100), their end-of-turn token included so the model learns to stop. Each
`<POSE>` in an assistant turn takes the next target pose, in reading order. A conversation
about a photo also carries one feature row per person (their `<PERSON>` placeholders are in the
user turn) and, for each `<POSE>`, which of those people it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import torch

from posegpt.pose import Pose
from posegpt.tokens import PERSON_TOKEN, POSE_TOKEN

IGNORE_INDEX = -100


@dataclass
class EncodedConversation:
    input_ids: torch.Tensor  # (T,) long
    labels: torch.Tensor  # (T,) long, IGNORE_INDEX outside assistant turns
    target_rotations: torch.Tensor  # (P, 24, 3, 3) one per <POSE> token, in order
    person_features: torch.Tensor | None = None  # (N, F) one per person in the prompt, or None
    target_people: torch.Tensor | None = None  # (P,) long: person index per <POSE>, -1 = none
    # Per <POSE>: the user message it answers (what a retrieving head looks up) and which pose it
    # is (a library name, mocap frame …; None when unnamed), for leaving that pose out of lookups.
    pose_requests: tuple[str, ...] = ()
    pose_labels: tuple[str | None, ...] = ()


def pose_requests(messages: Sequence[Mapping[str, str]]) -> tuple[str, ...]:
    """For every `<POSE>` of the assistant turns, in order: the last user message before it."""
    requests: list[str] = []
    request = ""
    for message in messages:
        if message["role"] == "user":
            request = message["content"]
        elif message["role"] == "assistant":
            requests += [request] * message["content"].count(POSE_TOKEN)
    return tuple(requests)


def encode_conversation(
    backbone: Any,
    messages: Sequence[Mapping[str, str]],
    poses: Sequence[Pose] = (),
    pose_token_id: int | None = None,
    person_features: torch.Tensor | None = None,
    pose_people: Sequence[int] | None = None,
    tokens_per_person: int = 0,
) -> EncodedConversation:
    """Tokenise `messages` with the chat template and label the assistant turns.

    Raises ValueError when the number of `<POSE>` tokens and of poses differ, so a data bug
    cannot silently pair text with the wrong body.
    """
    chat = [{"role": m["role"], "content": m["content"]} for m in messages]
    full = backbone.apply_chat_template(chat, add_generation_prompt=False)["input_ids"][0]  # (T,)
    labels = torch.full_like(full, IGNORE_INDEX)
    for turn, message in enumerate(chat):
        if message["role"] != "assistant":
            continue
        start = backbone.apply_chat_template(chat[:turn], add_generation_prompt=True)["input_ids"].shape[1]
        end = backbone.apply_chat_template(chat[: turn + 1], add_generation_prompt=False)["input_ids"].shape[1]
        labels[start:end] = full[start:end]
    if pose_token_id is None:
        pose_token_id = backbone.tokenizer.convert_tokens_to_ids(POSE_TOKEN)
    count = int((full == pose_token_id).sum())
    if count != len(poses):
        raise ValueError(f"the conversation has {count} <POSE> tokens but {len(poses)} poses were given")
    rotations = (
        torch.cat([pose.rotation_matrices() for pose in poses]) if poses else torch.zeros(0, 24, 3, 3)
    )  # (P, 24, 3, 3)
    if person_features is None:
        return EncodedConversation(full, labels, rotations)
    person_id = backbone.tokenizer.convert_tokens_to_ids(PERSON_TOKEN)
    placeholders = int((full == person_id).sum())
    if placeholders != person_features.shape[0] * tokens_per_person:
        raise ValueError(
            f"the conversation has {placeholders} {PERSON_TOKEN} placeholders but {person_features.shape[0]} people "
            f"× {tokens_per_person} tokens were given"
        )
    people = list(pose_people) if pose_people is not None else [-1] * count
    if len(people) != count or any(not -1 <= p < person_features.shape[0] for p in people):
        raise ValueError(f"pose_people {people} must name one of {person_features.shape[0]} people (or -1) per <POSE>")
    return EncodedConversation(full, labels, rotations, person_features.float(), torch.tensor(people, dtype=torch.long))


def collate(examples: Sequence[EncodedConversation], pad_token_id: int) -> dict[str, torch.Tensor]:
    """Right-pad a batch; poses are concatenated in sample order (as `PoseGPT.forward` expects)."""
    length = max(example.input_ids.shape[0] for example in examples)
    input_ids = torch.full((len(examples), length), pad_token_id, dtype=torch.long)
    labels = torch.full((len(examples), length), IGNORE_INDEX, dtype=torch.long)
    attention_mask = torch.zeros((len(examples), length), dtype=torch.long)
    for row, example in enumerate(examples):
        size = example.input_ids.shape[0]
        input_ids[row, :size] = example.input_ids
        labels[row, :size] = example.labels
        attention_mask[row, :size] = 1
    batch = {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "labels": labels,
        "target_rotations": torch.cat([example.target_rotations for example in examples]),
    }
    if any(example.person_features is not None for example in examples):
        widths = {example.person_features.shape[1] for example in examples if example.person_features is not None}
        width = widths.pop()
        batch["person_features"] = torch.cat([
            example.person_features if example.person_features is not None else torch.zeros(0, width)
            for example in examples
        ])  # (N, F)
        batch["target_people"] = torch.cat([
            example.target_people if example.target_people is not None
            else torch.full((example.target_rotations.shape[0],), -1, dtype=torch.long)
            for example in examples
        ])  # (P,)
    return batch
