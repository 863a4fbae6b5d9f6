"""Do a reply's words agree with the pose it shows? The captioner read backwards, then compared.

A pose reply says in body words what it shows, then ``<POSE>`` ("Here you go: Standing; both
arms raised straight up. <POSE>"). In training those words come from the captioner
(`posegpt.data.captioner`) applied to the target pose, so they are true to it; a trained model
may still say one thing and show another. This module measures that, with no reference pose:

1. `said_posecodes` reads back which posecodes a text states, by matching the captioner's own
   phrases in reverse. The matcher is built from the captioner's tables (`_clause_of` for every
   topic/value/side, the posture phrases, the contact nouns) — there is no second phrase table
   here, so a phrase added to ``catalogues/captioner.yaml`` is read back without touching this
   file. Only grammar lives here: possessives, copulas and negations.
2. `words_agree` compares those facts with the pose by two rules (`Agreement`):
   - **posecodes** (the headline, ``agrees``): the captioner reads the pose shown (`shown_pose`)
     and every stated fact must be one of its facts (`fact_agrees`, below);
   - **checks** (a second instrument, ``checks_agree``): the facts become geometric checks
     (`posegpt.data.conversations.posecode_checks`, the mapping the evaluation sets use) run on
     the pose's joints (`posegpt.eval.checks`).
3. `reply_agreement` splits a reply at each ``<POSE>`` (the words since the previous marker, or
   since the reply's start, describe that pose) and compares every pose with its words.
4. `agreement_report` sums both rules up over an evaluation's replies for `eval text2pose` and
   `eval natural` (the posecode rule is results.json "words_agree"; the checks are its "checks").

How a fact is read (precision first: a fact the reader is unsure of is not returned):

- The text is split into sentences at ``. ! ? ; :``, line breaks and ``<POSE>``; a fact never
  spans two of them.
- A body-part fact is a body-part phrase of the captioner ("their left arm", "both knees",
  "arms") followed, after an optional "is"/"are", by one of that part's state phrasings ("raised
  straight up"); further states of the same part may follow after "and" ("their head is bowed and
  turned to the left"). Commands are read where the captioner's template wraps the part ("raise
  your left arm straight up"); commands with no body part in them ("lean forward") are not read.
  The longest phrasing wins ("bent at ninety degrees" over "bent"); a phrasing that two facts
  share word for word is not read.
- Contact with the floor is read as the captioner writes it: a list of contact nouns, then a
  contact state ("their hands and head are on the floor").
- Postures are read from the posture phrases (states, and commands of more than one word) in
  what the body-part facts left over; two different postures in one text are not read.
- A fact right after "not", "never", "no", "nor", "without" or a word ending in "n't" is dropped,
  and two different values of one topic on the same side ("left knee bent" and "left leg
  straight") drop each other.

The posecode rule, exactly:

- The pose is read by the captioner (`_codes_of`) per side, before "both" is formed, plus the
  facts the captioner leaves unsaid because another of its codes says them: a straight elbow
  beside an arm direction ("raised straight up"), a straight knee beside a straight raised leg
  ("kicked up high"), and an upright body's hand height where the arm's direction or a hand on
  the head says it.
- A stated fact agrees when the pose has the same topic on the stated side — "both" needs each
  side's own code; a sided posture (balancing on the left foot, kneeling on the right knee, lying
  on the left side) needs that side; a fact without a side needs the fact without a side — with
  the stated value or a neighbour of it:
  - neighbours are consecutive bins of one measurement of the captioner (`_NEIGHBOUR_CHAINS`),
    where a pose a few degrees off moves a fact into the bin next door: the elbow or knee angle
    (straight ≥ 155° / slightly bent ≥ 125° / bent ≥ 105° / ninety ≥ 65° / fully bent), the
    wrist's height (shoulder level / above the shoulder / head level / above the head), the
    trunk's forward pitch (leaning forward / bent forward / folded) and its backward pitch
    (leaning back / arched back), the feet's sideways gap (apart / wide), a lifted foot's height
    (raised / raised high). So "bent" agrees with an elbow angle of 65–155°, "ninety" with
    < 125°, "straight" with ≥ 125°. A chain breaks where the captioner leaves a gap with no code
    between two bins: "leaning forward" never agrees with "leaning back", nor "feet together"
    with "feet apart";
  - "hands together" (which the captioner says when the hands are together nowhere more
    specific) also agrees with hands together overhead, in front or behind the back;
  - every other value needs itself: arm directions (two angles, not one), where a hand rests,
    postures, head up or down, legs crossed…
- A floor contact agrees when every part it names touches the floor, the parts the posture
  implies included (the captioner names only the others).
- A pose agrees when its words state at least one fact and every stated fact agrees; words that
  state nothing neither agree nor disagree.

What the numbers can reach: on the captioner's own descriptions of a pose (third person and
terse, 4 a pose, captioner seed 0; `tests/test_agreement.py`) the reader recovers 99 % of the
posecodes said and reads nothing unsaid. Both rules, the words against

| poses (seed 0)                       | train library | held-out library | train sampler | held-out sampler |
|--------------------------------------|---------------|------------------|---------------|------------------|
| poses / descriptions                 | 138 / 552     | 32 / 128         | 300 / 1200    | 300 / 1200       |
| their own pose: posecodes            | 100.0 %       | 100.0 %          | 100.0 %       | 100.0 %          |
| their own pose: checks (checkable)   | 82.1 % (536)  | 93.8 % (128)     | 86.9 % (1165) | 92.8 % (1183)    |
| another pose of the set: posecodes   | 0.0 %         | 0.8 %            | 0.8 %         | 2.7 %            |
| another pose of the set: checks      | 6.3 %         | 1.6 %            | 5.5 %         | 10.3 %           |
| their pose, joints jittered: posecodes | 75.4 %      | 86.7 %           | 70.9 %        | 70.1 %           |
| their pose, joints jittered: checks  | 81.2 %        | 93.0 %           | 83.1 %        | 88.8 %           |

("another pose": the pose half the list away; "jittered": every body joint's axis-angle plus
N(0, 0.05 rad) per component, about 5° a joint.) The checks miss the captioner's own poses where
they measure differently (head up/down: they see a neck nod, not the head's own rotation;
postures at their edges: chair_pose said "squatting", lunge "kneeling on one knee"), and they
say nothing of facts with no check ("standing", "head turned to the left"). The posecode rule
has neither blind spot, but its categories are finer, so it is the stricter of the two on a pose
a little off its words: a few degrees move an arm from "straight up" to "up and out" (most
misses of the jittered rows are arm directions, hands on knees or hips, postures and head up).
The committed replies of the default checkpoint (``eval_out/``, from before replies described
their poses) agree by posecodes in 4 of 9 stating replies (natural) and 6 of 24 (text2pose), by
the checks in 4 of 5 and 17 of 20 checkable ones: mostly postures the checks lump together
("lying on the left side" shown lying on the stomach — both "lying"; "sitting" shown squatting).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from posegpt.data.captioner import (
    _CONTACT_GROUPS,
    _UPRIGHT,
    POSTURES,
    Posecode,
    _aggregate,
    _bodies,
    _clause_of,
    _codes_of,
    _hand_height,
    _sided,
)
from posegpt.data.catalogue import load
from posegpt.pose import Pose
from posegpt.tokens import POSE_TOKEN

__all__ = [
    "Agreement",
    "AgreementReport",
    "ShownPose",
    "agreement_report",
    "fact_agrees",
    "reply_agreement",
    "said_posecodes",
    "shown_pose",
    "words_agree",
]

# Grammar only (the phrases themselves come from the captioner's tables).
_POSSESSIVES = ("their", "his", "her", "its", "my", "your", "the")
_COPULAS = ("is", "are", "was", "were")
_NEGATIONS = frozenset({"not", "never", "no", "nor", "without"})
_SIDES = ("left", "right")
_POSSESSIVE = "(?:(?:" + "|".join(_POSSESSIVES) + ") )?"  # an optional possessive and its space
_SENTENCE_END = re.compile(r"[.!?;:\n]+")

Code = tuple[str, str, str | None]  # (topic, value, side): a Posecode without its measurements


def _template_regex(template: str) -> str:
    """A captioner phrase ("raised above {p} head") as a regex over normalised text: lower case,
    single spaces, "{p}" = an optional possessive (the terse voice writes none: "raised above head")."""
    out = ""
    space = False
    for token in template.lower().split():
        if token == "{p}":
            out += (" " if space else "") + _POSSESSIVE
            space = False
        else:
            out += (" " if space else "") + re.escape(token)
            space = True
    return out


def _normalise(text: str) -> str:
    """Lower case, plain quotes and dashes, no markdown emphasis, single spaces (line breaks kept
    as sentence ends)."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = text.replace("\u2013", "-").replace("\u2014", " - ")
    text = re.sub(r"[*_`#]+", " ", text)
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


