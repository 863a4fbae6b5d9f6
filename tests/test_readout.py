"""The turn readout: what the pose head reads, the same in training, in the engine and in the cache."""

import pytest
import torch
from tiny_models import force_tokens, poses_then, save_tiny_llama

from posegpt.backbones import load_backbone
from posegpt.data.conversation import collate, encode_conversation
from posegpt.data.named_poses import named_pose
from posegpt.engine import Done, Engine, Notice, PoseEvent
from posegpt.model import (
    PoseGPT,
    PoseGPTConfig,
    TurnReadout,
    TurnReadoutHead,
    pose_emitting_mask,
    turn_start,
)
from posegpt.readout import ReadoutCache, cache_readouts, cache_readouts_to_folder, fit_head, length_bucketed_batches
from posegpt.train import merged_adapter

TURN = dict(head_type="turn_attention", head_layers=(1,), head_width=32, head_queries=4, head_blocks=1)
CONVERSATIONS = [
    ([{"role": "user", "content": "Raise your arms."}, {"role": "assistant", "content": "Here: <POSE>"}], ["arms_up"]),
    ([{"role": "user", "content": "Squat, then stand."}, {"role": "assistant", "content": "First <POSE> then <POSE>."}],
     ["squat", "stand"]),
    ([{"role": "user", "content": "Hello there!"}, {"role": "assistant", "content": "Hello! How are you today?"},
      {"role": "user", "content": "Wave with one hand."}, {"role": "assistant", "content": "Sure: <POSE>"}], ["wave_left_hand"]),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return save_tiny_llama(tmp_path_factory.mktemp("tiny_llama"))


def build(folder, **config) -> PoseGPT:
    return PoseGPT(load_backbone(str(folder)), PoseGPTConfig(backbone=str(folder), **{**TURN, **config}))


def examples_of(model: PoseGPT):
    return [encode_conversation(model.backbone, chat, [named_pose(n) for n in names], model.pose_token_id)
            for chat, names in CONVERSATIONS]


def test_turn_starts_after_the_message_before_the_users():
    end = {2}
    #         sys  sys end user user end asst asst asst
    ids = torch.tensor([1, 5, 2, 1, 6, 2, 1, 7, 8])
    assert turn_start(ids, 8, end) == 3  # the user's turn and the reply so far
    assert turn_start(ids, 4, end) == 0  # inside the first message: nothing closed before it
    two_turns = torch.tensor([1, 6, 2, 1, 7, 2, 1, 6, 2, 1, 9])
    assert turn_start(two_turns, 10, end) == 6  # the earlier exchange is not read


def test_untrained_turn_head_predicts_the_rest_pose_and_ignores_padding():
    torch.manual_seed(0)
    head = TurnReadoutHead(hidden_size=16, layers=2, width=32, queries=4, blocks=2).eval()
    states = torch.randn(3, 7, 2, 16)  # (P, T, L, H)
    mask = torch.ones(3, 7, dtype=torch.bool)
    mask[1, 4:] = False
    rotations = head(TurnReadout(states, mask))
    assert rotations.shape == (3, 24, 3, 3)
    assert torch.allclose(rotations, torch.eye(3).expand(3, 24, 3, 3), atol=0.1)
    # what is behind the padding never matters, and the emitting state is the last real one
    scrambled = states.clone()
    scrambled[1, 4:] = 100.0
    assert torch.allclose(head(TurnReadout(scrambled, mask)), rotations, atol=1e-5)
    assert torch.equal(TurnReadout(states, mask).emitting[1], states[1, 3])


def test_config_reads_the_last_layer_always_and_rejects_bad_values(folder):
    model = build(folder, head_layers=(-1, 1))
    assert model.readout_layers == (1, 2) and model.reads_turn  # tiny Llama: 2 layers → hidden_states 0..2
    assert build(folder, head_type="last_state").readout_layers == (2,)
    with pytest.raises(ValueError, match="head_layers"):
        build(folder, head_layers=(5,))
    with pytest.raises(ValueError, match="head_type"):
        PoseGPTConfig(head_type="everything")


def test_training_forward_reads_each_poses_turn(folder):
    model = build(folder)
    batch = collate(examples_of(model), model.tokenizer.pad_token_id)
    out = model(**batch)
    assert out.num_poses == 4 and out.pose_loss > 0
    out.loss.backward()
    assert model.pose_head.key_projection.weight.grad.abs().sum() > 0
    # the head reads from the user's message of the pose's own turn, not from earlier turns
    emits = pose_emitting_mask(batch["input_ids"], model.pose_token_id)
    rows = emits.nonzero().tolist()
    third_row, third_position = rows[-1]
    start = model.turn_start(batch["input_ids"][third_row], third_position)
    text = model.tokenizer.decode(batch["input_ids"][third_row, start:third_position + 1])
    assert "Wave with one hand" in text and "Hello there" not in text
    assert model.turn_start(batch["input_ids"][third_row], third_position) == third_position + 1 - min(
        model.config.head_max_turn_tokens, third_position + 1 - start)


def test_engine_pose_equals_the_training_readout(folder):
    """The engine's incremental turn (prefill + one state per step) gives the head exactly what a
    full forward pass over the finished reply gives it."""
    torch.manual_seed(1)
    model = build(folder).eval()
    with torch.no_grad():
        for parameter in model.pose_head.output[-1].parameters():
            parameter.normal_(0, 0.5)  # a head whose output depends on what it reads
    messages = [{"role": "user", "content": "Raise your arms."}]
    # force the reply: the tiny model is untrained, so make <POSE> the only token it can sample first
    engine = Engine(model)
    force_tokens(engine, poses_then(model, 1))
    events = list(engine.stream(messages, max_new_tokens=4))
    pose = next(e for e in events if isinstance(e, PoseEvent)).pose
    assert isinstance(events[-1], Done) and events[-1].reply == "<POSE>"
    encoded = encode_conversation(model.backbone, messages + [{"role": "assistant", "content": "<POSE>"}],
                                  [named_pose("arms_up")], model.pose_token_id)
    with torch.no_grad():
        out = model(**collate([encoded], model.tokenizer.pad_token_id))
    assert torch.allclose(pose.rotation_matrices(), out.pred_rotations, atol=1e-4)
    from posegpt.readout import decode_replies

    again = decode_replies(model, [messages + [{"role": "assistant", "content": "<POSE>"}],
                                   messages + [{"role": "assistant", "content": "No pose."}]], progress=False)
    assert len(again[0].poses) == 1 and again[1].poses == []
    assert torch.allclose(again[0].poses[0].rotation_matrices(), pose.rotation_matrices(), atol=1e-4)
    # a head that reads the turn answers differently when the words differ
    force_tokens(engine, poses_then(model, 1))
    other = list(engine.stream([{"role": "user", "content": "Squat down."}], max_new_tokens=4))
    other_pose = next(e for e in other if isinstance(e, PoseEvent)).pose
    assert not torch.allclose(other_pose.rotation_matrices(), pose.rotation_matrices(), atol=1e-3)


def test_cache_equals_the_training_readout_and_resumes_from_its_shards(folder, tmp_path):
    model = build(folder).eval()
    examples = examples_of(model)
    cache = cache_readouts(model, examples, batch_size=2, progress=False)
    assert len(cache) == 4 and cache.layers == model.readout_layers
    batch = collate(examples, model.tokenizer.pad_token_id)
    with torch.no_grad():
        out = model.language_model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                   output_hidden_states=True)
        emits = pose_emitting_mask(batch["input_ids"], model.pose_token_id) & batch["attention_mask"].bool()
        direct = model.turn_readout(out.hidden_states, batch["input_ids"], emits)
    readout, targets = cache.batch(range(4))
    assert torch.equal(readout.mask, direct.mask)
    assert torch.allclose(readout.states, direct.states, atol=2e-2)  # float16 in the cache
    assert torch.allclose(targets, batch["target_rotations"])

    first = cache_readouts_to_folder(model, examples, tmp_path / "cache", shard_size=2, fingerprint="a")
    shards = sorted((tmp_path / "cache").glob("shard-*.safetensors"))
    assert len(shards) == 2 and len(first) == 4
    shards[0].write_bytes(b"")  # a shard already there is loaded, not recomputed: prove it by breaking one
    with pytest.raises(Exception):
        cache_readouts_to_folder(model, examples, tmp_path / "cache", shard_size=2, fingerprint="a")
    with pytest.raises(ValueError, match="another model"):
        cache_readouts_to_folder(model, examples, tmp_path / "cache", shard_size=2, fingerprint="b")
    cache.save(tmp_path / "one.safetensors")
    again = ReadoutCache.load(tmp_path / "one.safetensors")
    assert torch.equal(again.states, cache.states) and again.layers == cache.layers


