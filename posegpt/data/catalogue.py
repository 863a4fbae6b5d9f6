"""The catalogues: hand-written content (poses, situations, templates, phrasings) read from YAML files.

The content grows by hand — hundreds of situations, poses and phrasings — and a data file is
easier to write, review and diff than Python literals, while the code that uses it stays short.
The files live in ``posegpt/data/catalogues/`` (one per catalogue, each explaining its format in
its header); this module is the one loader for all of them. It validates a file the first time
it is read — required and unknown keys, types, known joint / check / pose names, duplicate
names, references between catalogues, placeholders and ``<POSE>`` counts — and raises
`CatalogueError` naming the file, line and entry, so a typo fails at once instead of turning
into wrong training data. Loads are cached: each file is parsed and checked once per process,
when something first asks for it.

`load` returns plain values (tuples, dicts, `PoseEntry`; treat them as read-only); the modules
that own the content's meaning wrap them (`posegpt.data.speculative.Situation`,
`posegpt.data.conversations.Edit`, the captioner's clauses).
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator

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
    "scenes": "scenes",
    "several": "several",
    "referring": "referring",
    "counts": "counts",
    "sides": "sides",
    "declines": "declines",
    "directions": "directions",
    "asked_edits": "asked_edits",
    "lead_ins": "lead_ins",
    "courtesy": "courtesy",
    "everyday_words": "everyday_words",
    "shorthand": "shorthand",
}
POSE_FILES = ("postures", "actions")  # the pose library, in this order
SEVERAL_ANY = "any"  # the subject category of several.yaml that draws from the whole library

Placeholders = tuple[frozenset[str], ...]  # groups: each text holds one placeholder of every group

#: Template families of templates.yaml: (allowed placeholders, required groups, <POSE> per text).
TEMPLATE_FAMILIES: dict[str, tuple[frozenset[str], Placeholders, int]] = {
    "explicit_request": (frozenset({"desc"}), (frozenset({"desc"}),), 0),
    "explicit_reply": (frozenset(), (), 1),
    "named_request": (frozenset({"name", "Name"}), (frozenset({"name", "Name"}),), 0),
    "named_reply": (frozenset({"name", "Name"}), (), 1),
    "pair_request": (frozenset({"a", "A", "b", "B"}), (frozenset({"a", "A"}), frozenset({"b", "B"})), 0),
    "pair_reply": (frozenset({"a", "A", "b", "B"}), (), 2),
}
#: Names edits.yaml may use; posegpt.data.conversations implements each of them.
EDIT_VALIDATORS = ("arms_asymmetric", "legs_asymmetric", "pelvis_lower")
EDIT_JOINT_GROUPS = ("both_arms", "both_legs", "head", "body")
EDIT_CHECK_FIELDS = ("requires", "requires_any", "excludes", "achieves", "loses")
#: Placeholders of the captioner's phrases.
CAPTION_PLACEHOLDERS = frozenset({"p", "part", "side", "other", "sides"})
#: Placeholders of everyday_words.yaml: a body part on the fact's side (the captioner's nouns).
EVERYDAY_PART_PLACEHOLDERS = frozenset({"arm", "elbow", "hand", "knee", "leg", "thigh", "foot"})
#: … and that part on the other side ("{other_leg} back" says the right foot forward).
EVERYDAY_OTHER_PART_PLACEHOLDERS = frozenset(f"other_{part}" for part in EVERYDAY_PART_PLACEHOLDERS)
#: Question families of scenes.yaml and the placeholder each needs (None: no placeholder).
SCENE_QUESTION_FAMILIES: dict[str, str | None] = {
    "pose": "ref", "single": None, "everyone": None, "count": None, "describe": "ref", "who": "state",
}
SCENE_REF_TABLES = ("position", "size", "posture", "gesture", "facing")  # reading value → expressions
SCENE_COLOUR_REFS = ("top", "bottom")  # expressions with {c}, a colour word

POSE_TOKEN_TEXT = "<POSE>"
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_WHOLE = re.compile(r"[-+]?\d+")


class CatalogueError(ValueError):
    """A catalogue file that cannot be used; the message names the file, line and entry."""


# ---------------------------------------------------------------------------------------------
# Reading: YAML with line numbers, duplicate keys refused
# ---------------------------------------------------------------------------------------------


class _Map(dict):
    """A YAML mapping that remembers its line and the line of each key (for error messages)."""

    line: int = 0
    lines: dict[Any, int]


class _Seq(list):
    """A YAML sequence that remembers its line and the line of each item."""

    line: int = 0
    lines: list[int]


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int, first: int) -> None:
        super().__init__(key, line, first)
        self.key, self.line, self.first = key, line, first


# libyaml's parser where PyYAML was built with it (several times faster), the pure-Python one otherwise.
_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a subclass of the safe loader
    except _DuplicateKey as duplicate:
        raise CatalogueError(f"{path}:{duplicate.line}: {duplicate.key!r} is defined twice "
                             f"(first on line {duplicate.first})") from None
    except yaml.YAMLError as error:
        raise CatalogueError(f"{path}: not valid YAML: {error}") from None


# ---------------------------------------------------------------------------------------------
# Validation: a value, where it is (a dotted path such as "sprint.checks[0]") and its line
# ---------------------------------------------------------------------------------------------


class _File:
    """The file being validated: checks of single values, errors that name the file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, line: int, where: str, problem: str) -> CatalogueError:
        return CatalogueError(f"{self.path}:{line}: {where + ': ' if where else ''}{problem}")

    def record(self, value: Any, where: str, line: int, required: Collection[str],
               optional: Collection[str] = ()) -> _Record:
        """A mapping with all `required` keys and no keys but those and the `optional` ones."""
        data = self.mapping(value, where, line)
        unknown = [key for key in data if key not in required and key not in optional]
        if unknown:
            raise self.error(data.lines[unknown[0]], where,
                             f"unknown key {unknown[0]!r}; expected {_listed([*required, *optional])}")
        missing = [key for key in required if key not in data]
        if missing:
            raise self.error(data.line, where, f"missing key {missing[0]!r}")
        return _Record(self, data, where)

    def mapping(self, value: Any, where: str, line: int) -> _Map:
        if not isinstance(value, _Map):
            raise self.error(line, where, f"expected a mapping (key: value lines), got {_kind(value)}")
        return value

    def sequence(self, value: Any, where: str, line: int, min_count: int = 0) -> _Seq:
        if not isinstance(value, _Seq):
            raise self.error(line, where, f"expected a list, got {_kind(value)}")
        if len(value) < min_count:
            raise self.error(value.line or line, where, f"needs at least {min_count} item(s)")
        return value

    def named(self, value: Any, where: str, line: int) -> Iterator[tuple[str, Any, str, int]]:
        """(name, value, where, line) of a mapping keyed by snake_case names."""
        data = self.mapping(value, where, line)
        for name, item in data.items():
            key_line = data.lines[name]
            yield self.name(name, where, key_line), item, f"{where}.{name}" if where else name, key_line

    def text(self, value: Any, where: str, line: int) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(line, where, f"expected non-empty text, got {_kind(value)}")
        return value

    def flag(self, value: Any, where: str, line: int) -> bool:
        if not isinstance(value, bool):
            raise self.error(line, where, f"expected true or false, got {_kind(value)}")
        return value

    def name(self, value: Any, where: str, line: int, known: Collection[str] | None = None,
             what: str = "name") -> str:
        """A snake_case identifier; with `known`, one of those."""
        if not isinstance(value, str) or not _NAME.fullmatch(value):
            raise self.error(line, where, f"expected a snake_case {what}, got {value!r}")
        if known is not None and value not in known:
            raise self.error(line, where, f"unknown {what} {value!r}{_suggest(value, known)}")
        return value

    def texts(self, value: Any, where: str, line: int, min_count: int = 1, pose_tokens: int | None = 0,
              allowed: Collection[str] | None = None, needs: Placeholders = ()) -> tuple[str, ...]:
        """Distinct non-empty texts, each with exactly `pose_tokens` <POSE> (None: any number) and,
        where `allowed` is given, only those {placeholders}, one of every group in `needs`."""
        items = self.sequence(value, where, line, min_count)
        for index, item in enumerate(items):
            here, item_line = f"{where}[{index}]", items.lines[index]
            self.text(item, here, item_line)
            if item in items[:index]:
                raise self.error(item_line, here, f"{item!r} repeats item {items.index(item)}")
            if pose_tokens is not None and item.count(POSE_TOKEN_TEXT) != pose_tokens:
                raise self.error(item_line, here, f"needs exactly {pose_tokens} {POSE_TOKEN_TEXT}, "
                                                  f"has {item.count(POSE_TOKEN_TEXT)}: {item!r}")
            if allowed is not None:
                self._placeholders(item, here, item_line, allowed, needs)
        return tuple(items)

    def _placeholders(self, text: str, where: str, line: int, allowed: Collection[str],
                      needs: Placeholders) -> None:
        found = set(_PLACEHOLDER.findall(text))
        unknown = sorted(found - set(allowed))
        if unknown:
            known = _listed("{" + name + "}" for name in sorted(allowed)) or "none"
            raise self.error(line, where, f"unknown placeholder {{{unknown[0]}}} in {text!r}; "
                                          f"allowed: {known}")
        for group in needs:
            if not found & group:
                either = " or ".join("{" + name + "}" for name in sorted(group))
                raise self.error(line, where, f"needs {either}: {text!r}")

    def names(self, value: Any, where: str, line: int, known: Collection[str] | None = None,
              what: str = "name") -> tuple[str, ...]:
        items = self.sequence(value, where, line, min_count=1)
        names = tuple(self.name(item, f"{where}[{index}]", items.lines[index], known, what)
                      for index, item in enumerate(items))
        repeated = [name for i, name in enumerate(names) if name in names[:i]]
        if repeated:
            raise self.error(items.line, where, f"{what} {repeated[0]!r} is listed twice")
        return names

    def turns(self, value: Any, where: str, line: int,
              pieces: dict[str, tuple[Turn, ...]] | None = None) -> tuple[Turn, ...]:
        """Turn lines: "joint axis degrees" items separated by commas, or (with `pieces`) a piece's name."""
        lines = self.sequence(value, where, line)
        turns: list[Turn] = []
        for index, text in enumerate(lines):
            here, item_line = f"{where}[{index}]", lines.lines[index]
            for item in self.text(text, here, item_line).split(","):
                words = item.split()
                if len(words) == 1 and pieces is not None:
                    if words[0] not in pieces:
                        hint = _suggest(words[0], pieces)
                        raise self.error(item_line, here, f"unknown piece {words[0]!r}{hint}")
                    turns.extend(pieces[words[0]])
                else:
                    turns.append(self._turn(words, here, item_line, pieces is not None))
        return tuple(turns)

    def _turn(self, words: list[str], where: str, line: int, pieces: bool) -> Turn:
        if len(words) != 3:
            expected = "'joint axis degrees'" + (" or a piece name" if pieces else "")
            raise self.error(line, where, f"expected {expected}, got {' '.join(words)!r}")
        joint, axis, degrees = words
        if joint not in SMPL_JOINT_NAMES:
            raise self.error(line, where, f"unknown joint {joint!r}{_suggest(joint, SMPL_JOINT_NAMES)}")
        if axis not in ("x", "y", "z"):
            raise self.error(line, where, f"axis must be x, y or z, got {axis!r}")
        if _WHOLE.fullmatch(degrees):
            return joint, axis, int(degrees)  # whole degrees stay ints, as the poses were written
        try:
            return joint, axis, float(degrees)
        except ValueError:
            raise self.error(line, where, f"degrees must be a number, got {degrees!r}") from None