# --- the matcher, built once from the captioner's tables ---------------------------------------------


@dataclass(frozen=True)
class _Phrase:
    """One way of saying facts around a body part: a state after it, or a command wrapped around
    it. ``code`` is None when the same words say two different facts (not read)."""

    code: Code | None
    after: re.Pattern[str]  # matched at the end of the part (state: copula + state; command: its suffix)
    before: re.Pattern[str] | None = None  # command: its prefix, searched in the text before the part
    further: re.Pattern[str] | None = None  # state: " and " + the state, after another state of the part


@dataclass(frozen=True)
class _Matcher:
    parts: re.Pattern[str]  # any body-part phrase; group "key" = the phrase without its possessive
    phrases: Mapping[str, tuple[_Phrase, ...]]  # part key → what may be said of it
    contact: re.Pattern[str]  # a list of contact nouns + a contact state
    contact_items: re.Pattern[str]
    contact_names: Mapping[str, str]  # noun phrase → contact item name ("bottom" → "buttocks")
    # (regex, code, whether a body-part phrase has the same words: "resting on {p} left knee")
    postures: tuple[tuple[re.Pattern[str], Code, bool], ...]
    nouns: frozenset[str]  # the captioner's body-part nouns, singular and plural


def _sides_of(topic: str, value: str) -> tuple[str | None, ...]:
    """The sides a (topic, value) can be said with: a sided noun → left/right/both; a fixed part
    whose words name a side ("leaning to the {side}") → left/right; else none."""
    words = load("captioner")
    if topic in ("elbow", "knee", "hand_on"):
        return (*_SIDES, "both")
    phrase = words["clauses"][topic][value]
    if phrase["noun"] is not None:
        return (*_SIDES, "both")
    texts = (*phrase["parts"], *phrase["states"], *phrase["commands"])
    return _SIDES if any("{side}" in t or "{other}" in t for t in texts) else (None,)


