// The proposal written into the function's own descriptor: the demo's SAM template (short tags kept, valid YAML), serverless.yml's statements, Terraform's jsonencode and heredoc policies; where the grants' lines are.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { parseTemplate, templateFunctions } from '../../src/source/cloudformation';
import { isValidYamlTemplate, parseYamlTemplate } from '../../src/source/cfn-yaml';
import type { DeclaredFunction } from '../../src/source/declared';
import { applyPolicyReplacement, lineOfGrant, locatePolicy, type DescriptorText } from '../../src/source/policy-location';
import { serverlessFunctions } from '../../src/source/serverless';
import { loadHclParser } from '../../src/source/terraform';

const ROOT = path.resolve(__dirname, '..', '..');
const proposal = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'S3UsedByCode', Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' },
    { Sid: 'DynamodbUsedByCode', Effect: 'Allow', Action: ['dynamodb:DescribeTable', 'dynamodb:PutItem'], Resource: '*' },
  ],
};

function read(file: string): DescriptorText {
  return { path: file, text: fs.readFileSync(file, 'utf8') };
}

/** Every short tag (`!Ref X`, `!Sub ...`, `!GetAtt X.Arn`) in the text, in order. */
function shortTags(text: string): string[] {
  return text.match(/![A-Za-z]+ [^\s,\]}]+/g) ?? [];
}

function demoFunction(logicalId: string): { file: DescriptorText; declared: DeclaredFunction } {
  const file = read(path.join(ROOT, 'media', 'demo-source', 'template.yaml'));
  const doc = parseTemplate(file.path, file.text) as Record<string, unknown>;
  const declared = templateFunctions(doc, { path: file.path, text: file.text }).find((d) => d.logicalIds[0] === logicalId);
  assert.ok(declared, logicalId);
  return { file, declared };
}

test("the demo SAM template: OrderApi's inline role policy statements are replaced, nothing else; short tags kept, valid YAML", () => {
  const { file, declared } = demoFunction('OrderApiFunction');
  const location = locatePolicy(declared, [file]);
  assert.ok(location);
  assert.equal(location.kind, 'role-policy');
  assert.equal(location.label, "the statements of OrdersRole's policy orders");
  assert.equal(location.startLine, 50); // `Statement:` of OrdersRole's policy
  assert.match(location.notes.join(' '), /ManagedPolicyArns \(AWSLambdaBasicExecutionRole\)/);
  const edited = applyPolicyReplacement(file.text, location, proposal);
  assert.ok(isValidYamlTemplate(edited));
  assert.deepEqual(shortTags(edited), shortTags(file.text));
  // The text before the statements and after them is byte-identical.
  assert.equal(edited.slice(0, location.start), file.text.slice(0, location.start));
  assert.equal(edited.slice(edited.length - (file.text.length - location.end)), file.text.slice(location.end));
  const parsed = parseYamlTemplate(edited) as { Resources: Record<string, { Properties: Record<string, unknown> }> };
  const before = parseYamlTemplate(file.text) as typeof parsed;
  const role = parsed.Resources.OrdersRole!.Properties as {
    Policies: Array<{ PolicyName: string; PolicyDocument: { Version: string; Statement: unknown[] } }>;
  };
  assert.deepEqual(role.Policies[0]!.PolicyDocument.Statement, proposal.Statement);
  assert.equal(role.Policies[0]!.PolicyName, 'orders');
  assert.equal(role.Policies[0]!.PolicyDocument.Version, '2012-10-17');
  // Everything but the statements parses as it did, the intrinsic functions included.
  role.Policies[0]!.PolicyDocument.Statement = (
    before.Resources.OrdersRole!.Properties as typeof role
  ).Policies[0]!.PolicyDocument.Statement;
  assert.deepEqual(parsed, before);
  // The role's statement lines point at the grant.
  assert.equal(lineOfGrant(location, { policyName: 'orders', index: 0 }), 51);
  assert.equal(lineOfGrant(location, { policyName: 'orders-role-no-iam', index: 3 }), location.startLine);
});

test('SAM Policies on the function: replaced by one inline document, the rest of the template untouched', () => {
  const file: DescriptorText = {
    path: '/ws/template.yaml',
    text: [
      'Transform: AWS::Serverless-2016-10-31',
      'Resources:',
      '  Fn:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      '      Handler: index.handler',
      '      Policies:',
      '        - AmazonS3FullAccess',
      '        - DynamoDBCrudPolicy:',
      '            TableName: !Ref Table',
      '        - Statement:',
      '            - Effect: Allow',
      '              Action: sqs:*',
      '              Resource: !GetAtt Queue.Arn',
      '      Environment:',
      '        Variables:',
      '          TABLE: !Ref Table',
      '',
    ].join('\n'),
  };
  const declared = templateFunctions(parseTemplate(file.path, file.text) as Record<string, unknown>, file).find(
    (d) => d.logicalIds[0] === 'Fn',
  )!;
  const location = locatePolicy(declared, [file]);
  assert.equal(location?.kind, 'sam-policies');
  assert.equal(lineOfGrant(location!, { policyName: 'AmazonS3FullAccess', index: 0 }), 8);
  assert.equal(lineOfGrant(location!, { policyName: 'FnRolePolicy2', index: 0 }), 12);
  const edited = applyPolicyReplacement(file.text, location!, proposal);
  assert.ok(isValidYamlTemplate(edited));
  const fn = (parseYamlTemplate(edited) as { Resources: { Fn: { Properties: Record<string, unknown> } } }).Resources.Fn.Properties;
  assert.deepEqual(fn.Policies, [proposal]);
  // A YAML 1.1 reader (CloudFormation's) reads the policy version as a string, not a date.
  assert.equal(
    (
      parseDocument(edited, { version: '1.1', logLevel: 'silent' }).toJS() as {
        Resources: { Fn: { Properties: { Policies: Array<{ Version: unknown }> } } };
      }
    ).Resources.Fn.Properties.Policies[0]!.Version,
    '2012-10-17',
  );
  assert.deepEqual(fn.Environment, { Variables: { TABLE: { Ref: 'Table' } } });
  assert.match(edited, /TABLE: !Ref Table\n$/);
});

