"""Sums CubeCL's kernel timings by kernel, for `melodeon bench --gpu` run with
`CUBECL_DEBUG_OPTION=profile-medium CUBECL_DEBUG_LOG=FILE` (CubeCL then waits for each kernel,
so the totals are slower than a real step; the shares are what this is for).

The first timing of each kernel (its compilation) is left out.
Usage: cubecl_profile.py FILE [TOP]
"""
import collections
import re
import sys

UNITS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}
line = re.compile(r"^\| *([0-9.]+)(ns|µs|us|ms|s) *\| *([^|]+?) *(\||$)")
totals, counts, seen = collections.Counter(), collections.Counter(), set()
for text in open(sys.argv[1], encoding="utf-8", errors="replace"):
    match = line.match(text)
    if not match:
        continue
    name = re.sub(r"_[0-9a-f]{8}$", "", match.group(3))
    if name not in seen:
        seen.add(name)
        continue
    totals[name] += float(match.group(1)) * UNITS[match.group(2)]
    counts[name] += 1
whole = sum(totals.values())
top = int(sys.argv[2]) if len(sys.argv) > 2 else 12
print(f"{'kernel':40} {'calls':>6} {'total s':>8} {'share':>6}")
for name, seconds in totals.most_common(top):
    print(f"{name[:40]:40} {counts[name]:6} {seconds:8.3f} {seconds / whole:6.1%}")
print(f"{'all':40} {sum(counts.values()):6} {whole:8.3f}")
