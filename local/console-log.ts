/**
 * Turns the function's JSON log lines into one readable line per decision for a person at a terminal.
 */

const MARKS: Record<string, string> = {
  invited: '✔',
  already_invited: '=',
  dry_run: '~',
  ignored: '·',
  failed: '✘',
  dead_lettered: '☠',
  redeliver: '↻',
  no_match: '∅',
  invalid_json: '✘',
  invalid_event: '✘',
  direct_invite_not_allowed: '✘',
  not_found: '✘',
  method_not_allowed: '✘',
  payload_too_large: '✘',
};

const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value));

/** A log line as a person reads it; `undefined` for lines a person need not see. */
export function readableLine(json: string): string | undefined {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  if (entry.level === 'debug') return undefined;
  if (typeof entry._aws === 'object' && entry._aws !== null) return metricsLine(entry);
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const outcome = typeof entry.outcome === 'string' ? entry.outcome : undefined;
  const mark = outcome ? (MARKS[outcome] ?? '•') : entry.level === 'error' ? '!' : entry.level === 'warn' ? '?' : '•';
  const where = [
    entry.eventId !== undefined && `event ${text(entry.eventId)}`,
    entry.eventId === undefined && entry.messageId !== undefined && `message ${text(entry.messageId).slice(0, 8)}`,
    entry.groupId !== undefined && `project ${text(entry.groupId)}`,
  ].filter(Boolean);
  const what = outcome && entry.groupId !== undefined ? outcome : text(entry.message);
  const details = [
    entry.invitationId !== undefined && `invitation ${text(entry.invitationId)}`,
    entry.errorCode !== undefined && `${text(entry.errorCode)}${entry.detail ?? entry.errorMessage ? `: ${text(entry.detail ?? entry.errorMessage)}` : ''}`,
    Array.isArray(entry.issues) && `fields: ${entry.issues.map(text).join(', ')}`,
    entry.records !== undefined && entry.events === undefined && `${text(entry.records)} records, ${text(entry.redeliver)} to redeliver, ${text(entry.deadLettered)} dead-lettered`,
    // The scim function's lines: a request, and what its change relay queued.
    entry.message === 'scim request' && `${text(entry.method)} ${text(entry.route)} ${text(entry.status)}`,
    entry.events !== undefined && `${text(entry.records)} records, ${text(entry.events)} events queued, ${text(entry.failed)} failed`,
    entry.duplicate === true && 'answered from this container (duplicate)',
  ].filter(Boolean);
  return [time, mark, ...where, what, details.length ? `(${details.join('; ')})` : ''].filter(Boolean).join(' ');
}

/** An invocation's EMF line as `· metrics Results[invited] 2, AtlasCalls[ok] 2, AtlasLatency 182 95 ms`. */
function metricsLine(entry: Record<string, unknown>): string {
  const directives = (entry._aws as { CloudWatchMetrics?: { Dimensions?: string[][]; Metrics?: { Name: string; Unit: string }[] }[] }).CloudWatchMetrics ?? [];
  const figures = directives.flatMap(({ Dimensions = [], Metrics = [] }) => {
    const by = (Dimensions[0] ?? []).slice(1).map((dimension) => text(entry[dimension]));
    return Metrics.map(({ Name, Unit }) => {
      const value = entry[Name];
      return `${Name}${by.length ? `[${by.join(',')}]` : ''} ${Array.isArray(value) ? value.map(text).join(' ') : text(value)}${Unit === 'Milliseconds' ? ' ms' : ''}`;
    });
  });
  return `· metrics ${figures.join(', ')}`;
}
