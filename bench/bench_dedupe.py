"""Near-duplicate and leakage benchmark: time, recall against exhaustive cdist, and peak memory.

    python bench/bench_dedupe.py              # everything but 1M (several minutes on 2 cores)
    python bench/bench_dedupe.py --quick      # smaller sizes, no full-Alpaca and no 100k runs
    python bench/bench_dedupe.py --million    # also the templated 1M file (prints its estimate first)

Real data comes from ``--data`` (default shared/data beside the checkout or its folder of worktrees, see its
README) and is never copied; a case whose file is missing is skipped. Generated data is built here,
deterministically, and the templated files by ``bench/generate.py`` (the mixed production-template data users
bring). Engine cases run in a fresh process so their peak memory (RSS) is their own; the templated files are
timed as the user runs them, ``curator dedupe FILE --json --no-cache --yes`` from the shell, start-up included,
with peak RSS from ``/usr/bin/time``. Recall is measured against ``rapidfuzz.process.cdist`` at the same scorer
and threshold on the same compared text (normalised; slot values for templated data, compared within one
template): every cdist pair must fall inside one cluster, and the clusters must be cdist's connected components
(every link was scored by rapidfuzz). At 100k and 1M, where exhaustive cdist is out of reach, recall is
measured on a random sample of compared texts, each against every other text of its template.
Texts over the near-duplicate length cap (``--max-chars``, 10,000 characters) are not compared, only grouped
when identical, so on the templated files recall is exact among the compared texts (cdist sees the same ones).
Every time is printed with the CPU seconds it took (user + system; 2 cores) and the load average at its start.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAX_CHARS = 10_000  # curator dedupe's default --max-chars
TIME_ALPACA = 5.0
TIME_100K = 25.0  # untemplated generated text
TIME_TEMPLATED = {10_000: None, 100_000: 10.0, 1_000_000: 120.0}
MEMORY_MB = 2048
RECALL = 1.0


# -- data ------------------------------------------------------------------------------------------


def alpaca(data: Path) -> list[str]:
    rows = json.loads((data / "alpaca_data.json").read_text(encoding="utf-8"))
    return [r["instruction"] + ("\n\n" + r["input"] if r["input"] else "") for r in rows]


def banking(data: Path, name: str = "train") -> list[str]:
    with open(data / "banking77" / f"{name}.csv", newline="", encoding="utf-8") as f:
        return [r["text"] for r in csv.DictReader(f)]


def sms(data: Path) -> list[str]:
    lines = (data / "sms_spam.tsv").read_text(encoding="utf-8").splitlines()
    return [line.partition("\t")[2] for line in lines if line]


def _words(rng: random.Random, count: int) -> list[str]:
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["th", "sh", "ch", "st", "qu"]
    words = sorted({"".join(rng.choices(syllables, k=rng.choice((1, 2, 2, 3, 3, 4)))) for _ in range(count)})
    rng.shuffle(words)  # the Zipf rank of a word must not follow its spelling
    return words


def generated(n: int, seed: int = 1) -> tuple[list[str], list[tuple[int, int]]]:
    """``n`` texts shaped like instructions (Zipf words, ~70 characters), 10 % of them edited copies.

    Returns the texts and the planted (source, copy) pairs. Edits: spread typos, swapped or dropped words,
    case and whitespace changes, full-width and ligature forms.
    """
    rng = random.Random(seed)
    vocab = _words(rng, 30_000)
    weights = [1.0 / (r + 1) for r in range(len(vocab))]
    texts: list[str] = []
    planted: list[tuple[int, int]] = []
    copies = n // 10
    for _ in range(n - copies):
        length = max(3, int(rng.lognormvariate(2.4, 0.5)))
        texts.append(" ".join(rng.choices(vocab, weights=weights, k=length)).capitalize() + rng.choice(".?!:"))
    for _ in range(copies):
        source = rng.randrange(len(texts))
        texts.append(_edit(rng, texts[source]))
        planted.append((source, len(texts) - 1))
    return texts, planted


def _edit(rng: random.Random, text: str) -> str:
    kind = rng.randrange(5)
    if kind == 0:  # typos spread over the text
        chars = list(text)
        for _ in range(rng.randint(1, max(1, len(chars) // 20))):
            pos = rng.randrange(len(chars))
            if rng.random() < 0.5:
                chars[pos] = rng.choice("abcdefghijklmnopqrstuvwxyz")
            else:
                chars.insert(pos, rng.choice("abcdefghijklmnopqrstuvwxyz"))
        return "".join(chars)
    words = text.split()
    if kind == 1 and len(words) > 2:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
        return " ".join(words)
    if kind == 2 and len(words) > 4:
        del words[rng.randrange(len(words))]
        return " ".join(words)
    if kind == 3:
        return "  ".join(w.upper() if rng.random() < 0.3 else w for w in words) + "\n"
    return "".join(chr(ord(c) + 0xFEE0) if "a" <= c <= "z" and rng.random() < 0.3 else c for c in text)


# -- measuring -------------------------------------------------------------------------------------


def _cluster_of(result) -> dict[int, int]:
    """Each clustered id's cluster number."""
    return {i: k for k, ids in enumerate(result.components()) for i in ids}


