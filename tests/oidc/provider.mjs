// A real OpenID Connect provider (node-oidc-provider) for Tvistetrappa's single sign-on
// tests. It signs with a fresh RSA key at every start (so a restart is a key rotation),
// requires PKCE, puts the claims in the ID token, and checks passwords itself (the
// package's development login takes any password).
//
//   node provider.mjs --port 0 --redirect-uri http://127.0.0.1:8080/logga-in/svar \
//        --post-logout-uri 'http://127.0.0.1:8080/logga-in?klart=utloggad'
//
// It prints "issuer <url>" on stdout once it listens. For the tests only:
// POST /test/audience?to=<client id> makes the token endpoint hand out ID tokens for another
// audience (signed with the real key), as a confused or hostile provider would;
// POST /test/audience restores honest tokens.

import http from 'node:http';
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'redirect-uri': { type: 'string' },
    'post-logout-uri': { type: 'string' },
    'client-id': { type: 'string', default: 'tvistetrappa' },
    'client-secret': { type: 'string', default: 'testhemlighet-for-tvistetrappa' },
  },
});
if (!args['redirect-uri'] || !args['post-logout-uri']) {
  console.error('usage: provider.mjs --port N --redirect-uri URL --post-logout-uri URL');
  process.exit(2);
}

// Two kinds of people: one as Entra ID describes them (tenant and object id), one as Inera's
// provider does (an organisation's HSA id in a claim); and one nobody has provisioned.
const PEOPLE = {
  eva: {
    password: 'eva-lösenord-1',
    claims: { email: 'eva.entra@botkyrka.example', email_verified: true, name: 'Eva Entra', tid: 'tenant-botkyrka', oid: 'object-eva' },
  },
  ivar: {
    password: 'ivar-lösenord-1',
    claims: { email: 'ivar.inera@region.example', email_verified: true, name: 'Ivar Inera', hsa_organisation: 'SE2321000016-0001' },
  },
  olga: {
    password: 'olga-lösenord-1',
    claims: { email: 'olga.okand@botkyrka.example', email_verified: true, name: 'Olga Okänd', tid: 'tenant-botkyrka', oid: 'object-olga' },
  },
};

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' };

const server = http.createServer();
// A port it cannot take is said on stdout, where the test waits for its first line.
await new Promise((resolve) => {
  server.once('error', (e) => {
    console.log(`error ${e.code}`);
    process.exit(1);
  });
  server.listen(Number(args.port), '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const scopes = 'openid email profile';
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: args['client-id'],
      client_secret: args['client-secret'],
      redirect_uris: [args['redirect-uri']],
      post_logout_redirect_uris: [args['post-logout-uri']],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  pkce: { required: () => true },
  // The claims go into the ID token itself, which is all the service reads.
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'tid', 'oid', 'hsa_organisation'],
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = `<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>Logga ut</title></head>
          <body><h1>Vill du logga ut från testleverantören?</h1>${form}
          <button type="submit" form="op.logoutForm" name="logout" value="yes">Ja, logga ut</button></body></html>`;
      },
    },
  },
  async findAccount(ctx, id) {
    const person = PEOPLE[id];
    if (!person) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...person.claims }; } };
  },
  // A first-party client: the grant is given without a consent page.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(scopes);
    await grant.save();
    return grant;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(res, uid, message) {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>Testleverantörens inloggning</title></head><body>
    <h1>Testleverantörens inloggning</h1>
    ${message ? `<p role="alert" id="fel">${escape(message)}</p>` : ''}
    <form method="post" action="/interaction/${escape(uid)}/login">
      <label for="username">Användarnamn</label> <input id="username" name="username" autocomplete="username">
      <label for="password">Lösenord</label> <input id="password" name="password" type="password">
      <button type="submit" id="logga-in">Logga in</button>
    </form></body></html>`);
}

async function body(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return new URLSearchParams(text);
}

let wrongAudience = null;

// The token endpoint's answer, its ID token re-issued for another audience.
function forOtherAudience(res) {
  const end = res.end.bind(res);
  res.end = (chunk, ...rest) => {
    (async () => {
      const answer = JSON.parse(String(chunk));
      if (answer.id_token) {
        const claims = jose.decodeJwt(answer.id_token);
        const key = await jose.importJWK(signingKey, 'RS256');
        answer.id_token = await new jose.SignJWT({ ...claims, aud: wrongAudience })
          .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid })
          .sign(key);
      }
      const text = JSON.stringify(answer);
      res.setHeader('content-length', Buffer.byteLength(text));
      end(text, ...rest);
    })().catch((error) => { console.error(error); end(chunk, ...rest); });
    return res;
  };
}

const handle = provider.callback();
server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (url.pathname === '/test/audience' && req.method === 'POST') {
      wrongAudience = url.searchParams.get('to') || null;
      res.writeHead(204).end();
      return;
    }
    const login = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
    if (login) {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'GET') {
        loginPage(res, details.uid);
        return;
      }
      const form = await body(req);
      const username = form.get('username') || '';
      const person = PEOPLE[username];
      if (!person || person.password !== form.get('password')) {
        loginPage(res, details.uid, 'Fel användarnamn eller lösenord.');
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
      return;
    }
    if (url.pathname === '/token' && wrongAudience) forOtherAudience(res);
    handle(req, res);
  } catch (error) {
    console.error(error);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(error));
  }
});

console.log(`issuer ${issuer}`);
