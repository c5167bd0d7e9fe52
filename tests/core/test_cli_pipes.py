"""A reader that goes away (``curator ... | head -1``) never turns a command's result into a success."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def run_with_reader_gone(args: list[str]) -> subprocess.CompletedProcess:
    """Run curator with a stdout pipe whose reading end is already closed: every write fails with EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "curator", *args], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, cwd=ROOT, timeout=120)
    finally:
        os.close(write_end)


def many_empty_outputs(path: Path, n: int = 3000) -> Path:
    path.write_text("".join(json.dumps({"text_input": f"question {i}", "output": ""}) + "\n" for i in range(n)))
    return path


def test_check_keeps_its_verdict_when_the_reader_goes_away(tmp_path):
    data = many_empty_outputs(tmp_path / "bad.jsonl")
    for extra in ([], ["--all"], ["--json"]):
        proc = run_with_reader_gone(["check", str(data), "--fast", *extra])
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


def test_check_piped_into_head_fails_the_pipeline(tmp_path):
    data = many_empty_outputs(tmp_path / "bad.jsonl")
    script = f"set -o pipefail; {sys.executable} -m curator check {data} --fast --all | head -1"
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout.startswith(f"{data}: 3,000 examples")
    assert "Traceback" not in proc.stderr


def test_other_commands_cut_short_say_so_instead_of_success(tmp_path):
    data = many_empty_outputs(tmp_path / "bad.jsonl", 10)
    proc = run_with_reader_gone(["stats", str(data), "--json"])
    assert proc.returncode == 141
    assert proc.stderr == ""
