import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/** A Secrets Manager secret name (what `Secret.fromSecretNameV2` and `secretName` take). */
export const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** An existing secret as the stack refers to it: the construct, and the one ARN pattern a policy may name. */
export interface SecretReference {
  readonly secret: secretsmanager.ISecret;
  /**
   * The resource of a `GetSecretValue` statement: a complete ARN as given; a partial ARN or a name plus `-??????`,
   * the six characters Secrets Manager appends, never a wildcard that would also match `${name}-something-else`.
   */
  readonly policyResource: string;
}

/**
 * Refers to an existing secret by name (`atlas/onboarder`) or ARN (complete, or partial without the suffix).
 *
 * @example
 * const { secret, policyResource } = referToSecret(this, 'Secret', 'platform/atlas-onboarder');
 * // policyResource: arn:${Partition}:secretsmanager:${Region}:${Account}:secret:platform/atlas-onboarder-??????
 */
export function referToSecret(scope: Construct, id: string, nameOrArn: string): SecretReference {
  if (nameOrArn.startsWith('arn:')) {
    // A complete ARN ends with the 6-character suffix Secrets Manager adds; a partial one needs it matched.
    const complete = /:secret:.+-[A-Za-z0-9]{6}$/.test(nameOrArn);
    return complete
      ? { secret: secretsmanager.Secret.fromSecretCompleteArn(scope, id, nameOrArn), policyResource: nameOrArn }
      : { secret: secretsmanager.Secret.fromSecretPartialArn(scope, id, nameOrArn), policyResource: `${nameOrArn}-??????` };
  }
  const secret = secretsmanager.Secret.fromSecretNameV2(scope, id, nameOrArn);
  return { secret, policyResource: `${secret.secretArn}-??????` };
}
