#!/bin/sh
# Installs cairn's Debian build and test dependencies when any is missing.
# Safe to run repeatedly: it only calls apt-get when a package is absent.
set -e
PKGS="build-essential cmake pkg-config libjansson-dev libhttp-parser-dev libzip-dev libyaml-dev libsqlite3-dev libssl-dev libcrypt-dev openssl zip unzip python3 python3-yaml python3-websocket sqlite3 procps curl clang libclang-rt-14-dev llvm runc umoci skopeo containernetworking-plugins busybox-static iproute2 tar lld man-db"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
