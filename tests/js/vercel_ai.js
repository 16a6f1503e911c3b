// The Vercel AI SDK (`ai` 6 with `@ai-sdk/anthropic`) against the mockclaude server named by
// ANTHROPIC_BASE_URL: generateText, streamText, tools run by the SDK's own loop (with and without
// thinking), Output.object structured output, and a 429 it retries. One node process runs every
// scenario and prints {scenario: result | {error}}; tests/test_typescript_sdk.py asserts.
const { generateText, streamText, tool, stepCountIs, Output } = require("ai");
const { createAnthropic } = require("@ai-sdk/anthropic");
const { z } = require("zod");

const BASE = process.env.ANTHROPIC_BASE_URL;
const MODEL = "claude-sonnet-4-6";
let anthropic; // one provider per scenario: the header tells the journal which scenario sent what

function weather(calls) {
  return tool({
    description: "Get the current weather in a city.",
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => {
      calls.push(city);
      return `${city}: 19C, cloudy`;
    },
  });
}

const scenarios = {
  async generateText() {
    const r = await generateText({ model: anthropic(MODEL), prompt: "Hello from the AI SDK", maxOutputTokens: 256 });
    return { text: r.text, finishReason: r.finishReason, inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens };
  },

  async streamText() {
    const r = streamText({ model: anthropic(MODEL), prompt: "Stream from the AI SDK", maxOutputTokens: 256 });
    const parts = [];
    for await (const delta of r.textStream) parts.push(delta);
    return { text: parts.join(""), chunks: parts.length, finishReason: await r.finishReason };
  },

  async toolLoop() {
    const calls = [];
    const r = await generateText({
      model: anthropic(MODEL),
      prompt: "What is the weather in Lima? Use the tool.",
      tools: { get_weather: weather(calls) },
      stopWhen: stepCountIs(4),
      maxOutputTokens: 1024,
    });
    return { steps: r.steps.length, finishReason: r.finishReason, text: r.text, calls };
  },

  async toolLoopThinking() {
    const calls = [];
    const r = await generateText({
      model: anthropic(MODEL),
      prompt: "What is the weather in Oslo? Use the tool.",
      tools: { get_weather: weather(calls) },
      stopWhen: stepCountIs(4),
      maxOutputTokens: 4096,
      providerOptions: { anthropic: { thinking: { type: "enabled", budgetTokens: 1024 } } },
    });
    return {
      steps: r.steps.length,
      finishReason: r.finishReason,
      text: r.text,
      reasoning: r.steps[0].reasoningText ? r.steps[0].reasoningText.length : 0,
      calls,
    };
  },

  async streamToolLoop() {
    const calls = [];
    const r = streamText({
      model: anthropic(MODEL),
      prompt: "Weather in Quito? Use the tool.",
      tools: { get_weather: weather(calls) },
      stopWhen: stepCountIs(4),
      maxOutputTokens: 1024,
    });
    let text = "";
    for await (const delta of r.textStream) text += delta;
    return { steps: (await r.steps).length, finishReason: await r.finishReason, text, calls };
  },

  async outputObject() {
    const Person = z.object({ name: z.string(), age: z.number().int(), tags: z.array(z.string()) });
    const r = await generateText({
      model: anthropic(MODEL),
      prompt: "Extract: Ada, 36, mathematician.",
      output: Output.object({ schema: Person }),
      maxOutputTokens: 1024,
    });
    return { output: r.output, valid: Person.safeParse(r.output).success };
  },

  async retry429() {
    await fetch(`${BASE}/_mockclaude/faults`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ spec: "429:times=1:retry-after-ms=10" }),
    });
    const r = await generateText({ model: anthropic(MODEL), prompt: "Retry me", maxOutputTokens: 64, maxRetries: 2 });
    return { text: r.text, finishReason: r.finishReason };
  },
};

async function main() {
  const only = process.argv.slice(2);
  const out = {};
  for (const [name, run] of Object.entries(scenarios)) {
    if (only.length && !only.includes(name)) continue;
    try {
      anthropic = createAnthropic({
        baseURL: `${BASE}/v1`, apiKey: process.env.ANTHROPIC_API_KEY, headers: { "x-mockclaude-scenario": name },
      });
      out[name] = await run();
    } catch (err) {
      out[name] = { error: `${err.constructor.name}: ${err.message}`, status: err.statusCode };
    }
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