def _every_code() -> list[Code]:
    """Every body-part fact the captioner can phrase (topic, value, side); contact and postures
    are read apart."""
    words = load("captioner")
    pairs = [(topic, value) for topic in ("elbow", "knee") for value in words["bends"]]
    pairs += [("hand_on", value) for value in words["hand_targets"]]
    pairs += [(topic, value) for topic, values in words["clauses"].items() for value in values]
    return [(topic, value, side) for topic, value in pairs for side in _sides_of(topic, value)]


def _part_key(part: str) -> str:
    return part[len("{p} "):] if part.startswith("{p} ") else part


@functools.lru_cache(maxsize=1)
def _matcher() -> _Matcher:
    words = load("captioner")
    said: dict[str, dict[tuple[str, str], set[Code]]] = {}  # part key → (kind, words) → codes
    for code in _every_code():
        clause = _clause_of(*code)
        for part in clause.parts:
            entries = said.setdefault(_part_key(part), {})
            for state in clause.states:
                entries.setdefault(("state", state), set()).add(code)
            for command in clause.commands:
                if command.count("{part}") == 1:  # commands without the part are not read
                    entries.setdefault(("command", command), set()).add(code)
    copula = "(?: (?:" + "|".join(_COPULAS) + "))?"
    phrases: dict[str, tuple[_Phrase, ...]] = {}
    for key, entries in said.items():
        found = []
        for (kind, text), codes in entries.items():
            code = next(iter(codes)) if len(codes) == 1 else None
            if kind == "state":
                state = _template_regex(text) + r"(?!\w)"
                found.append(_Phrase(code, re.compile(copula + " " + state),
                                     further=re.compile(" and " + state)))
            else:
                prefix, suffix = (piece.strip() for piece in text.split("{part}"))
                found.append(_Phrase(
                    code,
                    re.compile((" " + _template_regex(suffix) if suffix else "") + r"(?!\w)"),
                    re.compile(r"(?<![\w'])" + _template_regex(prefix) + " $") if prefix else None,
                ))
        phrases[key] = tuple(found)
    keys = sorted(phrases, key=len, reverse=True)
    alternatives = "|".join(_template_regex(key) for key in keys)
    parts = re.compile(r"(?<![\w'])" + _POSSESSIVE + f"(?P<key>{alternatives})" + r"(?!\w)")

    contact = words["contact"]
    singular = {plural: one for one, plural in words["nouns"].values()}
    names: dict[str, str] = {}
    for name, (noun, plural) in contact["nouns"].items():
        names[noun.lower()] = name
        if plural and noun in singular:  # one of a pair: "left hand" → left_hand, the captioner's name
            names.update({f"{side} {singular[noun]}": f"{side}_{singular[noun]}" for side in _SIDES})
    item = "(?:" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + ")"
    states = "|".join(_template_regex(s) for s in sorted(contact["states"], key=len, reverse=True))
    contact_re = re.compile(r"(?<![\w'])" + _POSSESSIVE + f"(?P<items>{item}(?:(?:, | and ){item})*)" + copula
                            + f" (?:{states})" + r"(?!\w)")

    clause_texts = {text for entries in said.values() for _, text in entries}
    postures: list[tuple[re.Pattern[str], Code, bool]] = []
    for posture in POSTURES:
        states, commands = words["postures"][posture]
        texts = (*states, *(c for c in commands if len(c.split()) > 1))
        sided = any("{side}" in t for t in texts)
        for side in (_SIDES if sided else (None,)):
            for text in texts:
                filled = _sided(text, side, False)
                shared = filled in clause_texts  # "resting on {p} left knee" is also where a hand rests
                postures.append((re.compile(r"(?<![\w'])" + _template_regex(filled) + r"(?!\w)"),
                                 ("posture", posture, side), shared))
    nouns = frozenset(word for pair in words["nouns"].values() for word in pair)
    return _Matcher(parts, phrases, contact_re, re.compile(item), names, tuple(postures), nouns)


