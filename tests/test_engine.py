"""The streaming engine, proven end to end on a tiny model fine-tuned in the test itself."""

import threading

import pytest
import torch
from tiny_models import save_tiny_llama

from posegpt.backbones import load_backbone
from posegpt.data.conversation import collate, encode_conversation
from posegpt.data.named_poses import named_pose
from posegpt.engine import Done, Engine, ErrorEvent, GenerationOptions, Notice, PoseEvent, TextDelta, _TextDecoder
from posegpt.model import PoseGPT, PoseGPTConfig
from posegpt.pose import forward_kinematics

ALL_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
ARMS = [{"role": "user", "content": "Raise your arms."}]
SQUAT = [{"role": "user", "content": "Squat, then stand."}]
TRAINING = [
    (ARMS + [{"role": "assistant", "content": "Here: <POSE>"}], ["arms_up"]),
    (SQUAT + [{"role": "assistant", "content": "First <POSE> then <POSE>."}], ["squat", "stand"]),
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> PoseGPT:
    """A tiny Llama + LoRA taught two fixed answers with three fixed poses (~7 s on 2 cores).

    lr 1e-3 with a heavy pose weight: at lr 3e-3 the LoRA updates swung the hidden states so much
    on some CPUs that the head never separated the three poses. A fixed 400 steps stopped right at
    the edge of convergence (squat 43 mm on one machine, 5 mm a few hundred steps later), so it
    trains until the losses say the answers are learnt."""
    torch.manual_seed(0)
    folder = save_tiny_llama(tmp_path_factory.mktemp("tiny"))
    config = PoseGPTConfig(backbone=str(folder), lora_r=16, lora_alpha=32, lora_dropout=0.0, lora_target_modules=ALL_LINEAR,
                            pose_loss_weight=10.0)
    model = PoseGPT(load_backbone(str(folder)), config)
    examples = [
        encode_conversation(model.backbone, chat, [named_pose(name) for name in names], model.pose_token_id)
        for chat, names in TRAINING
    ]
    batch = collate(examples, model.tokenizer.pad_token_id)
    optimizer = torch.optim.AdamW(model.trainable_parameters(), lr=1e-3, weight_decay=0.0)
    model.train()
    for _ in range(1500):  # until both answers and all three poses are learnt (~500-700 steps)
        output = model(**batch)
        optimizer.zero_grad()
        output.loss.backward()
        optimizer.step()
        if output.pose_loss.item() < 0.0015 and output.ce_loss.item() < 0.015:
            break
    return model.eval()


@pytest.fixture(scope="module")
def untrained(tmp_path_factory) -> PoseGPT:
    folder = save_tiny_llama(tmp_path_factory.mktemp("tiny_untrained"))
    return PoseGPT(load_backbone(str(folder)), PoseGPTConfig(backbone=str(folder))).eval()


def run(engine: Engine, messages, **options):
    events = list(engine.stream(messages, **options))
    assert isinstance(events[-1], Done) and sum(isinstance(e, Done) for e in events) == 1
    return events


def mpjpe_mm(pose_a, pose_b) -> float:
    joints_a = forward_kinematics(pose_a.rotation_matrices())[1]
    joints_b = forward_kinematics(pose_b.rotation_matrices())[1]
    return float((joints_a - joints_b).norm(dim=-1).mean()) * 1000


def test_streamed_reply_contains_the_trained_pose(trained):
    events = run(Engine(trained), ARMS, max_new_tokens=20)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    poses = [e for e in events if isinstance(e, PoseEvent)]
    done = events[-1]
    assert text == "Here: " and done.reply == "Here: <POSE>"
    assert len(poses) == 1 and poses[0].index == 0
    assert mpjpe_mm(poses[0].pose, named_pose("arms_up")) < 20  # mm, mean over 24 joints
    assert done.stats.stop_reason == "end" and done.stats.generated_tokens == 4
    # events arrive in reading order: the text before the pose, then the pose
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("PoseEvent") > max(i for i, k in enumerate(kinds) if k == "TextDelta")


def test_every_pose_of_a_reply_is_decoded_in_order(trained):
    events = run(Engine(trained), SQUAT, max_new_tokens=20)
    poses = [e for e in events if isinstance(e, PoseEvent)]
    assert events[-1].reply == "First <POSE> then <POSE>."
    assert [p.index for p in poses] == [0, 1]
    assert mpjpe_mm(poses[0].pose, named_pose("squat")) < 20
    assert mpjpe_mm(poses[1].pose, named_pose("stand")) < 20
    assert mpjpe_mm(poses[0].pose, named_pose("stand")) > 50  # they really differ


def test_earlier_poses_stay_in_the_history_as_tokens(trained):
    history = ARMS + [{"role": "assistant", "content": "Here: <POSE>"}] + SQUAT
    inputs = trained.backbone.apply_chat_template(history, add_generation_prompt=True)
    assert int((inputs["input_ids"] == trained.pose_token_id).sum()) == 1
    events = run(Engine(trained), history, max_new_tokens=20)
    assert sum(isinstance(e, PoseEvent) for e in events) >= 1


def test_engine_matches_generate_token_for_token(untrained):
    """The KV-cache loop must produce exactly what transformers' greedy generate produces."""
    engine = Engine(untrained)
    engine.end_token_ids = frozenset()  # run the full length on both sides
    events = run(engine, ARMS, max_new_tokens=24, break_loops=False)  # an untrained model loops; generate does not stop it
    inputs = untrained.backbone.apply_chat_template(ARMS, add_generation_prompt=True)
    with torch.no_grad():
        reference = untrained.language_model.generate(
            **inputs, max_new_tokens=24, min_new_tokens=24, do_sample=False, pad_token_id=untrained.tokenizer.pad_token_id
        )
    expected = untrained.tokenizer.decode(reference[0, inputs["input_ids"].shape[1]:], skip_special_tokens=False)
    assert events[-1].reply == expected
    assert events[-1].stats.generated_tokens == 24 and events[-1].stats.stop_reason == "max_tokens"


def test_a_reply_that_starts_a_message_of_its_own_stops_there(untrained):
    """The 135 M model sometimes writes "<|im_start|>user\n..." and answers itself: the reply ends
    at the marker, which is never shown, and the pose after it is not decoded."""
    engine = Engine(untrained)
    start = untrained.tokenizer.convert_tokens_to_ids("<|im_start|>")
    assert start in engine.end_token_ids and start not in untrained.end_token_ids  # turns still start where they did
    text = untrained.tokenizer("Here", add_special_tokens=False)["input_ids"][0]
    queue = [text, start, untrained.pose_token_id, text]

    def hook(module, args, kwargs, output):
        if queue:
            output.logits[:, -1, queue.pop(0)] = 1e4
        return output

    handle = untrained.backbone.model.register_forward_hook(hook, with_kwargs=True)
    try:
        events = run(engine, ARMS, max_new_tokens=8)
    finally:
        handle.remove()
    done = events[-1]
    assert "<|im_start|>" not in done.reply and done.poses == () and done.stats.stop_reason == "end"
    assert done.reply.strip() == "Here"


def _forced(model: PoseGPT, tokens: list[int]):
    """A forward hook that makes the model write `tokens`, one per step, then whatever it would."""
    queue = list(tokens)

    def hook(module, args, kwargs, output):
        if queue:
            output.logits[:, -1, queue.pop(0)] = 1e4
        return output

    return model.backbone.model.register_forward_hook(hook, with_kwargs=True)


def test_a_loop_ends_in_the_pose_its_turn_asks_for(untrained, monkeypatch):
    """The 135 M model sometimes loops ("Halt! Halt! Halt! …") to the token limit without the
    `<POSE>` its turn asked for: the copy that makes it a loop becomes that `<POSE>`. Without a
    gate that says the words ask for one (a bare model), the loop just ends the reply."""
    halt, bang = untrained.tokenizer(" Halt!", add_special_tokens=False)["input_ids"][:2]
    engine = Engine(untrained)

    def looped():
        handle = _forced(untrained, [halt, bang] * 8)
        try:
            return run(engine, ARMS, max_new_tokens=30)[-1]
        finally:
            handle.remove()

    ended = looped()
    assert ended.poses == () and ended.stats.stop_reason == "loop" and ended.stats.generated_tokens == 7
    monkeypatch.setattr(untrained, "intent_gate", object())  # a gate …
    monkeypatch.setattr(untrained, "wants_pose", lambda messages: True)  # … that says yes
    done = looped()
    assert len(done.poses) >= 1  # the fourth copy's second token was the pose
    assert done.reply.split("<POSE>")[0] == untrained.tokenizer.decode([halt, bang] * 3 + [halt])


def test_a_loop_after_the_pose_ends_the_reply(untrained):
    """A reply that shows none (a turn that asks for no pose) and loops ends; it is not spun out."""
    word = untrained.tokenizer(" no", add_special_tokens=False)["input_ids"][0]
    engine = Engine(untrained)
    handle = _forced(untrained, [word] * 30)
    try:
        done = run(engine, [{"role": "user", "content": "No picture please, just say no."}], max_new_tokens=30)[-1]
    finally:
        handle.remove()
    assert done.poses == () and done.stats.stop_reason == "loop"
    assert done.stats.generated_tokens == 5  # the sixth copy was not written


def test_repeating_tail_needs_more_copies_of_shorter_spans():
    from posegpt.engine import repeating_tail

    assert repeating_tail([7] * 6) and not repeating_tail([7] * 5)
    assert repeating_tail([1, 2] * 4) and not repeating_tail([9, 2] + [1, 2] * 3)
    assert repeating_tail(list(range(6)) * 3) and not repeating_tail(list(range(6)) * 2)
    assert not repeating_tail(list(range(40)))


def test_sampling_is_seeded_per_conversation(untrained):
    engine = Engine(untrained)
    first = run(engine, ARMS, max_new_tokens=12, temperature=1.0, top_p=0.9, seed=7)[-1].reply
    again = run(engine, ARMS, max_new_tokens=12, temperature=1.0, top_p=0.9, seed=7)[-1].reply
    greedy = run(engine, ARMS, max_new_tokens=12)[-1].reply
    nucleus_of_one = run(engine, ARMS, max_new_tokens=12, temperature=1.0, top_p=1e-6, seed=3)[-1].reply
    assert first == again
    assert nucleus_of_one == greedy


def test_non_finite_pose_becomes_an_error_event(trained, monkeypatch):
    engine = Engine(trained)
    monkeypatch.setattr(trained, "decode_poses", lambda hidden: torch.full((1, 24, 3, 3), float("nan")))
    events = run(engine, ARMS, max_new_tokens=20)
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert errors and "could not be decoded" in errors[0].message
    assert not any(isinstance(e, PoseEvent) for e in events)
    assert events[-1].reply == "Here: <POSE>"  # the text still completes


def test_text_only_backbone_says_it_cannot_see(trained):
    from PIL import Image

    events = run(Engine(trained), ARMS, photo=Image.new("RGB", (8, 8)), max_new_tokens=20)
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert notices and "cannot see images" in notices[0]
    assert any(isinstance(e, PoseEvent) for e in events)  # and still answers


def test_long_history_is_trimmed_with_a_notice(untrained, monkeypatch):
    engine = Engine(untrained)
    monkeypatch.setattr(untrained.backbone, "context_length", 120)
    history = []
    for turn in range(8):
        history += [{"role": "user", "content": f"Turn {turn}: raise your left arm."},
                    {"role": "assistant", "content": "Sure, here it is."}]
    history += ARMS
    events = run(engine, [{"role": "system", "content": "Be brief."}] + history, max_new_tokens=16)
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert notices and "oldest message" in notices[0]
    assert events[-1].stats.prompt_tokens <= 120 - 16
    too_long = [{"role": "user", "content": "raise your arm " * 100}]
    events = run(engine, too_long, max_new_tokens=16)
    assert isinstance(events[0], ErrorEvent) and "too long" in events[0].message
    assert events[-1].reply == ""


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        ([], "must end with a user message"),
        ([{"role": "assistant", "content": "hi"}], "must end with a user message"),
        ([{"role": "robot", "content": "hi"}], "role"),
        ([{"role": "user", "content": None}], "text content"),
    ],
)
def test_bad_conversations_give_an_error_not_a_crash(untrained, messages, message):
    events = run(Engine(untrained), messages)
    assert isinstance(events[0], ErrorEvent) and message in events[0].message


