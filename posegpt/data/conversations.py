"""Chat training samples about poses: text → pose requests, edits, pose Q&A and general chat.

Every builder is seeded and deterministic. A `Sample` is a conversation whose assistant turns
hold exactly one ``<POSE>`` per pose in `Sample.poses`, in reading order (what
`posegpt.data.conversation.encode_conversation` checks). Kinds:

- "explicit": a geometric description from the captioner → the pose (library poses and their
  mirrors, sampler outputs, mocap frames);
- "named": "show me a warrior two" → the named pose (mirrors get their side words swapped);
- "pair": two named poses in one reply;
- "several": "show me three yoga poses" → N (2–4) named poses of one category, each described;
- "speculative": a situation phrasing (`posegpt.data.speculative`) → a pose of its family;
- "edit": a pose, then "now raise both arms" / "mirror it" / "sit down" … → the edited pose;
- "qa": a question about poses or posture answered in words, without ``<POSE>``;
- "mixed": a Q&A turn and a pose request in the same conversation;
- "chat": general chat read from ``assets/data/general_chat.jsonl`` (self-distillation), unchanged.

With ``described=True`` (`build_dataset`) every pose reply first says in body words what it
shows, then ``<POSE>``: the captioner's description of the target pose itself (third person or
terse), so the words are true to the pose and the pose head can read them.

The words are data, read and validated by `posegpt.data.catalogue` from
``posegpt/data/catalogues/``: templates.yaml (requests and replies), qa.yaml, edits.yaml, the
poses' readable names (postures.yaml, actions.yaml) and situations.yaml; this module decides how
they are combined.

Held-out guarantee (`posegpt.data.splits.is_heldout`): every template has an id (kind
"template"); a sample records in `meta` every pose it derives from ("pose_sources": library names
before mirroring/blending/perturbing), every mocap clip, the situation and every template id.
"train" never uses a held-out one of them; "eval" uses held-out ones only (explicit: held-out
poses/clips and held-out request templates; named: held-out poses and templates; speculative:
a held-out situation, or a held-out phrasing of a training situation).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Sequence

import numpy as np
import torch

from posegpt.data.catalogue import load, pose_library
from posegpt.data.splits import is_heldout
from posegpt.pose import SMPL_JOINT_NAMES, Pose, axis_angle_to_matrix, matrix_to_axis_angle
from posegpt.tokens import POSE_TOKEN

Split = Literal["train", "eval"]
Message = dict[str, str]

TRAIN_MIX: dict[str, float] = {
    "explicit": 0.34, "named": 0.10, "pair": 0.03, "speculative": 0.22, "edit": 0.13,
    "qa": 0.06, "mixed": 0.04, "chat": 0.08, "several": 0.0,
}
EVAL_MIX: dict[str, float] = {"explicit": 0.4, "speculative": 0.4, "named": 0.2}
EVAL_KINDS = ("explicit", "speculative", "named")


@dataclass
class Sample:
    messages: list[Message]  # [{"role": "user"|"assistant"|"system", "content": str}, ...]
    poses: list[Pose]  # one single pose per <POSE> in the assistant turns, in order
    kind: str
    meta: dict[str, Any] = field(default_factory=dict)
    person_features: np.ndarray | None = None  # (N, F) float32 for a conversation about a photo's people
    pose_people: list[int] | None = None  # per <POSE>: which person (index into person_features), -1 none

    def pose_token_count(self) -> int:
        return sum(m["content"].count(POSE_TOKEN) for m in self.messages if m["role"] == "assistant")

    def to_json(self) -> dict[str, Any]:
        poses = [
            {"global_orient": pose.global_orient[0].tolist(), "body_pose": pose.body_pose[0].tolist()}
            for pose in self.poses
        ]
        record = {"messages": self.messages, "poses": poses, "kind": self.kind, "meta": self.meta}
        if self.person_features is not None:
            record["person_features"] = np.round(self.person_features, 5).tolist()
            record["pose_people"] = list(self.pose_people or [])
        return record

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> "Sample":
        poses = [Pose(np.asarray(p["global_orient"]), np.asarray(p["body_pose"])) for p in record.get("poses", [])]
        features = record.get("person_features")
        return cls(
            list(record["messages"]), poses, record.get("kind", "chat"), dict(record.get("meta", {})),
            np.asarray(features, dtype=np.float32).reshape(len(features), -1) if features is not None else None,
            record.get("pose_people"),
        )


def save_samples(samples: Iterable[Sample], path: str | Path) -> Path:
    """One JSON object per line; poses as {"global_orient": [3], "body_pose": [69]}."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for sample in samples:
            handle.write(json.dumps(sample.to_json(), ensure_ascii=False) + "\n")
    return path


def load_samples(path: str | Path) -> list[Sample]:
    """Read what `save_samples` wrote (blank lines are skipped)."""
    samples = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                samples.append(Sample.from_json(json.loads(line)))
            except (KeyError, ValueError, TypeError) as error:
                raise ValueError(f"{path}:{number}: not a sample: {error}") from None
    return samples


# ---------------------------------------------------------------------------------------------
# Side words
# ---------------------------------------------------------------------------------------------

_SIDE_WORD = re.compile(r"\b(left|right)", re.IGNORECASE)


def swap_sides(text: str) -> str:
    """Swap "left" ↔ "right" (any case, also inside "leftward", "left-handed"), for mirrored poses."""

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        other = "right" if word.lower() == "left" else "left"
        if word.isupper():
            return other.upper()
        return other.capitalize() if word[0].isupper() else other

    return _SIDE_WORD.sub(swap, text)


# ---------------------------------------------------------------------------------------------
# Templates (each has an id "<family>#<index>" that `is_heldout("template", id)` decides on)
# ---------------------------------------------------------------------------------------------

_TEMPLATES = load("templates")  # posegpt/data/catalogues/templates.yaml, one family per list
EXPLICIT_REQUESTS: tuple[str, ...] = _TEMPLATES["explicit_request"]  # "{desc}": a captioner description
EXPLICIT_REPLIES: tuple[str, ...] = _TEMPLATES["explicit_reply"]
NAMED_REQUESTS: tuple[str, ...] = _TEMPLATES["named_request"]  # "{name}" / "{Name}": a readable name
NAMED_REPLIES: tuple[str, ...] = _TEMPLATES["named_reply"]
PAIR_REQUESTS: tuple[str, ...] = _TEMPLATES["pair_request"]  # "{a}" / "{b}": two readable names
PAIR_REPLIES: tuple[str, ...] = _TEMPLATES["pair_reply"]

#: Requests for N poses of a kind (posegpt/data/catalogues/several.yaml).
_SEVERAL = load("several")
SEVERAL_COUNTS = {2: "two", 3: "three", 4: "four"}  # how many poses a "several" request asks for