def test_shared_prefix_and_merged_adapter_change_no_state(folder):
    """The speed-ups of the cache (one run of the shared prefix, LoRA folded in) leave the
    states as a plain forward pass computes them."""
    model = build(folder)
    with torch.no_grad():  # move LoRA away from zero so merging matters
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 0.05)
    system = [{"role": "system", "content": "You are a helpful AI assistant named PoseGPT, and you show poses."}]
    examples = [encode_conversation(model.backbone, system + chat, [named_pose(n) for n in names], model.pose_token_id)
                for chat, names in CONVERSATIONS]
    plain = cache_readouts(model, examples, batch_size=1, progress=False)  # batches of 1: no shared prefix
    calls = []
    original = model.language_model.forward

    def counting(*args, **kwargs):
        calls.append(kwargs["input_ids"].shape)
        return original(*args, **kwargs)

    model.language_model.forward = counting
    shared = cache_readouts(model, examples, batch_size=3, progress=False)
    del model.language_model.forward
    assert calls[0][0] == 1 and calls[0][1] >= 8  # the system prompt ran once …
    assert calls[1][0] == 3 and calls[1][1] < max(len(e.input_ids) for e in examples)  # … the rest for all three
    assert torch.allclose(shared.states.float(), plain.states.float(), atol=2e-2)
    one = examples[:1]
    before = cache_readouts(model, one, batch_size=1, progress=False)
    with merged_adapter(model):
        merged = cache_readouts(model, one, batch_size=1, progress=False)
    after = cache_readouts(model, one, batch_size=1, progress=False)
    assert torch.allclose(merged.states.float(), before.states.float(), atol=2e-2)
    assert torch.allclose(after.states.float(), before.states.float(), atol=2e-2)


def test_fit_head_learns_the_cached_poses(folder):
    model = build(folder)
    cache = cache_readouts(model, examples_of(model), progress=False)
    scores = fit_head(model, cache, cache, steps=150, batch_size=4, learning_rate=3e-3, validate_every=50,
                      bf16=False, progress=False)
    assert scores["refit_val_pose_l1"] < 0.5 * scores["refit_val_pose_l1_before"]
    with pytest.raises(ValueError, match="layers"):
        fit_head(build(folder, head_layers=(0,)), cache, cache, steps=1, progress=False)


def test_batches_cover_an_epoch_and_group_lengths():
    import random

    lengths = [5, 50, 6, 51, 7, 52, 8, 53]
    batches = length_bucketed_batches(lengths, 2, random.Random(0))
    assert sorted(i for batch in batches for i in batch) == list(range(8))
    assert all(abs(lengths[a] - lengths[b]) < 10 for a, b in batches)


def test_a_checkpoint_with_a_turn_head_round_trips_and_another_head_starts_fresh(folder, tmp_path):
    model = build(folder)
    with torch.no_grad():
        model.pose_head.queries.add_(1.0)
    model.save_pretrained(tmp_path / "ckpt")
    loaded = PoseGPT.from_pretrained(tmp_path / "ckpt")
    assert loaded.reads_turn and torch.equal(loaded.pose_head.queries, model.pose_head.queries)
    chatpose = PoseGPT.from_pretrained(tmp_path / "ckpt", config_overrides={"head_type": "last_state"})
    assert not chatpose.reads_turn
    wider = PoseGPT.from_pretrained(tmp_path / "ckpt", config_overrides={"head_queries": 2})
    assert wider.pose_head.queries.shape[0] == 2
    retrieving = PoseGPT.from_pretrained(tmp_path / "ckpt", config_overrides={"retrieval_k": 4})
    assert torch.equal(retrieving.pose_head.queries, model.pose_head.queries)  # starts as the trained head
    assert retrieving.pose_head.neighbour_projection is not None


# -- a head that retrieves training poses ---------------------------------------------------------


class WordEmbedder:
    """A stand-in sentence encoder: bag of words hashed into 64 dimensions, unit rows."""

    name = "words"

    def encode(self, texts):
        import numpy as np

        vectors = np.zeros((len(texts), 64), np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().strip(".!?").split():
                vectors[row, sum(map(ord, word)) % 64] += 1.0
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-6)


def recorded_examples(model: PoseGPT):
    """The test conversations encoded as training encodes them (requests and labels per pose)."""
    from posegpt.data.conversations import Sample
    from posegpt.train import build_examples

    samples = [Sample(chat, [named_pose(n) for n in names], "test", {"references": list(names)})
               for chat, names in CONVERSATIONS]
    return build_examples(model, samples, max_length=512)[0]


def test_pose_bank_finds_neighbours_leaves_out_own_and_same_pose_and_round_trips(tmp_path):
    from posegpt.retrieval import NEIGHBOUR_FEATURES, PoseBank, leave_out, rotations_to_6d

    embedder = WordEmbedder()
    texts = ["raise your arms", "raise both arms high", "squat down low", "wave with one hand"]
    labels = ["arms_up", "arms_up", "squat", "wave_left_hand"]
    rotations = torch.cat([named_pose(n).rotation_matrices() for n in labels])  # (4, 24, 3, 3)
    bank = PoseBank.build(texts, rotations, labels, embedder)
    query = torch.from_numpy(embedder.encode(["raise your arms"]))
    found = bank.neighbours(query, 2)
    assert found.shape == (1, 2, NEIGHBOUR_FEATURES)
    assert torch.allclose(found[0, 0, :-1], rotations_to_6d(rotations[0]), atol=1e-2) and found[0, 0, -1] > 0.99
    without_own = bank.neighbours(query, 1, exclude=[[0]])
    assert torch.allclose(without_own[0, 0, :-1], rotations_to_6d(rotations[1]), atol=1e-2)  # the other arms_up
    assert leave_out(bank, [0], ["arms_up"], share=1.0) == [[0, 0, 1]]
    assert leave_out(bank, [None], ["arms_up"], share=0.0) == [[]]
    bank.save(tmp_path / "bank.safetensors")
    loaded = PoseBank.load(tmp_path / "bank.safetensors")
    assert loaded.labels == bank.labels and torch.equal(loaded.poses, bank.poses)
    assert loaded.heldout is None and loaded.without_heldout() is loaded


def test_a_bank_with_heldout_content_answers_users_with_it_and_evaluations_without(tmp_path):
    from posegpt.retrieval import PoseBank, rotations_to_6d

    embedder = WordEmbedder()
    training = PoseBank.build(["raise your arms", "squat down low"],
                              torch.cat([named_pose(n).rotation_matrices() for n in ("arms_up", "squat")]),
                              ["arms_up", "squat"], embedder, [False, False])
    held = PoseBank.build(["do a jumping jack"], named_pose("jumping_jack_open").rotation_matrices(), ["jack"],
                          embedder, [False], heldout=True)
    bank = training.joined(held)
    assert len(bank) == 3 and bank.heldout.tolist() == [False, False, True] and bank.heldout_entries == 1
    bank.save(tmp_path / "bank.safetensors")
    loaded = PoseBank.load(tmp_path / "bank.safetensors")
    assert loaded.heldout.tolist() == [False, False, True] and loaded.follow_ups.tolist() == [False] * 3
    query = torch.from_numpy(embedder.encode(["do a jumping jack"]))
    jack = rotations_to_6d(named_pose("jumping_jack_open").rotation_matrices()[0])
    assert torch.allclose(loaded.neighbours(query, 1)[0, 0, :-1], jack, atol=1e-2)  # a user gets it
    unseen = loaded.without_heldout()
    assert len(unseen) == 2 and unseen.labels == ("arms_up", "squat") and unseen.heldout is None
    assert not torch.allclose(unseen.neighbours(query, 1)[0, 0, :-1], jack, atol=1e-2)  # an evaluation does not
    with pytest.raises(ValueError, match="different encoders"):
        training.joined(PoseBank(held.embeddings, held.poses, held.labels, "another-encoder"))


def test_cache_records_requests_and_a_retrieving_head_learns_to_copy_a_neighbour(folder):
    from posegpt.readout import attach_neighbours, bank_from_cache

    model = build(folder, retrieval_k=2)
    cache = cache_readouts(model, recorded_examples(model), progress=False)
    assert cache.requests == ("Raise your arms.", "Squat, then stand.", "Squat, then stand.", "Wave with one hand.")
    assert cache.labels == ("arms_up", "squat", "stand", "wave_left_hand")
    embedder = WordEmbedder()
    bank, own = bank_from_cache(cache, embedder)
    assert own == [0, 1, 2, 3] and len(bank) == 4
    attach_neighbours(cache, bank, embedder, k=2, own=None)  # own entries allowed: the answer is in the keys
    assert cache.neighbours.shape == (4, 2, bank.poses.shape[1] + 1)
    scores = fit_head(model, cache, cache, steps=150, batch_size=4, learning_rate=3e-3, validate_every=50,
                      bf16=False, progress=False)
    assert scores["refit_val_pose_l1"] < 0.5 * scores["refit_val_pose_l1_before"]
    attach_neighbours(cache, bank, embedder, k=2, own=own)
    nearest = cache.neighbours[:, 0]  # (P, F)
    assert (nearest[[0, 3], -1] < 0.999).all()  # never its own entry...
    assert torch.allclose(nearest[1, :-1].float(), bank.poses[2].float(), atol=1e-2)  # ...but the same request's other pose