def test_concurrent_sessions_do_not_cross_talk(trained):
    engine = Engine(trained)
    prompts = [ARMS, SQUAT, ARMS, SQUAT, ARMS, SQUAT]
    expected = {0: "Here: <POSE>", 1: "First <POSE> then <POSE>."}
    results: dict[int, list] = {}

    def session(index: int) -> None:
        results[index] = list(engine.stream(prompts[index], max_new_tokens=20))

    threads = [threading.Thread(target=session, args=(i,)) for i in range(len(prompts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for index, events in results.items():
        assert events[-1].reply == expected[index % 2]
        poses = [e for e in events if isinstance(e, PoseEvent)]
        names = ["arms_up"] if index % 2 == 0 else ["squat", "stand"]
        assert [mpjpe_mm(p.pose, named_pose(n)) < 20 for p, n in zip(poses, names)] == [True] * len(names)
    assert len(results) == len(prompts)


def test_pose_events_carry_poses_and_the_engine_draws_nothing(trained):
    events = run(Engine(trained), ARMS, max_new_tokens=20)
    pose_event = next(e for e in events if isinstance(e, PoseEvent))
    assert pose_event.pose.body_pose.shape == (1, 69) and pose_event.person is None and pose_event.scene is None
    assert not {"body", "picture", "overlay"} & set(vars(pose_event))  # drawing is posegpt.artifacts' job


def test_text_decoder_never_splits_a_character(untrained):
    tokenizer = untrained.tokenizer
    text = "héllo 👋 wörld"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    decoder = _TextDecoder(tokenizer)
    pieces = [decoder.push(i) for i in ids] + [decoder.flush()]
    assert "".join(pieces) == text
    assert all("\ufffd" not in piece for piece in pieces)


def test_generation_options_are_validated():
    with pytest.raises(ValueError):
        GenerationOptions(max_new_tokens=0)
    with pytest.raises(ValueError):
        GenerationOptions(top_p=0.0)


def test_vision_backbone_sees_the_image(tmp_path):
    from PIL import Image
    from tiny_models import save_tiny_llava, tiny_llava_num_image_tokens

    folder = save_tiny_llava(tmp_path / "llava")
    model = PoseGPT(load_backbone(str(folder)), PoseGPTConfig(backbone=str(folder))).eval()
    engine = Engine(model)
    without = run(engine, ARMS, max_new_tokens=6)[-1]
    events = run(engine, ARMS, photo=Image.new("RGB", (50, 40), (10, 200, 30)), max_new_tokens=6)
    assert not any(isinstance(e, Notice) for e in events)
    assert events[-1].stats.prompt_tokens >= without.stats.prompt_tokens + tiny_llava_num_image_tokens()
    assert events[-1].stats.generated_tokens >= 1


def test_repetition_penalty_works_outside_inference_mode(untrained):
    """Regression: the penalty once edited the model's inference-mode logits in place and crashed."""
    events = run(Engine(untrained), ARMS, max_new_tokens=8, repetition_penalty=1.3)
    assert events[-1].stats.generated_tokens >= 1


def test_a_follow_up_an_edit_makes_gets_its_pose_whatever_the_gate_says(untrained, monkeypatch):
    """"ok now bring them down" read as small talk by the gate got "No, no.": a follow-up one of the
    training edits makes to the pose shown (`PoseGPT.asks_for_edit`) is shown, even when the LLM
    would end its reply first."""
    from tiny_models import force_tokens, poses_then

    engine = Engine(untrained)
    monkeypatch.setattr(untrained, "wants_pose", lambda messages: False)  # the gate: no pose
    for edit, shown in ((True, 1), (False, 0)):
        monkeypatch.setattr(untrained, "asks_for_edit", lambda messages, edit=edit: edit)
        force_tokens(engine, poses_then(untrained, 0))  # the LLM ends its reply at once
        assert len(run(engine, ARMS, max_new_tokens=4)[-1].poses) == shown
