#!/usr/bin/env bash
# Executes docs/deployment.md: every block marked <!-- guide: NAME --> is run
# as written, with the shell variables the guide defines, on five simulated
# machines. Each machine is its own folder and its own loopback address
# (127.0.0.2 to 127.0.0.6) with the guide's ports, so the nodes bind and dial
# exactly as on five hosts; copying a file between folders stands for scp.
# The coordinator, the enclave and the requester have folders of their own.
#
#   tests/deploy/guide_test.sh SOURCE_DIR VIGIL VIGILD   (the two binaries under test)
#
# Also: deploy/vigild.service through systemd-analyze verify where systemd is
# installed, and the Dockerfile's build context (.dockerignore applied)
# configured afresh, as `docker build` would. Keeps its folder on failure.
set -euo pipefail

source_dir=$(cd "$1" && pwd)
guide=$source_dir/docs/deployment.md
work=$(mktemp -d /tmp/vigil-guide.XXXXXX)
# The guide's commands find vigil and vigild on PATH, as after its install step.
bin_dir=$work/bin
mkdir -p "$bin_dir"
ln -s "$(realpath "$2")" "$bin_dir/vigil"
ln -s "$(realpath "$3")" "$bin_dir/vigild"
export PATH=$bin_dir:$PATH
declare -A started=()  # machine -> vigild pid
declare -A ran=()      # guide step -> times run
background=()

say() { printf '\n== %s\n' "$*"; }
die() {
  echo "guide_test: $*" >&2
  echo "guide_test: logs and folders kept in $work" >&2
  exit 1
}
cleanup() {
  local status=$?
  for pid in "${started[@]}" "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$status" -eq 0 ] && rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

# Linux routes all of 127.0.0.0/8 to lo; say so plainly where it does not
# (a connection to a closed port there is refused, not unreachable).
probe=$( (exec 3<>/dev/tcp/127.0.0.2/9) 2>&1 || true)
case $probe in
  "" | *refused*) ;;
  *) die "127.0.0.2 is not a loopback address here ($probe): the five machines need 127.0.0.2-6" ;;
esac

# The text of the guide's block NAME, or nothing if there is none.
block() {
  awk -v marker="<!-- guide: $1 -->" '
    $0 == marker { armed = 1; next }
    armed && /^```sh$/ { inside = 1; armed = 0; next }
    inside && /^```$/ { exit }
    inside { print }
  ' "$guide"
}

host_of() { echo "127.0.0.$(($1 + 1))"; }
node_urls() {
  local urls="" n
  for n in "$@"; do urls+="${urls:+,}http://$(host_of "$n"):8100"; done
  echo "$urls"
}
NODES=$(node_urls 1 2 3 4 5)

# run_step PLACE STEP [VAR=value ...]: runs the guide's block STEP in
# $work/PLACE with the guide's variables (a node's for m1..m5), logging to
# $work/log; exit status is the block's.
run_step() {
  local place=$1 step=$2
  shift 2
  local text
  text=$(block "$step")
  [ -n "$text" ] || die "docs/deployment.md has no block <!-- guide: $step -->"
  ran[$step]=$((${ran[$step]:-0} + 1))
  local vars=(NODES="$NODES")
  if [[ $place =~ ^m([0-9]+)$ ]]; then
    local n=${BASH_REMATCH[1]}
    vars+=(INDEX="$n" HOST="$(host_of "$n")" VIGIL_DATA="$work/$place/vigil")
  fi
  mkdir -p "$work/$place" "$work/log"
  local log="$work/log/$step.$place.${ran[$step]}"
  echo "-- $place: $step" >&2
  (cd "$work/$place" && env "${vars[@]}" "$@" bash -euo pipefail -c "$text") >"$log" 2>&1
}
# Like run_step, but the step must succeed; its output is shown.
step() {
  local log_status=0
  run_step "$@" || log_status=$?
  cat "$work/log/$2.$1.${ran[$2]}"
  [ "$log_status" -eq 0 ] || die "step $2 on $1 failed (exit $log_status)"
}

