#!/bin/sh
# Builds the web charm's test image offline (tools/mkimage.sh: busybox-static, its own Pebble
# layer with the `web` service on port 8080) into DIR; prints the oci-archive to deploy.
#   cairn deploy ./charms/web --resource web-image=$(sh charms/web/image.sh /tmp/web-image)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: image.sh DIR [TEXT]}
text=${2:-hello from the web image}
sh "$here/../../tools/mkimage.sh" --out "$out" --name web --port 8080 --text "$text" >/dev/null
echo "$(cd "$out" && pwd)/web.oci.tar"
