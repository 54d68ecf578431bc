"""PyTorch cross-check of training recipes (issue 4) on the exact song split Melodeon uses.

Export the data with `melodeon corpus --windows erk.json ../shared/corpus/erk-kern`, put erk.json
beside this file, then `bash launch.sh configs1.json 480` on a CUDA machine (every config in
parallel on one GPU, each for at most 480 s). Not part of the tests: PyTorch is not a dependency.
"""
import json, math, os, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

def run(name, hidden=128, layers=1, emb=None, dropout=0.2, loss="last", stride=1, warmup=0,
        epochs=10, bs=64, lr=1e-3, decay=1.0, clip=None, wd=0.0, seed=42, budget_s=520, out=None):
    torch.manual_seed(seed)
    dev = "cuda"
    d = json.load(open(os.path.join(os.path.dirname(__file__), "erk.json")))
    V = len(d["vocab"]); T = d["sequence_len"]; hold = d["vocab"].index("_")
    ids = torch.tensor(d["ids"], device=dev)
    part = {k: torch.tensor(d[k], device=dev) for k in ("train", "valid", "test")}
    ar = torch.arange(T + 1, device=dev)
    class M(nn.Module):
        def __init__(s):
            super().__init__()
            s.e = nn.Embedding(V, emb or V)
            s.l = nn.LSTM(emb or V, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0)
            s.d = nn.Dropout(dropout); s.o = nn.Linear(hidden, V)
        def forward(s, x):
            y, _ = s.l(s.e(x)); return s.o(s.d(y))
    m = M().to(dev)
    nparams = sum(p.numel() for p in m.parameters())
    opt = torch.optim.AdamW(m.parameters(), lr=lr, weight_decay=wd) if wd else torch.optim.Adam(m.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, decay)
    def evaluate(starts):
        m.eval(); tot = 0.0; on = 0.0; non = 0; acc = 0
        with torch.no_grad():
            for i in range(0, len(starts), 2048):  # 8192 made 14 processes' caches overflow the GPU (OOM in round 1)
                w = ids[starts[i:i+2048, None] + ar]
                lg = m(w[:, :T])[:, -1]; tg = w[:, T]
                nll = F.cross_entropy(lg, tg, reduction="none")
                tot += nll.sum().item(); acc += (lg.argmax(1) == tg).sum().item()
                mk = tg != hold; on += nll[mk].sum().item(); non += mk.sum().item()
        m.train(); n = len(starts)
        return dict(nll=tot / n, acc=acc / n, onset_bits=on / non / math.log(2))
    g = torch.Generator(device="cpu").manual_seed(seed)
    tr = part["train"]; best = None; t0 = time.time(); log = []
    for ep in range(epochs):
        if stride > 1:
            # every stride-th window (random phase per epoch), keep it simple: subsample starts
            ph = int(torch.randint(stride, (1,), generator=g))
            sel = tr[ph::stride]
        else:
            sel = tr
        perm = sel[torch.randperm(len(sel), generator=g).to(dev)]
        for i in range(0, len(perm), bs):
            w = ids[perm[i:i+bs, None] + ar]
            lg = m(w[:, :T])
            if loss == "last":
                l = F.cross_entropy(lg[:, -1], w[:, T])
            else:
                l = F.cross_entropy(lg[:, warmup:].reshape(-1, V), w[:, 1 + warmup:].reshape(-1))
            opt.zero_grad(set_to_none=True); l.backward()
            if clip: nn.utils.clip_grad_norm_(m.parameters(), clip)
            opt.step()
        sched.step()
        v = evaluate(part["valid"]); el = time.time() - t0
        rec = dict(epoch=ep + 1, valid=v["nll"], s=round(el, 1))
        if best is None or v["nll"] < best[0]:
            best = (v["nll"], ep + 1, evaluate(part["test"]))
            rec["test"] = best[2]["nll"]
        log.append(rec); print(name, json.dumps(rec), flush=True)
        if out:  # per-epoch progress survives a kill of the whole run
            with open(os.path.join(os.path.dirname(out), "epochs.jsonl"), "a") as f: f.write(json.dumps(dict(rec, name=name)) + "\n")
        # stop when the next epoch (at the average epoch time so far) would overrun the budget
        if el + el / (ep + 1) > budget_s: break
    res = dict(name=name, params=nparams, best_epoch=best[1], valid=best[0], test=best[2], seconds=round(time.time() - t0, 1), epochs_run=len(log),
               cfg=dict(hidden=hidden, layers=layers, emb=emb, dropout=dropout, loss=loss, stride=stride, warmup=warmup, epochs=epochs, bs=bs, lr=lr, decay=decay, clip=clip, wd=wd))
    print("RESULT", json.dumps(res), flush=True)
    if out:
        with open(out, "a") as f: f.write(json.dumps(dict(res, log=log)) + "\n")

if __name__ == "__main__":
    cfg = json.loads(sys.argv[1]); run(**cfg)
