#!/usr/bin/env bash
# The GPU row of the benchmarks: one ControlNet training step of the sd15 preset at 512 px in bf16 mixed precision
# (frozen VAE, CLIP and UNet stored in bf16; ControlNet weights, gradients and AdamW in fp32), our Java/DJL code and
# the PyTorch peer measured in the same run on the same GPU; images/s, and MFU from the FLOPs bench/flops.py counts.
# Runs on a GPU machine with python3 + CUDA torch + g++ (no network needed): the Java side comes as the bundle
# bench/gpu/bundle.sh packs, and DJL's JNI is built there against that machine's libtorch (build-djl-jni.sh says why).
# Usage: bench/gpu/run.sh BUNDLE_DIR OUT_DIR [BATCH] [STEPS]   -> OUT_DIR/gpu.jsonl (+ logs); bench/report.py reads it
set -uo pipefail
bundle="$(cd "$1" && pwd)"
out="$(mkdir -p "$2" && cd "$2" && pwd)"
batch="${3:-8}"
steps="${4:-5}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$(dirname "$here")")"
py="${PYTHON:-python3}"
work=/tmp/cnf-gpu
mkdir -p "$work"
results="$out/gpu.jsonl"
: > "$results"
export PYTHONUNBUFFERED=1

record() { # name, json line
  echo "{\"name\": \"$1\", \"result\": ${2:-null}}" >> "$results"
}

nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv,noheader > "$out/machine.txt" 2>&1
"$py" -c 'import torch, platform; print("torch", torch.__version__, "cuda", torch.version.cuda, "python", platform.python_version())' >> "$out/machine.txt" 2>&1
(g++ --version | head -1; nproc; free -g | sed -n 2p) >> "$out/machine.txt" 2>&1
cat "$out/machine.txt"
torch_lib="$("$py" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
torch_version="$("$py" -c 'import torch; print(torch.__version__.split("+")[0])')"
flavor="$("$py" -c 'import torch; v = torch.version.cuda; print("cu" + v.replace(".", "") if v else "cpu")')"
ls "$torch_lib" > "$out/torch-lib.txt"

# DJL's JNI against this libtorch and the FLOP count (both CPU work) first, beside the short GEMM measurement: the
# training steps are timed afterwards, on an otherwise idle machine (eager steps need the CPU to launch kernels)
tar -xJf "$bundle/jre.tar.xz" -C "$work"
JNI_INCLUDE="$bundle/jni-include" PYTHON="$py" bash "$here/build-djl-jni.sh" "$bundle/djl" "$work/jni" > "$out/jni-build.log" 2>&1 &
jni_pid=$!
# FLOPs of one 512 px image's step (counted on the CPU)
(cd "$root/bench" && "$py" flops.py sd15 1 > "$work/flops.json" 2>>"$out/peer.log") &
flops_pid=$!

# the machine's bf16 matrix-multiply rate: the MFU's measured ceiling beside the datasheet's
record gemm_peak_bf16 "$("$py" - <<'EOF' 2>>"$out/peer.log"
import json, torch
n = 8192
a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
for _ in range(3):
    a @ b
torch.cuda.synchronize()
start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
start.record()
for _ in range(10):
    a @ b
end.record()
torch.cuda.synchronize()
ms = start.elapsed_time(end) / 10
print(json.dumps({"n": n, "ms": ms, "tflops": 2 * n ** 3 / ms / 1e9, "gpu": torch.cuda.get_device_name()}))
EOF
)"

peer() { # attention
  timeout 240 "$py" "$root/bench/peers/torch_step.py" train sd15 "$batch" "$steps" "$(nproc)" cuda bf16 "$1" 2>>"$out/peer.log" | tail -1
}
wait "$jni_pid"
jni_status=$?
tail -5 "$out/jni-build.log"
wait "$flops_pid" && record flops_sd15 "$(cat "$work/flops.json")"

record train_sd15_torch_gpu "$(peer explicit)"
if [ "$jni_status" -eq 0 ]; then
  cache="$work/djl-cache"
  mkdir -p "$cache/pytorch/$torch_version-$flavor-linux-x86_64"
  cp "$work/jni/libdjl_torch.so" "$cache/pytorch/$torch_version-$flavor-linux-x86_64/0.36.0-libdjl_torch.so"
  # DJL loads every library in the folder it is given; only libtorch's own need loading (the rest, e.g. the Python
  # bindings, follow from their dependencies or are not ours to load)
  exclusion="$(ls "$torch_lib" | grep -v -x -e 'libc10.so' -e 'libgomp.*' | paste -sd,)"
  djl() { # precision, log
    PYTORCH_LIBRARY_PATH="$torch_lib" PYTORCH_VERSION="$torch_version" PYTORCH_FLAVOR="$flavor" ENGINE_CACHE_DIR="$cache" \
      PYTORCH_LIBRARY_EXCLUSION="$exclusion" CNF_DJL_BFLOAT16=true timeout 300 "$work/jre/bin/java" -Dai.djl.offline=true \
      -Dcnf.bench.device=gpu -Dcnf.bench.precision="$1" -cp "$bundle/lib/*" dev.cnf.model.bench.TrainStepBench train sd15 "$batch" "$steps" \
      2>"$2" | tail -1
  }
  line="$(djl bf16 "$out/djl.log")"
  if [ -z "$line" ]; then
    grep -v DEBUG "$out/djl.log" | tail -30
    # what breaks: the GPU path itself, or bfloat16? one fp32 step tells
    record train_sd15_djl_gpu_fp32 "$(steps=1 djl fp32 "$out/djl-fp32.log")"
    grep -v DEBUG "$out/djl-fp32.log" | tail -10
  fi
  record train_sd15_djl_gpu "${line:-null}"
else
  record train_sd15_djl_gpu null
fi

record train_sd15_torch_gpu_sdpa "$(peer sdpa)"
tail -5 "$out/peer.log"
cat "$results"
