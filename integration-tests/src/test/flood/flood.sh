#!/usr/bin/env bash
# The unsigned-flood measurement of docs/modules/ROOT/pages/benchmarks.adoc: a 3-node demo cluster on
# loopback; replicated writes through node a, quiet and then while FLOOD_CLIENTS clients post unsigned
# FLOOD_BYTES-byte bodies to node a's peer port. The flood runs in a cgroup capped at FLOOD_CPU % of one
# core (cgroup v1 or v2, as root), standing for an attacker on another machine: on two shared cores an
# uncapped generator measures the machine's CPU sharing, not the node. Run from the repository root after
# ./mvnw -B -pl integration-tests -am verify -DskipTests:
#   bash integration-tests/src/test/flood/flood.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."                       # integration-tests/
APP=target/quarkus-app/quarkus-run.jar
[ -f "$APP" ] || { echo "no $APP: build first (./mvnw -B -pl integration-tests -am verify -DskipTests)" >&2; exit 1; }
SECONDS_EACH=${SECONDS_EACH:-20}
PROBE_CLIENTS=${PROBE_CLIENTS:-4}
FLOOD_CLIENTS=${FLOOD_CLIENTS:-50}
FLOOD_BYTES=${FLOOD_BYTES:-10000000}
FLOOD_CPU=${FLOOD_CPU:-50}
BASE=${BASE_PORT:-18181}
RUN=target/flood-run; rm -rf "$RUN"; mkdir -p "$RUN"
export QUARKUS_LEVEL_2PC_CLUSTER_SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
ports=($BASE $((BASE+1)) $((BASE+2))); names=(a b c)
for i in 0 1 2; do
  peers=""; for j in 0 1 2; do [ $i = $j ] || peers="$peers${peers:+,}http://127.0.0.1:${ports[$j]}"; done
  java -Xmx256m -Dquarkus.http.port=${ports[$i]} -Dquarkus.level-2pc.node-name=${names[$i]} \
       -Dquarkus.level-2pc.path=$RUN/${names[$i]} -Dquarkus.level-2pc.peers=$peers -jar $APP > $RUN/${names[$i]}.log 2>&1 &
  PIDS+=($!)
done
for p in "${ports[@]}"; do
  for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$p/q/health/group/level-2pc-writes" > /dev/null && break; sleep 0.5
  done
done
echo "cluster up: ${ports[*]}"
PROBE="java src/test/flood/Flood.java probe http://127.0.0.1:${ports[0]} $PROBE_CLIENTS"
$PROBE 10 > /dev/null                               # warm-up
echo "quiet:"; $PROBE "$SECONDS_EACH"
cpu_a() { awk '{print $14+$15}' /proc/${PIDS[0]}/stat; }
# the flood's cgroup
if [ -d /sys/fs/cgroup/cpu ]; then
  CG=/sys/fs/cgroup/cpu/level2pc-flood; mkdir -p $CG; echo 100000 > $CG/cpu.cfs_period_us; echo $((FLOOD_CPU * 1000)) > $CG/cpu.cfs_quota_us
  enter="echo \$\$ > $CG/cgroup.procs"
else
  CG=/sys/fs/cgroup/level2pc-flood; mkdir -p $CG; echo "$((FLOOD_CPU * 1000)) 100000" > $CG/cpu.max
  enter="echo \$\$ > $CG/cgroup.procs"
fi
before=$(cpu_a)
bash -c "$enter; exec java src/test/flood/Flood.java flood 127.0.0.1 ${ports[0]} $FLOOD_CLIENTS $((SECONDS_EACH + 15)) $FLOOD_BYTES" &
FLOOD=$!
sleep 10                                            # the flood's JVM starts and reaches its rate
echo "under the flood ($FLOOD_CLIENTS clients, $FLOOD_BYTES-byte unsigned bodies, capped at $FLOOD_CPU % of a core):"
$PROBE "$SECONDS_EACH"
wait $FLOOD
after=$(cpu_a)
echo "node a's CPU during the flood: $(( (after - before) * 10 )) ms over $((SECONDS_EACH + 15)) s"
