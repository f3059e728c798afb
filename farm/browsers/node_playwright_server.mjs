// Playwright's browser server for `avatarfarm node` (farm/browsers/node_server.py), on a Unix socket in a directory only
// the node's user may enter, never on a TCP port: Playwright's own `run-server` listens on TCP and tells its
// endpoint path to anyone who asks (GET /json), so any local process could launch a browser with options of
// its choosing. Launch options from clients are taken (`unsafe`) because the only client is the node's front,
// which writes them itself. Arguments: the path of playwright-core's lib/coreBundle.js, and the socket's path
// (not environment variables: the browsers it launches get its environment). Stops when its standard input
// closes (the node going away).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const [coreBundle, socketPath] = process.argv.slice(2);
const { remote } = require(coreBundle);
const server = new remote.PlaywrightServer({ mode: "default", path: "/", maxConnections: Infinity, unsafe: true });
const endpoint = await server.listen(socketPath);
console.log(`Listening on ${endpoint}`);
process.stdin.on("close", () => {
  server.close().finally(() => process.exit(0));
});
process.stdin.resume();