def _components(pairs: set[tuple[int, int]]) -> list[set[int]]:
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ids = sorted({i for p in pairs for i in p})
    index = {i: k for k, i in enumerate(ids)}
    rows, cols = [index[a] for a, _ in pairs], [index[b] for _, b in pairs]
    _, label = connected_components(coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(ids), len(ids))))
    parts: dict[int, set[int]] = {}
    for i, lab in zip(ids, label.tolist()):
        parts.setdefault(lab, set()).add(i)
    return list(parts.values())


def templated_compared(path: Path, compare: str) -> tuple[list[str], list[int] | None]:
    """The texts ``curator dedupe`` compares for a generated file: slot values (templates inferred) or whole;
    and with slot values, the template each input follows (inputs are compared within one template only)."""
    import polars as pl

    from curator.core.dedupe.slots import compared_inputs, slot_templates

    inputs = [json.loads(line)["text_input"] for line in path.read_text(encoding="utf-8").splitlines()]
    if compare == "whole":
        return inputs, None
    texts, follows = compared_inputs(inputs, slot_templates(pl.Series(inputs), None))
    return texts, follows.tolist()


def _cdist_pairs(texts: list[str], threshold: float, max_chars: int = 0,
                 parts: list[int] | None = None) -> set[tuple[int, int]]:
    """Every pair cdist finds among the texts within ``max_chars`` (0: all), and the identical longer ones; with
    ``parts``, pairs within one part only."""
    import numpy as np
    from rapidfuzz import fuzz, process

    from curator.core.dedupe import normalise_all

    norm = normalise_all(texts)
    part = parts or [0] * len(texts)
    short = [i for i, t in enumerate(norm) if not max_chars or len(t) <= max_chars]
    compared = [norm[i] for i in short]
    matrix = process.cdist(compared, compared, scorer=fuzz.ratio, score_cutoff=threshold, dtype=np.uint8, workers=-1)
    rows, cols = np.nonzero(matrix)
    keep = rows < cols
    pairs = {(short[r], short[c]) for r, c in zip(rows[keep].tolist(), cols[keep].tolist())
             if part[short[r]] == part[short[c]]}
    long: dict[tuple[str, int], list[int]] = {}
    for i, t in enumerate(norm):
        if max_chars and len(t) > max_chars:
            long.setdefault((t, part[i]), []).append(i)
    return pairs | {(a, b) for same in long.values() for a in same for b in same if a < b}


