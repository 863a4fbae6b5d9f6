"""posegpt.asked_edits: the bank's chosen pose changed as a request's clauses ask."""

import torch
from test_eval_text2pose import WordEmbedder

from posegpt.asked_edits import AskedEdits, change_words
from posegpt.body_words import BodyWords
from posegpt.data.conversations import EDITS_BY_NAME
from posegpt.data.named_poses import named_pose
from posegpt.eval.checks import run_checks
from posegpt.pose import Pose


def test_change_words_leave_out_parts_sides_and_glue():
    assert change_words("Put your LEFT hand on your hip") == {"put", "hip"}  # "on" says where, not what
    assert change_words("ur left hand") == {"ur"}
    assert change_words("both arms") == frozenset()


def test_change_words_are_stems_so_an_inflected_word_says_the_same_change():
    from posegpt.asked_edits import stem

    # "her arms folded" shared no word with "Fold your arms." and asked for nothing
    assert change_words("her arms folded") == change_words("Fold your arms.") == {"fold"}
    assert {stem(word) for word in ("raise", "raised", "raises", "raising")} == {"rais"}
    assert stem("sitting") == stem("sit") and stem("stepped") == stem("step") and stem("crossed") == "cross"
    assert stem("bent") != stem("bend")  # irregular forms stay apart
    assert stem("lying") == "lying" and stem("hips") == "hip"


def test_a_clause_asks_for_the_edit_whose_phrasing_says_what_to_do():
    asked = AskedEdits(WordEmbedder(), BodyWords(WordEmbedder()))
    # the toy word embedder hears "hips" and "head" phrasings alike but for one word: the one that says it first
    hips = [edit.name for edit in asked.asked("put your hands on your hips")]
    assert hips[0] == "hands_on_hips" and not {"raise_arms", "lower_arms", "sit_down", "clap"} & set(hips)
    assert [edit.name for edit in asked.asked("put your hands on your head")][0] == "hands_on_head"
    # "stand tall" may ask for both feet down (it fits only a pose with a foot raised); the arms first
    assert [edit.name for edit in asked.asked("stand tall with your arms down by your sides")][:1] == ["lower_arms"]
    # which part alone asks for nothing, and a first request never asks for a change of itself
    assert not any("arm_" in edit.name for edit in asked.asked("wave with ur left hand"))
    assert not {edit.name for edit in asked.asked("now do it with the other arm")} & {"mirror", "other_arm", "other_leg"}
    assert asked.asked("") == []


def test_the_chosen_pose_gets_the_change_its_words_ask_for():
    asked = AskedEdits(WordEmbedder(), BodyWords(WordEmbedder()))
    arms_up = named_pose("arms_up")
    changed = asked.edited("stand tall with your arms down by your sides", arms_up)
    assert changed is not None
    assert run_checks(changed, ["wrists_below_shoulders", "upright_standing"]) == {"wrists_below_shoulders": True, "upright_standing": True}
    assert asked.edited("stand tall with both arms raised straight up", arms_up) is None  # it already does
    assert asked.edited("hello there", arms_up) is None


def test_words_no_pose_fact_matches_get_the_edit_they_ask_for_most():
    words = BodyWords(WordEmbedder())
    asked = AskedEdits(WordEmbedder(), words)
    request = "lift your arms above your head like a champion"
    assert words.matches(request, named_pose("stand")) is None  # no clause is about a pose's facts
    assert [edit.name for edit in asked.asked(request)][0] == "raise_arms"  # the most asked first
    changed = asked.most_asked(request, named_pose("stand"))
    assert changed is not None and run_checks(changed, ["both_wrists_above_head"])["both_wrists_above_head"]
    assert asked.most_asked(request, named_pose("arms_up")) is None  # it does it already
    assert asked.most_asked("a sprinter who just won", named_pose("stand")) is None


class _FixedMatches:
    """Stands in for BodyWords: each pose's match per clause, in the order the poses come."""

    def __init__(self, rows: list[list[float]]) -> None:
        self.rows = torch.tensor(rows)

    def matches(self, text: str, poses: Pose) -> torch.Tensor:
        assert len(poses) == self.rows.shape[0]
        return self.rows


def test_a_change_must_match_the_words_better_and_no_clause_worse(monkeypatch):
    arms_up = named_pose("arms_up")
    edits = [EDITS_BY_NAME["lower_arms"], EDITS_BY_NAME["arms_out"]]  # both fit a pose with the arms up
    cases = {
        "the best gain wins": ([[0.7, 0.5], [0.7, 0.8], [0.7, 0.9]], "arms_out"),
        "a clause worse by more than WORSE_CLAUSE refuses it": ([[0.7, 0.5], [0.7, 0.8], [0.5, 0.9]], "lower_arms"),
        "no gain, no change": ([[0.7, 0.5], [0.7, 0.5], [0.6, 0.6]], None),
    }
    for name, (rows, expected) in cases.items():
        asked = AskedEdits(WordEmbedder(), _FixedMatches(rows))  # type: ignore[arg-type]
        monkeypatch.setattr(asked, "asked", lambda text: edits)
        changed = asked.edited("anything", arms_up)
        if expected is None:
            assert changed is None, name
            continue
        wanted = {"lower_arms": "wrists_below_shoulders", "arms_out": "arms_out_to_sides"}[expected]
        assert changed is not None and run_checks(changed, [wanted])[wanted], name
