// carbonbridge's harness around CAD Trust's own Joi validation (no CAD Trust code in here).
//
// Usage: node --import ./register.mjs harness.mjs <cadt-tree> <records.json>
//   <cadt-tree>    a directory holding CAD Trust's src/validations, src/utils and the bundled
//                  picklist src/models/governance/governance.stub.js at the pinned commit, with
//                  src/utils/config-loader.js and src/utils/data-loaders.js replaced by our stubs
//   <records.json> [{"schema": "<exported Joi schema name>", "record": {...}}, ...]
// Prints one JSON object: {"failures": [{index, schema, field, value, message}],
//                          "picklists": {<name>: [values]}}
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [tree, recordsPath] = process.argv.slice(2);
const load = (relative) => import(pathToFileURL(path.join(tree, relative)).href);

const validations = await load('src/validations/index.js');
const { default: picklists } = await load('src/models/governance/governance.stub.js');
const items = JSON.parse(await readFile(recordsPath, 'utf-8'));

const failures = [];
items.forEach(({ schema, record }, index) => {
  const joiSchema = validations[schema];
  if (joiSchema === undefined) {
    failures.push({ index, schema, field: '', value: null, message: `no schema ${schema}` });
    return;
  }
  const { error } = joiSchema.validate(record, { abortEarly: false });
  for (const detail of error?.details ?? []) {
    failures.push({
      index,
      schema,
      field: detail.path.join('.'),
      value: detail.context?.value ?? null,
      message: detail.message,
    });
  }
});
process.stdout.write(JSON.stringify({ failures, picklists }));
