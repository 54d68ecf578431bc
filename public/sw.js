// Melodeon's service worker: after one visit the page opens, generates, plays and trains
// with the network off. The build (`./dev finish-page`, Trunk's post_build hook) writes
// VERSION and FILES: every file of the page, the wasm, the worker and the shipped model.
//
// A new build installs into a cache of its own and waits; the page offers the update and,
// when the user takes it, tells this worker to take over and reloads. Old caches go only
// then, so a page never mixes files of two builds.
const VERSION = "development";
const FILES = [];
const CACHE = `melodeon-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES.map((f) => new Request(f, { cache: "reload" })))));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("melodeon-") && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "take-over") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    if (request.mode === "navigate") return (await cache.match("./")) ?? fetch(request);
    if (new URL(request.url).pathname.endsWith("/worker.js")) {
      // The worker script whatever its query, in a new response: a worker's location is its
      // response's URL, and the query (the module's hashed names) must survive.
      const script = await cache.match(request, { ignoreSearch: true });
      return script ? new Response(script.body, { headers: script.headers }) : fetch(request);
    }
    return (await cache.match(request)) ?? fetch(request);
  })());
});
