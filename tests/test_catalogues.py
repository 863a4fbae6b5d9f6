"""The catalogues (posegpt/data/catalogues/*.yaml) and their one loader: every file loads and is
packaged, a malformed file fails with its file, line and entry, and the data the generators make
from the catalogues is pinned by fingerprints, so that a change to it is always deliberate.

The fingerprints were recorded before the catalogues moved out of Python literals and are
unchanged by the move (training data built before and after is the same). When you change a
catalogue on purpose, update the expected values below from the failure message.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from posegpt.data import catalogue
from posegpt.data.catalogue import CATALOGUES, CatalogueError, load, load_file, pose_library

# build_dataset(split, size, seed=0, sampler_poses=24), general chat left out (it is a file of
# recorded answers, not a catalogue): [samples, sha256 of (kind, messages, meta) as sorted JSON,
# sum of |pose values| (a sum, not a hash, so last-bit float differences between machines pass)].
EXPECTED_GENERATED = {
    "train": [600, "d1a7673e4a1330018ed5d478fc9c16b6b2b16eb3664fd222a0d433a32f033b57", 6765.233],
    "eval": [200, "bbe7b446f286079744089d688a6f110e9c187bb4423927164c2968b64a81d080", 1883.58],
}
# Captioner(seed=0).describe(pose, 3) of every library pose and its mirror image.
EXPECTED_CAPTIONS = "cd63443912548482a410b9ea80e9e5a58656b4f0321baaf7fd81480cc8181b39"
# sha256 of each catalogue's loaded content (sorted JSON).
EXPECTED_CONTENT = {
    "postures": "438149cc81bd6ea691b27cd7c4faabb4d44bc0e240e952022e2740cf1af473ef",
    "actions": "250e6b5114d41caec0580068eea665cfbc5a1432528a70c06265572b51229434",
    "situations": "0f90c536613ee2d83608a516b377af91ae89f0b5af884320f103ca027f5f2bb7",
    "templates": "c50b7da4b482e66e9c633ab3d4efa44d1f9e092cfbff783ea81c9b794d07dcb7",
    "qa": "43cac1222e3f3cb6a77ae7ce9de1cf8120295a712bb5f522dec4466bd829c6b4",
    "edits": "ede1bf1b4a55847b4deb6b127f4180376ce2bff3b76187cb3856b97a2ea197fd",
    "captioner": "4efe6c65802493b128b87482ed0bed5ad930aa608ae80dfaa789509afcb5168b",
    "chat_prompts": "30a4841c3bc008c8effa73377015819f0c8869c1f345ba220d3ae655d4d959b7",
    "scenes": "d73025b34d7738222bbd124d6a440793e57dadf0bc82c32517f8929c0e57d742",
    "several": "e01044510381a4057c886639ced22fb2fff948021c29d24cb0dbc1a95f3e49a7",
    "counts": "da9bab502da5d2c49ca49280604cf5b9f35eaad661db34258cfaa3c789c0fa2f",
    "referring": "508a9867903d698aa2106a3b1076b5dd2b7d868a135bf392c3a726809e0e7fe1",
    "sides": "8162d86acc3cf0040f6f4205844aae3ec3a71b3ccaa49d900eb7fd1dcb0d6d76",
    "declines": "3c390a06f6113e1b54506067bc1f224c4b8da6a4826ffeead4447778f2782106",
    "directions": "5161c488e9821be4588e9877b128705a3eed54c545e86a5058299a8679d7a6ab",
    "asked_edits": "a8620bd565af4467405901fc4d45964c6f9edcf1d50abcf9365d3520914f2930",
    "lead_ins": "b1e9b06725cbed4ddc62b7d1d53467f6f9f6feec170ef54ba5c30bbb23238d67",
    "courtesy": "cf8e7d64268b91fe8b07d8e76953f1ab91f46af44b3435bb9244d1e3db429298",
    "everyday_words": "54207795059f861381b06f4e6296a878e5da55108a8d7f3dcd50221d6308c073",
    "shorthand": "606ae387a1b00acace38137b7cff558ea1fb41a468a7a64637ced03428920b6c",
}


def _plain(value: Any) -> Any:
    """JSON-ready: dataclasses as dicts, tuples as lists, dict keys as text."""
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _sha(value: Any) -> str:
    return hashlib.sha256(json.dumps(_plain(value), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Fingerprints
# ---------------------------------------------------------------------------------------------


def test_generated_conversations_are_unchanged() -> None:
    from posegpt.data.conversations import TRAIN_MIX, build_dataset

    no_chat = {kind: weight for kind, weight in TRAIN_MIX.items() if kind != "chat"}
    found = {}
    for split, size, mix in (("train", 600, no_chat), ("eval", 200, None)):
        samples = build_dataset(split, size, seed=0, mix=mix, sampler_poses=24)
        words = json.dumps([[s.kind, s.messages, s.meta] for s in samples], sort_keys=True, ensure_ascii=False)
        values = np.concatenate([np.concatenate([p.global_orient, p.body_pose], 1) for s in samples for p in s.poses])
        found[split] = [len(samples), hashlib.sha256(words.encode()).hexdigest(),
                        round(float(np.abs(values.astype(np.float64)).sum()), 3)]
    message = f"the generated data changed; if that is deliberate, set EXPECTED_GENERATED = {found}"
    for split, (count, digest, total) in EXPECTED_GENERATED.items():
        assert found[split][:2] == [count, digest], message
        assert found[split][2] == pytest.approx(total, abs=0.01), message


def test_captions_are_unchanged() -> None:
    from posegpt.data.captioner import Captioner
    from posegpt.data.named_poses import POSE_LIBRARY, named_pose

    texts = []
    for name in POSE_LIBRARY:
        pose = named_pose(name)
        texts += [Captioner(seed=0).describe(pose, 3), Captioner(seed=0).describe(pose.mirrored(), 3)]
    found = hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode()).hexdigest()
    assert found == EXPECTED_CAPTIONS, f"the captions changed; if that is deliberate, set EXPECTED_CAPTIONS = {found!r}"


def test_catalogue_contents_are_unchanged() -> None:
    found = {name: _sha(load(name)) for name in CATALOGUES}
    assert found == EXPECTED_CONTENT, f"a catalogue changed; if that is deliberate, set EXPECTED_CONTENT = {found}"


# ---------------------------------------------------------------------------------------------
# The real files
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CATALOGUES))
def test_every_catalogue_loads_once(name: str) -> None:
    content = load(name)
    assert content
    assert load(name) is content  # cached: read and validated once per process


def test_pose_library_is_postures_then_actions() -> None:
    library = pose_library()
    assert list(library) == [*load("postures"), *load("actions")]
    assert len(library) >= 250
    assert all(entry.names for entry in library.values())


def test_catalogues_are_package_data() -> None:
    """An installed package must carry the data files: pyproject's package-data names them."""
    import tomllib

    root = Path(__file__).resolve().parents[1]
    package_data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = package_data.get("posegpt.data", [])
    data_dir = root / "posegpt" / "data"
    packaged = {path for pattern in patterns for path in data_dir.glob(pattern)}
    assert {catalogue.catalogue_path(name) for name in CATALOGUES} <= packaged
    assert set(catalogue.CATALOGUE_DIR.glob("*.yaml")) == {catalogue.catalogue_path(name) for name in CATALOGUES}


