// The floor of a Node SMTP sink, for reference (not a contender): a bare `node:net` server that
// answers the dialogue Postfix's smtp-source speaks with canned replies — a greeting, 250 for
// every command line, 354 for DATA, 250 after the line ".", 221 for QUIT — with line splitting
// only, no parsing, no checks, no state beyond "in DATA". Whatever a real Node sink costs above
// this row is the library's; this row itself is Node's socket and stream layer. Prints its port.
import net from 'node:net';

const GREETING = Buffer.from('220 floor.mailwire.test ESMTP\r\n');
const OK = '250 2.0.0 Ok\r\n';
const GO_AHEAD = '354 End data with <CR><LF>.<CR><LF>\r\n';
const BYE = '221 2.0.0 Bye\r\n';
const DOT = 0x2e;
const LF = 0x0a;

const server = net.createServer({ noDelay: true }, (socket) => {
  let inData = false;
  let partial; // an unterminated line carried to the next chunk
  socket.on('error', () => {});
  socket.write(GREETING);
  socket.on('data', (chunk) => {
    const bytes = partial === undefined ? chunk : Buffer.concat([partial, chunk]);
    partial = undefined;
    let out = '';
    let quit = false;
    let start = 0;
    for (let lf = bytes.indexOf(LF); lf !== -1; lf = bytes.indexOf(LF, start)) {
      const length = lf + 1 - start;
      if (inData) {
        if (bytes[start] === DOT && (length === 2 || (length === 3 && bytes[start + 1] === 0x0d))) {
          inData = false;
          out += OK;
        }
      } else {
        // The verb's first letters are enough for smtp-source's dialogue.
        const c0 = bytes[start] | 0x20;
        const c1 = bytes[start + 1] | 0x20;
        if (c0 === 0x64 && c1 === 0x61) {
          inData = true; // DATA
          out += GO_AHEAD;
        } else if (c0 === 0x71 && c1 === 0x75) {
          quit = true; // QUIT
          out += BYE;
        } else {
          out += OK;
        }
      }
      start = lf + 1;
    }
    if (start < bytes.length) partial = bytes.subarray(start);
    if (quit) socket.end(out);
    else if (out !== '') socket.write(out);
  });
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
