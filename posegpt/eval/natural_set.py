"""The hand-written natural-language evaluation sets: one validating loader for `posegpt/eval/data/natural/`.

The generated benchmark (`eval text2pose`) asks in our own templates' words; these sets ask the
way people type ("t pose pls", "hands up like you just scored", "and sitting?") and were written
by hand, never by `posegpt.data`, and are never trained on. Kinds:

- ``explicit`` / ``speculative`` / ``named``: one pose request; ``checks`` (names in
  `posegpt.eval.checks.CHECKS`) that any right answer passes, ``any_side`` when the mirror image
  is right too.
- ``no_pose``: small talk and questions that want words; the right reply has no ``<POSE>``.
- ``n_poses``: a request for ``n`` (2–4) poses; the right reply has exactly ``n`` ``<POSE>``.
- ``follow_up``: ``context`` = [user request, assistant reply with one ``<POSE>``], then the
  follow-up ``text``; ``checks`` are what the follow-up's pose must pass. The model sees earlier
  turns only as text (the past ``<POSE>`` becomes a token, its pose is not fed back), so the
  assistant turn says in a few words what it showed.

Format: ``*.jsonl``, one JSON object per line; blank lines and lines starting with ``#`` are
skipped, so the files can carry the author's notes. Every problem is reported as
``FILE:LINE: what is wrong`` (a `NaturalSetError`), because a typo in a check name would
otherwise silently count as a failed check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from posegpt.eval.checks import CHECKS
from posegpt.tokens import POSE_TOKEN

DATA_DIR = Path(__file__).resolve().parent / "data" / "natural"
POSE_KINDS = ("explicit", "speculative", "named")
KINDS = (*POSE_KINDS, "no_pose", "n_poses", "follow_up")
N_POSES_RANGE = (2, 4)
# The smallest sets that make a percentage worth reporting (the minimums).
MINIMUM_COUNTS = {"pose prompts": 100, "no_pose": 100, "n_poses": 20, "follow_up": 20}

_COMMON_KEYS = {"id", "kind", "text"}
_KEYS = {
    **{kind: _COMMON_KEYS | {"checks", "any_side"} for kind in POSE_KINDS},
    "no_pose": _COMMON_KEYS,
    "n_poses": _COMMON_KEYS | {"n"},
    "follow_up": _COMMON_KEYS | {"context", "checks", "any_side"},
}
_REQUIRED = {
    **{kind: _COMMON_KEYS | {"checks"} for kind in POSE_KINDS},
    "no_pose": _COMMON_KEYS,
    "n_poses": _COMMON_KEYS | {"n"},
    "follow_up": _COMMON_KEYS | {"context", "checks"},
}


class NaturalSetError(ValueError):
    """A data file of the natural sets is malformed; the message starts with FILE:LINE."""


@dataclass(frozen=True)
class NaturalItem:
    """One hand-written prompt and what a right answer looks like."""

    id: str
    kind: str
    text: str  # the (last) user message
    checks: tuple[str, ...] = ()
    any_side: bool = False
    n: int | None = None  # n_poses: how many poses the reply must hold
    context: tuple[str, ...] = ()  # follow_up: (user request, assistant reply with one <POSE>)
    source: str = ""  # FILE:LINE it was read from

    @property
    def messages(self) -> tuple[dict[str, str], ...]:
        """The conversation to answer: the context's turns (user, assistant, …) then `text`."""
        roles = ("user", "assistant")
        turns = [{"role": roles[i % 2], "content": content} for i, content in enumerate(self.context)]
        return (*turns, {"role": "user", "content": self.text})


