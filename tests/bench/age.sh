#!/usr/bin/env bash
# Benchmark, not a timed test: age decryption and `secrets run`, timed by
# hyperfine in the same run, ratios printed.
#  1. Decrypting a 1 MiB .env.age (X25519) to /dev/null: `secrets decrypt`
#     against the `age` CLI. Target: secrets at least as fast (ratio <= 1).
#  2. `secrets run --env .env.age -- true` against `secrets run --env .env
#     -- true`, with the same 1 MiB file and with a stack-sized one (the
#     PeakStone manifest's). Target: ratio <= 2.
# Needs: hyperfine, age (Debian: hyperfine age).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo build --release -q -p stack-secrets
bin="$root/target/release/secrets"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/secrets-age-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"

# 1 MiB of KEY=64-hex-digit lines.
python3 - "$work/.env" <<'PY'
import secrets, sys
with open(sys.argv[1], "w") as f:
    size, i = 0, 0
    while size < 1 << 20:
        line = f"KEY_{i:05d}={secrets.token_hex(32)}\n"
        f.write(line)
        size += len(line)
        i += 1
PY
chmod 600 "$work/.env"
age-keygen -o "$work/key.txt" 2>/dev/null
age-keygen -y "$work/key.txt" >"$work/key.pub"
"$bin" encrypt --env "$work/.env" -R "$work/key.pub" --out "$work/.env.age" 2>/dev/null
cmp <(age -d -i "$work/key.txt" "$work/.env.age") "$work/.env"
(umask 077; "$bin" generate --manifest "$root/examples/stacks/peakstone.toml" >"$work/small.env" 2>/dev/null)
"$bin" encrypt --env "$work/small.env" -R "$work/key.pub" --out "$work/small.env.age" 2>/dev/null

hyperfine --warmup 5 --min-runs 40 -N --export-json "$work/d.json" \
  -n age-d "age -d -i $work/key.txt -o /dev/null $work/.env.age" \
  -n secrets-decrypt "$bin decrypt --env $work/.env.age -i $work/key.txt" >/dev/null

hyperfine --warmup 5 --min-runs 40 -N --export-json "$work/r.json" \
  -n run-plain "$bin run --env $work/.env -- true" \
  -n run-age "$bin run --env $work/.env.age -i $work/key.txt -- true" \
  -n run-plain-small "$bin run --env $work/small.env -- true" \
  -n run-age-small "$bin run --env $work/small.env.age -i $work/key.txt -- true" >/dev/null

python3 - "$work/d.json" "$work/r.json" <<'PY'
import json, sys
d = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
r = {x["command"]: x for x in json.load(open(sys.argv[2]))["results"]}
a, s = d["age-d"], d["secrets-decrypt"]
p, e = r["run-plain"], r["run-age"]
ms = lambda x: f"{x['mean']*1000:8.2f} ms ± {x['stddev']*1000:.2f}"
print(f"age -d (1 MiB .env.age):            {ms(a)}")
print(f"secrets decrypt (1 MiB .env.age):   {ms(s)}")
print(f"ratio (secrets / age): {s['mean']/a['mean']:.2f}   target <= 1")
print(f"secrets run --env .env -- true:     {ms(p)}")
print(f"secrets run --env .env.age -- true: {ms(e)}")
print(f"ratio (encrypted / plain): {e['mean']/p['mean']:.2f}   target <= 2")
p, e = r["run-plain-small"], r["run-age-small"]
print(f"secrets run, stack-sized .env:      {ms(p)}")
print(f"secrets run, stack-sized .env.age:  {ms(e)}")
print(f"ratio (encrypted / plain): {e['mean']/p['mean']:.2f}   target <= 2")
PY
