"""A follow-up changes the pose shown before it and keeps the rest.

"Now the other arm", "stay down there but put your arms up", "eyes on the floor now": a follow-up
names a change, and the user expects the body they were just shown, changed by that much. The
pose bank's nearest training follow-up (`posegpt.retrieval.bank_query`) is the same change made
to some *other* pose of the training conversations, so what the follow-up does not name comes
from a stranger. The changes the project knows how to make to any pose are the training
conversations' edits (`posegpt.data.conversations.EDITS`, catalogues/edits.yaml: the mirror
image, the other arm or leg, arms raised / lowered / out / forward, hands on hips, sit down,
stand up, kneel, lie down, turn onto the front, cross the legs, squat, bend the knees, feet apart
or together, look up / down, ...). So a follow-up's words are matched to the edits' request
phrasings with the sentence encoder, and the nearest edit is applied to the pose shown last when
it fits it (`apply_edit`: what it needs holds, what it achieves holds after it, the pose stays
plausible; the user asked, so no least motion). A follow-up no edit is near (similarity below
`EDIT_SIMILARITY`: "lean forward and reach for your feet"), or whose edit does not fit, is left
to the bank. The sentence encoder hears "put your arms UP" nearer "put your arms DOWN" than "now
put both arms up", so a phrasing that says a direction conflicting with the words' (as in
`posegpt.body_words`: catalogues/directions.yaml) is `DIRECTION_PENALTY` less similar.

Measured (bench/bank_rules.py, model card): the 24 hand-written follow-ups, bank alone.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Collection, Sequence

import numpy as np

from posegpt.body_words import DIRECTION_PENALTY, conflicting, direction_words, directions, limbs, named_side
from posegpt.pose import Pose
from posegpt.retrieval import TextEmbedder
from posegpt.sides import SIDES, body_part_words, determiner_words, pair_words, says_both_sides

if TYPE_CHECKING:
    from posegpt.data.conversations import Edit

# A follow-up is an edit only when one of the edit's phrasings is at least this similar (cosine
# of the sentence encoder; below it the nearest edit is about something else).
EDIT_SIMILARITY = 0.5
# A follow-up this near an edit's phrasing or nearer asks for that change whatever its words
# say as a new request: "widen your stance" (0.88 near "Spread your feet wider.") keeps the rest
# of the pose shown, while "bend over and touch your toes" (0.76 near "Bend your knees.") and
# "next, get down on all fours" (0.64 near "Put your feet down.") say a new body.
SURE_EDIT = 0.8
# How much less similar a phrasing that names one side is to words that name both ("both hands",
# "your arms") and neither side: "now raise both hands over your head" was 0.72 near "Now raise
# your right arm." and 0.71 near "Raise both arms." (the encoder is side-blind). 0.1 left "put your
# hands up" (in a squat) 0.75 near "Put your right hand up." and 0.71 near "Hands up high!"; 0.15
# and 0.2 measured alike on the hand-written follow-ups and requests (bank alone, 2026-12-06).
ONE_SIDE_FOR_BOTH_PENALTY = 0.15
# … and one that says both of a pair ("Bring your hands down.") to words that name one side
# ("bring your right hand down"; `posegpt.sides.says_both_sides`).
BOTH_FOR_ONE_SIDE_PENALTY = 0.1
# The direction groups (catalogues/directions.yaml) that say where a part goes ("out to the
# sides", "up high"), not how it bends nor the body's posture ("sit", "lie").
PLACES_OF_A_PART = frozenset({"up", "down", "forward", "back", "side", "together", "apart"})
# How much less similar a phrasing is that names the other side than the words name ("look to your
# right" was as near "Look to your left.": the encoder is side-blind).
OTHER_SIDE_PENALTY = 0.1
# How much less similar a phrasing is that names body parts of other regions only than the words
# do (arm, leg, head, trunk: `body_regions`): "tilt your head down" was 0.68 near "Tilt your upper
# body back." and "flex your elbows a bit" 0.62 near "Bend your knees a bit, …".
REGION_PENALTY = 0.1
# How much nearer a phrasing is that says a word of change the words say
# (`posegpt.asked_edits.change_words`): "switch to the other foot" was 0.65 near "Put your foot
# back down." and 0.61 near "Switch legs.".
SHARED_CHANGE_BONUS = 0.05


_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=None)
def _listed(key: str) -> frozenset[str]:
    """One word list of catalogues/asked_edits.yaml (plural_pronouns, keep_words, filler_words, question_words)."""
    from posegpt.data.catalogue import load

    return frozenset(load("asked_edits")[key])


@lru_cache(maxsize=None)
def _listed_pattern(key: str) -> re.Pattern[str]:
    """Any one word of the `_listed` word list `key`, as a whole word, any case."""
    return re.compile(r"\b(?:" + "|".join(sorted(_listed(key))) + r")\b", re.IGNORECASE)


def body_regions(words: str) -> frozenset[str]:
    """The body regions ("arm", "leg", "head", "trunk") whose parts `words` name (an arm's or a
    leg's part: `posegpt.body_words.limbs`; asked_edits.yaml head_words / trunk_words)."""
    said = set(_WORD.findall(words.lower()))
    return frozenset(limbs(words) | {region for region in ("head", "trunk") if said & _listed(f"{region}_words")})


def moved_regions(words: str) -> frozenset[str]:
    """The body regions (`body_regions`) whose parts `words` move: when they name an arm's part,
    not those of a part named after a placing or reaching word, which is where the hand goes
    ("put your arms above your head" → arm; "hands on your knees" → arm; catalogues/asked_edits.yaml
    `placing_words`, `reaching_words`). Why: "put your arms above your head" after "lie on your
    back" named the head, was read as more than the arms, and the user got a standing body."""
    if "arm" not in limbs(words):
        return body_regions(words)
    said = _WORD.findall(words.lower())
    places = set(_places_after(said, _listed("placing_words") | _listed("reaching_words")))
    return body_regions(" ".join(word for index, word in enumerate(said) if index not in places))


def achieved_regions(edit: Edit) -> frozenset[str]:
    """The body regions (`body_regions`) whose parts the checks an edit achieves name
    ("torso_bent_forward" → trunk, "left_knee_raised" → leg): where a phrasing naming no part
    ("Now lean forward.") makes its change. "now step your right foot forward" was 0.62 near
    "Now lean forward." and bent the trunk."""
    return frozenset().union(*(body_regions(check.replace("_", " ")) for check in edit.achieves))


def asked_change(words: str, earlier: Sequence[str], shown_words: str = "") -> str:
    """What a follow-up asks to change, in words the edits' phrasings can be matched with: no
    opening fillers ("ok now put them down" → "now put them down"; `without_fillers`), without
    its clauses that say what stays ("keep your arms up and sit down" → "sit down";
    `without_kept`), without who is to do it ("have them sit down" → "sit down";
    `without_causatives`), with a plural pronoun read as the parts an earlier request named, or
    else the reply that showed the pose (`shown_words`: "bring them in front of you" after "do a
    t pose" answered "Arms straight out to the sides"; `with_referent`), with the change an
    earlier request asked when it says only which parts ("both hands now", `with_earlier_change`),
    and as the other arm or leg when it says "instead" of the other side (`with_swapped_side`)."""
    from posegpt.retrieval import lookup_words

    plain = without_kept(without_causatives(without_fillers(lookup_words(words))))
    return with_earlier_change(with_swapped_side(with_referent(plain, [shown_words, *earlier]), earlier), earlier)


def with_swapped_side(words: str, earlier: Sequence[str]) -> str:
    """`words` that ask for the same on the other side of an arm or a leg than the latest of the
    `earlier` requests that names that limb's side, as the other-arm / other-leg edit's words:
    "left arm instead" after "raise your right arm" → "Now do it with the other arm.". They ask so
    when they say "instead" (catalogues/asked_edits.yaml `instead_words`) or when their only words
    of change are repeat words and they add nothing (`repeat_words`, no `adding_words`, not both
    sides: "now do it with your left hand" after "put your right hand on your head", as
    `with_referent` reads "the left one"). Why: alone "left arm instead" was nearest "Put your
    left arm out in front.", and the user got the left arm forward with the right one still up;
    "now do it with your left hand" raised the left arm. Unchanged otherwise ("right leg instead"
    after "raise your right arm" names no side swapped; "left arm instead" after "raise your right
    arm", then "raise your left arm", is the left arm already; "the left one too" asks for both:
    `with_earlier_change`)."""
    from posegpt.sides import named_sides

    if not (set(_WORD.findall(words.lower())) & _listed("instead_words") or _says_only_repeat(words)):
        return words
    named_before = [named_sides(request) for request in reversed(earlier)]  # latest first
    for group, side in named_sides(words).items():
        latest = next((before[group] for before in named_before if group in before), None)
        if latest not in (None, side):  # "left arm instead" after "raise your right arm"
            return f"Now do it with the other {group}."
    return words


def _says_only_repeat(words: str) -> bool:
    """Whether `words` name one side, say a repeat word (catalogues/asked_edits.yaml
    `repeat_words`: "do", "same") and no other word of change, and add nothing (no `adding_words`,
    not both sides): "now do it with your left hand", "same with your left leg"; not "your left
    hand too", "now raise your left hand", nor "now your left hand" (it may ask for both)."""
    from posegpt.asked_edits import change_words, stem

    said = set(_WORD.findall(words.lower()))
    repeats = {stem(word) for word in _listed("repeat_words")}
    return (named_side(words) is not None and not says_both_sides(words) and not said & _listed("adding_words")
            and bool(said & _listed("repeat_words")) and change_words(words) <= repeats)


def with_earlier_change(words: str, earlier: Sequence[str]) -> str:
    """`words` that ask something of both of a pair or of one side but say no change ("both
    hands now", "and the left arm too": `posegpt.sides.says_both_sides`,
    `posegpt.body_words.named_side`, no `posegpt.asked_edits.change_words`) after the words of
    change of the latest `earlier` request that says one: "both hands now" after "raise your
    right hand" → "raise both hands now". Why: alone they were as near "Hands on hips now." as
    "Now put both arms up.", and the user who had a hand raised got both on the hips; "the left
    arm too" was nearest "Bring the left arm down to your side."). When the words name one side and
    that request names only the other, it is that request on their side: "and the left one too"
    (as `with_referent` reads it: "your left hand too") after "put your right hand on your head" →
    "put your left hand on your head" (its words of change alone, "put your left hand too", raised
    the left arm). Words that add the other arm ("the other arm as well", "the opposite one too":
    an `other_words` word, an `adding_words` word, no side) are the latest request naming an arm's
    side on the other side ("raise your left arm" → "raise your right arm"); alone they were the
    other-arm edit, and the left arm came down."""
    from posegpt.asked_edits import change_words, stem
    from posegpt.data.conversations import swap_sides
    from posegpt.sides import named_sides, other_side

    side, said_words = named_side(words), set(_WORD.findall(words.lower()))
    named_limbs = limbs(words)
    # the other arm (or "one": an arm) added; "the other leg as well" while standing cannot be
    # both legs up, and stays the other-leg edit
    adds_other = bool(said_words & _listed("other_words") and said_words & _listed("adding_words")
                      and (named_limbs == {"arm"} or not named_limbs and "one" in said_words))
    other_words = {stem(word) for word in _listed("other_words")}
    if change_words(words) - other_words or not (says_both_sides(words) or side or adds_other):
        return words
    if adds_other and not (side or says_both_sides(words)):
        sided = next((request for request in reversed(earlier) if change_words(request) and "arm" in named_sides(request)), None)
        return words if sided is None else swap_sides(sided)
    for request in reversed(earlier):
        said = change_words(request)
        if said:
            if side and not says_both_sides(words) and named_side(request) == other_side(side):
                return swap_sides(request)
            return " ".join([*(word for word in _WORD.findall(request.lower()) if stem(word) in said), words])
    return words


def asks_for_words(words: str) -> bool:
    """Whether a follow-up is a question that wants words, not a change: it ends with "?" and
    opens (after its fillers) with a question word (catalogues/asked_edits.yaml) not followed by
    "about" ("thanks! what muscles does that stretch?" yes; "and sitting?", "what about kneeling?",
    "can you sit down?" no). Why: such words can still be near an edit's phrasing ("stretch"), and
    an edit overrides the intent gate (`PoseGPT.asks_for_edit`)."""
    opening = _WORD.findall(without_fillers(words).lower())[:2]
    return words.rstrip().endswith("?") and bool(opening) and opening[0] in _listed("question_words") \
        and opening[1:] != ["about"]


def asks_for_someone_new(words: str) -> bool:
    """Whether a message after a pose asks for a new person, so is a first request and not a
    change of the pose shown: it says "someone" / "somebody" … or an indefinite article and a
    person noun (catalogues/asked_edits.yaml): "show me somebody with their hands in their
    pockets looking up at the sky", "now a guy doing a handstand"; not "now make him kneel".
    Why: read as a follow-up, its "looking up" was an edit that fitted the kneeling salute shown
    before it, and the user got that salute looking up."""
    said = _WORD.findall(words.lower())
    if set(said) & _listed("new_people"):
        return True
    return any(article in _listed("indefinite_articles") and noun in _listed("person_nouns")
               for article, noun in zip(said, said[1:]))


_OPENING_WORD = re.compile(r"\s*([A-Za-z]+)[\s,.!;:-]*")


def without_fillers(words: str) -> str:
    """`words` without the filler words it opens with (catalogues/asked_edits.yaml): "OK, now
    put them down" → "now put them down". Why: the sentence encoder weighs every word, and "ok"
    alone takes "ok now put your hands down" from 0.65 to 0.49 near "Bring your hands down.",
    under `EDIT_SIMILARITY`. Unchanged when nothing would be left."""
    rest = words
    while (opening := _OPENING_WORD.match(rest)) and opening.group(1).lower() in _listed("filler_words"):
        rest = rest[opening.end():]
    return rest if rest.strip() else words


def without_causatives(words: str) -> str:
    """`words` without "have / make / let / get" + a person pronoun (+ "to") before a whole-body
    verb (catalogues/asked_edits.yaml): "now have them sit on a park bench" → "now sit on a park
    bench". Why: they say who is to do it, not what, and the sentence encoder weighs every word:
    the whole words were 0.46 near "Now sit down.", under `EDIT_SIMILARITY`; without them 0.51."""
    pattern = re.compile(r"\b(?:" + "|".join(sorted(_listed("causatives"))) + r")\s+(?:"
                         + "|".join(sorted(_listed("person_pronouns"))) + r")\s+(?:to\s+)?(?=(?:"
                         + "|".join(sorted(_listed("whole_body_verbs"))) + r")\b)", re.IGNORECASE)
    return pattern.sub("", words)


def without_kept(words: str) -> str:
    """`words` without the clauses that start with a keep word or a negation (catalogues/asked_edits.yaml,
    `posegpt.body_words.negated`): "stay down there but put your arms up" → "put your arms up",
    "put your hands up, don't stand up" → "put your hands up", and without what follows a
    state word when it names no body part ("arms up while you're down there" → "arms up", it
    was nearest "Put your arms down."). Why: the sentence encoder
    weighs every word, so "KEEP your arms UP and sit down" is nearest "put your arms up" (or
    even "put your arms down") rather than "sit down". Unchanged when no clause is dropped, or
    when every clause would be."""
    from posegpt.body_words import clauses, negated

    state = _listed_pattern("state_words").search(words)
    if state and not body_regions(words[state.end():]) and words[:state.start()].strip():
        words = words[:state.start()].rstrip(" ,")  # "arms up while you're down there" → "arms up"
    pieces = clauses(words)
    kept = [piece for piece in pieces
            if (_WORD.findall(piece.lower()) or [""])[0] not in _listed("keep_words") and not negated(piece)]
    return words if len(kept) in (0, len(pieces)) else ", ".join(kept)


def with_referent(words: str, earlier: Sequence[str]) -> str:
    """`words` with a plural pronoun for body parts put back as the parts the latest of the
    `earlier` requests names: "now lower them" after "raise your arms in a T" → "now lower your
    arms". Why: the follow-up is matched with the edits' phrasings by a sentence encoder, and
    "lower them" alone is nearer "go lower" (bend the knees) than "lower your arms". Unchanged
    when the words name a part themselves, say no such pronoun, the pronoun means the people
    (`means_the_people`: "have them sit"), or no earlier request names a pair's part ("arms",
    "both hands", "feet": `posegpt.sides.pair_words`; the first one it names, the part that
    acts: "hands on your hips" → "hands"; with "both", one part of a pair: "both of them" after
    "raise your right arm" → "both of your arms", which `with_earlier_change` then raises). A
    singular pronoun said with a direction is read as one part with its side
    (`_with_sided_part`: "lower it" after "raise your left arm"), and "the left / right one" as
    that side's part of the pair named (`_with_sided_one`)."""
    lowered = words.lower()
    said = set(_WORD.findall(lowered))
    parts = body_part_words()
    if said & parts:
        return words
    if _SIDED_ONE.search(words) or (_BARE_SIDE.search(words) and _says_only_repeat(words)):
        return _with_sided_one(words, earlier)
    if said & _listed("singular_pronouns") and (directions(words) or _placed_on_body(lowered)):
        return _with_sided_part(words, earlier)
    if not said & (_listed("plural_pronouns") | _listed("head_words") | _listed("trunk_words")) and _says_only_where(lowered):
        return _with_elided_part(words, earlier)
    if not said & _listed("plural_pronouns") or means_the_people(lowered):
        return words
    both = "both" in said
    for request in reversed(earlier):
        named = _WORD.findall(request.lower())
        found = [word for word in named if word in pair_words()]
        if not found and both:  # "both of them" after "raise your right arm": both arms
            found = [pair for pair in map(_pair_of, named) if pair in pair_words()]
        if found:
            return _listed_pattern("plural_pronouns").sub(f"your {found[0]}", words)  # the part that acts: "HANDS on hips"
    return words


def _says_only_where(words: str) -> bool:
    """Whether lower-case `words` say a direction and no other change: their words of change
    (`posegpt.asked_edits.change_words`) are all direction words (catalogues/directions.yaml),
    instead words or where words (catalogues/asked_edits.yaml): "now out to the sides instead",
    "up high now"; not "lean back", "now sit" (a verb of their own), "now straighten up" (bent /
    straight and the postures are no place: `PLACES_OF_A_PART`)."""
    from posegpt.asked_edits import change_words, stem

    said = change_words(words)
    where = {stem(word) for word in direction_words(PLACES_OF_A_PART) | _listed("instead_words") | _listed("where_words")}
    return bool(said) and bool(directions(words) & PLACES_OF_A_PART) and said <= where


def _with_elided_part(words: str, earlier: Sequence[str]) -> str:
    """`words` that say only where a part goes with the part the latest of the `earlier` requests
    naming one names put before them, with its side when it says one ("now out to the sides
    instead" after "put your arms straight out in front" → "your arms now out to the sides
    instead"; "up high now" after "wave with your left hand" → "your left hand up high now");
    unchanged when none names a part. Why: alone "now out to the sides instead" was nearest "Do
    the same on the other side." (0.60), with the arms nearest "Now stretch your arms out
    sideways." (0.82)."""
    for request in reversed(earlier):
        named = _sided_parts(request) or [word for word in _WORD.findall(request.lower()) if word in body_part_words()]
        if named:
            return f"your {named[0]} {words}"
    return words


def _sided_parts(request: str) -> list[str]:
    """The parts with a side that `request` names, in its order ("raise your left arm and right
    knee" → ["left arm", "right knee"])."""
    said = _WORD.findall(request.lower())
    return [f"{side} {part}" for side, part in zip(said, said[1:]) if side in SIDES and part in body_part_words()]


def _placed_on_body(words: str) -> bool:
    """Whether lower-case `words` put a singular pronoun on a part of the body ("put it on your
    head", "rest it against your cheek"; catalogues/asked_edits.yaml `placing_verbs`,
    `placing_words`, `places`): the pronoun is then a part too, as one said with a direction is
    ("mirror it", "try it over your head" are the pose)."""
    said = _WORD.findall(words)
    for index in range(1, len(said) - 2):
        if (said[index - 1] in _listed("placing_verbs") and said[index] in _listed("singular_pronouns")
                and said[index + 1] in _listed("placing_words")):
            after = [later for later in said[index + 2:index + 4] if later not in determiner_words()]
            if after and after[0] in _body_places():
                return True
    return False


@lru_cache(maxsize=1)
def _body_places() -> frozenset[str]:
    """The words for a part of the body something may be put on: the parts of sides.yaml and
    asked_edits.yaml's head_words, trunk_words and places."""
    return body_part_words() | _listed("head_words") | _listed("trunk_words") | _listed("places")


def hand_place(words: str) -> str | None:
    """The part of the body `words` put a hand on, when they name an arm's part and a place after
    a placing word ("put your left hand on your hip" → "hip", "hands on your knees" → "knee";
    catalogues/asked_edits.yaml `placing_words`, `places`, head_words, trunk_words and the parts
    of catalogues/sides.yaml, one of a pair said as one), else None."""
    if "arm" not in limbs(words):
        return None
    said = _WORD.findall(words.lower())
    places = _places_after(said, _listed("placing_words"))
    return _one_of_pair(said[places[0]]) if places else None


def _places_after(said: Sequence[str], targets: Collection[str]) -> list[int]:
    """The positions in the lower-case words `said` of the places on the body (`_body_places`, one
    of a pair said as one) that follow one of the words `targets`: the first word within three
    after it that is no determiner nor side ("on YOUR LEFT hip" → "hip")."""
    places = []
    for index, word in enumerate(said):
        if word in targets:
            after = [later for later in range(index + 1, min(index + 4, len(said)))
                     if said[later] not in determiner_words() and said[later] not in SIDES]
            if after and _one_of_pair(said[after[0]]) in _body_places():
                places.append(after[0])
    return places


def _one_of_pair(word: str) -> str:
    """One of the pair `word` says ("hips" → "hip", "feet" → "foot"); any other word as it is."""
    return "foot" if word == "feet" else word[:-1] if word.endswith("s") and word[:-1] in body_part_words() else word


def _pair_of(part: str) -> str:
    """The word for both of a pair that the singular `part` is one of ("arm" → "arms", "foot" →
    "feet"); any other word comes back with an "s" added, which no pair word equals."""
    return "feet" if part == "foot" else f"{part}s"


_SIDED_ONE = re.compile(r"\b(?:the\s+)?(left|right)\s+one\b", re.IGNORECASE)
# a side that ends its sentence or clause ("same with the left", "now your right"): read as "the
# left / right one" only when the words ask for nothing but a repeat (`_says_only_repeat`), since
# "look to the left" or "lean to the right" say a direction
_BARE_SIDE = re.compile(r"\b(?:the\s+|your\s+)?(left|right)(?=\s*(?:[.,;!?]|$))", re.IGNORECASE)


def _with_sided_one(words: str, earlier: Sequence[str]) -> str:
    """`words` with "the left / right one" put back as that side's part of the pair the latest of
    the `earlier` requests names, or one of ("raise the right one" after "hands on your hips" →
    "raise your right hand"; "point the right one ahead" after "raise your left arm"); unchanged
    when none does. Why: "now raise the right one over your
    head" was nearest "Turn your head to the right."."""
    def one_of(part: str) -> str:  # "hands" → "hand", "feet" → "foot"; a singular part as it is
        return "foot" if part == "feet" else part.removesuffix("s") if part in pair_words() else part

    singulars = {one_of(pair) for pair in pair_words()}
    for request in reversed(earlier):
        found = [word for word in _WORD.findall(request.lower()) if word in pair_words() or word in singulars]
        if found:
            def part(match: re.Match[str]) -> str:
                return f"your {match.group(1).lower()} {one_of(found[0])}"

            return _SIDED_ONE.sub(part, words) if _SIDED_ONE.search(words) else _BARE_SIDE.sub(part, words)
    return words


def _with_sided_part(words: str, earlier: Sequence[str]) -> str:
    """`words` with a singular pronoun put back as the one part, with its side, that the latest
    of the `earlier` requests naming such a part names ("lower it" after "raise your left arm" →
    "lower your left arm"); unchanged when none does."""
    for request in reversed(earlier):
        named = _sided_parts(request)
        if named:
            return _listed_pattern("singular_pronouns").sub(f"your {named[0]}", words)
    return words


def means_the_people(words: str) -> bool:
    """Whether a plural pronoun in `words` is followed by a whole-body verb (or "to" and one,
    catalogues/asked_edits.yaml): "now have them sit on a park bench", "get them to kneel" mean
    the people shown, not the body parts an earlier request named. Why: read as "your arms",
    "have them sit" was nearest "lower your arms" and lowered the arms of a scarecrow pose."""
    said = _WORD.findall(words.lower())
    for index, word in enumerate(said[:-1]):
        if word in _listed("plural_pronouns"):
            following = said[index + 2] if said[index + 1] == "to" and index + 2 < len(said) else said[index + 1]
            if following in _listed("whole_body_verbs"):
                return True
    return False


def already_so(edit: Edit, shown: Pose) -> bool:
    """Whether `shown` already passes every check `edit` achieves ("higher!" when both arms are
    up, "raise your arms": nearest "Hands up high!"). Why: such a follow-up asks for the pose as it
    is; answered as a fresh request instead, "higher!" got both arms held out in front."""
    from posegpt.eval.checks import run_checks

    return bool(edit.achieves) and all(run_checks(shown, edit.achieves).values())


class EditPhrasings:
    """The training edits' request phrasings (all, or all but the edits named in `leave_out`),
    embedded once by `encoder` (a `TextEmbedder`), and how near some words are to each: what
    follow-ups and the clauses of a first request (`posegpt.asked_edits`) are matched with."""

    def __init__(self, encoder: TextEmbedder, leave_out: Collection[str] = ()) -> None:
        from posegpt.asked_edits import change_words
        from posegpt.data.conversations import EDITS

        self._encoder = encoder
        self.phrasings = [(edit, request) for edit in EDITS if edit.name not in leave_out for request in edit.requests]
        self._said = [directions(request) for _, request in self.phrasings]
        self._change = [change_words(request) for _, request in self.phrasings]  # the words that say what to do
        # a phrasing names one side, or its edit moves one side's pose to the other ("Now use the
        # other hand.": "both hands now" after a raised right hand is not a swap of hands)
        self._one_sided = np.array([named_side(request) is not None or edit.apply_mirrors
                                    for edit, request in self.phrasings], dtype=np.float32)  # (R,)
        self._regions = [body_regions(request) or achieved_regions(edit) for edit, request in self.phrasings]
        self._hand_places = [hand_place(request) for _, request in self.phrasings]
        self._sides = [named_side(request) for _, request in self.phrasings]
        self._both = np.array([says_both_sides(request) for _, request in self.phrasings], dtype=np.float32)  # (R,)
        self._vectors: np.ndarray | None = None  # (R, D) unit rows, one per phrasing
        self._lock = threading.Lock()

    def _embedded(self) -> np.ndarray:
        with self._lock:
            if self._vectors is None:
                self._vectors = np.asarray(self._encoder.encode([request for _, request in self.phrasings]), dtype=np.float32)
            return self._vectors

    def similarity(self, texts: Sequence[str], shared_bonus: bool = False) -> np.ndarray:
        """(R, T): each phrasing's cosine with each of `texts`, `DIRECTION_PENALTY` less where the
        phrasing says a direction conflicting with the text's, `ONE_SIDE_FOR_BOTH_PENALTY` less
        for a one-sided phrasing when the text names both sides (`BOTH_FOR_ONE_SIDE_PENALTY` for
        the converse), `OTHER_SIDE_PENALTY` less for one
        naming the other side than the text, `REGION_PENALTY` less where
        phrasing and text name parts of different body regions only, and with `shared_bonus`
        (follow-ups) `SHARED_CHANGE_BONUS` more where they share a word of change."""
        from posegpt.asked_edits import change_words

        cosine = self._embedded() @ np.asarray(self._encoder.encode(list(texts)), dtype=np.float32).T  # (R, T)
        asked = [directions(text) for text in texts]  # read once per text, not once per phrasing
        conflicts = np.array([[conflicting(wanted, said) for wanted in asked] for said in self._said],
                             dtype=np.float32).reshape(cosine.shape)  # (R, T)
        both = np.array([says_both_sides(text) for text in texts], dtype=np.float32)  # (T,)
        regions, changes = [body_regions(text) for text in texts], [change_words(text) for text in texts]
        elsewhere = np.array([[bool(theirs and ours and not theirs & ours) for ours in regions] for theirs in self._regions],
                             dtype=np.float32).reshape(cosine.shape)  # (R, T)
        shared = np.array([[bool(theirs & ours) for ours in changes] for theirs in self._change],
                          dtype=np.float32).reshape(cosine.shape)  # (R, T)
        sides = [named_side(text) for text in texts]
        other_side = np.array([[bool(theirs and ours and theirs != ours) for ours in sides] for theirs in self._sides],
                              dtype=np.float32).reshape(cosine.shape)  # (R, T)
        one_side = np.array([side is not None for side in sides], dtype=np.float32)  # (T,)
        return (cosine - DIRECTION_PENALTY * conflicts
                - ONE_SIDE_FOR_BOTH_PENALTY * self._one_sided[:, None] * both[None, :]
                - BOTH_FOR_ONE_SIDE_PENALTY * self._both[:, None] * one_side[None, :]
                - OTHER_SIDE_PENALTY * other_side - REGION_PENALTY * elsewhere
                + SHARED_CHANGE_BONUS * shared_bonus * shared)

    def change_words_of(self, row: int) -> frozenset[str]:
        """The words of the phrasing at `row` that may say what to do (`posegpt.asked_edits.change_words`)."""
        return self._change[row]

    def directions_of(self, row: int) -> frozenset[str]:
        """The direction groups the phrasing at `row` says (`posegpt.body_words.directions`)."""
        return self._said[row]

    def side_of(self, row: int) -> str | None:
        """The side the phrasing at `row` names, if one (`posegpt.body_words.named_side`)."""
        return self._sides[row]

    def regions_of(self, row: int) -> frozenset[str]:
        """The body regions whose parts the phrasing at `row` names (`body_regions`), or when it
        names none those its edit changes (`achieved_regions`)."""
        return self._regions[row]

    def elsewhere(self, row: int, words: str) -> bool:
        """Whether the phrasing at `row` asks for a change somewhere else than `words` do: it names
        parts of other body regions only (`body_regions`: "lift your right knee" is not "Lift your
        right arm above your head."), or `words` put a hand on a part of the body and the phrasing
        puts it on no other part (`hand_place`: "put your left hand on your hip" is not "Put your
        left hand up.", nor "Put your left hand on your head.")."""
        regions, theirs = body_regions(words), self._regions[row]
        place = hand_place(words)
        return bool(regions and theirs and not regions & theirs) or (place is not None and self._hand_places[row] != place)

    def asked_by(self, pieces: Sequence[str], similarity: np.ndarray, least: float) -> list[list[tuple[float, Edit, int]]]:
        """Per clause of `pieces` (their `similarity`, (R, C)): the edits its `NEAREST_PHRASINGS`
        nearest phrasings ask for, nearest first, each phrasing at least `least` near and sharing
        a word with the clause that says what to do (`posegpt.asked_edits.change_words`: "ur left
        hand" is near "lower your left arm" but asks for nothing), each with its phrasing's row."""
        from posegpt.asked_edits import NEAREST_PHRASINGS, change_words

        asked = []
        for column, piece in enumerate(pieces):
            said, near = change_words(piece), similarity[:, column]  # (R,)
            asked.append([(float(near[row]), self.phrasings[row][0], int(row)) for row in np.argsort(-near)[:NEAREST_PHRASINGS]
                          if near[row] >= least and said & self._change[row]])
        return asked


class FollowUpEdits:
    """The training edits, their request phrasings embedded once by `encoder` (a `TextEmbedder`)."""

    def __init__(self, encoder: TextEmbedder) -> None:
        self._phrasings = EditPhrasings(encoder)

    def sure(self, words: str, shown: Pose) -> bool:
        """Whether `words` surely ask for a change of the pose `shown`, as `edited` reads them:
        their nearest edit phrasing is at least `SURE_EDIT` near and its edit fits `shown` or
        `shown` already is as it makes it (`already_so`), or that edit changes a pose relative to
        itself (`catalogues/asked_edits.yaml` "relative": "lift the other leg instead" says no body
        of its own). A follow-up an edit fits but not surely may ask for a new body instead
        (`posegpt.model.PoseGPT` then compares the two). Why the fit: "sit on the floor with your
        legs stretched out in front of you" after a standing pose is nearest "Sit up on the floor,
        legs out in front." (0.88), an edit for a body lying down; the edit `edited` fell back to
        ("Stretch out on your back.") laid the body down."""
        from posegpt.data.catalogue import load
        from posegpt.data.conversations import apply_edit

        similarity = self._phrasings.similarity([words], shared_bonus=True)[:, 0]  # (R,)
        nearest = int(np.argmax(similarity))
        edit = self._phrasings.phrasings[nearest][0]
        if edit.name in load("asked_edits")["relative"]:
            return True
        return bool(similarity[nearest] >= SURE_EDIT) and (apply_edit(edit, shown, least_motion=0.0) is not None
                                                           or already_so(edit, shown))

    def edited(self, shown: Pose, words: str) -> Pose | None:
        """`shown` (a single pose) changed as `words` ask by the edit of the nearest phrasing that
        asks for no change elsewhere (`EditPhrasings.elsewhere`: "lift your right knee" is not
        "Lift your right arm above your head."); None
        when no phrasing is `EDIT_SIMILARITY` near or that edit does not fit the pose ("raise
        your arms" when they are up). Any visible change counts: "eyes on the floor" moves the
        head joint a few centimetres. When the nearest edit does not fit, and its phrasing says a
        word of change the follow-up says (`posegpt.asked_edits.change_words`) and the pose
        already is as it makes it (`already_so`), the follow-up gets the pose as it is; else the
        next edit whose phrasing says such a word and no direction against the follow-up's is
        tried (the next edit is as often the opposite change, "lower your arms", as another
        wording of the same), then the next on the side the words name, and failing those the
        pose as it is when it is already so. Words
        whose clauses ask for different edits ("stand up and raise your arms") get each
        (`_clause_edits`)."""
        from posegpt.asked_edits import NEAREST_PHRASINGS, change_words
        from posegpt.body_words import clauses
        from posegpt.data.conversations import apply_edit

        pieces = clauses(words)
        pieces = pieces if len(pieces) >= 2 else []  # one clause is the words themselves
        similarity = self._phrasings.similarity([words, *pieces], shared_bonus=True)  # (R, 1 + C): one encoder call
        by_clause = self._clause_edits(shown, pieces, similarity[:, 1:])
        if by_clause is not None:
            return by_clause
        similarity = similarity[:, 0]  # (R,)
        # never an edit of another part of the body: "lift your right knee" (no edit lifts a knee)
        # was near "Lift your right arm above your head." and got the arm raised
        near = [int(row) for row in np.argsort(-similarity)[:NEAREST_PHRASINGS]
                if similarity[row] >= EDIT_SIMILARITY and not self._phrasings.elsewhere(int(row), words)]
        if not near:
            return None
        edit = self._phrasings.phrasings[near[0]][0]
        changed = apply_edit(edit, shown, least_motion=0.0)
        if changed is not None:
            return changed
        said, wanted, so = change_words(words), directions(words), already_so(edit, shown)
        saying = [row for row in near if said & self._phrasings.change_words_of(row)]
        if saying[:1] == near[:1] and so:  # "arms out wider" when they are out
            return shown
        # the nearest does not fit: the next other edit whose phrasing says a word of change the
        # follow-up says and no direction against its own ("now bend your knees a little" is
        # nearest "Bend your knees more.", which needs bent knees: "Bend your knees."; "now get up
        # off the chair" nearest "Now do that sitting on a chair.", which shares only where: "Now
        # stand up.")
        # and when that does not fit either, the next such edit whose phrasing names the side the
        # follow-up names, if it names one ("bend your knees but stay lying down": "Bend your knees
        # more." needs bent knees, "Stay on your back and bend your knees." fits; "lower your
        # right hand" with both hands on the hips is not "Lower your arms.")
        side, tried = named_side(words), {edit.name}
        for row in saying:
            other = self._phrasings.phrasings[row][0]
            if other.name in tried or conflicting(wanted, self._phrasings.directions_of(row)):
                continue
            if len(tried) > 1 and side is not None and self._phrasings.side_of(row) != side:  # past the first other
                continue
            tried.add(other.name)
            changed = apply_edit(other, shown, least_motion=0.0)
            if changed is not None:
                return changed
            so = so or already_so(other, shown)  # "draw your knees up" when they are: "Now pull your knees up, …"
        return shown if so else None  # "higher!" (nearest "Hands up high!") when they are up

    def _clause_edits(self, shown: Pose, pieces: Sequence[str], similarity: np.ndarray) -> Pose | None:
        """`shown` changed by the edits of two or more clauses (`pieces`, their phrasings'
        `similarity` (R, C)), in their order, when the clauses
        ask for different edits — a clause asks for the edit of its nearest phrasing (of the
        `NEAREST_PHRASINGS`, at least `EDIT_SIMILARITY` near) that shares a word saying what to
        do (`posegpt.asked_edits.change_words`: "same" in "same but bend your knees" asks for
        nothing; "sit on the floor" is nearer "Now look at the floor." than "Now sit down." and
        asks for the second: "floor" says where, not what); when that edit does not fit, the
        clause's next that says no direction against it is made ("stand up" while sitting is
        nearest "Stand up straight again.", which needs a body bent forward: "Stand up straight."),
        and when none fits (already so) the clause is skipped. Why: the words as a whole are
        nearest one edit ("stand up and raise your arms" → raise the arms, 0.79), and the other
        change asked for was lost. None when fewer than two clauses ask, or nothing changed."""
        from posegpt.data.conversations import apply_edit

        if len(pieces) < 2:
            return None
        asked: list[list[Edit]] = []  # per clause asking an edit no clause before it asked: its nearest, then the others
        for piece, clause in zip(pieces, self._phrasings.asked_by(pieces, similarity, EDIT_SIMILARITY)):
            if clause and all(clause[0][1].name != other[0].name for other in asked):  # its nearest that says its change
                wanted = directions(piece)
                asked.append([clause[0][1]] + [edit for _, edit, row in clause[1:]
                                               if not conflicting(wanted, self._phrasings.directions_of(row))])
        if len(asked) < 2:
            return None
        pose = shown
        for edits in asked:
            pose = next((changed for edit in edits if (changed := apply_edit(edit, pose, least_motion=0.0)) is not None), pose)
        return None if pose is shown else pose