class _Record:
    """A mapping entry already checked for its keys: typed access to each key's value."""

    def __init__(self, file: _File, data: _Map, where: str) -> None:
        self.file, self.data, self.where, self.line = file, data, where, data.line

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def at(self, key: str) -> tuple[Any, str, int]:
        """(value, where, line) of a key, for the `_File` checks."""
        return self.data[key], f"{self.where}.{key}" if self.where else key, self.data.lines[key]

    def error(self, key: str | None, problem: str) -> CatalogueError:
        if key is None:
            return self.file.error(self.line, self.where, problem)
        _, where, line = self.at(key)
        return self.file.error(line, where, problem)

    def text(self, key: str) -> str:
        return self.file.text(*self.at(key))

    def texts(self, key: str, **options: Any) -> tuple[str, ...]:
        return self.file.texts(*self.at(key), **options)

    def flag(self, key: str, default: bool | None = None) -> bool:
        if key not in self.data and default is not None:
            return default
        return self.file.flag(*self.at(key))

    def name(self, key: str, known: Collection[str] | None = None, what: str = "name") -> str:
        return self.file.name(*self.at(key), known, what)

    def names(self, key: str, known: Collection[str] | None = None, what: str = "name") -> tuple[str, ...]:
        return self.file.names(*self.at(key), known, what)

    def turns(self, key: str, pieces: dict[str, tuple[Turn, ...]] | None = None) -> tuple[Turn, ...]:
        return self.file.turns(*self.at(key), pieces)

    def record(self, key: str, required: Collection[str], optional: Collection[str] = ()) -> _Record:
        return self.file.record(*self.at(key), required, optional)

    def named(self, key: str) -> Iterator[tuple[str, Any, str, int]]:
        return self.file.named(*self.at(key))


