#!/bin/sh
# The workload: takes the JWT-SVID that spiffe-helper keeps fresh in $SVID_FILE and presents it to
# Keycloak's token endpoint as its OAuth client credential (client_credentials, client_assertion).
# No client secret anywhere. Exits 0 when Keycloak issued an access token.
set -eu

TOKEN_ENDPOINT=${TOKEN_ENDPOINT:-http://keycloak:8080/realms/svid/protocol/openid-connect/token}
SVID_FILE=${SVID_FILE:-/svids/jwt_svid.token}
# jwt-bearer (RFC 7523) as in spiffe-helper setups; svid-auth also takes
# urn:ietf:params:oauth:client-assertion-type:jwt-spiffe.
ASSERTION_TYPE=${ASSERTION_TYPE:-urn:ietf:params:oauth:client-assertion-type:jwt-bearer}
# How long to wait for spiffe-helper to write a usable JWT-SVID, in seconds.
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

# A usable SVID: present, and valid for at least 5 more seconds. After spiffe-helper was down the
# file still holds the last SVID it wrote, possibly expired: wait for a fresh one instead of
# presenting it (Keycloak would refuse it as expired).
waited=0
while :; do
  if [ -s "$SVID_FILE" ]; then
    svid=$(cat "$SVID_FILE")
    left=$(seconds_left "$svid")
    if [ -n "$left" ] && [ "$left" -ge 5 ]; then
      break
    fi
    state="the JWT-SVID in $SVID_FILE has expired (or has no exp)"
  else
    state="no JWT-SVID in $SVID_FILE"
  fi
  if [ "$waited" -ge "$SVID_WAIT" ]; then
    echo "$state after ${waited} s: did ./register.sh create the entry, and is spiffe-helper running?" >&2
    exit 1
  fi
  echo "waiting for spiffe-helper: $state ..."
  sleep 2
  waited=$((waited + 2))
done

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
