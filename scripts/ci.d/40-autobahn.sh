#!/usr/bin/env bash
# The Autobahn TestSuite, groups 1-10, both roles, diffed against
# autobahn/expected-results.json (pass rule enforced by the checker).
set -euo pipefail
exec scripts/autobahn.sh
