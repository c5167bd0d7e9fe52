"""What following a Vertex job costs with its loss curve: a poll of a long job (5,000 steps, the series at
batchRead's 1,000-point limit) through Jobs.status against the fake server, stored in the workspace each time.

    python bench/bench_vertex_poll.py

Targets: after the first poll, one tuningJobs GET and one batchRead per poll; <= 100 ms per poll on the fake
server (the real service adds its network latency). Run when the load average is low; it is printed beside.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS, POLLS = 100.0, 30


def main() -> None:
    from curator.core.backends import Hyperparameters
    from curator.core.backends.registry import create_backend
    from curator.core.storage.models import backend_storage
    from curator.core.storage.workspace import Workspace
    from curator.core.tuning import Jobs
    from curator.testing.fake_google import FakeGoogle
    from curator.testing.fake_google_jobs import Timing

    now = [0.0]
    env = {"GOOGLE_CLOUD_PROJECT": "proj", "CURATOR_VERTEX_ACCESS_TOKEN": "ya29.bench"}
    with FakeGoogle(clock=lambda: now[0], timing=Timing(pending=1, running=10_000), examples_per_job=8_000) as fake, \
            tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp) / ".curator")
        jobs = Jobs(ws, lambda name: create_backend(name, **backend_storage(ws), base_url=fake.url, env=env))
        from curator.core.backends.prepare import Preparation  # a launch needs only the data URIs

        prepared = Preparation(backend="vertex", train=None, validation=None, findings=[], notes=[])
        prepared.training_uri, prepared.validation_uri = "gs://bench/train.jsonl", "gs://bench/val.jsonl"
        job = jobs.start("vertex", prepared, "gemini-2.5-flash", Hyperparameters(epochs=5))
        now[0] = 5_000  # half-way: 2,500 of 5,000 steps done
        jobs.status(job)  # finds the series
        before = len(fake.requests)
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(POLLS):
            status = jobs.status(job)
        wall = (time.perf_counter() - start) / POLLS * 1000
        per_poll = (len(fake.requests) - before) / POLLS
        cpu_ms = (time.process_time() - cpu) / POLLS * 1000
        jobs.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores)")
    print(f"points on the chart      {len(status.loss):>8,}   (train thinned to 300, every validation)")
    print(f"requests per poll        {per_poll:>8.1f}   target 2")
    print(f"ms per poll (wall)       {wall:>8.1f}   target <= {TARGET_MS:.0f}")
    print(f"ms per poll (cpu, both)  {cpu_ms:>8.1f}   (client and fake server share this process)")
    print(f"max RSS                  {rss:>8.0f} MB")


if __name__ == "__main__":
    main()
