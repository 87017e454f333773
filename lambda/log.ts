/**
 * Structured logs: one JSON line per decision (contract section 8).
 *
 * Secrets never reach a line: keys that name credentials are masked, and every value registered with
 * {@link Logger.addSecret} (the client secret, each access token) is scrubbed from the serialized line, wherever it
 * hides (an error message, a URL, a nested field).
 *
 * Text from callers (an id, an unknown role, Atlas's detail) is made harmless in every line (contract section 8, v2):
 * a string longer than {@link MAX_STRING_CHARS} is cut, and the characters JSON.stringify leaves raw that a terminal
 * or log viewer would act on are escaped.
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
  /** Each secret as it appears inside a JSON string (escaped), which is where the serialized line can hold it. */
  private readonly secrets = new Set<string>();
  /**
   * The context's members as JSON without braces, made at the first line, from the parent's and this child's own
   * fields: a line then serializes only its own fields.
   */
  private contextJson: string | undefined;
  private inheritedJson: (() => string) | undefined;
  /** A context key named like one of the line's own keys replaces it: such a logger builds every line whole. */
  private readonly contextShadowsLine: boolean;

  constructor(
    level: LogLevel = 'info',
    private readonly sink: LogSink = stdoutSink,
    private readonly context: LogFields = {},
    secrets?: Set<string>,
  ) {
    this.threshold = LOG_LEVELS.indexOf(level);
    if (secrets) this.secrets = secrets;
    this.contextShadowsLine = LINE_KEYS.some((key) => Object.hasOwn(context, key));
  }

  /** A logger that adds `fields` to every line and shares this one's secrets. */
  child(fields: LogFields): Logger {
    const own = { ...fields };
    const child = new Logger(LOG_LEVELS[this.threshold], this.sink, { ...this.context, ...own }, this.secrets);
    if (!overrides(own, this.context)) child.inheritedJson = () => joined(this.serializedContext(), membersOf(own));
    return child;
  }

  /** Never print `value` again, in any line of this logger or its children. Short values are ignored. */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 6) this.secrets.add(JSON.stringify(value).slice(1, -1));
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
    const time = isoNow();
    let line: string;
    if (this.contextShadowsLine || (fields && overrides(fields, this.context))) {
      line = serialized({ level, time, message, ...this.context, ...fields });
    } else {
      const members = joined(this.serializedContext(), fields ? membersOf(fields) : '');
      line = `{"level":"${level}","time":"${time}","message":${JSON.stringify(message)}${members && `,${members}`}}`;
    }
    for (const secret of this.secrets) line = line.replaceAll(secret, MASK);
    // After scrubbing: a secret cut in two, or with a character escaped, would no longer be found.
    if (line.length > MAX_STRING_CHARS) line = withLongStringsCut(line);
    if (mayHoldSpoofing(line) && SPOOFING.test(line)) line = line.replace(SPOOFING_ALL, escapedCharacter);
    this.sink(line);
  }

  private serializedContext(): string {
    return (this.contextJson ??= this.inheritedJson ? this.inheritedJson() : membersOf(this.context));
  }
}

const LINE_KEYS = ['level', 'time', 'message'] as const;

/** The longest string a line holds whole, in UTF-16 code units; longer ones are cut, marked `…[cut N chars]`. */
const MAX_STRING_CHARS = 2048;

/**
 * `line` with every string over {@link MAX_STRING_CHARS} cut. A line no longer than that cannot hold such a string,
 * so only the rare long line pays for parsing and serializing again; one that needs no cut is returned as it was.
 */
function withLongStringsCut(line: string): string {
  let cut = false;
  const value = JSON.parse(line, (_key, item: unknown) => {
    if (typeof item !== 'string' || item.length <= MAX_STRING_CHARS) return item;
    cut = true;
    // Never half of a surrogate pair: the line stays well-formed text.
    const code = item.charCodeAt(MAX_STRING_CHARS - 1);
    const end = code >= 0xd800 && code <= 0xdbff ? MAX_STRING_CHARS - 1 : MAX_STRING_CHARS;
    return `${item.slice(0, end)}…[cut ${item.length - end} chars]`;
  }) as unknown;
  return cut ? JSON.stringify(value) : line;
}

