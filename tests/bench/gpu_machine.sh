#!/usr/bin/env bash
# Melodeon's GPU figures on a lent NVIDIA machine (issue 11), in one call. Not part of the tests.
# Built here beforehand and carried there (the machine has no Rust and no network):
#   .gl/        Debian's Vulkan loader and GL dispatch .debs (the device tool's README says how)
#   .devcarry/  melodeon.xz and wgpu-tests.xz (stripped `--features gpu` release builds of the
#               binary and of tests/wgpu.rs) and, optionally, other builds to compare with,
#               each as melodeon-NAME.xz (an earlier commit, one change without another)
# Writes each figure as JSON under $OUT and prints a summary last.
set -uo pipefail
carry=.devcarry
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
export XDG_RUNTIME_DIR=/tmp
xz -d -T0 "$carry"/*.xz
melodeon="$carry/melodeon"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"

step() { # step NAME SECONDS COMMAND...: runs COMMAND with a limit, its output in $OUT/NAME
  local name=$1 limit=$2; shift 2
  local t0=$SECONDS
  timeout "$limit" "$@" >"$OUT/$name" 2>&1
  echo "== $name: exit $?, $((SECONDS - t0)) s"
}
# Correctness first: the kernels' outputs and gradients against burn's on this GPU.
step wgpu-tests.log 100 "$carry/wgpu-tests" --test-threads=1
grep -E "^test |test result|panicked|Error|error" "$OUT/wgpu-tests.log" | head -30
# The kernels alone (default shape), then each other build's beside them, same batch.
# One JSON line per build in kernel256.jsonl, this build's first.
for build in "$melodeon" "$carry"/melodeon-*; do
  [ -x "$build" ] || continue
  echo "{\"build\":\"${build##*/}\"}" >>"$OUT/kernel256.jsonl"
  timeout 60 "$build" bench --gpu --runs 3 --steps 10 --songs 256 --json --tuning 16,2,4 \
    >>"$OUT/kernel256.jsonl" 2>&1
  echo "== kernels of ${build##*/}: exit $?, $SECONDS s so far"
done
# Other shapes of the kernels (MIN_WORKGROUPS,SPLIT,UNROLL), where TUNINGS names them.
for tuning in ${TUNINGS:-}; do
  timeout 30 "$melodeon" bench --gpu --runs 3 --steps 10 --songs 256 --json --tuning "$tuning" \
    >>"$OUT/tunings.jsonl" 2>&1
  echo "== tuning $tuning: exit $?, $SECONDS s so far"
done
# Kernels and the composed layer, 256 and 32 songs.
step gpu256.json 60 "$melodeon" bench --gpu --runs 3 --steps 10 --songs 256 --json
step gpu32.json 45 "$melodeon" bench --gpu --runs 3 --steps 10 --json
# The same machine's CPU, for the ratios.
step cpu32.json 70 "$melodeon" bench --runs 3 --json
step cpu256.json 60 "$melodeon" bench --runs 1 --steps 3 --songs 256 --json
# Where a whole-song step's GPU time goes (CubeCL waits for each kernel: shares, not speed).
CUBECL_DEBUG_OPTION=profile-medium CUBECL_DEBUG_LOG=/tmp/profile.log \
  timeout 45 "$melodeon" bench --gpu --runs 1 --steps 2 --songs 256 --json --tuning 16,2,4 >/dev/null 2>&1
python3 tests/bench/cubecl_profile.py /tmp/profile.log 14 >"$OUT/profile.txt" 2>&1
for f in kernel256.jsonl tunings.jsonl gpu256.json gpu32.json cpu32.json cpu256.json profile.txt; do
  [ -f "$OUT/$f" ] && { echo "-- $f"; tail -c 2500 "$OUT/$f"; echo; }
done
