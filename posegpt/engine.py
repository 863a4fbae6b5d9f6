"""The streaming engine: chat messages in, a stream of text deltas and poses out.

`Engine.stream()` runs its own decoding loop over a KV cache (like nanochat's engine): one
prefill of the prompt, then one forward pass per generated token. It keeps the hidden states the
pose head reads — those of the current turn (the user's message and the reply so far) at the
head's layers, from the prefill and from every step; when the sampled token is `<POSE>`, the
state that produced it is the head's query over them — no second pass over the text. Every
`<POSE>` of a reply becomes a `PoseEvent`, in order, as soon as it is generated.

The engine holds one model for any number of chat sessions: all per-conversation state (cache,
sampler, text decoder) lives inside one `stream()` call, and forward passes are serialised by a
lock, so concurrent sessions interleave token by token without sharing anything else.

Photos arrive as a `posegpt.photo.Photo`, decoded, oriented and sized once by whoever took
them in (the app, the CLI, an evaluation). They reach a text-only PoseGPT as people: the vision
module (`posegpt.vision.pipeline`) finds, fits and describes everyone in the photo; their block
of words + `<PERSON>` placeholders goes into the user's message and the placeholders' embeddings
are the projected person features (one prefill with `inputs_embeds`). When `<POSE>` is sampled,
the pointer picks the person it is about from the same hidden state — among the people the
question's words fit best, when they fit some better than others (`posegpt.vision.referring`:
the words are matched against the readings, with the conversation's earlier questions for
follow-ups) — and that person's landmark fit refines the head's pose. Vision-language backbones instead take the pixels through their
own processor.

Before decoding a text-only turn, the model's pose-intent gate (`posegpt.intent`, when its
checkpoint has one) decides whether the user asked for a pose at all; when it says no, `<POSE>`
is banned for that reply and the reply is written by the base chat model (the adapter switched
off for those forward passes: with it on and `<POSE>` banned, small talk got pose-reply words, a
body described but not shown). A photo turn is always allowed a pose; "pose" leaves decoding as
it was (the model still decides how many poses).

The engine holds no body model and no renderer: its events carry poses and the typed scene
reading they refer to, and `posegpt.artifacts.PoseExporter` draws them (mesh, views, overlay).
"""

from __future__ import annotations

import inspect
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, Literal, Mapping, Sequence, Union

import torch

from posegpt.intent import declines_pose
from posegpt.model import PoseGPT, TurnReadout
from posegpt.photo import Photo, PhotoError, PhotoSource, read_photo
from posegpt.pose import Pose
from posegpt.pose_count import counted_poses, requested_pose_count
from posegpt.render import Camera
from posegpt.shown_words import ShownWords, said
from posegpt.turns import role_and_content

if TYPE_CHECKING:
    from posegpt.vision.pipeline import SceneReading, Vision
    from posegpt.vision.referring import Resolution

Role = Literal["system", "user", "assistant"]
# Tokens a bank-answered reply that owes more poses may spend before the next one: its words
# there are replaced by the pose's own (posegpt/shown_words.py), and a small LLM listing four
# poses otherwise describes the third until the token budget ends (eval natural, N = 4).
WORDS_BEFORE_OWED_POSE = 48
# A greedy reply of the small LLM can fall into a loop ("Halt! Halt! Halt! …", "no no no …") and
# spend its whole budget there without the `<POSE>` its turn asked for (2 of 50 replies to a
# second hand-written set, greedy as `batch`). A tail that repeats a span of `period` tokens this
# many times in a row is a loop (`repeating_tail`); longer spans need fewer copies to be sure.
LOOP_COPIES = ((1, 6), (2, 4), (6, 3))  # (shortest period, copies that make a loop) …
LONGEST_LOOP_PERIOD = 24


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class TextDelta:
    """New reply text, to append to what was shown."""

    text: str


