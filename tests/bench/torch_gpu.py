"""PyTorch (cuDNN) on a CUDA GPU: the steps that `melodeon bench --gpu` times, for reference.

Not a dependency of the product and not Melodeon's figure: it says what the same network and
batch cost in PyTorch on the same card, so that Melodeon's wgpu figures can be read against it.
Prints one JSON object with the medians of RUNS timings:
- train_windows_per_s: the seed's step (batch 64, window 64, Embedding(38) -> LSTM(128) ->
  Dropout(0.2) -> Linear, loss on the last token, Adam);
- whole_song_tokens_per_s: the whole-song step on SONGS random songs of 512 down to 140 steps
  (lengths as in `melodeon bench`), padded to 512, loss on every real position, Adam.
Usage: torch_gpu.py [SONGS] [RUNS]
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

songs = int(sys.argv[1]) if len(sys.argv) > 1 else 256
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
V, H, B, T, LONGEST = 38, 128, 64, 64, 512
dev = torch.device("cuda")
torch.manual_seed(0)


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, V)
        self.lstm = torch.nn.LSTM(V, H, 1, batch_first=True)
        self.dropout = torch.nn.Dropout(0.2)
        self.fc = torch.nn.Linear(H, V)

    def forward(self, x):
        out, _ = self.lstm(self.embedding(x))
        return self.fc(self.dropout(out))


def timed(step, count):
    for _ in range(3):
        step()
    torch.cuda.synchronize()
    values = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(count):
            step()
        torch.cuda.synchronize()
        values.append((time.perf_counter() - t0) / count)
    return statistics.median(values)


net = Net().to(dev)
opt = torch.optim.Adam(net.parameters(), 1e-3)
X = torch.randint(0, V, (B, T), device=dev)
y = torch.randint(0, V, (B,), device=dev)


def seed_step():
    loss = F.cross_entropy(net(X)[:, -1, :], y)
    opt.zero_grad()
    loss.backward()
    opt.step()


lengths = torch.tensor([LONGEST - (i % 32) * 12 for i in range(songs)], device=dev)
S = torch.randint(1, V, (songs, LONGEST + 1), device=dev)
mask = (torch.arange(LONGEST, device=dev)[None, :] < lengths[:, None]).float()


def song_step():
    logits = net(S[:, :-1])
    losses = F.cross_entropy(logits.reshape(-1, V), S[:, 1:].reshape(-1), reduction="none")
    loss = (losses * mask.reshape(-1)).sum() / mask.sum()
    opt.zero_grad()
    loss.backward()
    opt.step()


seed = timed(seed_step, 50)
song = timed(song_step, 10)
print(json.dumps({
    "device": torch.cuda.get_device_name(), "torch": torch.__version__, "runs": runs,
    "songs": songs, "train_windows_per_s": round(B / seed, 1),
    "whole_song_tokens_per_s": round(float(lengths.sum()) / song, 1),
}))
