// Each function's policy location in the workspace (through source mapping), for SARIF results on the template line that grants, and for the editor's edit.
import type { DeclaredFunction } from './declared';
import type { SourceFiles } from './files';
import { dirname, MAX_FILE_BYTES, relativePath } from './files';
import { matchDeclaration, type MappedFunction } from './mapping';
import { lineOfGrant, locatePolicy, type DescriptorText, type PolicyLocation } from './policy-location';
import type { Project } from './project';

export interface FunctionPolicySource {
  declared: DeclaredFunction;
  /** Undefined where no edit can be right (CDK, managed policies only, a policy built elsewhere). */
  location?: PolicyLocation;
}

/** The texts a declaration's policy may be in: its descriptor, and for Terraform the configuration's other .tf files. */
export async function descriptorTexts(files: SourceFiles, project: Project, declared: DeclaredFunction): Promise<DescriptorText[]> {
  const paths =
    declared.kind === 'terraform'
      ? [
          declared.descriptor,
          ...project.descriptors.filter(
            (p) => p !== declared.descriptor && p.endsWith('.tf') && dirname(p) === dirname(declared.descriptor),
          ),
        ]
      : [declared.descriptor];
  const out: DescriptorText[] = [];
  for (const path of paths) {
    const text = await files.read(path, MAX_FILE_BYTES);
    if (text !== undefined) out.push({ path, text });
  }
  return out;
}

/** The declaration of a deployed function and where its policy is written, when source mapping finds them. */
export async function functionPolicySource(
  files: SourceFiles,
  project: Project,
  fn: MappedFunction,
): Promise<FunctionPolicySource | undefined> {
  const match = matchDeclaration(fn, project.functions);
  if (!match) return undefined;
  const location = locatePolicy(match.declared, await descriptorTexts(files, project, match.declared));
  return { declared: match.declared, ...(location ? { location } : {}) };
}

/**
 * A locator of grants for the SARIF output: the grant's statement line where the policy is written, else the
 * policy's, else the function's declaration in its descriptor. Paths are relative to `root` (SARIF's %SRCROOT%).
 */
export async function grantLocator(
  files: SourceFiles,
  project: Project,
  functions: readonly MappedFunction[],
  root: string,
): Promise<(functionName: string, grant: { policyName: string; index: number }) => { uri: string; line?: number } | undefined> {
  const sources = new Map<string, FunctionPolicySource>();
  for (const fn of functions) {
    const found = await functionPolicySource(files, project, fn);
    if (found) sources.set(fn.name, found);
  }
  return (functionName, grant) => {
    const found = sources.get(functionName);
    if (!found) return undefined;
    if (found.location) return { uri: relativePath(root, found.location.path), line: lineOfGrant(found.location, grant) };
    return { uri: relativePath(root, found.declared.descriptor), ...(found.declared.line ? { line: found.declared.line } : {}) };
  };
}