# --- reading --------------------------------------------------------------------------------------------


def _negated(sentence: str, start: int) -> bool:
    before = sentence[:start].split()
    return bool(before) and (before[-1] in _NEGATIONS or before[-1].endswith("n't"))


def _mask(sentence: str, start: int, end: int) -> str:
    """Blank out a read span so later passes neither read it again nor read across it."""
    return sentence[:start] + "\x00" * (end - start) + sentence[end:]


def _read_contact(sentence: str, matcher: _Matcher, found: list[Code]) -> str:
    for match in list(matcher.contact.finditer(sentence)):
        if not _negated(sentence, match.start()):
            items = matcher.contact_items.finditer(match.group("items"))
            found.append(("contact", "+".join(matcher.contact_names[item.group(0)] for item in items), None))
        sentence = _mask(sentence, match.start(), match.end())
    return sentence


def _best_phrase(sentence: str, matcher: _Matcher, part: re.Match[str],
                 free_from: int) -> tuple[int, int, Code | None] | None:
    """The longest state or command said of one body-part occurrence: (start, end, code); a
    command's prefix must lie after `free_from` (the end of what was read before)."""
    best: tuple[int, int, Code | None] | None = None
    for phrase in matcher.phrases[part.group("key")]:
        after = phrase.after.match(sentence, part.end())
        if after is None:
            continue
        start = part.start()
        if phrase.before is not None:
            before = phrase.before.search(sentence, free_from, part.start())
            if before is None:
                continue
            start = before.start()
        elif not after.group(0).strip():
            continue  # a command with neither prefix nor suffix would be the bare part
        if best is None or after.end() - start > best[1] - best[0]:
            best = (start, after.end(), phrase.code)
    return best


def _further(sentence: str, matcher: _Matcher, key: str, end: int) -> tuple[int, Code | None] | None:
    """The longest " and <state>" of the same part right at `end`: (its end, code)."""
    best: tuple[int, Code | None] | None = None
    for phrase in matcher.phrases[key]:
        match = phrase.further.match(sentence, end) if phrase.further is not None else None
        if match is not None and (best is None or match.end() > best[0]):
            best = (match.end(), phrase.code)
    return best


