// CloudFormation and SAM templates as plain objects: YAML with the short-form intrinsic tags (`!Ref`, `!Sub`, ...) read as their long form; nothing is evaluated.
import type { CollectionTag, Document, ScalarTag } from 'yaml';
import { parseDocument, YAMLMap, YAMLSeq } from 'yaml';
import { errorMessage } from '../core/errors';

/** Every short-form tag of CloudFormation and its long form (`!Sub x` is `{ "Fn::Sub": x }`). */
const INTRINSICS: Record<string, string> = {
  Ref: 'Ref',
  Condition: 'Condition',
  Sub: 'Fn::Sub',
  GetAtt: 'Fn::GetAtt',
  If: 'Fn::If',
  Join: 'Fn::Join',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  FindInMap: 'Fn::FindInMap',
  Base64: 'Fn::Base64',
  Cidr: 'Fn::Cidr',
  GetAZs: 'Fn::GetAZs',
  ImportValue: 'Fn::ImportValue',
  Equals: 'Fn::Equals',
  And: 'Fn::And',
  Or: 'Fn::Or',
  Not: 'Fn::Not',
  Transform: 'Fn::Transform',
  ToJsonString: 'Fn::ToJsonString',
  Length: 'Fn::Length',
  ForEach: 'Fn::ForEach',
};

function intrinsicTags(): Array<ScalarTag | CollectionTag> {
  const tags: Array<ScalarTag | CollectionTag> = [];
  for (const [short, long] of Object.entries(INTRINSICS)) {
    const tag = `!${short}`;
    tags.push({ tag, resolve: (value: string) => ({ [long]: short === 'GetAtt' ? value.split('.') : value }) });
    tags.push({ tag, collection: 'seq', nodeClass: YAMLSeq, resolve: (seq) => ({ [long]: (seq as YAMLSeq).toJSON() }) });
    tags.push({ tag, collection: 'map', nodeClass: YAMLMap, resolve: (map) => ({ [long]: (map as YAMLMap).toJSON() }) });
  }
  return tags;
}

const CUSTOM_TAGS = intrinsicTags();

export class TemplateParseError extends Error {
  override readonly name = 'TemplateParseError';
}

/**
 * Parses a YAML (or JSON, which is YAML) template. Throws a TemplateParseError whose message says where and
 * what, e.g. `line 12, column 5: Nested mappings are not allowed in compact mappings`.
 */
export function parseYamlTemplate(text: string): unknown {
  // `uniqueKeys: false`: CloudFormation itself keeps the last duplicate; a mapping must not fail over it.
  const doc = parseDocument(text, { customTags: CUSTOM_TAGS, uniqueKeys: false, prettyErrors: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const at = err.linePos?.[0];
    // With prettyErrors the message ends in ` at line L, column C:` and a code excerpt: keep the first line, say where first.
    const message = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new TemplateParseError(`${at ? `line ${at.line}, column ${at.col}: ` : ''}${message}`);
  }
  // A bounded alias count: a hostile template cannot blow up memory with nested aliases (a "billion laughs").
  return doc.toJS({ maxAliasCount: 100 });
}

/** A JSON template; the error names the position when JSON.parse does. */
export function parseJsonTemplate(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new TemplateParseError(`not valid JSON (${errorMessage(err)})`);
  }
}

/**
 * The template as a YAML Document with the short-form tags known, for code that needs node ranges (an edit of one
 * value that leaves the rest of the text, its tags and comments as they are). Undefined when it has errors.
 */
export function parseYamlTemplateDocument(text: string): Document | undefined {
  const doc = parseDocument(text, { customTags: CUSTOM_TAGS, uniqueKeys: false });
  return doc.errors.length ? undefined : doc;
}

/** Whether the text is a YAML document without errors, the CloudFormation short tags included (checks an edit's result). */
export function isValidYamlTemplate(text: string): boolean {
  return parseYamlTemplateDocument(text) !== undefined;
}
