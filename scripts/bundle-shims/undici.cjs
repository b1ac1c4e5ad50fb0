// What @actions/github and @actions/http-client get for `undici` in the bundle (scripts/bundle.js).
// Loading undici compiles its HTTP parser (WebAssembly) at once: about 28 MB of RSS and 20 ms on
// every start, though only a proxy needs it. Without a proxy, Octokit's requests go through
// src/github/https-fetch.ts (node:https); undici is loaded only when a proxy is configured and
// http-client builds a ProxyAgent for it. scripts/bundle.js builds it into dist/undici.cjs, which
// require('undici') here loads.
'use strict'
/* eslint-disable @typescript-eslint/no-require-imports -- require() at first use is the point */

exports.fetch = (input, init) =>
  init && init.dispatcher ? require('undici').fetch(input, init) : globalThis.fetch(input, init)

exports.ProxyAgent = function ProxyAgent(options) {
  const { ProxyAgent: Agent } = require('undici')
  return new Agent(options)
}
