"""The catalogues: hand-written content (poses, situations, templates, phrasings) read from YAML files.

The content grows by hand — hundreds of situations, poses and phrasings — and a data file is
easier to write, review and diff than Python literals, while the code that uses it stays short.
The files live in ``posegpt/data/catalogues/`` (one per catalogue, each explaining its format in
its header); this module is the one loader for all of them. It validates a file the first time
it is read — required keys, types, known joint / check / pose names, duplicate names, references
between catalogues, placeholders and ``<POSE>`` counts — and raises `CatalogueError` naming the
file, line and entry, so a typo fails at once instead of turning into wrong training data. Loads
are cached: each file is parsed and checked once per process, when something first asks for it.

`load` returns plain, read-only-by-convention values (tuples, dicts, `PoseEntry`); the modules
that own the content's meaning wrap them (`posegpt.data.speculative.Situation`,
`posegpt.data.conversations.Edit`, the captioner's clauses).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Collection, Iterable

import yaml

from posegpt.data.pose_entry import PoseEntry, Turn
from posegpt.pose import SMPL_JOINT_NAMES

CATALOGUE_DIR = Path(__file__).with_name("catalogues")

#: Catalogue name → the kind of file it is (its schema). The pose library is two files.
CATALOGUES: dict[str, str] = {
    "postures": "poses",
    "actions": "poses",
    "situations": "situations",
    "templates": "templates",
    "qa": "qa",
    "edits": "edits",
    "captioner": "captioner",
    "chat_prompts": "chat_prompts",
}
POSE_FILES = ("postures", "actions")  # the pose library, in this order

#: Template families of templates.yaml: (allowed placeholders, placeholders of which one must
#: appear per group, <POSE> count of each template).
TEMPLATE_FAMILIES: dict[str, tuple[frozenset[str], tuple[frozenset[str], ...], int]] = {
    "explicit_request": (frozenset({"desc"}), (frozenset({"desc"}),), 0),
    "explicit_reply": (frozenset(), (), 1),
    "named_request": (frozenset({"name", "Name"}), (frozenset({"name", "Name"}),), 0),
    "named_reply": (frozenset({"name", "Name"}), (), 1),
    "pair_request": (frozenset({"a", "A", "b", "B"}), (frozenset({"a", "A"}), frozenset({"b", "B"})), 0),
    "pair_reply": (frozenset({"a", "A", "b", "B"}), (), 2),
}
#: Names edits.yaml may use; posegpt.data.conversations implements each of them.
EDIT_VALIDATORS = ("arms_only_asymmetric", "legs_only_asymmetric", "pelvis_lower")
EDIT_JOINT_GROUPS = ("both_arms", "both_legs", "head")
#: Placeholders of the captioner's phrases.
CAPTION_PLACEHOLDERS = frozenset({"p", "part", "side", "other", "sides"})

POSE_TOKEN_TEXT = "<POSE>"
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_AXES = ("x", "y", "z")


class CatalogueError(ValueError):
    """A catalogue file that cannot be used; the message names the file, line and entry."""


# ---------------------------------------------------------------------------------------------
# Reading: YAML with line numbers and duplicate keys refused
# ---------------------------------------------------------------------------------------------


class _Map(dict):
    """A YAML mapping that remembers the line of each key (for error messages)."""

    line: int = 0
    lines: dict[Any, int]


class _Seq(list):
    """A YAML sequence that remembers the line of each item."""

    line: int = 0
    lines: list[int]


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int, first: int) -> None:
        super().__init__(key, line, first)
        self.key, self.line, self.first = key, line, first


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser where installed: ~10× faster


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    pass


def _construct_map(loader: Any, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)  # YAML merge keys ("<<: *anchor")
    data = _Map()
    data.line, data.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in data.lines:
            raise _DuplicateKey(key, line, data.lines[key])
        data[key] = loader.construct_object(value_node, deep=True)
        data.lines[key] = line
    return data


def _construct_seq(loader: Any, node: yaml.SequenceNode) -> _Seq:
    data = _Seq(loader.construct_object(item, deep=True) for item in node.value)
    data.line, data.lines = node.start_mark.line + 1, [item.start_mark.line + 1 for item in node.value]
    return data


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CatalogueError(f"{path}: cannot read the catalogue: {error}") from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except _DuplicateKey as duplicate:
        raise CatalogueError(
            f"{path}:{duplicate.line}: {duplicate.key!r} is defined twice (first on line {duplicate.first})"
        ) from None
    except yaml.YAMLError as error:
        raise CatalogueError(f"{path}: not valid YAML: {error}") from None


# ---------------------------------------------------------------------------------------------
# Validation helpers: each takes the value, where it is (a dotted path) and its line
# ---------------------------------------------------------------------------------------------


class _File:
    """The file being validated; makes errors that name it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, line: int, where: str, problem: str) -> CatalogueError:
        return CatalogueError(f"{self.path}:{line}: {where + ': ' if where else ''}{problem}")

    # -- containers -------------------------------------------------------------------------

    def mapping(self, value: Any, where: str, line: int) -> _Map:
        if not isinstance(value, _Map):
            raise self.error(line, where, f"expected a mapping (key: value lines), got {_kind(value)}")
        return value

    def record(self, value: Any, where: str, line: int, required: Collection[str],
               optional: Collection[str] = ()) -> _Map:
        """A mapping with exactly these keys (the optional ones may be missing)."""
        value = self.mapping(value, where, line)
        unknown = [key for key in value if key not in required and key not in optional]
        if unknown:
            raise self.error(value.lines[unknown[0]], where,
                             f"unknown key {unknown[0]!r}; expected {_listed([*required, *optional])}")
        missing = [key for key in required if key not in value]
        if missing:
            raise self.error(value.line, where, f"missing key {missing[0]!r}")
        return value

    def sequence(self, value: Any, where: str, line: int, min_count: int = 0) -> _Seq:
        if not isinstance(value, _Seq):
            raise self.error(line, where, f"expected a list, got {_kind(value)}")
        if len(value) < min_count:
            raise self.error(value.line or line, where, f"needs at least {min_count} item(s)")
        return value

    # -- scalars ------------------------------------------------------------------------------

    def text(self, value: Any, where: str, line: int) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(line, where, f"expected non-empty text, got {_kind(value)}")
        return value

    def flag(self, value: Any, where: str, line: int) -> bool:
        if not isinstance(value, bool):
            raise self.error(line, where, f"expected true or false, got {_kind(value)}")
        return value

    def count(self, value: Any, where: str, line: int, most: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
            raise self.error(line, where, f"expected a whole number from 0 to {most}, got {value!r}")
        return value

    def name(self, value: Any, where: str, line: int, known: Collection[str] | None = None,
             what: str = "name") -> str:
        """A snake_case identifier; with `known`, one of those."""
        if not isinstance(value, str) or not _NAME.fullmatch(value):
            raise self.error(line, where, f"expected a snake_case {what}, got {value!r}")
        if known is not None and value not in known:
            raise self.error(line, where, f"unknown {what} {value!r}{_suggest(value, known)}")
        return value

    # -- lists of scalars -------------------------------------------------------------------

    def texts(self, value: Any, where: str, line: int, min_count: int = 1,
              pose_tokens: int | None = None) -> tuple[str, ...]:
        """Distinct non-empty texts; with `pose_tokens`, each holds exactly that many <POSE>."""
        items = self.sequence(value, where, line, min_count)
        seen: dict[str, int] = {}
        for index, item in enumerate(items):
            here, item_line = f"{where}[{index}]", items.lines[index]
            self.text(item, here, item_line)
            if item in seen:
                raise self.error(item_line, here, f"{item!r} repeats item {seen[item]}")
            seen[item] = index
            if pose_tokens is not None and item.count(POSE_TOKEN_TEXT) != pose_tokens:
                raise self.error(item_line, here, f"needs exactly {pose_tokens} {POSE_TOKEN_TEXT}, has "
                                                  f"{item.count(POSE_TOKEN_TEXT)}: {item!r}")
        return tuple(items)

    def names(self, value: Any, where: str, line: int, known: Collection[str] | None = None,
              what: str = "name", min_count: int = 1) -> tuple[str, ...]:
        items = self.sequence(value, where, line, min_count)
        result = tuple(self.name(item, f"{where}[{i}]", items.lines[i], known, what) for i, item in enumerate(items))
        repeated = [name for i, name in enumerate(result) if name in result[:i]]
        if repeated:
            raise self.error(items.line, where, f"{what} {repeated[0]!r} is listed twice")
        return result

    def placeholders(self, text: str, where: str, line: int, allowed: Collection[str]) -> set[str]:
        found = set(_PLACEHOLDER.findall(text))
        unknown = sorted(found - set(allowed))
        if unknown:
            raise self.error(line, where, f"unknown placeholder {{{unknown[0]}}} in {text!r}; "
                                          f"allowed: {_listed('{' + a + '}' for a in sorted(allowed)) or 'none'}")
        return found

    def turns(self, value: Any, where: str, line: int, pieces: dict[str, tuple[Turn, ...]] | None = None) -> tuple[Turn, ...]:
        """Turn lines: "joint axis degrees" items separated by commas, or (with `pieces`) a piece's name."""
        lines = self.sequence(value, where, line)
        turns: list[Turn] = []
        for index, text in enumerate(lines):
            here, item_line = f"{where}[{index}]", lines.lines[index]
            self.text(text, here, item_line)
            for item in text.split(","):
                words = item.split()
                if len(words) == 1 and pieces is not None:
                    if words[0] not in pieces:
                        raise self.error(item_line, here, f"unknown piece {words[0]!r}{_suggest(words[0], pieces)}")
                    turns.extend(pieces[words[0]])
                    continue
                if len(words) != 3:
                    raise self.error(item_line, here, f"expected 'joint axis degrees'"
                                                      f"{' or a piece name' if pieces is not None else ''}, got {item.strip()!r}")
                joint, axis, degrees = words
                if joint not in SMPL_JOINT_NAMES:
                    raise self.error(item_line, here, f"unknown joint {joint!r}{_suggest(joint, SMPL_JOINT_NAMES)}")
                if axis not in _AXES:
                    raise self.error(item_line, here, f"axis must be x, y or z, got {axis!r}")
                turns.append((joint, axis, _degrees(degrees, lambda: self.error(item_line, here, f"degrees must be a number, got {degrees!r}"))))
        return tuple(turns)


def _degrees(text: str, error: Callable[[], CatalogueError]) -> float:
    """Whole degrees stay ints (as the poses were written), others are floats."""
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        raise error() from None


def _kind(value: Any) -> str:
    if isinstance(value, _Map):
        return "a mapping"
    if isinstance(value, _Seq):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _listed(items: Iterable[str]) -> str:
    return ", ".join(items)


def _suggest(name: str, known: Collection[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=3)
    return f" (did you mean {_listed(repr(c) for c in close)}?)" if close else ""


def _entries(file: _File, value: Any, where: str, line: int) -> Iterable[tuple[str, Any, str, int]]:
    """(name, value, where, line) of a mapping whose keys are snake_case names."""
    mapping = file.mapping(value, where, line)
    for name, entry in mapping.items():
        key_line = mapping.lines[name]
        yield file.name(name, where, key_line), entry, f"{where}.{name}" if where else name, key_line


# ---------------------------------------------------------------------------------------------
# The schema of each kind of file
# ---------------------------------------------------------------------------------------------


def _poses(file: _File, data: Any, catalogue: str) -> dict[str, PoseEntry]:
    top = file.record(data, catalogue, 1, ("poses",), ("pieces",))
    pieces: dict[str, tuple[Turn, ...]] = {}
    if "pieces" in top:
        for name, value, where, line in _entries(file, top["pieces"], "pieces", top.lines["pieces"]):
            pieces[name] = file.turns(value, where, line)
    entries: dict[str, PoseEntry] = {}
    categories = file.mapping(top["poses"], "poses", top.lines["poses"])
    for category, poses in categories.items():
        category_line = categories.lines[category]
        file.text(category, "poses", category_line)
        for name, value, where, line in _entries(file, poses, f"poses.{category}", category_line):
            if name in entries:
                raise file.error(line, where, f"pose {name!r} is already in category {entries[name].category!r}")
            entry = file.record(value, where, line, ("description", "names", "turns"))
            entries[name] = PoseEntry(
                name, category,
                file.text(entry["description"], f"{where}.description", entry.lines["description"]),
                file.turns(entry["turns"], f"{where}.turns", entry.lines["turns"], pieces),
                file.texts(entry["names"], f"{where}.names", entry.lines["names"]),
            )
    return entries


def _check_names() -> Collection[str]:
    from posegpt.eval.checks import CHECKS  # light (numpy, torch, posegpt.pose), imported when first needed

    return CHECKS


def _situations(file: _File, data: Any, catalogue: str) -> dict[str, dict[str, Any]]:
    library, checks = pose_library(), _check_names()
    situations: dict[str, dict[str, Any]] = {}
    for name, value, where, line in _entries(file, data, "", 1):
        entry = file.record(value, where, line, ("poses", "checks", "phrasings", "answers"), ("side_free",))
        phrasings = file.texts(entry["phrasings"], f"{where}.phrasings", entry.lines["phrasings"], pose_tokens=0)
        situations[name] = {
            "poses": file.names(entry["poses"], f"{where}.poses", entry.lines["poses"], library, "pose"),
            "checks": file.names(entry["checks"], f"{where}.checks", entry.lines["checks"], checks, "check"),
            "phrasings": phrasings,
            "answers": file.texts(entry["answers"], f"{where}.answers", entry.lines["answers"], pose_tokens=1),
            "side_free": file.flag(entry["side_free"], f"{where}.side_free", entry.lines["side_free"])
            if "side_free" in entry else True,
        }
    return situations


def _templates(file: _File, data: Any, catalogue: str) -> dict[str, tuple[str, ...]]:
    top = file.record(data, catalogue, 1, tuple(TEMPLATE_FAMILIES))
    families: dict[str, tuple[str, ...]] = {}
    for family, (allowed, needed, poses) in TEMPLATE_FAMILIES.items():
        texts = file.texts(top[family], family, top.lines[family], pose_tokens=poses)
        for index, text in enumerate(texts):
            line, where = top[family].lines[index], f"{family}[{index}]"
            found = file.placeholders(text, where, line, allowed)
            for group in needed:
                if not found & group:
                    raise file.error(line, where, f"needs {' or '.join('{' + g + '}' for g in sorted(group))}: {text!r}")
        families[family] = texts
    return families


def _qa(file: _File, data: Any, catalogue: str) -> tuple[tuple[str, str], ...]:
    items = file.sequence(data, catalogue, 1, min_count=1)
    pairs: list[tuple[str, str]] = []
    for index, value in enumerate(items):
        where = f"[{index}]"
        entry = file.record(value, where, items.lines[index], ("question", "answer"))
        question, answer = (file.text(entry[key], f"{where}.{key}", entry.lines[key]) for key in ("question", "answer"))
        if POSE_TOKEN_TEXT in question + answer:
            raise file.error(entry.line, where, f"a question answered in words holds no {POSE_TOKEN_TEXT}")
        if any(question == q for q, _ in pairs):
            raise file.error(entry.lines["question"], where, f"question {question!r} is asked twice")
        pairs.append((question, answer))
    return tuple(pairs)


_EDIT_CHECK_FIELDS = ("requires", "requires_any", "excludes", "achieves", "loses")


def _edits(file: _File, data: Any, catalogue: str) -> dict[str, dict[str, Any]]:
    """Edits by name, sided ones not yet split into their two sides; replies end with their
    share of the generic replies."""
    library, checks = pose_library(), _check_names()
    top = file.record(data, catalogue, 1, ("generic_replies", "edits"))
    generic = file.texts(top["generic_replies"], "generic_replies", top.lines["generic_replies"], pose_tokens=1)
    edits: dict[str, dict[str, Any]] = {}
    for name, value, where, line in _entries(file, top["edits"], "edits", top.lines["edits"]):
        entry = file.record(value, where, line, ("requests", "replies", "generic"),
                            ("change", "sided", "right_only_requests", "valid", *_EDIT_CHECK_FIELDS))
        if ("change" in entry) == ("sided" in entry):
            raise file.error(line, where, "needs exactly one of 'change' and 'sided'")
        record: dict[str, Any] = {
            field: file.names(entry[field], f"{where}.{field}", entry.lines[field], checks, "check")
            if field in entry else () for field in _EDIT_CHECK_FIELDS
        }
        record["requests"] = file.texts(entry["requests"], f"{where}.requests", entry.lines["requests"], pose_tokens=0)
        own = file.texts(entry["replies"], f"{where}.replies", entry.lines["replies"], pose_tokens=1)
        share = file.count(entry["generic"], f"{where}.generic", entry.lines["generic"], len(generic))
        record["replies"] = own + generic[:share]
        record["valid"] = file.name(entry["valid"], f"{where}.valid", entry.lines["valid"], EDIT_VALIDATORS,
                                    "validator") if "valid" in entry else None
        record["change"], record["sided"] = None, None
        if "change" in entry:
            record["change"] = _edit_change(file, entry["change"], f"{where}.change", entry.lines["change"], library)
            if "right_only_requests" in entry:
                raise file.error(entry.lines["right_only_requests"], where, "right_only_requests belong to a sided edit")
            record["right_only_requests"] = ()
        else:
            sided = file.record(entry["sided"], f"{where}.sided", entry.lines["sided"], ("donor", "check", "achieve"))
            record["sided"] = {
                "donor": file.name(sided["donor"], f"{where}.sided.donor", sided.lines["donor"], library, "pose"),
                "check": file.name(sided["check"], f"{where}.sided.check", sided.lines["check"], checks, "check"),
                "achieve": file.flag(sided["achieve"], f"{where}.sided.achieve", sided.lines["achieve"]),
            }
            record["right_only_requests"] = file.texts(
                entry["right_only_requests"], f"{where}.right_only_requests", entry.lines["right_only_requests"],
                pose_tokens=0) if "right_only_requests" in entry else ()
            for side in ("left", "right"):
                if f"{name}_{side}" in edits or f"{name}_{side}" in top["edits"]:
                    raise file.error(line, where, f"its {side} side would be named like edit {name}_{side!s}")
        edits[name] = record
    return edits


def _edit_change(file: _File, value: Any, where: str, line: int, library: Collection[str]) -> tuple[Any, ...]:
    """("mirror",) | ("from", donor pose, joint group) | ("turns", turns)."""
    if value == "mirror":
        return ("mirror",)
    change = file.mapping(value, where, line)
    if "turns" in change:
        file.record(change, where, line, ("turns",))
        return ("turns", file.turns(change["turns"], f"{where}.turns", change.lines["turns"]))
    file.record(change, where, line, ("from", "joints"))
    return ("from", file.name(change["from"], f"{where}.from", change.lines["from"], library, "pose"),
            file.name(change["joints"], f"{where}.joints", change.lines["joints"], EDIT_JOINT_GROUPS, "joint group"))


def _phrases(file: _File, entry: _Map, where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(states, commands) of a record already checked to hold both."""
    return (_caption_texts(file, entry["states"], f"{where}.states", entry.lines["states"]),
            _caption_texts(file, entry["commands"], f"{where}.commands", entry.lines["commands"]))


def _phrase_table(file: _File, value: Any, where: str, line: int) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """{name: (states, commands)}."""
    return {name: _phrases(file, file.record(entry, here, entry_line, ("states", "commands")), here)
            for name, entry, here, entry_line in _entries(file, value, where, line)}


def _caption_texts(file: _File, value: Any, where: str, line: int,
                   allowed: Collection[str] = CAPTION_PLACEHOLDERS) -> tuple[str, ...]:
    texts = file.texts(value, where, line, pose_tokens=0)
    for index, text in enumerate(texts):
        file.placeholders(text, f"{where}[{index}]", value.lines[index], allowed)
    return texts


def _captioner(file: _File, data: Any, catalogue: str) -> dict[str, Any]:
    from posegpt.data.captioner import POSTURES  # the captioner reads this file lazily, so no import cycle

    top = file.record(data, catalogue, 1, ("nouns", "postures", "bends", "hand_targets", "contact", "clauses"))
    nouns: dict[str, tuple[str, str]] = {}
    for name, value, where, line in _entries(file, top["nouns"], "nouns", top.lines["nouns"]):
        pair = file.texts(value, where, line, min_count=2)
        if len(pair) != 2:
            raise file.error(line, where, "expected [singular, plural]")
        nouns[name] = (pair[0], pair[1])
    postures = _phrase_table(file, top["postures"], "postures", top.lines["postures"])
    missing = [name for name in POSTURES if name not in postures]
    if missing:
        raise file.error(top.lines["postures"], "postures", f"no phrases for posture {missing[0]!r}")
    bends = _phrase_table(file, top["bends"], "bends", top.lines["bends"])
    targets: dict[str, dict[str, tuple[str, ...]]] = {}
    for name, value, where, line in _entries(file, top["hand_targets"], "hand_targets", top.lines["hand_targets"]):
        entry = file.record(value, where, line, ("one", "both"), ("commands_one", "commands_both"))
        targets[name] = {key: _caption_texts(file, entry[key], f"{where}.{key}", entry.lines[key]) if key in entry else ()
                         for key in ("one", "both", "commands_one", "commands_both")}
    contact = file.record(top["contact"], "contact", top.lines["contact"], ("nouns", "states", "commands"))
    contact_nouns: dict[str, tuple[str, bool]] = {}
    for name, value, where, line in _entries(file, contact["nouns"], "contact.nouns", contact.lines["nouns"]):
        pair = file.sequence(value, where, line, 2)
        if len(pair) != 2:
            raise file.error(line, where, "expected [noun, plural?]")
        contact_nouns[name] = (file.text(pair[0], where, line), file.flag(pair[1], where, line))
    contact_phrases = _phrases(file, contact, "contact")
    clauses: dict[str, dict[str, dict[str, Any]]] = {}
    for topic, value, where, line in _entries(file, top["clauses"], "clauses", top.lines["clauses"]):
        entry = file.record(value, where, line, ("values",), ("noun", "parts", "plural"))
        clauses[topic] = {}
        for name, phrase, here, phrase_line in _entries(file, entry["values"], f"{where}.values", entry.lines["values"]):
            fields = file.record(phrase, here, phrase_line, ("states", "commands"), ("noun", "parts", "plural"))
            states, commands = _phrases(file, fields, here)
            resolved = {key: fields.get(key, entry.get(key)) for key in ("noun", "parts", "plural")}
            if (resolved["noun"] is None) == (resolved["parts"] is None):
                raise file.error(phrase_line, here, "needs exactly one of 'noun' and 'parts' (here or on the topic)")
            clauses[topic][name] = {
                "noun": file.name(resolved["noun"], f"{here}.noun", phrase_line, nouns, "noun")
                if resolved["noun"] is not None else None,
                "parts": _caption_texts(file, resolved["parts"], f"{here}.parts", phrase_line)
                if resolved["parts"] is not None else None,
                "plural": file.flag(resolved["plural"], f"{here}.plural", phrase_line)
                if resolved["plural"] is not None else False,
                "states": states,
                "commands": commands,
            }
    return {"nouns": nouns, "postures": postures, "bends": bends, "hand_targets": targets,
            "contact": {"nouns": contact_nouns, "states": contact_phrases[0], "commands": contact_phrases[1]},
            "clauses": clauses}


def _chat_prompts(file: _File, data: Any, catalogue: str) -> dict[str, Any]:
    top = file.record(data, catalogue, 1, ("single_turn", "multi_turn"))
    themes = {name: file.texts(value, where, line, pose_tokens=0)
              for name, value, where, line in _entries(file, top["single_turn"], "single_turn", top.lines["single_turn"])}
    chats = file.sequence(top["multi_turn"], "multi_turn", top.lines["multi_turn"])
    multi = tuple(file.texts(turns, f"multi_turn[{i}]", chats.lines[i], min_count=2, pose_tokens=0)
                  for i, turns in enumerate(chats))
    return {"single_turn": themes, "multi_turn": multi}


_SCHEMAS: dict[str, Callable[[_File, Any, str], Any]] = {
    "poses": _poses,
    "situations": _situations,
    "templates": _templates,
    "qa": _qa,
    "edits": _edits,
    "captioner": _captioner,
    "chat_prompts": _chat_prompts,
}


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def catalogue_path(name: str) -> Path:
    """The data file of a catalogue, e.g. ``catalogue_path("situations")``."""
    if name not in CATALOGUES:
        raise KeyError(f"unknown catalogue {name!r}; known: {_listed(CATALOGUES)}")
    return CATALOGUE_DIR / f"{name}.yaml"


def load_file(path: str | Path, kind: str) -> Any:
    """Read and validate one file as a catalogue of `kind` (not cached: for tests and tools)."""
    if kind not in _SCHEMAS:
        raise KeyError(f"unknown catalogue kind {kind!r}; known: {_listed(_SCHEMAS)}")
    path = Path(path)
    return _SCHEMAS[kind](_File(path), _read_yaml(path), path.stem)


@lru_cache(maxsize=None)
def load(name: str) -> Any:
    """The validated content of a catalogue, read once per process.

    Returns: "postures"/"actions" → {name: PoseEntry}; "situations" → {name: {poses, checks,
    phrasings, answers, side_free}}; "templates" → {family: texts}; "qa" → ((question, answer),
    ...); "edits" → {name: record} (see `_edits`); "captioner" → phrase tables; "chat_prompts" →
    {"single_turn": {theme: prompts}, "multi_turn": (user turns, ...)}.
    """
    return load_file(catalogue_path(name), CATALOGUES[name])


@lru_cache(maxsize=None)
def pose_library() -> dict[str, PoseEntry]:
    """Every hand-authored pose by name: postures.yaml, then actions.yaml (a name is defined once)."""
    library: dict[str, PoseEntry] = {}
    source: dict[str, str] = {}
    for name in POSE_FILES:
        for pose, entry in load(name).items():
            if pose in library:
                raise CatalogueError(f"{catalogue_path(name)}: pose {pose!r} is also defined in "
                                     f"{catalogue_path(source[pose])}")
            library[pose], source[pose] = entry, name
    return library
