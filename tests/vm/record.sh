#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The page of docs/systemd-run.md from one run of `debian12.sh --systemd`:
# what ran (commit, packages, image), then the guest's whole serial console.
# Usage: record.sh IMAGE-DIR DEBS-DIR CONSOLE-FILE SUMMARY-LINE   (to stdout)
set -eu
IMG=$1
DEBS=$2
CONSOLE=$3
SUMMARY=$4
HERE=$(cd "$(dirname "$0")" && pwd)

commit=$(git -C "$HERE" describe --always --dirty 2>/dev/null || echo unknown)
verdict=$(grep "^strata-vm: RESULT" "$CONSOLE" || echo "no verdict")
cat <<EOF2
<!-- SPDX-License-Identifier: BSD-3-Clause -->
# strata's packages on Debian 12 under systemd: a recorded run

The whole output of one run of the packages' test on a booted Debian 12 with
its own kernel (6.1) and systemd as PID 1: the operator's walk of
[operations.md](operations.md) from \`dpkg -i\` to \`systemctl stop\`, with
ntpdig from a second network namespace answered at every step. How it works:
[debian12-kernel.md](debian12-kernel.md), "The packages under systemd".
Made by

    sh scripts/build-deb.sh build/debs
    sh tests/vm/debian12.sh --systemd --record docs/systemd-run.md

on commit \`$commit\`, $(date -u +%Y-%m-%d), under qemu TCG (software
emulation) on a machine of 2 CPUs shared with other work: the times are
emulation's, not a real host's.

- Verdict: \`$verdict\`
- $SUMMARY
- Image: $(sed -n 's/^kernel /kernel /p' "$IMG/manifest"), $(grep '^systemd ' "$IMG/manifest" || echo "systemd (version in the output)")
- Packages:
EOF2
for d in "$DEBS"/*.deb; do
	echo "  - \`$(basename "$d")\` ($(du -k "$d" | cut -f1) KiB)"
done
cat <<EOF2

The lines \`strata-vm: --- STEP\` open a step, \`strata-vm: STEP: PASS|FAIL\`
close it; \`# command\` lines are the commands as an operator types them,
followed by their output.

\`\`\`
EOF2
cat "$CONSOLE"
echo "\`\`\`"
