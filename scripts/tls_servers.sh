#!/usr/bin/env bash
# The extra database servers of the TLS tests, each a server of the tests'
# own under build/ (the machine's PostgreSQL on 5432 and MariaDB on 3306 are
# left alone):
#   - PostgreSQL on 127.0.0.1:25433 (build/pg-cert) that takes TLS
#     connections only and authenticates them by client certificate
#     (pg_hba `hostssl ... cert`: the certificate's CN is the user name);
#   - MariaDB on 127.0.0.1:23307 (build/mariadb-tls) with TLS on, a user with
#     a password and one created REQUIRE X509; it also runs with
#     local_infile off, the one server of the tests that does, for the test
#     of ingest's fallback from LOAD DATA LOCAL INFILE to INSERTs
#     (tests/arrow.rs, mysql_ingest_without_local_infile_uses_inserts).
# Certificates are made with openssl into build/tls (never committed) and
# kept for the next run: a test CA; a server certificate it signs, issued
# for DNS:localhost only (so 127.0.0.1 is a name it does not carry); a
# client certificate it signs with CN=keel_cert (the user on both servers);
# and a second CA with its own client certificate for keel_cert, which
# neither server trusts.
#
# Source it after scripts/servers.sh (`. scripts/tls_servers.sh`), and call
# keel_tls_servers_stop when done (scripts/test.sh does, also on exit).
# Exports what tests/postgres_tls.rs and tests/mysql_tls.rs read:
#   KEEL_TEST_TLS_CA           the test CA's certificate (PEM)
#   KEEL_TEST_TLS_HOST         the name the server certificate is issued for
#   KEEL_TEST_TLS_CLIENT_CERT  client certificate, CN=keel_cert, signed by the CA
#   KEEL_TEST_TLS_CLIENT_KEY   its key
#   KEEL_TEST_TLS_OTHER_CERT   a client certificate for keel_cert from another CA
#   KEEL_TEST_TLS_OTHER_KEY    its key (also: a key that is not CLIENT_CERT's)
#   KEEL_TEST_POSTGRES_CERT_URL   postgres://keel_cert@127.0.0.1:25433/postgres
#   KEEL_TEST_MYSQL_TLS_URL       mysql://keel_test:keel_test_pw@127.0.0.1:23307/keel_test
#   KEEL_TEST_MYSQL_TLS_CERT_URL  mysql://keel_cert@127.0.0.1:23307/keel_test (REQUIRE X509)
# A URL already set in the environment is kept and that server is not
# started (set the KEEL_TEST_TLS_* files to match it; they are kept too). A server whose programs are not installed is skipped with a
# line saying so (its tests then print `skipped: ...`); one that is
# installed and fails to start fails this script. Runs as root, or with
# sudo (the servers run as the postgres and mysql users).

_KEEL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_KEEL_BUILD="$_KEEL_ROOT/build"
_KEEL_TLS="$_KEEL_BUILD/tls"
KEEL_TLS_PG_PORT="${KEEL_TLS_PG_PORT:-25433}"
KEEL_TLS_MY_PORT="${KEEL_TLS_MY_PORT:-23307}"
_KEEL_TLS_PG_STARTED=""
_KEEL_TLS_MY_STARTED=""

_tls_as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
# Run as another OS user (postgres, mysql).
_tls_as() {
    local user=$1
    shift
    if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else sudo -u "$user" -- "$@"; fi
}
_tls_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# One certificate signed by CA `$1` (its files $1.crt/$1.key) for subject
# CN `$3`, written to $2.crt/$2.key, with the extension lines in $4.
_tls_issue() {
    local ca=$1 out=$2 cn=$3 ext=$4
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$out.key" \
        -subj "/CN=$cn" -out "$out.csr" 2>/dev/null
    printf '%b\n' "$ext" >"$out.ext"
    openssl x509 -req -in "$out.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial -days 3650 \
        -extfile "$out.ext" -out "$out.crt" 2>/dev/null
    rm -f "$out.csr" "$out.ext"
}

