#!/bin/sh
# A stand-in for the official mariadb (and mysql) image's entrypoint: it
# honours MARIADB_ROOT_PASSWORD / MYSQL_ROOT_PASSWORD, MARIADB_DATABASE /
# MYSQL_DATABASE, MARIADB_USER / MYSQL_USER and MARIADB_PASSWORD /
# MYSQL_PASSWORD, initialises /var/lib/mysql on the first start, and runs
# mariadbd as PID 1.
set -eu
DATADIR=/var/lib/mysql
root=${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}
user=${MARIADB_USER:-${MYSQL_USER:-}}
pass=${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}
db=${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}
mkdir -p "$DATADIR" /run/mysqld
chown -R mysql:mysql "$DATADIR" /run/mysqld
if [ ! -d "$DATADIR/mysql" ]; then
  : "${root:?MARIADB_ROOT_PASSWORD is required}"
  mariadb-install-db --user=mysql --datadir="$DATADIR" --auth-root-authentication-method=normal --skip-test-db >/dev/null
  mariadbd --user=mysql --datadir="$DATADIR" --skip-networking --socket=/run/mysqld/init.sock &
  for _ in $(seq 1 60); do mariadb-admin --socket=/run/mysqld/init.sock ping >/dev/null 2>&1 && break; sleep 0.5; done
  {
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$root';"
    echo "CREATE USER 'root'@'%' IDENTIFIED BY '$root'; GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    [ -n "$db" ] && echo "CREATE DATABASE IF NOT EXISTS \`$db\`;"
    [ -n "$user" ] && echo "CREATE USER '$user'@'%' IDENTIFIED BY '$pass';"
    [ -n "$user" ] && [ -n "$db" ] && echo "GRANT ALL ON \`$db\`.* TO '$user'@'%';"
    echo "FLUSH PRIVILEGES;"
  } | mariadb --socket=/run/mysqld/init.sock -uroot
  mariadb-admin --socket=/run/mysqld/init.sock -uroot -p"$root" shutdown
  wait
  echo "initialised $DATADIR, database ${db:-none}"
fi
exec mariadbd --user=mysql --datadir="$DATADIR" --bind-address=0.0.0.0 --port=3306 --socket=/run/mysqld/mysqld.sock
