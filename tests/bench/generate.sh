#!/usr/bin/env bash
# Benchmark: `secrets generate` on the PeakStone manifest against the shell
# script it replaces (one `openssl rand` per value, as the PeakStone stack's
# generate-secrets.sh does), timed by hyperfine in the same run; then the peak
# RSS of `secrets generate` from GNU time. Prints the ratio.
# Needs: hyperfine, openssl, GNU time (Debian: hyperfine openssl time).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo build --release -q -p stack-secrets
bin="$root/target/release/secrets"
manifest="$root/examples/stacks/peakstone.toml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The equivalent openssl script: one value per secret of the manifest.
cat >"$work/openssl.sh" <<'SH'
#!/bin/sh
echo "POSTGRES_SUPERPASS=$(openssl rand -base64 24 | tr -d '/+=')"
echo "JWT_SECRET=$(openssl rand -hex 32)"
echo "HASURA_ADMIN_SECRET=$(openssl rand -hex 32)"
echo "MINIO_ROOT_USER=$(openssl rand -hex 6)"
echo "MINIO_ROOT_PASS=$(openssl rand -base64 24 | tr -d '/+=')"
echo "S3_APP_ACCESS_KEY=$(openssl rand -hex 10)"
echo "S3_APP_SECRET_KEY=$(openssl rand -base64 24 | tr -d '/+=')"
echo "IMGPROXY_KEY_HEX=$(openssl rand -hex 32)"
echo "IMGPROXY_SALT_HEX=$(openssl rand -hex 16)"
echo "PGADMIN_PASSWORD=$(openssl rand -base64 24 | tr -d '/+=')"
echo "PGCAT_ADMIN_USER=$(openssl rand -hex 6)"
echo "PGCAT_ADMIN_PASSWORD=$(openssl rand -base64 24 | tr -d '/+=')"
echo "LOKI_ACCESS_KEY=$(openssl rand -hex 10)"
echo "LOKI_SECRET_KEY=$(openssl rand -base64 30 | tr -d '/+=')"
echo "GRAFANA_ADMIN_USER=$(openssl rand -hex 6)"
echo "GRAFANA_ADMIN_PASSWORD=$(openssl rand -base64 24 | tr -d '/+=')"
echo "DB_AUTHENTICATOR_PASSWORD=$(openssl rand -base64 24 | tr -d '/+=')"
echo "HASURA_DB_PASSWORD=$(openssl rand -base64 24 | tr -d '/+=')"
echo "DB_MIGRATOR_PASSWORD=$(openssl rand -base64 24 | tr -d '/+=')"
SH
chmod +x "$work/openssl.sh"

hyperfine --warmup 5 --min-runs 50 -N --export-json "$work/h.json" \
  -n openssl-script "$work/openssl.sh" \
  -n secrets-generate "$bin generate --manifest $manifest" >/dev/null 2>&1 \
  || hyperfine --warmup 5 --min-runs 50 --export-json "$work/h.json" \
  -n openssl-script "$work/openssl.sh" \
  -n secrets-generate "$bin generate --manifest $manifest" >/dev/null

rss_kib=$(/usr/bin/time -f '%M' "$bin" generate --manifest "$manifest" 2>&1 >/dev/null | tail -1)
python3 - "$work/h.json" "$rss_kib" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
o, s = r["openssl-script"], r["secrets-generate"]
rss = int(sys.argv[2])
print(f"openssl script:   {o['mean']*1000:8.2f} ms ± {o['stddev']*1000:.2f}")
print(f"secrets generate: {s['mean']*1000:8.2f} ms ± {s['stddev']*1000:.2f}")
print(f"ratio (openssl / secrets): {o['mean']/s['mean']:.1f}x   target >= 20x")
print(f"peak RSS of secrets generate: {rss/1024:.2f} MiB   target <= 8 MiB")
PY
