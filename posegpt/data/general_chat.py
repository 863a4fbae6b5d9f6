"""General-chat self-distillation data: what the base model itself answers to everyday prompts.

Fine-tuning a 135 M model on pose conversations alone makes it forget how to chat. Mixing in the
base model's own answers to general prompts (self-distillation) keeps that behaviour: the targets
are what the model already says, so they pull it back to its old distribution instead of teaching
it anything new. The prompts below are hand-written (small talk, facts, how-to, writing, maths,
advice, definitions, a few multi-turn chats); the answers come from the bare default backbone
through our own engine, greedy, with a mild repetition penalty. Answers that are empty, mention
`<POSE>`, or loop are dropped; answers cut off by the token limit are trimmed to their last
complete sentence (so the model does not learn to stop mid-sentence).

Held-out rule (for measuring chat quality after fine-tuning, never trained on): a conversation is
held out when SHA-1 of ``"general_chat:" + its first user prompt (normalised)`` falls in the bottom
`HELDOUT_PERCENT` = 15 percent. Like `posegpt.data.splits`, it depends on nothing but the text.

Reproduce the files (≈ 30 min on 2 idle CPU cores, hours on a busy machine, where ``--threads 1``
is several times faster; resumable: conversations already in the files are skipped, dropped ones
are tried again and, being greedy, dropped again):
    python -m posegpt.data.general_chat --out assets/data/general_chat.jsonl
which writes the training file and ``general_chat_heldout.jsonl`` beside it. Generation runs the
weights in bfloat16 (faster on CPU; the answers are the same model's, in the same style).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from posegpt.paths import ASSETS_DIR
from posegpt.tokens import POSE_TOKEN

SOURCE = "smollm2-135m self-distillation"
HELDOUT_PERCENT = 15
DEFAULT_OUT = ASSETS_DIR / "data" / "general_chat.jsonl"

# ---------------------------------------------------------------------------------------------
# The prompts (hand-written). Single-turn prompts by theme, then multi-turn conversations given
# as their user turns; the model answers each turn with the previous answers in its context.
# ---------------------------------------------------------------------------------------------

SMALL_TALK = (
    "Hi! How are you today?",
    "Hello there, what's up?",
    "Good morning! Any plans for the day?",
    "Can you tell me a bit about yourself?",
    "What do you like to talk about?",
    "I'm bored. Any ideas for something fun to do?",
    "Tell me something that will make me smile.",
    "What's a good way to start a conversation with a stranger?",
    "I just got back from a long walk. It was lovely outside.",
    "It's raining all day here. How should I spend a rainy afternoon?",
    "Thanks for your help yesterday!",
    "Do you have a favourite season?",
    "What would be a nice way to spend a Sunday?",
    "I finally finished a big project at work today.",
    "Say something encouraging, please.",
    "What's your favourite kind of music?",
    "Tell me a fun fact.",
    "Can you tell me a short joke?",
    "Good night! Any tips for sleeping well?",
    "I'm feeling a little nervous about tomorrow.",
    "What is a good hobby to pick up this year?",
    "Recommend a board game for a family evening.",
    "What should I cook for dinner tonight?",
    "I adopted a kitten today!",
    "How do you say hello in a few different languages?",
)

FACTS = (
    "What is the capital of France?",
    "What is the capital of Japan?",
    "Which planet is closest to the Sun?",
    "How many continents are there?",
    "What is the largest ocean on Earth?",
    "Who wrote Romeo and Juliet?",
    "Why is the sky blue?",
    "How does photosynthesis work?",
    "What causes the seasons on Earth?",
    "How far is the Moon from the Earth?",
    "What is the boiling point of water at sea level?",
    "How many bones are in the adult human body?",
    "What is the tallest mountain in the world?",
    "Who painted the Mona Lisa?",
    "What language is spoken in Brazil?",
    "What is the speed of light?",
    "How do bees make honey?",
    "Why do leaves change colour in autumn?",
    "What is the longest river in Africa?",
    "What are the three states of matter?",
    "How does a rainbow form?",
    "What is DNA?",
    "Why do we have tides?",
    "What is the smallest prime number?",
    "How many planets are in the solar system?",
    "What is the chemical symbol for gold?",
    "Who was the first person to walk on the Moon?",
    "What is the largest animal that has ever lived?",
    "How do airplanes stay in the air?",
    "What is the difference between weather and climate?",
    "Why do cats purr?",
    "What is the Great Wall of China?",
    "How old is the universe?",
    "What is a volcano?",
    "Where do penguins live?",
    "What is the main gas in the Earth's atmosphere?",
    "How does the heart pump blood?",
    "What is the freezing point of water in Fahrenheit?",
    "Why is the ocean salty?",
    "What was the Renaissance?",
    "What do pandas eat?",
    "How does a compass work?",
    "What is the difference between a virus and a bacterium?",
    "Why do we see lightning before we hear thunder?",
    "Which is the largest desert in the world?",
)

HOW_TO = (
    "How do I boil an egg?",
    "How can I make a cup of good coffee at home?",
    "How do I change a flat tyre on a bicycle?",
    "How do I plant tomatoes in my garden?",
    "How can I improve my handwriting?",
    "How do I remove a coffee stain from a shirt?",
    "How do I make pancakes?",
    "How can I learn to touch type?",
    "How do I write a good cover letter?",
    "How do I start running if I have never run before?",
    "How can I keep my houseplants alive?",
    "How do I clean a cast iron pan?",
    "How can I save money on groceries?",
    "How do I make a simple budget?",
    "How do I tie a tie?",
    "How can I fall asleep faster?",
    "How do I prepare for a job interview?",
    "How do I make a paper airplane?",
    "How can I learn a new language on my own?",
    "How do I back up the photos on my phone?",
    "How do I make a simple tomato sauce?",
    "How can I get better at public speaking?",
    "How do I pack a suitcase efficiently?",
    "How do I bake bread without a bread machine?",
    "How can I be more productive when working from home?",
    "How do I create a strong password?",
    "How do I take care of a goldfish?",
    "How can I reduce my screen time?",
    "How do I organise a small closet?",
    "How do I write a thank-you note?",
    "How do I make a smoothie?",
    "How can I remember people's names better?",
    "How do I sew a button back on?",
    "How do I make my own compost?",
    "How do I reverse a string in Python?",
    "How do I read a file line by line in Python?",
    "How do I center text in HTML and CSS?",
    "How do I undo the last commit in git?",
    "How do I sort a list of numbers in Python?",
    "How can I learn to play the guitar?",
)

WRITING = (
    "Write a short poem about the sea.",
    "Write a haiku about autumn leaves.",
    "Write a two-sentence story about a lost key.",
    "Write a short birthday message for my grandmother.",
    "Write a polite email asking my manager for a day off.",
    "Write a limerick about a cat who loves cheese.",
    "Describe a sunset in three sentences.",
    "Write a short product description for a reusable water bottle.",
    "Give me a catchy slogan for a bakery.",
    "Write a short thank-you message to a teacher.",
    "Write the opening line of a mystery novel.",
    "Write a short motivational quote about learning.",
    "Write a tweet announcing a new coffee shop opening.",
    "Write a short story about a robot who learns to paint.",
    "Summarise the story of Cinderella in a few sentences.",
    "Write a short apology message for missing a meeting.",
    "Write a friendly reminder about tomorrow's team lunch.",
    "Write a short poem about friendship.",
    "Describe a busy city street in the morning.",
    "Write a short review of an imaginary Italian restaurant.",
    "Give me three names for a pet turtle.",
    "Write a riddle and give its answer.",
    "Write a short invitation to a garden party.",
    "Write a paragraph about why reading is important.",
    "Rewrite this sentence to sound more formal: 'Hey, can you send me that file?'",
    "Write a short speech to welcome new students to a school.",
    "Write a short description of a cosy mountain cabin.",
    "Write a four-line poem about the rain.",
    "Write a short fairy tale that begins with 'Once upon a time'.",
    "Write a short note to a neighbour asking them to water my plants.",
    "Suggest a title for a blog post about healthy breakfasts.",
    "Write a short dialogue between a cat and a dog.",
    "Describe your ideal holiday in a few sentences.",
    "Write a short encouraging message for a friend who failed an exam.",
    "Write a short story about a dragon who is afraid of the dark.",
)

MATH = (
    "What is 12 times 12?",
    "What is 15 plus 27?",
    "What is 100 divided by 4?",
    "What is the square root of 81?",
    "What is 25 percent of 200?",
    "If I have 3 apples and eat one, how many are left?",
    "What is 7 times 8?",
    "Is 17 a prime number?",
    "What is the area of a rectangle that is 4 metres by 5 metres?",
    "Convert 10 kilometres to miles.",
    "What is the sum of the angles in a triangle?",
    "What is 2 to the power of 10?",
    "How many minutes are in a day?",
    "What is the perimeter of a square with sides of 6 cm?",
    "Explain what a fraction is.",
    "What is the difference between mean and median?",
    "What is 1000 minus 357?",
    "Solve for x: 2x + 6 = 14.",
    "What is pi?",
    "How many seconds are there in an hour?",
    "What is 9 squared?",
    "Round 3.14159 to two decimal places.",
    "What is the Pythagorean theorem?",
    "If a train travels 60 km in one hour, how far does it go in three hours?",
    "What is half of 250?",
    "Explain what a percentage is with an example.",
    "What is an even number?",
    "How many sides does a hexagon have?",
    "What is 45 divided by 9?",
    "Convert 30 degrees Celsius to Fahrenheit.",
)

ADVICE = (
    "How can I stay motivated when studying?",
    "What are some tips for managing stress?",
    "How can I make new friends in a new city?",
    "How do I deal with procrastination?",
    "What should I consider when buying a used car?",
    "How can I eat more healthily?",
    "How do I stay focused during long meetings?",
    "What are good habits for a morning routine?",
    "How can I be a better listener?",
    "How do I ask for a raise?",
    "How can I spend less time on social media?",
    "What should I pack for a weekend camping trip?",
    "How do I handle a disagreement with a friend?",
    "How can I drink more water during the day?",
    "What is a good way to learn to cook?",
    "How can I keep a conversation going?",
    "How do I choose a good book to read?",
    "What are some ways to relax after work?",
    "How can I prepare for my first marathon?",
    "How do I stop overthinking?",
    "What are some tips for travelling on a budget?",
    "How can I become more organised?",
    "How do I keep my plants healthy in winter?",
    "How do I give constructive feedback?",
    "What should I do if I can't sleep?",
    "How can I improve my memory?",
    "How do I set goals I will actually reach?",
    "What is a good way to say no politely?",
    "How do I keep my kitchen clean?",
    "How can I be more confident?",
    "How do I make a good first impression?",
    "What are some tips for a long flight?",
    "How can I support a friend who is sad?",
    "How do I choose a gift for someone I don't know well?",
    "How can I learn to enjoy exercise?",
    "What should I do on my first day at a new job?",
    "How do I keep in touch with old friends?",
    "How do I take better photos with my phone?",
    "How can I make my home feel cosier?",
    "What are some tips for studying for exams?",
)

DEFINITIONS = (
    "What is artificial intelligence?",
    "What does 'photosynthesis' mean?",
    "Define the word 'empathy'.",
    "What is a metaphor?",
    "What is inflation in economics?",
    "What is a black hole?",
    "What does 'sustainable' mean?",
    "What is gravity?",
    "What is a democracy?",
    "What is machine learning?",
    "What is an ecosystem?",
    "What is the internet?",
    "What is a haiku?",
    "What is a noun?",
    "What does a computer's CPU do?",
    "What is cryptocurrency?",
    "What is renewable energy?",
    "What is meditation?",
    "What is a synonym?",
    "What is an atom?",
    "What is a vaccine?",
    "What is the greenhouse effect?",
    "What is a recipe?",
    "What is a programming language?",
    "What does 'nostalgia' mean?",
    "What is a budget?",
    "What is evolution?",
    "What is a museum?",
    "What is an algorithm?",
    "What is biodiversity?",
    "What is a galaxy?",
    "What is an adjective?",
    "What is a mortgage?",
    "What is a cloud in computing?",
    "What does 'resilience' mean?",
    "What is an allergy?",
    "What is a symphony?",
    "What is a hypothesis?",
    "What is the difference between 'affect' and 'effect'?",
    "What is a website?",
)

OPINIONS_AND_EXPLANATIONS = (
    "Why is sleep important?",
    "Why is exercise good for you?",
    "What are the benefits of reading books?",
    "Why do people like music?",
    "What makes a good friend?",
    "Why is it important to recycle?",
    "What are the pros and cons of working from home?",
    "Why do we dream?",
    "What makes a good teacher?",
    "Why is breakfast called the most important meal of the day?",
    "What are the advantages of learning a second language?",
    "Why do some people prefer cats to dogs?",
    "What makes a story interesting?",
    "Why is teamwork important?",
    "Is it better to read a book or watch the movie?",
    "Why do we celebrate birthdays?",
    "What are the benefits of walking every day?",
    "Why is drinking water important?",
    "What are the benefits of keeping a journal?",
    "Why do people travel?",
    "Explain how a bicycle works to a child.",
    "Explain the internet to someone from the 1800s.",
    "Explain gravity in simple words.",
    "Explain what a computer program is in one paragraph.",
    "Explain why the Moon has phases.",
    "Explain how vaccines help the body.",
    "Explain what money is for.",
    "Explain how a refrigerator keeps food cold.",
    "Explain the water cycle.",
    "Explain what electricity is.",
    "Compare tea and coffee.",
    "Compare trains and planes for travelling.",
    "What is the difference between a lake and a sea?",
    "What is the difference between a frog and a toad?",
    "What is the difference between a city and a town?",
    "Give me three reasons to visit a museum.",
    "List five fruits that are high in vitamin C.",
    "List three famous scientists and what they discovered.",
    "Name four musical instruments.",
    "Name three animals that live in the Arctic.",
    "Suggest three books for a teenager.",
    "Suggest a few easy vegetarian dinners.",
    "Give me a few ideas for a rainy-day activity with kids.",
    "Give me a list of things to do in a new city.",
    "Suggest a name for a new café.",
    "What are some good questions to ask at the end of an interview?",
    "What are the primary colours?",
    "What are the days of the week in French?",
    "What are some common houseplants that are easy to grow?",
    "Give me a simple recipe for a salad.",
    "Recommend a classic movie to watch tonight.",
    "Tell me about the history of chocolate.",
    "Tell me something interesting about octopuses.",
    "Tell me about the planet Mars.",
    "Tell me about the Olympic Games.",
    "Tell me something about ancient Egypt.",
    "Tell me about the life of a honeybee.",
    "What is the story of the Trojan Horse?",
    "What is the weather usually like in London?",
    "What is a healthy snack I can take to work?",
)

TRANSLATION_AND_LANGUAGE = (
    "Translate 'good morning' into Spanish.",
    "Translate 'thank you very much' into German.",
    "How do you say 'cat' in French?",
    "What is the plural of 'mouse'?",
    "What is the opposite of 'generous'?",
    "Give me a synonym for 'happy'.",
    "Correct the grammar in this sentence: 'She don't like apples.'",
    "Use the word 'curious' in a sentence.",
    "What rhymes with 'light'?",
    "Spell the word 'necessary' letter by letter.",
    "What is the past tense of 'run'?",
    "What is an example of a question word in English?",
    "Make this sentence shorter: 'In spite of the fact that it was raining, we decided to go out for a walk.'",
    "What does the idiom 'break the ice' mean?",
    "What does 'once in a blue moon' mean?",
)

SINGLE_TURN_PROMPTS: tuple[str, ...] = (
    SMALL_TALK + FACTS + HOW_TO + WRITING + MATH + ADVICE + DEFINITIONS
    + OPINIONS_AND_EXPLANATIONS + TRANSLATION_AND_LANGUAGE
)

MULTI_TURN_PROMPTS: tuple[tuple[str, ...], ...] = (
    ("I want to start baking. What should I bake first?", "That sounds good. What ingredients do I need?"),
    ("What is the capital of Italy?", "What is a famous landmark there?"),
    ("Can you suggest a name for my new puppy?", "She is small and very fluffy. Any other ideas?"),
    ("I am planning a trip to the beach.", "What should I bring with me?"),
    ("Write a short poem about the moon.", "Now make it funnier."),
    ("What is 6 times 7?", "And what is that number divided by 2?"),
    ("I want to learn to code. Where should I start?", "Why do people recommend Python for beginners?"),
    ("Tell me a fun fact about space.", "Tell me another one."),
    ("I feel tired every afternoon.", "What could I eat to have more energy?"),
    ("Give me a word that means 'very big'.", "Use it in a sentence."),
    ("What is a good book for a long train ride?", "Is there something shorter?"),
    ("Hi, I'm Sam.", "What do you think I should do this weekend?"),
    ("Explain what a cloud is made of.", "Why are some clouds dark?"),
    ("I am writing a story about a knight.", "Give me an idea for the villain."),
)


def all_conversations() -> list[tuple[str, ...]]:
    """Every conversation's user turns (single-turn prompts first), duplicates removed."""
    conversations = [(prompt,) for prompt in SINGLE_TURN_PROMPTS] + list(MULTI_TURN_PROMPTS)
    seen: set[str] = set()
    unique = []
    for turns in conversations:
        key = " | ".join(normalise(turn) for turn in turns)
        if key not in seen:
            seen.add(key)
            unique.append(turns)
    return unique


