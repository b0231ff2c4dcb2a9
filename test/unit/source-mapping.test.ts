// Source mapping on fixture projects: SAM, serverless.yml, cdk.out and Terraform declarations, matching a deployed function to one, and its handler file and line.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { FunctionReport } from '../../src/core/model';
import { parseYamlTemplate } from '../../src/source/cfn-yaml';
import type { DeclaredFunction } from '../../src/source/declared';
import { nameFromTemplate } from '../../src/source/declared';
import { globToRegExp } from '../../src/source/files';
import { handlerRefs } from '../../src/source/handler';
import { relatedSources } from '../../src/source/imports';
import { mapFunction, matchDeclaration } from '../../src/source/mapping';
import { NodeSourceFiles } from '../../src/source/node-files';
import { loadProject } from '../../src/source/project';
import { normalizedFunctionName } from '../../src/source/serverless';

const FIXTURES = path.resolve(__dirname, '../fixtures/source');
const at = (...p: string[]) => path.join(FIXTURES, ...p);

function fn(name: string, handler: string, runtime: string, tags: Record<string, string> = {}): FunctionReport {
  return {
    name,
    handler,
    runtime,
    tags,
    arn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    inVpc: false,
    enis: [],
    peers: [],
    apiCalls: [],
    findings: [],
    coverage: { network: '', cloudtrail: '', metrics: '' },
  };
}

function recordingLog() {
  const warnings: string[] = [];
  return { warnings, log: { info: () => undefined, warn: (m: string) => warnings.push(m) } };
}

describe('CloudFormation YAML', () => {
  it('reads the short-form intrinsic tags as their long form, nested, without evaluating anything', () => {
    const doc = parseYamlTemplate(
      'A: !Ref X\nB: !GetAtt Table.Arn\nC: !If [c, !Sub "${AWS::StackName}-x", !Join ["-", [a, !Ref S]]]\nD: !Base64 {k: v}\n',
    );
    assert.deepEqual(doc, {
      A: { Ref: 'X' },
      B: { 'Fn::GetAtt': ['Table', 'Arn'] },
      C: { 'Fn::If': ['c', { 'Fn::Sub': '${AWS::StackName}-x' }, { 'Fn::Join': ['-', ['a', { Ref: 'S' }]] }] },
      D: { 'Fn::Base64': { k: 'v' } },
    });
  });

  it('says where a syntax error is', () => {
    assert.throws(() => parseYamlTemplate('a: b: c\n'), /^TemplateParseError: line 1, column 4: /);
  });
});

