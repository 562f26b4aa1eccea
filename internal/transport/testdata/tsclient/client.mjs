// Drives stripe-mcp's /mcp and /ws with the TypeScript SDK's own clients,
// as real MCP clients would, and prints one JSON line per transport.
//   node client.mjs http://127.0.0.1:PORT TOKEN
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { WebSocketClientTransport } from "@modelcontextprotocol/sdk/client/websocket.js";

const [base, token] = process.argv.slice(2);

async function drive(name, transport) {
  const client = new Client({ name: "ts-sdk-" + name, version: "1.0.0" });
  await client.connect(transport);
  const tools = await client.listTools();
  const customer = await client.callTool({ name: "stripe_create_customer", arguments: { email: "ts@example.com", name: "TS Client" } });
  const refused = await client.callTool({ name: "stripe_create_payment", arguments: { amount: -1 } });
  await client.close();
  return {
    transport: name,
    server: client.getServerVersion()?.name,
    tools: tools.tools.length,
    customerId: customer.structuredContent?.id,
    customerError: customer.isError ?? false,
    refusedIsError: refused.isError ?? false,
    refusedText: refused.content?.[0]?.text,
  };
}

const out = [];
out.push(await drive("streamable-http", new StreamableHTTPClientTransport(new URL(base + "/mcp"), {
  requestInit: { headers: { Authorization: "Bearer " + token } },
})));
const ws = new URL(base.replace(/^http/, "ws") + "/ws");
ws.searchParams.set("access_token", token);
out.push(await drive("websocket", new WebSocketClientTransport(ws)));
for (const line of out) console.log(JSON.stringify(line));
