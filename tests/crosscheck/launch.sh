#!/bin/bash
# usage: launch.sh CONFIGS.json BUDGET_S
CFG="$(realpath "$1")"   # resolve before cd: the path is given relative to the caller's directory
cd "$(dirname "$0")"
nvidia-smi -L
export OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1 PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
python3 - "$CFG" "$2" <<'PY'
import json, subprocess, sys, os
cfgs = json.load(open(sys.argv[1])); out = os.environ.get("OUT", ".") + "/results.jsonl"
ps = []
for c in cfgs:
    c = dict(c, budget_s=float(sys.argv[2]), out=out)
    ps.append(subprocess.Popen([sys.executable, "sweep.py", json.dumps(c)], stdout=open("/tmp/"+c["name"]+".log","w"), stderr=subprocess.STDOUT))
for p in ps: p.wait()
for c in cfgs: print(c["name"], open("/tmp/"+c["name"]+".log").read()[-300:])
for l in (open(out) if os.path.exists(out) else []): r = json.loads(l); print(r["name"], r["params"], "test", round(r["test"]["nll"],4), "acc", round(r["test"]["acc"],3), "onset", round(r["test"]["onset_bits"],2), "best_ep", r["best_epoch"], "/", r["epochs_run"], r["seconds"], "s")
PY
