"""How many poses a user's message asks for ("three stretches", "a couple of yoga poses").

A 135 M model asked for three poses often shows one or two and ends its reply (eval natural:
"N poses" requests answered with exactly N, 58 %). The count is plain in the words, so it is read
from them — number phrases and nouns are data (``posegpt/data/catalogues/counts.yaml``) — and the
engine keeps a reply that has begun showing poses from ending before it has shown that many. A
number alone asks for nothing ("hold it for 3 seconds", "raise 2 arms"): a noun for poses must
follow it within a few words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from posegpt.data.catalogue import load

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
DIGITS = {str(value): value for value in range(2, 9)}


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[tuple[str, ...], int], int, frozenset[str], int]:
    """(number phrase as words → value, the most words a phrase has, nouns and their singulars, gap)."""
    counts = load("counts")
    numbers = {tuple(_WORD.findall(phrase)): value for phrase, value in counts["numbers"].items()}
    numbers.update({(digit,): value for digit, value in DIGITS.items()})
    nouns = frozenset(counts["nouns"]) | frozenset(noun[:-1] for noun in counts["nouns"] if noun.endswith("s"))
    return numbers, max(len(phrase) for phrase in numbers), nouns, int(counts["gap"])


def requested_pose_count(message: str) -> int | None:
    """The number of poses `message` asks for (2-8), or None when it asks for no particular number."""
    numbers, longest, nouns, gap = _tables()
    words = _WORD.findall(message.lower())
    for start in range(len(words)):
        for length in range(min(longest, len(words) - start), 0, -1):
            value = numbers.get(tuple(words[start:start + length]))
            if value is None:
                continue
            following = words[start + length:start + length + gap + 1]
            if any(word in nouns for word in following):
                return value
            break  # the longest phrase here was a number, but no noun follows it
    return None
