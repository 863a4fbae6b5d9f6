"""The turns of a conversation, whatever form its messages take.

The engine passes `Message`s, evaluations and stored replies pass role/content dicts; the
pose-intent gate (`posegpt.intent.gate_turn`) and the pose bank (`posegpt.retrieval.bank_query`)
both read the conversation a reply answers, so they read it through this one function.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence


def role_and_content(message: Any) -> tuple[str, str]:
    """(role, content) of one message, a `Message` or a role/content dict."""
    if isinstance(message, Mapping):
        return str(message.get("role", "")), str(message.get("content") or "")
    return str(message.role), str(message.content or "")


def asked_turns(messages: Sequence[Any], reader: str) -> list[tuple[str, str]]:
    """(role, content) of every non-system message of a conversation that ends with a user
    message (`Message`s or role/content dicts); ValueError naming `reader` otherwise."""
    turns = []
    for message in messages:
        role, content = role_and_content(message)
        if role != "system":
            turns.append((role, content))
    if not turns or turns[-1][0] != "user":
        raise ValueError(f"{reader} reads a conversation that ends with a user message")
    return turns
