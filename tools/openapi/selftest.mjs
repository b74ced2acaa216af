#!/usr/bin/env node
// Self-test of validate-responses.mjs (ctest openapi_validator_selftest): hand-made captures,
// good and bad, against the real api/openapi.yaml. Each bad one must be rejected with the
// reason expected, so that a changed reply shape, an undocumented path, status, media type or
// header, or an operation no test exercised, cannot pass unnoticed.
//
//   node selftest.mjs api/openapi.yaml

import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCaptures } from './validator.mjs';

const spec = process.argv[2];
if (!spec) {
  console.error('usage: selftest.mjs SPEC');
  process.exit(2);
}

const b64 = (s) => Buffer.from(s).toString('base64');
const ID = '0123456789abcdef';
function headers(status, extra = {}, { requestId = true } = {}) {
  const h = { 'Cache-Control': 'no-store', ...(requestId ? { 'X-Request-Id': ID } : {}), ...extra };
  return `HTTP/1.1 ${status} X\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}
function reply(method, path, status, ctype, body, hdrs = headers(status)) {
  return { test: 'selftest', method, path, status, content_type: ctype, headers_b64: b64(hdrs),
           body_b64: b64(typeof body === 'string' ? body : JSON.stringify(body)) };
}
const problem = (status, slug) => ({ type: `urn:iotreg:problem:${slug}`, title: 'T', status, detail: 'd',
                                     request_id: ID });

const EID = '89049032000000000000000000000401';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const enrollment = {
  device_id: EID, dns_name: `${EID}._device.iotregistry.test`, certificate: PEM, chain: PEM + PEM,
  tlsa: `${EID}._device.iotregistry.test. 300 IN TLSA 3 1 1 ${'ab'.repeat(32)}`, zone_serial: 7,
};
const created = (body, extra = { Location: `/api/v1/devices/${EID}` }) =>
  reply('POST', '/api/v1/devices', 201, 'application/json', body, headers(201, extra));
const health = reply('GET', '/healthz', 200, 'application/json', { status: 'ok' });

// [name, captures by test file, --expect-tests, expected exit status, expected text]
const cases = [
  ['a conforming reply passes', { t: [health] }, '', 0, 'all replies conform'],
  ['a conforming enrollment (CSR) passes', { t: [created(enrollment)] }, '', 0, 'all replies conform'],
  ['a conforming enrollment (server_keygen, pkcs12) passes',
    { t: [created({ ...enrollment, zone_serial: null, pkcs12: 'MIIK+w==' })] }, '', 0, 'all replies conform'],
  ['a reply of an undocumented path fails',
    { t: [reply('GET', '/api/v1/widgets', 200, 'application/json', { ok: true })] }, '', 1, 'undocumented path'],
  ["the router's 404 for a path it does not serve passes",
    { t: [reply('GET', '/nothing/here', 404, 'application/problem+json', problem(404, 'not-found'))] }, '', 0,
    'all replies conform'],
  ['a 200 of an undocumented method fails',
    { t: [reply('PUT', '/healthz', 200, 'application/json', { status: 'ok' })] }, '', 1, 'undocumented operation'],
  ["the router's 405 for another method passes",
    { t: [reply('PUT', '/healthz', 405, 'application/problem+json', problem(405, 'method-not-allowed'),
                headers(405, { Allow: 'GET' }))] }, '', 0, 'all replies conform'],
  ['a member missing from a reply fails',
    { t: [created({ ...enrollment, tlsa: undefined })] }, '', 1, "must have required property 'tlsa'"],
  ['an undocumented member in a reply fails',
    { t: [created({ ...enrollment, expires: 'soon' })] }, '', 1, 'must NOT have additional properties'],
  ['a member of the wrong type fails',
    { t: [created({ ...enrollment, zone_serial: '7' })] }, '', 1, '/zone_serial'],
  ['both private_key and pkcs12 fail',
    { t: [created({ ...enrollment, private_key: '-----BEGIN ENCRYPTED PRIVATE KEY-----\nx', pkcs12: 'AA==' })] },
    '', 1, '/pkcs12'],
  ['another problem type than documented fails',
    { t: [reply('GET', `/api/v1/devices/${EID}`, 404, 'application/problem+json', problem(404, 'ca-not-found'))] },
    '', 1, '/type'],
  ['a problem with a status member unlike the HTTP status fails',
    { t: [reply('GET', `/api/v1/devices/${EID}`, 404, 'application/problem+json', problem(400, 'device-not-found'))] },
    '', 1, '/status'],
  ['an undocumented status fails',
    { t: [reply('GET', '/healthz', 418, 'application/json', { status: 'ok' })] }, '', 1, 'status 418 not documented'],
  ['an undocumented Content-Type fails',
    { t: [reply('GET', '/healthz', 200, 'text/plain', 'ok')] }, '', 1, 'Content-Type "text/plain" not documented'],
  ['a body that is not JSON fails',
    { t: [reply('GET', '/healthz', 200, 'application/json', '{"status":')] }, '', 1, 'not valid JSON'],
  ['a missing required header fails (Location)',
    { t: [created(enrollment, {})] }, '', 1, 'required header Location missing'],
  ['a missing required header fails (X-Request-Id)',
    { t: [reply('GET', '/healthz', 200, 'application/json', { status: 'ok' }, headers(200, {}, { requestId: false }))] },
    '', 1, 'required header X-Request-Id missing'],
  ['a header against its schema fails (Cache-Control)',
    { t: [reply('GET', '/healthz', 200, 'application/json', { status: 'ok' }, headers(200, { 'Cache-Control': 'max-age=60' }))] },
    '', 1, 'header Cache-Control'],
  ['a PEM body that is no PEM fails',
    { t: [reply('GET', '/.well-known/ca/0a-1b.pem', 200, 'application/pem-certificate-chain', 'hello')] }, '', 1,
    'must match pattern'],
  ['an empty binary body fails',
    { t: [reply('GET', '/crl/0a-1b.crl', 200, 'application/pkix-crl', '')] }, '', 1, 'empty body'],
  ['an operation that no test exercised fails when every test ran',
    { t: [health] }, 't', 1, 'but no e2e test exercised it'],
  ['coverage is not checked when some e2e tests did not run',
    { t: [health] }, 't,u', 0, '1 of 2 e2e tests did not run (u)'],
  ['a line that is not JSON fails', { t: ['{not json'] }, '', 1, 'not a JSON line'],
  ['no captures at all: skipped (77)', {}, '', 77, 'no e2e test ran'],
];

let passed = 0;
let failed = 0;
for (const [name, captures, expect, wantStatus, wantText] of cases) {
  const dir = mkdtempSync(join(tmpdir(), 'iotreg-openapi-selftest-'));
  try {
    for (const [test, recs] of Object.entries(captures)) {
      writeFileSync(join(dir, `${test}.jsonl`),
        recs.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n');
    }
    const run = validateCaptures(spec, dir, expect.split(',').filter(Boolean));
    const out = run.output;
    if (run.status === wantStatus && out.includes(wantText)) {
      passed++;
      console.log(`ok   - ${name}`);
    } else {
      failed++;
      console.log(`FAIL - ${name}: want exit ${wantStatus} and "${wantText}", got exit ${run.status}:`);
      console.log(out.replace(/^/gm, '       '));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