# ---------------------------------------------------------------------------------------------
# Held-out rule and filters
# ---------------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, single spaces, no surrounding punctuation: the identity of a prompt."""
    return re.sub(r"\s+", " ", text.lower()).strip(" .!?")


def is_heldout_prompt(first_prompt: str) -> bool:
    """True when a conversation starting with this prompt belongs to the held-out measuring set."""
    digest = hashlib.sha1(f"general_chat:{normalise(first_prompt)}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < HELDOUT_PERCENT


def is_degenerate(reply: str) -> bool:
    """True for replies that loop: a repeated line or sentence, or a word 4-gram said ≥ 3 times.

    Also catches replies made of very few distinct words (≥ 20 words, < 35 % distinct).
    """
    lines = [normalise(line) for line in reply.splitlines() if len(normalise(line)) > 15]
    if any(count >= 2 for count in Counter(lines).values()):
        return True
    sentences = [normalise(s) for s in re.split(r"(?<=[.!?])\s+", reply) if len(normalise(s)) > 15]
    if any(count >= 2 for count in Counter(sentences).values()):
        return True
    words = re.findall(r"[\w']+", reply.lower())
    grams = Counter(tuple(words[i : i + 4]) for i in range(len(words) - 3))
    if any(count >= 3 for count in grams.values()):
        return True
    return len(words) >= 20 and len(set(words)) / len(words) < 0.35


_LIST_MARKER = re.compile(r"^\s*(\d+|[a-zA-Z])\.$")  # "3." at the start of a list item is no sentence end


def trim_to_sentence(reply: str) -> str:
    """Cut a reply that hit the token limit back to its last complete sentence or line ('' if none)."""
    reply = reply.rstrip()
    if not reply:
        return ""
    lines = reply.split("\n")
    # drop an unfinished last line (a list item or paragraph cut mid-way) when earlier lines exist
    last = lines[-1]
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s|$)", last) if not _LIST_MARKER.match(last[: m.end()])]
    if ends:
        lines[-1] = last[: ends[-1]]
    elif len(lines) > 1:
        lines = lines[:-1]
    else:
        return ""
    text = "\n".join(lines).rstrip()
    if text.endswith(":"):  # a heading whose list was cut off entirely
        return ""
    return text