// What JSON.stringify leaves raw that a terminal or log viewer acts on: DEL and the C1 controls (U+009B starts an
// ANSI sequence), the bidirectional marks, embeddings, overrides and isolates, and the line and paragraph separators.
// Outside strings a JSON line holds only ASCII, so each is inside a string, where `\uXXXX` parses to the same text.
const SPOOFING = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const SPOOFING_ALL = new RegExp(SPOOFING.source, 'g');
/**
 * Whether `line` may hold one of them: a line of ASCII alone (most are, and counting its UTF-8 bytes is native and
 * several times faster than the regular expression's scan) can hold only DEL.
 */
const mayHoldSpoofing = (line: string) => Buffer.byteLength(line, 'utf8') !== line.length || line.includes('\x7f');
const escapedCharacter = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Two lists of JSON members joined by a comma, either of them possibly empty. */
function joined(first: string, second: string): string {
  return first && second ? `${first},${second}` : first || second;
}

let isoMs = -1;
let isoText = '';
/** The time as ISO 8601, made once per millisecond: the lines of a batch often share one. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

/**
 * JSON with credential-named fields masked and errors reduced. A replacer function would make JSON.stringify call
 * back into JavaScript for every key of every line; most lines have nothing to mask, so they are checked first and
 * serialized on V8's fast path.
 */
function serialized(value: object): string {
  return JSON.stringify(needsMasking(value, 0) ? maskedField('', value, 0) : value);
}

/** An object's members as JSON, without the braces ('' for none). */
function membersOf(fields: LogFields): string {
  return serialized(fields).slice(1, -1);
}

/** Whether a field replaces one of the line's own keys or one of the context's: then the line is built whole. */
function overrides(fields: LogFields, context: LogFields): boolean {
  for (const key in fields) {
    if ((LINE_KEYS as readonly string[]).includes(key) || Object.hasOwn(context, key)) return true;
  }
  return false;
}

/** Objects deeper than this are cut: a log field is never meant to be a deep structure. */
const MAX_DEPTH = 8;

function needsMasking(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (value instanceof Error || depth >= MAX_DEPTH || hasToJson(value)) return true;
  if (Array.isArray(value)) return value.some((item) => needsMasking(item, depth + 1));
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    if (isMaskedField(key, record[key]) || needsMasking(record[key], depth + 1)) return true;
  }
  return false;
}

/** A copy of `value` with credential-named fields masked (after any `toJSON`) and errors reduced to name and message. */
function masked(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((item, i) => maskedField(String(i), item, depth + 1));
  // No prototype: a field named "__proto__" (JSON.parse makes them) stays a field.
  const copy = Object.create(null) as Record<string, unknown>;
  for (const [name, item] of Object.entries(value)) {
    // JSON leaves functions out; one named toJSON left in the copy would be called on the unmasked values.
    if (typeof item !== 'function') copy[name] = maskedField(name, item, depth + 1);
  }
  return copy;
}

/** One member: its `toJSON` applied once (as JSON.stringify does), then masked by its name or within. */
function maskedField(key: string, item: unknown, depth: number): unknown {
  const value = hasToJson(item) && !(item instanceof Error) ? item.toJSON(key) : item;
  return isMaskedField(key, value) ? MASK : masked(value, depth);
}

function hasToJson(value: unknown): value is { toJSON(key: string): unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

function isMaskedField(key: string, value: unknown): boolean {
  return (typeof value === 'string' || typeof value === 'number') && SENSITIVE_KEY.test(key);
}

/**
 * Lines for stdout are gathered and written together once the current turn of the event loop is over: the answers of
 * a batch that arrive together cost one write, not one each. {@link flushLogs} writes at once; the handler calls it
 * before it returns, because Lambda freezes the process as soon as it has its answer.
 */
const pending: string[] = [];
let flushScheduled = false;

let flushOnExit = false;

/**
 * The default sink: `line` goes to stdout at the end of this turn of the event loop, with the turn's other lines.
 *
 * @example
 * const log = new Logger('info', stdoutSink);
 */
export function stdoutSink(line: string): void {
  pending.push(line);
  if (!flushOnExit) {
    flushOnExit = true;
    process.on('exit', flushLogs);
  }
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flushLogs);
}

/**
 * Writes every gathered line to stdout now.
 *
 * @example
 * try { return await handle(event, context); } finally { flushLogs(); }
 */
export function flushLogs(): void {
  flushScheduled = false;
  if (pending.length === 0) return;
  const text = `${pending.join('\n')}\n`;
  pending.length = 0;
  process.stdout.write(text);
}
