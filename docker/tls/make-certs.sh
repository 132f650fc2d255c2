#!/bin/sh
# One-shot (compose service tls-certs): self-signed TLS server certificates for the compose demo,
# each EC P-256 with the host name the other containers connect to as its only SAN, valid 825 days,
# made once and kept across restarts (delete the volume to renew):
#
#   $CERTS_DIR/bundle-endpoint/bundle-endpoint.{crt,key}  SPIRE's bundle endpoint  https://spire-server:8443
#   $CERTS_DIR/keycloak/keycloak.{crt,key}                Keycloak's HTTPS listener https://keycloak:8443
#
# Each directory is its own volume, mounted only where it is needed: the SPIRE server and Keycloak
# (uid 1000) own their key; Keycloak and the X.509 workload trust a certificate by its .crt.
set -eu

CERTS_DIR=${CERTS_DIR:-/certs}

# make <directory> <name> <host>
make() {
  dir=$CERTS_DIR/$1
  mkdir -p "$dir"
  if [ ! -s "$dir/$2.crt" ] || [ ! -s "$dir/$2.key" ]; then
    command -v openssl >/dev/null 2>&1 || apk add --no-cache openssl >/dev/null
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
      -subj "/CN=$3" -addext "subjectAltName=DNS:$3" \
      -keyout "$dir/$2.key" -out "$dir/$2.crt" 2>/dev/null
    echo "made $dir/$2.crt for $3"
  fi
  if [ "$(id -u)" = 0 ]; then
    chown 1000:1000 "$dir/$2.key" "$dir/$2.crt"
  fi
  chmod 0600 "$dir/$2.key"
  chmod 0644 "$dir/$2.crt"
}

make bundle-endpoint bundle-endpoint spire-server
make keycloak keycloak keycloak
