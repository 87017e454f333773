import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RuleFileError, parseRuleFile, type OnboarderEnvironment } from '../lambda/contract';

/**
 * The rule file (contract section 5) on its way to the function: validated at synth with the function's own schema,
 * then passed inline (`ROLE_MAPPING`) when small, or bundled next to the code (`ROLE_MAPPING_FILE`) when not.
 */

/**
 * Largest rule file, as compact JSON in bytes, passed inline. Lambda allows 4 KB for all variables together; the
 * others (ARNs, queue URL, flags) take under 1 KB, and this leaves room for the next variable someone adds.
 */
export const INLINE_ROLE_MAPPING_MAX_BYTES = 2048;

/** Name of the bundled copy, relative to the function's code directory (`/var/task`, the working directory). */
export const BUNDLED_ROLE_MAPPING_FILE = 'role-mapping.json';

export type RoleMapping =
  | { readonly delivery: 'inline'; readonly json: string; readonly ruleCount: number }
  | { readonly delivery: 'bundled'; readonly sourcePath: string; readonly ruleCount: number; readonly sha256: string };

/**
 * Reads and validates a rule file; a bad rule (or a missing file) throws `RuleFileError`, whose message names the
 * rule, so `cdk synth` fails before anything is deployed.
 *
 * @example
 * const mapping = loadRoleMapping('examples/rules.json'); // { delivery: 'inline', json: '{"rules":[…]}', ruleCount: 3 }
 */
export function loadRoleMapping(path: string): RoleMapping {
  const sourcePath = resolve(path);
  let text: string;
  try {
    text = readFileSync(sourcePath, 'utf8');
  } catch (err) {
    throw new RuleFileError(path, [`cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}): set the "ruleFile" context value or prop`]);
  }
  const ruleCount = parseRuleFile(text, path).rules.length;
  // Inline the text as written (compacted), not the parsed form: the function parses it again with the same schema.
  const json = JSON.stringify(JSON.parse(text));
  return Buffer.byteLength(json, 'utf8') <= INLINE_ROLE_MAPPING_MAX_BYTES
    ? { delivery: 'inline', json, ruleCount }
    : { delivery: 'bundled', sourcePath, ruleCount, sha256: createHash('sha256').update(text).digest('hex') };
}

/** The function's environment variable that carries the rule file. */
export function roleMappingEnvironment(mapping: RoleMapping): Pick<OnboarderEnvironment, 'ROLE_MAPPING' | 'ROLE_MAPPING_FILE'> {
  return mapping.delivery === 'inline' ? { ROLE_MAPPING: mapping.json } : { ROLE_MAPPING_FILE: BUNDLED_ROLE_MAPPING_FILE };
}

/**
 * Puts a bundled rule file into the asset's directory, beside the code; an inline one needs nothing there.
 *
 * @example
 * copyRoleMappingInto(loadRoleMapping('config/large-rules.json'), outputDir); // outputDir/role-mapping.json
 */
export function copyRoleMappingInto(mapping: RoleMapping, outputDir: string): void {
  if (mapping.delivery === 'bundled') copyFileSync(mapping.sourcePath, resolve(outputDir, BUNDLED_ROLE_MAPPING_FILE));
}
