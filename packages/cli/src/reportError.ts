/** How every command reports a failure: one line `frameloom: <message> [CODE]` on stderr, the same as JSON on stdout with --json. */
import { errorMessage, isFrameloomError } from "@frameloom/shared-helpers";

export function reportError(error: unknown, opts: { json?: boolean; exitCode?: number } = {}): void {
  const code = isFrameloomError(error) ? error.code : "FLM_ERR_UNKNOWN";
  if (opts.json) process.stdout.write(JSON.stringify({ error: { code, message: errorMessage(error) } }) + "\n");
  process.stderr.write(`frameloom: ${errorMessage(error)} [${code}]\n`);
  process.exitCode = opts.exitCode ?? 1;
}