def _kind(value: Any) -> str:
    if isinstance(value, _Map):
        return "a mapping"
    if isinstance(value, _Seq):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _listed(items: Iterable[str]) -> str:
    return ", ".join(items)


def _suggest(name: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=3)
    return f" (did you mean {_listed(repr(c) for c in close)}?)" if close else ""


def _check_names() -> Collection[str]:
    from posegpt.eval.checks import CHECKS  # imported when a catalogue that names checks is first read

    return CHECKS


# ---------------------------------------------------------------------------------------------
# The schema of each kind of file
# ---------------------------------------------------------------------------------------------


def _poses(file: _File, data: Any) -> dict[str, PoseEntry]:
    top = file.record(data, "", 1, ("poses",), ("pieces",))
    pieces = {name: file.turns(value, where, line)
              for name, value, where, line in (top.named("pieces") if "pieces" in top else ())}
    entries: dict[str, PoseEntry] = {}
    categories = file.mapping(*top.at("poses"))
    for category, poses in categories.items():
        category_line = categories.lines[category]
        file.text(category, "poses", category_line)
        for name, value, where, line in file.named(poses, f"poses.{category}", category_line):
            if name in entries:
                raise file.error(line, where, f"pose {name!r} is already in {entries[name].category!r}")
            entry = file.record(value, where, line, ("description", "names", "turns"))
            entries[name] = PoseEntry(name, category, entry.text("description"), entry.turns("turns", pieces),
                                      entry.texts("names"))
    return entries


def _situations(file: _File, data: Any) -> dict[str, dict[str, Any]]:
    library, checks = pose_library(), _check_names()
    situations: dict[str, dict[str, Any]] = {}
    for name, value, where, line in file.named(data, "", 1):
        entry = file.record(value, where, line, ("poses", "checks", "phrasings", "answers"), ("side_free",))
        situations[name] = {
            "poses": entry.names("poses", library, "pose"),
            "checks": entry.names("checks", checks, "check"),
            "phrasings": entry.texts("phrasings"),
            "answers": entry.texts("answers", pose_tokens=1),
            "side_free": entry.flag("side_free", default=True),
        }
    return situations


def _templates(file: _File, data: Any) -> dict[str, tuple[str, ...]]:
    top = file.record(data, "", 1, tuple(TEMPLATE_FAMILIES))
    return {family: top.texts(family, pose_tokens=poses, allowed=allowed, needs=needs)
            for family, (allowed, needs, poses) in TEMPLATE_FAMILIES.items()}


def _qa(file: _File, data: Any) -> tuple[tuple[str, str], ...]:
    items = file.sequence(data, "", 1, min_count=1)
    pairs: list[tuple[str, str]] = []
    for index, value in enumerate(items):
        entry = file.record(value, f"[{index}]", items.lines[index], ("question", "answer"))
        question, answer = entry.text("question"), entry.text("answer")
        if POSE_TOKEN_TEXT in question + answer:
            raise entry.error(None, f"a question answered in words holds no {POSE_TOKEN_TEXT}")
        if any(question == asked for asked, _ in pairs):
            raise entry.error("question", f"{question!r} is asked twice")
        pairs.append((question, answer))
    return tuple(pairs)


def _edits(file: _File, data: Any) -> dict[str, dict[str, Any]]:
    """Edits by name (a sided one not yet split into its two sides), each with its requests, its
    replies followed by its share of the generic replies, the check names of `EDIT_CHECK_FIELDS`,
    "valid" (a name of `EDIT_VALIDATORS` or None), and either "change" (("mirror",) | ("mirror",
    joint group) | ("from", donor pose, joint group) | ("turns", turns)) or "sided" ({donor,
    check, achieve}) with "right_only_requests"."""
    library, checks = pose_library(), _check_names()
    top = file.record(data, "", 1, ("generic_replies", "edits"))
    generic = top.texts("generic_replies", pose_tokens=1)
    names = set(file.mapping(*top.at("edits")))
    edits: dict[str, dict[str, Any]] = {}
    for name, value, where, line in top.named("edits"):
        entry = file.record(value, where, line, ("requests", "replies", "generic"),
                            ("change", "sided", "right_only_requests", "valid", *EDIT_CHECK_FIELDS))
        if ("change" in entry) == ("sided" in entry):
            raise entry.error(None, "needs exactly one of 'change' and 'sided'")
        share, share_where, share_line = entry.at("generic")
        if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= len(generic):
            raise file.error(share_line, share_where, f"expected a whole number from 0 to {len(generic)} "
                                                      f"(generic replies), got {share!r}")
        record: dict[str, Any] = {
            field: entry.names(field, checks, "check") if field in entry else ()
            for field in EDIT_CHECK_FIELDS
        }
        record.update(
            requests=entry.texts("requests"),
            replies=entry.texts("replies", pose_tokens=1) + generic[:share],
            valid=entry.name("valid", EDIT_VALIDATORS, "validator") if "valid" in entry else None,
            change=None, sided=None, right_only_requests=(),
        )
        if "change" in entry:
            record["change"] = _edit_change(file, *entry.at("change"), library)
            if "right_only_requests" in entry:
                raise entry.error("right_only_requests", "only a sided edit has right-only requests")
        else:
            sided = entry.record("sided", ("donor", "check", "achieve"))
            record["sided"] = {"donor": sided.name("donor", library, "pose"),
                               "check": sided.name("check", checks, "check"),
                               "achieve": sided.flag("achieve")}
            if "right_only_requests" in entry:
                record["right_only_requests"] = entry.texts("right_only_requests")
            taken = [f"{name}_{side}" for side in ("left", "right") if f"{name}_{side}" in names]
            if taken:
                raise entry.error(None, f"its sides are named like the edit {taken[0]!r}")
        edits[name] = record
    return edits


