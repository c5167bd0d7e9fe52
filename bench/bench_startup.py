"""Start-up benchmark, whole process from the shell: what a person waits for before curator answers.

    python bench/bench_startup.py [--runs 7] [--only help,check,eval,paint]
    CURATOR_BENCH_VD=/path/to/vd python bench/bench_startup.py     # VisiData from elsewhere (else `vd` on PATH)

Targets (issue 13): `curator --help`, `--version` and every command's `--help` <= 0.3 s; `curator check` of the
400-example demo <= 0.8 s; a cached `curator eval` re-run of 1,000 examples <= 1 s; launch to first paint of
Alpaca 52k in a real terminal (a pseudo-terminal, the clock started before the process, stopped when the
example count is on the screen) <= 0.8 s, with VisiData's figure beside it when `vd` is installed (on PATH, or
named by CURATOR_BENCH_VD: it is no dependency of curator).
Each figure is the median of several runs (the first run of check and eval fills the caches and is not counted).
Beside the wall time, the CPU time the process used (user + system): on a shared, loaded machine the wall time
waits for a core, the CPU time does not.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import resource
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_SCRIPT = Path(sys.executable).parent / "curator"  # the installed command, as a person runs it
CURATOR = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "curator"]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], runs: int, cwd: str | None = None, warm: int = 0) -> tuple[float, float]:
    """Median wall time and CPU time of ``command`` over ``runs`` runs, after ``warm`` uncounted ones."""
    times, cpus = [], []
    for i in range(warm + runs):
        start, cpu = time.perf_counter(), _cpu()
        done = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        took = time.perf_counter() - start
        if done.returncode not in (0, 1, 2) or "Traceback" in done.stderr:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
        if i >= warm:
            times.append(took)
            cpus.append(_cpu() - cpu)
    return statistics.median(times), statistics.median(cpus)


def first_paint(command: list[str], marker: bytes, timeout: float = 30.0, size=(40, 120)) -> tuple[float, float]:
    """Seconds from spawning ``command`` in a pseudo-terminal until ``marker`` has been written to it, and the CPU
    seconds the process used until it was stopped there."""
    start, cpu = time.perf_counter(), _cpu()
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of a fixed size, then the program
        fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", *size, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
        env.pop("NO_COLOR", None)
        os.execvpe(command[0], command, env)
    seen = b""
    took = float("nan")
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen = (seen + chunk)[-len(marker) * 64:]  # a marker split between reads is still found
            if marker in seen.replace(b"\x1b", b""):
                took = time.perf_counter() - start
                break
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    return took, _cpu() - cpu


def _medians(pairs) -> tuple[float, float]:
    pairs = list(pairs)
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", default="help,check,eval,paint",
                        help="which figures, comma-separated (default: all): help, check, eval, paint")
    parser.add_argument("--data", type=Path, help="the folder holding alpaca_data.json (default: shared/data "
                        "beside the checkout, or beside the folder of worktrees)")
    args = parser.parse_args()
    if args.data is None:
        args.data = next((up / "shared" / "data" for up in ROOT.parents if (up / "shared" / "data").is_dir()),
                         ROOT.parent / "shared" / "data")
    from curator.cli import COMMANDS

    only = set(args.only.split(","))
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    rows: list[tuple[str, float, float]] = [("python -c pass (the interpreter alone)",
                                              timed([sys.executable, "-c", "pass"], args.runs), float("nan"))]
    helps = {}
    if "help" in only:
        for flags in (["--help"], ["--version"]):
            rows.append((f"curator {flags[0]}", timed(CURATOR + flags, args.runs), 0.3))
        helps = {name: timed(CURATOR + [name, "--help"], args.runs) for name in COMMANDS}
        slowest = max(helps, key=lambda name: helps[name][0])
        rows.append((f"COMMAND --help (slowest: {slowest})", helps[slowest], 0.3))
        rows.append(("COMMAND --help (median of all)", _medians(helps.values()), 0.3))

    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(shutil.copy(ROOT / "curator" / "demo" / "support_tickets.jsonl", Path(tmp) / "demo.jsonl"))
        if "check" in only:
            rows.append(("curator check, demo (400), cached scan", timed(CURATOR + ["check", str(demo)], args.runs,
                                                                          warm=1), 0.8))
            rows.append(("curator check --fast, demo (400)",
                         timed(CURATOR + ["check", "--fast", str(demo)], args.runs), 0.8))
        if "eval" in only:
            from bench.generate import generate, write_jsonl

            data = write_jsonl(Path(tmp) / "eval1k.jsonl", generate(1_000))
            command = CURATOR + ["eval", str(data), "--split", "all", "--a", "local:local-echo", "--b",
                                 "local:local-echo"]
            rows.append(("curator eval 1,000, cached re-run", timed(command, args.runs, warm=1), 1.0))

        alpaca = args.data / "alpaca_data.json"
        vd_command = os.environ.get("CURATOR_BENCH_VD") or shutil.which("vd")
        if "paint" in only and alpaca.exists():  # a private copy: opening a file makes a workspace beside it
            alpaca = Path(shutil.copy(alpaca, Path(tmp) / "alpaca_data.json"))
            paints = [first_paint(CURATOR + [str(alpaca)], b"52,002 examples")
                      for _ in range(args.runs)]
            rows.append(("launch to first paint, Alpaca 52k (pty)", _medians(paints), 0.8))
            if vd_command:
                vd = [first_paint([vd_command, str(alpaca)], b"52002") for _ in range(args.runs)]
                rows.append(("  VisiData, same file (pty)", _medians(vd), float("nan")))
            else:
                print("VisiData (vd) is not on PATH nor named by CURATOR_BENCH_VD: no figure beside the first paint")
        elif "paint" in only:
            print(f"skipped the first paint: {alpaca} not found")

    print(f"\n{'figure (median of ' + str(args.runs) + ' runs)':44}{'wall s':>9}{'CPU s':>9}{'target':>9}")
    for name, (seconds, cpu), target in rows:
        mark = "" if target != target else ("ok" if seconds <= target else "OVER")
        shown_target = "" if target != target else f"{target:.2f}"
        print(f"{name:44}{seconds:>9.3f}{cpu:>9.3f}{shown_target:>9}  {mark}")
    if helps:
        print("\nevery command's --help, wall s: " + ", ".join(f"{k} {v[0]:.2f}" for k, v in helps.items()))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
