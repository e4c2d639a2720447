#!/usr/bin/env bash
# Start the local services the test suite talks to, if they are installed and not running:
# PostgreSQL (127.0.0.1:5432) and RabbitMQ (127.0.0.1:5672). `make test` runs this first.
# It never fails by itself: a service that cannot be started makes its tests fail with a
# message that says what is missing.
set -u

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {  # port, name, seconds
  for _ in $(seq 1 "$3"); do listening "$1" && return 0; sleep 1; done
  echo "start_services: $2 is still not listening on 127.0.0.1:$1" >&2
}

if ! listening 5432; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "start_services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    wait_for 5432 PostgreSQL 30
  else
    echo "start_services: PostgreSQL is not installed here (see CONTRIBUTING.md)" >&2
  fi
fi

if ! listening 5672; then
  if command -v rabbitmq-server >/dev/null; then
    echo "start_services: starting RabbitMQ"
    rabbitmq-server -detached >/dev/null 2>&1 || true
    wait_for 5672 RabbitMQ 90
  else
    echo "start_services: RabbitMQ is not installed here (see CONTRIBUTING.md)" >&2
  fi
fi
exit 0