#: Questions about poses answered in words (posegpt/data/catalogues/qa.yaml).
QA_PAIRS: tuple[tuple[str, str], ...] = load("qa")


def template_ids(family: str, templates: Sequence[str]) -> list[tuple[str, str]]:
    """(id, template) pairs of one template family, ids "<family>#<index>"."""
    return [(f"{family}#{index}", text) for index, text in enumerate(templates)]


def is_reply_template(template_id: str) -> bool:
    """Whether a template id belongs to an assistant reply (not to what the user asks)."""
    family, _, index = template_id.partition("#")
    return family.endswith("_reply") or index.startswith("answer")


def templates_for(family: str, templates: Sequence[str], split: Split) -> list[tuple[str, str]]:
    """The templates a split may use: training ones for "train", held-out ones for "eval".

    Evaluation prompts must be unseen; the reply of an evaluation sample is only a reference
    text, so reply families give every template to "eval" (they need not have held-out ones).
    """
    if split == "eval" and family.endswith("_reply"):
        return template_ids(family, templates)
    wanted = split == "eval"
    chosen = [(tid, text) for tid, text in template_ids(family, templates) if is_heldout("template", tid) == wanted]
    if not chosen:
        raise ValueError(f"template family {family!r} has no {split} templates")
    return chosen


def readable_names(name: str, mirrored: bool = False) -> tuple[str, ...]:
    """Natural noun phrases for a named pose ("a warrior two pose"), sides swapped for a mirror
    (a name outside the pose library is said with spaces for underscores)."""
    entry = pose_library().get(name)
    phrases = (entry.names if entry is not None else ()) or (name.replace("_", " "),)
    return tuple(swap_sides(p) for p in phrases) if mirrored else phrases


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fill(template: str, **values: str) -> str:
    """Fill {x} and {X} (capitalised) placeholders."""
    filled = dict(values)
    filled.update({key.upper() if len(key) == 1 else key.capitalize(): _capitalised(v) for key, v in values.items()})
    return template.format(**filled)


# ---------------------------------------------------------------------------------------------
# Pose sources
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoseItem:
    """One pose with where it comes from (enough to decide whether it is held out)."""

    pose: Pose  # a single pose
    label: str  # "wave_left_hand", "wave_left_hand~mirrored", a sampler provenance, "mocap:run#35"
    sources: tuple[str, ...] = ()  # library pose names it derives from
    clips: tuple[str, ...] = ()  # mocap clips it derives from
    name: str | None = None  # the library name when it is a library pose (mirrored or not)
    mirrored: bool = False


def _split_allows(kind: str, names: Iterable[str], split: Split) -> bool:
    """Train: none of `names` is held out. Eval: there is at least one and all are held out."""
    names = list(names)
    if split == "train":
        return not any(is_heldout(kind, name) for name in names)  # type: ignore[arg-type]
    return bool(names) and all(is_heldout(kind, name) for name in names)  # type: ignore[arg-type]


def _mean_joint_distance(a: Pose, b: Pose) -> float:
    return float((a.joints() - b.joints()).norm(dim=-1).mean())


@lru_cache(maxsize=None)
def _library_pose(name: str) -> Pose:
    from posegpt.data.named_poses import named_pose

    return named_pose(name)


@lru_cache(maxsize=None)
def _is_mirror_distinct(name: str) -> bool:
    """Whether mirroring changes the pose visibly (symmetric poses are not worth a mirrored copy)."""
    pose = _library_pose(name)
    return _mean_joint_distance(pose, pose.mirrored()) > 0.02


@lru_cache(maxsize=None)
def plausible_library_names() -> frozenset[str]:
    """Named poses that pass `is_plausible` (a pose the checker rejects is left out of the data)."""
    from posegpt.data.named_poses import POSE_LIBRARY
    from posegpt.data.plausibility import is_plausible

    names = list(POSE_LIBRARY)
    plausible = is_plausible(Pose.concat([_library_pose(name) for name in names]))
    return frozenset(name for name, ok in zip(names, plausible) if ok)


@lru_cache(maxsize=None)
def library_items(split: Split) -> tuple[PoseItem, ...]:
    """The (plausible) named poses of a split and their mirrored versions (when they differ)."""
    from posegpt.data.named_poses import POSE_LIBRARY

    items = []
    for name in POSE_LIBRARY:
        if not _split_allows("pose", [name], split) or name not in plausible_library_names():
            continue
        pose = _library_pose(name)
        items.append(PoseItem(pose, name, (name,), name=name))
        if _is_mirror_distinct(name):
            items.append(PoseItem(pose.mirrored(), f"{name}~mirrored", (name,), name=name, mirrored=True))
    return tuple(items)


def _sources_in(provenance: str, known: Iterable[str]) -> tuple[str, ...]:
    """Library names mentioned in a sampler provenance string (whole words only)."""
    found = [name for name in known if re.search(rf"(?<![a-z0-9_]){re.escape(name)}(?![a-z0-9_])", provenance)]
    return tuple(sorted(set(found)))


@lru_cache(maxsize=8)
def sampler_items(split: Split, seed: int, count: int) -> tuple[PoseItem, ...]:
    """New poses made by `PoseSampler` from the split's library poses only (blends, perturbations…)."""
    from posegpt.data.sampler import PoseSampler

    library = library_items(split)
    sources = {item.label: item.pose for item in library}
    by_label = {item.label: item for item in library}
    items = []
    for pose, provenance in PoseSampler(seed).sample(sources, count):
        labels = _sources_in(provenance, by_label)
        names = tuple(sorted({name for label in labels for name in by_label[label].sources}))
        if not names or not _split_allows("pose", names, split):
            raise RuntimeError(f"sampler provenance {provenance!r} names no {split} source")
        items.append(PoseItem(pose, provenance, names))
    return tuple(items)


@lru_cache(maxsize=4)
def mocap_items(split: Split, step: int = 10) -> tuple[PoseItem, ...]:
    """Mocap frames (turned to face +z) of the split's clips; implausible frames are left out."""
    from posegpt.data.mocap import facing_normalised, mocap_poses
    from posegpt.data.plausibility import is_plausible

    items = []
    for clip, frames in mocap_poses(step=step, include_heldout=True).items():
        if not _split_allows("mocap_clip", [clip], split):
            continue
        frames = facing_normalised(frames)
        plausible = is_plausible(frames)
        items.extend(
            PoseItem(frames[i], f"mocap:{clip}#{i * step}", clips=(clip,)) for i in range(len(frames)) if plausible[i]
        )
    return tuple(items)


# ---------------------------------------------------------------------------------------------
# Pose edits ("now raise both arms", "mirror it", "sit down", ...), written in edits.yaml
# ---------------------------------------------------------------------------------------------

