/**
 * The CDK app (`cdk.json` runs it through tsx): `npx cdk synth`, `npx cdk deploy`. Settings come from context; see
 * infra/README.md.
 */
import { App } from 'aws-cdk-lib';
import { ConnectionsFileError, RuleFileError } from '../lambda/contract';
import { ContextError } from './context';
import { defineApp } from './stack';

const app = new App();
try {
  defineApp(app);
} catch (err) {
  // A bad setting, rule or connection is the operator's to fix: say what is wrong, without a stack trace into our code.
  if (!(err instanceof ContextError || err instanceof RuleFileError || err instanceof ConnectionsFileError)) throw err;
  console.error(`atlas-onboarder: ${err.message}`);
  process.exit(1);
}
app.synth();
