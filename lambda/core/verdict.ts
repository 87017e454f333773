import type { ProjectDecision, ProjectResult } from './onboard';

/**
 * What the adapters conclude from a core outcome, in one place: the API's status code and the queue's decision
 * follow from the same reading of the results (contract sections 4 and 7).
 */

/** `retry`: something failed for now; `reject`: something failed for good (and nothing for now); `ok`: neither. */
export type Verdict =
  | { kind: 'ok' }
  | { kind: 'retry'; retryAfterMs: number | undefined }
  | { kind: 'reject'; failures: ProjectResult[] };

export function verdictOf(decisions: readonly ProjectDecision[]): Verdict {
  const failed = decisions.filter((d) => d.result.status === 'failed');
  const forNow = failed.filter((d) => d.result.error?.retryable);
  if (forNow.length > 0) {
    const waits = forNow.map((d) => d.retryAfterMs).filter((ms): ms is number => ms !== undefined);
    return { kind: 'retry', retryAfterMs: waits.length ? Math.max(...waits) : undefined };
  }
  if (failed.length > 0) return { kind: 'reject', failures: failed.map((d) => d.result) };
  return { kind: 'ok' };
}

/** The contract's result body. */
export function resultBody(eventId: string, decisions: readonly ProjectDecision[]): { eventId: string; results: ProjectResult[] } {
  return { eventId, results: decisions.map((d) => d.result) };
}
