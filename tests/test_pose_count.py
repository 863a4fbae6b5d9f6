"""How many poses a message asks for, and the engine showing that many before it ends a reply."""

import pytest
import torch
from tiny_models import force_tokens, poses_then, save_tiny_llama

from posegpt.backbones import load_backbone
from posegpt.engine import Done, Engine, PoseEvent
from posegpt.model import PoseGPT, PoseGPTConfig
from posegpt.pose_count import listed_poses, requested_pose_count


@pytest.mark.parametrize("message, count", [
    ("Give me three different stretching poses", 3),
    ("show me 4 yoga poses please", 4),
    ("a couple of dance moves?", 2),
    ("What are 5 easy stretches for my back", 5),
    ("Three ways to sit on the floor", 3),
    ("two fighting stances and nothing else", 2),
    ("hold it for 3 seconds", None),  # a number, but not of poses
    ("raise 2 arms", None),
    ("I want three", None),
    ("give me a pose", None),
    ("the warrior two yoga pose", None),  # a number before a singular names one pose
    ("a figure four stretch, please", None),
    ("", None),
])
def test_the_count_is_a_number_followed_by_a_word_for_poses(message, count):
    assert requested_pose_count(message) == count


@pytest.mark.parametrize("message, items", [
    ("can you show a squat and then a lunge", ("can you show a squat", "a lunge")),
    ("before and after: slouching at a desk, then sitting up straight", ("slouching at a desk", "sitting up straight")),
    ("squat, then jump, followed by a landing", ("squat", "jump", "a landing")),
    ("Standing, sitting, kneeling and lying - one of each!", ("Standing", "sitting", "kneeling", "lying")),
    ("stand with your feet apart and squat slightly", ()),  # one pose described in two parts
    ("sitting, standing or lying down", ()),  # a list, but nothing says one pose each
    ("Stand upright, then keep your right arm stretched up overhead.", ()),  # one pose, built up step by step
    ("lie on your back, then lift your legs", ()),
    ("stand up, then sit down with your hands on your knees", ("stand up", "sit down with your hands on your knees")),
    ("a squat and then a lunge with arms up", ("a squat", "a lunge with arms up")),  # a pose's name, then its arms
    ("sit down, then raise both arms, then stand up", ("sit down, then raise both arms", "stand up")),
    ("wave hello and then both arms straight up", ("wave hello", "both arms straight up")),  # no posture before
    ("two poses pls: one with arms up, one with arms down", ("with arms up", "with arms down")),  # each opened
    ("one squat and the other a lunge", ("squat", "a lunge")),
    ("one arm up, one arm down", ()),  # an opener before a body part: one body
    ("one of them squats, one lunges", ()),
    ("then", ()),
    ("", ()),
])
def test_a_message_that_lists_its_poses_is_split_into_them(message, items):
    assert listed_poses(message) == items
    assert requested_pose_count(message) == (len(items) or None)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> PoseGPT:
    folder = save_tiny_llama(tmp_path_factory.mktemp("tiny"))
    return PoseGPT(load_backbone(str(folder)), PoseGPTConfig(backbone=str(folder))).eval()


def poses_shown(model: PoseGPT, message: str) -> int:
    """A scripted model that shows one pose and then would end its reply (`<POSE>` its second choice)."""
    engine = Engine(model)
    original = engine._forward
    end = model.tokenizer.convert_tokens_to_ids("<|im_end|>")

    def one_pose_then_end(cache, adapter=True, **inputs):
        logits, states, cache = original(cache, adapter, **inputs)
        scripted = torch.full_like(logits, -1e9)
        if one_pose_then_end.calls == 0:
            scripted[model.pose_token_id] = 0.0
        else:
            scripted[end], scripted[model.pose_token_id] = 0.0, -1.0
        one_pose_then_end.calls += 1
        return scripted, states, cache

    one_pose_then_end.calls = 0
    engine._forward = one_pose_then_end
    events = list(engine.stream([{"role": "user", "content": message}], max_new_tokens=8))
    assert isinstance(events[-1], Done)
    return sum(isinstance(event, PoseEvent) for event in events)


def test_a_reply_asked_for_three_poses_does_not_end_before_the_third(model):
    assert poses_shown(model, "Raise your arms.") == 1
    assert poses_shown(model, "Show me three different yoga poses.") == 3


def test_a_reply_that_owes_poses_shows_them_before_its_token_budget_ends(model):
    """A scripted model that shows one pose and then only writes words: the poses it owes are its last tokens."""
    engine = Engine(model)
    one_pose_then_words = poses_then(model, 1, then=model.tokenizer.encode(" and", add_special_tokens=False)[0])
    for message, shown in (("Raise your arms.", 1), ("Show me three different yoga poses.", 3)):
        force_tokens(engine, one_pose_then_words)
        events = list(engine.stream([{"role": "user", "content": message}], max_new_tokens=12,
                                    break_loops=False))  # " and and …" is a loop: here the budget rule alone
        assert sum(isinstance(event, PoseEvent) for event in events) == shown
        assert events[-1].reply.endswith(" and" if shown == 1 else " and<POSE><POSE>")


def test_a_count_is_a_number_and_a_word_for_poses_not_a_list():
    from posegpt.pose_count import counted_poses

    assert counted_poses("give me 2 ways to stretch my hamstrings") == 2
    assert counted_poses("three yoga poses please") == 3
    assert counted_poses("can you show a squat and then a lunge") is None  # listed: asks for two, counts none
    assert counted_poses("hold it for 3 seconds") is None and counted_poses("name four musical instruments") is None
    assert counted_poses("give me 3 reasons to exercise every day") is None  # "exercise" is past the phrase's end
