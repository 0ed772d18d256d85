// A real OpenID Connect provider on loopback for Corral's SSO tests: the certified
// `oidc-provider` package with its own login and consent pages (plain HTML forms a
// browser or an HTTP client can fill in).
//
//   node provider.mjs CONFIG.json
//
// CONFIG.json: {"port": 4000, "host": "127.0.0.1", "accounts_file": "accounts.json",
//               "client": {"client_id", "client_secret", "redirect_uris": [...]}}
// It listens on 127.0.0.1; "host" is the name in its issuer URL ("localhost" makes it
// another site than a hub on 127.0.0.1, as a real provider is).
// accounts.json (read at every login, so a test can add accounts or change groups):
//   {"alice": {"password": "...", "email": "...", "name": "...", "groups": ["ml"]}}
// The account's key is its login name and its subject (`sub`).
//
// It prints "ready <issuer>" on stdout once it listens.

import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

import Provider from "oidc-provider";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const issuer = `http://${config.host ?? "127.0.0.1"}:${config.port}`;

const accounts = () => JSON.parse(readFileSync(config.accounts_file, "utf8"));

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: randomBytes(8).toString("hex"), use: "sig", alg: "RS256" };

const provider = new Provider(issuer, {
  clients: [
    {
      ...config.client,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString("hex")] },
  pkce: { required: () => true },
  scopes: ["openid", "email", "profile", "groups"],
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "preferred_username"],
    groups: ["groups"],
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const account = accounts()[sub];
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: account.email,
          email_verified: true,
          name: account.name ?? sub,
          preferred_username: account.preferred_username ?? sub,
          groups: account.groups ?? [],
        };
      },
    };
  },
});

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

function page(res, title, body) {
  res.statusCode = 200;
  res.setHeader("content-type", "text/html; charset=utf-8");
  res.setHeader("cache-control", "no-store");
  res.end(`<!doctype html><html><head><title>${escape(title)}</title></head><body><h1>${escape(title)}</h1>${body}</body></html>`);
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let data = "";
    req.on("data", (chunk) => (data += chunk));
    req.on("end", () => resolve(new URLSearchParams(data)));
    req.on("error", reject);
  });
}

function loginForm(uid, error) {
  return (
    (error ? `<p role="alert">${escape(error)}</p>` : "") +
    `<form method="post" action="/interaction/${uid}/login">` +
    `<label>Username <input name="login" autocomplete="username" required></label>` +
    `<label>Password <input name="password" type="password" autocomplete="current-password" required></label>` +
    `<button type="submit">Sign in</button></form>`
  );
}

// The interactions: GET shows the prompt's page, POST .../login checks the password,
// POST .../confirm grants what the client asked for, POST .../abort refuses.
async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session, grantId } = details;
  if (req.method === "GET") {
    if (prompt.name === "login") return page(res, "Sign in to the test provider", loginForm(uid));
    const scopes = escape(params.scope);
    return page(
      res,
      "Authorize",
      `<p>${escape(params.client_id)} asks for: ${scopes}</p>` +
        `<form method="post" action="/interaction/${uid}/confirm"><button type="submit">Allow</button></form>` +
        `<form method="post" action="/interaction/${uid}/abort"><button type="submit">Deny</button></form>`,
    );
  }
  const form = await readForm(req);
  if (action === "login") {
    const account = accounts()[form.get("login")];
    if (!account || account.password !== form.get("password")) {
      return page(res, "Sign in to the test provider", loginForm(uid, "Wrong user name or password"));
    }
    return provider.interactionFinished(req, res, { login: { accountId: form.get("login") } }, { mergeWithLastSubmission: false });
  }
  if (action === "confirm") {
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(" "));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const result = { consent: { grantId: await grant.save() } };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
  }
  const result = { error: "access_denied", error_description: "the user refused" };
  return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const oidc = provider.callback();
const server = createServer((req, res) => {
  const match = /^\/interaction\/([^/?]+)(?:\/(login|confirm|abort))?(?:\?.*)?$/.exec(req.url ?? "");
  if (!match) return oidc(req, res);
  interaction(req, res, match[1], match[2]).catch((err) => {
    res.statusCode = 400;
    res.setHeader("content-type", "text/plain; charset=utf-8");
    res.end(`interaction failed: ${err.message}`);
  });
});

server.listen(config.port, "127.0.0.1", () => {
  process.stdout.write(`ready ${issuer}\n`);
});

process.on("SIGTERM", () => server.close(() => process.exit(0)));
