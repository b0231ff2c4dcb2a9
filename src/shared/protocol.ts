// The behaviour-diff webview's messages, host ↔ webview. (Placeholder: the webview work defines them.)
export type HostToWebview = { type: 'placeholder' };
export type WebviewToHost = { type: 'ready' };