describe('SAM templates', async () => {
  const files = new NodeSourceFiles([at('sam')]);
  const { warnings, log } = recordingLog();
  const project = await loadProject(files, { log, displayRoot: at('sam') });

  it("declares the template's functions with Globals, names from !Sub and samconfig's stack name", () => {
    const create = project.functions.find((d) => d.id === 'CreateOrderFunction') as DeclaredFunction;
    assert.equal(create.kind, 'sam');
    assert.equal(create.runtime, 'nodejs20.x', 'from Globals');
    assert.equal(create.codeDir, at('sam', 'orders'), 'CodeUri from Globals');
    assert.equal(create.functionName, undefined);
    assert.ok(create.namePattern?.test('orders-prod-create'));
    assert.ok(!create.namePattern?.test('orders-prod-delete'));
    assert.deepEqual(create.stackNames, ['orders-dev']);
    assert.equal(create.line, 14);
    const report = project.functions.find((d) => d.id === 'ReportFunction') as DeclaredFunction;
    assert.equal(report.functionName, 'nightly-report');
    assert.equal(report.codeDir, at('sam', 'reports'));
  });

  it('names the template that does not parse, and goes on with the others', () => {
    assert.deepEqual(project.problems, [
      'broken/template.yaml: line 6, column 1: Flow map in block collection must be sufficiently indented and end with a }',
    ]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^\[source\] broken\/template\.yaml: line \d+, column \d+: .+; its functions are not mapped to source$/);
    assert.equal(project.functions.length, 2);
  });

  it('maps by the logical-id tag to the TypeScript source rather than the emitted JavaScript beside it', async () => {
    const source = await mapFunction(
      files,
      project,
      fn('orders-dev-create', 'src/create.handler', 'nodejs20.x', {
        'aws:cloudformation:logical-id': 'CreateOrderFunction',
        'aws:cloudformation:stack-name': 'orders-dev',
      }),
    );
    assert.ok(source);
    assert.equal(source.file, at('sam', 'orders', 'src', 'create.ts'));
    assert.equal(source.language, 'typescript');
    assert.equal(source.match?.via, 'logical-id');
    assert.deepEqual(source.definition, { line: 2, column: 14, endColumn: 21 });
  });

  it('maps by the deployed name when there is no tag, and by a name pattern', async () => {
    const byName = await mapFunction(files, project, fn('nightly-report', 'pkg.jobs.daily.run', 'python3.12'));
    assert.equal(byName?.file, at('sam', 'reports', 'pkg', 'jobs', 'daily.py'));
    assert.equal(byName?.match?.via, 'function-name');
    assert.equal(byName?.symbol, 'run');
    assert.equal(byName?.definition?.line, 5);
    const byPattern = await mapFunction(files, project, fn('orders-staging-create', 'src/create.handler', 'nodejs20.x'));
    assert.equal(byPattern?.match?.via, 'name-pattern');
  });

  it("follows a handler's relative imports inside its code folder", async () => {
    const source = await mapFunction(files, project, fn('nightly-report', 'pkg.jobs.daily.run', 'python3.12'));
    assert.ok(source);
    const related = await relatedSources(files, source.file, source.codeDir);
    assert.deepEqual(
      related.map((r) => path.relative(FIXTURES, r.path)),
      ['sam/reports/pkg/jobs/daily.py', 'sam/reports/pkg/jobs/sql.py'],
    );
  });

  it('maps nothing it cannot tell apart, and nothing for a runtime it cannot read', async () => {
    assert.equal(await mapFunction(files, project, fn('someone-else', 'index.handler', 'nodejs20.x')), undefined);
    assert.equal(await mapFunction(files, project, fn('nightly-report', 'com.example.Handler::handleRequest', 'java21')), undefined);
  });
});

describe('serverless.yml', async () => {
  const files = new NodeSourceFiles([at('serverless')]);
  const project = await loadProject(files);

  it("declares <service>-<stage>-<key> names, the framework's logical ids and stack name, and explicit names", () => {
    const create = project.functions.find((d) => d.id === 'functions.create-order') as DeclaredFunction;
    assert.equal(create.functionName, 'orders-svc-dev-create-order');
    assert.ok(create.namePattern?.test('orders-svc-prod-create-order'), 'any stage');
    assert.deepEqual(create.logicalIds, ['CreateDashorderLambdaFunction']);
    assert.deepEqual(create.stackNames, ['orders-svc-dev']);
    const report = project.functions.find((d) => d.id === 'functions.report') as DeclaredFunction;
    assert.equal(report.functionName, 'orders-svc-reporting');
    assert.equal(report.runtime, 'python3.12');
    assert.equal(report.codeDir, at('serverless', 'jobs'));
    assert.equal(normalizedFunctionName('api-v2_x'), 'ApiDashv2Underscorex');
  });

  it('maps a function deployed to another stage, and one by its generated logical id', async () => {
    const prod = await mapFunction(files, project, fn('orders-svc-prod-create-order', 'src/handlers/create.handler', 'nodejs20.x'));
    assert.equal(prod?.file, at('serverless', 'src', 'handlers', 'create.ts'));
    assert.equal(prod?.match?.via, 'name-pattern');
    assert.equal(prod?.definition?.line, 2);
    const tagged = await mapFunction(
      files,
      project,
      fn('x', 'src/handlers/create.handler', 'nodejs20.x', { 'aws:cloudformation:logical-id': 'CreateDashorderLambdaFunction' }),
    );
    assert.equal(tagged?.match?.via, 'logical-id');
    const python = await mapFunction(files, project, fn('orders-svc-reporting', 'run.main', 'python3.12'));
    assert.equal(python?.file, at('serverless', 'jobs', 'run.py'));
  });
});

