"""After ``Processor.warm_up`` no inspection kernel compiles again: a kernel compiled (or loaded
from numba's disk cache) in the middle of real-time processing held a batch for 0.1–1 s, the worst
alert latencies of a run. Checked in a fresh interpreter (compiled versions live per process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_SCRIPT = r"""
import gc, json, sys
from pathlib import Path
import numba
from csqm.generate import generate
from csqm.inspection import Inspector, load_packs
from csqm.inspection.batch import Batch
from csqm.realtime.engine import Processor
from csqm.realtime.replay import _read, load_schedule, stamped
from csqm.realtime.events import utcnow
from csqm.settings import Settings
from csqm.store import open_store

def versions():
    return {
        f"{o.py_func.__module__}.{o.py_func.__qualname__}": [str(s) for s in o.signatures]
        for o in gc.get_objects()
        if isinstance(o, numba.core.registry.CPUDispatcher) and o.py_func.__module__.startswith("csqm.")
    }

tmp = Path(sys.argv[1])
generate(tmp / "demo", interactions=240, seed=5)
settings = Settings(data_dir=tmp / "data", secret="warm-up-test-secret-0123456789")
with open_store(settings=settings) as store:
    processor = Processor(store, settings=settings)
    processor.warm_up()
    before = versions()
    events = [e for _, e in stamped(load_schedule(tmp / "demo", every=0.5), utcnow(), speed=1000.0)]
    for i in range(0, len(events), 150):
        out = processor.process(events[i : i + 150])
        assert not out.errors, out.errors[:1]
    # the whole packs over every demo conversation at once, as `csqm inspect` does
    frames = (_read(tmp / "demo", "interactions"), _read(tmp / "demo", "utterances"))
    Inspector(load_packs()).run(Batch.from_frames(*frames))
    after = versions()
print(json.dumps({"before": before, "after": after, "events": len(events)}))
"""


def test_no_kernel_compiles_after_warm_up(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-c", _SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["events"] > 2000  # a real stream went through
    before, after = result["before"], result["after"]
    kernels = {name for name in before if ".kernels." in name}
    assert {"csqm.inspection.detectors.kernels.scan", "csqm.inspection.detectors.kernels.byte_offsets"} <= kernels
    compiled_later = {name: after[name] for name in after if after[name] != before.get(name)}
    assert compiled_later == {}, f"compiled after warm-up: {compiled_later}"
    # at most one version per kernel (none for the inlined helpers): callers' views (slices,
    # read-only masks) do not make new ones
    assert all(len(after[name]) <= 1 for name in kernels), {n: after[n] for n in kernels}
    k = "csqm.inspection.detectors.kernels."
    assert len(after[k + "scan"]) == len(after[k + "kept"]) == 1
