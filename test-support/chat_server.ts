import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A scripted reply; `destroy` cuts the connection without answering (a network error). */
export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** Raw body; when unset, a chat completion whose content is `content` (default: "echo: <prompt>"). */
  body?: string;
  content?: string;
  delayMs?: number;
  destroy?: boolean;
}

export interface RecordedRequest {
  path: string;
  authorization: string | undefined;
  body: {
    model: string;
    messages: Array<{ role: string; content: string }>;
    temperature?: number;
    max_tokens?: number;
    seed?: number;
    stop?: string[];
  };
  startedAt: number;
}

export interface ChatServer {
  /** Base URL to give the provider (ends in /v1). */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Replies used in order, one per request; after they run out every request succeeds. */
  script: Reply[];
  /** Most requests in flight at once. */
  maxInFlight: number;
  close(): Promise<void>;
}

/** A local stand-in for an OpenAI-compatible `/v1/chat/completions` endpoint, bound to 127.0.0.1. */
export async function startChatServer(defaultReply: Reply = {}): Promise<ChatServer> {
  let inFlight = 0;
  const state: ChatServer = {
    baseUrl: '',
    requests: [],
    script: [],
    maxInFlight: 0,
    close: async () => {},
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedRequest['body'];
    state.requests.push({
      path: req.url ?? '',
      authorization: req.headers.authorization,
      body,
      startedAt: Date.now(),
    });
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    const reply = state.script.shift() ?? defaultReply;
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    inFlight--;
    if (reply.destroy) {
      req.socket.destroy();
      return;
    }
    if (req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.url}` } }));
      return;
    }
    const prompt = body.messages[body.messages.length - 1]?.content ?? '';
    const payload =
      reply.body ??
      JSON.stringify({
        id: 'chatcmpl-test',
        object: 'chat.completion',
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: reply.content ?? `echo: ${prompt}` },
            finish_reason: 'stop',
          },
        ],
      });
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(payload);
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.baseUrl = `http://127.0.0.1:${port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