_tls_ca() {
    local out=$1 cn=$2
    printf '[req]\ndistinguished_name=dn\n[dn]\n[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' >"$out.cnf"
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$out.key" \
        -subj "/CN=$cn" -days 3650 -config "$out.cnf" -extensions ca -out "$out.crt" 2>/dev/null
    rm -f "$out.cnf"
}

_tls_make_certs() {
    if ! command -v openssl >/dev/null 2>&1; then
        echo "tls_servers.sh: installing openssl"
        _tls_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        _tls_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
    fi
    local d=$_KEEL_TLS f ok=1
    for f in ca.crt server.crt server.key client.crt client.key other.crt other.key; do
        [ -s "$d/$f" ] || ok=""
    done
    # Reuse what an earlier run made while it is valid for another day.
    if [ -n "$ok" ] && openssl x509 -checkend 86400 -noout -in "$d/server.crt" >/dev/null 2>&1 &&
        openssl x509 -checkend 86400 -noout -in "$d/client.crt" >/dev/null 2>&1; then
        return 0
    fi
    rm -rf "$d"
    mkdir -p "$d" && chmod 700 "$d" || return 1
    local ee='basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature'
    _tls_ca "$d/ca" "keel test CA"
    _tls_ca "$d/other-ca" "keel test CA nobody trusts"
    _tls_issue "$d/ca" "$d/server" localhost "$ee\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost"
    _tls_issue "$d/ca" "$d/client" keel_cert "$ee\nextendedKeyUsage=clientAuth"
    _tls_issue "$d/other-ca" "$d/other" keel_cert "$ee\nextendedKeyUsage=clientAuth"
    [ -s "$d/server.crt" ] && [ -s "$d/client.crt" ] && [ -s "$d/other.crt" ]
}

# Copy the server's certificate, key and the CA into `dir`, owned by `user`.
_tls_server_files() {
    local dir=$1 user=$2 f
    for f in ca.crt server.crt server.key; do
        _tls_as_root install -o "$user" -g "$user" -m 600 "$_KEEL_TLS/$f" "$dir/$f"
    done
}

_tls_start_postgres() {
    local ver bin
    ver=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
    bin="/usr/lib/postgresql/$ver/bin"
    if [ -z "$ver" ] || [ ! -x "$bin/initdb" ] || ! id postgres >/dev/null 2>&1; then
        echo "tls_servers.sh: no local PostgreSQL installation; the client-certificate tests will skip"
        return 0
    fi
    local dir="$_KEEL_BUILD/pg-cert" data="$_KEEL_BUILD/pg-cert/data" port=$KEEL_TLS_PG_PORT
    _tls_as_root install -d -o postgres -g postgres -m 700 "$dir" || return 1
    # A cluster left running by a run that did not get to stop it.
    if _tls_as postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        _tls_as postgres "$bin/pg_ctl" -D "$data" stop -m fast -w >/dev/null
    fi
    if _tls_port_open "$port"; then
        echo "tls_servers.sh: 127.0.0.1:$port is taken by another program (set KEEL_TLS_PG_PORT)" >&2
        return 1
    fi
    if [ "$(cat "$data/PG_VERSION" 2>/dev/null)" != "${ver%%.*}" ]; then
        _tls_as_root rm -rf "$data"
        _tls_as postgres "$bin/initdb" -D "$data" -U postgres -E UTF8 --auth-local=peer --auth-host=reject -N >/dev/null ||
            return 1
    fi
    _tls_server_files "$dir" postgres || return 1
    # TLS only, and only by certificate; the superuser through the socket.
    _tls_as postgres tee "$data/pg_hba.conf" >/dev/null <<EOF || return 1
local   all  postgres                peer
hostssl all  keel_cert  127.0.0.1/32 cert
EOF
    _tls_as postgres tee "$data/postgresql.auto.conf" >/dev/null <<EOF || return 1
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
ssl = on
ssl_cert_file = '$dir/server.crt'
ssl_key_file = '$dir/server.key'
ssl_ca_file = '$dir/ca.crt'
fsync = off
shared_buffers = 16MB
max_connections = 40
EOF
    _tls_as postgres "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null || {
        echo "tls_servers.sh: the client-certificate PostgreSQL did not start; its log:" >&2
        _tls_as_root tail -n 20 "$dir/server.log" >&2
        return 1
    }
    _KEEL_TLS_PG_STARTED="$bin|$data"
    _tls_as postgres "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt -c \
        "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'keel_cert') THEN CREATE ROLE keel_cert LOGIN; END IF; END \$\$;" >/dev/null || return 1
    export KEEL_TEST_POSTGRES_CERT_URL="postgres://keel_cert@127.0.0.1:$port/postgres"
}

