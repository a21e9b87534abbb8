#!/usr/bin/env bash
# Make sure PostgreSQL and MariaDB run on 127.0.0.1 (5432, 3306) with a test
# database and a password user each, then export the URLs the tests read:
#   KEEL_TEST_POSTGRES_URL, KEEL_TEST_MYSQL_URL
# Source it (`. scripts/servers.sh`). Idempotent: servers already running are
# used as they are; missing ones are installed from Debian's packages
# (apt-get update only when installing) and started without systemd.
# A URL already set in the environment is used as given and nothing is
# started for that engine (that is how to point the tests at other servers).

KEEL_PG_USER=keel_test
KEEL_PG_DB=keel_test
KEEL_MY_USER=keel_test
KEEL_MY_DB=keel_test
KEEL_TEST_PASSWORD=keel_test_pw

_as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

_apt_install() {
    if [ -z "${_KEEL_APT_UPDATED:-}" ]; then
        _as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        _KEEL_APT_UPDATED=1
    fi
    _as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

_wait_port() {
    local i
    for i in $(seq 1 60); do
        _port_open "$1" && return 0
        sleep 1
    done
    echo "servers.sh: nothing answers on 127.0.0.1:$1 after 60 s" >&2
    return 1
}

_start_postgres() {
    if ! _port_open 5432; then
        if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
            echo "servers.sh: installing PostgreSQL from Debian's packages"
            _apt_install postgresql
        fi
        local ver
        ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
        if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$ver main$"; then
            _as_root pg_createcluster "$ver" main >/dev/null
        fi
        echo "servers.sh: starting PostgreSQL $ver"
        _as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
        _wait_port 5432 || return 1
    fi
    # Create the role and database through the local socket as the postgres
    # superuser (peer authentication), then use TCP with the password.
    local psql=(_as_root runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qAt)
    "${psql[@]}" -c "DO \$\$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$KEEL_PG_USER') THEN
          CREATE ROLE $KEEL_PG_USER LOGIN PASSWORD '$KEEL_TEST_PASSWORD' SUPERUSER;
        END IF; END \$\$;" >/dev/null
    if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$KEEL_PG_DB'")" != 1 ]; then
        "${psql[@]}" -c "CREATE DATABASE $KEEL_PG_DB OWNER $KEEL_PG_USER" >/dev/null
    fi
    export KEEL_TEST_POSTGRES_URL="postgres://$KEEL_PG_USER:$KEEL_TEST_PASSWORD@127.0.0.1:5432/$KEEL_PG_DB"
    # For the TLS tests: Debian's server uses a self-signed certificate, so
    # that certificate is its own trusted root; and a name it is issued for
    # that resolves to this machine's loopback, for sslmode=verify-full.
    local cert
    cert=$("${psql[@]}" -c "SELECT CASE WHEN current_setting('ssl') = 'on' THEN
        CASE WHEN current_setting('ssl_cert_file') LIKE '/%' THEN current_setting('ssl_cert_file')
             ELSE current_setting('data_directory') || '/' || current_setting('ssl_cert_file') END END")
    if [ -n "$cert" ] && [ -r "$cert" ]; then
        export KEEL_TEST_POSTGRES_SSLROOTCERT="$cert"
        local name
        for name in $(openssl x509 -in "$cert" -noout -ext subjectAltName 2>/dev/null | grep -o 'DNS:[^,]*' | cut -d: -f2); do
            if getent ahostsv4 "$name" 2>/dev/null | grep -q '^127\.0\.0\.1 '; then
                export KEEL_TEST_POSTGRES_SSLHOST="$name"
                break
            fi
        done
    fi
}

_start_mariadb() {
    if ! _port_open 3306; then
        if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
            echo "servers.sh: installing MariaDB from Debian's packages"
            _apt_install mariadb-server
        fi
        _as_root install -d -o mysql -g mysql /run/mysqld
        if [ ! -d /var/lib/mysql/mysql ]; then
            _as_root mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
        fi
        echo "servers.sh: starting MariaDB"
        _as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql --bind-address=127.0.0.1 --port=3306 --max-allowed-packet=64M
        _wait_port 3306 || return 1
    fi
    # root authenticates through the unix socket on Debian.
    # 64 MiB, MySQL 8's default (MariaDB's is 16 MiB): the mysql crate
    # cannot send a 16 MiB parameter to a server with a 16 MiB limit, and
    # the conformance suite binds one (keel refuses it with a clear error
    # there; tests/conformance.rs checks both).
    local sql="SET GLOBAL max_allowed_packet = GREATEST(@@GLOBAL.max_allowed_packet, 67108864);"
    sql+="CREATE DATABASE IF NOT EXISTS $KEEL_MY_DB;"
    local host
    for host in 127.0.0.1 localhost '%'; do
        sql+="CREATE USER IF NOT EXISTS '$KEEL_MY_USER'@'$host' IDENTIFIED BY '$KEEL_TEST_PASSWORD';"
        sql+="GRANT ALL PRIVILEGES ON *.* TO '$KEEL_MY_USER'@'$host';"
    done
    local i
    for i in $(seq 1 30); do
        _as_root mariadb -uroot -e "$sql" 2>/dev/null && break
        sleep 1
    done
    _as_root mariadb -uroot -e "$sql" >/dev/null
    export KEEL_TEST_MYSQL_URL="mysql://$KEEL_MY_USER:$KEEL_TEST_PASSWORD@127.0.0.1:3306/$KEEL_MY_DB"
}

if [ -z "${KEEL_TEST_POSTGRES_URL:-}" ]; then
    _start_postgres || { echo "servers.sh: PostgreSQL could not be started" >&2; return 1 2>/dev/null || exit 1; }
fi
if [ -z "${KEEL_TEST_MYSQL_URL:-}" ]; then
    _start_mariadb || { echo "servers.sh: MariaDB could not be started" >&2; return 1 2>/dev/null || exit 1; }
fi
echo "servers.sh: PostgreSQL and MySQL test servers ready"
