import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushLogs, Logger, stdoutSink } from '../lambda/log';

// The logger's own rules, on a sink that keeps the lines (test/logs.test.ts scans a whole world's lines for secrets).

function capture(level: 'debug' | 'info' = 'info') {
  const lines: string[] = [];
  return { log: new Logger(level, (line) => lines.push(line), { service: 'atlas-onboarder' }), lines, last: () => JSON.parse(lines.at(-1)!) as Record<string, unknown> };
}

describe('Logger', () => {
  it('writes one JSON line with level, time, message, context and fields', () => {
    const { log, last } = capture();
    log.child({ awsRequestId: 'req-1' }).info('invitation decided', { outcome: 'invited', rules: ['r1'] });
    expect(last()).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      message: 'invitation decided',
      service: 'atlas-onboarder',
      awsRequestId: 'req-1',
      outcome: 'invited',
      rules: ['r1'],
    });
  });

  it('masks fields named like credentials, at any depth and inside lists, and leaves other fields as they are', () => {
    const { log, last } = capture();
    log.warn('odd answer', {
      authorization: 'Bearer abc',
      detail: { access_token: 'tok-123', nested: [{ clientSecret: 'cs-1', kept: 'visible' }], password: 42 },
      token: { notAString: true },
      tokens: 'a field merely containing the word',
    });
    expect(last()).toMatchObject({
      authorization: '[redacted]',
      detail: { access_token: '[redacted]', nested: [{ clientSecret: '[redacted]', kept: 'visible' }], password: '[redacted]' },
      token: { notAString: true },
      tokens: 'a field merely containing the word',
    });
  });

  it('reduces an error to its name and message: no stack, no other property', () => {
    const { log, last } = capture();
    const error = Object.assign(new TypeError('socket hang up'), { config: { headers: { authorization: 'Basic xyz' } } });
    log.error('request failed', { error, wrapped: { cause: error } });
    expect(last()).toMatchObject({ error: { name: 'TypeError', message: 'socket hang up' }, wrapped: { cause: { name: 'TypeError', message: 'socket hang up' } } });
    expect(JSON.stringify(last())).not.toMatch(/stack|Basic xyz/);
  });

  it('scrubs a registered secret wherever it is, also where JSON escaping changed it, and ignores short ones', () => {
    const { log, lines } = capture();
    log.addSecret('s3cr"et\\value');
    log.addSecret('abc');
    log.child({ x: 1 }).info('saw s3cr"et\\value in a message', { url: 'https://x.invalid/?q=s3cr"et\\value', abc: 'abc' });
    expect(lines.at(-1)).not.toContain('s3cr');
    expect(lines.at(-1)).toContain('[redacted]');
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ abc: 'abc' });
  });

  it('masks what a toJSON returns, as JSON.stringify would show it, and a credential-named value that has one', () => {
    const { log, last } = capture();
    const wrapper = { toJSON: () => ({ token: 'tok-from-tojson', kept: 1 }) };
    log.child({ wrapped: wrapper }).info('x', { again: wrapper, token: new Date(0), when: new Date(0) });
    expect(last()).toMatchObject({
      wrapped: { token: '[redacted]', kept: 1 },
      again: { token: '[redacted]', kept: 1 },
      token: '[redacted]',
      when: '1970-01-01T00:00:00.000Z',
    });
  });

  it('masks through a toJSON given as a field itself, and through one on a class', () => {
    const { log, lines } = capture();
    log.info('own', { toJSON: () => ({ token: 'tok-own-tojson', kept: 1 }) });
    class Account {
      constructor(readonly privateKey = 'PRIVATE-KEY-VALUE') {}
      toJSON() {
        return { clientId: 'id', token: 'tok-class-tojson' };
      }
    }
    log.child({ account: new Account() }).info('class', { token2: new Account() });
    expect(lines.join('\n')).not.toMatch(/tok-own-tojson|tok-class-tojson|PRIVATE-KEY-VALUE/);
    expect(JSON.parse(lines[1]!)).toMatchObject({ account: { clientId: 'id', token: '[redacted]' }, token2: { token: '[redacted]' } });
  });

  it('keeps a field named __proto__ as a field', () => {
    const { log, last } = capture();
    log.info('x', JSON.parse('{"detail":{"__proto__":{"polluted":true},"token":"t-123456"}}') as Record<string, unknown>);
    expect(Object.getOwnPropertyNames(last().detail)).toEqual(['__proto__', 'token']);
    expect(last().detail).toEqual({ ['__proto__']: { polluted: true }, token: '[redacted]' });
  });

  it('takes a child’s fields as they were when it was made', () => {
    const { log, last } = capture();
    const fields: Record<string, unknown> = { eventId: 'e-1' };
    const child = log.child(fields);
    fields.eventId = 'changed';
    fields.service = 'other';
    child.info('x');
    expect(last()).toMatchObject({ eventId: 'e-1', service: 'atlas-onboarder' });
  });

  it('cuts a structure deeper than a log field is meant to be', () => {
    const { log, last } = capture();
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 12; i++) deep = { deeper: deep };
    log.info('deep', { deep });
    expect(JSON.stringify(last())).toContain('[too deep]');
    expect(JSON.stringify(last())).not.toContain('leaf');
  });

  it('lets a field replace a context key of the same name, which then appears once', () => {
    const { log, lines, last } = capture();
    log.child({ eventId: 'from-context', groupId: 'g' }).info('decided', { eventId: 'from-field' });
    expect(last()).toMatchObject({ eventId: 'from-field', groupId: 'g', message: 'decided' });
    expect(lines.at(-1)!.match(/"eventId"/g)).toHaveLength(1);
  });

  it('lets a context or field key named like the line’s own (level, time, message) replace it, once', () => {
    const { log, lines, last } = capture();
    log.child({ message: 'from context' }).info('said');
    expect(last()).toMatchObject({ message: 'from context', level: 'info' });
    log.child({ a: 1 }).info('said', { level: 'custom' });
    expect(last()).toMatchObject({ level: 'custom', a: 1, message: 'said' });
    expect(lines.every((line) => line.match(/"(level|message)"/g)?.length === 2)).toBe(true);
  });

  it('carries every ancestor’s context into a grandchild’s lines, in order', () => {
    const { log, lines } = capture();
    log.child({ a: 1 }).child({ b: [2] }).child({ c: { d: 3 } }).info('deep context');
    expect(lines.at(-1)).toMatch(/^\{"level":"info","time":"[^"]+","message":"deep context","service":"atlas-onboarder","a":1,"b":\[2\],"c":\{"d":3\}\}$/);
  });

  it('masks a credential-named field of the context as well', () => {
    const { log, last } = capture();
    log.child({ token: 'abc-def-ghi' }).info('x');
    expect(last()).toMatchObject({ token: '[redacted]' });
  });

  it('drops lines below its level', () => {
    const { log, lines } = capture('info');
    log.debug('not shown');
    log.info('shown');
    expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual(['shown']);
  });
});

