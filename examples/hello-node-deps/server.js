const http = require('node:http');
const { dependencies } = require('./package.json');

// Every vendored package is loaded at start, so a missing or broken node_modules fails loudly.
const words = Object.keys(dependencies).map((name) => require(name).word);
const port = Number(process.env.PORT || 8080);
const message = `hello-node-deps: ${words.length} dependencies loaded (${words[0]} … ${words.at(-1)})`;

const server = http.createServer((request, response) => {
  if (request.method === 'GET' && (request.url === '/' || request.url.startsWith('/?'))) {
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`${message}\n`);
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  response.end('not found\n');
});

server.listen(port, () => console.log(`hello-node-deps listening on port ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
