#!/usr/bin/env node
// Merges an OpenAPI fragment (a YAML file with `paths`, `components` and optionally `tags`, in
// the layout of api/openapi.yaml) into api/openapi.yaml, keeping the file's comments and order:
//   - paths: a new path is appended to `paths` (after a "# ---- <section>" comment when
//     --section is given); a known path gets the fragment's new methods and parameters;
//   - components: each new entry is appended to its kind (schemas, responses, ...); an entry that
//     exists already must be identical, except components/schemas/ProblemType, whose `oneOf`
//     entries (one `const` type URI each) are merged;
//   - tags: new tags are appended.
// Anything else, or a conflict (the same method of a path, a different component of the same
// name), stops the merge and changes nothing. Then run `redocly lint` (ctest openapi_lint).
//
//   node tools/openapi/merge-fragment.mjs api/openapi.yaml FRAGMENT.yaml [--section "est (api/handlers/est.cpp)"]

import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import YAML from 'yaml';

const { values, positionals } = parseArgs({ options: { section: { type: 'string' } }, allowPositionals: true });
const [specPath, fragmentPath] = positionals;
if (!specPath || !fragmentPath) {
  console.error('usage: merge-fragment.mjs SPEC FRAGMENT [--section TEXT]');
  process.exit(2);
}

const doc = YAML.parseDocument(readFileSync(specPath, 'utf8'));
const fragment = YAML.parse(readFileSync(fragmentPath, 'utf8'));
const conflicts = [];
const added = [];

for (const key of Object.keys(fragment)) {
  if (!['paths', 'components', 'tags'].includes(key)) conflicts.push(`top-level "${key}": merge it by hand`);
}

// paths
let first = true;
for (const [path, item] of Object.entries(fragment.paths ?? {})) {
  const existing = doc.getIn(['paths', path]);
  if (!existing) {
    const node = doc.createPair(path, item);
    if (first && values.section) node.key.commentBefore = ` ---- ${values.section} ${'-'.repeat(Math.max(3, 90 - values.section.length))}`;
    if (first) node.key.spaceBefore = true;
    doc.get('paths').items.push(node);
    added.push(`path ${path}`);
    first = false;
    continue;
  }
  for (const [k, v] of Object.entries(item)) {
    const have = doc.getIn(['paths', path, k]);
    if (have === undefined) {
      doc.setIn(['paths', path, k], v);
      added.push(`${k} ${path}`);
    } else if (!isDeepStrictEqual(YAML.parse(YAML.stringify(have)), v)) {
      conflicts.push(`paths ${path} ${k}: already in ${specPath} and different`);
    }
  }
}

// components
for (const [kind, entries] of Object.entries(fragment.components ?? {})) {
  for (const [name, value] of Object.entries(entries ?? {})) {
    const have = doc.getIn(['components', kind, name]);
    if (have === undefined) {
      if (!doc.getIn(['components', kind])) doc.setIn(['components', kind], {});
      doc.setIn(['components', kind, name], value);
      added.push(`components/${kind}/${name}`);
      continue;
    }
    const current = have.toJSON();
    if (isDeepStrictEqual(current, value)) continue;
    if (kind === 'schemas' && name === 'ProblemType' && Array.isArray(value.oneOf)) {
      const known = new Set(current.oneOf.map((e) => e.const));
      for (const e of value.oneOf) {
        if (known.has(e.const)) continue;
        have.get('oneOf').items.push(doc.createNode(e));
        added.push(`problem type ${e.const}`);
      }
      continue;
    }
    conflicts.push(`components/${kind}/${name}: already in ${specPath} and different`);
  }
}

// tags
for (const tag of fragment.tags ?? []) {
  const tags = doc.get('tags');
  if (tags.items.some((t) => t.get('name') === tag.name)) continue;
  tags.items.push(doc.createNode(tag));
  added.push(`tag ${tag.name}`);
}

if (conflicts.length > 0) {
  for (const c of conflicts) console.error(`merge-fragment: ${c}`);
  console.error(`merge-fragment: ${specPath} left unchanged`);
  process.exit(1);
}
writeFileSync(specPath, doc.toString({ lineWidth: 0, flowCollectionPadding: false, doubleQuotedMinMultiLineLength: 100000, singleQuote: true }));
for (const a of added) console.log(`merged ${a}`);
console.log(`merge-fragment: ${added.length} additions to ${specPath}; now run ctest -R openapi_lint`);