_ARM = ("collar", "shoulder", "elbow", "wrist", "hand")
_LEG = ("hip", "knee", "ankle", "foot")
ARM_JOINTS = {side: tuple(f"{side}_{part}" for part in _ARM) for side in ("left", "right")}
LEG_JOINTS = {side: tuple(f"{side}_{part}" for part in _LEG) for side in ("left", "right")}
BOTH_ARMS = ARM_JOINTS["left"] + ARM_JOINTS["right"]
BOTH_LEGS = ("pelvis",) + LEG_JOINTS["left"] + LEG_JOINTS["right"]
HEAD_JOINTS = ("neck", "head")
SPINE_JOINTS = ("spine1", "spine2", "spine3")
# every joint below the neck: "straighten up" out of a forward fold stands the whole body as it stands
BODY_JOINTS = BOTH_LEGS + SPINE_JOINTS + BOTH_ARMS
_END_JOINTS = tuple(SMPL_JOINT_NAMES.index(j) for j in ("left_wrist", "right_wrist", "left_ankle", "right_ankle", "head"))


def transplant(base: Pose, donor: Pose, joints: Iterable[str]) -> Pose:
    """`base` with the local rotations of `joints` taken from `donor` (both single poses)."""
    rotations = base.axis_angle().clone()  # (1, 24, 3)
    donor_rotations = donor.axis_angle()
    for joint in joints:
        index = SMPL_JOINT_NAMES.index(joint)
        rotations[:, index] = donor_rotations[:, index]
    return Pose.from_axis_angle(rotations)


def turned(base: Pose, turns: Iterable[tuple[str, str, float]]) -> Pose:
    """`base` with extra (joint, axis, degrees) turns applied on top of its local rotations."""
    axes = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0)}
    matrices = base.rotation_matrices().clone()  # (1, 24, 3, 3)
    for joint, axis, degrees in turns:
        index = SMPL_JOINT_NAMES.index(joint)
        extra = axis_angle_to_matrix(torch.tensor(axes[axis]) * float(np.deg2rad(degrees)))
        matrices[:, index] = extra @ matrices[:, index]
    return Pose.from_axis_angle(matrix_to_axis_angle(matrices))


def _asymmetry(pose: Pose, joints: Iterable[str]) -> float:
    """Largest distance (m) between a joint and its place in the mirrored pose."""
    indices = [SMPL_JOINT_NAMES.index(j) for j in joints]
    return float((pose.joints()[0, indices] - pose.mirrored().joints()[0, indices]).norm(dim=-1).max())


_ARM_ENDS = ("left_elbow", "right_elbow", "left_wrist", "right_wrist")
_LEG_ENDS = ("left_knee", "right_knee", "left_ankle", "right_ankle")


def _arms_asymmetric(before: Pose, after: Pose) -> bool:
    return _asymmetry(before, _ARM_ENDS) > 0.15


def _legs_asymmetric(before: Pose, after: Pose) -> bool:
    return _asymmetry(before, _LEG_ENDS) > 0.15


def _pelvis_lower(before: Pose, after: Pose) -> bool:
    """The pelvis sits at least 5 cm closer to the lowest foot than before."""

    def height(pose: Pose) -> float:
        joints = pose.joints()[0]
        return float(joints[0, 1] - joints[[7, 8, 10, 11], 1].min())

    return height(after) < height(before) - 0.05


@dataclass(frozen=True)
class Edit:
    """A follow-up instruction that changes the previous pose, and when it makes sense (one entry of
    posegpt/data/catalogues/edits.yaml; a sided entry gives two edits, "…_left" and "…_right").

    `apply` builds the new pose; the edit is used only when the previous pose passes every check
    in `requires`, at least one in `requires_any` (if given), none in `excludes`, and the new pose
    passes every check in `achieves`, fails every one in `loses`, satisfies `valid` and is
    plausible: so the words always describe a real, visible change.
    """

    name: str
    requests: tuple[str, ...]
    replies: tuple[str, ...]
    apply: Callable[[Pose], Pose]
    donors: tuple[str, ...] = ()  # library poses `apply` takes joints from
    requires: tuple[str, ...] = ()
    requires_any: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    achieves: tuple[str, ...] = ()
    loses: tuple[str, ...] = ()
    valid: Callable[[Pose, Pose], bool] | None = None
    apply_mirrors: bool = False  # the edit is a left↔right mirror (two in a row would undo it)


def _from(donor: str, joints: Sequence[str], mirrored: bool = False) -> Callable[[Pose], Pose]:
    def apply(base: Pose) -> Pose:
        pose = _library_pose(donor)
        return transplant(base, pose.mirrored() if mirrored else pose, joints)

    return apply


def _sided_edits(name: str, requests: tuple[str, ...], replies: tuple[str, ...], donor: str, check: str,
                 achieve: bool, extra_right_requests: tuple[str, ...] = ()) -> list[Edit]:
    """A left-side edit written once, and its right-side twin (words swapped, donor mirrored)."""
    edits = []
    for side in ("left", "right"):
        mirrored = side == "right"
        donor_is_left = "left" in donor
        side_check = check if side == "left" else swap_sides(check)
        words = requests if side == "left" else tuple(swap_sides(r) for r in requests) + extra_right_requests
        edits.append(Edit(
            f"{name}_{side}", words, replies if side == "left" else tuple(swap_sides(r) for r in replies),
            _from(donor, ARM_JOINTS[side], mirrored=mirrored and donor_is_left), (donor,),
            requires=("torso_upright",),
            excludes=(side_check,) if achieve else (),
            requires_any=() if achieve else (side_check,),
            achieves=(side_check,) if achieve else (),
            loses=() if achieve else (side_check,),
        ))
    return edits


def _mirror(pose: Pose) -> Pose:
    return pose.mirrored()


def _mirrored_part(joints: Sequence[str]) -> Callable[[Pose], Pose]:
    """Those joints taken from the pose's own mirror image: "now the other leg" switches the legs
    of a lunge and keeps its arms, whatever they do. The root is kept (the mirror of a turned body
    faces the other way: the legs switch, the body does not turn)."""
    limbs = tuple(joint for joint in joints if joint != "pelvis")

    def apply(base: Pose) -> Pose:
        return transplant(base, base.mirrored(), limbs)

    return apply


def _turning(turns: tuple[tuple[str, str, float], ...]) -> Callable[[Pose], Pose]:
    def apply(base: Pose) -> Pose:
        return turned(base, turns)

    return apply


#: The names edits.yaml uses (`posegpt.data.catalogue.EDIT_VALIDATORS` / `EDIT_JOINT_GROUPS`).
EDIT_VALIDATORS: dict[str, Callable[[Pose, Pose], bool]] = {
    "arms_asymmetric": _arms_asymmetric,
    "legs_asymmetric": _legs_asymmetric,
    "pelvis_lower": _pelvis_lower,
}
EDIT_JOINT_GROUPS: dict[str, tuple[str, ...]] = {"both_arms": BOTH_ARMS, "both_legs": BOTH_LEGS, "head": HEAD_JOINTS, "body": BODY_JOINTS}


