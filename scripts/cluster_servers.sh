#!/usr/bin/env bash
# The several-server test setups, each of the tests' own under build/ (the
# machine's PostgreSQL on 5432 and MariaDB on 3306 are left alone):
#   - a PostgreSQL primary on 127.0.0.1:25441 (build/pg-pair/primary) and a
#     streaming-replication hot standby of it on 25442 (pg_basebackup -R into
#     build/pg-pair/standby): the routing tests (target_session_attrs) and
#     PgBouncer use it;
#   - a second pair on 25445/25446 (build/pg-failover/...) that the failover
#     test uses up: it stops the primary and promotes the standby, so this
#     script makes it afresh each time;
#   - Debian's PgBouncer on 127.0.0.1:25443 in front of the first primary,
#     with database keel_session in session pooling and keel_transaction in
#     transaction pooling;
#   - a three-node MariaDB Galera cluster (galera-4) on 127.0.0.1:23311,
#     23312 and 23313 (build/galera/node1..3; group communication on
#     23321-23323, state transfer by rsync on 23341-23343), made afresh each
#     time: its test kills a node.
# Missing programs (pgbouncer, galera-4, rsync) are installed from Debian's
# packages. Every port here (and in tls_servers.sh) lies below Linux's
# range of ephemeral ports (32768-60999 by default): a port in it can be
# taken, between the check that it is free and the server's bind, by any
# outgoing connection's local end (a Galera node once failed to start so,
# its port held by another connection's local end).
#
# Source it after scripts/servers.sh (`. scripts/cluster_servers.sh`), and
# call keel_cluster_servers_stop when done (scripts/test.sh does, also on
# exit). Exports what tests/several_servers.rs and tests/conformance.rs read:
#   KEEL_TEST_PG_PAIR_URL        postgres://keel_test:...@127.0.0.1:25441,127.0.0.1:25442/keel_test
#   KEEL_TEST_PG_FAILOVER_URL    the same for the failover pair
#   KEEL_TEST_PG_FAILOVER_STOP_PRIMARY  a shell command that stops the failover pair's primary
#   KEEL_TEST_PG_FAILOVER_PROMOTE       a shell command that promotes its standby (and waits)
#   KEEL_TEST_PGBOUNCER_SESSION_URL      through PgBouncer, session pooling
#   KEEL_TEST_PGBOUNCER_TRANSACTION_URL  through PgBouncer, transaction pooling
#   KEEL_TEST_GALERA_URL         mysql://keel_test:...@127.0.0.1:23311,127.0.0.1:23312,127.0.0.1:23313/keel_test
#   KEEL_TEST_GALERA_KILL_NODE3  a shell command that kills node 3 (SIGKILL)
# A URL already set in the environment is kept and that setup is not
# started. Runs as root, or with sudo (the servers run as postgres).

_KEEL_CL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_KEEL_CL_BUILD="$_KEEL_CL_ROOT/build"
KEEL_PAIR_PORT="${KEEL_PAIR_PORT:-25441}"
KEEL_FAILOVER_PORT="${KEEL_FAILOVER_PORT:-25445}"
KEEL_PGBOUNCER_PORT="${KEEL_PGBOUNCER_PORT:-25443}"
_KEEL_CL_PW=keel_test_pw
_KEEL_CL_PG_STARTED=()
_KEEL_CL_BOUNCER_PID=""
_KEEL_CL_GALERA_PIDFILES=()
KEEL_GALERA_PORT="${KEEL_GALERA_PORT:-23311}"

_cl_as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
_cl_as() {
    local user=$1
    shift
    if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else sudo -u "$user" -- "$@"; fi
}
_cl_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

_cl_pg_bin() {
    local ver
    ver=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
    [ -n "$ver" ] && [ -x "/usr/lib/postgresql/$ver/bin/initdb" ] && echo "/usr/lib/postgresql/$ver/bin"
}

