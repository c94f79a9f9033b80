#!/usr/bin/env bash
# Benchmark: `secrets audit` over a generated tree of 100,000 files with 200
# `.env` files scattered in it, against `find TREE -name '.env*' -printf
# '%m %u %p\n'` (one stat walk, the floor), timed by hyperfine in the same
# run. Targets: at most 1.5x find's wall time; peak RSS at most 32 MiB.
# Needs: hyperfine, GNU time (Debian: hyperfine time).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo build --release -q -p stack-secrets
bin="$root/target/release/secrets"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/secrets-audit-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 - "$work/tree" <<'PY'
import os, random, sys
root = sys.argv[1]
random.seed(7)
dirs = []
for a in range(40):
    for b in range(25):
        d = os.path.join(root, f"svc{a:02d}", f"part{b:02d}")
        os.makedirs(d)
        dirs.append(d)
n = 0
for d in dirs:                       # 1,000 directories x 100 files
    for i in range(100):
        open(os.path.join(d, f"f{i:03d}.txt"), "w").close()
        n += 1
for d in random.sample(dirs, 200):   # replace 200 of them with .env files
    os.remove(os.path.join(d, "f000.txt"))
    with open(os.path.join(d, ".env"), "w") as f:
        f.write("API_TOKEN=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\n")
    os.chmod(os.path.join(d, ".env"), 0o600)
print(f"tree: {n} files, 200 .env", file=sys.stderr)
PY

hyperfine --warmup 3 --min-runs 20 -N --export-json "$work/h.json" \
  -n find "find $work/tree -name .env* -printf '%m %u %p\n'" \
  -n secrets-audit "$bin audit $work/tree --fail-on high" >/dev/null

rss_kib=$(/usr/bin/time -f '%M' "$bin" audit "$work/tree" --fail-on high 2>&1 >/dev/null | tail -1)
python3 - "$work/h.json" "$rss_kib" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
f, a = r["find"], r["secrets-audit"]
print(f"find (stat walk):  {f['mean']*1000:8.2f} ms ± {f['stddev']*1000:.2f}")
print(f"secrets audit:     {a['mean']*1000:8.2f} ms ± {a['stddev']*1000:.2f}")
print(f"ratio (audit / find): {a['mean']/f['mean']:.2f}   target <= 1.5")
print(f"peak RSS of secrets audit: {int(sys.argv[2])/1024:.2f} MiB   target <= 32 MiB")
PY
