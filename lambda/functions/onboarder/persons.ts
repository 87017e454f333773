import * as z from 'zod/mini';
import { CachedSecret, createSecretsManagerClient } from '../../aws/secrets-manager';
import type { Connection, OktaEventHookConnection } from '../../contract/connections';
import type { Person, PersonReading, PersonSource } from '../../core/person';
import type { Deadline } from '../../deadline';
import type { Result } from '../../failure';
import type { Dispatcher } from '../../http/transport';
import type { Logger } from '../../log';
import type { Metrics } from '../../metrics';
import type { RetryHooks, RetryPolicy } from '../../retry';
import { OktaUsers, type OktaUser } from '../../okta/users';

/**
 * The onboarder's {@link PersonSource} (contract section 12): the connections file, and for each Okta connection that
 * reads people (`oktaOrgUrl` and `oktaApiSecretId`) one Okta client and one cached reader of its API token, made at
 * its first event and reused by the warm container.
 */

/** The Okta API token secret's SecretString (contract section 12). */
const oktaApiSecret = z.object({ token: z.string().check(z.minLength(1)) });

/** Okta statuses of a person who has left: a leaving event (contract section 12). */
const LEFT = new Set(['SUSPENDED', 'DEPROVISIONED']);

export interface PersonSourceOptions {
  connections: readonly Connection[];
  env: Record<string, string | undefined>;
  retry: RetryPolicy;
  secretTtlMs: number;
  log: Logger;
  metrics?: Metrics;
  /** The HTTP dispatcher for Okta (default: one keep-alive agent per container). */
  dispatcher?: Dispatcher;
  hooks?: RetryHooks;
}

type ReadingConnection = OktaEventHookConnection & { oktaOrgUrl: string; oktaApiSecretId: string };

/**
 * Builds the person source for a connections file.
 *
 * @example
 * const persons = oktaPersonSource({ connections, env: process.env, retry, secretTtlMs: 300_000, log });
 * persons.reach('okta'); // 'reads'
 */
export function oktaPersonSource(options: PersonSourceOptions): PersonSource {
  const byName = new Map(options.connections.map((c) => [c.name, c]));
  const clients = new Map<string, OktaUsers>();
  let secretsManager: ReturnType<typeof createSecretsManagerClient> | undefined;
  const clientFor = (connection: ReadingConnection): OktaUsers => {
    let client = clients.get(connection.name);
    if (!client) {
      secretsManager ??= createSecretsManagerClient(options.env);
      const secret = new CachedSecret({
        client: secretsManager,
        secretId: connection.oktaApiSecretId,
        schema: oktaApiSecret,
        shape: '{"token": "..."}',
        label: `the Okta API token of connection ${connection.name}`,
        ttlMs: options.secretTtlMs,
        log: options.log,
        onRead: (value) => options.log.addSecret(value.token),
      });
      client = new OktaUsers({
        orgUrl: connection.oktaOrgUrl,
        token: {
          get: async (timeoutMs) => {
            const read = await secret.get(timeoutMs);
            return read.ok ? { ok: true, value: read.value.token } : read;
          },
          invalidate: () => secret.invalidate(),
        },
        retry: options.retry,
        log: options.log.child({ connection: connection.name }),
        ...(options.metrics && { metrics: options.metrics }),
        ...(options.dispatcher && { dispatcher: options.dispatcher }),
        ...(options.hooks && { hooks: options.hooks }),
      });
      clients.set(connection.name, client);
    }
    return client;
  };
  return {
    reach: (name) => {
      const connection = byName.get(name);
      if (!connection) return 'unknown';
      return reads(connection) ? 'reads' : 'as-sent';
    },
    read: async (name: string, userId: string, deadline: Deadline): Promise<Result<PersonReading>> => {
      const connection = byName.get(name);
      if (!connection || !reads(connection)) throw new Error(`connection ${name} does not read people`);
      const read = await clientFor(connection).read(userId, deadline);
      if (!read.ok) return read;
      return { ok: true, value: read.value.found ? { kind: 'found', person: personOf(read.value.user) } : { kind: 'gone' } };
    },
  };
}

function reads(connection: Connection): connection is ReadingConnection {
  return connection.kind === 'okta-event-hook' && connection.oktaOrgUrl !== undefined && connection.oktaApiSecretId !== undefined;
}

/** Okta's user as the core's person: `location` is Okta's `city`, a suspended or deprovisioned person has left. */
function personOf(user: OktaUser): Person {
  const { profile } = user;
  return {
    email: profile.email,
    department: profile.department,
    title: profile.title,
    location: profile.city,
    costCenter: profile.costCenter,
    groups: user.groups,
    active: !LEFT.has(user.status),
  };
}
