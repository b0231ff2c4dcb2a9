// Finds the source lines that make a CloudTrail call: SDK v3 commands, SDK v3 aggregated and v2 client methods, boto3 client methods.
import type { SourceLanguage } from './code-text';
import { LineIndex, maskCode } from './code-text';

export interface ApiCall {
  /** CloudTrail's `eventSource`, e.g. `s3.amazonaws.com`. */
  eventSource: string;
  /** CloudTrail's `eventName`, e.g. `ListBuckets` (a dated suffix such as `ListFunctions20150331` is allowed). */
  eventName: string;
}

export type ApiCallMatchKind =
  | 'sdk-v3-command' // new ListBucketsCommand(
  | 'sdk-v3-import' // ListBucketsCommand named in the import of @aws-sdk/client-s3
  | 'sdk-v3-aggregated' // new S3().listBuckets(
  | 'sdk-v2' // new AWS.S3().listBuckets(
  | 'sdk-method' // x.listBuckets( on a client this code cannot see being made
  | 'boto3'; // boto3.client('s3').list_buckets(

export interface ApiCallMatch {
  /** 1-based. */
  line: number;
  /** 1-based column of the operation's name (`ListBucketsCommand`, `listBuckets`, `list_buckets`). */
  column: number;
  /** 1-based column just after the name. */
  endColumn: number;
  kind: ApiCallMatchKind;
  /**
   * How sure this is: 3 the call, on a client of the event's service; 2 the call, on a client of unknown service;
   * 1 weaker evidence (the command's import, or an unknown client in a file that does not use the service's SDK);
   * 0 the call on a client of another service (kept so a caller can say so, never shown as the call).
   */
  score: 0 | 1 | 2 | 3;
  /** The matched name as written. */
  text: string;
}

/** Above this a text is not source code worth scanning (callers already cap reads at 2 MiB). */
const MAX_TEXT = 4 * 1024 * 1024;

/**
 * Every place in `text` that makes (or, more weakly, prepares) the call, best first. Never throws: input that
 * cannot be read as code gives no matches.
 */
export function locateApiCalls(text: string, language: SourceLanguage, call: ApiCall): ApiCallMatch[] {
  const operation = operationName(call.eventName);
  if (!operation || text.length > MAX_TEXT) return [];
  try {
    const matches =
      language === 'python' ? locatePython(text, call.eventSource, operation) : locateJs(text, language, call.eventSource, operation);
    return matches.sort((a, b) => b.score - a.score || a.line - b.line || a.column - b.column);
  } catch {
    return [];
  }
}

/** The matches worth showing as "this line makes the call": those of the best score, when it is above 0. */
export function bestApiCalls(matches: readonly ApiCallMatch[]): ApiCallMatch[] {
  const top = matches.reduce((m, x) => Math.max(m, x.score), 0);
  return top === 0 ? [] : matches.filter((m) => m.score === top);
}

/** `ListFunctions20150331` → `ListFunctions`: some services version their CloudTrail event names. */
export function operationName(eventName: string): string | undefined {
  const name = eventName.trim().replace(/\d{8}(?:v\d+)?$/, '');
  return /^[A-Za-z][A-Za-z0-9]*$/.test(name) ? name : undefined;
}

/** The operation's Python method name, as botocore derives it (`ListBuckets` → `list_buckets`, `ListMLModels` → `list_ml_models`). */
export function snakeCase(name: string): string {
  let s = name;
  const special = /[A-Z]{2,}s$/.exec(s);
  if (special) s = `${s.slice(0, -special[0].length)}_${special[0].toLowerCase()}`;
  s = s.replace(/(.)([A-Z][a-z]+)/g, '$1_$2');
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/__+/g, '_');
}

// ---------------------------------------------------------------- services

/** Names a service goes by in the SDKs (normalised: lower case, letters and digits), where they differ from the endpoint prefix. */
const SERVICE_NAMES: Record<string, string[]> = {
  monitoring: ['cloudwatch'],
  logs: ['cloudwatchlogs', 'logs'],
  events: ['eventbridge', 'cloudwatchevents', 'events'],
  states: ['sfn', 'stepfunctions', 'states'],
  'cognito-idp': ['cognitoidentityprovider', 'cognitoidentityserviceprovider', 'cognitoidp'],
  email: ['ses', 'sesv2', 'email'],
  elasticloadbalancing: ['elasticloadbalancing', 'elasticloadbalancingv2', 'elb', 'elbv2'],
  'rds-data': ['rdsdata', 'rdsdataservice'],
  'execute-api': ['apigatewaymanagementapi'],
  apigateway: ['apigateway', 'apigatewayv2'],
  bedrock: ['bedrock', 'bedrockruntime', 'bedrockagentruntime'],
  es: ['es', 'elasticsearchservice', 'opensearch'],
  kms: ['kms'],
};

