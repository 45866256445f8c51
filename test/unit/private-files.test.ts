/**
 * Everything Affiant writes under its home is private whatever the umask: folders 0700 (the
 * home too, when it was there before), files 0600: blobs (the case's PDFs, the vault), the
 * history database (gate tokens) with its WAL, the outputs, the log.
 */

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { LocalBlobStore } from "../../core/blob-store.ts";
import { setEnv } from "../../core/config.ts";
import { logRecord } from "../../core/log-sink.ts";
import { homePaths } from "../../core/paths.ts";
import { openSqlite } from "../../core/sqlite.ts";
import { writeOutputs } from "../../workflows/engine/outputs.ts";

const mode = (p: string) => statSync(p).mode & 0o777;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? [path.join(dir, e.name), ...walk(path.join(dir, e.name))] : [path.join(dir, e.name)],
  );
}

test("AFFIANT_HOME is 0700 and every file Affiant writes in it 0600, under a permissive umask", async () => {
  const home = path.join(mkdtempSync(path.join(tmpdir(), "affiant-modes-")), "home");
  mkdirSync(home, { mode: 0o755 });
  const oldUmask = process.umask(0o022);
  const restore = setEnv({ AFFIANT_HOME: home, AFFIANT_LOG_FILE: path.join(home, "logs", "affiant.jsonl") });
  try {
    const store = new LocalBlobStore();
    await store.put("cases/c1/documents/maria-vela-police-report.pdf", "%PDF-1.4 client file");
    await store.put("runs/r1/report.json", "{}");
    await store.put("runs/r1/declaration.md", "# Declaration");
    const db = openSqlite(homePaths.database());
    db.exec("create table t (x text); insert into t values ('token')");
    await writeOutputs(store, path.join(homePaths.outputs(), "r1"), {
      declarationKey: "runs/r1/declaration.md",
      reportKey: "runs/r1/report.json",
      approval: { reviewer: "A" },
    });
    logRecord({ event: "test" });
    const files = walk(home);
    assert.ok(
      files.some((f) => f.endsWith("affiant.db-wal")),
      "the WAL exists while the database is open",
    );
    db.close();
    assert.equal(mode(home), 0o700, "the home, though it was created 0755");
    for (const f of files) {
      if (!statSync(f, { throwIfNoEntry: false })) continue;
      assert.equal(mode(f), statSync(f).isDirectory() ? 0o700 : 0o600, `${path.relative(home, f)} is ${mode(f).toString(8)}`);
    }
    for (const name of [
      "affiant.db",
      "outputs/r1/declaration.md",
      "outputs/r1/report.json",
      "outputs/r1/approval.json",
      "logs/affiant.jsonl",
      "blobs/cases/c1/documents/maria-vela-police-report.pdf",
    ])
      assert.ok(files.includes(path.join(home, name)), name);
  } finally {
    restore();
    process.umask(oldUmask);
  }
});
