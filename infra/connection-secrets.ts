import { createHash } from 'node:crypto';
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ConnectionsFileError, type Connection } from '../lambda/contract';
import { connectionSecretIds } from './connections';
import { referToSecret, SECRET_NAME } from './secret-reference';

/** What a created secret says until the operator puts the real value in; the functions refuse it as malformed. */
export const PLACEHOLDER_SHAPES = {
  hook: '{"values": ["<the header value Okta sends, or the sender\'s whsec_ secret>"]}',
  oktaApi: '{"token": "<an Okta API token>"}',
} as const;

/** Props of {@link ConnectionSecrets}. */
export interface ConnectionSecretsProps {
  readonly connections: readonly Connection[];
  /**
   * Which secrets exist already and are referred to by name: `true` for all, or a list of secret ids. A secret id
   * that is an ARN is always referred to.
   *
   * @default false - every secret named by name is created, with a placeholder
   */
  readonly existing?: boolean | readonly string[];
  /**
   * ARN of the customer managed KMS key that encrypts the secrets: created ones are encrypted with it, and readers
   * get `kms:Decrypt` on it through Secrets Manager only.
   *
   * @default - the account's `aws/secretsmanager` key, which needs no grant
   */
  readonly kmsKeyArn?: string;
}

interface ConnectionSecret {
  readonly secret: secretsmanager.ISecret;
  readonly policyResource: string;
  readonly created: boolean;
}

/**
 * The connections' secrets (contract sections 11 and 12): each `secretId` (`{"values": [...]}`, read by the webhook
 * ingress) and each `oktaApiSecretId` (`{"token": "..."}`, read by the onboarder), created under exactly that name or
 * referred to, and readable with `secretsmanager:GetSecretValue` on the named secrets only. The same key handling as
 * the Atlas credentials (`AtlasCredentials`).
 *
 * A created secret holds `{"replaceWith": "…", "placeholder": "<random>"}`: no credential sits in the template, and
 * the functions read that shape as malformed, so every request to the hook is answered 503 (never accepted) until
 * the operator puts the value in. It is retained when the stack goes: its name is fixed by the connections file, and
 * the value is shared with the sender.
 */
export class ConnectionSecrets extends Construct {
  /** Secret ids (as the connections file names them) that this stack created. */
  readonly created: readonly string[];
  private readonly secrets = new Map<string, ConnectionSecret>();
  private readonly key: kms.IKey | undefined;

  constructor(scope: Construct, id: string, props: ConnectionSecretsProps) {
    super(scope, id);
    this.key = props.kmsKeyArn ? kms.Key.fromKeyArn(this, 'Key', props.kmsKeyArn) : undefined;
    const ids = connectionSecretIds(props.connections);
    const existing = props.existing ?? false;
    const listed: readonly string[] = typeof existing === 'boolean' ? [] : existing;
    for (const secretId of listed) {
      // A typo would otherwise create a secret under the right name beside the one meant: say so instead.
      if (![...ids.hook, ...ids.oktaApi].includes(secretId)) {
        throw new ConnectionsFileError('connections file', [`"existingConnectionSecrets" names ${JSON.stringify(secretId)}, which no connection's secretId or oktaApiSecretId is`]);
      }
    }
    const exists = (secretId: string) => secretId.startsWith('arn:') || existing === true || listed.includes(secretId);
    const connectionOf = (secretId: string) => props.connections.find((c) => c.secretId === secretId || (c.kind === 'okta-event-hook' && c.oktaApiSecretId === secretId))!;

    const kinds: [string, keyof typeof PLACEHOLDER_SHAPES][] = [...ids.hook.map((s): [string, 'hook'] => [s, 'hook']), ...ids.oktaApi.map((s): [string, 'oktaApi'] => [s, 'oktaApi'])];
    for (const [secretId, kind] of kinds) {
      if (this.secrets.has(secretId)) continue;
      // By the secret's own id, so the logical id stays when connections are added, removed or reordered.
      const constructId = `Secret-${secretId.replace(/[^A-Za-z0-9]+/g, '-')}-${createHash('sha256').update(secretId).digest('hex').slice(0, 8)}`;
      if (exists(secretId)) {
        this.secrets.set(secretId, { ...referToSecret(this, constructId, secretId), created: false });
        continue;
      }
      if (!SECRET_NAME.test(secretId)) {
        throw new ConnectionsFileError('connections file', [
          `connection "${connectionOf(secretId).name}": secret ${JSON.stringify(secretId)} cannot be created under that name (letters, digits and /_+=.@- only); create it yourself and list it in "existingConnectionSecrets"`,
        ]);
      }
      const secret = new secretsmanager.Secret(this, constructId, {
        secretName: secretId,
        description:
          kind === 'hook'
            ? `atlas-onboarder webhook connection "${connectionOf(secretId).name}": ${PLACEHOLDER_SHAPES.hook}`
            : `atlas-onboarder Okta API token of connection "${connectionOf(secretId).name}": ${PLACEHOLDER_SHAPES.oktaApi}`,
        encryptionKey: this.key,
        // A shape the functions refuse, with a random part so nothing guessable sits in the secret or the template.
        // Keep the template stable: CloudFormation regenerates the value when it changes, overwriting what an operator
        // has put in.
        generateSecretString: { secretStringTemplate: JSON.stringify({ replaceWith: PLACEHOLDER_SHAPES[kind] }), generateStringKey: 'placeholder' },
        // Its name is the connection's; a deleted secret keeps the name for its recovery window, and the value is the
        // one the sender holds. Keep it; redeploy with "existingConnectionSecrets" to refer to it.
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          kind === 'hook'
            ? 'The value is shared with the webhook sender (the header value configured in Okta, or the sender\'s whsec_ ' +
              'signing secret), so a rotation Lambda could change only our side and break the hook. Rotation is by hand ' +
              'without downtime: put {"values": [old, new]}, change the sender, then put {"values": [new]} (infra/README.md).'
            : 'The value is an Okta API token, which Okta issues and revokes (an unused token expires after 30 days); a ' +
              'rotation Lambda would need an Okta administrator token to mint another, far more than this stack should ' +
              'hold. Rotate in Okta and put the new token here with put-secret-value (infra/README.md).',
      });
      this.secrets.set(secretId, { secret, policyResource: secret.secretArn, created: true });
    }
    this.created = [...this.secrets].filter(([, s]) => s.created).map(([secretId]) => secretId);
  }

  /** Lets `grantee` read the given secrets' values: `GetSecretValue` on those, and `kms:Decrypt` via Secrets Manager. */
  grantGetSecretValue(grantee: iam.IGrantable, secretIds: readonly string[], sid: string): void {
    if (secretIds.length === 0) return;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid, actions: ['secretsmanager:GetSecretValue'], resources: secretIds.map((secretId) => this.secrets.get(secretId)!.policyResource) }),
    );
    if (this.key) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: `Decrypt${sid}`,
          actions: ['kms:Decrypt'],
          resources: [this.key.keyArn],
          // Only for Secrets Manager decrypting on the function's behalf, not for anything else the key protects.
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
  }

  /** The secret of a secret id the connections name. */
  secret(secretId: string): secretsmanager.ISecret {
    return this.secrets.get(secretId)!.secret;
  }
}
