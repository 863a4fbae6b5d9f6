"""A reply's words for a pose it shows from the bank, made from that pose.

Why: when the pose bank answers a request (`PoseGPTConfig.bank_answers`), the body shown is the
bank's, but the LLM has already been writing its own description of the body it imagined — and on
hand-written requests that description is as often wrong as the head it was trained with (`eval
natural`: the words agreed with the bank's pose in 16 % of replies). Trained replies have the form
"<lead-in>: <the pose in body words> <POSE>", where the body words come from the captioner applied
to the pose shown (`Captioner.said`). So in a bank-answered reply the words since the reply's
start, its last colon, newline or `<POSE>` are held back while they are written; when `<POSE>`
follows, they are replaced by the captioner's words for the pose that is shown, and otherwise (a
newline, a colon, the end of the reply) they go out unchanged: a lead-in ("Sure:", "2. Tree:")
stays the model's. Only turns that may show a pose are filtered (the engine bans `<POSE>` in turns
the intent gate says ask for none), and held words wait at most until the end of their line.

The lead-in can say what the body does too, and the small LLM's restatement of a request is
often wrong ("stretch your arms out in front of you" → "Arms out to the sides: Arms stretched
forward at shoulder height."; "hands behind your back" → "Okay, hands behind the head: …"): in 28
of the 121 one-pose bank replies of `eval natural` a lead-in word was said by neither the request
nor the shown pose's words. So when the reply answers a request (`request`), the first pose's
lead-in is held too, and it stays only when it claims nothing the request or the pose's own words
do not say (`lead_in_fits`); else the pose's words stand alone. A reply that shows several poses
(the request asks for two or more) is judged so at each pose, by the lead-in since its last colon
("1. Kundanchala Purnima:" for "show me three yoga poses": the small LLM names poses that do not
exist; its number stays), and the text before it ("Here are three yoga poses:") goes out as written.

`ShownWords` is that filter for a stream of text pieces (the engine); `rewrite` applies it to a
finished reply (bench/heads_on_replies.py, so stored replies are scored as the engine would show
them); `said` gives the words of a pose (the same pose, the same words).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from posegpt.pose import Pose
from posegpt.tokens import POSE_TOKEN

_WORD = re.compile(r"[a-z]+")
_NUMBER = re.compile(r"\s*(?:\d+[.)]|[-*•])\s")  # a list item's number or bullet, kept when its lead-in is not
SHORTEST_CLAIM = 3  # shorter words claim nothing ("a", "s", "to"), unless they say a direction ("up")


def said(pose: Pose, before: Pose | None = None) -> str:
    """The words a reply says for `pose` (`Captioner.said`, seed 0: deterministic per pose), for
    a pose made by changing `before` those that say most of the change."""
    from posegpt.data.captioner import shared_captioner  # its phrase tables load with the first bank pose

    return shared_captioner().said(pose, before)


@lru_cache(maxsize=1)
def _words_of_lead_ins() -> tuple[frozenset[str], frozenset[str]]:
    from posegpt.data.catalogue import load

    directions = frozenset(word for words in load("directions")["groups"].values() for word in words)
    return frozenset(load("lead_ins")["not_a_claim"]) - directions, directions


def asks_for_several(words: str) -> bool:
    """Whether the user's `words` ask for two or more poses (`posegpt.pose_count`)."""
    from posegpt.pose_count import requested_pose_count

    return (requested_pose_count(words) or 0) > 1


def lead_in_fits(lead: str, request: str, words: str) -> bool:
    """Whether a lead-in ("Okay, lying on the back:") claims only what the `request` or the shown
    pose's `words` say: each of its words is a `not_a_claim` word of catalogues/lead_ins.yaml, or
    shorter than `SHORTEST_CLAIM` and no direction word, or one the request or the pose's words say
    (or that starts like one of theirs: "kneeling" / "kneel", "arm" / "arms")."""
    filler, directions = _words_of_lead_ins()
    said = set(_WORD.findall(request.lower())) | set(_WORD.findall(words.lower()))

    def backed(word: str) -> bool:
        return word in said or any(min(len(word), len(other)) >= SHORTEST_CLAIM
                                   and (word.startswith(other) or other.startswith(word)) for other in said)

    claims = [word for word in _WORD.findall(lead.lower())
              if word not in filler and (len(word) >= SHORTEST_CLAIM or word in directions)]
    return all(backed(word) for word in claims)


class ShownWords:
    """Streams reply text, holding back the words since the start, the last colon, newline or
    `<POSE>` until it is known whether a `<POSE>` follows them. Inactive, it passes everything
    through. With a `request` (the user's words) the first pose's lead-in is held too, and kept
    only when it fits (`lead_in_fits`); when the request asks for several poses, each pose's
    lead-in since its last colon. `shown` is the reply as the user saw it (with `<POSE>`
    markers), for the history."""

    def __init__(self, active: bool, request: str | None = None) -> None:
        self.active = active
        self.request = request if active else None  # None once no more lead-ins are judged
        self.several = self.request is not None and asks_for_several(self.request)
        self.lead = ""  # the next pose's lead-in, while it is judged
        self.held = ""
        self.shown = ""

    def push(self, text: str) -> str:
        """Text the decoder produced → the text to show now."""
        if not self.active:
            self.shown += text
            return text
        out = []
        for char in text:
            self.held += char
            if char == ":" and self.request is not None:  # a pose's lead-in: judged with that pose
                if self.several:  # only the last before the pose: "Here are three:" goes out
                    out.append(self.lead)
                    self.lead = self.held
                else:
                    self.lead += self.held
                self.held = ""
            elif char in ":\n":  # what was held was a lead-in, or its line ended: show it
                out.append(self.lead + self.held)
                self.lead = self.held = ""
        shown = "".join(out)
        self.shown += shown
        return shown

    def pose(self, words: str | None) -> str:
        """A `<POSE>` follows: the text to show before it. `words` (the shown pose's, when it is
        the bank's) replace the words held since the last colon, newline or pose; None shows them
        as written."""
        if self.active and words is not None:
            number = _NUMBER.match(self.lead)
            kept = self.lead if self.request is None or lead_in_fits(self.lead, self.request, words) else \
                number.group(0).rstrip() if number else ""
            before = self.shown + kept
            text = kept + (" " if before and not before.endswith((" ", "\n")) else "") + words.strip() + " "
        else:
            text = self.lead + self.held
        self.lead = self.held = ""
        self.request = self.request if self.several else None
        self.shown += text + POSE_TOKEN
        return text

    def drop_held(self) -> None:
        """Forget the words held since the last pose, colon or newline: they were written for a
        pose the reply will not show."""
        self.lead = self.held = ""

    def finish(self) -> str:
        """The reply ended: whatever is still held, as written."""
        text, self.lead, self.held = self.lead + self.held, "", ""
        self.shown += text
        return text


def rewrite(reply: str, words: Sequence[str | None], request: str | None = None) -> str:
    """A finished reply as `ShownWords` would have shown it, `words[i]` for its i-th `<POSE>`
    (`request`: the user's words, by which lead-ins are judged)."""
    parts = reply.split(POSE_TOKEN)
    filter_ = ShownWords(active=True, request=request)
    for index, part in enumerate(parts[:-1]):
        filter_.push(part)
        filter_.pose(words[index] if index < len(words) else None)
    filter_.push(parts[-1])
    filter_.finish()
    return filter_.shown
