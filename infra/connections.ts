import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConnectionsFileError, parseConnectionsFile, type Connection } from '../lambda/contract';

/**
 * The connections file (contract section 11) on its way to the functions: validated at synth with the functions' own
 * schema, so a bad connection fails `cdk synth` and is named, then passed inline as `CONNECTIONS` to the webhook
 * ingress and to the onboarder (which reads people from Okta with it, contract section 12).
 */

/**
 * Largest connections file, as compact JSON in bytes (about eight connections). Lambda allows 4 KB for all of a
 * function's variables together; the onboarder already carries a rule file of up to 2 KB inline
 * (`INLINE_ROLE_MAPPING_MAX_BYTES`) and under 1 KB of others, so this is what is left, with a little room.
 */
export const INLINE_CONNECTIONS_MAX_BYTES = 1536;

export interface Connections {
  /** The file as written, compacted: what `CONNECTIONS` holds (the functions parse it again with the same schema). */
  readonly json: string;
  readonly connections: readonly Connection[];
}

/**
 * Reads and validates a connections file; a bad connection (or a missing or too large file) throws
 * `ConnectionsFileError`, whose message names the connection, so `cdk synth` fails before anything is deployed.
 *
 * @example
 * const { connections } = loadConnections('examples/connections.json'); // [{ name: 'okta', … }, { name: 'hr-bridge', … }]
 */
export function loadConnections(path: string): Connections {
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch (err) {
    throw new ConnectionsFileError(path, [`cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}): set the "connectionsFile" context value or prop`]);
  }
  const { connections } = parseConnectionsFile(text, path);
  const json = JSON.stringify(JSON.parse(text));
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > INLINE_CONNECTIONS_MAX_BYTES) {
    throw new ConnectionsFileError(path, [
      `is ${bytes} bytes as compact JSON; at most ${INLINE_CONNECTIONS_MAX_BYTES} fit in the functions' environment beside the rule file (Lambda allows 4 KB for all variables)`,
    ]);
  }
  return { json, connections };
}

/** Every secret the connections name, each once: `secretId` (the ingress's) and `oktaApiSecretId` (the onboarder's). */
export function connectionSecretIds(connections: readonly Connection[]): { readonly hook: readonly string[]; readonly oktaApi: readonly string[] } {
  const hook = new Set(connections.map((c) => c.secretId));
  const oktaApi = new Set(connections.flatMap((c) => (c.kind === 'okta-event-hook' && c.oktaApiSecretId ? [c.oktaApiSecretId] : [])));
  return { hook: [...hook], oktaApi: [...oktaApi] };
}
