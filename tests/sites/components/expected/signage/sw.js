// omnipub signage service worker: keeps a screen playing when the network drops.
// It takes control of the screen at once. The player sends it the screen's playlist, page,
// slides and images, which it keeps in one cache per screen, dropping what the playlist no
// longer names. Slides (their address carries `?v=<content version>`) and images (named by
// their content digest, under media/) never change: they come from the cache first.
// Everything else (the page, the playlist) comes from the network while there is one.
const PREFIX = "omnipub-signage:";

self.addEventListener("install", () => { self.skipWaiting(); });
self.addEventListener("activate", (event) => { event.waitUntil(self.clients.claim()); });

function immutable(url) {
  const parsed = new URL(url);
  return parsed.searchParams.has("v") || parsed.pathname.includes("/media/");
}

async function networkFirst(request) {
  try {
    return await fetch(request);
  } catch (error) {
    // offline: the copy kept, or the screen's page opened with other options (?poll=)
    const cached = (await caches.match(request)) || (request.mode === "navigate" &&
      !immutable(request.url) && (await caches.match(request, { ignoreSearch: true })));
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request) {
  // exactly this version: another version of a slide is another slide
  return (await caches.match(request)) || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(immutable(request.url) ? cacheFirst(request) : networkFirst(request));
});

async function precache(name, urls) {
  const cache = await caches.open(PREFIX + name);
  await Promise.all(urls.map(async (url) => {
    if (immutable(url) && (await cache.match(url))) return;
    try {
      const response = await fetch(url, { cache: "no-store" });
      if (response.ok) await cache.put(url, response);
    } catch (error) {
      // offline now: keep what the cache has
    }
  }));
  const wanted = new Set(urls);
  for (const request of await cache.keys()) {
    if (!wanted.has(request.url)) await cache.delete(request);
  }
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "precache") return;
  const reply = event.ports[0];
  event.waitUntil(precache(String(data.cache), data.urls || []).then(() => {
    if (reply) reply.postMessage({ type: "precached" });
  }));
});
