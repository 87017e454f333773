import { CfnOutput, Stack, Validations, type App, type StackProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { AtlasOnboarder, type AtlasOnboarderProps } from './atlas-onboarder';
import { readAppSettings } from './context';

/** Props of {@link AtlasOnboarderStack}. */
export interface AtlasOnboarderStackProps extends StackProps {
  readonly onboarder: AtlasOnboarderProps;
}

/** The deployable unit: one {@link AtlasOnboarder} and the outputs an operator needs to use it. */
export class AtlasOnboarderStack extends Stack {
  readonly onboarder: AtlasOnboarder;

  constructor(scope: Construct, id: string, props: AtlasOnboarderStackProps) {
    super(scope, id, props);
    const onboarder = new AtlasOnboarder(this, 'AtlasOnboarder', props.onboarder);
    this.onboarder = onboarder;

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the REST API (POST events, POST invites)', value: onboarder.api.restApi.url });
    new CfnOutput(this, 'QueueUrl', { description: 'SQS queue for onboarding events', value: onboarder.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { description: 'Events that can never succeed', value: onboarder.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AtlasSecretArn', {
      description: 'Secret holding {"clientId","clientSecret"} of the Atlas service account',
      value: onboarder.credentials.secretArn,
    });
    new CfnOutput(this, 'FunctionName', { description: 'The atlas-onboarder function', value: onboarder.function.functionName });
    new CfnOutput(this, 'AlarmTopicArn', { description: 'SNS topic the alarms publish to', value: onboarder.alarms.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { description: 'CloudWatch dashboard of the service', value: onboarder.dashboard.dashboard.dashboardName });
    if (onboarder.webhookIngress) {
      new CfnOutput(this, 'WebhookIngressFunctionName', { description: 'The webhook ingress function', value: onboarder.webhookIngress.function.functionName });
      for (const connection of onboarder.connections!.connections) {
        new CfnOutput(this, `HookUrl-${connection.name}`, {
          description: `Where connection ${connection.name} (${connection.kind}) delivers: GET and POST, no IAM; secret ${connection.secretId}`,
          value: `${onboarder.api.restApi.url}hooks/${connection.name}`,
        });
      }
    }
    if (onboarder.scim) {
      const scim = onboarder.scim;
      new CfnOutput(this, 'ScimBaseUrl', {
        description: 'SCIM 2.0 base URL for Entra ID (Tenant URL) and Okta (SCIM connector base URL); bearer token in ScimTokenSecretName',
        value: `${onboarder.api.restApi.url}scim/v2`,
      });
      new CfnOutput(this, 'ScimTableName', { description: 'DynamoDB table of the SCIM directory', value: scim.table.tableName });
      new CfnOutput(this, 'ScimTokenSecretName', {
        description: 'Secret holding {"values":["<token>"]}, the bearer token(s) Entra ID and Okta present',
        value: scim.tokenSecretName,
      });
      new CfnOutput(this, 'ScimFunctionName', { description: 'The scim function', value: scim.function.functionName });
      new CfnOutput(this, 'ScimRelayFailureQueueUrl', {
        description: 'Positions of directory changes the relay gave up on after 12 hours (alarm ScimRelayFailures)',
        value: scim.relayFailures.queueUrl,
      });
    }
    for (const [name, key] of onboarder.api.apiKeys) {
      new CfnOutput(this, `ApiKeyId-${name}`, { description: `API key id of caller ${name} (aws apigateway get-api-key --include-value)`, value: key.keyId });
    }
  }
}

/**
 * Builds the app from its context: the stack, and cdk-nag's AwsSolutions checks, which fail synth on any finding
 * that is not acknowledged with a reason.
 *
 * @example
 * const app = new App({ context: { ruleFile: 'examples/rules.json' } });
 * const stack = defineApp(app);
 * app.synth();
 */
export function defineApp(app: App): AtlasOnboarderStack {
  const settings = readAppSettings(app.node);
  const stack = new AtlasOnboarderStack(app, settings.stackName, {
    stackName: settings.stackName,
    description: 'atlas-onboarder: onboarding events to MongoDB Atlas project invitations',
    onboarder: settings.onboarder,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
