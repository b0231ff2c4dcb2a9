// The behaviour-diff webview's browser code. (Placeholder: the webview work fills it in.)
export {};
