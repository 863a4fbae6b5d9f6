"""A request's clauses may ask for a change the bank's chosen pose lacks: make that change.

Why: the pose bank answers a request that spells out a body with the one of its nearest 32
training poses whose own facts cover most of the words (`posegpt.body_words`). The nearest 32 are
found by the whole request's similarity, so when a request combines facts that no training pose
combines ("arms down by your sides, feet together", "sit on the floor with your arms crossed",
"reach both hands up toward the ceiling") every candidate misses one of them, and the best one
shows the rest with the wrong arms. The project already knows how to change the arms or the legs
of any pose: the follow-up edits of the training conversations (catalogues/edits.yaml: arms up,
arms down, arms out, arms forward, hands on hips, arms crossed, hands together, wave, sit, kneel,
squat, cross the legs, look up / down, ...). So each clause is matched with the edits' request
phrasings (MiniLM, `DIRECTION_PENALTY` less for a phrasing that says a conflicting direction), and
an edit it asks for is tried on the chosen pose (`apply_edit`: it fits, achieves what it says, the
result is plausible). The edited pose replaces the chosen one only when its own facts match the
request's body clauses better in sum and no clause worse by more than `WORSE_CLAUSE`: the change
must make the body say more of what was asked, not trade one asked fact for another.

A request with no clause about the body by the poses' facts ("hands up like you just scored": no
fact's wording is near enough to judge by) gets the edit its words ask for most, when that fits
the pose (`most_asked`; it does not when the pose already does it).

A clause asks for an edit when a phrasing of it is at least `EDIT_ASKED` similar and the two share
a word beyond those naming a part or a side (catalogues/asked_edits.yaml, `not_a_change`): "wave
with ur LEFT HAND" is as near "lower your left arm" as "raise your left arm" and asks for neither.
Edits relative to a pose ("now the other arm") are never asked for by a first request.

Measured (bench/bank_rules.py, eval text2pose / natural, the model card).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

import torch

from posegpt.body_words import BodyWords, said_clauses
from posegpt.data.catalogue import load
from posegpt.pose import Pose
from posegpt.retrieval import TextEmbedder

if TYPE_CHECKING:
    from posegpt.data.conversations import Edit

# A clause asks for an edit when one of the edit's request phrasings is at least this similar
# (MiniLM cosine, less DIRECTION_PENALTY for conflicting directions; the follow-up rule's 0.5 asks
# for too much in a long request, clauses of 0.55-0.85 ask for what they say).
EDIT_ASKED = 0.55
# How much worse than the chosen pose an edited one may match any single body clause (cosine units).
WORSE_CLAUSE = 0.05
# A clause asks for at most this many of its nearest phrasings' edits.
NEAREST_PHRASINGS = 8
_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=1)
def _table() -> tuple[frozenset[str], frozenset[str]]:
    table = load("asked_edits")
    return frozenset(table["relative"]), frozenset(table["not_a_change"])


def stem(word: str) -> str:
    """`word` (lower case) without an ending that inflects it: "folded", "folding", "folds" → "fold";
    "raised" / "raises" → "rais" as "raise"; "stepped" → "step". Why: "her arms folded" shared no
    word with "Fold your arms." and asked for nothing. Irregular forms stay apart ("bent", "bend")."""
    for ending in ("ing", "ed"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[:-len(ending)]
            if len(word) >= 4 and word[-1] == word[-2] and word[-1] in "bdgmnpt":  # "sitting", "stepped"
                word = word[:-1]
            break
    else:
        if word.endswith("s") and not word.endswith("ss") and len(word) >= 4:
            word = word[:-1]
    return word[:-1] if word.endswith("e") and len(word) >= 4 else word


def change_words(text: str) -> frozenset[str]:
    """The words of `text` that may say what to do (not which part, whose, or how it is built), each
    as its `stem`."""
    return frozenset(stem(word) for word in set(_WORD.findall(text.lower())) - _table()[1])


class AskedEdits:
    """The training edits, their request phrasings embedded once by `encoder`, and how to tell
    which a first request's clauses ask for."""

    def __init__(self, encoder: TextEmbedder, words: BodyWords) -> None:
        from posegpt.follow_ups import EditPhrasings

        # a sided edit is "<name>_left" / "<name>_right"; relative names are written unsided
        self._phrasings = EditPhrasings(encoder, leave_out=_table()[0])
        self._words = words

    def asked(self, text: str) -> list[Edit]:
        """The edits the clauses of `text` ask for, the most asked first (by its phrasing's similarity)."""
        pieces = said_clauses(text)
        if not pieces:
            return []
        similarity = self._phrasings.similarity(pieces)  # (R, C), less for conflicting directions
        found: dict[str, tuple[float, Edit]] = {}
        for clause in self._phrasings.asked_by(pieces, similarity, EDIT_ASKED):
            for near, edit, _ in clause:
                if near > found.get(edit.name, (-1.0,))[0]:
                    found[edit.name] = (near, edit)
        return [edit for _, edit in sorted(found.values(), key=lambda pair: -pair[0])]

    def most_asked(self, text: str, chosen: Pose) -> Pose | None:
        """For a request with no clause about the body by the poses' facts ("hands up like you just
        scored"), where `edited` cannot judge: `chosen` changed by the edit its words ask for most,
        when that one fits (it does not when the pose already does it); else None."""
        from posegpt.data.conversations import apply_edit

        asked = self.asked(text)
        return apply_edit(asked[0], chosen, least_motion=0.0) if asked else None

    def edited(self, text: str, chosen: Pose) -> Pose | None:
        """`chosen` (one pose) changed by the edit the clauses of `text` ask for that makes its facts
        match the request's body clauses best, better in sum than `chosen` and no clause worse by
        more than `WORSE_CLAUSE`; None when no asked edit does (or fits). (Clauses are judged on
        the chosen pose and its edits alone: also counting clauses only the other candidates match
        measured alike, bench/bank_rules.py.)"""
        from posegpt.data.conversations import apply_edit

        tried = [pose for pose in (apply_edit(edit, chosen, least_motion=0.0) for edit in self.asked(text)) if pose is not None]
        if not tried:
            return None
        match = self._words.matches(text, Pose.from_rotation_matrices(
            torch.cat([pose.rotation_matrices() for pose in (chosen, *tried)])))  # (1 + E, C)
        if match is None:
            return None
        change = match[1:] - match[0]  # (E, C)
        gain = change.sum(1)  # (E,)
        gain[(change < -WORSE_CLAUSE).any(1) | (gain <= 0)] = float("-inf")
        best = int(gain.argmax())
        return tried[best] if bool(torch.isfinite(gain[best])) else None
