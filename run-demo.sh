#!/usr/bin/env bash
# Starts a local 3-node Converge demo cluster on this machine (three JVM processes), waits until
# every node serves, prints the three page URLs, and stops all nodes on Ctrl-C.
#
#   ./run-demo.sh                      # nodes n1..n3: HTTP 8081..8083, gossip 7001..7003, data/n1..n3
#   ./run-demo.sh --http-port 9081 --gossip-port 9001 --in-memory
#
# Needs a JDK 17+. Builds demo-app/target/converge-demo.jar with the Maven wrapper if it is missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

JAR=demo-app/target/converge-demo.jar
NODES=3
HTTP_BASE=8081
GOSSIP_BASE=7001
IN_MEMORY=0
REBUILD=0

usage() {
  cat <<USAGE
Usage: ./run-demo.sh [--http-port N] [--gossip-port N] [--in-memory] [--rebuild]

Starts nodes n1..n$NODES of a local Converge demo cluster and prints their page URLs.
  --http-port N     HTTP port of n1; n2, n3 use the next ones   (default $HTTP_BASE)
  --gossip-port N   gossip port of n1; n2, n3 use the next ones (default $GOSSIP_BASE)
  --in-memory       keep no data on disk (default: data/n1 .. data/n$NODES)
  --rebuild         rebuild the jar even if it exists
Logs go to data/logs/n1.log ... Stop the cluster with Ctrl-C.
USAGE
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --http-port) HTTP_BASE="${2:?--http-port needs a value}"; shift 2 ;;
    --gossip-port) GOSSIP_BASE="${2:?--gossip-port needs a value}"; shift 2 ;;
    --in-memory) IN_MEMORY=1; shift ;;
    --rebuild) REBUILD=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
for value in "$HTTP_BASE" "$GOSSIP_BASE"; do
  if ! [[ "$value" =~ ^[0-9]+$ ]] || (( value < 1 || value + NODES - 1 > 65535 )); then
    echo "bad port: $value" >&2
    exit 2
  fi
done

if ! command -v java >/dev/null 2>&1; then
  echo "java not found: install a JDK 17 or newer" >&2
  exit 1
fi

if [[ ! -f "$JAR" || "$REBUILD" == 1 ]]; then
  echo "Building $JAR (first run only) ..."
  ./mvnw -q -B -DskipTests package -pl demo-app -am
fi

# One HTTP/1.1 request over bash's /dev/tcp (no curl needed); prints the whole answer.
http() { # method port path [json-body]
  local method="$1" port="$2" path="$3" body="${4:-}"
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n%s' \
    "$method" "$path" "$port" "${#body}" "$body" >&3
  timeout 5 cat <&3 || true
  exec 3<&- 3>&-
}

healthy() { # port
  http GET "$1" /health 2>/dev/null | head -n 1 | grep -q ' 200 '
}

mkdir -p data/logs
PIDS=()

stop_all() {
  trap - INT TERM EXIT
  if [[ ${#PIDS[@]} -gt 0 ]]; then
    echo
    echo "Stopping nodes ..."
    for pid in "${PIDS[@]}"; do
      kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
      wait "$pid" 2>/dev/null || true
    done
  fi
}
trap 'stop_all; exit 130' INT TERM
trap stop_all EXIT

seeds_of() { # node number 1..NODES: the gossip addresses of every other node
  local seeds="" j
  for ((j = 1; j <= NODES; j++)); do
    if ((j != $1)); then seeds+="${seeds:+,}127.0.0.1:$((GOSSIP_BASE + j - 1))"; fi
  done
  echo "$seeds"
}

for ((i = 0; i < NODES; i++)); do
  port=$((HTTP_BASE + i))
  if healthy "$port"; then
    echo "port $port already serves a node: stop it first (or use --http-port)" >&2
    exit 1
  fi
done

for ((i = 1; i <= NODES; i++)); do
  if [[ "$IN_MEMORY" == 1 ]]; then storage=(--in-memory); else storage=(--data-dir "data/n$i"); fi
  java -jar "$JAR" --node-id "n$i" --host 127.0.0.1 \
    --http-port $((HTTP_BASE + i - 1)) --gossip-port $((GOSSIP_BASE + i - 1)) \
    --seeds "$(seeds_of "$i")" "${storage[@]}" >"data/logs/n$i.log" 2>&1 &
  PIDS+=($!)
done

for ((i = 1; i <= NODES; i++)); do
  port=$((HTTP_BASE + i - 1))
  for ((tries = 0; ; tries++)); do
    if healthy "$port"; then break; fi
    if ! kill -0 "${PIDS[$((i - 1))]}" 2>/dev/null || ((tries >= 600)); then
      echo "node n$i did not start; last lines of data/logs/n$i.log:" >&2
      tail -n 20 "data/logs/n$i.log" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
done

# A first post, so the page is not empty (only if it has no title yet).
if http GET "$HTTP_BASE" /api/posts/hello | grep -q '"title":""'; then
  http PUT "$HTTP_BASE" /api/posts/hello/title '{"title":"Hello, Converge!"}' >/dev/null || true
fi

echo
echo "Converge demo cluster is up ($NODES nodes). Open the pages:"
for ((i = 1; i <= NODES; i++)); do
  echo "  n$i  http://127.0.0.1:$((HTTP_BASE + i - 1))/"
done
echo
echo "Partition a node with its red button, like on both sides, watch the replicas disagree;"
echo "heal, and watch them agree. Logs: data/logs/. Press Ctrl-C to stop all nodes."

# Run until Ctrl-C or until any node exits.
set +e
wait -n
status=$?
echo "a node exited (status $status); see data/logs/" >&2
exit 1
