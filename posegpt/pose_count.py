"""How many poses a user's message asks for ("three stretches", "a couple of yoga poses"), and
which, when it lists them ("a squat and then a lunge", "standing, sitting and kneeling - one of each").

A 135 M model asked for three poses often shows one or two and ends its reply (eval natural:
"N poses" requests answered with exactly N, 58 %). The count is plain in the words, so it is read
from them — number phrases and nouns are data (``posegpt/data/catalogues/counts.yaml``) — and the
engine keeps a reply that has begun showing poses from ending before it has shown that many. A
number alone asks for nothing ("hold it for 3 seconds", "raise 2 arms"): a noun for poses must
follow it within a few words.

A message may list its poses instead: one after another ("slouching at a desk, then sitting up
straight") or one per item of a list marked so ("standing, sitting, kneeling and lying - one of
each"). `listed_poses` returns the items, so the pose bank looks each up by its own words (the
nearest requests to the whole message would be several of one kind). A list without such words
is not split: "stand with your feet apart and squat slightly" is one pose.
"""

from __future__ import annotations

import re
from functools import lru_cache

from posegpt.data.catalogue import load

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
DIGITS = {str(value): value for value in range(2, 9)}


_LIST_SEPARATOR = re.compile(r"\s*(?:,|;|\band\b|\bor\b)\s*")


@lru_cache(maxsize=1)
def _markers() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(the words that put poses one after another, the words that ask for one per listed item),
    each as a pattern of whole words, longest first."""
    counts = load("counts")

    def pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
        return re.compile(rf"[\s,;:.!-]*\b(?:{_alternatives(phrases)})\b[\s,;:.!-]*")

    return pattern(counts["sequence"]), pattern(counts["each"])


def _alternatives(phrases: tuple[str, ...]) -> str:
    """A regular expression matching any of `phrases` (their words apart by any white space), longest first."""
    return "|".join(re.escape(phrase).replace(r"\ ", r"\s+") for phrase in sorted(phrases, key=len, reverse=True))


@lru_cache(maxsize=1)
def _openers() -> tuple[str, re.Pattern[str]]:
    """(the word that opens a list's first item, a pattern of any opener at the start of an item
    with the word after it as group 1), from counts.yaml `openers`."""
    openers = load("counts")["openers"]
    return openers[0], re.compile(rf"(?:{_alternatives(openers)})\s+([a-z0-9']+)", re.IGNORECASE)


def _opened_items(text: str) -> list[str]:
    """The items of a list each opened by an opener ("one with arms up, one with arms down" →
    ["with arms up", "with arms down"]), after a lead ending in a colon; [] when the text after the
    lead is not such a list (an item not opened so, an opener before a body part: "one arm up,
    one arm down" is one body, or fewer than two items)."""
    from posegpt.sides import body_part_words

    first, opened = _openers()
    listed = text.rsplit(":", 1)[-1].strip()
    if not re.match(rf"{re.escape(first)}\b", listed, re.IGNORECASE):
        return []
    items = []
    for part in _LIST_SEPARATOR.split(listed):
        item = part.strip(" ,;:.!?-")
        match = opened.match(item)
        if match is None or match.group(1).lower() in body_part_words() | {"of"}:
            return []
        items.append(item[match.start(1):])
    return items if len(items) >= 2 else []


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[tuple[str, ...], int], int, frozenset[str], int, frozenset[str]]:
    """(number phrase as words → value, the most words a phrase has, nouns (plural only: a number
    before a singular noun is part of a pose's name, "the warrior two yoga pose", "a figure four
    stretch"), gap, the words that end a number's phrase)."""
    counts = load("counts")
    numbers = {tuple(_WORD.findall(phrase)): value for phrase, value in counts["numbers"].items()}
    numbers.update({(digit,): value for digit, value in DIGITS.items()})
    nouns = frozenset(counts["nouns"])
    return numbers, max(len(phrase) for phrase in numbers), nouns, int(counts["gap"]), frozenset(counts["ends"])