const normalise = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The SDK names of the service of an event source (`secretsmanager.amazonaws.com` → `secretsmanager`). */
export function serviceNames(eventSource: string): string[] {
  const prefix = eventSource
    .trim()
    .toLowerCase()
    .replace(/\.amazonaws\.com$/, '');
  return SERVICE_NAMES[prefix] ?? [normalise(prefix)];
}

/** `@aws-sdk/client-secrets-manager` → `secretsmanager`; `aws-sdk/clients/s3` → `s3`; anything else undefined. */
function serviceOfPackage(pkg: string): string | undefined {
  const v3 = /^@aws-sdk\/client-([a-z0-9-]+)$/.exec(pkg);
  if (v3) return normalise(v3[1]);
  const v2 = /^aws-sdk\/clients\/([a-z0-9]+)(?:\.js)?$/.exec(pkg);
  return v2 ? normalise(v2[1]) : undefined;
}

/** A client class name as a service (`S3Client` → `s3`, `SecretsManager` → `secretsmanager`). */
function serviceOfClass(name: string): string {
  return normalise(name.replace(/Client$/, ''));
}

// ---------------------------------------------------------------- JavaScript and TypeScript

interface JsImport {
  pkg: string;
  imported: string;
  local: string;
  /** Offset of the imported name in the text. */
  offset: number;
}

interface JsModule {
  /** Named bindings from AWS SDK packages. */
  named: JsImport[];
  /** `import * as ns` / `const ns = require(...)` of an AWS SDK package, by local name. */
  namespaces: Map<string, string>;
  /** Every AWS SDK package the file mentions. */
  packages: Set<string>;
}

const IDENT = '[A-Za-z_$][\\w$]*';

/** A string literal's contents, read from the original text at the quote that `masked` has at `quoteAt`. */
function stringAt(text: string, masked: string, quoteAt: number): { value: string; end: number } | undefined {
  const q = masked[quoteAt];
  if (q !== '"' && q !== "'" && q !== '`') return undefined;
  const end = masked.indexOf(q, quoteAt + 1);
  if (end < 0) return undefined;
  return { value: text.slice(quoteAt + 1, end), end };
}

const isSdkPackage = (pkg: string) => pkg === 'aws-sdk' || pkg.startsWith('aws-sdk/') || pkg.startsWith('@aws-sdk/');

function readJsModule(text: string, masked: string): JsModule {
  const mod: JsModule = { named: [], namespaces: new Map(), packages: new Set() };
  const addBindings = (clause: string, clauseOffset: number, pkg: string, requireStyle: boolean) => {
    const brace = clause.indexOf('{');
    if (brace >= 0) {
      const close = clause.indexOf('}', brace);
      const inner = clause.slice(brace + 1, close < 0 ? undefined : close);
      const spec = new RegExp(`(?:\\btype\\s+)?(${IDENT})(?:\\s*(?:as|:)\\s*(${IDENT}))?`, 'g');
      for (let m; (m = spec.exec(inner));) {
        const imported = m[1];
        if (imported === 'type') continue;
        // `{ A as B }` in an import, `{ A: B }` in a require's destructuring.
        const sep = inner.slice(m.index + m[1].length, m.index + m[0].length);
        const local = m[2] && (requireStyle ? sep.includes(':') : /\bas\b/.test(sep)) ? m[2] : imported;
        mod.named.push({ pkg, imported, local, offset: clauseOffset + brace + 1 + m.index + m[0].indexOf(imported) });
      }
    }
    const ns = new RegExp(`\\*\\s*as\\s+(${IDENT})`).exec(clause);
    if (ns) mod.namespaces.set(ns[1], pkg);
    const plain = new RegExp(`^\\s*(${IDENT})\\s*(?:,|$)`).exec(clause);
    if (plain && plain[1] !== 'type') mod.namespaces.set(plain[1], pkg);
  };

  const importFrom = new RegExp(`\\bimport\\s+((?:type\\s+)?[^;]*?)\\s*\\bfrom\\s*(['"])`, 'g');
  for (let m; (m = importFrom.exec(masked));) {
    const str = stringAt(text, masked, m.index + m[0].length - 1);
    if (!str || !isSdkPackage(str.value)) continue;
    mod.packages.add(str.value);
    addBindings(m[1], m.index + m[0].indexOf(m[1]), str.value, false);
  }
  const requireCall = new RegExp(`(?:\\b(?:const|let|var)\\s+([^=;]*?)\\s*=\\s*)?\\b(?:require|import)\\s*\\(\\s*(['"])`, 'g');
  for (let m; (m = requireCall.exec(masked));) {
    const str = stringAt(text, masked, m.index + m[0].length - 1);
    if (!str || !isSdkPackage(str.value)) continue;
    mod.packages.add(str.value);
    if (m[1]) addBindings(m[1], m.index + m[0].indexOf(m[1]), str.value, true);
  }
  return mod;
}

