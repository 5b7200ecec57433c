#!/usr/bin/env bash
# Builds DJL 0.36.0's PyTorch JNI (libdjl_torch.so) against the libtorch inside this machine's python3 torch
# (a CUDA build on a GPU machine), with bfloat16 added to its type table.
#
# Why: DJL 0.36 ships its JNI for PyTorch 2.7.1 only (CPU in Maven; CUDA builds are downloaded at run time), so a
# machine whose PyTorch is another version (e.g. 2.11+cu130) has no JNI for the Java stack; and DJL's type table
# (djl_pytorch_utils.h) stops at complex64: a bfloat16 tensor makes the native code `throw;` with no exception,
# which aborts the JVM. The patch maps DJL's BFLOAT16 (ordinal 11) to torch::kBFloat16 both ways.
#
# Usage: build-djl-jni.sh DJL_SOURCE OUT_DIR
#   DJL_SOURCE  a checkout of deepjavalibrary/djl at v0.36.0
#               (git clone --depth 1 -b v0.36.0 https://github.com/deepjavalibrary/djl)
#   OUT_DIR     receives libdjl_torch.so and build logs
# Needs g++ and python3 with torch. JNI headers: JAVA_HOME/include, or JNI_INCLUDE. The generated JNI header
# (javac -h of PyTorchLibrary.java) is taken from DJL_SOURCE/build/include when present, else made with javac and
# DJL_CLASSPATH (the api and pytorch-engine 0.36.0 jars).
#
# Then run the JVM with (see bench/gpu/run.sh):
#   PYTORCH_LIBRARY_PATH=<torch>/lib PYTORCH_VERSION=<x.y.z> PYTORCH_FLAVOR=<cu130|cpu> ENGINE_CACHE_DIR=<dir>
# and the library at <dir>/pytorch/<x.y.z>-<flavor>-linux-x86_64/0.36.0-libdjl_torch.so; CNF_DJL_BFLOAT16=true lets
# cnf use bfloat16 with it.
set -uo pipefail
src="$(cd "$1" && pwd)"
out="$(mkdir -p "$2" && cd "$2" && pwd)"
py="${PYTHON:-python3}"
native="$src/engines/pytorch/pytorch-native/src/main/native"
[ -d "$native" ] || { echo "build-djl-jni: $native not found: give a DJL v0.36.0 checkout" >&2; exit 2; }
command -v g++ >/dev/null || { echo "build-djl-jni: no g++ on this machine" >&2; exit 2; }

torch_dir="$("$py" -c 'import os, torch; print(os.path.dirname(torch.__file__))')" || exit 2
abi="$("$py" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')"
jni_inc="${JNI_INCLUDE:-${JAVA_HOME:-}/include}"
[ -f "$jni_inc/jni.h" ] || { echo "build-djl-jni: no jni.h under $jni_inc; set JAVA_HOME or JNI_INCLUDE" >&2; exit 2; }

