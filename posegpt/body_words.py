"""Which of a few poses does what a request's body words say ("left elbow bent, right arm forward").

Why: the pose bank answers a request with the pose of its nearest training request by sentence
embedding, and for a request that spells out a body the right pose is nearly always among the
nearest 32 (on the generated held-out explicit prompts, a pose passing every check is there for
95 %), but seldom first (62 %): the encoder weighs a whole request at once and hears "left elbow
bent, right arm forward" and "right elbow bent, left arm forward" as the same words. Each pose
can say what it does, though: its posecodes (`posegpt.data.captioner`), each in several wordings.
So the request is cut into clauses, each clause is compared with the wordings of each pose's
posecodes, and a pose scores the sum over the clauses of its best match: the pose whose facts
cover most of what was said wins.

- A clause that no pose's facts match well (similarity < `BODY_CLAUSE`: "Create a pose from this
  description", "a sprinter who just won") says nothing about a body and is not counted; a
  request with no such clause gets no scores (`scores` → None), so situations keep the bank's
  order.
- The encoder is side-blind, the words are not: a clause that names one side ("my LEFT elbow")
  matches the other side's facts less by `OTHER_SIDE_PENALTY` — but for the posture, whose side
  is the leg or knee the body rests on ("kick your RIGHT leg forward" is done balancing on the
  left one).
- It hears "arms" and "right arm" alike too: a clause naming a pair without a side ("put your arms
  out in front", `posegpt.sides.says_both_sides`) matches a fact of one side less by `ONE_SIDE_PENALTY`.
- It hears directions alike too ("stretch both arms UP" ≈ "arms stretched FORWARD", "lean way
  BACK" ≈ "leaning forward", "arms down BY YOUR SIDES" ≈ "arms out to the SIDES"): a clause
  matches a wording that says a conflicting direction (catalogues/directions.yaml; "at your
  sides" is an idiom that says down) less by `DIRECTION_PENALTY`.
- It hears limbs alike too ("your legs out straight in front" ≈ "arms out in front"): a clause
  naming an arm's or a leg's part matches a wording that names only the other limb's parts less
  by `OTHER_LIMB_PENALTY`.
- It hears a limb and its joint alike too ("left arm pointing up" ≈ "left elbow pointing up", an
  upper arm raised with the forearm bent): a clause saying where a limb's part points matches a
  wording saying where a joint points (catalogues/directions.yaml `joints`) less by
  `JOINT_DIRECTION_PENALTY`.

- A clause that says what not to do ("don't stand up", "without bending your knees") asks for
  nothing and is not counted (`said_clauses`): the encoder hears it near what it forbids.
- Not every clause near a fact says a body. One that is a library pose's name none of whose
  own facts match it ("chair pose": a crouch, not "sitting on a chair") is that name, and one that
  only names a part ("your left hand", from "wave with your left hand") says nothing it does.
- A body lying on the floor (or holding a plank) that no clause asks for scores
  `FLOOR_UNASKED_PENALTY` less: "arms out to the sides" is seldom asked of someone lying down.
  One otherwise off its feet (sitting, kneeling, squatting) scores `OFF_FEET_UNASKED_PENALTY` less
  when the words say only what the body does: "lift your right knee" asks it of a standing body;
  so does a body on its feet leaning back (`BACK_LEAN_UNASKED_PENALTY`: "just stand normally").
- The facts are said in the captioner's words and in everyday ones (catalogues/everyday_words.yaml:
  "hands in the air", "legs apart"), which the encoder hears apart from the captioner's.

Measured (`eval text2pose`, `eval natural`, the model card): chosen from the bank's nearest 64
distinct poses by these scores plus the bank's similarity (`model.BANK_SIMILARITY_WEIGHT`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Collection

import torch

from posegpt.data.captioner import Posecode, posecode_fact, posecode_phrases, stated_posecodes
from posegpt.data.catalogue import load
from posegpt.pose import Pose
from posegpt.retrieval import TextEmbedder
from posegpt.sides import part_groups, says_both_sides

# A clause is about the body when some pose's fact matches it at least this well (MiniLM cosine;
# measured: 0.4-0.7 alike on explicit prompts; below 0.6 situations' words start to count).
BODY_CLAUSE = 0.6
# How much less a clause naming one side matches a fact of the other side (cosine units; 0.2-0.4 alike).
OTHER_SIDE_PENALTY = 0.3
# How much less a clause naming a pair without a side ("your arms", "bend your knees") matches a
# fact of one side (cosine units): the encoder hears "put your arms out in front" 0.83 near "right
# arm stretched forward", 0.92 near "both arms pointing forward" (0.1-0.3 alike on hand-written requests).
ONE_SIDE_PENALTY = 0.2
# How much less a clause naming one side matches a posture that says no side: "stand on your right
# foot" was 0.73 near "standing" and 0.82 near "standing on the right leg", and the bank's plain
# standing step (its request nearer the words) came first.
SIDELESS_POSTURE_PENALTY = 0.1
# How much less a pose scores that lies on the floor (or holds a plank) when no clause asks for that
# posture (none matches it `BODY_CLAUSE` or more): "legs wide apart and arms up in a V" was a snow
# angel, "stick your arms straight out to the sides" a body face down, because the bank's nearest
# requests were those (0.1: +1 of 385 hand-written requests, generated prompts alike; 0.2 lost one).
FLOOR_UNASKED_PENALTY = 0.1
# The captioner's postures (captioner.yaml `postures`) of a body on the floor or held level above it.
FLOOR_POSTURES = ("lying_back", "lying_stomach", "lying_side", "horizontal_face_down", "horizontal_face_up")
# How much less a pose scores whose body is off its feet but not on the floor (sitting, kneeling,
# squatting, on all fours ...) when no clause asks for that posture and every clause is body words:
# words that say only what the limbs do ask for a standing body ("lift your right knee" was a body
# sitting on the floor hugging it, "step your left foot forward into a lunge" a knee on the floor:
# the bank's nearest requests were those). Words that also say who or where ("a seated crafter
# with forearms forward") are left alone: the encoder hears "seated" in them 0.53 near "seated".
# (0.1: 7 first poses of 209 hand-written requests and follow-ups stand up, no check lost; none of
# the 600 generated prompts changes, bank alone.)
OFF_FEET_UNASKED_PENALTY = 0.1
# How much less a body on its feet scores whose trunk leans or arches back (`BACK_LEANS`) when no
# clause asks for that and every clause is body words: "just stand normally" was a body leaning
# back with the head down (the whole body tilted at the pelvis: 0.015 from "stand" by
# `model.plain_distance`). Leaning forward is left alone: "hands on your knees" asks it without
# saying so (on every trunk fact at 0.1 that request knelt, and "sit on the floor hugging your
# knees to your chest" lost a check; back leans of a body on its feet only: +1 of 209 hand-written
# requests and follow-ups, none lost, none of the 600 generated prompts changed, bank alone).
BACK_LEAN_UNASKED_PENALTY = 0.1
# The captioner's trunk facts (captioner.yaml clauses `torso`) of a trunk leaning or arched back.
BACK_LEANS = frozenset({"leaning_back", "arched_back"})
TRUNK_TOPIC = "torso"
# The captioner's postures of a body on its feet.
ON_FEET_POSTURES = ("standing", "standing_one_leg")
# How much less a clause matches a wording that says a direction conflicting with its own (cosine units).
DIRECTION_PENALTY = 0.2
# How much less a clause that names a part of an arm or a leg (catalogues/sides.yaml groups) matches
# a wording that names parts of the other limb only (cosine units): the encoder heard "your legs out
# straight in front" 0.68 near "arms out in front" and 0.69 near "legs stretched straight out in
# front", and "sit down with your legs out straight in front" sat on a chair with the arms forward.
OTHER_LIMB_PENALTY = 0.2
# How much less a clause that says up or down (`VERTICAL`) matches a wording that says neither
# (cosine units): the encoder heard "stick both hands straight up in the air" 0.80 near "put both
# hands on face" and 0.75 near "hold both hands at shoulder height", 0.74 near "lift both hands
# over head". Other groups are left out: on "together" / "front" it lost "put your palms together in
# front of your chest" (0.05 on every group: +1 -2 of 153 hand-written requests; up and down
# only: +2 of 162, generated explicit prompts 87.5 → 87.4 %, bank alone). Forward, back or to the
# side count against a wording that says only how a part bends (`unsaid_direction`); against one
# that says no direction at all they lost that request again and a lunge (session 45).
UNSAID_DIRECTION_PENALTY = 0.05
# The direction group that says a part is held level, at shoulder height (catalogues/directions.yaml):
# words that say it name where a raised or lowered part ends, so the moving words say nothing.
LEVEL = "level"
# How much less a clause saying where a limb's part points ("left arm pointing up") matches a
# wording saying where a joint points ("left elbow pointing up": the upper arm raised, the forearm
# bent; `joint_directed`), which it matched 0.80 against 0.74 for "left arm pointing up at the sky".
JOINT_DIRECTION_PENALTY = 0.1
# The direction groups that say where a part points.
PLACES = frozenset({"up", "down", "forward", "back", "side"})
# The direction groups (catalogues/directions.yaml) a wording must say too when the clause says them.
VERTICAL = frozenset({"up", "down"})
# The groups that say which way a part points across the floor, and those that say only how it
# bends: a clause saying the one matches a wording saying only the other less ("both arms straight
# forward" matched "both arms straight", the elbows' fact, 0.90, "arms stretched forward" 0.88).
ACROSS = frozenset({"forward", "back", "side"})
BENDS = frozenset({"bent", "straight"})
# A clause at least this near a library pose's name (MiniLM cosine) is that name, not body words,
# when none of the named pose's own facts matches it as body words (< BODY_CLAUSE): "chair pose"
# is a crouch with the arms up (its facts 0.48), not "sitting on a chair"; "your hands on your
# hips" does what it says (0.9; at "less than the name", 0.91, it had counted as a name).
NAME_CLAUSE = 0.9
# The posecode topic of the body's posture (standing, balancing on one leg, kneeling on one knee ...).
POSTURE_TOPIC = "posture"
# The facts that say the whole body, not a limb: its posture and how its trunk bends or leans.
WHOLE_BODY_TOPICS = frozenset({POSTURE_TOPIC, "torso", "torso_side"})
# The facts that say how the trunk bends or leans.
TRUNK_TOPICS = WHOLE_BODY_TOPICS - {POSTURE_TOPIC}
# Clauses end at punctuation and at the words that join facts in a description; one also ends
# before "without", which opens a clause that says what not to do (`negated`).
_CLAUSE_BREAK = re.compile(r"[.;:!?,()\n]|\b(?:and|with|while|then|but)\b|(?=\bwithout\b)", re.IGNORECASE)
# The breaks after which a piece that only names a part stays with the clause before it.
_JOINING = frozenset({"with", "and"})
_OTHER_SIDE = {"left": "right", "right": "left"}
_WORD = re.compile(r"[a-z]+")


def clauses(text: str) -> list[str]:
    """The request's clauses: "Stand, left arm up and right knee bent" → ["Stand", "left arm up",
    "right knee bent"] (pieces of fewer than 3 characters dropped). A piece after "with" or "and"
    that only names a part stays with the clause whose part it names: "kick forward with your right
    leg" is one clause (cut in two, the kick lost its side and a kick with the left leg matched it
    as well), so is "scrubbing the floor on hands and knees" (cut, "on hands" matched hands on the
    feet of a body folded standing, and "knees" said nothing)."""
    pieces: list[str] = []
    start, joining = 0, ""
    for cut in [*_CLAUSE_BREAK.finditer(text), None]:
        piece = text[start:None if cut is None else cut.start()].strip()
        if joining and pieces and names_a_part(piece):
            pieces[-1] = f"{pieces[-1]} {joining} {piece}"
        elif len(piece) > 2:
            pieces.append(piece)
        if cut is not None:
            start, joining = cut.end(), cut.group(0).lower() if cut.group(0).lower() in _JOINING else ""
    return pieces


@dataclass(frozen=True)
class _DirectionWords:
    groups: dict[str, frozenset[str]]  # group → its words
    conflicts: frozenset[tuple[str, str]]  # both ways
    idioms: list[tuple[re.Pattern[str], tuple[str, ...]]]  # phrase → the groups it says, in file order
    moving: frozenset[str]  # words that say which way a part moves, not where it ends
    joints: frozenset[str]  # parts whose direction is not their limb's ("elbow")


@lru_cache(maxsize=1)
def _direction_words() -> _DirectionWords:
    table = load("directions")
    idioms = [(re.compile(r"\b" + re.escape(phrase) + r"\b"), groups) for phrase, groups in table["idioms"].items()]
    return _DirectionWords({group: frozenset(words) for group, words in table["groups"].items()},
                           frozenset(table["conflicts"]), idioms, frozenset(table["moving"]), frozenset(table["joints"]))


def directions(text: str) -> frozenset[str]:
    """The direction groups (catalogues/directions.yaml) whose words `text` says; an idiom's
    words ("at your sides") say its groups alone, and words that name a height a part is held level
    at (`LEVEL`: "at shoulder height") leave the moving words ("lift", "lower") saying nothing:
    "lift your right arm out to the side at shoulder height" is level, not up (as up it matched
    "raise right arm up and out to the side" better than the arm held out level)."""
    table = _direction_words()
    lowered = " ".join(_WORD.findall(text.lower()))
    said: set[str] = set()
    for pattern, groups in table.idioms:
        if pattern.search(lowered):
            said.update(groups)
            lowered = pattern.sub(" ", lowered)
    found = set(lowered.split())
    if LEVEL in said or found & table.groups.get(LEVEL, frozenset()):
        found -= table.moving
    return frozenset(said | {group for group, words in table.groups.items() if found & words})


def unsaid_direction(asked: frozenset[str], said: frozenset[str]) -> bool:
    """Whether a wording saying the directions `said` leaves out where a clause saying `asked`
    puts a part: the clause says up or down and the wording neither, or the clause says which way
    across (`ACROSS`) and the wording only how a part bends (`BENDS`)."""
    return bool(asked & VERTICAL and not asked & said & VERTICAL) or bool(asked & ACROSS and said and said <= BENDS)


def joint_directed(text: str) -> bool:
    """Whether `text` names a joint (catalogues/directions.yaml `joints`: "elbow") and says where a
    part points (`PLACES`): "left elbow pointing up" says where the elbow points, not the arm."""
    words = set(_WORD.findall(text.lower()))
    return bool(words & _direction_words().joints) and bool(directions(text) & PLACES)


def limb_directed(text: str) -> bool:
    """Whether `text` says where a part other than a joint points ("left arm pointing up",
    `joint_directed`): it names a limb's part, no joint, and says a place (`PLACES`)."""
    words = set(_WORD.findall(text.lower()))
    return bool(limbs(text)) and not words & _direction_words().joints and bool(directions(text) & PLACES)


