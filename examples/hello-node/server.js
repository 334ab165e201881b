const http = require('node:http');

const port = Number(process.env.PORT || 8080);
const message = "Really appreciate your star, that's the power of our life.";

const server = http.createServer((request, response) => {
  if (request.method === 'GET' && (request.url === '/' || request.url.startsWith('/?'))) {
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`${message}\n`);
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  response.end('not found\n');
});

server.listen(port, () => console.log(`hello-node listening on port ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
