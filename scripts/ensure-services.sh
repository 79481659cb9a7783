#!/usr/bin/env bash
# Make sure the PostgreSQL server the tests use is running on 127.0.0.1:5432; start it if it is down.
# Fails loudly when it cannot, so PostgreSQL tests never skip silently.
set -euo pipefail
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! command -v pg_isready >/dev/null 2>&1; then
  echo "ensure-services: installing PostgreSQL client/server from Debian" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if ! pg_up; then
  echo "ensure-services: PostgreSQL is down, starting it" >&2
  if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if ! pg_up; then
  echo "ensure-services: PostgreSQL is not reachable on 127.0.0.1:5432 and could not be started" >&2
  exit 1
fi
echo "ensure-services: PostgreSQL is up on 127.0.0.1:5432"

# NATS with JetStream on 127.0.0.1:4222 (real-time workers, csqm realtime worker).
nats_up() { (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; }
if ! nats_up; then
  if [ ! -x /usr/sbin/nats-server ]; then
    echo "ensure-services: installing nats-server from Debian" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
  fi
  echo "ensure-services: NATS is down, starting it with JetStream" >&2
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  for _ in $(seq 1 30); do nats_up && break; sleep 0.5; done
fi
if ! nats_up; then
  echo "ensure-services: NATS is not reachable on 127.0.0.1:4222 and could not be started" >&2
  exit 1
fi
echo "ensure-services: NATS is up on 127.0.0.1:4222"
