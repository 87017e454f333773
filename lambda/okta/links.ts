import type { Answer } from '../http/transport';

/**
 * Okta's paging: a listing answers its next page in a `Link` header (RFC 8288) with `rel="next"`, one header line per
 * link or several links in one line.
 */

/** One `<target>; param; param` entry; `<` cannot occur inside a target, so entries split before each `<`. */
const ENTRY = /^\s*<([^>]*)>\s*((?:;[^;]*)*)$/;
const REL = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i;

/**
 * The `rel="next"` target of an answer, resolved against the URL that was asked; `undefined` when there is none.
 *
 * @example
 * nextLink({ link: '<https://acme.okta.com/api/v1/users/00u1/groups?after=00g2>; rel="next"' }, url); // URL { href: 'https://acme.okta.com/...' }
 */
export function nextLink(headers: Answer['headers'], asked: string): URL | undefined {
  const raw = headers.link;
  const lines = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  for (const entry of lines.flatMap((line) => line.split(/,(?=\s*<)/))) {
    const match = ENTRY.exec(entry);
    if (!match) continue;
    const rel = REL.exec(match[2] ?? '');
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (!rels.includes('next')) continue;
    try {
      return new URL(match[1]!, asked);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
