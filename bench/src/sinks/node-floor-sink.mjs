// The floor of a Node SMTP sink, for reference (not a contender): a bare `node:net` server that
// answers the dialogue Postfix's smtp-source speaks with canned replies (canned-dialogue.mjs) —
// line splitting only, no parsing, no checks. Whatever a real Node sink costs above this row is
// the library's; this row itself is Node's socket and stream layer. Prints its port.
import net from 'node:net';
import { CannedDialogue, GREETING } from './canned-dialogue.mjs';

const server = net.createServer({ noDelay: true }, (socket) => {
  const dialogue = new CannedDialogue();
  socket.on('error', () => {});
  socket.write(GREETING);
  socket.on('data', (chunk) => {
    const replies = dialogue.feed(chunk);
    if (replies.length === 0) return;
    const out = replies.length === 1 ? replies[0] : Buffer.concat(replies);
    if (dialogue.quit) socket.end(out);
    else socket.write(out);
  });
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
