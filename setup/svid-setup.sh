#!/usr/bin/env bash
# svid-setup.sh: sets up svid-auth in an EXISTING Keycloak realm with Keycloak's own admin CLI
# (kcadm.sh). Run it with --help for the arguments; README.md, "Quick start for operators", shows
# it in context. Needs bash and kcadm.sh only (no jq, no curl), so it also runs inside the Keycloak
# container. Idempotent: a second run with the same arguments changes nothing and says so.
set -euo pipefail

readonly UI_PAGE_TYPE=org.keycloak.services.ui.extend.UiPageProvider
readonly TRUST_DOMAIN_PROVIDER=svid-trust-domain
readonly JWT_AUTHENTICATOR=client-svid-jwt
readonly X509_AUTHENTICATOR=client-svid-x509
readonly MAPPER_TYPE=oidc-svid-claim-mapper
readonly MAPPER_NAME=spiffe_id

usage() {
  cat <<'EOF'
Usage: svid-setup.sh --server URL --realm REALM --trust-domain NAME
                     (--bundle-uri URL | --jwks-uri URL) [--issuer URL]
                     --spiffe-id SPIFFE_ID --client-id CLIENT_ID [options]

Sets up svid-auth in an existing realm, with Keycloak's own kcadm.sh:
  1. the client authentication flow: a copy of the realm's current one (normally "clients") with
     client-svid-jwt and client-svid-x509 added as ALTERNATIVE at the top (before Keycloak's
     client-jwt and federated-jwt), bound as the realm's client authentication flow;
  2. a trust-domain entry (component svid-trust-domain) for --trust-domain with its key source;
  3. a client authenticating with a JWT-SVID (client-svid-jwt, svid.spiffe.id = --spiffe-id,
     service account on, every browser flow off), relying on the trust-domain entry for its keys;
  4. an SVID claim mapper (oidc-svid-claim-mapper) on that client: claim spiffe_id in the access
     token and introspection.
Each item is created only when missing. An item that exists with other settings is left alone and
the script stops naming it (it never overwrites an entry or a client). A second run with the same
arguments changes nothing and prints "Nothing changed".

Arguments:
  --server URL           Keycloak's base URL, e.g. https://keycloak.example.org
  --realm REALM          the existing realm to set up
  --trust-domain NAME    SPIFFE trust domain, e.g. example.org
  --bundle-uri URL       the trust domain's SPIFFE bundle endpoint (SPIRE: https_web profile)
  --jwks-uri URL         or a JWKS, e.g. the SPIRE OIDC Discovery Provider's /keys
                         (exactly one of --bundle-uri and --jwks-uri)
  --issuer URL           optional: pin the SVIDs' iss (SPIRE's jwt_issuer), byte for byte
  --spiffe-id ID         the SPIFFE ID the client accepts: exact, or ending in /* for every
                         workload below a path (segment-safe)
  --client-id ID         the client to create
Options:
  --flow-alias NAME      alias of the flow copy (default: svid-clients)
  --admin-realm REALM    the realm the administrator logs in to (default: master)
  --truststore FILE      a JKS or PKCS #12 trust store for Keycloak's TLS certificate
                         (its password in KC_CLI_TRUSTSTORE_PASSWORD)
  -h, --help             this text

Environment:
  KC_ADMIN_USER, KC_ADMIN_PASSWORD          an administrator of --admin-realm (realm-admin of the
                                            realm, or master's admin), or
  KC_ADMIN_CLIENT_ID, KC_ADMIN_CLIENT_SECRET a service-account client with those roles
  KCADM                                     kcadm.sh to use (default: $KC_HOME/bin/kcadm.sh when
                                            KC_HOME is set, else kcadm.sh on the PATH)

Trust-domain entries with kcadm.sh (realm components of provider type
org.keycloak.services.ui.extend.UiPageProvider, provider id svid-trust-domain):
  list:    kcadm.sh get components -r REALM -q type=org.keycloak.services.ui.extend.UiPageProvider
  create:  kcadm.sh create components -r REALM -s name=example.org -s providerId=svid-trust-domain \
             -s providerType=org.keycloak.services.ui.extend.UiPageProvider -s parentId=REALM_ID \
             -s 'config.trustDomain=["example.org"]' -s 'config.bundleEndpointUrl=["https://…"]'
  change:  kcadm.sh update components/ID -r REALM -s 'config.issuer=["https://…"]'
  delete:  kcadm.sh delete components/ID -r REALM
  (REALM_ID: kcadm.sh get realms/REALM --fields id; fields: docs/trust-domains.md)

Exit status: 0 when the realm is set up (changed or not), 1 on an error, 2 on a usage error.
EOF
}

die() { echo "svid-setup: $*" >&2; exit 1; }
usage_error() { echo "svid-setup: $*" >&2; echo "Run 'svid-setup.sh --help' for the arguments." >&2; exit 2; }

server= realm= trust_domain= bundle_uri= jwks_uri= issuer= spiffe_id= client_id=
flow_alias=svid-clients admin_realm=master truststore=
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --server|--realm|--trust-domain|--bundle-uri|--jwks-uri|--issuer|--spiffe-id|--client-id|--flow-alias|--admin-realm|--truststore)
      [ $# -ge 2 ] || usage_error "$1 needs a value"
      case "$1" in
        --server) server=$2 ;;
        --realm) realm=$2 ;;
        --trust-domain) trust_domain=$2 ;;
        --bundle-uri) bundle_uri=$2 ;;
        --jwks-uri) jwks_uri=$2 ;;
        --issuer) issuer=$2 ;;
        --spiffe-id) spiffe_id=$2 ;;
        --client-id) client_id=$2 ;;
        --flow-alias) flow_alias=$2 ;;
        --admin-realm) admin_realm=$2 ;;
        --truststore) truststore=$2 ;;
      esac
      shift 2 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done

for required in server realm trust_domain spiffe_id client_id; do
  [ -n "${!required}" ] || usage_error "--${required//_/-} is required"
done
if [ -n "$bundle_uri" ] && [ -n "$jwks_uri" ]; then
  usage_error "give --bundle-uri or --jwks-uri, not both (a trust-domain entry has one key source)"
fi
if [ -z "$bundle_uri" ] && [ -z "$jwks_uri" ]; then
  usage_error "--bundle-uri or --jwks-uri is required (the trust domain's key source)"
fi
case "$trust_domain" in
  *[!a-z0-9._-]*|'') usage_error "--trust-domain '$trust_domain': only lower-case letters, digits, '.', '-' and '_' (no scheme, port or path)" ;;
esac
case "$spiffe_id" in
  "spiffe://$trust_domain/"?*) ;;
  spiffe://*) usage_error "--spiffe-id '$spiffe_id' is not of trust domain '$trust_domain'" ;;
  *) usage_error "--spiffe-id '$spiffe_id' must start with spiffe://$trust_domain/" ;;
esac
case "$flow_alias" in
  *[!A-Za-z0-9._-]*|'') usage_error "--flow-alias '$flow_alias': letters, digits, '.', '-' and '_' only" ;;
esac
for url in "$server" ${bundle_uri:+"$bundle_uri"} ${jwks_uri:+"$jwks_uri"} ${issuer:+"$issuer"}; do
  case "$url" in
    http://?*|https://?*) ;;
    *) usage_error "'$url' is not an http(s) URL" ;;
  esac
done
case "$server" in */) server=${server%/} ;; esac