def _read_parts(sentence: str, matcher: _Matcher, found: list[Code]) -> str:
    """Body-part facts, left to right; returns the sentence with what was read blanked out."""
    position = free_from = 0
    masked = sentence
    while (part := matcher.parts.search(sentence, position)) is not None:
        best = _best_phrase(sentence, matcher, part, free_from)
        if best is None:
            position = part.end()
            continue
        start, end, code = best
        keep = not _negated(sentence, start)
        if code is not None and keep:
            found.append(code)
        # more states of the same part: "their head is bowed and turned to the left"
        while (more := _further(sentence, matcher, part.group("key"), end)) is not None:
            end = more[0]
            if more[1] is not None and keep:
                found.append(more[1])
        masked = _mask(masked, start, end)
        position = free_from = end
    return masked


def _read_postures(sentence: str, matcher: _Matcher) -> list[Code]:
    """Postures in what is left of a sentence: longest phrase first, no overlaps."""
    hits = []
    for regex, code, shared in matcher.postures:
        for match in regex.finditer(sentence):
            before = sentence[:match.start()].split()
            if shared and before and before[-1] in matcher.nouns:
                continue  # "one hand resting on their left knee" says where a hand is, not a posture
            hits.append((match.start(), match.end(), code))
    hits.sort(key=lambda hit: (hit[0] - hit[1], hit[0]))
    taken: list[tuple[int, int]] = []
    codes: list[Code] = []
    for start, end, code in hits:
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        if not _negated(sentence, start):
            codes.append(code)
    return codes


