// The response check of issue 5 acceptance f, as a function (validate-responses.mjs is its
// command line; selftest.mjs calls it in-process). See validate-responses.mjs for what it checks.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/// Checks the captures in `captureDir` against the spec at `specPath`; `expectTests`: the names of
/// every registered e2e test (coverage is checked only when all of them ran). Returns
/// { status, output }: status 0 all good, 1 problems, 2 unreadable spec, 77 nothing captured.
/// Never throws for bad input: every problem is in the output.
export function validateCaptures(specPath, captureDir, expectTests = []) {
  const out = [];
  const log = (line) => out.push(line);
  let spec;
  try {
    spec = YAML.parse(readFileSync(specPath, 'utf8'));
  } catch (e) {
    return { status: 2, output: `validate-responses: cannot read ${specPath}: ${e.message}` };
  }
  const args = { spec: specPath, captures: captureDir };

  // ---- the spec: internal $refs, operations, schemas -------------------------------------------

  function pointer(ref) {
    if (!ref.startsWith('#/')) throw new Error(`only internal $refs are supported: ${ref}`);
    let node = spec;
    for (const raw of ref.slice(2).split('/')) {
      const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
      node = node?.[key];
      if (node === undefined) throw new Error(`unresolved $ref ${ref}`);
    }
    return node;
  }

  // An object with a $ref, followed; and the JSON pointer where it ends up (for Ajv).
  function deref(node, where) {
    const seen = new Set();
    while (node && typeof node === 'object' && typeof node.$ref === 'string') {
      if (seen.has(node.$ref)) throw new Error(`$ref cycle at ${node.$ref}`);
      seen.add(node.$ref);
      where = node.$ref;
      node = pointer(node.$ref);
    }
    return { node, where };
  }

  // A JSON pointer segment, percent-encoded for use in a URI fragment (Ajv's $ref).
  const esc = (s) => encodeURIComponent(s.replaceAll('~', '~0').replaceAll('/', '~1'));

  // Ajv sees the whole spec as one schema resource, so "#/components/..." refs inside schemas
  // resolve; each response schema is compiled by its pointer. The document root is no schema
  // (openapi, paths, ...): unknown keywords are ignored (strictSchema off); the lint checks the
  // schemas' keywords.
  const ajv = new Ajv2020({ allErrors: true, strictSchema: false, strictTypes: false, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema(spec, 'openapi');
  const compiled = new Map();
  function validatorFor(schemaPointer) {
    if (!compiled.has(schemaPointer)) compiled.set(schemaPointer, ajv.compile({ $ref: `openapi${schemaPointer}` }));
    return compiled.get(schemaPointer);
  }

  // Path templates: literal paths win over templated ones (OpenAPI 3.1 §4.8.8); `{x}` is one
  // segment.
  const templates = Object.keys(spec.paths ?? {}).map((template) => {
    const parts = template.split('/').map((seg) =>
      seg.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+'));
    return { template, re: new RegExp(`^${parts.join('/')}$`), literal: !template.includes('{') };
  });
  templates.sort((a, b) => Number(b.literal) - Number(a.literal));

  const operations = new Map();  // "METHOD template" -> the set of statuses the captures got
  for (const { template } of templates) {
    const item = deref(spec.paths[template], `#/paths/${esc(template)}`).node;
    for (const m of METHODS) if (item[m]) operations.set(`${m.toUpperCase()} ${template}`, new Set());
  }

  // ---- one captured reply ------------------------------------------------------------------------

  function parseHeaders(raw) {
    // curl -D writes every header block (100 Continue, then the final one): the last counts.
    const blocks = raw.split(/\r?\n\r?\n/).filter((b) => /^HTTP\//.test(b.trim()));
    const headers = new Map();
    if (blocks.length === 0) return headers;
    for (const line of blocks[blocks.length - 1].trim().split(/\r?\n/).slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    return headers;
  }

  const mediaType = (ct) => (ct ?? '').split(';')[0].trim().toLowerCase();
  const isJson = (mt) => mt === 'application/json' || mt.endsWith('+json');

  function schemaErrors(validate, value) {
    if (validate(value)) return [];
    return validate.errors.map((e) => `${e.instancePath || '(body)'} ${e.message}` +
      (e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''));
  }

  // Checks a reply against a response object; returns the problems found.
  function checkResponse(rec, response, responsePointer) {
    const problems = [];
    const mt = mediaType(rec.content_type);
    const body = Buffer.from(rec.body_b64 ?? '', 'base64');
    const content = response.content ?? {};

    if (Object.keys(content).length === 0) {
      if (body.length > 0) problems.push(`a body (${mt || 'no Content-Type'}) where the response documents none`);
    } else if (!(mt in content)) {
      problems.push(`Content-Type "${rec.content_type}" not documented (documented: ${Object.keys(content).join(', ')})`);
    } else if (content[mt].schema) {
      const schemaPointer = `${responsePointer}/content/${esc(mt)}/schema`;
      const schema = deref(content[mt].schema, schemaPointer).node;
      if (isJson(mt)) {
        let value;
        try {
          value = JSON.parse(body.toString('utf8'));
        } catch {
          problems.push('the body is not valid JSON');
        }
        if (value !== undefined) problems.push(...schemaErrors(validatorFor(schemaPointer), value));
      } else if (schema.format === 'binary' || (schema.contentMediaType && !schema.pattern)) {
        if (body.length === 0) problems.push('an empty body where a binary object is documented');
      } else {
        problems.push(...schemaErrors(validatorFor(schemaPointer), body.toString('utf8')));
      }
    }

    const headers = parseHeaders(Buffer.from(rec.headers_b64 ?? '', 'base64').toString('latin1'));
    for (const [name, declared] of Object.entries(response.headers ?? {})) {
      const { node: h, where } = deref(declared, `${responsePointer}/headers/${esc(name)}`);
      const value = headers.get(name.toLowerCase());
      if (value === undefined) {
        if (h.required) problems.push(`required header ${name} missing`);
        continue;
      }
      if (!h.schema) continue;
      const schema = deref(h.schema, `${where}/schema`);
      const typed = schema.node.type === 'integer' && /^-?[0-9]+$/.test(value) ? Number(value) : value;
      for (const e of schemaErrors(validatorFor(schema.where), typed))
        problems.push(`header ${name}: ${value}: ${e.replace('(body) ', '')}`);
    }
    return problems;
  }

  function findTemplate(path) {
    return templates.find((t) => t.re.test(path));
  }

  function check(rec) {
    const method = String(rec.method ?? '').toUpperCase();
    const path = String(rec.path ?? '').split('?')[0];
    const status = String(rec.status);
    const t = findTemplate(path);

    if (!t) {
      const fallback = spec['x-router-responses']?.NoSuchResource;
      if (status === '404' && fallback) {
        const problems = checkResponse(rec, fallback, '#/x-router-responses/NoSuchResource');
        if (problems.length === 0) return { key: null, problems };
      }
      return { key: null, problems: [`undocumented path ${path} (${method} answered ${status})`] };
    }
    const itemPointer = `#/paths/${esc(t.template)}`;
    const { node: item, where } = deref(spec.paths[t.template], itemPointer);
    const op = item[method.toLowerCase()];
    if (!op) {
      const fallback = spec['x-router-responses']?.MethodNotAllowed;
      if (status === '405' && fallback) {
        return { key: null, problems: checkResponse(rec, fallback, '#/x-router-responses/MethodNotAllowed') };
      }
      return { key: null, problems: [`undocumented operation ${method} ${t.template} (answered ${status})`] };
    }
    const key = `${method} ${t.template}`;
    const responses = op.responses ?? {};
    const code = status in responses ? status : `${status[0]}XX` in responses ? `${status[0]}XX` : 'default';
    if (!(code in responses)) {
      return { key, problems: [`status ${status} not documented for ${key} (documented: ${Object.keys(responses).join(', ')})`] };
    }
    const opPointer = `${where}/${method.toLowerCase()}/responses/${esc(code)}`;
    const { node: response, where: responsePointer } = deref(responses[code], opPointer);
    return { key, problems: checkResponse(rec, response, responsePointer) };
  }

  // ---- the captures ------------------------------------------------------------------------------

  let files;
  try {
    files = readdirSync(args.captures).filter((f) => f.endsWith('.jsonl')).sort();
  } catch {
    files = [];
  }
  if (files.length === 0) {
    log(`validate-responses: no captures in ${args.captures}: no e2e test ran; nothing to check`);
    return { status: 77, output: out.join('\n') };
  }

  let checked = 0;
  const failures = [];
  for (const file of files) {
    const lines = readFileSync(join(args.captures, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let rec;
      try {
        rec = JSON.parse(line);
      } catch {
        failures.push(`${file}:${i + 1}: not a JSON line`);
        return;
      }
      checked++;
      let result;
      try {
        result = check(rec);
      } catch (e) {
        failures.push(`${file}:${i + 1}: ${rec.method} ${rec.path}: cannot check: ${e.message}`);
        return;
      }
      if (result.key) operations.get(result.key).add(String(rec.status));
      for (const p of result.problems)
        failures.push(`${file}:${i + 1}: ${rec.method} ${rec.path} -> ${rec.status}: ${p}`);
    });
  }

  // Coverage: only meaningful when every registered e2e test ran (ctest -R runs a subset).
  const expected = expectTests;
  const ran = new Set(files.map((f) => f.slice(0, -'.jsonl'.length)));
  const missing = expected.filter((t) => !ran.has(t));
  let coverage;
  if (expected.length === 0) {
    coverage = 'operation coverage not checked (no --expect-tests)';
  } else if (missing.length > 0) {
    coverage = `operation coverage not checked: ${missing.length} of ${expected.length} e2e tests did not run (${missing.join(', ')})`;
  } else {
    const never = [...operations].filter(([, seen]) => seen.size === 0).map(([k]) => k);
    for (const k of never) failures.push(`operation ${k} is in ${args.spec} but no e2e test exercised it`);
    coverage = `${operations.size - never.length} of ${operations.size} operations exercised`;
  }

  for (const [k, seen] of operations) {
    if (seen.size > 0) log(`  ${k}: ${[...seen].sort().join(' ')}`);
  }
  for (const f of failures) log(`FAIL ${f}`);
  log(`validate-responses: ${checked} replies from ${files.length} tests checked against ${args.spec}; ${coverage}`);
  log(failures.length === 0 ? 'validate-responses: all replies conform' : `validate-responses: ${failures.length} problems`);
  return { status: failures.length === 0 ? 0 : 1, output: out.join('\n') };
}