# Stop the cluster in data directory $2 (programs in $1) if it runs.
_cl_pg_stop() {
    if _cl_as postgres "$1/pg_ctl" -D "$2" status >/dev/null 2>&1; then
        _cl_as postgres "$1/pg_ctl" -D "$2" stop -m fast -w >/dev/null 2>&1 || true
    fi
}

# Start the cluster in $2 (programs in $1), logging to $3.
_cl_pg_start() {
    _cl_as postgres "$1/pg_ctl" -D "$2" -l "$3" -w -t 60 start >/dev/null || {
        echo "cluster_servers.sh: PostgreSQL in $2 did not start; its log:" >&2
        _cl_as_root tail -n 20 "$3" >&2
        return 1
    }
    _KEEL_CL_PG_STARTED+=("$1|$2")
}

# A primary on port $3 and a hot standby of it on $3+1, under $2 (programs
# in $1). Made afresh each time: the failover test changes which is which.
_cl_pg_pair() {
    local bin=$1 dir=$2 port=$3
    local sport=$((port + 1)) p="$dir/primary" s="$dir/standby"
    _cl_pg_stop "$bin" "$s"
    _cl_pg_stop "$bin" "$p"
    local q
    for q in "$port" "$sport"; do
        if _cl_port_open "$q"; then
            echo "cluster_servers.sh: 127.0.0.1:$q is taken by another program" >&2
            return 1
        fi
    done
    _cl_as_root rm -rf "$dir"
    _cl_as_root install -d -o postgres -g postgres -m 700 "$dir" || return 1
    _cl_as postgres "$bin/initdb" -D "$p" -U postgres -E UTF8 --auth-local=peer --auth-host=scram-sha-256 -N >/dev/null ||
        return 1
    _cl_as postgres tee "$p/pg_hba.conf" >/dev/null <<EOF || return 1
local all         postgres                peer
host  replication postgres 127.0.0.1/32   trust
host  all         keel_test 127.0.0.1/32  scram-sha-256
EOF
    _cl_as postgres tee "$p/postgresql.auto.conf" >/dev/null <<EOF || return 1
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
shared_buffers = 16MB
max_connections = 60
wal_level = replica
max_wal_senders = 10
hot_standby = on
EOF
    _cl_pg_start "$bin" "$p" "$dir/primary.log" || return 1
    _cl_as postgres "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt \
        -c "CREATE ROLE keel_test LOGIN SUPERUSER PASSWORD '$_KEEL_CL_PW'" \
        -c "CREATE DATABASE keel_test OWNER keel_test" </dev/null >/dev/null || return 1
    _cl_as postgres "$bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -w -c fast -D "$s" -R -X stream </dev/null >/dev/null || {
        echo "cluster_servers.sh: pg_basebackup of $p failed" >&2
        return 1
    }
    _cl_as postgres sed -i "s/^port = .*/port = $sport/" "$s/postgresql.auto.conf" || return 1
    _cl_pg_start "$bin" "$s" "$dir/standby.log" || return 1
    # Wait until the standby streams (it answers as a standby).
    local i
    for i in $(seq 1 100); do
        [ "$(_cl_as postgres "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -qAt \
            -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" </dev/null 2>/dev/null)" = 1 ] && return 0
        sleep 0.1
    done
    echo "cluster_servers.sh: the standby on $sport does not stream from $port" >&2
    return 1
}

