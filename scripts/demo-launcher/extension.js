// npm start's helper extension: when the window loads, shows the Lambda Behavior panel and, unless an account is already open, opens the demo account and scans it.
'use strict';
const vscode = require('vscode');

const LAMBDA_BEHAVIOR = 'lambda-behavior.lambda-behavior';

function activate() {
  // Not awaited: a scan takes a few seconds, and activation should not wait for it.
  openDemo().catch((err) => {
    void vscode.window.showErrorMessage(`npm start could not open the demo account: ${err instanceof Error ? err.message : String(err)}`);
  });
}

async function openDemo() {
  const extension = vscode.extensions.getExtension(LAMBDA_BEHAVIOR);
  if (!extension) throw new Error(`${LAMBDA_BEHAVIOR} is not installed in this profile`);
  await vscode.commands.executeCommand('workbench.view.extension.lambdaBehavior');
  const api = await extension.activate();
  // The last scan an earlier start saved comes back by itself (LambdaBehaviorApi.restored): an account the user
  // opened then, demo or not, stays open instead of being replaced by a new demo scan.
  await api?.restored;
  if (api?.session?.connection) return;
  await vscode.commands.executeCommand('lambdaBehavior.openDemo');
  await vscode.commands.executeCommand('lambdaBehavior.scanAll');
}

module.exports = { activate };