def test_edit_vocabulary_matches_its_implementation() -> None:
    from posegpt.data.conversations import EDIT_JOINT_GROUPS, EDIT_VALIDATORS

    assert set(EDIT_VALIDATORS) == set(catalogue.EDIT_VALIDATORS)
    assert set(EDIT_JOINT_GROUPS) == set(catalogue.EDIT_JOINT_GROUPS)


def test_turns_keep_whole_degrees_as_written() -> None:
    assert load("postures")["a_pose"].turns == (("left_shoulder", "z", -45), ("right_shoulder", "z", 45))
    assert all(type(degrees) is int for entry in pose_library().values() for _, _, degrees in entry.turns)


def test_the_captioner_reads_its_words_when_first_needed() -> None:
    """Importing the captioner reads no catalogue (its words are read on the first description),
    which keeps imports cheap and lets the loader check the captioner's postures without a cycle."""
    import subprocess

    code = ("import posegpt.data.captioner, posegpt.data.catalogue as c; "
            "print(c.load.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "0"


# ---------------------------------------------------------------------------------------------
# Malformed files: a clear error naming the file, the line and the entry
# ---------------------------------------------------------------------------------------------

SITUATION = """\
first_situation:
  poses: [arms_up]
  checks: [both_wrists_above_head]
  phrasings: ["What would a sprinter do right after winning?"]
  answers: ["Like this: <POSE>"]
"""


def _write(tmp_path: Path, text: str, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _error(tmp_path: Path, kind: str, text: str) -> str:
    path = _write(tmp_path, text)
    with pytest.raises(CatalogueError) as raised:
        load_file(path, kind)
    message = str(raised.value)
    assert str(path) in message
    return message


def test_a_valid_small_file_loads(tmp_path: Path) -> None:
    situations = load_file(_write(tmp_path, SITUATION), "situations")
    assert situations["first_situation"]["side_free"] is True
    assert situations["first_situation"]["poses"] == ("arms_up",)


@pytest.mark.parametrize("text, expected", [
    (SITUATION + "  side_free: maybe\n", r"broken.yaml:6: first_situation.side_free: expected true or false"),
    (SITUATION.replace("both_wrists_above_head", "both_wrist_above_head"),
     r":3: first_situation.checks\[0\]: unknown check 'both_wrist_above_head' \(did you mean 'both_wrists_above_head'"),
    (SITUATION.replace("[arms_up]", "[arms_upp]"), r":2: first_situation.poses\[0\]: unknown pose 'arms_upp'"),
    (SITUATION.replace('"Like this: <POSE>"', '"Like this."'), r":5: first_situation.answers\[0\]: needs exactly 1 <POSE>"),
    (SITUATION.replace("  answers:", "  answer:"), r":5: first_situation: unknown key 'answer'"),
    (SITUATION.replace('  phrasings: ["What would a sprinter do right after winning?"]\n', ""),
     r":2: first_situation: missing key 'phrasings'"),
    (SITUATION + SITUATION.replace("first_situation", "second_situation").replace("[arms_up]", "[]"),
     r":7: second_situation.poses: needs at least 1 item"),
    (SITUATION + SITUATION, r":6: 'first_situation' is defined twice \(first on line 1\)"),
    (SITUATION.replace("first_situation", "First Situation"), r":1: expected a snake_case name, got 'First Situation'"),
    ("first_situation: [\n", r"not valid YAML"),
])
def test_malformed_situations(tmp_path: Path, text: str, expected: str) -> None:
    assert re.search(expected, _error(tmp_path, "situations", text))


COUNTS_STEPS = "steps: {parts: [head], postures: [sit], starts: [a]}\n"
COUNTS_MARKERS = "sequence: [then]\neach: [one of each]\nopeners: [one]\n" + COUNTS_STEPS
SIDES_GROUP = "groups:\n  arm: {parts: [arm], checks: [elbow_bent]}\n"
SIDES_SUPPORT = 'support: {leg: [stand]}\nsupport_words: ["on"]\ndeterminers: [your]\npairs: [arm]\none_of: [one]\nonly_words: [only]\n'


@pytest.mark.parametrize("kind, text, expected", [
    ("counts", "numbers: {three: 30}\nnouns: [poses]\ngap: 2\nends: [to]\n" + COUNTS_MARKERS, "from 2 to 8"),
    ("counts", "numbers: {three: 3}\nnouns: [Yoga Poses]\ngap: 2\nends: [to]\n" + COUNTS_MARKERS, "one plural word"),
    ("counts", "numbers: {three: 3}\nnouns: [poses]\ngap: 2\nends: [in order to]\n" + COUNTS_MARKERS, "one lower-case word"),
    ("counts", "numbers: {three: 3}\nnouns: [poses]\ngap: 2\nends: [to]\nsequence: [And  Then]\neach: [one of each]\nopeners: [one]\n" + COUNTS_STEPS, "lower-case words"),
    ("counts", "numbers: {three: 3}\nnouns: [poses]\ngap: 2\nends: [to]\nsequence: [then]\neach: [one of each]\nopeners: [one]\n"
     "steps: {parts: [left hand], postures: [sit], starts: [a]}\n", "one lower-case word"),
    ("sides", "groups:\n  arm: {parts: [arm], checks: [wrist_above_heaven]}\ngap: 2\n" + SIDES_SUPPORT, "wrist_above_heaven"),
    ("sides", SIDES_GROUP + "  leg: {parts: [arm], checks: [knee_bent]}\ngap: 2\n" + SIDES_SUPPORT, "also a part of"),
    ("sides", SIDES_GROUP + "gap: 9\n" + SIDES_SUPPORT, "gap"),
    ("sides", SIDES_GROUP + "gap: 2\n" + SIDES_SUPPORT.replace("support: {leg: [stand]}", "support: {arm: [lean]}")
     + "stepping_back: {verbs: [step], words: [Back Wards]}\n", "one lower-case word"),
    ("sides", SIDES_GROUP + "gap: 2\nsupport: {arm: [lean]}\nsupport_words: [on]\ndeterminers: [your]\npairs: [arm]\none_of: [one]\nonly_words: [only]\n",
     "support"),  # YAML reads a bare on as true
    ("sides", SIDES_GROUP + "gap: 2\nsupport: {arm: [lean]}\nsupport_words: [\"on\"]\ndeterminers: [your]\npairs: [arms]\none_of: [one]\nonly_words: [only]\n",
     "no group's part"),
    ("declines", "phrases: [no picture, \"don't show\"]\n", "no apostrophes"),
    ("directions", "groups:\n  up: [up, high]\n  down: [down, high]\nconflicts: {up: [down]}\n", "also a word of"),
    ("directions", "groups:\n  up: [up]\n  down: [down]\nconflicts: {up: [dwn]}\n", "unknown group"),
    ("directions", "groups:\n  up: [up]\n  down: [Way Down]\nconflicts: {up: [down]}\n", "one lower-case word"),
    ("directions", "groups:\n  up: [up]\n  down: [down]\nconflicts: {up: [up]}\n", "itself"),
    ("directions", "groups:\n  up: [up]\n  down: [down]\nconflicts: {up: [down]}\nidioms: {dwn: [at your sides]}\n", "unknown group"),
    ("directions", "groups:\n  up: [up]\n  down: [down]\nconflicts: {up: [down]}\nidioms: {down: [sides]}\n", "two or more"),
    ("directions", "groups:\n  up: [up]\n  down: [down]\nconflicts: {up: [down]}\nidioms: {down: [at sides], up: [at sides]}\n", "also an idiom"),
    ("directions", "groups:\n  up: [up]\n  down: [down]\nconflicts: {up: [down]}\nidioms: {up+dwn: [way up]}\n", "unknown group"),
    ("directions", "groups:\n  up: [up, raise]\n  down: [down]\nconflicts: {up: [down]}\nmoving: [raise, lift]\n", "no group's word"),
    ("directions", "groups:\n  up: [up]\n  down: [down]\nconflicts: {up: [down]}\njoints: [left elbow]\n", "one lower-case word"),
    ("asked_edits", "relative: [mirorr]\nnot_a_change: [arm]\nplural_pronouns: [them]\nsingular_pronouns: [it]\nplacing_verbs: [put]\nplacing_words: [over]\nreaching_words: [to]\nplaces: [heart]\nwhole_body_verbs: [sit]\ncausatives: [have]\nperson_pronouns: [them]\nnew_people: [someone]\nperson_nouns: [guy]\nindefinite_articles: [a]\nkeep_words: [keep]\nfiller_words: [ok]\nquestion_words: [what]\nhead_words: [head]\ntrunk_words: [torso]\nstate_words: [while]\nnegations: [not]\ninstead_words: [instead]\nwhere_words: [out]\nrepeat_words: [same]\nadding_words: [too]\nother_words: [other]\n", "unknown edit"),
    ("asked_edits", "relative: [mirror]\nnot_a_change: [Left Arm]\nplural_pronouns: [them]\nsingular_pronouns: [it]\nplacing_verbs: [put]\nplacing_words: [over]\nreaching_words: [to]\nplaces: [heart]\nwhole_body_verbs: [sit]\ncausatives: [have]\nperson_pronouns: [them]\nnew_people: [someone]\nperson_nouns: [guy]\nindefinite_articles: [a]\nkeep_words: [keep]\nfiller_words: [ok]\nquestion_words: [what]\nhead_words: [head]\ntrunk_words: [torso]\nstate_words: [while]\nnegations: [not]\ninstead_words: [instead]\nwhere_words: [out]\nrepeat_words: [same]\nadding_words: [too]\nother_words: [other]\n", "one lower-case word"),
    ("asked_edits", "relative: [mirror]\nnot_a_change: [arm]\nplural_pronouns: [them all]\nsingular_pronouns: [it]\nplacing_verbs: [put]\nplacing_words: [over]\nreaching_words: [to]\nplaces: [heart]\nwhole_body_verbs: [sit]\ncausatives: [have]\nperson_pronouns: [them]\nnew_people: [someone]\nperson_nouns: [guy]\nindefinite_articles: [a]\nkeep_words: [keep]\nfiller_words: [ok]\nquestion_words: [what]\nhead_words: [head]\ntrunk_words: [torso]\nstate_words: [while]\nnegations: [not]\ninstead_words: [instead]\nwhere_words: [out]\nrepeat_words: [same]\nadding_words: [too]\nother_words: [other]\n", "one lower-case word"),
    ("asked_edits", "relative: [mirror]\nnot_a_change: [arm]\nplural_pronouns: [them]\nsingular_pronouns: [it]\nplacing_verbs: [put]\nplacing_words: [over]\nreaching_words: [to]\nplaces: [heart]\nwhole_body_verbs: [sit]\ncausatives: [have]\nperson_pronouns: [them]\nnew_people: [someone]\nperson_nouns: [guy]\nindefinite_articles: [a]\nkeep_words: [keep]\nfiller_words: [ok now]\nquestion_words: [what]\nhead_words: [head]\ntrunk_words: [torso]\nstate_words: [while]\nnegations: [not]\ninstead_words: [instead]\nwhere_words: [out]\nrepeat_words: [same]\nadding_words: [too]\nother_words: [other]\n", "one lower-case word"),
    ("asked_edits", "relative: [mirror]\nnot_a_change: [arm]\nplural_pronouns: [them]\nsingular_pronouns: [it]\n", "whole_body_verbs"),
    ("asked_edits", "relative: [mirror]\nnot_a_change: [arm]\nplural_pronouns: [them]\nsingular_pronouns: [it]\nplacing_verbs: [put]\nplacing_words: [over]\nreaching_words: [to]\nplaces: [heart]\nwhole_body_verbs: [sit]\ncausatives: [have them]\nperson_pronouns: [them]\nnew_people: [someone]\nperson_nouns: [guy]\nindefinite_articles: [a]\nkeep_words: [keep]\nfiller_words: [ok]\nquestion_words: [what]\nhead_words: [head]\ntrunk_words: [torso]\nstate_words: [while]\nnegations: [not]\ninstead_words: [instead]\nwhere_words: [out]\nrepeat_words: [same]\nadding_words: [too]\nother_words: [other]\n", "one lower-case word"),
    ("lead_ins", "not_a_claim: [here, Like This]\n", "one lower-case word"),
    ("lead_ins", "words: [here]\n", "not_a_claim"),
    ("courtesy", "words: [thank you]\n", "one lower-case word"),
    ("courtesy", "polite: [pls]\n", "words"),
    ("everyday_words", "facts:\n  arm/upp: [hands up]\n", "no fact of captioner.yaml"),
    ("everyday_words", "facts:\n  arm: [hands up]\n", "no fact of captioner.yaml"),
    ("everyday_words", "facts:\n  arm/up: [\"{hands} up\"]\n", "unknown placeholder"),
    ("everyday_words", "facts:\n  arm/up: [Hands Up]\n", "lower-case words"),
    ("everyday_words", "facts:\n  arm/up: [hands up, hands up]\n", "repeats"),
    ("shorthand", "words:\n  U R: you are\n", "one lower-case token"),
    ("shorthand", "words:\n  ur: Your\n", "lower case"),
    ("shorthand", "shorthand:\n  ur: your\n", "words"),
])
def test_malformed_word_lists(tmp_path: Path, kind: str, text: str, expected: str) -> None:
    assert expected in _error(tmp_path, kind, text)


POSES = """\
pieces:
  arms_down:
    - left_shoulder z -75, right_shoulder z 75
poses:
  standing:
    stand_tall:
      description: "standing"
      names: ["someone standing tall"]
      turns:
        - arms_down
        - spine1 x -5
"""


def test_a_valid_pose_file_expands_its_pieces(tmp_path: Path) -> None:
    entry = load_file(_write(tmp_path, POSES), "poses")["stand_tall"]
    assert entry.category == "standing" and entry.names == ("someone standing tall",)
    assert entry.turns == (("left_shoulder", "z", -75), ("right_shoulder", "z", 75), ("spine1", "x", -5))


def test_a_pose_in_two_categories_is_refused(tmp_path: Path) -> None:
    text = POSES + "  sitting:\n    stand_tall:\n      description: \"x\"\n      names: [\"x\"]\n      turns: []\n"
    assert re.search(r":13: poses.sitting.stand_tall: pose 'stand_tall' is already in 'standing'",
                     _error(tmp_path, "poses", text))


TEMPLATES = "".join(f"{family}:\n  - {text}\n" for family, text in (
    ("explicit_request", '"Show me: {desc}"'), ("explicit_reply", '"Here: <POSE>"'), ("named_request", '"Show {name}."'),
    ("named_reply", '"{Name}: <POSE>"'), ("pair_request", '"{a} and {b}"'), ("pair_reply", '"<POSE> <POSE>"'),
))

EDITS = """\
generic_replies: ["<POSE>"]
edits:
  raise_arms:
    change: {from: arms_up, joints: both_arms}
    requires: [torso_upright]
    requests: ["Raise both arms."]
    replies: ["Arms up: <POSE>"]
    generic: 1
"""


def test_small_templates_and_edits_load(tmp_path: Path) -> None:
    assert load_file(_write(tmp_path, TEMPLATES), "templates")["named_reply"] == ("{Name}: <POSE>",)
    edit = load_file(_write(tmp_path, EDITS), "edits")["raise_arms"]
    assert edit["replies"] == ("Arms up: <POSE>", "<POSE>") and edit["change"] == ("from", "arms_up", "both_arms")
    mirrored = load_file(_write(tmp_path, EDITS.replace("{from: arms_up, joints: both_arms}", "{mirror: both_legs}")), "edits")
    assert mirrored["raise_arms"]["change"] == ("mirror", "both_legs")
    scenes = catalogue.catalogue_path("scenes").read_text()
    assert load_file(_write(tmp_path, scenes), "scenes")["who_states"]["sitting"] == "sitting"


def _scene_words() -> str:
    return catalogue.catalogue_path("scenes").read_text()


def _several_words() -> str:
    return catalogue.catalogue_path("several").read_text()


# (kind, a valid text, what to replace, by what, the error expected)
BROKEN = [
    ("poses", POSES, "spine1 x -5", "spine x -5",
     r":11: poses.standing.stand_tall.turns\[1\]: unknown joint 'spine' \(did you mean"),
    ("poses", POSES, "spine1 x -5", "spine1 w -5", r":11: .*axis must be x, y or z, got 'w'"),
    ("poses", POSES, "spine1 x -5", "spine1 x five", r":11: .*degrees must be a number, got 'five'"),
    ("poses", POSES, "spine1 x -5", "spine1 x", r":11: .*expected 'joint axis degrees' or a piece name, got 'spine1 x'"),
    ("poses", POSES, "- arms_down\n", "- arms_low\n", r":10: .*unknown piece 'arms_low'"),
    ("poses", POSES, 'names: ["someone standing tall"]', "names: []",
     r":8: poses.standing.stand_tall.names: needs at least 1"),
    ("poses", POSES, 'description: "standing"', "description: 12",
     r":7: .*description: expected non-empty text, got int 12"),
    ("templates", TEMPLATES, '"Show {name}."', '"Show {nam}."', r"named_request\[0\]: unknown placeholder \{nam\}"),
    ("templates", TEMPLATES, '"Show me: {desc}"', '"Show me."', r"explicit_request\[0\]: needs \{desc\}"),
    ("templates", TEMPLATES, '"<POSE> <POSE>"', '"<POSE>"', r"pair_reply\[0\]: needs exactly 2 <POSE>, has 1"),
    ("templates", TEMPLATES, 'pair_reply:\n  - "<POSE> <POSE>"\n', "", r"missing key 'pair_reply'"),
    ("edits", EDITS, "joints: both_arms", "joints: arms", r":4: edits.raise_arms.change.joints: unknown joint group 'arms'"),
    ("edits", EDITS, "change: {from: arms_up, joints: both_arms}", "change: {mirror: arms}",
     r":4: edits.raise_arms.change.mirror: unknown joint group 'arms'"),
    ("edits", EDITS, "generic: 1", "generic: 2",
     r"edits.raise_arms.generic: expected a whole number from 0 to 1 \(generic replies\), got 2"),
    ("edits", EDITS, "    requires:", "    sided: {donor: arms_up, check: x, achieve: true}\n    requires:",
     r"edits.raise_arms: needs exactly one of 'change' and 'sided'"),
    ("edits", EDITS, "generic: 1\n", "generic: 1\n    valid: pelvis_higher\n",
     r"edits.raise_arms.valid: unknown validator 'pelvis_higher'"),
    ("scenes", _scene_words(), '\n  "sitting": "sitting"', '\n  "seated": "sitting"',
     r"who_states.seated: 'seated' is no posture or gesture of refs"),
    ("scenes", _scene_words(), '"the person in the {c} top"', '"the person in the top"', r"refs.top\[0\]: needs \{c\}"),
    ("scenes", _scene_words(), '"What is the pose of {ref}?"', '"What is the pose of {person}?"',
     r"questions.pose\[0\]: unknown placeholder \{person\}"),
    ("several", _several_words(), "category: dance", "category: dancing",
     r"subjects\[6\].category: unknown category 'dancing' \(did you mean"),
    ("several", _several_words(), '"Show me {n} {subject}."', '"Show me some {subject}."',
     r"requests\[0\]: needs \{n\}"),
    ("several", _several_words(), '"{i}. {Name}: {said} <POSE>"', '"{i}. {Name}: <POSE>"', r"items\[0\]: needs \{said\}"),
]


@pytest.mark.parametrize("kind, text, old, new, expected", BROKEN)
def test_malformed_files(tmp_path: Path, kind: str, text: str, old: str, new: str, expected: str) -> None:
    assert old in text
    assert re.search(expected, _error(tmp_path, kind, text.replace(old, new)))


def test_an_unknown_catalogue_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="unknown catalogue 'situation'"):
        load("situation")
