#!/usr/bin/env bash
# Benchmark, not a timed test: `secrets check` and `secrets init --from`
# grow linearly with their input, up to the 4 MiB limit of a .env or
# template. Each is timed by hyperfine at 1,000 keys (lines) and at larger
# sizes in the same run; printed per size: the mean time, the time per key,
# and the growth ratio (time ratio / size ratio against the 1,000 one:
# linear is about 1, quadratic would be the size ratio, 40 or 150).
#  1. check: a .env of secret-like names and values with a template
#     (.env.example) of the same keys beside it, so that the template rules
#     run too: 1,000 keys, 40,000 keys, and as many as fit under 4 MiB
#     (about 150,000).
#  2. init --from: a template made of the corpus's templates
#     (tests/fixtures/init/*.env.example, comments, URLs, commented
#     variables and all), each copy's names prefixed: 1,000 lines, 40,000
#     lines, and as many as fit under 4 MiB.
# Also printed: peak RSS of both at 4 MiB (GNU time). Target: growth ratio
# at most 2 at every size.
# Needs: hyperfine, python3, GNU time (Debian: hyperfine python3 time).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo build --release -q -p stack-secrets
bin="$root/target/release/secrets"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/secrets-linear-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"

# gen.py env DIR KEYS|max: DIR/.env and DIR/.env.example; prints the keys.
# gen.py template FILE LINES|max FIXTURES: prints the lines.
cat >"$work/gen.py" <<'PY'
import glob, os, random, re, sys
LIMIT = (4 << 20) - 1024  # just under the 4 MiB limit of a .env
random.seed(25)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
def env(d, n):
    suffixes = ["PASSWORD", "TOKEN", "SECRET", "API_KEY", "SALT", "URL", "PORT", "HOST"]
    os.makedirs(d)
    with open(f"{d}/.env", "w") as env, open(f"{d}/.env.example", "w") as tmpl:
        size, i = 0, 0
        while n == "max" or i < int(n):
            s = suffixes[i % 8]
            key = f"S{i:06d}_{s}"
            if s == "URL":
                value = f"https://s{i}.example.org"
            elif s == "PORT":
                value = str(8000 + i % 1000)
            elif s == "HOST":
                value = f"s{i}"
            else:
                value = "".join(random.choice(ALNUM) for _ in range(16))
            line = f"{key}={value}\n"
            if size + len(line) > LIMIT:
                break
            env.write(line)
            tmpl.write(f"{key}=changeme\n")
            size += len(line)
            i += 1
    os.chmod(f"{d}/.env", 0o600)
    print(i)
def template(out, n, fixtures):
    texts = []
    for p in sorted(glob.glob(os.path.join(fixtures, "*.env.example"))):
        t = open(p).read()
        t = t if t.endswith("\n") else t + "\n"
        names = set(re.findall(r"^\s*#?\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=", t, re.M))
        texts.append((t, re.compile(r"\b(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b")))
    lines, size, k = 0, 0, 0
    with open(out, "w") as f:
        while n == "max" or lines < int(n):
            t, names = texts[k % len(texts)]
            block = names.sub(lambda m: f"B{k}_{m.group(1)}", t).splitlines(keepends=True)
            if n != "max":
                block = block[: int(n) - lines]
            text = "".join(block)
            if size + len(text.encode()) > LIMIT:
                break
            f.write(text)
            lines, size, k = lines + len(block), size + len(text.encode()), k + 1
    print(lines)
if sys.argv[1] == "env":
    env(sys.argv[2], sys.argv[3])
else:
    template(sys.argv[2], sys.argv[3], sys.argv[4])
PY

sizes=(1000 40000 max)
declare -A keys lines
for n in "${sizes[@]}"; do
  keys[$n]=$(python3 "$work/gen.py" env "$work/env-$n" "$n")
  lines[$n]=$(python3 "$work/gen.py" template "$work/template-$n" "$n" "$root/tests/fixtures/init")
done
# The templates parse (init exits 0): a broken block would time an error.
for n in "${sizes[@]}"; do
  "$bin" -q init --from "$work/template-$n" >/dev/null
done

# Exit status 1 means findings (check finds plenty in generated values).
# The large runs take seconds each: a few are enough.
for n in "${sizes[@]}"; do
  if [ "$n" = 1000 ]; then opts=(--warmup 3 --runs 30); else opts=(--warmup 0 --runs 3); fi
  hyperfine "${opts[@]}" -N -i --export-json "$work/check-$n.json" \
    -n "check-$n" "$bin check --env $work/env-$n/.env" >/dev/null 2>&1
  hyperfine "${opts[@]}" -N --export-json "$work/init-$n.json" \
    -n "init-$n" "$bin -q init --from $work/template-$n" >/dev/null 2>&1
done

# GNU time's last line is the peak RSS in KiB (check exits 1: findings).
peak_kib() { { /usr/bin/time -f '%M' "$@" >/dev/null || true; } 2>&1 | tail -1; }
rss_check=$(peak_kib "$bin" check --env "$work/env-max/.env")
rss_init=$(peak_kib "$bin" -q init --from "$work/template-max")
bytes_env=$(stat -c %s "$work/env-max/.env")
bytes_template=$(stat -c %s "$work/template-max")

python3 - "$work" "$rss_check" "$rss_init" "$bytes_env" "$bytes_template" \
  "${keys[1000]}" "${keys[40000]}" "${keys[max]}" \
  "${lines[1000]}" "${lines[40000]}" "${lines[max]}" <<'PY'
import json, sys
work, rss_check, rss_init, bytes_env, bytes_template = sys.argv[1:6]
keys = dict(zip(["1000", "40000", "max"], map(int, sys.argv[6:9])))
lines = dict(zip(["1000", "40000", "max"], map(int, sys.argv[9:12])))
def mean(name):
    return json.load(open(f"{work}/{name}.json"))["results"][0]
worst = 0.0
for what, sizes, unit in (("check", keys, "keys"), ("init --from", lines, "lines")):
    base = mean(f"{what.split()[0]}-1000")
    for n in ("1000", "40000", "max"):
        r = mean(f"{what.split()[0]}-{n}")
        growth = (r["mean"] / base["mean"]) / (sizes[n] / sizes["1000"])
        worst = max(worst, growth)
        print(f"{what:12} {sizes[n]:7,} {unit:5}: {r['mean']*1000:9.1f} ms ± {r['stddev']*1000:6.1f}"
              f"   {r['mean']/sizes[n]*1e6:6.2f} µs per {unit[:-1]:4}   growth ratio {growth:.2f}")
print(f"peak RSS of check at {int(bytes_env):,} bytes ({keys['max']:,} keys): {int(rss_check)/1024:.1f} MiB")
print(f"peak RSS of init at {int(bytes_template):,} bytes ({lines['max']:,} lines): {int(rss_init)/1024:.1f} MiB")
print(f"worst growth ratio: {worst:.2f}   target <= 2 (linear is about 1)")
PY
