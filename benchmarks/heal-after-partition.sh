#!/usr/bin/env bash
# Heal -> convergence after one long partition, with real processes and real packet drops.
# Three demo nodes, each in its own network namespace; one like replicates; then n2 is cut off
# from n0 and n1 (iptables DROP) for PARTITION_SECONDS while n0 and n2 each take a like per
# second; then the partition heals and the script measures how long until n0 and n2 both report
# the sum. Needs root. Prints one line; appends it to /tmp/lp-results.
#
#   sudo benchmarks/heal-after-partition.sh demo-app/target/converge-demo.jar 60
set -u
JAR=${1:?usage: $0 JAR PARTITION_SECONDS}; P=${2:?usage: $0 JAR PARTITION_SECONDS}; T=lp$$; BR=${T}br; NET=10.214.9
cleanup() { for i in 0 1 2; do kill -9 ${pids[$i]:-} 2>/dev/null; ip link del ${T}v$i 2>/dev/null; ip netns del ${T}n$i 2>/dev/null; done; ip link del $BR 2>/dev/null; rm -rf /tmp/$T; }
trap cleanup EXIT
ip link add $BR type bridge; ip addr add $NET.254/24 dev $BR; ip link set $BR up
mkdir -p /tmp/$T; echo "long-partition-secret-123" > /tmp/$T/secret
declare -a pids
for i in 0 1 2; do
  ip netns add ${T}n$i; ip link add ${T}v$i type veth peer name eth0 netns ${T}n$i
  ip link set ${T}v$i master $BR up; ip -n ${T}n$i addr add $NET.$((i+1))/24 dev eth0; ip -n ${T}n$i link set eth0 up; ip -n ${T}n$i link set lo up
done
for i in 0 1 2; do
  ip netns exec ${T}n$i java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar $JAR --node-id n$i --host $NET.$((i+1)) --http-port 8080 --gossip-port 7000 --seeds $NET.1:7000,$NET.2:7000,$NET.3:7000 --in-memory --cluster-secret-file /tmp/$T/secret > /tmp/$T/n$i.log 2>&1 &
  pids[$i]=$!
done
for i in 0 1 2; do until curl -sf http://$NET.$((i+1)):8080/health >/dev/null; do sleep 0.2; done; done
sleep 2
likes() { curl -s http://$1:8080/api/posts/p | grep -o '"likes":[0-9]*' | cut -d: -f2; }
curl -s -XPOST http://$NET.1:8080/api/posts/p/like >/dev/null
until [ "$(likes $NET.3)" = 1 ]; do sleep 0.1; done
for j in 1 2; do ip netns exec ${T}n2 iptables -A INPUT -s $NET.$j -j DROP; ip netns exec ${T}n$((j-1)) iptables -A INPUT -s $NET.3 -j DROP; done
end=$((SECONDS+P)); while [ $SECONDS -lt $end ]; do curl -s -XPOST http://$NET.1:8080/api/posts/p/like >/dev/null; curl -s -XPOST http://$NET.3:8080/api/posts/p/like >/dev/null; sleep 1; done
a=$(likes $NET.1); c=$(likes $NET.3); want=$((a + c - 1))
for i in 0 1 2; do ip netns exec ${T}n$i iptables -F INPUT; done
t0=$(date +%s%N)
until [ "$(likes $NET.1)" = $want ] && [ "$(likes $NET.3)" = $want ]; do sleep 0.05; done
echo "partition ${P}s: heal->convergence $(( ($(date +%s%N)-t0)/1000000 )) ms (n0 $a + n2 $c - 1 = $want)" | tee -a /tmp/lp-results
