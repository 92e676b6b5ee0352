// A node:test reporter that prints nothing until the run ends, then lists every
// failed test (not TODO or skipped ones, and not the suites or files that only
// fail because a subtest did) with its location and the first lines of its error,
// so the tail of a CI log names what failed. Used by scripts/run-tests.mjs next
// to the usual TAP or spec reporter.
export default async function* failedTests(source) {
  const failed = [];
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, line, column, todo, skip, details } = event.data;
    const error = details?.error;
    if (todo !== undefined || skip !== undefined || error?.failureType === 'subtestsFailed') continue;
    const message = String(error?.cause?.message ?? error?.message ?? error ?? '').split('\n').slice(0, 6);
    failed.push({ name, where: file ? `${file}:${line}:${column}` : '', message });
  }
  if (failed.length === 0) return;
  yield `\n=== failed tests (${failed.length})\n`;
  for (const f of failed) {
    yield `  ✗ ${f.name}\n`;
    if (f.where) yield `      at ${f.where}\n`;
    for (const l of f.message) yield `      ${l}\n`;
  }
}
