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

import threading
from typing import Collection, Sequence

import numpy as np

from posegpt.body_words import DIRECTION_PENALTY, conflicting, directions
from posegpt.pose import Pose
from posegpt.retrieval import TextEmbedder

# A follow-up is an edit only when one of the edit's phrasings is at least this similar (cosine
# of the sentence encoder; below it the nearest edit is about something else).
EDIT_SIMILARITY = 0.5


class EditPhrasings:
    """The training edits' request phrasings (all, or all but the edits named in `leave_out`),
    embedded once by `encoder` (a `TextEmbedder`), and how near some words are to each: what
    follow-ups and the clauses of a first request (`posegpt.asked_edits`) are matched with."""

    def __init__(self, encoder: TextEmbedder, leave_out: Collection[str] = ()) -> None:
        from posegpt.data.conversations import EDITS

        self._encoder = encoder
        self.phrasings = [(edit, request) for edit in EDITS if edit.name not in leave_out for request in edit.requests]
        self._said = [directions(request) for _, request in self.phrasings]
        self._vectors: np.ndarray | None = None  # (R, D) unit rows, one per phrasing
        self._lock = threading.Lock()

    def _embedded(self) -> np.ndarray:
        with self._lock:
            if self._vectors is None:
                self._vectors = np.asarray(self._encoder.encode([request for _, request in self.phrasings]), dtype=np.float32)
            return self._vectors

    def similarity(self, texts: Sequence[str]) -> np.ndarray:
        """(R, T): each phrasing's cosine with each of `texts`, `DIRECTION_PENALTY` less where the
        phrasing says a direction conflicting with the text's."""
        cosine = self._embedded() @ np.asarray(self._encoder.encode(list(texts)), dtype=np.float32).T  # (R, T)
        asked = [directions(text) for text in texts]  # read once per text, not once per phrasing
        conflicts = np.array([[conflicting(wanted, said) for wanted in asked] for said in self._said],
                             dtype=np.float32).reshape(cosine.shape)  # (R, T)
        return cosine - DIRECTION_PENALTY * conflicts


class FollowUpEdits:
    """The training edits, their request phrasings embedded once by `encoder` (a `TextEmbedder`)."""

    def __init__(self, encoder: TextEmbedder) -> None:
        self._phrasings = EditPhrasings(encoder)

    def edited(self, shown: Pose, words: str) -> Pose | None:
        """`shown` (a single pose) changed as `words` ask by the edit of the nearest phrasing; None
        when no phrasing is `EDIT_SIMILARITY` near or that edit does not fit the pose ("raise
        your arms" when they are up). Any visible change counts: "eyes on the floor" moves the
        head joint a few centimetres. Only the nearest edit is tried: the next one is as often
        the opposite change ("lower your arms") as another wording of the same (measured alike on
        the hand-written follow-ups)."""
        from posegpt.data.conversations import apply_edit

        similarity = self._phrasings.similarity([words])[:, 0]  # (R,)
        nearest = int(np.argmax(similarity))
        if similarity[nearest] < EDIT_SIMILARITY:
            return None
        return apply_edit(self._phrasings.phrasings[nearest][0], shown, least_motion=0.0)