def _overlap(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a == b
    return a == b or "both" in (a, b)


def _consistent(codes: list[Code]) -> list[Code]:
    """Drop facts that contradict each other: two postures, or two values of one topic on
    overlapping sides (contact facts add up and are kept)."""
    unique = list(dict.fromkeys(codes))
    postures = {code for code in unique if code[0] == "posture"}
    unsure = set(postures) if len(postures) > 1 else set()
    for i, a in enumerate(unique):
        for b in unique[i + 1:]:
            if a[0] == b[0] and a[0] not in ("posture", "contact") and a[1] != b[1] and _overlap(a[2], b[2]):
                unsure.update((a, b))
    return [code for code in unique if code not in unsure]


def said_posecodes(text: str) -> list[Posecode]:
    """The posecodes a description states, in the order they are said (see the module docstring
    for how; sided facts keep the side they were said with: "left", "right" or "both"). Only
    topic, value and side mean something; salience and measure keep their defaults."""
    matcher = _matcher()
    found: list[Code] = []
    for sentence in _SENTENCE_END.split(_normalise(text.replace(POSE_TOKEN, "\n"))):
        if not sentence.strip():
            continue
        rest = _read_contact(sentence, matcher, found)
        rest = _read_parts(rest, matcher, found)
        found += _read_postures(rest, matcher)
    return [Posecode(topic, value, side) for topic, value, side in _consistent(found)]


# --- agreement -----------------------------------------------------------------------------------------

# Values that are neighbouring bins of one measurement of the captioner (`posegpt.data.captioner`):
# a stated value agrees with its own bin and the bins either side of it in a chain. A chain stops
# where the captioner leaves a gap (no code between two bins), so values on either side of a gap
# are never neighbours ("leaning forward" / "leaning back", "feet together" / "feet apart").
_NEIGHBOUR_CHAINS: dict[str, tuple[tuple[str, ...], ...]] = {
    # the elbow or knee angle, `_bend_category`: ≥ 155° / 125–155 / 105–125 / 65–105 / < 65
    "elbow": (("straight", "slightly_bent", "bent", "ninety", "fully_bent"),),
    "knee": (("straight", "slightly_bent", "bent", "ninety", "fully_bent"),),
    # the wrist's height against the shoulder and the head (upright bodies)
    "hand_height": (("shoulder_level", "above_shoulder", "head_level", "above_head"),),
    # the trunk's pitch from vertical (upright bodies): −35° / −12° | upright | 18° / 55° / 110°
    "torso": (("arched_back", "leaning_back"), ("leaning_forward", "bent_forward", "folded")),
    # the feet's sideways gap: 0.45 m / 0.8 m (together, < 0.13 m, lies beyond a gap)
    "feet": (("apart", "wide"),),
    # how high a lifted foot is above the other: 0.12 m / 0.45 m
    "foot": (("raised", "raised_high"),),
}
# A general value that the captioner says only when no more specific one applies; the words of
# the general value are still true of the specific ones ("hands together" of hands together
# overhead).
_GENERAL_VALUES: dict[tuple[str, str], frozenset[str]] = {
    ("hands", "together"): frozenset({"together_overhead", "together_front", "together_behind"}),
}


def _neighbours(topic: str, value: str) -> frozenset[str]:
    """The values a stated (topic, value) agrees with: itself, its neighbouring bins, and the
    specific values of a general one."""
    found = {value} | _GENERAL_VALUES.get((topic, value), frozenset())
    for chain in _NEIGHBOUR_CHAINS.get(topic, ()):
        if value in chain:
            i = chain.index(value)
            found.update(chain[max(i - 1, 0):i + 2])
    return frozenset(found)


@dataclass(frozen=True)
class ShownPose:
    """What the captioner reads in a pose: its posecodes per side (before aggregation, so that
    "both" can be tested side by side), completed with the facts the captioner leaves unsaid
    because another code says them, and every body part that touches the floor."""

    codes: frozenset[Code]
    touching: frozenset[str]  # contact names: "hands", "left_hand", "head", "buttocks", …
    described: tuple[Posecode, ...]  # the captioner's own (aggregated) posecodes, for reports


def shown_pose(pose: Pose) -> ShownPose:
    """The captioner's reading of one pose (a `Pose` of length 1), for `words_agree`."""
    if len(pose) != 1:
        raise ValueError(f"expected one pose, got a batch of {len(pose)}")
    body = _bodies(pose)[0]
    per_side = _codes_of(body)
    codes = {(c.topic, c.value, c.side) for c in per_side}
    upright = any(topic == "posture" and value in _UPRIGHT for topic, value, _ in codes)
    for side in _SIDES:
        # the captioner leaves out a straight elbow when the arm's direction says it ("raised
        # straight up"), and a straight knee when the thigh's does ("kicked up high", *_straight)
        if not any(c[0] == "elbow" and c[2] == side for c in codes):
            codes.add(("elbow", "straight", side))
        if not any(c[0] == "knee" and c[2] == side for c in codes):
            codes.add(("knee", "straight", side))
        # and an upright body's hand height where the arm's direction or the hand's target says
        # it ("raised straight up", "touching their face") or the hands are together
        height = _hand_height(body, side)
        if upright and height is not None and not any(c[0] == "hand_height" and c[2] == side for c in codes):
            codes.add(("hand_height", height[0], side))
    touching = set()
    for group, joints in _CONTACT_GROUPS.items():
        one = "foot" if group == "feet" else group[:-1]
        sides = [side for side in _SIDES if body.touches(*(f"{side}_{joint}" for joint in joints))]
        touching.update(f"{side}_{one}" for side in sides)
        if len(sides) == 2:
            touching.add(group)
    if body.touches("head"):
        touching.add("head")
    if body.touches("pelvis"):
        touching.add("buttocks")
    return ShownPose(frozenset(codes), frozenset(touching), tuple(_aggregate(per_side)))


def fact_agrees(fact: Posecode, shown: ShownPose) -> bool:
    """Whether a pose has a stated fact: the same topic, on the stated side (both sides, each on
    its own, for "both"), with the same value or one of its `_neighbours`. A floor contact agrees
    when every part it names touches the floor (whatever the posture implies besides)."""
    if fact.topic == "contact":
        return all(item in shown.touching for item in fact.value.split("+"))
    values = _neighbours(fact.topic, fact.value)
    sides = _SIDES if fact.side == "both" else (fact.side,)
    return all(any((fact.topic, value, side) in shown.codes for value in values) for side in sides)


@dataclass(frozen=True)
class Agreement:
    """What a text says about one pose, and whether the pose has it, by two rules.

    The posecode rule (``agrees``, the headline): the captioner reads the pose (`shown_pose`) and
    every fact the words state must be among its facts (`fact_agrees`). ``facts`` maps each stated
    fact ("arm/up/both") to that verdict; ``stated`` is False when the words state nothing the
    reader can read (they then neither agree nor disagree).

    The checks rule (``checks_agree``, a second instrument): the stated facts become geometric
    checks (`posecode_checks`) run on the pose's joints (`posegpt.eval.checks`). The checks are
    stricter and measure some facts differently from the captioner (a head tilted back by the
    head joint moves no joint they see; postures at their edges), so the captioner's own words
    fail them on some of its own poses. ``results`` maps check name → passed; ``checkable`` is
    False when the facts imply no check ("head turned to the left" has none).
    """

    text: str
    said: tuple[Posecode, ...]
    facts: Mapping[str, bool] = field(default_factory=dict)  # stated fact → the pose has it
    results: Mapping[str, bool] = field(default_factory=dict)  # check name → passed
    shown: tuple[Posecode, ...] = ()  # the captioner's own posecodes of the pose

    @property
    def stated(self) -> bool:
        return bool(self.facts)

    @property
    def agrees(self) -> bool:
        return self.stated and all(self.facts.values())

    @property
    def wrong(self) -> tuple[str, ...]:
        """Stated facts the pose does not have."""
        return tuple(fact for fact, ok in self.facts.items() if not ok)

    @property
    def fraction(self) -> float | None:
        """Share of the stated facts the pose has (None when nothing is stated)."""
        return sum(self.facts.values()) / len(self.facts) if self.facts else None

    @property
    def checks(self) -> tuple[str, ...]:
        return tuple(self.results)

    @property
    def checkable(self) -> bool:
        return bool(self.results)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(name for name, passed in self.results.items() if not passed)

    @property
    def checks_fraction(self) -> float | None:
        return sum(self.results.values()) / len(self.results) if self.results else None

    @property
    def checks_agree(self) -> bool:
        return self.checkable and not self.failed


def words_agree(text: str, pose: Pose) -> Agreement:
    """Compare what `text` says about a body with one pose (a `Pose` of length 1), by both rules."""
    from posegpt.data.conversations import posecode_checks
    from posegpt.eval.checks import run_checks

    said = said_posecodes(text)
    shown = shown_pose(pose)
    facts = {_code_text(code): fact_agrees(code, shown) for code in said}
    return Agreement(text, tuple(said), facts, run_checks(pose, posecode_checks(said)), shown.described)


def reply_agreement(reply: str, poses: Sequence[Pose]) -> list[Agreement]:
    """One `Agreement` per pose of an assistant reply: the words between the previous ``<POSE>``
    (or the reply's start) and a ``<POSE>`` describe that marker's pose. Words after the last
    marker describe no pose.

    Raises ValueError when the reply's markers and `poses` differ in number: a marker whose pose
    failed to decode leaves no way to tell which words go with which pose.
    """
    pieces = reply.split(POSE_TOKEN)
    if len(pieces) - 1 != len(poses):
        raise ValueError(f"the reply has {len(pieces) - 1} {POSE_TOKEN} marker(s) but {len(poses)} pose(s)")
    return [words_agree(words, pose) for words, pose in zip(pieces, poses)]


# --- over an evaluation's replies ------------------------------------------------------------------------


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


@dataclass(frozen=True)
class AgreementReport:
    """How often an evaluation's pose replies show what they say, by both rules of `Agreement`.

    A pose reply is a reply with at least one decoded pose. It *states* something when the words
    of at least one of its poses state a fact the reader reads, and it *agrees* when every such
    pose has all of its stated facts (a pose whose words state nothing does not count against the
    reply). By the checks rule a reply is *checkable* when the words of at least one pose imply a
    check, and agrees when every such pose passes all of its checks. Replies whose ``<POSE>``
    markers and decoded poses differ in number cannot be read (`reply_agreement`) and are counted
    apart.
    """

    pose_replies: int
    stated: int
    agreeing: int
    unread: int  # markers ≠ decoded poses
    poses_stated: int
    poses_agreeing: int
    mean_fraction: float | None  # mean share of stated facts the pose has, over the poses that state some
    checkable: int = 0
    checks_agreeing: int = 0
    poses_checkable: int = 0
    poses_checks_agreeing: int = 0
    mean_checks_fraction: float | None = None  # mean share of implied checks passed, over the checkable poses
    records: tuple[dict[str, Any], ...] = ()  # one per reply that states something

    @property
    def silent(self) -> int:
        """Pose replies (that could be read) whose words stated nothing the reader reads."""
        return self.pose_replies - self.unread - self.stated

    @property
    def agree_pct(self) -> float | None:
        return _pct(self.agreeing, self.stated)

    @property
    def checks_agree_pct(self) -> float | None:
        return _pct(self.checks_agreeing, self.checkable)

    def line(self, method: str = "") -> str:
        """The one-line summary the evaluations print under their tables (`method`: whose replies)."""
        value = "–" if self.agree_pct is None else f"{self.agree_pct:.1f} %"
        checks = "–" if self.checks_agree_pct is None else f"{self.checks_agree_pct:.1f} %"
        who = f"{method} pose replies" if method else "Pose replies"
        text = (f"{who} whose words agree with the pose (its posecodes): {value} ({self.agreeing} of {self.stated} "
                f"replies that state something; {self.silent} replies stated nothing); by the geometric checks: "
                f"{checks} ({self.checks_agreeing} of {self.checkable} checkable)")
        if self.unread:
            text += f"; {self.unread} not read: {POSE_TOKEN} markers and decoded poses differ in number"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": "posecodes",
            "pose_replies": self.pose_replies,
            "stated": self.stated,
            "agreeing": self.agreeing,
            "agree_pct": self.agree_pct,
            "silent": self.silent,
            "unread": self.unread,
            "poses_stated": self.poses_stated,
            "poses_agreeing": self.poses_agreeing,
            "mean_facts_agreeing_pct": None if self.mean_fraction is None else 100.0 * self.mean_fraction,
            "checks": {
                "checkable": self.checkable,
                "agreeing": self.checks_agreeing,
                "agree_pct": self.checks_agree_pct,
                "poses_checkable": self.poses_checkable,
                "poses_agreeing": self.poses_checks_agreeing,
                "mean_checks_passed_pct": None if self.mean_checks_fraction is None else 100.0 * self.mean_checks_fraction,
            },
            "replies": list(self.records),
        }


