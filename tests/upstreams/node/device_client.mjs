// A device that signs in with the device authorization grant (RFC 8628), through panva's
// openid-client 5.x (its Client#deviceAuthorization and DeviceFlowHandle#poll), against Stint.
//
// Usage: node device_client.mjs CONFIG_JSON
//   {"issuer": "http://127.0.0.1:PORT", "client_id": "...", "client_secret": "..." or null,
//    "scope": "openid activities:read"}
// Prints two JSON lines on stdout:
//   1. once the device authorization endpoint answered, what the device shows the person:
//      {"user_code", "verification_uri", "verification_uri_complete", "expires_in"}
//   2. once polling the token endpoint ended (openid-client waits `interval` between polls, and
//      five seconds more after each slow_down, RFC 8628 §3.5):
//      {"tokens": {...}, "claims": {...}}  (the ID token validated by openid-client: signature
//      from the JWKS, iss, aud, exp, iat), or {"error": "...", "error_description": "..."}.
// Exits 0 with tokens, 3 with an OAuth error, 2 with anything else.
//
// package.json pins openid-client 5.7.1, the last of the 5.x line, which runs on Node.js 18 and
// 20; 6.x rewrote the API as functions over fetch (initiateDeviceAuthorization, ...).
import { Issuer, errors } from 'openid-client';

const config = JSON.parse(process.argv[2] ?? '{}');
if (!config.issuer || !config.client_id) {
  console.error('device_client.mjs: config needs issuer and client_id');
  process.exit(2);
}

function say(value) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

try {
  const issuer = await Issuer.discover(config.issuer);
  const client = new issuer.Client({
    client_id: config.client_id,
    ...(config.client_secret
      ? { client_secret: config.client_secret, token_endpoint_auth_method: 'client_secret_basic' }
      : { token_endpoint_auth_method: 'none' }),
    id_token_signed_response_alg: 'ES256', // Stint's default (its registration says so)
  });
  const handle = await client.deviceAuthorization({ scope: config.scope });
  say({
    user_code: handle.user_code,
    verification_uri: handle.verification_uri,
    verification_uri_complete: handle.verification_uri_complete,
    expires_in: handle.expires_in,
  });
  const tokens = await handle.poll();
  say({
    tokens: {
      access_token: tokens.access_token,
      token_type: tokens.token_type,
      refresh_token: tokens.refresh_token,
      id_token: tokens.id_token,
      scope: tokens.scope,
      expires_in: tokens.expires_in,
    },
    claims: tokens.id_token ? tokens.claims() : null,
  });
} catch (err) {
  if (err instanceof errors.OPError) {
    say({ error: err.error, error_description: err.error_description ?? null });
    process.exit(3);
  }
  console.error(err);
  process.exit(2);
}
