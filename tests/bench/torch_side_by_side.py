"""PyTorch beside Melodeon on the same machine, in the same run (`./dev bench`).

Runs `../shared/reference/torch_bench.py` (the seed's training step and generation in
PyTorch) and `melodeon bench --json`, each RUNS times, both pinned to core 0 with one thread
(per-core ratios); then both with every core (machine ratios: PyTorch's threads against
Melodeon's LSTM kernel splitting the batch over the cores). Prints each run, the medians and
the ratios.
Usage: torch_side_by_side.py PYTHON_WITH_TORCH MELODEON_BINARY [RUNS]
"""
import json
import os
import statistics
import subprocess
import sys

python, melodeon = sys.argv[1], sys.argv[2]
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
reference = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "reference", "torch_bench.py")
cores = os.cpu_count() or 1


def json_of(command):
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def medians(rows, keys):
    return {k: statistics.median(r[k] for r in rows) for k in keys}


keys = ["train_windows_per_s", "gen_tokens_per_s", "refeed_tokens_per_s"]
pinned = ["taskset", "-c", "0"]
torch_one = [json_of(pinned + [python, reference, "1", "10"]) for _ in range(runs)]
ours_one = [json_of(pinned + [melodeon, "bench", "--json", "--runs", "1"]) for _ in range(runs)]
torch_all = [json_of([python, reference, str(cores), "10"]) for _ in range(runs)]
ours_all = [json_of([melodeon, "bench", "--json", "--runs", "1"]) for _ in range(runs)]
t1, m1, ta = medians(torch_one, keys), medians(ours_one, keys), medians(torch_all, keys)
ma = statistics.median(r["train_windows_per_s_all_threads"] for r in ours_all)
print(json.dumps({
    "runs": runs,
    "pytorch_one_core": torch_one,
    "melodeon_one_core": [{k: r[k] for k in keys} for r in ours_one],
    f"pytorch_{cores}_threads": torch_all,
    f"melodeon_{cores}_cores_train_windows_per_s": [r["train_windows_per_s_all_threads"] for r in ours_all],
    "medians": {"pytorch_one_core": t1, "melodeon_one_core": m1, f"pytorch_{cores}_threads": ta,
                f"melodeon_{cores}_cores_train_windows_per_s": ma},
    "ratio_melodeon_to_pytorch_per_core": {k: round(m1[k] / t1[k], 3) for k in keys},
    "ratio_melodeon_to_pytorch_machine": {"train_windows_per_s": round(ma / ta["train_windows_per_s"], 3)},
}, indent=2))
