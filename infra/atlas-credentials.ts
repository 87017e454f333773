import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { referToSecret } from './secret-reference';

/** What a new secret's `clientId` says until someone puts the real service-account credentials in. */
export const PLACEHOLDER_CLIENT_ID = 'REPLACE-with-the-Atlas-service-account-client-id';

/** Props of {@link AtlasCredentials}. */
export interface AtlasCredentialsProps {
  /**
   * An existing secret, by name (`atlas/onboarder`) or ARN, whose SecretString is
   * `{"clientId": "...", "clientSecret": "..."}`.
   *
   * @default - a new secret holding a placeholder, to be filled with `aws secretsmanager put-secret-value`
   */
  readonly existingSecret?: string;
  /**
   * ARN of the customer managed KMS key that encrypts the secret. The function gets `kms:Decrypt` on it, through
   * Secrets Manager only; a new secret is encrypted with it.
   *
   * @default - the account's `aws/secretsmanager` key, which needs no grant
   */
  readonly kmsKeyArn?: string;
}

/**
 * The Atlas service-account secret: imported or created, and readable with `secretsmanager:GetSecretValue` on that one
 * secret and nothing else (`ISecret.grantRead` would add `DescribeSecret`, which the function never calls).
 */
export class AtlasCredentials extends Construct {
  readonly secret: secretsmanager.ISecret;
  /** The value of `ATLAS_SECRET_ID`: the name or ARN as given, or the new secret's ARN. */
  readonly secretId: string;
  /** The ARN to show operators; for a secret given by name, the ARN without the random suffix. */
  readonly secretArn: string;
  private readonly policyResource: string;
  private readonly key: kms.IKey | undefined;

  constructor(scope: Construct, id: string, props: AtlasCredentialsProps = {}) {
    super(scope, id);
    this.key = props.kmsKeyArn ? kms.Key.fromKeyArn(this, 'Key', props.kmsKeyArn) : undefined;
    const existing = props.existingSecret?.trim();

    if (!existing) {
      const secret = new secretsmanager.Secret(this, 'Secret', {
        description: 'MongoDB Atlas service account used by atlas-onboarder: {"clientId","clientSecret"}',
        encryptionKey: this.key,
        // The structure the function expects, with a random clientSecret so no credential sits in the template; the
        // placeholder clientId makes Atlas refuse the token request (a permanent 401) until the real one is put in.
        // Keep this template stable: CloudFormation regenerates the value when it changes, overwriting what an
        // operator has put in.
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ clientId: PLACEHOLDER_CLIENT_ID }),
          generateStringKey: 'clientSecret',
        },
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The secret holds a MongoDB Atlas service-account client secret. Atlas issues and expires that secret itself ' +
          '(its lifetime is set when the service account is created); rotation is done in Atlas and then put here with ' +
          'put-secret-value, as infra/README.md describes. A Secrets Manager rotation Lambda would need Atlas organization ' +
          'owner rights, far more than this function should hold.',
      });
      this.secret = secret;
      this.secretId = secret.secretArn;
      this.secretArn = secret.secretArn;
      this.policyResource = secret.secretArn;
    } else {
      const reference = referToSecret(this, 'Secret', existing);
      this.secret = reference.secret;
      this.secretId = existing;
      // The ARN as given, or for a name the ARN without the random suffix.
      this.secretArn = existing.startsWith('arn:') ? existing : reference.secret.secretArn;
      this.policyResource = reference.policyResource;
    }
  }

  /** Lets `grantee` read the secret's value: `GetSecretValue` on this secret, and `kms:Decrypt` via Secrets Manager. */
  grantGetSecretValue(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ReadAtlasCredentials', actions: ['secretsmanager:GetSecretValue'], resources: [this.policyResource] }),
    );
    if (this.key) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'DecryptAtlasCredentials',
          actions: ['kms:Decrypt'],
          resources: [this.key.keyArn],
          // Only for Secrets Manager decrypting on the function's behalf, not for anything else the key protects.
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
  }
}
