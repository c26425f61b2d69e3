#!/usr/bin/env bash
# Whole-process fault test: 5 demo nodes, each a JVM in its own network namespace, a client
# workload, and a nemesis (partitions, 30% loss, kill -9, a wiped data directory, a node replaced
# under a new id and removed, a graceful leave and restart); an independent checker judges every
# run. Needs root (network namespaces, iptables). See README "Fault test".
#
#   ./fault-test.sh [--runs N] [--seed S] [--seconds T] [--rate R]
#
# Defaults: 10 runs, seeds 1..10, 60 s of workload each, 60 requests/s. Reports land in
# demo-app/target/fault-test/seed-<S>/report.md; one verdict line per run in verdicts.txt.
set -euo pipefail
cd "$(dirname "$0")"
runs=10 seed=1 seconds=60 rate=60
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" != 0 ]; then
  echo "the fault test needs root (network namespaces and iptables)" >&2
  exit 2
fi
./mvnw -B -q -pl demo-app -am verify \
  -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dspotless.check.skip=true \
  -Dit.test=FaultIT \
  -Dconverge.fault.runs="$runs" -Dconverge.fault.seed="$seed" \
  -Dconverge.fault.seconds="$seconds" -Dconverge.fault.rate="$rate" \
  || status=$?
cat demo-app/target/fault-test/verdicts.txt 2>/dev/null || true
exit "${status:-0}"