def direction_words(groups: Collection[str]) -> frozenset[str]:
    """The words of catalogues/directions.yaml's `groups` ("up" → "up", "overhead", ...)."""
    return frozenset().union(*(words for group, words in _direction_words().groups.items() if group in groups))


def conflicting(asked: frozenset[str], said: frozenset[str]) -> bool:
    """Whether words saying the directions `said` contradict words saying `asked`: one says a
    group the other's conflicts with, and neither says the other's group too."""
    conflicts = _direction_words().conflicts
    return any((a, b) in conflicts and a not in said and b not in asked for a in asked for b in said)


@lru_cache(maxsize=1)
def _part_words() -> frozenset[str]:
    """Words that name a body part or say whose and which one (catalogues/sides.yaml) and no more."""
    table = load("sides")
    parts = {word for group in table["groups"].values() for word in group["parts"]}
    return frozenset(parts | set(table["determiners"]) | {"left", "right", "both", "a", "an"})


@lru_cache(maxsize=1)
def _negations() -> frozenset[str]:
    return frozenset(load("asked_edits")["negations"])


def negated(clause: str) -> bool:
    """Whether the clause says what not to do: it opens with a negation (catalogues/asked_edits.yaml
    `negations`: "don't stand up", "without bending your knees") or with "do not"."""
    words = _WORD.findall(clause.lower())
    return bool(words) and (words[0] in _negations() or words[:2] == ["do", "not"])