test('a JSON template: the statements written as JSON', () => {
  const template = {
    Resources: {
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Policies: [
            { PolicyName: 'p', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } },
          ],
        },
      },
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler', Role: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
    },
  };
  const file: DescriptorText = { path: '/ws/stack.template.json', text: JSON.stringify(template, null, 2) };
  const declared = templateFunctions(template, file).find((d) => d.logicalIds[0] === 'Fn')!;
  const location = locatePolicy(declared, [file])!;
  const edited = JSON.parse(applyPolicyReplacement(file.text, location, proposal)) as typeof template;
  assert.deepEqual(edited.Resources.Role.Properties.Policies[0]!.PolicyDocument.Statement, proposal.Statement);
});

test('serverless.yml: provider.iam.role.statements replaced, its !Sub and !Ref elsewhere kept', () => {
  const file = read(path.join(ROOT, 'test', 'fixtures', 'source-permissions', 'serverless', 'serverless.yml'));
  const [declared] = serverlessFunctions(file.path, file.text);
  const location = locatePolicy(declared!, [file])!;
  assert.equal(location.kind, 'serverless-statements');
  assert.equal(location.label, 'provider.iam.role.statements');
  assert.deepEqual(
    location.statementLines.map((s) => s.line),
    [10, 13],
  );
  const edited = applyPolicyReplacement(file.text, location, proposal);
  assert.ok(isValidYamlTemplate(edited));
  const doc = parseYamlTemplate(edited) as { provider: { iam: { role: { statements: unknown } }; environment: unknown } };
  assert.deepEqual(doc.provider.iam.role.statements, proposal.Statement);
  assert.deepEqual(doc.provider.environment, { TABLE: { Ref: 'OrdersTable' } });
  assert.ok(!edited.includes('s3:*') && edited.includes('TABLE: !Ref OrdersTable'));
});

test("Terraform: the role's aws_iam_role_policy written with jsonencode, or as a JSON heredoc; still valid HCL", async () => {
  const file = read(path.join(ROOT, 'test', 'fixtures', 'source-permissions', 'terraform', 'main.tf'));
  const parse = await loadHclParser();
  const declared = (name: string): DeclaredFunction => ({
    kind: 'terraform',
    descriptor: file.path,
    id: `aws_lambda_function.${name}`,
    logicalIds: [],
    stackNames: [],
    entryPoints: [],
  });
  type Policies = { resource: { aws_iam_role_policy: Record<string, Array<{ policy: string }>> } };

  const api = locatePolicy(declared('api'), [file])!;
  assert.equal(api.format, 'hcl-jsonencode');
  assert.equal(api.label, 'the policy of aws_iam_role_policy.api');
  assert.equal(lineOfGrant(api, { policyName: 'billing-api-inline', index: 0 }), 18);
  const apiEdited = applyPolicyReplacement(file.text, api, proposal);
  const apiJson = (await parse('main.tf', apiEdited)) as Policies;
  // hcl2json keeps a jsonencode call as its expression text: the object inside is the proposal.
  const expr = apiJson.resource.aws_iam_role_policy.api![0]!.policy;
  assert.deepEqual(JSON.parse(expr.replace(/^\$\{jsonencode\(/, '').replace(/\)\}$/, '')), proposal);
  assert.ok(apiEdited.includes('<<-EOT'), 'the other policy untouched');

  const jobs = locatePolicy(declared('jobs'), [file])!;
  assert.equal(jobs.format, 'heredoc-json');
  const jobsEdited = applyPolicyReplacement(file.text, jobs, proposal);
  const jobsJson = (await parse('main.tf', jobsEdited)) as Policies;
  assert.deepEqual(JSON.parse(jobsJson.resource.aws_iam_role_policy.jobs![0]!.policy), proposal);
  assert.equal(
    jobsJson.resource.aws_iam_role_policy.api![0]!.policy,
    ((await parse('main.tf', file.text)) as Policies).resource.aws_iam_role_policy.api![0]!.policy,
  );
});

test('no location where no edit can be right: CDK output, a role the template does not define', () => {
  const cdk: DeclaredFunction = {
    kind: 'cdk',
    descriptor: '/ws/cdk.out/S.template.json',
    id: 'S/Fn/Resource',
    logicalIds: ['Fn'],
    stackNames: [],
    entryPoints: [],
  };
  assert.equal(locatePolicy(cdk, [{ path: cdk.descriptor, text: '{}' }]), undefined);
  const { file, declared } = demoFunction('PaymentsWebhookFunction');
  assert.equal(locatePolicy(declared, [file]), undefined);
});
