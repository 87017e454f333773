import { AssetHashType, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { PROJECT_ROOT, bundleFunction } from './bundling';

/**
 * What every function of the stack is built from: its own log group and role, and its code bundled as it ships.
 */

/**
 * A function's log group and its own role: no managed policy, logging granted on that log group only. The construct
 * ids are the caller's (they name resources that are already deployed).
 *
 * @example
 * const { logGroup, role } = ownLogsAndRole(this, { logs: 'Logs', role: 'Role' }, { retention, description: 'atlas-onboarder scim function: ...' });
 */
export function ownLogsAndRole(
  scope: Construct,
  ids: { logs: string; role: string },
  props: { retention: logs.RetentionDays; description: string },
): { logGroup: logs.LogGroup; role: iam.Role } {
  const logGroup = new logs.LogGroup(scope, ids.logs, { retention: props.retention });
  const role = new iam.Role(scope, ids.role, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: props.description });
  role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  return { logGroup, role };
}

/**
 * `lambda/functions/<name>/` bundled here by esbuild (infra/bundling.ts: its entry and the shared chunks it reaches),
 * not by NodejsFunction, which cannot split the code into chunks. The asset's hash is that of the bundle, as
 * NodejsFunction's is: a change of source that leaves the bundle the same deploys nothing.
 */
export function bundledCode(name: string, bundling: ILocalBundling = new FunctionBundling(name)): lambda.Code {
  return lambda.Code.fromAsset(PROJECT_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    // Never pulled: local bundling always succeeds or throws, so CDK never falls back to Docker.
    bundling: { image: DockerImage.fromRegistry('dummy'), local: bundling },
  });
}

/** A function's bundle and nothing else in its asset. */
class FunctionBundling implements ILocalBundling {
  constructor(readonly name: string) {}

  tryBundle(outputDir: string): boolean {
    bundleFunction(outputDir, this.name);
    return true;
  }
}