def sampled_recall(path: Path, doc: dict, sample: int, threshold: float = 90, seed: int = 3) -> dict:
    """Recall of a ``curator dedupe --json`` result on a file too large for exhaustive cdist: ``sample`` compared
    texts against every other (cdist, one template at a time); each pair found must lie in one cluster (pairs
    that differ only in numbers: in one cluster or one numbers-only cluster)."""
    import numpy as np
    from rapidfuzz import fuzz, process

    from curator.core.dedupe import normalise_all
    from curator.core.dedupe.numbers import number_masked

    texts, parts = templated_compared(path, "slots")
    norm = normalise_all(texts)
    masked = number_masked(norm)
    part = np.asarray(parts if parts is not None else [0] * len(norm))
    main = {m["line"] - 1: k for k, c in enumerate(doc["clusters"]) for m in c["members"]}
    numeric = {m["line"] - 1: k for k, c in enumerate(doc["numbers_only"]) for m in c["members"]}
    rng = random.Random(seed)
    short = [i for i, t in enumerate(norm) if len(t) <= MAX_CHARS]
    start = time.perf_counter()
    found = together = 0
    for i in rng.sample(short, sample):
        mine = np.flatnonzero(part == part[i])
        row = process.cdist([norm[i]], [norm[j] for j in mine.tolist()], scorer=fuzz.ratio, score_cutoff=threshold,
                            dtype=np.uint8, workers=-1)[0]
        for j in mine[np.flatnonzero(row)].tolist():
            if j != i and len(norm[j]) <= MAX_CHARS:
                found += 1
                together += (i in main and main.get(i) == main.get(j)) or (
                    masked[i] == masked[j] and i in numeric and numeric.get(i) == numeric.get(j))
    return {"sampled": sample, "sample_pairs": found, "sample_recall": together / max(found, 1),
            "sample_seconds": time.perf_counter() - start}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def case_search(texts: list[str], with_oracle: bool, planted: list | None, threshold: float = 90,
                max_chars: int = 0, parts: list[int] | None = None) -> dict:
    """Runs in a child process: time the search, then (outside the timing) compare with the oracle."""
    from curator.core.dedupe import find_near_duplicates

    start, cpu, at = time.perf_counter(), _cpu(), load()
    result = find_near_duplicates(texts, range(len(texts)), threshold=threshold, max_chars=max_chars, parts=parts)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    peak = _peak_mb()
    found = result.components()
    out = {"seconds": seconds, "cpu": cpu, "load": at, "clusters": len(found), "clustered": sum(map(len, found)),
           "peak_mb": peak, "uncompared": result.uncompared}
    cluster = _cluster_of(result)

    def together(a: int, b: int) -> bool:
        return a in cluster and cluster.get(a) == cluster.get(b)

    if with_oracle:
        want = _cdist_pairs(texts, threshold, max_chars, parts)
        same = sorted(map(sorted, _components(want))) == sorted(map(sorted, found))
        out |= {"oracle": len(want), "recall": sum(together(a, b) for a, b in want) / max(len(want), 1),
                "precision": 1.0 if same else 0.0}
    if planted is not None:
        from rapidfuzz import fuzz

        from curator.core.dedupe import normalise

        reachable = [(a, b) for a, b in planted if fuzz.ratio(normalise(texts[a]), normalise(texts[b])) >= threshold]
        out |= {"planted": len(reachable),
                "planted_recall": sum(together(a, b) for a, b in reachable) / max(len(reachable), 1)}
    return out


def case_plan(path: str) -> dict:
    """The scan estimate for a file, as ``curator dedupe`` makes it before starting."""
    from curator.core.dedupe.scan import plan_scan
    from curator.core.session import Session

    with Session.open(path, read_only=True) as session:
        plan = plan_scan(session.dataset)
    return {"seconds": plan.seconds, "texts": len(plan.distinct)}


def whole_process(path: Path, compare: str = "slots", timeout: float | None = None) -> dict:
    """Time ``curator dedupe FILE --json --no-cache --yes`` as a user runs it; peak RSS from /usr/bin/time."""
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        command = ["/usr/bin/time", "-f", "%M %U %S", "-o", stats.name, sys.executable, "-m", "curator", "dedupe",
                   str(path), "--json", "--no-cache", "--yes", "--compare", compare]
        start, at = time.perf_counter(), load()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"seconds": time.perf_counter() - start, "timeout": True, "peak_mb": float("nan"), "pairs": 0,
                    "load": at}
        seconds = time.perf_counter() - start
        peak, user, system = map(float, stats.read().strip().splitlines()[-1].split())
    doc = json.loads(done.stdout)
    clusters, numeric = doc["clusters"], doc["numbers_only"]
    return {"seconds": seconds, "cpu": user + system, "load": at, "peak_mb": peak / 1024, "clusters": len(clusters),
            "numeric": len(numeric), "pairs": sum(len(c["members"]) for c in clusters),
            "uncompared": doc["not_compared"]["examples"], "doc": doc}


