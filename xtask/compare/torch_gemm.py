"""torch.matmul side of `cargo xtask compare`'s GEMM table.

Usage: torch_gemm.py GEMM_JOB.json OUT.json

For every [batch, m, k, n] shape and thread count of the job, the milliseconds of each timed call of
`torch.matmul(A, B, out=C)` on float32 row-major operands (three untimed calls first), the same
protocol as the Rust runner's `nd-runner gemm`.
"""
import json
import sys
import time

import torch

job = json.load(open(sys.argv[1]))
timings = []
for threads in job["threads"]:
    torch.set_num_threads(threads)
    for batch, m, k, n in job["shapes"]:
        g = torch.Generator().manual_seed(0)
        lead = [batch] if batch > 1 else []
        a = torch.rand(*lead, m, k, generator=g)
        b = torch.rand(*lead, k, n, generator=g)
        c = torch.empty(*lead, m, n)
        for _ in range(3):
            torch.matmul(a, b, out=c)
        samples = []
        for _ in range(job["repeats"]):
            t = time.perf_counter()
            torch.matmul(a, b, out=c)
            samples.append((time.perf_counter() - t) * 1e3)
        timings.append(dict(shape=[batch, m, k, n], threads=threads, samples_ms=samples))
json.dump(dict(version=f"torch {torch.__version__}", timings=timings), open(sys.argv[2], "w"))
