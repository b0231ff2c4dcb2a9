// Turning an unknown thrown value into text: one helper, so that every layer words a failure the same way.

/** The message of an Error, or the value itself as text (a rejected promise may carry anything). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The stack of an Error when it has one (for a crash the user reports), else the same text as `errorMessage`'s fallback. */
export function errorStack(err: unknown): string {
  return (err instanceof Error ? err.stack : undefined) ?? String(err);
}
