// One chat room per process, for a tend task program: everyone connected to this instance is in
// the same room, and each message goes to all of them. tend routes clients here by the room's
// task id (ws://host:proxy-port/<name>/<id>) and tells the process its id on $TEND_TASK_FD.
import { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { WebSocketServer } from 'ws';

const port = Number(process.env.PORT ?? 7000);
let room = 'not allocated yet';

// tend writes `TASK=<id> OWNER=<owner>` on this descriptor when the instance becomes a task.
const taskFd = Number(process.env.TEND_TASK_FD);
if (Number.isInteger(taskFd)) {
  const lines = createInterface({
    input: new Socket({ fd: taskFd, readable: true, writable: false }),
  });
  lines.on('line', (line) => {
    room = /TASK=(\S+)/.exec(line)?.[1] ?? room;
    console.log(`room ${room} opened`);
  });
}

const server = new WebSocketServer({ port, host: '127.0.0.1' });
server.on('connection', (socket) => {
  socket.send(`welcome to room ${room} (${server.clients.size} here)`);
  socket.on('message', (data) => {
    for (const client of server.clients) client.send(data.toString());
  });
});
server.on('listening', () => console.log(`room server listening on ${port}`));
process.on('SIGTERM', () => {
  console.log(`room ${room} closing`);
  for (const client of server.clients) client.close(1001, 'room closed');
  server.close(() => process.exit(0));
});
