"""A deterministic generator of realistic fine-tuning datasets (same seed, same bytes).

    python bench/generate.py OUT.jsonl -n 100000 [--seed 7] [--task mixed|tickets|qa|json]

The examples look like what users bring: support tickets in a production template
(``Classify the ticket.\\nquestion: ...\\ncontext: ...``) labelled with a small label set, free-text
question answering, and JSON extraction. About 15 % go to validation and test. A realistic share
of the problems curator checks for is mixed in: label variants ("Billing "), stray whitespace,
exact and near duplicates (some across splits, i.e. leakage), JSON outputs with other keys or none,
template deviations and very long inputs. Used by the benchmarks and to build the bundled demo.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

PREAMBLE = "Classify the ticket."
LABELS = ["billing", "technical", "account", "shipping", "refund", "other"]
LABEL_WEIGHTS = [30, 28, 16, 12, 9, 5]
PRODUCTS = ["the mobile app", "my router", "the web dashboard", "the premium plan", "my order", "the invoice",
            "the desktop client", "the smart speaker", "my subscription", "the API", "the checkout page"]
PROBLEMS = {
    "billing": ["I was charged twice for {p}", "the amount on {p} is wrong", "my card was declined when paying for {p}",
                "I do not recognise a charge for {p}", "the tax on {p} looks too high"],
    "technical": ["{p} crashes when I open it", "{p} keeps disconnecting", "{p} shows error {n}",
                  "{p} is extremely slow since the update", "I cannot log in to {p} after the reset"],
    "account": ["I want to change the email on {p}", "how do I delete my account for {p}",
                "someone else can see {p}", "I need to add a second user to {p}", "my username for {p} is wrong"],
    "shipping": ["{p} has not arrived after {n} days", "the tracking number for {p} does not work",
                 "{p} was delivered to the wrong address", "the box with {p} arrived damaged"],
    "refund": ["I would like a refund for {p}", "when will I get my money back for {p}",
               "the refund for {p} was only partial", "I returned {p} {n} days ago and got nothing"],
    "other": ["do you have a discount for {p}", "I love {p}, thank you", "is {p} available in my country",
              "can I visit your office about {p}"],
}
CONTEXTS = ["Customer since {y}, plan {plan}.", "Previous ticket #{n} closed.", "Language: English. Channel: {ch}.",
            "VIP customer, {n} orders.", "Sent from {ch} at {h}:{m:02d}.", "No previous contact."]
PLANS = ["basic", "plus", "pro", "family", "business"]
CHANNELS = ["email", "chat", "phone", "web form", "app"]
TOPICS = ["photosynthesis", "compound interest", "the French revolution", "binary search", "vaccines", "black holes",
          "the water cycle", "supply and demand", "neural networks", "plate tectonics", "the Roman empire",
          "recursion", "climate change", "the immune system", "inflation", "quantum computing"]
ASKS = ["Explain {t} to a ten-year-old.", "Summarise the key ideas of {t} in three sentences.",
        "Write a short quiz question about {t}.", "What are common misconceptions about {t}?",
        "Give two real-world examples of {t}.", "Compare {t} with {u}."]
FILLER = ["It is", "In short,", "This means that", "For example,", "Importantly,", "As a result,", "Note that",
          "In practice,", "Historically,", "Put simply,"]
WORDS = ("process energy system change people money growth model data time rate value force light cell body "
         "market price network signal layer rule state level power effect cause result part form idea").split()
NAMES = ["Ana Silva", "Tom Becker", "Li Wei", "Sara Khan", "John Smith", "Maria Rossi", "Kenji Sato", "Olu Ade"]
CITIES = ["Lisbon", "Berlin", "Osaka", "Lagos", "Denver", "Milan", "Pune", "Leeds"]


def _ticket(rng: random.Random) -> dict:
    label = rng.choices(LABELS, LABEL_WEIGHTS)[0]
    problem = rng.choice(PROBLEMS[label]).format(p=rng.choice(PRODUCTS), n=rng.randint(2, 999))
    sentences = [problem[0].upper() + problem[1:] + rng.choice([".", "!", "?", "..."])]
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        sentences.append(rng.choice(["Please help.", "This is urgent.", "Thanks in advance.", "I tried twice.",
                                     "Nothing works.", "Can someone call me?", f"Order {rng.randint(10000, 99999)}."]))
    context = rng.choice(CONTEXTS).format(y=rng.randint(2012, 2026), plan=rng.choice(PLANS), n=rng.randint(1, 9999),
                                          ch=rng.choice(CHANNELS), h=rng.randint(0, 23), m=rng.randint(0, 59))
    return {"text_input": f"{PREAMBLE}\nquestion: {' '.join(sentences)}\ncontext: {context}", "output": label}


def _answer(rng: random.Random, topic: str) -> str:
    sentences = []
    for _ in range(rng.randint(2, 7)):
        words = rng.choices(WORDS, k=rng.randint(6, 16))
        sentences.append(f"{rng.choice(FILLER)} {topic} {' '.join(words)}.")
    return " ".join(sentences)


def _qa(rng: random.Random) -> dict:
    t, u = rng.sample(TOPICS, 2)
    ask = rng.choice(ASKS).format(t=t, u=u)
    detail = rng.choice(["Use at most {k} words and mention {w}.", "Mention {w} and {v}, in {k} words.",
                         "Start with the word '{w}' and end with '{v}'.", "Write for {k} {w} experts.",
                         "Include the number {k} and the word '{v}'.", "Avoid the words '{v}' and '{w}'."])
    ask += " " + detail.format(k=rng.randint(20, 400), w=rng.choice(WORDS), v=rng.choice(WORDS))
    return {"text_input": ask, "output": _answer(rng, t)}


def _extraction(rng: random.Random) -> dict:
    name, city = rng.choice(NAMES), rng.choice(CITIES)
    amount = round(rng.uniform(5, 900), 2)
    text = (f"Extract name, city and amount as JSON.\ntext: Hello, this is {name} from {city}. "
            f"I paid {amount} EUR on {rng.randint(1, 28)}/{rng.randint(1, 12)} and {rng.choice(PROBLEMS['refund'])}"
            .format(p=rng.choice(PRODUCTS), n=rng.randint(2, 60)) + ".")
    return {"text_input": text, "output": json.dumps({"name": name, "city": city, "amount": amount})}


_MAKERS = {"tickets": [_ticket], "qa": [_qa], "json": [_extraction], "mixed": [_ticket] * 5 + [_qa] * 3 + [_extraction] * 2}


def _flaw(rng: random.Random, ex: dict, earlier: Sequence[dict]) -> dict:
    """Give an example one of the problems curator looks for (about 10 % of examples get one)."""
    kind = rng.choices(["near", "exact", "variant", "space", "json", "template", "long", "conflict"],
                       [30, 15, 15, 12, 8, 12, 1, 5])[0]
    if kind in ("near", "exact", "conflict") and earlier:
        twin = dict(rng.choice(earlier))
        twin.pop("split", None)
        if kind == "near":
            text = twin["text_input"]
            i = rng.randrange(len(text))
            twin["text_input"] = text[:i] + rng.choice("aeiost ,.") + text[i + 1:]
        elif kind == "conflict" and twin["output"] in LABELS:
            twin["output"] = rng.choice([x for x in LABELS if x != twin["output"]])
        return twin
    if kind == "variant" and ex["output"] in LABELS:
        ex["output"] = rng.choice([ex["output"].capitalize(), ex["output"] + " ", ex["output"].upper(), ex["output"] + "."])
    elif kind == "space":
        ex["text_input"] = rng.choice(["  ", "\n", " "]) + ex["text_input"] + rng.choice(["  ", "\n", "\t"])
    elif kind == "json" and ex["output"].startswith("{"):
        ex["output"] = rng.choice([ex["output"].replace('"city"', '"town"'), "name: unknown", ex["output"][:-1]])
    elif kind == "template" and ex["text_input"].startswith(PREAMBLE):
        ex["text_input"] = rng.choice([ex["text_input"].removeprefix(PREAMBLE + "\n"),
                                       ex["text_input"].replace("question:", "Question :"),
                                       ex["text_input"].replace("context:", "ctx:")])
    elif kind == "long":
        ex["text_input"] += "\n" + " ".join(rng.choices(WORDS, k=rng.randint(7000, 9000)))
    return ex


def iter_examples(n: int, seed: int = 7, task: str = "mixed") -> Iterator[dict]:
    """``n`` examples as Gemini-style dicts (``text_input``, ``output``, ``split``); deterministic in ``seed``.
    Only the last 2,000 are kept (duplicates copy one of them), so ten million stream in constant memory."""
    rng = random.Random(seed)
    makers = _MAKERS[task]
    recent: deque[dict] = deque(maxlen=2000)
    for _ in range(n):
        ex = rng.choice(makers)(rng)
        if rng.random() < 0.10:
            ex = _flaw(rng, ex, recent)
        r = rng.random()
        ex["split"] = "validation" if r < 0.10 else "test" if r < 0.15 else "train"
        recent.append(ex)
        yield ex


def generate(n: int, seed: int = 7, task: str = "mixed") -> list[dict]:
    """``iter_examples`` as a list."""
    return list(iter_examples(n, seed, task))


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> Path:
    """Write rows as Gemini-style JSONL (the split kept as curator's ``split`` key)."""
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="the JSONL file to write")
    parser.add_argument("-n", type=int, default=100_000, help="number of examples (default 100000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--task", choices=sorted(_MAKERS), default="mixed")
    args = parser.parse_args()
    write_jsonl(args.out, iter_examples(args.n, args.seed, args.task))
    print(f"wrote {args.n} examples to {args.out}")


if __name__ == "__main__":
    main()