def requested_pose_count(message: str) -> int | None:
    """The number of poses `message` asks for (2-8): the number it says, else the number of poses
    it lists (`listed_poses`); None when it asks for no particular number."""
    counted = counted_poses(message)
    return counted if counted is not None else (len(listed_poses(message)) or None)


def counted_poses(message: str) -> int | None:
    """The number `message` says, followed within a few words by a word for poses ("two ways to
    stretch", "3 yoga poses"), or None. Such a message asks for poses whatever else it says: of
    3,000 generated training conversations every user turn that counts so was answered with
    poses, and none of the 716 general-chat prompts nor the hand-written set's small talk counts
    so (a list is weaker evidence: "boil an egg and then peel it" lists two steps, not poses)."""
    numbers, longest, nouns, gap, ends = _tables()
    words = _WORD.findall(message.lower())
    for start in range(len(words)):
        for length in range(min(longest, len(words) - start), 0, -1):
            value = numbers.get(tuple(words[start:start + length]))
            if value is None:
                continue
            for word in words[start + length:start + length + gap + 1]:
                if word in nouns:
                    return value
                if word in ends:  # "3 reasons to exercise": the number's phrase ended before a noun for poses
                    break
            break  # the longest phrase here was a number, but no noun follows it
    return None


def listed_poses(message: str) -> tuple[str, ...]:
    """The poses a message lists, each in its own words (2-8 of them), or () when it lists none.

    One after another: the message split at each sequence word ("then", "followed by"), after a
    leading "before and after:"-style lead (the text before a colon). One of each: the list before
    an each-word ("one of each") split at commas, "and" and "or". Each opened: a list whose items
    each open with an opener ("two poses pls: one with arms up, one with arms down";
    `_opened_items`)."""
    sequence, each = _markers()
    text = " ".join(message.split())
    marked = each.search(text)
    opened = _opened_items(text)
    if marked is not None:
        parts = _LIST_SEPARATOR.split(text[: marked.start()].rsplit(":", 1)[-1])
    elif sequence.search(text) is not None:
        parts = sequence.split(text.split(":", 1)[1] if ":" in text else text)
    elif opened:
        parts = opened
    else:
        return ()
    items = [part.strip(" ,;:.!?-") for part in parts if _WORD.search(part.lower())]
    if marked is None:  # "stand, then keep your left knee bent" is one pose, built up step by step
        items = _steps_joined(items)
    return tuple(items) if 2 <= len(items) <= max(DIGITS.values()) else ()


@lru_cache(maxsize=1)
def _step_words() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(words for body parts, words that say a posture, words that begin a pose's name), from
    counts.yaml `steps` (with sides.yaml's part words)."""
    from posegpt.sides import body_part_words

    steps = load("counts")["steps"]
    return body_part_words() | frozenset(steps["parts"]), frozenset(steps["postures"]), frozenset(steps["starts"])


def goes_on(before: str, item: str) -> bool:
    """Whether a sequence item goes on building the pose `before` it rather than being one of its
    own: `before` says a posture, and `item` names a body part, says no posture and does not
    begin as a pose's name does ("Stand, then keep your left knee bent"; not "slouching, then
    sitting up straight", "a squat and then a lunge with arms up", "wave hello and then both arms
    up"). Why: "Stand upright, then keep your right arm stretched up overhead" was read as two
    poses, and the first, "Stand upright", was shown bare."""
    parts, postures, starts = _step_words()
    said_before, words = set(_WORD.findall(before.lower())), _WORD.findall(item.lower())
    return (bool(said_before & postures) and bool(words) and words[0] not in starts
            and bool(parts & set(words)) and not postures & set(words))


def _steps_joined(items: list[str]) -> list[str]:
    """`items` with each one that `goes_on` joined to the one before it ("Stand, then keep ...")."""
    joined: list[str] = []
    for item in items:
        if joined and goes_on(joined[-1], item):
            joined[-1] = f"{joined[-1]}, then {item}"
        else:
            joined.append(item)
    return joined
