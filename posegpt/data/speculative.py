"""Speculative prompts: situations, activities and emotions mapped to families of named poses.

ChatPose's "speculative" requests describe a situation instead of body parts ("what would a
sprinter do after winning?"). Each `Situation` lists the named poses that answer it, several
phrasings that never just say the pose's name, the geometric checks any acceptable answer must
pass (names from `posegpt.eval.checks`), and short replies around one "<POSE>". The situations
are data (``posegpt/data/catalogues/situations.yaml``, validated by `posegpt.data.catalogue`);
this module gives them their meaning: splits, phrasing ids, families.

Held-out rules (`posegpt.data.splits.is_heldout`): a situation held out as kind "situation" is
used for evaluation only; each phrasing is also a template with id ``f"{situation}#{index}"``
(kind "template"), so evaluation also has unseen phrasings of situations seen in training. Answer
templates have ids ``f"{situation}#answer{index}"``. Pose names inside a family may be held-out
poses: training draws only the family's training poses, so every family also holds at least one
training pose (the test is generalising the situation, not learning a new body).

Checks are written for the poses as authored (sided poses for their left side) and hold for
every pose of the family (tests/test_speculative.py runs them). In a ``side_free`` situation
either side is a right answer: the mirrored pose satisfies the mirrored checks
(`mirrored_check`); training answers with one side only, so one prompt never has two opposite
targets: `SHOWN_SIDE`, the right one, since most people are right-handed (a salute, a wave, a
throw); the poses are authored for the left side, so they are shown mirrored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from posegpt.data.catalogue import load
from posegpt.data.splits import is_heldout

Split = Literal["train", "eval"]

# The side a situation's one-sided poses are shown on (the conversations' answers, so the pose bank
# too): right, as most people salute, wave, point and throw with the right hand. Poses are authored
# for the left side; "left" would show them as authored.
SHOWN_SIDE: Literal["left", "right"] = "right"


@dataclass(frozen=True)
class Situation:
    """A situation, activity or emotion, the poses that answer it and how people ask for it."""

    name: str  # snake_case id, also the held-out key
    pose_names: tuple[str, ...]  # named poses that answer it (catalogue names, sided ones "left")
    phrasings: tuple[str, ...]  # user requests, each a different wording of the situation
    checks: tuple[str, ...]  # check names every acceptable answer passes (for the authored side)
    answer_templates: tuple[str, ...]  # short replies, each with exactly one "<POSE>"
    side_free: bool = True  # either mirror of a sided pose is a right answer

    def phrasing_id(self, index: int) -> str:
        return f"{self.name}#{index}"

    def answer_id(self, index: int) -> str:
        return f"{self.name}#answer{index}"


def mirrored_check(name: str) -> str:
    """The check a mirrored pose passes when the original passes `name` (left ↔ right)."""
    return "_".join({"left": "right", "right": "left"}.get(part, part) for part in name.split("_"))


def _situations() -> dict[str, Situation]:
    return {
        name: Situation(name, entry["poses"], entry["phrasings"], entry["checks"], entry["answers"], entry["side_free"])
        for name, entry in load("situations").items()
    }


#: Every situation by name, in the order of posegpt/data/catalogues/situations.yaml.
SITUATIONS: dict[str, Situation] = _situations()


def training_situations() -> list[Situation]:
    """Situations that training may use (not held out as kind "situation")."""
    return [s for s in SITUATIONS.values() if not is_heldout("situation", s.name)]


def heldout_situations() -> list[Situation]:
    """Situations used by evaluation only."""
    return [s for s in SITUATIONS.values() if is_heldout("situation", s.name)]


def phrasings(situation: str | Situation, split: Split) -> list[tuple[str, str]]:
    """(template id, phrasing) pairs of one situation for a split.

    "train": the phrasings training may use (none for a held-out situation); "eval": every
    phrasing of a held-out situation, otherwise only the held-out phrasings.
    """
    entry = SITUATIONS[situation] if isinstance(situation, str) else situation
    pairs = [(entry.phrasing_id(i), text) for i, text in enumerate(entry.phrasings)]
    situation_held = is_heldout("situation", entry.name)
    if split == "train":
        return [] if situation_held else unheld_phrasings(entry)
    if split == "eval":
        return pairs if situation_held else [(tid, text) for tid, text in pairs if is_heldout("template", tid)]
    raise ValueError(f"split must be 'train' or 'eval', got {split!r}")


def unheld_phrasings(situation: str | Situation) -> list[tuple[str, str]]:
    """(template id, phrasing) pairs of one situation whose template is not held out, whether the
    situation is or not: a held-out situation's are used by the shipped pose bank alone
    (`posegpt.data.conversations.build_heldout_content`)."""
    entry = SITUATIONS[situation] if isinstance(situation, str) else situation
    pairs = [(entry.phrasing_id(i), text) for i, text in enumerate(entry.phrasings)]
    return [(tid, text) for tid, text in pairs if not is_heldout("template", tid)]


def answer_templates(situation: str | Situation, split: Split) -> list[tuple[str, str]]:
    """(template id, reply) pairs; training uses only the replies that are not held out,
    evaluation (where the reply is only a reference text) all of them."""
    entry = SITUATIONS[situation] if isinstance(situation, str) else situation
    pairs = [(entry.answer_id(i), text) for i, text in enumerate(entry.answer_templates)]
    if split == "train":
        return [(tid, text) for tid, text in pairs if not is_heldout("template", tid)]
    return pairs


def family_poses(situation: str | Situation, split: Split) -> list[str]:
    """The pose names of a situation's family that a split may draw: "train" leaves held-out poses
    out, "eval" keeps them all. Names missing from the pose library are skipped (the catalogue's
    loader refuses them, so only a situation made in code can have one)."""
    from posegpt.data.named_poses import POSE_LIBRARY

    entry = SITUATIONS[situation] if isinstance(situation, str) else situation
    names = [name for name in entry.pose_names if name in POSE_LIBRARY]
    if split == "train":
        return [name for name in names if not is_heldout("pose", name)]
    return names
