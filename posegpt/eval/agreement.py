"""Do a reply's words agree with the pose it shows? The captioner read backwards, then checked.

A pose reply says in body words what it shows, then ``<POSE>`` ("Here you go: Standing; both
arms raised straight up. <POSE>"). In training those words come from the captioner
(`posegpt.data.captioner`) applied to the target pose, so they are true to it; a trained model
may still say one thing and show another. This module measures that, with no reference pose:

1. `said_posecodes` reads back which posecodes a text states, by matching the captioner's own
   phrases in reverse. The matcher is built from the captioner's tables (`_clause_of` for every
   topic/value/side, the posture phrases, the contact nouns) — there is no second phrase table
   here, so a phrase added to ``catalogues/captioner.yaml`` is read back without touching this
   file. Only grammar lives here: possessives, copulas and negations.
2. `words_agree` turns the facts into geometric checks (`posegpt.data.conversations.posecode_checks`,
   the same mapping the evaluation sets use) and runs them on the pose (`posegpt.eval.checks`).
3. `reply_agreement` splits a reply at each ``<POSE>`` (the words since the previous marker, or
   since the reply's start, describe that pose) and checks every pose against its words.
4. `agreement_report` sums that up over an evaluation's replies for `eval text2pose` and
   `eval natural`.

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

What the number can reach: on the captioner's own descriptions of the training library poses
(third person and terse, `tests/test_agreement.py`) the reader recovers 99 % of the posecodes
said and reads nothing unsaid, yet the words agree with their own pose in only 82 % of the
checkable descriptions (94 % on the held-out library poses): the captioner and the checks
measure some facts differently (a head tilted back by the head joint, which moves no joint the
checks see; postures at their edges). Read a model's score against that ceiling. Facts with no
check ("standing", "head turned to the left") make nothing checkable, so words that say only
"standing" cannot disagree with a seated pose.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from posegpt.data.captioner import POSTURES, Posecode, _clause_of, _sided
from posegpt.data.catalogue import load
from posegpt.pose import Pose
from posegpt.tokens import POSE_TOKEN

__all__ = [
    "Agreement",
    "AgreementReport",
    "agreement_report",
    "reply_agreement",
    "said_posecodes",
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


@dataclass(frozen=True)
class Agreement:
    """What a text says about one pose, as checks, and which of them the pose passes.

    ``agrees`` is the rule the evaluations count: the words imply at least one check and the pose
    passes every one of them. Words that imply no check (nothing said, or only facts no check
    measures, such as "head turned to the left") neither agree nor disagree: ``checkable`` is
    False. ``fraction`` is the share of the implied checks the pose passes (None when there are
    none), for a softer reading.
    """

    text: str
    said: tuple[Posecode, ...]
    results: Mapping[str, bool] = field(default_factory=dict)  # check name → passed

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
    def fraction(self) -> float | None:
        return sum(self.results.values()) / len(self.results) if self.results else None

    @property
    def agrees(self) -> bool:
        return self.checkable and not self.failed


def words_agree(text: str, pose: Pose) -> Agreement:
    """Check one pose (a `Pose` of length 1) against what `text` says about a body."""
    from posegpt.data.conversations import posecode_checks
    from posegpt.eval.checks import run_checks

    said = said_posecodes(text)
    return Agreement(text, tuple(said), run_checks(pose, posecode_checks(said)))


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


@dataclass(frozen=True)
class AgreementReport:
    """How often an evaluation's pose replies show what they say.

    A pose reply is a reply with at least one decoded pose. It is *checkable* when the words of at
    least one of its poses imply a check, and it *agrees* when every such pose passes all of its
    checks (a pose whose words imply nothing does not count against the reply). Replies whose
    ``<POSE>`` markers and decoded poses differ in number cannot be read (`reply_agreement`) and
    are counted apart.
    """

    pose_replies: int
    checkable: int
    agreeing: int
    unread: int  # markers ≠ decoded poses
    poses_checkable: int
    poses_agreeing: int
    mean_fraction: float | None  # mean share of implied checks passed, over the checkable poses
    records: tuple[dict[str, Any], ...] = ()  # one per checkable reply

    @property
    def silent(self) -> int:
        """Pose replies (that could be read) whose words said nothing checkable."""
        return self.pose_replies - self.unread - self.checkable

    @property
    def agree_pct(self) -> float | None:
        return 100.0 * self.agreeing / self.checkable if self.checkable else None

    def line(self, method: str = "") -> str:
        """The one-line summary the evaluations print under their tables (`method`: whose replies)."""
        value = "–" if self.agree_pct is None else f"{self.agree_pct:.1f} %"
        who = f"{method} pose replies" if method else "Pose replies"
        text = (f"{who} whose words agree with the pose: {value} ({self.agreeing} of {self.checkable} "
                f"replies that state something checkable; {self.silent} replies said nothing checkable")
        if self.unread:
            text += f"; {self.unread} not read: {POSE_TOKEN} markers and decoded poses differ in number"
        return text + ")"

    def to_json(self) -> dict[str, Any]:
        return {
            "pose_replies": self.pose_replies,
            "checkable": self.checkable,
            "agreeing": self.agreeing,
            "agree_pct": self.agree_pct,
            "silent": self.silent,
            "unread": self.unread,
            "poses_checkable": self.poses_checkable,
            "poses_agreeing": self.poses_agreeing,
            "mean_checks_passed_pct": None if self.mean_fraction is None else 100.0 * self.mean_fraction,
            "replies": list(self.records),
        }


def agreement_report(replies: Iterable[tuple[str, str, Sequence[Pose]]]) -> AgreementReport:
    """`AgreementReport` over (id, reply text, decoded poses) triples; replies without a pose are
    skipped (they show nothing to disagree with)."""
    pose_replies = checkable = agreeing = unread = poses_checkable = poses_agreeing = 0
    fractions: list[float] = []
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
        read = [a for a in agreements if a.checkable]
        if not read:
            continue
        checkable += 1
        agreeing += all(a.agrees for a in read)
        poses_checkable += len(read)
        poses_agreeing += sum(a.agrees for a in read)
        fractions += [a.fraction for a in read if a.fraction is not None]
        records.append({
            "id": reply_id,
            "agrees": all(a.agrees for a in read),
            "poses": [{"said": [_code_text(code) for code in a.said], "checks": dict(a.results)}
                      for a in agreements],
        })
    return AgreementReport(
        pose_replies, checkable, agreeing, unread, poses_checkable, poses_agreeing,
        sum(fractions) / len(fractions) if fractions else None, tuple(records),
    )


def _code_text(code: Posecode) -> str:
    """"arm/up/both" — a posecode in a results file."""
    return "/".join(part for part in (code.topic, code.value, code.side) if part)
