"""Which poses, situations and phrasings are held out from training (used only by evaluation).

One rule decides everything, so training data and the evaluation set can never overlap: an
item is held out when a hash of its kind and name falls in the bottom `HELDOUT_PERCENT` percent.
The hash (SHA-1) does not depend on Python's hash seed, the machine or the order of lists, so
the split is the same everywhere. Training builders must call `is_heldout` for every named pose
(also before blending, perturbing or mirroring it), every situation and every phrasing template;
evaluation uses exactly the held-out ones.
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Literal

Kind = Literal["pose", "situation", "template", "mocap_clip"]
HELDOUT_PERCENT = 20


def is_heldout(kind: Kind, name: str) -> bool:
    """True when `name` of this kind belongs to the evaluation split."""
    digest = hashlib.sha1(f"{kind}:{name}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < HELDOUT_PERCENT


def split(kind: Kind, names: Iterable[str]) -> tuple[list[str], list[str]]:
    """(training names, held-out names), each in the given order."""
    names = list(names)
    held = [name for name in names if is_heldout(kind, name)]
    return [name for name in names if not is_heldout(kind, name)], held