interface ClientClass {
  /** Undefined when it is an SDK client whose service cannot be told. */
  service: string | undefined;
  sdk: 'v2' | 'v3' | undefined;
}

/** Local names bound to SDK clients, with the service when it can be told (`const s3 = new S3Client(...)`). */
function jsClients(masked: string, mod: JsModule): Map<string, ClientClass> {
  const clients = new Map<string, ClientClass>();
  const assign = new RegExp(`(${IDENT})\\s*(?::[^=;\\n]{1,80}?)?(?:=|:)\\s*new\\s+(?:(${IDENT})\\s*\\.\\s*)?(${IDENT})\\s*\\(`, 'g');
  for (let m; (m = assign.exec(masked));) {
    const client = clientClass(m[2], m[3], mod);
    if (client) clients.set(m[1], client);
  }
  return clients;
}

const sdkOfPackage = (pkg: string): ClientClass['sdk'] =>
  pkg === 'aws-sdk' || pkg.startsWith('aws-sdk/') ? 'v2' : pkg.startsWith('@aws-sdk/') ? 'v3' : undefined;

/**
 * The service of a client class (`AWS.S3`, `S3Client`, `S3` imported from `@aws-sdk/client-s3`), undefined when it
 * is not an SDK client at all.
 */
function clientClass(namespace: string | undefined, name: string, mod: JsModule): ClientClass | undefined {
  if (namespace) {
    const pkg = mod.namespaces.get(namespace);
    if (pkg === 'aws-sdk' || (!pkg && namespace === 'AWS')) return { service: serviceOfClass(name), sdk: 'v2' };
    if (pkg) return { service: serviceOfPackage(pkg) ?? serviceOfClass(name), sdk: sdkOfPackage(pkg) };
    return undefined;
  }
  const imported = mod.named.find((i) => i.local === name);
  if (imported) return { service: serviceOfPackage(imported.pkg) ?? serviceOfClass(imported.imported), sdk: sdkOfPackage(imported.pkg) };
  const ns = mod.namespaces.get(name);
  if (ns) return { service: serviceOfPackage(ns), sdk: sdkOfPackage(ns) };
  // A class named like a client with no import in view (a global, a re-export): believe its name.
  if (/Client$/.test(name) && name.length > 'Client'.length) return { service: serviceOfClass(name), sdk: 'v3' };
  return undefined;
}

function locateJs(text: string, language: SourceLanguage, eventSource: string, operation: string): ApiCallMatch[] {
  const masked = maskCode(text, language);
  const lines = new LineIndex(text);
  const services = new Set(serviceNames(eventSource));
  const mod = readJsModule(text, masked);
  const out: ApiCallMatch[] = [];
  const push = (offset: number, name: string, kind: ApiCallMatchKind, score: ApiCallMatch['score']) => {
    const { line, column } = lines.position(offset);
    out.push({ line, column, endColumn: column + name.length, kind, score, text: name });
  };
  const serviceScore = (service: string | undefined, unknown: ApiCallMatch['score']): ApiCallMatch['score'] =>
    service === undefined ? unknown : services.has(service) ? 3 : 0;
  const usesServiceSdk = [...mod.packages].some((p) => p === 'aws-sdk' || services.has(serviceOfPackage(p) ?? ''));

  // SDK v3 commands: `new ListBucketsCommand(`, an alias of it, or `new ns.ListBucketsCommand(`.
  const command = `${operation}Command`;
  const commandLocals = new Map<string, JsImport>();
  for (const i of mod.named) if (i.imported === command) commandLocals.set(i.local, i);
  const newExpr = new RegExp(`\\bnew\\s+(?:(${IDENT})\\s*\\.\\s*)?(${IDENT})\\s*\\(`, 'g');
  for (let m; (m = newExpr.exec(masked));) {
    const [, namespace, name] = m;
    const offset = m.index + m[0].lastIndexOf(name);
    if (namespace) {
      if (name !== command) continue;
      const pkg = mod.namespaces.get(namespace);
      push(offset, name, 'sdk-v3-command', serviceScore(pkg ? serviceOfPackage(pkg) : undefined, 2));
    } else if (commandLocals.has(name)) {
      push(offset, name, 'sdk-v3-command', serviceScore(serviceOfPackage(commandLocals.get(name)!.pkg), 2));
    } else if (name === command) {
      push(offset, name, 'sdk-v3-command', 2);
    }
  }
  for (const i of commandLocals.values()) {
    const service = serviceOfPackage(i.pkg);
    if (service === undefined || services.has(service)) push(i.offset, i.imported, 'sdk-v3-import', 1);
  }

  // Client methods: SDK v3 aggregated clients and SDK v2, `client.listBuckets(` / `new AWS.S3().listBuckets(`.
  const method = operation[0].toLowerCase() + operation.slice(1);
  const clients = jsClients(masked, mod);
  const methodCall = new RegExp(`(\\?\\.|\\.)\\s*(${method.replace(/\$/g, '\\$')})\\s*\\(`, 'g');
  for (let m; (m = methodCall.exec(masked));) {
    const offset = m.index + m[0].indexOf(m[2]);
    const receiver = receiverBefore(masked, m.index);
    let client: ClientClass | undefined;
    if (receiver.kind === 'name') {
      client = clients.get(receiver.name.replace(/^this\./, ''));
    } else if (receiver.kind === 'call') {
      const ctor = new RegExp(`\\bnew\\s+(?:(${IDENT})\\s*\\.\\s*)?(${IDENT})\\s*$`).exec(
        masked.slice(Math.max(0, receiver.openAt - 200), receiver.openAt),
      );
      if (ctor) client = clientClass(ctor[1], ctor[2], mod);
    }
    const kind: ApiCallMatchKind = client?.sdk === 'v2' ? 'sdk-v2' : client?.sdk === 'v3' ? 'sdk-v3-aggregated' : 'sdk-method';
    const score: ApiCallMatch['score'] = client ? serviceScore(client.service, 2) : usesServiceSdk ? 2 : 1;
    push(offset, m[2], kind, score);
  }
  return out;
}

