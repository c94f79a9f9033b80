#!/usr/bin/env bash
# Benchmark: `secrets init` plus `secrets write --template` on the largest
# template of the corpus (a Formbricks-like .env.example, 175 variables, 59
# active) against the shell way: copy the template and run one `openssl
# rand` per secret it needs (the 5 that `init` finds), editing each in with
# sed. Timed by hyperfine in the same run; prints the ratio.
# Needs: hyperfine, openssl, sed (Debian: hyperfine openssl sed).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo build --release -q -p stack-secrets
bin="$root/target/release/secrets"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"
cp "$root/tests/fixtures/init/formbricks.env.example" "$work/.env.example"

# The secrets init finds, checked so that both sides do the same work.
secrets_found=$(cd "$work" && "$bin" init --from .env.example 2>/dev/null | awk '
  /^# line [0-9]+: (catalog|inferred) secret:/ {
    getline; while ($0 ~ /^# uncertain/) getline
    if ($0 !~ /^#/) printf "%s ", $1
  }')
echo "secrets generated: $secrets_found"

cat >"$work/openssl.sh" <<SH
#!/bin/sh
set -e
cd "$work"
rm -f shell.env
cp .env.example shell.env
chmod 600 shell.env
for key in $secrets_found; do
  value=\$(openssl rand -hex 32)
  sed -i "s/^\$key=.*/\$key=\$value/" shell.env
done
SH
cat >"$work/secrets.sh" <<SH
#!/bin/sh
set -e
cd "$work"
rm -f secrets.toml .env
"$bin" -q init --from .env.example --out secrets.toml
"$bin" -q write --out .env --manifest secrets.toml --template .env.example
SH
chmod +x "$work/openssl.sh" "$work/secrets.sh"

hyperfine --warmup 5 --min-runs 50 -N --export-json "$work/h.json" \
  -n openssl-script "$work/openssl.sh" \
  -n secrets-init-write "$work/secrets.sh" >/dev/null

python3 - "$work/h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
o, s = r["openssl-script"], r["secrets-init-write"]
# Medians: the shared machine's outliers move the means.
print(f"openssl script:        median {o['median']*1000:7.2f} ms (mean {o['mean']*1000:.2f} ± {o['stddev']*1000:.2f})")
print(f"secrets init + write:  median {s['median']*1000:7.2f} ms (mean {s['mean']*1000:.2f} ± {s['stddev']*1000:.2f})")
print(f"ratio (openssl / secrets, medians): {o['median']/s['median']:.2f}x   target > 1x")
PY

# A compose line of 25,000 unclosed `${` against a plain line of the same
# length: reading it must cost about what the plain line costs (matching each
# `${` with its `}` used to rescan the rest of the line: quadratic).
for kind in braces plain; do
  mkdir -p "$work/$kind"
  printf 'DB_PASSWORD=\n' >"$work/$kind/.env.example"
  python3 - "$kind" >"$work/$kind/compose.yml" <<'PY'
import sys
line = "${" * 25000 if sys.argv[1] == "braces" else "ab" * 25000
print(f'services:\n  app:\n    image: nginx\n    environment:\n      X: "{line}"\n      DB_PASSWORD: ${{DB_PASSWORD}}')
PY
done
hyperfine --warmup 3 --min-runs 20 -N --export-json "$work/b.json" \
  -n plain-line "$bin -q init --from $work/plain/.env.example --compose $work/plain/compose.yml" \
  -n brace-line "$bin -q init --from $work/braces/.env.example --compose $work/braces/compose.yml" >/dev/null
python3 - "$work/b.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
p, b = r["plain-line"], r["brace-line"]
print(f"init, plain 50 KB line:      median {p['median']*1000:7.2f} ms")
print(f"init, 25,000 unclosed '${{':  median {b['median']*1000:7.2f} ms")
print(f"ratio (braces / plain, medians): {b['median']/p['median']:.2f}x   target < 2x")
PY
