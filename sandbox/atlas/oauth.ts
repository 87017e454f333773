/**
 * The Atlas sandbox's OAuth token endpoint (`POST /api/oauth/token`, client credentials grant) and the tokens it has
 * issued, which the other endpoints look Bearer tokens up in.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { errorAnswer, JSON_TYPE, mediaTypeOf } from './answers';
import type { Answer } from './answers';

export const TOKEN_PATH = '/api/oauth/token';
export const DEFAULT_CLIENTS: Record<string, string> = { 'sandbox-client-id': 'sandbox-client-secret' };

export interface OAuthSettings {
  clients: Record<string, string>;
  tokenTtlSeconds: number;
  maxLiveTokens: number;
}

export class OAuthEndpoint {
  private readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();
  private readonly issued: string[] = [];

  /** `settings` is read on every request, so configure() takes effect at once. */
  constructor(private readonly settings: () => OAuthSettings) {}

  issueToken(req: IncomingMessage, rawBody: string): Answer {
    if (req.method !== 'POST') return { ...errorAnswer(405, 'METHOD_NOT_ALLOWED', 'Use POST.'), headers: { allow: 'POST' } };
    const settings = this.settings();
    const credentials = basicCredentials(req.headers.authorization);
    const expected = credentials && Object.hasOwn(settings.clients, credentials.clientId) ? settings.clients[credentials.clientId] : undefined;
    if (!credentials || expected === undefined || expected !== credentials.clientSecret) {
      return oauthError(401, 'invalid_client', 'Invalid client credentials.', { 'www-authenticate': 'Basic realm="atlas"' });
    }
    if (mediaTypeOf(req.headers['content-type']) !== 'application/x-www-form-urlencoded') {
      return oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded.');
    }
    const grantType = new URLSearchParams(rawBody).get('grant_type');
    if (grantType === null) return oauthError(400, 'invalid_request', 'Missing grant_type.');
    if (grantType !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', `Unsupported grant_type ${grantType}.`);

    const now = Date.now();
    let live = 0;
    for (const [token, held] of this.tokens) {
      if (held.expiresAt <= now) this.tokens.delete(token);
      else if (held.clientId === credentials.clientId) live += 1;
    }
    if (live >= settings.maxLiveTokens) return oauthError(403, 'access_denied', 'Access Token limit reached');

    const accessToken = randomBytes(32).toString('base64url');
    this.issued.push(accessToken);
    this.tokens.set(accessToken, { clientId: credentials.clientId, expiresAt: now + settings.tokenTtlSeconds * 1000 });
    return {
      status: 200,
      body: { access_token: accessToken, token_type: 'Bearer', expires_in: settings.tokenTtlSeconds },
      contentType: JSON_TYPE,
      headers: { 'cache-control': 'no-store' },
    };
  }

  /** The clientId behind a live Bearer token, or undefined. */
  bearerClient(authorization: string | undefined): string | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const held = match?.[1] === undefined ? undefined : this.tokens.get(match[1]);
    if (!held || held.expiresAt <= Date.now()) return undefined;
    return held.clientId;
  }

  /** Every access token issued since start, revoked ones included. */
  issuedTokens(): readonly string[] {
    return [...this.issued];
  }

  /** Makes every live token invalid, as if they expired. */
  revokeTokens(): void {
    this.tokens.clear();
  }
}

/** RFC 6749 section 2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded. */
function basicCredentials(authorization: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '');
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    const formDecode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
    return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

function oauthError(status: number, error: string, description: string, headers: Record<string, string> = {}): Answer {
  return { status, body: { error, error_description: description }, contentType: JSON_TYPE, headers: { 'cache-control': 'no-store', ...headers } };
}