def said_clauses(text: str) -> list[str]:
    """The request's `clauses` that say what to do: without the `negated` ones. Why: the sentence
    encoder hears "don't stand up" 0.73 near "Now stand up.", so matched as they are, such clauses
    ask for what they forbid."""
    return [piece for piece in clauses(text) if not negated(piece)]


def limbs(text: str) -> frozenset[str]:
    """The limbs (catalogues/sides.yaml groups: "arm", "leg") whose parts `text` names: "hands on
    your knees" → arm and leg, "bend over" → none."""
    groups = part_groups()
    return frozenset(groups[word] for word in _WORD.findall(text.lower()) if word in groups)


def names_a_part(clause: str) -> bool:
    """Whether the clause only names a part ("your left hand", cut from "wave with your left hand"):
    it says which part, not what it does, so it is not a body word to match facts with."""
    words = _WORD.findall(clause.lower())
    return bool(words) and set(words) <= _part_words()


def named_side(clause: str) -> str | None:
    """"left" or "right" when the clause names that side alone, else None."""
    words = set(_WORD.findall(clause.lower()))
    left, right = "left" in words, "right" in words
    return "left" if left and not right else "right" if right and not left else None


def _side_penalty(code: Posecode, side: str | None, pair: bool, worded: str | None = None) -> float:
    """How much less a clause naming `side` (or a `pair` without a side) matches the fact `code`:
    `OTHER_SIDE_PENALTY` for the other side's fact, `ONE_SIDE_PENALTY` for one side's fact when
    the clause asks both. A posture's side is the one the body rests on ("balancing on the left
    leg" when the RIGHT leg kicks): the poses were turned to the named sides with that in mind
    (`posegpt.sides`), so a posture is not penalised for its side, only `SIDELESS_POSTURE_PENALTY`
    for saying none when the clause names one ("stand on your right foot" is not just "standing").
    A wording of a one-sided fact that names the other side (`worded`: "left leg back" for the
    right foot forward) is of that side."""
    if code.topic == POSTURE_TOPIC:
        return SIDELESS_POSTURE_PENALTY if side is not None and code.side is None else 0.0
    code_side = worded if worded is not None and code.side in _OTHER_SIDE else code.side
    if side is not None and code_side == _OTHER_SIDE[side]:
        return OTHER_SIDE_PENALTY
    return ONE_SIDE_PENALTY if pair and code_side in _OTHER_SIDE else 0.0


