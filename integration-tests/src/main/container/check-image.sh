#!/usr/bin/env bash
# Builds the demo's JVM container image with quarkus-container-image-jib into podman, from a base image made
# offline (jre-base-image.sh), checks what it holds, and runs it with a contract check where podman can run
# containers here. Run from the repository root (CI calls it from .ci/run):
#   integration-tests/src/main/container/check-image.sh
set -euo pipefail
cd "$(dirname "$0")/../../../.."
image=level2pc/kv-demo:999-SNAPSHOT
base=$PWD/integration-tests/target/jre-base-image.tar
fail() { echo "container image: $*" >&2; exit 1; }

mkdir -p integration-tests/target
integration-tests/src/main/container/jre-base-image.sh "$base"
podman rmi -f "$image" >/dev/null 2>&1 || true
./mvnw -B -q -pl integration-tests -am package -DskipTests \
  -Dquarkus.container-image.build=true \
  -Dquarkus.jib.base-jvm-image="tar://$base" \
  -Dquarkus.jib.docker-executable-name=podman

# What it holds: the entrypoint starts the application, the layers hold the application and the extension.
entrypoint=$(podman image inspect "$image" --format '{{json .Config.Entrypoint}}')
echo "entrypoint: $entrypoint"
grep -q 'quarkus-run.jar' <<<"$entrypoint" || fail "the entrypoint does not start quarkus-run.jar: $entrypoint"
workdir=$(podman image inspect "$image" --format '{{.Config.WorkingDir}}')
[ "$workdir" = /work ] || fail "working directory is '$workdir', not /work"
user=$(podman image inspect "$image" --format '{{.Config.User}}')
[ "$user" = 185 ] || fail "runs as user '$user', not 185"
archive=$(mktemp -d)
trap 'rm -rf "$archive"; podman rm -f kv-image-check-a kv-image-check-b kv-image-check-c >/dev/null 2>&1 || true' EXIT
podman save --quiet --format docker-archive -o "$archive/image.tar" "$image"
tar --warning=no-unknown-keyword -C "$archive" -xf "$archive/image.tar"
files=$(for layer in "$archive"/*.tar "$archive"/*/layer.tar; do
  if [ -f "$layer" ] && [ "$layer" != "$archive/image.tar" ]; then tar --warning=no-unknown-keyword -tf "$layer"; fi
done | sort -u)
for f in quarkus-run.jar 'lib/main/io.quarkiverse.level2pc.quarkus-level-2pc-999-SNAPSHOT.jar' 'app/quarkus-level-2pc-integration-tests-999-SNAPSHOT.jar' 'opt/java/bin/java'; do
  grep -q -- "$f\$" <<<"$files" || fail "no layer holds $f"
done
layers=$(podman image inspect "$image" --format '{{len .RootFS.Layers}}')
size=$(podman image inspect "$image" --format '{{.Size}}')
echo "image $image: $layers layers, $((size / 1024 / 1024)) MiB (base $(du -m "$base" | cut -f1) MiB compressed)"

# Run it, three containers as a cluster on the host's network (as docs/modules/ROOT/pages/container.adoc's compose
# file does). podman here needs runc (crun refuses this machine's hybrid cgroups) and limits within the shell's own.
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
names=(a b c)
ports=(18081 18082 18083)
for i in 0 1 2; do
  peers=$(for j in 0 1 2; do if [ "$j" != "$i" ]; then echo "http://127.0.0.1:${ports[$j]}"; fi; done | paste -sd, -)
  if ! podman --runtime runc run -d --name "kv-image-check-${names[$i]}" --network host \
      --ulimit nofile="$(ulimit -Hn)":"$(ulimit -Hn)" --ulimit nproc=4096:4096 \
      -e QUARKUS_HTTP_PORT="${ports[$i]}" -e QUARKUS_LEVEL_2PC_NODE_NAME="${names[$i]}" \
      -e QUARKUS_LEVEL_2PC_PEERS="$peers" -e QUARKUS_LEVEL_2PC_CLUSTER_SECRET="$secret" \
      "$image" >/dev/null 2>"$archive/run.err"; then
    echo "container image: not run: podman cannot run containers here: $(cat "$archive/run.err")"
    exit 0
  fi
done
for p in "${ports[@]}"; do
  for _ in $(seq 1 120); do
    curl -sf -o /dev/null "localhost:$p/q/health/group/level-2pc-writes" && break
    sleep 0.5
  done
  curl -sf -o /dev/null "localhost:$p/q/health/group/level-2pc-writes" \
    || { podman logs kv-image-check-a 2>&1 | tail -40 >&2; fail "the container on port $p did not take writes within 60 s"; }
done
status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data 'in a box' "localhost:${ports[0]}/kv/greeting")
[ "$status" = 204 ] || fail "PUT on a answered $status"
for p in "${ports[@]}"; do
  value=$(curl -sf "localhost:$p/kv/greeting")
  [ "$value" = 'in a box' ] || fail "GET on port $p answered '$value'"
done
etag=$(curl -sI "localhost:${ports[2]}/kv/greeting" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "If-Match: \"not-$etag\"" --data x "localhost:${ports[2]}/kv/greeting")
[ "$status" = 412 ] || fail "PUT with a stale If-Match on c answered $status"
podman cp kv-image-check-b:/work/data/b/leveldb "$archive/store" && [ -s "$archive/store/CURRENT" ] \
  || fail "no LevelDB store under /work/data/b/leveldb in container b"
for n in "${names[@]}"; do podman stop -t 10 "kv-image-check-$n" >/dev/null; done
echo "container image: ran three containers as a cluster: all took writes; PUT on a 204, read back on a, b and c;" \
  "stale If-Match on c 412; b's store in /work/data/b"