def agreement_report(replies: Iterable[tuple[str, str, Sequence[Pose]]]) -> AgreementReport:
    """`AgreementReport` over (id, reply text, decoded poses) triples; replies without a pose are
    skipped (they show nothing to disagree with)."""
    pose_replies = stated = agreeing = unread = poses_stated = poses_agreeing = 0
    checkable = checks_agreeing = poses_checkable = poses_checks_agreeing = 0
    fractions: list[float] = []
    checks_fractions: list[float] = []
    records: list[dict[str, Any]] = []
    for reply_id, reply, poses in replies:
        if not poses:
            continue
        pose_replies += 1
        try:
            agreements = reply_agreement(reply, poses)
        except ValueError:
            unread += 1
            continue
        read = [a for a in agreements if a.stated]
        if not read:
            continue
        stated += 1
        agreeing += all(a.agrees for a in read)
        poses_stated += len(read)
        poses_agreeing += sum(a.agrees for a in read)
        fractions += [a.fraction for a in read if a.fraction is not None]
        checked = [a for a in agreements if a.checkable]
        if checked:
            checkable += 1
            checks_agreeing += all(a.checks_agree for a in checked)
            poses_checkable += len(checked)
            poses_checks_agreeing += sum(a.checks_agree for a in checked)
            checks_fractions += [a.checks_fraction for a in checked if a.checks_fraction is not None]
        records.append({
            "id": reply_id,
            "agrees": all(a.agrees for a in read),
            "checks_agree": None if not checked else all(a.checks_agree for a in checked),
            "poses": [{"facts": dict(a.facts), "checks": dict(a.results),
                       "shown": [_code_text(code) for code in a.shown]} for a in agreements],
        })
    return AgreementReport(
        pose_replies, stated, agreeing, unread, poses_stated, poses_agreeing,
        sum(fractions) / len(fractions) if fractions else None,
        checkable, checks_agreeing, poses_checkable, poses_checks_agreeing,
        sum(checks_fractions) / len(checks_fractions) if checks_fractions else None, tuple(records),
    )


def _code_text(code: Posecode) -> str:
    """"arm/up/both" — a posecode in a results file."""
    return "/".join(part for part in (code.topic, code.value, code.side) if part)
