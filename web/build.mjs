// Builds the dashboard into dist/ (committed, embedded in the binary by crates/api/src/web.rs).
//
//   node build.mjs            write dist/
//   node build.mjs --check    build into a temporary folder and fail if dist/ differs (stale)
//
// Before bundling it checks the locale files: en.json and ko.json must have the same keys, and
// every `t('key')` in src/ must exist. File names carry a content hash, so the server can let
// browsers cache /ui/* for a year while index.html is always revalidated.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync, constants } from 'node:zlib';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const check = process.argv.includes('--check');
const dist = path.join(root, 'dist');

function fail(message) {
  console.error(`web build: ${message}`);
  process.exit(1);
}

/** Every key of a nested locale object, dotted. */
function keys(object, prefix = '') {
  return Object.entries(object).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

function checkLocales() {
  const load = (name) => JSON.parse(fs.readFileSync(path.join(root, 'src/i18n', name), 'utf8'));
  const en = new Set(keys(load('en.json')));
  const ko = new Set(keys(load('ko.json')));
  const onlyEn = [...en].filter((k) => !ko.has(k));
  const onlyKo = [...ko].filter((k) => !en.has(k));
  if (onlyEn.length || onlyKo.length) {
    fail(`locale keys differ: only in en.json: ${onlyEn.join(', ') || '-'}; only in ko.json: ${onlyKo.join(', ') || '-'}`);
  }
  const used = new Set();
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.ts')) {
        for (const m of fs.readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) used.add(m[1]);
      }
    }
  };
  walk(path.join(root, 'src'));
  const missing = [...used].filter((k) => !en.has(k));
  if (missing.length) fail(`keys used in src/ but missing from the locale files: ${missing.join(', ')}`);
  return en.size;
}

async function bundle(outdir) {
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.mkdirSync(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/main.ts'],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    outdir,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    metafile: true,
    legalComments: 'eof',
    charset: 'utf8',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((f) => path.basename(f));
  const js = outputs.find((f) => f.endsWith('.js'));
  const css = outputs.find((f) => f.endsWith('.css'));
  if (!js || !css) fail(`esbuild wrote ${outputs.join(', ')}: expected one .js and one .css`);
  const icon = fs.readFileSync(path.join(root, 'src/favicon.svg'));
  const iconName = `favicon-${createHash('sha256').update(icon).digest('hex').slice(0, 8)}.svg`;
  fs.writeFileSync(path.join(outdir, iconName), icon);
  const html = fs
    .readFileSync(path.join(root, 'src/index.html'), 'utf8')
    .replaceAll('%JS%', `/ui/${js}`)
    .replaceAll('%CSS%', `/ui/${css}`)
    .replaceAll('%ICON%', `/ui/${iconName}`);
  fs.writeFileSync(path.join(outdir, 'index.html'), html);
  for (const name of [js, css]) {
    const body = fs.readFileSync(path.join(outdir, name));
    fs.writeFileSync(path.join(outdir, `${name}.gz`), gzipSync(body, { level: constants.Z_BEST_COMPRESSION }));
  }
}

/** dist/ equals a fresh build; `.gz` files are compared by content (zlib builds may differ). */
function compare(fresh) {
  const list = (dir) => fs.readdirSync(dir).sort();
  const have = fs.existsSync(dist) ? list(dist) : [];
  const want = list(fresh);
  const stale = [];
  if (have.join('\n') !== want.join('\n')) stale.push(`files: dist has [${have}], a fresh build has [${want}]`);
  for (const name of want.filter((n) => have.includes(n))) {
    let a = fs.readFileSync(path.join(dist, name));
    let b = fs.readFileSync(path.join(fresh, name));
    if (name.endsWith('.gz')) {
      a = gunzipSync(a);
      b = gunzipSync(b);
    }
    if (!a.equals(b)) stale.push(`${name} differs`);
  }
  return stale;
}

const keyCount = checkLocales();
if (check) {
  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-web-'));
  try {
    await bundle(fresh);
    const stale = compare(fresh);
    if (stale.length) {
      fail(`web/dist is stale (${stale.join('; ')}): run \`npm run build\` in web/ and commit web/dist`);
    }
  } finally {
    fs.rmSync(fresh, { recursive: true, force: true });
  }
  console.log(`web/dist is up to date (${keyCount} locale keys in en and ko)`);
} else {
  await bundle(dist);
  const sizes = fs.readdirSync(dist).map((f) => `${f} ${fs.statSync(path.join(dist, f)).size} B`);
  console.log(`web/dist written (${keyCount} locale keys in en and ko):\n  ${sizes.join('\n  ')}`);
}
