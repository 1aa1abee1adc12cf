// The failing part of an `nx run-many --outputStyle=static` log, to print again at its end.
// CommonJS, so that both scripts/test.mjs and the Jest test of it can load it as it is.

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const MAX_LINES_PER_TASK = 200;

/** For each task Nx lists as failed: its Jest failure reports (`●` blocks), else its last lines (lint, typecheck). */
function failureRecap(log) {
  const lines = log.replace(ANSI, '').split('\n');
  const sections = new Map();
  let current;
  for (const line of lines) {
    const start = /^> nx run (\S+)/.exec(line);
    if (start) sections.set(start[1], (current = []));
    else if (/^\s*NX\s/.test(line)) current = undefined; // Nx's own summary, not a task's output
    else current?.push(line);
  }
  const failedAt = lines.findIndex((l) => /^\s*Failed tasks:/.test(l));
  const failed = [];
  for (const line of failedAt < 0 ? [] : lines.slice(failedAt + 1)) {
    const task = /^\s*- (\S+)/.exec(line);
    if (task) failed.push(task[1]);
    else if (failed.length > 0 && line.trim() !== '') break;
  }
  if (failed.length === 0) return '';
  const parts = failed.map((task) => {
    const section = sections.get(task) ?? [];
    const firstReport = section.findIndex((l) => /^\s*● (?!Console)/.test(l));
    const shown = firstReport >= 0 ? section.slice(firstReport, firstReport + MAX_LINES_PER_TASK) : section.slice(-80);
    return `\n──── ${task} failed ────\n${shown.join('\n')}`;
  });
  return `\n[test] failures again, from the log above:${parts.join('\n')}`;
}

module.exports = { failureRecap };
