// A node:test reporter for scripts/run-tests.js: one line per test file, `<seconds>\t<file>`,
// the file's whole time (loading and top-level set-up included), for the slowest-files table.
export default async function* fileTimes(source) {
  for await (const event of source) {
    if (event.type === "test:complete" && event.data.file && event.data.name === event.data.file)
      yield `${(event.data.details.duration_ms / 1000).toFixed(1)}\t${event.data.file}\n`;
  }
}