_cl_pgbouncer() {
    if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
        echo "cluster_servers.sh: installing PgBouncer from Debian's packages"
        _cl_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        _cl_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null || return 1
    fi
    local exe
    exe=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
    local dir="$_KEEL_CL_BUILD/pgbouncer" port=$KEEL_PGBOUNCER_PORT
    _cl_as_root install -d -o postgres -g postgres -m 700 "$dir" || return 1
    local old
    old=$(_cl_as_root cat "$dir/pgbouncer.pid" 2>/dev/null || true)
    if [ -n "$old" ] && _cl_as_root kill -0 "$old" 2>/dev/null; then
        _cl_as_root kill "$old" 2>/dev/null || true
        sleep 0.5
    fi
    if _cl_port_open "$port"; then
        echo "cluster_servers.sh: 127.0.0.1:$port is taken by another program (set KEEL_PGBOUNCER_PORT)" >&2
        return 1
    fi
    _cl_as postgres tee "$dir/userlist.txt" >/dev/null <<EOF || return 1
"keel_test" "$_KEEL_CL_PW"
EOF
    _cl_as postgres tee "$dir/pgbouncer.ini" >/dev/null <<EOF || return 1
[databases]
keel_session = host=127.0.0.1 port=$KEEL_PAIR_PORT dbname=keel_test pool_mode=session
keel_transaction = host=127.0.0.1 port=$KEEL_PAIR_PORT dbname=keel_test pool_mode=transaction

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pidfile = $dir/pgbouncer.pid
logfile = $dir/pgbouncer.log
default_pool_size = 8
max_client_conn = 200
server_reset_query = DISCARD ALL
# Not options, where keel puts statement_timeout_ms and search_path:
# PgBouncer then refuses them with a clear error instead of dropping them.
ignore_startup_parameters = extra_float_digits
EOF
    _cl_as postgres "$exe" -d "$dir/pgbouncer.ini" >/dev/null 2>&1 || {
        echo "cluster_servers.sh: PgBouncer did not start; its log:" >&2
        _cl_as_root tail -n 20 "$dir/pgbouncer.log" >&2
        return 1
    }
    local i
    for i in $(seq 1 100); do
        _cl_port_open "$port" && break
        sleep 0.1
    done
    _KEEL_CL_BOUNCER_PID=$(_cl_as_root cat "$dir/pgbouncer.pid" 2>/dev/null || true)
    local base="postgres://keel_test:$_KEEL_CL_PW@127.0.0.1:$port"
    export KEEL_TEST_PGBOUNCER_SESSION_URL="$base/keel_session"
    export KEEL_TEST_PGBOUNCER_TRANSACTION_URL="$base/keel_transaction"
}

# Stop the mariadbd whose pid file is $1, if it runs, and wait for it.
_cl_stop_mariadbd() {
    local pid i
    pid=$(_cl_as_root cat "$1" 2>/dev/null || true)
    [ -n "$pid" ] && _cl_as_root kill -0 "$pid" 2>/dev/null || return 0
    _cl_as_root kill "$pid" 2>/dev/null || true
    for i in $(seq 1 300); do
        _cl_as_root kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    _cl_as_root kill -9 "$pid" 2>/dev/null || true
}

# wsrep_ready of the node whose socket is $1.
_cl_wsrep_ready() {
    _cl_as_root mariadb --no-defaults --socket="$1" -uroot -N -B -e "SHOW STATUS LIKE 'wsrep_ready'" 2>/dev/null | awk '{print $2}'
}

