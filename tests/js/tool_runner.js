// The TypeScript SDK's helpers against the mockclaude server named by ANTHROPIC_BASE_URL: the beta
// tool runner (on a message thread by default in 1.14), with and without thinking and streaming, its
// replay of an expired thread, and messages.parse with a zod output format. One node process runs
// every scenario and prints {scenario: result | {error}}; tests/test_typescript_sdk.py asserts.
const Anthropic = require("@anthropic-ai/sdk");
const { betaZodTool } = require("@anthropic-ai/sdk/helpers/beta/zod");
const { zodOutputFormat } = require("@anthropic-ai/sdk/helpers/zod");
const { z } = require("zod");

const MODEL = "claude-sonnet-4-6";
const BASE = process.env.ANTHROPIC_BASE_URL;

function weatherTool(calls) {
  return betaZodTool({
    name: "get_weather",
    description: "Get the current weather in a city.",
    inputSchema: z.object({ city: z.string() }),
    run: async ({ city }) => {
      calls.push(city);
      return `${city}: 19C, cloudy`;
    },
  });
}

function summary(messages) {
  const last = messages[messages.length - 1];
  return {
    stopReasons: messages.map((m) => m.stop_reason),
    firstTypes: messages[0].content.map((b) => b.type),
    finalText: last.content.filter((b) => b.type === "text").map((b) => b.text).join(""),
    ids: messages.map((m) => m.id),
  };
}

const scenarios = {
  async toolRunner(client) {
    const calls = [];
    const runner = client.beta.messages.toolRunner({
      model: MODEL,
      max_tokens: 1024,
      messages: [{ role: "user", content: "What's the weather in Lima? Use the tool." }],
      tools: [weatherTool(calls)],
    });
    const seen = [];
    for await (const message of runner) seen.push(message);
    return { ...summary(seen), calls };
  },

  async toolRunnerThinking(client) {
    const calls = [];
    const runner = client.beta.messages.toolRunner({
      model: MODEL,
      max_tokens: 4096,
      thinking: { type: "enabled", budget_tokens: 1024 },
      system: "You are a weather assistant.",
      messages: [{ role: "user", content: "Weather in Oslo? Use the tool." }],
      tools: [weatherTool(calls)],
    });
    const seen = [];
    for await (const message of runner) seen.push(message);
    return { ...summary(seen), calls };
  },

  async toolRunnerStream(client) {
    const calls = [];
    const runner = client.beta.messages.toolRunner({
      model: MODEL,
      max_tokens: 1024,
      stream: true,
      messages: [{ role: "user", content: "Weather in Quito? Use the tool." }],
      tools: [weatherTool(calls)],
    });
    const seen = [];
    let deltas = 0;
    for await (const stream of runner) {
      stream.on("text", () => { deltas += 1; });
      seen.push(await stream.finalMessage());
    }
    return { ...summary(seen), calls, deltas };
  },

  async toolRunnerUnthreaded(client) {
    const calls = [];
    const final = await client.beta.messages.toolRunner({
      model: MODEL,
      max_tokens: 1024,
      thread: false,
      messages: [{ role: "user", content: "Weather in Rome? Use the tool." }],
      tools: [weatherTool(calls)],
    }).runUntilDone();
    return { finalText: final.content.filter((b) => b.type === "text").map((b) => b.text).join(""), calls };
  },

  async toolRunnerExpired(client) {
    // The thread expires between the tool call and the next turn: the runner must replay the
    // whole conversation under a new thread (404 thread_not_found, then a create).
    const calls = [];
    const tool = betaZodTool({
      name: "slow_lookup",
      description: "Look something up (slowly).",
      inputSchema: z.object({ city: z.string() }),
      run: async ({ city }) => {
        calls.push(city);
        await fetch(`${BASE}/_mockclaude/threads`, {
          method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advance: 301 }),
        });
        return `${city}: 7C, rain`;
      },
    });
    const final = await client.beta.messages.toolRunner({
      model: MODEL,
      max_tokens: 1024,
      messages: [{ role: "user", content: "Weather in Bergen? Use the tool." }],
      tools: [tool],
    }).runUntilDone();
    return { finalText: final.content.filter((b) => b.type === "text").map((b) => b.text).join(""), calls };
  },

  async threadHelper(client) {
    // The SDK's own thread helper: create, then continue with a plain turn and a streamed one.
    const thread = client.beta.messages.thread({ model: MODEL, max_tokens: 1024, system: "Be brief." });
    const first = await thread.send({ role: "user", content: "What is a monad?" });
    const second = await thread.stream({ role: "user", content: "And a functor?" }).finalMessage();
    const third = await thread.send({ role: "user", content: "Thanks" });
    return { texts: [first, second, third].map((m) => m.content[0].text), ids: [first.id, second.id, third.id] };
  },

  async threadParse(client) {
    // A thread created with an output format: every turn parses against it (per-turn formats are not
    // allowed by the helper's types).
    const Answer = z.object({ answer: z.string(), confidence: z.number() });
    const thread = client.beta.messages.thread({
      model: MODEL, max_tokens: 1024, output_config: { format: zodOutputFormat(Answer) },
    });
    const first = await thread.parse({ role: "user", content: "Capital of Peru?" });
    const second = await thread.parse({ role: "user", content: "And of Chile?" });
    return {
      parsed: [first.parsed_output, second.parsed_output],
      valid: [first, second].every((m) => Answer.safeParse(m.parsed_output).success),
    };
  },

  async parseZod(client) {
    const Person = z.object({ name: z.string(), age: z.number().int(), tags: z.array(z.string()) });
    const message = await client.messages.parse({
      model: MODEL,
      max_tokens: 1024,
      messages: [{ role: "user", content: "Extract: Ada, 36, mathematician." }],
      output_config: { format: zodOutputFormat(Person) },
    });
    return { parsed: message.parsed_output, valid: Person.safeParse(message.parsed_output).success };
  },
};

async function main() {
  const only = process.argv.slice(2);
  const out = {};
  for (const [name, run] of Object.entries(scenarios)) {
    if (only.length && !only.includes(name)) continue;
    try {
      // Base URL and key from the environment; the header tells the journal which scenario sent what.
      const client = new Anthropic({ maxRetries: 0, defaultHeaders: { "x-mockclaude-scenario": name } });
      out[name] = await run(client);
    } catch (err) {
      out[name] = { error: `${err.constructor.name}: ${err.message}`, status: err.status };
    }
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