def clean_reply(reply: str, hit_token_limit: bool) -> str | None:
    """The reply to keep, or None when it must be dropped (empty, <POSE>, degenerate)."""
    reply = reply.strip()
    if POSE_TOKEN in reply:
        return None
    if hit_token_limit:
        reply = trim_to_sentence(reply)
    if len(reply) < 2 or is_degenerate(reply):
        return None
    return reply


def dedupe_records(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the first record of each conversation (same normalised user turns) and of each answer."""
    seen_prompts: set[str] = set()
    seen_answers: set[str] = set()
    kept = []
    for record in records:
        users = " | ".join(normalise(m["content"]) for m in record["messages"] if m["role"] == "user")
        answer = normalise(record["messages"][-1]["content"])
        if users in seen_prompts or answer in seen_answers:
            continue
        seen_prompts.add(users)
        seen_answers.add(answer)
        kept.append(record)
    return kept


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


class ChatFileError(ValueError):
    """A chat .jsonl file is malformed; the message names the file, the line and the problem."""


def read_chat_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Records ``{"messages": [{"role", "content"}...], "source"?}`` of a .jsonl file, checked."""
    path = Path(path)
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ChatFileError(f"{path}:{number}: not valid JSON ({error})") from None
            messages = record.get("messages") if isinstance(record, dict) else None
            if not isinstance(messages, list) or not messages:
                raise ChatFileError(f"{path}:{number}: a record needs a non-empty 'messages' list")
            for message in messages:
                if (
                    not isinstance(message, dict)
                    or message.get("role") not in ("system", "user", "assistant")
                    or not isinstance(message.get("content"), str)
                ):
                    raise ChatFileError(f"{path}:{number}: bad message {message!r} (needs role and text content)")
            if messages[-1]["role"] != "assistant":
                raise ChatFileError(f"{path}:{number}: the last message must be the assistant's answer")
            records.append(record)
    return records


def heldout_path_for(out: Path) -> Path:
    """``x.jsonl`` → ``x_heldout.jsonl`` (the measuring file beside the training file)."""
    return out.with_name(out.stem + "_heldout" + out.suffix)


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerationSettings:
    max_new_tokens: int = 128
    temperature: float = 0.0
    repetition_penalty: float = 1.1
    dtype: str = "bfloat16"  # ~1.6× faster decoding on CPU than float32; same model, same style


def distill_conversation(engine: Any, user_turns: Sequence[str], settings: GenerationSettings) -> dict[str, Any] | None:
    """Ask the model every user turn in order; the record, or None when any answer is dropped."""
    import torch

    from posegpt.engine import Done

    messages: list[dict[str, str]] = []
    for turn in user_turns:
        messages.append({"role": "user", "content": turn})
        done = None
        # inference_mode around the whole stream: the engine's repetition penalty edits the
        # logits in place, which torch refuses on inference tensors outside inference mode.
        with torch.inference_mode():
            for event in engine.stream(
                messages,
                max_new_tokens=settings.max_new_tokens,
                temperature=settings.temperature,
                repetition_penalty=settings.repetition_penalty,
                seed=0,
            ):
                if isinstance(event, Done):
                    done = event
        if done is None:
            return None
        reply = clean_reply(done.reply, hit_token_limit=done.stats.stop_reason != "end")
        if reply is None:
            return None
        messages.append({"role": "assistant", "content": reply})
    return {"messages": messages, "source": SOURCE}


def generate(
    out: Path,
    backbone: str = "smollm2-135m",
    settings: GenerationSettings = GenerationSettings(),
    limit: int | None = None,
    log: Any = sys.stderr,
) -> tuple[Path, Path]:
    """Write the training and held-out files; conversations already in them are not redone."""
    from posegpt.engine import Engine
    from posegpt.model import load_posegpt

    heldout_out = heldout_path_for(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done_keys: set[str] = set()
    seen_answers: set[str] = set()
    for path in (out, heldout_out):
        if path.exists():
            for record in read_chat_jsonl(path):
                done_keys.add(_conversation_key(record))
                seen_answers.add(normalise(record["messages"][-1]["content"]))
    todo = [turns for turns in all_conversations() if _turns_key(turns) not in done_keys]
    todo.sort(key=lambda turns: not is_heldout_prompt(turns[0]))  # the measuring set first (stable sort)
    if limit is not None:
        todo = todo[:limit]
    print(f"{len(todo)} conversations to generate ({len(done_keys)} already in the files)", file=log)
    if not todo:
        return out, heldout_out
    model, description = load_posegpt(backbone=backbone, dtype=settings.dtype)
    print(f"model: {description}", file=log)
    engine = Engine(model)
    started = time.perf_counter()
    kept = 0
    for index, turns in enumerate(todo, 1):
        record = distill_conversation(engine, turns, settings)
        if record is not None and normalise(record["messages"][-1]["content"]) in seen_answers:
            record = None  # the same answer as another prompt's: adds nothing
        if record is None:
            print(f"  dropped {turns!r}", file=log)
        else:
            kept += 1
            seen_answers.add(normalise(record["messages"][-1]["content"]))
            target = heldout_out if is_heldout_prompt(turns[0]) else out
            with target.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        elapsed = time.perf_counter() - started
        print(f"[{index}/{len(todo)}] kept {kept}  {elapsed:.0f}s  {turns[0][:60]!r}", file=log, flush=True)
    return out, heldout_out


def _turns_key(turns: Sequence[str]) -> str:
    return " | ".join(normalise(turn) for turn in turns)


def _conversation_key(record: dict[str, Any]) -> str:
    return _turns_key([m["content"] for m in record["messages"] if m["role"] == "user"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m posegpt.data.general_chat",
        description="Generate general-chat self-distillation data with the bare default backbone.",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="training .jsonl (the held-out file goes beside it)")
    parser.add_argument("--backbone", default="smollm2-135m", help="backbone spec to distil from")
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--repetition-penalty", type=float, default=1.1)
    parser.add_argument("--dtype", default="bfloat16", help="weights dtype for generation (bfloat16 or float32)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (1 is much faster on a busy machine)")
    parser.add_argument("--limit", type=int, default=None, help="generate at most this many conversations")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    settings = GenerationSettings(args.max_new_tokens, args.temperature, args.repetition_penalty, args.dtype)
    out, heldout = generate(args.out, args.backbone, settings, args.limit)
    for path in (out, heldout):
        if path.exists():
            print(f"{path}: {len(read_chat_jsonl(path))} conversations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