describe('cdk.out', async () => {
  const files = new NodeSourceFiles([at('cdk')]);
  const project = await loadProject(files);
  const tags = (id: string) => ({ 'aws:cloudformation:logical-id': id, 'aws:cloudformation:stack-name': 'orders-cdk-prod' });

  it("declares the synthesised functions with their CDK path, asset folder and the manifest's stack name", () => {
    const api = project.functions.find((d) => d.logicalIds[0] === 'ApiHandler5E7490E8') as DeclaredFunction;
    assert.equal(api.kind, 'cdk');
    assert.equal(api.id, 'OrdersStack/Api/Resource');
    assert.equal(api.codeDir, at('cdk', 'cdk.out', 'asset.1a2b'));
    assert.deepEqual(api.stackNames, ['orders-cdk-prod']);
  });

  it('traces an asset that is a copy back to the workspace folder it was copied from', async () => {
    const source = await mapFunction(
      files,
      project,
      fn('OrdersStack-ApiHandler-XYZ', 'index.handler', 'nodejs20.x', tags('ApiHandler5E7490E8')),
    );
    assert.equal(source?.file, at('cdk', 'lambda', 'api', 'index.js'));
    assert.match(source?.note ?? '', /asset copied from api\/index\.js/);
  });

  it('traces a bundled asset to its TypeScript entry through the source map, skipping node_modules', async () => {
    const source = await mapFunction(
      files,
      project,
      fn('OrdersStack-Worker-XYZ', 'index.handler', 'nodejs20.x', tags('WorkerHandlerA1B2C3D4')),
    );
    assert.equal(source?.file, at('cdk', 'src', 'worker.ts'));
    assert.equal(source?.language, 'typescript');
  });

  it('does not map a tagged function of another stack', async () => {
    const other = { 'aws:cloudformation:logical-id': 'ApiHandler5E7490E8', 'aws:cloudformation:stack-name': 'someone-else' };
    assert.equal(await mapFunction(files, project, fn('x', 'other.handler', 'nodejs20.x', other)), undefined);
  });
});

describe('Terraform', async () => {
  const files = new NodeSourceFiles([at('terraform')]);
  const { warnings, log } = recordingLog();
  const project = await loadProject(files, { log, displayRoot: at('terraform') });

  it('declares aws_lambda_function with its archive_file source folder, and the lambda module with its source_path', () => {
    const api = project.functions.find((d) => d.id === 'aws_lambda_function.api') as DeclaredFunction;
    assert.equal(api.functionName, 'billing-api', 'var and local resolved');
    assert.equal(api.codeDir, at('terraform', 'functions', 'api'));
    const jobs = project.functions.find((d) => d.id === 'module.jobs') as DeclaredFunction;
    assert.equal(jobs.functionName, undefined);
    assert.ok(jobs.namePattern?.test('billing-jobs-prod'));
    assert.equal(jobs.codeDir, at('terraform', 'functions', 'jobs'));
  });

  it('names the .tf file that does not parse, with line and column', () => {
    assert.equal(project.problems.length, 1);
    assert.match(project.problems[0], /^broken\/bad\.tf: line \d+, column \d+: Unclosed configuration block/);
    assert.equal(warnings.length, 1);
  });

  it('maps by name and by name pattern to the handler files', async () => {
    const api = await mapFunction(files, project, fn('billing-api', 'main.handler', 'nodejs20.x'));
    assert.equal(api?.file, at('terraform', 'functions', 'api', 'main.mjs'));
    const jobs = await mapFunction(files, project, fn('billing-jobs-default', 'jobs.handler', 'python3.12'));
    assert.equal(jobs?.file, at('terraform', 'functions', 'jobs', 'jobs.py'));
    assert.equal(jobs?.definition?.line, 2);
  });

  it('never loads the HCL parser for a workspace without .tf files', async () => {
    let loaded = 0;
    await loadProject(new NodeSourceFiles([at('sam')]), { parseHcl: async () => (loaded++, {}) });
    assert.equal(loaded, 0);
  });
});