def case_leakage(train: list[str], evals: list[str], threshold: float = 90) -> dict:
    import numpy as np
    from rapidfuzz import fuzz, process

    from curator.core.dedupe import find_leakage, normalise_all

    start = time.perf_counter()
    leaks = find_leakage(train, range(len(train)), evals, range(len(evals)), threshold=threshold)
    seconds = time.perf_counter() - start
    got = {(leak.eval_id, t.id) for leak in leaks for t in leak.twins}
    matrix = process.cdist(normalise_all(evals), normalise_all(train), scorer=fuzz.ratio, score_cutoff=threshold,
                           dtype=np.uint8, workers=-1)
    want = set(zip(*(a.tolist() for a in np.nonzero(matrix))))
    return {"seconds": seconds, "pairs": len(got), "leaks": len(leaks), "oracle": len(want),
            "recall": len(got & want) / max(len(want), 1), "precision": len(got & want) / max(len(got), 1),
            "peak_mb": _peak_mb()}


def _child(conn, fn, args) -> None:
    conn.send(fn(*args))
    conn.close()


def isolated(fn, *args) -> dict:
    """Run ``fn(*args)`` in a fresh process (so peak memory is the case's own) and return its dict."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args))
    proc.start()
    result = parent.recv()
    proc.join()
    return result


# -- report ----------------------------------------------------------------------------------------


def mark(ok: bool) -> str:
    return "ok  " if ok else "MISS"


def report(name: str, r: dict, time_target: float | None = None) -> bool:
    ok = True
    parts = [f"{r['seconds']:6.2f} s"]
    if time_target is not None:
        ok &= r["seconds"] <= time_target
        parts[0] += f" (target ≤ {time_target:.0f} s {mark(r['seconds'] <= time_target)})"
    if "cpu" in r:
        parts[0] += f", CPU {r['cpu']:.1f} s"
    if r.get("timeout"):
        parts[0] += " (stopped: over the time limit)"
    if r.get("load"):
        parts[0] += f", {r['load']}"
    if "numeric" in r:
        parts.append(f"{r['clusters']:,} clusters, {r['numeric']:,} differing in numbers only")
    elif "clusters" in r:
        parts.append(f"{r['clusters']:,} clusters of {r['clustered']:,} examples")
    else:
        parts.append(f"pairs {r['pairs']:,}")
    if "recall" in r:
        good = r["recall"] >= RECALL and r["precision"] == 1.0
        ok &= good
        if "clustered" in r:  # recall: cdist pairs inside one cluster; precision: clusters = cdist's components
            parts.append(f"recall {r['recall']:.4f} of {r['oracle']:,} cdist pairs, clusters "
                         f"{'=' if r['precision'] == 1.0 else '≠'} cdist components (target ≥ {RECALL}, = {mark(good)})")
        else:
            parts.append(f"recall {r['recall']:.4f} of {r['oracle']:,} cdist pairs, precision {r['precision']:.4f} "
                         f"(target ≥ {RECALL} {mark(good)})")
    if "sample_recall" in r:
        good = r["sample_recall"] >= RECALL
        ok &= good
        parts.append(f"recall {r['sample_recall']:.4f} of the {r['sample_pairs']:,} cdist pairs of {r['sampled']} "
                     f"sampled texts against all (target ≥ {RECALL} {mark(good)})")
    if "planted_recall" in r:
        good = r["planted_recall"] >= RECALL
        ok &= good
        parts.append(f"planted recall {r['planted_recall']:.4f} of {r['planted']:,} (target ≥ {RECALL} {mark(good)})")
    if r.get("uncompared"):
        parts.append(f"{r['uncompared']:,} over {MAX_CHARS:,} characters not compared")
    ok &= r["peak_mb"] <= MEMORY_MB or r.get("timeout", False)
    parts.append(f"peak {r['peak_mb']:.0f} MB (target ≤ {MEMORY_MB} {mark(r['peak_mb'] <= MEMORY_MB)})")
    print(f"{name:<34} " + "; ".join(parts), flush=True)
    return ok


def templated_cases(args, ok: bool) -> bool:
    """bench/generate.py files: recall on 10k (slots and whole), whole-process time at 10k / 100k (/ 1M) with
    recall on a sample."""
    from bench.generate import generate, write_jsonl

    folder = Path(args.work)
    folder.mkdir(parents=True, exist_ok=True)
    sizes = [10_000] + ([] if args.quick else [100_000]) + ([1_000_000] if args.million else [])
    for n in sizes:
        path = folder / f"generated_{n}.jsonl"
        if not path.exists():
            write_jsonl(path, generate(n))
        if n == 10_000:
            for compare in ("slots", "whole"):
                texts, parts = templated_compared(path, compare)
                ok &= report(f"templated 10k {compare} vs cdist",
                             isolated(case_search, texts, True, None, 90, MAX_CHARS, parts))
        plan = isolated(case_plan, str(path))
        print(f"{'templated ' + str(n // 1000) + 'k estimate':<34} {plan['seconds']:7.1f} s for "
              f"{plan['texts']:,} distinct compared texts (announced before a scan over 60 s)", flush=True)
        limit = None if n < 1_000_000 else max(900.0, 3 * plan["seconds"])
        run = whole_process(path, timeout=limit)
        if n > 10_000 and "doc" in run:
            run |= sampled_recall(path, run["doc"], 200 if n >= 1_000_000 else 500)
        ok &= report(f"templated {n // 1000}k curator dedupe", run, TIME_TEMPLATED[n])
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, skip the full-Alpaca and 100k runs")
    parser.add_argument("--data", type=Path, help="folder of the real data (default: shared/data beside the checkout "
                        "or the folder of worktrees)")
    parser.add_argument("--million", action="store_true", help="also the templated 1M file")
    parser.add_argument("--work", default="/tmp/curator-bench", help="folder for the generated files")
    args = parser.parse_args()
    data: Path = args.data or next((up / "shared" / "data" for up in ROOT.parents if (up / "shared" / "data").is_dir()),
                                   ROOT.parent / "shared" / "data")
    ok = True
    print("near-duplicates: fuzz.ratio ≥ 90 on normalised text_input (NFKC, lower-case, collapsed whitespace)")

    if (data / "alpaca_data.json").exists():
        texts = alpaca(data)
        sample = random.Random(0).sample(texts, 10_000)
        ok &= report("alpaca 10k sample vs cdist", isolated(case_search, sample, True, None))
        if not args.quick:
            ok &= report(f"alpaca all ({len(texts):,})", isolated(case_search, texts, False, None))
            ok &= report("alpaca all, curator dedupe", whole_process(data / "alpaca_data.json"), TIME_ALPACA)
    else:
        print(f"skip alpaca: no {data / 'alpaca_data.json'}")
    if (data / "banking77" / "train.csv").exists():
        ok &= report("banking77 train vs cdist", isolated(case_search, banking(data), True, None))
        if (data / "banking77" / "test.csv").exists():
            ok &= report("leakage banking77 test→train", isolated(case_leakage, banking(data), banking(data, "test")))
    if (data / "sms_spam.tsv").exists():
        ok &= report("sms_spam vs cdist", isolated(case_search, sms(data), True, None))

    small, _ = generated(10_000, seed=2)
    ok &= report("generated 10k vs cdist", isolated(case_search, small, True, None))
    size = 20_000 if args.quick else 100_000
    texts, planted = generated(size)
    target = None if args.quick else TIME_100K
    ok &= report(f"generated {size // 1000}k (planted pairs)", isolated(case_search, texts, False, planted), target)
    ok = templated_cases(args, ok)
    print("all targets met" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