# A GET through bash's /dev/tcp: the response body.
http_get() {
  local host=$1 path=$2
  exec 9<>"/dev/tcp/$host/8100" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$host" >&9
  sed '1,/^\r$/d' <&9
  exec 9<&-
}
wait_healthy() {
  local n=$1 tries=0
  until http_get "$(host_of "$n")" /healthz 2>/dev/null | grep -q .; do
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || die "node $n did not answer /healthz (log: $work/log/vigild.m$n)"
    kill -0 "${started[m$n]}" 2>/dev/null || die "vigild on m$n exited: $(tail -5 "$work/log/vigild.m$n")"
    sleep 0.1
  done
}
# Starts the guide's `run` block on machine N in the background.
start_node() {
  local n=$1 text
  text=$(block run)
  [ -n "$text" ] || die "docs/deployment.md has no block <!-- guide: run -->"
  ran[run]=$((${ran[run]:-0} + 1))
  (cd "$work/m$n" && INDEX=$n HOST=$(host_of "$n") VIGIL_DATA="$work/m$n/vigil" exec bash -c "exec $text") \
    >>"$work/log/vigild.m$n" 2>&1 &
  started[m$n]=$!
  wait_healthy "$n"
}
stop_node() {
  local n=$1
  kill -TERM "${started[m$n]}" 2>/dev/null || true
  wait "${started[m$n]}" 2>/dev/null || true
  unset "started[m$n]"
}
# Copies FILE from one place to another, as the operators would send it.
send() { mkdir -p "$(dirname "$work/$2")" && cp "$work/$1" "$work/$2"; }

say "1. each node: init"
for n in 1 2 3 4 5; do step "m$n" init; done

say "2. key exchange"
step ops operator-key
for n in 1 2 3 4 5; do send "m$n/vigil/cluster-entry.json" "ops/entries/node-$n.json"; done
step ops describe
for n in 1 2 3 4 5; do
  send ops/cluster-description.json "m$n/cluster-description.json"
  step "m$n" pin
done

say "3. run and check"
for n in 1 2 3 4 5; do start_node "$n"; done
# A node just started may take a moment to link every peer: doctor is run
# until it is satisfied, and must be within ten seconds.
for n in 1 2 3 4 5; do
  for attempt in $(seq 20); do
    run_step "m$n" doctor && break
    [ "$attempt" -lt 20 ] || { cat "$work/log/doctor.m$n.${ran[doctor]}"; die "vigil doctor is not satisfied on m$n"; }
    sleep 0.5
  done
  cat "$work/log/doctor.m$n.${ran[doctor]}"
done

say "4. DKG"
step ops dkg
[ -s "$work/ops/cluster/cluster.json" ] || die "dkg wrote no cluster/cluster.json"

say "5. protect and heartbeats"
step admin requester-key
send admin/admin.key.pub enclave/admin.key.pub
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/enclave/wallet.key"
step enclave protect
send enclave/wallet.id admin/wallet.id
text=$(block heartbeat)
ran[heartbeat]=1
(cd "$work/enclave" && NODES=$NODES exec bash -c "exec $text") >"$work/log/heartbeat.enclave" 2>&1 &
background+=($!)
heartbeats=$!
for _ in $(seq 50); do grep -q "^heartbeat" "$work/log/heartbeat.enclave" && break; sleep 0.1; done
cat "$work/log/heartbeat.enclave"

say "6. recovery: refused while the enclave beats, granted once it is silent"
if run_step admin recover; then die "recover succeeded while the enclave sent heartbeats"; fi
cat "$work/log/recover.admin.1"
grep -q enclave_alive "$work/log/recover.admin.1" || die "the early recovery was not refused with enclave_alive"
kill "$heartbeats"
wait "$heartbeats" 2>/dev/null || true
sleep 11  # the policy's --silence 10s, measured from the last heartbeat
step admin recover
cmp "$work/enclave/wallet.key" "$work/admin/recovered.key" || die "the recovered secret differs"
# A requester in another language, written from docs/cryptography.md alone,
# opens the same cluster's sealed shares, checks them and decrypts.
if command -v python3 >/dev/null; then
  (cd "$work/admin" &&
    vigil recover prepare --nodes "$NODES" --key-id wallet.id --request request.json --response-key response.key &&
    vigil recover sign --request request.json --requester-key admin.key) >"$work/log/prepare.admin" 2>&1 ||
    die "recover prepare/sign failed: $(cat "$work/log/prepare.admin")"
  python3 "$source_dir/tests/vectors/decrypt_from_docs.py" --recover "$work/ops/cluster" "$work/admin/request.json" \
    "$work/admin/response.key" >"$work/admin/from-docs.key" 2>"$work/log/from-docs.admin" ||
    die "decrypt_from_docs.py --recover: $(cat "$work/log/from-docs.admin")"
  cmp "$work/enclave/wallet.key" "$work/admin/from-docs.key" || die "the Python requester recovered another secret"
  echo "recovered again by tests/vectors/decrypt_from_docs.py, from the docs alone"
else
  echo "SKIPPED: python3 is not installed (the recovery from docs/cryptography.md alone)"
fi

say "restart: the node keeps its key and its finished DKG"
stop_node 1
start_node 1
status=$(http_get "$(host_of 1)" /v1/status)
for field in group_public_key transcript_digest; do
  grep -Eq "\"$field\": *\"[A-Za-z0-9+/=]{20,}\"" <<<"$status" || die "/v1/status after a restart lacks $field: $status"
done

