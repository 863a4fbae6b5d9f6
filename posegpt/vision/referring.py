"""Which person a question means: the question's words matched against each person's reading.

A 135 M model matches words to people poorly (it picks the person through a learned pointer over
projected feature vectors, see `posegpt.model.PersonPointer`), while most referring questions
say plainly whom they mean — "the man in the navy jacket", "the one on the far left", "the
grey-haired woman", "the tallest", "and the other one?". This module reads those words and
scores every person's `PersonReading` (position, size, clothing colours, hair, posture, gesture,
facing) by how well they fit, with synonyms and shades ("navy" ≈ dark blue, "beige" ≈ light
brown, "grey"/"gray") and, for follow-ups, the person picked for the previous question ("the
one next to her", "the other one", "she", "the man he is talking to"). "Next to" means nearest in
the picture — sideways in body widths, and in depth by size and by where the feet are — not the
neighbour in the left-to-right numbering (someone far behind may stand between two in the picture).

The words are data: `posegpt/data/catalogues/referring.yaml` (validated by the one catalogue
loader, `posegpt.data.catalogue`); its header explains the phrase syntax and the sections.

How a question is read: the text is normalised (lower case, words only, filler words dropped);
each kind of cue is looked for in a fixed order (numbers, relations, gestures, hair, clothing,
posture, facing, position, size, group words), longer phrases first, and the words a cue used
are not read again — so the "left" of "raising her left arm" is a gesture, not a position.
Each cue gives every person a fit in [0, 1]; a person's score is the weighted sum of the cues.

`Resolution.candidates` are the people within `margin` of the best score; when the best score
is too low (no usable words) everyone is a candidate. The engine combines this with the
pointer (see `Resolution.restrict`): clear evidence — one candidate — decides; several
candidates are a tie that the pointer breaks; no evidence leaves the pointer free. That order
is deliberate: the resolver's evidence is explicit and checkable against the reading, while the
pointer's logits are uncalibrated, so a weighted sum of the two would need a scale neither has;
the pointer is still what it was trained for when the words do not decide.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping, Sequence

from posegpt.vision.features import HEIGHT_RATIO_INDEX, PersonReading

#: The order cues are read in (earlier kinds claim their words first).
CUE_ORDER = ("number", "relation", "gesture", "hair", "clothing", "posture", "facing", "position", "size", "group")
POSITION_MEANINGS = ("left", "right", "middle", "nth_from_left", "nth_from_right")
SIZE_MEANINGS = ("biggest", "smallest")
RELATION_MEANINGS = ("other", "same", "next_to", "left_of", "right_of")
PLACEHOLDERS = ("who", "n", "k", "h")
SIZE_POWER = 3.0  # fit of "the tallest" = (height ÷ tallest)^3: nearly equal heights stay a tie
ACCENT_FIT = 0.8  # a said colour that is the second colour of a top fits this much of a main colour
NEAR_DEPTH = 4.0  # "next to": weight of a size ratio (|ln h_i/h_j|: depth) against sideways distance in widths
NEAR_FEET = 2.0  # … and of the gap between the feet (in heights)
PRONOUNS = frozenset({"she", "he", "her", "him", "they", "them", "his", "hers", "their"})
_NOUN = r"(?:one|person|man|woman|guy|girl|boy|lady)"  # "next to that one": the anchor is the previous person
_NAMED = re.compile(r"\bperson (\d+)\b", re.IGNORECASE)  # how replies name a person ("Person 2 (on the right): …")
_PROMPT_LINE = re.compile(r"^(\[Photo:.*\]|Person \d+: .*)$")


# ----------------------------------------------------------------------------------------------
# Text and phrases


def normalise(text: str, fillers: frozenset[str] = frozenset()) -> str:
    """Lower-case words separated by single spaces, padded with one space at each end, without
    `fillers` ("The man's T-shirt!" → " man s t shirt ")."""
    text = str(text).lower().replace("#", " number ").replace("’", "'")
    words = [word for word in re.findall(r"[a-z0-9]+", text) if word not in fillers]
    return " " + " ".join(words) + " " if words else " "


def compile_phrase(phrase: str, fillers: frozenset[str], slots: Mapping[str, str]) -> re.Pattern[str]:
    """A phrase of the catalogue's syntax — words, (a|b) alternatives, [optional] words, {slot}
    placeholders — as a regex over `normalise`d text. `slots` maps a placeholder name to the
    regex of its words. Raises ValueError for unbalanced brackets, an unknown placeholder or a
    phrase that matches nothing."""
    tokens = re.findall(r"[()\[\]|]|\{[^{}]*\}|[^\s()\[\]|{}]+", phrase)
    position = 0

    def sequence(closing: str | None) -> list[str]:
        """Alternatives (each a regex) up to `closing` (None: the end)."""
        nonlocal position
        options, current = [], ""
        while position < len(tokens):
            token = tokens[position]
            position += 1
            if token in ("(", "["):
                inner = sequence(")" if token == "(" else "]")
                group = "(?:" + "|".join(inner) + ")"
                current += group + ("?" if token == "[" else "")
            elif token in (")", "]"):
                if token != closing:
                    raise ValueError(f"unbalanced {token!r} in {phrase!r}")
                options.append(current)
                return options
            elif token == "|":
                if closing is None:
                    raise ValueError(f"'|' outside (…) or […] in {phrase!r}")
                options.append(current)
                current = ""
            elif token.startswith("{"):
                name = token[1:-1]
                if name not in slots:
                    raise ValueError(f"unknown placeholder {token} in {phrase!r}; known: "
                                     + ", ".join("{" + slot + "}" for slot in slots))
                current += f"(?P<{name}>{slots[name]}) " if name != "who" else f"(?:{slots[name]}) "
            else:
                for word in normalise(token, fillers).split():
                    current += re.escape(word) + " "
        if closing is not None:
            raise ValueError(f"missing {closing!r} in {phrase!r}")
        options.append(current)
        return options

    body = sequence(None)[0]
    if not body.strip():
        raise ValueError(f"the phrase {phrase!r} has no words (after dropping filler words)")
    try:
        return re.compile(" " + body)
    except re.error as error:  # e.g. one placeholder twice
        raise ValueError(f"cannot use the phrase {phrase!r}: {error}") from None


# ----------------------------------------------------------------------------------------------
# The vocabulary


@dataclass(frozen=True)
class _Entry:
    patterns: tuple[re.Pattern[str], ...]
    means: str = ""  # for computed cues (position, size, relation)
    fits: Mapping[str, float] = field(default_factory=dict)  # reading value → fit


@dataclass(frozen=True)
class Vocabulary:
    """The compiled catalogue (`vocabulary()`)."""

    fillers: frozenset[str]
    ordinals: Mapping[str, int]
    numbers: Mapping[str, int]
    entries: Mapping[str, tuple[_Entry, ...]]  # cue kind → entries (group/number: patterns only)
    hair_said: Mapping[str, Mapping[str, float]]
    hair_frames: tuple[re.Pattern[str], ...]  # with (?P<h>…)
    garments: Mapping[str, str]  # normalised garment words → "top" / "bottom" / "whole"
    colours: Mapping[str, Mapping[str, float]]  # normalised colour phrase → fits over COLOUR_NAMES
    shades: Mapping[str, Mapping[str, Any]]  # normalised shade word → {"shade", "same", "plain", "opposite", "also"}
    implied: Mapping[str, Mapping[str, float]]
    manner_leads: tuple[str, ...]
    manner_verbs: frozenset[str]
    margin: float
    min_score: float
    unread: float
    weights: Mapping[str, float]


def build_vocabulary(data: Mapping[str, Any]) -> Vocabulary:
    """Compile the catalogue's content (as `posegpt.data.catalogue.load("referring")` returns it)."""
    fillers = frozenset(data["fillers"])
    ordinals = {normalise(word).strip(): value for word, value in data["ordinals"].items()}
    numbers = {normalise(word).strip(): value for word, value in data["numbers"].items()}
    nouns = sorted({normalise(noun, fillers).strip() for noun in data["person_nouns"]} - {""}, key=len, reverse=True)

    def alternation(words: Sequence[str]) -> str:
        return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))

    said_hair = {normalise(word, fillers).strip(): dict(fits) for word, fits in data["hair"]["said"].items()}
    slots = {"who": alternation(nouns), "n": alternation(ordinals), "k": r"\d+|" + alternation(numbers),
             "h": alternation(said_hair)}

    def patterns(phrases: Sequence[str]) -> tuple[re.Pattern[str], ...]:
        return tuple(compile_phrase(phrase, fillers, slots) for phrase in phrases)

    entries: dict[str, tuple[_Entry, ...]] = {
        "group": (_Entry(patterns(data["group"])),),
        "number": (_Entry(patterns(data["number"])),),
    }
    for kind in ("position", "size", "relation"):
        entries[kind] = tuple(_Entry(patterns(e["says"]), means=e["means"]) for e in data[kind])
    for kind in ("posture", "gesture", "facing"):
        entries[kind] = tuple(_Entry(patterns(e["says"]), fits=dict(e["fits"])) for e in data[kind])
    entries["hair"] = tuple(_Entry(patterns(e["says"]), fits=dict(e["fits"])) for e in data["hair"]["alone"])
    clothing = data["clothing"]
    garments = {normalise(word, fillers).strip(): region for region in ("top", "bottom", "whole") for word in clothing[region]}
    shades = {}
    for shade, spec in clothing["shades"].items():
        for word in spec["words"]:
            shades[normalise(word).strip()] = {"shade": shade, **{k: v for k, v in spec.items() if k != "words"}}
    decision = data["decision"]
    return Vocabulary(
        fillers=fillers, ordinals=ordinals, numbers=numbers, entries=entries, hair_said=said_hair,
        hair_frames=patterns(data["hair"]["frames"]), garments=garments,
        colours={normalise(word, fillers).strip(): dict(fits) for word, fits in clothing["colours"].items()},
        shades=shades, implied={normalise(word, fillers).strip(): dict(fits) for word, fits in clothing["implied"].items()},
        manner_leads=tuple(normalise(lead, fillers).strip() for lead in data["manner"]["leads"]),
        manner_verbs=frozenset(data["manner"]["verbs"]), margin=float(decision["margin"]),
        min_score=float(decision["min_score"]), unread=float(decision["unread"]), weights=dict(data["weights"]),
    )


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The packaged vocabulary (`referring.yaml`), read and compiled once per process."""
    from posegpt.data.catalogue import load

    return build_vocabulary(load("referring"))


# ----------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Cue:
    """One piece of evidence in a question: its kind, the words, and each person's fit (0..1)."""

    kind: str
    said: str
    fits: tuple[float, ...]


