import { Failure } from '../../failure';
import type { Directory } from '../../scim/directory';
import type { DirectoryFactory } from './app';

/**
 * A stand-in for the DynamoDB directory until it is merged (see handler.ts): every call fails for now, so the service
 * answers 503 with `Retry-After` and writes nothing. Delete this file on merge.
 */
export const unwiredDirectory: DirectoryFactory = (_config, _env, log) => {
  const unavailable = () => {
    log.error('the SCIM directory is not wired into this build');
    return Promise.resolve({ ok: false as const, error: new Failure('transient', 'DIRECTORY_NOT_WIRED', 'the SCIM directory is not wired into this build') });
  };
  return new Proxy({} as Directory, { get: () => unavailable });
};