_tls_start_mariadb() {
    local mariadbd=/usr/sbin/mariadbd
    if [ ! -x "$mariadbd" ] || ! command -v mariadb-install-db >/dev/null 2>&1 || ! id mysql >/dev/null 2>&1; then
        echo "tls_servers.sh: no local MariaDB installation; the MySQL TLS tests will skip"
        return 0
    fi
    local dir="$_KEEL_BUILD/mariadb-tls" port=$KEEL_TLS_MY_PORT
    local data="$dir/data" pidfile="$dir/mariadbd.pid" sock="$dir/mariadbd.sock"
    _tls_as_root install -d -o mysql -g mysql -m 750 "$dir" || return 1
    _tls_stop_mariadb "$pidfile"
    if _tls_port_open "$port"; then
        echo "tls_servers.sh: 127.0.0.1:$port is taken by another program (set KEEL_TLS_MY_PORT)" >&2
        return 1
    fi
    if [ ! -d "$data/mysql" ]; then
        _tls_as_root rm -rf "$data"
        _tls_as_root mariadb-install-db --no-defaults --user=mysql --datadir="$data" \
            --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 || {
            echo "tls_servers.sh: mariadb-install-db failed:" >&2
            tail -n 20 "$dir/install.log" >&2
            return 1
        }
    fi
    _tls_server_files "$dir" mysql || return 1
    # Run a copy of the server program under another name: the main
    # MariaDB's tools find their server by its program (`start-stop-daemon
    # --exec /usr/sbin/mariadbd` compares the file, `pidof mariadbd` the
    # name), and must not take this one for it (servers.sh and
    # tests/restart.rs start and stop the main one that way).
    local exe="$dir/keel-tls-mariadbd"
    if ! cmp -s "$mariadbd" "$exe"; then
        _tls_as_root install -m 755 "$mariadbd" "$exe" || return 1
    fi
    _tls_as_root "$exe" --no-defaults --basedir=/usr --user=mysql --datadir="$data" --port="$port" \
        --bind-address=127.0.0.1 --socket="$sock" --pid-file="$pidfile" --log-error="$dir/error.log" \
        --skip-name-resolve --innodb-buffer-pool-size=16M --max-allowed-packet=64M --local-infile=0 \
        --ssl-ca="$dir/ca.crt" --ssl-cert="$dir/server.crt" --ssl-key="$dir/server.key" \
        </dev/null >/dev/null 2>&1 &
    _KEEL_TLS_MY_STARTED="$pidfile"
    local i sql
    for i in $(seq 1 300); do
        _tls_as_root mariadb-admin --no-defaults --socket="$sock" -uroot ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    sql="CREATE DATABASE IF NOT EXISTS keel_test;"
    sql+="CREATE USER IF NOT EXISTS 'keel_test'@'127.0.0.1' IDENTIFIED BY 'keel_test_pw';"
    sql+="GRANT ALL PRIVILEGES ON keel_test.* TO 'keel_test'@'127.0.0.1';"
    sql+="CREATE USER IF NOT EXISTS 'keel_cert'@'127.0.0.1' REQUIRE X509;"
    sql+="GRANT ALL PRIVILEGES ON keel_test.* TO 'keel_cert'@'127.0.0.1';"
    _tls_as_root mariadb --no-defaults --socket="$sock" -uroot -e "$sql" || {
        echo "tls_servers.sh: the TLS MariaDB did not come up; its log:" >&2
        _tls_as_root tail -n 20 "$dir/error.log" >&2
        return 1
    }
    export KEEL_TEST_MYSQL_TLS_URL="mysql://keel_test:keel_test_pw@127.0.0.1:$port/keel_test"
    export KEEL_TEST_MYSQL_TLS_CERT_URL="mysql://keel_cert@127.0.0.1:$port/keel_test"
}

