// Reads a manifest (JSON) on standard input, prints stremio-addon-linter's verdict as JSON.
const { lintManifest } = require("stremio-addon-linter");
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const result = lintManifest(JSON.parse(input));
  process.stdout.write(JSON.stringify({
    valid: result.valid,
    errors: result.errors.map((e) => String(e.message || e)),
    warnings: result.warnings.map((w) => String(w.message || w)),
  }));
});
