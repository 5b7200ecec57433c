#!/usr/bin/env bash
# cnf benchmarks: our Java/DJL code against Python peers measured in the same run on the same box.
# Writes bench/RESULTS.md (a table) and bench/results.json (numbers + machine info).
#   bench/run.sh            full run (about 22 minutes on 2 cores, 9 of them the ingest crawls)
#   bench/run.sh --smoke    seconds-long variant (what CI may run)
# Peers: diffusers' own modules on PyTorch 2.7.1 (the project virtualenv, scripts/python-env.sh oracles), and as a
# second peer Debian's packages, installed for /usr/bin/python3:
#   apt-get install -y python3-opencv python3-torch libopenblas0-pthread
# (without libopenblas0-pthread Debian's torch uses the reference BLAS and is 5-10x slower: not a fair peer).
# Optional: libopencv-java libopencv406-jni adds a row for our Java code on Debian's OpenCV build;
# libturbojpeg0 lets cnf decode JPEGs with the system's SIMD libjpeg-turbo (a row shows the OpenCV decoder beside it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"
smoke=false
[ "${1:-}" = "--smoke" ] && smoke=true
py=/usr/bin/python3
for mod in cv2 torch; do
  "$py" -c "import $mod" 2>/dev/null || { echo "bench: $py lacks $mod; apt-get install -y python3-opencv python3-torch libopenblas0-pthread" >&2; exit 2; }
done
threads="$(nproc)"
oracles="$(scripts/python-env.sh oracles)" # torch 2.7.1 + diffusers (requirements/oracles.txt), for the fair peer rows
out="$here/out"
rm -rf "$out" && mkdir -p "$out"

echo "bench: building (mvn install + test-compile)" >&2
mvn -B -q -DskipTests install >&2
mvn -B -q test-compile >&2
for m in model activities; do
  mvn -B -q dependency:build-classpath -pl "$m" -Dmdep.outputFile="$out/$m.cp" -Dmdep.includeScope=test >&2
done
java_model=(java -Dai.djl.offline=true -cp "model/target/test-classes:model/target/classes:$(cat "$out/model.cp")")
java_data=(java -cp "activities/target/test-classes:activities/target/classes:$(cat "$out/activities.cp")")
mvn -B -q dependency:build-classpath -pl workers -Dmdep.outputFile="$out/workers.cp" -Dmdep.includeScope=test >&2
java_workers=(java -Dai.djl.offline=true -cp "workers/target/test-classes:workers/target/classes:$(cat "$out/workers.cp")")
photos=datasets/src/main/resources/dev/cnf/datasets/photos

if $smoke; then images=40; dataprep_rounds=1; train_steps=2; mid_steps=1; sample_reps=1; crawl=32; warm_up=16; step_warm_up=2; mid_warm_up=2
else images=800; dataprep_rounds=3; train_steps=30; mid_steps=10; sample_reps=2; crawl=1600; warm_up=8000; step_warm_up=300; mid_warm_up=150; fi

run() { # name, command...: appends the command's last stdout line (JSON) to results.jsonl
  local name="$1"; shift
  echo "bench: $name" >&2
  local line
  line="$("$@" 2>/dev/null | tail -1)"
  echo "{\"name\": \"$name\", \"result\": $line}" >> "$out/results.jsonl"
}

run gemm_peak "$py" bench/gemm_peak.py "$threads"
# bytedeco's OpenCV build (JavaCPP presets, Maven Central), with its own CPU dispatch: the official Java API classes in
# one jar, libopencv_java.so and the libraries it links in the linux-x86_64 one (their RUNPATH is the build machine's)
bytedeco_version=4.11.0-1.5.12
bytedeco="$out/bytedeco"
mkdir -p "$bytedeco"
for classifier in "" ":jar:linux-x86_64"; do
  mvn -B -q dependency:copy -Dartifact="org.bytedeco:opencv:$bytedeco_version$classifier" -DoutputDirectory="$bytedeco" >&2
done
(cd "$bytedeco" && unzip -q -o "opencv-$bytedeco_version-linux-x86_64.jar" 'org/bytedeco/opencv/linux-x86_64/*')
bytedeco_lib="$bytedeco/org/bytedeco/opencv/linux-x86_64"
# seconds-long runs on a noisy box: the implementations take turns, three rounds; the report takes each one's median
for round in $(seq "$dataprep_rounds"); do
  run dataprep_java "${java_data[@]}" dev.cnf.activities.bench.DataPrepBench "$photos" "$images" "$threads"
  LD_LIBRARY_PATH="$bytedeco_lib" run dataprep_java_bytedeco_opencv java -Dcnf.opencv.library="$bytedeco_lib/libopencv_java.so" \
    -cp "$bytedeco/opencv-$bytedeco_version.jar:activities/target/test-classes:activities/target/classes:$(cat "$out/activities.cp")" \
    dev.cnf.activities.bench.DataPrepBench "$photos" "$images" "$threads"
  run dataprep_java_opencv_decoder java -Dcnf.turbojpeg=false "${java_data[@]:1}" dev.cnf.activities.bench.DataPrepBench "$photos" "$images" "$threads"
  run dataprep_java_no_ipp java -Dcnf.bench.opencv-ipp=false "${java_data[@]:1}" dev.cnf.activities.bench.DataPrepBench "$photos" "$images" "$threads"
  run dataprep_python "$py" bench/peers/dataprep.py "$photos" "$images" "$threads"
  run dataprep_python_cnf "$py" bench/peers/dataprep.py "$photos" "$images" "$threads" cnf
