// One cold start of the scim function, in a fresh process: import the bundle named by argv[2], hand it the API
// Gateway event of argv[3] (an authenticated POST /Users, as JSON) and report the times and the status on stdout as
// one JSON line. The bearer token is read from the Secrets Manager stand-in and the user written to DynamoDB Local,
// both named by the environment. The function's own log lines go to stdout too; the parent keeps the last line. Plain
// JavaScript, run by plain node: nothing but the bundle is loaded.
const started = performance.now();
const { handler } = await import(process.argv[2]);
const imported = performance.now();
const answer = await handler(JSON.parse(process.argv[3]), { awsRequestId: 'cold', getRemainingTimeInMillis: () => 29_000 });
const done = performance.now();
// CPU time of the whole process so far (Node's own start-up included): less disturbed than wall time by a busy machine.
const cpu = process.cpuUsage();
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stdout.write(`\n${JSON.stringify({ importMs: imported - started, firstRequestMs: done - imported, totalMs: done - started, cpuMs, status: answer.statusCode })}\n`);
process.exit(0);