def _edit_change(file: _File, value: Any, where: str, line: int, library: Collection[str]) -> tuple[Any, ...]:
    if value == "mirror":
        return ("mirror",)
    if "mirror" in file.mapping(value, where, line):
        return "mirror", file.record(value, where, line, ("mirror",)).name("mirror", EDIT_JOINT_GROUPS, "joint group")
    if "turns" in file.mapping(value, where, line):
        return ("turns", file.record(value, where, line, ("turns",)).turns("turns"))
    change = file.record(value, where, line, ("from", "joints"))
    donor, group = change.name("from", library, "pose"), change.name("joints", EDIT_JOINT_GROUPS, "joint group")
    return "from", donor, group


def _phrases(entry: _Record) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(states, commands) of a captioner phrase record."""
    states = entry.texts("states", allowed=CAPTION_PLACEHOLDERS)
    return states, entry.texts("commands", allowed=CAPTION_PLACEHOLDERS)


def _captioner(file: _File, data: Any) -> dict[str, Any]:
    from posegpt.data.captioner import POSTURES  # the captioner reads this file lazily: no import cycle

    top = file.record(data, "", 1, ("nouns", "postures", "bends", "hand_targets", "contact", "clauses"))
    nouns: dict[str, tuple[str, ...]] = {}
    for name, value, where, line in top.named("nouns"):
        nouns[name] = file.texts(value, where, line, min_count=2)
        if len(nouns[name]) != 2:
            raise file.error(line, where, "expected [singular, plural]")
    postures, bends = ({name: _phrases(file.record(value, where, line, ("states", "commands")))
                        for name, value, where, line in top.named(table)} for table in ("postures", "bends"))
    missing = [name for name in POSTURES if name not in postures]
    if missing:
        raise top.error("postures", f"no phrases for posture {missing[0]!r}")
    targets: dict[str, dict[str, tuple[str, ...]]] = {}
    for name, value, where, line in top.named("hand_targets"):
        entry = file.record(value, where, line, ("one", "both"), ("commands_one", "commands_both"))
        targets[name] = {key: entry.texts(key, allowed=CAPTION_PLACEHOLDERS) if key in entry else ()
                         for key in ("one", "both", "commands_one", "commands_both")}
    contact = top.record("contact", ("nouns", "states", "commands"))
    contact_nouns: dict[str, tuple[str, bool]] = {}
    for name, value, where, line in contact.named("nouns"):
        pair = file.sequence(value, where, line, min_count=2)
        if len(pair) != 2:
            raise file.error(line, where, "expected [noun, plural?]")
        contact_nouns[name] = (file.text(pair[0], where, line), file.flag(pair[1], where, line))
    contact_states, contact_commands = _phrases(contact)
    clauses: dict[str, dict[str, dict[str, Any]]] = {}
    for topic, value, where, line in top.named("clauses"):
        entry = file.record(value, where, line, ("values",), ("noun", "parts", "plural"))
        clauses[topic] = {name: _clause(file.record(phrase, here, phrase_line, ("states", "commands"),
                                                    ("noun", "parts", "plural")), entry, nouns)
                          for name, phrase, here, phrase_line in entry.named("values")}
    return {"nouns": nouns, "postures": postures, "bends": bends, "hand_targets": targets,
            "contact": {"nouns": contact_nouns, "states": contact_states, "commands": contact_commands},
            "clauses": clauses}


def _clause(phrase: _Record, topic: _Record, nouns: Collection[str]) -> dict[str, Any]:
    """{noun, parts, plural, states, commands} of one value; the topic gives what the value lacks."""
    owner = {key: phrase if key in phrase else topic for key in ("noun", "parts", "plural")}
    if ("noun" in owner["noun"]) == ("parts" in owner["parts"]):
        raise phrase.error(None, "needs exactly one of 'noun' and 'parts' (here or on its topic)")
    states, commands = _phrases(phrase)
    return {
        "noun": owner["noun"].name("noun", nouns, "noun") if "noun" in owner["noun"] else None,
        "parts": owner["parts"].texts("parts", allowed=CAPTION_PLACEHOLDERS)
        if "parts" in owner["parts"] else None,
        "plural": owner["plural"].flag("plural", default=False),
        "states": states,
        "commands": commands,
    }


def _chat_prompts(file: _File, data: Any) -> dict[str, Any]:
    top = file.record(data, "", 1, ("single_turn", "multi_turn"))
    themes = {name: file.texts(value, where, line) for name, value, where, line in top.named("single_turn")}
    chats = file.sequence(*top.at("multi_turn"))
    turns = tuple(file.texts(chat, f"multi_turn[{index}]", chats.lines[index], min_count=2)
                  for index, chat in enumerate(chats))
    return {"single_turn": themes, "multi_turn": turns}


def _several(file: _File, data: Any) -> dict[str, Any]:
    """Requests for N poses of a kind: subjects by pose-library category, requests, leads, items."""
    top = file.record(data, "", 1, ("subjects", "requests", "leads", "items"))
    categories = {entry.category for entry in pose_library().values()} | {SEVERAL_ANY}
    subjects: dict[str, tuple[str, ...]] = {}
    entries = file.sequence(*top.at("subjects"), min_count=1)
    for index, value in enumerate(entries):
        entry = file.record(value, f"subjects[{index}]", entries.lines[index], ("category", "phrases"))
        category, where, line = entry.at("category")
        file.text(category, where, line)
        if category not in categories:
            raise file.error(line, where, f"unknown category {category!r}{_suggest(category, categories)}")
        if category in subjects:
            raise file.error(line, where, f"category {category!r} is listed twice")
        subjects[category] = entry.texts("phrases", allowed=())
    return {
        "subjects": subjects,
        "requests": top.texts("requests", allowed={"n", "subject"}, needs=(frozenset({"n"}), frozenset({"subject"}))),
        "leads": top.texts("leads", allowed={"n", "N", "subject"}),
        "items": top.texts("items", pose_tokens=1, allowed={"i", "name", "Name", "said"},
                           needs=(frozenset({"said"}),)),
    }


def _counts(file: _File, data: Any) -> dict[str, Any]:
    """How a message asks for N poses: number phrases → 2-8, plural nouns, the gap between them,
    the words that end the number's phrase before a noun (ends); the words that list poses one
    after another (sequence), one per item (each) or open each item (openers: "one …, the other
    …"); the words by which a sequence item goes on
    building the pose before it (steps: its parts, postures that say a new body, starts that name one)."""
    top = file.record(data, "", 1, ("numbers", "nouns", "gap", "ends", "sequence", "each", "openers", "steps"))
    numbers: dict[str, int] = {}
    table = file.mapping(*top.at("numbers"))
    for phrase, value in table.items():
        where, line = f"numbers.{phrase}", table.lines[phrase]
        if not isinstance(phrase, str) or not phrase.strip() or phrase != phrase.lower().strip():
            raise file.error(line, where, f"a number phrase is lower-case text, got {phrase!r}")
        if not isinstance(value, int) or isinstance(value, bool) or not 2 <= value <= 8:
            raise file.error(line, where, f"a number of poses is a whole number from 2 to 8, got {value!r}")
        numbers[phrase] = value
    nouns = top.texts("nouns", allowed=())
    for noun in nouns:
        if noun != noun.lower() or " " in noun:
            raise file.error(top.at("nouns")[2], "nouns", f"{noun!r}: one plural word in lower case")
    gap, where, line = top.at("gap")
    if not isinstance(gap, int) or isinstance(gap, bool) or not 0 <= gap <= 6:
        raise file.error(line, where, f"gap is a whole number of words from 0 to 6, got {gap!r}")
    ends = top.texts("ends", allowed=())
    for word in ends:
        if not re.fullmatch(r"[a-z]+", word):
            raise file.error(top.at("ends")[2], "ends", f"{word!r}: one lower-case word")
    markers = {}
    for key in ("sequence", "each", "openers"):
        markers[key] = top.texts(key, allowed=())
        for marker in markers[key]:
            if marker != marker.lower().strip() or not re.fullmatch(r"[a-z]+( [a-z]+)*", marker):
                raise file.error(top.at(key)[2], key, f"{marker!r}: lower-case words separated by single spaces")
    steps = top.record("steps", ("parts", "postures", "starts"))
    step_words = {key: _single_words(file, steps.texts(key, allowed=()), *steps.at(key)[1:]) for key in ("parts", "postures", "starts")}
    return {"numbers": numbers, "nouns": nouns, "gap": gap, "ends": ends, **markers, "steps": step_words}


def _sides(file: _File, data: Any) -> dict[str, Any]:
    """Body-part groups a side word may name: their part words and sided checks; the gap; the
    words that make the named part the one the body rests on; the part words that name a pair and
    the words that pick one of it; the words that step the named leg back."""
    top = file.record(data, "", 1, ("groups", "gap", "support", "support_words", "determiners", "pairs", "one_of", "only_words"),
                      optional=("stepping_back",))
    groups = file.mapping(*top.at("groups"))
    if not groups:
        raise file.error(groups.line, "groups", "needs at least one body-part group")
    known = _check_names()
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    seen_parts: dict[str, str] = {}
    for name, value in groups.items():
        where = f"groups.{name}"
        group = file.record(value, where, groups.lines[name], ("parts", "checks"))
        parts = group.texts("parts", allowed=())
        for part in parts:
            if part != part.lower() or " " in part:
                raise group.error("parts", f"{part!r}: one word in lower case")
            if part in seen_parts:
                raise group.error("parts", f"{part!r} is also a part of {seen_parts[part]!r}")
            seen_parts[part] = name
        checks = group.texts("checks", allowed=())
        for check in checks:
            missing = [f"{side}_{check}" for side in ("left", "right") if f"{side}_{check}" not in known]
            if missing:
                raise group.error("checks", f"{check!r}: no check {' or '.join(missing)}{_suggest(missing[0], known)}")
        out[str(name)] = {"parts": parts, "checks": checks}
    gap, where, line = top.at("gap")
    if not isinstance(gap, int) or isinstance(gap, bool) or not 1 <= gap <= 4:
        raise file.error(line, where, f"gap is a whole number of words from 1 to 4, got {gap!r}")
    support_table = file.mapping(*top.at("support"))
    support = {}
    for group, listed in support_table.items():
        where, line = f"support.{group}", support_table.lines[group]
        if group not in out:
            raise file.error(line, where, f"unknown group {group!r}; known: {_listed(out)}")
        support[str(group)] = _single_words(file, file.texts(listed, where, line, allowed=()), where, line)
    determiners = _single_words(file, top.texts("determiners", allowed=()), "determiners", top.at("determiners")[2])
    support_words = _single_words(file, top.texts("support_words", allowed=()), "support_words", top.at("support_words")[2])
    pairs = _single_words(file, top.texts("pairs", allowed=()), "pairs", top.at("pairs")[2])
    for part in pairs:
        if part not in seen_parts:
            raise file.error(top.at("pairs")[2], "pairs", f"{part!r} is no group's part; parts: {_listed(seen_parts)}")
    one_of = _single_words(file, top.texts("one_of", allowed=()), "one_of", top.at("one_of")[2])
    only_words = _single_words(file, top.texts("only_words", allowed=()), "only_words", top.at("only_words")[2])
    stepping_back: dict[str, tuple[str, ...]] = {"verbs": (), "words": ()}
    if "stepping_back" in top.data:
        table = top.record("stepping_back", ("verbs", "words"))
        stepping_back = {key: _single_words(file, table.texts(key, allowed=()), f"stepping_back.{key}", table.at(key)[2])
                         for key in ("verbs", "words")}
    return {"groups": out, "gap": gap, "support": support, "support_words": support_words, "determiners": determiners,
            "pairs": pairs, "one_of": one_of, "only_words": only_words, "stepping_back": stepping_back}


def _single_words(file: _File, listed: tuple[str, ...], where: str, line: int) -> tuple[str, ...]:
    """`listed`, each checked to be one lower-case word."""
    for word in listed:
        if not re.fullmatch(r"[a-z]+", word):
            raise file.error(line, where, f"{word!r}: one lower-case word")
    return listed


def _declines(file: _File, data: Any) -> dict[str, Any]:
    """The phrases with which a message asks for no pose."""
    top = file.record(data, "", 1, ("phrases",))
    phrases = top.texts("phrases", allowed=())
    for phrase in phrases:
        if not re.fullmatch(r"[a-z0-9]+( [a-z0-9]+)*", phrase):
            raise file.error(top.at("phrases")[2], "phrases", f"{phrase!r}: lower-case words separated by single spaces, no apostrophes")
    return {"phrases": phrases}


def _asked_edits(file: _File, data: Any) -> dict[str, Any]:
    """The edits a first request never asks for (names of edits.yaml) and the words that say no change."""
    word_lists = ("not_a_change", "plural_pronouns", "singular_pronouns", "whole_body_verbs", "causatives", "person_pronouns", "new_people", "person_nouns", "indefinite_articles", "keep_words", "filler_words", "question_words", "head_words", "trunk_words", "state_words", "negations", "instead_words", "where_words", "repeat_words", "adding_words", "other_words", "placing_verbs", "placing_words", "reaching_words", "places")
    top = file.record(data, "", 1, ("relative", *word_lists))
    relative = file.names(*top.at("relative"), known=tuple(load("edits")), what="edit")
    return {"relative": relative, **{key: _single_words(file, top.texts(key, allowed=()), key, top.at(key)[2]) for key in word_lists}}


def _lead_ins(file: _File, data: Any) -> dict[str, Any]:
    """The words a pose reply's lead-in may say that claim nothing about the body."""
    top = file.record(data, "", 1, ("not_a_claim",))
    words = _single_words(file, top.texts("not_a_claim", allowed=()), "not_a_claim", top.at("not_a_claim")[2])
    return {"not_a_claim": words}


def _courtesy(file: _File, data: Any) -> dict[str, Any]:
    """The words a request says to be polite that say nothing about the body."""
    top = file.record(data, "", 1, ("words",))
    return {"words": _single_words(file, top.texts("words", allowed=()), "words", top.at("words")[2])}


def _shorthand(file: _File, data: Any) -> dict[str, Any]:
    """Chat shorthand → the words it stands for ("ur" → "your")."""
    top = file.record(data, "", 1, ("words",))
    table = file.mapping(*top.at("words"))
    words: dict[str, str] = {}
    for key, value in table.items():
        where, line = f"words.{key}", table.lines[key]
        if not isinstance(key, str) or not re.fullmatch(r"[a-z0-9/]+", key):
            raise file.error(line, where, f"a shorthand is one lower-case token of letters, digits and '/', got {key!r}")
        said = file.text(value, where, line)
        if said != said.lower():
            raise file.error(line, where, f"{said!r}: lower case")
        words[key] = said
    return {"words": words}


def _everyday_words(file: _File, data: Any) -> dict[str, Any]:
    """Everyday wordings of the captioner's facts, by (topic, value): each fact one the captioner says."""
    words = load("captioner")  # read lazily: captioner.yaml is the list of facts
    known = {("posture", name) for name in words["postures"]}
    known |= {(limb, bend) for limb in ("elbow", "knee") for bend in words["bends"]}
    known |= {("hand_on", target) for target in words["hand_targets"]}
    known |= {(topic, value) for topic, values in words["clauses"].items() for value in values}
    top = file.record(data, "", 1, ("facts",))
    table = file.mapping(*top.at("facts"))
    facts: dict[tuple[str, str], tuple[str, ...]] = {}
    for key, listed in table.items():
        where, line = f"facts.{key}", table.lines[key]
        fact = tuple(str(key).split("/"))
        if len(fact) != 2 or fact not in known:
            names = ["/".join(pair) for pair in sorted(known)]
            raise file.error(line, where, f"{key!r} is no fact of captioner.yaml (topic/value){_suggest(str(key), names)}")
        texts = file.texts(listed, where, line, allowed=EVERYDAY_PART_PLACEHOLDERS | EVERYDAY_OTHER_PART_PLACEHOLDERS)
        for text in texts:
            if text != text.lower() or text != " ".join(text.split()):
                raise file.error(line, where, f"{text!r}: lower-case words separated by single spaces")
        facts[(fact[0], fact[1])] = texts
    return {"facts": facts}


def _directions(file: _File, data: Any) -> dict[str, Any]:
    """Groups of direction words, which groups conflict ("up" with "down" and "forward"), idioms
    that say a group (or groups, "side+level") whatever their words say ("at your sides": down),
    the moving words, each a group's word ("lift": up), that say nothing when a height is named, and
    the joints whose direction is not their limb's ("elbow")."""
    top = file.record(data, "", 1, ("groups", "conflicts"), optional=("idioms", "moving", "joints"))
    groups = file.mapping(*top.at("groups"))
    if not groups:
        raise file.error(groups.line, "groups", "needs at least one group of words")
    out: dict[str, tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    for name, listed in groups.items():
        where, line = f"groups.{name}", groups.lines[name]
        words = _single_words(file, file.texts(listed, where, line, allowed=()), where, line)
        for word in words:
            if word in seen:
                raise file.error(line, where, f"{word!r} is also a word of {seen[word]!r}")
            seen[word] = str(name)
        out[str(name)] = words
    table = file.mapping(*top.at("conflicts"))
    conflicts: set[tuple[str, str]] = set()
    for name, listed in table.items():
        where, line = f"conflicts.{name}", table.lines[name]
        others = file.texts(listed, where, line, allowed=())
        for group in (name, *others):
            if group not in out:
                raise file.error(line, where, f"unknown group {group!r}; known: {_listed(out)}{_suggest(str(group), out)}")
        for other in others:
            if other == name:
                raise file.error(line, where, f"a group cannot conflict with itself ({name!r})")
            conflicts |= {(str(name), other), (other, str(name))}
    idioms: dict[str, tuple[str, ...]] = {}  # phrase → the groups it says, in file order
    if "idioms" in top.data:
        table = file.mapping(*top.at("idioms"))
        for name, listed in table.items():
            where, line = f"idioms.{name}", table.lines[name]
            said = tuple(str(name).split("+"))  # "side+level": the phrase says both
            for group in said:
                if group not in out:
                    raise file.error(line, where, f"unknown group {group!r}; known: {_listed(out)}{_suggest(group, out)}")
            for phrase in file.texts(listed, where, line, allowed=()):
                if not re.fullmatch(r"[a-z]+( [a-z]+)+", phrase):
                    raise file.error(line, where, f"{phrase!r}: two or more lower-case words separated by single spaces")
                if phrase in idioms:
                    raise file.error(line, where, f"{phrase!r} is also an idiom of {'+'.join(idioms[phrase])!r}")
                idioms[phrase] = said
    moving: tuple[str, ...] = ()
    if "moving" in top.data:
        value, where, line = top.at("moving")
        moving = _single_words(file, file.texts(value, where, line, allowed=()), where, line)
        for word in moving:
            if word not in seen:
                raise file.error(line, where, f"{word!r} is no group's word: a moving word says a group's direction")
    joints: tuple[str, ...] = ()
    if "joints" in top.data:
        value, where, line = top.at("joints")
        joints = _single_words(file, file.texts(value, where, line, allowed=()), where, line)
    return {"groups": out, "conflicts": tuple(sorted(conflicts)), "idioms": idioms, "moving": moving, "joints": joints}


def _scenes(file: _File, data: Any) -> dict[str, Any]:
    top = file.record(data, "", 1, ("questions", "refs", "who_states"))
    questions = top.record("questions", tuple(SCENE_QUESTION_FAMILIES))
    families = {family: questions.texts(family, allowed={needed} if needed else (),
                                        needs=(frozenset({needed}),) if needed else ())
                for family, needed in SCENE_QUESTION_FAMILIES.items()}
    refs = top.record("refs", (*SCENE_REF_TABLES, *SCENE_COLOUR_REFS))
    tables: dict[str, Any] = {}
    for kind in refs.data:
        if kind in SCENE_COLOUR_REFS:
            tables[kind] = refs.texts(kind, allowed={"c"}, needs=(frozenset({"c"}),))
            continue
        value, where, line = refs.at(kind)
        table = file.mapping(value, where, line)
        tables[kind] = {file.text(reading, where, table.lines[reading]):
                        file.texts(texts, f"{where}.{reading}", table.lines[reading], allowed=())
                        for reading, texts in table.items()}
    states = file.mapping(*top.at("who_states"))
    readings = {**tables["posture"], **tables["gesture"]}
    for reading, text in states.items():
        where = f"who_states.{reading}"
        file.text(text, where, states.lines[reading])
        if reading not in readings:
            raise file.error(states.lines[reading], where,
                             f"{reading!r} is no posture or gesture of refs{_suggest(reading, readings)}")
    return {"questions": families, "refs": tables, "who_states": dict(states)}


REFERRING_KINDS = ("number", "position", "size", "relation", "posture", "gesture", "facing", "hair", "clothing")


def _fraction(file: _File, value: Any, where: str, line: int, low: float = 0.0, high: float = 1.0,
              low_open: bool = True) -> float:
    """A number in (low, high] (or [low, high] with low_open False)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            (low < value if low_open else low <= value) and value <= high):
        raise file.error(line, where, f"expected a number in {'(' if low_open else '['}{low}, {high}], got {value!r}")
    return float(value)


def _referring(file: _File, data: Any) -> dict[str, Any]:
    """referring.yaml (posegpt.vision.referring): phrases compile, placeholders fit their section,
    every `fits` names a value the person readings can take, numbers are in range."""
    from posegpt.vision.appearance import COLOUR_NAMES, HAIR_NAMES
    from posegpt.vision.features import FACING_WORDS, GESTURE_WORDS, POSTURE_WORDS
    from posegpt.vision.referring import PLACEHOLDERS, POSITION_MEANINGS, RELATION_MEANINGS, SIZE_MEANINGS, compile_phrase

    top = file.record(data, "", 1, ("fillers", "person_nouns", "ordinals", "numbers", "group", "number", "position",
                                    "size", "relation", "posture", "gesture", "facing", "manner", "hair", "clothing",
                                    "decision", "weights"))
    fillers = top.texts("fillers", allowed=())
    words = {key: top.texts(key, allowed=()) for key in ("person_nouns",)}
    counts = {}
    for key in ("ordinals", "numbers"):
        table = file.mapping(*top.at(key))
        for word, value in table.items():
            file.text(word, key, table.lines[word])
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise file.error(table.lines[word], f"{key}.{word}", f"expected a whole number ≥ 1, got {value!r}")
        counts[key] = dict(table)
    slots = {name: "x" for name in PLACEHOLDERS}

    def phrases(value: Any, where: str, line: int, needs: str | None = None) -> tuple[str, ...]:
        texts = file.texts(value, where, line, allowed=None)
        items = file.sequence(value, where, line)
        for index, text in enumerate(texts):
            here, item_line = f"{where}[{index}]", items.lines[index]
            try:
                compile_phrase(text, frozenset(fillers), slots)
            except ValueError as error:
                raise file.error(item_line, here, str(error)) from None
            found = set(_PLACEHOLDER.findall(text)) - {"who"}
            if found != ({needs} if needs else set()):
                wanted = f"exactly {{{needs}}} (and {{who}})" if needs else "no placeholder but {who}"
                raise file.error(item_line, here, f"needs {wanted}: {text!r}")
        return texts

    def fits(value: Any, where: str, line: int, known: Collection[str]) -> dict[str, float]:
        table = file.mapping(value, where, line)
        if not table:
            raise file.error(line, where, "needs at least one value")
        for name, weight in table.items():
            if name not in known:
                raise file.error(table.lines[name], where, f"unknown value {name!r}{_suggest(str(name), known)}; "
                                                           f"known: {_listed(known)}")
            _fraction(file, weight, f"{where}.{name}", table.lines[name])
        return {name: float(weight) for name, weight in table.items()}

    def entries(value: Any, where: str, line: int, means: Collection[str] | None = None,
                known: Collection[str] | None = None) -> tuple[dict[str, Any], ...]:
        items = file.sequence(value, where, line, min_count=1)
        out = []
        for index, item in enumerate(items):
            here = f"{where}[{index}]"
            entry = file.record(item, here, items.lines[index], ("says", "means") if means is not None else ("says", "fits"))
            if means is not None:
                meaning = entry.text("means")
                if meaning not in means:
                    raise entry.error("means", f"unknown meaning {meaning!r}; known: {_listed(means)}")
                needs = "n" if meaning.startswith("nth_") else None
                out.append({"says": phrases(*entry.at("says"), needs=needs), "means": meaning})
            else:
                out.append({"says": phrases(*entry.at("says")), "fits": fits(*entry.at("fits"), known or ())})
        return tuple(out)

    manner = top.record("manner", ("leads", "verbs"))
    hair = top.record("hair", ("said", "frames", "alone"))
    said = file.mapping(*hair.at("said"))
    clothing = top.record("clothing", ("top", "bottom", "whole", "colours", "shades", "implied"))
    colours = file.mapping(*clothing.at("colours"))
    shades = file.mapping(*clothing.at("shades"))
    shade_specs = {}
    for shade, spec in shades.items():
        where = f"clothing.shades.{shade}"
        if shade not in ("dark", "light"):
            raise file.error(shades.lines[shade], where, f"a shade is 'dark' or 'light', got {shade!r}")
        record = file.record(spec, where, shades.lines[shade], ("words", "same", "plain", "opposite"), ("also",))
        shade_specs[shade] = {"words": record.texts("words", allowed=()),
                              **{key: _fraction(file, *record.at(key), low=0.0, low_open=False) for key in ("same", "plain", "opposite")},
                              "also": fits(*record.at("also"), COLOUR_NAMES) if "also" in record else {}}
    implied = file.mapping(*clothing.at("implied"))
    garments = {region: clothing.texts(region, allowed=()) for region in ("top", "bottom", "whole")}
    for word, line in implied.lines.items():
        if not any(word in listed for listed in garments.values()):
            raise file.error(line, f"clothing.implied.{word}", f"{word!r} is not a garment of top, bottom or whole")
    decision = top.record("decision", ("margin", "min_score", "unread"))
    weights = top.record("weights", REFERRING_KINDS)
    return {
        "fillers": fillers, **words, **counts,
        "group": phrases(*top.at("group")), "number": phrases(*top.at("number"), needs="k"),
        "position": entries(*top.at("position"), means=POSITION_MEANINGS),
        "size": entries(*top.at("size"), means=SIZE_MEANINGS),
        "relation": entries(*top.at("relation"), means=RELATION_MEANINGS),
        "posture": entries(*top.at("posture"), known=POSTURE_WORDS),
        "gesture": entries(*top.at("gesture"), known=GESTURE_WORDS),
        "facing": entries(*top.at("facing"), known=FACING_WORDS),
        "manner": {"leads": manner.texts("leads", allowed=()), "verbs": manner.texts("verbs", allowed=())},
        "hair": {"said": {file.text(word, "hair.said", said.lines[word]): fits(value, f"hair.said.{word}", said.lines[word], HAIR_NAMES)
                          for word, value in said.items()},
                 "frames": phrases(*hair.at("frames"), needs="h"),
                 "alone": entries(*hair.at("alone"), known=HAIR_NAMES)},
        "clothing": {**garments,
                     "colours": {file.text(word, "clothing.colours", colours.lines[word]):
                                 fits(value, f"clothing.colours.{word}", colours.lines[word], COLOUR_NAMES)
                                 for word, value in colours.items()},
                     "shades": shade_specs,
                     "implied": {word: fits(value, f"clothing.implied.{word}", implied.lines[word], COLOUR_NAMES)
                                 for word, value in implied.items()}},
        "decision": {"margin": _fraction(file, *decision.at("margin"), low=0.0, low_open=False),
                     "min_score": _fraction(file, *decision.at("min_score"), high=10.0),
                     "unread": _fraction(file, *decision.at("unread"), low=0.0, low_open=False)},
        "weights": {kind: _fraction(file, *weights.at(kind), high=10.0) for kind in REFERRING_KINDS},
    }


_SCHEMAS: dict[str, Callable[[_File, Any], Any]] = {
    "poses": _poses,
    "situations": _situations,
    "templates": _templates,
    "qa": _qa,
    "edits": _edits,
    "captioner": _captioner,
    "chat_prompts": _chat_prompts,
    "scenes": _scenes,
    "several": _several,
    "referring": _referring,
    "counts": _counts,
    "sides": _sides,
    "declines": _declines,
    "directions": _directions,
    "asked_edits": _asked_edits,
    "lead_ins": _lead_ins,
    "courtesy": _courtesy,
    "everyday_words": _everyday_words,
    "shorthand": _shorthand,
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
    return _SCHEMAS[kind](_File(path), _read_yaml(path))


@lru_cache(maxsize=None)
def load(name: str) -> Any:
    """The validated content of a catalogue, read once per process.

    "postures" / "actions" → {name: PoseEntry}; "situations" → {name: {poses, checks, phrasings,
    answers, side_free}}; "templates" → {family: texts}; "qa" → ((question, answer), ...);
    "edits" → {name: record} (see `_edits`); "captioner" → its phrase tables; "chat_prompts" →
    {"single_turn": {theme: prompts}, "multi_turn": (user turns, ...)}; "scenes" → {"questions":
    {family: texts}, "refs": {kind: {reading: texts} or texts}, "who_states": {reading: text}}; "several" → {"subjects": {category: phrases}, "requests",
    "leads", "items"}; "counts" → {"numbers": {phrase: N}, "nouns", "gap", "sequence", "each", "openers"}; "sides" → {"groups": {group: {"parts",
    "checks"}}, "gap", "support", "support_words", "determiners", "pairs", "one_of", "only_words", "stepping_back": {"verbs", "words"}}; "declines" → {"phrases"}; "directions" → {"groups": {group: words}, "conflicts":
    ((group, group), ...) both ways, sorted, "idioms": {phrase: groups}, "moving": words, "joints": words}; "asked_edits" → {"relative": edit names, "not_a_change": words, "plural_pronouns": words, "singular_pronouns": words, "placing_verbs": words, "placing_words": words, "reaching_words": words, "places": words, "whole_body_verbs": words, "causatives": words, "person_pronouns": words, "new_people": words, "person_nouns": words, "indefinite_articles": words, "keep_words": words, "filler_words": words, "question_words": words, "negations": words, "instead_words": words, "where_words": words, "repeat_words": words, "adding_words": words, "other_words": words}; "lead_ins" → {"not_a_claim": words}; "courtesy" → {"words": words}; "everyday_words" → {"facts": {(topic, value): wordings}}; "shorthand" → {"words": {shorthand: words}}.
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
