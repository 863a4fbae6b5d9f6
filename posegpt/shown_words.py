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

`ShownWords` is that filter for a stream of text pieces (the engine); `rewrite` applies it to a
finished reply (bench/heads_on_replies.py, so stored replies are scored as the engine would show
them); `said` gives the words of a pose (the same pose, the same words).
"""

from __future__ import annotations

from typing import Sequence

from posegpt.pose import Pose
from posegpt.tokens import POSE_TOKEN


def said(pose: Pose) -> str:
    """The words a reply says for `pose` (`Captioner.said`, seed 0: deterministic per pose)."""
    from posegpt.data.captioner import shared_captioner  # its phrase tables load with the first bank pose

    return shared_captioner().said(pose)


class ShownWords:
    """Streams reply text, holding back the words since the start, the last colon, newline or
    `<POSE>` until it is known whether a `<POSE>` follows them. Inactive, it passes everything
    through. `shown` is the reply as the user saw it (with `<POSE>` markers), for the history."""

    def __init__(self, active: bool) -> None:
        self.active = active
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
            if char in ":\n":  # what was held was a lead-in, or its line ended: show it
                out.append(self.held)
                self.held = ""
        shown = "".join(out)
        self.shown += shown
        return shown

    def pose(self, words: str | None) -> str:
        """A `<POSE>` follows: the text to show before it. `words` (the shown pose's, when it is
        the bank's) replace the words held since the last colon, newline or pose; None shows them
        as written."""
        if self.active and words is not None:
            lead = " " if self.shown and not self.shown.endswith((" ", "\n")) else ""
            text = lead + words.strip() + " "
        else:
            text = self.held
        self.held = ""
        self.shown += text + POSE_TOKEN
        return text

    def finish(self) -> str:
        """The reply ended: whatever is still held, as written."""
        text, self.held = self.held, ""
        self.shown += text
        return text


def rewrite(reply: str, words: Sequence[str | None]) -> str:
    """A finished reply as `ShownWords` would have shown it, `words[i]` for its i-th `<POSE>`."""
    parts = reply.split(POSE_TOKEN)
    filter_ = ShownWords(active=True)
    for index, part in enumerate(parts[:-1]):
        filter_.push(part)
        filter_.pose(words[index] if index < len(words) else None)
    filter_.push(parts[-1])
    filter_.finish()
    return filter_.shown
