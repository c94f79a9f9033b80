#!/usr/bin/env bash
# Benchmark: `secrets rotate` of one key in a 10,000-line .env against
# `sed -i` doing the same substitution (sed neither locks nor fsyncs), timed
# by hyperfine in the same run. Target: ratio at most 3. Also prints peak RSS.
# Needs: hyperfine, GNU time (Debian: hyperfine time).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo build --release -q -p stack-secrets
bin="$root/target/release/secrets"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/secrets-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"

python3 - "$work/orig.env" <<'PY'
import secrets, sys
with open(sys.argv[1], "w") as f:
    for i in range(10_000):
        if i % 10 == 0:
            f.write(f"# comment {i}\n")
        else:
            f.write(f"KEY_{i:05d}={secrets.token_hex(32)}\n")
PY
chmod 600 "$work/orig.env"
new=$(python3 -c 'import secrets; print(secrets.token_hex(32))')

hyperfine --warmup 5 --min-runs 40 -N --export-json "$work/h.json" \
  --prepare "cp -p $work/orig.env $work/sed.env" -n sed-i "sed -i s/^KEY_05001=.*/KEY_05001=$new/ $work/sed.env" \
  --prepare "cp -p $work/orig.env $work/rot.env" -n secrets-rotate "$bin rotate --env $work/rot.env KEY_05001" >/dev/null

cp -p "$work/orig.env" "$work/rot.env"
rss_kib=$(/usr/bin/time -f '%M' "$bin" rotate --env "$work/rot.env" KEY_05001 2>&1 >/dev/null | tail -1)
python3 - "$work/h.json" "$rss_kib" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
s, q = r["sed-i"], r["secrets-rotate"]
print(f"sed -i (no lock, no fsync):  {s['mean']*1000:8.2f} ms ± {s['stddev']*1000:.2f}")
print(f"secrets rotate (lock, fsync): {q['mean']*1000:8.2f} ms ± {q['stddev']*1000:.2f}")
print(f"ratio (secrets / sed): {q['mean']/s['mean']:.2f}   target <= 3")
print(f"peak RSS of secrets rotate: {int(sys.argv[2])/1024:.2f} MiB")
PY