def _edits() -> tuple[Edit, ...]:
    """The edits of posegpt/data/catalogues/edits.yaml, sided ones as their left and right twins."""
    edits: list[Edit] = []
    for name, record in load("edits").items():
        if record["sided"] is not None:
            sided = record["sided"]
            edits += _sided_edits(name, record["requests"], record["replies"], sided["donor"], sided["check"],
                                  sided["achieve"], record["right_only_requests"])
            continue
        kind, *details = record["change"]
        if kind == "mirror":
            apply, donors = (_mirror if not details else _mirrored_part(EDIT_JOINT_GROUPS[details[0]])), ()
        elif kind == "turns":
            apply, donors = _turning(details[0]), ()
        else:
            donor, group = details
            apply, donors = _from(donor, EDIT_JOINT_GROUPS[group]), (donor,)
        edits.append(Edit(
            name, record["requests"], record["replies"], apply, donors,
            requires=record["requires"], requires_any=record["requires_any"], excludes=record["excludes"],
            achieves=record["achieves"], loses=record["loses"],
            valid=EDIT_VALIDATORS[record["valid"]] if record["valid"] else None, apply_mirrors=kind == "mirror",
        ))
    return tuple(edits)


EDITS: tuple[Edit, ...] = _edits()
EDITS_BY_NAME: dict[str, Edit] = {edit.name: edit for edit in EDITS}


def _all_check_names(edit: Edit) -> tuple[str, ...]:
    return tuple(dict.fromkeys(edit.requires + edit.requires_any + edit.excludes + edit.achieves + edit.loses))


# A training edit moves a wrist, an ankle or the head at least this far (metres): a change the
# picture shows. A user's follow-up needs no such margin (`posegpt.follow_ups`): tilting the head
# down moves the head joint less, and the edit's `achieves` checks already say it happened.
VISIBLE_EDIT_MOTION = 0.15


def apply_edit(edit: Edit, base: Pose, least_motion: float = VISIBLE_EDIT_MOTION) -> Pose | None:
    """The edited pose, or None when the edit does not fit this pose (see `Edit`) or moves no
    wrist, ankle or the head by `least_motion` metres."""
    from posegpt.data.plausibility import is_plausible
    from posegpt.eval.checks import run_checks

    names = _all_check_names(edit)
    before = run_checks(base, names)
    if not all(before[c] for c in edit.requires) or any(before[c] for c in edit.excludes):
        return None
    if edit.requires_any and not any(before[c] for c in edit.requires_any):
        return None
    after_pose = edit.apply(base)
    after = run_checks(after_pose, names)
    if not all(after[c] for c in edit.achieves) or any(after[c] for c in edit.loses):
        return None
    if edit.valid is not None and not edit.valid(base, after_pose):
        return None
    moved = (after_pose.joints()[0, _END_JOINTS] - base.joints()[0, _END_JOINTS]).norm(dim=-1).max()
    if float(moved) < least_motion or not bool(is_plausible(after_pose)[0]):
        return None
    return after_pose


# ---------------------------------------------------------------------------------------------
# Questions about poses that need no pose in the answer
# ---------------------------------------------------------------------------------------------


QA_FAMILY = "qa"


def qa_pairs(split: Split) -> list[tuple[str, str, str]]:
    """(template id, question, answer) of the split (held-out pairs are kept for evaluation)."""
    wanted = split == "eval"
    return [(f"{QA_FAMILY}#{i}", q, a) for i, (q, a) in enumerate(QA_PAIRS) if is_heldout("template", f"{QA_FAMILY}#{i}") == wanted]


# ---------------------------------------------------------------------------------------------
# General chat (self-distillation data written by `posegpt.data.general_chat`)
# ---------------------------------------------------------------------------------------------


def general_chat_path() -> Path:
    from posegpt.paths import ASSETS_DIR

    return ASSETS_DIR / "data" / "general_chat.jsonl"


@lru_cache(maxsize=4)
def _general_chat(path: str) -> tuple[Sample, ...]:
    from posegpt.data.general_chat import read_chat_jsonl

    records = read_chat_jsonl(path)
    return tuple(
        Sample(
            [dict(m) for m in record["messages"]], [], "chat",
            {"source": record.get("source", "general_chat"), "pose_sources": [], "mocap_clips": [], "templates": [], "references": []},
        )
        for record in records
    )


def general_chat_samples(path: str | Path | None = None) -> list[Sample]:
    """The general-chat conversations, unchanged (empty when the file does not exist)."""
    path = Path(path) if path is not None else general_chat_path()
    if not path.is_file():
        return []
    return list(_general_chat(str(path)))


# ---------------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------------

CHAT_MAX_REPEATS = 2  # a general-chat conversation appears at most this often in one build
EXPLICIT_SOURCE_WEIGHTS = {"library": 0.35, "sampler": 0.40, "mocap": 0.25}
SAMPLER_POSES = {"train": 1500, "eval": 300}
EVAL_TRIES = 20  # draws to find an evaluation prompt with at least one check
DESCRIPTIONS_PER_POSE = 4  # the captioner's different descriptions of one pose to choose from


def _user(text: str) -> Message:
    return {"role": "user", "content": text}


def _assistant(text: str) -> Message:
    return {"role": "assistant", "content": text}