@dataclass(frozen=True)
class Resolution:
    """The resolver's verdict on one question about one photo's people."""

    scores: tuple[float, ...]  # per person (reading order): weighted sum of the cues' fits
    candidates: tuple[int, ...]  # the people the words fit best; everyone when there is no evidence
    confidence: float  # best score − runner-up's (0 without evidence): how clearly the words decide
    cues: tuple[Cue, ...] = ()
    everyone: bool = False  # the question means several people ("everyone", "both"): nothing is decided
    previous: int | None = None  # the person picked for the previous question, when known

    @property
    def has_evidence(self) -> bool:
        return 0 < len(self.candidates) < len(self.scores)

    @property
    def describes_the_only_person(self) -> bool:
        """The photo holds one person and the question's words fit them ("show me the woman in the
        orange suit" of a photo of one woman in a red-orange suit): nothing to decide, but the
        question is about them."""
        return len(self.scores) == 1 and not self.everyone and any(cue.fits[0] > 0 for cue in self.cues)

    @property
    def pick(self) -> int | None:
        """The one person the words mean, when they single someone out."""
        return self.candidates[0] if len(self.candidates) == 1 and self.has_evidence else None

    def restrict(self, logits: Any) -> Any:
        """The pointer's logits (N,) with everyone but the candidates ruled out (a torch tensor or
        numpy array; returned unchanged without evidence or when the sizes disagree)."""
        if not self.has_evidence or len(logits) != len(self.scores):
            return logits
        keep = [index in self.candidates for index in range(len(self.scores))]
        restricted = logits.clone() if hasattr(logits, "clone") else logits.copy()
        restricted[[not k for k in keep]] = float("-inf")
        return restricted


