import { describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../lambda/contract/metrics';
import { Metrics } from '../lambda/metrics';
import { batch, call, DLQ_URL, hireEvent, PROJECT_B, restEvent, sqsEvent, useWorld, type World } from './harness';

// The Embedded Metric Format lines the functions write: what CloudWatch Logs reads to make metrics.

const NOW = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

function capture() {
  const lines: string[] = [];
  const metrics = new Metrics('onboarder', (line) => lines.push(line), () => NOW);
  return { metrics, lines, documents: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const directive = (dimensions: string[], metrics: [string, string][]) => ({
  Namespace: METRICS_NAMESPACE,
  Dimensions: [dimensions],
  Metrics: metrics.map(([Name, Unit]) => ({ Name, Unit })),
});

describe('an invocation’s metrics', () => {
  it('are one EMF line: a timestamp, one directive per dimension set, the Function dimension and the values', () => {
    const { metrics, lines, documents } = capture();
    metrics.result('invited');
    metrics.result('invited');
    metrics.atlasCall('ok', 120);
    metrics.atlasCall('ok', 80.4);
    metrics.rateLimitedWait();
    metrics.deadLetter();
    metrics.deploymentFault('SECRET_MALFORMED');
    metrics.flush();
    expect(lines).toHaveLength(1);
    expect(documents()[0]).toEqual({
      _aws: {
        Timestamp: NOW,
        CloudWatchMetrics: [
          directive(['Function', 'Status'], [['Results', 'Count']]),
          directive(['Function', 'Outcome'], [['AtlasCalls', 'Count']]),
          directive(['Function'], [['AtlasLatency', 'Milliseconds'], ['RateLimitedWaits', 'Count'], ['DeadLetters', 'Count'], ['DeploymentFaults', 'Count']]),
        ],
      },
      Function: 'onboarder',
      Status: 'invited',
      Outcome: 'ok',
      Results: 2,
      AtlasCalls: 2,
      AtlasLatency: [120, 80],
      RateLimitedWaits: 1,
      DeadLetters: 1,
      DeploymentFaults: 1,
    });
  });

  it('take one line more for each further value of a dimension, since a document gives a dimension one value', () => {
    const { metrics, documents } = capture();
    metrics.result('invited');
    metrics.result('failed');
    metrics.result('invited');
    metrics.result('already_invited');
    metrics.atlasCall('ok', 10);
    metrics.atlasCall('permanent', 20);
    metrics.count('DeadLetters');
    metrics.flush();
    const docs = documents();
    expect(docs.map((d) => [d.Status, d.Results, d.Outcome, d.AtlasCalls, d.AtlasLatency, d.DeadLetters])).toEqual([
      ['invited', 2, 'ok', 1, [10, 20], 1],
      ['failed', 1, 'permanent', 1, undefined, undefined],
      ['already_invited', 1, undefined, undefined, undefined, undefined],
    ]);
    // Each line names exactly the metrics it holds, so no value is published twice.
    const named = docs.flatMap((d) => (d._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap((c) => c.Metrics.map((m) => m.Name)));
    expect(named.sort()).toEqual(['AtlasCalls', 'AtlasCalls', 'AtlasLatency', 'DeadLetters', 'Results', 'Results', 'Results']);
  });

  it('keep at most 100 values of a duration in one line, as EMF allows', () => {
    const { metrics, documents } = capture();
    for (let i = 0; i < 250; i++) metrics.atlasCall('ok', i);
    metrics.flush();
    const docs = documents();
    expect(docs.map((d) => (d.AtlasLatency as number[]).length)).toEqual([100, 100, 50]);
    expect(docs.flatMap((d) => d.AtlasLatency as number[])).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(docs[0]!.AtlasCalls).toBe(250);
  });

  it('start again from nothing after a flush, and write no line when nothing was counted', () => {
    const { metrics, lines, documents } = capture();
    metrics.flush();
    expect(lines).toEqual([]);
    metrics.deadLetter();
    metrics.flush();
    metrics.flush();
    metrics.result('dry_run');
    metrics.flush();
    expect(documents().map((d) => [d.DeadLetters, d.Results, d.Status])).toEqual([
      [1, undefined, undefined],
      [undefined, 1, 'dry_run'],
    ]);
  });

  it('publish a dimension value outside its list as "other", so no address, id or secret becomes a dimension', () => {
    const { metrics, documents } = capture();
    metrics.result('ada@example.com' as 'invited');
    metrics.flush();
    expect(documents()[0]).toMatchObject({ Status: 'other', Results: 1 });
    expect(JSON.stringify(documents())).not.toContain('ada@example.com');
  });

  it('leave a deployment fault’s code out of the line: the caller’s error log line carries it', () => {
    const { metrics, lines } = capture();
    metrics.deploymentFault('INVALID_CREDENTIALS');
    metrics.flush();
    expect(JSON.parse(lines[0]!)).toMatchObject({ DeploymentFaults: 1 });
    expect(lines[0]).not.toContain('INVALID_CREDENTIALS');
  });
});

describe('the webhook ingress’s metrics', () => {
  it('are a RejectedSignatures count under Function=webhook-ingress, with no other dimension', () => {
    const lines: string[] = [];
    const metrics = new Metrics('webhook-ingress', (line) => lines.push(line), () => NOW);
    metrics.rejectedSignature();
    metrics.rejectedSignature();
    metrics.flush();
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      {
        _aws: { Timestamp: NOW, CloudWatchMetrics: [directive(['Function'], [['RejectedSignatures', 'Count']])] },
        Function: 'webhook-ingress',
        RejectedSignatures: 2,
      },
    ]);
  });
});

describe('the handler’s metrics', () => {
  let world: World;
  useWorld((started) => (world = started));

  /** The EMF lines one invocation wrote, parsed. */
  async function emfOf(invocation: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
    const before = world.logs.length;
    await invocation();
    return world.logs
      .slice(before)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => '_aws' in entry);
  }

  it('count an invitation, its Atlas calls (not the token request) and their latency, in one line per invocation', async () => {
    const handler = world.handler();
    const emf = await emfOf(() => call(handler, restEvent({ path: '/events', body: hireEvent() })));
    expect(world.atlas.count('token')).toBe(1);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ Function: 'onboarder', Status: 'invited', Results: 2, Outcome: 'ok', AtlasCalls: 2 });
    expect(emf[0]!.AtlasLatency).toEqual([expect.any(Number), expect.any(Number)]);
    expect(emf[0]).not.toHaveProperty('DeadLetters');
  });

  it('count a failed call, the failed result and the dead letters of an SQS batch', async () => {
    const handler = world.handler();
    world.atlas.injectFault({ kind: 'status', status: 400, errorCode: 'INVALID_EMAIL_ADDRESS' }, { on: 'invites' });
    const emf = await emfOf(() => batch(handler, sqsEvent([hireEvent({ department: 'Finance' }), 'not json'])));
    expect(world.aws.sentMessages.map((m) => m.queueUrl)).toEqual([DLQ_URL, DLQ_URL]);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ Status: 'failed', Results: 1, Outcome: 'permanent', AtlasCalls: 1, DeadLetters: 2 });
    expect(emf[0]!.AtlasLatency).toHaveLength(1);
  });

  it('count a rate-limited answer as a transient call and a wait, beside the call that then succeeded', async () => {
    const handler = world.handler();
    world.atlas.injectFault({ kind: 'status', status: 429, errorCode: 'RATE_LIMITED' }, { on: 'invites' });
    const emf = await emfOf(() => call(handler, restEvent({ path: '/events', body: hireEvent({ department: 'Finance' }) })));
    expect(world.atlas.invitations().map((i) => i.groupId)).toEqual([PROJECT_B]);
    expect(emf.map((e) => [e.Outcome, e.AtlasCalls, e.Status, e.Results, e.RateLimitedWaits])).toEqual([
      ['transient', 1, 'invited', 1, 1],
      ['ok', 1, undefined, undefined, undefined],
    ]);
  });

  it('never carry an e-mail address', async () => {
    const handler = world.handler();
    const emails = ['grace@example.com', 'alan@example.com'];
    const invited = await emfOf(() => call(handler, restEvent({ path: '/events', body: hireEvent({ email: emails[0] }) })));
    world.atlas.injectFault({ kind: 'status', status: 400, errorCode: 'INVALID_EMAIL_ADDRESS' }, { on: 'invites' });
    const failed = await emfOf(() => batch(handler, sqsEvent([hireEvent({ email: emails[1], department: 'Finance' })])));
    const emf = [...invited, ...failed];
    expect(emf.map((e) => e.Status)).toEqual(['invited', 'failed']);
    expect(emf.filter((e) => JSON.stringify(e).includes('@'))).toEqual([]);
  });
});