class _Builder:
    """Makes samples of one split; every random choice comes from a per-kind seeded generator."""

    def __init__(self, split: Split, seed: int, sampler_poses: int | None = None, described: bool = False) -> None:
        if split not in ("train", "eval"):
            raise ValueError(f"split must be 'train' or 'eval', got {split!r}")
        self.split: Split = split
        self.described = described
        self.seed = seed
        self.sampler_poses = SAMPLER_POSES[split] if sampler_poses is None else sampler_poses
        self._captioner: Any = None
        self._usable_edits: tuple[Edit, ...] | None = None

    # -- shared pieces ------------------------------------------------------------------------

    @property
    def captioner(self) -> Any:
        if self._captioner is None:
            from posegpt.data.captioner import Captioner

            self._captioner = Captioner(self.seed)
        return self._captioner

    def templates(self, family: str, texts: Sequence[str]) -> list[tuple[str, str]]:
        return templates_for(family, texts, self.split)

    def library_pool(self) -> tuple[PoseItem, ...]:
        """The library poses (and mirror images) this builder asks for by name or description."""
        return library_items(self.split)

    def said(self, pose: Pose) -> str:
        """What the body of `pose` does, in a reply's words (`Captioner.said`)."""
        return self.captioner.said(pose)

    def described_reply(self, rng: random.Random, reply: str, poses: Sequence[Pose]) -> str:
        """`reply` with each <POSE> preceded by the words of its pose (unchanged unless `described`)."""
        parts = reply.split(POSE_TOKEN)
        if not self.described or len(parts) != len(poses) + 1:
            return reply
        text = parts[0]
        for pose, after in zip(poses, parts[1:]):
            if text and not text.endswith((" ", "\n")):
                text += " "
            text += f"{self.said(pose)} {POSE_TOKEN}{after}"
        return text

    def explicit_item(self, rng: random.Random) -> PoseItem:
        pools = {
            "library": self.library_pool(),
            "sampler": sampler_items(self.split, self.seed, self.sampler_poses) if self.sampler_poses else (),
            "mocap": mocap_items(self.split),
        }
        names = [name for name in EXPLICIT_SOURCE_WEIGHTS if pools[name]]
        source = rng.choices(names, [EXPLICIT_SOURCE_WEIGHTS[n] for n in names])[0]
        return rng.choice(pools[source])

    def explicit_turn(self, rng: random.Random, item: PoseItem) -> tuple[Message, Message, list[str], list[Any]]:
        """(user, assistant, template ids, posecodes said) asking for `item` by its geometry."""
        described = rng.choice(self.captioner.describe_with_posecodes(item.pose, DESCRIPTIONS_PER_POSE))
        description, codes = described.text, list(described.posecodes)
        request_id, request = rng.choice(self.templates("explicit_request", EXPLICIT_REQUESTS))
        reply_id, reply = rng.choice(self.templates("explicit_reply", EXPLICIT_REPLIES))
        text = request.replace("{desc}", description)
        return _user(text), _assistant(self.described_reply(rng, reply, [item.pose])), [request_id, reply_id], codes

    def named_turn(self, rng: random.Random, item: PoseItem) -> tuple[Message, Message, list[str]]:
        phrase = rng.choice(readable_names(item.name or item.label, item.mirrored))
        request_id, request = rng.choice(self.templates("named_request", NAMED_REQUESTS))
        reply_id, reply = rng.choice(self.templates("named_reply", NAMED_REPLIES))
        reply = self.described_reply(rng, _fill(reply, name=phrase), [item.pose])
        return _user(_fill(request, name=phrase)), _assistant(reply), [request_id, reply_id]

    @staticmethod
    def _meta(items: Sequence[PoseItem], templates: Sequence[str], **extra: Any) -> dict[str, Any]:
        return {
            "pose_sources": sorted({name for item in items for name in item.sources}),
            "mocap_clips": sorted({clip for item in items for clip in item.clips}),
            "templates": list(templates),
            "references": [item.label for item in items],
            **extra,
        }

    # -- kinds ----------------------------------------------------------------------------------

    def explicit(self, rng: random.Random) -> Sample:
        for _ in range(EVAL_TRIES):
            item = self.explicit_item(rng)
            user, assistant, ids, codes = self.explicit_turn(rng, item)
            meta = self._meta([item], ids, reference=item.label, mirrored=item.mirrored)
            if self.split == "train":
                break
            # An evaluation prompt needs at least one check its description asked for.
            meta.update(kind="explicit", checks=description_checks(item.pose, codes))
            if meta["checks"]:
                break
        return Sample([user, assistant], [item.pose], "explicit", meta)

    def named(self, rng: random.Random) -> Sample:
        for _ in range(EVAL_TRIES):
            item = rng.choice(self.library_pool())
            user, assistant, ids = self.named_turn(rng, item)
            meta = self._meta([item], ids, reference=item.label, mirrored=item.mirrored)
            if self.split == "train":
                break
            meta.update(kind="named", checks=pose_checks(item.pose))
            if meta["checks"]:
                break
        return Sample([user, assistant], [item.pose], "named", meta)

    def pair(self, rng: random.Random) -> Sample:
        first, second = rng.sample(self.library_pool(), 2)
        a = rng.choice(readable_names(first.name or first.label, first.mirrored))
        b = rng.choice(readable_names(second.name or second.label, second.mirrored))
        request_id, request = rng.choice(self.templates("pair_request", PAIR_REQUESTS))
        reply_id, reply = rng.choice(self.templates("pair_reply", PAIR_REPLIES))
        reply = self.described_reply(rng, _fill(reply, a=a, b=b), [first.pose, second.pose])
        return Sample(
            [_user(_fill(request, a=a, b=b)), _assistant(reply)],
            [first.pose, second.pose], "pair", self._meta([first, second], [request_id, reply_id]),
        )

    def several(self, rng: random.Random) -> Sample:
        """A request for N (2–4) poses of one category, answered with N described library poses."""
        by_name: dict[str, list[PoseItem]] = {}
        library = pose_library()
        while True:
            category, phrases = rng.choice(list(_SEVERAL["subjects"].items()))
            by_name = {}
            for item in self.library_pool():
                base = item.name or item.label
                if category == "any" or (base in library and library[base].category == category):
                    by_name.setdefault(base, []).append(item)
            if len(by_name) >= 2:
                break
        count = rng.randint(2, min(max(SEVERAL_COUNTS), len(by_name)))
        items = [rng.choice(by_name[name]) for name in rng.sample(sorted(by_name), count)]
        number = rng.choice((SEVERAL_COUNTS[count], str(count)))
        subject = rng.choice(phrases)
        request_id, request = rng.choice(self.templates("several_request", _SEVERAL["requests"]))
        lead_id, lead = rng.choice(self.templates("several_reply", _SEVERAL["leads"]))
        item_id, item_text = rng.choice(self.templates("several_item_reply", _SEVERAL["items"]))
        shown = [_fill(item_text, i=str(index), name=rng.choice(readable_names(item.name or item.label, item.mirrored)),
                       said=self.said(item.pose)).replace(" ,", ",")
                 for index, item in enumerate(items, start=1)]
        reply = " ".join([_fill(lead, n=number, subject=subject), *shown])
        return Sample([_user(_fill(request, n=number, subject=subject)), _assistant(reply)],
                      [item.pose for item in items], "several",
                      self._meta(items, [request_id, lead_id, item_id], category=category))

    def _speculative_choices(self) -> list[tuple[Any, str, str]]:
        """(situation, phrasing id, phrasing) the split may ask, in a fixed order."""
        from posegpt.data.speculative import SITUATIONS, answer_templates, phrasings

        choices = []
        for situation in SITUATIONS.values():
            if not self.answer_poses(situation):
                continue
            if self.split == "train" and not answer_templates(situation, "train"):
                continue
            choices.extend((situation, pid, text) for pid, text in phrasings(situation, self.split))
        return choices

    def answer_poses(self, situation: Any) -> list[str]:
        """The plausible family poses a situation is answered with: training poses (evaluation too
        prefers them: the test is the unseen situation or wording, not an unseen body)."""
        from posegpt.data.speculative import family_poses

        plausible = plausible_library_names()
        names = [name for name in family_poses(situation, "train") if name in plausible]
        if not names and self.split == "eval":
            names = [name for name in family_poses(situation, "eval") if name in plausible]
        return names

    def speculative_turn(self, rng: random.Random, choice: tuple[Any, str, str]) -> tuple[Message, Message, PoseItem, dict[str, Any]]:
        from posegpt.data.speculative import SHOWN_SIDE, answer_templates, mirrored_check

        situation, phrasing_id, phrasing = choice
        name = rng.choice(self.answer_poses(situation))
        # Always one side, SHOWN_SIDE: a prompt that names no side would otherwise get two opposite
        # targets and a regression loss would average them into neither. The checks are written
        # for the authored (left) side, so a mirrored pose gets them mirrored. Evaluation accepts
        # the mirror image of a side-free answer ("any_side").
        mirrored = SHOWN_SIDE == "right" and _is_mirror_distinct(name)
        pose = _library_pose(name)
        item = PoseItem(pose.mirrored(), f"{name}~mirrored", (name,), name=name, mirrored=True) if mirrored \
            else PoseItem(pose, name, (name,), name=name)
        checks = [mirrored_check(c) for c in situation.checks] if mirrored else list(situation.checks)
        answer_id, answer = rng.choice(answer_templates(situation, self.split))
        extra = {
            "situation": situation.name,
            "checks": checks,
            "any_side": situation.side_free,
            "mirrored_checks": [mirrored_check(c) for c in checks],
            "unseen": "situation" if self.split == "eval" and is_heldout("situation", situation.name) else "phrasing",
        }
        answer = self.described_reply(rng, answer, [item.pose])
        return _user(phrasing), _assistant(answer), item, {"templates": [phrasing_id, answer_id], **extra}

    def speculative(self, rng: random.Random, choice: tuple[Any, str, str] | None = None) -> Sample:
        choice = choice or rng.choice(self._speculative_choices())
        user, assistant, item, extra = self.speculative_turn(rng, choice)
        templates = extra.pop("templates")
        meta = self._meta([item], templates, reference=item.label, mirrored=item.mirrored, **extra)
        if self.split == "eval":
            meta["kind"] = "speculative"
        else:
            meta.pop("unseen")
        return Sample([user, assistant], [item.pose], "speculative", meta)

    def edit(self, rng: random.Random) -> Sample:
        """A training pose, then one or two follow-up instructions, each with the edited pose."""
        if self.split != "train":
            raise ValueError("edit conversations are training data only")
        bases = library_items("train")
        for _ in range(200):
            base = rng.choice(bases)
            turns = self._edit_chain(rng, base.pose, 2 if rng.random() < 0.3 else 1)
            if turns:
                break
        else:
            raise RuntimeError("no edit applies to any training pose")
        if rng.random() < 0.6:
            user, assistant, ids = self.named_turn(rng, base)
        else:
            user, assistant, ids, _ = self.explicit_turn(rng, base)
        messages, poses, donors = [user, assistant], [base.pose], set()
        for edit, edited in turns:
            request_id, request = rng.choice(self.templates(f"edit_{edit.name}", edit.requests))
            reply_id, reply = rng.choice(self.templates(f"edit_{edit.name}_reply", edit.replies))
            messages += [_user(request), _assistant(self.described_reply(rng, reply, [edited]))]
            poses.append(edited)
            ids += [request_id, reply_id]
            donors.update(edit.donors)
        meta = self._meta([base], ids, reference=base.label, edits=[edit.name for edit, _ in turns])
        meta["pose_sources"] = sorted(set(meta["pose_sources"]) | donors)
        return Sample(messages, poses, "edit", meta)

    def _edit_chain(self, rng: random.Random, pose: Pose, length: int) -> list[tuple[Edit, Pose]]:
        """Up to `length` edits that apply one after the other (no edit twice, no mirror after mirror)."""
        turns: list[tuple[Edit, Pose]] = []
        for _ in range(length):
            candidates = list(self.usable_edits())
            rng.shuffle(candidates)
            used = {edit.name for edit, _ in turns}
            after_mirror = bool(turns) and turns[-1][0].apply_mirrors
            for edit in candidates:
                if edit.name in used or (after_mirror and edit.apply_mirrors):
                    continue
                edited = apply_edit(edit, pose)
                if edited is not None:
                    turns.append((edit, edited))
                    pose = edited
                    break
            else:
                break
        return turns

    def usable_edits(self) -> tuple[Edit, ...]:
        """Edits with training wordings whose donor poses exist in the library."""
        from posegpt.data.named_poses import POSE_LIBRARY

        if self._usable_edits is None:
            self._usable_edits = tuple(
                edit for edit in EDITS
                if all(donor in POSE_LIBRARY for donor in edit.donors)
                and self.templates_or_none(f"edit_{edit.name}", edit.requests)
                and self.templates_or_none(f"edit_{edit.name}_reply", edit.replies)
            )
        return self._usable_edits

    def templates_or_none(self, family: str, texts: Sequence[str]) -> list[tuple[str, str]]:
        try:
            return self.templates(family, texts)
        except ValueError:
            return []

    def qa(self, rng: random.Random) -> Sample:
        qa_id, question, answer = rng.choice(qa_pairs(self.split))
        return Sample([_user(question), _assistant(answer)], [], "qa", self._meta([], [qa_id]))

    def mixed(self, rng: random.Random) -> Sample:
        qa_id, question, answer = rng.choice(qa_pairs(self.split))
        style = rng.choice(("named", "explicit", "speculative"))
        if style == "speculative":
            user, assistant, item, extra = self.speculative_turn(rng, rng.choice(self._speculative_choices()))
            ids, situation = extra["templates"], extra["situation"]
        else:
            item = rng.choice(self.library_pool())
            if style == "named":
                user, assistant, ids = self.named_turn(rng, item)
            else:
                user, assistant, ids, _ = self.explicit_turn(rng, item)
            situation = None
        pose_turn, question_turn = [user, assistant], [_user(question), _assistant(answer)]
        messages = pose_turn + question_turn if rng.random() < 0.5 else question_turn + pose_turn
        meta = self._meta([item], [qa_id, *ids], reference=item.label)
        if situation:
            meta["situation"] = situation
        return Sample(messages, [item.pose], "mixed", meta)