def test_engine_looks_up_the_users_request_once_and_the_bank_round_trips(folder, tmp_path):
    from posegpt.readout import bank_from_cache

    model = build(folder, retrieval_k=2).eval()
    with torch.no_grad():
        for parameter in model.pose_head.neighbour_projection.parameters():
            parameter.normal_(0, 0.5)
        for parameter in model.pose_head.output[-1].parameters():
            parameter.normal_(0, 0.5)
    cache = cache_readouts(model, recorded_examples(model), progress=False)
    model.pose_bank, _ = bank_from_cache(cache, WordEmbedder())
    model._request_encoder = WordEmbedder()
    looked_up = []
    original_neighbours = model.neighbours
    model.neighbours = lambda requests: looked_up.append(list(requests)) or original_neighbours(requests)
    engine = Engine(model)
    force_tokens(engine, poses_then(model, 2))
    events = list(engine.stream([{"role": "user", "content": "Raise your arms."}], max_new_tokens=4))
    poses = [e.pose for e in events if isinstance(e, PoseEvent)]
    assert len(poses) == 2 and looked_up == [["Raise your arms."]]
    without = model.decode_poses(TurnReadout(torch.randn(1, 3, 2, model.config.hidden_size), torch.ones(1, 3, dtype=torch.bool)))
    assert torch.isfinite(without).all()  # no neighbours (the joint training forward): keys are the turn only
    model.save_pretrained(tmp_path / "ckpt")
    loaded = PoseGPT.from_pretrained(tmp_path / "ckpt")
    assert loaded.pose_bank is not None and loaded.pose_bank.labels == model.pose_bank.labels
    (tmp_path / "ckpt" / "pose_bank.safetensors").unlink()
    from posegpt.model import CheckpointError

    with pytest.raises(CheckpointError, match="pose_bank"):
        PoseGPT.from_pretrained(tmp_path / "ckpt")
    with pytest.raises(ValueError, match="retrieval_k"):
        PoseGPTConfig(retrieval_k=2)  # a last-state head cannot read neighbours


def test_a_copying_head_takes_its_best_neighbour_when_its_gate_opens_and_poses_alone_without_neighbours():
    from posegpt.retrieval import NEIGHBOUR_FEATURES, rotations_to_6d

    torch.manual_seed(0)
    head = TurnReadoutHead(hidden_size=16, layers=2, width=32, queries=4, blocks=1, neighbours=2, copy=True).eval()
    assert head.copy_gate is not None and head.copy_query is not None
    states, mask = torch.randn(1, 5, 2, 16), torch.ones(1, 5, dtype=torch.bool)
    arms_up, squat = named_pose("arms_up").rotation_matrices()[0], named_pose("squat").rotation_matrices()[0]
    neighbours = torch.zeros(1, 2, NEIGHBOUR_FEATURES)
    neighbours[0, 0, :-1], neighbours[0, 0, -1] = rotations_to_6d(squat), 0.2  # a poor match
    neighbours[0, 1, :-1], neighbours[0, 1, -1] = rotations_to_6d(arms_up), 0.95  # a close one
    with torch.no_grad():
        head.copy_gate[-1].bias.fill_(30.0)  # gate open: the blend replaces the head's own pose
        copied = head(TurnReadout(states, mask, neighbours))[0]
        alone = head(TurnReadout(states, mask))[0]
        head.copy_gate[-1].bias.fill_(-30.0)  # gate shut: the head's own pose (neighbours as keys only)
        shut = head(TurnReadout(states, mask, neighbours))[0]
        head.copy_query = None  # the same head without its copying path
        keys_only = head(TurnReadout(states, mask, neighbours))[0]
    assert (copied - arms_up).abs().max() < 0.05  # similarity 0.95 vs 0.2 at scale 10: the close one wins
    assert (alone - arms_up).abs().max() > 0.3  # alone it knows nothing of the neighbour
    assert torch.allclose(shut, keys_only, atol=1e-4)