@dataclass(frozen=True)
class PoseEvent:
    """A `<POSE>` was generated at this point of the reply."""

    index: int  # 0 for the reply's first pose, 1 for the second, …
    pose: Pose
    person: int | None = None  # which person of the photo (0-based, left to right), when there is one
    camera: Camera | None = None  # places the posed body over the photo (the chosen person's camera)
    head_pose: Pose | None = None  # the pose head's own output, before the landmark fit refined it
    scene: SceneReading | None = None  # the reading `person` indexes (boxes, cameras), for the overlay


@dataclass(frozen=True)
class Notice:
    """Something the user should know that is not part of the reply (history trimmed, no vision…)."""

    message: str


@dataclass(frozen=True)
class ErrorEvent:
    """A part of the reply failed (e.g. a pose could not be decoded); the stream goes on."""

    message: str


@dataclass(frozen=True)
class GenerationStats:
    prompt_tokens: int
    generated_tokens: int
    time_to_first_token_s: float
    decode_tokens_per_s: float  # tokens after the first ÷ time after the first
    total_s: float
    stop_reason: Literal["end", "max_tokens", "context_full", "loop"]


@dataclass(frozen=True)
class Done:
    """The reply is complete. `reply` keeps `<POSE>` markers where poses were emitted."""

    reply: str
    poses: tuple[Pose, ...]
    stats: GenerationStats
    pose_people: tuple[int | None, ...] = ()  # per pose: the person of the photo it is about
    scene: SceneReading | None = None  # the vision module's reading of the photo, when one was read


Event = Union[TextDelta, PoseEvent, Notice, ErrorEvent, Done]


# A chat's greedy replies penalise repeated tokens this much: the 135 M base model, asked "what is a
# good warm up before running?", repeats one sentence to the token limit without it. `batch` and
# the evals decode plain greedy (1.0), as they were measured.
CHAT_REPETITION_PENALTY = 1.1


@dataclass
class GenerationOptions:
    max_new_tokens: int = 256
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    seed: int | None = None
    repetition_penalty: float = 1.0
    break_loops: bool = True  # end a loop (`repeating_tail`) in the pose its turn wants, or the reply's end

    @classmethod
    def for_chat(cls, max_new_tokens: int, temperature: float, top_p: float = 1.0) -> "GenerationOptions":
        """A person's chat (the app, `python -m posegpt chat`): greedy replies with
        `CHAT_REPETITION_PENALTY`, sampled ones as they are."""
        return cls(max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p,
                   repetition_penalty=CHAT_REPETITION_PENALTY if temperature == 0 else 1.0)

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError("max_new_tokens must be at least 1")
        if self.temperature < 0 or not 0 < self.top_p <= 1:
            raise ValueError("temperature must be >= 0 and top_p in (0, 1]")


def as_messages(messages: Sequence[Message | Mapping[str, Any]]) -> list[Message]:
    """Accept dicts like {"role": "user", "content": "..."} as well as `Message`s."""
    result = []
    for item in messages:
        if isinstance(item, Message):
            result.append(item)
            continue
        role, content = item.get("role"), item.get("content")
        if role not in ("system", "user", "assistant") or not isinstance(content, str):
            raise ValueError(f"a message needs role system/user/assistant and text content, got {dict(item)!r}")
        result.append(Message(role, content))
    return result


class _TextDecoder:
    """Incremental detokenisation of the whole reply: emits only complete characters.

    Decoding the full id list each step (fast tokenizers make this microseconds) keeps word
    boundaries right for every tokenizer family, `<POSE>` included as its literal text.
    """

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self.emitted = ""

    def push(self, token_id: int) -> str:
        self.ids.append(token_id)
        text = self.tokenizer.decode(self.ids, skip_special_tokens=False)
        if text.endswith("\ufffd"):  # an incomplete multi-byte character: wait for the rest
            return ""
        delta, self.emitted = text[len(self.emitted):], text
        return delta

    def flush(self) -> str:
        """Whatever is still held back at the end (a broken character stays broken)."""
        text = self.tokenizer.decode(self.ids, skip_special_tokens=False) if self.ids else ""
        delta, self.emitted = text[len(self.emitted):], text
        return delta