if [ -z "${KCADM:-}" ]; then
  if [ -n "${KC_HOME:-}" ]; then
    KCADM=$KC_HOME/bin/kcadm.sh
  else
    KCADM=$(command -v kcadm.sh || true)
  fi
fi
[ -n "$KCADM" ] && [ -x "$KCADM" ] || die "kcadm.sh not found: set KC_HOME to your Keycloak installation, or KCADM to kcadm.sh (it ships in Keycloak's bin/)"

# kcadm.sh keeps its session in a config file of its own, deleted at exit: nothing in ~/.keycloak.
work=$(mktemp -d "${TMPDIR:-/tmp}/svid-setup.XXXXXX")
trap 'rm -rf "$work"' EXIT
config=$work/kcadm.config

# kc ARGS...: kcadm.sh with the session; stops the script with kcadm's own message on failure.
kc() {
  local out
  if ! out=$("$KCADM" "$@" --config "$config" 2>"$work/err"); then
    die "kcadm.sh $1 $2 failed: $(tr '\n' ' ' <"$work/err")"
  fi
  printf '%s' "$out"
}

# Log in once.
login=(config credentials --config "$config" --server "$server" --realm "$admin_realm")
if [ -n "$truststore" ]; then
  login+=(--truststore "$truststore")
fi
if [ -n "${KC_ADMIN_USER:-}" ]; then
  [ -n "${KC_ADMIN_PASSWORD:-}" ] || die "KC_ADMIN_PASSWORD is not set (the password of KC_ADMIN_USER)"
  login+=(--user "$KC_ADMIN_USER")
  export KC_CLI_PASSWORD=$KC_ADMIN_PASSWORD
