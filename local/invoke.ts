import { readFileSync } from 'node:fs';
import { parseAnyRequest } from '../lambda/core/requests';
import { ConfigError } from '../lambda/functions/onboarder/config';
import { readableLine } from './console-log';
import { httpApiEvent, localContext } from './events';
import { startLocalFunction } from './function';

/**
 * `npm run invoke -- FILE [--dry-run]`: runs the handler once on an event file and prints its answer. FILE is an
 * API Gateway event, an SQS event, or a bare onboarding event or direct invite (sent as `POST /events` or
 * `POST /invites`). Atlas is the sandbox unless `ATLAS_BASE_URL` is set. Exits 1 when something failed.
 */

const args = process.argv.slice(2);
const dryRun = args.includes('--dry-run');
const files = args.filter((a) => !a.startsWith('--'));
if (files.length !== 1) {
  console.error('usage: npm run invoke -- FILE [--dry-run]   (FILE: an API Gateway event, an SQS event, or a bare event)');
  process.exit(2);
}
const file = files[0]!;

let value: unknown;
try {
  value = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON (${(err as Error).message})`}`);
  process.exit(2);
}

/** The file as the AWS event the function receives. */
function lambdaEvent(input: unknown): { event: unknown; kind: string } {
  const shape = input as { Records?: unknown; requestContext?: unknown };
  if (Array.isArray(shape?.Records)) return { event: input, kind: 'SQS event' };
  if (shape && typeof shape.requestContext === 'object') return { event: input, kind: 'API Gateway event' };
  const parsed = parseAnyRequest(input);
  const path = parsed.ok && parsed.value.kind === 'direct' ? '/invites' : '/events';
  return { event: httpApiEvent({ method: 'POST', path, body: JSON.stringify(input) }), kind: `bare event, sent as POST ${path}` };
}

try {
  const local = await startLocalFunction({ ...process.env, ...(dryRun && { DRY_RUN: 'true' }) }, (line) => {
    const readable = readableLine(line);
    if (readable) console.error(readable);
  });
  const { event, kind } = lambdaEvent(value);
  console.error(`invoking the handler with ${file} (${kind})${dryRun ? ', dry run' : ''}; Atlas: ${local.sandbox ? 'sandbox' : local.atlasUrl}`);
  const answer = (await local.handler(event, localContext())) as { statusCode?: number; body?: string; batchItemFailures?: unknown[] };
  const printable = answer.body === undefined ? answer : { ...answer, body: JSON.parse(answer.body) as unknown };
  console.log(JSON.stringify(local.deadLetters.length ? { ...printable, deadLetters: local.deadLetters } : printable, null, 2));
  await local.close();
  const failed = (answer.statusCode ?? 200) >= 500 || (answer.batchItemFailures?.length ?? 0) > 0;
  process.exit(failed ? 1 : 0);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