say "7. replace node 5 with a new machine and identity, then reshare"
stop_node 5
rm -rf "${work:?}/m5"
# The new machine is prepared in another folder and moved into place, as a
# folder prepared on a host is mounted into a container: node.toml names
# its data folder relative to itself.
mkdir -p "$work/m5"
step m5 init VIGIL_DATA="$work/staging/vigil"
mv "$work/staging/vigil" "$work/m5/vigil"
send m5/vigil/cluster-entry.json ops/entries/node-5.json
step ops describe
for n in 1 2 3 4 5; do
  send ops/cluster-description.json "m$n/cluster-description.json"
  step "m$n" pin
  [ "$n" -eq 5 ] || stop_node "$n"
  start_node "$n"
done
sleep 1
step ops reshare
# With nodes 1 and 2 down, nodes 3, 4 and the new 5 must serve: node 5 holds
# a share of the same key and learned the secret from its peers. It counts
# the enclave's silence from when it learned the secret.
stop_node 1
stop_node 2
sleep 11
rm -f "$work/admin/recovered.key"
step admin recover
cmp "$work/enclave/wallet.key" "$work/admin/recovered.key" || die "the secret recovered after resharing differs"

say "4b. the trusted-dealer path, on the five machines afresh"
for n in 1 2 3 4 5; do
  if [ -n "${started[m$n]:-}" ]; then stop_node "$n"; fi
done
for n in 1 2 3 4 5; do mv "$work/m$n" "$work/dkg-m$n"; done
mkdir -p "$work/dealer/entries"
for n in 1 2 3 4 5; do
  step "m$n" init
  send "m$n/vigil/cluster-entry.json" "dealer/entries/node-$n.json"
done
send ops/ops.key.pub dealer/ops.key.pub
step dealer describe
step dealer deal
for n in 1 2 3 4 5; do
  send dealer/cluster-description.json "m$n/cluster-description.json"
  send dealer/deal.json "m$n/deal.json"
  step "m$n" pin
  step "m$n" import-share
  start_node "$n"
done
# A new enclave, with a key of its own, protects its secret anew.
rm -f "$work"/enclave/enclave.key* "$work/enclave/wallet.id" "$work/admin/recovered.key"
step enclave protect
send enclave/wallet.id admin/wallet.id
sleep 11  # the policy's silence: no heartbeat was ever sent
step admin recover
cmp "$work/enclave/wallet.key" "$work/admin/recovered.key" || die "the secret recovered from the dealt key differs"

say "every marked block of the guide ran"
while read -r name; do
  [ -n "${ran[$name]:-}" ] || die "the guide's block '$name' is not exercised by this test"
done < <(sed -n 's/^<!-- guide: \(.*\) -->$/\1/p' "$guide")

say "deploy/vigild.service"
if command -v systemd-analyze >/dev/null; then
  # The unit as installed, with ExecStart pointed at this build's vigild.
  sed "s|/opt/vigil/bin/vigild|$bin_dir/vigild|" "$source_dir/deploy/vigild.service" >"$work/vigild.service"
  out=$(systemd-analyze verify "$work/vigild.service" 2>&1) || die "systemd-analyze verify: $out"
  [ -z "$out" ] || die "systemd-analyze verify: $out"
  echo "systemd-analyze verify: clean"
else
  echo "SKIPPED: systemd-analyze is not installed"
fi

say "deploy/Dockerfile: a clean build context configures"
# docker build's COPY . . with .dockerignore applied: its patterns name
# top-level paths or **/ globs.
context=$work/docker-context
mkdir -p "$context"
mapfile -t ignored < <(grep -Ev '^\s*(#|$)' "$source_dir/.dockerignore" | sed 's|/$||')
for entry in "$source_dir"/* "$source_dir"/.[!.]*; do
  name=$(basename "$entry")
  skip=0
  for pattern in "${ignored[@]}"; do
    # shellcheck disable=SC2053  # the pattern is a glob on purpose
    [[ $name == $pattern || $name == ${pattern#\*\*/} ]] && skip=1
  done
  [ "$skip" -eq 1 ] || cp -a "$entry" "$context/"
done
[ ! -e "$context/build" ] || die ".dockerignore lets a host build/ folder into the image"
configure=$(grep -o 'cmake --preset release[^&\\]*' "$source_dir/deploy/Dockerfile" | head -1)
[ -n "$configure" ] || die "deploy/Dockerfile runs no 'cmake --preset release'"
(cd "$context" && $configure) >"$work/log/docker-configure" 2>&1 ||
  die "the Dockerfile's '$configure' fails in a clean context: $(tail -20 "$work/log/docker-configure")"
grep -q 'useradd .*--uid 10001' "$source_dir/deploy/Dockerfile" || die "deploy/Dockerfile does not fix the uid at 10001"
echo "configured in a clean context: $configure"

say "the guide holds"
