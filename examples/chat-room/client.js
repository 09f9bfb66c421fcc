// A chat client: `node client.js ws://127.0.0.1:7777/chat/new alice` opens a new room (the proxy
// allocates a task) and prints the address to share; `node client.js ws://…/chat/<id> bob`
// joins it. Lines typed are sent; messages received are printed. Ctrl-D leaves.
import { relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';

// This file as the folder it runs from reaches it, for a command line another user can paste there.
const self = relative(process.cwd(), fileURLToPath(import.meta.url));

const [url, name = 'guest'] = process.argv.slice(2);
if (url === undefined) {
  console.error(`Usage: node ${self} <ws://host:port/<name>/new | …/<name>/<room id>> [your name]`);
  process.exit(2);
}
const socket = new WebSocket(url);
socket.on('upgrade', (response) => {
  const room = response.headers['x-tend-task'];
  console.log(
    `in room ${room}; others join with: node ${self} ${url.replace(/\/new(\?.*)?$/, `/${room}`)}`,
  );
});
socket.on('unexpected-response', (_request, response) => {
  let body = '';
  response.on('data', (chunk) => {
    body += chunk;
  });
  response.on('end', () => {
    console.error(`refused: HTTP ${response.statusCode} ${body.trim()}`);
    process.exit(1);
  });
});
socket.on('error', (error) => {
  console.error(`cannot connect: ${error.message}`);
  process.exit(1);
});
socket.on('open', () => {
  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => socket.send(`${name}: ${line}`));
  input.on('close', () => socket.close());
});
socket.on('message', (data) => console.log(data.toString()));
socket.on('close', (code, reason) => {
  console.log(`left the room (${code}${reason.length > 0 ? ` ${reason}` : ''})`);
  process.exit(0);
});
