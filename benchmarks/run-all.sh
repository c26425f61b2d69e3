#!/usr/bin/env bash
# Runs every benchmark in one go and writes benchmarks/results/: JMH (a short configuration),
# the cluster benchmark against Pekko Distributed Data, and the SVG charts. About 10 minutes
# on a 2-core machine; `--quick` takes about 2.5. Builds benchmarks.jar first if it is missing or
# older than the sources. Usage: benchmarks/run-all.sh [--quick] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
out=benchmarks/results
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --out) out="$2"; shift ;;
    *) echo "usage: $0 [--quick] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out"
jar=benchmarks/target/benchmarks.jar
start=$(date +%s)
step() { printf '\n### [%4ds] %s\n' "$(( $(date +%s) - start ))" "$*"; }

step "machine: $(nproc) cores, $(java -version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ ! -f $jar ]] || [[ -n "$(find benchmarks/src benchmarks/pom.xml crdt-core/src store/src sync-transport/src -newer "$jar" -print -quit)" ]]; then
  step "build benchmarks.jar"
  build=(./mvnw -q -B -pl benchmarks -am package -DskipTests -Dspotless.check.skip=true)
  # Several engineers share this machine's Maven; the lock serialises builds where it exists.
  if command -v flock >/dev/null && [[ -e /tmp/converge-mvn.lock ]]; then
    flock /tmp/converge-mvn.lock "${build[@]}"
  else
    "${build[@]}"
  fi
fi

# JMH: per-type operations by state size with their HashMap baselines, and node API throughput.
# One fork, short iterations: enough for ratios and the size trend; for publishable absolute
# numbers use -f 3 -wi 3 -i 5 (see each class's Javadoc).
jmh_classes='dev.converge.bench.(ORSetBenchmark|ORSetMergeBenchmark|CodecBenchmark|CounterBenchmark|NodeUpdateBenchmark)'
if [[ $quick == 1 ]]; then
  jmh_args=(-f 1 -wi 1 -w 300ms -i 2 -r 300ms -p size=10,100000 -p replicas=10,1000 -p store=memory)
else
  jmh_args=(-f 1 -wi 1 -w 300ms -i 2 -r 400ms)
fi
step "JMH: $jmh_classes ${jmh_args[*]}"
java -jar "$jar" "$jmh_classes" "${jmh_args[@]}" -rf json -rff "$out/jmh.json" \
  | grep -E '^# (Benchmark|Parameters):|^Benchmark |^[A-Z][A-Za-z]+Benchmark\.' || true

step "cluster benchmark: Converge vs Pekko Distributed Data"
cluster_args=(--out "$out")
[[ $quick == 1 ]] && cluster_args+=(--quick)
java -Xmx4g -cp "$jar" dev.converge.bench.ClusterBenchmark "${cluster_args[@]}" 2>&1 \
  | grep -vE '^\[(WARN|INFO)\]|^SLF4J' || true

step "charts"
java -cp "$jar" dev.converge.bench.report.Charts "$out"
step "done: results in $out"
