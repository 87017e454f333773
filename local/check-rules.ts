import { readFileSync } from 'node:fs';
import { isLeaving, parseMessageBody, type InputIssue } from '../lambda/events';
import { conditionHolds, disallowedDirectRoles, grantsFor } from '../lambda/rules/engine';
import { parseRuleFile, RuleFileError, type ConditionKey, type RuleFile } from '../lambda/rules/schema';

/**
 * `npm run check-rules -- RULES [EVENT...]`: validates a rule file with the same schema as `cdk synth` and the
 * function, then shows for each sample event which rules match (and why the others do not) and the invitations
 * that would be sent. Exits 1 when the rule file or a sample event is invalid.
 */

const [rulesPath, ...eventPaths] = process.argv.slice(2);
if (!rulesPath) {
  console.error('usage: npm run check-rules -- RULES [EVENT...]');
  process.exit(2);
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
  const parsed = parseMessageBody(body);
  if (!parsed.ok) return { invalid: true, text: [`✘ ${parsed.error}:`, ...parsed.issues.map((i: InputIssue) => `    ${i.path || '(body)'}: ${i.message}`)] };
  const request = parsed.value;
  if (request.kind === 'direct') {
    const { invite } = request;
    const refused = disallowedDirectRoles(invite, file);
    return {
      invalid: false,
      text: refused.length
        ? [`✘ direct invite of ${invite.username} to ${invite.groupId} is not allowed: directInvites does not list ${refused.join(', ')} for it (403 / dead letter)`]
        : [`✔ direct invite of ${invite.username} to ${invite.groupId} with ${invite.roles.join(', ')} is allowed`],
    };
  }
  const { event } = request;
  const leaving = isLeaving(event);
  const text = [`${event.id ?? '(no id)'}: ${event.source} ${event.type} for ${event.user.email}`];
  for (const rule of file.rules) {
    const failing = (Object.keys(rule.when) as ConditionKey[]).filter(
      (key) => !(leaving && key === 'type') && !conditionHolds({ [key]: rule.when[key] }, event),
    );
    text.push(failing.length ? `  · ${rule.name}: no match (${failing.join(', ')} differ${failing.length === 1 ? 's' : ''})` : `  ✔ ${rule.name}: matches`);
  }
  const grants = grantsFor(event, file.rules, leaving);
  if (grants.length === 0) text.push('→ no invitation (200 with results: [])');
  else if (leaving) text.push(`→ a leaving event: nothing is invited; ${grants.length} project${grants.length === 1 ? '' : 's'} reported "ignored"`);
  else {
    text.push(`→ would invite ${event.user.email} to:`);
    for (const g of grants) text.push(`    ${g.groupId}  ${g.roles.join(', ')}  (from ${g.rules.join(', ')})`);
  }
  return { invalid: false, text };
}
