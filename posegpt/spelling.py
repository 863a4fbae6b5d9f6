"""What a user typed, in the words the pose bank and the poses' facts are said in.

Why: people type "rase your rigth arm pls", "lay on ur stomach", "squat w/ arms out". The
sentence encoder splits a misspelt word into pieces that mean little ("rigth" is nearer no side
than "right"), and the rules that read whole words miss it: "rigth" names no side, so the request
got the nearest left-arm pose. So before a request is looked up, each word that is neither an
English word the encoder knows whole (its WordPiece vocabulary) nor a word of the catalogues is
replaced by the catalogue word one edit away (a letter left out, added, changed, or two swapped)
that the catalogues use most, and chat shorthand (catalogues/shorthand.yaml) by what it stands
for. Words of the catalogues are the words of poses, so a misspelt pose word is mended while a
name or a word the encoder knows is left as typed.
"""

from __future__ import annotations

import collections
import re
from functools import lru_cache
from typing import Any, Iterator

from posegpt.data.catalogue import CATALOGUES, load, pose_library

# A word shorter than this is left as typed: one edit away from a short word are too many words.
MIN_MENDED_LENGTH = 4
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


def _strings(value: Any) -> Iterator[str]:
    """Every text inside a loaded catalogue value (dicts' keys and values, sequences, records)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _strings(item)


@lru_cache(maxsize=1)
def catalogue_words() -> collections.Counter[str]:
    """How often each lower-case word occurs in the catalogues' texts (pose names included)."""
    counts: collections.Counter[str] = collections.Counter()
    texts = [text for name in CATALOGUES for text in _strings(load(name))]
    texts += [text for entry in pose_library().values() for text in entry.names]
    for text in texts:
        counts.update(word.lower() for word in re.findall(r"[A-Za-z]+", text.replace("_", " ")))
    return counts


@lru_cache(maxsize=1)
def _encoder_words() -> frozenset[str]:
    """The whole words of the sentence encoder's WordPiece vocabulary (none without the package)."""
    try:
        from posegpt.retrieval import minilm_model_dir

        lines = (minilm_model_dir() / "vocab.txt").read_text(encoding="utf-8").splitlines()
    except (RuntimeError, OSError):
        return frozenset()
    return frozenset(line for line in lines if line.isalpha() and line.islower())


@lru_cache(maxsize=1)
def _shorthand() -> tuple[re.Pattern[str], dict[str, str]]:
    words = load("shorthand")["words"]
    keys = sorted(words, key=len, reverse=True)
    pattern = re.compile(r"(?<![A-Za-z0-9/'])(" + "|".join(re.escape(key) for key in keys) + r")(?![A-Za-z0-9/'])", re.IGNORECASE)
    return pattern, words


def _one_edit(word: str) -> set[str]:
    """Every string one edit from `word`: a letter deleted, two neighbours swapped, one changed, one added."""
    splits = [(word[:index], word[index:]) for index in range(len(word) + 1)]
    return ({left + right[1:] for left, right in splits if right}
            | {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
            | {left + letter + right[1:] for left, right in splits if right for letter in _LETTERS}
            | {left + letter + right for left, right in splits for letter in _LETTERS})


@lru_cache(maxsize=4096)
def mended(word: str) -> str:
    """`word` (lower case) as the catalogues spell it: itself when known (an encoder word or a
    catalogue word) or short, else the most used catalogue word one edit away, else itself."""
    counts = catalogue_words()
    if len(word) < MIN_MENDED_LENGTH or word in counts or word in _encoder_words():
        return word
    near = [candidate for candidate in _one_edit(word) if candidate in counts]
    return max(near, key=lambda candidate: (counts[candidate], candidate)) if near else word


def spelled(text: str) -> str:
    """`text` with chat shorthand said in full and misspelt pose words mended ("rase ur rigth arm"
    → "raise your right arm"); everything else as typed."""
    pattern, words = _shorthand()
    text = pattern.sub(lambda match: words[match.group(1).lower()], text)

    def mend(match: re.Match[str]) -> str:
        word = match.group(0)
        if "'" in word:  # "don't", "rodin's": left as typed
            return word
        fixed = mended(word.lower())
        return word if fixed == word.lower() else fixed

    return _WORD.sub(mend, text)
