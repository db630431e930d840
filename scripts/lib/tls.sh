# shellcheck shell=bash
# Test certificates for TLS to the test databases. Source this file, then:
#   tls_make_certs <dir> [owner]   create (once) under <dir>:
#     ca.crt, ca.key          a self-signed test CA
#     server.crt, server.key  the server's certificate, signed by the CA, for host name
#                             `localhost` only (subjectAltName DNS:localhost): verify-full passes
#                             by `localhost` and is refused by `127.0.0.1`
#     client.crt, client.key  a client certificate (CN tributary_cert) signed by the CA
#     client-encrypted.key    client.key as encrypted PKCS#8 (PBES2, AES-256), password keypass
#     other-ca.crt            a second CA that signed nothing: trusting it must fail
# Keys are 0600 and, with [owner], owned by that OS user (the server reads them as itself).

tls_make_certs() {
  local dir=$1 owner=${2:-}
  mkdir -p "$dir"
  if [ ! -f "$dir/client.key" ]; then
    command -v openssl >/dev/null || { echo "openssl is needed for the test certificates" >&2; return 1; }
    (
      set -e
      cd "$dir"
      openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Tributary test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout ca.key -out ca.crt 2>/dev/null
      openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Tributary other test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout other-ca.key -out other-ca.crt 2>/dev/null
      local name
      for name in server client; do
        local cn=localhost ext="subjectAltName=DNS:localhost
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth"
        if [ "$name" = client ]; then
          cn=tributary_cert ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
        fi
        printf '%s\n' "$ext" > "$name.ext"
        openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn" -keyout "$name.key" -out "$name.csr" 2>/dev/null
        openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
          -extfile "$name.ext" -out "$name.crt" 2>/dev/null
        rm -f "$name.csr" "$name.ext"
      done
      chmod 600 ./*.key
      chmod 644 ./*.crt
    ) || { echo "could not create the test certificates in $dir" >&2; return 1; }
  fi
  # Separate from the rest so that directories made before it gain the file.
  if [ ! -f "$dir/client-encrypted.key" ]; then
    openssl pkcs8 -topk8 -v2 aes256 -in "$dir/client.key" -out "$dir/client-encrypted.key" \
      -passout pass:keypass 2>/dev/null \
      || { echo "could not encrypt the test client key in $dir" >&2; return 1; }
    chmod 600 "$dir/client-encrypted.key"
  fi
  if [ -n "$owner" ] && [ "$(id -u)" = 0 ]; then chown -R "$owner": "$dir"; fi
  chmod 755 "$dir"
}