describe('matching', () => {
  const d = (over: Partial<DeclaredFunction>): DeclaredFunction => ({
    kind: 'sam',
    descriptor: '/p/template.yaml',
    id: 'X',
    logicalIds: [],
    stackNames: [],
    entryPoints: [],
    ...over,
  });

  it('prefers the logical-id tag, narrowed by the stack name, then by source over cdk.out', () => {
    const a = d({ id: 'a', logicalIds: ['Fn'], stackNames: ['dev'] });
    const b = d({ id: 'b', logicalIds: ['Fn'], stackNames: ['prod'] });
    const c = d({ id: 'c', kind: 'cdk', logicalIds: ['Fn'], stackNames: [] });
    const named = d({ id: 'named', functionName: 'orders' });
    const tagged = (stack: string) => ({
      name: 'orders',
      tags: { 'aws:cloudformation:logical-id': 'Fn', 'aws:cloudformation:stack-name': stack },
    });
    assert.equal(matchDeclaration(tagged('prod'), [a, b, c, named])?.declared.id, 'b');
    assert.equal(matchDeclaration(tagged('dev'), [a, b, c, named])?.declared.id, 'a');
    assert.equal(matchDeclaration(tagged('other'), [a, b, c])?.declared.id, 'c', 'a declaration of no known stack still can be');
    assert.equal(matchDeclaration({ name: 'orders', tags: {} }, [a, b, named])?.via, 'function-name');
  });

  it('uses a handler only when it is unique', () => {
    const one = d({ id: 'one', handler: 'a.handler' });
    const two = d({ id: 'two', handler: 'b.handler' });
    const three = d({ id: 'three', handler: 'b.handler' });
    assert.equal(matchDeclaration({ name: 'x', handler: 'a.handler' }, [one, two, three])?.via, 'handler');
    assert.equal(matchDeclaration({ name: 'x', handler: 'b.handler' }, [one, two, three]), undefined);
  });

  it('turns name templates into exact names or patterns that need literal text', () => {
    assert.deepEqual(nameFromTemplate('orders'), { functionName: 'orders' });
    assert.ok(nameFromTemplate('orders-${Stage}-api').namePattern?.test('orders-prod-api'));
    assert.deepEqual(nameFromTemplate('${var.name}'), {}, 'a bare placeholder would match anything');
  });
});

describe('handler strings', () => {
  it('splits Node handlers as the runtime does, TypeScript first, and Python modules by dots', () => {
    const [node] = handlerRefs('src/api.handlers.main', 'nodejs20.x');
    assert.equal(node.symbol, 'handlers');
    assert.deepEqual(node.files.slice(0, 2), ['src/api.ts', 'src/api.mts']);
    assert.ok(node.files.includes('src/api.cjs'));
    const [py] = handlerRefs('pkg.module.lambda_handler', 'python3.12');
    assert.deepEqual(py, { family: 'python', files: ['pkg/module.py', 'pkg/module/__init__.py'], symbol: 'lambda_handler' });
    assert.deepEqual(handlerRefs('../../etc/passwd.x', 'nodejs20.x'), [], 'no way out of the code folder');
    assert.deepEqual(handlerRefs('bootstrap', 'provided.al2023'), []);
    assert.equal(handlerRefs('app.handler', undefined).length, 2, 'runtime unknown: both');
  });

  it('matches globs as findFiles does', () => {
    const re = globToRegExp('**/{template,*.template}.{yaml,yml,json}');
    assert.ok(re.test('template.yaml'));
    assert.ok(re.test('infra/stacks/api.template.yml'));
    assert.ok(!re.test('infra/templates.yaml'));
    assert.ok(globToRegExp('**/cdk.out/**/*.template.json').test('cdk.out/Stack.template.json'));
  });
});