def repeating_tail(tokens: Sequence[int]) -> bool:
    """Whether `tokens` end in a loop: one span of up to `LONGEST_LOOP_PERIOD` tokens repeated
    back to back as many times as `LOOP_COPIES` asks for its length."""
    for period in range(1, LONGEST_LOOP_PERIOD + 1):
        copies = [count for shortest, count in LOOP_COPIES if period >= shortest][-1]
        span = period * copies
        if len(tokens) >= span and all(tokens[-span + i] == tokens[-period + i % period] for i in range(span)):
            return True
    return False


class _Sampler:
    """Greedy or temperature/top-p sampling with a per-conversation random generator."""

    def __init__(self, options: GenerationOptions, device: torch.device, banned: Sequence[int] = ()) -> None:
        self.options = options
        self.banned = list(banned)  # token ids never generated (prompt-only placeholders)
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(options.seed if options.seed is not None else int(time.time_ns() % 2**63))

    def __call__(self, logits: torch.Tensor, previous: Sequence[int]) -> int:
        logits = logits.float().clone()  # (V,) a copy: the penalty edits it in place
        if self.banned:
            logits[self.banned] = float("-inf")
        if self.options.repetition_penalty != 1.0 and previous:
            seen = torch.tensor(sorted(set(previous)), device=logits.device)
            values = logits[seen]
            logits[seen] = torch.where(values > 0, values / self.options.repetition_penalty, values * self.options.repetition_penalty)
        if self.options.temperature == 0:
            return int(torch.argmax(logits))
        probs = torch.softmax(logits / self.options.temperature, dim=-1)
        if self.options.top_p < 1.0:
            sorted_probs, order = torch.sort(probs, descending=True)
            keep = torch.cumsum(sorted_probs, dim=-1) - sorted_probs < self.options.top_p  # always keeps the top token
            sorted_probs = sorted_probs * keep
            choice = torch.multinomial(sorted_probs / sorted_probs.sum(), 1, generator=self.generator)
            return int(order[choice])
        return int(torch.multinomial(probs, 1, generator=self.generator))