elif [ -n "${KC_ADMIN_CLIENT_ID:-}" ]; then
  [ -n "${KC_ADMIN_CLIENT_SECRET:-}" ] || die "KC_ADMIN_CLIENT_SECRET is not set (the secret of KC_ADMIN_CLIENT_ID)"
  login+=(--client "$KC_ADMIN_CLIENT_ID")
  export KC_CLI_CLIENT_SECRET=$KC_ADMIN_CLIENT_SECRET
else
  die "no administrator: set KC_ADMIN_USER and KC_ADMIN_PASSWORD (or KC_ADMIN_CLIENT_ID and KC_ADMIN_CLIENT_SECRET)"
fi
if ! "$KCADM" "${login[@]}" >/dev/null 2>"$work/err"; then
  die "cannot log in to $server (realm $admin_realm): $(tr '\n' ' ' <"$work/err")"
fi

changes=0
changed() { echo "  $1: $2"; changes=$((changes + 1)); }
unchanged() { echo "  $1: unchanged ($2)"; }

echo "Setting up svid-auth in realm '$realm' at $server"

if ! "$KCADM" get "realms/$realm" --config "$config" --fields realm >/dev/null 2>"$work/err"; then
  die "realm '$realm' cannot be read at $server: $(tr '\n' ' ' <"$work/err")(this script sets up an EXISTING realm; create it first, e.g. kcadm.sh create realms -s realm=$realm -s enabled=true)"
fi

# The JAR must be installed: both authenticators are listed by the server.
providers=$(kc get authentication/client-authenticator-providers -r "$realm" --fields id --format csv --noquotes)
for p in "$JWT_AUTHENTICATOR" "$X509_AUTHENTICATOR"; do
  grep -qx "$p" <<<"$providers" || die "this Keycloak has no client authenticator '$p': copy svid-auth's JAR into providers/, run kc.sh build and restart Keycloak"
done

# 1. The flow: a copy of the realm's current client authentication flow, our two steps on top.
bound=$(kc get "realms/$realm" --fields clientAuthenticationFlow --format csv --noquotes)
flows=$(kc get authentication/flows -r "$realm" --fields alias --format csv --noquotes)
if grep -qx "$flow_alias" <<<"$flows"; then
  unchanged "flow '$flow_alias'" "exists"
else
  kc create "authentication/flows/${bound// /%20}/copy" -r "$realm" -s "newName=$flow_alias" >/dev/null
  changed "flow '$flow_alias'" "created as a copy of '$bound'"
fi

