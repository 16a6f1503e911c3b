// Conformance adapter: the official TypeScript SDK (@anthropic-ai/sdk, pinned in package.json),
// used as its README shows. Speaks conformance/PROTOCOL.md on stdin/stdout; logs go to stderr.
//   create    -> client.messages.create(body)
//   stream    -> client.messages.stream(body) and the SDK's own accumulation (finalMessage())
//   tool_loop -> either of the above per request.stream; each round's response.content goes back as
//                the assistant turn as it is, all of the round's echo results in one user turn.
// Retries are the SDK's own, given maxRetries. On a clean clone the first run installs the pinned
// SDK with `npm ci` (package-lock.json is committed), so `node adapter.mjs` is the whole setup.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function ensureInstalled() {
  if (existsSync(join(here, 'node_modules', '@anthropic-ai', 'sdk', 'package.json'))) return;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // stdout is the protocol channel: npm's output goes to stderr.
  execFileSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: here,
    stdio: ['ignore', process.stderr, process.stderr],
  });
}

ensureInstalled();
const { default: Anthropic } = await import('@anthropic-ai/sdk');

// The protocol's echo tool: the tool input as JSON with its object keys sorted (at every depth).
function sortedKeys(value) {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortedKeys(value[k])]));
  }
  return value;
}
const echoResult = (input) => JSON.stringify(sortedKeys(input));

function withoutStream(body) {
  const { stream, ...rest } = body;
  return rest;
}

async function ask(client, body, streamed) {
  if (streamed) return client.messages.stream(withoutStream(body)).finalMessage();
  return client.messages.create(body.stream === true ? withoutStream(body) : body);
}

async function handle(c) {
  const client = new Anthropic({ baseURL: c.base_url, apiKey: c.api_key, maxRetries: c.max_retries ?? 2 });
  const request = c.request;
  if (c.action === 'create') return { ok: true, message: await ask(client, request, false), rounds: 1 };
  if (c.action === 'stream') return { ok: true, message: await ask(client, request, true), rounds: 1 };
  if (c.action !== 'tool_loop') return describeError(new Error(`adapter: unknown action ${c.action}`));
  const streamed = request.stream === true;
  const maxRounds = c.max_rounds ?? 5;
  let messages = [...request.messages];
  for (let rounds = 1; ; rounds++) {
    const response = await ask(client, { ...request, messages }, streamed);
    if (response.stop_reason !== 'tool_use' || rounds >= maxRounds) return { ok: true, message: response, rounds };
    const results = response.content
      .filter((block) => block.type === 'tool_use')
      .map((block) => ({ type: 'tool_result', tool_use_id: block.id, content: echoResult(block.input) }));
    messages = [...messages, { role: 'assistant', content: response.content }, { role: 'user', content: results }];
  }
}

function describeError(e) {
  if (e instanceof Anthropic.APIError) {
    const type = e.type ?? e.error?.error?.type ?? null;
    return { ok: false, error: { status: e.status ?? null, type, message: e.apiMessage ?? e.message } };
  }
  return { ok: false, error: { status: null, type: null, message: `${e?.name ?? 'Error'}: ${e?.message ?? e}` } };
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let c;
  try {
    c = JSON.parse(line);
  } catch (e) {
    process.stdout.write(JSON.stringify({ id: null, ...describeError(e) }) + '\n');
    continue;
  }
  let answer;
  try {
    answer = await handle(c);
  } catch (e) {
    console.error(e);
    answer = describeError(e);
  }
  process.stdout.write(JSON.stringify({ id: c.id, ...answer }) + '\n');
}
