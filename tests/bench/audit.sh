#!/usr/bin/env bash
# Benchmark: `secrets audit` over a generated tree of 100,000 files with 200
# `.env` files scattered in it, against `find TREE -name '.env*' -printf
# '%m %u %p\n'` (one stat walk, the floor), timed by hyperfine in the same
# run. Targets: at most 1.5x find's wall time; peak RSS at most 32 MiB.
#
# Then memory on hard links (issue 25): one 4 MB compose file hard-linked
# as dN/docker-compose.yml 150 times (4 MB on disk), next to a baseline
# audit of a small tree (one stack) in the same run, peak RSS of each by
# GNU time. Each inode is read once and the bytes kept have one cap, so the
# hard-link tree must stay within 128 MiB (the old release: 583 MiB).
#
# `audit.sh memory` runs the memory case alone (no hyperfine needed);
# SECRETS_BIN=/path/to/secrets measures another build.
# Needs: hyperfine, GNU time (Debian: hyperfine time).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo build --release -q -p stack-secrets
bin="${SECRETS_BIN:-$root/target/release/secrets}"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/secrets-audit-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Peak RSS in MiB of `secrets audit ARGS...`.
peak_mib() {
  local kib
  # Exit 1 (findings) is an answer, not a failure of the benchmark.
  kib=$({ /usr/bin/time -f '%M' "$bin" audit "$@" 2>&1 >/dev/null || true; } | tail -1)
  python3 -c 'import sys; print(f"{int(sys.argv[1]) / 1024:.1f}")' "$kib"
}

memory() {
  python3 - "$work/links" "$work/small" <<'PY'
import os, sys
links, small = sys.argv[1:]
text = ["services:\n  db:\n    image: postgres:16\n"]
size, i = len(text[0]), 0
while size < 4_000_000:
    line = f"  s{i:06d}:\n    image: busybox:1.36\n    restart: unless-stopped\n"
    text.append(line)
    size += len(line)
    i += 1
os.makedirs(os.path.join(links, "d0"))
first = os.path.join(links, "d0", "docker-compose.yml")
with open(first, "w") as f:
    f.write("".join(text))
for n in range(1, 150):
    os.makedirs(os.path.join(links, f"d{n}"))
    os.link(first, os.path.join(links, f"d{n}", "docker-compose.yml"))
os.makedirs(small)
with open(os.path.join(small, "docker-compose.yml"), "w") as f:
    f.write("services:\n  app:\n    image: busybox\n    env_file: .env\n")
with open(os.path.join(small, ".env"), "w") as f:
    f.write("API_TOKEN=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\n")
os.chmod(os.path.join(small, ".env"), 0o600)
print(f"hard-link tree: 150 names of one {size:,}-byte compose file", file=sys.stderr)
PY
  local small links
  small=$(peak_mib "$work/small")
  links=$(peak_mib "$work/links")
  echo "peak RSS, small tree (baseline):            $small MiB"
  echo "peak RSS, 150 hard links of a 4 MB compose: $links MiB   target <= 128 MiB (old release: 583)"
  python3 -c 'import sys; print(f"ratio (hard links / small tree): {float(sys.argv[2]) / float(sys.argv[1]):.1f}")' "$small" "$links"
}

if [ "${1:-}" = memory ]; then
  memory
  exit
fi

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

memory