# executions: "id,providerId,requirement,level,index,priority" per line, in the flow's order
executions() {
  kc get "authentication/flows/$flow_alias/executions" -r "$realm" \
    --fields id,providerId,requirement,level,index,priority --format csv --noquotes
}
# place PROVIDER INDEX: the provider's top-level step exists, is ALTERNATIVE and has that index.
place() {
  local provider=$1 want=$2 list line id requirement index priority
  list=$(executions)
  line=$(awk -F, -v p="$provider" '$2 == p && $4 == 0 { print; exit }' <<<"$list")
  if [ -z "$line" ]; then
    kc create "authentication/flows/$flow_alias/executions/execution" -r "$realm" -s "provider=$provider" >/dev/null
    list=$(executions)
    line=$(awk -F, -v p="$provider" '$2 == p && $4 == 0 { print; exit }' <<<"$list")
    [ -n "$line" ] || die "adding '$provider' to flow '$flow_alias' did not show in its executions"
    changed "flow '$flow_alias'" "added $provider"
  fi
  IFS=, read -r id _ requirement _ index priority <<<"$line"
  if [ "$requirement" != ALTERNATIVE ]; then
    kc update "authentication/flows/$flow_alias/executions" -r "$realm" -n \
      -b "{\"id\":\"$id\",\"requirement\":\"ALTERNATIVE\",\"priority\":${priority:-0}}" >/dev/null
    changed "flow '$flow_alias'" "$provider set to ALTERNATIVE"
  fi
  if [ "$index" -gt "$want" ]; then
    while [ "$index" -gt "$want" ]; do
      kc create "authentication/executions/$id/raise-priority" -r "$realm" >/dev/null
      index=$((index - 1))
    done
    changed "flow '$flow_alias'" "$provider moved to position $((want + 1))"
  elif [ "$index" -lt "$want" ]; then
    die "flow '$flow_alias' has '$provider' at position $((index + 1)), above where this script puts it; order it in the admin console (Authentication -> $flow_alias) or choose another --flow-alias"
  fi
}
before=$changes
place "$JWT_AUTHENTICATOR" 0
place "$X509_AUTHENTICATOR" 1
if [ "$changes" -eq "$before" ]; then
  unchanged "flow '$flow_alias'" "$JWT_AUTHENTICATOR and $X509_AUTHENTICATOR first, ALTERNATIVE"
fi

if [ "$bound" = "$flow_alias" ]; then
  unchanged "client authentication flow" "'$flow_alias'"
else
  kc update "realms/$realm" -s "clientAuthenticationFlow=$flow_alias" >/dev/null
  changed "client authentication flow" "'$flow_alias' (was '$bound')"
fi

# 2. The trust-domain entry.
if [ -n "$bundle_uri" ]; then key_field=bundleEndpointUrl key_url=$bundle_uri; else key_field=jwksUri key_url=$jwks_uri; fi
entries=$(kc get components -r "$realm" -q "type=$UI_PAGE_TYPE" \
  --fields 'id,providerId,config(trustDomain,bundleEndpointUrl,jwksUri,issuer)' --format csv --noquotes)
entry=$(awk -F, -v p="$TRUST_DOMAIN_PROVIDER" -v td="$trust_domain" '$2 == p && $3 == td { print; exit }' <<<"$entries")
if [ -z "$entry" ]; then
  realm_id=$(kc get "realms/$realm" --fields id --format csv --noquotes)
  create=(create components -r "$realm" -s "name=$trust_domain" -s "providerId=$TRUST_DOMAIN_PROVIDER"
    -s "providerType=$UI_PAGE_TYPE" -s "parentId=$realm_id"
    -s "config.trustDomain=[\"$trust_domain\"]" -s "config.$key_field=[\"$key_url\"]")
  if [ -n "$issuer" ]; then
    create+=(-s "config.issuer=[\"$issuer\"]")
  fi
  kc "${create[@]}" >/dev/null
  changed "trust-domain entry '$trust_domain'" "created ($key_field $key_url${issuer:+, issuer $issuer})"
