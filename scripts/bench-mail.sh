#!/usr/bin/env bash
# Mail-in benchmark (docs/BENCHMARKS.md): generate inbound mail into a
# Maildir, serve it with a throwaway Dovecot on a free loopback port, and
# measure `frontline mail ingest` (the pipe, one process per message) and
# IMAP polling, each on a fresh SQLite data dir and a fresh PostgreSQL
# database. Every run checks the stored tickets and messages afterwards.
#
#   scripts/bench-mail.sh [--messages N] [--runs R] [--engines "sqlite postgres"]
#                         [--modes "pipe imap"] [--keep]
#
# Mode "profile" (`frontline bench mail profile`) prints where the time goes
# instead: bare IMAP fetch, MIME parsing, the ingest use case, progress
# writes, and the SQL statements per message.
#
# MAILBENCH_BIN: the binary (default: $CARGO_TARGET_DIR or target, /release/frontline;
#                built with `cargo build --release` when missing). Not FRONTLINE_*:
#                frontline reads those as configuration.
# PG_URL:        PostgreSQL server where the user may create databases
#                (default postgres://postgres@127.0.0.1:5432).
# PG_QUERY:      appended to each benchmark database's URL, e.g. "?sslmode=disable"
#                (sqlx negotiates TLS by default when the server offers it).
# Needs Dovecot (apt-get install dovecot-imapd) and, for PostgreSQL, psql.
set -euo pipefail
cd "$(dirname "$0")/.."

messages=10000
runs=3
engines="sqlite postgres"
modes="pipe imap"
keep=false
while [ $# -gt 0 ]; do
  case "$1" in
    --messages) messages="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --engines) engines="$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    --keep) keep=true; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

bin="${MAILBENCH_BIN:-${CARGO_TARGET_DIR:-target}/release/frontline}"
if [ ! -x "$bin" ]; then
  cargo build --release -p frontline
fi
bin="$(realpath "$bin")"
pg_url="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
pg_query="${PG_QUERY:-}"
[ -x /usr/sbin/dovecot ] || { echo "Dovecot is not installed (apt-get install dovecot-imapd)" >&2; exit 1; }

work="$(mktemp -d /tmp/frontline-mailbench.XXXXXX)"
dovecot_pid=""
pg_dbs=()
cleanup() {
  if [ -n "$dovecot_pid" ]; then kill "$dovecot_pid" 2>/dev/null || true; wait "$dovecot_pid" 2>/dev/null || true; fi
  for db in "${pg_dbs[@]}"; do psql -q "$pg_url/postgres" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done
  if $keep; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

echo "=== generate $messages messages ($(date -u +%H:%M:%S))"
mkdir -p "$work/mail" "$work/run" "$work/state" "$work/home"
"$bin" bench mail generate --messages "$messages" --maildir "$work/mail/bench"
manifest="$work/mail/bench/frontline-mail-bench.json"

# A throwaway Dovecot, as the test kit starts it (crates/frontline-testkit/src/imap.rs).
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
password="bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
printf 'bench:{PLAIN}%s::::::\n' "$password" > "$work/passwd"
cat > "$work/dovecot.conf" <<EOF
base_dir = $work/run
state_dir = $work/state
log_path = $work/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
mail_location = maildir:$work/mail/%u
default_internal_user = dovenull
default_login_user = dovenull
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $work/passwd
}
userdb {
  driver = static
  args = uid=dovenull gid=dovenull home=$work/home/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
EOF
# Dovecot drops to this user for mail access; it must own the Maildir.
chown -R dovenull:dovenull "$work/mail" "$work/home"
chmod 755 "$work"
/usr/sbin/dovecot -F -c "$work/dovecot.conf" &
dovecot_pid=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done
# Let Dovecot index the Maildir (new/ -> cur/, UIDs in file-name order) before
# anything is timed: a real server indexes mail as it is delivered.
indexed="$(doveadm -c "$work/dovecot.conf" mailbox status -u bench messages INBOX)"
echo "dovecot on 127.0.0.1:$port, INBOX: $indexed"
[[ "$indexed" == *" messages=$messages" ]] || { echo "Dovecot sees $indexed, expected $messages" >&2; exit 1; }

cat > "$work/frontline.toml" <<EOF
[[imap]]
name = "support"
host = "127.0.0.1"
port = $port
username = "bench"
password = "$password"
folder = "INBOX"
security = "plain"
EOF

results="$work/results.txt"
: > "$results"
for run in $(seq 1 "$runs"); do
  for engine in $engines; do
    for mode in $modes; do
      echo "=== run $run: $mode on $engine ($(date -u +%H:%M:%S))"
      case "$mode" in
        pipe) args=(bench mail pipe --maildir "$work/mail/bench") ;;
        imap) args=(bench mail imap --manifest "$manifest") ;;
        profile) args=(bench mail profile --maildir "$work/mail/bench") ;;
        *) echo "unknown mode $mode" >&2; exit 2 ;;
      esac
      case "$engine" in
        sqlite)
          db=(--data-dir "$work/db-$mode-$run")
          ;;
        postgres)
          name="frontline_mailbench_${mode}_${run}_$$"
          psql -q "$pg_url/postgres" -c "CREATE DATABASE $name" >/dev/null
          pg_dbs+=("$name")
          db=(--database-url "$pg_url/$name$pg_query")
          ;;
        *) echo "unknown engine $engine" >&2; exit 2 ;;
      esac
      if [ "$mode" = profile ]; then
        "$bin" --config "$work/frontline.toml" "${db[@]}" "${args[@]}"
      else
        "$bin" --config "$work/frontline.toml" "${db[@]}" "${args[@]}" | tee -a "$work/out.txt" | grep -v '^RESULT' || true
        line="$(grep '^RESULT' "$work/out.txt" | tail -n 1)"
        rm -f "$work/out.txt"
        [ -n "$line" ] || { echo "the $mode run on $engine failed" >&2; exit 1; }
        echo "$line" >> "$results"
      fi
      if [ "$engine" = sqlite ]; then rm -rf "$work/db-$mode-$run"; else
        psql -q "$pg_url/postgres" -c "DROP DATABASE $name" >/dev/null
      fi
    done
  done
done

[ -s "$results" ] || exit 0
echo
echo "=== messages/s over $runs run(s) of $messages messages"
echo "| mode | engine | runs (msg/s) | min | max |"
echo "|---|---|---|---:|---:|"
awk '{ split($6, r, "="); key = $2 " | " $3; rates[key] = rates[key] (rates[key] ? ", " : "") r[2];
       if (!(key in min) || r[2] + 0 < min[key]) min[key] = r[2] + 0; if (r[2] + 0 > max[key]) max[key] = r[2] + 0 }
     END { for (k in rates) printf "| %s | %s | %.1f | %.1f |\n", k, rates[k], min[k], max[k] }' "$results" | sort
