#!/usr/bin/env bash
# Measures of secrets-core as a library (issue: a deploy tool pays only for
# what it uses):
# - a clean release build of secrets-core without features, as a share of a
#   clean release build with its default features, side by side in this run
#   (each in a fresh target directory; target <= 40%);
# - unique crates linked without features and with defaults (target: at most
#   half of the 98 before features);
# - doctests of secrets-core (target >= 10);
# - lines of the CLI's command modules that existed before the library
#   operations (cade6ee), then and now (target: down by a third).
# Needs: cargo, git. Takes several minutes on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/secrets-library-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

cargo fetch -q
build() { # name, cargo args...
  local name=$1
  shift
  local start end
  start=$(date +%s.%N)
  CARGO_TARGET_DIR="$work/$name" cargo build -q --release -p stack-secrets-core "$@"
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.1f}')"
}
none=$(build none --no-default-features)
default=$(build default)
# A deploy tool builds secrets-core with its own release profile, not this
# workspace's (one codegen unit, for the CLI's size and speed): Cargo's
# default, 16 codegen units.
as_dep=(--config profile.release.codegen-units=16 --config 'profile.release.lto=false')
dep_none=$(build dep-none --no-default-features "${as_dep[@]}")
dep_default=$(build dep-default "${as_dep[@]}")
crates() {
  cargo tree -p stack-secrets-core -e normal --prefix none "$@" 2>/dev/null |
    sed 's/ (\*)//' | sort -u | grep -vc '^stack-secrets-core '
}
doctests=$(cargo test -q --doc -p stack-secrets-core 2>&1 |
  sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' | head -1)
files="audit catalog check export generate hash mod rotate write"
before=0
now=0
for f in $files; do
  before=$((before + $(git show "cade6ee:secrets-cli/src/commands/$f.rs" | wc -l)))
  now=$((now + $(wc -l <"secrets-cli/src/commands/$f.rs")))
done
all_now=$(cat secrets-cli/src/commands/*.rs | wc -l)

python3 - "$none" "$default" "$dep_none" "$dep_default" \
  "$(crates --no-default-features)" "$(crates)" \
  "$doctests" "$before" "$now" "$all_now" <<'PY'
import sys
none, default, dep_none, dep_default = map(float, sys.argv[1:5])
n_none, n_default, doctests, before, now, all_now = map(int, sys.argv[5:])
print(f"clean release build (this workspace's profile), no features: {none:.1f} s; default features: {default:.1f} s")
print(f"ratio (no features / default): {none / default:.2f}   target <= 0.40")
print(f"clean release build as a dependency (16 codegen units), no features: {dep_none:.1f} s; default: {dep_default:.1f} s")
print(f"ratio as a dependency (no features / default): {dep_none / dep_default:.2f}   target <= 0.40")
print(f"unique crates: {n_none} without features, {n_default} with defaults   target <= 49")
print(f"doctests: {doctests}   target >= 10")
print(f"CLI command modules of cade6ee: {before} lines then, {now} now "
      f"({now / before:.2f}x; target <= 0.67); all command modules now: {all_now}")
PY
