// Drives the official TypeScript SDK against the mockclaude server named by ANTHROPIC_BASE_URL and
// prints one JSON object of what it saw. tests/test_typescript_sdk.py makes the assertions.
const Anthropic = require("@anthropic-ai/sdk");

const MODEL = "claude-sonnet-4-6";
const WEATHER = {
  name: "get_weather",
  description: "Get current weather for a city.",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

async function main() {
  const client = new Anthropic({ maxRetries: 0 }); // base URL and key from the environment
  const out = {};

  const msg = await client.messages.create({
    model: MODEL, max_tokens: 256, messages: [{ role: "user", content: "Hello from TypeScript" }],
  });
  out.create = { text: msg.content[0].text, stop_reason: msg.stop_reason, id: msg.id };

  const stream = client.messages.stream({
    model: MODEL, max_tokens: 256, messages: [{ role: "user", content: "Hello from TypeScript" }],
  });
  let streamed = "";
  stream.on("text", (t) => { streamed += t; });
  const final = await stream.finalMessage();
  out.stream = { text: streamed, id: final.id, stop_reason: final.stop_reason };

  const thinking = { type: "enabled", budget_tokens: 2048 };
  const messages = [{ role: "user", content: "What's the weather in Lima?" }];
  const first = await client.messages.create({ model: MODEL, max_tokens: 4096, thinking, tools: [WEATHER], messages });
  const toolUse = first.content.find((b) => b.type === "tool_use");
  messages.push({ role: "assistant", content: first.content });
  messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: toolUse.id, content: "19C, cloudy" }] });
  const second = await client.messages.create({ model: MODEL, max_tokens: 4096, thinking, tools: [WEATHER], messages });
  out.toolLoop = {
    firstTypes: first.content.map((b) => b.type),
    secondText: second.content.filter((b) => b.type === "text").map((b) => b.text).join(""),
  };

  const tampered = JSON.parse(JSON.stringify(messages));
  tampered[1].content[0].thinking += " (edited)";
  try {
    await client.messages.create({ model: MODEL, max_tokens: 4096, thinking, tools: [WEATHER], messages: tampered });
    out.tampered = { error: null };
  } catch (err) {
    out.tampered = { error: err.constructor.name, status: err.status, message: err.error?.error?.message };
  }

  const count = await client.messages.countTokens({ model: MODEL, messages: [{ role: "user", content: "Hi" }] });
  out.countTokens = count.input_tokens;

  const models = [];
  for await (const m of client.models.list({ limit: 5 })) models.push(m.id);
  out.models = models;

  try {
    await client.messages.create(
      { model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "x" }] },
      { headers: { "x-mockclaude-fault": "429:retry-after=1" } },
    );
    out.rateLimited = { error: null };
  } catch (err) {
    out.rateLimited = { error: err.constructor.name, status: err.status, retryAfter: err.headers?.get?.("retry-after") };
  }

  try {
    const s = await client.messages.create(
      { model: MODEL, max_tokens: 256, stream: true, messages: [{ role: "user", content: "x" }] },
      { headers: { "x-mockclaude-fault": "stream-error:after=3" } },
    );
    for await (const _ of s) { /* consume */ }
    out.midStream = { error: null };
  } catch (err) {
    out.midStream = { error: err.constructor.name, type: err.error?.error?.type };
  }

  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