class Engine:
    """Streams replies of a `PoseGPT`: text, and poses with the person of the photo each is about."""

    def __init__(self, model: PoseGPT, vision: Vision | None = None, base_model_for_words: bool = True) -> None:
        self.model = model.eval()
        self.vision = vision  # a posegpt.vision.pipeline.PersonFinder, for models that read people
        # A text-only turn that the model's intent gate says wants no pose gets no <POSE>; with
        # `base_model_for_words` its reply is also written without the pose adapter (the base
        # chat model: with the adapter on and <POSE> banned, replies read like pose replies).
        self.base_model_for_words = base_model_for_words
        self.backbone = model.backbone
        self.tokenizer = model.tokenizer
        self._lock = threading.Lock()  # one forward pass at a time across sessions
        self.pose_token_id = model.pose_token_id
        # A reply ends at a turn-end marker, and at a message-start marker (the model has begun a
        # turn of its own: "<|im_start|>user\n..." would be shown as words, its <POSE> as a pose).
        self.end_token_ids = frozenset(self.backbone.end_token_ids) | frozenset(self.backbone.turn_start_token_ids)
        # transformers 5 renamed `past_key_values` to `cache` for most models; ask the model which it takes.
        forward_parameters = inspect.signature(model.backbone.model.forward).parameters
        self._cache_argument = "cache" if "cache" in forward_parameters else "past_key_values"
        self._can_keep_last_logits = "logits_to_keep" in forward_parameters

    # -- prompt ------------------------------------------------------------------------------------

    def _encode(self, messages: list[Message], image: Photo | None) -> dict[str, torch.Tensor]:
        chat = [{"role": m.role, "content": m.content} for m in messages]
        images = [image.pil()] if image is not None else None  # processors take PIL images
        return self.backbone.apply_chat_template(chat, add_generation_prompt=True, images=images)

    def _fit_context(self, messages: list[Message], image: Photo | None, max_new_tokens: int) -> tuple[dict[str, torch.Tensor], list[str]]:
        """Drop the oldest turns (never the system prompt or the last message) until the prompt fits."""
        notices: list[str] = []
        budget = self.backbone.context_length - max_new_tokens
        inputs = self._encode(messages, image)
        dropped = 0
        while inputs["input_ids"].shape[1] > budget:
            system = [m for m in messages[:1] if m.role == "system"]
            rest = messages[len(system):]
            if len(rest) <= 1:
                raise _PromptTooLong(inputs["input_ids"].shape[1], budget)
            # drop the oldest user turn together with the answers that follow it
            cut = 1
            while cut < len(rest) - 1 and rest[cut].role != "user":
                cut += 1
            dropped += cut
            messages = system + rest[cut:]
            inputs = self._encode(messages, image)
        if dropped:
            notices.append(
                f"The conversation was longer than this model's context ({self.backbone.context_length} tokens): "
                f"the {dropped} oldest message(s) were left out of what the model sees."
            )
        return inputs, notices

    # -- one forward step ----------------------------------------------------------------------------

    @torch.inference_mode()
    def _forward(self, cache: Any, adapter: bool = True, **inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, Any, torch.Tensor]:
        """→ logits of the last position (V,), the states the pose head reads at every position of
        this call (T, L, H; the last layer last), and the updated cache. `adapter`: False runs the
        base chat model (sessions interleave, so every forward pass sets it under the lock)."""
        extra: dict[str, Any] = {self._cache_argument: cache}
        if self._can_keep_last_logits:
            extra["logits_to_keep"] = 1  # the prompt's other positions need no logits
        with self._lock:
            self.model.use_adapter(adapter)
            out = self.model.language_model(**inputs, **extra, use_cache=True, output_hidden_states=True)
        cache = out.cache if hasattr(out, "cache") else out.past_key_values
        states = torch.stack([out.hidden_states[layer][0] for layer in self.model.readout_layers], dim=1)  # (T, L, H)
        return out.logits[0, -1], states, cache

    # -- photos as people --------------------------------------------------------------------------

    def _read_people(
        self, conversation: list[Message], photo: Photo
    ) -> Iterator[Event | tuple[list[Message], SceneReading | None]]:
        """Find the photo's people and put their block into the last user message.

        Yields notices, then one (messages, scene) tuple; a failing vision module gives an
        ErrorEvent and the conversation unchanged (the reply goes on without the photo)."""
        from posegpt.vision.features import people_prompt

        assert self.vision is not None
        try:
            scene = self.vision.find(photo)
        except Exception as error:  # noqa: BLE001 - a failing detector must not end the reply
            yield ErrorEvent(f"Looking for people in the photo failed ({type(error).__name__}: {error}); "
                             "I answer from your text only.")
            yield conversation, None
            return
        for notice in scene.notices:
            yield Notice(notice)
        block = people_prompt(scene.readings, self.model.config.tokens_per_person)
        last = conversation[-1]
        yield conversation[:-1] + [Message(last.role, f"{block}\n{last.content}")], scene

    # -- the loop ------------------------------------------------------------------------------------

    def stream(
        self,
        messages: Sequence[Message | Mapping[str, Any]],
        photo: Photo | PhotoSource | None = None,
        options: GenerationOptions | None = None,
        **option_overrides: Any,
    ) -> Iterator[Event]:
        """Generate the assistant's next reply to `messages`, event by event.

        `messages` is the whole conversation so far (earlier replies keep their `<POSE>` markers,
        which the tokenizer turns back into `<POSE>` tokens). `photo`: a `Photo` made at the edge
        by `read_photo` (anything else is given to `read_photo` here, when the model can use a
        photo); the people the events name are in its pixels. Bad input yields an `ErrorEvent`
        and a `Done` with an empty reply instead of raising.
        """
        started = time.perf_counter()
        options = options or GenerationOptions()
        if option_overrides:
            options = GenerationOptions(**{**options.__dict__, **option_overrides})
        try:
            conversation = as_messages(messages)
            if not conversation or conversation[-1].role != "user":
                raise ValueError("the conversation must end with a user message")
        except ValueError as error:
            yield ErrorEvent(str(error))
            yield Done("", (), GenerationStats(0, 0, 0.0, 0.0, time.perf_counter() - started, "end"))
            return
        request = conversation[-1].content  # what a retrieving head or the bank looks up (before any photo reading)
        asked = conversation  # the conversation as the user wrote it (the referring resolver reads it)
        scene: SceneReading | None = None
        pixels: Photo | None = None  # what a vision-language backbone sees
        if photo is not None and self.model.reads_people and not self.backbone.supports_images:
            if self.vision is None:
                yield Notice("This engine has no vision module, so the photo is not used; I answer from your text only.")
            elif isinstance(readable := _as_photo(photo), ErrorEvent):
                yield readable
            else:
                for item in self._read_people(conversation, readable):
                    if isinstance(item, tuple):
                        conversation, scene = item
                    else:
                        yield item
        elif photo is not None and self.backbone.supports_images:
            if isinstance(readable := _as_photo(photo), ErrorEvent):
                yield readable
            else:
                pixels = readable
        elif photo is not None:
            yield Notice(
                f"This model ({self.backbone.name}) cannot see images yet, so it answers from your text only."
            )
        try:
            inputs, notices = self._fit_context(conversation, pixels, options.max_new_tokens)
        except _PromptTooLong as error:
            yield ErrorEvent(str(error))
            yield Done("", (), GenerationStats(error.tokens, 0, 0.0, 0.0, time.perf_counter() - started, "context_full"))
            return
        for notice in notices:
            yield Notice(notice)
        resolution = _resolve(asked, scene) if scene is not None and scene.readings else None
        # A photo turn may always have a pose; a text-only turn may when the intent gate says so;
        # no turn whose words ask for none ("no picture please").
        declined = declines_pose(request)
        # A message that counts the poses it wants ("give me 2 ways to stretch my hamstrings") asks
        # for poses (`counted_poses`): the gate is not asked, and the reply must show them.
        counted = counted_poses(request) is not None and not declined
        edit_asked = False  # a follow-up a training edit makes to the pose shown (`PoseGPT.asks_for_edit`)
        # Whether the words ask for a pose (a count, an edit, or the intent gate's yes), not only allow one:
        # a reply that loops without one ends in it (`repeating_tail`).
        pose_asked = False
        try:
            edit_asked = photo is None and not declined and not counted and self.model.asks_for_edit(asked)
            gate_says = photo is None and not declined and not counted and not edit_asked and self.model.wants_pose(asked)
            pose_allowed = not declined and (photo is not None or counted or edit_asked or gate_says)
            pose_asked = counted or edit_asked or (gate_says and self.model.intent_gate is not None)
        except (RuntimeError, OSError) as error:  # no sentence encoder installed: the LLM alone decides
            pose_allowed = not declined
            yield Notice(f"The pose-intent gate cannot run ({error}); the model decides alone whether to show a pose.")
        # A question whose words single out someone in the photo (or describe its only person) is
        # answered with their pose, even when the small LLM would only describe them (or loop)
        # instead of emitting <POSE>; so is a follow-up an edit makes.
        pose_due = (resolution is not None and (resolution.has_evidence or resolution.describes_the_only_person)
                    and not resolution.everyone and pose_allowed) or edit_asked
        # A text request or follow-up is answered from the pose bank when the model has one.
        bank_asks = asked if self.model.answers_from_bank(asked, reads_photo=scene is not None) else None
        yield from self._decode(inputs, options, started, scene, request, resolution, pose_allowed, pose_due,
                                requested_pose_count(request) or 0, bank_asks, counted, pose_asked)

    def _decode(
        self, inputs: dict[str, torch.Tensor], options: GenerationOptions, started: float,
        scene: SceneReading | None = None, request: str = "", resolution: Resolution | None = None,
        pose_allowed: bool = True, pose_due: bool = False, poses_wanted: int = 0,
        bank_asks: Sequence[Message] | None = None, poses_owed_from_start: bool = False, pose_asked: bool = False,
    ) -> Iterator[Event]:
        """The decode loop. `pose_due`: the reply must show a pose — if the model would end it (or
        run out of tokens) before any `<POSE>`, that last token is `<POSE>` instead. `poses_wanted`:
        the number of poses the user asked for (posegpt.pose_count); once the reply shows a pose it
        may not end before it shows that many, it shows the ones it owes before its token budget
        ends, and it shows no more. `poses_owed_from_start`: the message counted its poses, so they are owed
        before the first is shown too. `pose_asked`: the words ask for a pose (not only allow
        one), so a reply that loops before showing any ends in one (`repeating_tail`; any other
        loop ends the reply). `bank_asks`: the conversation (as the user wrote it) whose
        last message the bank answers — the reply's poses are the bank's for it
        (`PoseGPT.bank_poses`), the head's after those; None: the head's."""
        from_bank = bank_asks is not None
        device = self.model.device
        inputs = {name: value.to(device) if isinstance(value, torch.Tensor) else value for name, value in inputs.items()}
        prompt_tokens = int(inputs["input_ids"].shape[1])
        room = self.backbone.context_length - prompt_tokens
        max_new_tokens = min(options.max_new_tokens, room)
        banned = [self.model.person_token_id] if self.model.person_token_id is not None else []
        adapter = True
        if not pose_allowed:
            banned.append(self.pose_token_id)
            adapter = not (self.base_model_for_words and self.model.can_disable_adapter)
        sampler = _Sampler(options, device, banned)
        decoder = _TextDecoder(self.tokenizer)
        # the reply as shown: bank poses said in their own words, their lead-ins judged by them
        asked = role_and_content(bank_asks[-1])[1] if from_bank and bank_asks else None
        shown_words = ShownWords(active=from_bank and pose_allowed, request=asked)
        poses: list[Pose] = []
        pose_people: list[int | None] = []
        generated: list[int] = []
        first_token_at = None
        stop_reason: Literal["end", "max_tokens", "context_full"] = "max_tokens" if max_new_tokens == options.max_new_tokens else "context_full"

        prefill = dict(inputs)
        people_states = None
        if scene is not None and scene.readings:
            from posegpt.vision.features import stack_features

            with torch.inference_mode():
                prefill["inputs_embeds"] = self.model.embed_inputs(prefill.pop("input_ids"), stack_features(scene.readings))
        logits, prompt_states, cache = self._forward(None, adapter, **prefill)  # prefill: (V,), (T, L, H), …
        if scene is not None and scene.readings:
            people_states = self.model.person_states(prompt_states[None, :, -1], inputs["input_ids"])[0]  # (N, H)
        # The turn so far, as the head reads it: from the start of the user's message on (the
        # reply's states are appended step by step).
        start = self.model.turn_start(inputs["input_ids"][0], prompt_tokens - 1)
        turn = _TurnStates(prompt_states[start:], self.model.config.head_max_turn_tokens if self.model.reads_turn else 1)
        attention_mask = inputs.get("attention_mask")
        neighbours: torch.Tensor | None = None
        bank_poses: torch.Tensor | None = None  # (n, 24, 3, 3): this turn's poses from the bank, when it answers
        end_tokens = torch.tensor(sorted(self.end_token_ids), dtype=torch.long, device=device)
        since_pose = 0  # tokens since the reply's last <POSE>
        # A question whose words single someone out gets their pose (`pose_due`); its words name
        # them too: the reply opens with their label, as the training replies do ("Person 3 (on
        # the right): <POSE>"), where the small LLM would often copy another line of the people list.
        pick = resolution.pick if pose_due and resolution is not None and scene is not None else None
        lead = self.tokenizer.encode(f"{scene.readings[pick].label}:", add_special_tokens=False) \
            if pick is not None and pick < len(scene.readings) else []
        if len(lead) >= max_new_tokens:  # no room for the pose after it: the pose alone
            lead = []
        for step in range(max_new_tokens):
            # asked for N poses, began showing them (or counted them: owed from the start), shown fewer
            owed = poses_wanted - len(poses) if poses or poses_owed_from_start else 0
            if owed > 0:  # the reply goes on
                logits = logits.clone()
                logits[end_tokens] = float("-inf")
            token = lead[step] if step < len(lead) else sampler(logits, generated)
            # A loop ends: in the pose its turn asks for, when it has shown none (or owes more), else in the end of the reply.
            if options.break_loops and step >= len(lead) and token != self.pose_token_id and token not in self.end_token_ids \
                    and repeating_tail([*generated, token]):
                if owed > 0 or ((pose_asked or pose_due) and self.pose_token_id not in generated):
                    token = self.pose_token_id
                else:
                    stop_reason = "loop"
                    break
            # An owed pose is shown before the token budget runs out, and in a bank-answered reply
            # (whose words before a pose are replaced by the pose's own) before its words ramble on.
            if owed > 0 and (max_new_tokens - step <= owed or (from_bank and since_pose >= WORDS_BEFORE_OWED_POSE)):
                token = self.pose_token_id
            since_pose = 0 if token == self.pose_token_id else since_pose + 1
            if (pose_due and self.pose_token_id not in generated
                    and (token in self.end_token_ids or step == max_new_tokens - 1)):
                token = self.pose_token_id
            if first_token_at is None:
                first_token_at = time.perf_counter()
            if token in self.end_token_ids:
                stop_reason = "end"
                break
            if token == self.pose_token_id and poses_wanted and len(poses) >= poses_wanted:
                # shown all it asked for: the reply ends, without the words it began for one more
                # ("two ways to stretch your back" had got three in the chat; with <POSE> banned
                # it wrote the third's words without a pose)
                stop_reason = "end"
                shown_words.drop_held()
                break
            generated.append(token)
            delta = decoder.push(token)
            if token == self.pose_token_id:
                # The state whose logits just produced <POSE> is the last of the turn: decode, no second pass.
                before = shown_words.push(delta.rsplit(self.model.config.pose_token, 1)[0])
                readout = turn.readout()
                if self.model.config.retrieval_k and scene is None:  # a photo's pose is read from the photo, not from requests
                    if neighbours is None:  # looked up once per reply, at its first <POSE>
                        neighbours = self.model.neighbours([request])  # (1, K, F)
                    readout.neighbours = neighbours
                answer = None
                if from_bank and bank_poses is None:  # looked up once per reply, at its first <POSE>
                    try:
                        bank_poses = self.model.bank_poses(bank_asks)
                    except (RuntimeError, OSError) as error:  # no sentence encoder installed: the head answers
                        from_bank = False
                        yield Notice(f"The pose bank cannot be read ({error}); the pose comes from the model's head.")
                if from_bank and bank_poses is not None and len(poses) < bank_poses.shape[0]:
                    answer = bank_poses[len(poses):len(poses) + 1]
                event = self._pose_event(len(poses), readout, scene, people_states, resolution, answer)
                # a pose from the bank is said in its own words (posegpt/shown_words.py), a
                # follow-up's edit of the pose shown by what changed
                if answer is not None and isinstance(event, PoseEvent):
                    edited_from = self.model.edited_from(bank_asks) if not poses else None
                    before += shown_words.pose(said(event.pose, edited_from))
                else:
                    before += shown_words.pose(None)
                if before:
                    yield TextDelta(before)
                if isinstance(event, PoseEvent):
                    poses.append(event.pose)
                    pose_people.append(event.person)
                yield event
            elif delta and (shown := shown_words.push(delta)):
                yield TextDelta(shown)
            if step == max_new_tokens - 1:
                break  # the token budget is spent: no forward pass for a token never sampled
            step_inputs: dict[str, torch.Tensor] = {"input_ids": torch.tensor([[token]], device=device)}
            if attention_mask is not None:
                attention_mask = torch.cat([attention_mask, attention_mask.new_ones((1, 1))], dim=1)
                step_inputs["attention_mask"] = attention_mask
            logits, step_states, cache = self._forward(cache, adapter, **step_inputs)
            turn.append(step_states)
        tail = shown_words.push(decoder.flush()) + shown_words.finish()
        if tail:
            yield TextDelta(tail)
        finished = time.perf_counter()
        first = first_token_at or finished
        decode_time = finished - first
        stats = GenerationStats(
            prompt_tokens=prompt_tokens,
            generated_tokens=len(generated),
            time_to_first_token_s=first - started,
            decode_tokens_per_s=(len(generated) - 1) / decode_time if len(generated) > 1 and decode_time > 0 else 0.0,
            total_s=finished - started,
            stop_reason=stop_reason,
        )
        yield Done(shown_words.shown, tuple(poses), stats, tuple(pose_people), scene)

    def _pose_event(
        self, index: int, readout: TurnReadout, scene: SceneReading | None = None,
        people_states: torch.Tensor | None = None, resolution: Resolution | None = None,
        answer: torch.Tensor | None = None,
    ) -> PoseEvent | ErrorEvent:
        """One `<POSE>` → its pose, and in a photo the person it is about: the pointer's choice
        among the resolver's candidates (the person the words single out, when they do).
        `answer`: (1, 24, 3, 3) the bank's pose for it (`PoseGPT.bank_poses`) instead of the head's."""
        hidden = readout.emitting[0, -1]  # (H,) the last-layer state that emitted <POSE>
        if answer is not None:
            rotations = answer.float()
        else:
            with torch.inference_mode():
                rotations = self.model.decode_poses(readout)  # (1, 24, 3, 3)
        if not torch.isfinite(rotations).all():
            return ErrorEvent(f"pose {index + 1} could not be decoded (the pose head gave non-finite numbers)")
        pose = head_pose = Pose.from_rotation_matrices(rotations)
        person = camera = None
        if (scene is not None and people_states is not None and people_states.shape[0] > 0
                and self.vision is not None):
            with torch.inference_mode():
                logits = self.model.point(hidden.float(), people_states.float())  # (N,)
                if resolution is not None:
                    logits = resolution.restrict(logits)
                person = int(torch.argmax(logits))
            chosen = scene.people[person]
            camera = chosen.camera
            try:
                pose = self.vision.refine(chosen, head_pose)
            except ValueError:
                pose = head_pose  # the fit refused these landmarks: the head's pose stands
        if person is None:
            return PoseEvent(index, pose)
        return PoseEvent(index, pose, person, camera, head_pose, scene)


