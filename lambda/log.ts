/**
 * Structured logs: one JSON line per decision (contract section 8).
 *
 * Secrets never reach a line: keys that name credentials are masked, and every value registered with
 * {@link Logger.addSecret} (the client secret, each access token) is scrubbed from the serialized line, wherever it
 * hides (an error message, a URL, a nested field).
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Record<string, unknown>;
export type LogSink = (line: string) => void;

// Fields that would hold a credential, whatever their value: a second net behind value scrubbing.
const SENSITIVE_KEY = /^(authorization|cookie|password|secret|clientsecret|client_secret|secretstring|token|accesstoken|access_token|apikey)$/i;
const MASK = '[redacted]';

export class Logger {
  private readonly threshold: number;
  private readonly secrets = new Set<string>();

  constructor(
    level: LogLevel = 'info',
    private readonly sink: LogSink = (line) => process.stdout.write(`${line}\n`),
    private readonly context: LogFields = {},
    secrets?: Set<string>,
  ) {
    this.threshold = LOG_LEVELS.indexOf(level);
    if (secrets) this.secrets = secrets;
  }

  /** A logger that adds `fields` to every line and shares this one's secrets. */
  child(fields: LogFields): Logger {
    return new Logger(LOG_LEVELS[this.threshold], this.sink, { ...this.context, ...fields }, this.secrets);
  }

  /** Never print `value` again, in any line of this logger or its children. Short values are ignored. */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 6) this.secrets.add(value);
  }

  debug(message: string, fields?: LogFields): void {
    this.write('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.write('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.write('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.write('error', message, fields);
  }

  private write(level: LogLevel, message: string, fields?: LogFields): void {
    if (LOG_LEVELS.indexOf(level) < this.threshold) return;
    let line = JSON.stringify({ level, time: new Date().toISOString(), message, ...this.context, ...fields }, maskSensitive);
    for (const secret of this.secrets) line = line.replaceAll(JSON.stringify(secret).slice(1, -1), MASK);
    this.sink(line);
  }
}

function maskSensitive(key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (key && SENSITIVE_KEY.test(key) && (typeof value === 'string' || typeof value === 'number')) return MASK;
  return value;
}
