#!/usr/bin/env node
// Checks the HTTP replies that the e2e tests captured (tests/e2e/lib.sh, IOTREG_API_CAPTURE_DIR)
// against api/openapi.yaml (issue 5 acceptance f):
//   - the path and method are an operation of the file (a 404 `not-found` for a path no route
//     serves and a 405 `method-not-allowed` for another method are checked against the file's
//     x-router-responses instead);
//   - the status is documented for the operation, and so is the Content-Type;
//   - a JSON body validates against the response's schema (JSON Schema 2020-12, Ajv), a text
//     body (PEM) against its string schema, a binary body is not empty;
//   - every header the response declares `required` is present and matches its schema;
//   - when every registered e2e test ran (--expect-tests), every operation was exercised.
//
//   node validate-responses.mjs --spec api/openapi.yaml --captures DIR [--expect-tests a,b,c]
//
// Capture files: DIR/<test>.jsonl, one JSON object a line: {test, method, path (with query),
// status, content_type, headers_b64 (curl -D output), body_b64}. Every e2e test creates its file
// when it starts, so a file that exists means the test ran.
// Exit status: 0 all good; 1 a reply or the coverage failed; 2 usage or unreadable input;
// 77 nothing captured (no e2e test ran: ctest shows the test as skipped).

import { parseArgs } from 'node:util';
import { validateCaptures } from './validator.mjs';

const { values: args } = parseArgs({
  options: {
    spec: { type: 'string' },
    captures: { type: 'string' },
    'expect-tests': { type: 'string', default: '' },
  },
});
if (!args.spec || !args.captures) {
  console.error('usage: validate-responses.mjs --spec FILE --captures DIR [--expect-tests a,b,c]');
  process.exit(2);
}
const expect = args['expect-tests'].split(',').map((s) => s.trim()).filter(Boolean);
const { status, output } = validateCaptures(args.spec, args.captures, expect);
console.log(output);
process.exit(status);
