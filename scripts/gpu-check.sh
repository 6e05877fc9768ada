#!/usr/bin/env bash
# The CUDA path, checked end to end on a machine with an NVIDIA GPU, in one command:
#
#   scripts/gpu-check.sh [OUT_DIR]        # default: out/gpu-check
#
# Needs: the CUDA toolkit (nvcc on PATH, or CUDA_PATH/CUDA_HOME), a driver that sees the GPU
# (nvidia-smi), cargo, and for the peer a python3 with torch (CUDA build) and transformers
# ($BALI_BENCH_PYTHONPATH is handed to it as PYTHONPATH, as in BENCHMARKS.md). Real data:
# $BALI_SHARED (default ../shared) for the MiniLM model.
#
# It does, and records under OUT_DIR (one log per step, and summary.txt):
#   1. the GPU and toolkit (nvidia-smi, nvcc --version);
#   2. cargo build --release --features cuda (CUDA_COMPUTE_CAP from nvidia-smi when unset);
#   3. the library's tests on that build (the CPU paths must stay green with CUDA compiled in);
#   4. bali-bench train --device cuda: the identical BALI step, bali (candle) against PyTorch
#      on the same GPU, same batches, per phase; then the same on the CPU for the record;
#   5. the sample pipeline with `device: cuda` for training and evaluation, in a fresh workdir,
#      and its evaluate table.
# Exit status: 0 when every step ran; the first failing step's status otherwise (the summary
# says which).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-out/gpu-check}"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"
export BALI_SHARED="${BALI_SHARED:-$(cd ../shared 2>/dev/null && pwd || echo ../shared)}"
BIN=target/release/bali
BENCH=target/release/bali-bench

step() {
  local name="$1"
  shift
  local start=$SECONDS
  echo "== $name: $*" | tee -a "$SUMMARY"
  "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  echo "   rc $rc in $((SECONDS - start)) s (log: $OUT/$name.log)" | tee -a "$SUMMARY"
  if [ $rc -ne 0 ]; then
    tail -20 "$OUT/$name.log" | sed 's/^/   | /' | tee -a "$SUMMARY"
    exit $rc
  fi
}

step gpu nvidia-smi
NVCC="$(command -v nvcc || echo "${CUDA_PATH:-${CUDA_HOME:-/usr/local/cuda}}/bin/nvcc")"
step toolkit "$NVCC" --version
if [ -z "${CUDA_COMPUTE_CAP:-}" ]; then
  cap="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d '.[:space:]')"
  [ -n "$cap" ] && export CUDA_COMPUTE_CAP="$cap"
  # nvcc before 12 cannot target Hopper (candle-kernels asks for compute_90a): build PTX for 80,
  # which the driver JIT-compiles for the newer GPU.
  major="$("$NVCC" --version | sed -n 's/.*release \([0-9]*\)\..*/\1/p')"
  if [ -n "$cap" ] && [ "${major:-0}" -lt 12 ] && [ "$cap" -ge 90 ]; then
    export CUDA_COMPUTE_CAP=80
  fi
fi
echo "   GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1); CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-unset}" | tee -a "$SUMMARY"

step build cargo build --release --features cuda -p bali -p bali-bench
step tests cargo test --release --features cuda --lib
step bench-cuda "$BENCH" train --device cuda
grep -E "bali|PyTorch|step:" "$OUT/bench-cuda.log" | sed 's/^/   /' | tee -a "$SUMMARY"
step bench-cpu "$BENCH" train --device cpu
grep -E "bali / PyTorch" "$OUT/bench-cpu.log" | sed 's/^/   cpu: /' | tee -a "$SUMMARY"

WORK="$OUT/sample-cuda"
rm -rf "$WORK"
step sample "$BIN" run pipelines/sample.yaml --workdir "$WORK" \
  --set train.device=cuda --set evaluate.device=cuda
step sample-eval "$BIN" sql --workdir "$WORK" \
  "SELECT model, protocol, split, items, mentions, acc_at_1, delta_at_1 FROM evaluate"
sed 's/^/   /' "$OUT/sample-eval.log" | tee -a "$SUMMARY"
echo "all steps ran; figures above and in $OUT" | tee -a "$SUMMARY"
