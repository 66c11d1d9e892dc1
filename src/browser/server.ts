// A loopback HTTP server for browser measurements: the page, the TF.js bundles and the model,
// with the content negotiation and isolation headers a production server would send.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import { GZIP_LEVEL } from '../model/inspect.js';
import { pageAssets } from './assets.js';

/** Brotli quality for served files: 11, what static precompression (and `brotli` by default) uses. */
export const BROTLI_QUALITY = 11;

/** Content encodings the server offers, in order of preference. */
export type ContentEncoding = 'br' | 'gzip' | 'identity';

/** The files of one model (and its test slice) served under {@link Mount.base}. */
export interface Mount {
  /** URL path prefix, e.g. `/m/1/`, ending in a slash. */
  base: string;
  /** The Content-Encoding each of its files was last sent with, by name relative to {@link base}. */
  sent: Map<string, ContentEncoding>;
  unmount(): void;
}

/** A running server on 127.0.0.1. */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /**
   * Serves `files` (relative paths) under a fresh prefix until unmounted, compressed (br and gzip,
   * made before serving) where `compress(name)` says so.
   */
  mount(files: ReadonlyMap<string, Uint8Array>, compress: (name: string) => boolean): Promise<Mount>;
  close(): Promise<void>;
}

/** Headers on every response: cross-origin isolation (wasm threads need SharedArrayBuffer), no caching (each load downloads). */
const BASE_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
  Vary: 'Accept-Encoding',
};

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', json: 'application/json', wasm: 'application/wasm',
};

/** The encoding to answer an Accept-Encoding header with: br, then gzip, by the client's q-values. */
export function negotiateEncoding(header: string | undefined): ContentEncoding {
  const q = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    q.set(name, qParam ? Number(qParam.slice(2)) : 1);
  }
  const accepts = (name: string) => (q.get(name) ?? q.get('*') ?? 0) > 0;
  if (accepts('br')) return 'br';
  if (accepts('gzip')) return 'gzip';
  return 'identity';
}

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** `bytes` as sent with `encoding` (brotli quality {@link BROTLI_QUALITY}, gzip level {@link GZIP_LEVEL}). */
export async function encodeBody(bytes: Uint8Array, encoding: ContentEncoding): Promise<Uint8Array> {
  if (encoding === 'br') {
    return brotliAsync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length } });
  }
  return encoding === 'gzip' ? gzipAsync(bytes, { level: GZIP_LEVEL }) : bytes;
}

/**
 * A file served from memory in each encoding. Model files are compressed before they are served,
 * as a static server precompresses, so the page's load time does not include compressing them.
 * The page's own assets (TF.js's bundles) are sent as they are: compressing them would cost
 * seconds per run and measure nothing.
 */
interface ServedFile {
  type: string;
  bodies: Partial<Record<ContentEncoding, Uint8Array>> & { identity: Uint8Array };
  /** Called with each encoding the file is sent with. */
  onSent?: (encoding: ContentEncoding) => void;
}

async function compressedFile(bytes: Uint8Array, type: string): Promise<ServedFile> {
  const [br, gzipped] = await Promise.all([encodeBody(bytes, 'br'), encodeBody(bytes, 'gzip')]);
  return { type, bodies: { identity: bytes, br, gzip: gzipped } };
}

function contentType(path: string): string {
  return CONTENT_TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}

/** Starts the server on 127.0.0.1 with an ephemeral port. */
export async function startLoopbackServer(): Promise<LoopbackServer> {
  const files = new Map<string, ServedFile>();
  for (const [path, bytes] of pageAssets()) files.set(path, { type: contentType(path), bodies: { identity: bytes } });
  const server = createServer((req, res) => respond(files, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let mounts = 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    async mount(served, compress) {
      const base = `/m/${++mounts}/`;
      const sent = new Map<string, ContentEncoding>();
      for (const [name, bytes] of served) {
        const file = compress(name) ? await compressedFile(bytes, contentType(name)) : { type: contentType(name), bodies: { identity: bytes } };
        file.onSent = (encoding) => sent.set(name, encoding);
        files.set(base + name, file);
      }
      return { base, sent, unmount: () => { for (const name of served.keys()) files.delete(base + name); } };
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function respond(files: Map<string, ServedFile>, req: IncomingMessage, res: ServerResponse): void {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const file = files.get(path === '/' ? '/index.html' : path);
  if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(file ? 405 : 404, BASE_HEADERS).end();
    return;
  }
  const negotiated = negotiateEncoding(req.headers['accept-encoding']);
  const encoding = file.bodies[negotiated] ? negotiated : 'identity';
  const body = file.bodies[encoding]!;
  res.writeHead(200, {
    ...BASE_HEADERS, 'Content-Type': file.type, 'Content-Length': String(body.length),
    ...(encoding === 'identity' ? {} : { 'Content-Encoding': encoding }),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  file.onSent?.(encoding);
}
