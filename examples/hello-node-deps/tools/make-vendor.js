#!/usr/bin/env node
// Writes the vendored dependency tarballs of hello-node-deps (vendor/*.tgz) and points package.json at them.
// The tarballs are byte-for-byte reproducible (fixed times and owners, fixed gzip level), so running this again
// leaves the integrity hashes in package-lock.json valid. After changing COUNT or FILES, regenerate the lockfile
// without any network:
//   node tools/make-vendor.js && npm install --package-lock-only --offline --ignore-scripts
'use strict';
const { mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { gzipSync } = require('node:zlib');

/** Number of packages: enough that installing them clearly takes longer than restoring node_modules. */
const COUNT = 200;
/** Source files per package besides package.json and index.js. */
const FILES = 8;
const VERSION = '1.0.0';
const root = join(__dirname, '..');

function header(name, size) {
  const block = Buffer.alloc(512);
  const field = (offset, length, value) => block.write(value, offset, length, 'latin1');
  const octal = (offset, length, value) => field(offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
  field(0, 100, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 8, 'ustar\u000000');
  let sum = 0;
  for (const byte of block) sum += byte;
  field(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return block;
}

/** An npm-pack-style tarball: every file under package/. */
function tgz(files) {
  const parts = [];
  for (const [name, text] of Object.entries(files)) {
    const body = Buffer.from(text);
    parts.push(header(`package/${name}`, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

function packageFiles(name, index) {
  const files = {
    'package.json': JSON.stringify({ name, version: VERSION, main: 'index.js', license: 'Apache-2.0' }, null, 2) + '\n',
  };
  const requires = [];
  for (let part = 1; part <= FILES; part++) {
    const lines = [];
    for (let line = 0; line < 40; line++) lines.push(`exports.v${line} = ${index * 1000 + part * 40 + line}; // filler so the package has some weight`);
    files[`lib/part-${part}.js`] = `'use strict';\n${lines.join('\n')}\n`;
    requires.push(`require('./lib/part-${part}.js')`);
  }
  files['index.js'] = `'use strict';\n// ${name}: one word of the answer, and parts that are loaded but not needed.\n[${requires.join(', ')}];\nmodule.exports = { index: ${index}, word: 'dep${index}' };\n`;
  return files;
}

rmSync(join(root, 'vendor'), { recursive: true, force: true });
mkdirSync(join(root, 'vendor'));
const dependencies = {};
for (let index = 1; index <= COUNT; index++) {
  const name = `hello-dep-${String(index).padStart(3, '0')}`;
  const file = `vendor/${name}-${VERSION}.tgz`;
  writeFileSync(join(root, file), tgz(packageFiles(name, index)));
  dependencies[name] = `file:${file}`;
}
const manifestPath = join(root, 'package.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
manifest.dependencies = dependencies;
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
console.log(`wrote ${COUNT} packages to vendor/ and listed them in package.json`);
