// Checks on the page's source that need no browser: no HTML parsed from strings (record text
// must stay text), and no address outside the server the page is served from.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const WEB = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'web');
const sources = readdirSync(WEB)
  .filter((name) => /\.(js|html|css)$/.test(name))
  .map((name) => ({ name, text: readFileSync(path.join(WEB, name), 'utf8') }));

test('the page has its sources', () => {
  const names = sources.map((source) => source.name);
  for (const name of ['index.html', 'app.js', 'map.js', 'i18n.js', 'api.js']) assert.ok(names.includes(name), name);
});

test('no source parses HTML from strings', () => {
  for (const { name, text } of sources) {
    assert.doesNotMatch(text, /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|setHTML\(|document\.write/, name);
  }
});

test('no source names another host: nothing is fetched from the internet', () => {
  for (const { name, text } of sources) {
    // The only absolute URLs allowed are XML namespaces, which are names, not fetches.
    const urls = [...text.matchAll(/https?:\/\/[^\s'"`)]+/g)].map((match) => match[0]);
    assert.deepEqual(urls.filter((url) => url !== 'http://www.w3.org/2000/svg'), [], name);
  }
});

test('index.html has no inline script (the server\'s policy forbids it)', () => {
  const index = sources.find((source) => source.name === 'index.html').text;
  for (const [, attributes, body] of index.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(attributes, /src=/);
    assert.equal(body.trim(), '');
  }
  assert.doesNotMatch(index, /\son[a-z]+=/i, 'no inline event handler');
});
