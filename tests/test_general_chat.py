"""General-chat self-distillation data (prompts, filters, files) and the chat-quality measures."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from posegpt.data import general_chat as gc
from posegpt.eval.chat_quality import answer_token_span, chat_perplexity, spot_check
from posegpt.paths import ASSETS_DIR

TRAIN_FILE = ASSETS_DIR / "data" / "general_chat.jsonl"
HELDOUT_FILE = ASSETS_DIR / "data" / "general_chat_heldout.jsonl"

LOOPING = (
    "I love to read books. I love to read books. I love to read books. I love to read books.",
    "Here are some tips:\n- Drink water every day\n- Sleep well at night\n- Drink water every day",
    "The best way to learn is to practice and the best way to learn is to practice and the best way to learn",
    "yes yes yes yes yes yes yes yes yes yes yes yes yes no no no no no no no no no no",
)
FINE = (
    "Paris is the capital of France.",
    "To boil an egg, put it in boiling water for about eight minutes, then cool it in cold water.",
    "Here are three ideas:\n1. Read a book.\n2. Go for a walk.\n3. Call a friend.",
)


# --- prompts and the held-out rule ---------------------------------------------------------------


def test_prompts_are_many_varied_and_unique() -> None:
    conversations = gc.all_conversations()
    assert len(gc.SINGLE_TURN_PROMPTS) >= 300
    assert len({gc.normalise(p) for p in gc.SINGLE_TURN_PROMPTS}) == len(gc.SINGLE_TURN_PROMPTS)
    assert sum(len(turns) > 1 for turns in conversations) >= 10
    assert not any("pose" in turn.lower().split() for turns in conversations for turn in turns)


def test_heldout_rule_is_about_15_percent_and_ignores_case_and_punctuation() -> None:
    firsts = [turns[0] for turns in gc.all_conversations()]
    share = sum(gc.is_heldout_prompt(p) for p in firsts) / len(firsts)
    assert 0.10 <= share <= 0.20
    held = next(p for p in firsts if gc.is_heldout_prompt(p))
    kept = next(p for p in firsts if not gc.is_heldout_prompt(p))
    assert gc.is_heldout_prompt(held.upper() + "  ") and not gc.is_heldout_prompt(" " + kept.lower() + "!")


# --- filters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("reply", LOOPING)
def test_degenerate_replies_are_caught(reply: str) -> None:
    assert gc.is_degenerate(reply)
    assert gc.clean_reply(reply, hit_token_limit=False) is None


@pytest.mark.parametrize("reply", FINE)
def test_normal_replies_are_kept(reply: str) -> None:
    assert not gc.is_degenerate(reply)
    assert gc.clean_reply("  " + reply + "\n", hit_token_limit=False) == reply


def test_clean_reply_drops_pose_tokens_and_empty_answers_and_trims_cut_answers() -> None:
    assert gc.clean_reply("Sure! <POSE>", hit_token_limit=False) is None
    assert gc.clean_reply("   ", hit_token_limit=False) is None
    cut = "Water boils at 100 degrees. At higher altitude it boils at a lower temper"
    assert gc.clean_reply(cut, hit_token_limit=True) == "Water boils at 100 degrees."
    assert gc.clean_reply(cut, hit_token_limit=False) == cut  # a finished answer is left alone
    listed = "Try these:\n1. Read a book.\n2. Go for a walk.\n3. Call a fr"
    assert gc.clean_reply(listed, hit_token_limit=True) == "Try these:\n1. Read a book.\n2. Go for a walk."
    assert gc.clean_reply("Here are some ideas:\n1. Go to the", hit_token_limit=True) is None
    assert gc.clean_reply("An answer with no end at all", hit_token_limit=True) is None


def test_dedupe_keeps_the_first_of_repeated_prompts_and_answers() -> None:
    def record(user: str, answer: str) -> dict:
        return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]}

    records = [record("Hi!", "Hello."), record("hi", "Something else."), record("Hey", "hello"), record("Yo", "Sup.")]
    assert [r["messages"][0]["content"] for r in gc.dedupe_records(records)] == ["Hi!", "Yo"]


# --- generation with a stand-in engine ---------------------------------------------------------


class ScriptedEngine:
    """Answers from a list and records the conversations it was asked to continue."""

    def __init__(self, replies: list[tuple[str, str]]) -> None:
        self.replies = list(replies)
        self.seen: list[list[dict]] = []

    def stream(self, messages, **options):
        from posegpt.engine import Done, GenerationStats, TextDelta

        self.seen.append([dict(m) for m in messages])
        reply, stop = self.replies.pop(0)
        yield TextDelta(reply)
        yield Done(reply, (), GenerationStats(10, 5, 0.1, 10.0, 0.5, stop))


def test_distill_conversation_feeds_earlier_answers_back_and_drops_bad_turns() -> None:
    engine = ScriptedEngine([("Bake cookies first.", "end"), ("Flour, sugar and butter. And eggs, mil", "max_tokens")])
    record = gc.distill_conversation(engine, ("What should I bake?", "What do I need?"), gc.GenerationSettings())
    assert record == {
        "messages": [
            {"role": "user", "content": "What should I bake?"},
            {"role": "assistant", "content": "Bake cookies first."},
            {"role": "user", "content": "What do I need?"},
            {"role": "assistant", "content": "Flour, sugar and butter."},
        ],
        "source": gc.SOURCE,
    }
    assert engine.seen[1][1] == {"role": "assistant", "content": "Bake cookies first."}
    engine = ScriptedEngine([("Here you go: <POSE>", "end")])
    assert gc.distill_conversation(engine, ("Hello",), gc.GenerationSettings()) is None


def test_read_chat_jsonl_names_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "chat.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}) + "\n")
    with pytest.raises(gc.ChatFileError, match=r"chat.jsonl:1: the last message must be the assistant's"):
        gc.read_chat_jsonl(path)
    path.write_text('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hey"}]}\n{oops\n')
    with pytest.raises(gc.ChatFileError, match=r"chat.jsonl:2: not valid JSON"):
        gc.read_chat_jsonl(path)
    path.write_text('{"messages": [{"role": "bot", "content": "hi"}]}\n')
    with pytest.raises(gc.ChatFileError, match="bad message"):
        gc.read_chat_jsonl(path)


# --- the committed files -------------------------------------------------------------------------


@pytest.mark.skipif(not TRAIN_FILE.exists(), reason="general_chat.jsonl not generated yet")
def test_committed_files_are_clean_and_split_by_the_rule() -> None:
    train = gc.read_chat_jsonl(TRAIN_FILE)
    heldout = gc.read_chat_jsonl(HELDOUT_FILE)
    assert len(train) >= 200 and len(heldout) >= 30
    for records, held in ((train, False), (heldout, True)):
        for record in records:
            assert record["source"] == gc.SOURCE
            users = [m["content"] for m in record["messages"] if m["role"] == "user"]
            assert gc.is_heldout_prompt(users[0]) is held
            for message in record["messages"]:
                assert message["content"].strip()
                if message["role"] == "assistant":
                    assert "<POSE>" not in message["content"]
                    assert not gc.is_degenerate(message["content"])
    assert len(gc.dedupe_records(train + heldout)) == len(train) + len(heldout)


# --- chat quality on a tiny model ----------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_posegpt(tmp_path_factory):
    from tiny_models import save_tiny_llama

    from posegpt.backbones import load_backbone
    from posegpt.model import PoseGPT, PoseGPTConfig

    folder = save_tiny_llama(tmp_path_factory.mktemp("tiny_chat"))
    return PoseGPT(load_backbone(str(folder), progress=False), PoseGPTConfig(backbone=str(folder))).eval()


SAMPLE = {
    "messages": [
        {"role": "user", "content": "Hello there! How are you today?"},
        {"role": "assistant", "content": "Here is the pose you asked for."},
    ]
}


def test_answer_span_covers_the_answer_and_its_end_token(tiny_posegpt) -> None:
    ids, start, end = answer_token_span(tiny_posegpt, [dict(m) for m in SAMPLE["messages"]])
    text = tiny_posegpt.tokenizer.decode(ids[0, start:end].tolist())
    assert text == "Here is the pose you asked for.<|im_end|>"


def test_chat_perplexity_is_the_exp_of_the_answer_token_loss(tiny_posegpt) -> None:
    ids, start, end = answer_token_span(tiny_posegpt, [dict(m) for m in SAMPLE["messages"]])
    labels = torch.full_like(ids, -100)
    labels[0, start:end] = ids[0, start:end]
    with torch.no_grad():
        loss = tiny_posegpt.language_model(input_ids=ids, labels=labels).loss
    assert chat_perplexity(tiny_posegpt, [SAMPLE]) == pytest.approx(math.exp(float(loss)), rel=1e-4)
    # token-weighted over samples, bare message lists accepted
    other = [{"role": "user", "content": "Squat down."}, {"role": "assistant", "content": "Sure, this is what it looks like."}]
    both = chat_perplexity(tiny_posegpt, [SAMPLE, other])
    low, high = sorted([chat_perplexity(tiny_posegpt, [SAMPLE]), chat_perplexity(tiny_posegpt, [other])])
    assert low <= both <= high


def test_chat_perplexity_drops_when_the_model_learns_the_answers(tiny_posegpt) -> None:
    model = tiny_posegpt
    saved = [p.detach().clone() for p in model.trainable_parameters()]
    before = chat_perplexity(model, [SAMPLE])
    ids, start, end = answer_token_span(model, [dict(m) for m in SAMPLE["messages"]])
    labels = torch.full_like(ids, -100)
    labels[0, start:end] = ids[0, start:end]
    optimizer = torch.optim.AdamW(model.trainable_parameters(), lr=2e-2)
    model.train()
    try:
        for _ in range(12):
            optimizer.zero_grad()
            model(ids, torch.ones_like(ids), labels).loss.backward()
            optimizer.step()
        after = chat_perplexity(model, [SAMPLE])
        assert after < before / 2
        assert model.training  # chat_perplexity leaves the mode as it found it
    finally:  # give the shared fixture back untouched
        with torch.no_grad():
            for parameter, value in zip(model.trainable_parameters(), saved):
                parameter.copy_(value)
        model.eval()


def test_chat_perplexity_rejects_samples_without_an_answer(tiny_posegpt) -> None:
    with pytest.raises(ValueError, match="must end with the assistant"):
        chat_perplexity(tiny_posegpt, [[{"role": "user", "content": "hi"}]])
    with pytest.raises(ValueError, match="at least one sample"):
        chat_perplexity(tiny_posegpt, [])


def test_spot_check_returns_one_reply_per_prompt(tiny_posegpt) -> None:
    results = spot_check(tiny_posegpt, ["Hello there!", "Raise your left arm."], max_new_tokens=5)
    assert [prompt for prompt, _ in results] == ["Hello there!", "Raise your left arm."]
    assert all(isinstance(reply, str) for _, reply in results)


def test_eval_chat_command_prints_the_perplexity(tmp_path, capsys) -> None:
    import json

    from tiny_models import save_tiny_llama

    from posegpt.cli import main

    folder = save_tiny_llama(tmp_path / "tiny")
    samples = tmp_path / "held.jsonl"
    samples.write_text(json.dumps(SAMPLE) + "\n")
    assert main(["eval", "chat", "--backbone", str(folder), "--samples", str(samples), "--no-spot-check"]) == 0
    out = capsys.readouterr().out
    assert "chat perplexity on held.jsonl:" in out and "(1 answers," in out
