# Sourced by bench/run_net.sh and bench/run_pool.sh: installs the native C
# clients' headers when missing (libpq-dev, libmariadb-dev, from Debian's
# packages) and sets pq_cflags, pq_libs, my_cflags and my_libs.

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need=()
command -v pg_config >/dev/null 2>&1 || pkg-config --exists libpq 2>/dev/null || need+=(libpq-dev)
command -v mariadb_config >/dev/null 2>&1 || need+=(libmariadb-dev)
if [ ${#need[@]} -gt 0 ]; then
    echo "$(basename "$0"): installing ${need[*]} from Debian's packages"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmariadb-dev libpq-dev >/dev/null
fi

if pkg-config --exists libpq 2>/dev/null; then
    pq_cflags=$(pkg-config --cflags libpq)
    pq_libs=$(pkg-config --libs libpq)
else
    pq_cflags="-I$(pg_config --includedir)"
    pq_libs="-L$(pg_config --libdir) -lpq"
fi
my_cflags=$(mariadb_config --cflags)
my_libs=$(mariadb_config --libs)
