#!/usr/bin/env bash
# Benchmark: `secrets audit` of a generated repository of 10,000 commits on
# three branches (1,000 files in 50 directories; every 200th commit adds a
# `.env.*` or `secrets/` file, half of them deleted or renamed later), against
# `git log --all --name-only` alone (every commit's changed paths, the floor
# for any history search), timed by hyperfine in the same run.
# Target: audit at most 1.5x git log. (The audit exits 1: it finds the
# secrets; hyperfine -i accepts that.)
# Needs: hyperfine, git, python3 (Debian: hyperfine git python3).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo build --release -q -p stack-secrets
bin="$root/target/release/secrets"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/secrets-history-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
repo="$work/repo"
git init -q -b main "$repo"

# A fast-import stream: commits touch one ordinary file each, with a
# secret-bearing path added every 200th commit (deleted or renamed 100
# commits later, one time out of two).
python3 - <<'PY' | git -C "$repo" fast-import --quiet
import sys
out = sys.stdout
def blob(mark, data):
    b = data.encode()
    out.write(f"blob\nmark :{mark}\ndata {len(b)}\n")
    out.write(data)
    out.write("\n")
mark = 1
commit = 0
tips = {}
for branch in ("main", "feature", "release"):
    n = {"main": 6000, "feature": 2000, "release": 2000}[branch]
    pending = []  # each branch starts from main's tip
    for i in range(n):
        commit += 1
        path = f"svc{commit % 50:02d}/src/f{(commit // 50) % 20:02d}.txt"
        blob(mark, f"line {commit}\n")
        data = mark
        mark += 1
        ops = [f"M 100644 :{data} {path}"]
        if commit % 200 == 0:
            kind = (commit // 200) % 3
            secret = (f"svc{commit % 50:02d}/.env.production" if kind == 0 else
                      f"svc{commit % 50:02d}/secrets/token{commit}" if kind == 1 else
                      f"deploy/.env.{commit}")
            blob(mark, "API_TOKEN=Zq8xT2mV9pL4rB7nK1wY6sD3fH0jG5cA\n")
            ops.append(f"M 100644 :{mark} {secret}")
            mark += 1
            if (commit // 200) % 2 == 0:
                pending.append((commit + 100, secret))
        for due, secret in [p for p in pending if p[0] == commit]:
            pending.remove((due, secret))
            ops.append(f"R {secret} {secret}.old" if due % 400 == 100 else f"D {secret}")
        msg = f"commit {commit}\n"
        out.write(f"commit refs/heads/{branch}\nmark :{mark}\n")
        out.write(f"committer Bench <b@example.com> {1600000000 + commit} +0000\n")
        out.write(f"data {len(msg)}\n{msg}")
        if i == 0 and branch != "main":
            out.write(f"from {tips['main']}\n")
        out.write("\n".join(ops) + "\n\n")
        tips[branch] = f":{mark}"
        mark += 1
PY
git -C "$repo" checkout -q -f main
echo "repository: $(git -C "$repo" rev-list --all | wc -l) commits, $(git -C "$repo" ls-files | wc -l) files on main" >&2

hyperfine --warmup 2 --min-runs 10 -N -i --export-json "$work/h.json" \
  -n git-log "git -C $repo log --all --name-only" \
  -n secrets-audit "$bin audit $repo --fail-on high" >/dev/null

# The audit must have searched the history: it names deleted secret files.
found=$("$bin" audit "$repo" --format json --fail-on high | grep -c '"SA006"' || true)
python3 - "$work/h.json" "$found" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
g, a = r["git-log"], r["secrets-audit"]
print(f"git log --all --name-only: {g['mean']*1000:8.2f} ms ± {g['stddev']*1000:.2f}")
print(f"secrets audit:             {a['mean']*1000:8.2f} ms ± {a['stddev']*1000:.2f}")
print(f"ratio (audit / git log): {a['mean']/g['mean']:.2f}   target <= 1.5")
print(f"SA006 findings: {sys.argv[2]}")
PY