def _text(value: Any, what: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise NaturalSetError(f"{where}: {what} must be non-empty text, got {json.dumps(value, ensure_ascii=False)}")
    return value


def parse_record(record: Any, where: str) -> NaturalItem:
    """One decoded JSON line → a validated `NaturalItem` (`where` = "FILE:LINE" for messages)."""
    if not isinstance(record, dict):
        raise NaturalSetError(f"{where}: expected a JSON object, got {type(record).__name__}")
    kind = record.get("kind")
    if kind not in KINDS:
        raise NaturalSetError(f"{where}: unknown kind {kind!r}; known: {', '.join(KINDS)}")
    missing = sorted(_REQUIRED[kind] - set(record))
    if missing:
        raise NaturalSetError(f"{where}: a {kind} item needs {', '.join(missing)}")
    unknown = sorted(set(record) - _KEYS[kind])
    if unknown:
        raise NaturalSetError(f"{where}: unknown field(s) {', '.join(unknown)} for a {kind} item; allowed: {', '.join(sorted(_KEYS[kind]))}")
    item_id = _text(record["id"], '"id"', where).strip()
    text = _text(record["text"], '"text"', where)
    checks: tuple[str, ...] = ()
    if "checks" in record:
        names = record["checks"]
        if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
            raise NaturalSetError(f"{where}: \"checks\" must be a non-empty list of check names")
        bad = [name for name in names if name not in CHECKS]
        if bad:
            raise NaturalSetError(f"{where}: unknown check name(s) {', '.join(bad)} (known: posegpt.eval.checks.CHECKS)")
        if len(set(names)) != len(names):
            raise NaturalSetError(f"{where}: a check is listed twice in {names}")
        checks = tuple(names)
    any_side = record.get("any_side", False)
    if not isinstance(any_side, bool):
        raise NaturalSetError(f"{where}: \"any_side\" must be true or false, got {json.dumps(any_side)}")
    n = record.get("n")
    if kind == "n_poses" and (isinstance(n, bool) or not isinstance(n, int) or not N_POSES_RANGE[0] <= n <= N_POSES_RANGE[1]):
        raise NaturalSetError(f"{where}: \"n\" must be a whole number from {N_POSES_RANGE[0]} to {N_POSES_RANGE[1]}, got {json.dumps(n)}")
    context: tuple[str, ...] = ()
    if kind == "follow_up":
        turns = record["context"]
        if not isinstance(turns, list) or len(turns) != 2:
            raise NaturalSetError(f"{where}: \"context\" must be [user request, assistant reply]")
        context = (_text(turns[0], "the context's user turn", where), _text(turns[1], "the context's assistant turn", where))
        if context[1].count(POSE_TOKEN) != 1:
            raise NaturalSetError(f"{where}: the context's assistant turn must hold exactly one {POSE_TOKEN}")
    return NaturalItem(item_id, kind, text, checks, any_side, n, context, where)


def parse_file(path: Path) -> list[NaturalItem]:
    """Every item of one ``.jsonl`` file (comments and blank lines skipped), validated."""
    items = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise NaturalSetError(f"{path}: cannot read ({getattr(error, 'strerror', None) or error})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise NaturalSetError(f"{where}: not valid JSON ({error.msg} at column {error.colno})") from None
        items.append(parse_record(record, where))
    return items


def load_items(folder: Path = DATA_DIR, files: Iterable[Path] | None = None) -> list[NaturalItem]:
    """All items of the folder's ``*.jsonl`` files (in name order), ids unique across files."""
    paths = sorted(Path(folder).glob("*.jsonl")) if files is None else [Path(p) for p in files]
    if not paths:
        raise NaturalSetError(f"{folder}: no .jsonl files")
    items: list[NaturalItem] = []
    seen: dict[str, str] = {}
    for path in paths:
        for item in parse_file(path):
            if item.id in seen:
                raise NaturalSetError(f"{item.source}: duplicate id {item.id!r} (first at {seen[item.id]})")
            seen[item.id] = item.source
            items.append(item)
    return items


def counts(items: Iterable[NaturalItem]) -> dict[str, int]:
    """Items per kind, plus "pose prompts" (explicit + speculative + named)."""
    result = {kind: 0 for kind in KINDS}
    for item in items:
        result[item.kind] += 1
    result["pose prompts"] = sum(result[kind] for kind in POSE_KINDS)
    return result


def first_per_kind(items: Iterable[NaturalItem], limit: int) -> list[NaturalItem]:
    """The first `limit` items of every kind, in file order (a quick look that still covers every kind)."""
    taken: dict[str, int] = {}
    chosen = []
    for item in items:
        if taken.get(item.kind, 0) < limit:
            taken[item.kind] = taken.get(item.kind, 0) + 1
            chosen.append(item)
    return chosen

