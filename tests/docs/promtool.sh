#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The alert rules: `promtool check rules` (syntax, PromQL) and `promtool test
# rules` (each alert fires on its series and a healthy server raises none).
# promtool comes from Debian's prometheus package, unpacked by
# scripts/install-deps.sh without installing a Prometheus server. Without it
# the test skips (77), except under CI=true, where it fails.
set -eu
MON=${1:?usage: promtool.sh MONITORING_DIR}
PROMTOOL=${PROMTOOL:-}
if [ -z "$PROMTOOL" ]; then
	for p in "$(command -v promtool 2>/dev/null || true)" \
		/usr/local/lib/strata-test/prometheus/usr/bin/promtool; do
		if [ -n "$p" ] && [ -x "$p" ]; then
			PROMTOOL=$p
			break
		fi
	done
fi
if [ -z "$PROMTOOL" ]; then
	echo "promtool not found (sh scripts/install-deps.sh unpacks it)"
	[ "${CI:-}" = true ] && exit 1
	exit 77
fi
"$PROMTOOL" check rules "$MON/strata.rules.yml"
# the test file names its rule file relative to itself
cd "$MON"
"$PROMTOOL" test rules strata.rules.test.yml
