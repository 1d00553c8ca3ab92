// A real OpenID provider for kube-oidc-doctor's tests: panva's oidc-provider (OpenID Certified),
// pinned in package.json. Started by tests/idp/fixture.py; never used outside the test suite.
//
// Usage: node server.js --keys KEYS.json [--cert CERT.pem --key KEY.pem] [--ttl SECONDS]
//   --keys   a private JWKS ({"keys": [...]}) with one key per signing algorithm (kid set)
//   --cert/--key  serve HTTPS with this certificate (a trustme CA in the tests); default HTTP
//   --ttl    the default id_token lifetime (ttl.IdToken)
// It listens on 127.0.0.1 on a free port and prints one JSON line {"issuer": URL, "port": N} when
// ready. SIGHUP re-reads the keys file (key rotation on the same port and issuer); SIGTERM stops.
//
// Test-only grant `urn:oidc-doctor:mint` (one POST to the token endpoint, client `minter`, no
// secret) issues an id_token with chosen claims, algorithm, audience and lifetime through the
// provider's own IdToken model, so the token is signed exactly as the provider signs id_tokens:
//   claims   JSON object merged into the payload (sub defaults to "alice"; iat/nbf may be set)
//   alg      signing algorithm (default RS256); the keystore must hold a key for it
//   aud      audience: a string or a JSON array (default "kubernetes")
//   lifetime seconds until exp, non-zero (negative: already expired; default: ttl.IdToken)
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const MINT = 'urn:oidc-doctor:mint';
const { values: opts } = parseArgs({
  options: {
    keys: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    ttl: { type: 'string', default: '300' },
  },
});
if (!opts.keys) {
  process.stderr.write('server.js: --keys is required\n');
  process.exit(2);
}

function readKeys() {
  return JSON.parse(readFileSync(opts.keys, 'utf8'));
}

function jsonParam(value, fallback) {
  if (value === undefined || value === '') return fallback;
  try {
    return JSON.parse(value);
  } catch {
    return value; // a plain string (e.g. aud=kubernetes)
  }
}

function makeProvider(issuer, jwks) {
  const provider = new Provider(issuer, {
    jwks,
    clients: [
      {
        client_id: 'minter',
        token_endpoint_auth_method: 'none',
        grant_types: [MINT],
        response_types: [],
        redirect_uris: [],
      },
    ],
    // Without this the provider keeps email/groups out of the id_token (they go to userinfo).
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
    },
    ttl: { IdToken: Number(opts.ttl) },
    async findAccount(ctx, id) {
      return { accountId: id, async claims() { return { sub: id }; } };
    },
  });
  provider.registerGrantType(
    MINT,
    async (ctx) => {
      const { params } = ctx.oidc;
      const claims = jsonParam(params.claims, {});
      const alg = params.alg || 'RS256';
      const aud = jsonParam(params.aud, 'kubernetes');
      // The IdToken model takes alg and audience from the client: present a view of the client
      // with the requested ones (only these two properties are read when signing).
      const client = Object.create(ctx.oidc.client, {
        idTokenSignedResponseAlg: { value: alg },
        clientId: { value: aud },
        idTokenEncryptedResponseAlg: { value: undefined },
        idTokenEncryptedResponseEnc: { value: undefined },
      });
      const token = new provider.IdToken({ sub: claims.sub ?? 'alice' }, { ctx, client });
      // Claims are set as extras: the claims mask (scopes) would otherwise drop them.
      for (const [name, value] of Object.entries({ sub: 'alice', ...claims })) token.set(name, value);
      // issue() reads a zero lifetime as "the default ttl": the fixture refuses 0.
      const lifetime = params.lifetime === undefined ? undefined : Number(params.lifetime);
      const expiresAt = lifetime === undefined ? null : Math.floor(Date.now() / 1000) + lifetime;
      const idToken = await token.issue({ use: 'idtoken', expiresAt });
      ctx.body = { id_token: idToken, token_type: 'Bearer', expires_in: lifetime ?? Number(opts.ttl) };
    },
    ['claims', 'alg', 'aud', 'lifetime'],
  );
  provider.on('server_error', (ctx, err) => process.stderr.write(`server_error: ${err.stack}\n`));
  return provider;
}

let handler = (req, res) => {
  res.statusCode = 503;
  res.end();
};
const serve = (req, res) => handler(req, res);
const server = opts.cert
  ? https.createServer({ cert: readFileSync(opts.cert), key: readFileSync(opts.key) }, serve)
  : http.createServer(serve);

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `${opts.cert ? 'https' : 'http'}://127.0.0.1:${port}`;
  const install = () => {
    handler = makeProvider(issuer, readKeys()).callback();
  };
  install();
  process.on('SIGHUP', () => {
    try {
      install();
      process.stdout.write(`${JSON.stringify({ rotated: true })}\n`);
    } catch (err) {
      process.stderr.write(`rotation failed: ${err.stack}\n`);
      process.stdout.write(`${JSON.stringify({ rotated: false, error: String(err) })}\n`);
    }
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
  process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
});
