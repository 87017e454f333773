import '../zod-messages';
import * as z from 'zod/mini';
import { printable, quoted } from './quote';
import { EVENT_SOURCES } from './vocabulary';

/**
 * The connections file (contract section 11): the webhook senders the ingress accepts, each with its route
 * (`/hooks/{name}`), its kind and the Secrets Manager secret it is verified against. One schema, used by
 * `check-rules --connections`, at synth and at start-up, so every side names a bad connection the same way.
 */

export const CONNECTION_KINDS = ['okta-event-hook', 'standard-webhooks'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const secretId = z.string({ error: 'must be a string' }).check(z.trim(), z.minLength(1, { error: 'must not be empty' }), z.maxLength(2048));
/** An HTTP header name (RFC 9110 token), kept in lower case: API Gateway's HTTP API lowers them all. */
const headerName = z.pipe(
  z.string({ error: 'must be a string' }).check(z.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/, { error: 'must be an HTTP header name' })),
  z.transform((name: string) => name.toLowerCase()),
);
/** The loopback names: a stand-in on this machine (`npm start`, the tests). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const HTTPS_ORIGIN_MESSAGE = 'must be an https: origin such as https://acme.okta.com';

/**
 * Any `https:` origin (Okta orgs live on custom domains too), with nothing after it; the schema also lets an `http:`
 * loopback origin through, which {@link parseConnectionsFile} refuses unless its caller runs locally.
 */
const httpsOrigin = z.string({ error: 'must be a string' }).check(
  z.refine(
    (value) => {
      try {
        const url = new URL(value);
        const local = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
        return (url.protocol === 'https:' || local) && url.origin === value.replace(/\/$/, '') && !url.username && !url.password;
      } catch {
        return false;
      }
    },
    { error: HTTPS_ORIGIN_MESSAGE },
  ),
);

const name = z.string({ error: 'must be a string' }).check(z.regex(NAME, { error: 'must be lower-case letters, digits and hyphens (at most 63), starting with a letter or digit' }));

export const oktaEventHookConnection = z.strictObject({
  name,
  kind: z.literal('okta-event-hook'),
  secretId,
  header: z._default(headerName, 'authorization'),
  oktaOrgUrl: z.optional(z.pipe(httpsOrigin, z.transform((value: string) => new URL(value).origin))),
  oktaApiSecretId: z.optional(secretId),
});
export const standardWebhooksConnection = z.strictObject({
  name,
  kind: z.literal('standard-webhooks'),
  secretId,
  source: z.enum(EVENT_SOURCES, { error: `must be one of ${EVENT_SOURCES.join(', ')}` }),
});
export const connection = z.discriminatedUnion('kind', [oktaEventHookConnection, standardWebhooksConnection], {
  error: (issue) => (issue.code === 'invalid_union' ? `must be one of ${CONNECTION_KINDS.join(', ')}` : 'must be an object'),
});
export type OktaEventHookConnection = z.infer<typeof oktaEventHookConnection>;
export type StandardWebhooksConnection = z.infer<typeof standardWebhooksConnection>;
export type Connection = z.infer<typeof connection>;

export const connectionsFile = z
  .strictObject({ connections: z.array(connection, { error: 'must be a list of connections' }) })
  .check(
    z.superRefine((file, ctx) => {
      const seen = new Set<string>();
      file.connections.forEach((c, i) => {
        if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: ['connections', i, 'name'], message: `duplicate connection name ${quoted(c.name)}` });
        seen.add(c.name);
      });
    }),
  );
export type ConnectionsFile = z.infer<typeof connectionsFile>;

/** Raised when a connections file does not parse; every problem names the connection (by `name`, else by position). */
export class ConnectionsFileError extends Error {
  override readonly name = 'ConnectionsFileError';
  constructor(
    readonly origin: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid connections file (${origin}):\n  - ${problems.join('\n  - ')}`);
  }
}

export interface ConnectionsFileOptions {
  /**
   * Let `oktaOrgUrl` be an `http:` loopback origin (`http://127.0.0.1:PORT`, `localhost`, `[::1]`): an Okta
   * stand-in on this machine. Only where nothing is deployed (a function outside Lambda, `npm start`, the tests), as
   * `ATLAS_BASE_URL` may be `http:` only there; synth, check-rules and Lambda keep `https:`.
   */
  loopbackHttp?: boolean;
}

/**
 * Parses a connections file's text, naming the connection in every problem.
 *
 * @example
 * const { connections } = parseConnectionsFile(readFileSync('examples/connections.json', 'utf8'), 'examples/connections.json');
 */
export function parseConnectionsFile(json: string, origin: string, options: ConnectionsFileOptions = {}): ConnectionsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new ConnectionsFileError(origin, [`not JSON: ${printable((err as Error).message)}`]);
  }
  const parsed = connectionsFile.safeParse(raw);
  if (!parsed.success) throw new ConnectionsFileError(origin, parsed.error.issues.map((issue) => describeIssue(raw, issue)));
  if (!options.loopbackHttp) {
    // The API token travels to oktaOrgUrl: in clear only to this machine, and only where nothing is deployed.
    const plain = parsed.data.connections.filter((c) => c.kind === 'okta-event-hook' && c.oktaOrgUrl?.startsWith('http:'));
    if (plain.length) throw new ConnectionsFileError(origin, plain.map((c) => `connection ${quoted(c.name)} at oktaOrgUrl: ${HTTPS_ORIGIN_MESSAGE} (http: only for a local stand-in, outside Lambda)`));
  }
  return parsed.data;
}

function describeIssue(raw: unknown, issue: z.core.$ZodIssue): string {
  const [top, index, ...rest] = issue.path;
  if (top === 'connections' && typeof index === 'number') {
    const entry = (raw as { connections?: unknown[] }).connections?.[index] as { name?: unknown } | undefined;
    const label = `connection ${typeof entry?.name === 'string' ? quoted(entry.name) : `"#${index + 1}"`}`;
    return `${rest.length ? `${label} at ${rest.join('.')}` : label}: ${issue.message}`;
  }
  return `${issue.path.length ? issue.path.join('.') : '(file)'}: ${issue.message}`;
}
