#!/bin/sh
# Prints cairn's and scree's benchmark figures (see each script's header).
#   bench/run.sh            lifecycle at 1,000 and 10,000 units (a 10k run takes a while), then
#                           the SDK, scree and pod benchmarks
#   bench/run.sh --quick    lifecycle at 1,000 units only, then the others
set -eu
here=$(cd "$(dirname "$0")" && pwd)
export BIN_DIR="$here/../build/bin"
python3 "$here/lifecycle.py" "$@"
python3 "$here/sdk.py"
python3 "$here/relations.py"
for b in "$here"/scree_*.py "$here"/pod_*.py; do
	[ -f "$b" ] && python3 "$b"
done
exit 0
