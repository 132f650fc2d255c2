#!/bin/sh
# Registers the compose demo's agent and workloads with the SPIRE server, then starts the agent, the
# spiffe-helpers (which Keycloak waits for: its HTTPS trust store is the bundle spiffe-helper-keycloak
# writes) and runs the two workloads (compose profile "workload").
#
#   docker compose up -d --build && ./register.sh
#
# Run it again at any time: each entry is created once, the agent gets a fresh join token only
# while it has not attested yet, and the workloads run once more.
set -eu
cd "$(dirname "$0")"

TRUST_DOMAIN=example.org
# Node alias for the compose agent: the join token's agent ID is mapped onto it.
AGENT_ID=spiffe://$TRUST_DOMAIN/node/compose-agent
# The workloads and how the agent recognizes them (label on their spiffe-helper container):
# payments presents a JWT-SVID (client payments-api), warehouse an X.509-SVID (client warehouse-api).
WORKLOAD_ID=spiffe://$TRUST_DOMAIN/ns/apps/sa/payments
WORKLOAD_SELECTOR=docker:label:svid-auth.workload:payments
WAREHOUSE_ID=spiffe://$TRUST_DOMAIN/ns/apps/sa/warehouse
WAREHOUSE_SELECTOR=docker:label:svid-auth.workload:warehouse
# Keycloak itself, so that its spiffe-helper receives the trust domain's X.509 bundle.
KEYCLOAK_ID=spiffe://$TRUST_DOMAIN/ns/iam/sa/keycloak
KEYCLOAK_SELECTOR=docker:label:svid-auth.workload:keycloak
# JWT-SVID lifetime; svid-auth's default svid.max.lifetime is 3600.
JWT_SVID_TTL=300

server() {
  docker compose exec -T spire-server /opt/spire/bin/spire-server "$@"
}

echo "Waiting for the SPIRE server ..."
tries=0
until server healthcheck >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -gt 60 ]; then
    echo "The SPIRE server is not healthy: is 'docker compose up -d' running? See 'docker compose logs spire-server'." >&2
    exit 1
  fi
  sleep 2
done

# create_entry <SPIFFE ID> <selector> [more spire-server entry create options]: once.
create_entry() {
  id=$1
  selector=$2
  shift 2
  if server entry show -spiffeID "$id" | grep -q "$id"; then
    echo "Entry for $id exists."
  else
    echo "Creating the entry for $id ($selector) ..."
    server entry create -parentID "$AGENT_ID" -spiffeID "$id" -selector "$selector" "$@"
  fi
}

create_entry "$WORKLOAD_ID" "$WORKLOAD_SELECTOR" -jwtSVIDTTL "$JWT_SVID_TTL"
create_entry "$WAREHOUSE_ID" "$WAREHOUSE_SELECTOR"
create_entry "$KEYCLOAK_ID" "$KEYCLOAK_SELECTOR"

if docker compose --profile workload ps --status running --services | grep -qx spire-agent; then
  echo "The SPIRE agent is running."
else
  echo "Generating a join token for $AGENT_ID and starting the agent ..."
  SPIRE_JOIN_TOKEN=$(server token generate -spiffeID "$AGENT_ID" -ttl 600 | sed -n 's/^Token: *//p')
  if [ -z "$SPIRE_JOIN_TOKEN" ]; then
    echo "spire-server token generate printed no token" >&2
    exit 1
  fi
  # The agent reads it from a file (-joinTokenFile in compose.yaml), never from its command line.
  # Single use and valid 600 s: once the agent has attested, it renews its own SVID.
  mkdir -p .join-token
  (umask 077 && printf '%s\n' "$SPIRE_JOIN_TOKEN" > .join-token/token)
  docker compose --profile workload up -d spire-agent
fi

echo "Starting the spiffe-helpers (Keycloak starts once spiffe-helper-keycloak has written its trust bundle) ..."
docker compose --profile workload up -d spiffe-helper spiffe-helper-warehouse spiffe-helper-keycloak

# Both run, whatever the first shows; the script fails if either did not get a token.
status=0
echo "Running the JWT-SVID workload ($WORKLOAD_ID) ..."
docker compose --profile workload run --rm workload || status=1
echo
echo "Running the X.509-SVID workload ($WAREHOUSE_ID) ..."
docker compose --profile workload run --rm workload-warehouse || status=1
exit "$status"