done
if [ -f /usr/lib/jni/libopencv_java460.so ] && [ -f /usr/share/java/opencv-460.jar ]; then
  run dataprep_java_debian_opencv java -Dcnf.opencv.library=/usr/lib/jni/libopencv_java460.so \
    -cp "/usr/share/java/opencv-460.jar:activities/target/test-classes:activities/target/classes:$(cat "$out/activities.cp")" \
    dev.cnf.activities.bench.DataPrepBench "$photos" "$images" "$threads"
fi
# training steps after the same untimed warm-up on both sides: a training run takes thousands of steps, and the JVM's C2
# compiler keeps compiling the step's Java code for the first few hundred, taking about a tenth of a core from libtorch's
# threads on 2 cores (the pace of the first 40 steps and of the whole warm-up are reported beside)
run train_tiny_djl "${java_model[@]}" dev.cnf.model.bench.TrainStepBench train tiny 8 "$train_steps" "$step_warm_up"
for preset in tiny-sd mid-sd; do
  if [ "$preset" = mid-sd ]; then batch=4; steps=$mid_steps; warm=$mid_warm_up; else batch=8; steps=$train_steps; warm=$step_warm_up; fi
  run "train_${preset}_djl" "${java_model[@]}" dev.cnf.model.bench.TrainStepBench train "$preset" "$batch" "$steps" "$warm"
  run "train_${preset}_torch" "$py" bench/peers/torch_step.py train "$preset" "$batch" "$steps" "$threads"
  # the fair peer: diffusers' own modules on PyTorch 2.7.1 (DJL's libtorch), eager and torch.compile'd
  run "train_${preset}_diffusers" "$oracles" bench/peers/diffusers_step.py train "$preset" "$batch" "$steps" "$threads" eager "$warm"
  run "train_${preset}_diffusers_compile" "$oracles" bench/peers/diffusers_step.py train "$preset" "$batch" "$steps" "$threads" compile "$warm"
  run "flops_${preset}" "$py" bench/flops.py "$preset" "$batch"
done
# where a mid-sd step's time goes: PyTorch's profiler over the DJL step (self time per op)
"${java_model[@]}" -Dcnf.bench.profile="$out/mid-sd-trace.json" dev.cnf.model.bench.TrainStepBench train mid-sd 4 1 >/dev/null 2>&1
run profile_mid-sd "$py" bench/profile_ops.py "$out/mid-sd-trace.json" 12 --json
run sample_tiny-sd_djl "${java_model[@]}" dev.cnf.model.bench.TrainStepBench sample tiny-sd 4 "$sample_reps"
run sample_tiny-sd_torch "$py" bench/peers/torch_step.py sample tiny-sd 4 "$sample_reps" "$threads"
run sample_tiny-sd_diffusers "$oracles" bench/peers/diffusers_step.py sample tiny-sd 4 "$sample_reps" "$threads" eager
if ! $smoke; then
  run sample_mid-sd_djl "${java_model[@]}" dev.cnf.model.bench.TrainStepBench sample mid-sd 2 1
  run sample_mid-sd_torch "$py" bench/peers/torch_step.py sample mid-sd 2 1 "$threads"
fi
# ingest + clean per worker CPU-second and across workers, with img2dataset (requirements/img2dataset.txt) on the same
# images and core beside it; workers first crawl warm_up other images, as long-lived services are warm (their JIT
# compiles for the first several thousand images; that one-off cost is reported beside the measured crawl)
img2dataset="$(scripts/python-env.sh img2dataset)"
run ingest_scaling "${java_workers[@]:0:2}" -Dcnf.bench.root="$root" -Dcnf.bench.img2dataset="$img2dataset" \
  -Dcnf.bench.warm-up-images="$warm_up" "${java_workers[@]:2}" dev.cnf.workers.bench.IngestScalingBench "$crawl" 512 256 "$out/scaling"
# bounded-memory dedupe: the same run under 1 GiB and under 128 MiB of heap (flat memory: both finish)
$smoke && dedupe_records=200000 || dedupe_records=5000000
run dedupe_1g java -Xmx1g "${java_data[@]:1}" dev.cnf.activities.clean.DedupeScaleBench "$dedupe_records"
run dedupe_128m java -Xmx128m "${java_data[@]:1}" dev.cnf.activities.clean.DedupeScaleBench "$dedupe_records"
"$py" bench/report.py "$out/results.jsonl" "$here" $($smoke && echo --smoke)