class BodyWords:
    """Scores poses by how much of a request's body words their posecodes cover. The wordings of
    each posecode are embedded once and kept (a few hundred codes in all)."""

    def __init__(self, encoder: TextEmbedder) -> None:
        self.encoder = encoder
        # code → its wordings' (P, D) unit rows, the direction groups and the limbs each says,
        # whether each says where a joint points, and the side each names
        self._phrases: dict[tuple[str, str, str | None],
                            tuple[torch.Tensor, list[frozenset[str]], list[frozenset[str]], torch.Tensor, list[str | None]]] = {}
        self._names: tuple[torch.Tensor, list[list[Posecode]]] | None = None  # see `_pose_names`

    def _pose_names(self) -> tuple[torch.Tensor, list[list[Posecode]]]:
        """(N, D) unit rows of the N names of the library's poses ("chair pose", "a T-pose") and per
        name the facts its pose states (made once)."""
        if self._names is None:
            from posegpt.data import captioner  # its own stated_posecodes: a test may stand in for the one above
            from posegpt.data.catalogue import pose_library
            from posegpt.data.named_poses import named_pose

            library = [entry for entry in pose_library().values() if entry.names]
            poses = Pose.from_rotation_matrices(torch.cat([named_pose(entry.name).rotation_matrices() for entry in library]))
            codes = captioner.stated_posecodes(poses)
            texts = [text for entry in library for text in entry.names]
            per_name = [codes[index] for index, entry in enumerate(library) for _ in entry.names]
            self._names = torch.from_numpy(self.encoder.encode(texts)), per_name  # (N, D), N lists
        return self._names

    def _code_wordings(self, code: Posecode) -> tuple[torch.Tensor, list[frozenset[str]], list[frozenset[str]], torch.Tensor, list[str | None]]:
        key = posecode_fact(code)
        if key not in self._phrases:
            wordings = list(posecode_phrases(code))
            self._phrases[key] = (torch.from_numpy(self.encoder.encode(wordings)),  # (P, D)
                                  [directions(w) for w in wordings], [limbs(w) for w in wordings],  # P sets, P sets
                                  torch.tensor([joint_directed(w) for w in wordings]),  # (P,)
                                  [named_side(w) for w in wordings])  # P sides or None
        return self._phrases[key]

    def scores(self, text: str, poses: Pose) -> torch.Tensor | None:
        """(K,) for K poses: the sum over the request's body clauses of each pose's best-matching
        fact (`matches`), less `FLOOR_UNASKED_PENALTY` for a pose on the floor no clause asks
        for, `OFF_FEET_UNASKED_PENALTY` for one otherwise off its feet and
        `BACK_LEAN_UNASKED_PENALTY` for one standing and leaning back that words saying only the
        body do not ask for; None when no clause of `text` is about the body."""
        judged = self._judged(text, poses)
        if judged is None:
            return None
        match, unasked = judged
        return match.sum(1) - unasked

    def matches(self, text: str, poses: Pose, topics: frozenset[str] | None = None) -> torch.Tensor | None:
        """(K, C) for K poses and the C clauses of `text` that some pose's fact matches at least
        `BODY_CLAUSE`: each pose's best-matching fact per clause (the cosine of its best wording,
        less `DIRECTION_PENALTY` for a wording that says a conflicting direction, less
        `UNSAID_DIRECTION_PENALTY` for one that leaves out where the clause puts a part
        (`unsaid_direction`), less `JOINT_DIRECTION_PENALTY` for one saying where a joint points
        when the clause says where a limb's part points (`joint_directed`), less
        `OTHER_LIMB_PENALTY` for one naming only the other limb's parts than the clause names
        (`limbs`), less `OTHER_SIDE_PENALTY` for a fact (or a wording of it) on the side the clause
        does not name, less `ONE_SIDE_PENALTY` for a fact of one side when it names a pair); None when no clause
        of `text` is about the body. With `topics`, only the facts of those topics count
        (`WHOLE_BODY_TOPICS`: does a clause ask for the body's posture or its trunk?)."""
        judged = self._judged(text, poses, topics)
        return None if judged is None else judged[0]

    def _judged(self, text: str, poses: Pose, topics: frozenset[str] | None = None) -> tuple[torch.Tensor, torch.Tensor] | None:
        """`matches` and (K,) each pose's penalty for a posture no clause of `text` matches
        `BODY_CLAUSE` or more: `FLOOR_UNASKED_PENALTY` for one of `FLOOR_POSTURES`,
        `OFF_FEET_UNASKED_PENALTY` for another off the feet when every clause is about the body,
        and for a body on its feet `BACK_LEAN_UNASKED_PENALTY` when every clause is about the body
        and none matches its trunk's lean back so; None when no clause is about the body."""
        pieces = said_clauses(text)
        if not pieces or len(poses) == 0:
            return None
        clause_vectors = torch.from_numpy(self.encoder.encode(pieces))  # (C, D)
        sides = [named_side(piece) for piece in pieces]
        pairs = [says_both_sides(piece) for piece in pieces]
        asked = [directions(piece) for piece in pieces]
        asked_limbs = [limbs(piece) for piece in pieces]
        limb_placed = torch.tensor([limb_directed(piece) for piece in pieces])  # (C,)
        code_match: dict[tuple[str, str, str | None], torch.Tensor] = {}  # code → (C,): poses share most codes

        def matched(code: Posecode) -> torch.Tensor:
            key = posecode_fact(code)
            if key not in code_match:
                vectors, said, said_limbs, joint_placed, worded = self._code_wordings(code)  # (P, D), P sets, P sets, (P,), P
                contradicts = torch.tensor([[conflicting(wanted, stated) for stated in said] for wanted in asked])  # (C, P)
                unsaid = torch.tensor([[unsaid_direction(wanted, stated) for stated in said] for wanted in asked])  # (C, P)
                other_limb = torch.tensor([[bool(wanted and named and not wanted & named) for named in said_limbs]
                                           for wanted in asked_limbs])  # (C, P)
                penalty = torch.tensor([[_side_penalty(code, side, pair, named) for named in worded]
                                        for side, pair in zip(sides, pairs)])  # (C, P)
                code_match[key] = (clause_vectors @ vectors.T - DIRECTION_PENALTY * contradicts.float()
                                   - UNSAID_DIRECTION_PENALTY * (unsaid & ~contradicts).float()
                                   - OTHER_LIMB_PENALTY * other_limb.float()
                                   - JOINT_DIRECTION_PENALTY * (limb_placed[:, None] & joint_placed[None]).float()
                                   - penalty).max(1).values  # (C,)
            return code_match[key]

        stated = stated_posecodes(poses)
        if topics is not None:
            stated = [[code for code in codes if code.topic in topics] for codes in stated]
        none = torch.full((len(pieces),), -1.0)  # (C,) for a pose with no fact of the topics
        matches = [torch.stack([matched(code) for code in codes]).max(0).values if codes else none for codes in stated]  # K × (C,)
        match = torch.stack(matches)  # (K, C)
        bare = torch.tensor([names_a_part(piece) for piece in pieces])  # (C,)
        about_body = (match.max(0).values >= BODY_CLAUSE) & ~bare & ~self._names_a_pose(clause_vectors, matched)  # (C,)
        if not bool(about_body.any()):
            return None
        only_body = bool((about_body | bare).all())  # no clause says who or where ("a seated crafter")

        def unasked(codes: list[Posecode]) -> float:
            posture = next((code for code in codes if code.topic == POSTURE_TOPIC), None)
            if posture is None:
                return 0.0
            if posture.value in ON_FEET_POSTURES:  # a body on its feet leaning back that nobody asked to
                return BACK_LEAN_UNASKED_PENALTY * only_body * any(
                    code.topic == TRUNK_TOPIC and code.value in BACK_LEANS and float(matched(code).max()) < BODY_CLAUSE for code in codes)
            if float(matched(posture).max()) >= BODY_CLAUSE:
                return 0.0
            return FLOOR_UNASKED_PENALTY if posture.value in FLOOR_POSTURES else OFF_FEET_UNASKED_PENALTY * only_body

        return match[:, about_body], torch.tensor([unasked(codes) for codes in stated])  # (K, C'), (K,)

    def _names_a_pose(self, clause_vectors: torch.Tensor, matched: Callable[[Posecode], torch.Tensor]) -> torch.Tensor:
        """(C,) whether each clause (C, D) is a library pose's name rather than body words: at least
        `NAME_CLAUSE` near the name, and no fact of the named pose matching it `BODY_CLAUSE` or more
        (`matched`: a fact → its (C,) match to the clauses)."""
        names, facts = self._pose_names()  # (N, D), N lists
        similarity, nearest = (clause_vectors @ names.T).max(1)  # (C,), (C,)
        named = torch.zeros(len(clause_vectors), dtype=torch.bool)
        for clause in torch.nonzero(similarity >= NAME_CLAUSE).flatten().tolist():
            own = torch.stack([matched(code)[clause] for code in facts[int(nearest[clause])]]).max()
            named[clause] = bool(own < BODY_CLAUSE)
        return named