type Receiver = { kind: 'name'; name: string } | { kind: 'call'; openAt: number } | { kind: 'other' };

/** What is left of the `.` at `dotAt`: a dotted name (`this.s3`), a call (`new S3()`), or anything else. */
function receiverBefore(masked: string, dotAt: number): Receiver {
  let j = dotAt - 1;
  while (j >= 0 && /\s/.test(masked[j])) j--;
  if (masked[j] === ')') {
    let depth = 0;
    for (let k = j; k >= 0 && j - k < 2000; k--) {
      if (masked[k] === ')') depth++;
      else if (masked[k] === '(' && --depth === 0) return { kind: 'call', openAt: k };
    }
    return { kind: 'other' };
  }
  const end = j + 1;
  while (j >= 0 && /[\w$.?]/.test(masked[j])) j--;
  const name = masked.slice(j + 1, end).replace(/\?\./g, '.');
  return /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/.test(name) ? { kind: 'name', name } : { kind: 'other' };
}

// ---------------------------------------------------------------- Python (boto3)

function locatePython(text: string, eventSource: string, operation: string): ApiCallMatch[] {
  const masked = maskCode(text, 'python');
  const lines = new LineIndex(text);
  const services = new Set(serviceNames(eventSource));
  const usesBoto = /\b(?:boto3|botocore|aioboto3|aiobotocore)\b/.test(masked);
  const out: ApiCallMatch[] = [];

  // `s3 = boto3.client('s3')`, `self._sm = session.client(service_name="secretsmanager")`.
  const clients = new Map<string, string>();
  const assign =
    /([A-Za-z_][\w.]*)\s*(?::[^=\n]{1,80}?)?=\s*(?:await\s+)?(?:[A-Za-z_][\w.]*\.)?client\s*\(\s*(?:service_name\s*=\s*)?(['"])/g;
  for (let m; (m = assign.exec(masked));) {
    const str = stringAt(text, masked, m.index + m[0].length - 1);
    if (str) clients.set(m[1], normalise(str.value));
  }

  const method = snakeCase(operation);
  const call = new RegExp(`\\.\\s*(${method})\\s*\\(`, 'g');
  for (let m; (m = call.exec(masked));) {
    const offset = m.index + m[0].indexOf(m[1]);
    const receiver = receiverBefore(masked, m.index);
    let service: string | undefined;
    let known = false;
    if (receiver.kind === 'name') {
      const name = receiver.name;
      const bare = name.replace(/^self\./, '');
      for (const key of [name, bare, `self.${bare}`]) {
        if (clients.has(key)) {
          known = true;
          service = clients.get(key);
          break;
        }
      }
    } else if (receiver.kind === 'call') {
      // `boto3.client('s3').list_buckets()`: the client made in place.
      const before = text.slice(Math.max(0, receiver.openAt - 200), receiver.openAt);
      if (/\bclient\s*$/.test(before)) {
        const args = /^\(\s*(?:service_name\s*=\s*)?(['"])([\w-]+)\1/.exec(text.slice(receiver.openAt, receiver.openAt + 200));
        if (args) {
          known = true;
          service = normalise(args[2]);
        }
      }
    }
    const score: ApiCallMatch['score'] = known ? (service !== undefined && services.has(service) ? 3 : 0) : usesBoto ? 2 : 1;
    const { line, column } = lines.position(offset);
    out.push({ line, column, endColumn: column + m[1].length, kind: 'boto3', score, text: m[1] });
  }
  return out;
}
