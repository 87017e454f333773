import { Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** A calling system that gets its own API key and usage plan. */
export interface ApiClient {
  /** Identifies the caller in key and plan names: letters, digits, `-` and `_`. */
  readonly name: string;
  /** Steady requests per second for this caller. @default - the stage's rate limit */
  readonly rateLimit?: number;
  /** Burst for this caller. @default - the stage's burst limit */
  readonly burstLimit?: number;
  /** Requests per day for this caller. @default - no quota */
  readonly quotaPerDay?: number;
}

/** Props of {@link OnboardingApi}. */
export interface OnboardingApiProps {
  /** The function behind both routes (Lambda proxy integration). */
  readonly handler: lambda.IFunction;
  /** Stage-wide steady requests per second. */
  readonly rateLimit: number;
  /** Stage-wide burst. */
  readonly burstLimit: number;
  /** Callers that each get an API key and usage plan; when any is given, every method requires a key. */
  readonly clients: readonly ApiClient[];
  /** Retention of the access log. */
  readonly logRetention: logs.RetentionDays;
  /** Whether to set the account's API Gateway CloudWatch role (needed once per account and region for logging). */
  readonly configureAccountLogging: boolean;
  /** The webhook ingress's routes, `GET` and `POST /hooks/{name}`, on this API. @default - none */
  readonly hooks?: HookRoutes;
  /** The scim function's routes, {@link SCIM_METHODS} on `/scim/v2/{proxy+}`, on this API. @default - none */
  readonly scim?: ScimRoutes;
}

/** The scim function's routes: no IAM (the function verifies the bearer token), throttled apart from the others. */
export interface ScimRoutes {
  readonly handler: lambda.IFunction;
  /** Steady requests per second, per method, for `/scim/v2/{proxy+}`. */
  readonly rateLimit: number;
  /** Burst, per method, for `/scim/v2/{proxy+}`. */
  readonly burstLimit: number;
}

/** The webhook ingress's routes: no IAM (the function verifies each sender), throttled apart from the IAM routes. */
export interface HookRoutes {
  readonly handler: lambda.IFunction;
  /** Steady requests per second, per method, for `/hooks/{name}`. */
  readonly rateLimit: number;
  /** Burst, per method, for `/hooks/{name}`. */
  readonly burstLimit: number;
}

/** The routes of contract section 4. */
export const API_ROUTES = ['events', 'invites'] as const;

/** Name of the stage; part of the URL. */
export const API_STAGE = 'v1';

/** The webhook ingress's resource (contract section 9): a connection's name in the path. */
export const HOOK_RESOURCE = '/hooks/{name}';
/** The methods a hook takes: Okta's verification `GET` and every delivery's `POST`. */
export const HOOK_METHODS = ['GET', 'POST'] as const;

/** The scim function's resource (contract section 9): everything under the SCIM base `/scim/v2`. */
export const SCIM_RESOURCE = '/scim/v2/{proxy+}';
/**
 * The methods of SCIM 2.0 (RFC 7644 section 3), each its own method rather than `ANY`: a stage method setting, and so
 * the throttling, names a concrete method, and the Lambda permission is scoped to these five. Any other method there
 * is API Gateway's 403, before any invocation.
 */
export const SCIM_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * The REST API in front of the functions: `POST /events` and `POST /invites`, and every other path and method for the
 * onboarder to answer 404 or 405 (contract section 4), each callable only with an IAM (SigV4) signature, plus an API
 * key when callers are configured; and, with hooks, `GET` and `POST /hooks/{name}` for the webhook ingress, without
 * IAM, on the same base URL (contract section 9).
 */
export class OnboardingApi extends Construct {
  readonly restApi: apigw.RestApi;
  readonly accessLogs: logs.LogGroup;
  /** API keys by client name. */
  readonly apiKeys: ReadonlyMap<string, apigw.IApiKey>;

  constructor(scope: Construct, id: string, props: OnboardingApiProps) {
    super(scope, id);
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention });

    this.restApi = new apigw.RestApi(this, 'Api', {
      restApiName: `${Stack.of(this).stackName}-api`,
      description: 'atlas-onboarder: onboarding events and direct invites to MongoDB Atlas',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: props.configureAccountLogging,
      deployOptions: {
        stageName: API_STAGE,
        throttlingRateLimit: props.rateLimit,
        throttlingBurstLimit: props.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
        // Errors only, and never data traces: a data trace logs request bodies, which carry people's e-mail addresses.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        // The hooks have a bucket of their own: a flood of unauthenticated requests there leaves the IAM callers'
        // stage-wide limit untouched, and the IAM callers' traffic cannot throttle Okta.
        // So have the SCIM routes: an identity provider's initial cycle cannot starve the others, nor they it.
        methodOptions: {
          ...(props.hooks &&
            Object.fromEntries(
              HOOK_METHODS.map((method) => [`${HOOK_RESOURCE}/${method}`, { throttlingRateLimit: props.hooks!.rateLimit, throttlingBurstLimit: props.hooks!.burstLimit }]),
            )),
          ...(props.scim &&
            Object.fromEntries(
              SCIM_METHODS.map((method) => [`${SCIM_RESOURCE}/${method}`, { throttlingRateLimit: props.scim!.rateLimit, throttlingBurstLimit: props.scim!.burstLimit }]),
            )),
        },
      },
    });
    // The hosting stack decides its outputs; a reusable construct should not add one of its own.
    this.restApi.node.tryRemoveChild('Endpoint');

    // Every path and method reaches the function, IAM-signed: it answers with the contract's own words, 400
    // invalid_json or invalid_event for a body, 404 for an unknown route and 405 for a wrong method, where API Gateway
    // would answer 400 with a body of its own, or 403 "Missing Authentication Token". The validator checks only the
    // declared query parameter; the body is the function's to judge.
    const validator = this.restApi.addRequestValidator('Validator', { validateRequestBody: false, validateRequestParameters: true });
    // No test-invoke permission: the console's test button is not a caller we serve.
    const integration = new apigw.LambdaIntegration(props.handler, { allowTestInvoke: false });
    const methodOptions: apigw.MethodOptions = {
      authorizationType: apigw.AuthorizationType.IAM,
      apiKeyRequired: props.clients.length > 0,
      requestValidator: validator,
    };
    for (const route of API_ROUTES) {
      const resource = this.restApi.root.addResource(route);
      resource.addMethod('POST', integration, {
        ...methodOptions,
        requestParameters: route === 'events' ? { 'method.request.querystring.dryRun': false } : {},
      });
      resource.addMethod('ANY', integration, methodOptions); // any other method: the function's 405
    }
    this.restApi.root.addMethod('ANY', integration, methodOptions); // the function's 404 for every other path
    this.restApi.root.addResource('{proxy+}').addMethod('ANY', integration, methodOptions);
    if (props.hooks) this.addHookRoutes(props.hooks, validator);
    if (props.scim) this.addScimRoutes(props.scim, validator);

    const apiKeys = new Map<string, apigw.IApiKey>();
    for (const client of props.clients) {
      const key = this.restApi.addApiKey(`ApiKey-${client.name}`, {
        apiKeyName: `${Stack.of(this).stackName}-${client.name}`,
        description: `atlas-onboarder caller ${client.name}`,
      });
      const plan = this.restApi.addUsagePlan(`UsagePlan-${client.name}`, {
        name: `${Stack.of(this).stackName}-${client.name}`,
        description: `atlas-onboarder caller ${client.name}`,
        throttle: { rateLimit: client.rateLimit ?? props.rateLimit, burstLimit: client.burstLimit ?? props.burstLimit },
        ...(client.quotaPerDay === undefined ? {} : { quota: { limit: client.quotaPerDay, period: apigw.Period.DAY } }),
        apiStages: [{ api: this.restApi, stage: this.restApi.deploymentStage }],
      });
      plan.addApiKey(key);
      apiKeys.set(client.name, key);
    }
    this.apiKeys = apiKeys;

    Validations.of(this.restApi).acknowledge(
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'Every method requires a SigV4 signature from an IAM principal that holds execute-api:Invoke; unsigned or ' +
          'wrongly signed requests are rejected by API Gateway before any integration runs. Callers are a handful of ' +
          'internal systems, rate-limited by stage throttling and per-caller usage plans. A web ACL adds cost and no ' +
          'protection that IAM authorization does not already give for this machine-to-machine API; a host account ' +
          'with a central WAF policy can still associate one with the stage.',
      },
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'The validator checks the declared query parameter, not the body: the function validates every body against ' +
          'the contract and answers 400 invalid_json or invalid_event naming each field (contract section 4). A ' +
          'gateway body model would turn valid JSON that is not an object into invalid_json and answer with issues ' +
          'of its own, so callers would get words the contract does not give.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Callers are HR and identity systems running with AWS credentials, not end users: methods use IAM ' +
          'authorization (SigV4), which authenticates them without a Cognito user pool.',
      },
    );
    const cloudWatchRole = this.restApi.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'This is the account-wide role API Gateway itself assumes (trust: apigateway.amazonaws.com only) to write ' +
          'execution and access logs for every API in the account and region. AWS documents this managed policy for ' +
          'exactly that role and keeps it in step with what API Gateway needs; the log groups it writes are named by ' +
          'API Gateway, so an inline policy could not be narrower.',
      });
    }
  }

  /**
   * `GET` and `POST /hooks/{name}` to the webhook ingress. Any other method there is API Gateway's 403 before any
   * invocation: Okta sends only these two, a Standard Webhooks sender only POST (the function answers its GET 405).
   */
  private addHookRoutes(hooks: HookRoutes, validator: apigw.IRequestValidator): void {
    const resource = this.restApi.root.addResource('hooks').addResource('{name}');
    // Okta and webhook senders cannot send our API keys: the function's verification is the gate.
    addSelfVerifiedMethods(resource, HOOK_METHODS, hooks.handler, validator, 'name', {
      apig4:
        'Okta event hooks and Standard Webhooks senders cannot sign with SigV4 or obtain a Cognito token: they send a ' +
        'shared header value or an HMAC signature. The webhook ingress verifies every request in constant time ' +
        'against the connection\'s secret (two values during a rotation), refuses a Standard Webhooks timestamp more ' +
        'than 5 minutes off, answers 401 with no detail, and counts each refusal (RejectedSignatures, alarmed). ' +
        'Only GET and POST on /hooks/{name} are open, throttled apart from the IAM routes.',
      cog4:
        'The callers are Okta and HR systems delivering webhooks, not users of a Cognito user pool: they authenticate ' +
        'with a shared secret header or a Standard Webhooks HMAC signature, which the webhook ingress verifies ' +
        '(contract section 11). A Cognito authorizer could not be satisfied by either sender.',
    });
  }

  /**
   * {@link SCIM_METHODS} on `/scim/v2/{proxy+}` to the scim function. `/scim/v2` itself takes nothing: it is only the
   * base that Entra and Okta put resource paths after (`/Users`, `/Groups`, …), and neither calls it alone.
   */
  private addScimRoutes(scim: ScimRoutes, validator: apigw.IRequestValidator): void {
    const resource = this.restApi.root.addResource('scim').addResource('v2').addResource('{proxy+}');
    // Entra and Okta send a bearer token and nothing else: the function's verification is the gate.
    addSelfVerifiedMethods(resource, SCIM_METHODS, scim.handler, validator, 'proxy', {
      apig4:
        'Microsoft Entra ID and Okta provision over SCIM with a static bearer token (Authorization: Bearer <token>); ' +
        'they cannot sign with SigV4 or obtain a Cognito token. The scim function compares the token in constant ' +
        'time with the one or two values of the token secret, answers 401 with no detail, never logs the offered ' +
        'token, and counts each answer by status (ScimRequests). Only the five SCIM methods on /scim/v2/{proxy+} ' +
        'are open, throttled apart from the IAM routes.',
      cog4:
        'The callers are the Entra ID and Okta provisioning services, not users of a Cognito user pool: they ' +
        'authenticate with the SCIM bearer token the scim function verifies (contract section 14). A Cognito ' +
        'authorizer could not be satisfied by either.',
    });
  }
}

/**
 * `methods` on `resource` to `handler` without IAM or an API key, for callers that cannot sign with SigV4 (Okta,
 * webhook senders, SCIM clients) and a function that verifies them itself; cdk-nag's authorization findings are
 * acknowledged on these methods only, with why.
 */
function addSelfVerifiedMethods(
  resource: apigw.IResource,
  methods: readonly string[],
  handler: lambda.IFunction,
  validator: apigw.IRequestValidator,
  pathParameter: string,
  reasons: { apig4: string; cog4: string },
): void {
  const integration = new apigw.LambdaIntegration(handler, { allowTestInvoke: false });
  for (const method of methods) {
    const added = resource.addMethod(method, integration, {
      authorizationType: apigw.AuthorizationType.NONE,
      apiKeyRequired: false,
      requestValidator: validator,
      requestParameters: { [`method.request.path.${pathParameter}`]: true },
    });
    Validations.of(added).acknowledge({ id: 'AwsSolutions-APIG4', reason: reasons.apig4 }, { id: 'AwsSolutions-COG4', reason: reasons.cog4 });
  }
}