work="$out/work"
rm -rf "$work" && mkdir -p "$work/include"
cp "$native"/*.cc "$native"/*.h "$work/"
if [ -f "$src/build/include/ai_djl_pytorch_jni_PyTorchLibrary.h" ]; then
  cp "$src/build/include/ai_djl_pytorch_jni_PyTorchLibrary.h" "$work/include/"
else
  javac -cp "${DJL_CLASSPATH:?set DJL_CLASSPATH to the api and pytorch-engine 0.36.0 jars}" -h "$work/include" -d "$work/classes" \
    "$src/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java" || exit 2
fi

# bfloat16 in the type table, both directions
"$py" - "$work/djl_pytorch_utils.h" <<'EOF' || exit 2
import sys
p = sys.argv[1]
s = open(p).read()
to_torch = "    case 8:\n      return torch::kComplexFloat;\n"
to_djl = "  } else if (torch::kComplexFloat == type) {\n    return 8;\n"
assert to_torch in s and to_djl in s, "djl_pytorch_utils.h is not v0.36.0's"
s = s.replace(to_torch, to_torch + "    case 11:\n      return torch::kBFloat16;\n")
s = s.replace(to_djl, to_djl + "  } else if (torch::kBFloat16 == type) {\n    return 11;\n")
open(p, "w").write(s)
EOF

# Without PyTorch's legacy profiler (removed from newer libtorch): the two profiling calls throw instead.
no_profiler() {
  "$py" - "$work/ai_djl_pytorch_jni_PyTorchLibrary_system.cc" <<'EOF'
import re, sys
p = sys.argv[1]
s = open(p).read()
start = s.index("// the code snippet is copied from torch/csrc/autograd/profiler_legacy.cpp")
end = s.index("JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchCudaEmptyCache")
stub = '''JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchStartProfile(
    JNIEnv* env, jobject jthis, jboolean juse_cuda, jboolean jrecord_shape, jboolean jprofile_memory) {
  env->ThrowNew(ENGINE_EXCEPTION_CLASS, "this DJL JNI was built without PyTorch's legacy profiler");
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchStopProfile(
    JNIEnv* env, jobject jthis, jstring joutput_file) {
  env->ThrowNew(ENGINE_EXCEPTION_CLASS, "this DJL JNI was built without PyTorch's legacy profiler");
}

'''
s = s[:start] + stub + s[end:]
s = s.replace("using namespace torch::autograd::profiler;", "")
s = re.sub(r"#include <ATen/code_template.h>\n", "", s)
open(p, "w").write(s)
EOF
}

flags=(-O2 -fPIC -DNDEBUG "-D_GLIBCXX_USE_CXX11_ABI=$abi" -I"$work/include" -I"$work" -I"$src/api/src/main/native"
       -I"$torch_dir/include" -I"$torch_dir/include/torch/csrc/api/include" -I"$jni_inc" -I"$jni_inc/linux" -w)
case "$("$py" -c 'import torch; print(torch.__version__)')" in
  1.13.*|2.0.*|2.1.*) flags+=(-DV1_13_X) ;; # as DJL's build.sh: c10::variant and friends
esac
std=c++17
echo '#include <torch/torch.h>' > "$work/probe.cc"
if ! g++ -std=$std "${flags[@]}" -fsyntax-only "$work/probe.cc" 2>"$out/probe.log"; then
  std=c++20
  g++ -std=$std "${flags[@]}" -fsyntax-only "$work/probe.cc" 2>>"$out/probe.log" || { echo "build-djl-jni: torch headers do not compile (see $out/probe.log)" >&2; tail -20 "$out/probe.log" >&2; exit 1; }
fi
echo "build-djl-jni: torch $("$py" -c 'import torch; print(torch.__version__)') at $torch_dir, C++ ABI $abi, -std=$std" >&2

compile() { # file.cc -> file.o, log per file
  local f="$1" o="${1%.cc}.o"
  g++ -std=$std "${flags[@]}" -c "$f" -o "$o" 2>"$out/$(basename "${f%.cc}").log"
}
failed=()
pids=()
files=("$work"/*.cc)
for f in "${files[@]}"; do
  ( compile "$f" ) & pids+=($!)
done
for i in "${!files[@]}"; do
  wait "${pids[$i]}" || failed+=("$(basename "${files[$i]}")")
done
skipped=()
for f in "${failed[@]}"; do
  case "$f" in
    ai_djl_pytorch_jni_PyTorchLibrary_system.cc)
      echo "build-djl-jni: $f failed; again without the legacy profiler" >&2
      head -5 "$out/${f%.cc}.log" >&2
      no_profiler && compile "$work/$f" || { echo "build-djl-jni: $f still fails:" >&2; grep -m 10 error "$out/${f%.cc}.log" >&2; exit 1; } ;;
    ai_djl_pytorch_jni_PyTorchLibrary_inference.cc|ai_djl_pytorch_jni_PyTorchLibrary_ivalue.cc)
      # TorchScript module loading and IValues: cnf never calls them; JNI methods resolve lazily, so the rest works
      echo "build-djl-jni: $f failed; left out (TorchScript, unused by cnf):" >&2
      grep -m 5 error "$out/${f%.cc}.log" >&2
      skipped+=("$f") ;;
    *)
      echo "build-djl-jni: $f failed:" >&2
      grep -m 20 error "$out/${f%.cc}.log" >&2
      exit 1 ;;
  esac
done

objs=()
for f in "${files[@]}"; do
  [ -f "${f%.cc}.o" ] && objs+=("${f%.cc}.o")
done
libs=(-ltorch -ltorch_cpu -lc10)
for extra in torch_cuda c10_cuda; do
  [ -f "$torch_dir/lib/lib$extra.so" ] && libs+=("-l$extra")
done
g++ -shared -o "$out/libdjl_torch.so" "${objs[@]}" -L"$torch_dir/lib" -Wl,--no-as-needed "${libs[@]}" -Wl,-rpath,"$torch_dir/lib" \
  2>"$out/link.log" || { echo "build-djl-jni: link failed" >&2; tail -20 "$out/link.log" >&2; exit 1; }
echo "build-djl-jni: built $out/libdjl_torch.so (${#objs[@]} objects; left out: ${skipped[*]:-none}; linked ${libs[*]})" >&2