else
  IFS=, read -r entry_id _ _ have_bundle have_jwks have_issuer <<<"$entry"
  if [ "$have_bundle" != "$bundle_uri" ] || [ "$have_jwks" != "$jwks_uri" ] || [ "$have_issuer" != "$issuer" ]; then
    die "trust-domain entry '$trust_domain' exists with other settings (bundleEndpointUrl '$have_bundle', jwksUri '$have_jwks', issuer '$have_issuer'); it is the trust domain's authority for every client of the realm, so this script does not change it: pass its settings, or change it with kcadm.sh update components/$entry_id -r $realm -s 'config.FIELD=[\"VALUE\"]'"
  fi
  unchanged "trust-domain entry '$trust_domain'" "exists with the same key source"
fi

# 3. The client. Keycloak's lookup by clientId may ignore case (MariaDB, MySQL): keep an exact match only.
clients=$(kc get clients -r "$realm" -q "clientId=$client_id" \
  --fields 'id,clientId,clientAuthenticatorType,serviceAccountsEnabled,attributes(svid.spiffe.id)' --format csv --noquotes)
client=$(awk -F, -v c="$client_id" '$2 == c { print; exit }' <<<"$clients")
if [ -z "$client" ]; then
  client_uuid=$(kc create clients -r "$realm" -i -s "clientId=$client_id" -s protocol=openid-connect \
    -s publicClient=false -s serviceAccountsEnabled=true -s standardFlowEnabled=false \
    -s implicitFlowEnabled=false -s directAccessGrantsEnabled=false \
    -s "clientAuthenticatorType=$JWT_AUTHENTICATOR" -s "attributes.\"svid.spiffe.id\"=$spiffe_id")
  changed "client '$client_id'" "created ($JWT_AUTHENTICATOR, svid.spiffe.id $spiffe_id, service account)"
else
  IFS=, read -r client_uuid _ have_auth have_sa have_spiffe <<<"$client"
  if [ "$have_auth" != "$JWT_AUTHENTICATOR" ] || [ "$have_spiffe" != "$spiffe_id" ] || [ "$have_sa" != true ]; then
    die "client '$client_id' exists with other settings (authenticator '$have_auth', svid.spiffe.id '$have_spiffe', service accounts '$have_sa'); this script does not change an existing client: choose another --client-id, or set it in the admin console (Clients -> $client_id -> Credentials)"
  fi
  unchanged "client '$client_id'" "exists with $JWT_AUTHENTICATOR and svid.spiffe.id $spiffe_id"
fi

# 4. The SVID claim mapper on the client.
mappers=$(kc get "clients/$client_uuid/protocol-mappers/models" -r "$realm" --fields name,protocolMapper --format csv --noquotes)
if awk -F, -v n="$MAPPER_NAME" -v t="$MAPPER_TYPE" '$1 == n && $2 == t { found = 1 } END { exit !found }' <<<"$mappers"; then
  unchanged "mapper '$MAPPER_NAME' of client '$client_id'" "exists"
else
  kc create "clients/$client_uuid/protocol-mappers/models" -r "$realm" -s "name=$MAPPER_NAME" \
    -s protocol=openid-connect -s "protocolMapper=$MAPPER_TYPE" \
    -s 'config."svid.claim"=spiffe_id' -s 'config."claim.name"=spiffe_id' -s 'config."jsonType.label"=String' \
    -s 'config."access.token.claim"=true' -s 'config."introspection.token.claim"=true' \
    -s 'config."id.token.claim"=false' -s 'config."userinfo.token.claim"=false' >/dev/null
  changed "mapper '$MAPPER_NAME' of client '$client_id'" "created ($MAPPER_TYPE: claim spiffe_id)"
fi

if [ "$changes" -eq 0 ]; then
  echo "Nothing changed: realm '$realm' was already set up."
else
  echo "Done: $changes change(s) in realm '$realm'."
fi
echo "Token endpoint: $server/realms/$realm/protocol/openid-connect/token (SVID audience: $server/realms/$realm)"
