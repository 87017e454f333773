import '../zod-messages';
import * as z from 'zod/mini';
import { printable, quoted } from './quote';
import { EVENT_SOURCES, EVENT_TYPES, groupId, LEAVER_POLICIES, MOVER_POLICIES, projectRole } from './vocabulary';

/**
 * The rule file (contract section 5): one schema, used by `cdk synth` (infra) and at start-up (the function),
 * so a rule that fails one fails the other with the same message.
 */

const roleList = z
  .array(projectRole)
  .check(
    z.minLength(1, { error: 'must name at least one role' }),
    z.refine((roles) => new Set(roles).size === roles.length, { error: 'must not repeat a role' }),
  );

/** Classic zod's `z.preprocess`, which zod/mini lacks: `fn` runs on the raw input, then `schema` on its result. */
function preprocess<U extends z.core.$ZodType>(fn: (value: unknown) => unknown, schema: U) {
  return z.pipe(z.transform(fn), schema);
}
/** A `when` value: a string or a non-empty list of strings (any of), always a list once parsed. */
function matcher<T extends z.ZodMiniType<string>>(item: T) {
  return preprocess(
    (value) => (typeof value === 'string' ? [value] : value),
    z.array(item, { error: 'must be a string or a list of strings' }).check(z.minLength(1, { error: 'must list at least one value' })),
  );
}
const text = z.string().check(z.trim(), z.minLength(1, { error: 'must not be empty' }));
/** Rule values compare ignoring case and surrounding space (contract section 5): the form both sides are compared in. */
export const normalise = (value: string) => value.trim().toLowerCase();
/** The known values (sources, types) are checked in that form too. */
function caseless<T extends z.ZodMiniType<string>>(known: T) {
  return preprocess((value) => (typeof value === 'string' ? normalise(value) : value), known);
}

export const ruleCondition = z.partial(
  z.strictObject(
    {
      source: matcher(caseless(z.enum(EVENT_SOURCES, { error: (i) => `unknown source ${quoted(i.input)}` }))),
      type: matcher(caseless(z.enum(EVENT_TYPES, { error: (i) => `unknown event type ${quoted(i.input)}` }))),
      department: matcher(text),
      title: matcher(text),
      location: matcher(text),
      costCenter: matcher(text),
      group: matcher(text),
      emailDomain: matcher(text),
    },
    { error: (i) => (i.code === 'unrecognized_keys' ? `unknown key ${i.keys.map(quoted).join(', ')}` : undefined) },
  ),
);
export type RuleCondition = z.infer<typeof ruleCondition>;
export type ConditionKey = keyof RuleCondition;

export const grant = z.strictObject({ groupId, roles: roleList });
export type Grant = z.infer<typeof grant>;

export const rule = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1, { error: 'a rule needs a name' })),
  when: ruleCondition,
  invite: z.array(grant).check(z.minLength(1, { error: 'a rule must invite to at least one project' })),
});
export type Rule = z.infer<typeof rule>;

/**
 * What movers and leavers do to existing access (contract section 13). The defaults are v1's: events only ever invite,
 * and leaving events report `ignored`.
 */
export const lifecycle = z.strictObject(
  {
    movers: z._default(z.enum(MOVER_POLICIES, { error: (i) => `movers must be "add" or "sync", not ${JSON.stringify(i.input)}` }), 'add'),
    leavers: z._default(z.enum(LEAVER_POLICIES, { error: (i) => `leavers must be "ignore" or "remove", not ${JSON.stringify(i.input)}` }), 'ignore'),
  },
  { error: (i) => (i.code === 'unrecognized_keys' ? `unknown key ${i.keys.map((k) => JSON.stringify(k)).join(', ')}` : undefined) },
);
export type Lifecycle = z.infer<typeof lifecycle>;

export const ruleFile = z
  .strictObject({
    rules: z.array(rule),
    directInvites: z._default(z.array(grant), []),
    lifecycle: z._default(lifecycle, { movers: 'add', leavers: 'ignore' }),
  })
  .check(
    z.superRefine((file, ctx) => {
      const seen = new Set<string>();
      file.rules.forEach((r, i) => {
        if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `duplicate rule name ${quoted(r.name)}` });
        seen.add(r.name);
      });
    }),
  );
export type RuleFile = z.infer<typeof ruleFile>;

/**
 * The managed projects (contract section 13): the `groupId`s the rules invite to (not `directInvites`). No other
 * project is ever read or changed by `sync` or `remove`.
 *
 * @example
 * managedProjects(ruleFile); // ['5f1e2d3c4b5a69788796a5b4', '64b7c8d9e0f1a2b3c4d5e6f7']
 */
export function managedProjects(file: RuleFile): string[] {
  return [...new Set(file.rules.flatMap((r) => r.invite.map((g) => g.groupId)))];
}

/** Raised when a rule file does not parse; its message names every offending rule and field. */
export class RuleFileError extends Error {
  override readonly name = 'RuleFileError';
  constructor(
    readonly origin: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid rule file (${origin}):\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * Parses a rule file's text, naming the rule (by its `name`) in every problem.
 *
 * @example
 * const rules = parseRuleFile(readFileSync('examples/rules.json', 'utf8'), 'examples/rules.json');
 */
export function parseRuleFile(json: string, origin: string): RuleFile {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new RuleFileError(origin, [`not JSON: ${printable((err as Error).message)}`]);
  }
  const parsed = ruleFile.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new RuleFileError(origin, parsed.error.issues.map((issue) => describeIssue(raw, issue)));
}

function describeIssue(raw: unknown, issue: z.core.$ZodIssue): string {
  const [top, index, ...rest] = issue.path;
  let where = issue.path.length ? issue.path.join('.') : '(file)';
  if ((top === 'rules' || top === 'directInvites') && typeof index === 'number') {
    const entry = (raw as Record<string, unknown[]>)[top]?.[index] as { name?: unknown } | undefined;
    const label = top === 'rules' ? `rule ${typeof entry?.name === 'string' ? quoted(entry.name) : `"#${index + 1}"`}` : `directInvites[${index}]`;
    where = rest.length ? `${label} at ${rest.join('.')}` : label;
  }
  return `${where}: ${issue.message}`;
}
