// Preloaded into every child the suite runs (node --require): records the process's peak RSS.
const { writeFileSync } = require('node:fs');
const target = process.env.VMCORE_RSS_FILE;
if (target) {
  process.on('exit', () => {
    try {
      writeFileSync(target, String(process.resourceUsage().maxRSS * 1024));
    } catch {
      // the suite reports a missing figure
    }
  });
}
