// The hostile profile: the demo account with attacker-settable strings (ENI descriptions, tags, a handler, CloudTrail user agents, request parameters, error messages) carrying markup, links, escapes, bidi and control characters, and 100 KB strings.
import type { ApiInjection, Plan } from './anomalies';
import type { Account, Eni, FunctionSpec } from './model';

/**
 * The payloads, by what they try. Each is a string a display could mistake for something other than text;
 * `marker` is a plain, unique word in each so that tests can find where it landed.
 */
export const HOSTILE = {
  /** Markup that runs script if inserted as HTML, and closes a <style> block to escape it. */
  html: 'HTMLX <img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=1;alert(1)</script></style><svg onload="window.__pwned=1"><iframe src="javascript:window.__pwned=1"></iframe>',
  /** Markdown links and images, command: and vscode: URIs, and a codicon: live in an untrusted MarkdownString or a CodeLens title. */
  markdown:
    'MDX [quit](command:workbench.action.quit) ![x](https://example.invalid/x.png) <a href="command:workbench.action.quit">quit</a> vscode://vscode.git/clone?url=https://example.invalid [open](vscode:extension/x.y) [web](https://example.invalid/phish) $(zap) $(alert)',
  /** OSC 8 hyperlink, OSC 0 title, clear screen, colours, cursor moves; the C1 forms; a bell. */
  terminal:
    'TERMX \x1b]8;;https://example.invalid/\x07click\x1b]8;;\x07 \x1b]0;pwned\x07 \x1b[2J\x1b[H\x1b[31mred\x1b[0m \x1b[1A\x1b[2K \x9b31m\x9d0;c1title\x9c \x07 \x1bP1$q\x1b\\ end',
  /** Bidi overrides and isolates (Trojan Source), implicit marks, zero-width characters. */
  bidi: 'BIDIX admin\u202Egnp.exe\u202C \u2066isolated\u2069 \u2067rtl\u2069 \u2068first\u2069 \u200E\u200F\u061C zero\u200Bwidth\u200C\u200D\uFEFF\u2060 end',
  /** NUL, other C0 and C1 controls, CR (overwrites a line), line and paragraph separators, lone surrogate halves. */
  controls: 'CTRLX nul\x00 bs\x08 cr\r over vt\x0b ff\x0c esc-less\x1f del\x7f c1\x85\x8d\x9f ls\u2028ps\u2029 hi\uD800 lo\uDFFF tab\t end',
} as const;

export type HostilePayload = keyof typeof HOSTILE;

/** Every payload in one string. */
export const HOSTILE_ALL = Object.values(HOSTILE).join(' ');

/** Over 100 KB: every payload, repeated; starts with its own marker so that a cut-off copy is still recognisable. */
export const HOSTILE_BIG = `BIGX ${`${HOSTILE_ALL} `.repeat(Math.ceil(102_400 / (HOSTILE_ALL.length + 1)))}BIGEND`;

/**
 * The description of the ENI that the rejected-traffic finding names: bidi controls first (one-line UI text is capped,
 * and they should reach it), then every payload.
 */
export const HOSTILE_PEER_DESCRIPTION = `RDSNetworkInterface ${HOSTILE.bidi} ${HOSTILE_ALL}`;

/** Where each payload was put, for the labels file and the tests. */
export interface HostileField {
  /** Which file, which record, which field. */
  where: string;
  /** What AWS itself allows there: a string an attacker with that permission can really set, or only a tampered recording. */
  aws: 'settable' | 'recording-only';
  payloads: (HostilePayload | 'all' | 'big')[];
}

function fnByName(account: Account, name: string): FunctionSpec {
  const fn = account.functions.find((f) => f.name === name);
  if (!fn) throw new Error(`hostile: the demo cast has no ${name}`);
  return fn;
}

function peerEni(account: Account, key: string): Eni {
  const eni = account.peers.get(key)?.endpoints[0]?.eni;
  if (!eni) throw new Error(`hostile: no peer ENI ${key}`);
  return eni;
}

/**
 * Puts the payloads into the built account and the anomaly plan, in place. The anomalies stay the demo's (so the
 * scan still has findings, and the findings carry the strings); only strings change, never ids, addresses or times.
 */