class _HeldOutContentBuilder(_Builder):
    """Training-style conversations (training templates and replies only) that ask for the library
    poses and situations evaluation holds out: for the shipped pose bank alone
    (`build_heldout_content`), never for fitting a model."""

    def __init__(self, seed: int, described: bool) -> None:
        super().__init__("train", seed, sampler_poses=0, described=described)

    def library_pool(self) -> tuple[PoseItem, ...]:
        return library_items("eval")  # the held-out library poses and their mirror images

    def explicit_item(self, rng: random.Random) -> PoseItem:
        return rng.choice(self.library_pool())  # described by their geometry, as training library poses are

    def _speculative_choices(self) -> list[tuple[Any, str, str]]:
        from posegpt.data.speculative import heldout_situations, unheld_phrasings

        return [(situation, pid, text) for situation in heldout_situations() if self.answer_poses(situation)
                for pid, text in unheld_phrasings(situation)]

    def answer_poses(self, situation: Any) -> list[str]:
        """Training family poses as training answers them, else held-out ones (as evaluation does)."""
        from posegpt.data.speculative import family_poses

        return super().answer_poses(situation) or [name for name in family_poses(situation, "eval")
                                                   if name in plausible_library_names()]


# The kinds of conversation the shipped bank adds for held-out content (`build_heldout_content`):
# those that ask for a library pose (by its description or its name) or a situation.
HELDOUT_CONTENT_KINDS = ("explicit", "named", "speculative")


