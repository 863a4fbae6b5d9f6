"""The side of the body a request names, kept: "put your RIGHT hand on your head" gets the right hand.

The pose bank answers a request with the pose of the most similar training request, by sentence
embedding; such an encoder hears "left arm" and "right arm" as nearly the same words, so the
nearest request often did the same thing with the other side (a new user's "put your right hand
on your head" got a left arm). Which side the words name is plain in them, and which side a pose
does something with is plain in its joints, so both are read and, when they disagree, the pose's
mirror image is shown instead — the same movement, on the side that was asked for.

- `named_sides`: a side word followed within a few words (of its clause) by a body part of a
  group ("left ARM", "right upper ARM"); "turn left" or "all right, hands up" name nothing. A
  leg the body rests on ("stand ON your left leg") names the other side as the one doing the
  group's sided checks (the right foot is the raised one). A group named with both sides is left
  out (either reading could be the one meant).
- `leaning_side`: per group, which side of a pose passes sided checks the other side does not
  ("left_knee_raised" but not "right_knee_raised").
- `twin_side`: the side words name alone when a pose does with both sides what they ask of one
  ("put your left hand behind your head" answered with both hands there).
- `on_named_sides`: the pose, or its mirror image when that agrees with the words and the pose
  does not. The groups, their words and checks are data (``posegpt/data/catalogues/sides.yaml``).

Left and right are the person's own, as in every check and caption of this project.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Mapping, NamedTuple

from posegpt.data.catalogue import load
from posegpt.pose import Pose

SIDES = ("left", "right")
_OTHER = {"left": "right", "right": "left"}
_WORD = re.compile(r"[a-z]+")
_CLAUSE = re.compile(r"[,.;:!?()]")


# The group whose named part a stepping verb and a back word put behind (sides.yaml `stepping_back`).
STEPPING_GROUP = "leg"


class _SideWords(NamedTuple):
    """sides.yaml, read for lookups."""

    parts: dict[str, str]  # part word → its group
    checks: dict[str, tuple[str, ...]]  # group → its sided checks, without the side prefix
    gap: int  # most words between a side word and its part
    support: dict[str, frozenset[str]]  # group → verbs that rest the body on its named part
    support_words: frozenset[str]  # the words between such a verb and the side ("on")
    determiners: frozenset[str]  # words skipped between them ("your", "the")
    only_words: frozenset[str]  # words that say a named side alone does it ("just", "only")
    stepping_back: tuple[frozenset[str], frozenset[str]]  # (verbs, back words): the named leg steps back


@lru_cache(maxsize=1)
def _tables() -> _SideWords:
    sides = load("sides")
    groups = sides["groups"]
    return _SideWords({part: group for group, entry in groups.items() for part in entry["parts"]},
                      {group: entry["checks"] for group, entry in groups.items()}, int(sides["gap"]),
                      {group: frozenset(verbs) for group, verbs in sides["support"].items()},
                      frozenset(sides["support_words"]), frozenset(sides["determiners"]), frozenset(sides["only_words"]),
                      (frozenset(sides["stepping_back"]["verbs"]), frozenset(sides["stepping_back"]["words"])))


def part_groups() -> dict[str, str]:
    """Each word sides.yaml knows for an arm's or a leg's part → its group ("hands" → "arm")."""
    return _tables().parts


def body_part_words() -> frozenset[str]:
    """Every word sides.yaml knows for an arm's or a leg's part ("arm", "hands", "knees", ...)."""
    return frozenset(_tables().parts)


def determiner_words() -> frozenset[str]:
    """The words sides.yaml skips between a word and the part it is about ("on YOUR left leg")."""
    return _tables().determiners


@lru_cache(maxsize=1)
def _pair_words() -> tuple[frozenset[str], frozenset[str]]:
    """(part words that name a pair, words that pick one of it), from catalogues/sides.yaml."""
    sides = load("sides")
    return frozenset(sides["pairs"]), frozenset(sides["one_of"])


def pair_words() -> frozenset[str]:
    """The part words that name both of a pair ("arms", "knees", "feet"; catalogues/sides.yaml `pairs`)."""
    return _pair_words()[0]


def says_both_sides(words: str) -> bool:
    """Whether `words` ask something of both of a pair: they say "both" or a pair's part ("arms",
    "knees", "feet", catalogues/sides.yaml `pairs`) and name neither a side nor one of the pair
    ("one of your arms", `one_of`). Why: the sentence encoder is side-blind, so a request or
    follow-up saying "your arms" is as near a one-armed fact or phrasing as a two-armed one;
    `posegpt.body_words` and `posegpt.follow_ups` make the one-sided ones less near."""
    said = set(_WORD.findall(words.lower()))
    pairs, one_of = _pair_words()
    return bool(said & (pairs | {"both"})) and not said & (one_of | {"left", "right"})


def _rests_on(words: list[str], index: int, group: str) -> bool:
    """The side word at `index` names the part of `group` the body rests on ("STAND ON your LEFT leg")."""
    tables = _tables()
    before = index - 1
    while before >= 0 and words[before] in tables.determiners:
        before -= 1
    return before >= 1 and words[before] in tables.support_words and words[before - 1] in tables.support.get(group, ())


def named_sides(text: str) -> dict[str, str]:
    """{body-part group: "left" or "right"} for each group the words name with one side only."""
    tables = _tables()
    named: dict[str, set[str]] = {}
    for clause in _CLAUSE.split(text.lower()):  # "all right, hands up": no side across a comma
        words = _WORD.findall(clause)
        verbs, back = tables.stepping_back
        stepping_back = bool(set(words) & verbs) and bool(set(words) & back)
        for index, word in enumerate(words):
            if word not in SIDES:
                continue
            following = words[index + 1:index + 1 + tables.gap]
            group = next((tables.parts[after] for after in following if after in tables.parts), None)
            if group is not None:  # the side that does the group's sided checks: the other one for a
                # support, or for a leg stepped back ("step back with your left leg": the right is in front)
                other = _rests_on(words, index, group) or (group == STEPPING_GROUP and stepping_back)
                named.setdefault(group, set()).add(_OTHER[word] if other else word)
    return {group: next(iter(sides)) for group, sides in named.items() if len(sides) == 1}


def other_side(side: str) -> str:
    """"left" → "right", "right" → "left"."""
    return _OTHER[side]


def only_side(text: str, group: str) -> str | None:
    """The side of `group` ("arm", "leg") that a clause of `text` names alone with one of
    sides.yaml's `only_words` ("raise just your right hand" → "right" for "arm"), when the words
    name that group with one side only (`named_sides`); None otherwise."""
    side = named_sides(text).get(group)
    if side is None:
        return None
    for clause in _CLAUSE.split(text.lower()):
        words = _WORD.findall(clause)
        if set(words) & _tables().only_words and side in words:
            return side
    return None


def twin_side(text: str, pose: Pose, group: str) -> str | None:
    """The side of `group` that `text` names alone (`named_sides`; and nowhere "both" or a pair's
    part of the group: "right arm out to the side and both HANDS raised to head height" asks the
    left hand up too) when one pose (length 1) does with both sides what the words ask of one:
    the sides pass the same sided checks of the group, at least one ("put your left hand behind
    your head" answered with both hands there); None otherwise."""
    side = named_sides(text).get(group)
    tables = _tables()
    pairs = {word for word in pair_words() if tables.parts.get(word) == group} | {"both"}
    if side is None or set(_WORD.findall(text.lower())) & pairs:
        return None
    left, right = _sided_checks_done(pose, group)
    return side if left and left == right else None


def leaning_side(pose: Pose, group: str) -> str | None:
    """The side of one pose (length 1) that does more of the group's sided checks than the other
    side, or None when neither does more (a symmetric pose, or one doing nothing sided)."""
    left, right = _sided_checks_done(pose, group)
    return "left" if len(left - right) > len(right - left) else "right" if len(right - left) > len(left - right) else None


def _sided_checks_done(pose: Pose, group: str) -> tuple[set[str], set[str]]:
    """The group's sided checks (without their side prefix) that one pose's left and right side pass."""
    from posegpt.eval.checks import run_checks

    checks = _tables().checks[group]
    passed = run_checks(pose, [f"{side}_{check}" for check in checks for side in SIDES])
    left, right = ({check for check in checks if passed[f"{side}_{check}"]} for side in ("left", "right"))
    return left, right


def side_agreement(pose: Pose, sides: Mapping[str, str]) -> int:
    """Groups where the pose leans to the named side, minus groups where it leans to the other."""
    leanings = [leaning_side(pose, group) for group in sides]
    return sum((lean == side) - (lean not in (side, None)) for lean, side in zip(leanings, sides.values()))


def on_named_sides(pose: Pose, text: str) -> Pose:
    """`pose` (length 1), or its mirror image when the words of `text` name sides that the mirror
    image agrees with and the pose does not."""
    sides = named_sides(text)
    if not sides or side_agreement(pose, sides) >= 0:
        return pose
    mirrored = pose.mirrored()
    return mirrored if side_agreement(mirrored, sides) > 0 else pose


def on_default_side(pose: Pose, text: str) -> Pose:
    """`pose` (length 1) for words that name no side at all, shown with its one-sided gesture on
    `posegpt.data.speculative.SHOWN_SIDE` (the arms' lean decides, else the legs'): its mirror
    image when it leans the other way. Why: the bank holds a one-sided pose asked without a side
    in whichever side its nearest entry had ("a guy saluting the flag" was nearest "someone
    saluting with the left hand"), so the same kind of request got either hand; situations are
    shown on that side too."""
    from posegpt.data.speculative import SHOWN_SIDE

    if set(_WORD.findall(text.lower())) & set(SIDES):
        return pose
    for group in ("arm", "leg"):
        lean = leaning_side(pose, group)
        if lean is not None:
            return pose if lean == SHOWN_SIDE else pose.mirrored()
    return pose
