#!/usr/bin/env bash
# Builds FairQueue and runs it on Payara Micro in the foreground at http://localhost:${FAIRQUEUE_HTTP_PORT:-8080}.
# The database (fairqueue.db.url) is created if absent and migrated on start.
# Environment: FAIRQUEUE_DB_URL, FAIRQUEUE_DB_USER, FAIRQUEUE_DB_PASSWORD, FAIRQUEUE_DB_POOL_SIZE,
# FAIRQUEUE_DB_POOL_WAIT_MILLIS, FAIRQUEUE_HTTP_PORT, FAIRQUEUE_BOOTSTRAP_ADMIN_TOKEN,
# FAIRQUEUE_JMX_PORT, FAIRQUEUE_PUSH_ALLOWED_HOSTS (see README.md).
# The node listens on the HTTP port (all interfaces) and the JMX port (127.0.0.1); Hazelcast is
# off (pre-boot-commands.asadmin).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

if [ "${FAIRQUEUE_SKIP_BUILD:-}" != "1" ]; then
  mvn -B -q -DskipTests package
fi

port="${FAIRQUEUE_HTTP_PORT:-8080}"
jmx="${FAIRQUEUE_JMX_PORT:-9010}"

# Remote JMX for jconsole/VisualVM, bound to loopback only (no authentication: do not expose it).
exec java -Xmx1g -Duser.timezone=UTC \
  -Dcom.sun.management.jmxremote.port="$jmx" \
  -Dcom.sun.management.jmxremote.rmi.port="$jmx" \
  -Dcom.sun.management.jmxremote.host=127.0.0.1 \
  -Djava.rmi.server.hostname=127.0.0.1 \
  -Dcom.sun.management.jmxremote.authenticate=false \
  -Dcom.sun.management.jmxremote.ssl=false \
  -jar target/payara-micro.jar \
  --nocluster --disablephonehome \
  --port "$port" \
  --prebootcommandfile "$here/pre-boot-commands.asadmin" \
  --postbootcommandfile "$here/post-boot-commands.asadmin" \
  --logproperties "$here/logging.properties" \
  --deploy target/fairqueue.war