export function makeHostile(account: Account, plan: Plan): HostileField[] {
  const fields: HostileField[] = [];

  // ENI descriptions become peer names (`RDS (<description>)`, `ElastiCache (...)`, `Load balancer (...)`), which
  // end up in tree rows, tooltips, finding titles and the webview. EC2 lets whoever may call
  // ModifyNetworkInterfaceAttribute set any description up to 255 characters (longer ones only exist in a tampered
  // recording); the prefixes keep the kind recognisable.
  const described = (key: string, description: string, where: string, payloads: HostileField['payloads']) => {
    peerEni(account, key).description = description;
    fields.push({
      where: `ec2/describe-network-interfaces.json: Description of ${where}`,
      aws: description.length <= 255 ? 'settable' : 'recording-only',
      payloads,
    });
  };
  described(
    'mysql',
    HOSTILE_PEER_DESCRIPTION,
    'the legacy-db ENI (RDS; the rejected-traffic finding of ThumbnailMaker and ImageResizer names it)',
    ['all'],
  );
  described('pg', `RDSNetworkInterface ${HOSTILE.html}`, 'the orders-db ENI (RDS, peer of RDSQueryLogger and NightlyReport)', ['html']);
  described('redis', `ElastiCache ${HOSTILE.markdown}`, 'the orders-cache ENI (ElastiCache, peer of ThumbnailMaker)', ['markdown']);
  described(
    'alb',
    `ELB app/${HOSTILE.bidi} ${HOSTILE.terminal} ${HOSTILE.controls}`,
    'the internal-api ALB ENI (peer of ImageResizer and NightlyReport)',
    ['bidi', 'terminal', 'controls'],
  );

  // Tags: the aws:cloudformation:* ones are AWS's own and stay as they are (source mapping reads them). Lambda
  // restricts user tags to letters, digits, spaces and _.:/=+-@ (keys 128, values 256 characters): these only
  // exist in a tampered or hand-made recording, which a user may still open.
  for (const fn of account.functions) {
    fn.tags[HOSTILE.html] = HOSTILE.markdown;
    fn.tags[`owner ${HOSTILE.bidi}`] = HOSTILE.terminal;
    fn.tags.note = HOSTILE.controls;
  }
  fnByName(account, 'OrderApi').tags.blob = HOSTILE_BIG;
  fields.push({
    where: 'lambda/tags.json: tag keys and values of every function (OrderApi\'s "blob" is 100 KB)',
    aws: 'recording-only',
    payloads: ['html', 'markdown', 'bidi', 'terminal', 'controls', 'big'],
  });

  // A function description is any text up to 256 characters; the handler any string without whitespace (128).
  for (const fn of account.functions) fn.description = HOSTILE_ALL;
  const handler = 'app.lambda_handler<img/src=x/onerror=window.__pwned=1>[quit](command:workbench.action.quit)$(zap)';
  fnByName(account, 'NightlyReport').handler = handler;
  fields.push(
    {
      where: 'lambda/list-functions.json: Description of every function',
      aws: HOSTILE_ALL.length <= 256 ? 'settable' : 'recording-only',
      payloads: ['all'],
    },
    {
      where: 'lambda/list-functions.json: Handler of NightlyReport (no whitespace, as AWS requires)',
      aws: handler.length <= 128 ? 'settable' : 'recording-only',
      payloads: ['html', 'markdown'],
    },
  );

  // CloudTrail: whoever runs code in a function chooses its calls' user agent and request parameters, and error
  // messages echo what was asked for. The injected (attacker's) calls carry the payloads; the first denial's
  // message is the 100 KB one, so that both it and a short one land in the finding's evidence.
  for (const inj of plan.api) {
    inj.userAgent = `aws-cli/2.15.0 ${HOSTILE_ALL}`;
    inj.requestParameters = { attacker: HOSTILE_ALL, [HOSTILE.html]: HOSTILE.markdown, padding: HOSTILE_BIG };
  }
  // Alternating in time order: the first two a scan keeps, from either end, are one of each.
  const denials = plan.api.filter((inj): inj is ApiInjection & { error: { code: string; message: string } } => inj.error !== undefined);
  denials.sort((a, b) => a.time - b.time);
  denials.forEach((inj, i) => {
    inj.error.message = `${inj.error.message} ${i % 2 === 0 ? HOSTILE_ALL : HOSTILE_BIG}`;
  });
  fields.push(
    {
      where: 'cloudtrail/lookup-events.json: userAgent of the injected calls (OrderApi ListBuckets and CreateUser)',
      aws: 'settable',
      payloads: ['all'],
    },
    {
      where: 'cloudtrail/lookup-events.json: requestParameters of the injected calls (keys and values, a 100 KB padding)',
      aws: 'settable',
      payloads: ['all', 'html', 'markdown', 'big'],
    },
    {
      where: "cloudtrail/lookup-events.json: errorMessage of OrderApi's denied CreateUser calls (alternately all payloads and 100 KB)",
      aws: 'settable',
      payloads: ['all', 'big'],
    },
  );
  return fields;
}
