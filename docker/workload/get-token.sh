#!/bin/sh
# The workload: presents the SVID that spiffe-helper keeps fresh on disk to Keycloak's token
# endpoint as its OAuth client credential (client_credentials). No client secret anywhere.
# Exits 0 when Keycloak issued an access token.
#
#   JWT-SVID (default): $SVID_FILE as client_assertion, over HTTP.
#   X.509-SVID, when $SVID_CERT_FILE is set: $SVID_CERT_FILE and $SVID_KEY_FILE as TLS client
#   certificate (curl --cert/--key, mutual TLS as in RFC 8705) at Keycloak's HTTPS listener, whose
#   server certificate is $KEYCLOAK_CA_FILE; the form carries client_id=$CLIENT_ID when set.
set -eu

TOKEN_ENDPOINT=${TOKEN_ENDPOINT:-http://keycloak:8080/realms/svid/protocol/openid-connect/token}
SVID_FILE=${SVID_FILE:-/svids/jwt_svid.token}
# jwt-bearer (RFC 7523) as in spiffe-helper setups; svid-auth also takes
# urn:ietf:params:oauth:client-assertion-type:jwt-spiffe.
ASSERTION_TYPE=${ASSERTION_TYPE:-urn:ietf:params:oauth:client-assertion-type:jwt-bearer}
SVID_CERT_FILE=${SVID_CERT_FILE:-}
SVID_KEY_FILE=${SVID_KEY_FILE:-/svids/svid_key.pem}
KEYCLOAK_CA_FILE=${KEYCLOAK_CA_FILE:-/tls/keycloak.crt}
CLIENT_ID=${CLIENT_ID:-}
# An X.509-SVID file older than this many seconds has expired: SPIRE's default_x509_svid_ttl
# (spiffe-helper rewrites the file at half its lifetime, so a live helper keeps it younger).
SVID_MAX_AGE=${SVID_MAX_AGE:-3600}
# How long to wait for spiffe-helper to write a usable SVID, in seconds.
SVID_WAIT=${SVID_WAIT:-120}

# Prints the decoded JSON of part $2 (1 = header, 2 = payload) of the JWT $1.
jwt_part() {
  part=$(printf '%s' "$1" | cut -d. -f"$2" | tr '_-' '/+')
  case $(( ${#part} % 4 )) in
    2) part="$part==" ;;
    3) part="$part=" ;;
  esac
  printf '%s' "$part" | base64 -d 2>/dev/null || printf '(not decodable)'
}

# Seconds until the JWT-SVID $1 expires (negative once expired); empty when it has no exp.
seconds_left() {
  exp=$(jwt_part "$1" 2 | sed -n 's/.*"exp":\([0-9]*\).*/\1/p')
  [ -n "$exp" ] && echo $(( exp - $(date +%s) ))
}

# Sets $state to what is wrong with the SVID on disk, or to nothing when it is usable. After
# spiffe-helper was down, the files still hold the last SVID it wrote, possibly expired: wait for a
# fresh one instead of presenting it (Keycloak would refuse it).
check_svid() {
  state=
  if [ -n "$SVID_CERT_FILE" ]; then
    for f in "$SVID_CERT_FILE" "$SVID_KEY_FILE"; do
      if [ ! -s "$f" ] || [ ! -r "$f" ]; then
        state="no readable X.509-SVID file $f"
        return
      fi
    done
    age=$(( $(date +%s) - $(date -r "$SVID_CERT_FILE" +%s) ))
    if [ "$age" -ge "$SVID_MAX_AGE" ]; then
      state="the X.509-SVID in $SVID_CERT_FILE was written ${age} s ago and has expired"
    fi
  elif [ -s "$SVID_FILE" ]; then
    svid=$(cat "$SVID_FILE")
    left=$(seconds_left "$svid")
    if [ -z "$left" ] || [ "$left" -lt 5 ]; then
      state="the JWT-SVID in $SVID_FILE has expired (or has no exp)"
    fi
  else
    state="no JWT-SVID in $SVID_FILE"
  fi
}

waited=0
while :; do
  check_svid
  [ -z "$state" ] && break
  if [ "$waited" -ge "$SVID_WAIT" ]; then
    echo "$state after ${waited} s: did ./register.sh create the entry, and is spiffe-helper running?" >&2
    exit 1
  fi
  echo "waiting for spiffe-helper: $state ..."
  sleep 2
  waited=$((waited + 2))
done

if [ -n "$SVID_CERT_FILE" ]; then
  echo "X.509-SVID: $SVID_CERT_FILE ($(grep -c 'BEGIN CERTIFICATE' "$SVID_CERT_FILE") certificate(s)), key $SVID_KEY_FILE"
  echo
  echo "POST $TOKEN_ENDPOINT   (mutual TLS: client certificate = the X.509-SVID; server certificate checked against $KEYCLOAK_CA_FILE)"
  echo "  grant_type=client_credentials"
  [ -n "$CLIENT_ID" ] && echo "  client_id=$CLIENT_ID"
  echo
  answer=$(curl -sS -w '\n%{http_code}' -X POST "$TOKEN_ENDPOINT" \
    --cacert "$KEYCLOAK_CA_FILE" --cert "$SVID_CERT_FILE" --key "$SVID_KEY_FILE" \
    --data-urlencode "grant_type=client_credentials" \
    ${CLIENT_ID:+--data-urlencode "client_id=$CLIENT_ID"})
else
  echo "JWT-SVID header:  $(jwt_part "$svid" 1)"
  echo "JWT-SVID payload: $(jwt_part "$svid" 2)"
  echo
  echo "POST $TOKEN_ENDPOINT"
  echo "  grant_type=client_credentials"
  echo "  client_assertion_type=$ASSERTION_TYPE"
  echo "  client_assertion=$(printf '%.40s' "$svid")..."
  echo
  answer=$(curl -sS -w '\n%{http_code}' -X POST "$TOKEN_ENDPOINT" \
    --data-urlencode "grant_type=client_credentials" \
    --data-urlencode "client_assertion_type=$ASSERTION_TYPE" \
    --data-urlencode "client_assertion=$svid")
fi
status=$(printf '%s\n' "$answer" | tail -n 1)
body=$(printf '%s\n' "$answer" | sed '$d')

echo "HTTP $status"
echo "$body"
access_token=$(printf '%s' "$body" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
if [ -n "$access_token" ]; then
  echo
  echo "access token payload: $(jwt_part "$access_token" 2)"
fi
[ "$status" = "200" ]
