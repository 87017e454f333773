import { readFileSync } from 'node:fs';
import { ConnectionsFileError, parseConnectionsFile, parseRuleFile, RuleFileError, type RuleFile } from '../lambda/contract';
import { explainBody } from '../lambda/preview/explain';

/**
 * `npm run check-rules -- [--connections FILE] RULES [EVENT...]`: validates a rule file with the same schema as
 * `cdk synth` and the function, then shows for each sample event which rules match (and why the others do not) and
 * the invitations that would be sent. With `--connections`, validates a connections file (contract section 11) too.
 * Exits 1 when the rule file, the connections file or a sample event is invalid.
 */

const USAGE = 'usage: npm run check-rules -- [--connections FILE] RULES [EVENT...]';
const args = process.argv.slice(2);
let connectionsPath: string | undefined;
const at = args.indexOf('--connections');
if (at >= 0) {
  connectionsPath = args[at + 1];
  if (!connectionsPath) {
    console.error(USAGE);
    process.exit(2);
  }
  args.splice(at, 2);
}
const [rulesPath, ...eventPaths] = args;
if (!rulesPath) {
  console.error(USAGE);
  process.exit(2);
}

if (connectionsPath) {
  try {
    const { connections } = parseConnectionsFile(readFileSync(connectionsPath, 'utf8'), connectionsPath);
    console.log(`✔ ${connectionsPath}: valid (${connections.map((c) => `/hooks/${c.name} ${c.kind}`).join(', ') || 'no connections'})`);
  } catch (err) {
    if (err instanceof ConnectionsFileError) console.error(`✘ ${err.message}`);
    else console.error(`✘ ${connectionsPath}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    process.exit(1);
  }
}

let rules: RuleFile;
try {
  rules = parseRuleFile(readFileSync(rulesPath, 'utf8'), rulesPath);
} catch (err) {
  if (err instanceof RuleFileError) console.error(`✘ ${err.message}`);
  else console.error(`✘ ${rulesPath}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  process.exit(1);
}
const directProjects = new Set(rules.directInvites.map((d) => d.groupId)).size;
console.log(`✔ ${rulesPath}: valid (${rules.rules.length} rules, direct invites allowed to ${directProjects} project${directProjects === 1 ? '' : 's'})`);

let invalid = 0;
for (const path of eventPaths) {
  console.log('');
  for (const [label, body] of bodiesOf(path)) {
    const lines = explain(body, rules);
    if (lines.invalid) invalid++;
    console.log(label);
    for (const line of lines.text) console.log(`  ${line}`);
  }
}
process.exit(invalid > 0 ? 1 : 0);

/** The message bodies a file holds: one for a bare event, one per record for an SQS event, the body of an API event. */
function bodiesOf(path: string): [string, string][] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [[path, '']];
  }
  try {
    const value = JSON.parse(text) as { Records?: { body?: unknown; messageId?: unknown }[]; requestContext?: unknown; body?: unknown };
    if (Array.isArray(value.Records)) return value.Records.map((r, i) => [`${path} record ${i + 1}`, typeof r.body === 'string' ? r.body : JSON.stringify(r.body)]);
    if (value.requestContext && typeof value.body === 'string') return [[`${path} (API Gateway body)`, value.body]];
  } catch {
    // Not JSON: explained below as invalid_json.
  }
  return [[path, text]];
}

function explain(body: string, file: RuleFile): { invalid: boolean; text: string[] } {
  const explained = explainBody(body, file);
  if (explained.kind === 'invalid') {
    return { invalid: true, text: [`✘ ${explained.error}:`, ...explained.issues.map((i) => `    ${i.path || '(body)'}: ${i.message}`)] };
  }
  const { plan } = explained;
  if (explained.kind === 'direct') {
    const { invite } = explained;
    return {
      invalid: false,
      text:
        plan.kind === 'refused'
          ? [`✘ direct invite of ${invite.username} to ${invite.groupId} is not allowed: directInvites does not list ${plan.roles.join(', ')} for it (403 / dead letter)`]
          : [`✔ direct invite of ${invite.username} to ${invite.groupId} with ${invite.roles.join(', ')} is allowed`],
    };
  }
  const { event } = explained;
  const text = [`${event.id ?? '(no id)'}: ${event.source} ${event.type} for ${event.user.email}`];
  for (const rule of explained.rules) {
    const { failing } = rule;
    text.push(failing.length ? `  · ${rule.rule}: no match (${failing.join(', ')} differ${failing.length === 1 ? 's' : ''})` : `  ✔ ${rule.rule}: matches`);
  }
  if (plan.kind === 'reconcile') {
    // movers: sync or leavers: remove (contract section 13): what the person should hold in each managed project.
    const { movers, leavers } = file.lifecycle;
    text.push(
      plan.leaving
        ? `→ a leaving event (leavers: ${leavers}): ${event.user.email} is removed from every managed project where they hold anything:`
        : `→ movers: ${movers}: ${event.user.email}'s access in each managed project becomes:`,
    );
    for (const groupId of plan.projects) {
      const grant = plan.desired.get(groupId);
      text.push(
        grant
          ? `    ${groupId}  ${grant.roles.join(', ')}  (from ${grant.rules.join(', ')}): invited if they hold nothing, roles changed if they hold others`
          : `    ${groupId}  nothing: ${plan.leaving ? 'removed' : 'removed if they hold anything (GROUP_OWNER is kept)'}`,
      );
    }
    return { invalid: false, text };
  }
  const actions = plan.kind === 'actions' ? plan.actions : [];
  if (actions.length === 0) text.push('→ no invitation (200 with results: [])');
  else if (actions.every((a) => a.kind === 'ignore')) {
    text.push(`→ ${explained.leaving ? 'a leaving event' : 'a group membership removed'}: nothing is invited; ${actions.length} project${actions.length === 1 ? '' : 's'} reported "ignored"`);
  }
  else {
    text.push(`→ would invite ${event.user.email} to:`);
    for (const a of actions) text.push(`    ${a.groupId}  ${a.roles.join(', ')}  (from ${a.rules.join(', ')})`);
  }
  return { invalid: false, text };
}
