#!/bin/sh
# mkimage.sh - builds a small OCI test image offline, from Debian packages only (busybox-static
# for the userland, umoci to write the layers, skopeo to convert), never downloading anything.
#
# The image holds busybox, an /etc/passwd and /etc/group with a "www" user (uid 1000), a web
# root, and its own Pebble layer /var/lib/pebble/default/layers/001-<name>.yaml defining a
# service that records its environment, working directory and ids under the web root and then
# serves it with busybox httpd on the given port (startup: enabled).  It is written in two
# layers: the second deletes a file of the first (a whiteout).  The image config sets Env,
# WorkingDir, User and Entrypoint/Cmd.
#
# usage: tools/mkimage.sh --out DIR [--name web] [--port 8080] [--text TEXT] [--user www]
#                         [--workdir /srv/www] [--env K=V]... [--arch amd64] [--no-layer]
# writes DIR/<name>.oci/ (OCI image layout, tag <name>), DIR/<name>.oci.tar (oci-archive) and
# DIR/<name>.docker.tar (docker-archive, cairn-test/<name>:latest); prints the layout path.
set -eu

name=web
port=8080
text="hello from the image"
user=www
workdir=/srv/www
arch=
out=
layer=yes
envs=""

while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--port) port=$2; shift 2 ;;
	--text) text=$2; shift 2 ;;
	--user) user=$2; shift 2 ;;
	--workdir) workdir=$2; shift 2 ;;
	--env) envs="$envs
$2"; shift 2 ;;
	--arch) arch=$2; shift 2 ;;
	--no-layer) layer=no; shift ;;
	*) echo "mkimage: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] || { echo "usage: mkimage.sh --out DIR [options]" >&2; exit 2; }
for tool in umoci skopeo; do
	command -v $tool >/dev/null || { echo "mkimage: $tool is missing (sh tools/deps.sh)" >&2; exit 1; }
done
busybox=/bin/busybox
[ -x $busybox ] || { echo "mkimage: $busybox is missing (apt-get install busybox-static)" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "$out/.mkimage.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

root=$work/rootfs
mkdir -p "$root/bin" "$root/etc" "$root$workdir" "$root/var/lib/pebble/default/layers" "$root/tmp" "$root/root"
cp $busybox "$root/bin/busybox"
for applet in $($busybox --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
cat > "$root/etc/passwd" <<EOF
root:x:0:0:root:/root:/bin/sh
www:x:1000:1000:web server:$workdir:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > "$root/etc/group" <<EOF
root:x:0:
www:x:1000:
web:x:33:www
nogroup:x:65534:
EOF
printf '%s\n' "$text" > "$root$workdir/index.html"
echo "this file is deleted by the image's second layer" > "$root$workdir/removed.html"
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
if [ "$(id -u)" -eq 0 ]; then
	chown -R 1000:1000 "$root$workdir"
fi
if [ $layer = yes ]; then
	cat > "$root/var/lib/pebble/default/layers/001-$name.yaml" <<EOF
summary: $name layer shipped in the image
services:
  $name:
    override: replace
    summary: busybox httpd on port $port
    command: /bin/sh -c "env | sort > $workdir/env.txt; pwd > $workdir/cwd.txt; id > $workdir/id.txt; exec /bin/httpd -f -p $port -h $workdir"
    startup: enabled
EOF
fi

layout=$work/layout
umoci init --layout "$layout"
umoci new --image "$layout:$name"
umoci insert --image "$layout:$name" "$root" /
umoci insert --image "$layout:$name" --whiteout "$workdir/removed.html"
set -- --image "$layout:$name" --config.workingdir "$workdir" --config.entrypoint /bin/httpd \
	--config.cmd -f --config.cmd -p --config.cmd "$port" --config.env PATH=/bin --config.env "IMAGE_NAME=$name"
[ -n "$user" ] && set -- "$@" --config.user "$user"
[ -n "$arch" ] && set -- "$@" --architecture "$arch"
old_ifs=$IFS
IFS='
'
for e in $envs; do
	[ -n "$e" ] && set -- "$@" --config.env "$e"
done
IFS=$old_ifs
umoci config "$@"
umoci gc --layout "$layout"

rm -rf "$out/$name.oci" "$out/$name.oci.tar" "$out/$name.docker.tar"
skopeo --insecure-policy copy --quiet "oci:$layout:$name" "oci-archive:$out/$name.oci.tar:$name"
skopeo --insecure-policy copy --quiet "oci:$layout:$name" "docker-archive:$out/$name.docker.tar:cairn-test/$name:latest"
mv "$layout" "$out/$name.oci"
echo "$out/$name.oci"