describe('text from callers in a line', () => {
  // What JSON.stringify leaves raw and a terminal or log viewer would act on: C1 controls, DEL, the bidirectional
  // marks, embeddings, overrides and isolates, and the line and paragraph separators.
  const SPOOFING = ['\u007f', '\u0080', '\u0085', '\u009b', '\u009f', '\u061c', '\u200e', '\u200f', '\u2028', '\u2029', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'];
  const RAW_SPOOFING = new RegExp(`[${SPOOFING.join('')}]`, 'u');

  it('escapes C1 controls, DEL and bidirectional characters as \\uXXXX, in message, context and fields, and parses back to the same text', () => {
    const { log, lines, last } = capture();
    const text = `evt-${SPOOFING.join('x')}-1`;
    log.child({ eventId: text }).warn(`saw ${text}`, { detail: { nested: [text] }, [`key${text}`]: 1 });
    expect(lines.at(-1)).not.toMatch(RAW_SPOOFING);
    expect(lines.at(-1)).toContain('\\u202e');
    expect(last()).toMatchObject({ message: `saw ${text}`, eventId: text, detail: { nested: [text] }, [`key${text}`]: 1 });
  });

  it('leaves a line without such characters as JSON.stringify made it', () => {
    const { log, lines } = capture();
    log.info('plain', { text: 'café ✓ 日本 \u{1f600} "quoted" back\\slash', n: 1 });
    expect(lines.at(-1)).toMatch(/"text":"café ✓ 日本 \u{1f600} \\"quoted\\" back\\\\slash","n":1\}$/u);
  });

  it('cuts a string over 2048 characters, anywhere in the line, saying how much was cut', () => {
    const { log, lines, last } = capture();
    const long = 'x'.repeat(200_000);
    log.child({ eventId: 'e'.repeat(3000) }).warn(`m${long}`, { errorMessage: long, detail: { list: ['short', long] }, kept: 'y'.repeat(2048) });
    expect(lines.at(-1)!.length).toBeLessThan(5 * 2048 + 500);
    expect(last()).toMatchObject({
      message: `m${'x'.repeat(2047)}…[cut 197953 chars]`,
      eventId: `${'e'.repeat(2048)}…[cut 952 chars]`,
      errorMessage: `${'x'.repeat(2048)}…[cut 197952 chars]`,
      detail: { list: ['short', `${'x'.repeat(2048)}…[cut 197952 chars]`] },
      kept: 'y'.repeat(2048),
    });
  });

  it('cuts between characters, never inside a surrogate pair', () => {
    const { log, last } = capture();
    log.info('emoji', { text: `${'a'.repeat(2047)}${'\u{1f600}'.repeat(10)}` });
    const text = last().text as string;
    expect(text).toBe(`${'a'.repeat(2047)}…[cut 20 chars]`);
  });

  it('scrubs a secret before cutting: one that straddles the cut leaves no part of itself behind', () => {
    const { log, lines } = capture();
    log.addSecret('S3CRET-straddling-value');
    log.info('long', { text: `${'a'.repeat(2040)}S3CRET-straddling-value${'b'.repeat(100)}`, 'S3CRET-straddling-value': 'key' });
    expect(lines.at(-1)).not.toMatch(/S3CR|straddling/);
  });

  it('escapes after scrubbing: a secret holding such a character is still found', () => {
    const { log, lines } = capture();
    log.addSecret('secret\u2028with-a-separator');
    log.info('x', { text: 'before secret\u2028with-a-separator after' });
    expect(lines.at(-1)).not.toContain('with-a-separator');
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ text: 'before [redacted] after' });
  });
});

describe('the stdout sink', () => {
  afterEach(() => {
    flushLogs();
    vi.restoreAllMocks();
  });

  it('writes the lines of one event-loop turn together, after the turn', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    stdoutSink('{"n":1}');
    stdoutSink('{"n":2}');
    expect(write).not.toHaveBeenCalled();
    await new Promise((resolve) => setImmediate(resolve));
    expect(write.mock.calls).toEqual([['{"n":1}\n{"n":2}\n']]);
  });

  it('writes at once when flushed, and nothing twice', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    stdoutSink('{"n":3}');
    flushLogs();
    expect(write.mock.calls).toEqual([['{"n":3}\n']]);
    await new Promise((resolve) => setImmediate(resolve));
    flushLogs();
    expect(write).toHaveBeenCalledTimes(1);
  });
});
