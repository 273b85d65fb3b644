// node-oidc-provider (panva, OpenID Certified) as an upstream OpenID provider for Stint's tests.
//
// Usage: node provider.mjs CONFIG_JSON   (or the same JSON in NODE_PROVIDER_CONFIG)
//   {
//     "port": 0,                                  // 0: any free loopback port
//     "client": {"client_id": "...", "client_secret": "...", "redirect_uris": ["..."],
//                "token_endpoint_auth_method": "client_secret_basic"},
//     "accounts": {"ada": {"email": "ada@example.org", "email_verified": true, "name": "Ada"}},
//     "email_domain": "node-provider.test"
//   }
// Prints one line, `listening <issuer>`, once it answers; SIGTERM ends it.
//
// Sign-in and consent are the provider's own development pages (features.devInteractions): the
// login form takes any login name (the password is not checked) and that name is the account id
// (`sub`). A login listed in "accounts" has those claims; any other login is a person whose email
// is LOGIN@EMAIL_DOMAIN, verified. Then the consent page asks to allow the client.
//
// package.json pins oidc-provider 8.8.1, the last line that supports Node.js 18 and 20: 9.x
// supports Node.js 22 LTS and later only (it warns "Unsupported runtime" on 20).
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';

import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2] ?? process.env.NODE_PROVIDER_CONFIG ?? '{}');
const { client } = config;
if (!client?.client_id || !client?.client_secret || !client?.redirect_uris?.length) {
  console.error('provider.mjs: config needs client.client_id, client_secret and redirect_uris');
  process.exit(2);
}
const accounts = config.accounts ?? {};
const emailDomain = config.email_domain ?? 'node-provider.test';

function person(login) {
  return {
    name: login,
    preferred_username: login,
    email: `${login}@${emailDomain}`,
    email_verified: true,
    ...accounts[login],
    sub: login,
  };
}

// A fresh signing key each start: the JWKS a relying party must fetch to check ID tokens.
const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };

// Listen first: the issuer names the port, which is only known once bound.
const server = createServer();
await new Promise((resolve) => { server.listen(config.port ?? 0, '127.0.0.1', resolve); });
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: client.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: client.token_endpoint_auth_method ?? 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, sub) {
    return { accountId: sub, async claims() { return person(sub); } };
  },
});
provider.on('server_error', (ctx, error) => { console.error('server_error', error); });
server.on('request', provider.callback());

process.on('SIGTERM', () => { server.close(); process.exit(0); });
console.log(`listening ${issuer}`);
