"""The record of one hand-authored pose: a name, a category, a one-line description, its turns and
the names requests call it by (written in posegpt/data/catalogues/postures.yaml and actions.yaml)."""

from __future__ import annotations

from dataclasses import dataclass

Turn = tuple[str, str, float]  # (SMPL joint name, axis "x"|"y"|"z", degrees)


@dataclass(frozen=True)
class PoseEntry:
    name: str  # snake_case; sided poses are authored for the left side ("..._left")
    category: str  # standing, sitting, kneeling, lying, squat/lunge/bend, yoga/fitness, sports, ...
    description: str  # what the pose is, in plain words (documentation, not training text)
    turns: tuple[Turn, ...]  # applied in order, each in the parent's (world-aligned rest) frame
    names: tuple[str, ...] = ()  # how requests name it ("a T-pose"): training text, sides as authored
