#!/bin/sh
# Registers the compose demo's agent and workload with the SPIRE server, then starts the agent,
# spiffe-helper and the workload (compose profile "workload").
#
#   docker compose up -d --build && ./register.sh
#
# Run it again at any time: the workload entry is created once, the agent gets a fresh join token
# only while it has not attested yet, and the workload runs once more.
set -eu
cd "$(dirname "$0")"

TRUST_DOMAIN=example.org
# Node alias for the compose agent: the join token's agent ID is mapped onto it.
AGENT_ID=spiffe://$TRUST_DOMAIN/node/compose-agent
# The workload and how the agent recognizes it (label on the spiffe-helper container).
WORKLOAD_ID=spiffe://$TRUST_DOMAIN/ns/apps/sa/payments
WORKLOAD_SELECTOR=docker:label:svid-auth.workload:payments
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

if server entry show -spiffeID "$WORKLOAD_ID" | grep -q "$WORKLOAD_ID"; then
  echo "Entry for $WORKLOAD_ID exists."
else
  echo "Creating the entry for $WORKLOAD_ID ($WORKLOAD_SELECTOR) ..."
  server entry create \
    -parentID "$AGENT_ID" \
    -spiffeID "$WORKLOAD_ID" \
    -selector "$WORKLOAD_SELECTOR" \
    -jwtSVIDTTL "$JWT_SVID_TTL"
fi

if docker compose --profile workload ps --status running --services | grep -qx spire-agent; then
  echo "The SPIRE agent is running."
else
  echo "Generating a join token for $AGENT_ID and starting the agent and spiffe-helper ..."
  SPIRE_JOIN_TOKEN=$(server token generate -spiffeID "$AGENT_ID" -ttl 600 | sed -n 's/^Token: *//p')
  if [ -z "$SPIRE_JOIN_TOKEN" ]; then
    echo "spire-server token generate printed no token" >&2
    exit 1
  fi
  # The agent reads it from a file (-joinTokenFile in compose.yaml), never from its command line.
  # Single use and valid 600 s: once the agent has attested, it renews its own SVID.
  mkdir -p .join-token
  (umask 077 && printf '%s\n' "$SPIRE_JOIN_TOKEN" > .join-token/token)
  docker compose --profile workload up -d spire-agent spiffe-helper
fi

echo "Running the workload ..."
docker compose --profile workload run --rm workload