# Stop the mariadbd whose pid file is $1, if it runs (TERM is its clean
# shutdown), and wait for it to end.
_tls_stop_mariadb() {
    local pidfile=$1 pid i
    pid=$(_tls_as_root cat "$pidfile" 2>/dev/null || true)
    [ -n "$pid" ] && _tls_as_root kill -0 "$pid" 2>/dev/null || return 0
    _tls_as_root kill "$pid" 2>/dev/null || true
    for i in $(seq 1 300); do
        _tls_as_root kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    echo "tls_servers.sh: mariadbd $pid did not stop within 30 s" >&2
}

# Stop the servers this script started. Safe to call more than once.
keel_tls_servers_stop() {
    if [ -n "$_KEEL_TLS_PG_STARTED" ]; then
        _tls_as postgres "${_KEEL_TLS_PG_STARTED%%|*}/pg_ctl" -D "${_KEEL_TLS_PG_STARTED#*|}" stop -m fast -w >/dev/null 2>&1 || true
        _KEEL_TLS_PG_STARTED=""
        unset KEEL_TEST_POSTGRES_CERT_URL
    fi
    if [ -n "$_KEEL_TLS_MY_STARTED" ]; then
        _tls_stop_mariadb "$_KEEL_TLS_MY_STARTED"
        _KEEL_TLS_MY_STARTED=""
        unset KEEL_TEST_MYSQL_TLS_URL KEEL_TEST_MYSQL_TLS_CERT_URL
    fi
}

_tls_servers_main() {
    local start=$SECONDS
    mkdir -p "$_KEEL_BUILD" || return 1
    _tls_make_certs || { echo "tls_servers.sh: could not make the test certificates" >&2; return 1; }
    # Files set in the environment go with servers set there too.
    export KEEL_TEST_TLS_CA="${KEEL_TEST_TLS_CA:-$_KEEL_TLS/ca.crt}"
    export KEEL_TEST_TLS_HOST="${KEEL_TEST_TLS_HOST:-localhost}"
    export KEEL_TEST_TLS_CLIENT_CERT="${KEEL_TEST_TLS_CLIENT_CERT:-$_KEEL_TLS/client.crt}"
    export KEEL_TEST_TLS_CLIENT_KEY="${KEEL_TEST_TLS_CLIENT_KEY:-$_KEEL_TLS/client.key}"
    export KEEL_TEST_TLS_OTHER_CERT="${KEEL_TEST_TLS_OTHER_CERT:-$_KEEL_TLS/other.crt}"
    export KEEL_TEST_TLS_OTHER_KEY="${KEEL_TEST_TLS_OTHER_KEY:-$_KEEL_TLS/other.key}"
    if [ -z "${KEEL_TEST_POSTGRES_CERT_URL:-}" ]; then
        _tls_start_postgres || return 1
    fi
    if [ -z "${KEEL_TEST_MYSQL_TLS_URL:-}" ]; then
        _tls_start_mariadb || return 1
    fi
    echo "tls_servers.sh: TLS test servers ready in $((SECONDS - start)) s"
}

_tls_servers_main || {
    keel_tls_servers_stop
    echo "tls_servers.sh: the TLS test servers could not be started" >&2
    return 1 2>/dev/null || exit 1
}
