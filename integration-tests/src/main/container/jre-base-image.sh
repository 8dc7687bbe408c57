#!/usr/bin/env bash
# Makes a Java runtime base image for the demo's container image, offline, from the JDK that runs the build:
# a jlink'ed runtime under /opt/java, the shared libraries it links (as ldd finds them on this machine), a user 185
# and the directories the application writes. Imported into podman, then saved as a docker-archive, which
# quarkus-container-image-jib reads as its base image (quarkus.jib.base-jvm-image=tar://<file>).
#   integration-tests/src/main/container/jre-base-image.sh <output.tar> [image name]
set -euo pipefail
out=$1
name=${2:-localhost/level2pc/jre:17}
java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root

# A runtime with every module of the JDK except its development tools (the application's own dependencies decide
# which modules it needs; jdeps cannot see what Quarkus loads reflectively).
modules=$("$java_home/bin/java" --list-modules | sed 's/@.*//' \
  | grep -v -E '^jdk\.(compiler|javadoc|jshell|jlink|jpackage|jartool|jdeps|jconsole|hotspot\.agent|jstatd|editpad|internal\.opt|internal\.le|internal\.ed|internal\.jvmstat|jdi|jdwp\.agent|jcmd|random|incubator\..*)$' \
  | paste -sd, -)
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 \
  --output "$root/opt/java"

# The shared libraries the runtime links, at the paths this machine has them.
for f in "$root"/opt/java/bin/* $(find "$root/opt/java/lib" -name '*.so'); do
  ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true
done | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
# The dynamic loader's usual names.
for l in /lib64/ld-linux-x86-64.so.2 /lib/ld-linux-aarch64.so.1; do
  if [ -e "$l" ]; then mkdir -p "$root$(dirname "$l")"; cp -L "$l" "$root$l"; fi
done

mkdir -p "$root/etc" "$root/tmp" "$root/deployments" "$root/work/data" "$root/home/jboss" "$root/usr/bin"
chmod 1777 "$root/tmp"
echo 'root:x:0:0:root:/root:/sbin/nologin' > "$root/etc/passwd"
echo 'jboss:x:185:0:jboss:/home/jboss:/sbin/nologin' >> "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
chown -R 185:0 "$root/deployments" "$root/work" "$root/home/jboss"
ln -s /opt/java/bin/java "$root/usr/bin/java"

podman rmi -f "$name" >/dev/null 2>&1 || true
tar -C "$root" -c . | podman import \
  --change 'ENV JAVA_HOME=/opt/java' \
  --change 'ENV PATH=/opt/java/bin:/usr/bin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'USER 185' \
  --quiet - "$name" >/dev/null
rm -f "$out"
podman save --quiet --format docker-archive -o "$out" "$name" >/dev/null
echo "base image $name: $(du -h "$out" | cut -f1) in $out (runtime from $java_home)"
