#!/bin/sh
# Builds the pause charm's test image offline (tools/mkimage.sh: busybox-static, no Pebble
# layer of its own - the charm's layer defines the `pause` service) into DIR; prints the
# oci-archive to deploy.
#   cairn deploy ./charms/pause --resource pause-image=$(sh charms/pause/image.sh /tmp/pause-image)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: image.sh DIR}
sh "$here/../../tools/mkimage.sh" --out "$out" --name pause --no-layer --user "" --workdir /srv/pause \
	--text "pause" >/dev/null
echo "$(cd "$out" && pwd)/pause.oci.tar"