def test_bank_holds_first_requests_labels_equal_poses_alike_and_never_offers_the_same_words(folder):
    from posegpt.data.conversations import Sample
    from posegpt.readout import attach_neighbours
    from posegpt.retrieval import PoseBank, bank_entries, same_text_entries

    def sample(messages, names):
        return Sample(messages, [named_pose(n) for n in names], "test", {})

    samples = [
        sample([{"role": "user", "content": "Raise your arms."}, {"role": "assistant", "content": "Up: <POSE>"}], ["arms_up"]),
        sample([{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello."},
                {"role": "user", "content": "Waving, please."}, {"role": "assistant", "content": "<POSE>"}], ["wave_left_hand"]),
        sample([{"role": "user", "content": "Squat, then stand."}, {"role": "assistant", "content": "<POSE> <POSE>"}],
               ["squat", "stand"]),
        sample([{"role": "user", "content": "Lift both arms high."}, {"role": "assistant", "content": "<POSE>"}], ["arms_up"]),
    ]
    texts, rotations, labels, follow_ups = bank_entries(samples)
    # a request after small talk is a first request too: the engine looks it up by its own words
    assert texts == ["Raise your arms.", "Waving, please.", "Squat, then stand.", "Lift both arms high."] and not any(follow_ups)
    assert rotations.shape == (4, 24, 3, 3) and torch.allclose(rotations[2], named_pose("squat").rotation_matrices()[0])
    assert labels[0] == labels[3] != labels[2]  # the same library pose, one label
    assert same_text_entries(texts, ["Raise your arms.", "Something new."]) == [[0], []]

    model = build(folder, retrieval_k=1)
    cache = cache_readouts(model, recorded_examples(model), progress=False)  # first request: "Raise your arms."
    embedder = WordEmbedder()
    bank = PoseBank.build(texts, rotations, labels, embedder)
    attach_neighbours(cache, bank, embedder, k=1, bank_texts=texts)
    assert cache.neighbours[0, 0, -1] < 0.999  # not its own words: the paraphrase...
    assert torch.allclose(cache.neighbours[0, 0, :-1].float(), bank.poses[3].float(), atol=1e-2)  # ...of the same pose


def test_poses_asked_without_a_side_are_not_one_pose_and_its_mirror_image(folder):
    from posegpt.retrieval import PoseBank

    model = build(folder, bank_answers=True).eval()
    wave = named_pose("wave_left_hand")
    rotations = torch.cat([wave.rotation_matrices(), wave.mirrored().rotation_matrices(), named_pose("squat").rotation_matrices()])
    model.pose_bank = PoseBank.build(["wave hello", "wave hello there", "squat down"], rotations,
                                     ["wave", "wave_mirrored", "squat"], WordEmbedder())
    model._request_encoder = WordEmbedder()
    found = model.bank_poses([{"role": "user", "content": "two ways to wave hello"}], count=2)  # (2, 24, 3, 3)
    # "two different stretches" got one stretch and its mirror image: the bank holds both sides
    assert torch.allclose(found[1], rotations[2], atol=2e-2)
    # nor when the words name a side: turned to it, the mirror image would be the same wave twice
    sided = model.bank_poses([{"role": "user", "content": "wave hello there with the left hand"}], count=2)
    assert torch.allclose(sided[1], rotations[2], atol=2e-2)


def test_a_trained_head_without_retrieval_starts_a_copying_head_with_its_own_weights(folder, tmp_path):
    model = build(folder)
    with torch.no_grad():
        model.pose_head.key_projection.weight.normal_()
    model.save_pretrained(tmp_path / "ckpt")
    loaded = PoseGPT.from_pretrained(tmp_path / "ckpt", config_overrides={"retrieval_k": 2, "retrieval_copy": True})
    assert loaded.pose_head.copy_gate is not None
    assert torch.equal(loaded.pose_head.key_projection.weight, model.pose_head.key_projection.weight)
    with pytest.raises(ValueError, match="retrieval_copy"):
        PoseGPTConfig(**TURN, retrieval_copy=True)  # nothing to copy from


# -- a bank that answers standalone requests ------------------------------------------------------


def test_the_bank_answers_a_first_request_with_distinct_poses_and_the_head_answers_follow_ups_it_lacks(folder, tmp_path):
    from posegpt.model import CheckpointError
    from posegpt.pose import Pose
    from posegpt.readout import decode_replies
    from posegpt.retrieval import PoseBank

    model = build(folder, bank_answers=True).eval()
    names = ["arms_up", "arms_up", "squat", "wave_left_hand"]
    texts = ["raise your arms", "raise both arms high", "raise your arms and squat", "wave with one hand"]
    rotations = torch.cat([named_pose(n).rotation_matrices() for n in names])  # (4, 24, 3, 3)
    model.pose_bank = PoseBank.build(texts, rotations, names, WordEmbedder())
    model._request_encoder = WordEmbedder()
    found = model.bank_poses([{"role": "user", "content": "raise your arms"}], count=3)  # (n, 24, 3, 3)
    # the two arms_up entries are one pose; the next distinct ones follow, most similar first
    assert found.shape == (3, 24, 3, 3)
    assert torch.allclose(found[0], rotations[0], atol=2e-2) and torch.allclose(found[1], rotations[2], atol=2e-2)
    engine = Engine(model)
    force_tokens(engine, poses_then(model, 2))
    first = [e.pose for e in engine.stream([{"role": "user", "content": "raise your arms"}], max_new_tokens=4)
             if isinstance(e, PoseEvent)]
    assert len(first) == 2
    assert torch.allclose(first[0].rotation_matrices()[0], rotations[0], atol=2e-2)
    assert torch.allclose(first[1].rotation_matrices()[0], rotations[2], atol=2e-2)
    follow_up = [{"role": "user", "content": "raise your arms"}, {"role": "assistant", "content": "Here: <POSE>"},
                 {"role": "user", "content": "raise your arms"}]
    force_tokens(engine, poses_then(model, 1))
    (again,) = [e.pose for e in engine.stream(follow_up, max_new_tokens=3) if isinstance(e, PoseEvent)]
    head_pose = Pose.from_rotation_matrices(model.decode_poses(TurnReadout(torch.zeros(1, 1, 2, model.config.hidden_size),
                                                                           torch.ones(1, 1, dtype=torch.bool))))
    assert not torch.allclose(again.rotation_matrices()[0], rotations[0], atol=2e-2)  # the untrained head's, not the bank's
    assert torch.allclose(again.rotation_matrices(), head_pose.rotation_matrices(), atol=0.2)  # (both near rest)
    # bench/heads_on_replies decodes stored replies by the same rule
    replies = decode_replies(model, [[{"role": "user", "content": "raise your arms"},
                                      {"role": "assistant", "content": "One <POSE> two <POSE>"}], follow_up[:2],
                                     follow_up + [{"role": "assistant", "content": "There: <POSE>"}]], progress=False)
    assert torch.allclose(replies[0].poses[1].rotation_matrices()[0], rotations[2], atol=2e-2)
    assert torch.allclose(replies[1].poses[0].rotation_matrices()[0], rotations[0], atol=2e-2)  # its own first request
    assert len(replies[2].poses) == 1  # a follow-up: the last reply's one pose, the head's
    assert [reply.from_bank for reply in replies] == [2, 1, 0]
    assert not torch.allclose(replies[2].poses[0].rotation_matrices()[0], rotations[0], atol=2e-2)
    # words after a colon before a bank pose are replaced by the captioner's words for that pose
    from posegpt.shown_words import said as said_words

    said = said_words(first[0])
    script = model.tokenizer.encode("Sure: arms down", add_special_tokens=False) + [model.pose_token_id]

    end = model.tokenizer.convert_tokens_to_ids("<|im_end|>")
    force_tokens(engine, lambda step: script[step] if step < len(script) else end)
    events = list(engine.stream([{"role": "user", "content": "raise your arms"}], max_new_tokens=len(script) + 1))
    text = "".join(e.text for e in events if hasattr(e, "text") and not isinstance(e, Done))
    done = events[-1]
    assert text == f"Sure: {said} " and done.reply == f"Sure: {said} <POSE>" and said not in "Sure: arms down"

    def no_encoder(messages, count=4):
        raise RuntimeError("retrieval needs the packaged sentence encoder")

    model.bank_poses = model.wants_pose = no_encoder
    force_tokens(engine, poses_then(model, 1))
    events = list(engine.stream([{"role": "user", "content": "raise your arms"}], max_new_tokens=3))
    assert sum(isinstance(e, Notice) and "sentence encoder" in e.message for e in events) == 2  # gate, bank
    assert sum(isinstance(e, PoseEvent) for e in events) == 1  # the head's pose instead
    del model.bank_poses, model.wants_pose
    model.save_pretrained(tmp_path / "ckpt")
    assert PoseGPT.from_pretrained(tmp_path / "ckpt").pose_bank is not None
    # the CLI and the app load the encoder with the model, not with the first reply
    from posegpt.model import load_posegpt

    loaded_encoders = []
    original_encoder = PoseGPT.request_encoder
    PoseGPT.request_encoder = lambda self: loaded_encoders.append(self) or WordEmbedder()
    try:
        with_bank, _ = load_posegpt(tmp_path / "ckpt")
        build(folder).save_pretrained(tmp_path / "plain")
        load_posegpt(tmp_path / "plain")
    finally:
        PoseGPT.request_encoder = original_encoder
    assert loaded_encoders == [with_bank]  # the plain checkpoint reads no encoder
    (tmp_path / "ckpt" / "pose_bank.safetensors").unlink()
    with pytest.raises(CheckpointError, match="pose_bank"):
        PoseGPT.from_pretrained(tmp_path / "ckpt")


def test_a_bank_with_follow_ups_answers_an_edit_by_the_requests_it_changes(folder, tmp_path):
    from posegpt.data.conversations import Sample
    from posegpt.readout import decode_replies
    from posegpt.retrieval import BankQuery, PoseBank, bank_entries, bank_query

    user = lambda text: {"role": "user", "content": text}  # noqa: E731
    assistant = lambda text: {"role": "assistant", "content": text}  # noqa: E731
    # a request alone; after small talk still alone; a follow-up with every request a pose answered
    assert bank_query([user("raise your left arm")]) == BankQuery("raise your left arm", False, "raise your left arm")
    assert bank_query([user("hi"), assistant("Hello!"), user("squat")]) == BankQuery("squat", False, "squat")
    assert bank_query([user("hi"), assistant("Hello!"), user("raise your left arm"), assistant("Up: <POSE>"),
                       user("what is that?"), assistant("An arm raise."), user("now the other arm")]) \
        == BankQuery("raise your left arm\nnow the other arm", True, "now the other arm")
    with pytest.raises(ValueError, match="ends with a user message"):
        bank_query([user("squat"), assistant("<POSE>")])

    samples = [Sample([user("raise your arms"), assistant("Up: <POSE>"), user("now squat down"), assistant("<POSE>")],
                      [named_pose("arms_up"), named_pose("squat")], "test", {}),
               Sample([user("wave with one hand"), assistant("<POSE>")], [named_pose("wave_left_hand")], "test", {})]
    assert bank_entries(samples)[0] == ["raise your arms", "wave with one hand"]  # first requests only
    texts, rotations, labels, follow_ups = bank_entries(samples, follow_ups=True)
    assert texts == ["raise your arms", "raise your arms\nnow squat down", "wave with one hand"]
    assert follow_ups == [False, True, False]
    assert torch.allclose(rotations[1], named_pose("squat").rotation_matrices()[0])  # the follow-up's own pose

    model = build(folder, bank_answers=True).eval()
    model.pose_bank = PoseBank.build(texts, rotations, labels, WordEmbedder(), follow_ups)
    model._request_encoder = WordEmbedder()
    asked = [user("raise your arms"), assistant("Here: <POSE>"), user("now squat down")]
    assert model.answers_from_bank(asked) and not model.answers_from_bank(asked, reads_photo=True)
    # the follow-up's words, looked up among follow-ups only; a first request never gets an edit's pose
    assert torch.allclose(model.bank_poses(asked, count=1)[0], rotations[1], atol=2e-2)
    assert torch.allclose(model.bank_poses([user("raise your arms now squat down")], count=1)[0], rotations[0], atol=2e-2)
    (pose,) = decode_replies(model, [asked + [assistant("Down: <POSE>")]], progress=False)[0].poses
    assert torch.allclose(pose.rotation_matrices()[0], rotations[1], atol=2e-2)
    engine = Engine(model)
    force_tokens(engine, poses_then(model, 1))
    (shown,) = [e.pose for e in engine.stream(asked, max_new_tokens=3) if isinstance(e, PoseEvent)]
    assert torch.allclose(shown.rotation_matrices()[0], rotations[1], atol=2e-2)
    # the flags survive saving; a bank saved without them answers first requests only
    model.pose_bank.save(tmp_path / "bank.safetensors")
    assert PoseBank.load(tmp_path / "bank.safetensors").follow_ups.tolist() == follow_ups
    model.pose_bank = PoseBank.build(texts[:1], rotations[:1], labels[:1], WordEmbedder())
    assert not model.answers_from_bank(asked) and model.answers_from_bank(asked[:1])
    with pytest.raises(ValueError, match="no follow-up entries"):
        model.pose_bank.neighbours(torch.from_numpy(WordEmbedder().encode(["squat"])), 1, follow_up=True)


def _user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def _assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


def _answering_from_bank(folder, texts, names, follow_ups, **config):
    """(a tiny model answering text turns from a bank of `texts` whose poses are the library's
    `names`, (N, 24, 3, 3) those poses); the bank and the requests read by the word embedder."""
    from posegpt.retrieval import PoseBank

    rotations = torch.cat([named_pose(name).rotation_matrices() for name in names])
    model = build(folder, bank_answers=True, **config).eval()
    model.pose_bank = PoseBank.build(texts, rotations, names, WordEmbedder(), follow_ups)
    model._request_encoder = WordEmbedder()
    return model, rotations


def _shown(name: str):
    """A library pose as the bank shows it to a request that names no side: one-sided ones on the
    default side (`posegpt.sides.on_default_side`)."""
    from posegpt.sides import on_default_side

    return on_default_side(named_pose(name), "")


def _follow_up_answer(model, request: str, reply: str, follow_up: str):
    """The first pose `model` answers `follow_up` with after `request` got `reply` (a Pose of one)."""
    from posegpt.pose import Pose

    asked = [_user(request), _assistant(reply), _user(follow_up)]
    return Pose.from_rotation_matrices(model.bank_poses(asked, count=1)[:1].cpu())


def test_a_new_request_after_a_pose_is_answered_by_its_own_words(folder):
    from dataclasses import replace

    model, rotations = _answering_from_bank(
        folder, ["raise your arms", "wave with one hand", "raise your arms\nnow squat down"],
        ["arms_up", "wave_left_hand", "squat"], [False, False, True])
    fresh = [_user("raise your arms"), _assistant("Up: <POSE>"), _user("wave with one hand")]
    change = [_user("raise your arms"), _assistant("Up: <POSE>"), _user("now squat down")]
    shown_wave = _shown("wave_left_hand").rotation_matrices()[0]  # no side named: the default side
    for on in (False, True):
        model.config = replace(model.config, bank_fresh_requests=on)
        # its own words are a first request's (cosine 1) and further from any follow-up: a new pose
        wave = torch.allclose(model.bank_poses(fresh, count=1)[0], shown_wave, atol=2e-2)
        assert wave == on
        # words nearer a follow-up stay one
        assert torch.allclose(model.bank_poses(change, count=1)[0], rotations[2], atol=2e-2)


def test_a_follow_up_whose_own_words_find_a_body_that_does_what_they_say_is_a_new_request(folder):
    from dataclasses import replace

    # the conversation's words are a training follow-up's (a standing pose); the message's own words
    # are less near the first request for kneeling than that, but its pose does what they say
    model, rotations = _answering_from_bank(
        folder, ["stand up straight", "please kneel down on the floor", "stand up straight\nkneel down"],
        ["stand", "kneel_both_knees", "stand"], [False, False, True], bank_fresh_requests=True)
    asked = [_user("stand up straight"), _assistant("Up: <POSE>"), _user("kneel down")]
    assert not model._reads_as_fresh("stand up straight\nkneel down", "kneel down")
    assert torch.allclose(model.bank_poses(asked, count=1)[0], rotations[1], atol=2e-2)
    model.config = replace(model.config, bank_fresh_requests=False)
    assert torch.allclose(model.bank_poses(asked, count=1)[0], rotations[2], atol=2e-2)


def test_a_follow_up_an_edit_fits_is_answered_as_a_new_request_when_its_own_words_find_a_better_body(folder, monkeypatch):
    from dataclasses import replace

    from posegpt.follow_ups import FollowUpEdits

    model, rotations = _answering_from_bank(
        folder, ["wave with one hand", "bend over and touch your toes", "wave with one hand\nnow sit"],
        ["wave_left_hand", "touch_toes", "stand"], [False, False, True], bank_edits=True, bank_fresh_requests=True)
    asked = [_user("wave with one hand"), _assistant("Hi: <POSE>"), _user("bend over and touch your toes")]
    model.config = replace(model.config, bank_fresh_requests=False)
    edited = model.bank_poses(asked, count=1)[0]  # (24, 3, 3): an edit of the wave
    assert model.asks_for_edit(asked) and not torch.allclose(edited, rotations[1], atol=2e-2)
    model.config = replace(model.config, bank_fresh_requests=True)
    for better in (False, True):  # whether the words' own body beats the edit (`_fresh_beats_edit`)
        # the words are not surely an edit (the word embedder finds "Bend your knees." near)
        monkeypatch.setattr(FollowUpEdits, "sure", lambda self, words, shown: False)
        monkeypatch.setattr(PoseGPT, "_fresh_beats_edit", lambda self, asked, shown, edited: better)
        model._last_edit = None
        found = model.bank_poses(asked, count=1)[0]
        assert torch.allclose(found, rotations[1] if better else edited, atol=2e-2)
        assert (model.edited_from(asked) is None) == better  # the reply says the new body, not a change
        assert model.asks_for_edit(asked)  # a pose either way, whatever the intent gate says
    monkeypatch.setattr(FollowUpEdits, "sure", lambda self, words, shown: True)  # an edit it surely asks for stays one
    model._last_edit = None
    assert torch.allclose(model.bank_poses(asked, count=1)[0], edited, atol=2e-2)


def test_a_new_body_beats_an_edit_when_it_does_more_of_the_words_and_says_their_posture(folder):
    from posegpt.pose import Pose

    model, rotations = _answering_from_bank(
        folder, ["wave with one hand", "kneel down"], ["wave_left_hand", "kneel_both_knees"], [False, False])
    standing, kneeling = named_pose("stand"), named_pose("kneel_both_knees")
    # "kneel down" answered as a request (kneeling) does its words; the wave edited to a plain stand does not
    assert model._fresh_beats_edit("kneel down", named_pose("wave_left_hand"), standing)
    assert not model._fresh_beats_edit("kneel down", named_pose("wave_left_hand"), kneeling)  # the edit does them as well
    # an edit that got the body out of the shown posture is not undone by a body in that posture
    assert not model._fresh_beats_edit("kneel down", kneeling, standing)
    # words that say no posture or trunk ("wave with one hand": an arm) are no reason for a new body
    assert not model._fresh_beats_edit("wave with one hand", kneeling, Pose.from_rotation_matrices(rotations[1:2]))
    # … unless the edit left the pose shown as it was: then it does not do them, and they get the new body
    assert model._fresh_beats_edit("wave with one hand", kneeling, kneeling)


def test_a_follow_up_that_names_one_limb_keeps_the_rest_of_the_pose_shown(folder, monkeypatch):
    import posegpt.follow_ups as follow_ups
    from posegpt.eval.checks import run_checks
    from posegpt.follow_ups import FollowUpEdits
    from posegpt.pose import Pose

    # no edit lifts a knee: the follow-up is answered by its own words, a body standing on the
    # left leg with the arms out, and keeps the hands on the hips it was shown with
    model, rotations = _answering_from_bank(
        folder, ["put your hands on your hips", "lift your right knee up", "stand up straight\nnow sit"],
        ["hands_on_hips", "stand_on_left_leg", "sit_chair"], [False, False, True], bank_edits=True, bank_fresh_requests=True)
    asked = [_user("put your hands on your hips"), _assistant("Hands on hips: <POSE>"), _user("now lift your right knee up")]
    monkeypatch.setattr(FollowUpEdits, "edited", lambda self, shown, words: None)  # the word embedder finds one near
    checks = ["right_knee_raised", "hands_on_hips", "upright_standing"]
    kept = run_checks(Pose.from_rotation_matrices(model.bank_poses(asked, count=1)[:1].cpu()).joints()[0], checks)
    assert kept == dict.fromkeys(checks, True)
    # words naming the arms' parts too ask for more than the legs: the fresh body as it is
    monkeypatch.setattr(follow_ups, "body_regions", lambda words: frozenset({"arm", "leg"}))
    model._last_edit = None
    assert torch.allclose(model.bank_poses(asked, count=1)[0], rotations[1], atol=2e-2)
    assert not run_checks(named_pose("stand_on_left_leg").joints()[0], ["hands_on_hips"])["hands_on_hips"]


def test_a_follow_up_that_names_one_arm_keeps_the_other_and_one_that_names_the_trunk_keeps_the_limbs(folder, monkeypatch):
    from posegpt.pose import SMPL_JOINT_NAMES
    from posegpt.body_words import BodyWords
    from posegpt.eval.checks import run_checks
    from posegpt.follow_ups import FollowUpEdits
    from posegpt.pose import Pose

    monkeypatch.setattr(FollowUpEdits, "edited", lambda self, shown, words: None)  # no edit near the words
    # "drop your right arm" with both held forward, answered by its own words (a body with both
    # arms down): the right arm drops, the left one stays forward
    model, _ = _answering_from_bank(
        folder, ["both arms straight forward", "drop your right arm", "stand up straight\nnow sit"],
        ["arms_forward", "stand", "sit_chair"], [False, False, True], bank_edits=True, bank_fresh_requests=True)
    pose = _follow_up_answer(model, "both arms straight forward", "Arms forward: <POSE>", "drop your right arm")
    checks = run_checks(pose.joints()[0], ["left_arm_forward", "right_arm_forward", "right_wrist_below_shoulder"])
    assert checks == {"left_arm_forward": True, "right_arm_forward": False, "right_wrist_below_shoulder": True}, checks
    # "lean to the side a bit" with the hands on the hips, answered by a body bending sideways with
    # an arm over its head: it bends sideways and keeps the arms and head shown (a clause said the
    # trunk: its match to the trunk's facts stands in for the sentence encoder's)
    model, rotations = _answering_from_bank(
        folder, ["put your hands on your hips", "lean to the side a bit", "stand up straight\nnow sit"],
        ["hands_on_hips", "side_bend_left", "sit_chair"], [False, False, True], bank_edits=True, bank_fresh_requests=True)
    real_matches = BodyWords.matches
    monkeypatch.setattr(BodyWords, "matches", lambda self, text, poses, topics=None: torch.ones(len(poses), 1)
                        if topics is not None else real_matches(self, text, poses, topics))
    asked = [_user("put your hands on your hips"), _assistant("Hands on hips: <POSE>"), _user("lean to the side a bit")]
    found = model.bank_poses(asked, count=1)[0].cpu()  # (24, 3, 3)
    checks = run_checks(Pose.from_rotation_matrices(found[None]).joints()[0], ["right_elbow_bent", "right_wrist_above_head"])
    assert checks == {"right_elbow_bent": True, "right_wrist_above_head": False}, checks
    joints = lambda names: [SMPL_JOINT_NAMES.index(name) for name in names]  # noqa: E731
    assert torch.allclose(found[joints(("spine1", "spine2", "spine3"))], rotations[1][joints(("spine1", "spine2", "spine3"))],
                          atol=2e-2)  # the fresh body's sideways bend
    arms = joints(("left_shoulder", "left_elbow", "right_shoulder", "right_elbow", "head"))
    assert torch.allclose(found[arms], rotations[0][arms], atol=2e-2)  # the arms and head shown
    fresh = run_checks(named_pose("side_bend_left").joints()[0], ["right_elbow_bent", "right_wrist_above_head"])
    assert fresh == {"right_elbow_bent": False, "right_wrist_above_head": True}, fresh


def test_a_follow_up_that_puts_the_hands_on_a_part_keeps_the_posture_shown(folder, monkeypatch):
    from posegpt.data.captioner import stated_posecodes
    from posegpt.follow_ups import FollowUpEdits

    monkeypatch.setattr(FollowUpEdits, "edited", lambda self, shown, words: None)  # no edit near the words
    both_sides = lambda pose: {(code.topic, code.value) for code in stated_posecodes(pose)[0]  # noqa: E731
                               if code.side in (None, "both")}
    # "put your arms above your head" lying on the back names the head only as where the arms go:
    # the standing body its own words find lends its arms to the body lying down
    model, _ = _answering_from_bank(
        folder, ["lie on your back", "put your arms above your head", "stand up straight\nnow sit"],
        ["lie_on_back", "arms_up", "sit_chair"], [False, False, True], bank_edits=True, bank_fresh_requests=True)
    facts = both_sides(_follow_up_answer(model, "lie on your back", "Lying down: <POSE>", "put your arms above your head"))
    assert {("posture", "lying_back"), ("arm", "overhead")} <= facts, facts
    # "put your hands on your knees" sitting cross-legged: its own words' first pose stands bent
    # over its knees, whose arms would hang beside the seated hips; the next one in the posture
    # shown lends its arms instead
    model, _ = _answering_from_bank(
        folder, ["sit cross-legged on the floor", "put your hands on your knees", "rest your hands on your knees",
                 "stand up straight\nnow sit"],
        ["sit_floor_cross_legged", "exhausted_hands_on_knees", "bound_angle_pose", "sit_chair"],
        [False, False, False, True], bank_edits=True, bank_fresh_requests=True)
    facts = both_sides(_follow_up_answer(model, "sit cross-legged on the floor", "Cross-legged: <POSE>", "put your hands on your knees"))
    assert ("posture", "sitting_floor") in facts and ("legs", "crossed") in facts, facts
    assert ("hand_on", "knee_same") in facts, facts


def test_a_follow_up_from_the_bank_edits_the_pose_shown_before_it(folder):
    from dataclasses import replace

    from posegpt.eval.checks import run_checks
    from posegpt.pose import Pose
    from posegpt.retrieval import PoseBank

    user = lambda text: {"role": "user", "content": text}  # noqa: E731
    assistant = lambda text: {"role": "assistant", "content": text}  # noqa: E731
    # the bank's nearest follow-up to "raise both arms" is a squat (an edit of another pose)
    texts = ["stand up straight", "stand up straight\nraise both arms"]
    rotations = torch.cat([named_pose("stand").rotation_matrices(), named_pose("squat").rotation_matrices()])
    asked = [user("stand up straight"), assistant("Like this: <POSE>"), user("raise both arms")]
    found = {}
    for edits in (False, True):
        model = build(folder, bank_answers=True, bank_edits=edits).eval()
        model.pose_bank = PoseBank.build(texts, rotations, ["stand", "squat"], WordEmbedder(), [False, True])
        model._request_encoder = WordEmbedder()
        found[edits] = model.bank_poses(asked, count=1)[0]  # (24, 3, 3)
    assert torch.allclose(found[False], rotations[1], atol=2e-2)  # the bank's follow-up: someone else's pose
    edited = Pose.from_rotation_matrices(found[True].unsqueeze(0))
    assert run_checks(edited, ["both_wrists_above_head"])["both_wrists_above_head"]  # what the words ask
    assert torch.allclose(found[True][[0, 1, 2, 4, 5, 7, 8]], rotations[0][[0, 1, 2, 4, 5, 7, 8]], atol=2e-2)  # the legs shown
    # no pose shown before (small talk only): the bank answers as a first request
    model.config = replace(model.config, bank_edits=True)
    assert torch.allclose(model.bank_poses([user("hi"), assistant("Hello!"), user("stand up straight")], count=1)[0],
                          rotations[0], atol=2e-2)
    # a follow-up an edit makes asks for a pose (whatever the gate says); one no edit makes does not
    assert model.asks_for_edit(asked)
    assert not model.asks_for_edit([user("stand up straight"), assistant("Like this: <POSE>"), user("zebras graze quietly")])
    assert not model.asks_for_edit([user("raise both arms")])  # no pose shown before


def test_a_follow_up_edit_of_one_side_is_not_turned_to_the_side_its_words_name(folder):
    from posegpt.eval.checks import run_checks
    from posegpt.pose import Pose

    # "drop your left arm" with both up leaves the RIGHT one raised: the words' "left" must not
    # mirror the edited pose to put a raised arm on the left
    model, _ = _answering_from_bank(folder, ["arms up", "arms up\nnow lower your left arm"], ["arms_up", "stand"],
                                    [False, True], bank_edits=True)
    asked = [_user("arms up"), _assistant("Up: <POSE>"), _user("now lower your left arm")]
    pose = Pose.from_rotation_matrices(model.bank_poses(asked, count=1)[:1].cpu())
    checks = run_checks(pose, ["right_wrist_above_head", "left_wrist_above_shoulder"])
    assert checks == {"right_wrist_above_head": True, "left_wrist_above_shoulder": False}, checks


def test_among_poses_that_cover_the_words_alike_the_plainest_comes_first(folder, monkeypatch):
    import posegpt.model as model_module
    from posegpt.model import plain_distance

    assert float(plain_distance(named_pose("stand"))[0]) < 1e-4
    assert float(plain_distance(named_pose("overhead_squat"))[0]) > float(plain_distance(named_pose("squat"))[0])
    # the nearer request's squat has the arms overhead; "squat" says nothing of the arms
    model, rotations = _answering_from_bank(folder, ["squat", "squat down"], ["overhead_squat", "squat"], [False, False],
                                            bank_body_words=True, bank_asked_edits=False)
    monkeypatch.setattr(model_module, "BANK_SIMILARITY_WEIGHT", 0.0)  # the words alone: both squat alike
    asked = [_user("squat")]
    first = {}
    for weight in (0.0, 0.5):
        monkeypatch.setattr(model_module, "PLAIN_POSE_WEIGHT", weight)
        first[weight] = model.bank_poses(asked, count=1)[0]
    assert torch.allclose(first[0.0], rotations[0], atol=2e-2)  # a tie: the nearer request's
    assert torch.allclose(first[0.5], rotations[1], atol=2e-2)  # the plainer


def _two_poses_bank_model(folder):
    """A tiny model whose bank answers "… two poses …" requests from three library poses."""
    from posegpt.retrieval import PoseBank

    model = build(folder, bank_answers=True).eval()
    names = ["arms_up", "squat", "wave_left_hand"]
    texts = ["two poses with arms", "two poses squatting", "two poses waving"]
    model.pose_bank = PoseBank.build(texts, torch.cat([named_pose(n).rotation_matrices() for n in names]), names, WordEmbedder())
    model._request_encoder = WordEmbedder()
    return model


def test_a_bank_answered_reply_that_owes_poses_does_not_ramble_before_the_next(folder):
    from posegpt.engine import WORDS_BEFORE_OWED_POSE

    model = _two_poses_bank_model(folder)
    engine = Engine(model)
    force_tokens(engine, poses_then(model, 1, then=model.tokenizer.encode(" and", add_special_tokens=False)[0]))
    events = list(engine.stream([{"role": "user", "content": "show me two poses with arms"}],
                                max_new_tokens=WORDS_BEFORE_OWED_POSE + 20, break_loops=False))  # " and and …" is a loop
    assert sum(isinstance(e, PoseEvent) for e in events) == 2
    # the second pose came after WORDS_BEFORE_OWED_POSE words, not as the budget's last token
    assert events[-1].reply.endswith(" and") and events[-1].stats.generated_tokens == WORDS_BEFORE_OWED_POSE + 20


def test_a_reply_shows_no_more_poses_than_asked_for(folder):
    model = _two_poses_bank_model(folder)
    engine = Engine(model)
    force_tokens(engine, poses_then(model, 3))  # the LLM would show a third ("two ways to stretch your back" did)
    events = list(engine.stream([{"role": "user", "content": "show me two poses with arms"}], max_new_tokens=8))
    assert sum(isinstance(e, PoseEvent) for e in events) == 2


def test_a_message_that_counts_its_poses_gets_them_whatever_the_gate_says(folder, monkeypatch):
    from posegpt.engine import WORDS_BEFORE_OWED_POSE

    model = _two_poses_bank_model(folder)
    monkeypatch.setattr(model, "wants_pose", lambda messages: False)  # a gate that says no
    engine = Engine(model)
    word = model.tokenizer.encode(" and", add_special_tokens=False)[0]
    budget = 2 * WORDS_BEFORE_OWED_POSE + 20
    force_tokens(engine, lambda step: word)  # an LLM that only rambles
    counted = list(engine.stream([{"role": "user", "content": "give me 2 ways to stretch with arms"}], max_new_tokens=budget))
    assert sum(isinstance(e, PoseEvent) for e in counted) == 2
    force_tokens(engine, lambda step: word)
    plain = list(engine.stream([{"role": "user", "content": "stretch with arms"}], max_new_tokens=budget))
    assert not any(isinstance(e, PoseEvent) for e in plain)  # no count: the gate decides, and said no


def test_the_bank_re_ranks_its_nearest_entries_by_the_words_of_their_poses(folder):
    from posegpt.retrieval import PoseBank

    names = ["wave_left_hand", "arms_up", "squat"]
    # by the words of the requests alone, the one-handed wave is nearest; the arms_up pose's own
    # descriptions ("both arms are raised straight up") match the request far better
    texts = ["raise arms up above the head", "both arms straight up", "squat down low"]
    rotations = torch.cat([_shown(n).rotation_matrices() for n in names])  # (3, 24, 3, 3)
    asked = [{"role": "user", "content": "both arms straight up above the head"}]
    first = {}
    # (re-rank the nearest k, only when the nearest is less similar than this): a request as close
    # to a training request as this one (cosine > 0) is re-ranked only with no such limit
    for rerank, below in ((0, None), (2, None), (2, 2.0), (2, 0.0)):
        model = build(folder, bank_answers=True, bank_rerank=rerank, bank_rerank_below=below).eval()
        model.pose_bank = PoseBank.build(texts, rotations, names, WordEmbedder())
        model._request_encoder = WordEmbedder()
        found = model.bank_poses(asked, count=3)  # (3, 24, 3, 3)
        assert found.shape == (3, 24, 3, 3)
        first[rerank, below] = next(n for n, r in zip(names, rotations) if torch.allclose(found[0], r, atol=2e-2))
    assert first == {(0, None): "wave_left_hand", (2, None): "arms_up", (2, 2.0): "arms_up", (2, 0.0): "wave_left_hand"}


def test_the_bank_gives_a_request_with_body_words_the_pose_that_does_them(folder):
    from posegpt.retrieval import PoseBank

    names = ["raise_hand_left", "squat", "arms_up"]
    # by the requests' words the one hand raised is nearest; the arms_up pose's own facts say what
    # was asked (not the wave: this encoder hears "wave" as "arms", whose letters add up alike)
    texts = ["stand still and raise arms", "squat low", "raise both arms up"]
    rotations = torch.cat([_shown(n).rotation_matrices() for n in names])  # (3, 24, 3, 3)
    first = {}
    for body_words in (False, True):
        model = build(folder, bank_answers=True, bank_body_words=body_words).eval()
        model.pose_bank = PoseBank.build(texts, rotations, names, WordEmbedder())
        model._request_encoder = WordEmbedder()
        for asked in ("stand still and raise both arms straight up", "stand still and raise arms"):
            found = model.bank_poses([{"role": "user", "content": asked}], count=1)  # (n, 24, 3, 3)
            first[body_words, asked] = next(n for n, r in zip(names, rotations) if torch.allclose(found[0], r, atol=2e-2))
    assert first == {(False, "stand still and raise both arms straight up"): "raise_hand_left",
                     (True, "stand still and raise both arms straight up"): "arms_up",
                     (False, "stand still and raise arms"): "raise_hand_left",
                     (True, "stand still and raise arms"): "arms_up"}  # "arms" asks both; that pose raises one


def test_the_bank_changes_its_pose_as_the_request_asks_when_no_entry_does(folder):
    from posegpt.eval.checks import run_checks
    from posegpt.pose import Pose
    from posegpt.retrieval import PoseBank

    arms_up = named_pose("arms_up")
    asked = [{"role": "user", "content": "stand tall with your arms down by your sides"}]
    found = {}
    for asked_edits in (False, True):
        model = build(folder, bank_answers=True, bank_body_words=True, bank_asked_edits=asked_edits).eval()
        model.pose_bank = PoseBank.build(["stand tall"], arms_up.rotation_matrices(), ["arms_up"], WordEmbedder())
        model._request_encoder = WordEmbedder()
        found[asked_edits] = model.bank_poses(asked, count=2)  # (n, 24, 3, 3)
    assert found[False].shape[0] == 1 and torch.allclose(found[False][0], arms_up.rotation_matrices()[0], atol=2e-2)
    # the changed pose first, the bank's own after it
    assert found[True].shape[0] == 2 and torch.allclose(found[True][1], arms_up.rotation_matrices()[0], atol=2e-2)
    assert run_checks(Pose.from_rotation_matrices(found[True][:1]), ["wrists_below_shoulders"])["wrists_below_shoulders"]
    # words no pose's facts match still get the change they ask for most
    model.pose_bank = PoseBank.build(["stand like a champion"], named_pose("stand").rotation_matrices(), ["stand"], WordEmbedder())
    champion = model.bank_poses([{"role": "user", "content": "lift your arms above your head like a champion"}], count=1)
    assert run_checks(Pose.from_rotation_matrices(champion), ["both_wrists_above_head"])["both_wrists_above_head"]


def test_the_bank_chooses_among_as_many_entries_however_many_poses_are_asked_for(folder):
    from posegpt.retrieval import PoseBank

    # ten entries nearer by their words than the one whose pose does what was asked: a follow-up
    # finds the pose its reply showed again with count=1, and must find the same one
    fillers = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    names = ["squat" if i % 2 else "wave_left_hand" for i in range(len(fillers))] + ["arms_up"]
    texts = [f"stand still, raise both arms straight {word}" for word in fillers] + ["raise both arms up"]
    rotations = torch.cat([named_pose(n).rotation_matrices() for n in names])  # (11, 24, 3, 3)
    model = build(folder, bank_answers=True, bank_body_words=True).eval()
    model.pose_bank = PoseBank.build(texts, rotations, names, WordEmbedder())
    model._request_encoder = WordEmbedder()
    asked = [{"role": "user", "content": "stand still, raise both arms straight up"}]
    arms_up = named_pose("arms_up").rotation_matrices()[0]
    nearest = model.pose_bank.neighbours(torch.from_numpy(WordEmbedder().encode([asked[0]["content"]])), 8)  # (1, 8, 145)
    assert not any(torch.allclose(pose, model.pose_bank.poses[-1].float(), atol=1e-3) for pose in nearest[0, :, :-1])
    assert torch.allclose(model.bank_poses(asked)[0], arms_up, atol=2e-2)
    assert torch.allclose(model.bank_poses(asked, count=1)[0], arms_up, atol=2e-2)


def test_the_bank_turns_its_pose_to_the_side_the_words_name(folder):
    from posegpt.retrieval import PoseBank

    wave = named_pose("wave_left_hand")
    asked = [{"role": "user", "content": "wave at me with your right hand"}]
    found = {}
    for sides in (False, True):
        model = build(folder, bank_answers=True, bank_sides=sides).eval()
        model.pose_bank = PoseBank.build(["wave with your left hand"], wave.rotation_matrices(), ["wave_left_hand"], WordEmbedder())
        model._request_encoder = WordEmbedder()
        found[sides] = model.bank_poses(asked, count=1)[0]  # (24, 3, 3)
    assert torch.allclose(found[False], wave.rotation_matrices()[0], atol=2e-2)  # the nearest request's left hand
    assert torch.allclose(found[True], wave.mirrored().rotation_matrices()[0], atol=2e-2)  # the right one, as asked


def test_the_bank_answers_a_listed_request_item_by_item(folder):
    from posegpt.retrieval import PoseBank

    names = ["squat", "arms_up", "wave_left_hand"]
    texts = ["squat down low", "both arms straight up", "wave hello"]
    rotations = torch.cat([_shown(n).rotation_matrices() for n in names])  # (3, 24, 3, 3)
    model = build(folder, bank_answers=True).eval()
    model.pose_bank = PoseBank.build(texts, rotations, names, WordEmbedder())
    model._request_encoder = WordEmbedder()
    found = model.bank_poses([{"role": "user", "content": "wave hello and then both arms straight up"}], count=1)
    assert found.shape == (2, 24, 3, 3)  # as many as it lists, whatever `count` says
    order = [next(n for n, r in zip(names, rotations) if torch.allclose(pose, r, atol=2e-2)) for pose in found]
    assert order == ["wave_left_hand", "arms_up"]  # each item's own nearest, in the message's order


def test_a_first_request_is_looked_up_without_its_courtesy_words():
    from posegpt.retrieval import lookup_words

    assert lookup_words("t pose pls") == "t pose"
    assert lookup_words("A squat please, thx!") == "A squat"
    assert lookup_words("Please raise your arms") == "raise your arms"
    assert lookup_words("please") == "please"  # nothing else would be left: as written
    assert lookup_words("splits") == "splits"  # whole words only


def _word_bank(texts: list[str], labels: list[str]):
    """A pose bank of the library poses `labels`, one per request of `texts`, by `WordEmbedder` →
    (bank, (N, 24, 3, 3) its rotations, the embedder)."""
    from posegpt.retrieval import PoseBank

    embedder = WordEmbedder()
    rotations = torch.cat([named_pose(n).rotation_matrices() for n in labels])  # (N, 24, 3, 3)
    return PoseBank.build(texts, rotations, labels, embedder), rotations, embedder


def test_the_pose_bank_finds_the_nearest_distinct_poses():
    from posegpt.retrieval import rotations_to_6d

    bank, rotations, embedder = _word_bank(["raise your arms", "raise your arms high", "raise your arms up", "raise a squat"],
                                           ["arms_up", "arms_up", "arms_up", "squat"])
    query = torch.from_numpy(embedder.encode(["raise your arms"]))
    entries = bank.neighbours(query, 2)  # two requests for one pose
    assert torch.allclose(entries[0, 0, :-1], entries[0, 1, :-1])
    poses = bank.neighbours(query, 2, distinct=True)  # two poses, each at its nearest request
    assert torch.allclose(poses[0, 0, :-1], rotations_to_6d(rotations[0]), atol=1e-2) and poses[0, 0, -1] > 0.99
    assert torch.allclose(poses[0, 1, :-1], rotations_to_6d(rotations[3]), atol=1e-2)
    assert bank.neighbours(query, 5, distinct=True).shape[1] == 2  # no more poses than it has


def test_a_clause_widens_the_pose_banks_candidates_with_its_own_nearest_poses():
    from posegpt.retrieval import rotations_to_6d

    texts = ["stand tall and bend over", "stand and bend over forward", "hands on hips", "squat down low"]
    bank, rotations, embedder = _word_bank(texts, ["bow", "bow", "hands_on_hips", "squat"])
    query = torch.from_numpy(embedder.encode(["stand tall and bend over forward, hands on hips"]))  # (1, D)
    parts = torch.from_numpy(embedder.encode(["stand tall and bend over forward", "hands on hips"]))  # (2, D)
    alone = bank.neighbours(query, 1, distinct=True)[0]  # (1, 145): the bow only
    assert not torch.allclose(alone[0, :-1], rotations_to_6d(rotations[2]), atol=1e-2)
    widened = bank.widened(query, 1, parts, 1)  # the request's nearest, then each clause's not yet taken
    assert torch.equal(widened[:1], alone) and len(widened) == 2
    assert torch.allclose(widened[1, :-1], rotations_to_6d(rotations[2]), atol=1e-2)  # hands on hips, by its clause
    request_similarity = (query @ bank.embeddings.float().T)[0]  # (N,): each added pose keeps the request's similarity
    assert all(any(abs(float(similarity) - float(request_similarity[i])) < 1e-5 for i in range(len(texts)))
               for similarity in widened[:, -1])
    assert len(widened) == len({tuple(pose.tolist()) for pose in widened[:, :-1]})  # no pose twice


def test_words_that_ask_one_arm_alone_show_the_other_one_hanging(folder):
    from dataclasses import replace

    from posegpt.eval.checks import run_checks
    from posegpt.pose import Pose

    model, _ = _answering_from_bank(folder, ["raise both arms", "squat down"], ["arms_up", "squat"], [False, False],
                                    bank_asked_edits=True)
    asked = [_user("raise just your right arm")]
    checks = ["right_wrist_above_shoulder", "left_wrist_below_shoulder"]
    shown = Pose.from_rotation_matrices(model.bank_poses(asked, count=1)[:1])
    assert run_checks(shown, checks) == {"right_wrist_above_shoulder": True, "left_wrist_below_shoulder": True}
    # without "just" too, when the pose does with both arms what the words ask of one (posegpt.sides.twin_side)
    one = Pose.from_rotation_matrices(model.bank_poses([_user("raise your right arm")], count=1)[:1])
    assert run_checks(one, checks) == {"right_wrist_above_shoulder": True, "left_wrist_below_shoulder": True}
    both = Pose.from_rotation_matrices(model.bank_poses([_user("raise both arms")], count=1)[:1])
    assert run_checks(both, checks)["left_wrist_below_shoulder"] is False
    model.config = replace(model.config, bank_asked_edits=False)
    plain = Pose.from_rotation_matrices(model.bank_poses(asked, count=1)[:1])
    assert run_checks(plain, checks)["left_wrist_below_shoulder"] is False


def test_a_pose_keeps_the_other_arm_only_when_the_words_do_not_ask_one_arm_alone():
    from posegpt.eval.checks import run_checks
    from posegpt.model import other_arm_rested

    rested = other_arm_rested(named_pose("arms_up"), "now wave with just your left hand")
    assert rested is not None
    assert run_checks(rested, ["left_wrist_above_shoulder", "right_wrist_below_shoulder"]) == {
        "left_wrist_above_shoulder": True, "right_wrist_below_shoulder": True}
    assert other_arm_rested(named_pose("arms_up"), "now wave with your left hand") is None  # no "just"
    # a first request naming one arm alone rests the other when the pose does it with both; a
    # follow-up's edit keeps it, and a pose whose arms differ is left as it is
    twin = other_arm_rested(named_pose("arms_up"), "raise your left hand", first_request=True)
    assert twin is not None and run_checks(twin, ["right_wrist_below_shoulder"]) == {"right_wrist_below_shoulder": True}
    assert other_arm_rested(named_pose("salute_left"), "salute with your left hand", first_request=True) is None
    assert other_arm_rested(named_pose("stand"), "raise just your left hand") is None  # the right one hangs already