def _no_evidence(count: int, cues: Sequence[Cue] = (), everyone: bool = False, previous: int | None = None) -> Resolution:
    return Resolution(tuple(0.0 for _ in range(count)), tuple(range(count)), 0.0, tuple(cues), everyone, previous)


# ----------------------------------------------------------------------------------------------
# Reading a question


class _Text:
    """Normalised text whose words can be claimed by one cue (claimed words match nothing more)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def claim(self, patterns: Sequence[re.Pattern[str]]) -> list[tuple[int, re.Match[str]]]:
        """Matches of any of `patterns` (index of the pattern, match), longest first and not
        overlapping, in text order; their words are claimed."""
        found: list[tuple[int, re.Match[str]]] = []
        for index, pattern in enumerate(patterns):
            position = 0
            while (match := pattern.search(self.text, position)) is not None:
                found.append((index, match))
                position = match.end() - 1  # the next match may start at this one's final space
        found.sort(key=lambda item: (-(item[1].end() - item[1].start()), item[1].start()))
        taken: list[tuple[int, re.Match[str]]] = []
        for index, match in found:
            if all(match.end() - 1 <= other.start() or match.start() >= other.end() - 1 for _, other in taken):
                taken.append((index, match))
        for _, match in taken:
            start, end = match.start() + 1, match.end() - 1
            self.text = self.text[:start] + re.sub(r"\S", "~", self.text[start:end]) + self.text[end:]
        return sorted(taken, key=lambda item: item[1].start())

    def words(self) -> list[tuple[int, str]]:
        """(word index, word) of the unclaimed words."""
        return [(i, word) for i, word in enumerate(self.text.split()) if "~" not in word]


def _entry_matches(text: _Text, entries: Sequence[_Entry]) -> list[tuple[_Entry, re.Match[str]]]:
    flat = [(entry, pattern) for entry in entries for pattern in entry.patterns]
    return [(flat[index][0], match) for index, match in text.claim([pattern for _, pattern in flat])]


def _fit(fits: Mapping[str, float], values: Sequence[str]) -> float:
    return max((fits.get(value, 0.0) for value in values), default=0.0)


def _colour_fits(vocab: Vocabulary, shade: str | None, colour: str) -> dict[str, float]:
    """Fits over COLOUR_NAMES of a said colour, with a shade word ("dark", "pale") applied."""
    fits = dict(vocab.colours[colour])
    if shade is None:
        return fits
    spec = vocab.shades[shade]
    opposite = {"dark": "light ", "light": "dark "}.get(spec["shade"], "")
    shaded: dict[str, float] = {}
    for name, weight in fits.items():
        base = name.removeprefix("dark ").removeprefix("light ")
        for candidate, factor in ((f"{spec['shade']} {base}", spec["same"]), (base, spec["plain"]),
                                  (f"{opposite}{base}" if opposite else "", spec["opposite"])):
            if candidate:
                shaded[candidate] = max(shaded.get(candidate, 0.0), weight * factor)
    for name, weight in spec.get("also", {}).items():
        shaded[name] = max(shaded.get(name, 0.0), weight)
    return shaded


def _clothing_cues(text: _Text, vocab: Vocabulary, readings: Sequence[PersonReading]) -> list[Cue]:
    """Colour words, each tied to the nearest garment word (before it within 4 words, or after it
    within 3: "red shirt", "shirt in red"), or to the whole outfit ("the one in red")."""
    words = text.text.split()
    colours: list[tuple[int, int, str | None, str]] = []  # (first word, last word, shade, colour)
    garments: list[tuple[int, int, str]] = []  # (first word, last word, garment)
    i = 0
    longest_colour = max((len(c.split()) for c in vocab.colours), default=1)
    longest_garment = max((len(g.split()) for g in vocab.garments), default=1)
    while i < len(words):
        matched = False
        for size in range(max(longest_colour, longest_garment), 0, -1):
            phrase = " ".join(words[i:i + size])
            if "~" in phrase or len(words[i:i + size]) < size:
                continue
            if phrase in vocab.colours:
                shade = words[i - 1] if i > 0 and words[i - 1] in vocab.shades else None
                colours.append((i - (shade is not None), i + size - 1, shade, phrase))
            elif phrase in vocab.garments:
                garments.append((i, i + size - 1, phrase))
            else:
                continue
            i, matched = i + size, True
            break
        if not matched:
            i += 1
    cues: list[Cue] = []
    used_garments: set[int] = set()

    def region_fit(fits: Mapping[str, float], region: str, reading: PersonReading) -> float:
        values = {"top": [reading.top], "bottom": [reading.bottom], "whole": [reading.top, reading.bottom],
                  "any": [reading.top, reading.bottom]}[region]
        seen = [value for value in values if value not in ("unknown", "unseen", "")]
        if not seen:
            return vocab.unread
        best = _fit(fits, seen)
        if region != "bottom" and reading.top_accent:  # "the red jacket" of a navy jacket with red shoulders
            best = max(best, ACCENT_FIT * fits.get(reading.top_accent, 0.0))
        return best * (0.9 if region == "any" else 1.0)

    for first, last, shade, colour in colours:
        after = [g for g, (start, _, _) in enumerate(garments) if 0 < start - last <= 4
                 and not any(first < other_start < start for other_start, _, _, _ in colours if other_start != first)]
        before = [g for g, (_, end, _) in enumerate(garments) if 0 < first - end <= 3]
        chosen = after[0] if after else (before[-1] if before else None)
        region = vocab.garments[garments[chosen][2]] if chosen is not None else "any"
        if chosen is not None:
            used_garments.add(chosen)
        fits = _colour_fits(vocab, shade, colour)
        said = " ".join(words[first:last + 1]) + (f" {garments[chosen][2]}" if chosen is not None else "")
        cues.append(Cue("clothing", said, tuple(region_fit(fits, region, r) for r in readings)))
    for g, (_, _, garment) in enumerate(garments):
        if g not in used_garments and garment in vocab.implied:
            cues.append(Cue("clothing", garment, tuple(region_fit(vocab.implied[garment], vocab.garments[garment], r)
                                                       for r in readings)))
    return cues


def _heights(readings: Sequence[PersonReading]) -> list[float]:
    """Each person's height ÷ the tallest's (from the feature vector; from the size word when the
    vector has no box, as in hand-made readings)."""
    heights = []
    for reading in readings:
        features = reading.features
        if getattr(features, "shape", (0,))[0] > HEIGHT_RATIO_INDEX:
            heights.append(max(1e-3, float(features[HEIGHT_RATIO_INDEX])))
        else:
            heights.append({"tall": 1.0, "small": 0.5}.get(reading.size, 0.8))
    return heights


def _computed(means: str, count: int, match: re.Match[str], vocab: Vocabulary,
              readings: Sequence[PersonReading]) -> tuple[float, ...] | None:
    """Fits of a position or size cue (None: the cue says nothing about this many people)."""
    last = count - 1
    if means == "left":
        return tuple(1 - i / last for i in range(count)) if count > 1 else None
    if means == "right":
        return tuple(i / last for i in range(count)) if count > 1 else None
    if means == "middle":
        if count < 3:
            return None
        centre = last / 2
        return tuple(1 - abs(i - centre) / centre for i in range(count))
    if means in ("nth_from_left", "nth_from_right"):
        nth = vocab.ordinals.get(match.group("n").strip(), 0) - 1
        if not 0 <= nth < count:
            return None
        target = nth if means == "nth_from_left" else last - nth
        return tuple(1.0 if i == target else (0.3 if abs(i - target) == 1 else 0.0) for i in range(count))
    heights = _heights(readings)
    if means == "biggest":
        return tuple((h / max(heights)) ** SIZE_POWER for h in heights)
    if means == "smallest":
        return tuple((min(heights) / h) ** SIZE_POWER for h in heights)
    return None


def _manner(text: str, match: re.Match[str], vocab: Vocabulary) -> bool:
    """Is this posture word how someone is ("how is the man in red sitting"), not who?"""
    before = text[:match.start() + 1].split()
    return bool(before) and before[-1] in vocab.manner_verbs and any(f" {lead} " in f" {' '.join(before)} "
                                                                      for lead in vocab.manner_leads)


def resolve(question: str, readings: Sequence[PersonReading], previous: int | None = None,
            vocab: Vocabulary | None = None) -> Resolution:
    """Score every person (reading order) by how well `question`'s words fit their reading.

    `previous`: the person (0-based) picked for the conversation's previous question about this
    photo, for follow-ups ("the other one", "the one next to her", "she"). Never raises on odd
    text; a question with no usable words gives everyone as candidates (no evidence)."""
    vocab = vocab or vocabulary()
    count = len(readings)
    if previous is not None and not 0 <= previous < count:
        previous = None
    if count == 0:
        return _no_evidence(0)
    raw = normalise(question)
    text = _Text(normalise(question, vocab.fillers))
    cues: list[Cue] = []
    relations: list[tuple[str, str]] = []  # (means, said)
    everyone = False
    for kind in CUE_ORDER:
        if kind == "number":
            for entry, match in _entry_matches(text, vocab.entries["number"]):
                said = match.group("k").strip()
                number = int(said) if said.isdigit() else vocab.numbers.get(said, 0)
                if 1 <= number <= count:
                    cues.append(Cue("number", match.group(0).strip(), tuple(float(i == number - 1) for i in range(count))))
        elif kind == "relation":
            relations = [(entry.means, match.group(0).strip()) for entry, match in _entry_matches(text, vocab.entries["relation"])]
        elif kind == "hair":
            for match in (m for _, m in text.claim(vocab.hair_frames)):
                fits = vocab.hair_said[match.group("h").strip()]
                cues.append(Cue("hair", match.group(0).strip(), tuple(fits.get(r.hair, 0.0) if r.hair else vocab.unread
                                                                        for r in readings)))
            for entry, match in _entry_matches(text, vocab.entries["hair"]):
                cues.append(Cue("hair", match.group(0).strip(), tuple(entry.fits.get(r.hair, 0.0) if r.hair else vocab.unread
                                                                        for r in readings)))
        elif kind == "clothing":
            cues.extend(_clothing_cues(text, vocab, readings))
        elif kind in ("posture", "gesture", "facing"):
            before = text.text
            for entry, match in _entry_matches(text, vocab.entries[kind]):
                if kind == "posture" and _manner(before, match, vocab):
                    continue
                values = {"posture": lambda r: [r.posture], "gesture": lambda r: list(r.gesture_words),
                          "facing": lambda r: [r.facing]}[kind]
                cues.append(Cue(kind, match.group(0).strip(), tuple(_fit(entry.fits, values(r)) for r in readings)))
        elif kind in ("position", "size"):
            for entry, match in _entry_matches(text, vocab.entries[kind]):
                fits = _computed(entry.means, count, match, vocab, readings)
                if fits is not None:
                    cues.append(Cue(kind, match.group(0).strip(), fits))
        elif kind == "group":
            everyone = bool(_entry_matches(text, vocab.entries["group"]))
    if everyone or count == 1:
        return _no_evidence(count, cues, everyone, previous)

    def total(of: Sequence[Cue]) -> list[float]:
        return [sum(vocab.weights[c.kind] * c.fits[i] for c in of) for i in range(count)]

    anchor_kinds = {"next_to", "left_of", "right_of"}
    said_relations = [means for means, _ in relations]
    if anchor_kinds & set(said_relations):
        # "the one next to the man in red": the description names the anchor, the relation the
        # target; "and the woman in black next to him?": the anchor is the previous person and the
        # description is of the one meant.
        means, said = next((m, w) for m, w in relations if m in anchor_kinds)
        to_previous = previous is not None and (not cues or bool({"he", "she", "they"} & set(said.split())) or re.search(
            rf" {re.escape(said)} (him|her|them|he|she|they|that {_NOUN}|this {_NOUN}) ", raw) is not None)
        anchor = previous if to_previous else None
        if not to_previous and cues:
            described = _decide(total(cues), vocab, count, cues, previous)
            anchor = described.pick if described.pick is not None else (previous if described.has_evidence is False else None)
        if anchor is None:
            return _no_evidence(count, cues, False, previous)
        fits = _next_to(anchor, readings) if means == "next_to" else tuple(
            float(i == anchor - 1) + 0.5 * float(i < anchor - 1) if means == "left_of" else
            float(i == anchor + 1) + 0.5 * float(i > anchor + 1) for i in range(count))
        relation = Cue("relation", means, fits)
        cues = [*cues, relation] if to_previous or anchor == previous else [relation]
    elif previous is not None and "other" in said_relations:
        cues.append(Cue("relation", "other", tuple(float(i != previous) for i in range(count))))
    elif previous is not None and not cues and ("same" in said_relations or PRONOUNS & set(raw.split())):
        cues.append(Cue("relation", "same", tuple(float(i == previous) for i in range(count))))
    return _decide(total(cues), vocab, count, cues, previous)


def _boxes(readings: Sequence[PersonReading]) -> list[tuple[float, float, float, float]] | None:
    """(centre x ÷ W, feet y ÷ H, width ÷ W, height ÷ H) per person, from the feature vectors
    (None when a reading has no box, as some hand-made readings)."""
    start = HEIGHT_RATIO_INDEX - 4
    boxes = []
    for reading in readings:
        features = reading.features
        if getattr(features, "shape", (0,))[0] <= HEIGHT_RATIO_INDEX:
            return None
        cx, cy, w, h = (float(v) for v in features[start:start + 4])
        if not (w > 0 and h > 0):
            return None
        boxes.append((cx, cy + h / 2, w, h))
    return boxes


def _next_to(anchor: int, readings: Sequence[PersonReading]) -> tuple[float, ...]:
    """Fit of "next to person `anchor`" for everyone: 1 for the nearest other person, less the
    farther one stands — sideways (in body widths), in depth (a different size in the picture:
    the person far behind is not beside them, however close in the picture) and by the feet.
    Without boxes: the neighbours in left-to-right order."""
    boxes = _boxes(readings)
    count = len(readings)
    if boxes is None:
        return tuple(float(abs(i - anchor) == 1) for i in range(count))
    ax, af, aw, ah = boxes[anchor]
    distances = [math.inf if i == anchor else
                 abs(x - ax) / ((w + aw) / 2) + NEAR_DEPTH * abs(math.log(h / ah)) + NEAR_FEET * abs(f - af) / ((h + ah) / 2)
                 for i, (x, f, w, h) in enumerate(boxes)]
    nearest = min(distances)
    return tuple(0.0 if i == anchor else math.exp(nearest - d) for i, d in enumerate(distances))


def _decide(scores: Sequence[float], vocab: Vocabulary, count: int, cues: Sequence[Cue], previous: int | None) -> Resolution:
    best = max(scores) if scores else 0.0
    if not cues or best < vocab.min_score:
        return Resolution(tuple(scores), tuple(range(count)), 0.0, tuple(cues), False, previous)
    candidates = tuple(i for i, score in enumerate(scores) if score >= best - vocab.margin)
    runner_up = max((score for i, score in enumerate(scores) if i != scores.index(best)), default=0.0)
    return Resolution(tuple(scores), candidates, round(best - runner_up, 6), tuple(cues), False, previous)


def resolve_conversation(messages: Sequence[tuple[str, str]], readings: Sequence[PersonReading],
                         vocab: Vocabulary | None = None) -> Resolution:
    """Resolve the last user message of a conversation about one photo.

    `messages`: (role, content) in order, ending with the user's question. The earlier user
    questions are resolved in turn to know whom the previous question meant: the resolver's own
    pick where its words decided, else the person the assistant's reply named ("Person 2 …"),
    else the one before stays. Text that is not a conversation gives no evidence, never an error."""
    try:
        turns = [(str(role), str(content)) for role, content in messages]
    except (TypeError, ValueError):
        return _no_evidence(len(readings))
    if not turns or turns[-1][0] != "user":
        return _no_evidence(len(readings))
    vocab = vocab or vocabulary()
    previous: int | None = None
    for index, (role, content) in enumerate(turns[:-1]):
        if role != "user":
            continue
        earlier = resolve(_without_prompt(content), readings, previous, vocab)
        reply = next((c for r, c in turns[index + 1:-1] if r == "assistant"), "")
        named = _NAMED.search(reply)
        if earlier.pick is not None:
            previous = earlier.pick
        elif named is not None and 1 <= int(named.group(1)) <= len(readings):
            previous = int(named.group(1)) - 1
    return resolve(_without_prompt(turns[-1][1]), readings, previous, vocab)


def _without_prompt(content: str) -> str:
    """A user message without a people block the engine may have put in front of it."""
    return "\n".join(line for line in content.splitlines() if not _PROMPT_LINE.match(line.strip()))


__all__ = ["Cue", "Resolution", "Vocabulary", "build_vocabulary", "compile_phrase", "normalise", "resolve",
           "resolve_conversation", "vocabulary"]
