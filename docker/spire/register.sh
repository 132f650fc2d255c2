#!/bin/sh
# One-shot (compose service spire-register, image built from spire/Dockerfile, target register):
# registers the compose demo's agent and workloads with the SPIRE server through its API socket,
# and leaves a fresh join token for the agent in the spire-join-token volume. The agent, and with
# it the spiffe-helpers, Keycloak and the workloads, start once this has exited 0
# (depends_on: condition: service_completed_successfully), so `docker compose up` needs no
# second command.
#
# Runs again on every `docker compose up`: each entry is created once, and every run leaves a new
# single-use join token (valid 600 s). An agent that still holds a valid SVID of its own (volume
# spire-agent-data) keeps using it and ignores the token; one whose SVID expired while the project
# was down attests again with it.
set -eu

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
# The SPIRE server's API socket (volume spire-server-socket) and where the agent reads its token
# (volume spire-join-token; spire-agent -joinTokenFile).
SERVER_SOCKET=${SERVER_SOCKET:-/tmp/spire-server/private/api.sock}
JOIN_TOKEN_FILE=${JOIN_TOKEN_FILE:-/run/spire/join-token/token}
SPIRE_SERVER=${SPIRE_SERVER:-/opt/spire/bin/spire-server}

# server <command> <subcommand or option> ...: spire-server's CLI against the server's socket.
server() {
  cmd=$1
  shift
  case $cmd in
    healthcheck) "$SPIRE_SERVER" healthcheck -socketPath "$SERVER_SOCKET" "$@" ;;
    *) sub=$1; shift; "$SPIRE_SERVER" "$cmd" "$sub" -socketPath "$SERVER_SOCKET" "$@" ;;
  esac
}

echo "Waiting for the SPIRE server ..."
tries=0
until server healthcheck >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -gt 60 ]; then
    echo "The SPIRE server is not healthy at $SERVER_SOCKET: see 'docker compose logs spire-server'." >&2
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

echo "Generating a join token for $AGENT_ID ..."
SPIRE_JOIN_TOKEN=$(server token generate -spiffeID "$AGENT_ID" -ttl 600 | sed -n 's/^Token: *//p')
if [ -z "$SPIRE_JOIN_TOKEN" ]; then
  echo "spire-server token generate printed no token" >&2
  exit 1
fi
# The agent reads it from a file (-joinTokenFile in compose.yaml), never from its command line,
# where every process of the host could read it. Written whole, then renamed into place.
mkdir -p "$(dirname "$JOIN_TOKEN_FILE")"
(umask 077 && printf '%s\n' "$SPIRE_JOIN_TOKEN" > "$JOIN_TOKEN_FILE.new")
mv "$JOIN_TOKEN_FILE.new" "$JOIN_TOKEN_FILE"
echo "Join token written to $JOIN_TOKEN_FILE; the agent starts next."