def build_heldout_content(training_size: int, mix: dict[str, float], seed: int = 0, described: bool = False) -> list[Sample]:
    """Conversations about the poses and situations evaluation holds out, as many per pose and per
    situation as `training_size` training conversations of `mix` (`build_dataset`) hold about
    each training one, in training templates only (held-out templates stay unseen everywhere).

    Why: the split keeps a fifth of the library and the situations out of training so that `eval
    text2pose` can measure unseen content; but a pose bank that never holds them cannot show a user
    a jumping jack or a snow angel. The shipped bank holds them, flagged (`PoseBank.heldout`), and
    every evaluation of unseen content looks them up without those entries
    (`PoseBank.without_heldout`)."""
    from posegpt.data.speculative import SITUATIONS

    builder = _HeldOutContentBuilder(seed, described)
    training = _Builder("train", seed, sampler_poses=0)
    held_library, train_library = len(builder.library_pool()), len(library_items("train"))
    held_situations = len({id(choice[0]) for choice in builder._speculative_choices()})
    train_situations = sum(1 for situation in SITUATIONS.values() if training.answer_poses(situation)
                           and not is_heldout("situation", situation.name))
    total = sum(mix.values())
    per_kind = {
        "explicit": EXPLICIT_SOURCE_WEIGHTS["library"] * held_library / train_library,
        "named": held_library / train_library,
        "speculative": held_situations / max(train_situations, 1),
    }
    samples: list[Sample] = []
    for kind in HELDOUT_CONTENT_KINDS:
        count = round(training_size * mix.get(kind, 0.0) / total * per_kind[kind])
        if count:
            samples += _build_kind(builder, kind, count, random.Random(f"{seed}:heldout_content:{kind}"))
    random.Random(f"{seed}:heldout_content:shuffle").shuffle(samples)
    return samples


def _sample_key(sample: Sample) -> str:
    return json.dumps([sample.messages, sample.meta.get("references")], sort_keys=True)


def _counts(mix: dict[str, float], size: int) -> dict[str, int]:
    """Split `size` over the kinds by weight (largest remainder, deterministic)."""
    total = sum(mix.values())
    exact = {kind: size * weight / total for kind, weight in mix.items()}
    counts = {kind: int(value) for kind, value in exact.items()}
    for kind in sorted(exact, key=lambda k: (counts[k] - exact[k], k))[: size - sum(counts.values())]:
        counts[kind] += 1
    return counts


def build_dataset(
    split: Split, size: int, seed: int = 0, mix: dict[str, float] | None = None,
    general_chat: str | Path | None = None, sampler_poses: int | None = None, described: bool = False,
) -> list[Sample]:
    """`size` samples of one split, mixed by kind, shuffled; the same arguments give the same list.

    "train" never touches a held-out pose, situation, template or mocap clip; "eval" uses only
    held-out ones and every sample's `meta` carries "kind" (explicit/speculative/named), "checks"
    (check names any right answer passes) and "reference" (the pose's label; the pose itself is
    `sample.poses[0]`). Evaluation samples are unique; when the held-out material runs out the
    list is shorter than `size`. General chat is read from `general_chat` (default
    ``assets/data/general_chat.jsonl``); without it its share goes to the other kinds.
    `sampler_poses` new poses are made by `PoseSampler` for explicit prompts (default
    `SAMPLER_POSES`; ~20 ms each, made once per split and seed). `described`: pose replies say
    in words what each pose shows before its ``<POSE>`` (see the module docstring).
    """
    mix = dict(mix if mix is not None else (TRAIN_MIX if split == "train" else EVAL_MIX))
    if split == "eval":
        unknown = set(mix) - set(EVAL_KINDS) - {"qa"}
        if unknown:
            raise ValueError(f"evaluation kinds are {EVAL_KINDS} (and 'qa'); got {sorted(unknown)}")
    unknown = set(mix) - set(TRAIN_MIX)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}; known: {sorted(TRAIN_MIX)}")
    chat = general_chat_samples(general_chat) if split == "train" and mix.get("chat") else []
    if not chat:
        mix.pop("chat", None)
    mix = {kind: weight for kind, weight in mix.items() if weight > 0}
    if not mix:
        raise ValueError("the mix has no kind with a positive weight")
    builder = _Builder(split, seed, sampler_poses, described)
    counts = _counts(mix, size)
    if chat and counts.get("chat", 0) > CHAT_MAX_REPEATS * len(chat):
        # Few general chats: repeat each at most CHAT_MAX_REPEATS times, the rest goes to pose kinds.
        counts["chat"] = CHAT_MAX_REPEATS * len(chat)
        others = {kind: weight for kind, weight in mix.items() if kind != "chat"}
        if others:
            counts.update(_counts(others, size - counts["chat"]))
    samples: list[Sample] = []
    for kind, count in counts.items():
        rng = random.Random(f"{seed}:{split}:{kind}")
        if kind == "chat":
            order = list(chat)
            rng.shuffle(order)
            samples += [order[i % len(order)] for i in range(count)]
            continue
        samples += _build_kind(builder, kind, count, rng)
    random.Random(f"{seed}:{split}:shuffle").shuffle(samples)
    return samples


