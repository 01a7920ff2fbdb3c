#!/bin/sh
# Renders deploy/nginx.conf.template into a complete nginx.conf (docs/deploy.md), filling its
# placeholders the way the scaled benchmark (bench/run.py) does.
#
# usage: deploy/render-nginx.sh [-p PREFIX] [-l PORT] [-s STATIC_ROOT]
#                               [-c CERT -k KEY] [-o OUTPUT] DAPHNE_PORT...
#   -p PREFIX       directory for nginx's pid, error log and temp files (@PREFIX@);
#                   default /var/lib/puente-nginx
#   -l PORT         port nginx listens on (@PORT@); default 8080, or 443 with -c/-k
#   -s STATIC_ROOT  the STATIC_ROOT of the env file (@STATIC_ROOT@);
#                   default /srv/puente/staticfiles
#   -c CERT -k KEY  TLS: listen on PORT on every address with this certificate chain and
#                   key, and (PORT 443) redirect port 80 to https. Without them nginx
#                   listens on 127.0.0.1:PORT in plain HTTP, as in the benchmark.
#   -o OUTPUT       write there instead of standard output
#   DAPHNE_PORT...  one loopback port per daphne process (@UPSTREAMS@)
#
# example: deploy/render-nginx.sh -c /etc/ssl/puente/fullchain.pem \
#            -k /etc/ssl/puente/privkey.pem -o /etc/puente/nginx.conf 8001 8002
set -eu

usage() {
  sed -n '5,16s/^# \{0,1\}//p' "$0" >&2
  exit 2
}

fail() {
  echo "render-nginx.sh: $*" >&2
  exit 2
}

# Values go into sed replacements delimited by "|": refuse what would break them.
check_path() {
  case $2 in
    /*) ;;
    *) fail "$1 must be an absolute path: $2" ;;
  esac
  case $2 in
    *[\|\\\&\;[:space:]]*) fail "$1 must not contain spaces or any of | \\ & ; (got: $2)" ;;
  esac
}

check_port() {
  case $2 in
    '' | *[!0-9]*) fail "$1 must be a port number: $2" ;;
  esac
  [ "$2" -ge 1 ] && [ "$2" -le 65535 ] || fail "$1 out of range: $2"
}

prefix=/var/lib/puente-nginx
port=
static_root=/srv/puente/staticfiles
cert=
key=
output=
while getopts p:l:s:c:k:o:h opt; do
  case $opt in
    p) prefix=$OPTARG ;;
    l) port=$OPTARG ;;
    s) static_root=$OPTARG ;;
    c) cert=$OPTARG ;;
    k) key=$OPTARG ;;
    o) output=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage

if [ -n "$cert" ] || [ -n "$key" ]; then
  [ -n "$cert" ] && [ -n "$key" ] || fail "-c and -k go together"
  check_path CERT "$cert"
  check_path KEY "$key"
  : "${port:=443}"
else
  : "${port:=8080}"
fi
check_path PREFIX "${prefix%/}"
check_path STATIC_ROOT "${static_root%/}"
check_port PORT "$port"

template=$(dirname "$0")/nginx.conf.template
[ -r "$template" ] || fail "cannot read $template"

# @UPSTREAMS@: one "server" line per daphne port (a backslash-newline is a newline in sed).
upstreams=
for daphne_port in "$@"; do
  check_port DAPHNE_PORT "$daphne_port"
  [ "$daphne_port" != "$port" ] || fail "nginx and daphne cannot both use port $port"
  [ -z "$upstreams" ] || upstreams="$upstreams\\
"
  upstreams="$upstreams    server 127.0.0.1:$daphne_port max_fails=0;"
done

# TLS: replace the loopback listen line; with port 443, add a server that redirects port 80.
tls_listen=
tls_redirect=
if [ -n "$cert" ]; then
  tls_listen="s|^    listen 127\\.0\\.0\\.1:@PORT@;\$|    listen @PORT@ ssl;\\
    ssl_certificate $cert;\\
    ssl_certificate_key $key;\\
    ssl_protocols TLSv1.2 TLSv1.3;|"
  if [ "$port" = 443 ]; then
    tls_redirect="\$s|^}\$|\\
  server {\\
    listen 80;\\
    server_name _;\\
    return 301 https://\$host\$request_uri;\\
  }\\
}|"
  fi
fi

render() {
  if [ -z "$cert" ]; then
    cat "$template"
  elif [ -z "$tls_redirect" ]; then
    sed -e "$tls_listen" "$template"
  else
    sed -e "$tls_listen" -e "$tls_redirect" "$template"
  fi | sed -e "s|@PREFIX@|${prefix%/}|g" \
    -e "s|@PORT@|$port|g" \
    -e "s|@STATIC_ROOT@|${static_root%/}|g" \
    -e "s|^@UPSTREAMS@\$|$upstreams|"
}

tmp="${output:-${TMPDIR:-/tmp}/render-nginx}.tmp.$$"
trap 'rm -f "$tmp"' EXIT
render >"$tmp"
# Comments may name @PLACEHOLDERS@; the directives must not contain any.
if grep -v '^ *#' "$tmp" | grep -q '@[A-Z_]*@'; then
  fail "placeholders left unfilled in $template"
fi
if [ -n "$output" ]; then
  mv "$tmp" "$output"
else
  cat "$tmp"
fi