_cl_galera() {
    local mariadbd=/usr/sbin/mariadbd provider=/usr/lib/galera/libgalera_smm.so
    if [ ! -x "$mariadbd" ] || ! command -v mariadb-install-db >/dev/null 2>&1 || ! id mysql >/dev/null 2>&1; then
        echo "cluster_servers.sh: no local MariaDB installation; the Galera tests will skip"
        return 0
    fi
    if [ ! -f "$provider" ] || ! command -v rsync >/dev/null 2>&1; then
        echo "cluster_servers.sh: installing galera-4 and rsync from Debian's packages"
        _cl_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        _cl_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq galera-4 rsync >/dev/null || return 1
    fi
    local dir="$_KEEL_CL_BUILD/galera" i
    for i in 1 2 3; do
        _cl_stop_mariadbd "$dir/node$i/mariadbd.pid"
    done
    for i in 0 1 2; do
        if _cl_port_open $((KEEL_GALERA_PORT + i)) || _cl_port_open $((23321 + i)); then
            echo "cluster_servers.sh: a Galera port (127.0.0.1:$((KEEL_GALERA_PORT + i)) or $((23321 + i))) is taken" >&2
            return 1
        fi
    done
    _cl_as_root rm -rf "$dir"
    _cl_as_root install -d -o mysql -g mysql -m 750 "$dir" || return 1
    # A copy of the server program under another name, as tls_servers.sh
    # does, so that the main MariaDB's tools never take these for it.
    local exe="$dir/keel-galera-mariadbd"
    _cl_as_root install -m 755 "$mariadbd" "$exe" || return 1
    local members="127.0.0.1:23321,127.0.0.1:23322,127.0.0.1:23323"
    for i in 1 2 3; do
        local n="$dir/node$i" port=$((KEEL_GALERA_PORT + i - 1))
        _cl_as_root install -d -o mysql -g mysql -m 750 "$n" || return 1
        _cl_as_root mariadb-install-db --no-defaults --user=mysql --datadir="$n/data" \
            --auth-root-authentication-method=socket --skip-test-db >"$n/install.log" 2>&1 || {
            echo "cluster_servers.sh: mariadb-install-db failed for Galera node $i" >&2
            return 1
        }
        _cl_as_root tee "$n/my.cnf" >/dev/null <<EOF || return 1
[mysqld]
basedir = /usr
user = mysql
datadir = $n/data
port = $port
bind-address = 127.0.0.1
socket = $n/mariadbd.sock
pid-file = $n/mariadbd.pid
log-error = $n/error.log
skip-name-resolve
innodb-buffer-pool-size = 16M
innodb-log-file-size = 16M
innodb-flush-log-at-trx-commit = 0
binlog-format = ROW
default-storage-engine = InnoDB
innodb-autoinc-lock-mode = 2
wsrep-on = ON
wsrep-provider = $provider
wsrep-cluster-name = keel_test
wsrep-cluster-address = gcomm://$members
wsrep-node-name = node$i
wsrep-node-address = 127.0.0.1:$((23320 + i))
wsrep-provider-options = "gmcast.listen_addr=tcp://127.0.0.1:$((23320 + i));ist.recv_addr=127.0.0.1:$((23330 + i));gcache.size=16M"
wsrep-sst-method = rsync
wsrep-sst-receive-address = 127.0.0.1:$((23340 + i))
EOF
    done
    for i in 1 2 3; do
        local n="$dir/node$i" first=()
        [ "$i" = 1 ] && first=(--wsrep-new-cluster)
        _cl_as_root "$exe" --defaults-file="$n/my.cnf" "${first[@]}" </dev/null >/dev/null 2>&1 &
        _KEEL_CL_GALERA_PIDFILES+=("$n/mariadbd.pid")
        local ok=""
        for _ in $(seq 1 600); do
            if [ "$(_cl_wsrep_ready "$n/mariadbd.sock")" = ON ]; then
                ok=1
                break
            fi
            sleep 0.1
        done
        if [ -z "$ok" ]; then
            echo "cluster_servers.sh: Galera node $i is not ready; its log:" >&2
            _cl_as_root tail -n 30 "$n/error.log" >&2
            return 1
        fi
        if [ "$i" = 1 ]; then
            local sql="CREATE DATABASE IF NOT EXISTS keel_test;"
            sql+="CREATE USER IF NOT EXISTS 'keel_test'@'127.0.0.1' IDENTIFIED BY '$_KEEL_CL_PW';"
            sql+="GRANT ALL PRIVILEGES ON *.* TO 'keel_test'@'127.0.0.1';"
            _cl_as_root mariadb --no-defaults --socket="$n/mariadbd.sock" -uroot -e "$sql" || return 1
        fi
    done
    local p=$KEEL_GALERA_PORT
    export KEEL_TEST_GALERA_URL="mysql://keel_test:$_KEEL_CL_PW@127.0.0.1:$p,127.0.0.1:$((p + 1)),127.0.0.1:$((p + 2))/keel_test"
    local kill="kill -9"
    [ "$(id -u)" = 0 ] || kill="sudo kill -9"
    export KEEL_TEST_GALERA_KILL_NODE3="$kill \$(cat $dir/node3/mariadbd.pid)"
}