def _build_kind(builder: _Builder, kind: str, count: int, rng: random.Random) -> list[Sample]:
    make = getattr(builder, kind)
    unique = builder.split == "eval"
    seen: set[str] = set()
    samples: list[Sample] = []
    if kind == "speculative" and unique:
        # Walk the held-out phrasings in a shuffled order so every one is asked before any repeats.
        choices = builder._speculative_choices()
        rng.shuffle(choices)
        for round_ in range(4):
            for choice in choices:
                if len(samples) >= count:
                    return samples
                sample = make(rng, choice)
                if _sample_key(sample) not in seen:
                    seen.add(_sample_key(sample))
                    samples.append(sample)
        return samples
    misses = 0
    while len(samples) < count:
        sample = make(rng)
        key = _sample_key(sample)
        if key in seen:
            misses += 1
            if unique:
                if misses > 200:
                    break  # the held-out material is used up
                continue
            if misses <= 20:
                continue  # training accepts a repeat only when new samples are hard to find
        misses = 0
        seen.add(key)
        samples.append(sample)
    return samples


# ---------------------------------------------------------------------------------------------
# Checks attached to evaluation samples
# ---------------------------------------------------------------------------------------------

# Posecode (topic, value) → check names, per side ("{s}" = the code's side; "both" → both sides or
# the two-sided check). Used only where the check says the same thing as the words.
_POSTURE_CHECKS: dict[str, tuple[str, ...]] = {
    "sitting": ("sitting",), "sitting_floor": ("sitting",), "kneeling": ("kneeling",),
    "kneeling_one": ("kneeling",), "kneeling_on_heels": ("kneeling",), "squatting": ("squatting",),
    "lying_back": ("lying_on_back",), "lying_stomach": ("lying_on_stomach",), "lying_side": ("lying",),
}
_SIDED_CHECKS: dict[tuple[str, str], tuple[str, str | None]] = {
    # (topic, value): (one-side check pattern, two-sided check or None = both one-side checks)
    ("arm", "up"): ("{s}_wrist_above_head", "both_wrists_above_head"),
    ("arm", "up_side"): ("{s}_wrist_above_shoulder", None),
    ("arm", "up_forward"): ("{s}_wrist_above_shoulder", None),
    ("arm", "up_across"): ("{s}_wrist_above_shoulder", None),
    ("arm", "forward"): ("{s}_arm_forward", "arms_forward"),
    ("arm", "side"): ("", "arms_out_to_sides"),
    ("arm", "down"): ("", "wrists_below_shoulders"),
    ("elbow", "bent"): ("{s}_elbow_bent", "elbows_bent"),
    ("elbow", "ninety"): ("{s}_elbow_bent", "elbows_bent"),
    ("elbow", "fully_bent"): ("{s}_elbow_bent", "elbows_bent"),
    ("hand_on", "face"): ("{s}_hand_near_head", None),
    ("hand_on", "head"): ("{s}_hand_near_head", None),
    ("hand_on", "back_of_head"): ("{s}_hand_near_head", None),
    ("hand_on", "side_of_head"): ("{s}_hand_near_head", None),
    ("hand_on", "chin"): ("{s}_hand_near_head", None),
    ("hand_on", "hip_same"): ("", "hands_on_hips"),
    ("hand_height", "above_head"): ("{s}_wrist_above_head", "both_wrists_above_head"),
    ("hand_height", "head_level"): ("{s}_wrist_above_shoulder", None),
    ("hand_height", "above_shoulder"): ("{s}_wrist_above_shoulder", None),
    ("knee", "bent"): ("{s}_knee_bent", "knees_bent"),
    ("knee", "ninety"): ("{s}_knee_bent", "knees_bent"),
    ("knee", "fully_bent"): ("{s}_knee_bent", "knees_bent"),
    ("knee", "straight"): ("", "legs_straight"),
    ("knee_height", "above_hip"): ("{s}_knee_raised", None),
    ("foot", "raised"): ("{s}_foot_raised", None),
    ("foot", "raised_high"): ("{s}_foot_raised", None),
    ("foot_forward", "forward"): ("{s}_leg_forward", None),
}
_UNSIDED_CHECKS: dict[tuple[str, str], tuple[str, ...]] = {
    ("hands", "together"): ("hands_together",), ("hands", "together_front"): ("hands_together",),
    ("hands", "together_overhead"): ("hands_together", "both_wrists_above_head"),
    ("hands", "together_behind"): ("hands_together",),
    ("feet", "together"): ("feet_together",), ("feet", "apart"): ("feet_apart",), ("feet", "wide"): ("feet_apart",),
    ("legs", "spread"): ("feet_apart",),
    ("torso", "folded"): ("torso_bent_forward",), ("torso", "bent_forward"): ("torso_bent_forward",),
    ("torso", "arched_back"): ("torso_leaning_back",), ("torso", "leaning_back"): ("torso_leaning_back",),
    ("head", "up"): ("head_up",), ("head", "down"): ("head_down",),
}


def posecode_checks(codes: Iterable[Any]) -> list[str]:
    """The check names that say what these posecodes say (codes with no such check are skipped).

    Sided codes may come per side or merged (side "both"); the same fact on both sides maps to
    the two-sided check where there is one ("both arms up" → both_wrists_above_head).
    """
    checks: list[str] = []
    sides: dict[tuple[str, str], set[str]] = {}
    for code in codes:
        key = (code.topic, code.value)
        if code.topic == "posture":
            checks += _POSTURE_CHECKS.get(code.value, ())
            if code.value == "standing_one_leg" and code.side in ("left", "right"):
                checks.append(f"{swap_sides(code.side)}_foot_raised")  # side = the supporting leg
        elif key in _UNSIDED_CHECKS:
            checks += _UNSIDED_CHECKS[key]
        elif key in _SIDED_CHECKS and code.side in ("left", "right", "both"):
            sides.setdefault(key, set()).update(("left", "right") if code.side == "both" else (code.side,))
    for key, found in sides.items():
        one_side, both = _SIDED_CHECKS[key]
        if found == {"left", "right"} and both:
            checks.append(both)
        elif one_side:
            checks += [one_side.format(s=side) for side in ("left", "right") if side in found]
    return list(dict.fromkeys(checks))


def _verified(pose: Pose, checks: list[str]) -> list[str]:
    """Keep the checks the reference pose itself passes (the captioner and the checks measure
    slightly differently; a check its own reference fails would only add noise)."""
    from posegpt.eval.checks import run_checks

    passed = run_checks(pose, checks)
    return [name for name in checks if passed[name]]


ESSENTIAL_SALIENCE = 0.75  # the captioner's "always worth saying" level


def description_checks(pose: Pose, codes: Iterable[Any]) -> list[str]:
    """Checks for an explicit prompt: what its description said, as checks the reference passes."""
    return _verified(pose, posecode_checks(codes))


def pose_checks(pose: Pose) -> list[str]:
    """Checks for a named prompt: the pose's essential facts (posecodes of salience ≥ 0.75)."""
    from posegpt.data.captioner import Captioner

    codes = [code for code in Captioner().posecodes(pose) if code.salience >= ESSENTIAL_SALIENCE]
    return _verified(pose, posecode_checks(codes))
