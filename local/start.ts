import { ConfigError } from '../lambda/functions/onboarder/config';
import { OKTA_SANDBOX_TOKEN } from '../sandbox';
import { readableLine } from './console-log';
import { PortInUseError, startLocalGateway, type LocalGateway } from './gateway';
import { localHookSecret } from './hooks';

/**
 * `npm start`: atlas-onboarder on one machine. The real handlers (the onboarder, the webhook ingress) behind a local
 * API Gateway and SQS, with the Atlas sandbox, the Okta stand-in and a local Secrets Manager behind them, all on
 * 127.0.0.1. No AWS account, no Atlas organization, no Okta org.
 */

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, not ${JSON.stringify(process.env.PORT)}`);
  process.exit(2);
}

try {
  const gateway = await startLocalGateway({
    env: process.env,
    port,
    logSink: (line) => {
      const readable = readableLine(line);
      if (readable) console.log(readable);
    },
  });
  const base = gateway.url.replace('127.0.0.1', 'localhost');
  const hooks = gateway.hooks.connections;
  const okta = hooks.find((c) => c.kind === 'okta-event-hook');
  const sender = hooks.find((c) => c.kind === 'standard-webhooks');
  /** The Okta connections whose people the onboarder reads (contract section 12). */
  const reading = hooks.filter((c): c is typeof c & { kind: 'okta-event-hook'; oktaOrgUrl: string } => c.kind === 'okta-event-hook' && Boolean(c.oktaOrgUrl && c.oktaApiSecretId));
  console.log(`
atlas-onboarder is running locally.

  API (as API Gateway)   ${base}/events   ${base}/invites
  Queue (as SQS)         ${base}/queue    dead letters: ${base}/queue/dead-letters
  Atlas                  ${gateway.sandbox ? `sandbox at ${gateway.atlasUrl}; what it holds: ${base}/sandbox/invitations` : `${gateway.atlasUrl} (real Atlas)`}
  Webhooks               ${hooks.map((c) => `${base}/hooks/${c.name} (${c.kind})`).join('   ') || 'no connections'}; each with a local secret
  SCIM                   ${scimLine(gateway, base)}
  Okta                   stand-in at ${gateway.okta.url} (token: SSWS ${OKTA_SANDBOX_TOKEN}); what it holds: ${base}/sandbox/okta${
    reading.length ? `
                         the onboarder reads the people of ${reading.map((c) => `/hooks/${c.name}`).join(', ')} from ${[...new Set(reading.map((c) => c.oktaOrgUrl))].join(', ')}` : ''
  }
  Rules                  ${process.env.ROLE_MAPPING ? 'ROLE_MAPPING (inline)' : (process.env.ROLE_MAPPING_FILE ?? 'examples/rules.json')}${process.env.DRY_RUN === 'true' ? '   (DRY_RUN: Atlas is never called)' : ''}

Served on 127.0.0.1 only, for Host localhost or 127.0.0.1; a request from another web page (its Origin) is 403,
and a body must be JSON (content-type: application/json; application/scim+json too under /scim/v2), so no page in
your browser can invite anyone.

Try:
  curl -s -X POST ${base}/events  -H 'content-type: application/json' -d @examples/events/hire.json
  curl -s -X POST ${base}/events?dryRun=true -H 'content-type: application/json' -d @examples/events/sso-group-added.json
  curl -s -X POST ${base}/invites -H 'content-type: application/json' -d @examples/events/direct-invite.json
  curl -s -X POST ${base}/queue   -H 'content-type: application/json' -d @examples/events/sqs-batch.json
  curl -s ${base}/sandbox/invitations
  curl -s ${base}/queue/dead-letters
  curl -s ${base}/sandbox/okta${gateway.scim ? `\n  curl -s ${base}/scim/v2/Users -H 'Authorization: Bearer ${gateway.scim.token}'` : ''}
  curl -s ${gateway.okta.url}/api/v1/users/grace@example.com/groups -H 'Authorization: SSWS ${OKTA_SANDBOX_TOKEN}'${
    sender ? `\n  ${process.env.PORT ? `PORT=${port} ` : ''}npm run send-webhook -- ${sender.name} examples/events/webhook-hire.json` : ''
  }${okta ? `\n  curl -s ${base}/hooks/${okta.name} -H 'x-okta-verification-challenge: hello' -H '${okta.header}: ${localHookSecret(okta)}'` : ''}${
    okta && reading.some((c) => c.name === okta.name)
      ? `\n  curl -s -X POST ${base}/hooks/${okta.name} -H '${okta.header}: ${localHookSecret(okta)}' -H 'content-type: application/json' -d @examples/okta/delivery.json -w '%{http_code}\\n'`
      : ''
  }

Ctrl-C stops everything. Decisions as they happen:
`);
  const stop = () => {
    console.log('\nstopping…');
    void gateway.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (gateway.scimUnavailable) console.error(`\n${gateway.scimUnavailable}\nEverything else above is running.\n`);
} catch (err) {
  if (err instanceof PortInUseError || err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

/** The banner's SCIM line: the base URL and token, where DynamoDB Local runs, or why SCIM is not served. */
function scimLine(gateway: LocalGateway, base: string): string {
  const scim = gateway.scim;
  if (!scim) return 'not served: see below';
  return `${base}/scim/v2 (token: Bearer ${scim.token})\n                         directory: table ${scim.tableName} in DynamoDB Local at ${scim.dynamoDbEndpoint}`;
}