class _TurnStates:
    """The current turn's states at the head's layers, growing by one per decoded token; only the
    last `keep` positions are kept (what the head reads)."""

    def __init__(self, states: torch.Tensor, keep: int) -> None:
        self.keep = keep
        self.states = states[-keep:]  # (T, L, H)

    def append(self, step_states: torch.Tensor) -> None:
        """Add the (1, L, H) states of one decoding step."""
        self.states = torch.cat([self.states, step_states], dim=0)[-self.keep:]

    def readout(self) -> TurnReadout:
        """One pose's readout: the turn up to the current step, which emits the <POSE>."""
        return TurnReadout(self.states[None].float(), torch.ones((1, self.states.shape[0]), dtype=torch.bool,
                                                                   device=self.states.device))


def _resolve(conversation: Sequence[Message], scene: SceneReading) -> Resolution | None:
    """Whom the last question means by its words (`posegpt.vision.referring`), given the earlier
    turns; None if the resolver fails (the pointer then decides alone: a reply never ends here)."""
    from posegpt.vision.referring import resolve_conversation

    try:
        return resolve_conversation([(m.role, m.content) for m in conversation], scene.readings)
    except Exception:  # noqa: BLE001 - word matching must never end a reply
        return None


def _as_photo(photo: Photo | PhotoSource) -> Photo | ErrorEvent:
    """`photo` as a `Photo` (callers that did not make one at their edge get `read_photo` here),
    or the ErrorEvent that says why it cannot be read (the reply goes on from the text)."""
    if isinstance(photo, Photo):
        return photo
    try:
        return read_photo(photo)
    except PhotoError as error:
        return ErrorEvent(f"The photo could not be read ({error}); I answer from your text only.")


class _PromptTooLong(Exception):
    def __init__(self, tokens: int, budget: int) -> None:
        super().__init__(
            f"Your message is too long for this model: {tokens} tokens, but it can read at most {budget} "
            "(plus room for its answer). Please shorten it."
        )
        self.tokens = tokens
