/**
 * Values quoted in error messages. A message may quote what a caller sent (an unknown role in a direct invite) or what
 * a rule file holds, and messages reach answers, dead letters and log lines (contract section 8, v2): a value is
 * quoted short, and with every character that could make a terminal or a log viewer show something else escaped.
 */

/** The most of a value a message quotes, in UTF-16 code units. */
export const MAX_QUOTED = 64;

// Control characters (C0, DEL, C1), the bidirectional marks, embeddings, overrides and isolates, and the line and
// paragraph separators.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `value` as a message quotes it: a string in JSON quotes, anything else as its JSON, cut to {@link MAX_QUOTED}
 * characters (marked `…`), with control and bidirectional characters written as `\uXXXX`.
 *
 * @example
 * quoted('GROUP_GOD'); // '"GROUP_GOD"'
 * quoted('GROUP_\u202eDOG'); // '"GROUP_\\u202eDOG"'
 */
export function quoted(value: unknown): string {
  let text: string;
  if (typeof value === 'string') {
    text = JSON.stringify(value.length > MAX_QUOTED ? `${cut(value)}…` : value);
  } else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = typeof value;
    }
    if (text.length > MAX_QUOTED) text = `${cut(text)}…`;
  }
  return printable(text);
}

/**
 * `text` with control and bidirectional characters written as `\uXXXX`, for a message that holds text from outside
 * in a form of its own (a JSON.parse error quoting the input).
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The first {@link MAX_QUOTED} code units of `text`, one fewer where the cut would split a surrogate pair. */
function cut(text: string): string {
  const end = isHighSurrogate(text.charCodeAt(MAX_QUOTED - 1)) ? MAX_QUOTED - 1 : MAX_QUOTED;
  return text.slice(0, end);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
