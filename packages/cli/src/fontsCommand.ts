/**
 * `frameloom fonts [project] [--json]`: what each font family the project names resolves to
 * (project @font-face, bundled, alias, generic, unresolved; docs/capture.md, "Fonts"); exit 1 when a family is unresolved.
 */
import type { Command } from "commander";
import { compileProject } from "@frameloom/stage-capture";
import { errorMessage, isFrameloomError } from "@frameloom/shared-helpers";

interface FontRow {
  family: string;
  source: string;
  resolvedTo: string;
  where: string[];
}

export function registerFontsCommand(program: Command): void {
  program
    .command("fonts")
    .description("list the font families a project names and what each resolves to")
    .argument("[project]", "project directory (with index.html) or an .html file", ".")
    .option("--json", "print JSON", false)
    .action(async (project: string, opts: { json: boolean }) => {
      try {
        let fonts: FontRow[] = [];
        const compiled = await compileProject(project, { onFonts: (f) => (fonts = f) });
        const warnings = compiled.warnings.filter((w) => w.startsWith("font family"));
        if (opts.json) {
          process.stdout.write(JSON.stringify({ fonts, warnings }, null, 2) + "\n");
          return;
        }
        for (const f of fonts) {
          const to = f.source === "unresolved" ? "UNRESOLVED" : f.resolvedTo;
          process.stdout.write(`${f.family.padEnd(24)} ${f.source.padEnd(10)} ${to.padEnd(20)} ${f.where.join(", ")}\n`);
        }
        if (fonts.some((f) => f.source === "unresolved")) process.exitCode = 1;
      } catch (error) {
        const code = isFrameloomError(error) ? error.code : "FLM_ERR_UNKNOWN";
        process.stderr.write(`frameloom: ${errorMessage(error)} [${code}]\n`);
        process.exitCode = 1;
      }
    });
}
