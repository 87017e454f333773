// One cold start, in a fresh process: import the bundle named by argv[2], invoke it once with one SQS record, and
// report the times on stdout as one JSON line. The function's own log lines go to stdout too; the parent keeps the
// last line. Plain JavaScript, run by plain node: nothing but the bundle is loaded.
const started = performance.now();
const { handler } = await import(process.argv[2]);
const imported = performance.now();
const event = {
  Records: [
    {
      messageId: 'cold-start-1',
      receiptHandle: 'cold-start-receipt',
      body: JSON.stringify({ id: 'cold', source: 'sso', type: 'group.member.added', group: 'atlas-analytics-readers', user: { email: process.argv[3] } }),
      attributes: {},
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:onboarding',
      awsRegion: 'us-east-1',
    },
  ],
};
const answer = await handler(event, { awsRequestId: 'cold', getRemainingTimeInMillis: () => 20_000 });
const done = performance.now();
// CPU time of the whole process so far (Node's own start-up included): less disturbed than wall time by a busy machine.
const cpu = process.cpuUsage();
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stdout.write(`\n${JSON.stringify({ importMs: imported - started, firstInvocationMs: done - imported, totalMs: done - started, cpuMs, ok: answer.batchItemFailures.length === 0 })}\n`);
process.exit(0);