# Stop what this script started. Safe to call more than once.
keel_cluster_servers_stop() {
    local f
    for f in "${_KEEL_CL_GALERA_PIDFILES[@]}"; do
        _cl_stop_mariadbd "$f"
    done
    _KEEL_CL_GALERA_PIDFILES=()
    unset KEEL_TEST_GALERA_URL KEEL_TEST_GALERA_KILL_NODE3
    if [ -n "$_KEEL_CL_BOUNCER_PID" ]; then
        _cl_as_root kill "$_KEEL_CL_BOUNCER_PID" 2>/dev/null || true
        _KEEL_CL_BOUNCER_PID=""
    fi
    local c
    for c in "${_KEEL_CL_PG_STARTED[@]}"; do
        _cl_pg_stop "${c%%|*}" "${c#*|}"
    done
    _KEEL_CL_PG_STARTED=()
    unset KEEL_TEST_PG_PAIR_URL KEEL_TEST_PG_FAILOVER_URL KEEL_TEST_PG_FAILOVER_STOP_PRIMARY KEEL_TEST_PG_FAILOVER_PROMOTE \
        KEEL_TEST_PGBOUNCER_SESSION_URL KEEL_TEST_PGBOUNCER_TRANSACTION_URL
}

_cl_main() {
    local start=$SECONDS bin
    mkdir -p "$_KEEL_CL_BUILD" || return 1
    bin=$(_cl_pg_bin)
    if [ -z "$bin" ] || ! id postgres >/dev/null 2>&1; then
        echo "cluster_servers.sh: no local PostgreSQL installation; the several-server tests will skip"
        return 0
    fi
    local u="postgres://keel_test:$_KEEL_CL_PW@127.0.0.1"
    if [ -z "${KEEL_TEST_PG_PAIR_URL:-}" ]; then
        _cl_pg_pair "$bin" "$_KEEL_CL_BUILD/pg-pair" "$KEEL_PAIR_PORT" || return 1
        export KEEL_TEST_PG_PAIR_URL="$u:$KEEL_PAIR_PORT,127.0.0.1:$((KEEL_PAIR_PORT + 1))/keel_test"
    fi
    if [ -z "${KEEL_TEST_PG_FAILOVER_URL:-}" ]; then
        local d="$_KEEL_CL_BUILD/pg-failover"
        _cl_pg_pair "$bin" "$d" "$KEEL_FAILOVER_PORT" || return 1
        export KEEL_TEST_PG_FAILOVER_URL="$u:$KEEL_FAILOVER_PORT,127.0.0.1:$((KEEL_FAILOVER_PORT + 1))/keel_test"
        local run="runuser -u postgres --"
        [ "$(id -u)" = 0 ] || run="sudo -u postgres --"
        export KEEL_TEST_PG_FAILOVER_STOP_PRIMARY="$run $bin/pg_ctl -D $d/primary stop -m fast -w"
        export KEEL_TEST_PG_FAILOVER_PROMOTE="$run $bin/pg_ctl -D $d/standby promote -w"
    fi
    if [ -z "${KEEL_TEST_PGBOUNCER_SESSION_URL:-}" ]; then
        _cl_pgbouncer || return 1
    fi
    if [ -z "${KEEL_TEST_GALERA_URL:-}" ]; then
        _cl_galera || return 1
    fi
    echo "cluster_servers.sh: several-server test setups ready in $((SECONDS - start)) s"
}

_cl_main || {
    keel_cluster_servers_stop
    echo "cluster_servers.sh: the several-server test setups could not be started" >&2
    return 1 2>/dev/null || exit 1
}
