"""A million examples, whole process from the shell: the app in a real terminal (a pseudo-terminal), the
command line, and VisiData's and polars' figures on the same file beside curator's when they are installed.

    python bench/bench_million.py                      # 1M examples (generated once, ~380 MB, kept in --dir)
    python bench/bench_million.py -n 100000 -n 10000000 --runs 1

Targets (issue 18), at 1M examples: launch -> first rows <= 1.0 s; -> whole file ready <= 3 s; cursor move and
page-down <= 50 ms; search <= 300 ms; save <= 3 s; `curator check --fast` <= 8 s; peak memory <= 1.5 GB.
At 10M (the command line only; the app offers a sample): `check --fast`, `stats` and `convert` stream with peak
memory <= 2 GB: above curator.core.loading.LARGE_SIZE the three read the file in batches (curator.core.stream).
CPU seconds (user + system) are printed beside the wall-clock figures, and the load average beside each size.

The app is timed as a person sees it: the clock starts before the process; "first rows" stops when the status
bar first counts examples, "ready" when it counts all of them (with the CPU seconds the app had used by then:
on a shared machine the figure that waited for no one). A key's time runs from writing it to the terminal
until the screen has stopped changing (the last byte of the app's answer). The cursor is moved nine times at
once when the file is ready, while the fast checks run and the scans start, and nine times more once the screen
has been still for a second ("cursor ms", the figure held to the target): "cursor, checks" is the median of the
moves (of both sets) made while the fast checks ran (the detail pane said "checking…"), "cursor, scan only" of
those made while only a near-duplicate or leakage scan ran, with how many moves each counts. "app peak MB", the
figure compared with the 1.5 GB target, is the maximum resident set of the app's own process (VmHWM, read just
before it is closed); the near-duplicate and leakage scans run in child processes of their own, whose peak
("scan children peak MB", the largest of them, watched while they run) and CPU seconds are printed apart.
Generated files stay in --dir (default /tmp/curator-bench); nothing is written in the repository.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_SCRIPT = Path(sys.executable).parent / "curator"
CURATOR = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "curator"]
NAN = float("nan")
TARGETS = {"first rows s": 1.0, "ready s": 3.0, "cursor ms": 50, "cursor, checks ms": 50,
           "cursor, scan only ms": 50, "page-down ms": 50, "search ms": 300,
           "save s": 3.0, "app peak MB": 1536, "check --fast s": 8.0, "check --fast peak MB": 1536}
TARGETS_10M = {"check --fast peak MB": 2048, "stats peak MB": 2048, "convert peak MB": 2048}
PRIVATE_HOME: dict[str, str] = {}  # XDG folders in --dir, so the benchmark adds nothing to the user's recent files
KEYS = {"down": b"j", "pagedown": b"\x1b[6~", "enter": b"\r", "escape": b"\x1b", "ctrl+s": b"\x13"}


class Terminal:
    """A program in a pseudo-terminal of a fixed size, its output watched for markers."""

    def __init__(self, command: list[str], size=(40, 120)) -> None:
        self.start = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", *size, 0, 0))
            env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor", **PRIVATE_HOME)
            env.pop("NO_COLOR", None)
            os.execvpe(command[0], command, env)
        self.seen = b""
        self.children = ChildWatch(self.pid)

    def _read(self, wait: float) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], wait)
        if not ready:
            return b""
        try:
            chunk = os.read(self.fd, 1 << 16)
        except OSError:
            raise EOFError from None
        if not chunk:
            raise EOFError
        self.seen = (self.seen + chunk.replace(b"\x1b", b""))[-(1 << 16):]
        return chunk

    def wait_for(self, marker: bytes, timeout: float) -> float:
        """Seconds since the start until ``marker`` was written (NaN after ``timeout``)."""
        self.seen = b""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            self._read(0.02)
            if marker in self.seen:
                return time.perf_counter() - self.start
        return NAN

    def settle(self, quiet: float = 0.3, timeout: float = 30) -> None:
        """Read until nothing is written for ``quiet`` seconds."""
        deadline, last = time.perf_counter() + timeout, time.perf_counter()
        while time.perf_counter() < deadline and time.perf_counter() - last < quiet:
            if self._read(0.02):
                last = time.perf_counter()

    def key(self, data: bytes, marker: bytes | None = None, quiet: float = 0.06, timeout: float = 30) -> float:
        """Seconds from writing ``data`` until ``marker`` shows, else until the answer ends (the last byte
        before ``quiet`` seconds of silence)."""
        self.settle(0.1)
        self.seen = b""
        sent = time.perf_counter()
        os.write(self.fd, data)
        last = NAN
        deadline = sent + timeout
        while time.perf_counter() < deadline:
            if self._read(0.01):
                last = time.perf_counter()
                if marker is not None and marker in self.seen:
                    return last - sent
            elif marker is None and last == last and time.perf_counter() - last > quiet:
                return last - sent
        return NAN

    def cursor_key(self) -> tuple[float, bool, bool]:
        """A cursor move down: its ms, whether the fast checks were still running (the detail pane said
        "checking…") and whether a scan was (a child process of the app)."""
        ms = self.key(KEYS["down"]) * 1000
        return ms, "checking…".encode() in self.seen, bool(descendants(self.pid))

    def cpu(self) -> float:
        """CPU seconds (user + system) the program has used so far (NaN where /proc does not tell)."""
        return cpu_seconds(self.pid)

    def close(self) -> dict[str, float]:
        """Kill the program and its children; returns its own peak resident memory and CPU seconds, and its
        children's (the largest peak among them, the sum of their CPU seconds)."""
        out = {"app peak MB": peak_mb(self.pid), "app cpu s": self.cpu()}
        out["scan children peak MB"], out["scan children cpu s"] = self.children.stop()
        for pid in [*descendants(self.pid), self.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.wait4(self.pid, 0)
        os.close(self.fd)
        return out


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (NaN when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return NAN
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_mb(pid: int) -> float:
    """The peak resident memory (VmHWM) of a running process in MB (NaN when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return NAN
    return int(status.split("VmHWM:")[1].split()[0]) / 1024 if "VmHWM:" in status else NAN


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


class ChildWatch(threading.Thread):
    """Watches the child processes of a program (the app's scans): their peak memory and CPU seconds, as last
    seen every ``every`` seconds (a child's last tenth of a second before it ends may be missed)."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peaks: dict[int, float] = {}
        self.cpus: dict[int, float] = {}
        self._done = threading.Event()
        self.start()

    def run(self) -> None:
        while not self._done.wait(self.every):
            self.look()

    def look(self) -> None:
        for child in descendants(self.pid):
            peak, cpu = peak_mb(child), cpu_seconds(child)
            if peak == peak and cpu == cpu:
                self.peaks[child], self.cpus[child] = peak, cpu

    def stop(self) -> tuple[float, float]:
        """Stop watching; the largest peak seen in MB and the CPU seconds of every child."""
        self._done.set()
        self.join()
        self.look()
        return max(self.peaks.values(), default=0.0), sum(self.cpus.values())


def run_measured(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak MB and CPU seconds (user + system) of a command run to its end."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=os.environ | PRIVATE_HOME)
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    if proc.returncode not in (0, 1, 2) or "Traceback" in text:
        raise SystemExit(f"{' '.join(command)} failed:\n{text[-3000:]}")
    return took, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def ensure_file(n: int, folder: Path) -> Path:
    from bench.generate import iter_examples, write_jsonl

    path = folder / f"gen{n}.jsonl"
    if not path.exists():
        print(f"generating {n:,} examples into {path} …", flush=True)
        partial = path.with_suffix(".part")
        write_jsonl(partial, iter_examples(n))
        partial.rename(path)
    return path


def app_figures(path: Path, n: int) -> dict[str, float]:
    """Launch, first rows, ready, keys, search, save and peak memory of the app on a private copy."""
    term = Terminal(CURATOR + [str(path)])
    out: dict[str, float] = {}
    try:
        out["first rows s"] = term.wait_for(b" examples", 60)
        out["first rows cpu s"] = term.cpu()
        out["ready s"] = term.wait_for(f"{n:,} examples".encode(), 180)
        out["ready cpu s"] = term.cpu()
        early = [term.cursor_key() for _ in range(9)]  # at once: the fast checks run, the scans start
        term.settle(1.0)
        moves = [term.cursor_key() for _ in range(9)]
        out["cursor ms"] = statistics.median(ms for ms, _, _ in moves)
        for name, during in (("cursor, checks ms", lambda checking, scanning: checking),
                             ("cursor, scan only ms", lambda checking, scanning: scanning and not checking)):
            seen = [ms for ms, checking, scanning in early + moves if during(checking, scanning)]
            out[name] = statistics.median(seen) if seen else NAN
            out[name.replace(" ms", " keys")] = len(seen)
        out["page-down ms"] = statistics.median(term.key(KEYS["pagedown"]) for _ in range(9)) * 1000
        searches = []
        for word in ("refund", "photosynthesis", "zzz-no-match"):
            term.key(b"/")
            term.key(word.encode())
            searches.append(term.key(KEYS["enter"], b"matches)"))
        out["search ms"] = statistics.median(searches) * 1000
        term.key(KEYS["escape"])
        term.key(b"d")  # one change, then save
        out["save s"] = term.key(KEYS["ctrl+s"], f"saved {path.name}".encode())
    finally:
        out.update(term.close())
    return out


def visidata_figures(path: Path, n: int, timeout: float = 120) -> dict[str, float]:
    """VisiData in tmux (curses redraws only the characters that change, so its screen is read, not its output)."""
    session = f"curator-bench-vd-{os.getpid()}"
    start = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", "vd", str(path)], check=True)
    pid = subprocess.run(["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"], capture_output=True,
                         text=True).stdout.strip()
    out = {"first rows s": NAN, "ready s": NAN, "app peak MB": NAN}
    try:
        while time.perf_counter() - start < timeout:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                    text=True).stdout
            now = time.perf_counter() - start
            if out["first rows s"] != out["first rows s"] and "text_input" in screen:
                out["first rows s"] = now
            if f"{n} rows" in screen and "%" not in screen.splitlines()[-1]:
                out["ready s"] = now
                break
            time.sleep(0.05)
        status = Path(f"/proc/{pid}/status").read_text()
        out["app peak MB"] = int(status.split("VmHWM:")[1].split()[0]) / 1024
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    return out


POLARS = """
import resource, sys, time, polars as pl
t = time.perf_counter(); df = pl.read_ndjson(sys.argv[1]); read = time.perf_counter() - t
t = time.perf_counter()
df.select(pl.any_horizontal(pl.col(c).str.contains("(?i)refund") for c in ("text_input", "output"))).to_series().sum()
search = time.perf_counter() - t
t = time.perf_counter(); df.write_ndjson(sys.argv[2]); write = time.perf_counter() - t
print(read, search, write, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def polars_figures(path: Path, folder: Path) -> dict[str, float]:
    target = folder / "polars-out.jsonl"
    done = subprocess.run([sys.executable, "-c", POLARS, str(path), str(target)], capture_output=True, text=True)
    target.unlink(missing_ok=True)
    read, search, write, peak = (float(x) for x in done.stdout.split())
    return {"ready s": read, "search ms": search * 1000, "save s": write, "app peak MB": peak}


def cli_figures(path: Path, folder: Path, large: bool) -> dict[str, float]:
    """check --fast (every size); stats and convert (to Parquet) too on a large file, which they stream."""
    out: dict[str, float] = {}
    target = folder / "converted.parquet"
    commands = {"check --fast": ["check", "--fast", str(path)], "stats": ["stats", str(path)],
                "convert": ["convert", str(path), str(target)]}
    for name, args in commands.items():
        if name != "check --fast" and not large:
            continue
        out[f"{name} s"], out[f"{name} peak MB"], out[f"{name} cpu s"] = run_measured(CURATOR + args)
        target.unlink(missing_ok=True)
    return out


def median_of(runs: list[dict[str, float]]) -> dict[str, tuple[float, float, float]]:
    """Each figure's median, min and max over the runs that have it (NaN when none has)."""
    out = {}
    for k in runs[0]:
        values = [r[k] for r in runs if r[k] == r[k]]
        out[k] = (statistics.median(values), min(values), max(values)) if values else (NAN, NAN, NAN)
    return out


def show(value: float, key: str) -> str:
    if value != value:
        return "—"
    return f"{value:,.0f}" if ("ms" in key or "MB" in key or key.endswith(" keys")) else f"{value:.2f}"


def report(n: int, ours: dict, others: dict[str, dict], targets: dict[str, float]) -> None:
    print(f"\n{n:,} examples  (curator: median [min-max] of {ours['_runs']} runs; load average now "
          f"{os.getloadavg()[0]:.1f})")
    names = [k for k in others if others[k]]
    print(f"{'figure':22}{'curator':>26}{'target':>9}  {'':4}" + "".join(f"{k:>12}" for k in names))
    for key, (mid, lo, hi) in ((k, v) for k, v in ours.items() if k != "_runs"):
        target = targets.get(key, NAN)
        mark = "" if target != target or mid != mid else ("ok" if mid <= target else "OVER")
        spread = f"{show(mid, key)} [{show(lo, key)}-{show(hi, key)}]"
        print(f"{key:22}{spread:>26}{show(target, key):>9}  {mark:4}"
              + "".join(f"{show(others[k].get(key, NAN), key):>12}" for k in names))
    if "scan children peak MB" in ours:
        print("(app peak MB: the app's own process, the figure held to the target; scan children: the largest of the "
              "processes its near-duplicate and leakage scans run in, apart)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, action="append", help="examples (repeatable; default 1,000,000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of curator's figures per size (default 3)")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/curator-bench"), help="where generated files live")
    parser.add_argument("--no-others", action="store_true", help="skip VisiData and polars")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        PRIVATE_HOME[f"XDG_{name}_HOME"] = str(args.dir / "home" / name.lower())
    from curator.core.loading import LARGE_SIZE

    print(f"machine: {os.cpu_count()} cores, load average at start {os.getloadavg()[0]:.1f}")
    for n in args.n or [1_000_000]:
        source = ensure_file(n, args.dir)
        large = source.stat().st_size > LARGE_SIZE
        runs = []
        for _ in range(args.runs):
            copy = Path(shutil.copy(source, args.dir / f"copy{n}.jsonl"))  # the app saves over its file
            try:
                figures = cli_figures(copy, args.dir, large)
                if not large:
                    figures.update(app_figures(copy, n))
            finally:
                copy.unlink(missing_ok=True)
                shutil.rmtree(args.dir / ".curator", ignore_errors=True)
            runs.append(figures)
        ours = median_of(runs) | {"_runs": args.runs}
        others: dict[str, dict] = {"VisiData": {}, "polars": {}}
        if not args.no_others and not large:
            if shutil.which("vd") and shutil.which("tmux"):
                others["VisiData"] = visidata_figures(source, n)
            else:
                print("VisiData (vd) or tmux is not installed: no VisiData figures beside curator's")
            others["polars"] = polars_figures(source, args.dir)
        report(n, ours, others, TARGETS_10M if large else TARGETS)
    print(f"\nmachine: {os.cpu_count()} cores, load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
