#!/bin/sh
# svid-auth live demo. Needs a JDK 17+ and access to Maven Central, nothing else.
#
# Builds the drop-in JAR (provider-jar/target/svid-auth.jar), fetches Keycloak from Maven Central
# (keycloak-quarkus-dist), starts it under demo/target/ with the JAR and realm-export/svid-auth-realm.json,
# starts a SPIRE emulator, lets the workload spiffe://example.org/ns/agents/planner exchange its
# JWT-SVID for an access token, shows one rejection, lets spiffe://example.org/ns/apps/sa/warehouse
# get a token bound to its X.509-SVID over mutual TLS (Keycloak's HTTPS listener), lets
# spiffe://example.org/ns/apps/sa/ledger get one with a WIT-SVID and its proof of possession (and
# shows the same proof refused when replayed), and stops everything it started.
# Extra arguments go to Maven, e.g. ./demo.sh -o (offline).
set -e
cd "$(dirname "$0")"
echo "Building svid-auth.jar and fetching Keycloak (a first run downloads Maven, the dependencies and the ~200 MB Keycloak distribution)..."
exec ./mvnw -q -Pdemo -pl demo -am -DskipTests verify "$@"
